"""Progressive hedging on mpi-sppy over MPI ranks (SPEC §3.4, ``uncertainty.method: progressive_hedging``).

Each future f is its own model (``extensive.scenario_model``: every family, objective ``total_cost``
= C_f(x, y_f)); the first-stage variables ``FIRST_STAGE`` (build, block_on, units) are its
non-anticipative variables (mpi-sppy's root node, ``sputils.attach_root_node``). PH (Rockafellar and
Wets) solves, at iteration k, every future apart:

    x_f^k = argmin  C_f(x, y_f) + W_f^{k-1} x + rho/2 ||x - xbar^{k-1}||^2
    xbar^k = sum_f p_f x_f^k,    W_f^k = W_f^{k-1} + rho (x_f^k - xbar^k)

(iteration 0 without W and the proximal term: each future's own optimum), until the futures' mean
distance from xbar, sum_f p_f ||x_f - xbar||_1 / n, falls below ``convergence`` or after
``max_iterations``. The proximal term is linearised by mpi-sppy (``linearize_proximal_terms``: x^2
outer cuts; x^2 = x for binaries), so every subproblem stays a MILP for HiGHS (which solves no MIQP).
rho is cost proportional: rho_i = ``rho`` x the capex (MUSD) of building variable i's whole asset (a
block: its share; a unit: its share), at least ``rho`` x 1 MUSD.

Bounds (MUSD, on the expected cost of the best plan):

    lower:  max(trivial, Lagrangian);  trivial = sum_f p_f min C_f (iteration 0's MIP bounds),
            Lagrangian = sum_f p_f min_x,y (C_f + W_f x) with PH's last weights (sum_f p_f W_f = 0,
            so it is a valid bound; mpi-sppy's post_solve_bound)
    upper:  E[C_f] of the plan held fixed and evaluated in each future (``run.evaluate``: exact)

The plan is the consensus xbar (integers rounded); with integer builds PH is a heuristic, so when
that plan cannot serve some future, the futures' own last iterates are tried (``candidates``).

The subproblem solver is HiGHS through Pyomo's ``appsi_highs`` plugin (highspy in memory, no files).
mpi-sppy 0.14 calls the legacy ``SolverFactory(name).solve(model, load_solutions=False)`` and reads
``results.Problem[0].Lower_bound``; ``appsi_highs`` and ``highs`` both answer that (both were run
here on the lumpy case and gave the same plan); planner's own path hands arrays to highspy and is no
Pyomo solver plugin, so it cannot be mpi-sppy's.

One rank runs in this process; ``ranks`` > 1 runs ``mpiexec -n ranks python -m
planner.stochastic.ph FUTURES.pkl OUT.json`` (mpiexec of the ``mpich`` wheel, next to
sys.executable) and reads back rank 0's JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import pyomo.core as pyo

from ..formulation import arrays
from .extensive import FIRST_STAGE, scenario_model

SOLVER = "appsi_highs"
INSTALL = "pip install 'planner[ph]'"
#: the least cost scale of a first-stage variable (MUSD), so a free asset still has rho > 0
MIN_SCALE_MUSD = 1.0


@dataclasses.dataclass
class PHOutcome:
    """What PH found: candidate plans (the consensus first), its bounds and its effort."""

    status: str  # "ok" or "error"
    message: str = ""
    candidates: list = dataclasses.field(default_factory=list)  # plans: {(name, index): value}
    iterations: int = 0
    converged: bool = False
    convergence: float | None = None  # mpi-sppy's metric at the end
    trivial_bound_musd: float | None = None
    lagrangian_bound_musd: float | None = None
    seconds: float = 0.0
    ranks: int = 1

    @property
    def lower_bound_musd(self) -> float | None:
        bounds = [b for b in (self.trivial_bound_musd, self.lagrangian_bound_musd) if b is not None]
        return max(bounds) if bounds else None


def missing() -> str | None:
    """Why PH cannot run here (None: mpi-sppy and mpi4py import)."""
    try:
        import mpi4py  # noqa: F401
        with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy prints its start on import
            import mpisppy.opt.ph  # noqa: F401
    except ImportError as exc:
        return f"progressive hedging needs mpi-sppy, mpi4py and an MPI ({exc.name} is not installed): {INSTALL}"
    return None


def mpiexec() -> str | None:
    """The mpiexec of this Python's environment (the mpich wheel puts it next to sys.executable),
    else one on PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    return shutil.which("mpiexec")


