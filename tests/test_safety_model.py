"""Issue 8, model side: relations bind every asset (§4), numerics the user can trust (§7), and
Ctrl-C at any stage (§6). Optima worked by hand beside each test.

Unless a test says otherwise (tests.conftest.tiny): base year 2025, discount rate 0 (W = 1 per
calendar year, CRF = 1/lifetime), one 8760-hour peak slice (1 MW all year = 8.76 GWh), energy
shortfall 500 USD/MWh = 0.5 MUSD/GWh.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from planner.data import crf
from planner.scenario import ScenarioError
from tests.conftest import ROOT, planner, project, tiny, write

REL = 1e-6
TWO_YEARS = {"base_year": 2025, "years": [2025, 2026], "discount_rate": 0.0}  # W_2025 = W_2026 = 1


def energy(run, pid: str) -> dict:
    d = run.tables["dispatch"]
    d = d[d.project == pid]
    return {int(y): round(e, 6) for y, e in d.groupby("year").energy_gwh.sum().items()}


def built(run) -> dict:
    b = run.tables["builds"]
    b = b[b.status == "candidate"]
    return {(r.asset, int(r.build_year)): round(r.capacity_mw, 6) for r in b.itertuples()}


def shortfall(run) -> dict:
    t = run.tables["imports"]
    t = t[t.scope == "VN"]
    return {int(r.year): round(r.energy_shortfall_gwh, 6) for r in t.itertuples()}


# ---------------------------------------------------------------- §4 requires / excludes bind every asset

def _committed_needs_line(line_capex_musd: float) -> dict:
    # 'plant' (committed 2025, 100 MW, 10 USD/MWh, no capex) sits at LA, where the existing line would
    # carry it; it requires 'new_line', a candidate that can come online only from 2026 (lifetime 10).
    # Target 876 GWh (100 MW all year) in 2025 and 2026.
    return tiny(horizon=TWO_YEARS,
                projects=[project("plant", 100, "committed", online_year=2025, capex_usd_per_kw=0,
                                  energy_cost_usd_per_mwh=10, requires=["new_line"])],
                links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 10000, "status": "existing"},
                       {"id": "new_line", "from": "LA", "to": "VN", "capacity_mw": 500, "status": "candidate",
                        "capex_musd": line_capex_musd, "lifetime_years": 10, "earliest_year": 2026}],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}])


def test_committed_plant_waits_for_the_line_it_requires(solve):
    # 2025: the line cannot exist, so the plant does not run: 876 GWh short x 0.5 = 438 MUSD.
    # 2026: the line (capex 10, annuity 1) is built and the plant makes 876 GWh x 10 USD/MWh = 8.76.
    # Objective 438 + 1 + 8.76 = 447.76 MUSD. (Before issue 8 the plant ran in 2025: 18.52.)
    run = solve(_committed_needs_line(10))
    assert run.summary["objective_musd"] == pytest.approx(447.76, rel=REL)
    assert energy(run, "plant") == {2026: pytest.approx(876, rel=REL)}
    assert built(run) == {("new_line", 2026): 500}
    assert shortfall(run) == {2025: pytest.approx(876, rel=REL), 2026: pytest.approx(0, abs=1e-6)}


def test_committed_plant_idle_when_its_requirement_is_not_worth_building(solve):
    # Line capex 10,000 MUSD: annuity 1,000 > the 438 MUSD shortfall, so it is not built and the
    # committed plant never runs (it is not forced to, and does not force the line): 2 x 438 = 876.
    run = solve(_committed_needs_line(10000))
    assert run.summary["objective_musd"] == pytest.approx(876, rel=REL)
    assert energy(run, "plant") == {}
    assert built(run) == {}


def test_chain_existing_plant_committed_spur_candidate_line(solve):
    # 'plant' (existing) requires 'spur' (committed link, online 2025) which requires 'new_line'
    # (candidate from 2026, capex 10, lifetime 10). The plant runs only once the whole chain runs:
    # 438 (2025 shortfall) + 1 (line annuity) + 8.76 (energy) = 447.76 MUSD.
    data = _committed_needs_line(10)
    data["projects"][0].update(status="existing", requires=["spur"])
    data["links"].append({"id": "spur", "from": "LA", "to": "VN", "capacity_mw": 100, "status": "committed",
                          "online_year": 2025, "capex_musd": 0, "requires": ["new_line"]})
    run = solve(data)
    assert run.summary["objective_musd"] == pytest.approx(447.76, rel=REL)
    assert energy(run, "plant") == {2026: pytest.approx(876, rel=REL)}
    flows = run.tables["flows"]
    assert flows[(flows.link == "spur") & (flows.year == 2025)].flow_mw.sum() == pytest.approx(0, abs=1e-9)


def test_existing_plant_idle_before_the_committed_line_it_requires(solve):
    # 'line2' is committed for 2026; the existing plant requiring it runs only in 2026 (no longer
    # refused): 2025 short 876 GWh = 438 MUSD; 2026 876 GWh at 10 USD/MWh = 8.76.
    data = _committed_needs_line(10)
    data["links"][1] = {"id": "new_line", "from": "LA", "to": "VN", "capacity_mw": 500, "status": "committed",
                        "online_year": 2026, "capex_musd": 0}
    data["projects"][0]["status"] = "existing"
    run = solve(data)
    assert run.summary["objective_musd"] == pytest.approx(438 + 8.76, rel=REL)
    assert energy(run, "plant") == {2026: pytest.approx(876, rel=REL)}


@pytest.mark.parametrize("declared_on", ["old", "new"])
def test_candidate_excluded_by_a_committed_plant_is_never_built(solve, declared_on):
    # 'new' (candidate, free, 0 USD/MWh) and 'old' (committed 2025, lifetime 10, 100 USD/MWh) are
    # alternatives. 'old' is online all horizon, so 'new' can never be online: target 876 GWh is
    # met by 'old' at 100 USD/MWh = 87.6 MUSD (without the relation: 'new' for 0).
    old = project("old", 100, "committed", online_year=2025, capex_usd_per_kw=0, energy_cost_usd_per_mwh=100)
    new = project("new", 100, "candidate", capex_usd_per_kw=0, energy_cost_usd_per_mwh=0)
    (old if declared_on == "old" else new)["excludes"] = ["new" if declared_on == "old" else "old"]
    run = solve(tiny(projects=[old, new], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert run.summary["objective_musd"] == pytest.approx(87.6, rel=REL)
    assert built(run) == {}
    free = solve(tiny(projects=[old | {"excludes": []}, new | {"excludes": []}],
                      targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert free.summary["objective_musd"] == pytest.approx(0, abs=1e-9)


def test_candidate_excluded_by_a_committed_plant_may_follow_it(solve):
    # 'old' (existing from 2025, lifetime 1) retires before 2026; 'new' (excluded by it, free) is
    # built in 2026 only. Target 876 GWh both years: 2025 from 'old' at 100 USD/MWh = 87.6 MUSD,
    # 2026 from 'new' at 0.
    old = project("old", 100, "existing", online_year=2025, lifetime_years=1, energy_cost_usd_per_mwh=100,
                  excludes=["new"])
    new = project("new", 100, "candidate", capex_usd_per_kw=0, energy_cost_usd_per_mwh=0)
    run = solve(tiny(horizon=TWO_YEARS, projects=[old, new],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert run.summary["objective_musd"] == pytest.approx(87.6, rel=REL)
    assert built(run) == {("new", 2026): 100}


@pytest.mark.parametrize("statuses", [("existing", "existing"), ("existing", "committed"),
                                      ("committed", "committed")])
def test_two_excluded_fixed_assets_online_together_are_refused(solve, statuses):
    a = project("a", 100, statuses[0], online_year=2025, capex_usd_per_kw=0, excludes=["b"])
    b = project("b", 100, statuses[1], online_year=2026, capex_usd_per_kw=0)
    with pytest.raises(ScenarioError) as exc:
        solve(tiny(horizon=TWO_YEARS, projects=[a, b]))
    text = "\n".join(map(str, exc.value.problems))
    assert "projects[a].excludes" in text and "'b'" in text and "2026" in text, text
    assert len(exc.value.problems) == 1


def test_two_excluded_fixed_assets_in_turn_both_run(solve):
    # 'a' retires after 2025 (lifetime 1), 'b' comes online in 2026: never both, so allowed, and each
    # runs in its own year: 2 x 876 GWh at 10 USD/MWh = 17.52 MUSD.
    a = project("a", 100, online_year=2025, lifetime_years=1, energy_cost_usd_per_mwh=10, excludes=["b"])
    b = project("b", 100, "committed", online_year=2026, capex_usd_per_kw=0, energy_cost_usd_per_mwh=10)
    run = solve(tiny(horizon=TWO_YEARS, projects=[a, b], targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert run.summary["objective_musd"] == pytest.approx(17.52, rel=REL)
    assert energy(run, "a") == {2025: pytest.approx(876)} and energy(run, "b") == {2026: pytest.approx(876)}


def test_excluded_fixed_assets_refused_by_the_cli_with_exit_2(tmp_path):
    a = project("a", 100, excludes=["b"])
    b = project("b", 100)
    path = write(tiny(projects=[a, b]), tmp_path)
    out = tmp_path / "out"
    p = planner("solve", path, "--out", out)
    assert p.returncode == 2, p.stderr
    assert "projects[a].excludes" in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


# ---------------------------------------------------------------- §7 numerics

def _far_future(**horizon) -> dict:
    # One candidate, 400 MW, 1000 USD/kW (400 MUSD), lifetime 10; target 3000 GWh in 2100 only.
    h = {"base_year": 2025, "years": [2100], "discount_rate": 0.3, **horizon}
    return tiny(horizon=h, projects=[project("cand", 400, "candidate", capex_usd_per_kw=1000)],
                targets=[{"scope": "VN", "year": 2100, "energy_gwh": 3000}])


def test_far_future_high_discount_builds_and_meets_the_target(solve):
    # W_2100 = 1.3^-75 (~2.8e-9). Building: W x 400 x CRF(0.3, 10) (~3.7e-7 MUSD); the shortfall
    # would cost W x 3000 x 0.5 (~4.3e-6), 11.6 times more. 400 MW make 3504 GWh >= 3000.
    # Before issue 8 every cost was ~1e-9, inside HiGHS's tolerances: nothing built, 3000 GWh short.
    run = solve(_far_future())
    w = 1.3 ** -75
    assert run.summary["objective_musd"] == pytest.approx(w * 400 * crf(0.3, 10), rel=1e-9)
    assert built(run) == {("cand", 2100): 400}
    assert shortfall(run) == {2100: pytest.approx(0, abs=1e-6)}
    s = run.summary
    assert s["status"] == "optimal" and s["message"].startswith("HiGHS: Optimal")
    ranges = s["coefficient_ranges"]
    assert set(ranges) >= {"matrix", "cost", "cost_solved", "bounds", "rhs"}
    # the model states costs of ~1e-9; HiGHS sees them times a power of two, inside [1e-4, 1e6]
    assert ranges["cost"][1] < 1e-6
    assert 1e-4 <= ranges["cost_solved"][0] and ranges["cost_solved"][1] <= 1e6
    scale = s["objective_scale"]
    assert scale == 2.0 ** round(__import__("math").log2(scale))
    assert ranges["cost_solved"][1] == ranges["cost"][1] * scale
    assert s["warnings"] == []  # well scaled: HiGHS has nothing to say


@pytest.mark.parametrize("rate, year", [(0.9, 2200), (0.05, 2030)])
def test_any_discounting_builds_and_costs_exactly(solve, rate, year):
    # The same plan whatever the weight: 0.9 to 2200 gives W ~ 1e-49 (costs ~1e-47 MUSD),
    # 5 % to 2030 gives W ~ 0.78. Objective W x 400 x CRF(r, 10), to the last bits.
    run = solve(_far_future(years=[year], discount_rate=rate) | {
        "targets": [{"scope": "VN", "year": year, "energy_gwh": 3000}]})
    w = (1 + rate) ** -(year - 2025)
    assert run.summary["objective_musd"] == pytest.approx(w * 400 * crf(rate, 10), rel=1e-12)
    assert built(run) == {("cand", year): 400}


def test_objective_scale_is_a_power_of_two_that_brings_costs_into_highs_range():
    from planner.solve import objective_scale
    import numpy as np

    assert objective_scale(np.array([0.5, 2.0, 0.0])) == 1.0  # inside [1e-4, 1e6]: as stated
    assert objective_scale(np.array([1e-9, 4e-7])) == 2.0 ** 29  # centred: [0.54, 215]
    assert objective_scale(np.array([1e5, 1e8])) == 2.0 ** -18  # [0.38, 381]
    assert objective_scale(np.array([1e-11, 5e2])) == 2.0 ** 10  # too wide: largest just under 1e6
    k = objective_scale(np.array([1e-320, 1e-318]))  # subnormal costs: a finite scale, no overflow
    assert 0 < k < float("inf") and 1e-320 * k > 1e-30
    assert objective_scale(np.array([])) == 1.0


def test_far_future_prices_are_unscaled(solve):
    # Continuous build: the long-run marginal cost of the target is the candidate's cost per MWh of the year:
    # annuity 400 x CRF / 3504 GWh, in USD/MWh (x 1000) -- the objective scale must not leak into it.
    data = _far_future()
    data["options"]["build"] = "continuous"
    run = solve(data)
    row = run.tables["imports"].query("scope == 'VN' and year == 2100").iloc[0]
    assert row.long_run_marginal_cost_usd_per_mwh == pytest.approx(400 * crf(0.3, 10) / 3504 * 1000, rel=1e-6)
    assert built(run) == {("cand", 2100): pytest.approx(400 * 3000 / 3504, rel=1e-6)}
    costs = run.tables["costs"].query("in_objective")
    assert costs.discounted_musd.sum() == pytest.approx(run.summary["objective_musd"], rel=1e-9)


def test_costs_wider_than_highs_resolves_are_warned(solve):
    # 2025 and 2100 in one model at 30 %: costs span ~1e-11 to ~1e3 MUSD, more than any single
    # scale can bring inside HiGHS's range: HiGHS's warning and planner's own note are reported.
    data = _far_future(years=[2025, 2100])
    data["projects"].append(project("old", 100, energy_cost_usd_per_mwh=1))
    data["targets"].append({"scope": "VN", "year": 2025, "energy_gwh": 100})
    run = solve(data)
    warnings = run.summary["warnings"]
    assert any("excessively small costs" in w for w in warnings), warnings
    assert any("wider than" in w and "MUSD" in w for w in warnings), warnings
    assert all(w in run.summary["message"] for w in warnings)


def test_well_scaled_models_are_solved_as_stated(solve):
    # costs inside [1e-4, 1e6]: no scaling (the shipped scenarios keep their objective to the bit)
    run = solve(tiny(projects=[project("p", 100, energy_cost_usd_per_mwh=50)],
                     targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}]))
    assert run.summary["objective_scale"] == 1.0
    assert run.summary["objective_musd"] == pytest.approx(43.8, rel=1e-12)
    assert run.summary["warnings"] == [] and run.summary["message"] == "HiGHS: Optimal"


def test_cli_prints_warnings_and_summary_json_has_them(tmp_path):
    data = _far_future(years=[2025, 2100])
    data["projects"].append(project("old", 100, energy_cost_usd_per_mwh=1))
    path = write(data, tmp_path)
    out = tmp_path / "out"
    p = planner("solve", path, "--out", out)
    assert p.returncode == 0, p.stderr
    assert "excessively small costs" in p.stdout + p.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warnings"] and summary["message"] and summary["coefficient_ranges"]["cost"]


# ---------------------------------------------------------------- §6 Ctrl-C

def _big_scenario(folder: Path, projects: int = 150, years: int = 10, slices: int = 48) -> Path:
    """A synthetic system (benchmarks/run.py) that takes a few seconds to build and to solve."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run as bench  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    data = bench.scenario(projects, years, slices, "continuous")
    path = folder / "big.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _interrupt(args: list, stage: str | float, cwd: Path, deadline: float = 120,
               after: float = 0.3) -> subprocess.CompletedProcess:
    """Start the CLI in its own process group (as a terminal does), wait until stderr shows ``stage``
    (the progress line) or, for a number, that many seconds, then ``after`` seconds more, then send
    SIGINT to the group, as Ctrl-C does."""
    env = {**os.environ, "COLUMNS": "200", "FORCE_COLOR": "1"}  # progress drawn although stderr is a pipe
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    os.set_blocking(proc.stderr.fileno(), False)
    start = time.monotonic()
    if not isinstance(stage, str):
        time.sleep(stage)
        stage = ""
    while stage.encode() not in seen:
        chunk = proc.stderr.read() or b""
        seen += chunk
        if proc.poll() is not None or time.monotonic() - start > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"never reached {stage!r}: rc={proc.returncode}\n{(seen + err).decode()[-2000:]}")
        time.sleep(0.05)
    time.sleep(after)
    assert proc.poll() is None, "finished before the interrupt"
    os.killpg(proc.pid, signal.SIGINT)
    os.set_blocking(proc.stderr.fileno(), True)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), (seen + err).decode())


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    return _big_scenario(tmp_path_factory.mktemp("big"))


