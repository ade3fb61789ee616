"""Known answers for the model features the base case needs (issue 9): hydro by kind (a pondage or
reservoir plant's seasonal energy budget, its power up to capacity in any slice) and the
contracted-capacity target (MW under contract, at a stated credit per technology).

The working is beside each test. Unless a test says otherwise: one modelled year 2025 = base year,
discount rate 0 (W = 1, CRF = 1/lifetime), so an annuity is capex / lifetime.
"""

from __future__ import annotations

import pytest

from tests.checks import assert_all
from tests.conftest import planner, project, tiny, write

REL = 1e-6

# Two seasons, each a day slice (3000 h) and an evening peak slice (1380 h): 2 x 4380 = 8760 h.
SEASONAL = {"slices": [
    {"id": "wet_day", "hours": 3000, "season": "wet"},
    {"id": "wet_peak", "hours": 1380, "season": "wet", "peak": True},
    {"id": "dry_day", "hours": 3000, "season": "dry"},
    {"id": "dry_peak", "hours": 1380, "season": "dry", "peak": True},
]}


def _imports(run, scope="VN", year=2025):
    t = run.tables["imports"]
    return t[(t.scope == scope) & (t.year == year)].iloc[0]


def _gen(run, project_id="h"):
    d = run.tables["dispatch"]
    return d[d.project == project_id].set_index("slice").generation_mw.reindex(
        ["wet_day", "wet_peak", "dry_day", "dry_peak"], fill_value=0.0)


def _hydro_case(kind=None, firm_mw=100.0, **fields):
    extra = {"hydro_kind": kind} if kind else {}
    return tiny(time=SEASONAL, projects=[project("h", 100, availability={"wet": 0.9, "dry": 0.3},
                                                 energy_cost_usd_per_mwh=1, **extra, **fields)],
                targets=[{"scope": "VN", "year": 2025, "capacity_mw": firm_mw}])


def test_run_of_river_is_capped_in_every_slice(solve):
    # 100 MW run-of-river, availability 0.9 wet / 0.3 dry; firm target 100 MW in both peak slices.
    # The dry peak can give 30 MW: shortfall 70 MW (one variable for all peak slices) = 70 x 1000 x
    # 300 / 1e6 = 21 MUSD. With the shortfall at 70 the wet peak needs only 30 MW too:
    # energy 2 x 30 MW x 1380 h = 82.8 GWh at 1 USD/MWh = 0.0828 MUSD. Total 21.0828 MUSD.
    run = solve(_hydro_case())
    assert_all(run)
    assert run.summary["objective_musd"] == pytest.approx(21.0828, rel=REL)
    assert _imports(run).capacity_shortfall_mw == pytest.approx(70, rel=REL)
    assert _gen(run)["dry_peak"] == pytest.approx(30, rel=REL)


