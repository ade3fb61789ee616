"""Properties that must hold on any scenario (tests/checks.py), checked on generated scenarios in
both build modes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.checks import (assert_balances_close, assert_costs_add_up, assert_nothing_exceeds_what_is_online,
                          assert_targets_met_or_reported)


def generated(seed: int, build: str) -> dict:
    rng = np.random.default_rng(seed)
    la = [f"LA{i}" for i in range(int(rng.integers(2, 4)))]
    vn = [f"VN{i}" for i in range(int(rng.integers(1, 3)))]
    nodes = [{"id": n, "country": "LA"} for n in la]
    nodes += [{"id": n, "country": "VN", **({"max_import_mw": 900.0} if rng.random() < 0.3 else {})} for n in vn]
    techs = {"hydro": {"lifetime_years": 40, "availability": {"wet": 0.9, "dry": 0.35}},
             "wind": {"lifetime_years": 20, "availability": {"wet": 0.25, "dry": 0.4}},
             "solar": {"lifetime_years": 20, "availability": {"wet_day": 0.3, "dry_day": 0.4, "wet_eve": 0.02,
                                                             "dry_eve": 0.05, "wet_night": 0, "dry_night": 0}},
             "coal": {"lifetime_years": 30, "availability": {"wet": 0.85, "dry": 0.85}, "emissions_t_per_mwh": 1.0}}
    projects = []
    for i in range(int(rng.integers(4, 9))):
        status = str(rng.choice(["existing", "committed", "candidate", "candidate"]))
        p = {"id": f"p{i}", "technology": str(rng.choice(list(techs))), "node": str(rng.choice(la)),
             "capacity_mw": float(rng.integers(50, 800)), "status": status,
             "capex_usd_per_kw": float(rng.integers(600, 2500)),
             "fixed_om_usd_per_kw_year": float(rng.integers(5, 40)),
             "energy_cost_usd_per_mwh": float(rng.integers(40, 80))}
        if status == "committed":
            p["online_year"] = int(rng.choice([2026, 2028, 2030]))
        if status == "existing" and rng.random() < 0.5:
            p["online_year"] = 2010
        if status == "candidate":
            p["sizing"] = str(rng.choice(["fixed", "up_to"]))
            if rng.random() < 0.5:
                p["earliest_year"] = 2028
        if p["technology"] == "hydro" and rng.random() < 0.5:
            p["max_energy_gwh_per_year"] = round(p["capacity_mw"] * 4.0, 1)
        projects.append(p)
    links = []
    for j, n in enumerate(la):
        links.append({"id": f"x{j}", "from": n, "to": str(rng.choice(vn)), "capacity_mw": float(rng.integers(200, 1500)),
                      "status": "existing" if j == 0 else "candidate", "capex_musd": float(rng.integers(50, 300)),
                      "loss_fraction": float(rng.choice([0.0, 0.02, 0.05]))})
    for j in range(len(la) - 1):
        links.append({"id": f"d{j}", "from": la[j], "to": la[j + 1], "capacity_mw": 1000.0, "status": "candidate",
                      "capex_musd": 80.0, "bidirectional": True, "loss_fraction": 0.01})
    cand = [p["id"] for p in projects if p["status"] == "candidate"]
    if len(cand) >= 2:
        projects[[p["id"] for p in projects].index(cand[0])]["excludes"] = [cand[1]]
    if cand:
        projects[[p["id"] for p in projects].index(cand[-1])]["requires"] = [links[-1]["id"]]
    slices = [{"id": f"{season}_{part}", "hours": h, "season": season, "peak": part == "eve"}
              for season in ("wet", "dry") for part, h in (("day", 1460), ("eve", 730), ("night", 2190))]
    return {
        "name": f"gen{seed}", "horizon": {"base_year": 2025, "years": [2026, 2028, 2030], "end_year": 2034,
                                          "discount_rate": 0.07},
        "time": {"slices": slices},
        "options": {"build": build, "solver": {"mip_gap": 0.0001, "time_limit_s": 60}},
        "nodes": nodes, "technologies": techs, "projects": projects, "links": links,
        "targets": [{"scope": "VN", "year": 2026, "energy_gwh": float(rng.integers(1000, 5000)),
                     "capacity_mw": float(rng.integers(200, 800))},
                    {"scope": "VN", "year": 2030, "energy_gwh": float(rng.integers(4000, 12000))},
                    {"scope": vn[0], "year": 2028, "capacity_mw": 150.0}],
        "limits": {"co2_price_usd_per_t": float(rng.choice([0, 15])),
                   "max_new_capacity_mw_per_year": 1500.0},
    }


CASES = [(seed, build) for seed in range(5) for build in ("integer", "continuous")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from planner.run import run_scenario
    from tests.conftest import write

    folder = tmp_path_factory.mktemp("gen")
    return {case: run_scenario(write(generated(*case), folder, f"g{case[0]}_{case[1]}.yaml")) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_balances_close(runs, case):
    assert runs[case].summary["status"] == "optimal"
    assert_balances_close(runs[case])


@pytest.mark.parametrize("case", CASES)
def test_costs_add_up(runs, case):
    assert_costs_add_up(runs[case])


@pytest.mark.parametrize("case", CASES)
def test_targets_met_or_shortfall_reported(runs, case):
    assert_targets_met_or_reported(runs[case])


@pytest.mark.parametrize("case", CASES)
def test_nothing_exceeds_what_is_online(runs, case):
    assert_nothing_exceeds_what_is_online(runs[case])
