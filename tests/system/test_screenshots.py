"""The compare and sweep reports as a reader sees them: opened in headless Chromium, measured, and screenshotted.

Skipped when Chromium is not installed (``.ci/run`` installs Debian's ``chromium`` package, so CI runs them). Set
``CLINICSIM_SCREENSHOT_DIR`` to keep the screenshots (one PNG of each whole page) for a look.

The checks stay away from the reports' wording (only their titles): the page loads, nothing sticks out of the text
column, the top of the page is text, and every embedded figure is decoded, laid out and visible in the screenshot
where the browser put it.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from html_checking import Rendering, check_html, chromium_missing, find_chromium, render_in_chromium
from PIL import Image

import clinicsim
from clinicsim.reports.sweep import write_sweep_report
from clinicsim.sweeps.runner import run_sweep
from clinicsim.sweeps.spec import load_sweep

pytestmark = pytest.mark.skipif(find_chromium() is None, reason=chromium_missing())

ROOT = Path(__file__).resolve().parents[2]
CURRENT = ROOT / "scenarios" / "family_medicine.yaml"
CATCH_UP = ROOT / "scenarios" / "family_medicine_catch_up.yaml"
WIDTH = 1280  # a laptop's browser window
MAX_HEIGHT = 16_000  # Chromium's screenshots stop near 16,384 pixels; the figures below that are checked in the DOM
TOP = 500  # the first pixels: the title and the summary in words


def _compare_report(tmp: Path) -> Path:
    comparison = clinicsim.compare([CURRENT, CATCH_UP], replications=3, seed=5)
    return clinicsim.write_report(comparison, tmp)


def _sweep_report(tmp: Path) -> Path:
    """A 2 x 2 grid of 3 days a point, as in test_sweep_report.py."""
    spec_path = tmp / "spec.yaml"
    spec_path.write_text(
        f"name: Screenshot sweep\nbase: {CURRENT.as_posix()}\ndesign: grid\nfactors:\n"
        "  - path: clinic.exam_rooms\n    values: [6, 8]\n"
        "  - path: templates.fm_20.slot_min\n    values: [15, 20]\n"
        "replications: 3\nseed: 11\n"
        "kpis: [patients_seen, provider_wait_mean_min, provider_overtime_mean_min, margin]\n"
    )
    spec, points = load_sweep(spec_path)
    run_sweep(spec, points, tmp / "sweep.db", workers=1)
    return write_sweep_report(tmp / "sweep.db", tmp / "report")


def _named_plans_report(tmp: Path) -> Path:
    """The bundled sweep of named plans: long settings (a whole pattern, an appended staff group) as factors."""
    spec, points = load_sweep(ROOT / "scenarios" / "sweeps" / "family_medicine_levers.yaml")
    run_sweep(spec, points, tmp / "levers.db", workers=1)
    return write_sweep_report(tmp / "levers.db", tmp / "report")


REPORTS = {
    "compare": (_compare_report, "Plan comparison"),
    "sweep": (_sweep_report, "Sweep: Screenshot sweep"),
    "named plans": (_named_plans_report, "Sweep: Family medicine, one lever at a time"),
}


@dataclass
class Shown:
    """A report and how Chromium showed it: what the page measured and the screenshot's pixels (rows, columns, RGB)."""

    kind: str
    report: Path
    rendering: Rendering
    pixels: np.ndarray


@pytest.fixture(scope="module", params=sorted(REPORTS))
def shown(request, tmp_path_factory) -> Shown:
    """Each report in the browser; the screenshot is kept when CLINICSIM_SCREENSHOT_DIR is set."""
    build, _ = REPORTS[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    report = build(tmp)
    rendering = render_in_chromium(report, tmp / "browser", width=WIDTH, max_height=MAX_HEIGHT)
    keep = os.environ.get("CLINICSIM_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rendering.screenshot, Path(keep) / f"{request.param}_report.png")
    with Image.open(rendering.screenshot) as image:
        pixels = np.asarray(image.convert("RGB"))
    return Shown(request.param, report, rendering, pixels)


def _colours(pixels: np.ndarray) -> int:
    """How many different colours an RGB picture has."""
    rgb = pixels.reshape(-1, 3).astype(np.int32)
    return int(np.count_nonzero(np.bincount((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2], minlength=1 << 24)))


def _thumbnail(image: Image.Image) -> np.ndarray:
    """A 48 x 48 grey thumbnail, centred and scaled, for comparing a picture with how it was drawn."""
    grey = np.asarray(image.convert("L").resize((48, 48), Image.Resampling.BOX), dtype=float)
    return (grey - grey.mean()) / (grey.std() + 1e-9)


def test_the_page_loads_with_its_title_and_fits_the_window(shown):
    rendering = shown.rendering
    assert rendering.title == REPORTS[shown.kind][1]
    assert rendering.width == WIDTH, "the page scrolls sideways"
    assert rendering.overflowing == [], "these stick out of the text column on the right"
    assert rendering.height > 1_500, "a report with its tables and figures is several screens long"


def test_the_screenshot_is_the_whole_page_and_opens_with_text(shown):
    pixels = shown.pixels
    assert pixels.shape == (min(shown.rendering.height, MAX_HEIGHT), WIDTH, 3)
    top = pixels[:TOP]
    ink = (top.min(axis=2) < 128).mean()  # dark pixels: the title and the sentences under it
    assert 0.005 < ink < 0.5, f"{ink:.1%} of the top of the page is dark"
    assert _colours(top) > 100, "antialiased text has many shades; a blank or flat page has a few"
    assert _colours(pixels) > 1_000, "the figures bring colour"


def test_every_figure_is_decoded_laid_out_and_visible_where_the_browser_put_it(shown):
    embedded = check_html(shown.report).images
    assert len(shown.rendering.images) == len(embedded) > 0
    pixels = shown.pixels
    seen = 0
    for number, (image, source) in enumerate(zip(shown.rendering.images, embedded, strict=True), 1):
        assert image["complete"] and min(image["natural"]) > 0, f"the browser could not decode figure {number}"
        with Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))) as png:
            assert image["natural"] == list(png.size), f"figure {number} is not the embedded PNG"
            picture = _thumbnail(png)
        if image["folded"]:  # inside a closed <details>: not laid out until the reader opens it
            continue
        x, y, width, height = (round(value) for value in image["box"])
        assert width >= 200 and height >= 100, f"figure {number} is laid out {width} x {height} px"
        assert 0 <= x and x + width <= WIDTH, f"figure {number} sticks out of the window: {image['box']}"
        if y + height > pixels.shape[0]:
            continue  # below the screenshot of a very long page
        drawn = pixels[y : y + height, x : x + width]
        assert _colours(drawn) > 50 and (drawn.min(axis=2) < 200).mean() > 0.01, f"figure {number} is blank"
        similarity = float((picture * _thumbnail(Image.fromarray(drawn))).mean())
        assert similarity > 0.8, f"figure {number} does not look like its PNG on screen ({similarity:.2f})"
        seen += 1
    assert seen > 0, "no figure is on show"
