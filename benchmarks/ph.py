"""Benchmark: progressive hedging (mpi-sppy) on 1, 2 and 4 MPI ranks beside the extensive form.

    python benchmarks/ph.py                        # 32 futures of the example scenario
    python benchmarks/ph.py --futures 16 --ranks 1 2 --iterations 50 --rho 0.3

Needs the ph extra (``pip install 'planner[ph]'``). The futures are the shipped example
(scenarios/example/example.yaml) with every hydro plant's water scaled by a factor drawn from a
normal distribution (mean 1, sd 0.15, clipped to 0.6-1.35) and Vietnam's 2030 energy target drawn
uniformly from 11,000-17,000 GWh (the example's is 14,000; numpy seed 18; ILLUSTRATIVE), equally
likely: the water alone leaves every future's own plan the same, so PH would stop at once. The base case is too slow for this: each of its futures is a MIP of some seconds, so 32
futures x tens of PH iterations is hours (one PH run of its three hydrology years took 314 s).

- extensive form: ``stochastic.extensive_form`` built and solved with HiGHS (build + hand-off +
  solve seconds), its expected cost and MIP gap;
- PH, per rank count: ``stochastic.ph.plan_by_ph`` (PH itself, in this process for one rank or
  under mpiexec for more, then its plan evaluated exactly in every future): wall seconds of PH
  (for ranks > 1 including the launch: every rank imports planner, Pyomo and mpi-sppy and builds its
  futures' models), seconds of the exact evaluation, iterations, lower and upper bound, gap, and
  whether its plan is the extensive form's (the same builds to 1e-6).

PH runs a fixed number of iterations (``--iterations``, default 20) so each rank count does the same
work; the time limit (which caps PH's loop in the product) is lifted to 1800 s. Reading the futures
(``futures_of``) is outside every timing. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example" / "example.yaml"
sys.path.insert(0, str(ROOT))


def scenario_file(folder: Path, n: int, seed: int = 18) -> Path:
    import numpy as np

    rng = np.random.default_rng(seed)
    factors = np.clip(rng.normal(1.0, 0.15, n), 0.6, 1.35).round(3)
    demand = rng.uniform(8000, 20000, n).round(-1)
    lines = [f"name: example_{n}_futures", f"extends: {EXAMPLE}", "limits: {max_tariff_usd_per_mwh: 200}",
             "uncertainty:", "  scenarios:"]
    for i, (f, d) in enumerate(zip(factors, demand)):
        lines.append(f"    - {{id: y{i + 1:02d}, probability: {1 / n!r}, hydro_energy_factor: {float(f)}, "
                     f"set: {{targets.VN@2030.energy_gwh: {float(d)}}}}}")
    lines.append("  method: progressive_hedging")
    path = folder / f"futures_{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--futures", type=int, default=32)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--rho", type=float, default=None, help="uncertainty.ph.rho (default: the schema's)")
    ap.add_argument("--iterations", type=int, default=20, help="uncertainty.ph.max_iterations: the same work on "
                    "every rank count (default 20)")
    ap.add_argument("--time-limit", type=float, default=1800, help="options.solver.time_limit_s, which also caps "
                    "PH's loop (default 1800: the iterations decide)")
    args = ap.parse_args()

    from planner.scenario import load_scenario
    from planner.solve import SolverSettings, solve_model
    from planner.stochastic import extensive_form, futures_of, plan_of
    from planner.stochastic.ph import missing, plan_by_ph

    if missing():
        sys.exit(missing())
    with tempfile.TemporaryDirectory() as tmp:
        path = scenario_file(Path(tmp), args.futures)
        loaded = load_scenario(path)
        futures, _ = futures_of(loaded)
    solver = loaded.scenario.options.solver
    settings = SolverSettings(args.time_limit, solver.mip_gap, solver.threads, None, solver.method, solver.highs())
    ph = loaded.scenario.uncertainty.ph.model_copy(update={"max_iterations": args.iterations})
    if args.rho is not None:
        ph = ph.model_copy(update={"rho": args.rho})

    rows = []
    t0 = time.perf_counter()
    ef = extensive_form(futures)
    r = solve_model(ef, settings, want_duals=False)
    ef_plan = plan_of(ef)
    rows.append(dict(method="extensive form", ranks=1, wall=time.perf_counter() - t0, evaluate=None, iterations=None,
                     lower=r.objective_musd - (r.mip_gap or 0) * abs(r.objective_musd) if r.objective_musd is not None else None,
                     upper=r.objective_musd, gap=r.mip_gap, same="-", status=r.status))
    for n in args.ranks:
        run_ph = ph.model_copy(update={"ranks": n})
        t0 = time.perf_counter()
        result, plan, s = plan_by_ph(futures, run_ph, settings, settings)
        total = time.perf_counter() - t0
        same = bool(plan) and all(abs(plan[k] - ef_plan.get(k, 0.0)) <= 1e-6 for k in set(plan) | set(ef_plan))
        rows.append(dict(method="progressive hedging", ranks=n, wall=s.get("ph_seconds"),
                         evaluate=total - (s.get("ph_seconds") or 0.0), iterations=s.get("ph_iterations"),
                         lower=s.get("ph_lower_bound_musd"), upper=s.get("ph_upper_bound_musd"), gap=s.get("ph_gap"),
                         same="yes" if same else "no", status=result.status if s.get("ph_converged") else
                         f"{result.status}, no consensus"))

    def f(x, fmt):
        return "" if x is None else format(x, fmt)

    print(f"{args.futures} futures of {EXAMPLE.relative_to(ROOT)} (ph: rho {ph.rho:g}, max_iterations "
          f"{ph.max_iterations}, convergence {ph.convergence:g}; mip_gap {settings.mip_gap:g})\n")
    print("| method | ranks | wall s | evaluate s | iterations | lower MUSD | upper MUSD | gap % | EF's plan | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for row in rows:
        print(f"| {row['method']} | {row['ranks']} | {f(row['wall'], '.1f')} | {f(row['evaluate'], '.1f')} | "
              f"{f(row['iterations'], 'd')} | {f(row['lower'], ',.2f')} | {f(row['upper'], ',.2f')} | "
              f"{f(None if row['gap'] is None else 100 * row['gap'], '.3f')} | {row['same']} | {row['status']} |")


if __name__ == "__main__":
    main()
