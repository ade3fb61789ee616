"""planner compare and planner sweep end to end: side-by-side tables whose numbers are known,
refusals, a sweep on local processes and on a real Dask LocalCluster (loopback), each equal to
one-by-one solves."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from planner.run import run_scenario
from tests.conftest import planner, project, tiny, write

# A 100 MW candidate at 1000 USD/kW (lifetime 10: annuity 10 MUSD/yr) and a 438 GWh target (50 MW
# all year): integer builds all of it for 10 MUSD, continuous half of it for 5 MUSD (as in
# test_known_answers). Vietnam absorbs at most 50 MW, so the energy delivered is 438 GWh in both
# (without it, any dispatch from 438 to 876 GWh of free energy would be optimal).
CAND = tiny(projects=[project("cand", 100, "candidate", capex_usd_per_kw=1000)],
            nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN", "max_import_mw": 50}],
            targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438}])


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cmp")
    path = write(CAND, folder)
    outs = {}
    for mode in ("integer", "continuous"):
        outs[mode] = folder / mode
        proc = planner("solve", path, "--set", f"options.build={mode}", "--out", outs[mode], "--quiet")
        assert proc.returncode == 0, proc.stderr
    return folder, outs


def test_compare_puts_known_numbers_side_by_side(two_results):
    folder, outs = two_results
    book = folder / "comparison.xlsx"
    proc = planner("compare", outs["integer"], outs["continuous"], "--out", book, "--quiet")
    assert proc.returncode == 0, proc.stderr
    csv = folder / "comparison"
    summary = pd.read_csv(csv / "summary.csv").set_index("metric")
    assert float(summary.at["objective_musd", "integer"]) == pytest.approx(10.0, rel=1e-6)
    assert float(summary.at["objective_musd", "continuous"]) == pytest.approx(5.0, rel=1e-6)
    assert float(summary.at["capex_musd (discounted)", "continuous"]) == pytest.approx(5.0, rel=1e-6)
    assert float(summary.at["VN imports_gwh 2025", "integer"]) == pytest.approx(438, rel=1e-6)
    assert float(summary.at["VN energy_shortfall_gwh 2025", "continuous"]) == pytest.approx(0, abs=1e-6)
    years = pd.read_csv(csv / "build_year.csv").set_index("asset")
    assert years.at["cand", "integer"] == 2025 and years.at["cand", "continuous"] == 2025
    mws = pd.read_csv(csv / "build_mw.csv").set_index("asset")
    assert mws.at["cand", "integer"] == pytest.approx(100) and mws.at["cand", "continuous"] == pytest.approx(50)
    diff = pd.read_csv(csv / "differences.csv")
    row = diff[diff.quantity == "objective_musd"].iloc[0]
    assert row["continuous - integer"] == pytest.approx(-5.0, rel=1e-6)
    changes = pd.read_csv(csv / "build_changes.csv")
    assert changes[["scenario", "asset", "change"]].values.tolist() == [["continuous", "cand", "resized"]]
    by_year = pd.read_csv(csv / "by_year.csv")
    energy = by_year[(by_year.quantity == "energy_gwh") & (by_year.scope == "VN")].iloc[0]
    assert energy.integer == pytest.approx(438) and energy.continuous == pytest.approx(438)
    links = pd.read_csv(csv / "links.csv")
    assert set(links.quantity) == {"delivered_gwh", "losses_gwh", "peak_flow_mw", "utilisation"}
    wb = load_workbook(book)
    assert wb.sheetnames[:3] == ["README", "summary", "by_year"]
    assert wb["summary"].freeze_panes == "B2"
    assert wb["by_year"].freeze_panes == "D2"
    assert wb["build_year"]["D2"].number_format == "0"
    assert wb["summary"].column_dimensions["A"].width >= len("capacity_shortfall_mw (all scopes and years)")


def test_compare_refuses_what_does_not_compare(two_results, tmp_path):
    folder, outs = two_results
    missing = planner("compare", outs["integer"], tmp_path / "nowhere", "--out", tmp_path / "c.xlsx")
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    not_result = planner("compare", outs["integer"], tmp_path / "empty", "--out", tmp_path / "c.xlsx")
    assert not_result.returncode == 2 and "not a planner result folder" in not_result.stderr
    other = dict(CAND, horizon={"base_year": 2020, "years": [2025], "discount_rate": 0.0})
    proc = planner("solve", write(other, tmp_path), "--out", tmp_path / "other", "--quiet")
    assert proc.returncode == 0, proc.stderr
    mismatch = planner("compare", outs["integer"], tmp_path / "other", "--out", tmp_path / "c.xlsx")
    assert mismatch.returncode == 2 and "horizon.base_year differs" in mismatch.stderr
    assert not (tmp_path / "c.xlsx").exists() and not (tmp_path / "c").exists()
    first = planner("compare", outs["integer"], "--out", tmp_path / "d.xlsx", "--quiet")
    assert first.returncode == 0
    again = planner("compare", outs["integer"], "--out", tmp_path / "d.xlsx")
    assert again.returncode == 2 and "exists" in again.stderr


# Sweep: the 100 MW candidate at 1000 USD/kW against a target of 438 GWh; the grid moves its capex
# (annuity = capex/1000 * 100 / 10 MUSD) and the build mode.
GRID = ["--grid", "projects.cand.capex_usd_per_kw=1000,2000", "--grid", "options.build=integer,continuous"]
EXPECTED = {("1000", "integer"): 10.0, ("1000", "continuous"): 5.0, ("2000", "integer"): 20.0,
            ("2000", "continuous"): 10.0}


def _check_sweep(out, scenario):
    index = pd.read_csv(out / "index.csv", dtype={"projects.cand.capex_usd_per_kw": str})
    assert len(index) == 4 and set(index.status) == {"optimal"}
    for row in index.itertuples():
        key = (row[3], row[4])
        assert row.objective_musd == pytest.approx(EXPECTED[key], rel=1e-6)
        one = run_scenario(scenario, (f"projects.cand.capex_usd_per_kw={key[0]}", f"options.build={key[1]}"))
        assert row.objective_musd == pytest.approx(one.summary["objective_musd"], rel=1e-9)
        mine = pd.read_csv(out / row.folder / "builds.csv")
        pd.testing.assert_frame_equal(mine, one.tables["builds"].reset_index(drop=True), check_dtype=False)
    wb = load_workbook(out / "comparison.xlsx")
    assert wb.sheetnames[:3] == ["README", "index", "summary"]
    summary = pd.read_csv(out / "comparison" / "summary.csv").set_index("metric")
    assert list(summary.columns) == list(index.run_id)


def test_sweep_on_local_processes_equals_one_by_one_solves(tmp_path):
    scenario = write(CAND, tmp_path)
    out = tmp_path / "sweep"
    proc = planner("sweep", scenario, *GRID, "--workers", 2, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    _check_sweep(out, scenario)


def test_sweep_on_a_dask_cluster_equals_one_by_one_solves(tmp_path):
    distributed = pytest.importorskip("distributed")
    scenario = write(CAND, tmp_path)
    out = tmp_path / "sweep"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        proc = planner("sweep", scenario, *GRID, "--scheduler", cluster.scheduler_address, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    _check_sweep(out, scenario)


def test_one_failed_run_is_reported_and_the_others_go_on(tmp_path):
    infeasible = dict(CAND, options={**CAND["options"], "strict_targets": True})
    scenario = write(infeasible, tmp_path)
    out = tmp_path / "sweep"
    # 438 GWh is reachable; 2000 GWh is not (100 MW = 876 GWh at most) and strict -> infeasible;
    # "many" is not a number -> bad input, found before anything is solved.
    proc = planner("sweep", scenario, "--grid", "targets.VN@2025.energy_gwh=438,2000,many", "--workers", 1,
                   "--out", out, "--json")
    index = pd.DataFrame(json.loads(proc.stdout)).set_index("targets.VN@2025.energy_gwh")
    assert index.at["438", "status"] == "optimal"
    assert index.at["438", "objective_musd"] == pytest.approx(10.0, rel=1e-6)
    assert index.at["2000", "status"] == "infeasible"
    assert index.at["many", "status"] == "bad_input" and "energy_gwh" in index.at["many", "message"]
    assert proc.returncode == 3  # the worst failure: infeasible (3) over bad input (2)
    assert (out / "runs" / index.at["438", "run_id"] / "builds.csv").is_file()
    assert (out / "comparison.xlsx").is_file()


def test_sweep_file_and_variant_files(tmp_path):
    base = write(CAND, tmp_path, "base.yaml")
    write({"name": "cheap", "extends": "base.yaml", "projects": [{"id": "cand", "capex_usd_per_kw": 500}]},
          tmp_path, "cheap.yaml")
    sweep_file = tmp_path / "study.yaml"
    sweep_file.write_text(yaml.safe_dump({"sweep": {"scenarios": ["base.yaml", "cheap.yaml"],
                                                    "grid": {"options.build": ["integer", "continuous"]},
                                                    "set": ["options.solver.mip_gap=0"]}}))
    proc = planner("sweep", sweep_file, "--out", tmp_path / "s", "--quiet", "--workers", 1)
    assert proc.returncode == 0, proc.stderr
    index = pd.read_csv(tmp_path / "s" / "index.csv").set_index("run_id")
    # cheap: annuity 5 MUSD integer, 2.5 continuous
    # runs are named by their swept values
    assert index.objective_musd.round(6).to_dict() == {"base-build_integer": 10.0, "base-build_continuous": 5.0,
                                                        "cheap-build_integer": 5.0, "cheap-build_continuous": 2.5}
    plain = planner("sweep", base, tmp_path / "cheap.yaml", "--out", tmp_path / "v", "--quiet", "--workers", 1)
    assert plain.returncode == 0, plain.stderr
    assert list(pd.read_csv(tmp_path / "v" / "index.csv").run_id) == ["base", "cheap"]
    bad = planner("sweep", base, "--grid", "options.build", "--out", tmp_path / "w")
    assert bad.returncode == 2 and "path=value1,value2" in bad.stderr and not (tmp_path / "w").exists()
