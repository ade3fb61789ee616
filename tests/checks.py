"""Checks that must hold on the written tables of any solved scenario: energy balances close per
node, year (and slice at exporting nodes), costs add up to the objective, targets are met or their
shortfall reported, nothing exceeds what is online. Used on generated and on shipped scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

TOL = 1e-6


def assert_balances_close(run) -> None:
    data, t = run.data, run.tables
    d = t["dispatch"].assign(node=lambda f: f.project.map(data.projects["node"]))
    f = t["flows"].merge(data.links, left_on="link", right_index=True)
    f["src"] = np.where(f.direction == "forward", f.from_node, f.to_node)
    f["dst"] = np.where(f.direction == "forward", f.to_node, f.from_node)
    f["recv_mw"] = f.flow_mw * (1 - f.loss_fraction)
    supply = d.groupby(["node", "year", "slice"]).generation_mw.sum()
    if "storage" in t:  # what stores charge is taken from their node
        st = t["storage"].assign(node=lambda f: f.project.map(data.projects["node"]))
        supply = supply.sub(st.groupby(["node", "year", "slice"]).charge_mw.sum(), fill_value=0)
    inflow = f.groupby(["dst", "year", "slice"]).recv_mw.sum().rename_axis(["node", "year", "slice"])
    outflow = f.groupby(["src", "year", "slice"]).flow_mw.sum().rename_axis(["node", "year", "slice"])
    net = supply.add(inflow, fill_value=0).sub(outflow, fill_value=0)
    if "demand" in t:  # demand served at a node is taken from it before export (SPEC §3.6)
        net = net.sub(t["demand"].set_index(["node", "year", "slice"]).served_mw, fill_value=0)
    scale = max(1.0, float(supply.abs().max()))
    exporting = net[~net.index.get_level_values("node").isin(data.importing_nodes)]
    assert (exporting.abs() <= TOL * scale).all(), exporting[exporting.abs() > TOL * scale]
    hours = pd.Series(data.hours)
    net_gwh = (net * net.index.get_level_values("slice").map(hours).to_numpy() / 1000).groupby(["node", "year"]).sum()
    imports = t["imports"].set_index(["scope", "year"]).energy_gwh
    for (node, year), value in net_gwh.items():
        if node in data.importing_nodes:
            assert value == pytest.approx(imports[(node, year)], rel=TOL, abs=TOL * scale)
    for country in getattr(data, "importing_countries", [run.summary.get("importing_country", "VN")]):
        if country not in imports.index.get_level_values(0):
            continue
        mine = [n for n in data.importing_nodes if data.node_country[n] == country]
        total = imports[[i for i in imports.index if i[0] in mine]].groupby(level=1).sum()
        assert np.allclose(total.to_numpy(), imports.xs(country, level=0).to_numpy(), rtol=TOL)


def assert_costs_add_up(run) -> None:
    data, t = run.data, run.tables
    all_costs = t["costs"]
    minimised = all_costs[all_costs.in_objective]
    assert set(minimised.view) == {run.summary["perspective"]}
    assert minimised.discounted_musd.sum() == pytest.approx(run.summary["objective_musd"], rel=TOL, abs=1e-9)
    assert np.allclose(all_costs.discounted_musd, all_costs.undiscounted_musd * all_costs.year.map(data.weight),
                       rtol=TOL)
    assert_payments_add_up(run)
    costs = all_costs[all_costs.view == "system"]
    d = t["dispatch"]
    energy = (d.energy_gwh * d.project.map(data.projects["energy_cost_usd_per_mwh"]) / 1000).groupby(d.year).sum()
    table_energy = costs[costs.component == "energy"].set_index("year").undiscounted_musd
    assert np.allclose(energy.reindex(table_energy.index, fill_value=0), table_energy, rtol=TOL, atol=1e-9)
    cap = t["capacity"].merge(data.assets[["annuity_musd_per_year", "capacity_mw"]], left_on="asset", right_index=True)
    capex = (cap.online_mw / cap.capacity_mw * cap.annuity_musd_per_year).groupby(cap.year).sum()
    table_capex = costs[costs.component == "capex"].set_index("year").undiscounted_musd
    assert np.allclose(capex.reindex(table_capex.index, fill_value=0), table_capex, rtol=TOL, atol=1e-9)


def assert_payments_add_up(run) -> None:
    """Both views of one plan: the importer's payments are payments.csv's, rent = payment - resource
    cost, and the projects' resource costs plus the links' annuities and O&M are the system view's
    capex + fixed O&M + energy; the views share CO2, penalty and import value; summary's NPVs match."""
    data, t = run.data, run.tables
    costs, pay = t["costs"], t["payments"]
    by = costs.pivot_table(index="year", columns=["view", "component"], values="undiscounted_musd", aggfunc="sum")
    paid = pay.groupby("year").payment_musd.sum().reindex(by.index, fill_value=0.0)
    assert np.allclose(by[("importer", "payments")], paid, rtol=TOL, atol=1e-9)
    assert np.allclose(pay.rent_musd, pay.payment_musd - pay.resource_cost_musd, rtol=TOL, atol=1e-9)
    assert (pay.paid_gwh >= pay.energy_gwh - 1e-9).all()
    cap = t["capacity"].merge(data.assets[["kind", "annuity_musd_per_year", "fixed_om_musd_per_year", "capacity_mw"]],
                              left_on="asset", right_index=True)
    cap = cap[cap.kind == "link"]
    links = (cap.online_mw / cap.capacity_mw * (cap.annuity_musd_per_year + cap.fixed_om_musd_per_year)) \
        .groupby(cap.year).sum().reindex(by.index, fill_value=0.0)
    resource = pay.groupby("year").resource_cost_musd.sum().reindex(by.index, fill_value=0.0)
    system = by[("system", "capex")] + by[("system", "fixed_om")] + by[("system", "energy")]
    assert np.allclose(resource + links, system, rtol=1e-6, atol=1e-6)
    for c in ("co2", "penalty", "import_value"):
        assert np.allclose(by[("system", c)], by[("importer", c)], rtol=TOL, atol=1e-9)
    npv = costs.groupby("view").discounted_musd.sum()
    assert run.summary["system_cost_musd"] == pytest.approx(npv["system"], rel=TOL, abs=1e-9)
    assert run.summary["importer_cost_musd"] == pytest.approx(npv["importer"], rel=TOL, abs=1e-9)


