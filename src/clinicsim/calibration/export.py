"""The visit export clinicsim calibrates from: one row per appointment (or walk-in), read from CSV or Parquet.

Columns (names as here; ``column_map`` renames an EHR's own names to these):

- ``date``: the day of the visit (anything pandas reads as a date, e.g. 2027-01-04);
- ``appointment_time``: the booked time ("08:20", or a full timestamp); empty for a walk-in;
- ``visit_type``, ``provider``: as the scenario names them (or the EHR's names, mapped afterwards);
- ``status``: ``arrived``, ``no_show``, ``cancelled`` or ``late_cancel`` (a few common spellings are understood:
  see ``STATUS_WORDS``);
- ``booked_on`` (optional): the day the appointment was made;
- ``room`` (optional): the exam room the patient was roomed in, by any name (it gives the room turnover);
- step timestamps (each optional, any subset), a clock time on the visit's date or a full timestamp:
  ``arrived`` (at the door or kiosk), ``checked_in`` (check-in done at the front desk), ``roomed`` (placed in an
  exam room: rooming starts), ``rooming_done`` (the medical assistant leaves the room), ``provider_in`` and
  ``provider_out`` (the provider enters and leaves), ``checked_out`` (check-out done). Time zones are pandas'; a
  time-zone-aware column is converted to ``timezone`` (default: its own) and the zone dropped.

Only some intervals are service times: the provider visit (``provider_in`` to ``provider_out``) and rooming
(``roomed`` to ``rooming_done``). The others (arrival to check-in done, rooming done to the provider, the provider
to check-out done) include queues: they are observed waits, what a back-test compares.

``read_visits`` returns the visits as a table of plain columns: ``row`` (the line of the file, for reporting; the
header is line 1), ``date``, ``appointment_min`` and each step as minutes from midnight of ``date`` (NaN when
missing; beyond 1,440 when it is after midnight), and ``walk_in``. Each value read from text keeps its text as
written beside it (``status_written``, ``date_written``, ``appointment_time_written``, ``booked_on_written`` and
``<step>_written``), so that an empty value can be told from an unreadable one. Nothing is fixed or dropped here:
data problems are ``quality``'s to find and count.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

STEPS = ("arrived", "checked_in", "roomed", "rooming_done", "provider_in", "provider_out", "checked_out")
"""The step timestamps of a visit, in the order they happen."""
REQUIRED = ("date", "appointment_time", "visit_type", "provider", "status")
OPTIONAL = ("booked_on", "room", *STEPS)
STATUSES = ("arrived", "no_show", "cancelled", "late_cancel")
STATUS_WORDS = {
    "arrived": "arrived",
    "completed": "arrived",
    "checked out": "arrived",
    "seen": "arrived",
    "no show": "no_show",
    "no-show": "no_show",
    "no_show": "no_show",
    "noshow": "no_show",
    "dna": "no_show",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "cancel": "cancelled",
    "late cancel": "late_cancel",
    "late_cancel": "late_cancel",
    "late cancellation": "late_cancel",
    "late-cancel": "late_cancel",
}
"""Status words as EHR exports write them (lower case, trimmed) and the status each stands for."""


class ExportError(ValueError):
    """A visit export that cannot be read at all (no file, not a table, a required column missing); one line."""


def parse_column_map(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["provider=ProviderName", "roomed=RoomedTime"]`` as {EHR column: our column}; ExportError if malformed."""
    mapping: dict[str, str] = {}
    for item in items:
        for pair in item.split(","):
            ours, sep, theirs = pair.partition("=")
            if not sep or not ours.strip() or not theirs.strip():
                raise ExportError(f"--map {pair!r}: write ours=theirs, e.g. provider=ProviderName")
            if ours.strip() not in (*REQUIRED, *OPTIONAL):
                known = ", ".join((*REQUIRED, *OPTIONAL))
                raise ExportError(f"--map {pair!r}: {ours.strip()!r} is not a column of the export (known: {known})")
            mapping[theirs.strip()] = ours.strip()
    return mapping


def _read_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except (ValueError, OSError, ImportError, UnicodeDecodeError) as error:
        raise ExportError(f"{path}: cannot be read as a table ({str(error).splitlines()[0]})") from None


def _minutes(values: pd.Series, dates: pd.Series, timezone: str | None) -> np.ndarray:
    """Minutes from midnight of ``dates`` of clock times ("08:20") or full timestamps (NaN where empty or
    unreadable: ``quality`` counts those)."""
    text = values.astype("string").str.strip()
    clock = text.str.fullmatch(r"\d{1,2}:[0-5]\d(:[0-5]\d)?").fillna(False)  # "08:75" is unreadable, not 09:15
    out = np.full(len(values), np.nan)
    if clock.any():
        parts = text[clock].str.split(":", expand=True).astype(float)
        seconds = parts[2] if parts.shape[1] > 2 else 0.0
        out[clock.to_numpy()] = (parts[0] * 60 + parts[1] + seconds / 60).to_numpy()
    rest = ~clock & text.notna()
    if rest.any():
        stamps = pd.to_datetime(text[rest], errors="coerce", utc=False, format="mixed")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = (stamps.dt.tz_convert(timezone) if timezone else stamps).dt.tz_localize(None)
        delta = (stamps - dates[rest]).dt.total_seconds() / 60
        out[rest.to_numpy()] = delta.to_numpy(dtype=float)
    return out


def read_visits(
    path: str | Path, *, column_map: Mapping[str, str] | None = None, timezone: str | None = None
) -> pd.DataFrame:
    """The visits of an export (CSV or Parquet) as plain columns (see the module docstring); ExportError when the
    file cannot be read at all or a required column is missing."""
    path = Path(path)
    table = _read_table(path).rename(columns=dict(column_map or {}))
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ExportError(
            f"{path}: no column {', '.join(repr(c) for c in missing)} (columns: {', '.join(table.columns)}); "
            "rename with --map ours=theirs"
        )
    dates = pd.to_datetime(table["date"].astype("string").str.strip(), errors="coerce", format="mixed").dt.normalize()
    visits = pd.DataFrame(
        {
            "row": np.arange(2, len(table) + 2),
            "date": dates,
            "appointment_min": _minutes(table["appointment_time"], dates, timezone),
            "visit_type": table["visit_type"].astype("string").str.strip(),
            "provider": table["provider"].astype("string").str.strip(),
            "status": table["status"].astype("string").str.strip().str.lower().map(STATUS_WORDS),
            "status_written": table["status"].astype("string"),
            "walk_in": table["appointment_time"].isna().to_numpy(),
        }
    )
    if "booked_on" in table:
        visits["booked_on"] = pd.to_datetime(table["booked_on"], errors="coerce", format="mixed").dt.normalize()
    if "room" in table:
        visits["room"] = table["room"].astype("string").str.strip()
    for step in STEPS:
        visits[step] = _minutes(table[step], dates, timezone) if step in table else np.nan
    for column in ("date", "appointment_time", "booked_on", *STEPS):
        if column in table:
            visits[f"{column}_written"] = table[column].astype("string")
    visits.attrs["steps"] = [s for s in STEPS if s in table]
    visits.attrs["source"] = str(path)
    logger.info("read %d visits from %s", len(visits), path)
    return visits
