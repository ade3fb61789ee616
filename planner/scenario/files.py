"""Reading scenario files: YAML (safely, with line numbers) and CSV/XLSX tables.

Output of this module is *raw* data (plain dicts and lists) plus a location index that maps a
path such as ``("projects", "monsoon_wind", "capex_usd_per_kw")`` to where it was written
(file and line, or table row and column). Entity lists are keyed by id in those paths, so a
location survives the merging of variants.

Every file is read defensively (issue "Safe by default"): only regular files, at most
``MAX_FILE_BYTES``; YAML with bounded nesting and bounded alias expansion, plain YAML 1.2 scalars
(``true``/``false`` only as booleans, no sexagesimal ``8:20``, no octal ``010``, no dates); XLSX
formula cells use their cached value, and a formula without one is refused. Whatever goes wrong
becomes a located problem, never an exception.
"""

from __future__ import annotations

import csv
import errno
import io
import math
import os
import re
import stat
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import Problems, did_you_mean

Locations = dict[tuple, tuple[str, str]]  # path -> (file, "line 12" | "row 3, column x")

#: the largest scenario or table file read (bytes)
MAX_FILE_BYTES = 200 * 1024 * 1024
#: the deepest nesting of YAML mappings and lists
MAX_YAML_DEPTH = 64
#: how many values YAML aliases may add on top of those written in the file
MAX_ALIAS_EXPANSION = 100_000
#: the largest table (rows x columns) read from an XLSX sheet
MAX_SHEET_CELLS = 20_000_000
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
    "import_value": ("value_usd_per_mwh",),
    "hydrology": ("scenario", "hydro_energy_factor"),  # uncertainty.hydrology (SPEC §3.4)
}

LIST_COLUMNS = {"requires", "excludes"}


def entity_key(list_path: tuple[str, ...], item: Any) -> str | None:
    """The merge key of an entity in one of ENTITY_LISTS ('scope@year' for targets)."""
    if not isinstance(item, dict):
        return None
    fields = ENTITY_LISTS.get(list_path)
    if fields is None:  # a table that is not merged by id (import_value)
        return None
    values = [item.get(f) for f in fields]
    if any(v is None for v in values):
        return None
    if list_path == ("targets",) and item.get("scenario") is not None:  # a target that holds in one future
        values.append(item["scenario"])
    return "@".join(str(v) for v in values)


#: table columns that hold text (ids, references, names): never read as numbers or booleans
TEXT_COLUMNS = {"id", "name", "technology", "node", "status", "sizing", "from", "to", "scope", "country",
                "source", "description", "season", "slice", "contract", "region", "scenario", "basin", "project"}


# ---------------------------------------------------------------------------------------------
# Files: regular files only, bounded in size, every OS error a located problem


def shown(path: Any) -> str:
    """A path as text safe to print: control characters (a NUL, a newline) are escaped."""
    text = os.fsdecode(path) if isinstance(path, (bytes, os.PathLike)) else str(path)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _os_reason(exc: OSError) -> str:
    reasons = {
        "ENOENT": "not found", "ENAMETOOLONG": "the file name is too long", "ELOOP": "a loop of symbolic links",
        "EACCES": "permission denied", "EPERM": "permission denied", "ENOTDIR": "a part of the path is a file, not a folder",
        "EISDIR": "a folder, not a file",
    }
    name = errno.errorcode.get(exc.errno or 0, "")
    return reasons.get(name, exc.strerror or str(exc))


