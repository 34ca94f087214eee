"""Scenario files: YAML 1.2 in, validated Scenario out, and errors that point at the line.

ruamel.yaml reads YAML 1.2, where ``17:00`` stays the text "17:00" and ``NO`` stays "NO" (PyYAML's YAML 1.1
turns them into 1020 and False). Its round-trip loader keeps the line of every key, so a pydantic error at
``providers.1.template`` can be reported as ``family.yaml:42: providers.1.template: unknown template ...``.

A file may extend another (``extends: base.yaml``) and append to the base's lists with keys ending in ``+``
(``staff+:``; see ``changes``); a problem with an appended item is reported where that file writes it
(``variant.yaml:12: staff+.0.shifts.0.end: ...``), not at its position in the merged list.

Some lists may be given as CSV files next to the scenario: a walk-in stream's ``rates_file:`` and the access
section's ``backlog_file:``. A bad row is reported at its line in the CSV file, and so is a problem found later
with what it says (``backlog.csv:7: provider: unknown provider ...``).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from clinicsim.scenario import limits
from clinicsim.scenario.access import BookedAppointment
from clinicsim.scenario.changes import APPEND, ChangeError, merge
from clinicsim.scenario.messages import located_message
from clinicsim.scenario.model import RatePeriod, Scenario
from clinicsim.scenario.plausibility import find_warnings
from clinicsim.scenario.problems import Problem, ScenarioError

M = TypeVar("M", bound=BaseModel)

_CONFINED_TO: ContextVar[Path | None] = ContextVar("confined_to", default=None)


@contextmanager
def confined_to(folder: Path) -> Iterator[None]:
    """Within this block, a scenario may name no file outside ``folder`` (``extends:``, CSV files): for files a
    stranger uploaded, which must not read the machine's other files."""
    token = _CONFINED_TO.set(folder.resolve())
    try:
        yield
    finally:
        _CONFINED_TO.reset(token)


def _missing(path: Path, what: str) -> str:
    """Why a file named by a scenario is not there: its path, or, for uploaded files, to upload it too (the
    machine's folders are none of a browser's business)."""
    if _CONFINED_TO.get() is not None:
        return f"{path.name} was not uploaded with this file: upload it too"
    return f"no {what} at {path}"


def _check_allowed(path: Path, source: str | Path, line: int | None, field: str) -> None:
    """ScenarioError if ``path`` is outside the folder files are confined to (see ``confined_to``)."""
    folder = _CONFINED_TO.get()
    if folder is not None and not path.resolve().is_relative_to(folder):
        _fail(source, "only files uploaded with this one can be named here", line, field)


class ScenarioWarning(UserWarning):
    """Something legal in a scenario file that is probably a mistake; ``str()`` is ``file:line: field: message``.
    The scenario loads and runs; the command line prints it as ``warning: ...``."""


@dataclass(frozen=True)
class _Layer:
    """One file of a scenario: the file itself, or a base it extends."""

    source: str
    document: CommentedMap
    appended: dict[tuple, int] = field(default_factory=dict)
    """The lists this file appends to (``staff+:``), by their path in the merged scenario, with the position there
    of the first item it appends; filled as the layers are merged, emptied of a list a later file replaces."""
    from_csv: dict[tuple, tuple[str, list[int]]] = field(default_factory=dict)
    """The lists this file gives as CSV files (``backlog_file:``), by their path in the merged scenario, with the
    CSV file and the line of each item's row there; emptied of a list a later file replaces."""


def _writer(mapping: CommentedMap, key: Any) -> CommentedMap | None:
    """The mapping that writes ``key`` for ``mapping``: itself, or, for a key it inherits through a YAML merge key
    (``<<: *anchor``), the merged mapping (the anchor) that holds it; None when no mapping does."""
    if key in mapping.lc.data:
        return mapping
    for merged in getattr(mapping, "merge", None) or ():
        if isinstance(merged, CommentedMap) and key in merged:
            return _writer(merged, key)
    return None


@dataclass(frozen=True)
class _Located:
    depth: int
    """How many parts of the location the document holds."""
    line: int
    field: str
    inherited: bool = False
    """Whether the value is inherited through a YAML merge key (then ``line`` is where the anchor writes it)."""


