"""The house around the model: the import graph (no cycles, no private names shared, each module
importable alone), the job runner (jobs.py) and one run's timings (summary.json)."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "planner"
EXAMPLE = ROOT / "scenarios" / "example" / "example.yaml"

def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(module: str, path: Path, modules: dict) -> list[tuple[str, str | None, int]]:
    """(imported planner module, name imported from it or None, line) of every import in the
    module, those inside functions included (they are edges too), TYPE_CHECKING blocks excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    out.append((f"{base}.{alias.name}", None, node.lineno))
                elif base in modules:
                    out.append((base, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name in modules]
    return out


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    modules = _modules()
    edges = {m: {target for target, _, _ in _imports(m, p, modules) if target != m} for m, p in modules.items()}
    # a package imports its own modules (its __init__ re-exports them): that is not a cycle of concerns
    edges = {m: {t for t in ts if not (m in modules and t.startswith(m + "."))} for m, ts in edges.items()}
    assert _cycles(edges) == []
    # the pipeline's order: the analyses and the job runner never import run.py, sweep.py or explore.py
    for low in ("planner.jobs", "planner.flip", "planner.diagnosis", "planner.second_stage", "planner.outcome",
                "planner.stochastic.run", "planner.io.writers"):
        assert not edges[low] & {"planner.run", "planner.sweep", "planner.explore", "planner.cli"}, low


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_another_modules_private_name():
    modules = _modules()
    shared = []
    for m, p in modules.items():
        for target, name, line in _imports(m, p, modules):
            if name and name.startswith("_") and not name.startswith("__"):
                shared.append(f"{p.relative_to(ROOT)}:{line}: {target}.{name}")
    assert shared == []


def test_each_module_imports_alone():
    """Each planner module imported first, in an interpreter holding no other planner module."""
    names = sorted(m for m in _modules() if m != "planner.__main__")
    code = textwrap.dedent(f"""
        import importlib, sys, traceback
        failed = []
        for name in {names!r}:
            for loaded in [k for k in sys.modules if k == "planner" or k.startswith("planner.")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name + ": " + traceback.format_exc(limit=1).strip().splitlines()[-1])
        print("\\n".join(failed))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_the_cli_and_a_solve_import_only_what_they_need(tmp_path):
    """``planner --help`` loads no modelling library, ``planner validate`` no solver; a solve loads no
    plotting, cluster, Excel reader, sensitivity or time-series library (other commands' or extras')."""
    code = textwrap.dedent(f"""
        import sys
        from planner.cli import app
        print(sorted(m for m in ("pyomo", "highspy", "pandas", "numpy", "scipy", "matplotlib", "xlsxwriter",
                                 "asyncio") if m in sys.modules))
        try:
            app(["validate", {str(EXAMPLE)!r}, "-q"], standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code, exc.code
        print(sorted(m for m in ("pyomo", "highspy", "scipy", "xlsxwriter") if m in sys.modules))
        try:
            app(["solve", {str(EXAMPLE)!r}, "--out", {str(tmp_path / "out")!r}, "-q"], standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code, exc.code
        print(sorted(m for m in ("matplotlib", "openpyxl", "distributed", "dask", "SALib", "tsam", "mpi4py", "mpisppy")
                     if m in sys.modules))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    at_start, after_validate, after_solve = proc.stdout.strip().splitlines()[-3:]
    assert at_start == "[]"
    assert after_validate == "[]"
    assert after_solve == "[]"
    assert (tmp_path / "out" / "results.xlsx").is_file()


# --- the job runner --------------------------------------------------------------------------------


def _square(x):
    return x * x


def _fails(x):
    if x == 2:
        raise ValueError(f"no {x}")
    return x


def _sleeps(seconds):
    time.sleep(seconds)
    return seconds


@pytest.mark.parametrize("workers", [1, 2])
def test_jobs_run_and_a_job_that_raises_fails_its_key_only(workers):
    from planner.jobs import JobFailed, run_jobs

    got = dict(run_jobs(_fails, {"a": (1,), "b": 2, "c": (3,)}, workers=workers))
    assert got["a"] == 1 and got["c"] == 3
    assert isinstance(got["b"], JobFailed) and "ValueError: no 2" in got["b"].message
    assert dict(run_jobs(_square, {k: (k,) for k in range(5)}, workers=workers)) == {k: k * k for k in range(5)}


def test_in_process_jobs_run_here_and_local_jobs_in_workers():
    from planner.jobs import run_jobs

    here = dict(run_jobs(os.getpid, {"a": ()}, workers=1))
    apart = dict(run_jobs(os.getpid, {"a": ()}, workers=1, in_process=False))
    assert here["a"] == os.getpid() and apart["a"] != os.getpid()


def test_a_job_runner_interrupted_stops_its_workers_and_says_interrupted():
    """Ctrl-C while jobs run on local processes: the main process raises Interrupted, the workers
    are ended (they do not finish their minute of sleep), exit 130 as the CLI does."""
    code = textwrap.dedent("""
        import os, sys, time
        sys.path.insert(0, "tests")
        from planner import interrupt
        from planner.jobs import run_jobs
        from test_house import _sleeps
        interrupt.install()
        t0 = time.monotonic()
        try:
            for key, result in run_jobs(_sleeps, {"a": (60,), "b": (60,)}, workers=2):
                print("finished", key, flush=True)
        except interrupt.Interrupted:
            print(f"interrupted after {time.monotonic() - t0:.0f}", flush=True)
            sys.exit(130)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    time.sleep(8)  # the workers started (spawned: an interpreter each) and sleep
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "interrupted after" in out and "finished" not in out
    assert int(out.split("interrupted after")[1].split()[0]) < 40


# --- one run's timings ------------------------------------------------------------------------------


def test_summary_json_has_the_timings_of_every_stage(tmp_path):
    from planner.timings import STAGES

    target = tmp_path / "out"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "planner.cli", "solve", str(EXAMPLE), "--out", str(target), "-q"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((target / "summary.json").read_text())
    timings = summary["timings"]
    assert list(timings) == [s for s in STAGES if s in timings]  # in the pipeline's order
    for stage in ("imports", "load", "data", "build", "handoff", "solve", "prices", "tables", "files"):
        assert stage in timings, stage
        assert timings[stage] >= 0
    assert timings["imports"] > 0.05  # an interpreter with pandas and Pyomo loaded does not start in 50 ms
    assert timings["files"] > 0  # the CSVs and the workbook were written before summary.json
    assert abs(timings["handoff"] - summary["handoff_seconds"]) < 2e-3
    assert abs(timings["solve"] + timings["prices"] - summary["solve_seconds"]) < 2e-3
    # the stages account for the command's time: no more than it took, and most of it
    assert 0.5 * wall < sum(timings.values()) < wall


def test_run_timings_are_kept_on_the_run_without_files():
    from planner.run import run_scenario

    run = run_scenario(EXAMPLE)
    assert run.summary["timings"] == run.timings.rounded()
    assert "files" not in run.summary["timings"] and run.timings["build"] > 0


def test_a_lexicographic_second_stage_solves_without_root_restarts_unless_the_user_says(monkeypatch):
    """The importer's second stage passes HiGHS mip_allow_restart=false (SECOND_STAGE_OPTIONS); a
    user's highs_options win; the plain (first) solve keeps HiGHS's defaults."""
    import dataclasses

    from planner import second_stage
    from planner.solve import SolverSettings

    plain = SolverSettings(options={"presolve": "on"}, log=print)
    second = second_stage.second_stage_settings(plain)
    assert second.options == {"mip_allow_restart": False, "presolve": "on"} and second.log is None
    assert plain.options == {"presolve": "on"}  # the first stage's settings untouched
    own = second_stage.second_stage_settings(dataclasses.replace(plain, options={"mip_allow_restart": True}))
    assert own.options["mip_allow_restart"] is True

    seen = []
    real = second_stage.solve_model

    def spy(model, settings, **kw):
        seen.append(dict(settings.options))
        return real(model, settings, **kw)

    monkeypatch.setattr(second_stage, "solve_model", spy)
    from planner.run import run_scenario

    run = run_scenario(ROOT / "scenarios" / "base" / "importer_view.yaml")
    assert run.result.status == "optimal" and seen == [{"mip_allow_restart": False}]
