"""The clinic on one screen: what the Start page shows before anything is simulated.

A pure reading of a scenario on its own weekday (``Scenario.on_weekday``: that day's templates and changes), with no
randomness and no simulation:

- ``facts``: the lines an administrator reads first (providers, rooms, hours, staff, booked visits, walk-ins, work
  between visits, booking over weeks);
- ``providers``: each provider's template on the day, its slot length, sessions, booked visits and rule;
- ``staffing``: people on duty in each clock hour, per staff group and for the providers, as planned: a person
  counts for the share of the hour their shifts (less planned breaks) or sessions cover, so a shift starting at
  07:30 counts 0.5 in the 07:00 hour;
- ``rooms``: the exam rooms and the other rooms, who they are for, their turnover and the visits that use them;
- ``visit_mix``: per visit type, visits booked by the expanded templates and walk-ins expected, the share of the
  day's visits, the mean minutes the scenario gives the visit, and the no-show probability.

The figures draw on ``matplotlib.figure.Figure`` objects, never through pyplot, so a web server never touches a GUI
backend and keeps no global figure alive.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from clinicsim.access.demand import requests_per_day
from clinicsim.plan import DayPlan, plan_day
from clinicsim.plots import legend_right, plot_template
from clinicsim.scenario import Scenario, StaffGroup, Template, format_clock
from clinicsim.scenario.model import WEEKDAYS, Shift, Weekday
from clinicsim.scenario.pathway import Step, provider_minutes, walk
from clinicsim.scenario.vocabulary import EXAM, all_rooms
from clinicsim.timeseries import overlap_by_hour

WEEKDAY_NAMES: dict[str, str] = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
PROVIDERS_COLUMN = "providers"
"""Column of ``ClinicSummary.staffing`` counting the providers in session."""
DASH = "–"
"""Between the two ends of a stretch of time ("08:00–12:00")."""

_GROUP_COLORS = tuple(f"C{i}" for i in (0, 1, 2, 3, 4, 5, 6, 8, 9))
"""Colours of the staff groups in the staffing figure: matplotlib's cycle without its grey (the providers')."""
_ROLE_NOUNS = {
    "front_desk": ("front-desk staff", "front-desk staff"),
    "medical_assistant": ("medical assistant", "medical assistants"),
}
_ROOM_WORDS = ("room", "bay", "chair", "lab", "suite", "station", "area")
"""Last words of a room kind that already say it is a place ("triage bay"); other kinds get "room" added."""


@dataclass(frozen=True, eq=False)
class ClinicSummary:
    """The one-screen summary of a scenario on its weekday (see the module docstring for each part)."""

    name: str
    """The scenario's name."""
    weekday: Weekday
    """The weekday summarized (the scenario's own)."""
    facts: tuple[str, ...]
    """Plain-language lines, most important first."""
    providers: pd.DataFrame
    """One row per provider (index ``provider``): template, slot_min, sessions, booked_per_day, extra_booked,
    rule, speed_factor, weekdays."""
    staffing: pd.DataFrame
    """People on duty per clock hour (index ``hour``, 7 for 07:00-08:00): ``providers``, then each staff group."""
    rooms: pd.DataFrame
    """One row per room kind and owner: room, count, for_whom, turnover_mean_min, used_by."""
    visit_mix: pd.DataFrame
    """One row per visit type (index ``visit_type``): booked_per_day, walk_ins_per_day, share, provider_mean_min,
    steps_mean_min, p_no_show, rooms."""


def summarize_clinic(scenario: Scenario) -> ClinicSummary:
    """The one-screen summary of ``scenario`` on its own weekday (its ``weekday_changes`` for that day made)."""
    day = scenario.on_weekday()
    plan = plan_day(day)
    return ClinicSummary(
        name=day.name,
        weekday=day.weekday,
        facts=tuple(clinic_facts(day, plan)),
        providers=providers_table(day, plan),
        staffing=staffing_by_hour(day, plan),
        rooms=rooms_table(day),
        visit_mix=visit_mix_table(day, plan),
    )


