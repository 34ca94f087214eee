"""Synthetic visit exports: what a clinic's EHR would export if its days were the simulated days of a scenario.

No real patient data can ship, so calibration is developed and tested on exports made here from a known scenario:
the truth is known, and so is every data problem put in on purpose.

``synthetic_export`` simulates ``weeks`` weeks of the scenario's working weekdays with the clinic-day engine
(``simulate_week``: week ``w`` is replication ``w`` of each weekday) and writes one row per appointment or walk-in
in the format of ``export``:

- every simulated patient is a row. Status ``arrived`` for everyone who came (seen, turned away for lateness,
  left without being seen, not seen at close: the ones not seen have only the stamps of the steps they finished,
  the turned away only ``arrived``), ``no_show`` for the no-shows (no stamps);
- the step stamps come from the event log, rounded to the second: ``arrived`` the arrival, ``checked_in`` the end
  of ``check_in``, ``roomed`` and ``rooming_done`` the start and end of ``rooming``, ``provider_in`` and
  ``provider_out`` the start and end of ``provider_visit``, ``checked_out`` the end of ``check_out``; a step the
  visit does not have (a video visit has no check-in or room) is empty. Only the default pathway's step names are
  exported: a scenario with steps of its own gets ``arrived`` and the default steps it has;
- cancellations are extra rows that never reached the clinic: each regular slot of the day's template (a booked
  patient who is not double booked or overbooked) draws one uniform, below ``p_cancel`` it gets a ``cancelled`` row,
  below ``p_cancel + p_late_cancel`` a ``late_cancel`` row, at the slot's time, visit type and provider (someone else
  booked the slot, cancelled, and the slot was filled again by the simulated patient);
- ``provider`` is the one booked; for a walk-in, the one who saw them (else the provider or pool they came for);
- ``booked_on`` is the date less a lead time in days, geometric on 0, 1, 2, ... with mean ``mean_lead_days``; empty
  for walk-ins (whose ``appointment_time`` is empty too). The engine's no-shows do not depend on it;
- ``room`` is the exam room the patient was roomed in (the event log's ``exam_room`` resource); empty without one;
- ``visit_id`` (not a column ``read_visits`` uses, as an EHR's encounter number would be) names the simulated
  patient: ``YYYYMMDD-<patient>`` (the patient's number in that day's event log), ``YYYYMMDD-X<k>`` for the day's
  k-th cancellation. A duplicated row repeats it.

``Defects`` puts data problems in, each row's draws from streams of its own, so the rows without a defect are the
same whatever the defects: ``swapped``, ``zero``, ``too_long`` and ``midnight`` are exclusive (one uniform per row,
the probabilities stacked; a row not eligible for the kind it drew keeps its values), then ``missing`` blanks each
remaining stamp (never one another defect changed, so that defect stays visible), then ``duplicate`` writes the row
twice, one after the other. The rows with each defect, by line of the CSV (the header is line 1, as ``read_visits``
numbers its ``row``), are in ``frame.attrs["defects"]``; ``frame.attrs["blanked"]`` says which stamps of a line
were blanked.

Every draw is from a named stream of ``Streams(seed, week)``, ``("synthetic", weekday, source)``: the same seed gives
the same export, and a longer export starts with the shorter one.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from clinicsim.calibration.export import STEPS
from clinicsim.eventlog import EventLog
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.streams import Streams
from clinicsim.week import simulate_week

logger = logging.getLogger(__name__)

COLUMNS = ("visit_id", "date", "appointment_time", "visit_type", "provider", "status", "booked_on", "room", *STEPS)
"""The columns of a synthetic export, in file order."""

STAMPS = {
    "checked_in": ("check_in", "end_min"),
    "roomed": ("rooming", "start_min"),
    "rooming_done": ("rooming", "end_min"),
    "provider_in": ("provider_visit", "start_min"),
    "provider_out": ("provider_visit", "end_min"),
    "checked_out": ("check_out", "end_min"),
}
"""Each step stamp after ``arrived``: the pathway step of the event log and which of its times it is."""

STATUS_OF = {
    "seen": "arrived",
    "turned_away": "arrived",
    "left_without_being_seen": "arrived",
    "not_seen_at_close": "arrived",
    "no_show": "no_show",
}
"""The export's status of each status of the event log."""

