"""The data problems of a visit export, counted by reason with example rows, and the rows each fit must leave out.

An EHR export is never clean: a date nobody can read, a provider who clicked "in" after "out", a visit typed in
twice, a no-show with a check-in time. Fitting through such rows biases every number of the calibration, and
dropping them quietly hides how much of the clinic's data was used. So nothing here fixes or drops a row:
``check_visits`` looks at the visits ``export.read_visits`` returns and hands back a ``Quality`` that

- counts each problem by reason, with a sentence and the first example rows of the file (``table``);
- says, for each interval a fit uses (``INTERVALS``: the provider visit, rooming, lateness, the waits), which rows
  to leave out of it (``excluded``) and for what reason (``exclusions``).

The caller decides what to do with them (the calibration report states every exclusion).

A problem *touches* the values it puts in doubt, and a row is left out of an interval's fit only when a problem
touches one of the interval's two ends: a provider who clicked "in" before the medical assistant finished rooming
touches ``rooming_done`` and ``provider_in`` (either may be the wrong one), so the row is left out of the rooming and
provider-visit fits, not of the check-in wait. Some problems put the whole row in doubt and touch every value: a
duplicate, an unreadable date, an unknown status, no visit type, step times on a no-show or a cancellation, an
arrived visit without any step time. Duplicates (rows like an earlier one in every value read: date, provider,
appointment time, visit type, status, booking date and step times) are counted once: the second and later copies
are reported as duplicates only, and left out of every fit, while the first copy is checked like any other row.
(Without a patient column, two rows of one slot without step times, a slot cancelled twice say, cannot be told
from one row written twice: they are reported.)

Reasons, in the order they are reported (``REASONS``):

- ``duplicate``: the same date, provider, appointment time, visit type, status, booking date and step times as an
  earlier row;
- ``unreadable_date``: the date is empty or unreadable;
- ``unknown_status``: the status is empty or not a word ``export.STATUS_WORDS`` knows;
- ``no_visit_type``, ``no_provider``: the visit type or the provider is empty;
- ``not_arrived_with_steps``: a no-show or a cancellation (late or not) with step times;
- ``arrived_without_steps``: an arrived visit without any step time (in a file that has step times);
- ``unreadable_appointment_time``, ``unreadable_time``: a time written but unreadable (an empty appointment time is a
  walk-in, an empty step time a missing step: neither is unreadable);
- ``crosses_midnight``: a time before midnight or after the next midnight of the visit's date;
- ``out_of_order``: a step time before the step that comes before it (among the steps the row has, in the order of
  ``export.STEPS``; equal times are in order);
- ``zero_duration``: a provider visit or rooming of 0 minutes;
- ``over_limit``: a provider visit, a rooming or any other time between two successive steps over its limit, or an
  arrival further from the appointment time than ``Limits.interval_max_min`` (``Limits``);
- ``missing_step``: an arrived visit lacking a step that most arrived visits of its visit type have (more than
  ``Limits.usual_step_share`` of them: a telehealth visit without rooming is not missing anything when telehealth
  visits are never roomed), or one end of the rooming or of the provider visit when it has the other;
- ``unreadable_booked_on``: a booking date written but unreadable;
- ``booked_after_date``: a booking date after the visit's date.

All checks are vectorized (a year of a 10-provider clinic, about 50,000 rows, takes well under a second).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clinicsim.calibration.export import STEPS
from clinicsim.formatting import count_of

logger = logging.getLogger(__name__)

INTERVALS: dict[str, tuple[str, str]] = {
    "lateness": ("appointment_min", "arrived"),
    "check_in_wait": ("arrived", "checked_in"),
    "room_wait": ("checked_in", "roomed"),
    "rooming": ("roomed", "rooming_done"),
    "in_room_wait": ("rooming_done", "provider_in"),
    "provider_visit": ("provider_in", "provider_out"),
    "check_out_wait": ("provider_out", "checked_out"),
    "arrival_to_provider": ("arrived", "provider_in"),
    "cycle_time": ("arrived", "checked_out"),
}
"""The intervals a calibration fits or a back-test compares, each from a start column to an end column of the
visits (minutes from midnight): ``lateness`` is arrival minus the appointment time (negative when early); the
provider visit and rooming are service times; the waits include the queue and, for check-in and check-out, the
front desk's own service; ``cycle_time`` is arrival to check-out done."""

