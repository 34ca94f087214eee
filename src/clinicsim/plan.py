"""The plan of a clinic day: who works when, which appointments are booked, who may serve whom.

A pure expansion of the scenario (no randomness, no SimPy): each working provider's template becomes concrete
appointments, each staff group becomes named people with shifts, the rooms become named rooms, each visit
type's pathway becomes planned steps, and for every kind of work (a step's need for a provider's or pool's
patient) the plan lists the people or rooms that may do it, in the order they are preferred.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, cast

import numpy as np

from clinicsim.distributions import Distribution
from clinicsim.scenario.model import Interval, Provider, Scenario, Shift
from clinicsim.scenario.pathway import ByPool, Choice, Step, is_provider
from clinicsim.scenario.vocabulary import (
    EXAM,
    all_rooms,
    room_step,
    staff_groups_for,
    staff_member_names,
    stream_field,
)
from clinicsim.templates import Appointment, expand_template

ANY_PROVIDER = None
"""Routing key of walk-ins seen by the first free provider."""

Route = str | None
"""Who a patient is for: a provider's name, a provider pool's name, or ANY_PROVIDER."""


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
class Room:
    """One room: its kind (``exam``, ``x_ray``, ...) and ``owner``, the provider it is dedicated to (None: shared)."""

    name: str
    kind: str
    owner: str | None


@dataclass(frozen=True, slots=True)
class Need:
    """Someone a step needs: a provider (``who`` is ``provider`` or a pool) or staff (``staff``, a role, a group).
    ``key`` names the work in the demand counts: the step's name, with ``/k`` for the k-th further person."""

    key: str
    provider: bool
    who: Any


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """A step of a pathway, ready for the engine."""

    name: str
    needs: tuple[Need, ...]
    """Staff in the order written, then the provider (who thus waits least for the others)."""
    duration: Distribution
    room: str | None
    keep_room: bool
    release_room: str | None
    scaled: bool
    """The provider's speed factor divides the duration."""
    documents: bool
    may_leave: bool | None
    p: float


def plan_step(step: Step) -> PlannedStep:
    needs = [Need(step.step if k == 0 else f"{step.step}/{k}", is_provider(w), w) for k, w in enumerate(step.who)]
    return PlannedStep(
        name=step.step,
        needs=tuple(sorted(needs, key=lambda need: need.provider)),  # staff as written, then the provider
        duration=step.duration_min,
        room=step.room,
        keep_room=step.keep_room,
        release_room=step.release_room,
        scaled=step.by_provider if step.speed_scaled is None else step.speed_scaled,
        documents=step.by_provider if step.documentation is None else step.documentation,
        may_leave=step.may_leave,
        p=step.p,
    )


@dataclass(frozen=True)
class VisitPathway:
    """A visit type's pathway as planned steps and branches, and every path a patient may take through it."""

    items: tuple
    """PlannedStep, or (choice name, ((option name, p, items), ...)) for a branch."""
    _paths: dict = field(default_factory=dict, compare=False, repr=False)
    """Each path made so far, by (options chosen, steps skipped): one object per path for the plan's life."""

    @cached_property
    def steps(self) -> tuple[PlannedStep, ...]:
        """Every step of every option, each name once, in pathway order."""
        found: dict[str, PlannedStep] = {}
        for item in _every_item(self.items):
            if isinstance(item, PlannedStep):
                found.setdefault(item.name, item)
        return tuple(found.values())

    @cached_property
    def choices(self) -> tuple[tuple[str, tuple[str, ...], tuple[float, ...]], ...]:
        """Every branch, each name once: (name, option names, probabilities), in pathway order."""
        found: dict[str, tuple] = {}
        for item in _every_item(self.items):
            if not isinstance(item, PlannedStep):
                name, options = item
                found.setdefault(name, (name, tuple(o[0] for o in options), tuple(o[1] for o in options)))
        return tuple(found.values())

    @cached_property
    def optional(self) -> tuple[str, ...]:
        """Steps that happen with a probability below 1."""
        return tuple(s.name for s in self.steps if s.p < 1)

    @cached_property
    def fixed(self) -> tuple[PlannedStep, ...] | None:
        """The one path of a pathway without branches or optional steps; None otherwise."""
        return None if self.choices or self.optional else self.path({}, frozenset())[0]

    def path(self, chosen: dict[str, str], skipped: frozenset[str]) -> tuple[tuple[PlannedStep, ...], tuple]:
        """The steps of a patient who takes option ``chosen[name]`` at each branch and skips the ``skipped``, and
        the (branch, option) of each branch they pass (made once, then the same objects)."""
        key = (tuple(chosen.items()), skipped)
        found = self._paths.get(key)
        if found is None:
            found = self._paths[key] = self._walk(chosen, skipped)
        return found

    def _walk(self, chosen: dict[str, str], skipped: frozenset[str]) -> tuple[tuple[PlannedStep, ...], tuple]:
        """(A loop over a stack, not a recursive closure: a day pauses the cyclic garbage collector, and a closure
        that calls itself would leave a reference cycle per path made.)"""
        out: list[PlannedStep] = []
        passed: list[tuple[str, str]] = []
        stack = [iter(self.items)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, PlannedStep):
                if item.name not in skipped:
                    out.append(item)
            else:
                name, options = item
                passed.append((name, chosen[name]))
                stack.append(iter(next(steps for option, _, steps in options if option == chosen[name])))
        return tuple(out), tuple(passed)


