"""Visits of several slots in the engine, under fixed durations and punctual patients: exact timelines.

A 40-minute new visit in 20-minute slots (``slots_per_visit: {new: 2}``) next to a 20-minute established one.
The engine sees appointments only (times and visit types); a visit's slots are scheduled visit time, and the
provider's scheduled time, idle time and utilization come from the sessions, so a full template of multi-slot
visits leaves no idle time. Unlike padding with ``blocked`` slots, a visit that does not fit before the session's
end is not booked.

Times are minutes from midnight: 480 is 08:00.
"""

from __future__ import annotations

import matplotlib
import pytest
from test_engine_timelines import (
    FRONT_DESK,
    MA,
    clinic,
    duty,
    idle,
    kpi,
    provider,
    run,
    template,
    timeline,
    usage,
    visit,
)

from clinicsim import plots

matplotlib.use("Agg")  # no display needed, whatever the environment says

NEW_AND_EST = {"new": visit(40, check_in=5, rooming=10), "est": visit(20, check_in=5, rooming=10)}


def multi_slot(sessions, pattern=("new", "est"), **extra) -> dict:
    return template(pattern, sessions=sessions, slot_min=20, slots_per_visit={"new": 2}, **extra)


def test_a_40_minute_new_visit_in_20_minute_slots_hand_worked_day():
    """08:00-10:00 books new 08:00, est 08:40, new 09:00, est 09:40. Check-in 5 and rooming 10 come before the
    provider, so each visit starts 15 minutes after its appointment at the earliest, and the provider runs 15
    minutes behind from the second visit on:

    - new 08:00: check-in 08:00-08:05, rooming 08:05-08:15, visit 08:15-08:55 (room 1 until 08:55);
    - est 08:40: check-in 08:40-08:45, rooming 08:45-08:55 in room 2, visit 08:55-09:15;
    - new 09:00: check-in 09:00-09:05, rooming 09:05-09:15 in room 1, visit 09:15-09:55;
    - est 09:40: check-in 09:40-09:45, rooming 09:45-09:55 in room 2, visit 09:55-10:15: 15 minutes overtime.
    """
    results = run(
        clinic(
            visit_types=NEW_AND_EST,
            templates={"t": multi_slot([("08:00", "10:00")])},
            providers=[provider("Dr A")],
            staff=[FRONT_DESK, MA],
            exam_rooms=2,
        )
    )
    patients = results.patients
    assert list(patients["appointment_min"]) == [480, 520, 540, 580]
    assert list(patients["visit_type"]) == ["new", "est", "new", "est"]
    assert timeline(results) == [
        (0, "check_in", 480, 480, 485, "FD"),
        (0, "exam_room", 485, 485, 535, "room 1"),
        (0, "rooming", 485, 485, 495, "MA"),
        (0, "provider_visit", 495, 495, 535, "Dr A"),
        (1, "check_in", 520, 520, 525, "FD"),
        (1, "exam_room", 525, 525, 555, "room 2"),
        (1, "rooming", 525, 525, 535, "MA"),
        (1, "provider_visit", 535, 535, 555, "Dr A"),
        (2, "check_in", 540, 540, 545, "FD"),
        (2, "exam_room", 545, 545, 595, "room 1"),
        (2, "rooming", 545, 545, 555, "MA"),
        (2, "provider_visit", 555, 555, 595, "Dr A"),
        (3, "check_in", 580, 580, 585, "FD"),
        (3, "exam_room", 585, 585, 615, "room 2"),
        (3, "rooming", 585, 585, 595, "MA"),
        (3, "provider_visit", 595, 595, 615, "Dr A"),
    ]
    assert kpi(results, "patients_booked") == kpi(results, "patients_seen") == 4
    assert kpi(results, "provider_wait_mean_min") == 15  # check-in and rooming, each patient
    assert kpi(results, "provider_overtime_mean_min") == 15
    assert duty(results, "Dr A") == [(480, 615)]


