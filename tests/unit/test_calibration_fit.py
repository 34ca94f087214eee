"""Fitting a scenario's numbers to a visit export (``calibration.fit``).

- duration fits: samples drawn from known distributions (fixed seeds, a few thousand values) choose their family
  and recover its parameters; a bimodal sample falls back to the empirical distribution; whole minutes are read as
  rounded; bad samples are refused (the recovery over many seeds is in ``tests/validation``);
- the other fits on hand-made visit tables whose answers can be worked out by hand: speed factors, Wilson
  intervals of no-shows, lead-time bands, late session starts, walk-in rates, lateness, room turnover, and
  provider visits observed against the scenario's per provider and visit type.

Single-seed checks compare with intervals widened to twice their half width (about 4 standard errors), so that
they do not fail by chance when a draw changes; the 95% coverage itself is checked over many seeds, slow.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter

from clinicsim.calibration.fit import (
    MAX_SUPPORT,
    charting,
    empirical_of,
    fit_by_group,
    fit_duration,
    late_starts,
    lateness,
    no_show_rates,
    provider_speed_factors,
    provider_visit_durations,
    room_turnover,
    turn_away,
    walk_in_rates,
)
from clinicsim.distributions import Distribution, Duration, Empirical, Fixed
from clinicsim.scenario.times import RatePeriod

ANY = TypeAdapter(Distribution)
DURATION = TypeAdapter(Duration)

TRUTHS = [
    {"kind": "lognormal", "mean": 16, "sd": 6},
    {"kind": "gamma", "mean": 20, "cv": 0.5},
    {"kind": "weibull", "mean": 12, "cv": 0.6},
]


def widened(interval: tuple[float, float], estimate: float) -> tuple[float, float]:
    """An interval around ``estimate`` twice as wide on each side."""
    low, high = interval
    return estimate - 2 * (estimate - low), estimate + 2 * (high - estimate)


def draws(spec: dict, n: int = 3000, seed: int = 2027) -> np.ndarray:
    return ANY.validate_python(spec).sample(np.random.default_rng(seed), n)


# -- duration fits ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("truth", TRUTHS, ids=lambda t: t["kind"])
def test_a_sample_of_a_known_family_chooses_it_and_recovers_its_parameters(truth):
    fit = fit_duration(draws(truth))
    assert fit.chosen == truth["kind"] and fit.reason == "lowest AIC"
    chosen = fit.candidate(fit.chosen)
    for name, estimate in chosen.estimates.items():
        low, high = widened(chosen.intervals[name], estimate)
        assert low <= truth[name] <= high, name
    assert widened(fit.mean_ci, fit.mean_min)[0] <= truth["mean"] <= widened(fit.mean_ci, fit.mean_min)[1]
    assert fit.n == 3000 and fit.resolution_min == 0


def test_the_chosen_distribution_is_a_scenario_entry():
    fit = fit_duration(draws(TRUTHS[0]))
    entry = fit.distribution.model_dump(mode="json", by_alias=True)
    assert set(entry) == {"kind", "mean", "sd"} and entry["kind"] == "lognormal"
    assert DURATION.validate_python(entry) == fit.distribution
    assert entry["mean"] == pytest.approx(fit.candidate("lognormal").estimates["mean"])


def test_the_table_has_every_candidate_and_one_chosen():
    table = fit_duration(draws(TRUTHS[1])).table()
    assert list(table["distribution"]) == ["lognormal", "gamma", "weibull", "empirical"]
    assert table["chosen"].sum() == 1 and table.loc[table["chosen"], "distribution"].item() == "gamma"
    parametric = table[table["distribution"] != "empirical"]
    assert (parametric["aic"] == 2 * 2 - 2 * parametric["loglik"]).all()
    assert parametric["delta_aic"].min() == 0 and (parametric["ks_p"].between(0, 1)).all()
    assert re.fullmatch(r"mean [\d.]+ \[[\d.]+, [\d.]+\], cv 0\.\d+ \[0\.\d+, 0\.\d+\]", table.loc[1, "parameters"])
    assert math.isnan(table.loc[3, "aic"]) and table.loc[3, "parameters"].endswith("values")


def test_qq_points_lie_on_the_line_for_a_good_fit():
    fit = fit_duration(draws(TRUTHS[2]))
    qq = fit.qq()
    assert len(qq) == MAX_SUPPORT and qq["p"].is_monotonic_increasing
    inner = qq[qq["p"].between(0.02, 0.98)]
    assert np.abs(inner["theoretical_min"] - inner["sample_min"]).max() < 0.05 * fit.mean_min
    small = fit_duration(draws(TRUTHS[2], n=50)).qq()
    assert len(small) == 50 and (np.diff(small["sample_min"]) >= 0).all()


def test_a_bimodal_sample_falls_back_to_the_empirical_distribution():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.lognormal(np.log(10), 0.15, 1000), rng.lognormal(np.log(30), 0.12, 1000)])
    fit = fit_duration(x)
    assert fit.chosen == "empirical" and "rejected by KS at 1%" in fit.reason
    assert all(c.rejected for c in fit.candidates if c.parametric)
    dist = fit.distribution
    assert isinstance(dist, Empirical) and len(dist.values) <= MAX_SUPPORT
    assert all(v == round(v, 1) for v in dist.values)
    assert dist.mean == pytest.approx(x.mean(), rel=0.01)
    assert DURATION.validate_python(dist.model_dump(mode="json", by_alias=True)) == dist


def test_a_small_bimodal_sample_keeps_a_parametric_fit():
    """Under 200 values the empirical distribution is too coarse to replace a fit, however poor."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.lognormal(np.log(10), 0.15, 75), rng.lognormal(np.log(30), 0.12, 75)])
    assert fit_duration(x).chosen != "empirical"


