"""A scenario calibrated to a visit export: the base scenario with every number the export can speak to fitted.

What is fitted, each only from the rows ``quality`` leaves in for it, and only where the base scenario has the
thing (a visit type, a provider, the default pathway's step):

- each visit type's provider-visit duration (``provider_in`` to ``provider_out``), on the scale of a provider of
  speed 1: every visit's minutes times its provider's fitted speed factor, so that dividing by the factor again
  (as the engine does) gives each provider's own; rooming (``roomed`` to ``rooming_done``) where the export has it;
- each provider's ``speed_factor`` (shrunk toward 1 where they have few visits), ``late_start_min`` and
  ``documentation_min`` (the charting between visits, ``fit.charting``; the pooled fit for a provider with few);
- the patients' lateness and the late policy (``fit.turn_away``: patients turned away for arriving late), each
  visit type's no-show rate, and walk-ins by hour (replacing the base's walk-in
  streams with one calibrated stream when the export has walk-ins);
- the exam rooms' turnover where the export names the room (``fit.room_turnover``: an upper bound).

A provider's visits are their visit type's duration divided by their speed factor: ``provider_durations`` compares
that, per provider and visit type, with the provider's own mean (shrunk toward it where there are few visits) and
says where one factor does not describe a provider.

Without a base scenario, the base is inferred from the export itself (``infer.infer_scenario``: the templates from
the appointment grid, stated defaults for what an export cannot say), and its comments say where each value came
from.

Check-in and check-out times are not service times in an export (their intervals include the queue), so the
base's are kept, and so are staff, rooms, templates and money. Each fitted value is commented in the calibrated
file with its sample size and fit (``scenario_file``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clinicsim.calibration import fit
from clinicsim.calibration.infer import Inferred, infer_scenario
from clinicsim.calibration.quality import Quality, check_visits
from clinicsim.scenario import Scenario

logger = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """Numbers of a dumped distribution as a file would write them: floats to 3 decimals (0.001 minute)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        try:
            return round(float(value), 3)
        except ValueError:
            return value
    return round(value, 3) if isinstance(value, float) else value


def _dumped(distribution) -> dict[str, Any]:
    """A fitted distribution as the scenario file writes it."""
    return _plain(distribution.model_dump(mode="python", by_alias=True))


def _duration_comment(one: fit.DurationFit) -> str:
    chosen = one.candidate(one.chosen)
    return f"n={one.n:,}; {one.chosen} ({one.reason}); KS p={chosen.ks_p:.2g}"


@dataclass
class Calibration:
    """The fits of a visit export and the scenario made from them."""

    base: Scenario
    scenario: Scenario
    visits: pd.DataFrame = field(repr=False)
    quality: Quality = field(repr=False)
    provider_visit: fit.GroupFits = field(repr=False)
    rooming: fit.GroupFits | None = field(repr=False)
    speed: pd.DataFrame = field(repr=False)
    lateness: fit.LatenessFit | None = field(repr=False)
    no_shows: pd.DataFrame = field(repr=False)
    late_starts: fit.LateStarts = field(repr=False)
    walk_ins: fit.WalkInRates = field(repr=False)
    charting: fit.Charting = field(repr=False)
    room_turnover: fit.RoomTurnover = field(repr=False)
    provider_durations: pd.DataFrame = field(repr=False)
    """Per provider and visit type, observed against the scenario's mean provider visit
    (``fit.provider_visit_durations``)."""
    settings: pd.DataFrame = field(repr=False)
    """One row per setting of the scenario the calibration changed: path, value, comment (sample size, fit)."""
    not_used: list[str] = field(default_factory=list)
    """What the export holds that the base scenario has no place for (a visit type or provider it lacks)."""
    inferred: Inferred | None = field(default=None, repr=False)
    """The base inferred from the export, when none was given."""

    @property
    def comments(self) -> dict[str, str]:
        """Each commented setting's comment: where an inferred base's values came from, then every fitted value."""
        inferred = self.inferred.comments if self.inferred is not None else {}
        return {**inferred, **dict(zip(self.settings["path"], self.settings["comment"]))}


class _Changes:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.rows: list[dict[str, Any]] = []

    def set(self, path: str, value: Any, comment: str) -> None:
        self.values[path] = value
        self.rows.append({"path": path, "value": value, "comment": comment})


