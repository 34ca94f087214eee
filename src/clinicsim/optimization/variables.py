"""Decision variables: a setting of the base scenario and the values a plan may give it.

A variable names its setting by a dotted path, as sweeps and ``Scenario.with_changes`` do (``clinic.exam_rooms``,
``staff.Front desk.count``, ``templates.fm_20.rule``), and its domain by its kind:

- ``int``: whole numbers ``low, low + step, ..., high`` (step 1 by default);
- ``float``: numbers from ``low`` to ``high``, continuous, or on a ``step`` (``low, low + step, ..., high``);
- ``categorical``: one of ``values``, each any setting (a number, a text, a whole section such as an appointment
  rule ``{kind: bailey_welch, k: 2}``), with optional ``labels`` for plan names.

The bounds are the constraints on inputs: "no more rooms than the building has" is ``high``. A step must land on
``high`` exactly, so the largest value tried is the one written. A search gives each variable a *parameter*: the
number itself for ``int`` and ``float``, and for ``categorical`` the position of the value in ``values`` (never
the value: a search library's categorical choices are plain numbers and texts, and the position is unambiguous
when the values are numbers too). ``Variable.value`` turns a parameter into the setting's value.
"""

from __future__ import annotations

import copy
import math
from numbers import Integral, Real
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from clinicsim.scenario.changes import APPEND
from clinicsim.scenario.model import Model
from clinicsim.sweeps.spec import MAX_POINTS

VariableKind = Literal["int", "float", "categorical"]

MAX_VALUES = MAX_POINTS
"""Most values a variable with a finite domain takes (a larger step, or a float without a step, for more)."""
TOLERANCE = 1e-9
"""Relative tolerance of a float step landing on ``high`` and of a parameter on a float variable's bounds."""

_KIND_WORDS = {"int": "an int", "float": "a float", "categorical": "a categorical"}


def plain(value: Any) -> Any:
    """Parsed YAML (ruamel's mappings and lists, which remember their lines) as plain dicts and lists."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def number_text(value: float) -> str:
    """A number as a person writes it: 20, 0.05, 1234.5."""
    if isinstance(value, Integral):
        return str(int(value))
    return str(int(value)) if float(value).is_integer() else f"{float(value):.10g}"


def _whole(value: int | float, what: str) -> int:
    if isinstance(value, int):
        return value
    if float(value).is_integer():
        return int(value)
    raise ValueError(f"{what} must be a whole number, not {number_text(value)}")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def value_label(value: Any) -> str:
    """A setting's value in a few words: ``bailey_welch k=2``, ``none``, ``MA float``, ``20``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("name"), str):
            return value["name"]
        head = [str(value["kind"])] if "kind" in value else []
        return " ".join(head + [f"{key}={value_label(item)}" for key, item in value.items() if key != "kind"])
    if isinstance(value, list):
        return " + ".join(value_label(item) for item in value) if value else "none"
    return str(value)


def short_name(path: str) -> str:
    """A variable's name in plan names, made from its path: ``slot`` for ``templates.fm_20.slot_min``, ``exam
    rooms`` for ``clinic.exam_rooms``, ``Front desk`` for ``staff.Front desk.count``."""
    parts = path.removesuffix(APPEND).split(".")
    name = parts[-2] if parts[-1] == "count" and len(parts) > 1 else parts[-1]
    return name.removesuffix("_min").replace("_", " ")


