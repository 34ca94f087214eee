"""Which change buys what: a plan that bundles several changes, split into them and measured one by one.

The catch-up redesign keeps a catch-up slot free, starts sessions on time after a huddle and adds a float MA.
``decompose(current, redesign)`` finds those changes in the two scenarios' settings and simulates, on the same
days as the plan (common random numbers):

- each change **alone** on the baseline: what it would buy by itself;
- the changes **added one at a time**, in order, up to the whole plan: what each adds to those before it.

The added-one-at-a-time effects sum exactly to the plan's difference from the baseline (day by day, so their
intervals are paired too). The effects alone sum to it only when the changes do not interact; the gap is reported
as the interaction, with its interval.

A change is a unit of settings an administrator would name: one entry of a section (a template, a visit type, the
clinic's rooms, the payer mix), one field of every item of a list (every provider's late start), an item added to
or removed from a list (a new staff group, a provider who leaves), or one top-level setting. A change that makes
no valid scenario on its own (a template that names a visit type another change adds) is reported as such and
measured only in the added-one-at-a-time order, together with the change after it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
from pydantic import ValidationError

from clinicsim.comparison import Comparison, compare
from clinicsim.experiment import DEFAULT_SEED, Progress
from clinicsim.metrics import find_metric
from clinicsim.scenario import Scenario
from clinicsim.scenario.changes import diff
from clinicsim.statistics import paired_difference

logger = logging.getLogger(__name__)

IGNORED = ("name", "description")
"""Settings that label a plan without changing it."""


@dataclass(frozen=True)
class Change:
    """One nameable change between two scenarios' settings (plain data, as ``Scenario.model_dump(mode="json")``)."""

    label: str
    """E.g. ``templates.fm_20``, ``providers: late_start_min``, ``staff: add MA float``."""
    operation: str
    """``set`` (a setting or section entry), ``fields`` (a field of every shared item), ``add`` or ``remove``."""
    key: tuple[str, ...]
    """The setting's path; for ``fields`` (list, field); for ``add``/``remove`` (list, item name)."""
    settings: tuple[tuple[str, Any, Any], ...]
    """Every (dotted path, before, after) the change makes."""

    def apply(self, data: dict, after: dict) -> None:
        """Make this change in ``data`` (in place), taking the new values from the plan's data ``after``."""
        if self.operation == "set":
            _set(data, after, self.key)
        elif self.operation == "fields":
            name, field = self.key
            new = {item["name"]: item for item in after[name]}
            for item in data[name]:
                if item["name"] in new:
                    _set(item, new[item["name"]], (field,))
        elif self.operation == "add":
            _insert_item(data, after, *self.key)
        else:
            data[self.key[0]] = [item for item in data[self.key[0]] if item["name"] != self.key[1]]


def _set(data: dict, after: dict, path: tuple[str, ...]) -> None:
    """``data`` at ``path`` becomes ``after``'s value there (or is removed where ``after`` has none)."""
    source, target = after, data
    for part in path[:-1]:
        source = source.get(part, {})
        target = target.setdefault(part, {})
    if path[-1] in source:
        target[path[-1]] = copy.deepcopy(source[path[-1]])
    else:
        target.pop(path[-1], None)


def _insert_item(data: dict, after: dict, name: str, item: str) -> None:
    """Add ``after``'s list item ``item`` to ``data``'s list ``name``, after the items that precede it there."""
    items = data.setdefault(name, [])
    order = [x["name"] for x in after[name]]
    before = set(order[: order.index(item)])
    position = max((i + 1 for i, x in enumerate(items) if x["name"] in before), default=0)
    items.insert(position, copy.deepcopy(after[name][order.index(item)]))


def _named_list(value: Any) -> TypeGuard[list[dict]]:
    return isinstance(value, list) and bool(value) and all(isinstance(x, dict) and "name" in x for x in value)


def _settings(before: Any, after: Any, prefix: str) -> tuple[tuple[str, Any, Any], ...]:
    return tuple((f"{prefix}.{path}" if path else prefix, a, b) for path, a, b in diff({"": before}, {"": after}))


def changes_between(before: dict, after: dict) -> list[Change]:
    """The changes that turn the settings ``before`` into ``after`` (plain data), in the order of the file."""
    changes = []
    for key in dict.fromkeys([*before, *after]):
        a, b = before.get(key), after.get(key)
        if key in IGNORED or a == b:
            continue
        if _named_list(a) and _named_list(b):
            changes += _list_changes(key, a, b)
        elif isinstance(a, dict) and isinstance(b, dict):
            changes += [
                Change(f"{key}.{sub}", "set", (key, sub), _settings(a.get(sub), b.get(sub), f"{key}.{sub}"))
                for sub in dict.fromkeys([*a, *b])
                if a.get(sub) != b.get(sub)
            ]
        else:
            changes.append(Change(key, "set", (key,), _settings(a, b, key)))
    return changes


def _list_changes(key: str, before: list[dict], after: list[dict]) -> list[Change]:
    """Items added and removed, and each field changed in the items both lists have."""
    old, new = {x["name"]: x for x in before}, {x["name"]: x for x in after}
    changes = [
        Change(f"{key}: add {name}", "add", (key, name), _settings(None, new[name], f"{key}.{name}"))
        for name in new
        if name not in old
    ]
    changes += [
        Change(f"{key}: remove {name}", "remove", (key, name), _settings(old[name], None, f"{key}.{name}"))
        for name in old
        if name not in new
    ]
    shared = [name for name in new if name in old]
    fields = dict.fromkeys(
        f for name in shared for f in [*old[name], *new[name]] if old[name].get(f) != new[name].get(f)
    )
    for field in fields:
        settings = sum(
            (_settings(old[n].get(field), new[n].get(field), f"{key}.{n}.{field}") for n in shared),
            (),
        )
        changes.append(Change(f"{key}: {field}", "fields", (key, field), settings))
    return changes


