"""Tiny models whose optimum is worked out by hand (the working is beside each test).

Unless a test says otherwise: one modelled year 2025 = base year, discount rate 0 (W = 1,
CRF = 1/lifetime), one 8760-hour peak slice, so 1 MW all year = 8.76 GWh, and
1 GWh at 1 USD/MWh = 0.001 MUSD.
"""

from __future__ import annotations

import pytest

from planner.data import crf, year_weights
from tests.conftest import project, tiny

REL = 1e-6


def built(run) -> dict:
    b = run.tables["builds"]
    b = b[b.status == "candidate"]
    return {(r.asset, int(r.build_year)): round(r.capacity_mw, 6) for r in b.itertuples()}


def imports(run, scope="VN", year=2025):
    t = run.tables["imports"]
    return t[(t.scope == scope) & (t.year == year)].iloc[0]


def test_merit_order_and_marginal_cost(solve):
    # 100 MW at 50 USD/MWh gives 876 GWh; the remaining 124 GWh come from the 60 USD/MWh plant.
    # cost = 876*50/1000 + 124*60/1000 = 43.8 + 7.44 = 51.24 MUSD; marginal cost 60 USD/MWh.
    run = solve(tiny(projects=[project("cheap", 100, energy_cost_usd_per_mwh=50),
                               project("dear", 100, energy_cost_usd_per_mwh=60)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 1000}]))
    assert run.summary["objective_musd"] == pytest.approx(51.24, rel=REL)
    assert imports(run).marginal_cost_usd_per_mwh == pytest.approx(60, rel=REL)
    d = run.tables["dispatch"].set_index("project")
    assert d.at["cheap", "energy_gwh"] == pytest.approx(876, rel=REL)
    assert d.at["dear", "energy_gwh"] == pytest.approx(124, rel=REL)


@pytest.mark.parametrize("mode, fraction, cost", [("integer", 1.0, 10.0), ("continuous", 0.5, 5.0)])
def test_integer_and_continuous_builds_differ(solve, mode, fraction, cost):
    # A 100 MW candidate at 1000 USD/kW, lifetime 10: annuity 100 MUSD * 0.1 = 10 MUSD/yr.
    # Target 438 GWh = 50 MW all year. Integer: build all of it (10 MUSD, far below the 219 MUSD
    # penalty). Continuous: build half (5 MUSD).
    run = solve(tiny(options={"build": mode, "solver": {"mip_gap": 0}},
                     projects=[project("cand", 100, "candidate", capex_usd_per_kw=1000)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}]))
    assert run.summary["objective_musd"] == pytest.approx(cost, rel=REL)
    assert built(run) == {("cand", 2025): 100 * fraction}


def test_losses_raise_generation_and_price(solve):
    # Loss 10 %: delivering 876 GWh needs 876/0.9 = 973.33 GWh at 10 USD/MWh = 9.7333 MUSD.
    # The marginal cost at the border is 10/0.9 = 11.111 USD/MWh, and so is the VN node price.
    run = solve(tiny(projects=[project("hydro", 200, energy_cost_usd_per_mwh=10)],
                     links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 1000, "status": "existing",
                             "loss_fraction": 0.1}],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert run.summary["objective_musd"] == pytest.approx(876 / 0.9 * 10 / 1000, rel=REL)
    assert imports(run).marginal_cost_usd_per_mwh == pytest.approx(10 / 0.9, rel=REL)
    prices = run.tables["prices"].set_index("node")
    assert prices.at["VN", "price_usd_per_mwh"] == pytest.approx(10 / 0.9, rel=REL)
    assert prices.at["LA", "price_usd_per_mwh"] == pytest.approx(10, rel=REL)
    links = run.tables["links"].iloc[0]
    assert links.losses_gwh == pytest.approx(876 / 0.9 * 0.1, rel=REL)


