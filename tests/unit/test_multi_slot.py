"""Visits that take several slots (``slots_per_visit``): the walk over a session's slots, the appointments each
rule books, the checks and warnings of a scenario file, and the template picture.

The worked example throughout: 20-minute slots, a new visit takes two of them (40 min), an established visit
one. With the pattern ``[new, est]`` a two-hour session 08:00-10:00 holds new 08:00-08:40, est 08:40-09:00,
new 09:00-09:40, est 09:40-10:00.

Times are minutes from midnight: 480 is 08:00.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

import clinicsim
from clinicsim import expand_template, plots
from clinicsim.scenario import ScenarioError, Template, VisitType, parse_scenario_text
from clinicsim.scenario.vocabulary import PatternVisit, place_pattern, slot_times

matplotlib.use("Agg")  # no display needed, whatever the environment says

VISIT_TYPES = {
    "new": VisitType.model_validate({"p_no_show": 0.2, "durations_min": {"provider_visit": 40}}),
    "est": VisitType.model_validate({"p_no_show": 0.1, "durations_min": {"provider_visit": 20}}),
}


def template(**fields) -> Template:
    spec = {
        "sessions": [{"start": "08:00", "end": "10:00"}],
        "slot_min": 20,
        "pattern": ["new", "est"],
        "slots_per_visit": {"new": 2},
        **fields,
    }
    return Template.model_validate(spec)


def booked(tmpl: Template) -> list[tuple]:
    """(time, visit type, first slot, minutes held, booking) of each appointment."""
    return [(a.time_min, a.visit_type, a.slot_min, a.length_min, a.booking) for a in expand_template(tmpl, VISIT_TYPES)]


# -- the one walk over a session's slots ---------------------------------------------------------------------------


def test_the_pattern_is_laid_visit_by_visit_each_taking_its_slots():
    (session,) = template().sessions
    assert place_pattern(session, template()) == [
        PatternVisit(480, "new", 0, 2, 40, True),
        PatternVisit(520, "est", 1, 1, 20, True),
        PatternVisit(540, "new", 0, 2, 40, True),
        PatternVisit(580, "est", 1, 1, 20, True),
    ]


def test_a_visit_running_past_the_session_end_does_not_fit_and_ends_the_walk():
    # 08:00-09:20 holds four slots: new (2), est (1), then a new visit needing 09:00-09:40: it does not fit, and
    # the walk does not skip ahead to the est visit that would (the pattern keeps its order)
    tmpl = template(sessions=[{"start": "08:00", "end": "09:20"}])
    placed = place_pattern(tmpl.sessions[0], tmpl)
    assert [(v.start_min, v.visit_type, v.fits) for v in placed] == [
        (480, "new", True),
        (520, "est", True),
        (540, "new", False),
    ]


def test_without_slots_per_visit_the_walk_is_the_slot_grid():
    tmpl = template(slots_per_visit={}, pattern=["new", "est", "blocked"])
    placed = place_pattern(tmpl.sessions[0], tmpl)
    assert [v.start_min for v in placed] == slot_times(tmpl.sessions[0], 20)
    assert [v.visit_type for v in placed] == ["new", "est", "blocked"] * 2
    assert {(v.n_slots, v.length_min, v.fits) for v in placed} == {(1, 20, True)}


# -- appointments under each rule -----------------------------------------------------------------------------------


def test_fixed_interval_books_each_visit_at_its_first_slot_for_the_length_of_its_slots():
    assert booked(template()) == [
        (480, "new", 480, 40, "regular"),
        (520, "est", 520, 20, "regular"),
        (540, "new", 540, 40, "regular"),
        (580, "est", 580, 20, "regular"),
    ]


def test_a_visit_that_does_not_fit_at_the_session_end_is_not_booked():
    assert booked(template(sessions=[{"start": "08:00", "end": "09:20"}])) == [
        (480, "new", 480, 40, "regular"),
        (520, "est", 520, 20, "regular"),
    ]  # 09:00-09:20 stays open: the next new visit would end at 09:40


def test_padding_with_blocked_slots_books_the_visit_that_multi_slot_visits_leave_out():
    """The old way: [new, blocked, est] books a new visit at 09:00 that runs past 09:20."""
    padded = template(
        sessions=[{"start": "08:00", "end": "09:20"}], pattern=["new", "blocked", "est"], slots_per_visit={}
    )
    assert [(t, vt) for t, vt, *_ in booked(padded)] == [(480, "new"), (520, "est"), (540, "new")]


def test_the_pattern_repeats_from_each_sessions_start():
    tmpl = template(
        sessions=[{"start": "08:00", "end": "09:00"}, {"start": "13:00", "end": "14:00"}], pattern=["est", "new"]
    )
    assert [(a.time_min, a.visit_type, a.session) for a in expand_template(tmpl, VISIT_TYPES)] == [
        (480, "est", 0),
        (500, "new", 0),
        (780, "est", 1),
        (800, "new", 1),
    ]


def test_bailey_welch_moves_each_patient_k_minus_1_visits_earlier():
    # visits start 08:00, 08:40, 09:00, 09:40; k = 2: two at 08:00, then each at the previous visit's start
    assert booked(template(rule={"kind": "bailey_welch", "k": 2})) == [
        (480, "new", 480, 40, "regular"),
        (480, "est", 520, 20, "regular"),
        (520, "new", 540, 40, "regular"),
        (540, "est", 580, 20, "regular"),
    ]


def test_bailey_welch_k_3():
    times = [t for t, *_ in booked(template(rule={"kind": "bailey_welch", "k": 3}))]
    assert times == [480, 480, 480, 520]


def test_wave_books_each_visit_at_the_start_of_the_wave_holding_its_first_slot():
    # waves 08:00-09:00 and 09:00-10:00: new 08:00 and est 08:40 in the first, new 09:00 and est 09:40 in the second
    assert [(t, vt, length) for t, vt, _, length, _ in booked(template(rule={"kind": "wave", "wave_min": 60}))] == [
        (480, "new", 40),
        (480, "est", 20),
        (540, "new", 40),
        (540, "est", 20),
    ]


def test_double_booking_names_a_visits_first_slot_and_adds_a_patient_on_the_same_slots():
    assert booked(template(double_book=["09:00"])) == [
        (480, "new", 480, 40, "regular"),
        (520, "est", 520, 20, "regular"),
        (540, "new", 540, 40, "regular"),
        (540, "new", 540, 40, "double_book"),
        (580, "est", 580, 20, "regular"),
    ]


def test_double_booking_under_bailey_welch_follows_the_visit_to_its_new_time():
    appointments = booked(template(double_book=["08:40"], rule={"kind": "bailey_welch", "k": 2}))
    assert [a for a in appointments if a[4] == "double_book"] == [(480, "est", 520, 20, "double_book")]


def test_overbooking_auto_counts_visits_not_slots():
    # 08:00-13:20 of new visits: 8 visits (16 slots) with p = 0.2: round(8 * 0.2 / 0.8) = 2 extras
    # (counting slots would give round(16 * 0.2 / 0.8) = 4)
    tmpl = template(sessions=[{"start": "08:00", "end": "13:20"}], pattern=["new"], overbooking={})
    extras = [a for a in booked(tmpl) if a[4] == "overbook"]
    assert len(extras) == 2
    assert all(length == 40 for _, _, _, length, _ in extras)


def test_overbooked_extras_share_the_time_and_slots_of_the_visit_they_join():
    tmpl = template(overbooking={"extra_per_session": 2, "placement": "end", "visit_type": "new"})
    extras = [a for a in booked(tmpl) if a[4] == "overbook"]
    assert extras == [(540, "new", 540, 40, "overbook"), (580, "new", 580, 20, "overbook")]


def test_blocked_may_take_several_slots_too():
    # an hour of admin time as one pattern entry: new (40), blocked (60), est (20) fill 08:00-10:00
    tmpl = template(pattern=["new", "blocked", "est"], slots_per_visit={"new": 2, "blocked": 3})
    assert [(t, vt, length) for t, vt, _, length, _ in booked(tmpl)] == [(480, "new", 40), (580, "est", 20)]


def test_one_slot_per_visit_written_out_is_the_same_as_the_default():
    assert booked(template(slots_per_visit={"new": 1, "est": 1})) == booked(template(slots_per_visit={}))
    assert {length for *_, length, _ in booked(template(slots_per_visit={}))} == {20}


def test_every_appointment_of_the_bundled_scenarios_holds_one_slot():
    """None of them uses slots_per_visit, so their appointments are what they always were."""
    for path in sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml")):
        scenario = clinicsim.load_scenario(path)
        for name, tmpl in scenario.templates.items():
            assert not tmpl.slots_per_visit, f"{path.name}: {name}"
            assert {a.length_min for a in expand_template(tmpl, scenario.visit_types)} <= {tmpl.slot_min}


# -- the scenario file: errors with file, line and field, and warnings ----------------------------------------------

FILE = """\
name: multi-slot
clinic: {opens: "08:00", closes: "12:00", exam_rooms: 2}
visit_types:
  new: {durations_min: {provider_visit: 40}}
  est: {durations_min: {provider_visit: 20}}
