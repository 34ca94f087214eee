"""KPIs of one replication, computed from its event log by pure functions; and the metric registry.

Names follow ``<subject>_<what>[_<stat>]_<unit>``. Every KPI is registered with a label, unit and a one-line
definition, so tables, reports and plots never spell labels themselves. Utilization is time-weighted: busy
minutes over on-duty minutes (scheduled time plus any overtime), never an average of snapshots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from clinicsim.eventlog import Columns, EventLog


@dataclass(frozen=True)
class Metric:
    """A KPI's name, label, unit and definition."""

    name: str
    label: str
    unit: str
    definition: str


def _m(name: str, label: str, unit: str, definition: str) -> Metric:
    return Metric(name, label, unit, definition)


REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in [
        _m("patients_booked", "Patients booked", "patients", "Appointments on the day's templates."),
        _m("patients_arrived", "Patients arrived", "patients", "Booked patients who came, plus walk-ins."),
        _m("patients_seen", "Patients seen", "patients", "Patients who completed the provider visit."),
        _m("no_shows", "No-shows", "patients", "Booked patients who did not come."),
        _m("walk_ins", "Walk-ins", "patients", "Unscheduled patients who arrived."),
        _m("turned_away", "Turned away (late)", "patients", "Booked patients turned away for arriving too late."),
        _m(
            "left_without_being_seen",
            "Left without being seen",
            "patients",
            "Patients who gave up waiting before rooming.",
        ),
        _m(
            "not_seen_at_close",
            "Not seen at close",
            "patients",
            "Patients still waiting when nobody was left to see them.",
        ),
        _m(
            "provider_wait_mean_min",
            "Provider wait, mean",
            "min",
            "Mean over seen patients of provider start minus the later of arrival and appointment (walk-ins: arrival).",
        ),
        _m(
            "provider_wait_p90_min",
            "Provider wait, 90th percentile",
            "min",
            "90th percentile of the provider wait over seen patients.",
        ),
        _m(
            "pct_seen_within_15_min",
            "Seen within 15 min",
            "%",
            "Share of seen patients whose provider wait is at most 15 minutes.",
        ),
        _m("check_in_wait_mean_min", "Check-in queue, mean", "min", "Mean time from arrival to the start of check-in."),
        _m(
            "lobby_wait_mean_min",
            "Waiting-room wait, mean",
            "min",
            "Mean time from check-in end (or arrival) to being taken to a room (or to the provider, without a room).",
        ),
        _m(
            "exam_room_wait_mean_min",
            "In-room wait for provider, mean",
            "min",
            "Mean time a roomed patient waits in the exam room for the provider, after rooming.",
        ),
        _m(
            "check_out_wait_mean_min",
            "Check-out queue, mean",
            "min",
            "Mean time from the provider visit's end to the start of check-out.",
        ),
        _m("cycle_time_mean_min", "Cycle time, mean", "min", "Mean time from arrival to departure of seen patients."),
        _m(
            "provider_utilization",
            "Provider utilization",
            "fraction",
            "Provider busy time (visits and documentation) over on-duty time (sessions plus overtime).",
        ),
        _m(
            "provider_idle_mean_min",
            "Provider idle time, mean",
            "min",
            "Per provider: scheduled session time with no visit and no documentation; mean over providers.",
        ),
        _m(
            "provider_overtime_mean_min",
            "Provider overtime, mean",
            "min",
            "Per provider: time the last work ends past the last session's end (0 if none); mean over providers.",
        ),
        _m(
            "room_utilization",
            "Exam room utilization",
            "fraction",
            "Time exam rooms are occupied (including turnover) over their open time.",
        ),
        _m("ma_utilization", "MA utilization", "fraction", "Medical assistants' busy time over their on-duty time."),
        _m(
            "front_desk_utilization",
            "Front desk utilization",
            "fraction",
            "Front-desk staff busy time over their on-duty time.",
        ),
        _m(
            "staff_overtime_mean_min",
            "Staff overtime, mean",
            "min",
            "Per staff member: time past the end of the last shift; mean over staff.",
        ),
        _m(
            "last_departure_min",
            "Last patient leaves",
            "clock min",
            "Time the last patient leaves (minutes from midnight).",
        ),
    ]
}
KPI_NAMES = tuple(REGISTRY)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else math.nan


def _first_by_patient(log: EventLog, step: str, column: str) -> np.ndarray:
    """``column`` of each patient's ``step`` row, NaN where the patient has none (indexed by patient id)."""
    out = np.full(len(log.patients["patient"]), math.nan)
    mask = log.steps["step"] == step
    out[log.steps["patient"][mask]] = log.steps[column][mask]
    return out


