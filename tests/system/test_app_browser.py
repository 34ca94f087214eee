"""The web app in a real headless browser, as an administrator uses it: Playwright driving Debian's Chromium
against ``clinicsim app`` started on a free port.

Load the family-medicine scenario, change the slot length of its established-visit template, compare a few days,
read the verdict and the margin from the page, download the variant file and check that the command line
validates it and gives the same numbers; upload a broken file and see the error at its line and field; a second
tab has a workspace of its own, and a reload keeps the results. Skipped when Chromium is missing (``.ci/run``
installs it); screenshots go to ``CLINICSIM_SCREENSHOT_DIR`` when it is set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from app_server import ROOT, running_app
from html_checking import chromium_missing, find_chromium

from clinicsim.experiment import DEFAULT_SEED

pytestmark = [pytest.mark.slow, pytest.mark.skipif(find_chromium() is None, reason=chromium_missing())]
playwright = pytest.importorskip("playwright.sync_api")

FAMILY = ROOT / "scenarios" / "family_medicine.yaml"
DAYS = 3
TIMEOUT_MS = 90_000  # a busy two-core CI machine; the benchmark measures the speed


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("app-data"), log=tmp_path_factory.mktemp("log") / "app.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    # tall, so that a screenshot holds the whole page (Streamlit scrolls inside its own container)
    context = browser.new_context(viewport={"width": 1280, "height": 2400}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(app_url)
    yield tab
    context.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("CLINICSIM_SCREENSHOT_DIR") or tmp_path) / "app"
    folder.mkdir(parents=True, exist_ok=True)
    return lambda tab, name: tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def by_key(tab, key: str):
    """The element of the widget with Streamlit key ``key`` (its container's class names it)."""
    return tab.locator(f".st-key-{re.sub(r'[^A-Za-z0-9_-]', '-', key)}")


def choose_family_medicine(tab) -> None:
    tab.get_by_role("button", name="Use this scenario").click()
    by_key(tab, "start_summary").get_by_text("4 providers").wait_for()
    tab.get_by_role("heading", name="Visit types").wait_for()  # the summary's last part: all of it drawn


def add_variant_with_15_minute_slots(tab) -> None:
    tab.get_by_role("link", name="Change the plan").click()
    tab.get_by_label("New variant").fill("15-minute slots")
    tab.get_by_label("New variant").press("Enter")
    tab.get_by_role("button", name="Add variant").click()
    slot = by_key(tab, "plan:15_minute_slots:templates.fm_20.slot_min").locator("input")
    slot.fill("15")
    slot.press("Enter")
    by_key(tab, "plan_changes").get_by_text("changes 1 setting").wait_for()


def run_comparison(tab) -> str:
    """Compare the base and the variant on DAYS days; the verdict's text."""
    tab.get_by_role("link", name="Compare").click()
    days = by_key(tab, "compare_days").locator("input")
    days.fill(str(DAYS))
    days.press("Tab")
    tab.get_by_role("button", name="Run the comparison").click()
    return read_verdict(tab)


def read_verdict(tab) -> str:
    """The verdict's text, once the table after it is drawn (so the verdict is whole)."""
    by_key(tab, "compare_differences").wait_for()
    return by_key(tab, "compare_verdict").inner_text()


def words(text: str) -> str:
    return " ".join(text.split())


def margin_sentence(text: str) -> str:
    return re.search(r"Margin [^:]+: .*?clinic days \(95% CI [^)]*\)", words(text)).group(0)


def test_an_administrator_changes_the_slots_compares_and_takes_the_plan_to_the_command_line(page, shots, tmp_path):
    choose_family_medicine(page)
    shots(page, "1_start")
    add_variant_with_15_minute_slots(page)
    shots(page, "2_change_the_plan")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the variant file").click()
    variant = tmp_path / "15_minute_slots.yaml"
    download.value.save_as(variant)
    verdict = run_comparison(page)
    shots(page, "3_compare")
    assert "15-minute slots" in verdict and "trade-off" in verdict or "better" in verdict

    shutil.copy(FAMILY, tmp_path / FAMILY.name)
    cli = [sys.executable, "-m", "clinicsim"]
    checked = subprocess.run([*cli, "validate", variant.name], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    compared = subprocess.run(
        [*cli, "compare", FAMILY.name, variant.name, "-n", str(DAYS), "--seed", str(DEFAULT_SEED)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert margin_sentence(compared.stdout) == margin_sentence(verdict)
    assert words(verdict.splitlines()[0]) in words(compared.stdout)


def test_a_broken_upload_shows_its_problem_at_its_line_and_field(page, shots, tmp_path):
    text = FAMILY.read_text()
    broken = text.replace("slot_min: 20", "slot_min: -5", 1)
    line = broken.splitlines().index(next(x for x in broken.splitlines() if "slot_min: -5" in x)) + 1
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    page.get_by_text("Upload a scenario file").click()
    by_key(page, "start_upload").locator("input[type=file]").set_input_files(str(path))
    errors = by_key(page, "start_errors")
    errors.get_by_text("slot_min").first.wait_for()
    shots(page, "4_broken_upload")
    shown = words(errors.inner_text())
    assert f"line {line} · templates.fm_20.slot_min" in shown and "greater than" in shown


def test_a_second_tab_has_its_own_workspace_and_a_reload_keeps_the_results(page, browser, app_url):
    choose_family_medicine(page)
    add_variant_with_15_minute_slots(page)
    verdict = run_comparison(page)
    other = browser.new_context().new_page()
    other.set_default_timeout(TIMEOUT_MS)
    other.goto(f"{app_url}/plan")
    other.get_by_text("Choose a scenario on").wait_for()  # no base, no variants: nothing of the first tab's
    page.reload()
    assert words(read_verdict(page)) == words(verdict)


def test_a_long_comparison_shows_its_progress_survives_a_reload_and_stops_on_cancel(page, shots):
    choose_family_medicine(page)
    add_variant_with_15_minute_slots(page)
    page.get_by_role("link", name="Compare").click()
    days = by_key(page, "compare_days").locator("input")
    days.fill("1000")
    days.press("Tab")
    page.get_by_role("button", name="Run the comparison").click()
    progress = by_key(page, "compare_progress")
    progress.get_by_text("plan-days simulated").wait_for()
    shots(page, "5_progress")
    page.reload()  # the run goes on in the server: the reloaded page finds it where it is
    by_key(page, "compare_progress").get_by_text("plan-days simulated").wait_for()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("The run was cancelled").wait_for()
    assert not by_key(page, "compare_verdict").count()
