"""Scenario -> ModelData: index sets (sparse), parameters, annuities and discount weights.

Pure pandas/Python; no Pyomo. Everything the formulation needs is computed here once, so the
formulation modules only declare variables and constraints over these sets (SPEC §3, §3.1).
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from . import finance
from .finance import crf, year_weights  # noqa: F401  (re-exported: tests and tools use data.crf)
from .gcpause import paused_gc
from .scenario.errors import Problems
from .scenario.schema import ImportValue, Scenario

DEFAULT_PROJECT_LIFETIME_YEARS = 30
DEFAULT_LINK_LIFETIME_YEARS = 40
DIRECTIONS = ("forward", "reverse")
#: shortfall penalties when the scenario gives none and no import values: the legacy device that
#: makes targets bind (with import values a shortfall is a reported volume, SPEC §3.3)
DEFAULT_SHORTFALL_PENALTY_USD_PER_MWH = 500.0
DEFAULT_CAPACITY_PENALTY_USD_PER_KW_YEAR = 300.0


def _first(*values):
    """The first value that is not None."""
    return next(v for v in values if v is not None)


@dataclass
class ModelData:
    """Sets and parameters of one scenario, ready for the formulation."""

    name: str
    build_mode: str
    years: list[int]
    weight: dict[int, float]
    slices: list[str]
    hours: dict[str, float]
    peak_slices: list[str]
    nodes: list[str]
    node_country: dict[str, str]
    importing_nodes: list[str]
    max_import_mw: dict[str, float]
    max_import_mw_by_scope: dict[str, float]  # scope -> MW over its importing nodes, every slice
    assets: pd.DataFrame  # index asset id; kind, status, sizing, capacity_mw, lifetime_years, costs
    projects: pd.DataFrame  # index project id; node, technology, energy_cost_usd_per_mwh, ...
    links: pd.DataFrame  # index link id; from, to, loss_fraction, bidirectional
    fixed_online: dict[tuple[str, int], float]  # (asset, year) -> online fraction of non-candidates
    fixed_operating: dict[tuple[str, int], float]  # (existing/committed asset, year) -> 0/1 when fixed
    operating_index: list[tuple[str, int]]  # (existing/committed asset, year) whose running hangs on a candidate
    build_years: list[tuple[str, int]]  # (candidate, year) pairs where it may come online
    online_builds: dict[tuple[str, int], list[int]]  # (candidate, y) -> build years online in y
    availability: dict[tuple[str, str], float]  # (project, slice) -> availability
    gen_index: Sequence[tuple[str, int, str]]  # IndexKeys: read when asked
    flow_index: Sequence[tuple[str, int, str, str]]
    import_index: list[tuple[str, int, str]]
    energy_targets: dict[tuple[str, int], float]  # (scope, y) -> GWh
    capacity_targets: dict[tuple[str, int], float]  # (scope, y) -> MW
    scope_nodes: dict[str, list[str]]  # scope -> importing nodes in it
    requires: list[tuple[str, str]]
    excludes: list[tuple[str, str]]
    excluded_by_tariff: list[str]
    shortfall_penalty_usd_per_mwh: float
    capacity_shortfall_penalty_usd_per_kw_year: float
    strict_targets: bool
    co2_price_usd_per_t: float
    max_new_capacity_mw_per_year: float | None
    capex_budget_musd_per_year: float | None
    energy_limited: list[str] = field(default_factory=list)
    #: contracted-capacity targets (scope, y) -> MW, and per scope the projects contracted to it with
    #: the MW each counts when fully online (capacity_mw x capacity_credit)
    contracted_targets: dict[tuple[str, int], float] = field(default_factory=dict)
    contracted_mw_of: dict[str, dict[str, float]] = field(default_factory=dict)
    #: pondage/reservoir plants: (project, season) -> GWh budget of the season when fully online, and
    #: the slices of each season (a slice without a season is a season of its own)
    season_budget_gwh: dict[tuple[str, str], float] = field(default_factory=dict)
    season_slices: dict[str, list[str]] = field(default_factory=dict)
    hydro_kind: dict[str, str] = field(default_factory=dict)  # project -> run_of_river | pondage | reservoir
    #: whose cost the objective counts (system | importer), the developer's cost of capital, and the
    #: importer's value of imported energy per slice (USD/MWh; empty: none)
    perspective: str = "system"
    end_year: int | None = None  # horizon.end_year: the last modelled year stands for the years up to it
    developer_wacc: float = 0.10
    #: Vietnam's value of a MWh delivered: (importing node, year, slice) -> USD/MWh (empty: none given)
    import_value: dict[tuple[str, int, str], float] = field(default_factory=dict)
    #: the ceiling bars candidates above it from coming online up to this year only (None: every year)
    tariff_ceiling_last_year: int | None = None
    #: storage projects -> (storage_hours, round-trip efficiency); the slice before each slice in
    #: its period (cyclic; itself outside a period); hours of one occurrence of each slice
    storage: dict[str, tuple[float, float]] = field(default_factory=dict)
    previous_slice: dict[str, str] = field(default_factory=dict)
    duration_h: dict[str, float] = field(default_factory=dict)
    #: what planner read differently from how it was written (e.g. a target in a year that is not
    #: modelled): printed as warnings and listed in summary.json, never silent
    notes: list[str] = field(default_factory=list)
    #: targets that must hold in this future (SPEC §3.4, a target row's ``scenario``): (scope, y) ->
    #: GWh or MW, no shortfall
    firm_energy_targets: dict[tuple[str, int], float] = field(default_factory=dict)
    firm_capacity_targets: dict[tuple[str, int], float] = field(default_factory=dict)
    #: hydro plant -> the factor its water was scaled by (``apply_hydro_factor``); 1.0 when not scaled
    hydro_factor: dict[str, float] = field(default_factory=dict)
    #: the buying countries (SPEC §3.6; [importing_country] when options.importing_countries is absent)
    importing_countries: list[str] = field(default_factory=lambda: ["VN"])
    importer: str = "VN"  # options.importing_country: the default buyer of contracts and links' cost shares
    #: load served at a node before export: (node, year, slice) -> MW, and its value of lost load (USD/MWh)
    demand_mw: dict[tuple[str, int, str], float] = field(default_factory=dict)
    voll_usd_per_mwh: dict[tuple[str, int, str], float] = field(default_factory=dict)
    #: N-1 (options.n_minus_1): link -> (circuits - 1) / circuits, the share of its capacity it may
    #: carry in peak slices; links without circuits are not in it (no rule)
    n_minus_1_share: dict[str, float] = field(default_factory=dict)
    #: must-take plants with several buyers: scope -> [(project, {year: kept})], kept = the largest
    #: share of a MW that reaches the scope's importing nodes that year (best path over the links that
    #: can carry flow then, 1 - losses; 1 in a year without such a path)
    must_take_to: dict[str, list[tuple[str, dict[int, float]]]] = field(default_factory=dict)

    def tariff(self, project: str, year: int) -> float:
        """The tariff paid in ``year`` (USD/MWh): tariff x (1 + escalation)^(year - tariff_base_year)."""
        terms = self.__dict__.get("_tariff_terms")
        if terms is None:  # per project: (tariff, escalation, base year), read once (no pandas per call)
            pr = self.projects
            terms = self.__dict__["_tariff_terms"] = dict(zip(pr.index, zip(
                pr.tariff_usd_per_mwh.astype(float), pr.tariff_escalation_per_year.astype(float),
                pr.tariff_base_year.astype(int))))
        base, rate, since = terms[project]
        if base != base:  # a store without an offered tariff: not paid per MWh
            return 0.0
        return base if rate == 0 else base * (1.0 + rate) ** (year - since)

    def can_be_online(self, asset: str, year: int) -> bool:
        return _can_be_online(self.fixed_online, self.online_builds, asset, year)

    def can_operate(self, asset: str, year: int) -> bool:
        """Can generate / carry flow in ``year``: a candidate that can be online, or an
        existing/committed asset that is online and whose requirements can be met that year."""
        if (asset, year) in self.fixed_online:
            return self.fixed_operating.get((asset, year), 0.0) > 0 or (asset, year) in self._operating_set
        return bool(self.online_builds.get((asset, year)))

    @property
    def _operating_set(self) -> set:
        cached = self.__dict__.get("_operating_cache")
        if cached is None:
            cached = self.__dict__["_operating_cache"] = set(self.operating_index)
        return cached


def kept_from(links: pd.DataFrame, start: str) -> dict[str, float]:
    """The largest product of (1 - loss) over paths of links from ``start`` to every node it reaches
    (links of any status; forward, and reverse where bidirectional): Dijkstra on -log(1 - loss)."""
    out_links: dict[str, list] = {}
    for r in links.itertuples():
        kept = 1.0 - float(r.loss_fraction)
        out_links.setdefault(r.from_node, []).append((r.to_node, kept))
        if bool(r.bidirectional):
            out_links.setdefault(r.to_node, []).append((r.from_node, kept))
    best = {start: 1.0}
    heap = [(0.0, start)]
    done = set()
    while heap:
        _, n = heapq.heappop(heap)
        if n in done:
            continue
        done.add(n)
        for nxt, kept in out_links.get(n, []):
            value = best[n] * kept
            if value > 0 and value > best.get(nxt, 0.0) + 1e-15:
                best[nxt] = value
                heapq.heappush(heap, (-math.log(value), nxt))
    return best


def _can_be_online(fixed_online: dict, online_builds: dict, asset: str, year: int) -> bool:
    """Online for certain (existing/committed) or through some build inside its lifetime (candidate)."""
    return fixed_online.get((asset, year), 0.0) > 0 or bool(online_builds.get((asset, year)))


def _lifetime(own: int | None, tech: int | None, default: int) -> int:
    return own if own is not None else (tech if tech is not None else default)


def _availability(scenario: Scenario, projects: list) -> np.ndarray:
    """availability[p,s] for each of ``projects`` (rows) and slice (columns, in time.slices' order):
    project slice > project season > project profile column > technology slice > technology season
    > technology@node profile column > technology profile column > 1.0.

    Each source (a technology's or a project's availability, a profile column) is read once into a
    vector over the slices (its season values, then its slice values over them) and the sources
    are laid over each other in ``_availability``'s order of precedence."""
    slices = scenario.time.slices
    n_s = len(slices)
    slice_no = {s.id: k for k, s in enumerate(slices)}
    season_no: dict[str, list[int]] = {}
    for k, s in enumerate(slices):
        if s.season is not None:
            season_no.setdefault(s.season, []).append(k)
    vectors: dict[int, tuple] = {}  # id(source) -> (values, given): a source shared by many is read once

    def vector(source: dict) -> tuple:
        hit = vectors.get(id(source))
        if hit is None:
            values, given = np.zeros(n_s), np.zeros(n_s, dtype=bool)
            for key, v in source.items():  # a season first, then a slice id overrides it
                at = season_no.get(key)
                if at is not None:
                    values[at], given[at] = v, True
            for key, v in source.items():
                k = slice_no.get(key)
                if k is not None:
                    values[k], given[k] = v, True
            hit = vectors[id(source)] = (values, given, source)  # the source kept: its id stays its own
        return hit

    profile = scenario.time.profile_availability
    out = np.ones((len(projects), n_s))
    for i, project in enumerate(projects):
        tech = scenario.technologies[project.technology]
        row = out[i]
        for source in (profile.get(project.technology), profile.get(f"{project.technology}@{project.node}"),
                       tech.availability, profile.get(project.id), project.availability):
            if source:
                values, given, _ = vector(source)
                row[given] = values[given]
    return out


@paused_gc  # millions of index tuples at scale: nothing in them to collect (gcpause.py)
def build_model_data(scenario: Scenario, file: str = "scenario", future: str | frozenset | None = None,
                     hydro_factor: dict[str, float] | None = None) -> ModelData:
    """Compute sets and parameters; raise ScenarioError for inconsistencies only visible here.

    ``future``: the uncertainty scenario this data is for (its must-hold targets apply; a set: the
    names it goes by, its id and the pNN it is); None: the targets of no future. ``hydro_factor`` (project -> factor) scales the hydro plants' water
    (``apply_hydro_factor``); None: options.hydro_energy_factor (``hydro_factors``).
    """
    problems = Problems()
    h = scenario.horizon
    years = h.year_list
    rate = h.discount_rate
    weight = year_weights(years, h.base_year, rate, h.end_year)
    slices = [s.id for s in scenario.time.slices]
    hours = {s.id: float(s.hours) for s in scenario.time.slices}
    buyers = list(scenario.options.importing_countries or [scenario.options.importing_country])
    # the default buyer of a contract (contracted_to) and of a link's cost share: importing_country
    importing = scenario.options.importing_country if scenario.options.importing_country in buyers else buyers[0]
    node_country = {n.id: n.country for n in scenario.nodes}
    node_region = {n.id: n.region for n in scenario.nodes if n.region is not None}
    importing_nodes = [n.id for n in scenario.nodes if n.country in buyers]
    limits = scenario.limits

    asset_rows, project_rows, link_rows = [], [], []
    availability: dict[tuple[str, str], float] = {}
    excluded: list[str] = []
    hydro_kind: dict[str, str] = {}
    season_slices: dict[str, list[str]] = {}
    for sl in scenario.time.slices:
        season_slices.setdefault(sl.season if sl.season is not None else sl.id, []).append(sl.id)
    season_budget: dict[tuple[str, str], float] = {}
    contracted_mw_of: dict[str, dict[str, float]] = {}
    storage: dict[str, tuple[float, float]] = {}
    previous_slice, duration_h = _chronology(scenario, file, problems)
    opts = scenario.options
    link_share = {link.id: (link.importer_share if link.importer_share is not None else
                            finance.default_importer_share(node_country.get(link.from_, ""),
                                                           node_country.get(link.to, ""), importing))
                  for link in scenario.links}
    connection_mw: dict[str, float] = {}
    for p in scenario.projects:
        if p.connection is not None:
            connection_mw[p.connection] = connection_mw.get(p.connection, 0.0) + p.capacity_mw
    links_by_id = {link.id: link for link in scenario.links}
    own_table = _availability(scenario, list(scenario.projects))  # before a season budget frees it
    availability.update(zip(product([p.id for p in scenario.projects], slices), own_table.ravel().tolist()))
    slice_hours = np.array([hours[s] for s in slices], dtype=float)
    for i, p in enumerate(scenario.projects):
        tech = scenario.technologies[p.technology]
        life = _lifetime(p.lifetime_years, tech.lifetime_years, DEFAULT_PROJECT_LIFETIME_YEARS)
        capex_kw = p.capex_usd_per_kw if p.capex_usd_per_kw is not None else tech.capex_usd_per_kw
        if capex_kw is None and p.status != "existing":
            problems.add(file, f"projects[{p.id}].capex_usd_per_kw",
                         f"a {p.status} project needs capex_usd_per_kw (on the project or its technology)")
            capex_kw = 0.0
        fom = p.fixed_om_usd_per_kw_year if p.fixed_om_usd_per_kw_year is not None else tech.fixed_om_usd_per_kw_year
        cost = p.energy_cost_usd_per_mwh if p.energy_cost_usd_per_mwh is not None else tech.energy_cost_usd_per_mwh
        emis = p.emissions_t_per_mwh if p.emissions_t_per_mwh is not None else tech.emissions_t_per_mwh
        capex_musd = (capex_kw or 0.0) * p.capacity_mw / 1000.0
        kind = p.hydro_kind or tech.hydro_kind or "run_of_river"
        hydro_kind[p.id] = kind
        if kind == "run_of_river" and p.energy_gwh_by_season:
            problems.add(file, f"projects[{p.id}].energy_gwh_by_season",
                         "a run-of-river plant has no seasonal budget (its power follows its availability); "
                         "give hydro_kind: pondage or reservoir, or drop energy_gwh_by_season")
        if kind != "run_of_river":
            _season_budget(scenario, p, availability, season_slices, season_budget, file, problems)
        ppa_years = p.ppa_years or tech.ppa_years or opts.ppa_years
        expected = finance.expected_energy_gwh(
            p.capacity_mw, slice_hours, own_table[i],
            {z: v for (q, z), v in season_budget.items() if q == p.id}, p.max_energy_gwh_per_year)
        connection = 0.0
        if p.connection is not None and p.connection in links_by_id:
            link = links_by_id[p.connection]
            connection = finance.connection_cost(link.capex_total_musd, link.fixed_om_musd_per_year,
                                                 link_share[link.id], opts.developer_wacc, ppa_years,
                                                 p.capacity_mw / connection_mw[link.id])
        build_years_n = _first(p.construction_years, tech.construction_years, 0)
        royalty = _first(p.royalty_share, tech.royalty_share, 0.0)
        break_even = finance.break_even_tariff(
            capex_musd * finance.idc_factor(opts.developer_wacc, build_years_n), (fom or 0.0) * p.capacity_mw / 1000.0,
            expected, cost or 0.0, opts.developer_wacc, ppa_years, connection, royalty) \
            if capex_kw is not None else math.nan  # an existing plant whose capex is not given: unknown
        offered = p.tariff_usd_per_mwh if p.tariff_usd_per_mwh is not None else tech.tariff_usd_per_mwh
        store_h = p.storage_hours if p.storage_hours is not None else tech.storage_hours
        if store_h is not None:
            eff = p.round_trip_efficiency if p.round_trip_efficiency is not None else tech.round_trip_efficiency
            storage[p.id] = (float(store_h), float(eff) if eff is not None else 0.85)
            expected = break_even = math.nan  # a store sells what it bought: no energy of its own
            if offered is None and opts.perspective == "importer" and p.status != "existing":
                problems.add(file, f"projects[{p.id}].tariff_usd_per_mwh",
                             "a store has no break-even tariff (it sells what it bought); in the importer's "
                             "view give the tariff the importer pays per MWh it delivers")
        # the tariff the importer pays and the ceiling tests: the offer, else the developer's break-even;
        # a store without an offer has neither: it is not paid per MWh and not tested (NaN, shown blank)
        tariff = offered if offered is not None else (
            math.nan if p.id in storage else break_even if break_even == break_even else (cost or 0.0))
        ceiling = limits.tariff_ceiling(p.technology)
        tariff_excluded = p.status == "candidate" and ceiling is not None and tariff > ceiling
        if tariff_excluded:
            excluded.append(p.id)
        top = p.take_or_pay_share if p.take_or_pay_share is not None else tech.take_or_pay_share
        contract = p.contract or tech.contract or ("take_or_pay" if top else "none")
        if contract == "take_or_pay" and not top:
            problems.add(file, f"projects[{p.id}].take_or_pay_share",
                         "contract: take_or_pay needs its take_or_pay_share (on the project or its technology), "
                         "e.g. 0.8 for 80 % of the expected energy paid whether taken or not")
        if contract == "must_take":
            top = 1.0  # the importer pays for every MWh the plant can make, delivered or curtailed
        elif contract == "none":
            top = 0.0
        asset_rows.append(dict(
            asset=p.id, kind="project", status=p.status, sizing=p.sizing, capacity_mw=p.capacity_mw,
            lifetime_years=life, online_year=p.online_year, earliest_year=p.earliest_year,
            latest_year=p.latest_year, capex_musd=capex_musd,
            annuity_musd_per_year=0.0 if p.status == "existing" else capex_musd * crf(rate, life),
            fixed_om_musd_per_year=(fom or 0.0) * p.capacity_mw / 1000.0, excluded=tariff_excluded,
            technology=p.technology, name=p.name or p.id, min_block_mw=p.min_block_mw, unit_mw=p.unit_mw))
        project_rows.append(dict(
            project=p.id, node=p.node, technology=p.technology, energy_cost_usd_per_mwh=cost or 0.0,
            tariff_usd_per_mwh=tariff, emissions_t_per_mwh=emis or 0.0, max_energy_gwh_per_year=p.max_energy_gwh_per_year,
            offered_tariff_usd_per_mwh=offered if offered is not None else math.nan,
            ceiling_usd_per_mwh=ceiling if ceiling is not None else math.nan, expected_energy_gwh=expected,
            break_even_tariff_usd_per_mwh=break_even, ppa_years=ppa_years, take_or_pay_share=top or 0.0,
            connection=p.connection, connection_musd_per_year=connection, contract=contract,
            tariff_escalation_per_year=p.tariff_escalation_per_year or 0.0,
            tariff_base_year=p.tariff_base_year if p.tariff_base_year is not None else h.base_year,
            construction_years=build_years_n, royalty_share=royalty))
        credit = p.capacity_credit if p.capacity_credit is not None else tech.capacity_credit
        contracted_mw_of.setdefault(p.contracted_to or importing, {})[p.id] = \
            (1.0 if credit is None else credit) * p.capacity_mw
    for link in scenario.links:
        life = link.lifetime_years or DEFAULT_LINK_LIFETIME_YEARS
        capex_musd = link.capex_total_musd
        asset_rows.append(dict(
            asset=link.id, kind="link", status=link.status, sizing=link.sizing, capacity_mw=link.capacity_mw,
            lifetime_years=life, online_year=link.online_year, earliest_year=link.earliest_year,
            latest_year=link.latest_year, capex_musd=capex_musd,
            annuity_musd_per_year=0.0 if link.status == "existing" else capex_musd * crf(rate, life),
            fixed_om_musd_per_year=link.fixed_om_musd_per_year, excluded=False, technology="link",
            name=link.name or link.id, min_block_mw=link.min_block_mw, unit_mw=link.unit_mw))
        link_rows.append(dict(link=link.id, from_node=link.from_, to_node=link.to,
                              loss_fraction=link.loss_fraction, bidirectional=link.bidirectional,
                              importer_share=link_share[link.id]))
    assets = pd.DataFrame(asset_rows, columns=[
        "asset", "kind", "status", "sizing", "capacity_mw", "lifetime_years", "online_year", "earliest_year",
        "latest_year", "capex_musd", "annuity_musd_per_year", "fixed_om_musd_per_year", "excluded",
        "technology", "name", "min_block_mw", "unit_mw"]).set_index("asset")
    projects = pd.DataFrame(project_rows, columns=[
        "project", "node", "technology", "energy_cost_usd_per_mwh", "tariff_usd_per_mwh", "emissions_t_per_mwh",
        "max_energy_gwh_per_year", "offered_tariff_usd_per_mwh", "ceiling_usd_per_mwh", "expected_energy_gwh",
        "break_even_tariff_usd_per_mwh", "ppa_years", "take_or_pay_share", "connection",
        "connection_musd_per_year", "contract", "tariff_escalation_per_year", "tariff_base_year",
        "construction_years", "royalty_share"]).set_index("project")
    links = pd.DataFrame(link_rows, columns=["link", "from_node", "to_node", "loss_fraction",
                                             "bidirectional", "importer_share"]).set_index("link")

    notes = _target_year_notes(scenario, years)
    fixed_online: dict[tuple[str, int], float] = {}
    build_years: list[tuple[str, int]] = []
    online_builds: dict[tuple[str, int], list[int]] = {}
    for row in assets.itertuples():
        a = row.Index
        life = int(row.lifetime_years)
        if row.status != "candidate":
            start = row.online_year
            if start is not None and pd.notna(start) and years[0] < int(start) <= years[-1] \
                    and int(start) not in years:
                notes.append(f"{row.kind} {a} ({row.status}) comes online in {int(start)}, which is not a "
                             f"modelled year: the plan has it online from {min(y for y in years if y > start)}")
            for y in years:
                on = start is None or pd.isna(start) or (int(start) <= y < int(start) + life)
                fixed_online[(a, y)] = 1.0 if on else 0.0
            continue
        lo = int(row.earliest_year) if pd.notna(row.earliest_year) else years[0]
        if row.excluded:
            if limits.max_tariff_last_online_year is None:
                continue
            lo = max(lo, limits.max_tariff_last_online_year + 1)  # the ceiling holds up to that year
        hi = int(row.latest_year) if pd.notna(row.latest_year) else years[-1]
        allowed = [y for y in years if lo <= y <= hi]
        build_years.extend((a, y) for y in allowed)
        for y in years:
            online = [b for b in allowed if b <= y < b + life]
            if online:
                online_builds[(a, y)] = online


    energy_targets, capacity_targets = _targets(scenario, years)
    firm_energy, firm_capacity = _targets(scenario, years, future) if future is not None else ({}, {})
    contracted_targets = _contracted_targets(scenario, years)
    for p in scenario.projects:
        if p.contracted_to is not None and p.contracted_to not in node_country \
                and p.contracted_to not in node_country.values():
            problems.add(file, f"projects[{p.id}].contracted_to",
                         f"'{p.contracted_to}' is neither a node id nor the country of a node")
    scope_nodes = {}
    for scope in ([s for s, _ in list(energy_targets) + list(capacity_targets) + list(contracted_targets)
                   + list(firm_energy) + list(firm_capacity)] + list(limits.max_import_mw_by_scope)):
        scope_nodes[scope] = [n for n in importing_nodes
                              if n == scope or node_country[n] == scope or node_region.get(n) == scope]
    for c in buyers:  # every importing country: always reported
        scope_nodes.setdefault(c, [n for n in importing_nodes if node_country[n] == c])
    import_value = _import_value(scenario, years, importing_nodes, node_country, node_region, file, problems)
    no_values = not import_value
    e_penalty = opts.shortfall_penalty_usd_per_mwh
    c_penalty = opts.capacity_shortfall_penalty_usd_per_kw_year
    if e_penalty is None:
        e_penalty = DEFAULT_SHORTFALL_PENALTY_USD_PER_MWH if no_values else 0.0
    if c_penalty is None:
        c_penalty = DEFAULT_CAPACITY_PENALTY_USD_PER_KW_YEAR if no_values else 0.0

    everything = list(scenario.projects) + list(scenario.links)
    requires = sorted({(a.id, r) for a in everything for r in a.requires})
    excludes = sorted({tuple(sorted((a.id, e))) for a in everything for e in a.excludes})
    _check_fixed_excludes(everything, fixed_online, assets, years, file, problems)
    fixed_operating, operating_index = _operating(requires, fixed_online, online_builds, years)
    operating_set = set(operating_index)

    def can_operate(a: str, y: int) -> bool:
        if (a, y) in fixed_online:
            return fixed_operating[(a, y)] > 0 or (a, y) in operating_set
        return bool(online_builds.get((a, y)))

    table = own_table.copy()  # availability[p,s] as the model uses it: a season budget frees its slices
    for i, p in enumerate(scenario.projects):
        if hydro_kind[p.id] != "run_of_river":
            table[i] = [availability[(p.id, s)] for s in slices]
    gen_index, gen_fields = _gen_index(table > 0, list(projects.index), years, slices, can_operate)
    both_ways = links["bidirectional"].astype(bool).to_dict()  # a dict: no pandas lookup per row
    flow_index, flow_fields = _flow_index(list(links.index), years, slices, can_operate, both_ways)
    import_index = list(product(importing_nodes, years, slices))
    demand_mw, voll = _demand(scenario, years, file, problems)
    notes += _lost_load_notes(voll, import_value)
    must_take_to: dict[str, list[tuple[str, dict[int, float]]]] = {}
    if len(buyers) > 1 and opts.perspective == "importer":
        problems.add(file, "options.perspective", f"the importer's view is one buyer's bill, but {', '.join(buyers)} "
                     "all buy here (it would pay every plant's tariff and credit every buyer's value); use "
                     "perspective: system with several importing_countries")
    if len(buyers) > 1:
        for p in scenario.projects:
            if projects.at[p.id, "contract"] != "must_take":
                continue
            scope = p.contracted_to or importing
            nodes = scope_nodes.setdefault(scope, [n for n in importing_nodes if n == scope or node_country[n] == scope
                                                   or node_region.get(n) == scope])
            reach = kept_from(links, p.node)
            if not any(n in reach for n in nodes):
                problems.add(file, f"projects[{p.id}].contract",
                             f"must_take for '{scope}', but no link path leads from node '{p.node}' to its importing "
                             f"nodes ({', '.join(nodes) or 'none'})")
                continue
            kept_by_year = {}
            for y in years:  # only the links that can carry flow that year
                reach = kept_from(links.loc[[lk for lk in links.index if can_operate(lk, y)]], p.node)
                # no path that year: 1, its energy may still not be sold to another buyer (SPEC §3.6)
                kept_by_year[y] = max((reach[n] for n in nodes if n in reach), default=1.0)
            must_take_to.setdefault(scope, []).append((p.id, kept_by_year))
    n_minus_1_share = {link.id: (link.circuits - 1) / link.circuits for link in scenario.links
                       if opts.n_minus_1 and link.circuits is not None}
    if opts.n_minus_1 and not any(s.peak for s in scenario.time.slices):
        problems.add(file, "options.n_minus_1", "the N-1 rule holds in peak slices, but no slice is flagged peak: true")
    if (capacity_targets or firm_capacity) and not any(s.peak for s in scenario.time.slices):
        problems.add(file, "time.slices", "capacity targets are given but no slice is flagged peak: true")
    if hydro_factor is None:
        hydro_factor = hydro_factors(scenario, file, problems)
    problems.raise_if_any()
    data = ModelData(
        name=scenario.name, build_mode=opts.build, years=years, weight=weight, slices=slices, hours=hours,
        peak_slices=[s.id for s in scenario.time.slices if s.peak], nodes=list(node_country),
        node_country=node_country, importing_nodes=importing_nodes,
        max_import_mw={n.id: n.max_import_mw for n in scenario.nodes if n.max_import_mw is not None},
        max_import_mw_by_scope=dict(limits.max_import_mw_by_scope),
        assets=assets, projects=projects, links=links, fixed_online=fixed_online, fixed_operating=fixed_operating,
        operating_index=operating_index, build_years=build_years,
        online_builds=online_builds, availability=availability, gen_index=gen_index, flow_index=flow_index,
        import_index=import_index, energy_targets=energy_targets, capacity_targets=capacity_targets,
        scope_nodes=scope_nodes, requires=requires, excludes=[tuple(e) for e in excludes],
        excluded_by_tariff=excluded, shortfall_penalty_usd_per_mwh=e_penalty,
        capacity_shortfall_penalty_usd_per_kw_year=c_penalty,
        strict_targets=opts.strict_targets, co2_price_usd_per_t=limits.co2_price_usd_per_t,
        max_new_capacity_mw_per_year=limits.max_new_capacity_mw_per_year,
        capex_budget_musd_per_year=limits.capex_budget_musd_per_year,
        energy_limited=list(projects.index[projects["max_energy_gwh_per_year"].notna().to_numpy()]),
        contracted_targets=contracted_targets, contracted_mw_of=contracted_mw_of,
        season_budget_gwh=season_budget, season_slices=season_slices, hydro_kind=hydro_kind,
        perspective=opts.perspective, end_year=h.end_year, developer_wacc=opts.developer_wacc,
        import_value=import_value, storage=storage, tariff_ceiling_last_year=limits.max_tariff_last_online_year, previous_slice=previous_slice,
        duration_h=duration_h, notes=notes, firm_energy_targets=firm_energy, firm_capacity_targets=firm_capacity,
        importing_countries=buyers, importer=importing, demand_mw=demand_mw, voll_usd_per_mwh=voll,
        n_minus_1_share=n_minus_1_share, must_take_to=must_take_to,
    )
    # as index_fields and availability_array would make them
    data.__dict__["_index_fields"] = {"gen_index": gen_fields, "flow_index": flow_fields,
                                      "import_index": _fields([importing_nodes, years, slices],
                                                              np.indices((len(importing_nodes), len(years),
                                                                          len(slices))).reshape(3, -1))}
    data.__dict__["_availability_array"] = table
    return apply_hydro_factor(data, hydro_factor)


def _fields(uniques: list, codes) -> tuple:
    """An index set's fields as index_fields gives them ((values, codes, uniques) per field), from
    each field's possible values and the codes of its entries."""
    out = []
    for values, code in zip(uniques, codes):
        code = np.asarray(code, dtype=np.int64)
        text = bool(values) and isinstance(values[0], str)
        u = np.array(values, dtype=object if text else np.int64)
        out.append((u[code], code, u.astype(object)))
    return tuple(out)


class IndexKeys(Sequence):
    """An index set's keys (tuples such as (project, year, slice)) held as its fields (``_fields``:
    values, codes, uniques per field) and read when asked: ``keys[i]`` is a tuple of Python values,
    iteration yields them one at a time, and no list of a million tuples is ever kept. It compares
    equal to the list of the same tuples."""

    __slots__ = ("fields",)

    def __init__(self, fields: tuple) -> None:
        self.fields = fields

    @classmethod
    def from_codes(cls, uniques: list, codes) -> "IndexKeys":
        """Keys whose field j is ``uniques[j][codes[j]]``."""
        return cls(_fields(uniques, codes))

    def __len__(self) -> int:
        return len(self.fields[0][1]) if self.fields else 0

    def _key(self, i: int) -> tuple:
        return tuple(values[i].item() if isinstance(values[i], np.generic) else values[i]
                     for values, _c, _u in self.fields)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._key(k) for k in range(*i.indices(len(self)))]
        return self._key(int(i))

    def __iter__(self):
        return zip(*(values.tolist() for values, _c, _u in self.fields))

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def subset(self, keep: np.ndarray) -> "IndexKeys":
        """The keys where ``keep`` (a mask) is true, in order."""
        return IndexKeys(tuple((values[keep], codes[keep], uniques) for values, codes, uniques in self.fields))


