"""The scenario schema (SPEC §2): strict, frozen pydantic models, one per section.

Unknown keys are errors (``extra="forbid"``), NaN and infinity are refused, and every quantity
carries its unit in its name. Checks that need more than one field of one entity live here as
validators; checks across entities (references, ids) live in ``checks.py``.
"""

from __future__ import annotations

import re
import typing
import unicodedata
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

YEAR = Field(ge=1900, le=2200)
HOURS_PER_YEAR = (8760.0, 8784.0)

#: every id and name (scenario, nodes, projects, links, slices, seasons, technologies, scopes):
#: a letter, digit or _ first, then letters (of any script, with their marks), digits, _ . or -;
#: at most 100 characters. So an id is never a path (no '/', '.', '..'), never a formula in a
#: spreadsheet (no leading = + - @), and holds no space or control character.
MAX_ID_LENGTH = 100


def _id_char(c: str) -> bool:
    return c.isalnum() or c in "_.-" or unicodedata.category(c).startswith("M")


def is_safe_id(value: str) -> bool:
    return (0 < len(value) <= MAX_ID_LENGTH and (value[0].isalnum() or value[0] == "_")
            and all(_id_char(c) for c in value))


def safe_id(value: str) -> str:
    """Refuse an id that is not safe (see MAX_ID_LENGTH), suggesting the nearest one that is."""
    if is_safe_id(value):
        return value
    suggestion = re.sub(r"_+", "_", "".join(c if _id_char(c) else "_" for c in value)).strip("_.-")
    suggestion = suggestion[:MAX_ID_LENGTH]
    hint = f" (did you mean '{suggestion}'?)" if suggestion and is_safe_id(suggestion) else ""
    raise ValueError(f"{value!r} is not a valid id: use letters, digits, _ . and - only, starting with a letter, "
                     f"digit or _ (at most 100 characters){hint}")


Id = Annotated[str, AfterValidator(safe_id)]


