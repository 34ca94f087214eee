"""KPIs of the work between visits, computed from the event log's ``work`` table by pure functions.

Per work stream ``s`` (see ``scenario/work.py``): how many items arrived, were done, were left at close
(``work_<s>_backlog``) and were dropped by callers who hung up (``work_<s>_abandoned_pct``, for a stream with a
patience); how long a done item took from arrival to the end of its last stage (``work_<s>_response_*_min``) and
what share of the arrived items met the stream's target (``work_<s>_within_target_pct``, for a stream with
``due_within_min``); how long an item waited for its first stage to start (``work_<s>_answer_mean_min``, a
phone call's answer time).

Per role: the minutes of work each person of the role did on duty (``<role>_work_min``), and the role's
utilization with patients alone (``<role>_visit_utilization``) beside its utilization with the work
(``<role>_utilization``, the real load: ``metrics.resource_usage`` counts work done on duty as busy time).
Providers' work done after leaving is pajama time (``provider_after_hours_mean_min``). With finance settings,
``work_cost`` values every minute of work at its doer's wage: how much of the labor the work takes, not a cost on
top of it.

An item counts from its first stage that happens (an item none of whose stages happen leaves no trace in the
log). A scenario without work streams has none of these KPIs, so its KPIs stay exactly what they were.
"""

from __future__ import annotations

import math
import re

import numpy as np

from clinicsim.eventlog import Columns, EventLog, codes_of
from clinicsim.finance import hourly_wage
from clinicsim.metrics import ROLE_PREFIX, mean_or_nan, minutes_inside, p90, resource_usage, windows_by_rank
from clinicsim.scenario.model import Scenario
from clinicsim.scenario.work import WorkStream

FINISHED = ("done", "after_hours")
"""Statuses of a stage that was done (on duty, or by a provider after hours)."""

ROOM_KINDS = ("exam_room", "room")
"""Kinds of the resources table that are rooms, not people (every other kind is a role that may do work)."""


_ADDS_UP = re.compile(r"work_[a-z][a-z0-9_]*_(arrived|done)|work_cost")


def adds_up_over_days(kpi: str) -> bool:
    """Whether a work KPI is a daily total that adds up over the days of a week (items arrived and done, the cost
    of work); a backlog is a stock at close, and the others are means, percentiles and shares."""
    return _ADDS_UP.fullmatch(kpi) is not None


def work_items(work: Columns, stream: str) -> Columns:
    """One row per item of ``stream`` in a ``work`` table: ``item``, ``arrival_min``, ``due_min``,
    ``first_start_min`` (start of its first stage that happened; NaN if it never started), ``last_end_min`` (end of
    its last stage),
    ``done`` (every stage done, on duty or after hours), ``backlog`` (left at close), ``abandoned``, and
    ``carried_in`` (left at an earlier day's close: its arrival is before today's midnight)."""
    mine = np.flatnonzero(work["stream"] == stream)
    item, stage, status = work["item"][mine], work["stage"][mine], work["status"][mine]
    ids, inverse = np.unique(item, return_inverse=True)
    n = len(ids)
    order = np.lexsort((stage, inverse))  # by item, then stage
    grouped = inverse[order]
    first = order[np.searchsorted(grouped, np.arange(n), side="left")]
    last = order[np.searchsorted(grouped, np.arange(n), side="right") - 1]

    def any_of(mask: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=mask.astype(float), minlength=n) > 0

    return {
        "item": ids,
        "arrival_min": work["arrival_min"][mine][first],
        "due_min": work["due_min"][mine][first],
        "first_start_min": work["start_min"][mine][first],
        "last_end_min": work["end_min"][mine][last],
        "done": ~any_of(~np.isin(status, FINISHED)),
        "backlog": any_of(status == "backlog"),
        "abandoned": any_of(status == "abandoned"),
        "carried_in": work["arrival_min"][mine][first] < 0,
    }


def stream_kpis(log: EventLog, stream: WorkStream) -> dict[str, float]:
    """The KPIs of one work stream (``work_<name>_...``); the target and abandonment ones only for a stream with a
    ``due_within_min`` and a ``patience_min``.

    Items carried in from an earlier day (days in sequence) count where they are done or left again (done,
    backlog, response time, spanning the days), not as arrived; the shares and the answer time are of the items
    that arrived today."""
    items = work_items(log.work, stream.name)
    today = ~items["carried_in"]
    arrived = int(today.sum())
    done = items["done"]
    took = items["last_end_min"] - items["arrival_min"]
    response = took[done]
    started = today & ~np.isnan(items["first_start_min"])
    prefix = f"work_{stream.name}"
    out = {
        f"{prefix}_arrived": float(arrived),
        f"{prefix}_done": float(done.sum()),
        f"{prefix}_backlog": float(items["backlog"].sum()),
        f"{prefix}_response_mean_min": mean_or_nan(response),
        f"{prefix}_response_p90_min": p90(response),
    }
    if stream.has_target:
        on_time = float((done & today & (items["last_end_min"] <= items["due_min"])).sum())
        out[f"{prefix}_within_target_pct"] = 100 * on_time / arrived if arrived else math.nan
    if stream.patience_min is not None:
        abandoned = float((items["abandoned"] & today).sum())
        out[f"{prefix}_abandoned_pct"] = 100 * abandoned / arrived if arrived else math.nan
    answer = (items["first_start_min"] - items["arrival_min"])[started]
    out[f"{prefix}_answer_mean_min"] = mean_or_nan(answer)
    out[f"{prefix}_answer_p90_min"] = p90(answer)
    out[f"{prefix}_done_per_person"] = _per_person(log.work, stream.name)
    return out


