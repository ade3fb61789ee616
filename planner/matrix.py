"""The built model in matrix form (mixed form: each row an equality or one inequality): its
Pyomo part (the small, logical families) and its array part (formulation/arrays.py: the operating
variables and the families over them) in one column space.

Pyomo's part is read as Pyomo's LinearStandardFormCompiler would (the same rows and columns, in its
order), but each row's coefficients are copied into flat arrays as it goes: the plain shapes
planner's families write (``_plain_row``) are read directly, any other row goes to Pyomo's visitor
(``LinearRepnVisitor``). The array families' triplets are then stacked below, their columns after
Pyomo's, and the matrix is built once (duplicates summed, zeros dropped). Rows and columns are named
(family name, index) by ``Names``, made when asked (a family's keys and positions, not a tuple per
row), so that the constraints can be released once compiled (solve.solve_model's ``release``).
tests/test_matrix.py compares the result with Pyomo's own compiler on the same families written as
Pyomo components (arrays.to_pyomo).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import pyomo.core as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.common.numeric_types import native_numeric_types, native_types
from pyomo.core.base.var import VarData
from pyomo.core.expr import numeric_expr as nx
from pyomo.core.expr.relational_expr import EqualityExpression, RangedExpression
from pyomo.repn.linear import LinearRepnVisitor
from pyomo.repn.util import FileDeterminism, FileDeterminism_to_SortComponents


def _skip_pyomo_scipy_extras() -> None:
    """Pyomo resolves its deferred ``scipy`` import (on any import of scipy, ours included) with a
    callback that also imports scipy.stats, .integrate and .spatial: 0.5 s of every
    solve, for modules planner never uses (scipy loads them lazily if anything asks). The
    callback is dropped before the first resolution; if Pyomo changes this internal, nothing
    happens and the import just costs its time."""
    from pyomo.common import dependencies

    indicator = getattr(dependencies, "scipy_available", None)
    if indicator is not None and getattr(indicator, "_module", "resolved") is None and hasattr(indicator, "_callback"):
        indicator._callback = None


#: Pyomo's compiler's default ordering of components and indices (FileDeterminism.ORDERED)
SORTER = FileDeterminism_to_SortComponents(FileDeterminism.ORDERED)
#: row senses, as Pyomo's compiler names them: equality, <= (upper bound), >= (lower bound)
EQ, LE, GE = 0, 1, -1


class Names:
    """The names of a matrix's rows (or columns), made when asked: a sequence of (family name, index
    tuple). Pyomo's rows and columns are few and listed; an array family is held as its name, its
    keys and the positions of its kept entries, so naming a million rows costs nothing until one is
    read. ``positions(name)`` selects a family by name: (positions in the matrix, keys)."""

    def __init__(self) -> None:
        self.blocks: list = []  # (start, name or None, keys, take): take None = every key
        self.size = 0

    def add_listed(self, names: list) -> None:
        if names:
            self.blocks.append((self.size, None, names, None))
            self.size += len(names)

    def add_family(self, name: str, keys: list, take: np.ndarray | None = None) -> None:
        n = len(keys) if take is None else len(take)
        if n:
            self.blocks.append((self.size, name, keys, take))
            self.size += n

    def __len__(self) -> int:
        return self.size

    def _block(self, i: int):
        lo, hi = 0, len(self.blocks)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.blocks[mid][0] <= i:
                lo = mid
            else:
                hi = mid
        return self.blocks[lo]

    def __getitem__(self, i: int):
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(i)
        start, name, keys, take = self._block(i)
        k = i - start
        if name is None:
            return keys[k]
        return (name, keys[k if take is None else int(take[k])])

    def __iter__(self):
        for _start, name, keys, take in self.blocks:
            if name is None:
                yield from keys
            elif take is None:
                for k in keys:
                    yield (name, k)
            else:
                for t in take:
                    yield (name, keys[t])

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def names(self) -> np.ndarray:
        """The family name of every entry, as an array (for masks)."""
        out = np.empty(self.size, dtype=object)
        for start, name, keys, take in self.blocks:
            n = len(keys) if take is None else len(take)
            if name is None:
                out[start:start + n] = [k[0] for k in keys]
            else:
                out[start:start + n] = name
        return out

    def positions(self, name: str) -> tuple[np.ndarray, list]:
        """(positions, keys) of the entries of family ``name``, in order."""
        pos, keys_out = [], []
        for start, bname, keys, take in self.blocks:
            if bname is None:
                for k, (nm, index) in enumerate(keys):
                    if nm == name:
                        pos.append(np.array([start + k]))
                        keys_out.append(index)
            elif bname == name:
                n = len(keys) if take is None else len(take)
                pos.append(np.arange(start, start + n))
                keys_out.extend(keys if take is None else [keys[t] for t in take])
        return (np.concatenate(pos) if pos else np.zeros(0, dtype=np.int64)), keys_out


@dataclass
class Matrix:
    """min c x + offset subject to, for each row i, A_i x (= | <= | >=) rhs_i by sense_i, with
    column bounds and integrality."""

    A: object  # scipy.sparse.csc_matrix
    rhs: np.ndarray
    sense: np.ndarray  # int8: EQ, LE or GE
    rows: Names  # each row as (family name, index): a ranged constraint gives two rows
    columns: Names  # each column as (variable name, index)
    c: np.ndarray
    offset: float
    col_lower: np.ndarray = None
    col_upper: np.ndarray = None
    integer: np.ndarray = None
    #: the Pyomo variable of each Pyomo column (columns 0 .. len-1), and per ArrayVar its column of
    #: each entry (-1: dropped, it appears nowhere)
    pyomo_columns: list = None
    array_columns: list = None  # (ArrayVar, column per entry)


_SUMS = frozenset({nx.SumExpression, nx.LinearExpression, nx._MutableSumExpression, nx._MutableLinearExpression})


class _NotPlain(Exception):
    """An expression the plain walk leaves to Pyomo's visitor."""


