"""Checks that span several parts of a scenario: names that refer to each other, and work nobody can do.

Each problem is reported at the exact place in the file that causes it (``providers.1.template``), so the
error message can point at the line.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from clinicsim.scenario.access_checks import access_problems
from clinicsim.scenario.pathway import walk
from clinicsim.scenario.pathway_checks import pathway_problems, uncovered_steps
from clinicsim.scenario.plausibility import size_problems, template_problems
from clinicsim.scenario.vocabulary import BLOCKED, EXAM, all_rooms, format_clock, slot_times, staff_member_names

if TYPE_CHECKING:
    from clinicsim.scenario.model import Scenario


def _unknown(kind: str, name: str, known) -> str:
    return f"unknown {kind} {name!r} (known: {', '.join(sorted(known)) or 'none'})"


def _name_clashes(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Providers, staff members and rooms must all have different names (they label the event log)."""
    rooms = [name for name, _, _ in all_rooms(scenario)]
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
        for name in w.mix:
            if name not in visit_types:
                where = ("walk_ins", i, "visit_type", *(() if isinstance(w.visit_type, str) else (name,)))
                problems.append((where, _unknown("visit type", name, visit_types)))
        if w.provider is not None and w.provider not in providers and w.provider not in scenario.provider_pools:
            known = [*providers, *scenario.provider_pools]
            problems.append((("walk_ins", i, "provider"), _unknown("provider or provider pool", w.provider, known)))
        if (
            (w.provider is None or w.provider in scenario.provider_pools)
            and isinstance(scenario.clinic.exam_rooms, dict)
            and any(name in visit_types and _needs_exam_room(scenario, name) for name in w.mix)
        ):
            problems.append(
                (
                    ("walk_ins", i, "provider"),
                    "walk-ins for the first free provider (or a pool) need a shared room pool; name a provider or "
                    "pool the rooms",
                )
            )

    problems += pathway_problems(scenario)
    problems += _work_problems(scenario)
    problems += access_problems(scenario)
    problems += _finance_problems(scenario)
    problems += template_problems(scenario)
    if problems:
        return problems
    problems += size_problems(scenario)
    if problems:
        return problems
    problems.extend(_uncovered_work(scenario))
    return problems or _weekday_problems(scenario)


def _weekday_problems(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Weekdays whose ``weekday_changes`` make no valid clinic day, each problem at the change that causes it (else
    at the weekday's changes). A weekday that differs only by its templates is checked when it is simulated: a
    clinic that only ever runs its Monday file need not staff a Tuesday."""
    from clinicsim.scenario.problems import ScenarioError

    if _CHECKING_A_WEEKDAY.get():  # this is another weekday's scenario, being checked: its own day is enough
        return []
    problems: list[tuple[tuple, str]] = []
    for weekday, changes in scenario.weekday_changes.items():
        token = _CHECKING_A_WEEKDAY.set(True)
        try:
            scenario.on_weekday(weekday)
        except ScenarioError as error:
            for problem in error.problems:
                key = next((k for k in changes if problem.field.startswith(_section(k))), None)
                where = ("weekday_changes", weekday, key) if key else ("weekday_changes", weekday)
                problems.append((where, f"on {weekday}, {problem.field}: {problem.message}"))
        finally:
            _CHECKING_A_WEEKDAY.reset(token)
    return problems


_CHECKING_A_WEEKDAY: ContextVar[bool] = ContextVar("checking_a_weekday", default=False)


def _section(dotted: str) -> str:
    """The section a change is in: validation errors name positions, not the names a change may use, so a problem
    is matched to its change by section."""
    return dotted.split(".")[0].removesuffix("+")


def _work_problems(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Work streams whose names clash, whose visits are unknown, or whose owners do not exist or never work."""
    problems: list[tuple[tuple, str]] = []
    names: set[str] = set()
    roles = {g.role for g in scenario.staff}
    groups = {g.name for g in scenario.staff}
    for i, stream in enumerate(scenario.work):
        if stream.name in names:
            problems.append((("work", i, "name"), f"work stream name {stream.name!r} is used twice"))
        names.add(stream.name)
        if stream.from_visits is not None:
            for j, visit_type in enumerate(stream.from_visits.visit_types):
                if visit_type not in scenario.visit_types:
                    where = ("work", i, "from_visits", "visit_types", j)
                    problems.append((where, _unknown("visit type", visit_type, scenario.visit_types)))
        for k, stage in enumerate(stream.stages):
            problems += [
                (("work", i, "stages", k, "by"), m) for m in _owner_problems(scenario, stage.by, roles, groups)
            ]
    return problems


def _owner_problems(scenario: Scenario, who, roles: set[str], groups: set[str]) -> list[str]:
    """What is wrong with a work stage's owner: unknown, or nobody of it works on the scenario's weekday."""
    pool, role, group = getattr(who, "pool", None), getattr(who, "role", None), getattr(who, "group", None)
    if pool is not None:
        if pool not in scenario.provider_pools:
            return [_unknown("provider pool", pool, scenario.provider_pools)]
        working = {p.name for p in scenario.working_providers()}
        if not working & set(scenario.provider_pools[pool]):
            return [f"no provider of the pool {pool!r} works on {scenario.weekday}"]
    if role is not None and role not in roles:
        return [_unknown("staff role", role, roles)]
    if group is not None and group not in groups:
        return [_unknown("staff group", group, groups)]
    return []


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


def _needs_exam_room(scenario: Scenario, visit_type: str) -> bool:
    return any(step.room == EXAM for _, step, _ in walk(scenario.visit_types[visit_type].steps()))


def _uncovered_work(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Steps that some patient needs but nobody does, and rooms they need that do not exist."""
    if not scenario.working_providers():
        return [(("weekday",), f"no provider has a template on {scenario.weekday}")]
    return uncovered_steps(scenario)


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
