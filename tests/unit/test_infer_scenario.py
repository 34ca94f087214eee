"""A base scenario inferred from a visit export, checked against the scenarios the exports were simulated from.

- recovered: two weeks of the family-medicine practice give back its 20-minute template (sessions, the 12-slot
  pattern), its four providers on every weekday, its video visits without room or front desk, its no-show shares,
  and no more exam rooms than it has (and no fewer than the export shows in use at once), through data defects;
- another shape: 15-minute slots with a double booking, a provider on Friday mornings only, a provider on three
  weekdays and walk-ins of a type never booked are recovered too; so are the pediatric templates, whose blocked
  slots between visits make gaps of two lengths;
- usable: the inferred scenario validates, writes a commented file that loads back, and simulates a day;
- hand-made edge cases: a one-off Saturday is left off, a locum's odd days and a walk-in-only provider are left
  out, an export without stamps gets stated defaults, duplicates make no double booking, and an export without
  any booked appointment, or naming a provider as no scenario can, is refused.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest

import clinicsim
from clinicsim.calibration.export import read_visits
from clinicsim.calibration.infer import CannotInfer, infer_scenario
from clinicsim.calibration.scenario_file import commented_yaml
from clinicsim.calibration.synthetic import Defects, synthetic_export, write_export
from clinicsim.scenario import format_clock, load_scenario, parse_scenario_text

ROOT = Path(__file__).resolve().parents[2]
START = datetime.date(2027, 1, 4)  # a Monday
WEEK = ("mon", "tue", "wed", "thu", "fri")
FM_PATTERN = ["new", "established", "established", "established", "telehealth"] + ["established"] * 7


def _visits(frame: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The synthetic export as ``read_visits`` reads it, with the lines of its defects (``attrs["defects"]``)."""
    visits = read_visits(write_export(frame, folder / "visits.csv"))
    visits.attrs["defects"] = frame.attrs["defects"]
    return visits


