"""Every failure has its code and its reason (issue 17, part 3): bad input found by the cases that
gave a traceback or hung is one clear message naming the file (and row, column or entity) and an
exit status from SPEC §5 (2 bad input, 4 solver failure or a cluster that cannot run the work)."""

from __future__ import annotations

import errno
import shutil
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.compare import CompareError, comparison_tables, read_results
from tests.conftest import planner, project, tiny, write

TINY = tiny(projects=[project("h", 100, energy_cost_usd_per_mwh=10)],
            targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])


def _clean(proc, code: int) -> str:
    """The process left with ``code`` and one message, no traceback; its stderr."""
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]
    return proc.stderr


def _in_process(args, code: int) -> str:
    """The CLI in this process (cheaper than a subprocess): exit ``code``, no exception; its output
    with white space made single (rich may wrap a long message)."""
    result = _runner(args)
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """TINY solved once through the CLI (no workbook): a result folder to copy and spoil."""
    folder = tmp_path_factory.mktemp("tiny")
    out = folder / "run"
    _clean(planner("solve", write(TINY, folder), "--out", out, "--quiet", "--no-xlsx"), 0)
    return out


def _copy(run: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(run, target)
    return target


_JSON = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                     max_leaves=5)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(["status", "objective_musd", "scenario", "excluded_by_tariff", "mip_gap",
                                               "build_mode", "rent_musd", "solve_seconds", "perspective"]), _JSON,
                              min_size=1))
def test_compare_never_gives_a_traceback_on_a_spoilt_summary(tiny_run, tmp_path_factory, values):
    """summary.json with any JSON in its fields: compared and written, or CompareError naming the file."""
    import json

    from planner.compare import write_comparison_workbook

    folder = _copy(tiny_run, tmp_path_factory.mktemp("fuzz"), "spoilt")
    summary = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").write_text(json.dumps({**summary, **values}))
    try:
        folders = read_results([tiny_run, folder])
    except CompareError as exc:
        assert "spoilt/summary.json" in str(exc)
        return
    write_comparison_workbook(folders, folder.parent / "c.xlsx")


# --- hourly profiles -----------------------------------------------------------------------------

def _hourly_scenario(tmp_path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(tmp_path / "hourly.csv", index=False)
    data = tiny(projects=[project("h", 100)], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])
    data["time"] = {"hourly_file": "hourly.csv", "representative_days": 4}
    return write(data, tmp_path)


@pytest.mark.parametrize("value", [np.inf, -np.inf, "inf", "nan"])
def test_hourly_load_that_is_not_finite_is_bad_input(tmp_path, value):
    pytest.importorskip("tsam")
    frame = pd.DataFrame({"hour": range(1, 8761), "hydro": 0.5, "load": np.linspace(1.0, 2.0, 8760)})
    frame["load"] = frame["load"].astype(object)
    frame.loc[100, "load"] = value
    stderr = _in_process(["validate", _hourly_scenario(tmp_path, frame)], 2)
    assert "hourly.csv (row 102, column load)" in stderr and "expected a finite number" in stderr


@pytest.mark.parametrize("offsets", [("+07:00", "+08:00"), ("+07:00", "")])
def test_hourly_times_in_mixed_offsets_are_bad_input(tmp_path, offsets):
    stamps = pd.date_range("2025-01-01", periods=8760, freq="h").strftime("%Y-%m-%dT%H:%M:00")
    frame = pd.DataFrame({"time": stamps + np.where(np.arange(8760) < 5000, *offsets), "hydro": 0.5})
    stderr = _in_process(["validate", _hourly_scenario(tmp_path, frame)], 2)
    assert "hourly.csv (column time)" in stderr and "time-zone offset" in stderr


# --- compare ---------------------------------------------------------------------------------------

