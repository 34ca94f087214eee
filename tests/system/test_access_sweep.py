"""Sweeps of booking runs: each replication of a point is one run of its booking model, the access KPIs are
stored like a clinic day's, and a sweep of clinic days is keyed as it always was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from clinicsim.access.kpis import access_kpis
from clinicsim.access.run import run_access
from clinicsim.sweeps.runner import sweep
from clinicsim.sweeps.spec import SweepSpecError, load_sweep, spec_hash
from clinicsim.sweeps.store import open_sweep

ROOT = Path(__file__).resolve().parents[2]
ACCESS = (ROOT / "scenarios" / "family_medicine_access.yaml").as_posix()
PLAIN = (ROOT / "scenarios" / "family_medicine.yaml").as_posix()
HOLD = "{template: fm_20, urgency: same_day, share: 0.3, release_hours_before: 2}"


def _spec(tmp_path: Path, base: str = ACCESS, access: str = "{weeks: 2, warm_up: 1}") -> Path:
    path = tmp_path / "access_sweep.yaml"
    path.write_text(
        "\n".join(
            [
                "name: holds",
                f"base: {base}",
                "design: points",
                "points:",
                "  - {name: none, changes: {access.holds: []}}",
                f"  - {{name: held, changes: {{access.holds: [{HOLD}]}}}}",
                "replications: 2",
                "seed: 5",
                f"access: {access}",
            ]
        )
        + "\n"
    )
    return path


def test_a_sweep_of_booking_runs_stores_the_access_kpis_of_each_run(tmp_path):
    spec_path = _spec(tmp_path)
    stored = open_sweep(sweep(spec_path, tmp_path / "s.db", workers=1).path).replications()
    assert len(stored) == 4 and "third_next_available_days" in stored.columns
    _, points = load_sweep(spec_path)
    for point in points:  # what is stored is what one run of that point gives
        run = run_access(point.scenario, weeks=2, warm_up=1, seed=5, replication=1)
        row = stored[(stored["point"] == point.point) & (stored["replication"] == 1)].iloc[0]
        for kpi, value in access_kpis(run).items():
            if kpi in row.index:
                assert row[kpi] == pytest.approx(value, nan_ok=True), kpi
    held = stored.groupby("point")["same_day_requests_met_pct"].mean()
    assert held[1] > held[0]  # holding slots for same-day requests meets more of them
    again = sweep(spec_path, tmp_path / "s.db", workers=1)  # complete: nothing is run again
    pd.testing.assert_frame_equal(open_sweep(again.path).replications(), stored)


def test_a_booking_sweep_needs_a_base_with_an_access_section(tmp_path):
    with pytest.raises(SweepSpecError) as caught:
        load_sweep(_spec(tmp_path, base=PLAIN))
    assert "access" in str(caught.value) and "no access: section" in str(caught.value)
    assert ":9:" in str(caught.value) or "line 9" in str(caught.value)


def test_a_sweep_of_clinic_days_is_keyed_as_before(tmp_path):
    """Stores written before access sweeps existed resume: the key of a sweep without ``access`` leaves it out."""
    spec_path = tmp_path / "days.yaml"
    spec_path.write_text(
        f"name: rooms\nbase: {PLAIN}\ndesign: grid\nfactors:\n  - path: clinic.exam_rooms\n    values: [6, 8]\n"
        "replications: 2\n"
    )
    spec, points = load_sweep(spec_path)
    dumped = spec.model_dump(mode="json")
    del dumped["access"]
    old = {"spec": dumped, "points": [p.scenario.content_hash for p in points]}
    assert spec_hash(spec, points) == hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()
