"""The built Pyomo model in matrix form (mixed form: each row an equality or one inequality), the
way Pyomo's LinearStandardFormCompiler gives it, with less memory.

Pyomo's compiler walks every constraint with its linear visitor and keeps each row's
coefficient dictionary until the end, when it joins them into the sparse matrix: at the 'xxlarge'
size of benchmarks/run.py that held about 1 GB above the model itself, the peak of a whole run.
``compile_model`` reads the same rows in the same order, but copies each row's coefficients into
flat arrays as it goes, and numbers columns in one dictionary. The plain shapes planner's families
write (``_plain_row``) are read directly; any other row goes to Pyomo's visitor
(``LinearRepnVisitor``), as does the objective. Rows, columns and coefficients are those of Pyomo's compiler, in its order
(tests/test_matrix.py compares the two), so HiGHS sees the same LP. Rows are named by their
constraint's (component name, index), not held as Pyomo objects, so that the constraints can be
released once compiled (solve.solve_model's ``release``).
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


@dataclass
class Matrix:
    """min c x + offset subject to, for each row i, A_i x (= | <= | >=) rhs_i by sense_i."""

    A: object  # scipy.sparse.csc_matrix
    rhs: np.ndarray
    sense: np.ndarray  # int8: EQ, LE or GE
    rows: list  # each row's constraint as (component name, index): a ranged constraint gives two rows
    columns: list  # the VarData of each column
    c: np.ndarray
    offset: float


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


def compile_model(m: pyo.ConcreteModel) -> Matrix:
    """The active objective and constraints of ``m`` as a matrix (see the module's docstring).

    A constraint with neither bound is left out; one with no variables is checked and left out
    (InfeasibleConstraintException when it cannot hold); a ranged one gives an upper and a lower
    row. Columns that appear in no row and not in the objective are dropped."""
    _skip_pyomo_scipy_extras()
    from scipy import sparse  # here, not at import: planner validate and --help never need it

    recorder = _ColumnNumbers()
    visitor = LinearRepnVisitor({}, var_recorder=recorder)
    numbers = recorder.var_map

    objectives = list(m.component_data_objects(pyo.Objective, active=True, sort=SORTER))
    if len(objectives) != 1:
        raise ValueError(f"expected one active objective, found {len(objectives)}")
    objective = objectives[0]
    repn = visitor.walk_expression(objective.expr)
    if repn.nonlinear is not None:
        raise ValueError(f"objective {objective.name} is not linear")
    sign = 1.0 if objective.sense == pyo.minimize else -1.0
    cost_index = [numbers[v] for v in repn.linear]
    cost_value = [sign * c for c in repn.linear.values()]
    offset = sign * float(repn.constant)

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

    n = len(recorder.columns)
    a = sparse.csr_matrix((np.frombuffer(data, dtype=np.float64), np.frombuffer(index, dtype=np.int32),
                           np.frombuffer(start, dtype=np.int64)), shape=(len(rows), n)).tocsc()
    del index, data, start
    a.sum_duplicates()
    a.eliminate_zeros()
    c = np.zeros(n)
    np.add.at(c, np.asarray(cost_index, dtype=np.int64), np.asarray(cost_value, dtype=float))
    used = (np.diff(a.indptr) > 0) | (c != 0)
    columns = recorder.columns
    if not used.all():
        a = a[:, used]
        c = c[used]
        columns = [v for v, u in zip(columns, used) if u]
    return Matrix(A=a, rhs=np.frombuffer(rhs, dtype=np.float64).copy(), sense=np.frombuffer(sense, dtype=np.int8).copy(),
                  rows=rows, columns=columns, c=c, offset=offset)
