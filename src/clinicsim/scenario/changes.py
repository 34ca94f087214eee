"""Variants of a scenario as data: merge an override onto a base, set dotted paths, and diff two scenarios.

A variant says only what changes. In a file, ``extends: current.yaml`` names the base and the rest of the file
overrides it: nested mappings merge key by key, and anything else (a list, a number, a text) replaces the base's
value whole. In code, ``scenario.with_changes({"clinic.exam_rooms": 10})`` does the same with dotted paths. Either
way the result is validated again as a whole scenario.

In a dotted path, a list is indexed by position (``providers.0``) or, when its items have names, by name
(``providers.Dr Baker.speed_factor``; ``staff.Front desk.count``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from clinicsim.scenario.messages import located_message
from clinicsim.scenario.problems import Problem, ScenarioError


def merge(base: Any, override: Any) -> Any:
    """``override`` laid over ``base``: mappings merge recursively, anything else replaces."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = {key: copy.deepcopy(value) for key, value in base.items()}
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _child_key(node: Any, part: str, done: str) -> Any:
    """The key or index of ``part`` in ``node`` (a position, or the name of an item of a list)."""
    if isinstance(node, dict):
        return part
    if isinstance(node, list):
        if part.lstrip("-").isdigit():
            index = int(part)
            if -len(node) <= index < len(node):
                return index
            raise ValueError(f"{done or 'the scenario'} has {len(node)} items; there is no item {index}")
        names = [item.get("name") if isinstance(item, dict) else None for item in node]
        if part in names:
            return names.index(part)
        known = ", ".join(repr(n) for n in names if n is not None)
        raise ValueError(f"{done} has no item named {part!r} (known: {known or 'none'})")
    raise ValueError(f"{done} is a value, not a section: cannot set {part!r} inside it")


def resolve_path(data: Any, dotted: str) -> tuple:
    """The keys and list positions of a dotted path (items of lists may be named), as far as ``data`` holds it."""
    parts, node, done, resolved = dotted.split("."), data, "", []
    for part in parts:
        try:
            key = _child_key(node, part, done)
        except ValueError:
            break
        resolved.append(key)
        if not isinstance(node, dict | list) or (isinstance(node, dict) and key not in node):
            break
        node, done = node[key], (done + "." if done else "") + part
    return tuple(resolved)


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set ``value`` at the dotted path inside plain data (mappings and lists), in place."""
    parts = dotted.split(".")
    node, done = data, ""
    for part in parts[:-1]:
        key = _child_key(node, part, done)
        if isinstance(node, dict) and key not in node:
            raise ValueError(f"{(done + '.' if done else '') + part} is not in the scenario")
        node, done = node[key], (done + "." if done else "") + part
    node[_child_key(node, parts[-1], done)] = copy.deepcopy(value)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Plain data as {dotted path: leaf value}; list items with names are keyed by name."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list) and data and all(isinstance(x, dict) and "name" in x for x in data):
        items = ((x["name"], x) for x in data)
    else:
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(dotted path, value before, value after) for every setting that differs; missing values are None."""
    a, b = flatten(dict(before)), flatten(dict(after))
    return [(path, a.get(path), b.get(path)) for path in sorted(set(a) | set(b)) if a.get(path) != b.get(path)]


def changes_error(error: ValueError, changes: Mapping[str, Any]) -> ValueError:
    """A ``ScenarioError`` for changes that make no valid scenario: each problem at its field (dotted path), worded
    as in a file's errors; the source reads ``with_changes``."""
    if not isinstance(error, ValidationError):
        return ScenarioError("with_changes", [Problem(line=None, field=", ".join(changes), message=str(error))])
    problems = []
    for detail in error.errors(include_url=False):
        location, message = located_message(detail)
        field = ".".join(str(part) for part in location if not str(part)[:1].isupper())  # no union tags
        problems.append(Problem(line=None, field=field, message=message))
    return ScenarioError("with_changes", problems)