@dataclass(frozen=True)
class Step:
    """A scenario the decomposition simulates: the baseline with some of the changes made."""

    label: str
    changes: tuple[Change, ...]
    scenario: Scenario


@dataclass
class Decomposition:
    """A plan's difference from its baseline, split into its changes (see the module docstring)."""

    baseline: str
    plan: str
    changes: list[Change]
    comparison: Comparison
    """Every simulated scenario on the same days: the baseline, each change alone, each step of the order."""
    alone: dict[str, str]
    """Change label -> the comparison's scenario with only that change (changes not valid alone are missing)."""
    order: list[tuple[str, str]]
    """(label of the change or changes added, the comparison's scenario after adding them), ending at the plan."""
    not_alone: dict[str, str]
    """Change label -> why it makes no valid scenario on its own."""

    def _kpis(self, scenario: str) -> pd.DataFrame:
        return self.comparison.results[scenario].kpis.set_index("replication")

    def _difference(self, before: str, after: str, kpi: str, confidence: float) -> dict[str, float]:
        a, b = self._kpis(before), self._kpis(after)
        if kpi not in a or kpi not in b:
            return paired_difference(np.array([]), np.array([]), confidence=confidence)
        return paired_difference(a[kpi].to_numpy(), b[kpi].to_numpy(), confidence=confidence)

    def table(self, kpis: Sequence[str], *, confidence: float = 0.95) -> pd.DataFrame:
        """Per change and KPI: its effect alone and as added in order (mean difference, interval), plus rows
        ``all changes`` (the plan against the baseline) and ``interaction`` (all changes less the sum alone)."""
        base = self.comparison.baseline
        added = {}
        previous = base
        for label, scenario in self.order:
            added[label] = scenario, previous
            previous = scenario
        rows = []
        for kpi in kpis:
            metric = find_metric(kpi)
            about = {"kpi": kpi, "label": metric.label if metric else kpi, "unit": metric.unit if metric else ""}
            for change in self.changes:
                step = next(s for s in added if change.label in s.split(" + "))
                alone = self.alone.get(change.label)
                rows.append(
                    {
                        "change": change.label,
                        **about,
                        **_prefixed("alone", self._difference(base, alone, kpi, confidence) if alone else None),
                        **_prefixed("added", self._difference(added[step][1], added[step][0], kpi, confidence)),
                        "added_with": step,
                    }
                )
            total = self._difference(base, self.order[-1][1], kpi, confidence)
            rows.append({"change": "all changes", **about, **_prefixed("alone", total), **_prefixed("added", total)})
            interaction = self._interaction(kpi, confidence)
            rows.append(
                {"change": "interaction", **about, **_prefixed("alone", interaction), **_prefixed("added", None)}
            )
        return pd.DataFrame(rows).set_index(["change", "kpi"])

    def _interaction(self, kpi: str, confidence: float) -> dict[str, float] | None:
        """All changes together less the sum of each alone, day by day (None when a change is not valid alone)."""
        if self.not_alone:
            return None
        base = self._kpis(self.comparison.baseline)
        if kpi not in base:
            return None
        alone_sum = sum(self._kpis(s)[kpi] - base[kpi] for s in self.alone.values())
        together = self._kpis(self.order[-1][1])[kpi] - base[kpi]
        return paired_difference(np.asarray(alone_sum, dtype=float), together.to_numpy(), confidence=confidence)


def _prefixed(prefix: str, stat: dict[str, float] | None) -> dict[str, float]:
    keys = ("difference", "ci_low", "ci_high", "half_width")
    return {f"{prefix}_{k}": (np.nan if stat is None else stat[k]) for k in keys}


def _valid(data: dict) -> tuple[Scenario | None, str]:
    try:
        return Scenario.model_validate(data), ""
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        return None, f"{'.'.join(map(str, first['loc']))}: {first['msg']}"


def decompose(
    baseline: Scenario,
    plan: Scenario,
    *,
    replications: int = 30,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> Decomposition:
    """Split ``plan``'s difference from ``baseline`` into its changes, each simulated alone and added in order, all
    on the same ``replications`` days from ``seed`` (the plan's own days: its results equal a plain comparison's)."""
    before, after = baseline.model_dump(mode="json"), plan.model_dump(mode="json")
    changes = changes_between(before, after)
    if not changes:
        raise ValueError(f"{plan.name!r} makes no change to {baseline.name!r}: nothing to decompose")
    scenarios: dict[str, Scenario] = {"baseline": baseline}
    alone, not_alone = {}, {}
    for change in changes:
        data = copy.deepcopy(before)
        change.apply(data, after)
        scenario, problem = _valid(data)
        if scenario is None:
            not_alone[change.label] = problem
        else:
            alone[change.label] = f"alone: {change.label}"
            scenarios[alone[change.label]] = scenario
    order, pending, data = [], [], copy.deepcopy(before)
    for index, change in enumerate(changes):
        change.apply(data, after)
        pending.append(change.label)
        last = index == len(changes) - 1
        scenario, _ = (plan, "") if last else _valid(data)
        if scenario is not None:
            label = " + ".join(pending)
            scenarios[f"added: {label}"] = scenario
            order.append((label, f"added: {label}"))
            pending = []
    comparison = compare(scenarios, replications=replications, seed=seed, baseline="baseline", progress=progress)
    logger.info("decomposed %r into %d changes (%d simulated plans)", plan.name, len(changes), len(scenarios))
    return Decomposition(baseline.name, plan.name, changes, comparison, alone, order, not_alone)