def test_capacity_target_binds_in_the_dry_season_peak(solve):
    # Hydro 1000 MW gives 900 MW wet but only 300 MW dry. Firm target 500 MW in every peak slice:
    # 200 MW more are needed in the dry peak. An up_to zone at 1000 USD/kW, lifetime 10 costs
    # 100 USD/kW-yr (< 300 penalty): build exactly 200 MW, 20 MUSD. One more MW: in the long run
    # 100 USD/kW-year (more of the zone); in the short run, with the zone as built, only the
    # 300 USD/kW-year penalty can give it.
    slices = [{"id": "wet", "hours": 4380, "season": "wet", "peak": True},
              {"id": "dry", "hours": 4380, "season": "dry", "peak": True}]
    run = solve(tiny(time={"slices": slices},
                     technologies={"hydro": {"lifetime_years": 10, "availability": {"wet": 0.9, "dry": 0.3}},
                                   "wind": {"lifetime_years": 10}},
                     projects=[project("dam", 1000),
                               project("zone", 1000, "candidate", technology="wind", sizing="up_to",
                                       capex_usd_per_kw=1000)],
                     targets=[{"scope": "VN", "year": 2025, "capacity_mw": 500}]))
    assert run.summary["objective_musd"] == pytest.approx(20, rel=REL)
    assert built(run) == {("zone", 2025): pytest.approx(200, rel=REL)}
    row = imports(run)
    assert row.capacity_shortfall_mw == pytest.approx(0, abs=1e-6)
    assert row.firm_mw == pytest.approx(500, rel=REL)
    assert row.long_run_marginal_capacity_cost_usd_per_kw_year == pytest.approx(100, rel=REL)
    assert row.marginal_capacity_cost_usd_per_kw_year == pytest.approx(300, rel=REL)


def _alternatives(**extra_a):
    # A (annuity 5), B (6), C (20), each 100 MW at zero energy cost; target 1752 GWh = 200 MW.
    return [project("A", 100, "candidate", capex_usd_per_kw=500, **extra_a),
            project("B", 100, "candidate", capex_usd_per_kw=600),
            project("C", 100, "candidate", capex_usd_per_kw=2000)]


def test_excludes_forces_the_dearer_pair(solve):
    target = [{"scope": "VN", "year": 2025, "energy_gwh": 1752}]
    free = solve(tiny(projects=_alternatives(), targets=target))
    assert free.summary["objective_musd"] == pytest.approx(11, rel=REL)  # A + B
    exclusive = solve(tiny(projects=_alternatives(excludes=["B"]), targets=target))
    assert exclusive.summary["objective_musd"] == pytest.approx(25, rel=REL)  # A + C
    assert set(built(exclusive)) == {("A", 2025), ("C", 2025)}


