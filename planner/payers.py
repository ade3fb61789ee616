"""Two payers, one plan (SPEC §3.2, §4): what the plan costs the export system and what the
importer pays for it, per project and year (payments.csv), both views of the costs (costs.csv),
and every project's tariffs against its ceiling (tariffs.csv).

Both views are computed from the solved plan, whichever of them the objective minimised
(``options.perspective``), so two runs of the same scenario from either side can be set beside
each other. No I/O here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from .formulation import arrays

from .data import ModelData
from .formulation.objective import VIEWS

from .solution import online
from .solution import value as _v

TOL = 1e-9


def project_energy_gwh(m, data: ModelData) -> dict[tuple[str, int], float]:
    """(project, year) -> GWh generated: sum_s hours[s] x gen[p,y,s] / 1000."""
    energy: dict[tuple[str, int], float] = {}
    for p, y, s in data.gen_index:
        energy[(p, y)] = energy.get((p, y), 0.0) + data.hours[s] * _v(m.gen[p, y, s]) / 1000.0
    return energy


def payments_table(m, data: ModelData) -> pd.DataFrame:
    """Per project and year it is online, undiscounted MUSD:

    paid_gwh     = max(energy_gwh, take_or_pay_share x expected_energy_gwh x online)
                   (take_or_pay_share 1 for a must-take plant, 0 without a contract)
    curtailed_gwh = paid_gwh - energy_gwh             (paid for and not delivered)
    payment      = tariff[y] x paid_gwh / 1000        (tariff: the offer, else the break-even,
                                                       escalated to year y)
    resource     = (annuity + fixed_om) x online + energy_cost x energy_gwh / 1000
    rent         = payment - resource                 (what the importer pays above the plan's cost)

    The resource cost leaves out CO2 (a cost of the plan that neither side pays the other).
    """
    energy = project_energy_gwh(m, data)
    pr, assets = data.projects, data.assets
    rows = []
    for p in pr.index:
        for y in data.years:
            on = online(m, data, p, y)
            if on <= TOL:
                continue
            e = energy.get((p, y), 0.0)
            paid = max(e, pr.at[p, "take_or_pay_share"] * pr.at[p, "expected_energy_gwh"] * on)
            tariff = data.tariff(p, y)
            payment = tariff * paid / 1000.0
            resource = (assets.at[p, "annuity_musd_per_year"] + assets.at[p, "fixed_om_musd_per_year"]) * on \
                + pr.at[p, "energy_cost_usd_per_mwh"] * e / 1000.0
            rows.append(dict(year=y, project=p, energy_gwh=e, paid_gwh=paid, tariff_usd_per_mwh=tariff,
                             payment_musd=payment, resource_cost_musd=resource, rent_musd=payment - resource,
                             curtailed_paid_gwh=max(paid - e, 0.0), contract=pr.at[p, "contract"]))
    frame = pd.DataFrame(rows, columns=["year", "project", "energy_gwh", "payment_musd", "resource_cost_musd",
                                        "rent_musd", "paid_gwh", "tariff_usd_per_mwh", "curtailed_paid_gwh",
                                        "contract"])
    return frame.sort_values(["year", "project"]).reset_index(drop=True)


def represented_years(data: ModelData, end_year: int | None) -> dict[int, str]:
    """Modelled year -> the calendar years it stands for, e.g. '2035-2040' (or '2030')."""
    last = end_year if end_year is not None else data.years[-1]
    bounds = data.years[1:] + [last + 1]
    return {y: (f"{y}" if nxt - 1 == y else f"{y}-{nxt - 1}") for y, nxt in zip(data.years, bounds)}


def costs_table(m, data: ModelData, payments: pd.DataFrame, end_year: int | None = None) -> pd.DataFrame:
    """Per view (system, importer), year and component: the annual cost of the year (undiscounted
    MUSD) and its NPV share W_y x annual; ``in_objective`` marks the view the objective minimised,
    whose discounted figures sum to the objective. ``represents_years``: the calendar years a
    modelled year stands for (the discounted figure counts all of them, the annual one one year).

    system:   capex, fixed_om, energy (the model's Expressions), co2, penalty, import_value
    importer: payments (payments.csv), links = sum_l importer_share x (annuity + fixed_om) x online,
              co2, penalty, import_value
    """
    paid = payments.groupby("year").payment_musd.sum().to_dict() if len(payments) else {}
    share = data.links["importer_share"]
    span = represented_years(data, end_year)

    def expression(c: str, y: int) -> float:
        return arrays.value(getattr(m, f"cost_{c}")[y])

    def links(y: int) -> float:
        return sum(share[lk] * (data.assets.at[lk, "annuity_musd_per_year"] + data.assets.at[lk, "fixed_om_musd_per_year"])
                   * online(m, data, lk, y) for lk in data.links.index)

    rows = []
    for view, components in VIEWS.items():
        for y in data.years:
            for c in components:
                annual = paid.get(y, 0.0) if c == "payments" else links(y) if c == "links" else expression(c, y)
                rows.append(dict(year=y, component=c, undiscounted_musd=annual,
                                 discounted_musd=annual * data.weight[y], view=view,
                                 in_objective=view == data.perspective, represents_years=span[y]))
    return pd.DataFrame(rows, columns=["year", "component", "undiscounted_musd", "discounted_musd", "view",
                                       "in_objective", "represents_years"])


def tariffs_table(m, data: ModelData, energy: dict[tuple[str, int], float] | None = None,
                  flip: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per project: its tariffs at the border (USD/MWh).

    tariff_usd_per_mwh       the tariff offered (blank when the scenario gives none)
    tested_tariff_usd_per_mwh the tariff tested against the ceiling and paid by the importer: the
                             offer, else the break-even tariff
    break_even_tariff        at the energy it can deliver (expected_energy_gwh; finance.break_even_tariff)
    break_even_at_dispatch   at the energy the plan dispatches (mean GWh a year over the modelled
                             years it is online), blank when not built
    headroom                 ceiling - break_even (negative: the ceiling is below its cost)
    flip_tariff              the tariff at which the importer's plan changes its decision on the
                             candidate (flip.py), blank unless computed
    """
    energy = energy if energy is not None else project_energy_gwh(m, data)
    pr, assets = data.projects, data.assets
    first_build: dict[str, int] = {}
    for a, y in m.build_index:
        if _v(m.build[a, y]) > 1e-6 and a not in first_build:
            first_build[a] = y
    rows = []
    for p in pr.index:
        status = assets.at[p, "status"]
        build_year = first_build.get(p) if status == "candidate" else assets.at[p, "online_year"]
        years_on = [y for y in data.years if online(m, data, p, y) > TOL]
        dispatched = float(np.mean([energy.get((p, y), 0.0) / online(m, data, p, y) for y in years_on])) \
            if years_on else math.nan
        be, ceiling = pr.at[p, "break_even_tariff_usd_per_mwh"], pr.at[p, "ceiling_usd_per_mwh"]
        offered = pr.at[p, "offered_tariff_usd_per_mwh"]
        at_dispatch = math.nan
        if years_on and dispatched > TOL and not math.isnan(be):
            # the same annual cost spread over the energy the plan takes (per MW online)
            fixed = (be - pr.at[p, "energy_cost_usd_per_mwh"]) * pr.at[p, "expected_energy_gwh"]
            at_dispatch = fixed / dispatched + pr.at[p, "energy_cost_usd_per_mwh"]
        rows.append(dict(
            project=p, technology=pr.at[p, "technology"], status=status,
            build_year=None if build_year is None or pd.isna(build_year) else int(build_year),
            expected_energy_gwh=pr.at[p, "expected_energy_gwh"], dispatched_gwh=dispatched,
            tariff_usd_per_mwh=offered, ceiling_usd_per_mwh=ceiling,
            break_even_tariff_usd_per_mwh=be, headroom_usd_per_mwh=(ceiling - be) if ceiling is not None
            and not pd.isna(ceiling) else math.nan,
            flip_tariff_usd_per_mwh=(flip or {}).get(p, math.nan),
            tested_tariff_usd_per_mwh=pr.at[p, "tariff_usd_per_mwh"],
            break_even_at_dispatch_usd_per_mwh=at_dispatch,
            excluded_by_ceiling=p in data.excluded_by_tariff,
            ppa_years=int(pr.at[p, "ppa_years"]), take_or_pay_share=pr.at[p, "take_or_pay_share"],
            contract=pr.at[p, "contract"], tariff_escalation_per_year=pr.at[p, "tariff_escalation_per_year"],
            construction_years=int(pr.at[p, "construction_years"]), royalty_share=pr.at[p, "royalty_share"]))
    frame = pd.DataFrame(rows, columns=[
        "project", "technology", "status", "build_year", "expected_energy_gwh", "tariff_usd_per_mwh",
        "ceiling_usd_per_mwh", "break_even_tariff_usd_per_mwh", "headroom_usd_per_mwh", "flip_tariff_usd_per_mwh",
        "tested_tariff_usd_per_mwh", "excluded_by_ceiling", "dispatched_gwh", "break_even_at_dispatch_usd_per_mwh",
        "ppa_years", "take_or_pay_share", "contract", "tariff_escalation_per_year", "construction_years",
        "royalty_share"])
    frame["build_year"] = frame["build_year"].astype("Int64")
    return frame.sort_values("project").reset_index(drop=True)


def views_summary(costs: pd.DataFrame, payments: pd.DataFrame, data: ModelData) -> dict:
    """NPV of each view and of the rent (MUSD), for summary.json."""
    npv = costs.groupby("view").discounted_musd.sum().to_dict()
    rent = float((payments.rent_musd * payments.year.map(data.weight)).sum()) if len(payments) else 0.0
    return {"perspective": data.perspective, "system_cost_musd": float(npv.get("system", 0.0)),
            "importer_cost_musd": float(npv.get("importer", 0.0)), "rent_musd": rent}
