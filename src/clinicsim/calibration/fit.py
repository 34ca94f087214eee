"""Fitting a scenario's numbers to the clinic's own visit export: durations, provider speed, lateness, no-shows,
late session starts and walk-ins.

Every function here takes the visits as ``export.read_visits`` returns them (minutes from midnight per step,
``status``, ``appointment_min``, ``walk_in``, ``booked_on``, ``date``, ``provider``, ``visit_type``) and, where a
data problem would bias it, ``exclude``: a boolean Series on the visits' index, true for the rows to leave out
(``quality.Quality.excluded`` of the interval). Nothing is dropped silently: every table says how many values it
used and how many it left out.

- ``fit_duration``: maximum-likelihood lognormal, gamma and Weibull fits of a sample of durations (location fixed
  at 0), each with its log-likelihood, AIC, Kolmogorov-Smirnov statistic and p-value and 95% Wald intervals of its
  parameters; and the empirical distribution. The chosen one is the parametric fit with the lowest AIC, unless
  every parametric fit is rejected by KS at 1% on 200 values or more: then the empirical distribution (a
  clinicsim ``Empirical`` of at most 200 quantiles, rounded to 0.1 minute). The KS p-values are approximate: the
  parameters are estimated from the same values they are tested on, which makes the fit look better than it is
  (the p-values are too large, so the test is conservative: it rejects less often than 1% says).
- ``fit_by_group``: the durations of an interval (``provider_in`` to ``provider_out``, say) fitted per group
  (visit type, or visit type and provider); groups with fewer than ``min_n`` values are reported, not fitted.
- ``provider_speed_factors``: how much faster each provider is than the visit type's pooled mean, shrunk toward 1
  where there are few visits (clinicsim's ``speed_factor`` divides durations: 1.25 is 20% shorter).
- ``lateness``: arrival minus appointment time, a normal fit and the empirical quantiles.
- ``no_show_rates``: no-shows per visit type and lead-time band with Wilson intervals; cancellations as shares.
- ``late_starts``: how late each provider starts a session, from the sessions where a patient was ready waiting.
- ``walk_in_rates``: walk-ins per hour of the day per clinic day, as a scenario's rate periods.

Times recorded to the whole minute (as many EHR audit logs do) make ties that a continuous distribution cannot
have; with thousands of values the KS test would reject every family for the ties alone. A sample whose values
are all whole minutes is therefore read as rounded: the values tied at a minute are spread evenly over that
minute (``resolution_min`` 1 in the fit), for the fits, the tests and the quantiles alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from clinicsim.calibration.export import STEPS
from clinicsim.distributions import Empirical, Fixed, Gamma, Lognormal, Normal, Weibull, weibull_cv, weibull_shape
from clinicsim.statistics import t_interval, wilson_interval

CONFIDENCE = 0.95
"""Confidence of every interval here."""
KS_ALPHA = 0.01
"""A parametric fit is rejected when its KS p-value is below this."""
MIN_N_TO_REJECT = 200
"""The empirical distribution replaces the parametric fits only on at least this many values (on fewer, the KS
test rejects too seldom, and the empirical distribution is too coarse, for the change to be worth it)."""
MAX_SUPPORT = 200
"""Most values of an empirical distribution (quantiles of the sample when it has more)."""
SUPPORT_DECIMALS = 1
"""Empirical values are rounded to 0.1 minute."""
SESSION_GAP_MIN = 45.0
"""A gap of at least this long between a provider's successive appointment times starts a new session."""
ON_TIME_MIN = 1.0
"""A session started less than this late (minutes) started on time."""
MAX_GAP_MIN = 30.0
"""Longest gap between visits (minutes) that charting or room turnover is read from; a longer one is a break."""
LEAD_TIME_BANDS = ((0, 0, "0 days"), (1, 7, "1-7 days"), (8, 30, "8-30 days"), (31, math.inf, "31+ days"))
"""Lead-time bands (first day, last day, label) of the no-show table."""
LATENESS_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
"""Probabilities of the lateness quantiles reported."""

Chosen = Lognormal | Gamma | Weibull | Empirical
"""The distribution a duration fit can choose."""


# -- reading samples -------------------------------------------------------------------------------------------


def _kept(visits: pd.DataFrame, exclude: pd.Series | None) -> pd.Series:
    """True for the visits not excluded (``exclude`` aligned on the visits' index; rows it lacks are kept)."""
    if exclude is None:
        return pd.Series(True, index=visits.index)
    return ~exclude.reindex(visits.index, fill_value=False).astype(bool)


def _whole_minutes(values: np.ndarray) -> bool:
    """Whether every value is a whole number of minutes (times recorded to the minute)."""
    return len(values) > 0 and bool(np.all(values == np.round(values)))


def _spread_ties(values: np.ndarray) -> np.ndarray:
    """Sorted values recorded to the whole minute, each minute's tied values spread evenly over it: c values of
    v become v - 0.5 + (j + 0.5) / c, j = 0 ... c - 1."""
    x = np.sort(values)
    _, first, counts = np.unique(x, return_index=True, return_counts=True)
    rank = np.arange(len(x)) - np.repeat(first, counts)
    return x - 0.5 + (rank + 0.5) / np.repeat(counts, counts)


def _as_sample(values: np.ndarray) -> tuple[np.ndarray, float]:
    """The sorted finite values, spread over their minute when recorded to the minute, and that resolution (1
    minute, or 0 when the values are not rounded)."""
    x = np.asarray(values, dtype=float)
    x = np.sort(x[np.isfinite(x)])
    if _whole_minutes(x):
        return _spread_ties(x), 1.0
    return x, 0.0


def empirical_of(values: np.ndarray, *, max_points: int = MAX_SUPPORT, decimals: int = SUPPORT_DECIMALS) -> Empirical:
    """An ``Empirical`` of the values (their quantiles at (i + 0.5) / ``max_points`` when there are more), rounded
    to ``decimals`` places; values that round alike are merged, with weights counting them."""
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) == 0:
        raise ValueError("an empirical distribution needs at least one value")
    if len(x) > max_points:
        x = np.quantile(x, (np.arange(max_points) + 0.5) / max_points)
    support, counts = np.unique(np.round(x, decimals), return_counts=True)
    weights = None if np.all(counts == counts[0]) else [float(c) for c in counts]
    return Empirical(values=[float(v) for v in support], weights=weights)


def _number(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.3g}"


# -- duration fits ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    """A parametric family in domain terms: how to fit it, its scipy distribution and its clinicsim one."""

    name: str
    parameters: tuple[str, str]
    fit: Callable[[np.ndarray], tuple[float, float]]
    scipy: Callable[[float, float], Any]
    model: type[Lognormal | Gamma | Weibull]

    def make(self, theta: np.ndarray) -> Lognormal | Gamma | Weibull:
        return self.model.model_validate({name: float(t) for name, t in zip(self.parameters, theta)})