def _every_item(items: tuple) -> list:
    """Every step and branch of planned items, the options' own included, in pathway order."""
    out: list = []
    for item in items:
        out.append(item)
        if not isinstance(item, PlannedStep):
            for _, _, option in item[1]:
                out += _every_item(option)
    return out


def _plan_items(items: list) -> tuple:
    planned: list = []
    for item in items:
        if isinstance(item, Choice):
            options = tuple((name, o.p, _plan_items(o.steps)) for name, o in item.options.items())
            planned.append((item.choose, options))
        else:
            planned.append(plan_step(item))
    return tuple(planned)


@dataclass(frozen=True, slots=True)
class Leg:
    """A step of a path resolved for a route: each need as (by a provider, servers eligible in order, re-targeted
    to the patient's own provider once known), and the rooms eligible for the step's room."""

    needs: tuple[tuple[bool, tuple[int, ...], bool], ...]
    rooms: tuple[int, ...]
    index: int
    """The step's position in the patient's ``minutes`` and ``documentation``."""


@dataclass(frozen=True)
class Itinerary:
    """A path resolved for a route: what the engine looks up for every patient who takes it."""

    legs: tuple[Leg, ...]
    work: tuple[tuple, ...]
    """The demand keys of every room taken and every need, in the order the visit starts them."""
    own_positions: tuple[int, ...]
    """Where ``work`` holds the steps by the patient's own provider, re-targeted when a provider first sees them."""
    first_providers: tuple[int, ...] | None
    """The providers who could do the path's first provider step (None: no provider step)."""
    home: int
    """The provider whose speed and charting the patient's times were drawn for (-1: none)."""

    @classmethod
    def of(cls, plan: DayPlan, path: tuple[PlannedStep, ...], route: Route) -> Itinerary:
        legs, work, own_positions, held = [], [], [], set()
        for step in path:
            held.discard(step.release_room)
            rooms: tuple[int, ...] = ()
            if step.room is not None:
                rooms = plan.room_eligible[(step.room, route)]
                if step.room not in held:
                    work.append((room_step(step.room), route))
            (held.add if step.keep_room else held.discard)(step.room)
            needs = []
            for need in step.needs:
                if need.provider:
                    target = plan.provider_target(need, route)
                    key, eligible = (need.key, target), plan.provider_eligible[target]
                    own = need.who == "provider"
                    if own:
                        own_positions.append(len(work))
                else:
                    key, own = (need.key, route), False
                    eligible = plan.staff_eligible[key]
                needs.append((need.provider, eligible, own))
                work.append(key)
            legs.append(Leg(tuple(needs), rooms, plan.step_index[step.name]))
        first = next((n for leg in legs for n in leg.needs if n[0]), None)
        return cls(
            legs=tuple(legs),
            work=tuple(work),
            own_positions=tuple(own_positions),
            first_providers=None if first is None else first[1],
            home=plan.provider_index.get(cast(str, route), -1),
        )


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
    rooms: tuple[Room, ...]

    @cached_property
    def provider_index(self) -> dict[str, int]:
        """Position of each working provider by name."""
        return {p.name: i for i, p in enumerate(self.providers)}

    @cached_property
    def pathways(self) -> dict[str, VisitPathway]:
        """Each visit type's planned pathway."""
        return {name: VisitPathway(_plan_items(vt.steps())) for name, vt in self.scenario.visit_types.items()}

    @cached_property
    def steps(self) -> dict[str, PlannedStep]:
        """Every step of every pathway by name (a step's name means the same work everywhere), in the order
        first met."""
        found: dict[str, PlannedStep] = {}
        for pathway in self.pathways.values():
            for step in pathway.steps:
                found.setdefault(step.name, step)
        return found

    @cached_property
    def _itineraries(self) -> dict[tuple[int, Route], Itinerary]:
        return {}

    def itinerary(self, path: tuple[PlannedStep, ...], route: Route) -> Itinerary:
        """A path (one the pathways made: they keep it) resolved for a route, built once for the plan's life."""
        key = (id(path), route)
        found = self._itineraries.get(key)
        if found is None:
            found = self._itineraries[key] = Itinerary.of(self, path, route)
        return found

    @cached_property
    def shared_charting(self) -> Distribution | None:
        """The charting time (``documentation_min``) of every working provider when they all share it, else None:
        then a patient who asks for no provider in particular has their charting drawn ahead too."""
        charting = {day.provider.documentation_min for day in self.providers}
        return next(iter(charting)) if len(charting) == 1 else None

    @cached_property
    def durations(self) -> dict[tuple[str, str], Distribution]:
        """The duration of each (visit type, step) the visit type's pathway has."""
        return {(vt, step.name): step.duration for vt, pathway in self.pathways.items() for step in pathway.steps}

    @cached_property
    def step_index(self) -> dict[str, int]:
        """Position of each step in ``steps``: where a patient's ``minutes`` and ``documentation`` hold it."""
        return {name: i for i, name in enumerate(self.steps)}

    @cached_property
    def uniform_fields(self) -> tuple[str, ...]:
        """The streams whose uniforms a patient keeps (``Patient.uniforms``, in this order): each speed-scaled
        step's duration and each documented step's charting, for a provider other than their own."""
        fields = [name for name, step in self.steps.items() if step.scaled]
        return (*fields, *(stream_field(name, "documentation") for name, step in self.steps.items() if step.documents))

    @cached_property
    def room_kinds(self) -> tuple[str, ...]:
        """Every room kind: exam, then the others (the order of ``Patient.turnover``)."""
        return (EXAM, *self.scenario.clinic.room_counts())

    @cached_property
    def branches(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every branch of every pathway with its options, each branch once."""
        found: dict[str, tuple[str, ...]] = {}
        for pathway in self.pathways.values():
            for name, options, _ in pathway.choices:
                found.setdefault(name, options)
        return tuple(found.items())

    @cached_property
    def log_steps(self) -> tuple[str, ...]:
        """Names of the event log's steps: the first version's, then this scenario's other steps and room stays."""
        names = ["check_in", "rooming", room_step(EXAM), "provider_visit", "documentation", "check_out"]
        names += [name for name in self.steps if name not in names]
        names += [room_step(kind) for kind in self.scenario.clinic.room_counts() if room_step(kind) not in names]
        return tuple(names)

    @cached_property
    def routes(self) -> list[Route]:
        """Everyone a patient may be for: each working provider, each pool, and the first free provider."""
        return [p.name for p in self.providers] + list(self.scenario.provider_pools) + [ANY_PROVIDER]

    @cached_property
    def pool_members(self) -> dict[Route, tuple[int, ...]]:
        """Working providers (indices) of each pool, and of ANY_PROVIDER (everyone)."""
        members: dict[Route, tuple[int, ...]] = {ANY_PROVIDER: tuple(range(len(self.providers)))}
        for pool, names in self.scenario.provider_pools.items():
            members[pool] = tuple(self.provider_index[n] for n in names if n in self.provider_index)
        return members

    @cached_property
    def provider_eligible(self) -> dict[Route, tuple[int, ...]]:
        """Providers (indices) who may see a patient routed to each provider, pool, or the first free one."""
        eligible = dict(self.pool_members)
        eligible.update({p.name: (i,) for i, p in enumerate(self.providers)})
        return eligible

    def provider_target(self, need: Need, route: Route) -> Route:
        """Whose providers a need asks for: its pool, or the patient's own route."""
        return need.who.pool if isinstance(need.who, ByPool) else route

    @cached_property
    def staff_needs(self) -> dict[str, Need]:
        """Every need of a step done by staff, by key, in the order first met."""
        return {n.key: n for step in self.steps.values() for n in step.needs if not n.provider}

    @cached_property
    def provider_needs(self) -> tuple[str, ...]:
        """Keys of every need of a step done by a provider, in the order first met."""
        return tuple(n.key for step in self.steps.values() for n in step.needs if n.provider)

    @cached_property
    def staff_eligible(self) -> dict[tuple[str, Route], tuple[int, ...]]:
        """Staff members (indices) who may meet each (need, route) work, in order of preference."""
        eligible = {}
        for route in self.routes:
            for key, need in self.staff_needs.items():
                step = key.split("/")[0]
                groups = [g.name for g in staff_groups_for(self.scenario, step, route, need.who)]
                eligible[(key, route)] = tuple(i for g in groups for i, m in enumerate(self.staff) if m.group == g)
        return eligible

    @cached_property
    def room_eligible(self) -> dict[tuple[str, Route], tuple[int, ...]]:
        """Rooms (indices) of each kind that each route's patients may use: exam rooms shared or dedicated to
        the patient's provider; rooms of the other kinds are shared."""
        eligible: dict[tuple[str, Route], tuple[int, ...]] = {}
        kinds = [EXAM, *self.scenario.clinic.room_counts()]
        order = [ANY_PROVIDER] + [p.name for p in self.providers] + list(self.scenario.provider_pools)
        for kind in kinds:
            for route in order:
                owners = (None, route) if route in self.provider_index else (None,)
                eligible[(kind, route)] = tuple(
                    i for i, r in enumerate(self.rooms) if r.kind == kind and r.owner in owners
                )
        return eligible

    @cached_property
    def staff_work(self) -> list[dict[tuple[str, Route], tuple[int, ...]]]:
        """Per staff member: every kind of work (need, route) they may do, with who else may do it."""
        work: list[dict] = [{} for _ in self.staff]
        for key, servers in self.staff_eligible.items():
            for server in servers:
                work[server][key] = servers
        return work

    @cached_property
    def room_work(self) -> list[dict[tuple[str, Route], tuple[int, ...]]]:
        """Per room: the patients' routes (as (room stay, route) work) it may serve, with the other rooms."""
        work: list[dict] = [{} for _ in self.rooms]
        for (kind, route), rooms in self.room_eligible.items():
            for room in rooms:
                work[room][(room_step(kind), route)] = rooms
        return work

    def provider_work(self, server: int) -> tuple[list[tuple], dict[tuple, tuple[int, ...]]]:
        """A provider's own work (their own patients' provider steps) and all the work they may do (with the
        providers who may also do it): their own, their pools', and that of walk-ins for anyone."""
        name = self.providers[server].name
        own = [(key, name) for key in self.provider_needs]
        work: dict[tuple, tuple[int, ...]] = {key: (server,) for key in own}
        for route, members in self.pool_members.items():
            if route is not ANY_PROVIDER and server in members:
                work.update({(key, route): members for key in self.provider_needs})
        work.update({(key, ANY_PROVIDER): self.pool_members[ANY_PROVIDER] for key in self.provider_needs})
        return own, work

    def with_appointments(self, appointments: Mapping[str, Sequence[Appointment]]) -> DayPlan:
        """The same day with other appointments booked (each working provider's, by name; none if not given), as
        the booking model fills it. Everything else planned is shared with this plan, not planned again."""
        for name, value in vars(DayPlan).items():  # planned here once, not again for every day's copy
            if isinstance(value, cached_property) and name != "bookings":
                getattr(self, name)
        providers = tuple(replace(day, appointments=tuple(appointments.get(day.name, ()))) for day in self.providers)
        other = replace(self, providers=providers)
        other.__dict__.update({k: v for k, v in self.__dict__.items() if k != "bookings" and k not in _FIELDS})
        return other

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
            p_no_show=np.array(
                [
                    self.scenario.visit_types[a.visit_type].p_no_show if a.p_no_show is None else a.p_no_show
                    for _, _, a in booked
                ],
                dtype=float,
            ),  # fmt: skip
            per_provider=[len(day.appointments) for day in self.providers],
        )


_FIELDS = {f.name for f in fields(DayPlan)}
"""A DayPlan's own fields; the rest of its ``__dict__`` is what its cached properties computed."""


def _staff_members(scenario: Scenario) -> tuple[StaffMember, ...]:
    return tuple(
        StaffMember(name=name, group=group.name, role=group.role, shifts=tuple(group.shifts))
        for group in scenario.staff
        for name in staff_member_names(group)
    )


def plan_day(scenario: Scenario) -> DayPlan:
    """Expand a scenario into the plan of its simulated weekday (its ``weekday_changes`` for that day made)."""
    scenario = scenario.on_weekday()
    providers = []
    for provider in scenario.working_providers():
        template = scenario.templates[cast(str, provider.template_on(scenario.weekday))]  # working: has one
        appointments = expand_template(template, scenario.visit_types)
        providers.append(
            ProviderDay(provider=provider, sessions=tuple(template.sessions), appointments=tuple(appointments))
        )
    rooms = tuple(Room(name=name, kind=kind, owner=owner) for name, kind, owner in all_rooms(scenario))
    return DayPlan(scenario=scenario, providers=tuple(providers), staff=_staff_members(scenario), rooms=rooms)
