"""Scenario input: YAML and tables -> validated, frozen Scenario (SPEC §2)."""

from .errors import Problem, ScenarioError
from .loader import LoadedScenario, load_scenario
from .schema import Scenario

__all__ = ["LoadedScenario", "Problem", "Scenario", "ScenarioError", "load_scenario"]
