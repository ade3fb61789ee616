"""Prices a ministry can quote, asked of the solved LP (SPEC §3.3): the cost of one more MWh of
imports for one year and for every year to the horizon, and the firm MW a plan can deliver.

Each is a small change to the compiled LP (planner.solve.Compiled), re-solved with HiGHS
from the solved basis (by ``run``: solve's Ctrl-C-aware run), then undone:

- ``added_import_cost``: rows  sum_{n in scope, s} hours[s] import[n,t,s] / 1000 >= E_t + step  for the
  years t asked (E_t the plan's delivery; every import[n,t,s] at least the plan's), and the cost of the plan without the value of the imports
  compared before and after.
- ``firm_capability``: with every build fixed and no cost, maximise sum_y firm[y] subject to
  firm[y] <= sum_{n in scope} import[n,y,s] in every peak slice s.

No Pyomo here: the LP is read and changed through highspy's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import highspy
import numpy as np

#: GWh a year added to a scope's imports (small against any plan, large against HiGHS's tolerances)
STEP_GWH = 1.0
INF = highspy.kHighsInf
#: above this many columns the import costs are asked only when options.solver.import_costs is true:
#: each is a re-solve (one per scope and year, from the plan's basis). Measured with them asked
#: (benchmarks/run.py's sizes, `planner solve --set options.solver.import_costs=true`): medium (150
#: projects x 10 years x 48 slices, 46,456 columns) 4.6 s of prices beside 5.3 s of solve (55.1 s
#: when each question started cold); bench60 1.2 s beside 1.0 s (9.3 s cold)
IMPORT_COST_MAX_COLUMNS = 50_000


@dataclass
class ImportQuestions:
    """What to ask of the LP: the scopes (scope -> its importing nodes), and the data the rows need."""

    scopes: dict[str, list[str]]
    years: list[int]
    weight: dict[int, float]
    hours: dict[str, float]
    peak_slices: list[str]
    #: scopes whose one-year value is asked by added imports (those without an energy target;
    #: a target's value is the cost of one more unit of it, planner.solve._right_hand_values)
    one_year_scopes: list[str]
    #: scopes whose firm MW is asked (every row of imports.csv: the scopes and each importing node)
    firm_scopes: dict[str, list[str]]
    #: ask the import costs: True | False | None (auto, by the LP's size)
    import_costs: bool | None = None


def import_columns(compiled) -> dict[tuple, int]:
    """(node, year, slice) -> column index of import[n,y,s]."""
    positions, keys = compiled.columns_of("imports")
    return dict(zip(map(tuple, keys), positions.tolist()))


def _scope_rows(cols: dict, scope_nodes: list[str], years: list[int], hours: dict) -> list[tuple[int, list, list]]:
    """Per year: (year, column indices, GWh per MW) of the scope's delivered energy."""
    out = []
    for y in years:
        idx, val = [], []
        for (n, yy, s), j in cols.items():
            if yy == y and n in scope_nodes:
                idx.append(j)
                val.append(hours[s] / 1000.0)
        out.append((y, idx, val))
    return out


def added_import_cost(h: highspy.Highs, compiled, q: ImportQuestions, lasting: bool,
                      run: Callable[[highspy.Highs], None]) -> dict[tuple[str, int], float]:
    """(scope, year y) -> USD/MWh: the cost of delivering STEP_GWH more to the scope

    lasting=False: in year y only, per MWh of that year:
        (C' - C) x 1e6 / (step x 1000 x W_y)
    lasting=True: in every modelled year t >= y (each standing for its calendar years, to the
    horizon's end), per discounted MWh (lasting_marginal_cost_usd_per_mwh):
        (C' - C) x 1e6 / (step x 1000 x sum_{t >= y} W_t)

    where C is the objective less the value of the imports (the plan's cost in the perspective
    minimised: the value would otherwise pay for the MWh it asks the cost of), C' the same after
    re-solving with the scope's energy held at least step GWh above the plan in those years, on
    top of what the plan delivers (each node and slice's import at least the plan's: a MWh is not
    found by sending another region's MWh down a line with smaller losses). NaN
    where the plan cannot deliver more (a full link with nothing left to build).
    """
    run(h)  # the plan's own solution again (a target's re-solves may have moved it), from its basis
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {}
    cols = import_columns(compiled)
    if not cols:
        return {}
    cost = compiled.cost
    value_cols = np.fromiter(cols.values(), dtype=np.int64)
    x0 = np.asarray(h.getSolution().col_value)
    base = h.getInfo().objective_function_value - float(cost[value_cols] @ x0[value_cols])
    scopes = [s for s in q.scopes if s in q.one_year_scopes] if not lasting else list(q.scopes)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("output_flag", False)
    plan_basis = h.getBasis()  # each question starts from the plan's basis (see _undo)
    out: dict[tuple[str, int], float] = {}
    for scope in scopes:
        per_year = {y: (idx, val) for y, idx, val in _scope_rows(cols, q.scopes[scope], q.years, q.hours)}
        delivered = {y: float(np.dot(x0[idx], val)) if idx else 0.0 for y, (idx, val) in per_year.items()}
        for y in q.years:
            years = [t for t in q.years if t >= y] if lasting else [y]
            if not all(per_year[t][0] for t in years):
                continue  # no import column in a year: nothing can be delivered there
            first = h.getNumRow()
            held = np.asarray([j for t in years for j in per_year[t][0]], dtype=np.int32)
            lower = np.asarray(compiled.col_lower)[held] if len(held) else np.zeros(0)
            upper = np.asarray(h.getLp().col_upper_)[held]
            # on top of what the plan delivers: no node and slice gives up imports for it
            h.changeColsBounds(len(held), held, np.minimum(np.maximum(x0[held] - 1e-9, lower), upper), upper)
            for t in years:
                idx, val = per_year[t]
                h.addRow(delivered[t] + STEP_GWH, INF, len(idx), np.asarray(idx, dtype=np.int32),
                         np.asarray(val, dtype=float))
            run(h)
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            if ok:
                x1 = np.asarray(h.getSolution().col_value)
                after = h.getInfo().objective_function_value - float(cost[value_cols] @ x1[value_cols])
                weight = sum(q.weight[t] for t in years)
                out[(scope, y)] = (after - base) / compiled.scale * 1e6 / (STEP_GWH * 1000.0 * weight)
            else:
                out[(scope, y)] = float("nan")
            h.deleteRows(len(years), np.arange(first, first + len(years), dtype=np.int32))
            h.changeColsBounds(len(held), held, lower, upper)
            _undo(h, plan_basis)
    return out


