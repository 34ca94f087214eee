"""Work between visits under fixed times: exact hand-worked timelines of the work table.

Each case is worked out in its docstring: a clerk answering calls between check-ins (calls before patients, never
interrupting one), a refill that waits behind patients until it is overdue and then goes first, a refill prepared
by the MA and signed by the provider (a hand-off), a provider's inbox finished after hours, a caller who hangs
up, and work left as backlog. Times are minutes from midnight.
"""

from __future__ import annotations

import math

from test_engine_timelines import FRONT_DESK, MA, clinic, provider, run, template, timeline

import clinicsim


def work_rows(results: clinicsim.Results) -> list[tuple]:
    """Every work row as (item, stream, stage, resource, arrival, queued, start, end, status), by item and stage."""
    w = results.work
    rows = zip(w["item"], w["stream"], w["stage"], w["resource"], w["arrival_min"], w["queued_min"], w["start_min"],
               w["end_min"], w["status"])  # fmt: skip
    return sorted((int(i), s, int(k), r, float(a), float(q), float(b), float(e), st) for i, s, k, r, a, q, b, e, st
                  in rows)  # fmt: skip


def stream(name: str, stages: list[dict], **arrivals) -> dict:
    return {"name": name, "stages": stages, **arrivals}


def stage(by, minutes: float, **extra) -> dict:
    return {"by": by, "duration_min": minutes, **extra}


def two_steps(first: float, second: float, first_by="staff") -> dict:
    """A pathway without rooms: ``check_in`` (by the front desk) or rooming, then the provider."""
    return {
        "pathway": [
            {"step": "check_in" if first_by == "staff" else "rooming", "by": first_by, "duration_min": first},
            {"step": "provider_visit", "by": "provider", "duration_min": second},
        ]
    }


def front_desk_day(*streams: dict) -> clinicsim.Scenario:
    """Patients booked 08:00 and 08:30 (check-in 5 by the front desk, then a 20-minute visit), with ``streams``."""
    return clinic(
        visit_types={"v": two_steps(5, 20)},
        templates={"t": template(sessions=[("08:00", "09:00")])},
        providers=[provider("Dr A")],
        staff=[FRONT_DESK],
    ).with_changes({"work": list(streams)})


def one_visit_day(*streams: dict) -> clinicsim.Scenario:
    """One patient at 08:00 seen 480-500 in a session to 08:30 (an MA who does nothing for them), with
    ``streams``."""
    return clinic(
        visit_types={"v": two_steps(0, 20, first_by={"role": "medical_assistant"})},
        templates={"t": template(sessions=[("08:00", "08:30")])},
        providers=[provider("Dr A")],
        staff=[MA],
    ).with_changes({"work": list(streams)})


INBOX_AFTER_HOURS = stream(
    "inbox", [stage("provider", 10)], at=[{"time": "08:25", "count": 3}], unfinished="after_hours"
)
"""Three 10-minute messages for the provider at 08:25, finished after hours if need be."""


def test_a_clerk_answers_calls_between_check_ins_without_interrupting_one():
    """Patients booked 08:00 and 08:30 (check-in 5, visit 20); calls of 6 minutes at 08:00 and 08:32, answered
    before waiting patients. 08:00: the patient came in first (arrivals before anything else of an instant) and is
    checked in 480-485; the call waits and is answered 485-491. 08:30: check-in 510-515; the call at 512 waits for
    it (a call never interrupts a check-in) and is answered 515-521."""
    scenario = front_desk_day(
        stream(
            "calls",
            [stage({"role": "front_desk"}, 6)],
            at=[{"time": "08:00", "count": 1}, {"time": "08:32", "count": 1}],
            priority="before_patients",
        )
    )
    results = run(scenario)
    assert [row[:5] for row in timeline(results) if row[1] == "check_in"] == [
        (0, "check_in", 480, 480, 485),
        (1, "check_in", 510, 510, 515),
    ]
    assert work_rows(results) == [
        (0, "calls", 0, "FD", 480, 480, 485, 491, "done"),
        (1, "calls", 0, "FD", 512, 512, 515, 521, "done"),
    ]