EXCLUSIVE = ("swapped", "zero", "too_long", "midnight")
"""Defects that change a row's values: a row gets at most one of them."""
DEFECTS = ("missing", "swapped", "duplicate", "zero", "too_long", "midnight")

TOO_LONG_S = 10 * 3600
"""How much later ``provider_out`` is moved by the ``too_long`` defect (seconds)."""
DAY_S = 24 * 3600


@dataclass(frozen=True)
class Defects:
    """Probabilities of the data problems of a synthetic export (each 0 by default)."""

    p_missing: float = 0.0
    """Each step stamp a row has is blanked with this probability."""
    p_swapped: float = 0.0
    """A row's two adjacent stamps (next to each other among those it has, the earlier one strictly earlier) are
    swapped, so they are out of order."""
    p_duplicate: float = 0.0
    """A row is written twice, one line after the other."""
    p_zero: float = 0.0
    """``provider_out`` is set equal to ``provider_in``: a provider visit of 0 minutes."""
    p_too_long: float = 0.0
    """``provider_out`` is moved 10 hours later (so for an in-person visit also after ``checked_out``, and after
    midnight when the visit ended after 14:00)."""
    p_midnight: float = 0.0
    """``checked_out`` is moved to the next day, within the first hour after midnight."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0 <= value <= 1:
                raise ValueError(f"Defects.{f.name} must be a probability in [0, 1], not {value!r}")
        stacked = self.p_swapped + self.p_zero + self.p_too_long + self.p_midnight
        if stacked > 1 + 1e-12:
            raise ValueError(f"p_swapped + p_zero + p_too_long + p_midnight must be at most 1, not {stacked:g}")

    @classmethod
    def every(cls, p: float) -> Defects:
        """Each defect with probability ``p``."""
        return cls(**{f.name: p for f in fields(cls)})


@dataclass(frozen=True)
class _Day:
    """One simulated clinic day of the export."""

    date: datetime.date
    weekday: str
    week: int
    log: EventLog


def synthetic_export(
    scenario: Scenario | str | Path,
    *,
    weeks: int,
    seed: int,
    start: datetime.date,
    defects: Defects | None = None,
    p_cancel: float = 0.05,
    p_late_cancel: float = 0.03,
    mean_lead_days: float = 14,
) -> pd.DataFrame:
    """An EHR-like visit export of ``weeks`` weeks of ``scenario``'s clinic days from ``start`` (see the module
    docstring): week ``w`` covers the seven days from ``start + 7 w``, each working weekday of it simulated as
    replication ``w`` of ``simulate_week(scenario, weeks=weeks, seed=seed)``.

    Columns ``COLUMNS`` as strings (NaN where empty); ``attrs["defects"]`` maps each defect in ``DEFECTS`` to the
    CSV lines that have it, ``attrs["blanked"]`` each line with a blanked stamp to the blanked columns.
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    if not (0 <= p_cancel <= 1 and 0 <= p_late_cancel <= 1 and p_cancel + p_late_cancel <= 1):
        raise ValueError(
            f"p_cancel ({p_cancel}) and p_late_cancel ({p_late_cancel}) must be probabilities adding up to 1 at most"
        )
    if not mean_lead_days >= 0:
        raise ValueError(f"mean_lead_days must be at least 0, not {mean_lead_days}")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    defects = defects or Defects()
    week = simulate_week(scenario, weeks=weeks, seed=seed)
    days = sorted(
        (
            _Day(date, WEEKDAYS[date.weekday()], w, week.days[WEEKDAYS[date.weekday()]].logs[w])
            for w in range(weeks)
            for date in (start + datetime.timedelta(days=7 * w + k) for k in range(7))
            if WEEKDAYS[date.weekday()] in week.days
        ),
        key=lambda d: d.date,
    )
    frames = []
    for day in days:
        streams = Streams(seed, day.week)

        def rng(source: str, day: _Day = day, streams: Streams = streams) -> np.random.Generator:
            return streams.generator("synthetic", day.weekday, source)

        rows = _day_rows(day, rng, p_cancel=p_cancel, p_late_cancel=p_late_cancel, mean_lead_days=mean_lead_days)
        frames.append(_with_defects(rows, rng, defects))
    table = pd.concat(frames, ignore_index=True)
    table = table.loc[table.index.repeat(np.where(table["_duplicate"], 2, 1))].reset_index(drop=True)
    lines = np.arange(2, len(table) + 2)
    copy = np.zeros(len(table), dtype=bool)
    copy[1:] = table["visit_id"].to_numpy()[1:] == table["visit_id"].to_numpy()[:-1]
    found: dict[str, list[int]] = {kind: [] for kind in DEFECTS}
    found["duplicate"] = lines[copy].tolist()
    for kind in EXCLUSIVE:
        found[kind] = lines[(table["_defect"] == kind).to_numpy()].tolist()
    blanked = {int(line): list(cols) for line, cols in zip(lines, table["_blanked"]) if cols}
    found["missing"] = sorted(blanked)
    out = _formatted(table)
    out.attrs["defects"] = found
    out.attrs["blanked"] = blanked
    logger.info(
        "synthetic export of %d weeks of %r: %d rows (%s)",
        weeks,
        scenario.name,
        len(out),
        ", ".join(f"{kind} {len(found[kind])}" for kind in DEFECTS),
    )
    return out


