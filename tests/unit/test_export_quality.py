"""Data problems of a visit export (``calibration.quality``).

Each test writes a small CSV export of one clinic day and a half, read with ``read_visits``: a clean one (two
providers; office visits with every step, telehealth visits with no front desk and no rooming, a walk-in, a no-show,
cancellations, a status written the EHR's way) and the same file with one defect. For each defect: it is found
under its reason, counted, with the right example rows (the header is line 1, so the first visit is row 2), and the
row is left out of the fits of exactly the intervals the defect touches. Then: counting (duplicates once, examples
capped at 5, exclusions attributed once), limits, and that nothing is changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clinicsim.calibration.export import read_visits
from clinicsim.calibration.quality import INTERVALS, REASONS, Limits, check_visits

COLUMNS = (
    "date,appointment_time,visit_type,provider,status,booked_on,"
    "arrived,checked_in,roomed,rooming_done,provider_in,provider_out,checked_out"
).split(",")
CLEAN = [
    # row 2..
    "2027-01-04,08:00,established,Dr A,arrived,2026-12-01,07:52,07:55,08:02,08:10,08:15,08:30,08:35",
    "2027-01-04,08:20,established,Dr A,arrived,2026-12-02,08:14,08:17,08:31,08:38,08:40,08:55,09:00",
    "2027-01-04,08:40,new,Dr A,arrived,2026-12-03,08:41,08:44,08:56,09:05,09:07,09:35,09:40",
    "2027-01-04,08:00,established,Dr B,arrived,2026-12-04,07:58,08:01,08:05,08:12,08:16,08:31,08:36",
    "2027-01-04,08:20,established,Dr B,no_show,2026-12-20,,,,,,,",
    "2027-01-04,08:40,established,Dr B,cancelled,2026-12-21,,,,,,,",
    "2027-01-04,09:00,telehealth,Dr B,arrived,2026-12-22,08:58,,,,09:01,09:15,",
    "2027-01-04,09:20,telehealth,Dr B,arrived,2026-12-23,09:19,,,,09:22,09:35,",
    "2027-01-04,,established,Dr A,arrived,,10:02,10:05,10:10,10:16,10:20,10:33,10:37",
    "2027-01-05,08:00,new,Dr A,late cancel,2027-01-04,,,,,,,",
    "2027-01-05,08:00,established,Dr B,Completed,2026-12-28,07:50,07:54,08:03,08:09,08:14,08:29,08:33",
]
ALL_INTERVALS = set(INTERVALS)


def rows_of(lines: list[str]) -> list[dict[str, str]]:
    return [dict(zip(COLUMNS, line.split(","), strict=True)) for line in lines]


def clean() -> list[dict[str, str]]:
    return rows_of(CLEAN)


def read(tmp_path, rows: list[dict[str, str]]) -> pd.DataFrame:
    path = tmp_path / "visits.csv"
    path.write_text("\n".join([",".join(COLUMNS), *(",".join(r[c] for c in COLUMNS) for r in rows)]) + "\n")
    return read_visits(path)


def at(rows: list[dict[str, str]], row: int) -> dict[str, str]:
    """The visit on line ``row`` of the file."""
    return rows[row - 2]


def excluded_from(quality, visits: pd.DataFrame, row: int) -> set[str]:
    where = visits["row"] == row
    return {name for name in INTERVALS if quality.excluded(name)[where].any()}


def assert_only(quality, visits: pd.DataFrame, reason: str, rows: list[int], intervals: set[str]) -> None:
    """``reason`` is the only problem, found at ``rows``, which are left out of exactly ``intervals``."""
    table = quality.table()
    assert table["reason"].tolist() == [reason], table.to_string()
    line = table.iloc[0]
    assert line["rows"] == len(rows)
    assert line["examples"] == rows[:5]
    assert line["sentence"].startswith(REASONS[reason])
    assert quality.mask(reason)[visits["row"].isin(rows)].all()
    assert quality.mask(reason).sum() == len(rows)
    for row in rows:
        assert excluded_from(quality, visits, row) == intervals, row
    others = ~visits["row"].isin(rows)
    for name in INTERVALS:
        assert not quality.excluded(name)[others].any(), name


# --- a clean file ----------------------------------------------------------------------------------------------


def test_a_clean_export_has_no_problem(tmp_path):
    visits = read(tmp_path, clean())
    quality = check_visits(visits)
    assert quality.table().empty
    assert list(quality.table().columns) == ["reason", "sentence", "rows", "examples"]
    assert quality.exclusions().empty
    assert quality.reasons == []
    for name in INTERVALS:
        assert not quality.excluded(name).any()


def test_telehealth_without_rooming_is_not_missing_anything(tmp_path):
    rows = clean() + rows_of(["2027-01-05,09:00,telehealth,Dr A,arrived,2026-12-29,08:57,,,,09:02,09:20,"])
    assert check_visits(read(tmp_path, rows)).table().empty


def test_the_checks_leave_the_visits_unchanged(tmp_path):
    rows = clean()
    at(rows, 2)["provider_in"] = "08:05"
    visits = read(tmp_path, rows + [at(rows, 3)])
    before = visits.copy()
    check_visits(visits)
    pd.testing.assert_frame_equal(visits, before)


# --- one defect each --------------------------------------------------------------------------------------------


def one(**changes: str):
    """A defect: {column: new value} on one row (``row=`` picks it)."""
    row = int(changes.pop("row"))

    def apply(rows):
        at(rows, row).update(changes)
        return rows

    return apply


def appended(line: str):
    return lambda rows: rows + rows_of([line])


DEFECTS = {
    # name: (defect, reason, rows, intervals left out)
    "unreadable date": (one(row=4, date="2027-13-45"), "unreadable_date", [4], ALL_INTERVALS),
    "empty date": (one(row=4, date=""), "unreadable_date", [4], ALL_INTERVALS),
    "unreadable appointment time": (
        one(row=3, appointment_time="lunchtime"),
        "unreadable_appointment_time",
        [3],
        {"lateness"},
    ),
    "unknown status": (one(row=5, status="rescheduled"), "unknown_status", [5], ALL_INTERVALS),
    "empty status": (one(row=5, status=""), "unknown_status", [5], ALL_INTERVALS),
    "no visit type": (one(row=2, visit_type=""), "no_visit_type", [2], ALL_INTERVALS),
    "no provider": (one(row=2, provider=""), "no_provider", [2], set()),
    "duplicate": (lambda rows: rows + [dict(at(rows, 2))], "duplicate", [13], ALL_INTERVALS),
    "provider in before rooming done": (
        one(row=2, provider_in="08:05"),
        "out_of_order",
        [2],
        {"rooming", "in_room_wait", "provider_visit", "arrival_to_provider"},
    ),
    "checked in before arrived": (
        one(row=3, checked_in="08:10"),
        "out_of_order",
        [3],
        {"lateness", "check_in_wait", "room_wait", "arrival_to_provider", "cycle_time"},
    ),
    "out of order across a missing step": (  # telehealth: provider_in is compared with arrived
        one(row=8, provider_in="08:50"),
        "out_of_order",
        [8],
        {"lateness", "check_in_wait", "in_room_wait", "provider_visit", "arrival_to_provider", "cycle_time"},
    ),
    "checked out after midnight": (
        appended(
            "2027-01-05,23:30,established,Dr B,arrived,2026-12-28,23:28,23:31,23:35,23:40,23:44,23:55,2027-01-06 00:05"
        ),
        "crosses_midnight",
        [13],
        {"check_out_wait", "cycle_time"},
    ),
    "zero provider visit": (
        one(row=5, provider_out="08:16"),
        "zero_duration",
        [5],
        {"in_room_wait", "provider_visit", "check_out_wait", "arrival_to_provider"},
    ),
    "zero rooming": (
        one(row=5, rooming_done="08:05"),
        "zero_duration",
        [5],
        {"room_wait", "rooming", "in_room_wait"},
    ),
    "provider visit over 180 min": (
        one(row=4, provider_out="12:27", checked_out="12:35"),
        "over_limit",
        [4],
        {"in_room_wait", "provider_visit", "check_out_wait", "arrival_to_provider"},
    ),
    "check-out over 8 h after the provider": (
        one(row=2, checked_out="17:00"),
        "over_limit",
        [2],
        {"provider_visit", "check_out_wait", "cycle_time"},
    ),
    "arrived 9 h before the appointment": (
        one(row=12, appointment_time="17:00"),
        "over_limit",
        [12],
        {"lateness", "check_in_wait", "arrival_to_provider", "cycle_time"},
    ),
    "missing check-in": (one(row=3, checked_in=""), "missing_step", [3], {"check_in_wait", "room_wait"}),
    "provider out without provider in": (  # half the telehealth visits lack provider_in, but this one has the end
        one(row=8, provider_in=""),
        "missing_step",
        [8],
        {"in_room_wait", "provider_visit", "arrival_to_provider"},
    ),
    "arrived without steps": (
        one(
            row=3,
            arrived="",
            checked_in="",
            roomed="",
            rooming_done="",
            provider_in="",
            provider_out="",
            checked_out="",
        ),
        "arrived_without_steps",
        [3],
        ALL_INTERVALS,
    ),
    "no-show with an arrival": (one(row=6, arrived="08:18"), "not_arrived_with_steps", [6], ALL_INTERVALS),
    "cancellation with step times": (
        one(row=7, provider_in="08:45", provider_out="09:00"),
        "not_arrived_with_steps",
        [7],
        ALL_INTERVALS,
    ),
    "booked after the date": (one(row=6, booked_on="2027-01-10"), "booked_after_date", [6], set()),
    "unreadable booking date": (one(row=2, booked_on="soon"), "unreadable_booked_on", [2], set()),
    "unreadable step time": (one(row=2, roomed="08:75"), "unreadable_time", [2], {"room_wait", "rooming"}),
}


@pytest.mark.parametrize("name", list(DEFECTS))
def test_each_defect_is_found_counted_and_excluded_only_where_it_touches(tmp_path, name):
    defect, reason, rows, intervals = DEFECTS[name]
    visits = read(tmp_path, defect(clean()))
    assert_only(check_visits(visits), visits, reason, rows, intervals)


def test_every_reason_has_a_defect_test():
    assert {reason for _, reason, _, _ in DEFECTS.values()} == set(REASONS)


def test_sentences_say_what_exactly(tmp_path):
    rows = clean()
    at(rows, 2)["provider_in"] = "08:05"
    at(rows, 3)["provider_in"] = "08:20"
    at(rows, 5)["status"] = "rescheduled"
    at(rows, 4)["provider_out"] = "12:27"
    at(rows, 4)["checked_out"] = "12:35"
    sentences = check_visits(read(tmp_path, rows)).table().set_index("reason")["sentence"]
    assert sentences["out_of_order"] == "Timestamps out of order: 2 rows (provider_in before rooming_done: 2)."
    assert sentences["unknown_status"] == 'Status empty or not a known word: 1 row ("rescheduled": 1).'
    assert sentences["over_limit"] == "Duration over its limit: 1 row (provider_in to provider_out over 180 min: 1)."


# --- counting -----------------------------------------------------------------------------------------------------


def test_examples_are_the_first_five_rows(tmp_path):
    rows = clean()
    for row in (2, 3, 4, 5, 9, 11, 12):
        at(rows, row)["status"] = "seen?"
    table = check_visits(read(tmp_path, rows)).table()
    assert table["rows"].tolist() == [7]
    assert table["examples"].tolist() == [[2, 3, 4, 5, 9]]


def test_a_duplicate_is_counted_once(tmp_path):
    """Two more copies of an out-of-order visit: one out-of-order row (the first) and two duplicates; the copies are
    left out of every fit, the first only of the intervals its defect touches."""
    rows = clean()
    at(rows, 2)["provider_in"] = "08:05"
    visits = read(tmp_path, rows + [dict(at(rows, 2)), dict(at(rows, 2))])
    quality = check_visits(visits)
    table = quality.table().set_index("reason")
    assert table.loc["duplicate", "rows"] == 2
    assert table.loc["duplicate", "examples"] == [13, 14]
    assert table.loc["out_of_order", "rows"] == 1
    assert table.loc["out_of_order", "examples"] == [2]
    assert excluded_from(quality, visits, 2) == {"rooming", "in_room_wait", "provider_visit", "arrival_to_provider"}
    assert excluded_from(quality, visits, 13) == excluded_from(quality, visits, 14) == ALL_INTERVALS


def test_same_slot_with_other_step_times_is_not_a_duplicate(tmp_path):
    rows = clean()
    second = dict(at(rows, 2), checked_out="08:36")
    assert check_visits(read(tmp_path, rows + [second])).table().empty


def test_a_slot_cancelled_then_missed_is_not_a_duplicate(tmp_path):
    """A cancellation and the no-show of the patient who took the slot: no step times, but not the same status."""
    rows = clean()
    rebooked = dict(at(rows, 7), status="no_show")
    assert check_visits(read(tmp_path, rows + [rebooked])).table().empty


def test_exclusions_attribute_each_row_once_and_add_up(tmp_path):
    rows = clean()
    at(rows, 2)["provider_in"] = "08:05"  # out of order: rooming, in-room wait, provider visit, arrival to provider
    at(rows, 4)["provider_out"] = "12:27"  # over limit: in-room wait, provider visit, check-out, arrival to provider
    at(rows, 4)["checked_out"] = "12:35"
    at(rows, 5)["status"] = "rescheduled"  # unknown status: everything
    visits = read(tmp_path, rows + [dict(at(rows, 2))])  # row 13: a duplicate of an out-of-order row
    quality = check_visits(visits)
    exclusions = quality.exclusions()
    provider = exclusions[exclusions["interval"] == "provider_visit"]
    assert provider[["reason", "rows"]].values.tolist() == [
        ["duplicate", 1],
        ["unknown_status", 1],
        ["out_of_order", 1],
        ["over_limit", 1],
    ]
    for name, group in exclusions.groupby("interval"):
        assert group["rows"].sum() == quality.excluded(name).sum(), name
    check_in = exclusions[exclusions["interval"] == "check_in_wait"]
    assert check_in[["reason", "rows"]].values.tolist() == [["duplicate", 1], ["unknown_status", 1]]


def test_exclusions_cover_only_the_intervals_the_file_has(tmp_path):
    rows = clean()
    at(rows, 5)["status"] = "rescheduled"
    path = tmp_path / "visits.csv"
    kept = ["date", "appointment_time", "visit_type", "provider", "status", "arrived", "provider_in", "provider_out"]
    pd.DataFrame(rows)[kept].to_csv(path, index=False)
    exclusions = check_visits(read_visits(path)).exclusions()
    assert set(exclusions["interval"]) == {"lateness", "provider_visit", "arrival_to_provider"}


# --- limits, other inputs ---------------------------------------------------------------------------------------


def test_limits_are_the_callers(tmp_path):
    visits = read(tmp_path, clean())  # provider visits of 13, 14, 15 and 28 min
    quality = check_visits(visits, limits=Limits(provider_visit_max_min=14))
    assert quality.table().set_index("reason").loc["over_limit", "examples"] == [2, 3, 4, 5, 12]
    with pytest.raises(ValueError, match="provider_visit_max_min"):
        Limits(provider_visit_max_min=0)
    with pytest.raises(ValueError, match="usual_step_share"):
        Limits(usual_step_share=1.0)


def test_a_step_most_visits_lack_is_not_missing(tmp_path):
    """Only one of the five established arrived visits has a check-out time: the others are not missing it."""
    rows = clean()
    for row in (2, 3, 5, 12):
        at(rows, row)["checked_out"] = ""
    assert check_visits(read(tmp_path, rows)).table().empty
    quality = check_visits(read(tmp_path, rows), limits=Limits(usual_step_share=0.1))
    assert quality.table().set_index("reason").loc["missing_step", "examples"] == [2, 3, 5, 12]


def test_a_frame_built_by_hand(tmp_path):
    """Without the ``_written`` texts or ``attrs``: an empty value is just missing, the checks still run."""
    visits = pd.DataFrame(
        {
            "row": [2, 3, 4],
            "date": pd.to_datetime(["2027-01-04"] * 3),
            "appointment_min": [480.0, 500.0, np.nan],
            "visit_type": ["established"] * 3,
            "provider": ["Dr A"] * 3,
            "status": ["arrived", "arrived", "no_show"],
            "provider_in": [490.0, 530.0, np.nan],
            "provider_out": [505.0, 520.0, np.nan],
        }
    )
    quality = check_visits(visits)
    assert quality.table()[["reason", "rows", "examples"]].values.tolist() == [["out_of_order", 1, [3]]]
    assert quality.excluded("provider_visit").tolist() == [False, True, False]
    assert quality.excluded(("appointment_min", "provider_in")).tolist() == [False, True, False]
    assert not quality.excluded("check_in_wait").any()


def test_unknown_names_are_refused(tmp_path):
    quality = check_visits(read(tmp_path, clean()))
    with pytest.raises(ValueError, match="no interval 'provider_wait'"):
        quality.excluded("provider_wait")
    with pytest.raises(ValueError, match="no reason 'late'"):
        quality.mask("late")
    assert not quality.mask("duplicate").any()


def test_an_export_without_visits(tmp_path):
    quality = check_visits(read(tmp_path, []))
    assert quality.table().empty
    assert quality.exclusions().empty
    assert quality.excluded("provider_visit").empty


def test_a_file_without_step_times(tmp_path):
    """A schedule export (no step columns): arrived visits without step times are no problem there."""
    path = tmp_path / "visits.csv"
    pd.DataFrame(clean())[["date", "appointment_time", "visit_type", "provider", "status"]].to_csv(path, index=False)
    quality = check_visits(read_visits(path))
    assert quality.table().empty
    assert quality.exclusions().empty


# --- a synthetic export: the defects put in on purpose ------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Two weeks of family medicine with patients who leave after 20 minutes without a room, written clean and with
    every kind of defect: (frame, visits read back) of each."""
    import datetime
    from pathlib import Path

    from clinicsim import load_scenario
    from clinicsim.calibration.synthetic import Defects, synthetic_export, write_export

    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / "scenarios" / "family_medicine.yaml").with_changes(
        {"patients.renege_after_min": 20}
    )
    defects = Defects(p_missing=0.03, p_swapped=0.04, p_duplicate=0.03, p_zero=0.03, p_too_long=0.03, p_midnight=0.03)
    out = {}
    for name, made in (("clean", None), ("dirty", defects)):
        frame = synthetic_export(scenario, weeks=2, seed=11, start=datetime.date(2027, 3, 3), defects=made)
        path = write_export(frame, tmp_path_factory.mktemp(name) / "visits.csv")
        out[name] = (frame, read_visits(path))
    return out


