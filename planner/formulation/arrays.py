"""Array-backed variables and families: the model's large operating part without a Python object
per column or per row (issue 21).

planner keeps Pyomo for the small, logical families (build logic, targets' shortfalls, limits) and
holds the variables indexed by slice (gen, flow, imports, charge, soc, unserved, paid_energy) and
the families over them as numpy arrays:

- ``ArrayVar``: a variable family: its name, its keys (index tuples, in order), lower and upper
  bounds, an integer flag; after a solve its ``value`` array. ``var[key]`` gives a small entry
  (``.value``, ``.lb``, ``.ub``) for a rare scalar reader; ``positions(keys)`` looks many up at once.
- ``Linear``: a linear expression over array columns and Pyomo variables (parts of (target,
  positions, coefficients)) plus a constant: a year's cost component, the objective.
- ``ArrayRows``: a constraint family: one row per key, its sense and right-hand side, and the
  coefficients as triplets (row, column of a target, value). A row may reference Pyomo variables
  (online[a,y], operating[a,y], shortfalls); the compiler (matrix.py) numbers Pyomo columns and
  array columns in one column space.

Each model (or block of an extensive form) holds its array part in ``arrays_of(m)``, in the order
the families were added; a row is named (family name, index tuple) and a column (variable name,
index tuple), as Pyomo's components were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: row senses (as matrix.py): equality, <= (upper bound), >= (lower bound)
EQ, LE, GE = 0, 1, -1
INF = float("inf")


class PyomoColumns:
    """A target of array coefficients that are Pyomo variables: a tuple of VarData (few: the
    online and operating fractions, shortfalls), referenced by position."""

    __slots__ = ("vars",)

    def __init__(self, vars_) -> None:
        self.vars = tuple(vars_)

    def values(self) -> np.ndarray:
        return np.fromiter(((v.value or 0.0) for v in self.vars), float, len(self.vars))


class _Entry:
    """One column of an ArrayVar, for a scalar reader: value, lb, ub, fixed (as Pyomo's VarData)."""

    __slots__ = ("var", "i")

    def __init__(self, var: "ArrayVar", i: int) -> None:
        self.var, self.i = var, i

    @property
    def value(self):
        return None if self.var.value is None else float(self.var.value[self.i])

    @property
    def lb(self):
        v = self.var.lower[self.i]
        return None if v == -INF else float(v)

    @property
    def ub(self):
        v = self.var.upper[self.i]
        return None if v == INF else float(v)

    def setub(self, ub) -> None:
        self.var.upper[self.i] = INF if ub is None else ub

    def setlb(self, lb) -> None:
        self.var.lower[self.i] = -INF if lb is None else lb

    def index(self):
        return self.var.keys[self.i]


class ArrayVar:
    """A variable family held as arrays (see the module's docstring)."""

    def __init__(self, name: str, keys: list, lower=0.0, upper=INF, integer: bool = False) -> None:
        self.name = name
        self.keys = keys if isinstance(keys, Sequence) else list(keys)
        n = len(self.keys)
        self.lower = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy()
        self.upper = np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy()
        self.integer = integer
        self.value: np.ndarray | None = None
        self._pos: dict | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self):
        return iter(self.keys)

    def __contains__(self, key) -> bool:
        return key in self.position

    @property
    def position(self) -> dict:
        """key -> position, built when first asked (a scalar reader, a small family)."""
        if self._pos is None:
            self._pos = {k: i for i, k in enumerate(self.keys)}
        return self._pos

    def positions(self, keys) -> np.ndarray:
        """Positions of many keys at once (-1 where a key is not a column of this variable)."""
        get = self.position.get
        return np.fromiter((get(k, -1) for k in keys), np.int64)

    def __getitem__(self, key) -> _Entry:
        return _Entry(self, self.position[key])

    def items(self):
        return ((k, _Entry(self, i)) for i, k in enumerate(self.keys))

    def values_or_zero(self) -> np.ndarray:
        return np.zeros(len(self.keys)) if self.value is None else self.value


