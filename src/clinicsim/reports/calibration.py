"""The calibration report: one self-contained HTML page saying what a visit export made of the scenario, and
whether the calibrated model reproduces the clinic's observed days.

It answers, in order: what the export held (dates, rows, statuses, steps) and how many values each fit used; when
no base scenario was given, the base inferred from the export (its templates, opening hours and exam rooms, each
with how it was read, what was assumed and which providers were left out); the export's data problems, counted by
reason with example rows, and, per interval, the rows each fit left out and why (nothing is left out without its
reason here); the settings the calibration changed (the base scenario's value beside the fitted one, with its
sample size and fit) and what the export holds that the base has no place for; each fitted duration (the candidate
distributions with AIC and KS, a histogram and QQ figure), the provider speed factors and, per provider and visit
type, where one factor does not describe a provider's visits; the charting between visits and the exam rooms'
turnover (an upper bound), lateness and the late policy, no-show rates, late session starts and walk-ins, each
with its interval; then the back-test of every observed day and, when given, the hold-out back-test, each KPI's
share of days inside the model's band said in words (the census hours reproduced in one sentence), with a figure
of the KPIs by day and one of the census by clock hour, and the days that could not be replayed; and how to read
it all.

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
from clinicsim.calibration.fit import MAX_GAP_MIN, ON_TIME_MIN, DurationFit, GroupFits
from clinicsim.calibration.fit_plots import plot_duration_fit
from clinicsim.calibration.plots import plot_backtest, plot_backtest_census
from clinicsim.calibration.quality import INTERVALS, REASONS
from clinicsim.formatting import count_of
from clinicsim.reports.page import Figure, html_template, png_data_uri
from clinicsim.scenario import Scenario
from clinicsim.scenario.changes import resolve_path
from clinicsim.scenario.model import WEEKDAYS

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


# -- the inferred base ---------------------------------------------------------------------------------------------

INFERRED_CLINIC = {
    "clinic.opens": "Opens",
    "clinic.closes": "Closes",
    "clinic.exam_rooms": "Exam rooms",
    "weekday": "Weekday simulated",
}
"""The inferred base's clinic-wide settings the report shows, by setting path, in words."""

TEMPLATE_PARTS = {
    "sessions": "Sessions",
    "slot_min": "Slot length",
    "pattern": "Pattern",
    "double_book": "Double booking",
}
"""The parts of an inferred template whose comments the report gives, in words (its rule is among the assumed)."""


REFITTED = {
    "documentation_min": "the providers' charting after each visit (Charting between visits, below)",
    "room_turnover_min": "the exam rooms' turnover (Room turnover, below)",
}
"""Assumed values of an inferred base that ``calibrate`` fits when the export speaks to them, by the end of their
setting path, in words."""


def _weekday_runs(weekdays: list[str]) -> str:
    """Weekdays in week order, three or more in a row as a range: "mon to fri", "mon, wed"."""
    indices = sorted(WEEKDAYS.index(day) for day in weekdays)
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    words = [f"{WEEKDAYS[r[0]]} to {WEEKDAYS[r[-1]]}" if len(r) >= 3 else ", ".join(WEEKDAYS[i] for i in r)
             for r in runs]  # fmt: skip
    return ", ".join(words)


def _template_users(scenario: Scenario, template: str) -> str:
    """The providers working ``template``, grouped by their weekdays on it: "Dr A, Dr B: mon to fri"."""
    by_days: dict[str, list[str]] = {}
    for provider in scenario.providers:
        if isinstance(provider.template, str):
            days = "every day" if provider.template == template else ""
        else:
            days = _weekday_runs([day for day, name in provider.template.items() if name == template])
        if days:
            by_days.setdefault(days, []).append(provider.name)
    return "; ".join(f"{', '.join(names)}: {days}" for days, names in by_days.items()) or "no provider"


def _pattern_words(pattern: list[str]) -> str:
    """A template's pattern with repeats counted: "new, established ×3, telehealth"."""
    runs: list[list[Any]] = []
    for visit_type in pattern:
        if runs and runs[-1][0] == visit_type:
            runs[-1][1] += 1
        else:
            runs.append([visit_type, 1])
    return ", ".join(name if n == 1 else f"{name} ×{n}" for name, n in runs)


