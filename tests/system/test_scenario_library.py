"""The scenario library: every bundled scenario loads, validates, and simulates to numbers an administrator would
recognise; and each specialty scenario does what its header says (walk-ins, dedicated rooms, no bookings, the
steps of its pathway: who does each, in which room, in which order, and how often each branch is taken)."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import clinicsim
from clinicsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
REPLICATIONS = 3
MANY = 20
"""Replications for the checks of a branch's or an optional step's share (a simulated day takes milliseconds)."""
UTILIZATIONS = ("provider_utilization", "room_utilization", "ma_utilization", "front_desk_utilization")
KEY = ["replication", "patient"]


@cache
def results(name: str, replications: int = REPLICATIONS) -> clinicsim.Results:
    """A few simulated days of a bundled scenario, shared by the tests of this module."""
    return clinicsim.simulate(ROOT / "scenarios" / name, replications=replications, seed=2024)


def seen_visits(name: str, visit_step: str = "provider_visit") -> pd.DataFrame:
    """Seen patients with their provider visit's start, end and the exam room and rooming staff they had
    (``visit_step``: the pathway's step with the provider; patients without it are left out)."""
    res = results(name)
    patients = res.patients[res.patients["status"] == "seen"]
    events = res.events
    visit = events[events["step"] == visit_step][[*KEY, "start_min", "end_min"]]
    room = events[events["step"] == "exam_room"][[*KEY, "resource"]].rename(columns={"resource": "room"})
    rooming = events[events["step"] == "rooming"][[*KEY, "resource"]].rename(columns={"resource": "roomed_by"})
    out = patients.merge(visit, on=KEY).merge(room, on=KEY, how="left").merge(rooming, on=KEY, how="left")
    return out.assign(visit_min=out["end_min"] - out["start_min"])


def step_rows(res: clinicsim.Results, step: str, suffix: str | None = None) -> pd.DataFrame:
    """Each patient's row of ``step`` (queued, start, end, resource), with the patient's visit type; the columns
    get ``suffix`` (default: ``_<step>``) so that rows of several steps merge side by side."""
    suffix = f"_{step}" if suffix is None else suffix
    columns = ("queued_min", "start_min", "end_min", "resource")
    rows = res.events[res.events["step"] == step][[*KEY, *columns]]
    assert not rows.duplicated(KEY).any(), f"{step}: one row a patient"
    rows = rows.rename(columns={c: f"{c}{suffix}" for c in columns})
    return rows.merge(res.patients[[*KEY, "visit_type", "status"]], on=KEY)


def option_shares(res: clinicsim.Results) -> pd.Series:
    """Share of patients taking each option of each branch, by visit type."""
    taken = res.branches.merge(res.patients[[*KEY, "visit_type"]], on=KEY)
    return taken.groupby(["visit_type", "branch"])["option"].value_counts(normalize=True)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_loads_and_validates(path):
    scenario = clinicsim.load_scenario(path)
    assert scenario.name and scenario.working_providers()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: ok" in result.output


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_simulates_to_sensible_kpis(path):
    res = results(path.name)
    kpis = res.kpis
    assert len(kpis) == REPLICATIONS
    assert (kpis["patients_seen"] > 0).all()
    assert np.isfinite(kpis["provider_wait_mean_min"]).all() and (kpis["provider_wait_mean_min"] >= 0).all()
    assert np.isfinite(kpis["provider_wait_p90_min"]).all()
    for name in UTILIZATIONS:
        values = kpis[name].dropna()  # a scenario without MAs has no MA utilization
        assert ((values >= 0) & (values <= 1)).all(), name
    assert not kpis["provider_utilization"].isna().any()
    if res.scenario.finance is not None:
        assert np.isfinite(kpis["margin"]).all() and (kpis["net_revenue"] > 0).all()
    else:
        assert kpis["margin"].isna().all()


def test_every_bundled_scenario_has_money():
    """The library's files are meant to be compared on money too: each carries a finance section."""
    missing = [p.name for p in SCENARIOS if clinicsim.load_scenario(p).finance is None]
    assert not missing


# -- pediatrics: walk-ins seen by whoever is free, booked children by their own provider --------------------------


def test_pediatrics_walk_ins_go_to_the_first_free_provider():
    kpis = results("pediatrics.yaml").kpis
    assert (kpis["walk_ins"] > 0).all() and (kpis["patients_booked"] > 0).all()
    seen = seen_visits("pediatrics.yaml")
    walk_ins = seen[seen["booking"] == "walk_in"]
    booked = seen[seen["booking"] != "walk_in"]
    assert walk_ins["provider"].nunique() == len(results("pediatrics.yaml").scenario.providers)
    assert (booked["provider"] == booked["booked_with"]).all()
    assert set(walk_ins["visit_type"]) == {"sick"}
    # walk-ins have no provider, so the pooled nurses room them; booked children are roomed by MAs or nurses
    assert walk_ins["roomed_by"].str.startswith("Nurse").all()
    assert booked["roomed_by"].str.startswith("MA ").mean() > 0.5


def test_pediatrics_after_school_is_the_busiest_time_for_walk_ins():
    patients = results("pediatrics.yaml").patients
    hours = patients.loc[patients["booking"] == "walk_in", "arrival_min"] // 60
    assert (hours >= 15).sum() > (hours.between(10, 14)).sum()
    assert hours.max() < 18  # the door closes to walk-ins at 17:30


# -- multispecialty: dedicated rooms and MAs per specialty, a shared front desk, long cardiology visits ----------


CARDIOLOGY = ("cardiology_new", "cardiology_followup")
DERMATOLOGY = ("derm_new", "derm_followup", "derm_procedure")
TURNOVER_MAX = 5.0
"""The longest exam-room turnover of the multispecialty and family-medicine scenarios (triangular, high 5)."""


def test_multispecialty_cardiology_new_visits_are_longer_than_dermatology_visits():
    seen = seen_visits("multispecialty.yaml")
    cardiology_new = seen.loc[seen["visit_type"] == "cardiology_new", "visit_min"]
    dermatology = seen.loc[seen["visit_type"].isin(DERMATOLOGY), "visit_min"]
    assert len(cardiology_new) > 0 and len(dermatology) > 0
    assert cardiology_new.mean() > 2 * dermatology.mean()
    assert cardiology_new.median() > dermatology.quantile(0.9)


def test_multispecialty_rooms_and_mas_are_dedicated_and_the_front_desk_is_shared():
    res = results("multispecialty.yaml")
    seen = seen_visits("multispecialty.yaml")
    assert seen["room"].notna().all()
    assert all(room.startswith(f"{provider} room ") for provider, room in zip(seen["provider"], seen["room"]))
    cardiology = seen[seen["visit_type"].isin(CARDIOLOGY)]
    dermatology = seen[seen["visit_type"].isin(DERMATOLOGY)]
    assert cardiology["roomed_by"].str.startswith("Cardiology MA").all()
    assert dermatology["roomed_by"].str.startswith("Dermatology MA").all()
    events = res.events
    check_in = events[events["step"] == "check_in"].merge(res.patients, on=KEY)
    cardiology_desk = set(check_in.loc[check_in["visit_type"].isin(CARDIOLOGY), "resource"])
    dermatology_desk = set(check_in.loc[check_in["visit_type"].isin(DERMATOLOGY), "resource"])
    assert cardiology_desk & dermatology_desk and cardiology_desk <= {"Front desk#1", "Front desk#2", "Front desk#3"}


def test_multispecialty_the_sonographer_is_staff_and_the_echo_lab_a_room():
    """No pseudo-provider any more: the sonographer is a staff group, the echo lab a room kind, no echo visits."""
    res = results("multispecialty.yaml")
    scenario = res.scenario
    assert "echo" not in scenario.visit_types and not any("echo" in p.name.lower() for p in scenario.providers)
    assert [g.role for g in scenario.staff if g.name == "Sonographer"] == ["sonographer"]
    assert scenario.clinic.room_counts()["echo_lab"] == 1 and "Echo lab" not in scenario.clinic.exam_rooms
    kinds = dict(zip(res.resources["resource"], res.resources["kind"]))
    assert kinds["Sonographer"] == "sonographer" and kinds["echo_lab 1"] == "room"
    assert set(res.patients["visit_type"]) == {*CARDIOLOGY, *DERMATOLOGY}
    assert (res.kpis["sonographer_utilization"] > 0).all() and (res.kpis["echo_lab_room_utilization"] > 0).all()


def test_multispecialty_echo_follows_a_cardiology_visit_by_the_sonographer_in_the_echo_lab():
    res = results("multispecialty.yaml")
    echo = step_rows(res, "echo").merge(step_rows(res, "echo_lab_room"), on=[*KEY, "visit_type", "status"])
    echo = echo.merge(step_rows(res, "provider_visit"), on=[*KEY, "visit_type", "status"])
    echo = echo.merge(step_rows(res, "exam_room"), on=[*KEY, "visit_type", "status"])
    echo = echo.merge(step_rows(res, "check_out"), on=[*KEY, "visit_type", "status"])
    assert len(echo) == (res.events["step"] == "echo").sum() > 0
    assert set(echo["visit_type"]) <= set(CARDIOLOGY)
    assert (echo["resource_echo"] == "Sonographer").all()
    assert (echo["resource_echo_lab_room"] == "echo_lab 1").all()
    # in the echo lab for the whole echo, after the provider visit, and checked out after it
    assert (echo["start_min_echo_lab_room"] <= echo["start_min_echo"]).all()
    assert (echo["end_min_echo_lab_room"] >= echo["end_min_echo"]).all()
    assert (echo["start_min_echo"] >= echo["end_min_provider_visit"]).all()
    assert (echo["start_min_check_out"] >= echo["end_min_echo"]).all()
    # the exam room is given back after the provider visit (only its turnover follows), not kept for the echo
    assert (echo["end_min_exam_room"] <= echo["end_min_provider_visit"] + TURNOVER_MAX).all()
    assert (echo["end_min_exam_room"] < echo["start_min_echo"] + TURNOVER_MAX).all()


def test_multispecialty_same_day_echo_for_most_new_and_few_follow_up_cardiology_patients():
    shares = option_shares(results("multispecialty.yaml", MANY))
    assert shares[("cardiology_new", "echo_today", "echo")] == pytest.approx(0.60, abs=0.12)
    assert shares[("cardiology_followup", "echo_today", "echo")] == pytest.approx(0.15, abs=0.06)
    assert set(shares.index.get_level_values("visit_type")) == set(CARDIOLOGY)  # no branch for dermatology


def test_multispecialty_procedures_need_the_provider_and_an_ma_at_once_in_a_procedure_room():
    res = results("multispecialty.yaml")
    events = res.events.merge(res.patients[[*KEY, "visit_type", "provider"]], on=KEY)
    procedure = events[events["step"] == "procedure"]
    assert len(procedure) > 0 and set(procedure["visit_type"]) == {"derm_procedure"}
    for (_, _), rows in procedure.groupby(KEY):
        assert len(rows) == 2  # the provider and an MA, at the same times
        assert rows["start_min"].nunique() == 1 and rows["end_min"].nunique() == 1
        people = set(rows["resource"])
        provider = rows["provider"].iloc[0]
        assert provider in people
        (ma,) = people - {provider}
        assert ma.startswith("Dermatology MA")
    # rooming and procedure in the same procedure room, kept in between; never an exam room
    rooms = events[events["visit_type"] == "derm_procedure"]
    assert not (rooms["step"] == "exam_room").any() and not (rooms["step"] == "provider_visit").any()
    stay = step_rows(res, "procedure_room").merge(step_rows(res, "rooming"), on=[*KEY, "visit_type", "status"])
    stay = stay.merge(
        procedure.drop_duplicates(KEY)[[*KEY, "start_min", "end_min"]].rename(
            columns={"start_min": "start_min_procedure", "end_min": "end_min_procedure"}
        ),
        on=KEY,
    )
    assert len(stay) == procedure[KEY].drop_duplicates().shape[0]
    assert stay["resource_procedure_room"].str.startswith("procedure ").all()
    assert (stay["start_min_procedure_room"] <= stay["start_min_rooming"]).all()
    assert (stay["end_min_rooming"] <= stay["start_min_procedure"]).all()
    assert (stay["end_min_procedure_room"] >= stay["end_min_procedure"]).all()
    assert stay["resource_rooming"].str.startswith("Dermatology MA").all()


def test_multispecialty_is_medicare_heavy_and_bills_one_code_a_visit_without_the_echo():
    res = results("multispecialty.yaml")
    finance = res.scenario.finance
    assert max(finance.payers, key=lambda p: finance.payers[p].share) == "Medicare"
    seen = res.patients[res.patients["status"] == "seen"]
    codes = set(seen["code"])
    assert codes & {"11102", "11104", "17000", "17110", "11402", "11602"}
    # the echo is not billed (echo revenue is not modelled): cardiology visits keep their E/M codes
    assert not codes & {"93306", "93308"} and not {"93306", "93308"} & set(finance.fee_schedule)
    cardiology = seen[seen["visit_type"].isin(CARDIOLOGY)]
    assert cardiology["code"].str.match(r"^992\d\d$").all()


# -- urgent care: nobody booked, walk-ins only, a triage-to-discharge pathway, people leave when it backs up ------


def test_urgent_care_has_no_bookings_only_walk_ins():
    res = results("urgent_care.yaml")
    kpis = res.kpis
    assert (kpis["patients_booked"] == 0).all() and (kpis["no_shows"] == 0).all()
    assert (kpis["walk_ins"] > 0).all() and (kpis["walk_ins"] == kpis["patients_arrived"]).all()
    assert set(res.patients["booking"]) == {"walk_in"}
    assert set(res.patients["booked_with"].dropna()) <= {"clinicians"}  # they ask for the pool
    seen = seen_visits("urgent_care.yaml", "examination")
    pool = set(res.scenario.provider_pools["clinicians"])
    assert set(seen["provider"]) == pool == {p.name for p in res.scenario.providers}  # the first free of the pool
    assert res.scenario.patients.renege_after_min == 45
    assert np.isfinite(kpis["left_without_being_seen"]).all()


def test_urgent_care_is_open_into_the_evening_with_staggered_providers():
    res = results("urgent_care.yaml")
    scenario = res.scenario
    assert scenario.clinic.closes >= 20 * 60
    starts = sorted(scenario.templates[p.template_on(scenario.weekday)].sessions[0].start for p in scenario.providers)
    assert starts[0] < starts[-1]
    arrivals = res.patients["arrival_min"]
    assert (arrivals >= 18 * 60).any() and arrivals.max() <= 19.5 * 60
    walk_ins = scenario.walk_ins[0]
    evening = max(r.per_hour for r in walk_ins.rates if r.start >= 16 * 60)
    afternoon = min(r.per_hour for r in walk_ins.rates if 12 * 60 <= r.start < 16 * 60)
    assert evening > afternoon


def test_urgent_care_triage_by_a_nurse_in_the_triage_bay_then_registration_then_the_exam():
    res = results("urgent_care.yaml")
    on = [*KEY, "visit_type", "status"]
    rows = step_rows(res, "triage").merge(step_rows(res, "triage_bay_room"), on=on)
    rows = rows.merge(step_rows(res, "registration"), on=on).merge(step_rows(res, "examination"), on=on)
    rows = rows.merge(step_rows(res, "exam_room"), on=on)
    seen = res.patients[res.patients["status"] == "seen"]
    assert len(rows) == len(seen) > 0  # every seen patient went the whole way
    assert (rows["resource_triage"] == "Triage nurse").all()
    assert (rows["resource_triage_bay_room"] == "triage_bay 1").all()
    assert (rows["start_min_triage_bay_room"] <= rows["start_min_triage"]).all()
    assert (rows["end_min_triage_bay_room"] >= rows["end_min_triage"]).all()
    assert rows["resource_registration"].str.startswith("Front desk").all()
    assert (rows["start_min_registration"] >= rows["end_min_triage"]).all()
    assert (rows["start_min_examination"] >= rows["end_min_registration"]).all()
    assert rows["resource_examination"].isin(res.scenario.provider_pools["clinicians"]).all()
    assert rows["resource_exam_room"].str.startswith("room ").all()
    assert (rows["start_min_exam_room"] <= rows["start_min_examination"]).all()


def test_urgent_care_the_exam_room_is_kept_until_discharge():
    res = results("urgent_care.yaml")
    on = [*KEY, "visit_type", "status"]
    rows = step_rows(res, "exam_room").merge(step_rows(res, "examination"), on=on)
    rows = rows.merge(step_rows(res, "discharge"), on=on)
    in_room = res.events[res.events["step"].isin(["examination", "lab_draw", "wait_for_results", "provider_recheck"])]
    last_in_room = in_room.groupby(KEY)["end_min"].max().rename("last_in_room").reset_index()
    rows = rows.merge(last_in_room, on=KEY)
    assert len(rows) > 0
    # the room is held from the examination (or before) to the last step in it, and given back (its stay ends
    # after a turnover of 1-6 minutes) when the patient goes to the desk for discharge
    assert (rows["start_min_exam_room"] <= rows["start_min_examination"]).all()
    np.testing.assert_allclose(rows["queued_min_discharge"], rows["last_in_room"], rtol=0, atol=1e-9)
    turnover = rows["end_min_exam_room"] - rows["queued_min_discharge"]
    assert ((turnover >= 1 - 1e-9) & (turnover <= 6 + 1e-9)).all()
    # an x-ray patient keeps the exam room while in the x-ray room
    xray = rows.merge(step_rows(res, "x_ray"), on=[*KEY, "visit_type", "status"])
    assert len(xray) > 0
    assert (xray["start_min_exam_room"] < xray["start_min_x_ray"]).all()
    assert (xray["end_min_exam_room"] > xray["end_min_x_ray"]).all()


def test_urgent_care_x_ray_and_labs_end_with_a_recheck_by_the_same_provider():
    res = results("urgent_care.yaml")
    on = [*KEY, "visit_type", "status"]
    exam = step_rows(res, "examination")
    recheck = step_rows(res, "provider_recheck").merge(exam, on=on)
    xray = step_rows(res, "x_ray").merge(step_rows(res, "x_ray_room"), on=on).merge(recheck, on=on)
    labs = step_rows(res, "lab_draw").merge(step_rows(res, "wait_for_results"), on=on).merge(recheck, on=on)
    assert len(xray) > 0 and len(labs) > 0
    assert len(xray) + len(labs) == len(recheck)  # a recheck only after an x-ray or labs
    assert (recheck["resource_provider_recheck"] == recheck["resource_examination"]).all()
    # x-ray by the radiology technologist in the x-ray room, between the examination and the recheck
    assert (xray["resource_x_ray"] == "Radiology tech").all() and (xray["resource_x_ray_room"] == "x_ray 1").all()
    assert (xray["start_min_x_ray"] >= xray["end_min_examination"]).all()
    assert (xray["start_min_provider_recheck"] >= xray["end_min_x_ray"]).all()
    # labs: drawn by the nurse or the MA, then a pure delay (nobody busy) until the results, then the recheck
    assert labs["resource_lab_draw"].isin(["Triage nurse", "Clinic MA"]).all()
    assert (labs["resource_wait_for_results"] == "").all()
    assert (labs["start_min_wait_for_results"] >= labs["end_min_lab_draw"]).all()
    assert (labs["end_min_wait_for_results"] - labs["start_min_wait_for_results"] >= 10 - 1e-9).all()
    assert (labs["start_min_provider_recheck"] >= labs["end_min_wait_for_results"]).all()
    # no charting after a recheck: the note was written after the examination
    charting = res.events[res.events["step"] == "documentation"].groupby(KEY).size()
    assert (charting == 1).all()


def test_urgent_care_workup_shares_near_their_probabilities():
    res = results("urgent_care.yaml", MANY)
    shares = option_shares(res)
    assert shares[("urgent", "workup", "x_ray")] == pytest.approx(0.15, abs=0.04)
    assert shares[("urgent", "workup", "labs")] == pytest.approx(0.10, abs=0.04)
    assert shares[("urgent", "workup", "none")] == pytest.approx(0.75, abs=0.05)
    kpis = res.kpis
    assert kpis["share_workup_x_ray_pct"].mean() == pytest.approx(15, abs=4)


def test_urgent_care_sees_about_45_a_day_and_few_leave_without_being_seen():
    """The header's numbers: about 45 patients a day, LWBS within the 1-3% of the benchmarks (with a margin for
    the sampling error of 20 days), leaving only before the exam room and the provider."""
    res = results("urgent_care.yaml", MANY)
    kpis = res.kpis
    assert 40 <= kpis["patients_arrived"].mean() <= 50
    lwbs = kpis["left_without_being_seen"].sum() / kpis["patients_arrived"].sum()
    assert 0.005 <= lwbs <= 0.04
    left = res.patients[res.patients["status"] == "left_without_being_seen"]
    steps = left[KEY].merge(res.events, on=KEY)
    assert not steps["step"].isin(["exam_room", "examination", "discharge"]).any()
    assert (left["departure_min"] - left["arrival_min"] >= 45 - 1e-9).all()


def test_urgent_care_leaves_without_being_seen_when_every_room_is_taken_for_long():
    """A busier evening on the same center: more patients give up, so the renege limit does work."""
    scenario = results("urgent_care.yaml").scenario
    rates = [dict(r.model_dump(mode="json"), per_hour=r.per_hour * 1.6) for r in scenario.walk_ins[0].rates]
    busy = scenario.with_changes({"walk_ins.0.rates": rates})
    kpis = clinicsim.simulate(busy, replications=REPLICATIONS, seed=2024).kpis
    assert kpis["left_without_being_seen"].sum() > results("urgent_care.yaml").kpis["left_without_being_seen"].sum()
    assert math.isfinite(kpis["margin"].mean())


# -- family medicine with a nurse: vaccines and lab draws after the provider visit, the rest of the day as before --


FAMILY = "family_medicine.yaml"
NURSE = "family_medicine_nurse.yaml"
NURSE_STEPS = ("vaccine", "lab_draw")


def test_family_medicine_nurse_changes_only_what_its_header_says():
    """Everything but the established visit's pathway, the staff (plus the nurse), the lab chair and the names
    is inherited from family_medicine.yaml."""
    base = clinicsim.load_scenario(ROOT / "scenarios" / FAMILY).model_dump(mode="json")
    nurse = clinicsim.load_scenario(ROOT / "scenarios" / NURSE).model_dump(mode="json")
    changed = {key for key in base if base[key] != nurse[key]}
    assert changed == {"name", "description", "clinic", "visit_types", "staff"}
    assert {k for k in base["clinic"] if base["clinic"][k] != nurse["clinic"][k]} == {"rooms"}
    assert {k for k in base["visit_types"] if base["visit_types"][k] != nurse["visit_types"][k]} == {"established"}
    assert nurse["staff"][: len(base["staff"])] == base["staff"]
    (added,) = nurse["staff"][len(base["staff"]) :]
    assert added["role"] == "nurse" and added["wage_per_hour"] > 0
    # the established visit's first steps are the base's shorthand, duration for duration
    durations = base["visit_types"]["established"]["durations_min"]
    steps = {s["step"]: s for s in nurse["visit_types"]["established"]["pathway"]}
    assert list(steps) == ["check_in", "rooming", "provider_visit", *NURSE_STEPS, "check_out"]
    for name, duration in durations.items():
        assert steps[name]["duration_min"] == duration, name


def test_family_medicine_nurse_gives_vaccines_and_draws_labs_after_the_visit():
    res = results(NURSE, MANY)
    seen = res.patients[res.patients["status"] == "seen"]
    events = res.events.merge(seen[[*KEY, "visit_type"]], on=KEY)
    nurse = events[events["step"].isin(NURSE_STEPS)]
    assert set(nurse["visit_type"]) == {"established"} and (nurse["resource"] == "RN Ibarra").all()
    established = seen[seen["visit_type"] == "established"][KEY]
    for step, p in zip(NURSE_STEPS, (0.3, 0.2)):
        share = len(nurse[nurse["step"] == step]) / len(established)
        assert share == pytest.approx(p, abs=0.04), step
    # after the provider visit (the exam room given back), at the lab chair, before check-out
    on = [*KEY, "visit_type", "status"]
    for step in NURSE_STEPS:
        rows = step_rows(res, step).merge(step_rows(res, "provider_visit"), on=on)
        rows = rows.merge(step_rows(res, "exam_room"), on=on).merge(step_rows(res, "check_out"), on=on)
        assert len(rows) > 0
        assert (rows["start_min_" + step] >= rows["end_min_provider_visit"]).all()
        assert (rows["end_min_exam_room"] <= rows["end_min_provider_visit"] + TURNOVER_MAX).all()
        assert (rows["start_min_check_out"] >= rows["end_min_" + step]).all()
    chair = res.events[res.events["step"] == "lab_chair_room"].merge(
        nurse.groupby(KEY).agg(first=("start_min", "min"), last=("end_min", "max")).reset_index(), on=KEY
    )
    assert len(chair) == nurse[KEY].drop_duplicates().shape[0]  # one stay in the chair, for one or both steps
    assert ((chair["start_min"] <= chair["first"]) & (chair["end_min"] >= chair["last"])).all()
    assert (res.kpis["nurse_utilization"] > 0).all()


def test_family_medicine_nurse_leaves_every_booked_patients_own_draws_unchanged():
    """Common random numbers: the same seed gives every booked patient the same appointment, no-show, lateness,
    code, payer and step durations in both scenarios; only what happens after the provider visit differs."""
    base, nurse = results(FAMILY), results(NURSE)
    own = ["source", "ordinal", "booked_with", "visit_type", "booking", "appointment_min", "arrival_min"]
    own += ["code", "payer"]
    pd.testing.assert_frame_equal(base.patients[[*KEY, *own]], nurse.patients[[*KEY, *own]])
    assert ((base.patients["status"] == "no_show") == (nurse.patients["status"] == "no_show")).all()
    assert ((base.patients["status"] == "turned_away") == (nurse.patients["status"] == "turned_away")).all()
    for step in ("check_in", "rooming", "provider_visit", "documentation", "check_out"):
        durations = []
        for res in (base, nurse):
            rows = res.events[res.events["step"] == step]
            durations.append(rows.assign(minutes=rows["end_min"] - rows["start_min"])[[*KEY, "minutes"]])
        merged = durations[0].merge(durations[1], on=KEY, suffixes=("_base", "_nurse"))
        assert len(merged) == len(durations[0]) == len(durations[1]) > 0, step
        np.testing.assert_allclose(merged["minutes_base"], merged["minutes_nurse"], rtol=0, atol=1e-9, err_msg=step)
    # the providers' day is untouched by the nurse: the same patients seen by the same providers
    assert (base.patients["provider"].fillna("") == nurse.patients["provider"].fillna("")).all()
    assert (base.kpis["patients_seen"].to_numpy() == nurse.kpis["patients_seen"].to_numpy()).all()
