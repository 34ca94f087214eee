"""A clinic week: every weekday a provider works, simulated with that weekday's templates and changes.

Providers' templates may differ by weekday (``template: {mon: full, fri: half}``), and ``weekday_changes`` say
what else differs (one front-desk clerk on Fridays, more walk-ins on Mondays). ``simulate_week`` runs each
working weekday for the same number of weeks; week ``r`` is replication ``r`` of every weekday. Each weekday has
streams of its own (derived from the seed and the weekday), so the days of a week are independent, while two plans
simulated with the same seed still share every weekday's patients (common random numbers).

The week's totals (patients seen, revenue, cost, margin, ...) add each week's days and get a Student-t interval
over weeks; means and percentages are reported per weekday only, since a week's wait is not a sum of days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clinicsim.engine import simulate_days_in_sequence
from clinicsim.eventlog import EventLog
from clinicsim.experiment import DEFAULT_SEED, Progress, Results, results_of, simulate
from clinicsim.finance import MONEY_KPIS
from clinicsim.plan import plan_day
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.model import WEEKDAYS, Weekday
from clinicsim.statistics import summarize
from clinicsim.streams import independent_seed
from clinicsim.work_metrics import adds_up_over_days

logger = logging.getLogger(__name__)

WEEK_TOTALS = (
    "patients_booked",
    "patients_arrived",
    "patients_seen",
    "no_shows",
    "walk_ins",
    "left_without_being_seen",
    *(kpi for kpi in MONEY_KPIS if "_per_" not in kpi),  # per visit and per hour are ratios
)
"""KPIs that add up over the days of a week (counts and money per day; and the work streams' items arrived and
done, and the work's cost: ``work_metrics.adds_up_over_days``); the others are per weekday."""


def weekday_seed(seed: int, weekday: Weekday) -> int:
    """The base seed of ``weekday``'s days in a week simulated from ``seed``."""
    return independent_seed(seed, f"weekday {weekday}")


@dataclass
class Week:
    """Every working weekday's results, replication ``r`` of each being week ``r``."""

    days: dict[Weekday, Results]
    """Results per weekday (``mon`` ... ``sun``), in week order."""
    seed: int

    @property
    def weeks(self) -> int:
        return min(r.replications for r in self.days.values())

    def summary(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per weekday and KPI: mean, sd, n and the confidence interval over weeks."""
        return pd.concat({day: r.summary(confidence=confidence) for day, r in self.days.items()}, names=["weekday"])

    def totals(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per KPI that adds up over days (``WEEK_TOTALS``): the week's total, with its interval over weeks."""
        per_day = [r.kpis.set_index("replication") for r in self.days.values()]
        names = [*WEEK_TOTALS, *(k for k in per_day[0] if adds_up_over_days(k))]
        kpis = [k for k in dict.fromkeys(names) if all(k in day for day in per_day)]
        weekly = sum(day[kpis] for day in per_day)
        return summarize(weekly.dropna(), confidence=confidence)


def simulate_week(
    scenario: Scenario | str | Path,
    *,
    weeks: int = 30,
    seed: int = DEFAULT_SEED,
    carry_over: bool = False,
    progress: Progress | None = None,
) -> Week:
    """Simulate ``weeks`` weeks of ``scenario``: each working weekday ``weeks`` times (see the module docstring).

    With ``carry_over``, the days of each week run in order and the work left at one day's close waits for the
    next day from its opening (Friday's for Monday's, three days later), so backlogs build or drain over the week.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    days = scenario.working_weekdays()
    if carry_over:
        return _carried_week(scenario, days, weeks, seed, progress)
    done = [0]

    def tick(_: int, __: int) -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], weeks * len(days))

    results = {
        day: simulate(scenario.on_weekday(day), replications=weeks, seed=weekday_seed(seed, day), progress=tick)
        for day in days
    }
    logger.info("simulated %d weeks of %r (%s)", weeks, scenario.name, ", ".join(days))
    return Week(days=results, seed=seed)


def _carried_week(scenario: Scenario, days: list[Weekday], weeks: int, seed: int, progress: Progress | None) -> Week:
    """The week simulated day after day, each week's backlog carried from one day to the next."""
    scenarios = {day: scenario.on_weekday(day) for day in days}
    plans = {day: plan_day(s) for day, s in scenarios.items()}
    position = [WEEKDAYS.index(day) for day in days]
    gaps = [(b - a) % 7 or 7 for a, b in zip([position[-1], *position], position)]
    logs: dict[Weekday, list[EventLog]] = {day: [] for day in days}
    for week in range(weeks):
        sequence = [(plans[day], weekday_seed(seed, day), gap) for day, gap in zip(days, gaps)]
        for day, log in zip(days, simulate_days_in_sequence(sequence, replication=week)):
            logs[day].append(log)
        if progress is not None:
            progress((week + 1) * len(days), weeks * len(days))
    logger.info("simulated %d weeks of %r with work carried over (%s)", weeks, scenario.name, ", ".join(days))
    return Week(days={day: results_of(scenarios[day], weekday_seed(seed, day), logs[day]) for day in days}, seed=seed)
