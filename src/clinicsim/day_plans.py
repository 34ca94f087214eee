"""Plans of a scenario's clinic days by weekday and providers away, each made once and kept.

The booking model's booked days (``access.days``) and the calibration back-test's observed days (``calibration.
backtest``) both simulate many days that differ only in their appointments: each day takes the plan of its
weekday with the day's providers away and books its own list into it (``DayPlan.with_appointments``).
"""

from __future__ import annotations

from clinicsim.plan import DayPlan, plan_day
from clinicsim.scenario import Scenario
from clinicsim.scenario.model import WEEKDAYS


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
