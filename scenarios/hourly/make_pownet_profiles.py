"""Derive planner's hourly profiles from PowNet-Laos's hourly 2016 data (measured shapes).

Source: PowNet-Laos, https://github.com/Critical-Infrastructure-Systems-Lab/PowNet-Laos (MIT
License, Copyright (c) 2020 AFM Kamal Chowdhury), commit 4f10e26e8df8b346d47be073641a1a5aedd28625,
folder "Model and data/input/":

- ``data_laos_hydro_2016.csv``: hourly output (MW) of 30 Lao hydropower plants in 2016, simulated
  with the VIC-Res hydrological-hydraulic model from 2016's weather (Chowdhury et al. 2020,
  J. Water Resour. Plann. Manage., doi:10.1061/(ASCE)WR.1943-5452.0001279): a modelled year, not
  metered output, but the only hourly Lao series found;
- ``data_laos_load_export_2016.csv``: hourly load (MW) of 59 EDL substations (from EDL's and the
  Department of Energy Policy and Planning's reports), plus three export nodes (Cambodia, EGAT).

Usage: ``python scenarios/hourly/make_pownet_profiles.py PATH`` where PATH is a checkout of the
repository (its "Model and data/input" folder) or a folder holding the two files. Writes
``profiles_pownet_2016.csv`` beside this script. Steps:

1. Calendar: both files have 8,760 rows (2016 without 29 February: January 744 hours, February
   672, ...), hours 0-23 of the local day (UTC+7). Row i becomes planner's ``hour`` i + 1, i.e.
   the same month, day and hour on planner's 365-day calendar (hourly.py: 2025), so the seasons
   (wet May-October, dry November-April) cut the year where the data's months do.
2. Hydro, per plant: a plant's availability is its hourly MW over its largest hourly MW of the
   year (the plant's capacity in the data: Xekaman 3 250 MW, Nam San 3A 69, 3B 45, as their
   nameplates), so 0..1. Our plants found in the data get their own column, named by their id in
   ../base/projects.csv: xekaman3 (Xekaman3), nam_san_3a (NamSan3A), nam_san_3b (NamSan3B).
   Xekaman 1 is in the data too, but there it runs in about a third of the hours (a simulated
   dispatch of its reservoir, wet/dry means 0.331/0.189: no scaling reaches the base's 0.87 wet
   without values above 1), so it is not a water availability; it takes its basin's column.
3. Hydro by basin (technology@node): the capacity-weighted mean of the plants of the basin,
   i.e. sum of MW / sum of capacities: the south (Sekong, Xe Kaman, Xe Set, Xe Pian: Xekaman1,
   Xekaman3, Xeset1-3, HouayHo, Houay Lamphan, Xenamnoy1/6, Salabam) for hydro@LA_SK, LA_HX,
   LA_AT, LA_NK, LA_EM, LA_X3; the north (Nam San, Nam Ngum, Nam Ngiep, Nam Mang, Nam Khan,
   Nam Ou, Nam Lik, Nam Leuk, Nam Sana, Nam Theun 2, Theun-Hinboun) for hydro@LA_N; all 30
   plants for the technology column ``hydro`` (any other node).
4. Season means: each hydro column is scaled, season by season, so that its wet and dry means
   equal the availability the base case gives that plant (its own availability_wet/_dry in
   projects.csv: Xekaman 3 0.94/0.29, Nam San 3A/3B 0.88/0.38, S59) or the technology
   (0.87/0.34, S59), values capped at 1 (as make_profiles.py does): the within-season shape is
   the data's, the seasonal water the base's, so the 48-day run differs from the six slices in
   time resolution only. The data's own season means are printed (README.md of this folder).
5. EDL's demand shape: the sum of the 59 substations' load (the export nodes CambKhampongsalao,
   EGATMaeMoh, EGATNakhouPhanom left out), over its largest hour: ``demand@LA_VT`` and
   ``demand@LA_SK`` (one national shape for both: the substations' split between EDL's regions is
   not in the data). planner keeps each demand row's season mean and follows this shape inside
   the season (data._shape_demand).
6. Wind, solar and ``load`` (Vietnam's load, which sets the peak slices) are copied unchanged
   from profiles_illustrative.csv: ILLUSTRATIVE, no measured series found.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_profiles import fit_season_means  # noqa: E402  (the same season scaling as the ILLUSTRATIVE file)

HERE = Path(__file__).resolve().parent
SEASON = {m: "wet" if 5 <= m <= 10 else "dry" for m in range(1, 13)}
TECH = {"wet": 0.87, "dry": 0.34}  # technologies.hydro in ../base/base.yaml (S59)
PLANTS = {  # our id: (PowNet column, base season means: projects.csv, else TECH)
    "xekaman3": ("Xekaman3", {"wet": 0.94, "dry": 0.29}),
    "nam_san_3a": ("NamSan3A", {"wet": 0.88, "dry": 0.38}),
    "nam_san_3b": ("NamSan3B", {"wet": 0.88, "dry": 0.38}),
}
SOUTH = ["Xekaman1", "Xekaman3", "Xeset1", "Xeset2", "Xeset3", "HouayHo", "HouayLamphan", "Xenamnoy1",
         "Xenamnoy6", "Salabam"]
NORTH = ["NamSan3A", "NamSan3B", "NamNgum1", "NamNgum2", "NamNgum5", "NamNgiep2", "NamNgiep2C", "NamNgiep3A",
         "NamMang1", "NamMang3", "NamKhan2", "NamKhan3", "NamOu2", "NamOu5", "NamOu6", "NamLik1n2", "NamLeuk",
         "NamSana", "NamTheun2", "TheunHinboun"]
SOUTH_NODES = ["LA_SK", "LA_HX", "LA_AT", "LA_NK", "LA_EM", "LA_X3"]
EXPORTS = ("CambKhampongsalao", "EGATMaeMoh", "EGATNakhouPhanom")
DEMAND_NODES = ["LA_VT", "LA_SK"]


def pooled(hydro: pd.DataFrame, plants: list[str]) -> np.ndarray:
    """Sum of the plants' MW over the sum of their capacities (largest hourly MW)."""
    return (hydro[plants].sum(axis=1) / hydro[plants].max().sum()).to_numpy()


