"""Synthetic visit exports, the data calibration is developed and tested on.

- faithful: read back with ``read_visits``, a row without a defect holds exactly the engine's times of its
  patient, to the second, and every simulated patient has a row with the right status;
- counted: the rows of each status are the simulated patients (seen or not, no-shows) plus the cancellations
  drawn for the day's regular slots;
- reproducible: the same seed writes the same file; defects never change the rows they leave alone;
- dirty on purpose: each defect is where ``attrs`` says, and counting its signature in the file finds as many;
- the bundled demo export is small, readable, and its defects file matches it.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clinicsim import load_scenario
from clinicsim.calibration.export import STEPS, read_visits
from clinicsim.calibration.synthetic import (
    DEMO_DEFECTS,
    DEMO_WEEKS,
    STATUS_OF,
    Defects,
    synthetic_export,
    write_export,
)
from clinicsim.scenario.model import WEEKDAYS
from clinicsim.week import simulate_week

ROOT = Path(__file__).resolve().parents[2]
SEED = 11
START = datetime.date(2027, 3, 3)  # a Wednesday: week 0 runs Wednesday to the next Tuesday
WEEKS = 2
DEFECTS = Defects(p_missing=0.03, p_swapped=0.04, p_duplicate=0.03, p_zero=0.03, p_too_long=0.03, p_midnight=0.03)
STAMP_OF = {
    "check_in": {"end_min": "checked_in"},
    "rooming": {"start_min": "roomed", "end_min": "rooming_done"},
    "provider_visit": {"start_min": "provider_in", "end_min": "provider_out"},
    "check_out": {"end_min": "checked_out"},
}


@pytest.fixture(scope="module")
def scenario():
    """Family medicine with walk-ins and patients who leave after 20 minutes without a room: every status."""
    walk_ins = {
        "name": "walk-in",
        "visit_type": "established",
        "provider": "Dr Baker",
        "rates": [{"start": "08:00", "end": "16:00", "per_hour": 1.5}],
    }
    changes = {"patients.renege_after_min": 20, "walk_ins": [walk_ins]}
    return load_scenario(ROOT / "scenarios" / "family_medicine.yaml").with_changes(changes)


@pytest.fixture(scope="module")
def truth(scenario) -> dict[str, dict]:
    """Each simulated patient by visit id: status, visit type, provider, appointment and stamps in seconds,
    computed straight from the engine's tables."""
    week = simulate_week(scenario, weeks=WEEKS, seed=SEED)
    out = {}
    for weekday, results in week.days.items():
        offset = (WEEKDAYS.index(weekday) - START.weekday()) % 7
        stamps: dict[tuple[int, int], dict[str, float]] = {}
        for e in results.events.itertuples():
            for end, stamp in STAMP_OF.get(e.step, {}).items():
                stamps.setdefault((e.replication, e.patient), {})[stamp] = round(getattr(e, end) * 60)
        for p in results.patients.itertuples():
            date = START + datetime.timedelta(days=7 * p.replication + offset)
            walk_in = p.source != "booked"
            row = {stamp: math.nan for stamp in STEPS}
            if p.status != "no_show":
                row["arrived"] = round(p.arrival_min * 60)
            row.update(stamps.get((p.replication, p.patient), {}))
            out[f"{date:%Y%m%d}-{p.patient}"] = {
                "engine_status": p.status,
                "status": STATUS_OF[p.status],
                "visit_type": p.visit_type,
                "provider": p.provider if walk_in and p.provider else p.booked_with,
                "appointment_s": math.nan if walk_in else round(p.appointment_min * 60),
                "booking": p.booking,
                **row,
            }
    return out


@pytest.fixture(scope="module")
def dirty(scenario, tmp_path_factory):
    """The export with defects: the frame, its file, the file read back, and the file's lines."""
    frame = synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START, defects=DEFECTS)
    path = write_export(frame, tmp_path_factory.mktemp("export") / "visits.csv")
    return frame, path, read_visits(path), path.read_text().splitlines()


