"""Words and rules of the scenario language that validation, the planner and the engine all use.

Clock times written back as ``"HH:MM"``; the ``blocked`` pattern entry and the slot times a session holds; which
staff groups do a step for whose patient; the names the plan gives to the people of a staff group and to the
rooms; the event-log names of room stays and documentation; the names of the patients' random streams. Pure
functions of scenario values: no validation, no planning, so ``scenario.checks``, ``plan`` and ``engine`` share
them without importing each other.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinicsim.scenario.model import Interval, Scenario, StaffGroup

BLOCKED = "blocked"
"""Pattern entry for a slot kept free of patients (admin time, huddle, a same-day hold left empty)."""

EXAM = "exam"
"""The room kind of ``clinic.exam_rooms``."""
DOCUMENTATION = "documentation"
"""Event-log step of a provider's charting after a step."""
_LEGACY_STREAMS = {("provider_visit", DOCUMENTATION): "documentation", (EXAM, "turnover"): "room_turnover"}
"""Stream names of the first version, kept so that a scenario written with ``durations_min`` draws exactly what it
always drew."""


def room_step(kind: str) -> str:
    """Event-log step of a patient's stay in a room of ``kind``: ``exam_room``, ``x_ray_room``, ..."""
    return f"{kind}_room"


def stream_field(name: str, what: str = "") -> str:
    """The last part of the name of a patient's stream: a step's duration (``what`` empty), its
    ``documentation``, whether an optional step ``happens``, a branch's ``choice``, a room kind's ``turnover``."""
    if not what:
        return name
    return _LEGACY_STREAMS.get((name, what), f"{name}.{what}")


def format_clock(minutes: float) -> str:
    """Minutes from midnight as ``"HH:MM"`` (hours may pass 24 for runs longer than a day)."""
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def slot_times(session: Interval, slot_min: float) -> list[float]:
    """Start times of the whole slots that fit in a session (minutes from midnight)."""
    n = math.floor(session.length_min / slot_min + 1e-9)
    return [session.start + j * slot_min for j in range(n)]


def staff_groups_for(scenario: Scenario, step: str, provider: str | None, who: Any = "staff") -> list[StaffGroup]:
    """Staff groups that do ``step`` for a patient of ``provider`` (a provider or pool name; None: a walk-in for
    the first free provider). ``who`` is the step's ``by``: ``staff`` (groups whose ``serves`` lists the step),
    a role (``{role: nurse}``) or a group (``{group: Front desk}``).

    A provider's assigned groups come first, then the pooled groups, who help when the assigned people are busy.
    Patients without a provider yet are served by the pooled groups, or by anyone doing the step if none is pooled.
    """
    role, group = getattr(who, "role", None), getattr(who, "group", None)
    if group is not None:
        return [g for g in scenario.staff if g.name == group]
    doing = [g for g in scenario.staff if (g.role == role if role is not None else step in g.serves)]
    pooled = [g for g in doing if g.assigned_to is None]
    if provider is None or provider not in {p.name for p in scenario.providers}:
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


def all_rooms(scenario: Scenario) -> list[tuple[str, str, str | None]]:
    """Every room as (name, kind, owner): the exam rooms, then "x_ray 1", ... of the other kinds (shared)."""
    rooms = [(name, EXAM, owner) for name, owner in exam_rooms(scenario)]
    counts = scenario.clinic.room_counts()
    return rooms + [(f"{kind} {k + 1}", kind, None) for kind, n in counts.items() for k in range(n)]
