"""The clinic day over the clock: how many patients are where, and how busy each kind of resource is, hour by hour.

Pure functions of a ``Results`` (its event logs and scenario): no simulation and no plotting. Times are minutes
from midnight, so 480 is 08:00.

- ``census``: the number of patients in a place (the waiting room, exam rooms waiting for the provider, the
  clinic) on a grid of clock times, as the mean and the 10th and 90th percentiles over replications.
- ``utilization_by_hour``: per kind of resource (providers, medical assistants, front desk, nurses, exam rooms)
  and clock hour, busy minutes over on-duty minutes, pooled over the resources of the kind and over replications.
- ``provider_waits``: every seen patient's provider wait, pooled over replications (for distributions).

Patients of a visit type that uses no exam room, no rooming and no front desk (telehealth) are never in the
building, so they count in no census.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clinicsim.eventlog import EventLog
from clinicsim.metrics import first_by_patient, milestones  # shared, so the census and the KPIs agree
from clinicsim.scenario.pathway import walk

if TYPE_CHECKING:
    from clinicsim.experiment import Results
    from clinicsim.scenario import Scenario

PLACES = {
    "waiting_room": "in the waiting room",
    "exam_rooms_waiting": "in an exam room waiting for the provider",
    "clinic": "in the clinic",
}
"""Places a census can count, with the words that finish "Patients ..."."""

KINDS = ("provider", "medical_assistant", "nurse", "front_desk", "exam_room")
"""Kinds of resources in the order tables and figures show them (kinds absent from a scenario are left out)."""


def _visit_flags(scenario: Scenario, visit_types: np.ndarray) -> dict[str, np.ndarray]:
    """Per patient, which parts of the pathway the patient's visit type has."""
    flags = {}
    for name, visit in scenario.visit_types.items():
        steps = [step for _, step, _ in walk(visit.steps())]
        names = {step.step for step in steps}
        roomed = any(step.room is not None for step in steps)
        flags[name] = (
            roomed or "rooming" in names,  # a waiting room before the room or the rooming
            "check_in" in names,
            "rooming" in names,
            roomed or any(not step.by_provider for step in steps),  # in person: a room, or staff to see
        )
    rows = np.array([flags[v] for v in visit_types], dtype=bool).reshape(len(visit_types), 4)
    return {"has_lobby": rows[:, 0], "has_check_in": rows[:, 1], "has_rooming": rows[:, 2], "in_person": rows[:, 3]}


def place_intervals(log: EventLog, scenario: Scenario, place: str) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) clock minutes of each stay of a patient in ``place`` during one replication.

    - ``waiting_room``: from the end of check-in (arrival, for visits without check-in) until taken to an exam
      room or to rooming, or until leaving unseen; visits with neither room nor rooming have no waiting room.
    - ``exam_rooms_waiting``: from being roomed (room taken, rooming done) until the provider visit starts, or
      until leaving unseen.
    - ``clinic``: in-person patients from arrival to departure.
    """
    if place not in PLACES:
        raise ValueError(f"unknown place {place!r} (places: {', '.join(PLACES)})")
    m = milestones(log)
    flags = _visit_flags(scenario, log.patients["visit_type"])
    if place == "waiting_room":
        checked_in = ~flags["has_check_in"] | ~np.isnan(m.check_in_start)
        start = np.where(flags["has_lobby"] & checked_in, m.ready, np.nan)
        end = np.where(np.isnan(m.left_lobby), m.departure, m.left_lobby)
    elif place == "exam_rooms_waiting":
        has_room = ~np.isnan(first_by_patient(log, "exam_room", "start_min"))
        rooming_done = ~flags["has_rooming"] | ~np.isnan(first_by_patient(log, "rooming", "end_min"))
        start = np.where(has_room & rooming_done, m.in_room_from, np.nan)
        end = np.where(np.isnan(m.visit_start), m.departure, m.visit_start)
    else:
        start = np.where(flags["in_person"], m.arrival, np.nan)
        end = m.departure
    keep = np.isfinite(start) & np.isfinite(end)
    return start[keep], end[keep]


def _count_present(starts: np.ndarray, ends: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Number of intervals [start, end) that contain each time."""
    return np.searchsorted(np.sort(starts), times, side="right") - np.searchsorted(np.sort(ends), times, side="right")


def census(results: Results, *, place: str = "waiting_room", step_min: float = 5) -> pd.DataFrame:
    """Patients in ``place`` over the day: mean, 10th and 90th percentile over replications at each clock minute.

    The grid runs every ``step_min`` minutes from the earliest arrival to the last departure over all
    replications (rounded out to the grid); a patient counts at time t when t is in [start, end) of their stay.
    Places are those of ``PLACES``; see ``place_intervals`` for their definitions.
    """
    if step_min <= 0:
        raise ValueError("step_min must be positive")
    stays = [place_intervals(log, results.scenario, place) for log in results.logs]
    arrivals = np.concatenate([log.patients["arrival_min"] for log in results.logs])
    departures = np.concatenate([log.patients["departure_min"] for log in results.logs])
    columns = ["mean", "p10", "p90"]
    if not np.any(np.isfinite(arrivals)):
        return pd.DataFrame(columns=columns, index=pd.Index([], name="clock_min", dtype=float), dtype=float)
    first = math.floor(np.nanmin(arrivals) / step_min) * step_min
    last = math.ceil(np.nanmax(np.concatenate([arrivals, departures])) / step_min) * step_min
    times = first + step_min * np.arange(round((last - first) / step_min) + 1)
    counts = np.array([_count_present(start, end, times) for start, end in stays], dtype=float)
    p10, p90 = np.percentile(counts, [10, 90], axis=0)
    frame = pd.DataFrame({"mean": counts.mean(axis=0), "p10": p10, "p90": p90}, index=times)
    frame.index.name = "clock_min"
    return frame


