"""clinicsim: discrete-event simulation of medical-group clinic flow.

Write a scenario (YAML), simulate replications of the clinic day, and read KPIs with confidence intervals::

    import clinicsim
    scenario = clinicsim.load_scenario("scenarios/family_medicine.yaml")
    results = clinicsim.simulate(scenario, replications=50, seed=1)
    results.summary()
"""

__version__ = "0.1.0"

from clinicsim.distributions import Distribution, Duration
from clinicsim.eventlog import EventLog
from clinicsim.experiment import DEFAULT_SEED, Results, simulate, summarize
from clinicsim.metrics import KPI_NAMES, REGISTRY, Metric, compute_kpis
from clinicsim.plan import DayPlan, plan_day
from clinicsim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario_text, scenario_to_yaml
from clinicsim.templates import Appointment, expand_template

__all__ = [
    "DEFAULT_SEED",
    "KPI_NAMES",
    "REGISTRY",
    "Appointment",
    "DayPlan",
    "Distribution",
    "Duration",
    "EventLog",
    "Metric",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compute_kpis",
    "expand_template",
    "load_scenario",
    "parse_scenario_text",
    "plan_day",
    "scenario_to_yaml",
    "simulate",
    "summarize",
]
