"""Variants: ``extends`` chains, merge-by-id, and ``--set path=value`` overrides (SPEC §2.1).

Mappings merge deeply; entity lists (nodes, projects, links, time.slices, targets) merge by id
(targets by scope and year): a child item with a known id changes only the fields it gives, and
a mapping field (e.g. ``availability: {dry: 0.22}``) merges deeply into the parent's mapping,
``remove: true`` drops it, a new id adds it. Other lists are replaced whole.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import Problems, did_you_mean
from .files import ENTITY_LISTS, TABLE_COLUMNS, Locations, dotted, entity_key, parse_yaml, shown

#: fields a new entity must give; a variant item lacking them is taken for a misspelt id
REQUIRED_FOR_NEW = {**{(k,): v for k, v in TABLE_COLUMNS.items()}, ("time", "slices"): ("id", "hours")}


def merge(parent: dict, child: dict, child_locs: Locations, problems: Problems, path: tuple = ()) -> dict:
    """Return ``parent`` updated by ``child`` (neither is modified)."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        here = path + (key,)
        if here in ENTITY_LISTS and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_entities(out[key], value, here, child_locs, problems)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value, child_locs, problems, here)
        else:
            out[key] = copy.deepcopy(_strip_remove(value))
    return out


def _strip_remove(value: Any) -> Any:
    if isinstance(value, list):
        return [v for v in value if not (isinstance(v, dict) and v.get("remove") is True)]
    return value


def _merge_entities(parent_items: list, child_items: list, path: tuple, locs: Locations,
                    problems: Problems) -> list:
    by_key = {entity_key(path, item): i for i, item in enumerate(parent_items)}
    out = list(parent_items)
    removed: set[int] = set()
    for item in child_items:
        key = entity_key(path, item)
        file, line = locs.get(path + (key,), ("?", ""))
        if key is None:
            problems.add(file, dotted(path), f"an item without {'/'.join(ENTITY_LISTS[path])}: {item!r}", line)
            continue
        fields = {k: v for k, v in item.items() if k != "remove"}
        if key in by_key:
            i = by_key[key]
            if item.get("remove") is True:
                removed.add(i)
            else:
                out[i] = merge(out[i], fields, locs, problems, path + (key,))
            continue
        hint = did_you_mean(key, [k for k in by_key if k is not None])
        required = REQUIRED_FOR_NEW.get(path, ())
        if item.get("remove") is True:
            problems.add(file, dotted(path + (key,)), f"cannot remove '{key}': the parent has no such id{hint}", line)
        elif hint and any(f not in item for f in required):
            problems.add(file, dotted(path + (key,)),
                         f"'{key}' is not in the parent scenario{hint}; a new item needs {', '.join(required)}",
                         line)
        else:
            by_key[key] = len(out)
            out.append(copy.deepcopy(fields))
    return [item for i, item in enumerate(out) if i not in removed]


def apply_set(data: dict, assignment: str, problems: Problems) -> dict:
    """Apply one ``--set path=value`` (value read as YAML) to merged raw data."""
    where = f"--set {shown(assignment)}"
    if "=" not in assignment:
        problems.add("command line", where, "expected path=value, e.g. projects.monsoon_wind.capex_usd_per_kw=1500")
        return data
    path_text, value_text = assignment.split("=", 1)
    parts = [p for p in path_text.strip().split(".") if p]
    value = None
    if value_text.strip():
        read = Problems()
        ok, value, _ = parse_yaml(value_text, "command line", read)
        if read.items or not ok:
            problems.add("command line", where, "cannot read the value: " + "; ".join(p.message for p in read.items))
            return data
    if not parts:
        problems.add("command line", where, "empty path")
        return data
    out = copy.deepcopy(data)
    node: Any = out
    walked: tuple = ()
    i = 0
    while i < len(parts) - 1:
        part = parts[i]
        if walked in ENTITY_LISTS and isinstance(node, list):
            keys = {entity_key(walked, item): item for item in node}
            if part not in keys:
                problems.add("command line", where,
                             f"no {dotted(walked)} item with id '{part}'{did_you_mean(part, [k for k in keys if k])}")
                return data
            node = keys[part]
            walked += (part,)
            i += 1
            continue
        if not isinstance(node, dict):
            problems.add("command line", where, f"'{dotted(walked)}' is not a mapping")
            return data
        node = node.setdefault(part, {})
        walked += (part,)
        i += 1
    last = parts[-1]
    if walked in ENTITY_LISTS:
        problems.add("command line", where, "the path must name a field of an item, e.g. projects.ID.capacity_mw")
        return data
    if not isinstance(node, dict):
        problems.add("command line", where, f"'{dotted(walked)}' is not a mapping")
        return data
    node[last] = value
    return out
