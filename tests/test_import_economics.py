"""Known answers for the economics of issue 16 (SPEC §3.3): Vietnam's value of imports by region,
signed contracts, the lasting marginal cost and the firm MW rule.

Unless a test says otherwise: tiny() (one 8760-hour slice, year 2025 = base year, rate 0, so W = 1
and CRF = 1/lifetime), working beside each test.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from planner import finance
from tests.checks import assert_all
from tests.conftest import planner, project, tiny, write

REL = 1e-6


def _two_regions(**changes):
    """Two Vietnamese nodes in two regions, each reached from its own Lao node by its own line."""
    return tiny(
        options={"solver": {"mip_gap": 0}},
        nodes=[{"id": "LA_A", "country": "LA"}, {"id": "LA_B", "country": "LA"},
               {"id": "VN_A", "country": "VN", "region": "North"},
               {"id": "VN_B", "country": "VN", "region": "Central"}],
        links=[{"id": "a", "from": "LA_A", "to": "VN_A", "capacity_mw": 1000, "status": "existing"},
               {"id": "b", "from": "LA_B", "to": "VN_B", "capacity_mw": 1000, "status": "existing"}],
        projects=[project("pa", 100, node="LA_A", energy_cost_usd_per_mwh=0),
                  project("pb", 100, node="LA_B", energy_cost_usd_per_mwh=0)],
        import_value=[{"node": "North", "value_usd_per_mwh": 100}, {"node": "Central", "value_usd_per_mwh": 50}],
        **changes)


def test_an_import_valued_lower_is_displaced_by_one_valued_higher(solve):
    # Vietnam absorbs at most 100 MW (limit on the country). North's MWh is worth 100, Central's 50:
    # pa's 100 MW go North, pb runs at 0. Objective = -100 MW x 8760 h x 100 USD/MWh / 1e6 = -87.6 MUSD.
    run = solve(_two_regions(limits={"max_import_mw_by_scope": {"VN": 100}}))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-87.6, rel=REL)
    gen = run.tables["dispatch"].set_index("project").generation_mw
    assert gen["pa"] == pytest.approx(100) and gen.get("pb", 0.0) == pytest.approx(0, abs=1e-6)


def test_a_region_absorbs_only_what_its_limit_allows(solve):
    # The North region takes at most 60 MW: 60 MW there at 100, the rest of the country's 100 MW
    # (40) in Central at 50: -(60 x 100 + 40 x 50) x 8760 / 1e6 = -70.08 MUSD.
    run = solve(_two_regions(limits={"max_import_mw_by_scope": {"VN": 100, "North": 60}}))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-70.08, rel=REL)
    imports = run.tables["imports"].set_index("scope")
    assert imports.at["North", "energy_gwh"] == pytest.approx(60 * 8.76, rel=REL)
    assert imports.at["North", "import_value_usd_per_mwh"] == pytest.approx(100)


def _must_take_case(contract: str):
    # The importer's view. m (tariff 80) and c (tariff 40) can each fill the 100 MW line; imports
    # are worth 100. Without a contract the importer buys c: 100 x 8.76 x 40 = 35.04 MUSD, less
    # 87.6 of value = -52.56. With m must-take it pays m's 876 GWh whatever it takes (70.08), so it
    # takes m and leaves c: 70.08 - 87.6 = -17.52.
    return tiny(options={"perspective": "importer", "solver": {"mip_gap": 0}},
                links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 100, "status": "existing"}],
                projects=[project("m", 100, tariff_usd_per_mwh=80, contract=contract),
                          project("c", 100, tariff_usd_per_mwh=40)],
                import_value=[{"value_usd_per_mwh": 100}])


def test_without_a_contract_the_importer_buys_the_cheaper_plant(solve):
    run = solve(_must_take_case("none"))
    assert run.result.objective_musd == pytest.approx(-52.56, rel=REL)
    gen = run.tables["dispatch"].set_index("project").generation_mw
    assert gen["c"] == pytest.approx(100)


def test_a_must_take_plant_keeps_its_energy_in_the_importer_view(solve):
    run = solve(_must_take_case("must_take"))
    assert_all(run)
    assert run.result.objective_musd == pytest.approx(-17.52, rel=REL)
    gen = run.tables["dispatch"].set_index("project").generation_mw
    assert gen["m"] == pytest.approx(100) and gen.get("c", 0.0) == pytest.approx(0, abs=1e-6)
    pay = run.tables["payments"].set_index("project")
    assert pay.at["m", "paid_gwh"] == pytest.approx(876) and pay.at["m", "curtailed_paid_gwh"] == pytest.approx(0)


def test_a_must_take_plant_the_grid_cannot_carry_is_paid_and_reported(solve):
    # The line carries 50 MW: m delivers 438 GWh, and the importer still pays 876 GWh x 80 = 70.08
    # MUSD; 438 GWh paid and not delivered (curtailed_paid_gwh), in every view.
    case = _must_take_case("must_take")
    case["links"][0]["capacity_mw"] = 50
    case["options"]["perspective"] = "system"
    run = solve(case)
    pay = run.tables["payments"].set_index("project")
    assert pay.at["m", "payment_musd"] == pytest.approx(70.08, rel=REL)
    assert pay.at["m", "curtailed_paid_gwh"] + pay.at["m", "energy_gwh"] == pytest.approx(876, rel=REL)


def test_escalated_tariff_is_paid_by_year(solve):
    # 3 %/year from 2024: the 2025 tariff is 80 x 1.03 = 82.4; 100 MW all year: 876 GWh x 82.4 = 72.1824 MUSD.
    case = _must_take_case("none")
    case["projects"] = [project("m", 100, tariff_usd_per_mwh=80, tariff_escalation_per_year=0.03,
                                tariff_base_year=2024)]
    run = solve(case)
    pay = run.tables["payments"].set_index("project")
    assert pay.at["m", "tariff_usd_per_mwh"] == pytest.approx(82.4)
    assert pay.at["m", "payment_musd"] == pytest.approx(72.1824, rel=REL)


def test_lasting_marginal_cost_against_the_one_year_pulse(solve):
    # Years 2025 and 2026 (rate 0, W = 1 each). Only a zone (up to 1000 MW, 1000 USD/kW, 10 years:
    # an annuity of 100,000 USD per MW-year, 8760 MWh per MW-year: 11.4155 USD/MWh) can deliver,
    # and imports are worth nothing, so nothing is built. One more MWh:
    # - 2026 alone (long run): build in 2026, one year's annuity for one year's MWh: 11.4155;
    # - 2025 alone: built in 2025 it stays online (and paid) in 2026 too: 2 x 11.4155 = 22.831;
    # - lasting from 2025: two years' annuity for two years' MWh: 11.4155; from 2026: 11.4155;
    # - short run (the fleet as planned: no zone): nothing more can be delivered (blank).
    case = tiny(horizon={"base_year": 2025, "years": [2025, 2026], "discount_rate": 0.0},
                projects=[project("z", 1000, status="candidate", sizing="up_to", capex_usd_per_kw=1000,
                                  energy_cost_usd_per_mwh=0)],
                import_value=[{"value_usd_per_mwh": 0}])
    run = solve(case)
    imports = run.tables["imports"].set_index(["scope", "year"])
    per_mwh = 100_000 / 8760
    assert imports.at[("VN", 2026), "long_run_marginal_cost_usd_per_mwh"] == pytest.approx(per_mwh, rel=1e-6)
    assert imports.at[("VN", 2025), "long_run_marginal_cost_usd_per_mwh"] == pytest.approx(2 * per_mwh, rel=1e-6)
    assert imports.at[("VN", 2025), "lasting_marginal_cost_usd_per_mwh"] == pytest.approx(per_mwh, rel=1e-6)
    assert imports.at[("VN", 2026), "lasting_marginal_cost_usd_per_mwh"] == pytest.approx(per_mwh, rel=1e-6)
    assert math.isnan(imports.at[("VN", 2025), "marginal_cost_usd_per_mwh"])


def test_firm_mw_is_the_plan_capability_not_one_dispatch(solve):
    # 100 MW run-of-river, 0.9 wet / 0.3 dry, a peak slice in each season; imports worth nothing
    # (so any dispatch is as cheap as any other): firm_mw is what the plan can deliver in both
    # peaks at once, min(90, 30) = 30 MW, whatever the solver dispatched.
    time = {"slices": [{"id": "wet_day", "hours": 3000, "season": "wet"},
                       {"id": "wet_peak", "hours": 1380, "season": "wet", "peak": True},
                       {"id": "dry_day", "hours": 3000, "season": "dry"},
                       {"id": "dry_peak", "hours": 1380, "season": "dry", "peak": True}]}
    run = solve(tiny(time=time, projects=[project("h", 100, availability={"wet": 0.9, "dry": 0.3},
                                                  energy_cost_usd_per_mwh=0)],
                     import_value=[{"value_usd_per_mwh": 0}]))
    imports = run.tables["imports"].set_index("scope")
    assert imports.at["VN", "firm_mw"] == pytest.approx(30, rel=1e-6)


@pytest.fixture(scope="module")
def base_imports():
    """imports.csv of the shipped base case at the default method, solved once for both methods."""
    from planner.run import run_scenario

    return run_scenario("scenarios/base/base.yaml").tables["imports"]


@pytest.mark.parametrize("method", ["simplex", "ipm"])
def test_firm_mw_is_the_same_from_two_solver_methods(base_imports, method):
    from planner.run import run_scenario

    other = run_scenario("scenarios/base/base.yaml", (f"options.solver.method={method}",)).tables["imports"]
    assert list(base_imports.firm_mw.round(3)) == list(other.firm_mw.round(3))


def test_break_even_with_interest_during_construction_and_royalties():
    # IDC over 4 years at 8 %: (1.08^0.5 + 1.08^1.5 + 1.08^2.5 + 1.08^3.5) / 4 = 1.170722
    assert finance.idc_factor(0.08, 4) == pytest.approx(1.170722, rel=1e-6)
    assert finance.idc_factor(0.08, 0) == 1.0
    # 100 MUSD at CRF(0.08, 25) = 0.093679 + 2 MUSD O&M on 400 GWh: 28.42 USD/MWh + 1 of energy cost;
    # a 10 % royalty on revenue: / 0.9
    plain = finance.break_even_tariff(100, 2, 400, 1, 0.08, 25)
    assert plain == pytest.approx((100 * finance.crf(0.08, 25) + 2) / 400 * 1000 + 1)
    assert finance.break_even_tariff(100, 2, 400, 1, 0.08, 25, royalty_share=0.1) == pytest.approx(plain / 0.9)


def test_import_values_must_cover_every_node_slice_and_year(tmp_path):
    case = _two_regions()
    case["import_value"] = [{"node": "North", "value_usd_per_mwh": 100}]
    res = planner("validate", write(case, tmp_path))
    assert res.returncode == 2 and "no value for VN_B 2025 all" in res.stdout + res.stderr
    case["import_value"] = [{"node": "Nowhere", "value_usd_per_mwh": 1}]
    res = planner("validate", write(case, tmp_path))
    assert res.returncode == 2 and "import_value" in res.stdout + res.stderr and "Nowhere" in res.stdout + res.stderr
    case = _two_regions()
    case["options"]["import_value_usd_per_mwh"] = 10
    res = planner("validate", write(case, tmp_path))
    assert res.returncode == 2 and "not both" in res.stdout + res.stderr


def test_with_import_values_a_shortfall_is_a_volume_not_a_price(solve):
    # A 500 MW contracted target and a 100 MW plant: 400 MW short, reported, and with no penalty set
    # the objective is the value alone: -100 x 8.76 x 100 = -87.6 MUSD.
    case = _must_take_case("none")
    case["options"]["perspective"] = "system"
    case["projects"] = [project("m", 100, energy_cost_usd_per_mwh=0)]
    case["targets"] = [{"scope": "VN", "year": 2025, "contracted_mw": 500}]
    run = solve(case)
    assert run.result.objective_musd == pytest.approx(-87.6, rel=REL)
    row = run.tables["imports"].set_index("scope").loc["VN"]
    assert row.contracted_shortfall_mw == pytest.approx(400)


def _generated(tmp_path, projects: int, years: int, slices: int):
    """benchmarks/run.py's generated system (bench60 is 60 projects, 8 years, 48 slices), continuous."""
    import sys

    import yaml

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from run import scenario

    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump(scenario(projects, years, slices, "continuous")))
    return path


