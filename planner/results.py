"""Solved model -> dict of tidy DataFrames (SPEC §4). No I/O here.

Money is in USD million (MUSD); marginal values are converted from the NPV duals of the model to
the money of the year they refer to (divided by the year's discount weight W_y).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import ModelData, availability_table, index_fields
from . import payers, region, solution
from .solve import SolveResult

TOL = 1e-9


_v, _online, _operating = solution.value, solution.online, solution.operating


def builds_table(m, data: ModelData) -> pd.DataFrame:
    """One row per asset that is online at some time: existing, committed, and each build of a candidate."""
    rows = []
    assets = data.assets
    for a, r in assets.iterrows():
        if r.status == "candidate":
            continue
        if not any(data.fixed_online.get((a, y), 0) > 0 for y in data.years) and r.status == "existing":
            continue
        rows.append(dict(asset=a, kind=r.kind, status=r.status,
                         build_year=int(r.online_year) if pd.notna(r.online_year) else None,
                         capacity_mw=r.capacity_mw, capex_musd=r.capex_musd if r.status != "existing" else 0.0,
                         technology=r.technology))
    for a, y in m.build_index:
        fraction = _v(m.build[a, y])
        if fraction > 1e-6:
            r = assets.loc[a]
            rows.append(dict(asset=a, kind=r.kind, status=r.status, build_year=y,
                             capacity_mw=fraction * r.capacity_mw, capex_musd=fraction * r.capex_musd,
                             technology=r.technology))
    frame = pd.DataFrame(rows, columns=["asset", "kind", "status", "build_year", "capacity_mw", "capex_musd",
                                        "technology"])
    frame["build_year"] = frame["build_year"].astype("Int64")
    return frame.sort_values(["kind", "asset", "build_year"], na_position="first").reset_index(drop=True)


def capacity_table(m, data: ModelData) -> pd.DataFrame:
    rows = [dict(asset=a, year=y, online_mw=data.assets.at[a, "capacity_mw"] * _online(m, data, a, y))
            for a in data.assets.index for y in data.years]
    frame = pd.DataFrame(rows, columns=["asset", "year", "online_mw"])
    return frame[frame.online_mw > 1e-6].sort_values(["asset", "year"]).reset_index(drop=True)


def dispatch_table(m, data: ModelData) -> pd.DataFrame:
    """Generation per project, year and slice; ``curtailed_gwh`` is energy that could have been made
    and was not. For an energy-limited project (a reservoir) only what exceeds the energy left in
    its yearly limit counts: the yearly spill max(0, min(available, limit) - generated) is shared
    among the slices in proportion to their unused availability."""
    limit = data.projects["max_energy_gwh_per_year"]
    (projects, pc, pu), (years, yc, yu), (slices, sc, su) = index_fields(data, "gen_index")
    ny = max(len(yu), 1)
    pairs, pair_of = np.unique(pc * ny + yc, return_inverse=True)  # each (p, y) once
    online = np.array([_operating(m, data, pu[k // ny], int(yu[k % ny])) for k in pairs.tolist()], dtype=float)
    online = online[pair_of] if len(pc) else np.zeros(0)
    capacity = data.assets["capacity_mw"].reindex(pu).to_numpy(dtype=float)
    table = availability_table(data, pu, su)
    hours = np.array([data.hours[s] for s in su], dtype=float)[sc] if len(sc) else np.zeros(0)
    gen = m.gen.values_or_zero()
    available = table[pc, sc] * capacity[pc] * online if len(pc) else np.zeros(0)
    keep = online > TOL
    frame = pd.DataFrame({"project": projects[keep], "year": years[keep].astype(np.int64), "slice": slices[keep],
                          "generation_mw": gen[keep], "energy_gwh": hours[keep] * gen[keep] / 1000.0,
                          "curtailed_gwh": np.maximum(available[keep] - gen[keep], 0.0) * hours[keep] / 1000.0,
                          "online": online[keep]})
    frame.loc[frame.project.isin(data.storage), "curtailed_gwh"] = 0.0  # a store's spare power is not spill
    budgeted = frame.project.isin({p for p, _ in data.season_budget_gwh})
    if budgeted.any():
        frame.loc[budgeted, "curtailed_gwh"] = _season_spill(frame[budgeted], data)
    limited = frame.project.isin(data.energy_limited)
    if limited.any():
        sub = frame[limited]
        by = [sub.project, sub.year]
        unused = sub.groupby(by).curtailed_gwh.transform("sum")
        made = sub.groupby(by).energy_gwh.transform("sum")
        allowed = sub.project.map(limit).astype(float) * sub.online
        spill = ((made + unused).clip(upper=allowed) - made).clip(lower=0.0)
        share = (sub.curtailed_gwh / unused.where(unused > 0)).fillna(0.0)
        frame.loc[limited, "curtailed_gwh"] = spill * share
    return _sort(frame.drop(columns="online"), ["project", "year", "slice"], data)


def _season_spill(sub: pd.DataFrame, data: ModelData) -> pd.Series:
    """Pondage/reservoir plants: the water of a season not used, max(0, budget x online - generated),
    shared among the season's slices by their hours (their power is bounded by capacity alone)."""
    season_of = {s: season for season, slices in data.season_slices.items() for s in slices}
    season = sub["slice"].map(season_of)
    key = [sub.project, sub.year, season]
    made = sub.groupby(key).energy_gwh.transform("sum")
    budget = pd.Series([data.season_budget_gwh[(p, z)] for p, z in zip(sub.project, season)], index=sub.index)
    hours = sub["slice"].map(data.hours)
    share = hours / hours.groupby(key).transform("sum")
    return ((budget * sub.online - made).clip(lower=0.0) * share).astype(float)


