"""Tariffs, payers and the value of imports (SPEC §3.2), on cases solved by hand.

``tiny()``: one 8,760-hour slice, one year 2025, no discounting (W = 1, CRF = 1/lifetime), hydro
lifetime 10 years, one lossless existing Lao -> VN link.
"""

from __future__ import annotations

import pytest

from planner.scenario import ScenarioError, load_scenario
from tests.conftest import project, tiny, write

REL = 1e-6


def _crf(r: float, n: int) -> float:  # written out here, not planner's
    g = (1 + r) ** n
    return r * g / (g - 1)


def tariff_row(run, p):
    t = run.tables["tariffs"]
    return t[t.project == p].iloc[0]


def energy(run, p):
    d = run.tables["dispatch"]
    return d[d.project == p].energy_gwh.sum()


def test_break_even_tariff_by_hand_and_the_ceiling_tests_it(solve):
    # 100 MW at availability 0.5: E = 8760 x 0.5 x 100 / 1000 = 438 GWh a year. Capex 100 MUSD at
    # 10 % over a 20-year PPA: 100 x CRF(0.10, 20) = 11.746 MUSD; O&M 20 USD/kW = 2 MUSD; variable
    # 5 USD/MWh: break-even = 13.746 / 438 x 1000 + 5 = 36.38 USD/MWh.
    expected = (100 * _crf(0.10, 20) + 2.0) / 438 * 1000 + 5
    assert expected == pytest.approx(36.3835, abs=1e-4)
    a = project("A", 100, "candidate", capex_usd_per_kw=1000, fixed_om_usd_per_kw_year=20,
                energy_cost_usd_per_mwh=5, availability={"all": 0.5})
    data = tiny(projects=[a], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}],
                options={**tiny()["options"], "developer_wacc": 0.10, "ppa_years": 20})
    admitted = solve({**data, "limits": {"max_tariff_usd_per_mwh": 37}})
    row = tariff_row(admitted, "A")
    assert row.break_even_tariff_usd_per_mwh == pytest.approx(expected, rel=REL)
    assert row.expected_energy_gwh == pytest.approx(438, rel=REL)
    assert row.headroom_usd_per_mwh == pytest.approx(37 - expected, rel=REL)
    assert row.tariff_usd_per_mwh != row.tariff_usd_per_mwh  # no offer: blank
    assert row.tested_tariff_usd_per_mwh == pytest.approx(expected, rel=REL)
    assert row.build_year == 2025 and not row.excluded_by_ceiling
    excluded = solve({**data, "limits": {"max_tariff_usd_per_mwh": 36}})
    assert excluded.summary["excluded_by_tariff"] == ["A"]
    assert tariff_row(excluded, "A").excluded_by_ceiling
    # an offer below the ceiling is what is tested, whatever the break-even
    offered = solve({**data, "limits": {"max_tariff_usd_per_mwh": 36},
                     "projects": [{**a, "tariff_usd_per_mwh": 35}]})
    assert offered.summary["excluded_by_tariff"] == []


def test_a_dedicated_connection_is_in_the_break_even(solve):
    # The developer carries the share of its line the importer does not pay: across the border
    # 0.5 by default, so 0.5 x 50 MUSD x CRF(0.10, 20) = 2.9365 MUSD a year, 6.70 USD/MWh on 438 GWh.
    a = project("A", 100, "candidate", capex_usd_per_kw=1000, availability={"all": 0.5}, connection="line")
    line = {"id": "line", "from": "LA", "to": "VN", "capacity_mw": 10000, "status": "existing", "capex_musd": 50}
    run = solve(tiny(projects=[a], links=[line], options={**tiny()["options"], "ppa_years": 20}))
    plain = (100 * _crf(0.10, 20)) / 438 * 1000
    with_line = plain + 0.5 * 50 * _crf(0.10, 20) / 438 * 1000
    assert tariff_row(run, "A").break_even_tariff_usd_per_mwh == pytest.approx(with_line, rel=REL)
    owned = solve(tiny(projects=[a], links=[{**line, "importer_share": 0.0}],
                       options={**tiny()["options"], "ppa_years": 20}))
    assert tariff_row(owned, "A").break_even_tariff_usd_per_mwh == pytest.approx(
        plain + 50 * _crf(0.10, 20) / 438 * 1000, rel=REL)


