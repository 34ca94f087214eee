"""The answer first: what a plan makes better, what it makes worse, what it costs, and what is only noise.

A comparison's differences table says a lot; an administrator asks one thing first: is the plan worth it? The
verdict sorts the KPIs a manager decides on into better, worse and "not distinguishable from noise" (the paired 95%
interval of the difference contains zero), states the margin per day, per month and per year (a year of the
scenario's ``finance.working_days_per_year`` clinic days, or the ``working_days`` given), and ends in one sentence
that names the trade-off. Every number is a mean over the simulated days with its interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from clinicsim.comparison import Comparison
from clinicsim.formatting import format_difference, unit_label
from clinicsim.metrics import lower_is_better

VERDICT_KPIS = {
    "provider_wait_mean_min": "provider wait",
    "pct_seen_within_15_min": "patients seen within 15 minutes",
    "cycle_time_mean_min": "time in clinic",
    "patients_seen": "patients seen",
    "left_without_being_seen": "patients leaving unseen",
    "provider_overtime_mean_min": "provider overtime",
    "staff_overtime_mean_min": "staff overtime",
    "margin": "margin",
}
"""KPIs a verdict weighs, in the order it names them, and how it names them."""

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Effect:
    """One KPI's difference from the baseline (plan minus baseline), with its interval."""

    kpi: str
    name: str
    unit: str
    difference: float
    ci_low: float
    ci_high: float
    clear: bool
    """The interval excludes zero."""

    @property
    def better(self) -> bool:
        return (self.difference < 0) == lower_is_better(self.kpi)

    def describe(self, currency: str = "") -> str:
        """E.g. "provider wait -6.1 min (95% CI -7.4 to -4.8)"."""
        unit = unit_label(self.unit, currency)
        size = f"{format_difference(self.difference, self.unit)} {unit}".strip()
        interval = f"{format_difference(self.ci_low, self.unit)} to {format_difference(self.ci_high, self.unit)}"
        return f"{self.name} {size} (95% CI {interval})"


@dataclass(frozen=True)
class Money:
    """The margin's difference per clinic day, and what it comes to over a month and a year of clinic days."""

    per_day: Effect
    currency: str
    working_days_per_year: float

    def per(self, days: float) -> tuple[float, float, float]:
        """The expected amount over ``days`` clinic days, with its interval: the day's mean and interval times
        ``days`` (an interval for the expected total, not a range for one particular year)."""
        d = self.per_day
        return d.difference * days, d.ci_low * days, d.ci_high * days

    def sentence(self) -> str:
        """E.g. "Margin -864 USD a day (95% CI -1,020 to -708): -18,000 USD a month, -216,000 USD a year (250 clinic
        days)." """
        d, c = self.per_day, self.currency
        month = self.per(self.working_days_per_year / MONTHS_PER_YEAR)[0]
        year, year_low, year_high = self.per(self.working_days_per_year)
        days = f"{self.working_days_per_year:g} clinic days"
        noise = "" if d.clear else "; not distinguishable from no change"
        return (
            f"Margin {d.difference:+,.0f} {c} a day (95% CI {d.ci_low:+,.0f} to {d.ci_high:+,.0f}): "
            f"{_round(month):+,.0f} {c} a month, {_round(year):+,.0f} {c} a year over {days} (95% CI "
            f"{_round(year_low):+,.0f} to {_round(year_high):+,.0f}){noise}."
        )


def _round(amount: float) -> float:
    """A month's or year's amount to the nearest hundred: the days' interval does not support more digits."""
    return round(amount, -2)


@dataclass(frozen=True)
class Verdict:
    """One plan against the baseline, sorted for a decision."""

    plan: str
    baseline: str
    days: int
    effects: tuple[Effect, ...]
    money: Money | None

    @property
    def better(self) -> list[Effect]:
        return [e for e in self.effects if e.clear and e.better]

    @property
    def worse(self) -> list[Effect]:
        return [e for e in self.effects if e.clear and not e.better]

    @property
    def noise(self) -> list[Effect]:
        return [e for e in self.effects if not e.clear]

    def headline(self) -> str:
        """The trade-off in one sentence."""
        better, worse = _names(self.better), _names(self.worse)
        if better and worse:
            return f"{self.plan} is a trade-off against {self.baseline}: better {better}, worse {worse}."
        if better:
            return f"{self.plan} is better than {self.baseline} {better}, and clearly worse on nothing measured."
        if worse:
            return f"{self.plan} is worse than {self.baseline} {worse}, and clearly better on nothing measured."
        return (
            f"{self.plan} and {self.baseline} cannot be told apart over {self.days} simulated days: no difference "
            "is distinguishable from noise."
        )

    def lines(self, currency: str = "") -> list[str]:
        """The verdict as lines of text: headline, money, then better, worse and noise with their numbers."""
        money = [] if self.money is None else [self.money.sentence()]
        return [self.headline(), *money, *self.details(currency)]

    def details(self, currency: str = "") -> list[str]:
        """What is better, worse and noise, one line each, with numbers (the margin is in the money line)."""
        out = []
        for title, effects in (
            ("Better", self.better),
            ("Worse", self.worse),
            ("Not distinguishable from noise", self.noise),
        ):
            shown = [e for e in effects if e.kpi != "margin" or self.money is None]
            if shown:
                out.append(f"{title}: " + "; ".join(e.describe(currency) for e in shown) + ".")
        return out


def _names(effects: list[Effect]) -> str:
    """ "on provider wait, overtime and margin" (empty for none)."""
    names = [e.name for e in effects]
    if not names:
        return ""
    return "on " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def effect(kpi: str, row: pd.Series, name: str) -> Effect:
    """The Effect of ``kpi`` (called ``name`` in sentences) from its row of ``Comparison.differences()``."""
    return Effect(
        kpi=kpi,
        name=name,
        unit=row["unit"],
        difference=float(row["difference"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        clear=bool(row["excludes_zero"]),
    )


def verdicts(comparison: Comparison, *, working_days_per_year: float | None = None) -> list[Verdict]:
    """Every plan's verdict against the baseline; money when the baseline has finance settings (a year is
    ``working_days_per_year`` clinic days, by default the baseline scenario's)."""
    if len(comparison.results) < 2:
        return []
    table = comparison.differences()
    finance = comparison.results[comparison.baseline].scenario.finance
    out = []
    for plan in [s for s in comparison.scenarios if s != comparison.baseline]:
        effects = tuple(
            effect(kpi, table.loc[(plan, kpi)], VERDICT_KPIS[kpi])
            for kpi in VERDICT_KPIS
            if (plan, kpi) in table.index and not identical(table.loc[(plan, kpi)])
        )
        margin = next((e for e in effects if e.kpi == "margin"), None)
        money = None
        if finance is not None and margin is not None:
            days = working_days_per_year or finance.working_days_per_year
            money = Money(per_day=margin, currency=finance.currency, working_days_per_year=days)
        out.append(Verdict(plan, comparison.baseline, comparison.replications, effects, money))
    return out


def identical(row: pd.Series) -> bool:
    """The KPI did not move on any simulated day (or cannot be measured): nothing to weigh."""
    return bool(row["n"] == 0 or (row["difference"] == 0 and row["half_width"] == 0))