def flows_table(m, data: ModelData) -> pd.DataFrame:
    cap = data.assets["capacity_mw"]
    rows = []
    online_of: dict = {}
    for (lk, y, s, d), flow in zip(m.flow.keys, m.flow.values_or_zero().tolist()):
        online = online_of.get((lk, y))
        if online is None:
            online = online_of[(lk, y)] = cap[lk] * _online(m, data, lk, y)
        if online <= TOL:
            continue
        rows.append((lk, y, s, d, flow, flow / online if online > TOL else 0.0))
    frame = pd.DataFrame(rows, columns=["link", "year", "slice", "direction", "flow_mw", "utilisation"])
    return _sort(frame, ["link", "year", "slice", "direction"], data)


def storage_table(m, data: ModelData) -> pd.DataFrame:
    """Per storage project, year and slice: charge and discharge (MW) and the state of charge at
    the end of the slice (MWh, within its period's cycle)."""
    keys = m.storage_index
    out = m.gen.positions(keys) if keys else np.zeros(0, dtype=np.int64)
    discharge = np.where(out >= 0, m.gen.values_or_zero()[np.maximum(out, 0)], 0.0) if keys else np.zeros(0)
    rows = [(p, y, s, c, g, soc) for (p, y, s), c, g, soc in
            zip(keys, m.charge.values_or_zero().tolist(), discharge.tolist(), m.soc.values_or_zero().tolist())]
    frame = pd.DataFrame(rows, columns=["project", "year", "slice", "charge_mw", "discharge_mw", "state_of_charge_mwh"])
    return _sort(frame, ["project", "year", "slice"], data)


def _sort(frame: pd.DataFrame, keys: list[str], data: ModelData) -> pd.DataFrame:
    """Sort with slices in their scenario order (not alphabetically)."""
    if "slice" in keys:
        order = {s: i for i, s in enumerate(data.slices)}
        frame = frame.assign(_o=frame["slice"].map(order))
        keys = [("_o" if k == "slice" else k) for k in keys]
        return frame.sort_values(keys).drop(columns="_o").reset_index(drop=True)
    return frame.sort_values(keys).reset_index(drop=True)