def _stamps_s(log: EventLog) -> dict[str, np.ndarray]:
    """Each patient's step stamps, seconds from midnight rounded to the second (NaN where the patient has none)."""
    n = len(log.patients["patient"])
    steps = pd.DataFrame({k: log.steps[k] for k in ("patient", "step", "start_min", "end_min")})
    steps = steps[steps["step"].isin({step for step, _ in STAMPS.values()})]
    by_step = steps.groupby(["step", "patient"]).agg(start_min=("start_min", "min"), end_min=("end_min", "max"))
    patients = log.patients["patient"]
    arrived = np.where(np.isin(log.patients["status"], ["no_show"]), np.nan, log.patients["arrival_min"])
    out = {"arrived": np.round(arrived.astype(float) * 60)}
    for stamp, (step, end) in STAMPS.items():
        values = np.full(n, np.nan)
        if step in by_step.index.get_level_values("step"):
            values = by_step.loc[step, end].reindex(patients).to_numpy(dtype=float)
        out[stamp] = np.round(values * 60)
    return out


def _rooms(log: EventLog) -> np.ndarray:
    """Each patient's exam room (the first they took; NaN for a patient never in one)."""
    steps = pd.DataFrame({k: log.steps[k] for k in ("patient", "step", "start_min", "resource")})
    rooms = steps[steps["step"] == "exam_room"].sort_values("start_min", kind="stable").groupby("patient")["resource"]
    return rooms.first().reindex(log.patients["patient"]).to_numpy(dtype=object)