def _gen_index(live: np.ndarray, projects: list, years: list, slices: list, can_operate) -> tuple:
    """gen_index: (p, y, s) for each project p, year y where p can operate and slice s where its
    availability is above zero (``live[p, s]``), in that order; and its fields (``_fields``)."""
    live_no = [np.flatnonzero(row) for row in live]
    pairs = [(i, k) for i, p in enumerate(projects) for k, y in enumerate(years) if can_operate(p, y)]
    pi = np.array([i for i, _k in pairs], dtype=np.int64)
    counts = np.array([len(row) for row in live_no], dtype=np.int64)[pi] if pairs else pi
    codes = [np.repeat(pi, counts), np.repeat(np.array([k for _i, k in pairs], dtype=np.int64), counts),
             np.concatenate([live_no[i] for i in pi.tolist()]) if pairs else pi]
    fields = _fields([projects, years, slices], codes)
    return IndexKeys(fields), fields


def _flow_index(links: list, years: list, slices: list, can_operate, both_ways: dict) -> tuple:
    """flow_index: (l, y, s, d) for each link l, year y where l can operate, slice s and direction d
    (reverse only where l is bidirectional), in that order; and its fields (``_fields``)."""
    codes: list = [[], [], [], []]
    n_s = len(slices)
    for i, lk in enumerate(links):
        ways = DIRECTIONS if both_ways[lk] else DIRECTIONS[:1]
        for k, y in enumerate(years):
            if can_operate(lk, y):
                n = n_s * len(ways)
                codes[0].append(np.full(n, i))
                codes[1].append(np.full(n, k))
                codes[2].append(np.repeat(np.arange(n_s), len(ways)))
                codes[3].append(np.tile(np.arange(len(ways)), n_s))
    codes = [np.concatenate(c) if c else np.zeros(0, dtype=np.int64) for c in codes]
    fields = _fields([links, years, slices, list(DIRECTIONS)], codes)
    return IndexKeys(fields), fields


