"""Explore in the web app, beyond sweeps: booking over weeks, the work between visits, and calibration.

Each is the library's own work run as a job (``app.jobs``) into its folder: access is ``simulate_access`` and its
plots, the work between visits ``work_plots`` over days simulated as Compare simulates them
(``runs.simulate_plan``, so the days are shared), a calibration ``calibration.output.run_calibration``, which
writes ``calibration.html`` and ``calibrated.yaml``. Each job's key is a hash of what its result depends on, so
asking again is instant. Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from clinicsim.app.jobs import Jobs, Progress, job_key, read_pickle, write_pickle
from clinicsim.app.runs import RESULTS_FILE, plan_key, simulate_plan
from clinicsim.app.stores import figure_of
from clinicsim.scenario import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from clinicsim.access import AccessResults
    from clinicsim.experiment import Results

ACCESS_FILE = "access.pickle"
CALIBRATION_SUMMARY = "summary.json"
CALIBRATION_PROBLEM = "problem.txt"
CALIBRATION_REPORT = "calibration.html"
CALIBRATED_FILE = "calibrated.yaml"


# -- access and work between visits -------------------------------------------------------------------------


def access_key(scenario: Scenario, *, weeks: int, warm_up: int, replications: int, seed: int) -> str:
    return job_key("explore access", scenario.model_dump(mode="json"), weeks, warm_up, replications, seed)


def simulate_access_view(
    folder: Path, progress: Progress, *, scenario: dict, weeks: int, warm_up: int, replications: int, seed: int
) -> None:
    """Job task: ``replications`` runs of booking ``weeks`` weeks after ``warm_up`` (``simulate_access``), kept as
    ``access.pickle``."""
    from clinicsim.access import simulate_access

    results = simulate_access(Scenario.model_validate(scenario), weeks=weeks, warm_up=warm_up,
                              replications=replications, seed=seed, progress=progress)  # fmt: skip
    write_pickle(folder / ACCESS_FILE, results)


def start_access(jobs: Jobs, scenario: Scenario, *, weeks: int, warm_up: int, replications: int, seed: int) -> str:
    """Submit the access runs of ``scenario`` (it needs an ``access:`` section); their key."""
    key = access_key(scenario, weeks=weeks, warm_up=warm_up, replications=replications, seed=seed)
    jobs.submit(key, simulate_access_view, scenario=scenario.model_dump(mode="json"), weeks=weeks, warm_up=warm_up,
                replications=replications, seed=seed)  # fmt: skip
    return key


def load_access(folder: Path) -> AccessResults:
    return read_pickle(folder / ACCESS_FILE)


def access_table(results: AccessResults) -> pd.DataFrame:
    """Each access KPI's mean with its 95% interval over the runs (``AccessResults.summary``)."""
    summary = results.summary()
    return summary[[c for c in ("label", "unit", "mean", "ci_low", "ci_high", "n") if c in summary.columns]]


def access_figures(results: AccessResults) -> list[tuple[str, Figure]]:
    """(title, figure) of ``access.plots``: third-next-available and backlog over weeks, lead times, demand
    against capacity by weekday."""
    from clinicsim.access import plots

    return [
        ("Third-next-available and backlog over the weeks", plots.tnaa_and_backlog_over_weeks(results)),
        ("How long requests wait for their appointment", plots.lead_time_distribution_plot(results)),
        ("Demand against capacity by weekday", plots.demand_vs_capacity_by_weekday(results)),
    ]


def start_work_days(jobs: Jobs, scenario: Scenario, *, days: int, seed: int) -> str:
    """Submit ``days`` clinic days of ``scenario`` as Compare simulates a plan (shared with it); their key."""
    key = plan_key(scenario, days, seed)
    jobs.submit(key, simulate_plan, scenario=scenario.model_dump(mode="json"), days=days, seed=seed)
    return key


def load_days(folder: Path) -> Results:
    return read_pickle(folder / RESULTS_FILE)


