"""Money of a clinic day, the way a medical group's revenue cycle and payroll see it.

Revenue. A seen visit is billed under its billing code (E/M level) to its payer. The payer allows the fee
schedule amount times its payment multiplier (``gross_charges`` add these up). A share ``p_denial`` of that is
denied at first (``denied_amount``); rework recovers ``p_denial_recovered`` of the denied amount; of what remains
the practice collects ``net_collection_rate``. ``net_revenue`` is those expected net collections. A patient who
does not come, is turned away or leaves unseen brings nothing; what their visit would have brought is reported
as lost revenue.

Cost. Each provider and staff member is paid their scheduled hours (sessions or shifts, paid breaks included)
at their hourly rate, and overtime (on-duty time outside the schedule) at that rate plus the role's overtime
premium; rooms and the site may carry a fixed daily overhead. ``margin`` is net revenue minus all of it.

Everything here is a pure function of the event log and the scenario's ``finance`` settings.
"""

from __future__ import annotations

import math

import numpy as np

from clinicsim.eventlog import Columns, EventLog
from clinicsim.metrics import resource_usage
from clinicsim.scenario.model import Finance, Scenario

MONEY_KPIS = (
    "gross_charges",
    "denied_amount",
    "net_revenue",
    "lost_revenue_no_shows",
    "lost_revenue_unseen",
    "labor_cost",
    "overtime_cost",
    "overhead_cost",
    "margin",
    "revenue_per_visit",
    "cost_per_visit",
    "wrvu_total",
    "wrvu_per_provider_hour",
)


def _lookup(keys: np.ndarray, table: dict, attribute: str) -> np.ndarray:
    """``table[key].attribute`` for every key, looked up once per distinct key."""
    if len(keys) == 0:
        return np.zeros(0)
    distinct, index = np.unique(np.asarray(keys, dtype=str), return_inverse=True)
    return np.array([getattr(table[k], attribute) for k in distinct], dtype=float)[index]


def visit_amounts(finance: Finance, codes: np.ndarray, payers: np.ndarray) -> dict[str, np.ndarray]:
    """Per visit: allowed amount, amount denied at first, expected net collection and wRVUs."""
    allowed = _lookup(codes, finance.fee_schedule, "fee") * _lookup(payers, finance.payers, "payment_multiplier")
    denied = allowed * _lookup(payers, finance.payers, "p_denial")
    unrecovered = denied * (1 - _lookup(payers, finance.payers, "p_denial_recovered"))
    net = (allowed - unrecovered) * finance.net_collection_rate
    return {"allowed": allowed, "denied": denied, "net": net, "wrvu": _lookup(codes, finance.fee_schedule, "wrvu")}


def _settings(scenario: Scenario) -> Finance:
    """The scenario's finance settings; money needs them (validation makes sure a code mix goes with them)."""
    if scenario.finance is None:
        raise ValueError(f"scenario {scenario.name!r} has no finance settings")
    return scenario.finance


def expected_net_per_visit(scenario: Scenario, visit_type: str) -> float:
    """Analytic expected net collection of one seen visit of ``visit_type`` (over its code and payer mixes)."""
    finance = _settings(scenario)
    mix = scenario.visit_types[visit_type].code_mix
    if mix is None:
        raise ValueError(f"visit type {visit_type!r} has no code mix")
    codes = [c for c in mix for _ in finance.payers]
    payers = [p for _ in mix for p in finance.payers]
    weights = np.array([mix[c] * finance.payers[p].share for c, p in zip(codes, payers)])
    return float(np.dot(weights, visit_amounts(finance, np.array(codes), np.array(payers))["net"]))


def hourly_wage(scenario: Scenario, kind: str, group: str, resource: str):
    """The Wage (rate and overtime premium) of one provider or staff member."""
    finance = _settings(scenario)
    role: str
    if kind == "provider":
        role, override = "provider", scenario.provider(resource).wage_per_hour
    else:
        staff_group = next(g for g in scenario.staff if g.name == group)
        role, override = staff_group.role, staff_group.wage_per_hour
    wage = finance.wages.get(role)
    if override is not None:
        per_hour = override
    elif wage is not None:
        per_hour = wage.per_hour
    else:  # validation rules this out
        raise ValueError(f"no wage for the role {role}")
    premium = wage.overtime_premium if wage is not None else 0.5
    return per_hour, premium