@pytest.fixture(scope="module")
def huge(tmp_path_factory) -> Path:
    """The 'xxlarge' system: its array model builds in about a second, long enough to be interrupted
    while building (the 'big' one builds in a fraction of a second, before the progress line shows)."""
    return _big_scenario(tmp_path_factory.mktemp("huge"), projects=480, years=12, slices=288)


@pytest.mark.parametrize("stage", ["building the model", "solving with HiGHS:"])  # ':' = a HiGHS log line
def test_ctrl_c_during_solve_stages(big, huge, tmp_path, stage):
    out = tmp_path / "out"
    building = stage == "building the model"
    p = _interrupt(["solve", huge if building else big, "--out", out], stage, tmp_path,
                   after=0.05 if building else 0.3)
    _assert_interrupted(p, tmp_path, out)


def _assert_interrupted(p: subprocess.CompletedProcess, folder: Path, out: Path) -> None:
    assert p.returncode == 130, p.stderr[-2000:]
    assert "interrupted" in p.stderr
    assert "Traceback" not in p.stderr and "ERROR" not in p.stderr and "Solve error" not in p.stderr
    assert not out.exists()
    assert not [f for f in folder.iterdir() if f.name.startswith(f".{out.name}")]  # no temporary folder


def _dispatch_only(folder: Path) -> Path:
    """The synthetic system with every plant and link existing and no prices asked: an LP solved
    in a fraction of a second whose tables (19,440 dispatch rows) take seconds to write."""
    data = yaml.safe_load(_big_scenario(folder, projects=100, years=5).read_text())
    for asset in data["projects"] + data["links"]:
        asset["status"] = "existing"
        asset.pop("sizing", None)
        asset.pop("earliest_year", None)
    data["options"]["solver"]["marginal_values"] = False
    path = folder / "dispatch_only.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_ctrl_c_while_writing(tmp_path):
    # the progress line is cleared ("show cursor", ESC[?25h) when the tables are ready; writing
    # results.xlsx of this size then takes over two seconds (measured 2.7 s on a loaded machine;
    # the tables of the 'big' system, all of whose candidates need solving first, took 0.7 s)
    out = tmp_path / "out"
    p = _interrupt(["solve", _dispatch_only(tmp_path), "--out", out], "\x1b[?25h", tmp_path, after=0.2)
    _assert_interrupted(p, tmp_path, out)


