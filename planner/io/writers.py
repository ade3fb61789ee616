"""Writers: CSV tables, one XLSX workbook, summary.json and the resolved scenario, written atomically.

``write_results`` writes everything into a hidden temporary folder beside the target and renames
it into place at the end, so a run that fails leaves no half-written folder; an existing folder is
replaced only with ``force`` (and is kept until the new one is complete).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@")
XLSX_MAX_ROWS = 1_048_575

TABLE_HELP = {
    "builds": "What is built and when: existing and committed assets, and each build of a candidate "
              "(capacity_mw and capex_musd are the part built in build_year).",
    "capacity": "Online capacity (MW) of every asset in every modelled year.",
    "dispatch": "Generation per project, year and slice (MW), its energy (GWh per year) and the energy "
                "available but not used (curtailed_gwh; for a reservoir with a yearly energy limit, only the "
                "water it had and did not use).",
    "flows": "Flow per link, year, slice and direction (MW) and its share of the online capacity.",
    "imports": "Imports per scope (each target scope and each importing node) and year, against the "
               "targets; marginal costs are the duals of the targets in USD of that year; peak_import_mw is the "
               "largest slice, import_limit_mw the scope's limit where one is given.",
    "links": "The border gates: energy delivered and lost per link and year, peak flow, utilisation "
             "(energy sent / (online MW x hours of the year)).",
    "prices": "Node prices: the dual of the node balance, USD/MWh in money of that year.",
    "costs": "Annual cost per year and component (undiscounted_musd, one calendar year) and its "
             "net present cost share (discounted_musd = W_y x annual); discounted_musd sums to the objective.",
}


class OutputExistsError(Exception):
    """The results folder exists and --force was not given."""


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (= + - @) with a quote."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
    return out


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    neutralise(frame).to_csv(path, index=False, float_format="%.10g", lineterminator="\n")


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, readme: list[tuple[str, str]],
                   key_columns: dict[str, int] | None = None) -> None:
    """One sheet per table and a README sheet first; header frozen, widths from the content.

    With ``key_columns`` (sheet -> how many leading key columns) those columns are frozen too and
    numbers are formatted for reading as they are (thousands separators, years plain).
    """
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame(readme, columns=["item", "description"]).to_excel(writer, sheet_name="README", index=False)
        for name, frame in tables.items():
            shown = neutralise(frame)
            if len(shown) > XLSX_MAX_ROWS:
                shown = shown.head(XLSX_MAX_ROWS)
            shown.to_excel(writer, sheet_name=name[:31], index=False)
        for ws in writer.book.worksheets:
            ws.freeze_panes = "A2"
            for i, column in enumerate(ws.iter_cols(min_row=1, max_row=min(ws.max_row, 200)), start=1):
                width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
                ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 10), 80)
        for name, keys in (key_columns or {}).items():
            _format_sheet(writer.book[name[:31]], tables[name], keys)


def _format_sheet(ws, frame: pd.DataFrame, keys: int) -> None:
    ws.freeze_panes = ws.cell(row=2, column=keys + 1).coordinate
    for j, col in enumerate(frame.columns, start=1):
        fmt = "0" if col in ("year", "build_year") or frame[col].dtype.name == "Int64" else "#,##0.0##"
        for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt


def write_results(out_dir: Path, tables: dict[str, pd.DataFrame], summary: dict, resolved_yaml: str,
                  force: bool = False, workbook: bool = True) -> Path:
    """Write every table, the workbook, summary.json and scenario.yaml into ``out_dir`` atomically."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise OutputExistsError(f"{out_dir} exists; use --force to replace it (or --out another folder)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        for name, frame in tables.items():
            write_csv(frame, tmp / f"{name}.csv")
        (tmp / "summary.json").write_text(json.dumps(_json_safe(summary), indent=2, sort_keys=False) + "\n")
        (tmp / "scenario.yaml").write_text(resolved_yaml, encoding="utf-8")
        if workbook:
            readme = [("scenario", str(summary.get("scenario", ""))), ("status", str(summary.get("status", ""))),
                      ("objective_musd", str(summary.get("objective_musd", "")))]
            readme += [(f"{name} sheet", TABLE_HELP.get(name, "")) for name in tables]
            readme += [("units", "Units are in every column name: _mw, _gwh, _musd (USD million), _usd_per_mwh.")]
            write_workbook(tables, tmp / "results.xlsx", readme)
        _replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _replace(tmp: Path, out_dir: Path) -> None:
    """Move tmp into place; an existing folder is kept until the new one is in place."""
    if not out_dir.exists():
        os.replace(tmp, out_dir)
        return
    backup = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    os.replace(out_dir, backup)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        os.replace(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def write_comparison(tables: dict[str, pd.DataFrame], xlsx_path: Path, readme: list[tuple[str, str]],
                     key_columns: dict[str, int], force: bool = False) -> tuple[Path, Path]:
    """comparison.xlsx and a folder of the same name with one CSV per sheet, both atomically; an
    existing workbook or folder is replaced only with ``force`` and only once the new one is ready."""
    xlsx_path = Path(xlsx_path)
    csv_dir = xlsx_path.with_suffix("")
    for target in (xlsx_path, csv_dir):
        if target.exists() and not force:
            raise OutputExistsError(f"{target} exists; use --force to replace it (or --out another file)")

    def fill(csvs: Path, book: Path) -> None:
        for name, frame in tables.items():
            write_csv(frame, csvs / f"{name}.csv")
        write_workbook(tables, book, readme, key_columns)

    write_file_and_folder(xlsx_path, csv_dir, fill)
    return xlsx_path, csv_dir


def write_file_and_folder(file_path: Path, folder: Path, fill) -> None:
    """Write a file and a folder beside it (a workbook and its CSVs, a page and its figures):
    ``fill(new_folder, new_file)`` writes them in a temporary place, then the folder and the file
    replace any earlier ones, each only once complete."""
    file_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=file_path.parent))
    try:
        new_file = tmp / f"new{file_path.suffix}"  # the suffix tells writers (openpyxl) the format
        (tmp / "folder").mkdir()
        fill(tmp / "folder", new_file)
        _replace(tmp / "folder", folder)
        os.replace(new_file, file_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
