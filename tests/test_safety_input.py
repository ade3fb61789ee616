"""Hostile and broken input (issue "Safe by default", families 2 and 3): refused fast, in bounded
memory, with a located message and exit 2, never a traceback; values are what they say.

The hypothesis tests mutate valid scenarios (their data and their bytes) and require that loading
either succeeds or raises ScenarioError whose every problem names a file and says something.
"""

from __future__ import annotations

import copy
import os
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.data import build_model_data
from planner.scenario import ScenarioError, load_scenario
from planner.scenario.files import MAX_ALIAS_EXPANSION
from tests.conftest import EXAMPLE, planner, project, tiny, write


def base() -> dict:
    return tiny(projects=[project("hydro1", 100, energy_cost_usd_per_mwh=50),
                          project("cand", 50, "candidate", capex_usd_per_kw=1000)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])


def problems_of(path: Path, sets=()) -> str:
    with pytest.raises(ScenarioError) as info:
        loaded = load_scenario(path, sets)
        build_model_data(loaded.scenario, str(path))
    for p in info.value.problems:
        assert p.file and p.message, p
    return str(info.value)


def yaml_text(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


# --- family 2: hostile files ------------------------------------------------------------------

BOMB = "".join(f"{a}: &{a} [{', '.join(['*' + p] * 9) if p else ', '.join(['x'] * 9)}]\n"
               for a, p in zip("abcdefghi", ["", *"abcdefgh"]))


def test_alias_bomb_is_refused_quickly(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(yaml_text(base()) + BOMB)
    text = problems_of(path)
    assert "aliases" in text and f"{MAX_ALIAS_EXPANSION:,}" in text


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path):
    text = yaml_text(base()).replace("projects:\n", "x-defaults: &hydro {technology: hydro, node: LA}\nprojects:\n")
    data = base()
    path = tmp_path / "s.yaml"
    lines = [
        "name: anchored", "horizon: {base_year: 2025, years: [2025], discount_rate: 0.0}",
        "time: {slices: [{id: all, hours: 8760, season: year, peak: true}]}",
        "nodes: [{id: LA, country: LA}, {id: VN, country: VN}]",
        "technologies:", "  hydro: &tech {lifetime_years: 10}", "  coal: *tech",
        "projects:",
        "  - &h1 {id: h1, technology: hydro, node: LA, capacity_mw: 100, status: existing}",
        "  - {<<: *h1, id: h2, capacity_mw: 50}",
        "  - <<: [*h1]", "    id: h3",
        "links: [{id: line, from: LA, to: VN, capacity_mw: 1000, status: existing}]",
    ]
    path.write_text("\n".join(lines) + "\n")
    s = load_scenario(path).scenario
    assert {p.id: p.capacity_mw for p in s.projects} == {"h1": 100, "h2": 50, "h3": 100}
    assert s.technologies["coal"].lifetime_years == 10
    assert text and data  # the helpers above build valid YAML too


def test_self_referencing_alias(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text(base()) + "description: &d [1, *d]\n")
    assert "refers to the list or mapping that contains it" in problems_of(path)


def test_deep_nesting(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text(base()) + "description: " + "[" * 500 + "]" * 500 + "\n")
    text = problems_of(path)
    assert "nested deeper than 64 levels" in text and "line" in text


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_in_yaml(tmp_path, char):
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text(base()).replace("name: tiny", f"name: ti{char}ny"))
    text = problems_of(path)
    assert "control character" in text and "(line 1)" in text


def test_not_utf8(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(yaml_text(base()).encode() + b"description: caf\xe9\n")
    assert "not UTF-8" in problems_of(path)


@pytest.mark.parametrize("extends, expected", [
    ("/dev/zero", "not a regular file"),
    ("..", "is a folder"),
    ("exa\0mple.yaml", "NUL character"),
    ("a" * 300 + ".yaml", "too long"),
    ("missing.yaml", "not found"),
    ("loop1", "loop of symbolic links"),
])
def test_bad_parents_are_located(tmp_path, extends, expected):
    os.symlink(tmp_path / "loop2", tmp_path / "loop1")
    os.symlink(tmp_path / "loop1", tmp_path / "loop2")
    path = tmp_path / "v.yaml"
    path.write_text(yaml_text({"extends": extends, "name": "v"}))
    text = problems_of(path)
    assert expected in text and "v.yaml (line 1): extends" in text
    assert "missing required field" not in text  # no cascade of follow-on messages


def test_long_extends_chain(tmp_path):
    write(base(), tmp_path, "c0.yaml")
    for i in range(1, 200):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i - 1}.yaml\n")
    assert "extends chain is longer than 32 files" in problems_of(tmp_path / "c199.yaml")
    assert load_scenario(tmp_path / "c20.yaml").scenario.name == "tiny"


