"""Servers that patients queue for: people on shifts, providers in sessions, exam rooms.

SimPy's own ``Resource`` has one capacity for the whole day and cannot say *which* server a patient gets. A
``ServerPool`` holds named servers, each on or off duty, and one first-come-first-served queue of requests.
Each request lists the servers that may take it, in order of preference (a provider's own medical assistant
before the pool; a provider's dedicated rooms). A server going off duty (end of shift, a break) first finishes
the patient in hand: it never interrupts service. A server done for the day is retired; a request that only
retired servers could take is answered at once with ``NOBODY``, so no patient waits for someone who has gone
home. The pool records each server's on-duty intervals, which is what utilization is measured against.

``Demand`` counts, for each kind of work, the patients in the clinic who will still need it, so that the last
people on duty can stay until that work is done (the overtime a clinic really pays).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable

import simpy

NOBODY = -1
"""The value of a request that no server will ever take: all the servers it may use are done for the day."""


class Request(simpy.Event):
    """A request for one server of a pool (a patient's, or a work item's); its value is the granted server's
    index."""

    __slots__ = ("eligible", "members", "queue", "priority")

    def __init__(
        self, env: simpy.Environment, eligible: tuple[int, ...], members: frozenset[int], queue: list, priority: int
    ) -> None:
        super().__init__(env)
        self.eligible = eligible
        self.members = members
        self.queue = queue
        """The pool's queue, where the request waits until granted."""
        self.priority = priority
        """Lower goes first; first come, first served within a priority. Patients are 0."""

    def cancel(self) -> None:
        """Withdraw the request if it still waits (a patient who gives up)."""
        if not self.triggered and self in self.queue:
            self.queue.remove(self)


