"""The region around the border (SPEC §3.6): where each plant's energy goes, and what it is worth
to each buyer. Pure functions of the data and the solved model's values; no Pyomo, no I/O.

Offtake by proportional sharing (flow tracing). The model has one kind of power, not one per
buyer, so "whose MWh" is a rule, not a variable. planner uses the proportional-sharing principle:
power leaving a node (on a link, into an import, to the node's own demand, into a store) has the
same mix of plants as the power entering it (its plants' generation plus what its links bring,
after losses). For a year y and slice s, with T_n the total power entering node n, the share
x[n,p] of plant p in it solves

    T_n x[n,p] - sum_{l: m -> n} (1 - loss_l) flow_l x[m,p] = gen[p] if p is at n, else 0

(one linear system per slice; a node nothing enters has no mix). A plant's energy then goes to:
the country of each importing node (import x share), the country of each node with demand (served
demand x share), ``losses`` (what each link loses x the share of its sending node), and
``storage`` (what a store charges). These sum to its generation. Why this rule and not one
generation variable per buyer: per-buyer variables need one flow per buyer on every link (a
multi-commodity network, the LP times the number of buyers) and their split is not unique when two
buyers pay the same; the tracing rule is unique for a given dispatch and costs nothing in the
model.

A buyer's value of a plant (netback, tariffs.csv): for each buying country c, the best over its
importing nodes n of  kept(p -> n) x mean_s value[n, y, s],  where kept is the largest product of
(1 - loss) along a path of links (any status, in the directions they allow) from the plant's node
to n, and the mean is over the slices weighted by hours x the plant's availability in the first
modelled year it can run. It ignores congestion (offtake.csv has the plan's answer): it says at
what price at the border a plant would rather go elsewhere.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .data import ModelData, kept_from

LOSSES, STORAGE = "losses", "storage"


def _by_slice(var, key=lambda first: first) -> dict[tuple[int, str], list]:
    """(year, slice) -> [(key(first), value)] for each (first, year, slice) of an array variable
    whose value is positive (above 1e-9): read from its value array, only the positive entries."""
    out: dict[tuple[int, str], list] = {}
    if var is None:
        return out
    values = var.values_or_zero()
    keys = var.keys
    for i in np.flatnonzero(values > 1e-9).tolist():
        first, y, s = keys[i]
        out.setdefault((y, s), []).append((key(first), float(values[i])))
    return out


def _served(m, data: ModelData) -> np.ndarray:
    """unserved MW of each demand row, in data.demand_mw's order."""
    if not data.demand_mw:
        return np.zeros(0)
    return m.unserved.values_or_zero()[m.unserved.positions(list(data.demand_mw))]


def trace_offtake(m, data: ModelData) -> pd.DataFrame:
    """project, year, country, energy_gwh: where each plant's energy went (proportional sharing).

    Where the sharing's equations are singular (a lossless loop of flow between nodes that make
    nothing), a least-squares answer is used and said: ``frame.attrs["warnings"]`` (summary.json)."""
    node_of = data.projects["node"].to_dict()
    nodes = list(data.nodes)
    at = {n: i for i, n in enumerate(nodes)}
    ends = {lk: (r.from_node, r.to_node, 1.0 - float(r.loss_fraction)) for lk, r in data.links.iterrows()}
    gens = _by_slice(m.gen)
    flows: dict[tuple[int, str], list] = {}
    flow_values = m.flow.values_or_zero()
    for i in np.flatnonzero(flow_values > 1e-9).tolist():
        lk, y, s, d = m.flow.keys[i]
        f = float(flow_values[i])
        src, dst, kept = ends[lk]
        if d == "reverse":
            src, dst = dst, src
        flows.setdefault((y, s), []).append((src, dst, kept, f))
    charges = _by_slice(getattr(m, "charge", None), lambda p: node_of[p])
    imports = _by_slice(m.imports)
    served: dict[tuple[int, str], list] = {}
    for ((n, y, s), mw), short in zip(data.demand_mw.items(), _served(m, data).tolist()):
        v = mw - short
        if v > 1e-9:
            served.setdefault((y, s), []).append((n, v))
    acc: dict[tuple[str, int, str], float] = {}
    fallback: list[tuple[int, str]] = []
    for (y, s), plants in gens.items():
        projects = [p for p, _ in plants]
        col = {p: j for j, p in enumerate(projects)}
        k = len(nodes)
        a = np.zeros((k, k))
        b = np.zeros((k, len(projects)))
        total = np.zeros(k)
        for p, g in plants:
            i = at[node_of[p]]
            b[i, col[p]] += g
            total[i] += g
        for src, dst, kept, f in flows.get((y, s), []):
            total[at[dst]] += kept * f
            a[at[dst], at[src]] -= kept * f
        for i in range(k):
            a[i, i] += total[i] if total[i] > 1e-9 else 1.0
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:  # a lossless loop of flow between nodes that make nothing
            x = np.linalg.lstsq(a, b, rcond=None)[0]
            fallback.append((y, s))
        h = data.hours[s] / 1000.0  # MW -> GWh per year

        def book(i: int, mw: float, where: str) -> None:
            for p, j in col.items():
                share = x[i, j]
                if share > 1e-12:
                    acc[(p, y, where)] = acc.get((p, y, where), 0.0) + h * mw * share

        for n, v in imports.get((y, s), []):
            book(at[n], v, data.node_country[n])
        for n, v in served.get((y, s), []):
            book(at[n], v, data.node_country[n])
        for src, _dst, kept, f in flows.get((y, s), []):
            book(at[src], (1.0 - kept) * f, LOSSES)
        for n, c in charges.get((y, s), []):
            book(at[n], c, STORAGE)
    rows = [(p, y, c, e) for (p, y, c), e in acc.items() if e > 1e-9]
    frame = pd.DataFrame(rows, columns=["project", "year", "country", "energy_gwh"])
    frame = frame.sort_values(["project", "year", "country"]).reset_index(drop=True)
    frame.attrs["warnings"] = offtake_warnings(fallback)
    return frame


