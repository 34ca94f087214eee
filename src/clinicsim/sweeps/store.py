"""The sweep result store: one SQLite file in WAL mode that loses nothing.

Tables: ``meta`` (the spec, its hash, the package version), ``points`` (index, name, factor values as JSON,
scenario hash) and ``results`` (one row per finished (point, replication) with one column per kept KPI). Only
the sweep's parent process writes, one transaction per finished chunk, so a sweep killed at any moment (SIGKILL
included) leaves every chunk either wholly stored or not at all; the rows present are the ledger of what is done.
Readers (``open_sweep``) may read while a sweep is running.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

try:
    import fcntl
except ImportError:  # not on Windows: stores are then not locked against a second writer
    fcntl = None  # type: ignore[assignment]

from clinicsim import __version__
from clinicsim.statistics import summarize
from clinicsim.sweeps.spec import SweepPoint, SweepSpec

logger = logging.getLogger(__name__)


class StoreError(ValueError):
    """A result store that cannot be used (damaged, in use, on a full disk, in a missing folder); ``str()`` says
    what to do. Finished chunks already stored are never lost."""


class StoreMismatch(StoreError):
    """The store holds another sweep's results."""


_NOT_A_STORE = "is not a clinicsim sweep store or is damaged ({reason}); use --new to discard it, or another --store"
_CANNOT_WRITE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")
"""SQLite's names (and their extended forms) for a store it cannot write, as opposed to one it cannot read."""


def _unusable(path: str | Path, error: sqlite3.Error | OSError) -> StoreError:
    """What a failure of the store at ``path`` means, and what to do about it."""
    name = getattr(error, "sqlite_errorname", "")
    reason = (error.strerror if isinstance(error, OSError) else None) or str(error)
    kept = "the chunks finished before are stored"
    if name == "SQLITE_FULL" or getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(
            f"{path}: the disk is full ({reason}); {kept}: free some space and run the same command again to resume"
        )
    if isinstance(error, OSError) or name.startswith(_CANNOT_WRITE):
        return StoreError(
            f"cannot write to {path} ({reason}); {kept}: make it writable and run the same command again to "
            "resume, or use another --store"
        )
    return StoreError(f"{path} " + _NOT_A_STORE.format(reason=reason))


def _connect(path: str | Path) -> sqlite3.Connection:
    """The writer's connection (WAL journal: readers never block it, a killed writer loses no committed chunk)."""
    try:
        connection = sqlite3.connect(str(path), timeout=60, isolation_level=None)
    except sqlite3.Error as error:
        raise _unusable(path, error) from None
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error as error:
        connection.close()
        raise _unusable(path, error) from None
    return connection


def _connect_to_read(path: Path) -> sqlite3.Connection:
    """A read-only connection: it changes nothing, so a finished store on read-only media can be read."""
    uri = path.resolve().as_uri()
    try:
        connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=60)
        try:
            connection.execute("SELECT name FROM sqlite_master LIMIT 1")
        except sqlite3.OperationalError:  # a WAL store whose folder cannot hold the shared-memory file
            connection.close()
            connection = _connect_immutable(path, uri)
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path} " + _NOT_A_STORE.format(reason=error)) from None
    return connection


def _connect_immutable(path: Path, uri: str) -> sqlite3.Connection:
    """A store in a folder nobody can write (read-only media): read as it is, if no write-ahead log holds part of
    it (a sweep stopped before it folded the log in)."""
    log = Path(f"{path}-wal")
    if log.exists() and log.stat().st_size > 0:
        raise StoreError(
            f"{path} cannot be read where it is: part of it is still in {log.name} beside it and its folder is "
            "read-only; copy both files to a writable folder and read them there"
        )
    connection = sqlite3.connect(f"{uri}?immutable=1", uri=True)
    connection.execute("SELECT name FROM sqlite_master LIMIT 1")
    return connection


