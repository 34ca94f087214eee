"""Compare plans before changing anything: the same days under each plan, and paired differences.

Every scenario of a comparison is simulated on the same (seed, replication) pairs. A patient of replication r
then has the same draws under every plan (common random numbers), so the difference between two plans on day r
is the effect of the plan, not of luck; its mean over days gets a paired Student-t interval, which is much
narrower than comparing two independent sets of days. ``crn=False`` gives each scenario independent streams (and
Welch intervals), to show what common random numbers buy.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from clinicsim.experiment import DEFAULT_SEED, Progress, Results, simulate
from clinicsim.metrics import find_metric, stage_label, wait_by_stage
from clinicsim.precision import DEFAULT_PRECISION_KPIS, Advice, PrecisionTarget, replicate_until
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.statistics import paired_difference, summarize, welch_difference
from clinicsim.streams import independent_seed

logger = logging.getLogger(__name__)


@dataclass
class Comparison:
    """Several plans simulated on shared days: per-plan summaries and differences against a baseline."""

    results: dict[str, Results]
    baseline: str
    crn: bool
    seed: int
    advice: Advice | None = None
    _tables: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    """Summaries, differences and attributions already computed, by (table, confidence); a report asks often."""

    def _memo(self, table: str, confidence: float, make) -> pd.DataFrame:
        key = (table, confidence)
        if key not in self._tables:
            self._tables[key] = make()
        return self._tables[key].copy()

    @property
    def scenarios(self) -> list[str]:
        return list(self.results)

    def pairing_warnings(self) -> list[str]:
        """Plans that differ from the baseline in more than settings (other providers, visit types or walk-in
        streams): their patients are the same only where both plans have them, so pairing says less."""
        if not self.crn:
            return []
        base = self.results[self.baseline].scenario
        warnings = []
        for name in self.scenarios:
            other = self.results[name].scenario
            differ = [
                what
                for what, mine, theirs in (
                    ("providers", [p.name for p in base.providers], [p.name for p in other.providers]),
                    ("visit types", list(base.visit_types), list(other.visit_types)),
                    ("walk-in streams", [w.name for w in base.walk_ins], [w.name for w in other.walk_ins]),
                )
                if sorted(mine) != sorted(theirs)
            ]
            if name != self.baseline and differ:
                warnings.append(
                    f"{name!r} and {self.baseline!r} have different {' and '.join(differ)}: their patients are the "
                    "same only where both plans have them, so the paired differences say less than for one clinic "
                    "with a few settings changed"
                )
        return warnings

    @property
    def replications(self) -> int:
        return self.results[self.baseline].replications

    @property
    def kpis(self) -> pd.DataFrame:
        """One row per scenario and replication, one column per KPI."""
        return pd.concat(
            [r.kpis.assign(scenario=name) for name, r in self.results.items()], ignore_index=True
        ).set_index(["scenario", "replication"])

    def summary(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per scenario and KPI: mean, sd, n and the confidence interval over replications."""
        return self._memo(
            "summary",
            confidence,
            lambda: pd.concat(
                {name: r.summary(confidence=confidence) for name, r in self.results.items()}, names=["scenario"]
            ),
        )

    def differences(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per non-baseline scenario and KPI: mean difference from the baseline, its interval, and whether the
        interval excludes zero (paired under common random numbers, Welch otherwise)."""
        return self._memo("differences", confidence, lambda: self._differences(confidence))

    def _differences(self, confidence: float) -> pd.DataFrame:
        base = self.results[self.baseline].kpis.set_index("replication")
        rows = []
        for name, results in self.results.items():
            if name == self.baseline:
                continue
            other = results.kpis.set_index("replication")
            for kpi in [c for c in base.columns if c in other.columns]:
                if self.crn:
                    aligned = pd.concat([base[kpi], other[kpi]], axis=1, join="inner")
                    stat = paired_difference(
                        aligned.iloc[:, 0].to_numpy(), aligned.iloc[:, 1].to_numpy(), confidence=confidence
                    )
                else:
                    stat = welch_difference(base[kpi].to_numpy(), other[kpi].to_numpy(), confidence=confidence)
                metric = find_metric(kpi)
                rows.append(
                    {
                        "scenario": name,
                        "kpi": kpi,
                        "label": metric.label if metric else kpi,
                        "unit": metric.unit if metric else "",
                        "baseline_mean": base[kpi].mean(),
                        "scenario_mean": other[kpi].mean(),
                        **stat,
                        "excludes_zero": bool(stat["ci_low"] > 0 or stat["ci_high"] < 0),
                        "method": "paired" if self.crn else "welch",
                    }
                )
        return pd.DataFrame(rows).set_index(["scenario", "kpi"])

    def wait_attribution(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """Per scenario and stage: mean minutes of waiting per seen patient, with its interval and share."""
        return self._memo(
            "waits",
            confidence,
            lambda: pd.concat(
                {name: wait_attribution(r, confidence=confidence) for name, r in self.results.items()},
                names=["scenario"],
            ),
        )


def wait_attribution(results: Results, *, confidence: float = 0.95) -> pd.DataFrame:
    """Where one scenario's waiting happens: per stage, mean minutes per seen patient, interval and share."""
    per_day = pd.DataFrame([wait_by_stage(log) for log in results.logs])
    summary = summarize(per_day, confidence=confidence)[["mean", "ci_low", "ci_high", "half_width", "n"]]
    summary.index.name = "stage"
    summary.insert(0, "label", [stage_label(s) for s in summary.index])
    total = summary["mean"].sum()
    summary["share"] = summary["mean"] / total if total > 0 else math.nan
    return summary


def _named(scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path]) -> dict[str, Scenario]:
    """Scenarios by name (a sequence is named by each scenario's own name, made unique)."""
    items = scenarios.items() if isinstance(scenarios, Mapping) else [(None, s) for s in scenarios]
    named: dict[str, Scenario] = {}
    for name, scenario in items:
        loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        key = name or loaded.name
        suffix = 2
        while key in named:
            key, suffix = f"{name or loaded.name} ({suffix})", suffix + 1
        named[key] = loaded
    if len(named) < 2:
        raise ValueError("a comparison needs at least two scenarios")
    return named


