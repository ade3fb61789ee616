"""Every shipped scenario validates and solves, its tables close, and the base case's plan makes
sense and is pinned.

Each shipped scenario solves in about a second here (see scenarios/README.md), so all are solved
in full. The pinned base case is solved with mip_gap 0 so that the optimum, not a point inside the
gap, is pinned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.run import run_scenario
from planner.scenario import load_scenario
from tests.checks import assert_all

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml"))
BASE = ROOT / "scenarios" / "base"
VARIANTS = ["base", "importer_view", "import_value", "developer_wacc_10", "dry", "tariff_2024", "hatxan_2032", "no_hatxan_corridor", "pdp8_high", "dec768_low", "dec768_high",
            "coal_at_ceiling", "co2_price", "continuous", "firm_target", "hydro_run_of_river", "no_solar_mechanism",
            "named_projects_only", "energy_target", "hydro_capex_recent"]

# Pinned base case (mip_gap 0). Change these only with the reason beside them:
# - first pinned with the sourced base case (issue 3): 9,075.99 MUSD.
# - issue 9: rows checked against their sources (signed-PPA hydro, 2021-PPA plants existing, Xekaman
#   energy, topology, Monsoon - Thanh My at 1,470 MW), a contracted-capacity target in place of the
#   firm one, pondage hydro, wind credited at its evening availability, solar by S61's profile, zone
#   blocks and the Hatxan 220 kV / single-circuit options: 5,891.21 MUSD; then lead times (no
#   candidate hydro before 2030, wind and solar before 2028, 500 kV lines before 2029): 6,811.93 MUSD.
#   candidate hydro before 2030, wind and solar before 2028, 500 kV lines before 2029): 6,811.93 MUSD.
# - issue 16: Vietnam's import values by region and slice instead of the assumed energy target and
#   its 500 USD/MWh penalty (the objective is now minus the net benefit), signed plants must-take,
#   Pleiku 2's 1,800 MW, five years of IDC for hydro, the ceiling to COD 2030: -7,691.15 MUSD.
BASE_OBJECTIVE_MUSD = -7691.15
BASE_BUILDS = {
    ("champasak_solar", 2028, 80), ("sekong_solar", 2028, 500), ("hatxan_hydro", 2030, 896),
    ("hatxan_pleiku_220kv", 2030, 500), ("nam_chien", 2030, 104), ("nam_ngum_4", 2030, 240),
    ("nam_u", 2030, 840), ("north_500kv", 2030, 2350), ("xekong3_xekaman2", 2030, 540),
    ("xekong4", 2032, 490), ("xekong5", 2030, 330),
}


def candidate_builds(run) -> set:
    b = run.tables["builds"]
    b = b[b.status == "candidate"]
    return {(r.asset, int(r.build_year), round(r.capacity_mw)) for r in b.itertuples()}


def test_every_shipped_scenario_is_found():
    names = {p.relative_to(ROOT / "scenarios").as_posix() for p in SCENARIOS}
    assert {f"base/{v}.yaml" for v in VARIANTS} <= names
    assert "example/example.yaml" in names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_validates(path):
    loaded = load_scenario(path)
    assert loaded.scenario.name


@pytest.fixture(scope="module")
def runs():
    """Every base-case variant solved once for the module."""
    out = {v: run_scenario(BASE / f"{v}.yaml") for v in VARIANTS}
    out["base_exact"] = run_scenario(BASE / "base.yaml", ("options.solver.mip_gap=0",))
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_solves_and_its_tables_close(runs, variant):
    assert_all(runs[variant])


def test_example_solves_and_its_tables_close():
    for name in ("example", "example_dry"):
        assert_all(run_scenario(ROOT / "scenarios" / "example" / f"{name}.yaml"))


def test_base_case_is_pinned(runs):
    run = runs["base_exact"]
    assert run.summary["objective_musd"] == pytest.approx(BASE_OBJECTIVE_MUSD, abs=0.01)
    assert candidate_builds(run) == BASE_BUILDS


def test_base_case_makes_sense(runs):
    run = runs["base"]
    t = run.tables
    # the ceilings exclude the coal plant whose sponsor wants 8 cents (ceiling 7.02) and the wind
    # candidates at CF 0.25 whose break-even tariffs (8 %, 25 years) are 87-96 USD/MWh (ceiling 69.5)
    assert sorted(run.summary["excluded_by_tariff"]) == ["lako_wind", "nong_wind_1", "nong_wind_2", "sekong_coal"]
    tariffs = t["tariffs"].set_index("project")
    assert 85 < tariffs.at["nong_wind_1", "break_even_tariff_usd_per_mwh"] < 90
    assert 55 < tariffs.at["xekong5", "break_even_tariff_usd_per_mwh"] < 65  # new hydro with IDC: below 69.5
    assert tariffs.at["south_wind_zone", "break_even_tariff_usd_per_mwh"] < 69.5  # Monsoon's numbers, at the cap
    imports = t["imports"].set_index(["scope", "year"])
    vn = imports.xs("VN", level=0)
    # 2026: what operates at end 2025 (S14: 2,379 MW) plus the first half of the unnamed signed-PPA
    # hydro (514 MW) is contracted; the MoU's 3,000 MW fall 107 MW short. 2027: nothing new can be
    # online (lead times), so the committed plants alone (+514 +132 MW) fall 411 MW short of 3,950;
    # 2028-29: nothing worth its cost can come (no hydro before 2030), and the shortfall, unpriced,
    # is reported; from 2030 the hydro meets the 6,800 MW
    assert vn.at[2026, "contracted_mw"] == pytest.approx(2379 + 514)
    assert vn.at[2026, "contracted_shortfall_mw"] == pytest.approx(107)
    assert vn.at[2027, "contracted_mw"] == pytest.approx(2379 + 1028 + 132)
    assert (vn.loc[2028:2029, "contracted_shortfall_mw"] > 0).all()
    assert (vn.loc[2030:, "contracted_shortfall_mw"] < 1e-6).all()
    assert vn.energy_shortfall_gwh.isna().all()  # no energy target in the base
    # the value of the imports is in the objective, no penalty
    costs = t["costs"]
    system = costs[costs.view == "system"].groupby("component").discounted_musd.sum()
    assert system["penalty"] == pytest.approx(0, abs=1e-9) and system["import_value"] < 0
    # firm capability and the lasting price are reported: firm_mw at least what the dispatch gave
    assert (vn.firm_mw >= vn.dispatched_firm_mw - 1e-6).all()
    assert vn.at[2030, "lasting_marginal_cost_usd_per_mwh"] > vn.at[2030, "import_value_usd_per_mwh"]
    # the 10 % import limit holds in every year
    assert (vn.peak_import_mw <= 5266 + 1e-6).all()
    # the three Viet-Lao Power plants make S15's ~2.2 TWh; each radial line carries its own plants
    d = t["dispatch"]
    viet_lao = d[(d.year == 2026) & d.project.isin(["xekaman1", "xekaman_sanxay", "xekaman3"])].energy_gwh.sum()
    assert viet_lao == pytest.approx(2200, rel=1e-6)
    links = t["links"].set_index(["link", "year"])
    for line in ("xekaman1_pleiku2", "xekaman3_thanh_my", "nam_kong_bo_y", "monsoon_thanh_my_500kv"):
        assert links.loc[(line, 2026), "delivered_gwh"] > 300, line
    assert links.loc[("monsoon_thanh_my_500kv", 2030), "online_mw"] == 1470
    assert links.loc[("monsoon_thanh_my_500kv", 2030), "peak_flow_mw"] <= 1470 + 1e-6
    assert links.loc[("monsoon_thanh_my_500kv", 2030), "utilisation"] > 0.4
    # lead times: no candidate comes online before 2028, no candidate hydro before 2030
    tech = run.data.assets["technology"]
    assert all(y >= 2028 for _, y, _ in candidate_builds(run))
    assert all(y >= 2030 for a, y, _ in candidate_builds(run) if tech[a] == "hydro")
    # nothing is built that does not deliver: every new plant generates in its first year
    for asset, year, _ in candidate_builds(run):
        if asset in run.data.projects.index:
            assert d[(d.year == year) & (d.project == asset)].energy_gwh.sum() > 100, asset


def test_variants_move_the_plan_the_right_way(runs):
    """With imports valued and targets unpriced (issue 16), a variant moves the plan through value
    and cost; the objective is minus the net benefit, so a variant that hurts has a larger one."""
    obj = {v: runs[v].summary["objective_musd"] for v in VARIANTS}
    builds = {v: {a for a, _, _ in candidate_builds(runs[v])} for v in VARIANTS}
    tech = runs["base"].data.assets["technology"]
    assert obj["dry"] > obj["base"]
    assert obj["developer_wacc_10"] > obj["base"] and obj["hydro_capex_recent"] > obj["base"]
    assert obj["continuous"] <= obj["base"] + 1e-6  # the relaxation is never worse
    # targets are volumes: the target variants give the base's plan and differ in shortfall only
    for v in ("dec768_low", "dec768_high", "pdp8_high", "firm_target"):
        assert obj[v] == pytest.approx(obj["base"], abs=0.5), v
    short = {v: runs[v].tables["imports"].set_index(["scope", "year"]).at[("VN", 2029), "contracted_shortfall_mw"]
             for v in ("dec768_low", "base", "pdp8_high", "dec768_high")}
    assert short["dec768_low"] < short["base"] < short["pdp8_high"] < short["dec768_high"]
    # the former energy target (a penalty) costs net benefit and builds the wind zone to meet it
    assert obj["energy_target"] > obj["base"] + 100
    assert "south_wind_zone" in builds["energy_target"] and "south_wind_zone" not in builds["base"]
    # a flat 83 USD/MWh (above the Central region's values) makes more worth building
    assert obj["import_value"] < obj["base"] and "south_wind_zone" in builds["import_value"]
    # the ceiling holds to 2030: at 10 % (or at recent hydro capex) hydro above it waits to 2032
    for v in ("developer_wacc_10", "hydro_capex_recent"):
        assert all(y >= 2032 for a, y, _ in candidate_builds(runs[v]) if tech[a] == "hydro"), v
    # a delayed or missing Hatxan corridor can only cost net benefit
    hatxan = {"hatxan_pleiku_500kv", "hatxan_pleiku_500kv_single", "hatxan_pleiku_500kv_second", "hatxan_pleiku_220kv"}
    for v in ("hatxan_2032", "no_hatxan_corridor"):
        assert obj[v] >= obj["base"] - 1e-6
    assert all(y >= 2032 for a, y, _ in candidate_builds(runs["hatxan_2032"]) if a in hatxan)
    assert not builds["no_hatxan_corridor"] & hatxan
    assert builds["base"] & hatxan
    # coal at the ceiling is admitted but not chosen
    assert "sekong_coal" not in builds["coal_at_ceiling"] | builds["co2_price"]
    assert "sekong_coal" not in runs["coal_at_ceiling"].summary["excluded_by_tariff"]
    # run-of-river hydro cannot follow the peak: less net benefit
    assert obj["hydro_run_of_river"] > obj["firm_target"] + 10
    # no solar mechanism: no solar, less net benefit
    assert not {a for a in builds["no_solar_mechanism"] if tech.get(a) == "solar"}
    assert obj["no_solar_mechanism"] > obj["base"]
    assert not builds["named_projects_only"] & {"south_wind_zone", "south_solar_zone"}
    # the importer's view: signed plants are must-take, so the importer keeps buying them
    d = runs["importer_view"].tables["dispatch"]
    assert d[(d.year == 2030) & (d.project == "monsoon_wind")].energy_gwh.sum() > 1000