@pytest.mark.parametrize("kind", ["pondage", "reservoir"])
def test_reservoir_moves_dry_season_water_into_the_evening_peak(solve, kind):
    # Same plant as a pondage/reservoir plant: its dry-season budget is what run-of-river would make,
    # 4380 h x 0.3 x 100 MW = 131.4 GWh, and its power is up to 100 MW in any slice. All of it goes
    # into the dry peak: 131.4 GWh / 1380 h = 95.2174 MW, so the shortfall is 100 - 95.2174 = 4.7826 MW
    # = 1.434783 MUSD. Energy: dry 131.4 GWh + wet peak 95.2174 MW x 1380 h = 131.4 GWh (the shortfall
    # covers the rest of the wet peak too) = 262.8 GWh at 1 USD/MWh = 0.2628 MUSD.
    # Total 1.434783 + 0.2628 = 1.697583 MUSD (against 21.0828 run-of-river).
    run = solve(_hydro_case(kind))
    assert_all(run)
    firm = 131.4 / 1.38
    assert _imports(run).capacity_shortfall_mw == pytest.approx(100 - firm, rel=REL)
    assert run.summary["objective_musd"] == pytest.approx((100 - firm) * 0.3 + 0.2628, rel=REL)
    gen = _gen(run)
    assert gen["dry_peak"] == pytest.approx(firm, rel=REL)
    assert gen["dry_day"] == pytest.approx(0, abs=1e-6)
    # the dry season's energy is the budget, no more; nothing of it is reported as spilled
    d = run.tables["dispatch"].set_index("slice")
    assert d.loc[["dry_day", "dry_peak"], "energy_gwh"].sum() == pytest.approx(131.4, rel=REL)
    assert d.loc[["dry_day", "dry_peak"], "curtailed_gwh"].sum() == pytest.approx(0, abs=1e-6)
    # the wet season's unused water (394.2 - 131.4 GWh) is reported as spilled, shared by hours
    assert d.loc[["wet_day", "wet_peak"], "curtailed_gwh"].sum() == pytest.approx(394.2 - 131.4, rel=REL)
    assert d.at["wet_day", "curtailed_gwh"] == pytest.approx((394.2 - 131.4) * 3000 / 4380, rel=REL)


def test_a_met_firm_target_costs_only_energy(solve):
    # Firm target 80 MW: the dry peak needs 80 x 1380 = 110.4 GWh <= 131.4, so no shortfall; energy
    # 2 x 110.4 GWh = 220.8 GWh at 1 USD/MWh = 0.2208 MUSD.
    run = solve(_hydro_case("reservoir", firm_mw=80))
    assert run.summary["objective_musd"] == pytest.approx(0.2208, rel=REL)
    assert _imports(run).capacity_shortfall_mw == pytest.approx(0, abs=1e-6)


def test_a_given_seasonal_budget_and_the_technology_default(solve):
    # energy_gwh_by_season dry 69 GWh: the dry peak gets 69 / 1.38 = 50 MW, shortfall 50 MW = 15 MUSD;
    # energy 2 x 69 GWh = 0.138 MUSD. The kind comes from the technology here.
    data = _hydro_case(energy_gwh_by_season={"dry": 69})
    data["technologies"]["hydro"]["hydro_kind"] = "reservoir"
    run = solve(data)
    assert _imports(run).capacity_shortfall_mw == pytest.approx(50, rel=REL)
    assert run.summary["objective_musd"] == pytest.approx(15.138, rel=REL)


def test_the_budget_scales_with_an_up_to_zone(solve):
    # A 100 MW reservoir zone (candidate, up_to, capex 0, lifetime 10) can only help by its built share;
    # the firm target 40 MW in the dry peak needs 40 x 1380 = 55.2 GWh of a budget of
    # 131.4 x fraction GWh, and 40 MW <= 100 x fraction: fraction >= 55.2 / 131.4 = 0.420091.
    # With capex 100 USD/kW (annuity 1 MUSD/yr for all 100 MW) the zone is built to exactly that share.
    data = tiny(time=SEASONAL, projects=[project("h", 100, "candidate", sizing="up_to", hydro_kind="reservoir",
                                                 capex_usd_per_kw=100, availability={"wet": 0.9, "dry": 0.3})],
                targets=[{"scope": "VN", "year": 2025, "capacity_mw": 40}])
    run = solve(data)
    assert_all(run)
    share = 55.2 / 131.4
    assert run.summary["objective_musd"] == pytest.approx(share * 1.0, rel=REL)
    assert run.tables["builds"].set_index("asset").at["h", "capacity_mw"] == pytest.approx(100 * share, rel=REL)


def _contracted_case(solar_credit=None, **solar_fields):
    techs = {"hydro": {"lifetime_years": 10}, "wind": {"lifetime_years": 10}, "solar": {"lifetime_years": 10}}
    if solar_credit is not None:
        techs["solar"]["capacity_credit"] = solar_credit
    return tiny(technologies=techs, projects=[
        project("hydro", 30),
        project("solar", 100, "candidate", technology="solar", capex_usd_per_kw=500, **solar_fields),
        project("wind", 100, "candidate", technology="wind", capex_usd_per_kw=1200),
    ], targets=[{"scope": "VN", "year": 2025, "contracted_mw": 120}])


