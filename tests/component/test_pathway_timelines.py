"""Pathways written as data, under fixed durations and punctual booked patients: exact hand-worked timelines.

Each case is worked out by hand in its docstring: a room held across three steps (with a pure delay in it and a
provider recheck), a room given back before check-out (``release_room``), a step needing a provider and an MA at
once in a procedure room, a provider pool whose members differ in speed, branches and optional steps (with
probabilities 0 and 1, so the path is known), and the branches table. Times are minutes from midnight.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_timelines import FRONT_DESK, MA, clinic, provider, run, template, timeline

import clinicsim


def step(name: str, minutes: float, by="staff", **extra) -> dict:
    return {"step": name, "by": by, "duration_min": minutes, **extra}


def pathway(*steps: dict, **extra) -> dict:
    return {"pathway": list(steps), **extra}


def test_a_room_held_across_three_steps_with_a_delay_and_a_recheck():
    """Booked 08:00. Check-in 480-485; the exam room is taken at 485 and kept; rooming 485-495; visit 495-515 and
    charting 515-517; results 515-530 in the room (nobody busy); the recheck waits for the provider's charting? No:
    the provider is free from 517, the patient from 530, so the recheck runs 530-535 and is charted 535-537; the
    room is given back after the recheck, with 4 minutes of turnover (485-539); check-out 535-538."""
    results = run(
        clinic(
            visit_types={
                "v": pathway(
                    step("check_in", 5),
                    step("rooming", 10, room="exam", keep_room=True),
                    step("provider_visit", 20, by="provider", room="exam", keep_room=True),
                    step("wait_for_results", 15, by="nobody", room="exam", keep_room=True),
                    step("provider_recheck", 5, by="provider", room="exam"),
                    step("check_out", 3),
                )
            },
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A", documentation_min=2)],
            staff=[FRONT_DESK, MA],
            turnover=4,
        )
    )
    assert timeline(results) == [
        (0, "check_in", 480, 480, 485, "FD"),
        (0, "exam_room", 485, 485, 539, "room 1"),
        (0, "rooming", 485, 485, 495, "MA"),
        (0, "provider_visit", 495, 495, 515, "Dr A"),
        (0, "documentation", 515, 515, 517, "Dr A"),
        (0, "wait_for_results", 515, 515, 530, ""),
        (0, "provider_recheck", 530, 530, 535, "Dr A"),
        (0, "documentation", 535, 535, 537, "Dr A"),
        (0, "check_out", 535, 535, 538, "FD"),
    ]
    assert results.patients["departure_min"].tolist() == [538]
    assert results.patients["provider"].tolist() == ["Dr A"]
    kpis = results.kpis.iloc[0]
    assert kpis["wait_before_provider_recheck_mean_min"] == 0  # ready at 530, seen at 530
    assert kpis["provider_wait_mean_min"] == 15  # the first provider step: due 480, started 495
    usage = results.resources.set_index("resource")
    assert usage.loc["Dr A", "busy_min"] == 20 + 2 + 5 + 2
    assert usage.loc["room 1", "busy_min"] == 539 - 485


def test_a_kept_room_is_given_back_before_check_out():
    """As above without the delay: the recheck keeps the room, and ``release_room: exam`` on check-out gives it
    back at 520 (turnover 4: the room is busy 485-524) before check-out 520-523."""
    results = run(
        clinic(
            visit_types={
                "v": pathway(
                    step("check_in", 5),
                    step("rooming", 10, room="exam", keep_room=True),
                    step("provider_visit", 20, by="provider", room="exam", keep_room=True),
                    step("provider_recheck", 5, by="provider", room="exam", keep_room=True),
                    step("check_out", 3, release_room="exam"),
                )
            },
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A")],
            staff=[FRONT_DESK, MA],
            turnover=4,
        )
    )
    rows = {row[1]: row for row in timeline(results)}
    assert rows["provider_recheck"] == (0, "provider_recheck", 515, 515, 520, "Dr A")
    assert rows["exam_room"] == (0, "exam_room", 485, 485, 524, "room 1")
    assert rows["check_out"] == (0, "check_out", 520, 520, 523, "FD")


def procedure_clinic(procedure_rooms: int) -> clinicsim.Scenario:
    """Dr A and Dr B each book one procedure at 08:00: 30 minutes needing the provider and the one MA at once in
    a procedure room; no other step."""
    return clinic(
        visit_types={
            "v": pathway(step("procedure", 30, by=["provider", {"role": "medical_assistant"}], room="procedure"))
        },
        templates={"t": template(sessions=[("08:00", "08:30")])},
        providers=[provider("Dr A"), provider("Dr B")],
        staff=[MA],
        exam_rooms=0,
        rooms={"procedure": procedure_rooms},
    )


def test_a_step_needing_a_provider_and_an_ma_waits_for_both_in_its_room():
    """One procedure room: Dr A's patient has room, MA and Dr A at 480 (480-510); Dr B's patient waits for the
    room until 510, then runs 510-540 with the MA and Dr B, both rows with the same times."""
    results = run(procedure_clinic(1))
    assert timeline(results) == [
        (0, "procedure", 480, 480, 510, "MA"),
        (0, "procedure", 480, 480, 510, "Dr A"),
        (0, "procedure_room", 480, 480, 510, "procedure 1"),
        (1, "procedure", 510, 510, 540, "MA"),
        (1, "procedure", 510, 510, 540, "Dr B"),
        (1, "procedure_room", 480, 510, 540, "procedure 1"),
    ]
    kpis = results.kpis.iloc[0]
    assert kpis["wait_before_procedure_mean_min"] == 15  # 0 and 30
    assert kpis["procedure_room_utilization"] == pytest.approx(60 / 240)  # 60 busy minutes, open 08:00-12:00


def test_rooms_are_taken_first_then_staff_then_the_provider():
    """Two procedure rooms and one MA: Dr B's patient takes the second room at 480 and waits there for the MA
    (busy with Dr A's patient until 510); Dr B is not held while the MA is awaited."""
    results = run(procedure_clinic(2))
    rows = [row for row in timeline(results) if row[0] == 1]
    assert rows == [
        (1, "procedure_room", 480, 480, 540, "procedure 2"),
        (1, "procedure", 480, 510, 540, "MA"),
        (1, "procedure", 480, 510, 540, "Dr B"),
    ]
    assert results.resources.set_index("resource").loc["Dr B", "busy_min"] == 30


def test_a_provider_pool_takes_the_first_free_member_who_then_does_the_recheck_at_their_own_speed():
    """Two patients booked with Dr A at 08:00 (a double booking); the examination is by the pool {Dr A, Dr B},
    the recheck by the patient's own provider, i.e. the one who examined them. Patient 0 gets Dr A (20 min,
    480-500, recheck 500-505); patient 1 gets Dr B, whose speed factor 2 halves both (480-490, recheck
    490-492.5), although the patient's times were drawn for Dr A."""
    results = run(
        clinic(
            visit_types={
                "v": pathway(
                    step("examination", 20, by={"pool": "team"}),
                    step("provider_recheck", 5, by="provider"),
                )
            },
            templates={
                "t": template(sessions=[("08:00", "08:30")], double_book=["08:00"]),
                "off": template(pattern=["blocked"], sessions=[("08:00", "09:00")]),
            },
            providers=[provider("Dr A"), provider("Dr B", "off", speed_factor=2)],
            exam_rooms=0,
            provider_pools={"team": ["Dr A", "Dr B"]},
        )
    )
    assert timeline(results) == [
        (0, "examination", 480, 480, 500, "Dr A"),
        (0, "provider_recheck", 500, 500, 505, "Dr A"),
        (1, "examination", 480, 480, 490, "Dr B"),
        (1, "provider_recheck", 490, 490, 492.5, "Dr B"),
    ]
    assert results.patients["provider"].tolist() == ["Dr A", "Dr B"]
    assert results.patients["booked_with"].tolist() == ["Dr A", "Dr A"]


def test_branches_and_optional_steps_follow_their_probabilities_of_zero_and_one():
    """The x-ray option has probability 1 (the other 0), so the patient goes to x-ray (480-490 with the tech,
    the x-ray room busy 480-493 with 3 minutes of turnover) and then to the optional step of probability 1, not
    the one of probability 0; the branches table says which option was taken."""
    results = run(
        clinic(
            visit_types={
                "v": pathway(
                    {
                        "choose": "imaging",
                        "options": {
                            "x_ray": {
                                "p": 1,
                                "steps": [step("x_ray", 10, by={"role": "radiology_tech"}, room="x_ray")],
                            },
                            "none": {"p": 0},
                        },
                    },
                    step("vaccine", 4, by={"group": "Nurse"}, p=1),
                    step("lab_draw", 6, by={"group": "Nurse"}, p=0),
                    step("provider_visit", 10, by="provider"),
                )
            },
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A")],
            staff=[
                {"name": "Tech", "role": "radiology_tech", "shifts": [{"start": "08:00", "end": "12:00"}]},
                {"name": "Nurse", "role": "nurse", "shifts": [{"start": "08:00", "end": "12:00"}]},
            ],
            exam_rooms=0,
            rooms={"x_ray": {"count": 1, "turnover_min": 3}},
        )
    )
    assert timeline(results) == [
        (0, "x_ray", 480, 480, 490, "Tech"),
        (0, "x_ray_room", 480, 480, 493, "x_ray 1"),
        (0, "vaccine", 490, 490, 494, "Nurse"),
        (0, "provider_visit", 494, 494, 504, "Dr A"),
    ]
    assert results.branches[["patient", "branch", "option"]].values.tolist() == [[0, "imaging", "x_ray"]]
    kpis = results.kpis.iloc[0]
    assert kpis["share_imaging_x_ray_pct"] == 100 and kpis["share_imaging_none_pct"] == 0
    assert kpis["radiology_tech_utilization"] == pytest.approx(10 / 240)


def test_utilization_and_overtime_per_group():
    """Two procedures of 30 minutes in one procedure room: the MA is busy 60 of 240 on-duty minutes and the room
    60 of 240 open minutes; Dr A works 08:00-08:30, Dr B waits for the room and works 08:30-09:00, 30 minutes
    past the end of the session: the providers are busy 60 of 90 on-duty minutes, with 15 minutes of overtime
    each on average."""
    results = clinicsim.simulate(procedure_clinic(1), replications=3, seed=0)
    groups = results.groups()
    assert groups.loc[("MA", "utilization"), "mean"] == pytest.approx(60 / 240)
    assert groups.loc[("procedure", "utilization"), "mean"] == pytest.approx(60 / 240)
    assert groups.loc[("providers", "overtime"), "mean"] == pytest.approx(30 / 2)  # Dr B: 30, Dr A: 0
    assert groups.loc[("providers", "utilization"), "mean"] == pytest.approx(60 / (30 + 60))
    assert groups.loc[("MA", "utilization"), "ci_low"] == pytest.approx(60 / 240)  # every day the same


def test_a_branch_inside_an_option_not_taken_is_not_passed():
    """A nested branch ("which_lab") inside the "labs" option: patients who take "none" never pass it, so the
    branches table and its share KPI count only the patients who did (here: the one patient takes "none")."""
    results = run(
        clinic(
            visit_types={
                "v": pathway(
                    {
                        "choose": "workup",
                        "options": {
                            "labs": {
                                "p": 0,
                                "steps": [
                                    {
                                        "choose": "which_lab",
                                        "options": {
                                            "blood": {"p": 0.5, "steps": [step("blood_draw", 5, by="nobody")]},
                                            "urine": {"p": 0.5, "steps": [step("urine_test", 5, by="nobody")]},
                                        },
                                    }
                                ],
                            },
                            "none": {"p": 1},
                        },
                    },
                    step("provider_visit", 10, by="provider"),
                )
            },
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A")],
            exam_rooms=0,
        )
    )
    assert results.branches[["branch", "option"]].values.tolist() == [["workup", "none"]]
    kpis = results.kpis.iloc[0]
    assert kpis["share_workup_none_pct"] == 100 and np.isnan(kpis["share_which_lab_blood_pct"])
