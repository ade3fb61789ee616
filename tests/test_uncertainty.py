"""Plans that hold up (SPEC §3.4): hydrology years, one plan for several futures, worked by hand.

The cases share tiny()'s conventions (one modelled year 2025 = base year, discount rate 0, so
W = 1 and CRF = 1/lifetime = 0.1; one 8760-hour peak slice: 1 MW all year = 8.76 GWh; 1 GWh at
1 USD/MWh = 0.001 MUSD) and one system:

- dam: existing run-of-river hydro, 100 MW, availability 1, no cost: 876 GWh in an average year;
  a future's hydro_energy_factor f gives it 876 f GWh (its availability x f).
- target: 876 GWh into VN; a shortfall costs 500 USD/MWh (0.5 MUSD/GWh).
- L (lumpy, fixed 100 MW, coal): capex 100 USD/kW -> 10 MUSD, annuity 1 MUSD; energy 100 USD/MWh
  (0.1 MUSD/GWh): cheap to hold, dear to run.
- Z (gas zone, up_to 100 MW, or fixed 50 MW): capex 6,000 USD/kW, annuity 0.6 MUSD per MW; no
  energy cost (8.76 GWh per MW, 68.5 USD/MWh if run all year): dear to hold, free to run.
"""

from __future__ import annotations

import json

import pytest

from planner import payers
from planner.run import run_scenario
from planner.scenario import ScenarioError
from tests.conftest import planner, project, tiny, write

REL = 1e-6


def system(z_sizing: str = "up_to", z_mw: float = 100, **changes) -> dict:
    z = project("Z", z_mw, "candidate", technology="gas", capex_usd_per_kw=6000, sizing=z_sizing)
    data = tiny(technologies={"hydro": {"lifetime_years": 10}, "coal": {"lifetime_years": 10},
                              "gas": {"lifetime_years": 10}},
                projects=[project("dam", 100),
                          project("L", 100, "candidate", technology="coal", capex_usd_per_kw=100,
                                  energy_cost_usd_per_mwh=100),
                          z],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}])
    data.update(changes)
    return data


def futures(*rows) -> dict:
    return {"scenarios": [{"id": i, "probability": p, "hydro_energy_factor": f} for i, p, f in rows]}


def solve(tmp_path, data: dict, name: str = "s.yaml"):
    return run_scenario(write(data, tmp_path, name))


def built(tables) -> dict:
    b = tables["builds"]
    b = b[b.status == "candidate"]
    return {r.asset: pytest.approx(r.capacity_mw, rel=REL, abs=1e-6) for r in b.itertuples()}


def by_future(run, column: str) -> dict:
    return run.tables["scenarios"].set_index("scenario")[column].to_dict()


