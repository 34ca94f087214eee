"""Background jobs for the web app: simulations that run in worker processes and keep their results on disk.

A job is a folder named by its key, the hash of everything its result depends on (scenario, days, seed), so the
same request is the same folder: asking again for a finished job is instant, two browser tabs asking for the same
thing share it, and different requests never mix. A job writes ``progress.json`` as it goes and ``done`` (or
``failed.txt``, or ``cancelled``) at the end, so a page reloaded in the middle finds it again, and a server
restarted in the middle sees it ``interrupted`` and can run it again.

A task is a module-level function ``task(folder, progress, **arguments)`` (picklable, for the worker process);
``progress(done, total)`` raises ``Cancelled`` once the job is asked to stop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import sys
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, Literal

logger = logging.getLogger(__name__)

State = Literal["missing", "queued", "running", "done", "failed", "cancelled", "interrupted"]
Progress = Callable[[int, int], None]
Task = Callable[..., None]

_DONE, _FAILED, _CANCELLED, _CANCEL, _PROGRESS = "done", "failed.txt", "cancelled", "cancel", "progress.json"


class Cancelled(Exception):
    """The job was asked to stop (its cancel button)."""


def job_key(*parts: Any) -> str:
    """A short stable key of JSON-able ``parts`` (the job's inputs)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class JobStatus:
    """Where a job is: its state, days (or other units) done of the total, and why it failed."""

    state: State
    done: int = 0
    total: int = 0
    message: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    @property
    def fraction(self) -> float:
        return 1.0 if self.state == "done" else (self.done / self.total if self.total else 0.0)


class Jobs:
    """Jobs of one app server: a pool of ``workers`` processes and a folder of job folders."""

    def __init__(self, folder: Path, workers: int = 2) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._live: dict[str, Future] = {}
        self._owners: dict[str, set[str]] = {}
        self._lock = Lock()

    def path(self, key: str) -> Path:
        """The folder of job ``key`` (its results are files in it)."""
        return self.folder / key

    def submit(self, key: str, task: Task, *, owner: str = "", **arguments: Any) -> JobStatus:
        """Start job ``key`` unless it is done or running; a failed, cancelled or interrupted one starts over.
        ``owner`` (a browser tab's workspace) is one of those who want it: see ``cancel``."""
        with self._lock:
            self._owners.setdefault(key, set()).add(owner)
            status = self.status(key)
            if status.state in ("done", "queued", "running"):
                return status
            folder = self.path(key)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            with _plain_main():
                try:
                    future = self._executor().submit(_execute, task, str(folder), arguments)
                except BrokenProcessPool:  # a worker died (killed, out of memory): a new pool for new jobs
                    logger.warning("the worker pool broke; starting a new one")
                    self._pool = None
                    future = self._executor().submit(_execute, task, str(folder), arguments)
                self._live[key] = future
            logger.info("job %s: %s started", key, getattr(task, "__name__", task))
            return JobStatus("queued")

    def status(self, key: str) -> JobStatus:
        """The job's state, read from its folder (and whether this server is running it)."""
        folder = self.path(key)
        if (folder / _DONE).exists():
            return JobStatus("done", *_read_progress(folder))
        if (folder / _FAILED).exists():
            return JobStatus("failed", *_read_progress(folder), message=(folder / _FAILED).read_text())
        if (folder / _CANCELLED).exists():
            return JobStatus("cancelled", *_read_progress(folder))
        if not folder.exists():
            return JobStatus("missing")
        future = self._live.get(key)
        if future is None or future.done():  # started by an earlier server, or its worker died
            return JobStatus("interrupted", *_read_progress(folder))
        done, total = _read_progress(folder)
        return JobStatus("running" if (folder / _PROGRESS).exists() else "queued", done, total)

    def cancel(self, key: str, *, owner: str = "") -> None:
        """``owner`` no longer wants job ``key``; once nobody does, ask it to stop at its next progress report (a
        queued job stops before it starts). So one tab's Cancel does not stop the days another tab is waiting
        for (a baseline both compare against)."""
        with self._lock:
            owners = self._owners.get(key, set())
            owners.discard(owner)
            if not owners and self.status(key).state in ("queued", "running"):
                (self.path(key) / _CANCEL).touch()

    def shutdown(self) -> None:
        """Stop the worker processes (running jobs are cancelled)."""
        for key in list(self._live):
            self._owners.pop(key, None)
            self.cancel(key)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:  # spawned, not forked: the web server has threads of its own
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool


@contextmanager
def _plain_main() -> Iterator[None]:
    """While worker processes may be started: a ``__main__`` without a file. A spawned worker runs the parent's
    ``__main__`` file again, and in Streamlit that is the page script being run, not a program meant to be run
    twice."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _read_progress(folder: Path) -> tuple[int, int]:
    try:
        data = json.loads((folder / _PROGRESS).read_text())
        return int(data["done"]), int(data["total"])
    except (OSError, ValueError, KeyError):
        return 0, 0


def write_pickle(path: Path, value: Any) -> None:
    """Keep a job's result (``value``) whole at ``path``: written aside, then renamed into place. Results are read
    back only by this app, from its own data folder; nothing a browser sends is ever unpickled."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, path)


def read_pickle(path: Path) -> Any:
    """A job's result kept by ``write_pickle`` (only ever this app's own files)."""
    return pickle.loads(path.read_bytes())  # noqa: S301 (written by this app's own job)


def _write(path: Path, text: str) -> None:
    """Write a small file whole (a reader never sees half of it)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def _execute(task: Task, folder_name: str, arguments: dict[str, Any]) -> None:
    """Run ``task`` in a worker process: its progress and outcome as files in its folder."""
    folder = Path(folder_name)

    def progress(done: int, total: int) -> None:
        if (folder / _CANCEL).exists():
            raise Cancelled
        _write(folder / _PROGRESS, json.dumps({"done": done, "total": total}))

    try:
        progress(0, 0)
        task(folder, progress, **arguments)
    except Cancelled:
        (folder / _CANCELLED).touch()
        logger.info("job %s cancelled", folder.name)
        return
    except Exception as error:  # reported on the page, and logged with its traceback here
        logger.exception("job %s failed", folder.name)
        _write(folder / _FAILED, f"{type(error).__name__}: {error}")
        return
    (folder / _DONE).touch()