def test_a_clean_synthetic_export_only_has_patients_never_seen(synthetic):
    """Patients who came and left unseen are ``arrived`` without the provider's stamps: reported, nothing else."""
    _, visits = synthetic["clean"]
    quality = check_visits(visits)
    assert quality.reasons == ["missing_step"]
    never_seen = (visits["status"] == "arrived") & visits["provider_in"].isna()
    assert never_seen.any()
    assert quality.mask("missing_step").equals(never_seen.rename("missing_step"))


SIGNATURES = {
    # defect of the generator: reasons that report it
    "missing": {"missing_step", "arrived_without_steps"},
    "swapped": {"out_of_order"},
    "zero": {"zero_duration"},
    "too_long": {"over_limit"},
    "midnight": {"crosses_midnight"},
}


@pytest.mark.parametrize("defect", list(SIGNATURES))
def test_every_defect_of_a_synthetic_export_is_found(synthetic, defect):
    """Each line with a defect (but a duplicate's copy, reported as a duplicate only) is reported for it."""
    frame, visits = synthetic["dirty"]
    quality = check_visits(visits)
    copies = set(frame.attrs["defects"]["duplicate"])
    lines = set(frame.attrs["defects"][defect]) - copies
    assert lines
    flagged = set(visits["row"][np.logical_or.reduce([quality.mask(r) for r in SIGNATURES[defect]])])
    assert lines <= flagged


def test_the_duplicates_of_a_synthetic_export_are_exactly_its_copies(synthetic):
    frame, visits = synthetic["dirty"]
    quality = check_visits(visits)
    assert visits["row"][quality.mask("duplicate")].tolist() == frame.attrs["defects"]["duplicate"]
