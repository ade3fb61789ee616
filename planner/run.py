"""One scenario, end to end: load -> data -> model -> solve -> tables (SPEC §3-§4).

``run_scenario`` is what ``planner solve`` calls; it returns the tables and the summary and writes
nothing, so the CLI (and tests, and sweeps) decide where the results go.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import interrupt, payers
from .cluster import DEFAULT_TIMEOUT_S
from .data import ModelData, build_model_data
from .formulation import build_model
from .measures import ImportQuestions
from .results import result_tables
from .scenario import LoadedScenario, load_scenario
from .scenario.errors import Problem, ScenarioError
from .solve import SolveResult, SolverSettings, check_highs_options, solve_model, versions


@dataclass
class Run:
    loaded: LoadedScenario
    data: ModelData
    result: SolveResult
    tables: dict[str, pd.DataFrame]
    summary: dict
    diagnosis: pd.DataFrame | None = None  # strict targets that cannot be met, when infeasible
    futures: list | None = None  # several futures (SPEC §3.4): stochastic.FutureData of each


def run_scenario(path: str | Path, sets: tuple[str, ...] = (), log: Callable[[str], None] | None = None,
                 stage: Callable[[str], None] | None = None) -> Run:
    """Load, build, solve and tabulate one scenario. Raises ScenarioError on bad input."""
    stage = stage or (lambda _s: None)
    stage("reading the scenario")
    loaded = load_scenario(path, sets)
    return run_loaded(loaded, log=log, stage=stage)


def run_loaded(loaded: LoadedScenario, log=None, stage=None, flip: bool | None = None, workers: int = 1,
               scheduler: str | None = None, flip_progress=None,
               scheduler_timeout: float = DEFAULT_TIMEOUT_S) -> Run:
    """Build, solve and tabulate a loaded scenario. Raises ScenarioError on bad input and
    ``interrupt.Interrupted`` on Ctrl-C (checked between stages, for workers that only note it).

    ``flip`` (default: options.flip_tariffs) also searches every candidate's flip tariff
    (flip.py) on ``workers`` local processes or a Dask ``scheduler`` (waited for at most
    ``scheduler_timeout`` seconds, cluster.py: ClusterError when it cannot run the search), telling
    ``flip_progress`` (flip.flip_tariffs) of each re-solve."""
    stage = stage or (lambda _s: None)
    scenario = loaded.scenario
    interrupt.check()
    if scenario.uncertainty is not None:  # several futures, one plan (SPEC §3.4)
        from .stochastic.run import run_uncertain

        return run_uncertain(loaded, log=log, stage=stage, flip=flip)
    one_future = [t for t in scenario.targets if t.scenario is not None]
    if one_future:
        t = one_future[0]
        raise ScenarioError([Problem(str(loaded.path), f"targets[{t.scope}@{t.year}@{t.scenario}].scenario",
                                     f"the target holds in future '{t.scenario}', but the scenario has no "
                                     f"uncertainty block naming its futures")])
    try:
        data = build_model_data(scenario, str(loaded.path))
    except ScenarioError as exc:
        raise loaded.blame_sets(exc) from None
    stage("building the model")
    t0 = time.perf_counter()
    model = build_model(data)
    build_seconds = time.perf_counter() - t0
    interrupt.check()
    solver = scenario.options.solver
    settings = SolverSettings(solver.time_limit_s, solver.mip_gap, solver.threads, log, solver.method,
                              solver.highs())
    bad = check_highs_options(settings.options)
    if bad:
        problems = []
        for name, why in bad:
            file, line = loaded.where(("options", "solver", "highs_options", name))  # the file or the --set
            problems.append(Problem(file, f"options.solver.highs_options.{name}", why, line))
        raise ScenarioError(problems)
    stage("solving with HiGHS")
    second_stage = data.perspective == "importer"  # solves this model again
    result = solve_model(model, settings, want_duals=solver.marginal_values, release=not second_stage,
                         questions=import_questions(data, solver.import_costs))
    if second_stage and result.status in ("optimal", "feasible"):
        stage("among the importer's least-cost plans, the one of least resource cost")
        _least_resource_cost(model, data, result, settings)
    result.build_seconds = build_seconds
    tables: dict[str, pd.DataFrame] = {}
    diagnosis = None
    if result.status in ("optimal", "feasible"):
        stage("writing the tables")
        tables = result_tables(model, data, result)
        if flip if flip is not None else scenario.options.flip_tariffs:
            stage("searching flip tariffs (re-solving the importer's plan)")
            _add_flip_tariffs(tables, scenario, data, workers, scheduler, solver.time_limit_s, flip_progress,
                              scheduler_timeout)
        if scenario.time.aggregation_error:  # hourly profiles aggregated to representative periods
            tables["aggregation"] = pd.DataFrame(scenario.time.aggregation_error)
    elif result.status == "infeasible" and data.strict_targets:
        stage("diagnosing the infeasible strict targets")
        diagnosis = diagnose_targets(data, settings)
    summary = {
        "scenario": scenario.name,
        "status": result.status,
        "objective_musd": result.objective_musd,
        "mip_gap": result.mip_gap,
        "accepted": solver.gap_accepted(result.status, result.mip_gap),
        "build_seconds": round(build_seconds, 4),
        "handoff_seconds": round(result.handoff_seconds, 4),
        "solve_seconds": round(result.solve_seconds, 4),
        "n_variables": result.n_variables,
        "n_constraints": result.n_constraints,
        "build_mode": data.build_mode,
        "excluded_by_tariff": data.excluded_by_tariff,
        "solver": "highs",
        "versions": versions(),
        "input_sha256": loaded.input_sha256,
        "message": _message(result),
        "warnings": list(data.notes) + list(result.warnings),
        "objective_scale": result.objective_scale,
        "coefficient_ranges": result.coefficient_ranges,
    }
    if tables:
        summary["warnings"] += _unseen_shortfalls(tables["imports"], data, result.objective_scale)
        summary.update(payers.views_summary(tables["costs"], tables["payments"], data))
        imports = tables["imports"]
        summary["energy_shortfall_gwh"] = float(imports["energy_shortfall_gwh"].fillna(0).sum())
        summary["capacity_shortfall_mw"] = float(imports["capacity_shortfall_mw"].fillna(0).sum())
    return Run(loaded, data, result, tables, summary, diagnosis)


def _unseen_shortfalls(imports: pd.DataFrame, data: ModelData, scale: float) -> list[str]:
    """A shortfall whose penalty, discounted to the base year, weighs less in the objective than
    HiGHS's tolerance (1e-7 per unit of what it solves): the plan could not see it, so say so."""
    notes = []
    penalties = (("energy_shortfall_gwh", data.shortfall_penalty_usd_per_mwh, "GWh"),
                 ("capacity_shortfall_mw", data.capacity_shortfall_penalty_usd_per_kw_year, "MW"))
    for r in imports.itertuples():
        for column, penalty, unit in penalties:
            short = getattr(r, column, None)
            if short is None or not short > 1e-6 or not penalty or r.year not in data.weight:
                continue
            weighed = data.weight[r.year] * penalty / 1000.0  # MUSD in the objective per unit short
            if weighed * (scale or 1.0) < 1e-7:
                notes.append(f"target {r.scope} {r.year} is {short:,.0f} {unit} short, but a {unit} short then "
                             f"weighs {weighed:.1e} MUSD in the objective (discounted), "
                             f"within the solver's tolerance: the plan cannot see it. Use strict_targets, a "
                             f"lower horizon.discount_rate, or an earlier horizon")
    return notes


