"""Clock times and stretches of the day, as scenario files write them ("HH:MM") and the model holds them (minutes
from midnight)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from clinicsim.scenario.base import Model
from clinicsim.scenario.vocabulary import format_clock

_CLOCK = re.compile(r"(\d{1,2}):([0-5]\d)")


def _parse_clock(value: Any) -> float:
    if isinstance(value, str):
        match = _CLOCK.fullmatch(value.strip())
        if match:
            return float(int(match.group(1)) * 60 + int(match.group(2)))
    raise ValueError(f'clock times are written as "HH:MM" (for example "08:30"), got {value!r}')


ClockTime = Annotated[
    float,
    BeforeValidator(_parse_clock),
    PlainSerializer(format_clock, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:[0-5]\d$", "description": 'clock time "HH:MM"'}),
]
"""A clock time, written "HH:MM" and held as minutes from midnight."""


class Interval(Model):
    """A stretch of the day from ``start`` to ``end``."""

    start: ClockTime = Field(description='Start time, "HH:MM".')
    end: ClockTime = Field(description='End time, "HH:MM"; after the start.')

    @model_validator(mode="after")
    def _ends_after_start(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(
                f"ends at {format_clock(self.end)}, which is not after its start {format_clock(self.start)}"
            )
        return self

    @property
    def length_min(self) -> float:
        """Length of the interval (minutes)."""
        return self.end - self.start


class RatePeriod(Interval):
    """A stretch of the day with a constant arrival rate (walk-ins, work items, calls)."""

    per_hour: float = Field(ge=0, description="Mean arrivals per hour in this period.")
