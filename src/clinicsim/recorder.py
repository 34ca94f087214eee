"""The engine's side of the event log: a Recorder collects rows while a clinic day runs and turns them into an
``EventLog`` when it ends. Steps are recorded as integer codes and named once at the end, which keeps the hot
path cheap; ``eventlog`` itself imports nothing of the simulation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from clinicsim.eventlog import LOG_STEPS, Columns, EventLog, StepCodes, work_table
from clinicsim.patients import Patient


@dataclass
class Recorder:
    """Collects rows while the engine runs; ``finish`` turns them into an EventLog.

    Steps are recorded with integer codes (the step's position in LOG_STEPS, the resource's row in the
    ``resources`` table, whose names are ``resource_names``) and named once at the end.
    """

    patients: list[Patient]
    resource_names: list[str]
    step_names: tuple[str, ...] = LOG_STEPS
    """Every step the day may record (the plan's ``log_steps``)."""
    pathway_steps: tuple[str, ...] = ()
    """The steps of the scenario's pathways."""
    pathway_branches: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """The branches of the scenario's pathways with their options."""
    step_rows: list[tuple] = field(default_factory=list)
    work_rows: list[tuple] = field(default_factory=list)
    """Rows of the ``work`` table (``eventlog.WORK_COLUMNS``)."""
    status: list[str] = field(init=False)
    seen_by: list[str] = field(init=False)
    departure: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self._code = {name: code for code, name in enumerate(self.step_names)}
        n = len(self.patients)
        self.status = ["not_seen_at_close"] * n
        self.seen_by = [""] * n
        self.departure = [math.nan] * n

    def step(self, patient: int, step: str, queued: float, start: float, end: float, resource: int) -> None:
        """A step of ``patient`` done by the resource in row ``resource`` of the resources table (-1: nobody)."""
        self.step_rows.append((patient, self._code[step], queued, start, end, resource))

    def outcome(self, patient: int, status: str, departure: float) -> None:
        self.status[patient] = status
        self.departure[patient] = departure

    def finish(self, *, replication: int, resources: Columns, duty: Columns, schedule: Columns) -> EventLog:
        patient, step, queued, start, end, resource = (
            zip(*self.step_rows) if self.step_rows else ((), (), (), (), (), ())
        )
        codes = StepCodes(step=np.array(step, dtype=np.int64), resource=np.array(resource, dtype=np.int64))
        steps = {
            "patient": np.array(patient, dtype=np.int64),
            "step": np.array(self.step_names, dtype=object)[codes.step],
            "queued_min": np.array(queued, dtype=float),
            "start_min": np.array(start, dtype=float),
            "end_min": np.array(end, dtype=float),
            "resource": np.array([*self.resource_names, ""], dtype=object)[codes.resource],
        }
        ps = self.patients
        patients = {
            "patient": np.array([p.id for p in ps], dtype=np.int64),
            "source": np.array([p.source for p in ps], dtype=object),
            "ordinal": np.array([p.ordinal for p in ps], dtype=np.int64),
            "booked_with": np.array([p.asked_for or "" for p in ps], dtype=object),
            "visit_type": np.array([p.visit_type for p in ps], dtype=object),
            "booking": np.array([p.booking for p in ps], dtype=object),
            "appointment_min": np.array([p.appointment_min for p in ps], dtype=float),
            "arrival_min": np.array([p.arrival_min for p in ps], dtype=float),
            "status": np.array(self.status, dtype=object),
            "provider": np.array(self.seen_by, dtype=object),
            "departure_min": np.array(self.departure, dtype=float),
            "code": np.array([p.code for p in ps], dtype=object),
            "payer": np.array([p.payer for p in ps], dtype=object),
        }
        branches = [(p.id, choice, option) for p in ps for choice, option in p.branches]
        return EventLog(
            replication=replication,
            step_names=self.step_names,
            pathway_steps=self.pathway_steps,
            pathway_branches=self.pathway_branches,
            branches={
                "patient": np.array([b[0] for b in branches], dtype=np.int64),
                "branch": np.array([b[1] for b in branches], dtype=object),
                "option": np.array([b[2] for b in branches], dtype=object),
            },
            steps=steps,
            patients=patients,
            work=work_table(self.work_rows),
            resources=resources,
            duty=duty,
            schedule=schedule,
            step_codes=codes,
        )
