"""Access tables over weeks and lead times, across replications (what the figures draw)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clinicsim.access.kpis import BOOKED, backlog_by_measure


def weekly_access(results) -> pd.DataFrame:
    """Per reported week, provider and visit type: mean third-next-available over the week's clinic days and
    replications, and (visit type "all") the mean backlog of the provider."""
    first = results.warm_up * 7
    measures = results.measures[results.measures["day"] >= first]
    tnaa = (
        measures.assign(week=(measures["day"] - first) // 7 + 1)
        .groupby(["week", "provider", "visit_type"], sort=True)["third_next_available_days"]
        .mean()
        .rename("third_next_available_days")
        .reset_index()
    )
    backlog = pd.concat([backlog_by_measure(run).assign(replication=run.replication) for run in results.runs])
    backlog = backlog[backlog["day"] >= first]
    backlog = (
        backlog.assign(week=(backlog["day"] - first) // 7 + 1)
        .groupby(["week", "provider"], sort=True)["backlog"]
        .mean()
        .reset_index()
    )
    return tnaa.merge(backlog, on=["week", "provider"], how="left")


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
