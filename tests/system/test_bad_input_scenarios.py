"""Bad scenario files never crash, hang or pass silently (see bad_input.py for the corpus and the judge).

- The corpus: every value mutation at places spread over every bundled scenario, and the text mistakes. A
  mutation that cannot give a valid scenario must end in exit 2 with ``error: FILE:LINE: FIELD: message``; any
  other may be accepted, and then one replication must run to the end.
- Hypothesis picks a bundled scenario, a place and a mutation at random and holds the same line.
- The defects of issue 12 with their expected messages, one by one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input import (
    BUNDLED,
    ERROR_LINE,
    MINIMAL,
    SECONDS_PER_CASE,
    VALUE_MUTATIONS,
    Case,
    clean_error,
    dump,
    judge,
    places,
    plain,
    replaced,
    text_cases,
    value_cases,
)
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicsim.cli import main


def _check(case: Case, folder: Path) -> None:
    verdict = judge(case, folder)
    assert not verdict.traceback, f"{case.name}: traceback\n{verdict.output}"
    assert verdict.seconds < SECONDS_PER_CASE, f"{case.name}: took {verdict.seconds:.1f} s"
    if verdict.exit_code == 0:
        assert not case.must_fail, f"{case.name}: accepted\n{verdict.output}"
        assert verdict.ran, f"{case.name}: accepted, but one replication did not run to the end"
    else:
        assert clean_error(verdict), f"{case.name}: exit {verdict.exit_code}\n{verdict.output}"
        if case.must_fail and not case.name.startswith(
            ("not UTF", "NUL", "too large", "nested", "alias", "extends", "a chain", "empty", "a list")
        ):
            fields = [m for line in verdict.output.splitlines() if (m := ERROR_LINE.match(line)) and m["line"]]
            assert fields, f"{case.name}: no line named\n{verdict.output}"


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.slow) if "recursion" in c.name else c for c in text_cases()],
    ids=lambda c: c.name,
)
def test_text_mistakes_exit_2_with_file_and_line(case, tmp_path):
    _check(case, tmp_path)


@pytest.mark.parametrize(
    "path",
    [p if p.stem == "family_medicine" else pytest.param(p, marks=pytest.mark.slow) for p in BUNDLED],
    ids=lambda p: p.stem,
)
def test_a_few_value_mutations_of_each_bundled_scenario(path, tmp_path):
    for k, case in enumerate(value_cases(path, per_kind=1)):
        _check(case, tmp_path / str(k))


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_the_whole_value_corpus(path, tmp_path):
    cases = value_cases(path, per_kind=8)
    assert len(cases) > 20
    for k, case in enumerate(cases):
        _check(case, tmp_path / str(k))


SCENARIO_DATA = {path.name: plain(path) for path in BUNDLED}


@st.composite
def mutants(draw) -> Case:
    name = draw(st.sampled_from(sorted(SCENARIO_DATA)))
    data = SCENARIO_DATA[name]
    at, value = draw(st.sampled_from(list(places(data))[1:]))
    kinds = [k for k, (applies, _, _) in VALUE_MUTATIONS.items() if applies(value)]
    if not kinds:
        return Case(f"{name}: unchanged", dump(data), False)
    kind = draw(st.sampled_from(kinds))
    _, mutate, must_fail = VALUE_MUTATIONS[kind]
    return Case(f"{name}: {kind} at {'.'.join(map(str, at))}", dump(replaced(data, at, mutate(value))), must_fail)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutants())
def test_random_mutations_are_accepted_and_run_or_refused_cleanly(case, tmp_path):
    _check(case, tmp_path / "h")


def _errors(tmp_path: Path, text: str) -> str:
    verdict = judge(Case("one", text, True), tmp_path)
    assert verdict.exit_code == 2 and not verdict.traceback, verdict.output
    return verdict.output


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("exam_rooms: 2", "exam_rooms: true"), "clinic.exam_rooms: expected a number, not true or false"),
        (("exam_rooms: 2", "exam_rooms: abc"), "clinic.exam_rooms: Input should be a valid integer"),
        (("exam_rooms: 2", "exam_rooms: 100000000"), "clinic.exam_rooms: at most 5,000 rooms"),
        (("provider_visit: 15", "provider_visit: .nan"), "provider_visit: Input should be a finite number"),
        (("provider_visit: 15", "provider_visit: .inf"), "provider_visit: Input should be a finite number"),
        (("provider_visit: 15", "provider_visit: {kind: lognormal, mean: 15, sd: .inf}"), "finite number"),
        (("slot_min: 20", "slot_min: 0.000000001"), "templates.t.slot_min: Input should be greater than or equal"),
        (("slot_min: 20", "slot_min: 300"), "templates.t.slot_min: no slot of 300 min fits in any session"),
        (("pattern: [v]", "pattern: [blocked]"), "templates.t.pattern: every slot is blocked"),
        (('start: "08:00", end: "12:00"}]', 'start: "05:00", end: "06:00"}]'), "outside the clinic's opening hours"),
        (("pattern: [v]}", "pattern: [v], overbooking: {extra_per_session: -3}}"), "extra_per_session"),
        (("{name: A, template: t}", "{name: A, template: t, speed_factor: true}"), "speed_factor: expected a number"),
        (("{name: A, template: t}", "{name: 'Dr A#1', template: t}"), "providers.0.name: a name is made of letters"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_defect_is_refused_with_its_field(tmp_path, change, expected):
    old, new = change
    assert old in MINIMAL
    output = _errors(tmp_path, MINIMAL.replace(old, new))
    assert expected in output
    assert all(ERROR_LINE.match(line) for line in output.splitlines() if line.strip())


def test_a_mistake_inherited_through_a_merge_key_is_reported_where_it_is_written(tmp_path):
    text = MINIMAL.replace(
        "  - {name: A, template: t}\n", "  - &p\n    name: A\n    template: nosuch\n  - <<: *p\n    name: B\n"
    )
    output = _errors(tmp_path, text)
    assert "case.yaml:10: providers.0.template: unknown template 'nosuch'" in output
    inherited = "(a value inherited through a YAML merge key '<<'; it is written at this line)"
    assert f"case.yaml:10: providers.1.template: unknown template 'nosuch' (known: t) {inherited}" in output


def test_yaml_errors_point_at_the_duplicate_not_the_block(tmp_path):
    output = _errors(tmp_path, MINIMAL.replace("slot_min: 20,", "slot_min: 20,\n     slot_min: 30,"))
    assert 'case.yaml:7: the key "slot_min" is given twice' in output
    top = _errors(tmp_path, MINIMAL + "name: again\n")
    assert 'case.yaml:9: the key "name" is given twice' in top and len(top) < 200  # not the whole mapping


def test_names_in_any_script_are_accepted_alike(tmp_path):
    text = (
        MINIMAL.replace("{name: A,", "{name: Dr Müller-Łukasz 李,")
        .replace("  v:", "  visite_é:")
        .replace("[v]", "[visite_é]")
    )
    verdict = judge(Case("unicode", text, False), tmp_path)
    assert verdict.exit_code == 0 and verdict.ran, verdict.output


def test_warnings_name_the_line_and_the_run_goes_on(tmp_path):
    text = MINIMAL.replace("provider_visit: 15", "provider_visit: 60, check_in: 3") + (
        "staff:\n  - {name: desk, role: front_desk, serves: [check_in], shifts: [{start: '07:45', end: '10:00'}]}\n"
    )
    verdict = judge(Case("warned", text, False), tmp_path)
    assert verdict.exit_code == 0 and verdict.ran
    assert "warning: " in verdict.output and "case.yaml:6: templates.t.sessions.0: the last v visit" in verdict.output
    assert "case.yaml:10: staff.0.shifts.0: nobody does check_in for A's patients after 10:00" in verdict.output


def test_every_bundled_scenario_loads_without_a_warning():
    result = CliRunner().invoke(main, ["validate", *map(str, BUNDLED)])
    assert result.exit_code == 0 and "warning" not in result.output, result.output