def _plain_terms(expr, sign: float, linear: dict, recorder: "_ColumnNumbers") -> float:
    """Add sign x expr's variable terms to ``linear`` (variable id -> coefficient; new variables
    numbered by ``recorder``) and return sign x its constant, for the shapes planner's families
    write: sums of numbers, variables, (number x variable) terms and negations. Anything else (a
    product of sums, a fixed variable, a zero coefficient, a Param) raises _NotPlain, and the
    constraint is walked by Pyomo's visitor instead. The terms are met in the visitor's order (left
    to right), so columns are numbered as it numbers them, and each coefficient is the same float."""
    cls = expr.__class__
    if cls in native_numeric_types:
        return sign * expr
    if cls is nx.MonomialTermExpression:
        coef, var = expr.args
        if coef.__class__ not in native_numeric_types or not coef or var.fixed:
            raise _NotPlain
        coef = sign * coef
    elif cls in _SUMS:
        constant = 0
        for arg in expr.args:
            constant += _plain_terms(arg, sign, linear, recorder)
        return constant
    elif cls is nx.NegationExpression:
        return _plain_terms(expr.args[0], -sign, linear, recorder)
    elif isinstance(expr, VarData) and not expr.fixed:
        var, coef = expr, sign
    else:
        raise _NotPlain
    key = id(var)
    if key in linear:
        linear[key] += coef
    else:
        if key not in recorder.var_map:
            recorder.add(var)
        linear[key] = coef
    return 0


def _plain_row(con, recorder: "_ColumnNumbers"):
    """(lb, constant, linear, ub) of a constraint as Pyomo's ``to_bounded_expression`` and visitor
    give them (the body's constant and its terms by variable id), without building the body
    ``lhs - rhs`` of a two-sided relation: its sides are walked one after the other. Raises
    _NotPlain where _plain_terms does, or where a bound is not a plain number."""
    expr = con.expr
    cls = expr.__class__
    linear: dict = {}
    if cls is RangedExpression:
        lb, body, ub = expr.args
        rhs_terms = None
    else:
        lhs, rhs = expr.args
        equality = cls is EqualityExpression
        if rhs.__class__ in native_numeric_types:
            lb, body, ub, rhs_terms = (rhs if equality else None), lhs, rhs, None
        elif lhs.__class__ in native_numeric_types:
            lb, body, ub, rhs_terms = lhs, rhs, (lhs if equality else None), None
        elif rhs.is_potentially_variable() and lhs.is_potentially_variable():
            lb, body, ub, rhs_terms = (0 if equality else None), lhs, 0, rhs
        else:
            raise _NotPlain
    if lb.__class__ not in native_numeric_types and lb is not None or (
            ub.__class__ not in native_numeric_types and ub is not None):
        raise _NotPlain
    constant = _plain_terms(body, 1.0, linear, recorder)
    if rhs_terms is not None:
        constant += _plain_terms(rhs_terms, -1.0, linear, recorder)
    return lb, constant, linear, ub


