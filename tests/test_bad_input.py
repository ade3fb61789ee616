"""The bad-input corpus (SPEC §2.2): each mistake gets one clear message naming file, entity and
field, and the CLI exits 2 with no traceback and nothing written."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from planner.data import build_model_data
from planner.scenario import ScenarioError, load_scenario
from tests.conftest import planner, project, tiny, write


def base() -> dict:
    return tiny(projects=[project("hydro1", 100, energy_cost_usd_per_mwh=50),
                          project("cand", 50, "candidate", capex_usd_per_kw=1000)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])


def mutate(path: str, value):
    """A change at a dotted path; list items are addressed by id."""

    def apply(d: dict) -> dict:
        d = copy.deepcopy(d)
        parts = path.split(".")
        node = d
        for p in parts[:-1]:
            if isinstance(node, list):
                node = next(x for x in node if x.get("id") == p)
            else:
                node = node.setdefault(p, {})
        if isinstance(node, list):
            node.append(value)
        elif isinstance(node.get(parts[-1]), list) and isinstance(value, dict):
            node[parts[-1]].append(value)
        else:
            node[parts[-1]] = value
        return d

    return apply


def drop(path: str):
    def apply(d: dict) -> dict:
        d = copy.deepcopy(d)
        *head, last = path.split(".")
        node = d
        for p in head:
            node = next(x for x in node if x.get("id") == p) if isinstance(node, list) else node[p]
        del node[last]
        return d

    return apply


CASES = [
    ("unknown top-level key", mutate("horizn", {}), ["horizn", "did you mean 'horizon'"]),
    ("unknown project field", mutate("projects.hydro1.capcity_mw", 5), ["projects[hydro1].capcity_mw", "capacity_mw"]),
    ("wrong type", mutate("projects.hydro1.capacity_mw", "big"), ["projects[hydro1].capacity_mw", "number"]),
    ("negative capacity", mutate("projects.hydro1.capacity_mw", -5), ["projects[hydro1].capacity_mw", "greater than 0"]),
    ("unknown node", mutate("projects.hydro1.node", "LAX"), ["projects[hydro1].node", "unknown node 'LAX'", "'LA'"]),
    ("unknown technology", mutate("projects.hydro1.technology", "hidro"), ["technology", "did you mean 'hydro'"]),
    ("unknown link endpoint", mutate("links.line.to", "VNN"), ["links[line].to", "unknown node 'VNN'"]),
    ("unknown requires", mutate("projects.cand.requires", ["lin"]), ["projects[cand].requires", "'lin'", "did you mean 'line'"]),
    ("unknown excludes", mutate("projects.cand.excludes", ["hydro2"]), ["projects[cand].excludes", "hydro2"]),
    ("unknown target scope", mutate("targets", {"scope": "VM", "year": 2025, "energy_gwh": 1}), ["scope", "unknown scope 'VM'"]),
    ("duplicate project id", mutate("projects", project("hydro1", 10)), ["projects[hydro1]", "2 times"]),
    ("hours not a year", mutate("time.slices", [{"id": "all", "hours": 8000}]), ["time.slices", "sum to 8000"]),
    ("years out of order", mutate("horizon.years", [2030, 2025]), ["horizon.years", "increasing"]),
    ("availability above 1", mutate("technologies.hydro.availability", {"year": 1.5}), ["availability", "between 0 and 1"]),
    ("availability for unknown season", mutate("projects.hydro1.availability", {"dry": 0.5}), ["projects[hydro1].availability.dry", "neither a season"]),
    ("loss above 1", mutate("links.line.loss_fraction", 2), ["links[line].loss_fraction"]),
    ("discount rate in percent", mutate("horizon.discount_rate", 8), ["horizon.discount_rate", "percentage"]),
    ("magnitude no power system has", mutate("projects.hydro1.capacity_mw", 5e6), ["projects[hydro1].capacity_mw", "less than or equal"]),
    ("NaN", mutate("projects.hydro1.energy_cost_usd_per_mwh", float("nan")), ["energy_cost_usd_per_mwh", "finite"]),
    ("infinity", mutate("projects.hydro1.capacity_mw", float("inf")), ["capacity_mw", "finite"]),
    ("link to itself", mutate("links.line.to", "LA"), ["links[line].to", "itself"]),
    ("committed without online year", mutate("projects.hydro1.status", "committed"), ["projects[hydro1]", "online_year"]),
    ("bad status", mutate("projects.hydro1.status", "planned"), ["projects[hydro1].status", "existing"]),
    ("candidate without capex", drop("projects.cand.capex_usd_per_kw"), ["projects[cand].capex_usd_per_kw"]),
    ("max energy above what capacity can make", mutate("projects.hydro1.max_energy_gwh_per_year", 5000), ["max_energy_gwh_per_year", "unit slip"]),
    ("missing required field", drop("projects.hydro1.node"), ["projects[hydro1].node", "missing"]),
    ("bad build option", mutate("options.build", "binary"), ["options.build", "integer"]),
    ("target without quantity", mutate("targets", {"scope": "VN", "year": 2026}), ["targets", "energy_gwh or capacity_mw"]),
    ("max import on an exporting node", mutate("nodes", {"id": "LA2", "country": "LA", "max_import_mw": 5}), ["nodes[LA2].max_import_mw", "importing country"]),
    ("latest before earliest", lambda d: mutate("projects.cand.latest_year", 2020)(
        mutate("projects.cand.earliest_year", 2025)(d)), ["projects[cand]", "latest_year 2020 is before"]),
    ("name with spaces", mutate("name", "my run"), ["name", "not a valid id", "did you mean 'my_run'"]),
    ("tariff ceiling for an unknown technology", mutate("limits.max_tariff_usd_per_mwh", {"wnd": 60}),
     ["limits.max_tariff_usd_per_mwh.wnd", "unknown technology 'wnd'"]),
    ("import limit for an unknown scope", mutate("limits.max_import_mw_by_scope", {"VNX": 100}),
     ["limits.max_import_mw_by_scope.VNX", "unknown scope 'VNX'"]),
    ("import limit on the exporting country", mutate("limits.max_import_mw_by_scope", {"LA": 100}),
     ["limits.max_import_mw_by_scope.LA", "not in the importing country"]),
    ("unknown LP method", mutate("options.solver.method", "barrier"), ["options.solver.method", "ipm"]),
    ("negative tariff", mutate("projects.hydro1.tariff_usd_per_mwh", -1), ["projects[hydro1].tariff_usd_per_mwh", "greater than or equal"]),
]


@pytest.mark.parametrize("label, change, expected", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_named(tmp_path, label, change, expected):
    path = write(change(base()), tmp_path)
    with pytest.raises(ScenarioError) as info:
        build_model_data(load_scenario(path).scenario, str(path))  # some checks live in the data step
    text = str(info.value)
    assert "scenario.yaml" in text
    for piece in expected:
        assert piece in text, f"{label}: '{piece}' not in:\n{text}"


def test_base_of_the_corpus_is_valid(tmp_path):
    load_scenario(write(base(), tmp_path))


def test_all_mistakes_of_a_file_reported_together(tmp_path):
    data = base()
    data["projects"][0]["node"] = "LAX"
    data["projects"][1]["capacity_mw"] = -1
    data["links"][0]["loss_fraction"] = 5
    data["horizon"]["discount_rate"] = 8
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    assert len(info.value.problems) == 4


def _raw(tmp_path: Path, text: str, name="s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_yaml_syntax_error_names_the_line(tmp_path):
    p = _raw(tmp_path, "name: x\nhorizon: {base_year: 2025\nnodes: []\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert "YAML syntax error" in str(info.value) and "line" in str(info.value)


def test_empty_file(tmp_path):
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(_raw(tmp_path, "\n# nothing\n"))


def test_same_key_twice(tmp_path):
    text = yaml.safe_dump(base(), sort_keys=False) + "name: again\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario(_raw(tmp_path, text))
    assert "'name' is given twice" in str(info.value)


def test_yaml_tags_are_not_constructed(tmp_path):
    text = yaml.safe_dump(base(), sort_keys=False) + "description: !!python/object/apply:os.system ['echo hi']\n"
    with pytest.raises(ScenarioError):
        load_scenario(_raw(tmp_path, text))


def test_missing_and_cyclic_extends(tmp_path):
    _raw(tmp_path, "name: a\nextends: b.yaml\n", "a.yaml")
    _raw(tmp_path, "name: b\nextends: a.yaml\n", "b.yaml")
    with pytest.raises(ScenarioError, match="cyclic extends"):
        load_scenario(tmp_path / "a.yaml")
    _raw(tmp_path, "name: c\nextends: nowhere.yaml\n", "c.yaml")
    with pytest.raises(ScenarioError, match="nowhere.yaml"):
        load_scenario(tmp_path / "c.yaml")


def test_variant_with_misspelt_id(tmp_path):
    write(base(), tmp_path, "base.yaml")
    _raw(tmp_path, "name: v\nextends: base.yaml\nprojects:\n  - {id: hydro_1, capacity_mw: 5}\n", "v.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "v.yaml")
    assert "v.yaml" in str(info.value) and "did you mean 'hydro1'" in str(info.value)
    _raw(tmp_path, "name: w\nextends: base.yaml\nprojects:\n  - {id: hydr01, remove: true}\n", "w.yaml")
    with pytest.raises(ScenarioError, match="cannot remove 'hydr01'"):
        load_scenario(tmp_path / "w.yaml")


def test_set_with_unknown_id(tmp_path):
    with pytest.raises(ScenarioError, match="did you mean 'hydro1'"):
        load_scenario(write(base(), tmp_path), ["projects.hydro2.capacity_mw=5"])


def table_problems(folder: Path, tables: dict[str, str | None]) -> str:
    """The base scenario with some entity lists read from CSV files (text None: the file is
    missing); the text of the ScenarioError it must raise."""
    data = base()
    for name, text in tables.items():
        data[name] = {"file": f"{name}.csv"}
        if text is not None:
            (folder / f"{name}.csv").write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, folder))
    return str(info.value)


def test_table_problems_name_row_and_column(tmp_path):
    text = table_problems(tmp_path, {"projects": "id,technology,node,capacity_mw,status,energy_cost_usd_per_mwh\n"
                                                 "hydro1,hydro,LA,100,existing,50\n"
                                                 "bad,hydro,LA,lots,existing,50\n"})
    assert "projects.csv (row 3, column capacity_mw)" in text and "projects[bad].capacity_mw" in text


def test_table_with_missing_column_and_missing_file(tmp_path):
    text = table_problems(tmp_path, {"projects": "id,technology,capacity_mw,status\nhydro1,hydro,100,existing\n",
                                     "links": None})
    assert "missing column(s) node" in text and "'links.csv' not found" in text


def test_cli_bad_input_exits_2_without_traceback_or_output(tmp_path):
    data = base()
    data["projects"][0]["node"] = "LAX"
    path = write(data, tmp_path)
    out = tmp_path / "out"
    proc = planner("solve", path, "--out", out)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "unknown node 'LAX'" in proc.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["scenario.yaml"]