def _inferred_templates(calibration: Calibration) -> list[dict[str, Any]]:
    """The inferred templates as the base scenario has them, each with the comments saying how it was read."""
    assert calibration.inferred is not None
    comments = calibration.inferred.comments
    templates = calibration.base.model_dump(mode="json")["templates"]
    rows = []
    for name, template in templates.items():
        sessions = ", ".join(f"{s['start']}-{s['end']}" for s in template["sessions"])
        pattern = template["pattern"]
        slots = count_of(len(pattern), "slot")
        rows.append(
            {
                "name": name,
                "users": _template_users(calibration.base, name),
                "sessions": sessions,
                "slot": _num(template["slot_min"], "g"),
                "pattern": f"{_pattern_words(pattern)} ({slots} from each session's start, repeated)",
                "double_book": ", ".join(template.get("double_book") or []) or "none",
                "comments": [
                    (label, comments[f"templates.{name}.{part}"])
                    for part, label in TEMPLATE_PARTS.items()
                    if f"templates.{name}.{part}" in comments
                ],
            }
        )
    return rows


def _inferred(calibration: Calibration) -> dict[str, Any] | None:
    """What the report says of a base inferred from the export (None when a base was given)."""
    inferred = calibration.inferred
    if inferred is None:
        return None
    base = calibration.base.model_dump(mode="json")
    clinic = [
        {"setting": label, "value": short_value(_base_value(base, path)), "comment": inferred.comments[path]}
        for path, label in INFERRED_CLINIC.items()
        if path in inferred.comments
    ]
    paths = list(calibration.settings["path"])
    refitted = [words for end, words in REFITTED.items() if any(path.endswith(end) for path in paths)]
    return {
        "templates": _inferred_templates(calibration),
        "refitted": refitted,
        "n_templates": count_of(len(calibration.base.templates), "template"),
        "n_providers": count_of(len(calibration.base.providers), "provider"),
        "clinic": clinic,
        "assumed": list(inferred.assumed),
        "left_out": list(inferred.left_out),
    }


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


NOT_FITTED = {"distribution": "not fitted", "parameters": "", "mean": "-", "mean_ci": "-", "ks_p": "-"}
"""The cells of ``_fit_cells`` for a sample that was not fitted."""


def _fit_cells(fit: DurationFit | None) -> dict[str, str]:
    """A duration fit's chosen distribution, its parameters, the sample's mean (min) with its 95% interval and the
    chosen fit's KS p-value, as table cells (``NOT_FITTED`` for None)."""
    if fit is None:
        return dict(NOT_FITTED)
    chosen = fit.candidate(fit.chosen)
    return {
        "distribution": fit.chosen,
        "parameters": chosen.parameters(),
        "mean": f"{fit.mean_min:.1f}",
        "mean_ci": _interval(*fit.mean_ci, fmt=".1f"),
        "ks_p": _num(chosen.ks_p, ".2g"),
    }


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
            **_fit_cells(fit),
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


def _provider_type_rows(durations: pd.DataFrame) -> list[dict[str, Any]]:
    """Per provider and visit type, the observed mean provider visit against the calibrated scenario's."""
    return [
        {
            "provider": str(row.provider),
            "visit_type": str(row.visit_type),
            "n": f"{int(row.n):,}",
            "mean": f"{row.mean_min:.1f}",
            "ci": _interval(row.ci_low, row.ci_high, fmt=".1f"),
            "model": f"{row.model_mean_min:.1f}",
            "weight": f"{row.weight:.2f}",
            "shrunk": f"{row.shrunk_mean_min:.1f}",
            "inside": "yes" if row.model_inside else "no",
            "outside": not row.model_inside,
        }
        for row in durations.itertuples(index=False)
    ]


