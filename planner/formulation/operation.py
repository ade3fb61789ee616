"""Operation: generation within availability and within yearly energy limits (SPEC §3 families 1-2).

``gen[p,y,s]`` (MW) exists only where project p can run in year y and its availability in
slice s is above zero, so the model carries no variables for plants that cannot run.
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData
from .investment import operating_fraction


def add_generation_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """gen[p,y,s] >= 0 (MW) for (p,y,s) in gen_index."""
    m.gen_index = pyo.Set(dimen=3, initialize=data.gen_index, ordered=True)
    m.gen = pyo.Var(m.gen_index, domain=pyo.NonNegativeReals)


def add_availability(m: pyo.ConcreteModel, data: ModelData) -> None:
    """gen[p,y,s] <= availability[p,s] * capacity_mw[p] * operating_fraction[p,y]   for (p,y,s) in gen_index

    Availability defaults to 1.0; a project's value overrides its technology's, a slice id
    overrides a season (SPEC §3). operating_fraction is the online fraction, except that an
    existing/committed plant runs only while what it requires runs (``investment.add_requires``).
    Where the operating fraction is a constant (an existing or committed plant whose running is
    settled by the data) the row is only a bound: it is written as gen's upper bound, not a row.
    """
    capacity = data.assets["capacity_mw"].to_dict()
    availability, gen = data.availability, m.gen
    operating = {(p, y): operating_fraction(m, data, p, y) for p, y, _s in data.gen_index}
    rows = []
    for p, y, s in data.gen_index:
        term = operating[(p, y)]
        if isinstance(term, float):
            gen[p, y, s].setub(availability[(p, s)] * capacity[p] * term)
        else:
            rows.append((p, y, s))

    def availability_rule(m, p, y, s):
        return gen[p, y, s] <= availability[(p, s)] * capacity[p] * operating[(p, y)]

    m.availability = pyo.Constraint(pyo.Set(dimen=3, initialize=rows, ordered=True), rule=availability_rule)


def add_energy_limit(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_s hours[s] * gen[p,y,s] / 1000 <= max_energy_gwh_per_year[p] * operating_fraction[p,y]

    for energy-limited projects p (e.g. a reservoir's firm energy) and years y where p can be
    online. Scaling by the online fraction keeps an ``up_to`` zone's limit in proportion.
    """
    slices_of: dict[tuple[str, int], list[str]] = {}
    for p, y, s in data.gen_index:
        slices_of.setdefault((p, y), []).append(s)
    limited = set(data.energy_limited)
    index = [(p, y) for (p, y) in slices_of if p in limited]
    limit = data.projects["max_energy_gwh_per_year"].to_dict()
    per_gwh = {s: h / 1000.0 for s, h in data.hours.items()}

    def energy_limit_rule(m, p, y):
        energy = sum(per_gwh[s] * m.gen[p, y, s] for s in slices_of[(p, y)])
        return energy <= float(limit[p]) * operating_fraction(m, data, p, y)

    m.energy_limit = pyo.Constraint(pyo.Set(dimen=2, initialize=index, ordered=True), rule=energy_limit_rule)


def add_season_energy_budget(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{s in season} hours[s] * gen[p,y,s] / 1000 <= season_budget_gwh[p,season] * operating_fraction[p,y]

    for pondage and reservoir plants p (``hydro_kind``), every season and year y where p can run.
    Their power is bounded by capacity alone in every slice (availability 1.0, ``add_availability``),
    so the season's water (its budget: given, or the energy run-of-river operation would give) may
    be put into any slice of the season, e.g. the evening peak. A run-of-river plant has no budget:
    its availability caps every slice.
    """
    slices_of: dict[tuple[str, int], set] = {}
    for p, y, s in data.gen_index:
        slices_of.setdefault((p, y), set()).add(s)
    index = [(p, season, y) for (p, season) in sorted(data.season_budget_gwh) for y in data.years
             if (p, y) in slices_of]

    def season_energy_budget_rule(m, p, season, y):
        here = [s for s in data.season_slices[season] if s in slices_of[(p, y)]]
        if not here:
            return pyo.Constraint.Skip
        energy = sum(data.hours[s] / 1000.0 * m.gen[p, y, s] for s in here)
        return energy <= data.season_budget_gwh[(p, season)] * operating_fraction(m, data, p, y)

    m.season_energy_budget = pyo.Constraint(pyo.Set(dimen=3, initialize=index, ordered=True),
                                            rule=season_energy_budget_rule)