def test_ctrl_c_while_loading(tmp_path):
    # 10,000 inline projects take several seconds to read; Ctrl-C once the libraries are imported
    data = yaml.safe_load(_big_scenario(tmp_path).read_text())
    base = data["projects"]
    data["projects"] = [{**base[i % len(base)], "id": f"p{i}", "requires": [], "excludes": []} for i in range(10000)]
    path = tmp_path / "huge.yaml"
    path.write_text(json.dumps(data, indent=1))  # JSON is YAML, written in milliseconds (safe_dump: seconds)
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", "import planner.cli"], check=True, cwd=ROOT)
    imports = time.monotonic() - start
    out = tmp_path / "out"
    p = _interrupt(["solve", path, "--out", out], imports + 1.0, tmp_path, after=0.0)
    _assert_interrupted(p, tmp_path, out)


def test_ctrl_c_during_a_sweep(big, tmp_path):
    out = tmp_path / "sweep"
    p = _interrupt(["sweep", big, "--grid", "limits.co2_price_usd_per_t=0,10,20", "--workers", "2",
                    "--out", out], "runs on", tmp_path)
    _assert_interrupted(p, tmp_path, out)


def test_capital_recovery_factor_of_a_vanishing_rate():
    # (1 + 1.5e-98)^30 - 1 is 0 in floating point; the limit r -> 0 is 1/n (found by the loader fuzz)
    assert crf(1.5e-98, 30) == pytest.approx(1 / 30, rel=1e-12)
    assert crf(1e-7, 30) == pytest.approx(1e-7 * (1 + 1e-7) ** 30 / ((1 + 1e-7) ** 30 - 1), rel=1e-6)


