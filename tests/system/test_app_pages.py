"""The app's Start, Change the plan and Compare pages under Streamlit's headless test harness (AppTest): each
page's logic, the workspace a tab keeps, and a comparison that is the one ``clinicsim.compare`` gives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import clinicsim

testing = pytest.importorskip("streamlit.testing.v1")

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "scenarios" / "family_medicine.yaml"
SLOT = "plan:{}:templates.fm_20.slot_min"


def pages() -> None:
    """The app's pages, one at a time: the session's ``page`` says which (AppTest has no sidebar to click)."""
    import streamlit as st

    from clinicsim.app.pages import compare, plan, start

    {"start": start.page, "plan": plan.page, "compare": compare.page}[st.session_state.get("page", "start")]()


@pytest.fixture(autouse=True)
def app_data(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINICSIM_APP_DATA", str(tmp_path))
    monkeypatch.setenv("CLINICSIM_APP_SCENARIOS", str(ROOT / "scenarios"))
    monkeypatch.setenv("CLINICSIM_APP_WORKERS", "2")
    return tmp_path


def open_app(query: dict | None = None):
    app = testing.AppTest.from_function(pages, default_timeout=60)
    app.query_params.update(query or {})
    app.run()
    assert not app.exception
    return app


def go(app, page: str):
    app.session_state["page"] = page
    app.run()
    assert not app.exception, app.exception
    return app


def with_variant(app, slot_min: int = 15):
    app.button(key="start_use").click().run()
    go(app, "plan")
    app.text_input(key="plan_new_name").input(f"{slot_min}-minute slots").run()
    app.button(key="plan_add").click().run()
    app.number_input(key=SLOT.format(f"{slot_min}_minute_slots")).set_value(slot_min).run()
    assert not app.exception, app.exception
    return app


def started(app, days: int = 3):
    go(app, "compare")
    app.number_input(key="compare_days").set_value(days)
    app.button(key="FormSubmitter:compare_form-Run the comparison").click().run()
    return app


def finished(app):
    end = time.monotonic() + 120
    while not app.get("download_button") and not app.exception:  # AppTest runs no timers: rerun until drawn
        assert time.monotonic() < end, "the comparison did not finish"
        time.sleep(0.2)
        app.run()
    assert not app.exception, app.exception
    return app


def compared(app, days: int = 3):
    return finished(started(app, days))


def text(app) -> str:
    return "\n".join(e.value for e in (*app.markdown, *app.subheader, *app.caption) if isinstance(e.value, str))


def test_start_offers_the_bundled_scenarios_and_summarizes_the_one_chosen():
    app = open_app()
    assert "family_medicine.yaml" in app.selectbox(key="start_bundled").options[0]
    app.button(key="start_use").click().run()
    assert "4 providers, 8 exam rooms" in text(app)
    assert any(frame.value.shape[0] == 4 for frame in app.dataframe)  # the providers table


def test_pages_after_start_point_there_until_a_scenario_is_chosen():
    app = go(open_app(), "plan")
    assert "Choose a scenario on **Start** first." in [i.value for i in app.info]


def test_an_edit_is_kept_as_the_variant_file_and_a_bad_one_is_shown_at_its_control():
    app = with_variant(open_app())
    assert "changes 1 setting" in text(app)
    assert app.number_input(key=SLOT.format("15_minute_slots")).value == 15
    app.number_input(key="plan:15_minute_slots:clinic.exam_rooms").set_value(0).run()
    errors = [e.value for e in app.error]
    assert errors and all("clinic.exam_rooms" in e for e in errors) and "no exam room" in errors[0]
    app.number_input(key="plan:15_minute_slots:clinic.exam_rooms").set_value(8).run()
    assert not app.error
    files = list(Path(app.session_state["workspace"].variants_folder).glob("*.yaml"))
    assert [f.name for f in files] == ["15_minute_slots.yaml"]
    assert clinicsim.load_scenario(files[0]).templates["fm_20"].slot_min == 15


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_the_comparison_is_clinicsim_compare_on_the_same_days_and_seed():
    app = compared(with_variant(open_app()))
    verdict = text(app)
    base = clinicsim.load_scenario(FAMILY)
    theirs = clinicsim.compare(
        {base.name: base, "15-minute slots": base.with_changes({"templates.fm_20.slot_min": 15})},
        replications=3,
        seed=clinicsim.DEFAULT_SEED,
    )
    [expected] = clinicsim.verdicts(theirs)
    assert expected.headline() in verdict
    assert expected.money is not None and expected.money.sentence() in verdict
    assert {b.label for b in app.get("download_button")} >= {"Download report.html", "Download the CSVs (zip)"}


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_a_tab_finds_its_workspace_and_last_comparison_again_and_a_new_tab_starts_afresh():
    first = compared(with_variant(open_app()))
    workspace_id = first.query_params["w"]
    again = go(open_app({"w": workspace_id}), "compare")  # a reload: the address keeps the workspace
    assert again.get("download_button") and text(again) == text(first)
    other = go(open_app(), "plan")
    assert other.query_params["w"] != workspace_id
    assert "Choose a scenario on **Start** first." in [i.value for i in other.info]


def expected_verdict(slot_min: int, days: int = 3):
    base = clinicsim.load_scenario(FAMILY)
    plans = {base.name: base, f"{slot_min}-minute slots": base.with_changes({"templates.fm_20.slot_min": slot_min})}
    [verdict] = clinicsim.verdicts(clinicsim.compare(plans, replications=days, seed=clinicsim.DEFAULT_SEED))
    return verdict


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_two_tabs_comparing_at_once_each_get_their_own_results():
    shorter, longer = started(with_variant(open_app(), 15)), started(with_variant(open_app(), 25))
    finished(shorter), finished(longer)
    assert expected_verdict(15).headline() in text(shorter) and "25-minute" not in text(shorter)
    assert expected_verdict(25).headline() in text(longer) and "15-minute" not in text(longer)


def test_variants_are_shown_side_by_side():
    app = with_variant(open_app(), 15)
    app.text_input(key="plan_new_name").input("More rooms").run()
    app.button(key="plan_add").click().run()
    app.number_input(key="plan:more_rooms:clinic.exam_rooms").set_value(10).run()
    [table] = [
        frame.value for frame in app.dataframe if list(frame.value.columns) == ["base", "15-minute slots", "More rooms"]
    ]
    assert table.loc["clinic.exam_rooms"].tolist() == ["8", "8", "10"]
    assert table.loc["templates.fm_20.slot_min"].tolist() == ["20.0", "15.0", "20.0"]


def test_a_variant_is_renamed_and_keeps_its_changes():
    app = with_variant(open_app(), 15)
    app.text_input(key="plan_rename:15_minute_slots").input("Shorter slots").run()
    assert not app.exception, app.exception
    assert app.selectbox(key="plan_variant").value == "Shorter slots"
    assert app.selectbox(key="plan_variant").options == ["Shorter slots"]
    assert app.number_input(key=SLOT.format("shorter_slots")).value == 15


@pytest.mark.slow  # about a second per scenario
@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_gets_its_summary_and_every_control_drawn(path):
    app = open_app()
    app.selectbox(key="start_bundled").set_value(path.name).run()
    app.button(key="start_use").click().run()
    assert not app.exception, app.exception
    go(app, "plan")
    app.text_input(key="plan_new_name").input("Plan B").run()
    app.button(key="plan_add").click().run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]  # the base as it is: nothing to complain about