def test_whole_minutes_are_read_as_rounded_not_as_ties_that_reject_every_family():
    x = np.round(draws(TRUTHS[0], n=6000))
    x = x[x > 0]
    fit = fit_duration(x)
    assert fit.resolution_min == 1 and fit.chosen == "lognormal"
    assert not fit.candidate("lognormal").rejected
    assert fit.n == len(x) and len(np.unique(fit.values)) == len(x)  # the ties spread over their minute


@pytest.mark.parametrize("values", [[5, 0, 7], [5, -1, 7], [5, math.inf, 7], [5, 6], [4, 4, 4, 4]])
def test_samples_that_cannot_be_fitted_are_refused(values):
    with pytest.raises(ValueError):
        fit_duration(np.array(values, dtype=float))


def test_empirical_of_merges_values_that_round_alike():
    dist = empirical_of(np.array([1.01, 1.04, 2.0, 3.0]))
    assert dist.values == [1.0, 2.0, 3.0] and dist.weights == [2.0, 1.0, 1.0]
    quantiles = np.quantile(np.arange(1000.0), (np.arange(200) + 0.5) / 200)
    assert empirical_of(np.arange(1000.0)).values == pytest.approx(quantiles, abs=0.051)


# -- fit_by_group ----------------------------------------------------------------------------------------------


def visit_table(rows: list[dict]) -> pd.DataFrame:
    """A visits table as ``read_visits`` returns it (only the columns given, the rest empty)."""
    frame = pd.DataFrame(rows)
    defaults = {
        "date": pd.Timestamp("2027-01-04"),
        "appointment_min": np.nan,
        "visit_type": "established",
        "provider": "Dr A",
        "status": "arrived",
        "walk_in": False,
        "arrived": np.nan,
        "checked_in": np.nan,
        "roomed": np.nan,
        "rooming_done": np.nan,
        "provider_in": np.nan,
        "provider_out": np.nan,
        "checked_out": np.nan,
    }
    for column, value in defaults.items():
        frame[column] = frame[column].fillna(value) if column in frame else value
    frame["date"] = pd.to_datetime(frame["date"])
    frame["walk_in"] = frame["walk_in"].astype(bool)
    return frame


