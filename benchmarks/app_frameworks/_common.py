"""The logic the three framework apps share, so that they differ only in the framework.

Each app shows: a select box of the bundled scenarios, a number input "days" (default 5), a slider "slot length"
for template ``fm_20`` (10-30 step 5), a line with the scenario's name and number of providers, a line echoing
the variant's slot length (what the slider changes: the "rerun" the benchmark times), and a "Compare" button
that runs ``clinicsim.compare`` of today against the variant and shows one KPI difference.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import clinicsim

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SLOT_PATH = "templates.fm_20.slot_min"
KPI = "provider_wait_mean_min"
DEFAULT_SCENARIO = "family_medicine.yaml"


def scenario_files() -> list[str]:
    """File names of the bundled scenarios, family medicine first (the default)."""
    names = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
    names.remove(DEFAULT_SCENARIO)
    return [DEFAULT_SCENARIO, *names]


@lru_cache(maxsize=32)
def load(file_name: str) -> clinicsim.Scenario:
    return clinicsim.load_scenario(SCENARIOS / Path(file_name).name)


def summary_line(file_name: str) -> str:
    base = load(file_name)
    return f"{base.name}: {len(base.providers)} providers"


def variant_line(file_name: str, slot_min: int) -> str:
    base = load(file_name)
    if "fm_20" not in base.templates:
        return "Variant: this scenario has no template fm_20"
    return f"Variant: fm_20 slot length {slot_min} min (today {base.templates['fm_20'].slot_min:g} min)"


def compare_line(file_name: str, days: int, slot_min: int) -> str:
    """Run today against the variant for ``days`` replications (seed 1) and describe one KPI difference."""
    base = load(file_name)
    if "fm_20" not in base.templates:
        return "No comparison: this scenario has no template fm_20"
    comparison = clinicsim.compare(
        {"today": base, "variant": base.with_changes({SLOT_PATH: slot_min})}, replications=int(days), seed=1
    )
    row = comparison.differences().loc[("variant", KPI)]
    return (
        f"{row['label']}: {row['difference']:+.1f} {row['unit']} "
        f"(95% CI {row['ci_low']:+.1f} to {row['ci_high']:+.1f}; {int(row['n'])} days)"
    )
