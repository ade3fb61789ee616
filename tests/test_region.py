"""Known answers for the region around the border (SPEC §3.6, issue 20): several buyers, Lao
demand served before export, N-1 corridors, and where each plant's energy goes (offtake.csv).

Unless a test says otherwise: tiny() (one 8760-hour peak slice, year 2025 = base year, rate 0, so
W = 1), plants with no cost, every optimum worked by hand in the test's comment.
"""

from __future__ import annotations

import pytest

from tests.checks import assert_all
from tests.conftest import planner, project, tiny, write

REL = 1e-6


def _two_buyers(th_loss: float):
    """One Lao plant p (100 MW, no cost) that can sell to Vietnam over a line losing 10 % (a MWh
    there worth 60) or to Thailand over a line losing th_loss (worth 56)."""
    return tiny(
        options={"importing_countries": ["VN", "TH"], "solver": {"mip_gap": 0}},
        nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN"}, {"id": "TH", "country": "TH"}],
        links=[{"id": "to_vn", "from": "LA", "to": "VN", "capacity_mw": 1000, "status": "existing",
                "loss_fraction": 0.10},
               {"id": "to_th", "from": "LA", "to": "TH", "capacity_mw": 1000, "status": "existing",
                "loss_fraction": th_loss}],
        projects=[project("p", 100, energy_cost_usd_per_mwh=0)],
        import_value=[{"node": "VN", "value_usd_per_mwh": 60}, {"node": "TH", "value_usd_per_mwh": 56}])


def test_a_shared_plant_goes_to_the_higher_value_net_of_losses(solve):
    # Net of losses a MWh made at LA is worth 60 x 0.9 = 54 to Vietnam and 56 x 1.0 = 56 to
    # Thailand: all 100 MW go to Thailand although Vietnam pays more at its border.
    # Objective = -100 MW x 8760 h x 56 / 1e6 = -49.056 MUSD; offtake: p -> TH 876 GWh.
    run = solve(_two_buyers(th_loss=0.0))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-49.056, rel=REL)
    off = run.tables["offtake"].set_index(["project", "country"]).energy_gwh
    assert off[("p", "TH")] == pytest.approx(876, rel=REL)
    assert ("p", "VN") not in off.index
    tariffs = run.tables["tariffs"].set_index("project")
    assert tariffs.at["p", "importer_value_usd_per_mwh"] == pytest.approx(54)
    assert tariffs.at["p", "best_other_buyer"] == "TH"
    assert tariffs.at["p", "best_other_value_usd_per_mwh"] == pytest.approx(56)
    assert tariffs.at["p", "value_gap_usd_per_mwh"] == pytest.approx(-2)
    assert tariffs.at["p", "main_buyer"] == "TH"
    imports = run.tables["imports"].set_index("scope")
    assert imports.at["TH", "energy_gwh"] == pytest.approx(876, rel=REL)
    assert imports.at["VN", "energy_gwh"] == pytest.approx(0, abs=1e-6)


def test_with_lossier_thai_line_the_plant_goes_to_vietnam(solve):
    # Thailand's line now loses 5 %: 56 x 0.95 = 53.2 < 54, so p sells to Vietnam: 90 MW arrive,
    # objective = -90 x 8760 x 60 / 1e6 = -47.304 MUSD; offtake: VN 788.4 GWh, losses 87.6 GWh.
    run = solve(_two_buyers(th_loss=0.05))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-47.304, rel=REL)
    off = run.tables["offtake"].set_index(["project", "country"]).energy_gwh
    assert off[("p", "VN")] == pytest.approx(788.4, rel=REL)
    assert off[("p", "losses")] == pytest.approx(87.6, rel=REL)
    assert run.tables["tariffs"].set_index("project").at["p", "main_buyer"] == "VN"


