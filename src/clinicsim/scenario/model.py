"""The scenario language: everything that defines one clinic day, validated and immutable.

A scenario says what the clinic has (hours, exam rooms), what visits it offers (visit types and the duration
of each step), who works (providers with their scheduling templates, front-desk staff and medical assistants
with shifts and breaks) and how patients behave (no-shows, lateness, late policy, walk-ins, reneging). It holds
nothing random and nothing running: the same scenario always describes the same clinic.

Clock times are written ``"08:00"`` and held as minutes from midnight; durations are minutes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from clinicsim.distributions import Distribution, Duration, Fixed, Tagged
from clinicsim.scenario import limits
from clinicsim.scenario.access import Access
from clinicsim.scenario.base import Identifier, Model, Name, Probability
from clinicsim.scenario.checks import raise_if_inconsistent
from clinicsim.scenario.pathway import EXAM, PathwayItem, shorthand_pathway
from clinicsim.scenario.times import ClockTime, Interval, RatePeriod
from clinicsim.scenario.vocabulary import BLOCKED, format_clock
from clinicsim.scenario.work import WorkStream

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _require_in_order(intervals: Sequence[Interval], what: str) -> None:
    for earlier, later in zip(intervals, intervals[1:]):
        if later.start < earlier.end:
            raise ValueError(f"{what} must be in time order and must not overlap")


class RoomKind(Model):
    """Rooms of one kind beyond the exam rooms."""

    count: int = Field(ge=0, description="Number of rooms of this kind.")
    turnover_min: Duration = Field(  # type: ignore[assignment]  # the number is validated into Fixed
        default=0, description="Time to reset a room of this kind after each patient (minutes)."
    )


class Clinic(Model):
    """The site: opening hours, exam rooms and room turnover."""

    opens: ClockTime = Field(description='Time the doors open, "HH:MM".')
    closes: ClockTime = Field(
        description='Scheduled closing time, "HH:MM" (room utilization is measured over open hours).'
    )
    exam_rooms: int | dict[str, int] = Field(
        description="Exam rooms: a number for a shared pool, or rooms per provider name for dedicated rooms."
    )
    room_turnover_min: Duration = Field(  # type: ignore[assignment]  # the number is validated into Fixed
        default=0, description="Time to clean and reset an exam room after a visit before the next patient (minutes)."
    )
    rooms: dict[Identifier, int | RoomKind] = Field(
        default_factory=dict,
        description="Rooms of other kinds, shared by everyone (triage_bay, procedure, x_ray, echo, infusion_chair): "
        "a count (no turnover), or {count, turnover_min}.",
    )

    @model_validator(mode="after")
    def _check(self) -> Clinic:
        if self.closes <= self.opens:
            raise ValueError("the clinic closes before it opens")
        counts = [self.exam_rooms] if isinstance(self.exam_rooms, int) else list(self.exam_rooms.values())
        if any(n < 0 for n in counts):
            raise ValueError("exam_rooms cannot be negative")
        if any(n > limits.MAX_EXAM_ROOMS for n in counts):
            raise ValueError(f"exam_rooms: at most {limits.MAX_EXAM_ROOMS:,} rooms (in the pool, or per provider)")
        for kind, rooms in self.rooms.items():
            count = rooms if isinstance(rooms, int) else rooms.count
            if kind == EXAM:
                raise ValueError("rooms: exam rooms are given by exam_rooms")
            if not 0 <= count <= limits.MAX_EXAM_ROOMS:
                raise ValueError(f"rooms: {kind}: between 0 and {limits.MAX_EXAM_ROOMS:,} rooms")
        return self

    def room_counts(self) -> dict[str, int]:
        """Rooms of each kind other than exam rooms."""
        return {kind: r if isinstance(r, int) else r.count for kind, r in self.rooms.items()}

    def turnover(self, kind: str) -> Distribution:
        """Turnover time of a room of ``kind`` (minutes): ``room_turnover_min`` for exam rooms, the kind's own
        ``turnover_min`` for the others (none for a kind given as a bare count)."""
        if kind == EXAM:
            return self.room_turnover_min
        rooms = self.rooms.get(kind)
        return rooms.turnover_min if isinstance(rooms, RoomKind) else Fixed(value=0)


class StepDurations(Model):
    """Shorthand for the default pathway: the duration of each step (minutes). A step left out or set to null is
    not part of the visit."""

    check_in: Duration | None = Field(default=None, description="Check-in at the front desk (minutes).")
    rooming: Duration | None = Field(
        default=None, description="Rooming by a medical assistant: vitals, history, in the exam room (minutes)."
    )
    provider_visit: Duration = Field(description="Face-to-face time with the provider (minutes, before speed factor).")
    check_out: Duration | None = Field(default=None, description="Check-out at the front desk (minutes).")


class VisitType(Model):
    """A kind of visit (new, established, procedure, telehealth, ...) and its pathway."""

    p_no_show: Probability = Field(default=0.0, description="Probability that a booked patient does not come.")
    durations_min: StepDurations | None = Field(
        default=None,
        description="Shorthand for the default pathway (check-in, rooming, provider visit, check-out): the "
        "duration of each step; leave a step out to switch it off. Give this or pathway.",
    )
    pathway: list[PathwayItem] | None = Field(
        default=None, min_length=1, description="The steps of the visit, with branches; give this or durations_min."
    )
    needs_room: bool = Field(
        default=True,
        description="With durations_min: whether the visit needs an exam room (false for telehealth).",
    )
    description: str = Field(default="", description="Free text shown in reports.")
    code_mix: dict[str, Probability] | None = Field(
        default=None,
        description="Share of visits billed under each billing code (E/M level), summing to 1; needed with finance.",
    )

    @model_validator(mode="after")
    def _mix_sums_to_one(self) -> VisitType:
        if self.code_mix is not None and abs(sum(self.code_mix.values()) - 1) > 1e-6:
            raise ValueError(f"code_mix shares must add up to 1, not {sum(self.code_mix.values()):g}")
        if (self.durations_min is None) == (self.pathway is None):
            raise ValueError("pathway: give either durations_min (the default pathway) or a pathway, not both")
        if self.pathway is not None and not self.needs_room:
            raise ValueError("needs_room: only with durations_min (a pathway names its rooms step by step)")
        return self

    def steps(self) -> list[PathwayItem]:
        """The pathway: the one written, or the default one that ``durations_min`` stands for."""
        if self.pathway is not None:
            return self.pathway
        return list(shorthand_pathway(self.durations_min, self.needs_room))


class FixedInterval(Tagged):
    """One patient at the start of every slot."""

    kind: Literal["fixed_interval"] = "fixed_interval"


class BaileyWelch(Tagged):
    """Bailey-Welch: ``k`` patients at the start of each session, then one at each later visit's first slot (each
    patient moved k-1 visits earlier); the last k-1 visits' places close."""

    kind: Literal["bailey_welch"] = "bailey_welch"
    k: int = Field(default=2, ge=1, description="Patients booked at the session's start.")


