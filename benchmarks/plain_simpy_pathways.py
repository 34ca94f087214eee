"""The pathway benchmark's urgent-care clinic (benchmarks/pathway_clinic.yaml) written by hand in plain SimPy.

No clinicsim in the model: a ``simpy.Resource`` per staff role and per room kind, the three clinicians as a
``FilterStore`` of their numbers (a patient asks for any of them, later for their own), and one process per
patient, started by a door process at the patient's arrival:

    triage (nurse, triage bay) -> registration (front desk)
    -> examination (first free clinician, exam room, kept until discharge)
    -> acute: 25% x-ray (radiology tech, x-ray room) then recheck by the same clinician; 60% treatment (nurse)
       procedure: the exam room given back, procedure by the same clinician and the medical assistant together in
       the procedure room
    -> discharge (front desk; an acute patient gives the exam room back first)

The same rules as clinicsim: a step takes its room first (unless the patient holds one of that kind), then its
staff, then the clinician; people are released when the step ends, the clinician only after charting (busy
without the patient), a room after its turnover. Every queue is first come, first served; a clinician coming
free takes the first waiting patient they may see, and when several are free a patient gets the first of them
(lowest number). Everyone is on duty from 08:00 to 24:00 and every patient has left well before midnight, so no
duty rule is needed (``run_day`` reports a day where that fails).

Every patient's attributes are drawn up front with numpy (``draw_day``); ``run_day(seed)`` simulates one day and
returns the per-day statistics clinicsim reports under the same names, so the two can be compared statistically
(and, fed clinicsim's own patients through ``run_day(draws=...)``, day by day).

    python benchmarks/plain_simpy_pathways.py [DAYS]
"""

from __future__ import annotations

import math
import sys
import time
from bisect import insort

import numpy as np
import simpy
from plain_simpy import lognormal

OPEN, CLOSE = 8 * 60.0, 24 * 60.0
"""Everyone (clinicians, staff, rooms) is on duty from 08:00 to 24:00 (minutes from midnight)."""
WALK_INS = ((8 * 60.0, 11 * 60.0, 15.0), (11 * 60.0, 16 * 60.0, 12.0), (16 * 60.0, 20 * 60.0, 13.0))
"""Walk-in rate (patients per hour) from start to end."""
P_PROCEDURE, P_X_RAY, P_TREATMENT = 0.12, 0.25, 0.6
"""Share of procedure visits; of acute patients, share x-rayed and share treated."""
CLINICIANS, NURSES, FRONT_DESK, RADIOLOGY_TECHS, MEDICAL_ASSISTANTS = 3, 3, 2, 1, 1
EXAM_ROOMS, TRIAGE_BAYS, X_RAY_ROOMS, PROCEDURE_ROOMS = 8, 2, 1, 2
X_RAY_TURNOVER = 3.0
DURATIONS = {
    "triage": (5.0, 2.0),
    "registration": (3.5, 1.5),
    "examination": (6.0, 2.5),
    "x_ray": (10.0, 3.0),
    "recheck": (3.0, 1.0),
    "treatment": (6.0, 2.0),
    "procedure": (15.0, 5.0),
    "discharge": (2.5, 1.0),
    "charting": (1.5, 0.75),
    "exam_turnover": (3.0, 1.0),
    "procedure_turnover": (5.0, 2.0),
}
"""Lognormal (mean, sd) of each duration, minutes; charting after each clinician step."""
STEPS = ("triage", "registration", "examination", "x_ray", "recheck", "treatment", "procedure", "discharge")
COLUMNS = (
    "arrival",
    "procedure_visit",
    "x_rayed",
    "treated",
    *STEPS,
    "charting_examination",
    "charting_recheck",
    "charting_procedure",
    "exam_turnover",
    "procedure_turnover",
)
"""A day's patients: one column per attribute (``draw_day``), in the order ``visit`` takes them."""


def walk_in_times(rng: np.random.Generator) -> np.ndarray:
    """Arrival times of the day: a Poisson process with the piecewise-constant rates of WALK_INS."""
    parts = []
    for start, end, per_hour in WALK_INS:
        n = rng.poisson(per_hour * (end - start) / 60)
        parts.append(np.sort(rng.uniform(start, end, n)))
    return np.concatenate(parts)


