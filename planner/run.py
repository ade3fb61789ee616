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

from . import interrupt
from .data import ModelData, build_model_data
from .formulation import build_model
from .results import result_tables
from .scenario import LoadedScenario, load_scenario
from .solve import SolveResult, SolverSettings, solve_model, versions


@dataclass
class Run:
    loaded: LoadedScenario
    data: ModelData
    result: SolveResult
    tables: dict[str, pd.DataFrame]
    summary: dict
    diagnosis: pd.DataFrame | None = None  # strict targets that cannot be met, when infeasible


def run_scenario(path: str | Path, sets: tuple[str, ...] = (), log: Callable[[str], None] | None = None,
                 stage: Callable[[str], None] | None = None) -> Run:
    """Load, build, solve and tabulate one scenario. Raises ScenarioError on bad input."""
    stage = stage or (lambda _s: None)
    stage("reading the scenario")
    loaded = load_scenario(path, sets)
    return run_loaded(loaded, log=log, stage=stage)


def run_loaded(loaded: LoadedScenario, log=None, stage=None) -> Run:
    """Build, solve and tabulate a loaded scenario. Raises ScenarioError on bad input and
    ``interrupt.Interrupted`` on Ctrl-C (checked between stages, for workers that only note it)."""
    stage = stage or (lambda _s: None)
    scenario = loaded.scenario
    interrupt.check()
    data = build_model_data(scenario, str(loaded.path))
    stage("building the model")
    t0 = time.perf_counter()
    model = build_model(data)
    build_seconds = time.perf_counter() - t0
    interrupt.check()
    solver = scenario.options.solver
    settings = SolverSettings(solver.time_limit_s, solver.mip_gap, solver.threads, log, solver.method)
    stage("solving with HiGHS")
    result = solve_model(model, settings)
    result.build_seconds = build_seconds
    tables: dict[str, pd.DataFrame] = {}
    diagnosis = None
    if result.status in ("optimal", "feasible"):
        stage("writing the tables")
        tables = result_tables(model, data, result)
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
        "warnings": list(result.warnings),
        "objective_scale": result.objective_scale,
        "coefficient_ranges": result.coefficient_ranges,
    }
    if tables:
        imports = tables["imports"]
        summary["energy_shortfall_gwh"] = float(imports["energy_shortfall_gwh"].fillna(0).sum())
        summary["capacity_shortfall_mw"] = float(imports["capacity_shortfall_mw"].fillna(0).sum())
    return Run(loaded, data, result, tables, summary, diagnosis)


def _message(result: SolveResult) -> str:
    """One line: HiGHS's model status, then its warnings (also listed in ``warnings``)."""
    return "; ".join([f"HiGHS: {result.message}" if result.message else "", *result.warnings]).strip("; ")


def diagnose_targets(data: ModelData, settings: SolverSettings) -> pd.DataFrame:
    """Re-solve with priced shortfall to show which strict targets cannot be met, and by how much."""
    relaxed = dataclasses.replace(data, strict_targets=False)
    model = build_model(relaxed)
    result = solve_model(model, dataclasses.replace(settings, log=None), want_duals=False)
    if result.status not in ("optimal", "feasible"):
        return pd.DataFrame(columns=["scope", "year", "energy_shortfall_gwh", "capacity_shortfall_mw"])
    imports = result_tables(model, relaxed, result)["imports"]
    contracted = ["target_contracted_mw", "contracted_shortfall_mw"] if relaxed.contracted_targets else []
    short = imports[(imports.energy_shortfall_gwh.fillna(0) > 1e-6) | (imports.capacity_shortfall_mw.fillna(0) > 1e-6)
                    | (imports.contracted_shortfall_mw.fillna(0) > 1e-6)]
    return short[["scope", "year", "target_energy_gwh", "energy_shortfall_gwh", "target_capacity_mw",
                  "capacity_shortfall_mw", *contracted]].reset_index(drop=True)
