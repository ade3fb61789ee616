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

import numpy as np
import pyomo.core as pyo

from ..data import ModelData
from .arrays import EQ, LE, ArrayRows, ArrayVar, add_rows, add_var
from .investment import fraction_arrays


def add_storage_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """charge[p,y,s] >= 0 (MW) and soc[p,y,s] >= 0 (MWh) for storage p wherever it can run."""
    index = [(p, y, s) for p in data.storage for y in data.years if data.can_operate(p, y) for s in data.slices]
    m.__dict__["storage_index"] = index
    add_var(m, ArrayVar("charge", index, 0.0))
    add_var(m, ArrayVar("soc", index, 0.0))


def _limit(m, data: ModelData, name: str, var: ArrayVar, coef: np.ndarray) -> None:
    """var[k] <= coef[k] * operating_fraction[p,y] over storage_index: a row each (its right-hand
    side the constant where the fraction is one)."""
    keys = m.storage_index
    const, pos, target = fraction_arrays(m, data, [k[:2] for k in keys])
    fixed = pos < 0
    rows = ArrayRows(name, keys, LE, np.where(fixed, coef * np.nan_to_num(const), 0.0))
    rows.add(var, np.arange(len(keys)), np.arange(len(keys)), 1.0)
    free = np.flatnonzero(~fixed)
    rows.add(target, free, pos[free], -coef[free])
    add_rows(m, rows)


def add_storage_limits(m: pyo.ConcreteModel, data: ModelData) -> None:
    """charge[p,y,s] <= capacity_mw[p] * operating_fraction[p,y]
    soc[p,y,s]    <= storage_hours[p] * capacity_mw[p] * operating_fraction[p,y]"""
    capacity = data.assets["capacity_mw"].to_dict()
    keys = m.storage_index
    cap = np.fromiter((capacity[p] for p, _y, _s in keys), float, len(keys))
    hours = np.fromiter((data.storage[p][0] for p, _y, _s in keys), float, len(keys))
    _limit(m, data, "charge_limit", m.charge, cap)
    _limit(m, data, "soc_limit", m.soc, hours * cap)


def add_storage_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    """soc[p,y,s] = soc[p,y,prev(s)] + (efficiency[p] * charge[p,y,s] - gen[p,y,s]) * duration_h[s]

    prev(s): the slice before s in its period, the last one for the first (a cycle); a slice
    outside a period is its own prev. efficiency is the round-trip efficiency, charged on the way in.
    """
    keys = m.storage_index
    n = len(keys)
    k = np.arange(n)
    rows = ArrayRows("storage_balance", keys, EQ, 0.0)
    rows.add(m.soc, k, k, 1.0)
    rows.add(m.soc, k, m.soc.positions([(p, y, data.previous_slice[s]) for p, y, s in keys]), -1.0)
    duration = np.fromiter((data.duration_h[s] for _p, _y, s in keys), float, n)
    eff = np.fromiter((data.storage[p][1] for p, _y, _s in keys), float, n)
    rows.add(m.charge, k, k, -(eff * duration))
    # the storage projects' gen positions (a dict of those entries only)
    stores = set(data.storage)
    of_store = {k: i for i, k in enumerate(data.gen_index) if k[0] in stores} if n else {}
    out = np.fromiter((of_store.get(k, -1) for k in keys), np.int64, n)
    has = np.flatnonzero(out >= 0)
    rows.add(m.gen, has, out[has], duration[has])
    add_rows(m, rows)
