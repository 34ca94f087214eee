"""The patients of one replication, every random attribute drawn up front.

A booked patient is identified by their provider and booking ordinal (0 for the provider's first appointment
of the day). Each attribute (shows?, lateness, the duration of each step) comes from its own named stream
``("booked", provider, attribute)``, element ``ordinal``. Walk-ins are identified by their stream's name and
arrival ordinal. Nothing here depends on rooms, staff or queueing, so adding a room or a medical assistant
leaves every patient's own draws unchanged (common random numbers), and the engine only replays them.

Billing codes and payers are drawn the same way, from ``(..., "code")`` and ``(..., "payer")``, so a patient
keeps their code and payer under every plan.

Durations are drawn by inverse transform from one uniform per patient and attribute, so a patient whose
uniform is high has a long visit under any plan. Each step's duration has its own stream, named after the step;
so do each branch's choice (``"<branch>.choice"``), each optional step's coin (``"<step>.happens"``), each
documentation time and each room kind's turnover (see ``vocabulary.stream_field``). A patient draws for every
step of every option of their pathway, taken or not, so the path of one patient never shifts another's draws.
The times of a step the provider's speed scales, and of the documentation after it, depend on who does it when
that is not the patient's own provider: those are kept as uniforms until the step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from clinicsim.distributions import Fixed
from clinicsim.plan import ANY_PROVIDER, DayPlan, PlannedStep, Route
from clinicsim.scenario.model import Provider, WalkIns
from clinicsim.scenario.times import RatePeriod
from clinicsim.scenario.vocabulary import stream_field
from clinicsim.streams import Streams


@dataclass(slots=True)
class Patient:
    """One patient of the day with everything random already drawn. Times in minutes from midnight."""

    id: int
    source: str
    """"booked", or the name of the walk-in stream."""
    ordinal: int
    asked_for: Route
    """Provider the patient is booked with or asks for, or the provider pool they ask for; None: anyone."""
    visit_type: str
    booking: str
    """"regular", "double_book", "overbook" or "walk_in"."""
    session: int
    """Template session of a booked patient; -1 for walk-ins."""
    appointment_min: float
    shows: bool
    arrival_min: float
    path: tuple[PlannedStep, ...]
    """The steps this patient goes through (branches chosen, optional steps drawn)."""
    minutes: tuple[float, ...]
    """Duration of each step of the scenario (minutes; in the order of ``DayPlan.steps``, NaN for steps not in
    the patient's pathway); a step the provider's speed scales as done by the patient's own provider, or before
    any speed factor when the patient asks for no provider in particular (a pool, or anyone)."""
    uniforms: tuple[float, ...]
    """The uniforms of ``DayPlan.uniform_fields``: behind each speed-scaled step's duration and each charting
    time, turned into minutes when the step is done by a provider other than the patient's own."""
    documentation: tuple[float, ...]
    """Charting minutes after each step (order of ``DayPlan.steps``) by the patient's own provider (NaN: none)."""
    turnover: tuple[float, ...]
    """Turnover of a room of each kind after the patient (minutes; order of ``DayPlan.room_kinds``)."""
    branches: tuple[tuple[str, str], ...]
    """(branch, option) of every branch the patient passed."""
    code: str
    """Billing code the visit would be billed under ("" without finance)."""
    payer: str
    """Payer of the visit ("" without finance)."""
    provider: int = field(default=-1)
    """The provider (plan index) who first saw the patient; -1 until then."""


def uniforms_or_constant(streams: Streams, name: tuple[str, ...], n: int, dists) -> np.ndarray:
    """The named stream's uniforms, or, when every distribution they would feed is fixed (or switched off), a
    constant that those distributions ignore: a deterministic source needs no random numbers."""
    if all(d is None or isinstance(d, Fixed) for d in dists):
        return np.full(n, 0.5)
    return streams.uniforms(*name, size=n)


@dataclass(frozen=True)
class _Group:
    """Patients who draw from the same named streams: one provider's bookings, or one walk-in stream."""

    key: tuple[str, str]
    """Stream names start with this, e.g. ("booked", "Dr Lee")."""
    visit_types: list[str]
    provider: Provider | None
    """Whose patients they are; None for a pool or the first free provider."""


def _draw(streams: Streams, groups: list[_Group], field: str, dists_of=None) -> np.ndarray:
    """The ``field`` uniforms of every patient of ``groups``, group after group, each group from its own stream
    ``(*group.key, field)``; a constant where ``dists_of(group)`` (the distributions they feed) are all fixed."""
    parts = []
    for g in groups:
        name, n = (*g.key, field), len(g.visit_types)
        if n == 0:  # nobody to draw for (a provider with nothing booked): no stream to key
            continue
        parts.append(
            streams.uniforms(*name, size=n) if dists_of is None else uniforms_or_constant(streams, name, n, dists_of(g))
        )
    return np.concatenate(parts) if parts else np.zeros(0)


def _step_minutes(plan: DayPlan, visit_types: np.ndarray, u: np.ndarray, step: str) -> np.ndarray:
    """Durations of ``step`` (minutes; NaN where the visit type has no such step) from one uniform per patient."""
    out = np.full(len(u), math.nan)
    for name in set(visit_types.tolist()):
        duration = plan.durations.get((name, step))
        if duration is not None:
            mask = visit_types == name
            out[mask] = duration.from_uniform(u[mask])
    return out


def _durations(plan: DayPlan, group: _Group, step: str) -> list:
    return [plan.durations.get((vt, step)) for vt in set(group.visit_types)]


def _documenters(plan: DayPlan, group: _Group) -> list:
    who = [group.provider] if group.provider is not None else [d.provider for d in plan.providers]
    return [p.documentation_min for p in who]


def _attributes(plan: DayPlan, streams: Streams, groups: list[_Group]) -> dict[str, list]:
    """Per-patient paths, durations and uniforms of the patients of ``groups`` (end to end, in group order)."""
    visit_types = np.asarray([vt for g in groups for vt in g.visit_types], dtype=object)
    sizes = [len(g.visit_types) for g in groups]
    n = len(visit_types)
    used = {name for vt in set(visit_types.tolist()) for name in (s.name for s in plan.pathways[vt].steps)}
    speed = np.repeat([math.nan if g.provider is None else g.provider.speed_factor for g in groups], sizes)
    unused = np.full(n, math.nan)
    minutes, documentation, uniforms = [], [], {}
    for name, step in plan.steps.items():
        if name not in used:
            minutes.append(unused)
            documentation.append(unused)
            continue
        u = _draw(streams, groups, stream_field(name), lambda g, name=name: _durations(plan, g, name))
        drawn = _step_minutes(plan, visit_types, u, name)
        minutes.append(np.where(np.isnan(speed), drawn, drawn / speed) if step.scaled else drawn)
        uniforms[name] = u
        if step.documents:
            charting = stream_field(name, "documentation")
            uniforms[charting] = _draw(streams, groups, charting, lambda g: _documenters(plan, g))
            documentation.append(_own_charting(plan, groups, uniforms[charting]))
        else:
            documentation.append(unused)
    clinic = plan.scenario.clinic
    turnover = [
        clinic.turnover(kind).from_uniform(
            _draw(streams, groups, stream_field(kind, "turnover"), lambda g, kind=kind: [clinic.turnover(kind)])
        )
        for kind in plan.room_kinds
    ]
    kept = [uniforms.get(field, unused) for field in plan.uniform_fields]
    paths, branches = _paths(plan, streams, groups, visit_types)
    code, payer = _billing(plan, streams, groups, visit_types.tolist())
    return {
        "path": paths,
        "minutes": _rows(minutes, n),
        "uniforms": _rows(kept, n),
        "documentation": _rows(documentation, n),
        "turnover": _rows(turnover, n),
        "branches": branches,
        "code": _as_list(code),
        "payer": _as_list(payer),
    }


def _own_charting(plan: DayPlan, groups: list[_Group], u: np.ndarray) -> np.ndarray:
    """Charting minutes by each patient's own provider from their uniforms; for patients without one, by any
    provider when all share one charting time (``DayPlan.shared_charting``), else NaN."""
    shared = plan.shared_charting
    sizes = [len(g.visit_types) for g in groups]
    parts = np.split(u, np.cumsum(sizes)[:-1]) if groups else []
    return np.concatenate(
        [
            (np.full(len(part), math.nan) if shared is None else shared.from_uniform(part))
            if g.provider is None
            else g.provider.documentation_min.from_uniform(part)
            for g, part in zip(groups, parts)
        ]
        or [np.zeros(0)]
    )


def _rows(columns: list[np.ndarray], n: int) -> list[tuple[float, ...]]:
    """Per-patient tuples from columns (one value per column)."""
    return list(zip(*(c.tolist() for c in columns))) if columns else [()] * n


def _paths(plan: DayPlan, streams: Streams, groups: list[_Group], visit_types: np.ndarray) -> tuple[list, list]:
    """Each patient's path (branch options and optional steps drawn from their own streams) and the branches they
    pass. The draws are coded as one integer per patient, so each distinct path is looked up once."""
    n = len(visit_types)
    paths: list = [None] * n
    branches: list = [()] * n
    for name in set(visit_types.tolist()):
        pathway = plan.pathways[name]
        where = np.flatnonzero(visit_types == name).tolist()
        if pathway.fixed is not None:
            for i in where:
                paths[i] = pathway.fixed
            continue
        digits = []  # (number of values, each patient's value)
        for choice, options, shares in pathway.choices:
            u = _draw(streams, groups, stream_field(choice, "choice"))[where]
            digits.append(
                (len(options), np.minimum(np.searchsorted(np.cumsum(shares), u, side="right"), len(options) - 1))
            )
        for step in pathway.optional:
            u = _draw(streams, groups, stream_field(step, "happens"))[where]
            digits.append((2, (u < plan.steps[step].p).astype(np.int64)))
        code = np.zeros(len(where), dtype=np.int64)
        for radix, value in digits:
            code = code * radix + value
        distinct, which = np.unique(code, return_inverse=True)
        made = [pathway.path(*_decode(pathway, int(c), [radix for radix, _ in digits])) for c in distinct]
        for i, k in zip(where, which.tolist()):
            paths[i], branches[i] = made[k]
    return paths, branches


def _decode(pathway, code: int, radixes: list[int]) -> tuple[dict[str, str], frozenset[str]]:
    """The options chosen and the steps skipped that a path code stands for (the inverse of ``_paths``' code)."""
    values = []
    for radix in reversed(radixes):
        code, value = divmod(code, radix)
        values.append(value)
    values.reverse()
    choices = pathway.choices
    chosen = {choice: options[v] for (choice, options, _), v in zip(choices, values)}
    skipped = frozenset(step for step, v in zip(pathway.optional, values[len(choices) :]) if not v)
    return chosen, skipped


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
    code_u, payer_u = _draw(streams, groups, "code"), _draw(streams, groups, "payer")
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


_DRAWN = ("path", "minutes", "uniforms", "documentation", "turnover", "branches", "code", "payer")
"""Drawn columns in the order of the Patient fields after ``arrival_min``."""


def _booked(plan: DayPlan, streams: Streams, first_id: int) -> list[Patient]:
    """Every provider's booked patients (each provider's attributes from their own streams, transformed together)."""
    b = plan.bookings
    groups, start = [], 0
    for day, n in zip(plan.providers, b.per_provider):
        groups.append(_Group(("booked", day.name), b.visit_type[start : start + n], day.provider))
        start += n
    lateness = plan.scenario.patients.lateness_min.from_uniform(_draw(streams, groups, "lateness"))
    return _patient_rows(
        first_id,
        "booked",
        b.ordinal,
        b.provider,
        b.visit_type,
        b.booking,
        b.session,
        b.appointment_min,
        _draw(streams, groups, "no_show") >= b.p_no_show,
        b.appointment_min + lateness,
        _attributes(plan, streams, groups),
    )


def poisson_times(periods: Sequence[RatePeriod], rng: np.random.Generator) -> np.ndarray:
    """Arrival times (minutes from midnight) of a Poisson process with piecewise-constant rates (walk-ins, work
    items, calls).

    Unit-rate arrival epochs are mapped through the inverse of the cumulative rate, so a change of rate late in
    the day leaves the earlier arrivals as they were.
    """
    edges = sorted({t for r in periods for t in (r.start, r.end)})
    rates = [sum(r.per_hour / 60 for r in periods if r.start <= a and b <= r.end) for a, b in zip(edges, edges[1:])]
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


def _walk_in_visit_types(source: WalkIns, streams: Streams, n: int) -> list[str]:
    """The visit type of each of ``n`` walk-ins of a stream: its one type, or drawn from its mix by stream
    ``("walk_in", name, "visit_type")``."""
    mix = source.mix
    if len(mix) == 1:
        return [next(iter(mix))] * n
    return _pick(list(mix), list(mix.values()), streams.uniforms("walk_in", source.name, "visit_type", size=n)).tolist()


def _walk_ins(plan: DayPlan, streams: Streams, first_id: int) -> list[Patient]:
    """Every walk-in stream's patients, stream by stream in order of arrival (a stream for a provider who is off
    today brings nobody)."""
    pools = plan.scenario.provider_pools
    sources = [
        s
        for s in plan.scenario.walk_ins
        if s.provider is None or s.provider in plan.provider_index or s.provider in pools
    ]
    arrivals = [poisson_times(s.rates, streams.generator("walk_in", s.name, "arrivals")) for s in sources]
    groups = [
        _Group(
            ("walk_in", s.name),
            _walk_in_visit_types(s, streams, len(times)),
            None if s.provider is None or s.provider in pools else plan.scenario.provider(s.provider),
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
