"""Static checks as tests, so the README's test command (and CI) keeps them clean: mypy with the pydantic plugin
on ``src/`` (configured in pyproject.toml), ruff's lint rules and ruff's formatting on the whole repository.

Slow (mypy analyses numpy, pandas and pydantic too), so they run in the full suite, not the fast tier; run them
alone with ``python3 -m pytest tests/static``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_finds_no_type_errors_in_the_package():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_finds_no_lint_errors():
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_code_is_formatted_as_ruff_formats_it():
    done = _run("ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_type_checker_sees_the_lazy_api(tmp_path):
    """``import clinicsim; clinicsim.simulate`` is typed in an IDE although the façade imports lazily."""
    probe = tmp_path / "probe.py"
    probe.write_text("import clinicsim\nreveal_type(clinicsim.simulate)\nreveal_type(clinicsim.Scenario)\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", str(probe)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    revealed = done.stdout
    assert "def (scenario: clinicsim.scenario.model.Scenario | str | pathlib.Path, *, replications: int" in revealed
    assert "-> clinicsim.experiment.Results" in revealed and "-> clinicsim.scenario.model.Scenario" in revealed
