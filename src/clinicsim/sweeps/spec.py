"""Sweep specifications: a base scenario, factors to vary, replications, seed and KPIs to keep.

A sweep file (YAML, validated like a scenario file) names a base scenario and how to vary it:

- ``design: grid``: every combination of the ``factors`` (dotted paths, each with a list of values);
- ``design: points``: an explicit list of named ``points``, each a set of changes;
- ``design: latin_hypercube``: ``samples`` points spread over numeric ``ranges`` (low, high, integer or not).

Every point is a complete, validated scenario (the base with that point's changes); a point that is not valid is
reported with its factor values before anything runs. Before any point is made, ``expand`` refuses a design over
the limits below, an empty or repeated KPI list, and a setting, value or point name given twice, each at its line
of the sweep file. (The model itself keeps only the rules every stored sweep met, so a store written by an earlier
version can still be read.)
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator
from scipy.stats import qmc

from clinicsim.metrics import KPI_NAMES, is_kpi_name
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.changes import resolve_path, set_path
from clinicsim.scenario.files import (
    Problem,
    ScenarioError,
    line_at,
    located_message,
    parse_yaml,
    read_text,
    validate_document,
)
from clinicsim.scenario.model import Model

MAX_POINTS = 10_000
"""Most points a sweep may have (a grid's size is counted before any point is made). Each point is a validated
scenario held in memory (about 1.5 ms and 75 kB each for the bundled family-medicine practice)."""
MAX_REPLICATIONS = 100_000
"""Most replications per point."""
MAX_DAYS = 2_000_000
"""Most simulated days (points x replications) in one sweep: about ten CPU-hours of the bundled practice, and a
bound on the runner's bookkeeping of what is done."""


class Factor(Model):
    """A setting to vary over a grid."""

    path: str = Field(description='Dotted path of the setting, e.g. "clinic.exam_rooms".')
    values: list[Any] = Field(min_length=1, description="Values the setting takes.")


class Range(Model):
    """A numeric setting to vary over a Latin-hypercube sample."""

    path: str = Field(description="Dotted path of the setting.")
    low: float = Field(description="Smallest value.")
    high: float = Field(description="Largest value.")
    integer: bool = Field(default=False, description="Round to whole numbers (rooms, staff counts).")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self


class Point(Model):
    """An explicitly named point of a sweep."""

    name: str = Field(description="Name of the point.")
    changes: dict[str, Any] = Field(default_factory=dict, description="Dotted paths and their values.")


class AccessRuns(Model):
    """Booking over weeks instead of single clinic days: each replication of a point is one run of its booking
    model (``clinicsim access``)."""

    weeks: int = Field(default=26, ge=1, le=520, description="Weeks reported per run.")
    warm_up: int = Field(default=4, ge=0, le=104, description="Weeks booked first and not reported.")
    days: bool = Field(default=False, description="Also simulate every reported clinic day (their KPIs' means).")

    def kpis(self) -> list[str]:
        """The KPIs such a run gives (the access KPIs; with days, the clinic day's too)."""
        from clinicsim.access.names import ACCESS_METRICS

        return [*ACCESS_METRICS, *(KPI_NAMES if self.days else ())]


class SweepSpec(Model):
    """A batch of plans to simulate: the base scenario varied by factors, each point replicated."""

    name: str = Field(description="Name of the sweep.")
    base: str = Field(description="Path of the base scenario file, relative to the sweep file.")
    design: Literal["grid", "points", "latin_hypercube"] = Field(default="grid", description="How points are made.")
    factors: list[Factor] = Field(default_factory=list, description="Grid factors (design: grid).")
    points: list[Point] = Field(default_factory=list, description="Named points (design: points).")
    ranges: list[Range] = Field(default_factory=list, description="Sampled ranges (design: latin_hypercube).")
    samples: int = Field(default=20, ge=1, description="Number of Latin-hypercube points.")
    sample_seed: int = Field(default=0, ge=0, description="Seed of the Latin-hypercube sample itself.")
    replications: int = Field(default=20, ge=2, description="Simulated days per point.")
    seed: int = Field(default=20261126, ge=0, description="Base seed; every point runs on the same days (CRN).")
    kpis: list[str] | None = Field(default=None, description="KPIs to keep (at least one); all when omitted.")
    access: AccessRuns | None = Field(
        default=None,
        description="Book over weeks instead of simulating clinic days (the base scenario needs an access: section): "
        "each replication is one booking run of this many weeks; the access KPIs are kept.",
    )

    @model_validator(mode="after")
    def _design_has_its_parts(self) -> SweepSpec:
        needs = {
            "grid": ("factors", self.factors),
            "points": ("points", self.points),
            "latin_hypercube": ("ranges", self.ranges),
        }
        field, value = needs[self.design]
        if not value:
            raise ValueError(f"{field}: design {self.design} needs {field}, and none are given")
        unknown = sorted(k for k in self.kpis or [] if not is_kpi_name(k))
        if unknown:
            raise ValueError(f"kpis: unknown KPIs: {', '.join(unknown)}")
        return self

    @property
    def size(self) -> int:
        """Number of points of the design (without making them)."""
        if self.design == "grid":
            return math.prod(len(f.values) for f in self.factors)
        return len(self.points) if self.design == "points" else self.samples

    @property
    def kept_kpis(self) -> list[str]:
        if self.kpis:
            return list(self.kpis)
        return self.access.kpis() if self.access is not None else list(KPI_NAMES)


@dataclass(frozen=True)
class SweepPoint:
    """One point: its index, name, factor values and validated scenario."""

    point: int
    name: str
    factors: dict[str, Any]
    scenario: Scenario


def design_points(spec: SweepSpec) -> list[tuple[str, dict[str, Any]]]:
    """(name, changes) of every point of the design, in a fixed order."""
    if spec.design == "grid":
        paths = [f.path for f in spec.factors]
        combos = product(*(f.values for f in spec.factors))
        return [(", ".join(f"{p}={v}" for p, v in zip(paths, c)), dict(zip(paths, c))) for c in combos]
    if spec.design == "points":
        return [(p.name, dict(p.changes)) for p in spec.points]
    unit = qmc.LatinHypercube(d=len(spec.ranges), seed=np.random.default_rng(spec.sample_seed)).random(spec.samples)
    out = []
    for k, row in enumerate(unit):
        values = {}
        for r, u in zip(spec.ranges, row):
            x = r.low + u * (r.high - r.low)
            values[r.path] = int(round(x)) if r.integer else float(x)
        out.append((f"sample {k + 1}", values))
    return out


class SweepSpecError(ScenarioError):
    """A sweep that cannot run: over a limit, something given twice, or points that are not valid scenarios.
    Each problem is said once, at the line of the sweep file that causes it (for a point: its factor, range or
    change), with how many points it affects and one of them as an example."""


_DESIGN_LIST = {"grid": "factors", "points": "points", "latin_hypercube": "samples"}
"""Where in a sweep file each design says how many points it makes."""

Refusal = tuple[tuple, str]
"""(where in the sweep file, what is wrong)."""


def _refusals(spec: SweepSpec, base_data: dict) -> list[Refusal]:
    """What is refused before any point is made: a design over the limits, an empty KPI list, and a KPI, point
    name, factor value or setting given twice."""
    return _over_limits(spec) + _repeated(spec, base_data)


def _not_produced(spec: SweepSpec, base: Scenario) -> list[Refusal]:
    """KPIs named by a pathway's pattern (``wait_before_triage_mean_min``) that the base scenario does not have."""
    if spec.access is not None:
        return [] if base.access is not None else [(("access",), "the base scenario has no access: section to book")]
    named = [(i, k) for i, k in enumerate(spec.kpis or []) if k not in KPI_NAMES]
    if not named:
        return []
    from clinicsim.engine import simulate_day  # a day of the base says which pathway KPIs it has
    from clinicsim.experiment import day_kpis
    from clinicsim.plan import plan_day

    has = day_kpis(simulate_day(plan_day(base), seed=spec.seed, replication=0), base)
    return [(("kpis", i), f"{k}: the base scenario has no such KPI (no such step, role, room kind or branch)")
            for i, k in named if k not in has]  # fmt: skip


def _over_limits(spec: SweepSpec) -> list[Refusal]:
    refused = []
    if spec.kpis == []:
        refused.append((("kpis",), "name at least one KPI (leave kpis out to keep them all)"))
    if spec.replications > MAX_REPLICATIONS:
        refused.append((("replications",), f"at most {MAX_REPLICATIONS:,} replications a point"))
    size, days = spec.size, spec.size * spec.replications
    if size > MAX_POINTS:
        refused.append(((_DESIGN_LIST[spec.design],), f"the design makes {size:,} points; at most {MAX_POINTS:,}"))
    elif days > MAX_DAYS:
        refused.append(
            (
                ("replications",),
                f"{size:,} points x {spec.replications:,} replications make {days:,} simulated days; "
                f"at most {MAX_DAYS:,} in one sweep",
            )
        )
    return refused


def _repeated(spec: SweepSpec, base_data: dict) -> list[Refusal]:
    refused = _twice([(("kpis", i), kpi) for i, kpi in enumerate(spec.kpis or [])], "KPI")
    if spec.design == "points":
        refused += _twice([(("points", i, "name"), p.name) for i, p in enumerate(spec.points)], "point name")
        for index in range(len(spec.points)):
            refused += _same_setting(_settings(spec, index), base_data)
    else:
        for i, factor in enumerate(spec.factors if spec.design == "grid" else []):
            refused += _twice([(("factors", i, "values", j), v) for j, v in enumerate(factor.values)], "value")
        refused += _same_setting(_settings(spec, 0), base_data)
    return refused


def _twice(items: list[tuple[tuple, Any]], what: str) -> list[Refusal]:
    """Each value given again after its first time (said once per value)."""
    first: dict[str, tuple] = {}
    said: set[str] = set()
    refused = []
    for where, value in items:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in first:
            first[key] = where
        elif key not in said:
            said.add(key)
            refused.append((where, f"{what} {value!r} is given twice (also at {_dotted(first[key])})"))
    return refused


def _same_setting(settings: list[tuple[tuple, str]], base_data: dict) -> list[Refusal]:
    """Paths that change the same setting of the scenario (or one inside the other): only the last would count."""
    seen: list[tuple[tuple, str, tuple]] = []
    refused = []
    for where, path in settings:
        setting = resolve_path(base_data, path)
        if len(setting) != len(path.split(".")):  # not a setting of the scenario: the point's check says so
            continue
        other = next(((w, p) for w, p, s in seen if s[: len(setting)] == setting[: len(s)]), None)
        if other is not None:
            said = "is given twice" if path == other[1] else f"changes the same setting as {other[1]!r}"
            refused.append((where, f"{path!r} {said} (also at {_dotted(other[0])})"))
        seen.append((where, path, setting))
    return refused


def _settings(spec: SweepSpec, index: int) -> list[tuple[tuple, str]]:
    """(where in the sweep file, dotted path) of every setting the point ``index`` changes."""
    if spec.design == "points":
        return [(("points", index, "changes", path), path) for path in spec.points[index].changes]
    if spec.design == "grid":
        return [(("factors", i), factor.path) for i, factor in enumerate(spec.factors)]
    return [(("ranges", i), sampled.path) for i, sampled in enumerate(spec.ranges)]


def _dotted(location: tuple) -> str:
    return ".".join(map(str, location))


def _field(location: tuple, data: Any) -> tuple:
    """An error location without pydantic's union tags: the parts the scenario's data holds (and a last one that
    names a missing field)."""
    kept = []
    for position, part in enumerate(location):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        elif position < len(location) - 1 or not isinstance(data, dict):
            continue
        kept.append(part)
    return tuple(kept)


def _writer(spec: SweepSpec, index: int, field: tuple, data: dict) -> tuple:
    """Where in the sweep file the setting behind a scenario field is written: its factor, range or change."""
    for where, path in _settings(spec, index):
        setting = resolve_path(data, path)
        if field[: len(setting)] == setting or setting[: len(field)] == field:
            return where
    return ("points", index) if spec.design == "points" else ("factors" if spec.design == "grid" else "ranges",)


def _point_problems(
    spec: SweepSpec, index: int, changes: dict, base_data: dict, error: ValueError
) -> list[tuple[tuple, tuple, str]]:
    """(where in the sweep file, scenario field, message) of each problem of the point ``index``, its fields
    as the point's own scenario data holds them."""
    data = copy.deepcopy(base_data)
    for path, value in changes.items():
        try:
            set_path(data, path, value)
        except ValueError as unknown:  # a path that is not in the scenario
            where = next(w for w, p in _settings(spec, index) if p == path)
            return [(where, tuple(path.split(".")), str(unknown))]
    if not isinstance(error, ValidationError):  # every path was set above: the scenario's check failed
        raise error
    problems = []
    for detail in error.errors(include_url=False):
        location, message = located_message(detail)
        field = _field(location, data)
        problems.append((_writer(spec, index, field, data), field, message))
    return problems


def expand(spec: SweepSpec, base: Scenario, *, source: str = "<sweep>", document: Any = None) -> list[SweepPoint]:
    """Every point as a validated scenario; raise SweepSpecError, at the lines of ``document`` (the sweep file),
    for what is refused before any point is made, or saying each problem of the points once with the number of
    points it affects."""
    base_data = base.model_dump(mode="json")
    refused = _refusals(spec, base_data) or _not_produced(spec, base)
    if refused:
        problems = [_refusal(document, where, message) for where, message in refused]
        raise SweepSpecError(source, sorted(problems, key=lambda p: p.line or 0))
    points: list[SweepPoint] = []
    failing: dict[tuple[tuple, tuple, str], tuple[str, list[tuple[int, str]]]] = {}
    for index, (name, changes) in enumerate(design_points(spec)):
        try:
            scenario = _changed(base_data, {"name": f"{base.name} [{name}]", **changes})
        except ValueError as error:  # pydantic's ValidationError, or a path that is not in the scenario
            for cause, field, message in _point_problems(spec, index, changes, base_data, error):
                failing.setdefault((cause, field, _VALUES.sub("_", message)), (message, []))[1].append((index, name))
        else:
            points.append(SweepPoint(point=index, name=name, factors=changes, scenario=scenario))
    if failing:
        problems = [_problem(spec, document, cause, field, *said) for (cause, field, _), said in failing.items()]
        raise SweepSpecError(source, sorted(problems, key=lambda p: p.line or 0))
    return points


_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|-?\d[\d,.]*(?:e[-+]?\d+)?")
"""The values in a message (quoted texts, numbers): problems that differ only there are said once."""


def _changed(base_data: dict, changes: dict) -> Scenario:
    """The base scenario (as data) with a point's changes, validated; pydantic's own error when it is not valid,
    so each problem can be traced to the factor behind it."""
    data = copy.deepcopy(base_data)
    for path, value in changes.items():
        set_path(data, path, value)
    return Scenario.model_validate(data)


def _refusal(document: Any, where: tuple, message: str) -> Problem:
    line = line_at(document, where) if document is not None else None
    return Problem(line=line, field=_dotted(where), message=message)


def _problem(
    spec: SweepSpec, document: Any, cause: tuple, field: tuple, message: str, hits: list[tuple[int, str]]
) -> Problem:
    """One problem of the points, at the line of its cause, with the first point it was found in as the example."""
    index, name = hits[0]
    where = f"in {len(hits):,} of {spec.size:,} points" if len(hits) > 1 else "in one point"
    line = line_at(document, cause) if document is not None else None
    message = f"{message} ({where}, e.g. point {index} '{name}')"
    return Problem(line=line, field=_dotted(field), message=message)


def spec_hash(spec: SweepSpec, points: list[SweepPoint]) -> str:
    """What the results depend on: the spec and every point's scenario content."""
    dumped = spec.model_dump(mode="json")
    if dumped["access"] is None:  # a sweep of clinic days hashes as before there were access sweeps: stores resume
        del dumped["access"]
    payload = {"spec": dumped, "points": [p.scenario.content_hash for p in points]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load_sweep(path: str | Path) -> tuple[SweepSpec, list[SweepPoint]]:
    """Read and validate a sweep file and expand its points; errors name the file, line and field."""
    path = Path(path)
    document = parse_yaml(read_text(path), str(path))
    spec = validate_document(SweepSpec, document, str(path))
    base = path.resolve().parent / spec.base
    if not base.is_file():
        what = "is a folder, not a scenario file" if base.is_dir() else "does not exist"
        raise SweepSpecError(str(path), [_refusal(document, ("base",), f"{base} {what}")])
    return spec, expand(spec, load_scenario(base), source=str(path), document=document)
