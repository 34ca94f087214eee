"""Checks of the pathways against the rest of the scenario: the people, pools and rooms they name exist, a step's
name means one kind of work, and every step can be done for every patient who needs it on the simulated day.

Each problem is reported at its place in the file (``visit_types.acute.pathway.2.by``); a step of a
``durations_min`` shorthand is reported at its duration (``visit_types.new.durations_min.rooming``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinicsim.scenario.pathway import ByGroup, ByPool, ByRole, is_provider, steps_in, walk
from clinicsim.scenario.vocabulary import DOCUMENTATION, EXAM, room_step, staff_groups_for

if TYPE_CHECKING:
    from clinicsim.scenario.model import Provider, Scenario

Found = list[tuple[tuple, str]]


def _where(scenario: Scenario, visit_type: str, location: tuple, field: str | None = None) -> tuple:
    """The file location of a step (or of one of its fields) of a visit type's pathway."""
    vt = scenario.visit_types[visit_type]
    if vt.pathway is None:  # the shorthand: the step's duration
        step = vt.steps()[location[-1]]
        return ("visit_types", visit_type, "durations_min", step.step)
    return ("visit_types", visit_type, "pathway", *location, *((field,) if field else ()))


def _steps(scenario: Scenario):
    """Every step of every pathway: (visit type, location, step, steps before it on its way)."""
    for name, vt in scenario.visit_types.items():
        for location, step, before in walk(vt.steps()):
            yield name, location, step, before


def _names_and_references(scenario: Scenario) -> Found:
    """Unknown pools, roles, groups and room kinds; a step name used twice on one way, used for different work,
    or taken by the event log."""
    found: Found = []
    pools, roles = scenario.provider_pools, {g.role for g in scenario.staff}
    groups = {g.name for g in scenario.staff}
    kinds = {EXAM, *scenario.clinic.rooms}
    reserved = {DOCUMENTATION} | {room_step(kind) for kind in kinds}
    meaning: dict[str, tuple] = {}
    for vt, location, step, before in _steps(scenario):
        for who in step.who:
            if isinstance(who, ByPool) and who.pool not in pools:
                found.append((_where(scenario, vt, location, "by"), _unknown("provider pool", who.pool, pools)))
            if isinstance(who, ByRole) and who.role not in roles:
                found.append((_where(scenario, vt, location, "by"), _unknown("role", who.role, roles)))
            if isinstance(who, ByGroup) and who.group not in groups:
                found.append((_where(scenario, vt, location, "by"), _unknown("staff group", who.group, groups)))
        if step.release_room is not None and not any(
            s.room == step.release_room and s.keep_room for s in steps_in(list(before))
        ):
            message = f"releases a {step.release_room} room that no step before it keeps (keep_room)"
            found.append((_where(scenario, vt, location, "release_room"), message))
        if step.room is not None and step.room not in kinds:
            message = _unknown("room kind", step.room, kinds) + " (add it under clinic.rooms)"
            found.append((_where(scenario, vt, location, "room"), message))
        if step.step in reserved:
            found.append((_where(scenario, vt, location, "step"), f"{step.step!r} names event-log rows of its own"))
        if any(b.step == step.step for b in steps_in(list(before))):
            found.append((_where(scenario, vt, location, "step"), f"{step.step!r} comes twice on the same way"))
        if step.speed_scaled and not step.by_provider:
            found.append((_where(scenario, vt, location, "speed_scaled"), "only a provider's speed scales a step"))
        work = (repr(step.by), step.speed_scaled, step.documentation)
        first = meaning.setdefault(step.step, work)
        if first != work:
            found.append(
                (
                    _where(scenario, vt, location, "by"),
                    f"the step {step.step!r} is done by other people (or scaled or documented differently) "
                    "elsewhere; a step's name means one kind of work: give this one its own name",
                )
            )
    return found


def _unknown(kind: str, name: str, known) -> str:
    return f"unknown {kind} {name!r} (known: {', '.join(sorted(known)) or 'none'})"


def _pool_problems(scenario: Scenario) -> Found:
    """Pools of unknown providers, named like a provider, or with nobody working on the simulated day."""
    found: Found = []
    providers = {p.name for p in scenario.providers}
    working = {p.name for p in scenario.working_providers()}
    for pool, members in scenario.provider_pools.items():
        if pool in providers:
            found.append((("provider_pools", pool), f"{pool!r} is also a provider's name"))
        for i, name in enumerate(members):
            if name not in providers:
                found.append((("provider_pools", pool, i), _unknown("provider", name, providers)))
        if not set(members) & working:
            found.append((("provider_pools", pool), f"no provider of the pool works on {scenario.weekday}"))
    return found


def visit_types_for(scenario: Scenario, provider: Provider) -> set[str]:
    """Visit types a provider may see on the simulated day: their template's, and those of walk-ins for them,
    for a pool they are in, or for anyone."""
    from clinicsim.scenario.vocabulary import BLOCKED

    template = scenario.templates.get(provider.template_on(scenario.weekday) or "")
    seen = set() if template is None else {t for t in template.pattern if t != BLOCKED}
    pools = {pool for pool, members in scenario.provider_pools.items() if provider.name in members}
    for w in scenario.walk_ins:
        if w.provider is None or w.provider == provider.name or w.provider in pools:
            seen |= set(w.mix)
    return seen & set(scenario.visit_types)


def uncovered_steps(scenario: Scenario) -> Found:
    """Steps some patient of a working provider needs that nobody can do, and rooms they need that do not exist."""
    found: dict[tuple, str] = {}
    counts = scenario.clinic.room_counts()
    exam = scenario.clinic.exam_rooms
    for provider in scenario.working_providers():
        for vt in sorted(visit_types_for(scenario, provider)):
            for location, step, _ in walk(scenario.visit_types[vt].steps()):
                for who in step.who:
                    if is_provider(who):
                        continue
                    if not staff_groups_for(scenario, step.step, provider.name, who):
                        doer = "a staff group that serves it" if who == "staff" else "people of that role or group"
                        found.setdefault(
                            _where(scenario, vt, location),
                            f"nobody does {step.step} for {provider.name}'s {vt} visits: add {doer}",
                        )
                if step.room == EXAM and (exam if isinstance(exam, int) else exam.get(provider.name, 0)) < 1:
                    found.setdefault(
                        ("providers", scenario.providers.index(provider), "name"),
                        f"{provider.name} sees {vt} visits, which need a room, but has no exam room",
                    )
                elif step.room not in (None, EXAM) and counts.get(step.room, 0) < 1:
                    found.setdefault(
                        _where(scenario, vt, location, "room"),
                        f"the pathway can never end: there is no {step.room} room (clinic.rooms)",
                    )
    return list(found.items())


def pathway_problems(scenario: Scenario) -> Found:
    """Every problem of the pathways that does not need the day's plan."""
    return _names_and_references(scenario) + _pool_problems(scenario)
