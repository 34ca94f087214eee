"""The reference clinic day as a hand-written event loop on ``heapq`` (no SimPy): the practical speed limit of a
pure-Python discrete-event model of this clinic.

Same model, same patients and same statistics as ``plain_simpy`` (the patients come from its ``draw_day``, so
for a given seed both models simulate exactly the same day): counters of free clerks, medical assistants and
rooms, a free flag per provider, a FIFO deque per queue, and one heap of (time, sequence, kind, patient) events.

    python benchmarks/heapq_loop.py [DAYS]
"""

from __future__ import annotations

import sys
import time
from collections import deque
from heapq import heapify, heappop, heappush

import numpy as np
from plain_simpy import DOORS_OPEN, PROVIDERS, SESSION_START, capacities, draw_day, summarize_day

ARRIVE, CHECK_IN_END, ROOMING_END, VISIT_END, CHECK_OUT_END, PROVIDER_ON = range(6)


def run_day(seed: int = 0, *, providers: int = PROVIDERS, draws: dict[str, np.ndarray] | None = None) -> dict:
    """Simulate one day (the patients of ``draw_day(seed, providers)`` unless ``draws`` are given)."""
    d = draw_day(seed, providers) if draws is None else draws
    cap = capacities(providers)
    check_in_min, rooming_min = d["check_in"].tolist(), d["rooming"].tolist()
    visit_min, check_out_min = d["visit"].tolist(), d["check_out"].tolist()
    doctor_of = d["provider"].tolist()
    n = len(check_in_min)
    check_in_start, check_in_end, room_start = [0.0] * n, [0.0] * n, [0.0] * n
    visit_start, departure = [0.0] * n, [0.0] * n

    free_check_in, free_ma, free_rooms, free_check_out = cap["check_in"], cap["ma"], cap["rooms"], cap["check_out"]
    queue_check_in, queue_ma, queue_room, queue_check_out = deque(), deque(), deque(), deque()
    doctor_free = [False] * providers  # off duty until the session starts
    queue_doctor = [deque() for _ in range(providers)]

    # nobody is at the desk before the doors open: an earlier arrival queues from then
    events = [(max(a, DOORS_OPEN), i, ARRIVE, i) for i, a in enumerate(d["arrival"].tolist())]
    events += [(SESSION_START, n + p, PROVIDER_ON, p) for p in range(providers)]
    heapify(events)
    seq = n + providers

    while events:
        t, _, kind, i = heappop(events)
        if kind == ARRIVE:
            if free_check_in:
                free_check_in -= 1
                check_in_start[i] = t
                heappush(events, (t + check_in_min[i], seq, CHECK_IN_END, i))
                seq += 1
            else:
                queue_check_in.append(i)
        elif kind == CHECK_IN_END:
            check_in_end[i] = t
            if queue_check_in:
                j = queue_check_in.popleft()
                check_in_start[j] = t
                heappush(events, (t + check_in_min[j], seq, CHECK_IN_END, j))
                seq += 1
            else:
                free_check_in += 1
            if free_rooms:  # take a room, then wait for a medical assistant in it
                free_rooms -= 1
                room_start[i] = t
                if free_ma:
                    free_ma -= 1
                    heappush(events, (t + rooming_min[i], seq, ROOMING_END, i))
                    seq += 1
                else:
                    queue_ma.append(i)
            else:
                queue_room.append(i)
        elif kind == ROOMING_END:
            if queue_ma:
                j = queue_ma.popleft()
                heappush(events, (t + rooming_min[j], seq, ROOMING_END, j))
                seq += 1
            else:
                free_ma += 1
            p = doctor_of[i]
            if doctor_free[p]:
                doctor_free[p] = False
                visit_start[i] = t
                heappush(events, (t + visit_min[i], seq, VISIT_END, i))
                seq += 1
            else:
                queue_doctor[p].append(i)
        elif kind == VISIT_END:
            queue = queue_doctor[doctor_of[i]]
            if queue:
                j = queue.popleft()
                visit_start[j] = t
                heappush(events, (t + visit_min[j], seq, VISIT_END, j))
                seq += 1
            else:
                doctor_free[doctor_of[i]] = True
            if queue_room:  # the room goes to the first patient waiting for one
                j = queue_room.popleft()
                room_start[j] = t
                if free_ma:
                    free_ma -= 1
                    heappush(events, (t + rooming_min[j], seq, ROOMING_END, j))
                    seq += 1
                else:
                    queue_ma.append(j)
            else:
                free_rooms += 1
            if free_check_out:
                free_check_out -= 1
                heappush(events, (t + check_out_min[i], seq, CHECK_OUT_END, i))
                seq += 1
            else:
                queue_check_out.append(i)
        elif kind == CHECK_OUT_END:
            departure[i] = t
            if queue_check_out:
                j = queue_check_out.popleft()
                heappush(events, (t + check_out_min[j], seq, CHECK_OUT_END, j))
                seq += 1
            else:
                free_check_out += 1
        else:  # PROVIDER_ON: the provider starts the session with the first patient waiting
            queue = queue_doctor[i]
            if queue:
                j = queue.popleft()
                visit_start[j] = t
                heappush(events, (t + visit_min[j], seq, VISIT_END, j))
                seq += 1
            else:
                doctor_free[i] = True

    times = {
        "check_in_start": np.array(check_in_start),
        "check_in_end": np.array(check_in_end),
        "room_start": np.array(room_start),
        "visit_start": np.array(visit_start),
        "departure": np.array(departure),
    }
    return summarize_day(d, times)


if __name__ == "__main__":
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    start = time.perf_counter()
    rows = [run_day(seed) for seed in range(days)]
    elapsed = time.perf_counter() - start
    print(f"heapq loop: {days} days in {elapsed:.2f} s ({days / elapsed:.0f} days/s)")
    for key in rows[0]:
        print(f"  {key:24s} {np.mean([r[key] for r in rows]):8.2f}")
