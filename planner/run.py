"""One scenario, end to end, as one pipeline of named stages (SPEC §3-§4):

    load -> data -> model -> solve -> analyses -> tables -> summary -> write

- ``load``: the scenario files read and validated (scenario/); ``model_data``: its ModelData (data.py);
- ``build_model`` (formulation/) and ``solve_model`` (solve.py: the hand-off and HiGHS, prices included);
- analyses, each a module below this one: the importer's second stage (second_stage.py), the flip
  tariffs (flip.py, on the job runner jobs.py), the strict-target diagnosis (diagnosis.py), the
  payers' views (payers.py);
- ``result_tables`` (results.py), the summary (summary.json's fields), and ``write`` (io/writers.py).

``run_loaded`` runs them for ``planner solve``, ``planner sweep`` (its jobs), ``planner explore``
(its base run) and tests; it returns the tables and the summary and writes nothing, so the caller
decides where the results go (``write``). Every stage's seconds go to ``Run.timings`` and
summary.json's ``timings`` (timings.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pandas as pd

from . import interrupt, payers
from .cluster import DEFAULT_TIMEOUT_S
from .data import ModelData
from .diagnosis import diagnose_targets
from .flip import add_flip_tariffs
from .formulation import build_model
from .inputs import load, model_data, validated
from .measures import import_questions
from .outcome import Run, solver_message
from .results import result_tables
from .scenario import LoadedScenario
from .scenario.errors import Problem, ScenarioError
from .second_stage import least_resource_cost
from .solve import SolveResult, SolverSettings, check_highs_options, solve_model, versions
from .timings import Timings

__all__ = ["Run", "run_scenario", "run_loaded", "load", "model_data", "validated", "solver_settings",
           "run_summary", "write"]


def solver_settings(loaded: LoadedScenario, log: Callable[[str], None] | None = None) -> SolverSettings:
    """options.solver as HiGHS settings; a HiGHS option HiGHS refuses is bad input (ScenarioError
    naming the file, or the --set, that gave it)."""
    solver = loaded.scenario.options.solver
    settings = SolverSettings(solver.time_limit_s, solver.mip_gap, solver.threads, log, solver.method,
                              solver.highs())
    bad = check_highs_options(settings.options)
    if bad:
        problems = []
        for name, why in bad:
            file, line = loaded.where(("options", "solver", "highs_options", name))  # the file or the --set
            problems.append(Problem(file, f"options.solver.highs_options.{name}", why, line))
        raise ScenarioError(problems)
    return settings


def run_scenario(path: str | Path, sets: tuple[str, ...] = (), log: Callable[[str], None] | None = None,
                 stage: Callable[[str], None] | None = None) -> Run:
    """Load, build, solve and tabulate one scenario. Raises ScenarioError on bad input."""
    stage = stage or (lambda _s: None)
    stage("reading the scenario")
    timings = Timings.from_process_start()
    loaded = load(path, sets, timings)
    return run_loaded(loaded, log=log, stage=stage, timings=timings)


def run_loaded(loaded: LoadedScenario, log=None, stage=None, flip: bool | None = None, workers: int = 1,
               scheduler: str | None = None, flip_progress=None,
               scheduler_timeout: float = DEFAULT_TIMEOUT_S, timings: Timings | None = None) -> Run:
    """The pipeline after ``load``: data, model, solve, analyses, tables and summary. Raises
    ScenarioError on bad input and ``interrupt.Interrupted`` on Ctrl-C (checked between stages,
    for workers that only note it).

    ``flip`` (default: options.flip_tariffs) also searches every candidate's flip tariff
    (flip.py) on ``workers`` local processes or a Dask ``scheduler`` (waited for at most
    ``scheduler_timeout`` seconds, cluster.py: ClusterError when it cannot run the search), telling
    ``flip_progress`` (flip.flip_tariffs) of each re-solve. ``timings`` (timings.Timings, e.g. with
    the imports and load of the caller) gains each stage's seconds; it is ``Run.timings``."""
    stage = stage or (lambda _s: None)
    timings = timings if timings is not None else Timings()
    scenario = loaded.scenario
    interrupt.check()
    if scenario.uncertainty is not None:  # several futures, one plan (SPEC §3.4): its own pipeline
        from .stochastic.run import run_uncertain

        with timings("futures"):
            run = run_uncertain(loaded, log=log, stage=stage, flip=flip)
        run.timings = timings
        run.summary["timings"] = timings.rounded()
        return run
    _no_futures_named(loaded)
    with timings("data"):
        data = model_data(loaded)
    stage("building the model")
    with timings("build"):
        model = build_model(data)
    interrupt.check()
    clock = _LastLine(log)
    settings = solver_settings(loaded, clock)
    solver = scenario.options.solver
    stage("solving with HiGHS")
    second_stage = data.perspective == "importer"  # solves this model again
    t0 = time.perf_counter()
    result = solve_model(model, settings, want_duals=solver.marginal_values, release=not second_stage,
                         questions=import_questions(data, solver.import_costs))
    settings.log = log
    timings.add("handoff", result.handoff_seconds)
    # HiGHS's own solve ends with its last log line (the prices' re-solves log nothing); the rest of
    # solve_seconds is the prices: their re-solves and the reading of duals
    highs = min(result.solve_seconds, max(0.0, (clock.last or t0) - t0 - result.handoff_seconds))
    timings.add("solve", highs)
    timings.add("prices", result.solve_seconds - highs)
    result.build_seconds = timings["build"]
    solved = result.status in ("optimal", "feasible")
    if second_stage and solved:
        stage("among the importer's least-cost plans, the one of least resource cost")
        with timings("analyses"):
            least_resource_cost(model, data, result, settings)
    tables: dict[str, pd.DataFrame] = {}
    diagnosis = None
    if solved:
        stage("writing the tables")
        with timings("tables"):
            tables = result_tables(model, data, result)
        if flip if flip is not None else scenario.options.flip_tariffs:
            stage("searching flip tariffs (re-solving the importer's plan)")
            with timings("analyses"):
                add_flip_tariffs(tables, scenario, data, workers, scheduler, solver.time_limit_s, flip_progress,
                                 scheduler_timeout)
        if scenario.time.aggregation_error:  # hourly profiles aggregated to representative periods
            tables["aggregation"] = pd.DataFrame(scenario.time.aggregation_error)
    elif result.status == "infeasible" and data.strict_targets:
        stage("diagnosing the infeasible strict targets")
        with timings("analyses"):
            diagnosis = diagnose_targets(data, settings)
    with timings("analyses"):
        summary = run_summary(loaded, data, result, tables)
    summary["timings"] = timings.rounded()
    return Run(loaded, data, result, tables, summary, diagnosis, timings=timings)


