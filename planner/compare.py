"""Several result folders -> side-by-side comparison tables (``planner compare``, SPEC §5).

Reads only what ``planner solve`` wrote (the CSV tables, summary.json, the resolved scenario.yaml),
so folders from different machines, versions or sweeps compare alike. Every table is wide in the
scenarios (one column per result folder, in the order given) so that it reads in a spreadsheet as
it is; the first folder is the reference of the ``differences`` and ``build_changes`` tables.
"""

from __future__ import annotations

import dataclasses

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

RESULT_TABLES = ("builds", "capacity", "imports", "links", "costs")
COST_COMPONENTS = ("capex", "fixed_om", "energy", "payments", "links", "co2", "penalty", "lost_load", "import_value")
BY_YEAR_QUANTITIES = ("energy_gwh", "target_energy_gwh", "energy_shortfall_gwh", "firm_mw", "target_capacity_mw",
                      "capacity_shortfall_mw", "marginal_cost_usd_per_mwh", "marginal_capacity_cost_usd_per_kw_year")
LINK_QUANTITIES = ("delivered_gwh", "losses_gwh", "peak_flow_mw", "utilisation")
#: rows of the summary per year for the importing country: (imports.csv column, metric name)
COUNTRY_BY_YEAR = (("energy_gwh", "imports_gwh"), ("energy_shortfall_gwh", "energy_shortfall_gwh"),
                   ("capacity_shortfall_mw", "capacity_shortfall_mw"),
                   ("marginal_cost_usd_per_mwh", "marginal_cost_usd_per_mwh"))


class CompareError(Exception):
    """Result folders that cannot be compared; the message says which and why."""


@dataclass
class ResultFolder:
    """One folder written by ``planner solve``."""

    label: str
    path: Path
    summary: dict
    scenario: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def horizon(self) -> dict:
        return self.scenario.get("horizon") or {}

    @property
    def importing_country(self) -> str:
        return str((self.scenario.get("options") or {}).get("importing_country", "VN"))



def _minimised(costs: pd.DataFrame) -> pd.DataFrame:
    """The rows of the view the run minimised (costs.csv holds both views since payers.py)."""
    if "in_objective" not in costs:
        return costs
    return costs[costs.in_objective.astype(str).str.lower() == "true"]

#: the columns compare reads from each table: (text columns, number columns); other columns are kept as read
TABLE_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "builds": (("asset", "kind", "status"), ("build_year", "capacity_mw", "capex_musd")),
    "capacity": (("asset",), ("year", "online_mw")),
    "imports": (("scope",), ("year", "energy_gwh", "energy_shortfall_gwh", "capacity_shortfall_mw",
                             "marginal_cost_usd_per_mwh")),
    "links": (("link",), ("year", *LINK_QUANTITIES)),
    "costs": (("component",), ("year", "undiscounted_musd", "discounted_musd")),
    # read by planner report only
    "flows": (("link", "slice", "direction"), ("year", "flow_mw")),
    "dispatch": (("project", "slice"), ("year", "generation_mw")),
    "tariffs": (("project", "status"), ("build_year", "break_even_tariff_usd_per_mwh", "ceiling_usd_per_mwh",
                                        "tariff_usd_per_mwh", "flip_tariff_usd_per_mwh")),
}
#: optional columns read when present
OPTIONAL_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "builds": (("technology",), ()),
    "imports": ((), BY_YEAR_QUANTITIES),
    "costs": (("in_objective", "view"), ()),
}
#: rows that must be unique in each table (the key columns)
TABLE_KEYS = {"capacity": ("asset", "year"), "imports": ("scope", "year"), "links": ("link", "year"),
              "costs": ("year", "component", "view")}
#: column names of the comparison's tables: a result folder of that name is labelled by its parent too
RESERVED_LABELS = frozenset({"metric", "quantity", "scope", "year", "asset", "kind", "technology", "link", "run_id",
                             "scenario", "change", "build_year", "mw", "status", "folder", "message"})


