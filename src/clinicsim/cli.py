"""The command line, thin over the Python API.

    clinicsim run SCENARIO [--replications N] [--seed S] [--out DIR]
    clinicsim validate SCENARIO...
    clinicsim schema

Heavy modules are imported inside the commands so ``clinicsim --help`` stays instant. A scenario file with a
mistake gets one line per problem (file:line: field: what is wrong) and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

EXIT_BAD_INPUT = 2


def _load(path: str):
    """Load a scenario or exit with status 2 and a clear message."""
    from clinicsim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as error:
        _report(error)
        sys.exit(EXIT_BAD_INPUT)


def _report(error) -> None:
    for line in error.lines():
        click.echo(f"error: {line}", err=True)


def _fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "fraction":
        return f"{100 * value:.1f}%"
    if unit == "clock min":
        from clinicsim.scenario import format_clock

        return format_clock(value)
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:.1f}"


def format_summary(summary) -> str:
    """The KPI summary as a plain-text table: label, mean and 95% confidence interval."""
    rows = [("KPI", "mean", "95% CI", "unit")]
    for _, row in summary.iterrows():
        unit = row["unit"]
        interval = (
            "-" if math.isnan(row["half_width"]) else f"{_fmt(row['ci_low'], unit)} to {_fmt(row['ci_high'], unit)}"
        )
        shown_unit = "" if unit in ("fraction", "%", "clock min") else unit
        rows.append((row["label"], _fmt(row["mean"], unit), interval, shown_unit))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


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
def run(scenario: str, replications: int, seed: int | None, out: str | None) -> None:
    """Simulate SCENARIO and print its KPIs with 95% confidence intervals."""
    from tqdm import tqdm

    from clinicsim.experiment import DEFAULT_SEED, simulate

    loaded = _load(scenario)
    seed = DEFAULT_SEED if seed is None else seed
    with tqdm(total=replications, desc="replications", unit="day", delay=0.5, leave=False) as bar:
        results = simulate(loaded, replications=replications, seed=seed, progress=lambda done, total: bar.update(1))
    summary = results.summary()
    click.echo(f"{loaded.name}: {replications} replications, seed {seed}\n")
    click.echo(format_summary(summary))
    if out:
        _write_tables(results, summary, Path(out))
        click.echo(f"\ntables written to {out}/")


def _write_tables(results, summary, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "summary.csv")
    results.kpis.to_csv(out / "kpis.csv", index=False)
    results.patients.to_csv(out / "patients.csv", index=False)
    results.events.to_csv(out / "events.csv", index=False)
    results.resources.to_csv(out / "resources.csv", index=False)
    (out / "provenance.json").write_text(json.dumps(results.provenance, indent=2) + "\n")


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(scenarios: tuple[str, ...]) -> None:
    """Check scenario files; print each problem with its line and exit 2 if any."""
    from clinicsim.scenario import ScenarioError, load_scenario

    failed = False
    for path in scenarios:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            _report(error)
            failed = True
        else:
            click.echo(f"{path}: ok ({scenario.name})")
    if failed:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors and validators)."""
    from clinicsim.scenario import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))
