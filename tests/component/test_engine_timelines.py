"""The clinic-day engine under fixed durations and punctual booked patients: exact timelines and counts.

Every duration here is a bare number (a fixed time) and booked patients arrive exactly at their appointment,
so each patient's day can be worked out by hand. The tests follow patients through the pathway (check-in at
the front desk, exam room and rooming by a medical assistant, provider visit, room turnover, check-out) and
check queues at one medical assistant, breaks that wait for the patient in hand (and do not bring anyone back
after their shift's end), work finished after the end of a shift, overtime past each shift or session (into
lunch too), idle time and the schedule table, late-starting providers, documentation, turnover, telehealth,
dedicated rooms, assigned medical assistants helped by the pool, people and rooms done for the day (patients
nobody is left to serve are sent home, a check-out nobody is left to do is skipped), walk-ins, the late
policy, reneging, no-shows, early patients (who wait 0), distinct resource names and the appointment rules
(Bailey-Welch, double booking), from the event log, the patient table, resource usage and the KPIs of one
replication.

The tests at the end pin bugs found on the way, so that they stay fixed.

Times are minutes from midnight: 480 is 08:00.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import clinicsim

# -- building small clinics -------------------------------------------------------------------------------

FRONT_DESK = {
    "name": "FD",
    "role": "front_desk",
    "serves": ["check_in", "check_out"],
    "shifts": [{"start": "08:00", "end": "12:00"}],
}
MA = {"name": "MA", "role": "medical_assistant", "serves": ["rooming"], "shifts": [{"start": "08:00", "end": "12:00"}]}


def visit(provider_visit: float, *, check_in=None, rooming=None, check_out=None, **extra) -> dict:
    """A visit type with fixed step durations; a step left as None is switched off."""
    steps = {"check_in": check_in, "rooming": rooming, "provider_visit": provider_visit, "check_out": check_out}
    return {"durations_min": {k: v for k, v in steps.items() if v is not None}, **extra}


def template(pattern=("v",), *, sessions=(("08:00", "09:00"),), slot_min=30, **extra) -> dict:
    return {
        "sessions": [{"start": s, "end": e} for s, e in sessions],
        "slot_min": slot_min,
        "pattern": list(pattern),
        **extra,
    }


def provider(name: str, template_name: str = "t", **extra) -> dict:
    return {"name": name, "template": template_name, **extra}


def clinic(
    *,
    visit_types: dict,
    templates: dict,
    providers: list[dict],
    staff: list[dict] = (),
    exam_rooms: int | dict = 1,
    turnover: float = 0,
    patients: dict | None = None,
    walk_ins: list[dict] = (),
    rooms: dict | None = None,
    provider_pools: dict | None = None,
) -> clinicsim.Scenario:
    """A validated scenario of a clinic open 08:00-12:00 (``rooms``: room kinds beyond the exam rooms)."""
    return clinicsim.Scenario.model_validate(
        {
            "name": "component test clinic",
            "clinic": {
                "opens": "08:00",
                "closes": "12:00",
                "exam_rooms": exam_rooms,
                "room_turnover_min": turnover,
                "rooms": rooms or {},
            },
            "provider_pools": provider_pools or {},
            "visit_types": visit_types,
            "templates": templates,
            "providers": providers,
            "staff": list(staff),
            "patients": patients or {},
            "walk_ins": list(walk_ins),
        }
    )


def run(scenario: clinicsim.Scenario) -> clinicsim.Results:
    return clinicsim.simulate(scenario, replications=1, seed=0)


def timeline(results: clinicsim.Results) -> list[tuple]:
    """Every step row as (patient, step, queued, start, end, resource), sorted by patient then start."""
    ev = results.events
    rows = zip(ev["patient"], ev["step"], ev["queued_min"], ev["start_min"], ev["end_min"], ev["resource"])
    order = {s: i for i, s in enumerate(("check_in", "exam_room", "rooming", "provider_visit", "documentation"))}
    return sorted(
        ((int(p), s, float(q), float(b), float(e), r) for p, s, q, b, e, r in rows),
        key=lambda row: (row[0], row[3], order.get(row[1], 9)),
    )


def statuses(results: clinicsim.Results) -> list[str]:
    return list(results.patients["status"])


def kpi(results: clinicsim.Results, name: str) -> float:
    return float(results.kpis[name].iloc[0])


def usage(results: clinicsim.Results, resource: str) -> dict:
    """Busy, on-duty and scheduled minutes, utilization and overtime of one resource."""
    row = results.resources.set_index("resource").loc[resource]
    return {k: row[k] for k in ("busy_min", "on_duty_min", "scheduled_min", "utilization", "overtime_min")}


def idle(results: clinicsim.Results, resource: str) -> float:
    """Scheduled minutes of one resource without a patient (for a provider: nor documentation)."""
    return float(results.resources.set_index("resource").loc[resource, "idle_min"])


def duty(results: clinicsim.Results, resource: str) -> list[tuple[float, float]]:
    d = results.logs[0].duty
    return sorted((float(a), float(b)) for r, a, b in zip(d["resource"], d["on_min"], d["off_min"]) if r == resource)


# -- the in-person pathway --------------------------------------------------------------------------------


def test_one_patient_walks_the_whole_in_person_pathway():
    """Check-in 5, rooming 10, visit 20, turnover 4, check-out 3, for a patient booked at 08:00."""
    results = run(
        clinic(
            visit_types={"v": visit(20, check_in=5, rooming=10, check_out=3)},
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A")],
            staff=[FRONT_DESK, MA],
            turnover=4,
        )
    )
    assert timeline(results) == [
        (0, "check_in", 480, 480, 485, "FD"),
        (0, "exam_room", 485, 485, 519, "room 1"),  # held from rooming to the end of turnover
        (0, "rooming", 485, 485, 495, "MA"),
        (0, "provider_visit", 495, 495, 515, "Dr A"),
        (0, "check_out", 515, 515, 518, "FD"),
    ]
    patient = results.patients.iloc[0]
    assert (patient["status"], patient["provider"], patient["booked_with"]) == ("seen", "Dr A", "Dr A")
    assert (patient["appointment_min"], patient["arrival_min"], patient["departure_min"]) == (480, 480, 518)

    assert kpi(results, "patients_seen") == 1
    assert kpi(results, "provider_wait_mean_min") == 15  # check-in and rooming come before the provider
    assert kpi(results, "lobby_wait_mean_min") == 0
    assert kpi(results, "exam_room_wait_mean_min") == 0
    assert kpi(results, "check_out_wait_mean_min") == 0
    assert kpi(results, "cycle_time_mean_min") == 38
    assert kpi(results, "last_departure_min") == 518

    # the session ends 08:30, the visit at 08:35: five minutes of provider overtime
    assert duty(results, "Dr A") == [(480, 515)]
    assert usage(results, "Dr A") == pytest.approx(
        {"busy_min": 20, "on_duty_min": 35, "scheduled_min": 30, "utilization": 20 / 35, "overtime_min": 5}
    )
    assert kpi(results, "provider_overtime_mean_min") == 5
    assert kpi(results, "provider_idle_mean_min") == idle(results, "Dr A") == 30 - 15  # busy 08:15-08:30
    assert idle(results, "room 1") == 240 - 34
    assert usage(results, "room 1")["busy_min"] == 34
    assert kpi(results, "room_utilization") == pytest.approx(34 / 240)
    assert kpi(results, "front_desk_utilization") == pytest.approx(8 / 240)
    assert kpi(results, "ma_utilization") == pytest.approx(10 / 240)
    assert kpi(results, "staff_overtime_mean_min") == 0


def test_speed_factor_divides_the_provider_visit():
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A", speed_factor=1.25)],
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 496, "room 1"),
        (0, "provider_visit", 480, 480, 496, "Dr A"),
    ]


# -- queues, breaks and shifts of medical assistants --------------------------------------------------------

TWO_PROVIDERS_ONE_MA = {
    "visit_types": {"v": visit(20, rooming=10)},
    "templates": {"t": template(sessions=[("08:00", "08:30")])},
    "providers": [provider("Dr A"), provider("Dr B")],
    "exam_rooms": 2,
}


def test_patients_queue_first_come_first_served_at_one_medical_assistant():
    """Two patients booked at 08:00 with different providers share one pooled MA: the second waits 10 min."""
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[MA]))
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 510, "room 1"),
        (0, "rooming", 480, 480, 490, "MA"),
        (0, "provider_visit", 490, 490, 510, "Dr A"),
        (1, "exam_room", 480, 480, 520, "room 2"),
        (1, "rooming", 480, 490, 500, "MA"),
        (1, "provider_visit", 500, 500, 520, "Dr B"),
    ]
    assert kpi(results, "provider_wait_mean_min") == (10 + 20) / 2
    assert kpi(results, "ma_utilization") == pytest.approx(20 / 240)


def test_break_waits_for_the_patient_in_service_then_lasts_its_full_length():
    """A 15-minute break planned at 08:05 starts when rooming ends at 08:10 and ends at 08:25."""
    ma = {**MA, "shifts": [{"start": "08:00", "end": "12:00", "breaks": [{"start": "08:05", "duration_min": 15}]}]}
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[ma]))
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 510, "room 1"),
        (0, "rooming", 480, 480, 490, "MA"),
        (0, "provider_visit", 490, 490, 510, "Dr A"),
        (1, "exam_room", 480, 480, 535, "room 2"),
        (1, "rooming", 480, 505, 515, "MA"),
        (1, "provider_visit", 515, 515, 535, "Dr B"),
    ]
    assert duty(results, "MA") == [(480, 490), (505, 720)]
    assert usage(results, "MA") == pytest.approx(
        {"busy_min": 20, "on_duty_min": 225, "scheduled_min": 225, "utilization": 20 / 225, "overtime_min": 0}
    )


def test_work_in_hand_at_the_end_of_the_last_shift_is_finished_and_counted_as_overtime():
    """The MA's only shift ends 08:05 during a 10-minute rooming: she finishes at 08:10, five minutes over."""
    ma = {**MA, "shifts": [{"start": "08:00", "end": "08:05"}]}
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A")],
            staff=[ma],
        )
    )
    assert (0, "rooming", 480, 480, 490, "MA") in timeline(results)
    assert statuses(results) == ["seen"]
    assert duty(results, "MA") == [(480, 490)]
    assert usage(results, "MA") == pytest.approx(
        {"busy_min": 10, "on_duty_min": 10, "scheduled_min": 5, "utilization": 1.0, "overtime_min": 5}
    )
    assert kpi(results, "staff_overtime_mean_min") == 5


