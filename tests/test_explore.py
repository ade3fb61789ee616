"""``planner explore`` (SPEC §3.5): known answers worked out by hand, and the command end to end.

Unless a test says otherwise the tiny case of conftest.py: one modelled year 2025 = base year,
discount rate 0 (W = 1, CRF = 1/lifetime = 0.1 for hydro's 10 years), one 8760-hour peak slice, a
lossless existing line, an energy target of 876 GWh (100 MW all year) with a 500 USD/MWh penalty
(missing it all: 876 GWh x 500 = 438 MUSD, far dearer than any plant below). A 100 MW candidate at
C USD/kW costs C x 100 MW / 1e6 x 0.1 = C / 100 MUSD a year; no O&M, no energy cost.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from planner.explore import (ExploreError, Session, TornadoSpec, explore, parse_tornado, plan_changes,
                             reversal_job)
from planner.scenario import load_scenario
from tests.conftest import planner, project, tiny, write

TARGET = [{"scope": "VN", "year": 2025, "energy_gwh": 876}]


def two_plants(capex_a: float, capex_b: float) -> dict:
    return tiny(projects=[project("a", 100, "candidate", capex_usd_per_kw=capex_a),
                          project("b", 100, "candidate", capex_usd_per_kw=capex_b)],
                targets=TARGET)


def loaded(tmp_path, data: dict, name: str = "s.yaml"):
    return load_scenario(write(data, tmp_path, name))


def test_with_without_values_by_hand(tmp_path):
    # a at 1000 USD/kW: 10 MUSD a year; b at 2000 USD/kW: 20 MUSD. The optimum builds a: 10 MUSD.
    # a barred: b is built instead, 20 MUSD: building a is worth 20 - 10 = 10 MUSD.
    # b forced in (at 2025, its earliest year): b alone meets the target and a is dropped, 20 MUSD:
    # not building b is worth 10 too (a and b together would be 30: not the least-cost reverse).
    ex = explore(loaded(tmp_path, two_plants(1000, 2000)), with_without=True)
    assert ex.summary["objective_musd"] == pytest.approx(10.0, rel=1e-9)
    ww = ex.tables["with_without"].set_index("asset")
    assert ww.at["a", "built"] and not ww.at["b", "built"]
    assert ww.at["a", "reversed_objective_musd"] == pytest.approx(20.0, rel=1e-9)
    assert ww.at["a", "value_musd"] == pytest.approx(10.0, rel=1e-9)
    assert ww.at["b", "reversed_objective_musd"] == pytest.approx(20.0, rel=1e-9)
    assert ww.at["b", "value_musd"] == pytest.approx(10.0, rel=1e-9)
    assert list(ww["rank"]) == [1, 2] and list(ww.index) == ["a", "b"]  # a tie: by name
    assert ww.at["a", "changes"] == "drop a; add b (100 MW in 2025)"
    assert ww.at["b", "changes"] == "drop a; add b (100 MW in 2025)"
    assert "barring it costs 10.0 MUSD" in ww.at["a", "note"]
    assert "forcing it in at 2025 costs 10.0 MUSD" in ww.at["b", "note"]


def test_with_without_names_the_tariff_ceiling_and_the_line(tmp_path):
    # c offers 80 USD/MWh against a 70 ceiling: it cannot be built. Allowed at its ceiling (the
    # system's cost does not see the tariff) and forced in, c (1500 USD/kW: 15 MUSD) replaces a
    # (10): worth 5, excluded "by 10.0 USD/MWh". d (1200 USD/kW: 12) requires the candidate line
    # 'new' (capex 5 MUSD over 10 years: 0.5 a year): forced in, d and its line replace a: 12.5,
    # worth 2.5, and the note names the line. 'new' forced in alone: a + the line, 10.5: worth 0.5.
    data = two_plants(1000, 2000)
    data["projects"] += [project("c", 100, "candidate", capex_usd_per_kw=1500, tariff_usd_per_mwh=80),
                         project("d", 100, "candidate", capex_usd_per_kw=1200, node="LA2", requires=["new"])]
    data["nodes"].append({"id": "LA2", "country": "LA"})
    data["links"].append({"id": "new", "from": "LA2", "to": "VN", "capacity_mw": 100, "status": "candidate",
                          "capex_musd": 5, "lifetime_years": 10})
    data["limits"] = {"max_tariff_usd_per_mwh": 70}
    ex = explore(loaded(tmp_path, data), with_without=True)
    ww = ex.tables["with_without"].set_index("asset")
    assert ex.summary["objective_musd"] == pytest.approx(10.0, rel=1e-9)
    assert ww.at["c", "value_musd"] == pytest.approx(5.0, rel=1e-9)
    assert "excluded by its tariff ceiling by 10.0 USD/MWh" in ww.at["c", "note"]
    assert ww.at["c", "reversed"] == "allowed at its ceiling tariff, forced in at 2025"
    assert "forcing it in at 2025 costs 5.0 MUSD" in ww.at["c", "note"]
    assert ww.at["d", "value_musd"] == pytest.approx(2.5, rel=1e-9)
    assert "needs its line new (5 MUSD capex), not in the plan" in ww.at["d", "note"]
    assert ww.at["new", "value_musd"] == pytest.approx(0.5, rel=1e-9)


def test_near_optimal_tie_each_zero_to_full(tmp_path):
    # a and b tie at 10 MUSD. Within 5 % (bound 10.5) one of them, either, is built: each project
    # ranges 0..100 MW ("a real choice"); hydro as a whole is 100 MW in every near-optimal plan.
    ex = explore(loaded(tmp_path, two_plants(1000, 1000)), slack=0.05)
    no = ex.tables["near_optimal"].set_index("group")
    for p in ("project:a", "project:b"):
        assert (no.at[p, "min_mw"], no.at[p, "max_mw"]) == pytest.approx((0.0, 100.0), abs=1e-6)
        assert no.at[p, "verdict"] == "a real choice"
    for g in ("technology:hydro", "country:LA"):
        assert (no.at[g, "min_mw"], no.at[g, "max_mw"], no.at[g, "optimal_mw"]) == pytest.approx((100, 100, 100))
        assert no.at[g, "verdict"] == "in every near-optimal plan"
    assert ex.summary["bound_musd"] == pytest.approx(10.5, rel=1e-9)
    # each extreme plan is written out: project:a at its least builds b alone
    least_a = ex.alternatives["project-a-2025-min"]
    assert least_a[least_a.status == "candidate"].asset.tolist() == ["b"]


@pytest.mark.parametrize("slack, b_max, hydro_max", [(0.05, 0.0, 100.0), (0.2, 100.0, 100.0), (1.0, 100.0, 100.0),
                                                    (1.2, 100.0, 200.0)])
def test_near_optimal_ranges_grow_with_the_slack(tmp_path, slack, b_max, hydro_max):
    # a 10 MUSD a year, b 11, both 21. Bound 10 x (1 + slack): 5 % -> 10.5, b never; 20 % -> 12,
    # b may replace a (11 <= 12), not join it; 100 % -> 20, still not both (21 > 20); 120 % -> 22,
    # both fit: hydro up to 200 MW.
    ex = explore(loaded(tmp_path, two_plants(1000, 1100)), slack=slack)
    no = ex.tables["near_optimal"].set_index("group")
    assert no.at["project:b", "max_mw"] == pytest.approx(b_max, abs=1e-6)
    assert no.at["project:b", "verdict"] == ("never" if b_max == 0 else "a real choice")
    assert no.at["technology:hydro", "max_mw"] == pytest.approx(hydro_max, abs=1e-6)
    assert no.at["technology:hydro", "min_mw"] == pytest.approx(100.0, abs=1e-6)


def test_tornado_ends_by_hand(tmp_path):
    # a's capex at 500: 5 MUSD, a still built (no build changes); at 3000: 30 MUSD > b's 20, so b
    # is built instead: 20 MUSD.
    path = write(two_plants(1000, 2000), tmp_path)
    spec = TornadoSpec("projects.a.capex_usd_per_kw", "500", "3000")
    ends = {(spec.path, end): load_scenario(path, (f"{spec.path}={v}",)) for end, v in (("low", "500"),
                                                                                       ("high", "3000"))}
    ex = explore(load_scenario(path), tornado=[spec], tornado_loaded=ends)
    row = ex.tables["tornado"].iloc[0]
    assert (row.objective_low_musd, row.objective_high_musd) == pytest.approx((5.0, 20.0), rel=1e-9)
    assert row.builds_changed_low == "none"
    assert row.builds_changed_high == "drop a; add b (100 MW in 2025)"
    assert row.swing_musd == pytest.approx(15.0, rel=1e-9)


def test_reusing_the_compiled_model_restores_it(tmp_path):
    # Re-solves on one Session (bounds changed, a row added and removed) give what fresh models give:
    # the same reversal twice, in between others, has one answer; a fresh Session agrees.
    scenario = loaded(tmp_path, two_plants(1000, 2000)).scenario
    got = reversal_job(scenario, [("a", "bar"), ("b", "force"), ("b", "force_any"), ("a", "bar"),
                                  ("b", "force")])["results"]
    assert got["a|bar"]["objective_musd"] == pytest.approx(20.0, rel=1e-9)
    assert got["b|force"]["objective_musd"] == pytest.approx(20.0, rel=1e-9)
    assert got["b|force_any"]["objective_musd"] == pytest.approx(20.0, rel=1e-9)
    s = Session(scenario)
    assert s.solve().objective_musd == pytest.approx(10.0, rel=1e-9)
    assert s.reverse("a", "bar").objective_musd == pytest.approx(20.0, rel=1e-9)
    assert s.solve().objective_musd == pytest.approx(10.0, rel=1e-9)  # restored


def test_a_mip_reversal_starts_from_the_base_plan_and_agrees_with_a_fresh_one(tmp_path, monkeypatch):
    # The integer build (tiny's): each reversal forcing b in re-solved from the base plan with b
    # added (a and b) with solve.START_OPTIONS for that run only gives the fresh answers by hand
    # (20 MUSD each: b alone), and the options are back after it; a bar is re-solved as before.
    import planner.solve as solve_module
    from planner.explore import fresh_reversal_job
    from planner.solve import START_OPTIONS

    seen = []
    run_highs = solve_module.run_highs

    def spy(h):
        seen.append({k: h.getOptionValue(k)[1] for k in START_OPTIONS})
        run_highs(h)

    monkeypatch.setattr(solve_module, "run_highs", spy)
    scenario = loaded(tmp_path, two_plants(1000, 2000)).scenario
    s = Session(scenario)
    base = s.solve()
    assert base.objective_musd == pytest.approx(10.0, rel=1e-9) and base.plan == {"a": {2025: 100.0}}
    assert s.start_of({"a": {2025: 100.0}})[1].tolist() == [1.0, 0.0]
    seen.clear()
    for a, action in [("a", "bar"), ("b", "force"), ("b", "force_any")]:
        got = s.reverse(a, action, base.plan)
        fresh = fresh_reversal_job(scenario, a, action)["results"][f"{a}|{action}"]
        assert got.objective_musd == pytest.approx(20.0, rel=1e-9) == fresh["objective_musd"]
        assert got.plan == fresh["plan"] == {"b": {2025: 100.0}}
    on, off = dict.fromkeys(START_OPTIONS, True), dict.fromkeys(START_OPTIONS, False)
    assert seen == [on, on, off, on, off, on]  # a barred (no start), fresh; b forced from the start, fresh; ...
    assert {k: s.h.getOptionValue(k)[1] for k in START_OPTIONS} == dict.fromkeys(START_OPTIONS, True)


def test_a_users_highs_options_outrank_the_start_options(tmp_path, monkeypatch):
    import planner.solve as solve_module

    seen = []
    run_highs = solve_module.run_highs
    monkeypatch.setattr(solve_module, "run_highs",
                        lambda h: (seen.append(h.getOptionValue("mip_heuristic_run_rins")[1]), run_highs(h)))
    data = two_plants(1000, 2000)
    data["options"]["solver"]["highs_options"] = {"mip_heuristic_run_rins": True}
    s = Session(loaded(tmp_path, data).scenario)
    assert s.reverse("b", "force", {"a": {2025: 100.0}}).objective_musd == pytest.approx(20.0, rel=1e-9)
    assert seen == [True]


def test_plan_changes_words():
    base = {"a": {2030: 100.0}, "b": {2030: 50.0}, "c": {2030: 10.0}}
    new = {"a": {2032: 100.0}, "b": {2030: 25.0}, "d": {2035: 5.0}}
    assert plan_changes(base, new) == ("a 2030 -> 2032; b 50 MW in 2030 -> 25 MW in 2030; drop c; "
                                       "add d (5 MW in 2035)")
    assert plan_changes(base, base) == ""


@pytest.mark.parametrize("item", ["projects.a.capex_usd_per_kw", "x=1", "x=1:", "=1:2", "x=1:2:3"])
def test_parse_tornado_refuses_malformed(item):
    with pytest.raises(ExploreError, match="expected PATH=LOW:HIGH"):
        parse_tornado([item])


def test_cli_end_to_end(tmp_path):
    scenario = write(two_plants(1000, 2000), tmp_path)
    out = tmp_path / "explored"
    proc = planner("explore", scenario, "--with-without", "--near-optimal", "0.05", "--tornado",
                   "projects.a.capex_usd_per_kw=500:3000", "--workers", "2", "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    for name in ("with_without.csv", "near_optimal.csv", "tornado.csv", "explore.xlsx", "explore.json",
                 "scenario.yaml", "base/builds.csv", "alternatives/project-b-2025-max/builds.csv"):
        assert (out / name).is_file(), name
    ww = pd.read_csv(out / "with_without.csv").set_index("asset")
    assert ww.at["a", "value_musd"] == pytest.approx(10.0, rel=1e-9)  # the same on 2 local processes
    summary = json.loads((out / "explore.json").read_text())
    assert summary["resolves"]["with_without"] == 3 and summary["resolves"]["near_optimal"] == 4 * 2  # 4 groups x 1 year x min, max
    import openpyxl

    book = openpyxl.load_workbook(out / "explore.xlsx")
    assert book.sheetnames == ["README", "with_without", "near_optimal", "tornado"]
    # the report of an explore folder: tornado, ranges, values
    proc = planner("report", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    page = (out / "report.html").read_text()
    for name in ("tornado", "near_optimal_ranges", "decision_values"):
        assert (out / "report_figures" / f"{name}.png").is_file()
        assert f"id='{name}'" in page
    # Morris screening through the command line
    screened = tmp_path / "screened"
    proc = planner("explore", scenario, "--tornado", "projects.a.capex_usd_per_kw=500:1500", "--morris", "2",
                   "--workers", "1", "--out", screened, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert pd.read_csv(screened / "morris.csv").mu_star_musd.iloc[0] == pytest.approx(10.0, rel=1e-6)
    # again without --force: refused, the folder kept
    proc = planner("explore", scenario, "--with-without", "--out", out, "--quiet")
    assert proc.returncode == 2 and "exists" in proc.stderr
    assert (out / "tornado.csv").is_file()


@pytest.mark.parametrize("args, message", [
    (["--tornado", "projects.zz.capex_usd_per_kw=1:2"], "'zz'"),
    (["--tornado", "projects.a.capexx=1:2"], "'capexx'"),
    (["--tornado", "projects.a.capex_usd_per_kw=abc:2"], "'abc'"),
    (["--tornado", "projects.a.capex_usd_per_kw"], "expected PATH=LOW:HIGH"),
    ([], "nothing to explore"),
    (["--near-optimal", "-0.1"], "--near-optimal"),
    (["--with-without", "--groups", "tech"], "--groups"),
    (["--morris", "4"], "give at least one --tornado"),
    (["--tornado", "options.build=integer:continuous", "--morris", "4"], "not a numeric range"),
])
def test_cli_bad_input_exit_2_nothing_written(tmp_path, args, message):
    scenario = write(two_plants(1000, 2000), tmp_path)
    out = tmp_path / "explored"
    proc = planner("explore", scenario, *args, "--out", out)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n  - ") <= 1  # one message per mistake (a bad path: not one per end)
    assert not out.exists()


def test_near_optimal_agrees_with_with_without_on_the_base_case():
    """Two studies, one answer (SPEC §3.5), on the shipped base case: a built project whose
    with/without value is below the slack (2 % of |optimum|) can be left out of a near-optimal plan,
    so its least MW in the last year is 0; one whose value is above it is in every near-optimal plan.
    Values within twice the MIP gap of the slack are not judged."""
    from planner.explore import near_optimal_job
    from tests.conftest import ROOT

    scenario = load_scenario(ROOT / "scenarios" / "base" / "base.yaml").scenario
    s = Session(scenario)
    base = s.solve()
    built = sorted(a for a in base.plan if s.data.assets.at[a, "kind"] == "project")
    values = {a: s.reverse(a, "bar").objective_musd - base.objective_musd for a in built}
    slack_musd = 0.02 * abs(base.objective_musd)
    gap = 2 * 0.001 * abs(base.objective_musd)  # the scenario's MIP gap, both solves
    last = s.data.years[-1]
    judged = {a: v for a, v in values.items() if abs(v - slack_musd) > gap}
    least = near_optimal_job(scenario, base.objective_musd + slack_musd,
                             [(a, last, [a]) for a in judged], senses=("min",))["results"]
    for a, v in judged.items():
        mw = least[f"{a}|{last}|min"]["value"]
        assert (mw > 0) == (v > slack_musd), (a, v, mw)
    assert len(judged) >= 6 and any(v > slack_musd for v in judged.values()) \
        and any(v < slack_musd for v in judged.values())


def test_near_optimal_mips_are_solved_without_the_cost_constant(tmp_path, monkeypatch):
    """A regression: with the cost's constant (existing assets' O&M, thousands of MUSD on the base case)
    left in HiGHS's objective, its relative MIP gap divided the MW by thousands and any first plan
    passed for optimal (xekong4, worth 140 MUSD against a 154 MUSD slack, showed as a must-have).
    During a near-optimal solve the offset is 0; afterwards the model's own again."""
    data = two_plants(1000, 1000)
    data["links"][0]["fixed_om_musd_per_year"] = 5000.0  # an existing line: a constant in the cost
    s = Session(loaded(tmp_path, data).scenario)
    assert s.offset == pytest.approx(5000.0 * s.compiled.scale)
    seen = []
    solve = Session.solve

    def spy(self, *args, **kwargs):
        seen.append(self.h.getObjectiveOffset()[1])  # (status, offset)
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(Session, "solve", spy)
    s.bound_objective(5010.0 * 1.05)
    cols, mw = s.group_columns(["a"], 2025)
    assert s.extreme(cols, mw, "max").value == pytest.approx(100.0)
    assert seen == [0.0]
    assert s.h.getObjectiveOffset()[1] == pytest.approx(s.offset)
    assert s.solve().objective_musd == pytest.approx(5010.0, rel=1e-9)