def test_lumpy_build_stochastic_answer_differs_from_every_deterministic_one(tmp_path):
    """Wet (p 0.5, f 1.0: shortfall 0) and dry (p 0.5, f 0.5: the dam gives 438 GWh, 438 short).

    Each future on its own (wait and see):
      wet: nothing is needed: cost 0.
      dry: cover 438 GWh. Z 50 MW: 50 x 0.6 = 30; L: 1 + 438 x 0.1 = 44.8; nothing: 438 x 0.5 = 219.
           Z and L together: each MW of Z saves 8.76 x 0.1 = 0.876 of L's energy for 0.6, so all Z,
           then L is not needed. Dry plan: Z 50 MW, 30 MUSD.
    The average year (f = 0.75, 219 GWh short): Z 25 MW = 15 < L 1 + 21.9 = 22.9 < 109.5: Z 25 MW.
    One plan for both (expected cost):
      L: wet 1 (held, not run), dry 44.8: E = 22.9.
      Z 50: 30 in both: E = 30. Nothing: E = 0.5 x 219 = 109.5.
      L + Z x: 1 + 0.6 x + 0.5 x (438 - 8.76 x) x 0.1 = 22.9 + 0.162 x: x = 0.
      Z x alone: 0.6 x + 0.5 x (438 - 8.76 x) x 0.5 = 109.5 - 1.59 x: x = 50 (E 30).
    So the stochastic plan is L (E = 22.9): neither the wet plan (nothing), nor the dry plan (Z 50)
    nor the average-year plan (Z 25).
    EVPI = 22.9 - (0.5 x 0 + 0.5 x 30) = 7.9.
    The average-year plan (Z 25) in each future: wet 15; dry 15 + (438 - 219) x 0.5 = 124.5;
    E = 69.75, so VSS = 69.75 - 22.9 = 46.85.
    Regret of the stochastic plan: wet 1 - 0 = 1, dry 44.8 - 30 = 14.8.
    """
    run = solve(tmp_path, system(uncertainty=futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5))))
    s = run.summary
    assert s["status"] == "optimal"
    assert built(run.tables) == {"L": 100}
    assert s["expected_cost_musd"] == pytest.approx(22.9, rel=REL)
    assert s["objective_musd"] == pytest.approx(22.9, rel=REL)
    assert s["wait_and_see_musd"] == pytest.approx(15.0, rel=REL)
    assert s["evpi_musd"] == pytest.approx(7.9, rel=REL)
    assert s["average_year_plan_expected_cost_musd"] == pytest.approx(69.75, rel=REL)
    assert s["vss_musd"] == pytest.approx(46.85, rel=REL)
    assert by_future(run, "cost_musd") == {"wet": pytest.approx(1.0, rel=REL), "dry": pytest.approx(44.8, rel=REL)}
    assert by_future(run, "own_optimum_musd") == {"wet": pytest.approx(0.0, abs=1e-9),
                                                  "dry": pytest.approx(30.0, rel=REL)}
    assert by_future(run, "regret_musd") == {"wet": pytest.approx(1.0, rel=REL), "dry": pytest.approx(14.8, rel=REL)}
    assert by_future(run, "average_year_plan_cost_musd") == {"wet": pytest.approx(15.0, rel=REL),
                                                             "dry": pytest.approx(124.5, rel=REL)}
    # the hedge table: L only in the stochastic plan; Z only in the dry year's own plan
    h = run.tables["hedges"].set_index("asset")
    assert h.at["L", "class"] == "hedge" and bool(h.at["L", "in_stochastic"])
    assert h.at["Z", "class"] == "bet" and h.at["Z", "single_future_plans"] == "dry:2025"
    # per-future tables: the dry year runs L for its 438 GWh, the wet year does not
    d = run.tables["dispatch"].set_index(["scenario", "project"])
    assert d.at[("dry", "L"), "energy_gwh"] == pytest.approx(438, rel=REL)
    assert d.at[("dry", "dam"), "energy_gwh"] == pytest.approx(438, rel=REL)
    assert ("wet", "L") not in d.index or d.at[("wet", "L"), "energy_gwh"] == pytest.approx(0, abs=1e-6)
    for name in ("dispatch", "flows", "imports", "links", "prices", "costs"):
        assert list(run.tables[name].columns)[0] == "scenario", name
    # costs.csv closes: each future's rows in the objective sum to its cost
    c = run.tables["costs"]
    c = c[c.in_objective]
    assert c.groupby("scenario").discounted_musd.sum().to_dict() == {"wet": pytest.approx(1.0, rel=REL),
                                                                      "dry": pytest.approx(44.8, rel=REL)}


def test_a_basin_row_of_the_hydrology_table_overrides_the_future_factor(tmp_path):
    """The same two futures, the dry year's water given for the dam's basin (0.5) over the future's
    own factor (0.9): the same answer as above (E 22.9); without the row, the dry year would be
    only 87.6 GWh short (L: 1 + 8.76 = 9.76; E = 0.5 + 4.88 = 5.38)."""
    data = system(uncertainty={**futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.9)),
                               "hydrology": [{"scenario": "dry", "basin": "Sekong", "hydro_energy_factor": 0.5}]})
    data["projects"][0]["basin"] = "Sekong"
    run = solve(tmp_path, data)
    assert run.summary["expected_cost_musd"] == pytest.approx(22.9, rel=REL)
    assert by_future(run, "hydro_energy_factor")["dry"] == pytest.approx(0.5, rel=REL)