def test_last_shift_stays_until_patients_present_are_served():
    """The last shift ends 08:05, but a second patient is already waiting: the MA stays and rooms her too."""
    ma = {**MA, "shifts": [{"start": "08:00", "end": "08:05"}]}
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[ma]))
    assert [row for row in timeline(results) if row[1] == "rooming"] == [
        (0, "rooming", 480, 480, 490, "MA"),
        (1, "rooming", 480, 490, 500, "MA"),
    ]
    assert duty(results, "MA") == [(480, 500)]
    assert usage(results, "MA")["overtime_min"] == 15


def test_earlier_shift_ends_after_the_patient_in_hand_and_others_wait_for_the_next_shift():
    """Shifts 08:00-08:05 and 08:30-12:00: the first patient is finished at 08:10, the second waits until 08:30.

    Overtime is on-duty time past the end of each shift (up to the next one's start): the five minutes past
    08:05 count, though the last shift ends on time.
    """
    ma = {**MA, "shifts": [{"start": "08:00", "end": "08:05"}, {"start": "08:30", "end": "12:00"}]}
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[ma]))
    assert [row for row in timeline(results) if row[1] == "rooming"] == [
        (0, "rooming", 480, 480, 490, "MA"),
        (1, "rooming", 480, 510, 520, "MA"),
    ]
    assert duty(results, "MA") == [(480, 490), (510, 720)]
    assert usage(results, "MA") == pytest.approx(
        {"busy_min": 20, "on_duty_min": 220, "scheduled_min": 215, "utilization": 20 / 220, "overtime_min": 5}
    )
    assert kpi(results, "staff_overtime_mean_min") == 5
    assert idle(results, "MA") == 215 - 15  # rooming 08:00-08:05 and 08:30-08:40 fall inside the shifts


def test_break_pushed_past_the_end_of_an_earlier_shift_does_not_bring_the_person_back():
    """Shift 08:00-08:10 with a 5-minute break at 08:05, then 09:00-12:00. Rooming a patient until 08:10 pushes
    the break to 08:10-08:15, after the shift's end: the MA is off until 09:00 and rooms the second patient then.
    """
    ma = {
        **MA,
        "shifts": [
            {"start": "08:00", "end": "08:10", "breaks": [{"start": "08:05", "duration_min": 5}]},
            {"start": "09:00", "end": "12:00"},
        ],
    }
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[ma]))
    assert [row for row in timeline(results) if row[1] == "rooming"] == [
        (0, "rooming", 480, 480, 490, "MA"),
        (1, "rooming", 480, 540, 550, "MA"),
    ]
    assert duty(results, "MA") == [(480, 490), (540, 720)]
    assert usage(results, "MA")["overtime_min"] == 0


def test_break_ending_exactly_at_the_end_of_an_earlier_shift_does_not_bring_the_person_back():
    """Shift 08:00-08:20 with a break 08:10-08:20 (nobody to room), then 09:00-12:00: off from 08:10 to 09:00."""
    ma = {
        **MA,
        "shifts": [
            {"start": "08:00", "end": "08:20", "breaks": [{"start": "08:10", "duration_min": 10}]},
            {"start": "09:00", "end": "12:00"},
        ],
    }
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={"t": template(sessions=[("08:15", "08:45")])},
            providers=[provider("Dr A")],
            staff=[ma],
        )
    )
    assert (0, "rooming", 495, 540, 550, "MA") in timeline(results)
    assert duty(results, "MA") == [(480, 490), (540, 720)]


# -- providers ----------------------------------------------------------------------------------------------