def test_contracted_capacity_counts_installed_mw(solve):
    # Target 120 MW contracted; existing hydro 30 MW counts. Solar 100 MW: annuity 500 x 100 / 1000 / 10
    # = 5 MUSD; wind 100 MW: 12 MUSD; shortfall 0.3 MUSD per MW. Credit 1: solar alone makes 130 MW
    # for 5 MUSD (wind alone 12; nothing 27).
    run = solve(_contracted_case())
    assert_all(run)
    assert run.summary["objective_musd"] == pytest.approx(5.0, rel=REL)
    b = run.tables["builds"]
    assert set(b[b.status == "candidate"].asset) == {"solar"}
    row = _imports(run)
    assert (row.contracted_mw, row.target_contracted_mw, row.contracted_shortfall_mw) == pytest.approx((130, 120, 0))


def test_contracted_capacity_at_a_stated_credit(solve):
    # Solar credited at 0.5 counts 50 MW: solar alone 80 MW, short 40 = 5 + 12 = 17 MUSD; wind alone
    # 130 MW = 12 MUSD; both 17 MUSD; nothing 27 MUSD. Wind alone it is.
    run = solve(_contracted_case(solar_credit=0.5))
    assert run.summary["objective_musd"] == pytest.approx(12.0, rel=REL)
    b = run.tables["builds"]
    assert set(b[b.status == "candidate"].asset) == {"wind"}


def test_a_plant_contracted_elsewhere_does_not_count(solve):
    # Solar contracted to Laos (country LA) does not count toward Vietnam's target: wind alone, 12 MUSD.
    # With a shortfall: target 200 MW -> wind + hydro 130, short 70 = 12 + 21 = 33 MUSD (reported).
    run = solve(_contracted_case(contracted_to="LA"))
    assert run.summary["objective_musd"] == pytest.approx(12.0, rel=REL)
    data = _contracted_case(contracted_to="LA")
    data["targets"][0]["contracted_mw"] = 200
    run = solve(data)
    assert run.summary["objective_musd"] == pytest.approx(33.0, rel=REL)
    row = _imports(run)
    assert row.contracted_shortfall_mw == pytest.approx(70, rel=REL)
    costs = run.tables["costs"].query("view == 'system'").set_index("component").undiscounted_musd
    assert costs["penalty"] == pytest.approx(21.0, rel=REL)


@pytest.mark.parametrize("change, words", [
    (lambda d: d["projects"][0].update(hydro_kind="reservoir", energy_gwh_by_season={"monsoon": 10}),
     ["projects[h].energy_gwh_by_season.monsoon", "not a season", "dry, wet"]),
    (lambda d: d["projects"][0].update(hydro_kind="reservoir", energy_gwh_by_season={"dry": 500}),
     ["projects[h].energy_gwh_by_season.dry", "more than 100 MW can produce"]),
    (lambda d: d["projects"][0].update(hydro_kind="lake"), ["hydro_kind", "run_of_river"]),
    (lambda d: d["projects"][0].update(contracted_to="TH"), ["projects[h].contracted_to", "'TH'"]),
    (lambda d: d["projects"][0].update(capacity_credit=1.5), ["capacity_credit"]),
])
def test_bad_new_fields_are_refused_clearly(tmp_path, change, words):
    data = _hydro_case()
    change(data)
    out = planner("solve", write(data, tmp_path), "--out", tmp_path / "out")
    assert out.returncode == 2, out.stdout + out.stderr
    text = " ".join((out.stdout + out.stderr).split())
    assert "Traceback" not in text
    for w in words:
        assert w in text, (w, text)
    assert not (tmp_path / "out").exists()


