"""Hourly profiles -> representative periods (issue "Hourly data, representative days").

``time.hourly_file`` is a table of one year's hours (8,760, or 8,784 in a leap year) with a
column ``hour`` (1, 2, ...) or ``time`` (timestamps), availability columns named by technology,
by project, or by technology and zone (``wind@LA_S``), and optionally ``load``, the shape of
what Vietnam needs (any unit). ``time.representative_days: K`` (or ``representative_weeks``)
turns it into K representative periods with tsam:

- the calendar gives the seasons (``time.seasons``, months of each; by default Laos's wet season
  May-October and dry season November-April) and each season is aggregated on its own, with
  K shared between the seasons by their length (at least one period each);
- inside a season the periods are typical periods (hierarchical clustering, medoids, column
  means preserved), with the day of the peak load hour (when ``load`` is given) and the period
  of least availability (the "driest") kept as they are;
- each period's hours become consecutive slices ``<season>_p<NN>_h<HH>`` that stand for as many
  hours of the year as the period stands for days (the hours of a season are kept exactly);
- ``time.segments_per_period: N`` merges each period's hours into N segments of adjacent hours
  (tsam's segmentation): slices ``<season>_p<NN>_s<SS>`` with ``duration_h`` the segment's hours
  and availability their mean;
- a slice is a peak slice when most of the original hours it stands for are peak hours: hours in
  the top ``peak_load_share`` of the year's load, or, without a load column, ``peak_hours``;
- the aggregation error of every profile (RMSE and MAE against the hourly data, and RMSE of the
  duration curves) is returned as rows of ``time.aggregation_error``.

The full year: ``representative_days: all`` (or ``representative_weeks: all``), or a K at least as
large as a season's number of periods, keeps every period of the season as it is, without tsam:
each day (week) is a period of its own, weight 1 (its hours stand for themselves), named by the
calendar date of its first day, ``<season>_d<MMDD>_h<HH>`` (weeks ``<season>_w<MMDD>_h<HHH>``;
a season's last week may be short), and the aggregation error is exactly 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import Problems
from .schema import ALL_PERIODS, period_count_problem

DEFAULT_SEASONS = {"wet": [5, 6, 7, 8, 9, 10], "dry": [11, 12, 1, 2, 3, 4]}
DEFAULT_PEAK_HOURS = [18, 19, 20, 21]  # hour of day (0-23) of Vietnam's evening peak
DEFAULT_PEAK_LOAD_SHARE = 0.10
TIME_COLUMNS = ("hour", "time")
LOAD_COLUMN = "load"


def aggregate_hourly(frame: pd.DataFrame, time: dict, file: str, problems: Problems) -> tuple[list, dict, list] | None:
    """(slices, availability by column and slice, aggregation error rows), or None with problems added.

    ``frame`` holds the table's cells as text; ``time`` is the scenario's raw ``time`` mapping.
    """
    days, weeks = time.get("representative_days"), time.get("representative_weeks")
    if days is not None and weeks is not None:
        problems.add(file, "time", "give representative_days or representative_weeks, not both")
        return None
    count = days if days is not None else weeks
    length = 24 if weeks is None else 168
    problem = period_count_problem(count, weeks=weeks is not None)
    if problem:
        problems.add(file, "time.representative_days" if weeks is None else "time.representative_weeks", problem)
        return None
    segments = time.get("segments_per_period")
    if segments is not None and (isinstance(segments, bool) or not isinstance(segments, int)
                                 or not 1 <= segments <= length):
        problems.add(file, "time.segments_per_period",
                     f"expected a whole number of segments from 1 to {length} (the hours of a "
                     f"{'day' if weeks is None else 'week'}), got {segments!r}")
        return None
    whole_year = count == ALL_PERIODS and segments is None
    series = _numbers(frame, file, problems)
    if series is None:
        return None
    seasons = _month_seasons(time.get("seasons", DEFAULT_SEASONS), file, problems)
    if seasons is None:
        return None
    peak = _peak_hours(series, time, file, problems)
    if peak is None:
        return None
    profiles = series.drop(columns=[LOAD_COLUMN], errors="ignore")
    season_of_hour = np.array([seasons[m] for m in series.index.month])
    order = list(dict.fromkeys(seasons[m] for m in range(1, 13)))
    season_hours = [int((season_of_hour == s).sum()) for s in order]
    share = list(season_hours) if count == ALL_PERIODS else _share(count, season_hours, length)
    slices: list[dict] = []
    availability: dict[str, dict[str, float]] = {c: {} for c in profiles.columns}
    reconstructed = pd.DataFrame(index=series.index, columns=series.columns, dtype=float)
    for season, k in zip(order, share):
        mask = season_of_hour == season
        part = series[mask]
        n_periods = len(part) // length
        if k >= n_periods and segments is None:  # every period of the season kept as it is: nothing to cluster
            _whole_season(part, season, length, peak[mask], profiles.columns, slices, availability)
            reconstructed.loc[mask, :] = part.to_numpy()
            continue
        used = part.iloc[:n_periods * length]
        scale = len(part) / (n_periods * length)  # hours of the season left over: spread over its periods
        result = _tsam(used, min(k, n_periods), length, segments)
        reps = result.cluster_representatives
        counts = result.cluster_counts
        assign = np.asarray(result.cluster_assignments)
        peak_used = peak[mask][:n_periods * length].reshape(n_periods, length)
        width = 3 if length > 24 else 2
        for c in sorted(counts):
            members = assign == c
            for t, start, hours in _steps(reps, c, length):
                sid = (f"{season}_p{c:02d}_h{t:0{width}d}" if segments is None
                       else f"{season}_p{c:02d}_s{t:0{width}d}")
                row = {"id": sid, "hours": float(counts[c]) * scale * hours, "season": season,
                       "peak": bool(peak_used[members, start:start + hours].mean() >= 0.5),
                       "period": f"{season}_p{c:02d}"}
                if segments is not None:
                    row["duration_h"] = float(hours)  # one occurrence of a segment lasts its hours
                slices.append(row)
                for col in profiles.columns:
                    availability[col][sid] = float(min(max(reps.loc[c].iloc[t][col], 0.0), 1.0))
        rebuilt = result.reconstructed.to_numpy()
        leftover = rebuilt[-length:][:len(part) - len(used)]  # hours past the last whole period
        reconstructed.loc[mask, :] = np.vstack([rebuilt, leftover])
    return slices, availability, _errors(series, reconstructed)


def _whole_season(part: pd.DataFrame, season: str, length: int, peak: np.ndarray, columns, slices: list,
                  availability: dict) -> None:
    """Every period of a season kept as it is: consecutive runs of ``length`` hours (the last one
    shorter when the season's hours are not a whole number of periods), each hour a slice of 1 h."""
    values = part[list(columns)].to_numpy(dtype=float)
    stamps = part.index
    kind, width = ("d", 2) if length == 24 else ("w", 3)
    for start in range(0, len(part), length):
        period = f"{season}_{kind}{stamps[start].month:02d}{stamps[start].day:02d}"
        for t in range(min(length, len(part) - start)):
            i = start + t
            sid = f"{period}_h{t:0{width}d}"
            slices.append({"id": sid, "hours": 1.0, "season": season, "peak": bool(peak[i]), "period": period})
            for j, col in enumerate(columns):
                availability[col][sid] = float(values[i, j])


def _numbers(frame: pd.DataFrame, file: str, problems: Problems) -> pd.DataFrame | None:
    """The hourly table as numbers on an hourly calendar index, or None with problems."""
    time_col = next((c for c in TIME_COLUMNS if c in frame.columns), None)
    if time_col is None:
        problems.add(file, "time.hourly_file", "missing column 'hour' (1, 2, ...) or 'time' (timestamps)", "row 1")
        return None
    n = len(frame)
    if n not in (8760, 8784):
        problems.add(file, "time.hourly_file", f"{n} rows of hours; one year has 8,760 (or 8,784 in a leap year)")
        return None
    start = "2024-01-01" if n == 8784 else "2025-01-01"
    if time_col == "time":
        text = frame[time_col].astype(str).str.strip()
        offsets = text.str.extract(r"(?:\d)((?:[+-]\d\d:?\d\d)|Z)$")[0].fillna("")
        kinds = offsets.unique()
        stamps = None
        if len(kinds) == 1:
            try:
                stamps = pd.to_datetime(frame[time_col], errors="coerce")
            except (ValueError, TypeError, OverflowError):  # pandas refuses times in several offsets
                stamps = None
        if stamps is None or not pd.api.types.is_datetime64_any_dtype(stamps):
            given = [k for k in kinds if k]
            what = (f"in more than one time-zone offset ({', '.join(given[:4])})" if len(given) > 1
                    else "partly with a time-zone offset and partly without")
            first = int((offsets != offsets.iloc[0]).to_numpy().nonzero()[0][0]) if len(kinds) > 1 else 0
            problems.add(file, "time.hourly_file", f"the times are {what}: row {first + 2} has "
                         f"{frame[time_col].iloc[first]!r}, row 2 {frame[time_col].iloc[0]!r}; give every time in one "
                         "offset (e.g. all +07:00, or all UTC)", "column time")
            return None
        bad = stamps.isna().to_numpy().nonzero()[0]
        if len(bad):
            problems.add(file, "time.hourly_file", f"not a date and time: {frame[time_col].iloc[bad[0]]!r}",
                         f"row {bad[0] + 2}, column time")
            return None
        if (stamps.diff().dropna() != pd.Timedelta(hours=1)).any():
            problems.add(file, "time.hourly_file", "the times must follow each other hour by hour", "column time")
            return None
        index = pd.DatetimeIndex(stamps)
    else:
        hours = pd.to_numeric(frame[time_col], errors="coerce")
        if not (hours.to_numpy() == np.arange(1, n + 1)).all():
            row = int(np.argmax(hours.to_numpy() != np.arange(1, n + 1)))
            problems.add(file, "time.hourly_file", f"hours must run 1, 2, ... {n}; row {row + 2} has "
                                                   f"{frame[time_col].iloc[row]!r}", f"row {row + 2}, column hour")
            return None
        index = pd.date_range(start, periods=n, freq="h")
    columns = [c for c in frame.columns if c != time_col]
    if not columns:
        problems.add(file, "time.hourly_file", "no profile columns besides the hours", "row 1")
        return None
    out = frame[columns].apply(pd.to_numeric, errors="coerce")
    for col in columns:
        bad = (~np.isfinite(out[col].to_numpy(dtype=float, na_value=np.nan))).nonzero()[0]
        if len(bad):  # blank, text, NaN or infinity
            problems.add(file, "time.hourly_file", f"expected a finite number, got {frame[col].iloc[bad[0]]!r}",
                         f"row {bad[0] + 2}, column {col}")
            return None
        if col != LOAD_COLUMN and ((out[col] < 0) | (out[col] > 1)).any():
            row = int(((out[col] < 0) | (out[col] > 1)).to_numpy().nonzero()[0][0])
            problems.add(file, "time.hourly_file", f"availability {out[col].iloc[row]:g} is not between 0 and 1",
                         f"row {row + 2}, column {col}")
            return None
    if LOAD_COLUMN in out and (out[LOAD_COLUMN] < 0).any():
        problems.add(file, "time.hourly_file", "the load shape has negative values", f"column {LOAD_COLUMN}")
        return None
    out.index = index
    return out.astype(float)


def _month_seasons(spec: Any, file: str, problems: Problems) -> dict[int, str] | None:
    """Month (1-12) -> season, each month in exactly one season."""
    if not isinstance(spec, dict) or not spec:
        problems.add(file, "time.seasons", "expected a mapping of season -> months, e.g. {wet: [5, 6, 7, 8, 9, 10], "
                                           "dry: [11, 12, 1, 2, 3, 4]}")
        return None
    out: dict[int, str] = {}
    for season, months in spec.items():
        if not isinstance(months, list) or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12
                                                   for m in months):
            problems.add(file, f"time.seasons.{season}", f"expected a list of months 1-12, got {months!r}")
            return None
        for m in months:
            if m in out:
                problems.add(file, f"time.seasons.{season}", f"month {m} is already in season '{out[m]}'")
                return None
            out[m] = str(season)
    missing = [m for m in range(1, 13) if m not in out]
    if missing:
        problems.add(file, "time.seasons", f"month(s) {', '.join(map(str, missing))} are in no season")
        return None
    return out


