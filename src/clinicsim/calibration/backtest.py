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

Two comparisons are measured on both sides from the stamps an export has, because the KPI the engine reports needs
more than an export holds:

- provider overtime (``OVERTIME_KPI``): per provider working that day, the minutes past the end of each template
  session until the provider's last visit out (``provider_out``) among the visits begun before the next session
  starts (after the last session: all of them), up to that next start, so a morning running into lunch counts
  as the engine counts it; 0 for a provider who finishes in time; mean over the providers working that day (those
  with an appointment). A visit without a ``provider_out`` counts to its ``provider_in`` (a lower bound: the
  provider was with the patient then). The engine's ``provider_overtime_mean_min`` is on-duty time from the duty
  record, which also holds the documentation after the last visit and any waiting for a late patient: about 6
  minutes more on the family-medicine days, which an export cannot show. So the simulated side here is the same
  visit-stamp measure applied to each replication's provider visits, not that KPI;
- the census by clock hour (``census_HH``, e.g. ``census_08`` for 08:00-09:00): the time-average number of patients
  in the clinic during the hour (minutes present in the hour over 60), a patient present from ``arrived`` to
  ``checked_out``; every clock hour the clinic is open in (its opening to its closing time), one row per date and
  hour. Simulated: each replication's patients from arrival to the end of check-out (the export's two stamps; so
  patients who leave unseen, who have no ``checked_out``, count on neither side, unlike ``timeseries.census``'s
  "clinic"). Observed: the visits with both stamps (without a problem touching either, with ``quality``) of the
  providers the scenario has; a visit whose stamp is missing or left out is missing from the observed census, which
  therefore runs low by about that share of visits.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clinicsim.calibration.quality import Quality
from clinicsim.day_plans import DayPlans
from clinicsim.engine import simulate_day
from clinicsim.eventlog import EventLog, codes_of
from clinicsim.experiment import day_kpis
from clinicsim.metrics import find_metric, first_by_patient, first_provider_step
from clinicsim.plan import DayPlan
from clinicsim.scenario import Scenario
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.statistics import wilson_interval
from clinicsim.streams import independent_seed
from clinicsim.templates import Appointment
from clinicsim.timeseries import overlap_by_hour

logger = logging.getLogger(__name__)

OVERTIME_KPI = "provider_overtime_by_visits_mean_min"
"""Provider overtime as an export shows it, from the provider-visit stamps (see the module docstring)."""

BACKTEST_KPIS = (
    "patients_seen",
    "provider_wait_mean_min",
    "lobby_wait_mean_min",
    "cycle_time_mean_min",
    "last_departure_min",
    OVERTIME_KPI,
)
"""The KPIs compared day by day (each has an observed counterpart in the export); the census by hour follows
them in ``Backtest.days`` as ``census_HH`` rows."""

CENSUS_PREFIX = "census_"
"""``census_08``: patients in the clinic from 08:00 to 09:00, time-averaged."""

_LABELS = {OVERTIME_KPI: ("Provider overtime from visits, mean", "min")}

DEFAULT_REPLICATIONS = 39
"""Replications per day: the lowest and highest of 39 make a 95% prediction interval."""


_OBSERVED = {
    "provider_wait_mean_min": "arrival_to_provider",
    "lobby_wait_mean_min": "room_wait",
    "cycle_time_mean_min": "cycle_time",
}
"""The interval of ``quality.INTERVALS`` whose problems leave a row out of each observed mean wait."""


def census_kpi(hour: int) -> str:
    """The name of the census of the clock hour starting at ``hour`` (``census_08``)."""
    return f"{CENSUS_PREFIX}{hour:02d}"


def census_hour(kpi: str) -> int | None:
    """The clock hour a census KPI counts (8 for ``census_08``); None for any other KPI."""
    rest = kpi.removeprefix(CENSUS_PREFIX)
    return int(rest) if rest != kpi and rest.isdigit() else None


