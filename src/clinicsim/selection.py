"""Choosing the best plan with a stated guarantee, and checking a plan against the clinic's constraints.

A handful of finalist plans are simulated on the same days (common random numbers: replication r of every plan
uses the same random streams), so their outputs are paired by replication index. Three tools, pure statistics
(the caller simulates; ``sample(system, replications)`` returns one KPI value per asked replication):

- **Ranking and selection, KN++** (``kn_select``): simulate every plan a few days, then one more day (or
  ``batch``) for every plan still in contention, and drop a plan as soon as it trails another by more than the
  statistics allow. The answer says "plan b is the best with probability at least 1 - alpha, unless another is
  within delta of it" (the indifference zone). Variances are those of the day-by-day differences between plans,
  so the correlation common random numbers create is used, not ignored.
- **Optimal computing budget allocation, OCBA** (``ocba_allocation``, ``ocba_select``): for a fixed number of
  days, spend them where they most raise the chance of picking the right plan. No guarantee, an estimate of it.
- **Constraints** (``chance_constraint``, ``mean_constraint``): "overtime <= 30 min on at least 90% of days" or "a
  mean p90 wait <= 20 min", judged from an interval: met, not met, or uncertain; never met while the interval
  straddles the requirement.

The guarantees assume each plan's daily KPI is normal and independent from day to day (across days, not plans).
Daily KPIs that are often exactly equal (overtime of 0 on most days) strain that: start with more days (``n0``),
or let ``sample`` return means of a few days each.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from clinicsim.statistics import t_interval, wilson_interval

logger = logging.getLogger(__name__)

Sample = Callable[[int, list[int]], np.ndarray]
"""``sample(system, replications)``: the KPI of ``system`` on each of those replications (days), in that order."""

Verdict = Literal["met", "not met", "uncertain"]


# -- KN++ ------------------------------------------------------------------------------------------------------


def kn_h2(*, k: int, alpha: float, f: int) -> float:
    """KN's constant h^2 = 2 c eta f for c = 1, f degrees of freedom, k systems, error rate ``alpha``.

    eta solves g(eta) = beta with g(eta) = sum_{l=1}^{c} (-1)^{l+1} (1 - I(l=c)/2) (1 + 2 eta (2c-l) l/c)^{-f/2}
    (Kim and Nelson 2001, procedure KN; Kim and Nelson 2006, procedure KN++). For c = 1 this is
    (1/2)(1 + 2 eta)^{-f/2} = beta, so eta = [(2 beta)^{-2/f} - 1] / 2. beta = alpha / (k - 1), KN's Bonferroni
    split of alpha over the k - 1 competitors of the best. (Statements of KN++, e.g. sim-tools' ``KNPlusPlus``, use
    beta = 1 - (1 - alpha)^{1/(k-1)}, a little larger: h^2 is 0.5-0.8% smaller for alpha = 0.05, k = 10. The
    Bonferroni split is the conservative one.) As f grows, h^2 falls to 2 ln(1 / (2 beta)).
    """
    beta = alpha / (k - 1)
    eta = 0.5 * math.expm1(-(2.0 / f) * math.log(2.0 * beta))
    return 2.0 * eta * f


def kn_eliminated(values: np.ndarray, *, h2: float, delta: float) -> np.ndarray:
    """The KN screen at stage r: which rows of ``values`` (m systems x r paired replications, larger is better)
    to drop.

    System i is dropped when some l leads it by more than the allowance, sum_j (X_lj - X_ij) >
    max(0, h^2 S^2_il / (2 delta) - delta r / 2), S^2_il the sample variance (ddof 1) of X_ij - X_lj over the r
    replications. (Kim and Nelson's X_i(r) < X_l(r) - W_il(r), W_il(r) = max(0, delta/(2cr) (h^2 S^2_il/delta^2
    - r)), times r, with c = 1.) The leader on the sample mean is never dropped.
    """
    r = values.shape[1]
    sums = values.sum(axis=1)
    centered = values - values.mean(axis=1, keepdims=True)
    gram = centered @ centered.T
    own = np.diag(gram)
    s2 = np.maximum(own[:, None] + own[None, :] - 2.0 * gram, 0.0) / (r - 1)
    allowance = np.maximum(0.0, h2 * s2 / (2.0 * delta) - delta * r / 2.0)
    trails = sums[None, :] - sums[:, None]  # [i, l]: how far i's sum trails l's
    beaten = trails > allowance
    np.fill_diagonal(beaten, False)
    return beaten.any(axis=1)


@dataclass(frozen=True)
class Selection:
    """What KN++ did: the chosen system, who was dropped when, the replications spent, and what is guaranteed."""

    best: int
    """Index of the chosen system (the last one in contention; the best sample mean if several remain)."""
    survivors: tuple[int, ...]
    """Systems still in contention at the end: one when the procedure finished, several when stopped by the cap
    (or exactly tied on every replication)."""
    eliminated_after: tuple[int | None, ...]
    """Per system, the number of replications at the stage that dropped it; None if never dropped."""
    replications: np.ndarray
    """Replications (days) simulated per system."""
    means: np.ndarray
    """Sample mean per system over its replications, in the KPI's unit."""
    guaranteed: bool
    """True when the procedure ran to its end, so the indifference-zone guarantee holds."""
    alpha: float
    delta: float
    minimize: bool

    @property
    def total_replications(self) -> int:
        return int(self.replications.sum())

    def survivors_after(self, replications: int) -> tuple[int, ...]:
        """Systems still in contention after the stage that ended at ``replications`` per system."""
        return tuple(i for i, out in enumerate(self.eliminated_after) if out is None or out > replications)

    def sentence(self, names: Sequence[str], objective_label: str, unit: str) -> str:
        """What is guaranteed, in words, e.g. "Plan 17 is the best on provider overtime among these 12 with
        probability at least 95% unless another is within 5 minutes of it (indifference zone); 1,234
        replications in all." """
        if len(names) != len(self.means):
            raise ValueError(f"{len(names)} names for {len(self.means)} systems")
        k, total = len(names), f"{self.total_replications:,} replications in all"
        if not self.guaranteed:
            left = ", ".join(names[i] for i in self.survivors)
            return (
                f"No plan was shown to be the best on {objective_label} among these {k}: the cap of "
                f"{int(self.replications.max()):,} replications per plan was reached with {len(self.survivors)} "
                f"still in contention ({left}). {names[self.best]} has the best mean so far, but that is not "
                f"guaranteed; {total}."
            )
        tied = [names[i] for i in self.survivors if i != self.best]
        tie = f" (tied on every replication with {', '.join(tied)})" if tied else ""
        return (
            f"{names[self.best]}{tie} is the best on {objective_label} among these {k} with probability at least "
            f"{_percent(1 - self.alpha)} unless another is within {_amount(self.delta, unit)} of it "
            f"(indifference zone); {total}."
        )


