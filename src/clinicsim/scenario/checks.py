"""Checks that span several parts of a scenario: names that refer to each other, and work nobody can do.

Each problem is reported at the exact place in the file that causes it (``providers.1.template``), so the
error message can point at the line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from clinicsim.scenario.plausibility import size_problems, template_problems
from clinicsim.scenario.vocabulary import (
    BLOCKED,
    STAFF_STEPS,
    exam_rooms,
    format_clock,
    slot_times,
    staff_groups_for,
    staff_member_names,
)

if TYPE_CHECKING:
    from clinicsim.scenario.model import Provider, Scenario


def _unknown(kind: str, name: str, known) -> str:
    return f"unknown {kind} {name!r} (known: {', '.join(sorted(known)) or 'none'})"


def _visit_types_seen(scenario: Scenario, provider: Provider) -> set[str]:
    """Visit types a provider sees on the simulated day: their template's, and walk-ins routed to them or to anyone."""
    template = scenario.templates.get(provider.template_on(scenario.weekday) or "")
    seen = set() if template is None else {t for t in template.pattern if t != BLOCKED}
    seen |= {w.visit_type for w in scenario.walk_ins if w.provider in (None, provider.name)}
    return seen & set(scenario.visit_types)


def _name_clashes(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Providers, staff members and exam rooms must all have different names (they label the event log)."""
    rooms = [name for name, _ in exam_rooms(scenario)]
    problems, taken = [], set(rooms)
    groups: set[str] = set()
    for i, group in enumerate(scenario.staff):
        if group.name in groups:
            problems.append((("staff", i, "name"), f"staff group name {group.name!r} is used twice"))
        groups.add(group.name)
    for i, p in enumerate(scenario.providers):
        if p.name in taken:
            problems.append((("providers", i, "name"), f"the name {p.name!r} is already taken"))
        taken.add(p.name)
    for i, group in enumerate(scenario.staff):
        clash = sorted(set(staff_member_names(group)) & taken)
        if clash:
            problems.append((("staff", i, "name"), f"the name {clash[0]!r} is already taken"))
        taken.update(staff_member_names(group))
    return problems


def find_problems(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Every cross-reference problem as (location, message)."""
    problems: list[tuple[tuple, str]] = []
    providers = [p.name for p in scenario.providers]
    visit_types = set(scenario.visit_types)

    problems += _name_clashes(scenario)

    for t_name, template in scenario.templates.items():
        for i, vt in enumerate(template.pattern):
            if vt != BLOCKED and vt not in visit_types:
                problems.append((("templates", t_name, "pattern", i), _unknown("visit type", vt, visit_types)))
        slots = {t for session in template.sessions for t in slot_times(session, template.slot_min)}
        for i, time in enumerate(template.double_book):
            if time not in slots:
                problems.append(
                    (("templates", t_name, "double_book", i), f"{format_clock(time)} is not the start of a slot")
                )
        extra_type = template.overbooking.visit_type if template.overbooking else None
        if extra_type is not None and extra_type not in visit_types:
            problems.append(
                (("templates", t_name, "overbooking", "visit_type"), _unknown("visit type", extra_type, visit_types))
            )

    for i, p in enumerate(scenario.providers):
        named = [p.template] if isinstance(p.template, str) else list(p.template.values())
        keys = [()] if isinstance(p.template, str) else [(day,) for day in p.template]
        for key, t_name in zip(keys, named):
            if t_name not in scenario.templates:
                problems.append((("providers", i, "template", *key), _unknown("template", t_name, scenario.templates)))

    for i, g in enumerate(scenario.staff):
        for j, name in enumerate(g.assigned_to or []):
            if name not in providers:
                problems.append((("staff", i, "assigned_to", j), _unknown("provider", name, providers)))

    if isinstance(scenario.clinic.exam_rooms, dict):
        for name in scenario.clinic.exam_rooms:
            if name not in providers:
                problems.append((("clinic", "exam_rooms", name), _unknown("provider", name, providers)))

    for i, w in enumerate(scenario.walk_ins):
        if w.visit_type not in visit_types:
            problems.append((("walk_ins", i, "visit_type"), _unknown("visit type", w.visit_type, visit_types)))
        if w.provider is not None and w.provider not in providers:
            problems.append((("walk_ins", i, "provider"), _unknown("provider", w.provider, providers)))
        if (
            w.provider is None
            and isinstance(scenario.clinic.exam_rooms, dict)
            and scenario.visit_types.get(w.visit_type, None)
            and scenario.visit_types[w.visit_type].needs_room
        ):
            problems.append(
                (
                    ("walk_ins", i, "provider"),
                    "walk-ins for the first free provider need a shared room pool; name a provider or pool the rooms",
                )
            )

    problems += _finance_problems(scenario)
    problems += template_problems(scenario)
    if problems:
        return problems
    problems += size_problems(scenario)
    if problems:
        return problems
    problems.extend(_uncovered_work(scenario))
    return problems


def _finance_problems(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Codes that are not in the fee schedule, visits without a code mix, roles without a wage."""
    finance = scenario.finance
    if finance is None:
        return []
    problems: list[tuple[tuple, str]] = []
    for name, vt in scenario.visit_types.items():
        if vt.code_mix is None:
            problems.append((("visit_types", name, "code_mix"), "needed to bill the visit (finance is given)"))
            continue
        for code in vt.code_mix:
            if code not in finance.fee_schedule:
                problems.append(
                    (("visit_types", name, "code_mix", code), _unknown("billing code", code, finance.fee_schedule))
                )
    roles = {"provider": [p.wage_per_hour for p in scenario.providers]}
    for group in scenario.staff:
        roles.setdefault(group.role, []).append(group.wage_per_hour)
    for role, overrides in roles.items():
        if role not in finance.wages and any(w is None for w in overrides):
            problems.append((("finance", "wages"), f"no wage for the role {role}"))
    return problems


def _uncovered_work(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Steps that some patient needs but no staff group does, and providers without a room."""
    problems: list[tuple[tuple, str]] = []
    if not scenario.working_providers():
        return [(("weekday",), f"no provider has a template on {scenario.weekday}")]
    for index, p in enumerate(scenario.providers):
        if p.template_on(scenario.weekday) is None:
            continue
        for vt_name in sorted(_visit_types_seen(scenario, p)):
            vt = scenario.visit_types[vt_name]
            for step in STAFF_STEPS:
                if getattr(vt.durations_min, step) is not None and not staff_groups_for(scenario, step, p.name):
                    problems.append(
                        (
                            ("visit_types", vt_name, "durations_min", step),
                            f"nobody does {step} for {p.name}'s {vt_name} visits: add a staff group that serves it",
                        )
                    )
            rooms = scenario.clinic.exam_rooms
            if vt.needs_room and (rooms if isinstance(rooms, int) else rooms.get(p.name, 0)) < 1:
                problems.append(
                    (
                        ("providers", index, "name"),
                        f"{p.name} sees {vt_name} visits, which need a room, but has no exam room",
                    )
                )
    return problems


def raise_if_inconsistent(scenario: Scenario) -> None:
    """Raise a pydantic ValidationError listing every cross-reference problem at its location."""
    problems = find_problems(scenario)
    if problems:
        raise ValidationError.from_exception_data(
            "Scenario",
            [
                InitErrorDetails(
                    type=PydanticCustomError("scenario", message.replace("{", "{{").replace("}", "}}")),
                    loc=loc,
                    input=None,
                )
                for loc, message in problems
            ],
        )
