"""Clock-time series of simulated days, checked exactly on tiny clinics with fixed durations.

The tiny clinic: one provider (session 08:00-09:00, one 60-minute slot), one exam room, one front-desk clerk and
one medical assistant on 08:00-10:00, visits of check-in 5, rooming 10, provider 20 and check-out 5 minutes,
punctual patients. Its one patient arrives at 480 (08:00): check-in 480-485, room and rooming 485-495, provider
495-515, check-out 515-520, leaves at 520. Times are minutes from midnight.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import clinicsim
from clinicsim.timeseries import census, on_duty_by_hour, provider_waits, utilization_by_hour


def tiny(changes: dict | None = None, **top_level) -> clinicsim.Scenario:
    """The tiny clinic, with top-level sections replaced and then dotted-path ``changes`` applied."""
    shift = [{"start": "08:00", "end": "10:00"}]
    data = {
        "name": "tiny",
        "clinic": {"opens": "08:00", "closes": "10:00", "exam_rooms": 1},
        "visit_types": {"v": {"durations_min": {"check_in": 5, "rooming": 10, "provider_visit": 20, "check_out": 5}}},
        "templates": {"t": {"sessions": [{"start": "08:00", "end": "09:00"}], "slot_min": 60, "pattern": ["v"]}},
        "providers": [{"name": "Dr A", "template": "t"}],
        "staff": [
            {"name": "desk", "role": "front_desk", "serves": ["check_in", "check_out"], "shifts": shift},
            {"name": "ma", "role": "medical_assistant", "serves": ["rooming"], "shifts": shift},
        ],
    }
    data.update(top_level)
    return clinicsim.Scenario.model_validate(data).with_changes(changes or {})


def run(scenario: clinicsim.Scenario, replications: int = 2) -> clinicsim.Results:
    return clinicsim.simulate(scenario, replications=replications, seed=1)


def present(frame: pd.DataFrame) -> list[float]:
    """Clock minutes at which the mean census is 1."""
    return [float(t) for t in frame.index[frame["mean"] == 1]]


def grid(start: float, stop: float, step: float = 5) -> list[float]:
    return [float(t) for t in np.arange(start, stop, step)]


# -- census -------------------------------------------------------------------------------------------------


def test_one_patient_is_in_the_clinic_from_arrival_to_departure():
    frame = census(run(tiny()), place="clinic")
    assert list(frame.columns) == ["mean", "p10", "p90"]
    assert frame.index.name == "clock_min"
    assert list(frame.index) == grid(480, 525)  # earliest arrival to last departure
    assert present(frame) == grid(480, 520)  # a stay counts on [arrival, departure)
    assert frame["mean"].isin([0, 1]).all()
    assert (frame["p10"] == frame["mean"]).all() and (frame["p90"] == frame["mean"]).all()  # identical days


def test_a_patient_taken_straight_to_a_free_room_never_sits_in_the_waiting_room():
    assert (census(run(tiny()), place="waiting_room")["mean"] == 0).all()


def test_the_second_of_two_double_booked_patients_waits_for_the_one_room():
    """Both arrive at 480; the second is checked in 485-490 and waits until the first leaves the room at 515."""
    results = run(tiny({"templates.t.double_book": ["08:00"]}))
    frame = census(results, place="waiting_room")
    assert present(frame) == grid(490, 515)
    assert frame["mean"].max() == 1
    assert list(provider_waits(results)) == [15.0, 45.0] * 2  # provider at 495 and 525; two replications


def test_a_roomed_patient_waits_in_the_room_for_a_late_provider():
    """The provider starts 20 minutes late (at 500); the patient is roomed by 495."""
    frame = census(run(tiny({"providers.Dr A.late_start_min": 20})), place="exam_rooms_waiting")
    assert present(frame) == grid(495, 500)
    assert frame["mean"].max() == 1


def test_the_grid_follows_step_min():
    frame = census(run(tiny()), place="clinic", step_min=10)
    assert list(frame.index) == grid(480, 530, 10)
    assert present(frame) == grid(480, 520, 10)


def test_telehealth_patients_are_in_no_waiting_room_and_not_in_the_building():
    video = {"v": {"needs_room": False, "durations_min": {"provider_visit": 20}}}
    results = run(tiny(visit_types=video))
    assert results.patients["status"].eq("seen").all()
    for place in ("waiting_room", "exam_rooms_waiting", "clinic"):
        assert (census(results, place=place)["mean"] == 0).all(), place


def test_the_mean_is_the_share_of_days_and_the_band_spans_them():
    """A patient who shows on some days only: the census at 08:00 is 1 on those days, 0 on the others."""
    results = run(tiny({"visit_types.v.p_no_show": 0.5}), replications=20)
    shows = results.patients["status"].eq("seen").to_numpy()
    assert 0 < shows.sum() < 20  # this seed gives a mix of days
    at_eight = census(results, place="clinic").loc[480.0]
    assert at_eight["mean"] == pytest.approx(shows.mean())
    assert (at_eight["p10"], at_eight["p90"]) == (0, 1)


def test_an_unknown_place_is_an_error():
    with pytest.raises(ValueError, match="unknown place 'lobby'"):
        census(run(tiny()), place="lobby")


# -- utilization by hour ------------------------------------------------------------------------------------


def test_busy_over_on_duty_minutes_per_kind_and_hour():
    """Provider: visit 495-515 in the 08:00 hour, on duty 480-540 -> 20/60; off duty after 09:00 -> NaN.

    MA: rooming 10 minutes; desk: check-in and check-out 5 + 5; room: occupied 485-515; all on duty 480-600.
    """
    results = run(tiny())
    table = utilization_by_hour(results)
    assert list(table.index) == ["provider", "medical_assistant", "front_desk", "exam_room"]
    assert list(table.columns) == [8, 9]
    assert table.loc["provider", 8] == pytest.approx(1 / 3)
    assert math.isnan(table.loc["provider", 9])
    assert table.loc["medical_assistant"].tolist() == pytest.approx([10 / 60, 0])
    assert table.loc["front_desk"].tolist() == pytest.approx([10 / 60, 0])
    assert table.loc["exam_room"].tolist() == pytest.approx([30 / 60, 0])
    assert table.loc["provider", 8] == pytest.approx(results.kpis["provider_utilization"].iloc[0])


def test_who_is_on_duty_by_hour_and_out_of_how_many():
    """The provider is on duty 480-540 (one in the 08:00 hour, none after); the MA 480-600 (one in each hour)."""
    on_duty, headcount = on_duty_by_hour(run(tiny()))
    assert on_duty.loc["provider"].tolist() == pytest.approx([1, 0])
    assert on_duty.loc["medical_assistant"].tolist() == pytest.approx([1, 1])
    assert headcount["provider"] == 1 and list(on_duty.index) == list(headcount.index)


def test_a_break_is_not_on_duty_time():
    """The MA's 10-minute break at 08:30 leaves 50 on-duty minutes in the 08:00 hour."""
    results = run(
        tiny(
            {
                "staff.ma.shifts": [
                    {"start": "08:00", "end": "10:00", "breaks": [{"start": "08:30", "duration_min": 10}]}
                ]
            }
        )
    )
    assert utilization_by_hour(results).loc["medical_assistant", 8] == pytest.approx(10 / 50)


def test_hours_are_pooled_over_resources_of_a_kind():
    """Two front-desk clerks on duty: 10 busy minutes over 120 on-duty minutes in the 08:00 hour."""
    results = run(tiny({"staff.desk.count": 2}))
    assert utilization_by_hour(results).loc["front_desk", 8] == pytest.approx(10 / 120)


def test_only_kinds_present_are_rows_and_nurses_appear_when_there_are_some():
    shift = [{"start": "08:00", "end": "10:00"}]
    staff = [
        {"name": "desk", "role": "front_desk", "serves": ["check_in"], "shifts": shift},
        {"name": "rn", "role": "nurse", "serves": ["rooming", "check_out"], "shifts": shift},
    ]
    table = utilization_by_hour(run(tiny(staff=staff)))
    assert list(table.index) == ["provider", "nurse", "front_desk", "exam_room"]
    assert table.loc["nurse", 8] == pytest.approx(15 / 60)  # rooming 10 + check-out 5
