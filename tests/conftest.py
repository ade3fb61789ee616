"""Shared helpers: a tiny scenario as a dict, written to YAML and solved through the library."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import traceback
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


def planner(*args, cwd=None, timeout=600, process=False) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: its arguments parsed by planner's command line, its exit status,
    stdout and stderr (an exception that escapes it is a traceback on stderr and status 1, as
    Python would print it).

    In this process by default: no interpreter start-up and library imports per call (about a
    second each on a loaded machine, for some 150 calls). ``process=True`` runs ``python -m
    planner.cli`` in a subprocess: the console entry itself (tests/test_cli.py), and input that
    could crash the interpreter."""
    if process:
        return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], capture_output=True,
                              text=True, cwd=cwd, timeout=timeout)
    from typer.testing import CliRunner

    from planner.cli import app

    here = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
    finally:
        os.chdir(here)
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess(["planner", *map(str, args)], code, result.stdout, stderr)


@pytest.fixture(scope="session")
def example_run(tmp_path_factory):
    """The shipped example solved once for the whole run, by the console entry in a subprocess:
    its result folder (read only: a test that changes results copies it first)."""
    out = tmp_path_factory.mktemp("example") / "example"
    proc = planner("solve", EXAMPLE, "--out", out, "--quiet", process=True)
    assert proc.returncode == 0, proc.stderr
    return out
