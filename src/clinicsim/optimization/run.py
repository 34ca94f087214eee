"""``clinicsim optimize``'s work: load the optimization file, search, select with a guarantee, write the winners.

The finalists are written as scenario files that extend the base (``write_plans``): each says only what its plan
changes, so ``clinicsim compare BASE plan_1.yaml ...`` checks them on days of its own.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from clinicsim.optimization.search import SearchProgress, SearchResult, read_days, search
from clinicsim.optimization.select import Finalists, select
from clinicsim.optimization.spec import OptimizeSpec, load_optimization, plan_changes
from clinicsim.scenario import Scenario
from clinicsim.scenario.variant_files import variant_yaml as variant_file
from clinicsim.statistics import summarize

logger = logging.getLogger(__name__)


@dataclass
class Optimization:
    """A search and its selection: the plans tried, the finalists, the chosen plan and what is guaranteed."""

    spec: OptimizeSpec
    base: Scenario
    base_path: Path
    search: SearchResult
    finalists: Finalists
    files: list[Path] = field(default_factory=list)

    @property
    def best(self) -> int:
        return self.finalists.best

    def summary(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per finalist and kept KPI, on all its days: mean, sd, n (days) and the confidence interval; with the
        finalist's name and whether it is the chosen plan."""
        days = read_days(self.search.store)
        rows = []
        for plan, row in self.finalists.plans.iterrows():
            mine = days[days["point"] == plan].drop(columns=["point", "replication"])
            table = summarize(mine.assign(replication=range(len(mine))), confidence=confidence)
            rows.append(table.assign(plan=plan, name=row["name"], chosen=plan == self.best).reset_index())
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def lines(self) -> list[str]:
        """A short account for the command line."""
        trials, plans = self.search.trials, self.search.plans()
        out = [
            f"search: {len(trials)} trials, {len(plans)} plans simulated ({int(plans['feasible'].sum())} feasible on "
            f"the search's days), {len(self.search.days):,} days",
            f"finalists: {', '.join(self.finalists.plans['name'])}",
            self.finalists.sentence,
        ]
        chosen = self.finalists.verdicts[self.finalists.verdicts["plan"] == self.best]
        out += [f"  {sentence}" for sentence in chosen["sentence"]]
        if self.files:
            out.append(f"written: {', '.join(str(p) for p in self.files)}")
            out.append(f"check the chosen plan on days it was not chosen on: clinicsim compare {self.base_path} "
                       f"{self.files[0]} --seed {self.fresh_seed}")  # fmt: skip
        return out

    @property
    def fresh_seed(self) -> int:
        """A seed whose days the search and the selection did not use (a plan is flattered by the days it was
        chosen on)."""
        return self.spec.seed + 1


def optimize(
    spec_path: str | Path,
    store: str | Path,
    *,
    out: str | Path | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    new: bool = False,
    progress: SearchProgress | None = None,
) -> Optimization:
    """Search the plans of the optimization file at ``spec_path`` into ``store`` (resuming it if it holds this
    optimization), select among the finalists with the file's guarantee, and with ``out`` write there the finalists
    as scenario files (``write_plans``) and the report (``optimization_report.html`` with its CSVs)."""
    spec, base = load_optimization(spec_path)
    base_path = (Path(spec_path).resolve().parent / spec.base).resolve()
    searched = search(spec, base, store, executor=executor, workers=workers, new=new, progress=progress)
    chosen = select(searched, base, executor=executor, workers=workers)
    result = Optimization(spec, base, base_path, searched, chosen)
    if out is not None:
        from clinicsim.reports.optimization import write_optimization_report

        result.files = write_plans(result, Path(out))
        result.files.append(write_optimization_report(result, out))
    return result


def write_plans(result: Optimization, out: Path) -> list[Path]:
    """Each finalist as a scenario file extending the base (``plan_<store index>.yaml``; the chosen one first),
    saying only what the plan changes."""
    out.mkdir(parents=True, exist_ok=True)
    order = sorted(result.finalists.plans.index, key=lambda plan: plan != result.best)
    written = []
    for plan in order:
        row = result.finalists.plans.loc[plan]
        path = out / f"plan_{int(plan)}.yaml"
        path.write_text(variant_yaml(result, dict(row["params"]), str(row["name"]), path, chosen=plan == result.best))
        written.append(path)
    return written


def variant_yaml(result: Optimization, params: dict[str, Any], name: str, path: Path, *, chosen: bool) -> str:
    """A scenario file extending the base with one plan's changes (``clinicsim.scenario.variant_files``)."""
    spec, base = result.spec, result.base
    return variant_file(
        base,
        os.path.relpath(result.base_path, path.parent.resolve()),
        plan_changes(spec, params),
        name=f"{base.name} [{name}]",
        description=("Chosen" if chosen else "A finalist")
        + f" by clinicsim optimize ({spec.name}). "
        + result.finalists.sentence,
    )
