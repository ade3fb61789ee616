"""Solve with HiGHS: compile the Pyomo model to matrices, hand them to highspy, read back values
and duals.

The hand-off: ``Compiled`` (matrix.compile_model: the Pyomo families and the array families in one
matrix, mixed form: each row keeps its sense) handed to HiGHS with highspy's array ``passModel``
in one call (``Compiled.pass_to``); compiled once, it is re-solved with other bounds or costs (the
prices' fixed LPs, flip.py, explore.py). ``make_highs`` and ``run_highs`` are the HiGHS instance
with planner's options and its interruptible run, shared by those modules. After an
integer solve the build decisions are fixed and the LP re-solved for the duals (SPEC §3).

Numerics (SPEC §3 "well scaled"): the costs HiGHS sees are the model's costs times a power of two,
``objective_scale``, chosen so they sit inside HiGHS's comfortable range [1e-4, 1e6] (discounting at
30 % to 2100 makes every cost ~1e-9 MUSD, below HiGHS's tolerances, and the plan silently builds
nothing); a power of two makes the way back exact (objective and duals divided by it). The
coefficient ranges and every HiGHS warning are returned for summary.json.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import highspy
import numpy as np
import pyomo.core as pyo  # the modelling components only: pyomo.environ would load every solver plugin (0.4 s)

from . import interrupt, measures
from .formulation import arrays
from .gcpause import paused_gc
from .matrix import GE, LE, compile_model


INF = highspy.kHighsInf
#: the columns that are build decisions: fixed at their solution values for short-run prices
DECISIONS = ("build", "block_on", "units")
#: target rows whose right-hand values are reported (imports.csv), and the step they are raised by
#: (GWh, MW): small against any target, large against HiGHS's tolerances
TARGETS = {"energy_target": 1.0, "capacity_target": 1.0, "contracted_capacity_target": 1.0}
#: the shortfall variable of each target family
SHORTFALL_OF = {"energy_target": "energy_shortfall", "capacity_target": "capacity_shortfall",
                "contracted_capacity_target": "contracted_shortfall"}
COST_BAND = (1e-4, 1e6)  # HiGHS warns of "excessively small/large costs" outside this range
#: HiGHS options planner sets unless the scenario sets them. simplex_scale_strategy 4 (scale each row and
#: column by its largest value) in place of HiGHS's equilibration: the same iterations in less time on
#: planner's LPs (`python benchmarks/run.py --sizes medium --methods simplex --baseline <checkout>`:
#: 18.3 -> 12.2 s of solve, prices included, side by side with a checkout without it).
PLANNER_DEFAULTS = {"simplex_scale_strategy": 4}


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
    message: str = ""  # HiGHS's model status, e.g. "Optimal", "Time limit reached"
    warnings: list = field(default_factory=list)  # HiGHS warnings and planner's own numerical notes
    coefficient_ranges: dict = field(default_factory=dict)
    objective_scale: float = 1.0
    #: short-run row duals (every build decision fixed): (constraint name, index) -> d objective / d rhs,
    #: MUSD per unit; a RowValues (a mapping; ``.family(name)``: a family's keys and values as arrays)
    duals: dict = field(default_factory=dict)
    #: long-run row duals (integer choices fixed, continuous builds free; an LP's own duals)
    long_run_duals: dict = field(default_factory=dict)
    #: long-run reduced costs of the columns, where not zero (solve_model's reduced_costs): (variable
    #: name, index) -> d objective / d bound, MUSD per unit; a row written as a bound (an existing
    #: link's capacity) has its dual here
    long_run_column_duals: dict = field(default_factory=dict)
    #: right-hand values of the targets: (kind, (target, year), component) -> MUSD per unit more of it,
    #: kind "short" or "long", component energy_target | capacity_target | contracted_capacity_target
    target_values: dict = field(default_factory=dict)
    #: USD/MWh of one more MWh delivered to a scope (measures.added_import_cost): (kind, scope, year),
    #: kind "short" and "long" (that year only), "lasting" (every year from it to the horizon)
    import_costs: dict = field(default_factory=dict)
    #: (scope, year) -> the most MW the plan can deliver in every peak slice (measures.firm_capability)
    firm_mw: dict = field(default_factory=dict)


@dataclass
class SolverSettings:
    time_limit_s: float = 600.0
    mip_gap: float = 0.005
    threads: int | None = None
    log: Callable[[str], None] | None = None  # receives HiGHS log lines; None = silent
    method: str = "choose"  # LP algorithm: choose | simplex | ipm | pdlp (not applied to a MIP)
    options: dict = field(default_factory=dict)  # other HiGHS options by HiGHS name (Solver.highs())


def check_highs_options(options: dict) -> list[tuple[str, str]]:
    """(option, problem) for each option HiGHS does not know or refuses the value of, or that
    touches a file (never set here: HiGHS opens a log file as soon as the option is set)."""
    from .scenario.checks import solver_file_problem

    h = _new_highs()
    h.setOptionValue("output_flag", False)
    problems = []
    for name, value in options.items():
        why = solver_file_problem(name, options)
        if why is not None:
            problems.append((name, why))
            continue
        status, _kind = h.getOptionType(name)
        if status != highspy.HighsStatus.kOk:
            problems.append((name, "HiGHS has no such option (see https://ergo-code.github.io/HiGHS/stable/options/definitions/)"))
        elif h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            problems.append((name, f"HiGHS refuses the value {value!r}"))
    return problems


class Compiled:
    """The model in matrix form (matrix.compile_model), scaled for HiGHS, handed over with one
    array call (``pass_to``); compiled once, it may be re-solved many times with other bounds or
    costs. ``rows`` and ``columns`` name each row and column (family name, index), made when asked;
    ``columns_of(name)`` selects a family's columns by name."""

    @paused_gc
    def __init__(self, m: pyo.ConcreteModel):
        matrix = compile_model(m)
        self.columns, self.rows = matrix.columns, matrix.rows
        self.pyomo_columns, self.array_columns = matrix.pyomo_columns, matrix.array_columns
        a, rhs, sense, cost = matrix.A, matrix.rhs, matrix.sense, matrix.c
        self.row_lower = np.where(sense == LE, -INF, rhs)
        self.row_upper = np.where(sense == GE, INF, rhs)
        self.col_lower = np.where(np.isneginf(matrix.col_lower), -INF, matrix.col_lower)
        self.col_upper = np.where(np.isposinf(matrix.col_upper), INF, matrix.col_upper)
        self.integer = matrix.integer
        self.scale = objective_scale(cost)
        self.ranges = coefficient_ranges(a.data, cost, self.col_lower, self.col_upper, self.row_lower,
                                         self.row_upper, self.scale)
        self.cost = cost * self.scale  # exact: the scale is a power of two
        self.offset = matrix.offset * self.scale
        self.start = np.asarray(a.indptr, dtype=np.int32)  # no copy where scipy's are already these
        self.index = np.asarray(a.indices, dtype=np.int32)
        self.value = np.asarray(a.data, dtype=float)
        del matrix, a
        self._names: dict = {}

    @property
    def n_columns(self) -> int:
        return len(self.col_lower)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    def pass_to(self, h: highspy.Highs, lower: np.ndarray | None = None, upper: np.ndarray | None = None,
                integer: bool = True) -> None:
        """Hand the model to HiGHS in one array call (highspy's array ``passModel``), with these
        column bounds (None: the model's own); ``integer`` False: as an LP."""
        # a full-length array (an empty one is read past its end); 0 continuous, 1 integer
        integrality = self.integer.astype(np.int32) if integer else np.zeros(self.n_columns, dtype=np.int32)
        status = h.passModel(self.n_columns, self.n_rows, len(self.value), int(highspy.MatrixFormat.kColwise),
                             int(highspy.ObjSense.kMinimize), float(self.offset), self.cost,
                             self.col_lower if lower is None else lower, self.col_upper if upper is None else upper,
                             self.row_lower, self.row_upper, self.start, self.index, self.value, integrality)
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS refused the model")

    def columns_of(self, name: str) -> tuple[np.ndarray, list]:
        """(columns, keys) of the variable family ``name``."""
        hit = self._names.get(name)
        if hit is None:
            hit = self._names[name] = self.columns.positions(name)
        return hit

    def values(self) -> np.ndarray:
        """The values the model's variables hold, as a point in the columns (0 where none): the
        inverse of ``load``."""
        x = np.zeros(self.n_columns)
        x[:len(self.pyomo_columns)] = [v.value or 0.0 for v in self.pyomo_columns]
        for var, cols in self.array_columns:
            if var.value is not None and len(cols):
                kept = cols >= 0
                x[cols[kept]] = var.value[kept]
        return x

    def load(self, m: pyo.ConcreteModel, x: np.ndarray) -> None:
        """Write a solution into the model: the Pyomo variables' values and the ArrayVars' arrays
        (0 for a column the compiler dropped)."""
        for var in m.component_data_objects(pyo.Var, descend_into=True):
            if var.value is None:  # a column the compiler dropped (it appears nowhere): 0
                var.set_value(0.0, skip_validation=True)
        for var, value in zip(self.pyomo_columns, x):
            var.set_value(float(value), skip_validation=True)
        for var, cols in self.array_columns:
            var.value = np.where(cols >= 0, x[np.maximum(cols, 0)], 0.0) if len(cols) else np.zeros(0)


