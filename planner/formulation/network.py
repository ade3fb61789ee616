"""Network: node balance with link losses, imports at nodes of the importing country, link capacity
(SPEC §3 families 3-4).

A link's ``forward`` direction runs from its ``from`` node to its ``to`` node; a bidirectional
link also has a ``reverse`` direction. Losses are charged at the receiving end. flow and imports
are array variables and these families array families (``arrays``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.core as pyo

from ..data import IndexKeys, ModelData, index_fields
from .arrays import EQ, INF, ArrayRows, ArrayVar, Taken, add_rows, add_var
from .investment import fraction_arrays
from .operation import bounded_or_rows


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
    node_at = {n: k for k, n in enumerate(data.nodes)}
    year_at = {y: k for k, y in enumerate(data.years)}
    slice_at = {s: k for k, s in enumerate(data.slices)}
    ny, ns = len(data.years), len(data.slices)
    node_of = data.projects["node"].to_dict()

    def code(nodes: np.ndarray, fields_y, fields_s) -> np.ndarray:
        """(node, year, slice) -> its place in nodes x years x slices, from per-entry codes."""
        (_y, yc, yu), (_s, sc, su) = fields_y, fields_s
        ymap = np.array([year_at[int(v)] for v in yu], dtype=np.int64)
        smap = np.array([slice_at[v] for v in su], dtype=np.int64)
        return (nodes * ny + (ymap[yc] if len(yc) else yc)) * ns + (smap[sc] if len(sc) else sc)

    def fields_of(keys: list, width: int):
        cols = list(zip(*keys)) if keys else [()] * width
        out = []
        for col in cols:
            values = np.array(col, dtype=object)
            c, u = pd.factorize(values)
            out.append((values, c.astype(np.int64), np.asarray(u, dtype=object)))
        return out

    (gp, gpc, gpu), gy, gs = index_fields(data, "gen_index")
    gen_node = np.array([node_at[node_of[p]] for p in gpu], dtype=np.int64)
    gen_code = code(gen_node[gpc] if len(gpc) else gpc, gy, gs)
    storage = m.storage_index
    (_cp, cpc, cpu), cy, cs = fields_of(storage, 3)
    charge_node = np.array([node_at[node_of[p]] for p in cpu], dtype=np.int64)
    charge_code = code(charge_node[cpc] if len(cpc) else cpc, cy, cs)
    (_l, lc, lu), fy, fs, (_d, dc, du) = index_fields(data, "flow_index")
    links = data.links
    src_u = np.array([node_at[links.at[lk, "from_node"]] for lk in lu], dtype=np.int64)
    dst_u = np.array([node_at[links.at[lk, "to_node"]] for lk in lu], dtype=np.int64)
    kept_u = np.array([1.0 - float(links.at[lk, "loss_fraction"]) for lk in lu], dtype=float)
    reverse = (np.asarray(du, dtype=object) == "reverse")[dc] if len(dc) else np.zeros(0, dtype=bool)
    src = np.where(reverse, dst_u[lc], src_u[lc]) if len(lc) else lc
    dst = np.where(reverse, src_u[lc], dst_u[lc]) if len(lc) else lc
    dst_code, src_code = code(dst, fy, fs), code(src, fy, fs)
    kept = kept_u[lc] if len(lc) else np.zeros(0)
    demand = list(data.demand_mw)
    (_dn, dnc, dnu), dy, ds = fields_of(demand, 3)
    demand_code = code(np.array([node_at[n] for n in dnu], dtype=np.int64)[dnc] if len(dnc) else dnc, dy, ds)
    (_in, inc, inu), iy, is_ = index_fields(data, "import_index")
    import_code = code(np.array([node_at[n] for n in inu], dtype=np.int64)[inc] if len(inc) else inc, iy, is_)
    seen = np.zeros(len(data.nodes) * ny * ns, dtype=bool)  # the (n, y, s) met, in their order
    for codes in (gen_code, charge_code, dst_code, src_code, demand_code, import_code):
        seen[codes] = True
    present = np.flatnonzero(seen)
    row_at = np.cumsum(seen) - 1
    index = IndexKeys.from_codes([list(data.nodes), list(data.years), list(data.slices)],
                                 [present // (ny * ns), (present // ns) % ny, present % ns])
    rows = ArrayRows("node_balance", index, EQ, 0.0)

    def look(codes: np.ndarray) -> np.ndarray:
        return row_at[codes]

    rows.add(m.gen, look(gen_code), np.arange(len(gen_code)), 1.0)
    rows.add(m.charge, look(charge_code), np.arange(len(charge_code)), -1.0)
    nf = len(dst_code)
    rows.add(m.flow, look(dst_code), np.arange(nf), kept)
    rows.add(m.flow, look(src_code), np.arange(nf), -1.0)
    if demand:
        at = look(demand_code)
        np.add.at(rows.rhs, at, np.fromiter(data.demand_mw.values(), float, len(demand)))
        rows.add(m.unserved, at, m.unserved.positions(demand), 1.0)
    rows.add(m.imports, look(import_code), np.arange(len(import_code)), -1.0)
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
    (_lk, lc, lu), (_y, yc, yu), _s, _d = index_fields(data, "flow_index")
    coef = np.array([capacity[a] for a in lu], dtype=float)[lc] if len(lc) else np.zeros(0)
    const, pos, target = fraction_arrays(m, data, None, codes=(lc, lu, yc, yu))
    bounded_or_rows(m, "link_capacity", m.flow, keys, coef, const, pos, target)


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
    (_lk, lc, lu), (_y, yc, yu), (_s, sc, su), _d = index_fields(data, "flow_index")
    ruled = np.array([lk in share for lk in lu], dtype=bool)
    in_peak = np.array([s in peak for s in su], dtype=bool)
    where = np.flatnonzero(ruled[lc] & in_peak[sc]) if len(lc) else np.zeros(0, dtype=np.int64)
    keys = Taken(data.flow_index, where)
    per_link = np.array([share[lk] * capacity[lk] if lk in share else 0.0 for lk in lu], dtype=float)
    coef = per_link[lc[where]] if len(where) else np.zeros(0)
    const, pos, target = fraction_arrays(m, data, None, codes=(lc[where], lu, yc[where], yu))
    bounded_or_rows(m, "n_minus_1", m.flow, keys, coef, const, pos, target, tighten=True, where=where)