def _fit_lognormal(x: np.ndarray) -> tuple[float, float]:
    s, _, scale = stats.lognorm.fit(x, floc=0)
    mean = scale * math.exp(s * s / 2)
    return mean, mean * math.sqrt(math.expm1(s * s))


def _scipy_lognormal(mean: float, sd: float) -> Any:
    sigma2 = math.log1p((sd / mean) ** 2)
    return stats.lognorm(s=math.sqrt(sigma2), scale=math.exp(math.log(mean) - sigma2 / 2))


def _fit_gamma(x: np.ndarray) -> tuple[float, float]:
    a, _, scale = stats.gamma.fit(x, floc=0)
    return a * scale, 1 / math.sqrt(a)


def _scipy_gamma(mean: float, cv: float) -> Any:
    return stats.gamma(a=1 / cv**2, scale=mean * cv**2)


def _fit_weibull(x: np.ndarray) -> tuple[float, float]:
    c, _, scale = stats.weibull_min.fit(x, floc=0)
    return scale * math.exp(special.gammaln(1 + 1 / c)), weibull_cv(c)


def _scipy_weibull(mean: float, cv: float) -> Any:
    shape = weibull_shape(cv)
    return stats.weibull_min(c=shape, scale=mean / math.exp(special.gammaln(1 + 1 / shape)))


FAMILIES = (
    _Family("lognormal", ("mean", "sd"), _fit_lognormal, _scipy_lognormal, Lognormal),
    _Family("gamma", ("mean", "cv"), _fit_gamma, _scipy_gamma, Gamma),
    _Family("weibull", ("mean", "cv"), _fit_weibull, _scipy_weibull, Weibull),
)
"""The parametric families fitted to durations, each in the parameters a scenario file gives it."""


def _loglik(family: _Family, theta: np.ndarray, x: np.ndarray) -> float:
    if theta[0] <= 0 or theta[1] <= 0:
        return -math.inf
    return float(np.sum(family.scipy(float(theta[0]), float(theta[1])).logpdf(x)))


def _wald_intervals(family: _Family, theta: np.ndarray, x: np.ndarray) -> list[tuple[float, float]]:
    """95% Wald intervals of the parameters: the observed information (the log-likelihood's Hessian by central
    differences, steps of 1/1,000 of each parameter) inverted; NaN where it is not positive definite."""
    f = lambda t: _loglik(family, t, x)  # noqa: E731
    h = 1e-3 * np.abs(theta)
    hessian = np.empty((2, 2))
    centre = f(theta)
    for i in range(2):
        e_i = np.eye(2)[i] * h[i]
        hessian[i, i] = (f(theta + e_i) - 2 * centre + f(theta - e_i)) / h[i] ** 2
        for j in range(i):
            e_j = np.eye(2)[j] * h[j]
            value = f(theta + e_i + e_j) - f(theta + e_i - e_j) - f(theta - e_i + e_j) + f(theta - e_i - e_j)
            hessian[i, j] = hessian[j, i] = value / (4 * h[i] * h[j])
    nan = [(math.nan, math.nan)] * 2
    if not np.all(np.isfinite(hessian)):
        return nan
    information = -hessian
    if np.any(np.linalg.eigvalsh(information) <= 0):
        return nan
    se = np.sqrt(np.diag(np.linalg.inv(information)))
    z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
    return [(float(t - z * s), float(t + z * s)) for t, s in zip(theta, se)]


@dataclass(frozen=True, eq=False)
class Candidate:
    """One candidate distribution of a duration fit. ``estimates`` and ``intervals`` are its parameters as a
    scenario file gives them (lognormal: mean and sd; gamma and Weibull: mean and cv) with 95% Wald intervals from
    the observed information; ``distribution`` is None when the fit failed (``note`` says why). The empirical
    candidate has no likelihood, AIC or KS test (NaN)."""

    name: str
    distribution: Chosen | None
    estimates: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    loglik: float = math.nan
    aic: float = math.nan
    ks_stat: float = math.nan
    ks_p: float = math.nan
    note: str = ""

    @property
    def parametric(self) -> bool:
        return self.name != "empirical"

    @property
    def rejected(self) -> bool:
        """Whether the KS test rejects the fit at ``KS_ALPHA`` (False without a test)."""
        return self.ks_p < KS_ALPHA

    def parameters(self) -> str:
        """The parameters in words: "mean 16.1 [15.8, 16.4], sd 6.02 [5.85, 6.19]"."""
        if self.distribution is None:
            return ""
        if isinstance(self.distribution, Empirical):
            return f"{len(self.distribution.values)} values"
        return ", ".join(
            f"{name} {_number(value)} [{_number(self.intervals[name][0])}, {_number(self.intervals[name][1])}]"
            for name, value in self.estimates.items()
        )


def _fit_family(family: _Family, x: np.ndarray) -> Candidate:
    try:
        theta = np.array(family.fit(x), dtype=float)
        distribution = family.make(theta)
    except (ValueError, RuntimeError, FloatingPointError, ZeroDivisionError, OverflowError) as error:
        return Candidate(family.name, None, note=f"fit failed: {str(error).splitlines()[0]}")
    loglik = _loglik(family, theta, x)
    ks = stats.kstest(x, family.scipy(float(theta[0]), float(theta[1])).cdf)
    intervals = _wald_intervals(family, theta, x)
    return Candidate(
        family.name,
        distribution,
        estimates=dict(zip(family.parameters, (float(t) for t in theta))),
        intervals=dict(zip(family.parameters, intervals)),
        loglik=loglik,
        aic=2 * len(theta) - 2 * loglik,
        ks_stat=float(ks.statistic),
        ks_p=float(ks.pvalue),
    )