def test_a_must_take_plant_goes_to_its_buyer_even_when_another_pays_more(solve):
    # p is must-take for Vietnam (its contracted_to defaults to options.importing_country): though
    # Thailand's 56 beats Vietnam's 54 net of losses, Vietnam must receive what p sends it,
    # 0.9 x gen: 90 MW arrive, objective = -90 x 8760 x 60 / 1e6 = -47.304 MUSD.
    data = _two_buyers(th_loss=0.0)
    data["projects"][0]["contract"] = "must_take"
    run = solve(data)
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-47.304, rel=REL)
    off = run.tables["offtake"].set_index(["project", "country"]).energy_gwh
    assert off[("p", "VN")] == pytest.approx(788.4, rel=REL)
    assert ("p", "TH") not in off.index


def test_offtake_shares_a_node_in_proportion_to_what_enters_it(solve):
    # a (100 MW at LA1) sends everything to LA2, where b makes 100 MW: 200 MW enter LA2, half a's.
    # Vietnam (worth 100) can take 50 MW, Thailand (worth 50) the rest: 150 MW. Proportional
    # sharing gives each plant half of each: a -> VN 25 MW = 219 GWh, a -> TH 75 MW = 657 GWh.
    run = solve(tiny(
        options={"importing_countries": ["VN", "TH"], "solver": {"mip_gap": 0}},
        nodes=[{"id": "LA1", "country": "LA"}, {"id": "LA2", "country": "LA"},
               {"id": "VN", "country": "VN"}, {"id": "TH", "country": "TH"}],
        links=[{"id": "lao", "from": "LA1", "to": "LA2", "capacity_mw": 1000, "status": "existing"},
               {"id": "to_vn", "from": "LA2", "to": "VN", "capacity_mw": 50, "status": "existing"},
               {"id": "to_th", "from": "LA2", "to": "TH", "capacity_mw": 1000, "status": "existing"}],
        projects=[project("a", 100, node="LA1", energy_cost_usd_per_mwh=0),
                  project("b", 100, node="LA2", energy_cost_usd_per_mwh=0)],
        import_value=[{"node": "VN", "value_usd_per_mwh": 100}, {"node": "TH", "value_usd_per_mwh": 50}]))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-(50 * 100 + 150 * 50) * 8760 / 1e6, rel=REL)
    off = run.tables["offtake"].set_index(["project", "country"]).energy_gwh
    for p in ("a", "b"):
        assert off[(p, "VN")] == pytest.approx(219, rel=REL)
        assert off[(p, "TH")] == pytest.approx(657, rel=REL)
    made = run.tables["dispatch"].groupby("project").energy_gwh.sum()
    assert run.tables["offtake"].groupby("project").energy_gwh.sum().to_dict() == pytest.approx(made.to_dict())


def _demand_case(**changes):
    """A 100 MW run-of-river plant at LA (availability 1.0 wet, 0.2 dry; 4380 h each), 30 MW of Lao
    demand at LA (value of lost load 1000 USD/MWh), Vietnam's MWh worth 80."""
    data = dict(
        time={"slices": [{"id": "wet", "hours": 4380, "season": "wet", "peak": True},
                         {"id": "dry", "hours": 4380, "season": "dry", "peak": True}]},
        options={"solver": {"mip_gap": 0}},
        projects=[project("p", 100, energy_cost_usd_per_mwh=0, availability={"wet": 1.0, "dry": 0.2})],
        import_value=[{"value_usd_per_mwh": 80}],
        demand=[{"node": "LA", "demand_mw": 30, "value_of_lost_load_usd_per_mwh": 1000, "source": "test"}])
    return tiny(**{**data, **changes})


