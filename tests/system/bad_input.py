"""Bad scenario files made by mutating the bundled ones, and the judge of how the command line treats them.

A mutation is a small, named change to one place of a valid scenario (a wrong type, a non-finite, huge, negative
or boolean number, an unknown or missing key) or to its text (bytes that are not UTF-8, a control character, a
duplicate key, broken YAML, a file too large, nesting too deep, an alias bomb, an inherited mistake through a
YAML merge key, ``extends:`` loops, chains and missing bases). Mutations that can never give a valid scenario
are ``must_fail``; the others may be accepted, and then the scenario must also run.

Every case is judged the same way: the command exits 0 (accepted; one replication then runs to the end) or 2
with ``error: FILE:LINE: FIELD: message`` lines (file-level problems: ``error: FILE: message``), never a
traceback, never another status, within a time bound.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from ruamel.yaml import YAML

from clinicsim.cli import main
from clinicsim.scenario.files import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
SECONDS_PER_CASE = 15.0
"""Time bound of one case (validate, and run one replication when accepted), far above the ~0.1 s they take."""

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    """One bad file: its text, and whether no reading of it can be valid."""

    name: str
    text: str | bytes
    must_fail: bool
    extra_files: tuple[tuple[str, str], ...] = ()
    """Other files it needs beside it (an ``extends:`` base), as (name, text)."""


def plain(path: Path) -> dict:
    """A bundled scenario as plain data, its ``extends:`` made absolute so the mutant can live anywhere."""
    document = parse_yaml(path.read_text(encoding="utf-8"), str(path))

    def convert(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: convert(value) for key, value in node.items()}
        if isinstance(node, list):
            return [convert(value) for value in node]
        for kind in (bool, int, float, str):  # ruamel's own scalar types, as plain ones
            if isinstance(node, kind):
                return kind(node)
        return node

    data = convert(document)
    if "extends" in data:
        data["extends"] = str((path.parent / data["extends"]).resolve())
    return data


def dump(data: Any) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def places(data: Any, at: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) of the document, mappings and lists included, outermost first."""
    yield at, data
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in children:
        if at == () and key == "extends":
            continue
        yield from places(value, (*at, key))


def replaced(data: Any, at: Path_, value: Any) -> Any:
    if not at:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[at[0]] = replaced(data[at[0]], at[1:], value)
    return copy


def without(data: Any, at: Path_) -> Any:
    if len(at) == 1:
        return {k: v for k, v in data.items() if k != at[0]}
    return replaced(data, at[:1], without(data[at[0]], at[1:]))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


ValueMutation = Callable[[Any], Any]
VALUE_MUTATIONS: dict[str, tuple[Callable[[Any], bool], ValueMutation, bool]] = {
    # name: (applies to, new value, must fail)
    "nan": (_number, lambda v: float("nan"), True),
    "infinity": (_number, lambda v: float("inf"), True),
    "minus infinity": (_number, lambda v: float("-inf"), True),
    "boolean for a number": (_number, lambda v: True, True),
    "text for a number": (_number, lambda v: "lots", True),
    "list for a number": (_number, lambda v: [1, 2], True),
    "huge": (_number, lambda v: 1e12, False),
    "tiny": (_number, lambda v: 1e-9, False),
    "negative": (_number, lambda v: -abs(v) - 3, False),
    "zero": (_number, lambda v: 0, False),
    "number for a text": (lambda v: isinstance(v, str), lambda v: 12345, False),
    "mapping for a text": (lambda v: isinstance(v, str), lambda v: {"a": 1}, True),
    "text for a mapping": (lambda v: isinstance(v, dict), lambda v: "oops", True),
    "text for a list": (lambda v: isinstance(v, list), lambda v: "oops", True),
    "empty list": (lambda v: isinstance(v, list), lambda v: [], False),
    "null": (lambda v: v is not None, lambda v: None, False),
}