def cost_scale(data, name: str, index) -> float:
    """MUSD that variable ``name[index]`` = 1 stands for: the asset's capex (build: all of it; a
    block: min_block_mw of it; a unit: unit_mw of it), at least MIN_SCALE_MUSD."""
    asset = index[0]
    row = data.assets.loc[asset]
    capex = float(row["capex_musd"]) if row["capex_musd"] == row["capex_musd"] else 0.0
    cap = float(row["capacity_mw"]) or 1.0
    if name == "block_on":
        capex *= float(row["min_block_mw"]) / cap
    elif name == "units":
        capex *= float(row["unit_mw"]) / cap
    return max(MIN_SCALE_MUSD, abs(capex))


def _creator(name: str, futures: dict, **_kw):
    """mpi-sppy's scenario creator: future ``name``'s whole model, its root node and probability."""
    import mpisppy.utils.sputils as sputils

    f = futures[name]
    m = scenario_model(f.data)
    arrays.to_pyomo(m)  # mpi-sppy hands a Pyomo model to its solver
    nonants = [getattr(m, n) for n in FIRST_STAGE if len(getattr(m, n))]
    sputils.attach_root_node(m, m.total_cost.expr, nonants)
    m._mpisppy_probability = f.probability
    m._planner_data = f.data
    return m


def _rho_setter(rho: float):
    def setter(m, **_kw):
        out = []
        for name in FIRST_STAGE:
            var = getattr(m, name)
            for i in var:
                out.append((id(var[i]), rho * cost_scale(m._planner_data, name, i)))
        return out
    return setter


def _options(ph, settings) -> dict:
    sub = {"mipgap": settings.mip_gap, "threads": 1, "time_limit": float(settings.time_limit_s)}
    sub.update({k: v for k, v in (settings.options or {}).items() if k not in ("threads", "time_limit")})
    return {
        "solver_name": SOLVER, "PHIterLimit": int(ph.max_iterations), "defaultPHrho": float(ph.rho),
        "convthresh": float(ph.convergence), "verbose": False, "display_progress": False,
        "display_timing": False, "display_convergence_detail": False, "smoothed": 0,
        "asynchronousPH": False, "linearize_proximal_terms": True, "linearize_binary_proximal_terms": True,
        "time_limit": float(settings.time_limit_s), "toc": False,
        "solver_options_layers": [{"when": "default", "options": sub}],  # every iteration (sputils.solver_options_layer)
    }


def _plan(pairs) -> dict:
    """{(name, index): value} from (var, value) pairs, integers rounded and kept in bounds."""
    out = {}
    for v, value in pairs:
        value = 0.0 if value is None else float(value)
        if v.is_integer():
            value = float(round(value))
        lb, ub = v.lb, v.ub
        if lb is not None:
            value = max(value, lb)
        if ub is not None:
            value = min(value, ub)
        out[(v.parent_component().local_name, v.index())] = value
    return out


def solve_ph(futures: list, ph, settings, log: Callable[[str], None] | None = None) -> PHOutcome:
    """PH over ``futures`` on this MPI communicator's ranks (every rank calls it; rank 0's answer
    is complete). Raises ImportError without mpi-sppy."""
    import mpisppy.utils.sputils as sputils
    from mpi4py import MPI
    from mpisppy.opt.ph import PH

    comm = MPI.COMM_WORLD
    t0 = time.perf_counter()
    sputils.disable_tictoc_output()
    chatter = io.StringIO()
    by_id = {f.id: f for f in futures}
    with contextlib.redirect_stdout(chatter):
        opt = PH(_options(ph, settings), [f.id for f in futures], _creator,
                 scenario_creator_kwargs={"futures": by_id}, rho_setter=_rho_setter(float(ph.rho)))
        conv, _eobj, trivial = opt.ph_main()
        local = next(iter(opt.local_scenarios.values()))
        consensus = _plan((v, pyo.value(local._mpisppy_model.xbars[key]))
                          for key, v in local._mpisppy_data.nonant_indices.items())
        own = [(opt.local_scenarios[k]._mpisppy_probability,
                _plan((v, v.value) for v in opt.local_scenarios[k]._mpisppy_data.nonant_indices.values()))
               for k in opt.local_scenarios]
        iterations = int(opt._PHIter)
        lagrangian = opt.post_solve_bound()
    if log:
        for line in chatter.getvalue().splitlines():
            log(line)
    gathered = comm.gather(own, root=0)
    if comm.Get_rank() != 0:
        return PHOutcome("ok")
    iterates = sorted((pair for part in gathered for pair in part), key=lambda pair: -pair[0])
    candidates = [consensus]
    for _p, plan in iterates:
        if all(_differs(plan, c) for c in candidates):
            candidates.append(plan)
    converged = bool(conv is not None and float(conv) < ph.convergence)
    return PHOutcome("ok", candidates=candidates, iterations=iterations, converged=converged,
                     convergence=float(conv) if conv is not None else None,
                     trivial_bound_musd=_number(trivial), lagrangian_bound_musd=_number(lagrangian),
                     seconds=time.perf_counter() - t0, ranks=comm.Get_size())