def refill_clinic(**refills) -> clinicsim.Scenario:
    """Patients booked 08:00, 08:10 and 08:20, roomed by the one MA for 10 minutes each (then a 5-minute visit);
    a 4-minute refill for the MA is there at 08:00, due in 10 minutes."""
    return clinic(
        visit_types={"v": two_steps(10, 5, first_by={"role": "medical_assistant"})},
        templates={"t": template(sessions=[("08:00", "08:30")], slot_min=10)},
        providers=[provider("Dr A")],
        staff=[MA],
    ).with_changes(
        {
            "work": [
                stream(
                    "refills",
                    [stage({"role": "medical_assistant"}, 4)],
                    at=[{"time": "08:00", "count": 1}],
                    due_within_min=10,
                    **refills,
                )
            ]
        }
    )


def test_patients_come_first_and_the_refill_fills_the_first_gap():
    """Without escalation the refill waits behind every patient: roomings 480-490, 490-500, 500-510, refill
    510-514."""
    results = run(refill_clinic())
    roomings = [row[3:5] for row in timeline(results) if row[1] == "rooming"]
    assert roomings == [(480, 490), (490, 500), (500, 510)]
    assert work_rows(results) == [(0, "refills", 0, "MA", 480, 480, 510, 514, "done")]


def test_an_overdue_refill_goes_ahead_of_the_next_patient():
    """With overdue_first the refill is due at 490, when the MA comes free: overdue, it goes ahead of the 08:10
    patient who has just come in (refill 490-494); the patients are roomed 494-504 and 504-514."""
    results = run(refill_clinic(overdue_first=True))
    roomings = [row[3:5] for row in timeline(results) if row[1] == "rooming"]
    assert roomings == [(480, 490), (494, 504), (504, 514)]
    assert work_rows(results) == [(0, "refills", 0, "MA", 480, 480, 490, 494, "done")]


def test_a_refill_prepared_by_the_ma_is_signed_by_the_provider():
    """A hand-off: the MA prepares the refill (4 min) and the provider signs it (2 min). The patient at 08:00 is
    roomed 480-490 and seen 490-495 (the session runs to 08:30); the refill waits for the MA until 490 (490-494),
    then for the provider until 495 (495-497)."""
    scenario = clinic(
        visit_types={"v": two_steps(10, 5, first_by={"role": "medical_assistant"})},
        templates={"t": template(sessions=[("08:00", "08:30")])},
        providers=[provider("Dr A")],
        staff=[MA],
    ).with_changes(
        {
            "work": [
                stream(
                    "refills",
                    [stage({"role": "medical_assistant"}, 4), stage("provider", 2)],
                    at=[{"time": "08:00", "count": 1}],
                )
            ]
        }
    )
    assert work_rows(run(scenario)) == [
        (0, "refills", 0, "MA", 480, 480, 490, 494, "done"),
        (0, "refills", 1, "Dr A", 480, 494, 495, 497, "done"),
    ]


def test_the_inbox_left_when_the_provider_goes_is_done_after_hours():
    """One patient at 08:00 (visit 480-500); the session ends at 08:30 (510). Three 10-minute messages arrive at
    08:25 (505): the provider, free and on duty, starts the first at 505 and finishes it (505-515, work is never
    interrupted), then leaves, since no patient needs them; the other two are done after hours, 515-525 and
    525-535."""
    scenario = one_visit_day(INBOX_AFTER_HOURS)
    results = run(scenario)
    assert work_rows(results) == [
        (0, "inbox", 0, "Dr A", 505, 505, 505, 515, "done"),
        (1, "inbox", 0, "Dr A", 505, 505, 515, 525, "after_hours"),
        (2, "inbox", 0, "Dr A", 505, 505, 525, 535, "after_hours"),
    ]
    kpis = results.kpis.iloc[0]  # 10 minutes on duty, 5 of them past the session's end; 20 after hours
    assert (kpis["provider_work_min"], kpis["provider_work_overtime_min"]) == (10, 5)
    assert kpis["provider_after_hours_mean_min"] == 20


