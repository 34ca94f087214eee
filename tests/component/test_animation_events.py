"""The event log in vidigi's long format (``clinicsim.animation``): exact rows for a hand-worked day, and the
promises an animation relies on for any day of a bundled scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_engine_timelines import FRONT_DESK, MA, clinic, provider, run, template

import clinicsim
from clinicsim.animation import animation_events

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_one_patients_day_as_animation_events():
    """Check-in 480-485 at the desk, rooming 485-495 by the MA, a 20-minute visit with Dr A, results awaited 15
    minutes (a queue row: nobody is busy), check-out 515+15=530-533; documentation and the room stay are not
    shown (a patient is in one place at a time)."""
    results = run(
        clinic(
            visit_types={
                "v": {
                    "pathway": [
                        {"step": "check_in", "duration_min": 5},
                        {"step": "rooming", "duration_min": 10, "room": "exam", "keep_room": True},
                        {"step": "provider_visit", "by": "provider", "duration_min": 20, "room": "exam"},
                        {"step": "wait_for_results", "by": "nobody", "duration_min": 15},
                        {"step": "check_out", "duration_min": 3},
                    ]
                }
            },
            templates={"t": template(sessions=[("08:00", "08:30")])},
            providers=[provider("Dr A", documentation_min=2)],
            staff=[FRONT_DESK, MA],
        )
    )
    events = animation_events(results)
    rows = [(e, t, r if r is not np.nan and str(r) != "<NA>" else None) for e, t, r in
            zip(events["event"], events["time"], events["resource_id"])]  # fmt: skip
    assert rows == [
        ("arrival", 480, None),
        ("check_in_wait_begins", 480, None),
        ("check_in_begins", 480, 1),
        ("check_in_ends", 485, 1),
        ("rooming_wait_begins", 485, None),
        ("rooming_begins", 485, 1),
        ("rooming_ends", 495, 1),
        ("provider_visit_wait_begins", 495, None),
        ("provider_visit_begins", 495, 1),
        ("provider_visit_ends", 515, 1),
        ("wait_for_results_wait_begins", 515, None),
        ("wait_for_results", 515, None),
        ("check_out_wait_begins", 530, None),
        ("check_out_begins", 530, 1),
        ("check_out_ends", 533, 1),
        ("depart", 533, None),
    ]
    assert set(events["event_type"]) == {"arrival_departure", "queue", "resource_use", "resource_use_end"}
    assert list(events.columns[:7]) == ["run", "entity_id", "pathway", "event_type", "event", "time", "resource_id"]
    assert events.loc[events["event"] == "provider_visit_begins", "resource"].tolist() == ["Dr A"]


def test_every_bundled_day_animates_consistently():
    """For every bundled scenario: events in time order; every patient who came arrives first and departs last;
    each resource use ends, on the same numbered slot; no slot of a group is used by two patients at once."""
    for path in sorted(SCENARIOS.glob("*.yaml")):
        events = animation_events(clinicsim.simulate(path, replications=1, seed=3))
        assert (np.diff(events["time"].to_numpy()) >= 0).all(), path.name
        for _, mine in events.groupby("entity_id", sort=False):
            assert mine["event"].iloc[0] == "arrival" and mine["event"].iloc[-1] == "depart", path.name
        uses = events[events["event_type"] == "resource_use"]
        ends = events[events["event_type"] == "resource_use_end"]
        assert len(uses) == len(ends) and (uses["resource_id"] >= 1).all()
        busy: dict[tuple, float] = {}
        for _, row in events[events["event_type"].isin(["resource_use", "resource_use_end"])].iterrows():
            slot = (row["group"], row["resource_id"])
            if row["event_type"] == "resource_use":
                assert busy.get(slot, -1.0) <= row["time"] + 1e-9, (path.name, slot)
                busy[slot] = np.inf
            else:
                busy[slot] = row["time"]