def test_hydrology_file_per_project(tmp_path):
    (tmp_path / "hydrology.csv").write_text("scenario,project,hydro_energy_factor,source\ndry,dam,0.5,by hand\n")
    run = solve(tmp_path, system(uncertainty={**futures(("wet", 0.5, 1.0), ("dry", 0.5, 1.0)),
                                              "hydrology": {"file": "hydrology.csv"}}))
    assert run.summary["expected_cost_musd"] == pytest.approx(22.9, rel=REL)


def test_cvar_on_three_futures(tmp_path):
    """Z fixed at 50 MW (annuity 30). Wet f 1.0 (p 0.3, 0 short), average f 0.75 (p 0.4, 219 short),
    dry f 0.5 (p 0.3, 438 short). Costs (wet, average, dry) of each plan:
      nothing (0, 109.5, 219); L (1, 1 + 21.9 = 22.9, 44.8); Z (30, 30, 30); L + Z (31, 31, 31).
    Expected: L 0.3 + 9.16 + 13.44 = 22.9 (Z 30, nothing 109.5): L.
    CVaR at alpha 0.7 (the costliest 30 %: the dry year alone): L 44.8, Z 30, L + Z 31, nothing 219.
    Weight 0.5: L 0.5 x 22.9 + 0.5 x 44.8 = 33.85 > Z 30: the risk-averse plan is Z, value 30;
    its expected cost 30, VaR 30. (L would win below weight 7.1 / 21.9 = 0.324.)
    """
    rows = (("wet", 0.3, 1.0), ("average", 0.4, 0.75), ("dry", 0.3, 0.5))
    neutral = solve(tmp_path, system("fixed", 50, uncertainty=futures(*rows)), "neutral.yaml")
    assert built(neutral.tables) == {"L": 100}
    assert neutral.summary["expected_cost_musd"] == pytest.approx(22.9, rel=REL)
    assert neutral.summary["cvar_musd"] == pytest.approx(44.8, rel=REL)  # reported whatever the measure
    averse = solve(tmp_path, system("fixed", 50, uncertainty={**futures(*rows), "risk": {
        "measure": "cvar", "alpha": 0.7, "weight": 0.5}}), "averse.yaml")
    s = averse.summary
    assert built(averse.tables) == {"Z": 50}
    assert s["objective_musd"] == pytest.approx(30, rel=REL)
    assert s["risk_value_musd"] == pytest.approx(30, rel=REL)
    assert s["cvar_musd"] == pytest.approx(30, rel=REL)
    assert s["expected_cost_musd"] == pytest.approx(30, rel=REL)
    assert by_future(averse, "cost_musd") == {k: pytest.approx(30, rel=REL) for k in ("wet", "average", "dry")}


def test_minimax_regret(tmp_path):
    """The two futures of the first test (own optima: wet 0, dry 30), Z a zone (up_to 100 MW).
    L + Z x MW: wet 1 + 0.6 x (regret 1 + 0.6 x); dry 1 + 0.6 x + (438 - 8.76 x) x 0.1 = 44.8 - 0.276 x
    (regret 14.8 - 0.276 x). The largest regret is least where they are equal:
    x = 13.8 / 0.876 = 15.7534 MW, regret 1 + 0.6 x = 10.452055 MUSD.
    Other plans: L alone 14.8; Z 50 alone 30 (wet); Z x alone: max(0.6 x, 189 - 3.78 x) >= 25.9;
    nothing 189. The expected cost of the minimax-regret plan: 0.5 x (1 + 0.6 x) + 0.5 x (44.8 - 0.276 x)
    = 22.9 + 0.162 x = 25.452055 MUSD.
    """
    run = solve(tmp_path, system(uncertainty={**futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5)),
                                              "risk": {"measure": "regret"}}))
    x = 13.8 / 0.876
    s = run.summary
    assert built(run.tables) == {"L": 100, "Z": pytest.approx(x, rel=1e-6)}
    assert s["max_regret_musd"] == pytest.approx(1 + 0.6 * x, rel=1e-6)
    assert s["risk_value_musd"] == pytest.approx(1 + 0.6 * x, rel=1e-6)
    assert s["expected_cost_musd"] == pytest.approx(22.9 + 0.162 * x, rel=1e-6)
    regret = by_future(run, "regret_musd")
    assert regret["wet"] == pytest.approx(regret["dry"], rel=1e-6)


