"""clinicsim: discrete-event simulation of medical-group clinic flow.

Write a scenario (YAML), simulate replications of the clinic day, and read KPIs with confidence intervals::

    import clinicsim
    scenario = clinicsim.load_scenario("scenarios/family_medicine.yaml")
    results = clinicsim.simulate(scenario, replications=50, seed=1)
    results.summary()

and compare plans on the same simulated days with ``clinicsim.compare`` and ``clinicsim.write_report``.
"""

__version__ = "0.1.0"

from clinicsim.comparison import Comparison, compare, wait_attribution
from clinicsim.distributions import Distribution, Duration
from clinicsim.eventlog import EventLog
from clinicsim.experiment import DEFAULT_SEED, Results, simulate, summarize
from clinicsim.metrics import KPI_NAMES, REGISTRY, Metric, compute_kpis
from clinicsim.plan import DayPlan, plan_day
from clinicsim.precision import Advice, PrecisionTarget
from clinicsim.report import render_report, write_report
from clinicsim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario_text, scenario_to_yaml
from clinicsim.templates import Appointment, expand_template

__all__ = [
    "DEFAULT_SEED",
    "KPI_NAMES",
    "REGISTRY",
    "Advice",
    "Appointment",
    "Comparison",
    "DayPlan",
    "Distribution",
    "Duration",
    "EventLog",
    "Metric",
    "PrecisionTarget",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "compute_kpis",
    "expand_template",
    "load_scenario",
    "parse_scenario_text",
    "plan_day",
    "render_report",
    "scenario_to_yaml",
    "simulate",
    "summarize",
    "wait_attribution",
    "write_report",
]
