"""Storage: batteries and pumped hydro that move energy between the hours of a period (issue
"Hourly data, representative days", chronology).

A storage project p (``storage_hours`` > 0) discharges ``gen[p,y,s]`` (MW, bounded by its
availability as any plant) and charges ``charge[p,y,s]`` (MW) from its node; its state of charge
``soc[p,y,s]`` (MWh, at the end of slice s) follows the slices of a period in their order and
returns to where it began (a cycle per period: each representative day repeats). A slice stands
for ``hours / duration_h`` occurrences of a step ``duration_h`` hours long (1 h for hourly data
aggregated to representative days); a slice outside any period is a cycle of its own (nothing is
moved across it).
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData
from .investment import operating_fraction


def add_storage_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """charge[p,y,s] >= 0 (MW) and soc[p,y,s] >= 0 (MWh) for storage p wherever it can run."""
    index = [(p, y, s) for p in data.storage for y in data.years if data.can_operate(p, y) for s in data.slices]
    m.storage_index = pyo.Set(dimen=3, initialize=index, ordered=True)
    m.charge = pyo.Var(m.storage_index, domain=pyo.NonNegativeReals)
    m.soc = pyo.Var(m.storage_index, domain=pyo.NonNegativeReals)


def add_storage_limits(m: pyo.ConcreteModel, data: ModelData) -> None:
    """charge[p,y,s] <= capacity_mw[p] * operating_fraction[p,y]
    soc[p,y,s]    <= storage_hours[p] * capacity_mw[p] * operating_fraction[p,y]"""
    capacity = data.assets["capacity_mw"]

    def charge_limit_rule(m, p, y, s):
        return m.charge[p, y, s] <= capacity[p] * operating_fraction(m, data, p, y)

    def soc_limit_rule(m, p, y, s):
        return m.soc[p, y, s] <= data.storage[p][0] * capacity[p] * operating_fraction(m, data, p, y)

    m.charge_limit = pyo.Constraint(m.storage_index, rule=charge_limit_rule)
    m.soc_limit = pyo.Constraint(m.storage_index, rule=soc_limit_rule)


def add_storage_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    """soc[p,y,s] = soc[p,y,prev(s)] + (efficiency[p] * charge[p,y,s] - gen[p,y,s]) * duration_h[s]

    prev(s): the slice before s in its period, the last one for the first (a cycle); a slice
    outside a period is its own prev. efficiency is the round-trip efficiency, charged on the way in.
    """
    gens = set(m.gen_index)

    def storage_balance_rule(m, p, y, s):
        out = m.gen[p, y, s] if (p, y, s) in gens else 0.0
        eff = data.storage[p][1]
        return m.soc[p, y, s] == m.soc[p, y, data.previous_slice[s]] \
            + (eff * m.charge[p, y, s] - out) * data.duration_h[s]

    m.storage_balance = pyo.Constraint(m.storage_index, rule=storage_balance_rule)
