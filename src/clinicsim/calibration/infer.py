"""A base scenario inferred from a visit export: the clinic's templates read off its appointment grid.

A clinic that calibrates without a scenario of its own still has one in its export: every booked appointment
(arrived, no-show or cancelled: a cancelled slot was a slot too) sits on its provider's template. ``infer_scenario``
reads that template back, and fills in what an export cannot say with stated defaults, so that ``calibrate`` has a
base to fit. The rules, each constant named below:

- **Booked appointments**: rows with an appointment time that are not walk-ins, any status; the later copies of a
  duplicate (``quality``'s ``duplicate`` rows) left out. Times are rounded to the minute.
- **Slot length** (per provider and weekday, the dates grouped by weekday): the mode of the gaps between successive
  distinct appointment times of a provider's date (the shortest of tied modes), rounded to ``SLOT_ROUNDING_MIN`` (at
  least that); when fewer than ``WHOLE_SLOTS_SHARE`` of the gaps are whole slots of it, the longest multiple of
  ``SLOT_ROUNDING_MIN`` of which they are (a pattern with blocked slots between its visits, gaps of 15 and 30
  minutes: 15-minute slots, not 30). The provider's gaps on every weekday when that weekday never has two times on
  one date.
- **Slot grid and sessions**: the times that occur on at least ``GRID_SHARE`` of the provider's dates on that weekday,
  split into sessions at a gap of ``fit.SESSION_GAP_MIN`` or more (the session rule of ``fit.late_starts``; two slots
  when slots are longer than half of it, so that long slots are not each a session of their own). A session runs from
  its first time to its last plus one slot; a time off the grid of its session's first time is left out (and counted
  in the comment); a grid position without a time is ``blocked``.
- **Pattern**: the modal visit type at each time of the grid; the sessions' sequences pooled position by position
  (a template's pattern restarts at each session) and cut to their shortest repeating period. A session whose
  pattern goes on with ``blocked`` slots after its last time runs on over them (up to the next session). The comment
  says how many of the grid's slots the pattern matches: a clinic whose mornings and afternoons differ cannot have
  both, and blocked slots that leave a gap of ``fit.SESSION_GAP_MIN`` or more between appointment times cut a
  session in two.
- **Double booking**: a grid time whose median count of appointments kept on the day (arrived, no-show, or a status
  not known: not cancelled, since a cancelled slot is usually filled again) over the provider's dates is at least
  ``DOUBLE_BOOK_MEDIAN``.
- **Templates**: the rule is fixed interval (a Bailey-Welch template is read as a double booking at each
  session's start and its last slot left open; a wave template as slots of the wave's length). Identical templates
  (sessions, slot, pattern and double bookings) are one template, named after its provider and weekdays, or after
  its weekdays and slot length when several providers share it.
- **Providers' weekdays**: a provider works a weekday when they have appointments on at least ``REGULAR_SHARE`` of
  that weekday's calendar dates from their first to their last date in the export (the calendar, not the days with
  visits, so that a one-off Saturday clinic is not a regular Saturday; their own span, so that a provider who joined
  late is not left out). A provider with no such weekday (a locum's odd days), or named only on walk-ins, is left out
  and said so in ``left_out``. ``speed_factor`` 1 and no late start (``calibrate`` fits both); no charting time
  after a visit (``documentation_min`` 0, assumed: it is not in an export).
- **Weekday** simulated: the weekday with the most clinic dates (ties: the most booked appointments, then the first
  of the week) on which someone works.
- **Visit types**: every visit type of a booked or walk-in row. A step (check-in, rooming, check-out) is off for a
  visit type when no more than ``USUAL_STEP_SHARE`` of its seen visits (arrived, with a provider stamp) have its stamp
  while more than that of another type's do (a video visit: no room, no front desk); a type without rooming needs no
  room. The provider visit and rooming are lognormal with the mean and sd of ``provider_in`` to ``provider_out`` and
  of ``roomed`` to ``rooming_done`` (starting values: ``calibrate`` refits them); check-in and check-out, whose export
  intervals hold the queue, are assumed (``CHECK_IN``, ``CHECK_OUT``). ``p_no_show`` is the share of no-shows among
  arrived and no-show appointments.
- **Clinic**: opens at the earlier of ``LEAD_MIN`` before the first session and the ``ARRIVAL_QUANTILE`` of the visits'
  first stamps, floored to ``CLOCK_STEP_MIN``; closes at the later of ``LEAD_MIN`` after the last session and the
  ``DEPARTURE_QUANTILE`` of their last stamps, ceiled likewise (before midnight). Exam rooms: at least the peak number
  of patients in a room at once (``roomed`` to ``provider_out``, else ``checked_out``) on any day, the rooms named in a
  ``room`` column, and one per provider working on the busiest weekday (an export cannot show rooms that stood
  empty); without ``roomed`` stamps, ``ROOMS_PER_PROVIDER`` per provider, assumed. Room turnover 0, assumed.
- **Staff**, assumed (an export does not name them): one front-desk group of one person per
  ``PROVIDERS_PER_FRONT_DESK`` providers for check-in and check-out, and a medical assistant per provider for rooming,
  all from opening to closing without breaks; each only when some visit type has their steps.
- **Patients**: lateness 0 and no walk-in streams (``calibrate`` fits both). **No finance**: money is not in an export.

Every value set gets a comment (``Inferred.comments``, by the dotted path ``calibrate`` uses) saying where it came
from; every default the export cannot speak to is a sentence of ``Inferred.assumed``.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from clinicsim.calibration.export import STEPS
from clinicsim.calibration.fit import SESSION_GAP_MIN
from clinicsim.calibration.quality import Quality, check_visits
from clinicsim.scenario import Scenario
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.scenario.vocabulary import BLOCKED, format_clock

logger = logging.getLogger(__name__)

SLOT_ROUNDING_MIN = 5
"""Slot lengths are rounded to whole multiples of this (minutes), and are at least this."""
GRID_SHARE = 0.5
"""A time is on a provider's grid for a weekday when it occurs on at least this share of their dates."""
REGULAR_SHARE = 0.25
"""A provider works a weekday when they have appointments on at least this share of its dates in their span."""
DOUBLE_BOOK_MEDIAN = 2
"""A grid time is double booked when its median count of appointments kept on the day is at least this."""
WHOLE_SLOTS_SHARE = 0.9
"""A slot length fits when at least this share of the gaps between successive appointment times are whole slots."""
USUAL_STEP_SHARE = 0.5
"""A visit type has a step when more than this share of its seen visits have the step's stamp."""
LEAD_MIN = 30
"""The clinic opens at least this long before the first session and closes this long after the last (minutes)."""
CLOCK_STEP_MIN = 15
"""Opening and closing times are rounded out to multiples of this (minutes)."""
ARRIVAL_QUANTILE = 0.01
DEPARTURE_QUANTILE = 0.99
"""Quantiles of the visits' first and last stamps that the opening hours cover."""
LAST_CLOSE_MIN = 24 * 60 - 1
"""Latest closing time (23:59)."""
ROOMS_PER_PROVIDER = 2
"""Exam rooms per provider when the export has no ``roomed`` stamps."""
PROVIDERS_PER_FRONT_DESK = 2
"""Providers per front-desk person (rounded up)."""
CHECK_IN = {"kind": "lognormal", "mean": 4, "sd": 1.5}
CHECK_OUT = {"kind": "lognormal", "mean": 3, "sd": 1}
ROOMING = {"kind": "lognormal", "mean": 6, "sd": 2}
"""Assumed durations (minutes): check-in and check-out always, rooming without ``roomed``/``rooming_done`` stamps."""
STEP_STAMPS = {"check_in": "checked_in", "rooming": "roomed", "check_out": "checked_out"}
"""The stamp that shows a visit had each optional step of the default pathway."""
_CANCELLED = ("cancelled", "late_cancel")
_NAME = re.compile(r"[\w.\- ]+")


