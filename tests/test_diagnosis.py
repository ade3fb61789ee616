"""strict_targets: unmeetable targets found by minimising shortfall alone, with what binds them."""

from __future__ import annotations

import pytest

from planner.run import run_scenario
from tests.conftest import planner, project, tiny, write


def _strict(**changes) -> dict:
    data = tiny(**changes)
    data["options"] = {**data["options"], "strict_targets": True}
    return data


def test_a_full_link_is_named(tmp_path):
    # 100 MW of hydro behind a 50 MW line: at most 438 GWh of the 876 GWh target, 438 short.
    data = _strict(projects=[project("dam", 100)],
                   links=[{"id": "thin", "from": "LA", "to": "VN", "capacity_mw": 50, "status": "existing"}],
                   targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}])
    run = run_scenario(write(data, tmp_path))
    assert run.summary["status"] == "infeasible"
    row = run.diagnosis.iloc[0]
    assert row.energy_shortfall_gwh == pytest.approx(438, rel=1e-6)
    assert "link thin full" in row.binds


def test_what_a_high_penalty_would_meet_is_not_called_unmeetable(tmp_path):
    # 2025: the line is full, 438 GWh short whatever is spent. 2030: met only by a candidate that
    # costs far more than the 500 USD/MWh penalty (a finite-penalty diagnosis would call it short).
    data = _strict(horizon={"base_year": 2025, "years": [2025, 2030], "discount_rate": 0.0},
                   projects=[project("dam", 100),
                             project("dear", 100, "candidate", node="VN2", capex_usd_per_kw=29_000,
                                     earliest_year=2030)],
                   nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN"},
                          {"id": "VN2", "country": "VN"}],
                   links=[{"id": "thin", "from": "LA", "to": "VN", "capacity_mw": 50, "status": "existing"}],
                   targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876},
                            {"scope": "VN", "year": 2030, "energy_gwh": 1314}])
    run = run_scenario(write(data, tmp_path))
    assert run.summary["status"] == "infeasible"
    assert list(run.diagnosis.year) == [2025]
    # with 2025 relaxed, the strict run meets 2030 with the dear plant: feasible
    data["targets"][0]["energy_gwh"] = 438
    assert run_scenario(write(data, tmp_path, "ok.yaml")).summary["status"] == "optimal"


def test_an_import_limit_is_named_and_the_cli_says_so(tmp_path):
    data = _strict(nodes=[{"id": "LA", "country": "LA"}, {"id": "VN", "country": "VN", "max_import_mw": 50}],
                   projects=[project("dam", 100)],
                   targets=[{"scope": "VN", "year": 2025, "energy_gwh": 876}])
    out = planner("solve", write(data, tmp_path), "--out", tmp_path / "out")
    assert out.returncode == 3, out.stdout + out.stderr
    text = " ".join(out.stderr.split())
    assert "whatever the cost" in text and "nodes.VN.max_import_mw (50 MW)" in text and "438" in text
    assert not (tmp_path / "out").exists()