def test_fit_by_group_fits_the_groups_with_enough_values_and_counts_the_rest():
    minutes = draws(TRUTHS[0], n=60, seed=1)
    rows = [{"visit_type": "established", "provider_in": 480.0, "provider_out": 480 + m} for m in minutes]
    rows += [{"visit_type": "new", "provider_in": 480.0, "provider_out": 480 + m} for m in minutes[:10]]
    rows += [{"visit_type": "established", "provider_in": 500.0, "provider_out": 500.0}]  # 0 minutes
    rows += [{"visit_type": "established", "provider_in": 500.0}]  # no provider_out: not a duration
    visits = visit_table(rows)
    exclude = pd.Series(False, index=visits.index)
    exclude.iloc[:5] = True
    fits = fit_by_group(visits, ("provider_in", "provider_out"), ["visit_type"], exclude=exclude)
    table = fits.table().set_index("visit_type")
    assert table.loc["established", ["n", "n_excluded", "n_not_positive"]].tolist() == [55, 5, 1]
    assert table.loc["new", ["n", "n_excluded", "n_not_positive"]].tolist() == [10, 0, 0]
    assert table.loc["established", "fitted"] and not table.loc["new", "fitted"]
    assert table.loc["new", "reason"] == "fewer than 30 values"
    assert fits["established"].n == 55 and ("new",) not in fits.fits
    assert np.sort(fits["established"].values) == pytest.approx(np.sort(minutes[5:]))
    assert set(fits.candidates()["visit_type"]) == {"established"}


def test_fit_by_group_without_groups_fits_every_visit_together():
    minutes = draws(TRUTHS[1], n=40, seed=2)
    visits = visit_table(
        [{"roomed": 480.0, "rooming_done": 480 + m, "provider": p} for m, p in zip(minutes, "AB" * 20)]
    )
    fits = fit_by_group(visits, ("roomed", "rooming_done"), [])
    assert list(fits.fits) == [()] and fits[()].n == 40
    assert fits.table()["n"].tolist() == [40]


# -- provider speed --------------------------------------------------------------------------------------------


def speed_visits() -> pd.DataFrame:
    """Dr B's visits take exactly 80% of each visit type's pooled mean (short: 10, long: 30), Dr A's 120%; Dr A
    alone does 'solo' visits, which say nothing about speed."""
    visits = {
        ("Dr A", "short"): [11, 13, 12],
        ("Dr B", "short"): [7, 9, 8],
        ("Dr A", "long"): [36, 30, 42],
        ("Dr B", "long"): [24, 20, 28],
        ("Dr A", "solo"): [90, 100],
    }
    rows = [
        {"provider": p, "visit_type": t, "provider_in": 600.0, "provider_out": 600.0 + m}
        for (p, t), minutes in visits.items()
        for m in minutes
    ]
    return visit_table(rows)


def test_a_provider_exactly_25_percent_faster_gets_1_25_before_shrinkage():
    factors = provider_speed_factors(speed_visits(), prior_visits=0)
    assert factors.loc["Dr B", "raw_factor"] == pytest.approx(1.25)
    assert factors.loc["Dr A", "raw_factor"] == pytest.approx(1 / 1.2)
    assert factors["speed_factor"].tolist() == pytest.approx(factors["raw_factor"].tolist())
    assert factors["n"].tolist() == [6, 6]  # the solo visits are not compared
    assert (factors["ci_low"] < factors["raw_factor"]).all() and (factors["raw_factor"] < factors["ci_high"]).all()


def test_speed_factors_are_shrunk_toward_1_by_n_over_n_plus_the_prior():
    factors = provider_speed_factors(speed_visits(), prior_visits=30)
    assert factors.loc["Dr B", "weight"] == pytest.approx(6 / 36)
    assert factors.loc["Dr B", "speed_factor"] == pytest.approx(1 + 0.25 * 6 / 36)


def test_excluded_visits_do_not_count_toward_speed():
    visits = speed_visits()
    visits.loc[len(visits)] = visits.iloc[0]
    visits.loc[len(visits) - 1, "provider_out"] = 600 + 500.0  # a visit of 500 minutes, excluded
    exclude = pd.Series(False, index=visits.index)
    exclude.iloc[-1] = True
    factors = provider_speed_factors(visits, exclude, prior_visits=0)
    assert factors.loc["Dr B", "raw_factor"] == pytest.approx(1.25)