class CannotInfer(ValueError):
    """An export the clinic's templates cannot be read from (no booked appointments, no regular weekday, a provider
    name a scenario cannot hold); one sentence saying what to do."""


@dataclass(frozen=True)
class Inferred:
    """A scenario inferred from a visit export (``infer_scenario``)."""

    scenario: Scenario
    comments: dict[str, str]
    """Setting path (as ``Scenario.with_changes`` writes it) to where its value came from."""
    assumed: list[str]
    """Sentences naming each value the export cannot speak to and the default it was given."""
    left_out: list[str] = field(default_factory=list)
    """Sentences naming each provider of the export left out of the scenario, and why."""


@dataclass(frozen=True)
class _Day:
    """The template of one provider on one weekday, with the counts its comments give."""

    sessions: tuple[tuple[float, float], ...]
    slot_min: float
    pattern: tuple[str, ...]
    double_book: tuple[float, ...]
    n_dates: int
    n_gaps: int
    n_whole: int
    mode_min: float
    n_matched: int
    n_grid: int
    n_off_grid: int
    n_crowded: int
    """Grid times with a median count of appointments above ``DOUBLE_BOOK_MEDIAN``."""

    @property
    def shape(self) -> tuple:
        return (self.sessions, self.slot_min, self.pattern, self.double_book)


class _Notes:
    """What the inference says about its values: comments by path, assumptions, providers left out."""

    def __init__(self) -> None:
        self.comments: dict[str, str] = {}
        self.assumed: list[str] = []
        self.left_out: list[str] = []

    def assume(self, sentence: str) -> None:
        if sentence not in self.assumed:
            self.assumed.append(sentence)


# -- booked appointments ---------------------------------------------------------------------------------------


def _booked(visits: pd.DataFrame, quality: Quality) -> pd.DataFrame:
    """Booked appointments (any status, duplicates left out) with ``time`` (minutes, whole) and ``weekday``."""
    keep = (
        ~visits["walk_in"].astype(bool)
        & visits["appointment_min"].notna()
        & visits["provider"].notna()
        & visits["date"].notna()
    )
    if "duplicate" in quality.reasons:
        keep &= ~quality.mask("duplicate").reindex(visits.index, fill_value=False)
    booked = visits.loc[keep, ["date", "appointment_min", "visit_type", "provider", "status"]].copy()
    booked["time"] = booked["appointment_min"].round()
    booked["weekday"] = [WEEKDAYS[d] for d in booked["date"].dt.day_of_week]
    return booked


def _clinic_dates(visits: pd.DataFrame) -> dict[str, int]:
    """Clinic dates (dates with any row) per weekday."""
    dates = pd.Series(visits["date"].dropna().unique())
    return {day: int(n) for day, n in Counter(WEEKDAYS[d.day_of_week] for d in dates).items()}


# -- one provider's weekday ------------------------------------------------------------------------------------


