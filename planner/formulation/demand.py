"""Demand served before export (SPEC §3.6): load at a node (e.g. EDL's) and its unserved part.

Demand is a fixed load in the node balance (``network.add_node_balance``); ``unserved[n,y,s]``
is the part not served, priced at its value of lost load in the objective
(``objective.add_cost_components``, component ``lost_load``). With a value of lost load above every
import value, serving the load is worth more than exporting the same MWh, so the model serves it
first: a plant exports only what the nodes it can reach do not need.
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData


def add_demand_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """0 <= unserved[n,y,s] <= demand_mw[n,y,s]   (MW) for every (node, year, slice) with demand.

    The node balance of n takes demand_mw[n,y,s] - unserved[n,y,s] out of the node: what is served.
    """
    index = sorted(data.demand_mw, key=lambda k: (k[0], k[1], data.slices.index(k[2])))
    m.demand_index = pyo.Set(dimen=3, initialize=index, ordered=True)

    def bounds(_m, n, y, s):
        return (0, data.demand_mw[(n, y, s)])

    m.unserved = pyo.Var(m.demand_index, bounds=bounds)


def lost_load_cost(m: pyo.ConcreteModel, data: ModelData, y: int):
    """lost_load[y] = sum_{n,s} hours[s] * unserved[n,y,s] * value_of_lost_load[n,y,s] / 1e6   (MUSD)"""
    return sum(data.hours[s] * data.voll_usd_per_mwh[(n, yy, s)] / 1e6 * m.unserved[n, yy, s]
               for n, yy, s in m.demand_index if yy == y)
