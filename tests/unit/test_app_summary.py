"""The Start page's clinic summary: facts, tables and figures read from a scenario, checked against the file itself.

Expected numbers are worked out here from the YAML (read with ``yaml.safe_load``) or from ``plan_day``, not from
the summary's own helpers; small clinics built in code pin the hour arithmetic (a shift from half past, a break).
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import yaml

import clinicsim
from clinicsim.app.summary import (
    PROVIDERS_COLUMN,
    staffing_figure,
    summarize_clinic,
    template_figure,
    visit_mix_figure,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


@cache
def scenario(stem: str) -> clinicsim.Scenario:
    return clinicsim.load_scenario(SCENARIOS / f"{stem}.yaml")


@cache
def raw(stem: str) -> dict:
    return yaml.load((SCENARIOS / f"{stem}.yaml").read_text(), Loader=yaml.CSafeLoader)


def minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def small(small_clinic, **overrides) -> clinicsim.Scenario:
    return clinicsim.Scenario.model_validate(small_clinic(**overrides))


# -- family medicine, against its file ------------------------------------------------------------------------


def test_providers_rooms_and_hours_are_those_of_the_file():
    data, summary = raw("family_medicine"), summarize_clinic(scenario("family_medicine"))
    assert list(summary.providers.index) == [p["name"] for p in data["providers"]]
    exam = summary.rooms[summary.rooms["room"] == "exam"]
    assert exam["count"].sum() == data["clinic"]["exam_rooms"] == 8
    assert summary.facts[0].startswith("4 providers, 8 exam rooms, open 07:30–17:30 on Tuesday")
    assert "Mon–Fri" in summary.facts[0]
    assert list(summary.staffing.index) == list(range(7, 18))  # 07:30 to 17:30: the hours 07:00 ... 17:00


def test_staff_on_duty_at_ten_is_every_group_whose_shift_covers_ten():
    data, summary = raw("family_medicine"), summarize_clinic(scenario("family_medicine"))
    covering = [
        g.get("count", 1)
        for g in data["staff"]
        if any(minutes(s["start"]) <= 600 and minutes(s["end"]) >= 660 for s in g["shifts"])
    ]
    staff = summary.staffing.drop(columns=PROVIDERS_COLUMN)
    assert staff.loc[10].sum() == pytest.approx(sum(covering)) == pytest.approx(6)
    assert summary.staffing.loc[10, PROVIDERS_COLUMN] == len(data["providers"])
    assert summary.staffing.loc[12, PROVIDERS_COLUMN] == 0  # lunch: sessions end at 12:00 and start at 13:00


def test_front_desk_from_half_past_seven_counts_half_of_each_person_in_the_seven_oclock_hour():
    summary = summarize_clinic(scenario("family_medicine"))
    assert summary.staffing.loc[7, "Front desk"] == pytest.approx(2 * 0.5)  # two people, 07:30-08:00
    assert summary.staffing.loc[7, "MA Evans"] == pytest.approx(0.25)  # 07:45-08:00
    assert summary.staffing.loc[12, "Front desk"] == pytest.approx(2 * 0.5)  # 12:00-12:30 of the morning shift


def test_booked_visits_are_the_appointments_of_plan_day():
    fm = scenario("family_medicine")
    summary, plan = summarize_clinic(fm), clinicsim.plan_day(fm)
    booked = Counter(a.visit_type for day in plan.providers for a in day.appointments)
    total = sum(booked.values())
    assert summary.providers["booked_per_day"].sum() == total == 96
    assert summary.visit_mix["booked_per_day"].to_dict() == dict(booked)
    assert summary.visit_mix["share"].sum() == pytest.approx(1)
    assert summary.visit_mix.loc["new", "share"] == pytest.approx(booked["new"] / total)
    assert summary.facts[2].startswith(f"{total} visits booked per day")


def test_provider_rows_read_the_template_of_the_day():
    row = summarize_clinic(scenario("family_medicine")).providers.loc["Dr Baker"]
    assert (row["template"], row["slot_min"], row["rule"]) == ("fm_20", 20, "fixed interval")
    assert row["sessions"] == "08:00–12:00, 13:00–17:00"
    assert row["speed_factor"] == 1.1
    assert row["weekdays"] == "Mon–Fri"
    assert summarize_clinic(scenario("family_medicine_wave")).providers["rule"].unique().tolist() == [
        "wave every 60 min"
    ]


def test_visit_mix_gives_the_files_durations_and_no_shows():
    data, mix = raw("family_medicine"), summarize_clinic(scenario("family_medicine")).visit_mix
    new = data["visit_types"]["new"]
    assert mix.loc["new", "p_no_show"] == new["p_no_show"]
    assert mix.loc["new", "provider_mean_min"] == new["durations_min"]["provider_visit"]["mean"]
    assert mix.loc["new", "steps_mean_min"] == pytest.approx(sum(d["mean"] for d in new["durations_min"].values()))
    assert mix.loc["telehealth", "rooms"] == ""  # needs no exam room


# -- small clinics built in code ------------------------------------------------------------------------------


def test_a_shift_from_half_past_counts_half_an_hour(small_clinic):
    data = small_clinic()  # a desk (one person) and two MAs on shift from 07:45
    data["staff"][0]["shifts"] = [{"start": "08:30", "end": "12:00"}]
    staffing = summarize_clinic(clinicsim.Scenario.model_validate(data)).staffing
    assert staffing.loc[8, "desk"] == 0.5
    assert staffing.loc[9, "desk"] == 1.0
    assert staffing.loc[7, "ma"] == 2 * 0.25


def test_a_break_is_not_on_duty(small_clinic):
    shift = {"start": "08:00", "end": "12:00", "breaks": [{"start": "10:45", "duration_min": 30}]}
    staff = [{"name": "desk", "role": "front_desk", "serves": ["check_in", "check_out", "rooming"], "shifts": [shift]}]
    staffing = summarize_clinic(small(small_clinic, staff=staff)).staffing
    assert staffing["desk"].to_dict() == {8: 1.0, 9: 1.0, 10: 0.75, 11: 0.75}
    peds = summarize_clinic(scenario("pediatrics")).staffing
    assert peds.loc[11, "Front desk late"] == 0.75  # a 15-minute break at 11:45


def test_a_provider_off_that_weekday_has_an_empty_row(small_clinic):
    providers = [{"name": "Dr A", "template": "am"}, {"name": "Dr B", "template": {"mon": "am", "wed": "am"}}]
    summary = summarize_clinic(small(small_clinic, providers=providers, weekday="tue"))
    off = summary.providers.loc["Dr B"]
    assert (off["template"], off["sessions"], off["booked_per_day"], off["weekdays"]) == ("", "", 0, "Mon, Wed")
    assert summary.staffing.loc[8, PROVIDERS_COLUMN] == 1
    assert summary.facts[0].startswith("2 providers (1 working), 3 exam rooms, open 08:00–12:00 on Tuesday")


def test_rules_and_extra_bookings_are_named(small_clinic):
    template = {
        "sessions": [{"start": "08:00", "end": "10:00"}],
        "slot_min": 20,
        "pattern": ["est"],
        "rule": {"kind": "bailey_welch", "k": 2},
        "double_book": ["08:40"],
    }
    row = summarize_clinic(small(small_clinic, templates={"am": template})).providers.loc["Dr A"]
    assert row["rule"] == "Bailey-Welch k=2"
    assert (row["booked_per_day"], row["extra_booked"]) == (7, 1)  # six slots, one double-booked


def test_the_days_changes_are_made(small_clinic):
    changed = small(small_clinic, weekday="tue", weekday_changes={"tue": {"staff.desk.count": 3}})
    assert summarize_clinic(changed).staffing.loc[9, "desk"] == 3


# -- other bundled scenarios ----------------------------------------------------------------------------------


def test_walk_ins_expected_are_the_rates_times_their_hours():
    data, summary = raw("pediatrics"), summarize_clinic(scenario("pediatrics"))
    expected = sum(r["per_hour"] * (minutes(r["end"]) - minutes(r["start"])) / 60 for r in data["walk_ins"][0]["rates"])
    assert summary.visit_mix.loc["sick", "walk_ins_per_day"] == pytest.approx(expected) == pytest.approx(23.25)
    assert summary.facts[3] == "About 23 walk-ins expected per day (same-day sick)"
    assert summary.visit_mix["share"].sum() == pytest.approx(1)


def test_dedicated_exam_rooms_and_other_rooms_are_listed():
    data, rooms = raw("multispecialty"), summarize_clinic(scenario("multispecialty")).rooms
    exam = rooms[rooms["room"] == "exam"].set_index("for_whom")["count"].to_dict()
    assert exam == data["clinic"]["exam_rooms"]
    procedure = rooms[rooms["room"] == "procedure"].iloc[0]
    assert (procedure["count"], procedure["for_whom"], procedure["used_by"]) == (2, "shared", "derm_procedure")
    urgent = summarize_clinic(scenario("urgent_care")).rooms.set_index("room")
    assert urgent.loc["triage_bay", "turnover_mean_min"] == 1


def test_work_streams_and_booking_over_weeks_have_their_lines():
    inbox = summarize_clinic(scenario("family_medicine_inbox")).facts
    assert any(f.startswith(f"{len(raw('family_medicine_inbox')['work'])} work streams between visits") for f in inbox)
    access = summarize_clinic(scenario("family_medicine_access")).facts
    assert any(f.startswith("Booking over weeks: 5 request streams, about 86 requests") for f in access)
    catch_up = summarize_clinic(scenario("family_medicine_catch_up")).facts
    assert catch_up[1] == "2 front-desk staff, 5 medical assistants (4 assigned to providers, 1 float)"


@pytest.mark.parametrize("stem", BUNDLED)
def test_every_bundled_scenario_summarizes_and_its_figures_draw(stem):
    open_before = plt.get_fignums()  # other tests may leave pyplot figures open
    summary = summarize_clinic(scenario(stem))
    assert len(summary.facts) >= 3
    assert (summary.staffing >= 0).all().all()
    assert list(summary.staffing.columns) == [PROVIDERS_COLUMN, *(g.name for g in scenario(stem).staff)]
    assert summary.visit_mix["share"].sum() == pytest.approx(1)
    for figure in (template_figure(scenario(stem)), staffing_figure(summary), visit_mix_figure(summary)):
        figure.draw_without_rendering()
        assert figure.axes[0].get_title()
    assert plt.get_fignums() == open_before  # drawn on Figure objects, never through pyplot