def _waits(log: EventLog) -> dict[str, float]:
    pt = log.patients
    seen = pt["status"] == "seen"
    due = np.fmax(pt["arrival_min"], pt["appointment_min"])  # fmax ignores the NaN appointment of a walk-in
    visit_start = _first_by_patient(log, "provider_visit", "start_min")
    provider_wait = (visit_start - due)[seen]
    check_in_start = _first_by_patient(log, "check_in", "start_min")
    ready = np.where(np.isnan(check_in_start), pt["arrival_min"], _first_by_patient(log, "check_in", "end_min"))
    room_start = _first_by_patient(log, "exam_room", "start_min")
    rooming_start = _first_by_patient(log, "rooming", "start_min")
    rooming_end = _first_by_patient(log, "rooming", "end_min")
    left_lobby = np.fmin(np.fmin(room_start, rooming_start), visit_start)
    in_room_from = np.fmax(room_start, rooming_end)
    check_out_start = _first_by_patient(log, "check_out", "start_min")
    visit_end = _first_by_patient(log, "provider_visit", "end_min")

    def mean_of(values: np.ndarray) -> float:
        return _mean(values[~np.isnan(values)])

    return {
        "provider_wait_mean_min": _mean(provider_wait),
        "provider_wait_p90_min": float(np.percentile(provider_wait, 90)) if len(provider_wait) else math.nan,
        "pct_seen_within_15_min": 100 * _mean((provider_wait <= 15).astype(float)),
        "check_in_wait_mean_min": mean_of(check_in_start - pt["arrival_min"]),
        "lobby_wait_mean_min": mean_of(left_lobby - ready),
        "exam_room_wait_mean_min": mean_of(np.where(np.isnan(room_start), np.nan, visit_start - in_room_from)),
        "check_out_wait_mean_min": mean_of(check_out_start - visit_end),
        "cycle_time_mean_min": _mean((pt["departure_min"] - pt["arrival_min"])[seen]),
    }


def _counts(log: EventLog) -> dict[str, float]:
    status, booked = log.patients["status"], log.patients["source"] == "booked"
    return {
        "patients_booked": float(booked.sum()),
        "patients_arrived": float((status != "no_show").sum()),
        "patients_seen": float((status == "seen").sum()),
        "no_shows": float((status == "no_show").sum()),
        "walk_ins": float((~booked).sum()),
        "turned_away": float((status == "turned_away").sum()),
        "left_without_being_seen": float((status == "left_without_being_seen").sum()),
        "not_seen_at_close": float((status == "not_seen_at_close").sum()),
    }


def _sum_by(keys: np.ndarray, values: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Sum of ``values`` for each of ``names`` (rows whose key is not among the names are ignored)."""
    index = {name: i for i, name in enumerate(names)}
    out = np.zeros(len(names))
    for key, value in zip(keys, values):
        i = index.get(key)
        if i is not None:
            out[i] += value
    return out


def _max_by(keys: np.ndarray, values: np.ndarray, names: np.ndarray) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    out = np.full(len(names), -math.inf)
    for key, value in zip(keys, values):
        out[index[key]] = max(out[index[key]], value)
    return out


def _busy_within(log: EventLog, provider: str, start: float, end: float) -> float:
    steps = log.steps
    mask = (steps["resource"] == provider) & np.isin(steps["step"], ("provider_visit", "documentation"))
    overlap = np.minimum(steps["end_min"][mask], end) - np.maximum(steps["start_min"][mask], start)
    return float(np.clip(overlap, 0, None).sum())


def resource_usage(log: EventLog) -> Columns:
    """Per provider, staff member and room: busy, on-duty and scheduled minutes, utilization and overtime."""
    res, steps, duty = log.resources, log.steps, log.duty
    names = res["resource"]
    busy = _sum_by(steps["resource"], steps["end_min"] - steps["start_min"], names)
    on_duty = _sum_by(duty["resource"], duty["off_min"] - duty["on_min"], names)
    last_off = (
        _max_by(duty["resource"], duty["off_min"], names) if len(duty["resource"]) else np.full(len(names), -math.inf)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        utilization = np.where(on_duty > 0, busy / on_duty, math.nan)
    overtime = np.clip(last_off - res["scheduled_end_min"], 0, None)
    return {**res, "busy_min": busy, "on_duty_min": on_duty, "utilization": utilization, "overtime_min": overtime}


def _utilization(usage: Columns, kinds: tuple[str, ...]) -> float:
    mask = np.isin(usage["kind"], kinds)
    duty = usage["on_duty_min"][mask].sum()
    return float(usage["busy_min"][mask].sum() / duty) if duty > 0 else math.nan


def _providers(log: EventLog, usage: Columns) -> dict[str, float]:
    providers = usage["kind"] == "provider"
    sessions = log.sessions
    idle = []
    for name in usage["resource"][providers]:
        mine = sessions["provider"] == name
        idle.append(
            sum(
                e - s - _busy_within(log, name, s, e)
                for s, e in zip(sessions["start_min"][mine], sessions["end_min"][mine])
            )
        )
    return {
        "provider_utilization": _utilization(usage, ("provider",)),
        "provider_idle_mean_min": _mean(np.array(idle)),
        "provider_overtime_mean_min": _mean(usage["overtime_min"][providers]),
    }


def compute_kpis(log: EventLog) -> dict[str, float]:
    """Every registered KPI of one replication (NaN where undefined, e.g. a wait with nobody seen)."""
    usage = resource_usage(log)
    staff = ~np.isin(usage["kind"], ("provider", "exam_room"))
    departures = log.patients["departure_min"]
    return {
        **_counts(log),
        **_waits(log),
        **_providers(log, usage),
        "room_utilization": _utilization(usage, ("exam_room",)),
        "ma_utilization": _utilization(usage, ("medical_assistant",)),
        "front_desk_utilization": _utilization(usage, ("front_desk",)),
        "staff_overtime_mean_min": _mean(usage["overtime_min"][staff]),
        "last_departure_min": float(np.nanmax(departures)) if np.any(~np.isnan(departures)) else math.nan,
    }