def read_table(path: Path, name: str) -> pd.DataFrame:
    """One CSV of a result folder, checked: the columns compare reads are there, numbers are
    numbers (years whole), key rows are unique. CompareError names the file, row and column."""
    file = path / f"{name}.csv"
    text_cols, number_cols = TABLE_COLUMNS[name]
    opt_text, opt_numbers = OPTIONAL_COLUMNS.get(name, ((), ()))
    try:
        frame = pd.read_csv(file, keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CompareError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CompareError(f"{file}: cannot read it as CSV ({str(exc).strip()[:200]})") from exc
    missing = [c for c in (*text_cols, *number_cols) if c not in frame.columns]
    if missing:
        raise CompareError(f"{file}: missing column(s) {', '.join(missing)}; not a table written by planner solve")
    if frame.columns.duplicated().any():
        raise CompareError(f"{file}: column {frame.columns[frame.columns.duplicated()][0]!r} appears twice")
    for col in [*text_cols, *(c for c in opt_text if c in frame.columns)]:
        frame[col] = frame[col].fillna("").astype(str)
    for col in [*number_cols, *(c for c in opt_numbers if c in frame.columns and c not in number_cols)]:
        raw = frame[col]
        given = raw.notna()
        if raw.dtype == object:
            raw = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
        numbers = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = given & ~np.isfinite(numbers.fillna(np.inf))
        if col in ("year", "build_year"):  # a calendar year: whole, four digits (blank only for an asset's build_year)
            odd = (numbers.fillna(2000) % 1 != 0) | (numbers.fillna(2000) < 1000) | (numbers.fillna(2000) > 9999)
            bad |= odd | (numbers.isna() if col == "year" else False)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            value = frame[col].iloc[row]
            expected = "a whole year" if col in ("year", "build_year") else "a finite number"
            raise CompareError(f"{file}: row {row + 2}, column {col}: expected {expected}, got "
                               f"{'a blank' if pd.isna(value) else repr(str(value)[:60])}")
        whole = col in ("year", "build_year") and numbers.notna().all()
        frame[col] = numbers.astype("int64") if whole else numbers  # as pandas reads a column planner wrote
    several = ["scenario"] if "scenario" in frame.columns else []  # a result of several futures: per future
    keys = [k for k in TABLE_KEYS.get(name, ()) if k in frame.columns]
    keys += several if keys else []
    if keys and frame.duplicated(list(keys)).any():
        row = int(frame.duplicated(list(keys)).to_numpy().nonzero()[0][0])
        raise CompareError(f"{file}: row {row + 2} repeats {', '.join(f'{k} {frame[k].iloc[row]}' for k in keys)}")
    if name == "costs":  # the view the run minimised: one row per year and component
        counted = _minimised(frame).duplicated(["year", "component", *several])
        if counted.any():
            row = int(counted.index[counted.to_numpy()][0])
            raise CompareError(f"{file}: row {row + 2}: year {frame.year.iloc[row]}, component "
                               f"{frame.component.iloc[row]} is counted twice in the objective (in_objective)")
    return frame


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CompareError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise CompareError(f"{file}: cannot read it ({exc.strerror or exc})") from exc


def read_result(path: Path, label: str | None = None) -> ResultFolder:
    """Read one result folder; CompareError names the file (and row and column) that is missing or wrong."""
    path = Path(path)
    if not path.is_dir():
        raise CompareError(f"{path}: no such folder")
    missing = [f for f in ("summary.json", "scenario.yaml", *(f"{t}.csv" for t in RESULT_TABLES))
               if not (path / f).is_file()]
    if missing and (path / "index.csv").is_file() and (path / "runs").is_dir():
        raise CompareError(_sweep_folder(path))
    inside = _results_in(path) if missing else []
    if inside:  # e.g. results/, the parent of the result folders
        raise CompareError(f"{path} is not one result but holds {len(inside)}: give one of them "
                           f"({_listed(inside)})")
    if missing:
        raise CompareError(f"{path}: not a planner result folder (missing {', '.join(missing)})")
    try:
        summary = json.loads(_read_text(path / "summary.json"))
    except (ValueError, RecursionError) as exc:
        raise CompareError(f"{path / 'summary.json'}: not JSON ({str(exc)[:200]})") from exc
    if not isinstance(summary, dict) or not isinstance(summary.get("scenario", ""), str):
        raise CompareError(f"{path / 'summary.json'} is not one written by planner solve (expected a mapping of "
                           "fields, got " + type(summary).__name__ + ")")
    excluded = summary.get("excluded_by_tariff") or []
    if not isinstance(excluded, list) or not all(isinstance(e, str) for e in excluded):
        raise CompareError(f"{path / 'summary.json'}: excluded_by_tariff is not a list of project ids")
    try:
        scenario = yaml.safe_load(_read_text(path / "scenario.yaml"))
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise CompareError(f"{path / 'scenario.yaml'}: not YAML ({str(exc).splitlines()[0][:200]})") from exc
    if not isinstance(scenario, dict):
        raise CompareError(f"{path / 'scenario.yaml'} is not one written by planner solve (expected a mapping of "
                           f"fields, got {type(scenario).__name__})")
    if not isinstance(scenario.get("horizon"), dict):
        got = "nothing" if scenario.get("horizon") is None else type(scenario["horizon"]).__name__
        raise CompareError(f"{path / 'scenario.yaml'} is not one written by planner solve (its horizon is not a "
                           f"mapping: got {got})")
    for key in ("options", "time"):
        if scenario.get(key) is not None and not isinstance(scenario[key], dict):
            raise CompareError(f"{path / 'scenario.yaml'}: {key} is not a mapping (got "
                               f"{type(scenario[key]).__name__}); not one written by planner solve")
    for key in ("nodes", "links", "projects"):
        if scenario.get(key) is not None and not (isinstance(scenario[key], list)
                                                  and all(isinstance(i, dict) for i in scenario[key])):
            raise CompareError(f"{path / 'scenario.yaml'}: {key} is not a list of mappings; not one written by "
                               "planner solve")
    tables = {t: read_table(path, t) for t in RESULT_TABLES}
    return ResultFolder(label or path.name, path, summary, scenario, tables)


def _results_in(folder: Path) -> list[Path]:
    """The result folders directly inside ``folder`` (those holding a summary.json)."""
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and (p / "summary.json").is_file())
    except OSError:
        return []


