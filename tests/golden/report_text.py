"""Golden report text: the verdict block that ``clinicsim compare`` prints first, for the bundled redesign against
the current family-medicine plan on a fixed seed."""

from __future__ import annotations

from click.testing import CliRunner

from clinicsim.cli import main
from golden import HERE, ROOT

VERDICT_FILE = HERE / "verdict_catch_up.txt"
ARGUMENTS = [
    "compare",
    str(ROOT / "scenarios" / "family_medicine.yaml"),
    str(ROOT / "scenarios" / "family_medicine_catch_up.yaml"),
    "-n",
    "10",
    "--seed",
    "20261128",
]


def verdict_text() -> str:
    """The lines of the compare command's output before its differences table."""
    result = CliRunner().invoke(main, ARGUMENTS)
    assert result.exit_code == 0, result.output
    head = result.stdout.split("\nKPI ")[0]
    return head.rstrip() + "\n"