def _provider_type_sentences(durations: pd.DataFrame) -> list[str]:
    """A sentence per provider and visit type whose observed mean's 95% interval leaves out the scenario's mean; one
    saying so when there is none."""
    if not len(durations):
        return ["No provider saw two or more visits of a fitted visit type: nothing to compare."]
    outside = [row for row in durations.itertuples(index=False) if not row.model_inside]
    if not outside:
        return [
            f"For every provider and visit type ({len(durations)} compared), the calibrated scenario's mean lies "
            "inside the 95% interval of the observed mean: one speed factor per provider describes their visits."
        ]
    return [
        f"{row.provider}'s {row.visit_type} visits average {row.mean_min:.1f} min (95% CI "
        f"{_interval(row.ci_low, row.ci_high, fmt='.1f')}) where the calibrated scenario gives "
        f"{row.model_mean_min:.1f}: one speed factor does not describe them."
        for row in outside
    ]


def _charting_row(provider: str, n_used: int, fit: DurationFit | None, uses: str) -> dict[str, str]:
    return {"provider": provider, "n": f"{n_used:,}", "fitted": f"{fit.n:,}" if fit is not None else "-",
            **_fit_cells(fit), "uses": uses}  # fmt: skip


def _charting_rows(calibration: Calibration) -> list[dict[str, str]]:
    """Per provider, then pooled: the gaps used and the fit of the charting between visits, and what the scenario
    uses."""
    charting, known = calibration.charting, {p.name for p in calibration.base.providers}
    used = charting.gaps[charting.gaps["used"].astype(bool)]
    counts = used["provider"].value_counts()
    providers = sorted(set(map(str, charting.gaps["provider"].dropna())) | (set(charting.fits) - {"all"}))
    rows = []
    for name in providers:
        fit = charting.fits.get(name)
        uses = ("own" if fit is not None else "pooled") if name in known else "not in the base scenario"
        rows.append(_charting_row(name, int(counts.get(name, 0)), fit, uses))
    if "all" in charting.fits:
        rows.append(_charting_row("All (pooled)", len(used), charting.fits["all"],
                                  "for providers without a fit of their own"))  # fmt: skip
    return rows


def _room_turnover(calibration: Calibration) -> dict[str, Any]:
    """The exam rooms' turnover from the export's room column: whether it has one, the gaps and the fit."""
    turnover = calibration.room_turnover
    gaps = turnover.gaps
    return {
        "named": "room" in calibration.visits and bool(calibration.visits["room"].notna().any()),
        "pairs": f"{len(gaps):,}",
        "waiting": f"{int(gaps['waiting'].astype(bool).sum()):,}",
        "n": f"{turnover.n:,}",
        "fit": {"fitted": f"{turnover.fit.n:,}", **_fit_cells(turnover.fit)} if turnover.fit is not None else None,
    }


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


LATE_POLICY = "patients.turn_away_if_late_by_min"
"""The setting ``calibrate`` reads the late policy into (``fit.turn_away``)."""


def _late_policy(calibration: Calibration) -> str:
    """The late policy read from the export, in one sentence."""
    found = calibration.settings[calibration.settings["path"] == LATE_POLICY]
    if not len(found):
        return ("The export shows no consistent late policy (patients who arrived late and went unseen, all later "
                "than every patient seen): the base scenario's is kept.")  # fmt: skip
    row = found.iloc[0]
    return (f"Late policy: patients more than {short_value(row['value'])} min late are turned away ({row['comment']}); "
            "the calibrated scenario turns them away too.")  # fmt: skip


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
    """The calibration report as one self-contained HTML document (figures as PNG data URIs): the export, the base
    inferred from it (when none was given), its data problems and exclusions, the calibrated settings, every fit,
    and the back-test of all observed days (``backtest``) and of the hold-out (``holdout``: the later dates replayed
    through a scenario fitted on the earlier ones) when given. ``source`` names the export (default: the file
    ``read_visits`` read)."""
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
        max_gap_min=f"{MAX_GAP_MIN:g}",
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
        inferred=_inferred(calibration),
        speed=_speed_rows(calibration.speed),
        provider_types=_provider_type_rows(calibration.provider_durations),
        provider_type_sentences=_provider_type_sentences(calibration.provider_durations),
        charting=_charting_rows(calibration),
        charting_min_n=calibration.charting.min_n,
        turnover=_room_turnover(calibration),
        lateness=_lateness(calibration),
        late_policy=_late_policy(calibration),
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
