"""The form controls of Change the plan: read off any scenario, and a control's value turned back into a change
that makes the scenario the administrator means."""

from __future__ import annotations

from pathlib import Path

import pytest

import clinicsim
from clinicsim.app.plan_controls import change, controls, owners

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def by_path(scenario):
    return {c.path: c for c in controls(scenario)}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_control_of_every_bundled_scenario_sets_back_what_it_shows(path):
    scenario = clinicsim.load_scenario(path)
    found = controls(scenario)
    assert {c.section for c in found} >= {"Templates", "Staff", "Rooms", "No-shows"}
    for control in found:
        assert scenario.with_changes(change(control, control.value)) == scenario, control.path


def test_controls_come_from_the_scenario_not_from_names_in_the_code():
    inbox = by_path(clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine_inbox.yaml"))
    access = by_path(clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine_access.yaml"))
    nurse = by_path(clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine_nurse.yaml"))
    assert any(p.startswith("work.phone_calls.stages.0.by") for p in inbox)
    assert "access.demand.video.per_day" in access and "access.demand.routine.panel.size" in access
    assert any(c.section == "Staff" and "nurse" in c.help for c in nurse.values())
    urgent_care = clinicsim.load_scenario(ROOT / "scenarios" / "urgent_care.yaml")
    x_ray = by_path(urgent_care)["visit_types.urgent.pathway.3.options.x_ray.steps.0.duration_min.mean"]
    assert x_ray.label == "x ray (workup: x ray): mean (min)" and x_ray.value == 12
    step = urgent_care.with_changes(change(x_ray, 20)).visit_types["urgent"].pathway[3].options["x_ray"].steps[0]
    assert step.duration_min.mean == 20 and step.duration_min.sd == 4  # the spread kept


def test_edits_make_the_settings_meant():
    scenario = clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine.yaml")
    c = by_path(scenario)
    after = scenario.with_changes(
        {
            **change(c["templates.fm_20.slot_min"], 15),
            **change(c["templates.fm_20.rule"], {"kind": "bailey_welch", "k": 3}),
            **change(c["templates.fm_20.pattern"], ["new", "established", None, ""]),
            **change(c["templates.fm_20.double_book"], ["10:00", "08:30"]),
            **change(c["templates.fm_20.overbooking"], {"extra_per_session": "auto", "placement": "end"}),
            **change(c["staff.Front desk.count"], 3.0),
            **change(c["staff.Front desk.shifts"], [{"start": "07:00", "end": "12:00"}, {"start": None}]),
        }
    )
    template = after.templates["fm_20"]
    assert template.slot_min == 15 and template.rule.kind == "bailey_welch" and template.rule.k == 3
    assert template.pattern == ["new", "established"]
    assert len(template.double_book) == 2
    assert template.overbooking is not None and template.overbooking.extra_per_session == "auto"
    front = next(g for g in after.staff if g.name == "Front desk")
    assert front.count == 3 and len(front.shifts) == 1 and front.shifts[0].end == 12 * 60


def test_a_shift_edited_keeps_its_breaks():
    scenario = clinicsim.load_scenario(ROOT / "scenarios" / "pediatrics.yaml")
    shifts = [c for c in controls(scenario) if c.kind == "shifts" and any(c.extra["breaks"])]
    if not shifts:
        pytest.skip("no bundled group with breaks")
    control = shifts[0]
    rows = [dict(row) for row in control.value]
    rows[0]["start"] = rows[0]["start"]  # unchanged times, edited table
    assert change(control, rows)[control.path][0].get("breaks") == control.extra["breaks"][0]


def test_work_owners_are_offered_and_set_by_role_group_or_provider():
    scenario = clinicsim.load_scenario(ROOT / "scenarios" / "family_medicine_inbox.yaml")
    choices = owners(scenario)
    assert "provider" in choices and "role: medical_assistant" in choices
    control = next(c for c in controls(scenario) if c.kind == "owner")
    after = scenario.with_changes(change(control, "role: medical_assistant"))
    stream = next(s for s in after.work if control.path.startswith(f"work.{s.name}."))
    assert stream.stages[0].by.model_dump() == {"role": "medical_assistant"}
