"""Flip tariffs: the tariff at which the importer's least-cost plan changes its decision on a
candidate (SPEC §3.2), found by re-solving.

For each candidate c, other things equal, the importer's plan (``perspective: importer``) is
solved at trial tariffs of c and bisected between a tariff at which c is chosen and one at which
it is not, to FLIP_STEP USD/MWh. The model is built and compiled once per candidate; a trial only
changes c's cost coefficients (its tariff enters the objective linearly, through its generation or
its take-or-pay energy) and re-runs HiGHS. Candidates are searched in parallel by the job runner
(jobs.py: local processes, or a Dask cluster). An analysis of run.py's pipeline: it imports
nothing above it (not run.py, not sweep.py).

"Chosen" means built and bought from: the importer pays for energy taken (plus any take-or-pay
share), so without take-or-pay a plant built but not dispatched costs it nothing and is not a
purchase decision.

The ceiling is lifted for the candidate searched (its tariff is the thing varied), so a candidate
the ceiling excludes gets the tariff at which the importer would take it, to set beside the
ceiling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cluster import DEFAULT_TIMEOUT_S

FLIP_STEP = 0.1  # USD/MWh


@dataclass
class FlipResult:
    project: str
    flip_tariff_usd_per_mwh: float  # the highest tariff at which it is chosen (not chosen FLIP_STEP above)
    note: str  # "" or why there is no flip (never chosen / chosen at any tariff up to ...)
    solves: int


def _importer_scenario(scenario, project: str):
    """The scenario in the importer's perspective, with c's offer set to 0 (so no ceiling excludes
    it: the search sets its tariff)."""
    options = scenario.options.model_copy(update={"perspective": "importer"})
    projects = [p.model_copy(update={"tariff_usd_per_mwh": 0.0}) if p.id == project else p for p in scenario.projects]
    return scenario.model_copy(update={"options": options, "projects": projects})


def flip_job(scenario, project: str, tested_tariff: float, time_limit_s: float = 600.0,
             report=None) -> FlipResult:
    """Bisect one candidate's flip tariff (runs in a worker: plain data in and out). ``report``
    (a queue, or anything with ``put``) is given ("solve", project, tariff, chosen) after each
    re-solve, for the progress shown while the search runs."""
    from .data import build_model_data
    from .formulation import build_model
    from .solve import Compiled, SolverSettings, make_highs, run_from, run_highs

    data = build_model_data(_importer_scenario(scenario, project))
    m = build_model(data)
    compiled = Compiled(m)
    # d: d objective / d tariff of c, per column (MUSD per USD/MWh), in HiGHS's scaled units
    per_unit = np.zeros(compiled.n_columns)
    builds = []
    gens = []
    paid = set(getattr(m, "paid_energy_index", ()))
    row = data.projects.loc[project]
    rate, since = float(row.tariff_escalation_per_year), int(row.tariff_base_year)

    def escalated(y: int) -> float:  # the tariff searched is the base-year tariff; year y pays it escalated
        return (1.0 + rate) ** (y - since)

    for name in ("gen", "paid_energy", "build"):
        positions, keys = compiled.columns_of(name)
        for j, index in zip(positions.tolist(), keys):
            if index[0] != project:
                continue
            if name == "gen":
                gens.append(j)
                if (project, index[1]) not in paid:
                    per_unit[j] = data.weight[index[1]] * data.hours[index[2]] / 1e6 * escalated(index[1])
            elif name == "paid_energy":
                per_unit[j] = data.weight[index[1]] / 1000.0 * escalated(index[1])
            else:
                builds.append(j)
    if not builds or not gens:
        return FlipResult(project, math.nan, "cannot be built in any modelled year (build window)", 0)
    base_cost = compiled.cost
    scaled = per_unit * compiled.scale
    h = make_highs(SolverSettings(time_limit_s=time_limit_s, mip_gap=0.0), lp=not compiled.integer.any())
    compiled.pass_to(h)
    solves = 0
    cols = np.arange(len(base_cost), dtype=np.int32)
    last = None  # the last trial's plan: feasible at any tariff (only costs change), a MIP's start

    def chosen(tariff: float) -> bool:
        nonlocal solves, last
        solves += 1
        cost = base_cost + tariff * scaled
        h.changeColsCost(len(cols), cols, cost)
        if last is not None and compiled.integer.any():
            run_from(h, cols, last)
        else:
            run_highs(h)
        x = np.asarray(h.getSolution().col_value)
        last = x if h.getInfo().primal_solution_status == 2 else None  # 2: a feasible solution
        taken = bool(x[builds].sum() > 1e-6 and x[gens].sum() > 1e-6)
        if report is not None:
            report.put(("solve", project, float(tariff), taken))
        return taken

    top = max(4 * tested_tariff, data.shortfall_penalty_usd_per_mwh, 200.0)
    # bracket: steps of 4, 8, 16, ... USD/MWh away from the tested tariff (flips are mostly near it)
    step = 4.0
    if chosen(tested_tariff):
        lo = hi = tested_tariff
        while True:
            hi = min(lo + step, top)
            if not chosen(hi):
                break
            if hi >= top:
                return FlipResult(project, math.nan, f"chosen at any tariff up to {top:g}", solves)
            lo, step = hi, step * 2
    else:
        lo = hi = tested_tariff
        while True:
            lo = max(hi - step, 0.0)
            if chosen(lo):
                break
            if lo <= 0.0:
                return FlipResult(project, math.nan, "not chosen even at a tariff of 0", solves)
            hi, step = lo, step * 2
    while hi - lo > FLIP_STEP / 2:  # chosen at lo, not at hi
        mid = (lo + hi) / 2
        if chosen(mid):
            lo = mid
        else:
            hi = mid
    # r <= lo is chosen; r + FLIP_STEP >= lo + 0.09 >= hi is not (hi - lo <= 0.05)
    return FlipResult(project, math.floor(lo * 100) / 100, "", solves)


class _Direct:
    """A report queue for a search run in this process: each event goes straight to ``progress``."""

    def __init__(self, progress):
        self.progress = progress

    def put(self, event) -> None:
        self.progress(event)


def flip_tariffs(scenario, data, workers: int = 1, scheduler: str | None = None,
                 time_limit_s: float = 600.0, progress=None,
                 scheduler_timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, FlipResult]:
    """Flip tariff of every candidate project, searched in parallel (the job runner, jobs.py).

    ``progress`` (optional) is called, in this process, with ("start", number of candidates),
    ("solve", project, tariff, chosen) after every re-solve (local processes pass them through a
    queue; a Dask cluster's workers do not report their re-solves) and ("done", project,
    FlipResult) as each candidate's search ends."""
    from .jobs import run_jobs

    candidates = [p for p in data.projects.index if data.assets.at[p, "status"] == "candidate"
                  and p not in data.storage]  # a store has no tariff of its own to flip
    tested = data.projects["tariff_usd_per_mwh"]
    report, drain, manager = None, None, None
    if progress is not None:
        progress(("start", len(candidates)))
        if scheduler is None and workers <= 1:  # run_jobs searches in this process
            report = _Direct(progress)
        elif scheduler is None:
            progress = _one_at_a_time(progress)  # called by the thread that drains the queue too
            report, drain, manager = _queue(progress)
    jobs = {p: (scenario, p, float(tested[p]), time_limit_s, report) for p in candidates}
    out = {}
    try:
        for p, result in run_jobs(flip_job, jobs, workers, scheduler, scheduler_timeout):
            out[p] = result if isinstance(result, FlipResult) else FlipResult(p, math.nan, str(result), 0)  # JobFailed
            if progress is not None:
                if drain is not None:
                    drain()  # this candidate's re-solves are shown before it is said done
                progress(("done", p, out[p]))
    finally:
        if manager is not None:
            manager.shutdown()
    return out


