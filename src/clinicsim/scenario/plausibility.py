"""Checks that a plan can work at all, and warnings about what is legal but probably a mistake.

Errors: sessions outside the clinic's opening hours (patients would wait for doors that are shut), templates
that see nobody (no slot fits a session; or every slot is blocked and no walk-ins come to their providers),
``slots_per_visit`` naming an unknown visit type, a ``double_book`` time inside a visit of several slots rather
than at its first slot, and days larger than the documented limits (``scenario.limits``). Warnings: a pattern's
visit of several slots that never fits in any session (it is never booked), a session's last booked visit that
is expected to run well past the session's end, and staff whose last shift ends before the sessions they serve
do. Each is reported at its place in the file (``templates.am.sessions.1``), so the message can point at the
line. Every count of a session's visits walks its slots with ``vocabulary.place_pattern``, as booking does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinicsim.scenario import limits
from clinicsim.scenario.pathway import ByPool, is_provider, provider_minutes, walk
from clinicsim.scenario.pathway_checks import visit_types_for
from clinicsim.scenario.vocabulary import BLOCKED, PatternVisit, format_clock, place_pattern, staff_groups_for

if TYPE_CHECKING:
    from clinicsim.scenario.model import Interval, Scenario, Template

Found = list[tuple[tuple, str]]
"""(location in the file, message) pairs."""


def _visits(session: Interval, template: Template) -> list[PatternVisit]:
    """The visits a session books, in order: the pattern's entries that fit, blocked ones left out."""
    return [v for v in place_pattern(session, template) if v.fits and v.visit_type != BLOCKED]


def _appointments(template: Template) -> int:
    """Appointments a template books in a day at most (overbooking "auto" counted as one extra a visit)."""
    regular = [len(_visits(s, template)) for s in template.sessions]
    extra = template.overbooking.extra_per_session if template.overbooking else 0
    extras = sum(n if extra == "auto" else min(int(extra), n) for n in regular)
    return sum(regular) + len(template.double_book) + extras


def template_problems(scenario: Scenario) -> Found:
    """Sessions outside opening hours and templates that book nobody."""
    found: Found = []
    opens, closes = scenario.clinic.opens, scenario.clinic.closes
    for name, template in scenario.templates.items():
        for i, session in enumerate(template.sessions):
            if session.start < opens or session.end > closes:
                found.append(
                    (
                        ("templates", name, "sessions", i),
                        f"the session {format_clock(session.start)}-{format_clock(session.end)} is outside the "
                        f"clinic's opening hours {format_clock(opens)}-{format_clock(closes)}",
                    )
                )
        if all(t == BLOCKED for t in template.pattern):
            if not _sees_walk_ins(scenario, name):
                found.append(
                    (
                        ("templates", name, "pattern"),
                        "every slot is blocked and neither walk-ins nor pathway steps by a provider pool come to its "
                        "providers: this template sees nobody",
                    )
                )
        elif not any(place_pattern(s, template) for s in template.sessions):
            found.append((("templates", name, "slot_min"), f"no slot of {template.slot_min:g} min fits in any session"))
        elif (
            any(n > 1 for n in template.slots_per_visit.values())
            and not any(_visits(s, template) for s in template.sessions)
            and not _sees_walk_ins(scenario, name)
        ):
            found.append(
                (
                    ("templates", name, "slots_per_visit"),
                    "no visit fits in any session (each session ends before the pattern's visits have slots enough): "
                    "this template sees nobody",
                )
            )
        found += _multi_slot_problems(scenario, name, template)
    return found


def _multi_slot_problems(scenario: Scenario, name: str, template: Template) -> Found:
    """``slots_per_visit`` naming an unknown visit type; a ``double_book`` time inside a visit of several slots
    (not at its first slot) or in the time a visit that does not fit leaves open."""
    found: Found = []
    known = set(scenario.visit_types)
    for visit_type in template.slots_per_visit:
        if visit_type != BLOCKED and visit_type not in known:
            found.append(
                (
                    ("templates", name, "slots_per_visit", visit_type),
                    f"unknown visit type {visit_type!r} (known: {', '.join(sorted(known)) or 'none'}, {BLOCKED})",
                )
            )
    placed = [v for session in template.sessions for v in place_pattern(session, template)]
    for i, time in enumerate(template.double_book):
        holder = next((v for v in placed if v.start_min <= time < v.start_min + v.length_min), None)
        if holder is None or holder.visit_type == BLOCKED or (holder.fits and holder.start_min == time):
            continue  # not a slot (checks.py says so), a blocked slot, or a booked visit's first slot
        at, what = format_clock(holder.start_min), f"{holder.visit_type} visit"
        if holder.fits:
            message = (
                f"{format_clock(time)} is inside the {holder.length_min:g}-minute {what} that starts at {at}: "
                f"name a visit's first slot ({at})"
            )
        else:
            message = (
                f"nothing is booked at {format_clock(time)}: the {what} due at {at} takes {holder.n_slots} slots "
                "and does not fit before the session ends"
            )
        found.append((("templates", name, "double_book", i), message))
    return found


def _sees_walk_ins(scenario: Scenario, template: str) -> bool:
    """Whether walk-ins, or steps done by a provider pool, reach a provider working the template (an on-duty
    shift without bookings)."""
    providers = {p.name for p in scenario.providers if template in (p.template, *_day_templates(p.template))}
    pools = {pool for pool, members in scenario.provider_pools.items() if providers & set(members)}
    asked = {
        who.pool
        for vt in scenario.visit_types.values()
        for _, step, _ in walk(vt.steps())
        for who in step.who
        if isinstance(who, ByPool)
    }
    return bool(pools & asked) or any(w.provider is None or w.provider in providers | pools for w in scenario.walk_ins)


