"""Benchmark: the whole `planner solve` process on a generated scenario, this checkout against
another (a baseline), side by side, and where the time goes.

    python benchmarks/process.py                                   # bench60, best of 3
    python benchmarks/process.py --sizes bench60 medium --baseline /path/to/other/checkout
    python benchmarks/process.py --no-xlsx                         # without the workbook

Each run is a process of its own (`python -m planner.cli solve SCENARIO --out DIR --quiet`, the
checkout first on PYTHONPATH), alternating this checkout and the baseline so a busy spell hits both
alike; the best wall clock of --repeat is shown with its own split, read from the run's
summary.json: build (the Pyomo model), hand-off (compile to matrices), solve (HiGHS, prices
included), and the rest (imports, reading the scenario, result tables, writing files). Also
`planner --help`. PyPSA on the same scenarios: benchmarks/peers.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peers  # noqa: E402
from run import SIZES, scenario  # noqa: E402


def timed(cmd: list[str], checkout: Path) -> dict:
    """peers.timed with ``checkout`` first on the path, run from the temporary folder (the current
    folder would come first on the path)."""
    return peers.timed(cmd, cwd=Path(tempfile.gettempdir()), env={**os.environ, "PYTHONPATH": str(checkout)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["bench60"], choices=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout of planner, run the same way")
    parser.add_argument("--no-xlsx", action="store_true", help="pass --no-xlsx to planner solve")
    args = parser.parse_args()
    checkouts = [("this", HERE.parent)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    work = Path(tempfile.mkdtemp(prefix="planner-process-"))
    rows = []
    try:
        for label, checkout in checkouts:
            runs = [timed([sys.executable, "-m", "planner.cli", "--help"], checkout) for _ in range(args.repeat)]
            rows.append({"checkout": label, "what": "planner --help", **peers.best(runs)})
        for size in args.sizes:
            path = work / size / "scenario.yaml"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(scenario(*SIZES[size])))  # JSON is YAML
            runs: dict[str, list] = {label: [] for label, _ in checkouts}
            for i in range(args.repeat):
                for label, checkout in checkouts:
                    out = work / size / f"{label}-{i}"
                    r = timed([sys.executable, "-m", "planner.cli", "solve", str(path), "--out", str(out), "--quiet",
                               *(["--no-xlsx"] if args.no_xlsx else [])], checkout)
                    summary = json.loads((out / "summary.json").read_text())
                    r.update(build=summary["build_seconds"], handoff=summary["handoff_seconds"],
                             solve=summary["solve_seconds"], objective=summary["objective_musd"],
                             size=f"{summary['n_variables']:,} x {summary['n_constraints']:,}")
                    runs[label].append(r)
                    shutil.rmtree(out)
                print(f"done {size} {i + 1}/{args.repeat}", file=sys.stderr)
            for label, _ in checkouts:
                rows.append({"checkout": label, "what": f"solve {size}", **peers.best(runs[label])})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cells = []
    for r in rows:
        split = ["", "", "", "", "", ""]
        if "build" in r:
            rest = r["s"] - r["build"] - r["handoff"] - r["solve"]
            split = [f"{r['build']:.2f}", f"{r['handoff']:.2f}", f"{r['solve']:.2f}", f"{rest:.2f}", r["size"],
                     f"{r['objective']:,.4f}"]
        cells.append([r["checkout"], r["what"], f"{r['s']:.2f}", *split[:4], f"{r['peak_mb']:,.0f}", *split[4:]])
    print(peers.markdown_table(["checkout", "what", "whole s", "build s", "hand-off s", "solve s", "rest s", "peak MB",
                                "columns x rows", "objective"], cells, right=(2, 3, 4, 5, 6, 7, 9)))
    print(f"\nbest of {args.repeat}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
