"""The SimPy model of a clinic day: patients walking their pathway through staff, rooms and providers.

Pathway of an in-person visit::

    arrive -> check-in (front desk) -> waiting room -> rooming (exam room, then a medical assistant; the room is
    held from here) -> wait in the room -> provider visit (the patient's provider, in the room) -> room released
    after turnover -> check-out (front desk) -> leave

and the provider documents the visit afterwards (busy, without the room). Steps a visit type switches off are
skipped; a visit that needs no room (telehealth) never takes one.

Duty follows the plan. Staff come on at the start of each shift, take their breaks when the patient in hand
is finished, and at the end of their last shift stay until no patient present still needs them; providers start
each session when they arrive (late starts delay it) and leave a session only when their own patients of that
session are seen. Rooms are open from opening time and close once nobody needs one. All of that overtime is in
the duty record.

The engine replays the patients' pre-drawn attributes, records what happens, and computes no KPI.
"""

from __future__ import annotations

import math

import simpy

from clinicsim.eventlog import Columns, EventLog, Recorder, columns
from clinicsim.patients import Patient, draw_patients
from clinicsim.plan import ANY_PROVIDER, DayPlan
from clinicsim.pools import Demand, ServerPool
from clinicsim.scenario.checks import STAFF_STEPS
from clinicsim.streams import Streams