def _clock(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _sessions(template) -> list[tuple[str, str]]:
    return [(format_clock(s.start), format_clock(s.end)) for s in template.sessions]


@pytest.fixture(scope="module")
def family_medicine():
    return load_scenario(ROOT / "scenarios" / "family_medicine.yaml")


@pytest.fixture(scope="module")
def fm_export(family_medicine, tmp_path_factory):
    """Two weeks of family medicine with a few of every data problem."""
    defects = Defects(p_missing=0.02, p_swapped=0.02, p_duplicate=0.02, p_too_long=0.02, p_midnight=0.02)
    frame = synthetic_export(family_medicine, weeks=2, seed=5, start=START, defects=defects)
    return _visits(frame, tmp_path_factory.mktemp("fm"))


@pytest.fixture(scope="module")
def fm(fm_export):
    return infer_scenario(fm_export)


def test_the_family_medicine_template_is_read_back(fm):
    (template,) = fm.scenario.templates.values()  # one template, shared by everyone
    assert template.slot_min == 20
    assert _sessions(template) == [("08:00", "12:00"), ("13:00", "17:00")]
    assert template.pattern == FM_PATTERN  # new at slot 1, telehealth at slot 5
    assert template.double_book == [] and template.rule.kind == "fixed_interval"
    (name,) = fm.scenario.templates
    assert {p.name: p.template for p in fm.scenario.providers} == {
        p: dict.fromkeys(WEEK, name) for p in ("Dr Alvarez", "Dr Baker", "Dr Chen", "NP Diaz")
    }
    assert fm.scenario.weekday in WEEK and fm.left_out == []


def test_video_visits_need_no_room_and_no_front_desk(fm):
    telehealth, established = fm.scenario.visit_types["telehealth"], fm.scenario.visit_types["established"]
    assert not telehealth.needs_room
    assert (telehealth.durations_min.check_in, telehealth.durations_min.rooming) == (None, None)
    assert telehealth.durations_min.check_out is None
    assert established.needs_room and established.durations_min.rooming is not None
    assert established.durations_min.check_in is not None and established.durations_min.check_out is not None
    assert set(fm.scenario.visit_types) == {"new", "established", "telehealth"}


def test_durations_and_no_shows_are_the_observed_ones(fm, fm_export):
    new = fm.scenario.visit_types["new"].durations_min
    assert new.provider_visit.mean == pytest.approx(30, rel=0.25)  # the scenario's new visit: mean 30
    assert fm.scenario.visit_types["established"].durations_min.provider_visit.mean == pytest.approx(16, rel=0.15)
    booked = fm_export[~fm_export["walk_in"]].drop_duplicates(["date", "provider", "appointment_min", "status"])
    for name, visit_type in fm.scenario.visit_types.items():
        status = booked.loc[booked["visit_type"] == name, "status"]
        share = (status == "no_show").sum() / status.isin(["arrived", "no_show"]).sum()
        assert visit_type.p_no_show == pytest.approx(share, abs=0.01)


def _peak_in_rooms(visits: pd.DataFrame, bad_lines: set[int]) -> int:
    """The most patients roomed and not yet seen out by their provider at once, from the rows without a defect."""
    clean = visits[~visits["row"].isin(bad_lines) & visits["roomed"].notna() & visits["provider_out"].notna()]
    peak = 0
    for _, day in clean.groupby("date"):
        for start in day["roomed"]:
            peak = max(peak, int(((day["roomed"] <= start) & (day["provider_out"] > start)).sum()))
    return peak


def test_exam_rooms_cover_the_peak_in_use_and_no_more_than_the_clinic_has(fm, fm_export, family_medicine):
    bad = {line for lines in fm_export.attrs["defects"].values() for line in lines}
    peak = _peak_in_rooms(fm_export, bad)
    assert peak >= 4
    assert peak <= fm.scenario.clinic.exam_rooms <= family_medicine.clinic.exam_rooms  # 8: too_long rows left out
    unnamed = fm_export.drop(columns="room") if "room" in fm_export else fm_export
    rooms = infer_scenario(unnamed).scenario.clinic.exam_rooms  # from the peak alone, not the rooms named
    assert peak <= rooms <= family_medicine.clinic.exam_rooms
    assert fm.scenario.clinic.opens <= _clock("07:30") and fm.scenario.clinic.closes >= _clock("17:30")
    assert fm.scenario.clinic.closes <= _clock("19:00")  # the midnight and 10-hour defects do not stretch the day


def test_the_inferred_scenario_is_commented_loads_back_and_simulates(fm):
    text = commented_yaml(fm.scenario, fm.comments)
    assert parse_scenario_text(text) == fm.scenario
    assert "whole slots" in fm.comments[f"templates.{next(iter(fm.scenario.templates))}.slot_min"]
    assert any("finance" in sentence.lower() for sentence in fm.assumed)
    assert any("check-in" in sentence.lower() for sentence in fm.assumed)
    assert any("front desk" in sentence.lower() for sentence in fm.assumed)
    assert fm.scenario.finance is None
    day = clinicsim.simulate(fm.scenario, replications=1, seed=3).kpis.iloc[0]
    assert day["patients_booked"] == 4 * 24
    assert day["patients_seen"] > 60 and day["not_seen_at_close"] == 0


# -- another shape -----------------------------------------------------------------------------------------------

PATTERN_15 = ["new", "established", "established", "telehealth"]


@pytest.fixture(scope="module")
def other(family_medicine, tmp_path_factory):
    """15-minute slots with 09:00 double booked; Dr Chen on Friday mornings only; NP Diaz Mondays, Wednesdays and
    Fridays; walk-ins of a type never booked."""
    morning = {"start": "08:00", "end": "12:00"}
    afternoon = {"start": "13:00", "end": "16:00"}
    full = {"sessions": [morning, afternoon], "slot_min": 15, "pattern": PATTERN_15, "double_book": ["09:00"]}
    urgent = {"durations_min": {"check_in": 3, "rooming": 5, "provider_visit": 12, "check_out": 2}}
    walk_ins = {
        "name": "Walk-ins",
        "visit_type": "urgent",
        "rates": [{"start": "08:00", "end": "15:00", "per_hour": 1}],
    }
    week = dict.fromkeys(WEEK, "fm_15")
    scenario = family_medicine.with_changes(
        {
            "finance": None,
            "templates": {"fm_15": full, "am_15": {**full, "sessions": [morning]}},
            "providers.Dr Alvarez.template": week,
            "providers.Dr Baker.template": week,
            "providers.Dr Chen.template": {**week, "fri": "am_15"},
            "providers.NP Diaz.template": {"mon": "fm_15", "wed": "fm_15", "fri": "fm_15"},
            "visit_types.urgent": urgent,
            "walk_ins": [walk_ins],
        }
    )
    frame = synthetic_export(scenario, weeks=2, seed=8, start=START)
    return infer_scenario(_visits(frame, tmp_path_factory.mktemp("other")))


def test_another_template_with_a_double_booking_is_recovered(other):
    templates = other.scenario.templates
    maps = {p.name: p.template for p in other.scenario.providers}
    shared = templates[maps["Dr Alvarez"]["mon"]]
    assert shared.slot_min == 15 and shared.pattern == PATTERN_15
    assert _sessions(shared) == [("08:00", "12:00"), ("13:00", "16:00")]
    assert shared.double_book == [_clock("09:00")]
    friday = templates[maps["Dr Chen"]["fri"]]
    assert _sessions(friday) == [("08:00", "12:00")]
    assert friday.pattern == PATTERN_15 and friday.double_book == [_clock("09:00")]
    assert len(templates) == 2
    assert maps["Dr Chen"] == {**dict.fromkeys(WEEK[:4], maps["Dr Alvarez"]["mon"]), "fri": maps["Dr Chen"]["fri"]}
    assert set(maps["NP Diaz"]) == {"mon", "wed", "fri"} and set(maps["Dr Baker"]) == set(WEEK)


def test_a_visit_type_only_walked_in_is_there_without_no_shows(other):
    urgent = other.scenario.visit_types["urgent"]
    assert urgent.p_no_show == 0 and urgent.needs_room
    assert urgent.durations_min.provider_visit.mean == pytest.approx(12, rel=0.05)  # fixed 12 in the scenario
    assert other.scenario.walk_ins == []  # calibrate fits the walk-ins


def test_blocked_slots_between_visits_make_a_finer_grid_not_a_longer_slot(tmp_path):
    """Pediatrics: 15-minute slots, a third of them blocked, so gaps of 15 and 30 minutes between appointments (30
    the most common); the last slot of each session is blocked too."""
    truth = load_scenario(ROOT / "scenarios" / "pediatrics.yaml")
    inferred = infer_scenario(_visits(synthetic_export(truth, weeks=1, seed=2, start=START), tmp_path))
    for provider in truth.providers:
        expected = truth.templates[provider.template_on("mon")]
        got = inferred.scenario.templates[inferred.scenario.provider(provider.name).template["mon"]]
        assert (got.slot_min, got.pattern) == (expected.slot_min, expected.pattern)
        assert _sessions(got) == _sessions(expected)


# -- hand-made exports -----------------------------------------------------------------------------------------


def _csv(tmp_path: Path, rows: list[str]) -> pd.DataFrame:
    path = tmp_path / "visits.csv"
    path.write_text("date,appointment_time,visit_type,provider,status\n" + "\n".join(rows) + "\n")
    return read_visits(path)


def _mondays(n: int) -> list[datetime.date]:
    return [START + datetime.timedelta(days=7 * k) for k in range(n)]


def test_a_one_off_saturday_and_a_locum_are_left_off(tmp_path):
    rows = [f"{day},{time},follow_up,Dr One,arrived" for day in _mondays(6) for time in ("08:00", "08:30", "09:00")]
    rows += ["2027-01-16,08:00,follow_up,Dr One,arrived", "2027-01-16,08:30,follow_up,Dr One,arrived"]  # a Saturday
    rows += ["2027-01-06,10:00,follow_up,Dr Locum,arrived", "2027-01-06,10:30,follow_up,Dr Locum,no_show"]
    rows += ["2027-02-05,10:00,follow_up,Dr Locum,arrived", "2027-02-05,10:30,follow_up,Dr Locum,arrived"]
    rows += ["2027-01-11,,urgent,Dr Walk,arrived"]
    inferred = infer_scenario(_csv(tmp_path, rows))
    (provider,) = inferred.scenario.providers
    assert provider.name == "Dr One" and set(provider.template) == {"mon"}
    template = inferred.scenario.templates[provider.template["mon"]]
    assert template.slot_min == 30 and _sessions(template) == [("08:00", "09:30")]
    assert [s.split(":")[0] for s in inferred.left_out] == ["Provider 'Dr Locum'", "Provider 'Dr Walk'"]
    assert set(inferred.scenario.visit_types) == {"follow_up", "urgent"}
    assert inferred.scenario.weekday == "mon"


def test_an_export_without_stamps_gets_stated_defaults(tmp_path):
    rows = [f"{day},{time},follow_up,Dr One,arrived" for day in _mondays(2) for time in ("08:00", "08:15", "08:30")]
    inferred = infer_scenario(_csv(tmp_path, rows))
    scenario = inferred.scenario
    assert scenario.clinic.exam_rooms == 2 and "assumed" in inferred.comments["clinic.exam_rooms"]
    visit = scenario.visit_types["follow_up"].durations_min
    assert visit.provider_visit.mean == 15 and visit.rooming.mean == 6  # the slot; the assumed rooming
    assert "assumed" in inferred.comments["visit_types.follow_up.durations_min.provider_visit"]
    assert any("exam rooms" in s.lower() for s in inferred.assumed)
    assert any("no checked_in, roomed, checked_out stamps" in s for s in inferred.assumed)
    assert clinicsim.simulate(scenario, replications=1, seed=1).kpis.iloc[0]["patients_seen"] == 3


def test_duplicated_rows_make_no_double_booking_but_two_patients_in_a_slot_do(tmp_path):
    rows = [f"{day},{time},follow_up,Dr One,arrived" for day in _mondays(3) for time in ("08:00", "08:20", "08:40")]
    rows += [f"{day},08:20,follow_up,Dr One,arrived" for day in _mondays(3)]  # the same row again: a duplicate
    assert infer_scenario(_csv(tmp_path, rows)).scenario.templates["dr_one_mon"].double_book == []
    rows += [f"{day},08:40,follow_up,Dr One,no_show" for day in _mondays(3)]  # a second patient at 08:40
    rows += [f"{day},08:00,follow_up,Dr One,cancelled" for day in _mondays(3)]  # a cancelled slot, filled again
    assert infer_scenario(_csv(tmp_path, rows)).scenario.templates["dr_one_mon"].double_book == [_clock("08:40")]


def test_an_export_without_booked_appointments_or_with_unusable_names_is_refused(tmp_path):
    with pytest.raises(CannotInfer, match="no booked appointments"):
        infer_scenario(_csv(tmp_path, ["2027-01-04,,urgent,Dr Walk,arrived"]))
    with pytest.raises(CannotInfer, match="no booked appointments"):
        infer_scenario(_csv(tmp_path, []))
    with pytest.raises(CannotInfer, match="rename them in the export"):
        infer_scenario(_csv(tmp_path, ['2027-01-04,08:00,follow_up,"Dr O\'Brien, Mary",arrived']))