class Wave(Tagged):
    """Wave scheduling: the patients of each wave (the visits whose first slot is in it) all booked at its start."""

    kind: Literal["wave"] = "wave"
    wave_min: float = Field(gt=0, description="Length of a wave (minutes), e.g. 60 for an hourly wave.")


AppointmentRule = Annotated[FixedInterval | BaileyWelch | Wave, Field(discriminator="kind")]


class Overbooking(Model):
    """Extra appointments in each session to offset the no-shows the template expects."""

    extra_per_session: Annotated[int, Field(ge=0, le=limits.MAX_EXTRA_PER_SESSION)] | Literal["auto"] = Field(
        default="auto",
        description='Extra appointments per session; "auto" books round(n * p / (1 - p)) with p the mean no-show '
        "probability of the session's booked visits.",
    )
    placement: Literal["spread", "start", "end"] = Field(
        default="spread",
        description="Where the extras go: spread evenly as double bookings, double-booked from the first slots, "
        "or from the last slots.",
    )
    visit_type: str | None = Field(default=None, description="Visit type of the extras; by default the slot's own.")


def _at_least_one_slot(value: int) -> int:
    if value < 1:
        raise ValueError(f"a visit takes 1 slot or more (2 for a visit as long as two slots), not {value}")
    return value


SlotCount = Annotated[int, AfterValidator(_at_least_one_slot), WithJsonSchema({"type": "integer", "minimum": 1})]
"""How many consecutive slots one visit takes: a whole number, 1 or more."""


