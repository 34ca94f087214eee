"""What a validation error says to the person who wrote the file: in the words of the scenario language, with
what to write instead, rather than pydantic's internal wording ("Unable to extract tag using discriminator")."""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Any

from pydantic import BaseModel

from clinicsim.distributions import Tagged
from clinicsim.scenario.base import Model

DISTRIBUTION_FORMS = (
    "a number (15, a fixed time), or {kind: exponential, mean: 15}, {kind: lognormal, mean: 15, sd: 6}, "
    "{kind: gamma, mean: 15, cv: 0.4}, {kind: normal, mean: 15, sd: 5}, {kind: triangular, low: 8, mode: 12, "
    "high: 30}, {kind: uniform, low: 10, high: 20}, {kind: empirical, values: [10, 15, 25]}"
)
"""The forms a distribution may be written in."""


def _models() -> list[type[BaseModel]]:
    """Every model of the scenario language (and of sweep files): the subclasses of its two bases."""
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Model, Tagged]
    while todo:
        model = todo.pop()
        found.append(model)
        todo += model.__subclasses__()
    return [m for m in found if m.model_fields and not m.__name__.startswith("_")]


def _label(model: type[BaseModel]) -> str:
    """A model's name in words ("a staff group" for StaffGroup)."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", model.__name__).lower()
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


@cache
def field_owners() -> dict[str, tuple[str, ...]]:
    """Each field name of the scenario language, with the sections (in words) it belongs to."""
    owners: dict[str, list[str]] = {}
    for model in _models():
        for name, info in model.model_fields.items():
            owners.setdefault(info.alias or name, []).append(_label(model))
    return {name: tuple(dict.fromkeys(labels)) for name, labels in owners.items()}


_NAMED_FIELD = re.compile(r"([a-z_]+): (.+)", re.S)
"""A model-level message about one field, ``"exam_rooms: at most ..."``: reported at that field."""


def located_message(detail: Any) -> tuple[tuple, str]:
    """(location, message) of one pydantic error detail; a model's check that names one of its fields
    (``"exam_rooms: at most ..."``) is moved to that field."""
    location, message = tuple(detail["loc"]), message_of(detail)
    named = _NAMED_FIELD.match(message)
    if named and detail["type"] == "value_error":
        location, message = (*location, named.group(1)), named.group(2)
    return location, message


def _message(detail: Any) -> str:
    return message_of(detail)


def message_of(detail: Any) -> str:
    """The message of one pydantic error detail, for the person who wrote the file."""
    kind, location = detail["type"], detail["loc"]
    if kind == "extra_forbidden":
        return _unknown_field(str(location[-1]))
    if kind in ("union_tag_invalid", "union_tag_not_found") and "kind" in str(
        (detail.get("ctx") or {}).get("discriminator")
    ):
        tag = (detail.get("ctx") or {}).get("tag")
        said = f"unknown kind {tag!r}" if tag is not None else "a distribution needs its kind"
        return f"{said}: write {DISTRIBUTION_FORMS}"
    if kind == "model_attributes_type" and location and str(location[-1]).endswith("_min"):
        return f"not a time: write {DISTRIBUTION_FORMS}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        reason = detail["msg"].partition("Input should be a valid date or datetime, ")[2]
        if kind == "date_from_datetime_inexact":  # a date and time, or a number (read as seconds since 1970)
            reason = "it has a time of day" if isinstance(detail.get("input"), str) else ""
        return f"not a date{f' ({reason})' if reason else ''}: write the date as YYYY-MM-DD, e.g. 2027-01-04"
    return detail["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _unknown_field(name: str) -> str:
    owners = field_owners().get(name)
    if owners:
        listed = owners[0] if len(owners) == 1 else f"{', '.join(owners[:-1])} or {owners[-1]}"
        return f"{name} does not belong here: it is a field of {listed}"
    close = difflib.get_close_matches(name, list(field_owners()), n=1, cutoff=0.75)
    return f"unknown field (did you mean {close[0]}?)" if close else "unknown field (misspelt?)"
