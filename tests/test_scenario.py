"""Scenario loading features: tables (CSV, XLSX), profile files, variants, --set, defaults."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.data import build_model_data
from planner.scenario import load_scenario
from tests.conftest import EXAMPLE, project, tiny, write


def test_example_and_its_variant_load():
    base = load_scenario(EXAMPLE).scenario
    dry = load_scenario(EXAMPLE.with_name("example_dry.yaml")).scenario
    assert dry.name == "example_dry"
    assert dry.technologies["hydro"].availability == {"wet": 0.9, "dry": 0.25}  # deep merge kept wet
    assert "nam_phan_coal" not in {p.id for p in dry.projects}  # remove: true
    xk = {p.id: p for p in dry.projects}["xekaman1"]
    assert xk.max_energy_gwh_per_year == 1000 and xk.energy_cost_usd_per_mwh == 60  # merged by id
    assert len(dry.projects) == len(base.projects) - 1


def test_example_variant_solves_with_less_hydro(solve):
    from planner.run import run_scenario

    base = run_scenario(EXAMPLE)
    dry = run_scenario(EXAMPLE.with_name("example_dry.yaml"))
    assert dry.summary["status"] == "optimal"
    assert dry.summary["objective_musd"] > base.summary["objective_musd"]


def test_set_overrides_fields_and_entities(tmp_path):
    path = write(tiny(projects=[project("a", 100)]), tmp_path)
    s = load_scenario(path, ["projects.a.capacity_mw=250", "options.build=continuous",
                             "limits.co2_price_usd_per_t=12.5", "horizon.years=[2025, 2030]"]).scenario
    assert s.projects[0].capacity_mw == 250 and s.options.build == "continuous"
    assert s.limits.co2_price_usd_per_t == 12.5 and s.horizon.year_list == [2025, 2030]


def test_new_entity_in_a_variant_is_added(tmp_path):
    write(tiny(projects=[project("a", 100)]), tmp_path, "base.yaml")
    (tmp_path / "v.yaml").write_text(
        "name: v\nextends: base.yaml\nprojects:\n"
        "  - {id: zone_b, technology: hydro, node: LA, capacity_mw: 50, status: existing}\n")
    s = load_scenario(tmp_path / "v.yaml").scenario
    assert [p.id for p in s.projects] == ["a", "zone_b"]


def test_xlsx_table_and_availability_columns(tmp_path):
    data = tiny()
    data["projects"] = {"file": "book.xlsx", "sheet": "projects"}
    frame = pd.DataFrame([{"id": "a", "technology": "hydro", "node": "LA", "capacity_mw": 100, "status": "existing",
                           "availability_year": 0.5, "requires": "line"}])
    with pd.ExcelWriter(tmp_path / "book.xlsx") as w:
        frame.to_excel(w, sheet_name="projects", index=False)
    s = load_scenario(write(data, tmp_path)).scenario
    assert s.projects[0].availability == {"year": 0.5} and s.projects[0].requires == ["line"]


def test_availability_precedence(tmp_path):
    slices = [{"id": "wd", "hours": 4380, "season": "wet"}, {"id": "dd", "hours": 4380, "season": "dry"}]
    data = tiny(time={"slices": slices},
                technologies={"hydro": {"availability": {"wet": 0.9, "dry": 0.3, "dd": 0.2}}},
                projects=[project("inherits", 10), project("own_season", 10, availability={"wet": 0.5}),
                          project("own_slice", 10, availability={"wet": 0.5, "wd": 0.4})])
    d = build_model_data(load_scenario(write(data, tmp_path)).scenario)
    assert d.availability[("inherits", "wd")] == 0.9 and d.availability[("inherits", "dd")] == 0.2
    assert d.availability[("own_season", "wd")] == 0.5 and d.availability[("own_season", "dd")] == 0.2
    assert d.availability[("own_slice", "wd")] == 0.4


def test_profile_file_gives_slices_and_availability(tmp_path):
    (tmp_path / "profile.csv").write_text("slice,hours,season,peak,hydro,a\n"
                                          "h1,4000,wet,false,0.8,0.6\nh2,4760,dry,true,0.3,\n")
    data = tiny(time={"profile_file": "profile.csv"}, projects=[project("a", 10), project("b", 10)])
    d = build_model_data(load_scenario(write(data, tmp_path)).scenario)
    assert d.slices == ["h1", "h2"] and d.peak_slices == ["h2"]
    assert d.availability[("b", "h1")] == 0.8 and d.availability[("a", "h1")] == 0.6
    assert d.availability[("a", "h2")] == 0.3  # empty cell: the technology's column applies


def test_targets_hold_the_last_value_per_quantity(tmp_path):
    data = tiny(horizon={"base_year": 2025, "years": [2025, 2027, 2030], "discount_rate": 0.05},
                projects=[project("h", 10)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100, "capacity_mw": 10},
                         {"scope": "VN", "year": 2027, "energy_gwh": 200}])
    d = build_model_data(load_scenario(write(data, tmp_path)).scenario)
    assert d.energy_targets == {("VN", 2025): 100, ("VN", 2027): 200, ("VN", 2030): 200}
    assert d.capacity_targets == {("VN", 2025): 10, ("VN", 2027): 10, ("VN", 2030): 10}


def test_year_range_and_link_capex_per_mw_km(tmp_path):
    data = tiny(horizon={"base_year": 2025, "years": {"start": 2026, "end": 2034, "step": 4}, "discount_rate": 0.05},
                projects=[project("h", 10)],
                links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 1000, "status": "candidate",
                        "capex_usd_per_mw_km": 500, "length_km": 100}])
    d = build_model_data(load_scenario(write(data, tmp_path)).scenario)
    assert d.years == [2026, 2030, 2034]
    assert d.assets.at["line", "capex_musd"] == pytest.approx(500 * 100 * 1000 / 1e6)
