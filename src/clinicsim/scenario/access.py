"""The scenario language of access: how requests for appointments arrive and are booked into the templates over weeks.

An ``access`` section turns the clinic-day scenario into a booking model. Demand streams say how many requests
arrive per working day (given directly, or from a panel), of which visit type and urgency class, and how patients
accept what they are offered. The providers' templates (the same ones the day model uses, weekday by weekday) are
the supply; a template's ``holds`` keep some of its slots for one class (same-day holds released some hours before,
new-patient slots). The rest says how the book behaves: continuity, same-day overbooks, cancellations and
no-shows that rise with lead time, days off, and a starting backlog.

Days are calendar days from ``start``; lead times and third-next-available are in calendar days.
"""

from __future__ import annotations

import datetime
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from clinicsim.distributions import Distribution
from clinicsim.scenario.base import Model, Name, Probability
from clinicsim.scenario.times import ClockTime, RatePeriod

UrgencyClass = Literal["same_day", "routine", "follow_up", "new_patient"]
URGENCY_CLASSES: tuple[UrgencyClass, ...] = ("same_day", "routine", "follow_up", "new_patient")
Month = Literal["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTHS: tuple[Month, ...] = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _positive_days(value: Distribution) -> Distribution:
    if value.mean <= 0 or value.minimum < 0:
        raise ValueError("a patient's tolerance is a positive number of days (or a distribution of positive days)")
    return value


ToleranceDays = Annotated[Distribution, AfterValidator(_positive_days)]


def _curve_in_order(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    days = [d for d, _ in points]
    if any(d < 0 for d in days) or days != sorted(days) or len(set(days)) != len(days):
        raise ValueError("write the curve as [lead time in days, probability] pairs, the days increasing from 0")
    if any(not 0 <= p <= 1 for _, p in points):
        raise ValueError("the probabilities of a curve are between 0 and 1")
    return points


def _numbers_not_booleans(value: object) -> object:
    if isinstance(value, list) and any(isinstance(x, bool) for pair in value if isinstance(pair, list | tuple)
                                       for x in pair):  # fmt: skip
        raise ValueError("write numbers (days, probability), not true or false")
    return value


LeadTimeCurve = Annotated[
    list[tuple[float, float]],
    BeforeValidator(_numbers_not_booleans),
    Field(min_length=1),
    AfterValidator(_curve_in_order),
]
"""A probability by lead time: [days, probability] pairs, linear between them and flat beyond the ends."""


class Panel(Model):
    """Demand from a panel: patients times visits per patient per year, spread over the working days."""

    size: int = Field(gt=0, description="Patients on the panel (of this stream's kind of visit).")
    visits_per_patient_per_year: float = Field(gt=0, description="Requests per patient per year.")


class Demand(Model):
    """One stream of appointment requests."""

    name: Name = Field(description="Unique name of the stream, used in tables.")
    urgency: UrgencyClass = Field(
        description="same_day: wants to be seen today (holds, then overbooks, then urgent care); routine: the "
        "earliest slot; follow_up: a slot after interval_days; new_patient: no own provider yet."
    )
    visit_type: str = Field(description="Visit type the requests book (a slot of that type in a template).")
    per_day: float | None = Field(default=None, ge=0, description="Mean requests per working day (Poisson).")
    panel: Panel | None = Field(default=None, description="Or: the requests a panel makes.")
    weekday_factor: dict[WeekdayName, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="Demand on a weekday as a multiple of the mean (days left out: 1)."
    )
    season_factor: dict[Month, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="Demand in a month as a multiple of the mean (months left out: 1)."
    )
    interval_days: float = Field(
        default=0, ge=0, description="follow_up: days after the request the visit is wanted (the earliest date)."
    )
    earliest_days: int | None = Field(
        default=None,
        ge=0,
        description="Days after the request of the earliest slot a request may book (default: 0 for same_day, "
        "1 otherwise: a routine call books from tomorrow on).",
    )
    tolerance_days: ToleranceDays | None = Field(
        default=None,
        description="Longest lead time a patient accepts (days; a follow-up's counted from the day it is wanted), "
        "one draw per request; null: any lead time.",
    )
    p_take_beyond_tolerance: Probability = Field(
        default=0.0,
        description="Probability that a patient offered a slot beyond their tolerance takes it anyway "
        "(the rest go elsewhere: lost demand).",
    )

    @model_validator(mode="after")
    def _one_rate(self) -> Demand:
        if (self.per_day is None) == (self.panel is None):
            raise ValueError("give the demand as per_day or as a panel, not both")
        if self.urgency == "same_day" and self.earliest_days not in (None, 0):
            raise ValueError("earliest_days: a same-day request books today (0)")
        return self

    @model_validator(mode="after")
    def _interval_for_follow_ups(self) -> Demand:
        if self.interval_days and self.urgency != "follow_up":
            raise ValueError("interval_days: only follow_up requests wait for an interval")
        return self

    @property
    def first_day(self) -> int:
        """Days from the request to the earliest day it may book."""
        base = self.earliest_days if self.earliest_days is not None else (0 if self.urgency == "same_day" else 1)
        return max(base, math.ceil(self.interval_days)) if self.urgency == "follow_up" else base


class Hold(Model):
    """Slots of a template kept for one urgency class until released."""

    template: str = Field(description="Template whose slots are held.")
    urgency: UrgencyClass = Field(description="The class the slots are kept for.")
    share: Probability | None = Field(
        default=None, description="Share of the template's visits held, spread evenly over each session."
    )
    slots: list[ClockTime] = Field(default_factory=list, description='Or: the slot start times held ("HH:MM").')
    release_hours_before: float | None = Field(
        default=None,
        ge=0,
        description="Hours before the slot when it opens to every class; null: kept for its class to the end.",
    )
    visit_types: list[str] | None = Field(
        default=None,
        description="Visit types whose positions are held; default: those the class's demand streams book (a "
        "same-day hold keeps slots of the type same-day requests ask for).",
    )

    @model_validator(mode="after")
    def _share_or_slots(self) -> Hold:
        if (self.share is None) == (not self.slots):
            raise ValueError("give the held slots as a share or as slot times, not both")
        return self


class DaysOff(Model):
    """A provider's days off (vacation, conference): no template, nothing booked."""

    provider: str = Field(description="Provider away.")
    start: datetime.date = Field(description="First day away (YYYY-MM-DD).")
    end: datetime.date = Field(description="Last day away (YYYY-MM-DD), on or after the first.")

    @model_validator(mode="after")
    def _in_order(self) -> DaysOff:
        if self.end < self.start:
            raise ValueError("end: the last day away is before the first")
        return self


class BookedAppointment(Model):
    """An appointment already in the book at the start (a backlog row)."""

    date: datetime.date = Field(description="Day of the appointment.")
    time: ClockTime = Field(description='Appointment time, "HH:MM" (a slot of the provider\'s template).')
    provider: str = Field(description="Provider.")
    visit_type: str = Field(description="Visit type.")
    booked_on: datetime.date | None = Field(
        default=None, description="Day it was booked (for its lead time); unknown: the start."
    )


class Continuity(Model):
    """When a patient with a provider of their own is offered another provider."""

    fallback_after_days: float = Field(
        default=7,
        ge=0,
        description="Offer the earliest slot with another provider when the own provider's earliest is more than "
        "this many days after the earliest acceptable day.",
    )


class SameDay(Model):
    """How same-day requests are served: holds and open slots today, then overbooks, then urgent care."""

    notice_min: float = Field(default=30, ge=0, description="A same-day slot starts at least this long after the call.")
    overbooks_per_provider: int = Field(
        default=0, ge=0, le=50, description="Extra same-day patients a provider takes on a day beyond the slots."
    )


class Cancellations(Model):
    """Appointments cancelled before the day (their slots re-offered), and patients rescheduling."""

    by_lead_time: LeadTimeCurve = Field(description="Probability that an appointment is cancelled, by lead time.")
    p_reschedule: Probability = Field(
        default=0.5, description="Probability that a patient who cancels asks for a new appointment at once."
    )


# Lead time and no-shows: Dantas et al. (2018, Health Policy 122:412-421, a systematic review of 105 studies)
# found lead time the factor most often associated with no-shows; Kopach et al. (2007, Health Care Manag Sci
# 10:111-124) report no-shows rising from about 5-10% for same-day visits to 20-30% at lead times of a month or
# more in an open-access family-medicine setting. The default curve follows those ranges.
DEFAULT_NO_SHOW_CURVE: tuple[tuple[float, float], ...] = ((0, 0.05), (7, 0.10), (30, 0.20), (60, 0.25))


class Access(Model):
    """Booking over weeks: demand, holds, continuity, same-day, cancellations, lead-time no-shows, days off."""

    start: datetime.date = Field(
        default=datetime.date(2027, 1, 4), description="First day of the run (YYYY-MM-DD); weeks count from it."
    )
    demand: list[Demand] = Field(min_length=1, description="Streams of appointment requests.")
    request_hours: list[RatePeriod] = Field(
        default_factory=list,
        description="When requests come in over a working day (phone and portal hours): relative rates per period; "
        "default: evenly over the clinic's open hours.",
    )
    panel_shares: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Share of the patients whose own provider each provider is (relative weights); default: "
        "proportional to each provider's slots in a week.",
    )
    holds: list[Hold] = Field(default_factory=list, description="Template slots kept for one urgency class.")
    horizon_days: int = Field(default=120, ge=1, le=730, description="How far ahead the book is open (days).")
    measure_at: ClockTime | None = Field(
        default=None,
        description='Time third-next-available and the backlog are measured each working day ("HH:MM"); '
        "default: when the clinic opens.",
    )
    continuity: Continuity = Field(default_factory=Continuity, description="Continuity with the own provider.")
    same_day: SameDay = Field(default_factory=SameDay, description="Serving same-day requests.")
    cancellations: Cancellations | None = Field(default=None, description="Cancellations; null: none.")
    no_show_by_lead_time: dict[str, LeadTimeCurve] | Literal["default", "constant"] = Field(
        default="default",
        description="No-show probability by lead time per visit type (a key 'default' for the rest); 'default': "
        "the sourced curve 5% same day, 10% at a week, 20% at a month, 25% at two months; 'constant': each visit "
        "type's p_no_show whatever the lead time.",
    )
    days_off: list[DaysOff] = Field(default_factory=list, description="Providers' days off.")
    closed: list[datetime.date] = Field(default_factory=list, description="Days the clinic is closed (holidays).")
    backlog: list[BookedAppointment] = Field(
        default_factory=list,
        description="Appointments in the book at the start. In a file, backlog_file: a CSV next to it with columns "
        "date, time, provider, visit_type[, booked_on] may stand for the list.",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Access:
        names = [d.name for d in self.demand]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"demand: two streams are called {name!r}")
        return self

    def held_types(self, hold: Hold) -> set[str]:
        """The visit types whose positions ``hold`` keeps."""
        if hold.visit_types is not None:
            return set(hold.visit_types)
        return {d.visit_type for d in self.demand if d.urgency == hold.urgency}

    def no_show_curve(self, visit_type: str, constant: float) -> tuple[tuple[float, float], ...]:
        """The no-show probability by lead time of ``visit_type`` (``constant``: its own p_no_show)."""
        curves = self.no_show_by_lead_time
        if curves == "constant":
            return ((0.0, constant),)
        if curves == "default":
            return DEFAULT_NO_SHOW_CURVE
        curve = curves.get(visit_type, curves.get("default"))
        return ((0.0, constant),) if curve is None else tuple(curve)
