"""Faults in a sweep leave nothing behind: no orphaned worker, no partial chunk, no lost or redone work.

Each fault is injected at a known point by ``interrupt_sweep.py`` (after N stored chunks, inside the last
write's transaction, in a worker), never at a time on the clock. After it: no process of that sweep is left,
the store is readable and holds only whole chunks, and running the sweep again gives exactly the table of an
uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_sweep import table, write_spec

from clinicsim.sweeps.runner import sweep
from clinicsim.sweeps.store import StoreError, _connect_to_read, _Lock, open_sweep

INTERRUPT = Path(__file__).resolve().parent / "interrupt_sweep.py"
TOTAL = 9 * 30


def _spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, replications=30, rooms=(6, 8, 10), desk=(1, 2, 3))


def _processes_of(store: Path) -> list[int]:
    """PIDs of the processes whose command line names this store (the sweep and its forked workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().split(") ", 1)[1][0]
            except OSError:
                continue
            if str(store).encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


def _none_left(store: Path, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while _processes_of(store):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _inject(spec: Path, store: Path, signal_name: str, chunks: int, where: str) -> int:
    command = [sys.executable, str(INTERRUPT), signal_name, str(chunks), where, "--"]
    command += ["sweep", str(spec), "--store", str(store), "--workers", "2"]
    done = subprocess.run(command, capture_output=True, start_new_session=True, timeout=300)
    return done.returncode


def _stored(store: Path) -> int:
    with sqlite3.connect(store, timeout=30) as connection:
        return connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def _resumes_to_the_whole_table(tmp_path: Path, spec: Path, store: Path) -> None:
    partial = _stored(store)
    assert len(open_sweep(store).replications()) == partial  # readable, whole chunks only
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
    returncode = _inject(spec, store, signal_name, chunks, "main")
    assert returncode == (-signal.SIGKILL if signal_name == "SIGKILL" else 130)
    assert _none_left(store), f"processes left: {_processes_of(store)}"
    assert 0 < _stored(store) < TOTAL
    _resumes_to_the_whole_table(tmp_path, spec, store)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_a_kill_during_a_write_leaves_that_chunk_out_whole(tmp_path, signal_name):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    _inject(spec, store, signal_name, 3, "during-write")
    assert _none_left(store)
    stored = _stored(store)
    assert 0 < stored < TOTAL
    pairs = open_sweep(store).replications()[["point", "replication"]]
    assert not pairs.duplicated().any()
    _resumes_to_the_whole_table(tmp_path, spec, store)


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced_and_the_sweep_finishes(tmp_path):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    assert _inject(spec, store, "SIGKILL", 0, "worker-once") == 0
    assert Path(f"{store}.worker-died").exists()
    assert _stored(store) == TOTAL
    sweep(spec, tmp_path / "whole.db", workers=1)
    pd.testing.assert_frame_equal(table(store), table(tmp_path / "whole.db"), check_exact=True)


@pytest.mark.slow
def test_workers_that_keep_dying_stop_the_sweep_resumably(tmp_path):
    spec, store = _spec(tmp_path), tmp_path / "s.db"
    command = [sys.executable, str(INTERRUPT), "SIGKILL", "0", "worker-always", "--"]
    command += ["sweep", str(spec), "--store", str(store), "--workers", "2"]
    done = subprocess.run(command, capture_output=True, text=True, start_new_session=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "a worker process died 3 times" in done.stderr and "run the same command again to resume" in done.stderr
    assert _none_left(store)
    _resumes_to_the_whole_table(tmp_path, spec, store)


def test_a_second_sweep_on_a_store_in_use_is_refused_with_the_holder(tmp_path):
    spec, store = write_spec(tmp_path), tmp_path / "s.db"
    holder = _Lock(store)
    try:
        with pytest.raises(StoreError, match=rf"in use by another sweep \(process {os.getpid()}\)"):
            sweep(spec, store, workers=1)
    finally:
        holder.release()
    sweep(spec, store, workers=1)  # free again
    assert len(open_sweep(store).replications()) == 16


@pytest.mark.parametrize("content", [b"not a database\n", os.urandom(4096)], ids=["text", "random bytes"])
def test_a_damaged_store_says_how_to_get_out(tmp_path, content):
    spec, store = write_spec(tmp_path), tmp_path / "s.db"
    store.write_bytes(content)
    for attempt in (lambda: sweep(spec, store, workers=1), lambda: open_sweep(store).replications()):
        with pytest.raises(StoreError, match="use --new to discard it, or another --store"):
            attempt()
    sweep(spec, store, workers=1, new=True)
    assert len(open_sweep(store).replications()) == 16


def test_a_finished_store_is_one_file_and_readers_never_write(tmp_path):
    store = tmp_path / "s.db"
    sweep(write_spec(tmp_path), store, workers=1)
    assert not Path(f"{store}-wal").exists() and not Path(f"{store}-shm").exists()
    before = store.read_bytes()
    open_sweep(store).replications()
    open_sweep(store).points()
    assert store.read_bytes() == before
    connection = _connect_to_read(store)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("CREATE TABLE intruder (x)")
    connection.close()


def test_a_store_in_a_missing_folder_is_refused_up_front(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        sweep(write_spec(tmp_path), tmp_path / "no" / "such" / "s.db", workers=1)
