"""Benchmark: the extensive form of the base case over N hydrology years, beside N deterministic solves.

    python benchmarks/uncertainty.py                 # 10 hydrology years at the base case's slices
    python benchmarks/uncertainty.py --years 5
    python benchmarks/uncertainty.py --years 3 --scenario scenarios/hourly/hourly_12d.yaml   # 12 representative days

The futures are the base case (scenarios/base/base.yaml, or --scenario) with every hydro plant's water scaled by
N factors evenly spread over 0.70-1.24 (ILLUSTRATIVE: the +/-20-30 % swing of Lao hydro output),
equally likely. Each side runs in a process of its own, so its peak memory (max RSS, MB) is its own:

- extensive form: ``stochastic.extensive_form`` built (build s), compiled and handed to HiGHS
  (hand-off s), solved (solve s: HiGHS's MIP, the scenario's mip_gap and time limit);
- deterministic: each future's own model (``formulation.build_model``) built, handed off and solved
  one after the other; the seconds are the sums over the N solves.

Reading the futures (``futures.futures_of``: N ModelData) is outside both timings. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base" / "base.yaml"
sys.path.insert(0, str(ROOT))


def scenario_file(folder: Path, n: int, base: Path = BASE) -> Path:
    factors = [round(0.70 + i * (0.54 / max(1, n - 1)), 4) for i in range(n)]
    lines = [f"name: {base.stem}_{n}_years", f"extends: {base.resolve()}", "uncertainty:", "  scenarios:"]
    for i, f in enumerate(factors):
        lines.append(f"    - {{id: y{i + 1:02d}, probability: {1 / n!r}, hydro_energy_factor: {f}}}")
    path = folder / f"years_{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def child(kind: str, path: Path) -> dict:
    from planner.formulation import build_model
    from planner.scenario import load_scenario
    from planner.solve import SolverSettings, solve_model
    from planner.stochastic import extensive_form, futures_of

    loaded = load_scenario(path)
    futures, _ = futures_of(loaded)
    solver = loaded.scenario.options.solver
    settings = SolverSettings(solver.time_limit_s, solver.mip_gap, solver.threads, None, solver.method, solver.highs())
    out = {"build_s": 0.0, "handoff_s": 0.0, "solve_s": 0.0, "objective": 0.0, "status": [], "gap": 0.0,
           "columns": 0, "rows": 0}
    if kind == "ef":
        t0 = time.perf_counter()
        m = extensive_form(futures)
        out["build_s"] = time.perf_counter() - t0
        r = solve_model(m, settings, want_duals=False, release=True)
        out.update(handoff_s=r.handoff_seconds, solve_s=r.solve_seconds, objective=r.objective_musd,
                   status=[r.status], gap=r.mip_gap, columns=r.n_variables, rows=r.n_constraints)
    else:
        for f in futures:
            t0 = time.perf_counter()
            m = build_model(f.data)
            out["build_s"] += time.perf_counter() - t0
            r = solve_model(m, settings, want_duals=False, release=True)
            out["handoff_s"] += r.handoff_seconds
            out["solve_s"] += r.solve_seconds
            out["objective"] += f.probability * (r.objective_musd or 0.0)
            out["status"].append(r.status)
            out["gap"] = max(out["gap"], r.mip_gap or 0.0)
            out["columns"] += r.n_variables
            out["rows"] += r.n_constraints
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--child", choices=("ef", "det"))
    ap.add_argument("--file")
    ap.add_argument("--scenario", type=Path, default=BASE, help="the scenario whose hydrology years are planned")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, Path(a.file))))
        return
    from benchmarks.peers import markdown_table

    with tempfile.TemporaryDirectory() as tmp:
        path = scenario_file(Path(tmp), a.years, a.scenario)
        results = {}
        for kind in ("ef", "det"):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--child", kind, "--file", str(path)],
                                  capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if proc.returncode != 0:
                sys.exit(proc.stderr)
            results[kind] = {**json.loads(proc.stdout.strip().splitlines()[-1]),
                             "wall_s": time.perf_counter() - t0}
    rows = []
    print(f"{a.scenario.name}, {a.years} hydrology years")
    for kind, label in (("ef", f"extensive form, {a.years} years"), ("det", f"{a.years} deterministic solves")):
        r = results[kind]
        rows.append([label, f"{r['columns']:,}", f"{r['rows']:,}", f"{r['build_s']:.2f}", f"{r['handoff_s']:.2f}",
                     f"{r['solve_s']:.2f}", f"{r['peak_mb']:.0f}", f"{r['wall_s']:.1f}", f"{r['objective']:,.2f}",
                     f"{100 * r['gap']:.3f}", ",".join(sorted(set(r["status"])))])
    print(markdown_table(["run", "columns", "rows", "build s", "hand-off s", "solve s", "peak MB", "process s",
                          "E[cost] MUSD", "max gap %", "status"], rows, right=tuple(range(1, 10))))
    print("E[cost]: the extensive form's objective; for the deterministic solves, the probability-weighted sum of "
          "each year's own optimum (the wait-and-see value, a lower bound on the extensive form's).")


if __name__ == "__main__":
    main()
