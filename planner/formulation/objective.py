"""The objective: every cost term, in one place (SPEC §3 objective, §3.1 conventions, §3.2 payers).

Costs are in USD million (MUSD). For each modelled year y the annual cost components are Pyomo
Expressions, so results can read them back; the objective weights them by W_y, the sum of the
discount factors of the calendar years y represents.

Two views of the same plan (``options.perspective`` picks the one minimised; results report both):
- system: the resource cost of the export system (annuities, fixed O&M, variable cost);
- importer: what the importer pays (PPA tariffs on energy, with take-or-pay, and its share of links).
CO2, shortfall penalties (the cost of buying the shortfall elsewhere) and the value of imported
energy (a credit) are in both.
"""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo

from ..data import ModelData, index_fields
from .arrays import GE, ArrayRows, ArrayVar, CostComponent, Linear, add_rows, add_var
from .arrays import add_objective as _add_objective
from .demand import lost_load_cost
from .investment import fraction_arrays

VIEWS = {
    "system": ("capex", "fixed_om", "energy", "co2", "penalty", "lost_load", "import_value"),
    "importer": ("payments", "links", "co2", "penalty", "lost_load", "import_value"),
}
#: every component that may appear in costs.csv, in its order
COMPONENTS = ("capex", "fixed_om", "energy", "payments", "links", "co2", "penalty", "lost_load", "import_value")


def _set_component(m, name: str, by_year: dict) -> None:
    m.__dict__[f"cost_{name}"] = CostComponent(name, by_year)


def _by_year(var: ArrayVar, years: np.ndarray, coef: np.ndarray, data: ModelData) -> dict:
    """{y: sum of coef x var over the positions of year y where coef is not 0} as Linears."""
    nz = np.flatnonzero(coef != 0)
    yv = np.asarray(years)[nz]
    lo = int(yv.min()) if len(yv) else 0
    small = len(yv) and int(yv.max()) - lo < 2**16
    order = np.argsort((yv - lo).astype(np.uint16) if small else yv, kind="stable")  # each year's in their order
    yv = yv[order]
    out = {}
    for y in data.years:
        at = nz[order[np.searchsorted(yv, y, "left"):np.searchsorted(yv, y, "right")]]
        out[y] = Linear.of(var, at, coef[at])
    return out


def _online_table(m, data: ModelData) -> tuple:
    """online_fraction[a,y] of every asset (data.assets' order) and year, as fraction_arrays gives
    them, [asset, year]-shaped: (constant, position, target), made once per model."""
    hit = m.__dict__.get("_online_table")
    if hit is None:
        na, ny = len(data.assets.index), len(data.years)
        const, pos, target = fraction_arrays(
            m, data, None, kind="online", codes=(np.repeat(np.arange(na), ny), np.asarray(data.assets.index, dtype=object),
                                                 np.tile(np.arange(ny), na), np.array(data.years, dtype=object)))
        hit = m.__dict__["_online_table"] = (const.reshape(na, ny), pos.reshape(na, ny), target)
    return hit


def _assets_by_year(m, data: ModelData, per_asset: dict) -> dict:
    """{y: sum_a per_asset[a] * online_fraction[a,y]} (assets with per_asset[a] > 0) as Linears."""
    assets = [a for a, v in per_asset.items() if v > 0]
    table_const, table_pos, target = _online_table(m, data)
    rows = data.assets.index.get_indexer(assets)
    k = np.fromiter((per_asset[a] for a in assets), float, len(assets))
    out = {}
    for j, y in enumerate(data.years):
        const, pos = table_const[rows, j], table_pos[rows, j]
        fixed = pos < 0
        free = np.flatnonzero(~fixed)
        lin = Linear.of(target, pos[free], k[free])
        lin.constant = float(np.sum(k[fixed] * const[fixed]))
        out[y] = lin
    return out


