"""Confidence intervals over replications: the one home of the Student-t interval.

A replication is one simulated day, so a KPI's values over replications are independent draws of the day's
KPI; their mean gets a Student-t interval (never 1.96 on a handful of days). Two plans simulated on the same
days (common random numbers) are compared by the t-interval of their day-by-day differences; plans on
independent days by Welch's interval. NaN values (a KPI undefined on that day, e.g. a wait on a day nobody was
seen) are left out.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from clinicsim.metrics import find_metric


def t_quantile(confidence: float, df: float) -> float:
    """The two-sided Student-t quantile for ``confidence`` (0.95 for a 95% interval) with ``df`` degrees of
    freedom."""
    return float(stats.t.ppf(0.5 + confidence / 2, df))


class TInterval(NamedTuple):
    """The mean of a sample with its Student-t interval: ``mean ± half_width``."""

    mean: float
    sd: float
    n: int
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width


def t_interval(values: np.ndarray | pd.Series | list[float], *, confidence: float = 0.95) -> TInterval:
    """Mean, sd (ddof 1), count and t-interval half width of the non-NaN values (NaN where too few)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    sd = float(values.std(ddof=1)) if n > 1 else math.nan
    half = t_quantile(confidence, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
    return TInterval(mean, sd, n, half)


def summarize(kpis: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Per KPI column (every column but ``replication``): label, unit, mean, sd, n and the Student-t interval of
    the mean over replications."""
    rows = []
    for name in [c for c in kpis.columns if c != "replication"]:
        stat = t_interval(kpis[name].to_numpy(dtype=float), confidence=confidence)
        metric = find_metric(name)
        rows.append(
            {
                "kpi": name,
                "label": metric.label if metric else name,
                "unit": metric.unit if metric else "",
                "mean": stat.mean,
                "sd": stat.sd,
                "n": stat.n,
                "ci_low": stat.low,
                "ci_high": stat.high,
                "half_width": stat.half_width,
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def _difference(mean: float, half: float, n: int) -> dict[str, float]:
    return {"difference": mean, "ci_low": mean - half, "ci_high": mean + half, "half_width": half, "n": n}


def paired_difference(baseline: np.ndarray, other: np.ndarray, *, confidence: float = 0.95) -> dict[str, float]:
    """Mean of ``other - baseline`` over paired replications with its Student-t interval (NaN pairs dropped)."""
    stat = t_interval(np.asarray(other, dtype=float) - np.asarray(baseline, dtype=float), confidence=confidence)
    return _difference(stat.mean, stat.half_width, stat.n)


def welch_difference(baseline: np.ndarray, other: np.ndarray, *, confidence: float = 0.95) -> dict[str, float]:
    """Difference of means of two independent samples with Welch's t interval."""
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(other, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return _difference(math.nan, math.nan, 0)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    mean = b.mean() - a.mean()
    if se == 0:
        half = 0.0
    else:
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        half = t_quantile(confidence, df) * se
    return _difference(mean, half, min(len(a), len(b)))


def wilson_interval(successes: int, trials: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (scipy's ``binomtest``), or (NaN, NaN) without trials."""
    if trials <= 0:
        return math.nan, math.nan
    interval = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)