def test_morris_elementary_effects_by_hand(tmp_path):
    """Morris screening (SALib) over two ranges. a (built in every sample: at most 1500 USD/kW
    against b's 2500-3000) costs capex/100 MUSD, a straight line: every elementary effect over the
    unit range [500, 1500] is 1000/100 = 10 MUSD, so mu* = 10 and sigma = 0. b is never built: its
    capex changes nothing, mu* = 0."""
    pytest.importorskip("SALib")
    from planner.explore import load_morris

    path = write(two_plants(1000, 2000), tmp_path)
    specs = [TornadoSpec("projects.a.capex_usd_per_kw", "500", "1500"),
             TornadoSpec("projects.b.capex_usd_per_kw", "2500", "3000")]
    samples = load_morris(path, (), specs, 4)
    assert len(samples) == 4 * (len(specs) + 1)
    ex = explore(load_scenario(path), tornado=specs, morris=4, morris_loaded=samples)
    m = ex.tables["morris"].set_index("parameter")
    assert m.at["projects.a.capex_usd_per_kw", "mu_star_musd"] == pytest.approx(10.0, rel=1e-6)
    assert m.at["projects.a.capex_usd_per_kw", "sigma_musd"] == pytest.approx(0.0, abs=1e-6)
    assert m.at["projects.b.capex_usd_per_kw", "mu_star_musd"] == pytest.approx(0.0, abs=1e-9)


def test_cli_refuses_a_scenario_with_several_futures(tmp_path):
    """A scenario with an uncertainty block (SPEC §3.4) is solved as one plan for several futures;
    the re-solves would use one future, so explore refuses it (exit 2) rather than mix the two."""
    from tests.conftest import ROOT

    path = ROOT / "scenarios" / "base" / "hydrology_years.yaml"
    if not path.is_file():
        pytest.skip("no shipped scenario with an uncertainty block in this checkout")
    out = tmp_path / "explored"
    proc = planner("explore", path, "--with-without", "--out", out)
    assert proc.returncode == 2, proc.stderr
    assert "uncertainty block" in proc.stderr and not out.exists()