def _seconds(visits: pd.DataFrame, line: int) -> dict[str, float]:
    """The stamps of a line of the file read back, seconds from midnight."""
    row = visits.iloc[line - 2]
    return {stamp: round(row[stamp] * 60) if pd.notna(row[stamp]) else math.nan for stamp in STEPS}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_every_status_is_in_the_export(dirty, truth):
    statuses = {t["engine_status"] for t in truth.values()}
    assert statuses == {"seen", "no_show", "turned_away", "left_without_being_seen"}
    assert {"walk_in"} <= {t["booking"] for t in truth.values()}
    assert set(dirty[0]["status"]) == {"arrived", "no_show", "cancelled", "late_cancel"}


def test_rows_without_defects_hold_the_simulated_times_to_the_second(dirty, truth):
    frame, _, visits, _ = dirty
    marked = {line for lines in frame.attrs["defects"].values() for line in lines}
    ids = frame["visit_id"].to_numpy()
    checked = 0
    for line in range(2, len(frame) + 2):
        if line in marked or "X" in ids[line - 2]:
            continue
        expected, row = truth[ids[line - 2]], visits.iloc[line - 2]
        assert row["status"] == expected["status"] and row["visit_type"] == expected["visit_type"]
        assert row["provider"] == expected["provider"]
        assert row["walk_in"] == math.isnan(expected["appointment_s"])
        assert _same(round(row["appointment_min"] * 60) if not row["walk_in"] else math.nan, expected["appointment_s"])
        got = _seconds(visits, line)
        assert all(_same(got[s], expected[s]) for s in STEPS), (line, got, expected)
        checked += 1
    assert checked > 0.6 * len(truth)  # about 3 rows in 4 have no defect


def test_every_simulated_patient_has_one_row_and_the_counts_of_each_status_add_up(dirty, truth):
    frame = dirty[0]
    unique = frame.drop_duplicates()
    assert len(unique) == len(frame) - len(frame.attrs["defects"]["duplicate"])
    patients = unique[~unique["visit_id"].str.contains("X")]
    assert sorted(patients["visit_id"]) == sorted(truth)
    engine = pd.Series([t["engine_status"] for t in truth.values()]).value_counts()
    counts = unique["status"].value_counts()
    came = engine.drop("no_show").sum()  # seen, turned away, left without being seen: they all came
    assert counts["arrived"] == came and counts["no_show"] == engine["no_show"]
    cancellations = unique[unique["visit_id"].str.contains("X")]
    assert counts["cancelled"] + counts["late_cancel"] == len(cancellations)
    assert set(cancellations["status"]) == {"cancelled", "late_cancel"}


def test_each_roomed_patient_names_the_exam_room_and_no_room_holds_two_at_once(dirty):
    visits = dirty[2].drop_duplicates(subset=["date", "provider", "appointment_min", "visit_type", "status", "roomed"])
    roomed = visits[visits["roomed"].notna()]
    assert roomed["room"].notna().all() and set(roomed["room"]) <= {f"room {k}" for k in range(1, 9)}
    assert visits.loc[visits["visit_type"] == "telehealth", "room"].isna().all()
    assert visits.loc[visits["status"] != "arrived", "room"].isna().all()
    marked = {line for lines in dirty[0].attrs["defects"].values() for line in lines}
    clean = roomed[~roomed["row"].isin(marked)].sort_values(["room", "date", "roomed"])
    previous_out = clean.groupby(["room", "date"])["provider_out"].shift()
    assert len(clean) > 400 and not (clean["roomed"] < previous_out).any()


