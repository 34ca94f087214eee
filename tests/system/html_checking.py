"""Reading a generated HTML report as a browser would: nesting, images, addresses and text; and opening it in
headless Chromium to see what a reader sees."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}


class HtmlChecker(HTMLParser):
    """Collects image sources, URL-bearing attributes and text, and checks that elements nest properly."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        self.urls += [value for name, value in attrs if name in ("src", "href", "action") and value]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def check_html(path: Path) -> HtmlChecker:
    """Parse the HTML file at ``path``."""
    checker = HtmlChecker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    return checker


# --- Opening a report in headless Chromium ---------------------------------------------------------------------------

# Chromium as root in a container: no sandbox, no GPU, and none of the background connections (update checks, sync,
# QUIC) that a closed network refuses; a new empty profile each run.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # a container's /dev/shm is often 64 MB
    "--hide-scrollbars",
    "--force-device-scale-factor=1",  # one screenshot pixel per CSS pixel
)

# Appended to a copy of the report: once everything has loaded, it writes what a reader would see of the page (its
# size, each <img> decoded or not and where it was laid out, what sticks out of the text column) into the DOM, where
# ``--dump-dom`` prints it.
_PROBE_ID = "clinicsim-browser-probe"
OVERFLOW_TOLERANCE_PX = 4  # a figure's 1 px border on an image of the column's full width is not overflowing
_PROBE = r"""<script>
window.addEventListener("load", () => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];
  };
  const style = getComputedStyle(document.body);
  const column = document.body.getBoundingClientRect();
  const right = column.right - parseFloat(style.paddingRight);
  const images = Array.from(document.images).map((img) => ({
    complete: img.complete,
    natural: [img.naturalWidth, img.naturalHeight],
    box: box(img),
    folded: img.closest("details:not([open])") !== null,
  }));
  const past = (e) => Math.round(e.getBoundingClientRect().right - right);
  const sticksOut = (e) => past(e) > TOLERANCE && e.closest("details:not([open])") === null;
  const overflowing = Array.from(document.body.querySelectorAll("*"))
    .filter((e) => sticksOut(e) && (e.parentElement === document.body || !sticksOut(e.parentElement)))
    .map((e) => `<${e.tagName.toLowerCase()}> ${past(e)} px: ${e.textContent.replace(/\s+/g, " ").slice(0, 60)}`);
  const probe = document.createElement("pre");
  probe.id = "PROBE_ID";
  probe.textContent = JSON.stringify({
    title: document.title,
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    images,
    overflowing,
  });
  document.body.appendChild(probe);
});
</script>""".replace("TOLERANCE", str(OVERFLOW_TOLERANCE_PX)).replace("PROBE_ID", _PROBE_ID)


def find_chromium() -> str | None:
    """The headless browser's executable (Debian's ``chromium`` package installs /usr/bin/chromium), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_missing() -> str:
    """Why a browser test skips; in CI, where .ci/run tries to install Chromium, that it tried and could not."""
    tried = os.environ.get("CLINICSIM_CHROMIUM_INSTALL")  # set by .ci/run when it could not install Chromium
    if tried or os.environ.get("CI"):
        return (
            "headless Chromium is missing in CI: .ci/run tried to install Debian's chromium package and could not "
            f"({tried or 'see its output'}), so this run does not check the reports in a browser"
        )
    return "headless Chromium is not installed (Debian: apt-get install chromium), so no browser check"


@dataclass
class Rendering:
    """A report as headless Chromium showed it: a screenshot of the whole page and what the probe measured."""

    screenshot: Path
    title: str
    width: int  # of the page in CSS pixels (the window's width unless something sticks out)
    height: int
    images: list[dict] = field(default_factory=list)  # complete, natural [w, h], box [x, y, w, h], folded
    overflowing: list[str] = field(default_factory=list)  # elements reaching past the text column's right edge


def _chromium(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"chromium exited with {done.returncode}:\n{done.stderr[-3000:]}"
    return done


def render_in_chromium(report: Path, work: Path, *, width: int = 1280, max_height: int = 16_000) -> Rendering:
    """Open ``report`` in headless Chromium: measure the page with a probe (on a copy of the report), then take a
    screenshot of the untouched report ``width`` pixels wide and as tall as the page (at most ``max_height``)."""
    browser = find_chromium()
    assert browser is not None, chromium_missing()
    work.mkdir(parents=True, exist_ok=True)
    html = report.read_text(encoding="utf-8")
    assert html.count("</body>") == 1, "the report has one </body>"
    probed = work / f"probe-{report.name}"
    probed.write_text(html.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(browser, work / "profile-probe", f"--window-size={width},1000", "--dump-dom", probed.as_uri())
    found = re.search(f'<pre id="{_PROBE_ID}">(.*?)</pre>', dom.stdout, re.DOTALL)
    assert found, f"the page never finished loading (no probe in the DOM):\n{dom.stderr[-3000:]}"
    measured = json.loads(unescape(found.group(1)))
    screenshot = work / f"{report.stem}.png"
    height = min(int(measured["height"]), max_height)
    _chromium(
        browser, work / "profile-screenshot", f"--window-size={width},{height}", f"--screenshot={screenshot}",
        report.as_uri(),
    )  # fmt: skip
    assert screenshot.exists(), "chromium wrote no screenshot"
    return Rendering(
        screenshot=screenshot,
        title=measured["title"],
        width=int(measured["width"]),
        height=int(measured["height"]),
        images=measured["images"],
        overflowing=measured["overflowing"],
    )


class TableReader(HTMLParser):
    """The cells' text of every row of the tables with class ``wanted`` (header rows included)."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.inside, self.rows = wanted, False, []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and self.wanted in (dict(attrs).get("class") or "").split():
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(path: Path, wanted: str) -> list[list[str]]:
    """The rows of a report's tables of class ``wanted``, header rows included."""
    reader = TableReader(wanted)
    reader.feed(path.read_text(encoding="utf-8"))
    return reader.rows
