"""Investment: build decisions, online capacity over lifetimes, build windows, requires/excludes.

Every candidate asset a (project or link) has a build fraction ``build[a,y]`` of its capacity_mw
for each modelled year y inside its build window (binary for fixed-size candidates under
``build: integer``; continuous in [0, 1] otherwise, and always for ``sizing: up_to``). The online
fraction of a candidate is the sum of the builds still inside their lifetime; existing and
committed assets have a fixed online fraction (0 or 1) from ``online_year`` and their lifetime.

What an asset may *run* (generate, carry flow) is its operating fraction: the online fraction for a
candidate; for an existing or committed asset its fixed online fraction, except that it runs only
while what it requires runs (SPEC §3.1, ``requires`` binds every asset). Where that hangs on a
candidate's build, ``operating[a,y]`` in [0, 1] is a variable bounded by ``add_requires``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.core as pyo

from ..data import ModelData
from .arrays import EQ, ArrayRows, PyomoColumns, add_rows


def online_fraction(m: pyo.ConcreteModel, data: ModelData, asset: str, year: int):
    """online fraction of an asset in a year: the ``online`` variable of a candidate, else a constant."""
    return _fractions(m, data)[0].get((asset, year), 0.0)


def operating_fraction(m: pyo.ConcreteModel, data: ModelData, asset: str, year: int):
    """operating fraction of an asset in a year: the part of its capacity that may run.

    A candidate: its online fraction. An existing/committed asset: ``operating[a,y]`` where its
    running hangs on a candidate it requires, else the constant 0/1 from the data
    (``data.fixed_operating``: online, and everything it requires runs).
    """
    online, operating = _fractions(m, data)
    term = operating.get((asset, year))
    return term if term is not None else online.get((asset, year), 0.0)


def _fractions(m: pyo.ConcreteModel, data: ModelData) -> tuple[dict, dict]:
    """(online, operating) terms by (asset, year), built once per model: a variable or a float.
    Families look them up per row (of which there are millions at scale), so they are plain dicts."""
    cached = m.__dict__.get("_fraction_terms")
    if cached is None:
        online = {key: float(v) for key, v in data.fixed_online.items()}
        online.update({key: m.online[key] for key in data.online_builds})
        operating = {key: float(v) for key, v in data.fixed_operating.items()}
        operating.update({key: m.operating[key] for key in data.operating_index})
        cached = m.__dict__["_fraction_terms"] = (online, operating)
    return cached


def add_build_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """build[a,y] for (a,y) in build_years; online[a,y] for candidates that can be online in y;
    operating[a,y] in [0, 1] for existing/committed assets whose running hangs on a candidate they
    require (``data.operating_index``).

    Build window (SPEC §3 family 7): a build variable exists only for modelled years y with
    earliest_year <= y <= latest_year, so a candidate cannot come online outside its window.
    """
    sizing = data.assets["sizing"]
    integer = data.build_mode == "integer"

    def domain(_m, a, _y):
        return pyo.Binary if integer and sizing[a] == "fixed" else pyo.UnitInterval

    m.build_index = pyo.Set(dimen=2, initialize=data.build_years, ordered=True)
    m.build = pyo.Var(m.build_index, domain=domain)
    m.online_index = pyo.Set(dimen=2, initialize=sorted(data.online_builds), ordered=True)
    m.online = pyo.Var(m.online_index, bounds=(0, 1))
    m.operating_index = pyo.Set(dimen=2, initialize=data.operating_index, ordered=True)
    m.operating = pyo.Var(m.operating_index, bounds=(0, 1))


def add_online_definition(m: pyo.ConcreteModel, data: ModelData) -> None:
    """online[a,y] = sum of build[a,b] over build years b with b <= y < b + lifetime_a

    for all (a,y) in online_index (SPEC §3.1: an asset that comes online in b is online in every
    year t with b <= t < b + lifetime_years).

    An array family over the Pyomo variables online and build (the largest of the build logic),
    compiled first, where it stood as a Pyomo constraint (``ArrayRows.first``).
    """
    keys = list(m.online_index)
    online, build = dict(m.online.items()), dict(m.build.items())
    rows = ArrayRows("online_definition", keys, EQ, 0.0, first=True)
    k = np.arange(len(keys))
    rows.add_pyomo(k, [online[key] for key in keys], 1.0)
    per_row = [data.online_builds[key] for key in keys]
    rows.add_pyomo(np.repeat(k, [len(b) for b in per_row]),
                   [build[(a, b)] for (a, _y), years in zip(keys, per_row) for b in years], -1.0)
    add_rows(m, rows)


def add_build_once(m: pyo.ConcreteModel, data: ModelData) -> None:
    """sum_y build[a,y] <= 1   for every candidate a with a build window

    A fixed-size candidate is built at most once; the additions of an ``up_to`` zone sum to at
    most its capacity_mw (SPEC §3.1).
    """
    candidates = sorted({a for a, _ in data.build_years})
    years_of: dict[str, list[int]] = {}
    for a, y in data.build_years:
        years_of.setdefault(a, []).append(y)

    def build_once_rule(m, a):
        return sum(m.build[a, y] for y in years_of[a]) <= 1

    m.build_once = pyo.Constraint(candidates, rule=build_once_rule)


def add_requires(m: pyo.ConcreteModel, data: ModelData) -> None:
    """operating_fraction[a,y] <= operating_fraction[b,y]   for (a requires b), every modelled year y

    ``requires`` binds every asset (SPEC §3.1). For a candidate a, operating = online: it is
    online only while what it requires runs. For an existing or committed a, operating is what it
    may run: it stays built (and pays its annuity and fixed O&M) but generates / carries flow only
    while what it requires runs, e.g. a committed plant produces nothing before the candidate line
    it requires is built. Its operating fraction is a constant where the data settle it (0 when a
    requirement cannot run that year: ``data.fixed_operating``), else the variable
    ``operating[a,y]`` that this constraint bounds. Rows with both sides constant are skipped
    (settled when the data were prepared), as are years where ``a`` cannot run.
    """
    index = [(a, b, y) for a, b in data.requires for y in data.years if data.can_operate(a, y)]

    def requires_rule(m, a, b, y):
        lhs, rhs = operating_fraction(m, data, a, y), operating_fraction(m, data, b, y)
        if isinstance(lhs, float) and isinstance(rhs, float):
            return pyo.Constraint.Skip
        return lhs <= rhs

    m.requires = pyo.Constraint(pyo.Set(dimen=3, initialize=index, ordered=True), rule=requires_rule)


def add_excludes(m: pyo.ConcreteModel, data: ModelData) -> None:
    """online_fraction[a,y] + online_fraction[b,y] <= 1   for (a excludes b), every modelled year y

    Alternatives are never online together (SPEC §3.1), whatever their status: a candidate
    excluded by an existing or committed asset is never online while that asset is (it can only
    be built for years after the other retires). Two existing/committed assets online together
    contradict each other: the scenario is refused when the data are prepared
    (``data._check_fixed_excludes``), so both sides constant here are already known to hold.
    """
    index = [(a, b, y) for a, b in data.excludes for y in data.years
             if data.can_be_online(a, y) and data.can_be_online(b, y)]

    def excludes_rule(m, a, b, y):
        lhs = online_fraction(m, data, a, y) + online_fraction(m, data, b, y)
        if isinstance(lhs, float):
            return pyo.Constraint.Skip
        return lhs <= 1

    m.excludes = pyo.Constraint(pyo.Set(dimen=3, initialize=index, ordered=True), rule=excludes_rule)


def fraction_arrays(m: pyo.ConcreteModel, data: ModelData, pairs, kind: str = "operating", years=None,
                    codes=None):
    """The operating (or online) fractions of many (asset, year) pairs at once, for an array family:
    (constant, position, target): ``constant[i]`` the fraction where the data settle it (NaN where it
    is a variable), ``position[i]`` its variable's position in ``target`` (a PyomoColumns of the
    ``online``/``operating`` VarData met), -1 where it is a constant. ``pairs``: a list of (asset,
    year), or an array of assets with ``years`` an array of years, or None with ``codes``: (asset
    codes, assets, year codes, years) as index_fields gives them. Looked up once per distinct pair."""
    if codes is not None:
        a_codes, a_unique, y_codes, y_unique = codes
    else:
        if years is None:
            assets = np.array([a for a, _y in pairs], dtype=object)
            years = np.array([y for _a, y in pairs], dtype=np.int64)
        else:
            assets = pairs
        if len(assets) == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64), PyomoColumns(())
        a_codes, a_unique = pd.factorize(assets)
        y_codes, y_unique = pd.factorize(years)
    if len(a_codes) == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), PyomoColumns(())
    ny = len(y_unique)
    # the distinct pairs in order of their codes, and each entry's one (as np.unique, without a sort)
    code = np.asarray(a_codes, dtype=np.int64) * ny + y_codes
    seen = np.zeros(len(a_unique) * ny, dtype=bool)
    seen[code] = True
    unique = np.flatnonzero(seen)
    inverse = (np.cumsum(seen) - 1)[code]
    online, operating = _fractions(m, data)
    variables: list = []
    numbers: dict = {}
    const_u = np.empty(len(unique))
    pos_u = np.empty(len(unique), dtype=np.int64)
    for k, c in enumerate(unique.tolist()):
        pair = (a_unique[c // ny], int(y_unique[c % ny]))
        term = operating.get(pair) if kind == "operating" else None
        if term is None:
            term = online.get(pair, 0.0)
        if isinstance(term, float):
            const_u[k], pos_u[k] = term, -1
        else:
            j = numbers.get(id(term))
            if j is None:
                j = numbers[id(term)] = len(variables)
                variables.append(term)
            const_u[k], pos_u[k] = np.nan, j
    return const_u[inverse], pos_u[inverse], PyomoColumns(variables)
