"""Run ``clinicsim sweep`` with a fault injected at a known point, never at a time on the clock.

    python interrupt_sweep.py SIGNAL N [WHERE] -- sweep SPEC --store DB --workers 2

- ``group`` (the default): right after the N-th chunk is stored, the whole process group (the sweep and its
  pool workers, as a terminal's Ctrl-C or a kill of the job would) gets SIGNAL;
- ``main``: right after the N-th chunk is stored, only the sweep's own process gets SIGNAL (its workers must
  then end by themselves);
- ``during-write``: the N-th chunk's rows are inserted, and SIGNAL reaches the sweep's process before the
  transaction commits (that chunk must then be absent, whole);
- ``worker-once``: the first chunk a worker starts kills that worker (``os._exit``), once (the marker file
  ``<DB>.worker-died`` remembers it); SIGNAL and N are not used;
- ``worker-always``: every chunk a worker starts kills that worker.

Run it in a new session (``start_new_session=True``) so that a signal to the group reaches only this sweep.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from clinicsim.cli import main
from clinicsim.sweeps import runner
from clinicsim.sweeps.store import ResultStore


def after_chunks(chunks: int, signal_number: int, *, group: bool) -> None:
    """Send the signal once the ``chunks``-th chunk is committed."""
    write = ResultStore.write
    stored = 0

    def write_then_signal(self, point, rows):
        nonlocal stored
        write(self, point, rows)
        stored += 1
        if stored == chunks:
            os.killpg(0, signal_number) if group else os.kill(os.getpid(), signal_number)

    ResultStore.write = write_then_signal


def during_write(chunks: int, signal_number: int) -> None:
    """Send the signal from inside the ``chunks``-th chunk's transaction, after its rows, before its commit."""
    write = ResultStore.write
    stored = 0

    def write_interrupted(self, point, rows):
        nonlocal stored
        stored += 1
        if stored < chunks:
            return write(self, point, rows)
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

        real, self.connection = self.connection, Connection()
        return write(self, point, rows)

    ResultStore.write = write_interrupted


_failing: dict = {}
"""How workers fail (set before the pool starts; the workers, forked, inherit it): marker file and once."""
_run_chunk = runner.run_chunk


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


if __name__ == "__main__":
    separator = sys.argv.index("--")
    name, count, *where = sys.argv[1:separator]
    arguments = sys.argv[separator + 1 :]
    signal_number, chunks, mode = signal.Signals[name], int(count), (where or ["group"])[0]
    store = Path(arguments[arguments.index("--store") + 1])
    if mode == "during-write":
        during_write(chunks, signal_number)
    elif mode.startswith("worker-"):
        failing_workers(Path(f"{store}.worker-died"), once=mode == "worker-once")
    else:
        after_chunks(chunks, signal_number, group=mode == "group")
    main(arguments, prog_name="clinicsim")
