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


def least_resource_cost(model, data: ModelData, result: SolveResult, settings: SolverSettings) -> None:
    """The importer pays for energy, not capacity: plants it signs and never buys from cost it
    nothing, so its least-cost plan is not unique. Second stage (lexicographic): keep the importer's
    cost at its optimum and minimise the resource cost (VIEWS['system']), so nothing is built that
    the importer's plan does not need. The values are the second stage's, the duals the first's
    (the importer's prices); the objective stays the importer's cost. ``result`` is updated: its
    objective, and the second solve's seconds and warnings added."""
    from .formulation import arrays
    from .formulation.objective import VIEWS, total_cost

    bound = result.objective_musd
    cap = arrays.ArrayRows.from_linears("importer_cost_cap", [None], [model.total_cost.expr], arrays.LE,
                                        [bound + 1e-9 * max(1.0, abs(bound))])
    arrays.add_rows(model, cap)
    model.total_cost.deactivate()
    arrays.add_objective(model, "resource_cost", total_cost(model, data, VIEWS["system"]))
    second = solve_model(model, dataclasses.replace(settings, log=None), want_duals=False)
    if second.status in ("optimal", "feasible"):
        result.objective_musd = model.total_cost.expr.value()
        result.solve_seconds += second.solve_seconds
        result.handoff_seconds += second.handoff_seconds
        result.warnings = list(dict.fromkeys(result.warnings + second.warnings))
    model.resource_cost.deactivate()
    model.total_cost.activate()
