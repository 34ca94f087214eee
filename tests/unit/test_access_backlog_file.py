"""A valid access section loads from a scenario file, its starting backlog read from a CSV file beside it
(``backlog_file:``): columns in any order, ``booked_on`` optional, a spreadsheet's byte-order mark ignored."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

import clinicsim
from clinicsim.scenario import ScenarioError

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"

SCENARIO = f"""\
extends: {BASE}
access:
  start: 2027-01-04
  demand:
    - {{name: same day, urgency: same_day, visit_type: established, per_day: 8}}
    - {{name: routine, urgency: routine, visit_type: established, per_day: 30}}
  holds:
    - {{template: fm_20, urgency: same_day, share: 0.3, release_hours_before: 2}}
  backlog_file: backlog.csv
"""

BACKLOG = """\
date,time,provider,visit_type,booked_on
2027-01-04,08:00,Dr Alvarez,established,2026-12-01
2027-01-05,08:20,Dr Baker,established,
2027-01-06,13:00,NP Diaz,new,2026-12-15
"""


def load(tmp_path: Path, backlog: str) -> clinicsim.Scenario:
    (tmp_path / "backlog.csv").write_text(backlog, encoding="utf-8")
    (tmp_path / "clinic.yaml").write_text(SCENARIO)
    return clinicsim.load_scenario(tmp_path / "clinic.yaml")


def booked(scenario: clinicsim.Scenario) -> list[tuple]:
    access = scenario.access
    assert access is not None
    return [(b.date, b.time, b.provider, b.visit_type, b.booked_on) for b in access.backlog]


ROWS = [
    (datetime.date(2027, 1, 4), 480.0, "Dr Alvarez", "established", datetime.date(2026, 12, 1)),
    (datetime.date(2027, 1, 5), 500.0, "Dr Baker", "established", None),
    (datetime.date(2027, 1, 6), 780.0, "NP Diaz", "new", datetime.date(2026, 12, 15)),
]


def test_a_valid_access_section_loads_with_its_backlog_from_a_csv_file(tmp_path):
    scenario = load(tmp_path, BACKLOG)
    access = scenario.access
    assert access is not None
    assert [d.name for d in access.demand] == ["same day", "routine"]
    [hold] = access.holds
    assert (hold.template, hold.urgency, hold.share, hold.release_hours_before) == ("fm_20", "same_day", 0.3, 2)
    assert booked(scenario) == ROWS


@pytest.mark.parametrize(
    "backlog",
    [
        pytest.param("\ufeff" + BACKLOG, id="byte-order mark"),
        pytest.param(BACKLOG.replace("2027-01-05,08:20,Dr Baker,established,\n", "2027-01-05,08:20,Dr Baker,"
                                     "established\n\n"), id="blank booked_on left off, blank line"),
        pytest.param("provider,visit_type,date,time,booked_on\n"
                     "Dr Alvarez,established,2027-01-04,08:00,2026-12-01\nDr Baker,established,2027-01-05,08:20,\n"
                     "NP Diaz,new,2027-01-06,13:00,2026-12-15\n", id="columns in another order"),
    ],
)  # fmt: skip
def test_the_backlog_csv_may_be_written_in_several_ways(tmp_path, backlog):
    assert booked(load(tmp_path, backlog)) == ROWS


def test_booked_on_is_optional_as_a_column(tmp_path):
    backlog = "date,time,provider,visit_type\n2027-01-05,08:20,Dr Baker,established\n"
    assert booked(load(tmp_path, backlog)) == [ROWS[1]]


def test_a_header_only_backlog_is_an_empty_book(tmp_path):
    assert booked(load(tmp_path, "date,time,provider,visit_type\n")) == []


def test_a_required_cell_left_off_is_refused_at_its_row(tmp_path):
    with pytest.raises(ScenarioError, match=r"backlog.csv:3: expected 5 values"):
        load(tmp_path, BACKLOG.replace("08:20,Dr Baker,established,", "08:20,Dr Baker"))


@pytest.mark.parametrize(
    "rule",
    [{"kind": "fixed_interval"}, {"kind": "bailey_welch", "k": 3}, {"kind": "wave", "wave_min": 60}],
    ids=lambda rule: rule["kind"],
)
def test_the_times_a_backlog_may_use_are_the_times_the_template_books(family_medicine, rule):
    """The check of a backlog's times lays a template out without the day model (the scenario language does not
    import it): the times must be those ``expand_template`` books, double bookings and overbookings included."""
    from clinicsim.scenario.vocabulary import appointment_times
    from clinicsim.templates import expand_template

    template = family_medicine.templates["fm_20"].model_copy(
        update={
            "rule": family_medicine.with_changes({"templates.fm_20.rule": rule}).templates["fm_20"].rule,
            "pattern": ["new", "established", "blocked", "established"],
            "slots_per_visit": {"new": 2},
            "double_book": [9 * 60],
        }
    )
    booked = {a.time_min for a in expand_template(template, family_medicine.visit_types)}
    assert appointment_times(template) == sorted(booked)
