"""Outputs (issue "Safe by default", families 1, 5 and 6): planner replaces only what it wrote,
refuses targets that hold what a run reads, locks a target while writing, leaves nothing half
written, and writes text as text in every spreadsheet."""

from __future__ import annotations

import errno
import os
import time
import shutil
import string
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from planner.io import safety
from planner.io.safety import MANIFEST, OutputExistsError, OutputRefused
from planner.io.writers import write_csv, write_results, write_workbook
from tests.conftest import EXAMPLE, planner, project, tiny, write

TINY = tiny(projects=[project("h", 100, energy_cost_usd_per_mwh=10)],
            targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])


@pytest.fixture
def study(tmp_path):
    """A user's folder: a scenario, a table, notes, and one planner result."""
    scen = tmp_path / "sc"
    scen.mkdir()
    shutil.copytree(EXAMPLE.parent, scen, dirs_exist_ok=True)
    (tmp_path / "mydocs").mkdir()
    (tmp_path / "mydocs" / "notes.txt").write_text("a day's work")
    return tmp_path


def _intact(study: Path) -> None:
    assert (study / "sc" / "example.yaml").is_file() and (study / "sc" / "projects.csv").is_file()
    assert (study / "mydocs" / "notes.txt").read_text() == "a day's work"


@pytest.mark.parametrize("out", ["sc", "mydocs", ".", "..", "sc/projects.csv", "mydocs/notes.txt/x"])
def test_solve_refuses_targets_it_does_not_own(study, out):
    proc = planner("solve", "sc/example.yaml", "--out", out, "--force", "--quiet", cwd=study)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write the results" in proc.stderr and "Traceback" not in proc.stderr
    assert "solving" not in proc.stderr.lower()
    _intact(study)


def test_solve_refuses_an_ancestor_of_the_scenario(study):
    proc = planner("solve", study / "sc" / "example.yaml", "--out", study, "--force", "--quiet", cwd="/")
    assert proc.returncode == 2 and "which this run reads" in proc.stderr
    _intact(study)


def test_force_replaces_only_planner_folders(study):
    out = study / "results" / "run1"
    assert planner("solve", "sc/example.yaml", "--out", out, "--quiet", "--no-xlsx", cwd=study).returncode == 0
    manifest = (out / MANIFEST).read_text()
    assert '"written_by": "planner"' in manifest and "builds.csv" in manifest
    other = study / "results" / "other_study"
    other.mkdir()
    (other / "keep.csv").write_text("x")
    again = planner("solve", "sc/example.yaml", "--out", out, "--quiet", "--no-xlsx", cwd=study)
    assert again.returncode == 2 and "exists" in again.stderr
    forced = planner("solve", "sc/example.yaml", "--out", out, "--force", "--quiet", "--no-xlsx", cwd=study)
    assert forced.returncode == 0, forced.stderr
    assert (other / "keep.csv").is_file()
    assert sorted(p.name for p in (study / "results").iterdir()) == ["other_study", "run1"]  # no leftovers
    mode = (out).stat().st_mode & 0o777
    assert mode == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_compare_and_report_never_touch_other_files(study, tmp_path):
    run = study / "r1"
    assert planner("solve", "sc/example.yaml", "--out", run, "--quiet", "--no-xlsx", cwd=study).returncode == 0
    (study / "notes").mkdir()
    (study / "notes" / "mine.txt").write_text("keep")
    proc = planner("compare", run, "--out", study / "notes.xlsx", "--force", "--quiet")
    assert proc.returncode == 2 and "not written by planner" in proc.stderr
    assert (study / "notes" / "mine.txt").read_text() == "keep" and not (study / "notes.xlsx").exists()
    # a workbook of the user's with the same name
    (study / "cmp.xlsx").write_text("user's workbook")
    proc = planner("compare", run, "--out", study / "cmp.xlsx", "--force", "--quiet")
    assert proc.returncode == 2 and (study / "cmp.xlsx").read_text() == "user's workbook"
    # planner's own comparison is replaced with --force, refused without
    assert planner("compare", run, "--out", study / "c2.xlsx", "--quiet").returncode == 0
    assert planner("compare", run, "--out", study / "c2.xlsx", "--quiet").returncode == 2
    assert planner("compare", run, "--out", study / "c2.xlsx", "--quiet", "--force").returncode == 0
    # the report: an existing page is never overwritten without --force, nor a user's page with it
    (study / "page.html").write_text("<p>mine</p>")
    for extra in ([], ["--force"]):
        proc = planner("report", run, "--out", study / "page.html", "--quiet", *extra)
        assert proc.returncode == 2 and (study / "page.html").read_text() == "<p>mine</p>"
    assert planner("report", run, "--quiet").returncode == 0
    assert planner("report", run, "--quiet").returncode == 2
    assert planner("report", run, "--quiet", "--force").returncode == 0
    # compare into an input folder is refused
    proc = planner("compare", run, "--out", run, "--quiet")
    assert proc.returncode == 2


