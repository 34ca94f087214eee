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
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator
from scipy.stats import qmc

from clinicsim.metrics import KPI_NAMES
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.files import read_text, validate_yaml
from clinicsim.scenario.model import Model


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
    samples: int = Field(default=20, ge=1, description="Number of Latin-hypercube points.")
    sample_seed: int = Field(default=0, ge=0, description="Seed of the Latin-hypercube sample itself.")
    replications: int = Field(default=20, ge=2, description="Simulated days per point.")
    seed: int = Field(default=20261126, ge=0, description="Base seed; every point runs on the same days (CRN).")
    kpis: list[str] | None = Field(default=None, description="KPIs to keep; all when omitted.")

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
            raise ValueError(f"unknown KPIs: {', '.join(unknown)}")
        return self

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


class SweepSpecError(ValueError):
    """A sweep that cannot run: its file, or some of its points; ``str()`` says which and why."""


def expand(spec: SweepSpec, base: Scenario) -> list[SweepPoint]:
    """Every point as a validated scenario; raise SweepSpecError listing each invalid point and its values."""
    points, problems = [], []
    for index, (name, changes) in enumerate(design_points(spec)):
        try:
            scenario = base.with_changes({"name": f"{base.name} [{name}]", **changes})
        except (ValidationError, ValueError) as error:
            detail = "; ".join(e["msg"] for e in error.errors()) if isinstance(error, ValidationError) else str(error)
            problems.append(f"point {index} ({name}): {detail}")
            continue
        points.append(SweepPoint(point=index, name=name, factors=changes, scenario=scenario))
    if problems:
        raise SweepSpecError("invalid sweep points:\n" + "\n".join(problems))
    return points


def spec_hash(spec: SweepSpec, points: list[SweepPoint]) -> str:
    """What the results depend on: the spec and every point's scenario content."""
    payload = {"spec": spec.model_dump(mode="json"), "points": [p.scenario.content_hash for p in points]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load_sweep(path: str | Path) -> tuple[SweepSpec, list[SweepPoint]]:
    """Read and validate a sweep file and expand its points; errors name the file, line and field."""
    path = Path(path)
    spec = validate_yaml(SweepSpec, read_text(path), str(path))
    base = load_scenario(path.resolve().parent / spec.base)
    return spec, expand(spec, base)
