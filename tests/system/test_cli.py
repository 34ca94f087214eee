"""The command line as an administrator uses it: run, validate, schema; bad files exit 2 without a traceback."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from clinicsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
FAMILY = str(ROOT / "scenarios" / "family_medicine.yaml")


def test_run_prints_a_kpi_table_with_intervals_and_writes_csvs(tmp_path):
    result = CliRunner().invoke(main, ["run", FAMILY, "--replications", "5", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Provider wait, mean" in result.output and "95% CI" in result.output
    assert re.search(r"Provider utilization\s+\d+\.\d%\s+\d+\.\d% to \d+\.\d%", result.output)
    for name in ("summary", "kpis", "patients", "events", "resources"):
        assert not pd.read_csv(tmp_path / f"{name}.csv").empty
    assert len(pd.read_csv(tmp_path / "kpis.csv")) == 5
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["seed"] == 3 and provenance["replications"] == [0, 1, 2, 3, 4]
    assert len(provenance["scenario_sha256"]) == 64


def test_same_seed_same_table():
    outputs = {CliRunner().invoke(main, ["run", FAMILY, "-n", "3", "--seed", "9"]).output for _ in range(2)}
    assert len(outputs) == 1


def test_validate_reports_every_problem_with_its_line_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        Path(FAMILY).read_text().replace("p_no_show: 0.18", "p_no_show: 1.8").replace("slot_min: 20", "slot_mins: 20")
    )
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:" in result.output and "visit_types.new.p_no_show" in result.output
    assert "templates.fm_20.slot_mins: unknown field" in result.output


def test_the_installed_command_never_shows_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nclinic: {opens: '08:00', closes: '07:00', exam_rooms: 1}\n")
    for command in (["run", str(bad)], ["validate", str(bad)], ["run", str(tmp_path / "missing.yaml")]):
        done = subprocess.run([*_clinicsim_command(), *command], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")


def test_validate_accepts_the_bundled_scenarios():
    paths = [str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    result = CliRunner().invoke(main, ["validate", *paths])
    assert result.exit_code == 0 and result.output.count(": ok") == len(paths)


def test_schema_is_json_schema_of_the_scenario():
    schema = json.loads(CliRunner().invoke(main, ["schema"]).output)
    assert schema["title"] == "Scenario" and "providers" in schema["properties"]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("python3 -m pip install")]


def _clinicsim_command() -> list[str]:
    """The installed ``clinicsim`` script, or ``python -m clinicsim`` where the script's folder is not on PATH."""
    script = shutil.which("clinicsim")
    return [script] if script else [sys.executable, "-m", "clinicsim"]


@pytest.mark.slow
def test_the_readme_main_command_runs(tmp_path):
    install_and_run = _readme_commands()[0]
    command = install_and_run.split("&&", 1)[1].strip()  # the package is already installed here
    assert command.startswith("clinicsim ") and command.endswith("--out out")
    arguments = shlex.split(command.replace("--out out", f"--out {tmp_path}"))[1:]
    done = subprocess.run([*_clinicsim_command(), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Provider wait, mean" in done.stdout
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_ci_runs_the_readme_test_command():
    test_command = _readme_commands()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text()
