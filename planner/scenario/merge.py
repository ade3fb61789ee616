"""Variants: ``extends`` chains and merge-by-id (SPEC §2.1); ``--set`` is overrides.py.

Mappings merge deeply; entity lists (nodes, projects, links, time.slices, targets) merge by id
(targets by scope and year): a child item with a known id changes only the fields it gives, and
a mapping field (e.g. ``availability: {dry: 0.22}``) merges deeply into the parent's mapping,
``remove: true`` drops it, a new id adds it. Other lists are replaced whole.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import Problems, did_you_mean
from .files import ENTITY_LISTS, TABLE_COLUMNS, Locations, dotted, entity_key

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