@pytest.mark.parametrize("link_capex_musd, winner, cost", [(30, "D", 7.0), (10, "A", 6.0)])
def test_requires_counts_the_cost_of_what_is_required(solve, link_capex_musd, winner, cost):
    # A (annuity 5) requires a candidate link (annuity capex/10); D (annuity 7) uses the existing line.
    # Link capex 30 MUSD: A + link = 8 > 7, so D. Link capex 10: A + link = 6 < 7, so A and the link.
    links = [{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 10000, "status": "existing"},
             {"id": "new_line", "from": "LA2", "to": "VN", "capacity_mw": 500, "status": "candidate",
              "capex_musd": link_capex_musd, "lifetime_years": 10}]
    nodes = [{"id": "LA", "country": "LA"}, {"id": "LA2", "country": "LA"}, {"id": "VN", "country": "VN"}]
    projects = [project("A", 100, "candidate", node="LA2", capex_usd_per_kw=500, requires=["new_line"]),
                project("D", 100, "candidate", capex_usd_per_kw=700)]
    run = solve(tiny(nodes=nodes, links=links, projects=projects,
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert run.summary["objective_musd"] == pytest.approx(cost, rel=REL)
    assert winner in {a for a, _ in built(run)}


def test_build_timing_under_discounting(solve):
    # r = 10 %, modelled years 2025 and 2030, 2030 standing for 2030-2034. The target starts in
    # 2030, so the candidate (annuity 10 MUSD/yr) is built in 2030, not 2025:
    # cost = 10 * W_2030 with W_2030 = sum_{t=2030}^{2034} 1.1^-(t-2025).
    w2030 = sum(1.1 ** -(t - 2025) for t in range(2030, 2035))
    run = solve(tiny(horizon={"base_year": 2025, "years": [2025, 2030], "end_year": 2034, "discount_rate": 0.1},
                     projects=[project("cand", 100, "candidate", capex_usd_per_kw=1000, lifetime_years=10)],
                     targets=[{"scope": "VN", "year": 2030, "energy_gwh": 438}]))
    annuity = 100 * crf(0.1, 10)
    assert run.summary["objective_musd"] == pytest.approx(annuity * w2030, rel=REL)
    assert built(run) == {("cand", 2030): 100}


def test_existing_is_sunk_committed_pays_its_annuity(solve):
    # Both 100 MW, 1000 USD/kW, fixed O&M 10 USD/kW-yr (1 MUSD/yr each), lifetime 10.
    # Existing: O&M only. Committed: annuity 100 MUSD * 0.1 = 10 plus O&M. Total 1 + 10 + 1 = 12.
    run = solve(tiny(projects=[
        project("old", 100, "existing", capex_usd_per_kw=1000, fixed_om_usd_per_kw_year=10),
        project("new", 100, "committed", online_year=2025, capex_usd_per_kw=1000, fixed_om_usd_per_kw_year=10)]))
    assert run.summary["objective_musd"] == pytest.approx(12, rel=REL)
    costs = run.tables["costs"].query("view == 'system'").set_index("component")
    assert costs.at["capex", "undiscounted_musd"] == pytest.approx(10, rel=REL)
    assert costs.at["fixed_om", "undiscounted_musd"] == pytest.approx(2, rel=REL)


def test_shortfall_is_priced_and_reported(solve):
    # 100 MW at 50 USD/MWh makes 876 GWh; 124 GWh are short at 500 USD/MWh:
    # cost = 43.8 + 124 * 0.5 = 105.8 MUSD; the marginal cost is the penalty.
    run = solve(tiny(projects=[project("only", 100, energy_cost_usd_per_mwh=50)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 1000}]))
    assert run.summary["objective_musd"] == pytest.approx(105.8, rel=REL)
    row = imports(run)
    assert row.energy_shortfall_gwh == pytest.approx(124, rel=REL)
    assert row.marginal_cost_usd_per_mwh == pytest.approx(500, rel=REL)


def test_max_import_limits_what_a_node_absorbs(solve):
    # VN may absorb 50 MW: 438 GWh of the 876 GWh target, the rest short: 438 * 0.5 = 219 MUSD.
    run = solve(tiny(nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN", "max_import_mw": 50}],
                     projects=[project("big", 100)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert imports(run).energy_gwh == pytest.approx(438, rel=REL)
    assert run.summary["objective_musd"] == pytest.approx(219, rel=REL)


def test_tariff_ceiling_excludes_dear_candidates(solve):
    # X: no capex, energy cost 58 -> 876 * 58 / 1000 = 50.808 MUSD. Y: annuity 10, energy cost 52 ->
    # 10 + 45.552 = 55.552. Free choice: X. A ceiling of 55 USD/MWh excludes X, which offers no
    # tariff and so is tested at its break-even (58: no capex, no O&M); Y offers 54: Y is built.
    projects = [project("X", 100, "candidate", energy_cost_usd_per_mwh=58),
                project("Y", 100, "candidate", capex_usd_per_kw=1000, energy_cost_usd_per_mwh=52,
                        tariff_usd_per_mwh=54)]
    target = [{"scope": "VN", "year": 2025, "energy_gwh": 876}]
    free = solve(tiny(projects=projects, targets=target))
    assert set(built(free)) == {("X", 2025)}
    assert free.summary["objective_musd"] == pytest.approx(876 * 58 / 1000, rel=REL)
    capped = solve(tiny(projects=projects, targets=target, limits={"max_tariff_usd_per_mwh": 55}))
    assert set(built(capped)) == {("Y", 2025)}
    assert capped.summary["objective_musd"] == pytest.approx(10 + 876 * 52 / 1000, rel=REL)
    assert capped.summary["excluded_by_tariff"] == ["X"]


def test_tariff_ceiling_per_technology_reads_the_tariff_not_the_energy_cost(solve):
    # Cost view: X (hydro) energy cost 0, no capex: 0 MUSD; Y (coal) annuity 100 MUSD / 10 = 10 MUSD
    # plus energy cost 30 -> 10 + 876 * 30 / 1000 = 36.28 MUSD. X's PPA tariff is 70, Y's 65. Ceilings: hydro 69.5, coal 70.2 -> X is excluded
    # (70 > 69.5) although its energy cost is 0; Y (65 <= 70.2) is built. With the hydro ceiling at 70
    # X stays (not strictly above) and wins at 0 MUSD. A technology without a ceiling is not capped.
    projects = [project("X", 100, "candidate", tariff_usd_per_mwh=70),
                project("Y", 100, "candidate", technology="coal", energy_cost_usd_per_mwh=30, capex_usd_per_kw=1000,
                        tariff_usd_per_mwh=65)]
    target = [{"scope": "VN", "year": 2025, "energy_gwh": 876}]
    capped = solve(tiny(projects=projects, targets=target,
                        limits={"max_tariff_usd_per_mwh": {"hydro": 69.5, "coal": 70.2}}))
    assert set(built(capped)) == {("Y", 2025)}
    assert capped.summary["objective_musd"] == pytest.approx(36.28, rel=REL)
    assert capped.summary["excluded_by_tariff"] == ["X"]
    at_ceiling = solve(tiny(projects=projects, targets=target, limits={"max_tariff_usd_per_mwh": {"hydro": 70}}))
    assert set(built(at_ceiling)) == {("X", 2025)}
    assert at_ceiling.summary["objective_musd"] == pytest.approx(0, abs=1e-9)


def test_import_limit_of_a_whole_country(solve):
    # Two VN nodes, each fed by its own 100 MW plant at 10 USD/MWh over its own line; VN as a whole
    # may absorb 150 MW in any slice. Target 1752 GWh (= 200 MW all year) -> only 150 MW * 8.76 =
    # 1314 GWh can come in: 1314 * 10 / 1000 = 13.14 MUSD + 438 GWh short * 500 = 219 MUSD.
    run = solve(tiny(nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN"},
                            {"id": "VN2", "country": "VN"}],
                     links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 100, "status": "existing"},
                            {"id": "line2", "from": "LA", "to": "VN2", "capacity_mw": 100, "status": "existing"}],
                     projects=[project("a", 100, energy_cost_usd_per_mwh=10),
                               project("b", 100, energy_cost_usd_per_mwh=10)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 1752}],
                     limits={"max_import_mw_by_scope": {"VN": 150}}))
    row = imports(run)
    assert row.energy_gwh == pytest.approx(1314, rel=REL)
    assert row.energy_shortfall_gwh == pytest.approx(438, rel=REL)
    assert run.summary["objective_musd"] == pytest.approx(13.14 + 219, rel=REL)


