"""The back-test: the clinic's observed days replayed through a scenario, observed KPIs against simulated bands.

Each observed day's appointments (who was booked with whom, when, for what, and whether they came) become that
day's booked list (``DayPlan.with_appointments``; a provider with no appointment that day is away), and the day
is simulated ``replications`` times with the scenario's durations, staff and walk-ins. The band of a KPI is the
range of its simulated values: with 39 replications the lowest and highest are a distribution-free 95%
prediction interval for one more day drawn from the model (order statistics: a new value falls between the
smallest and largest of 39 with probability 38/40). A model that is right leaves about 95% of observed days
inside; one that is wrong leaves them consistently above or below.

Observed KPIs are the simulated ones' definitions applied to the export's timestamps: provider wait from the
later of arrival and appointment to ``provider_in``; time in clinic from ``arrived`` to ``checked_out``; the
waiting-room wait from ``checked_in`` to ``roomed``; the last patient out (the last ``checked_out``); patients
seen (visits with a ``provider_in`` or a ``provider_out``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clinicsim.calibration.quality import Quality
from clinicsim.day_plans import DayPlans
from clinicsim.engine import simulate_day
from clinicsim.experiment import day_kpis
from clinicsim.scenario import Scenario
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.statistics import wilson_interval
from clinicsim.streams import independent_seed
from clinicsim.templates import Appointment

logger = logging.getLogger(__name__)

BACKTEST_KPIS = (
    "patients_seen",
    "provider_wait_mean_min",
    "lobby_wait_mean_min",
    "cycle_time_mean_min",
    "last_departure_min",
)
"""The KPIs compared day by day (each has an observed counterpart in the export)."""

DEFAULT_REPLICATIONS = 39
"""Replications per day: the lowest and highest of 39 make a 95% prediction interval."""


_OBSERVED = {
    "provider_wait_mean_min": "arrival_to_provider",
    "lobby_wait_mean_min": "room_wait",
    "cycle_time_mean_min": "cycle_time",
}
"""The interval of ``quality.INTERVALS`` whose problems leave a row out of each observed mean wait."""


def observed_kpis(visits: pd.DataFrame, quality: Quality | None = None) -> pd.DataFrame:
    """Per observed date, the back-test KPIs computed from the timestamps (NaN where a day has none of the
    timestamps a KPI needs). With ``quality``, a row is left out of a wait only for a problem touching that wait's
    timestamps (the last patient out: a problem touching ``checked_out``), and duplicates are counted once; a
    patient with either provider stamp counts as seen."""

    def kept(interval: str | None) -> pd.Series:
        if quality is None:
            return pd.Series(True, index=visits.index)
        out = ~quality.mask("duplicate")
        return out & ~quality.excluded(interval) if interval else out

    arrived = visits["status"] == "arrived"
    start = np.fmax(visits["arrived"], visits["appointment_min"].where(~visits["walk_in"]))
    waits = {
        "provider_wait_mean_min": visits["provider_in"] - start,
        "lobby_wait_mean_min": visits["roomed"] - visits["checked_in"],
        "cycle_time_mean_min": visits["checked_out"] - visits["arrived"],
    }
    seen = visits["provider_in"].notna() | visits["provider_out"].notna()  # one stamp missing: still seen
    columns = {
        "patients_seen": (seen & arrived & kept(None)).groupby(visits["date"]).sum().astype(float),
        **{kpi: value[arrived & kept(_OBSERVED[kpi])].groupby(visits["date"]).mean() for kpi, value in waits.items()},
        "last_departure_min": visits["checked_out"][arrived & kept("check_out_wait")].groupby(visits["date"]).max(),
    }
    return pd.DataFrame(columns)


def _session_of(scenario: Scenario, provider: str, weekday: str, time_min: float) -> tuple[int, float]:
    """The template session an appointment time falls in (the nearest if none) and the template's slot length."""
    template = scenario.templates[scenario.provider(provider).template_on(weekday) or ""]  # type: ignore[arg-type]
    distances = [0.0 if s.start <= time_min < s.end else min(abs(time_min - s.start), abs(time_min - s.end))
                 for s in template.sessions]  # fmt: skip
    return int(np.argmin(distances)), template.slot_min


def day_appointments(scenario: Scenario, day: pd.DataFrame, weekday: str) -> dict[str, list[Appointment]]:
    """An observed day's booked visits (arrived or no-show, not walk-ins) per provider, in time order, each with
    its observed coming (no-show probability 0 or 1)."""
    booked = day[(~day["walk_in"]) & day["status"].isin(["arrived", "no_show"]) & day["appointment_min"].notna()]
    booked = booked.sort_values(["appointment_min", "row"], kind="stable")
    out: dict[str, list[Appointment]] = {}
    for provider, time, visit_type, status in zip(
        booked["provider"], booked["appointment_min"], booked["visit_type"], booked["status"]
    ):
        session, slot = _session_of(scenario, provider, weekday, time)
        appointment = Appointment(float(time), visit_type, session, float(time), "regular", slot,
                                  0.0 if status == "arrived" else 1.0)  # fmt: skip
        out.setdefault(provider, []).append(appointment)
    return out


