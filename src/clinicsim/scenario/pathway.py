"""A visit type's pathway: the steps a patient goes through, who does each, in which room, and the branches.

Written in a scenario as a list under ``pathway:``::

    - step: triage                     # any name: lab_draw, x_ray, vaccine, provider_recheck, ...
      by: {role: nurse}                # who: provider | staff | nobody | {pool: ...} | {role: ...} | {group: ...}
      duration_min: {kind: lognormal, mean: 6, sd: 2}
      room: triage_bay                 # the step happens in a room of this kind
    - step: examination
      by: {pool: clinicians}
      duration_min: 15
      room: exam
      keep_room: true                  # the patient keeps the room after the step
    - choose: imaging                  # a branch: one option per patient, with its probability
      options:
        x_ray: {p: 0.25, steps: [{step: x_ray, by: {role: radiology_tech}, duration_min: 10, room: x_ray},
                                 {step: provider_recheck, by: provider, duration_min: 5, room: exam}]}
        none: {p: 0.75, steps: []}
    - step: wait_for_results           # a pure delay: nobody is busy (the patient keeps the room)
      by: nobody
      duration_min: 20
      room: exam
      keep_room: true
    - step: discharge
      release_room: exam               # first give the exam room back (if still held)
      duration_min: 3

``durations_min`` (check-in, rooming, provider visit, check-out) stays valid as shorthand: it is the pathway
``check_in -> rooming (exam room from here) -> provider_visit (room released after) -> check_out``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from clinicsim.distributions import Duration
from clinicsim.scenario.base import Identifier, Model, Name, Probability
from clinicsim.scenario.vocabulary import EXAM


class ByPool(Model):
    """Any provider of a named provider pool."""

    pool: Name = Field(description="Name of a provider pool (``provider_pools``).")


class ByRole(Model):
    """Anyone of the staff groups with this role."""

    role: Identifier = Field(description="A role of the staff groups (nurse, lab_tech, ...).")


class ByGroup(Model):
    """Anyone of one staff group."""

    group: Name = Field(description="Name of a staff group.")


Who = Literal["provider", "staff", "nobody"] | ByPool | ByRole | ByGroup
"""Who does a step: ``provider`` (the patient's own provider: booked with, asked for, or the one who first saw
them), ``staff`` (the staff groups whose ``serves`` lists the step), ``nobody`` (a pure delay), any provider of a
pool, anyone of a role, or anyone of a staff group."""


def is_provider(who: Who) -> bool:
    """Whether ``who`` is a provider: the patient's own, or one of a pool."""
    return who == "provider" or isinstance(who, ByPool)


class Step(Model):
    """One step of a pathway."""

    step: Identifier = Field(description="Name of the step (it names the step's KPIs and event-log rows).")
    by: Who | list[Who] = Field(
        default="staff",
        description="Who does it; a list for a step that needs several at once (e.g. [provider, {role: "
        "medical_assistant}]): rooms are taken first, then staff in the order listed, then the provider.",
    )
    duration_min: Duration = Field(description="Duration (minutes; before the provider's speed factor).")
    p: Probability = Field(default=1.0, description="Probability that the step happens at all.")
    room: Identifier | None = Field(
        default=None,
        description="Kind of room the step happens in (exam, procedure, x_ray, ...): a room of that kind the "
        "patient holds, or one taken for the step.",
    )
    keep_room: bool = Field(
        default=False,
        description="Keep the room after the step (it is released, with turnover, after the step that does "
        "not keep it, by a release_room, or when the patient leaves).",
    )
    release_room: Identifier | None = Field(
        default=None,
        description="Before the step, give back the room of this kind that the patient kept (if they hold one: "
        "on some ways through the branches they may not).",
    )
    speed_scaled: bool | None = Field(
        default=None,
        description="Whether the provider's speed_factor divides the duration (default: done by a provider).",
    )
    documentation: bool | None = Field(
        default=None,
        description="Whether the provider documents after the step, busy without the room (default: done by a "
        "provider).",
    )
    may_leave: bool | None = Field(
        default=None,
        description="Whether a patient may leave without being seen while waiting for this step (after "
        "patients.renege_after_min); default: yes until the patient is in a room or has seen a provider.",
    )

    @property
    def who(self) -> list[Who]:
        """Everyone the step needs (an empty list for a pure delay)."""
        listed = self.by if isinstance(self.by, list) else [self.by]
        return [who for who in listed if who != "nobody"]

    @property
    def by_provider(self) -> bool:
        return any(is_provider(who) for who in self.who)

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.keep_room and self.room is None:
            raise ValueError("keep_room: the step has no room to keep (give it a room)")
        listed = self.by if isinstance(self.by, list) else [self.by]
        if "nobody" in listed and len(listed) > 1:
            raise ValueError("by: nobody cannot be listed with others")
        if sum(is_provider(who) for who in listed) > 1:
            raise ValueError("by: at most one provider a step")
        if not listed:
            raise ValueError("by: name who does the step (nobody for a pure delay)")
        return self