def _span(*arrays: np.ndarray) -> list[float] | None:
    """[min, max] of the finite nonzero absolute values of one or more arrays (as HiGHS reports
    them), or None. Read in place: a plain min and max where every value counts, else over a mask."""
    lo, hi = INF, 0.0
    for values in arrays:
        v = np.abs(np.asarray(values, dtype=float))
        if not v.size:
            continue
        a, b = v.min(), v.max()
        if not (a > 0 and b < INF):  # a zero, an infinity or a NaN: only the finite nonzero ones count
            keep = (v > 0) & (v < INF)
            if not keep.any():
                continue
            a, b = np.min(v, where=keep, initial=INF), np.max(v, where=keep, initial=0.0)
        lo, hi = min(lo, float(a)), max(hi, float(b))
    return [lo, hi] if lo < INF else None


def objective_scale(cost: np.ndarray) -> float:
    """The power of two the costs are multiplied by before HiGHS sees them.

    1 when every nonzero |cost| is already inside COST_BAND (so a well-posed model is solved
    exactly as stated). Otherwise the scale that centres the costs' range on the band
    (geometric middle, 10); when the range is wider than the band, the largest cost is put just
    under the band's top, because large costs decide the plan and small ones are then noted as a
    warning. A power of two multiplies and divides without rounding.
    """
    span = _span(cost)
    if span is None:
        return 1.0
    lo, hi = span
    small, large = COST_BAND
    if lo >= small and hi <= large:
        return 1.0
    log_lo, log_hi = math.log2(lo), math.log2(hi)  # in logs: lo * hi may underflow
    if log_hi - log_lo <= math.log2(large / small):
        exponent = round(math.log2(math.sqrt(small * large)) - (log_lo + log_hi) / 2)
    else:
        exponent = math.floor(math.log2(large) - log_hi)
    return float(2.0 ** max(-1000, min(1000, exponent)))  # stays a finite double


