"""Storage and chronology: energy moved from the hours it is made to the hours it is needed,
solved by hand."""

from __future__ import annotations

import pytest

from planner.scenario import ScenarioError, load_scenario
from tests.checks import assert_balances_close, assert_costs_add_up
from tests.conftest import project, tiny, write

REL = 1e-6

DAY_NIGHT = {"slices": [
    {"id": "day", "hours": 4380, "season": "year", "period": "d", "duration_h": 12},
    {"id": "night", "hours": 4380, "season": "year", "period": "d", "duration_h": 12, "peak": True}]}


def _case(with_store: bool) -> dict:
    # Solar 100 MW makes 100 MW by day, nothing at night. The firm target asks 50 MW at night (the
    # peak), 300 USD/kW-yr short. A store of 100 MW / 4 h (400 MWh) at 80 % round trip can give at
    # most 400 MWh over the 12-hour night: 33.33 MW; it charges 400 / 0.8 = 500 MWh by day: 41.67 MW.
    # Short 16.67 MW x 300 USD/kW-yr = 5.0 MUSD (15.0 without the store); by day 58.33 MW is exported.
    projects = [project("pv", 100, technology="solar", availability={"day": 1.0, "night": 0.0})]
    if with_store:
        projects.append(project("store", 100, technology="battery", storage_hours=4, round_trip_efficiency=0.8))
    return tiny(time=DAY_NIGHT, projects=projects,
                technologies={"solar": {"lifetime_years": 25}, "battery": {"lifetime_years": 15}},
                targets=[{"scope": "VN", "year": 2025, "capacity_mw": 50}])


def test_a_store_moves_day_energy_into_the_night_peak(solve):
    bare = solve(_case(False))
    assert bare.summary["objective_musd"] == pytest.approx(15.0, rel=REL)
    run = solve(_case(True))
    assert run.summary["objective_musd"] == pytest.approx(5.0, rel=REL)
    st = run.tables["storage"].set_index("slice")
    assert st.at["night", "discharge_mw"] == pytest.approx(400 / 12, rel=REL)
    assert st.at["day", "charge_mw"] == pytest.approx(500 / 12, rel=REL)
    assert st.at["day", "state_of_charge_mwh"] == pytest.approx(400, rel=REL)  # full at dusk
    assert st.at["night", "state_of_charge_mwh"] == pytest.approx(0, abs=1e-6)  # empty at dawn
    imports = run.tables["imports"].set_index("scope").loc["VN"]
    assert imports.capacity_shortfall_mw == pytest.approx(50 - 400 / 12, rel=REL)
    # energy: 58.33 MW x 4380 h + 33.33 MW x 4380 h
    assert imports.energy_gwh == pytest.approx((100 - 500 / 12 + 400 / 12) * 4.38, rel=REL)
    assert_balances_close(run)
    assert_costs_add_up(run)


def test_without_a_period_a_slice_is_its_own_cycle(solve):
    # The same slices with no period: a store cannot carry energy from one slice to another.
    data = _case(True)
    data["time"] = {"slices": [{k: v for k, v in s.items() if k not in ("period", "duration_h")}
                               for s in DAY_NIGHT["slices"]]}
    run = solve(data)
    assert run.summary["objective_musd"] == pytest.approx(15.0, rel=REL)


def test_slices_of_a_period_must_occur_equally_often(tmp_path):
    data = _case(True)
    data["time"] = {"slices": [{**DAY_NIGHT["slices"][0], "duration_h": 10}, DAY_NIGHT["slices"][1]]}
    with pytest.raises(ScenarioError) as err:
        from planner.data import build_model_data
        build_model_data(load_scenario(write(data, tmp_path)).scenario)
    assert "same number of occurrences" in "\n".join(map(str, err.value.problems))