def test_demand_is_served_before_export_and_the_dry_deficit_is_unserved(solve):
    # Wet: 100 MW, 30 for the demand, 70 exported. Dry: 20 MW, all of it for the demand, 10 MW
    # unserved, nothing exported. Objective = -70 x 4380 x 80 / 1e6 + 10 x 4380 x 1000 / 1e6
    # = -24.528 + 43.8 = 19.272 MUSD. Offtake: LA (30 + 20) x 4.38 = 219 GWh, VN 70 x 4.38 = 306.6.
    run = solve(_demand_case())
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(19.272, rel=REL)
    dem = run.tables["demand"].set_index("slice")
    assert dem.at["wet", "served_mw"] == pytest.approx(30) and dem.at["wet", "unserved_mw"] == pytest.approx(0, abs=1e-6)
    assert dem.at["dry", "served_mw"] == pytest.approx(20) and dem.at["dry", "unserved_mw"] == pytest.approx(10)
    assert dem.at["dry", "unserved_gwh"] == pytest.approx(43.8)
    off = run.tables["offtake"].set_index(["project", "country"]).energy_gwh
    assert off[("p", "LA")] == pytest.approx(219, rel=REL)
    assert off[("p", "VN")] == pytest.approx(306.6, rel=REL)
    costs = run.tables["costs"].query("view == 'system'").set_index("component").undiscounted_musd
    assert costs["lost_load"] == pytest.approx(43.8, rel=REL)


def test_a_dry_year_s_water_and_the_demand_both_apply(solve):
    # options.hydro_energy_factor 0.5 (SPEC §3.4) halves the run-of-river availability: wet 50 MW,
    # 30 for the demand, 20 exported; dry 10 MW, all for the demand, 20 unserved. Objective =
    # -20 x 4380 x 80 / 1e6 + 20 x 4380 x 1000 / 1e6 = -7.008 + 87.6 = 80.592 MUSD.
    run = solve(_demand_case(options={"solver": {"mip_gap": 0}, "hydro_energy_factor": 0.5}))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(80.592, rel=REL)
    dem = run.tables["demand"].set_index("slice")
    assert dem.at["dry", "unserved_mw"] == pytest.approx(20)
    assert dem.at["dry", "unserved_gwh"] == pytest.approx(87.6)


def test_futures_carry_the_demand_and_report_what_each_leaves_unserved(solve):
    # Two hydrology years (SPEC §3.4) of the demand case, p 0.5 each: the stated water (19.272
    # MUSD, 43.8 GWh unserved) and half of it (80.592, 87.6 GWh unserved, as above); nothing to
    # build, so the expected cost is their mean, 49.932 MUSD.
    run = solve(_demand_case(uncertainty={"scenarios": [
        {"id": "average", "probability": 0.5}, {"id": "dry", "probability": 0.5, "hydro_energy_factor": 0.5}]}))
    assert run.summary["objective_musd"] == pytest.approx(49.932, rel=REL)
    futures = run.tables["scenarios"].set_index("scenario")
    assert futures.at["average", "cost_musd"] == pytest.approx(19.272, rel=REL)
    assert futures.at["dry", "cost_musd"] == pytest.approx(80.592, rel=REL)
    assert futures.unserved_demand_gwh.to_dict() == pytest.approx({"average": 43.8, "dry": 87.6}, rel=REL)
    dem = run.tables["demand"].set_index(["scenario", "slice"])
    assert dem.at[("dry", "dry"), "unserved_mw"] == pytest.approx(20)


def test_demand_is_served_first_even_when_vietnam_pays_more_at_the_border(solve):
    # Vietnam's MWh now worth 900, still under the 1000 of lost load: the dry 20 MW still serve
    # the demand. Objective = -70 x 4380 x 900 / 1e6 + 10 x 4380 x 1000 / 1e6 = -275.94 + 43.8.
    run = solve(_demand_case(import_value=[{"value_usd_per_mwh": 900}]))
    assert run.result.objective_musd == pytest.approx(-275.94 + 43.8, rel=REL)
    assert run.tables["demand"].set_index("slice").at["dry", "served_mw"] == pytest.approx(20)


def _n_minus_1_case(on: bool):
    """A 200 MW plant, a 200 MW double-circuit line, imports worth 100; a 1000 h peak slice and
    7760 h off peak."""
    return tiny(
        time={"slices": [{"id": "peak", "hours": 1000, "season": "year", "peak": True},
                         {"id": "off", "hours": 7760, "season": "year"}]},
        options={"n_minus_1": on, "solver": {"mip_gap": 0}},
        links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 200, "status": "existing", "circuits": 2}],
        projects=[project("p", 200, energy_cost_usd_per_mwh=0)],
        import_value=[{"value_usd_per_mwh": 100}])