def value_cases(path: Path, *, per_kind: int) -> list[Case]:
    """Each value mutation applied at up to ``per_kind`` places spread over the file."""
    data = plain(path)
    everything = list(places(data))[1:]
    cases = []
    for kind, (applies, mutate, must_fail) in VALUE_MUTATIONS.items():
        where = [(at, value) for at, value in everything if applies(value)]
        step = max(1, len(where) // per_kind)
        for at, value in where[::step][:per_kind]:
            name = f"{path.stem}: {kind} at {'.'.join(map(str, at))}"
            cases.append(Case(name, dump(replaced(data, at, mutate(value))), must_fail))
    mappings = [at for at, value in everything if isinstance(value, dict)]
    for at in mappings[:: max(1, len(mappings) // per_kind)][:per_kind]:
        node = _at(data, at)
        cases.append(
            Case(
                f"{path.stem}: unknown key in {'.'.join(map(str, at))}",
                dump(replaced(data, at, {**node, "bogus_key": 1})),
                True,
            )
        )
        first = next(iter(node), None)
        if first is not None:
            cases.append(
                Case(
                    f"{path.stem}: {first} left out of {'.'.join(map(str, at))}",
                    dump(without(data, (*at, first))),
                    False,
                )
            )
    return cases


def _at(data: Any, at: Path_) -> Any:
    for part in at:
        data = data[part]
    return data


MINIMAL = """name: m
clinic: {opens: "08:00", closes: "12:00", exam_rooms: 2}
visit_types:
  v: {durations_min: {provider_visit: 15}}
templates:
  t: {sessions: [{start: "08:00", end: "12:00"}], slot_min: 20, pattern: [v]}
providers:
  - {name: A, template: t}
"""


def text_cases() -> list[Case]:
    """Mistakes in the file's text rather than in one value."""
    family = (ROOT / "scenarios" / "family_medicine.yaml").read_text(encoding="utf-8")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefg", "bcdefgh")
    )
    merge = MINIMAL.replace(
        "  - {name: A, template: t}\n", "  - &p\n    name: A\n    template: nosuch\n  - <<: *p\n    name: B\n"
    )
    return [
        Case("not UTF-8", family.encode("utf-8").replace(b"Family", b"Famil\xe9", 1), True),
        Case("NUL byte", family.replace("\n", "\n\x00", 1), True),
        Case("control character", MINIMAL.replace("name: m", "name: m\x07"), True),
        Case("duplicate key", MINIMAL + "providers: []\n", True),
        Case("duplicate nested key", MINIMAL.replace("slot_min: 20,", "slot_min: 20, slot_min: 30,"), True),
        Case("unclosed bracket", MINIMAL.replace("pattern: [v]}", "pattern: [v}"), True),
        Case("tab indentation", MINIMAL.replace("  v:", "\tv:"), True),
        Case("a list, not a mapping", "- 1\n- 2\n", True),
        Case("empty file", "", True),
        Case("too large", MINIMAL + ("# " + "x" * 98 + "\n") * 11_000, True),
        Case("nested too deep", MINIMAL + "description: " + "[" * 100 + "]" * 100 + "\n", True),
        Case("nested past the parser's recursion", MINIMAL + "description: " + "[" * 5000 + "]" * 5000 + "\n", True),
        Case("alias bomb", MINIMAL + bomb, True),
        Case("inherited mistake through a merge key", merge, True),
        Case("extends itself", "extends: case.yaml\nname: loop\n", True),
        Case("extends a missing file", "extends: nowhere.yaml\nname: lost\n", True),
        Case(
            "extends a file that is not UTF-8",
            "extends: base.yaml\nname: child\n",
            True,
            (("base.yaml", "name: caf\xe9"),),
        ),
        Case("a chain of extends too long", "extends: base0.yaml\n", True, _chain(40)),
    ]


def _chain(length: int) -> tuple[tuple[str, str], ...]:
    files = [(f"base{i}.yaml", f"extends: base{i + 1}.yaml\nname: n{i}\n") for i in range(length)]
    return (*files, (f"base{length}.yaml", MINIMAL))


ERROR_LINE = re.compile(r"^error: (?P<file>[^:]+)(?::(?P<line>\d+))?: (?P<rest>.+)$")


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    output: str
    seconds: float
    traceback: bool
    ran: bool | None = None
    """For an accepted file: whether one replication ran to the end."""


def judge(case: Case, folder: Path) -> Verdict:
    """Validate the case's file with the command line; when it is accepted, run one replication of it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in case.extra_files:
        (folder / name).write_bytes(text.encode("latin-1") if "\xe9" in text else text.encode("utf-8"))
    file = folder / "case.yaml"
    file.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode("utf-8"))
    runner = CliRunner()
    start = time.perf_counter()
    result = runner.invoke(main, ["validate", str(file)])
    ran = None
    if result.exit_code == 0:
        run = runner.invoke(main, ["run", str(file), "-n", "1"])
        ran = run.exit_code == 0 and run.exception is None
    traceback = "Traceback" in result.output or (
        result.exception is not None and not isinstance(result.exception, SystemExit)
    )
    return Verdict(result.exit_code, result.output, time.perf_counter() - start, traceback, ran)


def clean_error(verdict: Verdict) -> bool:
    """Exit 2, and every line an ``error: FILE[:LINE]: ...`` line (the file with the mistake, or the base it
    extends where the mistake shows); warnings may come first."""
    lines = [line for line in verdict.output.splitlines() if line.strip() and not line.startswith("warning: ")]
    return (
        verdict.exit_code == 2
        and bool(lines)
        and all((m := ERROR_LINE.match(line)) and Path(m["file"]).name.endswith(".yaml") for line in lines)
    )