class _Slot(NamedTuple):
    """A slot length and the gaps it was read from."""

    slot_min: float
    n_gaps: int
    """Gaps between successive distinct appointment times of a date."""
    n_whole: int
    """Gaps that are whole slots (within a minute)."""
    mode_min: float
    """The most common gap (the shortest of tied ones)."""


def _whole_slots(gaps: pd.Series, slot_min: float) -> int:
    """How many gaps are whole multiples of ``slot_min`` (within a minute)."""
    rest = gaps % slot_min
    return int(((rest < 1) | (slot_min - rest < 1)).sum())


def _slot_length(day: pd.DataFrame) -> _Slot | None:
    """Slot length (minutes): the mode of the gaps between successive distinct times of each date (the shortest of
    tied modes) rounded to ``SLOT_ROUNDING_MIN``, or the longest multiple of it shorter than that of which at least
    ``WHOLE_SLOTS_SHARE`` of the gaps are whole multiples (gaps of 15 and 30 minutes: 15). None without a gap."""
    times = day.drop_duplicates(["date", "time"]).sort_values(["date", "time"])
    gaps = times.groupby("date")["time"].diff().dropna()
    gaps = gaps[gaps > 0]
    if gaps.empty:
        return None
    counts = gaps.value_counts()
    mode = float(counts[counts == counts.max()].index.min())
    longest = max(1, round(mode / SLOT_ROUNDING_MIN))
    for k in range(longest, 0, -1):
        slot = float(k * SLOT_ROUNDING_MIN)
        whole = _whole_slots(gaps, slot)
        if whole >= WHOLE_SLOTS_SHARE * len(gaps):
            break
    return _Slot(slot, len(gaps), whole, mode)


def _session_gap_min(slot_min: float) -> float:
    """The gap between successive grid times that starts a new session (minutes)."""
    return max(SESSION_GAP_MIN, 2 * slot_min)


def _grid(day: pd.DataFrame, n_dates: int) -> list[float]:
    """Times that occur on at least ``GRID_SHARE`` of the dates, in order (minutes)."""
    dates_at = day.drop_duplicates(["date", "time"])["time"].value_counts()
    return sorted(float(t) for t, n in dates_at.items() if n >= GRID_SHARE * n_dates)


def _runs(times: list[float], gap_min: float) -> list[list[float]]:
    """``times`` split where successive ones are ``gap_min`` or more apart."""
    runs = [[times[0]]]
    for earlier, later in zip(times, times[1:]):
        if later - earlier >= gap_min:
            runs.append([later])
        else:
            runs[-1].append(later)
    return runs


def _modal_types(day: pd.DataFrame) -> dict[float, str]:
    """The most common visit type booked at each time (ties: first by name); times without one are left out."""
    named = day.dropna(subset=["visit_type"])
    counts = named.groupby(["time", "visit_type"]).size().reset_index(name="n")
    counts = counts.sort_values(["time", "n", "visit_type"], ascending=[True, False, True])
    first = counts.drop_duplicates("time")
    return {float(t): str(v) for t, v in zip(first["time"], first["visit_type"])}


def _session(modes: Mapping[float, str], run: list[float], slot: float, fallback: str) -> tuple[list[str], int]:
    """The visit types of a session's slots (``blocked`` where the grid has no time) and how many of its times are
    off the grid of its first time."""
    start = run[0]
    by_position: dict[int, float] = {}
    off_grid = 0
    for time in run:
        position = round((time - start) / slot)
        if abs(time - start - position * slot) < 1:
            by_position[position] = time
        else:
            off_grid += 1
    n = max(by_position) + 1
    return [modes.get(by_position[j], fallback) if j in by_position else BLOCKED for j in range(n)], off_grid


def _pattern(sequences: list[list[str]]) -> tuple[list[str], int, int]:
    """One pattern for every session: the most common entry at each position (ties: the earliest session's), cut to
    its shortest repeating period; with how many of the sessions' slots it matches, out of how many."""
    length = max(len(s) for s in sequences)
    combined = []
    for j in range(length):
        entries = [s[j] for s in sequences if j < len(s)]
        counts = Counter(entries)
        combined.append(next(e for e in entries if counts[e] == max(counts.values())))
    period = next(p for p in range(1, length + 1) if all(combined[j] == combined[j % p] for j in range(length)))
    pattern = combined[:period]
    matched = sum(pattern[j % period] == e for s in sequences for j, e in enumerate(s))
    return pattern, matched, sum(len(s) for s in sequences)


def _through_blocked(
    sessions: list[tuple[float, float]], pattern: list[str], slot_min: float
) -> list[tuple[float, float]]:
    """Sessions run on over the slots the pattern blocks after their last time (no appointment shows where a
    session of a pattern ending in admin time ends), up to the next session's start."""
    out = []
    for i, (start, end) in enumerate(sessions):
        limit = sessions[i + 1][0] if i + 1 < len(sessions) else math.inf
        n = round((end - start) / slot_min)
        while pattern[n % len(pattern)] == BLOCKED and start + (n + 1) * slot_min <= limit:
            n += 1
        out.append((start, start + n * slot_min))
    return out


def _double_booked(day: pd.DataFrame, grid: list[float], dates: pd.Index) -> tuple[list[float], int]:
    """Grid times whose median count of appointments kept on the day, over ``dates``, is ``DOUBLE_BOOK_MEDIAN`` or
    more (a date without one counts 0); with how many have a median above it (more than a double booking holds)."""
    kept = day[~day["status"].isin(_CANCELLED)]
    counts = kept.groupby(["date", "time"]).size().unstack(fill_value=0)
    medians = counts.reindex(index=dates, columns=grid, fill_value=0).median()
    return [t for t in grid if medians[t] >= DOUBLE_BOOK_MEDIAN], int((medians > DOUBLE_BOOK_MEDIAN).sum())