def coefficients(coef, shape) -> np.ndarray:
    """coef as a read-only float array of ``shape``: a scalar broadcast (no memory per entry), an
    array of that shape taken as it is, not copied (a family keeps what it is handed; nothing
    writes into a part's coefficients, and broadcast_to's read-only view makes sure of it)."""
    return np.broadcast_to(np.asarray(coef, dtype=float), shape)


def _as_part(target, pos, coef):
    pos = np.asarray(pos, dtype=np.int64)
    return target, pos, coefficients(coef, pos.shape)


class Linear:
    """sum of coefficient x column over its parts, plus a constant (MUSD for a cost)."""

    __slots__ = ("parts", "constant")

    def __init__(self, parts=(), constant: float = 0.0) -> None:
        self.parts = list(parts)
        self.constant = float(constant)

    @classmethod
    def of(cls, target, pos, coef) -> "Linear":
        pos = np.asarray(pos, dtype=np.int64)
        return cls([_as_part(target, pos, coef)] if len(pos) else [])

    @classmethod
    def pyomo(cls, terms, constant: float = 0.0) -> "Linear":
        """[(VarData, coefficient)] as a Linear."""
        terms = list(terms)
        if not terms:
            return cls((), constant)
        target = PyomoColumns(v for v, _c in terms)
        return cls([(target, np.arange(len(terms)), np.fromiter((c for _v, c in terms), float, len(terms)))],
                   constant)

    @classmethod
    def from_expression(cls, expr) -> "Linear":
        """A (small) Pyomo expression, or a number, or a Linear, as a Linear."""
        if isinstance(expr, Linear):
            return expr
        if isinstance(expr, (int, float)):
            return cls((), float(expr))
        return _walk(expr)

    def __add__(self, other) -> "Linear":
        other = Linear.from_expression(other)
        return Linear(self.parts + other.parts, self.constant + other.constant)

    __radd__ = __add__

    def __sub__(self, other) -> "Linear":
        return self + (-1.0) * Linear.from_expression(other)

    def __rsub__(self, other) -> "Linear":
        return Linear.from_expression(other) + (-1.0) * self

    def __neg__(self) -> "Linear":
        return (-1.0) * self

    def __mul__(self, k) -> "Linear":
        k = float(k)
        return Linear([(t, p, c * k) for t, p, c in self.parts], self.constant * k)

    __rmul__ = __mul__

    def __truediv__(self, k) -> "Linear":
        return self * (1.0 / float(k))

    def value(self) -> float:
        total = self.constant
        for target, pos, coef in self.parts:
            vals = target.values() if isinstance(target, PyomoColumns) else target.values_or_zero()
            total += float(coef @ vals[pos]) if len(pos) else 0.0
        return total

    def is_empty(self) -> bool:
        return not any(len(p) for _, p, _ in self.parts)


def _walk(expr) -> Linear:
    """A Pyomo expression's linear form (the visitor Pyomo's writers use)."""
    from pyomo.repn.linear import LinearRepnVisitor

    class _Recorder:
        def __init__(self):
            self.var_map = {}

        def add(self, var):
            self.var_map[id(var)] = var

    rec = _Recorder()
    repn = LinearRepnVisitor({}, var_recorder=rec).walk_expression(expr)
    if repn.nonlinear is not None:
        raise ValueError("not a linear expression")
    terms = [(rec.var_map[i], float(c)) for i, c in repn.linear.items()]
    return Linear.pyomo(terms, float(repn.constant))


def value(expr) -> float:
    """The value of a Linear, a Pyomo expression or a number (0 for an unsolved variable)."""
    if isinstance(expr, Linear):
        return expr.value()
    if isinstance(expr, (int, float)):
        return float(expr)
    import pyomo.core as pyo

    return float(pyo.value(expr, exception=False) or 0.0)


