"""Generate ONE year of ILLUSTRATIVE hourly profiles for the base case's technologies and zones.

    python scenarios/hourly/make_profiles.py            # writes profiles_illustrative.csv beside it

Nothing here is measured data: there was no internet to download real hourly series (e.g.
renewables.ninja or ERA5 for the Lao zones, EVN's hourly load). The series are SYNTHETIC shapes
with a fixed random seed, built so that the base case's own seasonal figures are kept:

- every availability column is scaled so that its wet-season (May-October) and dry-season
  (November-April) means equal the base case's seasonal availability (scenarios/base/base.yaml and
  projects.csv), computed below from the base's slice values weighted by the slices' hours;
- so a pondage/reservoir hydro plant gets the same seasonal water budget as in the base case, and a
  wind or solar plant the same energy per season; only the shape inside a season is ILLUSTRATIVE.

Columns (one row per hour of 2025, ``hour`` 1..8760, local time UTC+7):

- ``solar@LA_SK``, ``solar@LA_AT``: clear-sky bell from the sun's elevation (declination, hour
  angle, sunrise/sunset) at the zone's latitude (Sekong 15.3 N, Attapeu 14.8 N), times a monthly
  cloudiness factor (the wet season cloudier) and a random daily weather factor; season means
  0.148 wet / 0.196 dry (base: S61's Lao PV profile, CF 14.8 % / 19.7 %).
- ``wind@LA_SK``, ``wind@LA_BK``: the base's wind default (Monsoon's CF 0.32, S22): season means
  0.260 wet / 0.380 dry, the diurnal shape of the base's slices (S61's Lao wind profile: day,
  evening, night ratios per season), strongest in the NE-monsoon months (Dec-Feb), with random
  weather (a regional AR(1) component shared by the zones and a local one).
- ``wind@LA_SV``: Savannakhet (Nong, Lako): the base's Nong availability, season means 0.200 / 0.300.
- ``hydro``: run-of-river output of a plant of the base's default availability, season means 0.87
  wet / 0.34 dry (S59): a monthly inflow shape of a Lao tributary (low in March-April, high in
  August-September, capped at full output), interpolated day by day, with small daily noise.
  Projects that give their own wet/dry availability in projects.csv (Xekaman 3, Nam San 3A/3B)
  keep it; pondage and reservoir plants use only the season totals.
- ``load``: the shape of Vietnam's hourly load (share of the year's peak): an evening peak at
  18-21 h, a midday plateau with a lunch dip, lower at night, on Sundays and in the cool months
  (Dec-Feb), higher in the hot months (April-July). It sets the peak slices (top 10 % of hours).

Rounded to 3 decimals; the season means are hit to about 1e-3 after rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20250101
YEAR = 2025
OUT = Path(__file__).with_name("profiles_illustrative.csv")
WET_MONTHS = (5, 6, 7, 8, 9, 10)

# --- the base case's figures (scenarios/base/base.yaml, projects.csv) -----------------------
# base slices: day 07-17 (10 h), evening 17-22 (5 h, peak), night 22-07 (9 h);
# hours: wet 1840 / 920 / 1656, dry 1810 / 905 / 1629
BASE_HOURS = {"wet": (1840, 920, 1656), "dry": (1810, 905, 1629)}
BASE = {
    # technology default, by slice (day, evening, night)
    "wind": {"wet": (0.303, 0.253, 0.216), "dry": (0.355, 0.466, 0.361)},
    # Nong / Lako wind (projects.csv availability_<slice>)
    "wind_sv": {"wet": (0.233, 0.195, 0.166), "dry": (0.280, 0.368, 0.285)},
    "solar": {"wet": (0.348, 0.009, 0.004), "dry": (0.468, 0.005, 0.001)},
}
HYDRO = {"wet": 0.87, "dry": 0.34}  # technologies.hydro.availability (S59)


def season_mean(by_slice: dict[str, tuple]) -> dict[str, float]:
    """The base's seasonal availability: slice values weighted by the slices' hours."""
    return {s: float(np.dot(v, BASE_HOURS[s]) / sum(BASE_HOURS[s])) for s, v in by_slice.items()}


def diurnal_ratio(by_slice: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Per season, an hour-of-day factor equal to the base's slice value / season mean."""
    means = season_mean(by_slice)
    out = {}
    for s, (day, evening, night) in by_slice.items():
        f = np.empty(24)
        f[7:17], f[17:22], f[22:], f[:7] = day, evening, night, night
        f = f / means[s]
        # smooth the steps a little (circular 3-hour mean), then restore each block's mean
        smooth = (np.roll(f, 1) + f + np.roll(f, -1)) / 3
        for block in (np.r_[7:17], np.r_[17:22], np.r_[22:24, 0:7]):
            smooth[block] *= f[block].mean() / smooth[block].mean()
        out[s] = smooth
    return out


def fit_season_means(x: np.ndarray, season: np.ndarray, target: dict[str, float]) -> np.ndarray:
    """Scale each season so that its mean equals the target, values capped at 1 (bisection)."""
    out = x.copy()
    for s, goal in target.items():
        m = season == s
        lo, hi = 0.0, 50.0
        for _ in range(100):
            k = (lo + hi) / 2
            if np.minimum(x[m] * k, 1.0).mean() < goal:
                lo = k
            else:
                hi = k
        out[m] = np.minimum(x[m] * (lo + hi) / 2, 1.0)
    return out


def ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """A unit-variance AR(1) series."""
    e = rng.normal(0, np.sqrt(1 - phi ** 2), n)
    out = np.empty(n)
    out[0] = rng.normal()
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


