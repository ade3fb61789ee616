"""Limits on the plan: build rate, capex budget, tariff ceiling (SPEC §3 family 8).

The CO2 price is a cost term and lives in objective.py.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData


def add_max_new_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{candidate projects p} capacity_mw[p] * build[p,y] <= max_new_capacity_mw_per_year

    for every modelled year y (MW of candidate projects coming online in that year).
    """
    if data.max_new_capacity_mw_per_year is None:
        return
    kind, capacity = data.assets["kind"], data.assets["capacity_mw"]
    by_year: dict[int, list] = {}
    for a, y in data.build_years:
        if kind[a] == "project":
            by_year.setdefault(y, []).append(a)

    def max_new_capacity_rule(m, y):
        return sum(capacity[a] * m.build[a, y] for a in by_year[y]) <= data.max_new_capacity_mw_per_year

    m.max_new_capacity = pyo.Constraint(sorted(by_year), rule=max_new_capacity_rule)


def add_capex_budget(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{candidate assets a} capex_musd[a] * build[a,y] <= capex_budget_musd_per_year

    for every modelled year y: full capex (not the annuity) of projects and links coming online.
    """
    if data.capex_budget_musd_per_year is None:
        return
    capex = data.assets["capex_musd"]
    by_year: dict[int, list] = {}
    for a, y in data.build_years:
        if capex[a] > 0:
            by_year.setdefault(y, []).append(a)

    def capex_budget_rule(m, y):
        return sum(capex[a] * m.build[a, y] for a in by_year[y]) <= data.capex_budget_musd_per_year

    m.capex_budget = pyo.Constraint(sorted(by_year), rule=capex_budget_rule)


def add_tariff_ceiling(m: pyo.ConcreteModel, data: ModelData) -> None:
    """build[p,y] does not exist for candidate p with energy_cost_usd_per_mwh[p] > max_tariff_usd_per_mwh

    The ceiling is enforced by sparsity: ``data.build_years`` leaves such candidates out, so they
    can never come online; existing and committed projects still run. The excluded ids are kept on
    the model (``m.excluded_by_tariff``) and reported in builds.csv and summary.json.
    """
    m.excluded_by_tariff = pyo.Set(initialize=sorted(data.excluded_by_tariff), ordered=True)
