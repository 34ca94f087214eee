"""What a simulated day leaves behind, and the garbage collector around it.

``simulate_day`` pauses Python's cyclic garbage collector while a day runs, on the grounds that a day makes next
to no reference cycles: everything it allocates is freed by reference counting when the day ends. These tests
hold the engine to that (on every bundled scenario: walk-ins, reneging, breaks, dedicated rooms), and check that
the collector is left as it was found.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import clinicsim
from clinicsim.engine import simulate_day
from clinicsim.plan import plan_day

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
DAYS = 5
CYCLIC_OBJECTS_PER_DAY = 12
"""At most this many objects of a finished day are freed only by the cyclic collector (SimPy's Environment
refers to itself through its bound methods: eight objects)."""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_finished_day_leaves_next_to_nothing_in_reference_cycles(path):
    plan = plan_day(clinicsim.load_scenario(path))
    simulate_day(plan, seed=7, replication=DAYS)  # the plan's caches are filled once, on the first day
    gc.collect()
    gc.disable()
    try:
        for replication in range(DAYS):
            simulate_day(plan, seed=7, replication=replication)
        assert gc.collect() <= DAYS * CYCLIC_OBJECTS_PER_DAY
    finally:
        gc.enable()


def test_the_collector_is_left_as_it_was_found():
    plan = plan_day(clinicsim.load_scenario(SCENARIOS[0]))
    assert gc.isenabled()
    simulate_day(plan, seed=7, replication=0)
    assert gc.isenabled()
    gc.disable()
    try:
        simulate_day(plan, seed=7, replication=0)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_paused_while_a_day_runs(monkeypatch):
    plan = plan_day(clinicsim.load_scenario(SCENARIOS[0]))
    seen = []
    run = clinicsim.engine.ClinicDay.run

    def watched(day):
        seen.append(gc.isenabled())
        return run(day)

    monkeypatch.setattr(clinicsim.engine.ClinicDay, "run", watched)
    simulate_day(plan, seed=7, replication=0)
    assert seen == [False]
