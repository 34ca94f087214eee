"""The command line, thin over the Python API.

    clinicsim run SCENARIO [--replications N] [--seed S] [--out DIR]
    clinicsim compare BASELINE PLAN... [-n N | --precision P] [--out DIR]
    clinicsim sweep SPEC --store DB [--workers N | --dask ADDRESS] [--resume] [--new]
    clinicsim sweep-report DB --out DIR [--pareto KPI_X KPI_Y]
    clinicsim optimize SPEC --store DB [--out DIR] [--workers N | --dask ADDRESS] [--resume] [--new]
    clinicsim access SCENARIO [PLAN...] [--weeks N] [--warm-up W] [--days] [--out DIR]
    clinicsim calibrate VISITS [--base SCENARIO] --out DIR [--map ours=theirs] [--holdout F]
    clinicsim validate SCENARIO...
    clinicsim schema

Heavy modules are imported inside the commands so ``clinicsim --help`` stays instant. A scenario file with a
mistake gets one line per problem (file:line: field: what is wrong) and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 1
"""Exit status when the machine, not the input, stopped the run (a worker process killed)."""
DASK_CONNECT_SECONDS = 5


def _load(path: str):
    """Load a scenario or exit with status 2 and a clear message; what is legal but probably a mistake is printed
    as a warning and the run goes on."""
    from clinicsim.scenario import ScenarioError, load_scenario

    try:
        with _printing_scenario_warnings():
            return load_scenario(path)
    except ScenarioError as error:
        _report(error)
        sys.exit(EXIT_BAD_INPUT)


@contextmanager
def _printing_scenario_warnings() -> Iterator[None]:
    """Print each ScenarioWarning raised inside as ``warning: file:line: field: message`` on stderr."""
    import warnings

    from clinicsim.scenario import ScenarioWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        try:
            yield
        finally:
            for warning in caught:
                if issubclass(warning.category, ScenarioWarning):
                    click.echo(f"warning: {warning.message}", err=True)
                else:
                    warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)


def _report(error) -> None:
    for line in error.lines():
        click.echo(f"error: {line}", err=True)


def format_summary(summary, currency: str = "") -> str:
    """The KPI summary as a plain-text table: label, mean and 95% confidence interval (KPIs never defined, such
    as money without finance settings, are left out)."""
    from clinicsim.formatting import format_interval, format_value, unit_label

    rows = [("KPI", "mean", "95% CI", "unit")]
    for _, row in summary[summary["n"] > 0].iterrows():
        unit = row["unit"]
        interval = format_interval(row["ci_low"], row["ci_high"], unit)
        rows.append((row["label"], format_value(row["mean"], unit), interval, unit_label(unit, currency)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


WEEKDAY = click.Choice(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
"""The weekdays of scenario.model.WEEKDAYS (spelt out here so that ``--help`` needs no pydantic)."""


@click.group()
@click.version_option(package_name="clinicsim")
def main() -> None:
    """Simulate a medical-group clinic day and compare plans before changing anything."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--replications", "-n", default=30, show_default=True, type=click.IntRange(min=1), help="Clinic days to simulate."
)
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Base seed (same seed, same results).")
@click.option("--out", type=click.Path(file_okay=False), help="Directory for CSV tables and provenance.")
@click.option("--report", is_flag=True, help="Also write DIR/report.html (needs --out).")
@click.option("--weekday", type=WEEKDAY, help="Simulate this weekday (its templates and weekday_changes).")
@click.option("--week", is_flag=True, help="Simulate every working weekday, N weeks; per weekday and week totals.")
@click.option("--carry-over", is_flag=True, help="With --week: work left at a day's close waits for the next day.")
def run(
    scenario: str,
    replications: int,
    seed: int | None,
    out: str | None,
    report: bool,
    weekday,
    week: bool,
    carry_over: bool,
) -> None:
    """Simulate SCENARIO and print its KPIs with 95% confidence intervals."""
    from clinicsim.experiment import DEFAULT_SEED, simulate

    if report and not out:
        raise click.UsageError("--report needs --out DIR")
    if week and (weekday or report):
        raise click.UsageError("--week simulates every weekday: it takes neither --weekday nor --report")
    if carry_over and not week:
        raise click.UsageError("--carry-over carries work from one day of a week to the next: it needs --week")
    loaded = _on_weekday(_load(scenario), weekday)
    _check_out_dir(out)
    seed = DEFAULT_SEED if seed is None else seed
    if week:
        _run_week(loaded, replications, seed, out, carry_over=carry_over)
        return
    with _progress_bar("simulated days") as progress:
        results = simulate(loaded, replications=replications, seed=seed, progress=progress)
    summary = results.summary()
    click.echo(f"{loaded.name} ({loaded.weekday}): {replications} replications, seed {seed}\n")
    click.echo(format_summary(summary, loaded.finance.currency if loaded.finance else ""))
    if out:
        with _writing_to(out):
            _write_tables(results, summary, Path(out))
        click.echo(f"\ntables written to {out}/")
    if report and out:  # --report without --out was refused above
        from clinicsim.reports.comparison import write_report

        with _writing_to(out):
            click.echo(f"report: {write_report(results, out)}")


