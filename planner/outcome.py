"""What one run returns (``Run``: run.py's pipeline, and the stochastic run of several futures) and
the one line that says how HiGHS ended. Below both, so neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .data import ModelData
from .scenario import LoadedScenario
from .solve import SolveResult


@dataclass
class Run:
    loaded: LoadedScenario
    data: ModelData
    result: SolveResult
    tables: dict[str, pd.DataFrame]
    summary: dict
    diagnosis: pd.DataFrame | None = None  # strict targets that cannot be met, when infeasible
    futures: list | None = None  # several futures (SPEC §3.4): stochastic.FutureData of each
    #: seconds per pipeline stage (summary.json's ``timings``, docs/outputs.md)
    timings: dict = field(default_factory=dict)


def solver_message(result: SolveResult) -> str:
    """One line: HiGHS's model status, then its warnings (also listed in ``warnings``)."""
    return "; ".join([f"HiGHS: {result.message}" if result.message else "", *result.warnings]).strip("; ")