def kn_select(
    sample: Sample,
    k: int,
    *,
    alpha: float = 0.05,
    delta: float,
    minimize: bool = True,
    n0: int = 10,
    max_per_system: int | None = None,
    batch: int = 1,
) -> Selection:
    """Select the best of ``k`` systems by KN++ (Kim and Nelson 2006), fully sequential with variance updates.

    Stage 1: replications 0..n0-1 of every system. Then at each stage, with r replications of every system still
    in contention: S^2_il from all r paired replications, h^2 = ``kn_h2(k, alpha, f=r-1)``, the screen of
    ``kn_eliminated``; stop when one system is left, else add ``batch`` replications to each one left (screening
    after every batch rather than every replication keeps the guarantee: it only looks at the sums less often).
    ``delta`` is the indifference zone in the KPI's unit: with probability at least 1 - alpha the best is chosen
    when it beats every other by at least delta (normal outputs; with updated variances the guarantee is
    asymptotic as delta -> 0, checked by simulation in tests/validation/test_selection.py). Stopped by
    ``max_per_system`` replications per system, it returns the best sample mean among those left and
    ``guaranteed=False``.
    """
    _check_kn(k=k, alpha=alpha, delta=delta, n0=n0, max_per_system=max_per_system, batch=batch)
    sign = -1.0 if minimize else 1.0
    outputs = np.empty((k, n0))
    alive = np.ones(k, dtype=bool)
    eliminated_after: list[int | None] = [None] * k
    r, take, guaranteed = 0, n0, True
    while True:
        outputs = _grow(outputs, r + take)
        for i in np.flatnonzero(alive):
            outputs[i, r : r + take] = _draw(sample, int(i), range(r, r + take))
        r += take
        ids = np.flatnonzero(alive)
        block = sign * outputs[ids, :r]
        for i in ids[kn_eliminated(block, h2=kn_h2(k=k, alpha=alpha, f=r - 1), delta=delta)]:
            alive[i], eliminated_after[i] = False, r
        ids = np.flatnonzero(alive)
        if len(ids) == 1 or np.all(outputs[ids, :r] == outputs[ids[:1], :r]):
            if len(ids) > 1:
                logger.warning("systems %s gave identical outputs on all %d replications", ids.tolist(), r)
            break
        if max_per_system is not None and r >= max_per_system:
            guaranteed = False
            break
        take = batch if max_per_system is None else min(batch, max_per_system - r)
    counts = np.array([out if out is not None else r for out in eliminated_after])
    means = np.array([outputs[i, : counts[i]].mean() for i in range(k)])
    ids = np.flatnonzero(alive)
    best = int(ids[np.argmax(sign * means[ids])])
    return Selection(
        best, tuple(int(i) for i in ids), tuple(eliminated_after), counts, means, guaranteed, alpha, delta, minimize
    )


