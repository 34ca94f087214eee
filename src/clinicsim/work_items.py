"""Work items of a clinic day, drawn up front like patients: when each arrives and how long each stage takes.

Items that arrive at a rate or in batches are drawn for the day; items from visits are drawn for every patient
(made or not, with their delay and work times) and come into being only if the patient is seen, with the
patient's provider as their owner where a stage is the provider's. Every stream draws from sources of its own
(``("work", stream, ...)``), so adding a work stream leaves every patient's draws as they were.

Who may do a stage is planned once per (stream, stage, route), in order of preference, as for patient steps: the
patient's own provider (or, for an item from no visit, any working provider), a pool's working providers, or the
people of a role or staff group (a provider's assigned groups first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from clinicsim.patients import Patient, poisson_times
from clinicsim.plan import ANY_PROVIDER, DayPlan, Route
from clinicsim.scenario.pathway import ByPool
from clinicsim.scenario.vocabulary import staff_groups_for
from clinicsim.scenario.work import WorkStream
from clinicsim.streams import Streams

PRIORITY = {"before_patients": -1, "after_patients": 1}
"""Queue priority of a stream's requests; patients' are 0, an overdue item's -1 (lower goes first)."""


@dataclass(slots=True)
class WorkItem:
    """One item of work with its draws. Times in minutes from midnight."""

    id: int
    stream: int
    """Position of its stream in ``scenario.work``."""
    arrival_min: float
    minutes: tuple[float, ...]
    """Work time of each stage; NaN for a stage that does not happen to this item."""
    patience_min: float
    """How long it waits for its first stage before it is dropped (inf: it waits)."""
    route: Route = ANY_PROVIDER
    """Whose item it is: the provider who saw the patient it came from, or nobody in particular."""


class WorkPlan:
    """A day's work streams and who may do each stage (planned once per stream, stage and route)."""

    def __init__(self, plan: DayPlan) -> None:
        self.plan = plan
        self.streams = plan.scenario.work
        self._eligible: dict[tuple[int, int, Route], tuple[bool, tuple[int, ...]]] = {}

    def eligible(self, stream: int, stage: int, route: Route) -> tuple[bool, tuple[int, ...]]:
        """Whether the stage is a provider's, and the servers (indices) who may do it, in order of preference."""
        key = (stream, stage, route)
        if key not in self._eligible:
            self._eligible[key] = self._plan_stage(stream, stage, route)
        return self._eligible[key]

    def _plan_stage(self, stream: int, stage: int, route: Route) -> tuple[bool, tuple[int, ...]]:
        plan = self.plan
        who = self.streams[stream].stages[stage].by
        if who == "provider":
            return True, plan.provider_eligible.get(route, plan.pool_members[ANY_PROVIDER])
        if isinstance(who, ByPool):
            return True, plan.pool_members.get(who.pool, ())
        groups = [g.name for g in staff_groups_for(plan.scenario, "", route, who)]
        return False, tuple(i for g in groups for i, member in enumerate(plan.staff) if member.group == g)


def _stage_minutes(stream: WorkStream, streams: Streams, key: str, n: int) -> list[tuple[float, ...]]:
    """Work time of each stage for ``n`` items (NaN where a stage does not happen), from the stream's sources."""
    columns = []
    for k, stage in enumerate(stream.stages):
        minutes = stage.duration_min.from_uniform(streams.uniforms("work", stream.name, key, f"stage {k}", size=n))
        happens = streams.uniforms("work", stream.name, key, f"stage {k} happens", size=n) < stage.p
        columns.append(np.where(happens, np.maximum(minutes, 0.0), math.nan))
    return [tuple(float(x) for x in row) for row in zip(*columns)] if columns else []


def _patience(stream: WorkStream, streams: Streams, key: str, n: int) -> np.ndarray:
    if stream.patience_min is None:
        return np.full(n, math.inf)
    return stream.patience_min.from_uniform(streams.uniforms("work", stream.name, key, "patience", size=n))


def timed_items(plan: DayPlan, streams: Streams) -> list[WorkItem]:
    """Items that arrive at a rate or in batches, of every stream, in order of arrival (numbered by the day that
    takes them, after any carried in)."""
    items: list[WorkItem] = []
    for index, stream in enumerate(plan.scenario.work):
        times = [b.time for b in stream.at for _ in range(b.count)]
        if stream.rates:
            times += poisson_times(stream.rates, streams.generator("work", stream.name, "arrivals")).tolist()
        minutes = _stage_minutes(stream, streams, "timed", len(times))
        patience = _patience(stream, streams, "timed", len(times))
        items += [WorkItem(-1, index, t, m, float(w)) for t, m, w in zip(times, minutes, patience)]
    items.sort(key=lambda item: item.arrival_min)
    return items


def items_from_visits(
    plan: DayPlan, streams: Streams, patients: list[Patient]
) -> dict[int, list[tuple[float, WorkItem]]]:
    """Per patient id: the items their visit will make if they are seen, each with its delay after departure
    (minutes). Item ids are set when an item comes into being."""
    made: dict[int, list[tuple[float, WorkItem]]] = {}
    n = len(patients)
    for index, stream in enumerate(plan.scenario.work):
        source = stream.from_visits
        if source is None or n == 0:
            continue
        makes = streams.uniforms("work", stream.name, "visits", "made", size=n) < source.p
        delays = source.delay_min.from_uniform(streams.uniforms("work", stream.name, "visits", "delay", size=n))
        minutes = _stage_minutes(stream, streams, "visits", n)
        patience = _patience(stream, streams, "visits", n)
        kinds = set(source.visit_types)
        for p in patients:
            if makes[p.id] and p.visit_type in kinds:
                item = WorkItem(-1, index, math.nan, minutes[p.id], float(patience[p.id]))
                made.setdefault(p.id, []).append((max(float(delays[p.id]), 0.0), item))
    return made
