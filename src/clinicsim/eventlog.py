"""The event log of one simulated clinic day: what happened, with no KPI computed.

Five tables, each a dict of equal-length numpy columns (cheap to build, one conversion to pandas on request):

- ``steps``: one row per patient step and person doing it: ``patient``, ``step`` (the pathway's steps, e.g.
  check_in, rooming, provider_visit, check_out; ``documentation``; ``<kind>_room`` for a stay in a room),
  ``queued_min``, ``start_min``, ``end_min`` and the ``resource`` that did it ("" for a pure delay). A room row
  (``exam_room``, ``x_ray_room``) spans the room's whole occupation, from the patient taking it to the end of
  turnover; a step done by several people has a row for each.
- ``branches``: one row per branch of the pathway a patient passed, with the option taken.
- ``patients``: one row per patient: identity, appointment and arrival, ``status`` (seen, no_show,
  turned_away, left_without_being_seen, not_seen_at_close), the provider who saw them, ``departure_min``, and
  the billing ``code`` and ``payer`` of the visit (drawn for everyone, so a no-show's lost revenue is known).
- ``resources``: one row per provider, person and room: ``kind``, ``group`` and scheduled minutes (sessions,
  shifts less breaks, or opening hours).
- ``schedule``: one row per scheduled window: a provider's session, a person's shift (with its ``break_min``),
  a room's opening hours.
- ``duty``: one row per interval a provider, person or room was actually on duty.

All times are minutes from midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

STATUSES = ("seen", "no_show", "turned_away", "left_without_being_seen", "not_seen_at_close")
LOG_STEPS = ("check_in", "rooming", "exam_room", "provider_visit", "documentation", "check_out")
"""The steps of the default pathway's log; a scenario's own steps and room stays follow them in its log."""

Columns = dict[str, np.ndarray]


def columns(rows: list[tuple], names: tuple[str, ...]) -> Columns:
    """Rows of tuples as numpy columns: float for ``*_min`` names, int for counts and ids, else object."""
    out = {}
    for k, name in enumerate(names):
        values = [row[k] for row in rows]
        dtype = float if name.endswith("_min") else np.int64 if name in ("patient", "ordinal") else object
        out[name] = np.array(values, dtype=dtype)
    return out


def codes_of(keys: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """Integer code of each key in ``index`` (-1 for keys not in it)."""
    return np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))


@dataclass(frozen=True)
class StepCodes:
    """The ``steps`` table's step names and resources as integers, for grouping without comparing strings."""

    step: np.ndarray
    """Position of each row's step in the log's ``step_names``."""
    resource: np.ndarray
    """Row of the ``resources`` table that did each step (-1 for a resource it does not list)."""

    @classmethod
    def of(cls, steps: Columns, resources: Columns, step_names: tuple[str, ...] = LOG_STEPS) -> StepCodes:
        """Codes looked up from the names (for a log built by hand; the engine records codes as it goes)."""
        index = {name: row for row, name in enumerate(resources["resource"])}
        step_code = {name: code for code, name in enumerate(step_names)}
        return cls(step=codes_of(steps["step"], step_code), resource=codes_of(steps["resource"], index))


WORK_COLUMNS = (
    "item",
    "stream",
    "stage",
    "resource",
    "arrival_min",
    "queued_min",
    "start_min",
    "end_min",
    "due_min",
    "status",
)
"""The ``work`` table: per stage of a work item that happens, the item (its number in the day), its stream, the
stage's position, who did it (``""``: nobody), when the item arrived, when the stage was asked for, started and
ended (NaN where it did not), when the item is due (NaN: no target), and the stage's ``status``: ``done`` (on
duty), ``after_hours`` (by a provider after leaving: start and end on their after-hours clock), ``backlog`` (not
done by the end of the day) or ``abandoned`` (dropped after waiting its patience; ``end_min`` is when). An item
left as backlog or abandoned at a stage has no rows for its later stages."""

_WORK_TYPES = {"item": np.int64, "stage": np.int64, "stream": object, "resource": object, "status": object}


def empty_work() -> Columns:
    """The ``work`` table with no rows."""
    return {name: np.zeros(0, dtype=_WORK_TYPES.get(name, float)) for name in WORK_COLUMNS}


def work_table(rows: list[tuple]) -> Columns:
    """The ``work`` table of rows in ``WORK_COLUMNS`` order."""
    if not rows:
        return empty_work()
    return {
        name: np.array(values, dtype=_WORK_TYPES.get(name, float)) for name, values in zip(WORK_COLUMNS, zip(*rows))
    }


@dataclass
class EventLog:
    """Everything recorded in one replication (tables as dicts of numpy columns)."""

    replication: int
    steps: Columns
    patients: Columns
    resources: Columns
    duty: Columns
    schedule: Columns
    step_codes: StepCodes | None = field(default=None, repr=False, compare=False)
    """Integer codes of ``steps``; looked up from the names when not given."""
    step_names: tuple[str, ...] = LOG_STEPS
    """Every step name the ``steps`` table may hold: the default pathway's, then the scenario's own."""
    branches: Columns = field(
        default_factory=lambda: {
            "patient": np.zeros(0, dtype=np.int64),
            "branch": np.zeros(0, dtype=object),
            "option": np.zeros(0, dtype=object),
        }
    )
    """One row per branch a patient passed: ``patient``, ``branch``, ``option`` taken."""
    work: Columns = field(default_factory=lambda: empty_work())
    """One row per stage of a work item between visits (see ``WORK_COLUMNS``); empty without work streams."""
    pathway_steps: tuple[str, ...] = ("check_in", "rooming", "provider_visit", "check_out")
    """The steps of the scenario's pathways (not room stays or documentation), in pathway order."""
    pathway_branches: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each branch of the scenario's pathways with its options."""

    def __post_init__(self) -> None:
        if self.step_codes is None:
            extra = [s for s in dict.fromkeys(self.steps["step"].tolist()) if s not in self.step_names]
            self.step_names = (*self.step_names, *extra)
            self.step_codes = StepCodes.of(self.steps, self.resources, self.step_names)

    @cached_property
    def rows_of_step(self) -> dict[str, np.ndarray]:
        """Row indices of the ``steps`` table for each step name (grouped once, for the KPI functions)."""
        assert self.step_codes is not None  # set in __post_init__
        code = self.step_codes.step
        order = np.argsort(code, kind="stable")
        bounds = np.searchsorted(code[order], np.arange(len(self.step_names) + 1))
        return {step: order[bounds[k] : bounds[k + 1]] for k, step in enumerate(self.step_names)}

    def frame(self, table: str) -> pd.DataFrame:
        """One table as a DataFrame with a leading ``replication`` column."""
        columns = getattr(self, table)
        n = len(next(iter(columns.values()))) if columns else 0
        return pd.DataFrame({"replication": np.full(n, self.replication), **columns})