def hydro_plants(scenario: Scenario) -> list:
    """The hydro plants whose water a hydrology factor scales: projects of technology ``hydro`` or
    with a hydro_kind (their own or their technology's), storage (pumped hydro) excepted."""
    out = []
    for p in scenario.projects:
        tech = scenario.technologies[p.technology]
        store = p.storage_hours if p.storage_hours is not None else tech.storage_hours
        if store is None and (p.technology == "hydro" or p.hydro_kind is not None or tech.hydro_kind is not None):
            out.append(p)
    return out


def hydro_factors(scenario: Scenario, file: str, problems: Problems, future_factor: float | None = None,
                  rows: list | tuple = ()) -> dict[str, float]:
    """Each hydro plant's water factor in one future (SPEC §3.4), the most specific first: a
    hydrology row naming the plant, a row naming its basin, the future's own
    ``hydro_energy_factor``, ``options.hydro_energy_factor`` (the plant's entry, its basin's, or
    one number), else 1.0. Names in options' mapping that are neither a hydro plant nor a basin are
    problems."""
    plants = hydro_plants(scenario)
    basins = {p.basin for p in plants if p.basin is not None}
    given = scenario.options.hydro_energy_factor
    if isinstance(given, dict):
        for key in given:
            if key not in basins and key not in {p.id for p in plants}:
                problems.add(file, f"options.hydro_energy_factor.{key}",
                             f"'{key}' is neither a hydro project nor a basin of one"
                             f"{_suggest(key, sorted(basins | {p.id for p in plants}))}")
    by_project = {r.project: r.hydro_energy_factor for r in rows if r.project is not None}
    by_basin = {r.basin: r.hydro_energy_factor for r in rows if r.basin is not None}
    out = {}
    for p in plants:
        if p.id in by_project:
            out[p.id] = float(by_project[p.id])
        elif p.basin is not None and p.basin in by_basin:
            out[p.id] = float(by_basin[p.basin])
        elif future_factor is not None:
            out[p.id] = float(future_factor)
        elif isinstance(given, dict):
            out[p.id] = float(given.get(p.id, given.get(p.basin, 1.0) if p.basin is not None else 1.0))
        else:
            out[p.id] = float(given) if given is not None else 1.0
    return out