class Template(Model):
    """A scheduling template: sessions cut into slots, a pattern of visits (each taking one slot or several) and
    an appointment rule."""

    sessions: list[Interval] = Field(min_length=1, description="Working sessions of the provider, in time order.")
    slot_min: float = Field(ge=limits.MIN_SLOT_MIN, description="Slot length (minutes).")
    pattern: list[str] = Field(
        min_length=1,
        description="Visit types in booking order, repeated over each session from its start; each entry is one "
        f'visit, taking one slot or its slots_per_visit; "{BLOCKED}" keeps its slots free (admin time).',
    )
    slots_per_visit: dict[str, SlotCount] = Field(
        default_factory=dict,
        description="Consecutive slots one visit of a type takes in this template, e.g. {new: 2} for a 40-minute "
        "new visit in 20-minute slots (scheduled visit time, not admin time); types not listed take one slot, and "
        f'"{BLOCKED}" may be listed too (blocked: 3, an hour of admin in 20-minute slots). A visit whose slots would '
        "run past the session's end is not booked: that time stays open. Rules count visits, not slots: double_book "
        "names a visit's first slot, Bailey-Welch moves each patient k-1 visits earlier, a wave books a visit at the "
        "start of the wave holding its first slot.",
    )
    rule: AppointmentRule = Field(default_factory=FixedInterval, description="How appointment times follow slots.")
    double_book: list[ClockTime] = Field(
        default_factory=list,
        description='Slot start times ("HH:MM") that get a second patient of the same type; a visit of several '
        "slots is named by its first slot.",
    )
    overbooking: Overbooking | None = Field(default=None, description="Overbooking to offset expected no-shows.")

    @model_validator(mode="after")
    def _sessions_in_order(self) -> Template:
        _require_in_order(self.sessions, "sessions")
        return self


class Provider(Model):
    """A provider (physician, NP, PA) with their own scheduling template per weekday."""

    name: Name = Field(description="Unique name, used in reports and to assign rooms and staff.")
    template: str | dict[Weekday, str] = Field(
        description="Template name for every weekday, or a template name per weekday (days left out: not working)."
    )
    speed_factor: float = Field(
        default=1.0, gt=0, description="Visit durations are divided by this: 1.25 means visits 20% shorter."
    )
    late_start_min: Duration = Field(  # type: ignore[assignment]  # the number is validated into Fixed
        default=0, description="How late the provider starts each session (minutes); the session waits."
    )
    documentation_min: Duration = Field(  # type: ignore[assignment]  # the number is validated into Fixed
        default=0, description="Charting after each visit (minutes); the provider is busy, the room is free."
    )
    wage_per_hour: float | None = Field(
        default=None, ge=0, description="Hourly cost of this provider; by default finance.wages.provider."
    )

    def template_on(self, weekday: Weekday) -> str | None:
        """Name of the template the provider works on ``weekday``, or None when off that day."""
        if isinstance(self.template, str):
            return self.template
        return self.template.get(weekday)


class Break(Model):
    """A break within a shift. It starts when the person finishes the patient in hand."""

    start: ClockTime = Field(description='Planned start of the break, "HH:MM".')
    duration_min: float = Field(gt=0, description="Length of the break (minutes).")


class Shift(Interval):
    """A shift with its breaks."""

    breaks: list[Break] = Field(default_factory=list, description="Breaks within the shift.")

    @model_validator(mode="after")
    def _breaks_inside(self) -> Shift:
        for earlier, later in zip(self.breaks, self.breaks[1:]):
            if later.start < earlier.start + earlier.duration_min:
                raise ValueError(
                    f"breaks: must be in time order and must not overlap (the break at {format_clock(later.start)} "
                    f"starts before the one at {format_clock(earlier.start)} ends)"
                )
        for b in self.breaks:
            if not (self.start <= b.start and b.start + b.duration_min <= self.end):
                raise ValueError(f"the break at {format_clock(b.start)} does not fit inside the shift")
        return self


class StaffGroup(Model):
    """One or more people of the same role with the same shifts (front desk, medical assistants, nurses)."""

    name: Name = Field(description="Unique name of the group, used in reports.")
    role: Identifier = Field(
        description="Role (front_desk, medical_assistant, nurse, lab_tech, radiology_tech, sonographer, ...): "
        "it names the role's utilization and overtime KPIs and its wage."
    )
    count: int = Field(default=1, ge=1, le=limits.MAX_STAFF_PER_GROUP, description="Number of people in the group.")
    serves: list[Identifier] = Field(
        default_factory=list,
        description="Steps these people do when a step is done by staff (check_in, rooming, check_out, vaccine, "
        "...); a step may also name them by role or group.",
    )
    assigned_to: list[str] | None = Field(
        default=None, description="Providers whose patients they serve; omit for a pool serving everyone."
    )
    shifts: list[Shift] = Field(min_length=1, description="Shifts in time order; every person works all of them.")
    wage_per_hour: float | None = Field(
        default=None, ge=0, description="Hourly wage of these people; by default finance.wages of their role."
    )

    @model_validator(mode="after")
    def _shifts_in_order(self) -> StaffGroup:
        _require_in_order(self.shifts, "shifts")
        return self


