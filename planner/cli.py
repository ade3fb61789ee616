"""The command line (SPEC §5): parse, call the library, print, set the exit status. No maths here.

Exit status: 0 solved, 2 bad input, 3 infeasible (e.g. strict targets that cannot be met),
4 solver failure or no solution within the time limit.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from .cluster import DEFAULT_TIMEOUT_S, ClusterError
from .io.safety import OutputRefused, check_target

if TYPE_CHECKING:  # the libraries behind the commands are imported by each command: --help stays fast
    from .run import Run
    from .scenario import ScenarioError

EXIT_OK, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 2, 3, 4

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Plan Lao export power projects and Laos -> Vietnam links at least cost.")
#: the width of tables written to a file or a pipe (a terminal's own width is used on a terminal)
REDIRECTED_WIDTH = 240


def _console(stderr: bool = False) -> Console:
    """A console that never cuts text into lines (soft wrap) and, when its output is not a
    terminal, draws tables COLUMNS wide, else REDIRECTED_WIDTH: rich's 80 columns would cut them."""
    console = Console(stderr=stderr, soft_wrap=True)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        console.width = REDIRECTED_WIDTH
    return console


err = _console(stderr=True)
out = _console()


def _version(value: bool) -> None:
    """``planner --version``: planner's version, and the solver's and modelling layer's (read from
    the installed packages' metadata, so nothing heavy is imported)."""
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    print(f"planner {v('planner')} (HiGHS via highspy {v('highspy')}, Pyomo {v('pyomo')}, Python "
          f"{sys.version.split()[0]})")
    raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show planner's version and exit")) -> None:
    """Plan Lao export power projects and Laos -> Vietnam links at least cost."""


#: --scheduler-timeout, the same on every command that can use a Dask cluster (solve, sweep, explore)
SCHEDULER_TIMEOUT = typer.Option(DEFAULT_TIMEOUT_S, "--scheduler-timeout", min=0.1, metavar="SECONDS",
                                 help="Longest wait for the Dask scheduler to answer, for a first worker, "
                                      "and without any worker while work is pending")


def _fail(message: str, code: int) -> None:
    """Print one message (rich markup allowed) to stderr and leave with ``code``."""
    err.print(message, highlight=False)
    raise typer.Exit(code)


@contextmanager
def _writing(what: str, target) -> Iterator[None]:
    """A write refused (exit 2: the target may not be written) or failed (exit 4: the disk) as one
    message naming the target and the file being written; nothing of the target is replaced."""
    from .io.safety import OutputRefused

    try:
        yield
    except OutputRefused as exc:
        _fail(f"[red]cannot write {what}:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    except OSError as exc:
        _fail(f"[red]cannot write {what}[/] {_written(exc, target)}", EXIT_SOLVER)


def _bad_input(exc: ScenarioError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"status": "bad_input", "problems": [str(p) for p in exc.problems]}, indent=2))
    else:
        err.print(f"[bold red]{len(exc.problems)} problem(s) in the input:[/]")
        for p in exc.problems:
            err.print(f"  - {p}", markup=False, highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def validate(
    scenario: Path = typer.Argument(..., metavar="SCENARIO", help="Scenario YAML file"),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="PATH=VALUE", help="Override a field: path=value (repeatable)"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON report"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success"),
) -> None:
    """Check a scenario (and its variants and tables) without solving it."""
    from .inputs import load, validated
    from .scenario import ScenarioError

    try:
        loaded = load(scenario, tuple(set_ or ()))
    except ScenarioError as exc:
        _bad_input(exc, as_json)
        return
    try:
        data = validated(loaded)  # the data stage, and every future's data and its set paths
    except ScenarioError as exc:
        _bad_input(exc, as_json)
        return
    s = loaded.scenario
    report = {"status": "valid", "scenario": s.name, "years": data.years, "slices": len(data.slices),
              "aggregation_error": s.time.aggregation_error,
              "nodes": len(s.nodes), "projects": len(s.projects), "links": len(s.links), "targets": len(s.targets),
              "excluded_by_tariff": data.excluded_by_tariff, "input_sha256": loaded.input_sha256,
              "warnings": data.notes}
    if as_json:
        print(json.dumps(report, indent=2))
    elif not quiet:
        out.print(f"[green]valid[/]: {s.name}: {len(s.projects)} projects, {len(s.links)} links, "
                  f"{len(s.nodes)} nodes, years {data.years[0]}-{data.years[-1]} ({len(data.years)} modelled), "
                  f"{len(data.slices)} slices")
        if data.excluded_by_tariff:
            out.print(f"excluded by the tariff ceiling: {', '.join(data.excluded_by_tariff)}")
        for note in data.notes:
            err.print(f"[yellow]warning[/]: {note}", highlight=False)
        _print_aggregation(s.time.aggregation_error)


