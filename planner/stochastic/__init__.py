"""Plans that hold up: one plan for several futures (hydrology years), SPEC §3.4.

- ``futures``: the scenario's ``uncertainty`` block -> one ModelData per future (its ``set`` and
  its water), the average year, and the checks that keep ``set`` to operating data;
- ``extensive``: the two-stage stochastic program in extensive form (builds shared, operation per
  future) with its risk measure; the seam for other methods (``scenario_model``, ``FIRST_STAGE``);
- ``run``: solve it, evaluate plans in every future, and the tables (scenarios, hedges, VSS, EVPI).
"""

from .extensive import FIRST_STAGE, extensive_form, fix_plan, plan_of, scenario_model  # noqa: F401
from .futures import FutureData, futures_of  # noqa: F401