def test_compare_a_folder_named_like_a_column(tiny_run, tmp_path):
    """A result folder called ``link`` (or ``year``, ``asset``...) is labelled by its parent too."""
    folders = [_copy(tiny_run, tmp_path, name) for name in ("link", "year", "metric")]
    proc = planner("compare", tiny_run, *folders, "--out", tmp_path / "c.xlsx", "--json")
    _clean(proc, 0)
    labels = list(pd.read_csv(tmp_path / "c" / "summary.csv").columns)
    assert labels == ["metric", "run", f"{tmp_path.name}/link", f"{tmp_path.name}/year", f"{tmp_path.name}/metric"]
    links = pd.read_csv(tmp_path / "c" / "links.csv")
    assert list(links.columns[:3]) == ["quantity", "link", "year"]


@pytest.mark.parametrize("spoil, where", [
    (lambda r: pd.read_csv(r / "links.csv").drop(columns="utilisation").to_csv(r / "links.csv", index=False),
     "links.csv: missing column(s) utilisation"),
    (lambda r: (r / "links.csv").write_text((r / "links.csv").read_text().replace(",100,0,", ",lots,0,")),
     "links.csv: row 2, column delivered_gwh: expected a finite number, got 'lots'"),
    (lambda r: (r / "costs.csv").write_text((r / "costs.csv").read_text().replace("2025,capex", "soon,capex")),
     "costs.csv: row 2, column year: expected a whole year, got 'soon'"),
    (lambda r: (r / "scenario.yaml").write_text("- just\n- a list\n"),
     "scenario.yaml is not one written by planner solve (expected a mapping of fields, got list)"),
    (lambda r: (r / "scenario.yaml").write_text("name: x\nhorizon: 2025\n"),
     "scenario.yaml is not one written by planner solve (its horizon is not a mapping: got int)"),
    (lambda r: (r / "summary.json").write_text('{"excluded_by_tariff": 3}'),
     "summary.json: excluded_by_tariff is not a list"),
    (lambda r: (r / "imports.csv").write_bytes(b"\xff\xfe\x00garbage"), "imports.csv: not UTF-8 text"),
])
def test_compare_names_the_file_row_and_column(tiny_run, tmp_path, spoil, where):
    bad = _copy(tiny_run, tmp_path, "bad")
    spoil(bad)
    stderr = _in_process(["compare", tiny_run, bad, "--out", tmp_path / "c.xlsx"], 2)
    assert f"{bad}/{where}" in stderr, stderr
    assert not (tmp_path / "c.xlsx").exists() and not (tmp_path / "c").exists()


_CELLS = st.one_of(st.text(max_size=8), st.sampled_from(["", "nan", "inf", "-inf", "1e400", "NA", "true", "2025",
                                                         "2025.5", " 3 ", "=1+1", "\"", ",", "\n"]),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(["builds", "capacity", "imports", "links", "costs"]), data=st.data())
def test_compare_never_gives_a_traceback_on_spoilt_csv(tiny_run, tmp_path_factory, table, data):
    """Random cells, rows, headers or bytes in one CSV of a result folder: the comparison is made
    or CompareError says which file; nothing else is raised."""
    folder = _copy(tiny_run, tmp_path_factory.mktemp("fuzz"), "spoilt")
    file = folder / f"{table}.csv"
    how = data.draw(st.sampled_from(["cell", "header", "row", "bytes"]))
    if how == "bytes":
        file.write_bytes(data.draw(st.binary(max_size=200)))
    else:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        if how == "cell":
            frame.iloc[data.draw(st.integers(0, len(frame) - 1)),
                       data.draw(st.integers(0, frame.shape[1] - 1))] = data.draw(_CELLS)
        elif how == "header":
            columns = list(frame.columns)
            columns[data.draw(st.integers(0, len(columns) - 1))] = data.draw(_CELLS)
            frame.columns = columns
        else:
            frame = pd.concat([frame, frame.iloc[[data.draw(st.integers(0, len(frame) - 1))]]], ignore_index=True)
        frame.to_csv(file, index=False)
    try:
        folders = read_results([tiny_run, folder])
    except CompareError as exc:
        assert folder.name in str(exc)
        return
    tables = comparison_tables(folders)
    assert set(tables) >= {"summary", "by_year", "differences"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=60), st.sampled_from(["horizon: {base_year: 2025-01-01}", "options: 3",
                                                            "nodes: [1, 2]", "links: {a: 1}", "[", "&a [*a]",
                                                            "horizon: {base_year: .nan}", "time: []"])))
