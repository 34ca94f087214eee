"""Properties of any simulated clinic day, checked on many small generated scenarios (hypothesis).

Each example is a tiny clinic: one to three providers with one or two sessions (some late, some off today),
pooled or dedicated exam rooms, front desk and medical assistants (pooled, assigned, or assigned and helped by
the pool; sometimes a receptionist assigned to one provider) on one or two shifts with breaks, visit types with
steps switched off or no room (telehealth), no-shows, early and late patients, the late policy, reneging and
walk-ins. Whatever the clinic, a simulated day must keep these promises:

- no wait and no duration is negative (the provider wait included: a patient seen before the appointment
  waits 0), and nobody leaves before arriving;
- each patient's steps happen in pathway order (check-in, room, rooming, provider visit, documentation,
  check-out) and each step is done by someone allowed to do it: a provider's assigned staff, or the pool
  when none of them is free;
- no provider, staff member or room ever serves two patients at once, nor while off duty (between shifts, on
  a break, before a session starts), breaks last their full length, and a break ending at or after its
  shift's end does not bring the person back;
- every patient is accounted for exactly once (seen, no-show, turned away, left without being seen, or sent
  home not seen at close), consistently with the late policy and reneging; everyone who comes leaves; a
  patient is sent home only when everybody who could do their next step has gone for the day, and a seen
  patient skips check-out only when nobody is left to do it; the KPI counts add up;
- the schedule table lists every session, shift (with its breaks) and opening; overtime is the on-duty time
  outside the scheduled windows, idle time the scheduled time (less breaks) without a patient;
- utilizations are fractions in [0, 1] and every KPI is finite wherever it is defined.

"Gone for the day" is checked when the patient leaves.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clinicsim
from clinicsim.scenario import staff_groups_for

EPS = 1e-9
STATUSES = {"seen", "no_show", "turned_away", "left_without_being_seen", "not_seen_at_close"}
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- generated scenarios ----------------------------------------------------------------------------------------

durations = st.one_of(
    st.sampled_from([0, 1, 2.5, 5, 10]),
    st.builds(lambda m: {"kind": "exponential", "mean": m}, st.sampled_from([2, 5, 12])),
    st.builds(lambda m: {"kind": "lognormal", "mean": m, "sd": m / 2}, st.sampled_from([3, 8, 15])),
    st.just({"kind": "triangular", "low": 1, "mode": 3, "high": 9}),
)
visit_lengths = st.one_of(
    st.sampled_from([5, 10, 15, 20]),
    st.builds(lambda m: {"kind": "exponential", "mean": m}, st.sampled_from([8, 15])),
    st.builds(lambda m: {"kind": "gamma", "mean": m, "cv": 0.5}, st.sampled_from([10, 20])),
)
lateness = st.sampled_from(
    [0, -10, 7, {"kind": "normal", "mean": -5, "sd": 10}, {"kind": "uniform", "low": -20, "high": 25}]
)


@st.composite
def visit_type(draw) -> dict:
    steps = {"provider_visit": draw(visit_lengths)}
    for step in ("check_in", "rooming", "check_out"):
        if draw(st.booleans()):
            steps[step] = draw(durations)
    return {
        "p_no_show": draw(st.sampled_from([0.0, 0.0, 0.2, 0.5, 1.0])),
        "needs_room": draw(st.booleans()),
        "durations_min": steps,
    }


@st.composite
def template(draw, visit_type_names: list[str]) -> dict:
    slot = draw(st.sampled_from([10, 15, 20, 30]))
    start = draw(st.sampled_from([480, 510]))
    first_end = start + draw(st.sampled_from([30, 60, 90]))
    sessions = [(start, first_end)]
    if draw(st.booleans()):
        second = first_end + draw(st.sampled_from([0, 15, 45]))
        sessions.append((second, second + draw(st.sampled_from([30, 60]))))
    pattern = draw(
        st.lists(st.sampled_from([*visit_type_names, "blocked"]), min_size=1, max_size=3).filter(
            lambda p: any(t != "blocked" for t in p)  # a template that books nobody is refused
        )
    )
    rule = draw(
        st.sampled_from(
            [
                {"kind": "fixed_interval"},
                {"kind": "bailey_welch", "k": 2},
                {"kind": "bailey_welch", "k": 3},
                {"kind": "wave", "wave_min": 30},
            ]
        )
    )
    out = {
        "sessions": [{"start": clock(a), "end": clock(b)} for a, b in sessions],
        "slot_min": slot,
        "pattern": pattern,
        "rule": rule,
    }
    if draw(st.booleans()):
        out["double_book"] = [clock(start + slot * draw(st.integers(0, (first_end - start) // slot - 1)))]
    if draw(st.integers(0, 4)) == 0:
        out["overbooking"] = {"extra_per_session": draw(st.integers(1, 2)), "placement": "spread"}
    return out


@st.composite
def shifts(draw) -> list[dict]:
    """One or two shifts, each with at most one break that fits inside."""
    first_start = draw(st.sampled_from([450, 465, 480, 500]))
    first_end = first_start + draw(st.sampled_from([20, 60, 120, 240]))
    out = [(first_start, first_end)]
    if draw(st.booleans()):
        second = first_end + draw(st.sampled_from([10, 30, 60]))
        out.append((second, second + draw(st.sampled_from([30, 120]))))
    result = []
    for a, b in out:
        shift = {"start": clock(a), "end": clock(b)}
        length = draw(st.sampled_from([5, 10, 15]))
        if draw(st.booleans()) and b - a > length:
            at = a + draw(st.integers(0, b - a - length))
            shift["breaks"] = [{"start": clock(at), "duration_min": length}]
        result.append(shift)
    return result


@st.composite
def scenarios(draw) -> clinicsim.Scenario:
    n_types = draw(st.integers(1, 2))
    visit_types = {f"vt{i}": draw(visit_type()) for i in range(n_types)}
    names = list(visit_types)

    n_providers = draw(st.integers(1, 3))
    provider_names = [f"P{i}" for i in range(n_providers)]
    templates, providers = {}, []
    for i, name in enumerate(provider_names):
        templates[f"t{i}"] = draw(template(names))
        works_today = i == 0 or draw(st.integers(0, 3)) > 0
        providers.append(
            {
                "name": name,
                "template": f"t{i}" if works_today else {"tue": f"t{i}"},
                "speed_factor": draw(st.sampled_from([0.8, 1.0, 1.25])),
                "late_start_min": draw(
                    st.sampled_from([0, 0, 5, {"kind": "triangular", "low": 0, "mode": 2, "high": 10}])
                ),
                "documentation_min": draw(st.sampled_from([0, 0, 3, {"kind": "exponential", "mean": 3}])),
            }
        )

    dedicated = draw(st.booleans())
    rooms = {name: draw(st.integers(1, 2)) for name in provider_names} if dedicated else draw(st.integers(1, 3))

    staff = [
        {
            "name": "desk",
            "role": "front_desk",
            "count": draw(st.integers(1, 2)),
            "serves": ["check_in", "check_out"],
            "shifts": draw(shifts()),
        }
    ]
    mas = draw(st.sampled_from(["pool", "assigned", "both"]))  # "both": the pool helps the assigned MAs
    if mas in ("pool", "both"):
        staff.append(
            {
                "name": "ma pool",
                "role": "medical_assistant",
                "count": draw(st.integers(1, 2)),
                "serves": ["rooming"],
                "shifts": draw(shifts()),
            }
        )
    if mas in ("assigned", "both"):  # one MA per provider (or per pair of providers)
        share = draw(st.booleans()) and n_providers > 1
        groups = [provider_names[:2], provider_names[2:]] if share else [[p] for p in provider_names]
        for k, group in enumerate(g for g in groups if g):
            staff.append(
                {
                    "name": f"ma {k}",
                    "role": "medical_assistant",
                    "serves": ["rooming"],
                    "assigned_to": group,
                    "shifts": draw(shifts()),
                }
            )
    if draw(st.integers(0, 3)) == 0:  # a receptionist for the first provider, helped by the desk
        staff.append(
            {
                "name": "reception",
                "role": "front_desk",
                "serves": ["check_in"],
                "assigned_to": [provider_names[0]],
                "shifts": draw(shifts()),
            }
        )

    patients = {
        "lateness_min": draw(lateness),
        "turn_away_if_late_by_min": draw(st.sampled_from([None, 0, 10])),
        "renege_after_min": draw(st.sampled_from([None, 10, 30])),
    }

    walk_ins = []
    for k in range(draw(st.integers(0, 2))):
        vt = draw(st.sampled_from(names))
        target = draw(st.sampled_from([None, *provider_names]))
        if target is None and dedicated and visit_types[vt]["needs_room"]:
            target = provider_names[0]  # walk-ins for anyone need pooled rooms
        start = draw(st.sampled_from([450, 480, 540]))
        walk_ins.append(
            {
                "name": f"walk-ins {k}",
                "visit_type": vt,
                "provider": target,
                "rates": [
                    {"start": clock(start), "end": clock(start + 60), "per_hour": draw(st.sampled_from([1, 3, 6]))}
                ],
            }
        )

    return clinicsim.Scenario.model_validate(
        {
            "name": "generated",
            "weekday": "mon",
            "clinic": {
                "opens": draw(st.sampled_from(["07:30", "08:00"])),
                "closes": draw(st.sampled_from(["11:45", "12:00"])),  # sessions end by 11:45
                "exam_rooms": rooms,
                "room_turnover_min": draw(st.sampled_from([0, 2, {"kind": "uniform", "low": 1, "high": 4}])),
            },
            "visit_types": visit_types,
            "templates": templates,
            "providers": providers,
            "staff": staff,
            "patients": patients,
            "walk_ins": walk_ins,
        }
    )


seeds = st.integers(0, 2**32 - 1)


def simulate(scenario: clinicsim.Scenario, seed: int) -> clinicsim.Results:
    return clinicsim.simulate(scenario, replications=1, seed=seed)


# -- helpers over the event log -------------------------------------------------------------------------------


def rows_by_patient(log: clinicsim.EventLog) -> dict[int, dict[str, dict]]:
    """Each patient's step rows by step name (asserting no step appears twice for a patient)."""
    out: dict[int, dict[str, dict]] = defaultdict(dict)
    s = log.steps
    for i in range(len(s["patient"])):
        patient, step = int(s["patient"][i]), s["step"][i]
        assert step not in out[patient], f"patient {patient} has two {step} rows"
        out[patient][step] = {
            "queued": s["queued_min"][i],
            "start": s["start_min"][i],
            "end": s["end_min"][i],
            "resource": s["resource"][i],
        }
    return out


