"""Limits on the plan: build rate, capex budget, tariff ceiling, import limit of a scope (SPEC §3 family 8).

The CO2 price is a cost term and lives in objective.py.
"""

from __future__ import annotations

import pyomo.core as pyo

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
    """build[p,y] does not exist for candidate p with tariff[p] > ceiling[technology_p]

    tariff[p] is the project's tariff_usd_per_mwh (or its technology's), else its energy cost; the
    ceiling is limits.max_tariff_usd_per_mwh, one number or one per technology.

    The ceiling is enforced by sparsity: ``data.build_years`` leaves such candidates out, so they
    can never come online; existing and committed projects still run. The excluded ids are kept on
    the model (``m.excluded_by_tariff``) and reported in builds.csv and summary.json.
    """
    m.excluded_by_tariff = pyo.Set(initialize=sorted(data.excluded_by_tariff), ordered=True)


def add_scope_import_limit(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{n in scope} import[n,y,s] <= max_import_mw_by_scope[scope]   for every scope, year y, slice s

    A limit on what a whole scope (a country, or a node) absorbs in any slice, e.g. "imports stay
    at or below 10 % of peak demand". A node's own ``max_import_mw`` is a bound on its variable.
    """
    from .arrays import LE
    from .targets import scope_rows

    index = [(sc, y, s) for sc in sorted(data.max_import_mw_by_scope) for y in data.years for s in data.slices]
    scope_rows(m, data, "scope_import_limit", index, lambda k: (k[0], k[1], (k[2],)), lambda s: 1.0, LE,
                [data.max_import_mw_by_scope[k[0]] for k in index])