def _listed(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths[:8]) + (f" and {len(paths) - 8} more" if len(paths) > 8 else "")


def _sweep_folder(path: Path) -> str:
    """What to say of a sweep folder given where one result is expected: its runs, to pick one."""
    runs = _results_in(path / "runs")
    if not runs:
        return f"{path} is a sweep folder (index.csv, runs/) with no solved run: see {path / 'index.csv'}"
    return (f"{path} is a sweep folder, not one result: give one of its runs ({_listed(runs)}); "
            f"its runs side by side are in {path / 'comparison.xlsx'}")


def one_future(result: ResultFolder, future: str, label: str | None = None) -> ResultFolder:
    """A result of several futures (SPEC §3.4: tables with a ``scenario`` column) seen in one future:
    its rows, the column dropped; the summary's objective and views are that future's."""
    tables = {name: (t[t.scenario.astype(str) == future].drop(columns="scenario").reset_index(drop=True)
                     if "scenario" in t.columns and name not in ("scenarios", "hedges") else t)
              for name, t in result.tables.items()}
    summary = dict(result.summary)
    scen = pd.read_csv(result.path / "scenarios.csv") if "scenarios" not in result.tables else result.tables["scenarios"]
    row = scen[scen.scenario.astype(str) == future]
    if len(row):
        summary.update(objective_musd=float(row.cost_musd.iloc[0]),
                       energy_shortfall_gwh=float(row.energy_shortfall_gwh.iloc[0]))
    npv = tables["costs"].groupby("view").discounted_musd.sum() if "view" in tables["costs"] else {}
    for view in ("system", "importer"):
        if view in npv:
            summary[f"{view}_cost_musd"] = float(npv[view])
    summary.pop("rent_musd", None)
    return dataclasses.replace(result, label=label or result.label, summary=summary, tables=tables)


def futures_of(result: ResultFolder) -> list[str]:
    """The futures of a result of several futures (scenarios.csv), else []."""
    path = result.path / "scenarios.csv"
    if "scenario" not in result.tables["imports"].columns or not path.is_file():
        return []
    try:
        return [str(f) for f in pd.read_csv(path).scenario]
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CompareError(f"{path}: cannot read the futures ({str(exc)[:300]})") from exc