def intervals_by_resource(columns: dict, start: str, end: str) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for name, a, b in zip(columns["resource"], columns[start], columns[end]):
        out[name].append((float(a), float(b)))
    return {name: sorted(v) for name, v in out.items()}


def member_names(groups) -> set[str]:
    """Names of the people of staff groups, as the plan names them ("desk", or "desk#1", "desk#2")."""
    names = set()
    for g in groups:
        names |= {g.name} if g.count == 1 else {f"{g.name}#{k + 1}" for k in range(g.count)}
    return names


def walk_staff_duty(member, periods: list[tuple[float, float]]) -> bool:
    """Check one person's duty periods against their shifts and breaks, as the engine promises them.

    Each shift starts on duty at its start (or when the previous shift's last patient is done); a break starts
    once the patient in hand is done and lasts its full length; the person comes back from it only if it ends
    before the shift's end; a shift's last period lasts at least until the shift's end. Returns whether the
    person was still off on a break when their last shift ended (see the strict xfail test of the stranding
    bug in ``test_engine_timelines.py``).
    """
    periods = list(periods)
    k, ready, on_duty = 0, -math.inf, True

    def next_period() -> tuple[float, float]:
        nonlocal k
        assert k < len(periods), f"{member.name} has too few duty periods: {periods}"
        k += 1
        return periods[k - 1]

    for shift in member.shifts:
        on, off = next_period()
        assert abs(on - max(shift.start, ready)) <= 1e-6, (member.name, shift, periods)
        on_duty = True
        for pause in shift.breaks:
            if not on_duty:  # already off for the rest of the shift
                ready = max(ready, pause.start) + pause.duration_min
                continue
            assert off >= pause.start - EPS, f"{member.name} went on a break before it was due"
            back = off + pause.duration_min
            if back < shift.end:
                on, off = next_period()
                assert abs(on - back) <= 1e-6, f"{member.name}'s break did not last its full length"
            else:  # the break ends at or after the shift's end: off for the rest of the shift
                on_duty, ready = False, back
        if on_duty:
            assert off >= shift.end - EPS, f"{member.name} left before the end of a shift"
            ready = off
    assert k == len(periods), f"{member.name} has unexpected duty periods: {periods}"
    return not on_duty


