"""Words and rules of the scenario language that validation, the planner and the engine all use.

Clock times written back as ``"HH:MM"``; the ``blocked`` pattern entry and the slot times a session holds; the
steps that staff (not providers) do and which staff groups do a step for whose patient; the names the plan gives
to the people of a staff group and to the exam rooms. Pure functions of scenario values: no validation, no
planning, so ``scenario.checks``, ``plan`` and ``engine`` share them without importing each other.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clinicsim.scenario.model import Interval, Scenario, StaffGroup

BLOCKED = "blocked"
"""Pattern entry for a slot kept free of patients (admin time, huddle, a same-day hold left empty)."""

STAFF_STEPS = ("check_in", "rooming", "check_out")
"""The steps of a visit that staff groups do (the provider visit is the provider's), in pathway order."""


def format_clock(minutes: float) -> str:
    """Minutes from midnight as ``"HH:MM"`` (hours may pass 24 for runs longer than a day)."""
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def slot_times(session: Interval, slot_min: float) -> list[float]:
    """Start times of the whole slots that fit in a session (minutes from midnight)."""
    n = math.floor(session.length_min / slot_min + 1e-9)
    return [session.start + j * slot_min for j in range(n)]


def staff_groups_for(scenario: Scenario, step: str, provider: str | None) -> list[StaffGroup]:
    """Staff groups that do ``step`` for a patient of ``provider`` (None: a walk-in for the first free provider).

    A provider's assigned groups come first, then the pooled groups, who help when the assigned people are busy.
    Patients without a provider yet are served by the pooled groups, or by anyone doing the step if none is pooled.
    """
    doing = [g for g in scenario.staff if step in g.serves]
    pooled = [g for g in doing if g.assigned_to is None]
    if provider is None:
        return pooled or doing
    assigned = [g for g in doing if g.assigned_to is not None and provider in g.assigned_to]
    return assigned + pooled


def staff_member_names(group: StaffGroup) -> list[str]:
    """Names of the people of a staff group: the group's name, numbered when it has several people."""
    return [group.name] if group.count == 1 else [f"{group.name}#{k + 1}" for k in range(group.count)]


def exam_rooms(scenario: Scenario) -> list[tuple[str, str | None]]:
    """Each exam room as (name, owner): "room 1", ... of the shared pool (owner None), or "Dr Lee room 1", ...
    dedicated to a provider."""
    rooms = scenario.clinic.exam_rooms
    if isinstance(rooms, int):
        return [(f"room {k + 1}", None) for k in range(rooms)]
    return [(f"{owner} room {k + 1}", owner) for owner, n in rooms.items() for k in range(n)]
