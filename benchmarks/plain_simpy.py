"""The reference clinic day (benchmarks/reference_clinic.yaml) as a minimal hand-coded plain-SimPy model.

No clinicsim in the model: one ``simpy.Resource`` per group (check-in clerks, medical assistants, exam rooms,
check-out clerks) and one per provider, FIFO queues, and a patient process

    arrive -> check-in -> take an exam room, then a medical assistant -> rooming -> provider visit (room held)
    -> release the room -> check-out -> leave

Every patient's attributes are drawn up front with numpy Generators (``draw_day``); ``run_day(seed)`` simulates
one day and returns the same per-day statistics clinicsim reports under the same names, so the models can be
compared statistically (and, fed clinicsim's own draws through ``run_day(draws=...)``, day by day).

Duty as in clinicsim for this scenario: staff and rooms are there from 07:00 and stay until the last patient
leaves (shifts run to 19:00 and whoever is still needed stays); each provider starts at 08:00 (the session
start) and stays until their last patient is seen.

    python benchmarks/plain_simpy.py [DAYS]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import simpy

PROVIDERS = 8
SLOTS = 24
SLOT_MIN = 20.0
SESSION_START = 8 * 60.0
"""Providers come on duty at 08:00 (minutes from midnight)."""
DOORS_OPEN = 7 * 60.0
"""Staff and exam rooms are there from 07:00."""
P_NO_SHOW = 0.10
LATENESS = (-10.0, 8.0)
"""Arrival minus appointment: normal (mean, sd), minutes."""
CHECK_IN, ROOMING, VISIT, CHECK_OUT = (3.0, 1.5), (5.0, 2.0), (18.0, 8.0), (2.5, 1.0)
"""Step durations: lognormal (mean, sd) of the distribution itself, minutes."""
PER_8_PROVIDERS = {"check_in": 3, "ma": 4, "rooms": 16, "check_out": 2}
"""Clerks, medical assistants and exam rooms of the 8-provider reference clinic (scaled with ``providers``)."""


def capacities(providers: int) -> dict[str, int]:
    """Clerks, MAs and rooms for ``providers`` providers: the reference numbers scaled, rounded up."""
    return {name: max(1, math.ceil(n * providers / 8)) for name, n in PER_8_PROVIDERS.items()}


def lognormal(rng: np.random.Generator, mean_sd: tuple[float, float], size: int) -> np.ndarray:
    """Lognormal draws with the given mean and sd of the distribution (not of the underlying normal)."""
    mean, sd = mean_sd
    sigma2 = math.log1p((sd / mean) ** 2)
    return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)


def draw_day(seed: int, providers: int = PROVIDERS) -> dict[str, np.ndarray]:
    """Every booked patient of the day and their attributes, one Generator per random source.

    Patients are in booking order (provider by provider, then slot); no-shows are dropped.
    """
    n = providers * SLOTS
    sources = ("no_show", "lateness", "check_in", "rooming", "provider_visit", "check_out")
    rng = dict(zip(sources, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(sources)))))
    provider = np.repeat(np.arange(providers), SLOTS)
    appointment = SESSION_START + SLOT_MIN * np.tile(np.arange(SLOTS), providers)
    shows = rng["no_show"].random(n) >= P_NO_SHOW
    draws = {
        "provider": provider,
        "appointment": appointment,
        "arrival": appointment + rng["lateness"].normal(*LATENESS, n),
        "check_in": lognormal(rng["check_in"], CHECK_IN, n),
        "rooming": lognormal(rng["rooming"], ROOMING, n),
        "visit": lognormal(rng["provider_visit"], VISIT, n),
        "check_out": lognormal(rng["check_out"], CHECK_OUT, n),
    }
    return {name: values[shows] for name, values in draws.items()}


def summarize_day(d: dict[str, np.ndarray], times: dict[str, np.ndarray]) -> dict[str, float]:
    """Per-day statistics under clinicsim's KPI names, from the drawn patients and their recorded times."""
    wait = np.maximum(times["visit_start"] - np.maximum(d["arrival"], d["appointment"]), 0.0)
    seen = len(wait)
    return {
        "patients_seen": float(seen),
        "provider_wait_mean_min": float(wait.mean()) if seen else math.nan,
        "provider_wait_p90_min": float(np.percentile(wait, 90)) if seen else math.nan,
        "check_in_wait_mean_min": float((times["check_in_start"] - d["arrival"]).mean()) if seen else math.nan,
        "lobby_wait_mean_min": float((times["room_start"] - times["check_in_end"]).mean()) if seen else math.nan,
        "cycle_time_mean_min": float((times["departure"] - d["arrival"]).mean()) if seen else math.nan,
        "last_departure_min": float(times["departure"].max()) if seen else math.nan,
    }


def off_duty_until(env: simpy.Environment, resource: simpy.Resource, clock: float) -> None:
    """Keep ``resource`` (a provider) busy from the start of the day until ``clock``: it takes nobody before."""
    request = resource.request()
    env.timeout(clock).callbacks.append(lambda _event: resource.release(request))


def run_day(seed: int = 0, *, providers: int = PROVIDERS, draws: dict[str, np.ndarray] | None = None) -> dict:
    """Simulate one day (the patients of ``draw_day(seed, providers)`` unless ``draws`` are given)."""
    d = draw_day(seed, providers) if draws is None else draws
    cap = capacities(providers)
    env = simpy.Environment()
    check_in = simpy.Resource(env, cap["check_in"])
    mas = simpy.Resource(env, cap["ma"])
    rooms = simpy.Resource(env, cap["rooms"])
    check_out = simpy.Resource(env, cap["check_out"])
    doctors = [simpy.Resource(env, 1) for _ in range(providers)]
    for doctor in doctors:
        off_duty_until(env, doctor, SESSION_START)
    n = len(d["arrival"])
    times = {k: [0.0] * n for k in ("check_in_start", "check_in_end", "room_start", "visit_start", "departure")}
    check_in_start, check_in_end, room_start, visit_start, departure = times.values()

    def patient(i, arrival, doctor, check_in_min, rooming_min, visit_min, check_out_min):
        yield env.timeout(max(arrival, DOORS_OPEN))  # nobody is at the desk before the doors open
        with check_in.request() as request:
            yield request
            check_in_start[i] = env.now
            yield env.timeout(check_in_min)
        check_in_end[i] = env.now
        with rooms.request() as room:
            yield room
            room_start[i] = env.now
            with mas.request() as request:
                yield request
                yield env.timeout(rooming_min)
            with doctor.request() as request:
                yield request
                visit_start[i] = env.now
                yield env.timeout(visit_min)
        with check_out.request() as request:
            yield request
            yield env.timeout(check_out_min)
        departure[i] = env.now

    # one process per patient, each attribute a Python float (numpy scalars would slow every event down)
    columns = (d[k].tolist() for k in ("arrival", "provider", "check_in", "rooming", "visit", "check_out"))
    for i, (arrival, who, *minutes) in enumerate(zip(*columns)):
        env.process(patient(i, arrival, doctors[who], *minutes))
    env.run()
    return summarize_day(d, {name: np.array(values) for name, values in times.items()})


if __name__ == "__main__":
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    start = time.perf_counter()
    rows = [run_day(seed) for seed in range(days)]
    elapsed = time.perf_counter() - start
    print(f"plain SimPy: {days} days in {elapsed:.2f} s ({days / elapsed:.0f} days/s)")
    for key in rows[0]:
        print(f"  {key:24s} {np.mean([r[key] for r in rows]):8.2f}")