def coefficient_ranges(matrix: np.ndarray, cost: np.ndarray, col_lower, col_upper, row_lower, row_upper,
                       scale: float) -> dict:
    """[min, max] absolute finite nonzero values: matrix, cost (as the model states it, MUSD),
    cost_solved (times objective_scale, what HiGHS sees), bounds (columns), rhs (rows)."""
    cost_span = _span(cost)
    return {
        "matrix": _span(matrix),
        "cost": cost_span,
        "cost_solved": cost_span if scale == 1.0 else _span(np.asarray(cost) * scale),  # x 1.0: the same
        "bounds": _span(col_lower, col_upper),
        "rhs": _span(row_lower, row_upper),
    }


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


#: HiGHS's note when an LP comes with a full-length integrality array of zeros (``Compiled.pass_to``)
NO_INTEGERS = "No semi-integer/integer variables in model with non-empty integrality"


class _Log:
    """Every HiGHS log line goes here: forwarded to the user's log (--verbose, progress), and
    its warnings kept. A warning's indented continuation ("WARNING:    Consider ...") joins it."""

    def __init__(self, forward: Callable[[str], None] | None):
        self.forward = forward
        self.warnings: list[str] = []

    def __call__(self, event) -> None:
        text = event.message.rstrip()
        if NO_INTEGERS in text:
            return  # an LP handed over with its (all-zero) full-length integrality array: not the user's concern
        for line in text.splitlines():
            if line.startswith("WARNING:"):
                body = line[len("WARNING:"):]
                if body.startswith("   ") and self.warnings:
                    self.warnings[-1] += " " + body.strip()
                elif body.strip():
                    self.warnings.append(body.strip())
        if self.forward is not None:
            self.forward(text)