templates:
  t:
    sessions: [{start: "08:00", end: "10:00"}]
    slot_min: 20
    pattern: [new, est]
    slots_per_visit: {new: 2}
providers:
  - {name: A, template: t}
"""


def test_the_worked_example_file_loads_and_books_four_visits():
    scenario = parse_scenario_text(FILE)
    assert scenario.templates["t"].slots_per_visit == {"new": 2}
    assert [a.length_min for a in expand_template(scenario.templates["t"], scenario.visit_types)] == [40, 20, 40, 20]


DOUBLE_BOOK = "{new: 2}\n    double_book: ['{}']"


@pytest.mark.parametrize(
    ("changes", "line", "field", "message"),
    [
        ({"{new: 2}": "{new: 2, newx: 2}"}, 11, "slots_per_visit.newx", "unknown visit type 'newx' (known: est, new"),
        ({"{new: 2}": "{new: 0}"}, 11, "slots_per_visit.new", "a visit takes 1 slot or more"),
        ({"{new: 2}": "{new: -1}"}, 11, "slots_per_visit.new", "a visit takes 1 slot or more"),
        ({"{new: 2}": "{new: 1.5}"}, 11, "slots_per_visit.new", "valid integer"),
        ({"{new: 2}": "{new: true}"}, 11, "slots_per_visit", "expected a number, not true or false"),
        ({"{new: 2}": "[new, 2]"}, 11, "slots_per_visit", "valid dictionary"),
        ({"{new: 2}": "{new: 7}"}, 11, "slots_per_visit", "no visit fits in any session"),
        (
            {"{new: 2}": DOUBLE_BOOK.replace("{}", "08:20")},
            12,
            "double_book.0",
            "08:20 is inside the 40-minute new visit that starts at 08:00: name a visit's first slot (08:00)",
        ),
        (  # 08:00-09:20: the new visit due at 09:00 does not fit, so 09:00-09:20 stays open and books nobody
            {"{new: 2}": DOUBLE_BOOK.replace("{}", "09:00"), 'end: "10:00"': 'end: "09:20"'},
            12,
            "double_book.0",
            "nothing is booked at 09:00: the new visit due at 09:00 takes 2 slots and does not fit",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_a_bad_slots_per_visit_is_refused_with_line_and_field(changes, line, field, message):
    text = FILE
    for old, new in changes.items():
        text = text.replace(old, new)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text(text, source="clinic.yaml")
    assert (line, f"templates.t.{field}") in [(p.line, p.field) for p in caught.value.problems], str(caught.value)
    assert f"clinic.yaml:{line}: templates.t.{field}: " in str(caught.value)
    assert message in str(caught.value)


def test_a_multi_slot_visit_the_pattern_never_fits_is_warned_about_at_its_pattern_entry():
    # 08:00-09:00 holds three slots: est, est, then new needs two: never booked
    text = FILE.replace("pattern: [new, est]", "pattern: [est, est, new]").replace('end: "10:00"', 'end: "09:00"')
    with pytest.warns(clinicsim.scenario.ScenarioWarning) as caught:
        scenario = parse_scenario_text(text, source="clinic.yaml")
    (warning,) = [str(w.message) for w in caught]
    assert warning.startswith("clinic.yaml:10: templates.t.pattern.2: this new visit (2 slots, 40 min) is never booked")
    assert [a.visit_type for a in expand_template(scenario.templates["t"], scenario.visit_types)] == ["est", "est"]


def test_a_multi_slot_visit_that_fits_in_some_session_is_not_warned_about(recwarn):
    text = FILE.replace(
        '[{start: "08:00", end: "10:00"}]', '[{start: "08:00", end: "08:20"}, {start: "09:00", end: "10:00"}]'
    )
    text = text.replace("pattern: [new, est]", "pattern: [est, new]")
    parse_scenario_text(text)
    assert not [w for w in recwarn if isinstance(w.message, clinicsim.scenario.ScenarioWarning)]


def test_the_schema_describes_slots_per_visit():
    field = clinicsim.Scenario.model_json_schema()["$defs"]["Template"]["properties"]["slots_per_visit"]
    assert field["type"] == "object"
    assert field["additionalProperties"] == {"type": "integer", "minimum": 1}
    assert "40-minute new visit in 20-minute slots" in field["description"]
    assert "not booked" in field["description"]


# -- the template picture ------------------------------------------------------------------------------------------


def test_the_template_picture_draws_one_box_per_visit_as_wide_as_its_slots():
    scenario = parse_scenario_text(FILE)
    ax = plots.plot_template(scenario)
    boxes = [(p.get_x(), p.get_width()) for p in ax.patches]
    assert boxes == [(480, 40), (520, 20), (540, 40), (580, 20)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["new", "est"]


def test_the_template_picture_outlines_the_time_left_open_at_a_sessions_end():
    scenario = parse_scenario_text(FILE.replace('end: "10:00"', 'end: "09:20"'))
    ax = plots.plot_template(scenario)
    boxes = [(p.get_x(), p.get_width(), p.get_fill()) for p in ax.patches]
    assert boxes == [(480, 40, True), (520, 20, True), (540, 20, False)]
    assert ax.patches[-1].get_linestyle() == "--"
    assert "open: the next visit does not fit" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_template_picture_marks_a_double_booked_multi_slot_visit_across_its_width():
    scenario = parse_scenario_text(FILE.replace("{new: 2}", "{new: 2}\n    double_book: ['09:00']"))
    ax = plots.plot_template(scenario)
    hatched = [(p.get_x(), p.get_width()) for p in ax.patches if p.get_hatch()]
    assert hatched == [(540, 40)]
    assert [(t.get_position(), t.get_text()) for t in ax.texts] == [((560, 0), "×2")]