def test_late_start_delays_each_session():
    """A provider 10 minutes late to each of two sessions (08:00-08:30, 09:00-09:30), one patient each."""
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(sessions=[("08:00", "08:30"), ("09:00", "09:30")])},
            providers=[provider("Dr A", late_start_min=10)],
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 510, "room 1"),
        (0, "provider_visit", 480, 490, 510, "Dr A"),
        (1, "exam_room", 540, 540, 570, "room 1"),
        (1, "provider_visit", 540, 550, 570, "Dr A"),
    ]
    assert duty(results, "Dr A") == [(490, 510), (550, 570)]
    assert kpi(results, "provider_wait_mean_min") == 10
    assert kpi(results, "provider_idle_mean_min") == 60 - 40
    assert kpi(results, "provider_overtime_mean_min") == 0
    assert kpi(results, "provider_utilization") == 1.0


@pytest.mark.parametrize(
    ("visit_min", "expected_timeline", "expected_duty", "overtime"),
    [
        # the morning visit ends 08:40, ten minutes into lunch; the afternoon one ends 09:40, ten minutes late
        (40, [(0, 480, 480, 520), (1, 540, 540, 580)], [(480, 520), (540, 580)], 10 + 10),
        # the morning visit runs to 09:10, through lunch into the afternoon session: 30 minutes of lunch
        # overtime, and the afternoon patient waits, so that session runs 50 minutes late
        (70, [(0, 480, 480, 550), (1, 540, 550, 620)], [(480, 550), (550, 620)], 30 + 50),
    ],
)
def test_provider_overtime_is_counted_past_each_session_including_into_lunch(
    visit_min, expected_timeline, expected_duty, overtime
):
    """Sessions 08:00-08:30 and 09:00-09:30, one patient booked at the start of each."""
    results = run(
        clinic(
            visit_types={"v": visit(visit_min)},
            templates={"t": template(sessions=[("08:00", "08:30"), ("09:00", "09:30")])},
            providers=[provider("Dr A")],
            exam_rooms=2,
        )
    )
    visits = [(p, q, b, e) for p, step, q, b, e, _ in timeline(results) if step == "provider_visit"]
    assert visits == expected_timeline
    assert duty(results, "Dr A") == expected_duty
    assert usage(results, "Dr A")["overtime_min"] == overtime
    assert kpi(results, "provider_overtime_mean_min") == overtime
    assert kpi(results, "provider_idle_mean_min") == 0  # both sessions are busy from start to end
    assert kpi(results, "provider_utilization") == 1.0


def test_documentation_occupies_the_provider_but_not_the_room():
    """One room, two patients at 08:00, 5 minutes of charting after each visit: the room turns over at 08:20,
    the provider is free only at 08:25."""
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(sessions=[("08:00", "08:30")], double_book=["08:00"])},
            providers=[provider("Dr A", documentation_min=5)],
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 500, "room 1"),
        (0, "provider_visit", 480, 480, 500, "Dr A"),
        (0, "documentation", 500, 500, 505, "Dr A"),
        (1, "exam_room", 480, 500, 525, "room 1"),
        (1, "provider_visit", 500, 505, 525, "Dr A"),
        (1, "documentation", 525, 525, 530, "Dr A"),
    ]
    assert duty(results, "Dr A") == [(480, 530)]
    assert usage(results, "Dr A")["busy_min"] == 50
    assert usage(results, "room 1")["busy_min"] == 45
    assert kpi(results, "provider_utilization") == 1.0
    assert kpi(results, "exam_room_wait_mean_min") == (0 + 5) / 2
    assert kpi(results, "cycle_time_mean_min") == (20 + 45) / 2  # the patient leaves before the charting


def test_provider_stays_for_booked_patients_who_arrive_after_the_session():
    """Patients 40 minutes late to 08:00 and 08:30 appointments; the session ends 09:00, the last arrives 09:10."""
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template()},
            providers=[provider("Dr A")],
            patients={"lateness_min": 40},
        )
    )
    assert [row for row in timeline(results) if row[1] == "provider_visit"] == [
        (0, "provider_visit", 520, 520, 540, "Dr A"),
        (1, "provider_visit", 550, 550, 570, "Dr A"),
    ]
    assert duty(results, "Dr A") == [(480, 570)]
    assert kpi(results, "provider_overtime_mean_min") == 30
    assert kpi(results, "provider_wait_mean_min") == 0  # waits run from the later of arrival and appointment


# -- rooms ----------------------------------------------------------------------------------------------------


def test_room_turnover_blocks_the_next_patient():
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(sessions=[("08:00", "08:30")], double_book=["08:00"])},
            providers=[provider("Dr A")],
            turnover=5,
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 505, "room 1"),
        (0, "provider_visit", 480, 480, 500, "Dr A"),
        (1, "exam_room", 480, 505, 530, "room 1"),
        (1, "provider_visit", 505, 505, 525, "Dr A"),
    ]
    assert duty(results, "room 1") == [(480, 720)]
    assert usage(results, "room 1")["busy_min"] == 50


DEDICATED = {
    "visit_types": {"v": visit(20)},
    "templates": {
        "double": template(sessions=[("08:00", "08:30")], double_book=["08:00"]),
        "later": template(sessions=[("08:30", "09:00")]),
    },
    "providers": [provider("Dr A", "double"), provider("Dr B", "later")],
    "turnover": 5,
}


def test_dedicated_rooms_serve_only_their_provider():
    """Dr A's second patient waits for Dr A's room to turn over while Dr B's room stands empty."""
    results = run(clinic(**DEDICATED, exam_rooms={"Dr A": 1, "Dr B": 1}))
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 505, "Dr A room 1"),
        (0, "provider_visit", 480, 480, 500, "Dr A"),
        (1, "exam_room", 480, 505, 530, "Dr A room 1"),
        (1, "provider_visit", 505, 505, 525, "Dr A"),
        (2, "exam_room", 510, 510, 535, "Dr B room 1"),
        (2, "provider_visit", 510, 510, 530, "Dr B"),
    ]
    resources = results.resources.set_index("resource")
    assert resources.loc["Dr A room 1", "group"] == "Dr A"
    assert resources.loc["Dr B room 1", "group"] == "Dr B"


def test_the_same_two_rooms_pooled_let_the_second_patient_in_at_once():
    results = run(clinic(**DEDICATED, exam_rooms=2))
    assert [row for row in timeline(results) if row[0] == 1] == [
        (1, "exam_room", 480, 480, 525, "room 2"),
        (1, "provider_visit", 480, 500, 520, "Dr A"),
    ]


# -- telehealth ------------------------------------------------------------------------------------------------


def test_telehealth_needs_no_room_and_no_front_desk():
    """Dr A sees an in-person patient at 08:00 in the only room; Dr B's video visit at 08:00 starts at once."""
    results = run(
        clinic(
            visit_types={
                "in_person": visit(20, check_in=5, rooming=10, check_out=3),
                "video": visit(15, needs_room=False),
            },
            templates={
                "in_person": template(["in_person"], sessions=[("08:00", "08:30")]),
                "video": template(["video"], sessions=[("08:00", "08:30")]),
            },
            providers=[provider("Dr A", "in_person"), provider("Dr B", "video")],
            staff=[FRONT_DESK, MA],
        )
    )
    assert [row for row in timeline(results) if row[0] == 1] == [(1, "provider_visit", 480, 480, 495, "Dr B")]
    assert [row[1] for row in timeline(results) if row[0] == 0] == [
        "check_in",
        "exam_room",
        "rooming",
        "provider_visit",
        "check_out",
    ]
    assert statuses(results) == ["seen", "seen"]
    assert usage(results, "room 1")["busy_min"] == 30
    assert usage(results, "FD")["busy_min"] == 8


