"""The settings administrators change, read off a scenario as form controls, and a control's new value as a change.

Each ``Control`` names the dotted path it sets (as ``Scenario.with_changes`` takes it), its section of the page,
a label, its kind of widget and the value the scenario has now. The page draws one widget per control; ``change``
turns what the widget holds back into the ``{path: value}`` the variant keeps. The controls come from the
scenario's own data (its templates, staff groups, rooms, visit types, work streams and access demand), so a
clinic with a triage nurse or a lab room gets controls for them without code here knowing their names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from clinicsim.scenario import BLOCKED, Scenario, format_clock
from clinicsim.scenario.limits import MAX_EXTRA_PER_SESSION, MAX_STAFF_PER_GROUP, MIN_SLOT_MIN
from clinicsim.scenario.vocabulary import slot_times

Kind = Literal["number", "choice", "rule", "pattern", "times", "overbooking", "shifts", "owner"]

SECTIONS = ("Templates", "Providers", "Staff", "Rooms", "No-shows", "Visit durations", "Work streams", "Access")
"""The page's sections, in order."""

RULES = {"fixed_interval": "Fixed interval", "bailey_welch": "Bailey-Welch", "wave": "Wave"}
"""Appointment rules by kind, with their names on screen."""


@dataclass(frozen=True)
class Control:
    """One setting as a form control."""

    path: str
    section: str
    label: str
    kind: Kind
    value: Any
    options: tuple = ()
    low: float | None = None
    high: float | None = None
    step: float = 1.0
    integer: bool = False
    help: str = ""
    group: str = ""
    """The heading the control is shown under within its section (a template's name, a staff group's)."""
    extra: dict = field(default_factory=dict, compare=False)


def controls(scenario: Scenario) -> list[Control]:
    """Every control for ``scenario``, section by section."""
    return [
        *_template_controls(scenario),
        *_provider_controls(scenario),
        *_staff_controls(scenario),
        *_room_controls(scenario),
        *_no_show_controls(scenario),
        *_duration_controls(scenario),
        *_work_controls(scenario),
        *_access_controls(scenario),
    ]


def change(control: Control, value: Any) -> dict[str, Any]:
    """The change a widget's ``value`` makes: ``{control.path: setting}`` in the scenario's own terms."""
    if control.kind == "number":
        return {control.path: int(value) if control.integer else float(value)}
    if control.kind == "pattern":
        return {control.path: [str(v) for v in value if v]}
    if control.kind == "times":
        return {control.path: sorted(str(v) for v in value)}
    if control.kind == "shifts":
        return {control.path: _shifts(control, value)}
    if control.kind == "owner":
        return {control.path: _owner_setting(str(value))}
    return {control.path: value}


# templates ------------------------------------------------------------------------------------------------------
def _template_controls(scenario: Scenario) -> Iterator[Control]:
    kinds = tuple(scenario.visit_types) + (BLOCKED,)
    for name, template in scenario.templates.items():
        at = f"templates.{name}"
        yield Control(
            f"{at}.slot_min",
            "Templates",
            "Slot length (min)",
            "number",
            template.slot_min,
            low=MIN_SLOT_MIN,
            high=240,
            step=1,
            group=name,
        )
        yield Control(
            f"{at}.rule",
            "Templates",
            "Appointment rule",
            "rule",
            template.rule.model_dump(mode="json"),
            options=tuple(RULES),
            group=name,
            help="Bailey-Welch books k patients at each session's start; a wave books a wave's patients at its start.",
        )
        yield Control(
            f"{at}.pattern",
            "Templates",
            "Pattern of visit types (repeats over each session)",
            "pattern",
            list(template.pattern),
            options=kinds,
            group=name,
        )
        starts = sorted({format_clock(t) for s in template.sessions for t in slot_times(s, template.slot_min)})
        yield Control(
            f"{at}.double_book",
            "Templates",
            "Double-booked slots",
            "times",
            list(template.double_book),
            options=tuple(starts),
            group=name,
        )
        overbooking = template.overbooking.model_dump(mode="json") if template.overbooking else None
        yield Control(
            f"{at}.overbooking",
            "Templates",
            "Overbooking (extra patients per session)",
            "overbooking",
            overbooking,
            high=MAX_EXTRA_PER_SESSION,
            options=("spread", "start", "end"),
            group=name,
            help="'auto' books as many extras as the session's expected no-shows.",
        )


