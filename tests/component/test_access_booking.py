"""The booking model on books small enough to work out by hand: known requests into known slots.

Provider A (and B where said) works Monday to Friday with three 20-minute slots, 09:00, 09:20 and 09:40; the run
starts on Monday 2027-01-04 (day 0), so days 5 and 6 are a weekend. Requests are given, not drawn, each with its
own uniforms (``_u``): by default the patient tolerates anything, never cancels and comes.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from clinicsim.access import simulate_access
from clinicsim.access.demand import DRAWS, Request
from clinicsim.access.kpis import access_kpis
from clinicsim.access.run import run_access
from clinicsim.scenario import Scenario, load_scenario

MON, TUE, WED, THU, FRI = "mon", "tue", "wed", "thu", "fri"


def _scenario(providers=("A",), **access) -> Scenario:
    demand = [
        {"name": "routine", "urgency": "routine", "visit_type": "visit", "per_day": 0},
        {"name": "acute", "urgency": "same_day", "visit_type": "visit", "per_day": 0},
        {"name": "new", "urgency": "new_patient", "visit_type": "visit", "per_day": 0},
    ]
    return Scenario.model_validate(
        {
            "name": "three slots",
            "clinic": {"opens": "07:00", "closes": "18:00", "exam_rooms": 2},
            "visit_types": {"visit": {"p_no_show": 0.1, "durations_min": {"provider_visit": 15}}},
            "templates": {
                "t": {"sessions": [{"start": "09:00", "end": "10:00"}], "slot_min": 20, "pattern": ["visit"]}
            },
            "providers": [
                {"name": name, "template": {d: "t" for d in (MON, TUE, WED, THU, FRI)}} for name in providers
            ],
            "access": {"start": "2027-01-04", "measure_at": "07:00", "demand": demand, **access},
        }
    )


def _u(**draws: float) -> tuple[float, ...]:
    """A request's uniforms: tolerant, keeps the appointment, comes (unless said)."""
    default = {"own_provider": 0.0, "tolerance": 0.5, "take_beyond": 0.99, "cancel": 0.99, "cancel_when": 0.5,
               "reschedule": 0.99, "no_show": 0.99}  # fmt: skip
    return tuple({**default, **draws}[name] for name in DRAWS)


def _requests(scenario: Scenario, *given: tuple) -> dict[int, list[Request]]:
    """Requests by day from (stream, day, "HH:MM", own provider index or -1, uniforms) tuples."""
    streams = {d.name: d for d in scenario.access.demand}
    by_day: dict[int, list[Request]] = {}
    for k, (stream, day, clock, own, u) in enumerate(given):
        h, m = map(int, clock.split(":"))
        request = Request(k, f"{stream}:{day}:{k}", streams[stream], day, day * 1440 + h * 60 + m, own, u)
        by_day.setdefault(day, []).append(request)
    return by_day


def _run(scenario: Scenario, *given: tuple, weeks: int = 2):
    return run_access(scenario, weeks=weeks, warm_up=0, seed=1, replication=0, requests=_requests(scenario, *given))


def _outcomes(run) -> list[tuple]:
    """(outcome, provider, appointment day, lead) per request, in request order."""
    r = run.requests.sort_values("request")
    b = run.bookings.drop_duplicates("request", keep="last").set_index("request")
    day = [int(b.loc[i, "day"]) if i in b.index else None for i in r["request"]]
    time = [float(b.loc[i, "time_min"]) if i in b.index else None for i in r["request"]]
    lead = [None if math.isnan(x) else int(x) for x in r["lead_days"]]
    return list(zip(r["outcome"], r["provider"], day, time, lead))


