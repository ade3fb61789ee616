"""Reading the solved model: values of variables and the online and operating fractions of
assets, for the table builders (results.py, payers.py). No I/O, no solving."""

from __future__ import annotations

from .data import ModelData


def value(var) -> float:
    """A variable's value (0 for one the solver never saw)."""
    v = var.value
    return 0.0 if v is None else float(v)


def online(m, data: ModelData, a: str, y: int) -> float:
    """Online fraction of an asset in the solved plan."""
    if (a, y) in m.online_index:
        return value(m.online[a, y])
    return data.fixed_online.get((a, y), 0.0)


def operating(m, data: ModelData, a: str, y: int) -> float:
    """What the asset may run in y: its online fraction, or less for an existing/committed asset
    whose requirement does not run (``formulation.investment.operating_fraction``)."""
    if (a, y) in m.operating_index:
        return value(m.operating[a, y])
    if (a, y) in data.fixed_operating:
        return data.fixed_operating[(a, y)]
    return online(m, data, a, y)