def test_provider_durations_compare_each_provider_with_the_scenario_and_shrink_toward_it():
    model = {"short": 10.0, "long": 30.0}  # at speed 1
    speed = pd.DataFrame({"speed_factor": [1.0, 1.25]}, index=["Dr A", "Dr B"])
    table = provider_visit_durations(speed_visits(), None, model, speed, prior_visits=3).set_index(
        ["provider", "visit_type"]
    )
    assert ("Dr A", "solo") not in table.index  # no scenario mean for it
    b_short = table.loc[("Dr B", "short")]
    assert b_short["mean_min"] == pytest.approx(8) and b_short["model_mean_min"] == pytest.approx(8)
    assert b_short["model_inside"]
    a_long = table.loc[("Dr A", "long")]  # observed 36 (30, 36, 42: t-interval 36 +- 14.9), the scenario 30
    assert a_long["weight"] == pytest.approx(0.5)
    assert a_long["shrunk_mean_min"] == pytest.approx(30 + 0.5 * (36 - 30))
    assert a_long["ci_low"] == pytest.approx(36 - 4.303 * 6 / 3**0.5, abs=0.01) and a_long["model_inside"]


def test_a_provider_slow_with_one_visit_type_only_is_flagged():
    rows = [{"provider": "Dr A", "visit_type": "new", "provider_in": 600.0, "provider_out": 600.0 + m}
            for m in np.linspace(38, 42, 20)]  # fmt: skip
    table = provider_visit_durations(visit_table(rows), None, {"new": 30.0}, pd.DataFrame({"speed_factor": []}))
    assert table["model_mean_min"].tolist() == [30.0] and not table["model_inside"].item()


def room_uses(gaps: list[float], *, waiting: bool = True) -> pd.DataFrame:
    """Visits in one room, each roomed ``gap`` minutes after the previous one's provider visit ended; the next
    patient checked in 5 minutes before the room was left (``waiting``) or 5 minutes after."""
    rows, out = [], 480.0
    for k, gap in enumerate([0.0, *gaps]):
        roomed = out + gap if k else 480.0
        checked_in = (out - 5 if waiting else out + min(gap, 5)) if k else 470.0
        rows.append({"room": "room 1", "checked_in": checked_in, "roomed": roomed, "provider_out": roomed + 20})
        out = roomed + 20
    return visit_table(rows)


def test_room_turnover_is_the_gap_to_the_next_waiting_patient():
    gaps = list(np.linspace(1.5, 4.5, 40))
    turnover = room_turnover(room_uses(gaps))
    assert turnover.n == 40 and turnover.gaps["gap_min"].tolist() == pytest.approx(gaps)
    assert turnover.fit is not None and turnover.fit.mean_min == pytest.approx(3.0, rel=0.02)


def test_room_turnover_leaves_out_rooms_that_stood_empty_for_want_of_a_patient():
    turnover = room_turnover(room_uses([12.0] * 40, waiting=False))
    assert turnover.n == 0 and turnover.fit is None and len(turnover.gaps) == 40


def test_room_turnover_pairs_only_visits_in_the_same_room_and_day_and_skips_excluded_rows():
    visits = pd.concat([room_uses([2.0] * 5), room_uses([3.0] * 5).assign(room="room 2")], ignore_index=True)
    exclude = pd.Series(False, index=visits.index)
    exclude.iloc[2] = True  # its own gap (before it) and the next one's (after it) are in doubt
    turnover = room_turnover(visits, exclude, min_n=3)
    used = turnover.gaps[turnover.gaps["used"]]
    assert sorted(used["gap_min"].round(6).tolist()) == [2.0] * 3 + [3.0] * 5


def test_an_export_without_rooms_has_no_turnover():
    turnover = room_turnover(speed_visits())
    assert turnover.n == 0 and turnover.fit is None


def provider_day(gaps: list[float], *, ready_before: bool = True) -> pd.DataFrame:
    """One provider's 20-minute visits, each begun ``gap`` minutes after the previous one ended; the next patient's
    rooming done 2 minutes before that end (``ready_before``) or 1 minute before the provider came in."""
    rows, out = [], 480.0
    for k, gap in enumerate([0.0, *gaps]):
        start = out + gap if k else 480.0
        ready = (out - 2 if ready_before else start - 1) if k else 470.0
        rows.append({"roomed": ready - 6, "rooming_done": ready, "provider_in": start, "provider_out": start + 20})
        out = start + 20
    return visit_table(rows)


