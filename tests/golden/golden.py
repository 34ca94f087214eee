"""Golden results of the bundled scenarios: every KPI of a few days, written as exact floats, and a SHA-256 of
every table of each day's event log."""

from __future__ import annotations

import hashlib
from pathlib import Path

import clinicsim

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLDEN_FILE = HERE / "golden_results.json"
SEED = 20261128
REPLICATIONS = 4
TABLES = ("patients", "events", "resources", "providers")


def _table_digest(frame) -> str:
    """SHA-256 of a table's exact values (floats as their hex form, so nothing is rounded)."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    for row in frame.itertuples(index=False):
        digest.update("|".join(v.hex() if isinstance(v, float) else repr(v) for v in row).encode())
    return digest.hexdigest()


def golden_results() -> dict[str, dict]:
    """Per bundled scenario: each KPI of each day as a float's hex form, and digests of the event-log tables."""
    out = {}
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        results = clinicsim.simulate(path, replications=REPLICATIONS, seed=SEED)
        kpis = {
            name: [float(v).hex() for v in results.kpis[name]] for name in results.kpis.columns if name != "replication"
        }
        tables = {name: _table_digest(getattr(results, name)) for name in TABLES}
        if results.scenario.work:  # the work between visits, where a scenario has some
            tables["work"] = _table_digest(results.work)
        out[path.name] = {"kpis": kpis, "tables": tables}
    return out
