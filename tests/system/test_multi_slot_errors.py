"""``slots_per_visit`` through the command line: a mistake ends in exit 2 with ``error: FILE:LINE: FIELD: message``,
never a traceback; a visit the pattern never fits is a warning with its line, and the run goes on."""

from __future__ import annotations

import pytest
from bad_input import ERROR_LINE, MINIMAL, Case, judge

TWO_TYPES = MINIMAL.replace(
    "  v: {durations_min: {provider_visit: 15}}\n",
    "  v: {durations_min: {provider_visit: 15}}\n  new: {durations_min: {provider_visit: 40}}\n",
)
"""The minimal clinic (08:00-12:00, 20-minute slots, pattern [v]) with a 40-minute new visit type at line 5."""


def with_template(extra: str, pattern: str = "[new, v]") -> str:
    return TWO_TYPES.replace("pattern: [v]}", f"pattern: {pattern}, {extra}}}")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("slots_per_visit: {nwe: 2}", "case.yaml:7: templates.t.slots_per_visit.nwe: unknown visit type 'nwe'"),
        ("slots_per_visit: {new: 0}", "case.yaml:7: templates.t.slots_per_visit.new: a visit takes 1 slot or more"),
        (
            "slots_per_visit: {new: two}",
            "case.yaml:7: templates.t.slots_per_visit.new: Input should be a valid integer",
        ),
        ("slots_per_visit: {new: true}", "case.yaml:7: templates.t.slots_per_visit: expected a number, not true"),
        ("slots_per_visit: 2", "case.yaml:7: templates.t.slots_per_visit: Input should be a valid dictionary"),
        (
            "slots_per_visit: {new: 2}, double_book: ['08:20']",
            "case.yaml:7: templates.t.double_book.0: 08:20 is inside the 40-minute new visit that starts at 08:00",
        ),
        ("slots_per_visit: {new: 13}", "case.yaml:7: templates.t.slots_per_visit: no visit fits in any session"),
        ("slot_per_visit: {new: 2}", "case.yaml:7: templates.t.slot_per_visit: unknown field (did you mean"),
    ],
    ids=lambda v: v if v.startswith("slot") and len(v) < 40 else None,
)
def test_a_bad_slots_per_visit_exits_2_naming_file_line_and_field(tmp_path, extra, expected):
    verdict = judge(Case("multi-slot", with_template(extra), True), tmp_path)
    assert verdict.exit_code == 2 and not verdict.traceback, verdict.output
    assert expected in verdict.output
    assert all(ERROR_LINE.match(line) for line in verdict.output.splitlines() if line.strip())


def test_a_multi_slot_visit_that_never_fits_is_a_warning_and_the_run_goes_on(tmp_path):
    # four-hour session of 20-minute slots: twelve v visits, then a new visit of 13 slots never fits
    text = with_template("slots_per_visit: {new: 13}", pattern="[v, v, v, v, v, v, v, v, v, v, v, v, new]")
    verdict = judge(Case("never fits", text, False), tmp_path)
    assert verdict.exit_code == 0 and verdict.ran, verdict.output
    assert "case.yaml:7: templates.t.pattern.12: this new visit (13 slots, 260 min) is never booked" in verdict.output


def test_a_good_multi_slot_template_validates_and_runs(tmp_path):
    verdict = judge(Case("good", with_template("slots_per_visit: {new: 2}"), False), tmp_path)
    assert verdict.exit_code == 0 and verdict.ran, verdict.output
    assert "warning" not in verdict.output
