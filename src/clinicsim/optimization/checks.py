"""What is refused before an optimization runs, once its file is read and its base scenario loaded.

Reading the file (``spec``) already refused what the file alone shows (a step that does not land on high, a
constraint without a limit, an unknown KPI, a budget too small for one generation). ``check_optimization`` then
holds the spec against the base scenario and reports, each at the line of the field that causes it:

- a variable path the base does not have (with the names close to it, or, for a section the base leaves empty,
  what to write instead);
- a setting given twice (two paths to one setting, or one inside the other), a categorical value or label given
  twice, an objective given twice, a constraint's limit given twice or a band no plan can keep;
- a grid over a continuous float, larger than the most plans a sweep may have, or larger than the budget; finalists
  given fewer days than the search gave them;
- a KPI the base does not compute (money without a finance section; a pathway's, work stream's or access KPI it
  does not have);
- a bound or categorical value that makes no valid scenario with the base, tried alone (at that bound's or
  value's line); when every value is valid alone, the plans with every numeric variable at its low and at its high
  together (at the variable the scenario's error points to).

The machinery is the sweeps': the same dotted paths, the same check of a setting given twice, the same tracing of
a scenario's error to the setting behind it.
"""

from __future__ import annotations

import copy
import difflib
import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from clinicsim.metrics import FLOW_KPIS, KPI_NAMES
from clinicsim.optimization.variables import Variable, value_label
from clinicsim.scenario import Scenario
from clinicsim.scenario.changes import APPEND, ChangeError, resolve_path, set_path
from clinicsim.scenario.files import Problem, ScenarioError, line_at
from clinicsim.scenario.messages import located_message
from clinicsim.sweeps.spec import _VALUES, MAX_POINTS, Point, SweepSpec, _field, _not_produced, _same_setting, _twice

if TYPE_CHECKING:
    from clinicsim.optimization.spec import OptimizeSpec


class OptimizeSpecError(ScenarioError):
    """An optimization that cannot run: each problem said once, at the line of the optimization file that causes
    it (for a value that makes no valid scenario: the variable's bound or value)."""


Refusal = tuple[tuple, str]
"""(where in the optimization file, what is wrong)."""


def refusal(document: Any, where: tuple, message: str) -> Problem:
    line = line_at(document, where) if document is not None else None
    return Problem(line=line, field=".".join(map(str, where)), message=message)


def _path_problem(base_data: dict, path: str) -> str | None:
    """What is wrong with a variable's path in the base scenario (as data), or None when the base can take it."""
    try:
        set_path(copy.deepcopy(base_data), path, None)
    except ChangeError as error:
        return str(error) + _path_hint(base_data, path)
    return None


def _path_hint(base_data: dict, path: str) -> str:
    """For a path that stops at a setting the base leaves empty, or at a key that is not there: what to write."""
    node: Any = base_data
    parts = path.removesuffix(APPEND).split(".")
    for depth, part in enumerate(parts[:-1]):
        done = ".".join(parts[: depth + 1])
        if isinstance(node, dict):
            if part not in node:
                close = difflib.get_close_matches(part, [str(k) for k in node], n=2, cutoff=0.6)
                return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
            node = node[part]
        elif isinstance(node, list):
            keys = resolve_path(base_data, done)
            if len(keys) <= depth:
                return ""
            node = node[keys[depth]]
        else:
            return ""
        if node is None:
            return (
                f"; the base scenario has no {done}: give it one in the base, or make {done} the variable "
                "(categorical, over whole sections)"
            )
    return ""


def scenario_problems(base_data: dict, changes: dict[str, Any]) -> tuple[dict, list[tuple[tuple, str, str]]]:
    """The base (as data) with ``changes``, and (scenario field, message, pydantic's error type) of each problem
    when that is no valid scenario."""
    data = copy.deepcopy(base_data)
    try:
        for path, value in changes.items():
            set_path(data, path, value)
    except ChangeError as error:
        return data, [(tuple(error.field.split(".")), str(error), "change")]
    try:
        Scenario.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            location, message = located_message(detail)
            field = _field(location, data)
            if detail["type"] != "missing" and not _holds(data, field):  # a union's tag, not a field
                field = field[:-1]
            problems.append((field, message, detail["type"]))
        return data, problems
    return data, []


