"""clinicsim: discrete-event simulation of medical-group clinic flow.

Write a scenario (YAML), simulate replications of the clinic day, and read KPIs with confidence intervals::

    import clinicsim
    scenario = clinicsim.load_scenario("scenarios/family_medicine.yaml")
    results = clinicsim.simulate(scenario, replications=50, seed=1)
    results.summary()

and compare plans on the same simulated days with ``clinicsim.compare`` and ``clinicsim.write_report``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Advice": "clinicsim.precision",
    "Appointment": "clinicsim.templates",
    "compare": "clinicsim.comparison",
    "Comparison": "clinicsim.comparison",
    "compute_kpis": "clinicsim.metrics",
    "DayPlan": "clinicsim.plan",
    "DEFAULT_SEED": "clinicsim.experiment",
    "Distribution": "clinicsim.distributions",
    "Duration": "clinicsim.distributions",
    "EventLog": "clinicsim.eventlog",
    "expand_template": "clinicsim.templates",
    "KPI_NAMES": "clinicsim.metrics",
    "load_scenario": "clinicsim.scenario",
    "load_sweep": "clinicsim.sweep_spec",
    "Metric": "clinicsim.metrics",
    "open_sweep": "clinicsim.store",
    "parse_scenario_text": "clinicsim.scenario",
    "plan_day": "clinicsim.plan",
    "PrecisionTarget": "clinicsim.precision",
    "REGISTRY": "clinicsim.metrics",
    "render_report": "clinicsim.report",
    "render_sweep_report": "clinicsim.sweep_report",
    "Results": "clinicsim.experiment",
    "run_sweep": "clinicsim.sweep_runner",
    "Scenario": "clinicsim.scenario",
    "scenario_to_yaml": "clinicsim.scenario",
    "ScenarioError": "clinicsim.scenario",
    "simulate": "clinicsim.experiment",
    "summarize": "clinicsim.experiment",
    "sweep": "clinicsim.sweep_runner",
    "SweepResults": "clinicsim.store",
    "SweepSpec": "clinicsim.sweep_spec",
    "wait_attribution": "clinicsim.comparison",
    "write_report": "clinicsim.report",
    "write_sweep_report": "clinicsim.sweep_report",
}
"""Public name -> module that defines it; imported on first use, so ``import clinicsim`` (and the CLI's
``--help``) stays fast."""

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