class ClinicDay:
    """One replication of a planned clinic day, ready to run."""

    def __init__(
        self, plan: DayPlan, patients: list[Patient], late_starts: list[list[float]], replication: int
    ) -> None:
        self.plan = plan
        self.scenario = plan.scenario
        self.patients = patients
        self.late_starts = late_starts
        self.replication = replication
        self.env = simpy.Environment()
        self.providers = ServerPool(self.env, [p.name for p in plan.providers])
        self.staff = ServerPool(self.env, [m.name for m in plan.staff])
        self.rooms = ServerPool(self.env, [r.name for r in plan.rooms])
        self.demand = Demand(self.env)
        self.recorder = Recorder(patients)

    # -- duty ---------------------------------------------------------------------------------------------

    def _wait_until(self, time_min: float):
        if time_min > self.env.now:
            yield self.env.timeout(time_min - self.env.now)

    def _staff_duty(self, server: int):
        member = self.plan.staff[server]
        final_keys = [key for key, servers in self.plan.staff_eligible.items() if server in servers]
        for index, shift in enumerate(member.shifts):
            yield from self._wait_until(shift.start)
            self.staff.go_on(server)
            for pause in shift.breaks:
                yield from self._wait_until(pause.start)
                yield self.staff.go_off(server)
                yield self.env.timeout(pause.duration_min)
                self.staff.go_on(server)
            yield from self._wait_until(shift.end)
            if index == len(member.shifts) - 1:
                yield from self.demand.cleared(final_keys)
            yield self.staff.go_off(server)

    def _room_duty(self, server: int):
        clinic = self.scenario.clinic
        yield from self._wait_until(clinic.opens)
        self.rooms.go_on(server)
        yield from self._wait_until(clinic.closes)
        yield from self.demand.cleared(
            [("exam_room", route) for route, rooms in self.plan.room_eligible.items() if server in rooms]
        )
        yield self.rooms.go_off(server)

    def _provider_duty(self, server: int, last_arrivals: list[float]):
        day = self.plan.providers[server]
        own = ("provider_visit", day.name)
        starts = [s.start + late for s, late in zip(day.sessions, self.late_starts[server])]
        for index, session in enumerate(day.sessions):
            yield from self._wait_until(starts[index])
            self.providers.go_on(server)
            yield from self._wait_until(max(session.end, last_arrivals[index]))
            final = index == len(day.sessions) - 1
            yield from self.demand.cleared([own, ("provider_visit", ANY_PROVIDER)] if final else [own])
            if final or self.env.now < starts[index + 1]:
                yield self.providers.go_off(server)

    def _last_arrivals(self) -> list[list[float]]:
        """Per provider and session: when the last booked patient who will be seen arrives (minutes)."""
        limit = self.scenario.patients.turn_away_if_late_by_min
        last = [[-math.inf] * len(day.sessions) for day in self.plan.providers]
        for p in self.patients:
            if (
                p.source == "booked"
                and p.shows
                and not (limit is not None and p.arrival_min - p.appointment_min > limit)
            ):
                row = last[self.plan.provider_index[p.route]]
                row[p.session] = max(row[p.session], p.arrival_min)
        return last

    # -- the patient pathway ------------------------------------------------------------------------------

    def _take(self, pool: ServerPool, eligible: tuple[int, ...], deadline: float | None):
        """Process body: wait for a server; None if the patient gives up at ``deadline`` first."""
        request = pool.request(eligible)
        if deadline is None or request.triggered:
            return (yield request)
        yield request | self.env.timeout(max(deadline - self.env.now, 0.0))
        if request.triggered:
            return request.value
        pool.cancel(request)
        return None

    def _staff_step(self, p: Patient, step: str, minutes: float, deadline: float | None = None):
        """Process body: queue for a staff member, be served for ``minutes``; False if the patient left."""
        queued = self.env.now
        server = yield from self._take(self.staff, self.plan.staff_eligible[(step, p.route)], deadline)
        if server is None:
            return False
        self.demand.remove((step, p.route))
        start = self.env.now
        yield self.env.timeout(minutes)
        self.staff.release(server)
        self.recorder.step(p.patient, step, queued, start, self.env.now, self.staff.names[server])
        return True

    def _release_later(self, pool: ServerPool, server: int, minutes: float) -> None:
        """Free ``server`` after ``minutes`` (turnover, documentation) without a process of its own."""
        if minutes > 0:
            self.env.timeout(minutes).callbacks.append(lambda _event: pool.release(server))
        else:
            pool.release(server)

    def _provider_visit(self, p: Patient, deadline: float | None):
        """Process body: wait for the provider, the visit, then documentation; False if the patient left."""
        queued = self.env.now
        server = yield from self._take(self.providers, self.plan.provider_eligible[p.route], deadline)
        if server is None:
            return False
        self.demand.remove(("provider_visit", p.route))
        provider = self.plan.providers[server].provider
        visit = self.scenario.visit_types[p.visit_type].durations_min.provider_visit
        start = self.env.now
        yield self.env.timeout(float(visit.from_uniform(p.visit_u)) / provider.speed_factor)
        end = self.env.now
        documentation = float(provider.documentation_min.from_uniform(p.documentation_u))
        self._release_later(self.providers, server, documentation)
        self.recorder.seen_by[p.patient] = provider.name
        self.recorder.step(p.patient, "provider_visit", queued, start, end, provider.name)
        if documentation > 0:
            self.recorder.step(p.patient, "documentation", end, end, end + documentation, provider.name)
        return True

    def _leave_unseen(self, p: Patient, work: list[tuple]) -> None:
        for key in work:
            self.demand.remove(key)
        self.recorder.outcome(p.patient, "left_without_being_seen", self.env.now)

    def _visit(self, p: Patient):
        """Process body: one patient's day at the clinic."""
        yield from self._wait_until(p.arrival_min)
        limit = self.scenario.patients.turn_away_if_late_by_min
        if p.source == "booked" and limit is not None and p.arrival_min - p.appointment_min > limit:
            self.recorder.outcome(p.patient, "turned_away", self.env.now)
            return
        visit_type = self.scenario.visit_types[p.visit_type]
        durations = visit_type.durations_min
        work = [(step, p.route) for step in STAFF_STEPS if getattr(durations, step) is not None]
        work += [("provider_visit", p.route)] + ([("exam_room", p.route)] if visit_type.needs_room else [])
        for key in work:
            self.demand.add(key)
        renege = self.scenario.patients.renege_after_min
        deadline = None if renege is None else p.arrival_min + renege

        if durations.check_in is not None:
            yield from self._staff_step(p, "check_in", p.check_in_min)
            work.remove(("check_in", p.route))
        room = None
        if visit_type.needs_room:
            queued = self.env.now
            room = yield from self._take(self.rooms, self.plan.room_eligible[p.route], deadline)
            if room is None:
                return self._leave_unseen(p, work)
            work.remove(("exam_room", p.route))
            self.demand.remove(("exam_room", p.route))
            room_start = self.env.now
            deadline = None  # roomed patients stay
        if durations.rooming is not None:
            if not (yield from self._staff_step(p, "rooming", p.rooming_min, deadline)):
                return self._leave_unseen(p, work)
            work.remove(("rooming", p.route))
            deadline = None
        if not (yield from self._provider_visit(p, deadline)):
            return self._leave_unseen(p, work)
        if room is not None:
            self._release_later(self.rooms, room, p.turnover_min)
            self.recorder.step(
                p.patient, "exam_room", queued, room_start, self.env.now + p.turnover_min, self.rooms.names[room]
            )
        if durations.check_out is not None:
            yield from self._staff_step(p, "check_out", p.check_out_min)
        self.recorder.outcome(p.patient, "seen", self.env.now)

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
            if p.shows:
                env.process(self._visit(p))
            else:
                self.recorder.outcome(p.patient, "no_show", math.nan)
        env.run()
        for pool in (self.providers, self.staff, self.rooms):
            pool.close()
        return self.recorder.finish(
            replication=self.replication, resources=self._resources(), duty=self._duty(), sessions=self._sessions()
        )

    def _resources(self) -> Columns:
        clinic = self.scenario.clinic
        rows = [
            ("provider", d.name, "providers", sum(s.length_min for s in d.sessions), d.sessions[-1].end)
            for d in self.plan.providers
        ]
        rows += [
            (
                m.role,
                m.name,
                m.group,
                sum(s.length_min - sum(b.duration_min for b in s.breaks) for s in m.shifts),
                m.shifts[-1].end,
            )
            for m in self.plan.staff
        ]
        rows += [
            ("exam_room", r.name, r.owner or "exam rooms", clinic.closes - clinic.opens, clinic.closes)
            for r in self.plan.rooms
        ]
        return columns(rows, ("kind", "resource", "group", "scheduled_min", "scheduled_end_min"))

    def _duty(self) -> Columns:
        pools = (self.providers, self.staff, self.rooms)
        rows = [(pool.names[s], on, off) for pool in pools for s, on, off in pool.duty]
        return columns(rows, ("resource", "on_min", "off_min"))

    def _sessions(self) -> Columns:
        rows = [(day.name, s.start, s.end) for day in self.plan.providers for s in day.sessions]
        return columns(rows, ("provider", "start_min", "end_min"))


def late_starts(plan: DayPlan, streams: Streams) -> list[list[float]]:
    """Each working provider's late start for each session (minutes), from stream ("provider", name, "late_start")."""
    return [
        [
            float(x)
            for x in day.provider.late_start_min.from_uniform(
                streams.uniforms("provider", day.name, "late_start", size=len(day.sessions))
            )
        ]
        for day in plan.providers
    ]


def simulate_day(plan: DayPlan, *, seed: int, replication: int) -> EventLog:
    """Simulate one replication of the planned day and return its event log."""
    streams = Streams(seed, replication)
    return ClinicDay(plan, draw_patients(plan, streams), late_starts(plan, streams), replication).run()
