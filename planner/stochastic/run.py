"""One plan for several futures, end to end (SPEC §3.4): what ``planner solve`` runs for a scenario
with an ``uncertainty`` block.

1. Each future's own optimum (its plan as if it were known: the "wait and see" plans): EVPI, the
   no-regret/hedge table and, for minimax regret, the regret of each future.
2. The stochastic plan: the extensive form (``extensive.py``) with HiGHS, under the risk measure.
   Minimax regret is lexicographic: the least maximum regret, then, among the plans that reach it,
   the least expected cost.
3. The plan evaluated in every future (its builds fixed, each future's operation optimised: the
   second stage of each future, which separates once the builds are fixed): every result table of
   SPEC §4 per future, with a ``scenario`` column, and its cost.
4. The average-year plan (``futures._average_year``) evaluated in every future: the value of the
   stochastic solution, VSS = E[cost of the average-year plan] - E[cost of the stochastic plan];
   EVPI = E[cost of the stochastic plan] - sum_f p_f x (future f's own optimum).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import pandas as pd
import pyomo.core as pyo

from .. import interrupt, payers
from ..data import hydro_plants
from ..formulation import arrays
from ..second_stage import hold_at_optimum, second_stage_settings
from ..scenario import LoadedScenario
from ..scenario.errors import Problem, ScenarioError
from ..solve import SolverSettings, check_highs_options, solve_model, versions
from .evaluate import OK, Evaluation, evaluate, own_optimum
from .extensive import extensive_form, plan_of
from .futures import FutureData, futures_of

#: tables that hold the plan itself (the same in every future): no scenario column
PLAN_TABLES = ("builds", "capacity")
BUILT_MW = 1e-6


def _settings(scenario, log=None) -> SolverSettings:
    solver = scenario.options.solver
    return SolverSettings(solver.time_limit_s, solver.mip_gap, solver.threads, log, solver.method, solver.highs())


def cvar(costs: list[float], probabilities: list[float], alpha: float) -> tuple[float, float]:
    """(CVaR_alpha, VaR_alpha) of a discrete cost distribution: min over eta of
    eta + sum_f p_f max(0, C_f - eta) / (1 - alpha), the minimum being at one of the costs."""
    best = None
    for eta in costs:
        value = eta + sum(p * max(0.0, c - eta) for c, p in zip(costs, probabilities)) / (1.0 - alpha)
        if best is None or value < best[0] - 1e-12:
            best = (value, eta)
    return best


def run_uncertain(loaded: LoadedScenario, log: Callable[[str], None] | None = None,
                  stage: Callable[[str], None] | None = None, flip: bool | None = None):
    """Build, solve and tabulate a scenario with futures; returns a ``run.Run``. Flip tariffs are
    not searched here (a warning says so when they are asked)."""
    from ..outcome import Run, solver_message

    stage = stage or (lambda _s: None)
    scenario, unc = loaded.scenario, loaded.scenario.uncertainty
    file = str(loaded.path)
    if unc.method == "progressive_hedging":
        from .ph import check_ph

        check_ph(unc, file)
    settings = _settings(scenario, log)
    bad = check_highs_options(settings.options)
    if bad:
        raise ScenarioError([Problem(file, f"options.solver.highs_options.{name}", why) for name, why in bad])
    quiet = dataclasses.replace(settings, log=None)
    stage("reading the futures")
    futures, average = futures_of(loaded)
    risk = unc.risk
    summary = {"scenario": scenario.name, "importing_country": scenario.options.importing_country,
               "status": "error", "objective_musd": None, "mip_gap": None,
               "risk_measure": risk.measure, "method": unc.method, "futures": [f.id for f in futures],
               "solver": "highs", "versions": versions(), "input_sha256": loaded.input_sha256,
               # the plants a hydrology factor scales (data.hydro_plants): the "hydro" of every future table
               "hydro_plants": sorted(p.id for p in hydro_plants(scenario))}

    # 1. each future's own optimum
    own, own_builds = {}, {}
    t_own = time.perf_counter()
    for f in futures:
        interrupt.check()
        stage(f"solving future '{f.id}' on its own (its own optimum)")
        status, cost, _plan, builds = own_optimum(f.data, quiet)
        if status not in OK:
            summary.update(status=status, message=f"future '{f.id}' has no feasible plan of its own ({status}): "
                                                  f"no plan can serve every future", warnings=[])
            return Run(loaded, futures[0].data, _stub(status), {}, summary)
        own[f.id], own_builds[f.id] = cost, builds
    own_seconds = time.perf_counter() - t_own

    # 2. the stochastic plan
    interrupt.check()
    if unc.method == "progressive_hedging":
        from .ph import plan_by_ph

        stage(f"progressive hedging on {unc.ph.ranks} rank(s) ({len(futures)} futures)")
        result, plan, ph_summary = plan_by_ph(futures, unc.ph, settings, quiet)
        summary.update(ph_summary)
        summary.update(status=result.status, mip_gap=result.mip_gap, solve_seconds=round(result.solve_seconds, 4),
                       own_optima_seconds=round(own_seconds, 4), build_mode=futures[0].data.build_mode,
                       excluded_by_tariff=futures[0].data.excluded_by_tariff, message=result.message,
                       warnings=list(result.warnings))
        if result.status not in OK:
            return Run(loaded, futures[0].data, result, {}, summary)
        summary["objective_musd"] = result.objective_musd
        return _after_plan(loaded, futures, average, plan, own, own_builds, result, summary, quiet, stage, flip)
    stage(f"building the extensive form ({len(futures)} futures)")
    t0 = time.perf_counter()
    ef = extensive_form(futures, risk.measure, risk.alpha, risk.weight, own)
    build_seconds = time.perf_counter() - t0
    stage("solving the extensive form with HiGHS")
    result = solve_model(ef, settings, want_duals=False)
    if result.status in OK and risk.measure == "regret":
        stage("among the plans of least maximum regret, the one of least expected cost")
        _least_expected_cost(ef, result, quiet)
    if result.status in OK and futures[0].data.perspective == "importer":
        stage("among the importer's least-cost plans, the one of least expected resource cost")
        _least_resource_cost(ef, futures, result, quiet)
    summary.update(status=result.status, mip_gap=result.mip_gap, build_seconds=round(build_seconds, 4),
                   handoff_seconds=round(result.handoff_seconds, 4), solve_seconds=round(result.solve_seconds, 4),
                   own_optima_seconds=round(own_seconds, 4), n_variables=result.n_variables,
                   n_constraints=result.n_constraints, build_mode=futures[0].data.build_mode,
                   excluded_by_tariff=futures[0].data.excluded_by_tariff, message=solver_message(result),
                   warnings=list(result.warnings), objective_scale=result.objective_scale,
                   coefficient_ranges=result.coefficient_ranges)
    if result.status not in OK:
        if result.status == "infeasible":
            summary["message"] = ("no one plan serves every future (each has a plan of its own): the futures' "
                                  "must-hold targets or relations contradict each other under shared builds")
        return Run(loaded, futures[0].data, result, {}, summary)
    plan = plan_of(ef)
    summary["objective_musd"] = result.objective_musd
    return _after_plan(loaded, futures, average, plan, own, own_builds, result, summary, quiet, stage, flip)


def _after_plan(loaded: LoadedScenario, futures: list[FutureData], average: FutureData, plan: dict,
                own: dict, own_builds: dict, result, summary: dict, quiet: SolverSettings, stage,
                flip: bool | None = None):
    """Steps 3 and 4 for a plan (the extensive form's or progressive hedging's)."""
    from ..outcome import Run

    scenario = loaded.scenario
    risk = scenario.uncertainty.risk
    p = {f.id: f.probability for f in futures}

    # 3. the plan in every future
    solver = scenario.options.solver
    evaluations = {}
    t_eval = time.perf_counter()
    for f in futures:
        interrupt.check()
        stage(f"the plan in future '{f.id}'")
        ev = evaluate(f.data, plan, quiet, tables=True, want_duals=solver.marginal_values,
                      import_costs=solver.import_costs)
        if ev.status not in OK:  # cannot happen for a plan the extensive form found feasible
            summary.update(status="error", message=f"the plan has no solution in future '{f.id}' ({ev.status})")
            return Run(loaded, f.data, result, {}, summary)
        evaluations[f.id] = ev

    # 4. the average-year plan in every future
    stage("the average-year plan, and its cost in every future")
    avg_status, _avg_cost, avg_plan, _ = own_optimum(average.data, quiet)
    avg_costs = {}
    if avg_status in OK:
        for f in futures:
            interrupt.check()
            ev = evaluate(f.data, avg_plan, quiet)
            avg_costs[f.id] = ev.cost_musd

    summary["evaluation_seconds"] = round(time.perf_counter() - t_eval, 4)
    tables = _tables(futures, evaluations, own, avg_costs, own_builds)
    if scenario.time.aggregation_error:  # hourly profiles aggregated to representative periods
        tables["aggregation"] = pd.DataFrame(scenario.time.aggregation_error)
    if flip if flip is not None else scenario.options.flip_tariffs:
        summary["warnings"].append("flip tariffs are not searched for a plan of several futures "
                                   "(tariffs.csv's flip_tariff_usd_per_mwh is blank)")
    costs = [evaluations[f.id].cost_musd for f in futures]
    probs = [f.probability for f in futures]
    expected = sum(p[f.id] * evaluations[f.id].cost_musd for f in futures)
    wait_and_see = sum(p[f] * own[f] for f in own)
    c, var = cvar(costs, probs, risk.alpha)
    summary.update({
        "expected_cost_musd": expected,
        "wait_and_see_musd": wait_and_see,
        "evpi_musd": expected - wait_and_see,
        "average_year_plan_expected_cost_musd": (sum(p[f] * v for f, v in avg_costs.items())
                                                 if avg_costs and None not in avg_costs.values() else None),
        "cvar_musd": c, "var_musd": var, "cvar_alpha": risk.alpha,
        "max_regret_musd": max(evaluations[f].cost_musd - own[f] for f in own),
    })
    eev = summary["average_year_plan_expected_cost_musd"]
    summary["vss_musd"] = eev - expected if eev is not None else None
    if eev is None:
        summary["warnings"].append("the average-year plan cannot serve every future (a must-hold target, or no "
                                   "solution of its own): the value of the stochastic solution is unbounded")
    summary["risk_value_musd"] = {"expected": expected, "cvar": (1 - risk.weight) * expected + risk.weight * c,
                                  "regret": summary["max_regret_musd"]}[risk.measure]
    if risk.measure == "cvar":
        summary["cvar_weight"] = risk.weight
    first = evaluations[futures[0].id].tables
    summary.update(payers.views_summary(tables["costs"][tables["costs"].scenario == futures[0].id].drop(
        columns="scenario"), first["payments"], futures[0].data))
    for key in ("system_cost_musd", "importer_cost_musd", "rent_musd"):  # expected over the futures
        summary[key] = sum(p[f.id] * payers.views_summary(
            evaluations[f.id].tables["costs"], evaluations[f.id].tables["payments"], f.data)[key] for f in futures)
    scen = tables["scenarios"]
    summary["energy_shortfall_gwh"] = float((scen.energy_shortfall_gwh * scen.probability).sum())
    summary["contracted_shortfall_mw"] = float((scen.contracted_shortfall_mw * scen.probability).sum())
    return Run(loaded, futures[0].data, result, tables, summary, futures=futures)


def _stub(status: str):
    from ..solve import SolveResult

    return SolveResult(status=status)


def _least_expected_cost(ef, result, settings: SolverSettings) -> None:
    """Minimax regret, second stage: hold the maximum regret at its optimum (1e-9 relative, 1e-6
    MUSD absolute) and minimise the expected cost among those plans."""
    bound = float(pyo.value(ef.max_regret))
    ef.max_regret.setub(bound + max(1e-6, 1e-9 * abs(bound)))
    ef.risk.deactivate()
    arrays.add_objective(ef, "second", ef.expected_cost.expr)
    second = solve_model(ef, second_stage_settings(settings), want_duals=False, start=True)
    if second.status in OK:
        result.solve_seconds += second.solve_seconds
        result.handoff_seconds += second.handoff_seconds
        result.objective_musd = bound  # the risk measure's value: the maximum regret
    ef.second.deactivate()
    ef.risk.activate()


def _least_resource_cost(ef, futures: list[FutureData], result, settings: SolverSettings) -> None:
    """The importer pays for energy, not capacity, so its least-cost plan is not unique (run.py's
    ``second_stage.least_resource_cost``): hold the risk measure (and, for regret, the expected cost) at its
    optimum, to 1e-9 relative, and minimise the expected resource cost (VIEWS['system'])."""
    from ..formulation.objective import VIEWS, total_cost

    active = ef.risk
    hold_at_optimum(ef, "importer_cost_cap", active.expr, active.expr.value())
    if hasattr(ef, "max_regret"):  # regret: its second stage's least expected cost is held too
        hold_at_optimum(ef, "expected_cost_cap", ef.expected_cost.expr, ef.expected_cost.expr.value())
    active.deactivate()
    resource = arrays.Linear()
    for f in futures:
        resource = resource + f.probability * total_cost(ef.future[f.id], f.data, VIEWS["system"])
    arrays.add_objective(ef, "resource_cost", resource)
    second = solve_model(ef, second_stage_settings(settings), want_duals=False, start=True)
    if second.status in OK:
        result.solve_seconds += second.solve_seconds
        result.handoff_seconds += second.handoff_seconds
    ef.resource_cost.deactivate()
    active.activate()


def _tables(futures: list[FutureData], evaluations: dict[str, Evaluation], own: dict[str, float],
            avg_costs: dict[str, float | None], own_builds: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    first = evaluations[futures[0].id].tables
    out = {name: first[name] for name in PLAN_TABLES}
    for name in first:
        if name in PLAN_TABLES:
            continue
        parts = []
        for f in futures:
            frame = evaluations[f.id].tables[name].copy()
            frame.insert(0, "scenario", f.id)
            parts.append(frame)
        out[name] = pd.concat(parts, ignore_index=True)
    rows = []
    for f in futures:
        t = evaluations[f.id].tables
        imports, dispatch = t["imports"], t["dispatch"]
        hydro = dispatch[dispatch.project.isin(list(f.factors))]
        importing = imports  # shortfalls are given on the rows of scopes with targets only
        rows.append(dict(
            scenario=f.id, probability=f.probability, hydro_energy_factor=f.mean_factor,
            cost_musd=evaluations[f.id].cost_musd,
            energy_shortfall_gwh=float(importing.energy_shortfall_gwh.fillna(0).sum()),
            contracted_shortfall_mw=float(importing.contracted_shortfall_mw.fillna(0).sum())
            if "contracted_shortfall_mw" in importing else 0.0,
            hydro_energy_gwh=float(hydro.energy_gwh.sum()),
            own_optimum_musd=own[f.id], regret_musd=evaluations[f.id].cost_musd - own[f.id],
            average_year_plan_cost_musd=avg_costs.get(f.id)))
        if "demand" in t:  # SPEC §3.6: the load a future's water leaves unserved
            rows[-1]["unserved_demand_gwh"] = float(t["demand"].unserved_gwh.sum())
    out["scenarios"] = pd.DataFrame(rows)
    out["hedges"] = hedges_table(first["builds"], own_builds, [f.id for f in futures])
    return out


def _built(builds: pd.DataFrame) -> dict[str, tuple[float, list[int]]]:
    """candidate asset -> (MW built, build years) of a builds table."""
    new = builds[(builds.status == "candidate") & (builds.capacity_mw > BUILT_MW)]
    out: dict[str, tuple[float, list[int]]] = {}
    for r in new.itertuples():
        mw, years = out.get(r.asset, (0.0, []))
        out[r.asset] = (mw + float(r.capacity_mw), years + [int(r.build_year)])
    return out


def hedges_table(stochastic: pd.DataFrame, own_builds: dict[str, pd.DataFrame], ids: list[str]) -> pd.DataFrame:
    """Each candidate built in some plan: in the stochastic plan, in every / some single-future plan,
    and its class: no_regret (in the stochastic plan and in every single-future plan), hedge (in the
    stochastic plan, not in every single-future plan), bet (not in the stochastic plan, in some
    single-future plan), never (in none)."""
    plan = _built(stochastic)
    singles = {f: _built(b) for f, b in own_builds.items()}
    assets = sorted(set(plan).union(*(set(s) for s in singles.values())))
    rows = []
    for a in assets:
        in_plan = a in plan
        here = [f for f in ids if a in singles[f]]
        every, some = len(here) == len(ids), bool(here)
        kind = ("no_regret" if every else "hedge") if in_plan else ("bet" if some else "never")
        rows.append(dict(
            asset=a, in_stochastic=in_plan, in_every_single_future_plan=every, in_some_single_future_plan=some,
            **{"class": kind},
            stochastic_mw=plan[a][0] if in_plan else 0.0,
            stochastic_build_year=min(plan[a][1]) if in_plan else None,
            single_future_plans=" ".join(f"{f}:{min(singles[f][a][1])}" for f in here)))
    frame = pd.DataFrame(rows, columns=["asset", "in_stochastic", "in_every_single_future_plan",
                                        "in_some_single_future_plan", "class", "stochastic_mw",
                                        "stochastic_build_year", "single_future_plans"])
    frame["stochastic_build_year"] = frame["stochastic_build_year"].astype("Int64")
    return frame
