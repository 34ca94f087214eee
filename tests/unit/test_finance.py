"""Money: revenue per visit, denials and collections, labor cost, margin; checked exactly and against theory."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

import clinicsim
from clinicsim.finance import expected_net_per_visit

FINANCE = {
    "currency": "USD",
    "fee_schedule": {"99213": {"fee": 90, "wrvu": 1.3}, "99214": {"fee": 128, "wrvu": 1.92}},
    "payers": {"Medicare": {"share": 1.0}},
    "wages": {
        "provider": {"per_hour": 120, "overtime_premium": 0},
        "front_desk": {"per_hour": 18, "overtime_premium": 0.5},
        "medical_assistant": {"per_hour": 21, "overtime_premium": 0.5},
    },
}


def money_clinic(small_clinic, *, finance=None, code_mix=None, **visit) -> clinicsim.Scenario:
    data = small_clinic()
    data["visit_types"]["est"] |= {"code_mix": code_mix or {"99213": 1.0}, **visit}
    data["finance"] = finance or FINANCE
    return clinicsim.Scenario.model_validate(data)


def test_with_one_code_and_one_payer_revenue_is_visits_times_fee(small_clinic):
    results = clinicsim.simulate(money_clinic(small_clinic, p_no_show=0.2), replications=20, seed=1)
    k = results.kpis
    assert np.array_equal(k["net_revenue"], k["patients_seen"] * 90)
    assert np.array_equal(k["gross_charges"], k["patients_seen"] * 90)
    assert k["wrvu_total"].to_numpy() == pytest.approx(k["patients_seen"] * 1.3)
    assert np.array_equal(k["lost_revenue_no_shows"], k["no_shows"] * 90)
    assert (k["denied_amount"] == 0).all() and k["no_shows"].sum() > 0


def test_denials_recovery_payer_multiplier_and_collection_follow_the_revenue_cycle(small_clinic):
    finance = FINANCE | {
        "payers": {"Commercial": {"share": 1, "payment_multiplier": 1.3, "p_denial": 0.1, "p_denial_recovered": 0.5}},
        "net_collection_rate": 0.96,
    }
    k = clinicsim.simulate(money_clinic(small_clinic, finance=finance), replications=3, seed=1).kpis
    allowed = 90 * 1.3
    assert k["gross_charges"].to_numpy() == pytest.approx(k["patients_seen"] * allowed)
    assert k["denied_amount"].to_numpy() == pytest.approx(k["patients_seen"] * allowed * 0.1)
    assert k["net_revenue"].to_numpy() == pytest.approx(k["patients_seen"] * allowed * (1 - 0.1 * 0.5) * 0.96)


def test_labor_cost_is_scheduled_hours_times_wage_plus_overtime(small_clinic):
    results = clinicsim.simulate(money_clinic(small_clinic), replications=2, seed=3)
    # two providers 08:00-10:00, one desk clerk and two MAs 07:45-12:00; the staff never work past their shift,
    # providers finish their last patient a few minutes late (exempt: overtime at the straight rate)
    assert (results.kpis["staff_overtime_mean_min"] == 0).all()
    straight = 2 * 2 * 120 + 4.25 * 18 + 2 * 4.25 * 21
    provider_overtime = results.kpis["provider_overtime_mean_min"].to_numpy() * 2
    assert results.kpis["overtime_cost"].to_numpy() == pytest.approx(provider_overtime / 60 * 120)
    assert results.kpis["labor_cost"].to_numpy() == pytest.approx(straight + provider_overtime / 60 * 120)


def test_overtime_is_paid_at_the_premium(small_clinic):
    data = small_clinic()
    data["visit_types"]["est"] |= {"code_mix": {"99213": 1.0}}
    data["staff"][0]["shifts"] = [{"start": "07:45", "end": "09:00"}]  # the desk must stay for check-outs
    data["finance"] = FINANCE
    results = clinicsim.simulate(clinicsim.Scenario.model_validate(data), replications=1, seed=0)
    usage = results.resources.set_index("resource")
    desk_overtime = usage.at["desk", "overtime_min"]
    assert desk_overtime > 0
    provider_overtime = usage.loc[["Dr A", "Dr B"], "overtime_min"].sum()
    expected = desk_overtime / 60 * 18 * 1.5 + provider_overtime / 60 * 120
    assert results.kpis.at[0, "overtime_cost"] == pytest.approx(expected)


def test_margin_is_net_revenue_minus_cost_always(family_medicine):
    k = clinicsim.simulate(family_medicine, replications=10, seed=2).kpis
    assert k["margin"].to_numpy() == pytest.approx((k["net_revenue"] - k["labor_cost"] - k["overhead_cost"]).to_numpy())
    assert k["cost_per_visit"].to_numpy() == pytest.approx(
        ((k["labor_cost"] + k["overhead_cost"]) / k["patients_seen"]).to_numpy()
    )
    assert (k["overtime_cost"] <= k["labor_cost"]).all()


def test_mean_revenue_per_visit_converges_to_its_expectation(small_clinic):
    """Random code and payer mixes: pooled net revenue per seen visit against the exact expectation, with a
    ratio-estimator (delta method) interval at 99.9%."""
    finance = FINANCE | {
        "payers": {
            "Medicare": {"share": 0.3, "p_denial": 0.06, "p_denial_recovered": 0.6},
            "Medicaid": {"share": 0.2, "payment_multiplier": 0.7, "p_denial": 0.12, "p_denial_recovered": 0.4},
            "Commercial": {"share": 0.5, "payment_multiplier": 1.3, "p_denial": 0.09, "p_denial_recovered": 0.5},
        },
        "net_collection_rate": 0.96,
    }
    scenario = money_clinic(small_clinic, finance=finance, code_mix={"99213": 0.55, "99214": 0.45})
    k = clinicsim.simulate(scenario, replications=400, seed=8).kpis
    revenue, seen = k["net_revenue"].to_numpy(), k["patients_seen"].to_numpy()
    ratio = revenue.sum() / seen.sum()
    residual = revenue - ratio * seen
    se = np.sqrt(residual.var(ddof=1) / len(seen)) / seen.mean()
    exact = expected_net_per_visit(scenario, "est")
    assert abs(ratio - exact) <= stats.t.ppf(0.9995, len(seen) - 1) * se
    assert exact == pytest.approx(
        (0.55 * 90 + 0.45 * 128)
        * (0.3 * (1 - 0.06 * 0.4) + 0.2 * 0.7 * (1 - 0.12 * 0.6) + 0.5 * 1.3 * (1 - 0.09 * 0.5))
        * 0.96
    )


def test_a_patient_keeps_code_and_payer_when_the_plan_changes(family_medicine):
    before = clinicsim.simulate(family_medicine, replications=3, seed=4).patients
    after = clinicsim.simulate(family_medicine.with_changes({"clinic.exam_rooms": 4}), replications=3, seed=4).patients
    columns = ["replication", "booked_with", "ordinal", "code", "payer"]
    assert before[columns].equals(after[columns])


def test_per_provider_money(family_medicine):
    results = clinicsim.simulate(family_medicine, replications=2, seed=1)
    providers = results.providers
    assert set(providers.columns) >= {"provider", "visits", "wrvu", "net_revenue", "overtime_min", "overtime_cost"}
    per_day = providers.groupby("replication")[["visits", "net_revenue", "wrvu"]].sum()
    kpis = results.kpis.set_index("replication")
    assert per_day["visits"].to_numpy() == pytest.approx(kpis["patients_seen"].to_numpy())
    assert per_day["net_revenue"].to_numpy() == pytest.approx(kpis["net_revenue"].to_numpy())


def test_a_scenario_without_finance_has_no_money_kpis(small_clinic):
    k = clinicsim.simulate(clinicsim.Scenario.model_validate(small_clinic()), replications=2, seed=1).kpis
    assert k["net_revenue"].isna().all() and k["patients_seen"].notna().all()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["visit_types"]["est"].update(code_mix={"99299": 1.0}), "unknown billing code '99299'"),
        (lambda d: d["visit_types"]["est"].pop("code_mix"), "needed to bill the visit"),
        (lambda d: d["visit_types"]["est"].update(code_mix={"99213": 0.5}), "must add up to 1"),
        (lambda d: d["finance"]["payers"].update(Medicaid={"share": 0.5}), "payer shares must add up to 1"),
        (lambda d: d["finance"]["wages"].pop("medical_assistant"), "no wage for the role medical_assistant"),
    ],
)
def test_finance_mistakes_are_named(small_clinic, change, message):
    data = small_clinic()
    data["visit_types"]["est"]["code_mix"] = {"99213": 1.0}
    data["finance"] = {**FINANCE, "payers": dict(FINANCE["payers"]), "wages": dict(FINANCE["wages"])}
    change(data)
    with pytest.raises(ValidationError, match=message):
        clinicsim.Scenario.model_validate(data)