def import_questions(data: ModelData, import_costs: bool | None = None) -> ImportQuestions:
    """What measures.py asks of the solved LP for imports.csv: per scope (targets, limits and the
    importing country) the cost of more imports; per row of imports.csv the firm MW."""
    energy_scopes = {t for t, _ in data.energy_targets}
    firm = {**{n: [n] for n in data.importing_nodes}, **data.scope_nodes}
    return ImportQuestions(scopes=dict(data.scope_nodes), years=list(data.years), weight=dict(data.weight),
                           hours=dict(data.hours), peak_slices=list(data.peak_slices),
                           one_year_scopes=[t for t in data.scope_nodes if t not in energy_scopes],
                           firm_scopes=firm, import_costs=import_costs)


def _least_resource_cost(model, data: ModelData, result: SolveResult, settings: SolverSettings) -> None:
    """The importer pays for energy, not capacity: plants it signs and never buys from cost it
    nothing, so its least-cost plan is not unique. Second stage (lexicographic): keep the importer's
    cost at its optimum and minimise the resource cost (VIEWS['system']), so nothing is built that
    the importer's plan does not need. The values are the second stage's, the duals the first's
    (the importer's prices); the objective stays the importer's cost."""
    from .formulation import arrays
    from .formulation.objective import VIEWS, total_cost

    bound = result.objective_musd
    cap = arrays.ArrayRows.from_linears("importer_cost_cap", [None], [model.total_cost.expr], arrays.LE,
                                        [bound + 1e-9 * max(1.0, abs(bound))])
    arrays.add_rows(model, cap)
    model.total_cost.deactivate()
    arrays.add_objective(model, "resource_cost", total_cost(model, data, VIEWS["system"]))
    second = solve_model(model, dataclasses.replace(settings, log=None), want_duals=False)
    if second.status in ("optimal", "feasible"):
        result.objective_musd = model.total_cost.expr.value()
        result.solve_seconds += second.solve_seconds
        result.handoff_seconds += second.handoff_seconds
        result.warnings = list(dict.fromkeys(result.warnings + second.warnings))
    model.resource_cost.deactivate()
    model.total_cost.activate()


