"""Reading scenario files: YAML (safely, with line numbers) and CSV/XLSX tables.

Output of this module is *raw* data (plain dicts and lists) plus a location index that maps a
path such as ``("projects", "monsoon_wind", "capex_usd_per_kw")`` to where it was written
(file and line, or table row and column). Entity lists are keyed by id in those paths, so a
location survives the merging of variants.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import Problems, did_you_mean

Locations = dict[tuple, tuple[str, str]]  # path -> (file, "line 12" | "row 3, column x")

#: lists of entities merged by key, and the field(s) forming the key
ENTITY_LISTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("nodes",): ("id",),
    ("projects",): ("id",),
    ("links",): ("id",),
    ("time", "slices"): ("id",),
    ("targets",): ("scope", "year"),
}

#: the entity lists that may come from a table file, with their required columns
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("id", "technology", "node", "capacity_mw", "status"),
    "links": ("id", "from", "to", "capacity_mw", "status"),
    "targets": ("scope", "year"),
    "nodes": ("id", "country"),
}

LIST_COLUMNS = {"requires", "excludes"}


def entity_key(list_path: tuple[str, ...], item: Any) -> str | None:
    """The merge key of an entity in one of ENTITY_LISTS ('scope@year' for targets)."""
    if not isinstance(item, dict):
        return None
    fields = ENTITY_LISTS[list_path]
    values = [item.get(f) for f in fields]
    if any(v is None for v in values):
        return None
    return "@".join(str(v) for v in values)


def _mark(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


def read_yaml(path: Path, problems: Problems) -> tuple[dict | None, Locations]:
    """Read one YAML file safely (no tags constructed), recording each key's line.

    Syntax errors, an empty file, a top level that is not a mapping and the same key twice in
    one mapping are added to ``problems``.
    """
    locs: Locations = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(path, "", "file not found")
        return None, locs
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path, "", f"cannot be read: {exc}")
        return None, locs
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.add(path, "", f"YAML syntax error: {exc.problem or exc}", line)
        return None, locs
    except yaml.YAMLError as exc:
        problems.add(path, "", f"YAML error: {exc}")
        return None, locs
    finally:
        loader.dispose()
    if root is None:
        problems.add(path, "", "the file is empty; a scenario needs at least a name")
        return None, locs
    if not isinstance(root, yaml.MappingNode):
        problems.add(path, "", "the top level must be a mapping of fields (name: ..., horizon: ...)", _mark(root))
        return None, locs

    constructor = yaml.SafeLoader("")

    def build(node: yaml.Node, p: tuple) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                try:
                    key = constructor.construct_object(key_node, deep=True)
                except yaml.YAMLError as exc:
                    problems.add(path, _dotted(p), f"bad key: {exc}", _mark(key_node))
                    continue
                if not isinstance(key, (str, int, float, bool)):
                    problems.add(path, _dotted(p), "a key must be plain text", _mark(key_node))
                    continue
                if key in out:
                    problems.add(path, _dotted(p + (key,)),
                                 f"the key '{key}' is given twice in the same mapping", _mark(key_node))
                locs[p + (key,)] = (str(path), _mark(key_node))
                out[key] = build(value_node, p + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, child in enumerate(node.value):
                items.append(build(child, p + (i,)))
            if p in ENTITY_LISTS:  # re-key the locations of entities by their id
                for i, (child, item) in enumerate(zip(node.value, items)):
                    key = entity_key(p, item)
                    _rekey(locs, p + (i,), p + (key,) if key is not None else p + (i,))
                    locs[p + ((key if key is not None else i),)] = (str(path), _mark(child))
            return items
        try:
            return constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problems.add(path, _dotted(p), f"cannot read value: {exc}", _mark(node))
            return None

    data = build(root, ())
    constructor.dispose()
    return data, locs


def _rekey(locs: Locations, old: tuple, new: tuple) -> None:
    if old == new:
        return
    n = len(old)
    for k in [k for k in locs if k[:n] == old]:
        locs[new + k[n:]] = locs.pop(k)


def _dotted(p: tuple) -> str:
    out = ""
    for part in p:
        if isinstance(part, int) or (out and _is_entity_position(p, part)):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _is_entity_position(p: tuple, part) -> bool:
    i = p.index(part)
    return tuple(p[:i]) in ENTITY_LISTS


def dotted(p: tuple) -> str:
    """``('projects','x','capex')`` -> ``projects[x].capex``."""
    return _dotted(p)


def _cell(value: Any) -> Any:
    """Convert a table cell (read as text) to None, bool, int, float or text."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    if text == "":
        return None
    low = text.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)  # 'nan' and 'inf' become floats that the schema then rejects
    except ValueError:
        return text