def _provider_day(day: pd.DataFrame, slot: _Slot) -> _Day | None:
    """The template of one provider's weekday from its booked appointments, with a slot length already found; None
    when no time recurs on enough of the dates to make a grid."""
    slot_min = slot.slot_min
    dates = pd.Index(sorted(day["date"].unique()))
    grid = _grid(day, len(dates))
    if not grid:
        return None
    fallback = str(day["visit_type"].mode().iloc[0]) if day["visit_type"].notna().any() else BLOCKED
    modes = _modal_types(day)
    sessions, sequences, off_grid = [], [], 0
    for run in _runs(grid, _session_gap_min(slot_min)):
        sequence, off = _session(modes, run, slot_min, fallback)
        sessions.append((run[0], run[0] + len(sequence) * slot_min))
        sequences.append(sequence)
        off_grid += off
    pattern, matched, n_grid = _pattern(sequences)
    sessions = _through_blocked(sessions, pattern, slot_min)
    on_grid = {s + j * slot_min for (s, _), seq in zip(sessions, sequences) for j, e in enumerate(seq) if e != BLOCKED}
    doubles, n_crowded = _double_booked(day, sorted(on_grid), dates)
    return _Day(
        tuple(sessions),
        slot_min,
        tuple(pattern),
        tuple(doubles),
        len(dates),
        slot.n_gaps,
        slot.n_whole,
        slot.mode_min,
        matched,
        n_grid,
        off_grid,
        n_crowded,
    )


def _weekdays_in_span(dates: pd.Series) -> dict[str, int]:
    """How many of each weekday the calendar has from the first to the last of ``dates``."""
    span = pd.date_range(dates.min(), dates.max(), freq="D")
    return {day: int(n) for day, n in Counter(WEEKDAYS[d] for d in span.day_of_week).items()}


def _provider_days(booked: pd.DataFrame, notes: _Notes) -> tuple[dict[str, dict[str, _Day]], dict[str, dict]]:
    """Each provider's template on each weekday they work regularly (providers left out are noted), and the
    weekdays of each provider's span of the export."""
    out: dict[str, dict[str, _Day]] = {}
    spans: dict[str, dict[str, int]] = {}
    for provider, rows in booked.groupby("provider", sort=True):
        span = _weekdays_in_span(rows["date"])
        own = _slot_length(rows)
        days = {}
        for weekday, day in rows.groupby("weekday"):
            if day["date"].nunique() < REGULAR_SHARE * span[weekday]:
                continue
            slot = _slot_length(day) or own
            inferred = _provider_day(day, slot) if slot is not None else None
            if inferred is not None:
                days[weekday] = inferred
        if days:
            out[str(provider)] = dict(sorted(days.items(), key=lambda kv: WEEKDAYS.index(kv[0])))
            spans[str(provider)] = span
        else:
            why = _why_left_out(rows, span, own)
            notes.left_out.append(f"Provider {provider!r}: {why}; not in the scenario.")
            logger.warning("provider %r left out of the inferred scenario: %s", provider, why)
    return out, spans


def _why_left_out(rows: pd.DataFrame, span: Mapping[str, int], slot: _Slot | None) -> str:
    if slot is None:
        return "never two appointment times on one date, so no slot length"
    dates = rows.groupby("weekday")["date"].nunique()
    worked = ", ".join(f"{n} of {span[wd]} {wd}" for wd, n in dates.items())
    return (
        f"appointments on under {REGULAR_SHARE:.0%} of each weekday's dates ({worked}), or no time booked on "
        f"{GRID_SHARE:.0%} of them"
    )


# -- templates shared ------------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"p_{slug}"


def _days_label(weekdays: Iterable[str]) -> str:
    """``mon_to_fri`` for three or more successive weekdays, else ``mon_wed``."""
    days = sorted(set(weekdays), key=WEEKDAYS.index)
    indices = [WEEKDAYS.index(d) for d in days]
    if len(days) >= 3 and indices == list(range(indices[0], indices[-1] + 1)):
        return f"{days[0]}_to_{days[-1]}"
    return "_".join(days)


def _template_names(users: Mapping[tuple, list[tuple[str, str]]]) -> dict[tuple, str]:
    """A readable, unique name for each template shape: its provider and weekdays, or its weekdays and slot length
    when several providers share it (and its first start when that is not unique)."""
    names: dict[tuple, str] = {}
    for shape, who in users.items():
        providers = sorted({p for p, _ in who})
        days = _days_label(wd for _, wd in who)
        base = f"{_slug(providers[0])}_{days}" if len(providers) == 1 else f"{days}_{shape[1]:g}min"
        if base in names.values():
            base = f"{base}_from_{format_clock(shape[0][0][0]).replace(':', '')}"
        name, k = base, 2
        while name in names.values():
            name, k = f"{base}_{k}", k + 1
        names[shape] = name
    return names


