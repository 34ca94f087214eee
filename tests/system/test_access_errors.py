"""Mistakes in the access section (booking over weeks), as ``clinicsim validate`` reports them: ``error: file:line:
field: message``, exit status 2, no traceback. Each case edits one line of a valid file that adds an access section
to the bundled family-medicine practice; the starting backlog is a CSV file beside it (``backlog_file:``), whose
mistakes are reported at their row of the CSV file. Nothing is simulated."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicsim.cli import main

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"

GOOD = f"""\
extends: {BASE}
visit_types:
  procedure: {{durations_min: {{provider_visit: 30}}, code_mix: {{"99213": 1.0}}}}
access:
  start: 2027-01-04
  demand:
    - {{name: same day, urgency: same_day, visit_type: established, per_day: 8}}
    - {{name: routine, urgency: routine, visit_type: established, per_day: 30, tolerance_days: 14}}
    - {{name: new patients, urgency: new_patient, visit_type: new, per_day: 2}}
  holds:
    - {{template: fm_20, urgency: same_day, share: 0.3, release_hours_before: 2}}
    - {{template: fm_20, urgency: new_patient, slots: ["08:00", "13:00"]}}
  panel_shares: {{Dr Alvarez: 1, Dr Baker: 1, Dr Chen: 1, NP Diaz: 0.5}}
  days_off:
    - {{provider: Dr Baker, start: 2027-02-01, end: 2027-02-05}}
  request_hours: [{{start: "08:00", end: "12:00", per_hour: 6}}, {{start: "13:00", end: "17:00", per_hour: 3}}]
  no_show_by_lead_time: {{new: [[0, 0.1], [30, 0.3]], default: [[0, 0.05], [7, 0.1], [30, 0.2]]}}
  cancellations: {{by_lead_time: [[0, 0.02], [14, 0.1]]}}
  backlog_file: backlog.csv
