"""Web app benchmark: ``clinicsim app`` driven in headless Chromium (Playwright), as an administrator uses it.

Issue 19's speed targets: the first screen in under 3 s after start, and a 20-day comparison of the
family-medicine clinic in a few seconds on two cores. Each of ``--rounds`` rounds starts a fresh server (its own
empty data folder, 2 worker processes) and times:

  a. first screen: from starting ``clinicsim app`` to the Start page drawn in the browser (its scenario list
     visible), and, within it, until the server answered its health check;
  b. the clinic summary: "Use this scenario" (family medicine) clicked until its summary and figures are drawn;
  c. an edit: on Change the plan, the slot length of ``fm_20`` set to 15 until the page shows the variant changed
     (a Streamlit rerun, the edit validated and written as the variant's file);
  d. the comparison, base against the variant, 20 days each: "Run the comparison" clicked until the verdict and
     the differences are drawn, (cold) the first of the server (its worker processes start), (warm) again with
     another seed (new days, warm workers), (cached) again with that seed (nothing simulated: the days are on
     disk).

Prints the median, min and max of each, and writes them with the machine's description to
``benchmarks/results/app.json``. Needs Chromium (Debian's ``chromium``) and Playwright (the dev extra).

    python benchmarks/bench_app.py [--rounds N] [--days D] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def one_round(browser, days: int) -> dict[str, float]:
    from app_server import running_app  # the test suite's: a server on a free port, stopped after

    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        with running_app(Path(data)) as url:
            timings["server_up_s"] = time.perf_counter() - started
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.set_default_timeout(120_000)
            page = context.new_page()
            page.goto(url)
            page.locator(".st-key-start_bundled").wait_for()
            timings["first_screen_s"] = time.perf_counter() - started

            timings["summary_s"] = _timed(
                lambda: page.get_by_role("button", name="Use this scenario").click(),
                lambda: page.get_by_text("Visit types").wait_for(),  # the last heading of the summary
            )
            page.get_by_role("link", name="Change the plan").click()
            page.get_by_label("New variant").fill("15-minute slots")
            page.get_by_label("New variant").press("Enter")
            page.get_by_role("button", name="Add variant").click()
            slot = page.locator(".st-key-plan-15_minute_slots-templates-fm_20-slot_min input")
            slot.wait_for()

            def edit() -> None:
                slot.fill("15")
                slot.press("Enter")

            timings["edit_s"] = _timed(
                edit, lambda: page.locator(".st-key-plan_changes").get_by_text("changes 1 setting").wait_for()
            )
            page.get_by_role("link", name="Compare").click()
            for label, seed in (("compare_cold_s", 1), ("compare_warm_s", 2), ("compare_cached_s", 2)):
                timings[label] = _compare(page, days, seed)
            context.close()
    return timings


def _timed(action, until) -> float:
    start = time.perf_counter()
    action()
    until()
    return time.perf_counter() - start


def _compare(page, days: int, seed: int) -> float:
    for key, value in (("compare_days", days), ("compare_seed", seed)):
        box = page.locator(f".st-key-{key} input")
        box.fill(str(value))
        box.press("Tab")
    caption = f"{days} simulated days each, seed {seed}"

    def until() -> None:
        page.get_by_text(caption).wait_for()
        page.locator(".st-key-compare_differences").wait_for()

    return _timed(lambda: page.get_by_role("button", name="Run the comparison").click(), until)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh servers, each timed once (default 3)")
    parser.add_argument("--days", type=int, default=20, help="simulated days per plan in the comparison")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "app.json")
    args = parser.parse_args()

    from html_checking import find_chromium
    from measure import machine
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        sys.exit("bench_app needs Chromium (Debian: apt-get install chromium)")
    rounds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(args.rounds):
            rounds.append(one_round(browser, args.days))
        browser.close()
    summary = {
        name: {
            "median": statistics.median(r[name] for r in rounds),
            "min": min(r[name] for r in rounds),
            "max": max(r[name] for r in rounds),
        }
        for name in rounds[0]
    }
    print(f"clinicsim app, {args.rounds} rounds, a {args.days}-day comparison of two plans")
    print(f"{'measure':<20} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, s in summary.items():
        print(f"{name:<20} {s['median']:>9.2f} {s['min']:>7.2f} {s['max']:>7.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": machine(), "days": args.days, "rounds": rounds, "summary": summary}, indent=2)
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
