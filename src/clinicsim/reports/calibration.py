"""The calibration report: one self-contained HTML page saying what a visit export made of the scenario, and
whether the calibrated model reproduces the clinic's observed days.

It answers, in order: what the export held (dates, rows, statuses, steps) and how many values each fit used; the
export's data problems, counted by reason with example rows, and, per interval, the rows each fit left out and
why (nothing is left out without its reason here); the settings the calibration changed (the base scenario's value
beside the fitted one, with its sample size and fit) and what the export holds that the base has no place for;
each fitted duration (the candidate distributions with AIC and KS, a histogram and QQ figure), the provider speed
factors, lateness, no-show rates, late session starts and walk-ins, each with its interval; then the back-test of
every observed day and, when given, the hold-out back-test, each KPI's share of days inside the model's band said
in words (the census hours reproduced in one sentence), with a figure of the KPIs by day and one of the census by
clock hour, and the days that could not be replayed; and how to read it all.

Numbers come from the ``Calibration`` and ``Backtest`` objects as they are: this module only formats and words
them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clinicsim import __version__
from clinicsim.calibration.backtest import Backtest, census_hour, kpi_label
from clinicsim.calibration.calibrate import Calibration
from clinicsim.calibration.fit import ON_TIME_MIN, GroupFits
from clinicsim.calibration.fit_plots import plot_duration_fit
from clinicsim.calibration.plots import plot_backtest, plot_backtest_census
from clinicsim.calibration.quality import INTERVALS, REASONS
from clinicsim.formatting import count_of
from clinicsim.reports.page import Figure, html_template, png_data_uri
from clinicsim.scenario import Scenario
from clinicsim.scenario.changes import resolve_path

logger = logging.getLogger(__name__)

__all__ = ["backtest_sentences", "render_calibration_report", "short_value", "write_calibration_report"]

FITTED_FROM = {
    "provider_visit": "provider-visit durations; provider speed factors",
    "rooming": "rooming durations",
    "lateness": "patients' lateness",
    "arrival_to_provider": "late session starts",
    "check_in_wait": "walk-ins by hour",
}
"""The fits made from each interval of ``quality.INTERVALS`` (as ``calibrate`` makes them); the other intervals
are waits, not fitted."""

INTERVAL_LABELS = {
    "lateness": "Lateness",
    "check_in_wait": "Arrival to check-in done",
    "room_wait": "Check-in done to roomed",
    "rooming": "Rooming",
    "in_room_wait": "Rooming done to provider in",
    "provider_visit": "Provider visit",
    "check_out_wait": "Provider out to check-out done",
    "arrival_to_provider": "Arrival to provider in",
    "cycle_time": "Arrival to check-out done (cycle time)",
}
"""The intervals of ``quality.INTERVALS`` in words."""

CONSISTENT_RATIO = 3.0
"""A missed KPI is "consistently above" (below) the band when its days above (below) are at least this many times
its days on the other side; otherwise the days fall outside on both sides."""


def _pct(fraction: float, digits: int = 1) -> str:
    return "-" if fraction is None or not math.isfinite(fraction) else f"{100 * fraction:.{digits}f}%"


def _interval(low: float, high: float, *, fmt: str = ".3g", pct: bool = False) -> str:
    """ "a to b" (percentages with ``pct``); "-" when either end is unknown."""
    if math.isnan(low) or math.isnan(high):
        return "-"

    def one(x: float) -> str:
        return _pct(x) if pct else "inf" if math.isinf(x) else f"{x:{fmt}}"

    return f"{one(low)} to {one(high)}"


def _num(value: Any, fmt: str = ".3g") -> str:
    if value is None:
        return "-"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "-" if not math.isfinite(x) else f"{x:{fmt}}"


def _words(code: str) -> str:
    return code.replace("_", " ")


# -- settings ------------------------------------------------------------------------------------------------------


def _distribution_value(value: dict[str, Any]) -> str:
    kind = value["kind"]
    if kind == "empirical":
        values = np.asarray(value["values"], dtype=float)
        weights = np.asarray(value["weights"], dtype=float) if value.get("weights") else np.ones(len(values))
        mean = float(np.dot(weights, values) / weights.sum())
        return f"empirical: {len(values)} values from {values.min():.4g} to {values.max():.4g} (mean {mean:.3g})"
    if kind == "fixed":
        return f"fixed {_num(value['value'], '.4g')}"
    parameters = ", ".join(f"{k} {_num(v, '.4g')}" for k, v in value.items() if k != "kind" and v is not None)
    return f"{kind}: {parameters}"


def _walk_in_stream(stream: dict[str, Any]) -> str:
    rates = stream.get("rates") or []
    hours = ", ".join(f"{r['start']}-{r['end']} {_num(r['per_hour'], '.3g')}/h" for r in rates)
    mix = stream.get("visit_type")
    mix_words = (
        ", ".join(f"{name} {_pct(share, 0)}" for name, share in mix.items()) if isinstance(mix, dict) else str(mix)
    )
    return f"{stream.get('name', 'walk-ins')}: {hours or 'no rates'}; visit types {mix_words}"


def short_value(value: Any) -> str:
    """A setting's value in a few words: a distribution by its kind and parameters ("lognormal: mean 16.05, sd
    6.03"; an empirical one by its size, range and mean), a walk-in stream by its hourly rates and visit types,
    numbers to 4 significant digits; "(not set)" for None."""
    if value is None:
        return "(not set)"
    if isinstance(value, dict) and "kind" in value:
        return _distribution_value(value)
    if isinstance(value, list):
        if not value:
            return "(none)"
        if all(isinstance(item, dict) and "rates" in item for item in value):
            return "; ".join(_walk_in_stream(item) for item in value)
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 120 else text[:117] + "..."
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | float):
        return _num(value, ".4g")
    return json.dumps(value, ensure_ascii=False, default=str)


def _base_value(base: dict[str, Any], path: str) -> Any:
    """The value at a dotted settings path of the base scenario's data (None where it has none)."""
    keys = resolve_path(base, path)
    if len(keys) != len(path.split(".")):
        return None
    node: Any = base
    for key in keys:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _settings_rows(calibration: Calibration) -> list[dict[str, str]]:
    base = calibration.base.model_dump(mode="json")
    return [
        {
            "path": str(row.path),
            "base": short_value(_base_value(base, str(row.path))),
            "value": short_value(row.value),
            "comment": str(row.comment),
        }
        for row in calibration.settings.itertuples(index=False)
    ]