def _add_flip_tariffs(tables: dict, scenario, data: ModelData, workers: int, scheduler: str | None,
                      time_limit_s: float, progress=None, scheduler_timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Fill tariffs.csv's flip_tariff_usd_per_mwh (and flip_note) from flip.py's search."""
    from .flip import flip_tariffs

    found = flip_tariffs(scenario, data, workers, scheduler, time_limit_s, progress, scheduler_timeout)
    tariffs = tables["tariffs"]
    tariffs["flip_tariff_usd_per_mwh"] = tariffs.project.map(
        {p: r.flip_tariff_usd_per_mwh for p, r in found.items()}).astype(float)
    tariffs["flip_note"] = tariffs.project.map({p: r.note for p, r in found.items()}).fillna("")


def _message(result: SolveResult) -> str:
    """One line: HiGHS's model status, then its warnings (also listed in ``warnings``)."""
    return "; ".join([f"HiGHS: {result.message}" if result.message else "", *result.warnings]).strip("; ")


SHORTFALLS = {"energy_shortfall": "energy_shortfall_gwh", "capacity_shortfall": "capacity_shortfall_mw",
              "contracted_shortfall": "contracted_shortfall_mw"}


def diagnose_targets(data: ModelData, settings: SolverSettings) -> pd.DataFrame:
    """Which strict targets cannot be met, by how much at least, and what stops them.

    The targets are relaxed and the total shortfall minimised, with no cost at all (so no penalty,
    however high, decides what is "unmeetable"); each target still short is then minimised alone,
    since targets may compete for a shared limit. What binds is read from the duals of the
    shortfall-minimising LP (integer choices fixed) and the plan, in scenario terms: full links,
    node and scope import limits, build-rate and budget limits, candidates outside their build
    window in that year, and candidates the tariff ceiling excludes.
    """
    import pyomo.core as pyo

    relaxed = dataclasses.replace(data, strict_targets=False)
    model = build_model(relaxed)
    model.total_cost.deactivate()
    shortfalls = [getattr(model, name)[key] for name in SHORTFALLS for key in getattr(model, name)]
    model.least_shortfall = pyo.Objective(expr=sum(shortfalls))
    quiet = dataclasses.replace(settings, log=None)
    result = solve_model(model, quiet, want_duals=True, reduced_costs=True)  # _binding reads them
    columns = ["scope", "year", "target_energy_gwh", "energy_shortfall_gwh", "target_capacity_mw",
               "capacity_shortfall_mw", "target_contracted_mw", "contracted_shortfall_mw", "binds"]
    if result.status not in ("optimal", "feasible"):
        return pd.DataFrame(columns=columns)
    short = {(t, y): {} for name in SHORTFALLS for (t, y) in getattr(model, name)
             if (getattr(model, name)[t, y].value or 0.0) > 1e-6}
    binds = _binding(model, relaxed, result)
    for name in SHORTFALLS:  # confirm each alone: the least shortfall it can have, whatever the others
        for (t, y), var in getattr(model, name).items():
            if (t, y) not in short or (var.value or 0.0) <= 1e-6:
                continue
            model.least_shortfall.deactivate()
            model.alone = pyo.Objective(expr=var)
            alone = solve_model(model, quiet, want_duals=False)
            model.del_component(model.alone)
            model.least_shortfall.activate()
            if alone.status in ("optimal", "feasible"):
                short[(t, y)][SHORTFALLS[name]] = alone.objective_musd  # the objective is the shortfall
    rows = []
    for (t, y), found in sorted(short.items()):
        found = {k: v for k, v in found.items() if v > 1e-6}
        if not found:
            continue
        rows.append({"scope": t, "year": y, "target_energy_gwh": relaxed.energy_targets.get((t, y)),
                     "energy_shortfall_gwh": found.get("energy_shortfall_gwh"),
                     "target_capacity_mw": relaxed.capacity_targets.get((t, y)),
                     "capacity_shortfall_mw": found.get("capacity_shortfall_mw"),
                     "target_contracted_mw": relaxed.contracted_targets.get((t, y)),
                     "contracted_shortfall_mw": found.get("contracted_shortfall_mw"),
                     "binds": "; ".join(binds.get(y, [])) or "nothing else can be built or run in time"})
    frame = pd.DataFrame(rows, columns=columns)
    return frame.dropna(axis=1, how="all")


def _binding(model, data: ModelData, result: SolveResult) -> dict[int, list[str]]:
    """Per modelled year, what keeps the shortfall from falling, in scenario terms."""
    out: dict[int, list[str]] = {}

    def add(y: int, text: str) -> None:
        if text not in out.setdefault(y, []):
            out[y].append(text)

    duals = result.long_run_duals or result.duals
    full: dict[tuple[str, int], list[str]] = {}
    for (name, index), dual in duals.items():
        if abs(dual) <= 1e-9:
            continue
        if name == "link_capacity":
            full.setdefault((index[0], index[1]), []).append(index[2])
        elif name == "scope_import_limit":
            add(index[1], f"limits.max_import_mw_by_scope.{index[0]} ({data.max_import_mw_by_scope[index[0]]:g} MW)")
        elif name == "max_new_capacity":
            add(index if isinstance(index, int) else index[0],
                f"limits.max_new_capacity_mw_per_year ({data.max_new_capacity_mw_per_year:g} MW)")
        elif name == "capex_budget":
            add(index if isinstance(index, int) else index[0],
                f"limits.capex_budget_musd_per_year ({data.capex_budget_musd_per_year:g} MUSD)")
    for (name, index), reduced in result.long_run_column_duals.items():  # an existing link's bound
        if name == "flow" and abs(reduced) > 1e-9:
            var = model.flow[index]
            if var.ub is not None and (var.value or 0.0) >= var.ub - 1e-6:
                full.setdefault((index[0], index[1]), []).append(index[2])
    for (lk, y), slices in sorted(full.items()):
        add(y, f"link {lk} full ({', '.join(dict.fromkeys(slices))})")
    for (n, y, s), var in model.imports.items():
        bound = data.max_import_mw.get(n)
        if bound is not None and (var.value or 0.0) >= bound - 1e-6:
            add(y, f"nodes.{n}.max_import_mw ({bound:g} MW)")
    windows: dict[int, list[str]] = {}
    for a, r in data.assets.iterrows():
        if r.status != "candidate" or r.excluded:
            continue
        for y in data.years:
            if not data.can_be_online(a, y):
                windows.setdefault(y, []).append(a)
    for y, assets in windows.items():
        shown = ", ".join(assets[:6]) + (f" and {len(assets) - 6} more" if len(assets) > 6 else "")
        add(y, f"build windows: {shown} cannot be online yet")
    if data.excluded_by_tariff:
        for y in data.years:
            add(y, f"tariff ceiling excludes {', '.join(data.excluded_by_tariff)}")
    return out