def _check_kn(*, k: int, alpha: float, delta: float, n0: int, max_per_system: int | None, batch: int) -> None:
    if k < 2:
        raise ValueError(f"selection needs at least 2 systems, got k={k}")
    if not 0 < alpha < 1 - 1 / k:
        raise ValueError(f"alpha must be in (0, 1 - 1/k) = (0, {1 - 1 / k:.3g}), got {alpha}")
    if not (math.isfinite(delta) and delta > 0):
        raise ValueError(f"the indifference zone delta must be positive, got {delta}")
    if n0 < 2:
        raise ValueError(f"the first stage needs n0 >= 2 replications for a variance, got {n0}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    if max_per_system is not None and max_per_system < n0:
        raise ValueError(f"max_per_system ({max_per_system}) must be at least n0 ({n0})")


def _grow(outputs: np.ndarray, columns: int) -> np.ndarray:
    """``outputs`` with room for at least ``columns`` replications (capacity doubled, so copies stay rare)."""
    if columns <= outputs.shape[1]:
        return outputs
    grown = np.empty((outputs.shape[0], max(columns, 2 * outputs.shape[1])))
    grown[:, : outputs.shape[1]] = outputs
    return grown


def _draw(sample: Sample, system: int, replications: Iterable[int]) -> np.ndarray:
    """``sample``'s outputs as a float vector, checked: one finite value per replication."""
    asked = list(replications)
    values = np.asarray(sample(system, asked), dtype=float).reshape(-1)
    if len(values) != len(asked):
        raise ValueError(f"sample({system}, ...) returned {len(values)} values for {len(asked)} replications")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"sample({system}, ...) returned a NaN or infinite value; choose a KPI defined every day")
    return values


# -- OCBA ------------------------------------------------------------------------------------------------------


def ocba_weights(means: np.ndarray, sds: np.ndarray, *, minimize: bool = True) -> np.ndarray:
    """The OCBA shares of a budget (Chen et al. 2000): N_i / N_j = (sd_i / d_i)^2 / (sd_j / d_j)^2 for i, j not
    the best b, d_i = |mean_i - mean_b|, and N_b = sd_b sqrt(sum_{i != b} N_i^2 / sd_i^2). Normalized to sum 1;
    all zero when no sd is positive.

    Systems tied with the best (d_i = 0) take the limit d -> 0: only they and the best get a share, N_i
    proportional to sd_i^2. A system with sd 0 is known exactly and gets nothing.
    """
    means, sds = np.asarray(means, dtype=float), np.asarray(sds, dtype=float)
    gap = (means - means.min()) if minimize else (means.max() - means)
    best = int(np.argmin(gap))
    others = np.arange(len(means)) != best
    tied = others & (gap == 0)
    weights = np.zeros(len(means))
    if tied.any():
        weights[tied] = sds[tied] ** 2
        pull = sds[tied] ** 2
    else:
        weights[others] = (sds[others] / gap[others]) ** 2
        pull = np.divide(weights[others] ** 2, sds[others] ** 2, out=np.zeros(others.sum()), where=sds[others] > 0)
    weights[best] = sds[best] * math.sqrt(pull.sum())
    total = weights.sum()
    return weights / total if total > 0 else weights