REASONS: dict[str, str] = {
    "duplicate": "Duplicate of an earlier row (same date, provider, appointment time, visit type, status, booking "
    "date and step times; the earlier row stands for it in every fit)",
    "unreadable_date": "Date empty or unreadable",
    "unknown_status": "Status empty or not a known word",
    "no_visit_type": "No visit type",
    "no_provider": "No provider",
    "not_arrived_with_steps": "A no-show or cancellation with step times",
    "arrived_without_steps": "Arrived, but no step time at all",
    "unreadable_appointment_time": "Appointment time written but unreadable",
    "unreadable_time": "Step time written but unreadable",
    "crosses_midnight": "A time outside the visit's date (crossing midnight)",
    "out_of_order": "Timestamps out of order",
    "zero_duration": "Duration of 0 min",
    "over_limit": "Duration over its limit",
    "missing_step": "Arrived visit lacking a step most arrived visits of its type have",
    "unreadable_booked_on": "Booking date written but unreadable",
    "booked_after_date": "Booked after the visit's date",
}
"""Reason codes and what each means, in the order they are reported and exclusions are attributed."""

N_EXAMPLES = 5
"""Example row numbers given per reason."""

ZERO_CHECKED = ("provider_visit", "rooming")
"""The services: intervals that cannot take 0 minutes (a wait of 0 is real), and whose start and end come together
(a visit with one has the other)."""

_NOT_ARRIVED = ("no_show", "cancelled", "late_cancel")