def _two_offers(perspective: str) -> dict:
    # A: capex 100 MUSD (annuity 10 a year over 10 years at 0 %), offers 60 USD/MWh.
    # B: capex 150 MUSD (annuity 15), offers 50. Each makes 438 GWh; the target is 438 GWh.
    a = project("A", 100, "candidate", capex_usd_per_kw=1000, availability={"all": 0.5}, tariff_usd_per_mwh=60)
    b = project("B", 100, "candidate", capex_usd_per_kw=1500, availability={"all": 0.5}, tariff_usd_per_mwh=50)
    return tiny(projects=[a, b], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}],
                options={**tiny()["options"], "perspective": perspective})


def test_the_importer_picks_a_different_plan_from_the_system(solve):
    # System: A (annuity 10) beats B (15): objective 10; the importer would pay 60 x 438 / 1000 =
    # 26.28 for it, a rent of 16.28. Importer: B (50 x 438 / 1000 = 21.9) beats A (26.28):
    # objective 21.9, resource cost 15, rent 6.9.
    system = solve(_two_offers("system"))
    assert system.summary["objective_musd"] == pytest.approx(10, rel=REL)
    assert energy(system, "A") == pytest.approx(438, rel=REL) and energy(system, "B") == pytest.approx(0, abs=1e-6)
    assert system.summary["importer_cost_musd"] == pytest.approx(26.28, rel=REL)
    assert system.summary["rent_musd"] == pytest.approx(16.28, rel=REL)
    importer = solve(_two_offers("importer"))
    assert importer.summary["perspective"] == "importer"
    assert importer.summary["objective_musd"] == pytest.approx(21.9, rel=REL)
    assert energy(importer, "B") == pytest.approx(438, rel=REL) and energy(importer, "A") == pytest.approx(0, abs=1e-6)
    assert importer.summary["system_cost_musd"] == pytest.approx(15, rel=REL)
    assert importer.summary["rent_musd"] == pytest.approx(6.9, rel=REL)
    pay = importer.tables["payments"].set_index("project")
    assert pay.at["B", "payment_musd"] == pytest.approx(21.9, rel=REL)
    assert pay.at["B", "resource_cost_musd"] == pytest.approx(15, rel=REL)


def test_take_or_pay_makes_prepaid_energy_free_at_the_margin(solve):
    # P (existing, 438 GWh possible, 50 USD/MWh) and Q (existing, 40 USD/MWh); the target is 219 GWh.
    # Without take-or-pay the importer buys from Q: 219 x 40 / 1000 = 8.76. With P's take-or-pay at
    # 100 % it pays P 50 x 438 / 1000 = 21.9 anyway, and takes the 219 GWh from P (free at the margin).
    def case(share):
        p = project("P", 100, availability={"all": 0.5}, tariff_usd_per_mwh=50, take_or_pay_share=share)
        q = project("Q", 100, availability={"all": 0.5}, tariff_usd_per_mwh=40)
        return tiny(projects=[p, q], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 219}],
                    options={**tiny()["options"], "perspective": "importer"})

    free = solve(case(0.0))
    assert free.summary["objective_musd"] == pytest.approx(8.76, rel=REL)
    assert energy(free, "Q") == pytest.approx(219, rel=REL)
    bound = solve(case(1.0))
    assert bound.summary["objective_musd"] == pytest.approx(21.9, rel=REL)
    assert energy(bound, "Q") == pytest.approx(0, abs=1e-6)
    pay = bound.tables["payments"].set_index("project")
    assert pay.at["P", "paid_gwh"] == pytest.approx(438, rel=REL)
    assert pay.at["P", "payment_musd"] == pytest.approx(21.9, rel=REL)