def ocba_allocation(
    means: np.ndarray, sds: np.ndarray, counts: np.ndarray, budget: int, *, minimize: bool = True
) -> np.ndarray:
    """How many more replications each system gets out of ``budget``: integers >= 0 summing to ``budget``.

    The OCBA shares (``ocba_weights``) of the total (done + budget); a system already past its share gets none and
    the others share the rest (Chen and Lee 2011, the sequential OCBA algorithm), then largest remainders round
    to integers. With every sd 0 the budget is spread evenly.
    """
    means, sds = np.asarray(means, dtype=float), np.asarray(sds, dtype=float)
    counts = np.asarray(counts, dtype=int)
    if not (means.ndim == 1 and means.shape == sds.shape == counts.shape and len(means) >= 2):
        raise ValueError("means, sds and counts must be vectors of the same length, at least 2")
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(sds)) and np.all(sds >= 0) and np.all(counts >= 0)):
        raise ValueError("means and sds must be finite, sds and counts non-negative")
    if budget < 0:
        raise ValueError(f"the budget must be non-negative, got {budget}")
    if budget == 0:
        return np.zeros(len(means), dtype=int)
    weights = ocba_weights(means, sds, minimize=minimize)
    if not np.any(weights > 0):
        weights = np.ones(len(means))
    return _round(_fill(weights, counts, budget), budget)


def _fill(weights: np.ndarray, counts: np.ndarray, budget: int) -> np.ndarray:
    """Extra replications (real numbers) bringing the systems with a share to their share of the total."""
    active = weights > 0
    while True:
        ids = np.flatnonzero(active)
        target = (counts[ids].sum() + budget) * weights[ids] / weights[ids].sum()
        past = target < counts[ids]
        if not past.any():
            break
        active[ids[past]] = False
    extra = np.zeros(len(weights))
    extra[ids] = target - counts[ids]
    return extra


def _round(extra: np.ndarray, budget: int) -> np.ndarray:
    """Integers summing to ``budget``: floors, and one more to the largest fractional parts."""
    extra = np.maximum(extra, 0.0)
    floors = np.floor(extra).astype(int)
    short = budget - int(floors.sum())
    if short > 0:
        order = np.argsort(-(extra - floors) - (extra > 0), kind="stable")
        floors[np.resize(order, short)] += 1
    elif short < 0:  # float rounding only
        floors[np.argmax(floors)] += short
    return floors


def apcs_b(means: np.ndarray, sds: np.ndarray, counts: np.ndarray, *, minimize: bool = True) -> float:
    """Approximate probability of correct selection, Chen's Bonferroni lower bound APCS-B = 1 - sum_{i != b}
    P(X_b > X_i) (minimizing), X_i ~ N(mean_i, sd_i^2 / n_i) independent (normal approximation, clipped at 0).
    Under common random numbers the plans' means are positively correlated, so this is conservative."""
    means, sds, counts = (np.asarray(a, dtype=float) for a in (means, sds, counts))
    gap = (means - means.min()) if minimize else (means.max() - means)
    best = int(np.argmin(gap))
    with np.errstate(divide="ignore", invalid="ignore"):
        se2 = sds**2 / counts
        spread = np.sqrt(se2 + se2[best])
        wrong = np.where(spread > 0, stats.norm.sf(gap / spread), np.where(gap > 0, 0.0, 0.5))
    wrong[best] = 0.0
    return max(0.0, 1.0 - float(wrong.sum()))


