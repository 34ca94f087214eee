"""Figures of a duration fit: does the chosen distribution look like the clinic's own durations?

Two panels. On the left, the histogram of the sample (as a density) with the density of every candidate drawn over
it: the chosen one bold, the others thin, the empirical distribution as a step line. On the right, the QQ plot of
the chosen one (``DurationFit.qq``): the sample's quantiles against the distribution's; points on the diagonal
are a good fit, a bend at the top right says the sample's long visits are longer (above) or shorter (below) than
the distribution gives.

The parametric densities are the families' own scipy distributions (``fit.FAMILIES``), from the parameters each
candidate was fitted with; a candidate of another kind is drawn from its quantile function (the density is the
slope of p against ``from_uniform(p)``).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from clinicsim.calibration.fit import FAMILIES, Candidate, DurationFit
from clinicsim.distributions import Empirical

MIN_BINS, MAX_BINS = 15, 40
"""Fewest and most bins of the histogram (numpy's "auto" choice between them)."""
TAIL_P = 0.999
"""The density axis runs to the sample's maximum or the chosen distribution's quantile at this probability,
whichever is larger (so a heavy tail the sample lacks still shows)."""

_CHOSEN_COLOUR = "#c53030"
_OTHER_COLOURS = ("#2b6cb0", "#2f855a", "#805ad5", "#dd6b20")


def _density(candidate: Candidate, x: np.ndarray) -> np.ndarray:
    """The candidate's density at ``x`` (minutes): its family's scipy density, else the slope of its quantile
    function by finite differences."""
    family = next((f for f in FAMILIES if f.name == candidate.name), None)
    if family is not None and len(candidate.estimates) == 2:
        first, second = candidate.estimates.values()
        return np.asarray(family.scipy(first, second).pdf(x), dtype=float)
    assert candidate.distribution is not None
    p = np.linspace(0.0005, 0.9995, 2_000)
    q = np.asarray(candidate.distribution.from_uniform(p), dtype=float)
    slope = np.diff(p) / np.maximum(np.diff(q), 1e-9)
    return np.interp(x, (q[1:] + q[:-1]) / 2, slope, left=0.0, right=0.0)


def _empirical_steps(distribution: Empirical, edges: np.ndarray) -> np.ndarray:
    """The empirical distribution's probability per bin of ``edges``, as a density."""
    weights = np.ones(len(distribution.values)) if distribution.weights is None else np.asarray(distribution.weights)
    counts, _ = np.histogram(distribution.values, bins=edges, weights=weights / weights.sum())
    return counts / np.diff(edges)


def _label(candidate: Candidate, fit: DurationFit, best_aic: float) -> str:
    chosen = " (chosen)" if candidate.name == fit.chosen else ""
    if not candidate.parametric:
        return f"empirical{chosen}"
    aic = f"ΔAIC {candidate.aic - best_aic:.1f}" if math.isfinite(candidate.aic) else "no AIC"
    ks = f"KS p {candidate.ks_p:.2g}" if math.isfinite(candidate.ks_p) else "no KS"
    return f"{candidate.name}{chosen}: {aic}, {ks}"


def _histogram_panel(ax: Axes, fit: DurationFit) -> None:
    values = fit.values
    top = max(float(values.max()), float(np.asarray(fit.distribution.from_uniform(np.array([TAIL_P])))[0]))
    bins = len(np.histogram_bin_edges(values, bins="auto", range=(0.0, float(values.max())))) - 1
    edges = np.linspace(0.0, float(values.max()), min(max(bins, MIN_BINS), MAX_BINS) + 1)
    ax.hist(values, bins=list(edges), density=True, color="#e2e8f0", edgecolor="#a0aec0", linewidth=0.5,
            label=f"sample (n = {fit.n:,})")  # fmt: skip
    x = np.linspace(max(top, 1e-6) / 1_000, top, 400)
    best = min((c.aic for c in fit.candidates if math.isfinite(c.aic)), default=math.nan)
    others = iter(_OTHER_COLOURS)
    for candidate in fit.candidates:
        if candidate.distribution is None:
            continue
        chosen = candidate.name == fit.chosen
        colour = _CHOSEN_COLOUR if chosen else next(others, "#718096")
        width, label = 2.2 if chosen else 1.0, _label(candidate, fit, best)
        if isinstance(candidate.distribution, Empirical):
            steps = _empirical_steps(candidate.distribution, edges)
            ax.stairs(steps, edges, color=colour, linewidth=width, linestyle=":", label=label)
        else:
            style = "-" if chosen else "--"
            ax.plot(x, _density(candidate, x), color=colour, linewidth=width, linestyle=style, label=label)
    ax.set_xlim(0, top)
    ax.set_xlabel("Duration (min)")
    ax.set_ylabel("Density (per min)")
    ax.legend(fontsize=7, frameon=False)


def _qq_panel(ax: Axes, fit: DurationFit) -> None:
    qq = fit.qq()
    ax.plot(qq["theoretical_min"], qq["sample_min"], "o", color=_CHOSEN_COLOUR, markersize=3, alpha=0.7)
    low = float(min(qq["theoretical_min"].min(), qq["sample_min"].min()))
    high = float(max(qq["theoretical_min"].max(), qq["sample_min"].max()))
    ax.plot([low, high], [low, high], color="#4a5568", linewidth=0.8, label="sample = fit")
    ax.set_xlabel(f"Quantile of the {fit.chosen} fit (min)")
    ax.set_ylabel("Quantile of the sample (min)")
    ax.set_title(f"QQ plot: {fit.chosen}", fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="upper left")


def plot_duration_fit(fit: DurationFit, title: str) -> Figure:
    """The fit's histogram with every candidate's density, and the QQ plot of the chosen one (see the module
    docstring); ``title`` names the sample ("Provider visit: established")."""
    figure, (histogram, qq) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.6, 1]})
    _histogram_panel(histogram, fit)
    _qq_panel(qq, fit)
    rounded = "; whole minutes read as rounded" if fit.resolution_min else ""
    histogram.set_title(f"{fit.n:,} durations, mean {fit.mean_min:.1f} min{rounded}", fontsize=9)
    figure.suptitle(f"{title}: {fit.chosen} chosen ({fit.reason})", fontsize=10)
    figure.tight_layout()
    return figure
