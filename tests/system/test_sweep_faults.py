"""Faults in a sweep leave nothing behind: no orphaned worker, no partial chunk, no lost or redone work.

Each fault is injected at a known point by ``interrupt_sweep.py`` (after N stored chunks, inside a write's
transaction, in a worker, while paused), never at a time on the clock. After it: every pool worker the sweep
started (the driver records their PIDs) has ended, the store is readable and holds exactly the chunks whose
transaction committed (the driver journals them), and running the sweep again gives exactly the table of an
uninterrupted run. Store faults (in use, damaged, full disk, no folder) are one ``error:`` line with what to do.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_sweep import table, write_spec

from clinicsim.cli import main
from clinicsim.sweeps.runner import sweep
from clinicsim.sweeps.store import ResultStore, StoreError, _Lock, open_sweep

INTERRUPT = Path(__file__).resolve().parent / "interrupt_sweep.py"
TOTAL = 9 * 30


def _spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, replications=30, rooms=(6, 8, 10), desk=(1, 2, 3))


def _command(spec: Path, store: Path, signal_name: str, chunks: int, where: str) -> list[str]:
    command = [sys.executable, str(INTERRUPT), signal_name, str(chunks), where, "--"]
    return [*command, "sweep", str(spec), "--store", str(store), "--workers", "2"]


def _inject(spec: Path, store: Path, signal_name: str, chunks: int, where: str) -> subprocess.CompletedProcess:
    command = _command(spec, store, signal_name, chunks, where)
    return subprocess.run(command, capture_output=True, text=True, start_new_session=True, timeout=300)


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _processes_of(store: Path) -> list[int]:
    """The sweep's processes still running: the pool workers it recorded, and any process whose command line
    names the store."""
    recorded = Path(f"{store}.workers")
    pids = {int(line) for line in recorded.read_text().split()} if recorded.exists() else set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(store).encode() in (entry / "cmdline").read_bytes():
                    pids.add(int(entry.name))
            except OSError:
                continue
    return sorted(pid for pid in pids if _running(pid))


def _none_left(store: Path, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while _processes_of(store):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _journal(store: Path, suffix: str = ".chunks") -> list[tuple[int, list[int]]]:
    path = Path(f"{store}{suffix}")
    return [tuple(json.loads(line)) for line in path.read_text().splitlines()] if path.exists() else []


def _pairs(chunks: list[tuple[int, list[int]]]) -> set[tuple[int, int]]:
    return {(point, replication) for point, replications in chunks for replication in replications}


def _stored_pairs(store: Path) -> list[tuple[int, int]]:
    rows = open_sweep(store).replications()[["point", "replication"]]
    return list(rows.itertuples(index=False, name=None))


def _holds_exactly_the_committed_chunks(store: Path) -> int:
    """The store holds each chunk whose transaction committed, whole, and nothing else; return how many pairs."""
    stored = _stored_pairs(store)
    assert len(stored) == len(set(stored)), "a (point, replication) stored twice"
    assert set(stored) == _pairs(_journal(store))
    assert not _pairs(_journal(store, ".interrupted")) & set(stored), "an interrupted chunk was kept"
    return len(stored)


def _resumes_to_the_whole_table(tmp_path: Path, spec: Path, store: Path) -> None:
    partial = len(_stored_pairs(store))
    progress = []
    sweep(spec, store, workers=2, progress=lambda done, total: progress.append(done))
    assert progress[0] == partial and progress[-1] == TOTAL
    sweep(spec, tmp_path / "whole.db", workers=1)
    pd.testing.assert_frame_equal(table(store), table(tmp_path / "whole.db"), check_exact=True)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("chunks", [1, 4])
def test_killing_only_the_main_process_leaves_no_worker_and_resumes(tmp_path, signal_name, chunks):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    done = _inject(spec, store, signal_name, chunks, "main")
    assert done.returncode == (-signal.SIGKILL if signal_name == "SIGKILL" else 130), done.stderr
    assert _none_left(store), f"processes left: {_processes_of(store)}"
    assert len(Path(f"{store}.workers").read_text().split()) >= 2, "the pool's workers were recorded"
    if signal_name == "SIGTERM":
        assert "Traceback" not in done.stderr and "run the same command again to resume" in done.stderr
    assert len(_journal(store)) == chunks
    assert 0 < _holds_exactly_the_committed_chunks(store) < TOTAL
    _resumes_to_the_whole_table(tmp_path, spec, store)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("where", ["during-write", "during-last-write"])
def test_a_kill_during_a_write_leaves_that_chunk_out_whole(tmp_path, signal_name, where):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    done = _inject(spec, store, signal_name, 3, where)
    assert done.returncode == (-signal.SIGKILL if signal_name == "SIGKILL" else 130), done.stderr
    assert _none_left(store), f"processes left: {_processes_of(store)}"
    (interrupted,) = _journal(store, ".interrupted")
    stored = _holds_exactly_the_committed_chunks(store)
    if where == "during-last-write":
        assert stored == TOTAL - len(interrupted[1]), "every chunk but the last is stored"
    else:
        assert len(_journal(store)) == 2
    _resumes_to_the_whole_table(tmp_path, spec, store)


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced_and_the_sweep_finishes(tmp_path):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    assert _inject(spec, store, "SIGKILL", 0, "worker-once").returncode == 0
    assert Path(f"{store}.worker-died").exists()
    assert _none_left(store)
    assert _holds_exactly_the_committed_chunks(store) == TOTAL
    sweep(spec, tmp_path / "whole.db", workers=1)
    pd.testing.assert_frame_equal(table(store), table(tmp_path / "whole.db"), check_exact=True)


@pytest.mark.slow
def test_workers_that_keep_dying_stop_the_sweep_resumably(tmp_path):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    done = _inject(spec, store, "SIGKILL", 0, "worker-always")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "a worker process died 3 times" in done.stderr and "a fault of the machine" in done.stderr
    assert "run the same command again to resume" in done.stderr
    assert _none_left(store)
    _holds_exactly_the_committed_chunks(store)
    _resumes_to_the_whole_table(tmp_path, spec, store)


@pytest.mark.slow
def test_a_second_sweep_is_refused_while_the_first_runs_and_a_killed_ones_lock_does_not_block(tmp_path):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    first = subprocess.Popen(
        _command(spec, store, "SIGKILL", 2, "pause"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not Path(f"{store}.paused").exists():
            assert first.poll() is None and time.monotonic() < deadline, "the first sweep never paused"
            time.sleep(0.05)
        second = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(store), "--workers", "1"])
        assert second.exit_code == 2 and "Traceback" not in second.output
        assert f"error: {store} is in use by another sweep (process {first.pid})" in second.output
        os.kill(first.pid, signal.SIGKILL)  # it dies holding the lock
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert _none_left(store)
    assert Path(f"{store}.lock").read_text().strip() == str(first.pid), "the dead sweep's lock file is still there"
    assert _holds_exactly_the_committed_chunks(store) > 0
    _resumes_to_the_whole_table(tmp_path, spec, store)  # and does not block the next sweep


def test_a_second_sweep_on_a_store_in_use_is_refused_with_the_holder(tmp_path):
    spec, store = write_spec(tmp_path), tmp_path / "s.db"
    holder = _Lock(store)
    try:
        with pytest.raises(StoreError, match=rf"in use by another sweep \(process {os.getpid()}\)"):
            sweep(spec, store, workers=1)
    finally:
        holder.release()
    sweep(spec, store, workers=1)  # free again
    holder = _Lock(store)
    try:
        assert len(open_sweep(store).replications()) == 16  # readers never wait for the lock
    finally:
        holder.release()


@pytest.mark.parametrize("content", [b"not a database\n", os.urandom(4096)], ids=["text", "random bytes"])
def test_a_damaged_store_says_how_to_get_out(tmp_path, content):
    spec, store = write_spec(tmp_path), tmp_path / "s.db"
    store.write_bytes(content)
    with pytest.raises(StoreError, match="use --new to discard it, or another --store"):
        open_sweep(store).replications()
    commands = [
        ["sweep", str(spec), "--store", str(store), "--workers", "1"],
        ["sweep-report", str(store), "--out", str(tmp_path / "report")],
    ]
    for command in commands * 2:  # the same advice every time
        result = CliRunner().invoke(main, command)
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert errors == [
            f"error: {store} is not a clinicsim sweep store or is damaged (file is not a database); "
            "use --new to discard it, or another --store"
        ]
    assert store.read_bytes() == content, "a damaged store is left as it is"
    sweep(spec, store, workers=1, new=True)
    assert len(open_sweep(store).replications()) == 16


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 2 MB file system of its own (tmpfs; needs root and mount), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.mark.slow
def test_a_full_disk_stops_the_sweep_and_its_report_with_advice_and_keeps_what_is_done(
    tmp_path, small_disk, monkeypatch
):
    spec, store, filler = write_spec(tmp_path, replications=8), small_disk / "s.db", small_disk / "filler"
    write, writes = ResultStore.write, []

    def write_on_a_filling_disk(self, point, rows):
        writes.append(point)
        if len(writes) == 3:  # the disk fills up after two chunks
            with open(filler, "wb") as ballast:
                try:
                    while True:
                        ballast.write(b"\0" * 65536)
                        ballast.flush()
                except OSError:
                    pass
        return write(self, point, rows)

    monkeypatch.setattr(ResultStore, "write", write_on_a_filling_disk)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(store), "--workers", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert f"error: {store}: the disk is full (database or disk is full)" in result.output
    assert "free some space and run the same command again to resume" in result.output
    monkeypatch.undo()
    report = CliRunner().invoke(main, ["sweep-report", str(store), "--out", str(small_disk / "report")])
    assert report.exit_code == 2 and "Traceback" not in report.output, report.output
    assert f"error: --out {small_disk / 'report'}: cannot write there (No space left on device)" in report.output
    filler.unlink()
    assert 0 < len(open_sweep(store).replications()) < 32, "the chunks before are kept"
    sweep(spec, store, workers=1)
    sweep(spec, tmp_path / "whole.db", workers=1)
    pd.testing.assert_frame_equal(table(store), table(tmp_path / "whole.db"), check_exact=True)


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        ("no/such/folder/s.db", "no/such/folder does not exist"),
        ("a-file/s.db", "a-file is not a folder"),
        ("/proc/s.db", "/proc/s.db: cannot write in its folder /proc"),
    ],
    ids=["missing folder", "under a file", "under /proc"],
)
def test_a_store_where_nothing_can_be_written_is_refused_before_simulating(tmp_path, monkeypatch, store, expected):
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a folder")
    spec = write_spec(tmp_path)
    simulated = []
    monkeypatch.setattr("clinicsim.sweeps.runner.seconds_per_replication", lambda *a: simulated.append(a) or 0.01)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--store", store, "--workers", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert expected in result.output and not simulated
    with pytest.raises(StoreError):
        sweep(spec, store, workers=1)