def labor(log: EventLog, scenario: Scenario, usage: Columns | None = None) -> Columns:
    """Per provider and staff member: paid scheduled minutes, overtime minutes, straight and overtime cost
    (``usage``: the log's resource usage, when already computed)."""
    usage = resource_usage(log) if usage is None else usage
    people = ~np.isin(usage["kind"], ("exam_room", "room"))
    schedule = log.schedule
    names = usage["resource"][people]
    paid = np.array(
        [float((schedule["end_min"] - schedule["start_min"])[schedule["resource"] == n].sum()) for n in names]
    )
    overtime = usage["overtime_min"][people]
    rates = [hourly_wage(scenario, k, g, n) for k, g, n in zip(usage["kind"][people], usage["group"][people], names)]
    per_hour = np.array([r for r, _ in rates], dtype=float)
    premium = np.array([p for _, p in rates], dtype=float)
    return {
        "resource": names,
        "kind": usage["kind"][people],
        "paid_min": paid,
        "overtime_min": overtime,
        "straight_cost": paid / 60 * per_hour,
        "overtime_cost": overtime / 60 * per_hour * (1 + premium),
    }


def money_kpis(log: EventLog, scenario: Scenario, usage: Columns | None = None) -> dict[str, float]:
    """The money KPIs of one replication (all NaN when the scenario has no finance settings); ``usage`` is the
    log's resource usage when already computed."""
    finance = scenario.finance
    if finance is None:
        return dict.fromkeys(MONEY_KPIS, math.nan)
    pt = log.patients
    amounts = visit_amounts(finance, pt["code"], pt["payer"])
    seen = pt["status"] == "seen"
    unseen = np.isin(pt["status"], ("turned_away", "left_without_being_seen", "not_seen_at_close"))
    pay = labor(log, scenario, usage)
    labor_cost = float(pay["straight_cost"].sum() + pay["overtime_cost"].sum())
    rooms = int((log.resources["kind"] == "exam_room").sum())
    overhead = rooms * finance.overhead_per_room_per_day + finance.overhead_per_site_per_day
    net_revenue = float(amounts["net"][seen].sum())
    n_seen = int(seen.sum())
    provider_hours = float(log.resources["scheduled_min"][log.resources["kind"] == "provider"].sum()) / 60
    wrvu_total = float(amounts["wrvu"][seen].sum())
    return {
        "gross_charges": float(amounts["allowed"][seen].sum()),
        "denied_amount": float(amounts["denied"][seen].sum()),
        "net_revenue": net_revenue,
        "lost_revenue_no_shows": float(amounts["net"][pt["status"] == "no_show"].sum()),
        "lost_revenue_unseen": float(amounts["net"][unseen].sum()),
        "labor_cost": labor_cost,
        "overtime_cost": float(pay["overtime_cost"].sum()),
        "overhead_cost": overhead,
        "margin": net_revenue - labor_cost - overhead,
        "revenue_per_visit": net_revenue / n_seen if n_seen else math.nan,
        "cost_per_visit": (labor_cost + overhead) / n_seen if n_seen else math.nan,
        "wrvu_total": wrvu_total,
        "wrvu_per_provider_hour": wrvu_total / provider_hours if provider_hours else math.nan,
    }


def provider_money(log: EventLog, scenario: Scenario) -> Columns:
    """Per provider: visits seen, wRVUs, net revenue, overtime minutes and overtime cost."""
    finance = scenario.finance
    pt = log.patients
    seen = pt["status"] == "seen"
    pay = labor(log, scenario) if finance is not None else None
    amounts = visit_amounts(finance, pt["code"], pt["payer"]) if finance is not None else None
    names = log.resources["resource"][log.resources["kind"] == "provider"]
    rows = {"provider": names, "visits": [], "wrvu": [], "net_revenue": [], "overtime_min": [], "overtime_cost": []}
    usage = resource_usage(log)
    for name in names:
        mine = seen & (pt["provider"] == name)
        rows["visits"].append(float(mine.sum()))
        rows["wrvu"].append(float(amounts["wrvu"][mine].sum()) if amounts else math.nan)
        rows["net_revenue"].append(float(amounts["net"][mine].sum()) if amounts else math.nan)
        rows["overtime_min"].append(float(usage["overtime_min"][usage["resource"] == name][0]))
        rows["overtime_cost"].append(float(pay["overtime_cost"][pay["resource"] == name][0]) if pay else math.nan)
    return {key: np.asarray(value) for key, value in rows.items()}
