"""The event log in the long format that process-animation tools for SimPy models read.

One row per patient event, as `vidigi <https://github.com/Bergam0t/vidigi>`_ (animated patient flow for SimPy
models, in Plotly) expects it: ``entity_id``, ``event_type`` (``arrival_departure``, ``queue``,
``resource_use``, ``resource_use_end``), ``event`` (``arrival``, ``<step>_wait_begins``, ``<step>_begins``,
``<step>_ends``, ``depart``), ``time`` (minutes from midnight), ``resource_id`` (1-based position of the
person or room in its group, for ``resource_use`` rows; vidigi draws each resource as a numbered slot), and
``run`` (the replication). Extra columns say what vidigi does not need: ``resource`` (the name), ``group`` and
``pathway`` (the visit type).

A step done by several people (a procedure by a provider and an MA) is shown with the first of them; a pure
delay (waiting for results) is a ``queue`` row; documentation and room stays are left out (a patient is in one
place at a time). Patients who did not come have no rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clinicsim.eventlog import EventLog

if TYPE_CHECKING:
    from clinicsim.experiment import Results

COLUMNS = ["run", "entity_id", "pathway", "event_type", "event", "time", "resource_id", "resource", "group"]


def _slots(log: EventLog) -> dict[str, tuple[int, str]]:
    """Each resource's 1-based position in its group, and the group."""
    slots: dict[str, tuple[int, str]] = {}
    seen: dict[str, int] = {}
    for name, group in zip(log.resources["resource"], log.resources["group"]):
        seen[group] = seen.get(group, 0) + 1
        slots[name] = (seen[group], group)
    return slots


def day_animation_events(log: EventLog) -> pd.DataFrame:
    """One replication's patient events in vidigi's long format, in time order."""
    pt, steps = log.patients, log.steps
    visit_type = dict(zip(pt["patient"].tolist(), pt["visit_type"].tolist()))
    came = pt["status"] != "no_show"
    rows: list[tuple] = []
    for patient, arrival in zip(pt["patient"][came].tolist(), pt["arrival_min"][came].tolist()):
        rows.append((patient, "arrival_departure", "arrival", arrival, np.nan, "", ""))
    slots = _slots(log)
    done: set[tuple[int, str]] = set()
    pathway = set(log.pathway_steps)
    for patient, step, queued, start, end, resource in zip(
        *(steps[c].tolist() for c in ("patient", "step", "queued_min", "start_min", "end_min", "resource"))
    ):
        if step not in pathway or (patient, step) in done:
            continue
        done.add((patient, step))
        rows.append((patient, "queue", f"{step}_wait_begins", queued, np.nan, "", ""))
        if resource == "":
            rows.append((patient, "queue", step, start, np.nan, "", ""))
            continue
        slot, group = slots[resource]
        rows.append((patient, "resource_use", f"{step}_begins", start, slot, resource, group))
        rows.append((patient, "resource_use_end", f"{step}_ends", end, slot, resource, group))
    for patient, departure in zip(pt["patient"][came].tolist(), pt["departure_min"][came].tolist()):
        rows.append((patient, "arrival_departure", "depart", departure, np.nan, "", ""))
    frame = pd.DataFrame(rows, columns=["entity_id", *COLUMNS[3:]])
    frame.insert(0, "run", log.replication)
    frame.insert(2, "pathway", frame["entity_id"].map(visit_type))
    order = {"arrival_departure": 0, "queue": 1, "resource_use": 2, "resource_use_end": 1}
    frame["_order"] = frame["event_type"].map(order) + 3 * (frame["event"] == "depart")
    frame = frame.sort_values(["time", "_order", "entity_id"], kind="stable").drop(columns="_order")
    frame["resource_id"] = frame["resource_id"].astype("Int64")
    return frame.reset_index(drop=True)


def animation_events(results: Results) -> pd.DataFrame:
    """Every replication's patient events in vidigi's long format (``run`` is the replication)."""
    frames = [day_animation_events(log) for log in results.logs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
