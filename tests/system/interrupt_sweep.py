"""Run ``clinicsim sweep`` and interrupt it at a known point: right after its N-th chunk is stored, the whole
process group (the sweep and its pool workers, as a terminal's Ctrl-C or a kill of the job would) gets a signal.

    python interrupt_sweep.py SIGNAL N -- sweep SPEC --store DB --workers 2

Run it in a new session (``start_new_session=True``) so the signal reaches only this sweep. The interruption
then depends on the count of finished chunks, never on how fast the machine is.
"""

from __future__ import annotations

import os
import signal
import sys

from clinicsim.cli import main
from clinicsim.sweeps.store import ResultStore


def interrupt_after(chunks: int, signal_number: int) -> None:
    """Make the ``chunks``-th stored chunk send ``signal_number`` to this process group once it is committed."""
    write = ResultStore.write
    stored = 0

    def write_then_interrupt(self, point, rows):
        nonlocal stored
        write(self, point, rows)
        stored += 1
        if stored == chunks:
            os.killpg(0, signal_number)

    ResultStore.write = write_then_interrupt


if __name__ == "__main__":
    name, count, separator, *arguments = sys.argv[1:]
    assert separator == "--", __doc__
    interrupt_after(int(count), signal.Signals[name])
    main(arguments, prog_name="clinicsim")