def test_a_two_week_book_by_hand():
    """Routine requests book the earliest slot from tomorrow on, across the weekend; same-day requests take what
    is left today, then an overbook, then go to urgent care; third-next-available counts open slots from today."""
    scenario = _scenario(same_day={"notice_min": 30, "overbooks_per_provider": 1})
    run = _run(
        scenario,
        ("routine", 0, "08:00", 0, _u()),
        ("routine", 0, "08:10", 0, _u()),
        ("routine", 0, "08:20", 0, _u()),
        ("routine", 0, "08:30", 0, _u()),
        ("routine", 3, "08:00", 0, _u()),  # Thursday: from Friday on
        ("routine", 4, "08:00", 0, _u()),  # Friday: Monday is the next clinic day
        ("routine", 4, "08:10", 0, _u()),
        ("acute", 8, "09:00", 0, _u()),  # Tuesday of week 2: 09:40 is open, 30 minutes' notice
        ("acute", 8, "09:05", 0, _u()),  # nothing open from 09:35: the overbook, at 09:40
        ("acute", 8, "09:06", 0, _u()),  # no overbook left: urgent care
        ("acute", 9, "09:30", 0, _u()),  # no slot from 10:00 on at all
    )
    assert _outcomes(run) == [
        ("booked", "A", 1, 540.0, 1),
        ("booked", "A", 1, 560.0, 1),
        ("booked", "A", 1, 580.0, 1),
        ("booked", "A", 2, 540.0, 2),
        ("booked", "A", 4, 540.0, 1),
        ("booked", "A", 7, 540.0, 3),
        ("booked", "A", 7, 560.0, 3),
        ("booked", "A", 8, 580.0, 0),
        ("overbooked", "A", 8, 580.0, 0),
        ("urgent_care", "", None, None, None),
        ("urgent_care", "", None, None, None),
    ]
    tnaa = run.measures.set_index("day")["third_next_available_days"]
    # Monday 07:00: the day's three slots are open; Tuesday: Tuesday full, Wednesday 09:20 and 09:40 then Thursday
    assert tnaa[0] == 0 and tnaa[1] == 2
    # Friday of week 1 (before its request): Friday 09:20 and 09:40 open, then Monday 09:00 (3 days on)
    assert tnaa[4] == 3
    assert list(run.measures["day"]) == [0, 1, 2, 3, 4, 7, 8, 9, 10, 11]  # clinic days only
    overbook = run.bookings[run.bookings["booking"] == "overbook"]
    assert len(overbook) == 1 and overbook["time_min"].item() == 580.0


def test_a_cancelled_slot_is_offered_again():
    """An appointment cancelled before its day frees its slot for the next request, which books it (a refill);
    the patient who cancelled asks again for a day after the one they cancelled."""
    scenario = _scenario(cancellations={"by_lead_time": [[0, 0], [2, 0], [3, 1]], "p_reschedule": 1})
    fill = [("routine", 0, f"08:{10 * k:02d}", 0, _u()) for k in range(6)]  # days 1 and 2
    run = _run(scenario, *fill, ("routine", 0, "09:00", 0, _u(cancel_when=0.1)), ("routine", 1, "08:00", 0, _u()))
    b = run.bookings.set_index("request")
    cancelled = b.loc[6]
    assert (cancelled["day"], cancelled["time_min"], cancelled["lead_days"]) == (3, 540.0, 3)
    booked_at, appointment_at = 9 * 60, 3 * 1440 + 540
    assert cancelled["cancelled_at_min"] == pytest.approx(booked_at + 0.1 * (appointment_at - booked_at))
    refill = b.loc[8]  # Tuesday's request (7 is the rescheduled one): Wednesday is full, Thursday 09:00 free again
    assert (refill["day"], refill["time_min"], bool(refill["refill"]), refill["lead_days"]) == (3, 540.0, True, 2)
    again = run.requests[run.requests["rescheduled_from"] == 6]
    assert len(again) == 1 and again["outcome"].item() == "booked"
    rebooked = run.bookings[run.bookings["request"] == again["request"].item()]
    assert rebooked["day"].item() >= 4  # after the cancelled Thursday
    position = run.positions[(run.positions["day"] == 3) & (run.positions["time_min"] == 540.0)]
    assert bool(position["freed"].item()) and bool(position["filled"].item())


def test_held_slots_wait_for_their_class_until_released():
    """A slot held for same-day requests is not offered to routine requests until its release, 24 hours before."""
    hold = {"template": "t", "urgency": "same_day", "slots": ["09:40"], "release_hours_before": 24}
    run = _run(
        _scenario(holds=[hold]),
        ("routine", 0, "08:00", 0, _u()),
        ("routine", 0, "08:10", 0, _u()),
        ("routine", 0, "08:20", 0, _u()),  # Tuesday 09:40 is held until Monday 09:40: Wednesday 09:00
        ("routine", 0, "10:00", 0, _u()),  # released now
        ("acute", 2, "08:00", 0, _u()),  # Wednesday's open 09:20 first,
        ("acute", 2, "08:05", 0, _u()),  # then the held 09:40, kept for its class
    )
    booked = [(o[2], o[3]) for o in _outcomes(run)]
    assert booked == [(1, 540.0), (1, 560.0), (2, 540.0), (1, 580.0), (2, 560.0), (2, 580.0)]