def test_cancellations_are_drawn_for_the_regular_slots_and_never_came(scenario, truth):
    slots = {
        (i[:8], t["provider"], t["appointment_s"], t["visit_type"])
        for i, t in truth.items()
        if t["booking"] == "regular"
    }
    n_slots = sum(t["booking"] == "regular" for t in truth.values())
    every = synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START, p_cancel=1, p_late_cancel=0)
    assert (every["status"] == "cancelled").sum() == n_slots and "late_cancel" not in set(every["status"])
    late = synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START, p_cancel=0, p_late_cancel=1)
    assert (late["status"] == "late_cancel").sum() == n_slots
    none = synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START, p_cancel=0, p_late_cancel=0)
    assert set(none["status"]) == {"arrived", "no_show"} and len(none) == len(truth)
    some = synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START)
    cancelled = some[some["status"].isin(["cancelled", "late_cancel"])]
    for row in cancelled.itertuples():
        hh, mm = map(int, row.appointment_time.split(":"))
        assert (row.visit_id[:8], row.provider, (hh * 60 + mm) * 60, row.visit_type) in slots
        assert all(pd.isna(getattr(row, s)) for s in STEPS)
    for status, p in (("cancelled", 0.05), ("late_cancel", 0.03)):  # binomial counts, 5 standard errors
        assert abs((cancelled["status"] == status).sum() - n_slots * p) < 5 * math.sqrt(n_slots * p * (1 - p))


def test_booking_dates_lead_the_visit_by_the_given_mean_and_walk_ins_have_none(scenario, dirty):
    frame = dirty[0]
    walk_in = frame["appointment_time"].isna()
    assert frame.loc[walk_in, "booked_on"].isna().all() and frame.loc[~walk_in, "booked_on"].notna().all()
    lead = (pd.to_datetime(frame["date"]) - pd.to_datetime(frame["booked_on"])).dt.days[~walk_in]
    assert lead.min() >= 0 and (lead == 0).any()
    sd = math.sqrt(14 * 15)  # geometric on 0, 1, ... with mean m has variance m (m + 1)
    assert abs(lead.mean() - 14) < 5 * sd / math.sqrt(len(lead))
    same_day = synthetic_export(scenario, weeks=1, seed=SEED, start=START, mean_lead_days=0)
    booked = same_day["appointment_time"].notna()
    assert (same_day.loc[booked, "booked_on"] == same_day.loc[booked, "date"]).all()


def test_the_same_seed_writes_the_same_file_and_a_longer_export_starts_with_the_shorter(scenario, dirty, tmp_path):
    _, path, _, lines = dirty
    again = write_export(
        synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START, defects=DEFECTS), tmp_path / "a.csv"
    )
    assert again.read_bytes() == path.read_bytes()
    other = write_export(
        synthetic_export(scenario, weeks=WEEKS, seed=SEED + 1, start=START, defects=DEFECTS), tmp_path / "b.csv"
    )
    assert other.read_bytes() != path.read_bytes()
    shorter = synthetic_export(scenario, weeks=1, seed=SEED, start=START, defects=DEFECTS)
    short = write_export(shorter, tmp_path / "c.csv").read_text().splitlines()
    assert lines[: len(short)] == short


def test_defects_leave_the_other_rows_as_they_were(scenario, dirty):
    frame = dirty[0]
    clean = synthetic_export(scenario, weeks=WEEKS, seed=SEED, start=START)
    assert not any(clean.attrs["defects"].values())
    marked = {line - 2 for lines in frame.attrs["defects"].values() for line in lines}
    untouched = frame.drop(index=list(marked)).set_index("visit_id")
    assert untouched.equals(clean.set_index("visit_id").loc[untouched.index])


