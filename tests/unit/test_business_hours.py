"""Response targets in business hours: the clinic's opening hours, counted from arrival or the next opening."""

from __future__ import annotations

import math

import pytest

from clinicsim.scenario.work import WorkStream

OPENS, CLOSES = 8 * 60, 17 * 60  # a nine-hour business day


def stream(**target) -> WorkStream:
    return WorkStream.model_validate(
        {"name": "results", "at": [{"time": "08:00", "count": 1}], "stages": [{"by": "provider", "duration_min": 2}],
         **target}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arrival", "hours", "due"),
    [
        (9 * 60, 2, 11 * 60),  # within the day
        (16 * 60, 2, 1440 + 9 * 60),  # one hour today, one tomorrow from opening
        (18 * 60, 1, 1440 + 9 * 60),  # after closing: from tomorrow's opening
        (6 * 60, 1, 9 * 60),  # before opening: from today's opening
        (9 * 60, 18, 2 * 1440 + 9 * 60),  # two full business days: the same time two days on
        (-3 * 60, 1, 9 * 60),  # yesterday 21:00 (carried in): from today's opening
    ],
)
def test_business_hours_count_only_the_opening_hours(arrival, hours, due):
    assert stream(due_within_business_hours=hours).due_min(arrival, OPENS, CLOSES) == due


def test_clock_minutes_and_no_target():
    assert stream(due_within_min=90).due_min(600, OPENS, CLOSES) == 690
    assert math.isnan(stream().due_min(600, OPENS, CLOSES))


def test_one_target_only():
    with pytest.raises(ValueError, match="not both"):
        stream(due_within_min=60, due_within_business_hours=1)