def test_continuity_falls_back_to_another_provider_after_the_threshold():
    """A patient stays with their own provider while the wait is within the threshold, and is offered another
    provider's earlier slot beyond it; new patients take the earliest slot with anyone."""
    scenario = _scenario(providers=("A", "B"), continuity={"fallback_after_days": 1})
    own_a = [("routine", 0, f"08:{10 * k:02d}", 0, _u()) for k in range(6)]  # A's Tuesday and Wednesday
    run = _run(scenario, *own_a, ("routine", 0, "09:00", 0, _u()), ("new", 0, "09:10", -1, _u()))
    outcomes = _outcomes(run)
    assert [o[1:3] for o in outcomes[:6]] == [("A", 1)] * 3 + [("A", 2)] * 3  # Wednesday is 1 day past Tuesday
    assert outcomes[6][1:3] == ("B", 1)  # A's Thursday would be 2 days late: B's Tuesday
    assert outcomes[7][1:4] == ("B", 1, 560.0)
    requests = run.requests.set_index("request")
    assert list(requests["with_own"][:7]) == [True] * 6 + [False]
    assert access_kpis(run)["continuity_pct"] == pytest.approx(100 * 6 / 7)


@pytest.mark.parametrize(("take_beyond", "outcome"), [(0.0, "went_elsewhere"), (1.0, "booked")])
def test_a_patient_offered_a_slot_beyond_their_tolerance_goes_elsewhere_or_takes_it(take_beyond, outcome):
    routine = {"name": "routine", "urgency": "routine", "visit_type": "visit", "per_day": 0,
               "tolerance_days": 1, "p_take_beyond_tolerance": take_beyond}  # fmt: skip
    scenario = _scenario()
    scenario = scenario.with_changes({"access.demand.0": routine})
    fill = [("routine", 0, f"08:{10 * k:02d}", 0, _u()) for k in range(3)]
    run = _run(scenario, *fill, ("routine", 0, "09:00", 0, _u(take_beyond=0.5)))
    assert _outcomes(run)[3][0] == outcome  # offered Wednesday: 2 days > 1
    assert access_kpis(run)["lost_demand"] == pytest.approx((outcome != "booked") / 10)  # 10 clinic days


def test_days_off_closed_days_and_the_starting_backlog():
    """A provider away and a closed clinic offer no slots; the backlog takes its slots before any request."""
    scenario = _scenario(
        days_off=[{"provider": "A", "start": "2027-01-05", "end": "2027-01-05"}],
        closed=["2027-01-06"],
        backlog=[{"date": "2027-01-07", "time": "09:00", "provider": "A", "visit_type": "visit"}],
    )
    run = _run(scenario, ("routine", 0, "08:00", 0, _u()))
    assert _outcomes(run)[0][2:] == (3, 560.0, 3)  # Tuesday away, Wednesday closed, Thursday 09:00 in the backlog
    assert 2 not in set(run.measures["day"])  # the clinic is closed: nothing measured
    assert set(run.positions["day"]) >= {0, 3} and not {1, 2} & set(run.positions["day"])
    backlog = run.bookings[run.bookings["request"] < 0]
    assert (backlog["day"].item(), backlog["time_min"].item()) == (3, 540.0)


def test_no_shows_come_from_the_lead_time_curve():
    """The no-show probability of an appointment is the curve at its lead time (linear between points)."""
    scenario = _scenario(no_show_by_lead_time={"visit": [[0, 0.1], [10, 0.3]]})
    run = _run(scenario, ("routine", 0, "08:00", 0, _u(no_show=0.13)), ("routine", 4, "08:00", 0, _u(no_show=0.13)))
    b = run.bookings.set_index("request")
    assert b.loc[0, "p_no_show"] == pytest.approx(0.12) and bool(b.loc[0, "shows"])  # lead 1
    assert b.loc[1, "p_no_show"] == pytest.approx(0.16) and not bool(b.loc[1, "shows"])  # lead 3 (Friday to Monday)


