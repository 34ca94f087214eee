"""Words and rules of the scenario language that validation, the planner and the engine all use.

Clock times written back as ``"HH:MM"``; the ``blocked`` pattern entry, the slot times a session holds, the pattern laid
over them (a visit may take several slots) and the appointment times its rule gives; which staff groups do a step for
whose patient; the names the plan gives to the people of a staff group and to the rooms; the event-log names of room
stays and documentation; the names of the patients' random streams. Pure functions of scenario values: no validation, no
planning, so ``scenario.checks``, ``plan`` and ``engine`` share them without importing each other.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from clinicsim.scenario.model import Interval, Scenario, StaffGroup, Template

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


class PatternVisit(NamedTuple):
    """One entry of a template's pattern laid over a session: a visit (or a blocked stretch) and its slots."""

    start_min: float
    """Start of its first slot (minutes from midnight)."""
    visit_type: str
    """A visit type, or ``blocked``."""
    entry: int
    """Its index in the template's ``pattern``."""
    n_slots: int
    """Consecutive slots it takes (``slots_per_visit``, 1 when not listed)."""
    length_min: float
    """Time it holds in the schedule: ``n_slots`` slots."""
    fits: bool
    """False for an entry whose slots would run past the session's end: it is not booked and its time stays
    open (only the last entry of a session can be one)."""


def place_pattern(session: Interval, template: Template) -> list[PatternVisit]:
    """The template's pattern laid over one session's whole slots: entry after entry from the session's start,
    each taking its ``slots_per_visit`` consecutive slots, the pattern repeating until the slots run out. An entry
    that needs more slots than are left ends the walk with ``fits`` False (a shorter entry after it is not tried:
    the pattern keeps its order). The one walk over a session's slots: booking, the template picture and the
    plausibility checks all use it."""
    slot = template.slot_min
    n = len(slot_times(session, slot))
    pattern, sizes = template.pattern, template.slots_per_visit
    placed: list[PatternVisit] = []
    j = 0  # the next free slot
    while j < n:
        entry = len(placed) % len(pattern)
        visit_type = pattern[entry]
        size = sizes.get(visit_type, 1)
        fits = j + size <= n
        placed.append(PatternVisit(session.start + j * slot, visit_type, entry, size, size * slot, fits))
        if not fits:
            break
        j += size
    return placed


def rule_times(template: Template, session: Interval, first_slots: list[float]) -> list[float]:
    """Appointment time of each booked visit of a session (given by its first slot), in order, under the template's
    appointment rule: the first slot (fixed interval); ``k`` patients at the session's start, then each later one at
    the first slot of the visit k-1 places earlier (Bailey-Welch); the start of the wave holding the first slot
    (wave)."""
    rule = template.rule
    if rule.kind == "bailey_welch":
        n, k = len(first_slots), rule.k
        return first_slots[:1] * min(k, n) + first_slots[1 : max(n - k + 1, 1)]
    if rule.kind == "wave":
        return [
            session.start + math.floor((t - session.start) / rule.wave_min + 1e-9) * rule.wave_min for t in first_slots
        ]
    return list(first_slots)


def appointment_times(template: Template) -> list[float]:
    """The times a template books patients at, over all its sessions, in order and each once (a double booking or
    an overbooking shares a regular visit's time)."""
    times: set[float] = set()
    for session in template.sessions:
        visits = [v for v in place_pattern(session, template) if v.fits and v.visit_type != BLOCKED]
        times.update(rule_times(template, session, [v.start_min for v in visits]))
    return sorted(times)


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