@pytest.mark.parametrize("which", ["dry", "p90"])
def test_dry_year_firm_energy_target_binds(tmp_path, which):
    """Shortfall at 50 USD/MWh (0.05 MUSD/GWh): with wet f 1.0 / dry f 0.5 (p 0.5 each), nothing is
    built: E = 0.5 x 438 x 0.05 = 10.95 (L would cost 22.9, Z 50 MW 30). A firm energy of 876 GWh
    that must hold in the dry year (``scenario: dry``, or p90: futures from the driest, the first whose
    cumulative probability reaches 0.10, the dry year): the dry year must import 876, so L (E 22.9;
    Z 50 MW: 30). The criterion costs 22.9 - 10.95 = 11.95 MUSD of expected cost."""
    rows = futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5))
    options = {**tiny()["options"], "shortfall_penalty_usd_per_mwh": 50}
    free = solve(tmp_path, system(options=options, uncertainty=rows), "free.yaml")
    assert built(free.tables) == {}
    assert free.summary["expected_cost_musd"] == pytest.approx(10.95, rel=REL)
    firm = system(options=options, uncertainty=rows)
    firm["targets"].append({"scope": "VN", "year": 2025, "energy_gwh": 876, "scenario": which})
    run = solve(tmp_path, firm, "firm.yaml")
    assert built(run.tables) == {"L": 100}
    assert run.summary["expected_cost_musd"] == pytest.approx(22.9, rel=REL)
    imports = run.tables["imports"].set_index(["scenario", "scope"])
    assert imports.at[("dry", "VN"), "energy_gwh"] == pytest.approx(876, rel=REL)


def test_deterministic_hydro_energy_factor_dries_all_the_water(solve):
    """options.hydro_energy_factor 0.5: the run-of-river dam gives 438 GWh; a pondage plant's season
    budget and a yearly energy limit are halved too (200 MW pondage, wet 0.9: budget 4380 x 0.9 x 200
    = 788.4 GWh -> 394.2; limit 500 -> 250 GWh binds). Target 2000 GWh, nothing else: shortfall
    2000 - 438 - 250 = 1312 GWh x 0.5 = 656 MUSD."""
    slices = [{"id": "wet", "hours": 4380, "season": "wet", "peak": True},
              {"id": "dry", "hours": 4380, "season": "dry", "peak": True}]
    data = tiny(time={"slices": slices}, options={**tiny()["options"], "hydro_energy_factor": 0.5},
                projects=[project("dam", 100),
                          project("pond", 200, hydro_kind="pondage", availability={"wet": 0.9, "dry": 0.3},
                                  max_energy_gwh_per_year=500)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 2000}])
    run = solve(data)
    d = run.tables["dispatch"].groupby("project").energy_gwh.sum()
    assert d["dam"] == pytest.approx(438, rel=REL)
    assert d["pond"] == pytest.approx(250, rel=REL)
    assert run.summary["objective_musd"] == pytest.approx(656, rel=REL)


BAD = [
    ("a future's set changes a build option",
     {"scenarios": [{"id": "a", "probability": 1.0, "set": {"projects.L.capex_usd_per_kw": 50}}]},
     ["uncertainty.scenarios[a].set.projects.L.capex_usd_per_kw", "what can be built"]),
    ("a future's set changes the buyers",
     {"scenarios": [{"id": "a", "probability": 1.0, "set": {"options.importing_countries": ["VN", "LA"]}}]},
     ["uncertainty.scenarios[a].set.options.importing_countries", "not operating data"]),
    ("a future's set changes a link's circuits",
     {"scenarios": [{"id": "a", "probability": 0.5}, {"id": "b", "probability": 0.5, "set": {"links.line.circuits": 1}}]},
     ["uncertainty.scenarios[b].set.links.line.circuits", "what can be built"]),
    ("probabilities that do not sum to 1",
     {"scenarios": [{"id": "a", "probability": 0.5}, {"id": "b", "probability": 0.6}]},
     ["sum to 1.1"]),
    ("a hydrology row for an unknown future",
     {"scenarios": [{"id": "a", "probability": 1.0}], "hydrology": [{"scenario": "b", "project": "dam",
                                                                      "hydro_energy_factor": 0.5}]},
     ["'b'", "no such scenario"]),
    ("a hydrology row naming a plant that is not hydro",
     {"scenarios": [{"id": "a", "probability": 1.0}], "hydrology": [{"scenario": "a", "project": "L",
                                                                      "hydro_energy_factor": 0.5}]},
     ["uncertainty.hydrology[1].project", "not a hydro project"]),
    ("a misspelt project in set",
     {"scenarios": [{"id": "a", "probability": 1.0, "set": {"projects.dma.availability": {"year": 0.5}}}]},
     ["uncertainty.scenarios[a].set.projects.dma.availability", "dam"]),
]