class _ColumnNumbers:
    """The visitor's variable recorder: when it first meets a variable, every unfixed variable of the
    same component gets its column number, in index order (as Pyomo's compiler numbers them, so an
    expression that met the indices out of order gives the same columns). ``var_map`` is what the
    visitor looks a variable's id up in; here it holds the column number."""

    def __init__(self) -> None:
        self.var_map: dict[int, int] = {}
        self.columns: list = []

    def add(self, var) -> None:
        numbers, columns = self.var_map, self.columns
        try:
            members = var.parent_component().values(SORTER)
        except AttributeError:  # a variable without a component
            members = (var,)
        for v in members:
            if not v.fixed and id(v) not in numbers:
                numbers[id(v)] = len(columns)
                columns.append(v)


def _blocks(m):
    """The model and every active block below it (an extensive form's futures), in order."""
    yield m
    yield from m.component_data_objects(pyo.Block, active=True, descend_into=True, sort=SORTER)


def compile_model(m: pyo.ConcreteModel) -> Matrix:
    """The active objective and constraints of ``m``, Pyomo's and the array families'
    (formulation.arrays), as one matrix (see the module's docstring).

    The rows of the array families marked ``first`` come first (formulation/arrays.py, ArrayRows),
    then Pyomo's (a constraint with neither bound is left out; one with no variables is
    checked and left out, InfeasibleConstraintException when it cannot hold; a ranged one gives an
    upper and a lower row), then each array family's, in the order they were added; an array row
    left without a coefficient is checked and left out the same way. Columns: Pyomo's variables (as
    the visitor numbers them), then each ArrayVar's entries; columns that appear in no row and not in
    the objective are dropped."""
    _skip_pyomo_scipy_extras()
    from scipy import sparse  # here, not at import: planner validate and --help never need it

    from .formulation.arrays import PyomoColumns

    recorder = _ColumnNumbers()
    visitor = LinearRepnVisitor({}, var_recorder=recorder)
    numbers = recorder.var_map
    parts = [part for part in (b.__dict__.get("_array_part") for b in _blocks(m)) if part is not None]

    objectives = list(m.component_data_objects(pyo.Objective, active=True, sort=SORTER))
    array_objectives = [o for part in parts for o in part.objectives.values() if o.active]
    if len(objectives) + len(array_objectives) != 1:
        raise ValueError(f"expected one active objective, found {len(objectives) + len(array_objectives)}")
    cost_index, cost_value, cost_parts, offset = [], [], [], 0.0
    if objectives:
        objective = objectives[0]
        repn = visitor.walk_expression(objective.expr)
        if repn.nonlinear is not None:
            raise ValueError(f"objective {objective.name} is not linear")
        sign = 1.0 if objective.sense == pyo.minimize else -1.0
        cost_index = [numbers[v] for v in repn.linear]
        cost_value = [sign * c for c in repn.linear.values()]
        offset = sign * float(repn.constant)
    else:
        cost_parts = array_objectives[0].expr.parts
        offset = array_objectives[0].expr.constant

    # families stated first (``ArrayRows.first``: Pyomo's first constraints once): their rows come
    # before Pyomo's and their Pyomo variables are numbered before Pyomo's rows are walked, as then
    leading = [fam for part in parts for fam in part.rows.values() if fam.first]
    for fam in leading:
        for target, *_ in fam.parts:
            if isinstance(target, PyomoColumns):
                for v in target.vars:
                    if not v.fixed and id(v) not in numbers:
                        recorder.add(v)
    n_first = sum(len(fam) for fam in leading)

    index, data, start = array("i"), array("d"), array("q", [0])
    rhs, sense, rows = array("d"), array("b"), []
    last = name = None
    column_of = numbers.__getitem__
    for con in m.component_data_objects(pyo.Constraint, active=True, sort=SORTER):
        component = con.parent_component()
        if component is not last:
            last, name = component, component.local_name
        try:
            lb, constant, linear, ub = _plain_row(con, recorder)
        except _NotPlain:
            lb, body, ub = con.to_bounded_expression()
            if lb is not None and lb.__class__ not in native_types:
                lb = pyo.value(lb)
            if ub is not None and ub.__class__ not in native_types:
                ub = pyo.value(ub)
            repn = visitor.walk_expression(body)
            if repn.nonlinear is not None:
                raise ValueError(f"constraint {con.name} is not linear")
            constant, linear = repn.constant, repn.linear
        if lb is None and ub is None:
            continue
        if not linear:
            if (lb is None or lb <= constant) and (ub is None or ub >= constant):
                continue
            raise InfeasibleConstraintException(f"model contains a trivially infeasible constraint, '{con.name}'")
        key = (name, con.index())
        if lb == ub or lb is None or ub is None:  # one row (the common case): copied straight in
            index.extend(map(column_of, linear))
            data.extend(linear.values())
            start.append(len(data))
            sense.append(EQ if lb == ub else (LE if lb is None else GE))
            rhs.append((ub if lb is None or lb == ub else lb) - constant)
            rows.append(key)
            continue
        cols, values = list(map(column_of, linear)), list(linear.values())
        for s, bound in ((LE, ub), (GE, lb)):  # a ranged constraint: an upper and a lower row
            index.extend(cols)
            data.extend(values)
            start.append(len(data))
            rhs.append(bound - constant)
            sense.append(s)
            rows.append(key)

    # the Pyomo variables the array families name get their columns (a whole component at a time)
    seen: set[int] = set()
    for part in parts:
        targets = [t for fam in part.rows.values() for t, *_ in fam.parts]
        targets += [t for o in part.objectives.values() if o.active for t, *_ in o.expr.parts]
        for target in targets:
            if isinstance(target, PyomoColumns) and id(target) not in seen:
                seen.add(id(target))
                for v in target.vars:
                    if not v.fixed and id(v) not in numbers:
                        recorder.add(v)
    n_pyomo = len(recorder.columns)
    first_column: dict[int, int] = {}
    array_vars = []
    n = n_pyomo
    for part in parts:
        for var in part.vars.values():
            first_column[id(var)] = n
            array_vars.append(var)
            n += len(var)

    looked_up: dict[int, tuple] = {}  # id(PyomoColumns) -> (column of each, value where fixed), once

    def columns_of(target, pos):
        """(columns, value of fixed Pyomo variables where the column is -1) of target[pos]."""
        if isinstance(target, PyomoColumns):
            hit = looked_up.get(id(target))
            if hit is None:
                get, n_vars = numbers.get, len(target.vars)
                hit = looked_up[id(target)] = (
                    np.fromiter((get(id(v), -1) for v in target.vars), np.int64, n_vars),
                    np.fromiter(((v.value or 0.0) if v.fixed else 0.0 for v in target.vars), float, n_vars))
            return hit[0][pos], hit[1][pos]
        return first_column[id(target)] + pos, None

    m_pyomo = len(rows)
    coo_r, coo_c, coo_v, all_rhs, all_sense, families = [], [], [], [], [], []

    def add_family(fam, r0: int) -> None:
        fam_rhs = fam.rhs.copy()
        for target, rr, pos, coef in fam.parts:
            cols, fixed = columns_of(target, pos)
            if fixed is not None and (cols < 0).any():
                gone = cols < 0
                np.subtract.at(fam_rhs, rr[gone], coef[gone] * fixed[gone])
                rr, cols, coef = rr[~gone], cols[~gone], coef[~gone]
            coo_r.append(rr + r0)
            coo_c.append(cols)
            coo_v.append(coef)
        all_rhs.append(fam_rhs)
        all_sense.append(fam.sense)
        families.append((fam.name, fam.keys, r0, r0 + len(fam)))

    r0 = 0
    for fam in leading:
        add_family(fam, r0)
        r0 += len(fam)
    counts = np.diff(np.frombuffer(start, dtype=np.int64))
    coo_r.append(np.repeat(np.arange(n_first, n_first + m_pyomo, dtype=np.int64), counts))
    coo_c.append(np.frombuffer(index, dtype=np.int32).astype(np.int64))
    coo_v.append(np.frombuffer(data, dtype=np.float64))
    all_rhs.append(np.frombuffer(rhs, dtype=np.float64))
    all_sense.append(np.frombuffer(sense, dtype=np.int8))
    r0 = n_first + m_pyomo
    for part in parts:
        for fam in part.rows.values():
            if not fam.first:
                add_family(fam, r0)
                r0 += len(fam)
    n_rows = r0
    a = sparse.coo_matrix((np.concatenate(coo_v), (np.concatenate(coo_r), np.concatenate(coo_c))),
                          shape=(n_rows, n)).tocsc()  # duplicates summed
    del coo_r, coo_c, coo_v
    a.eliminate_zeros()
    rhs_all = np.concatenate(all_rhs)
    sense_all = np.concatenate(all_sense)
    empty = np.bincount(a.indices, minlength=n_rows) == 0
    empty[n_first:n_first + m_pyomo] = False  # Pyomo's were checked above
    if empty.any():
        bad = empty & (((sense_all == EQ) & (rhs_all != 0)) | ((sense_all == LE) & (rhs_all < 0))
                       | ((sense_all == GE) & (rhs_all > 0)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            fam = next(f for f in families if f[2] <= i < f[3])
            raise InfeasibleConstraintException(
                f"model contains a trivially infeasible constraint, '{fam[0]}{list(fam[1][i - fam[2]])}'")
        keep_rows = ~empty
        new_row = np.cumsum(keep_rows) - 1
        a = sparse.csc_matrix((a.data, new_row[a.indices], a.indptr), shape=(int(keep_rows.sum()), n))
        rhs_all, sense_all = rhs_all[keep_rows], sense_all[keep_rows]
    else:
        keep_rows = None
    row_names = Names()
    for k, (name, keys, lo, hi) in enumerate(families):  # in row order: the leading ones, Pyomo's, the rest
        if k == len(leading):
            row_names.add_listed(rows)
        take = None if keep_rows is None or keep_rows[lo:hi].all() else np.flatnonzero(keep_rows[lo:hi])
        row_names.add_family(name, keys, take)
    if len(families) == len(leading):
        row_names.add_listed(rows)

    c = np.zeros(n)
    np.add.at(c, np.asarray(cost_index, dtype=np.int64), np.asarray(cost_value, dtype=float))
    for target, pos, coef in cost_parts:
        cols, fixed = columns_of(target, pos)
        if fixed is not None and (cols < 0).any():
            gone = cols < 0
            offset += float(coef[gone] @ fixed[gone])
            cols, coef = cols[~gone], coef[~gone]
        np.add.at(c, cols, coef)
    used = (np.diff(a.indptr) > 0) | (c != 0)
    pyomo_vars = recorder.columns
    bounds = np.array([v.bounds for v in pyomo_vars], dtype=float).reshape(n_pyomo, 2)  # None -> nan
    lower = np.concatenate([np.where(np.isnan(bounds[:, 0]), -np.inf, bounds[:, 0])] + [v.lower for v in array_vars])
    upper = np.concatenate([np.where(np.isnan(bounds[:, 1]), np.inf, bounds[:, 1])] + [v.upper for v in array_vars])
    integer = np.concatenate([np.fromiter((v.is_integer() for v in pyomo_vars), bool, n_pyomo)]
                             + [np.full(len(v), v.integer) for v in array_vars])
    if not used.all():
        a = a[:, used]
        c, lower, upper, integer = c[used], lower[used], upper[used], integer[used]
    new_column = np.cumsum(used) - 1
    new_column[~used] = -1
    kept_pyomo = [v for v, u in zip(pyomo_vars, used[:n_pyomo]) if u]
    column_names = Names()
    column_names.add_listed([(v.parent_component().local_name, v.index()) for v in kept_pyomo])
    array_columns = []
    for var in array_vars:
        lo = first_column[id(var)]
        here = used[lo:lo + len(var)]
        column_names.add_family(var.name, var.keys, None if here.all() else np.flatnonzero(here))
        array_columns.append((var, new_column[lo:lo + len(var)]))
    return Matrix(A=a, rhs=rhs_all.copy(), sense=sense_all.copy(), rows=row_names, columns=column_names, c=c,
                  offset=float(offset), col_lower=lower, col_upper=upper, integer=integer,
                  pyomo_columns=kept_pyomo, array_columns=array_columns)