class _Lock:
    """The writer's exclusive hold on a store: an flock on ``<store>.lock`` holding the writer's PID. The
    operating system lets go when the process ends, however it ends, so a killed sweep never blocks the next."""

    def __init__(self, store: Path) -> None:
        self.path = Path(f"{store.resolve()}.lock")
        try:
            self.file = open(self.path, "a+")  # noqa: SIM115 (held for the whole run)
        except OSError as error:
            raise StoreError(
                f"{store}: cannot write in its folder {store.parent} ({error.strerror or error})"
            ) from None
        try:
            self._take(store)
        except BaseException:
            self.file.close()
            raise

    def _take(self, store: Path) -> None:
        if fcntl is None:
            return
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "unknown"
            raise StoreError(
                f"{store} is in use by another sweep (process {holder}); wait for it to finish, or use another --store"
            ) from None
        try:
            self.file.seek(0)
            self.file.truncate()
            self.file.write(str(os.getpid()))
            self.file.flush()
        except OSError as error:
            raise _unusable(self.path, error) from None

    def release(self) -> None:
        """Let go of the store: unlocked explicitly, since a process forked while it was held (a pool's worker)
        shares the lock and would keep it after this one closes its file."""
        if fcntl is not None and not self.file.closed:
            fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def _column(kpi: str) -> str:
    return '"' + kpi.replace('"', "") + '"'


class ResultStore:
    """The writer side: created or reopened by a sweep's parent process."""

    def __init__(
        self, path: str | Path, spec: SweepSpec, points: list[SweepPoint], spec_hash: str, *, new: bool
    ) -> None:
        self.path = Path(path)
        self.kpis = spec.kept_kpis
        folder = self.path.parent
        if not folder.is_dir():
            raise StoreError(f"{self.path}: {folder} " + ("is not a folder" if folder.exists() else "does not exist"))
        self.lock = _Lock(self.path)
        try:
            self._open(spec, points, spec_hash, new=new)
        except BaseException:
            self.lock.release()
            raise

    def _open(self, spec: SweepSpec, points: list[SweepPoint], spec_hash: str, *, new: bool) -> None:
        if new:
            for suffix in ("", "-wal", "-shm"):
                try:
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                except OSError as error:
                    raise _unusable(self.path, error) from None
        self.connection = _connect(self.path)
        try:
            stored = self._meta("spec_hash")
            if stored is None:
                self._create(spec, points, spec_hash)
        except sqlite3.Error as error:
            self.connection.close()
            raise _unusable(self.path, error) from None
        if stored is not None and stored != spec_hash:
            self.connection.close()
            raise StoreMismatch(
                f"{self.path} holds the results of a different sweep or optimization (its file or a scenario "
                "changed); use --new to start over, or another --store"
            )

    def _meta(self, key: str) -> str | None:
        exists = self.connection.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
        if not exists:
            return None
        row = self.connection.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _create(self, spec: SweepSpec, points: list[SweepPoint], spec_hash: str) -> None:
        columns = ", ".join(f"{_column(k)} REAL" for k in self.kpis)
        with self.connection:
            self.connection.execute("BEGIN")
            self.connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            self.connection.execute(
                "CREATE TABLE points (point INTEGER PRIMARY KEY, name TEXT, factors TEXT, scenario_sha256 TEXT)"
            )
            key = "PRIMARY KEY (point, replication)"
            self.connection.execute(f"CREATE TABLE results (point INTEGER, replication INTEGER, {columns}, {key})")
            meta = {
                "spec": json.dumps(spec.model_dump(mode="json")),
                "kpis": json.dumps(self.kpis),
                "clinicsim_version": __version__,
                "replications": str(spec.replications),
                "seed": str(spec.seed),
            }
            self.connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            self.connection.executemany(
                "INSERT INTO points VALUES (?, ?, ?, ?)",
                [(p.point, p.name, json.dumps(p.factors), p.scenario.content_hash) for p in points],
            )
            # written last: a store is only recognised as this sweep's once it is complete
            self.connection.execute("INSERT INTO meta VALUES ('spec_hash', ?)", (spec_hash,))

    def add_points(self, points: list[SweepPoint]) -> None:
        """Record points met after the store was made (an optimization's plans, as its search proposes them), in
        one transaction; points already recorded are left as they are."""
        rows = [(p.point, p.name, json.dumps(p.factors), p.scenario.content_hash) for p in points]
        try:
            with self.connection:
                self.connection.execute("BEGIN")
                self.connection.executemany("INSERT OR IGNORE INTO points VALUES (?, ?, ?, ?)", rows)
        except sqlite3.OperationalError as error:
            raise _unusable(self.path, error) from None

    def done(self) -> set[tuple[int, int]]:
        """The (point, replication) pairs already stored."""
        return set(self.connection.execute("SELECT point, replication FROM results").fetchall())

    def write(self, point: int, rows: Iterable[tuple[int, dict[str, float]]]) -> None:
        """Store one finished chunk of a point in a single transaction."""
        placeholders = ", ".join("?" for _ in range(len(self.kpis) + 2))
        values = [(point, r, *[_real(kpis.get(k)) for k in self.kpis]) for r, kpis in rows]
        try:
            with self.connection:
                self.connection.execute("BEGIN")
                self.connection.executemany(f"INSERT INTO results VALUES ({placeholders})", values)
        except sqlite3.OperationalError as error:  # a full disk, a store moved away: the open transaction is undone
            raise _unusable(self.path, error) from None

    def close(self) -> None:
        """Fold the write-ahead log into the store and leave it one self-contained file (readable from read-only
        media); a reader still open keeps the log, which is then folded in at the next run."""
        try:
            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.connection.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError as error:
            logger.info("store %s stays in WAL mode: %s", self.path, error)
        finally:
            self.connection.close()
            self.lock.release()


