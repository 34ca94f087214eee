"""Scheduling templates become concrete appointments, without SimPy or randomness."""

from __future__ import annotations

import pytest

from clinicsim import expand_template
from clinicsim.scenario import Template, VisitType

VISIT_TYPES = {
    "new": VisitType.model_validate({"p_no_show": 0.2, "durations_min": {"provider_visit": 30}}),
    "est": VisitType.model_validate({"p_no_show": 0.1, "durations_min": {"provider_visit": 15}}),
}


def clock(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def expand(**template):
    spec = {"sessions": [{"start": "08:00", "end": "09:00"}], "slot_min": 15, "pattern": ["est"], **template}
    return expand_template(Template.model_validate(spec), VISIT_TYPES)


def times(appointments):
    return [a.time_min for a in appointments]


def test_fixed_interval_books_one_patient_at_each_slot_start():
    assert times(expand()) == [clock(t) for t in ("08:00", "08:15", "08:30", "08:45")]


def test_partial_slots_at_the_end_of_a_session_are_not_booked():
    assert len(expand(sessions=[{"start": "08:00", "end": "08:50"}])) == 3


def test_pattern_repeats_from_each_sessions_start_and_blocked_slots_stay_empty():
    appointments = expand(
        sessions=[{"start": "08:00", "end": "09:00"}, {"start": "13:00", "end": "13:45"}],
        pattern=["new", "est", "blocked"],
    )
    assert [(a.time_min, a.visit_type, a.session) for a in appointments] == [
        (clock("08:00"), "new", 0),
        (clock("08:15"), "est", 0),
        (clock("08:45"), "new", 0),
        (clock("13:00"), "new", 1),
        (clock("13:15"), "est", 1),
    ]


def test_bailey_welch_books_two_at_the_start_and_drops_the_last_slot():
    assert times(expand(rule={"kind": "bailey_welch", "k": 2})) == [
        clock(t) for t in ("08:00", "08:00", "08:15", "08:30")
    ]


def test_bailey_welch_with_more_patients_at_the_start_than_slots():
    assert times(expand(rule={"kind": "bailey_welch", "k": 6})) == [clock("08:00")] * 4


def test_wave_books_everyone_at_the_start_of_their_wave():
    appointments = expand(sessions=[{"start": "08:00", "end": "10:00"}], rule={"kind": "wave", "wave_min": 60})
    assert times(appointments) == [clock("08:00")] * 4 + [clock("09:00")] * 4


def test_double_booking_adds_a_second_patient_at_the_named_slot():
    appointments = expand(double_book=["08:30"])
    assert times(appointments) == [clock(t) for t in ("08:00", "08:15", "08:30", "08:30", "08:45")]
    assert [a.booking for a in appointments].count("double_book") == 1


def test_overbooking_auto_offsets_the_expected_no_shows():
    # 12 established slots with p = 0.1: round(12 * 0.1 / 0.9) = 1 extra
    appointments = expand(sessions=[{"start": "08:00", "end": "11:00"}], overbooking={})
    assert len(appointments) == 13
    assert [a.booking for a in appointments].count("overbook") == 1


@pytest.mark.parametrize(
    "placement, expected",
    [("start", ["08:00", "08:15"]), ("end", ["08:45", "08:30"]), ("spread", ["08:15", "08:45"])],
)
def test_overbooking_placement(placement, expected):
    appointments = expand(overbooking={"extra_per_session": 2, "placement": placement, "visit_type": "new"})
    extras = [a for a in appointments if a.booking == "overbook"]
    assert sorted(a.time_min for a in extras) == sorted(clock(t) for t in expected)
    assert {a.visit_type for a in extras} == {"new"}


def test_overlapping_sessions_are_rejected():
    with pytest.raises(ValueError, match="overlap"):
        expand(sessions=[{"start": "08:00", "end": "10:00"}, {"start": "09:00", "end": "11:00"}])
