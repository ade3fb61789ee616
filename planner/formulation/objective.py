"""The objective: every cost term, in one place (SPEC §3 objective, §3.1 conventions, §3.2 payers).

Costs are in USD million (MUSD). For each modelled year y the annual cost components are Pyomo
Expressions, so results can read them back; the objective weights them by W_y, the sum of the
discount factors of the calendar years y represents.

Two views of the same plan (``options.perspective`` picks the one minimised; results report both):
- system: the resource cost of the export system (annuities, fixed O&M, variable cost);
- importer: what the importer pays (PPA tariffs on energy, with take-or-pay, and its share of links).
CO2, shortfall penalties (the cost of buying the shortfall elsewhere) and the value of imported
energy (a credit) are in both.
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData
from .demand import lost_load_cost
from .investment import online_fraction

VIEWS = {
    "system": ("capex", "fixed_om", "energy", "co2", "penalty", "lost_load", "import_value"),
    "importer": ("payments", "links", "co2", "penalty", "lost_load", "import_value"),
}
#: every component that may appear in costs.csv, in its order
COMPONENTS = ("capex", "fixed_om", "energy", "payments", "links", "co2", "penalty", "lost_load", "import_value")


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

    lost_load[y]    = sum_{n,s} hours[s] * unserved[n,y,s] * value_of_lost_load[n,y,s] / 1e6   (demand.py)
    import_value[y] = - sum_{n importing, s} hours[s] * import[n,y,s] * import_value_usd_per_mwh[n,y,s] / 1e6
    links[y]        = sum_l importer_share[l] * (annuity[l] + fixed_om[l]) * online_fraction[l,y]
    payments[y]     = sum_{p,s} hours[s] * gen[p,y,s] * tariff[p,y] / 1e6          (no take-or-pay)
                    + sum_p paid_energy[p,y] * tariff[p,y] / 1000                   (take-or-pay, must-take)

    payments and links are the importer's view (built only when it is the one minimised; results
    compute both views from the solution); tariff[p,y] is the offered tariff, else the break-even,
    escalated to year y (ModelData.tariff). Maximising Vietnam's net benefit (SPEC §3.3) is
    minimising this objective: the value of the imports enters as a negative cost.
    """
    assets = data.assets
    annuity, fom = assets["annuity_musd_per_year"].to_dict(), assets["fixed_om_musd_per_year"].to_dict()
    cost, emis = data.projects["energy_cost_usd_per_mwh"].to_dict(), data.projects["emissions_t_per_mwh"].to_dict()
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

    gen = m.gen

    def energy_rule(m, y):
        return sum(data.hours[s] * cost[p] / 1e6 * gen[p, y, s] for p, s in gens_of_year[y] if cost[p] > 0)

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

    value = data.import_value

    def import_value_rule(m, y):
        return -sum(data.hours[s] * value[(n, y, s)] / 1e6 * m.imports[n, y, s]
                    for n in data.importing_nodes for s in data.slices if value.get((n, y, s), 0.0) > 0)

    m.cost_import_value = pyo.Expression(m.years, rule=import_value_rule)
    m.cost_lost_load = pyo.Expression(m.years, rule=lambda m, y: lost_load_cost(m, data, y))
    if data.perspective == "importer":
        _add_importer_components(m, data, gens_of_year)


def _add_importer_components(m: pyo.ConcreteModel, data: ModelData, gens_of_year: dict) -> None:
    """payments[y] and links[y] of the importer's view (see add_cost_components), with take-or-pay:

    paid_energy[p,y] >= sum_s hours[s] * gen[p,y,s] / 1000                          (GWh taken)
    paid_energy[p,y] >= take_or_pay_share[p] * expected_energy_gwh[p] * online_fraction[p,y]

    (a must-take plant has take_or_pay_share 1: everything it can make is paid, delivered or not)
    """
    top = data.projects["take_or_pay_share"]
    tariff = {(p, y): data.tariff(p, y) for p in data.projects.index for y in data.years}
    expected = data.projects["expected_energy_gwh"]
    paid_index = sorted({(p, y) for p, y, _ in data.gen_index if top[p] > 0}
                        | {(p, y) for p in data.projects.index if top[p] > 0 for y in data.years
                           if data.can_be_online(p, y)})
    m.paid_energy_index = pyo.Set(dimen=2, initialize=paid_index, ordered=True)
    m.paid_energy = pyo.Var(m.paid_energy_index, bounds=(0, None))  # GWh paid for
    gens_of: dict[tuple[str, int], list[str]] = {}
    for y, pairs in gens_of_year.items():
        for p, s in pairs:
            gens_of.setdefault((p, y), []).append(s)

    def take_rule(m, p, y):
        return m.paid_energy[p, y] >= sum(data.hours[s] / 1000.0 * m.gen[p, y, s] for s in gens_of.get((p, y), []))

    def take_or_pay_rule(m, p, y):
        return m.paid_energy[p, y] >= top[p] * expected[p] * online_fraction(m, data, p, y)

    m.take_or_pay_taken = pyo.Constraint(m.paid_energy_index, rule=take_rule)
    m.take_or_pay = pyo.Constraint(m.paid_energy_index, rule=take_or_pay_rule)
    paid = set(paid_index)

    def payments_rule(m, y):
        return (sum(data.hours[s] * tariff[p, y] / 1e6 * m.gen[p, y, s] for p, s in gens_of_year[y]
                    if tariff[p, y] > 0 and (p, y) not in paid)
                + sum(tariff[p, y] / 1000.0 * m.paid_energy[p, y] for p, yy in paid_index
                      if yy == y and tariff[p, y] > 0))

    assets, share = data.assets, data.links["importer_share"]

    def links_rule(m, y):
        return sum(share[lk] * (assets.at[lk, "annuity_musd_per_year"] + assets.at[lk, "fixed_om_musd_per_year"])
                   * online_fraction(m, data, lk, y) for lk in data.links.index if share[lk] > 0)

    m.cost_payments = pyo.Expression(m.years, rule=payments_rule)
    m.cost_links = pyo.Expression(m.years, rule=links_rule)


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """minimise sum_y W_y * (capex[y] + fixed_om[y] + energy[y] + co2[y] + penalty[y] + lost_load[y] + import_value[y])
    (perspective system), or
    minimise sum_y W_y * (payments[y] + links[y] + co2[y] + penalty[y] + lost_load[y] + import_value[y])
    (perspective importer); MUSD, NPV to base_year."""
    view = VIEWS[data.perspective]

    def total_cost_rule(m):
        return sum(data.weight[y] * sum(getattr(m, f"cost_{c}")[y] for c in view) for y in data.years)

    m.total_cost = pyo.Objective(rule=total_cost_rule, sense=pyo.minimize)