def read_results(paths: list[Path]) -> list[ResultFolder]:
    """Read several folders, label them by folder name (made unique, and never the name of a
    column of the comparison, e.g. ``link``), and check they compare. A result of several futures
    counts as one folder per future, labelled folder:future."""
    if not paths:
        raise CompareError("give at least one result folder")
    problems, folders = [], []
    for p in paths:
        try:
            folder = read_result(p)
            futures = futures_of(folder)
            folders.extend([one_future(folder, f, f"{folder.label}:{f}") for f in futures] or [folder])
        except CompareError as exc:
            problems.append(str(exc))
    if problems:
        raise CompareError("\n".join(problems))
    used: set[str] = set()
    for f in folders:
        if f.label in used or f.label in RESERVED_LABELS:
            parent = f.path.parent.name
            if parent and f"{parent}/{f.label}" not in used:
                f.label = f"{parent}/{f.label}"
        base, n = f.label, 1
        while f.label in used or f.label in RESERVED_LABELS:
            n += 1
            f.label = f"{base}_{n}"
        used.add(f.label)
    check_comparable(folders)
    return folders


def check_comparable(folders: list[ResultFolder]) -> None:
    """Refuse folders whose costs are not on one footing: base year, discount rate, modelled years."""
    problems = []
    for key in ("base_year", "discount_rate", "end_year"):
        values = {f.label: f.horizon.get(key) for f in folders}
        if len({json.dumps(v, default=str) for v in values.values()}) > 1:
            shown = ", ".join(f"{k}: {v}" for k, v in values.items())
            problems.append(f"horizon.{key} differs ({shown}); net present costs would not compare")
    years = {f.label: sorted(f.tables["costs"].year.unique().tolist()) for f in folders}
    if len({tuple(v) for v in years.values()}) > 1:
        shown = "; ".join(f"{k}: {v}" for k, v in years.items())
        problems.append(f"the modelled years differ ({shown})")
    if problems:
        raise CompareError("these results cannot be compared:\n  " + "\n  ".join(problems))


def _wide(frames: dict[str, pd.Series], keys: list[str]) -> pd.DataFrame:
    """Series indexed by keys, one per scenario label -> one column per scenario."""
    out = pd.concat(frames, axis=1)
    out.index.names = keys
    return out.reset_index()


def summary_table(folders: list[ResultFolder]) -> pd.DataFrame:
    """metric (unit in its name) x scenario: objective, cost components, shortfall, what is built, and
    the importing country's imports, shortfall and marginal import cost by year."""
    rows: dict[str, dict[str, object]] = {}
    for f in folders:
        s, t = f.summary, f.tables
        costs = _minimised(t["costs"]).groupby("component").discounted_musd.sum()
        builds = t["builds"]
        new = builds[builds.status == "candidate"]
        col = {
            "status": s.get("status"),
            "build_mode": s.get("build_mode"),
            "objective_musd": s.get("objective_musd"),
            "perspective": s.get("perspective", "system"),
            **{f"{c}_musd (discounted)": float(costs[c]) for c in COST_COMPONENTS if c in costs},
            "system_cost_musd (resource cost, NPV)": s.get("system_cost_musd"),
            "importer_cost_musd (NPV)": s.get("importer_cost_musd"),
            "rent_musd (NPV)": s.get("rent_musd"),
            "energy_shortfall_gwh (all scopes and years)": s.get("energy_shortfall_gwh"),
            "capacity_shortfall_mw (all scopes and years)": s.get("capacity_shortfall_mw"),
            "new_project_mw": float(new[new.kind == "project"].capacity_mw.sum()),
            "new_link_mw": float(new[new.kind == "link"].capacity_mw.sum()),
            "new_capex_musd (undiscounted)": float(new.capex_musd.sum()),
            "excluded_by_tariff": ", ".join(s.get("excluded_by_tariff") or []),
            "mip_gap": s.get("mip_gap"),
            "solve_seconds": s.get("solve_seconds"),
            "input_sha256": s.get("input_sha256"),
        }
        country = f.importing_country
        imports = t["imports"][t["imports"].scope == country]
        for column, metric in COUNTRY_BY_YEAR:
            col.update({f"{country} {metric} {y}": v for y, v in zip(imports.year, imports[column])})
        for metric, value in col.items():
            rows.setdefault(metric, {})[f.label] = value
    frame = pd.DataFrame.from_dict(rows, orient="index")[[f.label for f in folders]]
    frame.index.name = "metric"
    return frame.reset_index()