def _on_weekday(scenario, weekday: str | None):
    """The scenario's day on ``weekday`` (None: its own), or exit 2 saying why that day is not a clinic day."""
    if weekday is None:
        return scenario
    from clinicsim.scenario.problems import ScenarioError

    try:
        return scenario.on_weekday(weekday)
    except ScenarioError as error:
        _fail(f"{scenario.name} on {weekday}: " + "; ".join(p.message for p in error.problems))


def _run_week(scenario, weeks: int, seed: int, out: str | None, *, carry_over: bool) -> None:
    """Print (and with ``out`` write) a week's KPIs per weekday and its totals."""
    from clinicsim.week import simulate_week

    with _progress_bar("simulated days") as progress:
        week = simulate_week(scenario, weeks=weeks, seed=seed, carry_over=carry_over, progress=progress)
    currency = scenario.finance.currency if scenario.finance else ""
    click.echo(f"{scenario.name}: {weeks} weeks of {', '.join(week.days)}, seed {seed}\n")
    click.echo(format_by_weekday(week.summary(), currency))
    click.echo(f"\nWeek totals ({len(week.days)} clinic days):\n")
    click.echo(format_summary(week.totals(), currency))
    if out:
        with _writing_to(out):
            Path(out).mkdir(parents=True, exist_ok=True)
            week.summary().to_csv(Path(out) / "week_summary.csv")
            week.totals().to_csv(Path(out) / "week_totals.csv")
        click.echo(f"\ntables written to {out}/")


WEEKDAY_KPIS = ("patients_seen", "provider_wait_mean_min", "pct_seen_within_15_min", "provider_overtime_mean_min")
"""KPIs of the per-weekday table of ``run --week`` (and the margin, with finance settings)."""