def test_cyclic_extends(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    assert "cyclic extends" in problems_of(tmp_path / "a.yaml")


def test_fifo_and_device_are_refused_without_hanging(tmp_path):
    """Through the CLI, with a timeout: reading a FIFO would block for ever."""
    os.mkfifo(tmp_path / "projects.csv")
    data = base()
    data["projects"] = {"file": "projects.csv"}
    path = write(data, tmp_path)
    for target in (path, "/dev/zero", tmp_path / "projects.csv"):
        result = planner("validate", target, timeout=60)
        assert result.returncode == 2, result.stderr
        assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_oversized_file(tmp_path, monkeypatch):
    import planner.scenario.files as files

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    path = write(base(), tmp_path)
    assert "planner reads files of at most" in problems_of(path)


def test_table_files_hostile(tmp_path):
    data = base()
    data["projects"] = {"file": "projects.csv"}
    path = write(data, tmp_path)
    (tmp_path / "projects.csv").write_bytes(b"id,technology,node,capacity_mw,status\nh\x00,hydro,LA,1,existing\n")
    assert "NUL byte" in problems_of(path) and "row 2" in problems_of(path)
    (tmp_path / "projects.csv").write_text("id,technology,node,capacity_mw,status\nh,hydro,LA,1\x07,existing\n")
    text = problems_of(path)
    assert "control character" in text and "row 2, column capacity_mw" in text
    os.remove(tmp_path / "projects.csv")
    os.mkdir(tmp_path / "projects.csv")
    assert "is a folder" in problems_of(path)


# --- family 3: values are what they say -------------------------------------------------------

@pytest.mark.parametrize("field, raw, expected", [
    ("capacity_mw", "true", "expected a number, got true"),
    ("capex_usd_per_kw", "false", "expected a number, got false"),
    ("capacity_mw", "8:20", "expected a number, got '8:20'"),
    ("capacity_mw", "yes", "expected a number, got 'yes'"),
    ("capacity_mw", "2026-01-01", "expected a number, got '2026-01-01'"),
])
def test_numbers_refuse_other_values(tmp_path, field, raw, expected):
    text = yaml_text(base()).replace("  capex_usd_per_kw: 1000\n", f"  capex_usd_per_kw: 1000\n  {field}: {raw}\n", 1)
    text = text.replace("  capacity_mw: 50\n", "", 1) if field == "capacity_mw" else text.replace(
        "  capex_usd_per_kw: 1000\n", "", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    msg = problems_of(path)
    assert expected in msg and f"projects[cand].{field}" in msg


def test_yaml_12_numbers(tmp_path):
    text = yaml_text(base()).replace("capacity_mw: 50", "capacity_mw: 010").replace(
        "capex_usd_per_kw: 1000", "capex_usd_per_kw: 1.5e3")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    cand = {p.id: p for p in load_scenario(path).scenario.projects}["cand"]
    assert cand.capacity_mw == 10 and cand.capex_usd_per_kw == 1500


def test_booleans_elsewhere_still_booleans(tmp_path):
    data = base()
    data["links"][0]["bidirectional"] = True
    s = load_scenario(write(data, tmp_path)).scenario
    assert s.links[0].bidirectional is True
    assert s.time.slices[0].peak is True


def test_table_booleans_and_ids(tmp_path):
    data = base()
    data["projects"] = {"file": "projects.csv"}
    path = write(data, tmp_path)
    (tmp_path / "projects.csv").write_text("id,technology,node,capacity_mw,status\n007,hydro,LA,true,existing\n")
    text = problems_of(path)
    assert "projects[007].capacity_mw: expected a number, got true" in text
    (tmp_path / "projects.csv").write_text("id,technology,node,capacity_mw,status\n007,hydro,LA,100,existing\n")
    assert load_scenario(path).scenario.projects[0].id == "007"


@pytest.mark.parametrize("years, expected", [
    ("[2025-01-01]", "'2025-01-01' is not a year"),
    ("[2025.5]", "2025.5 is not a year"),
    ("[true]", "expected a number, got true"),
])
def test_years_said_plainly(tmp_path, years, expected):
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text(base()).replace("years:\n  - 2025", f"years: {years}"))
    text = problems_of(path)
    assert expected in text and "horizon.years" in text
    for internal in ("list[int]", "YearRange", "function-after", "Input should"):
        assert internal not in text


def test_nothing_to_plan(tmp_path):
    data = base()
    data["projects"] = []
    assert "nothing to plan" in problems_of(write(data, tmp_path))


def test_xlsx_that_is_csv(tmp_path):
    data = base()
    data["projects"] = {"file": "projects.xlsx"}
    path = write(data, tmp_path)
    (tmp_path / "projects.xlsx").write_text("id,technology,node,capacity_mw,status\nh,hydro,LA,1,existing\n")
    assert "not an Excel .xlsx workbook (it looks like text" in problems_of(path)
    (tmp_path / "projects.xls").write_text("x")
    data["projects"] = {"file": "projects.xls"}
    assert "Excel 97-2003" in problems_of(write(data, tmp_path))


def _workbook(path: Path, formula_value):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("projects")
    for j, head in enumerate(["id", "technology", "node", "capacity_mw", "status"]):
        sheet.write(0, j, head)
    for j, value in enumerate(["h1", "hydro", "LA"]):
        sheet.write(1, j, value)
    sheet.write_formula(1, 3, "=40+60", None, formula_value)
    sheet.write(1, 4, "existing")
    book.close()


def test_xlsx_formula_cells(tmp_path):
    data = base()
    data["projects"] = {"file": "book.xlsx", "sheet": "projects"}
    path = write(data, tmp_path)
    _workbook(tmp_path / "book.xlsx", 100)  # a saved value: used
    assert load_scenario(path).scenario.projects[0].capacity_mw == 100
    from openpyxl import Workbook

    book = Workbook()  # openpyxl saves formulas without values, as a script would
    sheet = book.active
    sheet.title = "projects"
    sheet.append(["id", "technology", "node", "capacity_mw", "status"])
    sheet.append(["h1", "hydro", "LA", "=40+60", "existing"])
    book.save(tmp_path / "book.xlsx")
    text = problems_of(path)
    assert "sheet 'projects', cell D2: a formula (=40+60) with no saved value" in text
    data["projects"] = {"file": "book.xlsx", "sheet": "projets"}
    assert "no sheet 'projets' (did you mean 'projects'?)" in problems_of(write(data, tmp_path))


# --- safe ids -------------------------------------------------------------------------------

BAD_IDS = [".", "..", "a/b", "a\\b", "=SUM(1,2)", "+1", "-x", "@x", " x", "\tx", "a\rb", "a b", "", "x" * 101]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("where", ["name", "project", "node", "slice"])
def test_unsafe_ids_are_refused(tmp_path, bad, where):
    data = base()
    if where == "name":
        data["name"] = bad
    elif where == "project":
        data["projects"][1]["id"] = bad
    elif where == "node":
        data["nodes"][1]["id"] = bad
        data["links"][0]["to"] = bad
    else:
        data["time"]["slices"][0]["id"] = bad
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text(data))
    text = problems_of(path)
    assert "not a valid id" in text or "control character" in text or "must not be empty" in text


