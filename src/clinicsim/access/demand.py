"""Appointment requests: how many arrive on a working day, when, and each patient's own random draws.

A stream's mean per working day is ``per_day``, or its panel's visits per year spread over the working days of a
year (52 weeks of the clinic's working weekdays), times the weekday's and the month's factor. Requests arrive as
a Poisson process over the request hours (their rates only shape the day; the day's mean is the stream's).

Each (stream, day) has its own named random stream of arrival times ``("access", stream, day)`` and one stream
per attribute of its requests (``("access", stream, day, attribute)`` for each of ``DRAWS``, element k for the k-th
request), so a new attribute never shifts another's draws. The number of requests does not depend on the plan,
so two plans see the same requests with the same draws (common random numbers); a request rescheduled after a
cancellation, which only some plans have, draws from streams named after the request it replaces.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from clinicsim.patients import poisson_times
from clinicsim.scenario import Scenario
from clinicsim.scenario.access import MONTHS, Demand
from clinicsim.scenario.times import RatePeriod
from clinicsim.streams import Streams

DRAWS = ("own_provider", "tolerance", "take_beyond", "cancel", "cancel_when", "reschedule", "no_show")
"""The uniforms each request draws, each from a stream of its own, in the order of ``Request.u``."""
U = {name: k for k, name in enumerate(DRAWS)}


@dataclass(slots=True)
class Request:
    """One request for an appointment."""

    id: int
    key: str
    """Stable name of the request (stream, day, ordinal; ``+r`` per reschedule), keying its random draws."""
    demand: Demand
    day: int
    at_min: float
    """When it arrives (minutes from the run's start)."""
    own: int
    """Own provider (index), or -1 (a new patient, or nobody's panel)."""
    u: tuple[float, ...]
    rescheduled_from: int = -1
    not_before: int = 0
    """Earliest day it may book, whatever its stream allows (a rescheduled request: after the day cancelled)."""


def requests_per_day(scenario: Scenario, demand: Demand, date: datetime.date) -> float:
    """Mean requests of ``demand`` on a working day ``date``."""
    if demand.per_day is not None:
        base = demand.per_day
    else:
        assert demand.panel is not None
        weekdays = max(len(scenario.working_weekdays()), 1)
        base = demand.panel.size * demand.panel.visits_per_patient_per_year / (52 * weekdays)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[date.weekday()]
    month = MONTHS[date.month - 1]
    return base * demand.weekday_factor.get(weekday, 1.0) * demand.season_factor.get(month, 1.0)  # type: ignore[call-overload]


def request_periods(scenario: Scenario) -> list[RatePeriod]:
    """The request hours, each with its relative rate per hour (default: the open hours, evenly)."""
    access = scenario.access
    assert access is not None
    if access.request_hours:
        return list(access.request_hours)
    return [RatePeriod.model_construct(start=scenario.clinic.opens, end=scenario.clinic.closes, per_hour=1.0)]


def scaled(periods: list[RatePeriod], per_day: float) -> list[RatePeriod]:
    """The periods with their rates scaled so the day's mean is ``per_day``."""
    weight = sum(p.per_hour * p.length_min / 60 for p in periods)
    return [p.model_copy(update={"per_hour": p.per_hour * per_day / weight}) for p in periods]


def own_provider(shares: np.ndarray, u: float) -> int:
    """The own provider a uniform picks from cumulative panel shares."""
    return min(int(np.searchsorted(shares, u, side="right")), len(shares) - 1)


def attribute_draws(streams: Streams, name: tuple[str, ...], n: int) -> list[tuple[float, ...]]:
    """The ``DRAWS`` uniforms of ``n`` requests, each attribute from the stream ``(*name, attribute)``."""
    columns = [streams.uniforms(*name, attribute, size=n).tolist() for attribute in DRAWS]
    return list(zip(*columns)) if n else []


def day_requests(
    scenario: Scenario, streams: Streams, day: int, date: datetime.date, panel: np.ndarray, first_id: int
) -> list[Request]:
    """Every request of a working day, in order of arrival. ``panel``: cumulative panel shares of the providers."""
    periods = request_periods(scenario)
    access = scenario.access
    assert access is not None
    found: list[Request] = []
    for demand in access.demand:
        rng = streams.generator("access", demand.name, str(day))
        times = poisson_times(scaled(periods, requests_per_day(scenario, demand, date)), rng)
        draws = attribute_draws(streams, ("access", demand.name, str(day)), len(times))
        for k, (time, u) in enumerate(zip(times.tolist(), draws)):
            own = -1 if demand.urgency == "new_patient" else own_provider(panel, u[0])
            found.append(Request(0, f"{demand.name}:{day}:{k}", demand, day, day * 1440 + time, own, tuple(u)))
    found.sort(key=lambda r: r.at_min)
    for k, request in enumerate(found):
        request.id = first_id + k
    return found


def rescheduled(request: Request, streams: Streams, at_min: float, new_id: int, not_before: int) -> Request:
    """The new request of a patient who cancelled ``request``'s appointment at ``at_min`` and asks again, for day
    ``not_before`` or later (a same-day request rescheduled is booked as from tomorrow)."""
    key = request.key + "+r"
    u = attribute_draws(streams, ("access", "rescheduled", key), 1)[0]
    day = int(at_min // 1440)
    return Request(new_id, key, request.demand, day, at_min, request.own, u, request.id, max(not_before, day + 1))
