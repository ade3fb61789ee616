"""Network: node balance with link losses, imports at nodes of the importing country, link capacity
(SPEC §3 families 3-4).

A link's ``forward`` direction runs from its ``from`` node to its ``to`` node; a bidirectional
link also has a ``reverse`` direction. Losses are charged at the receiving end. flow and imports
are array variables and these families array families (``arrays``).
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from ..data import ModelData
from .arrays import EQ, INF, LE, ArrayRows, ArrayVar, add_rows, add_var
from .investment import fraction_arrays
from .operation import _bounded_or_rows


def add_network_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """flow[l,y,s,d] >= 0 (MW) for each direction d; import[n,y,s] in [0, max_import_mw[n]] (MW)."""
    add_var(m, ArrayVar("flow", data.flow_index, 0.0))
    cap = data.max_import_mw
    upper = np.fromiter(((INF if cap.get(n) is None else cap[n]) for n, _y, _s in data.import_index), float,
                        len(data.import_index))
    add_var(m, ArrayVar("imports", data.import_index, 0.0, upper))
    m.__dict__["flow_index"] = data.flow_index
    m.__dict__["import_index"] = data.import_index


def add_node_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{p at n} gen[p,y,s] - sum_{storage p at n} charge[p,y,s]
    + sum_{l into n} (1 - loss_l) flow[l,y,s] - sum_{l out of n} flow[l,y,s]
    - (demand_mw[n,y,s] - unserved[n,y,s]) = import[n,y,s]
    for every node n, year y, slice s

    import is 0 at nodes of an exporting country (it has no variable there); demand is 0 where
    none is given (SPEC §3.6, ``demand.add_demand_variables``). The dual of this row is the node
    price (SPEC §3 family 3).
    """
    node_of = data.projects["node"].to_dict()
    row_of: dict = {}  # (n, y, s) -> 1: the rows that have a term, found first
    gen_at = [(node_of[p], y, s) for p, y, s in data.gen_index]
    storage = m.storage_index
    charge_at = [(node_of[p], y, s) for p, y, s in storage]
    ends = {lk: (r.from_node, r.to_node, 1.0 - float(r.loss_fraction)) for lk, r in data.links.iterrows()}
    dst_at, src_at, kept = [], [], []
    for lk, y, s, d in data.flow_index:
        src, dst, k = ends[lk]
        if d == "reverse":
            src, dst = dst, src
        dst_at.append((dst, y, s))
        src_at.append((src, y, s))
        kept.append(k)
    demand = list(data.demand_mw)
    present = set(gen_at) | set(charge_at) | set(dst_at) | set(src_at) | set(demand) | set(data.import_index)
    index = [(n, y, s) for n in data.nodes for y in data.years for s in data.slices if (n, y, s) in present]
    row_of = {k: i for i, k in enumerate(index)}
    rows = ArrayRows("node_balance", index, EQ, 0.0)
    look = row_of.__getitem__
    rows.add(m.gen, np.fromiter(map(look, gen_at), np.int64, len(gen_at)), np.arange(len(gen_at)), 1.0)
    rows.add(m.charge, np.fromiter(map(look, charge_at), np.int64, len(charge_at)), np.arange(len(charge_at)), -1.0)
    nf = len(dst_at)
    rows.add(m.flow, np.fromiter(map(look, dst_at), np.int64, nf), np.arange(nf), np.asarray(kept, dtype=float))
    rows.add(m.flow, np.fromiter(map(look, src_at), np.int64, nf), np.arange(nf), -1.0)
    if demand:
        at = np.fromiter(map(look, demand), np.int64, len(demand))
        np.add.at(rows.rhs, at, np.fromiter(data.demand_mw.values(), float, len(demand)))
        rows.add(m.unserved, at, m.unserved.positions(demand), 1.0)
    ni = len(data.import_index)
    rows.add(m.imports, np.fromiter(map(look, data.import_index), np.int64, ni), np.arange(ni), -1.0)
    add_rows(m, rows)


def add_link_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """flow[l,y,s,d] <= capacity_mw[l] * operating_fraction[l,y]   for (l,y,s,d) in flow_index (each direction).

    Where the operating fraction is a constant (an existing or committed link whose running is
    settled by the data) the row is only a bound: it is written as flow's upper bound, not a row
    (as ``operation.add_availability`` does for plants); its reduced cost is what the row's dual
    would have been.
    """
    keys = data.flow_index
    capacity = data.assets["capacity_mw"].to_dict()
    coef = np.fromiter((capacity[lk] for lk, _y, _s, _d in keys), float, len(keys))
    const, pos, target = fraction_arrays(m, data, [k[:2] for k in keys])
    _bounded_or_rows(m, "link_capacity", m.flow, keys, coef, const, pos, target)


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
    where = np.fromiter((i for i, (lk, _y, s, _d) in enumerate(data.flow_index) if lk in share and s in peak),
                        np.int64)
    keys = [data.flow_index[i] for i in where]
    coef = np.fromiter((share[lk] * capacity[lk] for lk, _y, _s, _d in keys), float, len(keys))
    const, pos, target = fraction_arrays(m, data, [k[:2] for k in keys])
    _bounded_or_rows(m, "n_minus_1", m.flow, keys, coef, const, pos, target, tighten=True, where=where)