def _holds(data: Any, field: tuple) -> bool:
    for part in field:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return False
    return True


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str) if isinstance(value, dict | list) else value_label(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _extremes(variable: Variable) -> list[tuple[tuple, Any]]:
    """(where in the variable, value) of each value tried alone with the base: low and high, or every value; for
    a float, also a fraction inside its domain (at ``kind``: a float over a whole-number setting is refused here,
    not when a search first proposes 7.48 rooms)."""
    if variable.kind == "categorical":
        return [(("values", j), value) for j, value in enumerate(variable.values or [])]
    domain = variable.domain()
    low, high = (domain[0], domain[-1]) if domain else variable.bounds
    tried = [(("low",), low)] if low == high else [(("low",), low), (("high",), high)]
    if variable.kind == "float":
        inside = [x for x in domain if not float(x).is_integer()] if domain else [low + 0.382 * (high - low)]
        tried += [(("kind",), inside[0])] if inside and not float(inside[0]).is_integer() else []
    return tried


def _alone(index: int, variable: Variable, base_data: dict) -> list[Refusal]:
    """Each bound or value of a variable that makes no valid scenario with the base (everything else as it is)."""
    refused: list[Refusal] = []
    for where, value in _extremes(variable):
        data, problems = scenario_problems(base_data, {variable.path: value})
        setting = resolve_path(data, variable.path)
        for field, message, kind in problems:
            if kind == "extra_forbidden" and field == setting:  # the last part of the path is no setting
                return [(("variables", index, "path"), _no_setting(data, variable.path, setting))]
            said = f"{variable.path} = {_shown(value)}"
            if field[: len(setting)] == setting and len(field) > len(setting):  # inside the value: say where
                said += f", at {'.'.join(map(str, field[len(setting) :]))}"
            elif not _overlaps(field, setting):  # another setting it does not fit with
                said += f" does not fit {'.'.join(map(str, field)) or 'the scenario'}"
            hint = " (kind: int for a setting of whole numbers)" if where == ("kind",) else ""
            refused.append((("variables", index, *where), f"{said}: {message}{hint}"))
    return refused


def _no_setting(data: dict, path: str, setting: tuple) -> str:
    """A path whose last part is not a setting of the section it names, with the settings close to it."""
    parent: Any = data
    for key in setting[:-1]:
        parent = parent[key]
    name = str(setting[-1])
    close = difflib.get_close_matches(name, [str(k) for k in parent if k != name], n=2, cutoff=0.6)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    return f"{'.'.join(path.split('.')[:-1]) or 'the scenario'} has no setting {name!r}{hint}"


def _corners(spec: OptimizeSpec, usable: list[int], base_data: dict) -> list[Refusal]:
    """Problems of the plans with every numeric variable at its low, then at its high, together (values that
    are valid alone but not with each other), each at the variable behind it."""
    numeric = [i for i in usable if spec.variables[i].kind != "categorical"]
    if len(numeric) < 2:
        return []
    refused: list[Refusal] = []
    for end, position in (("low", 0), ("high", -1)):
        corner = {}
        for i in numeric:
            variable = spec.variables[i]
            domain = variable.domain()
            corner[variable.path] = domain[position] if domain else variable.bounds[position]
        data, problems = scenario_problems(base_data, corner)
        named = ", ".join(f"{path} = {_shown(value)}" for path, value in corner.items())
        for field, message, _ in problems:
            cause = next((i for i in numeric if _overlaps(field, resolve_path(data, spec.variables[i].path))), None)
            where = ("variables",) if cause is None else ("variables", cause, end)
            shown = ".".join(map(str, field)) or "the scenario"
            refused.append((where, f"with every variable at its {end} ({named}): {shown}: {message}"))
    return refused


def _overlaps(field: tuple, setting: tuple) -> bool:
    return field[: len(setting)] == setting or setting[: len(field)] == field


def _kpi_places(spec: OptimizeSpec) -> list[tuple[tuple, str]]:
    """(where in the file, KPI) of every KPI the spec names."""
    places: list[tuple[tuple, str]] = [(("objectives", i, "kpi"), o.kpi) for i, o in enumerate(spec.objectives)]
    places += [(("constraints", i, "kpi"), c.kpi) for i, c in enumerate(spec.constraints)]
    if spec.selection.objective is not None:
        places.append((("selection", "objective"), spec.selection.objective))
    return places


def _not_computed(spec: OptimizeSpec, base: Scenario) -> list[Refusal]:
    """KPIs the base scenario does not compute: money without a finance section, and a pathway's, a work
    stream's or an access KPI it does not have (one simulated day of the base says, as for sweeps)."""
    places = _kpi_places(spec)
    money = set(KPI_NAMES) - set(FLOW_KPIS)
    refused = [
        (where, f"the base scenario has no finance: section, so {kpi} is not computed")
        for where, kpi in places
        if base.finance is None and kpi in money
    ]
    other = [(where, kpi) for where, kpi in places if kpi not in KPI_NAMES]
    if other:
        names = list(dict.fromkeys(kpi for _, kpi in other))
        sweep = SweepSpec(
            name="KPIs of the base",
            base=spec.base,
            design="points",
            points=[Point(name="base")],
            kpis=names,
            seed=spec.seed,
            access=spec.access,
        )
        missing = {names[at[1]]: message for at, message in _not_produced(sweep, base)}
        refused += [(where, missing[kpi]) for where, kpi in other if kpi in missing]
    return refused


def _repeated(spec: OptimizeSpec, base_data: dict, usable: list[int]) -> list[Refusal]:
    """A setting, categorical value or label, objective or constraint given twice."""
    settings = [(("variables", i, "path"), spec.variables[i].path) for i in usable]
    refused = _same_setting(settings, base_data)
    for i, variable in enumerate(spec.variables):
        refused += _twice([(("variables", i, "values", j), v) for j, v in enumerate(variable.values or [])], "value")
        refused += _twice([(("variables", i, "labels", j), v) for j, v in enumerate(variable.labels or [])], "label")
    refused += _twice([(("objectives", i, "kpi"), o.kpi) for i, o in enumerate(spec.objectives)], "objective")
    seen: dict[tuple, int] = {}
    for i, c in enumerate(spec.constraints):
        side = "at_most" if c.upper else "at_least"
        key = (c.kpi, side, c.on_share_of_days)
        if key in seen:
            refused.append((("constraints", i, side), f"{c.kpi} has a limit {side} already (constraints.{seen[key]})"))
        seen.setdefault(key, i)
        other = seen.get((c.kpi, "at_least" if c.upper else "at_most", c.on_share_of_days))
        on_most_days = c.on_share_of_days is None or c.on_share_of_days > 0.5  # below half, a band may cross
        if other is not None and on_most_days:
            low, high = (spec.constraints[other], c) if c.upper else (c, spec.constraints[other])
            if low.limit > high.limit:
                message = f"no plan keeps {c.kpi} at least {low.limit:g} and at most {high.limit:g}"
                refused.append((("constraints", i, side), f"{message} (constraints.{other})"))
    return refused


def _search_fits(spec: OptimizeSpec) -> list[Refusal]:
    """A grid over a continuous float, larger than the limit, or larger than the budget; selection days fewer
    than the search's."""
    refused: list[Refusal] = []
    search = spec.search
    if spec.sampler == "grid":
        continuous = [i for i, v in enumerate(spec.variables) if not v.finite]
        refused += [
            (("variables", i, "step"), "the grid sampler needs every variable finite: give this float a step")
            for i in continuous
        ]
        size = spec.size
        if size is not None and size > MAX_POINTS:
            message = f"the grid has {size:,} plans; at most {MAX_POINTS:,} (use nsga2, tpe or random)"
            refused.append((("search", "sampler"), message))
        elif size is not None and size * search.days_per_plan > search.budget_days:
            refused.append(
                (
                    ("search", "budget_days"),
                    f"the grid's {size:,} plans x {search.days_per_plan:,} days need "
                    f"{size * search.days_per_plan:,} simulated days; budget_days is {search.budget_days:,} "
                    "(raise it, or sample part of the space with random)",
                )
            )
    if spec.selection.max_days_per_plan < search.days_per_plan:
        refused.append(
            (
                ("selection", "max_days_per_plan"),
                f"the finalists get more days than the search gave them ({search.days_per_plan:,}), not fewer",
            )
        )
    return refused


def _said_once(refused: list[Refusal]) -> list[Refusal]:
    """Each problem once per place (problems that differ only in their values, e.g. at both corners, too)."""
    seen: set[tuple[tuple, str]] = set()
    kept = []
    for where, message in refused:
        key = (where, _VALUES.sub("_", message))
        if key not in seen:
            seen.add(key)
            kept.append((where, message))
    return kept


def check_optimization(
    spec: OptimizeSpec, base: Scenario, *, source: str = "<optimization>", document: Any = None
) -> None:
    """Raise OptimizeSpecError, each problem at its line of ``document`` (the optimization file) when given, for
    everything the base scenario refuses before anything runs: unknown paths, settings given twice, KPIs the base
    does not compute, a grid that cannot run, and bounds or values that make no valid scenario."""
    base_data = base.model_dump(mode="json")
    refused: list[Refusal] = []
    usable = []
    for i, variable in enumerate(spec.variables):
        problem = _path_problem(base_data, variable.path)
        if problem is None:
            usable.append(i)
        else:
            refused.append((("variables", i, "path"), problem))
    refused += _repeated(spec, base_data, usable) + _search_fits(spec) + _not_computed(spec, base)
    alone = [r for i in usable for r in _alone(i, spec.variables[i], base_data)]
    refused += alone or _corners(spec, usable, base_data)  # the corners only when every value is valid alone
    if refused:
        problems = [refusal(document, where, message) for where, message in _said_once(refused)]
        raise OptimizeSpecError(source, sorted(problems, key=lambda p: p.line or 0))
