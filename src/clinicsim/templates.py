"""Scheduling templates turned into concrete appointments (pure: no randomness, no SimPy).

A template cuts each session into slots of ``slot_min``, gives each slot a visit type by repeating the pattern
from the session's start (``blocked`` slots stay empty), then applies the appointment rule:

- fixed interval: one patient at the start of each slot;
- Bailey-Welch: ``k`` patients at the session's start, then one a slot, so the last k-1 slot times go unused;
- wave: every patient of a wave booked at the wave's start.

Double booking adds a second patient at named slots; overbooking adds extra patients in each session to offset
the no-shows the session expects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from clinicsim.scenario.model import BaileyWelch, Interval, Template, VisitType, Wave
from clinicsim.scenario.vocabulary import BLOCKED, slot_times


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


def _rule_times(template: Template, session: Interval, booked_slots: list[float]) -> list[float]:
    """Appointment time of each booked slot, in slot order, under the template's rule."""
    rule = template.rule
    if isinstance(rule, BaileyWelch):
        n, k = len(booked_slots), rule.k
        return booked_slots[:1] * min(k, n) + booked_slots[1 : max(n - k + 1, 1)]
    if isinstance(rule, Wave):
        return [
            session.start + math.floor((t - session.start) / rule.wave_min + 1e-9) * rule.wave_min for t in booked_slots
        ]
    return list(booked_slots)


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
            regular[i].time_min,
            policy.visit_type or regular[i].visit_type,
            regular[i].session,
            regular[i].slot_min,
            "overbook",
        )
        for i in chosen
    ]


def expand_template(template: Template, visit_types: Mapping[str, VisitType]) -> list[Appointment]:
    """Concrete appointments of one provider-day under ``template``, sorted by time (ties: booking order)."""
    appointments: list[Appointment] = []
    double_booked = set(template.double_book)
    for index, session in enumerate(template.sessions):
        slots = slot_times(session, template.slot_min)
        types = [template.pattern[j % len(template.pattern)] for j in range(len(slots))]
        booked = [(t, vt) for t, vt in zip(slots, types) if vt != BLOCKED]
        times = _rule_times(template, session, [t for t, _ in booked])
        regular = [Appointment(time, vt, index, slot, "regular") for time, (slot, vt) in zip(times, booked)]
        doubles = [
            Appointment(a.time_min, a.visit_type, index, a.slot_min, "double_book")
            for a in regular
            if a.slot_min in double_booked
        ]
        appointments += regular + doubles + _overbooked(template, regular, visit_types)
    return sorted(appointments, key=lambda a: a.time_min)