def _stop_when_interrupted(event) -> None:
    if interrupt.requested():
        event.interrupt()


def make_highs(settings: SolverSettings, lp: bool = True, log: _Log | None = None) -> highspy.Highs:
    from .scenario.checks import solver_file_problem

    h = _new_highs()
    for name, value in {**PLANNER_DEFAULTS, **settings.options}.items():
        why = solver_file_problem(name, settings.options)
        if why is not None:  # checked when the scenario is read; a library caller gets the same answer
            raise ValueError(f"options.solver.highs_options.{name}: {why}")
        if name == "solver" and not lp:
            continue  # the LP algorithm: a MIP uses its own
        h.setOptionValue(name, value)
    if lp and settings.method != "choose" and "solver" not in settings.options:
        h.setOptionValue("solver", settings.method)
    h.setOptionValue("output_flag", True)  # to the callback only: warnings are always collected
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(settings.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(settings.mip_gap))
    if settings.threads:
        h.setOptionValue("threads", int(settings.threads))
    h.cbLogging.subscribe(log or _Log(None))  # type: ignore[misc]
    for callbacks in (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt):
        callbacks.subscribe(_stop_when_interrupted)  # type: ignore[misc]
    return h


def run_highs(h: highspy.Highs) -> None:
    """h.run(), stoppable by Ctrl-C: the interrupt callbacks stop HiGHS, then Interrupted is raised."""
    interrupt.check()
    with interrupt.deferred():
        h.run()
    interrupt.check()


#: HiGHS options of a MIP re-solved from a known plan (``run_from``): the root's searches for a
#: first plan (RINS, RENS, the root reduced-cost heuristic, feasibility jump) are what such a
#: re-solve spends its time on, and the start makes them moot; the bound is proved to the same gap.
#: Measured on benchmarks/resolve.py's bench60 MIP, a with/without reversal (d0 forced in), under
#: load: 243,053 LP iterations (65-85 s) re-solved as a fresh solve, 273,343 (91 s) from the start
#: with the searches on (HiGHS ran them anyway: 154,110 iterations), 116,347 (47 s) with them off;
#: without a start, off is no better (261,924 iterations, a worse plan). A user's highs_options
#: take precedence.
START_OPTIONS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
                 "mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_run_feasibility_jump": False}


def run_from(h: highspy.Highs, columns: np.ndarray, values: np.ndarray, user_options: Mapping = {}) -> None:
    """run_highs on a MIP from a start: ``values`` of ``columns`` (a plan's integer columns, or
    every column; HiGHS completes a partial start, and ignores one it finds infeasible), with
    START_OPTIONS unless ``user_options`` set them; the options are restored after. Give the start
    after any change of bounds or costs (a change drops it)."""
    options = {k: v for k, v in START_OPTIONS.items() if k not in user_options}
    saved = {k: h.getOptionValue(k)[1] for k in options}
    for k, v in options.items():
        h.setOptionValue(k, v)
    try:
        h.setSolution(len(columns), np.asarray(columns, dtype=np.int32), np.asarray(values, dtype=float))
        run_highs(h)
    finally:
        for k, v in saved.items():
            h.setOptionValue(k, v)


def status_of(h: highspy.Highs, has_solution: bool) -> str:
    status = h.getModelStatus()
    s = highspy.HighsModelStatus
    if status == s.kOptimal:
        return "optimal"
    if status in (s.kInfeasible, s.kUnboundedOrInfeasible):
        return "infeasible"
    if has_solution and status in (s.kTimeLimit, s.kIterationLimit, s.kInterrupt, s.kSolutionLimit):
        return "feasible"
    return "error"