def by_year_table(folders: list[ResultFolder]) -> pd.DataFrame:
    """quantity, scope, year x scenario: imports against targets, shortfall, marginal costs, annual costs."""
    series = {}
    for f in folders:
        imports = f.tables["imports"].melt(id_vars=["scope", "year"], value_vars=[
            q for q in BY_YEAR_QUANTITIES if q in f.tables["imports"].columns], var_name="quantity")
        costs = _minimised(f.tables["costs"]).assign(quantity=lambda c: c.component + "_musd (undiscounted)", scope="all")
        costs = costs.rename(columns={"undiscounted_musd": "value"})[["scope", "year", "quantity", "value"]]
        both = pd.concat([imports, costs], ignore_index=True)
        series[f.label] = both.set_index(["quantity", "scope", "year"]).value
    return _sorted(_wide(series, ["quantity", "scope", "year"]), BY_YEAR_QUANTITIES, ["scope", "year"])


def _sorted(frame: pd.DataFrame, quantities: tuple[str, ...], then: list[str]) -> pd.DataFrame:
    """Rows in the order of ``quantities`` (others after them, by name), then by ``then``."""
    rank = frame.quantity.map({q: i for i, q in enumerate(quantities)}).fillna(len(quantities))
    return (frame.assign(_rank=rank).sort_values(["_rank", "quantity", *then]).drop(columns="_rank")
            .reset_index(drop=True))


