"""Network: node balance with link losses, imports at nodes of the importing country, link capacity
(SPEC §3 families 3-4).

A link's ``forward`` direction runs from its ``from`` node to its ``to`` node; a bidirectional
link also has a ``reverse`` direction. Losses are charged at the receiving end.
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData
from .investment import operating_fraction


def add_network_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """flow[l,y,s,d] >= 0 (MW) for each direction d; import[n,y,s] in [0, max_import_mw[n]] (MW)."""
    m.flow_index = pyo.Set(dimen=4, initialize=data.flow_index, ordered=True)
    m.flow = pyo.Var(m.flow_index, domain=pyo.NonNegativeReals)
    m.import_index = pyo.Set(dimen=3, initialize=data.import_index, ordered=True)

    def import_bounds(_m, n, _y, _s):
        return (0, data.max_import_mw.get(n))

    m.imports = pyo.Var(m.import_index, bounds=import_bounds)


def add_node_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{p at n} gen[p,y,s] - sum_{storage p at n} charge[p,y,s]
    + sum_{l into n} (1 - loss_l) flow[l,y,s] - sum_{l out of n} flow[l,y,s]
    - (demand_mw[n,y,s] - unserved[n,y,s]) = import[n,y,s]
    for every node n, year y, slice s

    import is 0 at nodes of an exporting country (it has no variable there); demand is 0 where
    none is given (SPEC §3.6, ``demand.add_demand_variables``). The dual of this row is the node
    price (SPEC §3 family 3).
    """
    supply: dict[tuple[str, int, str], list] = {}
    node_of = data.projects["node"].to_dict()
    gen = m.gen
    for p, y, s in data.gen_index:
        supply.setdefault((node_of[p], y, s), []).append(gen[p, y, s])
    for p, y, s in m.storage_index:
        supply.setdefault((node_of[p], y, s), []).append(-m.charge[p, y, s])
    ends = {lk: (r.from_node, r.to_node, 1.0 - float(r.loss_fraction)) for lk, r in data.links.iterrows()}
    flow = m.flow
    for lk, y, s, d in data.flow_index:
        src, dst, kept = ends[lk]
        if d == "reverse":
            src, dst = dst, src
        v = flow[lk, y, s, d]
        supply.setdefault((dst, y, s), []).append(kept * v)
        supply.setdefault((src, y, s), []).append(-v)
    for (n, y, s), mw in data.demand_mw.items():
        supply.setdefault((n, y, s), []).extend([-mw, m.unserved[n, y, s]])
    imports = set(data.import_index)
    index = [(n, y, s) for n in data.nodes for y in data.years for s in data.slices
             if (n, y, s) in supply or (n, y, s) in imports]

    def node_balance_rule(m, n, y, s):
        absorbed = m.imports[n, y, s] if (n, y, s) in imports else 0.0
        return sum(supply.get((n, y, s), [])) - absorbed == 0

    m.node_balance = pyo.Constraint(pyo.Set(dimen=3, initialize=index, ordered=True), rule=node_balance_rule)


def add_link_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """flow[l,y,s,d] <= capacity_mw[l] * operating_fraction[l,y]   for (l,y,s,d) in flow_index (each direction).

    Where the operating fraction is a constant (an existing or committed link whose running is
    settled by the data) the row is only a bound: it is written as flow's upper bound, not a row
    (as ``operation.add_availability`` does for plants); its reduced cost is what the row's dual
    would have been.
    """
    capacity = data.assets["capacity_mw"].to_dict()
    operating = {(lk, y): operating_fraction(m, data, lk, y) for lk, y, _s, _d in data.flow_index}
    flow = m.flow
    rows = []
    for lk, y, s, d in data.flow_index:
        term = operating[(lk, y)]
        if isinstance(term, float):
            flow[lk, y, s, d].setub(capacity[lk] * term)
        else:
            rows.append((lk, y, s, d))

    def link_capacity_rule(m, lk, y, s, d):
        return flow[lk, y, s, d] <= capacity[lk] * operating[(lk, y)]

    m.link_capacity = pyo.Constraint(pyo.Set(dimen=4, initialize=rows, ordered=True), rule=link_capacity_rule)


def add_n_minus_1(m: pyo.ConcreteModel, data: ModelData) -> None:
    """flow[l,y,s,d] <= (circuits_l - 1) / circuits_l * capacity_mw[l] * operating_fraction[l,y]

    for every link l with ``circuits`` under ``options.n_minus_1: true``, year y, peak slice s and
    direction d (SPEC §3.6): in the hours that matter the corridor carries only what its other
    circuits can take if one trips. A single-circuit link (circuits: 1) carries nothing in the peak;
    a link without ``circuits`` has no N-1 rule. Where the operating fraction is a constant the row
    is a tighter upper bound on the flow, as in ``add_link_capacity``.
    """
    share = data.n_minus_1_share
    capacity = data.assets["capacity_mw"].to_dict()
    peak = set(data.peak_slices)
    flow = m.flow
    rows = []
    for lk, y, s, d in data.flow_index:
        if lk not in share or s not in peak:
            continue
        term = operating_fraction(m, data, lk, y)
        if isinstance(term, float):
            limit = share[lk] * capacity[lk] * term
            if flow[lk, y, s, d].ub is None or limit < flow[lk, y, s, d].ub:
                flow[lk, y, s, d].setub(limit)
        else:
            rows.append((lk, y, s, d))

    def n_minus_1_rule(m, lk, y, s, d):
        return flow[lk, y, s, d] <= share[lk] * capacity[lk] * operating_fraction(m, data, lk, y)

    m.n_minus_1 = pyo.Constraint(pyo.Set(dimen=4, initialize=rows, ordered=True), rule=n_minus_1_rule)
