"""The base case on an hourly year: 12 representative days against the full 8,760 hours (issue 10).

    python benchmarks/hourly.py                      # 12 days (as shipped and as an LP), then the full year
    python benchmarks/hourly.py --skip-full          # only the 12-day runs
    python benchmarks/hourly.py --full-from DIR      # compare with a full-year run already in DIR
    python benchmarks/hourly.py --skip-full --skip-integer --days 24 48 96   # more days: does the plan settle?
    python benchmarks/hourly.py --out DIR --reuse ...  # the table again from the runs already in DIR

Each run is ``planner solve`` in a subprocess of its own (``--no-xlsx``), timed from start to exit,
its peak memory the subprocess's maximum resident set (``wait4``). Runs:

- ``12d integer``: scenarios/hourly/hourly_12d.yaml as shipped (the base case's integer builds);
- ``12d LP``: the same with ``options.build=continuous``, HiGHS interior point without crossover:
  the settings of the full year, so that the two are compared like for like;
- ``Kd LP`` (``--days K ...``): the 12-day LP with K representative days instead, the plan only
  (``options.solver.marginal_values=false``): the series shows how far the plan moves as the days
  get more, towards the full year;
- ``full LP``: scenarios/hourly/hourly_full.yaml (every day its own period, 8,760 slices a year;
  the plan only: its options.solver.marginal_values is false).

Printed: slices per year, LP columns and rows (summary.json), wall time, peak MB, objective; the
comparison of every other LP (more days, the full year) with the 12-day LP (new-build MW per
technology, and per new link, online in 2030 and 2035, energy imported by Vietnam each year, objective difference); and the aggregation error of
the 12-day run (its results' aggregation.csv). The profiles are ILLUSTRATIVE (see
scenarios/hourly/README.md), so the differences measure the aggregation, not the real system.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOURLY = ROOT / "scenarios" / "hourly"
LP = ["options.build=continuous", "options.solver.method=ipm", "options.solver.crossover=false"]
YEARS = (2030, 2035)


def run(name: str, scenario: Path, sets: list[str], out: Path, time_limit: float | None) -> dict:
    """``planner solve`` in its own process: wall seconds, peak MB, exit status."""
    sets = list(sets) + ([f"options.solver.time_limit_s={time_limit:g}"] if time_limit else [])
    cmd = [sys.executable, "-m", "planner.cli", "solve", str(scenario), "--out", str(out), "--force", "--quiet",
           "--no-xlsx"]
    for s in sets:
        cmd += ["--set", s]
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(cmd[2:])}", flush=True)
    child = peers.timed(cmd, cwd=ROOT, log=out.with_name(out.name + ".log"), check=False)
    code = child["exit"]
    stats = {"name": name, "wall_s": child["s"], "peak_mb": child["peak_mb"], "exit": code, "command": cmd[2:]}
    if out.is_dir():
        (out / "bench.json").write_text(json.dumps(stats, indent=2))
    if code != 0:
        print(f"  exit {code}: {child['output'].strip()[-2000:]}", flush=True)
    return stats


def results(name: str, out: Path, stats: dict | None) -> dict:
    """What the table needs from a result folder."""
    if stats is None and (out / "bench.json").is_file():
        stats = json.loads((out / "bench.json").read_text())
    row = {"name": name, "out": out, "wall_s": (stats or {}).get("wall_s"), "peak_mb": (stats or {}).get("peak_mb")}
    if not (out / "summary.json").is_file():
        return row
    summary = json.loads((out / "summary.json").read_text())
    row.update(status=summary["status"], objective=summary.get("objective_musd"), columns=summary.get("n_variables"),
               rows=summary.get("n_constraints"), build_s=summary.get("build_seconds"),
               handoff_s=summary.get("handoff_seconds"), solve_s=summary.get("solve_seconds"))
    dispatch = pd.read_csv(out / "dispatch.csv", usecols=["year", "slice"])  # prices.csv is empty without prices
    row["slices"] = dispatch.groupby("year")["slice"].nunique().max()
    builds = pd.read_csv(out / "builds.csv")
    capacity = pd.read_csv(out / "capacity.csv")
    new = builds[(builds.status == "candidate")][["asset", "kind", "technology"]].drop_duplicates("asset")
    new = new.assign(technology=new.technology.where(new.kind == "project", "link " + new.asset))  # each new link
    online = capacity.merge(new, on="asset")
    row["built"] = online[online.year.isin(YEARS)].groupby(["technology", "year"]).online_mw.sum()
    imports = pd.read_csv(out / "imports.csv")
    row["imported"] = imports[imports.scope == "VN"].set_index("year").energy_gwh
    if (out / "aggregation.csv").is_file():
        row["aggregation"] = pd.read_csv(out / "aggregation.csv")
    return row


def fmt(value, spec: str = ",.1f") -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else format(value, spec)


table = peers.markdown_table


def compare(ref: dict, others: list[dict]) -> None:
    """Each other LP (more days, the full year) against the 12-day LP: new build online in YEARS by
    technology, energy imported each year, objective."""
    names = [r["name"].removesuffix(" LP") for r in [ref, *others]]
    print(f"\nAgainst the 12 representative days (all continuous builds, IPM): {', '.join(names)}\n")
    techs = sorted(set().union(*(r["built"].index.get_level_values(0) for r in [ref, *others])))
    print(table(["new build online, MW"] + [f"{y} {n}" for y in YEARS for n in names],
                [[tech] + [fmt(float(r["built"].get((tech, y), 0.0)), ",.0f") for y in YEARS for r in [ref, *others]]
                 for tech in techs]))
    years = sorted(set(ref["imported"].index))
    print()
    print(table(["year"] + [f"imported GWh {n}" for n in names],
                [[str(y)] + [fmt(r["imported"].get(y), ",.0f") for r in [ref, *others]] for y in years]))
    print()
    print(table(["run", "objective MUSD", "against 12d"],
                [[r["name"], fmt(r.get("objective"), ",.2f"),
                  fmt(100 * (r["objective"] / ref["objective"] - 1), "+.2f") + " %" if r.get("objective") else ""]
                 for r in [ref, *others]]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-full", action="store_true", help="do not run the full year")
    ap.add_argument("--skip-integer", action="store_true", help="do not run the 12 days with integer builds")
    ap.add_argument("--full-from", type=Path, help="a finished full-year result folder to compare with instead "
                                                    "of running it (wall time and memory from its bench.json)")
    ap.add_argument("--days", nargs="*", type=int, default=[], help="also the LP with these numbers of "
                                                                     "representative days (plan only)")
    ap.add_argument("--full-time-limit", type=float, default=None, help="HiGHS time limit of the full year and the --days runs, s "
                    "(default: the scenario's, 300 s)")
    ap.add_argument("--reuse", action="store_true", help="a run whose folder in --out already holds its "
                                                          "summary.json and bench.json is read, not run again")
    ap.add_argument("--out", type=Path, default=None, help="folder for the result folders (default: a temp dir)")
    args = ap.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="planner-hourly-"))
    base.mkdir(parents=True, exist_ok=True)
    plan = []
    if not args.skip_integer:
        plan.append(("12d integer", HOURLY / "hourly_12d.yaml", [], base / "hourly_12d"))
    plan.append(("12d LP", HOURLY / "hourly_12d.yaml", LP, base / "hourly_12d_lp"))
    for k in args.days:
        plan.append((f"{k}d LP", HOURLY / "hourly_12d.yaml",
                     LP + [f"time.representative_days={k}", "options.solver.marginal_values=false"],
                     base / f"hourly_{k}d_lp"))
    if not args.skip_full and args.full_from is None:
        plan.append(("full LP", HOURLY / "hourly_full.yaml", [], base / "hourly_full"))
    rows = []
    for name, scenario, sets, out in plan:
        big = name == "full LP" or name.removesuffix("d LP") in map(str, args.days)
        if args.reuse and (out / "bench.json").is_file() and (out / "summary.json").is_file():
            print(f"{name}: reusing {out}", flush=True)
            stats = None  # read from its bench.json
        else:
            stats = run(name, scenario, sets, out, args.full_time_limit if big else None)
        rows.append(results(name, out, stats))
    if args.full_from is not None:
        rows.append(results("full LP", args.full_from, None))

    print(f"\nMachine: {os.cpu_count()} cores; results in {base}\n")
    print(table(["run", "status", "slices/year", "LP columns", "LP rows", "build s", "hand-off s", "solve s",
                 "wall s", "peak MB", "objective MUSD"],
                [[r["name"], r.get("status", "no result"), fmt(r.get("slices"), ","), fmt(r.get("columns"), ","),
                  fmt(r.get("rows"), ","), fmt(r.get("build_s")), fmt(r.get("handoff_s")), fmt(r.get("solve_s")),
                  fmt(r.get("wall_s")), fmt(r.get("peak_mb"), ",.0f"), fmt(r.get("objective"), ",.2f")]
                 for r in rows]))

    ref = next((r for r in rows if r["name"] == "12d LP"), None)
    others = [r for r in rows if r["name"].endswith(" LP") and r is not ref and "built" in r]
    if ref is not None and "built" in ref and others:
        compare(ref, others)
    agg = next((r["aggregation"] for r in rows if r["name"].startswith("12d") and "aggregation" in r), None)
    if agg is not None:
        print("\nAggregation error of the 12 representative days (aggregation.csv):\n")
        print(table(list(agg.columns), [[str(v) if isinstance(v, str) else fmt(v, ".4f") for v in rec]
                                        for rec in agg.itertuples(index=False)]))


if __name__ == "__main__":
    main()
