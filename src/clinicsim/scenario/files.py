"""Scenario files: YAML 1.2 in, validated Scenario out, and errors that point at the line.

ruamel.yaml reads YAML 1.2, where ``17:00`` stays the text "17:00" and ``NO`` stays "NO" (PyYAML's YAML 1.1
turns them into 1020 and False). Its round-trip loader keeps the line of every key, so a pydantic error at
``providers.1.template`` can be reported as ``family.yaml:42: providers.1.template: unknown template ...``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from clinicsim.scenario.changes import merge
from clinicsim.scenario.model import Scenario

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    line: int | None
    field: str
    message: str
    source: str | None = None
    """The file the problem is in, when it is not the file that was loaded (a base it ``extends``)."""

    def describe(self, path: str) -> str:
        path = self.source or path
        where = f"{path}:{self.line}" if self.line is not None else path
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``str()`` names the file, line, field and problem of each."""

    def __init__(self, path: str | Path, problems: list[Problem]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem: ``file:line: field: message``."""
        return [p.describe(self.path) for p in self.problems]


@dataclass(frozen=True)
class _Layer:
    """One file of a scenario: the file itself, or a base it extends."""

    source: str
    document: CommentedMap


def _line_of(document: Any, location: tuple) -> tuple[int, int, str]:
    """How many parts of a pydantic error location the document holds, the 1-based line of the deepest one,
    and the dotted field path.

    Parts of the location that are not in the document are the tags pydantic adds for unions, and are
    skipped, except the last one: that is a required field the file leaves out.
    """
    node, line, path, depth = document, 1, [], 0
    for position, part in enumerate(location):
        if isinstance(node, CommentedMap) and part in node:
            line, node, depth = node.lc.key(part)[0] + 1, node[part], depth + 1
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, node, depth = node.lc.item(part)[0] + 1, node[part], depth + 1
        elif position < len(location) - 1:
            continue
        path.append(str(part))
    return depth, line, ".".join(path)


def _problems_from(error: ValidationError, layers: list[_Layer]) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        located = [(_line_of(layer.document, tuple(detail["loc"])), layer.source) for layer in layers]
        (_, line, field), source = max(located, key=lambda item: item[0][0])  # deepest match; the child on ties
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown field (misspelt?)"
        problems.append(
            Problem(line=line, field=field, message=message, source=None if source == layers[0].source else source)
        )
    return sorted(problems, key=lambda p: (p.source or "", p.line or 0))


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    return yaml


def parse_yaml(text: str, source: str) -> CommentedMap:
    """A YAML 1.2 mapping with line numbers; ScenarioError naming ``source`` and the line if it is not one."""
    try:
        document = _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.context_mark or error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(
            source, [Problem(line=line, field="", message=f"not valid YAML: {error.problem}")]
        ) from None
    if not isinstance(document, CommentedMap):
        raise ScenarioError(source, [Problem(line=1, field="", message="a scenario file must be a mapping of fields")])
    return document


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(
            path, [Problem(line=None, field="", message=f"cannot read the file: {error.strerror}")]
        ) from None


def _layers(text: str, source: str, directory: Path, seen: tuple[Path, ...] = ()) -> list[_Layer]:
    """The file and, after it, the chain of bases it extends."""
    document = parse_yaml(text, source)
    layers = [_Layer(source, document)]
    base = document.get("extends")
    if base is None:
        return layers
    line = document.lc.key("extends")[0] + 1
    if not isinstance(base, str):
        raise ScenarioError(
            source, [Problem(line=line, field="extends", message="must be the path of a scenario file")]
        )
    path = (directory / base).resolve()
    if path in seen:
        raise ScenarioError(
            source, [Problem(line=line, field="extends", message=f"{base} extends this file again: a loop")]
        )
    if not path.is_file():
        raise ScenarioError(source, [Problem(line=line, field="extends", message=f"no scenario file at {path}")])
    return layers + _layers(_read(path), str(path), path.parent, (*seen, path))


def validate_yaml(model: type[M], text: str, source: str) -> M:
    """Validate YAML text as ``model``; raise ScenarioError naming ``source``, line and field of each problem."""
    document = parse_yaml(text, source)
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(source, _problems_from(error, [_Layer(source, document)])) from None


def read_text(path: str | Path) -> str:
    """A file's text; ScenarioError naming the file if it cannot be read."""
    return _read(Path(path))


def parse_scenario_text(text: str, *, source: str = "<scenario>", directory: str | Path = ".") -> Scenario:
    """Validate a scenario from YAML text; raise ScenarioError naming ``source``, line and field.

    A relative ``extends:`` path is taken from ``directory``.
    """
    layers = _layers(text, source, Path(directory).resolve())
    data: dict = {}
    for layer in reversed(layers):
        data = merge(data, {key: value for key, value in layer.document.items() if key != "extends"})
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, _problems_from(error, layers)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML 1.2, with ``extends:``); errors name file, line and field."""
    path = Path(path)
    return parse_scenario_text(_read(path), source=str(path), directory=path.resolve().parent)


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text that loads back to an equal scenario."""
    buffer = io.StringIO()
    _yaml().dump(scenario.model_dump(mode="json", exclude_defaults=True), buffer)
    return buffer.getvalue()
