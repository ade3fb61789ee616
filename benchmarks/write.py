"""Benchmark: writing one solved run's result folder (CSVs, summary, results.xlsx: writers.fill_results)
with this checkout's writers against another checkout's (a baseline), side by side in one process.

    python benchmarks/write.py                                  # the 'medium' size of run.py
    python benchmarks/write.py --size large --baseline /path/to/other/checkout

The tables come from one solve of a generated scenario (benchmarks/run.py's sizes); each writer
writes the same tables; times are the best of --repeat.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import SIZES, scenario  # noqa: E402


def _writers(checkout: Path):
    spec = importlib.util.spec_from_file_location("baseline_writers", checkout / "planner" / "io" / "writers.py",
                                                  submodule_search_locations=[])
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_writers"] = module
    spec.loader.exec_module(module)
    return module


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="medium", choices=list(SIZES))
    parser.add_argument("--baseline", type=Path, help="another checkout whose planner/io/writers.py to compare")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--copies", type=int, default=1,
                        help="write each table this many times over (years shifted by 100 each copy), to reach "
                             "hourly-scale row counts without an hourly-scale solve")
    args = parser.parse_args()
    import pandas as pd
    import yaml

    from planner.io import writers
    from planner.run import run_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        data = scenario(*SIZES[args.size])
        data["options"]["solver"]["method"] = "ipm"  # the large sizes solve in minutes, not hours
        path.write_text(yaml.safe_dump(data))
        run = run_scenario(path)
        tables = {k: pd.concat([t.assign(year=t.year + 100 * c) if "year" in t else t for c in range(args.copies)],
                               ignore_index=True) for k, t in run.tables.items()}
        rows = sum(len(t) for t in tables.values())
        largest = max(tables, key=lambda k: len(tables[k]))
        out = Path(tmp)
        candidates = {"this checkout": writers}
        if args.baseline:
            candidates["baseline"] = _writers(args.baseline)
        print(f"{args.size}: {rows:,} rows in {len(tables)} tables (largest: {largest}, {len(tables[largest]):,} rows)")
        print(f"{'writer':<15} {'folder with results.xlsx s':>27} {'CSVs only s':>12}")
        for name, module in candidates.items():
            def folder(workbook: bool, name=name, module=module) -> None:
                target = out / f"{name[:4]}_{workbook}"
                target.mkdir(exist_ok=True)
                module.fill_results(target, tables, {"scenario": "bench"}, "name: bench\n", workbook)
            whole = best(lambda: folder(True), args.repeat)
            csvs = best(lambda: folder(False), args.repeat)
            print(f"{name:<15} {whole:>27.2f} {csvs:>12.2f}", flush=True)


if __name__ == "__main__":
    main()
