"""The optimization file: what a valid one gives (domains, plans, their names and scenarios, the hash), and every
refusal said before anything runs, at the line and field of the file that causes it.

The files are written in ``tmp_path`` with ``base`` pointing at the bundled family-medicine practice (an absolute
path, or a relative one). Each variable, objective and constraint is written on a line of its own, so a problem's
line is the line that holds its text.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clinicsim.optimization.spec import (
    OptimizeSpec,
    OptimizeSpecError,
    Variable,
    base_params,
    load_optimization,
    plan_changes,
    plan_name,
    plan_scenario,
    spec_hash,
)
from clinicsim.scenario import Scenario, load_scenario, scenario_to_yaml
from clinicsim.scenario.limits import MAX_EXAM_ROOMS

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "family_medicine.yaml"
EXAMPLE = ROOT / "scenarios" / "optimize" / "family_medicine_template.yaml"

VARIABLES = """\
  - {path: templates.fm_20.slot_min, kind: int, low: 15, high: 30, step: 5, label: slot}
  - {path: templates.fm_20.rule, kind: categorical, values: [{kind: fixed_interval}, {kind: bailey_welch, k: 2}]}
  - {path: staff.Front desk.count, kind: int, low: 1, high: 3}
  - {path: clinic.exam_rooms, kind: int, low: 6, high: 10, label: rooms}
  - {path: patients.turn_away_if_late_by_min, kind: float, low: 10, high: 20, step: 2.5, label: late}
"""
OBJECTIVES = """\
  - {kpi: provider_wait_p90_min, direction: minimize}
  - {kpi: margin, direction: maximize}
"""
CONSTRAINTS = """\
  - {kpi: provider_overtime_mean_min, at_most: 30, on_share_of_days: 0.9}
  - {kpi: labor_cost, at_most: 5000}
"""
SEARCH = """\
  sampler: nsga2
  budget_days: 2000
  days_per_plan: 20
  population: 16
  seed: 3
"""
SELECTION = """\
  finalists: pareto
  objective: provider_overtime_mean_min
  alpha: 0.05
  delta: 5
  max_days_per_plan: 400
"""


def spec_text(
    *,
    base: str = str(BASE),
    variables: str = VARIABLES,
    objectives: str = OBJECTIVES,
    constraints: str = CONSTRAINTS,
    search: str = SEARCH,
    selection: str = SELECTION,
) -> str:
    return (
        f"name: test\nbase: {base}\nvariables:\n{variables}objectives:\n{objectives}constraints:\n{constraints}"
        f"search:\n{search}selection:\n{selection}seed: 7\n"
    )


def write(folder: Path, text: str) -> Path:
    path = folder / "optimize.yaml"
    path.write_text(text)
    return path


def line_with(text: str, snippet: str) -> int:
    """The 1-based line of the first line of ``text`` holding ``snippet``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if snippet in line)


def refused(folder: Path, text: str) -> OptimizeSpecError:
    with pytest.raises(OptimizeSpecError) as caught:
        load_optimization(write(folder, text))
    return caught.value


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[OptimizeSpec, Scenario]:
    return load_optimization(write(tmp_path_factory.mktemp("spec"), spec_text()))


# -- a valid spec ---------------------------------------------------------------------------------------------


def test_a_valid_spec_loads_with_its_base(loaded):
    spec, base = loaded
    assert base.name == "Family medicine, current template"
    assert [v.path for v in spec.variables][:2] == ["templates.fm_20.slot_min", "templates.fm_20.rule"]
    assert spec.size == 4 * 2 * 3 * 5 * 5
    assert spec.kept_kpis == ["provider_wait_p90_min", "margin", "provider_overtime_mean_min", "labor_cost"]
    assert spec.guarantee.kpi == "provider_overtime_mean_min" and spec.guarantee.minimize
    assert spec.selection.finalists == "pareto" and spec.search.seed == 3 and spec.seed == 7


def test_a_base_path_relative_to_the_file_and_the_default_guarantee(tmp_path):
    relative = os.path.relpath(BASE, tmp_path)
    text = spec_text(base=relative, selection="  delta: 5\n")
    spec, base = load_optimization(write(tmp_path, text))
    assert spec.base == relative and base.clinic.exam_rooms == 8
    assert spec.guarantee == spec.objectives[0]
    assert (spec.selection.finalists, spec.selection.alpha, spec.selection.max_days_per_plan) == ("pareto", 0.05, 400)


