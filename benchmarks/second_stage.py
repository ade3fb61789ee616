"""Benchmark: the importer's lexicographic second stage with and without the first stage's plan as
its start (``solve_model(start=True)``, what ``second_stage.least_resource_cost`` does).

    python benchmarks/second_stage.py                                  # importer_view, 3 runs each
    python benchmarks/second_stage.py --scenario PATH --repeat 5

Each run loads the scenario, builds the model and solves the first stage (the importer's least
cost, no prices), then the second stage, in this process; the runs alternate between the two ways
so that the machine's load falls on both. Printed: HiGHS's seconds of the second stage per run, the
medians, and the second stage's resource cost and the importer's cost (the same plan either way).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPORTER_VIEW = HERE.parent / "scenarios" / "base" / "importer_view.yaml"


def one(path: Path, start: bool) -> tuple[float, float, float]:
    """(second stage HiGHS seconds, importer's cost, resource cost) of one run."""
    from planner.formulation import build_model
    from planner.formulation.objective import VIEWS, total_cost
    from planner.inputs import load, model_data
    from planner.run import solver_settings
    from planner.second_stage import least_resource_cost
    from planner.solve import solve_model

    loaded = load(path)
    data = model_data(loaded)
    model = build_model(data)
    settings = solver_settings(loaded)
    result = solve_model(model, settings, want_duals=False)
    first_seconds = result.solve_seconds
    least_resource_cost(model, data, result, settings, start=start)
    return result.solve_seconds - first_seconds, result.objective_musd, total_cost(model, data, VIEWS["system"]).value()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=IMPORTER_VIEW)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs: dict[bool, list] = {False: [], True: []}
    for _ in range(args.repeat):
        for start in (False, True):
            runs[start].append(one(args.scenario, start))
    print(f"{'start':<16} {'second stage HiGHS s, each run':<34} {'median':>7} {'importer cost':>15} {'resource cost':>15}")
    for start, label in ((False, "cold"), (True, "first stage's plan")):
        seconds = [r[0] for r in runs[start]]
        print(f"{label:<18} {' / '.join(f'{s:.2f}' for s in seconds):<32} {statistics.median(seconds):>7.2f} "
              f"{runs[start][-1][1]:>15.4f} {runs[start][-1][2]:>15.4f}")
    cold, warm = (statistics.median(r[0] for r in runs[k]) for k in (False, True))
    print(f"\nwith the start: {warm / cold:.2f}x the cold second stage ({args.scenario.name}, medians of {args.repeat})")


if __name__ == "__main__":
    main()