def compare(
    scenarios: Mapping[str, Scenario | str | Path] | Sequence[Scenario | str | Path],
    *,
    replications: int = 30,
    seed: int = DEFAULT_SEED,
    baseline: str | None = None,
    crn: bool = True,
    precision: float | None = None,
    precision_kpis: Sequence[str] = DEFAULT_PRECISION_KPIS,
    max_replications: int = 500,
    progress: Progress | None = None,
) -> Comparison:
    """Simulate each scenario on the same replications and compare them with the baseline (default: the first).

    With ``precision`` (e.g. 0.05), replications are added in batches until every ``precision_kpis`` interval is
    within that fraction of its mean in every scenario, up to ``max_replications``; ``replications`` is ignored.
    """
    named = _named(scenarios)
    baseline = baseline or next(iter(named))
    if baseline not in named:
        raise ValueError(f"unknown baseline {baseline!r} (scenarios: {', '.join(named)})")
    seeds = {name: seed if crn else independent_seed(seed, name) for name in named}
    results: dict[str, Results] = {}
    done_days = [0]

    def run_more(first: int, count: int) -> None:
        for name, scenario in named.items():

            def tick(done: int, total: int) -> None:
                done_days[0] += 1
                if progress is not None:
                    progress(done_days[0], planned[0])

            more = simulate(scenario, replications=count, seed=seeds[name], first_replication=first, progress=tick)
            results[name] = results[name].combined_with(more) if name in results else more

    advice = None
    if precision is None:
        planned = [replications * len(named)]
        run_more(0, replications)
    else:
        target = PrecisionTarget(precision, tuple(precision_kpis), max_replications=max_replications)
        planned = [max_replications * len(named)]
        advice = replicate_until(target, run_more=run_more, summaries=lambda: [r.summary() for r in results.values()])
        logger.info("replication advisor: %s", advice.describe())
    return Comparison(results=results, baseline=baseline, crn=crn, seed=seed, advice=advice)
