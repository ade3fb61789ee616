"""The importer's second stage (SPEC §3.2, docs/formulation.md): among the importer's least-cost
plans, the one of least resource cost.

An analysis of run.py's pipeline (after the solve, in the importer's perspective); also used by
the stochastic run for each future's own optimum. It re-solves the model it is given and imports
nothing above it.
"""

from __future__ import annotations

import dataclasses

from .data import ModelData
from .solve import SolveResult, SolverSettings, solve_model


#: HiGHS options of a lexicographic second stage (the first stage's optimum held by a row): HiGHS's
#: restarts of the root (re-presolving after its cuts and fixings) are what such a MIP spends its
#: time on, and it closes at the root anyway. Measured on scenarios/base/importer_view.yaml's second
#: stage (one node either way, the same optimum): 3.2 / 4.1 s with restarts, 2.0 / 2.0 s without
#: (the Pyomo-built model); 11.6 s against 4.1 s (the array model, under load). A user's own
#: highs_options take precedence.
SECOND_STAGE_OPTIONS = {"mip_allow_restart": False}


def second_stage_settings(settings: SolverSettings) -> SolverSettings:
    """The settings of a lexicographic second stage: silent, SECOND_STAGE_OPTIONS unless the user
    set them."""
    return dataclasses.replace(settings, log=None, options={**SECOND_STAGE_OPTIONS, **settings.options})


def hold_at_optimum(model, name: str, expr, bound: float) -> None:
    """A lexicographic stage's row ``expr <= bound + 1e-9 max(1, |bound|)``: the earlier stage's
    optimum held (to 1e-9 relative) while the next objective is minimised."""
    from .formulation import arrays

    arrays.add_rows(model, arrays.ArrayRows.from_linears(name, [None], [expr], arrays.LE,
                                                         [bound + 1e-9 * max(1.0, abs(bound))]))


def least_resource_cost(model, data: ModelData, result: SolveResult, settings: SolverSettings,
                        start: bool = True) -> None:
    """The importer pays for energy, not capacity: plants it signs and never buys from cost it
    nothing, so its least-cost plan is not unique. Second stage (lexicographic): keep the importer's
    cost at its optimum and minimise the resource cost (VIEWS['system']), so nothing is built that
    the importer's plan does not need. It starts from the first stage's plan (feasible here: its
    cost is the bound), so HiGHS has an incumbent before its root. The values are the second stage's, the duals the first's
    (the importer's prices); the objective stays the importer's cost. ``result`` is updated: its
    objective, and the second solve's seconds and warnings added (``start`` False: a cold second
    stage, for benchmarks/second_stage.py)."""
    from .formulation import arrays
    from .formulation.objective import VIEWS, total_cost

    hold_at_optimum(model, "importer_cost_cap", model.total_cost.expr, result.objective_musd)
    model.total_cost.deactivate()
    arrays.add_objective(model, "resource_cost", total_cost(model, data, VIEWS["system"]))
    second = solve_model(model, second_stage_settings(settings), want_duals=False, start=start)
    if second.status in ("optimal", "feasible"):
        result.objective_musd = model.total_cost.expr.value()
        result.solve_seconds += second.solve_seconds
        result.handoff_seconds += second.handoff_seconds
        result.warnings = list(dict.fromkeys(result.warnings + second.warnings))
    model.resource_cost.deactivate()
    model.total_cost.activate()
