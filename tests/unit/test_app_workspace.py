"""A tab's workspace: variants kept as extends: files that the command line reads to the same scenario, uploads
size-limited, saved under safe names, and unable to name files outside their folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import clinicsim
from clinicsim.app.workspace import UploadError, Workspace, safe_name
from clinicsim.scenario.problems import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "scenarios" / "family_medicine.yaml"


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    ws = Workspace(tmp_path / "workspaces")
    ws.choose_base(FAMILY)
    return ws


CHANGES = [
    {"templates.fm_20.slot_min": 15},
    {"templates.fm_20.rule": {"kind": "bailey_welch", "k": 3}},
    {"staff.Front desk.count": 3, "clinic.exam_rooms": 9},
    {"visit_types.new.p_no_show": 0.05, "visit_types.established.durations_min.provider_visit.mean": 18.0},
]


@pytest.mark.parametrize("changes", CHANGES)
def test_a_variant_file_makes_the_scenario_its_changes_make(workspace, changes):
    workspace.save_variant("Plan B", changes)
    base = clinicsim.load_scenario(FAMILY)
    expected = base.with_changes(changes).model_copy(update={"name": "Plan B"})
    assert workspace.variant_scenario("Plan B") == expected
    assert workspace.variants()["Plan B"].changes  # read back from the file


def test_the_downloaded_file_extends_the_base_by_name_and_loads_next_to_it(workspace, tmp_path):
    workspace.save_variant("Shorter slots", {"templates.fm_20.slot_min": 15})
    text = workspace.download_text("Shorter slots")
    assert "extends: family_medicine.yaml" in text
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(FAMILY, folder / FAMILY.name)
    (folder / "shorter_slots.yaml").write_text(text)
    assert clinicsim.load_scenario(folder / "shorter_slots.yaml") == workspace.variant_scenario("Shorter slots")
    assert len(text.splitlines()) < 12  # only what changes


def test_a_change_that_makes_no_valid_scenario_is_refused_at_its_field_and_not_kept(workspace):
    workspace.save_variant("Plan B", {"templates.fm_20.slot_min": 15})
    with pytest.raises(ScenarioError) as caught:
        workspace.save_variant("Plan B", {"templates.fm_20.slot_min": 0.5})
    assert [p.field for p in caught.value.problems] == ["templates.fm_20.slot_min"]
    assert workspace.variant_scenario("Plan B").templates["fm_20"].slot_min == 15


def test_variants_are_renamed_deleted_and_named_apart_from_the_base(workspace):
    workspace.save_variant("Plan B", {})
    workspace.save_variant("Plan C", {"clinic.exam_rooms": 9}, replaces="Plan B")
    assert list(workspace.variants()) == ["Plan C"]
    with pytest.raises(ScenarioError, match="name of its own"):
        workspace.save_variant(clinicsim.load_scenario(FAMILY).name, {})
    workspace.delete_variant("Plan C")
    assert workspace.variants() == {}


def test_choosing_another_base_drops_the_variants_of_the_old_one(workspace):
    workspace.save_variant("Plan B", {})
    workspace.choose_base(ROOT / "scenarios" / "pediatrics.yaml")
    assert workspace.variants() == {}


def test_a_tab_finds_its_workspace_again_by_id_and_another_tab_has_its_own(tmp_path):
    first = Workspace(tmp_path)
    first.choose_base(FAMILY)
    first.save_variant("Plan B", {})
    assert list(Workspace(tmp_path, first.id).variants()) == ["Plan B"]
    assert Workspace(tmp_path).variants() == {}
    assert Workspace(tmp_path, "../../etc").folder.parent == tmp_path  # not an id: a new workspace


@pytest.mark.parametrize(
    ("name", "saved"),
    [
        ("clinic.yaml", "clinic.yaml"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\my plan.yaml", "my_plan.yaml"),
        (".hidden.yaml", "hidden.yaml"),
    ],
)
def test_uploads_are_saved_under_a_safe_name_inside_the_workspace(workspace, name, saved):
    path = workspace.save_upload(name, b"x")
    assert path == workspace.uploads / saved
    assert safe_name(name) == saved


def test_an_upload_over_its_limit_is_refused(workspace):
    with pytest.raises(UploadError, match="limit"):
        workspace.save_upload("big.yaml", b"x" * 11, limit=10)


@pytest.mark.parametrize("named", ["extends: {outside}", "extends: ../../../../{name}"])
def test_an_uploaded_scenario_cannot_name_a_file_outside_its_folder(workspace, named):
    text = named.format(outside=FAMILY, name=FAMILY.name) + "\nname: sneaky\n"
    path = workspace.save_upload("sneaky.yaml", text.encode())
    with pytest.raises(ScenarioError) as caught:
        workspace.choose_base(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (1, "extends") and "uploaded" in problem.message


def test_an_uploaded_scenario_may_extend_a_file_uploaded_with_it(workspace):
    workspace.save_upload(FAMILY.name, FAMILY.read_bytes())
    path = workspace.save_upload("mine.yaml", b"extends: family_medicine.yaml\nname: Mine\nclinic: {exam_rooms: 9}\n")
    assert workspace.choose_base(path).clinic.exam_rooms == 9
    workspace.save_variant("Plan B", {"clinic.exam_rooms": 10})
    assert workspace.variant_scenario("Plan B").clinic.exam_rooms == 10


def test_an_uploaded_scenario_extending_a_file_not_uploaded_asks_for_it_without_naming_server_folders(workspace):
    path = workspace.save_upload("plan.yaml", b"extends: family_medicine.yaml\nname: Mine\n")
    with pytest.raises(ScenarioError) as caught:
        workspace.choose_base(path)
    [problem] = caught.value.problems
    assert problem.message == "family_medicine.yaml was not uploaded with this file: upload it too"
    assert (problem.line, problem.field) == (1, "extends")  # the page shows these three, not the file's path
