"""The two-stage stochastic program in extensive form (SPEC §3.4), and the seam for other methods.

First stage (``FIRST_STAGE``): the build decisions ``build[a,y]`` and the integer block and unit
choices of zones (``block_on``, ``units``); everything derived from them (online fractions, the
build-once, requires/excludes and build-logic rows, the limits on building) follows identically in
every future. Second stage, one copy per future: generation, flows, storage, imports, shortfalls.

``scenario_model(data)`` is one future's whole Pyomo model (``formulation.build_model``: every
family, its own objective ``total_cost``), so a decomposition method (progressive hedging on
mpi-sppy) can take it as its scenario creator with ``FIRST_STAGE`` as the non-anticipative
variables. ``extensive_form`` puts one such model per future in a block ``future[f]``, adds the
shared first stage ``m.build`` (and ``m.block_on``, ``m.units``) with non-anticipativity rows

    nonanticipativity[f, v, i]:   future[f].v[i] = v[i]      for v in FIRST_STAGE, every index i

(the blocks' copies are made continuous: the shared variable carries the integrality), deactivates
the blocks' objectives, and minimises the risk measure over C_f = future[f].total_cost:

    expected:  min  sum_f p_f C_f
    cvar:      min  (1 - w) sum_f p_f C_f + w (eta + 1/(1 - alpha) sum_f p_f u_f),
               u_f >= C_f - eta, u_f >= 0        (Rockafellar-Uryasev: eta is the VaR_alpha)
    regret:    min  r,  r >= C_f - z_f           (z_f: future f's own optimum, solved first)
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData
from ..formulation import FAMILIES, arrays, build_model
from ..formulation.arrays import Linear
from ..gcpause import paused_gc

#: the first-stage (here-and-now) variables, shared by every future
FIRST_STAGE = ("build", "block_on", "units")


def scenario_model(data: ModelData) -> pyo.ConcreteModel:
    """One future's whole model (every family; objective ``total_cost``): the scenario creator."""
    return build_model(data)


def _add_families(block, data: ModelData) -> None:
    for add in FAMILIES:
        add(block, data)


def cost_of(block) -> Linear:
    """A future's cost C_f (MUSD, NPV): its own objective's expression (a Linear over its arrays)."""
    return block.total_cost.expr


@paused_gc
def extensive_form(futures: list, measure: str = "expected", alpha: float = 0.9, weight: float = 1.0,
                   own_optimum: dict[str, float] | None = None) -> pyo.ConcreteModel:
    """The extensive form over ``futures`` (objects with ``id``, ``probability``, ``data``)."""
    m = pyo.ConcreteModel(name="extensive_form")
    ids = [f.id for f in futures]
    m.futures = pyo.Set(initialize=ids, ordered=True)
    m.future = pyo.Block(m.futures)
    for f in futures:
        _add_families(m.future[f.id], f.data)
        m.future[f.id].total_cost.deactivate()
    first = m.future[ids[0]]
    links = []
    for name in FIRST_STAGE:
        template = getattr(first, name)
        index = template.index_set()
        setattr(m, f"{name}_index", pyo.Set(dimen=index.dimen, initialize=list(index), ordered=True))
        shared = pyo.Var(getattr(m, f"{name}_index"), dense=True)
        setattr(m, name, shared)
        for i in template:
            v = template[i]
            shared[i].domain = v.domain
            shared[i].setlb(v.lb)
            shared[i].setub(v.ub)
        for f in ids:
            copy = getattr(m.future[f], name)
            for i in copy:
                v = copy[i]
                lb, ub = v.lb, v.ub
                v.domain = pyo.Reals  # integrality is the shared variable's; the bounds are kept
                v.setlb(lb)
                v.setub(ub)
                links.append((f, name, i))

    def nonanticipativity_rule(m, k):
        f, name, i = links[k]
        return getattr(m.future[f], name)[i] == getattr(m, name)[i]

    m.nonanticipativity = pyo.Constraint(range(len(links)), rule=nonanticipativity_rule)
    p = {f.id: f.probability for f in futures}
    expected = Linear()
    for f in ids:
        expected = expected + p[f] * cost_of(m.future[f])
    if measure == "expected":
        arrays.add_objective(m, "risk", expected)
    elif measure == "cvar":
        m.var_eta = pyo.Var(domain=pyo.Reals)  # VaR_alpha at the optimum (MUSD)
        m.tail_excess = pyo.Var(m.futures, domain=pyo.NonNegativeReals)
        # tail_excess[f] - C_f + eta >= 0
        tails = [Linear.pyomo([(m.tail_excess[f], 1.0), (m.var_eta, 1.0)]) - cost_of(m.future[f]) for f in ids]
        arrays.add_rows(m, arrays.ArrayRows.from_linears("cvar_tail", ids, tails, arrays.GE, 0.0))
        cvar = Linear.pyomo([(m.var_eta, 1.0)] + [(m.tail_excess[f], p[f] / (1.0 - alpha)) for f in ids])
        m.__dict__["cvar"] = arrays.Expression(cvar)
        arrays.add_objective(m, "risk", (1.0 - weight) * expected + weight * cvar)
    elif measure == "regret":
        if own_optimum is None:
            raise ValueError("regret needs each future's own optimum")
        m.max_regret = pyo.Var(domain=pyo.Reals)
        # C_f - max_regret <= z_f
        regrets = [cost_of(m.future[f]) - Linear.pyomo([(m.max_regret, 1.0)]) for f in ids]
        arrays.add_rows(m, arrays.ArrayRows.from_linears("regret", ids, regrets, arrays.LE,
                                                         [own_optimum[f] for f in ids]))
        arrays.add_objective(m, "risk", Linear.pyomo([(m.max_regret, 1.0)]))
    else:
        raise ValueError(f"unknown risk measure {measure!r}")
    m.__dict__["expected_cost"] = arrays.Expression(expected)
    return m


def plan_of(m) -> dict[tuple[str, object], float]:
    """The first-stage values of a solved model (the shared variables of an extensive form, or a
    single future's own): (variable name, index) -> value, integers rounded."""
    out = {}
    for name in FIRST_STAGE:
        var = getattr(m, name)
        for i in var:
            v = var[i]
            value = v.value if v.value is not None else 0.0
            out[(name, i)] = float(round(value)) if v.is_integer() else float(value)
    return out


def fix_plan(m, plan: dict[tuple[str, object], float]) -> None:
    """Hold a single future's model to a plan: each first-stage variable continuous, its bounds
    both at the plan's value (so the model is an LP: the second stage alone)."""
    for (name, i), value in plan.items():
        v = getattr(m, name)[i]
        v.domain = pyo.Reals
        v.setlb(value)
        v.setub(value)
