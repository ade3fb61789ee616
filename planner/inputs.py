"""The pipeline's first stages (run.py): ``load`` (the scenario's files read and validated) and
``data`` (its ModelData), without the modelling or solving libraries, so ``planner validate`` does
not load them."""

from __future__ import annotations

from pathlib import Path

from .data import ModelData, build_model_data
from .scenario import LoadedScenario, load_scenario
from .scenario.errors import ScenarioError
from .timings import Timings


def load(path: str | Path, sets: tuple[str, ...] = (), timings: Timings | None = None) -> LoadedScenario:
    """Stage ``load``: the scenario's files read and validated. Raises ScenarioError on bad input."""
    with (timings if timings is not None else Timings())("load"):
        return load_scenario(path, sets)


def model_data(loaded: LoadedScenario) -> ModelData:
    """Stage ``data``: the model's data of a loaded scenario; a ScenarioError names the --set
    value behind a mistake where one is."""
    try:
        return build_model_data(loaded.scenario, str(loaded.path))
    except ScenarioError as exc:
        raise loaded.blame_sets(exc) from None


def validated(loaded: LoadedScenario) -> ModelData:
    """``planner validate``: the data stage, and every future's data when the scenario has
    several, without building or solving. Raises ScenarioError on bad input."""
    data = model_data(loaded)
    if loaded.scenario.uncertainty is not None:
        from .stochastic import futures_of

        try:
            futures_of(loaded)
        except ScenarioError as exc:
            raise loaded.blame_sets(exc) from None
    return data
