"""The futures of a scenario's ``uncertainty`` block, each as ModelData (SPEC §3.4).

A future is the scenario with its ``set`` paths applied (operating data only) and its hydro
plants' water scaled (``data.hydro_factors``: a hydrology row for the plant, for its basin, the
future's ``hydro_energy_factor``, ``options.hydro_energy_factor``, else 1). What can be built and
what building costs must be the same in every future: ``set`` paths that touch it are refused, and
every future's first-stage data (build windows, capacities, capex, lifetimes, relations, limits on
building) is compared with the scenario's own, so nothing slips through.

The average year (for the value of the stochastic solution) is the scenario with each plant's
factor and each numeric ``set`` value averaged over the futures by probability.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from ..data import ModelData, build_model_data, hydro_factors, hydro_plants
from ..scenario import LoadedScenario
from ..scenario.errors import Problem, Problems, ScenarioError
from ..scenario.files import ENTITY_LISTS, entity_key
from ..scenario.overrides import apply_set
from ..scenario.schema import Scenario

#: fields of projects, links and technologies that say what can be built or what building costs
#: (or what a contract signed before the future is known says): never changed by a future's ``set``
BUILD_FIELDS = frozenset({
    "id", "remove", "technology", "node", "from", "to", "capacity_mw", "status", "online_year", "earliest_year",
    "latest_year", "sizing", "lifetime_years", "requires", "excludes", "capex_usd_per_kw", "capex_musd",
    "capex_usd_per_mw_km", "length_km", "fixed_om_usd_per_kw_year", "fixed_om_musd_per_year", "min_block_mw",
    "unit_mw", "construction_years", "royalty_share", "tariff_usd_per_mwh", "ppa_years", "connection",
    "contract", "take_or_pay_share", "tariff_escalation_per_year", "tariff_base_year", "contracted_to",
    "capacity_credit", "hydro_kind", "storage_hours", "importer_share", "basin",
    "circuits"})  # a link's circuits (SPEC §3.6): what is built; an average of 1 and 2 is no link
#: whole sections or options a future may not change (the horizon, the year's slices, the model's
#: build mode and view, what limits building, the futures themselves)
BUILD_PATHS = (
    ("name",), ("extends",), ("horizon",), ("time",), ("uncertainty",),
    ("options", "build"), ("options", "perspective"), ("options", "developer_wacc"), ("options", "ppa_years"),
    ("options", "solver"), ("options", "importing_country"), ("options", "importing_countries"),
    ("options", "strict_targets"),
    ("limits", "max_new_capacity_mw_per_year"), ("limits", "capex_budget_musd_per_year"),
    ("limits", "max_tariff_usd_per_mwh"), ("limits", "max_tariff_last_online_year"),
    ("nodes",),
)
NODE_OPERATING = frozenset({"max_import_mw"})
EXCEEDANCE = re.compile(r"^p(\d{1,2})$")


@dataclass(eq=False)  # hashed by identity (a key of _exceedance_names)
class FutureData:
    """One future: its id, probability, the data of its model, and its hydro factors."""

    id: str
    probability: float
    data: ModelData
    factors: dict[str, float] = field(default_factory=dict)  # hydro plant -> factor
    #: the future's hydro energy against the stated average year (expected-energy weighted mean factor)
    mean_factor: float = 1.0


def set_problem(path: str) -> str | None:
    """Why a ``set`` path of a future touches what can be built (None: operating data, allowed)."""
    parts = tuple(p for p in path.split(".") if p)
    if not parts:
        return "empty path"
    for banned in BUILD_PATHS:
        if parts[:len(banned)] == banned:
            if banned == ("nodes",) and len(parts) == 3 and parts[2] in NODE_OPERATING:
                return None
            return (f"'{'.'.join(banned)}' is not operating data: the futures share the plan, its horizon and "
                    f"its year's slices; only values, availabilities, energy costs, penalties and targets "
                    f"may differ between futures")
    if parts[0] in ("projects", "links", "technologies") and len(parts) >= 3 and parts[2] in BUILD_FIELDS:
        return (f"'{parts[2]}' says what can be built or what it costs (or a signed contract's terms); "
                f"it is the same in every future (change it in the scenario itself)")
    return None


def futures_of(loaded: LoadedScenario) -> tuple[list[FutureData], FutureData]:
    """Every future's data and the average year's; raise ScenarioError (exit 2) for bad futures."""
    scenario, file = loaded.scenario, str(loaded.path)
    unc = scenario.uncertainty
    assert unc is not None
    problems = Problems()
    ids = [f.id for f in unc.scenarios]
    _check_target_futures(scenario, ids, file, problems)
    plants = {p.id for p in hydro_plants(scenario)}
    basins = {p.basin for p in hydro_plants(scenario) if p.basin is not None}
    for i, row in enumerate(unc.hydrology):
        if row.project is not None and row.project not in plants:
            problems.add(file, f"uncertainty.hydrology[{i + 1}].project",
                         f"'{row.project}' is not a hydro project{_hint(row.project, sorted(plants))}")
        if row.basin is not None and row.basin not in basins:
            problems.add(file, f"uncertainty.hydrology[{i + 1}].basin",
                         f"no hydro project has basin '{row.basin}'{_hint(row.basin, sorted(basins))}"
                         + ("" if basins else " (give projects a basin)"))
    # Every mistake of the block is said at once (exit 2), as the loader does: a future whose ``set``
    # is wrong is not validated further; the others go on to validation, water and model data.
    raw: dict[str, dict] = {}
    for f in unc.scenarios:
        data = copy.deepcopy(loaded.resolved)
        said = len(problems.items)
        for path, value in f.set_.items():
            where = f"uncertainty.scenarios[{f.id}].set.{path}"
            why = set_problem(path)
            if why is not None:
                problems.add(file, where, why)
                continue
            found = Problems()
            data, _ = apply_set(data, f"{path}={json.dumps(value)}", found)
            for p in found.items:
                problems.add(file, where, p.message.replace("--set ", ""))
        if len(problems.items) == said:
            raw[f.id] = data
    scenarios = {}
    for fid, data in raw.items():
        try:
            scenarios[fid] = _validated(data, file, f"uncertainty.scenarios[{fid}].set")
        except ScenarioError as exc:
            problems.items.extend(exc.problems)
    futures = []
    for f in unc.scenarios:
        sc = scenarios.get(f.id)
        if sc is None:
            continue
        rows = [r for r in unc.hydrology if r.scenario == f.id]
        said = len(problems.items)
        factors = hydro_factors(sc, file, problems, f.hydro_energy_factor, rows)
        if len(problems.items) > said:
            continue
        try:
            data = build_model_data(sc, file, future=f.id, hydro_factor=factors)
        except ScenarioError as exc:
            problems.items.extend(exc.problems)
            continue
        futures.append(FutureData(f.id, f.probability, data, factors, _mean_factor(data, factors)))
    problems.raise_if_any()
    for fut, names in _exceedance_names(scenario, futures).items():  # targets of a pNN: that future's too
        data = build_model_data(scenarios[fut.id], file, future=frozenset({fut.id} | names), hydro_factor=fut.factors)
        fut.data = data
    average = _average_year(loaded, unc, raw, futures, file)
    reference = build_model_data(scenario, file)
    for fut in futures + [average]:
        where = f"uncertainty.scenarios[{fut.id}].set" if fut is not average else "uncertainty.scenarios"
        for what in first_stage_differences(reference, fut.data):
            problems.add(file, where, f"future '{fut.id}' changes {what}: the futures share one plan, so what "
                                      f"can be built and what building costs must be the same in each")
    problems.raise_if_any()
    return futures, average


def first_stage_differences(a: ModelData, b: ModelData) -> list[str]:
    """What differs between two futures' first-stage data (empty: they can share one plan)."""
    out = []
    for name in ("years", "weight", "build_years", "online_builds", "build_mode", "requires", "excludes",
                 "excluded_by_tariff", "max_new_capacity_mw_per_year", "capex_budget_musd_per_year",
                 "fixed_online"):
        if getattr(a, name) != getattr(b, name):
            out.append(name.replace("_", " "))
    cols = ["kind", "status", "sizing", "capacity_mw", "lifetime_years", "capex_musd", "annuity_musd_per_year",
            "fixed_om_musd_per_year", "min_block_mw", "unit_mw"]
    if not a.assets[cols].equals(b.assets[cols]):
        diff = [c for c in cols if not a.assets[c].equals(b.assets[c])]
        out.append("the assets' " + ", ".join(diff))
    return out


