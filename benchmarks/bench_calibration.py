"""Calibration benchmark: a year of visits of a ten-provider clinic read, checked and calibrated, then back-tested.

Issue 17's speed target: calibrating a year of visits for a 10-provider clinic (about 50,000 rows) "in well under a
minute". The clinic is ``calibration_clinic.yaml`` (the family-medicine practice with ten providers on fm_20
templates, an MA each, five front-desk staff, twenty exam rooms). Its export is made once per run, untimed by the
target: ``clinicsim.calibration.synthetic.synthetic_export`` of ``--weeks`` weeks (default 52) from Monday
2027-01-04 with 1% of each defect (``Defects.every(0.01)``), written by ``write_export`` to a temporary CSV; its
rows, size and the seconds making and writing it took are reported. Then, in ``--rounds`` rounds (median, min,
max):

  a. the calibration, what ``clinicsim calibrate`` does before its back-test: ``export.read_visits(path)``,
     ``quality.check_visits(visits)``, ``calibrate.calibrate(visits, base, quality=quality)`` (the base is the
     clinic's own scenario), each timed, and their total per round: the target; and, not in the total,
     ``infer.infer_scenario(visits, quality)``, what ``clinicsim calibrate`` without ``--base`` adds to infer the
     base (the templates from the appointment grid);
  b. the back-test of the calibrated scenario on every observed day, ``backtest.backtest(scenario, visits,
     replications=--replications, quality=quality)`` (default 9; the data problems found leave rows out of the
     observed KPIs, as in ``clinicsim calibrate``), in seconds per day; and, once per round, the same with 2
     replications, so that the cost of a day splits into a part per day (the observed KPIs, the day's booked list
     and plan) and a part per replication. What ``clinicsim calibrate``'s default of 39 replications would cost
     per day is given both by scaling (seconds per day x 39 / replications) and by the two-point line;
  c. ``scenario_file.commented_yaml`` of the calibrated scenario with its comments (the ``calibrated.yaml`` file).

Everything is warmed up first on the bundled four-week demo export (imports, scipy's fitting code, caches).
``--profile PATH`` adds a cProfile of the calibration steps (a). Prints tables with the machine's description and
writes every figure to ``benchmarks/results/calibration.json``.

    python benchmarks/bench_calibration.py [--quick] [--weeks W] [--rounds N] [--backtest-rounds N]
                                           [--replications R] [--profile PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_engine import git_state, table
from measure import machine, profile, profile_rows, save, warn_if_busy

import clinicsim
from clinicsim.calibration.backtest import backtest
from clinicsim.calibration.calibrate import calibrate
from clinicsim.calibration.export import read_visits
from clinicsim.calibration.infer import infer_scenario
from clinicsim.calibration.quality import check_visits
from clinicsim.calibration.scenario_file import commented_yaml
from clinicsim.calibration.synthetic import Defects, synthetic_export, write_export

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "calibration_clinic.yaml"
DEMO_BASE = HERE.parent / "scenarios" / "family_medicine.yaml"
DEMO_EXPORT = HERE.parent / "scenarios" / "calibration" / "family_medicine_visits.csv"
SEED = 20261129
START = datetime.date(2027, 1, 4)  # a Monday
DEFECTS = Defects.every(0.01)
TARGET_S = 60.0
FULL_REPLICATIONS = 39
"""``clinicsim calibrate``'s replications per back-tested day (the lowest and highest of 39: a 95% band)."""


def timed(work) -> tuple[float, object]:
    """Seconds ``work()`` takes (after a garbage collection), and what it returns."""
    gc.collect()
    start = time.perf_counter()
    out = work()
    return time.perf_counter() - start, out


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def calibration_steps(path: Path, base):
    """Part a once: read, check, calibrate; the seconds of each and what they made."""
    read_s, visits = timed(lambda: read_visits(path))
    check_s, quality = timed(lambda: check_visits(visits))  # type: ignore[arg-type]
    calibrate_s, calibration = timed(lambda: calibrate(visits, base, quality=quality))  # type: ignore[arg-type]
    infer_s, _ = timed(lambda: infer_scenario(visits, quality))  # type: ignore[arg-type]
    seconds = {"read_visits": read_s, "check_visits": check_s, "calibrate": calibrate_s}
    seconds["total"] = read_s + check_s + calibrate_s
    seconds["infer_scenario"] = infer_s
    return seconds, visits, quality, calibration


def untimed_steps(path: Path, base):
    """Part a without the timing (and its garbage collections), to profile."""
    visits = read_visits(path)
    quality = check_visits(visits)
    return calibrate(visits, base, quality=quality)


