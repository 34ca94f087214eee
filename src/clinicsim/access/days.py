"""The booked days, simulated: each reported clinic day's booked list fed to the clinic-day engine.

Day ``d`` of a run is simulated with that weekday's scenario (its templates' sessions and ``weekday_changes``),
only the providers who work that day (days off left out), and, instead of the template's full schedule, the
appointments the booking model kept, each patient's coming decided by the booking model from its lead time.
Walk-ins, durations and everything else come from the clinic-day scenario as usual.

Each day draws from its own streams (``independent_seed(seed, "access day d")`` with the run's replication), so
two plans booked on the same demand also share each day's other draws where their patients coincide.
"""

from __future__ import annotations

import math

import pandas as pd

from clinicsim.access.run import AccessRun, booked_days
from clinicsim.access.supply import weekday_of
from clinicsim.engine import simulate_day
from clinicsim.experiment import day_kpis
from clinicsim.plan import DayPlan, plan_day
from clinicsim.scenario import Scenario
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.streams import independent_seed


class DayPlans:
    """Plans of the clinic days of a scenario, made once per weekday and set of providers away."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._plans: dict[tuple[str, frozenset[str]], DayPlan | None] = {}

    def plan(self, weekday: str, away: frozenset[str]) -> DayPlan | None:
        """The plan of a ``weekday`` with the providers ``away`` off; None when nobody works."""
        key = (weekday, away)
        if key not in self._plans:
            day = self.scenario.on_weekday(weekday)  # type: ignore[arg-type]
            if away and all(p.name in away for p in day.working_providers()):
                self._plans[key] = None
            else:
                self._plans[key] = plan_day(_with_away(day, away, weekday) if away else day)
        return self._plans[key]


def _with_away(day: Scenario, away: frozenset[str], weekday: str) -> Scenario:
    """The day's scenario with the providers ``away`` off that weekday. Copied, not validated again (about 10 ms
    a day): the scenario was validated whole, and a provider taken out of one day leaves it a day the planner
    reads as usual (their walk-ins bring nobody, their own MAs and rooms stand idle)."""
    providers = [
        p.model_copy(update={"template": _without(day, p.name, weekday)}) if p.name in away else p
        for p in day.providers
    ]
    return day.model_copy(update={"providers": providers})


def _without(scenario: Scenario, provider: str, weekday: str) -> dict[str, str]:
    """A provider's templates by weekday, ``weekday`` left out."""
    template = scenario.provider(provider).template
    by_day = {day: template for day in WEEKDAYS} if isinstance(template, str) else dict(template)
    by_day.pop(weekday, None)  # type: ignore[call-overload]
    return by_day  # type: ignore[return-value]


def simulate_booked_days(run: AccessRun, seed: int, plans: DayPlans) -> pd.DataFrame:
    """Every reported clinic day of ``run`` simulated: one row per day (``day``, ``date``, ``weekday``) with the
    clinic day's KPIs."""
    access = run.scenario.access
    assert access is not None
    away_on: dict[int, set[str]] = {}
    for off in access.days_off:
        for day in range((off.start - access.start).days, (off.end - access.start).days + 1):
            away_on.setdefault(day, set()).add(off.provider)
    booked = booked_days(run)
    rows = []
    for day in run.reported_days:
        if not run.clinic_days[day]:
            continue
        weekday = weekday_of(access.start, day)
        plan = plans.plan(weekday, frozenset(away_on.get(day, ())))
        if plan is None:
            continue
        day_plan = plan.with_appointments(booked.get(day, {}))
        log = simulate_day(day_plan, seed=independent_seed(seed, f"access day {day}"), replication=run.replication)
        rows.append({"day": day, "weekday": weekday, **day_kpis(log, day_plan.scenario)})
    return pd.DataFrame(rows)


def mean_per_day(days: pd.DataFrame) -> dict[str, float]:
    """Each clinic-day KPI's mean over the simulated days (NaN days left out)."""
    kpis = days.drop(columns=["day", "weekday"])
    return {name: float(kpis[name].mean()) if kpis[name].notna().any() else math.nan for name in kpis}
