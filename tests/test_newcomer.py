"""Issue 17, part 4: a newcomer's mistakes, each answered at once. Every mistake is one line naming
the file (or the --set argument), the entity and the field; the CLI exits 2 and writes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.flip import flip_tariffs
from planner.scenario import ScenarioError, load_scenario
from tests.conftest import ROOT, planner, project, tiny, write


def wide(*args):
    """The CLI in a subprocess whose environment holds no COLUMNS: (seen here) a pytest process's
    children find COLUMNS=80 in their environment although os.environ has none."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600)


def problems(path: Path, sets=()) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, tuple(sets))
    return [str(p) for p in err.value.problems]


def base() -> dict:
    return tiny(projects=[project("dam", 100), project("wind_s", 50, "candidate", technology="coal")],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])


# --- every mistake at once -------------------------------------------------------------------

def test_a_misspelt_id_in_a_variant_does_not_hide_the_other_mistakes(tmp_path):
    write(base(), tmp_path, "base.yaml")
    variant = {"name": "v", "extends": "base.yaml",
               "projects": [{"id": "dma", "capacity_mw": 90},            # misspelt: dam
                            {"id": "wind_s", "capacity_mw": -5}],        # a bad value
               "options": {"build": "sometimes"}}                        # another
    found = problems(write(variant, tmp_path, "v.yaml"))
    assert len(found) == 3, found
    assert any("v.yaml (line" in p and "projects[dma]" in p and "did you mean 'dam'" in p for p in found)
    assert any("projects[wind_s].capacity_mw" in p and "greater than 0" in p for p in found)
    assert any("options.build" in p and "sometimes" in p for p in found)
    proc = planner("solve", tmp_path / "v.yaml", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "3 problem(s)" in proc.stderr and not (tmp_path / "out").exists()


def _table_scenario(tmp_path: Path, header: str, rows: list[str]) -> Path:
    (tmp_path / "projects.csv").write_text("\n".join([header, *rows]) + "\n")
    data = base()
    data["projects"] = {"file": "projects.csv"}
    return write(data, tmp_path)


def test_a_header_typo_does_not_hide_the_cell_mistakes(tmp_path):
    path = _table_scenario(tmp_path, "id,technology,node,capacity_mw,status,capex_usd_kw",
                           ["dam,hydro,LA,abc,existing,", "new,hydro,LA,50,candidat,900"])
    found = problems(path)
    assert len(found) == 3, found
    assert any("(row 1)" in p and "unknown column 'capex_usd_kw'" in p and "did you mean 'capex_usd_per_kw'" in p
               for p in found)
    assert any("(row 2, column capacity_mw)" in p and "projects[dam].capacity_mw" in p and "'abc'" in p for p in found)
    assert any("(row 3, column status)" in p and "projects[new].status" in p and "'candidat'" in p for p in found)


def test_a_missing_column_is_said_once_and_the_cells_are_still_checked(tmp_path):
    # 'tech' for 'technology': one line for the missing column, one for the unknown one (with the
    # suggestion), none per row for the field it lacks; the bad cell is still found
    path = _table_scenario(tmp_path, "id,tech,node,capacity_mw,status",
                           ["dam,hydro,LA,-3,existing", "dam2,hydro,LA,10,existing"])
    found = problems(path)
    assert len(found) == 3, found
    assert any("missing column(s) technology" in p for p in found)
    assert any("unknown column 'tech'" in p and "did you mean 'technology'" in p for p in found)
    assert any("projects[dam].capacity_mw" in p and "(row 2, column capacity_mw)" in p for p in found)
    assert not any("missing required field" in p for p in found)
    # an item written elsewhere (a variant's YAML) that lacks the field is still told
    write({"name": "v", "extends": "scenario.yaml",
           "projects": [{"id": "zz_new", "node": "LA", "capacity_mw": 5, "status": "existing"}]}, tmp_path, "v.yaml")
    found = problems(tmp_path / "v.yaml")
    assert any("v.yaml" in p and "projects[zz_new].technology" in p and "missing required field" in p
               for p in found), found


# --- --set -----------------------------------------------------------------------------------

def _targets_scenario(tmp_path: Path) -> Path:
    data = base()
    data["horizon"] = {"base_year": 2025, "years": [2025, 2030], "discount_rate": 0.0}
    data["targets"] = [{"scope": "VN", "year": 2025, "energy_gwh": 100},
                       {"scope": "VN", "year": 2030, "energy_gwh": 200, "contracted_mw": 10}]
    return write(data, tmp_path)


@pytest.mark.parametrize("path", ["targets.VN.2030.contracted_mw", "targets.VN@2030.contracted_mw"])
def test_a_target_is_named_by_scope_and_year_either_way(tmp_path, path):
    loaded = load_scenario(_targets_scenario(tmp_path), (f"{path}=7500",))
    by_year = {t.year: t for t in loaded.scenario.targets}
    assert by_year[2030].contracted_mw == 7500 and by_year[2030].energy_gwh == 200
    assert by_year[2025].contracted_mw is None


def test_a_target_not_in_the_scenario_is_refused_with_the_forms_to_use(tmp_path):
    (found,) = problems(_targets_scenario(tmp_path), ["targets.VN.2031.contracted_mw=7500"])
    assert found.startswith("command line: --set targets.VN.2031.contracted_mw=7500: ")
    assert "VN@2031" in found and "did you mean 'VN@2030'" in found and "targets.SCOPE.YEAR" in found


@pytest.mark.parametrize("assignment, says", [
    ("projects.dam.capex=1500", "projects[dam] has no field 'capex' (did you mean 'capex_usd_per_kw'?)"),
    ("projects.dma.capacity_mw=90", "no project with id 'dma' (did you mean 'dam'?)"),
    ("projects.x.capex_usd_per_kw=1500", "no project with id 'x'; there are dam, wind_s"),
    ("option.build=continuous", "the scenario has no field 'option' (did you mean 'options'?)"),
    ("options.biuld=continuous", "options has no field 'biuld' (did you mean 'build'?)"),
    ("options.solver.mip_gpa=0.1", "options.solver has no field 'mip_gpa' (did you mean 'mip_gap'?)"),
    ("technologies.hydor.lifetime_years=20", "no technology 'hydor' (did you mean 'hydro'?)"),
    ("options.build.x=1", "'options.build' is not a mapping of fields: it has no 'x'"),
    ("import_value.0.value_usd_per_mwh=1", "'import_value' is not a mapping of fields: it has no '0'"),
    ("links.line=1", "the path must name a field of an item, e.g. links.ID.capacity_mw"),
    ("projects.dam.capacity_mw", "expected path=value, e.g. projects.monsoon_wind.capex_usd_per_kw=1500"),
])
def test_a_wrong_set_path_is_named_with_a_suggestion(tmp_path, assignment, says):
    (found,) = problems(write(base(), tmp_path), [assignment])
    assert found == f"command line: --set {assignment}: {says}"


@pytest.mark.parametrize("assignment, where", [
    ("projects.dam.capacity_mw=abc", "projects[dam].capacity_mw: expected a number, got 'abc'"),
    ("projects.wind_s.status=later", "projects[wind_s].status: must be"),
    ("projects.dam.node=MARS", "projects[dam].node: unknown node 'MARS'"),
    ("horizon.years=[2025, 2020]", "horizon.years"),
])
def test_a_set_value_that_is_wrong_names_the_set_argument_not_the_file(tmp_path, assignment, where):
    found = problems(write(base(), tmp_path), [assignment])
    assert len(found) == 1, found
    assert found[0].startswith(f"command line (--set {assignment}): {where}"), found[0]
    assert "scenario.yaml" not in found[0]


@pytest.mark.parametrize("assignment, where", [
    ("projects.dam.earliest_year=2030", "projects[dam]: earliest_year/latest_year apply to candidates only"),
    ("projects.dam.status=candidate", "projects[dam].capex_usd_per_kw: a candidate project needs capex"),
])
def test_a_set_that_breaks_its_item_is_named_beside_the_file(tmp_path, assignment, where):
    # the item's other fields come from the file: both are named (the second found when the
    # model data is built, after loading)
    path = write(base(), tmp_path)
    proc = planner("validate", path, "--set", assignment)
    assert proc.returncode == 2, proc.stderr
    (line,) = [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("- ")]
    assert re.match(rf"- {re.escape(str(path))} \((line \d+, )?with --set {re.escape(assignment)}\): "
                    rf"{re.escape(where)}", line), line


def test_set_mistakes_come_with_the_files_mistakes_and_the_cli_exits_2(tmp_path):
    data = base()
    data["projects"][0]["capacity_mw"] = -1
    path = write(data, tmp_path)
    proc = planner("solve", path, "--out", tmp_path / "out", "--set", "projects.dam.capex=1",
                   "--set", "options.solver.highs_options.no_such_option=1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and not (tmp_path / "out").exists()
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("- ")]
    assert len(lines) == 2, proc.stderr  # the HiGHS option is checked once the scenario loads
    assert any("scenario.yaml (line" in line and "projects[dam].capacity_mw" in line for line in lines)
    assert any("--set projects.dam.capex=1" in line and "capex_usd_per_kw" in line for line in lines)
    data["projects"][0]["capacity_mw"] = 10
    proc = planner("solve", write(data, tmp_path), "--out", tmp_path / "out",
                   "--set", "options.solver.highs_options.no_such_option=1")
    assert proc.returncode == 2, proc.stderr
    text = " ".join(proc.stderr.split())
    assert "command line (--set options.solver.highs_options.no_such_option=1): " \
           "options.solver.highs_options.no_such_option: HiGHS has no such option" in text


_ID = st.from_regex(r"[a-z][a-z0-9_]{0,5}(\.[a-z0-9_]{1,4}){0,2}", fullmatch=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(_ID, min_size=1, max_size=5, unique=True), pick=st.integers(0, 4),
       mw=st.integers(1, 10_000))
def test_set_finds_a_project_whose_id_holds_dots(tmp_path, ids, pick, mw):
    """Whatever ids with dots a scenario holds, --set projects.ID.capacity_mw=V changes exactly that
    project, or (when two ids could be read from the path, 'a' and 'a.b' before 'b...') is
    refused as ambiguous, naming the argument; never another project."""
    chosen = ids[pick % len(ids)]
    data = tiny(projects=[project(i, 100) for i in ids])
    path = write(data, tmp_path, "dots.yaml")
    assignment = f"projects.{chosen}.capacity_mw={mw}"
    try:
        loaded = load_scenario(path, (assignment,))
    except ScenarioError as exc:
        (found,) = [str(p) for p in exc.problems]
        assert found.startswith(f"command line: --set {assignment}: ") and "ambiguous" in found
        return
    assert {p.id: p.capacity_mw for p in loaded.scenario.projects} == {i: (mw if i == chosen else 100) for i in ids}


def test_the_target_forms_are_documented():
    text = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    assert "targets.VN.2030.energy_gwh" in text and "targets.VN@2030.energy_gwh" in text


# --- what the CLI prints -----------------------------------------------------------------------

def test_the_strict_diagnosis_prints_blanks_not_nan(tmp_path):
    # 2025: an energy target, 438 GWh short behind a 50 MW line; 2030: a firm target of 80 MW, 30
    # short. Each row has one quantity that does not apply to the other.
    data = tiny(projects=[project("dam", 100)],
                links=[{"id": "thin", "from": "LA", "to": "VN", "capacity_mw": 50, "status": "existing"}],
                horizon={"base_year": 2025, "years": [2025, 2030], "discount_rate": 0.0},
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876},
                         {"scope": "VN", "year": 2030, "capacity_mw": 80}])
    data["options"]["strict_targets"] = True
    path = write(data, tmp_path)
    proc = planner("solve", path, "--out", tmp_path / "out")
    assert proc.returncode == 3, proc.stderr
    assert not re.search(r"\bnan\b", proc.stderr, re.IGNORECASE), proc.stderr
    assert "capacity_shortfall_mw" in proc.stderr and "30.0" in proc.stderr and "438.0" in proc.stderr
    proc = planner("solve", path, "--out", tmp_path / "out", "--json")
    assert proc.returncode == 3
    report = json.loads(proc.stdout)  # strict JSON: NaN would not parse as a number
    row_2025 = next(r for r in report["unmet_targets"] if r["year"] == 2025)
    assert row_2025["energy_shortfall_gwh"] == pytest.approx(438) and row_2025["capacity_shortfall_mw"] is None