def test_the_bundled_example_loads_and_starts_from_todays_plan():
    spec, base = load_optimization(EXAMPLE)
    assert spec.size == 216 and spec.search.sampler == "nsga2"
    today = base_params(spec, base)
    assert today is not None
    assert plan_name(spec, today) == "slot 20, fixed_interval, no overbooking, no float MA, rooms 8"
    assert plan_scenario(spec, base, today).model_dump(exclude={"name"}) == base.model_dump(exclude={"name"})


# -- domains and parameters --------------------------------------------------------------------------------------


def test_the_domain_of_an_int_a_stepped_float_and_a_categorical_variable():
    slot = Variable(path="templates.fm_20.slot_min", kind="int", low=15, high=30, step=5)
    rooms = Variable(path="clinic.exam_rooms", kind="int", low=6.0, high=8)
    share = Variable(path="x", kind="float", low=0.0, high=1.0, step=0.05)
    rule = Variable(path="templates.fm_20.rule", kind="categorical", values=[{"kind": "fixed_interval"}, "b", 3])
    assert (slot.domain(), slot.size) == ([15, 20, 25, 30], 4)
    assert rooms.domain() == [6, 7, 8] and all(isinstance(v, int) for v in rooms.domain())
    assert share.size == 21 and share.domain()[:4] == [0.0, 0.05, 0.1, 0.15] and share.domain()[-1] == 1.0
    assert rule.domain() == [{"kind": "fixed_interval"}, "b", 3] and rule.parameters() == [0, 1, 2]


def test_a_float_without_a_step_is_continuous():
    late = Variable(path="patients.turn_away_if_late_by_min", kind="float", low=10, high=20)
    assert (late.domain(), late.size, late.finite) == (None, None, False)
    assert late.value(12.345) == 12.345


def test_a_parameter_outside_its_domain_is_refused():
    slot = Variable(path="templates.fm_20.slot_min", kind="int", low=15, high=30, step=5)
    share = Variable(path="x", kind="float", low=0.0, high=1.0, step=0.05)
    rule = Variable(path="r", kind="categorical", values=[10, 20])
    assert share.value(0.15000000001) == 0.15 and slot.value(20.0) == 20 and rule.value(1) == 20
    for variable, parameter in [(slot, 35), (slot, 22), (share, 0.125), (rule, 2), (rule, 10), (rule, True)]:
        with pytest.raises(ValueError):
            variable.value(parameter)


def test_plan_changes_applied_to_the_base_give_a_valid_scenario_with_the_values(loaded):
    spec, base = loaded
    params = {
        "templates.fm_20.slot_min": 25,
        "templates.fm_20.rule": 1,  # the position of {kind: bailey_welch, k: 2}
        "staff.Front desk.count": 3,
        "clinic.exam_rooms": 10,
        "patients.turn_away_if_late_by_min": 17.5,
    }
    changes = plan_changes(spec, params)
    assert changes["templates.fm_20.rule"] == {"kind": "bailey_welch", "k": 2}
    scenario = base.with_changes(changes)
    template = scenario.templates["fm_20"]
    assert (template.slot_min, template.rule.kind, getattr(template.rule, "k", None)) == (25, "bailey_welch", 2)
    assert (scenario.staff[0].count, scenario.clinic.exam_rooms) == (3, 10)
    assert scenario.patients.turn_away_if_late_by_min == 17.5
    name = plan_name(spec, params)
    assert name == "slot 25, bailey_welch k=2, Front desk 3, rooms 10, late 17.5"
    assert plan_scenario(spec, base, params).name == f"{base.name} [{name}]"


def test_plan_changes_need_every_variable_and_no_other(loaded):
    spec, _ = loaded
    today = {v.path: v.domain()[0] for v in spec.variables}
    with pytest.raises(ValueError, match="no parameter for clinic.exam_rooms"):
        plan_changes(spec, {k: v for k, v in today.items() if k != "clinic.exam_rooms"})
    with pytest.raises(ValueError, match="clinic.rooms is no variable"):
        plan_changes(spec, {**today, "clinic.rooms": 2})


