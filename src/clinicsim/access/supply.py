"""The supply side of access: every bookable appointment position of every provider over the days of a run.

A provider works a day when their template has that weekday, the day is not one of their ``days_off`` and the
clinic is not ``closed``. Each working day gives the positions ``templates.expand_template`` gives the clinic-day
model (regular visits, double bookings, the template's own overbooking), so the access model books exactly the
appointments the day model would simulate. ``holds`` keep some positions for one urgency class until
``release_hours_before`` the slot: by ``share`` (that share of each session's regular visits of the held visit
types, spread evenly) or by slot time.

Positions are numbered day by day, provider by provider, in time order, so a higher number on the same
provider-day is never earlier. Times are minutes: ``time_min`` from midnight, ``at_min`` from the run's start.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from clinicsim.scenario import Scenario
from clinicsim.scenario.access import Access, Hold
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.templates import Appointment, expand_template

MINUTES_PER_DAY = 24 * 60


@dataclass
class Positions:
    """Every bookable position, as columns (position ``i`` is element ``i`` of each)."""

    day: list[int] = field(default_factory=list)
    provider: list[int] = field(default_factory=list)
    """Index into ``Supply.providers``."""
    appointment: list[Appointment] = field(default_factory=list)
    held_for: list[str | None] = field(default_factory=list)
    """Urgency class the position is kept for, or None."""
    release_at_min: list[float] = field(default_factory=list)
    """When a held position opens to every class (minutes from the start; inf: never)."""

    def __len__(self) -> int:
        return len(self.day)

    def at_min(self, position: int) -> float:
        """When the appointment is (minutes from the run's start)."""
        return self.day[position] * MINUTES_PER_DAY + self.appointment[position].time_min

    def add(self, day: int, provider: int, appointment: Appointment, held: str | None, release: float) -> int:
        """Append a position; its number."""
        self.day.append(day)
        self.provider.append(provider)
        self.appointment.append(appointment)
        self.held_for.append(held)
        self.release_at_min.append(release)
        return len(self.day) - 1


@dataclass
class Supply:
    """The positions of a run, and the calendar they come from."""

    providers: list[str]
    """Every provider of any weekday, the scenario's first."""
    days: int
    """Days with positions: the run's days and the booking horizon after them."""
    clinic_days: list[bool]
    """Whether the clinic works on each day (some provider has a template that weekday, and it is not closed)."""
    positions: Positions
    working: list[list[bool]]
    """working[provider][day]: the provider works that day."""
    weekly_positions: list[int]
    """Positions of each provider's templates in a week (no days off)."""

    def date(self, start: datetime.date, day: int) -> datetime.date:
        """The date of ``day`` (days from ``start``)."""
        return start + datetime.timedelta(days=day)


def weekday_of(start: datetime.date, day: int) -> str:
    """Weekday name (``mon`` ...) of ``day`` days after ``start``."""
    return WEEKDAYS[(start.weekday() + day) % 7]


def _held(appointments: list[Appointment], hold: Hold, types: set[str]) -> set[int]:
    """Indices of the held ones among a provider-day's appointments (of the visit types ``types``)."""
    if hold.slots:
        slots = set(hold.slots)
        return {i for i, a in enumerate(appointments) if a.slot_min in slots and a.visit_type in types}
    held: set[int] = set()
    for session in sorted({a.session for a in appointments}):
        regular = [
            i
            for i, a in enumerate(appointments)
            if a.session == session and a.booking == "regular" and a.visit_type in types
        ]
        count = round(len(regular) * (hold.share or 0.0))
        held |= {regular[math.floor((k + 0.5) * len(regular) / count)] for k in range(count)}
    return held


def _template_day(scenario: Scenario, template_name: str) -> list[tuple[Appointment, str | None, float]]:
    """A provider-day's positions under a template: (appointment, class held for, release lead in minutes)."""
    access = scenario.access
    assert access is not None
    appointments = expand_template(scenario.templates[template_name], scenario.visit_types)
    holds: dict[int, tuple[str, float]] = {}
    for hold in access.holds:
        if hold.template == template_name:
            lead = math.inf if hold.release_hours_before is None else hold.release_hours_before * 60
            for i in _held(appointments, hold, access.held_types(hold)):
                holds.setdefault(i, (hold.urgency, lead))
    return [(a, *holds.get(i, (None, -math.inf))) for i, a in enumerate(appointments)]


def weekday_scenarios(scenario: Scenario) -> dict[str, Scenario]:
    """The clinic day of each working weekday: that weekday's templates and ``weekday_changes`` made."""
    return {weekday: scenario.on_weekday(weekday) for weekday in scenario.working_weekdays()}


def build_supply(scenario: Scenario, days: int) -> Supply:
    """The positions of ``days`` days from ``access.start``, plus the booking horizon after them, each weekday as
    that weekday's scenario has it (its ``weekday_changes`` made: other templates on Fridays, a locum added)."""
    access: Access | None = scenario.access
    assert access is not None
    total = days + access.horizon_days + 1
    closed = {(d - access.start).days for d in access.closed}
    away = {
        (off.provider, d)
        for off in access.days_off
        for d in range((off.start - access.start).days, (off.end - access.start).days + 1)
    }
    by_weekday = weekday_scenarios(scenario)
    providers = list(dict.fromkeys(p.name for s in [scenario, *by_weekday.values()] for p in s.providers))
    index = {name: k for k, name in enumerate(providers)}
    days_of: dict[tuple[str, str], list] = {}
    positions = Positions()
    working = [[False] * total for _ in providers]
    clinic_days = [False] * total
    for day in range(total):
        weekday = weekday_of(access.start, day)
        today = by_weekday.get(weekday)
        if today is None or day in closed:
            continue
        clinic_days[day] = True
        for provider in today.working_providers():
            k = index[provider.name]
            if (provider.name, day) in away:
                continue
            working[k][day] = True
            template = provider.template_on(today.weekday)
            assert template is not None  # a working provider has one
            if (weekday, template) not in days_of:
                days_of[(weekday, template)] = _template_day(today, template)
            for appointment, held, lead in days_of[(weekday, template)]:
                at = day * MINUTES_PER_DAY + appointment.time_min
                release = (at - lead if math.isfinite(lead) else math.inf) if held else -math.inf
                positions.add(day, k, appointment, held, release)
    weekly = [0] * len(providers)
    for today in by_weekday.values():
        for provider in today.working_providers():
            plan = today.templates[provider.template_on(today.weekday) or ""]
            weekly[index[provider.name]] += len(expand_template(plan, today.visit_types))
    return Supply(providers, total, clinic_days, positions, working, weekly)
