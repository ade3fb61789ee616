"""The CLI end to end, in a subprocess, on the shipped example: exit codes, files, atomic writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from tests import conftest
from tests.conftest import EXAMPLE, project, tiny, write


def planner(*args, **kwargs):
    """This file runs the console entry itself: ``python -m planner.cli`` in a subprocess."""
    return conftest.planner(*args, process=True, **kwargs)

CONTRACT = {
    "builds.csv": ["asset", "kind", "status", "build_year", "capacity_mw", "capex_musd"],
    "capacity.csv": ["asset", "year", "online_mw"],
    "dispatch.csv": ["project", "year", "slice", "generation_mw", "energy_gwh", "curtailed_gwh"],
    "flows.csv": ["link", "year", "slice", "direction", "flow_mw", "utilisation"],
    "imports.csv": ["scope", "year", "energy_gwh", "target_energy_gwh", "energy_shortfall_gwh", "firm_mw",
                    "target_capacity_mw", "capacity_shortfall_mw", "marginal_cost_usd_per_mwh"],
    "links.csv": ["link", "year", "online_mw", "delivered_gwh", "losses_gwh", "peak_flow_mw", "utilisation"],
    "prices.csv": ["node", "year", "slice", "price_usd_per_mwh"],
    "costs.csv": ["year", "component", "undiscounted_musd", "discounted_musd", "view", "in_objective",
                  "represents_years"],
    "payments.csv": ["year", "project", "energy_gwh", "payment_musd", "resource_cost_musd", "rent_musd",
                     "paid_gwh", "tariff_usd_per_mwh"],
    "tariffs.csv": ["project", "technology", "status", "build_year", "expected_energy_gwh", "tariff_usd_per_mwh",
                    "ceiling_usd_per_mwh", "break_even_tariff_usd_per_mwh", "headroom_usd_per_mwh",
                    "flip_tariff_usd_per_mwh"],
}




def test_solve_writes_every_contract_table(example_run):
    for name, columns in CONTRACT.items():
        frame = pd.read_csv(example_run / name)
        assert list(frame.columns[: len(columns)]) == columns, name
    summary = json.loads((example_run / "summary.json").read_text())
    for key in ("status", "objective_musd", "mip_gap", "build_seconds", "solve_seconds", "n_variables",
                "n_constraints", "versions", "input_sha256"):
        assert key in summary
    assert summary["status"] == "optimal"
    resolved = yaml.safe_load((example_run / "scenario.yaml").read_text())
    assert isinstance(resolved["projects"], list) and resolved["name"] == "example"
    book = pd.ExcelFile(example_run / "results.xlsx")
    assert book.sheet_names[0] == "README" and set(CONTRACT) <= {f"{s}.csv" for s in book.sheet_names}


def test_costs_add_up_to_the_objective(example_run):
    summary = json.loads((example_run / "summary.json").read_text())
    costs = pd.read_csv(example_run / "costs.csv")
    assert set(costs.view) == {"system", "importer"} and set(costs[costs.in_objective].view) == {"system"}
    assert costs[costs.in_objective].discounted_musd.sum() == pytest.approx(summary["objective_musd"], rel=1e-6)


def test_resolved_scenario_reproduces_the_run(example_run, tmp_path):
    again = tmp_path / "again"
    proc = planner("solve", example_run / "scenario.yaml", "--out", again, "--quiet", "--no-xlsx")
    assert proc.returncode == 0, proc.stderr
    first = json.loads((example_run / "summary.json").read_text())
    second = json.loads((again / "summary.json").read_text())
    assert second["objective_musd"] == pytest.approx(first["objective_musd"], rel=1e-9)
    assert second["input_sha256"] == first["input_sha256"]
    assert (again / "builds.csv").read_text() == (example_run / "builds.csv").read_text()


def test_existing_results_are_kept_without_force(example_run):
    before = (example_run / "summary.json").read_text()
    proc = planner("solve", EXAMPLE, "--out", example_run, "--quiet")
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert (example_run / "summary.json").read_text() == before


def test_force_replaces_and_json_reports(tmp_path):
    out = tmp_path / "r"
    assert planner("solve", EXAMPLE, "--out", out, "--quiet", "--no-xlsx").returncode == 0
    (out / "old.txt").write_text("old run")  # the user's, inside planner's folder: kept (not in its manifest)
    proc = planner("solve", EXAMPLE, "--out", out, "--force", "--json", "--set", "options.build=continuous")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "optimal" and summary["build_mode"] == "continuous"
    assert (out / "old.txt").read_text() == "old run" and (out / "builds.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_validate(tmp_path):
    proc = planner("validate", EXAMPLE)
    assert proc.returncode == 0 and "valid" in proc.stdout
    proc = planner("validate", EXAMPLE, "--json", "--set", "projects.xekong5.capacity_mw=-1")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["status"] == "bad_input" and "projects[xekong5].capacity_mw" in report["problems"][0]


def test_default_results_folder_is_named_after_the_scenario(tmp_path):
    proc = planner("solve", EXAMPLE, "--quiet", "--no-xlsx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "example" / "builds.csv").exists()


def test_strict_unmeetable_target_exits_3_with_a_diagnosis(tmp_path):
    data = tiny(options={"strict_targets": True}, projects=[project("only", 100)],
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 1000}])
    out = tmp_path / "out"
    proc = planner("solve", write(data, tmp_path), "--out", out)
    assert proc.returncode == 3
    assert "cannot be met" in proc.stderr and "124" in proc.stderr  # 1000 - 876 GWh short
    assert not out.exists()


def test_time_limit_without_solution_exits_4(tmp_path):
    # Many fixed-size candidates, a tight mip gap and a time limit too short to find any solution.
    projects = [project(f"c{i}", 10 + i, "candidate", capex_usd_per_kw=1000 + 7 * i) for i in range(60)]
    data = tiny(options={"solver": {"time_limit_s": 1e-6, "mip_gap": 0}}, projects=projects,
                targets=[{"scope": "VN", "year": 2025, "energy_gwh": 5000}])
    proc = planner("solve", write(data, tmp_path), "--out", tmp_path / "out")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "no solution" in proc.stderr


def test_console_script_handles_interrupts_and_starts_light():
    """The installed `planner` runs main() (Ctrl-C: exit 130), and --help imports no model library."""
    from importlib.metadata import entry_points

    assert entry_points(group="console_scripts")["planner"].value == "planner.cli:main"
    import subprocess
    import sys

    code = ("import sys, planner.cli; heavy = [m for m in ('pandas', 'pyomo', 'highspy', 'pydantic', 'numpy') "
            "if m in sys.modules]; print(heavy)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"