def test_the_base_is_a_plan_when_its_settings_are_in_the_domains(loaded):
    spec, base = loaded
    today = base_params(spec, base)
    assert today == {
        "templates.fm_20.slot_min": 20,
        "templates.fm_20.rule": 0,
        "staff.Front desk.count": 2,
        "clinic.exam_rooms": 8,
        "patients.turn_away_if_late_by_min": 15.0,
    }
    assert base.with_changes(plan_changes(spec, today)) == base
    assert base_params(spec, base.with_changes({"clinic.exam_rooms": 12})) is None


def test_the_hash_follows_what_results_depend_on(loaded):
    spec, base = loaded
    key = spec_hash(spec, base)
    assert spec_hash(spec.model_copy(update={"name": "renamed"}), base) == key
    another_guarantee = spec.selection.model_copy(update={"alpha": 0.1, "delta": 2.0})
    assert spec_hash(spec.model_copy(update={"selection": another_guarantee}), base) == key  # the search is reused
    bigger = spec.search.model_copy(update={"budget_days": 2 * spec.search.budget_days, "sampler": "random"})
    assert spec_hash(spec.model_copy(update={"search": bigger}), base) == key  # a longer search resumes
    new_kpi = spec.selection.model_copy(update={"objective": "patients_seen"})  # a KPI the store does not keep
    assert spec_hash(spec.model_copy(update={"selection": new_kpi}), base) != key
    assert spec_hash(spec.model_copy(update={"seed": 8}), base) != key
    assert spec_hash(spec, base.with_changes({"clinic.exam_rooms": 9})) != key
    assert len(key) == 64


# -- refusals, each at its line and field -------------------------------------------------------------------------