def _templates(days: Mapping[str, Mapping[str, _Day]], notes: _Notes) -> tuple[dict[str, Any], dict[str, dict]]:
    """The templates (one per distinct shape) and each provider's weekday map, with their comments."""
    users: dict[tuple, list[tuple[str, str]]] = {}
    found: dict[tuple, list[_Day]] = {}
    for provider, by_day in days.items():
        for weekday, day in by_day.items():
            users.setdefault(day.shape, []).append((provider, weekday))
            found.setdefault(day.shape, []).append(day)
    names = _template_names(users)
    templates = {names[shape]: _template(found[shape], f"templates.{names[shape]}", notes) for shape in users}
    maps = {p: {wd: names[day.shape] for wd, day in by_day.items()} for p, by_day in days.items()}
    return templates, maps


def _template(days: list[_Day], path: str, notes: _Notes) -> dict[str, Any]:
    """One template as a scenario writes it, and the comments of its values."""
    day = days[0]
    n_dates, n_gaps, n_whole = (sum(getattr(d, k) for d in days) for k in ("n_dates", "n_gaps", "n_whole"))
    matched, n_grid, off_grid = (sum(getattr(d, k) for d in days) for k in ("n_matched", "n_grid", "n_off_grid"))
    where = f"{len(days)} provider-weekday{'s' * (len(days) > 1)}, {n_dates:,} provider-days"
    notes.comments[f"{path}.slot_min"] = (
        f"{n_whole:,} of {n_gaps:,} gaps between successive appointment times are whole slots (their mode: "
        f"{day.mode_min:g} min)"
    )
    off = f"; {off_grid:,} off the slot grid left out" if off_grid else ""
    notes.comments[f"{path}.sessions"] = (
        f"times booked on at least {GRID_SHARE:.0%} of the dates ({where}), split at gaps of "
        f"{_session_gap_min(day.slot_min):g} min or more{off}"
    )
    notes.comments[f"{path}.pattern"] = (
        f"modal visit type of each slot; matches {matched:,} of {n_grid:,} slots of the sessions"
    )
    if matched < n_grid:
        logger.warning("%s: the pattern matches %d of %d slots of the sessions", path, matched, n_grid)
    notes.comments[f"{path}.rule"] = "assumed: fixed interval (one patient at each slot's time)"
    out: dict[str, Any] = {
        "sessions": [{"start": format_clock(s), "end": format_clock(e)} for s, e in day.sessions],
        "slot_min": day.slot_min,
        "pattern": list(day.pattern),
        "rule": {"kind": "fixed_interval"},
    }
    if day.double_book:
        out["double_book"] = [format_clock(t) for t in day.double_book]
        crowded = sum(d.n_crowded for d in days)
        more = f"; {crowded} with a median of more, which a double booking cannot hold (a wave?)" if crowded else ""
        notes.comments[f"{path}.double_book"] = (
            f"slots with a median of {DOUBLE_BOOK_MEDIAN} or more appointments kept on the day{more}"
        )
        if crowded:
            logger.warning("%s: %d slots hold a median of more than %d appointments", path, crowded, DOUBLE_BOOK_MEDIAN)
    return out


# -- visit types -----------------------------------------------------------------------------------------------


def _lognormal(values: pd.Series) -> dict[str, Any] | None:
    """Lognormal with the mean and sd of the positive values (0.01 minute), None with fewer than two or no spread."""
    x = values[values > 0].dropna()
    if len(x) < 2 or not x.std() > 0:
        return None
    return {"kind": "lognormal", "mean": round(float(x.mean()), 2), "sd": max(round(float(x.std()), 2), 0.01)}


def _step_states(seen: pd.DataFrame, steps: list[str]) -> dict[str, dict[str, bool | None]]:
    """For each visit type with seen visits and each optional step: True when the type has it, False when it does
    not while another type does, None when the export cannot say (no such stamps)."""
    states: dict[str, dict[str, bool | None]] = {}
    shares = {
        step: seen.groupby("visit_type")[stamp].apply(lambda s: s.notna().mean())
        for step, stamp in STEP_STAMPS.items()
        if stamp in steps
    }
    for visit_type in seen["visit_type"].dropna().unique():
        states[str(visit_type)] = {}
        for step in STEP_STAMPS:
            share = shares.get(step)
            if share is None or not (share > USUAL_STEP_SHARE).any():
                states[str(visit_type)][step] = None
            else:
                states[str(visit_type)][step] = bool(share[visit_type] > USUAL_STEP_SHARE)
    return states


def _durations(
    name: str, rows: pd.DataFrame, states: Mapping[str, bool | None], slot_min: float, quality: Quality, notes: _Notes
) -> dict[str, Any]:
    """The ``durations_min`` of one visit type from its seen visits (``rows``)."""
    path = f"visit_types.{name}.durations_min"
    out: dict[str, Any] = {}
    kept = ~quality.excluded("provider_visit").reindex(rows.index, fill_value=False)
    visit = _lognormal((rows["provider_out"] - rows["provider_in"])[kept])
    if visit is None:
        visit = {"kind": "lognormal", "mean": slot_min, "sd": round(slot_min / 3, 2)}
        notes.comments[f"{path}.provider_visit"] = "assumed: the slot length (fewer than 2 provider visits timed)"
        notes.assume(f"The {name} provider visit is assumed to last about a slot: the export times too few of them.")
    else:
        n = int(((rows["provider_out"] - rows["provider_in"])[kept] > 0).sum())
        notes.comments[f"{path}.provider_visit"] = (
            f"mean and sd of {n:,} provider visits (provider_in to provider_out); calibrate refits it"
        )
    out["provider_visit"] = visit
    for step, default in (("check_in", CHECK_IN), ("rooming", ROOMING), ("check_out", CHECK_OUT)):
        state = states.get(step)
        if state is False:
            out[step] = None
            notes.comments[f"{path}.{step}"] = (
                f"none: {name} visits lack the {STEP_STAMPS[step]} stamp that other visit types have"
            )
            continue
        fitted = _rooming(rows, quality) if step == "rooming" else None
        if fitted is not None:
            out[step], n = fitted
            notes.comments[f"{path}.{step}"] = f"mean and sd of {n:,} roomings (roomed to rooming_done)"
        else:
            out[step] = dict(default)
            notes.comments[f"{path}.{step}"] = "assumed: not timed in the export"
    return out