def _line_of(document: Any, location: tuple) -> _Located:
    """Where a pydantic error location is in the document: the 1-based line of the deepest part it holds, and
    the dotted field path.

    Parts of the location that are not in the document are the tags pydantic adds for unions (``int``,
    ``dict[str,int]``, a distribution's kind) and are skipped, except a last one under a mapping: that is a
    required field the file leaves out.
    """
    node, line, path, depth, inherited = document, 1, [], 0, False
    for position, part in enumerate(location):
        if isinstance(node, CommentedMap) and part in node:
            writer = _writer(node, part)
            if writer is not None:
                line, inherited = writer.lc.key(part)[0] + 1, inherited or writer is not node
            node, depth = node[part], depth + 1
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, node, depth = node.lc.item(part)[0] + 1, node[part], depth + 1
        elif position < len(location) - 1 or not isinstance(node, CommentedMap):
            continue
        path.append(str(part))
    return _Located(depth, line, ".".join(path), inherited)


def _node_at(document: Any, keys: tuple) -> Any:
    """The value at ``keys`` (mapping keys) in a document; None when it does not hold them."""
    node = document
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _as_written(location: tuple, layer: _Layer) -> tuple:
    """A location in the merged scenario as ``layer`` writes it: an item the layer appended to a list (``staff.5``)
    is under the key with ``+`` (``staff+.0``, or ``staff+`` for a single item written without a list)."""
    for path, start in layer.appended.items():
        n = len(path)
        if location[:n] != path or len(location) <= n or not isinstance(location[n], int) or location[n] < start:
            continue
        key, index = path[-1] + APPEND, location[n] - start
        written = _node_at(layer.document, (*path[:-1], key))
        if isinstance(written, list) and index < len(written):
            return (*path[:-1], key, index, *location[n + 1 :])
        if not isinstance(written, list) and index == 0:
            return (*path[:-1], key, *location[n + 1 :])
    return location


def _replaces(document: Any, path: tuple) -> bool:
    """Whether the document replaces the value at ``path`` or a section holding it (rather than merging into it)."""
    node = document
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
        if not isinstance(node, dict):
            return True
    return False


def _in_csv(location: tuple, layer: _Layer) -> tuple[_Located, str] | None:
    """Where a location inside an item of a list the layer read from a CSV file is: that item's row in the CSV
    file, the field being the rest of the location (a column); None when it is not in such a list."""
    for path, (csv_path, lines) in layer.from_csv.items():
        n = len(path)
        if location[:n] == path and len(location) > n and isinstance(location[n], int) and location[n] < len(lines):
            return _Located(len(location), lines[location[n]], ".".join(map(str, location[n + 1 :]))), csv_path
    return None


def _locate(location: tuple, layers: list[_Layer]) -> tuple[_Located, str]:
    """Where a location is written: the row of a CSV file a layer read the list from, else the file (of the layers:
    the file and the bases it extends) holding most of it, the child on ties, and the line there."""
    for layer in layers:
        in_csv = _in_csv(location, layer)
        if in_csv is not None:
            return in_csv
    located = [(_line_of(layer.document, _as_written(location, layer)), layer.source) for layer in layers]
    return max(located, key=lambda item: item[0].depth)


def _warn(scenario: Scenario, layers: list[_Layer]) -> None:
    """Issue a ScenarioWarning, ``file:line: field: message``, for each thing that is probably a mistake."""
    for location, message in find_warnings(scenario):
        where, source = _locate(location, layers)
        warnings.warn(ScenarioWarning(Problem(where.line, where.field, message).describe(source)), stacklevel=4)


def _problems_from(error: ValidationError, layers: list[_Layer]) -> list[Problem]:
    """The problems, in file order; the errors of a union's branches at one field are said together ("a; or b"),
    cross-reference problems each on their own line."""
    messages: dict[tuple[str, int, str, int], list[str]] = {}
    details = error.errors(include_url=False)
    for detail in details:
        if _other_branch_meant(detail, details):
            continue
        location, message = located_message(detail)
        where, source = _locate(location, layers)
        if where.inherited:
            message += " (a value inherited through a YAML merge key '<<'; it is written at this line)"
        alone = len(messages) if detail["type"] == "scenario" else -1
        said = messages.setdefault((source, where.line, where.field, alone), [])
        if message not in said:
            said.append(message)
    problems = [
        Problem(
            line=line, field=field, message="; or ".join(said), source=None if source == layers[0].source else source
        )
        for (source, line, field, _), said in messages.items()
    ]
    return sorted(problems, key=lambda p: (p.source or "", p.line or 0))


