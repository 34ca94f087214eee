"""A plan as a small scenario file: ``extends:`` its base and says only the settings it changes.

``clinicsim optimize`` writes its finalists this way and the web app keeps each variant this way, so a plan made in
either is a file the command line reads (``clinicsim compare BASE plan.yaml``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML

from clinicsim.scenario.changes import APPEND, flatten, resolve_path
from clinicsim.scenario.model import Scenario

HEADER_KEYS = ("extends", "name", "description")
"""The keys of a variant file that are not changes of settings."""


def variant_yaml(base: Scenario, extends: str, changes: Mapping[str, Any], *, name: str, description: str = "") -> str:
    """The text of a scenario file extending ``extends`` (the base's path, relative to where the file goes) with
    ``changes`` (dotted paths, as ``Scenario.with_changes`` takes them). A change that leaves a setting as the base
    has it is not written; a change inside a list item (a staff group by name) writes that list whole, as files
    merge mappings key by key but replace lists. ``ScenarioError`` if the changes make no valid scenario."""
    after = base.with_changes(changes)
    changed = after.model_dump(mode="json", exclude_defaults=True)
    base_data, after_data = base.model_dump(mode="json"), after.model_dump(mode="json")
    document: dict[str, Any] = {"extends": extends, "name": name}
    if description:
        document["description"] = description
    for dotted, value in changes.items():
        if not _same(base_data, after_data, dotted):
            _put(document, base_data, changed, dotted, value)
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def changes_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The changes a variant file's document makes, as dotted paths (its header keys left out); named list items
    are keyed by name, so ``Scenario.with_changes`` of the base makes the same scenario as the file."""
    body = {key: value for key, value in document.items() if key not in HEADER_KEYS}
    return flatten(body) if body else {}


def _put(document: dict, base_data: dict, changed: dict, dotted: str, value: Any) -> None:
    """Write one change into ``document``: nested mappings down to the setting, or the whole list the path runs
    through, or an append (``staff+``) as it is."""
    parts = dotted.split(".")
    if parts[-1].endswith(APPEND):
        if value not in (None, []):
            _nested(document, parts[:-1])[parts[-1]] = value
        return
    keys = resolve_path(base_data, dotted)
    node_base: Any = base_data
    for depth, key in enumerate(keys):
        if isinstance(node_base, list):  # the path runs through a list: write that list whole
            _nested(document, parts[: depth - 1])[parts[depth - 1]] = _at(changed, parts[:depth])
            return
        node_base = node_base.get(key) if isinstance(node_base, dict) else None
    _nested(document, parts[:-1])[parts[-1]] = value


def _same(base_data: dict, after_data: dict, dotted: str) -> bool:
    """Whether the setting at ``dotted`` is the base's own in the plan (an append of nothing included)."""
    if dotted.endswith(APPEND):
        return False
    keys = resolve_path(base_data, dotted)
    if len(keys) < len(dotted.split(".")):
        return False  # not in the base: set by the plan
    before, after = base_data, after_data
    for key in keys:
        before, after = before[key], after[key]
    return before == after


def _nested(document: dict, parts: list[str]) -> dict:
    node = document
    for part in parts:
        node = node.setdefault(part, {})
    return node


def _at(data: dict, parts: list[str]) -> Any:
    node: Any = data
    for part in parts:
        node = node[part]
    return node