@dataclass(frozen=True, eq=False)
class DurationFit:
    """The fits of one sample of durations (see ``fit_duration``).

    ``distribution`` is the chosen one (a clinicsim distribution: ``distribution.model_dump(mode="json",
    by_alias=True)`` is its entry in a scenario file), ``chosen`` its name and ``reason`` why; ``table()`` compares
    the candidates, ``qq()`` gives the points of a QQ plot of the chosen one; ``mean_min`` and ``mean_ci`` are the
    sample's mean and its Student-t 95% interval (whatever the family); ``resolution_min`` is 1 when the values were
    read as recorded to the whole minute (ties spread over their minute), else 0."""

    values: np.ndarray = field(repr=False)
    candidates: tuple[Candidate, ...]
    chosen: str
    reason: str
    mean_ci: tuple[float, float]
    resolution_min: float = 0.0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean_min(self) -> float:
        return float(np.mean(self.values))

    @property
    def sd_min(self) -> float:
        return float(np.std(self.values, ddof=1))

    def candidate(self, name: str) -> Candidate:
        return next(c for c in self.candidates if c.name == name)

    @property
    def distribution(self) -> Chosen:
        chosen = self.candidate(self.chosen).distribution
        assert chosen is not None  # a failed fit is never chosen
        return chosen

    def table(self) -> pd.DataFrame:
        """One row per candidate: distribution, parameters (in words, with 95% intervals), the mean and sd it
        implies, log-likelihood, AIC, AIC above the best, KS statistic and p-value, whether chosen, a note."""
        best = min((c.aic for c in self.candidates if math.isfinite(c.aic)), default=math.nan)
        return pd.DataFrame(
            [
                {
                    "distribution": c.name,
                    "parameters": c.parameters(),
                    "mean_min": c.distribution.mean if c.distribution is not None else math.nan,
                    "sd_min": math.sqrt(c.distribution.variance) if c.distribution is not None else math.nan,
                    "loglik": c.loglik,
                    "aic": c.aic,
                    "delta_aic": c.aic - best,
                    "ks_stat": c.ks_stat,
                    "ks_p": c.ks_p,
                    "chosen": c.name == self.chosen,
                    "note": c.note,
                }
                for c in self.candidates
            ]
        )

    def qq(self, *, points: int = MAX_SUPPORT) -> pd.DataFrame:
        """Theoretical quantiles of the chosen distribution against the sample's, at plotting positions
        (i - 0.5) / m: every value when there are at most ``points``, else ``points`` quantiles of the sample."""
        m = min(self.n, points)
        p = (np.arange(1, m + 1) - 0.5) / m
        sample = self.values if m == self.n else np.quantile(self.values, p)
        theoretical = np.asarray(self.distribution.from_uniform(p), dtype=float)
        return pd.DataFrame({"p": p, "theoretical_min": theoretical, "sample_min": sample})


def fit_duration(values: np.ndarray | pd.Series | list[float]) -> DurationFit:
    """Fit lognormal, gamma and Weibull (maximum likelihood, location 0) and the empirical distribution to positive
    durations (minutes; NaN left out) and choose one: the parametric fit with the lowest AIC, unless there are at
    least ``MIN_N_TO_REJECT`` values and the KS test rejects every parametric fit at ``KS_ALPHA``; then the
    empirical distribution (at most ``MAX_SUPPORT`` quantiles, rounded to 0.1 minute).

    KS p-values are approximate: the parameters are estimated from the values tested, so the p-values are too
    large and the test conservative (it rejects less often than its level says). Values all in whole minutes are
    read as rounded to the minute (see the module docstring). ValueError for a value not above 0 (a duration of
    0 or less is a data problem: ``quality`` reports it) or fewer than 3 values, or all alike."""
    raw = np.asarray(values, dtype=float)
    raw = raw[~np.isnan(raw)]
    if np.any(~np.isfinite(raw)) or np.any(raw <= 0):
        raise ValueError(f"durations must be finite and above 0 ({int(np.sum(~(raw > 0)))} are not)")
    if len(raw) < 3 or np.all(raw == raw[0]):
        raise ValueError(f"a duration fit needs at least 3 values, not all alike ({len(raw)} given)")
    x, resolution = _as_sample(raw)
    candidates = [_fit_family(family, x) for family in FAMILIES]
    candidates.append(Candidate("empirical", empirical_of(x)))
    fitted = [c for c in candidates if c.parametric and c.distribution is not None and math.isfinite(c.aic)]
    if not fitted:
        chosen, reason = "empirical", "no parametric fit succeeded"
    elif len(x) >= MIN_N_TO_REJECT and all(c.rejected for c in fitted):
        chosen = "empirical"
        reason = f"every parametric fit rejected by KS at {KS_ALPHA:.0%} (n = {len(x)})"
    else:
        chosen, reason = min(fitted, key=lambda c: c.aic).name, "lowest AIC"
    stat = t_interval(x, confidence=CONFIDENCE)
    return DurationFit(x, tuple(candidates), chosen, reason, (stat.low, stat.high), resolution)


@dataclass(frozen=True, eq=False)
class GroupFits:
    """Duration fits of an interval per group (see ``fit_by_group``): ``fits`` by group key (a tuple of the
    ``by`` values, () without ``by``; ``fits[key]`` also takes a bare value for one ``by`` column), ``counts`` one
    row per group (the ``by`` columns, n, n_excluded, n_not_positive)."""

    interval: tuple[str, str]
    by: tuple[str, ...]
    fits: dict[tuple, DurationFit]
    counts: pd.DataFrame
    min_n: int

    def __getitem__(self, key: Hashable) -> DurationFit:
        return self.fits[key if isinstance(key, tuple) else (key,)]

    def table(self) -> pd.DataFrame:
        """One row per group: the ``by`` columns, n (values fitted), n_excluded, n_not_positive, whether fitted,
        the chosen distribution, its parameters, the sample mean with its 95% interval, the chosen fit's KS p-value
        and why it was chosen (or why the group was not fitted)."""
        rows = []
        for counts in self.counts.to_dict("records"):
            fit = self.fits.get(tuple(counts[name] for name in self.by))
            row: dict[str, Any] = {**counts, "fitted": fit is not None}
            if fit is None:
                row.update(distribution="", parameters="", reason=f"fewer than {self.min_n} values")
            else:
                chosen = fit.candidate(fit.chosen)
                row.update(
                    distribution=fit.chosen,
                    parameters=chosen.parameters(),
                    mean_min=fit.mean_min,
                    mean_low=fit.mean_ci[0],
                    mean_high=fit.mean_ci[1],
                    ks_p=chosen.ks_p,
                    reason=fit.reason,
                )
            rows.append(row)
        return pd.DataFrame(rows)

    def candidates(self) -> pd.DataFrame:
        """Every candidate of every fitted group (``DurationFit.table`` with the ``by`` columns in front)."""
        tables = []
        for key, fit in self.fits.items():
            table = fit.table()
            for name, value in reversed(list(zip(self.by, key))):
                table.insert(0, name, value)
            tables.append(table)
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def interval_minutes(visits: pd.DataFrame, interval: tuple[str, str]) -> pd.Series:
    """The minutes from the interval's start column to its end column (NaN where either is missing)."""
    start, end = interval
    return (visits[end] - visits[start]).astype(float)


