"""Operation: generation within availability and within yearly energy limits (SPEC §3 families 1-2).

``gen[p,y,s]`` (MW) exists only where project p can run in year y and its availability in
slice s is above zero, so the model carries no variables for plants that cannot run. gen is an
array variable (``arrays.ArrayVar``) and these families are array families: no Python object per
column or row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.core as pyo

from ..data import ModelData, availability_table, index_fields
from .arrays import LE, ArrayRows, ArrayVar, Taken, add_rows, add_var
from .investment import fraction_arrays


def add_generation_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """gen[p,y,s] >= 0 (MW) for (p,y,s) in gen_index."""
    add_var(m, ArrayVar("gen", data.gen_index, 0.0))
    m.__dict__["gen_index"] = data.gen_index


def bounded_or_rows(m, name: str, var: ArrayVar, keys: list, coef: np.ndarray, const: np.ndarray,
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
    rows = ArrayRows(name, Taken(keys, free), LE, 0.0)
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
    (_p, pc, pu), (_y, yc, yu), (_s, sc, su) = index_fields(data, "gen_index")
    capacity = data.assets["capacity_mw"].reindex(pu).to_numpy(dtype=float)
    table = availability_table(data, pu, su) * capacity[:, None]
    coef = table[pc, sc] if len(keys) else np.zeros(0)
    const, pos, target = fraction_arrays(m, data, None, codes=(pc, pu, yc, yu))
    bounded_or_rows(m, "availability", m.gen, keys, coef, const, pos, target)


def _energy_rows(m, data: ModelData, name: str, keys: list, row: np.ndarray, at: np.ndarray, limits: np.ndarray,
                 assets: np.ndarray, years: np.ndarray) -> None:
    """sum_{gen i of row r} hours[s_i] / 1000 * gen[i] <= limits[r] * operating_fraction[assets[r], years[r]]
    for each row r (keys[r]); ``at``: the gen positions, ``row``: the row of each."""
    const, pos, target = fraction_arrays(m, data, assets, years=years)
    fixed = pos < 0
    rows = ArrayRows(name, keys, LE, np.where(fixed, limits * np.nan_to_num(const), 0.0))
    _s, sc, su = index_fields(data, "gen_index")[2]
    per_gwh = np.array([data.hours[s] / 1000.0 for s in su]) if len(su) else np.zeros(0)
    rows.add(m.gen, row, at, per_gwh[sc[at]] if len(at) else np.zeros(0))
    free = np.flatnonzero(~fixed)
    rows.add(target, free, pos[free], -limits[free])
    add_rows(m, rows)


def add_energy_limit(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_s hours[s] * gen[p,y,s] / 1000 <= max_energy_gwh_per_year[p] * operating_fraction[p,y]

    for energy-limited projects p (e.g. a reservoir's firm energy) and years y where p can be
    online. Scaling by the online fraction keeps an ``up_to`` zone's limit in proportion.
    """
    (p, pc, pu), (y, yc, yu), _s = index_fields(data, "gen_index")
    limited = np.isin(pu, list(data.energy_limited)) if len(pu) else np.zeros(0, dtype=bool)
    at = np.flatnonzero(limited[pc]) if len(pc) else np.zeros(0, dtype=np.int64)
    # rows: the distinct (p, y) in order of first appearance (gen_index's order)
    codes, first = pd.factorize(pc[at] * max(len(yu), 1) + yc[at])
    _u, first_at = np.unique(codes, return_index=True)
    keys = [(p[at[i]], int(y[at[i]])) for i in first_at] if len(at) else []
    limit = data.projects["max_energy_gwh_per_year"].to_dict()
    limits = np.array([float(limit[a]) for a, _yy in keys], dtype=float)
    assets = np.array([a for a, _yy in keys], dtype=object)
    years = np.array([yy for _a, yy in keys], dtype=np.int64)
    _energy_rows(m, data, "energy_limit", keys, codes.astype(np.int64), at, limits, assets, years)


def add_season_energy_budget(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_{s in season} hours[s] * gen[p,y,s] / 1000 <= season_budget_gwh[p,season] * operating_fraction[p,y]

    for pondage and reservoir plants p (``hydro_kind``), every season and year y where p can run.
    Their power is bounded by capacity alone in every slice (availability 1.0, ``add_availability``),
    so the season's water (its budget: given, or the energy run-of-river operation would give) may
    be put into any slice of the season, e.g. the evening peak. A run-of-river plant has no budget:
    its availability caps every slice.
    """
    (p, pc, pu), (y, yc, yu), (_s, sc, su) = index_fields(data, "gen_index")
    budgets = sorted(data.season_budget_gwh)
    if not budgets or not len(pc):
        add_rows(m, ArrayRows("season_energy_budget", [], LE, 0.0))
        return
    season_of = {s: season for season, slices in data.season_slices.items() for s in slices}
    budgeted = {b: k for k, b in enumerate(budgets)}
    # per (project code, slice code): the budget's number, -1 where none
    table = np.array([[budgeted.get((pp, season_of.get(ss)), -1) for ss in su] for pp in pu], dtype=np.int64)
    b = table[pc, sc]
    at = np.flatnonzero(b >= 0)
    year_order = {yy: k for k, yy in enumerate(data.years)}
    ny = len(data.years)
    yk = np.array([year_order[int(v)] for v in yu], dtype=np.int64)[yc[at]]
    code = b[at] * ny + yk  # rows sorted by (project, season) then year, as before
    unique, row = np.unique(code, return_inverse=True)
    keys = [(budgets[c // ny][0], budgets[c // ny][1], data.years[c % ny]) for c in unique.tolist()]
    limits = np.array([data.season_budget_gwh[(a, season)] for a, season, _yy in keys], dtype=float)
    assets = np.array([a for a, _se, _yy in keys], dtype=object)
    years = np.array([yy for _a, _se, yy in keys], dtype=np.int64)
    _energy_rows(m, data, "season_energy_budget", keys, row.astype(np.int64), at, limits, assets, years)