class ServerPool:
    """Servers with duty periods and a FIFO queue of requests, each naming the servers it may use."""

    def __init__(self, env: simpy.Environment, names: list[str], *, on_duty: bool = False, first_row: int = 0) -> None:
        self.env = env
        self.names = names
        self.first_row = first_row
        """Row of the first server in the event log's resources table (server k is row ``first_row + k``)."""
        self.on = [on_duty] * len(names)
        self.busy = [False] * len(names)
        self.retired = [False] * len(names)
        self.winding_down = [False] * len(names)
        """Servers past the end of their last shift, staying only while nobody else can do what is waiting."""
        self._duty_watchers: list[simpy.Event] = []
        self._leaving: list[simpy.Event | None] = [None] * len(names)
        self._unless: list[Callable[[], bool] | None] = [None] * len(names)
        self._on_since: list[float] = [env.now if on_duty else math.nan] * len(names)
        """When each server came on duty (NaN while off)."""
        self.queue: list[Request] = []
        self.duty: list[tuple[int, float, float]] = []
        """Closed on-duty intervals (server, on_min, off_min)."""
        self._members: dict[tuple[int, ...], frozenset[int]] = {}

    def take_free(self, eligible: tuple[int, ...]) -> int | None:
        """Take the first free, on-duty server of ``eligible`` at once and return it; None if none is free.

        A free server never has a waiting request it may serve (it would have taken it on coming free), so
        taking it at once keeps the queue first-come-first-served.
        """
        on, busy = self.on, self.busy
        for server in eligible:
            if on[server] and not busy[server]:
                busy[server] = True
                return server
        return None

    def request(self, eligible: tuple[int, ...], priority: int = 0) -> Request:
        """Ask for the first free, on-duty server of ``eligible``: granted through the request event if one is
        free, else queued (by priority, then first come, first served)."""
        server = self.take_free(eligible)
        if server is None:
            return self.queue_for(eligible, priority)
        request = Request(self.env, eligible, self._members_of(eligible), self.queue, priority)
        request.succeed(server)
        return request

    def _members_of(self, eligible: tuple[int, ...]) -> frozenset[int]:
        members = self._members.get(eligible)
        if members is None:
            members = self._members[eligible] = frozenset(eligible)
        return members

    def queue_for(self, eligible: tuple[int, ...], priority: int = 0) -> Request:
        """Queue for a server of ``eligible`` when ``take_free`` found none (behind every request of the same or a
        lower priority); the request's value is the server, or NOBODY at once if every server of ``eligible`` is
        done for the day."""
        request = Request(self.env, eligible, self._members_of(eligible), self.queue, priority)
        if self._hopeless(request):
            request.succeed(NOBODY)
        else:
            self._enqueue(request)
        return request

    def _enqueue(self, request: Request) -> None:
        queue = self.queue
        if not queue or queue[-1].priority <= request.priority:  # the common case: patients only
            queue.append(request)
            return
        position = next(i for i, r in enumerate(queue) if r.priority > request.priority)
        queue.insert(position, request)

    def escalate(self, request: Request, priority: int) -> None:
        """Move a request that still waits to ``priority`` (an overdue work item going ahead of patients)."""
        if not request.triggered and request in self.queue and priority < request.priority:
            self.queue.remove(request)
            request.priority = priority
            self._enqueue(request)

    def retire(self, server: int) -> None:
        """The server is off duty for the rest of the day: answer NOBODY to requests only it could have taken."""
        self.retired[server] = True
        hopeless = [r for r in self.queue if server in r.members and self._hopeless(r)]
        for request in hopeless:
            self.queue.remove(request)
            request.succeed(NOBODY)

    def _hopeless(self, request: Request) -> bool:
        return all(self.retired[s] for s in request.eligible)

    def release(self, server: int) -> None:
        """The server finished with its patient: it goes off duty if due to, else takes the next request."""
        self.busy[server] = False
        leaving = self._leaving[server]
        if leaving is not None:
            self._leaving[server] = None
            unless = self._unless[server]
            if unless is not None and unless():
                self._offer(server)
                leaving.succeed(False)
                return
            self._off(server)
            leaving.succeed(True)
        else:
            self._offer(server)

    def go_on(self, server: int) -> None:
        """The server comes on duty and takes the first waiting request it may serve."""
        if self.on[server]:
            return
        self.on[server] = True
        self._on_since[server] = self.env.now
        self._offer(server)
        self._notify_duty_watchers()

    def duty_changed(self) -> simpy.Event:
        """An event that fires the next time a server comes on duty."""
        event = self.env.event()
        self._duty_watchers.append(event)
        return event

    def _notify_duty_watchers(self) -> None:
        watchers, self._duty_watchers = self._duty_watchers, []
        for event in watchers:
            event.succeed()

    def go_off(self, server: int, *, unless: Callable[[], bool] | None = None) -> simpy.Event:
        """Take the server off duty once it is free. The returned event fires with True when it is off, or with
        False if, when the patient in hand is done, ``unless()`` says it must stay after all."""
        done = self.env.event()
        self._unless[server] = unless
        if not self.on[server]:
            done.succeed(True)
        elif self.busy[server]:
            self._leaving[server] = done
        else:
            self._off(server)
            done.succeed(True)
        return done

    def close(self) -> None:
        """Close the duty intervals of servers still on duty, and let go of waiting requests, watchers and
        conditions (at the end of a run), so that a finished day is freed at once instead of by the cyclic
        garbage collector."""
        for server, on in enumerate(self.on):
            if on:
                self._off(server)
        self.queue.clear()
        self._duty_watchers.clear()
        self._unless = [None] * len(self.names)
        self._leaving = [None] * len(self.names)

    def _off(self, server: int) -> None:
        self.on[server] = False
        self.duty.append((server, self._on_since[server], self.env.now))

    def _grant(self, request: Request, server: int) -> None:
        self.busy[server] = True
        request.succeed(server)

    def _offer(self, server: int) -> None:
        for position, request in enumerate(self.queue):
            if server in request.members:
                del self.queue[position]
                self._grant(request, server)
                return


class Demand:
    """Patients in the clinic who will still need each kind of work (a hashable key per kind)."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.count: defaultdict[Hashable, int] = defaultdict(int)
        self._waiters: defaultdict[Hashable, list[simpy.Event]] = defaultdict(list)

    def add(self, key: Hashable) -> None:
        self.count[key] += 1

    def remove(self, key: Hashable) -> None:
        self.count[key] -= 1
        if self.count[key] == 0:
            for waiter in self._waiters.pop(key, []):
                waiter.succeed()

    def zero_event(self, key: Hashable) -> simpy.Event:
        """An event that fires when no patient needs ``key`` any more (at once if none does now)."""
        event = self.env.event()
        if self.count[key] == 0:
            event.succeed()
        else:
            self._waiters[key].append(event)
        return event

    def cleared(self, keys):
        """Process body: wait until no patient needs any of ``keys``."""
        keys = list(keys)
        while True:
            busy = next((key for key in keys if self.count[key] > 0), None)
            if busy is None:
                return
            waiter = self.env.event()
            self._waiters[busy].append(waiter)
            yield waiter
