"""The booking process of one replication: requests booked into the positions of the templates, day after day.

Events happen in time order (minutes from the run's start): cancellations free their positions first, then
third-next-available and the backlog are measured at ``measure_at`` on each clinic day, and requests are booked as
they arrive. Rules, as a scheduler follows them:

- A request books a position of its own visit type, never earlier than its stream's first day (``earliest_days``;
  a follow-up's interval), nor less than ``same_day.notice_min`` from now, nor beyond ``horizon_days``. A position
  held for another class is open to it only from its release (``release_hours_before`` the slot).
- Continuity: a patient with an own provider is offered the own provider's earliest position; when that is more
  than ``continuity.fallback_after_days`` after their first acceptable day (or there is none), the earliest with
  any other provider if it is sooner. A new patient is offered the earliest with anyone.
- Same-day requests take the earliest position today (own provider first), then an overbook (up to
  ``same_day.overbooks_per_provider`` a day, own provider first, at the next slot time), else go to urgent care.
- A patient offered a lead time beyond their tolerance goes elsewhere (lost demand) unless they take it anyway (a
  follow-up's wait counts from the day it is wanted).
- A booked appointment is cancelled with the probability its lead time gives, at a uniform moment between booking
  and appointment; its position opens again, and the patient asks again at once with ``p_reschedule``.
- Whether the patient comes is drawn at booking from the no-show curve at its lead time.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from clinicsim.access.demand import Request, U, day_requests, rescheduled
from clinicsim.access.openslots import OpenSlots
from clinicsim.access.supply import MINUTES_PER_DAY, Supply
from clinicsim.scenario import Scenario
from clinicsim.streams import Streams
from clinicsim.templates import Appointment

TNAA_OF = 3
"""Third-next-available: the days until the third open position."""

_CANCEL, _MEASURE, _REQUEST = 0, 1, 2
"""Order of events at the same minute."""


def on_curve(curve: Sequence[tuple[float, float]], days: float) -> float:
    """The probability a lead-time curve gives at ``days`` (linear between points, flat beyond the ends)."""
    return float(np.interp(days, [d for d, _ in curve], [p for _, p in curve]))


@dataclass
class Ledger:
    """What happened, as columns: one row per request, per booking, per measurement."""

    requests: dict[str, list] = field(default_factory=dict)
    bookings: dict[str, list] = field(default_factory=dict)
    measures: dict[str, list] = field(default_factory=dict)

    @staticmethod
    def add(table: dict[str, list], **row) -> None:
        for name, value in row.items():
            table.setdefault(name, []).append(value)


class Book:
    """The appointment book of one replication: open positions, bookings, and the rules that fill it."""

    COLUMNS = {
        "requests": ("request", "demand", "urgency", "visit_type", "day", "time_min", "own_provider", "outcome",
                     "provider", "lead_days", "with_own", "rescheduled_from"),
        "bookings": ("request", "position", "provider", "visit_type", "booking", "day", "time_min", "booked_at_min",
                     "lead_days", "refill", "cancelled_at_min", "p_no_show", "shows"),
        "measures": ("day", "provider", "visit_type", "third_next_available_days", "censored"),
    }  # fmt: skip
    """The columns of each table of the ledger."""

    def __init__(self, scenario: Scenario, supply: Supply, streams: Streams) -> None:
        access = scenario.access
        assert access is not None
        self.scenario, self.access, self.supply, self.streams = scenario, access, supply, streams
        self.positions = supply.positions
        self.times = [a.time_min for a in self.positions.appointment]
        self.booked = [-1] * len(self.positions)
        """The booking (row of the bookings table) holding each position, or -1."""
        self.freed = [False] * len(self.positions)
        """The position was freed by a cancellation at least once."""
        self.slots: dict[tuple[int, str, str | None], OpenSlots] = {}
        for position, (day, provider, appointment, held) in enumerate(
            zip(self.positions.day, self.positions.provider, self.positions.appointment, self.positions.held_for)
        ):
            key = (provider, appointment.visit_type, held)
            self.slots.setdefault(key, OpenSlots()).put(day, position)
        self.holds: dict[tuple[int, str], list[str | None]] = {}
        for provider, visit_type, held in self.slots:
            self.holds.setdefault((provider, visit_type), []).append(held)
        self.release_lead: dict[str, float] = {}
        """Per class whose holds are released: the longest release lead (minutes before the slot)."""
        for hold in access.holds:
            if hold.release_hours_before is not None:
                lead = max(self.release_lead.get(hold.urgency, 0.0), hold.release_hours_before * 60)
                self.release_lead[hold.urgency] = lead
        self.by_provider_day: dict[tuple[int, int], list[int]] = {}
        for position, (day, provider) in enumerate(zip(self.positions.day, self.positions.provider)):
            self.by_provider_day.setdefault((provider, day), []).append(position)
        self.overbooks: dict[tuple[int, int], int] = {}
        self.first_extra = len(self.positions)
        """Positions from here on are same-day overbooks, made as they are booked."""
        self.ledger = Ledger()
        self.events: list[tuple] = []
        self.serial = 0
        self.requests_made = 0

    # --- finding positions ---------------------------------------------------------------------------------

    def _usable_now(self, now: float):
        release = self.positions.release_at_min
        return lambda position: release[position] <= now

    def open_to(
        self, provider: int, visit_type: str, urgency: str, first: tuple[int, float], last_day: int, now: float,
        count: int = 1,
    ) -> list[int]:  # fmt: skip
        """Up to ``count`` of the earliest positions of ``provider`` and ``visit_type`` open to ``urgency`` at
        ``now``, from ``first`` (day, minutes from midnight) to ``last_day``, earliest first."""
        found = []
        for held in self.holds.get((provider, visit_type), ()):
            slots = self.slots[(provider, visit_type, held)]
            if held is None or held == urgency:
                found += slots.earliest(*first, last_day, self.times, count=count)
            elif held in self.release_lead:  # held for another class: only those released by now
                last = min(last_day, int((now + self.release_lead[held]) // MINUTES_PER_DAY))
                found += slots.earliest(*first, last, self.times, count=count, usable=self._usable_now(now))
        return sorted(found, key=self.positions.at_min)[:count]

    def earliest(self, provider: int, visit_type: str, urgency: str, first_day: int, now: float, last_day: int):
        """The earliest position of ``provider`` open to ``urgency`` from ``first_day`` on (not before ``now`` plus
        the notice on today), or None."""
        today = int(now // MINUTES_PER_DAY)
        first_min = now - today * MINUTES_PER_DAY + self.access.same_day.notice_min if first_day == today else 0.0
        found = self.open_to(provider, visit_type, urgency, (first_day, first_min), last_day, now)
        return found[0] if found else None

    def _earliest_elsewhere(self, providers, visit_type: str, urgency: str, first_day: int, now: float, last: int):
        found = [self.earliest(p, visit_type, urgency, first_day, now, last) for p in providers]
        return min((f for f in found if f is not None), key=self.positions.at_min, default=None)

    def offer(self, request: Request, now: float) -> int | None:
        """The position offered to ``request`` at ``now`` under the continuity rule, or None."""
        demand = request.demand
        today = int(now // MINUTES_PER_DAY)
        first_day = max(today + demand.first_day, request.not_before)
        same_day = demand.urgency == "same_day" and request.rescheduled_from < 0
        last_day = today if same_day else today + self.access.horizon_days
        everyone = range(len(self.supply.providers))
        if request.own < 0:
            return self._earliest_elsewhere(everyone, demand.visit_type, demand.urgency, first_day, now, last_day)
        own = self.earliest(request.own, demand.visit_type, demand.urgency, first_day, now, last_day)
        if own is not None and self.positions.day[own] - first_day <= self.access.continuity.fallback_after_days:
            return own
        others = [p for p in everyone if p != request.own]
        other = self._earliest_elsewhere(others, demand.visit_type, demand.urgency, first_day, now, last_day)
        if own is None or (other is not None and self.positions.at_min(other) < self.positions.at_min(own)):
            return other
        return own

    def overbook(self, request: Request, now: float) -> int | None:
        """A same-day overbook at the next slot time of a provider working today who has overbooks left (own
        provider first): a new position, or None."""
        today = int(now // MINUTES_PER_DAY)
        limit = self.access.same_day.overbooks_per_provider
        earliest = now - today * MINUTES_PER_DAY + self.access.same_day.notice_min
        order = sorted(range(len(self.supply.providers)), key=lambda p: p != request.own)
        for provider in order:
            if limit == 0 or self.overbooks.get((provider, today), 0) >= limit:
                continue
            if not self.supply.working[provider][today]:
                continue
            later = [p for p in self.day_positions(provider, today) if self.times[p] >= earliest]
            if later:
                self.overbooks[(provider, today)] = self.overbooks.get((provider, today), 0) + 1
                base = self.positions.appointment[later[0]]
                extra = Appointment(base.time_min, request.demand.visit_type, base.session, base.slot_min,
                                    "overbook", base.length_min)  # fmt: skip
                return self.add_extra(today, provider, extra)
        return None

    def add_extra(self, day: int, provider: int, appointment: Appointment) -> int:
        """A position beyond the templates' (a same-day overbook, a backlog's double booking), to be booked now:
        never re-offered if cancelled."""
        position = self.positions.add(day, provider, appointment, None, -math.inf)
        self.times.append(appointment.time_min)
        self.booked.append(-1)
        self.freed.append(False)
        self.by_provider_day.setdefault((provider, day), []).append(position)
        return position

    def day_positions(self, provider: int, day: int) -> list[int]:
        """Positions of a provider-day, the templates' in time order, then any extra."""
        return self.by_provider_day.get((provider, day), [])

    # --- booking ---------------------------------------------------------------------------------------------

    def book(self, request: Request, position: int, now: float) -> None:
        """Book ``position`` for ``request`` and draw its fate: cancelled (when), and whether the patient comes."""
        appointment = self.positions.appointment[position]
        day = self.positions.day[position]
        lead = day - request.day
        if position < self.first_extra:
            held = self.positions.held_for[position]
            self.slots[(self.positions.provider[position], appointment.visit_type, held)].take(day, position)
        cancellations = self.access.cancellations
        cancel_at = math.nan
        if cancellations is not None and request.u[U["cancel"]] < on_curve(cancellations.by_lead_time, lead):
            cancel_at = now + request.u[U["cancel_when"]] * (self.positions.at_min(position) - now)
        vt = self.scenario.visit_types[appointment.visit_type]
        p_no_show = on_curve(self.access.no_show_curve(appointment.visit_type, vt.p_no_show), lead)
        row = len(self.ledger.bookings.get("request", []))
        self.booked[position] = row
        self.ledger.add(
            self.ledger.bookings,
            request=request.id,
            position=position,
            provider=self.supply.providers[self.positions.provider[position]],
            visit_type=appointment.visit_type,
            booking=appointment.booking,
            day=day,
            time_min=appointment.time_min,
            booked_at_min=now,
            lead_days=lead,
            refill=self.freed[position],
            cancelled_at_min=cancel_at,
            p_no_show=p_no_show,
            shows=request.u[U["no_show"]] >= p_no_show,
        )
        if not math.isnan(cancel_at):
            self._schedule(cancel_at, _CANCEL, (request, position))

    def cancel(self, request: Request, position: int, now: float) -> None:
        """Free a cancelled appointment's position (re-offered, unless a same-day overbook); the patient may ask
        again at once."""
        self.booked[position] = -1
        self.freed[position] = True
        appointment = self.positions.appointment[position]
        if position < self.first_extra:
            key = (self.positions.provider[position], appointment.visit_type, self.positions.held_for[position])
            self.slots[key].put(self.positions.day[position], position)
        cancellations = self.access.cancellations
        assert cancellations is not None
        if request.demand is not None and request.u[U["reschedule"]] < cancellations.p_reschedule:
            again = rescheduled(request, self.streams, now, self._next_id(), self.positions.day[position] + 1)
            self._schedule(now, _REQUEST, again)

    def serve(self, request: Request, now: float) -> None:
        """Book ``request`` (or record why not)."""
        demand = request.demand
        position = self.offer(request, now)
        outcome = "booked"
        if demand.urgency == "same_day" and request.rescheduled_from < 0:
            if position is None:
                position = self.overbook(request, now)
                outcome = "overbooked" if position is not None else "urgent_care"
        elif position is None:
            outcome = "no_slot"
        else:
            wanted = request.day + (demand.first_day if demand.urgency == "follow_up" else 0)
            wait = self.positions.day[position] - wanted
            tolerance = demand.tolerance_days
            if tolerance is not None and wait > float(tolerance.from_uniform(request.u[U["tolerance"]])):
                if request.u[U["take_beyond"]] >= demand.p_take_beyond_tolerance:
                    outcome, position = "went_elsewhere", None
        if position is not None:
            self.book(request, position, now)
        own = request.own
        provider = -1 if position is None else self.positions.provider[position]
        self.ledger.add(
            self.ledger.requests,
            request=request.id,
            demand=demand.name,
            urgency=demand.urgency,
            visit_type=demand.visit_type,
            day=request.day,
            time_min=request.at_min - request.day * MINUTES_PER_DAY,
            own_provider=self.supply.providers[own] if own >= 0 else "",
            outcome=outcome,
            provider=self.supply.providers[provider] if provider >= 0 else "",
            lead_days=math.nan if position is None else self.positions.day[position] - request.day,
            with_own=own >= 0 and provider == own,
            rescheduled_from=request.rescheduled_from,
        )

    # --- measuring -------------------------------------------------------------------------------------------

    def measure(self, day: int, now: float) -> None:
        """Third-next-available of each provider and visit type, as a routine request would see the book now."""
        horizon = self.access.horizon_days
        for provider, visit_type in self.holds:
            first = (day, now - day * MINUTES_PER_DAY)
            found = self.open_to(provider, visit_type, "routine", first, day + horizon, now, count=TNAA_OF)
            censored = len(found) < TNAA_OF
            self.ledger.add(
                self.ledger.measures,
                day=day,
                provider=self.supply.providers[provider],
                visit_type=visit_type,
                third_next_available_days=horizon + 1 if censored else self.positions.day[found[-1]] - day,
                censored=censored,
            )

    # --- the run ---------------------------------------------------------------------------------------------

    def _next_id(self) -> int:
        self.requests_made += 1
        return self.requests_made - 1

    def _schedule(self, at_min: float, kind: int, payload) -> None:
        self.serial += 1
        heapq.heappush(self.events, (at_min, kind, self.serial, payload))

    def run(self, days: int, panel: np.ndarray, given: Mapping[int, list[Request]] | None = None) -> Ledger:
        """Book ``days`` days of requests (drawn from the demand streams, or the ``given`` requests of each day,
        e.g. a call log replayed); the ledger of what happened."""
        measure_at = self.access.measure_at if self.access.measure_at is not None else self.scenario.clinic.opens
        start = self.access.start
        for day in range(days):
            if self.supply.clinic_days[day]:
                self._schedule(day * MINUTES_PER_DAY + measure_at, _MEASURE, day)
                date = self.supply.date(start, day)
                if given is None:
                    arriving = day_requests(self.scenario, self.streams, day, date, panel, self.requests_made)
                else:
                    arriving = sorted(given.get(day, []), key=lambda r: r.at_min)
                    for k, request in enumerate(arriving):
                        request.id = self.requests_made + k
                self.requests_made += len(arriving)
                for request in arriving:
                    self._schedule(request.at_min, _REQUEST, request)
            end = (day + 1) * MINUTES_PER_DAY
            while self.events and self.events[0][0] < end:
                now, kind, _, payload = heapq.heappop(self.events)
                if kind == _CANCEL:
                    request, position = payload
                    self.cancel(request, position, now)
                elif kind == _MEASURE:
                    self.measure(payload, now)
                else:
                    self.serve(payload, now)
            for slots in self.slots.values():
                slots.forget_before(day + 1)
        return self.ledger
