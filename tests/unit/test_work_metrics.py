"""KPIs of the work between visits, computed from a hand-written work table, checked against hand arithmetic.

The day is ``test_metrics.hand_log`` (Dr A on duty 485-610 with 38 busy minutes, session 480-600; the MA on duty
450-600 with 10; the desk clerk on duty 450-520 and 530-620 with 13), plus three work streams:

- ``refills`` (MA prepares, Dr A signs; due within 60 minutes): item 0 arrives 500, MA 500-504, Dr A 545-549
  (response 49, on time); item 1 arrives 520, MA 530-536, Dr A after hours 615-619 (response 99, late); item 2
  arrives 590 and is left at close before the MA starts it; item 3 arrives 540 and only needs the signature, Dr A
  550-553 (response 13).
- ``calls`` (the desk answers; callers hang up after their patience): item 4 arrives 470, answered 473-476;
  item 5 arrives 600 and hangs up at 605; item 6 arrives 610, answered 610-614; item 7 arrives 615, hangs up 620.
- ``inbox`` (Dr A): no item today.

Work on duty: Dr A 4 + 3 = 7 minutes, the MA 4 + 6 = 10, the desk 3 + 4 = 7; after hours: Dr A 4.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from test_metrics import hand_log

import clinicsim
from clinicsim.eventlog import EventLog, columns, work_table
from clinicsim.experiment import day_kpis
from clinicsim.finance import money_kpis
from clinicsim.metrics import KPI_NAMES, REGISTRY, compute_kpis, find_metric, is_kpi_name, metric, resource_usage
from clinicsim.work_metrics import adds_up_over_days, work_by_resource, work_items, work_kpis

NAN = math.nan

WORK_ROWS = [
    # item, stream, stage, resource, arrival, queued, start, end, due, status
    (0, "refills", 0, "ma", 500, 500, 500, 504, 560, "done"),
    (0, "refills", 1, "Dr A", 500, 504, 545, 549, 560, "done"),
    (1, "refills", 0, "ma", 520, 520, 530, 536, 580, "done"),
    (1, "refills", 1, "Dr A", 520, 536, 615, 619, 580, "after_hours"),
    (2, "refills", 0, "", 590, 590, NAN, NAN, 650, "backlog"),
    (3, "refills", 1, "Dr A", 540, 540, 550, 553, 600, "done"),
    (4, "calls", 0, "desk", 470, 470, 473, 476, NAN, "done"),
    (5, "calls", 0, "", 600, 600, NAN, 605, NAN, "abandoned"),
    (6, "calls", 0, "desk", 610, 610, 610, 614, NAN, "done"),
    (7, "calls", 0, "", 615, 615, NAN, 620, NAN, "abandoned"),
]

FINANCE = {
    "currency": "USD",
    "fee_schedule": {"99213": {"fee": 90, "wrvu": 1.3}},
    "payers": {"Medicare": {"share": 1.0}},
    "wages": {
        "provider": {"per_hour": 120, "overtime_premium": 0},
        "front_desk": {"per_hour": 18, "overtime_premium": 0.5},
        "medical_assistant": {"per_hour": 21, "overtime_premium": 0.5},
    },
}

STREAMS = [
    {
        "name": "refills",
        "kind": "refill",
        "rates": [{"start": "08:00", "end": "12:00", "per_hour": 2}],
        "stages": [
            {"by": {"role": "medical_assistant"}, "duration_min": 5, "p": 0.9},
            {"by": "provider", "duration_min": 3},
        ],
        "due_within_min": 60,
        "unfinished": "after_hours",
    },
    {
        "name": "calls",
        "kind": "phone_call",
        "rates": [{"start": "08:00", "end": "12:00", "per_hour": 6}],
        "stages": [{"by": {"role": "front_desk"}, "duration_min": 3}],
        "priority": "before_patients",
        "patience_min": {"kind": "exponential", "mean": 4},
    },
    {"name": "inbox", "at": [{"time": "08:00", "count": 10}], "stages": [{"by": "provider", "duration_min": 3}]},
]


def work_log(rows=WORK_ROWS) -> EventLog:
    """The hand log with these work rows, and every patient billed 99213 to Medicare (for the money KPIs)."""
    log = hand_log()
    n = len(log.patients["patient"])
    billed = {"code": np.full(n, "99213", dtype=object), "payer": np.full(n, "Medicare", dtype=object)}
    return dataclasses.replace(log, patients={**log.patients, **billed}, work=work_table(rows))


def scenario(small_clinic, *, work=STREAMS, finance=FINANCE) -> clinicsim.Scenario:
    """The small clinic (Dr A and Dr B, the ``desk`` and ``ma`` groups), with work streams and finance."""
    data = small_clinic()
    if finance is not None:
        data["visit_types"]["est"] |= {"code_mix": {"99213": 1.0}}
        data["finance"] = finance
    return clinicsim.Scenario.model_validate(data | {"work": work})


@pytest.fixture
def kpis(small_clinic) -> dict[str, float]:
    return work_kpis(work_log(), scenario(small_clinic))


def test_items_are_counted_once_whatever_their_stages(kpis):
    assert (kpis["work_refills_arrived"], kpis["work_refills_done"], kpis["work_refills_backlog"]) == (4, 3, 1)
    assert (kpis["work_calls_arrived"], kpis["work_calls_done"], kpis["work_calls_backlog"]) == (4, 2, 0)


def test_response_time_runs_from_arrival_to_the_end_of_the_last_stage_done_or_after_hours(kpis):
    assert kpis["work_refills_response_mean_min"] == pytest.approx((49 + 99 + 13) / 3)
    assert kpis["work_refills_response_p90_min"] == pytest.approx(49 + 0.8 * (99 - 49))
    assert kpis["work_calls_response_mean_min"] == pytest.approx((6 + 4) / 2)
    assert kpis["work_calls_response_p90_min"] == pytest.approx(4 + 0.9 * (6 - 4))


def test_the_90th_percentile_is_numpys_to_the_bit(kpis):
    assert kpis["work_refills_response_p90_min"] == float(np.percentile([49.0, 99.0, 13.0], 90))


def test_within_target_is_a_share_of_the_arrived_items_and_the_target_itself_is_on_time(small_clinic, kpis):
    assert kpis["work_refills_within_target_pct"] == pytest.approx(100 * 2 / 4)  # items 0 and 3; 1 late, 2 undone
    exactly_due = [(0, "refills", 0, "ma", 500, 500, 500, 560, 560, "done")]
    on_time = work_kpis(work_log(exactly_due), scenario(small_clinic))
    assert on_time["work_refills_within_target_pct"] == 100


def test_abandonment_is_a_share_of_arrived_items(kpis):
    assert kpis["work_calls_abandoned_pct"] == pytest.approx(100 * 2 / 4)


def test_answer_time_is_the_first_stage_start_of_items_that_started(kpis):
    assert kpis["work_refills_answer_mean_min"] == pytest.approx((0 + 10 + 10) / 3)  # item 3 starts at its stage 1
    assert kpis["work_calls_answer_mean_min"] == pytest.approx((3 + 0) / 2)


def test_answer_time_90th_percentile_and_items_per_person(kpis):
    assert kpis["work_calls_answer_p90_min"] == pytest.approx(float(np.percentile([3, 0], 90)))
    assert kpis["work_calls_done_per_person"] == 2  # items 4 and 6, both by the desk
    assert kpis["work_refills_done_per_person"] == 1.5  # items 0 and 1 by the MA, item 3 by Dr A


def test_targets_and_abandonment_only_for_streams_that_have_them(kpis):
    assert "work_refills_within_target_pct" in kpis and "work_refills_abandoned_pct" not in kpis
    assert "work_calls_abandoned_pct" in kpis and "work_calls_within_target_pct" not in kpis


def test_a_stream_with_no_item_today_counts_zero_and_has_no_times(kpis):
    assert (kpis["work_inbox_arrived"], kpis["work_inbox_done"], kpis["work_inbox_backlog"]) == (0, 0, 0)
    assert math.isnan(kpis["work_inbox_response_mean_min"]) and math.isnan(kpis["work_inbox_response_p90_min"])
    assert math.isnan(kpis["work_inbox_answer_mean_min"])


def test_work_items_table():
    items = work_items(work_log().work, "refills")
    assert items["item"].tolist() == [0, 1, 2, 3]
    assert items["done"].tolist() == [True, True, False, True]
    assert items["backlog"].tolist() == [False, False, True, False]
    assert items["last_end_min"][[0, 1, 3]].tolist() == [549, 619, 553]
    assert items["first_start_min"][[0, 1, 3]].tolist() == [500, 530, 550] and math.isnan(items["first_start_min"][2])


def test_minutes_of_work_per_person_on_duty_and_after_hours():
    work = work_by_resource(work_log())
    assert dict(zip(work["resource"], work["work_min"])) == {"Dr A": 7, "ma": 10, "desk": 7, "room 1": 0}
    assert dict(zip(work["resource"], work["after_hours_min"])) == {"Dr A": 4, "ma": 0, "desk": 0, "room 1": 0}


def test_work_minutes_per_role_and_after_hours(kpis):
    assert (kpis["provider_work_min"], kpis["ma_work_min"], kpis["front_desk_work_min"]) == (7, 10, 7)
    assert kpis["provider_after_hours_mean_min"] == 4


def test_work_per_person_is_a_mean_over_the_people_on_duty_that_day(small_clinic):
    """Dr B is listed but never on duty: Dr A's minutes are not halved."""
    log = work_log()
    resources = columns(
        [*zip(log.resources["kind"], log.resources["resource"], log.resources["group"], log.resources["scheduled_min"]),
         ("provider", "Dr B", "providers", 120)],
        ("kind", "resource", "group", "scheduled_min"),
    )  # fmt: skip
    log = dataclasses.replace(log, resources=resources, step_codes=None)
    kpis = work_kpis(log, scenario(small_clinic))
    assert kpis["provider_work_min"] == 7 and kpis["provider_after_hours_mean_min"] == 4


