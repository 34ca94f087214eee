"""What a KPI is: its name, label, unit, which way is better, and its definition (the registries are built of these:
``metrics`` for the clinic day and the work between visits, ``access.names`` for booking)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Metric:
    """A KPI's name, label, unit, which way is better, and definition."""

    name: str
    label: str
    unit: str
    better: Better
    """"lower" for what a clinic wants low (waits, overtime, costs, patients not seen), "higher" for what it
    wants high (patients seen, revenue, margin, utilization); sweeps' Pareto fronts and colour scales follow it."""
    definition: str

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"