@dataclass(frozen=True)
class OcbaResult:
    """What sequential OCBA did: the chosen system, replications, means and sds per system, and the APCS-B."""

    best: int
    counts: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    apcs: float
    """Estimated probability of correct selection (``apcs_b``): an estimate, not a guarantee."""
    minimize: bool


def ocba_select(
    sample: Sample, k: int, *, n0: int, budget_total: int, per_round: int, minimize: bool = True
) -> OcbaResult:
    """Spend ``budget_total`` replications in all (the first ``n0`` of each system included) by sequential OCBA:
    after the first stage, rounds of ``per_round`` allocated by ``ocba_allocation`` from the current means and
    sds. System i's replications are 0, 1, 2, ... in order, so replication r pairs across systems."""
    if k < 2 or n0 < 2 or per_round < 1:
        raise ValueError(f"need k >= 2, n0 >= 2 and per_round >= 1, got k={k}, n0={n0}, per_round={per_round}")
    if budget_total < k * n0:
        raise ValueError(f"the budget ({budget_total}) is less than the first stage, k * n0 = {k * n0}")
    values = [_draw(sample, i, range(n0)) for i in range(k)]
    spent = k * n0
    while spent < budget_total:
        means, sds, counts = _moments(values)
        extra = ocba_allocation(means, sds, counts, min(per_round, budget_total - spent), minimize=minimize)
        for i in np.flatnonzero(extra):
            more = _draw(sample, int(i), range(counts[i], counts[i] + extra[i]))
            values[i] = np.concatenate([values[i], more])
        spent += int(extra.sum())
    means, sds, counts = _moments(values)
    best = int(np.argmin(means) if minimize else np.argmax(means))
    return OcbaResult(best, counts, means, sds, apcs_b(means, sds, counts, minimize=minimize), minimize)