# -- words ----------------------------------------------------------------------------------------------------


def _count(n: float, singular: str, plural: str | None = None) -> str:
    """ "1 provider", "4 providers" (``plural`` for nouns that do not just take an s)."""
    return f"{n:g} {singular if n == 1 else plural or singular + 's'}"


def stretch(start_min: float, end_min: float) -> str:
    """A stretch of the day as "08:00–12:00"."""
    return f"{format_clock(start_min)}{DASH}{format_clock(end_min)}"


def weekday_words(days: list[Weekday]) -> str:
    """Weekdays as an administrator writes them: "Mon–Fri" for a run of three or more, else "Mon, Wed"."""
    if not days:
        return ""
    positions = [WEEKDAYS.index(d) for d in days]
    if len(days) >= 3 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"{days[0].title()}{DASH}{days[-1].title()}"
    return ", ".join(d.title() for d in days)


def rule_words(template: Template) -> str:
    """The template's appointment rule: "fixed interval", "Bailey-Welch k=2" or "wave every 60 min"."""
    rule = template.rule
    if rule.kind == "bailey_welch":
        return f"Bailey-Welch k={rule.k}"
    if rule.kind == "wave":
        return f"wave every {rule.wave_min:g} min"
    return "fixed interval"


def room_words(kind: str, n: int) -> str:
    """ "8 exam rooms", "1 triage bay", "2 procedure rooms": a count of rooms of ``kind``."""
    words = kind.replace("x_ray", "x-ray").replace("_", " ")
    if words.split()[-1] not in _ROOM_WORDS:
        words += " room"
    return _count(n, words)


# -- tables ---------------------------------------------------------------------------------------------------


def providers_table(day: Scenario, plan: DayPlan) -> pd.DataFrame:
    """One row per provider of ``day`` (the scenario on its weekday, ``plan`` its plan); a provider off that day has
    no template, sessions or rule and 0 visits. ``weekdays``: the weekdays the provider has a template."""
    booked = {d.name: d.appointments for d in plan.providers}
    rows = []
    for provider in day.providers:
        name = provider.template_on(day.weekday)
        template = day.templates[name] if name is not None else None
        appointments = booked.get(provider.name, ())
        rows.append(
            {
                "provider": provider.name,
                "template": name or "",
                "slot_min": template.slot_min if template else math.nan,
                "sessions": ", ".join(stretch(s.start, s.end) for s in template.sessions) if template else "",
                "booked_per_day": len(appointments),
                "extra_booked": sum(a.booking != "regular" for a in appointments),
                "rule": rule_words(template) if template else "",
                "speed_factor": provider.speed_factor,
                "weekdays": weekday_words([d for d in WEEKDAYS if provider.template_on(d) is not None]),
            }
        )
    return pd.DataFrame(rows).set_index("provider")


def duty_stretches(shift: Shift) -> list[tuple[float, float]]:
    """The parts of a shift a person is on duty as planned: the shift less its breaks (clock minutes)."""
    stretches, start = [], shift.start
    for pause in shift.breaks:
        stretches.append((start, pause.start))
        start = pause.start + pause.duration_min
    stretches.append((start, shift.end))
    return [(a, b) for a, b in stretches if b > a]


def _people_by_hour(stretches: list[tuple[float, float]], hours: np.ndarray) -> np.ndarray:
    """For one person: the share of each clock hour inside ``stretches`` (0 to 1 per hour)."""
    if not stretches:
        return np.zeros(len(hours))
    starts, ends = (np.array(x, dtype=float) for x in zip(*stretches))
    return overlap_by_hour(starts, ends, hours).sum(axis=0) / 60


def _group_stretches(group: StaffGroup) -> list[tuple[float, float]]:
    return [part for shift in group.shifts for part in duty_stretches(shift)]


