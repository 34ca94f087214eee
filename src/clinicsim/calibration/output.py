"""``clinicsim calibrate``'s work: check, fit, write the calibrated scenario, back-test it, report; in a directory.

Files: ``calibrated.yaml`` (the whole scenario, each fitted value commented), ``calibration.html``, and CSVs of
every table (``problems``, ``exclusions``, ``settings``, ``duration_fits``, ``speed_factors``,
``provider_durations``, ``no_shows``, ``room_turnover`` (when the export names rooms), ``backtest_days``,
``backtest_summary``, ``holdout_summary`` with a hold-out, and ``inferred`` (what was assumed or left out) when the
base was inferred from the export).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from clinicsim.calibration.backtest import Backtest, backtest, census_hour, kpi_label
from clinicsim.calibration.calibrate import Calibration, calibrate, split_by_date
from clinicsim.calibration.quality import check_visits
from clinicsim.calibration.scenario_file import commented_yaml
from clinicsim.formatting import count_of
from clinicsim.scenario import Scenario

logger = logging.getLogger(__name__)


@dataclass
class CalibrationRun:
    """What ``run_calibration`` made and wrote."""

    calibration: Calibration
    backtest: Backtest
    holdout: Backtest | None
    out: Path
    files: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A short account for the command line."""
        visits = self.calibration.visits
        dates = visits["date"].dropna()
        problems = self.calibration.quality.table()
        out = [
            f"{len(visits):,} rows, {dates.nunique()} dates ({dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d})",
            f"data problems: {', '.join(f'{r.reason} {r.rows}' for r in problems.itertuples()) or 'none'}",
            f"calibrated {len(self.calibration.settings)} settings of {self.calibration.base.name!r}",
        ]
        if self.calibration.inferred is not None:
            inferred = self.calibration.inferred
            scenario = inferred.scenario
            out.append(f"base inferred from the export: {count_of(len(scenario.templates), 'template')} of "
                       f"{count_of(len(scenario.providers), 'provider')}; "
                       f"{count_of(len(inferred.assumed), 'value')} assumed")  # fmt: skip
            out += [f"left out: {what}" for what in inferred.left_out]
        out += [f"not used: {what}" for what in self.calibration.not_used]
        for title, result in (("back-test, every day", self.backtest), ("hold-out back-test", self.holdout)):
            if result is None:
                continue
            out.append(f"{title} ({result.replications} replications a day):")
            out += _verdict_lines(result)
        out.append(f"written to {self.out}/: {', '.join(p.name for p in self.files)}")
        return out


def _verdict_lines(result: Backtest) -> list[str]:
    """Each back-tested KPI's verdict; the census hours reproduced folded into one line."""
    lines, reproduced, hours = [], [], 0
    for kpi, row in result.summary().iterrows():
        hour = census_hour(str(kpi))
        hours += hour is not None
        if hour is not None and str(row.verdict).startswith("reproduced"):
            reproduced.append(f"{hour:02d}:00")
        else:
            lines.append(f"  {kpi_label(str(kpi))}: {row.verdict}")
    if reproduced:
        lines.append(f"  patients in the clinic by hour: reproduced in {len(reproduced)} of {hours} hours "
                     f"({', '.join(reproduced)})")  # fmt: skip
    return lines


def _header(source: str, calibration: Calibration) -> str:
    dates = calibration.visits["date"].dropna()
    into = (
        "into a base inferred from the export (templates from its appointment grid; assumed values say so)"
        if calibration.inferred is not None
        else f"into {calibration.base.name!r}"
    )
    return (
        f"Calibrated by clinicsim calibrate on {dt.date.today():%Y-%m-%d} from {source}: {len(calibration.visits):,} "
        f"rows,\n{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}, {into}.\nA comment gives each fitted value's "
        "sample size and fit; the rest is the base scenario's. See calibration.html."
    )


def run_calibration(
    visits: pd.DataFrame,
    base: Scenario | None,
    out: Path,
    *,
    holdout: float = 0.3,
    replications: int = 39,
    seed: int = 20261126,
    source: str = "",
) -> CalibrationRun:
    """Check and calibrate ``visits`` into ``base`` (None: a base inferred from the export), back-test the result on
    every day (and, with ``holdout``, a scenario fitted, and inferred, without the last ``holdout`` share of the
    dates, on those dates), and write it all to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    quality = check_visits(visits)
    calibration = calibrate(visits, base, quality=quality)
    everyday = backtest(calibration.scenario, visits, replications=replications, seed=seed,
                        quality=quality)  # fmt: skip
    held = None
    if holdout > 0:
        first, rest = split_by_date(visits, 1 - holdout)
        fitted = calibrate(first, base, quality=check_visits(first))
        held = backtest(fitted.scenario, rest, replications=replications, seed=seed,
                        quality=check_visits(rest))  # fmt: skip
    run = CalibrationRun(calibration, everyday, held, out)
    (out / "calibrated.yaml").write_text(commented_yaml(calibration.scenario, calibration.comments,
                                                        header=_header(source, calibration)))  # fmt: skip
    tables = {
        "problems": quality.table(),
        "exclusions": quality.exclusions(),
        "settings": calibration.settings,
        "duration_fits": calibration.provider_visit.candidates(),
        "speed_factors": calibration.speed,
        "provider_durations": calibration.provider_durations,
        "no_shows": calibration.no_shows,
        "backtest_days": everyday.days,
        "backtest_summary": everyday.summary(),
    }
    if calibration.inferred is not None:
        inferred = calibration.inferred
        tables["inferred"] = pd.DataFrame({"what": ["assumed"] * len(inferred.assumed) + ["left out"] * len(
            inferred.left_out), "sentence": [*inferred.assumed, *inferred.left_out]})  # fmt: skip
    if calibration.room_turnover.fit is not None:
        tables["room_turnover"] = calibration.room_turnover.fit.table()
    if held is not None:
        tables["holdout_summary"] = held.summary()
    run.files.append(out / "calibrated.yaml")
    for name, table in tables.items():
        path = out / f"{name}.csv"
        table.to_csv(path, index=not isinstance(table.index, pd.RangeIndex))
        run.files.append(path)
    from clinicsim.reports.calibration import write_calibration_report

    run.files.append(write_calibration_report(calibration, out, backtest=everyday, holdout=held, source=source))
    logger.info("calibration written to %s", out)
    return run
