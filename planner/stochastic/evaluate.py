"""One future's solves (stochastic/run.py's steps 1 and 3; progressive hedging's exact evaluation,
ph.py): its own optimum, and a plan held fixed in it. Below both run.py and ph.py."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..data import ModelData
from ..results import builds_table, result_tables
from ..solve import SolverSettings, solve_model
from .extensive import fix_plan, plan_of, scenario_model

OK = ("optimal", "feasible")


@dataclasses.dataclass
class Evaluation:
    """A plan held fixed in one future: its status, cost (MUSD) and, when asked, its tables."""

    status: str
    cost_musd: float | None
    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    result: object = None


def own_optimum(data: ModelData, settings: SolverSettings) -> tuple[str, float | None, dict, pd.DataFrame]:
    """A future's own optimum: (status, cost, plan, builds table); the importer's view with its
    lexicographic second stage (least resource cost among its least-cost plans), as ``planner solve``."""
    from ..second_stage import least_resource_cost

    m = scenario_model(data)
    importer = data.perspective == "importer"
    r = solve_model(m, settings, want_duals=False, release=not importer)
    if r.status not in OK:
        return r.status, None, {}, pd.DataFrame()
    if importer:
        least_resource_cost(m, data, r, settings)
    return r.status, r.objective_musd, plan_of(m), builds_table(m, data)


def evaluate(data: ModelData, plan: dict, settings: SolverSettings, tables: bool = False,
             want_duals: bool = True, import_costs: bool | None = None) -> Evaluation:
    """The plan's builds fixed in one future, its operation optimised: an LP."""
    from ..measures import import_questions

    m = scenario_model(data)
    fix_plan(m, plan)
    r = solve_model(m, settings, want_duals=tables and want_duals, release=not tables,
                    questions=import_questions(data, import_costs) if tables and want_duals else None)
    if r.status not in OK:
        return Evaluation(r.status, None, result=r)
    return Evaluation(r.status, r.objective_musd, result_tables(m, data, r) if tables else {}, r)