def test_import_cost_questions_start_from_the_plans_basis_and_answer_the_same(tmp_path, monkeypatch):
    """Each added-import question is a re-solve from the plan's basis (measures._undo puts it back
    when HiGHS drops it on deleting a question's rows): a few hundred simplex iterations, not a
    fresh solve's; and the answers are those of questions started cold (an LP's optimal values)."""
    from planner import measures
    from planner.run import run_scenario

    path = _generated(tmp_path, 30, 8, 24)
    iterations: list[int] = []
    real = measures.added_import_cost

    def counting(h, compiled, q, lasting, run):
        def counted(hh):
            run(hh)
            iterations.append(hh.getInfo().simplex_iteration_count)
        return real(h, compiled, q, lasting, counted)

    monkeypatch.setattr(measures, "added_import_cost", counting)
    warm = run_scenario(path)
    warm_iterations, iterations[:] = iterations[1:], []  # the first question follows the plan's own solve
    assert len(warm_iterations) >= 10
    monkeypatch.setattr(measures, "_undo", lambda h, basis: h.clearSolver())  # every question cold
    cold = run_scenario(path)
    cold_iterations = sorted(iterations[1:])
    # from the basis a question takes a few pivots (0-8 here); cold, a whole solve (5,700-6,800 here)
    assert max(warm_iterations) < 0.2 * cold_iterations[len(cold_iterations) // 2], (warm_iterations, cold_iterations)
    cols = ["marginal_cost_usd_per_mwh", "long_run_marginal_cost_usd_per_mwh", "lasting_marginal_cost_usd_per_mwh"]
    a, b = warm.tables["imports"][cols], cold.tables["imports"][cols]
    assert a.notna().sum().sum() > 10
    assert ((a - b).abs() <= 1e-6 * (1 + b.abs())).where(a.notna(), True).all().all()


def test_import_costs_above_the_column_limit_are_left_blank_and_said(monkeypatch):
    from planner import measures
    from planner.run import run_scenario

    monkeypatch.setattr(measures, "IMPORT_COST_MAX_COLUMNS", 10)
    run = run_scenario("scenarios/example/example.yaml")
    assert any("were not computed" in w and "import_costs: true" in w for w in run.result.warnings)
    assert run.tables["imports"]["lasting_marginal_cost_usd_per_mwh"].isna().all()
    asked = run_scenario("scenarios/example/example.yaml", ("options.solver.import_costs=true",))
    assert asked.tables["imports"]["lasting_marginal_cost_usd_per_mwh"].notna().any()
