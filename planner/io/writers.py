"""Writers: CSV tables, one XLSX workbook, summary.json and the resolved scenario, written atomically.

``write_results`` writes everything into a hidden temporary folder beside the target and renames
it into place at the end, so a run that fails leaves no half-written folder; an existing folder is
replaced only with ``force``, only if planner wrote it, and is kept until the new one is complete
(the rules are in safety.py).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .safety import (OutputExistsError, OutputRefused, check_companion, check_overlap, check_target, discard, locked,
                     replace_folder, temporary_folder, write_manifest)

__all__ = ["OutputExistsError", "OutputRefused", "write_results", "write_comparison", "write_file_and_folder",
           "write_csv", "write_workbook", "neutralise"]

XLSX_MAX_ROWS = 1_048_575
#: a per-slice table longer than this is summarised per year in the workbook (the CSV is whole)
WORKBOOK_FULL_ROWS = 100_000

TABLE_HELP = {
    "builds": "What is built and when: existing and committed assets, and each build of a candidate "
              "(capacity_mw and capex_musd are the part built in build_year).",
    "capacity": "Online capacity (MW) of every asset in every modelled year.",
    "dispatch": "Generation per project, year and slice (MW), its energy (GWh per year) and the energy "
                "available but not used (curtailed_gwh; for a pondage or reservoir plant, or one with a yearly "
                "energy limit, only the water it had and did not use).",
    "flows": "Flow per link, year, slice and direction (MW) and its share of the online capacity.",
    "imports": "Imports per scope (each target scope and each importing node) and year, against the "
               "targets. Marginal costs are the cost of one MORE MWh (or kW-year) of the target, in USD of that "
               "year: short-run (marginal_cost_usd_per_mwh, marginal_capacity_cost_usd_per_kw_year: every build "
               "fixed as planned) and long-run (long_run_...: the up_to zones may grow); a value equal to a "
               "shortfall penalty means the target is short at the margin. peak_import_mw is the "
               "largest slice, import_limit_mw the scope's limit where one is given; contracted_mw is the MW of "
               "export plant under contract to the scope (capacity x capacity credit), against target_contracted_mw.",
    "links": "The border gates: energy delivered and lost per link and year, peak flow, utilisation "
             "(energy sent / (online MW x hours of the year)).",
    "prices": "Short-run node prices: the dual of the node balance with every build fixed as planned, USD/MWh "
              "in money of that year; blank where nothing is online at the node that year.",
    "storage": "Storage (batteries, pumped hydro) per project, year and slice: charge and discharge (MW) "
               "and the state of charge at the end of the slice (MWh); each period's slices form a cycle.",
    "offtake": "Where each plant's energy went (SPEC §3.6), GWh per year: to each buying country (its "
               "imports) and to each country's own demand served, plus what the links lost on the way (losses) "
               "and what stores charged (storage); by proportional sharing: the power leaving a node has the mix "
               "of plants of the power entering it. A plant's rows sum to its generation (up to rounding: shares below 1e-12 and rows below 1e-9 GWh are left out).",
    "demand": "Load served at a node before export (SPEC §3.6), per node, year and slice: demand, served and "
              "unserved MW, unserved GWh a year, and the value of lost load that prices it.",
    "aggregation": "Hourly profiles aggregated to representative periods: per profile, the RMSE and MAE "
                   "against the hourly data, the RMSE of the duration curves, and the mean before and after.",
    "costs": "Annual cost per year and component (undiscounted_musd, one calendar year) and its "
             "net present cost share (discounted_musd = W_y x annual, counting every calendar year the modelled "
             "year stands for: represents_years), in two views of the same plan: system (resource cost: capex "
             "annuities, fixed O&M, variable cost) and importer (PPA payments, its share of the links); both "
             "carry CO2, shortfall penalties and the value of imports (a credit). The rows with in_objective "
             "true (the view options.perspective minimised) sum to the objective.",
    "payments": "Per project and year: energy taken, the importer's payment (tariff x energy paid for, "
                "take-or-pay included: paid_gwh), the plan's resource cost of the plant (annuity at the "
                "discount rate, fixed O&M, variable cost) and the rent (payment - resource cost), MUSD of the year.",
    "tariffs": "Per project, USD/MWh at the border: the tariff offered (blank: none), its ceiling, the "
               "developer's break-even tariff (capex at options.developer_wacc over ppa_years, O&M, its "
               "dedicated connection, on expected_energy_gwh), the headroom (ceiling - break-even), the tariff "
               "tested against the ceiling and paid by the importer (the offer, else the break-even), the "
               "break-even at the energy the plan dispatches, and the flip tariff: the tariff at which the "
               "importer's plan stops (or starts) buying from the candidate, to 0.1 (planner solve --flip-tariffs).",
    "scenarios": "One plan for several futures (uncertainty): per future its probability, hydro_energy_factor "
                 "(its hydro energy over the stated average year's), the plan's net present cost in it, the "
                 "shortfalls and hydro energy (summed over scopes and modelled years), its own optimum (the best "
                 "plan had it been known), the regret (cost - own optimum) "
                 "and the average-year plan's cost in it. The other tables carry a scenario column: the plan's "
                 "operation in each future.",
    "hedges": "Candidates built in some plan: in the one plan (in_stochastic), in every / some future's own "
              "plan; class no_regret (in the plan and every future's own plan), hedge (in the plan, not in every "
              "future's own plan), bet (in some future's own plan only), never.",
}
FUTURE_SHEET_HELP = ("Future {f}: per modelled year, the plan's cost in it (discounted, in the objective), "
                     "the energy the importing country receives, the shortfalls (summed over scopes), the hydro "
                     "plants' energy and all generation (GWh).")


#: text cells a spreadsheet could run as a formula; CSV cells starting so get a leading quote
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(value) -> bool:
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return False
    try:  # a negative number written as text ('-5') is a number, not a formula
        float(value)
        return False
    except ValueError:
        return True


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """For CSV: text cells and headers that a spreadsheet would run as a formula get a leading
    quote. Ids never start so (the loader refuses it), so ids stay byte for byte as written."""
    out = frame.copy()
    out.columns = ["'" + c if _looks_like_formula(c) else c for c in map(str, out.columns)]
    for col in _text_columns(out):
        if any(_looks_like_formula(v) for v in _distinct(out[col])):
            out[col] = out[col].map(lambda v: "'" + v if _looks_like_formula(v) else v)
    return out


def _distinct(column: pd.Series):
    """A text column's distinct values (ids repeat on every row of a per-slice table: each is
    tested once), or all of them where a value cannot be hashed."""
    try:
        return pd.unique(column)
    except TypeError:
        return column.tolist()


def _text_columns(frame: pd.DataFrame) -> list:
    return [col for col in frame.columns
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])]


def tidy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns without solver noise: a value within 1e-9 of its column's largest magnitude of
    zero is 0 (so 5.68e-14 next to thousands reads 0), and -0 is 0. Values are otherwise kept, so
    written tables close as the solution does (SPEC §6: to 1e-6)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            values = out[col].to_numpy(dtype=float, copy=True)
            finite = np.abs(values[np.isfinite(values)])
            if finite.size:
                values[np.abs(values) <= 1e-9 * finite.max()] = 0.0
            out[col] = values + 0.0  # -0.0 + 0.0 is 0.0
    return out


def summarise_per_slice(frame: pd.DataFrame) -> pd.DataFrame:
    """A per-slice table summed up per year, for the workbook: the slice column dropped, rows
    grouped by the other key columns; energies (_gwh) summed, powers (_mw) and prices averaged over
    the slices (with the largest MW as ``<column>_max``), other numbers averaged."""
    keys = [c for c in frame.columns if c != "slice" and not pd.api.types.is_float_dtype(frame[c])]
    values = [c for c in frame.columns if c not in keys and c != "slice"]
    agg: dict[str, tuple[str, str]] = {}
    for c in values:
        if c.endswith("_gwh"):
            agg[c] = (c, "sum")
        else:
            agg[f"mean_{c}" if not c.endswith("_mw") else c] = (c, "mean")
            if c.endswith("_mw"):
                agg[f"{c}_max"] = (c, "max")
    return frame.groupby(keys, sort=False, dropna=False).agg(**agg).reset_index()


def number_format(column: str) -> str | None:
    """The workbook's number format for a column, from the unit in its name."""
    name = column.lower()
    if name in ("year", "build_year") or name.endswith("_years") and "ppa" in name:
        return "0"
    if "usd_per" in name or "_musd" in name:
        return "#,##0.00"
    if name.endswith(("_mw", "_gwh", "_mwh")):
        return "#,##0.0"
    if name in ("utilisation",) or name.endswith(("_share", "_fraction")):
        return "0.0%"
    return None