def test_imports_worth_more_than_they_cost_are_made_beyond_any_target(solve):
    # No target. A plant costing 30 USD/MWh: at an import value of 50 it runs flat out, 438 GWh,
    # objective (30 - 50) x 438 / 1000 = -8.76; at 20 it stays off (objective 0).
    plant = project("P", 100, availability={"all": 0.5}, energy_cost_usd_per_mwh=30)
    worth = solve(tiny(projects=[plant], options={**tiny()["options"], "import_value_usd_per_mwh": 50}))
    assert worth.summary["objective_musd"] == pytest.approx(-8.76, rel=REL)
    assert energy(worth, "P") == pytest.approx(438, rel=REL)
    costs = worth.tables["costs"].query("view == 'system'").set_index("component").undiscounted_musd
    assert costs["import_value"] == pytest.approx(-21.9, rel=REL)
    cheap = solve(tiny(projects=[plant], options={**tiny()["options"], "import_value_usd_per_mwh": {"year": 20}}))
    assert cheap.summary["objective_musd"] == pytest.approx(0, abs=1e-9)
    assert energy(cheap, "P") == pytest.approx(0, abs=1e-6)


def test_flip_tariff_is_where_the_importer_changes_its_mind(solve):
    # Importer's view: A (no capex) delivers the 438 GWh target; the alternative is shortfall at
    # 80 USD/MWh. The importer buys from A below 80 USD/MWh and not above: flip tariff 80 (to 0.1).
    a = project("A", 100, "candidate", availability={"all": 0.5})
    data = tiny(projects=[a], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}],
                options={**tiny()["options"], "shortfall_penalty_usd_per_mwh": 80, "flip_tariffs": True})
    run = solve(data)
    flip = tariff_row(run, "A").flip_tariff_usd_per_mwh
    assert 79.9 <= flip <= 80.0
    # checked by solving the importer's plan just below and just above it
    importer = {**data, "options": {**data["options"], "perspective": "importer", "flip_tariffs": False}}
    below = solve(importer, sets=[f"projects.A.tariff_usd_per_mwh={flip}"])
    above = solve(importer, sets=[f"projects.A.tariff_usd_per_mwh={flip + 0.1}"])
    assert energy(below, "A") == pytest.approx(438, rel=REL)
    assert energy(above, "A") < 1e-3 * 438  # (the resource-cost stage may take a sliver within 1e-9 of the cost)


def test_flip_trials_start_from_the_last_plan(tmp_path, monkeypatch):
    # The flip search of the test above, run directly: every trial after the first is a MIP started
    # from the last trial's plan (solve.run_from, every column); the flip is still 80 (to 0.1).
    import planner.solve as solve_module
    from planner.flip import flip_job

    starts = []
    run_from = solve_module.run_from

    def spy(h, columns, values, user_options={}):
        starts.append(len(columns))
        run_from(h, columns, values, user_options)

    monkeypatch.setattr(solve_module, "run_from", spy)
    a = project("A", 100, "candidate", availability={"all": 0.5})
    data = tiny(projects=[a], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}],
                options={**tiny()["options"], "shortfall_penalty_usd_per_mwh": 80})
    scenario = load_scenario(write(data, tmp_path)).scenario
    result = flip_job(scenario, "A", 50.0)
    assert 79.9 <= result.flip_tariff_usd_per_mwh <= 80.0
    assert len(starts) == result.solves - 1 and len(set(starts)) == 1 and starts[0] > 2


@pytest.mark.parametrize("change, where, says", [
    ({"options": {"developer_wacc": 8}}, "options.developer_wacc", "percentage"),
    ({"options": {"perspective": "utility"}}, "options.perspective", "system"),
    ({"options": {"import_value_usd_per_mwh": {"wet": 50}}}, "options.import_value_usd_per_mwh", "season"),
    ({"projects": [project("A", 100, connection="lien")]}, "projects[A].connection", "did you mean 'line'"),
    ({"links": [{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 100, "status": "existing",
                 "importer_share": 50}]}, "importer_share", "less than or equal to 1"),
])
def test_bad_tariff_fields_are_named(tmp_path, change, where, says):
    data = tiny(projects=[project("A", 100)])
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(data, tmp_path))
    text = "\n".join(map(str, err.value.problems))
    assert where in text and says in text


def test_import_value_must_cover_every_slice(tmp_path):
    data = tiny(projects=[project("A", 100)],
                time={"slices": [{"id": "day", "hours": 4380, "season": "wet"},
                                 {"id": "night", "hours": 4380, "season": "dry", "peak": True}]},
                options={**tiny()["options"], "import_value_usd_per_mwh": {"wet": 50}})
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(data, tmp_path))
    assert "no value for slice night" in "\n".join(map(str, err.value.problems))
