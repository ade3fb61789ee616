"""Many runs of one study (``planner sweep``, SPEC §5): variant files and/or a grid of ``--set`` values,
solved in parallel on local processes or on a Dask distributed cluster, written into one folder
with an index table and a comparison workbook.

Each run is loaded and validated here, in the calling process, so a mistake in one run's values is
reported before anything is solved and the others go on; the solver job gets the validated scenario
(tables already inlined) and returns tables, not files, so workers need neither the scenario files
nor a shared disk.
"""

from __future__ import annotations

import itertools
import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

from .cluster import DEFAULT_TIMEOUT_S
from .jobs import JobFailed, run_jobs
from .io.safety import check_target, discard, locked, replace_folder, temporary_folder, write_manifest
from .io.writers import fill_results, write_csv
from .scenario import LoadedScenario, ScenarioError, load_scenario

#: a run's status in index.csv -> the sweep's exit status; not_accepted: HiGHS stopped at a limit
#: with a plan whose gap is above options.solver.accepted_gap (not written, as planner solve)
FAILED_EXIT = {"bad_input": 2, "infeasible": 3, "error": 4, "not_accepted": 4}


class SweepError(Exception):
    """A sweep that cannot start (bad grid, unreadable sweep file); the message says why."""


@dataclass
class RunSpec:
    """One run of a sweep: a scenario file with its --set values."""

    run_id: str
    scenario: Path
    sets: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)  # the grid values of this run, by path


@dataclass
class RunOutcome:
    spec: RunSpec
    status: str  # optimal | feasible | infeasible | error | bad_input
    summary: dict = field(default_factory=dict)
    message: str = ""
    folder: str = ""


def parse_grid(items: list[str]) -> dict[str, list[str]]:
    """``path=v1,v2,...`` (repeatable) -> {path: [v1, v2, ...]}, in the order given."""
    grid: dict[str, list[str]] = {}
    for item in items:
        path, sep, values = item.partition("=")
        path = path.strip()
        if not sep or not path or not values.strip():
            raise SweepError(f"--grid '{item}': expected path=value1,value2,...")
        if path in grid:
            raise SweepError(f"--grid names '{path}' twice; give all its values in one --grid")
        grid[path] = [v.strip() for v in values.split(",")]
        if any(v == "" for v in grid[path]):
            raise SweepError(f"--grid '{item}': an empty value")
    return grid


