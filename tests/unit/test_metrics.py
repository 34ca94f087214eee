"""KPIs computed by pure functions from a hand-written event log, checked against hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicsim.eventlog import EventLog, columns
from clinicsim.metrics import FLOW_KPIS, KPI_NAMES, REGISTRY, compute_kpis, find_metric, resource_usage


def hand_log() -> EventLog:
    """One provider (session 480-600), one MA, one desk clerk, one room; three booked patients, one walk-in.

    Patient 0 (appointment 480, arrives 470): check-in 470-473, room+MA 475-480, provider 490-505, doc 505-508,
    room held 475-507 (2 min turnover), check-out 506-508, leaves 508.
    Patient 1 (appointment 500, arrives 505): check-in 505-508, room 510-545, rooming 510-515, provider 520-540,
    check-out 540-542, leaves 542.
    Patient 2 (appointment 520): no-show. Patient 3: walk-in at 560, left without being seen at 580.
    """
    steps = columns(
        [
            (0, "check_in", 470, 470, 473, "desk"),
            (0, "exam_room", 473, 475, 507, "room 1"),
            (0, "rooming", 475, 475, 480, "ma"),
            (0, "provider_visit", 480, 490, 505, "Dr A"),
            (0, "documentation", 505, 505, 508, "Dr A"),
            (0, "check_out", 505, 506, 508, "desk"),
            (1, "check_in", 505, 505, 508, "desk"),
            (1, "exam_room", 508, 510, 545, "room 1"),
            (1, "rooming", 510, 510, 515, "ma"),
            (1, "provider_visit", 515, 520, 540, "Dr A"),
            (1, "check_out", 540, 540, 542, "desk"),
            (3, "check_in", 560, 560, 563, "desk"),
        ],
        ("patient", "step", "queued_min", "start_min", "end_min", "resource"),
    )
    patients = {
        "patient": np.arange(4),
        "source": np.array(["booked", "booked", "booked", "walk"], dtype=object),
        "appointment_min": np.array([480, 500, 520, math.nan]),
        "arrival_min": np.array([470, 505, 515, 560]),
        "status": np.array(["seen", "seen", "no_show", "left_without_being_seen"], dtype=object),
        "departure_min": np.array([508, 542, math.nan, 580]),
    }
    resources = columns(
        [
            ("provider", "Dr A", "providers", 120),
            ("medical_assistant", "ma", "ma", 150),
            ("front_desk", "desk", "desk", 150),
            ("exam_room", "room 1", "exam rooms", 150),
        ],
        ("kind", "resource", "group", "scheduled_min"),
    )
    duty = columns(
        [("Dr A", 485, 610), ("ma", 450, 600), ("desk", 450, 520), ("desk", 530, 620), ("room 1", 450, 600)],
        ("resource", "on_min", "off_min"),
    )
    schedule = columns(
        [("Dr A", 480, 600, 0), ("ma", 450, 600, 0), ("desk", 450, 600, 0), ("room 1", 450, 600, 0)],
        ("resource", "start_min", "end_min", "break_min"),
    )
    return EventLog(replication=0, steps=steps, patients=patients, resources=resources, duty=duty, schedule=schedule)


@pytest.fixture
def kpis() -> dict[str, float]:
    return compute_kpis(hand_log())


def test_counts(kpis):
    assert {k: kpis[k] for k in ("patients_booked", "patients_arrived", "patients_seen", "no_shows", "walk_ins")} == {
        "patients_booked": 3,
        "patients_arrived": 3,
        "patients_seen": 2,
        "no_shows": 1,
        "walk_ins": 1,
    }
    assert kpis["left_without_being_seen"] == 1 and kpis["turned_away"] == 0


def test_provider_wait_is_from_the_later_of_arrival_and_appointment(kpis):
    # patient 0: 490 - max(470, 480) = 10; patient 1: 520 - max(505, 500) = 15
    assert kpis["provider_wait_mean_min"] == pytest.approx(12.5)
    assert kpis["provider_wait_p90_min"] == pytest.approx(14.5)
    assert kpis["pct_seen_within_15_min"] == pytest.approx(100)


def test_queue_waits_along_the_pathway(kpis):
    assert kpis["check_in_wait_mean_min"] == pytest.approx(0)  # all three check-ins start on arrival
    assert kpis["lobby_wait_mean_min"] == pytest.approx((2 + 2) / 2)  # 473->475, 508->510
    assert kpis["exam_room_wait_mean_min"] == pytest.approx((10 + 5) / 2)  # 480->490, 515->520
    assert kpis["check_out_wait_mean_min"] == pytest.approx((1 + 0) / 2)
    assert kpis["cycle_time_mean_min"] == pytest.approx((38 + 37) / 2)


def test_utilization_is_busy_time_over_on_duty_time(kpis):
    assert kpis["provider_utilization"] == pytest.approx((15 + 3 + 20) / 125)
    assert kpis["ma_utilization"] == pytest.approx(10 / 150)
    assert kpis["front_desk_utilization"] == pytest.approx((3 + 2 + 3 + 2 + 3) / 160)
    assert kpis["room_utilization"] == pytest.approx((32 + 35) / 150)


def test_provider_idle_and_overtime(kpis):
    assert kpis["provider_idle_mean_min"] == pytest.approx(120 - 38)
    assert kpis["provider_overtime_mean_min"] == pytest.approx(10)  # off at 610, session ended 600
    assert kpis["staff_overtime_mean_min"] == pytest.approx((0 + 20) / 2)  # the desk left at 620
    assert kpis["last_departure_min"] == 580


def test_resource_usage_table():
    usage = resource_usage(hand_log())
    desk = list(usage["resource"]).index("desk")
    assert usage["on_duty_min"][desk] == 160 and usage["busy_min"][desk] == 13
    assert np.all((usage["utilization"] >= 0) & (usage["utilization"] <= 1))


def test_every_kpi_is_registered_with_label_unit_and_definition(kpis):
    """The registered flow KPIs come first; the pathway's own (waits before each step, roles the registry does
    not name) follow, each with a label, unit and definition from its name's pattern."""
    assert list(kpis)[: len(FLOW_KPIS)] == list(FLOW_KPIS)
    added = list(kpis)[len(FLOW_KPIS) :]
    assert "wait_before_provider_visit_mean_min" in added and "front_desk_overtime_mean_min" in added
    for name in [*KPI_NAMES, *added]:
        metric = find_metric(name)
        assert metric is not None and metric.name == name, name
        assert metric.label and metric.unit and metric.definition.endswith(".")
    assert find_metric("no_such_kpi_at_all!") is None and REGISTRY["patients_seen"] is find_metric("patients_seen")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60))
def test_the_fast_90th_percentile_is_numpys_to_the_bit(values):
    from clinicsim.metrics import p90

    assert p90(np.array(values)) == float(np.percentile(np.array(values), 90))