def test_co2_price_switches_from_coal_to_hydro(solve):
    # Coal 50 USD/MWh, 1 t/MWh; hydro 65 USD/MWh. At 20 USD/t coal costs 70: hydro wins.
    coal = project("coal", 100, technology="coal", energy_cost_usd_per_mwh=50, emissions_t_per_mwh=1.0)
    hydro = project("hydro", 100, energy_cost_usd_per_mwh=65)
    target = [{"scope": "VN", "year": 2025, "energy_gwh": 876}]
    cheap = solve(tiny(projects=[coal, hydro], targets=target))
    assert cheap.summary["objective_musd"] == pytest.approx(876 * 50 / 1000, rel=REL)
    priced = solve(tiny(projects=[coal, hydro], targets=target, limits={"co2_price_usd_per_t": 20}))
    assert priced.summary["objective_musd"] == pytest.approx(876 * 65 / 1000, rel=REL)
    assert priced.tables["costs"].query("view == 'system'").set_index("component").at["co2", "undiscounted_musd"] == pytest.approx(0, abs=1e-9)


def test_build_rate_limit_spreads_a_zone(solve):
    # Up to 100 MW may come online per modelled year; the zone (annuity 0.1 MUSD per MW-yr) must
    # cover 150 MW in 2030: 100 MW can come in 2030 and 50 MW had to come in 2025.
    run = solve(tiny(horizon={"base_year": 2025, "years": [2025, 2030], "discount_rate": 0.0},
                     projects=[project("zone", 500, "candidate", sizing="up_to", capex_usd_per_kw=1000)],
                     targets=[{"scope": "VN", "year": 2030, "energy_gwh": 150 * 8.76}],
                     limits={"max_new_capacity_mw_per_year": 100}))
    assert built(run) == {("zone", 2025): pytest.approx(50), ("zone", 2030): pytest.approx(100)}
    # 2025 stands for 2025-2029 (W = 5 at r = 0): 50 MW * 0.1 * 5 = 25; 150 MW * 0.1 * 1 = 15.
    assert run.summary["objective_musd"] == pytest.approx(40, rel=REL)