def test_report_on_a_sweep_folder_lists_its_runs(tmp_path):
    path = write(base(), tmp_path)
    sweep = planner("sweep", path, "--grid", "projects.dam.capacity_mw=50,100", "--out", tmp_path / "sw",
                    "--workers", "1", "--quiet")
    assert sweep.returncode == 0, sweep.stderr
    for command in (("report", tmp_path / "sw"), ("compare", tmp_path / "sw", "--out", tmp_path / "c.xlsx")):
        proc = planner(*command)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        text = " ".join(proc.stderr.split())
        assert "is a sweep folder" in text and "give one of its runs" in text
        for run in ("scenario-capacity_mw_50", "scenario-capacity_mw_100"):
            assert str(tmp_path / "sw" / "runs" / run) in text
    assert not (tmp_path / "sw" / "report.html").exists() and not (tmp_path / "c.xlsx").exists()
    runs = planner("report", tmp_path / "sw" / "runs")  # the folder of the runs: as lost as its parent
    assert runs.returncode == 2 and "holds 2: give one of them" in " ".join(runs.stderr.split())


def test_tables_are_not_cut_when_the_output_is_redirected(tmp_path):
    long = "a_project_with_a_rather_long_identifier_for_a_table"
    data = tiny(projects=[project(long, 100, "candidate", capex_usd_per_kw=100)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])
    path = write(data, tmp_path)
    proc = wide("solve", path, "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if long in line)  # the new build, whole, on one line
    assert len(row) > 80 and "…" not in proc.stdout


def test_the_console_width_is_columns_when_given(monkeypatch):
    from planner.cli import REDIRECTED_WIDTH, _console

    monkeypatch.setenv("COLUMNS", "60")
    assert _console().width == 60 and _console(stderr=True).width == 60
    monkeypatch.delenv("COLUMNS")
    assert _console().width == REDIRECTED_WIDTH  # pytest's output is not a terminal


# --- a long flip-tariff search is never silent -------------------------------------------------

def _two_candidates() -> dict:
    a = project("A", 100, "candidate", availability={"all": 0.5})
    b = project("B", 100, "candidate", availability={"all": 0.5}, energy_cost_usd_per_mwh=20)
    return tiny(projects=[a, b], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}],
                options={**tiny()["options"], "shortfall_penalty_usd_per_mwh": 80})