def _rooming(rows: pd.DataFrame, quality: Quality) -> tuple[dict[str, Any], int] | None:
    kept = ~quality.excluded("rooming").reindex(rows.index, fill_value=False)
    minutes = (rows["rooming_done"] - rows["roomed"])[kept]
    fitted = _lognormal(minutes)
    return None if fitted is None else (fitted, int((minutes > 0).sum()))


def _no_show(booked: pd.DataFrame, name: str) -> tuple[float, int, int]:
    """Share of no-shows among arrived and no-show appointments of a visit type, with the counts."""
    status = booked.loc[booked["visit_type"] == name, "status"]
    no_show, n = int((status == "no_show").sum()), int(status.isin(["arrived", "no_show"]).sum())
    return (round(no_show / n, 4) if n else 0.0), no_show, n


def _visit_types(
    visits: pd.DataFrame, booked: pd.DataFrame, quality: Quality, slot_min: float, notes: _Notes
) -> dict[str, Any]:
    """Every visit type of a booked or walk-in row, with its durations, room and no-show rate."""
    steps = list(visits.attrs.get("steps", [s for s in STEPS if visits[s].notna().any()]))
    unique = ~quality.mask("duplicate").reindex(visits.index, fill_value=False)
    seen = visits[
        unique & (visits["status"] == "arrived") & (visits["provider_in"].notna() | visits["provider_out"].notna())
    ]
    states = _step_states(seen, steps)
    names = sorted(
        set(booked["visit_type"].dropna()) | set(visits.loc[visits["walk_in"].astype(bool), "visit_type"].dropna())
    )
    out = {}
    for name in names:
        state = states.get(name, {})
        durations = _durations(name, seen[seen["visit_type"] == name], state, slot_min, quality, notes)
        p, no_show, n = _no_show(booked, name)
        notes.comments[f"visit_types.{name}.p_no_show"] = (
            f"{no_show:,} no-shows of {n:,} arrived or no-show appointments"
            if n
            else "0: no booked visit arrived or missed"
        )
        out[name] = {"p_no_show": p, "durations_min": durations}
        if durations["rooming"] is None:
            out[name]["needs_room"] = False
            notes.comments[f"visit_types.{name}.needs_room"] = "no roomed stamps, while other visit types have them"
    unknown = [step for step in STEP_STAMPS if any(states.get(n, {}).get(step) is None for n in names)]
    if unknown:
        notes.assume(
            f"The export has no {', '.join(STEP_STAMPS[s] for s in unknown)} stamps to tell which visit types have "
            f"{', '.join(unknown)}: those visit types are assumed to have them."
        )
    return out


# -- clinic, staff ---------------------------------------------------------------------------------------------


def _stamp_rows(visits: pd.DataFrame, quality: Quality, steps: list[str]) -> pd.DataFrame:
    """The step stamps of the rows none of whose stamps is in doubt (duplicates and broken rows left out)."""
    doubt = pd.Series(False, index=visits.index)
    for step in steps:
        doubt |= quality.excluded((step, step)).reindex(visits.index, fill_value=False)
    return visits.loc[~doubt, steps]


def _opening_hours(
    visits: pd.DataFrame, quality: Quality, sessions: list[tuple[float, float]], notes: _Notes
) -> tuple[float, float]:
    """Opening and closing times (minutes): the sessions with ``LEAD_MIN`` either side, widened to the visits' first
    and last stamps (``ARRIVAL_QUANTILE``, ``DEPARTURE_QUANTILE``), rounded out to ``CLOCK_STEP_MIN``."""
    steps = [s for s in visits.attrs.get("steps", STEPS) if s in visits]
    stamps = _stamp_rows(visits, quality, steps) if steps else pd.DataFrame()
    first = stamps.min(axis=1).dropna() if steps else pd.Series(dtype=float)
    last = stamps.max(axis=1).dropna() if steps else pd.Series(dtype=float)
    opens = min(s for s, _ in sessions) - LEAD_MIN
    closes = max(e for _, e in sessions) + LEAD_MIN
    if len(first):
        opens = min(opens, float(first.quantile(ARRIVAL_QUANTILE)))
        closes = max(closes, float(last.quantile(DEPARTURE_QUANTILE)))
    opens = max(0.0, CLOCK_STEP_MIN * math.floor(opens / CLOCK_STEP_MIN))
    closes = min(LAST_CLOSE_MIN, CLOCK_STEP_MIN * math.ceil(closes / CLOCK_STEP_MIN))
    seen = f", and the {ARRIVAL_QUANTILE:.0%} quantile of {len(first):,} visits' first stamps" if len(first) else ""
    notes.comments["clinic.opens"] = f"{LEAD_MIN} min before the first session{seen}, the earlier"
    seen = f", and the {DEPARTURE_QUANTILE:.0%} quantile of their last stamps" if len(last) else ""
    notes.comments["clinic.closes"] = f"{LEAD_MIN} min after the last session{seen}, the later"
    return opens, closes