class _LastLine:
    """A HiGHS log receiver that notes when the last line came, and passes each to ``forward``."""

    def __init__(self, forward: Callable[[str], None] | None):
        self.forward = forward
        self.last: float | None = None

    def __call__(self, line: str) -> None:
        self.last = time.perf_counter()
        if self.forward is not None:
            self.forward(line)


def _no_futures_named(loaded: LoadedScenario) -> None:
    """A target that holds in one future needs the uncertainty block that names the futures."""
    one_future = [t for t in loaded.scenario.targets if t.scenario is not None]
    if one_future:
        t = one_future[0]
        raise ScenarioError([Problem(str(loaded.path), f"targets[{t.scope}@{t.year}@{t.scenario}].scenario",
                                     f"the target holds in future '{t.scenario}', but the scenario has no "
                                     f"uncertainty block naming its futures")])


def run_summary(loaded: LoadedScenario, data: ModelData, result: SolveResult, tables: dict) -> dict:
    """summary.json's fields (docs/outputs.md), but ``timings``; the payers' views (payers.py) and
    the shortfalls when there are tables."""
    scenario, solver = loaded.scenario, loaded.scenario.options.solver
    summary = {
        "scenario": scenario.name,
        "status": result.status,
        "objective_musd": result.objective_musd,
        "mip_gap": result.mip_gap,
        "accepted": solver.gap_accepted(result.status, result.mip_gap),
        "build_seconds": round(result.build_seconds, 4),
        "handoff_seconds": round(result.handoff_seconds, 4),
        "solve_seconds": round(result.solve_seconds, 4),
        "n_variables": result.n_variables,
        "n_constraints": result.n_constraints,
        "build_mode": data.build_mode,
        "excluded_by_tariff": data.excluded_by_tariff,
        "solver": "highs",
        "versions": versions(),
        "input_sha256": loaded.input_sha256,
        "message": solver_message(result),
        "warnings": list(data.notes) + list(result.warnings),
        "objective_scale": result.objective_scale,
        "coefficient_ranges": result.coefficient_ranges,
    }
    if tables:
        summary["warnings"] += _unseen_shortfalls(tables["imports"], data, result.objective_scale)
        if "offtake" in tables:  # region.trace_offtake: a least-squares sharing is said
            summary["warnings"] += tables["offtake"].attrs.get("warnings", [])
        summary.update(payers.views_summary(tables["costs"], tables["payments"], data))
        imports = tables["imports"]
        summary["energy_shortfall_gwh"] = float(imports["energy_shortfall_gwh"].fillna(0).sum())
        summary["capacity_shortfall_mw"] = float(imports["capacity_shortfall_mw"].fillna(0).sum())
    return summary


def write(run: Run, target: str | Path, force: bool = False, workbook: bool = True, parquet: bool = False,
          command: str = "planner solve") -> Path:
    """Stage ``write``: the run's tables, summary.json (its ``timings`` gain ``files``) and the
    resolved scenario into ``target``, atomically (io/writers.py, io/safety.py)."""
    from .io.writers import write_results

    return write_results(target, run.tables, run.summary, run.loaded.resolved_yaml(), force=force, workbook=workbook,
                         protected=run.loaded.files, command=command, parquet=parquet)


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