def _per_person(work: Columns, stream: str) -> float:
    """Items of ``stream`` whose first stage was done on duty, per person who did one (NaN: nobody did)."""
    first = (work["stream"] == stream) & (work["status"] == "done")
    if not first.any():
        return math.nan
    items, rows = np.unique(work["item"][first], return_index=True)
    people = work["resource"][first][rows]
    return len(items) / len(set(people.tolist()))


def work_by_resource(log: EventLog) -> Columns:
    """Per row of the resources table: minutes of work between visits done on duty (``work_min``), the part of
    them outside the person's scheduled sessions or shifts (``work_overtime_min``: overtime spent on work) and
    minutes done after hours (``after_hours_min``)."""
    resources, work = log.resources, log.work
    n = len(resources["resource"])
    index = {name: row for row, name in enumerate(resources["resource"])}
    code = codes_of(work["resource"], index)
    minutes = work["end_min"] - work["start_min"]

    def total(status: str) -> np.ndarray:
        rows = (code >= 0) & (work["status"] == status)
        return np.bincount(code[rows], weights=minutes[rows], minlength=n)

    schedule = log.schedule
    schedule_code = codes_of(schedule["resource"], index)
    listed = schedule_code >= 0
    windows = windows_by_rank(schedule_code[listed], schedule["start_min"][listed], schedule["end_min"][listed], n)
    done = (code >= 0) & (work["status"] == "done")
    on_duty = total("done")
    scheduled = minutes_inside(code[done], work["start_min"][done], work["end_min"][done], windows)
    return {
        "resource": resources["resource"],
        "work_min": on_duty,
        "work_overtime_min": np.maximum(on_duty - scheduled, 0.0),
        "after_hours_min": total("after_hours"),
    }


def role_work_kpis(work: Columns, usage: Columns) -> dict[str, float]:
    """Per role of people (``provider``, ``ma``, ``front_desk``, ...): work minutes on duty per person on duty that
    day and the utilization with patients alone; then providers' after-hours minutes per provider on duty.
    ``work`` is the log's ``work_by_resource``, ``usage`` its ``resource_usage`` (whose busy minutes include the
    work done on duty)."""
    kinds, on_duty = usage["kind"], usage["on_duty_min"]
    working = on_duty > 0
    out: dict[str, float] = {}
    for role in dict.fromkeys(k for k in kinds.tolist() if k not in ROOM_KINDS):
        prefix = ROLE_PREFIX.get(role, role)
        mine = kinds == role
        out[f"{prefix}_work_min"] = mean_or_nan(work["work_min"][mine & working])
        out[f"{prefix}_work_overtime_min"] = mean_or_nan(work["work_overtime_min"][mine & working])
        duty = on_duty[mine].sum()
        visits = usage["busy_min"][mine].sum() - work["work_min"][mine].sum()
        out[f"{prefix}_visit_utilization"] = float(visits / duty) if duty > 0 else math.nan
    out["provider_after_hours_mean_min"] = mean_or_nan(work["after_hours_min"][(kinds == "provider") & working])
    return out


def work_cost(log: EventLog, scenario: Scenario, work: Columns) -> float:
    """Minutes of work between visits (on duty and after hours; ``work`` is the log's ``work_by_resource``) at the
    hourly wage of who did each (NaN without finance settings). An allocation of labor cost: the after-hours
    minutes are valued at the straight rate."""
    if scenario.finance is None:
        return math.nan
    res = log.resources
    minutes = work["work_min"] + work["after_hours_min"]
    cost = 0.0
    for row in np.flatnonzero(minutes > 0):
        per_hour, _ = hourly_wage(scenario, res["kind"][row], res["group"][row], res["resource"][row])
        cost += float(minutes[row]) / 60 * per_hour
    return cost


def work_kpis(log: EventLog, scenario: Scenario, usage: Columns | None = None) -> dict[str, float]:
    """Every KPI of the work between visits of one replication: per stream, per role, after hours and cost; none
    for a scenario without work streams. ``usage`` is the log's resource usage when already computed."""
    if not scenario.work:
        return {}
    usage = resource_usage(log) if usage is None else usage
    out: dict[str, float] = {}
    for stream in scenario.work:
        out.update(stream_kpis(log, stream))
    work = work_by_resource(log)
    out.update(role_work_kpis(work, usage))
    out["work_cost"] = work_cost(log, scenario, work)
    return out