def real_path(path: Path) -> Path:
    """The absolute path with symbolic links followed, never raising (a loop stays as written)."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError, RuntimeError):
        return Path(os.path.abspath(path))


def read_bytes(path: Path, problems: Problems, report_file: Any = None, where: str = "", line: str = "",
               what: str = "file", written: str | None = None) -> bytes | None:
    """The bytes of a regular file of at most MAX_FILE_BYTES, or None with a problem added.

    The problem is reported against ``report_file`` (the YAML that names the file) when given,
    else against the file itself. FIFOs, devices, folders and sockets are refused before they are
    opened, so nothing can hang or stream without end.
    """
    file = report_file if report_file is not None else shown(path)
    label = f"{what} '{shown(written if written is not None else path)}'" if report_file is not None else what
    try:
        st = os.stat(path)
    except ValueError:
        problems.add(file, where, f"{label}: the path contains a NUL character", line)
        return None
    except FileNotFoundError:
        problems.add(file, where, f"{label} not found (looked for {shown(path)})", line)
        return None
    except OSError as exc:
        problems.add(file, where, f"{label}: {_os_reason(exc)}", line)
        return None
    if stat.S_ISDIR(st.st_mode):
        problems.add(file, where, f"{label} is a folder, not a file", line)
        return None
    if not stat.S_ISREG(st.st_mode):
        problems.add(file, where, f"{label} is not a regular file (a FIFO, device or socket); planner reads "
                                  "only ordinary files", line)
        return None
    if st.st_size > MAX_FILE_BYTES:
        problems.add(file, where, f"{label} is {st.st_size / 1e6:,.0f} MB; planner reads files of at most "
                                  f"{MAX_FILE_BYTES / 1e6:,.0f} MB", line)
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the stat
                problems.add(file, where, f"{label} is not a regular file", line)
                return None
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.add(file, where, f"{label} cannot be read: {_os_reason(exc)}", line)
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.add(file, where, f"{label} is larger than {MAX_FILE_BYTES / 1e6:,.0f} MB", line)
        return None
    return data


def _decode(data: bytes, path: Path, problems: Problems, unit: str = "line") -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data[:exc.start].count(b"\n") + (2 if unit == "row" else 1) - (1 if unit == "row" else 0)
        problems.add(shown(path), "", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at {unit} {at}); "
                                      "save the file as UTF-8", f"{unit} {at}")
        return None


# ---------------------------------------------------------------------------------------------
# YAML: YAML 1.2 core scalars, bounded nesting and alias expansion

_BOOL, _INT, _FLOAT = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_TIMESTAMP, _MERGE = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"


try:  # libyaml's scanner and parser, in C; PyYAML's own where libyaml is missing
    from yaml._yaml import CParser as _FastParser
except ImportError:  # pragma: no cover - PyPI's wheels ship libyaml
    _FastParser = None


class _Loader(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """A YAML loader whose Python composer bounds nesting, on libyaml's parser when available,
    resolving plain scalars as YAML 1.2 does.

    ``true``/``false`` are the only booleans (``no`` stays text), integers are decimal or ``0x``
    hexadecimal (``010`` is ten, ``8:20`` stays text), floats need a point or an exponent, and
    dates stay text. ``node_count`` counts the values written in the file.
    """

    def __init__(self, stream: str):
        if _FastParser is not None:
            self._parser = _FastParser(stream)
        else:
            self._parser = yaml.SafeLoader(stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.check_event = self._parser.check_event  # the composer reads the parser's events
        self.peek_event = self._parser.peek_event
        self.get_event = self._parser.get_event
        self.dispose = self._parser.dispose
        self.depth = 0
        self.node_count = 0

    def compose_node(self, parent, index):
        self.depth += 1
        self.node_count += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"lists and mappings nested deeper than "
                                                              f"{MAX_YAML_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?[0-9][0-9_]*\.(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


class _TooLarge(Exception):
    """Aliases expand the document beyond MAX_ALIAS_EXPANSION values."""


def _mark(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


class _Builder:
    """Turn composed YAML nodes into plain data, recording each key's line.

    Aliases are expanded (a value written once and used in many places), but at most
    MAX_ALIAS_EXPANSION extra values in all, and an alias inside the value it names is refused.
    Merge keys (``<<: *defaults``) work as in YAML 1.1: keys written in the mapping win.
    """

    def __init__(self, file: str, problems: Problems, written: int):
        self.file = file
        self.problems = problems
        self.budget = written + MAX_ALIAS_EXPANSION
        self.visits = 0
        self.active: set[int] = set()
        self.constructor = yaml.SafeLoader("")

    def add(self, p: tuple, message: str, node: yaml.Node) -> None:
        self.problems.add(self.file, _dotted(p), message, _mark(node))

    def build(self, node: yaml.Node, p: tuple, locs: Locations) -> Any:
        self.visits += 1
        if self.visits > self.budget:
            raise _TooLarge
        if isinstance(node, yaml.ScalarNode):
            try:
                return nfc(self.constructor.construct_object(node, deep=True))
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                self.add(p, f"cannot read the value: {getattr(exc, 'problem', None) or exc}", node)
                return None
        if id(node) in self.active:
            self.add(p, "an alias refers to the list or mapping that contains it", node)
            return None
        if node.tag not in _PLAIN_COLLECTION_TAGS:  # e.g. !!python/tuple, !!set, !!omap: not a plain list or mapping
            self.add(p, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not read here: write a plain "
                        "list or mapping", node)
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, p, locs)
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, p, locs)
            self.add(p, "unexpected YAML node", node)
            return None
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, p: tuple, locs: Locations) -> dict:
        out: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    value = self.build(source, p, locs)
                    if isinstance(value, dict):
                        merged.update({k: v for k, v in value.items() if k not in merged})
                    else:
                        self.add(p, "'<<' merges a mapping (or a list of mappings) into this one", source)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.add(p, "a key must be plain text", key_node)
                continue
            try:
                key = nfc(self.constructor.construct_object(key_node, deep=True))
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                self.add(p, f"bad key: {getattr(exc, 'problem', None) or exc}", key_node)
                continue
            if not isinstance(key, (str, int, float, bool)) or key is None:
                self.add(p, "a key must be plain text", key_node)
                continue
            if key in out:
                self.add(p + (key,), f"the key '{key}' is given twice in the same mapping", key_node)
            locs[p + (key,)] = (self.file, _mark(key_node))
            out[key] = self.build(value_node, p + (key,), locs)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _sequence(self, node: yaml.SequenceNode, p: tuple, locs: Locations) -> list:
        if p not in ENTITY_LISTS:
            return [self.build(child, p + (i,), locs) for i, child in enumerate(node.value)]
        items = []
        n = len(p)
        for i, child in enumerate(node.value):  # entity locations keyed by id, not position
            child_locs: Locations = {}
            item = self.build(child, p + (i,), child_locs)
            key = entity_key(p, item)
            ident = key if key is not None else i
            for k, v in child_locs.items():
                locs[p + (ident,) + k[n + 1:]] = v
            locs[p + (ident,)] = (self.file, _mark(child))
            items.append(item)
        return items


_PLAIN_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def parse_yaml(text: str, file: str, problems: Problems) -> tuple[bool, Any, Locations]:
    """Parse YAML text: (parsed, value, locations); syntax errors etc. are added to ``problems``."""
    locs: Locations = {}
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        _reader_problem(exc, text, file, problems)
        return False, None, locs
    try:
        root = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        _reader_problem(exc, text, file, problems)
        return False, None, locs
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.add(file, "", f"YAML syntax error: {exc.problem or exc}", line)
        return False, None, locs
    except yaml.YAMLError as exc:
        problems.add(file, "", f"YAML error: {exc}")
        return False, None, locs
    except RecursionError:
        problems.add(file, "", f"lists and mappings nested too deeply (at most {MAX_YAML_DEPTH} levels)")
        return False, None, locs
    finally:
        loader.dispose()
    if root is None:
        return True, None, locs
    builder = _Builder(file, problems, loader.node_count)
    try:
        value = builder.build(root, (), locs)
    except _TooLarge:
        problems.add(file, "", f"YAML aliases (*name) expand to more than {MAX_ALIAS_EXPANSION:,} values beyond "
                               "those written; write the values out, or use fewer nested aliases")
        return False, None, locs
    except RecursionError:
        problems.add(file, "", "aliases nest too deeply")
        return False, None, locs
    return True, value, locs


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str, problems: Problems) -> None:
    line = text[:max(exc.position, 0)].count("\n") + 1
    char = exc.character
    code = f"#x{ord(char):04x}" if isinstance(char, str) else f"#x{char:02x}"
    problems.add(file, "", f"the file holds a control character ({code}) that YAML does not allow; "
                           "remove it", f"line {line}")


def read_yaml(path: Path, problems: Problems, report_file: Any = None, where: str = "",
              line: str = "", written: str | None = None) -> tuple[dict | None, Locations]:
    """Read one YAML file safely (no tags constructed), recording each key's line.

    Syntax errors, an empty file, a top level that is not a mapping and the same key twice in
    one mapping are added to ``problems``; a file that cannot be opened is reported against
    ``report_file`` (the child scenario naming it in ``extends``) when given.
    """
    data = read_bytes(path, problems, report_file, where, line,
                      what="parent scenario" if report_file is not None else "scenario file", written=written)
    if data is None:
        return None, {}
    text = _decode(data, path, problems)
    if text is None:
        return None, {}
    file = shown(path)
    ok, value, locs = parse_yaml(text, file, problems)
    if not ok:
        return None, locs
    if value is None:
        problems.add(file, "", "the file is empty; a scenario needs at least a name")
        return None, locs
    if not isinstance(value, dict):
        problems.add(file, "", "the top level must be a mapping of fields (name: ..., horizon: ...)", "line 1")
        return None, locs
    return value, locs


def _dotted(p: tuple) -> str:
    out = ""
    for i, part in enumerate(p):
        if isinstance(part, int) or (out and _is_entity_list(p[:i])):
            out += f"[{shown(part)}]"
        else:
            out += ("." if out else "") + shown(part)
    return out


def _is_entity_list(prefix: tuple) -> bool:
    try:
        return prefix in ENTITY_LISTS
    except TypeError:  # a part that is a list or mapping
        return False


def dotted(p: tuple) -> str:
    """``('projects','x','capex')`` -> ``projects[x].capex``."""
    return _dotted(p)


# ---------------------------------------------------------------------------------------------
# Tables: CSV (UTF-8 text) and XLSX (cached values of formulas), read as text


def _control_char(text: str) -> str | None:
    for c in text:
        if ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127:
            return f"#x{ord(c):02x}"
    return None


def read_frame(path: Path, sheet: Any, problems: Problems, report_file: Any = None, where: str = "",
               line: str = "", what: str = "table file", written: str | None = None) -> pd.DataFrame | None:
    """A CSV or XLSX table as a frame of text cells ('' where empty), or None with problems added.

    XLSX formula cells give their saved value; a formula without one is refused (naming sheet,
    row and column), as is a cell holding a control character.
    """
    suffix = path.suffix.lower()
    if suffix == ".xls":
        problems.add(report_file or shown(path), where, f"'{shown(path.name)}' is an Excel 97-2003 workbook; "
                     "save it as .xlsx (or .csv)", line)
        return None
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        problems.add(report_file or shown(path), where, f"'{shown(path.name)}' is neither .csv nor .xlsx", line)
        return None
    data = read_bytes(path, problems, report_file, where, line, what, written)
    if data is None:
        return None
    file = shown(path)
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix == ".csv":
        if is_zip:
            problems.add(file, "", "this looks like an Excel workbook, not CSV text: name it .xlsx")
            return None
        frame = _read_csv(data, path, problems)
    else:
        if not is_zip:
            hint = " (it looks like text: a CSV file named .xlsx? name it .csv)" if b"\x00" not in data[:4096] else ""
            problems.add(file, "", f"not an Excel .xlsx workbook{hint}")
            return None
        frame = _read_xlsx(data, path, sheet, problems)
    if frame is None:
        return None
    frame.columns = [nfc(str(c).strip()) for c in frame.columns]
    for col in frame.columns:
        bad = _control_char(col)
        if bad:
            problems.add(file, "", f"a column name holds a control character ({bad})", "row 1")
            return None
    for j, col in enumerate(frame.columns):
        for i, value in enumerate(frame.iloc[:, j]):
            bad = _control_char(value)
            if bad:
                problems.add(file, "", f"the cell holds a control character ({bad}); remove it",
                             f"row {i + 2}, column {shown(col)}")
                return None
    return frame


def _read_csv(data: bytes, path: Path, problems: Problems) -> pd.DataFrame | None:
    if b"\x00" in data:
        row = data[:data.index(b"\x00")].count(b"\n") + 1
        problems.add(shown(path), "", "the file holds a NUL byte: is it really CSV text?", f"row {row}")
        return None
    text = _decode(data, path, problems, unit="row")
    if text is None:
        return None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        problems.add(shown(path), "", "the table is empty; it needs a header row")
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        problems.add(shown(path), "", f"cannot read the table: {str(exc).strip()}")
    return None


def _read_xlsx(data: bytes, path: Path, sheet: Any, problems: Problems) -> pd.DataFrame | None:
    from openpyxl import load_workbook

    file = shown(path)
    try:
        with_formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        with_values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        problems.add(file, "", f"not a readable .xlsx workbook ({type(exc).__name__}: {str(exc)[:200]})")
        return None
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook; all mean the same
        problems.add(file, "", f"not a readable .xlsx workbook ({type(exc).__name__}: {str(exc)[:200]})")
        return None
    names = with_formulas.sheetnames
    if sheet is None or sheet == 0:
        name = names[0] if names else None
    elif isinstance(sheet, str) and sheet in names:
        name = sheet
    else:
        problems.add(file, "", f"no sheet '{shown(sheet)}'{did_you_mean(str(sheet), names)}; the workbook has "
                               f"{', '.join(shown(n) for n in names) or 'no sheets'}")
        return None
    if name is None:
        problems.add(file, "", "the workbook has no sheets")
        return None
    rows: list[list[str]] = []
    cells = 0
    try:
        formula_rows = with_formulas[name].iter_rows()
        value_rows = with_values[name].iter_rows(values_only=True)
        for r, (frow, vrow) in enumerate(zip(formula_rows, value_rows), start=1):
            cells += len(frow)
            if cells > MAX_SHEET_CELLS:
                problems.add(file, "", f"sheet '{shown(name)}' has more than {MAX_SHEET_CELLS:,} cells")
                return None
            out = []
            for c, (cell, value) in enumerate(zip(frow, vrow), start=1):
                if getattr(cell, "data_type", None) == "f":
                    if value is None:
                        from openpyxl.utils import get_column_letter
                        problems.add(file, "", f"sheet '{shown(name)}', cell {get_column_letter(c)}{r}: a formula "
                                               f"({shown(str(cell.value))[:60]}) with no saved value; open and "
                                               "save the workbook in Excel, or type the value",
                                     f"row {r}, column {get_column_letter(c)}")
                        out.append("")
                        continue
                out.append(_xlsx_text(value))
            rows.append(out)
    except Exception as exc:  # a damaged sheet part
        problems.add(file, "", f"sheet '{shown(name)}' cannot be read ({type(exc).__name__}: {str(exc)[:200]})")
        return None
    finally:
        with_formulas.close()
        with_values.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        problems.add(file, "", f"sheet '{shown(name)}' is empty; it needs a header row")
        return None
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header, body = rows[0], rows[1:]
    keep = [j for j in range(width) if header[j].strip() or any(row[j] for row in body)]
    for j in keep:
        if not header[j].strip():
            from openpyxl.utils import get_column_letter
            problems.add(file, "", f"column {get_column_letter(j + 1)} has values but no header", "row 1")
            return None
    return pd.DataFrame([[row[j] for j in keep] for row in body], columns=[header[j] for j in keep], dtype=str)


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def nfc(value: Any) -> Any:
    """Text in Unicode's composed form (NFC): 'Nậm_2' typed with a combining accent (NFD) and with
    the composed letter are one id, as they look; other values unchanged."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def cell_value(value: Any, column: str = "") -> Any:
    """Convert a table cell (read as text) to None, bool, int, float or text.

    Cells of TEXT_COLUMNS stay text ('007' is an id, not 7); elsewhere ``true``/``false`` are
    booleans (refused where a number goes), numbers are numbers, the rest stays text.
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = nfc(str(value).strip())
    if text == "":
        return None
    if column in TEXT_COLUMNS:
        return text
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
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
    yaml_shown = shown(yaml_file)
    if (not isinstance(spec, dict) or "file" not in spec or set(spec) - {"file", "sheet"}
            or not isinstance(spec["file"], str) or not isinstance(spec.get("sheet", 0), (str, int))):
        problems.add(yaml_shown, where, "expected a list, or {file: table.csv} (or {file: book.xlsx, sheet: NAME})",
                     yaml_line)
        return [], locs
    table_path = real_path(base_dir / spec["file"]) if "\x00" not in spec["file"] else base_dir / spec["file"]
    frame = read_frame(table_path, spec.get("sheet", 0), problems, yaml_shown, f"{where}.file", yaml_line,
                       written=spec["file"])
    if frame is None:
        return [], locs
    file = shown(table_path)
    missing = [c for c in TABLE_COLUMNS[list_name] if c not in frame.columns]
    if missing:
        problems.add(file, list_name, f"missing column(s) {', '.join(missing)}; "
                     f"the table has {', '.join(shown(c) for c in frame.columns) or 'no columns'}", "row 1")
    bad_cols = [c for c in frame.columns
                if c not in allowed_columns and not c.startswith("availability_")]
    for c in bad_cols:
        problems.add(file, list_name, f"unknown column '{shown(c)}'{did_you_mean(c, allowed_columns)}", "row 1")
    dup_cols = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    for c in dup_cols:
        problems.add(file, list_name, f"the column '{shown(c)}' is given twice", "row 1")
    if missing or bad_cols or dup_cols:
        return [], locs
    rows: list[dict] = []
    columns = list(frame.columns)
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        row_no = i + 2  # spreadsheet row, the header being row 1
        item: dict = {}
        for col, raw in zip(columns, values):
            value = cell_value(raw, col)
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
        locs[(list_name, ident)] = (file, f"row {row_no}")
        for col in columns:
            field = "availability" if col.startswith("availability_") else col
            sub = (col[len("availability_"):],) if col.startswith("availability_") else ()
            locs[(list_name, ident, field) + sub] = (file, f"row {row_no}, column {col}")
        rows.append(item)
    return rows, locs