def test_charting_is_the_gap_to_the_next_patient_who_was_ready():
    gaps = list(np.linspace(2, 6, 40))
    fitted = charting(provider_day(gaps))
    assert fitted.gaps["used"].sum() == 40 and fitted.gaps["gap_min"].tolist() == pytest.approx(gaps)
    assert fitted.fits["Dr A"].mean_min == pytest.approx(4, rel=0.01) and set(fitted.fits) == {"Dr A", "all"}


def test_a_provider_waiting_for_the_next_patient_says_nothing_about_charting():
    fitted = charting(provider_day([10.0] * 40, ready_before=False))
    assert not fitted.gaps["used"].any() and fitted.fits == {} and fitted.distribution("Dr A") is None


def test_a_provider_with_few_gaps_gets_the_pooled_charting():
    busy = provider_day([4.0 + k % 3 for k in range(40)])
    visits = pd.concat([busy, provider_day([3.0] * 5).assign(provider="Dr B")], ignore_index=True)
    fitted = charting(visits)
    assert "Dr B" not in fitted.fits and fitted.distribution("Dr B") == fitted.fits["all"].distribution


def lateness_rows(seen: list[float], away: list[float]) -> pd.DataFrame:
    """Booked patients seen (arrived, a provider stamp) or turned away (arrived only), by minutes late."""
    rows = [{"appointment_min": 600.0, "arrived": 600.0 + m, "provider_in": 640.0} for m in seen]
    rows += [{"appointment_min": 600.0, "arrived": 600.0 + m} for m in away]
    return visit_table(rows)


def test_a_late_policy_is_read_between_the_latest_seen_and_the_earliest_turned_away():
    policy = turn_away(lateness_rows([-10, 0, 9.5, 14.8], [15.2, 18, 25, 30, 16]))
    assert policy.limit_min == 15 and policy.n_turned_away == 5
    assert turn_away(lateness_rows([-10, 11.0], [12.5, 13, 14, 20, 30])).limit_min == 11  # no multiple of 5 between


def test_no_policy_is_read_from_few_or_inconsistent_turned_away_patients():
    assert turn_away(lateness_rows([0, 14], [20, 25])).limit_min is None  # too few
    assert turn_away(lateness_rows([0, 22], [15, 18, 20, 25, 30])).limit_min is None  # someone later was seen


# -- no-shows and cancellations --------------------------------------------------------------------------------


def attendance_visits() -> pd.DataFrame:
    statuses = {"new": {"arrived": 8, "no_show": 2, "cancelled": 1, "late_cancel": 1}, "established": {"arrived": 30}}
    rows = [
        {"visit_type": visit_type, "status": status, "appointment_min": 480.0}
        for visit_type, counts in statuses.items()
        for status, k in counts.items()
        for _ in range(k)
    ]
    rows.append({"visit_type": "established", "walk_in": True, "arrived": 600.0})  # never a no-show
    return visit_table(rows)


def test_no_show_rates_with_wilson_intervals_on_known_counts():
    table = no_show_rates(attendance_visits()).set_index(["by", "group"])
    new = table.loc[("visit_type", "new")]
    assert (new["n"], new["n_no_show"], new["p_no_show"]) == (10, 2, pytest.approx(0.2))
    # Wilson 95% for 2 of 10: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    assert [new["p_no_show_low"], new["p_no_show_high"]] == pytest.approx([0.0567, 0.5098], abs=1e-4)
    assert [new["n_booked"], new["p_cancelled"], new["p_late_cancel"]] == pytest.approx([12, 1 / 12, 1 / 12])
    established = table.loc[("visit_type", "established")]
    assert established["p_no_show"] == 0 and established["p_no_show_high"] == pytest.approx(0.1135, abs=1e-4)
    assert established["n"] == 30  # the walk-in left out
    assert table.loc[("all", "all"), "n"] == 40 and table.loc[("all", "all"), "n_no_show"] == 2
    assert "lead_time" not in table.index.get_level_values("by")