def test_an_n_minus_1_limit_binds_in_the_peak(solve):
    # N-1: in the peak the double circuit carries (2-1)/2 x 200 = 100 MW; off peak all 200.
    # Objective = -(100 x 1000 + 200 x 7760) x 100 / 1e6 = -165.2 MUSD; without N-1 -175.2.
    run = solve(_n_minus_1_case(True))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-165.2, rel=REL)
    flows = run.tables["flows"].set_index("slice").flow_mw
    assert flows["peak"] == pytest.approx(100) and flows["off"] == pytest.approx(200)
    assert run.tables["links"].set_index("link").at["line", "n_minus_1_limit_mw"] == pytest.approx(100)
    free = solve(_n_minus_1_case(False))
    assert free.result.objective_musd == pytest.approx(-175.2, rel=REL)
    assert free.tables["links"].n_minus_1_limit_mw.isna().all()


def test_n_minus_1_binds_a_candidate_line_through_its_build(solve):
    # The same line as a candidate (capex 0): its N-1 row is a constraint on the build, not a
    # bound; the answer is the same -165.2 MUSD.
    data = _n_minus_1_case(True)
    data["links"][0].update(status="candidate", capex_musd=0)
    run = solve(data)
    assert run.result.objective_musd == pytest.approx(-165.2, rel=REL)


