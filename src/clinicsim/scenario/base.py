"""The building blocks every scenario model shares: the immutable, strict base model and the kinds of names.

A ``Name`` labels people and streams as a clinic writes them ("Dr Lee", "Front desk"); an ``Identifier`` names
things that become parts of KPI names (steps, roles, room kinds, branch options), so it is lower case.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from clinicsim.distributions import refuse_booleans_for_numbers

Probability = Annotated[float, Field(ge=0, le=1)]
_NAME = re.compile(r"[\w.\- ]+")


def _plain_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError("a name is made of letters (any script), digits, spaces and . _ - only")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_name)]
"""A name of a provider, staff group or walk-in stream: letters of any script, digits, spaces, ``. _ -``."""


class Model(BaseModel):
    """Base of every scenario model: immutable, a misspelt key is an error (never a silent default), and every
    number is finite (``.nan`` and ``.inf`` are refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, data: Any) -> Any:
        return refuse_booleans_for_numbers(cls, data)


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{value!r}: write it in lower case with digits and _ only, starting with a letter (e.g. lab_draw)"
        )
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_identifier)]
"""A name of a step, role, room kind or branch option: lower case, digits and ``_`` (it becomes part of KPI names)."""