def writable_comments(scenario, comments: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """``comments`` without the paths ``commented_yaml`` cannot find in the scenario's YAML (and those paths):
    ``scenario_to_yaml`` leaves out a value equal to its default, so a calibrated value that comes out at the
    default (a speed factor of exactly 1.0) has no line to comment, and ``commented_yaml`` raises KeyError."""
    try:
        commented_yaml(scenario, comments)
        return comments, []
    except KeyError:
        pass
    missing = []
    for path, comment in comments.items():
        try:
            commented_yaml(scenario, {path: comment})
        except KeyError:
            missing.append(path)
    return {path: c for path, c in comments.items() if path not in missing}, missing


def warm_up() -> None:
    """Everything once on the bundled four-week demo export, so that imports and first-call caches are not timed."""
    base = clinicsim.load_scenario(DEMO_BASE)
    _, visits, quality, calibration = calibration_steps(DEMO_EXPORT, base)
    days = visits[visits["date"] == visits["date"].min()]  # type: ignore[index]
    backtest(calibration.scenario, days, replications=2, quality=quality)  # type: ignore[arg-type]
    commented_yaml(calibration.scenario, calibration.comments, header="warm-up")  # type: ignore[attr-defined]


def make_export(scenario, weeks: int, path: Path) -> dict:
    """The export of ``weeks`` weeks written to ``path``; its size and the seconds making it took."""
    made_s, frame = timed(lambda: synthetic_export(scenario, weeks=weeks, seed=SEED, start=START, defects=DEFECTS))
    written_s, _ = timed(lambda: write_export(frame, path))  # type: ignore[arg-type]
    status = frame["status"].value_counts()  # type: ignore[index]
    return {
        "weeks": weeks,
        "rows": len(frame),  # type: ignore[arg-type]
        "dates": int(frame["date"].nunique()),  # type: ignore[index]
        "providers": int(frame["provider"].nunique()),  # type: ignore[index]
        "status": {str(k): int(v) for k, v in status.items()},
        "defect_lines": {kind: len(lines) for kind, lines in frame.attrs["defects"].items()},  # type: ignore[union-attr]
        "bytes": path.stat().st_size,
        "synthetic_export_s": made_s,
        "write_export_s": written_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (4 weeks, 2 rounds)")
    parser.add_argument("--weeks", type=int, help="weeks of visits in the export (default 52; quick 4)")
    parser.add_argument("--rounds", type=int, help="rounds of the calibration steps and commented_yaml (default 7; "
                        "quick 2)")  # fmt: skip
    parser.add_argument("--backtest-rounds", type=int, help="rounds of the back-test (default 3; quick 2)")
    parser.add_argument("--replications", type=int, default=9, help="back-test replications per day (default 9)")
    parser.add_argument("--profile", metavar="PATH", help="also cProfile the calibration steps into this text file")
    parser.add_argument("--out", default=str(HERE / "results" / "calibration.json"), help="JSON file of the results")
    args = parser.parse_args()

    weeks = args.weeks or (4 if args.quick else 52)
    rounds = args.rounds or (2 if args.quick else 7)
    backtest_rounds = args.backtest_rounds or (2 if args.quick else 3)
    replications = args.replications
    if replications < 3:
        parser.error("--replications must be at least 3 (the back-test is also timed with 2)")
    started = time.perf_counter()
    scenario = clinicsim.load_scenario(SCENARIO)
    results: dict = {
        "machine": machine(),
        "git": git_state(),
        "settings": {
            "scenario": SCENARIO.name,
            "weeks": weeks,
            "start": str(START),
            "defects": "every 0.01",
            "seed": SEED,
            "rounds": rounds,
            "backtest_rounds": backtest_rounds,
            "replications": replications,
        },
    }
    about = results["machine"]
    print(
        f"Calibration benchmark on {about['cores']} cores ({about['processor']}, {about['platform']}), "
        f"Python {about['python']}, SimPy {about['simpy']}, numpy {about['numpy']}, clinicsim {about['clinicsim']}"
    )
    warn_if_busy(about)
    warm_up()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "visits.csv"
        export = make_export(scenario, weeks, path)
        results["export"] = export
        print(
            f"\nexport: {weeks} weeks x {export['providers']} providers of {SCENARIO.name}, {export['dates']} dates, "
            f"{export['rows']:,} rows ({export['bytes'] / 2**20:.1f} MB of CSV; "
            f"{', '.join(f'{k} {v:,}' for k, v in export['status'].items())}); made in "
            f"{export['synthetic_export_s']:.2f} s, written in {export['write_export_s']:.2f} s (not in the target)"
        )

        # a. read, check, calibrate
        steps: dict[str, list[float]] = {"read_visits": [], "check_visits": [], "calibrate": [], "total": [],
                                         "infer_scenario": []}  # fmt: skip
        for _ in range(rounds):
            seconds, visits, quality, calibration = calibration_steps(path, scenario)
            for name, s in seconds.items():
                steps[name].append(s)
        rows = len(visits)
        results["calibration"] = {
            "rows": rows,
            "seconds": steps,
            "spread": {name: spread(values) for name, values in steps.items()},
            "rows_per_s": spread([rows / s for s in steps["total"]]),
            "settings_calibrated": len(calibration.settings),
            "not_used": calibration.not_used,
            "problems": {r.reason: int(r.rows) for r in quality.table().itertuples()},
            "speed_factors": {p.name: p.speed_factor for p in calibration.scenario.providers},
        }
        print(f"\na. calibration of {rows:,} rows, {rounds} rounds: seconds\n")
        print(
            table(
                ["step", "median", "min", "max"],
                [[name, *spread(values).values()] for name, values in steps.items()],
            )
        )

        # b. the back-test on every day, and c. the commented YAML
        bt_seconds: list[float] = []
        bt2_seconds: list[float] = []
        for _ in range(backtest_rounds):
            s, result = timed(lambda: backtest(calibration.scenario, visits, replications=replications,
                                               quality=quality))  # fmt: skip
            bt_seconds.append(s)
            bt2_seconds.append(timed(lambda: backtest(calibration.scenario, visits, replications=2,
                                                      quality=quality))[0])  # fmt: skip
        days = int(result.days["date"].nunique())  # type: ignore[attr-defined]
        per_day = [s / days for s in bt_seconds]
        per_day_2 = [s / days for s in bt2_seconds]
        per_replication = (statistics.median(per_day) - statistics.median(per_day_2)) / (replications - 2)
        fixed = statistics.median(per_day_2) - 2 * per_replication
        summary = result.summary()  # type: ignore[attr-defined]
        results["backtest"] = {
            "days": days,
            "skipped": len(result.skipped),  # type: ignore[attr-defined]
            "replications": replications,
            "seconds": bt_seconds,
            "seconds_spread": spread(bt_seconds),
            "s_per_day": spread(per_day),
            "seconds_2_replications": bt2_seconds,
            "s_per_day_2_replications": spread(per_day_2),
            "s_per_day_fixed": fixed,
            "s_per_replication_day": per_replication,
            f"s_per_day_{FULL_REPLICATIONS}_scaled": statistics.median(per_day) * FULL_REPLICATIONS / replications,
            f"s_per_day_{FULL_REPLICATIONS}_line": fixed + FULL_REPLICATIONS * per_replication,
            "inside_pct": summary["inside_pct"].to_dict() if len(summary) else {},
        }
        comments, missing = writable_comments(calibration.scenario, calibration.comments)
        yaml_seconds = [timed(lambda: commented_yaml(calibration.scenario, comments, header="benchmark"))[0]
                        for _ in range(rounds)]  # fmt: skip
        results["commented_yaml"] = {
            "seconds": yaml_seconds,
            "spread": spread(yaml_seconds),
            "comments": len(comments),
            "comment_paths_not_in_yaml": missing,
        }
        bt = results["backtest"]
        print(
            f"\nb. back-test of the calibrated scenario on every day ({days} days, {bt['skipped']} skipped), "
            f"{backtest_rounds} rounds; c. commented_yaml, {rounds} rounds\n"
        )
        print(
            table(
                ["", "median", "min", "max"],
                [
                    [f"backtest, {replications} replications, s", *bt["seconds_spread"].values()],
                    ["  per day, ms", *(1000 * v for v in bt["s_per_day"].values())],
                    ["backtest, 2 replications, ms/day", *(1000 * v for v in bt["s_per_day_2_replications"].values())],
                    ["commented_yaml, s", *results["commented_yaml"]["spread"].values()],
                ],
            )
        )  # fmt: skip
        if missing:
            print(
                f"\nnote: commented_yaml raises KeyError on the calibration's own comments: {', '.join(missing)} "
                "not in the scenario's YAML (a calibrated value equal to its default is left out); timed without "
                f"{'it' if len(missing) == 1 else 'them'} ({len(comments)} comments)"
            )
        print(
            f"\nper day: {1000 * fixed:.1f} ms for the day itself + {1000 * per_replication:.1f} ms per replication; "
            f"{FULL_REPLICATIONS} replications (clinicsim calibrate's default) would cost "
            f"{1000 * bt[f's_per_day_{FULL_REPLICATIONS}_scaled']:.0f} ms per day by scaling "
            f"({bt[f's_per_day_{FULL_REPLICATIONS}_scaled'] * days:.0f} s for the {days} days), "
            f"{1000 * bt[f's_per_day_{FULL_REPLICATIONS}_line']:.0f} ms by the line"
        )
        print(
            "share of days inside the band, "
            + ", ".join(f"{kpi} {pct:.0f}%" for kpi, pct in bt["inside_pct"].items())
            + f" ({replications} replications: expected about {100 * (replications - 1) / (replications + 1):.0f}%)"
        )

        total = results["calibration"]["spread"]["total"]
        print(
            f"\ntarget: {rows:,} rows ({weeks} weeks x {export['providers']} providers) read, checked and calibrated "
            f"in {total['median']:.2f} s (median; {total['min']:.2f}-{total['max']:.2f}): "
            f"{100 * total['median'] / TARGET_S:.1f}% of a minute ('well under a minute')"
        )

        if args.profile:
            top = profile(
                lambda: untimed_steps(path, scenario),
                args.profile,
                f"read_visits, check_visits, calibrate ({SCENARIO.name}, {weeks} weeks, {rows:,} rows)",
                by="cumtime",
                top=25,
            )
            results["profile"] = {"path": args.profile, "top_by_cumulative_time": top}
            print(f"\nprofile of the calibration steps written to {args.profile}; top by cumulative time:")
            print(table(*profile_rows(top)))

    results["machine"]["load_average_after"] = os.getloadavg()
    save(results, args.out, started)


if __name__ == "__main__":
    main()