def day_hours(day: Scenario, plan: DayPlan) -> np.ndarray:
    """Clock hours (7 for 07:00-08:00) from the opening hour to the closing one, widened to any shift or session
    that starts earlier or ends later."""
    starts = [day.clinic.opens, *(s.start for g in day.staff for s in g.shifts)]
    ends = [day.clinic.closes, *(s.end for g in day.staff for s in g.shifts)]
    for provider in plan.providers:
        starts += [s.start for s in provider.sessions]
        ends += [s.end for s in provider.sessions]
    return np.arange(math.floor(min(starts) / 60), math.ceil(max(ends) / 60))


def staffing_by_hour(day: Scenario, plan: DayPlan) -> pd.DataFrame:
    """People on duty per clock hour as planned: each provider in session and each staff group's people on shift
    (less planned breaks), counted for the share of the hour they cover. Index ``hour``; columns ``providers``,
    then the staff groups in scenario order."""
    hours = day_hours(day, plan)
    columns = {
        PROVIDERS_COLUMN: sum(
            (_people_by_hour([(s.start, s.end) for s in p.sessions], hours) for p in plan.providers),
            np.zeros(len(hours)),
        )
    }
    for group in day.staff:
        columns[group.name] = group.count * _people_by_hour(_group_stretches(group), hours)
    return pd.DataFrame(columns, index=pd.Index([int(h) for h in hours], name="hour"))


def _rooms_used(day: Scenario) -> dict[str, list[str]]:
    """Per room kind, the visit types whose pathway has a step in a room of that kind."""
    used: dict[str, list[str]] = {}
    for name, visit in day.visit_types.items():
        kinds = {step.room for _, step, _ in walk(visit.steps()) if step.room is not None}
        for kind in sorted(kinds):
            used.setdefault(kind, []).append(name)
    return used


def rooms_table(day: Scenario) -> pd.DataFrame:
    """One row per room kind and owner: exam rooms first (a shared pool, or a row per provider they are dedicated
    to), then the other kinds; mean turnover after each patient (minutes) and the visit types that use them."""
    counts = Counter((kind, owner) for _, kind, owner in all_rooms(day))
    used = _rooms_used(day)
    rows = [
        {
            "room": kind,
            "count": n,
            "for_whom": owner or "shared",
            "turnover_mean_min": day.clinic.turnover(kind).mean,
            "used_by": ", ".join(used.get(kind, [])),
        }
        for (kind, owner), n in counts.items()
    ]
    return pd.DataFrame(rows, columns=["room", "count", "for_whom", "turnover_mean_min", "used_by"])


def steps_minutes(items: list) -> float:
    """Expected minutes of all a visit's steps (service time, not queueing): each step's mean duration weighted by
    the chance of the step and of the branch option it is in (the companion of ``pathway.provider_minutes``)."""
    total = 0.0
    for item in items:
        if isinstance(item, Step):
            total += item.p * item.duration_min.mean
        else:
            total += sum(option.p * steps_minutes(option.steps) for option in item.options.values())
    return total


def walk_ins_per_day(day: Scenario) -> dict[str, float]:
    """Expected walk-ins per day by visit type: each stream's rate times the hours of its periods, split by its
    mix."""
    expected: dict[str, float] = {}
    for stream in day.walk_ins:
        n = sum(period.per_hour * period.length_min / 60 for period in stream.rates)
        for visit_type, share in stream.mix.items():
            expected[visit_type] = expected.get(visit_type, 0.0) + n * share
    return expected


def visit_mix_table(day: Scenario, plan: DayPlan) -> pd.DataFrame:
    """One row per visit type: visits booked per day by the expanded templates (double bookings and overbookings
    included, before no-shows), walk-ins expected per day, the share of the day's visits (booked plus walk-ins),
    mean minutes with the provider and of all steps as the scenario gives them (before speed factors), the no-show
    probability, and the room kinds the visit uses."""
    booked = Counter(a.visit_type for provider in plan.providers for a in provider.appointments)
    walk_ins = walk_ins_per_day(day)
    rooms = _rooms_used(day)
    total = sum(booked.values()) + sum(walk_ins.values())
    rows = []
    for name, visit in day.visit_types.items():
        steps = visit.steps()
        n = booked.get(name, 0) + walk_ins.get(name, 0.0)
        rows.append(
            {
                "visit_type": name,
                "booked_per_day": booked.get(name, 0),
                "walk_ins_per_day": walk_ins.get(name, 0.0),
                "share": n / total if total > 0 else math.nan,
                "provider_mean_min": provider_minutes(steps),
                "steps_mean_min": steps_minutes(steps),
                "p_no_show": visit.p_no_show,
                "rooms": ", ".join(kind for kind, names in rooms.items() if name in names),
            }
        )
    return pd.DataFrame(rows).set_index("visit_type")