def _validated(data: dict, file: str, where: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([Problem(file, f"{where} ({'.'.join(str(x) for x in e['loc'])})", e["msg"])
                             for e in exc.errors()]) from None


def _hint(word: str, choices: list[str]) -> str:
    from ..scenario.errors import did_you_mean

    return did_you_mean(word, choices)


def _check_target_futures(scenario: Scenario, ids: list[str], file: str, problems: Problems) -> None:
    for t in scenario.targets:
        if t.scenario is not None and t.scenario not in ids and not EXCEEDANCE.match(t.scenario):
            problems.add(file, f"targets[{t.scope}@{t.year}@{t.scenario}].scenario",
                         f"'{t.scenario}' is neither a future of uncertainty.scenarios ({', '.join(ids)}) nor pNN "
                         f"(e.g. p90: the hydrology year exceeded with 90 % probability){_hint(t.scenario, ids)}")


def _mean_factor(data: ModelData, factors: dict[str, float]) -> float:
    """The future's hydro energy over the average year's: the factors weighted by each plant's
    stated (average-year) expected energy."""
    expected = data.projects["expected_energy_gwh"]
    weights = {p: float(expected[p]) / f for p, f in factors.items() if f > 0 and expected[p] == expected[p]}
    total = sum(weights.values())
    if total <= 0:
        return sum(factors.values()) / len(factors) if factors else 1.0
    return sum(weights[p] * factors[p] for p in weights) / total


def _exceedance_names(scenario: Scenario, futures: list[FutureData]) -> dict[FutureData, set[str]]:
    """pNN -> the future it names: the hydrology year exceeded with NN % probability. Futures are
    ordered from the driest (the lowest ``mean_factor``: hydro energy over the stated year's); pNN
    is the first whose cumulative probability reaches 1 - NN/100 (p90 of wet 0.25 / average 0.5 /
    dry 0.25: the dry year)."""
    wanted = {t.scenario for t in scenario.targets if t.scenario is not None and EXCEEDANCE.match(t.scenario)}
    order = sorted(futures, key=lambda f: (f.mean_factor, f.id))
    out: dict[FutureData, set[str]] = {}
    for name in sorted(wanted):
        level = 1.0 - int(EXCEEDANCE.match(name).group(1)) / 100.0
        cumulative = 0.0
        for f in order:
            cumulative += f.probability
            if cumulative >= level - 1e-9:
                out.setdefault(f, set()).add(name)
                break
    return out


def _get(data: dict, path: str):
    """The value at a ``set`` path in raw scenario data (None when absent)."""
    node, walked = data, ()
    for part in [p for p in path.split(".") if p]:
        if walked in ENTITY_LISTS and isinstance(node, list):
            node = next((item for item in node if entity_key(walked, item) == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        walked += (part,)
        if node is None:
            return None
    return node


def _mean(values: list, weights: list[float]):
    """Probability-weighted mean of numbers, or of mappings of numbers (key by key); None otherwise."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sum(w * float(v) for w, v in zip(weights, values))
    if all(isinstance(v, dict) for v in values) and len({tuple(sorted(v)) for v in values}) == 1:
        out = {}
        for k in values[0]:
            m = _mean([v[k] for v in values], weights)
            if m is None:
                return None
            out[k] = m
        return out
    return None


def _average_year(loaded: LoadedScenario, unc, raw: dict[str, dict], futures: list[FutureData],
                  file: str) -> FutureData:
    """The average year: each plant's factor and each ``set`` value averaged over the futures by
    probability (a value that is not a number, or a mapping of numbers, keeps the scenario's own).
    Targets of one future (``scenario``) do not apply in it."""
    weights = [f.probability for f in futures]
    data = copy.deepcopy(loaded.resolved)
    paths = sorted({p for f in unc.scenarios for p in f.set_})
    for path in paths:
        values = [_get(raw[f.id], path) for f in futures]
        mean = _mean(values, weights)
        if mean is not None:
            data, _ = apply_set(data, f"{path}={json.dumps(mean)}", Problems())
    scenario = _validated(data, file, "uncertainty (the average year)")
    plants = set().union(*(f.factors for f in futures))
    factors = {p: sum(w * f.factors.get(p, 1.0) for w, f in zip(weights, futures)) for p in plants}
    model_data = build_model_data(scenario, file, hydro_factor=factors)
    return FutureData("average_year", 1.0, model_data, factors, _mean_factor(model_data, factors))
