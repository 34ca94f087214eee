"""The work between visits: portal messages, refills, referrals, prior authorizations, results, phone calls.

A work stream (``work:`` in a scenario) says how its items arrive: at a rate per period of the day (Poisson), in
batches at given times (the overnight inbox at opening), and from visits (each seen patient of some visit types
makes an item with a probability, some minutes after leaving). Each item goes through its ``stages`` in order,
each done by its owner: the patient's own provider (for items from visits; else the first free provider), a
provider pool, a role or a staff group, with a work time and a probability that the stage happens at all (a
refill prepared by the MA and signed by the provider; a prior authorization escalated to a nurse now and then).

The people doing the work are the same people who see patients. By default patients come first and work fills
the time between them (``priority: after_patients``, never interrupting anyone); ``before_patients`` puts the
stream ahead of waiting patients (phones answered before the next check-in), and ``overdue_first`` moves an item
past waiting patients once it is overdue. A blocked slot in a template is time the provider is free: it is where
work gets done. What a provider has not done by the time they leave is done after hours ("pajama time", counted
apart) when ``unfinished: after_hours``; anything else left at close is the backlog. Phone calls may hang up:
``patience_min`` is how long a caller waits for the first stage before giving up.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from clinicsim.distributions import Duration
from clinicsim.scenario.base import Identifier, Model, Probability
from clinicsim.scenario.pathway import ByGroup, ByPool, ByRole
from clinicsim.scenario.times import ClockTime, RatePeriod

MINUTES_PER_DAY = 24 * 60

Owner = Literal["provider"] | ByPool | ByRole | ByGroup
"""Who does a stage: ``provider`` (the patient's own for an item from a visit, else the first free one), any
provider of a pool, anyone of a role, or anyone of a staff group."""


class Batch(Model):
    """Items that are all there at one time of the day."""

    time: ClockTime = Field(description='When they are there, "HH:MM" (e.g. the overnight inbox at opening).')
    count: int = Field(ge=0, le=10_000, description="How many items.")


class FromVisits(Model):
    """Items made by visits: each seen patient of these visit types makes one with probability ``p``."""

    visit_types: list[str] = Field(min_length=1, description="Visit types whose seen patients make items.")
    p: Probability = Field(description="Probability that a seen patient makes an item.")
    delay_min: Duration = Field(  # type: ignore[assignment]  # the number is validated into Fixed
        default=0.0, description="Minutes from the patient's departure to the item."
    )


class Stage(Model):
    """One stage of an item's handling."""

    by: Owner = Field(description="Who does it.")
    duration_min: Duration = Field(description="Work time of the stage (minutes).")
    p: Probability = Field(default=1.0, description="Probability that the stage happens (an escalation: < 1).")


class WorkStream(Model):
    """A stream of work between visits (see the module docstring)."""

    name: Identifier = Field(description="Name of the stream (it names its KPIs): refills, portal_messages, ...")
    kind: Identifier = Field(
        default="message",
        description="What the items are: message, refill, referral, prior_auth, result, phone_call, or any other.",
    )
    rates: list[RatePeriod] = Field(default_factory=list, description="Arrivals per hour by period (Poisson).")
    at: list[Batch] = Field(default_factory=list, description="Batches of items at given times.")
    from_visits: FromVisits | None = Field(default=None, description="Items made by seen patients.")
    stages: list[Stage] = Field(min_length=1, description="Who handles an item, in order (a hand-off: several).")
    due_within_min: float | None = Field(
        default=None, gt=0, description="Response-time target (minutes from arrival to the last stage's end)."
    )
    due_within_business_hours: float | None = Field(
        default=None,
        gt=0,
        description="Response-time target in business hours instead: hours of the clinic's opening hours (opens to "
        "closes, every clinic day), counted from arrival (from the next opening for an item that comes in while "
        "the clinic is closed).",
    )
    priority: Literal["after_patients", "before_patients"] = Field(
        default="after_patients",
        description="after_patients: work fills the time between patients; before_patients: ahead of waiting "
        "patients (never interrupting one).",
    )
    overdue_first: bool = Field(
        default=False, description="An item past its due time goes ahead of waiting patients (needs due_within_min)."
    )
    patience_min: Duration | None = Field(
        default=None,
        description="How long an item waits for its first stage before it is dropped (a caller who "
        "hangs up); none: items wait.",
    )
    unfinished: Literal["backlog", "after_hours"] = Field(
        default="backlog",
        description="What a provider has not done by the time they leave: done after hours (pajama time), or left "
        "as backlog. Staff's unfinished work is always backlog.",
    )

    @model_validator(mode="after")
    def _arrives_somehow(self) -> WorkStream:
        if not (self.rates or self.at or self.from_visits):
            raise ValueError("a work stream needs rates, at (batches) or from_visits: how do its items arrive?")
        if self.due_within_min is not None and self.due_within_business_hours is not None:
            raise ValueError("give due_within_min or due_within_business_hours, not both")
        if self.overdue_first and not self.has_target:
            raise ValueError(
                "overdue_first needs due_within_min or due_within_business_hours: when is an item overdue?"
            )
        return self

    @property
    def has_target(self) -> bool:
        """Whether the stream has a response-time target."""
        return self.due_within_min is not None or self.due_within_business_hours is not None

    def due_min(self, arrival_min: float, opens_min: float, closes_min: float) -> float:
        """When an item arriving at ``arrival_min`` is due (minutes from the day's midnight; NaN: no target).
        Business hours run from ``opens_min`` to ``closes_min`` each day, every day a clinic day."""
        if self.due_within_min is not None:
            return arrival_min + self.due_within_min
        if self.due_within_business_hours is None:
            return math.nan
        day, clock = divmod(arrival_min, MINUTES_PER_DAY)
        if clock >= closes_min:
            day, clock = day + 1, opens_min
        clock = max(clock, opens_min)
        left, open_per_day = 60 * self.due_within_business_hours, closes_min - opens_min
        while clock + left > closes_min:
            left -= closes_min - clock
            day, clock = day + 1, opens_min
            if left <= 0 or open_per_day <= 0:
                break
        return day * MINUTES_PER_DAY + clock + left