def _day_templates(template: str | dict) -> tuple[str, ...]:
    return tuple(template.values()) if isinstance(template, dict) else ()


def size_problems(scenario: Scenario) -> Found:
    """A day larger than the documented limits: appointments and expected walk-ins."""
    found: Found = []
    booked = sum(
        _appointments(scenario.templates[name])
        for p in scenario.working_providers()
        if (name := p.template_on(scenario.weekday)) in scenario.templates
    )
    if booked > limits.MAX_APPOINTMENTS_PER_DAY:
        found.append(
            (("providers",), f"the day books {booked:,} appointments; at most {limits.MAX_APPOINTMENTS_PER_DAY:,}")
        )
    for i, stream in enumerate(scenario.walk_ins):
        expected = sum(r.per_hour * r.length_min / 60 for r in stream.rates)
        if expected > limits.MAX_WALK_INS_PER_DAY:
            found.append(
                (
                    ("walk_ins", i, "rates"),
                    f"about {expected:,.0f} walk-ins a day; at most {limits.MAX_WALK_INS_PER_DAY:,}",
                )
            )
    for i, work in enumerate(scenario.work):
        expected = sum(r.per_hour * r.length_min / 60 for r in work.rates) + sum(b.count for b in work.at)
        if expected > limits.MAX_WORK_ITEMS_PER_DAY:
            found.append(
                (
                    ("work", i, "rates" if work.rates else "at"),
                    f"about {expected:,.0f} work items a day; at most {limits.MAX_WORK_ITEMS_PER_DAY:,}",
                )
            )
    return found


def find_warnings(scenario: Scenario) -> Found:
    """What is legal but probably a mistake (the scenario still loads and runs)."""
    return _visits_never_fitting(scenario) + _visits_running_late(scenario) + _shifts_ending_early(scenario)


def _visits_never_fitting(scenario: Scenario) -> Found:
    """A pattern entry for a visit of several slots that no session ever books: each time the walk reaches it,
    fewer slots are left than it takes (or the session ends before the walk gets there)."""
    found: Found = []
    for name, template in scenario.templates.items():
        booked = {v.entry for session in template.sessions for v in _visits(session, template)}
        for entry, visit_type in enumerate(template.pattern):
            n_slots = template.slots_per_visit.get(visit_type, 1)
            if visit_type == BLOCKED or n_slots == 1 or entry in booked:
                continue
            found.append(
                (
                    ("templates", name, "pattern", entry),
                    f"this {visit_type} visit ({n_slots} slots, {n_slots * template.slot_min:g} min) is never booked: "
                    "no session has slots enough left when the pattern reaches it; shorten the pattern or lengthen "
                    "the sessions",
                )
            )
    return found


def _visits_running_late(scenario: Scenario) -> Found:
    """A session whose last booked visit is expected to end more than a slot after the session does."""
    found: Found = []
    used = {p.template_on(scenario.weekday) for p in scenario.working_providers()}
    for name, template in scenario.templates.items():
        if name not in used:
            continue
        for i, session in enumerate(template.sessions):
            visits = _visits(session, template)
            if not visits or visits[-1].visit_type not in scenario.visit_types:
                continue
            visit_type, start = visits[-1].visit_type, visits[-1].start_min
            end = start + provider_minutes(scenario.visit_types[visit_type].steps())
            if end > session.end + template.slot_min:
                found.append(
                    (
                        ("templates", name, "sessions", i),
                        f"the last {visit_type} visit, booked at {format_clock(start)}, is expected to end at "
                        f"{format_clock(end)}, well after the session ends at {format_clock(session.end)}",
                    )
                )
    return found


def _staff_work(scenario: Scenario, provider) -> list[tuple[str, object]]:
    """(step, who) of every staff need of the visits a provider sees, each once, in pathway order."""
    work: dict[tuple[str, str], tuple[str, object]] = {}
    for vt in sorted(visit_types_for(scenario, provider)):
        for _, step, _ in walk(scenario.visit_types[vt].steps()):
            for who in step.who:
                if not is_provider(who):
                    work.setdefault((step.step, repr(who)), (step.step, who))
    return list(work.values())


def _shifts_ending_early(scenario: Scenario) -> Found:
    """A step that nobody does for a provider's patients by the end of the provider's last session: every staff
    group doing it for them has gone home (they would have to stay on as overtime)."""
    found: dict[tuple, str] = {}  # one warning per shift: the first provider it leaves uncovered
    for provider in scenario.working_providers():
        template = scenario.templates.get(provider.template_on(scenario.weekday) or "")
        if template is None:
            continue
        session_end = template.sessions[-1].end
        for step, who in _staff_work(scenario, provider):
            groups = staff_groups_for(scenario, step, provider.name, who)
            if not groups:
                continue
            last = max(groups, key=lambda g: g.shifts[-1].end)
            if last.shifts[-1].end < session_end:
                index = scenario.staff.index(last)
                found.setdefault(
                    ("staff", index, "shifts", len(last.shifts) - 1),
                    f"nobody does {step} for {provider.name}'s patients after {format_clock(last.shifts[-1].end)}, "
                    f"but {provider.name}'s sessions end at {format_clock(session_end)}",
                )
    return list(found.items())
