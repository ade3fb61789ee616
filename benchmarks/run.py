"""Benchmark: model build, hand-off to HiGHS and solve time, and peak memory, for generated sizes.

    python benchmarks/run.py                 # the default sizes, a table at the end
    python benchmarks/run.py --sizes small   # one size
    python benchmarks/run.py --sizes medium --methods simplex ipm ipm-nocross pdlp   # HiGHS methods side by side
    python benchmarks/run.py --sizes large xxlarge --no-solve   # build and hand-off only
    python benchmarks/run.py --sizes bench60 --no-prices        # HiGHS on the LP alone, without the prices
    python benchmarks/run.py --sizes large --no-solve --baseline /path/to/other/checkout   # side by side
    python benchmarks/run.py --sizes bench60 --whole --repeat 3 --baseline /path/to/main   # planner solve, whole

Each size runs in its own process so that its peak memory (max RSS) is its own.

``--whole`` runs the whole command, ``planner solve SCENARIO --out DIR -q`` (the size written as a
scenario YAML), in a fresh interpreter per run, checkouts alternating, and prints each run's wall
seconds, HiGHS's seconds (summary.json's solve_seconds: the solve and the prices' re-solves) and the
time outside HiGHS (wall - HiGHS), then summary.json's ``timings`` (seconds per stage) where the
checkout writes them, and the medians.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METHODS = ["choose", "simplex", "ipm", "ipm-nocross", "pdlp"]
SIZES = {  # name: (projects, modelled years, slices per year, build mode)
    "bench60": (60, 8, 48, "continuous"),  # about issue 10's 60-project whole-process case
    "small": (40, 5, 12, "integer"),
    "medium": (150, 10, 48, "continuous"),
    "large": (300, 20, 96, "continuous"),
    "xlarge": (400, 25, 96, "continuous"),
    "xxlarge": (480, 12, 288, "continuous"),  # about the 1.29 M-row case of issue 10
}


def scenario(n_projects: int, n_years: int, n_slices: int, build: str, seed: int = 1) -> dict:
    """A synthetic Laos -> Vietnam system: 6 Lao zones, 3 Vietnamese nodes, links between them."""
    rng = np.random.default_rng(seed)
    la = [f"LA{i}" for i in range(6)]
    vn = ["VN_N", "VN_C", "VN_H"]
    per_season = n_slices // 2
    slices = [{"id": f"{s}{i}", "hours": 8760 / n_slices, "season": s, "peak": i % 4 == 3}
              for s in ("wet", "dry") for i in range(per_season)]
    techs = {"hydro": {"lifetime_years": 50, "availability": {"wet": 0.9, "dry": 0.35}},
             "wind": {"lifetime_years": 25, "availability": {"wet": 0.28, "dry": 0.38}},
             "solar": {"lifetime_years": 25, "availability": {
                 **{f"wet{i}": (0.5 if i % 4 in (1, 2) else 0.0) for i in range(per_season)},
                 **{f"dry{i}": (0.6 if i % 4 in (1, 2) else 0.0) for i in range(per_season)}}}}
    years = list(range(2026, 2026 + n_years))
    projects = []
    for i in range(n_projects):
        status = "existing" if i < n_projects // 10 else "candidate"
        tech = str(rng.choice(list(techs)))
        p = {"id": f"p{i}", "technology": tech, "node": str(rng.choice(la)), "status": status,
             "capacity_mw": float(rng.integers(50, 600)), "capex_usd_per_kw": float(rng.integers(700, 2500)),
             "fixed_om_usd_per_kw_year": 20.0, "energy_cost_usd_per_mwh": float(rng.integers(40, 75))}
        if status == "candidate":
            p["sizing"] = "up_to" if tech != "hydro" else "fixed"
            p["earliest_year"] = int(rng.choice(years))
        if tech == "hydro":
            p["max_energy_gwh_per_year"] = round(p["capacity_mw"] * 4.5, 1)
        projects.append(p)
    links = [{"id": f"x{i}", "from": n, "to": vn[i % 3], "capacity_mw": 1500.0,
              "status": "existing" if i < 2 else "candidate", "capex_musd": 200.0, "loss_fraction": 0.02}
             for i, n in enumerate(la)]
    links += [{"id": f"d{i}", "from": la[i], "to": la[i + 1], "capacity_mw": 1000.0, "status": "candidate",
               "capex_musd": 80.0, "bidirectional": True, "loss_fraction": 0.01} for i in range(5)]
    targets = [{"scope": "VN", "year": y, "energy_gwh": 3000.0 + 1500.0 * k, "capacity_mw": 600.0 + 200.0 * k}
               for k, y in enumerate(years)]
    return {"name": "bench", "horizon": {"base_year": 2025, "years": years, "discount_rate": 0.08},
            "time": {"slices": slices}, "options": {"build": build, "solver": {"mip_gap": 0.01, "time_limit_s": 1800}},
            "nodes": [{"id": n, "country": "LA"} for n in la] + [{"id": n, "country": "VN"} for n in vn],
            "technologies": techs, "projects": projects, "links": links, "targets": targets}


def one(size: str, method: str = "choose", solve: bool = True, prices: bool = True) -> dict:
    """Run one size in this process and return its measurements."""
    from planner.data import build_model_data
    from planner.formulation import build_model
    from planner.scenario.schema import Scenario
    from planner.solve import SolverSettings, solve_model

    n_projects, n_years, n_slices, build = SIZES[size]
    sc = Scenario.model_validate(scenario(n_projects, n_years, n_slices, build))
    t0 = time.perf_counter()
    data = build_model_data(sc)
    t1 = time.perf_counter()
    model = build_model(data)
    t2 = time.perf_counter()
    if not solve:
        import highspy

        from planner.solve import Compiled

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        t2 = time.perf_counter()
        compiled = Compiled(model)
        compiled.pass_to(h)  # the hand-off: compiled and passed to HiGHS in one array call
        t3 = time.perf_counter()
        return {"size": size, "build": build, "method": "-", "columns": compiled.n_columns,
                "rows": compiled.n_rows, "data_s": t1 - t0, "build_s": t2 - t1, "handoff_s": t3 - t2,
                "solve_s": 0.0, "status": "not solved",
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "objective": None}
    options = {"run_crossover": "off"} if method.endswith("-nocross") else {}
    settings = SolverSettings(time_limit_s=1800, mip_gap=0.01, method=method.removesuffix("-nocross"), options=options)
    result = solve_model(model, settings, want_duals=prices, release=True)  # as planner solve does
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "build": build, "method": method, "columns": result.n_variables, "rows": result.n_constraints,
            "data_s": t1 - t0, "build_s": t2 - t1, "handoff_s": result.handoff_seconds,
            "solve_s": result.solve_seconds, "status": result.status, "peak_mb": peak_mb,
            "objective": result.objective_musd}


STAGES = ("imports", "load", "data", "build", "handoff", "solve", "prices", "analyses", "tables", "files")


def whole(size: str, checkout: Path | None, folder: Path) -> dict:
    """One ``planner solve`` of the size, in a fresh interpreter: wall seconds and summary.json."""
    import yaml

    path = folder / f"{size}.yaml"
    if not path.exists():
        path.write_text(yaml.safe_dump(scenario(*SIZES[size])))
    out = folder / f"out-{time.monotonic_ns()}"
    code = "import sys; sys.argv[0] = 'planner'; "
    if checkout:
        code += f"sys.path.insert(0, {str(checkout.resolve())!r}); "
    code += "from planner.cli import main; main()"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "solve", str(path), "--out", str(out), "-q"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    summary = json.loads((out / "summary.json").read_text())
    highs = float(summary["solve_seconds"])
    return {"wall_s": wall, "highs_s": highs, "outside_s": wall - highs, "timings": summary.get("timings") or {},
            "objective": summary["objective_musd"]}


def main_whole(sizes: list[str], repeat: int, baseline: Path | None) -> None:
    checkouts = [("this", None)] + ([("baseline", baseline)] if baseline else [])
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            runs: dict[str, list[dict]] = {label: [] for label, _ in checkouts}
            for i in range(repeat):
                for label, checkout in checkouts:  # alternating, so a change of load hits both
                    r = whole(size, checkout, Path(tmp))
                    runs[label].append(r)
                    t = r["timings"]
                    stages = " ".join(f"{k}={t[k]:.2f}" for k in STAGES if k in t)
                    print(f"{size} {label:8} run {i + 1}: wall {r['wall_s']:.2f} s, HiGHS {r['highs_s']:.2f} s, "
                          f"outside HiGHS {r['outside_s']:.2f} s ({r['outside_s'] / r['highs_s']:.2f}x)"
                          f"{'; ' + stages if stages else ''}; objective {r['objective']:,.4f}", flush=True)
            for label, rs in runs.items():
                med = {k: statistics.median(r[k] for r in rs) for k in ("wall_s", "highs_s", "outside_s")}
                stages = {k: statistics.median(r["timings"][k] for r in rs) for k in STAGES
                          if all(k in r["timings"] for r in rs)}
                print(f"{size} {label:8} median of {len(rs)}: wall {med['wall_s']:.2f} s, HiGHS {med['highs_s']:.2f} s, "
                      f"outside HiGHS {med['outside_s']:.2f} s ({med['outside_s'] / med['highs_s']:.2f}x)"
                      + ("; " + " ".join(f"{k}={v:.2f}" for k, v in stages.items()) if stages else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["small", "medium", "large"], choices=list(SIZES))
    parser.add_argument("--methods", nargs="*", default=["choose"], choices=METHODS,
                        help="HiGHS LP algorithms for the continuous sizes (options.solver.method; "
                             "ipm-nocross: crossover off), each run side by side")
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--no-solve", action="store_true", help="measure the build and the hand-off only")
    parser.add_argument("--no-prices", action="store_true", help="solve without the prices' re-solves: solve s is "
                                                                   "HiGHS on the LP (or MIP) alone")
    parser.add_argument("--baseline", type=Path, help="another checkout of planner, run the same way beside this one")
    parser.add_argument("--whole", action="store_true", help="time the whole planner solve command (see above)")
    parser.add_argument("--repeat", type=int, default=3, help="with --whole: runs per checkout")
    parser.add_argument("--checkout", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--one", choices=list(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.whole:
        main_whole(args.sizes, args.repeat, args.baseline)
        return
    if args.one:
        if args.checkout:
            sys.path.insert(0, str(args.checkout.resolve()))
        print(json.dumps(one(args.one, args.method or "choose", solve=not args.no_solve, prices=not args.no_prices)))
        return
    rows = []
    checkouts = [("this", None)] + ([("baseline", args.baseline)] if args.baseline else [])
    for size in args.sizes:
        for method in args.methods:
            for label, checkout in checkouts:
                proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", size, "--method", method,
                                       *(["--no-solve"] if args.no_solve else []),
                                       *(["--no-prices"] if args.no_prices else []),
                                       *(["--checkout", str(checkout)] if checkout else [])],
                                      capture_output=True, text=True)
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    continue
                rows.append({**json.loads(proc.stdout.strip().splitlines()[-1]), "checkout": label})
                print(f"done {size} {method} {label}", file=sys.stderr)
    header = f"{'checkout':9} {'size':8} {'mode':10} {'method':11} {'columns':>9} {'rows':>9} {'data s':>7} {'build s':>8} " \
             f"{'handoff s':>9} {'solve s':>8} {'peak MB':>8} {'objective':>14} status"
    print(header)
    print("-" * len(header))
    for r in rows:
        obj = f"{r['objective']:>14,.4f}" if r.get("objective") is not None else f"{'':>14}"
        print(f"{r['checkout']:9} {r['size']:8} {r['build']:10} {r['method']:11} {r['columns']:>9,} {r['rows']:>9,} {r['data_s']:>7.2f} "
              f"{r['build_s']:>8.2f} {r['handoff_s']:>9.2f} {r['solve_s']:>8.2f} {r['peak_mb']:>8.0f} {obj} {r['status']}")


if __name__ == "__main__":
    main()