# -- facts ----------------------------------------------------------------------------------------------------


def _site_fact(day: Scenario) -> str:
    working = len(day.working_providers())
    providers = _count(len(day.providers), "provider")
    if working < len(day.providers):
        providers += f" ({working} working)"
    exam = day.clinic.exam_rooms
    rooms = [room_words(EXAM, exam if isinstance(exam, int) else sum(exam.values()))]
    if not isinstance(exam, int):
        rooms[0] += " dedicated to providers"
    rooms += [room_words(kind, n) for kind, n in day.clinic.room_counts().items() if n > 0]
    hours = stretch(day.clinic.opens, day.clinic.closes)
    return (
        f"{providers}, {', '.join(rooms)}, open {hours} on {WEEKDAY_NAMES[day.weekday]} "
        f"(clinic days: {weekday_words(day.working_weekdays())})"
    )


def _role_phrase(role: str, groups: list[StaffGroup]) -> str:
    singular, plural = _ROLE_NOUNS.get(role, (role.replace("_", " "), role.replace("_", " ") + "s"))
    assigned = sum(g.count for g in groups if g.assigned_to is not None)
    pooled = sum(g.count for g in groups if g.assigned_to is None)
    phrase = _count(assigned + pooled, singular, plural)
    if assigned and pooled:
        return f"{phrase} ({assigned} assigned to providers, {pooled} float)"
    return f"{phrase} (assigned to providers)" if assigned else phrase


def _staff_fact(day: Scenario) -> str:
    roles: dict[str, list[StaffGroup]] = {}
    for group in day.staff:
        roles.setdefault(group.role, []).append(group)
    if not roles:
        return "No staff besides the providers"
    return ", ".join(_role_phrase(role, groups) for role, groups in roles.items())


def _booking_fact(day: Scenario, plan: DayPlan) -> str:
    bookings = plan.bookings
    n = len(bookings.visit_type)
    if n == 0:
        return "No visits booked by the templates" + (
            ": the providers' sessions are for walk-ins" if day.walk_ins else ""
        )
    coming = float(np.sum(1 - bookings.p_no_show))
    booked = Counter(bookings.visit_type)
    mix = ", ".join(f"{booked[name]} {name}" for name in day.visit_types if booked[name] > 0)
    return f"{_count(n, 'visit')} booked per day by the templates (about {coming:.0f} expected after no-shows): {mix}"


def _walk_in_fact(day: Scenario) -> str | None:
    if not day.walk_ins:
        return None
    n = sum(walk_ins_per_day(day).values())
    names = ", ".join(s.name for s in day.walk_ins)
    return f"About {n:.0f} walk-ins expected per day ({names})"


def _work_fact(day: Scenario) -> str | None:
    if not day.work:
        return None
    by_clock = sum(p.per_hour * p.length_min / 60 for w in day.work for p in w.rates)
    by_clock += sum(b.count for w in day.work for b in w.at)
    from_visits = any(w.from_visits is not None for w in day.work)
    fact = f"{_count(len(day.work), 'work stream')} between visits ({', '.join(w.name for w in day.work)}): "
    fact += f"about {by_clock:.0f} items a day by the clock"
    return fact + (", more from visits" if from_visits else "")