def test_utilization_counts_work_done_on_duty_and_the_visit_utilization_patients_alone(small_clinic):
    log = work_log()
    flow = compute_kpis(log)
    assert flow["provider_utilization"] == pytest.approx((38 + 7) / 125)  # after-hours minutes are not on duty
    assert flow["ma_utilization"] == pytest.approx((10 + 10) / 150)
    assert flow["front_desk_utilization"] == pytest.approx((13 + 7) / 160)
    assert flow["room_utilization"] == pytest.approx((32 + 35) / 150)
    assert flow["provider_idle_mean_min"] == pytest.approx(120 - 38 - 7)
    kpis = work_kpis(log, scenario(small_clinic))
    assert kpis["provider_visit_utilization"] == pytest.approx(38 / 125)
    assert kpis["ma_visit_utilization"] == pytest.approx(10 / 150)
    assert kpis["front_desk_visit_utilization"] == pytest.approx(13 / 160)
    usage = resource_usage(log)
    assert dict(zip(usage["resource"], usage["busy_min"])) == pytest.approx(
        {"Dr A": 45, "ma": 20, "desk": 20, "room 1": 67}
    )


def test_without_work_rows_utilization_and_idle_are_as_before_to_the_bit():
    before, after = resource_usage(hand_log()), resource_usage(work_log([]))
    assert before.keys() == after.keys()
    for name in before:
        assert np.array_equal(before[name], after[name]), name


