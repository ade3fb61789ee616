"""Benchmark: loading a scenario whose projects are written inline in the YAML against the same
projects in a CSV table, at growing sizes (issue "Safe by default": inline lists must load in
about the time the CSV does, not in quadratic time).

    python benchmarks/load.py                      # 1,000 / 5,000 / 20,000 projects
    python benchmarks/load.py --sizes 1000 5000    # chosen sizes
    PYTHONPATH=/path/to/other/checkout python benchmarks/load.py   # a baseline, side by side

Each load runs in its own process (peak memory is its own); times are wall-clock seconds of
``load_scenario`` alone (imports excluded), best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HEAD = {
    "name": "load_bench",
    "horizon": {"base_year": 2025, "years": [2026, 2030], "discount_rate": 0.08},
    "time": {"slices": [{"id": "wet", "hours": 4380, "season": "wet"}, {"id": "dry", "hours": 4380, "season": "dry",
                                                                        "peak": True}]},
    "nodes": [{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN"}],
    "technologies": {"hydro": {"lifetime_years": 50, "availability": {"wet": 0.9, "dry": 0.35}}},
    "links": [{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 5000, "status": "existing"}],
    "targets": [{"scope": "VN", "year": 2026, "energy_gwh": 1000}],
}
FIELDS = ["id", "technology", "node", "capacity_mw", "status", "capex_usd_per_kw", "energy_cost_usd_per_mwh"]

CHILD = """
import json, resource, sys, time
from planner.scenario import load_scenario
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    load_scenario(sys.argv[1])
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": min(times), "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_pair(folder: Path, n: int) -> tuple[Path, Path]:
    rows = [[f"p{i}", "hydro", "LA", 10 + i % 7, "candidate", 1500 + i % 300, 2] for i in range(n)]
    inline = dict(HEAD, projects=[dict(zip(FIELDS, r)) for r in rows])
    (folder / f"inline{n}.yaml").write_text(yaml.safe_dump(inline, sort_keys=False, default_flow_style=None))
    (folder / f"p{n}.csv").write_text(",".join(FIELDS) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    (folder / f"csv{n}.yaml").write_text(yaml.safe_dump(dict(HEAD, projects={"file": f"p{n}.csv"}), sort_keys=False))
    return folder / f"inline{n}.yaml", folder / f"csv{n}.yaml"


def measure(path: Path, repeat: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(repeat)], capture_output=True, text=True,
                         timeout=3600)
    if out.returncode != 0:
        return {"seconds": float("nan"), "max_rss_mb": float("nan"), "error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'projects':>9} {'inline s':>9} {'csv s':>7} {'inline/csv':>10} {'inline MB':>9} {'csv MB':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            inline, table = write_pair(Path(tmp), n)
            a, b = measure(inline, args.repeat), measure(table, args.repeat)
            print(f"{n:>9,} {a['seconds']:>9.2f} {b['seconds']:>7.2f} {a['seconds'] / b['seconds']:>10.1f} "
                  f"{a['max_rss_mb']:>9.0f} {b['max_rss_mb']:>7.0f}", flush=True)
            for r in (a, b):
                if "error" in r:
                    print("  error:", r["error"])


if __name__ == "__main__":
    main()
