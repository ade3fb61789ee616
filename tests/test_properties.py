"""Properties that must hold on any scenario, checked on generated ones from the written tables:
energy balances close per node, year (and slice at exporting nodes), costs add up to the objective,
targets are met or their shortfall reported, nothing exceeds what is online."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.data import year_weights

TOL = 1e-6


def generated(seed: int, build: str) -> dict:
    rng = np.random.default_rng(seed)
    la = [f"LA{i}" for i in range(int(rng.integers(2, 4)))]
    vn = [f"VN{i}" for i in range(int(rng.integers(1, 3)))]
    nodes = [{"id": n, "country": "LA"} for n in la]
    nodes += [{"id": n, "country": "VN", **({"max_import_mw": 900.0} if rng.random() < 0.3 else {})} for n in vn]
    techs = {"hydro": {"lifetime_years": 40, "availability": {"wet": 0.9, "dry": 0.35}},
             "wind": {"lifetime_years": 20, "availability": {"wet": 0.25, "dry": 0.4}},
             "solar": {"lifetime_years": 20, "availability": {"wet_day": 0.3, "dry_day": 0.4, "wet_eve": 0.02,
                                                             "dry_eve": 0.05, "wet_night": 0, "dry_night": 0}},
             "coal": {"lifetime_years": 30, "availability": {"wet": 0.85, "dry": 0.85}, "emissions_t_per_mwh": 1.0}}
    projects = []
    for i in range(int(rng.integers(4, 9))):
        status = str(rng.choice(["existing", "committed", "candidate", "candidate"]))
        p = {"id": f"p{i}", "technology": str(rng.choice(list(techs))), "node": str(rng.choice(la)),
             "capacity_mw": float(rng.integers(50, 800)), "status": status,
             "capex_usd_per_kw": float(rng.integers(600, 2500)),
             "fixed_om_usd_per_kw_year": float(rng.integers(5, 40)),
             "energy_cost_usd_per_mwh": float(rng.integers(40, 80))}
        if status == "committed":
            p["online_year"] = int(rng.choice([2026, 2028, 2030]))
        if status == "existing" and rng.random() < 0.5:
            p["online_year"] = 2010
        if status == "candidate":
            p["sizing"] = str(rng.choice(["fixed", "up_to"]))
            if rng.random() < 0.5:
                p["earliest_year"] = 2028
        if p["technology"] == "hydro" and rng.random() < 0.5:
            p["max_energy_gwh_per_year"] = round(p["capacity_mw"] * 4.0, 1)
        projects.append(p)
    links = []
    for j, n in enumerate(la):
        links.append({"id": f"x{j}", "from": n, "to": str(rng.choice(vn)), "capacity_mw": float(rng.integers(200, 1500)),
                      "status": "existing" if j == 0 else "candidate", "capex_musd": float(rng.integers(50, 300)),
                      "loss_fraction": float(rng.choice([0.0, 0.02, 0.05]))})
    for j in range(len(la) - 1):
        links.append({"id": f"d{j}", "from": la[j], "to": la[j + 1], "capacity_mw": 1000.0, "status": "candidate",
                      "capex_musd": 80.0, "bidirectional": True, "loss_fraction": 0.01})
    cand = [p["id"] for p in projects if p["status"] == "candidate"]
    if len(cand) >= 2:
        projects[[p["id"] for p in projects].index(cand[0])]["excludes"] = [cand[1]]
    if cand:
        projects[[p["id"] for p in projects].index(cand[-1])]["requires"] = [links[-1]["id"]]
    slices = [{"id": f"{season}_{part}", "hours": h, "season": season, "peak": part == "eve"}
              for season in ("wet", "dry") for part, h in (("day", 1460), ("eve", 730), ("night", 2190))]
    return {
        "name": f"gen{seed}", "horizon": {"base_year": 2025, "years": [2026, 2028, 2030], "end_year": 2034,
                                          "discount_rate": 0.07},
        "time": {"slices": slices},
        "options": {"build": build, "solver": {"mip_gap": 0.0001, "time_limit_s": 60}},
        "nodes": nodes, "technologies": techs, "projects": projects, "links": links,
        "targets": [{"scope": "VN", "year": 2026, "energy_gwh": float(rng.integers(1000, 5000)),
                     "capacity_mw": float(rng.integers(200, 800))},
                    {"scope": "VN", "year": 2030, "energy_gwh": float(rng.integers(4000, 12000))},
                    {"scope": vn[0], "year": 2028, "capacity_mw": 150.0}],
        "limits": {"co2_price_usd_per_t": float(rng.choice([0, 15])),
                   "max_new_capacity_mw_per_year": 1500.0},
    }


CASES = [(seed, build) for seed in range(5) for build in ("integer", "continuous")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from planner.run import run_scenario
    from tests.conftest import write

    folder = tmp_path_factory.mktemp("gen")
    return {case: run_scenario(write(generated(*case), folder, f"g{case[0]}_{case[1]}.yaml")) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_balances_close(runs, case):
    run = runs[case]
    assert run.summary["status"] == "optimal"
    data, t = run.data, run.tables
    d = t["dispatch"].assign(node=lambda f: f.project.map(data.projects["node"]))
    f = t["flows"].merge(data.links, left_on="link", right_index=True)
    f["src"] = np.where(f.direction == "forward", f.from_node, f.to_node)
    f["dst"] = np.where(f.direction == "forward", f.to_node, f.from_node)
    f["recv_mw"] = f.flow_mw * (1 - f.loss_fraction)
    supply = d.groupby(["node", "year", "slice"]).generation_mw.sum()
    inflow = f.groupby(["dst", "year", "slice"]).recv_mw.sum().rename_axis(["node", "year", "slice"])
    outflow = f.groupby(["src", "year", "slice"]).flow_mw.sum().rename_axis(["node", "year", "slice"])
    net = supply.add(inflow, fill_value=0).sub(outflow, fill_value=0)
    scale = max(1.0, float(supply.abs().max()))
    exporting = net[net.index.get_level_values("node").str.startswith("LA")]
    assert (exporting.abs() <= TOL * scale).all(), exporting[exporting.abs() > TOL * scale]
    hours = pd.Series(data.hours)
    net_gwh = (net * net.index.get_level_values("slice").map(hours).to_numpy() / 1000).groupby(["node", "year"]).sum()
    imports = t["imports"].set_index(["scope", "year"]).energy_gwh
    for (node, year), value in net_gwh.items():
        if node in data.importing_nodes:
            assert value == pytest.approx(imports[(node, year)], rel=TOL, abs=TOL * scale)
    vn_total = imports[[i for i in imports.index if i[0] in data.importing_nodes]].groupby(level=1).sum()
    assert np.allclose(vn_total.to_numpy(), imports.xs("VN", level=0).to_numpy(), rtol=TOL)


@pytest.mark.parametrize("case", CASES)
def test_costs_add_up(runs, case):
    run = runs[case]
    data, t = run.data, run.tables
    costs = t["costs"]
    assert costs.discounted_musd.sum() == pytest.approx(run.summary["objective_musd"], rel=TOL)
    w = year_weights(data.years, 2025, 0.07, 2034)
    assert np.allclose(costs.discounted_musd, costs.undiscounted_musd * costs.year.map(w), rtol=TOL)
    d = t["dispatch"]
    energy = (d.energy_gwh * d.project.map(data.projects["energy_cost_usd_per_mwh"]) / 1000).groupby(d.year).sum()
    table_energy = costs[costs.component == "energy"].set_index("year").undiscounted_musd
    assert np.allclose(energy.reindex(table_energy.index, fill_value=0), table_energy, rtol=TOL, atol=1e-9)
    cap = t["capacity"].merge(data.assets[["annuity_musd_per_year", "capacity_mw"]], left_on="asset", right_index=True)
    capex = (cap.online_mw / cap.capacity_mw * cap.annuity_musd_per_year).groupby(cap.year).sum()
    table_capex = costs[costs.component == "capex"].set_index("year").undiscounted_musd
    assert np.allclose(capex.reindex(table_capex.index, fill_value=0), table_capex, rtol=TOL, atol=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_targets_met_or_shortfall_reported(runs, case):
    imports = runs[case].tables["imports"]
    e = imports.dropna(subset=["target_energy_gwh"])
    assert (e.energy_gwh + e.energy_shortfall_gwh >= e.target_energy_gwh * (1 - TOL) - TOL).all()
    c = imports.dropna(subset=["target_capacity_mw"])
    assert (c.firm_mw + c.capacity_shortfall_mw >= c.target_capacity_mw * (1 - TOL) - TOL).all()


@pytest.mark.parametrize("case", CASES)
def test_nothing_exceeds_what_is_online(runs, case):
    run = runs[case]
    data, t = run.data, run.tables
    assert (t["flows"].utilisation <= 1 + TOL).all()
    d = t["dispatch"]
    avail = [data.availability[(p, s)] for p, s in zip(d.project, d.slice)]
    online = t["capacity"].set_index(["asset", "year"]).online_mw
    limit = np.array(avail) * online.reindex(list(zip(d.project, d.year))).fillna(0).to_numpy()
    assert (d.generation_mw.to_numpy() <= limit * (1 + TOL) + TOL).all()
    b = t["builds"]
    if case[1] == "integer":
        fixed = b[(b.status == "candidate") & b.asset.map(data.assets["sizing"]).eq("fixed")]
        assert np.allclose(fixed.capacity_mw, fixed.asset.map(data.assets["capacity_mw"]))
    total = b[b.status == "candidate"].groupby("asset").capacity_mw.sum()
    assert (total <= total.index.map(data.assets["capacity_mw"]) * (1 + TOL)).all()
