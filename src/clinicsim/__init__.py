"""clinicsim: discrete-event simulation of medical-group clinic flow.

Write a scenario (YAML), simulate replications of the clinic day, and read KPIs with confidence intervals::

    import clinicsim
    scenario = clinicsim.load_scenario("scenarios/family_medicine.yaml")
    results = clinicsim.simulate(scenario, replications=50, seed=1)
    results.summary()

and compare plans on the same simulated days with ``clinicsim.compare`` and ``clinicsim.write_report``; book
requests into the templates over weeks with ``clinicsim.simulate_access`` and ``clinicsim.compare_access``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "AccessResults": "clinicsim.access",
    "Advice": "clinicsim.precision",
    "Appointment": "clinicsim.templates",
    "backtest": "clinicsim.calibration.backtest",
    "calibrate": "clinicsim.calibration.calibrate",
    "Calibration": "clinicsim.calibration.calibrate",
    "check_visits": "clinicsim.calibration.quality",
    "compare": "clinicsim.comparison",
    "compare_access": "clinicsim.access",
    "Comparison": "clinicsim.comparison",
    "compute_kpis": "clinicsim.metrics",
    "DayPlan": "clinicsim.plan",
    "decompose": "clinicsim.decomposition",
    "Decomposition": "clinicsim.decomposition",
    "DEFAULT_SEED": "clinicsim.experiment",
    "Distribution": "clinicsim.distributions",
    "Duration": "clinicsim.distributions",
    "EventLog": "clinicsim.eventlog",
    "expand_template": "clinicsim.templates",
    "KPI_NAMES": "clinicsim.metrics",
    "load_scenario": "clinicsim.scenario",
    "load_sweep": "clinicsim.sweeps.spec",
    "Metric": "clinicsim.kpi",
    "open_sweep": "clinicsim.sweeps.store",
    "parse_scenario_text": "clinicsim.scenario",
    "plan_day": "clinicsim.plan",
    "PrecisionTarget": "clinicsim.precision",
    "REGISTRY": "clinicsim.metrics",
    "render_report": "clinicsim.reports.comparison",
    "render_sweep_report": "clinicsim.reports.sweep",
    "Results": "clinicsim.experiment",
    "run_sweep": "clinicsim.sweeps.runner",
    "Scenario": "clinicsim.scenario",
    "scenario_to_yaml": "clinicsim.scenario",
    "ScenarioError": "clinicsim.scenario",
    "simulate": "clinicsim.experiment",
    "simulate_access": "clinicsim.access",
    "simulate_week": "clinicsim.week",
    "summarize": "clinicsim.statistics",
    "sweep": "clinicsim.sweeps.runner",
    "SweepResults": "clinicsim.sweeps.store",
    "SweepSpec": "clinicsim.sweeps.spec",
    "verdicts": "clinicsim.reports.verdict",
    "read_visits": "clinicsim.calibration.export",
    "optimize": "clinicsim.optimization.run",
    "load_optimization": "clinicsim.optimization.spec",
    "Optimization": "clinicsim.optimization.run",
    "Week": "clinicsim.week",
    "wait_attribution": "clinicsim.comparison",
    "write_report": "clinicsim.reports.comparison",
    "write_sweep_report": "clinicsim.reports.sweep",
}
"""Public name -> module that defines it; imported on first use, so ``import clinicsim`` (and the CLI's
``--help``) stays fast."""

if TYPE_CHECKING:  # the same names for type checkers and IDEs (``X as X``: an explicit re-export; a test keeps
    # this block equal to _EXPORTS)
    from clinicsim.access import AccessResults as AccessResults
    from clinicsim.access import compare_access as compare_access
    from clinicsim.access import simulate_access as simulate_access
    from clinicsim.calibration.backtest import backtest as backtest
    from clinicsim.calibration.calibrate import Calibration as Calibration
    from clinicsim.calibration.calibrate import calibrate as calibrate
    from clinicsim.calibration.export import read_visits as read_visits
    from clinicsim.calibration.quality import check_visits as check_visits
    from clinicsim.comparison import Comparison as Comparison
    from clinicsim.comparison import compare as compare
    from clinicsim.comparison import wait_attribution as wait_attribution
    from clinicsim.decomposition import Decomposition as Decomposition
    from clinicsim.decomposition import decompose as decompose
    from clinicsim.distributions import Distribution as Distribution
    from clinicsim.distributions import Duration as Duration
    from clinicsim.eventlog import EventLog as EventLog
    from clinicsim.experiment import DEFAULT_SEED as DEFAULT_SEED
    from clinicsim.experiment import Results as Results
    from clinicsim.experiment import simulate as simulate
    from clinicsim.kpi import Metric as Metric
    from clinicsim.metrics import KPI_NAMES as KPI_NAMES
    from clinicsim.metrics import REGISTRY as REGISTRY
    from clinicsim.metrics import compute_kpis as compute_kpis
    from clinicsim.optimization.run import Optimization as Optimization
    from clinicsim.optimization.run import optimize as optimize
    from clinicsim.optimization.spec import load_optimization as load_optimization
    from clinicsim.plan import DayPlan as DayPlan
    from clinicsim.plan import plan_day as plan_day
    from clinicsim.precision import Advice as Advice
    from clinicsim.precision import PrecisionTarget as PrecisionTarget
    from clinicsim.reports.comparison import render_report as render_report
    from clinicsim.reports.comparison import write_report as write_report
    from clinicsim.reports.sweep import render_sweep_report as render_sweep_report
    from clinicsim.reports.sweep import write_sweep_report as write_sweep_report
    from clinicsim.reports.verdict import verdicts as verdicts
    from clinicsim.scenario import Scenario as Scenario
    from clinicsim.scenario import ScenarioError as ScenarioError
    from clinicsim.scenario import load_scenario as load_scenario
    from clinicsim.scenario import parse_scenario_text as parse_scenario_text
    from clinicsim.scenario import scenario_to_yaml as scenario_to_yaml
    from clinicsim.statistics import summarize as summarize
    from clinicsim.sweeps.runner import run_sweep as run_sweep
    from clinicsim.sweeps.runner import sweep as sweep
    from clinicsim.sweeps.spec import SweepSpec as SweepSpec
    from clinicsim.sweeps.spec import load_sweep as load_sweep
    from clinicsim.sweeps.store import SweepResults as SweepResults
    from clinicsim.sweeps.store import open_sweep as open_sweep
    from clinicsim.templates import Appointment as Appointment
    from clinicsim.templates import expand_template as expand_template
    from clinicsim.week import Week as Week
    from clinicsim.week import simulate_week as simulate_week

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:  # a submodule, e.g. clinicsim.plots
        try:
            return importlib.import_module(f"clinicsim.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'clinicsim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