# -- the export and its problems -----------------------------------------------------------------------------------


def _date(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _export_facts(calibration: Calibration, source: str) -> dict[str, Any]:
    visits = calibration.visits
    dates = visits["date"].dropna()
    statuses = visits["status"].value_counts(dropna=False)
    status_words = [
        f"{int(statuses.get(status, 0)):,} {_words(status)}"
        for status in ("arrived", "no_show", "cancelled", "late_cancel")
    ]
    unknown = int(visits["status"].isna().sum())
    if unknown:
        status_words.append(f"{unknown:,} of unknown status")
    return {
        "source": source or str(visits.attrs.get("source", "")) or "(not given)",
        "rows": f"{len(visits):,}",
        "first": _date(dates.min()) if len(dates) else "-",
        "last": _date(dates.max()) if len(dates) else "-",
        "dates": count_of(int(dates.nunique()), "date"),
        "statuses": ", ".join(status_words),
        "walk_ins": f"{int(visits['walk_in'].astype(bool).sum()):,}",
        "providers": ", ".join(sorted(str(p) for p in visits["provider"].dropna().unique())),
        "visit_types": ", ".join(sorted(str(t) for t in visits["visit_type"].dropna().unique())),
        "steps": ", ".join(visits.attrs.get("steps", ())) or "none",
    }


def _problem_rows(calibration: Calibration) -> tuple[list[dict[str, str]], int]:
    quality = calibration.quality
    rows = [
        {
            "reason": _words(str(row.reason)),
            "sentence": str(row.sentence),
            "rows": f"{int(row.rows):,}",
            "examples": ", ".join(str(r) for r in row.examples),
        }
        for row in quality.table().itertuples(index=False)
    ]
    any_problem = np.zeros(len(calibration.visits), dtype=bool)
    for reason in quality.reasons:
        any_problem |= quality.mask(reason).to_numpy()
    return rows, int(any_problem.sum())


def _exclusion_rows(calibration: Calibration) -> list[dict[str, Any]]:
    """Per interval: its columns, the fits made from it, the rows left out, and by reason how many."""
    quality = calibration.quality
    table = quality.exclusions()
    rows = []
    for interval, group in table.groupby("interval", sort=False):
        name = str(interval)
        rows.append(
            {
                "interval": INTERVAL_LABELS.get(name, name),
                "columns": " to ".join(INTERVALS[name]),
                "fits": FITTED_FROM.get(name, "not fitted (a wait: it includes the queue)"),
                "total": f"{int(quality.excluded(name).sum()):,}",
                "reasons": [
                    (_words(str(line.reason)), REASONS.get(str(line.reason), ""), f"{int(line.rows):,}")
                    for line in group.itertuples(index=False)
                ],
            }
        )
    return rows


def _sample_rows(calibration: Calibration) -> list[dict[str, str]]:
    """How many values each fit used, and how many rows that had its values it left out for a data problem."""
    quality, visits = calibration.quality, calibration.visits
    rows = []

    def row(fit: str, used: int, left_out: int, note: str) -> None:
        rows.append({"fit": fit, "used": f"{used:,}", "left_out": f"{left_out:,}", "note": note})

    def durations(label: str, fits: GroupFits | None) -> None:
        if fits is None:
            return
        counts = fits.counts
        fitted = ", ".join(f"{' / '.join(map(str, key))} {fit.n:,}" for key, fit in fits.fits.items())
        not_positive = int(counts["n_not_positive"].sum())
        note = f"per visit type: {fitted}" if fitted else "no visit type had enough values"
        if not_positive:
            note += f"; {not_positive:,} of 0 min or less not fitted"
        row(label, int(counts["n"].sum()), int(counts["n_excluded"].sum()), note)

    durations("Provider-visit durations", calibration.provider_visit)
    durations("Rooming durations", calibration.rooming)
    speed = calibration.speed
    row("Provider speed factors", int(speed["n"].sum()) if len(speed) else 0,
        int(calibration.provider_visit.counts["n_excluded"].sum()),
        "provider visits of the visit types more than one provider sees")  # fmt: skip
    if calibration.lateness is not None:
        row("Lateness", calibration.lateness.n, calibration.lateness.n_excluded, "booked visits that arrived")
    overall = calibration.no_shows[calibration.no_shows["by"] == "all"]
    duplicates = int(quality.mask("duplicate").sum()) if "duplicate" in quality.reasons else 0
    row("No-show rates", int(overall["n"].iloc[0]) if len(overall) else 0, duplicates,
        "booked appointments that arrived or were no-shows (only duplicates left out)")  # fmt: skip
    sessions = calibration.late_starts.sessions
    seen = visits["provider_in"].notna() if "provider_in" in visits else pd.Series(False, index=visits.index)
    row("Late session starts", int(sessions["provider_bound"].sum()),
        int((quality.excluded("arrival_to_provider") & seen).sum()),
        f"sessions where the provider alone made the session wait, of {len(sessions):,} sessions; left out: "
        "visits seen by a provider")  # fmt: skip
    walk_ins = calibration.walk_ins
    no_time = f"; {walk_ins.n_without_time:,} without a time" if walk_ins.n_without_time else ""
    row("Walk-ins by hour", walk_ins.n_walk_ins - walk_ins.n_without_time,
        int((quality.excluded("check_in_wait") & visits["walk_in"].astype(bool)).sum()),
        f"over {count_of(walk_ins.n_days, 'clinic day')}{no_time}")  # fmt: skip
    return rows


# -- the fits ------------------------------------------------------------------------------------------------------


def _duration_section(label: str, fits: GroupFits, note: str) -> dict[str, Any]:
    groups = []
    for row in fits.table().to_dict("records"):
        key = tuple(row[name] for name in fits.by)
        name = " / ".join(str(k) for k in key) or "all"
        fit = fits.fits.get(key)
        group: dict[str, Any] = {
            "name": name,
            "n": f"{int(row['n']):,}",
            "excluded": f"{int(row['n_excluded']):,}",
            "not_positive": f"{int(row['n_not_positive']):,}",
            "distribution": row["distribution"] or "not fitted",
            "parameters": row["parameters"],
            "mean": f"{row['mean_min']:.1f}" if fit is not None else "-",
            "mean_ci": _interval(row["mean_low"], row["mean_high"], fmt=".1f") if fit is not None else "-",
            "ks_p": _num(row.get("ks_p"), ".2g") if fit is not None else "-",
            "reason": row["reason"],
            "candidates": [],
            "figure": None,
        }
        if fit is not None:
            group["candidates"] = [
                {
                    "distribution": c["distribution"],
                    "parameters": c["parameters"],
                    "mean": _num(c["mean_min"], ".3g"),
                    "sd": _num(c["sd_min"], ".3g"),
                    "aic": _num(c["aic"], ".1f"),
                    "delta_aic": _num(c["delta_aic"], ".1f"),
                    "ks_stat": _num(c["ks_stat"], ".3f"),
                    "ks_p": _num(c["ks_p"], ".2g"),
                    "chosen": bool(c["chosen"]),
                    "note": c["note"],
                }
                for c in fit.table().to_dict("records")
            ]
            title = f"{label}: {name}"
            group["figure"] = Figure(
                title,
                "Left: the durations' histogram with each candidate's density (the chosen one bold; ΔAIC: its AIC "
                "above the lowest; KS p: the Kolmogorov-Smirnov test's p-value). Right: the chosen fit's QQ plot, "
                "the sample's quantiles against the fit's; on the diagonal when the fit is right.",
                png_data_uri(plot_duration_fit(fit, title)),
            )
        groups.append(group)
    return {"label": label, "columns": " to ".join(fits.interval), "note": note, "groups": groups}


def _speed_rows(speed: pd.DataFrame) -> list[dict[str, str]]:
    return [
        {
            "provider": str(provider),
            "n": f"{int(row['n']):,}",
            "raw": f"{row['raw_factor']:.3f}",
            "ci": _interval(row["ci_low"], row["ci_high"], fmt=".3f"),
            "weight": f"{row['weight']:.2f}",
            "factor": f"{row['speed_factor']:.3f}",
        }
        for provider, row in speed.iterrows()
    ]


def _lateness(calibration: Calibration) -> dict[str, Any] | None:
    late = calibration.lateness
    if late is None:
        return None
    row = late.table().iloc[0]
    quantiles = [(f"{round(p * 100)}%", f"{q:+.1f}") for p, q in late.quantiles.items()]
    return {
        "n": f"{late.n:,}",
        "excluded": f"{late.n_excluded:,}",
        "mean": f"{row['mean_min']:+.1f}",
        "mean_ci": f"{row['mean_low']:+.1f} to {row['mean_high']:+.1f}",
        "sd": f"{row['sd_min']:.1f}",
        "ks_p": _num(row["ks_p"], ".2g"),
        "distribution": str(row["distribution"]),
        "quantiles": quantiles,
    }


def _no_show_rows(no_shows: pd.DataFrame) -> list[dict[str, str]]:
    by_words = {"all": "All booked", "visit_type": "Visit type", "lead_time": "Lead time"}
    return [
        {
            "by": by_words.get(str(row["by"]), str(row["by"])),
            "group": "" if row["by"] == "all" else str(row["group"]),
            "n": f"{int(row['n']):,}",
            "no_shows": f"{int(row['n_no_show']):,}",
            "p": _pct(row["p_no_show"]),
            "ci": _interval(row["p_no_show_low"], row["p_no_show_high"], pct=True) if row["n"] else "-",
            "booked": f"{int(row['n_booked']):,}",
            "cancelled": _pct(row["p_cancelled"]),
            "late_cancel": _pct(row["p_late_cancel"]),
        }
        for _, row in no_shows.iterrows()
    ]


def _late_start_rows(calibration: Calibration) -> list[dict[str, str]]:
    return [
        {
            "provider": str(row["provider"]),
            "sessions": f"{int(row['n_sessions']):,}",
            "used": f"{int(row['n_used']):,}",
            "on_time": _pct(row["p_on_time"], 0),
            "on_time_ci": _interval(row["p_on_time_low"], row["p_on_time_high"], pct=True) if row["n_used"] else "-",
            "delay": _num(row["mean_delay_min"], ".1f"),
            "delay_ci": _interval(row["mean_delay_low"], row["mean_delay_high"], fmt=".1f"),
            "when_late": _num(row["mean_when_late_min"], ".1f"),
            "raw": _num(row["mean_raw_delay_min"], ".1f"),
            "source": "pooled (few sessions)" if row["source"] == "pooled" else "own",
        }
        for _, row in calibration.late_starts.table().iterrows()
    ]


def _walk_in_rows(calibration: Calibration) -> list[dict[str, str]]:
    return [
        {
            "hours": f"{row['start']}-{row['end']}",
            "count": f"{int(row['count']):,}",
            "per_hour": f"{row['per_hour']:.2f}",
            "ci": _interval(row["ci_low"], row["ci_high"], fmt=".2f"),
        }
        for _, row in calibration.walk_ins.table.iterrows()
    ]


# -- the back-test -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Words:
    missed: bool
    sentence: str


def _kpi_words(kpi: str, row: pd.Series, confidence: float) -> _Words:
    """One KPI of a back-test's summary in words."""
    label = kpi_label(kpi)
    inside, above, below = row["inside_pct"] / 100, row["above_pct"] / 100, row["below_pct"] / 100
    days, expected = int(row["days"]), _pct(confidence, 0)
    ci = _interval(row["inside_low_pct"] / 100, row["inside_high_pct"] / 100, pct=True)
    if row["inside_high_pct"] / 100 >= confidence:
        return _Words(
            False,
            f"{label}: reproduced. {_pct(inside, 0)} of {days} observed days fall inside the simulated band (95% CI "
            f"{ci}); a right model leaves about {expected} inside.",
        )
    side, other = ("above", below) if above >= below else ("below", above)
    share = max(above, below)
    too = "too low" if side == "above" else "too high"
    if other == 0 or share >= CONSISTENT_RATIO * other:
        return _Words(
            True,
            f"{label}: observed values consistently {side} the simulated band ({side} on {_pct(share, 0)} of "
            f"{days} days, inside on only {_pct(inside, 0)}, 95% CI {ci}, where about {expected} is expected): the "
            f"model's values are {too}.",
        )
    return _Words(
        True,
        f"{label}: observed values outside the simulated band on both sides (above on {_pct(above, 0)}, below on "
        f"{_pct(below, 0)} of {days} days, inside on only {_pct(inside, 0)}, 95% CI {ci}, where about {expected} "
        "is expected): the observed days vary more than the model's.",
    )


def backtest_sentences(result: Backtest) -> list[str]:
    """Each back-tested KPI in words: reproduced, or observed values consistently above (below) the simulated
    band, or outside it on both sides; with the share of days inside and what a right model would leave inside."""
    summary = result.summary()
    return [_kpi_words(str(kpi), row, result.confidence).sentence for kpi, row in summary.iterrows()]


def _census_words(reproduced: list[int], n_hours: int) -> _Words:
    """The census hours a back-test reproduced, in one sentence (each missed hour has a sentence of its own)."""
    hours = ", ".join(f"{h:02d}:00" for h in reproduced)
    which = "every hour the clinic is open" if len(reproduced) == n_hours else f"{len(reproduced)} of {n_hours} hours"
    return _Words(False, f"Patients in the clinic by clock hour: reproduced in {which} ({hours}); each hour's share "
                         "of days inside is in the table.")  # fmt: skip


def _backtest_section(result: Backtest, *, title: str, intro: str, key: str) -> dict[str, Any]:
    summary = result.summary()
    rows: list[dict[str, Any]] = []
    said: list[_Words | None] = []  # None: where the reproduced census hours' one sentence goes
    hours = [h for h in map(census_hour, summary.index) if h is not None]
    reproduced: list[int] = []
    for kpi, row in summary.iterrows():
        words = _kpi_words(str(kpi), row, result.confidence)
        hour = census_hour(str(kpi))
        if hour is not None and not words.missed:
            if not reproduced:
                said.append(None)
            reproduced.append(hour)
        else:
            said.append(words)
        rows.append(
            {
                "kpi": kpi_label(str(kpi)),
                "days": f"{int(row['days']):,}",
                "inside": f"{row['inside_pct']:.0f}%",
                "inside_ci": f"{row['inside_low_pct']:.0f}% to {row['inside_high_pct']:.0f}%",
                "above": f"{row['above_pct']:.0f}%",
                "below": f"{row['below_pct']:.0f}%",
                "verdict": str(row["verdict"]),
                "missed": words.missed,
            }
        )
    sentences = [words if words is not None else _census_words(reproduced, len(hours)) for words in said]
    days = result.days
    no_data = []
    if len(days):
        compared = set(summary.index)
        no_data = [kpi_label(k) for k in days["kpi"].unique() if k not in compared]
    dates = pd.to_datetime(days["date"]) if len(days) else pd.Series(dtype="datetime64[ns]")
    figure = None
    if len(summary):
        figure = Figure(
            f"{title}: observed days against the model's bands",
            f"Per KPI, each observed day (dots: blue inside, red above, orange below) against the range of its "
            f"{result.replications} simulated replications (grey bar, the median marked): a distribution-free "
            f"{_pct(result.confidence, 0)} prediction interval for the day.",
            png_data_uri(plot_backtest(result)),
        )
    census = None
    if len(result.census_by_hour()):
        census = Figure(
            f"{title}: census by clock hour",
            "Top: the number of patients in the clinic (arrival to check-out done), time-averaged over each clock "
            "hour and then over the days, observed (dots) against the model's band and median averaged the same "
            "way. Bottom: per hour, the share of days whose observed census falls inside that day's own band, with "
            f"its Wilson 95% interval; a right model leaves about {_pct(result.confidence, 0)} inside (dashed), and "
            "the hours whose interval stays below that are red.",
            png_data_uri(plot_backtest_census(result)),
        )
    return {
        "key": key,
        "title": title,
        "intro": intro,
        "replications": result.replications,
        "confidence": _pct(result.confidence, 0),
        "n_days": f"{dates.nunique():,}",
        "first": _date(dates.min()) if len(dates) else "-",
        "last": _date(dates.max()) if len(dates) else "-",
        "sentences": sentences,
        "missed": [row["kpi"] for row in rows if row["missed"]],
        "rows": rows,
        "no_data": no_data,
        "figure": figure,
        "census_figure": census,
        "skipped": [{"date": _date(r.date), "reason": str(r.reason)} for r in result.skipped.itertuples(index=False)],
    }


# -- the page ------------------------------------------------------------------------------------------------------


def _scenario_facts(scenario: Scenario) -> dict[str, str]:
    return {"name": scenario.name, "hash": scenario.content_hash[:12]}


def render_calibration_report(
    calibration: Calibration,
    *,
    backtest: Backtest | None = None,
    holdout: Backtest | None = None,
    source: str = "",
) -> str:
    """The calibration report as one self-contained HTML document (figures as PNG data URIs): the export, its data
    problems and exclusions, the calibrated settings, every fit, and the back-test of all observed days
    (``backtest``) and of the hold-out (``holdout``: the later dates replayed through a scenario fitted on the
    earlier ones) when given. ``source`` names the export (default: the file ``read_visits`` read)."""
    problems, n_problem_rows = _problem_rows(calibration)
    durations = [
        _duration_section(
            "Provider visit",
            calibration.provider_visit,
            "Each visit's minutes times its provider's speed factor: the duration of a provider of speed 1 (the "
            "engine divides by each provider's factor again).",
        )
    ]
    if calibration.rooming is not None:
        durations.append(_duration_section("Rooming", calibration.rooming, "As recorded."))
    backtests = []
    if backtest is not None:
        backtests.append(
            _backtest_section(
                backtest,
                title="Back-test: every observed day",
                intro="Every observed day's appointments (who was booked with whom, when, for what, and whether "
                "they came) replayed through the calibrated scenario.",
                key="all",
            )
        )
    if holdout is not None:
        backtests.append(
            _backtest_section(
                holdout,
                title="Hold-out back-test",
                intro="The last dates of the export replayed through a scenario fitted on the earlier dates only (a "
                "separate calibration of the same base, which never saw these days): whether the fit predicts days "
                "it was not made from, rather than describing the days it was made from.",
                key="holdout",
            )
        )
    replications = backtests[0]["replications"] if backtests else None
    template = html_template("calibration_report.html.j2")
    return template.render(
        title=f"Calibration report: {calibration.base.name}",
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        version=__version__,
        base=_scenario_facts(calibration.base),
        calibrated=_scenario_facts(calibration.scenario),
        export=_export_facts(calibration, source),
        samples=_sample_rows(calibration),
        problems=problems,
        n_problem_rows=f"{n_problem_rows:,}",
        exclusions=_exclusion_rows(calibration),
        settings=_settings_rows(calibration),
        not_used=calibration.not_used,
        durations=durations,
        speed=_speed_rows(calibration.speed),
        lateness=_lateness(calibration),
        no_shows=_no_show_rows(calibration.no_shows),
        late_starts=_late_start_rows(calibration),
        on_time_min=f"{ON_TIME_MIN:g}",
        walk_ins=_walk_in_rows(calibration),
        n_walk_ins=f"{calibration.walk_ins.n_walk_ins:,}",
        walk_in_days=count_of(calibration.walk_ins.n_days, "clinic day"),
        backtests=backtests,
        replications=replications,
    )


def write_calibration_report(
    calibration: Calibration,
    out: str | Path,
    *,
    backtest: Backtest | None = None,
    holdout: Backtest | None = None,
    source: str = "",
) -> Path:
    """Write ``calibration.html`` (``render_calibration_report``) to the directory ``out``; its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "calibration.html"
    path.write_text(
        render_calibration_report(calibration, backtest=backtest, holdout=holdout, source=source), encoding="utf-8"
    )
    logger.info("calibration report written to %s", path)
    return path