def _suggest(word: str, choices: list[str]) -> str:
    from .scenario.errors import did_you_mean

    return did_you_mean(word, choices)


def apply_hydro_factor(data: ModelData, factor: dict[str, float]) -> ModelData:
    """The same data with each hydro plant p's water scaled by factor[p] (SPEC §3.4):

    season_budget_gwh[p,z] x f (at most the season's hours x capacity), max_energy_gwh_per_year[p]
    x f, a run-of-river plant's availability[p,s] x f (at most 1), and its expected energy (what
    must-take and take-or-pay pay for) x f. Tariffs and the tariff ceiling's exclusions stay as
    stated: contracts are signed on the average year. A factor of 1 changes nothing.
    """
    factor = {p: f for p, f in factor.items() if p in data.projects.index}
    if all(f == 1.0 for f in factor.values()):
        same = dataclasses.replace(data, hydro_factor=dict(factor))
        for cache in ("_index_fields", "_availability_array"):  # the same index sets and availability
            if cache in data.__dict__:
                same.__dict__[cache] = data.__dict__[cache]
        return same
    capacity = data.assets["capacity_mw"].to_dict()
    budgeted = {p for p, _ in data.season_budget_gwh}
    budget = dict(data.season_budget_gwh)
    for (p, season), v in data.season_budget_gwh.items():
        if p in factor:
            most = sum(data.hours[s] for s in data.season_slices[season]) * capacity[p] / 1000.0
            budget[(p, season)] = min(v * factor[p], most)
    availability = dict(data.availability)
    for (p, s), a in data.availability.items():
        if p in factor and p not in budgeted:
            availability[(p, s)] = min(1.0, a * factor[p])
    projects = data.projects.copy()
    f = projects.index.map(lambda p: factor.get(p, 1.0)).to_numpy(dtype=float)
    projects["max_energy_gwh_per_year"] = projects["max_energy_gwh_per_year"].astype(float) * f
    projects["expected_energy_gwh"] = projects["expected_energy_gwh"].astype(float) * f
    out = dataclasses.replace(data, season_budget_gwh=budget, availability=availability, projects=projects,
                              hydro_factor=dict(factor))
    (_p, pc, pu), _y, (_s, sc, su) = data.gen_index.fields  # the plants whose water is gone lose their columns
    out.gen_index = data.gen_index.subset(availability_table(out, pu, su)[pc, sc] > 0)
    return out


