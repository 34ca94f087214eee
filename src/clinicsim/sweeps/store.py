"""The sweep result store: one SQLite file in WAL mode that loses nothing.

Tables: ``meta`` (the spec, its hash, the package version), ``points`` (index, name, factor values as JSON,
scenario hash) and ``results`` (one row per finished (point, replication) with one column per kept KPI). Only
the sweep's parent process writes, one transaction per finished chunk, so a sweep killed at any moment (SIGKILL
included) leaves every chunk either wholly stored or not at all; the rows present are the ledger of what is done.
Readers (``open_sweep``) may read while a sweep is running.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from clinicsim import __version__
from clinicsim.statistics import summarize
from clinicsim.sweeps.spec import SweepPoint, SweepSpec


class StoreMismatch(ValueError):
    """The store holds another sweep's results."""


def _connect(path: str | Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), timeout=60, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def _column(kpi: str) -> str:
    return '"' + kpi.replace('"', "") + '"'


class ResultStore:
    """The writer side: created or reopened by a sweep's parent process."""

    def __init__(
        self, path: str | Path, spec: SweepSpec, points: list[SweepPoint], spec_hash: str, *, new: bool
    ) -> None:
        self.path = Path(path)
        self.kpis = spec.kept_kpis
        if new and self.path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
        self.connection = _connect(self.path)
        stored = self._meta("spec_hash")
        if stored is None:
            self._create(spec, points, spec_hash)
        elif stored != spec_hash:
            self.connection.close()
            raise StoreMismatch(
                f"{self.path} holds the results of a different sweep (its spec or a point's scenario changed); "
                "use --new to start over, or another --store"
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

    def done(self) -> set[tuple[int, int]]:
        """The (point, replication) pairs already stored."""
        return set(self.connection.execute("SELECT point, replication FROM results").fetchall())

    def write(self, point: int, rows: Iterable[tuple[int, dict[str, float]]]) -> None:
        """Store one finished chunk of a point in a single transaction."""
        placeholders = ", ".join("?" for _ in range(len(self.kpis) + 2))
        values = [(point, r, *[_real(kpis.get(k)) for k in self.kpis]) for r, kpis in rows]
        with self.connection:
            self.connection.execute("BEGIN")
            self.connection.executemany(f"INSERT INTO results VALUES ({placeholders})", values)

    def close(self) -> None:
        self.connection.close()


def _real(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


class SweepResults:
    """The reader side: a sweep's results as pandas DataFrames (also while it is still running)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no sweep store at {self.path}")

    def _read(self, query: str) -> pd.DataFrame:
        connection = _connect(self.path)
        try:
            return pd.read_sql_query(query, connection)
        finally:
            connection.close()

    @property
    def spec(self) -> SweepSpec:
        meta = self._read("SELECT key, value FROM meta").set_index("key")["value"]
        return SweepSpec.model_validate(json.loads(meta["spec"]))

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


def open_sweep(path: str | Path) -> SweepResults:
    """Open a sweep's result store for reading."""
    return SweepResults(path)
