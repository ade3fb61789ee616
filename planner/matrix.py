"""The built Pyomo model in matrix form (mixed form: each row an equality or one inequality), the
way Pyomo's LinearStandardFormCompiler gives it, with less memory.

Pyomo's compiler walks every constraint with its linear visitor and keeps each row's
coefficient dictionary until the end, when it joins them into the sparse matrix: at the 'xxlarge'
size of benchmarks/run.py that held about 1 GB above the model itself, the peak of a whole run.
``compile_model`` walks the same expressions with the same visitor (``LinearRepnVisitor``) in the
same order, but copies each row's coefficients into flat arrays as it goes, and numbers columns in
one dictionary. Rows, columns and coefficients are those of Pyomo's compiler, in its order
(tests/test_matrix.py compares the two), so HiGHS sees the same LP. Rows are named by their
constraint's (component name, index), not held as Pyomo objects, so that the constraints can be
released once compiled (solve.solve_model's ``release``).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import pyomo.core as pyo
from pyomo.common.numeric_types import native_types
from pyomo.common.errors import InfeasibleConstraintException
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
        lb, body, ub = con.to_bounded_expression()
        if lb is not None and lb.__class__ not in native_types:
            lb = pyo.value(lb)
        if ub is not None and ub.__class__ not in native_types:
            ub = pyo.value(ub)
        if lb is None and ub is None:
            continue
        repn = visitor.walk_expression(body)
        if repn.nonlinear is not None:
            raise ValueError(f"constraint {con.name} is not linear")
        constant, linear = repn.constant, repn.linear
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