def test_safe_ids_accepted_with_suggestion(tmp_path):
    data = base()
    data["projects"][0]["id"] = "nam-theun_2.a"
    data["projects"][1]["id"] = "ນ້ຳງື່ມ"  # Lao script is letters
    s = load_scenario(write(data, tmp_path)).scenario
    assert [p.id for p in s.projects] == ["nam-theun_2.a", "ນ້ຳງື່ມ"]
    data["projects"][1]["id"] = "Nam Ngum 5"
    assert "did you mean 'Nam_Ngum_5'?" in problems_of(write(data, tmp_path))


def test_set_values_read_like_files(tmp_path):
    path = write(base(), tmp_path)
    assert "expected a number, got '8:20'" in problems_of(path, ["projects.cand.capacity_mw=8:20"])
    assert "aliases" in problems_of(path, ["description=" + BOMB.replace("\n", ", ").join("{}")])


# --- fuzzing ----------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=string.printable + "\x00\x07\x1b=+-@/\u200b", max_size=12),
    st.sampled_from(["=SUM(1,2)", "..", "/etc/passwd", "8:20", "2025-01-01", "yes", "", "nan", "1e999"]),
    st.lists(st.integers(0, 3000), max_size=3),
    st.dictionaries(st.sampled_from(["id", "file", "x", "capacity_mw"]), st.integers(0, 10), max_size=2),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _apply(data, path, value, delete):
    out = copy.deepcopy(data)
    if not path:
        return out
    node = out
    for p in path[:-1]:
        node = node[p]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _load_or_refuse(path: Path) -> None:
    try:
        loaded = load_scenario(path)
        build_model_data(loaded.scenario, str(path))
    except ScenarioError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file and p.message.strip()
            for internal in ("Input should be a valid dictionary or instance", "function-after", "list[int]"):
                assert internal not in p.message, p


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_mutated_scenarios(tmp_path, data):
    """Any value anywhere (or a deleted key): loads, or is refused with located problems."""
    scenario = base()
    paths = list(_paths(scenario))[1:]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        delete = data.draw(st.booleans()) and len(path) > 0
        try:
            scenario = _apply(scenario, path, data.draw(HOSTILE), delete)
        except (KeyError, IndexError, TypeError):
            continue
        paths = list(_paths(scenario))[1:] or paths
    target = tmp_path / "fuzz.yaml"
    target.write_text(yaml.safe_dump(scenario, allow_unicode=True))
    _load_or_refuse(target)