@pytest.mark.parametrize("label, block, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_futures_are_refused_with_exit_2(tmp_path, label, block, expected):
    path = write(system(uncertainty=block), tmp_path)
    proc = planner("solve", path, "--out", tmp_path / "out", "--json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for text in expected:
        assert text in proc.stdout + proc.stderr, (text, proc.stdout, proc.stderr)
    assert not (tmp_path / "out").exists()


def test_target_of_a_future_without_futures_is_refused(tmp_path):
    data = system()
    data["targets"].append({"scope": "VN", "year": 2025, "energy_gwh": 876, "scenario": "dry"})
    with pytest.raises(ScenarioError, match="no uncertainty block"):
        solve(tmp_path, data)


def test_cli_writes_scenarios_hedges_and_workbook_sheets(tmp_path):
    path = write(system(uncertainty=futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5))), tmp_path)
    out = tmp_path / "out"
    proc = planner("solve", path, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "hedge" in proc.stdout and "VSS" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["vss_musd"] == pytest.approx(46.85, rel=REL)
    assert (out / "scenarios.csv").exists() and (out / "hedges.csv").exists()
    import openpyxl

    sheets = openpyxl.load_workbook(out / "results.xlsx", read_only=True).sheetnames
    assert {"scenarios", "hedges", "future_wet", "future_dry"} <= set(sheets)
    report = planner("report", out, "--out", tmp_path / "report.html")
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "report.html").read_text()
    assert "no_regret" in html or "hedge" in html
    assert "Cost by future" in html
    # compare takes a result of several futures as one column per future
    cmp = planner("compare", out, "--out", tmp_path / "cmp.xlsx")
    assert cmp.returncode == 0, cmp.stderr
    import pandas as pd

    summary_sheet = pd.read_excel(tmp_path / "cmp.xlsx", sheet_name="summary")
    row = summary_sheet.set_index("metric").loc["objective_musd"]
    assert float(row["out:wet"]) == pytest.approx(1.0, rel=REL)
    assert float(row["out:dry"]) == pytest.approx(44.8, rel=REL)


def test_base_hydrology_years(tmp_path):
    """The shipped hydrology-years variant: the plan is found, each future's tables close as any
    run's do (energy balances, costs to that future's cost, payments, nothing above what is online),
    the expected cost is the probability-weighted cost of the futures, the EVPI is not negative
    (beyond the MIP gap), and the lines and hydro every future's own plan builds are no-regret."""
    from types import SimpleNamespace

    from tests.checks import assert_all
    from tests.test_shipped_scenarios import BASE

    run = run_scenario(BASE / "hydrology_years.yaml")
    s = run.summary
    assert s["status"] == "optimal"
    scen = run.tables["scenarios"].set_index("scenario")
    assert list(scen.index) == ["wet", "average", "dry"]
    assert s["expected_cost_musd"] == pytest.approx((scen.cost_musd * scen.probability).sum(), rel=1e-9)
    assert s["evpi_musd"] >= -0.002 * abs(s["expected_cost_musd"])
    assert scen.at["dry", "hydro_energy_gwh"] < scen.at["average", "hydro_energy_gwh"] < scen.at["wet", "hydro_energy_gwh"]
    for f in run.futures:
        tables = {name: (t[t.scenario == f.id].drop(columns="scenario").reset_index(drop=True)
                         if "scenario" in t.columns else t) for name, t in run.tables.items()
                  if name not in ("scenarios", "hedges")}
        costs = tables["costs"]
        one = SimpleNamespace(data=f.data, tables=tables, summary={
            **s, "objective_musd": scen.at[f.id, "cost_musd"],
            **payers.views_summary(costs, tables["payments"], f.data)})
        assert_all(one)
    hedges = run.tables["hedges"].set_index("asset")["class"]
    for asset in ("north_500kv", "nam_u", "xekong5", "sekong_solar"):
        assert hedges[asset] == "no_regret", hedges


