"""Benchmark: a re-solve of a compiled model against a fresh build and solve of the same problem.

    python benchmarks/resolve.py                         # example and bench60, LP and MIP
    python benchmarks/resolve.py --cases example --modes continuous
    python benchmarks/resolve.py --candidates 4          # candidates searched / reversed per case

Two re-solvers, as planner runs them:

- flip tariffs (flip.flip_job): per candidate, the importer's model is built and compiled once, then
  each trial tariff changes the candidate's costs and re-runs HiGHS. Fresh: the build of the data,
  the model, the matrices and the HiGHS model plus the first trial's solve (the time to the first
  report). Re-solve: the time between two reports (the cost change, HiGHS, reading the plan).
- with/without (explore.Session.reverse): a built candidate barred or an unbuilt one forced in, as
  a change of column bounds (a MIP started from the base plan, reversed, as explore's workers do).
  Fresh: explore.fresh_reversal_job (a Session built for the reversal alone, then the same reversal).

Each case runs in its own process, one after the other. The table gives medians and the re-solve
as a share of the fresh solve (the target of issue 21: at most 20 %).
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
EXAMPLE = HERE.parent / "scenarios" / "example" / "example.yaml"
CASES = ("example", "bench60")
MODES = ("continuous", "integer")


def _path(case: str, folder: Path) -> Path:
    if case == "example":
        return EXAMPLE
    import yaml

    sys.path.insert(0, str(HERE))
    from run import SIZES, scenario  # benchmarks/run.py's generated sizes

    path = folder / f"{case}.yaml"
    path.write_text(yaml.safe_dump(scenario(*SIZES[case])))
    return path


class _Clock:
    """A flip_job report queue that notes when each re-solve ended."""

    def __init__(self):
        self.times = [time.perf_counter()]

    def put(self, _event) -> None:
        self.times.append(time.perf_counter())


def one(case: str, mode: str, candidates: int, studies: tuple[str, ...] = ("flip", "ww")) -> dict:
    from planner.explore import Session, fresh_reversal_job
    from planner.flip import flip_job
    from planner.run import load, model_data

    with tempfile.TemporaryDirectory() as tmp:
        loaded = load(_path(case, Path(tmp)), (f"options.build={mode}",))
    scenario = loaded.scenario
    data = model_data(loaded)
    chosen = [p for p in data.projects.index if data.assets.at[p, "status"] == "candidate"
              and p not in data.storage][:candidates]
    flip_fresh, flip_again = [], []
    for p in chosen if "flip" in studies else ():
        clock = _Clock()
        flip_job(scenario, p, float(data.projects.at[p, "tariff_usd_per_mwh"]), 600.0, clock)
        gaps = [b - a for a, b in zip(clock.times, clock.times[1:])]
        if len(gaps) >= 2:
            flip_fresh.append(gaps[0])
            flip_again += gaps[1:]
    session = Session(scenario)
    base = session.solve()
    items = [(a, "bar" if a in base.plan else "force") for a in sorted(session.build_cols)][:candidates]
    items = items if "ww" in studies else []
    ww_again = [session.reverse(a, action, base.plan).seconds for a, action in items]
    ww_fresh = [fresh_reversal_job(scenario, a, action)["results"][f"{a}|{action}"]["seconds"] for a, action in items]
    return {"case": case, "mode": mode, "columns": session.n, "rows": session.h.getNumRow(),
            "flip_fresh_s": statistics.median(flip_fresh) if flip_fresh else None,
            "flip_resolve_s": statistics.median(flip_again) if flip_again else None, "flip_resolves": len(flip_again),
            "ww_fresh_s": statistics.median(ww_fresh) if ww_fresh else None,
            "ww_resolve_s": statistics.median(ww_again) if ww_again else None, "ww_resolves": len(ww_again)}


def _share(again, fresh) -> str:
    return f"{100 * again / fresh:5.1f} %" if again is not None and fresh else "    -"


def _s(x) -> str:
    return f"{x:8.3f}" if x is not None else f"{'-':>8}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=CASES)
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=MODES)
    parser.add_argument("--candidates", type=int, default=3, help="candidates searched (flip) and reversed (with/without)")
    parser.add_argument("--studies", nargs="*", default=["flip", "ww"], choices=["flip", "ww"],
                        help="flip: the flip-tariff trials; ww: the with/without reversals")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.candidates, tuple(args.studies))))
        return
    rows = []
    for case in args.cases:
        for mode in args.modes:
            proc = subprocess.run([sys.executable, __file__, "--one", case, mode, "--candidates", str(args.candidates),
                                   "--studies", *args.studies],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"done {case} {mode}", file=sys.stderr, flush=True)
    header = (f"{'case':8} {'mode':10} {'columns':>8} {'rows':>7} | {'flip fresh':>10} {'re-solve':>8} {'share':>7} {'n':>3} | "
              f"{'w/w fresh':>9} {'re-solve':>8} {'share':>7} {'n':>3}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['case']:8} {r['mode']:10} {r['columns']:>8,} {r['rows']:>7,} | {_s(r['flip_fresh_s']):>10} "
              f"{_s(r['flip_resolve_s'])} {_share(r['flip_resolve_s'], r['flip_fresh_s']):>7} {r['flip_resolves']:>3} | "
              f"{_s(r['ww_fresh_s']):>9} {_s(r['ww_resolve_s'])} {_share(r['ww_resolve_s'], r['ww_fresh_s']):>7} "
              f"{r['ww_resolves']:>3}")


if __name__ == "__main__":
    main()