class Taken(Sequence):
    """The keys ``keys[i]`` for i in ``take``, in that order, read when asked: a family's keys that
    are a selection of another's (e.g. the rows of gen's entries whose fraction is a variable),
    without a list of a million tuples."""

    __slots__ = ("base", "take")

    def __init__(self, base, take: np.ndarray) -> None:
        self.base, self.take = base, np.asarray(take, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.take)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.base[t] for t in self.take[i].tolist()]
        return self.base[int(self.take[i])]

    def __iter__(self):
        return map(self.base.__getitem__, self.take.tolist())

    def __eq__(self, other) -> bool:
        return list(self) == list(other)


class ArrayRows:
    """A constraint family held as arrays: row i is  sum_j A[i,j] x_j (sense_i) rhs_i  for key i.

    ``parts``: (target, rows, positions, coefficients), target an ArrayVar or PyomoColumns;
    ``first``: compiled before Pyomo's rows (matrix.compile_model)."""

    def __init__(self, name: str, keys: list, sense, rhs, first: bool = False) -> None:
        self.name = name
        self.keys = keys if isinstance(keys, Sequence) else list(keys)
        n = len(self.keys)
        self.sense = np.broadcast_to(np.asarray(sense, dtype=np.int8), (n,)).copy()
        self.rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (n,)).copy()
        self.parts: list = []
        #: its rows before Pyomo's in the compiled matrix, its Pyomo columns numbered first (a family
        #: that was the model's first Pyomo constraint keeps its place: the same matrix as then)
        self.first = first

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, target, rows, pos, coef) -> "ArrayRows":
        """Add coef x target[pos] to rows (arrays of equal length; coef may be a scalar)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            pos = np.asarray(pos, dtype=np.int64)
            self.parts.append((target, rows, pos, coefficients(coef, rows.shape)))
        return self

    def add_pyomo(self, rows, vars_, coef) -> "ArrayRows":
        """Add coef_k x vars_[k] to rows[k], vars_ Pyomo VarData (numbered once per distinct one)."""
        if not len(vars_):
            return self
        number: dict = {}
        pos = np.fromiter((number.setdefault(id(v), len(number)) for v in vars_), np.int64, len(vars_))
        unique = {id(v): v for v in vars_}
        target = PyomoColumns(unique[i] for i in number)
        return self.add(target, rows, pos, coef)

    @classmethod
    def from_linears(cls, name: str, keys: list, linears: list, sense, rhs) -> "ArrayRows":
        """One row per Linear (a small family): Linear (sense) rhs - its constant."""
        rows = cls(name, keys, sense, np.asarray(rhs, dtype=float) - np.array([lin.constant for lin in linears]))
        for i, lin in enumerate(linears):
            for target, pos, coef in lin.parts:
                rows.add(target, np.full(len(pos), i), pos, coef)
        return rows


@dataclass
class ArrayObjective:
    """An objective stated as a Linear (minimised), with Pyomo's activate/deactivate."""

    expr: Linear
    active: bool = True

    def activate(self) -> None:
        self.active = True

    def deactivate(self) -> None:
        self.active = False


@dataclass
class Expression:
    """A named Linear (Pyomo's Expression for arrays): ``.expr``."""

    expr: Linear


class CostComponent:
    """One annual cost component (MUSD) by year: ``component[y]`` is a Linear."""

    def __init__(self, name: str, by_year: dict) -> None:
        self.name = name
        self.by_year = by_year

    def __getitem__(self, y) -> Linear:
        return self.by_year[y]

    def __iter__(self):
        return iter(self.by_year)


@dataclass
class ArrayPart:
    """A model's (or block's) array families, in the order they were added."""

    vars: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    objectives: dict = field(default_factory=dict)


def arrays_of(m) -> ArrayPart:
    """The array part of a model or block (made empty on first use)."""
    part = m.__dict__.get("_array_part")
    if part is None:
        part = ArrayPart()
        m.__dict__["_array_part"] = part
    return part