def _day_rows(day: _Day, rng, *, p_cancel: float, p_late_cancel: float, mean_lead_days: float) -> pd.DataFrame:
    """The day's rows, in the order of the export (by time; a slot's cancellation before its patient), with the
    stamps in seconds from midnight."""
    p = day.log.patients
    n = len(p["patient"])
    walk_in = p["source"] != "booked"
    seen_by = np.asarray(p["provider"], dtype=object)
    provider = np.where(walk_in & (seen_by != "") & pd.notna(seen_by), seen_by, p["booked_with"])
    lead = _leads(rng("lead"), n, mean_lead_days)
    stamps = _stamps_s(day.log)
    appointment_s = np.round(p["appointment_min"].astype(float) * 60)
    patients = pd.DataFrame(
        {
            "visit_id": [f"{day.date:%Y%m%d}-{k}" for k in p["patient"]],
            "appointment_s": np.where(walk_in, np.nan, appointment_s),
            "visit_type": p["visit_type"],
            "provider": provider,
            "status": [STATUS_OF[s] for s in p["status"]],
            "lead_days": np.where(walk_in, np.nan, lead),
            "room": _rooms(day.log),
            **stamps,
            "_order": np.where(walk_in, stamps["arrived"], appointment_s),
            "_cancel": False,
        }
    )
    slots = np.flatnonzero(~walk_in & (p["booking"] == "regular"))
    u = rng("cancel").random(len(slots))
    kind = np.where(u < p_cancel, "cancelled", np.where(u < p_cancel + p_late_cancel, "late_cancel", ""))
    chosen = slots[kind != ""]
    cancelled = pd.DataFrame(
        {
            "visit_id": [f"{day.date:%Y%m%d}-X{k}" for k in range(len(chosen))],
            "appointment_s": appointment_s[chosen],
            "visit_type": p["visit_type"][chosen],
            "provider": p["booked_with"][chosen],
            "status": kind[kind != ""],
            "lead_days": _leads(rng("cancelled_lead"), len(slots), mean_lead_days)[kind != ""],
            "room": np.full(len(chosen), np.nan, dtype=object),
            **{stamp: np.full(len(chosen), np.nan) for stamp in STEPS},
            "_order": appointment_s[chosen],
            "_cancel": True,
        }
    )
    rows = pd.concat([cancelled, patients], ignore_index=True)
    rows = rows.sort_values(["_order", "provider", "_cancel"], ascending=[True, True, False], kind="stable")
    rows.insert(1, "date", pd.Timestamp(day.date))
    return rows.drop(columns=["_order", "_cancel"]).reset_index(drop=True)


def _leads(rng: np.random.Generator, n: int, mean_days: float) -> np.ndarray:
    """``n`` lead times in days, geometric on 0, 1, 2, ... with mean ``mean_days``."""
    return (rng.geometric(1 / (mean_days + 1), size=n) - 1).astype(float)


def _with_defects(rows: pd.DataFrame, rng, defects: Defects) -> pd.DataFrame:
    """The day's rows with their defects made, and the helper columns ``_defect`` (the exclusive defect, "" for
    none), ``_blanked`` (the stamps blanked) and ``_duplicate``."""
    n = len(rows)
    stamps = np.array(rows[list(STEPS)].to_numpy(dtype=float))  # seconds, a copy of our own
    col = {name: k for k, name in enumerate(STEPS)}
    touched = np.zeros_like(stamps, dtype=bool)
    drawn = rng("defect").random(n)
    which = rng("swap").random(n)
    after_midnight = DAY_S + 1 + np.floor(rng("midnight").random(n) * 3599)
    thresholds = np.cumsum([defects.p_swapped, defects.p_zero, defects.p_too_long, defects.p_midnight])
    kind = np.array([EXCLUSIVE[k] if k < len(EXCLUSIVE) else "" for k in np.searchsorted(thresholds, drawn, "right")])
    made = np.full(n, "", dtype=object)
    i_in, i_out, i_co = col["provider_in"], col["provider_out"], col["checked_out"]
    for r in np.flatnonzero(kind != ""):
        row = stamps[r]
        if kind[r] == "swapped":
            present = np.flatnonzero(~np.isnan(row))
            pairs = [(a, b) for a, b in zip(present[:-1], present[1:]) if row[a] < row[b]]
            if not pairs:
                continue
            a, b = pairs[int(which[r] * len(pairs))]
            row[a], row[b] = row[b], row[a]
            touched[r, [a, b]] = True
        elif kind[r] in ("zero", "too_long"):
            if np.isnan(row[i_in]) or np.isnan(row[i_out]):
                continue
            row[i_out] = row[i_in] if kind[r] == "zero" else row[i_out] + TOO_LONG_S
            touched[r, [i_in, i_out]] = True
        else:  # midnight
            if np.isnan(row[i_co]):
                continue
            row[i_co] = after_midnight[r]
            touched[r, i_co] = True
        made[r] = kind[r]
    blank = (rng("missing").random(stamps.shape) < defects.p_missing) & ~np.isnan(stamps) & ~touched
    stamps[blank] = np.nan
    out = rows.copy()
    out[list(STEPS)] = stamps
    out["_defect"] = made
    out["_blanked"] = [tuple(np.array(STEPS)[b]) for b in blank]
    out["_duplicate"] = rng("duplicate").random(n) < defects.p_duplicate
    return out