def _target_year_notes(scenario: Scenario, years: list[int]) -> list[str]:
    """A target row holds from its year on, read at the modelled years (SPEC §3.1): say where a row's
    year is not modelled, so that it is applied from the next modelled year or never."""
    notes = []
    for t in scenario.targets:
        if t.year in years:
            continue
        later = [y for y in years if y > t.year]
        if not later:
            notes.append(f"target {t.scope} {t.year}: after the last modelled year {years[-1]}, so it is "
                         f"never applied; add {t.year} to horizon.years or drop the row")
        elif t.year > years[0]:
            notes.append(f"target {t.scope} {t.year}: {t.year} is not a modelled year, so the row applies "
                         f"from {later[0]} (the next modelled year); add {t.year} to horizon.years to "
                         f"hold it in {t.year}")
    return notes


def _chronology(scenario: Scenario, file: str, problems: Problems) -> tuple[dict[str, str], dict[str, float]]:
    """The slice before each slice in its period (the last for the first: a cycle; itself outside
    a period) and the hours of one occurrence (duration_h: given, else 1 inside a period, else the
    slice's hours). The slices of a period must occur equally often (hours / duration_h)."""
    previous, duration, members = {}, {}, {}
    for s in scenario.time.slices:
        duration[s.id] = float(s.duration_h if s.duration_h is not None else (1.0 if s.period else s.hours))
        if s.period is None:
            previous[s.id] = s.id
        else:
            members.setdefault(s.period, []).append(s)
    for period, slices in members.items():
        for i, s in enumerate(slices):
            previous[s.id] = slices[i - 1].id
        counts = {round(s.hours / duration[s.id], 6) for s in slices}
        if len(counts) > 1:
            problems.add(file, f"time.slices (period {period})",
                         f"the slices of a period must stand for the same number of occurrences (hours / "
                         f"duration_h); here {', '.join(f'{s.id}: {s.hours / duration[s.id]:g}' for s in slices)}")
    return previous, duration


