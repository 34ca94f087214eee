"""Sweep specifications: a base scenario, factors to vary, replications, seed and KPIs to keep.

A sweep file (YAML, validated like a scenario file) names a base scenario and how to vary it:

- ``design: grid``: every combination of the ``factors`` (dotted paths, each with a list of values);
- ``design: points``: an explicit list of named ``points``, each a set of changes;
- ``design: latin_hypercube``: ``samples`` points spread over numeric ``ranges`` (low, high, integer or not).

Every point is a complete, validated scenario (the base with that point's changes); a point that is not valid is
reported with its factor values before anything runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator
from scipy.stats import qmc

from clinicsim.metrics import KPI_NAMES
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.changes import resolve_path
from clinicsim.scenario.files import (
    Problem,
    ScenarioError,
    error_message,
    line_at,
    parse_yaml,
    read_text,
    validate_document,
)
from clinicsim.scenario.model import Model

MAX_POINTS = 100_000
"""Most points a sweep may have (a grid's size is checked before any point is made)."""
MAX_REPLICATIONS = 100_000
"""Most replications per point."""


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


class SweepSpec(Model):
    """A batch of plans to simulate: the base scenario varied by factors, each point replicated."""

    name: str = Field(description="Name of the sweep.")
    base: str = Field(description="Path of the base scenario file, relative to the sweep file.")
    design: Literal["grid", "points", "latin_hypercube"] = Field(default="grid", description="How points are made.")
    factors: list[Factor] = Field(default_factory=list, description="Grid factors (design: grid).")
    points: list[Point] = Field(default_factory=list, description="Named points (design: points).")
    ranges: list[Range] = Field(default_factory=list, description="Sampled ranges (design: latin_hypercube).")
    samples: int = Field(default=20, ge=1, le=MAX_POINTS, description="Number of Latin-hypercube points.")
    sample_seed: int = Field(default=0, ge=0, description="Seed of the Latin-hypercube sample itself.")
    replications: int = Field(default=20, ge=2, le=MAX_REPLICATIONS, description="Simulated days per point.")
    seed: int = Field(default=20261126, ge=0, description="Base seed; every point runs on the same days (CRN).")
    kpis: list[str] | None = Field(default=None, min_length=1, description="KPIs to keep; all when omitted.")

    @model_validator(mode="after")
    def _design_has_its_parts(self) -> SweepSpec:
        needs = {
            "grid": ("factors", self.factors),
            "points": ("points", self.points),
            "latin_hypercube": ("ranges", self.ranges),
        }
        field, value = needs[self.design]
        if not value:
            raise ValueError(f"design {self.design} needs {field}")
        unknown = sorted(set(self.kpis or []) - set(KPI_NAMES))
        if unknown:
            raise ValueError(f"kpis: unknown KPIs: {', '.join(unknown)}")
        for what, names in (
            ("kpis", self.kpis or []),
            ("factors", [f.path for f in self.factors]),
            ("ranges", [r.path for r in self.ranges]),
            ("points", [p.name for p in self.points]),
        ):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{what}: {', '.join(map(repr, twice))} given twice")
        size = self.size
        if size > MAX_POINTS:
            raise ValueError(f"the design makes {size:,} points; at most {MAX_POINTS:,}")
        return self

    @property
    def size(self) -> int:
        """Number of points of the design (without making them)."""
        if self.design == "grid":
            return math.prod(len(f.values) for f in self.factors)
        return len(self.points) if self.design == "points" else self.samples

    @property
    def kept_kpis(self) -> list[str]:
        return list(self.kpis) if self.kpis else list(KPI_NAMES)


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
    """A sweep whose points are not all valid scenarios. Each problem is said once, at the line of the factor
    (or point) that causes it, with how many points it affects and one of them as an example."""


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


def _cause(spec: SweepSpec, field: tuple, base: dict) -> tuple:
    """Where in the sweep file the setting behind a failing field is written: its factor or range."""
    kind, paths = (
        ("factors", [f.path for f in spec.factors])
        if spec.design == "grid"
        else ("ranges", [r.path for r in spec.ranges])
    )
    for i, path in enumerate(paths):
        setting = resolve_path(base, path)
        if field[: len(setting)] == setting or setting[: len(field)] == field:
            return (kind, i)
    return ("design",)


def expand(spec: SweepSpec, base: Scenario, *, source: str = "<sweep>", document: Any = None) -> list[SweepPoint]:
    """Every point as a validated scenario; raise SweepSpecError saying each problem once, with the number of
    points it affects, at the line of ``document`` (the sweep file) that causes it."""
    points: list[SweepPoint] = []
    failing: dict[tuple[tuple, tuple, str], list[tuple[int, str]]] = {}
    base_data = base.model_dump(mode="json")
    for index, (name, changes) in enumerate(design_points(spec)):
        try:
            scenario = base.with_changes({"name": f"{base.name} [{name}]", **changes})
        except ValidationError as error:
            for detail in error.errors(include_url=False):
                field = _field(tuple(detail["loc"]), base_data)
                cause = ("points", index) if spec.design == "points" else _cause(spec, field, base_data)
                failing.setdefault((cause, field, error_message(detail)), []).append((index, name))
        except ValueError as error:  # a path that is not in the scenario
            cause = ("points", index) if spec.design == "points" else ("design",)
            failing.setdefault((cause, (), str(error)), []).append((index, name))
        else:
            points.append(SweepPoint(point=index, name=name, factors=changes, scenario=scenario))
    if failing:
        raise SweepSpecError(source, [_problem(spec, document, key, hits) for key, hits in failing.items()])
    return points


def _problem(spec: SweepSpec, document: Any, key: tuple[tuple, tuple, str], hits: list[tuple[int, str]]) -> Problem:
    cause, field, message = key
    index, name = hits[0]
    where = f"in {len(hits):,} of {spec.size:,} points" if len(hits) > 1 else "in one point"
    line = line_at(document, cause) if document is not None else None
    message = f"{message} ({where}, e.g. point {index} '{name}')"
    return Problem(line=line, field=".".join(map(str, field)), message=message)


def spec_hash(spec: SweepSpec, points: list[SweepPoint]) -> str:
    """What the results depend on: the spec and every point's scenario content."""
    payload = {"spec": spec.model_dump(mode="json"), "points": [p.scenario.content_hash for p in points]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load_sweep(path: str | Path) -> tuple[SweepSpec, list[SweepPoint]]:
    """Read and validate a sweep file and expand its points; errors name the file, line and field."""
    path = Path(path)
    document = parse_yaml(read_text(path), str(path))
    spec = validate_document(SweepSpec, document, str(path))
    base = load_scenario(path.resolve().parent / spec.base)
    return spec, expand(spec, base, source=str(path), document=document)