def _clock(dates: pd.Series, seconds: pd.Series, fmt: str) -> pd.Series:
    """``dates`` plus ``seconds`` written with ``fmt`` (NaN where ``seconds`` is NaN)."""
    return (dates + pd.to_timedelta(seconds, unit="s")).dt.strftime(fmt)


def _formatted(table: pd.DataFrame) -> pd.DataFrame:
    """The export's columns as text: dates ``YYYY-MM-DD``, appointment times ``HH:MM`` (``HH:MM:SS`` when not on
    a whole minute), stamps ``YYYY-MM-DD HH:MM:SS``."""
    dates = table["date"]
    whole = (table["appointment_s"] % 60 == 0) | table["appointment_s"].isna()
    booked = dates - pd.to_timedelta(table["lead_days"], unit="D")
    out = pd.DataFrame(
        {
            "visit_id": table["visit_id"],
            "date": dates.dt.strftime("%Y-%m-%d"),
            "appointment_time": _clock(dates, table["appointment_s"], "%H:%M").where(
                whole, _clock(dates, table["appointment_s"], "%H:%M:%S")
            ),
            "visit_type": table["visit_type"],
            "provider": table["provider"],
            "status": table["status"],
            "booked_on": booked.dt.strftime("%Y-%m-%d"),
            "room": table["room"],
            **{stamp: _clock(dates, table[stamp], "%Y-%m-%d %H:%M:%S") for stamp in STEPS},
        }
    )
    return out[list(COLUMNS)]


def write_export(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write an export as CSV (Parquet when ``path`` ends in ``.parquet``); empty cells for missing values."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
    logger.info("wrote %d rows to %s", len(frame), path)
    return path


ROOT = Path(__file__).resolve().parents[3]
"""The repository (a source checkout), where the bundled scenarios are."""
DEMO_SCENARIO = "scenarios/family_medicine.yaml"
DEMO_WEEKS = 4
DEMO_SEED = 20270104
DEMO_START = datetime.date(2027, 1, 4)  # a Monday
DEMO_DEFECTS = Defects.every(0.01)
"""How the bundled demo export is made: four weeks of the family-medicine scenario, 1% of each defect."""


def make_demo(out_dir: str | Path | None = None) -> pd.DataFrame:
    """Make the bundled demo export: ``family_medicine_visits.csv`` and its defects by line,
    ``family_medicine_visits.defects.json``, in ``out_dir`` (default: the checkout's ``scenarios/calibration``)."""
    out = Path(out_dir) if out_dir is not None else ROOT / "scenarios" / "calibration"
    frame = synthetic_export(
        ROOT / DEMO_SCENARIO, weeks=DEMO_WEEKS, seed=DEMO_SEED, start=DEMO_START, defects=DEMO_DEFECTS
    )
    write_export(frame, out / "family_medicine_visits.csv")
    record = {
        "made_by": "python -m clinicsim.calibration.synthetic",
        "scenario": DEMO_SCENARIO,
        "weeks": DEMO_WEEKS,
        "seed": DEMO_SEED,
        "start": str(DEMO_START),
        "probabilities": asdict(DEMO_DEFECTS),
        "defects": frame.attrs["defects"],
        "blanked": {str(line): cols for line, cols in frame.attrs["blanked"].items()},
    }
    (out / "family_medicine_visits.defects.json").write_text(json.dumps(record, indent=1) + "\n")
    return frame


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    make_demo(sys.argv[1] if len(sys.argv) > 1 else None)