def kpi_label(kpi: str) -> str:
    """A back-tested KPI in words: the registry's label, or the back-test's own (census hours, overtime)."""
    hour = census_hour(kpi)
    if hour is not None:
        return f"Patients in the clinic {hour:02d}:00-{hour + 1:02d}:00"
    metric = find_metric(kpi)
    return _LABELS[kpi][0] if kpi in _LABELS else metric.label if metric is not None else kpi


def kpi_unit(kpi: str) -> str:
    """A back-tested KPI's unit ("" when unknown)."""
    if census_hour(kpi) is not None:
        return "patients"
    metric = find_metric(kpi)
    return _LABELS[kpi][1] if kpi in _LABELS else metric.unit if metric is not None else ""


def open_hours(scenario: Scenario) -> list[int]:
    """The clock hours the clinic is open in, some or all of the hour: from its opening to its closing time."""
    clinic = scenario.clinic
    return list(range(math.floor(clinic.opens / 60), math.ceil(clinic.closes / 60)))


def _kept(visits: pd.DataFrame, quality: Quality | None, columns: tuple[str, str] | str | None) -> np.ndarray:
    """The rows of ``visits`` without a duplicate and without a problem touching ``columns`` (an interval of
    ``quality.INTERVALS`` or a pair of columns; None: duplicates only); all of them without ``quality``."""
    if quality is None:
        return np.ones(len(visits), dtype=bool)
    out = ~quality.mask("duplicate")
    if columns is not None:
        out &= ~quality.excluded(columns)
    return out.reindex(visits.index, fill_value=False).to_numpy(dtype=bool)


def observed_kpis(visits: pd.DataFrame, quality: Quality | None = None) -> pd.DataFrame:
    """Per observed date, the back-test KPIs computed from the timestamps (NaN where a day has none of the
    timestamps a KPI needs). With ``quality``, a row is left out of a wait only for a problem touching that wait's
    timestamps (the last patient out: a problem touching ``checked_out``), and duplicates are counted once; a
    patient with either provider stamp counts as seen."""

    def kept(interval: str | None) -> pd.Series:
        return pd.Series(_kept(visits, quality, interval), index=visits.index)

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


def _stamp(visits: pd.DataFrame, quality: Quality | None, column: str) -> np.ndarray:
    """``column``'s times where present and no problem touches them (NaN elsewhere; every present one without
    ``quality``)."""
    values = visits[column].to_numpy(dtype=float) if column in visits else np.full(len(visits), np.nan)
    return np.where(_kept(visits, quality, (column, column)), values, np.nan)


def _stays(visits: pd.DataFrame, quality: Quality | None) -> tuple[np.ndarray, np.ndarray]:
    """Each visit's time in the clinic (minutes): ``arrived`` to ``checked_out``. A visit seen in person (a
    front-desk or rooming stamp and a provider stamp) whose arrival or check-out is missing or in doubt is in the
    clinic from its first trusted stamp to its last instead (a few minutes short, not the whole visit left out);
    NaN where neither end can be told."""
    start, end = _stamp(visits, quality, "arrived"), _stamp(visits, quality, "checked_out")
    in_person = visits[["checked_in", "roomed"]].notna().any(axis=1) & visits[
        ["provider_in", "provider_out"]
    ].notna().any(axis=1)
    later = np.column_stack([_stamp(visits, quality, c) for c in ("checked_in", "roomed", "rooming_done",
                                                                     "provider_in", "provider_out")])  # fmt: skip
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN, as wanted
        first, last = np.nanmin(later, axis=1), np.nanmax(later, axis=1)
    fill = in_person.to_numpy(dtype=bool)
    start = np.where(np.isnan(start) & fill, first, start)
    end = np.where(np.isnan(end) & fill, last, end)
    return start, end