def test_no_show_rates_by_lead_time_band():
    visits = attendance_visits()
    lead_days = [0, 1, 7, 8, 30, 31, 400, -2, np.nan]
    booked = visits.index[~visits["walk_in"]]
    visits["booked_on"] = pd.NaT
    for i, days in zip(booked, lead_days):
        if not np.isnan(days):
            visits.loc[i, "booked_on"] = visits.loc[i, "date"] - pd.Timedelta(days=days)
    table = no_show_rates(visits)
    bands = table[table["by"] == "lead_time"].set_index("group")
    assert list(bands.index) == ["0 days", "1-7 days", "8-30 days", "31+ days"]
    assert bands["n_booked"].tolist() == [1, 2, 2, 2]  # the negative and unknown lead times in no band


# -- late session starts ---------------------------------------------------------------------------------------


def session_visits() -> pd.DataFrame:
    """Dr A over two days, two sessions a day (appointments 8:00-8:40 and 13:00-13:20).

    - Monday morning: the 8:00 patient ready (rooming done) at 7:55, the provider in at 8:05: 5 minutes late,
      provider-bound;
    - Monday afternoon: the 13:00 patient ready only at 13:10, the provider in at 13:12: 12 minutes raw, but not
      provider-bound (the patient made the session wait);
    - Tuesday morning: the 8:00 appointment a no-show, the 8:20 patient ready at 7:50, the provider in at 8:00:
      on time, provider-bound (the session's first appointment is the no-show's);
    - Tuesday afternoon: a patient ready at 12:50, but the provider with a morning patient until 13:10 and in at
      13:12: not provider-bound (busy, not late).
    """
    mon, tue = "2027-01-04", "2027-01-05"
    rows = [
        {"date": mon, "appointment_min": 480.0, "rooming_done": 475.0, "provider_in": 485.0, "provider_out": 500.0},
        {"date": mon, "appointment_min": 500.0, "rooming_done": 505.0, "provider_in": 506.0, "provider_out": 520.0},
        {"date": mon, "appointment_min": 520.0, "rooming_done": 522.0, "provider_in": 523.0, "provider_out": 540.0},
        {"date": mon, "appointment_min": 780.0, "rooming_done": 790.0, "provider_in": 792.0, "provider_out": 810.0},
        {"date": mon, "appointment_min": 800.0, "rooming_done": 812.0, "provider_in": 813.0, "provider_out": 830.0},
        {"date": tue, "appointment_min": 480.0, "status": "no_show"},
        {"date": tue, "appointment_min": 500.0, "rooming_done": 470.0, "provider_in": 480.0, "provider_out": 500.0},
        {"date": tue, "appointment_min": 520.0, "rooming_done": 530.0, "provider_in": 530.0, "provider_out": 790.0},
        {"date": tue, "appointment_min": 780.0, "rooming_done": 770.0, "provider_in": 792.0, "provider_out": 810.0},
        {"date": tue, "appointment_min": 780.0, "status": "cancelled"},
    ]
    return visit_table(rows)


def test_sessions_split_at_gaps_and_only_provider_bound_delays_are_fitted():
    starts = late_starts(session_visits(), min_sessions=1)
    s = starts.sessions
    assert s["session"].tolist() == [0, 1, 0, 1]
    assert s["first_appointment_min"].tolist() == [480, 780, 480, 780]
    assert s["delay_min"].tolist() == [5, 12, 0, 12]
    assert s["provider_bound"].tolist() == [True, False, True, False]
    assert s["busy_until_min"].tolist()[3] == 790
    row = starts.table().set_index("provider").loc["Dr A"]
    assert (row["n_sessions"], row["n_used"], row["p_on_time"], row["mean_delay_min"]) == (4, 2, 0.5, 2.5)
    assert (row["mean_when_late_min"], row["mean_raw_delay_min"], row["source"]) == (5, 7.25, "own")
    assert starts.distributions["Dr A"] == Empirical(values=[0.0, 5.0])


def test_a_session_gap_of_45_minutes_splits_and_40_does_not():
    rows = [
        {"appointment_min": t, "rooming_done": t - 5, "provider_in": t, "provider_out": t + 10.0}
        for t in (480.0, 520.0, 565.0)
    ]
    sessions = late_starts(visit_table(rows)).sessions
    assert sessions["first_appointment_min"].tolist() == [480, 565]