def _scaled_to_speed_one(visits: pd.DataFrame, speed: pd.DataFrame) -> pd.DataFrame:
    """The visits with each provider visit stretched by its provider's speed factor (speed 1's duration)."""
    factors = visits["provider"].map(speed["speed_factor"]).fillna(1.0).astype(float)
    scaled = visits.copy()
    scaled["provider_out"] = visits["provider_in"] + (visits["provider_out"] - visits["provider_in"]) * factors
    return scaled


def _visit_type_changes(changes: _Changes, base: Scenario, durations: fit.GroupFits, rooming, no_shows) -> list[str]:
    not_used = []
    rates = no_shows[no_shows["by"] == "visit_type"].set_index("group")
    for (name,), one in durations.fits.items():
        shorthand = base.visit_types.get(name)
        if shorthand is None:
            not_used.append(f"visit type {name!r} (provider visits): not in the base scenario")
            continue
        if shorthand.durations_min is None:
            not_used.append(f"visit type {name!r}: its pathway is written step by step; durations not set")
            continue
        changes.set(f"visit_types.{name}.durations_min.provider_visit", _dumped(one.distribution),
                    _duration_comment(one) + "; at speed 1")  # fmt: skip
        if rooming is not None and (name,) in rooming.fits and shorthand.durations_min.rooming is not None:
            fitted = rooming.fits[(name,)]
            changes.set(f"visit_types.{name}.durations_min.rooming", _dumped(fitted.distribution),
                        _duration_comment(fitted))  # fmt: skip
    for name, row in rates.iterrows():
        if name in base.visit_types and row["n"] > 0:
            interval = f"95% CI {row['p_no_show_low']:.3f} to {row['p_no_show_high']:.3f}"
            changes.set(f"visit_types.{name}.p_no_show", round(float(row["p_no_show"]), 4),
                        f"n={int(row['n']):,}; {interval}")  # fmt: skip
    return not_used


def _charting_changes(changes: _Changes, base: Scenario, charting: fit.Charting) -> None:
    for provider in base.providers:
        own = charting.fits.get(provider.name)
        chosen = own or charting.fits.get("all")
        if chosen is not None:
            whose = "own" if own else "pooled over providers"
            changes.set(f"providers.{provider.name}.documentation_min", _dumped(chosen.distribution),
                        f"{_duration_comment(chosen)}; {whose}; gaps to the next waiting patient")  # fmt: skip


def _provider_changes(changes: _Changes, base: Scenario, speed: pd.DataFrame, late: fit.LateStarts) -> list[str]:
    known = {p.name for p in base.providers}
    not_used = [f"provider {name!r}: not in the base scenario" for name in speed.index if name not in known]
    for name, row in speed.iterrows():
        if name in known:
            changes.set(f"providers.{name}.speed_factor", round(float(row["speed_factor"]), 3),
                        f"n={int(row['n']):,}; raw {row['raw_factor']:.3f} (95% CI {row['ci_low']:.3f} to "
                        f"{row['ci_high']:.3f}), shrunk toward 1 by {row['weight']:.2f}")  # fmt: skip
    sessions = late.sessions
    for name, distribution in late.distributions.items():
        if name in known:
            n = int((sessions["provider"] == name).sum())
            changes.set(f"providers.{name}.late_start_min", _dumped(distribution), f"{n:,} sessions")
    return not_used


def _walk_in_changes(changes: _Changes, base: Scenario, walk_ins: fit.WalkInRates) -> list[str]:
    if walk_ins.n_walk_ins == 0:
        return []
    mix = {k: v for k, v in walk_ins.visit_types.items() if k in base.visit_types}
    if not mix:
        return ["walk-ins: none of their visit types is in the base scenario"]
    total = sum(mix.values())
    stream = {"name": "Walk-ins", "visit_type": {k: round(v / total, 4) for k, v in mix.items()},
              "rates": walk_ins.rates}  # fmt: skip
    changes.set("walk_ins", [stream], f"{walk_ins.n_walk_ins:,} walk-ins over {walk_ins.n_days} clinic days")
    return []


def _room_changes(changes: _Changes, base: Scenario, turnover: fit.RoomTurnover, min_n: int) -> list[str]:
    if turnover.fit is None or turnover.n < min_n:
        return []
    if base.clinic.exam_rooms == 0:
        return ["room turnover: the base scenario has no exam rooms"]
    changes.set("clinic.room_turnover_min", _dumped(turnover.fit.distribution),
                _duration_comment(turnover.fit) + "; an upper bound (a gap can include a wait for the MA)")  # fmt: skip
    return []


