"""The SimPy model of a clinic day: patients walking their pathway through staff, rooms and providers.

A patient walks the steps of their path (their visit type's pathway, branches chosen up front) one after the
other. Each step first takes its room (unless the patient holds one of that kind), then the people it needs
(staff in the order written, then the provider), then lasts its duration; the people are released at its end (a
provider after documenting, busy without the room) and the room too, after turnover, unless the step keeps it.
A patient may give up (leave without being seen) while waiting for a step that allows it and holding no room.
The default pathway is check-in -> rooming (exam room held from here) -> provider visit -> check-out.

Duty follows the plan. Staff come on at the start of each shift, take their breaks when the patient in hand
is finished, and at the end of their last shift stay until no patient present still needs them; providers start
each session when they arrive (late starts delay it) and leave a session only when their own patients of that
session are seen. Rooms are open from opening time and close once nobody needs one. All of that overtime is in
the duty record.

Things due at the same instant happen in a fixed order: patients arriving at that instant come in first, then
everything else in the order it was scheduled (SimPy's own rule). A request for a free server that would be the
only event of its instant is granted in place, without the event: the result is the same, only faster.

The engine replays the patients' pre-drawn attributes, records what happens, and computes no KPI.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import cast

import simpy
from simpy.events import URGENT

from clinicsim.eventlog import Columns, EventLog, columns
from clinicsim.patients import Patient, draw_patients, uniforms_or_constant
from clinicsim.plan import DayPlan, Itinerary, Leg, PlannedStep
from clinicsim.pools import NOBODY, Demand, Request, ServerPool
from clinicsim.recorder import Recorder
from clinicsim.scenario.vocabulary import DOCUMENTATION, EXAM, room_step, stream_field
from clinicsim.streams import Streams
from clinicsim.work_items import PRIORITY, WorkItem, WorkPlan, items_from_visits, timed_items


class Unserved(Exception):
    """A patient leaves before the provider visit; ``status`` says why."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class _Arrival(simpy.Event):
    """An event ``delay`` minutes from now that fires before the ordinary events of its instant (SimPy's URGENT
    priority, as for a process's start)."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        super().__init__(env)
        self._ok, self._value = True, None  # triggered at once, as simpy.Timeout does
        env.schedule(self, URGENT, delay)


def _granted(server: int) -> int:
    """The server a request was granted, or Unserved when nobody was left to grant it."""
    if server == NOBODY:
        raise Unserved("not_seen_at_close")
    return server


class ClinicDay:
    """One replication of a planned clinic day, ready to run."""

    def __init__(
        self,
        plan: DayPlan,
        patients: list[Patient],
        late_starts: list[list[float]],
        replication: int,
        work: tuple[list[WorkItem], dict[int, list[tuple[float, WorkItem]]]] = ([], {}),
    ) -> None:
        self.plan = plan
        self.scenario = plan.scenario
        self.patients = patients
        self.late_starts = late_starts
        self.replication = replication
        self.env = simpy.Environment()
        # the resources table lists providers, then staff, then rooms: each pool knows where its rows start
        self.providers = ServerPool(self.env, [p.name for p in plan.providers], first_row=0)
        self.staff = ServerPool(self.env, [m.name for m in plan.staff], first_row=len(plan.providers))
        self.rooms = ServerPool(self.env, [r.name for r in plan.rooms], first_row=len(plan.providers) + len(plan.staff))
        self.demand = Demand(self.env)
        self._room_kinds = {kind: (i, room_step(kind)) for i, kind in enumerate(plan.room_kinds)}
        """Each room kind's position in a patient's ``turnover`` and the event-log name of a stay in it."""
        self.timed_work, self.visit_work = work
        """Work items arriving at a rate or in batches; per patient id, the items their visit makes if seen."""
        self.work_plan = WorkPlan(plan)
        self.work_items = len(self.timed_work)
        """Items of the day so far (an item from a visit is numbered when it comes into being)."""
        self.after_hours = [-math.inf] * len(plan.providers)
        """Each provider's after-hours clock: when their after-hours work so far ends."""
        self.left_over: list[WorkItem] = []
        """Items left as backlog at the end of the day, with the stages they still need (for the next day)."""
        self.recorder = Recorder(
            patients,
            self.providers.names + self.staff.names + self.rooms.names,
            step_names=plan.log_steps,
            pathway_steps=tuple(plan.steps),
            pathway_branches=plan.branches,
        )

    # -- duty ---------------------------------------------------------------------------------------------

    def _wait_until(self, time_min: float):
        if time_min > self.env.now:
            yield self.env.timeout(time_min - self.env.now)

    def _staff_duty(self, server: int):
        """A person's shifts and breaks. A shift (or the rest of a shift after a break) that the patient in hand
        pushed past its end is skipped, except the last: whoever is still there then stays if needed."""
        member = self.plan.staff[server]
        for index, shift in enumerate(member.shifts):
            final = index == len(member.shifts) - 1
            yield from self._wait_until(shift.start)
            if self.env.now < shift.end or final:
                self.staff.go_on(server)
            for pause in shift.breaks:
                yield from self._wait_until(pause.start)
                yield self.staff.go_off(server)
                yield self.env.timeout(pause.duration_min)
                if self.env.now < shift.end:
                    self.staff.go_on(server)
            yield from self._wait_until(shift.end)
            if not final:
                yield self.staff.go_off(server)
        yield from self._leave_when_not_needed(self.staff, server, self.plan.staff_work[server])

    def _room_duty(self, server: int):
        clinic = self.scenario.clinic
        yield from self._wait_until(clinic.opens)
        self.rooms.go_on(server)
        yield from self._wait_until(clinic.closes)
        yield from self._leave_when_not_needed(self.rooms, server, self.plan.room_work[server])

    def _provider_duty(self, server: int, last_arrivals: list[float]):
        """A provider's sessions: a session ends once its last booked patient has arrived and the provider's
        waiting patients are seen (including any who came early for the next session); after the last session
        the provider also stays for walk-ins for the first free provider while no colleague is there for them."""
        day = self.plan.providers[server]
        own, work = self.plan.provider_work(server)
        starts = [s.start + late for s, late in zip(day.sessions, self.late_starts[server])]
        for index, session in enumerate(day.sessions):
            yield from self._wait_until(starts[index])
            self.providers.go_on(server)
            yield from self._wait_until(max(session.end, last_arrivals[index]))
            if index < len(day.sessions) - 1:
                yield from self.demand.cleared(own)
                if self.env.now < starts[index + 1]:
                    yield self.providers.go_off(server)
        yield from self._leave_when_not_needed(self.providers, server, work)

    def _needed(self, pool: ServerPool, server: int, work: dict[tuple, tuple[int, ...]]) -> tuple | None:
        """A kind of work still waiting that no other server able to do it is on duty for (and staying); None if
        there is none."""
        on, winding_down, count = pool.on, pool.winding_down, self.demand.count
        for key, servers in work.items():
            if count[key] > 0 and not any(on[o] and not winding_down[o] for o in servers if o != server):
                return key
        return None

    def _leave_when_not_needed(self, pool: ServerPool, server: int, work: dict[tuple, tuple[int, ...]]):
        """Process body: at the end of the day's last shift, session or opening, stay on (overtime) while patients
        in the clinic still need work that nobody else on duty can do, then go off after the patient in hand and
        retire for the day. Someone off duty at that moment (on a break that ran to the end) just retires.

        While staying, the server waits for one needed kind of work to be done (or for a colleague to come on)
        and then looks again: it leaves only once nothing is needed, whichever kind was done last.
        """
        pool.winding_down[server] = True
        while pool.on[server]:
            needed = self._needed(pool, server, work)
            if needed is not None:
                yield self.demand.zero_event(needed) | pool.duty_changed()
                continue
            # after the patient in hand, stay on if someone queued meanwhile whom nobody else can take
            yield pool.go_off(server, unless=lambda: self._needed(pool, server, work) is not None)
        pool.retire(server)

    def _last_arrivals(self) -> list[list[float]]:
        """Per provider and session: when the last booked patient who will be seen arrives (minutes)."""
        last = [[-math.inf] * len(day.sessions) for day in self.plan.providers]
        for p in self.patients:
            if p.source == "booked" and p.shows and not self._too_late(p):
                row = last[self.plan.provider_index[cast(str, p.asked_for)]]  # booked: with their provider
                row[p.session] = max(row[p.session], p.arrival_min)
        return last

    def _too_late(self, p: Patient) -> bool:
        """Whether a booked patient arrives later than the late policy allows."""
        limit = self.scenario.patients.turn_away_if_late_by_min
        return p.source == "booked" and limit is not None and p.arrival_min - p.appointment_min > limit

    # -- the patient pathway ------------------------------------------------------------------------------

    def _ask(self, pool: ServerPool, eligible: tuple[int, ...]) -> int | Request:
        """Ask ``pool`` for a server of ``eligible``: the server itself, taken at once, when one is free and
        nothing else is due at this instant; otherwise a request to wait for (granted through its event, or
        queued).

        Taking at once changes nothing but speed: the granted request would be the only event of the instant,
        so the patient would be resumed next anyway. When other events are due at the same instant (a server
        finishing with a patient), they still come first.
        """
        env = self.env
        if env.peek() > env.now:
            server = pool.take_free(eligible)
            return server if server is not None else pool.queue_for(eligible)
        return pool.request(eligible)

    def _wait(self, request: Request, deadline: float | None):
        """Process body: wait for a request to be granted and return the server's index.

        Raises Unserved if the patient gives up at ``deadline`` first, or if nobody is left to serve them.
        """
        if deadline is not None and not request.triggered:
            yield request | self.env.timeout(max(deadline - self.env.now, 0.0))
            if not request.triggered:
                request.cancel()
                raise Unserved("left_without_being_seen")
        return _granted((yield request))

    def _release_later(self, pool: ServerPool, server: int, minutes: float) -> None:
        """Free ``server`` after ``minutes`` (turnover, documentation) without a process of its own."""
        if minutes > 0:
            self.env.timeout(minutes).callbacks.append(lambda _event: pool.release(server))
        else:
            pool.release(server)

    def _seen_by(self, p: Patient, server: int, work: list[tuple], started: int, itinerary: Itinerary) -> None:
        """The patient's first provider: from now their steps by their own provider are for this one."""
        p.provider = server
        name = self.plan.providers[server].name
        self.recorder.seen_by[p.id] = name
        for position in itinerary.own_positions:
            if position >= started:
                self.demand.remove(work[position])
                work[position] = (work[position][0], name)
                self.demand.add(work[position])

    def _release_room(self, p: Patient, kind: str, held: dict, turnover: bool) -> None:
        room, queued, start = held.pop(kind)
        index, stay = self._room_kinds[kind]
        minutes = p.turnover[index] if turnover else 0.0
        self._release_later(self.rooms, room, minutes)
        self.recorder.step(p.id, stay, queued, start, self.env.now + minutes, self.rooms.first_row + room)

    def _minutes(self, p: Patient, step: PlannedStep, leg: Leg, provider: int, home: int) -> float:
        """Minutes of the speed-scaled step done by ``provider``, not the patient's own: from the patient's uniform
        and the provider's own speed."""
        speed = self.plan.providers[provider].provider.speed_factor
        if home < 0:  # drawn for no provider in particular: the minutes before any speed factor
            return p.minutes[leg.index] / speed
        u = p.uniforms[self.plan.uniform_fields.index(step.name)]
        return float(step.duration.from_uniform(u)) / speed

    def _documentation(self, p: Patient, step: PlannedStep, leg: Leg, provider: int, home: int) -> float:
        """Minutes ``provider`` charts after the step: drawn ahead for the patient's own provider (``home``), else
        from the patient's uniform and the provider's own charting time."""
        if provider == home or (home < 0 and self.plan.shared_charting is not None):
            return p.documentation[leg.index]
        charting = self.plan.providers[provider].provider.documentation_min
        u = p.uniforms[self.plan.uniform_fields.index(stream_field(step.name, "documentation"))]
        return float(charting.from_uniform(u))

    def _arrivals(self):
        """Process body: the front door. Starts each patient's visit at their arrival, in order of arrival.

        One process walks the day's arrivals (rather than a pending event per patient from the start), so a day
        keeps few objects alive; each arrival fires before the ordinary events of its instant, as if every
        patient's arrival had been scheduled first: whoever looks at the clinic at that instant (a provider
        deciding whether to stay) sees the patients who have just come in.
        """
        env = self.env
        for p in sorted((p for p in self.patients if p.shows), key=lambda p: p.arrival_min):
            if p.arrival_min > env.now:
                yield _Arrival(env, p.arrival_min - env.now)
            env.process(self._visit(p))

    def _visit(self, p: Patient):
        """Process body: one patient's day at the clinic (started at the patient's arrival): each step of their
        path in turn. A step first takes its room (unless the patient holds one of that kind), then the people
        it needs, then lasts its duration; the people are released (a provider after charting) and the room too,
        unless kept. A patient who cannot be served (gave up waiting, or nobody is left) leaves; one who has
        already seen a provider then counts as seen.

        The demand keys of the visit (``work``) are started in order, so ``started`` says which are left."""
        if self._too_late(p):
            self.recorder.outcome(p.id, "turned_away", self.env.now)
            return
        itinerary = self.plan.itinerary(p.path, p.asked_for)
        first = itinerary.first_providers
        if first is not None and all(self.providers.retired[s] for s in first):  # everybody has gone home
            self.recorder.outcome(p.id, "not_seen_at_close", self.env.now)
            return
        env, demand, record, ask = self.env, self.demand, self.recorder.step, self._ask
        rooms, staff, providers = self.rooms, self.staff, self.providers
        work = list(itinerary.work)
        for key in work:
            demand.add(key)
        started = 0
        renege = self.scenario.patients.renege_after_min
        deadline = None if renege is None else p.arrival_min + renege
        held: dict[str, tuple[int, float, float]] = {}
        try:
            for step, leg in zip(p.path, itinerary.legs):
                if step.release_room is not None and step.release_room in held:
                    self._release_room(p, step.release_room, held, turnover=True)
                leave_at = None  # the patient may give up waiting while in no room yet
                if (
                    deadline is not None
                    and not held
                    and (step.may_leave if step.may_leave is not None else p.provider < 0)
                ):
                    leave_at = deadline
                room = step.room
                if room is not None and room not in held:
                    queued = env.now
                    server = ask(rooms, leg.rooms)
                    if type(server) is not int:
                        server = yield from self._wait(cast(Request, server), leave_at)
                    demand.remove(work[started])
                    started += 1
                    held[room] = (server, queued, env.now)
                    leave_at = None  # in a room now: the patient stays
                queued = env.now
                servers = []
                provider = -1
                for is_provider, eligible, own in leg.needs:
                    if own and p.provider >= 0:  # the patient's own provider: the one who first saw them
                        eligible = (p.provider,)
                    server = ask(providers if is_provider else staff, eligible)
                    if type(server) is not int:
                        if leave_at is None:  # the common case, without a generator in between
                            server = _granted((yield server))
                        else:
                            server = yield from self._wait(cast(Request, server), leave_at)
                    demand.remove(work[started])
                    started += 1
                    servers.append(server)
                    if is_provider:
                        provider = server
                        if p.provider < 0:
                            self._seen_by(p, server, work, started, itinerary)
                home = itinerary.home
                if provider == home or provider < 0 or not step.scaled:
                    minutes = p.minutes[leg.index]
                else:
                    minutes = self._minutes(p, step, leg, provider, home)
                start = env.now
                yield env.timeout(minutes)
                end, name = env.now, step.name
                if not servers:  # a pure delay
                    record(p.id, name, queued, start, end, -1)
                for need, server in zip(leg.needs, servers):
                    if not need[0]:  # staff
                        staff.release(server)
                        record(p.id, name, queued, start, end, staff.first_row + server)
                if provider >= 0:
                    charting = self._documentation(p, step, leg, provider, home) if step.documents else 0.0
                    self._release_later(providers, provider, charting)
                    record(p.id, name, queued, start, end, provider)
                    if charting > 0:
                        record(p.id, DOCUMENTATION, end, end, end + charting, provider)
                if room is not None and not step.keep_room:
                    self._release_room(p, room, held, turnover=True)
        except Unserved as reason:
            for key in work[started:]:
                demand.remove(key)
            for kind in list(held):
                self._release_room(p, kind, held, turnover=p.provider >= 0)
            self.recorder.outcome(p.id, "seen" if p.provider >= 0 else reason.status, env.now)
            if p.provider >= 0 and p.id in self.visit_work:
                self._make_visit_work(p)
            return
        for kind in list(held):
            self._release_room(p, kind, held, turnover=True)
        self.recorder.outcome(p.id, "seen", env.now)
        if p.id in self.visit_work:
            self._make_visit_work(p)

    # -- work between visits ------------------------------------------------------------------------------

    def _make_visit_work(self, p: Patient) -> None:
        """The items a seen patient's visit makes, each arriving its delay after the patient left, owned (where a
        stage is the provider's) by the provider who saw them."""
        provider = self.plan.providers[p.provider].name
        for delay, item in self.visit_work[p.id]:
            item.id, item.route = self.work_items, provider
            self.work_items += 1
            item.arrival_min = self.env.now + delay
            self.env.process(self._work_item(item, delay))

    def _timed_work(self):
        """Process body: starts each item that arrives at a rate or in a batch, at its arrival."""
        env = self.env
        for item in self.timed_work:
            if item.arrival_min > env.now:
                yield env.timeout(item.arrival_min - env.now)
            env.process(self._work_item(item))

    def _work_item(self, item: WorkItem, delay: float = 0.0):
        """Process body: one item through its stages. Each stage asks its owner's pool at the stream's priority
        (an overdue item moves ahead of patients if the stream says so); the first stage may be dropped after the
        item's patience. A provider's stage nobody is left to do is done after hours (by the item's own provider, or
        by whichever provider who may do it is done first with their after-hours work), or left as backlog."""
        if delay > 0:
            yield self.env.timeout(delay)
        env, stream = self.env, self.work_plan.streams[item.stream]
        clinic = self.scenario.clinic
        due = stream.due_min(item.arrival_min, clinic.opens, clinic.closes)
        first = True
        for stage, minutes in enumerate(item.minutes):
            if math.isnan(minutes):
                continue
            is_provider, eligible = self.work_plan.eligible(item.stream, stage, item.route)
            pool = self.providers if is_provider else self.staff
            queued = env.now
            request = pool.request(eligible, PRIORITY[stream.priority])
            if stream.overdue_first and not request.triggered:
                self._escalate_when_overdue(pool, request, due)
            try:
                patience = item.arrival_min + item.patience_min if first else None
                server = yield from self._wait(request, patience if patience != math.inf else None)
            except Unserved as reason:
                if reason.status == "left_without_being_seen":
                    self._work_row(item, stage, "", queued, math.nan, env.now, due, "abandoned")
                    return
                if not (is_provider and stream.unfinished == "after_hours" and eligible):
                    self._work_row(item, stage, "", queued, math.nan, math.nan, due, "backlog")
                    left = tuple(math.nan if k < stage else m for k, m in enumerate(item.minutes))
                    self.left_over.append(replace(item, minutes=left, patience_min=math.inf))
                    return
                server = min(eligible, key=lambda s: self.after_hours[s])  # whoever is done first with theirs
                start = max(env.now, self.after_hours[server])
                self.after_hours[server] = start + minutes
                name = pool.names[server]
                self._work_row(item, stage, name, queued, start, start + minutes, due, "after_hours")
                first = False
                continue
            first = False
            start = env.now
            yield env.timeout(minutes)
            pool.release(server)
            self._work_row(item, stage, pool.names[server], queued, start, env.now, due, "done")

    def _escalate_when_overdue(self, pool: ServerPool, request: Request, due: float) -> None:
        """At ``due``, move the request ahead of waiting patients if it still waits."""
        overdue = PRIORITY["before_patients"]
        self.env.timeout(max(due - self.env.now, 0.0)).callbacks.append(lambda _: pool.escalate(request, overdue))

    def _work_row(
        self,
        item: WorkItem,
        stage: int,
        resource: str,
        queued: float,
        start: float,
        end: float,
        due: float,
        status: str,
    ) -> None:
        stream = self.work_plan.streams[item.stream].name
        self.recorder.work_rows.append(
            (item.id, stream, stage, resource, item.arrival_min, queued, start, end, due, status)
        )

    # -- running ------------------------------------------------------------------------------------------

    def run(self) -> EventLog:
        """Run the day to its end and return its event log."""
        env = self.env
        last_arrivals = self._last_arrivals()
        for server in range(len(self.plan.providers)):
            env.process(self._provider_duty(server, last_arrivals[server]))
        for server in range(len(self.plan.staff)):
            env.process(self._staff_duty(server))
        for server in range(len(self.plan.rooms)):
            env.process(self._room_duty(server))
        for p in self.patients:
            if not p.shows:
                self.recorder.outcome(p.id, "no_show", math.nan)
        env.process(self._arrivals())
        if self.timed_work:
            env.process(self._timed_work())
        env.run()
        for pool in (self.providers, self.staff, self.rooms):
            pool.close()
        return self.recorder.finish(
            replication=self.replication, resources=self._resources(), duty=self._duty(), schedule=self._schedule()
        )

    def _windows(self) -> list[tuple[str, str, str, list[tuple[float, float, float]]]]:
        """Per resource: kind, name, group and scheduled (start, end, break minutes) windows."""
        clinic = self.scenario.clinic
        rows = [
            ("provider", d.name, "providers", [(s.start, s.end, 0.0) for s in d.sessions]) for d in self.plan.providers
        ]
        rows += [
            (m.role, m.name, m.group, [(s.start, s.end, sum(b.duration_min for b in s.breaks)) for s in m.shifts])
            for m in self.plan.staff
        ]
        rows += [
            (
                room_step(EXAM) if r.kind == EXAM else "room",
                r.name,
                (r.owner or "exam rooms") if r.kind == EXAM else r.kind,
                [(clinic.opens, clinic.closes, 0.0)],
            )
            for r in self.plan.rooms
        ]
        return rows

    def _resources(self) -> Columns:
        rows = [(kind, name, group, sum(e - s - b for s, e, b in w)) for kind, name, group, w in self._windows()]
        return columns(rows, ("kind", "resource", "group", "scheduled_min"))

    def _schedule(self) -> Columns:
        rows = [(name, s, e, b) for _, name, _, windows in self._windows() for s, e, b in windows]
        return columns(rows, ("resource", "start_min", "end_min", "break_min"))

    def _duty(self) -> Columns:
        pools = (self.providers, self.staff, self.rooms)
        rows = [(pool.names[s], on, off) for pool in pools for s, on, off in pool.duty]
        return columns(rows, ("resource", "on_min", "off_min"))