def _differs(a: dict, b: dict, tol: float = 1e-6) -> bool:
    return any(abs(a[k] - b.get(k, 0.0)) > tol for k in a)


def _number(x) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def run_ph(futures: list, ph, settings, log: Callable[[str], None] | None = None,
           timeout_s: float | None = None) -> PHOutcome:
    """PH with ``ph.ranks`` ranks: in this process for one, else under mpiexec in a subprocess."""
    if ph.ranks <= 1:
        return solve_ph(futures, ph, settings, log)
    exe = mpiexec()
    if exe is None:
        return PHOutcome("error", f"ranks: {ph.ranks} needs mpiexec (the mpich wheel: {INSTALL}); none found "
                                  f"next to {sys.executable} or on PATH")
    with tempfile.TemporaryDirectory(prefix="planner-ph-") as tmp:
        src, out = Path(tmp) / "futures.pkl", Path(tmp) / "outcome.json"
        quiet = dataclasses.replace(settings, log=None)
        with open(src, "wb") as fh:
            pickle.dump({"futures": futures, "ph": ph.model_dump(), "settings": quiet}, fh)
        cmd = [exe, "-n", str(ph.ranks), sys.executable, "-m", "planner.stochastic.ph", str(src), str(out)]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return PHOutcome("error", f"progressive hedging on {ph.ranks} ranks did not finish within "
                                      f"{timeout_s:g} s (its loop stops at options.solver.time_limit_s; "
                                      f"a rank that hangs is stopped here)")
        wall = time.perf_counter() - t0
        if log:
            for line in proc.stdout.splitlines():
                log(line)
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            return PHOutcome("error", f"progressive hedging on {ph.ranks} ranks failed (exit {proc.returncode}): "
                                      f"{tail}")
        outcome = _from_json(json.loads(out.read_text()))
        outcome.seconds = wall  # the whole launch, as the user waits for it
        return outcome


def check_ph(unc, file: str) -> None:
    """Bad input for progressive hedging, before anything is solved: ScenarioError (exit 2)."""
    from ..scenario.errors import Problem, ScenarioError

    problems = []
    why = missing()
    if why is not None:
        problems.append(Problem(file, "uncertainty.method", why))
    if unc.risk.measure != "expected":
        problems.append(Problem(file, "uncertainty.risk.measure",
                                f"progressive hedging minimises the expected cost; '{unc.risk.measure}' needs "
                                f"method: extensive_form"))
    if unc.ph.ranks > len(unc.scenarios):
        problems.append(Problem(file, "uncertainty.ph.ranks",
                                f"{unc.ph.ranks} ranks for {len(unc.scenarios)} futures: each rank needs at least "
                                f"one future (give ranks <= {len(unc.scenarios)})"))
    elif unc.ph.ranks > 1 and why is None and mpiexec() is None:
        problems.append(Problem(file, "uncertainty.ph.ranks",
                                f"{unc.ph.ranks} ranks need mpiexec, found neither next to {sys.executable} nor on "
                                f"PATH ({INSTALL} brings the mpich wheel's)"))
    if problems:
        raise ScenarioError(problems)


#: with no consensus reached, at most this many of the futures' own last plans are tried after it
EXTRA_CANDIDATES = 3