def test_telehealth_only_day_leaves_rooms_and_front_desk_idle():
    results = run(
        clinic(
            visit_types={"video": visit(15, needs_room=False)},
            templates={"t": template(["video"])},
            providers=[provider("Dr A")],
            staff=[FRONT_DESK],
        )
    )
    assert timeline(results) == [
        (0, "provider_visit", 480, 480, 495, "Dr A"),
        (1, "provider_visit", 510, 510, 525, "Dr A"),
    ]
    assert kpi(results, "room_utilization") == 0
    assert kpi(results, "front_desk_utilization") == 0


# -- medical assistants assigned to providers ---------------------------------------------------------------------


def test_assigned_ma_comes_first_and_the_pool_helps_when_she_is_busy():
    """MA Evans works for Dr A (two patients at 08:00), the pooled MA for everyone (Dr B: one patient at 08:00).

    Dr A's first patient gets MA Evans although the pool is listed first and free: assigned staff come first.
    Dr A's second patient finds MA Evans busy and is roomed by the pool, so Dr B's patient waits for the pool.
    """
    evans = {**MA, "name": "MA Evans", "assigned_to": ["Dr A"]}
    pool = {**MA, "name": "MA Pool"}
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={
                "double": template(sessions=[("08:00", "08:30")], double_book=["08:00"]),
                "single": template(sessions=[("08:00", "08:30")]),
            },
            providers=[provider("Dr A", "double"), provider("Dr B", "single")],
            staff=[pool, evans],
            exam_rooms=3,
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 510, "room 1"),
        (0, "rooming", 480, 480, 490, "MA Evans"),
        (0, "provider_visit", 490, 490, 510, "Dr A"),
        (1, "exam_room", 480, 480, 530, "room 2"),
        (1, "rooming", 480, 480, 490, "MA Pool"),
        (1, "provider_visit", 490, 510, 530, "Dr A"),
        (2, "exam_room", 480, 480, 520, "room 3"),
        (2, "rooming", 480, 490, 500, "MA Pool"),
        (2, "provider_visit", 500, 500, 520, "Dr B"),
    ]
    assert usage(results, "MA Pool")["busy_min"] == 20
    assert usage(results, "MA Evans")["busy_min"] == 10


def test_the_pool_does_not_serve_a_provider_whose_assigned_ma_is_free():
    """Dr A's patients at 08:00 and 08:30: MA Evans is free each time, so the pool never rooms them."""
    evans = {**MA, "name": "MA Evans", "assigned_to": ["Dr A"]}
    pool = {**MA, "name": "MA Pool"}
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={"t": template()},
            providers=[provider("Dr A")],
            staff=[pool, evans],
        )
    )
    assert [row for row in timeline(results) if row[1] == "rooming"] == [
        (0, "rooming", 480, 480, 490, "MA Evans"),
        (1, "rooming", 510, 510, 520, "MA Evans"),
    ]
    assert usage(results, "MA Pool")["busy_min"] == 0


def test_a_pooled_group_of_two_rooms_two_patients_at_once():
    ma_pair = {**MA, "name": "MAs", "count": 2}
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[ma_pair]))
    assert [row for row in timeline(results) if row[1] == "rooming"] == [
        (0, "rooming", 480, 480, 490, "MAs#1"),
        (1, "rooming", 480, 480, 490, "MAs#2"),
    ]


# -- walk-ins ---------------------------------------------------------------------------------------------------

WALK_IN_DAY = {
    "visit_types": {"long": visit(240, needs_room=False), "quick": visit(1, needs_room=False)},
    "templates": {
        "busy": template(["long"], sessions=[("08:00", "12:00")], slot_min=240),
        "open": template(["blocked"], sessions=[("08:00", "12:00")], slot_min=240),
    },
    "providers": [provider("Dr A", "busy"), provider("Dr B", "open")],
}


def single_server_times(arrivals, *, free_from: float, minutes: float) -> list[tuple[float, float]]:
    """Start and end of each visit at one server that serves arrivals in order from ``free_from``."""
    out, free = [], free_from
    for arrival in arrivals:
        start = max(arrival, free)
        free = start + minutes
        out.append((start, free))
    return out


def test_walk_ins_go_to_the_named_provider_or_to_the_first_free_one():
    """Dr A is busy with one 4-hour visit; walk-ins for anyone go to the idle Dr B, walk-ins for Dr A wait."""
    results = run(
        clinic(
            **WALK_IN_DAY,
            walk_ins=[
                {"name": "anyone", "visit_type": "quick", "rates": [{"start": "08:00", "end": "11:00", "per_hour": 4}]},
                {
                    "name": "for A",
                    "visit_type": "quick",
                    "provider": "Dr A",
                    "rates": [{"start": "08:00", "end": "11:00", "per_hour": 2}],
                },
            ],
        )
    )
    pt = results.patients
    visits = results.events[results.events["step"] == "provider_visit"].set_index("patient")
    anyone = pt[pt["source"] == "anyone"].sort_values("arrival_min")
    for_a = pt[pt["source"] == "for A"].sort_values("arrival_min")
    assert len(anyone) > 3 and len(for_a) > 1  # the seed gives a few of each
    assert set(anyone["booked_with"]) == {""} and set(for_a["booked_with"]) == {"Dr A"}
    assert (pt["status"] == "seen").all()
    assert kpi(results, "walk_ins") == len(anyone) + len(for_a)
    assert kpi(results, "patients_booked") == 1

    assert set(anyone["provider"]) == {"Dr B"}
    expected_b = single_server_times(anyone["arrival_min"], free_from=480, minutes=1)
    assert visits.loc[anyone["patient"], ["start_min", "end_min"]].to_numpy() == pytest.approx(np.array(expected_b))

    # Dr A's walk-ins wait for the end of the 4-hour visit at 12:00, then are seen one after another
    assert set(for_a["provider"]) == {"Dr A"}
    expected_a = single_server_times(for_a["arrival_min"], free_from=720, minutes=1)
    assert visits.loc[for_a["patient"], ["start_min", "end_min"]].to_numpy() == pytest.approx(np.array(expected_a))
    assert duty(results, "Dr A") == [(480, pytest.approx(720 + len(for_a)))]
    assert duty(results, "Dr B") == [(480, 720)]


