"""``--set path=value``: one field changed from the command line (SPEC §2.1).

The path is walked against the schema as well as the data, so a mistake is said at once, naming
the ``--set`` argument (never the scenario file) with a suggestion: an unknown field
(``projects.x.capex`` -> ``capex_usd_per_kw``), an unknown id, a technology that is not there.

An item of an entity list is named by its id; an id may hold dots (``projects.nam.ngum.capacity_mw``
finds the project ``nam.ngum``). A target is named by scope and year, either as its merge key
``targets.VN@2030.energy_gwh`` or in the natural form ``targets.VN.2030.energy_gwh``; when a path
could name two items, it is refused as ambiguous.
"""

from __future__ import annotations

import copy
import types
import typing
from typing import Any

from pydantic import BaseModel

from . import schema
from .errors import Problems, suggestion
from .files import ENTITY_LISTS, dotted, entity_key, parse_yaml, shown

_WHAT = {("projects",): "project", ("links",): "link", ("nodes",): "node", ("time", "slices"): "slice",
         ("targets",): "target"}
EXAMPLE = "projects.monsoon_wind.capex_usd_per_kw=1500"
_MODELS_BY_LIST = {("projects",): schema.Project, ("links",): schema.Link, ("nodes",): schema.Node,
                   ("time", "slices"): schema.Slice, ("targets",): schema.Target}


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the name written in YAML (the alias where there is one)."""
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _strip(annotation: Any) -> list:
    """The members of an annotation: Optional, Union and Annotated taken apart."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _strip(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [m for a in typing.get_args(annotation) for m in _strip(a)]
    return [annotation]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for member in _strip(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return None


def _mapping_of(annotation: Any) -> tuple[bool, Any]:
    """(True, value annotation) when the annotation admits a mapping of free keys."""
    for member in _strip(annotation):
        if typing.get_origin(member) is dict:
            args = typing.get_args(member)
            return True, (args[1] if len(args) == 2 else Any)
    return False, None


def _list_of_models(annotation: Any) -> type[BaseModel] | None:
    for member in _strip(annotation):
        if typing.get_origin(member) is list:
            args = typing.get_args(member)
            if args and _model_of(args[0]) is not None:
                return _model_of(args[0])
    return None


def _find_item(parts: list[str], i: int, list_path: tuple, items: list, fields: dict) -> tuple[int, str] | str:
    """The item of an entity list named from ``parts[i]`` on: (parts used, its key), or why none.

    Every way of reading the next parts as an id is tried (an id may hold dots; a target is
    ``scope@year`` or ``scope.year``), keeping those followed by a field of the item."""
    keys = {entity_key(list_path, item) for item in items} - {None}
    found: dict[str, int] = {}
    followed: dict[str, int] = {}  # those followed by a field of the item
    for k in range(1, len(parts) - i):
        words = parts[i:i + k]
        tries = [".".join(words)]
        if list_path == ("targets",) and k >= 2:  # scope.year (a scope may hold dots), scope.year.future
            tries += [".".join(words[:-1]) + "@" + words[-1], "@".join(words)]
        for key in tries:
            if key in keys:
                found.setdefault(key, k)
                if parts[i + k] in fields:
                    followed.setdefault(key, k)
    found = followed or found
    if len(found) == 1:
        key, k = next(iter(found.items()))
        return k, key
    what = _WHAT.get(list_path, dotted(list_path))
    if len(found) > 1:
        return (f"the path could name the {what}s {' or '.join(repr(k) for k in found)}: ambiguous; "
                f"write the id as in the scenario")
    word = parts[i]
    if list_path == ("targets",):
        said = f"{word}@{parts[i + 1]}" if i + 2 < len(parts) else word
        return (f"no target for scope and year '{said}'{suggestion(said, keys, listing=True)}; name a target "
                "as targets.SCOPE.YEAR.field or targets.SCOPE@YEAR.field, e.g. targets.VN.2030.energy_gwh")
    return f"no {what} with id '{word}'{suggestion(word, keys, listing=True)}"


def _walk(data: dict, parts: list[str]) -> tuple[Any, tuple, str] | str:
    """Walk ``parts`` down ``data`` (creating mappings that are missing) and the schema at once:
    (the mapping that holds the last field, its keyed path, the field), or why the path is wrong."""
    node: Any = data
    kind: Any = schema.Scenario
    walked: tuple = ()
    i = 0
    while i < len(parts):
        part = parts[i]
        last = i == len(parts) - 1
        model = _model_of(kind)
        if walked in ENTITY_LISTS:
            if not isinstance(node, list):
                return f"'{dotted(walked)}' is not a list here"
            entity = _list_of_models(kind) or _MODELS_BY_LIST.get(walked)
            fields = _fields(entity) if entity else {}
            if last:
                example = "capacity_mw" if "capacity_mw" in fields else "energy_gwh" if "energy_gwh" in fields else "field"
                return f"the path must name a field of an item, e.g. {dotted(walked)}.ID.{example}"
            found = _find_item(parts, i, walked, node, fields)
            if isinstance(found, str):
                return found
            k, key = found
            node = next(item for item in node if entity_key(walked, item) == key)
            walked += (key,)
            kind = entity
            i += k
            continue
        if model is not None:
            fields = _fields(model)
            if part not in fields:
                owner = dotted(walked) or "the scenario"
                return f"{owner} has no field '{part}'{suggestion(part, fields)}"
            child_kind = fields[part]
        else:
            is_map, value_kind = _mapping_of(kind)
            if not is_map:
                return f"'{dotted(walked)}' is not a mapping of fields: it has no '{part}'"
            if not isinstance(node, dict):
                node = None
            existing = node.keys() if isinstance(node, dict) else ()
            if _model_of(value_kind) is not None and part not in existing:  # technologies.NAME
                what = "technology" if walked == ("technologies",) else f"{dotted(walked)} entry"
                return f"no {what} '{part}'{suggestion(part, existing, listing=True)}"
            child_kind = value_kind
        if not isinstance(node, dict):
            return f"'{dotted(walked)}' is not a mapping"
        if last:
            return node, walked + (part,), part
        if not isinstance(node.get(part), (dict, list)):
            if node.get(part) is not None and not _mapping_of(child_kind)[0] and _model_of(child_kind) is None:
                return f"'{dotted(walked + (part,))}' is not a mapping of fields: it has no '{parts[i + 1]}'"
            if (walked + (part,)) in ENTITY_LISTS:
                node[part] = []
            else:
                node[part] = {}
        node = node[part]
        walked += (part,)
        kind = child_kind
        i += 1
    return "empty path"



def apply_set(data: dict, assignment: str, problems: Problems) -> tuple[dict, tuple | None]:
    """Apply one ``--set path=value`` (value read as YAML) to merged raw data: (the new data, the
    keyed path it set, e.g. ``('targets', 'VN@2030', 'energy_gwh')``), or the data unchanged and
    None with a problem naming the argument."""
    where = f"--set {shown(assignment)}"
    if "=" not in assignment:
        problems.add("command line", where, f"expected path=value, e.g. {EXAMPLE}")
        return data, None
    path_text, value_text = assignment.split("=", 1)
    parts = [p.strip() for p in path_text.strip().split(".") if p.strip()]
    if not parts:
        problems.add("command line", where, f"empty path; expected path=value, e.g. {EXAMPLE}")
        return data, None
    value = None
    if value_text.strip():
        read = Problems()
        ok, value, _ = parse_yaml(value_text, "command line", read)
        if read.items or not ok:
            problems.add("command line", where, "cannot read the value: " + "; ".join(p.message for p in read.items))
            return data, None
    out = copy.deepcopy(data)
    walked = _walk(out, parts)
    if isinstance(walked, str):
        problems.add("command line", where, walked)
        return data, None
    node, keyed, field = walked
    node[field] = value
    return out, keyed