def _import_value(scenario: Scenario, years: list[int], importing_nodes: list[str], node_country: dict,
                  node_region: dict, file: str, problems: Problems) -> dict[tuple[str, int, str], float]:
    """USD/MWh of a MWh delivered at importing node n in year y and slice s (SPEC §3.3); {} when none.

    From ``import_value`` rows: among the rows that cover (n, y, s) -- place: n itself, its region,
    its country or blank; time: s itself, its season or blank; year: blank or <= y -- the most
    specific wins (place, then time), then the latest year. ``options.import_value_usd_per_mwh``
    (one number, or by season/slice) is the same for every node and year. Every (node, year,
    slice) needs a value once any is given: a gap is an error, not a silent zero.
    """
    rows = list(scenario.import_value)
    legacy = scenario.options.import_value_usd_per_mwh
    if legacy is not None:
        if isinstance(legacy, dict):
            slice_ids = {s.id for s in scenario.time.slices}
            rows = [schema_row(value=v, slice=k) if k in slice_ids else schema_row(value=v, season=k)
                    for k, v in legacy.items()]
        else:
            rows = [schema_row(value=float(legacy))]
    if not rows:
        return {}
    out: dict[tuple[str, int, str], float] = {}
    missing = []
    for n in importing_nodes:
        places = {n: 3, node_region.get(n): 2, node_country[n]: 1, None: 0}
        for s in scenario.time.slices:
            times = {s.id: 2, None: 0}
            if s.season is not None:
                times[s.season] = 1
            for y in years:
                best, _rank, _tied = _most_specific(rows, y, times, places)
                if best is None:
                    missing.append((n, y, s.id))
                else:
                    out[(n, y, s.id)] = float(best.value_usd_per_mwh)
    if missing:
        shown = ", ".join(f"{n} {y} {s}" for n, y, s in missing[:5]) + (f" and {len(missing) - 5} more"
                                                                         if len(missing) > 5 else "")
        problems.add(file, "import_value", f"no value for {shown} (node, year, slice): give every importing node, "
                     f"slice and modelled year a value (a row with a blank node, season and year covers all; "
                     f"0 where imports are worth nothing)")
    return out