def test_walk_in_for_the_first_free_provider_prefers_the_first_listed_when_both_are_free():
    results = run(
        clinic(
            visit_types={"quick": visit(1, needs_room=False)},
            templates={"open": template(["blocked"], sessions=[("08:00", "12:00")], slot_min=240)},
            providers=[provider("Dr A", "open"), provider("Dr B", "open")],
            walk_ins=[
                {"name": "anyone", "visit_type": "quick", "rates": [{"start": "08:00", "end": "12:00", "per_hour": 1}]}
            ],
        )
    )
    pt = results.patients
    arrivals = np.sort(pt["arrival_min"].to_numpy())
    assert len(pt) >= 2 and np.all(np.diff(arrivals) > 1)  # never two at once with this seed
    assert set(pt["provider"]) == {"Dr A"}


# -- late arrivals, reneging and no-shows --------------------------------------------------------------------------

PROVIDER_ONLY = {
    "visit_types": {"v": visit(20)},
    "templates": {"t": template()},
    "providers": [provider("Dr A")],
}


@pytest.mark.parametrize(("lateness", "seen", "turned_away"), [(0, 2, 0), (15, 2, 0), (15.5, 0, 2)])
def test_late_policy_turns_away_patients_later_than_the_limit(lateness, seen, turned_away):
    """With turn_away_if_late_by_min 15, a patient exactly 15 minutes late is seen; later ones are turned away."""
    results = run(clinic(**PROVIDER_ONLY, patients={"lateness_min": lateness, "turn_away_if_late_by_min": 15}))
    assert kpi(results, "patients_seen") == seen
    assert kpi(results, "turned_away") == turned_away
    assert kpi(results, "patients_arrived") == 2
    if turned_away:
        assert len(results.events) == 0
        pt = results.patients
        assert list(pt["departure_min"]) == list(pt["arrival_min"]) == [480 + lateness, 510 + lateness]
        assert duty(results, "Dr A") == [(480, 540)]  # nobody to wait for after the session
        assert kpi(results, "provider_overtime_mean_min") == 0
        assert math.isnan(kpi(results, "provider_wait_mean_min"))


def test_late_policy_applies_to_each_patient_by_their_own_lateness():
    """Lateness 0 or 30 minutes at random; exactly the patients more than 15 minutes late are turned away."""
    results = run(
        clinic(
            visit_types={"v": visit(5)},
            templates={"t": template(sessions=[("08:00", "11:00")], slot_min=10)},
            providers=[provider("Dr A")],
            patients={"lateness_min": {"kind": "empirical", "values": [0, 30]}, "turn_away_if_late_by_min": 15},
        )
    )
    pt = results.patients
    late = (pt["arrival_min"] - pt["appointment_min"]) > 15
    assert 0 < late.sum() < len(pt)
    assert list(pt["status"]) == ["turned_away" if x else "seen" for x in late]
    assert kpi(results, "turned_away") == late.sum()
    assert kpi(results, "patients_seen") == (~late).sum()


def test_patient_waiting_for_a_room_reneges_at_the_deadline():
    """One room, two patients at 08:00, renege after 15 min: the second leaves at 08:15 without a room."""
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(sessions=[("08:00", "08:30")], double_book=["08:00"])},
            providers=[provider("Dr A")],
            patients={"renege_after_min": 15},
        )
    )
    assert timeline(results) == [
        (0, "exam_room", 480, 480, 500, "room 1"),
        (0, "provider_visit", 480, 480, 500, "Dr A"),
    ]
    assert statuses(results) == ["seen", "left_without_being_seen"]
    assert results.patients["departure_min"].iloc[1] == 495
    assert kpi(results, "left_without_being_seen") == 1
    assert kpi(results, "patients_seen") == 1
    assert duty(results, "Dr A") == [(480, 510)]


def test_roomed_patient_does_not_renege():
    """With two rooms the second patient is roomed at 08:00 and waits 20 minutes for the provider: she stays."""
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(sessions=[("08:00", "08:30")], double_book=["08:00"])},
            providers=[provider("Dr A")],
            exam_rooms=2,
            patients={"renege_after_min": 15},
        )
    )
    assert statuses(results) == ["seen", "seen"]
    assert (1, "provider_visit", 480, 500, 520, "Dr A") in timeline(results)


def test_telehealth_patient_waiting_for_the_provider_reneges():
    results = run(
        clinic(
            visit_types={"video": visit(20, needs_room=False)},
            templates={"t": template(["video"], sessions=[("08:00", "08:30")], double_book=["08:00"])},
            providers=[provider("Dr A")],
            patients={"renege_after_min": 15},
        )
    )
    assert statuses(results) == ["seen", "left_without_being_seen"]
    assert results.patients["departure_min"].iloc[1] == 495
    assert timeline(results) == [(0, "provider_visit", 480, 480, 500, "Dr A")]


def test_reneging_frees_the_front_desk_from_the_check_out_it_would_have_done():
    """The front desk's last shift ends 08:10; a patient who left at 08:20 no longer needs check-out."""
    desk = {**FRONT_DESK, "shifts": [{"start": "08:00", "end": "08:10"}]}
    results = run(
        clinic(
            visit_types={"v": visit(20, check_in=5, check_out=5)},
            templates={"t": template(sessions=[("08:00", "08:30")], double_book=["08:00"])},
            providers=[provider("Dr A")],
            staff=[desk],
            patients={"renege_after_min": 15},
        )
    )
    assert statuses(results) == ["seen", "left_without_being_seen"]
    assert results.patients["departure_min"].iloc[1] == 495  # checked in 08:05-08:10, leaves at 08:15
    # the desk stays for the first patient's check-out (08:25-08:30) and not a minute longer
    assert (0, "check_out", 505, 505, 510, "FD") in timeline(results)
    assert duty(results, "FD") == [(480, 510)]


@pytest.mark.parametrize(("p_no_show", "seen", "no_shows"), [(0.0, 2, 0), (1.0, 0, 2)])
def test_no_show_probability_zero_and_one(p_no_show, seen, no_shows):
    results = run(
        clinic(
            visit_types={"v": visit(20, p_no_show=p_no_show)},
            templates={"t": template()},
            providers=[provider("Dr A")],
        )
    )
    assert kpi(results, "patients_booked") == 2
    assert kpi(results, "patients_seen") == seen
    assert kpi(results, "no_shows") == no_shows
    assert kpi(results, "patients_arrived") == seen
    assert len(results.events) == 2 * seen
    assert duty(results, "Dr A") == [(480, 540)]
    if no_shows:
        assert statuses(results) == ["no_show", "no_show"]
        assert results.patients["departure_min"].isna().all()
        assert kpi(results, "provider_utilization") == 0
        assert kpi(results, "provider_idle_mean_min") == 60
        assert math.isnan(kpi(results, "cycle_time_mean_min"))


# -- appointment rules ---------------------------------------------------------------------------------------------

TWO_HOURS = {"sessions": [{"start": "08:00", "end": "10:00"}], "slot_min": 20, "pattern": ["v"]}
VISIT_TYPES = {"v": clinicsim.scenario.VisitType.model_validate(visit(20))}


def appointments(template_dict: dict) -> list[tuple[float, float, str]]:
    template = clinicsim.scenario.Template.model_validate(template_dict)
    return [(a.time_min, a.slot_min, a.booking) for a in clinicsim.expand_template(template, VISIT_TYPES)]


