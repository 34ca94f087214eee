"""KPIs of one replication, computed from its event log by pure functions; and the metric registry.

Names follow ``<subject>_<what>[_<stat>]_<unit>``. Every KPI is registered with a label, unit and a one-line
definition, so tables, reports and plots never spell labels themselves. Utilization is time-weighted: busy
minutes over on-duty minutes (scheduled time plus any overtime), never an average of snapshots.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clinicsim.eventlog import Columns, EventLog, codes_of
from clinicsim.kpi import Better, Metric
from clinicsim.scenario.vocabulary import DOCUMENTATION


def _m(name: str, label: str, unit: str, better: Better, definition: str) -> Metric:
    return Metric(name, label, unit, better, definition)


REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in [
        _m("patients_booked", "Patients booked", "patients", "higher", "Appointments on the day's templates."),
        _m("patients_arrived", "Patients arrived", "patients", "higher", "Booked patients who came, plus walk-ins."),
        _m("patients_seen", "Patients seen", "patients", "higher", "Patients who completed the provider visit."),
        _m("no_shows", "No-shows", "patients", "lower", "Booked patients who did not come."),
        _m("walk_ins", "Walk-ins", "patients", "higher", "Unscheduled patients who arrived."),
        _m(
            "turned_away",
            "Turned away (late)",
            "patients",
            "lower",
            "Booked patients turned away for arriving too late.",
        ),
        _m(
            "left_without_being_seen",
            "Left without being seen",
            "patients",
            "lower",
            "Patients who gave up waiting before rooming.",
        ),
        _m(
            "not_seen_at_close",
            "Not seen at close",
            "patients",
            "lower",
            "Patients still waiting when nobody was left to see them.",
        ),
        _m(
            "provider_wait_mean_min",
            "Provider wait, mean",
            "min",
            "lower",
            "Mean over seen patients of provider start minus the later of arrival and appointment (walk-ins: "
            "arrival); 0 for a patient seen before the appointment time.",
        ),
        _m(
            "provider_wait_p90_min",
            "Provider wait, 90th percentile",
            "min",
            "lower",
            "90th percentile of the provider wait over seen patients.",
        ),
        _m(
            "pct_seen_within_15_min",
            "Seen within 15 min",
            "%",
            "higher",
            "Share of seen patients whose provider wait is at most 15 minutes.",
        ),
        _m(
            "check_in_wait_mean_min",
            "Check-in queue, mean",
            "min",
            "lower",
            "Mean time from arrival to the start of check-in.",
        ),
        _m(
            "lobby_wait_mean_min",
            "Waiting-room wait, mean",
            "min",
            "lower",
            "Mean time from check-in end (or arrival) to being taken to an exam room or rooming; visits with "
            "neither (telehealth) have no waiting room.",
        ),
        _m(
            "exam_room_wait_mean_min",
            "In-room wait for provider, mean",
            "min",
            "lower",
            "Mean time a roomed patient waits in the exam room for the provider, after rooming.",
        ),
        _m(
            "check_out_wait_mean_min",
            "Check-out queue, mean",
            "min",
            "lower",
            "Mean time from the provider visit's end to the start of check-out.",
        ),
        _m(
            "cycle_time_mean_min",
            "Cycle time, mean",
            "min",
            "lower",
            "Mean time from arrival to departure of seen patients.",
        ),
        _m(
            "provider_utilization",
            "Provider utilization",
            "fraction",
            "higher",
            "Provider busy time (visits, documentation and any work between visits done on duty) over on-duty "
            "time (sessions plus overtime).",
        ),
        _m(
            "provider_idle_mean_min",
            "Provider idle time, mean",
            "min",
            "lower",
            "Per provider: scheduled session time with no visit, no documentation and no work between visits; "
            "mean over providers.",
        ),
        _m(
            "provider_overtime_mean_min",
            "Provider overtime, mean",
            "min",
            "lower",
            "Per provider: time on duty outside the scheduled sessions (running into lunch or past the last "
            "session); mean over providers.",
        ),
        _m(
            "room_utilization",
            "Exam room utilization",
            "fraction",
            "higher",
            "Time exam rooms are occupied (including turnover) over their open time.",
        ),
        _m(
            "ma_utilization",
            "MA utilization",
            "fraction",
            "higher",
            "Medical assistants' busy time (patients and any work between visits) over their on-duty time.",
        ),
        _m(
            "front_desk_utilization",
            "Front desk utilization",
            "fraction",
            "higher",
            "Front-desk staff busy time (patients and any work between visits) over their on-duty time.",
        ),
        _m(
            "staff_overtime_mean_min",
            "Staff overtime, mean",
            "min",
            "lower",
            "Per staff member: time on duty outside the scheduled shifts (past a shift's end); mean over staff.",
        ),
        _m(
            "last_departure_min",
            "Last patient leaves",
            "clock min",
            "lower",
            "Time the last patient leaves (minutes from midnight).",
        ),
    ]
}
FLOW_KPIS = tuple(REGISTRY)
"""KPIs of patient flow, computed by ``compute_kpis``."""

REGISTRY.update(
    {
        m.name: m
        for m in [
            _m("net_revenue", "Net revenue", "currency", "higher", "Expected net collections of the visits seen."),
            _m(
                "gross_charges",
                "Allowed charges",
                "currency",
                "higher",
                "Fee schedule times payer multiplier, visits seen.",
            ),
            _m("denied_amount", "Denied at first", "currency", "lower", "Allowed amounts denied on first submission."),
            _m(
                "lost_revenue_no_shows",
                "Revenue lost to no-shows",
                "currency",
                "lower",
                "Expected net collections of the visits of patients who did not come.",
            ),
            _m(
                "lost_revenue_unseen",
                "Revenue lost, unseen patients",
                "currency",
                "lower",
                "Expected net collections of patients turned away, leaving without being seen or not seen at close.",
            ),
            _m(
                "labor_cost", "Labor cost", "currency", "lower", "Scheduled hours at each person's rate, plus overtime."
            ),
            _m(
                "overtime_cost",
                "Overtime cost",
                "currency",
                "lower",
                "Overtime hours at the rate plus the overtime premium.",
            ),
            _m("overhead_cost", "Fixed overhead", "currency", "lower", "Daily overhead of the rooms and the site."),
            _m("margin", "Margin", "currency", "higher", "Net revenue minus labor cost and overhead."),
            _m("revenue_per_visit", "Net revenue per visit", "currency", "higher", "Net revenue over patients seen."),
            _m("cost_per_visit", "Cost per visit", "currency", "lower", "Labor cost and overhead over patients seen."),
            _m("wrvu_total", "Work RVUs", "wRVU", "higher", "Work relative value units of the visits seen."),
            _m(
                "wrvu_per_provider_hour",
                "wRVUs per provider hour",
                "wRVU/h",
                "higher",
                "Work RVUs over scheduled provider session hours.",
            ),
        ]
    }
)
KPI_NAMES = tuple(REGISTRY)
"""Every KPI every scenario has: patient flow, then money (money KPIs are NaN for a scenario without finance
settings). A scenario's pathway adds its own (``pathway_kpis``), named by the patterns of ``metric``."""