# ---------------------------------------------------------------- §4 on generated relations

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ASSETS = ["p0", "p1", "p2", "p3", "line", "l1"]  # four projects, the existing line, one more link


@st.composite
def _relations(draw) -> dict:
    """Four plants and a second link, each existing / committed (online 2025-2027, lifetime 1-3) or
    candidate, with random requires/excludes among them; target 2000 GWh every year."""
    projects = []
    for i in range(4):
        status = draw(st.sampled_from(["existing", "committed", "candidate"]))
        p = project(f"p{i}", draw(st.sampled_from([100, 200, 300])), status,
                    energy_cost_usd_per_mwh=draw(st.sampled_from([5, 20, 60])),
                    capex_usd_per_kw=draw(st.sampled_from([0, 500, 3000])))
        if status != "candidate":
            p.update(online_year=draw(st.sampled_from([2025, 2026, 2027])),
                     lifetime_years=draw(st.sampled_from([1, 2, 3])))
        if status == "existing" and draw(st.booleans()):
            p.pop("capex_usd_per_kw")
        projects.append(p)
    l1 = {"id": "l1", "from": "LA", "to": "VN", "capacity_mw": 300,
          "status": draw(st.sampled_from(["existing", "committed", "candidate"])), "capex_musd": 30}
    if l1["status"] != "candidate":
        l1["online_year"] = draw(st.sampled_from([2025, 2026, 2027]))
    else:
        l1["earliest_year"] = draw(st.sampled_from([2025, 2026, 2027]))
    assets = projects + [l1]
    for a in assets:
        others = [x for x in _ASSETS if x != a["id"]]
        a["requires"] = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
        alternatives = [x for x in others if x not in a["requires"] and x != "line"]
        a["excludes"] = draw(st.lists(st.sampled_from(alternatives), max_size=1)) if draw(st.booleans()) else []
    return tiny(horizon={"base_year": 2025, "years": [2025, 2026, 2027], "discount_rate": 0.0},
                options={"build": draw(st.sampled_from(["integer", "continuous"])), "solver": {"mip_gap": 0}},
                projects=projects,
                links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 10000, "status": "existing"}, l1],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 2000}])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_relations())
