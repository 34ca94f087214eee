"""Common random numbers: what makes two plans comparable patient by patient.

- The same seed gives a bit-identical event log (every table); a different seed, or a different replication,
  gives a different day.
- A minimally different world keeps every patient's own draws: with one more exam room, one more medical
  assistant (assigned, or a floating one who helps every provider), a new walk-in stream or a new provider,
  every booked patient (known by provider and booking ordinal) keeps the same visit type, show/no-show,
  arrival time and step durations (check-in, rooming, provider visit, documentation, check-out), and each
  provider keeps the same late starts; only the queueing changes.
- Replication r is the same day whether it is run in a full batch or in a batch that starts at r (so chunks of
  a sweep can run anywhere, in any order).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clinicsim

FAMILY_MEDICINE = Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml"
TABLES = ("steps", "patients", "resources", "duty", "schedule")
FIXED_LENGTH_STEPS = ("check_in", "rooming", "provider_visit", "documentation", "check_out")
"""Steps whose duration is the patient's own draw, whatever the queueing."""

REPLICATIONS = 3
SEED = 2024


@pytest.fixture(scope="module")
def base() -> dict:
    """The family-medicine clinic with rooms scarce enough to queue for, as a dict to vary."""
    scenario = clinicsim.load_scenario(FAMILY_MEDICINE).model_dump(mode="json", by_alias=True)
    scenario["clinic"]["exam_rooms"] = 4
    return scenario


def build(scenario: dict) -> clinicsim.Scenario:
    return clinicsim.Scenario.model_validate(scenario)


def run(scenario: dict, *, seed: int = SEED, replications: int = REPLICATIONS, **kwargs) -> clinicsim.Results:
    return clinicsim.simulate(build(scenario), replications=replications, seed=seed, **kwargs)


def tables(results: clinicsim.Results) -> dict[str, pd.DataFrame]:
    out = {name: pd.concat([log.frame(name) for log in results.logs], ignore_index=True) for name in TABLES}
    out["kpis"] = results.kpis
    return out


def booked_draws(results: clinicsim.Results) -> pd.DataFrame:
    """Per (replication, provider, ordinal) of booked patients: what was drawn for them, not what happened."""
    pt = results.patients
    pt = pt[pt["source"] == "booked"].copy()
    pt["shows"] = pt["status"] != "no_show"
    columns = ["replication", "booked_with", "ordinal", "visit_type", "appointment_min", "arrival_min", "shows"]
    return pt[columns].set_index(["replication", "booked_with", "ordinal"]).sort_index()


def step_lengths(results: clinicsim.Results, source: str = "booked") -> pd.Series:
    """end - start of each fixed-length step, per (replication, provider booked with, ordinal, step)."""
    ev = results.events
    ev = ev[ev["step"].isin(FIXED_LENGTH_STEPS)]
    who = results.patients[["replication", "patient", "source", "booked_with", "ordinal"]]
    ev = ev.merge(who, on=["replication", "patient"])
    ev = ev[ev["source"] == source]
    lengths = (ev["end_min"] - ev["start_min"]).to_numpy()
    index = pd.MultiIndex.from_frame(ev[["replication", "booked_with", "ordinal", "step"]])
    return pd.Series(lengths, index=index).sort_index()


def starts(results: clinicsim.Results) -> pd.Series:
    ev = results.events.merge(results.patients[["replication", "patient", "booked_with", "ordinal"]])
    return ev.set_index(["replication", "booked_with", "ordinal", "step"])["start_min"].sort_index()


def first_duty_start(results: clinicsim.Results) -> dict[tuple[int, str], float]:
    """When each provider first comes on duty (session start plus the late start), per replication."""
    out = {}
    for log in results.logs:
        duty = log.duty
        for name in log.resources["resource"][log.resources["kind"] == "provider"]:
            out[(log.replication, name)] = float(duty["on_min"][duty["resource"] == name].min())
    return out


def assert_same_own_draws(before: clinicsim.Results, after: clinicsim.Results, *, providers=None) -> None:
    """Every booked patient (of ``providers``, default all) has the same draws in both runs."""
    draws_before, draws_after = booked_draws(before), booked_draws(after)
    lengths_before, lengths_after = step_lengths(before), step_lengths(after)
    if providers is not None:
        draws_after = draws_after[draws_after.index.get_level_values("booked_with").isin(providers)]
        lengths_after = lengths_after[lengths_after.index.get_level_values("booked_with").isin(providers)]
    pd.testing.assert_frame_equal(draws_before, draws_after, check_exact=True)
    # the same patients did the same steps (nobody reneges or is sent home in these scenarios), each taking as
    # long as before
    assert lengths_before.index.equals(lengths_after.index)
    np.testing.assert_allclose(lengths_after.to_numpy(), lengths_before.to_numpy(), rtol=0, atol=1e-9)


# -- reproducibility ------------------------------------------------------------------------------------------------


def test_same_seed_gives_a_bit_identical_event_log(base):
    first, second = tables(run(base)), tables(run(base))
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True)


def test_different_seeds_give_different_days(base):
    one, other = run(base, seed=1), run(base, seed=2)
    assert not np.array_equal(one.patients["arrival_min"], other.patients["arrival_min"])
    assert not one.events[["start_min", "end_min"]].equals(other.events[["start_min", "end_min"]])
    assert not one.kpis.equals(other.kpis)


def test_replications_of_one_run_are_different_days(base):
    results = run(base)
    arrivals = [log.patients["arrival_min"] for log in results.logs]
    for r in range(1, len(arrivals)):
        assert not np.array_equal(arrivals[0], arrivals[r])


