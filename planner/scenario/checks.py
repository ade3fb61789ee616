"""Checks across entities, run on the merged raw data so that they report alongside schema errors.

Each check adds a Problem naming the entity and field: duplicate ids, references to nodes,
technologies, projects and links, target scopes, availability keys, import limits.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from .errors import Problems, did_you_mean
from .schema import HOURS_PER_YEAR
from .files import dotted, entity_key

Where = Callable[[tuple], tuple[str, str]]


def _items(data: dict, *path: str) -> list[dict]:
    node: Any = data
    for p in path:
        node = node.get(p) if isinstance(node, dict) else None
    return [x for x in node if isinstance(x, dict)] if isinstance(node, list) else []


def _ids(items: list[dict]) -> list[str]:
    return [str(x["id"]) for x in items if x.get("id") is not None]


#: HiGHS options that name, read or write a file, or turn writing one on (HiGHS 1.15: every option
#: whose name holds 'file', the MIP's improving-solution file and the matrix and Hessian images);
#: refused, so that a scenario never makes the solver read or write a path: planner writes only
#: its results folder (and ``--verbose`` shows the HiGHS log)
SOLVER_FILE_OPTIONS = {
    "log_file": "the HiGHS log file", "solution_file": "the solution file",
    "write_solution_to_file": "writes the solution to solution_file", "write_model_file": "the model file",
    "write_model_to_file": "writes the model to write_model_file",
    "write_presolved_model_file": "the presolved model file",
    "write_presolved_model_to_file": "writes the presolved model to write_presolved_model_file",
    "write_basis_file": "the basis file", "write_iis_model_file": "the IIS model file",
    "read_solution_file": "a solution file HiGHS reads", "read_basis_file": "a basis file HiGHS reads",
    "mip_improving_solution_file": "the file of the MIP's improving solutions",
    "mip_improving_solution_save": "writes the MIP's improving solutions to mip_improving_solution_file",
    "write_matrix_image": "writes an image of the matrix (LpMatrix) in the current folder",
    "write_hessian_image": "writes an image of the Hessian in the current folder",
}
#: the option naming the file each switch writes
_FILE_OF = {"write_solution_to_file": "solution_file", "write_model_to_file": "write_model_file",
            "write_presolved_model_to_file": "write_presolved_model_file",
            "mip_improving_solution_save": "mip_improving_solution_file"}


def solver_file_problem(name: Any, options: dict) -> str | None:
    """Why a HiGHS option given in ``options.solver.highs_options`` is refused (it names or enables
    a file), or None for an option that touches no file."""
    key = str(name).strip().lower()
    if key not in SOLVER_FILE_OPTIONS and "file" not in key:
        return None
    value = options.get(name)
    what = SOLVER_FILE_OPTIONS.get(key, "names a file")
    named = f" ({name}: {value!r})" if isinstance(value, str) else ""
    other = _FILE_OF.get(key)
    if other is not None:
        given = next((v for k, v in options.items() if str(k).strip().lower() == other), None)
        named = f" ({other}: {given!r})" if isinstance(given, str) and given else f" ({other} not given: HiGHS's default name)"
    return (f"HiGHS option '{name}' touches a file: {what}{named}; planner does not let a scenario make the solver "
            "read or write files (it writes only its results folder, and --verbose shows the HiGHS log): remove it")


def cross_checks(data: dict, where: Where, problems: Problems) -> None:
    """Add a problem for every broken reference or duplicate in merged raw scenario data."""

    def add(path: tuple, message: str) -> None:
        path = tuple(x if isinstance(x, (str, int)) else str(x) for x in path)  # an id that is a list
        file, line = where(path)
        problems.add(file, dotted(path), message, line)

    nodes = _items(data, "nodes")
    projects = _items(data, "projects")
    links = _items(data, "links")
    slices = _items(data, "time", "slices")
    targets = _items(data, "targets")
    techs = data.get("technologies") if isinstance(data.get("technologies"), dict) else {}
    if not projects and not isinstance(data.get("projects"), (dict, str)):
        add(("projects",), "nothing to plan: the scenario has no projects; give projects (a list, or "
                           "{file: projects.csv})")

    for path, items in ((("nodes",), nodes), (("projects",), projects), (("links",), links),
                        (("time", "slices"), slices), (("targets",), targets)):
        counts = Counter(entity_key(path, x) for x in items)
        for key, n in counts.items():
            if key is not None and n > 1:
                add(path + (key,), f"'{key}' is given {n} times; ids must be unique")
    shared = set(_ids(projects)) & set(_ids(links))
    for key in sorted(shared):
        add(("links", key, "id"), f"'{key}' is both a project and a link id; requires/excludes need unique ids")

    hours = [s.get("hours") for s in slices]
    if slices and all(isinstance(h, (int, float)) and not isinstance(h, bool) for h in hours):
        total = float(sum(hours))
        if not any(abs(total - h) < 1e-6 for h in HOURS_PER_YEAR):
            add(("time", "slices"), f"slice hours sum to {total:g}; they must sum to 8760 (or 8784 in a leap year)")

    node_ids = _ids(nodes)
    countries = sorted({str(n.get("country")) for n in nodes if n.get("country")})
    assets = _ids(projects) + _ids(links)
    seasons = {str(s.get("season")) for s in slices if s.get("season") is not None}
    slice_ids = set(_ids(slices))
    periods = seasons | slice_ids
    importing = str((data.get("options") or {}).get("importing_country", "VN")) \
        if isinstance(data.get("options"), dict) else "VN"
    buyers = (data.get("options") or {}).get("importing_countries") if isinstance(data.get("options"), dict) else None
    buyers = {str(c) for c in buyers} if isinstance(buyers, list) and buyers else {importing}
    buying = ", ".join(sorted(buyers))
    the_buyers = f"the importing country ({buying})" if len(buyers) == 1 else f"an importing country ({buying})"
    listed = data["options"].get("importing_countries") if isinstance(data.get("options"), dict) else None
    if isinstance(listed, list):
        if not listed:
            add(("options", "importing_countries"), "an empty list: name every buying country, e.g. [VN, TH, KH] "
                                                    "(or leave the field out: importing_country alone buys)")
        repeated = sorted({str(c) for c in listed if listed.count(c) > 1})
        if repeated:
            add(("options", "importing_countries"), f"{', '.join(repeated)} given more than once")
        node_of = {str(n.get("id")): str(n.get("country")) for n in nodes if n.get("id") is not None}
        selling = sorted({node_of[str(p.get("node"))] for p in projects if str(p.get("node")) in node_of} & buyers)
        if selling:
            add(("options", "importing_countries"),
                f"{', '.join(selling)} is the country of export plants: a buyer here absorbs power at the plants' "
                "own nodes; model a country's own load as demand (SPEC §3.6) instead")
        for c in sorted(buyers):
            if countries and c not in countries:
                add(("options", "importing_countries"),
                    f"'{c}' is not the country of any node{did_you_mean(c, countries)}; countries: {', '.join(countries)}")

    solver = (data.get("options") or {}).get("solver") if isinstance(data.get("options"), dict) else None
    highs = solver.get("highs_options") if isinstance(solver, dict) else None
    if isinstance(highs, dict):
        for name in highs:
            why = solver_file_problem(name, highs)
            if why is not None:
                add(("options", "solver", "highs_options", name), why)

    for n in nodes:
        if n.get("max_import_mw") is not None and n.get("country") not in buyers:
            add(("nodes", n.get("id"), "max_import_mw"),
                f"max_import_mw applies to nodes of {the_buyers}, "
                f"not to a node of {n.get('country')}")

    def check_availability(path: tuple, availability: Any) -> None:
        if isinstance(availability, dict) and periods:
            for key in availability:
                if str(key) not in periods:
                    add(path + (key,), f"'{key}' is neither a season ({', '.join(sorted(seasons)) or 'none'}) "
                        f"nor a slice id{did_you_mean(key, periods)}")

    for name, tech in techs.items():
        if isinstance(tech, dict):
            check_availability(("technologies", name, "availability"), tech.get("availability"))

    def check_refs(kind: str, item: dict) -> None:
        ident = item.get("id")
        for field in ("requires", "excludes"):
            refs = item.get(field) or []
            if not isinstance(refs, list):
                continue
            for ref in refs:
                if str(ref) == str(ident):
                    add((kind, ident, field), f"'{ref}' names the asset itself")
                elif str(ref) not in assets:
                    add((kind, ident, field), f"unknown project or link '{ref}'{did_you_mean(ref, assets)}")

    for p in projects:
        pid = p.get("id")
        if p.get("node") is not None and str(p["node"]) not in node_ids:
            add(("projects", pid, "node"), f"unknown node '{p['node']}'{did_you_mean(p['node'], node_ids)}")
        if p.get("technology") is not None and str(p["technology"]) not in techs:
            add(("projects", pid, "technology"),
                f"unknown technology '{p['technology']}'{did_you_mean(p['technology'], list(techs))}; "
                f"define it under technologies")
        check_availability(("projects", pid, "availability"), p.get("availability"))
        check_refs("projects", p)
    for link in links:
        lid = link.get("id")
        if link.get("from") is not None and link.get("from") == link.get("to"):
            add(("links", lid, "to"), f"a link from node '{link['from']}' to itself carries nothing")
        for end in ("from", "to"):
            if link.get(end) is not None and str(link[end]) not in node_ids:
                add(("links", lid, end), f"unknown node '{link[end]}'{did_you_mean(link[end], node_ids)}")
        check_refs("links", link)
    regions = sorted({str(n.get("region")) for n in nodes if n.get("region") is not None})
    clash = sorted(set(regions) & (set(node_ids) | set(countries)))
    for r in clash:
        add(("nodes",), f"region '{r}' is also a node id or a country code; a scope must name one thing")

    def check_scope(path: tuple, scope: Any) -> None:
        if str(scope) not in node_ids and str(scope) not in countries and str(scope) not in regions:
            add(path, f"unknown scope '{scope}': give a node id, a region or a country code "
                f"({', '.join(countries + regions)}){did_you_mean(scope, node_ids + countries + regions)}")
            return
        scope_countries = {str(n.get("country")) for n in nodes
                           if str(n.get("id")) == str(scope) or str(n.get("region")) == str(scope)} or {str(scope)}
        if not scope_countries & buyers:
            add(path, f"scope '{scope}' is not in {the_buyers}; imports are only absorbed there")

    for t in targets:
        if t.get("scope") is not None:
            check_scope(("targets", entity_key(("targets",), t), "scope"), t["scope"])
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    by_scope = limits.get("max_import_mw_by_scope")
    if isinstance(by_scope, dict):
        for scope in by_scope:
            check_scope(("limits", "max_import_mw_by_scope", scope), scope)
    options = data.get("options") if isinstance(data.get("options"), dict) else {}
    value = options.get("import_value_usd_per_mwh")
    if isinstance(value, dict) and periods:
        check_availability(("options", "import_value_usd_per_mwh"), value)
        given = {str(k) for k in value}
        missing = [str(s.get("id")) for s in slices
                   if str(s.get("id")) not in given and str(s.get("season")) not in given]
        if missing and not any(str(k) not in periods for k in value):
            add(("options", "import_value_usd_per_mwh"),
                f"no value for slice{'s' if len(missing) > 1 else ''} {', '.join(missing)}: give every season "
                f"or slice a value (0 where imports are worth nothing)")
    for i, row in enumerate(_items(data, "import_value")):
        if row.get("node") is not None:
            check_scope(("import_value", i, "node"), row["node"])
        if row.get("season") is not None and str(row["season"]) not in seasons | (slice_ids - {
                str(s.get("id")) for s in slices if s.get("season") is not None}):
            add(("import_value", i, "season"), f"unknown season '{row['season']}'"
                f"{did_you_mean(row['season'], sorted(seasons))}; seasons: {', '.join(sorted(seasons))}")
        if row.get("slice") is not None and str(row["slice"]) not in slice_ids:
            add(("import_value", i, "slice"), f"unknown slice '{row['slice']}'"
                f"{did_you_mean(row['slice'], sorted(slice_ids))}")
    for i, row in enumerate(_items(data, "demand")):
        if row.get("node") is not None and str(row["node"]) not in node_ids:
            add(("demand", i, "node"), f"unknown node '{row['node']}'{did_you_mean(row['node'], node_ids)}")
        if row.get("season") is not None and str(row["season"]) not in seasons | (slice_ids - {
                str(s.get("id")) for s in slices if s.get("season") is not None}):
            add(("demand", i, "season"), f"unknown season '{row['season']}'"
                f"{did_you_mean(row['season'], sorted(seasons))}; seasons: {', '.join(sorted(seasons))}")
        if row.get("slice") is not None and str(row["slice"]) not in slice_ids:
            add(("demand", i, "slice"), f"unknown slice '{row['slice']}'{did_you_mean(row['slice'], sorted(slice_ids))}")
    for p in projects:
        conn = p.get("connection")
        if conn is not None and str(conn) not in _ids(links):
            add(("projects", p.get("id"), "connection"), f"unknown link '{conn}'{did_you_mean(conn, _ids(links))}")
    ceilings = limits.get("max_tariff_usd_per_mwh")
    if isinstance(ceilings, dict):
        for tech in ceilings:
            if str(tech) not in techs:
                add(("limits", "max_tariff_usd_per_mwh", tech),
                    f"unknown technology '{tech}'{did_you_mean(tech, list(techs))}: a ceiling per technology "
                    f"names a technology defined under technologies")
