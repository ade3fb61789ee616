"""Targets: imported energy and firm capacity per scope and year, with priced shortfall
(SPEC §3 families 5-6).

A scope is a node id or a country code (the importing nodes of that country). Unless
``strict_targets`` is set, one energy shortfall (GWh) and one capacity shortfall (MW, shared by all
peak slices) per target scope and year make every target reachable at a penalty.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from ..data import ModelData
from .arrays import GE, ArrayRows, add_rows
from .investment import operating_fraction


def scope_rows(m, data: ModelData, name: str, keys: list, scope_year_slices, coef_of, sense, rhs,
                shortfall=None) -> None:
    """rows over ``keys``: sum_{n in scope, s in slices} coef_of(s) * imports[n,y,s] (+ shortfall[t,y])
    (sense) rhs, with ``scope_year_slices(key)`` -> (scope, year, slices)."""
    rows = ArrayRows(name, keys, sense, rhs)
    r, cols, coef = [], [], []
    position = m.imports.position
    for i, key in enumerate(keys):
        t, y, slices = scope_year_slices(key)
        for n in data.scope_nodes[t]:
            for s in slices:
                r.append(i)
                cols.append(position[(n, y, s)])
                coef.append(coef_of(s))
    rows.add(m.imports, r, cols, coef)
    if shortfall is not None:
        rows.add_pyomo(np.arange(len(keys)), [shortfall[k[0], k[1]] for k in keys], 1.0)
    add_rows(m, rows)


def add_shortfall_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """energy_shortfall[t,y] >= 0 (GWh), capacity_shortfall[t,y] >= 0 (MW); fixed to 0 when strict."""
    bounds = (0, 0) if data.strict_targets else (0, None)
    m.energy_target_index = pyo.Set(dimen=2, initialize=sorted(data.energy_targets), ordered=True)
    m.capacity_target_index = pyo.Set(dimen=2, initialize=sorted(data.capacity_targets), ordered=True)
    m.energy_shortfall = pyo.Var(m.energy_target_index, bounds=bounds)
    m.capacity_shortfall = pyo.Var(m.capacity_target_index, bounds=bounds)
    m.contracted_target_index = pyo.Set(dimen=2, initialize=sorted(data.contracted_targets), ordered=True)
    m.contracted_shortfall = pyo.Var(m.contracted_target_index, bounds=bounds)  # MW


def add_energy_target(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{n in scope t} sum_s hours[s] * import[n,y,s] / 1000 + energy_shortfall[t,y] >= target_gwh[t,y]

    for every target scope t and modelled year y that has an energy target.
    """
    keys = sorted(data.energy_targets)
    scope_rows(m, data, "energy_target", keys, lambda k: (k[0], k[1], data.slices),
                lambda s: data.hours[s] / 1000.0, GE, [data.energy_targets[k] for k in keys], m.energy_shortfall)


def add_capacity_target(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{n in scope t} import[n,y,s] + capacity_shortfall[t,y] >= target_mw[t,y]

    for every target scope t and year y with a capacity target, and every peak slice s: firm,
    deliverable capacity at the hour it is needed.
    """
    index = [(t, y, s) for (t, y) in sorted(data.capacity_targets) for s in data.peak_slices]
    scope_rows(m, data, "capacity_target", index, lambda k: (k[0], k[1], (k[2],)), lambda s: 1.0, GE,
                [data.capacity_targets[k[:2]] for k in index], m.capacity_shortfall)


def add_contracted_capacity_target(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{p contracted to t} contracted_mw[p] * operating_fraction[p,y] + contracted_shortfall[t,y] >= target_mw[t,y]

    for every target scope t and year y with a contracted-capacity target (``contracted_mw``):
    MW of export plant under contract to the scope, as the agreements count it, with
    contracted_mw[p] = capacity_mw[p] x capacity_credit[p] (credit 1 unless the project or its
    technology states one). A plant counts while it may run (``operating_fraction``); whether its
    power reaches the border is what the energy and firm-capacity targets check.
    """
    contracted = data.contracted_mw_of

    def contracted_capacity_target_rule(m, t, y):
        counted = sum(mw * operating_fraction(m, data, p, y) for p, mw in contracted.get(t, {}).items()
                      if mw > 0 and data.can_operate(p, y))
        return counted + m.contracted_shortfall[t, y] >= data.contracted_targets[(t, y)]

    m.contracted_capacity_target = pyo.Constraint(m.contracted_target_index, rule=contracted_capacity_target_rule)


def add_firm_target(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{n in scope t} sum_s hours[s] * import[n,y,s] / 1000 >= firm_energy_gwh[t,y]
    sum_{n in scope t} import[n,y,s] >= firm_capacity_mw[t,y]   for every peak slice s

    Targets that must hold in this future (SPEC §3.4: a target row's ``scenario``, e.g. the firm
    energy an agreement promises in a dry year): no shortfall variable, so every plan the
    stochastic program may choose meets them in that future's hydrology.
    """
    keys = sorted(data.firm_energy_targets)
    scope_rows(m, data, "firm_energy_target", keys, lambda k: (k[0], k[1], data.slices),
                lambda s: data.hours[s] / 1000.0, GE, [data.firm_energy_targets[k] for k in keys])
    index = [(t, y, s) for (t, y) in sorted(data.firm_capacity_targets) for s in data.peak_slices]
    scope_rows(m, data, "firm_capacity_target", index, lambda k: (k[0], k[1], (k[2],)), lambda s: 1.0, GE,
                [data.firm_capacity_targets[k[:2]] for k in index])


def add_must_take_delivery(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{n in scope c} import[n,y,s] >= sum_{p must_take to c} kept[p,c,y] * gen[p,y,s]

    for every scope c that must-take plants are contracted to, year y and slice s, with several
    buying countries (SPEC §3.6): a must-take plant's energy may not be sold to another buyer.
    kept[p,c,y] is the largest share of a MW from p's node that reaches c in year y (the best path's
    1 - losses over the links that can carry flow that year, ``data.kept_from``; 1 in a year without
    such a path: the energy may still not go to another buyer), so the row asks c to receive at least
    what its must-take plants send it. It
    is an aggregate bound: energy of another plant that reaches c also counts toward it.
    With one buyer every MW goes to it anyway and the family is empty.
    """
    if not data.must_take_to:  # one buyer: the family is empty
        add_rows(m, ArrayRows("must_take_delivery", [], GE, 0.0))
        return
    plants = {p for pairs in data.must_take_to.values() for p, _ in pairs}
    gens = {k: i for i, k in enumerate(data.gen_index) if k[0] in plants}
    index = [(c, y, s) for c in sorted(data.must_take_to) for y in data.years for s in data.slices
             if any((p, y, s) in gens for p, _ in data.must_take_to[c])]
    scope_rows(m, data, "must_take_delivery", index, lambda k: (k[0], k[1], (k[2],)), lambda s: 1.0, GE, 0.0)
    rows = m.must_take_delivery
    r, cols, coef = [], [], []
    for i, (c, y, s) in enumerate(index):
        for p, kept in data.must_take_to[c]:
            j = gens.get((p, y, s))
            if j is not None:
                r.append(i)
                cols.append(j)
                coef.append(-kept[y])
    rows.add(m.gen, r, cols, coef)
