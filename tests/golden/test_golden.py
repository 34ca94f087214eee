"""Every bundled scenario gives exactly the golden results: KPIs to the bit, event-log tables by digest.

A change that moves a result on purpose regenerates the file with ``python tests/golden/regenerate.py`` in a
commit that says why; a refactor must leave it alone.
"""

from __future__ import annotations

import json

import pytest

from golden import GOLDEN_FILE, golden_results

GOLDEN = json.loads(GOLDEN_FILE.read_text())


@pytest.fixture(scope="module")
def current() -> dict[str, dict]:
    return golden_results()


@pytest.mark.parametrize("scenario", sorted(GOLDEN))
def test_kpis_are_bit_identical_to_the_golden_values(current, scenario):
    """Every golden KPI, to the bit; KPIs added since (a pathway's waits per step and roles) may follow them."""
    golden = GOLDEN[scenario]["kpis"]
    assert {name: current[scenario]["kpis"].get(name) for name in golden} == golden


@pytest.mark.parametrize("scenario", sorted(GOLDEN))
def test_event_log_tables_are_identical_to_the_golden_digests(current, scenario):
    assert current[scenario]["tables"] == GOLDEN[scenario]["tables"]


def test_every_bundled_scenario_has_golden_values(current):
    assert sorted(current) == sorted(GOLDEN)


def test_the_compare_command_opens_with_the_golden_verdict():
    """The verdict block, word for word and number for number, on a fixed seed (regenerated with the rest)."""
    from report_text import VERDICT_FILE, verdict_text

    assert verdict_text() == VERDICT_FILE.read_text()


def test_the_readme_shows_what_the_first_run_prints():
    """The README's example output is the output of its own first-run command (default days and seed)."""
    from report_text import readme_example, verdict_text

    assert readme_example() == verdict_text([])
