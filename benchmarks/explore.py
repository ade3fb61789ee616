"""Benchmark: `planner explore`'s re-solves on one compiled model against a fresh build per re-solve,
and the whole explore of a scenario on local worker processes.

    python benchmarks/explore.py                                    # the shipped base case
    python benchmarks/explore.py --scenario scenarios/example/example.yaml --workers 2
    python benchmarks/explore.py --skip-whole                       # the re-solve table only

Re-use: one ``Session`` (the model built, compiled and passed to HiGHS once), then every with/without
reversal (built: barred; unbuilt: forced in at its earliest year) as a change of column bounds and
a new HiGHS run; the time of each run. Fresh: for each reversal, the data, the Pyomo model, the
matrices and the HiGHS model built anew, then the same run. Both in this process, one after the
other, and in both build modes: ``integer`` (the scenario's MIP: HiGHS starts its branch and bound
over, whatever it solved before) and ``continuous`` (an LP: the re-solve starts from the last basis).
Then the whole `planner explore SCENARIO --with-without --near-optimal 0.02 --workers N` as a
process of its own, its wall clock and explore.json's split.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from planner.explore import Session  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402


def reversals(session: Session, base_plan: dict) -> list[tuple[str, str]]:
    items = []
    for a in sorted(session.build_cols):
        items.append((a, "bar" if a in base_plan else "force"))
    return items


def bench_mode(path: Path, mode: str) -> dict:
    loaded = load_scenario(path, (f"options.build={mode}",))
    scenario = loaded.scenario
    t0 = time.perf_counter()
    s = Session(scenario)
    compile_s = time.perf_counter() - t0
    base = s.solve()
    items = reversals(s, base.plan)
    reuse = []
    for a, action in items:
        reuse.append(s.reverse(a, action).seconds)
    fresh = []
    for a, action in items:
        t = time.perf_counter()
        Session(scenario).reverse(a, action)
        fresh.append(time.perf_counter() - t)
    return {"mode": mode, "reversals": len(items), "build_and_compile_s": compile_s,
            "first_solve_s": base.seconds, "reuse_mean_s": statistics.mean(reuse),
            "reuse_median_s": statistics.median(reuse), "fresh_mean_s": statistics.mean(fresh),
            "fresh_median_s": statistics.median(fresh), "reuse_total_s": sum(reuse), "fresh_total_s": sum(fresh)}


def whole(path: Path, workers: int, slack: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix="planner-explore-")) / "explored"
    cmd = [sys.executable, "-m", "planner.cli", "explore", str(path), "--with-without", "--near-optimal", str(slack),
           "--workers", str(workers), "--out", str(out), "--quiet", "--no-xlsx"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"planner explore failed ({proc.returncode}): {proc.stderr[-2000:]}")
    s = json.loads((out / "explore.json").read_text())
    return {"workers": workers, "wall_s": wall, "jobs_s": s["jobs_seconds"], "resolves": s["resolves"],
            "mean_resolve_s": s["mean_resolve_seconds"], "mean_compile_s": s["mean_compile_seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=HERE.parent / "scenarios" / "base" / "base.yaml")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slack", type=float, default=0.02)
    parser.add_argument("--skip-whole", action="store_true", help="only the re-solve table")
    args = parser.parse_args()
    print(f"scenario {args.scenario}")
    print("| build mode | reversals | build+compile s | re-use: mean s per re-solve | fresh: mean s per re-solve "
          "| re-use total s | fresh total s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mode in ("integer", "continuous"):
        r = bench_mode(args.scenario, mode)
        print(f"| {mode} | {r['reversals']} | {r['build_and_compile_s']:.3f} | {r['reuse_mean_s']:.3f} "
              f"(median {r['reuse_median_s']:.3f}) | {r['fresh_mean_s']:.3f} (median {r['fresh_median_s']:.3f}) "
              f"| {r['reuse_total_s']:.2f} | {r['fresh_total_s']:.2f} |", flush=True)
    if not args.skip_whole:
        w = whole(args.scenario, args.workers, args.slack)
        print(f"\nplanner explore --with-without --near-optimal {args.slack} --workers {w['workers']}: "
              f"{w['wall_s']:.1f} s wall ({w['jobs_s']:.1f} s of parallel jobs); re-solves {w['resolves']}; "
              f"mean s per re-solve {w['mean_resolve_s']}; mean build+compile s per job {w['mean_compile_s']:.3f}")


if __name__ == "__main__":
    main()