def test_lock_makes_a_second_writer_fail(tmp_path):
    target = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    lock.write_text(str(os.getppid()))  # a live process holds it
    with pytest.raises(OutputRefused, match=r"pid \d+.*\.out\.lock|\.out\.lock.*pid \d+"):
        write_results(target, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n")
    assert not target.exists()
    lock.write_text("999999999")  # its process is gone: taken over
    write_results(target, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n", workbook=False)
    assert (target / "t.csv").is_file() and not lock.exists()


def test_an_empty_lock_is_a_run_starting_until_it_is_old(tmp_path):
    """A run creates its lock, then writes its pid: a second run that reads the lock in between finds
    it empty and must not take it over (the race that let two concurrent solves both write)."""
    target = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    lock.write_text("")
    with pytest.raises(OutputRefused, match="starting to write"):
        write_results(target, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n", workbook=False)
    old = time.time() - 3600
    os.utime(lock, (old, old))  # a run killed as it began, an hour ago: taken over
    write_results(target, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n", workbook=False)
    assert (target / "t.csv").is_file() and not lock.exists()


def test_concurrent_solves_one_wins(tmp_path):
    path = write(TINY, tmp_path)
    out = tmp_path / "out"
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-m", "planner.cli", "solve", str(path), "--out", str(out), "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes.count(0) == 1 and set(codes) == {0, 2}, [p.stderr.read() for p in procs]
    assert (out / MANIFEST).is_file()


def test_folders_that_look_like_scratch_are_left_alone(tmp_path):
    """planner deletes only the scratch folders it created in this run, never by a name pattern
    (the leftovers of a killed run included: it cannot tell them from a user's folder)."""
    target = tmp_path / "out"
    for name in (".out.tmp-abc", ".out.old-123", ".out.planner-tmp-1-x", ".out.planner-old-1-y"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "half.csv").write_text("x")
    write_results(target, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n", workbook=False)
    write_results(target, {"t": pd.DataFrame({"a": [2]})}, {}, "name: x\n", workbook=False, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.old-123", ".out.planner-old-1-y",
                                                         ".out.planner-tmp-1-x", ".out.tmp-abc", "out"]
    assert all((tmp_path / name / "half.csv").read_text() == "x" for name in (".out.tmp-abc", ".out.old-123"))


@pytest.mark.parametrize("failing", ["os.replace", "write_text"])
def test_full_disk_keeps_the_earlier_run(tmp_path, monkeypatch, failing):
    target = tmp_path / "out"
    write_results(target, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n", workbook=False)
    before = (target / "t.csv").read_text()

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "os.replace":
        monkeypatch.setattr(os, "replace", full)
    else:
        monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError):
        write_results(target, {"t": pd.DataFrame({"a": [2]})}, {}, "name: x\n", force=True, workbook=False)
    monkeypatch.undo()
    assert (target / "t.csv").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_cli_write_errors_are_clean(tmp_path, monkeypatch):
    """Through typer's runner in this process, so the disk can be made to fail."""
    from typer.testing import CliRunner

    from planner.cli import app

    path = write(TINY, tmp_path)
    run = tmp_path / "run"
    runner = CliRunner()
    assert runner.invoke(app, ["solve", str(path), "--out", str(run), "--quiet", "--no-xlsx"]).exit_code == 0

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    import planner.io.writers as writers
    import planner.sweep as sweep

    monkeypatch.setattr(writers, "temporary_folder", full)
    monkeypatch.setattr(sweep, "temporary_folder", full)
    for args in (["solve", str(path), "--out", str(tmp_path / "r2"), "--quiet"],
                 ["compare", str(run), "--out", str(tmp_path / "c.xlsx"), "--quiet"],
                 ["report", str(run), "--out", str(tmp_path / "p.html"), "--quiet"],
                 ["sweep", str(path), "--out", str(tmp_path / "sw"), "--quiet", "--workers", "1"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 4, (args, result.output)
        assert "No space left on device" in result.output and result.exception is None or \
            isinstance(result.exception, SystemExit)


def test_compare_refuses_foreign_folders(tmp_path):
    run = tmp_path / "run"
    assert planner("solve", write(TINY, tmp_path), "--out", run, "--quiet", "--no-xlsx").returncode == 0
    (run / "summary.json").write_text("[1, 2]")
    proc = planner("compare", run, "--out", tmp_path / "c.xlsx", "--quiet")
    assert proc.returncode == 2 and "summary.json is not one written by planner" in proc.stderr
    (run / "summary.json").write_text("{not json")
    proc = planner("compare", run, "--out", tmp_path / "c.xlsx", "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_sweep_refusals_before_anything_runs(tmp_path):
    path = write(TINY, tmp_path)
    proc = planner("sweep", path, "--out", tmp_path / "sw", "--scheduler", "not a url")
    assert proc.returncode == 2 and "not a Dask scheduler address" in proc.stderr
    proc = planner("sweep", path, "--out", tmp_path / "sw", "--grid", "projects.nope.capex_usd_per_kw=1,2")
    assert proc.returncode == 2 and "nothing was solved or written" in proc.stderr and "nope" in proc.stderr
    proc = planner("sweep", path, "--out", tmp_path, "--force")
    assert proc.returncode == 2
    assert not (tmp_path / "sw").exists()


def test_sweep_run_ids_are_safe(tmp_path):
    from planner.sweep import plan_runs

    specs = plan_runs([tmp_path / "=cmd|' x.yaml"], {"options.build": ["integer", "continuous"]})
    assert [s.run_id for s in specs] == ["cmd_x-build_integer", "cmd_x-build_continuous"]
    # swept values made safe, or a number when they cannot make a safe, short id
    odd = plan_runs([tmp_path / "b.yaml"], {"a.x": ["=1+2|' y", "v" * 120]})
    assert [s.run_id for s in odd] == ["b-x_1_2_y", "b-002"]
    assert plan_runs([tmp_path / "..yaml"], {})[0].run_id == "run"


# --- spreadsheets: text is text ---------------------------------------------------------------

HOSTILE = st.text(alphabet=string.printable + "é\u200b", max_size=15) | st.sampled_from(
    ["=SUM(1,2)", "+1", "-x", "@x", "=3+3\r\n=4+4", "\ttab", "a\rb", "line\nbreak", "-5", "'quoted"])


def _unescape(value) -> str:
    """OOXML writes control characters as _xHHHH_ (Excel shows them as they were; openpyxl does not
    decode them)."""
    import re

    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value) if value else ""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(HOSTILE, min_size=1, max_size=5), header=HOSTILE)
def test_text_survives_xlsx_and_csv(tmp_path, values, header):
    header = header if header not in ("", "id", "n") else "h"  # not one of the frame's other columns
    frame = pd.DataFrame({header: values, "id": [f"id{i}" for i in range(len(values))], "n": range(len(values))})
    book = tmp_path / "t.xlsx"
    write_workbook({"sheet": frame}, book, [("item", "=HYPERLINK(1)")])
    ws = load_workbook(book)["sheet"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [_unescape(c.value) for c in ws[1]] == [header, "id", "n"]
    assert [_unescape(c.value) for c in list(ws.columns)[0][1:]] == values
    csv_path = tmp_path / "t.csv"
    write_csv(frame, csv_path)
    back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(back["id"]) == list(frame["id"])  # ids byte for byte
    for got, want in zip(back.iloc[:, 0], values):
        looks = want.startswith(("=", "+", "-", "@", "\t", "\r"))
        try:
            float(want)
            looks = False
        except ValueError:
            pass
        assert got == ("'" + want if looks else want)


def test_csv_row_cannot_start_with_a_formula(tmp_path):
    frame = pd.DataFrame({"name": ["ok\r=3+3", "=SUM(1,2)"], "x": [1, 2]})
    path = tmp_path / "t.csv"
    write_csv(frame, path)
    text = path.read_bytes()
    assert b'"ok\r=3+3"' in text and b'"\'=SUM(1,2)"' in text  # the break quoted, the formula neutralised
    assert list(pd.read_csv(path).name) == ["ok\r=3+3", "'=SUM(1,2)"]


def test_results_workbook_ids_match_the_scenario(tmp_path):
    data = dict(TINY, projects=[project("nam-ngum.5", 100, energy_cost_usd_per_mwh=10)])
    out = tmp_path / "out"
    assert planner("solve", write(data, tmp_path), "--out", out, "--quiet").returncode == 0
    ws = load_workbook(out / "results.xlsx")["builds"]
    assert "nam-ngum.5" in [c.value for c in list(ws.columns)[0]]
    assert "nam-ngum.5" in set(pd.read_csv(out / "builds.csv").asset)


def test_target_checks_in_the_library():
    with pytest.raises(OutputRefused):
        safety.check_target(Path("."), True)
    with pytest.raises(OutputExistsError):
        safety.check_target(Path(__file__).parent, False)


def test_sweep_whose_runs_all_fail_says_so(tmp_path):
    strict = dict(TINY, options={**TINY["options"], "strict_targets": True})
    path = write(strict, tmp_path)
    out = tmp_path / "sw"
    proc = planner("sweep", path, "--out", out, "--workers", 1, "--grid", "targets.VN@2025.energy_gwh=5000,6000")
    assert proc.returncode == 3, proc.stderr  # both infeasible: 100 MW make at most 876 GWh
    assert "index.csv only: no run has results; 0 of 2 runs solved" in proc.stdout
    assert "comparison.xlsx" not in proc.stdout and not (out / "comparison.xlsx").exists()
    assert (out / "index.csv").is_file() and (out / MANIFEST).is_file()


# --- round two (issue 17, part 1): nothing read is replaced, no option writes elsewhere, -------
# --- planner deletes only what its manifest lists and the scratch it created --------------------

def _cli(*args, cwd=None):
    """The CLI in this process (typer's runner): the exit code and everything it printed."""
    from typer.testing import CliRunner

    from planner.cli import app

    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, [str(a) for a in args])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, " ".join(result.output.split())  # rich may wrap a long path


FILE_OPTIONS = [({"write_solution_to_file": True, "solution_file": "VICTIM"}, "write_solution_to_file"),
                ({"solution_file": "VICTIM"}, "solution_file"),
                ({"log_file": "VICTIM"}, "log_file"),
                ({"write_model_to_file": True, "write_model_file": "VICTIM"}, "write_model_to_file"),
                ({"write_model_file": "VICTIM"}, "write_model_file"),
                ({"read_solution_file": "VICTIM"}, "read_solution_file"),
                ({"write_basis_file": "VICTIM"}, "write_basis_file"),
                ({"mip_improving_solution_save": True, "mip_improving_solution_file": "VICTIM"},
                 "mip_improving_solution_save")]


@pytest.mark.parametrize("options, name", FILE_OPTIONS, ids=[n for _o, n in FILE_OPTIONS])
def test_solver_options_that_touch_files_are_refused(tmp_path, options, name):
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"a day's work\n")
    options = {k: (str(victim) if v == "VICTIM" else v) for k, v in options.items()}
    data = dict(TINY, options={**TINY["options"], "solver": {"highs_options": options}})
    path = write(data, tmp_path)
    for command in (["validate", path], ["solve", path, "--out", tmp_path / "out", "--quiet"]):
        code, said = _cli(*command)
        assert code == 2, said
        assert f"options.solver.highs_options.{name}" in said and "touches a file" in said
        assert str(victim) in said  # the file it names
    assert victim.read_bytes() == b"a day's work\n" and not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt", "scenario.yaml"]


def test_a_solver_file_option_from_the_command_line_is_refused(tmp_path):
    victim = tmp_path / "log.txt"
    victim.write_text("mine")
    code, said = _cli("solve", write(TINY, tmp_path), "--out", tmp_path / "out", "--quiet",
                      "--set", f"options.solver.highs_options.log_file={victim}")
    assert code == 2 and "--set options.solver.highs_options.log_file" in said
    assert victim.read_text() == "mine" and not (tmp_path / "out").exists()


def test_every_highs_option_naming_a_file_is_refused(tmp_path):
    """HiGHS's own option list (its options file): each option whose name holds 'file', or that
    turns writing one on, is refused; the others are not."""
    import highspy

    from planner.scenario.checks import SOLVER_FILE_OPTIONS, solver_file_problem

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.writeOptions(str(tmp_path / "options.txt"))
    names = [line.split("=")[0].strip() for line in (tmp_path / "options.txt").read_text().splitlines()
             if "=" in line and not line.startswith("#")]
    assert len(names) > 50
    touching = {n for n in names if "file" in n or n in SOLVER_FILE_OPTIONS}
    assert {"log_file", "solution_file", "write_solution_to_file", "write_model_file", "write_model_to_file",
            "read_solution_file", "read_basis_file", "write_basis_file", "mip_improving_solution_save"} <= touching
    for n in names:
        assert (solver_file_problem(n, {n: "x"}) is not None) == (n in touching), n
    for n in SOLVER_FILE_OPTIONS:  # every one refused is an option HiGHS knows
        assert h.getOptionType(n)[0] == highspy.HighsStatus.kOk, n


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too, links not followed) and its bytes."""
    return {str(p.relative_to(root)): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.fixture
def results(example_run, tmp_path):
    """Two planner result folders r1, r2 (the example, solved once per module) in a fresh folder."""
    for name in ("r1", "r2"):
        shutil.copytree(example_run, tmp_path / name, symlinks=True)
    return tmp_path


@pytest.mark.parametrize("case", ["same name", "through a link", "inside", "input through a link"])
def test_compare_never_writes_onto_a_result_it_reads(results, case):
    """`compare r1 r2 --out r1.xlsx --force` used to replace r1/ with the comparison's CSVs."""
    (results / "lnk").symlink_to("r1", target_is_directory=True)
    inputs, out = {"same name": (["r1", "r2"], "r1.xlsx"), "through a link": (["r2", "lnk"], "r1.xlsx"),
                   "inside": (["r1", "r2"], "r1/cmp.xlsx"), "input through a link": (["r2", "r1"], "lnk.xlsx")}[case]
    before = _snapshot(results)
    code, said = _cli("compare", *inputs, "--out", out, "--force", "--quiet", cwd=results)
    assert code == 2, said
    assert "cannot write the comparison" in said and "which this command reads" in said
    named = {"same name": "r1 (the folder planner writes beside r1.xlsx) is r1,",
             "through a link": "r1 (the folder planner writes beside r1.xlsx) is lnk,",
             "inside": "r1/cmp.xlsx lies inside r1,",
             "input through a link": "lnk (the folder planner writes beside lnk.xlsx) is r1,"}[case]
    assert named in said  # both paths named
    assert _snapshot(results) == before  # nothing written, nothing replaced: no lock, no scratch left


def test_compare_of_a_sweeps_runs_never_replaces_the_sweep(results):
    """Runs inside a sweep folder: `--out sw.xlsx --force` used to replace the whole sweep folder."""
    sweep = results / "sw"
    for name in ("a", "b"):
        shutil.copytree(results / "r1", sweep / "runs" / name)
    (sweep / "index.csv").write_text("run_id\na\nb\n")
    safety.write_manifest(sweep, "planner sweep")
    before = _snapshot(results)
    code, said = _cli("compare", sweep / "runs" / "a", sweep / "runs" / "b", "--out", results / "sw.xlsx",
                      "--force", "--quiet")
    assert code == 2 and f"holds {sweep / 'runs' / 'a'}" in said, said
    assert _snapshot(results) == before


def test_report_never_replaces_the_result_it_reads(results):
    """`report r_figures --out r.html --force`: the figures folder of r.html is the result itself."""
    (results / "r1").rename(results / "r_figures")
    before = _snapshot(results)
    code, said = _cli("report", "r_figures", "--out", "r.html", "--force", "--quiet", cwd=results)
    assert code == 2 and "cannot write the report" in said and "r_figures (the folder planner writes beside r.html)" in said
    assert _snapshot(results) == before
    # the default, a page and its figures inside the result folder, is still fine, again with --force
    assert _cli("report", "r2", "--quiet", cwd=results)[0] == 0
    assert _cli("report", "r2", "--quiet", "--force", cwd=results)[0] == 0
    assert (results / "r2" / "report.html").is_file() and (results / "r2" / "report_figures").is_dir()


def test_folders_named_like_scratch_survive_a_run(tmp_path):
    """`--out o` used to delete the user's .o.old-mine and .o.tmp-keep (they look like scratch)."""
    path = write(TINY, tmp_path)
    for name in (".o.old-mine", ".o.tmp-keep", ".o.planner-tmp-1-mine"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "work.txt").write_text(f"{name}'s work")
    before = _snapshot(tmp_path)
    assert _cli("solve", path, "--out", tmp_path / "o", "--quiet", "--no-xlsx")[0] == 0
    assert _cli("solve", path, "--out", tmp_path / "o", "--quiet", "--no-xlsx", "--force")[0] == 0
    after = _snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("o/")} == before  # and no scratch of its own left


def test_a_file_of_the_lock_name_that_is_not_a_lock_is_kept(tmp_path):
    path = write(TINY, tmp_path)
    (tmp_path / ".o.lock").write_text("my notes")
    code, said = _cli("solve", path, "--out", tmp_path / "o", "--quiet")
    assert code == 2 and ".o.lock is in the way" in said
    assert (tmp_path / ".o.lock").read_text() == "my notes" and not (tmp_path / "o").exists()


def test_force_keeps_the_users_files_in_a_planner_folder(tmp_path):
    """`--force` replaces the files planner's manifest lists; anything else of the user's in the
    folder is carried over byte for byte (it used to be deleted with the folder)."""
    path = write(TINY, tmp_path)
    out = tmp_path / "o"
    assert _cli("solve", path, "--out", out, "--quiet", "--no-xlsx")[0] == 0
    (out / "notes.txt").write_bytes(b"my notes\x00\xff")
    (out / "mine").mkdir()
    (out / "mine" / "deep.csv").write_text("a,b\n1,2\n")
    (out / "to_mine").symlink_to(tmp_path / "scenario.yaml")
    (out / "builds.csv").write_text("edited")  # planner's file: replaced
    mine = {k: v for k, v in _snapshot(out).items() if k in ("notes.txt", "mine/deep.csv", "to_mine")}
    code, said = _cli("solve", path, "--out", out, "--quiet", "--no-xlsx", "--force", "--set", "options.build=continuous")
    assert code == 0, said
    after = _snapshot(out)
    assert {k: after[k] for k in mine} == mine
    assert '"build_mode": "continuous"' in (out / "summary.json").read_text()
    assert (out / "builds.csv").read_text().startswith("asset,")
    listed = safety.manifest_of(out)["files"]
    assert "builds.csv" in listed and not set(mine) & set(listed)  # still the user's, not planner's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "scenario.yaml"]  # no scratch left
    # a file of the user's with a name this run writes: refused, nothing replaced
    (out / "results.xlsx").write_text("my workbook")
    before = _snapshot(out)
    code, said = _cli("solve", path, "--out", out, "--quiet", "--force")
    assert code == 2 and f"{out / 'results.xlsx'} was not written by planner" in said
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "scenario.yaml"]


def test_force_keeps_the_users_files_beside_a_comparison_and_a_report(results):
    assert _cli("compare", "r1", "r2", "--out", "cmp.xlsx", "--quiet", cwd=results)[0] == 0
    assert _cli("report", "r1", "--out", "page.html", "--quiet", cwd=results)[0] == 0
    (results / "cmp" / "notes.txt").write_text("about the comparison")
    (results / "page_figures" / "notes.txt").write_text("about the figures")
    assert _cli("compare", "r1", "r2", "--out", "cmp.xlsx", "--quiet", "--force", cwd=results)[0] == 0
    assert _cli("report", "r1", "--out", "page.html", "--quiet", "--force", cwd=results)[0] == 0
    assert (results / "cmp" / "notes.txt").read_text() == "about the comparison"
    assert (results / "page_figures" / "notes.txt").read_text() == "about the figures"
    assert (results / "cmp" / "summary.csv").is_file() and (results / "page_figures" / MANIFEST).is_file()


def test_a_forged_manifest_deletes_nothing_outside(tmp_path):
    """A manifest listing '../x' or an absolute path: the names are ignored, nothing outside goes."""
    out = tmp_path / "out"
    write_results(out, {"t": pd.DataFrame({"a": [1]})}, {}, "name: x\n", workbook=False)
    (tmp_path / "outside.txt").write_text("keep")
    manifest = safety.manifest_of(out)
    manifest["files"] += ["../outside.txt", str(tmp_path / "outside.txt")]
    (out / MANIFEST).write_text(__import__("json").dumps(manifest))
    write_results(out, {"t": pd.DataFrame({"a": [2]})}, {}, "name: x\n", workbook=False, force=True)
    assert (tmp_path / "outside.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "outside.txt"]