def json_safe(value):
    """A value for JSON: NaN and infinities as null, inside dicts and lists too."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _has_break(value) -> bool:
    return isinstance(value, str) and any(c in value for c in "\r\n\t")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV: formula-like text neutralised; a cell holding a line break, a carriage
    return or a tab is quoted (then every text cell is, which any CSV reader takes the same)."""
    shown = neutralise(tidy_numbers(frame))
    special = any(_has_break(c) for c in shown.columns) or any(
        _has_break(v) for col in _text_columns(shown) for v in _distinct(shown[col]))
    shown.to_csv(path, index=False, float_format="%.10g", lineterminator="\n",
                 quoting=csv.QUOTE_NONNUMERIC if special else csv.QUOTE_MINIMAL)


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, readme: list[tuple[str, str]],
                   key_columns: dict[str, int] | None = None) -> None:
    """One sheet per table and a README sheet first; header frozen, widths from the content.

    Written with XlsxWriter, text always as text: a cell reading '=SUM(1,2)' is that text, never a
    formula, and ids are written as they are. With ``key_columns`` (sheet -> how many leading key
    columns) those columns are frozen too and numbers are formatted for reading (thousands
    separators, years plain).
    """
    import xlsxwriter  # only when a workbook is written

    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
               "nan_inf_to_errors": True}
    book = xlsxwriter.Workbook(str(path), options)
    try:
        header = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"})
        plain, number = book.add_format({"num_format": "0"}), book.add_format({"num_format": "#,##0.0##"})
        formats: dict[str, object] = {}

        def unit_format(col: str):
            code = number_format(str(col))
            if code is None:
                return None
            if code not in formats:
                formats[code] = book.add_format({"num_format": code})
            return formats[code]

        sheets = {"README": pd.DataFrame(readme, columns=["item", "description"]), **tables}
        for name, frame in sheets.items():
            frame = tidy_numbers(frame)
            shown = frame.head(XLSX_MAX_ROWS) if len(frame) > XLSX_MAX_ROWS else frame
            ws = book.add_worksheet(name[:31])
            ws.write_row(0, 0, [str(c) for c in shown.columns], header)
            keys = (key_columns or {}).get(name)
            ws.freeze_panes(1, keys or 0)
            head = shown.head(200)
            for j, col in enumerate(shown.columns):
                _write_column(ws, j, shown[col])
                if pd.api.types.is_numeric_dtype(shown[col]):  # shown formatted: about 12 characters
                    width = max(len(str(col)), 12)
                else:
                    width = max([len(str(col))] + [len(str(v)) for v in head[col] if v is not None])
                    if j >= (keys or 1):  # a long text (a checksum, a note) does not widen its column past 30
                        width = min(width, 30)
                fmt = None
                if pd.api.types.is_numeric_dtype(shown[col]) and not pd.api.types.is_bool_dtype(shown[col]):
                    fmt = unit_format(col)
                    if fmt is None and shown[col].dtype.name in ("Int64", "int64"):
                        fmt = plain
                    elif fmt is None and (keys is not None or pd.api.types.is_float_dtype(shown[col])):
                        fmt = number
                ws.set_column(j, j, min(max(width + 2, 10), 80), fmt)
    except BaseException:
        try:
            book.close()
        except Exception:  # noqa: BLE001 - the first failure is the one to report
            pass
        raise
    close_workbook(book)


