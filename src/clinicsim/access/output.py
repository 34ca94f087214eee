"""The files of an access run: CSV tables, figures, provenance and the HTML report, in one directory (one folder per
plan when compared)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from clinicsim.access import AccessResults
from clinicsim.access.tables import lead_time_distribution, no_shows_by_lead_time
from clinicsim.comparison import Comparison

logger = logging.getLogger(__name__)


def _folder_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "plan"


def write_results(results: AccessResults, out: Path) -> list[Path]:
    """Write one plan's tables and provenance to ``out``; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "summary.csv": results.summary(),
        "kpis.csv": results.kpis.set_index("replication"),
        "requests.csv": results.requests.set_index("replication"),
        "bookings.csv": results.bookings.set_index("replication"),
        "third_next_available.csv": results.measures.set_index("replication"),
        "weekly.csv": results.weekly().set_index("week"),
        "lead_times.csv": lead_time_distribution(results),
        "no_shows_by_lead_time.csv": no_shows_by_lead_time(results),
    }
    if results.days is not None:
        tables["days.csv"] = results.days.set_index("replication")
    written = []
    for name, table in tables.items():
        table.to_csv(out / name)
        written.append(out / name)
    (out / "provenance.json").write_text(json.dumps(results.provenance, indent=2) + "\n")
    return [*written, out / "provenance.json"]


def write_access_outputs(outcome: AccessResults | Comparison, out: Path) -> Path:
    """Write an access run's files (a comparison: its summary and differences, and each plan in a folder of its
    own), each plan's figures as PNG (``tnaa_backlog.png``, ``lead_times.png``, ``demand_capacity.png``; a
    comparison also ``access_differences.png``) and the HTML report ``report.html``; the directory."""
    from clinicsim.reports.access import access_figures, write_access_report

    out.mkdir(parents=True, exist_ok=True)
    folders: dict[str | None, Path] = {None: out}
    if isinstance(outcome, AccessResults):
        write_results(outcome, out)
        folders[outcome.scenario.name] = out
    else:
        outcome.summary().to_csv(out / "summary.csv")
        outcome.differences().to_csv(out / "differences.csv")
        for name, results in outcome.results.items():
            folders[name] = out / _folder_name(name)
            write_results(results, folders[name])  # type: ignore[arg-type]
    figures = access_figures(outcome, every_plan=True)  # drawn once: the PNG files and the report's
    for figure in figures:
        (folders[figure.plan] / figure.file).write_bytes(figure.png())
    write_access_report(outcome, out, figures=figures)
    logger.info("access tables, figures and report written to %s", out)
    return out