def observed_census(visits: pd.DataFrame, quality: Quality | None = None) -> pd.DataFrame:
    """Per observed date (rows) and clock hour 0-23 (columns): the time-average number of patients in the clinic
    during the hour, each arrived visit from ``arrived`` to ``checked_out`` (``_stays``: a visit seen in person
    with one of them missing or in doubt from its first to its last trusted stamp). With ``quality``, duplicates
    are left out. Dates without such a visit are not in the table."""
    start, end = _stays(visits, quality)
    usable = (
        (visits["status"] == "arrived").to_numpy(dtype=bool)
        & ~np.isnan(start)
        & ~np.isnan(end)
        & (end >= start)
        & visits["date"].notna().to_numpy(dtype=bool)
        & _kept(visits, quality, None)
    )
    hours = np.arange(24)
    present = overlap_by_hour(start[usable], end[usable], hours) / 60
    return pd.DataFrame(present, index=visits["date"][usable], columns=hours).groupby(level=0).sum()


def simulated_census(logs: Sequence[EventLog], hours: Sequence[int]) -> np.ndarray:
    """Per replication (rows) and clock hour of ``hours`` (columns): the time-average number of patients in the
    clinic during the hour, a patient present from arrival to the end of check-out (the export's ``arrived`` and
    ``checked_out``); patients without a check-out (unseen, video visits) are not counted."""
    hour_array = np.asarray(hours, dtype=float)
    out = np.zeros((len(logs), len(hour_array)))
    for r, log in enumerate(logs):
        start, end = log.patients["arrival_min"], first_by_patient(log, "check_out", "end_min")
        stay = np.isfinite(start) & np.isfinite(end)
        out[r] = overlap_by_hour(start[stay], end[stay], hour_array).sum(axis=0) / 60
    return out


@dataclass(frozen=True)
class SessionBounds:
    """The working providers' sessions as arrays, for ``overtime_by_visits``: element [k, p] is the end of the
    k-th session of provider p and the start of the one after it (infinite after the last); NaN where p has fewer
    sessions."""

    index: dict[str, int]
    """Position of each working provider by name."""
    ends: np.ndarray
    next_starts: np.ndarray

    @classmethod
    def of(cls, plan: DayPlan) -> SessionBounds:
        """The sessions of the providers working in ``plan``."""
        depth = max((len(p.sessions) for p in plan.providers), default=0)
        ends = np.full((depth, len(plan.providers)), np.nan)
        next_starts = ends.copy()
        for p, day in enumerate(plan.providers):
            sessions = sorted(day.sessions, key=lambda s: s.start)
            for k, session in enumerate(sessions):
                ends[k, p] = session.end
                next_starts[k, p] = sessions[k + 1].start if k + 1 < len(sessions) else math.inf
        return cls({p.name: i for i, p in enumerate(plan.providers)}, ends, next_starts)


def overtime_by_visits(bounds: SessionBounds, provider: np.ndarray, begin: np.ndarray, end: np.ndarray) -> float:
    """Provider overtime from visit times (see the module docstring): per provider of ``bounds``, the minutes past
    each session's end up to the last visit's ``end`` among the visits it began (``begin``) before the next
    session, at most to that session's start; mean over the providers. ``provider`` is each visit's provider's
    position in ``bounds.index`` (-1: not one of them); visits without an ``end`` do not count. NaN for no
    provider."""
    n = len(bounds.index)
    if n == 0:
        return math.nan
    ours = (provider >= 0) & np.isfinite(end)
    provider, begin, end = provider[ours], np.where(np.isnan(begin[ours]), end[ours], begin[ours]), end[ours]
    total = np.zeros(n)
    for k in range(len(bounds.ends)):
        ends, next_starts = bounds.ends[k], bounds.next_starts[k]
        mine = begin < next_starts[provider]  # NaN (no k-th session): False
        last = np.full(n, -math.inf)
        np.maximum.at(last, provider[mine], end[mine])
        total += np.nan_to_num(np.clip(last, ends, next_starts) - ends)  # no k-th session: NaN, so 0
    return float(total.mean())


