"""The owner of the maths: ``build_model(data)`` adds every family of SPEC §3 in one ordered list.

Each family is one function ``add_<family>(m, data)`` whose docstring holds its equation; the
constraint component carries the family's name, so a solver log, the module and the equation lead
to each other.
"""

from __future__ import annotations

import pyomo.core as pyo  # the modelling components only: pyomo.environ would load every solver plugin (0.4 s)

from ..data import ModelData
from ..gcpause import paused_gc
from . import blocks, investment, limits, network, objective, operation, storage, targets

FAMILIES = (
    # variables
    investment.add_build_variables,
    operation.add_generation_variables,
    network.add_network_variables,
    targets.add_shortfall_variables,
    blocks.add_block_variables,
    storage.add_storage_variables,
    # 7. build logic
    investment.add_online_definition,
    investment.add_build_once,
    blocks.add_min_block,
    blocks.add_unit_size,
    investment.add_requires,
    investment.add_excludes,
    # 1-2. operation
    operation.add_availability,
    operation.add_energy_limit,
    operation.add_season_energy_budget,
    storage.add_storage_limits,
    storage.add_storage_balance,
    # 3-4. network
    network.add_node_balance,
    network.add_link_capacity,
    # 5-6. targets
    targets.add_energy_target,
    targets.add_capacity_target,
    targets.add_contracted_capacity_target,
    targets.add_firm_target,
    # 8. limits (CO2 price is in the objective)
    limits.add_max_new_capacity,
    limits.add_capex_budget,
    limits.add_tariff_ceiling,
    limits.add_scope_import_limit,
    # objective
    objective.add_cost_components,
    objective.add_objective,
)


@paused_gc
def build_model(data: ModelData) -> pyo.ConcreteModel:
    """Build the Pyomo model of one scenario (the garbage collector paused: gcpause.py)."""
    m = pyo.ConcreteModel(name=data.name)
    for add in FAMILIES:
        add(m, data)
    return m
