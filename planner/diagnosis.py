"""The strict-target diagnosis (SPEC §3): when strict targets make a scenario infeasible, which of
them cannot be met, by how much at least, and what stops them, in scenario terms.

An analysis of run.py's pipeline (its "analyses" stage, on an infeasible run with strict targets):
it builds and solves its own relaxed model and imports nothing above it.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from .data import ModelData
from .formulation import build_model
from .solve import SolveResult, SolverSettings, solve_model

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
    result = solve_model(model, quiet, want_duals=True, reduced_costs=True)  # binding_limits reads them
    columns = ["scope", "year", "target_energy_gwh", "energy_shortfall_gwh", "target_capacity_mw",
               "capacity_shortfall_mw", "target_contracted_mw", "contracted_shortfall_mw", "binds"]
    if result.status not in ("optimal", "feasible"):
        return pd.DataFrame(columns=columns)
    short = {(t, y): {} for name in SHORTFALLS for (t, y) in getattr(model, name)
             if (getattr(model, name)[t, y].value or 0.0) > 1e-6}
    binds = binding_limits(model, relaxed, result)
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


def binding_limits(model, data: ModelData, result: SolveResult) -> dict[int, list[str]]:
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