def fit_by_group(
    visits: pd.DataFrame,
    interval: tuple[str, str],
    by: list[str],
    *,
    exclude: pd.Series | None = None,
    min_n: int = 30,
) -> GroupFits:
    """Fit the durations of ``interval`` (end minus start column, minutes) per group of the ``by`` columns (none:
    one group of every visit). A visit counts where both columns have a time and its group labels are known;
    the rows ``exclude`` marks are counted (``n_excluded``) and left out, and so are durations of 0 or less
    (``n_not_positive``: data problems, not fitted). Groups with fewer than ``min_n`` durations left are reported,
    not fitted."""
    minutes = interval_minutes(visits, interval)
    has = minutes.notna()
    if by:
        has &= visits[by].notna().all(axis=1)
    kept = _kept(visits, exclude)[has]
    frame = visits.loc[has, list(by)].assign(
        _minutes=minutes[has],
        _used=kept & (minutes[has] > 0),
        _excluded=~kept,
        _not_positive=kept & ~(minutes[has] > 0),
    )
    groups = (
        [(key if isinstance(key, tuple) else (key,), group) for key, group in frame.groupby(by, sort=True)]
        if by
        else [((), frame)]
    )
    fits: dict[tuple, DurationFit] = {}
    rows = []
    for key, group in groups:
        used = group.loc[group["_used"], "_minutes"].to_numpy()
        rows.append(
            {
                **dict(zip(by, key)),
                "n": len(used),
                "n_excluded": int(group["_excluded"].sum()),
                "n_not_positive": int(group["_not_positive"].sum()),
            }
        )
        if len(used) >= max(min_n, 3) and not np.all(used == used[0]):
            fits[key] = fit_duration(used)
    counts = pd.DataFrame(rows, columns=[*by, "n", "n_excluded", "n_not_positive"])
    return GroupFits(interval, tuple(by), fits, counts, min_n)


# -- provider speed --------------------------------------------------------------------------------------------


def provider_speed_factors(
    visits: pd.DataFrame, exclude: pd.Series | None = None, *, prior_visits: float = 30
) -> pd.DataFrame:
    """Per provider, how much faster than the pooled mean of each visit type their provider visits are
    (``provider_in`` to ``provider_out``): the ``speed_factor`` that, dividing the visit type's pooled duration,
    gives the provider's own. A provider whose visits take 80% of the visit type's mean gets 1.25.

    Per visit type t, the pooled mean m_t (all providers) and the provider's own m_pt; the ratios are averaged over
    the provider's visit types weighted by their counts on the scale of durations: ``raw_factor`` = 1 / (sum over t
    of n_pt m_pt / m_t / n), the inverse of the provider's mean of (visit minutes / m_t). (Averaging m_t / m_pt
    itself would invert each noisy mean and overstate a provider with few visits of a type; the two agree when a
    provider is equally faster in every visit type.) Its 95% interval is the Student-t interval of that mean over
    the provider's visits, inverted (the pooled means taken as known). Visit types only one provider does say
    nothing about speed and are left out. The factor for a scenario is shrunk toward 1 where there are few visits:
    ``speed_factor`` = 1 + w (raw_factor - 1), w = n / (n + ``prior_visits``).

    Columns: n (visits compared), raw_factor, ci_low, ci_high (of the raw factor), weight w, speed_factor."""
    minutes = interval_minutes(visits, ("provider_in", "provider_out"))
    use = _kept(visits, exclude) & (minutes > 0) & visits["provider"].notna() & visits["visit_type"].notna()
    frame = pd.DataFrame(
        {"provider": visits.loc[use, "provider"], "visit_type": visits.loc[use, "visit_type"], "minutes": minutes[use]}
    )
    by_type = frame.groupby("visit_type")
    frame = frame[by_type["provider"].transform("nunique") >= 2]
    frame["relative"] = frame["minutes"] / frame.groupby("visit_type")["minutes"].transform("mean")
    rows = []
    for provider, group in frame.groupby("provider", sort=True):
        stat = t_interval(group["relative"].to_numpy(), confidence=CONFIDENCE)
        raw = 1 / stat.mean
        weight = stat.n / (stat.n + prior_visits)
        rows.append(
            {
                "provider": provider,
                "n": stat.n,
                "raw_factor": raw,
                "ci_low": 1 / stat.high if stat.high > 0 else math.nan,
                "ci_high": 1 / stat.low if stat.low > 0 else math.inf,
                "weight": weight,
                "speed_factor": 1 + weight * (raw - 1),
            }
        )
    columns = ["n", "raw_factor", "ci_low", "ci_high", "weight", "speed_factor"]
    return pd.DataFrame(rows, columns=["provider", *columns]).set_index("provider")