# people -----------------------------------------------------------------------------------------------------------
def _provider_controls(scenario: Scenario) -> Iterator[Control]:
    for provider in scenario.providers:
        at = f"providers.{provider.name}"
        if isinstance(provider.template, str):
            yield Control(
                f"{at}.template",
                "Providers",
                "Template",
                "choice",
                provider.template,
                options=tuple(scenario.templates),
                group=provider.name,
            )
        yield Control(
            f"{at}.speed_factor",
            "Providers",
            "Speed factor (2 = visits take half as long)",
            "number",
            provider.speed_factor,
            low=0.1,
            high=5,
            step=0.05,
            group=provider.name,
        )


def _staff_controls(scenario: Scenario) -> Iterator[Control]:
    for group in scenario.staff:
        at = f"staff.{group.name}"
        yield Control(
            f"{at}.count",
            "Staff",
            "People",
            "number",
            group.count,
            low=1,
            high=MAX_STAFF_PER_GROUP,
            integer=True,
            group=group.name,
            help=f"Role: {group.role}",
        )
        shifts = [{"start": format_clock(s.start), "end": format_clock(s.end)} for s in group.shifts]
        breaks = [[b.model_dump(mode="json") for b in s.breaks] for s in group.shifts]
        yield Control(
            f"{at}.shifts",
            "Staff",
            "Shifts (every person works each)",
            "shifts",
            shifts,
            group=group.name,
            extra={"breaks": breaks},
        )


def _shifts(control: Control, rows: list[dict]) -> list[dict]:
    """Shift rows (start, end) as the scenario's shifts; a row keeps the breaks its shift had."""
    breaks = control.extra.get("breaks", [])
    out = []
    cells = [{k: v.strip() if isinstance(v, str) else "" for k, v in row.items()} for row in rows]  # blank: ""
    for i, row in enumerate(r for r in cells if r.get("start") or r.get("end")):
        shift = {"start": row.get("start", ""), "end": row.get("end", "")}
        if i < len(breaks) and breaks[i]:
            shift["breaks"] = breaks[i]
        out.append(shift)
    return out


# the site and the patients ----------------------------------------------------------------------------------------
def _room_controls(scenario: Scenario) -> Iterator[Control]:
    rooms = scenario.clinic.exam_rooms
    if isinstance(rooms, int):
        yield Control("clinic.exam_rooms", "Rooms", "Exam rooms", "number", rooms, low=0, high=200, integer=True)
    else:
        for kind, count in rooms.items():
            yield Control(
                f"clinic.exam_rooms.{kind}",
                "Rooms",
                f"Exam rooms: {kind}",
                "number",
                count,
                low=0,
                high=200,
                integer=True,
            )
    for name, room in scenario.clinic.rooms.items():
        count, path = (
            (room, f"clinic.rooms.{name}") if isinstance(room, int) else (room.count, f"clinic.rooms.{name}.count")
        )
        yield Control(path, "Rooms", f"Rooms: {name}", "number", count, low=0, high=200, integer=True)


def _no_show_controls(scenario: Scenario) -> Iterator[Control]:
    for name, visit_type in scenario.visit_types.items():
        yield Control(
            f"visit_types.{name}.p_no_show",
            "No-shows",
            f"{name}: share of booked patients who do not come",
            "number",
            visit_type.p_no_show,
            low=0,
            high=1,
            step=0.01,
        )


def _duration_controls(scenario: Scenario) -> Iterator[Control]:
    """The mean of every duration given by its mean: the default pathway's steps, or each step of a visit type's
    own pathway (within branches too)."""
    for name, visit_type in scenario.visit_types.items():
        data = visit_type.model_dump(mode="json")
        steps = (data["durations_min"] or {}).items()
        found = [(f"durations_min.{step}", step, duration) for step, duration in steps]
        found += list(_pathway_durations(data["pathway"] or [], "pathway", ""))
        for at, step, duration in found:
            if isinstance(duration, dict) and "mean" in duration:
                yield Control(
                    f"visit_types.{name}.{at}.mean",
                    "Visit durations",
                    f"{step.replace('_', ' ')}: mean (min)",
                    "number",
                    duration["mean"],
                    low=0.1,
                    high=480,
                    step=0.5,
                    group=name,
                    help=f"A {duration['kind']} distribution; its spread is kept.",
                )