def test_providers_with_few_sessions_get_the_pooled_delays_and_all_on_time_is_fixed_0():
    visits = session_visits()
    starts = late_starts(visits, min_sessions=3)
    assert starts.table().set_index("provider").loc["Dr A", "source"] == "pooled"
    on_time = visits.assign(provider_in=visits["provider_in"].where(visits.index != 0, 480.0))
    assert late_starts(on_time, min_sessions=1).distributions["Dr A"] == Fixed(value=0)


# -- walk-ins --------------------------------------------------------------------------------------------------


def test_walk_in_rates_per_hour_per_clinic_day_with_poisson_intervals():
    mon, tue = "2027-01-04", "2027-01-05"
    rows = [{"date": d, "walk_in": True, "arrived": t, "visit_type": "acute"} for d, t in
            [(mon, 490.0), (mon, 530.0), (mon, 570.0), (tue, 485.0), (tue, 675.0)]]  # fmt: skip
    rows += [{"date": tue, "walk_in": True, "checked_in": 545.0, "visit_type": "minor"}]  # no arrival: check-in time
    rows += [{"date": tue, "walk_in": True, "visit_type": "minor"}]  # no time at all
    rows += [{"date": "2027-01-06", "appointment_min": 480.0}]  # a clinic day without walk-ins
    rates = walk_in_rates(visit_table(rows))
    assert (rates.n_days, rates.n_walk_ins, rates.n_without_time) == (3, 7, 1)
    table = rates.table
    assert table["start"].tolist() == ["08:00", "09:00", "10:00", "11:00"]
    assert table["count"].tolist() == [3, 2, 0, 1]
    assert table["per_hour"].tolist() == pytest.approx([1, 2 / 3, 0, 1 / 3])
    # Garwood: 0 events give (0, chi2(0.975; 2) / 2 = 3.6889), 3 events (chi2(0.025; 6) / 2 = 0.6187, ...), per 3 days
    assert table.loc[2, "ci_low"] == 0 and table.loc[2, "ci_high"] == pytest.approx(3.6889 / 3, abs=1e-4)
    assert table.loc[0, "ci_low"] == pytest.approx(0.6187 / 3, abs=1e-4)
    assert rates.rates[0] == {"start": "08:00", "end": "09:00", "per_hour": 1.0}
    assert [RatePeriod.model_validate(r).length_min for r in rates.rates] == [60] * 4
    assert rates.visit_types == pytest.approx({"acute": 5 / 7, "minor": 2 / 7})


# -- lateness --------------------------------------------------------------------------------------------------


def lateness_visits(lateness_min: np.ndarray) -> pd.DataFrame:
    rows = [{"appointment_min": 600.0, "arrived": 600.0 + x} for x in lateness_min]
    rows += [{"appointment_min": 600.0, "status": "no_show"}, {"walk_in": True, "arrived": 700.0}]
    return visit_table(rows)


def test_lateness_of_normal_arrivals_is_fitted_by_a_normal():
    x = ANY.validate_python({"kind": "normal", "mean": -8, "sd": 10}).sample(np.random.default_rng(3), 3000)
    fit = lateness(lateness_visits(x))
    assert fit.n == 3000 and fit.distribution == fit.normal and not fit.rejected
    assert widened(fit.mean_ci, fit.normal.mean)[0] <= -8 <= widened(fit.mean_ci, fit.normal.mean)[1]
    assert fit.normal.sd == pytest.approx(10, rel=0.05) and fit.normal.truncated_below is None
    assert fit.quantiles[0.5] == pytest.approx(np.median(x))
    assert fit.table()[["n", "q05", "q95"]].notna().all(axis=None)


def test_skewed_lateness_rejects_the_normal_and_keeps_the_data():
    x = np.random.default_rng(4).exponential(10, 3000) - 12
    fit = lateness(lateness_visits(x))
    assert fit.rejected and isinstance(fit.distribution, Empirical)
    assert fit.distribution.mean == pytest.approx(x.mean(), abs=0.2)


def test_excluded_lateness_is_counted():
    visits = lateness_visits(np.array([-5.0, 0.0, 3.0, 400.0]))
    fit = lateness(visits, visits["arrived"] - visits["appointment_min"] > 300)
    assert (fit.n, fit.n_excluded) == (3, 1)