def _peak_in_rooms(visits: pd.DataFrame, quality: Quality) -> tuple[int, int]:
    """The most patients in an exam room at once (``roomed`` to ``provider_out``, else ``checked_out``) on any date,
    and the number of visits counted."""
    end = visits["provider_out"].where(visits["provider_out"].notna(), visits["checked_out"])
    doubt = quality.excluded(("roomed", "provider_out")) | quality.excluded(("roomed", "checked_out"))
    use = (
        visits["roomed"].notna()
        & end.notna()
        & (end >= visits["roomed"])
        & ~doubt.reindex(visits.index, fill_value=False)
    )
    if not use.any():
        return 0, 0
    events = pd.DataFrame(
        {
            "date": pd.concat([visits.loc[use, "date"], visits.loc[use, "date"]]),
            "time": pd.concat([visits.loc[use, "roomed"], end[use]]),
            "change": np.r_[np.ones(use.sum()), -np.ones(use.sum())],
        }
    ).sort_values(["date", "time", "change"], kind="stable")  # a room left at t is free for a patient roomed at t
    in_rooms = events.groupby("date")["change"].cumsum()
    return int(in_rooms.max()), int(use.sum())


def _exam_rooms(visits: pd.DataFrame, quality: Quality, n_providers: int, notes: _Notes) -> int:
    """Exam rooms: at least the observed peak in rooms, the rooms named, and one per provider of the busiest
    weekday; ``ROOMS_PER_PROVIDER`` per provider, assumed, without ``roomed`` stamps."""
    peak, n = _peak_in_rooms(visits, quality)
    if n == 0:
        rooms = ROOMS_PER_PROVIDER * n_providers
        notes.comments["clinic.exam_rooms"] = f"assumed: {ROOMS_PER_PROVIDER} per provider (no roomed stamps)"
        notes.assume(f"Exam rooms: {ROOMS_PER_PROVIDER} per provider ({rooms}); the export has no roomed stamps.")
        return rooms
    named = int(visits["room"].dropna().nunique()) if "room" in visits else 0
    rooms = max(peak, named, n_providers)
    also = f", {named} rooms named" if named else ""
    notes.comments["clinic.exam_rooms"] = (
        f"at least the observed peak of {peak} patients in rooms at once ({n:,} roomed visits){also}, and one per "
        f"provider ({n_providers}); the export cannot show rooms that stood empty"
    )
    return rooms


def _staff(
    visit_types: Mapping[str, Any], providers: list[str], n_providers: int, opens: float, closes: float, notes: _Notes
) -> list[dict[str, Any]]:
    """A front-desk group (when some visit type checks in or out) and a medical assistant per provider (when some
    visit type is roomed), all working from opening to closing; assumed."""
    steps = {step for vt in visit_types.values() for step, d in vt["durations_min"].items() if d is not None}
    shift = [{"start": format_clock(opens), "end": format_clock(closes)}]
    staff: list[dict[str, Any]] = []
    desk = sorted(steps & {"check_in", "check_out"}, key=["check_in", "check_out"].index)
    if desk:
        count = math.ceil(n_providers / PROVIDERS_PER_FRONT_DESK)
        staff.append({"name": "Front desk", "role": "front_desk", "count": count, "serves": desk, "shifts": shift})
        notes.comments["staff.Front desk.count"] = f"assumed: one per {PROVIDERS_PER_FRONT_DESK} providers"
        notes.assume(
            f"Front desk: {count} (one per {PROVIDERS_PER_FRONT_DESK} providers) doing {' and '.join(desk)}, from "
            "opening to closing without breaks; the export does not say who works the desk."
        )
    if "rooming" in steps:
        for provider in providers:
            name = f"MA for {provider}"
            staff.append(
                {
                    "name": name,
                    "role": "medical_assistant",
                    "serves": ["rooming"],
                    "assigned_to": [provider],
                    "shifts": shift,
                }
            )
            notes.comments[f"staff.{name}.assigned_to"] = "assumed: one medical assistant per provider"
        notes.assume(
            "Medical assistants: one per provider, rooming their patients, from opening to closing without breaks; "
            "the export does not name staff."
        )
    return staff


# -- the scenario ----------------------------------------------------------------------------------------------


def _weekday(
    booked: pd.DataFrame, clinic_dates: Mapping[str, int], maps: Mapping[str, Mapping[str, str]], notes: _Notes
) -> str:
    """The weekday with the most clinic dates, then the most booked appointments, then the first of the week, among
    those someone works."""
    worked = {wd for by_day in maps.values() for wd in by_day}
    rows = booked["weekday"].value_counts()
    weekday = max(sorted(worked, key=WEEKDAYS.index), key=lambda wd: (clinic_dates.get(wd, 0), int(rows.get(wd, 0))))
    notes.comments["weekday"] = (
        f"most common weekday of the export's {sum(clinic_dates.values()):,} clinic dates "
        f"({clinic_dates.get(weekday, 0)}; ties: the most booked appointments)"
    )
    return weekday


def _provider_comments(
    days: Mapping[str, Mapping[str, _Day]], spans: Mapping[str, Mapping[str, int]], notes: _Notes
) -> None:
    for provider, by_day in days.items():
        notes.comments[f"providers.{provider}.template"] = (
            f"weekdays with appointments on at least {REGULAR_SHARE:.0%} of their dates in the provider's span: "
            + ", ".join(f"{day.n_dates} of {spans[provider][wd]} {wd}" for wd, day in by_day.items())
        )
        notes.comments[f"providers.{provider}.speed_factor"] = "default 1: calibrate fits it"
        notes.comments[f"providers.{provider}.late_start_min"] = "default 0: calibrate fits it"
        notes.comments[f"providers.{provider}.documentation_min"] = "assumed: 0 (charting is not in the export)"