def _other_branch_meant(detail: Any, details: list[Any]) -> bool:
    """Whether ``detail`` is a union's fixed-words branch (``Literal["default", "constant"]``) refusing a mapping or
    list that another branch of the same union got further with: the file meant that other branch, whose error
    alone says what is wrong."""
    if detail["type"] != "literal_error" or not isinstance(detail["input"], dict | list):
        return False
    union = tuple(detail["loc"][:-1])
    return any(
        len(other["loc"]) > len(detail["loc"]) and tuple(other["loc"][: len(union)]) == union for other in details
    )


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    return yaml


def _fail(source: str | Path, message: str, line: int | None = None, field: str = "") -> NoReturn:
    raise ScenarioError(source, [Problem(line=line, field=field, message=message)])


def _yaml_problem(error: MarkedYAMLError) -> tuple[int | None, str]:
    """The line and a one-line description of a YAML syntax error, at the place the parser stopped."""
    problem = str(error.problem or error.context or "not valid YAML")
    at_end = "<stream end>" in problem  # something left open: where it was opened says more than the file's end
    mark = (error.context_mark if at_end else None) or error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    duplicate = re.match(r'found duplicate key (".{0,60}?")', problem)
    if duplicate:
        return line, f"the key {duplicate.group(1)} is given twice in the same mapping"
    if error.context and error.context_mark is not None and error.context_mark is not mark:
        problem += f" ({error.context} at line {error.context_mark.line + 1})"
    return line, f"not valid YAML: {problem}"


def _check_size(document: Any, source: str) -> None:
    """Refuse documents nested too deeply or holding too many values (YAML aliases count every time they are
    used, so an alias bomb is refused before anything walks it)."""
    stack, values = [(document, 1)], 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > limits.MAX_YAML_VALUES:
            _fail(source, f"the file holds more than {limits.MAX_YAML_VALUES:,} values (aliases that repeat others?)")
        if depth > limits.MAX_NESTING:
            _fail(source, f"the file nests mappings and lists more than {limits.MAX_NESTING} deep")
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)


def parse_yaml(text: str, source: str) -> CommentedMap:
    """A YAML 1.2 mapping with line numbers; ScenarioError naming ``source`` and the line if it is not one."""
    if len(text) > limits.MAX_FILE_BYTES:
        _fail(source, f"the file is larger than {limits.MAX_FILE_BYTES:,} bytes")
    try:
        document = _yaml().load(text)
    except MarkedYAMLError as error:
        line, message = _yaml_problem(error)
        _fail(source, message, line)
    except ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        character = error.character if isinstance(error.character, int) else ord(error.character)
        _fail(source, f"not valid YAML: the control character U+{character:04X} is not allowed", line)
    except RecursionError:
        _fail(source, f"the file nests mappings and lists more than {limits.MAX_NESTING} deep")
    except YAMLError as error:
        _fail(source, f"not valid YAML: {error}")
    if not isinstance(document, CommentedMap):
        _fail(source, "a scenario file must be a mapping of fields", 1)
    _check_size(document, source)
    return document


