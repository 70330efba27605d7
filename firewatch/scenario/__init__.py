"""The synthetic scenario: a deterministic, physically based thermal data set with its ground truth.

>>> from firewatch.scenario import ScenarioConfig, generate_scenario, Scenario
>>> scenario = generate_scenario("demo-out", config=ScenarioConfig(seed=7), progress=True)  # doctest: +SKIP
>>> Scenario.load("demo-out").fire_polygons_at("2026-04-05T05:00:00Z")  # doctest: +SKIP
"""

from firewatch.scenario.config import ScenarioConfig
from firewatch.scenario.errors import ScenarioError
from firewatch.scenario.fires import FalseTargetTruth, FireTruth
from firewatch.scenario.generate import generate_scenario
from firewatch.scenario.layout import TowerTruth
from firewatch.scenario.model import FrameRecord, Scenario, ScenarioPaths

__all__ = ["FalseTargetTruth", "FireTruth", "FrameRecord", "Scenario", "ScenarioConfig", "ScenarioError",
           "ScenarioPaths", "TowerTruth", "generate_scenario"]