def solar(time: pd.DatetimeIndex, lat_deg: float, lon_deg: float, rng, regional_day: np.ndarray) -> np.ndarray:
    """Clear-sky bell (cosine of the sun's zenith, at the middle of each hour) x clouds."""
    doy = time.dayofyear.to_numpy()
    hour = time.hour.to_numpy() + 0.5
    decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + doy) / 365)
    b = 2 * np.pi * (doy - 81) / 364
    eot_min = 9.87 * np.sin(2 * b) - 7.53 * np.cos(b) - 1.5 * np.sin(b)  # equation of time
    solar_time = hour + (4 * (lon_deg - 105.0) + eot_min) / 60  # UTC+7: meridian 105 E
    angle = np.radians(15 * (solar_time - 12))
    lat = np.radians(lat_deg)
    cosz = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(angle)
    clear = np.clip(cosz, 0, None) ** 1.2
    # monthly cloudiness (share of clear-sky output): the wet season cloudier (ILLUSTRATIVE)
    cloud = np.array([0.92, 0.93, 0.90, 0.85, 0.72, 0.62, 0.58, 0.55, 0.62, 0.72, 0.85, 0.90])
    days = len(time) // 24
    local = rng.normal(0, 1, days)
    weather = np.clip(1 + 0.18 * (0.7 * regional_day + 0.3 * local), 0.25, 1.4)
    return clear * cloud[time.month.to_numpy() - 1] * np.repeat(weather, 24)


def wind(time, season, ratio: dict[str, np.ndarray], rng, regional: np.ndarray) -> np.ndarray:
    hour = time.hour.to_numpy()
    month = time.month.to_numpy()
    # within-season monthly level: NE monsoon (Dec-Feb) strongest, SW monsoon (Jul-Aug) second (ILLUSTRATIVE)
    level = np.array([1.15, 1.10, 0.95, 0.75, 0.80, 0.95, 1.10, 1.10, 0.95, 0.95, 1.05, 1.15])[month - 1]
    diurnal = np.where(season == "wet", ratio["wet"][hour], ratio["dry"][hour])
    local = ar1(rng, len(time), 0.97)
    weather = np.exp(0.45 * (0.75 * regional + 0.66 * local) - 0.1)
    return level * diurnal * weather


def hydro(time, season, rng) -> np.ndarray:
    # relative monthly inflow of a Lao tributary, Jan..Dec (ILLUSTRATIVE)
    inflow = np.array([0.25, 0.20, 0.17, 0.20, 0.35, 0.70, 1.00, 1.30, 1.30, 0.80, 0.55, 0.35])
    mid = pd.DatetimeIndex([pd.Timestamp(YEAR, m, 15) for m in range(1, 13)])
    x = np.r_[mid.dayofyear.to_numpy() - 365, mid.dayofyear.to_numpy(), mid.dayofyear.to_numpy() + 365]
    daily = np.interp(np.arange(1, 366), x, np.tile(inflow, 3))
    daily *= np.exp(rng.normal(0, 0.05, 365))
    return np.repeat(daily, 24)[:len(time)]


def load(time, rng) -> np.ndarray:
    hour = time.hour.to_numpy()
    # hour-of-day shape (ILLUSTRATIVE): low at night, midday plateau with a lunch dip, evening peak 18-21 h
    day = np.array([0.70, 0.67, 0.65, 0.64, 0.65, 0.69, 0.76, 0.83, 0.89, 0.92, 0.93, 0.91,
                    0.86, 0.89, 0.91, 0.91, 0.92, 0.96, 1.00, 1.00, 0.99, 0.96, 0.86, 0.77])
    month = np.array([0.88, 0.86, 0.95, 1.04, 1.08, 1.08, 1.06, 1.04, 1.01, 0.98, 0.95, 0.92])
    sunday = np.where(time.dayofweek.to_numpy() == 6, 0.92, 1.0)
    x = day[hour] * month[time.month.to_numpy() - 1] * sunday * np.exp(0.02 * ar1(rng, len(time), 0.9))
    return x / x.max()


def main() -> None:
    rng = np.random.default_rng(SEED)
    time = pd.date_range(f"{YEAR}-01-01", periods=8760, freq="h")
    season = np.where(np.isin(time.month, WET_MONTHS), "wet", "dry")
    regional_day = rng.normal(0, 1, 365)
    regional_wind = ar1(rng, len(time), 0.98)
    solar_target = season_mean(BASE["solar"])
    out = pd.DataFrame({"hour": np.arange(1, len(time) + 1)})
    for zone, lat, lon in (("LA_SK", 15.3, 106.7), ("LA_AT", 14.8, 106.8)):
        out[f"solar@{zone}"] = fit_season_means(solar(time, lat, lon, rng, regional_day), season, solar_target)
    for zone, base in (("LA_SK", "wind"), ("LA_BK", "wind"), ("LA_SV", "wind_sv")):
        shape = wind(time, season, diurnal_ratio(BASE[base]), rng, regional_wind)
        out[f"wind@{zone}"] = fit_season_means(shape, season, season_mean(BASE[base]))
    out["hydro"] = fit_season_means(hydro(time, season, rng), season, HYDRO)
    out["load"] = load(time, rng)
    out = out.round(3)
    out.to_csv(OUT, index=False, float_format="%.3f")
    print(f"wrote {OUT} ({len(out)} hours)")
    for col in out.columns[1:]:
        means = out.groupby(season)[col].mean()
        print(f"  {col:12s} wet {means['wet']:.4f}  dry {means['dry']:.4f}  max {out[col].max():.3f}")
    print("  targets: solar", {k: round(v, 4) for k, v in solar_target.items()},
          "wind", {k: round(v, 4) for k, v in season_mean(BASE['wind']).items()},
          "wind@LA_SV", {k: round(v, 4) for k, v in season_mean(BASE['wind_sv']).items()}, "hydro", HYDRO)


if __name__ == "__main__":
    main()
