"""Scenario loading: files -> merged raw data -> validated, frozen Scenario.

``load_scenario(path, sets)`` reads the ``extends`` chain, inlines table files, merges variants by
id, applies ``--set`` overrides, then checks everything and raises one ScenarioError listing every
problem (file, entity, field, line).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import schema
from .checks import cross_checks
from .errors import Problem, Problems, ScenarioError, did_you_mean, suggestion
from .files import (ENTITY_LISTS, TABLE_COLUMNS, Locations, cell_value, dotted, entity_key, read_frame, read_table,
                    read_yaml, real_path, shown)
from .merge import merge
from .overrides import apply_set

TABLE_MODELS: dict[str, type[BaseModel]] = {
    "projects": schema.Project, "links": schema.Link, "targets": schema.Target, "nodes": schema.Node,
    "import_value": schema.ImportValue, "hydrology": schema.HydrologyRow, "demand": schema.Demand,
}


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter: same text, faster


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with what is needed to reproduce it."""

    scenario: schema.Scenario
    resolved: dict  # merged raw data, tables inlined: written beside the results
    path: Path
    input_sha256: str
    files: tuple[Path, ...] = ()  # every file read: the scenario, its parents, tables, profiles
    set_at: tuple[tuple[tuple, str], ...] = ()  # (keyed path, "--set argument") of each --set applied

    def where(self, path: tuple) -> tuple[str, str]:
        """(file, line) to name in a problem found later at ``path``: the --set argument that set
        it, or the scenario file."""
        return _by_set(list(self.set_at), lambda _p: (shown(self.path), ""))(path)

    def blame_sets(self, exc: ScenarioError) -> ScenarioError:
        """``exc`` (problems found after loading, named by dotted place) with each problem of a
        field a --set gave naming that --set argument instead of the file, and each problem of
        its item (or of another field of it) naming the --set beside the file."""
        out = []
        for p in exc.problems:
            for keyed, argument in reversed(self.set_at):
                field, item = dotted(keyed), dotted(keyed[:-1])
                if p.where == field or p.where.startswith((field + ".", field + "[")):
                    p = Problem("command line", p.where, p.message, argument)
                    break
                if len(keyed) >= 2 and (p.where == item or p.where.startswith((item + ".", item + "["))):
                    p = Problem(p.file, p.where, p.message, _with(p.line, argument))
                    break
            out.append(p)
        return ScenarioError(out)

    def resolved_yaml(self) -> str:
        return yaml.dump(self.resolved, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _fields(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


MAX_EXTENDS_DEPTH = 32  # how many files an extends chain may hold


def _read_profile(time: dict, base_dir: Path, file: Path, locs: Locations, problems: Problems) -> None:
    """Turn ``time.profile_file`` into slices and per-slice availability (columns by technology or project)."""
    spec = time.get("profile_file")
    line = locs.get(("time", "profile_file"), (shown(file), ""))[1]
    if not isinstance(spec, str) or not spec.strip():
        problems.add(shown(file), "time.profile_file", "expected the name of a CSV or XLSX file", line)
        return
    table = real_path(base_dir / spec) if "\x00" not in spec else base_dir / spec
    frame = read_frame(table, 0, problems, shown(file), "time.profile_file", line, what="profile file", written=spec)
    if frame is None:
        return
    table_shown = shown(table)
    id_col = "slice" if "slice" in frame.columns else "id"
    missing = [c for c in (id_col, "hours") if c not in frame.columns]
    if missing:
        problems.add(table_shown, "time.profile_file", f"missing column(s) {', '.join(missing)}", "row 1")
        return
    slices, availability = [], {}
    for i, row in enumerate(frame.to_dict("records")):
        item = {"id": str(row[id_col]).strip(), "hours": cell_value(row["hours"])}
        if str(row.get("season", "")).strip():
            item["season"] = str(row["season"]).strip()
        if str(row.get("peak", "")).strip():
            item["peak"] = cell_value(row["peak"])
        slices.append(item)
        locs[("time", "slices", item["id"])] = (table_shown, f"row {i + 2}")
        for col, raw in row.items():
            value = cell_value(raw, col)
            if col in (id_col, "hours", "season", "peak") or value is None:
                continue  # an empty cell: the next source of availability applies
            availability.setdefault(str(col), {})[item["id"]] = value
            locs[("time", "profile_availability", str(col), item["id"])] = (table_shown, f"row {i + 2}, column {col}")
    time["slices"] = slices
    time["profile_availability"] = availability


def _read_hourly(time: dict, base_dir: Path, file: Path, locs: Locations, problems: Problems) -> None:
    """Turn ``time.hourly_file`` into representative slices, their availability and the
    aggregation error (hourly.py)."""
    spec = time.get("hourly_file")
    line = locs.get(("time", "hourly_file"), (shown(file), ""))[1]
    if not isinstance(spec, str) or not spec.strip():
        problems.add(shown(file), "time.hourly_file", "expected the name of a CSV or XLSX file", line)
        return
    if time.get("profile_file"):
        problems.add(shown(file), "time.hourly_file", "give profile_file or hourly_file, not both", line)
        return
    if time.get("representative_days") is None and time.get("representative_weeks") is None:
        problems.add(shown(file), "time.hourly_file", "give time.representative_days (or representative_weeks) "
                                                      "to aggregate the hours to, or representative_days: all "
                                                      "to keep every day", line)
        return
    table = real_path(base_dir / spec) if "\x00" not in spec else base_dir / spec
    frame = read_frame(table, 0, problems, shown(file), "time.hourly_file", line, what="hourly file", written=spec)
    if frame is None:
        return
    if importlib.util.find_spec("tsam") is None:
        problems.add(shown(file), "time.hourly_file", "aggregating hourly profiles needs tsam: "
                                                      "pip install 'planner[hourly]'", line)
        return
    from .hourly import aggregate_hourly  # tsam is imported only when hourly profiles are used

    out = aggregate_hourly(frame, time, shown(table), problems)
    if out is None:
        return
    time["slices"], time["profile_availability"], time["aggregation_error"] = out
    for s in time["slices"]:
        locs[("time", "slices", s["id"])] = (shown(table), "aggregated")
    for col in time["profile_availability"]:
        locs[("time", "profile_availability", col)] = (shown(table), f"column {col}")


def _load_layer(path: Path, problems: Problems, chain: tuple[Path, ...], hourly_at: list,
                named_by: tuple[str, str, str] | None = None) -> tuple[dict, Locations]:
    """Read one file and, recursively, its parents; return merged raw data and locations.

    ``named_by`` is (child file, line, the path as written) when this file is named in ``extends``.
    ``hourly_at`` collects (folder, file, lists slices itself) of each file that names a
    ``time.hourly_file``, child first: the hours are aggregated once the chain is merged
    (load_scenario), so a variant may change representative_days of a parent's hourly file.
    """
    if named_by is None:
        data, locs = read_yaml(path, problems)
    else:
        data, locs = read_yaml(path, problems, named_by[0], "extends", named_by[1], named_by[2])
    if data is None:
        return {}, locs
    file = shown(path)
    base_dir = path.parent
    for list_name in TABLE_COLUMNS:
        if list_name in data and not isinstance(data[list_name], list):
            line = locs.get((list_name,), (file, ""))[1]
            rows, table_locs = read_table(data[list_name], list_name, base_dir, path, line,
                                          _fields(TABLE_MODELS[list_name]), problems)
            data[list_name] = rows
            locs.update(table_locs)
    future = data.get("uncertainty")
    if isinstance(future, dict) and "hydrology" in future and not isinstance(future["hydrology"], list):
        line = locs.get(("uncertainty", "hydrology"), (file, ""))[1]  # {file: hydrology.csv}, read here
        rows, table_locs = read_table(future["hydrology"], "hydrology", base_dir, path, line,
                                      _fields(schema.HydrologyRow), problems)
        future["hydrology"] = rows
        locs.update({("uncertainty",) + key: where for key, where in table_locs.items()})
    profile_slices = None  # the slices this file's profile_file gives: they replace a parent's
    time = data.get("time")
    if isinstance(time, dict) and time.get("profile_file") is not None:
        if not time.get("slices"):
            _read_profile(time, base_dir, path, locs, problems)
            profile_slices = time.get("slices")
        elif "profile_availability" not in time:  # a resolved scenario.yaml holds both, already read
            line = locs.get(("time", "profile_file"), (file, ""))[1]
            problems.add(file, "time.profile_file", "give time.slices or time.profile_file, not both "
                                                    "(the profile file's slices would be ignored)", line)
    if isinstance(data.get("time"), dict) and data["time"].get("hourly_file") is not None:
        hourly_at.append((base_dir, path, bool(data["time"].get("slices"))))
    for list_path in ENTITY_LISTS:
        items = data
        for p in list_path:
            items = items.get(p) if isinstance(items, dict) else None
        if isinstance(items, list) and "extends" in data:  # a base's duplicates: see cross_checks
            seen: set = set()
            for item in items:
                key = entity_key(list_path, item)
                if key is not None and key in seen:
                    where_file, line = locs.get(list_path + (key,), (file, ""))
                    problems.add(where_file, dotted(list_path + (key,)), f"'{key}' is given twice; ids must be unique",
                                 line)
                seen.add(key)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data, locs
    line = locs.get(("extends",), (file, ""))[1]
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        problems.add(file, "extends", "expected the path of the parent scenario file", line)
        return data, locs
    if len(chain) + 1 >= MAX_EXTENDS_DEPTH:
        problems.add(file, "extends", f"the extends chain is longer than {MAX_EXTENDS_DEPTH} files; "
                                      "is a parent extending its own variants?", line)
        return data, locs
    parent_path = real_path(base_dir / parent_ref) if "\x00" not in parent_ref else base_dir / parent_ref
    here = real_path(path)
    if parent_path in chain or parent_path == here:
        cycle = " -> ".join(shown(p.name) for p in chain + (here, parent_path))
        problems.add(file, "extends", f"cyclic extends: {cycle}", line)
        return data, locs
    parent, parent_locs = _load_layer(parent_path, problems, chain + (here,), hourly_at, (file, line, parent_ref))
    if not parent:
        return data, locs
    since = len(problems.items)
    merged = merge(parent, {k: v for k, v in data.items() if k != "extends"}, locs, problems)
    problems.soften(since)  # a misspelt id in a variant: the rest is still checked, and listed with it
    if profile_slices is not None:  # a profile file is whole: its slices and columns replace the parent's
        merged["time"]["slices"] = profile_slices
        merged["time"]["profile_availability"] = time.get("profile_availability", {})
    merged_locs = dict(parent_locs)
    merged_locs.update(locs)
    return merged, merged_locs


def _locate(locs: Locations, default_file: str) -> Any:
    def where(path: tuple) -> tuple[str, str]:
        for n in range(len(path), 0, -1):
            try:
                if path[:n] in locs:
                    return locs[path[:n]]
            except TypeError:  # a part that is a list or mapping (a mistaken id): never a location
                continue
        return default_file, ""

    return where


def _by_set(set_at: list[tuple[tuple, str]], where: Any) -> Any:
    """``where`` that names the --set argument for a problem of the field it set (or inside it),
    and names it beside the file for a problem of the item whose field it set (or of another field
    of that item): the --set may be the cause, or the file."""
    def located(path: tuple) -> tuple[str, str]:
        for keyed, argument in reversed(set_at):  # the last --set of a field is the one that counts
            if path[:len(keyed)] == keyed:
                return "command line", argument
        for keyed, argument in reversed(set_at):
            if len(keyed) >= 2 and len(path) >= len(keyed) - 1 and path[:len(keyed) - 1] == keyed[:-1]:
                file, line = where(path)
                return file, _with(line, argument)
        return where(path)

    return located


def _with(line: str, argument: str) -> str:
    return f"{line}, with {argument}" if line else f"with {argument}"


def _keyed_path(data: dict, loc: tuple) -> tuple:
    """Turn a pydantic error location (list indices) into an id-keyed path."""
    out: tuple = ()
    node: Any = data
    for part in loc:
        if isinstance(part, int) and out in ENTITY_LISTS and isinstance(node, list) and part < len(node):
            key = entity_key(out, node[part])
            node = node[part]
            out += (key if key is not None else part,)
            continue
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
        out += (part,)
    return out


_MODELS: dict[tuple, type[BaseModel]] = {
    (): schema.Scenario, ("horizon",): schema.Horizon, ("horizon", "years"): schema.YearRange,
    ("time",): schema.Time, ("time", "slices"): schema.Slice, ("options",): schema.Options,
    ("options", "solver"): schema.Solver, ("nodes",): schema.Node, ("technologies",): schema.Technology,
    ("projects",): schema.Project, ("links",): schema.Link, ("targets",): schema.Target,
    ("limits",): schema.Limits, ("import_value",): schema.ImportValue,
    ("demand",): schema.Demand,
}


def _model_at(path: tuple) -> type[BaseModel] | None:
    """The schema model that owns the last field of ``path`` (entity ids and dict keys skipped)."""
    named: tuple = ()
    i = 0
    while i < len(path):
        named += (path[i],)
        if named in ENTITY_LISTS or named == ("technologies",):
            i += 1  # skip the id or name
        i += 1
    return _MODELS.get(named[:-1])


def _said(value: Any) -> str:
    """A value as the user wrote it in YAML (true, not True), cut short when long."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, str) else shown(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: pydantic's error kinds, said in the scenario's words
_PLAIN = {
    "float_parsing": "expected a number", "float_type": "expected a number",
    "int_parsing": "expected a whole number", "int_type": "expected a whole number",
    "int_from_float": "expected a whole number", "string_type": "expected text",
    "bool_parsing": "expected true or false", "bool_type": "expected true or false",
    "dict_type": "expected a mapping (field: value)", "model_type": "expected a mapping (field: value)",
    "model_attributes_type": "expected a mapping (field: value)", "list_type": "expected a list",
    "finite_number": "expected a finite number", "string_too_short": "must not be empty",
}


def _message(err: dict, path: tuple) -> str:
    """One problem said in the scenario's words: the field, what was expected, what was given."""
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        model = _model_at(path)
        hint = suggestion(path[-1], _fields(model)) if model else ""
        return f"unknown field '{shown(path[-1])}'{hint}"
    if kind == "missing":
        return f"missing required field '{shown(path[-1])}'"
    value = err.get("input")
    if kind in _PLAIN:
        return f"{_PLAIN[kind]}, got {_said(value)}"
    if kind == "value_error" or kind == "model":
        return msg
    msg = (msg.replace("Input should be", "must be").replace("String should have", "must have")
           .replace("Value should have", "must have").replace(" after validation", ""))
    return f"{msg} (got {_said(value)})"


def _years_problem(data: dict) -> dict:
    """One readable problem for horizon.years (a list or a range), naming the first bad year."""
    years = data.get("horizon", {}).get("years") if isinstance(data.get("horizon"), dict) else None
    msg = "expected a list of increasing years (2026, 2030, ...) or {start, end, step}"
    if isinstance(years, list):
        bad = [y for y in years if isinstance(y, bool) or not isinstance(y, int)]
        if bad:
            msg += f"; {_said(bad[0])} is not a year"
    elif years is not None and not isinstance(years, dict):
        msg += f", got {_said(years)}"
    return {"loc": ("horizon", "years"), "type": "model", "msg": msg}


def _is_union_noise(err: dict) -> bool:
    # horizon.years is list | range: keep one readable message instead of one per union member
    loc = err["loc"]
    return loc[:2] == ("horizon", "years") and len(loc) > 2 and isinstance(loc[2], str)


def load_scenario(path: str | Path, sets: list[str] | tuple[str, ...] = ()) -> LoadedScenario:
    """Load, merge and validate a scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    problems = Problems()
    hourly_at: list = []
    data, locs = _load_layer(path, problems, (), hourly_at)
    problems.raise_if_blocking()  # a file that cannot be read, or a broken table: fix those first
    set_at: list[tuple[tuple, str]] = []  # (keyed path, "--set argument"): its problems name the argument
    for assignment in sets:
        data, keyed = apply_set(data, assignment, problems)
        if keyed is not None:
            set_at.append((keyed, f"--set {shown(assignment)}"))
    time = data.get("time")
    if isinstance(time, dict) and time.get("hourly_file") is not None:
        # the file that names the hourly file (the child-most) is where it is read from; its
        # slices (the hourly file's, aggregated) replace any a parent gives by hand. A file that
        # lists slices beside its hourly_file (a resolved scenario.yaml) is already aggregated.
        folder, named_in, aggregated = hourly_at[0] if hourly_at else (path.parent, path, False)
        if not aggregated:
            _read_hourly(time, folder, named_in, locs, problems)
            problems.raise_if_blocking()
    where = _by_set(set_at, _locate(locs, shown(path)))
    cross_checks(data, where, problems)
    scenario = None
    try:
        scenario = schema.Scenario.model_validate(data)
    except ValidationError as exc:
        years_err = False
        for err in exc.errors():
            if _is_union_noise(err):
                if years_err:
                    continue
                years_err = True
                err = {**err, **_years_problem(data)}
            keyed = _keyed_path(data, tuple(err["loc"]))
            file, line = where(keyed)
            if err["type"] == "missing" and len(keyed) == 3 and \
                    problems.explained.get((keyed[0], keyed[2])) == file:
                continue  # a row of a table whose missing column is said once
            problems.add(file, dotted(keyed), _message(err, keyed), line)
    if scenario is not None:
        _profile_checks(scenario, where, problems)
    problems.raise_if_any()
    assert scenario is not None
    try:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # keys of mixed kinds (1 and '1'): YAML can sort those
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    files = tuple(sorted({Path(f) for f, _ in locs.values() if f != "command line"} | {path}))
    return LoadedScenario(scenario, data, path, digest, files, tuple(set_at))


def _profile_checks(scenario: schema.Scenario, where, problems: Problems) -> None:
    """Profile columns name a technology, a project or technology@node, and hold availabilities;
    an hourly column may not be hidden by an availability the scenario also gives."""
    names = set(scenario.technologies) | {p.id for p in scenario.projects}
    zones = {f"{p.technology}@{p.node}" for p in scenario.projects}
    names |= zones | {f"demand@{d.node}" for d in scenario.demand}  # a demand's shape (data._shape_demand)
    given = {t: tech.availability for t, tech in scenario.technologies.items()}
    given |= {p.id: p.availability for p in scenario.projects}
    source = "time.hourly_file" if scenario.time.hourly_file else "time.profile_file"
    for col, values in scenario.time.profile_availability.items():
        file, line = where(("time", "profile_availability", col))
        if col not in names:
            problems.add(file, f"{source} column {col}", f"'{col}' is neither a technology, a project, "
                         f"technology@node of a project nor demand@node of a demand row{did_you_mean(col, names)}", line)
        elif scenario.time.hourly_file and given.get(col):
            problems.add(file, f"{source} column {col}", f"'{col}' also has an availability in the scenario, "
                         "which would override the hourly profile; give one or the other", line)
        for slice_id, v in values.items():
            if not 0 <= v <= 1:
                file, line = where(("time", "profile_availability", col, slice_id))
                problems.add(file, f"{source} column {col}", f"availability {v} is not between 0 and 1", line)