def _undo(h: highspy.Highs, plan_basis) -> None:
    """Back to the plan's basis once a question's rows are deleted: HiGHS drops its basis when a
    deleted row was nonbasic, and the next question would then start cold (bench60: 9,000-16,000
    simplex iterations a question instead of hundreds, measured)."""
    if not h.getBasis().valid and plan_basis.valid:
        h.setBasis(plan_basis)


def firm_capability(h: highspy.Highs, compiled, q: ImportQuestions,
                    run: Callable[[highspy.Highs], None]) -> dict[tuple[str, int], float]:
    """(scope, year) -> firm_mw: the most the plan can deliver to the scope in every peak slice of
    the year at once,

        firm[t,y] = max  min_{s peak} sum_{n in scope t} import[n,y,s]

    over every dispatch the plan allows (its builds fixed; each peak slice with its own season's
    water, availability, links and limits), whatever the rest of the year does. An LP optimum's
    value, so the same from any solver or method, unlike the minimum of one dispatch that an
    equally cheap solution may change. ``h`` is the short-run LP (every build fixed); it is
    changed (costs zeroed) and must not be used for anything else afterwards. NaN without peak slices.
    """
    if not q.peak_slices:
        return {}
    run(h)  # as it was solved (earlier questions changed and restored it), from its basis
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {}
    cols = import_columns(compiled)
    n = h.getNumCol()
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
    h.setOptionValue("output_flag", False)
    out: dict[tuple[str, int], float] = {}
    for scope, nodes in q.firm_scopes.items():
        years = [y for y in q.years if any((nn, y, s) in cols for nn in nodes for s in q.peak_slices)]
        if not years:
            continue
        first_col, first_row = h.getNumCol(), h.getNumRow()
        k = len(years)
        # maximise sum_y firm[y]: HiGHS minimises, so each firm column costs -1
        h.addCols(k, -np.ones(k), np.zeros(k), np.full(k, INF), 0, np.zeros(k, dtype=np.int32),
                  np.zeros(0, dtype=np.int32), np.zeros(0))
        rows = 0
        for i, y in enumerate(years):
            for s in q.peak_slices:
                idx = [first_col + i] + [cols[(nn, y, s)] for nn in nodes if (nn, y, s) in cols]
                val = [1.0] + [-1.0] * (len(idx) - 1)
                h.addRow(-INF, 0.0, len(idx), np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=float))
                rows += 1
        run(h)
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value)
            for i, y in enumerate(years):
                out[(scope, y)] = float(x[first_col + i])
        h.deleteRows(rows, np.arange(first_row, first_row + rows, dtype=np.int32))
        h.deleteCols(k, np.arange(first_col, first_col + k, dtype=np.int32))
        # no _undo here: the next scope's firm LP starts better from where this one left HiGHS
        # than from the plan's basis (bench60: 18,942 simplex iterations in all against 48,513)
    return out


def import_questions(data, import_costs: bool | None = None) -> ImportQuestions:
    """What is asked of the solved LP for imports.csv, from a ModelData: per scope (targets, limits
    and the importing country) the cost of more imports; per row of imports.csv the firm MW."""
    energy_scopes = {t for t, _ in data.energy_targets}
    firm = {**{n: [n] for n in data.importing_nodes}, **data.scope_nodes}
    return ImportQuestions(scopes=dict(data.scope_nodes), years=list(data.years), weight=dict(data.weight),
                           hours=dict(data.hours), peak_slices=list(data.peak_slices),
                           one_year_scopes=[t for t in data.scope_nodes if t not in energy_scopes],
                           firm_scopes=firm, import_costs=import_costs)