class Option(Model):
    """One option of a branch."""

    p: Probability = Field(description="Probability of this option.")
    steps: list[PathwayItem] = Field(default_factory=list, description="The steps of this option (may be empty).")


class Choice(Model):
    """A branch: each patient takes one of the options."""

    choose: Identifier = Field(description="Name of the branch (it names its KPIs and its random stream).")
    options: dict[Identifier, Option] = Field(min_length=2, description="The options with their probabilities.")

    @model_validator(mode="after")
    def _sum_to_one(self) -> Choice:
        total = sum(option.p for option in self.options.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"options: the probabilities add up to {total:g}, not 1")
        return self


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "Choice" if "choose" in value else "Step"
    return "Choice" if isinstance(value, Choice) else "Step"


PathwayItem = Annotated[Annotated[Step, Tag("Step")] | Annotated[Choice, Tag("Choice")], Discriminator(_item_kind)]
"""A step, or a branch (``choose:``). (The tags are capitalised so that an error's location never takes them for
the ``step`` key of the file.)"""

Option.model_rebuild()


def walk(items: list[PathwayItem], where: tuple = ()):
    """Every step of a pathway, in every option, with its location in the pathway (``(2, "options", "x_ray",
    "steps", 0)``) and the steps before it on its way."""

    def _walk(items, where, before):
        before = list(before)
        for index, item in enumerate(items):
            here = (*where, index)
            if isinstance(item, Step):
                yield here, item, tuple(before)
                before.append(item)
            else:
                for name, option in item.options.items():
                    yield from _walk(option.steps, (*here, "options", name, "steps"), before)
                before.append(item)

    yield from _walk(items, where, ())


def steps_in(items: list) -> list[Step]:
    """Every step of a list of pathway items, inside branches too."""
    out: list[Step] = []
    for item in items:
        if isinstance(item, Step):
            out.append(item)
        else:
            for option in item.options.values():
                out += steps_in(option.steps)
    return out


def shorthand_pathway(durations: Any, needs_room: bool) -> list[Step]:
    """The pathway that ``durations_min`` stands for: check-in, rooming in an exam room (kept), the provider
    visit (room released after, with turnover), check-out. A patient may leave while waiting for the room, for
    rooming without a room, or for the provider without rooming or room."""
    room = EXAM if needs_room else None
    steps = []
    if durations.check_in is not None:
        steps.append(Step(step="check_in", duration_min=durations.check_in, may_leave=False))
    if durations.rooming is not None:
        steps.append(Step(step="rooming", duration_min=durations.rooming, room=room, keep_room=needs_room))
    steps.append(
        Step(
            step="provider_visit",
            by="provider",
            duration_min=durations.provider_visit,
            room=room,
            may_leave=durations.rooming is None,
        )
    )
    if durations.check_out is not None:
        steps.append(Step(step="check_out", duration_min=durations.check_out, may_leave=False))
    return steps


def provider_minutes(items: list[PathwayItem]) -> float:
    """Expected minutes a visit spends with a provider: the mean durations of the steps done by a provider,
    weighted by the chance of each step and branch."""
    total = 0.0
    for item in items:
        if isinstance(item, Step):
            total += item.p * item.duration_min.mean if item.by_provider else 0.0
        else:
            total += sum(option.p * provider_minutes(option.steps) for option in item.options.values())
    return total