def test_compare_never_gives_a_traceback_on_a_spoilt_scenario(tiny_run, tmp_path_factory, text):
    folder = _copy(tiny_run, tmp_path_factory.mktemp("fuzz"), "spoilt")
    (folder / "scenario.yaml").write_text(text)
    try:
        comparison_tables(read_results([tiny_run, folder]))
    except CompareError as exc:
        assert folder.name in str(exc)


# --- Dask schedulers: bad addresses, unreachable, not a scheduler, no workers, workers lost ----------

TIMEOUT = ["--scheduler-timeout", "2"]


@pytest.mark.parametrize("address, says", [
    ("not a url", "is not a Dask scheduler address"),
    ("inproc://x/1/2", "inproc:// scheduler lives inside another process"),
    ("ucx://127.0.0.1:8786", "ucx:// needs UCX support"),
    ("tcp://127.0.0.1", "is not a Dask scheduler address"),
    ("tcp://127.0.0.1:99999", "is not a Dask scheduler address"),
    ("tls://127.0.0.1:8786", "tls:// needs TLS certificates"),
])
@pytest.mark.parametrize("command", ["solve", "sweep"])
def test_unusable_scheduler_addresses_are_bad_input(tmp_path, command, address, says):
    if address.startswith("ucx") and any(__import__("importlib").util.find_spec(m) for m in ("distributed_ucxx", "ucp")):
        pytest.skip("UCX support is installed here")
    scenario = write(TINY, tmp_path)
    extra = ["--flip-tariffs"] if command == "solve" else []
    result = _runner([command, scenario, *extra, "--scheduler", address, "--out", tmp_path / "o", "--quiet"])
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split())
    assert "solving" not in result.output and not (tmp_path / "o").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _started(cmd: list[str], marker: str, timeout: float = 60.0):
    """A process started with ``cmd`` once its output shows ``marker``: (process, the rest of that line)."""
    import subprocess
    import sys
    import threading
    import time

    proc = subprocess.Popen([sys.executable, *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found: list[str] = []

    def read():
        for line in proc.stdout:
            if marker in line and not found:
                found.append(line.split(marker, 1)[1].strip())
        proc.stdout.close()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    if not found:
        proc.kill()
        pytest.fail(f"{cmd} did not start")
    return proc, found[0]


@pytest.fixture
def scheduler():
    """A Dask scheduler in a process of its own, without workers: its address."""
    pytest.importorskip("distributed")
    proc, address = _started(["-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard"], "Scheduler at:")
    yield address
    proc.kill()
    proc.wait(timeout=30)


@pytest.fixture
def not_a_scheduler():
    """Ports that are no Dask scheduler: an HTTP server, a port that accepts and never answers, a closed port."""
    import socket

    pytest.importorskip("distributed")
    http, line = _started(["-m", "http.server", "0", "--bind", "127.0.0.1"], "port ")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    yield {"http": f"tcp://127.0.0.1:{int(line.split()[0])}", "silent": f"127.0.0.1:{silent.getsockname()[1]}",
           "closed": f"tcp://127.0.0.1:{_free_port()}"}
    silent.close()
    http.kill()
    http.wait(timeout=30)


@pytest.mark.parametrize("kind", ["http", "silent", "closed"])
def test_a_port_that_is_no_scheduler_fails_in_time(tmp_path, not_a_scheduler, kind):
    import time

    scenario = write(TINY, tmp_path)
    for command, extra in (("sweep", []), ("solve", ["--flip-tariffs"])):
        t0 = time.monotonic()
        result = _runner([command, scenario, *extra, "--scheduler", not_a_scheduler[kind], *TIMEOUT, "--out",
                          tmp_path / "o", "--quiet"])
        assert result.exit_code == 4, result.output
        stderr = " ".join(result.output.split())
        assert time.monotonic() - t0 < 30
        assert "Dask scheduler" in stderr and not (tmp_path / "o").exists()
        if kind == "http":
            assert "no answer within 2 s" in stderr or "not as a Dask scheduler" in stderr, stderr


def test_a_scheduler_without_workers_fails_in_time(tmp_path, scheduler):
    scenario = write(TINY, tmp_path)
    result = _runner(["sweep", scenario, "--scheduler", scheduler, *TIMEOUT, "--out", tmp_path / "o"])
    assert result.exit_code == 4, result.output
    stderr = " ".join(result.output.split())
    assert f"the Dask scheduler at {scheduler} has no workers" in stderr and "dask worker" in stderr
    assert not (tmp_path / "o").exists()


def test_a_worker_that_dies_fails_in_time(scheduler):
    """Every job kills its worker (started without a nanny, so it stays dead): the work fails with
    ClusterError once the scheduler has had no worker for the timeout, instead of waiting forever."""
    import os

    from planner.cluster import ClusterError
    from planner.jobs import run_jobs

    worker, _ = _started(["-m", "distributed.cli.dask_worker", scheduler, "--nthreads", "1", "--no-nanny",
                          "--no-dashboard"], "Registered to:")
    try:
        with pytest.raises(ClusterError, match="has had no workers for 2 s with 1 run"):
            list(run_jobs(os._exit, {"a": (3,)}, scheduler=scheduler, scheduler_timeout=2))
        assert worker.wait(timeout=30) == 3
    finally:
        worker.kill()


# --- report: no figure left open ---------------------------------------------------------------------

def test_report_leaves_no_figure_open(tiny_run, tmp_path):
    import warnings

    import matplotlib.pyplot as plt

    from planner.compare import read_result
    from planner.report import plots, write_report

    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns past 20 open figures
        for _ in range(3):  # 7 plots each: 21 figures
            assert len(plots(read_result(tiny_run))) >= 6
        write_report(tiny_run, tmp_path / "r3.html")
    assert plt.get_fignums() == before
    assert len(list((tmp_path / "r3_figures").glob("*.png"))) >= 6


# --- output names the file system cannot hold; a full disk while a workbook is saved ---------------

def _runner(args):
    from typer.testing import CliRunner

    from planner.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize("length", [300, 223])
def test_an_out_name_too_long_for_the_file_system_is_bad_input(tiny_run, tmp_path, length):
    """300 characters: more than a name may have; 223: planner's scratch names beside it would be."""
    scenario = write(TINY, tmp_path)
    name = "x" * length
    for args in (["solve", scenario, "--out", tmp_path / name],
                 ["sweep", scenario, "--out", tmp_path / name],
                 ["compare", tiny_run, "--out", tmp_path / f"{name[:-5]}.xlsx"],
                 ["report", tiny_run, "--out", tmp_path / f"{name[:-5]}.html"]):
        result = _runner([*args, "--quiet"])
        assert result.exit_code == 2, (args[0], result.output)
        assert "give a shorter name" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml"]


def test_the_longest_name_planner_takes_is_written(tmp_path):
    from planner.io.safety import SCRATCH_OVERHEAD

    out = tmp_path / ("y" * (255 - SCRATCH_OVERHEAD))
    result = _runner(["solve", write(TINY, tmp_path), "--out", out, "--quiet", "--no-xlsx"])
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").is_file()


@pytest.mark.parametrize("command", ["compare", "sweep", "solve"])
def test_a_full_disk_while_the_workbook_is_saved(tiny_run, tmp_path, monkeypatch, command):
    """XlsxWriter wraps the OSError in its FileCreateError: reported as the failed write it is (exit
    4, "No space left on device"), nothing written, an earlier result left as it was."""
    import xlsxwriter.workbook

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    scenario = write(TINY, tmp_path)
    out = {"compare": tmp_path / "c.xlsx", "sweep": tmp_path / "sw", "solve": tmp_path / "r"}[command]
    args = {"compare": ["compare", tiny_run, tiny_run], "sweep": ["sweep", scenario, "--workers", "1"],
            "solve": ["solve", scenario]}[command]
    assert _runner([*args, "--out", out, "--quiet"]).exit_code == 0
    before = sorted(p.name for p in tmp_path.rglob("*"))
    monkeypatch.setattr(xlsxwriter.workbook, "ZipFile", full)
    result = _runner([*args, "--out", out, "--quiet", "--force"])
    assert result.exit_code == 4, result.output
    flat = " ".join(result.output.split())
    assert f"{out}: No space left on device" in flat and "nothing was replaced" in flat
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# --- a lock held by a live process ----------------------------------------------------------------

@pytest.mark.parametrize("holder", ["sleep", "planner"])
def test_a_lock_held_by_a_live_process_names_its_lock_file(tmp_path, holder):
    """A live pid that is not planner (a pid reused after a killed run): the lock is stale, and the
    message names the lock file to delete; a live planner run: wait for it (the lock is named too)."""
    import subprocess
    import sys

    if not Path("/proc/self/cmdline").exists():
        pytest.skip("needs /proc to tell a planner process from another")
    cmd = ["sleep", "60"] if holder == "sleep" else [sys.executable, "-c", "import time; time.sleep(60)", "planner"]
    proc = subprocess.Popen(cmd)
    try:
        lock = tmp_path / ".out.lock"
        lock.write_text(str(proc.pid))
        stderr = _clean(planner("solve", write(TINY, tmp_path), "--out", tmp_path / "out", "--quiet"), 2)
        flat = " ".join(stderr.split())
        assert str(lock) in flat and f"pid {proc.pid}" in flat
        if holder == "sleep":
            assert "is not planner (sleep 60)" in flat and f"delete {lock}" in flat
        else:
            assert "another planner run" in flat
        assert not (tmp_path / "out").exists() and lock.read_text() == str(proc.pid)
    finally:
        proc.kill()
        proc.wait()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(["flows", "dispatch", "tariffs"]), data=st.data())
def test_report_never_gives_a_traceback_on_spoilt_tables(tiny_run, tmp_path_factory, table, data):
    """The tables only ``planner report`` reads, spoilt as above: drawn, or CompareError naming the file."""
    from planner.compare import read_result
    from planner.report import plots

    folder = _copy(tiny_run, tmp_path_factory.mktemp("fuzz"), "spoilt")
    file = folder / f"{table}.csv"
    frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    how = data.draw(st.sampled_from(["cell", "header", "row", "bytes"]))
    if how == "bytes":
        file.write_bytes(data.draw(st.binary(max_size=100)))
    elif how == "cell":
        frame.iloc[data.draw(st.integers(0, len(frame) - 1)), data.draw(st.integers(0, frame.shape[1] - 1))] = \
            data.draw(_CELLS)
        frame.to_csv(file, index=False)
    elif how == "header":
        frame.columns = [data.draw(_CELLS) if i == data.draw(st.integers(0, frame.shape[1] - 1)) else c
                         for i, c in enumerate(frame.columns)]
        frame.to_csv(file, index=False)
    else:
        pd.concat([frame, frame], ignore_index=True).to_csv(file, index=False)
    try:
        assert len(plots(read_result(folder))) >= 6
    except CompareError as exc:
        assert f"{table}.csv" in str(exc)