@dataclass
class Backtest:
    """Observed days against the model's prediction intervals."""

    days: pd.DataFrame
    """One row per date and KPI: observed, the simulated median, low and high (the band), and where the observed
    value lies (``inside``, ``above``, ``below``, or ``no data``)."""
    replications: int
    skipped: pd.DataFrame
    """Dates not replayed, with the reason."""

    @property
    def confidence(self) -> float:
        """Coverage of the band for a day drawn from the model: (R - 1) / (R + 1)."""
        return (self.replications - 1) / (self.replications + 1)

    def summary(self) -> pd.DataFrame:
        """Per KPI: days compared, the share inside the band with a Wilson 95% interval, the shares above and
        below, and a sentence."""
        rows = []
        for kpi, group in self.days[self.days["where"] != "no data"].groupby("kpi", sort=False):
            n = len(group)
            inside = int((group["where"] == "inside").sum())
            above, below = (group["where"] == "above").mean(), (group["where"] == "below").mean()
            low, high = wilson_interval(inside, n)
            rows.append({"kpi": kpi, "days": n, "inside_pct": 100 * inside / n, "inside_low_pct": 100 * low,
                         "inside_high_pct": 100 * high, "above_pct": 100 * above, "below_pct": 100 * below,
                         "verdict": self._verdict(kpi, inside / n, high, above, below)})  # fmt: skip
        return pd.DataFrame(rows).set_index("kpi") if rows else pd.DataFrame()

    def _verdict(self, kpi: str, inside: float, high: float, above: float, below: float) -> str:
        expected = self.confidence
        if high >= expected:
            return f"reproduced: {inside:.0%} of days inside the band (expected about {expected:.0%})"
        side = "above" if above > below else "below"
        share = max(above, below)
        return (f"missed: only {inside:.0%} of days inside the band (expected about {expected:.0%}); the observed "
                f"value is {side} the simulated band on {share:.0%} of days")  # fmt: skip


def backtest(
    scenario: Scenario,
    visits: pd.DataFrame,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = 20261126,
    quality: Quality | None = None,
) -> Backtest:
    """Replay every observed date of ``visits`` through ``scenario`` (see the module docstring); ``quality``
    leaves rows out of the observed waits its problems touch (``observed_kpis``)."""
    if replications < 2:
        raise ValueError("a back-test needs at least 2 replications per day")
    observed = observed_kpis(visits, quality)
    plans = DayPlans(scenario)
    working = set(scenario.working_weekdays())
    known = {p.name for p in scenario.providers}
    rows, skipped = [], []
    for date, day in visits.dropna(subset=["date"]).groupby("date"):
        weekday = WEEKDAYS[date.weekday()]
        if weekday not in working:
            skipped.append({"date": date, "reason": f"the scenario has no clinic on {weekday}"})
            continue
        appointments = day_appointments(scenario, day[day["provider"].isin(known)], weekday)
        scheduled = {p.name for p in scenario.on_weekday(weekday).working_providers()}
        unknown = sorted(set(appointments) - scheduled)
        if unknown:
            skipped.append({"date": date, "reason": f"no template on {weekday} for {', '.join(unknown)}"})
            continue
        plan = plans.plan(weekday, frozenset(scheduled - set(appointments)))
        if plan is None:
            skipped.append({"date": date, "reason": "no provider saw patients"})
            continue
        day_plan = plan.with_appointments(appointments)
        day_seed = independent_seed(seed, f"backtest {date.date()}")
        simulated = pd.DataFrame(
            [
                day_kpis(simulate_day(day_plan, seed=day_seed, replication=r), day_plan.scenario)
                for r in range(replications)
            ]
        )
        for kpi in BACKTEST_KPIS:
            values = simulated[kpi].dropna().to_numpy()
            value = observed[kpi].get(date, np.nan) if kpi in observed else np.nan
            low, high = (values.min(), values.max()) if len(values) else (np.nan, np.nan)
            where = ("no data" if np.isnan(value) or not len(values) else
                     "above" if value > high else "below" if value < low else "inside")  # fmt: skip
            rows.append({"date": date, "kpi": kpi, "observed": value, "median": np.median(values) if len(values)
                         else np.nan, "low": low, "high": high, "where": where})  # fmt: skip
    logger.info("back-tested %d days (%d skipped), %d replications each", len(rows) // len(BACKTEST_KPIS) if rows
                else 0, len(skipped), replications)  # fmt: skip
    return Backtest(days=pd.DataFrame(rows), replications=replications,
                    skipped=pd.DataFrame(skipped, columns=["date", "reason"]))  # fmt: skip