class PatientBehaviour(Model):
    """How booked patients arrive and how long they wait."""

    lateness_min: Distribution = Field(  # type: ignore[assignment]  # the number is validated into Fixed
        default=0, description="Arrival minus appointment time (minutes); negative means early."
    )
    turn_away_if_late_by_min: float | None = Field(
        default=None, ge=0, description="Patients later than this are turned away and rebooked; null: all are seen."
    )
    renege_after_min: float | None = Field(
        default=None,
        gt=0,
        description="Patients still in the waiting room this long after arriving leave without being seen; "
        "null: nobody leaves.",
    )


class WalkIns(Model):
    """Unscheduled patients arriving as a Poisson process whose rate changes over the day."""

    name: Name = Field(description="Unique name of this walk-in stream.")
    visit_type: str | dict[str, Probability] = Field(
        description="Visit type of these walk-ins, or a mix: visit types with their shares (adding up to 1)."
    )
    provider: str | None = Field(
        default=None,
        description="Provider or provider pool who sees them; omit to have the first free provider see them.",
    )
    rates: list[RatePeriod] = Field(
        min_length=1,
        description="Arrival rate by period of the day. In a file, rates_file: a CSV next to it with columns "
        "start, end, per_hour may stand for the list.",
    )

    @model_validator(mode="after")
    def _mix_sums_to_one(self) -> WalkIns:
        if isinstance(self.visit_type, dict):
            total = sum(self.visit_type.values())
            if not self.visit_type or abs(total - 1) > 1e-6:
                raise ValueError(f"visit_type: the shares of the mix add up to {total:g}, not 1")
        return self

    @property
    def mix(self) -> dict[str, float]:
        """Visit types with their shares (one type: share 1)."""
        return {self.visit_type: 1.0} if isinstance(self.visit_type, str) else dict(self.visit_type)


def _document_extends(schema: dict) -> None:
    """The keys a file may write besides the fields: ``extends``, and ``<list>+`` to append to a base's list."""
    properties = schema["properties"]
    for name, field in list(properties.items()):
        if field.get("type") == "array":
            properties[f"{name}+"] = {
                **field,
                "description": f"In a file that extends another: items appended to the base's {name}.",
            }
    properties["extends"] = {
        "type": "string",
        "description": "In a file: path of a base scenario file (relative to this file) that this file overrides; "
        "mappings merge key by key, anything else replaces (a key ending in + appends to a list).",
    }


class FeeCode(Model):
    """One billing code of the fee schedule."""

    fee: float = Field(ge=0, description="Fee schedule amount per visit (currency).")
    wrvu: float = Field(default=0.0, ge=0, description="Work relative value units of the code.")


class Payer(Model):
    """A payer of the payer mix and how it pays."""

    share: Probability = Field(description="Share of visits billed to this payer; shares add up to 1.")
    payment_multiplier: float = Field(
        default=1.0, gt=0, description="What the payer pays as a multiple of the fee schedule (1.3: 130%)."
    )
    p_denial: Probability = Field(default=0.0, description="Probability that a claim is denied at first.")
    p_denial_recovered: Probability = Field(
        default=0.0, description="Share of denied amounts recovered on rework and appeal."
    )


class Wage(Model):
    """What an hour of a role costs."""

    per_hour: float = Field(ge=0, description="Hourly wage (currency).")
    overtime_premium: float = Field(
        default=0.5, ge=0, description="Extra share paid for overtime hours (0.5: time and a half; 0 for exempt)."
    )


class Finance(Model):
    """Revenue cycle and costs: fee schedule, payer mix, denials, collections, wages, overhead."""

    currency: str = Field(default="USD", description="Currency of every amount.")
    fee_schedule_source: str = Field(default="", description="Where the fees come from (year, locality).")
    fee_schedule: dict[str, FeeCode] = Field(min_length=1, description="Billing codes with their fee and wRVUs.")
    payers: dict[str, Payer] = Field(min_length=1, description="Payer mix.")
    net_collection_rate: Probability = Field(
        default=1.0, description="Share of the allowed amount (after unrecovered denials) actually collected."
    )
    wages: dict[Identifier, Wage] = Field(
        default_factory=dict, description="Hourly cost per role (provider, front_desk, medical_assistant, ...)."
    )
    overhead_per_room_per_day: float = Field(default=0.0, ge=0, description="Fixed daily cost of each exam room.")
    overhead_per_site_per_day: float = Field(default=0.0, ge=0, description="Fixed daily cost of the site.")
    working_days_per_year: float = Field(
        default=250.0,
        gt=0,
        le=366,
        description="Clinic days a year, to state a day's money per month and per year (default: 52 weeks of five "
        "days less ten public holidays).",
    )

    @model_validator(mode="after")
    def _shares_add_up(self) -> Finance:
        total = sum(p.share for p in self.payers.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"payer shares must add up to 1, not {total:g}")
        return self