def late_starts(plan: DayPlan, streams: Streams) -> list[list[float]]:
    """Each working provider's late start for each session (minutes), from stream ("provider", name, "late_start")."""
    late = []
    for day in plan.providers:
        dist = day.provider.late_start_min
        u = uniforms_or_constant(streams, ("provider", day.name, "late_start"), len(day.sessions), [dist])
        late.append([float(x) for x in dist.from_uniform(u)])
    return late


@contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for the duration (and restore it as it was).

    A clinic day makes next to no reference cycles (a handful of objects, checked by the tests): everything it
    allocates is freed by reference counting as the day ends. But it keeps thousands of objects alive at once
    (patients, processes, events), and while the collector runs they get promoted into its oldest generation
    and set off full collections that traverse every object in the process: a quarter of the time of a
    128-provider day. Anything a day does leave in a cycle is collected once the collector resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


MINUTES_PER_DAY = 24 * 60


def simulate_day(plan: DayPlan, *, seed: int, replication: int) -> EventLog:
    """Simulate one replication of the planned day and return its event log."""
    with _cyclic_gc_paused():
        return _ready_day(plan, seed=seed, replication=replication).run()


def _ready_day(plan: DayPlan, *, seed: int, replication: int, carried: Sequence[WorkItem] = ()) -> ClinicDay:
    """One replication of the planned day, ready to run, with work items ``carried`` in from an earlier day first."""
    streams = Streams(seed, replication)
    patients = draw_patients(plan, streams)
    work: tuple[list[WorkItem], dict] = ([], {})
    if plan.scenario.work:
        timed = [*carried, *timed_items(plan, streams)]
        for number, item in enumerate(timed):
            item.id = number
        work = (timed, items_from_visits(plan, streams, patients))
    return ClinicDay(plan, patients, late_starts(plan, streams), replication, work)


def simulate_days_in_sequence(days: Sequence[tuple[DayPlan, int, int]], *, replication: int) -> list[EventLog]:
    """Simulate clinic days one after the other, each given as (plan, seed, days since the day before), carrying
    the work left as backlog at each day's close into the next, where it waits from opening with the stages it
    still needs (its arrival and due times moved back by the days in between, so its response time spans them)."""
    logs: list[EventLog] = []
    carried: list[WorkItem] = []
    with _cyclic_gc_paused():
        for plan, seed, gap_days in days:
            for item in carried:
                item.arrival_min -= gap_days * MINUTES_PER_DAY
            day = _ready_day(plan, seed=seed, replication=replication, carried=carried)
            logs.append(day.run())
            carried = day.left_over
    return logs