def _peak_hours(series: pd.DataFrame, time: dict, file: str, problems: Problems) -> np.ndarray | None:
    """A flag per hour of the year: the top share of the load, or the evening peak hours of day."""
    if LOAD_COLUMN in series:
        share = time.get("peak_load_share", DEFAULT_PEAK_LOAD_SHARE)
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 < share < 1:
            problems.add(file, "time.peak_load_share", f"expected a fraction between 0 and 1, got {share!r}")
            return None
        load = series[LOAD_COLUMN].to_numpy()
        return load >= np.quantile(load, 1 - share)
    hours = time.get("peak_hours", DEFAULT_PEAK_HOURS)
    if not isinstance(hours, list) or not all(isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 23
                                              for h in hours):
        problems.add(file, "time.peak_hours", f"expected a list of hours of the day 0-23, got {hours!r}")
        return None
    return np.isin(series.index.hour, hours)


def _share(count: int, hours: list[int], length: int) -> list[int]:
    """Split ``count`` periods between seasons by their length, at least one each, never more
    than a season holds."""
    total = sum(hours)
    share = [max(1, round(count * h / total)) for h in hours]
    while sum(share) > max(count, len(hours)):
        i = int(np.argmax(share))
        share[i] -= 1
    while sum(share) < count:
        i = int(np.argmax([h / length - s for h, s in zip(hours, share)]))
        share[i] += 1
    return [min(s, max(1, h // length)) for s, h in zip(share, hours)]


def _steps(reps: pd.DataFrame, c: int, length: int) -> list[tuple[int, int, int]]:
    """(step, first hour in the period, hours) of each step of cluster c's representative period:
    every hour (``length`` steps of 1 h), or tsam's segments (index level 'Segment Duration')."""
    part = reps.loc[c]
    if part.index.nlevels == 1:
        return [(t, t, 1) for t in range(length)]
    steps, start = [], 0
    for t, hours in enumerate(part.index.get_level_values(-1)):
        steps.append((t, start, int(hours)))
        start += int(hours)
    return steps


def _tsam(frame: pd.DataFrame, k: int, length: int, segments: int | None = None):
    import tsam

    data = frame.copy()
    data.index = pd.date_range("2001-01-01", periods=len(frame), freq="h")  # regular, as tsam needs
    profiles = [c for c in data.columns if c != LOAD_COLUMN]
    data["_least"] = data[profiles].sum(axis=1) if profiles else 0.0
    extremes = None
    n_periods = len(data) // length
    if k >= 3 and n_periods > k:
        extremes = tsam.ExtremeConfig(method="replace", min_period=["_least"],
                                      max_value=[LOAD_COLUMN] if LOAD_COLUMN in data else [])
    weights = {c: 1.0 for c in data.columns}
    weights["_least"] = 1e-6  # only to find the least-available period, not to cluster by
    result = tsam.aggregate(data, n_clusters=k, period_duration=length, temporal_resolution=1.0,
                            extremes=extremes, weights=weights, rescale_exclude_columns=["_least"],
                            segments=tsam.SegmentConfig(n_segments=segments) if segments else None)
    return _Result(result)


class _Result:
    """tsam's result without the helper column."""

    def __init__(self, result):
        self.cluster_representatives = result.cluster_representatives.drop(columns=["_least"])
        self.cluster_counts = {int(c): float(n) for c, n in result.cluster_counts.items()}
        self.cluster_assignments = result.cluster_assignments
        self.reconstructed = result.reconstructed.drop(columns=["_least"])


def _errors(original: pd.DataFrame, rebuilt: pd.DataFrame) -> list[dict]:
    """Per profile: RMSE and MAE hour by hour, RMSE of the duration curves, means."""
    rows = []
    for col in original.columns:
        a, b = original[col].to_numpy(), rebuilt[col].to_numpy(dtype=float)
        curve = np.sort(a)[::-1] - np.sort(b)[::-1]
        rows.append({"profile": col, "rmse": float(np.sqrt(np.mean((a - b) ** 2))),
                     "mae": float(np.mean(np.abs(a - b))), "rmse_duration_curve": float(np.sqrt(np.mean(curve ** 2))),
                     "mean_hourly": float(a.mean()), "mean_aggregated": float(b.mean())})
    return rows