def _access_fact(day: Scenario) -> str | None:
    access = day.access
    if access is None:
        return None
    date = datetime.date(2001, 1, 1)  # any date: the weekday and season factors are set aside for the mean
    per_day = sum(
        requests_per_day(day, d.model_copy(update={"weekday_factor": {}, "season_factor": {}}), date)
        for d in access.demand
    )
    fact = (
        f"Booking over weeks: {_count(len(access.demand), 'request stream')}, about {per_day:.0f} requests per "
        f"working day on average, booked up to {access.horizon_days} days ahead"
    )
    if access.holds:
        fact += f", {_count(len(access.holds), 'slot hold')}"
    if access.same_day.overbooks_per_provider:
        fact += f", up to {access.same_day.overbooks_per_provider} same-day overbooks per provider"
    return fact


def clinic_facts(day: Scenario, plan: DayPlan) -> list[str]:
    """The lines an administrator reads first about ``day`` (a scenario on its weekday, ``plan`` its plan): site
    and hours, staff, booked visits, then walk-ins, work between visits and booking over weeks when it has them."""
    facts = [_site_fact(day), _staff_fact(day), _booking_fact(day, plan)]
    optional = (_walk_in_fact(day), _work_fact(day), _access_fact(day))
    return facts + [fact for fact in optional if fact is not None]


# -- figures --------------------------------------------------------------------------------------------------


def template_figure(scenario: Scenario) -> Figure:
    """The providers' templates on the scenario's weekday (``clinicsim.plots.plot_template``) on a figure of its
    own."""
    day = scenario.on_weekday()  # the day's templates, as plan_day expands them
    figure = Figure(figsize=(11, 1.2 + 0.55 * max(len(day.working_providers()), 1)), layout="constrained")
    plot_template(day, ax=figure.add_subplot())
    return figure


def staffing_figure(summary: ClinicSummary) -> Figure:
    """People on duty by clock hour, stacked bars: providers at the bottom, then each staff group."""
    table = summary.staffing
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    ax = figure.add_subplot()
    bottom = np.zeros(len(table))
    handles = []
    for k, column in enumerate(table.columns):
        color = "0.3" if column == PROVIDERS_COLUMN else _GROUP_COLORS[k % len(_GROUP_COLORS)]
        ax.bar(table.index + 0.5, table[column], width=0.9, bottom=bottom, color=color, edgecolor="white")
        bottom += table[column].to_numpy()
        handles.append(Patch(facecolor=color, label=column))
    edges = [*table.index, table.index[-1] + 1] if len(table) else []
    ax.set_xticks(edges, [format_clock(60 * h) for h in edges], fontsize="small")
    ax.set_xlabel("Clock hour")
    ax.set_ylabel("People on duty")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"Staffing by hour: {summary.name} ({WEEKDAY_NAMES[summary.weekday]})", fontsize="medium")
    legend_right(ax, handles[::-1])  # the legend reads top down like the stack
    return figure


def visit_mix_figure(summary: ClinicSummary) -> Figure:
    """Visits per day by visit type: booked by the templates and walk-ins expected, with each type's share."""
    mix = summary.visit_mix
    figure = Figure(figsize=(8, 0.8 + 0.45 * len(mix)), layout="constrained")
    ax = figure.add_subplot()
    rows = np.arange(len(mix))
    booked, walk_ins = mix["booked_per_day"].to_numpy(float), mix["walk_ins_per_day"].to_numpy(float)
    ax.barh(rows, booked, color="C0", label="booked by the templates")
    if walk_ins.any():
        ax.barh(rows, walk_ins, left=booked, color="C1", label="walk-ins expected")
    for row, (total, share) in enumerate(zip(booked + walk_ins, mix["share"])):
        if np.isfinite(share):
            ax.text(total, row, f" {share:.0%}", va="center", fontsize="small")
    ax.set_yticks(rows, list(mix.index))
    ax.set_ylim(len(mix) - 0.5, -0.5)
    ax.set_xlabel("Visits per day")
    ax.margins(x=0.1)
    ax.set_title(f"Visit mix: {summary.name} ({WEEKDAY_NAMES[summary.weekday]})", fontsize="medium")
    legend_right(ax, ax.get_legend_handles_labels()[0])
    return figure