def solve_model(m: pyo.ConcreteModel, settings: SolverSettings, want_duals: bool = True,
                release: bool = False, reduced_costs: bool = False,
                questions: measures.ImportQuestions | None = None, start: bool = False) -> SolveResult:
    """Compile, solve, load values into the model's variables, and (optionally) compute duals.

    Objective and duals are returned in the model's units (MUSD): HiGHS's values divided by
    ``objective_scale``. Raises ``interrupt.Interrupted`` on Ctrl-C.

    ``release``: once compiled, the model's constraints are deleted (``release_constraints``), so
    that HiGHS solves beside the variables, sets and cost expressions only (what the result tables
    read), not beside every row's expression: for a run that will not solve this model again.

    ``questions`` (with ``want_duals``): also the import costs and firm MW of measures.py.

    ``start``: a MIP starts from the values the model's variables hold (an earlier stage's plan,
    feasible in a lexicographic stage: its first incumbent, so that branch and bound only has to
    improve on it), through ``run_from``; HiGHS checks the point and ignores it if it is not feasible.

    ``reduced_costs`` (with ``want_duals``): also the long-run columns' reduced costs
    (``long_run_column_duals``), for a reader of rows written as bounds (the diagnosis of strict
    targets); a plain run's tables do not need them.
    """
    t0 = time.perf_counter()
    compiled = Compiled(m)
    if release:
        release_constraints(m)
    handoff = time.perf_counter() - t0
    scale = compiled.scale
    result = SolveResult(status="error", handoff_seconds=handoff, n_variables=compiled.n_columns,
                         n_constraints=compiled.n_rows, coefficient_ranges=compiled.ranges,
                         objective_scale=scale)
    log = _Log(settings.log)
    h = make_highs(settings, lp=not compiled.integer.any(), log=log)
    t1 = time.perf_counter()
    compiled.pass_to(h)
    if start and compiled.integer.any():
        run_from(h, np.arange(compiled.n_columns), compiled.values(), settings.options)
    else:
        run_highs(h)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    result.status = status_of(h, has_solution)
    result.message = h.modelStatusToString(h.getModelStatus())
    if result.status in ("optimal", "feasible"):
        solution = h.getSolution()
        x = np.asarray(solution.col_value)
        compiled.load(m, x)
        result.objective_musd = float(info.objective_function_value) / scale
        is_mip = bool(compiled.integer.any())
        # an LP stopped at a limit has a feasible point but no bound: its gap is unknown (None)
        result.mip_gap = float(info.mip_gap) if is_mip else (0.0 if result.status == "optimal" else None)
        if want_duals:
            long_run = _fixed_lp(compiled, x, settings, compiled.integer) if is_mip else h
            result.long_run_duals = _row_duals(long_run, compiled, scale)
            if reduced_costs:
                result.long_run_column_duals = _column_duals(long_run, compiled, scale)
            result.target_values.update(_right_hand_values(long_run, compiled, "long"))
            short_run = _fixed_lp(compiled, x, settings, compiled.integer | _decisions(compiled))
            result.duals = _row_duals(short_run, compiled, scale)
            result.target_values.update(_right_hand_values(short_run, compiled, "short"))
            if questions is not None:
                _ask(questions, result, compiled, long_run, short_run)
    result.warnings = _unique(result.warnings + log.warnings + _range_notes(compiled.ranges, scale))
    result.solve_seconds = time.perf_counter() - t1
    return result


