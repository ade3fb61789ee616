"""Demand served before export (SPEC §3.6): load at a node (e.g. EDL's) and its unserved part.

Demand is a fixed load in the node balance (``network.add_node_balance``); ``unserved[n,y,s]``
is the part not served, priced at its value of lost load in the objective
(``objective.add_cost_components``, component ``lost_load``). With a value of lost load above every
import value, serving the load is worth more than exporting the same MWh, so the model serves it
first: a plant exports only what the nodes it can reach do not need.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from ..data import ModelData
from .arrays import ArrayVar, Linear, add_var


def add_demand_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """0 <= unserved[n,y,s] <= demand_mw[n,y,s]   (MW) for every (node, year, slice) with demand.

    The node balance of n takes demand_mw[n,y,s] - unserved[n,y,s] out of the node: what is served.
    """
    order = {s: i for i, s in enumerate(data.slices)}
    index = sorted(data.demand_mw, key=lambda k: (k[0], k[1], order[k[2]]))
    m.__dict__["demand_index"] = index
    add_var(m, ArrayVar("unserved", index, 0.0, np.fromiter((data.demand_mw[k] for k in index), float, len(index))))


def lost_load_cost(m: pyo.ConcreteModel, data: ModelData) -> dict:
    """lost_load[y] = sum_{n,s} hours[s] * unserved[n,y,s] * value_of_lost_load[n,y,s] / 1e6   (MUSD), by year"""
    keys = m.demand_index
    years = np.fromiter((y for _n, y, _s in keys), np.int64, len(keys))
    coef = np.fromiter((data.hours[s] * data.voll_usd_per_mwh[(n, y, s)] / 1e6 for n, y, s in keys), float, len(keys))
    out = {}
    for y in data.years:
        at = np.flatnonzero(years == y)
        out[y] = Linear.of(m.unserved, at, coef[at])
    return out