WORK_METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        _m(
            "provider_after_hours_mean_min",
            "Provider after-hours work, mean",
            "min",
            "lower",
            "Per provider on duty that day: minutes of work between visits done after leaving (pajama time); mean "
            "over those providers.",
        ),
        _m(
            "work_cost",
            "Cost of work between visits",
            "currency",
            "lower",
            "Minutes of work between visits (on duty and after hours) at the hourly wage of who did it: the share of "
            "labor that goes to work between visits (an allocation, not added to labor cost or margin).",
        ),
    ]
}
"""KPIs of the work between visits with fixed names; a scenario with work streams has them (``work_metrics``),
with the per-stream and per-role ones named by the patterns of ``metric``. Not in ``KPI_NAMES``: a scenario
without work streams has none of them."""

ROLE_PREFIX = {"medical_assistant": "ma"}
"""Roles whose KPIs use a shorter name (``ma_utilization``)."""

_WORK_PATTERNS: list[tuple[re.Pattern, Callable[..., Metric]]] = [
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_arrived"),
        lambda name, stream: _m(
            name,
            f"{stream}: items arrived",
            "items",
            "lower",
            f"Items of the {stream} work stream that arrived during the day (with at least one stage to do; items "
            "carried in from an earlier day are not counted again).",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_done"),
        lambda name, stream: _m(
            name,
            f"{stream}: items done",
            "items",
            "higher",
            f"Items of the {stream} work stream whose every stage was done, on duty or after hours (including "
            "items carried in from an earlier day).",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_backlog"),
        lambda name, stream: _m(
            name,
            f"{stream}: backlog at close",
            "items",
            "lower",
            f"Items of the {stream} work stream left undone at the end of the day.",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_response_mean_min"),
        lambda name, stream: _m(
            name,
            f"{stream}: response time, mean",
            "min",
            "lower",
            f"Mean over done items of the {stream} work stream of the end of their last stage minus their arrival.",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_response_p90_min"),
        lambda name, stream: _m(
            name,
            f"{stream}: response time, 90th percentile",
            "min",
            "lower",
            f"90th percentile over done items of the {stream} work stream of their response time.",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_within_target_pct"),
        lambda name, stream: _m(
            name,
            f"{stream}: done within target",
            "%",
            "higher",
            f"Share of the arrived items of the {stream} work stream done within its response-time target "
            "(due_within_min or due_within_business_hours); items left undone count as late.",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_abandoned_pct"),
        lambda name, stream: _m(
            name,
            f"{stream}: abandoned",
            "%",
            "lower",
            f"Share of the arrived items of the {stream} work stream dropped after waiting their patience (callers "
            "who hung up).",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_answer_mean_min"),
        lambda name, stream: _m(
            name,
            f"{stream}: time to answer, mean",
            "min",
            "lower",
            f"Mean over items of the {stream} work stream whose first stage started of that start minus their "
            "arrival (a phone call's answer time).",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_answer_p90_min"),
        lambda name, stream: _m(
            name,
            f"{stream}: time to answer, 90th percentile",
            "min",
            "lower",
            f"90th percentile over items of the {stream} work stream whose first stage started of that start minus "
            "their arrival.",
        ),
    ),
    (
        re.compile(r"work_([a-z][a-z0-9_]*)_done_per_person"),
        lambda name, stream: _m(
            name,
            f"{stream}: items per person",
            "items",
            "higher",
            f"Items of the {stream} work stream whose first stage was done on duty, per person who did one (calls "
            "handled per clerk).",
        ),
    ),
    (
        re.compile(r"([a-z][a-z0-9_]*)_work_overtime_min"),
        lambda name, role: _m(
            name,
            f"{role} overtime spent on work, mean",
            "min",
            "lower",
            f"Per {role} on duty that day: minutes of work between visits done on duty outside their scheduled "
            "sessions or shifts (overtime caused by work); mean over those people.",
        ),
    ),
    (
        re.compile(r"([a-z][a-z0-9_]*)_work_min"),
        lambda name, role: _m(
            name,
            f"{role} work between visits, mean",
            "min",
            "lower",
            f"Per {role} on duty that day: minutes of work between visits done on duty; mean over those people.",
        ),
    ),
    (
        re.compile(r"([a-z][a-z0-9_]*)_visit_utilization"),
        lambda name, role: _m(
            name,
            f"{role} utilization, patients only",
            "fraction",
            "higher",
            f"Busy time of the {role} role with patients alone (no work between visits) over its on-duty time.",
        ),
    ),
]
"""The KPIs work streams add: per stream (``work_<stream>_...``) and per role (``<role>_work_min``,
``<role>_visit_utilization``); before the pathway's, whose ``<role>_utilization`` would claim the last."""

_PATTERNS: list[tuple[re.Pattern, Callable[..., Metric]]] = [
    *_WORK_PATTERNS,
    (
        re.compile(r"wait_before_([a-z][a-z0-9_]*)_mean_min"),
        lambda name, step: _m(
            name,
            f"Wait before {step}, mean",
            "min",
            "lower",
            f"Mean over patients who reach {step} of its start minus the end of their previous step (or arrival).",
        ),
    ),
    (
        re.compile(r"wait_before_([a-z][a-z0-9_]*)_p90_min"),
        lambda name, step: _m(
            name,
            f"Wait before {step}, 90th percentile",
            "min",
            "lower",
            f"90th percentile over patients who reach {step} of the wait before it.",
        ),
    ),
    (
        re.compile(r"([a-z][a-z0-9_]*)_room_utilization"),
        lambda name, kind: _m(
            name,
            f"{kind} room utilization",
            "fraction",
            "higher",
            f"Time {kind} rooms are occupied (including turnover) over their open time.",
        ),
    ),
    (
        re.compile(r"([a-z][a-z0-9_]*)_overtime_mean_min"),
        lambda name, role: _m(
            name,
            f"{role} overtime, mean",
            "min",
            "lower",
            f"Per {role}: time on duty outside the scheduled shifts; mean over the people of the role.",
        ),
    ),
    (
        re.compile(r"([a-z][a-z0-9_]*)_utilization"),
        lambda name, role: _m(
            name,
            f"{role} utilization",
            "fraction",
            "higher",
            f"Busy time of the {role} role (patients and any work between visits) over its on-duty time.",
        ),
    ),
    (
        re.compile(r"share_([a-z][a-z0-9_]*)_pct"),
        lambda name, branch: _m(
            name,
            f"Share through {branch}",
            "%",
            "higher",
            "Share of the patients who reached the branch that took this option.",
        ),
    ),
]
"""The KPIs a pathway adds (per step, per room kind, per role, per branch option) and work streams add."""


def metric(name: str) -> Metric:
    """The registered KPI ``name``, or one a pathway adds (``wait_before_triage_mean_min``, ``nurse_utilization``,
    ``x_ray_room_utilization``, ``share_imaging_x_ray_pct``) or work streams add (``work_refills_backlog``,
    ``ma_work_min``, ``provider_visit_utilization``, ``work_cost``); KeyError for a name that is none of these."""
    if name in REGISTRY:
        return REGISTRY[name]
    if name in WORK_METRICS:
        return WORK_METRICS[name]
    from clinicsim.access.names import access_metric  # not at the top: the access package imports this module

    found = access_metric(name)
    if found is not None:
        return found
    for pattern, make in _PATTERNS:
        match = pattern.fullmatch(name)
        if match:
            return make(name, match.group(1))
    raise KeyError(f"unknown KPI {name!r}")


def find_metric(name: str) -> Metric | None:
    """``metric(name)``, or None for a name that is no KPI."""
    try:
        return metric(name)
    except KeyError:
        return None


def is_kpi_name(name: str) -> bool:
    """Whether ``name`` is a registered KPI or follows the pattern of a pathway's or a work stream's KPI."""
    return find_metric(name) is not None


def p90(values: np.ndarray) -> float:
    """The 90th percentile with numpy's default (linear) interpolation, without ``np.percentile``'s overhead
    (which costs more than the rest of a day's KPIs when taken for every step)."""
    n = len(values)
    if n == 0:
        return math.nan
    v = np.sort(values)
    h = (n - 1) * 0.9
    lo = int(h)
    if lo + 1 >= n:
        return float(v[lo])
    a, b, t = float(v[lo]), float(v[lo + 1]), h - lo
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t  # numpy's lerp, exact at both ends


def mean_or_nan(values: np.ndarray) -> float:
    """The mean, or NaN for no values."""
    return float(values.sum() / len(values)) if len(values) else math.nan  # as ndarray.mean, minus its overhead


def first_provider_step(log: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (minutes) of each patient's first step done by a provider (NaN where none); the provider
    visit of the default pathway."""
    start = np.full(len(log.patients["patient"]), math.nan)
    end = start.copy()
    assert log.step_codes is not None  # set when the log is made
    resource, step = log.step_codes.resource, log.step_codes.step
    provider_row = np.append(log.resources["kind"] == "provider", False)  # row -1 (nobody) is no provider
    by_provider = provider_row[resource]
    if DOCUMENTATION in log.step_names:
        by_provider &= step != log.step_names.index(DOCUMENTATION)
    rows = np.flatnonzero(by_provider)
    patient, begins = log.steps["patient"][rows], log.steps["start_min"][rows]
    order = np.lexsort((begins, patient))[::-1]  # last written wins: the earliest start of each patient
    start[patient[order]] = begins[order]
    end[patient[order]] = log.steps["end_min"][rows][order]
    return start, end


def first_by_patient(log: EventLog, step: str, column: str) -> np.ndarray:
    """``column`` of each patient's ``step`` row, NaN where the patient has none (indexed by patient id)."""
    out = np.full(len(log.patients["patient"]), math.nan)
    rows = log.rows_of_step.get(step, np.zeros(0, dtype=np.int64))
    out[log.steps["patient"][rows]] = log.steps[column][rows]
    return out


@dataclass(frozen=True)
class Milestones:
    """Per patient (indexed by patient id), the times each part of the pathway began or ended (NaN: skipped)."""

    seen: np.ndarray
    arrival: np.ndarray
    due: np.ndarray
    """The later of arrival and appointment (walk-ins: arrival)."""
    check_in_start: np.ndarray
    ready: np.ndarray
    """End of check-in, or arrival without check-in."""
    left_lobby: np.ndarray
    """Taken to an exam room or to rooming; NaN for visits with neither (telehealth)."""
    in_room_from: np.ndarray
    """Roomed (room taken and rooming done): from here the patient waits for the provider."""
    visit_start: np.ndarray
    visit_end: np.ndarray
    check_out_start: np.ndarray
    departure: np.ndarray


def milestones(log: EventLog) -> Milestones:
    pt = log.patients
    check_in_start = first_by_patient(log, "check_in", "start_min")
    room_start = first_by_patient(log, "exam_room", "start_min")
    visit_start, visit_end = first_provider_step(log)
    rooming_start = first_by_patient(log, "rooming", "start_min")
    return Milestones(
        seen=pt["status"] == "seen",
        arrival=pt["arrival_min"],
        due=np.fmax(pt["arrival_min"], pt["appointment_min"]),  # fmax ignores a walk-in's NaN appointment
        check_in_start=check_in_start,
        ready=np.where(np.isnan(check_in_start), pt["arrival_min"], first_by_patient(log, "check_in", "end_min")),
        left_lobby=np.fmin(room_start, rooming_start),
        in_room_from=np.fmax(room_start, first_by_patient(log, "rooming", "end_min")),
        visit_start=visit_start,
        visit_end=visit_end,
        check_out_start=first_by_patient(log, "check_out", "start_min"),
        departure=pt["departure_min"],
    )


def _waits(log: EventLog) -> dict[str, float]:
    m = milestones(log)
    provider_wait = np.maximum(m.visit_start - m.due, 0.0)[m.seen]  # seen before the appointment time: no wait
    roomed = ~np.isnan(first_by_patient(log, "exam_room", "start_min"))

    def mean_of(values: np.ndarray) -> float:
        return mean_or_nan(values[~np.isnan(values)])

    return {
        "provider_wait_mean_min": mean_or_nan(provider_wait),
        "provider_wait_p90_min": p90(provider_wait),
        "pct_seen_within_15_min": 100 * mean_or_nan((provider_wait <= 15).astype(float)),
        "check_in_wait_mean_min": mean_of(m.check_in_start - m.arrival),
        "lobby_wait_mean_min": mean_of(m.left_lobby - m.ready),
        "exam_room_wait_mean_min": mean_of(np.where(roomed, m.visit_start - m.in_room_from, np.nan)),
        "check_out_wait_mean_min": mean_of(m.check_out_start - m.visit_end),
        "cycle_time_mean_min": mean_or_nan((m.departure - m.arrival)[m.seen]),
    }


def step_waits(log: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(patient, step code, wait) of every pathway step a patient began: minutes from the end of the patient's
    previous step (or arrival) to its start. Room stays and documentation are not steps of their own; a step
    done by several people counts once. Step codes index ``log.step_names``."""
    assert log.step_codes is not None  # set when the log is made
    steps, codes = log.steps, log.step_codes.step
    in_pathway = np.zeros(len(log.step_names), dtype=bool)
    in_pathway[[log.step_names.index(s) for s in log.pathway_steps if s in log.step_names]] = True
    rows = np.flatnonzero(in_pathway[codes]) if len(codes) else np.zeros(0, dtype=np.int64)
    patient, start, end, code = steps["patient"][rows], steps["start_min"][rows], steps["end_min"][rows], codes[rows]
    order = np.lexsort((end, start, patient))
    patient, start, end, code = patient[order], start[order], end[order], code[order]
    first = np.ones(len(patient), dtype=bool)
    first[1:] = (patient[1:] != patient[:-1]) | (code[1:] != code[:-1])
    patient, start, end, code = patient[first], start[first], end[first], code[first]
    ready = np.empty(len(patient))
    if len(patient):
        ready[1:] = end[:-1]
        new_patient = np.ones(len(patient), dtype=bool)
        new_patient[1:] = patient[1:] != patient[:-1]
        ready[new_patient] = log.patients["arrival_min"][patient[new_patient]]
    return patient, code, start - ready


def wait_by_stage(log: EventLog) -> dict[str, float]:
    """Mean minutes per seen patient spent waiting before each step of the pathway (0 where a patient skips it),
    in pathway order. The stages add up to the patient's waiting between arrival and the start of their last
    step, so they say where the wait comes from."""
    seen = log.patients["status"] == "seen"
    patient, code, waits = step_waits(log)
    n_seen = int(seen.sum())
    totals = np.bincount(code[seen[patient]], weights=waits[seen[patient]], minlength=len(log.step_names))
    return {
        step: float(totals[log.step_names.index(step)] / n_seen) if n_seen else math.nan for step in log.pathway_steps
    }


def stage_label(stage: str) -> str:
    """Words for a stage of ``wait_by_stage``."""
    return f"Before {stage.replace('_', ' ')}"


def pathway_kpis(log: EventLog, usage: Columns) -> dict[str, float]:
    """The KPIs the scenario's pathway adds: wait before each step (mean, p90), utilization and overtime of
    each role and room kind that the registered KPIs do not already name, and each branch option's share."""
    out: dict[str, float] = {}
    _, code, waits = step_waits(log)
    for step in log.pathway_steps:
        mine = waits[code == log.step_names.index(step)]
        out[f"wait_before_{step}_mean_min"] = mean_or_nan(mine)
        out[f"wait_before_{step}_p90_min"] = p90(mine)
    kinds = usage["kind"]
    for role in dict.fromkeys(k for k in kinds.tolist() if k not in ("exam_room", "room")):
        prefix = ROLE_PREFIX.get(role, role)
        if f"{prefix}_utilization" not in REGISTRY:
            out[f"{prefix}_utilization"] = _utilization(usage, role)
        if f"{prefix}_overtime_mean_min" not in REGISTRY:
            out[f"{prefix}_overtime_mean_min"] = mean_or_nan(usage["overtime_min"][kinds == role])
    rooms = kinds == "room"
    for kind in dict.fromkeys(usage["group"][rooms].tolist()):
        mask = rooms & (usage["group"] == kind)
        duty = usage["on_duty_min"][mask].sum()
        out[f"{kind}_room_utilization"] = float(usage["busy_min"][mask].sum() / duty) if duty > 0 else math.nan
    branch, option = log.branches["branch"], log.branches["option"]
    for name, options in log.pathway_branches:
        reached = branch == name
        for taken in options:
            out[f"share_{name}_{taken}_pct"] = 100 * mean_or_nan((option[reached] == taken).astype(float))
    return out


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


def windows_by_rank(code: np.ndarray, start: np.ndarray, end: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Scheduled windows [start, end) of resources ``code`` as (start, end) arrays of shape (windows per resource,
    resources): element [k, r] is the k-th window of resource r, or an empty window where r has fewer than k + 1."""
    order = np.argsort(code, kind="stable")
    first = np.searchsorted(code[order], code[order])  # where each resource's windows begin in sorted order
    rank = np.empty(len(code), dtype=np.int64)
    rank[order] = np.arange(len(code)) - first
    depth = int(rank.max()) + 1 if len(code) else 0
    starts, ends = np.zeros((depth, n)), np.zeros((depth, n))
    starts[rank, code], ends[rank, code] = start, end
    return starts, ends


def minutes_inside(code: np.ndarray, starts: np.ndarray, ends: np.ndarray, windows: tuple[np.ndarray, np.ndarray]):
    """Per resource: minutes of its intervals [starts, ends) (``code``: each interval's resource) that fall inside
    its own scheduled ``windows`` (from ``windows_by_rank``)."""
    window_starts, window_ends = windows
    inside = np.zeros(len(code))
    for k in range(len(window_starts)):
        overlap = np.minimum(ends, window_ends[k, code]) - np.maximum(starts, window_starts[k, code])
        inside += np.maximum(overlap, 0.0)
    return np.bincount(code, weights=inside, minlength=window_starts.shape[1])


def resource_usage(log: EventLog) -> Columns:
    """Per provider, staff member and room: busy, on-duty and scheduled minutes, utilization, idle and overtime.

    ``busy_min`` counts patient steps and the work between visits done on duty (``work`` rows of status ``done``;
    after-hours work is not on duty). ``idle_min`` is scheduled time (less breaks) with no
    patient and no work (and, for a provider, no documentation);
    ``overtime_min`` is on-duty time outside the scheduled windows: past the end of a session or shift, whether
    into lunch, into the gap before the next shift or past the end of the day.
    """
    res, steps, duty, schedule = log.resources, log.steps, log.duty, log.schedule
    n = len(res["resource"])
    index = {name: i for i, name in enumerate(res["resource"])}
    assert log.step_codes is not None  # set when the log is made
    step_code, duty_code = log.step_codes.resource, codes_of(duty["resource"], index)
    schedule_code = codes_of(schedule["resource"], index)
    listed = schedule_code >= 0
    windows = windows_by_rank(schedule_code[listed], schedule["start_min"][listed], schedule["end_min"][listed], n)
    did, was = step_code >= 0, duty_code >= 0
    step_code, step_start, step_end = step_code[did], steps["start_min"][did], steps["end_min"][did]
    on_duty_work = log.work["status"] == "done"
    if on_duty_work.any():  # work between visits done on duty keeps a person busy like a patient step
        work_code = codes_of(log.work["resource"][on_duty_work], index)
        kept = work_code >= 0
        step_code = np.concatenate((step_code, work_code[kept]))
        step_start = np.concatenate((step_start, log.work["start_min"][on_duty_work][kept]))
        step_end = np.concatenate((step_end, log.work["end_min"][on_duty_work][kept]))
    duty_code, duty_on, duty_off = duty_code[was], duty["on_min"][was], duty["off_min"][was]
    busy = np.bincount(step_code, weights=step_end - step_start, minlength=n)
    on_duty = np.bincount(duty_code, weights=duty_off - duty_on, minlength=n)
    window_minutes = schedule["end_min"] - schedule["start_min"] - schedule["break_min"]
    scheduled_work = np.bincount(schedule_code[listed], weights=window_minutes[listed], minlength=n)
    overtime = on_duty - minutes_inside(duty_code, duty_on, duty_off, windows)
    idle = np.maximum(scheduled_work - minutes_inside(step_code, step_start, step_end, windows), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilization = np.where(on_duty > 0, busy / on_duty, math.nan)
    return {
        **res,
        "busy_min": busy,
        "on_duty_min": on_duty,
        "utilization": utilization,
        "idle_min": idle,
        "overtime_min": overtime,
    }


def _utilization(usage: Columns, kind: str) -> float:
    mask = usage["kind"] == kind
    duty = usage["on_duty_min"][mask].sum()
    return float(usage["busy_min"][mask].sum() / duty) if duty > 0 else math.nan


def compute_kpis(log: EventLog, usage: Columns | None = None) -> dict[str, float]:
    """The patient-flow KPIs of one replication (NaN where undefined, e.g. a wait with nobody seen), the registered
    ones then those the pathway adds; ``usage`` is the log's resource usage when already computed."""
    usage = resource_usage(log) if usage is None else usage
    providers, rooms = usage["kind"] == "provider", usage["kind"] == "exam_room"
    staff = ~(providers | rooms)
    departures = log.patients["departure_min"]
    return {
        **_counts(log),
        **_waits(log),
        "provider_utilization": _utilization(usage, "provider"),
        "provider_idle_mean_min": mean_or_nan(usage["idle_min"][providers]),
        "provider_overtime_mean_min": mean_or_nan(usage["overtime_min"][providers]),
        "room_utilization": _utilization(usage, "exam_room"),
        "ma_utilization": _utilization(usage, "medical_assistant"),
        "front_desk_utilization": _utilization(usage, "front_desk"),
        "staff_overtime_mean_min": mean_or_nan(usage["overtime_min"][staff]),
        "last_departure_min": float(np.nanmax(departures)) if np.any(~np.isnan(departures)) else math.nan,
        **pathway_kpis(log, usage),
    }


def lower_is_better(kpi: str) -> bool:
    """Whether the KPI ``kpi`` is better low (waits, costs) rather than high (patients seen, margin)."""
    return metric(kpi).lower_is_better
