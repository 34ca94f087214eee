"""Numbers as a practice administrator reads them: percentages, clock times, minutes, signed differences."""

from __future__ import annotations

import math

from clinicsim.scenario.vocabulary import format_clock


def _nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def format_value(value: float | None, unit: str) -> str:
    """A KPI value in its unit: fractions as percentages, clock minutes as "HH:MM", others to one decimal."""
    if value is None or _nan(value):
        return "-"
    if unit == "fraction":
        return f"{100 * value:.1f}%"
    if unit == "clock min":
        return format_clock(value)
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "currency":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def format_interval(low: float | None, high: float | None, unit: str) -> str:
    """A confidence interval, "a to b" in the KPI's unit."""
    if low is None or high is None or _nan(low) or _nan(high):
        return "-"
    return f"{format_value(low, unit)} to {format_value(high, unit)}"


def format_difference(value: float | None, unit: str) -> str:
    """A signed difference: percentage points for fractions and percentages, minutes for clock times."""
    if value is None or _nan(value):
        return "-"
    if unit == "fraction":
        return f"{100 * value:+.1f} pp"
    if unit == "%":
        return f"{value:+.1f} pp"
    if unit == "clock min":
        return f"{value:+.1f} min"
    if unit == "currency":
        return f"{value:+,.0f}"
    return f"{value:+,.1f}"


def unit_label(unit: str, currency: str = "") -> str:
    """The unit as shown after a number ("" where the number already carries it; the currency for money)."""
    if unit == "currency":
        return currency or "currency"
    return "" if unit in ("fraction", "%", "clock min") else unit


def count_of(n: int, noun: str) -> str:
    """ "1 week", "3 weeks" (nouns that take an s)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