def test_relations_bind_every_asset_on_generated_scenarios(solve, data):
    """Whatever the statuses: nothing runs in a year where something it requires is not running,
    two excluded assets are never online together, and a contradiction is refused, located."""
    try:
        run = solve(data)
    except ScenarioError as exc:
        assert all(".excludes" in p.where and "both are existing or committed" in p.message
                   for p in exc.problems), exc.problems
        return
    assert run.summary["status"] == "optimal"
    online = {(r.asset, int(r.year)) for r in run.tables["capacity"].itertuples() if r.online_mw > 1e-6}
    fraction = {(r.asset, int(r.year)): r.online_mw / run.data.assets.at[r.asset, "capacity_mw"]
                for r in run.tables["capacity"].itertuples()}
    d, f = run.tables["dispatch"], run.tables["flows"]
    running = {(r.project, int(r.year)) for r in d.itertuples() if r.generation_mw > 1e-6}
    running |= {(r.link, int(r.year)) for r in f.itertuples() if r.flow_mw > 1e-6}
    relations = {a["id"]: a for a in data["projects"] + data["links"]}
    for a, spec in relations.items():
        for y in (2025, 2026, 2027):
            if (a, y) in running:
                assert (a, y) in online
                for b in spec.get("requires", []):
                    assert (b, y) in online, (a, b, y)
                    if b in running and relations[b].get("status") != "candidate":
                        assert all((c, y) in online for c in relations[b].get("requires", [])), (a, b, y)
            for b in spec.get("excludes", []):
                if data["options"]["build"] == "integer":
                    assert not ((a, y) in online and (b, y) in online), (a, b, y)
                else:  # continuous builds: the online fractions of alternatives sum to at most 1 (SPEC §3.1)
                    assert fraction.get((a, y), 0.0) + fraction.get((b, y), 0.0) <= 1 + 1e-6, (a, b, y)