def test_a_caller_hangs_up_and_work_left_at_close_is_backlog():
    """The clerk checks patients in 480-485 and 510-515 and is off at 12:00. A call at 08:00 with 3 minutes'
    patience hangs up at 483 (the clerk is busy until 485); a letter at 11:58 that takes 10 minutes starts at
    718 and is finished (never interrupted); one at 11:59 is left as backlog when the clerk leaves at 728."""
    scenario = front_desk_day(
        stream("calls", [stage({"role": "front_desk"}, 6)], at=[{"time": "08:00", "count": 1}], patience_min=3),
        stream(
            "letters", [stage({"group": "FD"}, 10)], at=[{"time": "11:58", "count": 1}, {"time": "11:59", "count": 1}]
        ),
    )
    rows = work_rows(run(scenario))
    assert rows[0][:6] == (0, "calls", 0, "", 480, 480) and math.isnan(rows[0][6])
    assert rows[0][7:] == (483, "abandoned")
    assert rows[1] == (1, "letters", 0, "FD", 718, 718, 718, 728, "done")
    assert rows[2][:6] == (2, "letters", 0, "", 719, 719) and rows[2][-1] == "backlog"


def test_work_left_at_close_waits_for_the_next_day_when_days_run_in_sequence():
    """Two 10-minute letters for the MA (off at 12:00) at 11:55: the first is done 715-725 (never interrupted),
    the second is left at close. Run as two days in a row, it is there the next morning with its arrival a day
    earlier (715 - 1440 = -725) and is done first thing, 480-490: a response time of 1,215 minutes."""
    from clinicsim.engine import simulate_days_in_sequence
    from clinicsim.plan import plan_day

    scenario = clinic(
        visit_types={"v": {"pathway": [{"step": "visit", "by": "provider", "duration_min": 20}]}},
        templates={"t": template(sessions=[("08:00", "08:30")])},
        providers=[provider("Dr A")],
        staff=[MA],
    ).with_changes({"work": [stream("letters", [stage({"role": "medical_assistant"}, 10)],
                                    at=[{"time": "11:55", "count": 2}])]})  # fmt: skip
    plan = plan_day(scenario)
    first, second = simulate_days_in_sequence([(plan, 0, 1), (plan, 0, 1)], replication=0)
    assert [(r, s, e, st) for r, s, e, st in zip(first.work["resource"], first.work["start_min"],
                                                  first.work["end_min"], first.work["status"])][0] == (
        "MA", 715, 725, "done")  # fmt: skip
    assert list(first.work["status"]) == ["done", "backlog"]
    carried = {k: second.work[k][0] for k in ("arrival_min", "start_min", "end_min", "status", "resource")}
    assert carried == {"arrival_min": -725, "start_min": 480, "end_min": 490, "status": "done", "resource": "MA"}
    assert list(second.work["status"]) == ["done", "done", "backlog"]  # that day's own two letters, as the first


def test_a_blocked_slot_is_where_the_providers_inbox_gets_done():
    """Two 10-minute messages for the provider at 08:00; 20-minute visits booked 08:00 and 08:40 with the 08:20
    slot blocked: the provider sees the first patient 480-500 and clears the inbox in the blocked slot (500-510,
    510-520, on duty). With the slot booked instead, the session is full until 09:00 and the provider leaves with
    the inbox untouched: it is done after hours, 540-550 and 550-560."""

    def day(pattern: list[str]) -> list[tuple]:
        inbox = stream("inbox", [stage("provider", 10)], at=[{"time": "08:00", "count": 2}], unfinished="after_hours")
        scenario = clinic(
            visit_types={"v": {"pathway": [{"step": "visit", "by": "provider", "duration_min": 20}]}},
            templates={"t": template(pattern, sessions=[("08:00", "09:00")], slot_min=20)},
            providers=[provider("Dr A")],
        ).with_changes({"work": [inbox]})
        return [row[6:] for row in work_rows(run(scenario))]

    assert day(["v", "blocked", "v"]) == [(500, 510, "done"), (510, 520, "done")]
    assert day(["v", "v", "v"]) == [(540, 550, "after_hours"), (550, 560, "after_hours")]
