"""Progressive hedging on mpi-sppy (SPEC §3.4, ``uncertainty.method: progressive_hedging``).

The known answer is tests/test_uncertainty.py's lumpy case (worked by hand there): wet (p 0.5,
water x 1.0) and dry (p 0.5, x 0.5); each future alone builds nothing (wet, 0) or Z 50 MW (dry, 30),
so PH's iteration 0 (the trivial bound) is 0.5 x 0 + 0.5 x 30 = 15; the one plan for both is L
(E = 0.5 x 1 + 0.5 x 44.8 = 22.9), which neither future builds on its own. PH must find that plan
with integer builds (a heuristic there), and its bounds must bracket 22.9. The extensive form gives
the same plan and cost (test_uncertainty), so here PH's answer is compared with the number by hand.
The tests that run PH skip when mpi-sppy is absent (the ph extra); the bad-input tests do not.
"""

from __future__ import annotations

import json
import sys

import pytest

from planner.run import run_scenario
from planner.scenario import ScenarioError
from tests.conftest import planner, write
from tests.test_uncertainty import REL, built, futures, system

LUMPY = futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5))


def ph_case(**ph) -> dict:
    return system(uncertainty={**LUMPY, "method": "progressive_hedging", **({"ph": ph} if ph else {})})


def needs_ph():
    pytest.importorskip("mpi4py")
    pytest.importorskip("mpisppy.opt.ph")


@pytest.fixture(scope="module")
def extensive(tmp_path_factory):
    """The same case by the extensive form: its builds and expected cost."""
    run = run_scenario(write(system(uncertainty=LUMPY), tmp_path_factory.mktemp("ef")))
    assert run.summary["status"] == "optimal"
    return built(run.tables), run.summary["expected_cost_musd"]


def check_same_as_extensive(s: dict, builds: dict, extensive) -> None:
    """PH's plan is the extensive form's, and the expected costs agree within PH's reported gap."""
    ef_builds, ef_cost = extensive
    assert builds == ef_builds
    assert abs(s["expected_cost_musd"] - ef_cost) <= s["ph_gap"] * abs(s["ph_upper_bound_musd"]) + 1e-6
    assert s["ph_lower_bound_musd"] <= ef_cost + 1e-6  # a lower bound on the optimum


def check_known_answer(s: dict, ranks: int) -> None:
    assert s["status"] == "optimal", s.get("message")
    assert s["method"] == "progressive_hedging" and s["ph_ranks"] == ranks
    assert s["ph_converged"] is True and s["ph_iterations"] >= 1
    assert s["expected_cost_musd"] == pytest.approx(22.9, rel=REL)
    assert s["ph_upper_bound_musd"] == pytest.approx(22.9, rel=REL)
    assert s["ph_trivial_bound_musd"] == pytest.approx(15.0, rel=REL)
    # the bounds bracket the optimum, and the gap is what they say
    assert s["ph_lower_bound_musd"] <= 22.9 + 1e-6
    assert s["ph_gap"] == pytest.approx((s["ph_upper_bound_musd"] - s["ph_lower_bound_musd"]) / 22.9, abs=1e-12)
    # the Lagrangian bound with PH's last weights closes the gap on this case (measured: 22.9)
    assert s["ph_lagrangian_bound_musd"] == pytest.approx(22.9, rel=1e-6)
    assert s["evpi_musd"] == pytest.approx(7.9, rel=REL)


def test_ph_on_one_rank_finds_the_lumpy_plan_and_brackets_it(tmp_path, extensive):
    needs_ph()
    run = run_scenario(write(ph_case(), tmp_path))
    check_known_answer(run.summary, 1)
    assert built(run.tables) == {"L": 100}
    check_same_as_extensive(run.summary, built(run.tables), extensive)
    h = run.tables["hedges"].set_index("asset")
    assert h.at["L", "class"] == "hedge"
    costs = run.tables["scenarios"].set_index("scenario").cost_musd.to_dict()
    assert costs == {"wet": pytest.approx(1.0, rel=REL), "dry": pytest.approx(44.8, rel=REL)}


def test_ph_on_two_ranks_through_the_cli(tmp_path, extensive):
    """Two MPI ranks (mpiexec in a subprocess, one future each): the same plan, bounds, console line."""
    needs_ph()
    from planner.stochastic.ph import mpiexec

    if mpiexec() is None:
        pytest.skip("no mpiexec")
    out = tmp_path / "out"
    proc = planner("solve", write(ph_case(ranks=2), tmp_path), "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = json.loads((out / "summary.json").read_text())
    check_known_answer(s, 2)
    assert "progressive hedging on 2 rank(s)" in proc.stdout
    assert "Initializing mpi-sppy" not in proc.stdout  # mpi-sppy's chatter stays out of the console
    import pandas as pd

    builds = pd.read_csv(out / "builds.csv")
    check_same_as_extensive(s, built({"builds": builds}), extensive)


def test_a_plan_travels_from_the_ranks_intact():
    """Rank 0's JSON gives back the plan's keys as the model's (name, (asset, year)) tuples."""
    from planner.stochastic.ph import PHOutcome, _from_json, _to_json

    o = PHOutcome("ok", candidates=[{("build", ("L", 2025)): 1.0, ("units", ("Z", 2030)): 3.0}], iterations=4,
                  converged=True, convergence=0.0, trivial_bound_musd=15.0, lagrangian_bound_musd=22.9, ranks=2)
    back = _from_json(json.loads(json.dumps(_to_json(o))))
    assert back == o and back.lower_bound_musd == 22.9


BAD = [
    ("cvar under PH", {"risk": {"measure": "cvar"}}, ["uncertainty.risk.measure", "extensive_form"]),
    ("more ranks than futures", {"ph": {"ranks": 3}}, ["uncertainty.ph.ranks", "ranks <= 2"]),
    ("rho not positive", {"ph": {"rho": 0}}, ["uncertainty.ph.rho"]),
    ("unknown PH option", {"ph": {"iterations": 5}}, ["uncertainty.ph.iterations"]),
]


@pytest.mark.parametrize("label, extra, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_ph_options_are_refused(tmp_path, label, extra, expected):
    if label in ("cvar under PH", "more ranks than futures"):
        needs_ph()  # without mpi-sppy the install message comes first
    data = system(uncertainty={**LUMPY, "method": "progressive_hedging", **extra})
    with pytest.raises(ScenarioError) as err:
        run_scenario(write(data, tmp_path))
    text = str(err.value)
    for part in expected:
        assert part in text, (part, text)


def test_bad_ph_option_through_the_cli_exits_2_and_writes_nothing(tmp_path):
    data = system(uncertainty={**LUMPY, "method": "progressive_hedging", "ph": {"ranks": 0}})
    proc = planner("solve", write(data, tmp_path), "--out", tmp_path / "out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "uncertainty.ph.ranks" in proc.stdout + proc.stderr
    assert not (tmp_path / "out").exists()


def test_without_mpi_sppy_progressive_hedging_says_how_to_install_it(tmp_path, monkeypatch):
    for name in ("mpisppy", "mpisppy.opt", "mpisppy.opt.ph"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    with pytest.raises(ScenarioError) as err:
        run_scenario(write(ph_case(), tmp_path))
    (problem,) = err.value.problems
    assert problem.where == "uncertainty.method" and "pip install 'planner[ph]'" in problem.message
