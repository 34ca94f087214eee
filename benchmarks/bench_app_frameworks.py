"""Benchmark of three Python data-app frameworks for the administrators' web app (issue 19).

    python benchmarks/bench_app_frameworks.py --venvs /tmp/fw [--repeats 5] [--frameworks streamlit panel shiny]

The same tiny app is written three times, in ``benchmarks/app_frameworks/`` (``streamlit_app.py``,
``panel_app.py``, ``shiny_app.py``; the clinicsim logic they share is in ``_common.py``). Each framework lives in
its own virtual environment, ``<venvs>/<framework>``, with ``clinicsim`` installed editable beside it.

In rounds (``--warmup`` untimed rounds first, default 1, then ``--repeats``), each framework in turn so that a
burst of other work on the machine hits all three alike, this script starts the app's server (a subprocess,
headless, bound to 127.0.0.1 on a free port; one server at a time), drives it with Playwright in Debian's headless
Chromium (``/usr/bin/chromium``, launched once, before any timing; a fresh browser context per run), and measures:

a. start-up: from just before the server process is spawned until the first screen's text (the scenario's name,
   "Family medicine, current template") is visible in the page; the page is requested as soon as the port
   accepts connections, so this includes the interpreter and framework start, the first session's run of the
   app and the page's rendering;
b. rerun cost: from a keyboard step of the "slot length" slider (ArrowRight / ArrowLeft on the focused handle,
   20 -> 25 -> 30 -> 25 -> 20) until the line echoing the variant's slot length shows the new value; 4 steps per
   run;
c. Compare, twice: with the slider at 15 min and 5 days (the default), from the click on "Compare" until the KPI
   difference's text appears -- the first comparison in a fresh server, so it includes clinicsim's first-call
   cost in that process (lazy imports, about 0.5 s); then with "days" set to 20, the same again over a warm
   engine. Beside them, the same two calls of the app's compare function in a plain fresh Python process (one
   per round), so the framework's own part is the difference;
d. memory: the resident set size of the server (the process and any children) right after (a).

Page text is watched with ``page.wait_for_function(..., polling="raf")`` (every animation frame, about 16 ms),
searching open shadow roots too (Panel renders inside them). Times are wall-clock from this process, so they
include a few milliseconds of Playwright's round trips, alike for all three. How busy the machine's cores were
with other work is sampled (1 s) before each round and recorded. Results are printed as a table
(median and range over the repeats) and written to ``benchmarks/results/app_frameworks.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
from measure import busy_cores
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
APPS = HERE / "app_frameworks"
RESULTS = HERE / "results" / "app_frameworks.json"
CHROMIUM = "/usr/bin/chromium"
FIRST_TEXT = "Family medicine, current template"

sys.path.insert(0, str(APPS))

# A predicate run in the page: is `needle` in the text of the element matching `selector` (or anywhere, when
# selector is null)? Walks open shadow roots, since Panel (Bokeh 3) renders its widgets inside them.
DEEP_TEXT_JS = """
([selector, needle]) => {
  const roots = [document];
  while (roots.length) {
    const root = roots.pop();
    if (selector) {
      for (const el of root.querySelectorAll(selector)) {
        const text = (el.shadowRoot ? el.shadowRoot.textContent : '') + (el.innerText || el.textContent || '');
        if (text.includes(needle)) return true;
      }
    } else if (root !== document && root.textContent && root.textContent.includes(needle)) {
      return true;
    } else if (root === document && document.body && document.body.innerText.includes(needle)) {
      return true;
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
  }
  return false;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frameworks(venvs: Path) -> dict[str, dict]:
    """How to start each app, where to find it, and the CSS selectors of its elements."""
    return {
        "streamlit": {
            "cmd": lambda port: [
                str(venvs / "streamlit" / "bin" / "streamlit"),
                "run",
                str(APPS / "streamlit_app.py"),
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            "url": "http://127.0.0.1:{port}/",
            "variant": ".st-key-variant",
            "kpi": ".st-key-kpi",
            "days": "[data-testid=stNumberInput] input",
            "slider": "[data-testid=stSlider] input[type=range]",
        },
        "panel": {
            "cmd": lambda port: [
                str(venvs / "panel" / "bin" / "panel"),
                "serve",
                str(APPS / "panel_app.py"),
                "--address",
                "127.0.0.1",
                "--port",
                str(port),
                "--allow-websocket-origin",
                f"127.0.0.1:{port}",
            ],
            "url": "http://127.0.0.1:{port}/panel_app",
            "variant": ".cs-variant",
            "kpi": ".cs-kpi",
            "days": ".cs-days input",
            "slider": ".noUi-handle",
        },
        "shiny": {
            "cmd": lambda port: [
                str(venvs / "shiny" / "bin" / "shiny"),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                str(APPS / "shiny_app.py"),
            ],
            "url": "http://127.0.0.1:{port}/",
            "variant": "#variant",
            "kpi": "#kpi",
            "days": "#days",
            "slider": ".irs-line",  # ion.rangeSlider takes the keys on its focusable line
        },
    }


def wait_text(page, selector: str | None, needle: str, timeout_s: float = 60) -> None:
    page.wait_for_function(DEEP_TEXT_JS, arg=[selector, needle], polling="raf", timeout=timeout_s * 1000)


def tree_rss(pid: int) -> int:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def one_run(browser, spec: dict, log: Path) -> dict:
    port = free_port()
    url = spec["url"].format(port=port)
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    with log.open("ab") as out:
        t0 = time.perf_counter()
        server = subprocess.Popen(spec["cmd"](port), stdout=out, stderr=subprocess.STDOUT, cwd=HERE.parent)
    try:
        # (a) start-up: ask for the page as soon as the port accepts connections.
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"server exited with {server.returncode}; see {log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.02)
        page.goto(url, wait_until="commit", timeout=60_000)
        wait_text(page, None, FIRST_TEXT)
        startup = time.perf_counter() - t0
        rss = tree_rss(server.pid)
        wait_text(page, spec["variant"], "slot length 20 min")

        # (b) rerun cost: four keyboard steps of the slider, each until the variant line shows the new value.
        handle = page.locator(spec["slider"]).first
        handle.focus()
        reruns = []
        for key, value in [("ArrowRight", 25), ("ArrowRight", 30), ("ArrowLeft", 25), ("ArrowLeft", 20)]:
            t = time.perf_counter()
            handle.press(key)
            wait_text(page, spec["variant"], f"slot length {value} min")
            reruns.append(time.perf_counter() - t)

        # (c) Compare, twice: slot length 15 min and 5 days (the default); then 20 days. The first click in a
        # fresh server pays for clinicsim's first run in that process (lazy imports; about 0.5 s, see
        # direct_compare), the second shows the framework's own cost over a warm engine.
        handle.press("ArrowLeft")
        wait_text(page, spec["variant"], "slot length 15 min")
        page.wait_for_timeout(500)  # let the last rerun settle before timing the click
        button = page.get_by_role("button", name="Compare")
        t = time.perf_counter()
        button.click()
        wait_text(page, spec["kpi"], "Provider wait")
        compare_first = time.perf_counter() - t
        days = page.locator(spec["days"]).first
        days.fill("20")
        days.press("Enter")
        page.wait_for_timeout(1000)  # Shiny debounces number inputs by 250 ms; Streamlit reruns on Enter
        t = time.perf_counter()
        button.click()
        wait_text(page, spec["kpi"], "; 20 days")
        compare_20 = time.perf_counter() - t
        return {
            "startup_s": startup,
            "rss_mb": rss / 2**20,
            "rerun_s": reruns,
            "compare_first_s": compare_first,
            "compare_20_s": compare_20,
        }
    finally:
        context.close()
        stop(server)


DIRECT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from _common import compare_line, load
load("family_medicine.yaml")
t = time.perf_counter(); compare_line("family_medicine.yaml", 5, 15); first = time.perf_counter() - t
t = time.perf_counter(); compare_line("family_medicine.yaml", 20, 15); second = time.perf_counter() - t
print(first, second)
"""


def direct_compare(repeats: int) -> dict[str, list[float]]:
    """The app's compare (``_common.compare_line``) called directly, no framework: in a fresh process, the first
    call (5 days) and then a 20-day call, as the app's two clicks do."""
    first, second = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", DIRECT, str(APPS)], capture_output=True, text=True, check=True)
        a, b = map(float, out.stdout.split())
        first.append(a)
        second.append(b)
    return {"first_5_days_s": first, "then_20_days_s": second}


def describe(values: list[float], scale: float = 1.0, fmt: str = "{:.0f}") -> str:
    vals = [v * scale for v in values]
    return f"{fmt.format(statistics.median(vals))} ({fmt.format(min(vals))}-{fmt.format(max(vals))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venvs", type=Path, default=Path("/tmp/fw"), help="holds streamlit/, panel/, shiny/")
    parser.add_argument("--repeats", type=int, default=5, help="runs per framework (3-5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first, to warm the file cache")
    parser.add_argument("--frameworks", nargs="+", default=["streamlit", "panel", "shiny"])
    args = parser.parse_args()

    specs = frameworks(args.venvs)
    versions = {}
    for name in args.frameworks:
        py = args.venvs / name / "bin" / "python"
        versions[name] = subprocess.run(
            [str(py), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    results: dict[str, list[dict]] = {name: [] for name in args.frameworks}
    direct: dict[str, list[float]] = {"first_5_days_s": [], "then_20_days_s": []}
    busy: list[float | None] = []
    log_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "bench_app_frameworks_logs"
    log_dir.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        try:
            # Rounds: each framework once per round, in turn, so a burst of other work hits all of them alike.
            for i in range(args.warmup + args.repeats):
                warm = i < args.warmup
                busy.append(busy_cores(1.0))
                print(
                    f"round {i + 1}{' (warm-up)' if warm else ''}: other work on the machine before it: "
                    f"{busy[-1] if busy[-1] is None else round(busy[-1], 2)} cores busy",
                    flush=True,
                )
                for name in args.frameworks:
                    run = one_run(browser, specs[name], log_dir / f"{name}.log")
                    if not warm:
                        results[name].append(run)
                    print(
                        f"  {name}: start-up {run['startup_s']:.2f} s, rerun "
                        f"{[round(r * 1000) for r in run['rerun_s']]} ms, compare {run['compare_first_s']:.2f} s "
                        f"then (20 days) {run['compare_20_s']:.2f} s, RSS {run['rss_mb']:.0f} MB",
                        flush=True,
                    )
                one = direct_compare(1)
                if not warm:
                    for key in direct:
                        direct[key] += one[key]
        finally:
            browser.close()

    print()
    header = ["framework", "start-up, s", "rerun (slider), ms", "Compare 1st, s", "Compare 20 d, s", "RSS, MB"]
    print(f"{header[0]:<18}" + "".join(f"{h:>20}" for h in header[1:]))
    for name, runs in results.items():
        cells = [
            describe([r["startup_s"] for r in runs], fmt="{:.2f}"),
            describe([x for r in runs for x in r["rerun_s"]], 1000),
            describe([r["compare_first_s"] for r in runs], fmt="{:.2f}"),
            describe([r["compare_20_s"] for r in runs], fmt="{:.2f}"),
            describe([r["rss_mb"] for r in runs]),
        ]
        print(f"{name + ' ' + versions[name]:<18}" + "".join(f"{c:>20}" for c in cells))
    print(
        f"{'no framework':<18}{'':>20}{'':>20}{describe(direct['first_5_days_s'], fmt='{:.2f}'):>20}"
        f"{describe(direct['then_20_days_s'], fmt='{:.2f}'):>20}"
    )
    print("median (min-max) over the repeats; rerun over 4 slider steps x repeats; 'no framework' is the same")
    print("compare called in a plain fresh Python process (first call 5 days, then 20 days)")

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "chromium": CHROMIUM},
                "versions": versions,
                "repeats": args.repeats,
                "warmup": args.warmup,
                "runs": results,
                "direct_compare_s": direct,
                "busy_cores_before_each_round": busy,
            },
            indent=2,
        )
    )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