def test_work_cost_values_every_minute_of_work_at_its_doers_wage(kpis):
    # Dr A (7 on duty + 4 after hours) at 120/h, the MA 10 min at 21/h, the desk 7 min at 18/h
    assert kpis["work_cost"] == pytest.approx(11 / 60 * 120 + 10 / 60 * 21 + 7 / 60 * 18)


def test_work_cost_is_an_allocation_that_leaves_labor_cost_and_margin_alone(small_clinic):
    with_work = scenario(small_clinic)
    without = scenario(small_clinic, work=[])
    assert money_kpis(work_log(), with_work) == money_kpis(work_log(), without)


def test_work_cost_is_nan_without_finance(small_clinic):
    assert math.isnan(work_kpis(work_log(), scenario(small_clinic, finance=None))["work_cost"])


def test_a_scenario_without_work_streams_has_exactly_the_old_kpis(small_clinic):
    plain = scenario(small_clinic, work=[])
    log = work_log([])
    assert work_kpis(log, plain) == {}
    assert day_kpis(log, plain) == {**compute_kpis(log), **money_kpis(log, plain)}
    results = clinicsim.simulate(plain, replications=2, seed=5)
    assert not [
        c for c in results.kpis.columns if c.startswith("work_") or c.endswith(("_work_min", "_visit_utilization"))
    ]
    assert "provider_after_hours_mean_min" not in results.kpis and "work_cost" not in results.kpis