"""

BACKLOG = """\
date,time,provider,visit_type,booked_on
2027-01-04,08:00,Dr Alvarez,established,2026-12-01
2027-01-05,08:20,Dr Baker,established,
2027-01-06,13:00,NP Diaz,new,2026-12-15
"""

TIMES = "08:00 to 11:40 every 20 min, 13:00 to 16:40 every 20 min"
"""The appointment times (and slot starts) of fm_20, as the messages list them."""

CASES = [
    pytest.param("visit_type: new, per_day: 2", "visit_type: procedure, per_day: 2", "access.demand.2.visit_type",
                 "no provider's template has a slot of visit type 'procedure' for these requests to book; add "
                 "procedure to the pattern of a template a provider works", id="demand no template offers"),
    pytest.param("visit_type: established, per_day: 30", "visit_type: establishd, per_day: 30",
                 "access.demand.1.visit_type", "unknown visit type 'establishd' (known: established, new, procedure,",
                 id="demand of an unknown visit type"),
    pytest.param("tolerance_days: 14", "tolerance_days: 0", "access.demand.1.tolerance_days",
                 "a patient's tolerance is a positive number of days", id="tolerance of 0 days"),
    pytest.param("tolerance_days: 14", "tolerance_days: {kind: fixed, value: -1}", "access.demand.1.tolerance_days",
                 "a patient's tolerance is a positive number of days", id="tolerance of -1 days"),
    pytest.param("{template: fm_20, urgency: new_patient", "{template: fm_30, urgency: new_patient",
                 "access.holds.1.template", "unknown template 'fm_30' (known: fm_20)",
                 id="hold of an unknown template"),
    pytest.param('"13:00"]}', '"13:10"]}', "access.holds.1.slots.1",
                 f"13:10 is not the start of a slot of fm_20 (its slots start at {TIMES})", id="held time not a slot"),
    pytest.param("NP Diaz: 0.5}", "NP Dias: 0.5}", "access.panel_shares.NP Dias", "unknown provider 'NP Dias'",
                 id="panel share of an unknown provider"),
    pytest.param("{Dr Alvarez: 1, Dr Baker: 1, Dr Chen: 1, NP Diaz: 0.5}", "{Dr Alvarez: 0, NP Diaz: 0}",
                 "access.panel_shares", "every share is 0, so no provider has a panel", id="panel shares all 0"),
    pytest.param("{provider: Dr Baker, start", "{provider: Dr Bakr, start", "access.days_off.0.provider",
                 "unknown provider 'Dr Bakr' (known: Dr Alvarez, Dr Baker, Dr Chen, NP Diaz)",
                 id="a calendar naming an unknown provider"),
    pytest.param('per_hour: 6}, {start: "13:00", end: "17:00", per_hour: 3}',
                 'per_hour: 0}, {start: "13:00", end: "17:00", per_hour: 0}', "access.request_hours",
                 "every period's rate is 0, so no request ever comes in", id="request hours without requests"),
    pytest.param("{new: [[0, 0.1]", "{nwe: [[0, 0.1]", "access.no_show_by_lead_time.nwe",
                 "unknown visit type 'nwe' (known: established, new, procedure, telehealth); the key default covers",
                 id="no-show curve of an unknown visit type"),
    pytest.param("default: [[0, 0.05], [7, 0.1], [30, 0.2]]", "default: [[0, 0.05], [30, 0.1], [7, 0.2]]",
                 "access.no_show_by_lead_time.default",
                 "write the curve as [lead time in days, probability] pairs, the days increasing from 0",
                 id="no-show curve not increasing"),
    pytest.param("[[0, 0.02], [14, 0.1]]", "[[0, 0.02], [14, 1.5]]", "access.cancellations.by_lead_time",
                 "the probabilities of a curve are between 0 and 1", id="cancellation curve above 1"),
]  # fmt: skip


def validate(tmp_path: Path, text: str = GOOD, backlog: str | None = BACKLOG):
    """Write the scenario (and its backlog CSV) in ``tmp_path`` and validate it with the command line."""
    path = tmp_path / "access.yaml"
    path.write_text(text)
    if backlog is not None:
        (tmp_path / "backlog.csv").write_text(backlog)
    return path, CliRunner().invoke(main, ["validate", str(path)])


def errors(result) -> list[str]:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return [line for line in result.output.splitlines() if line.startswith("error: ")]


def line_of(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


def test_the_good_file_is_valid(tmp_path):
    _, result = validate(tmp_path)
    assert result.exit_code == 0, result.output
    assert "error" not in result.output


@pytest.mark.parametrize(("old", "new", "field", "message"), CASES)
def test_each_mistake_is_reported_at_its_line(tmp_path, old, new, field, message):
    assert GOOD.count(old) == 1
    path, result = validate(tmp_path, GOOD.replace(old, new))
    where = f"error: {path}:{line_of(GOOD, old)}: {field}: "
    assert any(line.startswith(where) and message in line for line in errors(result)), result.output


def test_a_curve_mistake_is_one_error_at_the_curve(tmp_path):
    """The curves are a union (a mapping of curves, or the words default / constant): a mistake in a curve is not
    also reported as "should be 'default' or 'constant'"."""
    path, result = validate(tmp_path, GOOD.replace("[7, 0.1], [30, 0.2]", "[30, 0.1], [7, 0.2]"))
    line = line_of(GOOD, "no_show_by_lead_time:")
    assert errors(result) == [
        f"error: {path}:{line}: access.no_show_by_lead_time.default: write the curve as [lead time in days, "
        "probability] pairs, the days increasing from 0"
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2027-02-30,08:20,Dr Baker,established,", "date", "not a date (day value is outside expected range): "
         "write the date as YYYY-MM-DD, e.g. 2027-01-04"),
        ("2027/01/05,08:20,Dr Baker,established,", "date", "not a date (invalid date separator, expected `-`)"),
        ("2027-01-05,8am,Dr Baker,established,", "time", 'clock times are written as "HH:MM" (for example "08:30")'),
        ("2027-01-05,08:20,Dr Baker,established,Dec 1", "booked_on", "not a date"),
        ("2027-01-05,08:20,Dr Baker", "", "expected 5 values (date,time,provider,visit_type,booked_on), got 3"),
    ],
)  # fmt: skip
def test_a_bad_backlog_row_is_reported_at_its_row(tmp_path, row, column, message):
    csv = BACKLOG.replace("2027-01-05,08:20,Dr Baker,established,", row)
    _, result = validate(tmp_path, backlog=csv)
    where = f"{tmp_path / 'backlog.csv'}:3: " + (f"{column}: " if column else "")
    assert len(errors(result)) == 1 and errors(result)[0].startswith(f"error: {where}{message}"), result.output


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2027-01-05,08:10,Dr Baker,established,", "time",
         f"08:10 is not an appointment time of Dr Baker's template fm_20 on tue (its times: {TIMES})"),
        ("2027-01-05,08:20,Dr Bakr,established,", "provider",
         "unknown provider 'Dr Bakr' (known: Dr Alvarez, Dr Baker, Dr Chen, NP Diaz)"),
        ("2027-01-05,08:20,Dr Baker,establishd,", "visit_type",
         "unknown visit type 'establishd' (known: established, new, procedure, telehealth)"),
        ("2027-01-02,08:20,Dr Baker,established,", "date",
         "2027-01-02 is before access.start (2027-01-04): the backlog holds the appointments on or after the start"),
        ("2027-01-05,08:20,Dr Baker,established,2027-01-05", "booked_on",
         "2027-01-05 is after access.start (2027-01-04): the backlog holds the appointments already booked when the "
         "run starts"),
        ("2027-01-09,08:20,Dr Baker,established,", "date", "Dr Baker has no template on sat (2027-01-09)"),
        ("2027-02-02,08:20,Dr Baker,established,", "date", "Dr Baker is away on 2027-02-02 (access.days_off)"),
    ],
)  # fmt: skip
def test_a_backlog_row_the_clinic_cannot_hold_is_reported_at_its_row(tmp_path, row, column, message):
    """Cross-reference problems of a backlog read from a CSV file point at the row of the CSV file."""
    _, result = validate(tmp_path, backlog=BACKLOG.replace("2027-01-05,08:20,Dr Baker,established,", row))
    assert errors(result) == [f"error: {tmp_path / 'backlog.csv'}:3: {column}: {message}"]


def test_a_backlog_written_in_the_file_is_reported_at_its_line(tmp_path):
    text = GOOD.replace(
        "  backlog_file: backlog.csv\n",
        "  backlog:\n    - {date: 2027-01-04, time: '08:00', provider: Dr Chen, visit_type: new}\n"
        "    - {date: 2027-01-04, time: '08:05', provider: Dr Chen, visit_type: new}\n",
    )
    path, result = validate(tmp_path, text, backlog=None)
    line = line_of(text, "time: '08:05'")
    assert errors(result) == [
        f"error: {path}:{line}: access.backlog.1.time: 08:05 is not an appointment time of Dr Chen's template fm_20 "
        f"on mon (its times: {TIMES})"
    ]


def test_backlog_file_mistakes_in_the_scenario(tmp_path):
    line = line_of(GOOD, "backlog_file:")
    path, result = validate(tmp_path, GOOD.replace("backlog.csv", "missing.csv"))
    assert errors(result) == [f"error: {path}:{line}: access.backlog_file: no CSV file at {tmp_path / 'missing.csv'}"]
    path, result = validate(tmp_path, GOOD.replace("  backlog_file:", "  backlog: []\n  backlog_file:"))
    assert errors(result) == [f"error: {path}:{line + 1}: access.backlog_file: give backlog or backlog_file, not both"]
    path, result = validate(tmp_path, GOOD.replace("backlog_file: backlog.csv", "backlog_file: [backlog.csv]"))
    assert errors(result) == [f"error: {path}:{line}: access.backlog_file: must be the path of a CSV file"]


def test_a_backlog_csv_with_a_wrong_header_is_reported_at_its_first_line(tmp_path):
    _, result = validate(tmp_path, backlog=BACKLOG.replace("date,time,", "day,time,"))
    assert errors(result) == [
        f"error: {tmp_path / 'backlog.csv'}:1: the first line must be the header date,time,provider,visit_type (and "
        "optionally booked_on)"
    ]


def test_a_base_reads_its_backlog_beside_it_and_a_variant_may_replace_it(tmp_path):
    """``backlog_file:`` is relative to the file that names it; a variant that gives its own backlog replaces the
    base's CSV, and its mistakes are then reported in the variant, not at a row of the base's CSV."""
    (tmp_path / "base").mkdir()
    base, _ = validate(tmp_path / "base", backlog=BACKLOG.replace("08:20,Dr Baker", "08:10,Dr Baker"))
    variant = tmp_path / "variant.yaml"
    variant.write_text(f"extends: base/{base.name}\nname: variant\n")
    result = CliRunner().invoke(main, ["validate", str(variant)])
    assert errors(result) == [
        f"error: {tmp_path / 'base' / 'backlog.csv'}:3: time: 08:10 is not an appointment time of Dr Baker's "
        f"template fm_20 on tue (its times: {TIMES})"
    ]
    variant.write_text(
        f"extends: base/{base.name}\nname: variant\naccess:\n  backlog:\n"
        "    - {date: 2027-01-05, time: '08:10', provider: Dr Baker, visit_type: established}\n"
    )
    result = CliRunner().invoke(main, ["validate", str(variant)])
    assert errors(result) == [
        f"error: {variant}:5: access.backlog.0.time: 08:10 is not an appointment time of Dr Baker's template fm_20 "
        f"on tue (its times: {TIMES})"
    ]


def test_a_hold_of_visit_types_the_template_has_no_slot_of_is_refused(tmp_path):
    text = GOOD.replace(
        "{template: fm_20, urgency: new_patient, slots:",
        "{template: fm_20, urgency: new_patient, visit_types: [procedure], slots:",
    )
    path, result = validate(tmp_path, text)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "access.holds.1.visit_types.0: fm_20 has no slot of visit type 'procedure'" in result.output
    assert "nothing to hold" in result.output