def _pathway_durations(items: list[dict], at: str, within: str) -> Iterator[tuple[str, str, Any]]:
    """(dotted path of the step, its name as shown, its duration) for each step of a pathway, branches' included
    (named "x-ray (workup: x_ray)")."""
    for i, item in enumerate(items):
        if "step" in item:
            yield f"{at}.{i}.duration_min", item["step"] + within, item["duration_min"]
            continue
        for option, branch in item["options"].items():
            inside = f" ({item['choose']}: {option})"
            yield from _pathway_durations(branch["steps"], f"{at}.{i}.options.{option}.steps", inside)


# work between visits and access ------------------------------------------------------------------------------------
def owners(scenario: Scenario) -> tuple[str, ...]:
    """Who can do a work stage, as shown: ``provider``, ``role: <role>``, ``group: <name>``, ``pool: <name>``."""
    roles = sorted({g.role for g in scenario.staff})
    return (
        "provider",
        *(f"role: {r}" for r in roles),
        *(f"group: {g.name}" for g in scenario.staff),
        *(f"pool: {p}" for p in scenario.provider_pools),
    )


def _owner_label(owner: Any) -> str:
    data = owner if isinstance(owner, str | dict) else owner.model_dump(mode="json")
    if isinstance(data, str):
        return data
    key = next(k for k in ("role", "group", "pool") if k in data)
    return f"{key}: {data[key]}"


def _owner_setting(label: str) -> Any:
    if ": " not in label:
        return label
    key, name = label.split(": ", 1)
    return {key: name}


def _work_controls(scenario: Scenario) -> Iterator[Control]:
    choices = owners(scenario)
    for stream in scenario.work:
        for i, stage in enumerate(stream.stages):
            label = "Done by" if len(stream.stages) == 1 else f"Stage {i + 1} done by"
            yield Control(
                f"work.{stream.name}.stages.{i}.by",
                "Work streams",
                label,
                "owner",
                _owner_label(stage.by),
                options=choices,
                group=stream.name,
            )


def _access_controls(scenario: Scenario) -> Iterator[Control]:
    if scenario.access is None:
        return
    for demand in scenario.access.demand:
        at = f"access.demand.{demand.name}"
        if demand.per_day is not None:
            yield Control(
                f"{at}.per_day",
                "Access",
                "Requests per working day",
                "number",
                demand.per_day,
                low=0,
                high=10_000,
                step=0.5,
                group=demand.name,
            )
        if demand.panel is not None:
            yield Control(
                f"{at}.panel.size",
                "Access",
                "Panel size (patients)",
                "number",
                demand.panel.size,
                low=1,
                high=1_000_000,
                integer=True,
                group=demand.name,
            )
            yield Control(
                f"{at}.panel.visits_per_patient_per_year",
                "Access",
                "Requests per patient per year",
                "number",
                demand.panel.visits_per_patient_per_year,
                low=0.01,
                high=50,
                step=0.05,
                group=demand.name,
            )


def settings_changed(base: Scenario, variant: Scenario) -> list[tuple[str, str, str]]:
    """(dotted path, base's value, variant's value) of each setting the variant changes; its name and description
    are not settings."""
    from clinicsim.reports.comparison import scenario_diff

    return [row for row in scenario_diff(base, variant) if row[0] not in ("name", "description")]


def side_by_side(base: Scenario, variants: Mapping[str, Scenario]) -> pd.DataFrame:
    """Every setting some variant changes (rows, dotted paths), as the base and each variant have it (columns),
    values as a scenario file writes them; a variant's name is not a setting."""
    rows: dict[str, dict[str, str]] = {}
    for name, scenario in variants.items():
        for path, before, after in settings_changed(base, scenario):
            rows.setdefault(path, {"base": before})[name] = after
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["base", *variants]).sort_index()
    for name in variants:  # a variant that leaves the setting as the base has it
        table[name] = table[name].where(table[name].notna(), table["base"])
    return table.rename_axis("setting")
