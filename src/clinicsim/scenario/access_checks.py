"""Checks of the access section against the rest of the scenario: the providers, visit types and templates it names
exist, the requests it makes can be booked in some template, and the starting backlog sits in real appointment
times of the providers' templates.

Each problem is reported at its place in the file (``access.demand.0.visit_type``), so the error message can
point at the line; a backlog row read from a CSV file (``backlog_file:``) is reported at its line in that file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from clinicsim.scenario.access import WeekdayName
from clinicsim.scenario.vocabulary import appointment_times, format_clock, slot_times

if TYPE_CHECKING:
    from clinicsim.scenario.access import Access, BookedAppointment
    from clinicsim.scenario.model import Provider, Scenario

Found = list[tuple[tuple, str]]


def _unknown(kind: str, name: str, known) -> str:
    return f"unknown {kind} {name!r} (known: {', '.join(sorted(known)) or 'none'})"


def access_problems(scenario: Scenario) -> Found:
    """Every cross-reference problem of ``scenario.access`` as (location, message); none without an access
    section."""
    access = scenario.access
    if access is None:
        return []
    return [
        *_demand_problems(scenario, access),
        *_hold_problems(scenario, access),
        *_provider_problems(scenario, access),
        *_backlog_problems(scenario, access),
        *_rate_problems(scenario, access),
    ]


def _templates_worked(scenario: Scenario) -> set[str]:
    """Names of the templates some provider works on some weekday (and that exist)."""
    named = set()
    for provider in scenario.providers:
        named |= {provider.template} if isinstance(provider.template, str) else set(provider.template.values())
    return named & set(scenario.templates)


def _demand_problems(scenario: Scenario, access: Access) -> Found:
    """Requests of an unknown visit type, or of one no provider's template has a slot for."""
    found: Found = []
    offered = {vt for name in _templates_worked(scenario) for vt in scenario.templates[name].pattern}
    for i, demand in enumerate(access.demand):
        where = ("access", "demand", i, "visit_type")
        if demand.visit_type not in scenario.visit_types:
            found.append((where, _unknown("visit type", demand.visit_type, scenario.visit_types)))
        elif demand.visit_type not in offered:
            found.append(
                (
                    where,
                    f"no provider's template has a slot of visit type {demand.visit_type!r} for these requests to "
                    f"book; add {demand.visit_type} to the pattern of a template a provider works",
                )
            )
    return found


def _hold_problems(scenario: Scenario, access: Access) -> Found:
    """Holds of an unknown template, of visit types it has no slot of (or none to hold), or of times that are not
    the start of one of its slots."""
    found: Found = []
    for i, hold in enumerate(access.holds):
        template = scenario.templates.get(hold.template)
        if template is None:
            found.append((("access", "holds", i, "template"), _unknown("template", hold.template, scenario.templates)))
            continue
        for j, name in enumerate(hold.visit_types or []):
            if name not in template.pattern:
                found.append(
                    (("access", "holds", i, "visit_types", j), f"{hold.template} has no slot of visit type {name!r}")
                )
        if not any(name in template.pattern for name in access.held_types(hold)):
            found.append(
                (
                    ("access", "holds", i),
                    f"nothing to hold: {hold.template} has no slot of the visit types {hold.urgency} requests book "
                    f"({', '.join(sorted(access.held_types(hold))) or 'none'}); name the held visit_types",
                )
            )
        starts = sorted({t for session in template.sessions for t in slot_times(session, template.slot_min)})
        for j, time in enumerate(hold.slots):
            if time not in starts:
                found.append(
                    (
                        ("access", "holds", i, "slots", j),
                        f"{format_clock(time)} is not the start of a slot of {hold.template} "
                        f"(its slots start at {_times_briefly(starts)})",
                    )
                )
    return found


def _provider_problems(scenario: Scenario, access: Access) -> Found:
    """Panel shares and days off of unknown providers; panel shares that leave every provider out."""
    found: Found = []
    providers = [p.name for p in scenario.providers]
    for name in access.panel_shares:
        if name not in providers:
            found.append((("access", "panel_shares", name), _unknown("provider", name, providers)))
    if access.panel_shares and sum(access.panel_shares.values()) <= 0:
        found.append(
            (
                ("access", "panel_shares"),
                "every share is 0, so no provider has a panel; give some provider a share above 0 (or leave "
                "panel_shares out: shares follow each provider's slots in a week)",
            )
        )
    for i, off in enumerate(access.days_off):
        if off.provider not in providers:
            found.append((("access", "days_off", i, "provider"), _unknown("provider", off.provider, providers)))
    return found


