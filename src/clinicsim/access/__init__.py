"""Access over weeks: requests booked into the templates, and the booked days simulated.

``simulate_access`` runs the booking model (``book``) for some weeks after a warm-up, replication after
replication, and with ``days=True`` simulates every reported clinic day's booked list with the clinic-day engine
(``days``). Each replication's KPIs (``kpis``: third-next-available, lead time, same-day requests met,
continuity, lost demand, backlog, no-shows by lead time; and the clinic days' KPIs, averaged over its days) get
Student-t intervals over replications; two plans simulated with the same seed book the same requests (common
random numbers), so ``compare_access`` gives paired intervals on every KPI.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from clinicsim.access.days import mean_per_day, simulate_booked_days
from clinicsim.access.kpis import access_kpis, backlog_by_measure
from clinicsim.access.run import AccessRun, run_access
from clinicsim.comparison import Comparison, _named
from clinicsim.day_plans import DayPlans
from clinicsim.experiment import DEFAULT_SEED, Progress, Replicated
from clinicsim.scenario import Scenario, load_scenario

logger = logging.getLogger(__name__)

__all__ = ["AccessResults", "AccessRun", "compare_access", "simulate_access"]


@dataclass
class AccessResults(Replicated):
    """Replications of the booking model of one scenario (and of its booked days, when simulated)."""

    scenario: Scenario
    seed: int
    weeks: int
    warm_up: int
    runs: list[AccessRun] = field(repr=False)
    kpis: pd.DataFrame = field(repr=False)
    """One row per replication, one column per KPI: the access KPIs, then (with days) the clinic days' means."""
    days: pd.DataFrame | None = field(default=None, repr=False)
    """With days: one row per replication and simulated clinic day, the day's KPIs."""

    @property
    def provenance(self) -> dict:
        """What produced these results: package version, scenario hash, seed, replication ids, weeks and warm-up."""
        return {**super().provenance, "weeks": self.weeks, "warm_up_weeks": self.warm_up,
                "clinic_days_simulated": self.days is not None}  # fmt: skip

    def _table(self, name: str) -> pd.DataFrame:
        return pd.concat([getattr(r, name).assign(replication=r.replication) for r in self.runs], ignore_index=True)

    @cached_property
    def requests(self) -> pd.DataFrame:
        """Every request of every replication (``AccessRun.requests`` with a replication column)."""
        return self._table("requests")

    @cached_property
    def bookings(self) -> pd.DataFrame:
        """Every booking of every replication."""
        return self._table("bookings")

    @cached_property
    def measures(self) -> pd.DataFrame:
        """Third-next-available per replication, clinic day, provider and visit type."""
        return self._table("measures")

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Every bookable position of every replication (``AccessRun.positions`` with a replication column)."""
        return self._table("positions")

    @cached_property
    def backlog(self) -> pd.DataFrame:
        """Appointments booked ahead per replication, clinic day and provider at the measurement time."""
        return pd.concat(
            [backlog_by_measure(run).assign(replication=run.replication) for run in self.runs], ignore_index=True
        )

    def weekly(self) -> pd.DataFrame:
        """Per provider, visit type and reported week, over replications: third-next-available, backlog and the
        request and booking figures of ``tables.weekly_access``."""
        from clinicsim.access.tables import weekly_access

        return weekly_access(self)


def simulate_access(
    scenario: Scenario | str | Path,
    *,
    weeks: int = 26,
    warm_up: int = 4,
    replications: int = 10,
    seed: int = DEFAULT_SEED,
    days: bool = False,
    first_replication: int = 0,
    progress: Progress | None = None,
) -> AccessResults:
    """Book ``weeks`` weeks of requests after ``warm_up`` weeks, ``replications`` times; with ``days``, simulate
    every reported clinic day's booked list too."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    plans = DayPlans(scenario) if days else None
    runs, rows, day_frames = [], [], []
    for k in range(replications):
        replication = first_replication + k
        run = run_access(scenario, weeks=weeks, warm_up=warm_up, seed=seed, replication=replication)
        row = {"replication": replication, **access_kpis(run)}
        if plans is not None:
            booked_days = simulate_booked_days(run, seed, plans)
            day_frames.append(booked_days.assign(replication=replication))
            row.update(mean_per_day(booked_days))
        runs.append(run)
        rows.append(row)
        if progress is not None:
            progress(k + 1, replications)
    logger.info(
        "booked %d weeks after %d of warm-up, %d replications of %r", weeks, warm_up, replications, scenario.name
    )
    return AccessResults(
        scenario=scenario,
        seed=seed,
        weeks=weeks,
        warm_up=warm_up,
        runs=runs,
        kpis=pd.DataFrame(rows),
        days=pd.concat(day_frames, ignore_index=True) if day_frames else None,
    )


def compare_access(
    scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path],
    *,
    baseline: str | None = None,
    seed: int = DEFAULT_SEED,
    **options,
) -> Comparison:
    """Every plan booked on the same requests (same seed: common random numbers), compared with the baseline
    (default: the first) with paired intervals on every access KPI (and clinic-day KPI, with ``days=True``)."""
    named = _named(scenarios)
    baseline = baseline or next(iter(named))
    progress = options.pop("progress", None)
    results = {}
    for k, (name, scenario) in enumerate(named.items()):

        def tick(done: int, total: int, k: int = k) -> None:
            if progress is not None:
                progress(k * total + done, len(named) * total)

        results[name] = simulate_access(scenario, seed=seed, progress=tick, **options)
    return Comparison(results=results, baseline=baseline, crn=True, seed=seed)  # type: ignore[arg-type]