def windows_by_resource(log: clinicsim.EventLog) -> dict[str, list[tuple[float, float]]]:
    return intervals_by_resource(log.schedule, "start_min", "end_min")


def gone_by(resource: str, time: float, duty: dict, windows: dict) -> bool:
    """Whether ``resource`` is done for the day at ``time``: past its last window and never on duty again."""
    last_window_end = max(e for _s, e in windows[resource])
    return last_window_end <= time + EPS and all(off <= time + EPS for _on, off in duty.get(resource, []))


def gaps(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The stretches after each scheduled window up to the next one's start (the last one: to the end of time)."""
    return [(e, windows[i + 1][0] if i + 1 < len(windows) else math.inf) for i, (_s, e) in enumerate(windows)]


def overlap(intervals, within) -> float:
    """Total minutes of ``intervals`` that fall inside ``within`` (both lists of (start, end))."""
    return sum(max(0.0, min(b, y) - max(a, x)) for a, b in intervals for x, y in within)


def starts_in_a_gap(periods, windows) -> bool:
    return any(x - EPS <= on < y for on, _off in periods for x, y in gaps(windows))


def merged(periods: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Duty periods with back-to-back ones joined (off and on again at the same instant: on duty throughout)."""
    out: list[tuple[float, float]] = []
    for on, off in periods:
        if out and on <= out[-1][1] + EPS:
            out[-1] = (out[-1][0], max(out[-1][1], off))
        else:
            out.append((on, off))
    return out


def stranding_possible(log: clinicsim.EventLog, plan: clinicsim.DayPlan) -> bool:
    """Whether someone was off on a break when their last shift ended (the stranding bug can then strike)."""
    duty = intervals_by_resource(log.duty, "on_min", "off_min")
    return any(walk_staff_duty(member, duty.get(member.name, [])) for member in plan.staff)


def plan_shifts(plan: clinicsim.DayPlan, name: str):
    """A staff member's shifts (none for a provider or a room)."""
    return next((m.shifts for m in plan.staff if m.name == name), ())


def approx(value: float):
    return pytest.approx(value, abs=1e-6)


def servers_for(plan: clinicsim.DayPlan, step: str, route: str | None) -> list[str]:
    """Names of the people, rooms or providers who may do ``step`` for a patient routed to ``route``."""
    if step == "exam_room":
        return [plan.rooms[i].name for i in plan.room_eligible[route]]
    if step == "provider_visit":
        return [plan.providers[i].name for i in plan.provider_eligible[route]]
    return [plan.staff[i].name for i in plan.staff_eligible[(step, route)]]


# -- the properties -------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_no_negative_waits_or_durations(scenario, seed):
    results = simulate(scenario, seed)
    steps = results.logs[0].steps
    assert np.all(steps["queued_min"] <= steps["start_min"] + EPS)
    assert np.all(steps["start_min"] <= steps["end_min"] + EPS)

    pt = results.patients
    left = pt["departure_min"].notna()
    assert (pt.loc[left, "departure_min"] >= pt.loc[left, "arrival_min"] - EPS).all()

    kpis = results.kpis.iloc[0]
    for name in (
        "provider_wait_mean_min",
        "provider_wait_p90_min",
        "check_in_wait_mean_min",
        "lobby_wait_mean_min",
        "exam_room_wait_mean_min",
        "check_out_wait_mean_min",
        "cycle_time_mean_min",
        "provider_idle_mean_min",
        "provider_overtime_mean_min",
        "staff_overtime_mean_min",
    ):
        assert math.isnan(kpis[name]) or kpis[name] >= -EPS, name


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_each_patients_steps_follow_the_pathway_and_are_done_by_the_right_people(scenario, seed):
    results = simulate(scenario, seed)
    log = results.logs[0]
    pt = log.patients
    room_owner = {
        r: owner
        for r, owner, kind in zip(log.resources["resource"], log.resources["group"], log.resources["kind"])
        if kind == "exam_room"
    }
    for patient, steps in rows_by_patient(log).items():
        route = pt["booked_with"][patient] or None
        vt = scenario.visit_types[pt["visit_type"][patient]]
        for name, row in steps.items():
            assert name in ("check_in", "rooming", "exam_room", "provider_visit", "documentation", "check_out")
            assert row["queued"] >= pt["arrival_min"][patient] - EPS
            if name in ("check_in", "rooming", "check_out"):
                assert getattr(vt.durations_min, name) is not None, f"{name} is switched off for this visit"
                allowed = member_names(staff_groups_for(scenario, name, route))
                assert row["resource"] in allowed, (name, row["resource"], allowed)
        if "exam_room" in steps:
            assert vt.needs_room
            owner = room_owner[steps["exam_room"]["resource"]]
            assert owner in ("exam rooms", route), (owner, route)  # pooled, or the provider's own
            if "provider_visit" in steps:
                assert owner in ("exam rooms", pt["provider"][patient])
            else:  # sent home while holding the room: it is released (no turnover) when they leave
                assert pt["status"][patient] == "not_seen_at_close"
                assert steps["exam_room"]["end"] == pt["departure_min"][patient]
        else:
            assert not (vt.needs_room and "provider_visit" in steps)
        if "check_in" in steps:
            for later in ("exam_room", "rooming", "provider_visit"):
                if later in steps:
                    assert steps["check_in"]["end"] <= steps[later]["queued"] + EPS
        if "exam_room" in steps:
            for inside in ("rooming", "provider_visit"):
                if inside in steps:
                    assert steps["exam_room"]["start"] <= steps[inside]["start"] + EPS
                    assert steps[inside]["end"] <= steps["exam_room"]["end"] + EPS
        if "rooming" in steps and "provider_visit" in steps:
            assert steps["rooming"]["end"] <= steps["provider_visit"]["queued"] + EPS
        if "documentation" in steps:
            assert "provider_visit" in steps
            assert steps["documentation"]["start"] == steps["provider_visit"]["end"]
            assert steps["documentation"]["resource"] == steps["provider_visit"]["resource"]
        if "check_out" in steps:
            assert "provider_visit" in steps
            assert steps["provider_visit"]["end"] <= steps["check_out"]["queued"] + EPS
        if "provider_visit" in steps:
            seen_by = steps["provider_visit"]["resource"]
            assert seen_by == pt["provider"][patient]
            assert route is None or seen_by == route
        else:
            assert pt["provider"][patient] == ""


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_the_pool_serves_a_providers_patient_only_when_no_assigned_person_is_free(scenario, seed):
    """A provider's assigned staff come first: a pooled person takes that provider's patient only at a moment
    when each assigned person for the step is busy (or just finishing) or off duty."""
    log = simulate(scenario, seed).logs[0]
    duty = intervals_by_resource(log.duty, "on_min", "off_min")
    work = intervals_by_resource(log.steps, "start_min", "end_min")
    pooled = {g.name for g in scenario.staff if g.assigned_to is None}
    members = {name: g for g in scenario.staff for name in member_names([g])}
    s, pt = log.steps, log.patients
    for patient, step, start, resource in zip(s["patient"], s["step"], s["start_min"], s["resource"]):
        route = pt["booked_with"][patient] or None
        if step not in ("check_in", "rooming", "check_out") or route is None or members[resource].name not in pooled:
            continue
        assigned = [g for g in scenario.staff if step in g.serves and g.assigned_to and route in g.assigned_to]
        for name in member_names(assigned):
            on_duty = any(on < start - EPS and start + EPS < off for on, off in duty.get(name, []))
            busy = any(a - EPS <= start <= b + EPS for a, b in work.get(name, []))
            assert busy or not on_duty, f"{resource} took {route}'s patient {patient} at {start} while {name} was free"


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_no_resource_serves_two_patients_at_once_or_while_off_duty(scenario, seed):
    log = simulate(scenario, seed).logs[0]
    duty = intervals_by_resource(log.duty, "on_min", "off_min")
    for resource, periods in duty.items():
        for (_a0, b0), (a1, _b1) in zip(periods, periods[1:]):
            assert b0 <= a1 + EPS, f"{resource} has overlapping duty periods"
        assert all(a <= b + EPS for a, b in periods)

    for resource, work in intervals_by_resource(log.steps, "start_min", "end_min").items():
        for (_s0, e0), (s1, _e1) in zip(work, work[1:]):
            assert e0 <= s1 + EPS, f"{resource} serves two patients at once around {s1}"
        for s, e in work:
            assert any(a - EPS <= s and e <= b + EPS for a, b in duty.get(resource, [])), (
                f"{resource} works {s}-{e} outside its duty periods {duty.get(resource)}"
            )


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_shifts_breaks_sessions_and_opening_hours_bound_duty(scenario, seed):
    """Staff are on from each shift's start, off for each break's full length once the patient in hand is
    done (and back only if the break ends before the shift does), and never leave before a shift's end;
    providers never start a session early and stay at least to the end of their last session; rooms open at
    opening time and stay open at least until closing."""
    log = simulate(scenario, seed).logs[0]
    duty = intervals_by_resource(log.duty, "on_min", "off_min")
    plan = clinicsim.plan_day(scenario)

    strandable = any([walk_staff_duty(member, duty[member.name]) for member in plan.staff])
    pt = log.patients
    stranded = ((pt["status"] != "no_show") & np.isnan(pt["departure_min"])).any()
    assert strandable or not stranded

    for day in plan.providers:
        periods = merged(duty[day.name])
        assert 1 <= len(periods) <= len(day.sessions)
        assert periods[0][0] >= day.sessions[0].start
        if not stranded:  # a provider waiting for a stranded patient is cut off when the run ends
            assert periods[-1][1] >= day.sessions[-1].end - EPS
        for on, _off in periods:
            assert any(s.start <= on + EPS < s.end for s in day.sessions)

    for room in plan.rooms:
        periods = duty[room.name]
        assert len(periods) == 1
        assert periods[0][0] == scenario.clinic.opens
        assert periods[0][1] >= scenario.clinic.closes


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_every_patient_is_accounted_for_once(scenario, seed):
    results = simulate(scenario, seed)
    log = results.logs[0]
    pt = log.patients
    steps = rows_by_patient(log)
    behaviour = scenario.patients
    plan = clinicsim.plan_day(scenario)
    duty = intervals_by_resource(log.duty, "on_min", "off_min")
    windows = windows_by_resource(log)
    strandable = stranding_possible(log, plan)

    n = len(pt["patient"])
    assert list(pt["patient"]) == list(range(n))
    booked = pt["source"] == "booked"
    assert booked.sum() == sum(len(day.appointments) for day in plan.providers)
    assert set(pt["status"]) <= STATUSES

    for i in range(n):
        status, mine = pt["status"][i], steps.get(i, {})
        arrival, departure = pt["arrival_min"][i], pt["departure_min"][i]
        route = pt["booked_with"][i] or None
        durations = scenario.visit_types[pt["visit_type"][i]].durations_min
        late_by = arrival - pt["appointment_min"][i]
        too_late = booked[i] and behaviour.turn_away_if_late_by_min is not None
        too_late = too_late and late_by > behaviour.turn_away_if_late_by_min
        assert (status == "seen") == ("provider_visit" in mine)  # seen as soon as the provider visit ends
        if too_late and status != "no_show":
            assert status == "turned_away"
        if status == "seen":
            assert not too_late
            if "check_out" in mine:
                assert departure == mine["check_out"]["end"]
            elif durations.check_out is None:
                assert departure == mine["provider_visit"]["end"]
            elif not strandable:  # check-out skipped: only once nobody is left to do it, and they leave then
                assert departure >= mine["provider_visit"]["end"]
                assert all(gone_by(s, departure, duty, windows) for s in servers_for(plan, "check_out", route))
        elif status == "no_show":
            assert booked[i] and not mine and math.isnan(departure)
        elif status == "turned_away":
            assert too_late and not mine and departure == arrival
        elif status == "left_without_being_seen":
            assert behaviour.renege_after_min is not None and not too_late
            assert "exam_room" not in mine  # roomed patients stay
            checked_in = mine["check_in"]["end"] if "check_in" in mine else -math.inf
            assert departure == max(arrival + behaviour.renege_after_min, checked_in)
        else:
            assert status == "not_seen_at_close" and not too_late
            assert "check_out" not in mine
            if math.isnan(departure):  # stranded: only the known bug of a break past the end of a last shift
                assert strandable, f"patient {i} never left the clinic"
                continue
            assert all(row["end"] <= departure + EPS for row in mine.values())
            # sent home only when everybody who could see them, or do their next step, has gone for the day
            providers_gone = all(
                gone_by(p, departure, duty, windows) for p in servers_for(plan, "provider_visit", route)
            )
            pathway = [
                ("check_in", durations.check_in is not None),
                ("exam_room", scenario.visit_types[pt["visit_type"][i]].needs_room),
                ("rooming", durations.rooming is not None),
                ("provider_visit", True),
            ]
            refused = next(step for step, needed in pathway if needed and step not in mine)
            assert providers_gone or all(
                gone_by(s, departure, duty, windows) for s in servers_for(plan, refused, route)
            ), (i, refused, departure)
        if status != "no_show" and not (strandable and status == "not_seen_at_close"):
            assert math.isfinite(departure), f"patient {i} ({status}) never left the clinic"

    kpis = results.kpis.iloc[0]
    counts = {s: int((pt["status"] == s).sum()) for s in STATUSES}
    assert sum(counts.values()) == n
    assert kpis["patients_booked"] == booked.sum()
    assert kpis["walk_ins"] == n - booked.sum()
    assert kpis["patients_seen"] == counts["seen"]
    assert kpis["no_shows"] == counts["no_show"]
    assert kpis["turned_away"] == counts["turned_away"]
    assert kpis["left_without_being_seen"] == counts["left_without_being_seen"]
    assert kpis["not_seen_at_close"] == counts["not_seen_at_close"]
    assert kpis["patients_arrived"] == n - counts["no_show"]


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_schedule_overtime_and_idle_time(scenario, seed):
    """The schedule table is the plan's sessions, shifts and opening hours; overtime is on-duty time outside the
    windows; idle time is scheduled time (less breaks) without a patient (or documentation); the KPIs are their
    means."""
    results = simulate(scenario, seed)
    log = results.logs[0]
    plan = clinicsim.plan_day(scenario)
    clinic = scenario.clinic

    expected = {day.name: [(s.start, s.end) for s in day.sessions] for day in plan.providers}
    expected |= {m.name: [(s.start, s.end) for s in m.shifts] for m in plan.staff}
    expected |= {r.name: [(clinic.opens, clinic.closes)] for r in plan.rooms}
    windows = windows_by_resource(log)
    assert windows == expected
    assert set(log.schedule) == {"resource", "start_min", "end_min", "break_min"}

    usage = results.resources.set_index("resource")
    assert list(usage.index) == [d.name for d in plan.providers] + [m.name for m in plan.staff] + [
        r.name for r in plan.rooms
    ]
    scheduled = {day.name: sum(s.length_min for s in day.sessions) for day in plan.providers}
    scheduled |= {
        m.name: sum(s.end - s.start - sum(b.duration_min for b in s.breaks) for s in m.shifts) for m in plan.staff
    }
    scheduled |= {r.name: clinic.closes - clinic.opens for r in plan.rooms}
    assert usage["scheduled_min"].to_dict() == scheduled

    duty = intervals_by_resource(log.duty, "on_min", "off_min")
    work = intervals_by_resource(log.steps, "start_min", "end_min")
    kinds = usage["kind"]
    for name, mine in windows.items():
        periods = duty[name]
        assert periods[0][0] >= mine[0][0] - EPS, f"{name} came on duty before its first window"
        if kinds[name] in ("provider", "exam_room"):  # (staff may start a shift late, after its end even)
            assert not starts_in_a_gap(merged(periods), mine), f"{name} came on duty between windows: {periods}"
        assert usage.loc[name, "overtime_min"] == approx(overlap(periods, gaps(mine))), name
        busy_within = overlap(work.get(name, []), mine)
        assert usage.loc[name, "idle_min"] == approx(max(0.0, scheduled[name] - busy_within)), name
        assert -EPS <= usage.loc[name, "idle_min"] <= scheduled[name] + EPS

    kpis = results.kpis.iloc[0]
    providers = kinds == "provider"
    staff = ~kinds.isin(["provider", "exam_room"])
    assert kpis["provider_overtime_mean_min"] == approx(usage.loc[providers, "overtime_min"].mean())
    assert kpis["provider_idle_mean_min"] == approx(usage.loc[providers, "idle_min"].mean())
    assert kpis["staff_overtime_mean_min"] == approx(usage.loc[staff, "overtime_min"].mean())


@PROPERTY_SETTINGS
@given(scenario=scenarios(), seed=seeds)
def test_utilizations_are_fractions_and_kpis_are_finite_where_defined(scenario, seed):
    results = simulate(scenario, seed)
    usage = results.resources
    on = usage["on_duty_min"] > 0
    assert (usage["busy_min"] >= 0).all()
    assert (usage.loc[on, "busy_min"] <= usage.loc[on, "on_duty_min"] + 1e-6).all()
    assert usage.loc[on, "utilization"].between(0, 1 + 1e-12).all()
    assert usage.loc[~on, "utilization"].isna().all()
    assert (usage["overtime_min"] >= 0).all()
    assert (usage["idle_min"] >= -EPS).all()

    kpis = results.kpis.iloc[0]
    seen = kpis["patients_seen"] > 0
    for name in ("provider_utilization", "room_utilization", "ma_utilization", "front_desk_utilization"):
        assert 0 <= kpis[name] <= 1 + 1e-12, name  # every working resource comes on duty, so never NaN here
    for name in (
        "patients_booked",
        "patients_arrived",
        "patients_seen",
        "no_shows",
        "walk_ins",
        "turned_away",
        "left_without_being_seen",
        "not_seen_at_close",
        "provider_idle_mean_min",
        "provider_overtime_mean_min",
        "staff_overtime_mean_min",
    ):
        assert math.isfinite(kpis[name]), name
    for name in ("provider_wait_mean_min", "provider_wait_p90_min", "pct_seen_within_15_min", "cycle_time_mean_min"):
        assert math.isfinite(kpis[name]) == seen, name
    assert 0 <= kpis["pct_seen_within_15_min"] <= 100 or not seen
    assert math.isfinite(kpis["last_departure_min"]) == results.patients["departure_min"].notna().any()
    session_time = [sum(s.length_min for s in day.sessions) for day in clinicsim.plan_day(scenario).providers]
    assert kpis["provider_idle_mean_min"] <= max(session_time) + EPS