def provider_visit_durations(
    visits: pd.DataFrame,
    exclude: pd.Series | None,
    model_mean_min: Mapping[str, float],
    speed: pd.DataFrame,
    *,
    prior_visits: float = 30,
) -> pd.DataFrame:
    """Per provider and visit type, the provider visit's mean minutes as observed and as the calibrated scenario
    gives it (the visit type's mean at speed 1, ``model_mean_min``, divided by the provider's ``speed_factor``),
    with the observed mean shrunk toward the scenario's where there are few visits: ``shrunk_mean_min`` = model +
    w (observed - model), w = n / (n + ``prior_visits``). ``model_inside`` says whether the scenario's mean lies in
    the observed mean's 95% t-interval; where it does not, one speed factor per provider does not describe that
    provider's visits of that type (a provider slow with new patients only, say).

    Columns: provider, visit_type, n, mean_min, ci_low, ci_high, model_mean_min, weight, shrunk_mean_min,
    model_inside. Groups of one visit, and visit types without a model mean, are left out."""
    minutes = interval_minutes(visits, ("provider_in", "provider_out"))
    use = _kept(visits, exclude) & (minutes > 0) & visits["provider"].notna() & visits["visit_type"].notna()
    rows = []
    for (provider, visit_type), group in minutes[use].groupby([visits["provider"][use], visits["visit_type"][use]]):
        if visit_type not in model_mean_min or len(group) < 2:
            continue
        stat = t_interval(group.to_numpy(), confidence=CONFIDENCE)
        factor = float(speed["speed_factor"].get(provider, 1.0))
        model = model_mean_min[visit_type] / factor
        weight = stat.n / (stat.n + prior_visits)
        rows.append({"provider": provider, "visit_type": visit_type, "n": stat.n, "mean_min": stat.mean,
                     "ci_low": stat.low, "ci_high": stat.high, "model_mean_min": model, "weight": weight,
                     "shrunk_mean_min": model + weight * (stat.mean - model),
                     "model_inside": bool(stat.low <= model <= stat.high)})  # fmt: skip
    columns = ["provider", "visit_type", "n", "mean_min", "ci_low", "ci_high", "model_mean_min", "weight",
               "shrunk_mean_min", "model_inside"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# -- room turnover ---------------------------------------------------------------------------------------------


def _gaps_to_next(
    uses: pd.DataFrame, by: str, start: str, ready: str, unplaced: pd.DataFrame, *, zero_ok: bool, max_gap_min: float
) -> pd.DataFrame:
    """Per ``by`` (a provider, a room) and date, the ``uses`` (with ``provider_out`` and ``_kept``) in ``start``
    order; for each after the first, the gap (minutes) from the previous one's ``provider_out`` to its ``start``.
    Columns: ``by``, date, gap_min, waiting (its ``ready`` at or before that ``provider_out``), used (waiting, both
    kept, above 0 (or 0 too with ``zero_ok``) and at most ``max_gap_min``, not on a day of ``unplaced``)."""
    uses = uses.sort_values([by, "date", start], kind="stable")
    previous = uses.groupby([by, "date"])[["provider_out", "_kept"]].shift()
    pairs = uses[previous["provider_out"].notna()]
    before = previous.loc[pairs.index]
    gap = pairs[start] - before["provider_out"]
    waiting = pairs[ready] <= before["provider_out"]
    positive = gap >= 0 if zero_ok else gap > 0
    used = waiting & pairs["_kept"] & before["_kept"].astype(bool) & positive & (gap <= max_gap_min)
    used &= ~_on_days_with(pairs, unplaced, by)
    return pd.DataFrame({by: pairs[by], "date": pairs["date"], "gap_min": gap, "waiting": waiting,
                         "used": used}).reset_index(drop=True)  # fmt: skip


def _on_days_with(pairs: pd.DataFrame, unplaced: pd.DataFrame, by: str) -> pd.Series:
    """Which pairs are on a (``by``, date) with a visit that could not be put in the sequence (a stamp missing): a
    gap there may span that visit, so it measures nothing."""
    days = pd.MultiIndex.from_frame(unplaced[[by, "date"]].dropna())
    return pd.Series(pd.MultiIndex.from_frame(pairs[[by, "date"]]).isin(days), index=pairs.index)


@dataclass(frozen=True, eq=False)
class RoomTurnover:
    """Gaps between one patient's provider visit ending and the next patient being roomed in the same exam room,
    where the next patient was waiting (checked in) before the room was left (see ``room_turnover``)."""

    gaps: pd.DataFrame
    """One row per successive pair of visits in a room: room, date, gap_min, waiting (the later patient was
    checked in by the time the earlier one's provider visit ended), used (waiting, kept and positive)."""
    fit: DurationFit | None
    """The fit of the used gaps (None with fewer than ``min_n``)."""

    @property
    def n(self) -> int:
        return int(self.gaps["used"].sum())


def room_turnover(
    visits: pd.DataFrame, exclude: pd.Series | None = None, *, max_gap_min: float = MAX_GAP_MIN, min_n: int = 30
) -> RoomTurnover:
    """The exam rooms' turnover (minutes) from the ``room`` column: per room and date, visits in ``roomed`` order;
    for each visit after the first, the gap from the previous visit's ``provider_out`` (when the room is left) to
    its own ``roomed``. Only gaps where the patient was already checked in when the room was left say anything
    about turnover (otherwise the room stood empty for want of a patient); those up to ``max_gap_min`` are fitted.
    A room's day with a visit roomed there but without its ``roomed`` stamp is left out (a gap could span that
    visit). Even so a gap can include a wait for the medical assistant, so the fit is an upper bound of turnover (on
    simulated days with a triangular(1, 2, 5) turnover, mean 2.7 minutes, it came out 0.3 minute long).
    ``exclude`` marks rows whose ``checked_in``, ``roomed`` or ``provider_out`` are in doubt (either row of a
    pair)."""
    has = visits["room"].notna() & visits["roomed"].notna() & visits["date"].notna() if "room" in visits else None
    if has is None or not has.any():
        empty = pd.DataFrame(columns=["room", "date", "gap_min", "waiting", "used"])
        return RoomTurnover(empty, None)
    kept = _kept(visits, exclude)
    uses = visits.loc[has, ["room", "date", "roomed", "provider_out", "checked_in"]].assign(_kept=kept[has])
    unplaced = visits[visits["room"].notna() & visits["roomed"].isna()]
    gaps = _gaps_to_next(uses, "room", "roomed", "checked_in", unplaced, zero_ok=False, max_gap_min=max_gap_min)
    values = gaps.loc[gaps["used"], "gap_min"].to_numpy()
    fitted = fit_duration(values) if len(values) >= max(min_n, 3) else None
    return RoomTurnover(gaps, fitted)


# -- charting between visits ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Charting:
    """The provider's time between leaving one patient and seeing the next who was already waiting (minutes): the
    charting (``documentation_min``) the engine adds after each visit (see ``charting``)."""

    gaps: pd.DataFrame
    """One row per successive pair of a provider's visits on a date: provider, date, gap_min, waiting (the later
    patient was ready when the earlier visit ended), used (waiting, kept, within ``max_gap_min``)."""
    fits: dict[str, DurationFit]
    """Per provider with at least ``min_n`` used gaps, and ``"all"`` pooled."""
    min_n: int

    def distribution(self, provider: str) -> Chosen | None:
        """The provider's own fit, else the pooled one (None without either)."""
        chosen = self.fits.get(provider) or self.fits.get("all")
        return chosen.distribution if chosen is not None else None


def _ready_for_provider(visits: pd.DataFrame) -> pd.Series:
    """When a patient was ready for the provider: rooming done; for a visit without rooming or check-in stamps (a
    video visit) the arrival; NaN otherwise (rooming begun but its end not stamped)."""
    no_front = visits["roomed"].isna() & visits["checked_in"].isna()
    return visits["rooming_done"].where(visits["rooming_done"].notna(), visits["arrived"].where(no_front))


def charting(
    visits: pd.DataFrame, exclude: pd.Series | None = None, *, max_gap_min: float = MAX_GAP_MIN, min_n: int = 30
) -> Charting:
    """Per provider and date, their visits in ``provider_in`` order; the gap from one visit's ``provider_out`` to
    the next's ``provider_in`` is time the provider spent elsewhere, charting mostly. It measures charting only when
    the next patient was ready (rooming done, or arrived for a video visit) by the time the visit ended, so the
    provider was not waiting for a patient; those gaps up to ``max_gap_min`` are used, and the positive ones fitted
    where they are most (a clinic whose stamps show no time between visits is left with its scenario's charting).
    A provider's day with a visit that has only one of its two provider stamps is left out: a gap there may span it.
    A gap also holds the walk to the next room, so the fit slightly overstates charting (on simulated days with
    charting lognormal mean 4 minutes it came out 4.0). ``exclude`` marks rows whose
    ``provider_in``, ``provider_out`` or readiness stamps are in doubt (either row of a pair)."""
    has = visits["provider_in"].notna() & visits["provider_out"].notna() & visits["provider"].notna()
    has &= visits["date"].notna()
    seen = visits.loc[has, ["provider", "date", "provider_in", "provider_out"]].assign(
        _ready=_ready_for_provider(visits.loc[has]), _kept=_kept(visits, exclude)[has]
    )
    one_stamp = visits["provider_in"].notna() != visits["provider_out"].notna()  # seen, but not in the sequence
    gaps = _gaps_to_next(seen, "provider", "provider_in", "_ready", visits[one_stamp], zero_ok=True,
                         max_gap_min=max_gap_min)  # fmt: skip
    fits: dict[str, DurationFit] = {}
    for provider, group in [*gaps[gaps["used"]].groupby("provider", sort=True), ("all", gaps[gaps["used"]])]:
        values = group["gap_min"].to_numpy()
        if len(values) >= max(min_n, 3) and (values > 0).mean() > 0.5:
            fits[str(provider)] = fit_duration(values[values > 0])
    return Charting(gaps, fits, min_n)


# -- lateness --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LatenessFit:
    """Arrival minus appointment time of the booked patients who came (minutes; negative: early).

    ``normal`` is the normal fit (the sample's mean and sd; not truncated: lateness can be negative) with its KS
    statistic and (approximate, conservative) p-value; ``empirical`` the sample as an ``Empirical`` (at most 200
    quantiles, 0.1 minute); ``distribution`` the one for ``patients.lateness_min``: the normal, unless the KS test
    rejects it at 1% on 200 values or more. ``quantiles`` are the sample's at ``LATENESS_QUANTILES``."""

    values: np.ndarray = field(repr=False)
    normal: Normal
    empirical: Empirical
    ks_stat: float
    ks_p: float
    mean_ci: tuple[float, float]
    quantiles: pd.Series
    n_excluded: int = 0
    resolution_min: float = 0.0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def rejected(self) -> bool:
        return self.n >= MIN_N_TO_REJECT and self.ks_p < KS_ALPHA

    @property
    def distribution(self) -> Normal | Empirical:
        return self.empirical if self.rejected else self.normal

    def table(self) -> pd.DataFrame:
        """One row: n, n_excluded, mean and sd, the mean's 95% interval, KS statistic and p-value, the choice, and
        the quantiles (columns q05 ... q95)."""
        row = {
            "n": self.n,
            "n_excluded": self.n_excluded,
            "mean_min": self.normal.mean,
            "sd_min": self.normal.sd,
            "mean_low": self.mean_ci[0],
            "mean_high": self.mean_ci[1],
            "ks_stat": self.ks_stat,
            "ks_p": self.ks_p,
            "distribution": self.distribution.kind,
        }
        row.update({f"q{round(p * 100):02d}": q for p, q in self.quantiles.items()})
        return pd.DataFrame([row])


def lateness(visits: pd.DataFrame, exclude: pd.Series | None = None) -> LatenessFit:
    """Fit the lateness of the booked visits that arrived (``arrived`` minus ``appointment_min``): a normal by its
    mean and sd, KS against it, and the empirical quantiles (see ``LatenessFit``). ValueError with fewer than 3."""
    late = (visits["arrived"] - visits["appointment_min"]).astype(float)
    booked = (visits["status"] == "arrived") & ~visits["walk_in"].astype(bool) & late.notna()
    kept = _kept(visits, exclude)
    raw = late[booked & kept].to_numpy()
    if len(raw) < 3:
        raise ValueError(f"a lateness fit needs at least 3 booked visits with arrival times ({len(raw)} given)")
    x, resolution = _as_sample(raw)
    mean, sd = float(np.mean(x)), float(np.std(x, ddof=1))
    normal = Normal.model_validate({"mean": mean, "sd": sd})
    ks = stats.kstest(x, stats.norm(mean, sd).cdf) if sd > 0 else None
    stat = t_interval(x, confidence=CONFIDENCE)
    return LatenessFit(
        values=x,
        normal=normal,
        empirical=empirical_of(x),
        ks_stat=float(ks.statistic) if ks else math.nan,
        ks_p=float(ks.pvalue) if ks else math.nan,
        mean_ci=(stat.low, stat.high),
        quantiles=pd.Series(np.quantile(x, LATENESS_QUANTILES), index=list(LATENESS_QUANTILES)),
        n_excluded=int((booked & ~kept).sum()),
        resolution_min=resolution,
    )


@dataclass(frozen=True)
class TurnAway:
    """The late policy the export shows (see ``turn_away``): booked patients turned away for arriving late."""

    limit_min: float | None
    """Patients later than this (minutes) were turned away; None when the export shows no consistent policy."""
    n_turned_away: int
    latest_seen_min: float
    """The latest arrival (minutes after the appointment) of a patient who was seen (NaN: none late)."""
    earliest_turned_away_min: float
    """The earliest arrival of a patient turned away (NaN: none)."""

    @property
    def comment(self) -> str:
        earliest, latest = self.earliest_turned_away_min, self.latest_seen_min
        return (f"{self.n_turned_away:,} arrived late and went unseen, the earliest {earliest:.1f} min late; the "
                f"latest seen {latest:.1f} min late")  # fmt: skip


def turn_away(visits: pd.DataFrame, exclude: pd.Series | None = None, *, min_n: int = 5) -> TurnAway:
    """The clinic's late policy: booked patients who arrived late and have no stamp after ``arrived`` were turned
    away; when there are at least ``min_n`` of them and every one was later than every patient seen (a provider
    stamp), the limit is the largest multiple of 5 minutes between the latest seen and the earliest turned away (or
    the latest seen, rounded up to a minute, without one). Otherwise no policy is read (``limit_min`` None)."""
    late = (visits["arrived"] - visits["appointment_min"]).astype(float)
    came = (visits["status"] == "arrived") & ~visits["walk_in"].astype(bool) & late.notna() & _kept(visits, exclude)
    after = [step for step in ("checked_in", "roomed", "rooming_done", "provider_in", "provider_out", "checked_out")
             if step in visits]  # fmt: skip
    away = came & visits[after].isna().all(axis=1) & (late > 0)
    seen = came & (visits["provider_in"].notna() | visits["provider_out"].notna())
    latest_seen = float(late[seen].max()) if seen.any() else math.nan
    earliest_away = float(late[away].min()) if away.any() else math.nan
    limit = None
    if away.sum() >= min_n and not earliest_away <= latest_seen:
        floor = max(latest_seen, 0.0) if not math.isnan(latest_seen) else 0.0
        fives = [m for m in np.arange(5 * math.ceil(floor / 5), earliest_away, 5) if floor <= m < earliest_away]
        limit = float(fives[-1]) if fives else float(math.ceil(floor))
    return TurnAway(limit, int(away.sum()), latest_seen, earliest_away)


# -- no-shows and cancellations --------------------------------------------------------------------------------


def _lead_band(days: pd.Series) -> pd.Series:
    band = pd.Series(pd.NA, index=days.index, dtype="object")
    for first, last, label in LEAD_TIME_BANDS:
        band[(days >= first) & (days <= last)] = label
    return band


def _attendance_row(kind: str, group: str, statuses: pd.Series) -> dict[str, Any]:
    counts = statuses.value_counts()
    arrived, no_show = int(counts.get("arrived", 0)), int(counts.get("no_show", 0))
    cancelled, late_cancel = int(counts.get("cancelled", 0)), int(counts.get("late_cancel", 0))
    booked = arrived + no_show + cancelled + late_cancel
    low, high = wilson_interval(no_show, arrived + no_show, confidence=CONFIDENCE)
    return {
        "by": kind,
        "group": group,
        "n": arrived + no_show,
        "n_arrived": arrived,
        "n_no_show": no_show,
        "p_no_show": no_show / (arrived + no_show) if arrived + no_show else math.nan,
        "p_no_show_low": low,
        "p_no_show_high": high,
        "n_booked": booked,
        "n_cancelled": cancelled,
        "n_late_cancel": late_cancel,
        "p_cancelled": cancelled / booked if booked else math.nan,
        "p_late_cancel": late_cancel / booked if booked else math.nan,
    }


def no_show_rates(visits: pd.DataFrame, exclude: pd.Series | None = None) -> pd.DataFrame:
    """No-show rates of booked appointments (walk-ins left out), a tidy table with a row for all of them
    (``by`` "all"), one per visit type (``by`` "visit_type") and, when the export has ``booked_on``, one per
    lead-time band (``by`` "lead_time": 0, 1-7, 8-30, 31+ days from booking to the visit; unknown or negative
    lead times are in no band).

    ``p_no_show`` = no-shows / (arrived + no-shows), with its Wilson 95% interval and n = arrived + no-shows (a
    visit type's ``p_no_show`` in a scenario); ``p_cancelled`` and ``p_late_cancel`` are shares of every booked
    appointment (arrived, no-show, cancelled, late-cancelled: ``n_booked``). Rows of an unknown status are not
    counted (``quality`` reports them)."""
    keep = _kept(visits, exclude) & ~visits["walk_in"].astype(bool) & visits["status"].notna()
    booked = visits[keep]
    rows = [_attendance_row("all", "all", booked["status"])]
    for visit_type, group in booked.groupby("visit_type", sort=True):
        rows.append(_attendance_row("visit_type", str(visit_type), group["status"]))
    if "booked_on" in booked and booked["booked_on"].notna().any():
        bands = _lead_band((booked["date"] - booked["booked_on"]).dt.days)
        for _, _, label in LEAD_TIME_BANDS:
            rows.append(_attendance_row("lead_time", label, booked.loc[bands == label, "status"]))
    return pd.DataFrame(rows)


# -- late session starts ---------------------------------------------------------------------------------------


def _sessions(visits: pd.DataFrame, kept: pd.Series) -> pd.DataFrame:
    """The booked appointments kept on the day (arrived or no-show), with ``session``: the provider-day's
    appointments split at gaps of ``SESSION_GAP_MIN`` or more between successive appointment times."""
    on_book = (
        kept
        & ~visits["walk_in"].astype(bool)
        & visits["status"].isin(["arrived", "no_show"])
        & visits["appointment_min"].notna()
        & visits["provider"].notna()
        & visits["date"].notna()
    )
    booked = visits.loc[on_book].sort_values(["provider", "date", "appointment_min"])
    gap = booked.groupby(["provider", "date"])["appointment_min"].diff()
    new = gap.isna() | (gap >= SESSION_GAP_MIN)
    return booked.assign(session=new.groupby([booked["provider"], booked["date"]]).cumsum().astype(int) - 1)


_COPY_COLUMNS = ("date", "provider", "appointment_min", "visit_type", "status", *STEPS)
"""The values two rows must share to be copies of one row (a duplicate, counted once)."""


def _ready_min(visits: pd.DataFrame) -> pd.Series:
    """When a visit's patient was ready for the provider: rooming done, else checked in, else arrived (NaN
    without any)."""
    ready = pd.Series(np.nan, index=visits.index)
    for step in ("arrived", "checked_in", "rooming_done"):
        if step in visits:
            ready = visits[step].where(visits[step].notna(), ready)
    return ready


def _busy_until(visits: pd.DataFrame, sessions: pd.DataFrame) -> np.ndarray:
    """Per session, the provider's last ``provider_out`` among their visits that day begun before the session's
    first ``provider_in`` (-inf when none): the running maximum of ``provider_out`` in ``provider_in`` order,
    looked up just before each session's first ``provider_in``."""
    seen = visits.loc[visits["provider_in"].notna() & visits["provider_out"].notna(),
                      ["provider", "date", "provider_in", "provider_out"]]  # fmt: skip
    seen = seen.sort_values("provider_in", kind="stable")
    seen["busy_until_min"] = seen.groupby(["provider", "date"])["provider_out"].cummax()
    lookup = sessions[["provider", "date", "first_provider_in_min"]].reset_index(names="_session")
    found = pd.merge_asof(
        lookup.sort_values("first_provider_in_min", kind="stable"),
        seen.drop(columns="provider_out"),
        left_on="first_provider_in_min",
        right_on="provider_in",
        by=["provider", "date"],
        allow_exact_matches=False,
    )
    return found.set_index("_session")["busy_until_min"].reindex(lookup["_session"]).fillna(-np.inf).to_numpy()


@dataclass(frozen=True, eq=False)
class LateStarts:
    """Late session starts (see ``late_starts``): ``sessions`` one row per provider session, ``table()`` per
    provider, ``distributions`` each provider's ``late_start_min`` for a scenario."""

    sessions: pd.DataFrame
    min_sessions: int

    def _used(self) -> pd.DataFrame:
        return self.sessions[self.sessions["provider_bound"]]

    def _row(self, delays: np.ndarray) -> dict[str, Any]:
        n = len(delays)
        on_time = int(np.sum(delays < ON_TIME_MIN))
        low, high = wilson_interval(on_time, n, confidence=CONFIDENCE)
        stat = t_interval(delays, confidence=CONFIDENCE)
        late = delays[delays >= ON_TIME_MIN]
        return {
            "n_used": n,
            "p_on_time": on_time / n if n else math.nan,
            "p_on_time_low": low,
            "p_on_time_high": high,
            "mean_delay_min": stat.mean,
            "mean_delay_low": stat.low,
            "mean_delay_high": stat.high,
            "mean_when_late_min": float(np.mean(late)) if len(late) else math.nan,
        }

    def table(self) -> pd.DataFrame:
        """Per provider and for all (provider "all"): n_sessions, n_used (provider-bound sessions), the share on
        time (under ``ON_TIME_MIN`` late) with its Wilson interval, the mean delay with its t-interval, the mean
        delay of the late ones (a zero-plus-exponential summary: share on time, mean when late), the upper-bound
        mean over every session (``mean_raw_delay_min``), and whether the provider's distribution is their own or
        the pooled one (fewer than ``min_sessions`` used)."""
        used = self._used()
        rows = []
        for provider, sessions in [*self.sessions.groupby("provider", sort=True), ("all", self.sessions)]:
            delays = used.loc[used.index.isin(sessions.index), "delay_min"].to_numpy()
            row: dict[str, Any] = {"provider": provider, "n_sessions": len(sessions), **self._row(delays)}
            row["mean_raw_delay_min"] = float(sessions["delay_min"].mean()) if len(sessions) else math.nan
            row["source"] = "pooled" if provider != "all" and len(delays) < self.min_sessions else "own"
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def distributions(self) -> dict[str, Fixed | Empirical]:
        """Per provider, ``late_start_min``: the delays of their provider-bound sessions (the pooled ones with
        fewer than ``min_sessions``) as an ``Empirical`` (0.1 minute, at most 200 values), or fixed 0 when every
        session started within ``ON_TIME_MIN`` or none could be used."""
        used = self._used()

        def of(delays: np.ndarray) -> Fixed | Empirical:
            if len(delays) == 0 or np.all(delays < ON_TIME_MIN):
                return Fixed(value=0)
            return empirical_of(delays)

        pooled = of(used["delay_min"].to_numpy())
        out: dict[str, Fixed | Empirical] = {}
        for provider in sorted(self.sessions["provider"].unique()):
            own = used.loc[used["provider"] == provider, "delay_min"].to_numpy()
            out[str(provider)] = of(own) if len(own) >= self.min_sessions else pooled
        return out


def late_starts(visits: pd.DataFrame, exclude: pd.Series | None = None, *, min_sessions: int = 20) -> LateStarts:
    """How late each provider starts a session: per provider-day, the appointments (arrived or no-show, kept on
    the book) split into sessions at gaps of ``SESSION_GAP_MIN`` or more; a session's delay is its first
    ``provider_in`` minus its first appointment time (0 if earlier).

    That raw delay also holds the first patient's own delays (a patient who arrives late or is roomed late is seen
    late by a provider who was there on time), so it overstates the provider's late start. The delays fitted are
    those of the *provider-bound* sessions only: where some patient of the session was ready (rooming done, else
    checked in, else arrived) at or before the session's first appointment time, and the provider's visits before
    the session (that day) had ended (``provider_out``) by then; there the provider alone made the session wait.
    When patients are ready does not depend on how late the provider is, so this choice of sessions does not bias
    the delays, it only uses fewer of them (``n_used`` against ``n_sessions``).

    A session with an arrived visit ``exclude`` marks is not used either: its first ``provider_in`` may be missing or
    wrong, and the next patient's would overstate the delay by a slot.

    ``sessions`` has per provider session: provider, date, session (0, 1, ...), first_appointment_min,
    first_provider_in_min, delay_min, first_ready_min, in_doubt, busy_until_min (the provider's last
    ``provider_out`` before the session), provider_bound. The scenario's ``late_start_min`` is the empirical
    distribution of the used delays (with its mass near 0: a zero-inflated delay is none of the parametric
    families, and a triangular or exponential would misstate the share of sessions started on time)."""
    kept = _kept(visits, exclude)
    booked = _sessions(visits, pd.Series(True, index=visits.index))
    booked = booked[~booked.duplicated(subset=[c for c in _COPY_COLUMNS if c in booked])]
    trusted = kept[booked.index]
    booked = booked.assign(
        _ready=_ready_min(booked).where(booked["provider_in"].notna() & trusted),
        _seen_at=booked["provider_in"].where(trusted),
        _doubt=(booked["status"] == "arrived") & ~trusted,
    )
    keys = ["provider", "date", "session"]
    grouped = booked.groupby(keys, sort=True)
    sessions = pd.DataFrame(
        {
            "first_appointment_min": grouped["appointment_min"].min(),
            "first_provider_in_min": grouped["_seen_at"].min(),
            "first_ready_min": grouped["_ready"].min(),
            "in_doubt": grouped["_doubt"].any(),
        }
    ).reset_index()
    sessions = sessions[sessions["first_provider_in_min"].notna()].reset_index(drop=True)
    sessions["delay_min"] = (sessions["first_provider_in_min"] - sessions["first_appointment_min"]).clip(lower=0)
    sessions["busy_until_min"] = _busy_until(visits.loc[kept], sessions)
    sessions["provider_bound"] = (
        (sessions["first_ready_min"] <= sessions["first_appointment_min"])
        & (sessions["busy_until_min"] <= sessions["first_appointment_min"])
        & ~sessions["in_doubt"]
    )
    return LateStarts(sessions, min_sessions)


# -- walk-ins --------------------------------------------------------------------------------------------------


def _clock(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


@dataclass(frozen=True, eq=False)
class WalkInRates:
    """Walk-ins per hour of the day per clinic day (see ``walk_in_rates``): ``table`` one row per hour, ``rates``
    the rate periods for a scenario's ``walk_ins[].rates``, ``visit_types`` the walk-ins' shares by visit type."""

    table: pd.DataFrame
    n_days: int
    n_walk_ins: int
    n_without_time: int
    visit_types: dict[str, float]

    @property
    def rates(self) -> list[dict[str, Any]]:
        """``[{"start": "08:00", "end": "09:00", "per_hour": 1.25}, ...]``."""
        return [
            {"start": row.start, "end": row.end, "per_hour": float(row.per_hour)}
            for row in self.table.itertuples(index=False)
        ]


def walk_in_rates(visits: pd.DataFrame, exclude: pd.Series | None = None) -> WalkInRates:
    """Walk-ins (rows without an appointment time) per hour of the day, per clinic day: their arrival times
    (``arrived``, else ``checked_in``) counted by hour, divided by the number of clinic days (the dates the export
    has any row for, walk-ins or not). Hours from the first to the last with a walk-in, zeros included; each with
    the count, per_hour and an exact Poisson 95% interval of the rate (Garwood's, from the chi-square
    distribution). Walk-ins without a time are counted apart (``n_without_time``)."""
    kept = _kept(visits, exclude)
    n_days = int(visits.loc[kept, "date"].dropna().nunique())
    walk_ins = visits[kept & visits["walk_in"].astype(bool)]
    arrived = walk_ins["arrived"] if "arrived" in walk_ins else pd.Series(np.nan, index=walk_ins.index)
    if "checked_in" in walk_ins:
        arrived = arrived.where(arrived.notna(), walk_ins["checked_in"])
    timed = arrived.dropna()
    shares = walk_ins["visit_type"].value_counts(normalize=True).sort_index()
    columns = ["start", "end", "count", "per_hour", "ci_low", "ci_high"]
    if timed.empty or n_days == 0:
        table = pd.DataFrame(columns=columns)
    else:
        hours = np.floor(timed.to_numpy() / 60).astype(int)
        span = np.arange(hours.min(), hours.max() + 1)
        counts = np.array([int(np.sum(hours == h)) for h in span])
        alpha = 1 - CONFIDENCE
        low = np.where(counts > 0, stats.chi2.ppf(alpha / 2, 2 * counts) / 2, 0.0)
        high = stats.chi2.ppf(1 - alpha / 2, 2 * counts + 2) / 2
        table = pd.DataFrame(
            {
                "start": [_clock(h * 60) for h in span],
                "end": [_clock((h + 1) * 60) for h in span],
                "count": counts,
                "per_hour": counts / n_days,
                "ci_low": low / n_days,
                "ci_high": high / n_days,
            }
        )
    return WalkInRates(
        table=table,
        n_days=n_days,
        n_walk_ins=len(walk_ins),
        n_without_time=int(arrived.isna().sum()),
        visit_types={str(k): float(v) for k, v in shares.items()},
    )