def test_a_scenario_with_work_streams_has_every_work_kpi_registered(small_clinic):
    results = clinicsim.simulate(scenario(small_clinic), replications=2, seed=5)
    added = [c for c in results.kpis.columns if c != "replication" and c not in KPI_NAMES]
    for stream in ("refills", "calls", "inbox"):
        assert f"work_{stream}_response_p90_min" in added
    assert {"provider_work_min", "ma_work_min", "provider_visit_utilization", "work_cost"} <= set(added)
    for name in added:
        m = find_metric(name)
        assert m is not None and m.name == name and m.label and m.unit and m.definition.endswith("."), name
    k = results.kpis
    assert (k["work_refills_arrived"] > 0).all() and (k["work_refills_done"] <= k["work_refills_arrived"]).all()
    assert (k["provider_utilization"] >= k["provider_visit_utilization"]).all()
    assert (k["ma_utilization"] > k["ma_visit_utilization"]).all()


def test_per_person_busy_minutes_include_work_done_on_duty(small_clinic):
    results = clinicsim.simulate(scenario(small_clinic), replications=1, seed=5)
    usage = results.resources.set_index("resource")
    ev, work = results.events, results.work
    done = work[work["status"] == "done"]
    for person in usage.index[usage["kind"] != "exam_room"]:
        steps = ev[ev["resource"] == person]
        own = done[done["resource"] == person]
        expected = (steps["end_min"] - steps["start_min"]).sum() + (own["end_min"] - own["start_min"]).sum()
        assert usage.loc[person, "busy_min"] == pytest.approx(expected), person


def test_the_registry_names_every_work_kpi_with_its_direction():
    assert metric("work_refills_arrived").unit == "items"
    assert metric("work_refills_backlog").lower_is_better
    assert not metric("work_refills_done").lower_is_better
    assert metric("work_refills_response_mean_min").unit == "min"
    assert metric("work_refills_response_p90_min").lower_is_better
    assert metric("work_refills_within_target_pct").unit == "%"
    assert not metric("work_refills_within_target_pct").lower_is_better
    assert metric("work_calls_abandoned_pct").lower_is_better
    assert metric("work_calls_answer_mean_min").label == "calls: time to answer, mean"
    assert metric("ma_work_min").unit == "min" and metric("ma_work_min").lower_is_better
    assert metric("nurse_visit_utilization").label == "nurse utilization, patients only"
    assert metric("provider_visit_utilization").unit == "fraction"
    assert metric("provider_after_hours_mean_min").lower_is_better
    assert metric("work_cost").unit == "currency"
    assert is_kpi_name("work_phone_calls_response_p90_min") and is_kpi_name("front_desk_work_min")
    assert "work_cost" not in KPI_NAMES and "work_cost" not in REGISTRY
    assert metric("nurse_utilization").label == "nurse utilization"  # the pathway's pattern is untouched


def test_which_work_kpis_add_up_over_the_days_of_a_week():
    assert adds_up_over_days("work_refills_arrived") and adds_up_over_days("work_phone_calls_done")
    assert adds_up_over_days("work_cost")
    assert not adds_up_over_days("work_refills_backlog") and not adds_up_over_days("work_refills_response_mean_min")
    assert not adds_up_over_days("ma_work_min") and not adds_up_over_days("patients_seen")


def test_items_carried_in_from_yesterday_count_where_they_end_not_as_arrivals(small_clinic):
    """Refill 0 was left at yesterday's close (it arrived at 16:00 yesterday, 960 - 1440 = -480; due 60 minutes
    later): the MA does it 500-504 today, a response of 984 minutes, late. Refill 1 arrives today at 510 and is
    done 510-514, on time. Only refill 1 arrived today; both are done today."""
    rows = [
        (0, "refills", 0, "ma", -480, 480, 500, 504, -420, "done"),
        (0, "refills", 1, "Dr A", -480, 504, 545, 547, -420, "done"),
        (1, "refills", 0, "ma", 510, 510, 510, 514, 570, "done"),
        (1, "refills", 1, "Dr A", 510, 514, 550, 552, 570, "done"),
    ]
    kpis = work_kpis(work_log(rows), scenario(small_clinic))
    assert (kpis["work_refills_arrived"], kpis["work_refills_done"]) == (1, 2)
    assert kpis["work_refills_response_mean_min"] == pytest.approx((1027 + 42) / 2)
    assert kpis["work_refills_within_target_pct"] == 100  # of today's one arrival
    assert kpis["work_refills_answer_mean_min"] == 0  # today's arrival only
