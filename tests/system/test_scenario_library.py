"""The scenario library: every bundled scenario loads, validates, and simulates to numbers an administrator would
recognise; and each specialty scenario does what its header says (walk-ins, dedicated rooms, no bookings)."""

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
UTILIZATIONS = ("provider_utilization", "room_utilization", "ma_utilization", "front_desk_utilization")


@cache
def results(name: str) -> clinicsim.Results:
    """A few simulated days of a bundled scenario, shared by the tests of this module."""
    return clinicsim.simulate(ROOT / "scenarios" / name, replications=REPLICATIONS, seed=2024)


def seen_visits(name: str) -> pd.DataFrame:
    """Seen patients with their provider visit's start, end and the exam room and rooming staff they had."""
    res = results(name)
    patients = res.patients[res.patients["status"] == "seen"]
    events = res.events
    key = ["replication", "patient"]
    visit = events[events["step"] == "provider_visit"][[*key, "start_min", "end_min"]]
    room = events[events["step"] == "exam_room"][[*key, "resource"]].rename(columns={"resource": "room"})
    rooming = events[events["step"] == "rooming"][[*key, "resource"]].rename(columns={"resource": "roomed_by"})
    out = patients.merge(visit, on=key).merge(room, on=key, how="left").merge(rooming, on=key, how="left")
    return out.assign(visit_min=out["end_min"] - out["start_min"])


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
    echo = seen[seen["visit_type"] == "echo"]
    assert len(echo) > 0 and echo["roomed_by"].isna().all() and (echo["provider"] == "Echo lab").all()
    events = res.events
    check_in = events[events["step"] == "check_in"].merge(res.patients, on=["replication", "patient"])
    cardiology_desk = set(check_in.loc[check_in["visit_type"].isin(CARDIOLOGY), "resource"])
    dermatology_desk = set(check_in.loc[check_in["visit_type"].isin(DERMATOLOGY), "resource"])
    assert cardiology_desk & dermatology_desk and cardiology_desk <= {"Front desk#1", "Front desk#2", "Front desk#3"}


def test_multispecialty_is_medicare_heavy_and_bills_procedure_codes():
    res = results("multispecialty.yaml")
    finance = res.scenario.finance
    assert max(finance.payers, key=lambda p: finance.payers[p].share) == "Medicare"
    codes = set(res.patients.loc[res.patients["status"] == "seen", "code"])
    assert codes & {"93306", "93308"} and codes & {"11102", "11104", "17000", "17110", "11402", "11602"}


# -- urgent care: nobody booked, walk-ins only, people leave when the lobby backs up ------------------------------


def test_urgent_care_has_no_bookings_only_walk_ins():
    res = results("urgent_care.yaml")
    kpis = res.kpis
    assert (kpis["patients_booked"] == 0).all() and (kpis["no_shows"] == 0).all()
    assert (kpis["walk_ins"] > 0).all() and (kpis["walk_ins"] == kpis["patients_arrived"]).all()
    assert set(res.patients["booking"]) == {"walk_in"}
    seen = seen_visits("urgent_care.yaml")
    assert seen["provider"].nunique() == len(res.scenario.providers)  # the first free provider sees them
    assert res.scenario.patients.renege_after_min is not None
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


def test_urgent_care_leaves_without_being_seen_when_every_room_is_taken_for_long():
    """A busier evening on the same center: more patients give up, so the renege limit does work."""
    scenario = results("urgent_care.yaml").scenario
    rates = [dict(r.model_dump(mode="json"), per_hour=r.per_hour * 1.6) for r in scenario.walk_ins[0].rates]
    busy = scenario.with_changes({"walk_ins.0.rates": rates})
    kpis = clinicsim.simulate(busy, replications=REPLICATIONS, seed=2024).kpis
    assert kpis["left_without_being_seen"].sum() > results("urgent_care.yaml").kpis["left_without_being_seen"].sum()
    assert math.isfinite(kpis["margin"].mean())
