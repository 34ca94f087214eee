"""Golden report text: the verdict block that ``clinicsim compare`` prints first, for the bundled redesign against
the current family-medicine plan, and the README's example of the first run's output."""

from __future__ import annotations

import re

from click.testing import CliRunner

from clinicsim.cli import main
from golden import HERE, ROOT

VERDICT_FILE = HERE / "verdict_catch_up.txt"
README = ROOT / "README.md"
PLANS = [str(ROOT / "scenarios" / "family_medicine.yaml"), str(ROOT / "scenarios" / "family_medicine_catch_up.yaml")]
EXAMPLE = re.compile(r"(<!-- compare-example[^\n]*-->\n```text\n)(.*?)(\n```)", re.DOTALL)
"""The README's example of what the first-run command prints (its default days and seed)."""


def verdict_text(arguments: list[str] | None = None) -> str:
    """The lines of ``clinicsim compare`` before its differences table (default: 10 days, a fixed seed)."""
    arguments = ["-n", "10", "--seed", "20261128"] if arguments is None else arguments
    result = CliRunner().invoke(main, ["compare", *PLANS, *arguments])
    assert result.exit_code == 0, result.output
    return result.stdout.split("\nKPI ")[0].rstrip() + "\n"


def readme_example() -> str:
    """The README's example block as it stands."""
    found = EXAMPLE.search(README.read_text())
    assert found, "README.md has no compare-example block"
    return found.group(2) + "\n"


def write_readme_example() -> None:
    """Replace the README's example block with what the first-run command prints today."""
    text = verdict_text([]).rstrip("\n")
    README.write_text(EXAMPLE.sub(lambda m: m.group(1) + text + m.group(3), README.read_text()))
