"""Scheduling templates turned into concrete appointments (pure: no randomness, no SimPy).

A template cuts each session into slots of ``slot_min`` and lays its pattern over them from the session's start
(``vocabulary.place_pattern``): each entry is one visit, taking one slot or the ``slots_per_visit`` of its type
(a 40-minute new visit in 20-minute slots takes two), and the pattern repeats until the slots run out. A visit
whose slots would run past the session's end is not booked: that time stays open. ``blocked`` entries stay
empty. Then the appointment rule gives each visit its time; rules count visits, not slots:

- fixed interval: one patient at the start of each visit's first slot;
- Bailey-Welch: ``k`` patients at the session's start, then each later patient at the first slot of the visit
  k-1 places earlier, so the last k-1 visits' times go unused;
- wave: every patient of a wave (the visits whose first slot lies in it) booked at the wave's start.

Double booking adds a second patient of the same type at named slots (a visit's first slot), on the same slots;
overbooking adds extra patients in each session to offset the no-shows the session expects, each at a regular
visit's time and on its slots (``auto`` counts the session's visits, not its slots).

Each appointment carries the time it holds in the schedule (``length_min``): that is scheduled visit time, which
the template picture and the Gantt draw; utilization and idle time still come from the sessions, so a visit of
two slots is no different to the engine from a visit of one slot followed by a ``blocked`` one, except that it
is never booked where it does not fit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from clinicsim.scenario.model import Template, VisitType
from clinicsim.scenario.vocabulary import BLOCKED, place_pattern, rule_times


@dataclass(frozen=True, slots=True)
class Appointment:
    """One booked appointment of a provider's day."""

    time_min: float
    """Appointment time (minutes from midnight)."""
    visit_type: str
    session: int
    """Index of the template session it belongs to."""
    slot_min: float
    """Start of the slot it was booked into (minutes from midnight)."""
    booking: str
    """"regular", "double_book" or "overbook"."""
    length_min: float
    """Time it holds in the schedule from ``slot_min``: its slots times the slot length (an extra patient, double
    booked or overbooked, holds the slots of the visit it shares)."""
    p_no_show: float | None = None
    """Probability that the patient does not come; None: the visit type's ``p_no_show`` (the booking model sets it
    from the lead time)."""


def _overbooked(
    template: Template, regular: list[Appointment], visit_types: Mapping[str, VisitType]
) -> list[Appointment]:
    """The session's extra appointments for expected no-shows."""
    policy = template.overbooking
    if policy is None or not regular:
        return []
    if policy.extra_per_session == "auto":
        p = sum(visit_types[a.visit_type].p_no_show for a in regular) / len(regular)
        extra = round(len(regular) * p / (1 - p)) if p < 1 else len(regular)
    else:
        extra = policy.extra_per_session
    n = len(regular)
    if policy.placement == "start":
        chosen = [i % n for i in range(extra)]
    elif policy.placement == "end":
        chosen = [n - 1 - (i % n) for i in range(extra)]
    else:
        chosen = [math.floor((i + 0.5) * n / extra) % n for i in range(extra)]
    return [
        Appointment(
            time_min=regular[i].time_min,
            visit_type=policy.visit_type or regular[i].visit_type,
            session=regular[i].session,
            slot_min=regular[i].slot_min,
            booking="overbook",
            length_min=regular[i].length_min,
        )
        for i in chosen
    ]


def expand_template(template: Template, visit_types: Mapping[str, VisitType]) -> list[Appointment]:
    """Concrete appointments of one provider-day under ``template``, sorted by time (ties: booking order)."""
    appointments: list[Appointment] = []
    double_booked = set(template.double_book)
    for index, session in enumerate(template.sessions):
        visits = [v for v in place_pattern(session, template) if v.fits and v.visit_type != BLOCKED]
        times = rule_times(template, session, [v.start_min for v in visits])
        regular = [
            Appointment(time, v.visit_type, index, v.start_min, "regular", v.length_min)
            for time, v in zip(times, visits)
        ]
        doubles = [
            Appointment(a.time_min, a.visit_type, index, a.slot_min, "double_book", a.length_min)
            for a in regular
            if a.slot_min in double_booked
        ]
        appointments += regular + doubles + _overbooked(template, regular, visit_types)
    return sorted(appointments, key=lambda a: a.time_min)