def _example_copy(tmp_path: Path) -> Path:
    """The example scenario and its tables, copied to a folder of their own."""
    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    for source in [EXAMPLE, *EXAMPLE.parent.glob("*.csv")]:
        (folder / source.name).write_bytes(source.read_bytes())
    return folder


def _splice(raw: bytes, edits) -> bytes:
    """Bytes cut and replaced at relative positions: (where 0-1, how many cut, what inserted)."""
    out = bytearray(raw)
    for where, cut, insert in edits:
        i = int(where * len(out))
        out[i:i + cut] = insert
    return bytes(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(max_size=4)), min_size=1, max_size=4))
def test_fuzz_mutated_bytes(tmp_path, edits):
    """The example scenario's bytes cut, spliced and overwritten: never anything but ScenarioError."""
    folder = _example_copy(tmp_path)
    (folder / "example.yaml").write_bytes(_splice(EXAMPLE.read_bytes(), edits))
    _load_or_refuse(folder / "example.yaml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 3), st.binary(max_size=3)), min_size=1, max_size=3))
def test_fuzz_mutated_tables(tmp_path, edits):
    folder = _example_copy(tmp_path)
    (folder / "projects.csv").write_bytes(_splice((EXAMPLE.parent / "projects.csv").read_bytes(), edits))
    _load_or_refuse(folder / "example.yaml")


def test_cli_hostile_files_exit_2_without_traceback(tmp_path):
    cases = {"bomb.yaml": yaml_text(base()) + BOMB, "nul.yaml": "name: a\x00b\n",
             "deep.yaml": "name: x\ndescription: " + "[" * 300 + "\n", "list.yaml": "- 1\n- 2\n",
             "dotname.yaml": yaml_text({**base(), "name": "."})}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        for command in ("validate", "solve"):
            args = [command, tmp_path / name] + (["--out", tmp_path / "out"] if command == "solve" else [])
            # the files that could overflow the stack or the memory are solved in an interpreter of
            # their own (as a user runs it: nothing may crash it); the rest in this one
            result = planner(*args, timeout=120, process=command == "solve" and name in ("bomb.yaml", "deep.yaml"))
            assert result.returncode == 2, (name, command, result.stderr)
            assert "Traceback" not in result.stderr and result.stderr.strip()
            assert not (tmp_path / "out").exists()


NUMBERS = st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False), st.sampled_from([0, 1e-9, 1e-6, 1e5]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_loadable_scenarios_solve_or_fail_cleanly(tmp_path, data):
    """Any scenario the loader accepts (numbers anywhere, in their ranges) solves, or says why:
    never an exception out of the model, the solver or the tables."""
    from planner.run import run_scenario

    scenario = base()
    scenario["horizon"]["discount_rate"] = data.draw(st.sampled_from([0.0, 0.08, 0.3, 0.9]))
    scenario["horizon"]["years"] = data.draw(st.sampled_from([[2025], [2025, 2060], [2025, 2100]]))
    for p in scenario["projects"]:
        p["capacity_mw"] = data.draw(st.floats(1e-3, 1e5))
        p[data.draw(st.sampled_from(["energy_cost_usd_per_mwh", "capex_usd_per_kw", "fixed_om_usd_per_kw_year"]))] = \
            data.draw(st.floats(0, 5000))
    scenario["targets"][0]["energy_gwh"] = data.draw(NUMBERS)
    scenario["links"][0]["capacity_mw"] = data.draw(st.floats(1e-3, 1e5))
    path = write(scenario, tmp_path, "solve.yaml")
    try:
        run = run_scenario(path)
    except ScenarioError:
        return
    assert run.summary["status"] in ("optimal", "feasible", "infeasible", "error", "time_limit")
    if run.tables:
        imports = run.tables["imports"]
        met = imports.energy_gwh.fillna(0) + imports.energy_shortfall_gwh.fillna(0)
        target = imports.target_energy_gwh
        assert ((met + 1e-3 >= target * (1 - 1e-6)) | target.isna()).all()