@pytest.mark.parametrize("workers", [1, 2])
def test_the_flip_search_reports_every_resolve(tmp_path, workers):
    from planner.data import build_model_data

    loaded = load_scenario(write(_two_candidates(), tmp_path))
    events = []
    found = flip_tariffs(loaded.scenario, build_model_data(loaded.scenario), workers=workers, progress=events.append)
    assert events[0] == ("start", 2)
    for p, result in found.items():
        solves = [e for e in events if e[0] == "solve" and e[1] == p]
        assert len(solves) == result.solves > 0
        done = events.index(("done", p, result))
        assert all(events.index(e) < done for e in solves)  # its re-solves are told before it is done
    assert 19.9 <= found["A"].flip_tariff_usd_per_mwh <= 20.0  # A flips at B's 20 USD/MWh energy cost


def test_the_cli_prints_each_candidate_found_and_nothing_under_quiet(tmp_path):
    path = write(_two_candidates(), tmp_path)
    proc = planner("solve", path, "--out", tmp_path / "o", "--flip-tariffs", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("flip tariff ")]
    assert len(lines) == 2 and any("A: 19.9" in line and "re-solves" in line for line in lines), proc.stderr
    quiet = planner("solve", path, "--out", tmp_path / "q", "--flip-tariffs", "--workers", "1", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""
    as_json = planner("solve", path, "--out", tmp_path / "j", "--flip-tariffs", "--workers", "1", "--json")
    assert as_json.returncode == 0 and as_json.stderr == "" and json.loads(as_json.stdout)["status"] == "optimal"


@pytest.mark.parametrize("path", ["targets.VN.2030.dry.energy_gwh", "targets.VN@2030@dry.energy_gwh"])
def test_a_target_of_one_future_is_named_with_its_future(path):
    from planner.scenario.errors import Problems
    from planner.scenario.overrides import apply_set

    data = {"targets": [{"scope": "VN", "year": 2030, "energy_gwh": 1},
                        {"scope": "VN", "year": 2030, "energy_gwh": 2, "scenario": "dry"}]}
    found = Problems()
    out, keyed = apply_set(data, f"{path}=5", found)
    assert not found.items and keyed == ("targets", "VN@2030@dry", "energy_gwh")
    assert [t["energy_gwh"] for t in out["targets"]] == [1, 5] and data["targets"][1]["energy_gwh"] == 2
