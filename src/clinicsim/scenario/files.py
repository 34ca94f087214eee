"""Scenario files: YAML 1.2 in, validated Scenario out, and errors that point at the line.

ruamel.yaml reads YAML 1.2, where ``17:00`` stays the text "17:00" and ``NO`` stays "NO" (PyYAML's YAML 1.1
turns them into 1020 and False). Its round-trip loader keeps the line of every key, so a pydantic error at
``providers.1.template`` can be reported as ``family.yaml:42: providers.1.template: unknown template ...``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from clinicsim.scenario.model import Scenario


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    line: int | None
    field: str
    message: str

    def describe(self, path: str) -> str:
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


def _line_of(document: Any, location: tuple) -> tuple[int | None, str]:
    """1-based line and dotted field path of a pydantic error location inside the parsed document.

    Parts of the location that are not in the document are the tags pydantic adds for unions, and are
    skipped, except the last one: that is a required field the file leaves out.
    """
    node, line, path = document, 1, []
    for position, part in enumerate(location):
        if isinstance(node, CommentedMap) and part in node:
            line, node = node.lc.key(part)[0] + 1, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        elif position < len(location) - 1:
            continue
        path.append(str(part))
    return line, ".".join(path)


def _problems_from(error: ValidationError, document: Any) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        line, field = _line_of(document, tuple(detail["loc"]))
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown field (misspelt?)"
        problems.append(Problem(line=line, field=field, message=message))
    return sorted(problems, key=lambda p: p.line or 0)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    return yaml


def parse_scenario_text(text: str, *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario from YAML text; raise ScenarioError naming ``source``, line and field."""
    try:
        document = _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.context_mark or error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(
            source, [Problem(line=line, field="", message=f"not valid YAML: {error.problem}")]
        ) from None
    if not isinstance(document, dict):
        raise ScenarioError(source, [Problem(line=1, field="", message="a scenario file must be a mapping of fields")])
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(source, _problems_from(error, document)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML 1.2); raise ScenarioError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(
            path, [Problem(line=None, field="", message=f"cannot read the file: {error.strerror}")]
        ) from None
    return parse_scenario_text(text, source=str(path))


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text that loads back to an equal scenario."""
    buffer = io.StringIO()
    _yaml().dump(scenario.model_dump(mode="json", exclude_defaults=True), buffer)
    return buffer.getvalue()
