"""Comparisons in the web app: each plan's days simulated as a job of its own, the comparison put together after.

A plan's days depend only on its scenario, the number of days and the seed, so that is the job's key: a plan
already simulated (the baseline, when only a variant changed) costs nothing, plans run side by side on the
worker processes, and the comparison is the one ``clinicsim.compare`` gives for the same plans, days and seed
(common random numbers: every plan's day k uses the same streams).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clinicsim.app.jobs import Jobs, JobStatus, Progress, job_key, read_pickle, write_pickle
from clinicsim.comparison import Comparison
from clinicsim.experiment import Results, simulate
from clinicsim.scenario import Scenario

if TYPE_CHECKING:
    from clinicsim.reports.page import Figure

RESULTS_FILE = "results.pickle"
REPORT_FOLDER = "report"
FIGURES_FILE = "figures.pickle"


def plan_key(scenario: Scenario, days: int, seed: int) -> str:
    """The key of one plan's simulated days: a hash of the scenario's every setting, the days and the seed."""
    return job_key("plan", scenario.model_dump(mode="json"), days, seed)


def simulate_plan(folder: Path, progress: Progress, *, scenario: dict, days: int, seed: int) -> None:
    """Job task: ``days`` clinic days of the scenario (its settings as JSON data), kept as ``results.pickle``."""
    results = simulate(Scenario.model_validate(scenario), replications=days, seed=seed, progress=progress)
    write_pickle(folder / RESULTS_FILE, results)


@dataclass(frozen=True)
class ComparisonRun:
    """A comparison asked for: plan name -> the key of its simulated days, the baseline first."""

    plans: tuple[tuple[str, str], ...]
    days: int
    seed: int

    @property
    def key(self) -> str:
        return job_key("comparison", self.plans, self.days, self.seed)

    @property
    def baseline(self) -> str:
        return self.plans[0][0]


def start_comparison(
    jobs: Jobs, plans: Mapping[str, Scenario], *, days: int, seed: int, owner: str = ""
) -> ComparisonRun:
    """Submit each plan's days (the first plan is the baseline) for ``owner`` (a tab); plans already simulated are
    not run again."""
    run = ComparisonRun(tuple((name, plan_key(s, days, seed)) for name, s in plans.items()), days, seed)
    for (_, key), scenario in zip(run.plans, plans.values()):
        jobs.submit(key, simulate_plan, owner=owner, scenario=scenario.model_dump(mode="json"), days=days, seed=seed)
    return run


def comparison_status(jobs: Jobs, run: ComparisonRun) -> JobStatus:
    """The comparison's state over its plans' jobs: days simulated of all plans' days, and the first failure."""
    statuses = [jobs.status(key) for _, key in run.plans]
    done = sum(s.total if s.state == "done" else s.done for s in statuses)
    total = run.days * len(run.plans)
    for state in ("failed", "cancelled", "interrupted", "missing", "running", "queued"):
        if any(s.state == state for s in statuses):
            message = next((s.message for s in statuses if s.message), "")
            return JobStatus(state, done, total, message)
    return JobStatus("done", total, total)


def cancel_comparison(jobs: Jobs, run: ComparisonRun, *, owner: str = "") -> None:
    """``owner`` gives up the comparison: each plan's job stops unless another tab still wants it."""
    for _, key in run.plans:
        jobs.cancel(key, owner=owner)


def load_comparison(jobs: Jobs, run: ComparisonRun) -> Comparison:
    """The finished comparison (every plan's job done), as ``clinicsim.compare`` makes it."""
    results: dict[str, Results] = {}
    for name, key in run.plans:
        results[name] = read_pickle(jobs.path(key) / RESULTS_FILE)
    return Comparison(results=results, baseline=run.baseline, crn=True, seed=run.seed)


def write_comparison_report(
    folder: Path, progress: Progress, *, plan_folders: list[tuple[str, str]], seed: int
) -> None:
    """Job task: ``report.html`` and the CSVs of a finished comparison (plan name, folder of its days), and its
    figures (``figures.pickle``: the report's, drawn once, for the page too)."""
    from clinicsim.reports.comparison import figures, write_report

    results = {name: read_pickle(Path(path) / RESULTS_FILE) for name, path in plan_folders}
    comparison = Comparison(results=results, baseline=plan_folders[0][0], crn=True, seed=seed)
    progress(0, 2)
    drawn = figures(comparison)
    write_pickle(folder / FIGURES_FILE, drawn)
    progress(1, 2)
    write_report(comparison, folder / REPORT_FOLDER, drawn=drawn)
    progress(2, 2)


def load_figures(jobs: Jobs, report_key: str) -> list[Figure]:
    """The figures of a finished report job (title, caption, PNG)."""
    return read_pickle(jobs.path(report_key) / FIGURES_FILE)


def start_report(jobs: Jobs, run: ComparisonRun) -> str:
    """Submit the report of a finished comparison; its key (the report is in ``jobs.path(key) / "report"``)."""
    key = job_key("report", run.key)
    folders = [(name, str(jobs.path(plan))) for name, plan in run.plans]
    jobs.submit(key, write_comparison_report, plan_folders=folders, seed=run.seed)
    return key
