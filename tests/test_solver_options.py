"""HiGHS settings from the scenario (and so from --set): every method reaches the same optimum,
options HiGHS does not know are bad input."""

from __future__ import annotations

import pytest

from planner.scenario import ScenarioError
from tests.conftest import planner, project, tiny, write

REL = 1e-6


def _lp(**solver) -> dict:
    # merit order: 876 GWh at 50 + 124 GWh at 60 USD/MWh = 51.24 MUSD (continuous, so an LP)
    return tiny(projects=[project("cheap", 100, energy_cost_usd_per_mwh=50),
                          project("dear", 100, energy_cost_usd_per_mwh=60)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 1000}],
                options={**tiny()["options"], "build": "continuous", "solver": {"mip_gap": 0, **solver}})


@pytest.mark.parametrize("solver, rel", [
    ({"method": "simplex", "presolve": False}, REL),
    ({"method": "ipm", "crossover": False, "ipm_optimality_tolerance": 1e-9}, 1e-6),
    ({"method": "pdlp"}, 1e-3),
    ({"highs_options": {"simplex_strategy": 4, "primal_feasibility_tolerance": 1e-8}}, REL),
])
def test_every_method_finds_the_optimum(solve, solver, rel):
    run = solve(_lp(**solver))
    assert run.summary["objective_musd"] == pytest.approx(51.24, rel=rel)
    assert run.tables["imports"].query("scope == 'VN'").iloc[0].marginal_cost_usd_per_mwh == pytest.approx(60, rel=1e-3)


def test_marginal_values_off_leaves_the_prices_blank_and_the_plan_the_same(solve):
    run = solve(_lp(marginal_values=False))
    assert run.summary["objective_musd"] == pytest.approx(51.24, rel=REL)
    vn = run.tables["imports"].query("scope == 'VN'").iloc[0]
    assert vn.energy_gwh == pytest.approx(1000, rel=REL)
    assert vn[["marginal_cost_usd_per_mwh", "long_run_marginal_cost_usd_per_mwh"]].isna().all()
    assert run.tables["prices"].empty


def test_planner_scales_the_simplex_unless_told_otherwise():
    from planner.solve import SolverSettings, make_highs

    assert make_highs(SolverSettings()).getOptionValue("simplex_scale_strategy")[1] == 4
    told = SolverSettings(options={"simplex_scale_strategy": 1})
    assert make_highs(told).getOptionValue("simplex_scale_strategy")[1] == 1


@pytest.mark.parametrize("options, says", [
    ({"no_such_option": 1}, "no such option"),
    ({"presolve": "maybe"}, "refuses the value"),
])
def test_options_highs_does_not_know_are_bad_input(solve, options, says):
    with pytest.raises(ScenarioError) as err:
        solve(_lp(highs_options=options))
    assert says in str(err.value.problems[0]) and "options.solver.highs_options" in str(err.value.problems[0])


def test_solver_settings_from_the_command_line(tmp_path):
    path = write(_lp(), tmp_path)
    done = planner("solve", str(path), "--out", str(tmp_path / "out"), "--json", "--set", "options.solver.method=ipm",
                   "--set", "options.solver.crossover=false")
    assert done.returncode == 0, done.stderr
    bad = planner("solve", str(path), "--out", str(tmp_path / "bad"), "--set", "options.solver.highs_options.nope=1")
    assert bad.returncode == 2 and "nope" in bad.stderr + bad.stdout and not (tmp_path / "bad").exists()
