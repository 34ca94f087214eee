"""Mistakes in a pathway, as the command line reports them: ``error: file:line: field: message``, exit status 2,
no traceback. Each case edits one line of a valid urgent-care pathway file and names the line it must be
reported at."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from clinicsim.cli import main

GOOD = textwrap.dedent(
    """\
    name: pathway errors
    clinic:
      opens: "08:00"
      closes: "18:00"
      exam_rooms: 2
      rooms: {triage_bay: 1, x_ray: 1}
    provider_pools:
      team: [Dr B]
    visit_types:
      acute:
        pathway:
          - step: triage
            by: {role: nurse}
            duration_min: 6
            room: triage_bay
          - step: examination
            by: {pool: team}
            duration_min: 15
            room: exam
            keep_room: true
          - choose: imaging
            options:
              x_ray:
                p: 0.25
                steps:
                  - {step: x_ray, by: {role: radiology_tech}, duration_min: 10, room: x_ray}
                  - {step: recheck, by: provider, duration_min: 5, room: exam, keep_room: true}
              none: {p: 0.75}
          - step: discharge
            release_room: exam
            duration_min: 3
    templates:
      shift: {sessions: [{start: "08:00", end: "17:00"}], slot_min: 30, pattern: [blocked]}
    providers:
      - {name: Dr A, template: shift}
      - {name: Dr B, template: {mon: shift}}
    staff:
      - {name: Desk, role: front_desk, serves: [discharge], shifts: [{start: "08:00", end: "18:00"}]}
      - {name: Nurse, role: nurse, shifts: [{start: "08:00", end: "18:00"}]}
      - {name: Tech, role: radiology_tech, shifts: [{start: "08:00", end: "18:00"}]}
    walk_ins:
      - {name: door, provider: team, visit_type: acute, rates: [{start: "08:00", end: "16:00", per_hour: 4}]}
    """
)


def check(tmp_path, text: str):
    path = tmp_path / "clinic.yaml"
    path.write_text(text)
    return CliRunner().invoke(main, ["validate", str(path)]), str(path)


def test_the_good_pathway_file_is_valid(tmp_path):
    result, _ = check(tmp_path, GOOD)
    assert result.exit_code == 0, result.output


CASES = [
    pytest.param("serves: [discharge]", "serves: [check_out]", 29,
                 "visit_types.acute.pathway.3", "nobody does discharge", id="a step nobody serves"),
    pytest.param("none: {p: 0.75}", "none: {p: 0.5}", 22,
                 "visit_types.acute.pathway.2.options", "add up to 0.75, not 1", id="branch shares not 1"),
    pytest.param("release_room: exam", "release_room: x_ray", 30,
                 "visit_types.acute.pathway.3.release_room", "no step before it keeps", id="release a room never kept"),
    pytest.param("room: triage_bay", "room: triage_room", 15,
                 "visit_types.acute.pathway.0.room", "unknown room kind 'triage_room'", id="unknown room kind"),
    pytest.param("by: {role: nurse}", "by: {role: nurses}", 13,
                 "visit_types.acute.pathway.0.by", "unknown role 'nurses'", id="unknown role"),
    pytest.param("rooms: {triage_bay: 1, x_ray: 1}", "rooms: {triage_bay: 1, x_ray: 0}", 26,
                 "visit_types.acute.pathway.2.options.x_ray.steps.0.room", "can never end", id="a way that never ends"),
    pytest.param("{name: Dr B, template: {mon: shift}}", "{name: Dr B, template: {tue: shift}}", 8,
                 "provider_pools.team", "no provider of the pool works on mon", id="a pool nobody works in"),
    pytest.param("by: {pool: team}", "by: {pool: teams}", 17,
                 "visit_types.acute.pathway.1.by", "unknown provider pool 'teams'", id="unknown pool"),
    pytest.param("duration_min: 15\n", "duration_min: 15\n        p: 1.5\n", 19,
                 "visit_types.acute.pathway.1.p", "less than or equal to 1", id="a probability above 1"),
    pytest.param("room: exam\n        keep_room: true", "keep_room: true", 19,
                 "visit_types.acute.pathway.1.keep_room", "no room to keep", id="keep a room without one"),
    pytest.param("- step: discharge", "- step: x_ray", 29,
                 "visit_types.acute.pathway.3.step", "comes twice on the same way", id="a step twice on one way"),
    pytest.param("- step: discharge", "- step: documentation", 29,
                 "visit_types.acute.pathway.3.step", "event-log rows of its own", id="a reserved step name"),
    pytest.param("team: [Dr B]", "team: [Dr C]", 8,
                 "provider_pools.team.0", "unknown provider 'Dr C'", id="a pool of an unknown provider"),
    pytest.param("- step: triage", "- step: Triage", 12,
                 "visit_types.acute.pathway.0.step", "lower case", id="a step name in capitals"),
]  # fmt: skip


@pytest.mark.parametrize("old, new, line, field, message", CASES)
def test_a_pathway_mistake_names_file_line_field_and_exits_2(tmp_path, old, new, line, field, message):
    assert old in GOOD
    result, path = check(tmp_path, GOOD.replace(old, new, 1))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert any(f"{path}:{line}: {field}: " in ln and message in ln for ln in lines), result.output


def test_both_shorthand_and_pathway_is_an_error(tmp_path):
    text = GOOD.replace("    pathway:\n", "    durations_min: {provider_visit: 5}\n    pathway:\n", 1)
    result, path = check(tmp_path, text)
    assert result.exit_code == 2 and f"{path}:12: visit_types.acute.pathway: give either" in result.output


def test_rates_from_a_csv_file_and_its_mistakes(tmp_path):
    (tmp_path / "rates.csv").write_text("start,end,per_hour\n08:00,12:00,3\n12:00,16:00,5\n")
    text = GOOD.replace('rates: [{start: "08:00", end: "16:00", per_hour: 4}]', "rates_file: rates.csv")
    result, path = check(tmp_path, text)
    assert result.exit_code == 0, result.output
    (tmp_path / "rates.csv").write_text("start,end,per_hour\n08:00,12:00,3\n12:00,11:00,5\n")
    result, _ = check(tmp_path, text)
    assert result.exit_code == 2 and f"{tmp_path / 'rates.csv'}:3: ends at 11:00" in result.output
    result, _ = check(tmp_path, text.replace("rates.csv", "missing.csv"))
    assert result.exit_code == 2 and f"{path}:42: walk_ins.0.rates_file: no CSV file at" in result.output


def test_a_sweep_may_keep_the_pathways_kpis_that_its_base_has(tmp_path):
    """A sweep's ``kpis`` may name a pathway's KPIs (a step's wait, a role's utilization) when the base scenario
    has them; one it does not have is refused at its line, before anything runs."""
    (tmp_path / "clinic.yaml").write_text(GOOD)
    sweep = tmp_path / "sweep.yaml"
    spec = (
        "name: rooms\nbase: clinic.yaml\ndesign: grid\nreplications: 2\n"
        "factors:\n  - {path: clinic.exam_rooms, values: [1, 2]}\n"
        "kpis: [wait_before_triage_mean_min, nurse_utilization, share_imaging_x_ray_pct]\n"
    )
    sweep.write_text(spec)
    store = tmp_path / "sweep.db"
    result = CliRunner().invoke(main, ["sweep", str(sweep), "--store", str(store), "--workers", "1"])
    assert result.exit_code == 0, result.output
    sweep.write_text(spec.replace("nurse_utilization", "wait_before_lab_draw_mean_min"))
    result = CliRunner().invoke(main, ["validate", str(sweep)])
    assert result.exit_code == 2
    assert f"{sweep}:7: kpis.1: wait_before_lab_draw_mean_min: the base scenario has no such KPI" in result.output


def test_a_pathway_scenario_round_trips_through_yaml_and_takes_changes(tmp_path):
    from clinicsim.scenario import parse_scenario_text, scenario_to_yaml

    scenario = parse_scenario_text(GOOD)
    assert parse_scenario_text(scenario_to_yaml(scenario)) == scenario
    changed = scenario.with_changes({"visit_types.acute.pathway.1.duration_min": 20, "clinic.rooms.x_ray": 2})
    assert (
        changed.visit_types["acute"].steps()[1].duration_min.mean == 20 and changed.clinic.room_counts()["x_ray"] == 2
    )


def test_breaks_out_of_time_order_are_refused(tmp_path):
    old = '  - {name: Nurse, role: nurse, shifts: [{start: "08:00", end: "18:00"}]}'
    new = (
        '  - {name: Nurse, role: nurse, shifts: [{start: "08:00", end: "18:00", breaks: '
        '[{start: "14:15", duration_min: 30}, {start: "11:15", duration_min: 15}]}]}'
    )
    assert old in GOOD
    result, path = check(tmp_path, GOOD.replace(old, new))
    assert result.exit_code == 2 and f"{path}:39: staff.1.shifts.0.breaks: must be in time order" in result.output


def test_a_room_kind_given_as_a_count_has_no_turnover():
    from clinicsim.scenario import parse_scenario_text

    clinic = parse_scenario_text(GOOD).clinic
    assert clinic.turnover("x_ray").mean == 0 and clinic.turnover("exam") == clinic.room_turnover_min
