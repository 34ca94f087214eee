"""``clinicsim app`` started for a test or a benchmark: a free port, its own data folder, stopped after."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    """Wait for Streamlit's health check at ``url`` to answer."""
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > end:
                raise TimeoutError(f"the app did not answer at {url} within {timeout:.0f} s") from None
            time.sleep(0.05)


@contextmanager
def running_app(data: Path, *, workers: int = 2, log: Path | None = None) -> Iterator[str]:
    """Start ``clinicsim app`` on a free port with ``data`` as its data folder; its address until the block ends."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "clinicsim",
        "app",
        "--port",
        str(port),
        "--data",
        str(data),
        "--scenarios",
        str(ROOT / "scenarios"),
        "--workers",
        str(workers),
    ]
    out = open(log or os.devnull, "w")  # noqa: SIM115  # closed below
    server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        out.close()