def _moments(values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    means = np.array([v.mean() for v in values])
    sds = np.array([v.std(ddof=1) for v in values])
    return means, sds, np.array([len(v) for v in values])


# -- constraints -----------------------------------------------------------------------------------------------

_SAID = {"met": "met", "not met": "not met", "uncertain": "not established; more days needed"}


@dataclass(frozen=True)
class Judged:
    """A constraint judged on one value per day: its limit and side, the interval of what is judged and the verdict
    ("met" only when the whole interval is on the allowed side)."""

    limit: float
    at_most: bool
    confidence: float
    n_days: int
    low: float
    high: float
    verdict: Verdict

    @property
    def met(self) -> bool:
        return self.verdict == "met"


@dataclass(frozen=True)
class ChanceConstraint(Judged):
    """ "KPI <= limit on at least ``probability`` of days": the share of days meeting the limit, its Wilson
    interval, and the verdict ("met" only when the whole interval is at or above the required share)."""

    probability: float
    n_meeting: int
    share: float

    @property
    def value(self) -> float:
        """What is judged: the share of days meeting the limit."""
        return self.share

    def sentence(self, label: str, unit: str) -> str:
        """E.g. "provider overtime ≤ 30 min on 91% of 200 days (95% CI 86% to 94%) against the 90% required: not
        established; more days needed"."""
        share, low, high, need = _percents(self.share, self.low, self.high, required=self.probability)
        sign = "≤" if self.at_most else "≥"
        return (
            f"{label} {sign} {_amount(self.limit, unit)} on {share} of {_days(self.n_days)} "
            f"({_percent(self.confidence)} CI {low} to {high}) against the {need} required: {_SAID[self.verdict]}"
        )


def chance_constraint(
    values: np.ndarray | Sequence[float],
    limit: float,
    *,
    at_most: bool = True,
    probability: float = 0.9,
    confidence: float = 0.95,
) -> ChanceConstraint:
    """Judge "value <= limit (or >= with ``at_most=False``) on at least ``probability`` of days" from one value
    per day (NaN days left out), by the Wilson interval (``statistics.wilson_interval``) of the share meeting
    it: "met" if its low end >= probability, "not met" if its high end < probability, else "uncertain"."""
    if not 0 < probability < 1:
        raise ValueError(f"the required probability must be in (0, 1), got {probability}")
    days = np.asarray(values, dtype=float)
    days = days[~np.isnan(days)]
    meeting = int(np.sum(days <= limit) if at_most else np.sum(days >= limit))
    low, high = wilson_interval(meeting, len(days), confidence=confidence)
    verdict = _verdict(low >= probability, high < probability)
    share = meeting / len(days) if len(days) else math.nan
    return ChanceConstraint(limit=limit, at_most=at_most, confidence=confidence, n_days=len(days), low=low, high=high,
                            verdict=verdict, probability=probability, n_meeting=meeting, share=share)  # fmt: skip


@dataclass(frozen=True)
class MeanConstraint(Judged):
    """ "Mean KPI <= limit": the mean over days, its Student-t interval, and the verdict ("met" only when the whole
    interval is on the right side of the limit)."""

    mean: float

    @property
    def value(self) -> float:
        """What is judged: the mean over days."""
        return self.mean

    def sentence(self, label: str, unit: str) -> str:
        """E.g. "mean provider wait p90 18.2 min (95% CI 16.9 to 19.5 min) over 200 days against the limit of at
        most 20 min: met"."""
        side = "at most" if self.at_most else "at least"
        mean, low, high = _numbers(self.mean, self.low, self.high)
        interval = f"{low} to {_amount_text(high, unit)}" if math.isfinite(self.low) else "not available"
        return (
            f"mean {label} {_amount_text(mean, unit)} ({_percent(self.confidence)} CI {interval}) over "
            f"{_days(self.n_days)} against the limit of {side} {_amount(self.limit, unit)}: {_SAID[self.verdict]}"
        )


def mean_constraint(
    values: np.ndarray | Sequence[float], limit: float, *, at_most: bool = True, confidence: float = 0.95
) -> MeanConstraint:
    """Judge "the mean over days <= limit (>= with ``at_most=False``)" by the Student-t interval of the mean
    (``statistics.t_interval``, NaN days left out): "met" if the interval lies on the allowed side (its end
    touching the limit counts), "not met" if wholly beyond it, else "uncertain" (also with fewer than 2 days)."""
    stat = t_interval(values, confidence=confidence)
    if at_most:
        verdict = _verdict(stat.high <= limit, stat.low > limit)
    else:
        verdict = _verdict(stat.low >= limit, stat.high < limit)
    return MeanConstraint(limit=limit, at_most=at_most, confidence=confidence, n_days=stat.n, low=stat.low,
                          high=stat.high, verdict=verdict, mean=stat.mean)  # fmt: skip


def _verdict(met: bool, not_met: bool) -> Verdict:
    """NaN comparisons are False, so an interval that could not be computed is "uncertain"."""
    return "met" if met else "not met" if not_met else "uncertain"


# -- words -----------------------------------------------------------------------------------------------------


def _number(x: float) -> str:
    """1,234 for large numbers, 3 significant digits otherwise (5, 12.5, 0.25)."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _numbers(*xs: float) -> list[str]:
    """Numbers with the same decimals, enough for 3 significant digits of the largest (17.6, 17.0, 18.3)."""
    largest = max((abs(x) for x in xs if math.isfinite(x)), default=0.0)
    decimals = min(3, max(0, 2 - math.floor(math.log10(largest)))) if largest > 0 else 1
    return [f"{x:,.{decimals}f}" for x in xs]


def _amount_text(number: str, unit: str) -> str:
    return f"{number} {unit}".strip()


def _amount(x: float, unit: str) -> str:
    return _amount_text(_number(x), unit)


def _days(n: int) -> str:
    return f"{n:,} day{'' if n == 1 else 's'}"


def _percent(p: float, decimals: int = 1) -> str:
    """95%, 97.5%: a share as a percentage, trailing zeros dropped."""
    return f"{100 * p:.{decimals}f}".rstrip("0").rstrip(".") + "%"


def _percents(*shares: float, required: float) -> list[str]:
    """Whole percentages, or one decimal when rounding would make a share look equal to the required one."""
    whole = [f"{100 * s:.0f}%" for s in (*shares, required)]
    if any(w == whole[-1] for w in whole[:-1]):
        return [f"{100 * s:.1f}%" for s in (*shares, required)]
    return whole
