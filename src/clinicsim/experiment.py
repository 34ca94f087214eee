"""Replications of a scenario and their summary with confidence intervals.

Replication ``r`` of a scenario under base seed ``s`` always sees the same random numbers (see ``streams``),
so results are reproducible, and two scenarios run with the same seed share their patients' draws.
Intervals use Student's t over replications (one replication is one simulated day).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from clinicsim import __version__
from clinicsim.engine import simulate_day
from clinicsim.eventlog import EventLog
from clinicsim.finance import money_kpis, provider_money
from clinicsim.metrics import KPI_NAMES, compute_kpis, resource_usage
from clinicsim.plan import plan_day
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.statistics import summarize, t_interval
from clinicsim.work_metrics import work_kpis

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20261126
Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each replication."""


class Replicated:
    """What results over replications share (clinic days here, booking runs in ``access``): the scenario, the seed,
    one row of KPIs per replication, their summary and provenance."""

    scenario: Scenario
    seed: int
    kpis: pd.DataFrame

    @property
    def replications(self) -> int:
        return len(self.kpis)

    def summary(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per KPI: mean, sd, n and the confidence interval over replications."""
        return summarize(self.kpis, confidence=confidence)

    @property
    def provenance(self) -> dict:
        """What produced these results: package version, scenario hash, seed and replication ids."""
        return {
            "clinicsim_version": __version__,
            "scenario": self.scenario.name,
            "scenario_sha256": self.scenario.content_hash,
            "seed": self.seed,
            "replications": [int(r) for r in self.kpis["replication"]],
        }


@dataclass
class Results(Replicated):
    """Replications of one scenario: KPIs per replication and the tables behind them."""

    scenario: Scenario
    seed: int
    logs: list[EventLog] = field(repr=False)
    kpis: pd.DataFrame = field(repr=False)
    """One row per replication, one column per KPI."""

    def _table(self, table: str) -> pd.DataFrame:
        return pd.concat([log.frame(table) for log in self.logs], ignore_index=True)

    @cached_property
    def patients(self) -> pd.DataFrame:
        """One row per patient per replication: identity, appointment, arrival, status, departure."""
        return self._table("patients")

    @cached_property
    def events(self) -> pd.DataFrame:
        """The event log: one row per patient step per replication (queued, start, end, resource)."""
        return self._table("steps")

    @cached_property
    def branches(self) -> pd.DataFrame:
        """One row per branch of the pathway a patient passed per replication, with the option taken."""
        return self._table("branches")

    @cached_property
    def work(self) -> pd.DataFrame:
        """One row per stage of a work item between visits per replication (``eventlog.WORK_COLUMNS``)."""
        return self._table("work")

    @cached_property
    def resources(self) -> pd.DataFrame:
        """Per resource and replication: busy, on-duty and scheduled minutes, utilization, overtime."""
        frames = [pd.DataFrame({"replication": log.replication, **resource_usage(log)}) for log in self.logs]
        return pd.concat(frames, ignore_index=True)

    def groups(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per resource group (each staff group, the providers, the exam rooms and each other room kind): mean
        utilization (busy over on-duty minutes) and overtime minutes per person or room, over replications, with
        confidence intervals."""
        usage = self.resources
        per_day = usage.groupby(["group", "replication"], sort=False).agg(
            kind=("kind", "first"),
            busy=("busy_min", "sum"),
            on_duty=("on_duty_min", "sum"),
            overtime=("overtime_min", "mean"),
        )
        per_day["utilization"] = per_day["busy"] / per_day["on_duty"].where(per_day["on_duty"] > 0)
        rows = []
        for group, days in per_day.groupby(level="group", sort=False):
            for what in ("utilization", "overtime"):
                stat = t_interval(days[what].to_numpy(dtype=float), confidence=confidence)
                rows.append(
                    {"group": group, "kind": days["kind"].iloc[0], "measure": what, "mean": stat.mean,
                     "ci_low": stat.low, "ci_high": stat.high, "n": stat.n}
                )  # fmt: skip
        return pd.DataFrame(rows).set_index(["group", "measure"])

    @cached_property
    def providers(self) -> pd.DataFrame:
        """Per provider and replication: visits seen, wRVUs, net revenue, overtime minutes and overtime cost."""
        frames = [
            pd.DataFrame({"replication": log.replication, **provider_money(log, self.scenario)}) for log in self.logs
        ]
        return pd.concat(frames, ignore_index=True)

    def combined_with(self, more: Results) -> Results:
        """These replications and those of ``more`` (same scenario and seed, other replication ids)."""
        if more.scenario != self.scenario or more.seed != self.seed:
            raise ValueError("can only combine replications of the same scenario and seed")
        if set(self.kpis["replication"]) & set(more.kpis["replication"]):
            raise ValueError("the two sets of replications overlap")
        kpis = pd.concat([self.kpis, more.kpis], ignore_index=True)
        return Results(scenario=self.scenario, seed=self.seed, logs=self.logs + more.logs, kpis=kpis)


def day_kpis(log: EventLog, scenario: Scenario) -> dict[str, float]:
    """Every KPI of one simulated day: patient flow, then money, then the work between visits (only for a scenario
    with work streams)."""
    usage = resource_usage(log)
    return {**compute_kpis(log, usage), **money_kpis(log, scenario, usage), **work_kpis(log, scenario, usage)}


def simulate(
    scenario: Scenario | str | Path,
    *,
    replications: int = 30,
    seed: int = DEFAULT_SEED,
    first_replication: int = 0,
    progress: Progress | None = None,
) -> Results:
    """Simulate ``replications`` clinic days of ``scenario`` (a Scenario or a scenario file's path)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    scenario = scenario.on_weekday()  # the day simulated: its weekday's changes made
    plan = plan_day(scenario)
    logs = []
    for k in range(replications):
        logs.append(simulate_day(plan, seed=seed, replication=first_replication + k))
        if progress is not None:
            progress(k + 1, replications)
    logger.info("simulated %d replications of %r (seed %d)", replications, scenario.name, seed)
    return results_of(scenario, seed, logs)


def results_of(scenario: Scenario, seed: int, logs: list[EventLog]) -> Results:
    """The Results of simulated days of ``scenario`` (its day's scenario): their KPIs from their event logs."""
    rows = [{"replication": log.replication, **day_kpis(log, scenario)} for log in logs]
    pathway = [name for name in rows[0] if name not in KPI_NAMES and name != "replication"]
    kpis = pd.DataFrame(rows, columns=["replication", *KPI_NAMES, *pathway])
    return Results(scenario=scenario, seed=seed, logs=logs, kpis=kpis)
