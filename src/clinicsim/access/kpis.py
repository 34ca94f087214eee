"""Access KPIs of one replication of the booking model, over its reported days (the warm-up left out).

Requests count on the day they were made, appointments on their own day, measurements on the day taken. Rates
per day are per clinic day (a day some provider works and the clinic is open).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from clinicsim.access.supply import MINUTES_PER_DAY
from clinicsim.metrics import mean_or_nan, p90

BOOKED = ("booked", "overbooked")
LOST = ("went_elsewhere", "no_slot")


def _pct(part: int | float, whole: int | float) -> float:
    return 100.0 * part / whole if whole else math.nan


def backlog_by_measure(run) -> pd.DataFrame:
    """Appointments booked ahead of each provider at each measurement (clinic days, at ``measure_at``): those
    booked at or before it, for a time at or after it, and not cancelled before it."""
    access = run.scenario.access
    measure_at = access.measure_at if access.measure_at is not None else run.scenario.clinic.opens
    days = [d for d in range(run.days) if run.clinic_days[d]]
    moments = np.asarray(days, dtype=float) * MINUTES_PER_DAY + measure_at
    b = run.bookings
    start = b["booked_at_min"].to_numpy(dtype=float)
    end = np.fmin(b["day"].to_numpy(dtype=float) * MINUTES_PER_DAY + b["time_min"].to_numpy(dtype=float),
                  b["cancelled_at_min"].to_numpy(dtype=float))  # fmt: skip
    rows = []
    for provider in run.providers:
        mine = (b["provider"] == provider).to_numpy()
        starts, ends = np.sort(start[mine]), np.sort(end[mine])
        ahead = np.searchsorted(starts, moments, side="right") - np.searchsorted(ends, moments, side="left")
        rows.append(pd.DataFrame({"day": days, "provider": provider, "backlog": ahead}))
    return pd.concat(rows, ignore_index=True)


def access_kpis(run) -> dict[str, float]:
    """Every access KPI of one run (``ACCESS_METRICS``), then third-next-available per visit type."""
    first = run.first_day
    requests = run.requests[run.requests["day"] >= first]
    booked = requests[requests["outcome"].isin(BOOKED)]
    same_day = requests[(requests["urgency"] == "same_day") & (requests["rescheduled_from"] < 0)]
    with_own = booked[booked["own_provider"] != ""]
    b = run.bookings
    on_days = b[b["day"] >= first]
    on_days = on_days[on_days["day"] < run.days]
    kept = on_days[on_days["cancelled_at_min"].isna()]
    cancelled_at = b["cancelled_at_min"].dropna()
    cancelled_in = (cancelled_at >= first * MINUTES_PER_DAY) & (cancelled_at < run.days * MINUTES_PER_DAY)
    positions = run.positions[(run.positions["day"] >= first) & (run.positions["day"] < run.days)]
    template = positions[positions["template"]]
    measures = run.measures[run.measures["day"] >= first]
    backlog = backlog_by_measure(run)
    clinic_days = run.reported_clinic_days
    lead = booked.loc[booked["urgency"] != "follow_up", "lead_days"].to_numpy(dtype=float)  # follow-ups: by design
    kpis = {
        "requests_per_day": len(requests) / clinic_days if clinic_days else math.nan,
        "third_next_available_days": mean_or_nan(measures["third_next_available_days"].to_numpy(dtype=float)),
        "lead_time_mean_days": mean_or_nan(lead),
        "lead_time_p90_days": p90(lead) if len(lead) else math.nan,
        "same_day_requests_met_pct": _pct(same_day["outcome"].isin(BOOKED).sum(), len(same_day)),
        "continuity_pct": _pct(with_own["with_own"].sum(), len(with_own)),
        "lost_demand": requests["outcome"].isin(LOST).sum() / clinic_days if clinic_days else math.nan,
        "sent_to_urgent_care": (requests["outcome"] == "urgent_care").sum() / clinic_days if clinic_days else math.nan,
        "slot_fill_pct": _pct(template["filled"].sum(), len(template)),
        "cancellations_per_day": cancelled_in.sum() / clinic_days if clinic_days else math.nan,
        "refilled_pct": _pct((template["freed"] & template["filled"]).sum(), template["freed"].sum()),
        "backlog_mean": mean_or_nan(backlog.loc[backlog["day"] >= first, "backlog"].to_numpy(dtype=float)),
        "no_show_pct": _pct((~kept["shows"].astype(bool)).sum(), len(kept)),
        "appointments_per_day": len(kept) / clinic_days if clinic_days else math.nan,
    }
    for visit_type, group in measures.groupby("visit_type", sort=False):
        kpis[f"third_next_available_{visit_type}_days"] = float(group["third_next_available_days"].mean())
    return kpis