def test_fixed_interval_books_one_patient_per_slot():
    assert [t for t, _, _ in appointments(TWO_HOURS)] == [480, 500, 520, 540, 560, 580]


@pytest.mark.parametrize(
    ("k", "times"),
    [(1, [480, 500, 520, 540, 560, 580]), (2, [480, 480, 500, 520, 540, 560]), (3, [480] * 3 + [500, 520, 540])],
)
def test_bailey_welch_books_k_patients_at_the_start_then_one_a_slot(k, times):
    booked = appointments({**TWO_HOURS, "rule": {"kind": "bailey_welch", "k": k}})
    assert [t for t, _, _ in booked] == times
    assert [s for _, s, _ in booked] == [480, 500, 520, 540, 560, 580]


def test_double_booking_adds_a_second_patient_at_the_named_slots():
    booked = appointments({**TWO_HOURS, "double_book": ["08:20", "09:20"]})
    assert booked == [
        (480, 480, "regular"),
        (500, 500, "regular"),
        (500, 500, "double_book"),
        (520, 520, "regular"),
        (540, 540, "regular"),
        (560, 560, "regular"),
        (560, 560, "double_book"),
        (580, 580, "regular"),
    ]


def test_bailey_welch_day_in_the_engine():
    """Bailey-Welch (k=2) with 20-minute visits in 20-minute slots: the provider is never idle, every patient
    but the first waits exactly 20 minutes, and the day ends on time."""
    scenario = clinic(
        visit_types={"v": visit(20)},
        templates={"t": {**TWO_HOURS, "rule": {"kind": "bailey_welch", "k": 2}}},
        providers=[provider("Dr A")],
        exam_rooms=2,
    )
    results = run(scenario)
    pt = results.patients
    assert list(pt["appointment_min"]) == [480, 480, 500, 520, 540, 560]
    assert list(pt["booking"]) == ["regular"] * 6
    visits = [row for row in timeline(results) if row[1] == "provider_visit"]
    assert [(row[3], row[4]) for row in visits] == [(480 + 20 * j, 500 + 20 * j) for j in range(6)]
    assert kpi(results, "provider_wait_mean_min") == pytest.approx(5 * 20 / 6)
    assert kpi(results, "provider_idle_mean_min") == 0
    assert kpi(results, "provider_overtime_mean_min") == 0


def test_double_booked_day_in_the_engine():
    """A second patient at 08:20 pushes every later visit back by one visit length."""
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": {**TWO_HOURS, "double_book": ["08:20"]}},
            providers=[provider("Dr A")],
            exam_rooms=3,
        )
    )
    pt = results.patients
    assert list(pt["appointment_min"]) == [480, 500, 500, 520, 540, 560, 580]
    assert list(pt["booking"]) == ["regular", "regular", "double_book", "regular", "regular", "regular", "regular"]
    visits = [row for row in timeline(results) if row[1] == "provider_visit"]
    assert [(row[0], row[3]) for row in visits] == [
        (0, 480),
        (1, 500),
        (2, 520),
        (3, 540),
        (4, 560),
        (5, 580),
        (6, 600),
    ]
    assert kpi(results, "provider_overtime_mean_min") == 20


# -- early patients ------------------------------------------------------------------------------------------------


def test_a_patient_seen_before_the_appointment_time_waits_zero():
    """Everyone comes 15 minutes early to 08:00, 08:30 and a double-booked 08:30, with one room.

    The first is seen at 08:00 (wait 0), the second at 08:20, before her appointment (wait 0, not -10), the
    third at 08:40 (wait 10).
    """
    results = run(
        clinic(
            visit_types={"v": visit(20)},
            templates={"t": template(double_book=["08:30"])},
            providers=[provider("Dr A")],
            patients={"lateness_min": -15},
        )
    )
    assert [row for row in timeline(results) if row[1] == "provider_visit"] == [
        (0, "provider_visit", 480, 480, 500, "Dr A"),
        (1, "provider_visit", 500, 500, 520, "Dr A"),
        (2, "provider_visit", 520, 520, 540, "Dr A"),
    ]
    assert list(results.patients["arrival_min"]) == [465, 495, 495]
    assert kpi(results, "provider_wait_mean_min") == pytest.approx(10 / 3)
    assert kpi(results, "provider_wait_p90_min") == pytest.approx(8)  # the 90th percentile of 0, 0 and 10
    assert kpi(results, "pct_seen_within_15_min") == 100


# -- people and rooms done for the day -----------------------------------------------------------------------------


def test_patient_who_reaches_a_step_nobody_is_left_to_do_is_sent_home_and_nobody_waits_for_them():
    """The only MA works 07:30-07:50; the front desk 08:00-08:10. Patients are booked at 08:00 and 08:30.

    The first is checked in 08:00-08:05, takes the room, and finds nobody left to room her: she is sent home at
    08:05 as not seen at close; the room is released at once (no turnover) and its row ends then. Her check-out
    is no longer pending, so the front desk leaves at 08:10. The second arrives at 08:30 and finds nobody to
    check her in: she is sent home at once, with no step at all. The provider does not wait for either.
    """
    results = run(
        clinic(
            visit_types={"v": visit(20, check_in=5, rooming=10, check_out=3)},
            templates={"t": template()},
            providers=[provider("Dr A")],
            staff=[
                {**FRONT_DESK, "shifts": [{"start": "08:00", "end": "08:10"}]},
                {**MA, "shifts": [{"start": "07:30", "end": "07:50"}]},
            ],
            turnover=4,
        )
    )
    assert timeline(results) == [
        (0, "check_in", 480, 480, 485, "FD"),
        (0, "exam_room", 485, 485, 485, "room 1"),
    ]
    pt = results.patients
    assert statuses(results) == ["not_seen_at_close", "not_seen_at_close"]
    assert list(pt["departure_min"]) == [485, 510]
    assert list(pt["provider"]) == ["", ""]
    assert duty(results, "MA") == [(450, 470)]
    assert duty(results, "FD") == [(480, 490)]
    assert duty(results, "Dr A") == [(480, 540)]
    assert kpi(results, "not_seen_at_close") == 2
    assert kpi(results, "patients_seen") == 0
    assert kpi(results, "staff_overtime_mean_min") == 0
    assert kpi(results, "provider_overtime_mean_min") == 0
    assert kpi(results, "room_utilization") == 0
    assert kpi(results, "last_departure_min") == 510
    assert math.isnan(kpi(results, "cycle_time_mean_min"))