ROOMS = "  - {path: clinic.exam_rooms, kind: int, low: 6, high: 10}\n"
RULE_VALUES = "  - path: templates.fm_20.rule\n    kind: categorical\n    values:\n      - {kind: fixed_interval}\n"
CONTINUOUS = VARIABLES.replace("step: 2.5, ", "")
CASES = {
    # name: (sections written instead of the valid spec's, field, text on the problem's line, words of the message)
    "unknown path": (
        {"variables": "  - {path: clinik.exam_rooms, kind: int, low: 6, high: 10}\n"},
        "variables.0.path",
        "clinik",
        "did you mean 'clinic'",
    ),
    "unknown last part": (
        {"variables": "  - {path: clinic.exam_roms, kind: int, low: 6, high: 10}\n"},
        "variables.0.path",
        "exam_roms",
        "no setting 'exam_roms' (did you mean 'exam_rooms'?)",
    ),
    "unknown item of a list by name": (
        {"variables": ROOMS + "  - {path: staff.MA float.count, kind: int, low: 1, high: 3}\n"},
        "variables.1.path",
        "MA float",
        "no item named 'MA float' (known: 'Front desk', 'MA Evans'",
    ),
    "a section the base leaves empty": (
        {"variables": "  - {path: templates.fm_20.overbooking.extra_per_session, kind: int, low: 0, high: 2}\n"},
        "variables.0.path",
        "extra_per_session",
        "the base scenario has no templates.fm_20.overbooking",
    ),
    "low above high": (
        {"variables": "  - {path: clinic.exam_rooms, kind: int, low: 10, high: 6}\n"},
        "variables.0.high",
        "exam_rooms",
        "the domain is empty: high (6) is below low (10)",
    ),
    "no categorical value": (
        {"variables": "  - {path: templates.fm_20.rule, kind: categorical, values: []}\n"},
        "variables.0.values",
        "rule",
        "the domain is empty",
    ),
    "a step that does not land on high": (
        {"variables": "  - {path: templates.fm_20.slot_min, kind: int, low: 15, high: 30, step: 10}\n"},
        "variables.0.step",
        "slot_min",
        "the values would stop at 25; make high 25 or 35",
    ),
    "a step of zero": (
        {"variables": "  - {path: patients.turn_away_if_late_by_min, kind: float, low: 10, high: 20, step: 0}\n"},
        "variables.0.step",
        "turn_away",
        "above 0",
    ),
    "an int variable with a fractional bound": (
        {"variables": "  - {path: clinic.exam_rooms, kind: int, low: 6.5, high: 10}\n"},
        "variables.0.low",
        "exam_rooms",
        "an int variable's low must be a whole number, not 6.5",
    ),
    "values for an int variable": (
        {"variables": "  - {path: clinic.exam_rooms, kind: int, low: 6, high: 10, values: [6, 8]}\n"},
        "variables.0.values",
        "exam_rooms",
        "values are for a categorical variable",
    ),
    "a variable given twice": (
        {"variables": ROOMS + "  - {path: clinic.exam_rooms, kind: int, low: 7, high: 9}\n"},
        "variables.1.path",
        "low: 7",
        "'clinic.exam_rooms' is given twice (also at variables.0.path)",
    ),
    "a variable inside another": (
        {"variables": RULE_VALUES + "  - {path: templates.fm_20.rule.k, kind: int, low: 2, high: 3}\n"},
        "variables.1.path",
        "rule.k",
        "changes the same setting as 'templates.fm_20.rule'",
    ),
    "a categorical value given twice": (
        {"variables": RULE_VALUES + "      - {kind: bailey_welch}\n      - {kind: fixed_interval}  # again\n"},
        "variables.0.values.2",
        "# again",
        "is given twice (also at variables.0.values.0)",
    ),
    "a low that makes no valid scenario": (
        {"variables": "  - {path: clinic.exam_rooms, kind: int, low: -1, high: 10}\n"},
        "variables.0.low",
        "exam_rooms",
        "clinic.exam_rooms = -1: exam_rooms cannot be negative",
    ),
    "a high that makes no valid scenario": (
        {"variables": f"  - {{path: clinic.exam_rooms, kind: int, low: 6, high: {MAX_EXAM_ROOMS + 1}}}\n"},
        "variables.0.high",
        "exam_rooms",
        f"clinic.exam_rooms = {MAX_EXAM_ROOMS + 1}",
    ),
    "a categorical value that makes no valid scenario": (
        {"variables": RULE_VALUES + "      - {kind: bailey_welch, k: 0}\n"},
        "variables.0.values.1",
        "k: 0",
        'templates.fm_20.rule = {"kind": "bailey_welch", "k": 0}, at k:',
    ),
    "a float over a setting of whole numbers": (
        {"variables": "  - {path: clinic.exam_rooms, kind: float, low: 6, high: 10}\n"},
        "variables.0.kind",
        "exam_rooms",
        "(kind: int for a setting of whole numbers)",
    ),
    "values valid alone but not together": (
        {
            "variables": "  - {path: providers.Dr Alvarez.late_start_min.mode, kind: int, low: 6, high: 8}\n"
            "  - {path: providers.Dr Alvarez.late_start_min.high, kind: int, low: 3, high: 10}\n"
        },
        "variables.0.low",
        "late_start_min.mode",
        "with every variable at its low",
    ),
    "an unknown objective": (
        {"objectives": "  - {kpi: provider_wait_p99_min, direction: minimize}\n"},
        "objectives.0.kpi",
        "p99",
        "unknown KPI 'provider_wait_p99_min' (did you mean provider_wait_p90_min",
    ),
    "an objective given twice": (
        {"objectives": OBJECTIVES + "  - {kpi: margin, direction: minimize}\n"},
        "objectives.2.kpi",
        "margin, direction: minimize",
        "objective 'margin' is given twice (also at objectives.1.kpi)",
    ),
    "a pathway KPI the base does not have": (
        {"objectives": OBJECTIVES + "  - {kpi: wait_before_triage_mean_min, direction: minimize}\n"},
        "objectives.2.kpi",
        "triage",
        "the base scenario has no such KPI",
    ),
    "a constraint on an unknown KPI": (
        {"constraints": "  - {kpi: provider_overtime_mean, at_most: 30}\n"},
        "constraints.0.kpi",
        "provider_overtime_mean",
        "did you mean provider_overtime_mean_min",
    ),
    "a constraint without a limit": (
        {"constraints": "  - {kpi: labor_cost}\n"},
        "constraints.0.at_least",
        "labor_cost",
        "a constraint needs a limit: at_most or at_least",
    ),
    "a constraint with both limits": (
        {"constraints": "  - {kpi: labor_cost, at_most: 5000, at_least: 4000}\n"},
        "constraints.0.at_least",
        "labor_cost",
        "not both",
    ),
    "a share of days of 90": (
        {"constraints": "  - {kpi: labor_cost, at_most: 5000, on_share_of_days: 90}\n"},
        "constraints.0.on_share_of_days",
        "labor_cost",
        "above 0 and below 1",
    ),
    "a share of days of 1": (
        {"constraints": "  - {kpi: labor_cost, at_most: 5000, on_share_of_days: 1}\n"},
        "constraints.0.on_share_of_days",
        "labor_cost",
        "above 0 and below 1",
    ),
    "a band no plan keeps": (
        {"constraints": "  - {kpi: labor_cost, at_most: 4000}\n  - {kpi: labor_cost, at_least: 4500}\n"},
        "constraints.1.at_least",
        "4500",
        "no plan keeps labor_cost at least 4500 and at most 4000",
    ),
    "a grid over a continuous float": (
        {"variables": CONTINUOUS, "search": SEARCH.replace("nsga2", "grid")},
        "variables.4.step",
        "turn_away",
        "the grid sampler needs every variable finite",
    ),
    "a budget too small for one generation": (
        {"search": SEARCH.replace("2000", "300")},
        "search.budget_days",
        "budget_days",
        "one generation of 16 plans x 20 days needs 320 simulated days; budget_days is 300",
    ),
    "a grid larger than the budget": (
        {"search": SEARCH.replace("nsga2", "grid")},
        "search.budget_days",
        "budget_days",
        "the grid's 600 plans x 20 days need 12,000 simulated days",
    ),
    "a guarantee on an unknown KPI": (
        {"selection": SELECTION.replace("provider_overtime_mean_min", "overtime")},
        "selection.objective",
        "objective:",
        "unknown KPI 'overtime'",
    ),
    "an alpha of 0.5": ({"selection": SELECTION.replace("0.05", "0.5")}, "selection.alpha", "alpha", "below 0.5"),
    "an alpha of 0": ({"selection": SELECTION.replace("0.05", "0")}, "selection.alpha", "alpha", "above 0"),
    "a delta of 0": ({"selection": SELECTION.replace("delta: 5", "delta: 0")}, "selection.delta", "delta", "above 0"),
    "one finalist": (
        {"selection": SELECTION.replace("pareto", "1")},
        "selection.finalists",
        "finalists",
        "2 finalists or more",
    ),
    "finalists with fewer days than the search": (
        {"selection": SELECTION.replace("400", "10")},
        "selection.max_days_per_plan",
        "max_days_per_plan",
        "more days than the search gave them (20)",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refusal_is_said_at_its_line_and_field(tmp_path, case):
    sections, field, on_line, words = CASES[case]
    text = spec_text(**sections)
    error = refused(tmp_path, text)
    problem = next((p for p in error.problems if p.field == field), None)
    assert problem is not None, error.lines()
    assert words in problem.message, problem.message
    assert problem.line == line_with(text, on_line), error.lines()
    assert f"{tmp_path / 'optimize.yaml'}:{problem.line}: {field}: " in str(error)


def test_a_missing_base_is_said_at_its_line(tmp_path):
    text = spec_text(base="nowhere.yaml")
    error = refused(tmp_path, text)
    assert [(p.line, p.field) for p in error.problems] == [(2, "base")]
    assert "does not exist" in error.problems[0].message


def test_money_kpis_need_a_base_with_finance(tmp_path):
    (tmp_path / "no_finance.yaml").write_text(scenario_to_yaml(load_scenario(BASE).with_changes({"finance": None})))
    text = spec_text(base="no_finance.yaml")
    error = refused(tmp_path, text)
    said = {(p.field, p.line) for p in error.problems if "no finance: section" in p.message}
    assert said == {
        ("objectives.1.kpi", line_with(text, "margin")),
        ("constraints.1.kpi", line_with(text, "labor_cost")),
    }


def test_every_problem_of_a_stage_is_said_at_once(tmp_path):
    file_stage = refused(
        tmp_path,
        spec_text(
            variables="  - {path: clinic.exam_rooms, kind: int, low: 10, high: 6}\n",
            objectives="  - {kpi: nonsense, direction: minimize}\n",
            selection=SELECTION.replace("0.05", "0.7"),
        ),
    )
    assert {p.field for p in file_stage.problems} == {"variables.0.high", "objectives.0.kpi", "selection.alpha"}
    base_stage = refused(
        tmp_path,
        spec_text(
            variables="  - {path: clinik.exam_rooms, kind: int, low: 6, high: 10}\n"
            "  - {path: clinic.exam_rooms, kind: int, low: -1, high: 10}\n",
            objectives=OBJECTIVES + "  - {kpi: margin, direction: maximize}\n",
        ),
    )
    assert {p.field for p in base_stage.problems} == {"variables.0.path", "variables.1.low", "objectives.2.kpi"}
    lines = [p.line for p in base_stage.problems]
    assert lines == sorted(lines)