def test_set_changes_one_future_s_operating_data(tmp_path):
    """Two equally likely futures with the same water (f 0.5: 438 GWh short); in b the shortfall
    costs 50 USD/MWh (``set``), in a 500. Plans (a, b):
      L: a 1 + 43.8 = 44.8; b 1 + 438 x 0.05 = 22.9 (the shortfall is cheaper than L's energy): E 33.85.
      Z 50: 30, 30: E 30. Nothing: 219, 21.9: E 120.45.
      L + Z x: a 44.8 - 0.276 x, b 22.9 + 0.162 x: E 33.85 - 0.057 x, at x = 50: 31.
      Z x alone: a 219 - 3.78 x, b 21.9 + 0.162 x: E 120.45 - 1.809 x, at x = 50: 30.
    So Z 50 MW, 30 in each. Own optima: a Z 50 (30), b nothing (21.9): regret b 8.1.
    The average year (penalty 275): Z 50 (30) < L (44.8): the same plan, VSS 0."""
    block = {"scenarios": [
        {"id": "a", "probability": 0.5, "hydro_energy_factor": 0.5},
        {"id": "b", "probability": 0.5, "hydro_energy_factor": 0.5,
         "set": {"options.shortfall_penalty_usd_per_mwh": 50}}]}
    run = solve(tmp_path, system(uncertainty=block))
    assert built(run.tables) == {"Z": 50}
    assert run.summary["expected_cost_musd"] == pytest.approx(30, rel=REL)
    assert by_future(run, "own_optimum_musd") == {"a": pytest.approx(30, rel=REL), "b": pytest.approx(21.9, rel=REL)}
    assert by_future(run, "regret_musd")["b"] == pytest.approx(8.1, rel=REL)
    assert run.summary["vss_musd"] == pytest.approx(0, abs=1e-6)


def test_a_future_that_cannot_meet_its_must_hold_target_is_infeasible(tmp_path):
    """In the dry year (f 0.5) at most 438 (dam) + 876 (L) + 876 (Z 100 MW) = 2,190 GWh can reach VN:
    a must-hold 3,000 GWh cannot be met by any plan: exit 3, naming the future, nothing written."""
    data = system(uncertainty=futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5)))
    data["targets"].append({"scope": "VN", "year": 2025, "energy_gwh": 3000, "scenario": "dry"})
    path = write(data, tmp_path)
    proc = planner("solve", path, "--out", tmp_path / "out")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "future 'dry'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("level, future", [("p90", "dry"), ("p75", "dry"), ("p50", "average"), ("p10", "wet")])
def test_pnn_names_the_year_exceeded_with_that_probability(tmp_path, level, future):
    """Futures from the driest: dry 0.25 (cumulative 0.25), average 0.5 (0.75), wet 0.25 (1.0).
    pNN is the first whose cumulative probability reaches 1 - NN/100: p90 -> 0.10: dry; p75 -> 0.25:
    dry; p50 -> 0.50: average; p10 -> 0.90: wet. Its must-hold target is in that future's data only."""
    from planner.scenario import load_scenario
    from planner.stochastic import futures_of

    data = system(uncertainty=futures(("wet", 0.25, 1.2), ("average", 0.5, 1.0), ("dry", 0.25, 0.7)))
    data["targets"].append({"scope": "VN", "year": 2025, "energy_gwh": 500, "scenario": level})
    found, average = futures_of(load_scenario(write(data, tmp_path)))
    held = {f.id for f in found if f.data.firm_energy_targets}
    assert held == {future}
    assert found[[f.id for f in found].index(future)].data.firm_energy_targets == {("VN", 2025): 500.0}
    assert not average.data.firm_energy_targets


