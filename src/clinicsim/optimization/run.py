"""``clinicsim optimize``'s work: load the optimization file, search, select with a guarantee, write the winners.

The finalists are written as scenario files that extend the base (``write_plans``): each says only what its plan
changes, so ``clinicsim compare BASE plan_1.yaml ...`` checks them on days of its own.
"""

from __future__ import annotations

import io
import logging
import os
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from ruamel.yaml import YAML

from clinicsim.optimization.search import SearchProgress, SearchResult, read_days, search
from clinicsim.optimization.select import Finalists, select
from clinicsim.optimization.spec import OptimizeSpec, load_optimization, plan_changes
from clinicsim.scenario import Scenario
from clinicsim.scenario.changes import APPEND, resolve_path
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
    """A scenario file extending the base with one plan's changes (a setting the plan leaves as the base has it is
    not written). A change inside a list item (a staff group by name) writes that list whole, as the file format
    merges mappings key by key but replaces lists."""
    spec, base = result.spec, result.base
    after = base.with_changes(plan_changes(spec, params))
    changed = after.model_dump(mode="json", exclude_defaults=True)
    base_data, after_data = base.model_dump(mode="json"), after.model_dump(mode="json")
    document: dict[str, Any] = {
        "extends": os.path.relpath(result.base_path, path.parent.resolve()),
        "name": f"{base.name} [{name}]",
        "description": ("Chosen" if chosen else "A finalist")
        + f" by clinicsim optimize ({spec.name}). "
        + result.finalists.sentence,
    }
    for dotted, value in plan_changes(spec, params).items():
        if not _same(base_data, after_data, dotted):
            _put(document, base_data, changed, dotted, value)
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()


def _put(document: dict, base_data: dict, changed: dict, dotted: str, value: Any) -> None:
    """Write one change into ``document``: nested mappings down to the setting, or the whole list the path runs
    through, or an append (``staff+``) as it is."""
    parts = dotted.split(".")
    if parts[-1].endswith(APPEND):
        if value not in (None, []):
            _nested(document, parts[:-1])[parts[-1]] = value
        return
    keys = resolve_path(base_data, dotted)
    node_base: Any = base_data
    for depth, key in enumerate(keys):
        if isinstance(node_base, list):  # the path runs through a list: write that list whole
            _nested(document, parts[: depth - 1])[parts[depth - 1]] = _at(changed, parts[:depth])
            return
        node_base = node_base.get(key) if isinstance(node_base, dict) else None
    _nested(document, parts[:-1])[parts[-1]] = value


def _same(base_data: dict, after_data: dict, dotted: str) -> bool:
    """Whether the setting at ``dotted`` is the base's own in the plan (an append of nothing included)."""
    if dotted.endswith(APPEND):
        return False
    keys = resolve_path(base_data, dotted)
    if len(keys) < len(dotted.split(".")):
        return False  # not in the base: set by the plan
    before, after = base_data, after_data
    for key in keys:
        before, after = before[key], after[key]
    return before == after


def _nested(document: dict, parts: list[str]) -> dict:
    node = document
    for part in parts:
        node = node.setdefault(part, {})
    return node


def _at(data: dict, parts: list[str]) -> Any:
    node: Any = data
    for part in parts:
        node = node[part]
    return node