def _walk_in_only(visits: pd.DataFrame, booked: pd.DataFrame, notes: _Notes) -> None:
    """Note the providers the export names only on walk-ins."""
    for provider in sorted(
        set(visits.loc[visits["walk_in"].astype(bool), "provider"].dropna()) - set(booked["provider"])
    ):
        notes.left_out.append(
            f"Provider {provider!r}: sees only walk-ins, so no template to infer; not in the scenario."
        )


def _check_names(providers: Iterable[str]) -> None:
    for name in providers:
        if not _NAME.fullmatch(name):
            raise CannotInfer(
                f"provider {name!r}: a scenario names providers with letters, digits, spaces and . _ - only; rename "
                "them in the export (or give a base scenario)"
            )


def _assumptions(visit_types: Mapping[str, Any], notes: _Notes) -> None:
    """The sentences of what every inferred scenario assumes."""
    used = {step for vt in visit_types.values() for step, d in vt["durations_min"].items() if d is not None}
    if used & {"check_in", "check_out"}:
        notes.assume(
            f"Check-in lasts lognormal mean {CHECK_IN['mean']:g}, sd {CHECK_IN['sd']:g} min and check-out mean "
            f"{CHECK_OUT['mean']:g}, sd {CHECK_OUT['sd']:g} min: an export's check-in and check-out times include "
            "the queue, so they are not service times."
        )
    rooming = [vt["durations_min"].get("rooming") for vt in visit_types.values()]
    if any(r is not None and r == ROOMING for r in rooming):
        notes.assume(
            f"Rooming lasts lognormal mean {ROOMING['mean']:g}, sd {ROOMING['sd']:g} min where the export does not "
            "time it (roomed to rooming_done)."
        )
    notes.assume("Exam rooms are pooled and turned over in 0 minutes.")
    notes.comments["clinic.room_turnover_min"] = "assumed: not in the export"
    notes.assume("Templates follow the fixed-interval rule, without overbooking.")
    notes.assume(
        "Providers chart in 0 minutes after each visit (documentation_min): charting time is not in the export, "
        "though the gaps between a provider's visits hold it."
    )
    notes.assume("No finance: money (fees, payers, wages, overhead) is not in a visit export.")


def infer_scenario(
    visits: pd.DataFrame, quality: Quality | None = None, *, name: str = "Inferred from the visit export"
) -> Inferred:
    """A scenario inferred from a visit export (``export.read_visits``; ``quality`` its ``check_visits``, made here
    when not given): templates from the appointment grid, visit types from the visits, defaults for the rest (see
    the module docstring). CannotInfer when the export has no booked appointment, or no provider works any weekday
    regularly with a slot grid to read."""
    quality = quality if quality is not None else check_visits(visits)
    notes = _Notes()
    booked = _booked(visits, quality)
    if booked.empty:
        raise CannotInfer(
            "the export has no booked appointments (rows with an appointment time): the clinic's templates cannot be "
            "inferred; give a base scenario"
        )
    if booked["visit_type"].isna().all():
        raise CannotInfer("the export's booked appointments have no visit type: give each row its visit type")
    _check_names(booked["provider"].unique())
    days, spans = _provider_days(booked, notes)
    _walk_in_only(visits, booked, notes)
    if not days:
        raise CannotInfer(
            "no provider has appointments on a regular weekday with two appointment times on one date: the clinic's "
            "templates cannot be inferred; give a base scenario"
        )
    templates, maps = _templates(days, notes)
    _provider_comments(days, spans, notes)
    slot_min = Counter(t["slot_min"] for t in templates.values()).most_common(1)[0][0]
    visit_types = _visit_types(visits, booked, quality, slot_min, notes)
    n_providers = max(Counter(wd for by_day in maps.values() for wd in by_day).values())
    sessions = [(d.sessions[0][0], d.sessions[-1][1]) for by_day in days.values() for d in by_day.values()]
    opens, closes = _opening_hours(visits, quality, sessions, notes)
    data = {
        "name": name,
        "description": _description(visits, booked),
        "weekday": _weekday(booked, _clinic_dates(visits), maps, notes),
        "clinic": {
            "opens": format_clock(opens),
            "closes": format_clock(closes),
            "exam_rooms": _exam_rooms(visits, quality, n_providers, notes),
        },
        "visit_types": visit_types,
        "templates": templates,
        "providers": [{"name": p, "template": by_day} for p, by_day in maps.items()],
        "staff": _staff(visit_types, list(maps), n_providers, opens, closes, notes),
    }
    _assumptions(visit_types, notes)
    scenario = Scenario.model_validate(data)
    logger.info(
        "inferred %d templates of %d providers from %d booked appointments", len(templates), len(maps), len(booked)
    )
    return Inferred(scenario, notes.comments, notes.assumed, notes.left_out)


def _description(visits: pd.DataFrame, booked: pd.DataFrame) -> str:
    dates = visits["date"].dropna()
    return (
        f"Inferred from {len(booked):,} booked appointments on {dates.nunique():,} clinic dates "
        f"({dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}): templates from the appointment grid; durations and "
        "no-show rates are starting values for calibration; staff, check-in and check-out are assumed."
    )
