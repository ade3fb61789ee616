"""Shared helpers: a tiny scenario as a dict, written to YAML and solved through the library."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from planner.run import run_scenario

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example" / "example.yaml"


def tiny(**changes) -> dict:
    """One Lao node, one Vietnamese node, a lossless existing link, one 8760-hour peak slice,
    one modelled year 2025 with no discounting (W = 1, CRF = 1/lifetime): optima by hand."""
    data = {
        "name": "tiny",
        "horizon": {"base_year": 2025, "years": [2025], "discount_rate": 0.0},
        "time": {"slices": [{"id": "all", "hours": 8760, "season": "year", "peak": True}]},
        "options": {"build": "integer", "shortfall_penalty_usd_per_mwh": 500,
                    "capacity_shortfall_penalty_usd_per_kw_year": 300, "solver": {"mip_gap": 0}},
        "nodes": [{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN"}],
        "technologies": {"hydro": {"lifetime_years": 10}, "coal": {"lifetime_years": 10}},
        "projects": [],
        "links": [{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 10000, "status": "existing"}],
        "targets": [],
    }
    data.update(copy.deepcopy(changes))
    return data


def project(pid: str, capacity_mw: float, status: str = "existing", **fields) -> dict:
    out = {"id": pid, "technology": "hydro", "node": "LA", "capacity_mw": capacity_mw, "status": status}
    if status == "candidate":
        out.setdefault("capex_usd_per_kw", 0)
    out.update(fields)
    return out


def write(data: dict, folder: Path, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def solve(tmp_path):
    """solve(dict) -> Run, via a YAML file, as a user would."""
    counter = {"n": 0}

    def _solve(data: dict, sets=()):
        counter["n"] += 1
        return run_scenario(write(data, tmp_path, f"s{counter['n']}.yaml"), tuple(sets))

    return _solve


def planner(*args, cwd=None, timeout=600):
    """The CLI in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The shipped example solved once per test module, through the CLI: its result folder."""
    out = tmp_path_factory.mktemp("example") / "example"
    proc = planner("solve", EXAMPLE, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out