def build_tables(folders: list[ResultFolder]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """asset x scenario: first build year (blank when not built) and MW built, for every candidate
    built in at least one scenario; sorted by kind, technology, asset."""
    labels = [f.label for f in folders]
    years, mws, info = {}, {}, []
    for f in folders:
        b = f.tables["builds"]
        b = b[b.status == "candidate"]
        if "technology" not in b.columns:
            b = b.assign(technology="")
        years[f.label] = b.groupby("asset").build_year.min()
        mws[f.label] = b.groupby("asset").capacity_mw.sum()
        info.append(b[["asset", "kind", "technology"]])
    meta = pd.concat(info).drop_duplicates("asset").sort_values(["kind", "technology", "asset"])
    meta = meta.reset_index(drop=True)

    def shape(columns: dict[str, pd.Series]) -> pd.DataFrame:
        frame = pd.concat(columns, axis=1) if columns else pd.DataFrame()
        return meta.join(frame.reindex(meta.asset).reset_index(drop=True))[["asset", "kind", "technology", *labels]]

    return shape(years).astype({label: "Int64" for label in labels}), shape(mws)


def capacity_table(folders: list[ResultFolder]) -> pd.DataFrame:
    """technology (links as 'link'), year x scenario: online MW."""
    series = {}
    for f in folders:
        cap = f.tables["capacity"]
        tech = f.tables["builds"].drop_duplicates("asset").set_index("asset")
        kind = cap.asset.map(tech["kind"])
        label = cap.asset.map(tech["technology"]) if "technology" in tech.columns else kind
        label = label.where(kind == "project", "link")
        series[f.label] = cap.assign(technology=label).groupby(["technology", "year"]).online_mw.sum()
    return _wide(series, ["technology", "year"]).fillna(0.0)


def links_table(folders: list[ResultFolder]) -> pd.DataFrame:
    """quantity, link, year x scenario: the border gates' energy, losses, peak flow and utilisation."""
    series = {}
    for f in folders:
        long = f.tables["links"].melt(id_vars=["link", "year"], value_vars=list(LINK_QUANTITIES), var_name="quantity")
        series[f.label] = long.set_index(["quantity", "link", "year"]).value
    return _sorted(_wide(series, ["quantity", "link", "year"]), LINK_QUANTITIES, ["link", "year"])


def differences_table(summary: pd.DataFrame, by_year: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Numeric rows of summary and by_year, each scenario minus the first one."""
    ref, others = labels[0], labels[1:]
    parts = []
    is_number = summary[ref].map(lambda v: pd.api.types.is_number(v) and not isinstance(v, bool))
    numeric = summary[is_number & ~summary.metric.isin(["solve_seconds", "mip_gap"])]
    s = numeric.assign(quantity=numeric.metric, scope="", year=pd.NA)[["quantity", "scope", "year", *labels]]
    parts.append(s)
    parts.append(by_year[["quantity", "scope", "year", *labels]])
    both = pd.concat(parts, ignore_index=True)
    values = both[labels].apply(pd.to_numeric, errors="coerce")
    out = both[["quantity", "scope", "year"]].copy()
    out[ref] = values[ref]
    for o in others:
        out[f"{o} - {ref}"] = values[o] - values[ref]
    return out


def build_changes_table(years: pd.DataFrame, mws: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """One row per asset whose build differs from the first scenario: added, removed, moved, resized."""
    ref = labels[0]
    rows = []
    y, m = years.set_index("asset"), mws.set_index("asset")
    for other in labels[1:]:
        for asset in y.index:
            y0, y1 = y.at[asset, ref], y.at[asset, other]
            m0, m1 = m.at[asset, ref], m.at[asset, other]
            built0, built1 = not pd.isna(y0), not pd.isna(y1)
            if not built0 and not built1:
                continue
            if built1 and not built0:
                change = "added"
            elif built0 and not built1:
                change = "removed"
            elif int(y0) != int(y1):
                change = "moved"
            elif not np.isclose(m0, m1, rtol=1e-3, atol=0.5):
                change = "resized"
            else:
                continue
            rows.append(dict(scenario=other, asset=asset, change=change,
                             **{f"build_year {ref}": y0, "build_year": y1, f"mw {ref}": m0, "mw": m1}))
    cols = ["scenario", "asset", "change", f"build_year {ref}", "build_year", f"mw {ref}", "mw"]
    return pd.DataFrame(rows, columns=cols)


def comparison_tables(folders: list[ResultFolder]) -> dict[str, pd.DataFrame]:
    """Every sheet of the comparison workbook, in order."""
    labels = [f.label for f in folders]
    summary = summary_table(folders)
    by_year = by_year_table(folders)
    years, mws = build_tables(folders)
    return {
        "summary": summary,
        "by_year": by_year,
        "build_year": years,
        "build_mw": mws,
        "capacity": capacity_table(folders),
        "links": links_table(folders),
        "differences": differences_table(summary, by_year, labels),
        "build_changes": build_changes_table(years, mws, labels),
    }


SHEET_HELP = {
    "index": "One row per run of the sweep: its id, scenario file, the values set, status, objective, folder.",
    "summary": "One row per metric, one column per result folder: status, net present cost and its components "
               "(discounted MUSD), shortfall totals, what is newly built, and the importing country's imports, "
               "shortfall and marginal import cost by year.",
    "by_year": "Imports against targets, shortfall and marginal costs per scope and year, and annual costs "
               "(undiscounted MUSD), one column per result folder.",
    "build_year": "Each candidate built in at least one result: the year it first comes online (blank: not built).",
    "build_mw": "The same candidates: MW built over the horizon (blank: not built).",
    "capacity": "Online MW per technology (links together) and year.",
    "links": "The border gates per link and year: delivered and lost energy (GWh), peak flow (MW), utilisation.",
    "differences": "Every numeric row of summary and by_year as the first result, then each other result minus it.",
    "build_changes": "Each asset whose build differs from the first result: added, removed, moved (year) or resized.",
}


def write_comparison_workbook(folders: list[ResultFolder], out: Path, force: bool = False,
                              extra: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """Compute the comparison and write ``out`` (.xlsx) and the folder of CSVs beside it; ``extra``
    tables (e.g. a sweep's index) come first."""
    from .io.writers import write_comparison

    tables = {**(extra or {}), **comparison_tables(folders)}
    readme = [("compared", ", ".join(f"{f.label} ({f.path})" for f in folders)),
              ("reference", f"{folders[0].label}: the first folder given; differences are against it")]
    readme += [(f"{name} sheet", SHEET_HELP.get(name, "")) for name in tables]
    readme += [("units", "Units are in the metric, quantity or column names: _mw, _gwh, _musd (USD million), "
                         "_usd_per_mwh; utilisation is a fraction.")]
    keys = {name: sum(1 for c in frame.columns if c not in {f.label for f in folders} and " - " not in c)
            for name, frame in tables.items()}
    keys["build_changes"] = 3
    keys.update({name: 1 for name in (extra or {})})
    write_comparison(tables, Path(out), readme, keys, force=force, protected=[f.path for f in folders])
    return tables