def read_table(spec: Any, list_name: str, base_dir: Path, yaml_file: Path, yaml_line: str,
               allowed_columns: set[str], problems: Problems) -> tuple[list[dict], Locations]:
    """Read ``{file: projects.csv}`` or ``{file: book.xlsx, sheet: projects}`` into a list of dicts.

    Columns named ``availability_<season or slice>`` form the availability mapping; ``requires``
    and ``excludes`` cells hold ids separated by ';' or ','. Empty cells are omitted.
    """
    locs: Locations = {}
    where = list_name
    if not isinstance(spec, dict) or "file" not in spec or set(spec) - {"file", "sheet"}:
        problems.add(yaml_file, where, "expected a list, or {file: table.csv} (or {file: book.xlsx, sheet: NAME})",
                     yaml_line)
        return [], locs
    table_path = (base_dir / str(spec["file"])).resolve()
    shown = str(spec["file"])
    if not table_path.exists():
        problems.add(yaml_file, f"{where}.file", f"table file '{shown}' not found (looked in {base_dir})",
                     yaml_line)
        return [], locs
    try:
        if table_path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            frame = pd.read_excel(table_path, sheet_name=spec.get("sheet", 0), dtype=str, keep_default_na=False)
        elif table_path.suffix.lower() == ".csv":
            frame = pd.read_csv(table_path, dtype=str, keep_default_na=False, skipinitialspace=True,
                                comment=None)
        else:
            problems.add(yaml_file, f"{where}.file", f"'{shown}' is neither .csv nor .xlsx", yaml_line)
            return [], locs
    except Exception as exc:  # pandas raises many kinds; all mean the table cannot be read
        problems.add(table_path, "", f"cannot read the table: {exc}")
        return [], locs
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in TABLE_COLUMNS[list_name] if c not in frame.columns]
    if missing:
        problems.add(table_path, list_name, f"missing column(s) {', '.join(missing)}; "
                     f"the table has {', '.join(frame.columns) or 'no columns'}", "row 1")
    bad_cols = [c for c in frame.columns
                if c not in allowed_columns and not c.startswith("availability_")]
    for c in bad_cols:
        problems.add(table_path, list_name, f"unknown column '{c}'{did_you_mean(c, allowed_columns)}", "row 1")
    if missing or bad_cols:
        return [], locs
    rows: list[dict] = []
    for i, record in enumerate(frame.to_dict("records")):
        row_no = i + 2  # spreadsheet row, the header being row 1
        item: dict = {}
        for col, raw in record.items():
            value = _cell(raw)
            if value is None:
                continue
            if col.startswith("availability_"):
                item.setdefault("availability", {})[col[len("availability_"):]] = value
            elif col in LIST_COLUMNS:
                item[col] = [s.strip() for s in str(value).replace(",", ";").split(";") if s.strip()]
            else:
                item[col] = value
        if not item:
            continue
        key = entity_key((list_name,), item)
        ident = key if key is not None else f"row{row_no}"
        locs[(list_name, ident)] = (str(table_path), f"row {row_no}")
        for col in record:
            field = "availability" if col.startswith("availability_") else col
            sub = (col[len("availability_"):],) if col.startswith("availability_") else ()
            locs[(list_name, ident, field) + sub] = (str(table_path), f"row {row_no}, column {col}")
        rows.append(item)
    return rows, locs
