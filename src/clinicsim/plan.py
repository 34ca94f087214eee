"""The plan of a clinic day: who works when, which appointments are booked, who may serve whom.

A pure expansion of the scenario (no randomness, no SimPy): each working provider's template becomes concrete
appointments, each staff group becomes named people with shifts, the exam rooms become named rooms, and for
every kind of work (a step for a provider's patient) the plan lists the people or rooms that may do it, in the
order they are preferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np

from clinicsim.scenario.model import Interval, Provider, Scenario, Shift
from clinicsim.scenario.vocabulary import STAFF_STEPS, exam_rooms, staff_groups_for, staff_member_names
from clinicsim.templates import Appointment, expand_template

ANY_PROVIDER = None
"""Routing key of walk-ins seen by the first free provider."""


@dataclass(frozen=True)
class ProviderDay:
    """A working provider's day: their scheduled sessions and booked appointments."""

    provider: Provider
    sessions: tuple[Interval, ...]
    appointments: tuple[Appointment, ...]

    @property
    def name(self) -> str:
        return self.provider.name


@dataclass(frozen=True)
class StaffMember:
    """One person of a staff group."""

    name: str
    group: str
    role: str
    shifts: tuple[Shift, ...]


@dataclass(frozen=True)
class ExamRoom:
    """One exam room; ``owner`` is the provider it is dedicated to, or None when pooled."""

    name: str
    owner: str | None


@dataclass(frozen=True)
class Bookings:
    """Every booked appointment of the day as columns, provider by provider, then in booking order."""

    provider: list[str]
    ordinal: list[int]
    """Position among the provider's appointments of the day (0 for the first)."""
    visit_type: list[str]
    booking: list[str]
    session: list[int]
    appointment_min: np.ndarray
    p_no_show: np.ndarray
    """Each appointment's no-show probability (its visit type's)."""
    per_provider: list[int]
    """Appointments of each working provider, in the order of ``DayPlan.providers``."""


@dataclass(frozen=True)
class DayPlan:
    """Everything about the day that is known before any random draw."""

    scenario: Scenario
    providers: tuple[ProviderDay, ...]
    staff: tuple[StaffMember, ...]
    rooms: tuple[ExamRoom, ...]

    @cached_property
    def provider_index(self) -> dict[str, int]:
        """Position of each working provider by name."""
        return {p.name: i for i, p in enumerate(self.providers)}

    @cached_property
    def staff_eligible(self) -> dict[tuple[str, str | None], tuple[int, ...]]:
        """Staff members (indices) who may do each (step, provider) work, in order of preference."""
        eligible = {}
        for route in [p.name for p in self.providers] + [ANY_PROVIDER]:
            for step in STAFF_STEPS:
                groups = [g.name for g in staff_groups_for(self.scenario, step, route)]
                eligible[(step, route)] = tuple(i for g in groups for i, m in enumerate(self.staff) if m.group == g)
        return eligible

    @cached_property
    def room_eligible(self) -> dict[str | None, tuple[int, ...]]:
        """Exam rooms (indices) each provider's patients may use; ``None``: walk-ins for any provider."""
        eligible: dict[str | None, tuple[int, ...]] = {
            ANY_PROVIDER: tuple(i for i, r in enumerate(self.rooms) if r.owner is None)
        }
        for p in self.providers:
            eligible[p.name] = tuple(i for i, r in enumerate(self.rooms) if r.owner in (None, p.name))
        return eligible

    @cached_property
    def staff_work(self) -> list[dict[tuple[str, str | None], tuple[int, ...]]]:
        """Per staff member: every kind of work (step, provider) they may do, with who else may do it."""
        work: list[dict] = [{} for _ in self.staff]
        for key, servers in self.staff_eligible.items():
            for server in servers:
                work[server][key] = servers
        return work

    @cached_property
    def room_work(self) -> list[dict[tuple[str, str | None], tuple[int, ...]]]:
        """Per exam room: the patients' routes (as ("exam_room", route) work) it may serve, with the other rooms."""
        work: list[dict] = [{} for _ in self.rooms]
        for route, rooms in self.room_eligible.items():
            for room in rooms:
                work[room][("exam_room", route)] = rooms
        return work

    @cached_property
    def bookings(self) -> Bookings:
        """The day's appointments as columns (built once per plan, used by every replication)."""
        booked = [(day.name, k, a) for day in self.providers for k, a in enumerate(day.appointments)]
        visit_types = [a.visit_type for _, _, a in booked]
        return Bookings(
            provider=[name for name, _, _ in booked],
            ordinal=[k for _, k, _ in booked],
            visit_type=visit_types,
            booking=[a.booking for _, _, a in booked],
            session=[a.session for _, _, a in booked],
            appointment_min=np.array([a.time_min for _, _, a in booked], dtype=float),
            p_no_show=np.array([self.scenario.visit_types[vt].p_no_show for vt in visit_types], dtype=float),
            per_provider=[len(day.appointments) for day in self.providers],
        )

    @cached_property
    def provider_eligible(self) -> dict[str | None, tuple[int, ...]]:
        """Providers (indices) who may see a patient routed to each provider, or to the first free one."""
        eligible: dict[str | None, tuple[int, ...]] = {ANY_PROVIDER: tuple(range(len(self.providers)))}
        eligible.update({p.name: (i,) for i, p in enumerate(self.providers)})
        return eligible


def _staff_members(scenario: Scenario) -> tuple[StaffMember, ...]:
    return tuple(
        StaffMember(name=name, group=group.name, role=group.role, shifts=tuple(group.shifts))
        for group in scenario.staff
        for name in staff_member_names(group)
    )


def _exam_rooms(scenario: Scenario) -> tuple[ExamRoom, ...]:
    return tuple(ExamRoom(name=name, owner=owner) for name, owner in exam_rooms(scenario))


def plan_day(scenario: Scenario) -> DayPlan:
    """Expand a scenario into the plan of its simulated weekday."""
    providers = []
    for provider in scenario.working_providers():
        template = scenario.templates[cast(str, provider.template_on(scenario.weekday))]  # working: has one
        appointments = expand_template(template, scenario.visit_types)
        providers.append(
            ProviderDay(provider=provider, sessions=tuple(template.sessions), appointments=tuple(appointments))
        )
    return DayPlan(
        scenario=scenario, providers=tuple(providers), staff=_staff_members(scenario), rooms=_exam_rooms(scenario)
    )