def work_figures(results: Results) -> list[tuple[str, Figure]]:
    """(title, figure) of ``work_plots``: open items over the day and response times against targets."""
    from clinicsim import work_plots

    return [
        ("Work waiting over the day", figure_of(work_plots.plot_open_items(results))),
        ("How fast work is done", figure_of(work_plots.plot_response_times(results))),
    ]


def work_table(results: Results) -> pd.DataFrame:
    """Minutes of work per simulated day by stream and role (``work_plots.work_shares``)."""
    from clinicsim import work_plots

    return work_plots.work_shares(results)


# -- calibration ----------------------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (an export may be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def calibration_key(export: Path, base: Scenario | None, *, holdout: float, replications: int, seed: int) -> str:
    base_data = base.model_dump(mode="json") if base is not None else None
    return job_key("explore calibration", file_digest(export), base_data, holdout, replications, seed)


def calibrate_export(
    folder: Path,
    progress: Progress,
    *,
    export: str,
    base: dict | None,
    holdout: float,
    replications: int,
    seed: int,
    source: str,
) -> None:
    """Job task: calibrate the visit export at ``export`` into ``base`` (a scenario's settings; None: inferred from
    the export) and back-test it (``run_calibration``): ``calibration.html``, ``calibrated.yaml`` and the CSVs in
    ``folder``, and ``summary.json`` (the account ``clinicsim calibrate`` prints). An export that cannot be read,
    or whose templates cannot be inferred, is said in ``problem.txt`` (the job itself succeeds)."""
    from clinicsim.calibration.export import ExportError, read_visits
    from clinicsim.calibration.infer import CannotInfer
    from clinicsim.calibration.output import run_calibration

    progress(0, 1)
    try:
        visits = read_visits(export)
        scenario = Scenario.model_validate(base) if base is not None else None
        run = run_calibration(visits, scenario, folder, holdout=holdout, replications=replications, seed=seed,
                              source=source)  # fmt: skip
    except (ExportError, CannotInfer) as error:
        (folder / CALIBRATION_PROBLEM).write_text(str(error).replace(str(Path(export).parent) + "/", ""))
        return
    lines = [line for line in run.lines() if not line.startswith("written to ")]  # the server's folders: not said
    (folder / CALIBRATION_SUMMARY).write_text(json.dumps(lines))
    progress(1, 1)


def start_calibration(
    jobs: Jobs, export: Path, base: Scenario | None, *, holdout: float, replications: int, seed: int
) -> str:
    """Submit the calibration of the uploaded ``export`` (inside the workspace's uploads); its key."""
    key = calibration_key(export, base, holdout=holdout, replications=replications, seed=seed)
    jobs.submit(key, calibrate_export, export=str(export), base=base.model_dump(mode="json") if base else None,
                holdout=holdout, replications=replications, seed=seed, source=export.name)  # fmt: skip
    return key


@dataclass(frozen=True)
class CalibrationOutcome:
    """A finished calibration job: the problem that stopped it, or its account, tables and files."""

    problem: str | None
    lines: list[str]
    data_problems: pd.DataFrame
    """One row per kind of data problem: sentence, rows (``problems.csv``)."""
    backtest: pd.DataFrame
    """The back-test's verdict per KPI (``backtest_summary.csv``)."""
    report: Path | None
    scenario_file: Path | None


def calibration_outcome(folder: Path) -> CalibrationOutcome:
    """What a finished calibration job left in ``folder``."""
    problem = folder / CALIBRATION_PROBLEM
    if problem.exists():
        return CalibrationOutcome(problem.read_text(), [], pd.DataFrame(), pd.DataFrame(), None, None)
    summary = folder / CALIBRATION_SUMMARY
    lines = json.loads(summary.read_text()) if summary.exists() else []
    return CalibrationOutcome(
        None,
        lines,
        _csv(folder / "problems.csv"),
        _csv(folder / "backtest_summary.csv"),
        _existing(folder / CALIBRATION_REPORT),
        _existing(folder / CALIBRATED_FILE),
    )


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.exists() and path.stat().st_size else pd.DataFrame()


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None