def draw_day(seed: int) -> dict[str, np.ndarray]:
    """Every patient of the day and their attributes (durations of every step, taken or not), one Generator per
    random source."""
    sources = ("arrivals", "visit_type", "x_ray", "treatment", *DURATIONS)
    rng = dict(zip(sources, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(sources)))))
    arrival = walk_in_times(rng["arrivals"])
    n = len(arrival)
    draws = {
        "arrival": arrival,
        "procedure_visit": rng["visit_type"].random(n) < P_PROCEDURE,
        "x_rayed": rng["x_ray"].random(n) < P_X_RAY,
        "treated": rng["treatment"].random(n) < P_TREATMENT,
    }
    draws.update({name: lognormal(rng[name], DURATIONS[name], n) for name in DURATIONS if name != "charting"})
    for step in ("examination", "recheck", "procedure"):
        draws[f"charting_{step}"] = lognormal(rng["charting"], DURATIONS["charting"], n)
    return draws


class Clinicians(simpy.FilterStore):
    """The clinicians by number: ``get()`` asks for any, ``get(filter)`` for one in particular. Waiting patients
    are served first come, first served (a clinician coming free takes the first one they may see); of several
    free clinicians, the first (lowest number) is taken."""

    def __init__(self, env: simpy.Environment, count: int) -> None:
        super().__init__(env)
        self.items = list(range(count))  # all free

    def _do_put(self, event) -> None:
        insort(self.items, event.item)  # kept in order, so that a get takes the lowest free number
        event.succeed()