def test_the_booked_days_feed_the_clinic_day_engine():
    """Each reported clinic day is simulated with exactly the appointments kept that day, and the patients who
    come are those the booking model said would come."""
    results = simulate_access("scenarios/family_medicine_access.yaml", weeks=1, warm_up=1, replications=2, days=True)
    days = results.days.set_index(["replication", "day"])
    kept = results.bookings[results.bookings["cancelled_at_min"].isna()]
    for (replication, day), row in days.iterrows():
        mine = kept[(kept["replication"] == replication) & (kept["day"] == day)]
        assert row["patients_booked"] == len(mine)
        assert row["no_shows"] == (~mine["shows"].astype(bool)).sum()
    assert len(days) == 2 * 5  # a week of five clinic days, twice
    assert results.kpis["patients_booked"].tolist() == days.groupby("replication")["patients_booked"].mean().tolist()


def test_plans_are_booked_on_the_same_requests():
    """Two plans with the same seed see the same requests, at the same times, with the same draws (common random
    numbers); another replication sees other requests."""
    base = load_scenario("scenarios/family_medicine_access.yaml")
    hold = {"template": "fm_20", "urgency": "same_day", "share": 0.3, "release_hours_before": 2}
    plan = base.with_changes({"access.holds": [hold]})
    first, second = (run_access(s, weeks=2, warm_up=0, seed=7, replication=0) for s in (base, plan))
    columns = ["demand", "day", "time_min", "own_provider"]
    original = [r.requests[r.requests["rescheduled_from"] < 0][columns].reset_index(drop=True) for r in (first, second)]
    pd.testing.assert_frame_equal(*original)
    assert not first.requests["outcome"].equals(second.requests["outcome"])  # the plans book them differently
    other = run_access(base, weeks=2, warm_up=0, seed=7, replication=1)
    assert len(other.requests) != len(first.requests) or not other.requests["time_min"].equals(
        first.requests["time_min"]
    )
    again = run_access(base, weeks=2, warm_up=0, seed=7, replication=0)
    pd.testing.assert_frame_equal(again.bookings, first.bookings)


def test_a_hold_never_released_stays_with_its_class():
    """Without release_hours_before, a held slot is never offered to another class, and third-next-available
    (what a routine request could book) does not count it."""
    hold = {"template": "t", "urgency": "same_day", "slots": ["09:40"]}
    fill = [("routine", 0, f"08:{10 * k:02d}", 0, _u()) for k in range(4)]
    run = _run(_scenario(holds=[hold]), *fill)
    assert [(o[2], o[3]) for o in _outcomes(run)] == [(1, 540.0), (1, 560.0), (2, 540.0), (2, 560.0)]
    tnaa = run.measures.set_index("day")["third_next_available_days"]
    assert tnaa[0] == 1  # Monday 09:00, 09:20, then Tuesday 09:00: 09:40 never counts


def test_a_provider_away_is_planned_as_the_scenario_without_their_day():
    """The day plan of a provider's day off (a copy, not validated again) simulates exactly as the validated
    scenario with that provider's template for the weekday taken out."""
    from clinicsim.day_plans import DayPlans
    from clinicsim.engine import simulate_day
    from clinicsim.experiment import day_kpis
    from clinicsim.plan import plan_day

    scenario = load_scenario("scenarios/family_medicine_access.yaml")
    copied = DayPlans(scenario).plan("tue", frozenset({"Dr Baker"}))
    days = {d: "fm_20" for d in ("mon", "wed", "thu", "fri")}
    validated = plan_day(scenario.with_changes({"weekday": "tue", "providers.Dr Baker.template": days}))
    assert [d.name for d in copied.providers] == ["Dr Alvarez", "Dr Chen", "NP Diaz"]
    first, second = (simulate_day(p, seed=3, replication=0) for p in (copied, validated))
    assert day_kpis(first, copied.scenario) == day_kpis(second, validated.scenario)


def test_each_weekday_books_the_templates_its_weekday_changes_give():
    """A weekday whose ``weekday_changes`` give a provider another template offers that template's slots."""
    scenario = _scenario().with_changes(
        {
            "templates.short": {"sessions": [{"start": "09:00", "end": "09:40"}], "slot_min": 20, "pattern": ["visit"]},
            "weekday_changes": {FRI: {"providers.A.template": {d: "short" for d in (MON, TUE, WED, THU, FRI)}}},
        }
    )
    run = _run(scenario)
    per_day = run.positions.groupby("day").size()
    assert per_day[4] == 2 and per_day[3] == 3 and per_day[11] == 2  # Fridays: two slots