def observed_overtime(day: pd.DataFrame, bounds: SessionBounds, quality: Quality | None = None) -> float:
    """Provider overtime from one observed day's visit stamps (``overtime_by_visits``): each arrived visit of a
    working provider counts to its ``provider_out``, or without one to its ``provider_in``; with ``quality``, a
    stamp with a problem touching it (or a duplicate row) is as good as missing. NaN when no visit of the day has
    a usable stamp."""
    arrived = (day["status"] == "arrived").to_numpy(dtype=bool)
    stamps = {}
    for column in ("provider_in", "provider_out"):
        good = arrived & _kept(day, quality, (column, column))
        stamps[column] = np.where(good, day[column].to_numpy(dtype=float), np.nan)
    end = np.where(np.isnan(stamps["provider_out"]), stamps["provider_in"], stamps["provider_out"])
    if not np.isfinite(end).any():
        return math.nan
    provider = codes_of(day["provider"].to_numpy(dtype=object), bounds.index)
    return overtime_by_visits(bounds, provider, stamps["provider_in"], end)


def simulated_overtime(log: EventLog, bounds: SessionBounds) -> float:
    """Provider overtime from one replication's provider visits (``overtime_by_visits``), each visit counted for
    the provider an export names: the one booked, or for a walk-in the one who saw them."""
    begin, end = first_provider_step(log)
    patients = log.patients
    named = np.where(patients["source"] == "booked", patients["booked_with"], patients["provider"])
    return overtime_by_visits(bounds, codes_of(named, bounds.index), begin, end)


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
    value lies (``inside``, ``above``, ``below``, or ``no data``). Per date, the KPIs of ``BACKTEST_KPIS`` and then
    the census of each clock hour the clinic is open (``census_HH``)."""
    replications: int
    skipped: pd.DataFrame
    """Dates not replayed, with the reason."""

    @property
    def confidence(self) -> float:
        """Coverage of the band for a day drawn from the model: (R - 1) / (R + 1)."""
        return (self.replications - 1) / (self.replications + 1)

    def summary(self) -> pd.DataFrame:
        """Per KPI: days compared, the share inside the band with a Wilson 95% interval, the shares above and
        below, and a sentence. The KPIs of ``BACKTEST_KPIS`` come first, then the census hours in time order, then
        any other."""
        rows = []
        compared = self.days[self.days["where"] != "no data"] if len(self.days) else self.days
        groups = dict(list(compared.groupby("kpi", sort=False))) if len(compared) else {}
        for kpi in sorted(groups, key=_summary_order):
            group = groups[kpi]
            n = len(group)
            inside = int((group["where"] == "inside").sum())
            above, below = (group["where"] == "above").mean(), (group["where"] == "below").mean()
            low, high = wilson_interval(inside, n)
            rows.append({"kpi": kpi, "days": n, "inside_pct": 100 * inside / n, "inside_low_pct": 100 * low,
                         "inside_high_pct": 100 * high, "above_pct": 100 * above, "below_pct": 100 * below,
                         "verdict": self._verdict(kpi, inside / n, high, above, below)})  # fmt: skip
        return pd.DataFrame(rows).set_index("kpi") if rows else pd.DataFrame()

    def census_by_hour(self) -> pd.DataFrame:
        """Per clock hour of the census (index ``hour``, in time order): days compared, the observed census's mean
        over them, the means over them of each day's simulated low, median and high, and the share of days inside
        (%). Empty without census rows."""
        columns = ["days", "observed", "low", "median", "high", "inside_pct"]
        days = self.days
        if not len(days):
            return pd.DataFrame(columns=columns, index=pd.Index([], name="hour", dtype=int))
        hours = days["kpi"].map(census_hour)
        rows = days[hours.notna() & (days["where"] != "no data")]
        table = rows.groupby(hours[rows.index].astype(int).rename("hour")).agg(
            days=("where", "size"),
            observed=("observed", "mean"),
            low=("low", "mean"),
            median=("median", "mean"),
            high=("high", "mean"),
            inside_pct=("where", lambda where: 100 * (where == "inside").mean()),
        )
        return table[columns].sort_index()

    def _verdict(self, kpi: str, inside: float, high: float, above: float, below: float) -> str:
        expected = self.confidence
        if high >= expected:
            return f"reproduced: {inside:.0%} of days inside the band (expected about {expected:.0%})"
        side = "above" if above > below else "below"
        share = max(above, below)
        return (f"missed: only {inside:.0%} of days inside the band (expected about {expected:.0%}); the observed "
                f"value is {side} the simulated band on {share:.0%} of days")  # fmt: skip


def _summary_order(kpi: str) -> tuple[int, int]:
    """The day KPIs in ``BACKTEST_KPIS`` order, then the census hours in time order, then the rest."""
    hour = census_hour(kpi)
    if kpi in BACKTEST_KPIS:
        return (0, BACKTEST_KPIS.index(kpi))
    return (1, hour) if hour is not None else (2, 0)


def _band(date: pd.Timestamp, kpi: str, value: float, simulated: np.ndarray) -> dict:
    """A row of ``Backtest.days``: the observed value against the range of the simulated ones (NaN left out)."""
    values = simulated[~np.isnan(simulated)]
    low, high = (values.min(), values.max()) if len(values) else (np.nan, np.nan)
    where = ("no data" if np.isnan(value) or not len(values) else
             "above" if value > high else "below" if value < low else "inside")  # fmt: skip
    return {"date": date, "kpi": kpi, "observed": value, "median": np.median(values) if len(values) else np.nan,
            "low": low, "high": high, "where": where}  # fmt: skip


def backtest(
    scenario: Scenario,
    visits: pd.DataFrame,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int = 20261126,
    quality: Quality | None = None,
) -> Backtest:
    """Replay every observed date of ``visits`` through ``scenario`` (see the module docstring); ``quality``
    leaves rows out of the observed waits its problems touch (``observed_kpis``), and its duplicates out of the
    replayed appointments (a row written twice is one patient)."""
    if replications < 2:
        raise ValueError("a back-test needs at least 2 replications per day")
    observed = observed_kpis(visits, quality)
    replayed = visits if quality is None else visits[~quality.mask("duplicate")]
    known = {p.name for p in scenario.providers}
    ours = visits["provider"].isna() | visits["provider"].isin(known)  # another provider's patients are not replayed
    census = observed_census(visits[ours], quality)
    plans = DayPlans(scenario)
    working = set(scenario.working_weekdays())
    rows, skipped = [], []
    n_days = 0
    for date, day in replayed.dropna(subset=["date"]).groupby("date"):
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
        logs = [simulate_day(day_plan, seed=day_seed, replication=r) for r in range(replications)]
        simulated = pd.DataFrame([day_kpis(log, day_plan.scenario) for log in logs])
        bounds = SessionBounds.of(day_plan)
        simulated[OVERTIME_KPI] = [simulated_overtime(log, bounds) for log in logs]
        seen_on_day = observed.loc[date].to_dict() if date in observed.index else {}
        seen_on_day[OVERTIME_KPI] = observed_overtime(day, bounds, quality)
        for kpi in BACKTEST_KPIS:
            rows.append(_band(date, kpi, float(seen_on_day.get(kpi, np.nan)), simulated[kpi].to_numpy(dtype=float)))
        hours = open_hours(day_plan.scenario)
        present = census.loc[date, hours].to_numpy(dtype=float) if date in census.index else np.full(len(hours), np.nan)
        for hour, value, values in zip(hours, present, simulated_census(logs, hours).T):
            rows.append(_band(date, census_kpi(hour), float(value), values))
        n_days += 1
    logger.info("back-tested %d days (%d skipped), %d replications each", n_days, len(skipped), replications)
    return Backtest(days=pd.DataFrame(rows), replications=replications,
                    skipped=pd.DataFrame(skipped, columns=["date", "reason"]))  # fmt: skip
