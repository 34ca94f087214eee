"""How many replications? Run in batches until the confidence intervals are as narrow as asked.

The target is a relative half-width: 0.05 means every chosen KPI's 95% interval is within +-5% of its mean, in
every scenario. After an initial batch, the number still needed is estimated from the current widths (a
half-width shrinks like 1/sqrt(n)), and another batch is run, until the target is met or a cap is reached. The
advice says how many replications it took and whether the target was met.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

DEFAULT_PRECISION_KPIS = ("provider_wait_mean_min", "cycle_time_mean_min", "provider_utilization")


@dataclass(frozen=True)
class PrecisionTarget:
    """Run until each KPI's interval half-width is at most ``relative_half_width`` times its mean."""

    relative_half_width: float
    kpis: tuple[str, ...] = DEFAULT_PRECISION_KPIS
    initial: int = 10
    max_replications: int = 500

    def __post_init__(self) -> None:
        if not 0 < self.relative_half_width < 1:
            raise ValueError("the relative half-width must be between 0 and 1, e.g. 0.05 for +-5%")
        if not 2 <= self.initial <= self.max_replications:
            raise ValueError("need 2 <= initial replications <= max_replications")


@dataclass(frozen=True)
class Advice:
    """What the sequential procedure did: replications run, and the widest relative half-width per KPI."""

    target: PrecisionTarget
    replications: int
    achieved: dict[str, float]
    met: bool

    def describe(self) -> str:
        widest = max(self.achieved.values(), default=0.0)
        verdict = "met" if self.met else f"not met by the cap of {self.target.max_replications}"
        return (
            f"{self.replications} replications: widest 95% interval +-{100 * widest:.1f}% of the mean "
            f"(target +-{100 * self.target.relative_half_width:.1f}%, {verdict})"
        )


def relative_half_widths(summaries: Sequence[pd.DataFrame], kpis: Sequence[str]) -> dict[str, float]:
    """Per KPI, the widest half-width / |mean| over the summaries (0 for a KPI that never varies)."""
    widest = {}
    for kpi in kpis:
        ratios = []
        for summary in summaries:
            mean, half = summary.at[kpi, "mean"], summary.at[kpi, "half_width"]
            if math.isnan(half):
                ratios.append(math.inf)
            else:
                ratios.append(0.0 if half == 0 else half / abs(mean) if mean != 0 else math.inf)
        widest[kpi] = max(ratios)
    return widest


def replicate_until(
    target: PrecisionTarget,
    *,
    run_more: Callable[[int, int], None],
    summaries: Callable[[], Sequence[pd.DataFrame]],
) -> Advice:
    """Call ``run_more(first_replication, count)`` in batches until ``summaries()`` meet the target."""
    done = 0
    count = target.initial
    while True:
        run_more(done, count)
        done += count
        achieved = relative_half_widths(summaries(), target.kpis)
        ratio = max(achieved.values()) / target.relative_half_width
        if ratio <= 1 or done >= target.max_replications:
            return Advice(target=target, replications=done, achieved=achieved, met=ratio <= 1)
        needed = done * ratio**2 if math.isfinite(ratio) else 2 * done
        count = min(max(math.ceil(needed) - done, math.ceil(done / 10), 2), target.max_replications - done)
