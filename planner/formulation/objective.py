"""The objective: every cost term, in one place (SPEC §3 objective and §3.1 conventions).

Costs are in USD million (MUSD). For each modelled year y the annual cost components are Pyomo
Expressions, so results can read them back; the objective weights them by W_y, the sum of the
discount factors of the calendar years y represents.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ..data import ModelData
from .investment import online_fraction

COMPONENTS = ("capex", "fixed_om", "energy", "co2", "penalty")


def add_cost_components(m: pyo.ConcreteModel, data: ModelData) -> None:
    """annual cost in year y (MUSD), one Expression per component:

    capex[y]    = sum_a annuity_musd_per_year[a] * online_fraction[a,y]   (existing assets: 0, sunk)
    fixed_om[y] = sum_a fixed_om_musd_per_year[a] * online_fraction[a,y]
    energy[y]   = sum_{p,s} hours[s] * gen[p,y,s] * energy_cost_usd_per_mwh[p] / 1e6
    co2[y]      = sum_{p,s} hours[s] * gen[p,y,s] * emissions_t_per_mwh[p] * co2_price_usd_per_t / 1e6
    penalty[y]  = sum_t energy_shortfall[t,y] * 1000 * shortfall_penalty_usd_per_mwh / 1e6
                + sum_t capacity_shortfall[t,y] * 1000 * capacity_shortfall_penalty_usd_per_kw_year / 1e6
                + sum_t contracted_shortfall[t,y] * 1000 * capacity_shortfall_penalty_usd_per_kw_year / 1e6

    with annuity = capex x CRF(discount_rate, lifetime_years).
    """
    assets = data.assets
    annuity, fom = assets["annuity_musd_per_year"], assets["fixed_om_musd_per_year"]
    cost, emis = data.projects["energy_cost_usd_per_mwh"], data.projects["emissions_t_per_mwh"]
    gens_of_year: dict[int, list] = {y: [] for y in data.years}
    for p, y, s in data.gen_index:
        gens_of_year[y].append((p, s))
    co2_price = data.co2_price_usd_per_t
    e_pen = 1000.0 * data.shortfall_penalty_usd_per_mwh / 1e6
    c_pen = 1000.0 * data.capacity_shortfall_penalty_usd_per_kw_year / 1e6

    def capex_rule(m, y):
        return sum(annuity[a] * online_fraction(m, data, a, y) for a in assets.index if annuity[a] > 0)

    def fixed_om_rule(m, y):
        return sum(fom[a] * online_fraction(m, data, a, y) for a in assets.index if fom[a] > 0)

    def energy_rule(m, y):
        return sum(data.hours[s] * cost[p] / 1e6 * m.gen[p, y, s] for p, s in gens_of_year[y] if cost[p] > 0)

    def co2_rule(m, y):
        if co2_price == 0:
            return 0.0
        return sum(data.hours[s] * emis[p] * co2_price / 1e6 * m.gen[p, y, s]
                   for p, s in gens_of_year[y] if emis[p] > 0)

    def penalty_rule(m, y):
        return (sum(e_pen * m.energy_shortfall[t, yy] for t, yy in m.energy_target_index if yy == y)
                + sum(c_pen * m.capacity_shortfall[t, yy] for t, yy in m.capacity_target_index if yy == y)
                + sum(c_pen * m.contracted_shortfall[t, yy] for t, yy in m.contracted_target_index if yy == y))

    m.years = pyo.Set(initialize=data.years, ordered=True)
    m.cost_capex = pyo.Expression(m.years, rule=capex_rule)
    m.cost_fixed_om = pyo.Expression(m.years, rule=fixed_om_rule)
    m.cost_energy = pyo.Expression(m.years, rule=energy_rule)
    m.cost_co2 = pyo.Expression(m.years, rule=co2_rule)
    m.cost_penalty = pyo.Expression(m.years, rule=penalty_rule)


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """minimise sum_y W_y * (capex[y] + fixed_om[y] + energy[y] + co2[y] + penalty[y])   (MUSD, NPV to base_year)"""

    def total_cost_rule(m):
        return sum(data.weight[y] * sum(getattr(m, f"cost_{c}")[y] for c in COMPONENTS) for y in data.years)

    m.total_cost = pyo.Objective(rule=total_cost_rule, sense=pyo.minimize)