def test_validate_reads_the_futures(tmp_path):
    bad = system(uncertainty={"scenarios": [{"id": "a", "probability": 1.0,
                                             "set": {"horizon.discount_rate": 0.1}}]})
    proc = planner("validate", write(bad, tmp_path))
    assert proc.returncode == 2
    assert "uncertainty.scenarios[a].set.horizon.discount_rate" in proc.stdout + proc.stderr


def test_deterministic_factor_by_basin_and_a_name_that_is_neither(tmp_path):
    """options.hydro_energy_factor {Sekong: 0.5}: the dam (basin Sekong) gives 438 GWh, 438 short at
    0.5 MUSD/GWh, L (1 + 43.8 = 44.8) and Z 50 MW (30) against 219: Z 50, 30 MUSD. A key that is
    neither a hydro project nor a basin is refused, named."""
    data = system(options={**tiny()["options"], "hydro_energy_factor": {"Sekong": 0.5}})
    data["projects"][0]["basin"] = "Sekong"
    run = solve(tmp_path, data, "basin.yaml")
    assert run.summary["objective_musd"] == pytest.approx(30, rel=REL)
    data["options"]["hydro_energy_factor"] = {"Sekongg": 0.5}
    with pytest.raises(ScenarioError, match=r"options.hydro_energy_factor.Sekongg.*Sekong"):
        solve(tmp_path, data, "typo.yaml")


def test_future_sheets_count_the_hydro_plants_a_future_scales(tmp_path):
    """One rule for "hydro" (data.hydro_plants): the dam is a run-of-river plant of a technology
    called "river" (hydro_kind given), so a future's factor scales it; its workbook sheet counts it as
    hydro too, as the scenarios table does: wet (f 1.0) 876 GWh, dry (f 0.5) 438 GWh."""
    from planner.io.writers import future_sheets

    data = system()
    data["technologies"]["river"] = {"lifetime_years": 10, "hydro_kind": "run_of_river"}
    data["projects"][0] = project("dam", 100, technology="river")
    data["uncertainty"] = futures(("wet", 0.5, 1.0), ("dry", 0.5, 0.5))
    run = solve(tmp_path, data)
    assert run.summary["hydro_plants"] == ["dam"]
    scen = run.tables["scenarios"].set_index("scenario")
    assert scen.at["wet", "hydro_energy_gwh"] == pytest.approx(876, rel=REL)
    assert scen.at["dry", "hydro_energy_gwh"] == pytest.approx(438, rel=REL)
    sheets = {f: frame for f, frame in future_sheets(run.tables, "VN", run.summary["hydro_plants"]).values()}
    for f in ("wet", "dry"):
        assert sheets[f].hydro_energy_gwh.sum() == pytest.approx(scen.at[f, "hydro_energy_gwh"], rel=REL)
    # the technology rule of before would have counted nothing
    old = {f: frame for f, frame in future_sheets(run.tables, "VN").values()}
    assert old["dry"].hydro_energy_gwh.sum() == 0


def test_mistakes_of_every_stage_of_the_futures_are_said_at_once(tmp_path):
    """A misspelt path in one future's set (checked first) and an availability of 1.5 in another's
    (found only when that future's scenario is validated) are both said in one run, exit 2, nothing
    written (before, the first stage's mistakes were said alone)."""
    block = {"scenarios": [{"id": "a", "probability": 0.5, "set": {"projects.dma.availability": {"year": 0.5}}},
                           {"id": "b", "probability": 0.5, "set": {"projects.dam.availability": {"year": 1.5}}}]}
    path = write(system(uncertainty=block), tmp_path)
    proc = planner("solve", path, "--out", tmp_path / "out")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "Traceback" not in text
    assert "uncertainty.scenarios[a].set.projects.dma.availability" in text
    assert "uncertainty.scenarios[b].set" in text and "between 0 and 1" in text
    assert not (tmp_path / "out").exists()