def _read(path: Path) -> str:
    """A file's text (UTF-8); ScenarioError naming the file, and the line of a byte that is not UTF-8."""
    try:
        if path.stat().st_size > limits.MAX_FILE_BYTES:
            _fail(path, f"the file is larger than {limits.MAX_FILE_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as error:
        _fail(path, f"cannot read the file: {error.strerror or error}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1]
        _fail(path, f"the file is not UTF-8 text (byte {byte!r}); save it as UTF-8", line)


def _layers(text: str, source: str, directory: Path, seen: tuple[Path, ...] = ()) -> list[_Layer]:
    """The file and, after it, the chain of bases it extends (at most ``limits.MAX_EXTENDS`` deep)."""
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
    _check_allowed(path, source, line, "extends")
    if path in seen:
        raise ScenarioError(
            source, [Problem(line=line, field="extends", message=f"{base} extends this file again: a loop")]
        )
    if not path.is_file():
        raise ScenarioError(source, [Problem(line=line, field="extends", message=_missing(path, "scenario file"))])
    if len(seen) >= limits.MAX_EXTENDS:
        _fail(source, f"a chain of more than {limits.MAX_EXTENDS} extends: bases", line, "extends")
    return layers + _layers(_read(path), str(path), path.parent, (*seen, path))


def _plain(node: Any) -> Any:
    """A parsed YAML node as plain dicts and lists (keys inherited through merge keys included), cheap to merge
    and copy; the layers' documents keep the line numbers. The depth is bounded by ``limits.MAX_NESTING``."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def validate_document(model: type[M], document: CommentedMap, source: str) -> M:
    """Validate a parsed YAML document as ``model``; raise ScenarioError naming ``source``, line and field."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(source, _problems_from(error, [_Layer(source, document)])) from None


def line_at(document: CommentedMap, location: tuple) -> int:
    """The 1-based line of the deepest part of ``location`` (keys and list positions) the document holds."""
    return _line_of(document, location).line


def read_text(path: str | Path) -> str:
    """A file's text; ScenarioError naming the file if it cannot be read."""
    return _read(Path(path))


def parse_scenario_text(text: str, *, source: str = "<scenario>", directory: str | Path = ".") -> Scenario:
    """Validate a scenario from YAML text; raise ScenarioError naming ``source``, line and field.

    A relative ``extends:`` path is taken from ``directory``.
    """
    layers = _layers(text, source, Path(directory).resolve())
    data: dict = {}
    for number, layer in reversed(list(enumerate(layers))):
        plain = {key: _plain(value) for key, value in layer.document.items() if key != "extends"}
        folder = Path(directory).resolve() if layer is layers[0] else Path(layer.source).parent
        try:
            data = merge(data, _tables_from_files(plain, layer, folder), appended=layer.appended)
        except ChangeError as error:
            where = _line_of(layer.document, error.where)
            problem = Problem(where.line, where.field, str(error), source=None if number == 0 else layer.source)
            raise ScenarioError(source, [problem]) from None
        for base in layers[number + 1 :]:  # a list this file replaces is no longer the one its bases appended to
            for path in [path for path in base.appended if _replaces(layer.document, path)]:
                del base.appended[path]
            for path in [path for path in base.from_csv if path in layer.from_csv or _replaces(layer.document, path)]:
                del base.from_csv[path]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, _problems_from(error, layers)) from None
    _warn(scenario, layers)
    return scenario


def _tables_from_files(data: dict, layer: _Layer, folder: Path) -> dict:
    """A layer's lists given as CSV files (walk-in ``rates_file:``, access ``backlog_file:``), read in place."""
    _rates_from_files(data, layer, folder)
    _backlog_from_file(data, layer, folder)
    return data


def _rates_from_files(data: dict, layer: _Layer, folder: Path) -> None:
    """Walk-in streams with ``rates_file:`` get the rates of that CSV file (columns start, end, per_hour; the path
    relative to the file that names it); streams appended with ``walk_ins+:`` too."""
    for key in ("walk_ins", "walk_ins" + APPEND):
        streams = data.get(key)
        if isinstance(streams, dict):  # one stream appended without a list
            _stream_rates(streams, (key,), layer, folder)
        elif isinstance(streams, list):
            for index, stream in enumerate(streams):
                _stream_rates(stream, (key, index), layer, folder)


def _stream_rates(stream: Any, at: tuple, layer: _Layer, folder: Path) -> None:
    """The rates of one walk-in stream's ``rates_file:``, in place; ``at`` is where the stream is in the file."""
    if isinstance(stream, dict) and "rates_file" in stream:
        line = line_at(layer.document, (*at, "rates_file"))
        where = ".".join(map(str, (*at, "rates_file")))
        if "rates" in stream:
            _fail(layer.source, "give rates or rates_file, not both", line, where)
        name = stream.pop("rates_file")
        if not isinstance(name, str):
            _fail(layer.source, "must be the path of a CSV file", line, where)
        stream["rates"] = read_rates_csv(folder / name, layer.source, line, where)


def _backlog_from_file(data: dict, layer: _Layer, folder: Path) -> None:
    """An access section with ``backlog_file:`` gets the appointments of that CSV file as its ``backlog`` (columns
    date, time, provider, visit_type and, if known, booked_on; the path relative to the file that names it). The
    layer notes each row's line, so that a problem found later with an appointment (an unknown provider) is
    reported at its row."""
    access = data.get("access")
    if not isinstance(access, dict) or "backlog_file" not in access:
        return
    line, where = line_at(layer.document, ("access", "backlog_file")), "access.backlog_file"
    if "backlog" in access or "backlog" + APPEND in access:
        _fail(layer.source, "give backlog or backlog_file, not both", line, where)
    name = access.pop("backlog_file")
    if not isinstance(name, str):
        _fail(layer.source, "must be the path of a CSV file", line, where)
    path = folder / name
    rows = read_csv_rows(
        path,
        columns=("date", "time", "provider", "visit_type"),
        optional=("booked_on",),
        model=BookedAppointment,
        source=layer.source,
        line=line,
        field=where,
    )
    access["backlog"] = [row for _, row in rows]
    layer.from_csv[("access", "backlog")] = (str(path), [number for number, _ in rows])


def read_rates_csv(path: Path, source: str, line: int | None, field: str) -> list[dict]:
    """The rate periods of a CSV file with a header ``start,end,per_hour`` (clock times "HH:MM", arrivals per
    hour); ScenarioError naming the CSV's line for a bad row, or the scenario's line for a missing file."""
    rows = read_csv_rows(
        path, columns=("start", "end", "per_hour"), model=RatePeriod, source=source, line=line, field=field
    )
    if not rows:
        _fail(str(path), "no rate periods (one line per period after the header)", 1, "")
    return [row for _, row in rows]


def read_csv_rows(
    path: Path,
    *,
    columns: Sequence[str],
    optional: Sequence[str] = (),
    model: type[BaseModel],
    source: str,
    line: int | None,
    field: str,
) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file whose first line is a header naming ``columns`` and any of ``optional`` (in any
    order), each as (its line number, {column: text}), a blank or missing optional cell left out; blank lines are
    skipped.

    Each row must be valid as ``model``; ScenarioError naming the CSV file, the row's line, the column and the
    problem for the first one that is not, the CSV's first line for a bad header, or ``source`` at ``line`` and
    ``field`` (where the scenario names the file) when there is no such file.
    """
    _check_allowed(path, source, line, field)
    if not path.is_file():
        _fail(source, _missing(path, "CSV file"), line, field)
    rows = list(csv.reader(_read(path).removeprefix("\ufeff").splitlines()))  # a spreadsheet's byte-order mark
    header = [cell.strip() for cell in rows[0]] if rows else []
    if set(columns) - set(header) or set(header) - {*columns, *optional} or len(set(header)) != len(header):
        wanted = ",".join(columns) + (f" (and optionally {', '.join(optional)})" if optional else "")
        _fail(str(path), f"the first line must be the header {wanted}", 1, "")
    read = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) or not set(header[len(row) :]) <= set(optional):  # optional cells may be left off
            _fail(str(path), f"expected {len(header)} values ({','.join(header)}), got {len(row)}", number, "")
        values = {column: cell.strip() for column, cell in zip(header, row) if column not in optional or cell.strip()}
        try:
            model.model_validate(values)
        except ValidationError as error:
            location, message = located_message(error.errors(include_url=False)[0])
            _fail(str(path), message, number, ".".join(map(str, location)))
        read.append((number, values))
    return read


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML 1.2, with ``extends:``); errors name file, line and field."""
    path = Path(path)
    return parse_scenario_text(_read(path), source=str(path), directory=path.resolve().parent)


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text that loads back to an equal scenario."""
    buffer = io.StringIO()
    _yaml().dump(scenario.model_dump(mode="json", exclude_defaults=True), buffer)
    return buffer.getvalue()