class Variable(Model):
    """A decision variable: one setting of the base scenario and the values a plan may give it."""

    path: str = Field(
        description='Dotted path of the setting, as in sweeps: "clinic.exam_rooms", "staff.Front desk.count", '
        '"templates.fm_20.rule" (lists indexed by position or by name; a path ending in + appends to a list).'
    )
    kind: VariableKind = Field(
        description="int: whole numbers from low to high; float: numbers from low to high (continuous, or on a "
        "step); categorical: one of values."
    )
    low: int | float | None = Field(default=None, description="Smallest value (int and float variables).")
    high: int | float | None = Field(
        default=None,
        description="Largest value (int and float variables): the bound on the input, e.g. the exam rooms the "
        "building has.",
    )
    step: int | float | None = Field(
        default=None,
        description="Distance between values low, low + step, ..., high; it must land on high. Int: 1 by default; "
        "float: continuous without one.",
    )
    values: list[Any] | None = Field(
        default=None,
        description="The values of a categorical variable: numbers, texts or whole sections (an appointment rule "
        "{kind: bailey_welch, k: 2}, an overbooking section, staff groups to append).",
    )
    labels: list[str] | None = Field(
        default=None,
        description="Short names of a categorical variable's values, one per value, for plan names and reports "
        "(by default made from the values).",
    )
    label: str | None = Field(
        default=None,
        description='Short name of the variable in plan names ("slot", "rooms"); by default made from the path.',
    )

    @field_validator("low", "high")
    @classmethod
    def _bound(cls, value: int | float | None, info: ValidationInfo) -> int | float | None:
        kind, name = info.data.get("kind"), info.field_name
        if kind is None:  # the kind is not valid: its own error says so
            return value
        if kind == "categorical":
            if value is not None:
                raise ValueError(f"a categorical variable takes values, not {name}")
            return value
        if value is None:
            raise ValueError(f"{_KIND_WORDS[kind]} variable needs {name}")
        value = _whole(value, f"an int variable's {name}") if kind == "int" else float(value)
        low = info.data.get("low")
        if name == "high" and low is not None and value < low:
            raise ValueError(f"the domain is empty: high ({number_text(value)}) is below low ({number_text(low)})")
        return value

    @field_validator("step")
    @classmethod
    def _step(cls, value: int | float | None, info: ValidationInfo) -> int | float | None:
        kind = info.data.get("kind")
        if kind == "categorical" and value is not None:
            raise ValueError("a categorical variable takes values, not step")
        if kind == "int":
            value = 1 if value is None else _whole(value, "an int variable's step")
        elif kind == "float" and value is not None:
            value = float(value)
        if value is None or kind is None:
            return value
        if value <= 0:
            raise ValueError(f"the step must be above 0, not {number_text(value)}")
        low, high = info.data.get("low"), info.data.get("high")
        if low is None or high is None:  # a bound is missing or not valid: its own error says so
            return value
        count = (high - low) / value
        if abs(low + round(count) * value - high) > TOLERANCE * max(1.0, abs(high)):
            last = low + math.floor(count + TOLERANCE) * value
            raise ValueError(
                f"a step of {number_text(value)} from {number_text(low)} does not land on high "
                f"({number_text(high)}): the values would stop at {number_text(last)}; make high "
                f"{number_text(last)} or {number_text(last + value)}, or change the step"
            )
        if round(count) + 1 > MAX_VALUES:
            raise ValueError(
                f"the variable would take {round(count) + 1:,} values; at most {MAX_VALUES:,} (a larger step"
                + (", or kind: float without a step)" if kind == "float" else ")")
            )
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _plain_values(cls, value: Any) -> Any:
        return plain(value)

    @field_validator("values")
    @classmethod
    def _values(cls, value: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        kind = info.data.get("kind")
        if kind in ("int", "float") and value is not None:
            raise ValueError(f"values are for a categorical variable; {_KIND_WORDS[kind]} variable takes low and high")
        if kind == "categorical":
            if value is None:
                raise ValueError("a categorical variable needs values (a list of one or more)")
            if not value:
                raise ValueError("the domain is empty: give one value or more")
            if len(value) > MAX_VALUES:
                raise ValueError(f"{len(value):,} values; a variable takes at most {MAX_VALUES:,}")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        kind, values = info.data.get("kind"), info.data.get("values")
        if value is None or kind is None:
            return value
        if kind != "categorical":
            raise ValueError(f"labels name a categorical variable's values; {_KIND_WORDS[kind]} variable has none")
        if values is not None and len(value) != len(values):
            raise ValueError(f"{_count(len(value), 'label')} for {_count(len(values), 'value')}: one label per value")
        return value

    @property
    def finite(self) -> bool:
        """Whether the domain is a finite list of values (every kind but a float without a step)."""
        return self.kind != "float" or self.step is not None

    @property
    def size(self) -> int | None:
        """Number of values of the domain; None for a continuous float."""
        if self.kind == "categorical":
            return len(self.values or [])
        if self.step is None:
            return None
        low, high = self.bounds
        return round((high - low) / self.step) + 1

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) of an int or float variable."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.path}: a categorical variable has no bounds")
        return self.low, self.high

    @property
    def short_name(self) -> str:
        """The variable's name in plan names: its label, or one made from its path."""
        return self.label or short_name(self.path)

    def _at(self, k: int) -> Any:
        """The k-th value of a finite domain."""
        if self.kind == "categorical":
            return copy.deepcopy((self.values or [])[k])
        low, high = self.bounds
        assert self.step is not None
        if self.kind == "int":
            return int(low) + k * int(self.step)
        return float(high) if k == (self.size or 0) - 1 else round(low + k * self.step, 12)

    def domain(self) -> list[Any] | None:
        """The values of a finite domain, smallest first (categorical: in the order written); None for a continuous
        float (every number from low to high)."""
        size = self.size
        return None if size is None else [self._at(k) for k in range(size)]

    def parameters(self) -> list[Any] | None:
        """The parameters a grid walks: the domain for numbers, the positions of the values for a categorical
        variable; None for a continuous float."""
        return list(range(self.size or 0)) if self.kind == "categorical" else self.domain()

    def value(self, parameter: Any) -> Any:
        """The setting's value for a search's ``parameter``: the number itself (a whole number for int, the nearest
        value on the step for a stepped float), or for a categorical variable the value at that position of
        ``values``. ValueError for a parameter outside the domain."""
        if isinstance(parameter, bool) or not isinstance(parameter, Real) or not math.isfinite(float(parameter)):
            raise ValueError(f"{self.path}: the parameter is a number, not {parameter!r}")
        x = float(parameter)  # numpy's numbers too
        if self.kind == "categorical":
            size = self.size or 0
            if not x.is_integer() or not 0 <= x < size:
                raise ValueError(
                    f"{self.path}: the parameter of a categorical variable is the position of its value, "
                    f"0 to {size - 1}, not {number_text(x)}"
                )
            return self._at(int(x))
        low, high = self.bounds
        slack = TOLERANCE * max(1.0, abs(low), abs(high))
        if not low - slack <= x <= high + slack:
            raise ValueError(
                f"{self.path}: {number_text(x)} is outside the domain {number_text(low)} to {number_text(high)}"
            )
        if self.step is None:
            return min(max(x, float(low)), float(high))
        k = round((x - low) / self.step)
        if abs(low + k * self.step - x) > 1e-6 * self.step:
            raise ValueError(
                f"{self.path}: {number_text(x)} is not on the step ({number_text(low)}, "
                f"{number_text(low + self.step)}, ... {number_text(high)})"
            )
        return self._at(k)

    def describe(self, parameter: Any) -> str:
        """The variable at ``parameter`` in a few words, for a plan's name: ``slot 20``, ``bailey_welch k=2`` (a
        rule or other section with a kind speaks for itself), or a categorical value's label."""
        value = self.value(parameter)
        if self.kind == "categorical":
            if self.labels is not None:
                return self.labels[int(parameter)]
            if isinstance(value, dict) and "kind" in value:
                return value_label(value)
        return f"{self.short_name} {value_label(value)}"
