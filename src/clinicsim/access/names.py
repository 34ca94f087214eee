"""The access KPIs' names, labels, units and definitions (``DESIGN.md``'s names), registered like the clinic day's."""

from __future__ import annotations

from clinicsim.kpi import Metric

ACCESS_METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("requests_per_day", "Requests", "per day", "higher", "Appointment requests per clinic day."),
        Metric(
            "third_next_available_days",
            "Third-next-available",
            "days",
            "lower",
            "Days from the measurement (a fixed time each clinic day) to the third open slot a routine request could "
            "book, mean over providers, visit types and days (IHI).",
        ),
        Metric(
            "lead_time_mean_days",
            "Lead time, mean",
            "days",
            "lower",
            "Request to appointment day, booked requests (follow-ups, booked for a wanted day, left out).",
        ),
        Metric("lead_time_p90_days", "Lead time, 90th percentile", "days", "lower", "90th percentile of the same."),
        Metric(
            "same_day_requests_met_pct",
            "Same-day requests met",
            "%",
            "higher",
            "Same-day requests seen the same day (a slot or an overbook), not sent to urgent care.",
        ),
        Metric(
            "continuity_pct",
            "Continuity",
            "%",
            "higher",
            "Booked requests of patients with an own provider that are booked with that provider.",
        ),
        Metric(
            "lost_demand",
            "Lost demand",
            "per day",
            "lower",
            "Requests per clinic day that went elsewhere (lead time beyond their tolerance) or found no slot.",
        ),  # fmt: skip
        Metric(
            "sent_to_urgent_care",
            "Sent to urgent care",
            "per day",
            "lower",
            "Same-day requests per clinic day with no slot and no overbook left today.",
        ),  # fmt: skip
        Metric("slot_fill_pct", "Slots filled", "%", "higher", "Template positions booked when their day came."),
        Metric("cancellations_per_day", "Cancellations", "per day", "lower", "Appointments cancelled per clinic day."),
        Metric(
            "refilled_pct",
            "Cancelled slots refilled",
            "%",
            "higher",
            "Positions freed by a cancellation that were booked again when their day came.",
        ),  # fmt: skip
        Metric(
            "backlog_mean",
            "Backlog",
            "appointments",
            "lower",
            "Appointments booked ahead per provider at the measurement time, mean over clinic days.",
        ),  # fmt: skip
        Metric("no_show_pct", "No-shows", "%", "lower", "Kept appointments (not cancelled) the patient missed."),
        Metric(
            "appointments_per_day",
            "Appointments kept",
            "per day",
            "higher",
            "Appointments on a clinic day that were not cancelled.",
        ),  # fmt: skip
    ]
}
"""The access KPIs (``DESIGN.md``'s names), registered like the clinic day's."""


def access_metric(name: str) -> Metric | None:
    """The access KPI ``name``, including third-next-available of one visit type; None for another name."""
    if name in ACCESS_METRICS:
        return ACCESS_METRICS[name]
    prefix, suffix = "third_next_available_", "_days"
    if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
        visit_type = name[len(prefix) : -len(suffix)]
        return Metric(name, f"Third-next-available, {visit_type}", "days", "lower",
                      f"Third-next-available of {visit_type} slots, mean over providers and days.")  # fmt: skip
    return None