def _backlog_problems(scenario: Scenario, access: Access) -> Found:
    """Booked appointments of unknown providers or visit types, before the start, booked after it, on a day the
    provider does not work, or at a time their template does not offer that day."""
    found: Found = []
    providers = {p.name: p for p in scenario.providers}
    times: dict[str, list[float]] = {}
    for i, booked in enumerate(access.backlog):
        at = ("access", "backlog", i)
        if booked.visit_type not in scenario.visit_types:
            found.append(((*at, "visit_type"), _unknown("visit type", booked.visit_type, scenario.visit_types)))
        provider = providers.get(booked.provider)
        if provider is None:
            found.append(((*at, "provider"), _unknown("provider", booked.provider, providers)))
        if booked.date < access.start:
            found.append(
                (
                    (*at, "date"),
                    f"{booked.date} is before access.start ({access.start}): the backlog holds the "
                    "appointments on or after the start",
                )
            )
        elif booked.booked_on is not None and booked.booked_on > access.start:
            found.append(
                (
                    (*at, "booked_on"),
                    f"{booked.booked_on} is after access.start ({access.start}): the backlog holds the appointments "
                    "already booked when the run starts",
                )
            )
        elif provider is not None:
            problem = _booked_day_problem(scenario, access, booked, provider, times)
            if problem is not None:
                found.append(((*at, problem[0]), problem[1]))
    return found


def _booked_day_problem(
    scenario: Scenario,
    access: Access,
    booked: BookedAppointment,
    provider: Provider,
    times: dict[str, list[float]],
) -> tuple[str, str] | None:
    """What is wrong with the day or time of a booked appointment of a known provider, as (field, message): the
    provider does not work that day, or the time is not one of their template's appointment times."""
    weekday = get_args(WeekdayName)[booked.date.weekday()]
    template = provider.template_on(weekday)
    if template is None:
        return "date", f"{booked.provider} has no template on {weekday} ({booked.date})"
    if booked.date in access.closed:
        return "date", f"the clinic is closed on {booked.date} (access.closed)"
    if any(off.provider == booked.provider and off.start <= booked.date <= off.end for off in access.days_off):
        return "date", f"{booked.provider} is away on {booked.date} (access.days_off)"
    if template not in scenario.templates:  # an unknown template: reported at the provider
        return None
    if template not in times:
        times[template] = appointment_times(scenario.templates[template])
    offered = times[template]
    if booked.time in offered:
        return None
    return "time", (
        f"{format_clock(booked.time)} is not an appointment time of {booked.provider}'s template {template} on "
        f"{weekday} (its times: {_times_briefly(offered) or 'none'})"
    )


def _rate_problems(scenario: Scenario, access: Access) -> Found:
    """Request hours whose rates are all zero, and lead-time curves of unknown visit types."""
    found: Found = []
    if access.request_hours and sum(p.per_hour * p.length_min for p in access.request_hours) <= 0:
        found.append(
            (
                ("access", "request_hours"),
                "every period's rate is 0, so no request ever comes in; give some period a rate above 0 (or leave "
                "request_hours out: requests come evenly over the opening hours)",
            )
        )
    if isinstance(access.no_show_by_lead_time, dict):
        for name in access.no_show_by_lead_time:
            if name != "default" and name not in scenario.visit_types:
                found.append(
                    (
                        ("access", "no_show_by_lead_time", name),
                        _unknown("visit type", name, scenario.visit_types) + "; the key default covers the others",
                    )
                )
    return found


def _times_briefly(times: list[float]) -> str:
    """Sorted clock times (minutes from midnight) in few words: runs at an even step as "08:00 to 11:40 every 20
    min", the rest one by one."""
    parts, i = [], 0
    while i < len(times):
        j = i + 1
        if j < len(times):
            step = times[j] - times[i]
            while j + 1 < len(times) and abs(times[j + 1] - times[j] - step) < 1e-9:
                j += 1
        if j - i >= 2:  # three times or more at one step
            parts.append(f"{format_clock(times[i])} to {format_clock(times[j])} every {step:g} min")
            i = j + 1
        else:
            parts.append(format_clock(times[i]))
            i += 1
    return ", ".join(parts)