def test_each_defect_is_at_the_lines_attrs_gives_and_counting_its_signature_finds_as_many(dirty, truth):
    frame, _, visits, lines = dirty
    defects = frame.attrs["defects"]
    assert all(len(defects[kind]) >= 3 for kind in defects), {k: len(v) for k, v in defects.items()}
    ids = frame["visit_id"].to_numpy()
    minutes = visits[list(STEPS)].to_numpy(dtype=float)
    found: dict[str, set[int]] = {kind: set() for kind in defects}
    blanked: dict[int, set[str]] = {}
    for line in range(2, len(frame) + 2):
        if line > 2 and lines[line - 1] == lines[line - 2]:
            found["duplicate"].add(line)
        got = _seconds(visits, line)
        row = minutes[line - 2]
        if got["provider_in"] == got["provider_out"]:
            found["zero"].add(line)
        if row[STEPS.index("provider_out")] - row[STEPS.index("provider_in")] >= 600:
            found["too_long"].add(line)
        if row[STEPS.index("checked_out")] > 1440:
            found["midnight"].add(line)
        present = row[~np.isnan(row)]
        if np.any(np.diff(present) < 0) and line not in found["too_long"]:  # a too-long visit ends after check-out
            found["swapped"].add(line)
        if "X" not in ids[line - 2]:
            expected = truth[ids[line - 2]]
            gone = {s for s in STEPS if math.isnan(got[s]) and not math.isnan(expected[s])}
            if gone:
                blanked[line] = gone
                found["missing"].add(line)
            changed = [s for s in STEPS if not math.isnan(got[s]) and got[s] != expected[s]]
            if line in defects["swapped"]:
                a, b = changed
                assert STEPS.index(b) > STEPS.index(a) and (got[a], got[b]) == (expected[b], expected[a])
                between = [s for s in STEPS[STEPS.index(a) + 1 : STEPS.index(b)] if not math.isnan(got[s])]
                assert not between  # adjacent among the stamps the row has
            elif line in defects["too_long"]:
                assert changed == ["provider_out"] and got["provider_out"] == expected["provider_out"] + 36_000
            elif line in defects["zero"]:
                assert changed == ["provider_out"] and got["provider_out"] == expected["provider_in"]
            elif line in defects["midnight"]:
                assert changed == ["checked_out"] and 86_400 < got["checked_out"] <= 90_000
            else:
                assert not changed, line
    for kind, lines_of_kind in defects.items():
        assert found[kind] == set(lines_of_kind), kind
    assert blanked == {line: set(columns) for line, columns in frame.attrs["blanked"].items()}


def test_defect_probabilities_are_checked():
    with pytest.raises(ValueError, match="p_missing"):
        Defects(p_missing=1.5)
    with pytest.raises(ValueError, match="at most 1"):
        Defects(p_swapped=0.5, p_zero=0.3, p_too_long=0.3)
    assert Defects.every(0.01) == Defects(0.01, 0.01, 0.01, 0.01, 0.01, 0.01)


def test_the_bundled_demo_export_is_small_readable_and_its_defects_file_matches_it():
    folder = ROOT / "scenarios" / "calibration"
    path = folder / "family_medicine_visits.csv"
    assert path.stat().st_size < 2_000_000
    record = json.loads((folder / "family_medicine_visits.defects.json").read_text())
    assert record["weeks"] == DEMO_WEEKS and record["probabilities"] == asdict(DEMO_DEFECTS)
    visits = read_visits(path)
    assert visits["date"].nunique() == 5 * DEMO_WEEKS
    assert set(visits["status"]) == {"arrived", "no_show", "cancelled", "late_cancel"}
    lines = path.read_text().splitlines()
    provider = visits["provider_out"] - visits["provider_in"]
    by_file = {
        "duplicate": {k + 1 for k in range(1, len(lines)) if lines[k] == lines[k - 1]},
        "zero": set(visits.loc[provider == 0, "row"]),
        "too_long": set(visits.loc[provider >= 600, "row"]),
        "midnight": set(visits.loc[visits["checked_out"] > 1440, "row"]),
    }
    for kind, rows in by_file.items():
        assert rows == set(record["defects"][kind]) and rows, kind
    assert {int(k) for k in record["blanked"]} == set(record["defects"]["missing"])