def _model_means(durations: fit.GroupFits) -> dict[str, float]:
    """Each fitted visit type's mean provider visit at speed 1 (minutes)."""
    return {name: one.distribution.mean for (name,), one in durations.fits.items()}


def calibrate(
    visits: pd.DataFrame, base: Scenario | None = None, *, quality: Quality | None = None, min_n: int = 30
) -> Calibration:
    """Fit ``visits`` (``export.read_visits``) into ``base``, or into a base inferred from them (see the module
    docstring; ``infer.CannotInfer`` when the export's templates cannot be read)."""
    quality = quality if quality is not None else check_visits(visits)
    inferred = infer_scenario(visits, quality) if base is None else None
    base = inferred.scenario if inferred is not None else base
    assert base is not None
    speed = fit.provider_speed_factors(visits, quality.excluded("provider_visit"))
    scaled = _scaled_to_speed_one(visits, speed)
    durations = fit.fit_by_group(scaled, ("provider_in", "provider_out"), ["visit_type"],
                                 exclude=quality.excluded("provider_visit"), min_n=min_n)  # fmt: skip
    rooming = None
    if {"roomed", "rooming_done"} <= set(visits.attrs.get("steps", ())):
        rooming = fit.fit_by_group(visits, ("roomed", "rooming_done"), ["visit_type"],
                                   exclude=quality.excluded("rooming"), min_n=min_n)  # fmt: skip
    no_shows = fit.no_show_rates(visits, quality.mask("duplicate") if "duplicate" in quality.reasons else None)
    late = fit.late_starts(visits, quality.excluded("arrival_to_provider"))
    walk_ins = fit.walk_in_rates(visits, quality.excluded("check_in_wait"))
    charting = fit.charting(visits, quality.excluded("in_room_wait") | quality.excluded("provider_visit"),
                            min_n=min_n)  # fmt: skip
    turnover = fit.room_turnover(visits, quality.excluded(("checked_in", "roomed"))
                                 | quality.excluded(("roomed", "provider_out")), min_n=min_n)  # fmt: skip
    by_provider = fit.provider_visit_durations(visits, quality.excluded("provider_visit"), _model_means(durations),
                                               speed)  # fmt: skip
    changes = _Changes()
    not_used = _visit_type_changes(changes, base, durations, rooming, no_shows)
    not_used += _provider_changes(changes, base, speed, late)
    _charting_changes(changes, base, charting)
    lateness = None
    if (~visits["walk_in"]).any() and visits["arrived"].notna().any():
        lateness = fit.lateness(visits, quality.excluded("lateness"))
        if lateness.n >= min_n:
            kind = "empirical" if lateness.rejected else "normal"
            changes.set("patients.lateness_min", _dumped(lateness.distribution),
                        f"n={lateness.n:,}; {kind}; KS p={lateness.ks_p:.2g}")  # fmt: skip
    policy = fit.turn_away(visits, quality.excluded("lateness"))
    if policy.limit_min is not None:
        changes.set("patients.turn_away_if_late_by_min", policy.limit_min, policy.comment)
    not_used += _walk_in_changes(changes, base, walk_ins)
    not_used += _room_changes(changes, base, turnover, min_n)
    changes.set("name", f"{base.name} (calibrated)", "")
    scenario = base.with_changes(changes.values)
    settings = pd.DataFrame([r for r in changes.rows if r["path"] != "name"], columns=["path", "value", "comment"])
    logger.info("calibrated %d settings of %r from %d visits", len(settings), base.name, len(visits))
    return Calibration(base, scenario, visits, quality, durations, rooming, speed, lateness, no_shows, late,
                       walk_ins, charting, turnover, by_provider, settings, not_used, inferred)  # fmt: skip


def split_by_date(visits: pd.DataFrame, fit_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The visits of the first ``fit_share`` of the dates (to fit) and of the rest (to back-test: the hold-out)."""
    if not 0 < fit_share < 1:
        raise ValueError("the share of the dates to fit on is between 0 and 1")
    dates = sorted(visits["date"].dropna().unique())
    if len(dates) < 2:
        raise ValueError("a hold-out needs visits on at least two dates")
    cut = dates[max(1, min(len(dates) - 1, round(fit_share * len(dates))))]
    first, rest = visits[visits["date"] < cut], visits[visits["date"] >= cut]
    for part in (first, rest):
        part.attrs.update(visits.attrs)
    return first, rest
