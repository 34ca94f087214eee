"""Shared fixtures (paths of the repository, a small scenario built in code) and the test tiers: notebooks run by
nbmake are marked ``notebook`` and ``slow``, so ``pytest -m "not slow"`` is the fast tier."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import clinicsim

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(autouse=True)
def _main_module_kept():
    """Put ``__main__`` back after each test: Streamlit's AppTest leaves its temporary script there, and a process
    spawned later (a Dask nanny's worker) would try to run that deleted file and fail to start."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


def make_small_clinic(**overrides) -> dict:
    """A two-provider clinic as a plain dict (fixed durations unless overridden), for tests to adjust."""
    scenario = {
        "name": "small clinic",
        "clinic": {"opens": "08:00", "closes": "12:00", "exam_rooms": 3},
        "visit_types": {
            "est": {
                "durations_min": {"check_in": 3, "rooming": 5, "provider_visit": 15, "check_out": 2},
            }
        },
        "templates": {"am": {"sessions": [{"start": "08:00", "end": "10:00"}], "slot_min": 20, "pattern": ["est"]}},
        "providers": [{"name": "Dr A", "template": "am"}, {"name": "Dr B", "template": "am"}],
        "staff": [
            {
                "name": "desk",
                "role": "front_desk",
                "serves": ["check_in", "check_out"],
                "shifts": [{"start": "07:45", "end": "12:00"}],
            },
            {
                "name": "ma",
                "role": "medical_assistant",
                "count": 2,
                "serves": ["rooming"],
                "shifts": [{"start": "07:45", "end": "12:00"}],
            },
        ],
    }
    scenario.update(overrides)
    return scenario


@pytest.fixture
def family_medicine() -> clinicsim.Scenario:
    return clinicsim.load_scenario(SCENARIOS / "family_medicine.yaml")


@pytest.fixture
def small_clinic():
    """Factory of the small two-provider clinic dict: ``small_clinic(**top_level_overrides)``."""
    return make_small_clinic


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each notebook executed by nbmake as ``notebook`` and ``slow`` (a kernel start and a whole analysis)."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
            item.add_marker(pytest.mark.slow)
