"""Bad sweep files never crash, hang or pass silently, and a refused sweep leaves no store behind.

The corpus is made by mutating the bundled sweep files (scenarios/sweeps/), each also recast as a ``points`` and
a ``latin_hypercube`` design: every value mutation of bad_input.py (wrong types, NaN and infinity, negative,
huge, zero, null), then the mistakes particular to sweeps, made for every list and mapping of the file (an item
given twice, an empty list, an unknown key, a key left out, one setting named two ways, a grid of 10^10 points
and one just over the limit) and for the file as a whole (a missing base, a base that is not UTF-8 or not a
file, an alias bomb). Each case runs the real command line, ``clinicsim sweep SPEC --store DB --workers 1``,
under a time bound, and must exit 2 with ``error: FILE:LINE: FIELD: message`` lines (the line of the mutated
place or a parent of it), no traceback and no store file; or, where a mutation can be valid, be accepted (the
test stops it where the simulation would start). Readers of a finished store, on read-only media, and the
``--out`` checks are tested at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from bad_input import ERROR_LINE, VALUE_MUTATIONS, dump, places, plain, replaced, without
from click.testing import CliRunner
from test_sweep import write_spec

from clinicsim.cli import main
from clinicsim.scenario import load_scenario
from clinicsim.scenario.changes import resolve_path
from clinicsim.scenario.files import line_at, parse_yaml
from clinicsim.sweeps.runner import sweep
from clinicsim.sweeps.spec import MAX_POINTS, Factor, Point, Range, SweepSpec
from clinicsim.sweeps.store import StoreError, _connect_to_read, open_sweep

ROOT = Path(__file__).resolve().parents[2]
SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
SECONDS_PER_CASE = 10.0
"""Time bound of one case; the slowest (every one of the large sweep's 432 points validated) takes about 1 s."""
LISTS = ("kpis", "factors", "points", "ranges")


@dataclass(frozen=True)
class SweepCase:
    """One bad sweep file: its text, whether no reading of it can be valid, and the place mutated."""

    name: str
    kind: str
    text: str | bytes
    must_fail: bool
    at: tuple | None
    """The place of the mutation in the file (the error must be at its line or a parent's); None: the whole file."""
    base: bytes | None = None
    """A base scenario to write beside the sweep file as base.yaml (the sweep's ``base`` then names it)."""
    expect: str = ""
    """Text the errors must contain."""


def _spec_data(path: Path) -> dict:
    data = plain(path)
    data["base"] = str((path.parent / data["base"]).resolve())
    return data


def _designs(path: Path) -> dict[str, dict]:
    """The bundled grid, and the same factors as three named points and as a Latin-hypercube sample (a bundled
    sweep of named points as it is)."""
    grid = _spec_data(path)
    if grid.get("design") == "points":
        return {"points": grid}
    rest = {k: v for k, v in grid.items() if k not in ("design", "factors")}
    paths = [f["path"] for f in grid["factors"]]
    combos = list(product(*(f["values"] for f in grid["factors"])))
    points = [{"name": f"plan {i + 1}", "changes": dict(zip(paths, combo))} for i, combo in enumerate(combos[:3])]
    numeric = [f for f in grid["factors"] if all(type(v) in (int, float) for v in f["values"])]
    ranges = [{"path": f["path"], "low": min(f["values"]), "high": max(f["values"]), "integer": True} for f in numeric]
    return {
        "grid": grid,
        "points": {**rest, "design": "points", "points": points},
        "latin_hypercube": {**rest, "design": "latin_hypercube", "ranges": ranges, "samples": 5},
    }


def _node(data: Any, at: tuple) -> Any:
    for part in at:
        data = data[part]
    return data


def _required(at: tuple, key: Any, design: str) -> bool:
    """Whether leaving ``key`` out of the mapping at ``at`` can never be valid: a required field, the design's
    list, or the ``design`` of one that is not the default grid."""
    if at == ():
        listed = {"grid": "factors", "points": "points", "latin_hypercube": "ranges"}[design]
        return SweepSpec.model_fields[key].is_required() or key == listed or (key == "design" and design != "grid")
    model = {"factors": Factor, "points": Point, "ranges": Range}.get(at[0]) if len(at) == 2 else None
    return model is not None and model.model_fields[key].is_required()


def _spread(items: list, per_kind: int) -> list:
    return items[:: max(1, len(items) // per_kind)][:per_kind]


def _mutants(label: str, design: str, data: dict, per_kind: int) -> list[SweepCase]:
    """Value and structural mutations of one sweep file, each at up to ``per_kind`` places spread over it."""
    everything = list(places(data))[1:]
    cases = []
    for kind, (applies, mutate, must_fail) in VALUE_MUTATIONS.items():
        for at, value in _spread([(at, v) for at, v in everything if applies(v)], per_kind):
            cases.append(
                SweepCase(f"{label}: {kind} at {at}", kind, dump(replaced(data, at, mutate(value))), must_fail, at)
            )
    sweep_lists = [
        at
        for at, v in everything
        if at in [(k,) for k in LISTS] or (len(at) == 3 and at[0::2] == ("factors", "values"))
    ]
    for at in _spread(sweep_lists, per_kind * 2):
        items = _node(data, at)
        twice = replaced(data, at, [*items, items[0]])
        cases.append(
            SweepCase(f"{label}: an item given twice in {at}", "item twice", dump(twice), True, (*at, len(items)))
        )
        cases.append(SweepCase(f"{label}: {at} empty", "list emptied", dump(replaced(data, at, [])), True, at))
    mappings = [()] + [at for at, v in everything if isinstance(v, dict)]
    for at in _spread(mappings, per_kind * 2):
        node = _node(data, at)
        unknown = replaced(data, at, {**node, "bogus_key": 1}) if at else {**data, "bogus_key": 1}
        cases.append(SweepCase(f"{label}: unknown key in {at}", "unknown key", dump(unknown), True, (*at, "bogus_key")))
        for key in _spread(list(node), per_kind):
            if key != "base":
                left = without(data, (*at, key))
                cases.append(
                    SweepCase(
                        f"{label}: {key} left out of {at}", "key left out", dump(left), _required(at, key, design), at
                    )
                )
    return cases + _same_setting_twice(label, design, data)


def _by_position(base: dict, path: str) -> str:
    """The same setting, its named list items written by position (``staff.Front desk.count``: ``staff.0.count``)."""
    return ".".join(map(str, resolve_path(base, path)))


def _same_setting_twice(label: str, design: str, data: dict) -> list[SweepCase]:
    """A setting varied twice, once by its name and once by positions (``staff.0.count``), and a grid too big."""
    base = load_scenario(data["base"]).model_dump(mode="json")
    if design == "points":
        i, path = next(
            (i, p) for i, point in enumerate(data["points"]) for p in point["changes"] if _by_position(base, p) != p
        )
        changes = data["points"][i]["changes"]
        twice = replaced(data, ("points", i, "changes"), {**changes, _by_position(base, path): changes[path]})
        at = ("points", i, "changes")  # either of the two: the file lists them in its own order
        return [SweepCase(f"{label}: a setting changed twice", "setting twice", dump(twice), True, at)]
    key = "factors" if design == "grid" else "ranges"
    items = data[key]
    named = next(item for item in items if _by_position(base, item["path"]) != item["path"])
    alias = {**named, "path": _by_position(base, named["path"])}
    cases = [
        SweepCase(
            f"{label}: a setting varied twice",
            "setting twice",
            dump({**data, key: [*items, alias]}),
            True,
            (key, len(items)),
        )
    ]
    if design == "grid":
        first = items[0]
        huge = [{**first, "values": list(range(1, 11))}] * 10
        cases.append(
            SweepCase(
                f"{label}: a grid of 10^10 points",
                "grid of 10^10",
                dump({**data, "factors": huge}),
                True,
                ("factors",),
                expect="10,000,000,000 points",
            )
        )
        wide = [{**f, "values": list(range(1, 23))} for f in items[:3]]
        size = 22**3
        cases.append(
            SweepCase(
                f"{label}: a grid just over the limit",
                "grid over the limit",
                dump({**data, "factors": wide}),
                True,
                ("factors",),
                expect=f"{size:,} points; at most {MAX_POINTS:,}",
            )
        )
    return cases


def _file_mistakes(label: str, data: dict) -> list[SweepCase]:
    """Mistakes of the file as a whole, or of its base."""
    beside = {**data, "base": "base.yaml"}
    base_text = Path(data["base"]).read_bytes()
    factors = "factors:\n- path: clinic.exam_rooms\n  values: &a [[1, 1, 1, 1, 1, 1, 1, 1]]\n" + "".join(
        f"- path: clinic.room_turnover_min\n  values: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n"
        for a, b in zip("abcdef", "bcdefg")
    )
    bomb = dump({k: v for k, v in data.items() if k != "factors"}) + factors
    return [
        SweepCase(
            f"{label}: a missing base", "missing base", dump({**data, "base": "/nowhere/base.yaml"}), True, ("base",)
        ),
        SweepCase(
            f"{label}: a base that is a folder", "base a folder", dump({**data, "base": "/tmp"}), True, ("base",)
        ),
        SweepCase(
            f"{label}: a base not UTF-8",
            "base not UTF-8",
            dump(beside),
            True,
            None,
            base_text.replace(b"name:", b"name: caf\xe9 #", 1),
        ),
        SweepCase(
            f"{label}: a base with a mistake",
            "base with a mistake",
            dump(beside),
            True,
            None,
            base_text.replace(b"exam_rooms: ", b"exam_rooms: -", 1),
        ),
        SweepCase(
            f"{label}: the sweep file not UTF-8",
            "not UTF-8",
            dump(data).encode().replace(b"name: ", b"name: \xe9", 1),
            True,
            None,
        ),
        SweepCase(f"{label}: an alias bomb in a factor's values", "alias bomb", bomb, True, None),
    ]


def _corpus() -> list[SweepCase]:
    cases = []
    for path in SWEEPS:
        per_kind = 1 if "large" in path.stem else 3  # each case of the large sweep validates its 432 points
        for design, data in _designs(path).items():
            cases += _mutants(f"{path.stem} ({design})", design, data, per_kind)
        cases += _file_mistakes(path.stem, _spec_data(path))
    return cases


CORPUS = _corpus()
KINDS = sorted({case.kind for case in CORPUS})
FAST = [next(c for c in CORPUS if c.kind == kind and "small" in c.name) for kind in KINDS]
"""One case of each kind, of the small sweep: the fast tier's share of the corpus."""


class Accepted(Exception):
    """The sweep file was accepted; the test stops the command where the simulation would start."""


class Hang(BaseException):
    """A case ran past SECONDS_PER_CASE (a BaseException, so the command line cannot swallow it)."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _accept(*args, **kwargs):
    raise Accepted


def _allowed_lines(text: str, at: tuple) -> set[int]:
    """The lines of the mutated place, its parents and its children in the mutant."""
    document = parse_yaml(text, "mutant")
    lines = {line_at(document, at[:k]) for k in range(1, len(at) + 1)}
    try:
        node = _node(document, at)
    except (KeyError, IndexError, TypeError):
        return lines
    children = node.keys() if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else ()
    return lines | {line_at(document, (*at, child)) for child in children}


def judge(case: SweepCase, folder: Path) -> str:
    """Run ``clinicsim sweep`` on the case; check it was refused cleanly (or accepted when it may be) and return
    "refused" or "accepted". ``run_sweep`` must be patched to ``_accept``."""
    spec, store = folder / "sweep.yaml", folder / "s.db"
    spec.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode())
    if case.base is not None:
        (folder / "base.yaml").write_bytes(case.base)
    with _deadline(SECONDS_PER_CASE):
        result = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(store), "--workers", "1"])
    assert "Traceback" not in result.output, f"{case.name}\n{result.output}"
    assert not list(folder.glob("s.db*")), f"{case.name}: a store was left behind"
    if isinstance(result.exception, Accepted):
        assert not case.must_fail, f"{case.name}: accepted"
        return "accepted"
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), f"{case.name}\n{result.output}"
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    matches = [ERROR_LINE.match(line) for line in errors]
    assert errors and all(matches), f"{case.name}\n{result.output}"
    assert all(Path(m["file"]).suffix == ".yaml" for m in matches if m), f"{case.name}: a file is named\n{errors}"
    assert case.expect in result.output, f"{case.name}: {case.expect!r} not said\n{errors}"
    if case.at is not None:
        allowed = _allowed_lines(case.text if isinstance(case.text, str) else "", case.at)
        placed = [m for m in matches if m and m["file"] == str(spec) and m["line"] and int(m["line"]) in allowed]
        assert placed, f"{case.name}: no error at lines {sorted(allowed)} of the sweep file\n{errors}"
        assert all(": " in m["rest"] for m in placed), f"{case.name}: a field is named\n{errors}"
    return "refused"


def test_the_corpus_tries_every_kind_on_every_bundled_sweep():
    assert len(SWEEPS) >= 2 and len(CORPUS) > 250
    for path in SWEEPS:
        tried = {case.kind for case in CORPUS if case.name.startswith(path.stem)}
        grid_only = {"grid over the limit", "grid of 10^10"} if "factors" not in plain(path) else set()
        assert tried == set(KINDS) - grid_only, f"{path.stem}: {set(KINDS) - grid_only - tried} not tried"
    assert {
        "nan",
        "infinity",
        "negative",
        "huge",
        "item twice",
        "list emptied",
        "unknown key",
        "grid of 10^10",
    } <= tried
    assert {"setting twice", "missing base", "base not UTF-8"} <= tried


@pytest.mark.parametrize("case", FAST, ids=lambda case: case.kind)
def test_a_case_of_each_kind_is_refused_cleanly(tmp_path, monkeypatch, case):
    monkeypatch.setattr("clinicsim.sweeps.runner.run_sweep", _accept)
    judge(case, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CORPUS if c not in FAST], ids=lambda case: case.name)
def test_the_whole_corpus_is_refused_cleanly_or_accepted(tmp_path, monkeypatch, case):
    monkeypatch.setattr("clinicsim.sweeps.runner.run_sweep", _accept)
    judge(case, tmp_path)


def test_a_problem_of_many_points_is_said_once_with_its_count_line_and_field(tmp_path):
    spec = write_spec(tmp_path, rooms=(-1, -2, 8, -3), desk=(1, 2, 3))
    result = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(tmp_path / "s.db"), "--workers", "1"])
    assert result.exit_code == 2 and "Value error" not in result.output
    assert result.output.splitlines()[-1] == (
        f"error: {spec}:5: clinic: exam_rooms cannot be negative "
        "(in 9 of 12 points, e.g. point 0 'clinic.exam_rooms=-1, staff.Front desk.count=1')"
    )
    misspelt = write_spec(tmp_path, name="misspelt.yaml").read_text().replace("exam_rooms", "exam_roomz")
    (tmp_path / "misspelt.yaml").write_text(misspelt)
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "misspelt.yaml")])
    assert "clinic.exam_roomz: unknown field (did you mean exam_rooms?) (in 4 of 4 points" in result.output
    assert "Extra inputs" not in result.output


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "--workers and --dask exclude each other"),
        (["--resume", "--new"], "--resume and --new exclude each other"),
        (["--resume"], "no store to resume"),
        (["--dask", "no-port-here"], "error: --dask no-port-here: cannot connect to a Dask scheduler there"),
    ],
)
def test_bad_sweep_options_exit_2_without_a_traceback(tmp_path, arguments, expected):
    pytest.importorskip("dask.distributed")
    spec = write_spec(tmp_path)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(tmp_path / "s.db"), *arguments])
    assert result.exit_code == 2 and "Traceback" not in result.output and expected in result.output
    assert not list(tmp_path.glob("s.db*"))


@pytest.mark.slow
def test_an_unreachable_dask_scheduler_is_named_within_seconds(tmp_path):
    pytest.importorskip("dask.distributed")
    spec = write_spec(tmp_path)
    start = time.monotonic()
    with _deadline(30):
        result = CliRunner().invoke(main, ["sweep", str(spec), "--store", "s.db", "--dask", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "error: --dask tcp://127.0.0.1:1: no Dask scheduler answered within 5 s" in result.output
    assert time.monotonic() - start < 30


# Readers of a finished store


@pytest.fixture
def read_only_media(tmp_path):
    """A finished sweep's spec and store copied into a folder made read-only (0o555, files 0o444) and, where
    this process may mount (root), bind-mounted read-only: as root, permissions alone do not stop writing."""
    spec = write_spec(tmp_path)
    sweep(spec, tmp_path / "s.db", workers=1)
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(tmp_path / "s.db", media / "s.db")
    (media / "s.db").chmod(0o444)
    media.chmod(0o555)
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(media), str(media)], capture_output=True)
    mounted = mounted.returncode == 0 and subprocess.run(["mount", "-o", "remount,bind,ro", str(media)]).returncode == 0
    try:
        yield spec, media / "s.db", mounted or os.geteuid() != 0
    finally:
        subprocess.run(["umount", str(media)], capture_output=True)
        media.chmod(0o755)


def test_a_finished_store_on_read_only_media_is_read_reported_and_swept(tmp_path, read_only_media):
    spec, store, enforced = read_only_media
    before = (store.read_bytes(), store.stat().st_mtime_ns, sorted(os.listdir(store.parent)))
    results = open_sweep(store)
    assert len(results.replications()) == 16 and not results.points().empty and results.spec.name == "test sweep"
    report = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output
    again = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(store), "--workers", "1"])
    assert again.exit_code == 0 and "done: 16 (point, replication) results" in again.output, again.output
    assert (store.read_bytes(), store.stat().st_mtime_ns, sorted(os.listdir(store.parent))) == before
    connection = _connect_to_read(store)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            connection.execute("CREATE TABLE intruder (x)")
    finally:
        connection.close()
    if enforced:  # a report into the read-only folder is refused before anything is read
        report = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(store.parent / "report")])
        assert report.exit_code == 2 and f"error: --out {store.parent / 'report'}: cannot write there" in report.output


def test_a_finished_store_is_one_file_and_readers_never_write(tmp_path):
    store = tmp_path / "s.db"
    sweep(write_spec(tmp_path), store, workers=1)
    assert not Path(f"{store}-wal").exists() and not Path(f"{store}-shm").exists()
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    open_sweep(store).replications()
    open_sweep(store).points()
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before


def test_a_store_written_before_todays_limits_is_still_read(tmp_path):
    store = tmp_path / "s.db"
    sweep(write_spec(tmp_path), store, workers=1)
    connection = sqlite3.connect(store)
    spec = json.loads(connection.execute("SELECT value FROM meta WHERE key='spec'").fetchone()[0])
    spec.update(kpis=[], replications=10**6)  # refused in a sweep file today; kept all KPIs in 0.1.0
    with connection:
        connection.execute("UPDATE meta SET value=? WHERE key='spec'", (json.dumps(spec),))
    connection.close()
    assert open_sweep(store).spec.replications == 10**6
    spec["design"] = "nonsense"
    with sqlite3.connect(store) as connection:
        connection.execute("UPDATE meta SET value=? WHERE key='spec'", (json.dumps(spec),))
    with pytest.raises(StoreError, match="cannot be read by this version"):
        _ = open_sweep(store).spec


@pytest.mark.parametrize("out", ["/proc/clinicsim-report", "a-file/below"], ids=["under /proc", "under a file"])
def test_an_unwritable_out_folder_is_refused_before_simulating(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a folder")
    scenario = str(ROOT / "scenarios" / "family_medicine.yaml")
    sweep(write_spec(tmp_path), tmp_path / "s.db", workers=1)
    commands = [["run", scenario, "-n", "500"], ["compare", scenario, scenario, "-n", "500"], ["sweep-report", "s.db"]]
    for command in commands:
        result = CliRunner().invoke(main, [*command, "--out", out])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert f"error: --out {out}: cannot write there" in result.output
        assert "simulated days" not in result.output  # refused before any day ran
