"""Money arithmetic: discounting, annuities (SPEC §3.1), break-even tariffs and who pays for
links (SPEC §3.2).

Pure arithmetic on the scenario's numbers, no Pyomo: ``data.py`` calls these to weight the years,
annualise capex, and give every project its break-even tariff (tested against its ceiling when it
offers no tariff, and paid by the importer in the ``importer`` perspective); results.py reports
them in tariffs.csv.
"""

from __future__ import annotations

import math

import numpy as np


def crf(rate: float, lifetime_years: int) -> float:
    """Capital recovery factor r(1+r)^n / ((1+r)^n - 1); 1/n when r = 0 (SPEC §3.1)."""
    if rate == 0:
        return 1.0 / lifetime_years
    if abs(rate) < 1e-6:  # (1+r)^n - 1 loses every digit (or is 0) in floating point: the same via expm1
        growth = math.expm1(lifetime_years * math.log1p(rate))
        return rate * (1 + growth) / growth
    g = (1 + rate) ** lifetime_years
    return rate * g / (g - 1)


def year_weights(years: list[int], base_year: int, rate: float, end_year: int | None) -> dict[int, float]:
    """W_y = sum of DF_t = (1+r)^-(t - base_year) over the calendar years t that year y represents."""
    last = end_year if end_year is not None else years[-1]
    bounds = years[1:] + [last + 1]
    return {y: sum((1 + rate) ** -(t - base_year) for t in range(y, nxt)) for y, nxt in zip(years, bounds)}


def expected_energy_gwh(capacity_mw: float, hours: dict[str, float], availability: dict[str, float],
                        season_budget_gwh: dict[str, float] | None = None,
                        max_energy_gwh_per_year: float | None = None) -> float:
    """E_p = sum_s hours[s] x availability[p,s] x capacity_mw / 1000   (GWh per year)

    or, for a pondage/reservoir plant, the sum of its seasonal budgets; in both cases at most its
    max_energy_gwh_per_year. The energy the plant can deliver in an average year when fully online.
    """
    if season_budget_gwh:
        energy = sum(season_budget_gwh.values())
    else:
        energy = _sum_over_slices(hours, availability) * capacity_mw / 1000.0
    if max_energy_gwh_per_year is not None and not math.isnan(max_energy_gwh_per_year):
        energy = min(energy, max_energy_gwh_per_year)
    return energy


def _sum_over_slices(hours, availability) -> float:
    """sum_s hours[s] x availability[s], slice after slice: ``hours`` and ``availability`` dicts by
    slice, or two arrays in the same slice order (the sum taken in the same order, so the same float)."""
    if isinstance(hours, dict):
        return sum(hours[s] * availability.get(s, 0.0) for s in hours)
    products = np.asarray(hours, dtype=float) * np.asarray(availability, dtype=float)
    return float(np.cumsum(products)[-1]) if len(products) else 0.0


def break_even_tariff(capex_musd: float, fixed_om_musd_per_year: float, energy_gwh: float,
                      energy_cost_usd_per_mwh: float, wacc: float, ppa_years: int,
                      connection_musd_per_year: float = 0.0, royalty_share: float = 0.0) -> float:
    """break_even_p = ((capex_p x CRF(wacc, ppa_years) + fixed_om_p + connection_p) / E_p x 1000
                       + energy_cost_p) / (1 - royalty_share_p)

    in USD/MWh at the border (MUSD per GWh x 1000): the flat tariff over the PPA term whose revenue
    on E_p GWh a year, less the royalties and revenue taxes paid on it (royalty_share of revenue),
    repays the capex at the developer's cost of capital (capex_p here includes interest during
    construction: ``idc_factor``), its fixed O&M and its share of a dedicated connection
    (``connection_cost``), plus its variable cost. NaN when the plant can deliver nothing (E_p = 0).
    """
    if energy_gwh <= 0:
        return math.nan
    annual = capex_musd * crf(wacc, ppa_years) + fixed_om_musd_per_year + connection_musd_per_year
    return (annual / energy_gwh * 1000.0 + energy_cost_usd_per_mwh) / (1.0 - royalty_share)


def idc_factor(wacc: float, construction_years: int) -> float:
    """IDC_p = (1/N) x sum_{k=1..N} (1 + wacc)^(k - 1/2)   (1 when N = 0)

    capex spent evenly over N construction years, each year's spending at mid-year, carries
    interest at the developer's cost of capital until the plant comes online: the capex at COD is
    capex x IDC_p (e.g. 4 years at 8 %: 1.171).
    """
    if construction_years <= 0:
        return 1.0
    n = construction_years
    return sum((1.0 + wacc) ** (k - 0.5) for k in range(1, n + 1)) / n


def connection_cost(link_capex_musd: float, link_fixed_om_musd_per_year: float, importer_share: float,
                    wacc: float, ppa_years: int, share_of_link: float = 1.0) -> float:
    """connection_p = (1 - importer_share_l) x (capex_l x CRF(wacc, ppa_years) + fixed_om_l) x share_p,l

    MUSD a year: the part of link l the importer does not pay, carried by the developer of project
    p in its tariff; share_p,l splits it among the projects that name the same link, by their MW.
    """
    return (1.0 - importer_share) * (link_capex_musd * crf(wacc, ppa_years) + link_fixed_om_musd_per_year) \
        * share_of_link


def default_importer_share(from_country: str, to_country: str, importing_country: str) -> float:
    """Share of a link's cost the importer pays when the scenario does not say: 1 inside the
    importing country, 0 inside the exporting country, 0.5 across the border (each side builds its
    own line to the border: Dec. 1007/QD-BCT)."""
    inside = (from_country == importing_country) + (to_country == importing_country)
    return {0: 0.0, 1: 0.5, 2: 1.0}[inside]
