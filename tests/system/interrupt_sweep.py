"""Run ``clinicsim sweep`` with a fault injected at a known point, never at a time on the clock.

    python interrupt_sweep.py SIGNAL N [WHERE] -- sweep SPEC --store DB --workers 2

- ``group`` (the default): right after the N-th chunk is stored, the whole process group (the sweep and its
  pool workers, as a terminal's Ctrl-C or a kill of the job would) gets SIGNAL;
- ``main``: right after the N-th chunk is stored, only the sweep's own process gets SIGNAL (its workers must
  then end by themselves);
- ``during-write``: the N-th chunk's rows are inserted, and SIGNAL reaches the sweep's process before the
  transaction commits (that chunk must then be absent, whole);
- ``during-last-write``: the same inside the transaction of the sweep's last chunk (N is not used);
- ``pause``: right after the N-th chunk is stored, the sweep waits (holding its store) until ``<DB>.go`` exists;
  ``<DB>.paused`` says it is waiting (SIGNAL is not used);
- ``worker-once``: the first chunk a worker starts kills that worker (``os._exit``), once (the marker file
  ``<DB>.worker-died`` remembers it); SIGNAL and N are not used;
- ``worker-always``: every chunk a worker starts kills that worker.

Whatever the fault, the driver keeps two records beside the store for the test to check against: ``<DB>.chunks``,
one JSON line ``[point, [replications]]`` per chunk whose transaction committed (and ``<DB>.interrupted``, the
chunk whose transaction was interrupted), and ``<DB>.workers``, the PID of every pool worker started.

Run it in a new session (``start_new_session=True``) so that a signal to the group reaches only this sweep.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from clinicsim.cli import main
from clinicsim.sweeps import runner
from clinicsim.sweeps.store import ResultStore

_write = ResultStore.write


def _journal(store: ResultStore, suffix: str, point: int, rows: list) -> None:
    with open(f"{store.path}{suffix}", "a") as journal:
        journal.write(json.dumps([point, [replication for replication, _ in rows]]) + "\n")


def journaled(self: ResultStore, point: int, rows) -> None:
    """ResultStore.write, and a line in ``<DB>.chunks`` once the chunk is committed."""
    rows = list(rows)
    _write(self, point, rows)
    _journal(self, ".chunks", point, rows)


def after_chunks(chunks: int, act) -> None:
    """Call ``act()`` once the ``chunks``-th chunk is committed."""
    stored = 0

    def write_then_act(self, point, rows):
        nonlocal stored
        journaled(self, point, rows)
        stored += 1
        if stored == chunks:
            act()

    ResultStore.write = write_then_act


def _is_last(store: ResultStore, rows: list) -> bool:
    connection = store.connection
    replications = int(connection.execute("SELECT value FROM meta WHERE key='replications'").fetchone()[0])
    points = connection.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    stored = connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    return stored + len(rows) == points * replications


def during_write(chunks: int, signal_number: int, *, last: bool = False) -> None:
    """Send the signal from inside the ``chunks``-th (or the last) chunk's transaction, after its rows, before its
    commit."""
    stored = 0

    def write_interrupted(self, point, rows):
        nonlocal stored
        rows = list(rows)
        stored += 1
        if not (_is_last(self, rows) if last else stored == chunks):
            return journaled(self, point, rows)
        execute = self.connection.executemany

        class Connection:  # the store's connection, signalled once the rows are in
            def __getattr__(self, name):
                return getattr(real, name)

            def __enter__(self):
                return real.__enter__()

            def __exit__(self, *exc):
                return real.__exit__(*exc)

            def executemany(self, *args):
                result = execute(*args)
                os.kill(os.getpid(), signal_number)
                return result

        _journal(self, ".interrupted", point, rows)
        real, self.connection = self.connection, Connection()
        return journaled(self, point, rows)

    ResultStore.write = write_interrupted


def pause(store: Path) -> None:
    """Say the sweep is paused, and wait until told to go on."""
    Path(f"{store}.paused").touch()
    while not Path(f"{store}.go").exists():
        time.sleep(0.05)


_failing: dict = {}
"""How workers fail (set before the pool starts; the workers, forked, inherit it): marker file and once."""
_run_chunk = runner.run_chunk
_start_worker = runner._exit_with_parent


def _dying_run_chunk(*args):
    """Pool task: die at the start of a chunk (once, or every time), else run it."""
    marker = _failing["marker"]
    in_worker = os.getpid() != _failing["sweep"]  # the sweep itself times a chunk before it starts the pool
    if in_worker and (not _failing["once"] or not marker.exists()):
        marker.touch()
        os._exit(1)
    return _run_chunk(*args)


def failing_workers(marker: Path, *, once: bool) -> None:
    """Make a worker die at the start of a chunk: the first one only (``once``), or every one."""
    _failing.update(marker=marker, once=once, sweep=os.getpid())
    runner.run_chunk = _dying_run_chunk


def recording_workers(store: Path) -> None:
    """Write each pool worker's PID to ``<DB>.workers`` as it starts."""

    def start_worker(sweep: int) -> None:
        with open(f"{store}.workers", "a") as record:
            record.write(f"{os.getpid()}\n")
        _start_worker(sweep)

    runner._exit_with_parent = start_worker


if __name__ == "__main__":
    separator = sys.argv.index("--")
    name, count, *where = sys.argv[1:separator]
    arguments = sys.argv[separator + 1 :]
    signal_number, chunks, mode = signal.Signals[name], int(count), (where or ["group"])[0]
    store = Path(arguments[arguments.index("--store") + 1])
    recording_workers(store)
    ResultStore.write = journaled
    if mode in ("during-write", "during-last-write"):
        during_write(chunks, signal_number, last=mode == "during-last-write")
    elif mode.startswith("worker-"):
        failing_workers(Path(f"{store}.worker-died"), once=mode == "worker-once")
    elif mode == "pause":
        after_chunks(chunks, lambda: pause(store))
    elif mode == "main":
        after_chunks(chunks, lambda: os.kill(os.getpid(), signal_number))
    else:
        after_chunks(chunks, lambda: os.killpg(0, signal_number))
    main(arguments, prog_name="clinicsim")
