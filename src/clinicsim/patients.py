"""The patients of one replication, every random attribute drawn up front.

A booked patient is identified by their provider and booking ordinal (0 for the provider's first appointment
of the day). Each attribute (shows?, lateness, the duration of each step) comes from its own named stream
``("booked", provider, attribute)``, element ``ordinal``. Walk-ins are identified by their stream's name and
arrival ordinal. Nothing here depends on rooms, staff or queueing, so adding a room or a medical assistant
leaves every patient's own draws unchanged (common random numbers), and the engine only replays them.

Billing codes and payers are drawn the same way, from ``(..., "code")`` and ``(..., "payer")``, so a patient
keeps their code and payer under every plan.

Durations are drawn by inverse transform from one uniform per patient and attribute, so a patient whose
uniform is high has a long visit under any plan. The provider-visit and documentation times of a walk-in for
the first free provider depend on who sees them, so those two are kept as uniforms until the visit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from clinicsim.distributions import Fixed
from clinicsim.plan import ANY_PROVIDER, DayPlan
from clinicsim.scenario.model import Provider, WalkIns
from clinicsim.streams import Streams

STEPS = ("check_in", "rooming", "provider_visit", "check_out")


@dataclass(slots=True)
class Patient:
    """One patient of the day with everything random already drawn. Times in minutes from midnight."""

    patient: int
    source: str
    """"booked", or the name of the walk-in stream."""
    ordinal: int
    route: str | None
    """Provider the patient is booked with or asks for; None: the first free provider."""
    visit_type: str
    booking: str
    """"regular", "double_book", "overbook" or "walk_in"."""
    session: int
    """Template session of a booked patient; -1 for walk-ins."""
    appointment_min: float
    shows: bool
    arrival_min: float
    check_in_min: float
    rooming_min: float
    check_out_min: float
    turnover_min: float
    visit_u: float
    """Uniform behind the provider-visit duration (turned into minutes by the visit type's distribution)."""
    documentation_u: float
    """Uniform behind the documentation time (turned into minutes by the provider's distribution)."""
    visit_min: float
    """Provider-visit minutes (speed factor applied) when the provider is known; NaN for the first free one."""
    documentation_min: float
    """Documentation minutes when the provider is known; NaN for the first free one."""
    code: str
    """Billing code the visit would be billed under ("" without finance)."""
    payer: str
    """Payer of the visit ("" without finance)."""


def uniforms_or_constant(streams: Streams, name: tuple[str, ...], n: int, dists) -> np.ndarray:
    """The named stream's uniforms, or, when every distribution they would feed is fixed (or switched off), a
    constant that those distributions ignore: a deterministic source needs no random numbers."""
    if all(d is None or isinstance(d, Fixed) for d in dists):
        return np.full(n, 0.5)
    return streams.uniforms(*name, size=n)


def _by_visit_type(plan: DayPlan, visit_types: list[str], u: np.ndarray, step: str) -> np.ndarray:
    """Step durations (minutes; NaN where the visit type skips the step) from one uniform per patient."""
    out = np.full(len(u), math.nan)
    names = np.asarray(visit_types, dtype=object)
    for name in set(visit_types):
        dist = getattr(plan.scenario.visit_types[name].durations_min, step)
        if dist is not None:
            mask = names == name
            out[mask] = dist.from_uniform(u[mask])
    return out


@dataclass(frozen=True)
class _Group:
    """Patients who draw from the same named streams: one provider's bookings, or one walk-in stream."""

    key: tuple[str, str]
    """Stream names start with this, e.g. ("booked", "Dr Lee")."""
    visit_types: list[str]
    provider: Provider | None
    """Who sees them; None for the first free provider."""


def _dists(plan: DayPlan, group: _Group, field: str) -> list | None:
    """The duration distributions that the group's ``field`` uniforms feed; None for a field that is not a
    duration (no-show, lateness, billing)."""
    if field == "documentation":
        who = [group.provider] if group.provider is not None else [d.provider for d in plan.providers]
        return [p.documentation_min for p in who]
    if field == "room_turnover":
        return [plan.scenario.clinic.room_turnover_min]
    if field in STEPS:
        return [getattr(plan.scenario.visit_types[vt].durations_min, field) for vt in set(group.visit_types)]
    return None


def _uniforms(plan: DayPlan, streams: Streams, groups: list[_Group], field: str) -> np.ndarray:
    """The ``field`` uniforms of every patient of ``groups``, group after group, each group from its own stream
    ``(*group.key, field)`` (a constant where only fixed durations would use them)."""
    parts = []
    for g in groups:
        dists, n = _dists(plan, g, field), len(g.visit_types)
        name = (*g.key, field)
        parts.append(
            streams.uniforms(*name, size=n) if dists is None else uniforms_or_constant(streams, name, n, dists)
        )
    return np.concatenate(parts) if parts else np.zeros(0)


def _attributes(plan: DayPlan, streams: Streams, groups: list[_Group]) -> dict[str, np.ndarray]:
    """Per-patient durations and uniforms of the patients of ``groups`` (end to end, in group order)."""
    visit_types = [vt for g in groups for vt in g.visit_types]
    sizes = [len(g.visit_types) for g in groups]
    drawn = {
        step: _by_visit_type(plan, visit_types, _uniforms(plan, streams, groups, step), step)
        for step in ("check_in", "rooming", "check_out")
    }
    drawn["turnover"] = plan.scenario.clinic.room_turnover_min.from_uniform(
        _uniforms(plan, streams, groups, "room_turnover")
    )
    drawn["visit_u"] = _uniforms(plan, streams, groups, "provider_visit")
    drawn["documentation_u"] = _uniforms(plan, streams, groups, "documentation")
    # a known provider's patients: turn the uniforms into minutes now; the first free provider's: at the visit
    speed = np.repeat([math.nan if g.provider is None else g.provider.speed_factor for g in groups], sizes)
    drawn["visit_min"] = _by_visit_type(plan, visit_types, drawn["visit_u"], "provider_visit") / speed
    documentation = np.split(drawn["documentation_u"], np.cumsum(sizes)[:-1])
    drawn["documentation_min"] = np.concatenate(
        [
            np.full(len(u), math.nan) if g.provider is None else g.provider.documentation_min.from_uniform(u)
            for g, u in zip(groups, documentation)
        ]
        or [np.zeros(0)]
    )
    drawn["code"], drawn["payer"] = _billing(plan, streams, groups, visit_types)
    return drawn


def _pick(names: list[str], shares: list[float], u: np.ndarray) -> np.ndarray:
    """For each uniform, the name whose cumulative share first exceeds it (inverse transform over a categorical
    mix; the last name if rounding leaves the shares short of 1)."""
    chosen = np.searchsorted(np.cumsum(shares), u, side="right")
    return np.asarray(names, dtype=object)[np.minimum(chosen, len(names) - 1)]


def _billing(plan: DayPlan, streams: Streams, groups: list[_Group], visit_types: list[str]) -> tuple:
    """Each patient's billing code (from the visit type's code mix) and payer, or "" without finance."""
    finance = plan.scenario.finance
    n = len(visit_types)
    if finance is None:
        return [""] * n, [""] * n
    code_u, payer_u = _uniforms(plan, streams, groups, "code"), _uniforms(plan, streams, groups, "payer")
    codes = np.empty(n, dtype=object)
    names = np.asarray(visit_types, dtype=object)
    for name in set(visit_types):
        mix = plan.scenario.visit_types[name].code_mix
        assert mix is not None  # validation: with finance settings, every visit type has a code mix
        mask = names == name
        codes[mask] = _pick(list(mix), list(mix.values()), code_u[mask])
    payers = finance.payers
    return codes, _pick(list(payers), [payer.share for payer in payers.values()], payer_u)


def _as_list(values) -> list:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _patient_rows(
    first_id: int, source, ordinals, routes, visit_types, bookings, sessions, appointments, shows, arrivals, drawn
) -> list[Patient]:
    """Patient records from per-patient columns (converted to Python lists once, not element by element);
    ``source`` is a list, or one source for all."""
    n = len(visit_types)
    columns = [
        source if isinstance(source, list) else [source] * n,
        ordinals,
        routes,
        visit_types,
        bookings,
        sessions,
        appointments,
        shows,
        arrivals,
        *(drawn[k] for k in _DRAWN),
    ]
    rows = zip(*(_as_list(c) for c in columns))
    return [Patient(first_id + i, *row) for i, row in enumerate(rows)]


_DRAWN = (
    "check_in",
    "rooming",
    "check_out",
    "turnover",
    "visit_u",
    "documentation_u",
    "visit_min",
    "documentation_min",
    "code",
    "payer",
)
"""Drawn columns in the order of the Patient fields after ``arrival_min``."""


def _booked(plan: DayPlan, streams: Streams, first_id: int) -> list[Patient]:
    """Every provider's booked patients (each provider's attributes from their own streams, transformed together)."""
    b = plan.bookings
    groups, start = [], 0
    for day, n in zip(plan.providers, b.per_provider):
        groups.append(_Group(("booked", day.name), b.visit_type[start : start + n], day.provider))
        start += n
    lateness = plan.scenario.patients.lateness_min.from_uniform(_uniforms(plan, streams, groups, "lateness"))
    return _patient_rows(
        first_id,
        "booked",
        b.ordinal,
        b.provider,
        b.visit_type,
        b.booking,
        b.session,
        b.appointment_min,
        _uniforms(plan, streams, groups, "no_show") >= b.p_no_show,
        b.appointment_min + lateness,
        _attributes(plan, streams, groups),
    )


def walk_in_times(source: WalkIns, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (minutes from midnight) of a Poisson process with the source's piecewise-constant rates.

    Unit-rate arrival epochs are mapped through the inverse of the cumulative rate, so a change of rate late in
    the day leaves the earlier arrivals as they were.
    """
    edges = sorted({t for r in source.rates for t in (r.start, r.end)})
    rates = [
        sum(r.per_hour / 60 for r in source.rates if r.start <= a and b <= r.end) for a, b in zip(edges, edges[1:])
    ]
    cumulative = np.concatenate([[0.0], np.cumsum(np.diff(edges) * np.array(rates))])
    total = cumulative[-1]
    epochs = np.cumsum(rng.exponential(size=int(total + 6 * math.sqrt(total) + 20)))
    while epochs[-1] < total:
        epochs = np.concatenate([epochs, epochs[-1] + np.cumsum(rng.exponential(size=len(epochs)))])
    epochs = epochs[epochs < total]
    # the first segment whose cumulative rate passes the epoch; segments with rate 0 are never chosen
    segment = np.searchsorted(cumulative[1:], epochs, side="right")
    start = np.asarray(edges[:-1])[segment]
    return start + (epochs - cumulative[segment]) / np.asarray(rates)[segment]


def _walk_ins(plan: DayPlan, streams: Streams, first_id: int) -> list[Patient]:
    """Every walk-in stream's patients, stream by stream in order of arrival (a stream for a provider who is off
    today brings nobody)."""
    sources = [s for s in plan.scenario.walk_ins if s.provider is None or s.provider in plan.provider_index]
    arrivals = [walk_in_times(s, streams.generator("walk_in", s.name, "arrivals")) for s in sources]
    groups = [
        _Group(
            ("walk_in", s.name),
            [s.visit_type] * len(times),
            None if s.provider is None else plan.scenario.provider(s.provider),
        )
        for s, times in zip(sources, arrivals)
    ]
    n = [len(times) for times in arrivals]
    return _patient_rows(
        first_id,
        [s.name for s, k in zip(sources, n) for _ in range(k)],
        [i for k in n for i in range(k)],
        [ANY_PROVIDER if s.provider is None else s.provider for s, k in zip(sources, n) for _ in range(k)],
        [vt for g in groups for vt in g.visit_types],
        ["walk_in"] * sum(n),
        [-1] * sum(n),
        np.full(sum(n), math.nan),
        [True] * sum(n),
        np.concatenate(arrivals) if arrivals else np.zeros(0),
        _attributes(plan, streams, groups),
    )


def draw_patients(plan: DayPlan, streams: Streams) -> list[Patient]:
    """All patients of the day, booked (by provider, then ordinal) then walk-ins (by stream, then arrival)."""
    booked = _booked(plan, streams, 0)
    return booked + _walk_ins(plan, streams, len(booked))
