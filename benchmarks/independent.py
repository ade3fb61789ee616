"""Benchmark: planner's LP beside an independent model of the same LP, written on numpy + highspy.

    python benchmarks/independent.py                                  # bench60 and medium, best of 1
    python benchmarks/independent.py --sizes bench60 medium --solve   # also solve both, compare objectives
    python benchmarks/independent.py --sizes large xxlarge --repeat 3 # build and hand-off only, best of 3

The independent model reads the generated scenarios of benchmarks/run.py (``scenario``, ``SIZES``;
the continuous-build sizes only) and states docs/formulation.md for them directly as arrays: one
function per family of columns or rows below, its equation in its docstring, no Pyomo and nothing
from planner but the scenario schema (``Scenario.model_validate`` fills in the defaults: penalties,
link loss and O&M, the importing country). Every coefficient is computed here. A scenario using a
feature this model does not state (storage, requires/excludes, limits, pondage/reservoir, the
importer perspective, ...) is refused (``_refuse_unsupported``).

What is measured, each model in a process of its own (so its peak memory is its own), the runs of
the two models alternating (--repeat N: best of N):

- planner: ``python benchmarks/run.py --one SIZE --no-solve``: data + build + handoff seconds, where
  handoff is ``solve.Compiled`` (the matrices compiled) and ``Compiled.pass_to`` (highspy's array
  ``passModel``, one call).
- independent: ``python benchmarks/independent.py --child SIZE``: from the validated scenario to
  its arrays, then handed over with the same array ``passModel`` (timed on its own); the ratio
  compares planner's data + build + handoff with the independent build + passModel, and the peak
  memory of both processes including the hand-off.
- peak MB: the child's max RSS (``os.wait4``, benchmarks/peers.py's ``timed``). For the independent
  model both the peak before ``passModel`` (the same end point as planner's) and the peak of the
  whole process (``passModel`` holds HiGHS's own copy of the LP) are printed.
- The Scenario's validation (pydantic) is outside both timings, as in benchmarks/run.py.

With --solve, each model is also solved once (planner: ``run.py --one SIZE``, as ``planner solve``
does it, prices included; independent: HiGHS with its defaults) and the objectives (MUSD) are
compared. planner divides HiGHS's objective by its ``objective_scale``; these scenarios' costs lie
inside [1e-4, 1e6] MUSD, so it is 1 and the independent model passes its costs unscaled (checked).

The two LPs have the same rows and columns (an existing link's capacity is a column bound in both).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peers  # noqa: E402  (timed: a child process's wall clock and its own peak RSS)
from run import SIZES, scenario  # noqa: E402  (the generated scenarios)

CONTINUOUS = [name for name, (_p, _y, _s, build) in SIZES.items() if build == "continuous"]
PROJECT_LIFETIME_YEARS, LINK_LIFETIME_YEARS = 30, 40  # docs/scenario-format.md defaults
COST_BAND = (1e-4, 1e6)  # MUSD: costs HiGHS takes as they are (docs/formulation.md, Numerics)


# ------------------------------------------------------------------------------------------------
# Inputs: the scenario as arrays
# ------------------------------------------------------------------------------------------------

def crf(rate: float, n: int) -> float:
    """Capital recovery factor r (1+r)^n / ((1+r)^n - 1); 1/n at r = 0."""
    if rate == 0:
        return 1.0 / n
    g = (1.0 + rate) ** n
    return rate * g / (g - 1.0)


def discount_weights(years: list[int], base_year: int, rate: float, end_year: int | None) -> np.ndarray:
    """W_y = sum over the calendar years t that y stands for (y up to the next modelled year, the last
    one up to end_year) of (1 + r)^-(t - base_year)."""
    bounds = years[1:] + [(end_year if end_year is not None else years[-1]) + 1]
    return np.array([sum((1.0 + rate) ** -(t - base_year) for t in range(y, nxt)) for y, nxt in zip(years, bounds)])


def availability(sc, slices) -> np.ndarray:
    """avail[p,s]: project slice > project season > technology slice > technology season > 1.0."""
    out = np.ones((len(sc.projects), len(slices)))
    for i, p in enumerate(sc.projects):
        for source in (sc.technologies[p.technology].availability, p.availability):
            for k, s in enumerate(slices):
                if source and s.season is not None and s.season in source:
                    out[i, k] = source[s.season]
                if source and s.id in source:
                    out[i, k] = source[s.id]
    return out


@dataclass
class Inputs:
    """Sets and parameters as arrays. Assets are the projects, then the links (index a = p, or P + l)."""

    years: np.ndarray  # Y modelled years
    weight: np.ndarray  # W_y
    hours: np.ndarray  # h_s
    peak: np.ndarray  # bool per slice
    node_of_project: np.ndarray  # node index per project
    link_from: np.ndarray
    link_to: np.ndarray
    kept: np.ndarray  # 1 - loss_l
    bidirectional: np.ndarray
    importing: np.ndarray  # indices of the importing nodes
    max_import: np.ndarray  # MW per importing node (inf: none)
    avail: np.ndarray  # [P, S]
    energy_cost: np.ndarray  # USD/MWh per project
    max_energy: np.ndarray  # GWh per project (nan: none)
    capacity: np.ndarray  # MW per asset
    annuity: np.ndarray  # MUSD/year per asset (0: existing, sunk)
    fixed_om: np.ndarray  # MUSD/year per asset
    window: np.ndarray  # [A, Y] bool: candidate a may come online in y
    lifetime: np.ndarray  # years per asset
    fixed_online: np.ndarray  # [A, Y] online fraction of existing/committed assets (0 for candidates)
    n_nodes: int
    energy_targets: list = field(default_factory=list)  # (importing-node indices, year index, GWh)
    capacity_targets: list = field(default_factory=list)  # (importing-node indices, year index, MW)
    shortfall_musd_per_gwh: float = 0.0
    shortfall_musd_per_mw: float = 0.0


def _refuse_unsupported(sc) -> None:
    """Stop on anything of the scenario this model does not state (see the module's docstring)."""
    problems = []
    o, lim, t = sc.options, sc.limits, sc.time
    if o.build != "continuous":
        problems.append("options.build (only continuous: an LP)")
    for name, ok in [("options.perspective", o.perspective == "system"),
                     ("options.strict_targets", not o.strict_targets),
                     ("options.import_value_usd_per_mwh", o.import_value_usd_per_mwh is None),
                     ("limits", lim.model_dump(exclude_defaults=True) == {}),
                     ("time (profiles)", not (t.profile_file or t.hourly_file))]:
        if not ok:
            problems.append(name)
    for a in list(sc.projects) + list(sc.links):
        if a.requires or a.excludes or a.min_block_mw or a.unit_mw:
            problems.append(f"{a.id}: requires/excludes/min_block_mw/unit_mw")
    for p in sc.projects:
        tech = sc.technologies[p.technology]
        if (p.hydro_kind or tech.hydro_kind or "run_of_river") != "run_of_river" or p.storage_hours \
                or tech.storage_hours or (p.emissions_t_per_mwh or tech.emissions_t_per_mwh):
            problems.append(f"{p.id}: pondage/reservoir, storage or emissions")
    if any(tg.contracted_mw is not None for tg in sc.targets):
        problems.append("targets.contracted_mw")
    if problems:
        raise SystemExit("not stated by the independent model: " + "; ".join(problems))


def _targets(sc, years: list[int], scope_nodes) -> tuple[list, list]:
    """A target's value in year y: that of its latest row with year <= y giving the quantity."""
    energy, capacity = [], []
    for scope in sorted({tg.scope for tg in sc.targets}):
        rows = sorted((tg for tg in sc.targets if tg.scope == scope), key=lambda tg: tg.year)
        for k, y in enumerate(years):
            e = [tg.energy_gwh for tg in rows if tg.year <= y and tg.energy_gwh is not None]
            c = [tg.capacity_mw for tg in rows if tg.year <= y and tg.capacity_mw is not None]
            if e:
                energy.append((scope_nodes(scope), k, float(e[-1])))
            if c:
                capacity.append((scope_nodes(scope), k, float(c[-1])))
    return energy, capacity


def read_inputs(sc) -> Inputs:
    """The validated scenario (planner.scenario.schema.Scenario) as arrays."""
    _refuse_unsupported(sc)
    h, slices = sc.horizon, sc.time.slices
    years = h.year_list
    nodes = {n.id: i for i, n in enumerate(sc.nodes)}
    country = [n.country for n in sc.nodes]
    importing = np.array([i for i, c in enumerate(country) if c == sc.options.importing_country], dtype=np.int64)
    projects, links = sc.projects, sc.links

    def inherited(name: str, default: float = 0.0) -> np.ndarray:
        """Per project: its own value of a field, else its technology's, else the default."""
        values = (getattr(p, name) if getattr(p, name) is not None else getattr(sc.technologies[p.technology], name)
                  for p in projects)
        return np.array([default if v is None else v for v in values], dtype=float)

    cap_p = np.array([p.capacity_mw for p in projects], dtype=float)
    life = np.concatenate([inherited("lifetime_years", PROJECT_LIFETIME_YEARS),
                           [lk.lifetime_years or LINK_LIFETIME_YEARS for lk in links]]).astype(np.int64)
    status = [a.status for a in list(projects) + list(links)]
    capex = np.concatenate([inherited("capex_usd_per_kw") * cap_p / 1000, [lk.capex_total_musd for lk in links]])
    annuity = np.where(np.array(status) == "existing", 0.0,  # sunk
                       capex * np.array([crf(h.discount_rate, int(n)) for n in life]))
    fixed_om = np.concatenate([inherited("fixed_om_usd_per_kw_year") * cap_p / 1000,
                               [lk.fixed_om_musd_per_year for lk in links]])
    yr = np.array(years)
    window = np.zeros((len(status), len(years)), dtype=bool)
    fixed_online = np.zeros((len(status), len(years)))
    for a, asset in enumerate(list(projects) + list(links)):
        if asset.status == "candidate":
            lo = asset.earliest_year if asset.earliest_year is not None else years[0]
            hi = asset.latest_year if asset.latest_year is not None else years[-1]
            window[a] = (yr >= lo) & (yr <= hi)
        elif asset.online_year is None:  # existing from before the horizon
            fixed_online[a] = 1.0
        else:
            fixed_online[a] = (yr >= asset.online_year) & (yr < asset.online_year + life[a])
    opts = sc.options

    def scope_nodes(scope: str) -> np.ndarray:
        return np.array([n for n in importing if sc.nodes[n].id == scope or country[n] == scope], dtype=np.int64)

    energy_targets, capacity_targets = _targets(sc, years, scope_nodes)
    return Inputs(
        years=yr, weight=discount_weights(years, h.base_year, h.discount_rate, h.end_year),
        hours=np.array([s.hours for s in slices], dtype=float), peak=np.array([s.peak for s in slices]),
        node_of_project=np.array([nodes[p.node] for p in projects], dtype=np.int64),
        link_from=np.array([nodes[lk.from_] for lk in links], dtype=np.int64),
        link_to=np.array([nodes[lk.to] for lk in links], dtype=np.int64),
        kept=np.array([1.0 - lk.loss_fraction for lk in links]),
        bidirectional=np.array([lk.bidirectional for lk in links], dtype=bool),
        importing=importing,
        max_import=np.array([sc.nodes[n].max_import_mw if sc.nodes[n].max_import_mw is not None else np.inf
                             for n in importing], dtype=float),
        avail=availability(sc, slices), energy_cost=inherited("energy_cost_usd_per_mwh"),
        max_energy=np.array([np.nan if p.max_energy_gwh_per_year is None else p.max_energy_gwh_per_year
                             for p in projects]),
        capacity=np.concatenate([cap_p, [lk.capacity_mw for lk in links]]), annuity=annuity, fixed_om=fixed_om,
        window=window, lifetime=life, fixed_online=fixed_online,
        n_nodes=len(nodes), energy_targets=energy_targets, capacity_targets=capacity_targets,
        # the SPEC's defaults without import values (the generated sizes give none): 500 and 300
        shortfall_musd_per_gwh=1000.0 * _given(opts.shortfall_penalty_usd_per_mwh, 500.0) / 1e6,
        shortfall_musd_per_mw=1000.0 * _given(opts.capacity_shortfall_penalty_usd_per_kw_year, 300.0) / 1e6)


def _given(value, default: float) -> float:
    return default if value is None else value


# ------------------------------------------------------------------------------------------------
# The LP, assembled as blocks of columns and rows and (row, column, value) triplets
# ------------------------------------------------------------------------------------------------

class LP:
    """Columns (cost, bounds) and rows (bounds) added in blocks; the matrix as triplets."""

    def __init__(self) -> None:
        self.cost, self.col_lower, self.col_upper = [], [], []
        self.row_lower, self.row_upper = [], []
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_cols = self.n_rows = 0
        self.offset = 0.0

    def columns(self, n: int, lower=0.0, upper=np.inf) -> np.ndarray:
        """n new columns (cost 0 until ``set_cost``); their numbers."""
        self.cost.append(np.zeros(n))
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)))
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        first, self.n_cols = self.n_cols, self.n_cols + n
        return np.arange(first, self.n_cols)

    def rows(self, n: int, lower=-np.inf, upper=np.inf) -> np.ndarray:
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        first, self.n_rows = self.n_rows, self.n_rows + n
        return np.arange(first, self.n_rows)

    def add(self, rows, cols, values) -> None:
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        self.entries.append((rows, cols, np.broadcast_to(np.asarray(values, dtype=float), rows.shape)))

    def set_cost(self, cols: np.ndarray, values) -> None:
        """Add values to the costs of columns cols (column numbers, each once)."""
        if len(self.cost) > 1:  # the blocks made one array, numbered as the columns are
            self.cost = [np.concatenate(self.cost)]
        self.cost[0][cols] += values

    def pass_to(self, h) -> int:
        """Hand this LP to HiGHS with highspy's array ``passModel`` (one call; its matrix column-wise);
        returns the number of nonzeros."""
        import highspy
        from scipy import sparse

        rows = np.concatenate([r for r, _, _ in self.entries])
        cols = np.concatenate([c for _, c, _ in self.entries])
        vals = np.concatenate([v for _, _, v in self.entries])
        a = sparse.csc_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))
        a.sum_duplicates()
        inf = highspy.kHighsInf
        h.passModel(self.n_cols, self.n_rows, a.nnz, int(highspy.MatrixFormat.kColwise),
                    int(highspy.ObjSense.kMinimize), float(self.offset), np.concatenate(self.cost),
                    np.concatenate(self.col_lower).astype(float), np.minimum(np.concatenate(self.col_upper), inf),
                    np.maximum(np.concatenate(self.row_lower), -inf), np.minimum(np.concatenate(self.row_upper), inf),
                    a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(float),
                    np.zeros(self.n_cols, dtype=np.int32))
        return a.nnz

    def highs_lp(self):
        """A highspy.HighsLp holding this LP, its matrix column-wise (CSC)."""
        import highspy
        from scipy import sparse

        rows = np.concatenate([r for r, _, _ in self.entries])
        cols = np.concatenate([c for _, c, _ in self.entries])
        vals = np.concatenate([v for _, _, v in self.entries])
        a = sparse.csc_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))
        a.sum_duplicates()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        inf = highspy.kHighsInf
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.col_lower)
        lp.col_upper_ = np.minimum(np.concatenate(self.col_upper), inf)
        lp.row_lower_ = np.maximum(np.concatenate(self.row_lower), -inf)
        lp.row_upper_ = np.minimum(np.concatenate(self.row_upper), inf)
        lp.offset_ = self.offset
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        return lp, a.nnz


