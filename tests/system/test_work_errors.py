"""Mistakes in work streams, as the command line reports them: ``error: file:line: field: message``, exit status
2, no traceback. Each case edits one line of a valid file that adds work to the bundled family-medicine practice."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicsim.cli import main

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"

GOOD = f"""\
extends: {BASE}
provider_pools:
  doctors: [Dr Alvarez, Dr Baker]
work:
  - name: refills
    from_visits: {{visit_types: [established], p: 0.2}}
    stages:
      - {{by: {{role: medical_assistant}}, duration_min: 4}}
      - {{by: {{pool: doctors}}, duration_min: 1.5}}
    due_within_min: 2880
  - name: calls
    rates: [{{start: "08:00", end: "17:00", per_hour: 10}}]
    stages: [{{by: {{group: Front desk}}, duration_min: 3}}]
"""

CASES = [
    ("visit_types: [established]", "visit_types: [establishd]", 6, "work.0.from_visits.visit_types.0",
     "unknown visit type 'establishd'"),
    ("{by: {role: medical_assistant}", "{by: {role: nurse}", 8, "work.0.stages.0.by", "unknown staff role 'nurse'"),
    ("{by: {pool: doctors}", "{by: {pool: nurses}", 9, "work.0.stages.1.by", "unknown provider pool 'nurses'"),
    ("due_within_min: 2880", "due_within_min: 0", 10, "work.0.due_within_min", "greater than 0"),
    ("{by: {group: Front desk}", "{by: {group: Front dsk}", 13, "work.1.stages.0.by", "unknown staff group"),
    ("  - name: calls", "  - name: refills", 11, "work.1.name", "'refills' is used twice"),
    ("    rates: [", "    ratez: [", 12, "work.1", ""),
    ("  doctors: [Dr Alvarez, Dr Baker]", "  doctors: [Dr Zed]", 9, "work.0.stages.1.by", ""),
]  # fmt: skip


def validate(tmp_path: Path, text: str):
    path = tmp_path / "work.yaml"
    path.write_text(text)
    return path, CliRunner().invoke(main, ["validate", str(path)])


def test_the_good_file_is_valid(tmp_path):
    _, result = validate(tmp_path, GOOD)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), CASES, ids=[c[1] for c in CASES])
def test_each_mistake_is_reported_at_its_line(tmp_path, old, new, line, field, message):
    assert old in GOOD
    path, result = validate(tmp_path, GOOD.replace(old, new, 1))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{path}:{line}: {field}" in result.output, result.output
    assert message in result.output