def imports_table(m, data: ModelData, result: SolveResult) -> pd.DataFrame:
    """One row per scope (each target scope, the importing country and each importing node) and year.

    Shortfalls are volumes: target less what was delivered (or contracted), never below zero, read
    from the plan and not from the shortfall variables (which are free when no penalty prices them).
    ``firm_mw`` is the plan's firm capability (measures.firm_capability, the same from any equally
    cheap dispatch); ``peak_import_mw`` what this dispatch delivered at its peak.

    Marginal values in USD/MWh of the year (USD/kW-year): for a scope with an energy target the
    cost of one more MWh of the target, short run (every build fixed) and long run (integer choices
    fixed, zones may grow); for a scope without one, the cost of one more MWh delivered that year;
    ``lasting_marginal_cost_usd_per_mwh``: one more MWh in every year from this one to the horizon,
    per discounted MWh (long run). None of them includes the value of the imports.
    """
    scopes = sorted(set(data.scope_nodes)) + [n for n in data.importing_nodes if n not in data.scope_nodes]
    scope_nodes = {**{n: [n] for n in data.importing_nodes}, **data.scope_nodes}
    rows = []
    for t in scopes:
        for y in data.years:
            per_slice = {s: sum(_v(m.imports[n, y, s]) for n in scope_nodes[t]) for s in data.slices}
            energy = sum(data.hours[s] * v for s, v in per_slice.items()) / 1000.0
            dispatched_firm = min((per_slice[s] for s in data.peak_slices), default=np.nan)
            e_target = data.energy_targets.get((t, y))
            c_target = data.capacity_targets.get((t, y))
            k_target = data.contracted_targets.get((t, y))
            contracted = sum(mw * _operating(m, data, p, y) for p, mw in data.contracted_mw_of.get(t, {}).items()
                             if data.can_operate(p, y))
            e_short = max(e_target - energy, 0.0) if e_target is not None else np.nan
            c_short = max(c_target - dispatched_firm, 0.0) if c_target is not None else np.nan
            k_short = max(k_target - contracted, 0.0) if k_target is not None else np.nan
            per_year = 1000.0 / data.weight[y]  # MUSD per GWh (or MW) of NPV -> USD/MWh (USD/kW) of the year

            def value(kind: str, component: str, target) -> float:
                v = result.target_values.get((kind, (t, y), component)) if target is not None else None
                return np.nan if v is None else v * per_year

            def added(kind: str) -> float:
                return result.import_costs.get((kind, t, y), np.nan)

            if e_target is not None:
                e_price, e_long = value("short", "energy_target", e_target), value("long", "energy_target", e_target)
            else:
                e_price, e_long = added("short"), added("long")
            c_price, c_long = value("short", "capacity_target", c_target), value("long", "capacity_target", c_target)
            rows.append(dict(scope=t, year=y, energy_gwh=energy, target_energy_gwh=e_target,
                             energy_shortfall_gwh=e_short, firm_mw=result.firm_mw.get((t, y), np.nan),
                             target_capacity_mw=c_target,
                             capacity_shortfall_mw=c_short, marginal_cost_usd_per_mwh=e_price,
                             long_run_marginal_cost_usd_per_mwh=e_long,
                             lasting_marginal_cost_usd_per_mwh=added("lasting"),
                             marginal_capacity_cost_usd_per_kw_year=c_price,
                             long_run_marginal_capacity_cost_usd_per_kw_year=c_long,
                             peak_import_mw=max(per_slice.values(), default=np.nan),
                             dispatched_firm_mw=dispatched_firm,
                             import_limit_mw=data.max_import_mw_by_scope.get(t, data.max_import_mw.get(t)),
                             contracted_mw=contracted if (t in data.contracted_mw_of or k_target is not None) else np.nan,
                             target_contracted_mw=k_target, contracted_shortfall_mw=k_short,
                             contracted_shortfall_gwh=k_short * sum(data.hours.values()) / 1000.0
                             * _contracted_load_factor(data, t) if k_target is not None else np.nan,
                             import_value_usd_per_mwh=_mean_value(m, data, scope_nodes[t], y)))
    columns = ["scope", "year", "energy_gwh", "target_energy_gwh", "energy_shortfall_gwh", "firm_mw",
               "target_capacity_mw", "capacity_shortfall_mw", "marginal_cost_usd_per_mwh",
               "long_run_marginal_cost_usd_per_mwh", "lasting_marginal_cost_usd_per_mwh",
               "marginal_capacity_cost_usd_per_kw_year",
               "long_run_marginal_capacity_cost_usd_per_kw_year", "peak_import_mw", "dispatched_firm_mw",
               "import_limit_mw", "contracted_mw", "target_contracted_mw", "contracted_shortfall_mw",
               "contracted_shortfall_gwh", "import_value_usd_per_mwh"]
    return pd.DataFrame(rows, columns=columns).sort_values(["scope", "year"]).reset_index(drop=True)


def _contracted_load_factor(data: ModelData, scope: str) -> float:
    """The energy a MW of contracted plant delivers in a year, as a share of 8,760 h: the mean of
    the scope's contracted plants' expected energy per MW (weighted by MW); turns a contracted
    shortfall in MW into the GWh it stands for."""
    mw = data.contracted_mw_of.get(scope, {})
    expected = data.projects["expected_energy_gwh"]
    cap = data.assets["capacity_mw"]
    pairs = [(cap[p], expected[p]) for p in mw if pd.notna(expected[p]) and cap[p] > 0]
    total_mw = sum(c for c, _ in pairs)
    if total_mw <= 0:
        return 0.0
    return sum(e for _, e in pairs) * 1000.0 / (total_mw * sum(data.hours.values()))


def _mean_value(m, data: ModelData, nodes: list[str], y: int) -> float:
    """The import value of the scope's delivered energy in year y (USD/MWh, weighted by energy;
    by hours when nothing was delivered); blank without import values."""
    if not data.import_value:
        return np.nan
    num = den = 0.0
    for n in nodes:
        for s in data.slices:
            mwh = data.hours[s] * _v(m.imports[n, y, s])
            num += data.import_value[(n, y, s)] * mwh
            den += mwh
    if den > 0:
        return num / den
    values = [data.import_value[(n, y, s)] * data.hours[s] for n in nodes for s in data.slices]
    return sum(values) / (len(nodes) * sum(data.hours.values())) if nodes else np.nan


