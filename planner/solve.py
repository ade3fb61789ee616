"""Solve with HiGHS: compile the Pyomo model to matrices, hand them to highspy, read back values
and duals.

The hand-off uses Pyomo's ``LinearStandardFormCompiler`` (mixed form: each row keeps its sense)
and ``highspy.Highs.passModel``, the fastest working route measured for this model size. After an
integer solve the build decisions are fixed and the LP re-solved for the duals (SPEC §3).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

INF = highspy.kHighsInf


@dataclass
class SolveResult:
    """What the solver said, plus the numbers results.py needs."""

    status: str  # optimal | feasible | infeasible | error
    objective_musd: float | None = None
    mip_gap: float | None = None
    build_seconds: float = 0.0
    handoff_seconds: float = 0.0
    solve_seconds: float = 0.0
    n_variables: int = 0
    n_constraints: int = 0
    message: str = ""
    duals: dict = field(default_factory=dict)  # ConstraintData -> dual (d objective / d rhs, MUSD per unit)


@dataclass
class SolverSettings:
    time_limit_s: float = 600.0
    mip_gap: float = 0.005
    threads: int | None = None
    log: Callable[[str], None] | None = None  # receives HiGHS log lines; None = silent
    method: str = "choose"  # LP algorithm: choose | simplex | ipm (not applied to a MIP)


class _Compiled:
    """The model in matrix form, and the highspy model built from it."""

    def __init__(self, m: pyo.ConcreteModel):
        info = LinearStandardFormCompiler().write(m, mixed_form=True)
        self.columns = info.columns
        self.rows = info.rows
        a = info.A.tocsc()
        rhs = np.asarray(info.rhs, dtype=float)
        sense = np.fromiter((r[1] for r in info.rows), dtype=np.int8, count=len(info.rows))
        self.row_lower = np.where(sense == 1, -INF, rhs)
        self.row_upper = np.where(sense == -1, INF, rhs)
        n = len(self.columns)
        self.col_lower = np.fromiter((-INF if v.lb is None else v.lb for v in self.columns), float, n)
        self.col_upper = np.fromiter((INF if v.ub is None else v.ub for v in self.columns), float, n)
        self.integer = np.fromiter((v.is_integer() for v in self.columns), bool, n)
        cost = info.c.toarray().ravel() if info.c.shape[0] else np.zeros(n)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = cost
        lp.col_lower_ = self.col_lower
        lp.col_upper_ = self.col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        if self.integer.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                               for i in self.integer]
        self.lp = lp


def _new_highs() -> highspy.Highs:
    """A Highs instance; HiGHS prints a banner to stdout on the first one, which would spoil --json."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _highs(settings: SolverSettings, lp: bool = True) -> highspy.Highs:
    h = _new_highs()
    if lp and settings.method != "choose":
        h.setOptionValue("solver", settings.method)
    h.setOptionValue("output_flag", settings.log is not None)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(settings.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(settings.mip_gap))
    if settings.threads:
        h.setOptionValue("threads", int(settings.threads))
    if settings.log is not None:
        h.cbLogging.subscribe(lambda event: settings.log(event.message.rstrip()))  # type: ignore[misc]
    return h


def _status(h: highspy.Highs, has_solution: bool) -> str:
    status = h.getModelStatus()
    s = highspy.HighsModelStatus
    if status == s.kOptimal:
        return "optimal"
    if status in (s.kInfeasible, s.kUnboundedOrInfeasible):
        return "infeasible"
    if has_solution and status in (s.kTimeLimit, s.kIterationLimit, s.kInterrupt, s.kSolutionLimit):
        return "feasible"
    return "error"


def solve_model(m: pyo.ConcreteModel, settings: SolverSettings, want_duals: bool = True) -> SolveResult:
    """Compile, solve, load values into the model's variables, and (optionally) compute duals."""
    t0 = time.perf_counter()
    compiled = _Compiled(m)
    handoff = time.perf_counter() - t0
    result = SolveResult(status="error", handoff_seconds=handoff, n_variables=len(compiled.columns),
                         n_constraints=len(compiled.rows))
    h = _highs(settings, lp=not compiled.integer.any())
    t1 = time.perf_counter()
    h.passModel(compiled.lp)
    h.run()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    result.status = _status(h, has_solution)
    if result.status in ("optimal", "feasible"):
        solution = h.getSolution()
        x = np.asarray(solution.col_value)
        for var in m.component_data_objects(pyo.Var, descend_into=True):
            if var.value is None:  # a column the compiler dropped (it appears nowhere): 0
                var.set_value(0.0, skip_validation=True)
        for var, value in zip(compiled.columns, x):
            var.set_value(float(value), skip_validation=True)
        result.objective_musd = float(info.objective_function_value)
        is_mip = bool(compiled.integer.any())
        result.mip_gap = float(info.mip_gap) if is_mip else 0.0
        if want_duals:
            if is_mip:
                h = _fixed_lp(compiled, x, settings)
            result.duals = _row_duals(h, compiled)
    else:
        result.message = h.modelStatusToString(h.getModelStatus())
    result.solve_seconds = time.perf_counter() - t1
    return result


def _fixed_lp(compiled: _Compiled, x: np.ndarray, settings: SolverSettings) -> highspy.Highs:
    """The LP with every integer column fixed at its (rounded) solution value, solved."""
    lp = compiled.lp
    fixed = np.round(x[compiled.integer])
    lp.col_lower_ = np.where(compiled.integer, 0.0, compiled.col_lower)
    lp.col_upper_ = compiled.col_upper.copy()
    lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
    lower[compiled.integer] = fixed
    upper[compiled.integer] = fixed
    lp.col_lower_, lp.col_upper_ = lower, upper
    lp.integrality_ = []
    h = _highs(SolverSettings(settings.time_limit_s, settings.mip_gap, settings.threads, None, settings.method))
    h.passModel(lp)
    h.run()
    return h


def _row_duals(h: highspy.Highs, compiled: _Compiled) -> dict:
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {}
    duals: dict = {}
    for (con, _sense), d in zip(compiled.rows, h.getSolution().row_dual):
        duals[con] = duals.get(con, 0.0) + float(d)
    return duals


def versions() -> dict[str, str]:
    """Versions of the solver and the packages that shape a result."""
    import pandas
    import pydantic
    from pyomo.version import version as pyomo_version

    from . import __version__

    return {"planner": __version__, "highspy": h_version(), "pyomo": pyomo_version, "pandas": pandas.__version__,
            "numpy": np.__version__, "pydantic": pydantic.__version__}


def h_version() -> str:
    h = _new_highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