def _ask(q: measures.ImportQuestions, result: SolveResult, compiled: Compiled, long_run: highspy.Highs,
         short_run: highspy.Highs) -> None:
    """The import costs (one year, short and long run; lasting) and the firm MW of measures.py.
    An LP's long run is its own solve (``long_run`` is then the solver itself, left as it was)."""
    ask = q.import_costs if q.import_costs is not None else compiled.n_columns <= measures.IMPORT_COST_MAX_COLUMNS
    if not ask and q.import_costs is None:
        result.warnings.append(f"the one-year and lasting costs of more imports were not computed: the LP has "
                               f"{compiled.n_columns:,} columns (more than {measures.IMPORT_COST_MAX_COLUMNS:,}; "
                               f"a re-solve per scope and year); set options.solver.import_costs: true to ask")
    for kind, h, lasting in (("short", short_run, False), ("long", long_run, False), ("lasting", long_run, True)):
        if not ask:
            break
        for (scope, y), v in measures.added_import_cost(h, compiled, q, lasting, run_highs).items():
            result.import_costs[(kind, scope, y)] = v
    result.firm_mw = measures.firm_capability(short_run, compiled, q, run_highs)


def release_constraints(m: pyo.ConcreteModel) -> None:
    """Delete every constraint of a compiled model: about half of a built model's memory (the
    'large' size of benchmarks/run.py: 186 of 373 MB), which HiGHS then has for itself. The rows
    are named in the compiled matrix and the duals keyed by those names, so nothing after the
    solve needs them; the model cannot be solved again."""
    for component in list(m.component_objects(pyo.Constraint)):
        m.del_component(component)
    for block in [m, *m.component_data_objects(pyo.Block, descend_into=True)]:
        arrays.release(block)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _range_notes(ranges: dict, scale: float) -> list[str]:
    """planner's own warning when scaling the objective cannot bring every cost into the band."""
    solved = ranges.get("cost_solved")
    if not solved:
        return []
    small, large = COST_BAND
    if solved[0] < small and solved[1] / solved[0] > large / small:
        return [f"costs span {ranges['cost'][0]:.1e} to {ranges['cost'][1]:.1e} MUSD, wider than the "
                f"{large / small:.0e} range HiGHS resolves (discounting far ahead at a high rate?): costs below "
                f"about {1e-7 / scale:.0e} MUSD per unit are within its tolerance and count as zero"]
    return []


def _decisions(compiled: Compiled) -> np.ndarray:
    """Mask of the build-decision columns (DECISIONS)."""
    mask = np.zeros(compiled.n_columns, dtype=bool)
    for name in DECISIONS:
        mask[compiled.columns_of(name)[0]] = True
    return mask


def _fixed_lp(compiled: Compiled, x: np.ndarray, settings: SolverSettings, fix: np.ndarray) -> highspy.Highs:
    """The LP with the columns of ``fix`` fixed at their solution values (integers rounded),
    solved (same matrix as the MIP: its log, and so its warnings, would only repeat the MIP's).

    fix = the integer columns: long-run prices (continuous builds stay free); fix = every build
    decision: short-run prices (the plan's capacity is given). A new LP each, solved from scratch:
    re-solving the long-run LP from its basis with the builds fixed is quicker, but at the
    degenerate vertex it lands on, a year's node prices can differ from another year's with the
    same fleet (tests/test_known_answers.py), where a fresh solve gives each year the same."""
    values = np.where(compiled.integer, np.round(x), x)
    lower, upper = compiled.col_lower.copy(), compiled.col_upper.copy()
    lower[fix] = np.clip(values[fix], compiled.col_lower[fix], compiled.col_upper[fix])
    upper[fix] = lower[fix]
    h = make_highs(dataclasses.replace(settings, log=None))
    compiled.pass_to(h, lower, upper, integer=False)
    run_highs(h)
    return h