def links_table(m, data: ModelData) -> pd.DataFrame:
    """The border gates: energy delivered and lost, peak flow and utilisation per link and year;
    ``n_minus_1_limit_mw`` = (circuits - 1) / circuits x online_mw, what the link may carry in a peak
    slice under options.n_minus_1 (blank: no N-1 rule for it)."""
    cap = data.assets["capacity_mw"]
    loss = data.links["loss_fraction"]
    acc: dict[tuple[str, int], list[float]] = {}
    for (lk, y, s, d), flow in zip(m.flow.keys, m.flow.values_or_zero().tolist()):
        a = acc.setdefault((lk, y), [0.0, 0.0, 0.0])  # sent MWh, losses MWh, peak MW
        a[0] += data.hours[s] * flow
        a[1] += data.hours[s] * flow * loss[lk]
        a[2] = max(a[2], flow)
    hours_per_year = sum(data.hours.values())
    rows = []
    for lk in data.links.index:
        for y in data.years:
            online = cap[lk] * _online(m, data, lk, y)
            if online <= TOL:
                continue
            sent, lost, peak = acc.get((lk, y), [0.0, 0.0, 0.0])
            rows.append(dict(link=lk, year=y, online_mw=online, delivered_gwh=(sent - lost) / 1000.0,
                             losses_gwh=lost / 1000.0, peak_flow_mw=peak,
                             utilisation=sent / (online * hours_per_year),
                             n_minus_1_limit_mw=data.n_minus_1_share[lk] * online if lk in data.n_minus_1_share
                             else np.nan))
    frame = pd.DataFrame(rows, columns=["link", "year", "online_mw", "delivered_gwh", "losses_gwh", "peak_flow_mw",
                                        "utilisation", "n_minus_1_limit_mw"])
    return frame.sort_values(["link", "year"]).reset_index(drop=True)


def prices_table(m, data: ModelData, result: SolveResult) -> pd.DataFrame:
    """Short-run node prices in USD/MWh of the year: the node balance dual (every build decision
    fixed) x 1e6 / (hours[s] x W_y); blank at a node and year where nothing is online (no plant
    and no link at it): no energy can flow there, so no price is defined."""
    live = set()
    node_of = data.projects["node"].to_dict()
    for p in data.projects.index:
        for y in data.years:
            if _operating(m, data, p, y) > TOL:
                live.add((node_of[p], y))
    for lk, r in data.links.iterrows():
        for y in data.years:
            if _online(m, data, lk, y) > TOL:
                live.update({(r.from_node, y), (r.to_node, y)})
    rows = []
    if result.duals:
        duals = result.duals
        pairs = (zip(*duals.family("node_balance")) if hasattr(duals, "family")  # one family's arrays
                 else ((index, d) for (name, index), d in duals.items() if name == "node_balance"))
        for index, dual in pairs:  # in the rows' order
            n, y, s = index
            price = dual * 1e6 / (data.hours[s] * data.weight[y]) if (n, y) in live else np.nan
            rows.append((n, y, s, price))
    frame = pd.DataFrame(rows, columns=["node", "year", "slice", "price_usd_per_mwh"])
    return _sort(frame, ["node", "year", "slice"], data)


def result_tables(m, data: ModelData, result: SolveResult) -> dict[str, pd.DataFrame]:
    """Every table of SPEC §4, keyed by file stem."""
    payments = payers.payments_table(m, data)
    extra = {"storage": storage_table(m, data)} if data.storage else {}
    extra.update(region_tables(m, data))
    return {
        "builds": builds_table(m, data),
        "capacity": capacity_table(m, data),
        "dispatch": dispatch_table(m, data),
        "flows": flows_table(m, data),
        "imports": imports_table(m, data, result),
        "links": links_table(m, data),
        "prices": prices_table(m, data, result),
        "costs": payers.costs_table(m, data, payments, data.end_year),
        "payments": payments,
        "tariffs": _with_buyers(payers.tariffs_table(m, data), data, extra.get("offtake")),
        **extra,
    }


def region_tables(m, data: ModelData) -> dict[str, pd.DataFrame]:
    """SPEC §3.6: ``offtake`` (project, year, country, energy_gwh: where each plant's energy went, by
    proportional sharing, region.trace_offtake) with several buying countries or a demand, and
    ``demand`` (served and unserved load per node, year and slice) with a demand."""
    out = {}
    if len(data.importing_countries) > 1 or data.demand_mw:
        out["offtake"] = region.trace_offtake(m, data)
    if data.demand_mw:
        out["demand"] = region.demand_table(m, data)
    return out


def _with_buyers(tariffs: pd.DataFrame, data: ModelData, offtake: pd.DataFrame | None) -> pd.DataFrame:
    """tariffs.csv with several buying countries: each project's value to the importer against its
    best other buyer (region.competing_buyers_table)."""
    if len(data.importing_countries) < 2:
        return tariffs
    return tariffs.merge(region.competing_buyers_table(data, offtake), on="project", how="left")