def test_walk_ins_arriving_after_their_provider_left_are_sent_home_and_do_not_keep_the_front_desk():
    """Dr A works 08:00-09:00; walk-ins for Dr A keep coming 09:10-09:50. Each is sent home on arrival, never
    checked in, so the front desk leaves at the end of her shift (10:00), not at closing time (17:00)."""
    scenario = clinicsim.Scenario.model_validate(
        {
            "name": "stranded walk-ins",
            "clinic": {"opens": "08:00", "closes": "17:00", "exam_rooms": 1},
            "visit_types": {"v": visit(20, check_in=5, check_out=3)},
            "templates": {"t": template(["blocked"])},
            "providers": [provider("Dr A")],
            "staff": [{**FRONT_DESK, "shifts": [{"start": "08:00", "end": "10:00"}]}],
            "walk_ins": [
                {
                    "name": "w",
                    "visit_type": "v",
                    "provider": "Dr A",
                    "rates": [{"start": "09:10", "end": "09:50", "per_hour": 6}],
                }
            ],
        }
    )
    results = run(scenario)
    pt = results.patients
    assert len(pt) > 0
    assert set(pt["status"]) == {"not_seen_at_close"}
    assert list(pt["departure_min"]) == list(pt["arrival_min"])
    assert len(results.events) == 0
    assert duty(results, "Dr A") == [(480, 540)]
    assert duty(results, "FD") == [(480, 600)]
    assert kpi(results, "staff_overtime_mean_min") == 0


def test_walk_ins_for_the_first_free_provider_go_to_whoever_is_left_and_home_when_nobody_is():
    """Dr A works 08:00-09:00 and Dr B 08:00-10:00, both without bookings; walk-ins for anyone come 08:00-11:00.

    While both work, the first listed (Dr A) sees them; from 09:00 Dr B does; from 10:00 they are sent home on
    arrival.
    """
    results = run(
        clinic(
            visit_types={"quick": visit(1, needs_room=False)},
            templates={
                "a": template(["blocked"], sessions=[("08:00", "09:00")], slot_min=60),
                "b": template(["blocked"], sessions=[("08:00", "10:00")], slot_min=120),
            },
            providers=[provider("Dr A", "a"), provider("Dr B", "b")],
            walk_ins=[
                {"name": "anyone", "visit_type": "quick", "rates": [{"start": "08:00", "end": "11:00", "per_hour": 3}]}
            ],
        )
    )
    pt = results.patients
    early, middle, late = pt["arrival_min"] < 540, pt["arrival_min"].between(540, 600), pt["arrival_min"] > 600
    assert early.sum() > 0 and middle.sum() > 0 and late.sum() > 0  # this seed gives some of each
    assert set(pt.loc[early, "provider"]) == {"Dr A"}
    assert set(pt.loc[middle, "provider"]) == {"Dr B"}
    assert set(pt.loc[early | middle, "status"]) == {"seen"}
    assert set(pt.loc[late, "status"]) == {"not_seen_at_close"}
    assert list(pt.loc[late, "departure_min"]) == list(pt.loc[late, "arrival_min"])
    assert set(pt.loc[late, "provider"]) == {""}
    assert duty(results, "Dr A") == [(480, 540)]
    assert duty(results, "Dr B") == [(480, 600)]


def test_a_patient_seen_by_the_provider_is_seen_even_without_anyone_left_to_check_them_out():
    """The front desk works 07:30-07:50 only; a video visit with check-out is seen 08:00-08:05. Check-out is
    skipped: the patient leaves at 08:05 and counts as seen."""
    desk = {**FRONT_DESK, "shifts": [{"start": "07:30", "end": "07:50"}]}
    results = run(
        clinic(
            visit_types={"v": visit(5, check_out=2, needs_room=False)},
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A")],
            staff=[desk],
        )
    )
    assert timeline(results) == [(0, "provider_visit", 480, 480, 485, "Dr A")]
    assert statuses(results) == ["seen"]
    assert results.patients["departure_min"].iloc[0] == 485
    assert kpi(results, "patients_seen") == 1
    assert kpi(results, "cycle_time_mean_min") == 5
    assert math.isnan(kpi(results, "check_out_wait_mean_min"))
    assert duty(results, "FD") == [(450, 470)]


# -- the schedule table, overtime and idle time --------------------------------------------------------------------


def test_schedule_table_lists_sessions_shifts_and_opening_hours_and_overtime_counts_past_each():
    """Dr A: sessions 08:00-08:30 and 11:30-12:00, a 40-minute visit booked at the start of each; the MA:
    shifts 08:00-10:00 (15-minute break at 09:00) and 10:30-12:00; the room is open 08:00-12:00.

    The morning visit (08:10-08:50) runs 20 minutes past the morning session, the afternoon one (11:40-12:20)
    20 minutes past closing: the provider has 40 minutes of overtime, the room 20, the MA none.
    """
    ma = {
        **MA,
        "shifts": [
            {"start": "08:00", "end": "10:00", "breaks": [{"start": "09:00", "duration_min": 15}]},
            {"start": "10:30", "end": "12:00"},
        ],
    }
    results = run(
        clinic(
            visit_types={"v": visit(40, rooming=10)},
            templates={"t": template(sessions=[("08:00", "08:30"), ("11:30", "12:00")])},
            providers=[provider("Dr A")],
            staff=[ma],
        )
    )
    assert [row for row in timeline(results) if row[1] == "provider_visit"] == [
        (0, "provider_visit", 490, 490, 530, "Dr A"),
        (1, "provider_visit", 700, 700, 740, "Dr A"),
    ]
    schedule = results.logs[0].schedule
    assert list(zip(schedule["resource"], schedule["start_min"], schedule["end_min"])) == [
        ("Dr A", 480, 510),
        ("Dr A", 690, 720),
        ("MA", 480, 600),
        ("MA", 630, 720),
        ("room 1", 480, 720),
    ]
    assert not hasattr(results.logs[0], "sessions")
    assert "scheduled_end_min" not in results.logs[0].resources
    assert duty(results, "Dr A") == [(480, 530), (690, 740)]
    assert duty(results, "MA") == [(480, 540), (555, 600), (630, 720)]
    assert duty(results, "room 1") == [(480, 740)]

    assert usage(results, "Dr A") == pytest.approx(
        {"busy_min": 80, "on_duty_min": 100, "scheduled_min": 60, "utilization": 0.8, "overtime_min": 40}
    )
    assert idle(results, "Dr A") == 60 - 20 - 20  # busy 08:10-08:30 and 11:40-12:00 of the sessions
    assert usage(results, "room 1")["overtime_min"] == 20
    assert idle(results, "room 1") == 240 - 50 - 30  # occupied 08:00-08:50 and 11:30-12:00 of the opening
    assert usage(results, "MA")["scheduled_min"] == 120 - 15 + 90
    assert usage(results, "MA")["overtime_min"] == 0
    assert kpi(results, "provider_overtime_mean_min") == 40
    assert kpi(results, "provider_idle_mean_min") == 20
    assert kpi(results, "staff_overtime_mean_min") == 0


# -- resource names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "location", "name"),
    [
        ({"staff": [{**MA, "name": "room 1"}]}, ("staff", 0, "name"), "room 1"),
        ({"staff": [{**MA, "name": "Dr A room 1"}], "exam_rooms": {"Dr A": 1}}, ("staff", 0, "name"), "Dr A room 1"),
        ({"providers": [provider("room 2")], "exam_rooms": 2}, ("providers", 0, "name"), "room 2"),
        ({"staff": [{**MA, "name": "Dr A"}]}, ("staff", 0, "name"), "Dr A"),
        ({"providers": [provider("Dr A"), provider("Dr A")]}, ("providers", 1, "name"), "Dr A"),
        ({"staff": [MA, {**FRONT_DESK, "name": "MA"}]}, ("staff", 1, "name"), "MA"),
    ],
    ids=[
        "staff-as-room",
        "staff-as-dedicated-room",
        "provider-as-room",
        "staff-as-provider",
        "two-providers",
        "two-groups",
    ],
)
def test_providers_staff_and_rooms_must_have_distinct_names(changes, location, name):
    from pydantic import ValidationError

    scenario = {
        "visit_types": {"v": visit(20, rooming=10)},
        "templates": {"t": template()},
        "providers": [provider("Dr A")],
        "staff": [MA],
        **changes,
    }
    with pytest.raises(ValidationError) as error:
        clinic(**scenario)
    problems = {tuple(e["loc"]): e["msg"] for e in error.value.errors()}
    assert problems == {location: f"the name {name!r} is already taken"}


