"""The Explore page drawn by Streamlit's own test harness (``AppTest``): its four tabs render without an exception
with and without a base scenario, a wrong factor is said next to the sweep's inputs naming the field, and a small
sweep runs as a job and shows its plans and figures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clinicsim.app.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "scenarios" / "family_medicine.yaml"
TABS = ["Sweep", "Open a store", "Access & work", "Calibrate"]


def _explore() -> None:
    from clinicsim.app.pages.explore import page

    page()


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CLINICSIM_APP_DATA", str(tmp_path))
    monkeypatch.setenv("CLINICSIM_APP_WORKERS", "1")
    return tmp_path


def _app(workspace: Workspace | None = None) -> AppTest:
    app = AppTest.from_function(_explore, default_timeout=60)
    if workspace is not None:
        app.query_params["w"] = workspace.id
    return app.run()


def _with_base(data: Path, scenario: Path = FAMILY) -> Workspace:
    workspace = Workspace(data / "workspaces")
    workspace.choose_base(scenario)
    return workspace


def test_the_page_shows_its_tabs_without_a_base(data):
    app = _app()
    assert not app.exception
    assert [tab.label for tab in app.tabs] == TABS
    assert any("Choose a scenario on **Start**" in info.value for info in app.info)
    assert app.selectbox(key="explore_store_found") is not None


def test_with_a_base_the_sweep_offers_its_factors_and_a_wrong_path_is_said_with_its_field(data):
    app = _app(_with_base(data))
    assert not app.exception and [tab.label for tab in app.tabs] == TABS
    factor = app.selectbox(key="explore_factor_1")
    assert factor.value == "fm_20: Slot length (min)" and app.text_input(key="explore_levels_1").value == "15, 20, 25"
    assert "Exam rooms" in factor.options and "Front desk: People" in factor.options
    factor.set_value("Another setting (type its dotted path)").run()
    app.text_input(key="explore_factor_1_path").set_value("clinic.exam_roomz")
    app.text_input(key="explore_levels_1").set_value("6, 8")
    app.button(key="explore_run_sweep").click().run()
    assert not app.exception
    assert any(error.value.startswith("clinic.exam_roomz:") for error in app.error)


def test_access_and_work_say_what_the_plan_lacks(data):
    app = _app(_with_base(data))
    infos = " ".join(info.value for info in app.info)
    assert "no `access:` section" in infos and "no `work:` streams" in infos
    app = _app(_with_base(data, ROOT / "scenarios" / "family_medicine_access.yaml"))
    assert not app.exception and app.button(key="explore_access_run") is not None


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_a_small_sweep_runs_as_a_job_and_shows_its_plans(data):
    app = _app(_with_base(data))
    app.selectbox(key="explore_factor_2").set_value("Exam rooms").run()
    app.text_input(key="explore_levels_1").set_value("15, 20")
    app.text_input(key="explore_levels_2").set_value("7, 8")
    app.number_input(key="explore_days").set_value(2)
    app.button(key="explore_run_sweep").click().run()
    deadline = time.monotonic() + 60
    while not _plans(app) and time.monotonic() < deadline:  # the progress fragment's polling, done by hand
        time.sleep(0.5)
        app.run()
    assert not app.exception
    plans = _plans(app)
    assert len(plans) == 1 and len(plans[0]) == 4 and set(plans[0]["days"]) == {2}
    assert any("Pareto front" in item.value for item in app.markdown)


def _plans(app: AppTest) -> list:
    """The tables of plans the page shows (AppTest gives a table's values, not its key)."""
    return [frame.value for frame in app.dataframe if "plan" in frame.value.columns]


def _until(app: AppTest, drawn, seconds: float = 90) -> AppTest:
    deadline = time.monotonic() + seconds
    while not drawn(app) and not app.exception and time.monotonic() < deadline:  # the job's polling, by hand
        time.sleep(0.3)
        app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_the_work_between_visits_and_the_booking_weeks_are_drawn_once_simulated(data):
    app = _app(_with_base(data, ROOT / "scenarios" / "family_medicine_inbox.yaml"))
    app.number_input(key="explore_work_days").set_value(2)
    app.button(key="explore_work_run").click().run()
    _until(app, lambda a: any("Minutes of work per day" in m.value for m in a.markdown))
    assert any("Work waiting over the day" in m.value for m in app.markdown)

    app = _app(_with_base(data, ROOT / "scenarios" / "family_medicine_access.yaml"))
    app.number_input(key="explore_access_weeks").set_value(2)
    app.number_input(key="explore_access_warm_up").set_value(0)
    app.number_input(key="explore_access_runs").set_value(2)
    app.button(key="explore_access_run").click().run()
    _until(app, lambda a: any("Third-next-available" in m.value for m in a.markdown))