def read_sweep_file(path: Path) -> tuple[list[Path], dict[str, list[str]], list[str]] | None:
    """A sweep YAML: ``sweep: {scenarios: [...], grid: {path: [values]}, set: [path=value, ...]}``;
    scenario paths are relative to the sweep file. None when the file is not a sweep file (a
    scenario, say); SweepError when it is one but is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None  # not a readable sweep file: the scenario loader will say what is wrong
    if not isinstance(data, dict) or "sweep" not in data:
        return None
    body = data["sweep"]
    if not isinstance(body, dict):
        raise SweepError(f"{path}: 'sweep' holds scenarios, grid and set")
    unknown = set(body) - {"scenarios", "grid", "set"}
    if unknown:
        raise SweepError(f"{path}: sweep.{sorted(unknown)[0]} is not a sweep field (scenarios, grid, set)")
    scenarios = body.get("scenarios") or []
    grid = body.get("grid") or {}
    sets = body.get("set") or []
    if not isinstance(scenarios, list) or not scenarios:
        raise SweepError(f"{path}: sweep.scenarios must list at least one scenario file")
    if not isinstance(grid, dict) or any(not isinstance(v, list) or not v for v in grid.values()):
        raise SweepError(f"{path}: sweep.grid maps each path to a non-empty list of values")
    if not isinstance(sets, list):
        raise SweepError(f"{path}: sweep.set is a list of path=value")
    as_text = {k: [v if isinstance(v, str) else json.dumps(v) for v in values] for k, values in grid.items()}
    return [path.parent / str(s) for s in scenarios], as_text, [str(s) for s in sets]


def plan_runs(scenarios: list[Path], grid: dict[str, list[str]], sets: list[str] = ()) -> list[RunSpec]:
    """Every scenario file times every combination of grid values; ids are the scenario file's stem
    and the swept values (``base-co2_price_usd_per_t=10``: the last part of each swept path), made
    safe; a running number only where that is too long or not unique."""
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] if grid else [{}]
    specs, seen = [], set()
    for path in scenarios:
        for i, combo in enumerate(combos, start=1):
            stem = _safe_stem(path.stem)
            run_id = _run_id(stem, combo, i)
            while run_id in seen:
                run_id += "_"
            seen.add(run_id)
            specs.append(RunSpec(run_id, path, tuple(sets) + tuple(f"{k}={v}" for k, v in combo.items()), combo))
    return specs


def check_scheduler(address: str) -> None:
    """A Dask scheduler address planner can use (cluster.check_address), else SweepError."""
    from .cluster import SchedulerAddressError, check_address

    try:
        check_address(address)
    except SchedulerAddressError as exc:
        raise SweepError(str(exc)) from None


def _safe_stem(stem: str) -> str:
    """A file name made into a run id that is a safe folder name and spreadsheet text."""
    from .scenario.schema import is_safe_id

    text = re.sub(r"_+", "_", "".join(c if c.isalnum() or c in "_.-" else "_" for c in stem)).strip("_.-")[:80]
    return text if text and is_safe_id(text) else "run"


def _run_id(stem: str, combo: dict[str, str], number: int) -> str:
    """stem-key=value-key=value (keys: the last part of each path); stem-NNN when that is not a
    safe id of at most 100 characters."""
    from .scenario.schema import MAX_ID_LENGTH, is_safe_id

    if not combo:
        return stem
    parts = [stem] + [f"{k.split('.')[-1]}={v}" for k, v in combo.items()]
    text = re.sub(r"[^\w.-]", "_", "-".join(parts))  # '=' and the like are not id characters
    text = re.sub(r"_+", "_", text)
    return text if len(text) <= MAX_ID_LENGTH and is_safe_id(text) else f"{stem}-{number:03d}"


def solve_job(loaded: LoadedScenario) -> dict:
    """Solve one validated scenario; never raises (a failure is a status with its message).
    Runs in a worker process (local or Dask), so it returns plain data."""
    from .run import run_loaded

    try:
        run = run_loaded(loaded)
    except ScenarioError as exc:
        return {"status": "bad_input", "summary": {}, "tables": {}, "message": "; ".join(map(str, exc.problems))}
    except Exception as exc:  # noqa: BLE001 - a sweep reports a failed run and goes on
        return {"status": "error", "summary": {}, "tables": {},
                "message": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"}
    if run.summary["status"] == "feasible" and not run.summary.get("accepted", True):  # beyond the accepted gap
        gap = run.summary.get("mip_gap")
        return {"status": "not_accepted", "summary": run.summary, "tables": {},
                "message": f"not a result: stopped at a limit with a gap of "
                           f"{'unknown' if gap is None else f'{100 * gap:.1f} %'}, above "
                           f"options.solver.accepted_gap; nothing written"}
    return {"status": run.summary["status"], "summary": run.summary, "tables": run.tables,
            "message": run.summary.get("message", "")}


def load_runs(specs: list[RunSpec]) -> tuple[dict[str, LoadedScenario], dict[str, ScenarioError]]:
    """Load every planned run before any is solved: (loaded runs, runs with bad input)."""
    jobs: dict[str, LoadedScenario] = {}
    bad: dict[str, ScenarioError] = {}
    for spec in specs:
        try:
            jobs[spec.run_id] = load_scenario(spec.scenario, spec.sets)
        except ScenarioError as exc:
            bad[spec.run_id] = exc
    return jobs, bad


def run_sweep(specs: list[RunSpec], out_dir: Path, workers: int = 1, scheduler: str | None = None,
              force: bool = False, progress: Callable[[RunOutcome], None] | None = None,
              loaded: tuple[dict, dict] | None = None, scheduler_timeout: float = DEFAULT_TIMEOUT_S) -> pd.DataFrame:
    """Load every run (or take ``loaded`` from load_runs), solve the valid ones in parallel, write
    each run's results under ``out_dir/runs/<run_id>``, the index (index.csv) and the comparison
    workbook of the solved runs, all into a temporary folder that replaces ``out_dir`` at the end
    (checked, locked and marked as safety.py says). Returns the index."""
    out_dir = Path(out_dir)
    protected = [s.scenario for s in specs]
    check_target(out_dir, force, protected)
    progress = progress or (lambda _o: None)
    with locked(out_dir):
        check_target(out_dir, force, protected)
        tmp = temporary_folder(out_dir)
        try:
            index = _sweep_into(tmp, specs, workers, scheduler, progress, loaded, scheduler_timeout)
            write_manifest(tmp, "planner sweep")
            replace_folder(tmp, out_dir)
        finally:
            discard(tmp)  # a no-op once it is in place
    return index


def _sweep_into(tmp: Path, specs: list[RunSpec], workers: int, scheduler: str | None, progress,
                loaded: tuple[dict, dict] | None, scheduler_timeout: float = DEFAULT_TIMEOUT_S) -> pd.DataFrame:
    jobs, bad = loaded if loaded is not None else load_runs(specs)
    outcomes: dict[str, RunOutcome] = {}
    for spec in specs:
        if spec.run_id in bad:
            outcomes[spec.run_id] = RunOutcome(spec, "bad_input",
                                               message="; ".join(map(str, bad[spec.run_id].problems)))
            progress(outcomes[spec.run_id])
    by_id = {s.run_id: s for s in specs}
    # in worker processes, one at least, as sweeps always ran
    stream = run_jobs(solve_job, jobs, max(1, workers), scheduler, scheduler_timeout, in_process=False)
    for run_id, result in (stream if jobs else ()):
        if isinstance(result, JobFailed):  # a crashed worker fails its run only
            result = {"status": "error", "summary": {}, "tables": {}, "message": result.message}
        outcome = RunOutcome(by_id[run_id], result["status"], result["summary"], result["message"])
        if result["tables"]:
            folder = tmp / "runs" / run_id
            folder.mkdir(parents=True)
            fill_results(folder, result["tables"], result["summary"], jobs[run_id].resolved_yaml())
            write_manifest(folder, "planner sweep")
            outcome.folder = f"runs/{run_id}"
        outcomes[run_id] = outcome
        progress(outcome)
    index = index_table([outcomes[s.run_id] for s in specs], specs)
    write_csv(index, tmp / "index.csv")
    _write_sweep_comparison(tmp, index)
    return index


def index_table(outcomes: list[RunOutcome], specs: list[RunSpec]) -> pd.DataFrame:
    """One row per run: id, scenario file, the grid values, status, objective and shortfall, folder."""
    paths = list(dict.fromkeys(k for s in specs for k in s.values))
    rows = []
    for o in outcomes:
        s = o.summary
        rows.append({"run_id": o.spec.run_id, "scenario": str(o.spec.scenario), **{p: o.spec.values.get(p) for p in paths},
                     "status": o.status, "objective_musd": s.get("objective_musd"),
                     "energy_shortfall_gwh": s.get("energy_shortfall_gwh"),
                     "capacity_shortfall_mw": s.get("capacity_shortfall_mw"), "solve_seconds": s.get("solve_seconds"),
                     "folder": o.folder, "message": (o.message or "").strip().splitlines()[0] if o.message else ""})
    return pd.DataFrame(rows)


def _write_sweep_comparison(folder: Path, index: pd.DataFrame) -> None:
    """comparison.xlsx (+ CSVs) of every run with results, with the index as its first sheet."""
    from .compare import CompareError, read_results, write_comparison_workbook

    solved = [folder / f for f in index.folder if f]
    if not solved:
        return
    try:
        runs = read_results(solved)
    except CompareError as exc:
        (folder / "comparison-not-written.txt").write_text(f"{exc}\n")
        return
    write_comparison_workbook(runs, folder / "comparison.xlsx", extra={"index": index})


def worst_exit(index: pd.DataFrame) -> int:
    """0 when every run has a solution, else the exit status of the worst failure (SPEC §5)."""
    codes = [FAILED_EXIT.get(s, 0) for s in index.status]
    return max(codes, default=0)
