"""Block and unit sizes of ``up_to`` zones (SPEC §3 family 7, build logic): a zone is built in
blocks a developer would really build, not in slivers.

For a candidate zone a with ``min_block_mw`` or ``unit_mw`` and each modelled year y of its build
window, ``build[a,y]`` (its fraction of capacity_mw added in y) is tied to an integer variable:
``block_on[a,y]`` (0/1: something is added in y) or ``units[a,y]`` (how many units are added). Under
``build: continuous`` these are continuous, so the relaxation relaxes the blocks too.
"""

from __future__ import annotations

import pyomo.core as pyo

from ..data import ModelData


def _index(data: ModelData, column: str) -> list[tuple[str, int]]:
    """(a, y) in build_years for the assets that give ``column``."""
    given = data.assets[column].notna().to_dict()  # a dict: no pandas lookup per (a, y)
    return [(a, y) for a, y in data.build_years if given[a]]


def add_block_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    """block_on[a,y] in {0,1} for zones with min_block_mw; units[a,y] in {0,1,2,...} for zones with
    unit_mw ([0,1] and >= 0 reals under ``build: continuous``), for (a,y) in build_years."""
    integer = data.build_mode == "integer"
    m.block_index = pyo.Set(dimen=2, initialize=_index(data, "min_block_mw"), ordered=True)
    m.block_on = pyo.Var(m.block_index, domain=pyo.Binary if integer else pyo.UnitInterval)
    m.unit_index = pyo.Set(dimen=2, initialize=_index(data, "unit_mw"), ordered=True)
    m.units = pyo.Var(m.unit_index, domain=pyo.NonNegativeIntegers if integer else pyo.NonNegativeReals)


def add_min_block(m: pyo.ConcreteModel, data: ModelData) -> None:
    """min_block_mw[a] * block_on[a,y] <= capacity_mw[a] * build[a,y] <= capacity_mw[a] * block_on[a,y]

    for (a,y) in block_index: an addition is either nothing or at least the zone's minimum block.
    """
    cap, block = data.assets["capacity_mw"], data.assets["min_block_mw"]

    def min_block_rule(m, a, y, side):
        added = cap[a] * m.build[a, y]
        if side == "lower":
            return float(block[a]) * m.block_on[a, y] <= added
        return added <= cap[a] * m.block_on[a, y]

    index = [(a, y, side) for a, y in m.block_index for side in ("lower", "upper")]
    m.min_block = pyo.Constraint(pyo.Set(dimen=3, initialize=index, ordered=True), rule=min_block_rule)


def add_unit_size(m: pyo.ConcreteModel, data: ModelData) -> None:
    """capacity_mw[a] * build[a,y] = unit_mw[a] * units[a,y]   for (a,y) in unit_index

    An addition is a whole number of units (turbines, generating units, circuits).
    """
    cap = data.assets["capacity_mw"]

    def unit_size_rule(m, a, y):
        return cap[a] * m.build[a, y] == float(data.assets.at[a, "unit_mw"]) * m.units[a, y]

    m.unit_size = pyo.Constraint(m.unit_index, rule=unit_size_rule)