def overlap_by_hour(starts: np.ndarray, ends: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Minutes of each interval inside each clock hour: shape (intervals, hours)."""
    low, high = 60.0 * hours, 60.0 * (hours + 1)
    return np.clip(np.minimum(ends[:, None], high) - np.maximum(starts[:, None], low), 0.0, None)


def _sum_by_kind(kinds: np.ndarray, minutes: np.ndarray, order: list[str]) -> np.ndarray:
    out = np.zeros((len(order), minutes.shape[1]))
    for i, kind in enumerate(order):
        out[i] = minutes[kinds == kind].sum(axis=0)
    return out


def _kinds(log: EventLog) -> dict[str, str]:
    """Each resource's kind for utilization by hour: its role, ``exam_room``, or ``<kind>_room`` for other rooms."""
    res = log.resources
    return {
        name: f"{group}_room" if kind == "room" else str(kind)
        for name, kind, group in zip(res["resource"], res["kind"], res["group"])
    }


def _minutes_by_hour(results: Results) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Kinds of resource, clock hours, and busy and on-duty minutes per kind and hour summed over replications."""
    logs = results.logs
    kinds_seen = {k for log in logs for k in _kinds(log).values()}
    order = [k for k in KINDS if k in kinds_seen] + sorted(kinds_seen - set(KINDS))
    on = np.concatenate([log.duty["on_min"] for log in logs]) if logs else np.array([])
    off = np.concatenate([log.duty["off_min"] for log in logs]) if logs else np.array([])
    hours = np.arange(math.floor(on.min() / 60), math.ceil(off.max() / 60)) if len(on) else np.array([], dtype=int)
    busy = np.zeros((len(order), len(hours)))
    duty = np.zeros((len(order), len(hours)))
    for log in logs:
        kind_of = _kinds(log)
        step_kinds = np.array([kind_of.get(r, "") for r in log.steps["resource"]], dtype=object)
        duty_kinds = np.array([kind_of.get(r, "") for r in log.duty["resource"]], dtype=object)
        steps_overlap = overlap_by_hour(log.steps["start_min"], log.steps["end_min"], hours)
        busy += _sum_by_kind(step_kinds, steps_overlap, order)
        duty += _sum_by_kind(duty_kinds, overlap_by_hour(log.duty["on_min"], log.duty["off_min"], hours), order)
    return order, hours, busy, duty


def _by_hour(values: np.ndarray, order: list[str], hours: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        values, index=pd.Index(order, name="kind"), columns=pd.Index([int(h) for h in hours], name="hour")
    )


def utilization_by_hour(results: Results) -> pd.DataFrame:
    """Busy over on-duty minutes per kind of resource (rows) and clock hour (columns, e.g. 7 for 07:00-08:00).

    Busy time is every step a resource did (a provider's visits and documentation, a room's occupation including
    turnover, a person's check-ins, roomings and check-outs); on-duty time is the duty record (scheduled time plus
    overtime, less breaks). Both are pooled over the resources of a kind and over replications, so summed over
    the hours they give the day's utilization KPIs. NaN where nobody of the kind is on duty in that hour.
    """
    order, hours, busy, duty = _minutes_by_hour(results)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _by_hour(np.where(duty > 0, busy / duty, np.nan), order, hours)


def on_duty_by_hour(results: Results) -> tuple[pd.DataFrame, pd.Series]:
    """Mean number of each kind of resource on duty in each clock hour (on-duty minutes in the hour over 60, mean
    over replications; rows and columns as ``utilization_by_hour``), and each kind's headcount (people or rooms of
    the kind, the most of any replication)."""
    order, hours, _, duty = _minutes_by_hour(results)
    sizes = [Counter(_kinds(log).values()) for log in results.logs]
    headcount = pd.Series([max((size[k] for size in sizes), default=0) for k in order], index=order, dtype=float)
    return _by_hour(duty / 60 / max(len(results.logs), 1), order, hours), headcount


def provider_waits(results: Results) -> np.ndarray:
    """Every seen patient's provider wait (minutes), pooled over replications.

    The wait is the provider visit's start minus the later of arrival and appointment time (walk-ins: arrival),
    and 0 for a patient seen before the appointment time, as in ``provider_wait_mean_min``.
    """
    waits = []
    for log in results.logs:
        m = milestones(log)
        waits.append(np.maximum(m.visit_start - m.due, 0.0)[m.seen])
    return np.concatenate(waits) if waits else np.array([])