def test_bad_region_input_is_refused_with_one_message_each(tmp_path):
    data = _two_buyers(0.0)
    data["options"]["importing_countries"] = ["VN", "THX"]
    data["demand"] = [{"node": "LAO", "demand_mw": 10}, {"node": "LA", "demand_mw": -5},
                      {"node": "LA", "slice": "nope", "demand_mw": 5}]
    data["links"][0]["circuits"] = 0
    proc = planner("validate", write(data, tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text
    for where in ("importing_countries", "demand[0].node", "demand[1].demand_mw", "demand[2].slice", "circuits"):
        assert where in text, (where, text)


def test_the_shipped_regional_variant_tells_its_story(solve):
    """scenarios/base/regional.yaml, measured (README, "The region around the border"): pinned so a
    change in the data or the model that moves it is seen."""
    from planner.run import run_scenario
    from tests.conftest import ROOT

    run = run_scenario(ROOT / "scenarios" / "base" / "regional.yaml")
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-5040.65, abs=0.05)
    t = run.tables
    # N-1 binds the Monsoon - Thanh My double circuit in the peaks: half of 1,470 MW
    peak = t["flows"][t["flows"].slice.str.endswith("peak") & (t["flows"].link == "monsoon_thanh_my_500kv")]
    assert peak.flow_mw.max() == pytest.approx(735, rel=1e-6)
    # Cambodia outbids Vietnam for Attapeu's solar; Thailand takes most of Xekong 4 once Pakse - Ubon is built
    tariffs = t["tariffs"].set_index("project")
    assert tariffs.at["south_solar_zone", "best_other_buyer"] == "KH"
    assert tariffs.at["south_solar_zone", "main_buyer"] == "KH"
    assert tariffs.at["xekong4", "main_buyer"] == "TH"
    # EDL's dry-season deficit is visible before the Xieng Khouang - Nasaythong line and new plants
    unserved = t["demand"].groupby("year").unserved_gwh.sum()
    assert unserved[2026] > 1000 and unserved[2030] == pytest.approx(0, abs=1e-6)
    assert not t["demand"].slice.str.startswith("wet").any()  # EDL's deficit is a dry-season one (0 MW wet)
    assert t["demand"].slice.str.startswith("dry").any()
    # Phonesack Xekong's energy goes to Cambodia, which meets its 1,800 MW contracted target
    off = t["offtake"]
    assert set(off[off.project.str.startswith("phonesack")].country) <= {"KH", "losses"}
    kh = t["imports"].set_index(["scope", "year"])
    assert kh.at[("KH", 2030), "contracted_shortfall_mw"] == pytest.approx(0, abs=1e-6)
    # Thailand's 10,500 MW MoU (S99): no plant of this plan is contracted to TH, so all of it is short
    assert kh.at[("TH", 2030), "target_contracted_mw"] == pytest.approx(10500)
    assert kh.at[("TH", 2030), "contracted_shortfall_mw"] == pytest.approx(10500, rel=1e-9)
    # Tuong Duong takes 203 MW (S79): the Nam Mo line delivers no more in any slice, and does in some
    nam_mo = t["flows"][t["flows"].link == "nam_mo_tuong_duong"]
    delivered = nam_mo.flow_mw * (1 - 0.01)
    assert delivered.max() == pytest.approx(203, rel=1e-6)


def test_cli_writes_offtake_and_demand_tables(tmp_path):
    # The demand case through the CLI, as a user runs it: offtake.csv and demand.csv with their
    # columns, links.csv with n_minus_1_limit_mw, and both new tables as sheets of results.xlsx.
    import openpyxl
    import pandas as pd

    data = _demand_case(options={"importing_countries": ["VN"], "n_minus_1": True, "solver": {"mip_gap": 0}})
    data["links"][0]["circuits"] = 2
    out = tmp_path / "out"
    proc = planner("solve", write(data, tmp_path), "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    off = pd.read_csv(out / "offtake.csv")
    assert list(off.columns) == ["project", "year", "country", "energy_gwh"]
    dem = pd.read_csv(out / "demand.csv")
    assert list(dem.columns) == ["node", "year", "slice", "demand_mw", "served_mw", "unserved_mw", "unserved_gwh",
                                 "value_of_lost_load_usd_per_mwh"]
    assert pd.read_csv(out / "links.csv").n_minus_1_limit_mw.tolist() == [5000.0]
    sheets = openpyxl.load_workbook(out / "results.xlsx", read_only=True).sheetnames
    assert "offtake" in sheets and "demand" in sheets


def test_the_hourly_regional_variant_has_48_days_of_12_segments():
    from planner.scenario.loader import load_scenario
    from tests.conftest import ROOT

    scenario = load_scenario(ROOT / "scenarios" / "hourly" / "regional_48d.yaml").scenario
    assert len(scenario.time.slices) == 48 * 12
    assert len({s.period for s in scenario.time.slices}) == 48
    assert sum(s.hours for s in scenario.time.slices) == 8760
    decision = load_scenario(ROOT / "scenarios" / "hourly" / "regional_48d_integer.yaml").scenario
    assert len(decision.time.slices) == 48 * 8 and decision.options.build == "integer"
    assert scenario.options.n_minus_1 and scenario.options.importing_countries == ["VN", "TH", "KH"]
    assert any(s.peak for s in scenario.time.slices)


# --- the review's findings: combinations refused or said -----------------------------------------

REGIONAL = __import__("pathlib").Path(__file__).resolve().parents[1] / "scenarios" / "base" / "regional.yaml"


def _said(sets) -> str:
    from planner.data import build_model_data
    from planner.scenario import ScenarioError, load_scenario

    try:
        data = build_model_data(load_scenario(REGIONAL, sets).scenario, str(REGIONAL))
    except ScenarioError as exc:
        return "\n".join(map(str, exc.problems))
    return "\n".join(data.notes)


def test_the_importers_view_with_several_buyers_is_refused():
    assert "the importer's view is one buyer's bill" in _said(["options.perspective=importer"])


def test_importing_countries_repeated_empty_or_selling_are_refused():
    said = _said(["options.importing_countries=[VN, LA, VN]"])
    assert "VN given more than once" in said and "LA is the country of export plants" in said
    assert "an empty list" in _said(["options.importing_countries=[]"])


def test_two_demand_rows_for_the_same_time_are_refused_and_a_low_value_of_lost_load_is_said():
    said = _said(["demand=[{node: LA_VT, demand_mw: 100}, {node: LA_VT, demand_mw: 200}]"])
    assert "two rows give node LA_VT's demand" in said
    said = _said(["demand=[{node: LA_VT, demand_mw: 100, value_of_lost_load_usd_per_mwh: 20}]"])
    assert "demand at LA_VT: its value of lost load (20 USD/MWh) is not above the highest import value" in said
    assert "demand at" not in _said([])  # the shipped 1,000 USD/MWh is above every import value


def test_must_take_share_uses_the_links_that_carry_flow_that_year(tmp_path):
    """A plant of 100 MW at LA must-take for VN, which it reaches over an existing line losing 10 %, and
    from 2030 over a lossless candidate. Thailand buys at LA's border too (TH node). In 2025 the best
    path that can carry flow is the lossy line: kept = 0.9, so VN must receive 0.9 x gen, which the
    line delivers; with the candidate's kept = 1 the row would ask for more than can arrive and force
    the plant down. So in 2025 the plant runs at its full 100 MW (876 GWh), all of it to VN."""
    from planner.data import build_model_data
    from planner.scenario import load_scenario

    data = tiny(horizon={"base_year": 2025, "years": [2025, 2030], "discount_rate": 0.0},
                nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN"}, {"id": "TH", "country": "TH"}],
                projects=[project("p", 100, contract="must_take", tariff_usd_per_mwh=10)],
                links=[{"id": "lossy", "from": "LA", "to": "VN", "capacity_mw": 1000, "status": "existing",
                        "loss_fraction": 0.1},
                       {"id": "new", "from": "LA", "to": "VN", "capacity_mw": 1000, "status": "candidate",
                        "capex_musd": 40000, "earliest_year": 2030},
                       {"id": "th", "from": "LA", "to": "TH", "capacity_mw": 1000, "status": "existing"}])
    data["options"] = {"importing_countries": ["VN", "TH"], "solver": {"mip_gap": 0},
                       "import_value_usd_per_mwh": 50}
    path = write(data, tmp_path)
    d = build_model_data(load_scenario(path).scenario, str(path))
    assert d.must_take_to["VN"] == [("p", {2025: pytest.approx(0.9), 2030: 1.0})]
    from planner.run import run_scenario

    run = run_scenario(path)
    dispatch = run.tables["dispatch"].set_index(["project", "year"])
    assert dispatch.energy_gwh.groupby(level=[0, 1]).sum()[("p", 2025)] == pytest.approx(876.0, rel=1e-6)


def test_a_vietnamese_receiving_end_limit_binds(solve):
    # _two_buyers with lossless lines: a MWh is worth 60 in Vietnam, 56 in Thailand. Vietnam's border
    # node takes at most 40 MW (nodes.VN.max_import_mw): 40 MW go to VN and the other 60 to TH.
    # Objective = -(40 x 60 + 60 x 56) x 8760 / 1e6 = -50.4576 MUSD (-52.56 without the limit).
    data = _two_buyers(th_loss=0.0)
    data["links"][0]["loss_fraction"] = 0.0
    free = solve(data)
    assert free.result.objective_musd == pytest.approx(-52.56, rel=REL)
    data["nodes"][1]["max_import_mw"] = 40
    run = solve(data)
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-50.4576, rel=REL)
    off = run.tables["offtake"].set_index(["project", "country"]).energy_gwh
    assert off[("p", "VN")] == pytest.approx(40 * 8.76, rel=REL)
    assert off[("p", "TH")] == pytest.approx(60 * 8.76, rel=REL)
    flows = run.tables["flows"].set_index("link").flow_mw
    assert flows["to_vn"] == pytest.approx(40, rel=REL)


def _thai_target(contracted_mw: float):
    """p (100 MW) contracted to Thailand; Thailand's contracted target for 2025 is contracted_mw."""
    data = _two_buyers(th_loss=0.0)
    data["projects"][0]["contracted_to"] = "TH"
    data["targets"] = [{"scope": "TH", "year": 2025, "contracted_mw": contracted_mw}]
    return data


def test_a_thai_contracted_target_met_and_short(solve):
    # p's 100 MW count for Thailand only (contracted_to: TH): a target of 80 MW is met (shortfall 0),
    # one of 150 MW is 50 MW short (no penalty on it here). The contract does not
    # steer the flow (no must_take): p still sells where a MWh is worth most, 56 at TH
    # (-49.056 MUSD as in the first test), whatever the target.
    met = solve(_thai_target(80))
    assert_all(met)
    imports = met.tables["imports"].set_index("scope")
    assert imports.at["TH", "contracted_mw"] == pytest.approx(100)
    assert imports.at["TH", "contracted_shortfall_mw"] == pytest.approx(0, abs=1e-9)
    short = solve(_thai_target(150))
    imports = short.tables["imports"].set_index("scope")
    assert imports.at["TH", "target_contracted_mw"] == pytest.approx(150)
    assert imports.at["TH", "contracted_shortfall_mw"] == pytest.approx(50, rel=REL)
    for run in (met, short):
        assert run.result.objective_musd == pytest.approx(-49.056, rel=REL)


def test_a_demand_follows_its_hourly_shape_and_keeps_its_season_mean(tmp_path, solve):
    """An hourly column demand@LA shapes LA's demand rows inside their season (data._shape_demand).
    Every day the same: D(h) = 0.5 + 0.5 x SHAPE(h) (SHAPE sums to 6.6), mean 0.5 + 0.5 x 6.6 / 24
    = 0.6375; the wet row's 100 MW become 100 x D(h) / 0.6375 at hour h: 149.020 MW at 12 h
    (D = 0.95) and 78.431 MW at 2 h (D = 0.5); the dry row's 50 MW half of that. A slice row is
    kept as given. The season's hour-weighted mean stays the row's MW."""
    import numpy as np
    import pandas as pd

    from planner.data import build_model_data
    from planner.scenario import load_scenario
    from tests.test_hourly import SHAPE

    shape = 0.5 + 0.5 * SHAPE
    frame = pd.DataFrame({"hour": np.arange(1, 8761), "hydro": 0.5, "demand@LA": np.tile(shape, 365)})
    frame.to_csv(tmp_path / "hourly.csv", index=False)
    data = _two_buyers(th_loss=0.0)
    data["time"] = {"hourly_file": "hourly.csv", "representative_days": 2}
    data["demand"] = [{"node": "LA", "season": "wet", "demand_mw": 100},
                      {"node": "LA", "season": "dry", "demand_mw": 50}]
    path = write(data, tmp_path)
    scenario = load_scenario(path).scenario
    d = build_model_data(scenario, str(path))
    mean = 0.5 + 0.5 * 6.6 / 24
    assert SHAPE.sum() == pytest.approx(6.6)
    hours = {s.id: s.hours for s in scenario.time.slices}
    for season, mw in (("wet", 100), ("dry", 50)):
        ids = [s.id for s in scenario.time.slices if s.season == season]
        noon = next(s for s in ids if s.endswith("_h12"))
        night = next(s for s in ids if s.endswith("_h02"))
        assert d.demand_mw[("LA", 2025, noon)] == pytest.approx(mw * 0.95 / mean, rel=1e-4)  # 149.020 wet
        assert d.demand_mw[("LA", 2025, night)] == pytest.approx(mw * 0.5 / mean, rel=1e-4)
        weighted = sum(hours[s] * d.demand_mw[("LA", 2025, s)] for s in ids) / sum(hours[s] for s in ids)
        assert weighted == pytest.approx(mw, rel=1e-6)
    # a column for a node without demand rows is bad input, said once with its file and column
    frame.rename(columns={"demand@LA": "demand@VN"}).to_csv(tmp_path / "hourly.csv", index=False)
    proc = planner("validate", path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert "demand@VN" in text and "demand@node of a demand row" in text and "Traceback" not in text


def test_the_pownet_profiles_are_read_with_their_source():
    """scenarios/hourly/profiles_pownet_2016.csv: 8,760 hours, availabilities in 0..1, the hydro
    columns at the base's season means (0.87 wet, 0.34 dry; Xekaman 3's own 0.94 / 0.29), EDL's
    load shape peaking at 1; its source (PowNet-Laos, MIT) in the folder's README and sources.csv."""
    import pandas as pd

    from tests.conftest import ROOT

    folder = ROOT / "scenarios" / "hourly"
    frame = pd.read_csv(folder / "profiles_pownet_2016.csv")
    assert len(frame) == 8760 and list(frame.hour) == list(range(1, 8761))
    values = frame.drop(columns=["hour", "load"])
    assert ((values >= 0) & (values <= 1)).all().all()
    wet = pd.date_range("2025-01-01", periods=8760, freq="h").month.isin(range(5, 11))
    for col, (w, dry) in {"hydro": (0.87, 0.34), "hydro@LA_SK": (0.87, 0.34), "xekaman3": (0.94, 0.29)}.items():
        assert frame[col][wet].mean() == pytest.approx(w, abs=2e-3)
        assert frame[col][~wet].mean() == pytest.approx(dry, abs=2e-3)
    assert frame["demand@LA_VT"].max() == pytest.approx(1.0)
    readme = (folder / "README.md").read_text()
    assert "PowNet-Laos" in readme and "MIT" in readme
    sources = (ROOT / "scenarios" / "base" / "sources.csv").read_text()
    assert "github.com/Critical-Infrastructure-Systems-Lab/PowNet-Laos" in sources


def test_a_least_squares_offtake_is_said(tmp_path):
    """Proportional sharing is singular where flow runs round a lossless loop of nodes that make
    nothing: LA2 -> LA3 and back, 10 MW each way, while p (100 MW at LA1) sends everything to VN.
    The shares there come from least squares, and trace_offtake says so (summary.json's warnings);
    p's energy to VN is still 100 MW x 8760 h = 876 GWh (LA1's row of the equations is regular)."""
    from types import SimpleNamespace

    import numpy as np

    from planner.data import build_model_data
    from planner.formulation.arrays import ArrayVar
    from planner.region import offtake_warnings, trace_offtake
    from planner.scenario import load_scenario

    data = tiny(nodes=[{"id": n, "country": "LA"} for n in ("LA1", "LA2", "LA3")] + [{"id": "VN", "country": "VN"}],
                projects=[project("p", 100, node="LA1")],
                links=[{"id": "out", "from": "LA1", "to": "VN", "capacity_mw": 1000, "status": "existing"},
                       {"id": "loop", "from": "LA2", "to": "LA3", "capacity_mw": 1000, "status": "existing",
                        "bidirectional": True}])
    path = write(data, tmp_path)
    d = build_model_data(load_scenario(path).scenario, str(path))

    def solved(name: str, keys: list, value) -> ArrayVar:  # an array variable with these values
        var = ArrayVar(name, keys)
        var.value = np.array([value(k) for k in keys], dtype=float)
        return var

    flows = {("out", 2025, "all", "forward"): 100.0, ("loop", 2025, "all", "forward"): 10.0,
             ("loop", 2025, "all", "reverse"): 10.0}
    m = SimpleNamespace(gen=solved("gen", d.gen_index, lambda k: 100.0),
                        flow=solved("flow", d.flow_index, lambda k: flows.get(k, 0.0)),
                        imports=solved("imports", d.import_index, lambda k: 100.0 if k[0] == "VN" else 0.0),
                        unserved=solved("unserved", list(d.demand_mw), lambda k: 0.0))
    frame = trace_offtake(m, d)
    assert frame.attrs["warnings"] == offtake_warnings([(2025, "all")])
    assert "least-squares" in frame.attrs["warnings"][0] and "2025 all" in frame.attrs["warnings"][0]
    off = frame.set_index(["project", "country"]).energy_gwh
    assert off[("p", "VN")] == pytest.approx(876, rel=1e-6)
    # without the loop the sharing is regular and nothing is said
    flows = {("out", 2025, "all", "forward"): 100.0}
    m.flow = solved("flow", d.flow_index, lambda k: flows.get(k, 0.0))
    assert trace_offtake(m, d).attrs["warnings"] == []