def _real(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


class SweepResults:
    """The reader side: a sweep's results as pandas DataFrames (also while it is still running)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no sweep store at {self.path}")

    def _read(self, query: str) -> pd.DataFrame:
        connection = _connect_to_read(self.path)
        try:
            return pd.read_sql_query(query, connection)
        except (sqlite3.DatabaseError, pd.errors.DatabaseError) as error:
            reason = error.__cause__ or error  # pandas wraps SQLite's own message
            raise StoreError(f"{self.path} " + _NOT_A_STORE.format(reason=reason)) from None
        finally:
            connection.close()

    @property
    def spec(self) -> SweepSpec:
        meta = self._read("SELECT key, value FROM meta").set_index("key")["value"]
        if '"optimization"' in str(meta.get("spec", ""))[:20]:
            raise StoreError(
                f"{self.path} holds an optimization (clinicsim optimize), not a sweep: its plans and days are in "
                "points() and replications(), its report in clinicsim optimize --out"
            )
        try:
            return SweepSpec.model_validate(json.loads(meta["spec"]))
        except (KeyError, ValueError) as error:  # ValidationError, JSONDecodeError
            reason = error.errors()[0]["msg"] if isinstance(error, ValidationError) else repr(error)
            raise StoreError(
                f"{self.path}: its sweep spec cannot be read by this version of clinicsim ({reason})"
            ) from None

    @property
    def kpis(self) -> list[str]:
        meta = self._read("SELECT key, value FROM meta").set_index("key")["value"]
        return json.loads(meta["kpis"])

    def point_table(self) -> pd.DataFrame:
        """One row per point: index, name, scenario hash and one column per factor."""
        points = self._read("SELECT point, name, factors, scenario_sha256 FROM points ORDER BY point")
        factors = pd.DataFrame([json.loads(f) for f in points.pop("factors")], index=points.index)
        return pd.concat([points, factors], axis=1)

    def replications(self) -> pd.DataFrame:
        """One row per stored (point, replication): factor values and KPIs."""
        results = self._read("SELECT * FROM results ORDER BY point, replication")
        return self.point_table().drop(columns="scenario_sha256").merge(results, on="point", how="inner")

    def points(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per point and KPI: mean, sd, n and the confidence interval over its stored replications."""
        results = self._read("SELECT * FROM results ORDER BY point, replication")
        frames = {
            point: summarize(group.drop(columns="point"), confidence=confidence)
            for point, group in results.groupby("point")
        }
        if not frames:
            return pd.DataFrame()
        summary = pd.concat(frames, names=["point"]).reset_index()
        return self.point_table().drop(columns="scenario_sha256").merge(summary, on="point")


def is_complete(path: str | Path, spec_hash: str, replications_total: int) -> bool:
    """Whether the store at ``path`` already holds every replication of this sweep (read only: a finished store
    on read-only media needs no writer)."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        connection = _connect_to_read(path)
        try:
            stored = connection.execute("SELECT value FROM meta WHERE key='spec_hash'").fetchone()
            count = connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        finally:
            connection.close()
    except (StoreError, sqlite3.DatabaseError):
        return False
    return stored is not None and stored[0] == spec_hash and count == replications_total


def open_sweep(path: str | Path) -> SweepResults:
    """Open a sweep's result store for reading."""
    return SweepResults(path)
