"""Access tables over weeks and lead times, across replications (what the figures draw)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clinicsim.access.kpis import BOOKED, LOST


def reported_week(frame: pd.DataFrame, first: int) -> pd.Series:
    """The reported week (1, 2, ...) of each row's ``day``, the first reported day being ``first``."""
    return (frame["day"] - first) // 7 + 1


def weekly_access(results) -> pd.DataFrame:
    """Per reported week, provider and visit type, over the replications: mean third-next-available (over the
    week's clinic days), mean backlog of the provider, requests (those of the provider's panel, or booked with
    them), lead time (mean and 90th percentile, follow-ups left out), same-day requests met and continuity (%),
    lost demand and cancellations (per replication), and slots filled (%). Counts are means per replication."""
    first = results.warm_up * 7
    keys = ["week", "provider", "visit_type"]
    replications = results.replications
    measures = results.measures[results.measures["day"] >= first]
    table = (
        measures.assign(week=reported_week(measures, first))
        .groupby(keys)["third_next_available_days"]
        .mean()
        .to_frame()
    )
    backlog = results.backlog
    backlog = backlog[backlog["day"] >= first]
    backlog = backlog.assign(week=reported_week(backlog, first)).groupby(["week", "provider"])["backlog"].mean()
    requests = results.requests[results.requests["day"] >= first]
    requests = requests.assign(
        week=reported_week(requests, first),
        provider=requests["own_provider"].where(requests["own_provider"] != "", requests["provider"]),
        booked=requests["outcome"].isin(BOOKED),
        lost=requests["outcome"].isin(LOST),
        lead=requests["lead_days"].where(requests["urgency"] != "follow_up"),
        met=requests["outcome"].isin(BOOKED).astype(float).where(requests["urgency"] == "same_day"),
        own=requests["with_own"]
        .astype(float)
        .where(requests["outcome"].isin(BOOKED) & (requests["own_provider"] != "")),
    )
    grouped = requests.groupby(keys)
    by_requests = pd.DataFrame(
        {
            "requests": grouped.size() / replications,
            "lead_time_mean_days": grouped["lead"].mean(),
            "lead_time_p90_days": grouped["lead"].quantile(0.9),
            "same_day_requests_met_pct": 100 * grouped["met"].mean(),
            "continuity_pct": 100 * grouped["own"].mean(),
            "lost_demand": grouped["lost"].sum() / replications,
        }
    )
    last = results.runs[0].days
    b = results.bookings
    bookings = b[(b["day"] >= first) & (b["day"] < last) & b["cancelled_at_min"].notna()]
    cancelled = bookings.assign(week=reported_week(bookings, first)).groupby(keys).size().rename("cancellations")
    positions = results.positions
    positions = positions[positions["template"] & (positions["day"] >= first) & (positions["day"] < last)]
    filled = (
        positions.assign(week=reported_week(positions, first)).groupby(keys)["filled"].mean().rename("slot_fill_pct")
    )
    table = table.join([by_requests, cancelled / replications, 100 * filled], how="outer")
    table = table.join(backlog, on=["week", "provider"])
    table["cancellations"] = table["cancellations"].fillna(0.0)
    return table.reset_index()


def lead_time_distribution(results, *, max_days: int | None = None) -> pd.DataFrame:
    """Share of booked requests (reported days, all replications) by lead time in days, per urgency class."""
    first = results.warm_up * 7
    requests = results.requests
    booked = requests[(requests["day"] >= first) & requests["outcome"].isin(BOOKED)]
    lead = booked["lead_days"].astype(int)
    top = int(lead.max()) if max_days is None and len(lead) else (max_days or 0)
    table = pd.crosstab(lead.clip(upper=top), booked["urgency"], normalize="columns")
    return table.reindex(np.arange(0, top + 1), fill_value=0.0).rename_axis("lead_days")


def no_shows_by_lead_time(results, *, edges=(0, 1, 8, 15, 31, 61)) -> pd.DataFrame:
    """No-show rate of kept appointments (reported days) by lead-time band, with the count in each band."""
    first = results.warm_up * 7
    b = results.bookings
    kept = b[(b["day"] >= first) & b["cancelled_at_min"].isna()]
    bands = pd.cut(kept["lead_days"], bins=[*edges, np.inf], right=False)
    grouped = kept.assign(band=bands, missed=~kept["shows"].astype(bool)).groupby("band", observed=False)
    return pd.DataFrame({"appointments": grouped.size(), "no_show_pct": 100 * grouped["missed"].mean()})