def add_var(m, var: ArrayVar) -> ArrayVar:
    arrays_of(m).vars[var.name] = var
    m.__dict__[var.name] = var
    return var


def add_rows(m, rows: ArrayRows) -> ArrayRows:
    arrays_of(m).rows[rows.name] = rows
    m.__dict__[rows.name] = rows
    return rows


def remove(m, name: str) -> None:
    """Remove an array family or objective (Pyomo's del_component for arrays)."""
    part = arrays_of(m)
    part.rows.pop(name, None)
    part.objectives.pop(name, None)
    m.__dict__.pop(name, None)


def add_objective(m, name: str, expr, active: bool = True) -> ArrayObjective:
    """An objective (minimised) over array and Pyomo columns, e.g. ``total_cost``."""
    objective = ArrayObjective(Linear.from_expression(expr), active)
    arrays_of(m).objectives[name] = objective
    m.__dict__[name] = objective
    return objective


def release(m) -> None:
    """Drop every array row family of a compiled model (solve.release_constraints)."""
    part = arrays_of(m)
    for name in list(part.rows):
        m.__dict__.pop(name, None)
    part.rows.clear()


def to_pyomo(m) -> None:
    """Turn a model's array part into Pyomo components, in place: each ArrayVar a Var indexed by
    position (0, 1, ...), each ArrayRows a Constraint (rows by position), the active array objective
    a Pyomo Objective of the same name. For a method that needs a Pyomo model it can hand to a
    solver itself (progressive hedging on mpi-sppy, stochastic/ph.py); planner's own solves compile
    the arrays directly (matrix.py). Slow at scale: a Python object per column and row."""
    import pyomo.core as pyo

    part = arrays_of(m)
    columns: dict[int, list] = {}
    for name, var in list(part.vars.items()):
        m.__dict__.pop(name, None)
        lower = [None if v == -INF else float(v) for v in var.lower]
        upper = [None if v == INF else float(v) for v in var.upper]
        pv = pyo.Var(range(len(var)), bounds=lambda _m, i, lo=lower, up=upper: (lo[i], up[i]),
                     domain=pyo.Integers if var.integer else pyo.Reals)
        m.add_component(name, pv)
        columns[id(var)] = [pv[i] for i in range(len(var))]

    def vars_of(target) -> list:
        return list(target.vars) if isinstance(target, PyomoColumns) else columns[id(target)]

    def expression(terms: list, constant: float = 0.0):
        return sum((c * v for v, c in terms), start=constant) if terms else constant

    for name, rows in list(part.rows.items()):
        m.__dict__.pop(name, None)
        terms: list[list] = [[] for _ in range(len(rows))]
        for target, rr, pos, coef in rows.parts:
            vs = vars_of(target)
            for r, j, c in zip(rr.tolist(), pos.tolist(), coef.tolist()):
                terms[r].append((vs[j], c))

        def rule(_m, i, rows=rows, terms=terms):
            if not terms[i]:
                return pyo.Constraint.Skip
            body, rhs = expression(terms[i]), float(rows.rhs[i])
            sense = rows.sense[i]
            return body == rhs if sense == EQ else (body <= rhs if sense == LE else body >= rhs)

        m.add_component(name, pyo.Constraint(range(len(rows)), rule=rule))
    part.rows.clear()
    for name, objective in list(part.objectives.items()):
        m.__dict__.pop(name, None)
        lin = objective.expr
        terms = [(v, c) for target, pos, coef in lin.parts
                 for v, c in zip([vars_of(target)[j] for j in pos.tolist()], coef.tolist())]
        m.add_component(name, pyo.Objective(expr=expression(terms, lin.constant), sense=pyo.minimize))
        if not objective.active:
            getattr(m, name).deactivate()
    part.objectives.clear()
    part.vars.clear()