def add_cost_components(m: pyo.ConcreteModel, data: ModelData) -> None:
    """annual cost in year y (MUSD), one Expression per component:

    capex[y]    = sum_a annuity_musd_per_year[a] * online_fraction[a,y]   (existing assets: 0, sunk)
    fixed_om[y] = sum_a fixed_om_musd_per_year[a] * online_fraction[a,y]
    energy[y]   = sum_{p,s} hours[s] * gen[p,y,s] * energy_cost_usd_per_mwh[p] / 1e6
    co2[y]      = sum_{p,s} hours[s] * gen[p,y,s] * emissions_t_per_mwh[p] * co2_price_usd_per_t / 1e6
    penalty[y]  = sum_t energy_shortfall[t,y] * 1000 * shortfall_penalty_usd_per_mwh / 1e6
                + sum_t capacity_shortfall[t,y] * 1000 * capacity_shortfall_penalty_usd_per_kw_year / 1e6
                + sum_t contracted_shortfall[t,y] * 1000 * capacity_shortfall_penalty_usd_per_kw_year / 1e6

    with annuity = capex x CRF(discount_rate, lifetime_years).

    lost_load[y]    = sum_{n,s} hours[s] * unserved[n,y,s] * value_of_lost_load[n,y,s] / 1e6   (demand.py)
    import_value[y] = - sum_{n importing, s} hours[s] * import[n,y,s] * import_value_usd_per_mwh[n,y,s] / 1e6
    links[y]        = sum_l importer_share[l] * (annuity[l] + fixed_om[l]) * online_fraction[l,y]
    payments[y]     = sum_{p,s} hours[s] * gen[p,y,s] * tariff[p,y] / 1e6          (no take-or-pay)
                    + sum_p paid_energy[p,y] * tariff[p,y] / 1000                   (take-or-pay, must-take)

    payments and links are the importer's view (built only when it is the one minimised; results
    compute both views from the solution); tariff[p,y] is the offered tariff, else the break-even,
    escalated to year y (ModelData.tariff). Maximising Vietnam's net benefit (SPEC §3.3) is
    minimising this objective: the value of the imports enters as a negative cost.
    """
    assets = data.assets
    annuity, fom = assets["annuity_musd_per_year"].to_dict(), assets["fixed_om_musd_per_year"].to_dict()
    cost, emis = data.projects["energy_cost_usd_per_mwh"].to_dict(), data.projects["emissions_t_per_mwh"].to_dict()
    (_p, pc, pu), (years, _yc, _yu), (_s, sc, su) = index_fields(data, "gen_index")

    def per_project(values: dict) -> np.ndarray:
        return np.array([values[p] for p in pu], dtype=float)[pc] if len(pc) else np.zeros(0)

    hours = np.array([data.hours[s] for s in su], dtype=float)[sc] if len(sc) else np.zeros(0)
    co2_price = data.co2_price_usd_per_t
    e_pen = 1000.0 * data.shortfall_penalty_usd_per_mwh / 1e6
    c_pen = 1000.0 * data.capacity_shortfall_penalty_usd_per_kw_year / 1e6

    _set_component(m, "capex", _assets_by_year(m, data, annuity))
    _set_component(m, "fixed_om", _assets_by_year(m, data, fom))
    unit_cost = per_project(cost)
    _set_component(m, "energy", _by_year(m.gen, years, np.where(unit_cost > 0, hours * unit_cost / 1e6, 0.0), data))
    if co2_price == 0:
        _set_component(m, "co2", {y: Linear() for y in data.years})
    else:
        unit_emis = per_project(emis)
        _set_component(m, "co2", _by_year(m.gen, years, np.where(unit_emis > 0, hours * unit_emis * co2_price / 1e6,
                                                                  0.0), data))

    def penalty(y):
        terms = []
        for var, k in ((m.energy_shortfall, e_pen), (m.capacity_shortfall, c_pen), (m.contracted_shortfall, c_pen)):
            terms += [(v, k) for (_t, yy), v in var.items() if yy == y]
        return Linear.pyomo(terms)

    _set_component(m, "penalty", {y: penalty(y) for y in data.years})
    value = data.import_value
    ikeys = data.import_index
    ni = len(ikeys)
    iyears = np.fromiter((y for _n, y, _s in ikeys), np.int64, ni)
    importing = set(data.importing_nodes)
    ivalue = np.fromiter(((value.get(k, 0.0) if k[0] in importing else 0.0) for k in ikeys), float, ni)
    ihours = np.fromiter((data.hours[s] for _n, _y, s in ikeys), float, ni)
    _set_component(m, "import_value", _by_year(m.imports, iyears, np.where(ivalue > 0, -ihours * ivalue / 1e6, 0.0),
                                               data))
    _set_component(m, "lost_load", lost_load_cost(m, data))
    if data.perspective == "importer":
        _add_importer_components(m, data, years, hours)