def _right_hand_values(h: highspy.Highs, compiled: Compiled, kind: str) -> dict:
    """The cost of one more unit of each target: re-solve with its rows' right-hand side raised by
    TARGETS' step (warm-started from the solved LP), (objective change) / step, in MUSD per unit.

    A target met exactly by what was built for it sits at a kink of the LP, where a raw dual may
    be anything between the two sides' slopes; the right-hand value is the cost of more. NaN when
    the raised target cannot be met (a strict target at its limit). A capacity target's rows (one
    per peak slice, sharing one shortfall) are raised together.

    Two cases need no re-solve: a target met with room to spare (slack of at least the step: the
    value is 0), and a target already short (its shortfall variable is positive, so one more unit
    is one more unit short: the value is the sum of its rows' duals, the penalty). Re-solves use the
    dual simplex from the solved basis (an interior point method would start over). HiGHS's ranging is no shortcut here: at the degenerate vertex a target sits at, it
    reports the basis's range, not the cost of more (a supply at its bound gives a zero dual and
    an infinite range where one more unit costs the penalty)."""
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {}
    groups: dict[tuple, list[int]] = {}
    for name in TARGETS:
        positions, keys = compiled.rows.positions(name)
        for i, index in zip(positions.tolist(), keys):
            groups.setdefault((kind, tuple(index[:2]), name), []).append(i)
    if not groups:
        return {}
    base = h.getInfo().objective_function_value
    solution = h.getSolution()
    activity, row_dual, x = (np.asarray(solution.row_value), np.asarray(solution.row_dual),
                             np.asarray(solution.col_value))
    short_col = {}
    for name in SHORTFALL_OF.values():
        positions, keys = compiled.columns_of(name)
        for j, index in zip(positions.tolist(), keys):
            short_col[(name, tuple(index))] = j
    h.setOptionValue("solver", "simplex")  # from the basis: an interior point method would start over
    h.setOptionValue("output_flag", False)  # the re-solves' log would only repeat the first solve's
    out = {}
    for key, rows in groups.items():
        step = TARGETS[key[2]]
        if (activity[rows] - compiled.row_lower[rows] >= step * (1 + 1e-9)).all():
            out[key] = 0.0  # room to spare: one more unit costs nothing
            continue
        j = short_col.get((SHORTFALL_OF[key[2]], key[1]))
        if j is not None and x[j] > 1e-6:
            out[key] = float(row_dual[rows].sum()) / compiled.scale  # already short: the penalty
            continue
        idx = np.asarray(rows, dtype=np.int32)
        lower, upper = compiled.row_lower[idx], compiled.row_upper[idx]
        h.changeRowsBounds(len(idx), idx, lower + step, upper)
        run_highs(h)
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        out[key] = (h.getInfo().objective_function_value - base) / step / compiled.scale if ok else float("nan")
        h.changeRowsBounds(len(idx), idx, lower, upper)
    return out  # h holds the LP as it was, its basis from the last re-solve


def _row_duals(h: highspy.Highs, compiled: Compiled, scale: float = 1.0) -> "RowValues | dict":
    """Row duals in the model's units: HiGHS's (of the scaled objective) divided by the scale."""
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {}
    return RowValues(compiled.rows, np.asarray(h.getSolution().row_dual) / scale)


def _column_duals(h: highspy.Highs, compiled: Compiled, scale: float = 1.0) -> dict:
    """The columns' reduced costs that are not zero, in the model's units, keyed like the rows."""
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return {}
    reduced = np.asarray(h.getSolution().col_dual) / scale
    return {compiled.columns[j]: float(reduced[j]) for j in np.flatnonzero(np.abs(reduced) > 1e-12)}


class RowValues(Mapping):
    """A value per row (a dual), keyed (family name, index) as a dict is, without a dict of a
    million entries: ``family(name)`` gives a family's keys and values as arrays; a scalar lookup
    builds the dict of that one family. A ranged constraint's two rows share a key: their values add."""

    def __init__(self, rows, values: np.ndarray) -> None:
        self.rows, self.values = rows, values
        self._families: dict = {}

    def family(self, name: str) -> tuple[list, np.ndarray]:
        positions, keys = self.rows.positions(name)
        return keys, self.values[positions]

    def _dict_of(self, name: str) -> dict:
        d = self._families.get(name)
        if d is None:
            d = {}
            keys, values = self.family(name)
            for k, v in zip(keys, values.tolist()):
                d[k] = d.get(k, 0.0) + v
            self._families[name] = d
        return d

    def __getitem__(self, key):
        name, index = key
        return self._dict_of(name)[index]

    def __iter__(self):
        seen = set()
        for key in self.rows:
            if key not in seen:
                seen.add(key)
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def items(self):
        """(key, value) in the rows' order (a ranged constraint's once, its two rows summed)."""
        for key in self:
            yield key, self._dict_of(key[0])[key[1]]

    def __bool__(self) -> bool:
        return len(self.values) > 0


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
