"""What is wrong with a scenario (or a sweep file), said as ``file:line: field: message``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