class Scenario(Model):
    """A complete clinic day: site, visits, providers and templates, staff, patients."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, json_schema_extra=_document_extends)

    name: str = Field(description="Short name of the scenario, used in tables and reports.")
    description: str = Field(default="", description="What this scenario represents, and where its numbers come from.")
    weekday: Weekday = Field(default="mon", description="Weekday simulated; picks each provider's template.")
    weekday_changes: dict[Weekday, dict[str, Any]] = Field(
        default_factory=dict,
        description="Settings that differ on some weekdays, as dotted paths like with_changes (e.g. fri: "
        "{'staff.Front desk.count': 1}); made whenever that weekday is simulated.",
    )
    clinic: Clinic = Field(description="The site.")
    visit_types: dict[str, VisitType] = Field(min_length=1, description="Visit types by name.")
    templates: dict[str, Template] = Field(min_length=1, description="Scheduling templates by name.")
    providers: list[Provider] = Field(min_length=1, max_length=limits.MAX_PROVIDERS, description="Providers.")
    provider_pools: dict[Name, list[str]] = Field(
        default_factory=dict,
        description="Named groups of providers (e.g. the urgent-care clinicians): a step done by {pool: name} or a "
        "walk-in stream for the pool is seen by the first free provider of the pool.",
    )
    staff: list[StaffGroup] = Field(
        default_factory=list,
        max_length=limits.MAX_STAFF_GROUPS,
        description="Front desk, medical assistants, nurses, technicians, ...",
    )
    patients: PatientBehaviour = Field(default_factory=PatientBehaviour, description="Patient behaviour.")
    walk_ins: list[WalkIns] = Field(default_factory=list, description="Walk-in streams.")
    work: list[WorkStream] = Field(
        default_factory=list,
        description="Work between visits (messages, refills, referrals, prior authorizations, results, calls), done "
        "by the same people who see patients.",
    )
    finance: Finance | None = Field(default=None, description="Revenue and cost; without it no money KPI.")
    access: Access | None = Field(
        default=None,
        description="Booking over weeks (demand, holds, continuity, cancellations, lead-time no-shows, days off): "
        "what clinicsim access simulates; the clinic day ignores it.",
    )

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        raise_if_inconsistent(self)
        return self

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A validated copy with the settings at dotted paths replaced, e.g. ``{"clinic.exam_rooms": 10}``.

        Lists are indexed by position or by item name (``"providers.Dr Baker.speed_factor"``); a path ending in
        ``+`` appends to the list there (``{"staff+": {...one group...}}``, a list for several; see
        ``clinicsim.scenario.changes``). A change that makes no valid scenario raises ``ScenarioError`` naming each
        field and problem, as the command line says it.
        """
        from clinicsim.scenario.changes import changes_error, set_path

        data = self.model_dump(mode="json")
        try:
            for path, value in changes.items():
                set_path(data, path, value)
            return Scenario.model_validate(data)
        except ValueError as error:  # a path not in the scenario, or pydantic's ValidationError
            raise changes_error(error, changes) from None

    def working_weekdays(self) -> list[Weekday]:
        """Weekdays on which at least one provider has a template, Monday first."""
        return [day for day in WEEKDAYS if any(p.template_on(day) is not None for p in self.providers)]

    def on_weekday(self, weekday: Weekday | None = None) -> Scenario:
        """The clinic day simulated on ``weekday`` (default: the scenario's own): that weekday's templates and its
        ``weekday_changes`` made (the day's scenario has none left). The scenario itself when it is that day and
        has no changes for it."""
        weekday = weekday or self.weekday
        if weekday == self.weekday and weekday not in self.weekday_changes:
            return self
        return self.with_changes({"weekday": weekday, "weekday_changes": {}, **self.weekday_changes.get(weekday, {})})

    @property
    def content_hash(self) -> str:
        """SHA-256 of the scenario's canonical JSON: equal for equal scenarios, for provenance and caching."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()

    def provider(self, name: str) -> Provider:
        """The provider called ``name``."""
        return next(p for p in self.providers if p.name == name)

    def working_providers(self) -> list[Provider]:
        """Providers with a template on the simulated weekday, in scenario order."""
        return [p for p in self.providers if p.template_on(self.weekday) is not None]
