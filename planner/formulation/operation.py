"""Operation: generation within availability and within yearly energy limits (SPEC §3 families 1-2).

``gen[p,y,s]`` (MW) exists only where project p can run in year y and its availability in
slice s is above zero, so the model carries no variables for plants that cannot run. gen is an
array variable (``arrays.ArrayVar``) and these families are array families: no Python object per
column or row.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from ..data import ModelData
from .arrays import LE, ArrayRows, ArrayVar, add_rows, add_var
from .investment import fraction_arrays


def add_generation_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """gen[p,y,s] >= 0 (MW) for (p,y,s) in gen_index."""
    add_var(m, ArrayVar("gen", data.gen_index, 0.0))
    m.__dict__["gen_index"] = data.gen_index


def _operated(m, data: ModelData, keys: list, dims: int = 2):
    """fraction_arrays of the (asset, year) of each key."""
    return fraction_arrays(m, data, [k[:dims] for k in keys])


def _bounded_or_rows(m, name: str, var: ArrayVar, keys: list, coef: np.ndarray, const: np.ndarray,
                     pos: np.ndarray, target, tighten: bool = False, where: np.ndarray | None = None) -> None:
    """var[k] <= coef[k] x fraction[k] over keys (positions ``where`` in var, else all): a bound where
    the fraction is a constant (``tighten``: only where it is tighter than the bound already set),
    else a row named ``name``."""
    where = np.arange(len(keys)) if where is None else where
    fixed = pos < 0
    bound = coef[fixed] * const[fixed]
    at = where[fixed]
    if tighten:
        var.upper[at] = np.minimum(var.upper[at], bound)
    else:
        var.upper[at] = bound
    free = np.flatnonzero(~fixed)
    rows = ArrayRows(name, [keys[i] for i in free], LE, 0.0)
    k = np.arange(len(free))
    rows.add(var, k, where[free], 1.0)
    rows.add(target, k, pos[free], -coef[free])
    add_rows(m, rows)


def add_availability(m: pyo.ConcreteModel, data: ModelData) -> None:
    """gen[p,y,s] <= availability[p,s] * capacity_mw[p] * operating_fraction[p,y]   for (p,y,s) in gen_index

    Availability defaults to 1.0; a project's value overrides its technology's, a slice id
    overrides a season (SPEC §3). operating_fraction is the online fraction, except that an
    existing/committed plant runs only while what it requires runs (``investment.add_requires``).
    Where the operating fraction is a constant (an existing or committed plant whose running is
    settled by the data) the row is only a bound: it is written as gen's upper bound, not a row.
    """
    keys = data.gen_index
    capacity = data.assets["capacity_mw"].to_dict()
    availability = data.availability
    coef = np.fromiter((availability[(p, s)] * capacity[p] for p, _y, s in keys), float, len(keys))
    const, pos, target = _operated(m, data, keys)
    _bounded_or_rows(m, "availability", m.gen, keys, coef, const, pos, target)


def _slices_of(data: ModelData) -> dict:
    """(p, y) -> [(slice, position in gen)], in gen_index's order."""
    out: dict[tuple[str, int], list] = {}
    for i, (p, y, s) in enumerate(data.gen_index):
        out.setdefault((p, y), []).append((s, i))
    return out


def _energy_rows(m, data: ModelData, name: str, keys: list, members: list, limits: list, pairs: list) -> None:
    """sum_{(s, i) in members[r]} hours[s] / 1000 * gen[i] <= limits[r] * operating_fraction[pairs[r]]
    for each row r (keys[r])."""
    const, pos, target = fraction_arrays(m, data, pairs)
    limits = np.asarray(limits, dtype=float)
    fixed = pos < 0
    rows = ArrayRows(name, keys, LE, np.where(fixed, limits * np.nan_to_num(const), 0.0))
    per_gwh = {s: h / 1000.0 for s, h in data.hours.items()}
    r = np.repeat(np.arange(len(keys)), [len(x) for x in members])
    cols = np.fromiter((i for x in members for _s, i in x), np.int64, len(r))
    coef = np.fromiter((per_gwh[s] for x in members for s, _i in x), float, len(r))
    rows.add(m.gen, r, cols, coef)
    free = np.flatnonzero(~fixed)
    rows.add(target, free, pos[free], -limits[free])
    add_rows(m, rows)


def add_energy_limit(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_s hours[s] * gen[p,y,s] / 1000 <= max_energy_gwh_per_year[p] * operating_fraction[p,y]

    for energy-limited projects p (e.g. a reservoir's firm energy) and years y where p can be
    online. Scaling by the online fraction keeps an ``up_to`` zone's limit in proportion.
    """
    slices_of = _slices_of(data)
    limited = set(data.energy_limited)
    index = [(p, y) for (p, y) in slices_of if p in limited]
    limit = data.projects["max_energy_gwh_per_year"].to_dict()
    _energy_rows(m, data, "energy_limit", index, [slices_of[k] for k in index],
                 [float(limit[p]) for p, _y in index], index)


def add_season_energy_budget(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{s in season} hours[s] * gen[p,y,s] / 1000 <= season_budget_gwh[p,season] * operating_fraction[p,y]

    for pondage and reservoir plants p (``hydro_kind``), every season and year y where p can run.
    Their power is bounded by capacity alone in every slice (availability 1.0, ``add_availability``),
    so the season's water (its budget: given, or the energy run-of-river operation would give) may
    be put into any slice of the season, e.g. the evening peak. A run-of-river plant has no budget:
    its availability caps every slice.
    """
    slices_of = _slices_of(data)
    keys, members, limits, pairs = [], [], [], []
    for (p, season) in sorted(data.season_budget_gwh):
        in_season = set(data.season_slices[season])
        for y in data.years:
            here = [(s, i) for s, i in slices_of.get((p, y), ()) if s in in_season]
            if not here:
                continue
            order = {s: k for k, s in enumerate(data.season_slices[season])}
            here.sort(key=lambda si: order[si[0]])
            keys.append((p, season, y))
            members.append(here)
            limits.append(data.season_budget_gwh[(p, season)])
            pairs.append((p, y))
    _energy_rows(m, data, "season_energy_budget", keys, members, limits, pairs)
