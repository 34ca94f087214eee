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
from clinicsim.day_plans import DayPlans
from clinicsim.engine import simulate_day
from clinicsim.experiment import day_kpis
from clinicsim.streams import independent_seed


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