def plan_by_ph(futures: list, ph, settings, quiet) -> tuple:
    """PH, then its plan held fixed and evaluated in every future (exact): (SolveResult, plan,
    summary fields ph_*). The upper bound is the evaluated plan's expected cost."""
    from ..solve import SolveResult
    from .evaluate import OK, evaluate

    t0 = time.perf_counter()
    # the ranks' loop stops at the time limit; the launch gets twice that, plus start-up, before it is cut
    outcome = run_ph(futures, ph, quiet, log=settings.log, timeout_s=2 * settings.time_limit_s + 120)
    if outcome.status != "ok":
        return SolveResult(status="error", message=outcome.message), {}, {"ph_ranks": ph.ranks}
    tried = outcome.candidates[:1] if outcome.converged else outcome.candidates[:1 + EXTRA_CANDIDATES]
    best, best_cost, evaluated = None, None, 0
    for plan in tried:
        costs = []
        for f in futures:
            ev = evaluate(f.data, plan, quiet)
            if ev.status not in OK:
                costs = None
                break
            costs.append(f.probability * ev.cost_musd)
        evaluated += 1
        if costs is not None and (best_cost is None or sum(costs) < best_cost):
            best, best_cost = plan, sum(costs)
    seconds = time.perf_counter() - t0
    lower = outcome.lower_bound_musd
    fields = {"solver": f"highs ({SOLVER} under mpi-sppy)", "ph_ranks": outcome.ranks, "ph_rho": ph.rho,
              "ph_iterations": outcome.iterations, "ph_converged": outcome.converged,
              "ph_convergence": outcome.convergence, "ph_trivial_bound_musd": outcome.trivial_bound_musd,
              "ph_lagrangian_bound_musd": outcome.lagrangian_bound_musd, "ph_lower_bound_musd": lower,
              "ph_upper_bound_musd": best_cost, "ph_gap": None, "ph_seconds": round(outcome.seconds, 4),
              "ph_plans_evaluated": evaluated}
    if best is None:
        msg = (f"progressive hedging's plan (and {evaluated - 1} of the futures' own) cannot serve every future; "
               f"raise max_iterations or rho, or use method: extensive_form")
        return SolveResult(status="infeasible", message=msg, solve_seconds=seconds), {}, fields
    gap = (best_cost - lower) / max(abs(best_cost), 1e-9) if lower is not None else None
    fields["ph_gap"] = gap
    warnings = []
    if not outcome.converged:
        warnings.append(f"progressive hedging stopped after {outcome.iterations} iterations without consensus "
                        f"(metric {outcome.convergence:.3g} >= {ph.convergence:g}); the plan is the best of "
                        f"{evaluated} evaluated exactly, within the gap of the optimum")
    if futures[0].data.perspective == "importer":
        warnings.append("under progressive hedging the importer's plan is PH's, without the extensive form's last "
                        "stage (the least expected resource cost among the importer's least-cost plans)")
    status = "optimal" if gap is not None and gap <= settings.mip_gap + 1e-9 else "feasible"
    result = SolveResult(status=status, objective_musd=best_cost, mip_gap=gap, solve_seconds=seconds,
                         message=f"progressive hedging: {outcome.iterations} iterations, gap "
                                 f"{'n/a' if gap is None else f'{100 * gap:.3f} %'}", warnings=warnings)
    return result, best, fields


def _to_json(o: PHOutcome) -> dict:
    d = dataclasses.asdict(o)
    d["candidates"] = [[[name, list(index) if isinstance(index, tuple) else index, value]
                        for (name, index), value in plan.items()] for plan in o.candidates]
    return d


def _from_json(d: dict) -> PHOutcome:
    d = dict(d)
    d["candidates"] = [{(name, tuple(index) if isinstance(index, list) else index): value
                        for name, index, value in plan} for plan in d["candidates"]]
    return PHOutcome(**d)


def main(argv: list[str] | None = None) -> int:
    """One MPI rank: ``python -m planner.stochastic.ph FUTURES.pkl OUT.json`` (under mpiexec)."""
    from mpi4py import MPI

    from ..scenario.schema import ProgressiveHedging

    src, out = (argv if argv is not None else sys.argv[1:])[:2]
    with open(src, "rb") as fh:
        job = pickle.load(fh)
    outcome = solve_ph(job["futures"], ProgressiveHedging(**job["ph"]), job["settings"])
    if MPI.COMM_WORLD.Get_rank() == 0:
        tmp = Path(out).with_suffix(".part")
        tmp.write_text(json.dumps(_to_json(outcome)))
        os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