def offtake_warnings(fallback: list[tuple[int, str]]) -> list[str]:
    """What summary.json says when the sharing had no unique answer in some slices."""
    if not fallback:
        return []
    shown = ", ".join(f"{y} {s}" for y, s in fallback[:3]) + (f" and {len(fallback) - 3} more" if len(fallback) > 3
                                                             else "")
    return [f"offtake.csv: in {len(fallback)} slice(s) ({shown}) power flows round a lossless loop of nodes that "
            f"make nothing, so the proportional sharing has no unique answer; there the shares are a least-squares "
            f"one, not a tracing of the flow"]


def buyer_values(data: ModelData) -> dict[str, dict[str, float]]:
    """project -> {buying country: netback USD/MWh at the plant} (see the module's docstring);
    {} without import values. A country the plant cannot reach is left out."""
    if not data.import_value:
        return {}
    out: dict[str, dict[str, float]] = {}
    node_of = data.projects["node"].to_dict()
    reach_cache: dict[str, dict[str, float]] = {}
    for p in data.projects.index:
        years = [y for y in data.years if data.can_be_online(p, y) or data.can_operate(p, y)]
        if not years:
            continue
        y = years[0]
        weights = {s: data.hours[s] * data.availability[(p, s)] for s in data.slices}
        total = sum(weights.values())
        if total <= 0:
            continue
        home = node_of[p]
        reach = reach_cache.setdefault(home, kept_from(data.links, home))
        values: dict[str, float] = {}
        for n in data.importing_nodes:
            if n not in reach:
                continue
            mean = sum(w * data.import_value[(n, y, s)] for s, w in weights.items()) / total
            c = data.node_country[n]
            values[c] = max(values.get(c, -math.inf), reach[n] * mean)
        out[p] = values
    return out


def competing_buyers_table(data: ModelData, offtake: pd.DataFrame | None) -> pd.DataFrame:
    """Per project: its value to the importer (options.importing_country), its best other buyer and
    that buyer's value (netbacks, USD/MWh at the plant), the gap, and where the plan sent most of
    its energy over the horizon (offtake.csv: main_buyer, main_buyer_share)."""
    values = buyer_values(data)
    importer = _importer(data)
    rows = []
    sent = offtake[~offtake.country.isin([LOSSES, STORAGE])] if offtake is not None and len(offtake) else None
    for p in data.projects.index:
        v = values.get(p, {})
        others = {c: x for c, x in v.items() if c != importer}
        best = max(sorted(others), key=lambda c: others[c]) if others else None
        main, share = None, math.nan
        if sent is not None:
            mine = sent[sent.project == p].groupby("country").energy_gwh.sum()
            if len(mine) and mine.sum() > 0:
                main = str(mine.idxmax())
                share = float(mine.max() / mine.sum())
        own = v.get(importer, math.nan)
        other = others[best] if best is not None else math.nan
        rows.append(dict(project=p, importer_value_usd_per_mwh=own, best_other_buyer=best,
                         best_other_value_usd_per_mwh=other, value_gap_usd_per_mwh=own - other,
                         main_buyer=main, main_buyer_share=share))
    return pd.DataFrame(rows, columns=["project", "importer_value_usd_per_mwh", "best_other_buyer",
                                       "best_other_value_usd_per_mwh", "value_gap_usd_per_mwh", "main_buyer",
                                       "main_buyer_share"])


def _importer(data: ModelData) -> str:
    """The default buyer (options.importing_country): contracts count for it unless they say otherwise."""
    return data.importer


def demand_table(m, data: ModelData) -> pd.DataFrame:
    """node, year, slice, demand_mw, served_mw, unserved_mw, unserved_gwh (per year),
    value_of_lost_load_usd_per_mwh: demand served before export and what was not (SPEC §3.6)."""
    rows = []
    for ((n, y, s), mw), short in zip(data.demand_mw.items(), _served(m, data).tolist()):
        rows.append((n, y, s, mw, mw - short, short, data.hours[s] * short / 1000.0, data.voll_usd_per_mwh[(n, y, s)]))
    frame = pd.DataFrame(rows, columns=["node", "year", "slice", "demand_mw", "served_mw", "unserved_mw",
                                        "unserved_gwh", "value_of_lost_load_usd_per_mwh"])
    order = {s: i for i, s in enumerate(data.slices)}
    return (frame.assign(_o=frame["slice"].map(order)).sort_values(["node", "year", "_o"]).drop(columns="_o")
            .reset_index(drop=True))