def close_workbook(book) -> None:
    """Save an XlsxWriter workbook; a failure to write it (a full disk, a name the file system
    refuses) raises the OSError behind XlsxWriter's FileCreateError, which every command reports as
    it reports any other failed write (exit 4, nothing replaced)."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        book.close()
    except FileCreateError as exc:
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, OSError):
            raise cause from None
        raise OSError(f"cannot write {book.filename}: {exc}") from exc


def _write_column(ws, j: int, column: pd.Series) -> None:
    """One column's cells from row 1 down, each by its type: numbers as numbers (a blank for a
    missing one), booleans as booleans, anything else as text (never a formula or a link).

    Cells are written one by one with XlsxWriter's typed writers: pandas' ``to_excel`` formats each
    cell through its own layer first, which took half the time of a workbook."""
    if pd.api.types.is_bool_dtype(column) and not column.isna().any():
        for i, v in enumerate(column.tolist(), start=1):
            ws.write_boolean(i, j, v)
    elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        for i, v in enumerate(column.to_numpy(dtype=float, na_value=np.nan).tolist(), start=1):
            if v == v:  # NaN: left blank
                ws.write_number(i, j, v)
    else:
        for i, v in enumerate(column.tolist(), start=1):
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, (bool, np.bool_)):
                ws.write_boolean(i, j, bool(v))
            elif isinstance(v, (int, float, np.integer, np.floating)):
                ws.write_number(i, j, float(v))
            else:
                ws.write_string(i, j, str(v))


def write_results(out_dir: Path, tables: dict[str, pd.DataFrame], summary: dict, resolved_yaml: str,
                  force: bool = False, workbook: bool = True, protected=(), command: str = "planner solve",
                  parquet: bool = False) -> Path:
    """Write every table, the workbook, summary.json and scenario.yaml into ``out_dir`` atomically.

    The folder is checked (safety.check_target), locked, filled in a hidden temporary folder with
    its manifest, and only then replaces an earlier planner folder of the same name.
    """
    out_dir = Path(out_dir)
    check_target(out_dir, force, protected)
    with locked(out_dir):
        check_target(out_dir, force, protected)  # a run that finished while this one waited
        tmp = temporary_folder(out_dir)
        try:
            fill_results(tmp, tables, summary, resolved_yaml, workbook, parquet)
            write_manifest(tmp, command)
            replace_folder(tmp, out_dir)
        finally:
            discard(tmp)  # a no-op once it is in place
    return out_dir


def fill_results(folder: Path, tables: dict[str, pd.DataFrame], summary: dict, resolved_yaml: str,
                 workbook: bool = True, parquet: bool = False) -> None:
    """The files of one result folder, written into ``folder`` (which exists): every table as CSV
    (and Parquet with ``parquet``), scenario.yaml, results.xlsx, where a per-slice table longer than
    WORKBOOK_FULL_ROWS is summarised per year so the workbook opens well, and summary.json last:
    when the summary has ``timings`` (run.py), their ``files`` (the seconds spent writing the other
    files) is set in it first."""
    t0 = time.perf_counter()
    for name, frame in tables.items():
        write_csv(frame, folder / f"{name}.csv")
    (folder / "scenario.yaml").write_text(resolved_yaml, encoding="utf-8")
    if parquet:
        for name, frame in tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    if workbook:
        readme = [("scenario", str(summary.get("scenario", ""))), ("status", str(summary.get("status", ""))),
                  ("objective_musd", str(summary.get("objective_musd", "")))]
        sheets = {}
        for name, frame in tables.items():
            help_text = TABLE_HELP.get(name, "")
            if len(frame) > WORKBOOK_FULL_ROWS and "slice" in frame.columns:
                sheets[name] = summarise_per_slice(frame)
                help_text += (f" SUMMARISED here per year (energies summed, MW averaged over the slices, with their "
                              f"largest as _max): the full table, {len(frame):,} rows, is {name}.csv"
                              f"{f' and {name}.parquet' if parquet else ''}.")
            else:
                sheets[name] = frame
            readme.append((f"{name} sheet", help_text))
        if "scenarios" in tables:  # several futures: a sheet per future
            for sheet, (future, frame) in future_sheets(tables, summary.get("importing_country", "VN"),
                                                         summary.get("hydro_plants")).items():
                sheets[sheet] = frame
                readme.append((f"{sheet} sheet", FUTURE_SHEET_HELP.format(f=future)))
        readme += [("units", "Units are in every column name: _mw, _gwh, _musd (USD million), _usd_per_mwh.")]
        write_workbook(sheets, folder / "results.xlsx", readme)
    if isinstance(summary.get("timings"), dict):
        summary["timings"]["files"] = round(time.perf_counter() - t0, 3)
    (folder / "summary.json").write_text(json.dumps(json_safe(summary), indent=2, sort_keys=False) + "\n")


def write_comparison(tables: dict[str, pd.DataFrame], xlsx_path: Path, readme: list[tuple[str, str]],
                     key_columns: dict[str, int], force: bool = False, protected=()) -> tuple[Path, Path]:
    """comparison.xlsx and a folder of the same name with one CSV per sheet, both atomically; an
    existing workbook or folder is replaced only with ``force``, only if planner wrote it, and
    only once the new one is ready."""
    xlsx_path = Path(xlsx_path)
    csv_dir = xlsx_path.with_suffix("")

    def fill(csvs: Path, book: Path) -> None:
        for name, frame in tables.items():
            write_csv(frame, csvs / f"{name}.csv")
        write_workbook(tables, book, readme, key_columns)

    write_file_and_folder(xlsx_path, csv_dir, fill, force=force, protected=protected, command="planner compare")
    return xlsx_path, csv_dir


def check_file_and_folder(file_path: Path, folder: Path, force: bool = False, protected=()) -> None:
    """Refuse a file target (and the folder beside it) that may not be written (safety.py): first
    one that is, lies inside or holds what the command reads (``protected``)."""
    check_overlap([Path(file_path), (Path(folder), f"the folder planner writes beside {Path(file_path).name}")],
                  protected)
    check_target(Path(file_path), force, protected, companion=Path(folder), what="file")
    if Path(folder).exists():
        check_companion(Path(folder), force)
    else:
        check_target(Path(folder), force, protected)


def write_file_and_folder(file_path: Path, folder: Path, fill, force: bool = False, protected=(),
                          command: str = "planner") -> None:
    """Write a file and a folder beside it (a workbook and its CSVs, a page and its figures):
    ``fill(new_folder, new_file)`` writes them in a temporary place, then the folder and the file
    replace any earlier ones (planner's, with ``force``), each only once complete."""
    file_path, folder = Path(file_path), Path(folder)
    check_file_and_folder(file_path, folder, force, protected)
    with locked(file_path):
        check_file_and_folder(file_path, folder, force, protected)
        tmp = temporary_folder(folder)
        try:
            new_file = tmp / f"new{file_path.suffix}"  # the suffix tells writers the format
            (tmp / "folder").mkdir()
            fill(tmp / "folder", new_file)
            write_manifest(tmp / "folder", command, beside=file_path.name)
            replace_folder(tmp / "folder", folder)
            os.replace(new_file, file_path)
        finally:
            discard(tmp)


def future_sheets(tables: dict[str, pd.DataFrame], country: str = "VN",
                  hydro_ids: list[str] | None = None) -> dict[str, tuple[str, pd.DataFrame]]:
    """A workbook sheet per future (name ``future_<id>``, at most 31 characters, made unique): per
    modelled year the plan's cost in it (discounted, the rows in the objective), the energy the
    importing country receives, the shortfalls, and the energy of the hydro plants and of every
    plant. The hydro plants are ``hydro_ids`` (summary.json's ``hydro_plants``: data.hydro_plants,
    the plants whose water a future scales, as in the scenarios table); a summary without it (an
    older run) falls back to the projects of technology hydro."""
    out: dict[str, tuple[str, pd.DataFrame]] = {}
    costs, imports, dispatch, tariffs = tables["costs"], tables["imports"], tables["dispatch"], tables["tariffs"]
    hydro = set(hydro_ids) if hydro_ids is not None else set(tariffs.loc[tariffs.technology == "hydro", "project"])
    shortfalls = [c for c in ("energy_shortfall_gwh", "contracted_shortfall_mw") if c in imports]
    for future in tables["scenarios"].scenario.astype(str):
        frame = pd.DataFrame({"cost_musd": costs[(costs.scenario == future) & costs.in_objective]
                              .groupby("year").discounted_musd.sum()})
        i = imports[imports.scenario == future]
        frame["imports_gwh"] = i[i.scope == country].groupby("year").energy_gwh.sum()
        for c in shortfalls:
            frame[c] = i.groupby("year")[c].sum()
        d = dispatch[dispatch.scenario == future]
        frame["hydro_energy_gwh"] = d[d.project.isin(hydro)].groupby("year").energy_gwh.sum()
        frame["generation_gwh"] = d.groupby("year").energy_gwh.sum()
        frame = frame.fillna(0.0).rename_axis("year").reset_index()
        name, k = f"future_{future}"[:31], 2
        while name in out:
            name = f"future_{future}"[:27] + f"_{k}"
            k += 1
        out[name] = (future, frame)
    return out
