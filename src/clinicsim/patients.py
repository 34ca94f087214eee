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


def _attributes(
    plan: DayPlan, streams: Streams, key: tuple[str, str], visit_types: list[str], provider: Provider | None
) -> dict[str, np.ndarray]:
    """Per-patient durations and uniforms for one group of patients (a provider's bookings, a walk-in stream);
    ``provider``: who sees them, None for the first free provider."""
    n = len(visit_types)
    kinds = [plan.scenario.visit_types[vt].durations_min for vt in set(visit_types)]
    who = [provider] if provider is not None else [d.provider for d in plan.providers]

    def uniforms(field: str, dists) -> np.ndarray:
        return uniforms_or_constant(streams, (*key, field), n, dists)

    drawn = {
        step: _by_visit_type(plan, visit_types, uniforms(step, [getattr(k, step) for k in kinds]), step)
        for step in ("check_in", "rooming", "check_out")
    }
    turnover = plan.scenario.clinic.room_turnover_min
    drawn["turnover"] = turnover.from_uniform(uniforms("room_turnover", [turnover]))
    drawn["visit_u"] = uniforms("provider_visit", [k.provider_visit for k in kinds])
    drawn["documentation_u"] = uniforms("documentation", [p.documentation_min for p in who])
    drawn["visit_min"] = drawn["documentation_min"] = np.full(n, math.nan)
    if provider is not None:  # known provider: turn the uniforms into minutes now, all at once
        drawn["visit_min"] = (
            _by_visit_type(plan, visit_types, drawn["visit_u"], "provider_visit") / provider.speed_factor
        )
        drawn["documentation_min"] = provider.documentation_min.from_uniform(drawn["documentation_u"])
    drawn["code"], drawn["payer"] = _billing(plan, streams, key, visit_types)
    return drawn


def _pick(shares: dict[str, float], u: float) -> str:
    """The name whose cumulative share first exceeds ``u`` (inverse transform over a categorical mix)."""
    total = 0.0
    for name, share in shares.items():
        total += share
        if u < total:
            return name
    return name


def _billing(plan: DayPlan, streams: Streams, key: tuple[str, str], visit_types: list[str]) -> tuple[list, list]:
    """Each patient's billing code (from the visit type's code mix) and payer, or "" without finance."""
    finance = plan.scenario.finance
    n = len(visit_types)
    if finance is None:
        return [""] * n, [""] * n
    code_u, payer_u = streams.uniforms(*key, "code", size=n), streams.uniforms(*key, "payer", size=n)
    mixes = {name: vt.code_mix for name, vt in plan.scenario.visit_types.items()}
    payer_shares = {name: payer.share for name, payer in finance.payers.items()}
    codes = [_pick(mixes[vt], u) for vt, u in zip(visit_types, code_u)]
    return codes, [_pick(payer_shares, u) for u in payer_u]


def _as_list(values) -> list:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _patient_rows(
    first_id: int, source: str, routes, visit_types, bookings, sessions, appointments, shows, arrivals, drawn
) -> list[Patient]:
    """Patient records from per-patient columns (converted to Python lists once, not element by element)."""
    columns = [
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
    return [Patient(first_id + i, source, i, *row) for i, row in enumerate(rows)]


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
    patients: list[Patient] = []
    behaviour = plan.scenario.patients
    for day in plan.providers:
        booked = day.appointments
        n = len(booked)
        key = ("booked", day.name)
        visit_types = [a.visit_type for a in booked]
        p_no_show = np.array([plan.scenario.visit_types[vt].p_no_show for vt in visit_types])
        shows = streams.uniforms(*key, "no_show", size=n) >= p_no_show
        appointments = np.array([a.time_min for a in booked])
        arrivals = appointments + behaviour.lateness_min.from_uniform(streams.uniforms(*key, "lateness", size=n))
        patients += _patient_rows(
            first_id + len(patients),
            "booked",
            [day.name] * n,
            visit_types,
            [a.booking for a in booked],
            [a.session for a in booked],
            appointments,
            shows,
            arrivals,
            _attributes(plan, streams, key, visit_types, day.provider),
        )
    return patients


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
    patients: list[Patient] = []
    for source in plan.scenario.walk_ins:
        if source.provider is not None and source.provider not in plan.provider_index:
            continue  # the provider they ask for is off today
        key = ("walk_in", source.name)
        arrivals = walk_in_times(source, streams.generator(*key, "arrivals"))
        n = len(arrivals)
        visit_types = [source.visit_type] * n
        patients += _patient_rows(
            first_id + len(patients),
            source.name,
            [source.provider if source.provider is not None else ANY_PROVIDER] * n,
            visit_types,
            ["walk_in"] * n,
            [-1] * n,
            np.full(n, math.nan),
            np.ones(n, dtype=bool),
            arrivals,
            _attributes(
                plan,
                streams,
                key,
                visit_types,
                None if source.provider is None else plan.scenario.provider(source.provider),
            ),
        )
    return patients


def draw_patients(plan: DayPlan, streams: Streams) -> list[Patient]:
    """All patients of the day, booked (by provider, then ordinal) then walk-ins (by stream, then arrival)."""
    booked = _booked(plan, streams, 0)
    return booked + _walk_ins(plan, streams, len(booked))
