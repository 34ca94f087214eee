"""One replication of the booking model: weeks of requests booked into the templates, as tables.

A run books ``warm_up + weeks`` weeks from ``access.start``, after loading the starting backlog. What is reported
(``AccessRun.first_day`` on) leaves the warm-up out: requests made, appointments falling and measurements taken
on the reported days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clinicsim.access.book import Book
from clinicsim.access.demand import Request, attribute_draws
from clinicsim.access.supply import MINUTES_PER_DAY, Supply, build_supply
from clinicsim.scenario import Scenario
from clinicsim.streams import Streams
from clinicsim.templates import Appointment


@dataclass
class AccessRun:
    """What one replication of the booking model did; days count from ``access.start``."""

    scenario: Scenario
    replication: int
    first_day: int
    """First reported day (the warm-up's days come before it)."""
    days: int
    """Days booked (warm-up included)."""
    clinic_days: list[bool]
    providers: list[str]
    """Every provider of any weekday (``Supply.providers``)."""
    requests: pd.DataFrame
    """One row per request: when, what, own provider, outcome (booked, overbooked, urgent_care, went_elsewhere,
    no_slot), provider, lead time (days), with the own provider or not."""
    bookings: pd.DataFrame
    """One row per booking made (a position filled): request (-1 - row for the starting backlog), provider, visit
    type, day, time, when booked, lead time, refill of a cancelled position, when cancelled (NaN: kept), the no-show
    probability and whether the patient comes."""
    measures: pd.DataFrame
    """Third-next-available per clinic day, provider and visit type (``censored``: fewer than three open positions
    within the horizon, reported as the horizon plus one)."""
    positions: pd.DataFrame
    """One row per bookable position: day, provider, visit type, booking kind, hold, filled when its day came,
    freed by a cancellation at least once."""
    appointments: list[Appointment]
    """The appointment of each position (row of ``positions``)."""

    @property
    def reported_days(self) -> range:
        return range(self.first_day, self.days)

    @property
    def reported_clinic_days(self) -> int:
        return sum(self.clinic_days[d] for d in self.reported_days)


def panel_shares(scenario: Scenario, supply: Supply) -> np.ndarray:
    """Cumulative share of the patients whose own provider each provider is (in ``supply.providers`` order):
    ``access.panel_shares``, or each provider's positions in a week of templates."""
    access = scenario.access
    assert access is not None
    if access.panel_shares:
        weights = [access.panel_shares.get(name, 0.0) for name in supply.providers]
    else:
        weights = [float(n) for n in supply.weekly_positions]
    total = sum(weights)
    return np.cumsum(weights) / total if total > 0 else np.linspace(1 / len(weights), 1, len(weights))


def _load_backlog(book: Book, scenario: Scenario, streams: Streams) -> None:
    """Book the starting backlog: each row into the open position of its provider, day, time and visit type (a
    second row for a filled position is a double booking)."""
    access = scenario.access
    assert access is not None
    providers = {name: k for k, name in enumerate(book.supply.providers)}
    positions = book.positions
    for row, booked in enumerate(access.backlog):
        day = (booked.date - access.start).days
        provider = providers[booked.provider]
        candidates = [
            p
            for p in book.day_positions(provider, day)
            if positions.appointment[p].time_min == booked.time
            and positions.appointment[p].visit_type == booked.visit_type
        ]
        position = next((p for p in candidates if book.booked[p] < 0), None)
        if position is None:
            base = positions.appointment[candidates[0]] if candidates else None
            extra = Appointment(booked.time, booked.visit_type, base.session if base else 0,
                                booked.time if base is None else base.slot_min, "double_book",
                                0.0 if base is None else base.length_min)  # fmt: skip
            position = book.add_extra(day, provider, extra)
        key = f"backlog:{row}"
        made = 0 if booked.booked_on is None else (booked.booked_on - access.start).days
        u = attribute_draws(streams, ("access", "backlog", key), 1)[0]
        request = Request(-1 - row, key, None, made, made * MINUTES_PER_DAY, -1, u)  # type: ignore[arg-type]
        book.book(request, position, min(0.0, made * MINUTES_PER_DAY))


def _positions_table(supply: Supply, book: Book) -> pd.DataFrame:
    positions = supply.positions
    return pd.DataFrame(
        {
            "day": positions.day,
            "provider": [supply.providers[p] for p in positions.provider],
            "visit_type": [a.visit_type for a in positions.appointment],
            "booking": [a.booking for a in positions.appointment],
            "time_min": book.times,
            "held_for": [h or "" for h in positions.held_for],
            "template": [p < book.first_extra for p in range(len(positions))],
            "filled": [b >= 0 for b in book.booked],
            "freed": book.freed,
        }
    )


def run_access(
    scenario: Scenario,
    *,
    weeks: int,
    warm_up: int,
    seed: int,
    replication: int,
    requests: Mapping[int, list[Request]] | None = None,
) -> AccessRun:
    """One replication of the booking model (``weeks`` reported after ``warm_up`` weeks); with ``requests``, those
    of each day (by day from the start, ids numbered from 0 in the order of the run) instead of the demand's."""
    if scenario.access is None:
        raise ValueError(f"scenario {scenario.name!r} has no access section: nothing to book")
    if weeks < 1 or warm_up < 0:
        raise ValueError("weeks must be at least 1 and the warm-up at least 0")
    days = 7 * (weeks + warm_up)
    supply = build_supply(scenario, days)
    streams = Streams(seed, replication)
    book = Book(scenario, supply, streams)
    _load_backlog(book, scenario, streams)
    ledger = book.run(days, panel_shares(scenario, supply), requests)
    frame = {name: pd.DataFrame(table) for name, table in vars(ledger).items()}
    for name in ("requests", "bookings", "measures"):
        if frame[name].empty:
            frame[name] = pd.DataFrame(columns=list(Book.COLUMNS[name]))
    return AccessRun(
        scenario=scenario,
        replication=replication,
        first_day=7 * warm_up,
        days=days,
        clinic_days=supply.clinic_days[:days],
        providers=supply.providers,
        requests=frame["requests"],
        bookings=frame["bookings"],
        measures=frame["measures"],
        positions=_positions_table(supply, book),
        appointments=supply.positions.appointment,
    )


def booked_days(run: AccessRun) -> dict[int, dict[str, list[Appointment]]]:
    """Per day, each provider's appointments kept (not cancelled), in time order, each with the patient's coming
    decided by the booking model (no-show probability 0 or 1), for the clinic-day engine."""
    bookings = run.bookings
    kept = bookings[bookings["cancelled_at_min"].isna()].sort_values(["day", "time_min", "position"], kind="stable")
    out: dict[int, dict[str, list[Appointment]]] = {}
    columns = (kept[c].tolist() for c in ("day", "provider", "position", "shows"))
    for day, provider, position, shows in zip(*columns):
        a = run.appointments[position]  # the same appointment, its patient's coming decided (not replace(): slow)
        booked = Appointment(a.time_min, a.visit_type, a.session, a.slot_min, a.booking, a.length_min, 1.0 - shows)
        out.setdefault(day, {}).setdefault(provider, []).append(booked)
    return out