def run_day(seed: int = 0, *, draws: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """Simulate one day (the patients of ``draw_day(seed)`` unless ``draws`` are given)."""
    d = draw_day(seed) if draws is None else draws
    env = simpy.Environment()
    nurses = simpy.Resource(env, NURSES)
    front_desk = simpy.Resource(env, FRONT_DESK)
    radiology = simpy.Resource(env, RADIOLOGY_TECHS)
    assistants = simpy.Resource(env, MEDICAL_ASSISTANTS)
    triage_bays = simpy.Resource(env, TRIAGE_BAYS)
    exam_rooms = simpy.Resource(env, EXAM_ROOMS)
    x_ray_rooms = simpy.Resource(env, X_RAY_ROOMS)
    procedure_rooms = simpy.Resource(env, PROCEDURE_ROOMS)
    clinicians = Clinicians(env, CLINICIANS)

    waits: dict[str, list[float]] = {step: [] for step in STEPS}
    """Minutes from the end of the patient's previous step (or arrival) to the start of each step."""
    occupied = {"exam": 0.0, "triage_bay": 0.0, "x_ray": 0.0, "procedure": 0.0}
    """Minutes rooms of each kind were held, turnover included."""
    provider_wait, stay, departures = [], [], []

    def after(minutes: float, release, what) -> None:
        """``release(what)`` in ``minutes`` (turnover, charting), while the patient goes on."""
        env.timeout(minutes).callbacks.append(lambda _event: release(what))

    def visit(
        arrival, procedure_visit, x_rayed, treated, triage, registration, examination, x_ray, recheck, treatment,
        procedure, discharge, charting_examination, charting_recheck, charting_procedure, exam_turnover,
        procedure_turnover,
    ):  # fmt: skip
        # triage: a triage bay, then a nurse
        with triage_bays.request() as bay:
            yield bay
            taken = env.now
            with nurses.request() as nurse:
                yield nurse
                waits["triage"].append(env.now - arrival)
                yield env.timeout(triage)
        occupied["triage_bay"] += env.now - taken
        ready = env.now
        with front_desk.request() as clerk:
            yield clerk
            waits["registration"].append(env.now - ready)
            yield env.timeout(registration)
        ready = env.now
        # examination: an exam room (kept), then the first free clinician, who is the patient's from now on
        exam_room = exam_rooms.request()
        yield exam_room
        in_exam_room = env.now
        clinician = yield clinicians.get()
        waits["examination"].append(env.now - ready)
        provider_wait.append(env.now - arrival)
        yield env.timeout(examination)
        after(charting_examination, clinicians.put, clinician)  # charts, while the patient goes on
        ready = env.now
        if procedure_visit:
            # the exam room is given back (free after turnover), then the procedure room, the MA, the clinician
            occupied["exam"] += ready + exam_turnover - in_exam_room
            after(exam_turnover, exam_rooms.release, exam_room)
            room = procedure_rooms.request()
            yield room
            taken = env.now
            with assistants.request() as assistant:
                yield assistant
                yield clinicians.get(lambda c: c == clinician)  # the patient's own clinician
                waits["procedure"].append(env.now - ready)
                yield env.timeout(procedure)
                after(charting_procedure, clinicians.put, clinician)
            ready = env.now
            occupied["procedure"] += env.now + procedure_turnover - taken
            after(procedure_turnover, procedure_rooms.release, room)
        else:
            if x_rayed:  # an x-ray (the exam room still held), then a recheck by the same clinician
                room = x_ray_rooms.request()
                yield room
                taken = env.now
                with radiology.request() as tech:
                    yield tech
                    waits["x_ray"].append(env.now - ready)
                    yield env.timeout(x_ray)
                occupied["x_ray"] += env.now + X_RAY_TURNOVER - taken
                after(X_RAY_TURNOVER, x_ray_rooms.release, room)
                ready = env.now
                yield clinicians.get(lambda c: c == clinician)
                waits["recheck"].append(env.now - ready)
                yield env.timeout(recheck)
                after(charting_recheck, clinicians.put, clinician)
                ready = env.now
            if treated:  # by a nurse, in the exam room
                with nurses.request() as nurse:
                    yield nurse
                    waits["treatment"].append(env.now - ready)
                    yield env.timeout(treatment)
                ready = env.now
            occupied["exam"] += ready + exam_turnover - in_exam_room
            after(exam_turnover, exam_rooms.release, exam_room)
        with front_desk.request() as clerk:
            yield clerk
            waits["discharge"].append(env.now - ready)
            yield env.timeout(discharge)
        stay.append(env.now - arrival)
        departures.append(env.now)

    def door(patients):
        """Process body: each patient comes in at their arrival."""
        for patient in patients:
            yield env.timeout(patient[0] - env.now)
            env.process(visit(*patient))

    env.process(door(zip(*(d[name].tolist() for name in COLUMNS))))
    env.run()
    return summarize_day(d, waits, occupied, provider_wait, stay, departures)


def summarize_day(d, waits, occupied, provider_wait, stay, departures) -> dict[str, float]:
    """Per-day statistics under clinicsim's KPI names (and three shares clinicsim's KPIs do not have).

    Utilization is busy minutes over on-duty minutes (08:00-24:00). Every patient is done long before midnight, so
    the people's busy minutes are the minutes of the steps the patients took (and the clinicians' charting).
    """
    last = max(departures, default=math.nan)
    if last > CLOSE:
        raise RuntimeError(f"a patient left at {last:.0f} min, after everyone went off duty: duty would matter")
    everyone = np.ones(len(d["arrival"]), dtype=bool)
    procedure = d["procedure_visit"]
    acute = ~procedure
    x_rayed, treated = acute & d["x_rayed"], acute & d["treated"]

    def minutes(who: np.ndarray, *steps: str) -> float:
        return float(sum(d[step][who].sum() for step in steps))

    def mean(values) -> float:
        return float(np.mean(values)) if len(values) else math.nan

    busy = {  # KPI name: (busy minutes, servers)
        "provider_utilization": (
            minutes(everyone, "examination", "charting_examination")
            + minutes(x_rayed, "recheck", "charting_recheck")
            + minutes(procedure, "procedure", "charting_procedure"),
            CLINICIANS,
        ),
        "nurse_utilization": (minutes(everyone, "triage") + minutes(treated, "treatment"), NURSES),
        "front_desk_utilization": (minutes(everyone, "registration", "discharge"), FRONT_DESK),
        "radiology_tech_utilization": (minutes(x_rayed, "x_ray"), RADIOLOGY_TECHS),
        "ma_utilization": (minutes(procedure, "procedure"), MEDICAL_ASSISTANTS),
        "room_utilization": (occupied["exam"], EXAM_ROOMS),
        "triage_bay_room_utilization": (occupied["triage_bay"], TRIAGE_BAYS),
        "x_ray_room_utilization": (occupied["x_ray"], X_RAY_ROOMS),
        "procedure_room_utilization": (occupied["procedure"], PROCEDURE_ROOMS),
    }
    return {
        "patients_seen": float(len(stay)),
        "provider_wait_mean_min": mean(provider_wait),
        "cycle_time_mean_min": mean(stay),
        "last_departure_min": last,
        **{f"wait_before_{step}_mean_min": mean(waits[step]) for step in STEPS},
        "share_procedure_visit_pct": 100 * mean(procedure),
        "share_imaging_x_ray_pct": 100 * mean(d["x_rayed"][acute]),
        "share_treatment_pct": 100 * mean(d["treated"][acute]),
        **{name: minutes_busy / (servers * (CLOSE - OPEN)) for name, (minutes_busy, servers) in busy.items()},
    }


if __name__ == "__main__":
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    start = time.perf_counter()
    rows = [run_day(seed) for seed in range(days)]
    elapsed = time.perf_counter() - start
    print(f"plain SimPy, pathways: {days} days in {elapsed:.2f} s ({days / elapsed:.0f} days/s)")
    for key in rows[0]:
        print(f"  {key:36s} {np.nanmean([r[key] for r in rows]):8.3f}")