def test_capex_budget_defers_a_build(solve):
    # Budget 50 MUSD per year: a 100 MUSD plant cannot be built at all; the target is short.
    run = solve(tiny(projects=[project("big", 100, "candidate", capex_usd_per_kw=1000)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}],
                     limits={"capex_budget_musd_per_year": 50}))
    assert built(run) == {}
    assert imports(run).energy_shortfall_gwh == pytest.approx(438, rel=REL)


def test_bidirectional_link_carries_power_back(solve):
    # Two Lao nodes: a plant at LA2 reaches VN only through LA (link LA->LA2, bidirectional).
    nodes = [{"id": "LA", "country": "LA"}, {"id": "LA2", "country": "LA"}, {"id": "VN", "country": "VN"}]
    links = [{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 1000, "status": "existing"},
             {"id": "lao", "from": "LA", "to": "LA2", "capacity_mw": 1000, "status": "existing",
              "bidirectional": True, "loss_fraction": 0.05}]
    run = solve(tiny(nodes=nodes, links=links, projects=[project("p", 200, node="LA2", energy_cost_usd_per_mwh=10)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    flows = run.tables["flows"]
    reverse = flows[(flows.link == "lao") & (flows.direction == "reverse")].flow_mw.iloc[0]
    assert reverse == pytest.approx(100 / 0.95, rel=REL)
    assert run.summary["objective_musd"] == pytest.approx(876 / 0.95 * 10 / 1000, rel=REL)


def test_lifetime_ends_and_candidate_replaces(solve):
    # An existing plant online since 2016 with a 10-year life retires after 2025: in 2030 the
    # target needs the candidate. Years 2025 and 2030, r = 0, each stands for one year.
    run = solve(tiny(horizon={"base_year": 2025, "years": [2025, 2030], "discount_rate": 0.0},
                     projects=[project("old", 100, online_year=2016),
                               project("cand", 100, "candidate", capex_usd_per_kw=1000)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    cap = run.tables["capacity"]
    assert set(cap[cap.asset == "old"].year) == {2025}
    assert built(run) == {("cand", 2030): 100}
    assert run.summary["objective_musd"] == pytest.approx(10, rel=REL)


def test_conventions_crf_and_weights():
    assert crf(0.0, 20) == pytest.approx(0.05)
    assert crf(0.08, 25) == pytest.approx(0.08 * 1.08 ** 25 / (1.08 ** 25 - 1))
    w = year_weights([2026, 2028, 2030], 2025, 0.08, 2035)
    assert w[2026] == pytest.approx(1.08 ** -1 + 1.08 ** -2)
    assert w[2030] == pytest.approx(sum(1.08 ** -(t - 2025) for t in range(2030, 2036)))
    assert year_weights([2030], 2025, 0.0, None) == {2030: 1.0}


@pytest.mark.parametrize("target_gwh, curtailed", [(438, 0.0), (200, 238.0)])
def test_a_reservoir_is_curtailed_only_below_its_energy_limit(solve, target_gwh, curtailed):
    # 100 MW hydro, availability 1 (876 GWh possible) but 438 GWh of water a year. Delivering all
    # 438 GWh spills nothing (the rest is water it never had); delivering 200 GWh spills 238 GWh.
    run = solve(tiny(projects=[project("dam", 100, energy_cost_usd_per_mwh=10, max_energy_gwh_per_year=438)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": target_gwh}],
                     limits={"max_import_mw_by_scope": {"VN": target_gwh / 8.76}}))
    d = run.tables["dispatch"].iloc[0]
    assert d.energy_gwh == pytest.approx(target_gwh, rel=REL)
    assert d.curtailed_gwh == pytest.approx(curtailed, abs=1e-6)


@pytest.mark.parametrize("method", ["simplex", "ipm"])
def test_lp_method_gives_the_same_optimum(solve, method):
    # The continuous case of test_integer_and_continuous_builds_differ: 5 MUSD whichever LP algorithm.
    run = solve(tiny(options={"build": "continuous", "solver": {"method": method}},
                     projects=[project("cand", 100, "candidate", capex_usd_per_kw=1000)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}]))
    assert run.summary["objective_musd"] == pytest.approx(5.0, rel=REL)
    # long run: one more GWh needs 1/876 of the candidate: 10 MUSD / 876 GWh = 11.416 USD/MWh;
    # short run (the half-built candidate as built, running flat out): only the 500 USD/MWh penalty
    assert imports(run).long_run_marginal_cost_usd_per_mwh == pytest.approx(10_000 / 876, rel=1e-6)
    assert imports(run).marginal_cost_usd_per_mwh == pytest.approx(500, rel=1e-6)


def _partly_built_zone(years=(2025,)):
    # Target 1000 GWh a year. Existing "dear": 100 MW at 80 USD/MWh. Candidate zone (up_to 1000 MW,
    # availability 1): 10 USD/MWh + capex 500 USD/kW over 10 years at 0 % = 50 USD/kW-yr, i.e.
    # 10 + 50 / 8.76 = 15.71 USD/MWh in the long run < 80: the zone is built to 1000 / 8.76 = 114.2 MW
    # and dear stays off. One more MWh: long run 15.71 (more zone); short run, the zone as built
    # running flat out, 80 (dear).
    return tiny(horizon={"base_year": 2025, "years": list(years), "discount_rate": 0.0},
                projects=[project("dear", 100, energy_cost_usd_per_mwh=80),
                          project("zone", 1000, "candidate", sizing="up_to", capex_usd_per_kw=500,
                                  energy_cost_usd_per_mwh=10, earliest_year=years[0], latest_year=years[0])],
                targets=[{"scope": "VN", "year": years[0], "energy_gwh": 1000}])


def test_short_and_long_run_prices_when_a_zone_is_partly_built(solve):
    run = solve(_partly_built_zone())
    assert built(run) == {("zone", 2025): pytest.approx(1000 / 8.76, rel=REL)}
    row = imports(run)
    assert row.long_run_marginal_cost_usd_per_mwh == pytest.approx(10 + 50 / 8.76, rel=1e-6)
    assert row.marginal_cost_usd_per_mwh == pytest.approx(80, rel=1e-6)
    # the node balance sits at the same kink: its dual is somewhere between the two sides
    prices = run.tables["prices"].set_index("node").price_usd_per_mwh
    assert 10 - 1e-6 <= prices["LA"] <= 80 + 1e-6


def test_node_prices_are_the_short_run_cost_of_the_plant_at_the_margin(solve):
    # The zone may add at most 100 MW (876 GWh); dear (80 USD/MWh) makes the other 124 GWh and is
    # at the margin: 80 USD/MWh at both ends of the lossless line, in the short and the long run.
    data = _partly_built_zone()
    data["projects"][1]["capacity_mw"] = 100
    run = solve(data)
    prices = run.tables["prices"].set_index("node").price_usd_per_mwh
    assert prices["LA"] == pytest.approx(80, rel=1e-6) and prices["VN"] == pytest.approx(80, rel=1e-6)
    row = imports(run)
    assert row.marginal_cost_usd_per_mwh == pytest.approx(80, rel=1e-6)
    assert row.long_run_marginal_cost_usd_per_mwh == pytest.approx(80, rel=1e-6)


def test_same_fleet_and_targets_give_the_same_short_run_prices(solve):
    # the zone comes in 2025 only; 2030 has the same fleet and target: the same prices
    run = solve(_partly_built_zone(years=(2025, 2030)))
    t = run.tables["imports"].query("scope == 'VN'").set_index("year")
    assert t.at[2025, "marginal_cost_usd_per_mwh"] == pytest.approx(t.at[2030, "marginal_cost_usd_per_mwh"], rel=1e-6)
    p = run.tables["prices"].pivot_table(index="node", columns="year", values="price_usd_per_mwh")
    assert p[2025].to_numpy() == pytest.approx(p[2030].to_numpy(), rel=1e-6)


def test_no_price_where_nothing_is_online(solve):
    # LA2 has only a candidate plant and a candidate line, neither built: its price is blank
    data = _partly_built_zone()
    data["projects"][1]["capacity_mw"] = 100
    data["nodes"] = data["nodes"] + [{"id": "LA2", "country": "LA"}]
    data["projects"] = data["projects"] + [project("far", 100, "candidate", node="LA2", capex_usd_per_kw=9000)]
    data["links"] = data["links"] + [{"id": "far_line", "from": "LA2", "to": "VN", "capacity_mw": 100,
                                      "status": "candidate", "capex_musd": 500}]
    run = solve(data)
    prices = run.tables["prices"].set_index("node").price_usd_per_mwh
    assert prices["LA2"] != prices["LA2"]  # NaN: blank in the CSV
    assert prices["VN"] == pytest.approx(80, rel=1e-6)
