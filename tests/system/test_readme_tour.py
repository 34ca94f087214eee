"""The README's Python tour runs as written (in a scratch directory, with the bundled scenarios beside it)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def python_tour() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The Python API") :]
    return re.search(r"```python\n(.*?)\n```", section, re.DOTALL).group(1)


def test_the_python_tour_runs(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(python_tour(), "README.md (The Python API)", "exec"), namespace)
    assert (tmp_path / "out" / "report.html").exists()
    assert namespace["split"].table(["margin"]).loc[("all changes", "margin"), "added_ci_high"] < 0
    assert list(namespace["week"].days) == ["mon", "tue", "wed", "thu", "fri"]
