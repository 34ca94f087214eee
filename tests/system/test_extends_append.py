"""``staff+:`` and ``providers+:`` in a file that extends another, as the command line sees them: a valid append
validates and runs; a name already taken exits 2 with ``error: FILE:LINE: FIELD: message`` and no traceback."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from clinicsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "scenarios" / "family_medicine.yaml"
ERROR_LINE = re.compile(r"^error: (?P<file>.+?):(?P<line>\d+): (?P<field>[^:]+): (?P<message>.+)$")

NEW_PEOPLE = f"""extends: {FAMILY}
name: One more provider and a float MA
providers+:
  - name: Dr New
    template: fm_20
staff+:
  - name: MA float
    role: medical_assistant
    serves: [rooming]
    shifts:
      - {{start: "08:00", end: "12:15"}}
      - {{start: "12:45", end: "17:00"}}
"""


def test_a_variant_that_appends_people_validates_and_runs(tmp_path):
    path = tmp_path / "more.yaml"
    path.write_text(NEW_PEOPLE)
    validated = CliRunner().invoke(main, ["validate", str(path)])
    assert validated.exit_code == 0, validated.output
    ran = CliRunner().invoke(main, ["run", str(path), "--replications", "1", "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output


def test_appending_a_provider_whose_name_is_taken_exits_2_at_its_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(NEW_PEOPLE.replace("name: Dr New", "name: Dr Chen"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.strip()]
    match = ERROR_LINE.match(line)
    assert match, line
    assert (match["file"], match["line"], match["field"]) == (str(path), "4", "providers+.0.name")
    assert match["message"].startswith("providers already has an item named 'Dr Chen'")


def test_appending_a_staff_group_whose_name_is_taken_exits_2_at_its_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(NEW_PEOPLE.replace("name: MA float", "name: Front desk"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(
        f"error: {path}:7: staff+.0.name: staff already has an item named 'Front desk': an appended item needs a "
        "name of its own"
    )