def main(source: Path) -> None:
    folder = source / "Model and data" / "input" if (source / "Model and data").is_dir() else source
    hydro = pd.read_csv(folder / "data_laos_hydro_2016.csv")
    load = pd.read_csv(folder / "data_laos_load_export_2016.csv", index_col=0)
    if len(hydro) != 8760 or len(load) != 8760 or ((hydro.Month == 2) & (hydro.Day == 29)).any():
        raise SystemExit("expected 8,760 hours of 2016 without 29 February in both files")
    if not (hydro[["Month", "Day", "Hour"]].to_numpy() == load[["Month", "Day", "Hour"]].to_numpy()).all():
        raise SystemExit("the two files' hours differ")
    season = hydro.Month.map(SEASON).to_numpy()
    illustrative = pd.read_csv(HERE / "profiles_illustrative.csv")
    out = pd.DataFrame({"hour": np.arange(1, 8761)})
    raw: dict[str, np.ndarray] = {}
    for col in illustrative.columns:
        if col.startswith(("solar", "wind")):
            out[col] = illustrative[col]
    raw["hydro"] = pooled(hydro, SOUTH + NORTH)
    out["hydro"] = fit_season_means(raw["hydro"], season, TECH)
    south, north = pooled(hydro, SOUTH), pooled(hydro, NORTH)
    for node in SOUTH_NODES:
        raw[f"hydro@{node}"] = south
        out[f"hydro@{node}"] = fit_season_means(south, season, TECH)
    raw["hydro@LA_N"] = north
    out["hydro@LA_N"] = fit_season_means(north, season, TECH)
    for pid, (col, target) in PLANTS.items():
        raw[pid] = (hydro[col] / hydro[col].max()).to_numpy()
        out[pid] = fit_season_means(raw[pid], season, target)
    domestic = [c for c in load.columns if c not in ("Year", "Month", "Day", "Hour") and c not in EXPORTS]
    lao = load[domestic].sum(axis=1).to_numpy()
    for node in DEMAND_NODES:
        out[f"demand@{node}"] = lao / lao.max()
    out["load"] = illustrative["load"]
    out.round(4).to_csv(HERE / "profiles_pownet_2016.csv", index=False)
    print(f"{len(domestic)} substations: EDL's load {lao.mean():.1f} MW mean, {lao.max():.1f} MW peak (2016)")
    print("column: the data's own wet / dry means -> the file's")
    for col in ["hydro", "hydro@LA_SK", "hydro@LA_N", *PLANTS]:
        own = [raw[col][season == s].mean() for s in ("wet", "dry")]
        got = [out[col].to_numpy()[season == s].mean() for s in ("wet", "dry")]
        print(f"  {col}: {own[0]:.3f} / {own[1]:.3f} -> {got[0]:.3f} / {got[1]:.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[2])
    main(Path(sys.argv[1]))
