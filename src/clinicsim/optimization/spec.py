"""Optimization specifications: which plans may be tried, what "best" means, how to search and how sure to be.

An optimization file (YAML, validated like a sweep file) names a base scenario and says:

- ``variables``: the settings a plan may change and their domains (see ``variables``: int, float, categorical;
  the bounds are the constraints on inputs, "no more rooms than the building has");
- ``objectives``: KPIs to minimize or maximize (several make a Pareto front of plans);
- ``constraints``: a KPI ``at_most`` or ``at_least`` a limit, on its mean over the simulated days, or with
  ``on_share_of_days`` on at least that share of days (a chance constraint: "overtime at most 30 minutes on at
  least 90% of days"); a budget is a constraint on ``labor_cost``;
- ``search``: the sampler (NSGA-II, TPE, random or a grid), the budget in simulated days, the days each plan
  gets during the search and how many plans are evaluated together;
- ``selection``: the finalists (the estimated Pareto set, or the top k by the first objective), the KPI the
  guarantee is about, and the guarantee itself: the plan chosen is the best with probability at least 1 - alpha
  unless another is within delta of it;
- ``seed``: the base seed of the simulated days; every plan runs on the same days (common random numbers).

A plan is one assignment of the variables, as parameters keyed by variable path (a categorical variable's
parameter is the position of its value in ``values``; see ``variables``): ``plan_changes`` turns it into scenario
changes, ``plan_name`` into a short name, ``plan_scenario`` into the validated scenario.

Everything is checked before anything runs, each problem at its line of the file: ``load_optimization`` first
validates the file's own fields (a step that does not land on high, a constraint without a limit, an unknown KPI
with the names close to it, a budget too small for one generation), then holds the spec against the base scenario
(``checks``: unknown paths, settings given twice, KPIs the base does not compute, bounds that make no valid
scenario). Every problem of a stage is reported at once, as ``OptimizeSpecError``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from clinicsim.metrics import KPI_NAMES, WORK_METRICS, find_metric, is_kpi_name
from clinicsim.optimization.checks import OptimizeSpecError, check_optimization, refusal, scenario_problems
from clinicsim.optimization.variables import MAX_VALUES, Variable, VariableKind
from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.changes import APPEND, resolve_path
from clinicsim.scenario.files import ScenarioError, parse_yaml, read_text, validate_document
from clinicsim.scenario.model import Model
from clinicsim.sweeps.spec import MAX_DAYS, MAX_REPLICATIONS, AccessRuns

__all__ = [
    "MAX_VALUES",
    "Constraint",
    "Objective",
    "OptimizeSpec",
    "OptimizeSpecError",
    "Search",
    "Selection",
    "Variable",
    "VariableKind",
    "base_params",
    "check_optimization",
    "load_optimization",
    "plan_changes",
    "plan_name",
    "plan_scenario",
    "spec_hash",
]

Direction = Literal["minimize", "maximize"]
Sampler = Literal["nsga2", "tpe", "random", "grid"]
MAX_SEARCH_SEED = 2**32 - 1
"""Largest seed of the search (the samplers seed numpy's legacy generator, which takes 32 bits)."""


def _kpi_names() -> list[str]:
    from clinicsim.access.names import ACCESS_METRICS  # light: the access package's names only

    return [*KPI_NAMES, *WORK_METRICS, *ACCESS_METRICS]


def _known_kpi(name: str) -> str:
    """A KPI name as written, or ValueError listing the names close to it."""
    if not is_kpi_name(name):
        close = difflib.get_close_matches(name, _kpi_names(), n=3, cutoff=0.6)
        listed = f"{', '.join(close[:-1])} or {close[-1]}" if len(close) > 1 else "".join(close)
        hint = f" (did you mean {listed}?)" if close else f" (KPIs are named like {KPI_NAMES[0]}, margin)"
        raise ValueError(f"unknown KPI {name!r}{hint}")
    return name


KpiName = Annotated[str, AfterValidator(_known_kpi)]
"""The name of a KPI: a registered one, or one named by the pattern of a pathway's, a work stream's or access KPI."""


class Objective(Model):
    """A KPI to make as low or as high as it can be."""

    kpi: KpiName = Field(description="The KPI, e.g. provider_wait_p90_min or margin (its mean over the days).")
    direction: Direction = Field(description="minimize or maximize.")

    @property
    def minimize(self) -> bool:
        return self.direction == "minimize"


class Constraint(Model):
    """A limit a plan's KPI must keep: on the mean over days, or with ``on_share_of_days`` on at least that share
    of days (a chance constraint)."""

    kpi: KpiName = Field(description="The KPI, e.g. provider_overtime_mean_min or labor_cost (money per day).")
    at_most: float | None = Field(default=None, description="The KPI must be at most this (give this or at_least).")
    at_least: float | None = Field(default=None, description="The KPI must be at least this (or at_most).")
    on_share_of_days: float | None = Field(
        default=None,
        description="Make it a chance constraint: the limit holds on at least this share of days (0.9 for 90%), "
        "instead of on the mean over days.",
    )

    @field_validator("at_least")
    @classmethod
    def _one_limit(cls, value: float | None, info: ValidationInfo) -> float | None:
        if "at_most" not in info.data:  # at_most is not valid: its own error says so
            return value
        if value is None and info.data["at_most"] is None:
            raise ValueError("a constraint needs a limit: at_most or at_least")
        if value is not None and info.data["at_most"] is not None:
            raise ValueError("give at_most or at_least, not both (for a band, write two constraints)")
        return value

    @field_validator("on_share_of_days")
    @classmethod
    def _share(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value < 1:
            raise ValueError(
                f"a share of days is above 0 and below 1 (0.9 for 90% of days), not {value:g}; "
                "leave it out for a limit on the mean over days"
            )
        return value

    @property
    def upper(self) -> bool:
        """Whether the limit is an upper one (at_most)."""
        return self.at_most is not None

    @property
    def limit(self) -> float:
        limit = self.at_most if self.at_most is not None else self.at_least
        assert limit is not None
        return limit

    def holds(self, value: float) -> bool:
        """Whether ``value`` (one day's KPI, or the mean over days) keeps the limit."""
        return value <= self.limit if self.upper else value >= self.limit

    def describe(self) -> str:
        """The constraint in words: "provider_overtime_mean_min at most 30 on at least 90% of days"."""
        said = f"{self.kpi} {'at most' if self.upper else 'at least'} {self.limit:g}"
        if self.on_share_of_days is None:
            return f"{said} (mean over days)"
        return f"{said} on at least {self.on_share_of_days:.0%} of days"


class Search(Model):
    """How the space of plans is searched, and with how many simulated days."""

    sampler: Sampler | None = Field(
        default=None,
        description="nsga2 (a multi-objective evolutionary search), tpe (Bayesian, tree-structured Parzen "
        "estimators), random, or grid (every plan; only when every variable is finite). By default tpe with one "
        "objective (NSGA-II missed the best of 64 plans on 40 plans' budget with 13-25% of seeds, TPE with 0-0.2%) "
        "and nsga2 with several.",
    )
    days_per_plan: int = Field(
        default=20, ge=2, le=MAX_REPLICATIONS, description="Simulated days (replications) per plan during the search."
    )
    population: int = Field(
        default=16,
        ge=1,
        le=10_000,
        description="Plans evaluated together: NSGA-II's population, the batch size of the other samplers.",
    )
    seed: int = Field(default=0, ge=0, le=MAX_SEARCH_SEED, description="Seed of the sampler itself.")
    budget_days: int = Field(
        ge=1, le=MAX_DAYS, description="Simulated days for the whole search (plans x days per plan)."
    )

    @field_validator("population")
    @classmethod
    def _pairs(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("sampler") in ("nsga2", None) and value < 2:
            raise ValueError("NSGA-II breeds plans from pairs: a population of 2 or more")
        return value

    @field_validator("budget_days")
    @classmethod
    def _one_generation(cls, value: int, info: ValidationInfo) -> int:
        days, plans = info.data.get("days_per_plan"), info.data.get("population")
        if days is not None and plans is not None and value < days * plans:
            raise ValueError(
                f"one generation of {plans:,} plans x {days:,} days needs {plans * days:,} simulated days; "
                f"budget_days is {value:,}"
            )
        return value


class Selection(Model):
    """How the finalists are chosen, and the guarantee of the choice among them."""

    finalists: Literal["pareto"] | int = Field(
        default="pareto",
        description="pareto (the estimated Pareto set of the search), or a number k of plans (the top k by the "
        "first objective), 2 or more.",
    )
    objective: KpiName | None = Field(
        default=None,
        description="The KPI the guarantee is about (its direction is the objective's, or the KPI's own better "
        "way); by default the first objective.",
    )
    alpha: float = Field(
        default=0.05, description="Chance of a wrong choice, above 0 and below 0.5: 0.05 for a 95% guarantee."
    )
    delta: float = Field(
        description="The indifference zone, in the KPI's unit: plans closer than this are taken as equally good."
    )
    max_days_per_plan: int = Field(
        default=400, ge=2, le=MAX_REPLICATIONS, description="Most simulated days a finalist is given."
    )
    procedure: Literal["kn", "ocba"] = Field(
        default="kn",
        description="kn: KN++, the best with probability at least 1 - alpha unless another is within delta (days "
        "until it is sure, up to max_days_per_plan); ocba: a fixed budget of ocba_days spread where they tell the "
        "finalists apart, with an estimated (not guaranteed) probability of a correct choice.",
    )
    ocba_days: int = Field(
        default=200, ge=1, le=MAX_DAYS, description="Simulated days OCBA spreads over the finalists (procedure: ocba)."
    )

    @field_validator("finalists", mode="before")
    @classmethod
    def _finalists(cls, value: Any) -> Any:
        if value == "pareto":
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 2:
                raise ValueError(f"a choice needs 2 finalists or more, not {value}")
            return value
        raise ValueError(f"pareto, or the number of finalists (2 or more), not {value!r}")

    @field_validator("alpha")
    @classmethod
    def _alpha(cls, value: float) -> float:
        if not 0 < value < 0.5:
            raise ValueError(f"alpha is above 0 and below 0.5 (0.05 for a 95% guarantee), not {value:g}")
        return value

    @field_validator("delta")
    @classmethod
    def _delta(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"the indifference zone is above 0, in the KPI's unit (5 for 5 minutes), not {value:g}")
        return value


class OptimizeSpec(Model):
    """A search for the best plans: the base scenario, what a plan may change, what best means, how to search
    and how to choose with a guarantee."""

    name: str = Field(description="Name of the optimization.")
    description: str = Field(default="", description="What is being decided, and why these bounds.")
    base: str = Field(description="Path of the base scenario file, relative to this file.")
    variables: list[Variable] = Field(min_length=1, description="The settings a plan may change, with their domains.")
    objectives: list[Objective] = Field(min_length=1, description="KPIs to minimize or maximize.")
    constraints: list[Constraint] = Field(default_factory=list, description="Limits a plan's KPIs must keep.")
    search: Search = Field(description="How the plans are searched.")
    selection: Selection = Field(description="How the best is chosen among the finalists.")
    seed: int = Field(default=20261126, ge=0, description="Base seed; every plan runs on the same days (CRN).")
    access: AccessRuns | None = Field(
        default=None,
        description="Book over weeks instead of simulating clinic days (the base scenario needs an access: section): "
        "each day of a plan is one booking run of this many weeks, so the access KPIs can be objectives and "
        "constraints.",
    )

    @property
    def guarantee(self) -> Objective:
        """The KPI the selection's guarantee is about, with its direction: ``selection.objective`` (an objective's
        direction when it is one, else the KPI's own better way), by default the first objective."""
        kpi = self.selection.objective
        if kpi is None:
            return self.objectives[0]
        named = next((o for o in self.objectives if o.kpi == kpi), None)
        if named is not None:
            return named
        metric = find_metric(kpi)
        lower = metric is None or metric.lower_is_better
        return Objective(kpi=kpi, direction="minimize" if lower else "maximize")

    @property
    def sampler(self) -> Sampler:
        """The search's sampler: the one named, else tpe for one objective and nsga2 for several."""
        return self.search.sampler or ("tpe" if len(self.objectives) == 1 else "nsga2")

    @property
    def kept_kpis(self) -> list[str]:
        """The KPIs the results need (the objectives', the constraints', the guarantee's), each once."""
        kpis = [o.kpi for o in self.objectives] + [c.kpi for c in self.constraints] + [self.guarantee.kpi]
        return list(dict.fromkeys(kpis))

    @property
    def size(self) -> int | None:
        """Number of plans in the space; None when a float variable is continuous."""
        sizes = [v.size for v in self.variables]
        return None if any(s is None for s in sizes) else math.prod(s for s in sizes if s is not None)


def load_optimization(path: str | Path) -> tuple[OptimizeSpec, Scenario]:
    """Read and validate an optimization file and load its base scenario; OptimizeSpecError naming the file, line
    and field of every problem (the base scenario's own problems are a ScenarioError naming the base file)."""
    path = Path(path)
    try:
        document = parse_yaml(read_text(path), str(path))
        spec = validate_document(OptimizeSpec, document, str(path))
    except ScenarioError as error:
        raise OptimizeSpecError(error.path, error.problems) from None
    base_path = path.resolve().parent / spec.base
    if not base_path.is_file():
        what = "is a folder, not a scenario file" if base_path.is_dir() else "does not exist"
        raise OptimizeSpecError(str(path), [refusal(document, ("base",), f"{base_path} {what}")])
    base = load_scenario(base_path)
    check_optimization(spec, base, source=str(path), document=document)
    return spec, base


# -- plans --------------------------------------------------------------------------------------------------------


def plan_changes(spec: OptimizeSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario changes (dotted path -> value, in the order of the variables) of a plan given as parameters
    keyed by variable path: a number for int and float variables (a stepped float is put on its step), the
    position in ``values`` for a categorical one. ValueError for a missing or unknown path, or a parameter
    outside its domain."""
    paths = [v.path for v in spec.variables]
    missing = [p for p in paths if p not in params]
    unknown = [p for p in params if p not in paths]
    if missing or unknown:
        said = [f"no parameter for {', '.join(missing)}"] if missing else []
        said += [f"{', '.join(map(str, unknown))} is no variable"] if unknown else []
        raise ValueError(f"a plan gives every variable a parameter: {'; '.join(said)}")
    return {v.path: v.value(params[v.path]) for v in spec.variables}


def plan_name(spec: OptimizeSpec, params: Mapping[str, Any]) -> str:
    """A short readable name of a plan: "slot 20, bailey_welch k=2, exam rooms 8"."""
    plan_changes(spec, params)  # the same refusals
    return ", ".join(v.describe(params[v.path]) for v in spec.variables)


def plan_scenario(spec: OptimizeSpec, base: Scenario, params: Mapping[str, Any]) -> Scenario:
    """The plan's validated scenario, named ``"<base name> [<plan name>]"``. A plan whose values are valid alone
    but not together (the checks try each alone and the corners, not every combination) raises ScenarioError:
    the search should count such a plan as infeasible rather than stop."""
    changes = {"name": f"{base.name} [{plan_name(spec, params)}]", **plan_changes(spec, params)}
    return base.with_changes(changes)


def _current(data: Any, path: str) -> tuple[bool, Any]:
    """(whether the base holds the path, its value there)."""
    keys = resolve_path(data, path)
    if len(keys) != len(path.split(".")) or path.endswith(APPEND):
        return False, None
    node = data
    for key in keys:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, node


def base_params(spec: OptimizeSpec, base: Scenario) -> dict[str, Any] | None:
    """The parameters of the plan that is the base scenario itself (for a search to start from today's plan), or
    None when the base's setting of some variable is outside its domain. A categorical variable matches the value
    that leaves the base as it is (``{kind: bailey_welch}`` matches a base with k 2; ``[]`` matches a path that
    appends)."""
    data = base.model_dump(mode="json")
    params: dict[str, Any] = {}
    for variable in spec.variables:
        if variable.kind == "categorical":
            match = None
            for j, value in enumerate(variable.values or []):
                changed, problems = scenario_problems(data, {variable.path: value})
                if not problems and Scenario.model_validate(changed).model_dump(mode="json") == data:
                    match = j
                    break
            if match is None:
                return None
            params[variable.path] = match
            continue
        held, current = _current(data, variable.path)
        if not held or isinstance(current, bool) or not isinstance(current, int | float):
            return None
        try:
            if variable.value(current) != current:
                return None
        except ValueError:
            return None
        params[variable.path] = variable.value(current)
    return params


def spec_hash(spec: OptimizeSpec, base: Scenario) -> str:
    """What the store's days depend on and what names the optimization: the variables, objectives, constraints and
    seed, the base scenario's content and the KPIs the store keeps. A day of a plan is the same whatever searched
    or selected it, so the search and selection settings are left out: a larger budget, another sampler or a new
    guarantee (alpha, delta, or another objective the store keeps) resumes the store and reuses its plans."""
    dumped = spec.model_dump(mode="json", exclude={"name", "description", "base", "search", "selection"})
    payload = {"spec": dumped, "base": base.content_hash, "kpis": spec.kept_kpis}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