@pytest.mark.parametrize("offset", [1, 3])
def test_a_batch_starting_at_replication_k_repeats_those_replications_of_a_full_batch(base, offset):
    full = run(base, replications=5)
    part = run(base, replications=2, first_replication=offset)
    assert [log.replication for log in part.logs] == [offset, offset + 1]
    for k, log in enumerate(part.logs):
        for name in TABLES:
            pd.testing.assert_frame_equal(log.frame(name), full.logs[offset + k].frame(name), check_exact=True)
    pd.testing.assert_frame_equal(
        part.kpis.reset_index(drop=True),
        full.kpis.iloc[offset : offset + 2].reset_index(drop=True),
        check_exact=True,
    )


# -- a minimally different world ---------------------------------------------------------------------------------------


def test_one_more_exam_room_keeps_every_patients_draws_and_changes_only_the_queueing(base):
    more_rooms = {**base, "clinic": {**base["clinic"], "exam_rooms": 5}}
    before, after = run(base), run(more_rooms)
    assert_same_own_draws(before, after)
    assert first_duty_start(before) == first_duty_start(after)

    assert not starts(before).equals(starts(after))  # rooms were scarce: some steps start at other times
    assert after.kpis["lobby_wait_mean_min"].mean() < before.kpis["lobby_wait_mean_min"].mean()


def test_one_more_medical_assistant_keeps_every_patients_draws(base):
    staff = [dict(group) for group in base["staff"]]
    evans = next(g for g in staff if g["name"] == "MA Evans")
    evans["count"] = 2
    before, after = run(base), run({**base, "staff": staff})
    assert_same_own_draws(before, after)
    assert not starts(before).equals(starts(after))
    assert set(after.events["resource"]) >= {"MA Evans#1", "MA Evans#2"}


def test_a_pooled_helper_keeps_every_patients_draws_and_rooms_for_every_provider(base):
    """A floating MA (no assignment) added to a clinic of one assigned MA per provider: everybody's draws stay,
    and the float rooms some patients of each provider, when their own MA is busy."""
    evans = next(g for g in base["staff"] if g["name"] == "MA Evans")
    helper = {**evans, "name": "MA Float", "assigned_to": None}
    before, after = run(base), run({**base, "staff": [*base["staff"], helper]})
    assert_same_own_draws(before, after)
    assert not starts(before).equals(starts(after))
    rooming = after.events[(after.events["step"] == "rooming")].merge(
        after.patients[["replication", "patient", "booked_with"]]
    )
    helped = set(rooming.loc[rooming["resource"] == "MA Float", "booked_with"])
    assert helped == {p["name"] for p in base["providers"]}


WALK_INS = {
    "name": "same-day acute",
    "visit_type": "established",
    "rates": [{"start": "08:00", "end": "16:00", "per_hour": 3}],
}


def test_a_new_walk_in_stream_keeps_every_booked_patients_draws(base):
    before, after = run(base), run({**base, "walk_ins": [WALK_INS]})
    assert (after.patients["source"] == "same-day acute").sum() > 0
    assert_same_own_draws(before, after)
    assert not starts(before).equals(starts(after))


def test_a_new_provider_keeps_the_other_providers_patients_draws_and_late_starts(base):
    newcomer = {**base["providers"][0], "name": "Dr Ng"}
    ma = {**next(g for g in base["staff"] if g["name"] == "MA Evans"), "name": "MA Ito", "assigned_to": ["Dr Ng"]}
    before = run(base)
    after = run({**base, "providers": [*base["providers"], newcomer], "staff": [*base["staff"], ma]})
    existing = [p["name"] for p in base["providers"]]
    assert_same_own_draws(before, after, providers=existing)
    assert {k: v for k, v in first_duty_start(after).items() if k[1] in existing} == first_duty_start(before)
    assert (after.patients["booked_with"] == "Dr Ng").sum() > 0


def test_a_new_provider_listed_first_shifts_patient_ids_but_not_draws(base):
    """Patient ids follow list order; draws follow the patient's identity (provider, ordinal), not the id."""
    newcomer = {**base["providers"][0], "name": "Dr Ng"}
    ma = {**next(g for g in base["staff"] if g["name"] == "MA Evans"), "name": "MA Ito", "assigned_to": ["Dr Ng"]}
    before = run(base)
    after = run({**base, "providers": [newcomer, *base["providers"]], "staff": [*base["staff"], ma]})
    assert after.patients["patient"].max() > before.patients["patient"].max()
    assert_same_own_draws(before, after, providers=[p["name"] for p in base["providers"]])


def test_walk_ins_keep_their_arrivals_and_own_step_lengths_when_a_room_is_added(base):
    with_walk_ins = {**base, "walk_ins": [{**WALK_INS, "provider": "Dr Baker"}]}
    before = run(with_walk_ins)
    after = run({**with_walk_ins, "clinic": {**base["clinic"], "exam_rooms": 5}})
    walk = before.patients["source"] == "same-day acute"
    assert walk.sum() > 0
    np.testing.assert_array_equal(
        before.patients.loc[walk, "arrival_min"],
        after.patients.loc[after.patients["source"] == "same-day acute", "arrival_min"],
    )
    lengths_before, lengths_after = step_lengths(before, "same-day acute"), step_lengths(after, "same-day acute")
    assert lengths_before.index.equals(lengths_after.index)
    np.testing.assert_allclose(lengths_after.to_numpy(), lengths_before.to_numpy(), rtol=0, atol=1e-9)