def _lost_load_notes(voll: dict, import_value: dict) -> list[str]:
    """Demand is served before export only where its value of lost load is above what an export
    earns (the objective decides, not a rule): say where a node's VOLL is not above the highest
    import value of the same year and slice."""
    best: dict[tuple[int, str], float] = {}
    for (_n, y, s), v in import_value.items():
        best[(y, s)] = max(best.get((y, s), -math.inf), v)
    low: dict[str, tuple[float, float]] = {}
    for (n, y, s), v in voll.items():
        if (y, s) in best and v <= best[(y, s)] and n not in low:
            low[n] = (v, best[(y, s)])
    return [f"demand at {n}: its value of lost load ({v:g} USD/MWh) is not above the highest import value "
            f"({top:g}), so the plan may export rather than serve it; demand comes first only when its value of "
            f"lost load is higher" for n, (v, top) in sorted(low.items())]


def _demand(scenario: Scenario, years: list[int], file: str = "", problems: Problems | None = None) -> tuple[dict, dict]:
    """Demand (MW) and its value of lost load (USD/MWh) per (node, year, slice) (SPEC §3.6).

    Among a node's ``demand`` rows that cover (y, s) -- time: s itself, its season or blank; year:
    blank or <= y -- the most specific time wins, then the latest year. A node, year and slice no
    row covers has no demand (0 MW, e.g. before the first row's year).
    """
    mw: dict[tuple[str, int, str], float] = {}
    voll: dict[tuple[str, int, str], float] = {}
    by_node: dict[str, list] = {}
    reported: set = set()
    for r in scenario.demand:
        by_node.setdefault(r.node, []).append(r)
    shaped: dict[tuple[str, int, str], str | None] = {}  # (n, y, s) -> the season (None: the year) to reshape over
    for n, rows in by_node.items():
        for s in scenario.time.slices:
            times = {s.id: 2, None: 0}
            if s.season is not None:
                times[s.season] = 1
            for y in years:
                best, best_rank, tied = _most_specific(rows, y, times)
                if tied and problems is not None and (n, best_rank) not in reported:
                    reported.add((n, best_rank))
                    problems.add(file, f"demand[{n}]", f"two rows give node {n}'s demand for the same season or "
                                                       f"slice and year (slice {s.id}, {y}); give one")
                if best is not None and best.demand_mw > 0:
                    mw[(n, y, s.id)] = float(best.demand_mw)
                    voll[(n, y, s.id)] = float(best.value_of_lost_load_usd_per_mwh)
                    if best.slice is None:
                        shaped[(n, y, s.id)] = best.season
    _shape_demand(scenario, mw, shaped)
    return mw, voll


def _most_specific(rows: list, y: int, times: dict, places: dict | None = None) -> tuple:
    """(row, rank, tied): among ``rows`` that cover year y (blank or <= y), one of ``times`` (slice,
    season or blank: rank by the dict's value) and, when ``places`` is given, one of its places,
    the most specific (place, then time), then the latest year; tied when two rows share that rank."""
    best, best_rank, tied = None, None, False
    for r in rows:
        key = r.slice if r.slice is not None else r.season
        if key not in times or (r.year is not None and r.year > y):
            continue
        if places is not None and r.node not in places:
            continue
        rank = ((places[r.node],) if places is not None else ()) + (times[key], r.year if r.year is not None else -1)
        if best_rank is None or rank > best_rank:
            best, best_rank, tied = r, rank, False
        elif rank == best_rank:
            tied = True
    return best, best_rank, tied


def _shape_demand(scenario: Scenario, mw: dict, shaped: dict) -> None:
    """demand[n,y,s] = row_mw x shape[s] / mean_h(shape over the row's season, or the year for a blank one)

    for a node n with an hourly column ``demand@n`` (time.hourly_file; any unit, e.g. a share of the
    year's peak): a season's (or a blank row's year's) demand keeps its hour-weighted mean, the
    row's MW, and follows the measured shape inside it. Rows given for a slice are kept as given."""
    profile = scenario.time.profile_availability
    hours = {s.id: s.hours for s in scenario.time.slices}
    season_of = {s.id: s.season for s in scenario.time.slices}
    for n in {n for n, _y, _s in shaped}:
        shape = profile.get(f"demand@{n}")
        if not shape:
            continue
        means: dict[str | None, float] = {}
        for group in {None, *season_of.values()}:
            ids = [s for s in hours if group is None or season_of[s] == group]
            total = sum(hours[s] for s in ids)
            means[group] = sum(hours[s] * shape.get(s, 0.0) for s in ids) / total if total else 0.0
        for (node, y, s), group in shaped.items():
            if node == n and means.get(group):
                mw[(n, y, s)] *= shape.get(s, 0.0) / means[group]


def schema_row(value: float, season: str | None = None, slice: str | None = None) -> ImportValue:
    """An import_value row made from options.import_value_usd_per_mwh."""
    return ImportValue(value_usd_per_mwh=value, season=season, slice=slice)