@app.command()
def solve(
    scenario: Path = typer.Argument(..., metavar="SCENARIO", help="Scenario YAML file"),
    out_dir: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Results folder (default results/<name>)"),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="PATH=VALUE", help="Override a field: path=value (repeatable)"),
    force: bool = typer.Option(False, "--force", help="Replace an existing results folder"),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or tables"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the HiGHS log"),
    no_xlsx: bool = typer.Option(False, "--no-xlsx", help="Skip results.xlsx (faster on large runs)"),
    parquet: bool = typer.Option(False, "--parquet", help="Also write every table as Parquet (needs pyarrow: "
                                                          "pip install 'planner[parquet]')"),
    flip_tariffs: Optional[bool] = typer.Option(None, "--flip-tariffs/--no-flip-tariffs",
                                                help="Search each candidate's flip tariff by re-solving "
                                                     "(default: options.flip_tariffs)"),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", min=1, metavar="N",
                                help="Local processes for the flip-tariff search"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Dask scheduler for the flip-tariff search"),
    scheduler_timeout: float = SCHEDULER_TIMEOUT,
) -> None:
    """Solve a scenario and write its result tables."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .run import load, run_loaded, write
    from .scenario import ScenarioError
    from .timings import Timings

    timings = Timings.from_process_start()  # imports: the interpreter's start to here
    try:
        loaded = load(scenario, tuple(set_ or ()), timings)
    except ScenarioError as exc:
        _bad_input(exc, as_json)
        return
    if parquet and importlib.util.find_spec("pyarrow") is None:
        _fail("[red]--parquet needs pyarrow[/]: pip install 'planner[parquet]' (or pyarrow)", EXIT_BAD_INPUT)
    target = out_dir or Path("results") / loaded.scenario.name
    try:
        check_target(target, force, loaded.files)  # before solving: a bad --out costs no solve
    except OutputRefused as exc:
        _fail(f"[red]cannot write the results:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    if scheduler is not None:  # before solving: a wrong address or a cluster that is not there costs no solve
        from .cluster import SchedulerAddressError, check_address, probe

        try:
            check_address(scheduler)
            if flip_tariffs if flip_tariffs is not None else loaded.scenario.options.flip_tariffs:
                probe(scheduler, scheduler_timeout)
        except SchedulerAddressError as exc:
            _fail(f"[red]bad --scheduler:[/] {_plain(exc)}", EXIT_BAD_INPUT)
        except ClusterError as exc:
            _fail(f"[bold red]cannot search flip tariffs on the cluster:[/] {_plain(exc)} (nothing was solved or "
                  "written)", EXIT_SOLVER)
    show = not (quiet or as_json)
    try:
        if show:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=err, transient=True) as progress:
                task = progress.add_task("starting")

                def stage(text: str) -> None:
                    progress.update(task, description=text)

                def log(line: str) -> None:
                    if verbose:
                        progress.console.print(line, markup=False, highlight=False)
                    elif line.strip():
                        progress.update(task, description=f"solving with HiGHS: {line.strip()[:90]}")

                run = run_loaded(loaded, log=log, stage=stage, flip=flip_tariffs, workers=workers,
                                 scheduler=scheduler, flip_progress=_flip_progress(progress, task),
                                 scheduler_timeout=scheduler_timeout, timings=timings)
        else:
            run = run_loaded(loaded, flip=flip_tariffs, workers=workers, scheduler=scheduler,
                             scheduler_timeout=scheduler_timeout, timings=timings)
    except ScenarioError as exc:
        _bad_input(exc, as_json)
        return
    except ClusterError as exc:
        _fail(f"[bold red]the flip-tariff search failed:[/] {_plain(exc)} (nothing was written)", EXIT_SOLVER)
    status = run.summary["status"]
    if status not in ("optimal", "feasible") or not run.summary.get("accepted", True):
        _no_solution(run, as_json)
        return
    with _writing("the results", target):
        write(run, target, force=force, workbook=not no_xlsx, parquet=parquet)
    if as_json:
        print(json.dumps({**run.summary, "out": str(target)}, indent=2, default=str))
    elif not quiet:
        _print_run(run, target)


@app.command()
def compare(
    result_dirs: List[Path] = typer.Argument(..., metavar="RESULT_DIR...", help="Result folders written by planner solve (the first is the reference)"),
    out_file: Path = typer.Option(Path("comparison.xlsx"), "--out", metavar="FILE.xlsx", help="Workbook to write; its CSVs go to a folder of the same name"),
    force: bool = typer.Option(False, "--force", help="Replace an existing workbook and CSV folder"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary sheet as JSON"),
) -> None:
    """Put several result folders side by side in one workbook (and CSVs)."""
    from .compare import CompareError, read_results, write_comparison_workbook

    if out_file.suffix.lower() != ".xlsx":
        _fail(f"[red]--out {out_file}[/]: give a .xlsx file name", EXIT_BAD_INPUT)
    try:
        folders = read_results(result_dirs)
        tables = write_comparison_workbook(folders, out_file, force=force)
    except CompareError as exc:
        _fail(f"[bold red]cannot compare:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    except OutputRefused as exc:
        _fail(f"[red]cannot write the comparison:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    except OSError as exc:
        _fail(f"[red]cannot write the comparison[/] {_written(exc, out_file)}", EXIT_SOLVER)
    summary = tables["summary"]
    if as_json:
        print(summary.set_index("metric").to_json(orient="columns", indent=2))
    elif not quiet:
        table = Table(title="Comparison")
        for col in summary.columns:
            table.add_column(str(col), justify="left" if col == "metric" else "right", no_wrap=col == "metric")
        shown = ["status", "objective_musd", *[m for m in summary.metric if m.endswith("(discounted)")],
                 "importer_cost_musd (NPV)", "rent_musd (NPV)",
                 "new_project_mw", "new_link_mw"]
        for _, row in summary[summary.metric.isin(shown)].iterrows():
            table.add_row(*[_fmt(v) for v in row])
        out.print(table)
        out.print(f"written {out_file} and {out_file.with_suffix('')}/")


@app.command()
def sweep(
    scenarios: List[Path] = typer.Argument(..., metavar="SCENARIO...", help="Scenario or variant files, or one sweep YAML (a top-level 'sweep' key)"),
    grid: Optional[List[str]] = typer.Option(None, "--grid", metavar="PATH=V1,V2", help="path=v1,v2,... : one run per value, crossed with the other --grid (repeatable)"),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="PATH=VALUE", help="Override a field in every run: path=value (repeatable)"),
    out_dir: Path = typer.Option(..., "--out", metavar="DIR", help="Folder for all runs, index.csv and comparison.xlsx"),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", min=1, metavar="N", help="Local worker processes"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786) instead of local processes"),
    scheduler_timeout: float = SCHEDULER_TIMEOUT,
    force: bool = typer.Option(False, "--force", help="Replace an existing sweep folder"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or table"),
    as_json: bool = typer.Option(False, "--json", help="Print the index as JSON"),
) -> None:
    """Run a set of variants or a grid of --set values in parallel; one folder, one index, one workbook."""
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .sweep import (SweepError, check_scheduler, load_runs, parse_grid, plan_runs, read_sweep_file, run_sweep,
                        worst_exit)

    try:
        files, fixed = list(scenarios), list(set_ or ())
        grid_values = parse_grid(list(grid or ()))
        sweep_file = read_sweep_file(files[0]) if len(files) == 1 else None
        if sweep_file is not None:
            files, from_file, file_sets = sweep_file
            grid_values = {**from_file, **grid_values}
            fixed = file_sets + fixed
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise SweepError(f"scenario file(s) not found: {', '.join(missing)}")
        specs = plan_runs(files, grid_values, fixed)
        if scheduler is not None:
            check_scheduler(scheduler)
    except SweepError as exc:
        _fail(f"[bold red]cannot start the sweep:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    try:
        check_target(out_dir, force, [s.scenario for s in specs])
    except OutputRefused as exc:
        _fail(f"[red]cannot write the sweep:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    if scheduler is not None:  # before any run is loaded: a cluster that is not there costs nothing
        from .cluster import probe

        try:
            probe(scheduler, scheduler_timeout)
        except ClusterError as exc:
            _fail(f"[bold red]sweep failed:[/] {_plain(exc)} (nothing was solved or written)", EXIT_SOLVER)
    loaded = load_runs(specs)  # every run checked before any is solved
    if len(loaded[1]) == len(specs):  # e.g. a misspelt --grid path: nothing to solve, nothing written
        problems = [f"{run_id}: {p}" for run_id, exc in loaded[1].items() for p in exc.problems]
        if as_json:
            print(json.dumps({"status": "bad_input", "problems": problems}, indent=2))
        else:
            err.print("[bold red]every run has bad input; nothing was solved or written:[/]")
            for problem in problems:
                err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    where = f"Dask scheduler {scheduler}" if scheduler else f"{workers} local process(es)"
    show = not (quiet or as_json)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True, disable=not show) as bar:
            task = bar.add_task(f"{len(specs)} runs on {where}", total=len(specs))

            def progress(outcome) -> None:
                bar.advance(task)
                if show and outcome.status not in ("optimal", "feasible"):
                    bar.console.print(f"[red]{outcome.spec.run_id}: {outcome.status}[/] {outcome.message[:300]}",
                                      highlight=False)

            index = run_sweep(specs, out_dir, workers=workers, scheduler=scheduler, force=force, progress=progress,
                              loaded=loaded, scheduler_timeout=scheduler_timeout)
    except (SweepError, ClusterError) as exc:
        _fail(f"[bold red]sweep failed:[/] {_plain(exc)} (nothing was written)", EXIT_SOLVER)
    except OutputRefused as exc:
        _fail(f"[red]cannot write the sweep:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    except OSError as exc:
        _fail(f"[red]cannot write the sweep[/] {_written(exc, out_dir)}", EXIT_SOLVER)
    if as_json:
        print(index.to_json(orient="records", indent=2))
    elif not quiet:
        table = Table(title=f"Sweep: {len(index)} runs")
        shown = [c for c in index.columns if c not in ("scenario", "folder", "message", "solve_seconds",
                                                        "energy_shortfall_gwh", "capacity_shortfall_mw")]
        for col in shown:
            table.add_column(col, justify="right" if col == "objective_musd" else "left", no_wrap=col == "run_id")
        for _, row in index.iterrows():
            table.add_row(*[_fmt(None if pd.isna(row[c]) else row[c]) for c in shown])
        out.print(table)
        solved = int(index.folder.astype(bool).sum())
        wrote = "index.csv, comparison.xlsx, runs/" if solved else "index.csv only: no run has results"
        out.print(f"written {out_dir}/ ({wrote}; {solved} of {len(index)} runs solved)")
    raise typer.Exit(worst_exit(index))


@app.command()
def explore(
    scenario: Path = typer.Argument(..., metavar="SCENARIO", help="Scenario YAML file"),
    with_without: bool = typer.Option(False, "--with-without", help="Reverse every candidate's decision (bar the built, force in the unbuilt) and re-solve: what each decision is worth"),
    near_optimal: Optional[float] = typer.Option(None, "--near-optimal", metavar="SLACK", help="Plans within optimum + SLACK x |optimum| (e.g. 0.02): the least and most MW of each group"),
    near_optimal_years: str = typer.Option("last", "--near-optimal-years", metavar="last|all", help="Ranges in the last modelled year (default), or in every one"),
    near_optimal_gap: float = typer.Option(0.01, "--near-optimal-gap", metavar="GAP", help="Relative MIP gap of each near-optimal MIP, on the group's MW (the verdicts hold at any gap below 1)"),
    groups: str = typer.Option(",".join(("technology", "link", "country", "project")), "--groups", metavar="KINDS", help="Near-optimal groups: any of technology,link,country,project"),
    tornado: Optional[List[str]] = typer.Option(None, "--tornado", metavar="PATH=LOW:HIGH", help="A --set path at a low and a high value, one at a time (repeatable)"),
    morris: Optional[int] = typer.Option(None, "--morris", metavar="N", min=2, help="Also Morris screening (SALib) with N trajectories over the --tornado ranges"),
    set_: Optional[List[str]] = typer.Option(None, "--set", metavar="PATH=VALUE", help="Override a field: path=value (repeatable)"),
    out_dir: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Folder to write (default results/<name>-explore)"),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", min=1, metavar="N", help="Local worker processes"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786) instead of local processes"),
    scheduler_timeout: float = SCHEDULER_TIMEOUT,
    force: bool = typer.Option(False, "--force", help="Replace an explore folder planner wrote earlier"),
    no_xlsx: bool = typer.Option(False, "--no-xlsx", help="Skip explore.xlsx and base/results.xlsx"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or tables"),
    as_json: bool = typer.Option(False, "--json", help="Print explore.json to stdout"),
) -> None:
    """Options for the negotiating table: the value of each decision, near-optimal alternatives, a tornado."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .explore import ExploreError, check_explorable, load_morris, morris_samples, parse_tornado, write_explore
    from .explore import explore as run_explore
    from .inputs import load
    from .scenario import ScenarioError
    from .sweep import SweepError, check_scheduler

    base_sets = tuple(set_ or ())
    try:
        specs = parse_tornado(list(tornado or ()))
        kinds = tuple(k.strip() for k in groups.split(",") if k.strip())
        unknown = [k for k in kinds if k not in ("technology", "link", "country", "project")]
        if unknown or not kinds:
            raise ExploreError(f"--groups {groups!r}: give any of technology,link,country,project")
        if near_optimal_years not in ("all", "last"):
            raise ExploreError(f"--near-optimal-years {near_optimal_years!r}: give all or last")
        if near_optimal is not None and not (0 <= near_optimal < 10) or near_optimal != near_optimal:
            raise ExploreError(f"--near-optimal {near_optimal}: give a slack share of the optimum, e.g. 0.02 (2 %)")
        if not 0 <= near_optimal_gap < 1:
            raise ExploreError(f"--near-optimal-gap {near_optimal_gap}: give a share below 1, e.g. 0.01")
        if morris is not None and not specs:
            raise ExploreError("--morris screens the --tornado ranges: give at least one --tornado PATH=LOW:HIGH")
        if not (with_without or near_optimal is not None or specs):
            raise ExploreError("nothing to explore: give --with-without, --near-optimal SLACK or --tornado PATH=LOW:HIGH")
        if scheduler is not None:
            check_scheduler(scheduler)
        if morris is not None:
            morris_samples(specs, morris)  # SALib installed, ranges numeric: before any scenario is read
    except (ExploreError, SweepError) as exc:
        _fail(f"[bold red]cannot explore:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    try:
        loaded = load(scenario, base_sets)
        problems, seen = [], set()
        tornado_loaded = {}
        for t in specs:  # every end checked before anything is solved
            for end, value in (("low", t.low), ("high", t.high)):
                try:
                    tornado_loaded[(t.path, end)] = load(scenario, base_sets + (f"{t.path}={value}",))
                except ScenarioError as exc:
                    for p in exc.problems:  # a bad path is one mistake, not one per end
                        key = str(p).replace(f"{t.path}={value}", t.path)
                        if key not in seen:
                            seen.add(key)
                            problems.append(p)
        if problems:
            raise ScenarioError(problems)
        morris_loaded = load_morris(scenario, base_sets, specs, morris) if morris is not None else []
    except ScenarioError as exc:
        _bad_input(exc, as_json)
        return
    try:
        check_explorable(loaded.scenario)
    except ExploreError as exc:
        _fail(f"[bold red]cannot explore:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    target = out_dir or Path("results") / f"{loaded.scenario.name}-explore"
    try:
        check_target(target, force, loaded.files)
    except OutputRefused as exc:
        _fail(f"[red]cannot write the explore folder:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    show = not (quiet or as_json)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                      transient=True, disable=not show) as progress:
            task = progress.add_task("starting")
            explored = run_explore(loaded, with_without=with_without, slack=near_optimal, tornado=specs,
                                   tornado_loaded=tornado_loaded, workers=workers, scheduler=scheduler, kinds=kinds,
                                   years=near_optimal_years, morris=morris, morris_loaded=morris_loaded,
                                   near_optimal_gap=near_optimal_gap, scheduler_timeout=scheduler_timeout,
                                   stage=lambda text: progress.update(task, description=text))
    except ScenarioError as exc:
        _bad_input(exc, as_json)
        return
    except (ExploreError, SweepError, ClusterError) as exc:
        _fail(f"[bold red]explore failed:[/] {_plain(exc)}", EXIT_SOLVER)
    status = explored.summary["status"]
    if status not in ("optimal", "feasible"):
        _no_solution(explored.base, as_json)
        return
    with _writing("the explore folder", target):
        write_explore(target, explored, loaded, force=force, workbook=not no_xlsx)
    if as_json:
        print(json.dumps({**explored.summary, "out": str(target)}, indent=2, default=str))
    elif not quiet:
        _print_explore(explored, target)


def _print_explore(explored, target: Path) -> None:
    import pandas as pd

    s = explored.summary
    out.print(f"[bold]{s['scenario']}[/]: objective {s['objective_musd']:,.1f} MUSD (MIP gap setting "
              f"{100 * s['mip_gap_setting']:.2f} %: values within {s['gap_musd']:,.1f} MUSD are ties)")
    ww = explored.tables.get("with_without")
    if ww is not None:
        table = Table(title="What each decision is worth (with_without.csv)")
        for col in ("rank", "asset", "built", "build_year", "value_musd", "note"):
            table.add_column(col, justify="right" if col in ("rank", "value_musd", "build_year") else "left")
        for r in ww.itertuples():
            table.add_row(str(r.rank), r.asset, "yes" if r.built else "no",
                          "" if pd.isna(r.build_year) else str(r.build_year),
                          _fmt(r.value_musd), str(r.note))
        out.print(table)
    no = explored.tables.get("near_optimal")
    if no is not None:
        last = no[no.year == no.year.max()]
        table = Table(title=f"Near-optimal ranges in {int(no.year.max())} (slack {100 * s['slack']:g} %: "
                            f"near_optimal.csv)")
        for col in ("group", "min_mw", "optimal_mw", "max_mw", "verdict"):
            table.add_column(col, justify="left" if col in ("group", "verdict") else "right")
        for r in last.itertuples():
            table.add_row(r.group, _fmt(r.min_mw), _fmt(r.optimal_mw), _fmt(r.max_mw), r.verdict)
        out.print(table)
    tor = explored.tables.get("tornado")
    if tor is not None:
        table = Table(title="Tornado (tornado.csv)")
        for col in ("parameter", "low", "high", "objective_low_musd", "objective_high_musd", "builds_changed_low",
                    "builds_changed_high"):
            table.add_column(col, justify="right" if col.startswith("objective") else "left")
        for r in tor.itertuples():
            table.add_row(r.parameter, str(r.low), str(r.high), _fmt(r.objective_low_musd),
                          _fmt(r.objective_high_musd), str(r.builds_changed_low), str(r.builds_changed_high))
        out.print(table)
    n = sum(s["resolves"].values())
    out.print(f"{n} re-solves in {s['jobs_seconds']:,.1f} s on "
              f"{s['scheduler'] or str(s['workers']) + ' local process(es)'}; written to [bold]{target}[/]")


@app.command()
def report(
    result_dir: Path = typer.Argument(..., metavar="RESULT_DIR", help="A result folder written by planner solve (or planner explore)"),
    out_html: Optional[Path] = typer.Option(None, "--out", metavar="FILE.html", help="HTML page to write (default DIR/report.html)"),
    force: bool = typer.Option(False, "--force", help="Replace a report planner wrote earlier"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success"),
) -> None:
    """Plots of one result (PNG, with their data as CSV) and one self-contained HTML page."""
    from .compare import CompareError
    from .explore_report import is_explore_folder, write_explore_report

    if is_explore_folder(result_dir):  # a folder planner explore wrote has its own page
        write_report = write_explore_report
    else:
        from .report import write_report
    if out_html is not None and out_html.suffix.lower() not in (".html", ".htm"):
        _fail(f"[red]--out {out_html}[/]: give an .html file name", EXIT_BAD_INPUT)
    try:
        page, figures, plots = write_report(result_dir, out_html, force=force)
    except CompareError as exc:
        _fail(f"[bold red]cannot report:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    except OutputRefused as exc:
        _fail(f"[red]cannot write the report:[/] {_plain(exc)}", EXIT_BAD_INPUT)
    except OSError as exc:
        _fail(f"[red]cannot write the report[/] {_written(exc, out_html or Path(result_dir) / 'report.html')}", EXIT_SOLVER)
    if not quiet:
        out.print(f"written {page} ({len(plots)} plots; PNG and CSV in {figures}/)")


def _flip_progress(progress, task):
    """The flip-tariff search as it goes (flip.flip_tariffs's events): each re-solve updates the
    progress line, each candidate found is printed, so a long search is never silent."""
    state = {"n": 0, "done": 0, "solves": 0}

    def show(event) -> None:
        kind = event[0]
        if kind == "start":
            state["n"] = event[1]
            progress.update(task, description=f"flip tariffs: 0 of {event[1]} candidates")
            return
        if kind == "solve":
            _, project, tariff, taken = event
            state["solves"] += 1
            progress.update(task, description=f"flip tariffs: {state['done']} of {state['n']} candidates, "
                                              f"{state['solves']} re-solves (last: {project} at {tariff:,.2f} "
                                              f"USD/MWh, {'chosen' if taken else 'not chosen'})")
            return
        _, project, result = event
        state["done"] += 1
        found = (f"{result.flip_tariff_usd_per_mwh:,.2f} USD/MWh" if result.flip_tariff_usd_per_mwh == result.flip_tariff_usd_per_mwh
                 else f"none ({result.note})")
        progress.console.print(f"flip tariff {state['done']} of {state['n']}: {project}: {found}, "
                               f"{result.solves} re-solves", markup=False, highlight=False)
        progress.update(task, description=f"flip tariffs: {state['done']} of {state['n']} candidates, "
                                          f"{state['solves']} re-solves")

    return show


def _print_aggregation(rows: list[dict]) -> None:
    """The error of hourly profiles aggregated to representative periods, one row per profile."""
    if not rows:
        return
    table = Table(title="Hourly profiles -> representative periods: aggregation error")
    for col in ("profile", "RMSE", "MAE", "RMSE duration curve", "mean hourly", "mean aggregated"):
        table.add_column(col, justify="left" if col == "profile" else "right")
    for r in rows:
        table.add_row(str(r["profile"]), *(f"{r[k]:.4f}" for k in ("rmse", "mae", "rmse_duration_curve",
                                                                   "mean_hourly", "mean_aggregated")))
    out.print(table)


def _written(exc: OSError, target) -> str:
    """A failed write in one line: the target, the reason, and the file being written when it failed
    (a scratch file beside the target: nothing of the target was replaced)."""
    from rich.markup import escape

    reason = exc.strerror or str(exc)
    at = f" (while writing {exc.filename})" if exc.filename else ""
    return escape(f"{target}: {reason}{at}; nothing was replaced")


def _plain(exc: BaseException) -> str:
    """An exception's message, escaped for rich (a path may hold [brackets])."""
    from rich.markup import escape

    return escape(str(exc))


def _fmt(value) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: the metric does not apply to this run
            return ""
        return f"{0.0 if abs(value) < 0.05 else value:,.1f}"
    return "" if value is None else str(value)


def _no_solution(run: Run, as_json: bool) -> None:
    status = run.summary["status"]
    code = EXIT_INFEASIBLE if status == "infeasible" else EXIT_SOLVER  # feasible beyond the accepted gap: 4
    if as_json:
        payload = dict(run.summary)
        if run.diagnosis is not None:  # a quantity that does not apply is null, never NaN (not JSON)
            payload["unmet_targets"] = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                                        for r in run.diagnosis.to_dict("records")]
        print(json.dumps(payload, indent=2, default=str))
        raise typer.Exit(code)
    _print_warnings(run)
    if status == "infeasible" and "futures" in run.summary:  # several futures: which one, said in the message
        err.print(f"[bold red]infeasible[/]: {run.summary.get('message', 'no plan serves every future')}",
                  highlight=False)
    elif status == "infeasible":
        err.print("[bold red]infeasible[/]: no plan meets every constraint.")
        if run.diagnosis is not None and len(run.diagnosis):
            err.print("With strict_targets, these targets cannot be met, whatever the cost (the least "
                      "shortfall each can have):")
            _print_diagnosis(run.diagnosis)
            for r in run.diagnosis.itertuples():
                err.print(f"  {r.scope} {r.year}: {r.binds}", markup=False, highlight=False)
        elif run.diagnosis is not None:
            err.print("The targets alone are not the cause: check requires/excludes and limits.")
    elif status == "feasible":
        err.print(gap_refused(run.summary, run.loaded.scenario.options.solver), highlight=False)
    else:
        err.print(f"[bold red]no solution[/]: HiGHS stopped with '{run.result.message}' "
                  f"(time limit {run.loaded.scenario.options.solver.time_limit_s:g} s)")
    raise typer.Exit(code)


def _print_diagnosis(diagnosis) -> None:
    """The unmet strict targets, one row each: a quantity that does not apply to a row is blank."""
    table = Table()
    columns = [c for c in diagnosis.columns if c != "binds"]
    for col in columns:
        table.add_column(col, justify="left" if col == "scope" else "right")
    for _, row in diagnosis.iterrows():
        table.add_row(*[str(row[c]) if c in ("scope", "year") else _number(row[c]) for c in columns])
    err.print(table)


def _number(value) -> str:
    """A measured quantity as printed: blank where it does not apply (None, NaN)."""
    if value is None or value != value:
        return ""
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def gap_refused(summary: dict, solver) -> str:
    """Why a plan HiGHS stopped at a limit is not taken as a result (written nowhere, exit 4)."""
    gap = summary.get("mip_gap")
    accepted = solver.accepted_gap if solver.accepted_gap is not None else max(solver.mip_gap, 0.01)
    shown = f"a gap of {100 * gap:.1f} %" if gap is not None else "no bound on how far it is from the best"
    return (f"[bold red]not a result[/]: HiGHS stopped at '{summary.get('message', '').split(';')[0].removeprefix('HiGHS: ')}' "
            f"(time limit {solver.time_limit_s:g} s) with a plan of {summary.get('objective_musd', float('nan')):,.1f} "
            f"MUSD and {shown}, above the accepted {100 * accepted:.1f} %: the plan may be far from the best. "
            f"Nothing was written. Give HiGHS more time (--set options.solver.time_limit_s=...) or accept "
            f"the plan as it is (--set options.solver.accepted_gap=1).")


def _print_warnings(run: Run) -> None:
    """HiGHS's warnings (and planner's numerical notes), shown without --verbose (also in summary.json)."""
    for warning in run.summary.get("warnings", []):
        err.print(f"[yellow]warning[/]: {warning}", highlight=False)


def _print_futures(run: Run, target: Path) -> None:
    """A run of several futures (SPEC §3.4): the plan, each future's cost, the hedges, VSS and EVPI."""
    import pandas as pd

    s = run.summary
    measure = s["risk_measure"]
    value = {"expected": "expected cost", "cvar": f"(1 - {s.get('cvar_weight', 1):g}) E + "
             f"{s.get('cvar_weight', 1):g} CVaR_{s.get('cvar_alpha'):g}", "regret": "maximum regret"}[measure]
    out.print(f"[bold]{s['scenario']}[/]: {s['status']}, one plan for {len(s['futures'])} futures "
              f"({measure}: {value} {s['risk_value_musd']:,.1f} MUSD; gap {100 * (s['mip_gap'] or 0):.2f} %), "
              f"{'progressive hedging' if s.get('method') == 'progressive_hedging' else 'extensive form'} solved "
              f"in {s['solve_seconds']:.1f} s", highlight=False)
    if s.get("method") == "progressive_hedging":
        gap = s.get("ph_gap")
        out.print(f"progressive hedging on {s['ph_ranks']} rank(s): {s['ph_iterations']} iterations"
                  f"{'' if s.get('ph_converged') else ' (no consensus)'}; expected cost between "
                  f"{s['ph_lower_bound_musd']:,.1f} (lower bound) and {s['ph_upper_bound_musd']:,.1f} MUSD (the plan, "
                  f"evaluated in every future); gap {'n/a' if gap is None else f'{100 * gap:.3f} %'}", highlight=False)
    _print_warnings(run)
    table = Table(title="Futures (net present cost, MUSD; negative: a net benefit)")
    for col in ("future", "p", "hydro x", "cost", "own optimum", "regret", "average-year plan", "short GWh"):
        table.add_column(col, justify="left" if col == "future" else "right")
    for r in run.tables["scenarios"].itertuples():
        avg = r.average_year_plan_cost_musd
        table.add_row(r.scenario, f"{r.probability:g}", f"{r.hydro_energy_factor:.2f}", f"{r.cost_musd:,.1f}",
                      f"{r.own_optimum_musd:,.1f}", f"{r.regret_musd:,.1f}",
                      "" if avg is None or avg != avg else f"{avg:,.1f}", f"{r.energy_shortfall_gwh:,.0f}")
    out.print(table)
    table = Table(title="New builds: no regret, hedges and bets")
    for col in ("asset", "class", "in the plan", "MW", "own plans (future:year)"):
        table.add_column(col, justify="right" if col == "MW" else "left")
    for r in run.tables["hedges"].itertuples():
        table.add_row(r.asset, r[5], "" if pd.isna(r.stochastic_build_year) else str(r.stochastic_build_year),
                      f"{r.stochastic_mw:,.0f}", r.single_future_plans)
    out.print(table)
    vss = s.get("vss_musd")
    out.print(f"expected cost {s['expected_cost_musd']:,.1f} MUSD; VSS {'n/a' if vss is None else f'{vss:,.1f}'} "
              f"MUSD (the average-year plan's expected cost less the plan's); EVPI {s['evpi_musd']:,.1f} MUSD "
              f"(the plan's less the futures' own optima); CVaR_{s['cvar_alpha']:g} {s['cvar_musd']:,.1f}; "
              f"largest regret {s['max_regret_musd']:,.1f}", highlight=False)
    out.print(f"results written to [bold]{target}[/]")


def _print_run(run: Run, target: Path) -> None:
    if "scenarios" in run.tables:
        _print_futures(run, target)
        return
    s = run.summary
    if run.data.import_value:  # the objective is the plan's cost less the value of its imports
        headline = (f"net benefit {-s['objective_musd']:,.1f} MUSD (NPV: Vietnam's value of the imports less the "
                    f"{'importer' if run.data.perspective == 'importer' else 'system'}'s cost)")
    else:
        headline = f"net present cost {s['objective_musd']:,.1f} MUSD"
    out.print(f"[bold]{s['scenario']}[/]: {s['status']}, {headline} "
              f"(gap {100 * (s['mip_gap'] or 0):.2f} %), solved in {s['solve_seconds']:.1f} s")
    _print_warnings(run)
    builds = run.tables["builds"]
    new = builds[builds.status == "candidate"]
    table = Table(title="New builds", show_lines=False)
    for col in ("asset", "kind", "build_year", "capacity_mw", "capex_musd"):
        table.add_column(col, justify="right" if col not in ("asset", "kind") else "left")
    for r in new.itertuples():
        table.add_row(r.asset, r.kind, str(r.build_year), f"{r.capacity_mw:,.0f}", f"{r.capex_musd:,.0f}")
    out.print(table)
    imports = run.tables["imports"]
    country = run.data.scope_nodes  # target scopes, limit scopes and the importing country
    scoped = imports[imports.scope.isin(list(country))]
    has = {c: c in scoped and scoped[c].notna().any() for c in
           ("target_energy_gwh", "target_capacity_mw", "target_contracted_mw", "import_value_usd_per_mwh")}
    table = Table(title="Imports" + (" against targets" if any(has[c] for c in list(has)[:3]) else ""))
    columns = ["scope", "year", "energy GWh", *(("target GWh", "short GWh") if has["target_energy_gwh"] else ()),
               "firm MW", *(("target MW", "short MW") if has["target_capacity_mw"] else ()),
               *(("contr. MW", "target", "short") if has["target_contracted_mw"] else ()),
               *(("value",) if has["import_value_usd_per_mwh"] else ()), "1-yr SR", "1-yr LR", "lasting"]
    for col in columns:
        table.add_column(col, justify="left" if col == "scope" else "right")

    def f(x, fmt="{:,.0f}"):
        return "" if x is None or x != x else fmt.format(x)

    for r in scoped.itertuples():
        table.add_row(r.scope, str(r.year), f(r.energy_gwh),
                      *((f(r.target_energy_gwh), f(r.energy_shortfall_gwh)) if has["target_energy_gwh"] else ()),
                      f(r.firm_mw),
                      *((f(r.target_capacity_mw), f(r.capacity_shortfall_mw)) if has["target_capacity_mw"] else ()),
                      *((f(r.contracted_mw), f(r.target_contracted_mw), f(r.contracted_shortfall_mw))
                        if has["target_contracted_mw"] else ()),
                      *((f(r.import_value_usd_per_mwh, "{:,.1f}"),) if has["import_value_usd_per_mwh"] else ()),
                      f(r.marginal_cost_usd_per_mwh, "{:,.1f}"), f(r.long_run_marginal_cost_usd_per_mwh, "{:,.1f}"),
                      f(r.lasting_marginal_cost_usd_per_mwh, "{:,.1f}"))
    out.print(table)
    what = "of the energy target" if has["target_energy_gwh"] else "delivered"
    out.print(f"USD/MWh: the cost of one more MWh {what} in that year alone, short run (1-yr SR: the fleet as "
              "planned) and long run (1-yr LR: its zones may grow); lasting: one more MWh in every year from "
              "that one to the horizon, per discounted MWh (long run) -- the price to quote for a lasting "
              "contract. firm MW: the most the plan can deliver in every peak slice at once"
              + ("; value: Vietnam's import value of what was delivered" if has["import_value_usd_per_mwh"] else ""),
              highlight=False)
    if s["excluded_by_tariff"]:
        out.print(f"excluded by the tariff ceiling: {', '.join(s['excluded_by_tariff'])}")
    if "importer_cost_musd" in s:
        costs = run.tables["costs"]
        npv = costs[costs.view == "importer"].groupby("component").discounted_musd.sum()
        paid = float(npv.get("payments", 0.0) + npv.get("links", 0.0))
        worth = -float(npv.get("import_value", 0.0))
        value = f" for imports worth {worth:,.1f} to it" if worth else ""
        out.print(f"the importer pays {paid:,.1f} MUSD (NPV, tariffs and its share of links){value}; rent over the "
                  f"resource cost {s['rent_musd']:,.1f} MUSD (tariffs.csv, payments.csv)", highlight=False)
    out.print(f"results written to [bold]{target}[/]")


def main() -> None:  # pragma: no cover - console entry
    """The console entry. Ctrl-C at any stage: "interrupted" on stderr, exit 130, nothing written
    (see planner/interrupt.py)."""
    from . import interrupt

    interrupt.install()
    try:
        app()
    except interrupt.Interrupted:
        print("interrupted", file=sys.stderr, flush=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
