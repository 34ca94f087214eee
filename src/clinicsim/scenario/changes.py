"""Variants of a scenario as data: merge an override onto a base, set dotted paths, append to lists, and diff two
scenarios.

A variant says only what changes. In a file, ``extends: current.yaml`` names the base and the rest of the file
overrides it: nested mappings merge key by key, and anything else (a list, a number, a text) replaces the base's
value whole. In code, ``scenario.with_changes({"clinic.exam_rooms": 10})`` does the same with dotted paths. Either
way the result is validated again as a whole scenario.

In a dotted path, a list is indexed by position (``providers.0``) or, when its items have names, by name
(``providers.Dr Baker.speed_factor``; ``staff.Front desk.count``). Adding one person to a group is one line:
``{"staff.MA float.count": 2}``. A name that is not in the list is an error listing the names that are (and, for
staff, the group a role name belongs to: a path names groups, never roles, so it cannot change meaning when a
second group of that role is added).

Appending: a key ending in ``+`` adds items at the end of the list it names, keeping the base's items.

- In a file that extends another::

      staff+:                          # the base's staff groups, then this one
        - {name: MA float, role: medical_assistant, serves: [rooming], shifts: [{start: "08:00", end: "17:00"}]}
      providers+: [{name: Dr New, template: fm_20}]
      templates:
        fm_20:
          pattern+: [established]      # nested lists too: the key with + sits where the list's key would

  The same key without ``+`` keeps its meaning (the list replaces the base's whole); a mapping may not give both.
- In code: ``with_changes({"staff+": {...one group...}})``, or a list of items (``{"providers+": [{...}, {...}]}``),
  and dotted paths for nested lists (``{"templates.fm_20.pattern+": ["established"]}``,
  ``{"staff.MA Evans.serves+": "vaccine"}``). Changes are made in order, so a group appended by ``"staff+"`` can
  be named by a later change of the same call.

A list value appends its items; any other value is appended as one item. ``+`` appends to lists only: mappings
(``visit_types``, ``templates``, ``clinic.rooms``) already take new keys by merging (``visit_types: {procedure:
...}`` in a file, ``{"visit_types.procedure": {...}}`` in code). An appended item whose name is already in the
list (or given twice among the appended ones) is an error naming it: to change an existing item, set its fields by
name, or give the whole list without ``+``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from clinicsim.scenario.messages import located_message
from clinicsim.scenario.problems import Problem, ScenarioError

APPEND = "+"
"""The suffix of a key (or of a dotted path) that appends to the list it names."""


class ChangeError(ValueError):
    """A change that cannot be made, with where it is written: ``where`` (keys and positions in a file's document)
    and ``field`` (the dotted path of a ``with_changes`` change)."""

    def __init__(self, message: str, *, where: tuple = (), field: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.field = field


def appended_key(key: Any) -> str | None:
    """The list a key appends to (``"staff"`` for ``"staff+"``), or None for a key that does not append."""
    if isinstance(key, str) and key.endswith(APPEND) and len(key) > len(APPEND):
        return key[: -len(APPEND)]
    return None


def _dotted(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts)


def append_items(existing: Any, value: Any, *, field: str, where: tuple = ()) -> list:
    """``existing`` (a list, or None for none yet) followed by the items of ``value`` (a list: its items; anything
    else: itself); ``ChangeError`` at ``where`` when ``existing`` is not a list or a name is already taken."""
    if existing is None:
        existing = []
    if not isinstance(existing, list):
        kind, verb = ("a section", "merge into") if isinstance(existing, dict) else ("a value", "replace")
        raise ChangeError(
            f"{field} is {kind}, not a list: '{APPEND}' appends to a list (write {field} without it to {verb} it)",
            where=where,
        )
    items = value if isinstance(value, list) else [value]
    taken = {item["name"] for item in existing if isinstance(item, dict) and isinstance(item.get("name"), str)}
    for position, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in taken:
            at = (position, "name") if isinstance(value, list) else ("name",)
            raise ChangeError(
                f"{field} already has an item named {name!r}: an appended item needs a name of its own (to change "
                f"that one, set its fields by name, as '{field}.{name}.<field>' in with_changes, or give the whole "
                f"list without '{APPEND}')",
                where=where + at,
            )
        taken.add(name)
    return existing + copy.deepcopy(items)


def merge(base: Any, override: Any, *, appended: dict[tuple, int] | None = None, at: tuple = ()) -> Any:
    """``override`` laid over ``base``: mappings merge recursively, a key ending in ``+`` appends to the base's
    list, anything else replaces.

    ``appended``, when given, receives for each list appended to its path in the result and the position of the
    first appended item (so an error at ``staff.5`` can be traced to ``staff+.0`` of the file that appended it).
    ``ChangeError`` says where in ``override`` a key cannot be applied (``at`` prefixes those places).
    """
    if not isinstance(override, Mapping):
        return copy.deepcopy(override)
    merged = {key: copy.deepcopy(value) for key, value in base.items()} if isinstance(base, Mapping) else {}
    for key, value in override.items():
        target = appended_key(key)
        if target is None:
            merged[key] = merge(merged.get(key), value, appended=appended, at=(*at, key))
            continue
        if target in override:
            raise ChangeError(f"give {target} (the whole list) or {key} (items to append), not both", where=(*at, key))
        start = len(merged[target]) if isinstance(merged.get(target), list) else 0
        merged[target] = append_items(merged.get(target), value, field=_dotted((*at, target)), where=(*at, key))
        if appended is not None:
            appended[(*at, target)] = start
    return merged


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
        raise ValueError(f"{done} has no item named {part!r} (known: {known or 'none'}){_role_hint(node, part)}")
    raise ValueError(f"{done} is a value, not a section: cannot set {part!r} inside it")


def _role_hint(items: list, role: str) -> str:
    """For a staff role where a group's name was expected: the groups of that role, by name."""
    groups = [item.get("name") for item in items if isinstance(item, dict) and item.get("role") == role]
    if not groups:
        return ""
    if len(groups) == 1:
        return f"; {role} is the role of the group {groups[0]!r}: name the group"
    return f"; {role} is the role of the groups {', '.join(map(repr, groups))}: name one of them"


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
    """Set ``value`` at the dotted path inside plain data (mappings and lists), in place; a path ending in ``+``
    appends ``value`` (a list: its items) to the list there. ``ChangeError`` naming the path when it cannot."""
    try:
        _set_path(data, dotted, value)
    except ChangeError as error:
        error.field = error.field or dotted
        raise
    except ValueError as error:
        raise ChangeError(str(error), field=dotted) from None


def _set_path(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    if any(appended_key(part) is not None for part in parts[:-1]):
        raise ValueError(f"'{APPEND}' goes at the end of a path: it appends to the list the path names")
    node, done = data, ""
    for part in parts[:-1]:
        key = _child_key(node, part, done)
        if isinstance(node, dict) and key not in node:
            raise ValueError(f"{(done + '.' if done else '') + part} is not in the scenario")
        node, done = node[key], (done + "." if done else "") + part
    target = appended_key(parts[-1])
    if target is None:
        node[_child_key(node, parts[-1], done)] = copy.deepcopy(value)
        return
    key = _child_key(node, target, done)
    existing = node.get(key) if isinstance(node, dict) else node[key]
    node[key] = append_items(existing, value, field=(done + "." if done else "") + target)


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
        field = getattr(error, "field", "") or ", ".join(changes)
        return ScenarioError("with_changes", [Problem(line=None, field=field, message=str(error))])
    problems = []
    for detail in error.errors(include_url=False):
        location, message = located_message(detail)
        field = ".".join(str(part) for part in location if not str(part)[:1].isupper())  # no union tags
        problems.append(Problem(line=None, field=field, message=message))
    return ScenarioError("with_changes", problems)