def _season_budget(scenario: Scenario, project, availability: dict, season_slices: dict, budget: dict,
                   file: str, problems: Problems) -> None:
    """A pondage or reservoir plant: its water is a budget per season, its power up to capacity.

    budget[p, season] = energy_gwh_by_season[season] if given, else
                        sum over the season's slices s of hours[s] x availability[p,s] x capacity_mw / 1000
    (the energy run-of-river operation would give), and availability[p,s] becomes 1.0 in every slice
    of a season with a budget, so that the season's water can be put into any slice (the peak).
    """
    given = project.energy_gwh_by_season or {}
    for key in given:
        if key not in season_slices:
            problems.add(file, f"projects[{project.id}].energy_gwh_by_season.{key}",
                         f"'{key}' is not a season (or a slice without a season); "
                         f"seasons: {', '.join(sorted(season_slices))}")
    hours = {s.id: float(s.hours) for s in scenario.time.slices}
    for season, slices in season_slices.items():
        most = sum(hours[s] for s in slices) * project.capacity_mw / 1000.0
        if season in given:
            value = float(given[season])
            if value > most * (1 + 1e-9):
                problems.add(file, f"projects[{project.id}].energy_gwh_by_season.{season}",
                             f"{value:g} GWh is more than {project.capacity_mw:g} MW can produce in the season "
                             f"({most:.0f} GWh); a unit slip?")
        else:
            value = sum(hours[s] * availability[(project.id, s)] for s in slices) * project.capacity_mw / 1000.0
        budget[(project.id, season)] = value
        for s in slices:
            availability[(project.id, s)] = 1.0 if value > 0 else 0.0


def _contracted_targets(scenario: Scenario, years: list[int]) -> dict:
    """Contracted-capacity target in modelled year y: the latest row with year <= y that gives one."""
    out: dict[tuple[str, int], float] = {}
    rows = sorted((t for t in scenario.targets if t.scenario is None), key=lambda t: (t.scope, t.year))
    for scope in sorted({t.scope for t in rows}):
        for y in years:
            c = [t.contracted_mw for t in rows if t.scope == scope and t.year <= y and t.contracted_mw is not None]
            if c:
                out[(scope, y)] = float(c[-1])
    return out


def _check_fixed_excludes(assets_in: list, fixed_online: dict, assets: pd.DataFrame, years: list[int], file: str,
                          problems: Problems) -> None:
    """Two existing/committed assets that exclude each other may never be online in the same year:
    neither can be left unbuilt, so the scenario contradicts itself (refused, naming the year)."""
    seen: set = set()
    for a in assets_in:
        for b in a.excludes:
            if b not in assets.index or assets.at[b, "status"] == "candidate" or assets.at[a.id, "status"] == "candidate":
                continue
            if frozenset((a.id, b)) in seen:
                continue
            seen.add(frozenset((a.id, b)))
            both = [y for y in years if fixed_online.get((a.id, y), 0.0) > 0 and fixed_online.get((b, y), 0.0) > 0]
            if both:
                problems.add(file, f"{assets.at[a.id, 'kind']}s[{a.id}].excludes",
                             f"'{a.id}' excludes '{b}', but both are existing or committed and online in {both[0]}; "
                             f"make one of them a candidate, or change online_year or lifetime_years so they do not overlap")


def _operating(requires: list[tuple[str, str]], fixed_online: dict, online_builds: dict,
               years: list[int]) -> tuple[dict, list]:
    """Which existing/committed assets may run in each year, given what they require (SPEC §3.1).

    An existing or committed asset a runs in year y only while every asset it requires runs:
    a candidate requirement runs when built and online, an existing/committed one by this same
    rule (so chains are followed). Returns ``fixed_operating`` (a, y) -> 0 or 1 where the answer
    is known from the data alone, and ``operating_index``: the (a, y) whose answer hangs on a
    candidate's build (an ``operating`` variable bounded by the requires constraint).
    """
    needs: dict[str, list[str]] = {}
    for a, b in requires:
        needs.setdefault(a, []).append(b)
    state = {key: ("one" if on > 0 else "zero") for key, on in fixed_online.items()}  # one | zero | var
    changed = True
    while changed:
        changed = False
        for a, reqs in needs.items():
            for y in years:
                if state.get((a, y), "zero") == "zero":
                    continue
                kinds = set()
                for b in reqs:
                    if (b, y) in fixed_online:
                        kinds.add(state[(b, y)])
                    else:
                        kinds.add("var" if online_builds.get((b, y)) else "zero")
                new = "zero" if "zero" in kinds else ("var" if "var" in kinds else "one")
                if new != state[(a, y)]:
                    state[(a, y)] = new
                    changed = True
    fixed_operating = {key: (1.0 if st == "one" else 0.0) for key, st in state.items()}
    operating_index = sorted(key for key, st in state.items() if st == "var")
    return fixed_operating, operating_index


def _targets(scenario: Scenario, years: list[int], future: str | frozenset | None = None) -> tuple[dict, dict]:
    """Target value in modelled year y: the latest row with year <= y that gives that quantity (SPEC §3.1).
    ``future``: the rows that must hold in that future (a target's ``scenario``); None: the others."""
    energy: dict[tuple[str, int], float] = {}
    capacity: dict[tuple[str, int], float] = {}
    names = None if future is None else ({future} if isinstance(future, str) else set(future))
    rows = sorted((t for t in scenario.targets if (t.scenario is None if names is None else t.scenario in names)),
                  key=lambda t: (t.scope, t.year))
    for scope in sorted({t.scope for t in rows}):
        mine = [t for t in rows if t.scope == scope]
        for y in years:
            e = [t.energy_gwh for t in mine if t.year <= y and t.energy_gwh is not None]
            c = [t.capacity_mw for t in mine if t.year <= y and t.capacity_mw is not None]
            if e:
                energy[(scope, y)] = float(e[-1])
            if c:
                capacity[(scope, y)] = float(c[-1])
    return energy, capacity


def index_fields(data: ModelData, name: str) -> tuple:
    """The fields of an index set of ``data`` (e.g. ``gen_index``: project, year, slice) as arrays,
    each with its codes: ((values, codes, uniques), ...), made once per ModelData. For the array
    families (formulation/), which then look coefficients up per distinct value, not per row."""
    cache = data.__dict__.setdefault("_index_fields", {})
    hit = cache.get(name)
    if hit is None and isinstance(getattr(data, name), IndexKeys):
        hit = cache[name] = getattr(data, name).fields
    if hit is None:
        keys = getattr(data, name)
        width = len(keys[0]) if keys else {"gen_index": 3, "flow_index": 4, "import_index": 3}.get(name, 3)
        columns = list(zip(*keys)) if keys else [()] * width
        hit = []
        for col in columns:
            values = np.array(col, dtype=object if col and isinstance(col[0], str) else np.int64) if col else \
                np.zeros(0, dtype=object)
            codes, uniques = pd.factorize(values)
            hit.append((values, codes.astype(np.int64), np.asarray(uniques, dtype=object)))
        hit = cache[name] = tuple(hit)
    return hit


def availability_table(data: ModelData, projects, slices) -> np.ndarray:
    """availability[p,s] for these projects (rows) and slices (columns), from availability_array."""
    project_at = data.projects.index.get_indexer(projects)
    slice_at = pd.Index(data.slices).get_indexer(slices)
    return availability_array(data)[project_at][:, slice_at]


def availability_array(data: ModelData) -> np.ndarray:
    """availability[p,s] as an array: a row per project (data.projects' order), a column per slice
    (data.slices' order), 0.0 where none is given; made once per ModelData."""
    hit = data.__dict__.get("_availability_array")
    if hit is None:
        get, n_p, n_s = data.availability.get, len(data.projects.index), len(data.slices)
        hit = np.fromiter((get(k, 0.0) for k in product(data.projects.index, data.slices)), float,
                          n_p * n_s).reshape(n_p, n_s)
        data.__dict__["_availability_array"] = hit
    return hit