def _zone_case(**zone):
    # One 8760-h slice (tiny). Target 438 GWh = 50 MW all year. Candidate zone 100 MW up_to, capex
    # 1000 USD/kW, lifetime 10: 0.1 MUSD per MW-year built; energy cost 0.
    return tiny(projects=[project("zone", 100, "candidate", sizing="up_to", capex_usd_per_kw=1000, **zone)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}])


def test_a_zone_without_blocks_is_built_to_the_mw(solve):
    # 50 MW = 5 MUSD.
    run = solve(_zone_case())
    assert run.summary["objective_musd"] == pytest.approx(5.0, rel=REL)


def test_min_block_size(solve):
    # min_block_mw 80: 50 MW is not allowed, so either 80 MW (8 MUSD, 30 MW unused) or nothing
    # (438 GWh short x 500 USD/MWh = 219 MUSD): 80 MW, 8 MUSD.
    run = solve(_zone_case(min_block_mw=80))
    assert_all(run)
    assert run.summary["objective_musd"] == pytest.approx(8.0, rel=REL)
    assert run.tables["builds"].set_index("asset").at["zone", "capacity_mw"] == pytest.approx(80, rel=REL)
    # under the continuous relaxation the block is relaxed too: 50 MW again
    run = solve(_zone_case(min_block_mw=80), ["options.build=continuous"])
    assert run.summary["objective_musd"] == pytest.approx(5.0, rel=REL)


def test_a_small_target_is_not_worth_a_block(solve):
    # Target 8.76 GWh = 1 MW all year; block 80 MW = 8 MUSD against a shortfall of 8.76 GWh x 500 USD/MWh
    # = 4.38 MUSD: nothing is built, 4.38 MUSD of penalty (without the block: 1 MW, 0.1 MUSD).
    data = _zone_case(min_block_mw=80)
    data["targets"][0]["energy_gwh"] = 8.76
    run = solve(data)
    assert run.summary["objective_musd"] == pytest.approx(4.38, rel=REL)
    b = run.tables["builds"]
    assert b[b.status == "candidate"].empty


def test_unit_size(solve):
    # unit_mw 15: 50 MW needs 4 units = 60 MW = 6 MUSD.
    run = solve(_zone_case(unit_mw=15))
    assert_all(run)
    assert run.summary["objective_musd"] == pytest.approx(6.0, rel=REL)
    assert run.tables["builds"].set_index("asset").at["zone", "capacity_mw"] == pytest.approx(60, rel=REL)


@pytest.mark.parametrize("fields, words", [
    ({"min_block_mw": 50}, ["min_block_mw applies to sizing: up_to only"]),
    ({"sizing": "up_to", "unit_mw": 500}, ["unit_mw 500 is more than capacity_mw 100"]),
])
def test_bad_block_sizes_are_refused(tmp_path, fields, words):
    data = _zone_case()
    data["projects"][0].update(sizing="fixed")
    data["projects"][0].update(fields)
    out = planner("validate", write(data, tmp_path))
    assert out.returncode == 2, out.stdout + out.stderr
    text = " ".join((out.stdout + out.stderr).split())
    assert "Traceback" not in text and all(w in text for w in words), text


def test_an_unmeetable_strict_contracted_target_is_diagnosed(tmp_path):
    # Existing hydro 30 MW and a 100 MW solar candidate (credit 1) against a strict contracted target of
    # 200 MW: at most 130 MW, so infeasible (exit 3), and the diagnosis names the 70 MW short.
    data = _contracted_case()
    data["projects"] = data["projects"][:2]
    data["targets"][0]["contracted_mw"] = 200
    data["options"]["strict_targets"] = True
    out = planner("solve", write(data, tmp_path), "--out", tmp_path / "out")
    assert out.returncode == 3, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "contracted_shortfall_mw" in text and "70.0" in text, text