def test_numbered_people_of_a_group_do_not_clash_with_a_group_of_one():
    """Two MAs called "MA#1" and "MA#2" and a provider called "MA" are three different names."""
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={"t": template()},
            providers=[provider("MA")],
            staff=[{**MA, "name": "MA", "count": 2}],
        )
    )
    assert list(results.resources["resource"]) == ["MA", "MA#1", "MA#2", "room 1"]


# -- regressions: bugs found on the way, now fixed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "shift, session",
    [
        pytest.param(
            {"start": "08:00", "end": "08:20", "breaks": [{"start": "08:10", "duration_min": 10}]},
            ("08:15", "08:45"),
            id="planned",
        ),
        pytest.param(
            {"start": "08:00", "end": "08:10", "breaks": [{"start": "08:05", "duration_min": 5}]},
            ("08:00", "08:30"),
            id="pushed",
        ),
    ],
)
def test_a_break_ending_after_the_last_shift_does_not_strand_the_patients_still_waiting(shift, session):
    """The MA's only shift ends during or right at the end of her break, while patients wait to be roomed.

    She goes home from her break; the patients nobody is left to room must still leave (sent home) and the
    provider go home before the clinic closes, instead of everyone waiting until the run ends.
    """
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={"t": template(sessions=[session], double_book=[session[0]])},
            providers=[provider("Dr A")],
            staff=[{**MA, "shifts": [shift]}],
            exam_rooms=2,
        )
    )
    pt = results.patients
    assert pt["departure_min"].notna().all(), pt[["status", "departure_min"]]
    assert duty(results, "Dr A")[-1][1] < 720


def test_a_patient_who_queues_while_the_last_person_finishes_her_patient_is_still_served():
    """The front desk (check-in only) works until 08:05 and checks Dr A's patient in 08:00-08:10. Dr B's patient
    arrives at 08:08 and queues for check-in while the desk is still there: she is checked in 08:10-08:20 and
    seen by Dr B, who works until 08:38."""
    desk = {**FRONT_DESK, "serves": ["check_in"], "shifts": [{"start": "08:00", "end": "08:05"}]}
    results = run(
        clinic(
            visit_types={"v": visit(20, check_in=10, needs_room=False)},
            templates={"a": template(sessions=[("08:00", "08:30")]), "b": template(sessions=[("08:08", "08:38")])},
            providers=[provider("Dr A", "a"), provider("Dr B", "b")],
            staff=[desk],
        )
    )
    assert (1, "check_in", 488, 490, 500, "FD") in timeline(results)
    assert statuses(results) == ["seen", "seen"]
    assert duty(results, "FD") == [(480, 500)]


def test_two_staff_groups_with_the_same_name_are_rejected_or_kept_apart():
    """Group "MA" (two people) works for Dr A, another group "MA" (one person) for Dr B; each patient at 08:00."""
    from pydantic import ValidationError

    try:
        scenario = clinic(
            **TWO_PROVIDERS_ONE_MA,
            staff=[{**MA, "count": 2, "assigned_to": ["Dr A"]}, {**MA, "assigned_to": ["Dr B"]}],
        )
    except ValidationError:
        return
    rooming = {row[0]: row[5] for row in timeline(run(scenario)) if row[1] == "rooming"}
    assert rooming[0] in ("MA#1", "MA#2")
    assert rooming[1] == "MA"  # today MA#2, who works for Dr A only, rooms Dr B's patient


def test_a_staff_members_idle_time_leaves_out_her_breaks():
    """The MA's shift 08:00-12:00 has a 15-minute break: 225 scheduled minutes, 20 of them rooming, 205 idle."""
    ma = {**MA, "shifts": [{"start": "08:00", "end": "12:00", "breaks": [{"start": "08:05", "duration_min": 15}]}]}
    results = run(clinic(**TWO_PROVIDERS_ONE_MA, staff=[ma]))
    assert usage(results, "MA")["scheduled_min"] == 225
    assert idle(results, "MA") == 225 - 20  # today 240 - 20


def test_overtime_counts_a_shift_taken_up_after_its_end():
    """The desk's shifts are 08:00-08:20 and 08:30-08:40. A 45-minute check-in from 08:15 keeps her until 09:00;
    she then comes on for her second shift (already over) and checks in the patient waiting since 08:35 until
    09:05. On duty 08:20-08:30 and 08:40-09:05 past her shifts: 35 minutes of overtime"""
    desk = {**FRONT_DESK, "shifts": [{"start": "08:00", "end": "08:20"}, {"start": "08:30", "end": "08:40"}]}
    results = run(
        clinic(
            visit_types={
                "long": visit(5, check_in=45, needs_room=False),
                "short": visit(5, check_in=5, needs_room=False),
            },
            templates={"t": template(["long", "short"], sessions=[("08:15", "08:55")], slot_min=20)},
            providers=[provider("Dr A")],
            staff=[desk],
        )
    )
    assert [row for row in timeline(results) if row[1] == "check_in"] == [
        (0, "check_in", 495, 495, 540, "FD"),
        (1, "check_in", 515, 540, 545, "FD"),
    ]
    assert duty(results, "FD") == [(480, 540), (540, 545)]
    assert usage(results, "FD")["overtime_min"] == 10 + 25


def test_a_pooled_helper_goes_home_when_the_assigned_ma_on_shift_can_do_the_work():
    """MA Evans works for Dr A 08:00-12:00; the pooled MA 08:00-08:45 only. Dr A's patients come every 10 minutes
    and queue for the three rooms, so some always wait to be roomed. MA Evans rooms every one of them; the pool
    should go home at 08:45, but stays until 11:10 without rooming anyone."""
    evans = {**MA, "name": "MA Evans", "assigned_to": ["Dr A"]}
    pool = {**MA, "name": "MA Pool", "shifts": [{"start": "08:00", "end": "08:45"}]}
    results = run(
        clinic(
            visit_types={"v": visit(20, rooming=10)},
            templates={"t": template(sessions=[("08:00", "10:00")], slot_min=10)},
            providers=[provider("Dr A")],
            staff=[evans, pool],
            exam_rooms=3,
        )
    )
    assert {row[5] for row in timeline(results) if row[1] == "rooming"} == {"MA Evans"}
    assert duty(results, "MA Pool") == [(480, 525)]  # today [(480, 670)]
    assert usage(results, "MA Pool")["overtime_min"] == 0