def _kinds(annotation: Any) -> set:
    """The plain types an annotation admits (Optional/Union/Annotated/containers unwrapped)."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    out = set()
    for arg in args:
        out |= _kinds(arg)
    return out


def _holds_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(isinstance(v, bool) for v in value.values())
    if isinstance(value, list):
        return any(isinstance(v, bool) for v in value)
    return False


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """A true/false where a number goes is a mistake, not 1 or 0."""
        if info.field_name and _holds_bool(value):
            kinds = _kinds(cls.model_fields[info.field_name].annotation)
            if bool not in kinds and kinds & {int, float}:
                items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
                first = next(v for v in items if isinstance(v, bool))
                raise ValueError(f"expected a number, got {'true' if first else 'false'}")
        return value


def rate_not_percent(v: float) -> float:
    """A rate of 1 or more is a percentage typed as a number (8 for 8 %)."""
    if v >= 1:
        raise ValueError(f"{v} looks like a percentage; give the rate as a fraction (0.08 for 8 %)")
    return v


class YearRange(Strict):
    """Modelled years as a range: ``{start: 2026, end: 2035, step: 1}``."""

    start: int = YEAR
    end: int = YEAR
    step: int = Field(default=1, ge=1, le=50)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class Horizon(Strict):
    """Modelled years and discounting."""

    base_year: int = YEAR
    years: Union[list[int], YearRange]
    end_year: Optional[int] = Field(default=None, ge=1900, le=2200)
    discount_rate: float = Field(ge=0)

    @field_validator("discount_rate")
    @classmethod
    def _not_percent(cls, v: float) -> float:
        return rate_not_percent(v)

    @field_validator("years")
    @classmethod
    def _years_in_order(cls, v):
        if isinstance(v, list):
            if not v:
                raise ValueError("at least one modelled year is needed")
            for y in v:
                if not 1900 <= y <= 2200:
                    raise ValueError(f"year {y} is out of range 1900-2200")
            for a, b in zip(v, v[1:]):
                if b <= a:
                    raise ValueError(f"years must be strictly increasing; {b} follows {a}")
        return v

    @property
    def year_list(self) -> list[int]:
        if isinstance(self.years, YearRange):
            return list(range(self.years.start, self.years.end + 1, self.years.step))
        return list(self.years)

    @model_validator(mode="after")
    def _consistent(self):
        years = self.year_list
        if years[0] < self.base_year:
            raise ValueError(f"the first modelled year {years[0]} is before base_year {self.base_year}")
        if self.end_year is not None and self.end_year < years[-1]:
            raise ValueError(f"end_year {self.end_year} is before the last modelled year {years[-1]}")
        return self


class Slice(Strict):
    """A slice of the year: its hours, season and whether it is a peak slice."""

    id: Id
    hours: float = Field(gt=0, le=8784)
    season: Optional[Id] = None
    peak: bool = False
    #: the representative period the slice belongs to (its hours are consecutive, in order)
    period: Optional[Id] = None
    #: hours of one occurrence of the slice in its period (storage moves energy by it); the slice
    #: stands for hours / duration_h occurrences a year [1 inside a period, else hours]
    duration_h: Optional[float] = Field(default=None, gt=0, le=8784)


ALL_PERIODS = "all"  # representative_days: all -- every day of the year is a period of its own


def period_count_problem(value: Any, weeks: bool) -> str | None:
    """What is wrong with a representative_days (or _weeks) value, or None: a whole number of
    periods from 1 to 366 (53 weeks), 'all', or nothing. The loader asks before aggregating
    (hourly.py), the schema after."""
    most = 53 if weeks else 366
    if value is None or value == ALL_PERIODS or (isinstance(value, int) and not isinstance(value, bool)
                                                 and 1 <= value <= most):
        return None
    return (f"expected a whole number of periods from 1 to {most}, or '{ALL_PERIODS}' (every "
            f"{'week' if weeks else 'day'} of the year kept), got {value!r}")


class Time(Strict):
    """Slices of a year: given in the YAML, by a profile file, or aggregated from hourly profiles."""

    slices: list[Slice] = Field(default_factory=list)
    profile_file: Optional[str] = None
    #: one year of hourly profiles, aggregated to representative days or weeks (hourly.py)
    hourly_file: Optional[str] = None
    #: K representative days (1-366), or "all": every day of the year is a period of its own
    #: (the full year, no clustering); a K at least a season's days keeps that season whole too
    representative_days: Optional[Union[int, str]] = None
    representative_weeks: Optional[Union[int, str]] = None
    #: each representative period's hours merged into this many segments of adjacent hours (tsam's
    #: segmentation: a segment's length follows where the profiles change); none: every hour a slice
    segments_per_period: Optional[int] = Field(default=None, ge=1, le=168)
    #: month numbers of each season (hourly_file only); default wet May-October, dry November-April
    seasons: Optional[dict[Id, list[Annotated[int, Field(ge=1, le=12)]]]] = None
    #: peak slices: the top share of the hourly load, or these hours of the day without a load column
    peak_load_share: Optional[float] = Field(default=None, gt=0, lt=1)
    peak_hours: Optional[list[Annotated[int, Field(ge=0, le=23)]]] = None
    #: availability by slice from the profile or hourly file's columns (technology, project or
    #: technology@node -> slice -> value)
    profile_availability: dict[str, dict[str, float]] = Field(default_factory=dict)
    #: the error of the aggregation of hourly profiles, one row per profile (filled by the loader)
    aggregation_error: list[dict[str, Union[str, float]]] = Field(default_factory=list)

    @field_validator("representative_days", "representative_weeks", mode="before")
    @classmethod
    def _periods(cls, v: Any, info: ValidationInfo) -> Any:
        problem = period_count_problem(v, weeks=info.field_name == "representative_weeks")
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _hours_make_a_year(self):
        if not self.slices:
            raise ValueError("give time.slices (or time.profile_file, or time.hourly_file with "
                             "representative_days)")
        # that the hours sum to a year is checked in checks.py, so it is reported with other errors
        return self


class Solver(Strict):
    """Solver settings passed to HiGHS."""

    name: Literal["highs"] = "highs"
    time_limit_s: float = Field(default=600, gt=0, le=1e7)
    mip_gap: float = Field(default=0.005, ge=0, le=1)
    #: a plan HiGHS stopped at a limit (time, iterations) is a result only if its relative gap is
    #: at most this (default: the larger of mip_gap and 1 %); above it, `planner solve` exits 4
    #: and writes nothing (an LP stopped at a limit has no gap: accepted only with accepted_gap 1)
    accepted_gap: Optional[float] = Field(default=None, ge=0, le=1)

    def gap_accepted(self, status: str, gap: float | None) -> bool:
        """Is a solve that ended with ``status`` and relative ``gap`` a result?"""
        if status == "optimal":
            return True
        if status != "feasible":
            return False
        accepted = self.accepted_gap if self.accepted_gap is not None else max(self.mip_gap, 0.01)
        return accepted >= 1 or (gap is not None and gap <= accepted)
    threads: Optional[int] = Field(default=None, ge=1, le=1024)
    # LP algorithm (HiGHS option `solver`): choose | simplex | ipm (interior point, often faster on
    # large continuous runs) | pdlp (first-order, GPU-style; low accuracy). Integer runs always use
    # HiGHS's MIP solver; this then applies to the LP re-solved for the duals.
    method: Literal["choose", "simplex", "ipm", "pdlp"] = "choose"
    #: ipm: crossover to a basic solution (off: faster on big LPs; duals still come from the IPM)
    crossover: Optional[bool] = None
    #: HiGHS presolve on or off (default: HiGHS chooses)
    presolve: Optional[bool] = None
    #: feasibility tolerances (HiGHS defaults 1e-7) and the IPM's optimality tolerance (1e-8)
    primal_feasibility_tolerance: Optional[float] = Field(default=None, ge=1e-12, le=1e-2)
    dual_feasibility_tolerance: Optional[float] = Field(default=None, ge=1e-12, le=1e-2)
    ipm_optimality_tolerance: Optional[float] = Field(default=None, ge=1e-12, le=1e-2)
    #: any other HiGHS option by its HiGHS name (checked against HiGHS before solving)
    highs_options: dict[str, Union[bool, int, float, str]] = Field(default_factory=dict)
    #: the prices (node prices, the targets' marginal costs: an LP with the builds fixed and a
    #: re-solve per target): false leaves them blank, for a run so big that only the plan is wanted
    marginal_values: bool = True
    #: the one-year and lasting costs of more imports (measures.py: a re-solve per scope and year):
    #: true | false | null (auto: on up to IMPORT_COST_MAX_COLUMNS columns, a warning above)
    import_costs: Optional[bool] = None

    def highs(self) -> dict:
        """Every HiGHS option these settings set, by HiGHS name (besides time limit, gap, threads)."""
        out = {}
        if self.method != "choose":
            out["solver"] = self.method
        if self.crossover is not None:
            out["run_crossover"] = "on" if self.crossover else "off"
        if self.presolve is not None:
            out["presolve"] = "on" if self.presolve else "off"
        for name in ("primal_feasibility_tolerance", "dual_feasibility_tolerance", "ipm_optimality_tolerance"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return {**out, **self.highs_options}


class Options(Strict):
    """Model options."""

    build: Literal["integer", "continuous"] = "integer"
    #: the price of a MWh (a kW-year) of a target not met. Without import values: 500 (300) when not
    #: given, the legacy device that makes targets bind. With import values (``import_value``) a
    #: shortfall is reported as a volume and priced only where a penalty is given here (SPEC §3.3)
    shortfall_penalty_usd_per_mwh: Optional[float] = Field(default=None, ge=0, le=1e6)
    capacity_shortfall_penalty_usd_per_kw_year: Optional[float] = Field(default=None, ge=0, le=1e6)
    strict_targets: bool = False
    importing_country: Id = "VN"
    #: every country that buys (SPEC §3.6): power is absorbed at the nodes of each; [importing_country]
    #: when absent. importing_country stays the default buyer of a project's contract (contracted_to)
    importing_countries: Optional[list[Annotated[Id, Field(min_length=2, max_length=3)]]] = None
    #: N-1 in peak slices: a link of n circuits (links[].circuits) carries at most (n-1)/n of its
    #: capacity in every slice flagged peak, so the corridor survives the outage of one circuit
    n_minus_1: bool = False
    solver: Solver = Field(default_factory=Solver)
    #: whose cost is minimised (SPEC §3.2): system (the resource cost of the plan: annuities, O&M,
    #: variable cost) | importer (what the importer pays: PPA tariffs on energy, its share of links)
    perspective: Literal["system", "importer"] = "system"
    #: developer's cost of capital and PPA term, for break-even tariffs (tariffs.py)
    developer_wacc: float = Field(default=0.10, ge=0)
    ppa_years: int = Field(default=25, ge=1, le=100)
    #: value of imported energy to the importer (its avoided cost), USD/MWh: one number, or a
    #: mapping season or slice id -> value (a slice id overrides its season; every slice needs one)
    import_value_usd_per_mwh: Union[None, Annotated[float, Field(ge=0, le=5_000)],
                                    dict[Id, Annotated[float, Field(ge=0, le=5_000)]]] = None
    #: find each candidate's flip tariff by re-solving (tariffs.csv); also `planner solve --flip-tariffs`
    flip_tariffs: bool = False
    #: hydrology of the year modelled (SPEC §3.4): scales all of a hydro plant's water (season
    #: budgets, yearly energy limits, run-of-river availability). One number for every hydro plant,
    #: or a mapping project id or basin -> factor (a project's own entry over its basin's) [1.0]
    hydro_energy_factor: Union[None, HydroFactor, dict[Id, HydroFactor]] = None

    @field_validator("developer_wacc")
    @classmethod
    def _wacc_not_percent(cls, v: float) -> float:
        return rate_not_percent(v)


class Node(Strict):
    """A zone of a country: Lao export zones and Vietnamese receiving nodes."""

    id: Id
    country: Annotated[Id, Field(min_length=2, max_length=3)]
    name: Optional[str] = None
    max_import_mw: Optional[float] = Field(default=None, ge=0, le=500_000)
    #: a region of its country (e.g. Vietnam's North, Central, South power regions): a scope for
    #: targets, import limits (limits.max_import_mw_by_scope) and import values
    region: Optional[Id] = None


Availability = dict[str, float]
#: a year's water against the plants' stated (average-year) water: 0.75 is a dry year
HydroFactor = Annotated[float, Field(ge=0, le=3)]
Contract = Literal["none", "take_or_pay", "must_take"]
HydroKind = Literal["run_of_river", "pondage", "reservoir"]


def _check_availability(v: Optional[Availability]) -> Optional[Availability]:
    if v is None:
        return v
    for key, value in v.items():
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"availability '{key}' is not a finite number")
        if value < 0:
            raise ValueError(f"availability '{key}' is {value}; it must be between 0 and 1")
        if value > 1:
            hint = " (a percentage? give 0.4 for 40 %)" if value <= 100 else ""
            raise ValueError(f"availability '{key}' is {value}; it must be between 0 and 1{hint}")
    return v


class Technology(Strict):
    """Defaults that projects of this technology inherit and may override."""

    description: Optional[str] = None
    lifetime_years: Optional[int] = Field(default=None, ge=1, le=150)
    availability: Optional[Availability] = None
    capex_usd_per_kw: Optional[float] = Field(default=None, ge=0, le=30_000)
    fixed_om_usd_per_kw_year: Optional[float] = Field(default=None, ge=0, le=2_000)
    energy_cost_usd_per_mwh: Optional[float] = Field(default=None, ge=0, le=5_000)
    tariff_usd_per_mwh: Optional[float] = Field(default=None, ge=0, le=5_000)
    emissions_t_per_mwh: Optional[float] = Field(default=None, ge=0, le=3)
    #: how its plants use their water (projects may override): run_of_river (power <= availability x
    #: capacity in every slice) | pondage | reservoir (a seasonal energy budget, power up to capacity)
    hydro_kind: Optional[HydroKind] = None
    #: MW counted toward contracted-capacity targets per MW installed [1.0]
    capacity_credit: Optional[float] = Field(default=None, ge=0, le=1)
    #: PPA term (years) for break-even tariffs [options.ppa_years]
    ppa_years: Optional[int] = Field(default=None, ge=1, le=100)
    #: share of the expected energy the importer pays for whether it takes it or not [0]
    take_or_pay_share: Optional[float] = Field(default=None, ge=0, le=1)
    contract: Optional[Contract] = None
    construction_years: Optional[int] = Field(default=None, ge=0, le=15)
    royalty_share: Optional[float] = Field(default=None, ge=0, lt=0.5)
    #: storage (battery, pumped hydro): MWh of energy per MW, and round-trip efficiency [0.85]
    storage_hours: Optional[float] = Field(default=None, gt=0, le=10_000)
    round_trip_efficiency: Optional[float] = Field(default=None, gt=0, le=1)

    @field_validator("availability")
    @classmethod
    def check_availability(cls, v):
        return _check_availability(v)


Status = Literal["existing", "committed", "candidate"]

Sizing = Literal["fixed", "up_to"]


class _Asset(Strict):
    """Fields shared by projects and links."""

    id: Id
    name: Optional[str] = None
    capacity_mw: float = Field(gt=0, le=100_000)
    status: Status
    online_year: Optional[int] = Field(default=None, ge=1900, le=2200)
    earliest_year: Optional[int] = Field(default=None, ge=1900, le=2200)
    latest_year: Optional[int] = Field(default=None, ge=1900, le=2200)
    sizing: Sizing = "fixed"
    lifetime_years: Optional[int] = Field(default=None, ge=1, le=150)
    requires: list[Id] = Field(default_factory=list)
    excludes: list[Id] = Field(default_factory=list)
    source: Optional[str] = None  # where the numbers come from (free text, not used by the model)
    #: ``up_to`` zones: each addition (a modelled year's build) is 0 or at least min_block_mw, and/or
    #: a whole number of units of unit_mw (integer builds; the continuous relaxation relaxes them too)
    min_block_mw: Optional[float] = Field(default=None, gt=0, le=100_000)
    unit_mw: Optional[float] = Field(default=None, gt=0, le=100_000)

    @model_validator(mode="after")
    def _blocks(self):
        for name in ("min_block_mw", "unit_mw"):
            value = getattr(self, name)
            if value is None:
                continue
            if self.sizing != "up_to":
                raise ValueError(f"{name} applies to sizing: up_to only (a fixed-size asset is built whole)")
            if value > self.capacity_mw:
                raise ValueError(f"{name} {value:g} is more than capacity_mw {self.capacity_mw:g}")
        return self

    @model_validator(mode="after")
    def _status_years(self):
        if self.status == "committed" and self.online_year is None:
            raise ValueError("a committed asset needs its online_year")
        if self.status == "candidate" and self.online_year is not None:
            raise ValueError("a candidate has no online_year; give earliest_year (and latest_year) instead")
        if self.status != "candidate" and (self.earliest_year or self.latest_year):
            raise ValueError(f"earliest_year/latest_year apply to candidates only, not to a {self.status} asset")
        if self.earliest_year and self.latest_year and self.latest_year < self.earliest_year:
            raise ValueError(f"latest_year {self.latest_year} is before earliest_year {self.earliest_year}")
        return self


class Project(_Asset):
    """A Lao power project (hydro, wind, solar, coal), or a zone of them with ``sizing: up_to``."""

    technology: Id
    node: Id
    capex_usd_per_kw: Optional[float] = Field(default=None, ge=0, le=30_000)
    fixed_om_usd_per_kw_year: Optional[float] = Field(default=None, ge=0, le=2_000)
    energy_cost_usd_per_mwh: Optional[float] = Field(default=None, ge=0, le=5_000)
    tariff_usd_per_mwh: Optional[float] = Field(default=None, ge=0, le=5_000)
    max_energy_gwh_per_year: Optional[float] = Field(default=None, ge=0, le=1_000_000)
    emissions_t_per_mwh: Optional[float] = Field(default=None, ge=0, le=3)
    availability: Optional[Availability] = None
    #: run_of_river | pondage | reservoir (default: its technology's, else run_of_river)
    hydro_kind: Optional[HydroKind] = None
    #: the river basin of a hydro plant (e.g. Sekong, Nam_Ngum): hydrology factors may be given per basin
    basin: Optional[Id] = None
    #: pondage/reservoir: energy budget per season (GWh in a year's season at full capacity online);
    #: a season not given gets sum over its slices of hours x availability x capacity
    energy_gwh_by_season: Optional[dict[Id, Annotated[float, Field(ge=0, le=1_000_000)]]] = None
    #: MW counted toward contracted-capacity targets per MW installed (default: its technology's, else 1)
    capacity_credit: Optional[float] = Field(default=None, ge=0, le=1)
    #: the scope (node id or country code) its contract counts toward (default: the importing country)
    contracted_to: Optional[Id] = None
    #: PPA term (years) for its break-even tariff (default: its technology's, else options.ppa_years)
    ppa_years: Optional[int] = Field(default=None, ge=1, le=100)
    #: share of its expected energy the importer pays for whether it takes it or not (default: its
    #: technology's, else 0)
    take_or_pay_share: Optional[float] = Field(default=None, ge=0, le=1)
    #: a link the developer builds for this project: its cost (the share the importer does not pay)
    #: is part of the project's break-even tariff
    connection: Optional[Id] = None
    #: what its PPA obliges the importer to (SPEC §3.3; default: its technology's, else take_or_pay
    #: when a take_or_pay_share is given, else none): none | take_or_pay | must_take (the importer
    #: pays for every MWh the plant can make, delivered or curtailed)
    contract: Optional[Contract] = None
    #: the tariff grows by this rate a year from tariff_base_year (default: horizon.base_year)
    tariff_escalation_per_year: Optional[float] = Field(default=None, ge=-0.2, le=0.2)
    tariff_base_year: Optional[int] = Field(default=None, ge=1900, le=2200)
    #: break-even tariff only: years of construction (interest during construction at the
    #: developer's cost of capital, capex spent evenly) and the share of revenue paid as royalties
    #: and revenue taxes (default: the technology's, else 0)
    construction_years: Optional[int] = Field(default=None, ge=0, le=15)
    royalty_share: Optional[float] = Field(default=None, ge=0, lt=0.5)
    #: storage (battery, pumped hydro): MWh per MW (makes the project a store that charges from its
    #: node), and round-trip efficiency (default: the technology's, else 0.85)
    storage_hours: Optional[float] = Field(default=None, gt=0, le=10_000)
    round_trip_efficiency: Optional[float] = Field(default=None, gt=0, le=1)

    @field_validator("availability")
    @classmethod
    def check_availability(cls, v):
        return _check_availability(v)

    @model_validator(mode="after")
    def _contract_share(self):
        if self.contract in ("none", "must_take") and self.take_or_pay_share:
            raise ValueError(f"take_or_pay_share {self.take_or_pay_share:g} is given with contract: {self.contract}; "
                             f"a take-or-pay share belongs to contract: take_or_pay")
        return self

    @model_validator(mode="after")
    def _energy_possible(self):
        if self.max_energy_gwh_per_year is not None:
            most = self.capacity_mw * 8.784
            if self.max_energy_gwh_per_year > most:
                raise ValueError(f"max_energy_gwh_per_year {self.max_energy_gwh_per_year:g} is more than "
                                 f"{self.capacity_mw:g} MW can produce in a year ({most:.0f} GWh); a unit slip?")
        return self


class Link(_Asset):
    """A transmission link (an interconnector, or a line inside one country)."""

    from_: Id = Field(alias="from")
    to: Id
    capex_musd: Optional[float] = Field(default=None, ge=0, le=50_000)
    capex_usd_per_mw_km: Optional[float] = Field(default=None, ge=0, le=100_000)
    length_km: Optional[float] = Field(default=None, gt=0, le=5_000)
    fixed_om_musd_per_year: float = Field(default=0.0, ge=0, le=5_000)
    loss_fraction: float = Field(default=0.0, ge=0, lt=1)
    bidirectional: bool = False
    #: share of the link's cost (annuity and O&M) the importer pays [0 inside the exporting
    #: country, 1 inside the importing one, 0.5 across the border]
    importer_share: Optional[float] = Field(default=None, ge=0, le=1)
    #: circuits of the corridor (SPEC §3.6): with options.n_minus_1 it carries at most
    #: (circuits - 1) / circuits of capacity_mw in peak slices; not given: no N-1 rule for it
    circuits: Optional[int] = Field(default=None, ge=1, le=20)

    @model_validator(mode="after")
    def _link_checks(self):
        if self.capex_usd_per_mw_km is not None and self.length_km is None:
            raise ValueError("capex_usd_per_mw_km needs length_km")
        if self.capex_musd is not None and self.capex_usd_per_mw_km is not None:
            raise ValueError("give capex_musd or capex_usd_per_mw_km with length_km, not both")
        if self.loss_fraction > 0.3:
            raise ValueError(f"loss_fraction {self.loss_fraction} is implausible for a line; a percentage slip?")
        return self

    @property
    def capex_total_musd(self) -> float:
        """Full capex of the whole link (SPEC §3.1)."""
        if self.capex_musd is not None:
            return self.capex_musd
        if self.capex_usd_per_mw_km is not None and self.length_km is not None:
            return self.capex_usd_per_mw_km * self.length_km * self.capacity_mw / 1e6
        return 0.0


class Target(Strict):
    """An import target for a scope (node id or country code) from a year on."""

    scope: Id
    year: int = YEAR
    energy_gwh: Optional[float] = Field(default=None, ge=0, le=10_000_000)
    capacity_mw: Optional[float] = Field(default=None, ge=0, le=2_000_000)
    #: MW of export plant contracted to the scope (each project at capacity x its capacity_credit)
    contracted_mw: Optional[float] = Field(default=None, ge=0, le=2_000_000)
    source: Optional[str] = None  # where the numbers come from (free text, not used by the model)
    #: a target that must hold in one future of ``uncertainty`` (a dry-year firm-energy criterion):
    #: an uncertainty scenario id, or pNN (the hydrology year exceeded with NN % probability, e.g.
    #: p90). Such a row has no shortfall: every plan must meet it in that future (SPEC §3.4)
    scenario: Optional[Id] = None

    @model_validator(mode="after")
    def _firm_in_one_future(self):
        if self.scenario is not None and self.contracted_mw is not None:
            raise ValueError("contracted_mw does not change with the hydrology; a target of one future "
                             "(scenario) gives energy_gwh and/or capacity_mw")
        return self

    @model_validator(mode="after")
    def _something(self):
        if self.energy_gwh is None and self.capacity_mw is None and self.contracted_mw is None:
            raise ValueError("a target needs energy_gwh or capacity_mw or contracted_mw (one or more)")
        return self


class _SeasonOrSlice(Strict):
    """A row that holds in a season or in one slice (or, both blank, in every slice)."""

    @model_validator(mode="after")
    def _one_time(self):
        if self.season is not None and self.slice is not None:
            raise ValueError("give a season or a slice, not both (a slice row overrides its season's row)")
        return self


class ImportValue(_SeasonOrSlice):
    """Vietnam's avoided cost of a MWh delivered at an importing node (SPEC §3.3): one row.

    ``node``: a node id, a region or a country code (blank: every importing node); ``season`` or
    ``slice`` (a slice overrides its season; both blank: every slice); ``year``: the row holds from
    this year until a later row of the same place and time (blank: from the start). The most
    specific row wins: node over region over country, slice over season over all, then the latest
    year.
    """

    node: Optional[Id] = None
    season: Optional[Id] = None
    slice: Optional[Id] = None
    year: Optional[int] = Field(default=None, ge=1900, le=2200)
    value_usd_per_mwh: float = Field(ge=0, le=5_000)
    source: Optional[str] = None


class Demand(_SeasonOrSlice):
    """Load served at a node before export (SPEC §3.6), e.g. EDL's: one row.

    ``season`` or ``slice`` (a slice overrides its season; both blank: every slice); ``year``: the
    row holds from this year until a later row of the same node and time (blank: from the start).
    Unserved demand costs its value of lost load.
    """

    node: Id
    season: Optional[Id] = None
    slice: Optional[Id] = None
    year: Optional[int] = Field(default=None, ge=1900, le=2200)
    demand_mw: float = Field(ge=0, le=500_000)
    value_of_lost_load_usd_per_mwh: float = Field(default=1000.0, ge=0, le=100_000)
    source: Optional[str] = None


class Limits(Strict):
    """Optional limits on the plan."""

    max_new_capacity_mw_per_year: Optional[float] = Field(default=None, ge=0, le=1_000_000)
    capex_budget_musd_per_year: Optional[float] = Field(default=None, ge=0, le=1_000_000)
    co2_price_usd_per_t: float = Field(default=0.0, ge=0, le=10_000)
    # one ceiling for every candidate, or one per technology id (a technology not named has none)
    max_tariff_usd_per_mwh: Union[None, Annotated[float, Field(ge=0, le=5_000)],
                                  dict[Id, Annotated[float, Field(ge=0, le=5_000)]]] = None
    #: the ceiling applies to candidates coming online up to this year (Dec. 1007/QD-BCT: COD by
    #: 2030); later builds have no ceiling (none is published). Default: every year
    max_tariff_last_online_year: Optional[int] = Field(default=None, ge=1900, le=2200)
    # most MW absorbed in any slice, summed over a scope's importing nodes (scope: node id, region or country)
    max_import_mw_by_scope: dict[Id, Annotated[float, Field(ge=0, le=2_000_000)]] = Field(default_factory=dict)

    def tariff_ceiling(self, technology: str) -> Optional[float]:
        """The ceiling that applies to a candidate of this technology, or None."""
        if isinstance(self.max_tariff_usd_per_mwh, dict):
            return self.max_tariff_usd_per_mwh.get(technology)
        return self.max_tariff_usd_per_mwh


class Future(Strict):
    """One future of ``uncertainty``: a hydrology year (and what else differs in it)."""

    id: Id
    probability: float = Field(gt=0, le=1)
    #: all hydro plants' water in this future (replaces options.hydro_energy_factor) [options', else 1]
    hydro_energy_factor: Optional[HydroFactor] = None
    #: operating data of this future, as ``--set`` paths: values, availabilities, energy costs,
    #: penalties; never what can be built or what building costs
    set_: dict[str, Any] = Field(default_factory=dict, alias="set")
    description: Optional[str] = None
    source: Optional[str] = None


class HydrologyRow(Strict):
    """A future's water for one plant or one basin (uncertainty.hydrology; a file's row)."""

    scenario: Id
    project: Optional[Id] = None
    basin: Optional[Id] = None
    hydro_energy_factor: HydroFactor
    source: Optional[str] = None

    @model_validator(mode="after")
    def _one_place(self):
        if (self.project is None) == (self.basin is None):
            raise ValueError("give a project or a basin (one of them) for each hydrology row")
        return self


class Risk(Strict):
    """What the one plan for all futures minimises (SPEC §3.4)."""

    measure: Literal["expected", "cvar", "regret"] = "expected"
    #: cvar: the tail's probability is 1 - alpha (alpha 0.9: the costliest 10 % of the futures)
    alpha: float = Field(default=0.9, ge=0, lt=1)
    #: cvar: minimise (1 - weight) x expected cost + weight x CVaR_alpha
    weight: float = Field(default=1.0, ge=0, le=1)


class ProgressiveHedging(Strict):
    """Options of ``method: progressive_hedging`` (mpi-sppy's PH, planner/stochastic/ph.py)."""

    #: the penalty on a future's distance from the consensus, as a multiple of each first-stage
    #: variable's cost scale (building the whole asset: its capex, MUSD); rho_i = rho x capex_i
    rho: float = Field(default=0.1, gt=0)
    #: at most this many PH iterations after the first (each future on its own)
    max_iterations: int = Field(default=100, ge=0)
    #: stop when the futures' mean distance from the consensus (mpi-sppy's metric, in build
    #: fractions of capacity) falls below this
    convergence: float = Field(default=1e-4, gt=0)
    #: MPI ranks (processes); > 1 runs ``mpiexec -n ranks`` (at most one rank per future)
    ranks: int = Field(default=1, ge=1)


class Uncertainty(Strict):
    """Futures one plan must serve: builds shared, operation per future (SPEC §3.4)."""

    scenarios: list[Future] = Field(min_length=1)
    #: per future and plant (project) or basin: its water; a list, or {file: hydrology.csv}
    hydrology: list[HydrologyRow] = Field(default_factory=list)
    risk: Risk = Field(default_factory=Risk)
    method: Literal["extensive_form", "progressive_hedging"] = "extensive_form"
    #: progressive hedging's options (used with method: progressive_hedging)
    ph: ProgressiveHedging = Field(default_factory=ProgressiveHedging)

    @model_validator(mode="after")
    def _futures(self):
        ids = [f.id for f in self.scenarios]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"scenario id(s) {', '.join(twice)} given twice; ids must be unique")
        total = sum(f.probability for f in self.scenarios)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the scenarios' probabilities sum to {total:g}; they must sum to 1")
        for row in self.hydrology:
            if row.scenario not in ids:
                raise ValueError(f"hydrology row for '{row.scenario}': no such scenario"
                                 f"{_did_you_mean(row.scenario, ids)}; scenarios: {', '.join(ids)}")
        return self


def _did_you_mean(word: str, choices) -> str:
    from .errors import did_you_mean

    return did_you_mean(word, choices)


class Scenario(Strict):
    """A whole, merged scenario (after ``extends`` and ``--set``)."""

    name: Id
    description: Optional[str] = None
    extends: Optional[str] = None
    horizon: Horizon
    time: Time
    options: Options = Field(default_factory=Options)
    nodes: list[Node]
    technologies: dict[Id, Technology] = Field(default_factory=dict)
    projects: list[Project] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    #: Vietnam's value of imports by node, season or slice, and year (SPEC §3.3); a list, or
    #: {file: import_value.csv}. A variant's list replaces its parent's whole
    import_value: list[ImportValue] = Field(default_factory=list)
    #: several futures (hydrology years) that one plan must serve (SPEC §3.4); none: one future
    uncertainty: Optional[Uncertainty] = None
    #: load served inside a country before export (SPEC §3.6); a list, or {file: demand.csv}
    demand: list[Demand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_import_value(self):
        if self.import_value and self.options.import_value_usd_per_mwh is not None:
            raise ValueError("give import_value (by node, season or slice, and year) or "
                             "options.import_value_usd_per_mwh, not both")
        return self