def test_multi_slot_visits_are_scheduled_work_not_idle_time():
    """Provider visits only: new 08:00-08:40, est 08:40-09:00, new 09:00-09:40, est 09:40-10:00 fill the session,
    so the provider is busy for all 120 scheduled minutes: no idle time, utilization 1, no overtime."""
    results = run(
        clinic(
            visit_types={"new": visit(40), "est": visit(20)},
            templates={"t": multi_slot([("08:00", "10:00")])},
            providers=[provider("Dr A")],
        )
    )
    visits = [(p, b, e) for p, step, _, b, e, _ in timeline(results) if step == "provider_visit"]
    assert visits == [(0, 480, 520), (1, 520, 540), (2, 540, 580), (3, 580, 600)]
    assert usage(results, "Dr A") == pytest.approx(
        {"busy_min": 120, "on_duty_min": 120, "scheduled_min": 120, "utilization": 1, "overtime_min": 0}
    )
    assert idle(results, "Dr A") == kpi(results, "provider_idle_mean_min") == 0
    assert kpi(results, "provider_utilization") == 1


def test_a_visit_that_does_not_fit_is_not_booked_and_its_time_stays_idle():
    """08:00-09:20 holds new 08:00-08:40 and est 08:40-09:00; the next new visit would end at 09:40, so it is not
    booked: 09:00-09:20 stays open (20 idle minutes) and the day ends on time."""
    results = run(
        clinic(
            visit_types={"new": visit(40), "est": visit(20)},
            templates={"t": multi_slot([("08:00", "09:20")])},
            providers=[provider("Dr A")],
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 520, "room 1"),
        (0, "provider_visit", 480, 480, 520, "Dr A"),
        (1, "exam_room", 520, 520, 540, "room 1"),
        (1, "provider_visit", 520, 520, 540, "Dr A"),
    ]
    assert kpi(results, "patients_booked") == 2
    assert idle(results, "Dr A") == 20
    assert usage(results, "Dr A")["utilization"] == pytest.approx(60 / 80)
    assert kpi(results, "provider_overtime_mean_min") == 0


def test_padding_with_blocked_slots_instead_books_a_visit_past_the_session_end():
    """The old way, [new, blocked, est] in 08:00-09:20, books a third patient at 09:00 whose 40-minute visit runs
    20 minutes past the session's end."""
    results = run(
        clinic(
            visit_types={"new": visit(40), "est": visit(20)},
            templates={"t": template(["new", "blocked", "est"], sessions=[("08:00", "09:20")], slot_min=20)},
            providers=[provider("Dr A")],
        )
    )
    visits = [(p, b, e) for p, step, _, b, e, _ in timeline(results) if step == "provider_visit"]
    assert visits == [(0, 480, 520), (1, 520, 540), (2, 540, 580)]
    assert kpi(results, "provider_overtime_mean_min") == 20


def test_bailey_welch_with_multi_slot_visits_in_the_engine():
    """k = 2 books new and est at 08:00, then new at 08:40 and est at 09:00 (each moved one visit earlier): the
    provider never waits for a patient, each patient waits for the one before."""
    results = run(
        clinic(
            visit_types={"new": visit(40), "est": visit(20)},
            templates={"t": multi_slot([("08:00", "10:00")], rule={"kind": "bailey_welch", "k": 2})},
            providers=[provider("Dr A")],
            exam_rooms=2,
        )
    )
    assert list(results.patients["appointment_min"]) == [480, 480, 520, 540]
    visits = [(p, b, e) for p, step, _, b, e, _ in timeline(results) if step == "provider_visit"]
    assert visits == [(0, 480, 520), (1, 520, 540), (2, 540, 580), (3, 580, 600)]
    assert kpi(results, "provider_wait_mean_min") == pytest.approx((0 + 40 + 20 + 40) / 4)
    assert kpi(results, "provider_idle_mean_min") == 0


def test_the_gantt_draws_each_scheduled_visit_as_long_as_its_slots():
    results = run(
        clinic(
            visit_types={"new": visit(40), "est": visit(20)},
            templates={"t": multi_slot([("08:00", "10:00")], double_book=["09:00"])},
            providers=[provider("Dr A")],
            exam_rooms=2,
        )
    )
    ax = plots.plot_gantt(results)
    boxes = sorted((p.get_x(), p.get_width()) for p in ax.patches)
    assert boxes == [(480, 40), (520, 20), (540, 40), (540, 40), (580, 20)]
