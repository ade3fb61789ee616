"""Hourly profiles aggregated to representative days (time.hourly_file + representative_days)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.data import build_model_data
from planner.scenario import ScenarioError, load_scenario
from tests.conftest import project, tiny, write

SHAPE = np.array([0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.9, 0.8, 0.7, 0.5, 0.3, 0.1, 0, 0, 0, 0, 0, 0])


def hourly_scenario(tmp_path, frame: pd.DataFrame, **time) -> dict:
    frame.to_csv(tmp_path / "hourly.csv", index=False)
    data = tiny(projects=[project("sun", 100, technology="solar")],
                technologies={"solar": {"lifetime_years": 25}, "hydro": {"lifetime_years": 50}},
                time={"hourly_file": "hourly.csv", **time})
    return data


def year(n: int = 8760, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = n // 24
    solar = np.tile(SHAPE, days) * np.repeat(rng.uniform(0.4, 1.0, days), 24)
    hour = np.arange(n) % 24
    load = 1 + 0.4 * np.exp(-((hour - 19.5) ** 2) / 4) + rng.normal(0, 0.02, n)
    return pd.DataFrame({"hour": np.arange(1, n + 1), "solar": solar, "load": load})


def test_identical_days_aggregate_exactly(tmp_path, solve):
    """Every day the same: any representative day is that day, the error is nil, and a 100 MW
    plant makes 100 MW x sum(shape) x 365 days, by hand 100 x 8.3 x 365 / 1000 = 302.95 GWh."""
    frame = pd.DataFrame({"hour": np.arange(1, 8761), "solar": np.tile(SHAPE, 365)})
    data = hourly_scenario(tmp_path, frame, representative_days=4)
    data["targets"] = [{"scope": "VN", "year": 2025, "energy_gwh": 1}]
    s = load_scenario(write(data, tmp_path)).scenario
    assert len(s.time.slices) == 4 * 24
    assert sum(x.hours for x in s.time.slices) == pytest.approx(8760)
    assert {x.season for x in s.time.slices} == {"wet", "dry"}
    for row in s.time.aggregation_error:
        assert row["rmse"] == pytest.approx(0, abs=1e-9) and row["rmse_duration_curve"] == pytest.approx(0, abs=1e-9)
    peaks = {x.id[-3:] for x in s.time.slices if x.peak}
    assert peaks == {"h18", "h19", "h20", "h21"}  # no load column: the evening hours
    run = solve(data)
    assert set(run.tables["aggregation"].profile) == {"solar"}  # the error table lands in the results
    dispatch = run.tables["dispatch"]
    assert dispatch.energy_gwh.sum() == pytest.approx(100 * SHAPE.sum() * 365 / 1000, rel=1e-6)


def test_representative_days_keep_energy_and_report_error(tmp_path):
    data = hourly_scenario(tmp_path, year(), representative_days=12)
    s = load_scenario(write(data, tmp_path)).scenario
    assert len(s.time.slices) == 12 * 24 and sum(x.hours for x in s.time.slices) == pytest.approx(8760)
    periods = {x.period for x in s.time.slices}
    assert len(periods) == 12
    # hours of a period are consecutive slices, in order
    first = [x.id for x in s.time.slices if x.period == sorted(periods)[0]]
    assert first == sorted(first) and len(first) == 24
    errors = {r["profile"]: r for r in s.time.aggregation_error}
    assert set(errors) == {"solar", "load"}
    solar = s.time.profile_availability["solar"]
    weighted = sum(solar[x.id] * x.hours for x in s.time.slices) / 8760
    assert weighted == pytest.approx(errors["solar"]["mean_hourly"], rel=1e-3)  # energy kept
    assert 0 < errors["solar"]["rmse"] < 0.2
    # peak slices: where the evening load peak is (hours 18-21 in this load shape)
    peak_hours = {int(x.id[-2:]) for x in s.time.slices if x.peak}
    assert peak_hours and peak_hours <= {17, 18, 19, 20, 21, 22}
    d = build_model_data(s)
    assert d.availability[("sun", s.time.slices[12].id)] == pytest.approx(solar[s.time.slices[12].id])


def test_weeks_and_leap_year(tmp_path):
    data = hourly_scenario(tmp_path, year(8784), representative_weeks=4)
    s = load_scenario(write(data, tmp_path)).scenario
    assert len(s.time.slices) == 4 * 168 and sum(x.hours for x in s.time.slices) == pytest.approx(8784)


def test_zone_columns(tmp_path):
    frame = year()
    frame["solar@LA"] = frame.pop("solar")
    data = hourly_scenario(tmp_path, frame, representative_days=2)
    s = load_scenario(write(data, tmp_path)).scenario
    d = build_model_data(s)
    assert max(d.availability[("sun", x.id)] for x in s.time.slices) > 0.3


@pytest.mark.parametrize("change, expected", [
    (lambda f: f.iloc[:8000], "8000 rows of hours"),
    (lambda f: f.assign(solar=f.solar.where(f.index != 5, 1.5)), "availability 1.5 is not between 0 and 1"),
    (lambda f: f.assign(solar=f.solar.astype(object).where(f.index != 7, "x")), "row 9, column solar"),
    (lambda f: f.assign(hour=f.hour.where(f.index != 3, 99)), "hours must run 1, 2"),
    (lambda f: f.rename(columns={"solar": "sollar"}), "did you mean 'solar'"),
    (lambda f: f.drop(columns=["hour"]), "missing column 'hour'"),
])
def test_bad_hourly_files(tmp_path, change, expected):
    data = hourly_scenario(tmp_path, change(year()), representative_days=4)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    assert expected in str(info.value) and "hourly.csv" in str(info.value)


def test_hourly_column_not_hidden_by_a_season_availability(tmp_path):
    data = hourly_scenario(tmp_path, year(), representative_days=4)
    data["technologies"]["solar"]["availability"] = {"wet": 0.2}
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    assert "would override the hourly profile" in str(info.value)
    data = hourly_scenario(tmp_path, year(), representative_days=4, seasons={"wet": [5, 6], "dry": [1, 2]})
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    assert "are in no season" in str(info.value)


def test_without_tsam_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tsam" else real(name, *a))
    data = hourly_scenario(tmp_path, year(), representative_days=4)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    assert "pip install 'planner[hourly]'" in str(info.value)


def test_full_year_keeps_every_hour(tmp_path, solve):
    """representative_days: all -- every day its own period of 24 slices of 1 h, each slice the
    hour itself: no clustering, an aggregation error of exactly 0, and a 100 MW solar plant makes
    by hand 100 MW x (sum of the 8,760 hourly availabilities) / 1000 GWh."""
    frame = year()
    data = hourly_scenario(tmp_path, frame, representative_days="all")
    data["targets"] = [{"scope": "VN", "year": 2025, "energy_gwh": 1}]
    s = load_scenario(write(data, tmp_path)).scenario
    slices = s.time.slices
    assert len(slices) == 8760 and all(x.hours == 1.0 for x in slices)
    assert len({x.period for x in slices}) == 365
    assert slices[0].id == "dry_d0101_h00" and slices[0].period == "dry_d0101"
    solar = s.time.profile_availability["solar"]
    may_first_noon = 120 * 24 + 12  # 2025-05-01 12:00, row 2893 of the file
    assert solar["wet_d0501_h12"] == frame.solar[may_first_noon]
    for row in s.time.aggregation_error:
        assert row["rmse"] == 0 and row["mae"] == 0 and row["rmse_duration_curve"] == 0
        assert row["mean_hourly"] == row["mean_aggregated"]
    load = frame.load.to_numpy()
    assert sum(x.peak for x in slices) == int((load >= np.quantile(load, 0.9)).sum())  # the top 10 % of hours
    # K at least the days of each season is the same full year
    same = load_scenario(write(hourly_scenario(tmp_path, frame, representative_days=366), tmp_path)).scenario
    assert [x.id for x in same.time.slices] == [x.id for x in slices]
    run = solve(data)
    assert run.tables["aggregation"].rmse.abs().max() == 0
    assert run.tables["dispatch"].energy_gwh.sum() == pytest.approx(100 * frame.solar.sum() / 1000, rel=1e-6)


def test_full_year_in_weeks(tmp_path):
    # leap year, weeks: wet May-Oct 2024 is 184 days = 26 weeks + a short week of 2 days; dry 182 days = 26 weeks
    data = hourly_scenario(tmp_path, year(8784), representative_weeks="all")
    s = load_scenario(write(data, tmp_path)).scenario
    assert len(s.time.slices) == 8784 and sum(x.hours for x in s.time.slices) == 8784
    periods: dict = {}
    for x in s.time.slices:
        periods.setdefault(x.period, []).append(x)
    assert len(periods) == 27 + 26
    assert sorted(len(v) for v in periods.values())[0] == 48


@pytest.mark.parametrize("value, expected", [
    ("al", "'al'"), (0, "got 0"), (400, "got 400"), (12.5, "got 12.5"), (True, "got True"),
])
def test_bad_representative_days(tmp_path, value, expected):
    data = hourly_scenario(tmp_path, year(), representative_days=value)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    text = str(info.value)
    assert "time.representative_days" in text and "or 'all'" in text and expected in text and "hourly.csv" in text


def test_bad_representative_days_exit_2(tmp_path):
    from tests.conftest import planner

    data = hourly_scenario(tmp_path, year(), representative_days="every")
    proc = planner("validate", write(data, tmp_path))
    assert proc.returncode == 2 and "representative_days" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_variant_puts_an_hourly_year_on_a_parent_with_slices(tmp_path):
    """A variant that names an hourly file replaces its parent's hand-written slices; a variant of
    that one that changes only representative_days re-aggregates the same file (read beside the
    file that names it)."""
    parent = tiny(projects=[project("sun", 100, technology="solar")],
                  technologies={"solar": {"lifetime_years": 25}, "hydro": {"lifetime_years": 50}},
                  time={"slices": [{"id": "day", "hours": 4380, "season": "s"},
                                   {"id": "night", "hours": 4380, "season": "s", "peak": True}]})
    write(parent, tmp_path, "parent.yaml")
    (tmp_path / "hourly").mkdir()
    year().to_csv(tmp_path / "hourly" / "year.csv", index=False)
    write({"name": "days4", "extends": "../parent.yaml",
           "time": {"hourly_file": "year.csv", "representative_days": 4}}, tmp_path / "hourly", "days4.yaml")
    write({"name": "full", "extends": "days4.yaml", "time": {"representative_days": "all"}},
          tmp_path / "hourly", "full.yaml")
    s = load_scenario(tmp_path / "hourly" / "days4.yaml").scenario
    assert len(s.time.slices) == 4 * 24 and not {"day", "night"} & {x.id for x in s.time.slices}
    full = load_scenario(tmp_path / "hourly" / "full.yaml")
    assert len(full.scenario.time.slices) == 8760
    two = load_scenario(tmp_path / "hourly" / "days4.yaml", ["time.representative_days=2"]).scenario
    assert len(two.time.slices) == 2 * 24
    # the resolved scenario (written beside results) lists its slices: read again, not re-aggregated
    days4 = load_scenario(tmp_path / "hourly" / "days4.yaml")
    (tmp_path / "resolved.yaml").write_text(days4.resolved_yaml())
    again = load_scenario(tmp_path / "resolved.yaml").scenario
    assert again.time.slices == days4.scenario.time.slices


def test_segments_merge_adjacent_hours_and_keep_the_energy(tmp_path, solve):
    """time.segments_per_period: each representative day's 24 hours become 6 segments of adjacent
    hours (tsam's segmentation), each a slice lasting its hours (duration_h) in every occurrence of
    its day. A segment's availability is the mean of its hours, so, every day the same, the 100 MW
    plant still makes 100 x 8.3 x 365 / 1000 = 302.95 GWh, as hour by hour (test above)."""
    frame = pd.DataFrame({"hour": np.arange(1, 8761), "solar": np.tile(SHAPE, 365)})
    data = hourly_scenario(tmp_path, frame, representative_days=4, segments_per_period=6)
    data["targets"] = [{"scope": "VN", "year": 2025, "energy_gwh": 1}]
    s = load_scenario(write(data, tmp_path)).scenario
    assert len(s.time.slices) == 4 * 6
    assert sum(x.hours for x in s.time.slices) == pytest.approx(8760)
    periods: dict = {}
    for x in s.time.slices:
        periods.setdefault(x.period, []).append(x)
    for members in periods.values():
        assert sum(x.duration_h for x in members) == 24  # the segments of a day cover its 24 hours
        occurrences = {round(x.hours / x.duration_h, 9) for x in members}
        assert len(occurrences) == 1  # every segment of a day occurs as often as the day
    assert all("_s" in x.id for x in s.time.slices)
    run = solve(data)
    assert run.tables["dispatch"].energy_gwh.sum() == pytest.approx(100 * SHAPE.sum() * 365 / 1000, rel=1e-6)


@pytest.mark.parametrize("value", [0, 25, 2.5, True])
def test_bad_segments_per_period(tmp_path, value):
    data = hourly_scenario(tmp_path, year(), representative_days=4, segments_per_period=value)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(data, tmp_path))
    text = str(info.value)
    assert "time.segments_per_period" in text and "from 1 to 24" in text and "hourly.csv" in text


def test_segments_of_the_full_year_cluster_nothing(tmp_path):
    """representative_days: all with segments: every day its own period, cut into its segments."""
    data = hourly_scenario(tmp_path, year(), representative_days="all", segments_per_period=4)
    s = load_scenario(write(data, tmp_path)).scenario
    assert len({x.period for x in s.time.slices}) == 365 and len(s.time.slices) == 365 * 4
    assert sum(x.hours for x in s.time.slices) == pytest.approx(8760)
    assert all(x.hours == x.duration_h for x in s.time.slices)  # each day stands for itself
