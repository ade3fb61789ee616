"""benchmarks/independent.py states the same LP as planner: on small generated systems (with
retirements, a committed plant, a build window's end and end_year beside the benchmark's
features) both optima agree to 1e-9 relative."""

from __future__ import annotations

import sys

import pytest

from planner.data import build_model_data
from planner.formulation import build_model
from planner.scenario.schema import Scenario
from planner.solve import SolverSettings, solve_model
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import independent  # noqa: E402  (benchmarks/independent.py)

sys.path.pop(0)


def _independent_objective(sc: Scenario) -> float:
    import highspy

    lp, _nnz = independent.build_lp(independent.read_inputs(sc)).highs_lp()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


@pytest.mark.parametrize("seed", [1, 2])
def test_same_optimum_as_planner(seed):
    data = independent.scenario(16, 6, 8, "continuous", seed=seed)
    data["horizon"]["end_year"] = 2035
    data["technologies"]["wind"]["lifetime_years"] = 3  # retires inside the horizon
    data["projects"][0].update(online_year=2024, lifetime_years=4)  # an existing plant retires in 2028
    data["projects"].append({"id": "late", "technology": "hydro", "node": "LA2", "status": "committed",
                             "online_year": 2028, "capacity_mw": 200.0, "capex_usd_per_kw": 2000.0,
                             "fixed_om_usd_per_kw_year": 30.0, "energy_cost_usd_per_mwh": 10.0})
    data["projects"][5].update(earliest_year=2026, latest_year=2028)
    data["links"][-1]["lifetime_years"] = 2
    sc = Scenario.model_validate(data)
    planner = solve_model(build_model(build_model_data(sc)), SolverSettings(), want_duals=False)
    assert planner.status == "optimal"
    assert _independent_objective(sc) == pytest.approx(planner.objective_musd, rel=1e-9)