def assert_targets_met_or_reported(run) -> None:
    imports = run.tables["imports"]
    e = imports.dropna(subset=["target_energy_gwh"])
    assert (e.energy_gwh + e.energy_shortfall_gwh >= e.target_energy_gwh * (1 - TOL) - TOL).all()
    c = imports.dropna(subset=["target_capacity_mw"])
    assert (c.firm_mw + c.capacity_shortfall_mw >= c.target_capacity_mw * (1 - TOL) - TOL).all()


def assert_nothing_exceeds_what_is_online(run) -> None:
    data, t = run.data, run.tables
    assert (t["flows"].utilisation <= 1 + TOL).all()
    d = t["dispatch"]
    avail = [data.availability[(p, s)] for p, s in zip(d.project, d.slice)]
    online = t["capacity"].set_index(["asset", "year"]).online_mw
    limit = np.array(avail) * online.reindex(list(zip(d.project, d.year))).fillna(0).to_numpy()
    assert (d.generation_mw.to_numpy() <= limit * (1 + TOL) + TOL).all()
    b = t["builds"]
    if data.build_mode == "integer":
        fixed = b[(b.status == "candidate") & b.asset.map(data.assets["sizing"]).eq("fixed")]
        assert np.allclose(fixed.capacity_mw, fixed.asset.map(data.assets["capacity_mw"]))
    total = b[b.status == "candidate"].groupby("asset").capacity_mw.sum()
    cap = data.assets["capacity_mw"].reindex(total.index).to_numpy(dtype=float)  # (an empty index keeps no dtype)
    assert (total.to_numpy() <= cap * (1 + TOL)).all()


def assert_all(run) -> None:
    assert run.summary["status"] == "optimal"
    assert_balances_close(run)
    assert_costs_add_up(run)
    assert_targets_met_or_reported(run)
    assert_nothing_exceeds_what_is_online(run)
