"""The verdict sorts effects into better, worse and noise by each KPI's direction, and scales money honestly."""

from __future__ import annotations

import pytest

from clinicsim.reports.verdict import Effect, Money, Verdict


def effect(kpi: str, difference: float, low: float, high: float, unit: str = "min") -> Effect:
    return Effect(kpi, kpi.split("_")[0], unit, difference, low, high, clear=low > 0 or high < 0)


WAIT_DOWN = effect("provider_wait_mean_min", -5.4, -6.6, -4.2)
SEEN_DOWN = effect("patients_seen", -7.2, -7.7, -6.8, "patients")
OVERTIME_NOISE = effect("provider_overtime_mean_min", -1.0, -3.0, 1.0)
MARGIN_DOWN = effect("margin", -864.0, -917.0, -811.0, "currency")


def verdict(*effects: Effect, money: Money | None = None) -> Verdict:
    return Verdict("Plan", "Current", 30, effects, money)


def test_lower_wait_is_better_and_fewer_patients_seen_is_worse():
    v = verdict(WAIT_DOWN, SEEN_DOWN, OVERTIME_NOISE)
    assert [e.kpi for e in v.better] == ["provider_wait_mean_min"]
    assert [e.kpi for e in v.worse] == ["patients_seen"]
    assert [e.kpi for e in v.noise] == ["provider_overtime_mean_min"]
    assert v.headline() == "Plan is a trade-off against Current: better on provider, worse on patients."


@pytest.mark.parametrize(
    ("effects", "start"),
    [
        ((WAIT_DOWN, OVERTIME_NOISE), "Plan is better than Current on provider, and clearly worse on nothing"),
        ((SEEN_DOWN,), "Plan is worse than Current on patients, and clearly better on nothing"),
        ((OVERTIME_NOISE,), "Plan and Current cannot be told apart over 30 simulated days"),
    ],
)
def test_the_headline_names_the_kind_of_result(effects, start):
    assert verdict(*effects).headline().startswith(start)


def test_money_per_month_and_year_scales_the_day_by_clinic_days():
    money = Money(MARGIN_DOWN, "USD", 250)
    assert money.sentence() == (
        "Margin -864 USD a day (95% CI -917 to -811): -18,000 USD a month, -216,000 USD a year over 250 clinic "
        "days (95% CI -229,200 to -202,800)."
    )
    assert "-172,800 USD a year over 200 clinic days" in Money(MARGIN_DOWN, "USD", 200).sentence()


def test_money_says_when_the_margin_is_only_noise():
    noise = effect("margin", 12.0, -40.0, 64.0, "currency")
    assert Money(noise, "USD", 250).sentence().endswith("; not distinguishable from no change.")


def test_the_margin_is_stated_once_in_the_money_line_not_again_among_the_effects():
    v = verdict(WAIT_DOWN, MARGIN_DOWN, money=Money(MARGIN_DOWN, "USD", 250))
    lines = v.lines("USD")
    assert lines[0].startswith("Plan is a trade-off") and "worse on margin" in lines[0]
    assert lines[1].startswith("Margin -864 USD a day")
    assert not any("margin" in line for line in lines[2:])