@dataclass(frozen=True)
class Limits:
    """How long an interval may plausibly last before it counts as a data problem (``over_limit``), and how common a
    step must be among a visit type's arrived visits for its absence to count as missing (``missing_step``)."""

    provider_visit_max_min: float = 180.0
    """Longest plausible provider visit (``provider_in`` to ``provider_out``)."""
    rooming_max_min: float = 120.0
    """Longest plausible rooming (``roomed`` to ``rooming_done``)."""
    interval_max_min: float = 480.0
    """Longest plausible time between any two successive steps of a visit, and between the arrival and the
    appointment time (early or late)."""
    usual_step_share: float = 0.5
    """A step is expected of an arrived visit when more than this share of the arrived visits of its visit type
    have it."""

    def __post_init__(self) -> None:
        for name in ("provider_visit_max_min", "rooming_max_min", "interval_max_min"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive, not {getattr(self, name)}")
        if not 0 <= self.usual_step_share < 1:
            raise ValueError(f"Limits.usual_step_share must be in [0, 1), not {self.usual_step_share}")

    def max_min(self, interval: str) -> float:
        """The limit of an interval of ``INTERVALS`` (the general one unless it has its own)."""
        own = {"provider_visit": self.provider_visit_max_min, "rooming": self.rooming_max_min}
        return own.get(interval, self.interval_max_min)


@dataclass(frozen=True)
class _Problem:
    """Rows with one kind of problem; ``touches`` maps each value it puts in doubt to the rows where it does (None:
    the whole row); ``details`` counts rows by what exactly is wrong, for the sentence."""

    reason: str
    mask: np.ndarray
    touches: Mapping[str, np.ndarray] | None
    details: Mapping[str, int] = field(default_factory=dict)

    def touching(self, columns: tuple[str, ...]) -> np.ndarray:
        if self.touches is None:
            return self.mask
        out = np.zeros_like(self.mask)
        for column in columns:
            if column in self.touches:
                out |= self.touches[column]
        return out


@dataclass(frozen=True)
class Quality:
    """The data problems of a set of visits (``check_visits``): a table by reason, and the rows each fit must leave
    out, with the reason. Row masks are aligned with the visits' index; rows are reported by their ``row`` number
    (the line of the file)."""

    index: pd.Index
    row_numbers: np.ndarray
    problems: Mapping[str, _Problem]
    columns: tuple[str, ...]
    """The columns the visits have values for (``appointment_min`` and the file's steps): ``exclusions`` covers the
    intervals between two of them."""
    limits: Limits

    @property
    def reasons(self) -> list[str]:
        """The reasons found, in the order of ``REASONS``."""
        return [r for r in REASONS if r in self.problems]

    def table(self) -> pd.DataFrame:
        """One line per reason found: ``reason`` (a code of ``REASONS``), ``sentence``, ``rows`` (how many rows) and
        ``examples`` (the first row numbers, up to 5). Empty when the visits have no problem."""
        lines = []
        for reason in self.reasons:
            problem = self.problems[reason]
            n = int(problem.mask.sum())
            detail = "; ".join(f"{what}: {k}" for what, k in problem.details.items())
            sentence = f"{REASONS[reason]}: {count_of(n, 'row')}" + (f" ({detail})" if detail else "") + "."
            examples = [int(r) for r in self.row_numbers[problem.mask][:N_EXAMPLES]]
            lines.append({"reason": reason, "sentence": sentence, "rows": n, "examples": examples})
        return pd.DataFrame(lines, columns=["reason", "sentence", "rows", "examples"])

    def mask(self, reason: str) -> pd.Series:
        """Which rows have the problem ``reason`` (all False when none has it)."""
        if reason not in REASONS:
            raise ValueError(f"no reason {reason!r} (reasons: {', '.join(REASONS)})")
        problem = self.problems.get(reason)
        values = problem.mask if problem is not None else np.zeros(len(self.index), dtype=bool)
        return pd.Series(values, index=self.index, name=reason)

    def excluded(self, interval: str | tuple[str, str]) -> pd.Series:
        """Which rows must be left out of the fit of ``interval`` (a name of ``INTERVALS`` or a pair of columns):
        those with a problem that touches either end of it, or the whole row."""
        columns = _interval_columns(interval)
        out = np.zeros(len(self.index), dtype=bool)
        for problem in self.problems.values():
            out |= problem.touching(columns)
        return pd.Series(out, index=self.index, name=interval if isinstance(interval, str) else "-".join(interval))

    def exclusions(self) -> pd.DataFrame:
        """For each interval of ``INTERVALS`` the visits have both ends of: how many rows are left out of its fit
        for each reason (``interval``, ``reason``, ``rows``). A row left out for several reasons is counted once,
        under the first in the order of ``REASONS``, so the rows of an interval add up to ``excluded(interval)``."""
        lines = []
        for interval, columns in INTERVALS.items():
            if not all(c in self.columns for c in columns):
                continue
            taken = np.zeros(len(self.index), dtype=bool)
            for reason in self.reasons:
                hit = self.problems[reason].touching(columns) & ~taken
                if hit.any():
                    lines.append({"interval": interval, "reason": reason, "rows": int(hit.sum())})
                    taken |= hit
        return pd.DataFrame(lines, columns=["interval", "reason", "rows"])


def _interval_columns(interval: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(interval, str):
        if interval not in INTERVALS:
            raise ValueError(f"no interval {interval!r} (intervals: {', '.join(INTERVALS)})")
        return INTERVALS[interval]
    start, end = interval
    return (start, end)


def _written(visits: pd.DataFrame, column: str, value: str) -> np.ndarray:
    """Where something was written in ``column`` of the file (its ``<column>_written`` text when the visits keep it,
    else wherever ``value`` has a value)."""
    if f"{column}_written" in visits:
        text = visits[f"{column}_written"].astype("string").str.strip()
        return (text.notna() & (text != "")).to_numpy(dtype=bool)
    return visits[value].notna().to_numpy(dtype=bool)


def _counts(labels: np.ndarray) -> dict[str, int]:
    """How many of each label, the most common first."""
    names, counts = np.unique(labels, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return {str(names[i]): int(counts[i]) for i in order}


def _by_column(bad: np.ndarray, columns: list[str], reason: str) -> _Problem:
    """A problem of the values flagged in ``bad`` (rows by ``columns``), counted by column."""
    return _Problem(
        reason,
        np.asarray(bad.any(axis=1)),
        {c: bad[:, j] for j, c in enumerate(columns)},
        {c: int(bad[:, j].sum()) for j, c in enumerate(columns) if bad[:, j].any()},
    )


@dataclass(frozen=True)
class _Visits:
    """What the checks share: the visits, their steps as a matrix, and which rows are checked (all but the later
    copies of a duplicate)."""

    frame: pd.DataFrame
    limits: Limits
    steps: list[str]
    values: np.ndarray
    """Step times (rows by steps), NaN when missing or unreadable."""
    written: np.ndarray
    """Whether something was written for each step (rows by steps)."""
    checked: np.ndarray

    @property
    def n(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=float)

    def status_is(self, *statuses: str) -> np.ndarray:
        return self.checked & self.frame["status"].isin(statuses).to_numpy(dtype=bool)


def _duplicates(frame: pd.DataFrame, steps: list[str]) -> np.ndarray:
    key = [
        c for c in ("date", "provider", "appointment_min", "visit_type", "status", "booked_on", *steps) if c in frame
    ]
    return frame.duplicated(subset=key, keep="first").to_numpy(dtype=bool)


def _fields(v: _Visits) -> Iterator[_Problem]:
    """The date, status, visit type and provider: the row's identity."""
    frame = v.frame
    yield _Problem("unreadable_date", v.checked & frame["date"].isna().to_numpy(dtype=bool), None)
    unknown = v.checked & frame["status"].isna().to_numpy(dtype=bool)
    written = frame.get("status_written", pd.Series(pd.NA, index=frame.index)).astype("string").str.strip()
    words = ('"' + written + '"').where(written.notna() & (written != ""), "empty").to_numpy(dtype=object)
    yield _Problem("unknown_status", unknown, None, _counts(words[unknown]))
    for column, reason in (("visit_type", "no_visit_type"), ("provider", "no_provider")):
        text = frame[column].astype("string").str.strip()
        empty = v.checked & (text.isna() | (text == "")).to_numpy(dtype=bool)
        yield _Problem(reason, empty, None if column == "visit_type" else {"provider": empty})


def _status_and_steps(v: _Visits) -> Iterator[_Problem]:
    """Step times on a visit that did not happen, none on one that did."""
    any_step = v.written.any(axis=1)
    with_steps = v.status_is(*_NOT_ARRIVED) & any_step
    yield _Problem(
        "not_arrived_with_steps", with_steps, None, _counts(v.frame["status"].to_numpy(dtype=object)[with_steps])
    )
    yield _Problem("arrived_without_steps", v.status_is("arrived") & ~any_step & bool(v.steps), None)


def _unreadable(v: _Visits) -> Iterator[_Problem]:
    """Values written but unreadable (where the date is readable: a full timestamp needs it)."""
    frame = v.frame
    readable_day = v.checked & frame["date"].notna().to_numpy(dtype=bool)
    appointment = (
        readable_day & _written(frame, "appointment_time", "appointment_min") & np.isnan(v.column("appointment_min"))
    )
    yield _Problem("unreadable_appointment_time", appointment, {"appointment_min": appointment})
    yield _by_column(readable_day[:, None] & v.written & np.isnan(v.values), v.steps, "unreadable_time")
    if "booked_on" in frame:
        booked = v.checked & _written(frame, "booked_on", "booked_on") & frame["booked_on"].isna().to_numpy(dtype=bool)
        yield _Problem("unreadable_booked_on", booked, {"booked_on": booked})


def _outside_the_day(v: _Visits) -> Iterator[_Problem]:
    columns = ["appointment_min", *v.steps]
    times = np.column_stack([v.column("appointment_min"), v.values])
    with np.errstate(invalid="ignore"):
        yield _by_column(v.checked[:, None] & ((times >= 1440) | (times < 0)), columns, "crosses_midnight")


def _successive_steps(v: _Visits) -> Iterator[_Problem]:
    """Each step against the last step before it (in the order of ``STEPS``) that the row has: out of order, or
    too long after it."""
    n, k = v.values.shape
    if k == 0:
        return
    steps = v.steps
    last = np.maximum.accumulate(np.where(~np.isnan(v.values), np.arange(k), -1), axis=1)
    previous = np.column_stack([np.full(n, -1), last[:, :-1]])  # -1: no step before it
    gap = np.where(previous >= 0, v.values - np.take_along_axis(v.values, np.clip(previous, 0, None), axis=1), np.nan)
    limit = np.full((k, k), v.limits.interval_max_min)  # by (previous step, step)
    for interval in ("provider_visit", "rooming"):
        start, end = INTERVALS[interval]
        if start in steps and end in steps:
            limit[steps.index(start), steps.index(end)] = v.limits.max_min(interval)

    def pairs(reason: str, bad: np.ndarray, label: str) -> _Problem:
        rows, cols = np.nonzero(bad)
        earlier = previous[rows, cols]
        touched = np.zeros((n, k), dtype=bool)
        touched[rows, cols] = touched[rows, earlier] = True
        labels = [label.format(earlier=steps[e], later=steps[c], limit=limit[e, c]) for e, c in zip(earlier, cols)]
        return _Problem(
            reason,
            np.asarray(bad.any(axis=1)),
            {s: touched[:, j] for j, s in enumerate(steps)},
            _counts(np.array(labels, object)),
        )

    with np.errstate(invalid="ignore"):
        out_of_order = v.checked[:, None] & (gap < 0)
        over = v.checked[:, None] & (gap > limit[np.clip(previous, 0, None), np.arange(k)])
    yield pairs("out_of_order", out_of_order, "{later} before {earlier}")
    over_limit = pairs("over_limit", over, "{earlier} to {later} over {limit:g} min")
    if "arrived" in steps:  # and the arrival against the appointment time, early or late
        with np.errstate(invalid="ignore"):
            far = v.checked & (np.abs(v.column("arrived") - v.column("appointment_min")) > v.limits.interval_max_min)
        touches = dict(over_limit.touches or {})
        touches["appointment_min"] = far
        touches["arrived"] = touches["arrived"] | far
        details = dict(over_limit.details)
        if far.any():
            details[f"arrived over {v.limits.interval_max_min:g} min from the appointment time"] = int(far.sum())
        over_limit = _Problem("over_limit", over_limit.mask | far, touches, details)
    yield over_limit


def _zero_durations(v: _Visits) -> Iterator[_Problem]:
    touches: dict[str, np.ndarray] = {}
    details: dict[str, int] = {}
    mask = np.zeros(v.n, dtype=bool)
    for interval in ZERO_CHECKED:
        start, end = INTERVALS[interval]
        if start in v.steps and end in v.steps:
            zero = v.checked & (v.column(end) == v.column(start))
            mask |= zero
            details[interval] = int(zero.sum())
            for column in (start, end):
                touches[column] = touches.get(column, np.zeros(v.n, dtype=bool)) | zero
    yield _Problem("zero_duration", mask, touches, {k: c for k, c in details.items() if c})


def _missing_steps(v: _Visits) -> Iterator[_Problem]:
    """Steps that most arrived visits of a visit type have (among those with any step time) and one lacks, and an
    end of a service (rooming, the provider visit) lacking while the other end is there."""
    base = v.status_is("arrived") & v.written.any(axis=1)
    if not base.any():
        return
    one_end = np.zeros_like(v.written)
    for interval in ZERO_CHECKED:
        start, end = INTERVALS[interval]
        if start in v.steps and end in v.steps:
            i, j = v.steps.index(start), v.steps.index(end)
            one_end[:, i] |= v.written[:, j]
            one_end[:, j] |= v.written[:, i]
    codes, _ = pd.factorize(v.frame["visit_type"], use_na_sentinel=False)
    n_types = codes.max() + 1
    n_visits = np.bincount(codes[base], minlength=n_types)
    with_step = np.column_stack(
        [np.bincount(codes[base], weights=v.written[base, j], minlength=n_types) for j in range(len(v.steps))]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        usual = with_step / n_visits[:, None] > v.limits.usual_step_share
    yield _by_column(base[:, None] & (usual[codes] | one_end) & ~v.written, v.steps, "missing_step")


def _booking(v: _Visits) -> Iterator[_Problem]:
    if "booked_on" in v.frame:
        late = v.checked & (v.frame["booked_on"] > v.frame["date"]).fillna(False).to_numpy(dtype=bool)
        yield _Problem("booked_after_date", late, {"booked_on": late})


_CHECKS = (
    _fields,
    _status_and_steps,
    _unreadable,
    _outside_the_day,
    _successive_steps,
    _zero_durations,
    _missing_steps,
    _booking,
)


def check_visits(visits: pd.DataFrame, *, limits: Limits = Limits()) -> Quality:
    """The data problems of ``visits`` (as ``export.read_visits`` returns them; a frame built otherwise needs the
    same columns, and without the ``<column>_written`` texts an unreadable value cannot be told from an empty one).
    Nothing is changed: see ``Quality``."""
    n = len(visits)
    steps = [s for s in visits.attrs.get("steps", STEPS) if s in visits]
    duplicate = _duplicates(visits, steps)
    v = _Visits(
        frame=visits,
        limits=limits,
        steps=steps,
        values=visits[steps].to_numpy(dtype=float) if steps else np.empty((n, 0)),
        written=np.column_stack([_written(visits, s, s) for s in steps]) if steps else np.zeros((n, 0), dtype=bool),
        checked=~duplicate,
    )
    found = [_Problem("duplicate", duplicate, None)]
    for check in _CHECKS:
        found.extend(check(v))
    problems = {p.reason: p for p in found if p.mask.any()}
    quality = Quality(
        index=visits.index,
        row_numbers=visits["row"].to_numpy() if "row" in visits else np.arange(n),
        problems={r: problems[r] for r in REASONS if r in problems},
        columns=("appointment_min", *steps),
        limits=limits,
    )
    counts = ", ".join(f"{r} {int(problems[r].mask.sum())}" for r in quality.reasons)
    logger.info("checked %d visits: %s", n, counts or "no problems")
    return quality