def _add_importer_components(m: pyo.ConcreteModel, data: ModelData, years: np.ndarray, hours: np.ndarray) -> None:
    """payments[y] and links[y] of the importer's view (see add_cost_components), with take-or-pay:

    paid_energy[p,y] >= sum_s hours[s] * gen[p,y,s] / 1000                          (GWh taken)
    paid_energy[p,y] >= take_or_pay_share[p] * expected_energy_gwh[p] * online_fraction[p,y]

    (a must-take plant has take_or_pay_share 1: everything it can make is paid, delivered or not)
    """
    top = data.projects["take_or_pay_share"].to_dict()
    tariff = {(p, y): data.tariff(p, y) for p in data.projects.index for y in data.years}
    expected = data.projects["expected_energy_gwh"].to_dict()
    (_p, pc, pu), (_y, yc, yu), _s = index_fields(data, "gen_index")
    n = len(pc)
    pairs = np.unique(pc * max(len(yu), 1) + yc) if n else np.zeros(0, dtype=np.int64)
    ny = max(len(yu), 1)
    paid_index = sorted({(pu[c // ny], int(yu[c % ny])) for c in pairs.tolist() if top[pu[c // ny]] > 0}
                        | {(p, y) for p in data.projects.index if top[p] > 0 for y in data.years
                           if data.can_be_online(p, y)})
    m.__dict__["paid_energy_index"] = paid_index
    paid = add_var(m, ArrayVar("paid_energy", paid_index, 0.0))  # GWh paid for
    row_of = paid.position
    table = np.array([[row_of.get((p, int(y)), -1) for y in yu] for p in pu], dtype=np.int64) if n else None
    at = table[pc, yc] if n else np.zeros(0, dtype=np.int64)
    gen_in = np.flatnonzero(at >= 0)
    k = np.arange(len(paid_index))
    taken = ArrayRows("take_or_pay_taken", paid_index, GE, 0.0)
    taken.add(paid, k, k, 1.0)
    taken.add(m.gen, at[gen_in], gen_in, -hours[gen_in] / 1000.0)
    add_rows(m, taken)
    due = np.fromiter((top[p] * expected[p] for p, _y in paid_index), float, len(paid_index))
    const, pos, target = fraction_arrays(m, data, paid_index, kind="online")
    fixed = pos < 0
    take_or_pay = ArrayRows("take_or_pay", paid_index, GE, np.where(fixed, due * np.nan_to_num(const), 0.0))
    take_or_pay.add(paid, k, k, 1.0)
    free = np.flatnonzero(~fixed)
    take_or_pay.add(target, free, pos[free], -due[free])
    add_rows(m, take_or_pay)

    unpaid = at < 0
    rate = np.array([[tariff[(p, int(y))] for y in yu] for p in pu], dtype=float)[pc, yc] if n else np.zeros(0)
    per_gen = np.where(unpaid & (rate > 0), hours * rate / 1e6, 0.0)
    payments = _by_year(m.gen, years, per_gen, data)
    pyears = np.fromiter((y for _p, y in paid_index), np.int64, len(paid_index))
    prate = np.fromiter((tariff[k] for k in paid_index), float, len(paid_index))
    for y, lin in _by_year(paid, pyears, np.where(prate > 0, prate / 1000.0, 0.0), data).items():
        payments[y] = payments[y] + lin
    _set_component(m, "payments", payments)
    assets, share = data.assets, data.links["importer_share"]
    per_link = {lk: share[lk] * (assets.at[lk, "annuity_musd_per_year"] + assets.at[lk, "fixed_om_musd_per_year"])
                for lk in data.links.index if share[lk] > 0}
    _set_component(m, "links", _assets_by_year(m, data, per_link))


def total_cost(m, data: ModelData, view: tuple | None = None) -> Linear:
    """sum_y W_y * sum_{c in view} cost_c[y] (MUSD, NPV) as a Linear."""
    view = VIEWS[data.perspective] if view is None else view
    total = Linear()
    for y in data.years:
        for c in view:
            total = total + data.weight[y] * getattr(m, f"cost_{c}")[y]
    return total


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """minimise sum_y W_y * (capex[y] + fixed_om[y] + energy[y] + co2[y] + penalty[y] + lost_load[y] + import_value[y])
    (perspective system), or
    minimise sum_y W_y * (payments[y] + links[y] + co2[y] + penalty[y] + lost_load[y] + import_value[y])
    (perspective importer); MUSD, NPV to base_year."""
    _add_objective(m, "total_cost", total_cost(m, data))