def _numbered(mask: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """An array shaped like mask holding numbers[k] at the k-th True entry (C order), -1 elsewhere."""
    out = np.full(mask.shape, -1, dtype=np.int64)
    out[mask] = numbers
    return out


# --- 7. investment --------------------------------------------------------------------------------

def add_build_and_online(lp: LP, d: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """build[a,b] in [0, 1] for each candidate a and year b of its window (fraction of capacity_mw
    coming online in b); online[a,y] in [0, 1] wherever some build can be online in y, with

        online[a,y] - sum_{b in window, b <= y < b + life_a} build[a,b] = 0      (online definition)
        sum_b build[a,b] <= 1                                                    (build once)

    Returns the column numbers build[A, Y] and online[A, Y] (-1: none)."""
    yr = d.years
    build = _numbered(d.window, lp.columns(int(d.window.sum()), 0.0, 1.0))
    # alive[a, y, b]: a build of a in year b is online in year y
    alive = d.window[:, None, :] & (yr[None, None, :] <= yr[None, :, None]) \
        & (yr[None, :, None] < yr[None, None, :] + d.lifetime[:, None, None])
    has_online = alive.any(axis=2)
    online = _numbered(has_online, lp.columns(int(has_online.sum()), 0.0, 1.0))
    definition = _numbered(has_online, lp.rows(int(has_online.sum()), 0.0, 0.0))
    a, y = np.nonzero(has_online)
    lp.add(definition[a, y], online[a, y], 1.0)
    a, y, b = np.nonzero(alive)
    lp.add(definition[a, y], build[a, b], -1.0)
    built = d.window.any(axis=1)
    once = _numbered(built, lp.rows(int(built.sum()), -np.inf, 1.0))
    a, b = np.nonzero(d.window)
    lp.add(once[a], build[a, b], 1.0)
    return build, online


# --- 1-2. operation ------------------------------------------------------------------------------

def add_generation(lp: LP, d: Inputs, online: np.ndarray) -> tuple[np.ndarray, tuple]:
    """gen[p,y,s] >= 0 (MW) where p can run in y (a candidate that can be online, an existing or
    committed plant online) and avail[p,s] > 0, with (availability)

        gen[p,y,s] - avail[p,s] * capacity_mw[p] * online[p,y] <= 0      for a candidate p
        gen[p,y,s] <= avail[p,s] * capacity_mw[p] * fixed_online[p,y]    (a bound) otherwise

    Returns the column numbers gen[P, Y, S] (-1: none) and the (p, y, s) of each gen column."""
    n_p = d.avail.shape[0]
    on = online[:n_p]
    runs = (on >= 0) | (d.fixed_online[:n_p] > 0)
    mask = runs[:, :, None] & (d.avail > 0)[:, None, :]
    p, y, s = np.nonzero(mask)
    ceiling = d.avail[p, s] * d.capacity[p]
    fixed = on[p, y] < 0
    upper = np.where(fixed, ceiling * d.fixed_online[p, y], np.inf)
    cols = lp.columns(len(p), 0.0, upper)
    k = np.nonzero(~fixed)[0]
    rows = lp.rows(len(k), -np.inf, 0.0)
    lp.add(rows, cols[k], 1.0)
    lp.add(rows, on[p[k], y[k]], -ceiling[k])
    return _numbered(mask, cols), (p, y, s, cols)


def add_energy_limit(lp: LP, d: Inputs, gen: np.ndarray, online: np.ndarray) -> None:
    """sum_s hours[s] / 1000 * gen[p,y,s] - max_energy_gwh[p] * online[p,y] <= 0   (a candidate p)
    sum_s hours[s] / 1000 * gen[p,y,s] <= max_energy_gwh[p] * fixed_online[p,y]    (otherwise)

    for every project with max_energy_gwh_per_year and year y in which it has a gen column."""
    limited = np.nonzero(~np.isnan(d.max_energy))[0]
    g = gen[limited]  # [L, Y, S]
    has = (g >= 0).any(axis=2)
    i, y = np.nonzero(has)
    p = limited[i]
    on = online[p, y]
    upper = np.where(on >= 0, 0.0, d.max_energy[p] * d.fixed_online[p, y])
    rows = _numbered(has, lp.rows(len(p), -np.inf, upper))
    i3, y3, s3 = np.nonzero(g >= 0)
    lp.add(rows[i3, y3], g[i3, y3, s3], d.hours[s3] / 1000.0)
    k = np.nonzero(on >= 0)[0]
    lp.add(rows[i[k], y[k]], on[k], -d.max_energy[p[k]])


# --- 3-4. network --------------------------------------------------------------------------------

def add_flows(lp: LP, d: Inputs, online: np.ndarray) -> tuple:
    """flow[l,y,s,dir] >= 0 (MW) where l can carry flow in y, dir forward (from -> to), and reverse
    for a bidirectional link, with (link capacity, each direction)

        flow[l,y,s,dir] - capacity_mw[l] * online[l,y] <= 0       for a candidate l
        flow[l,y,s,dir] <= capacity_mw[l] * fixed_online[l,y]     (a bound) otherwise

    Returns (l, y, s, dir, column) of each flow column."""
    n_p, n_s = d.avail.shape[0], len(d.hours)
    on = online[n_p:]
    runs = (on >= 0) | (d.fixed_online[n_p:] > 0)
    mask = runs[:, :, None, None] & np.ones(n_s, dtype=bool)[None, None, :, None] \
        & np.stack([np.ones_like(d.bidirectional), d.bidirectional], axis=1)[:, None, None, :]
    link, y, s, way = np.nonzero(mask)
    cap = d.capacity[n_p + link]
    fixed = on[link, y] < 0
    cols = lp.columns(len(link), 0.0, np.where(fixed, cap * d.fixed_online[n_p + link, y], np.inf))
    k = np.nonzero(~fixed)[0]
    rows = lp.rows(len(k), -np.inf, 0.0)
    lp.add(rows, cols[k], 1.0)
    lp.add(rows, on[link[k], y[k]], -cap[k])
    return link, y, s, way, cols


def add_imports(lp: LP, d: Inputs) -> np.ndarray:
    """imports[n,y,s] in [0, max_import_mw[n]] (MW) at the importing nodes; returns columns [N_imp, Y, S]."""
    shape = (len(d.importing), len(d.years), len(d.hours))
    upper = np.broadcast_to(d.max_import[:, None, None], shape).ravel()
    return lp.columns(int(np.prod(shape)), 0.0, upper).reshape(shape)


def add_node_balance(lp: LP, d: Inputs, gen_cols: tuple, flows: tuple, imports: np.ndarray) -> None:
    """sum_{p at n} gen[p,y,s] + sum_{l into n} (1 - loss_l) flow[l,y,s,dir] - sum_{l out of n} flow[l,y,s,dir]
    - imports[n,y,s] = 0

    for every node n, year y and slice s where something enters or leaves (imports only at importing
    nodes; a reverse flow runs from l's to node to its from node)."""
    n_y, n_s = len(d.years), len(d.hours)
    p, yp, sp, gcols = gen_cols
    link, yl, sl, way, fcols = flows
    src = np.where(way == 0, d.link_from[link], d.link_to[link])
    dst = np.where(way == 0, d.link_to[link], d.link_from[link])
    ii, yi, si = np.indices(imports.shape).reshape(3, -1)

    def key(n, y, s):
        return (n * n_y + y) * n_s + s

    keys = [key(d.node_of_project[p], yp, sp), key(dst, yl, sl), key(src, yl, sl), key(d.importing[ii], yi, si)]
    cols = [gcols, fcols, fcols, imports.ravel()]
    values = [1.0, d.kept[link], -1.0, -1.0]
    present = np.zeros(d.n_nodes * n_y * n_s, dtype=bool)
    for k in keys:
        present[k] = True
    row_of = _numbered(present, lp.rows(int(present.sum()), 0.0, 0.0))
    for k, c, v in zip(keys, cols, values):
        lp.add(row_of[k], c, v)


# --- 5-6. targets --------------------------------------------------------------------------------

def add_targets(lp: LP, d: Inputs, imports: np.ndarray) -> tuple:
    """energy_shortfall[t,y] >= 0 (GWh) and capacity_shortfall[t,y] >= 0 (MW) per target, with

        sum_{n in scope t} sum_s hours[s] / 1000 * imports[n,y,s] + energy_shortfall[t,y] >= target_gwh[t,y]
        sum_{n in scope t} imports[n,y,s] + capacity_shortfall[t,y] >= target_mw[t,y]   every peak slice s

    Returns the energy shortfall columns and their year indices, then the capacity ones (for their costs)."""
    position = {n: i for i, n in enumerate(d.importing)}
    n_s = len(d.hours)
    energy = lp.columns(len(d.energy_targets))
    rows = lp.rows(len(d.energy_targets), [g for _n, _y, g in d.energy_targets], np.inf)
    for row, col, (nodes, y, _gwh) in zip(rows, energy, d.energy_targets):
        at = np.array([position[n] for n in nodes], dtype=np.int64)
        lp.add(np.full(len(at) * n_s, row), imports[at, y, :].ravel(), np.tile(d.hours / 1000.0, len(at)))
        lp.add([row], [col], 1.0)
    peak = np.nonzero(d.peak)[0]
    capacity = lp.columns(len(d.capacity_targets))
    for col, (nodes, y, mw) in zip(capacity, d.capacity_targets):
        at = np.array([position[n] for n in nodes], dtype=np.int64)
        rows = lp.rows(len(peak), mw, np.inf)
        lp.add(np.repeat(rows, len(at)), imports[at[None, :], y, peak[:, None]].ravel(), 1.0)
        lp.add(rows, np.full(len(peak), col), 1.0)
    return (energy, np.array([y for _n, y, _g in d.energy_targets], dtype=np.int64),
            capacity, np.array([y for _n, y, _m in d.capacity_targets], dtype=np.int64))


# --- objective -----------------------------------------------------------------------------------

def set_objective(lp: LP, d: Inputs, online: np.ndarray, gen_cols: tuple, shortfalls: tuple) -> None:
    """minimise sum_y W_y (capex_y + fixed_om_y + energy_y + penalty_y) in MUSD, where

        capex_y + fixed_om_y = sum_a (annuity_a + fixed_om_a) * online_frac[a,y]
                               (annuity_a = capex_a * CRF(r, life_a), 0 for existing assets)
        energy_y  = sum_{p,s} hours[s] * energy_cost_usd_per_mwh[p] / 1e6 * gen[p,y,s]
        penalty_y = sum_t 1000 * shortfall_penalty_usd_per_mwh / 1e6 * energy_shortfall[t,y]
                  + sum_t 1000 * capacity_shortfall_penalty_usd_per_kw_year / 1e6 * capacity_shortfall[t,y]

    online_frac is the online column of a candidate; that of an existing/committed asset is the
    constant fixed_online, so its annuity and O&M go into the objective's constant (offset)."""
    a, y = np.nonzero(online >= 0)
    lp.set_cost(online[a, y], d.weight[y] * d.annuity[a] + d.weight[y] * d.fixed_om[a])
    lp.offset = float(d.weight @ ((d.annuity + d.fixed_om)[:, None] * d.fixed_online).sum(axis=0))
    p, y, s, cols = gen_cols
    lp.set_cost(cols, d.weight[y] * (d.hours[s] * d.energy_cost[p] / 1e6))
    energy, energy_year, capacity, capacity_year = shortfalls
    lp.set_cost(energy, d.weight[energy_year] * d.shortfall_musd_per_gwh)
    lp.set_cost(capacity, d.weight[capacity_year] * d.shortfall_musd_per_mw)


def build_lp(d: Inputs) -> LP:
    """Every family above, in order."""
    lp = LP()
    _build, online = add_build_and_online(lp, d)
    gen, gen_cols = add_generation(lp, d, online)
    add_energy_limit(lp, d, gen, online)
    flows = add_flows(lp, d, online)
    imports = add_imports(lp, d)
    add_node_balance(lp, d, gen_cols, flows, imports)
    shortfalls = add_targets(lp, d, imports)
    set_objective(lp, d, online, gen_cols, shortfalls)
    return lp


# ------------------------------------------------------------------------------------------------
# Runs
# ------------------------------------------------------------------------------------------------

def child(size: str, solve: bool) -> dict:
    """One size in this process: validate, then time the model to a filled HighsLp, then passModel."""
    import highspy

    from planner.scenario.schema import Scenario

    sc = Scenario.model_validate(scenario(*SIZES[size]))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    t0 = time.perf_counter()
    lp = build_lp(read_inputs(sc))
    cost = np.abs(np.concatenate(lp.cost))
    t1 = time.perf_counter()
    peak_lp = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cost = cost[cost > 0]
    if cost.min() < COST_BAND[0] or cost.max() > COST_BAND[1]:
        raise SystemExit(f"costs span [{cost.min():g}, {cost.max():g}] MUSD: planner would scale them "
                         "(objective_scale); this benchmark compares unscaled ones")
    t2 = time.perf_counter()
    nnz = lp.pass_to(h)
    t3 = time.perf_counter()
    out = {"size": size, "rows": lp.n_rows, "columns": lp.n_cols, "nonzeros": nnz, "build_s": t1 - t0,
           "pass_s": t3 - t2, "peak_lp_mb": peak_lp, "objective": None, "status": "not solved"}
    if solve:
        h.run()
        out["status"] = h.modelStatusToString(h.getModelStatus())
        out["objective"] = h.getInfo().objective_function_value
        out["solve_s"] = time.perf_counter() - t3
    return out


def _run(cmd: list[str]) -> dict:
    r = peers.timed(cmd, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    return {**json.loads(r["last"]), "peak_mb": r["peak_mb"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["bench60", "medium"], choices=CONTINUOUS)
    parser.add_argument("--solve", action="store_true", help="also solve both once and compare the objectives")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each model, alternating; the best is shown")
    parser.add_argument("--child", choices=CONTINUOUS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.solve)))
        return
    py, run_py, me = sys.executable, str(HERE / "run.py"), str(Path(__file__).resolve())
    load_before = os.getloadavg()
    table = []
    for size in args.sizes:
        runs_p, runs_i = [], []
        for i in range(args.repeat):  # alternating, so a busy spell hits both alike
            runs_p.append(_run([py, run_py, "--one", size, "--no-solve"]))
            runs_i.append(_run([py, me, "--child", size]))
            print(f"done {size} run {i + 1}/{args.repeat}", file=sys.stderr)
        p = min(runs_p, key=lambda r: r["data_s"] + r["build_s"] + r["handoff_s"])
        p["s"] = p["data_s"] + p["build_s"] + p["handoff_s"]
        p["peak_mb"] = max(r["peak_mb"] for r in runs_p)
        ind = min(runs_i, key=lambda r: r["build_s"])
        ind["peak_mb"] = max(r["peak_mb"] for r in runs_i)
        ind["peak_lp_mb"] = max(r["peak_lp_mb"] for r in runs_i)
        row = {"size": size, "p": p, "i": ind}
        if args.solve:
            row["p_solved"] = _run([py, run_py, "--one", size])
            row["i_solved"] = _run([py, me, "--child", size, "--solve"])
            print(f"solved {size}", file=sys.stderr)
        table.append(row)

    header = (f"{'size':8} {'model':12} {'rows':>9} {'columns':>9} {'nonzeros':>10} {'to arrays s':>12} "
              f"{'passModel s':>11} {'peak MB':>8} {'peak MB incl. pass':>18}")
    print(header)
    print("-" * len(header))
    for r in table:
        p, i = r["p"], r["i"]
        print(f"{r['size']:8} {'planner':12} {p['rows']:>9,} {p['columns']:>9,} {'':>10} {p['s']:>12.2f} "
              f"{'':>11} {p['peak_mb']:>8,.0f} {'':>18}")
        print(f"{'':8} {'independent':12} {i['rows']:>9,} {i['columns']:>9,} {i['nonzeros']:>10,} "
              f"{i['build_s']:>12.2f} {i['pass_s']:>11.2f} {i['peak_lp_mb']:>8,.0f} {i['peak_mb']:>18,.0f}")
        print(f"{'':8} {'ratio p/i':12} {p['rows'] / i['rows']:>9.3f} {p['columns'] / i['columns']:>9.3f} {'':>10} "
              f"{p['s'] / (i['build_s'] + i['pass_s']):>11.2f}x {'':>11} {'':>8} {p['peak_mb'] / i['peak_mb']:>17.2f}x")
    if args.solve:
        print()
        header = f"{'size':8} {'planner objective MUSD':>24} {'independent MUSD':>22} {'rel. difference':>16} status"
        print(header)
        print("-" * len(header))
        for r in table:
            a, b = r["p_solved"]["objective"], r["i_solved"]["objective"]
            print(f"{r['size']:8} {a:>24.10f} {b:>22.10f} {abs(a - b) / abs(a):>16.2e} "
                  f"{r['p_solved']['status']} / {r['i_solved']['status']}")
    print(f"\nbest of {args.repeat}; planner: data + build + hand-off, its array passModel included (run.py "
          f"--no-solve, which does not report nonzeros); independent: scenario -> arrays, then the array "
          f"passModel; ratio p/i: planner's seconds over the independent's two together, and planner's peak "
          f"over the independent's 'incl. pass'; peak MB = max RSS of the process; python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{load_before[0]:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