def format_by_weekday(summary, currency: str = "") -> str:
    """Headline KPIs per weekday as plain text: one row per KPI, "mean (low to high)" per weekday."""
    from clinicsim.formatting import format_interval, format_value, unit_label

    days = list(dict.fromkeys(summary.index.get_level_values("weekday")))
    kpis = [k for k in (*WEEKDAY_KPIS, "margin") if (days[0], k) in summary.index]
    rows = [("KPI", *days)]
    for kpi in kpis:
        first = summary.loc[(days[0], kpi)]
        label = f"{first['label']} ({unit_label(first['unit'], currency)})".replace(" ()", "")
        cells = []
        for day in days:
            row = summary.loc[(day, kpi)]
            interval = format_interval(row["ci_low"], row["ci_high"], row["unit"])
            cells.append(f"{format_value(row['mean'], row['unit'])} ({interval})")
        rows.append((label, *cells))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(f"{cell:<{w}}" for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


class _progress_bar:
    """A tqdm bar (shown only after half a second) driven by the core's ``progress(done, total)`` callback."""

    def __init__(self, what: str, *, unit: str = "day", delay: float = 0.5) -> None:
        self.what = what
        self.unit = unit
        self.delay = delay
        self.bar: Any = None

    def __enter__(self):
        from tqdm import tqdm

        bar = self.bar = tqdm(desc=self.what, unit=self.unit, delay=self.delay, leave=False)

        def progress(done: int, total: int) -> None:
            bar.total = max(total, done)
            bar.update(done - bar.n)

        return progress

    def __exit__(self, *exc) -> None:
        self.bar.close()


@main.command()
@click.argument("baseline", type=click.Path(dir_okay=False))
@click.argument("others", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--replications", "-n", default=30, show_default=True, type=click.IntRange(min=2), help="Days per plan.")
@click.option(
    "--precision",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Instead of -n: add days until every interval is within this fraction of its mean (e.g. 0.05).",
)
@click.option(
    "--max-replications", default=500, show_default=True, type=click.IntRange(min=2), help="Cap for --precision."
)
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Base seed (same seed, same results).")
@click.option("--no-crn", is_flag=True, help="Independent random numbers per plan (to see what pairing buys).")
@click.option("--out", type=click.Path(file_okay=False), help="Write DIR/report.html and CSVs of every table.")
@click.option(
    "--working-days",
    type=click.FloatRange(0, 366, min_open=True),
    help="Clinic days a year, for money per month and year (default: the baseline's finance.working_days_per_year).",
)
@click.option(
    "--decompose",
    is_flag=True,
    help="With one plan: which of its changes buys what (each alone, and added one at a time, on the same days).",
)
@click.option("--weekday", type=WEEKDAY, help="Compare the plans on this weekday (templates, weekday_changes).")
def compare(
    baseline, others, replications, precision, max_replications, seed, no_crn, out, working_days, decompose, weekday
) -> None:
    """Compare plans: BASELINE (e.g. current.yaml) against OTHERS on the same simulated days."""
    from clinicsim.comparison import compare as run_comparison
    from clinicsim.experiment import DEFAULT_SEED
    from clinicsim.reports.comparison import money_sentences, summary_sentences, wait_sentences
    from clinicsim.reports.verdict import VERDICT_KPIS, verdicts

    scenarios = [_on_weekday(_load(path), weekday) for path in (baseline, *others)]
    if decompose and (len(others) != 1 or no_crn):
        _fail("--decompose takes one plan against the baseline, on common random numbers (no --no-crn)")
    _check_out_dir(out)
    seed = DEFAULT_SEED if seed is None else seed
    with _progress_bar("simulated days") as progress:
        comparison = run_comparison(
            scenarios,
            replications=replications,
            seed=seed,
            crn=not no_crn,
            precision=precision,
            max_replications=max_replications,
            progress=progress,
        )
    for warning in comparison.pairing_warnings():
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{len(scenarios)} plans, {comparison.replications} simulated days each, seed {seed}")
    if comparison.advice:
        click.echo(f"replication advisor: {comparison.advice.describe()}")
    currency = scenarios[0].finance.currency if scenarios[0].finance else ""
    for verdict in verdicts(comparison, working_days_per_year=working_days):
        click.echo("")
        for i, line in enumerate(verdict.lines(currency)):
            click.echo(
                textwrap.fill(line, width=110, initial_indent="" if i == 0 else "  - ", subsequent_indent="    ")
            )
    levers = None
    if decompose:
        from clinicsim.decomposition import decompose as split_plan
        from clinicsim.reports.levers import lever_text

        with _progress_bar("simulated days, change by change") as progress:
            levers = split_plan(
                scenarios[0], scenarios[1], replications=comparison.replications, seed=seed, progress=progress
            )
        click.echo("")
        click.echo(lever_text(levers))
    click.echo("")
    click.echo(format_differences(comparison.differences()))
    click.echo("")
    rest = summary_sentences(comparison, leave_out=VERDICT_KPIS)  # the verdict above has those
    for sentence in rest + money_sentences(comparison) + wait_sentences(comparison):
        click.echo(f"- {sentence}")
    if out:
        from clinicsim.reports.comparison import write_report

        with _writing_to(out):
            path = write_report(comparison, out, working_days_per_year=working_days, decomposition=levers)
            click.echo(f"\nreport: {path}")


def format_differences(differences) -> str:
    """Differences from the baseline as a plain-text table; * marks intervals that exclude zero."""
    from clinicsim.formatting import format_difference, format_value

    rows = [("KPI", "plan", "baseline", "plan value", "difference", "95% CI", "")]
    for (scenario, _), d in differences[differences["n"] > 0].iterrows():
        unit = d["unit"]
        interval = f"{format_difference(d['ci_low'], unit)} to {format_difference(d['ci_high'], unit)}"
        rows.append(
            (
                d["label"],
                scenario,
                format_value(d["baseline_mean"], unit),
                format_value(d["scenario_mean"], unit),
                format_difference(d["difference"], unit),
                interval,
                "*" if d["excludes_zero"] else "",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    aligns = ["<", "<", ">", ">", ">", "<", "<"]
    lines = ["  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(r, aligns, widths)).rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _write_tables(results, summary, out: Path) -> None:
    from clinicsim.animation import animation_events

    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "summary.csv")
    results.kpis.to_csv(out / "kpis.csv", index=False)
    results.patients.to_csv(out / "patients.csv", index=False)
    results.providers.to_csv(out / "providers.csv", index=False)
    results.events.to_csv(out / "events.csv", index=False)
    results.resources.to_csv(out / "resources.csv", index=False)
    results.branches.to_csv(out / "branches.csv", index=False)
    animation_events(results).to_csv(out / "animation_events.csv", index=False)
    (out / "provenance.json").write_text(json.dumps(results.provenance, indent=2) + "\n")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("plans", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--weeks", default=26, show_default=True, type=click.IntRange(1, 520), help="Weeks reported.")
@click.option(
    "--warm-up", default=4, show_default=True, type=click.IntRange(0, 104), help="Weeks booked first, unreported."
)
@click.option("--replications", "-n", default=10, show_default=True, type=click.IntRange(min=2), help="Runs per plan.")
@click.option("--days", is_flag=True, help="Also simulate every reported clinic day's booked list (waits, money).")
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Base seed (same seed, same results).")
@click.option("--out", type=click.Path(file_okay=False), help="Directory for CSV tables, figures and provenance.")
def access(scenario, plans, weeks, warm_up, replications, days, seed, out) -> None:
    """Book SCENARIO's requests into its templates over weeks: third-next-available, lead time, same-day requests
    met, continuity, lost demand, backlog, no-shows by lead time (and, with --days, the clinic days). With PLANS,
    each is booked on the same requests and compared with SCENARIO (paired intervals)."""
    from clinicsim.access import compare_access, simulate_access
    from clinicsim.experiment import DEFAULT_SEED
    from clinicsim.formatting import count_of

    loaded = [_load(path) for path in (scenario, *plans)]
    for path, one in zip((scenario, *plans), loaded):
        if one.access is None:
            _fail(f"{path}: no access: section to book (see scenarios/family_medicine_access.yaml for one)")
    _check_out_dir(out)
    seed = DEFAULT_SEED if seed is None else seed
    options = {"weeks": weeks, "warm_up": warm_up, "replications": replications, "days": days}
    what = f"{count_of(weeks, 'week')} after {count_of(warm_up, 'week')} of warm-up, {replications} replications"
    what += f", seed {seed}"
    currency = loaded[0].finance.currency if loaded[0].finance and days else ""
    with _progress_bar("booked runs", unit="run") as progress:
        if plans:
            comparison = compare_access(loaded, seed=seed, progress=progress, **options)
        else:
            results = simulate_access(loaded[0], seed=seed, progress=progress, **options)
    outcome: Any = comparison if plans else results
    if plans:
        click.echo(f"{len(loaded)} plans booked on the same requests: {what}\n")
        click.echo(format_differences(comparison.differences()))
    else:
        click.echo(f"{loaded[0].name}: {what}\n")
        click.echo(format_summary(results.summary(), currency))
    if out:
        from clinicsim.access.output import write_access_outputs

        with _writing_to(out):
            written = write_access_outputs(outcome, Path(out))
            click.echo(f"\ntables and figures written to {written}/")
            click.echo(f"report: {written / 'report.html'}")


@main.command()
@click.argument("visits", type=click.Path(dir_okay=False))
@click.option(
    "--base",
    "base_path",
    type=click.Path(dir_okay=False),
    help="Scenario the fitted values go into (default: one inferred from the export's appointment grid).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for the calibrated files.")
@click.option("--map", "column_map", multiple=True, help="Rename the export's columns: ours=theirs[,ours=theirs].")
@click.option("--timezone", help="Convert time-zone-aware timestamps to this zone (e.g. America/Chicago).")
@click.option(
    "--holdout",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0, 1, max_open=True),
    help="Share of the last dates kept out of the fit and back-tested on their own (0: none).",
)
@click.option("--replications", "-n", default=39, show_default=True, type=click.IntRange(min=2), help="Per day.")
@click.option("--seed", default=None, type=click.IntRange(min=0), help="Base seed of the back-test.")
def calibrate(visits, base_path, out, column_map, timezone, holdout, replications, seed) -> None:
    """Calibrate a scenario to VISITS (an EHR visit export, CSV or Parquet), report its data problems and fits,
    and back-test it against the observed days (all of them, and a hold-out the fit did not see)."""
    from clinicsim.calibration.export import ExportError, parse_column_map, read_visits
    from clinicsim.calibration.infer import CannotInfer
    from clinicsim.calibration.output import run_calibration
    from clinicsim.experiment import DEFAULT_SEED

    base = _load(base_path) if base_path is not None else None
    _check_out_dir(out)
    try:
        read = read_visits(visits, column_map=parse_column_map(column_map), timezone=timezone)
    except ExportError as error:
        _fail(str(error))
    with _writing_to(out):
        try:
            written = run_calibration(read, base, Path(out), holdout=holdout, replications=replications,
                                      seed=DEFAULT_SEED if seed is None else seed, source=visits)  # fmt: skip
        except CannotInfer as error:
            _fail(f"{visits}: {error}")
    for line in written.lines():
        click.echo(line)


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(scenarios: tuple[str, ...]) -> None:
    """Check scenario files (and sweep files, with every point); print each problem with its line and exit 2 if
    any."""
    from clinicsim.scenario import ScenarioError

    failed = False
    for path in scenarios:
        try:
            with _printing_scenario_warnings():
                click.echo(f"{path}: ok ({_checked(path)})")
        except ScenarioError as error:
            _report(error)
            failed = True
    if failed:
        sys.exit(EXIT_BAD_INPUT)


def _checked(path: str) -> str:
    """Load a scenario file, or a sweep file (it names a ``base``) and every point; say what it is."""
    from clinicsim.scenario import load_scenario
    from clinicsim.scenario.files import parse_yaml, read_text
    from clinicsim.sweeps.spec import load_sweep

    if "base" in parse_yaml(read_text(path), path):
        spec, points = load_sweep(path)
        return f"sweep {spec.name}: {len(points):,} points x {spec.replications} replications"
    return load_scenario(path).name


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="Result store (SQLite file).")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: the machine's cores).")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Run on an existing Dask cluster's scheduler.")
@click.option("--resume", is_flag=True, help="Require an existing store and continue it (the default if it exists).")
@click.option("--new", is_flag=True, help="Discard the store's results and start over.")
def sweep(spec, store, workers, dask_address, resume, new) -> None:
    """Run the sweep SPEC into STORE; run it again to resume after a crash or Ctrl-C."""
    from clinicsim.scenario import ScenarioError
    from clinicsim.sweeps.runner import run_sweep
    from clinicsim.sweeps.spec import load_sweep

    _check_store_flags(store, workers, dask_address, resume, new)
    try:
        loaded, points = load_sweep(spec)
    except ScenarioError as error:  # the sweep file, its base scenario, or points that are not valid
        _report(error)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{loaded.name}: {len(points)} points x {loaded.replications} replications -> {store}")
    results = _into_store(store, dask_address, ("replications", "rep"), lambda executor, progress: run_sweep(
        loaded, points, store, executor=executor, workers=workers, new=new, progress=progress))  # fmt: skip
    click.echo(f"done: {len(results.replications())} (point, replication) results in {store}")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--store", required=True, type=click.Path(dir_okay=False), help="Result store (SQLite file).")
@click.option("--out", type=click.Path(file_okay=False), help="Directory for the finalists' scenario files.")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: the machine's cores).")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Run on an existing Dask cluster's scheduler.")
@click.option("--resume", is_flag=True, help="Require an existing store and continue it (the default if it exists).")
@click.option("--new", is_flag=True, help="Discard the store's results and start over.")
def optimize(spec, store, out, workers, dask_address, resume, new) -> None:
    """Search the plans of the optimization file SPEC into STORE, choose among the finalists with the file's
    guarantee, and write them as scenario files extending the base; run it again to resume."""
    from clinicsim.optimization.run import optimize as run_optimization
    from clinicsim.optimization.spec import load_optimization
    from clinicsim.scenario import ScenarioError

    _check_store_flags(store, workers, dask_address, resume, new)
    try:
        loaded, _ = load_optimization(spec)
    except ScenarioError as error:  # the optimization file or its base scenario
        _report(error)
        sys.exit(EXIT_BAD_INPUT)
    if out:
        _check_out_dir(out)
    click.echo(f"{loaded.name}: {loaded.sampler}, {loaded.search.budget_days:,} simulated days -> {store}")
    result = _into_store(store, dask_address, ("simulated days", "day"), lambda executor, progress: run_optimization(
        spec, store, out=out, executor=executor, workers=workers, new=new, progress=progress))  # fmt: skip
    for line in result.lines():
        click.echo(line)


def _check_store_flags(store: str, workers: int | None, dask_address: str | None, resume: bool, new: bool) -> None:
    """Refuse flags that exclude each other, and --resume without a store."""
    if workers and dask_address:
        raise click.UsageError("--workers and --dask exclude each other")
    if resume and new:
        raise click.UsageError("--resume and --new exclude each other")
    if resume and not Path(store).exists():
        _fail(f"{store}: no store to resume")


def _into_store(store: str, dask_address: str | None, bar: tuple[str, str], run):
    """``run(executor, progress)`` (a Dask cluster's executor with ``--dask``, else None: a local pool; a progress
    bar of ``bar``'s what and unit), with what a run into a store does on failure, said after the bar is closed: a
    store that cannot be used (exit 2), workers lost (exit 3), Ctrl-C or SIGTERM (the finished chunks kept, exit
    130)."""
    from clinicsim.sweeps.runner import WorkersLost
    from clinicsim.sweeps.store import StoreError

    executor, client = _dask_executor(dask_address) if dask_address else (None, None)
    try:
        with _terminate_as_interrupt(), _progress_bar(bar[0], unit=bar[1], delay=0.0) as progress:
            return run(executor, progress)
    except StoreError as error:
        _fail(str(error))
    except WorkersLost as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_ENVIRONMENT)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: finished chunks are in {store}; run the same command again to resume", err=True)
        sys.exit(130)
    finally:
        if client is not None:
            client.close()


@main.command("sweep-report")
@click.argument("store", type=click.Path(dir_okay=False, exists=True))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for sweep_report.html.")
@click.option("--pareto", nargs=2, metavar="KPI_X KPI_Y", help="KPIs of the Pareto front (default: wait vs margin).")
@click.option("--rank", metavar="KPI", help="KPI that ranks the plans in the ranking chart (default: KPI_X).")
def sweep_report(store, out, pareto, rank) -> None:
    """Write an HTML report of the sweep in STORE: the Pareto front in words, main effects, a heatmap of two
    factors, the front and the plans ranked by one KPI."""
    from clinicsim.metrics import KPI_NAMES, is_kpi_name
    from clinicsim.reports.sweep import DEFAULT_PARETO, write_sweep_report

    for option, kpis in (("--pareto", pareto or ()), ("--rank", [rank] if rank else [])):
        unknown = [k for k in kpis if not is_kpi_name(k)]
        if unknown:
            _fail(
                f"unknown KPI {unknown[0]!r} for {option}; the KPIs are: {', '.join(KPI_NAMES)}, and those named "
                "after the scenario's steps, roles, rooms, branches and work streams"
            )
    from clinicsim.sweeps.store import StoreError

    _check_out_dir(out)
    try:
        with _writing_to(out):
            path = write_sweep_report(store, out, pareto=tuple(pareto) if pareto else DEFAULT_PARETO, rank=rank)
    except StoreError as error:
        _fail(str(error))
    click.echo(f"sweep report: {path}")


def _dask_executor(address: str):
    try:
        from dask.distributed import Client
    except ImportError:
        _fail('--dask needs the dask extra: pip install "clinicsim[dask]"')
    try:
        client = Client(address, timeout=DASK_CONNECT_SECONDS)
    except (OSError, TimeoutError) as error:
        _fail(f"--dask {address}: no Dask scheduler answered within {DASK_CONNECT_SECONDS} s ({error})")
    except Exception as error:  # a malformed address, or something that is not a Dask scheduler answered
        _fail(f"--dask {address}: cannot connect to a Dask scheduler there ({type(error).__name__}: {error})")
    return client.get_executor(pure=False), client


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a job scheduler stopping the sweep) does what Ctrl-C does: stop, keep finished chunks, exit 130."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _check_out_dir(out: str | None) -> None:
    """Make the output folder and check a file can be written there, before any simulation (exit 2 if not)."""
    if not out:
        return
    with _writing_to(out):
        Path(out).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass


@contextmanager
def _writing_to(out: str) -> Iterator[None]:
    """Writing to the output folder: a failure (no such folder, no permission, a full disk) is one error line and
    exit status 2."""
    try:
        yield
    except OSError as error:
        _fail(f"--out {out}: cannot write there ({error.strerror or error})")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (localhost only by default)."
)
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--data",
    type=click.Path(file_okay=False),
    help="Folder of workspaces and cached runs (default: ~/.cache/clinicsim/app).",
)
@click.option(
    "--scenarios", type=click.Path(file_okay=False, exists=True), help="Folder of scenarios offered on Start."
)
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes for runs (default: the machine's cores).")
def app(host: str, port: int, data: str | None, scenarios: str | None, workers: int | None) -> None:
    """Start the web app (needs the ``app`` extra) and print its address; Ctrl-C stops it."""
    import os

    try:
        from clinicsim.app.server import is_local, port_free, serve
        from clinicsim.app.state import data_root
    except ImportError as error:  # streamlit is an optional extra
        _fail(f"the app needs Streamlit: pip install 'clinicsim[app]' ({error})")
    if not is_local(host):
        click.echo(
            f"warning: listening on {host}: anyone who can reach this machine can use the app and upload files; "
            "put it behind your group's sign-on (see the README) rather than exposing it as it is",
            err=True,
        )
    if not port_free(host, port):
        _fail(f"port {port} on {host} is in use (another clinicsim app?): choose another with --port")
    folder = Path(data) if data else data_root()
    click.echo(f"clinicsim app: http://{'localhost' if host == '127.0.0.1' else host}:{port}  (data in {folder})")
    serve(
        host=host,
        port=port,
        data=folder,
        scenarios=Path(scenarios) if scenarios else None,
        workers=workers or os.cpu_count() or 1,
    )


@main.command()
@click.option("--sweep", is_flag=True, help="The schema of sweep files instead.")
def schema(sweep: bool) -> None:
    """Print the JSON Schema of scenario files, or of sweep files (for editors and validators)."""
    from clinicsim.scenario import Scenario
    from clinicsim.sweeps.spec import SweepSpec

    click.echo(json.dumps((SweepSpec if sweep else Scenario).model_json_schema(), indent=2))


if __name__ == "__main__":
    main()