def add_flip_tariffs(tables: dict, scenario, data, workers: int = 1, scheduler: str | None = None,
                     time_limit_s: float = 600.0, progress=None,
                     scheduler_timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Fill tariffs.csv's flip_tariff_usd_per_mwh (and flip_note) from the search (flip_tariffs)."""
    found = flip_tariffs(scenario, data, workers, scheduler, time_limit_s, progress, scheduler_timeout)
    tariffs = tables["tariffs"]
    tariffs["flip_tariff_usd_per_mwh"] = tariffs.project.map(
        {p: r.flip_tariff_usd_per_mwh for p, r in found.items()}).astype(float)
    tariffs["flip_note"] = tariffs.project.map({p: r.note for p, r in found.items()}).fillna("")


def _one_at_a_time(progress):
    """``progress`` behind a lock: the main thread and the queue's drain thread both call it."""
    import threading

    lock = threading.Lock()

    def call(event) -> None:
        with lock:
            progress(event)

    return call


def _queue(progress):
    """A queue the worker processes report their re-solves to, and a function that passes what
    they reported so far to ``progress`` (a thread drains it while the search runs)."""
    import queue as queues
    import threading
    from multiprocessing import get_context

    from . import interrupt

    with interrupt.ignored():  # Ctrl-C is the search's to handle: the queue's process only ends with it
        manager = get_context("spawn").Manager()
    events = manager.Queue()
    lock = threading.Lock()
    stopped = threading.Event()

    def drain() -> None:
        with lock:
            while True:
                try:
                    event = events.get_nowait()
                except (queues.Empty, EOFError, OSError):
                    return
                progress(event)

    def watch() -> None:
        while not stopped.wait(0.2):
            try:
                drain()
            except Exception:  # noqa: BLE001 - the manager has gone (the search ended): nothing left
                return

    thread = threading.Thread(target=watch, name="planner-flip-progress", daemon=True)
    thread.start()

    class Manager:
        @staticmethod
        def shutdown() -> None:
            stopped.set()
            thread.join()
            manager.shutdown()

    return events, drain, Manager
