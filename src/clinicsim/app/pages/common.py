"""Pieces the pages share: the base scenario or a pointer to Start, problems shown where they are, figures."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from clinicsim.app.jobs import JobStatus
from clinicsim.app.state import workspace
from clinicsim.scenario import Scenario
from clinicsim.scenario.problems import Problem, ScenarioError

if TYPE_CHECKING:  # pandas, matplotlib and the reports are imported by the pages that draw tables and figures
    import pandas as pd
    from matplotlib.figure import Figure

    from clinicsim.reports import page as report_page


def base_or_stop() -> Scenario:
    """The workspace's base scenario; without one, a pointer to Start and the page stops here."""
    base = workspace().base()
    if base is None:
        st.info("Choose a scenario on **Start** first.")
        st.stop()
    return base


def show_problem(problem: Problem, *, text: str | None = None) -> None:
    """One problem as an error box: the line and field it concerns, the message, and the file's line itself."""
    where = " · ".join(part for part in (f"line {problem.line}" if problem.line else "", problem.field) if part)
    st.error(f"**{where}**: {problem.message}" if where else problem.message, icon=":material/error:")
    if text is not None and problem.line:
        lines = text.splitlines()
        first = max(problem.line - 3, 0)
        shown = [
            f"{'>' if n == problem.line else ' '} {n:4d} | {lines[n - 1]}"
            for n in range(first + 1, min(problem.line + 2, len(lines)) + 1)
        ]
        st.code("\n".join(shown), language=None)


def show_error(error: ScenarioError, *, text: str | None = None) -> None:
    """Every problem of ``error``, each at its line and field."""
    for problem in error.problems:
        show_problem(problem, text=text if problem.source is None else None)


def show_warnings(scenario: Scenario) -> None:
    """What is legal in ``scenario`` but probably a mistake (the command line's warnings), one box each."""
    from clinicsim.scenario.plausibility import find_warnings

    for location, message in find_warnings(scenario):
        field = ".".join(str(part) for part in location)
        st.warning(f"**{field}**: {message}" if field else message, icon=":material/warning:")


SHARES = ("share", "p_no_show")
"""Columns of fractions, shown as percentages."""


def table(frame: pd.DataFrame) -> None:
    """A table as administrators read it: its index as a column, words for column names (``slot_min`` -> "slot
    min"), shares as percentages, other numbers to one decimal."""
    import pandas as pd

    frame = frame.reset_index() if any(name is not None for name in frame.index.names) else frame
    config: dict[str, Any] = {}
    for column in frame.columns:
        label = str(column).replace("_", " ")
        if column in SHARES:
            config[column] = st.column_config.NumberColumn(label, format="percent")
        elif pd.api.types.is_float_dtype(frame[column]):
            config[column] = st.column_config.NumberColumn(label, format="%.1f")
        else:
            config[column] = st.column_config.Column(label)
    st.dataframe(frame, hide_index=True, column_config=config)


def figure(fig: Figure) -> None:
    """A matplotlib figure at the page's width."""
    st.pyplot(fig, clear_figure=False, width="stretch")


def report_figure(fig: report_page.Figure) -> None:
    """A report's figure (title, PNG, caption) as the report shows it."""
    st.markdown(f"**{fig.title}**")
    st.image(base64.b64decode(fig.data_uri.split(",", 1)[1]))
    if fig.caption:
        st.caption(fig.caption)


def finished(name: str, status: Callable[[], JobStatus], cancel: Callable[[], None], unit: str) -> bool:
    """Whether a run (one job or several) is done; if not, its progress bar and Cancel button (in the container
    keyed ``{name}_progress``), or why it stopped. ``unit``: what its progress counts, e.g. "simulated days"."""
    now = status()
    if now.state in ("queued", "running"):
        _progress(name, status, cancel, unit)
    elif now.state == "failed":
        st.error(f"The run failed: {now.message}")
    elif now.state in ("cancelled", "interrupted", "missing"):
        why = "was cancelled" if now.state == "cancelled" else "was stopped when the app restarted"
        st.warning(f"The run {why} after {now.done:,} of {now.total:,} {unit}; run it again to finish it (what is "
                   "done is kept).")  # fmt: skip
    return now.state == "done"


@st.fragment(run_every=0.5)
def _progress(name: str, status: Callable[[], JobStatus], cancel: Callable[[], None], unit: str) -> None:
    now = status()
    if now.finished or now.state not in ("queued", "running"):
        st.rerun(scope="app")
    with st.container(key=f"{name}_progress"):
        st.progress(now.fraction, text=f"{now.done:,} of {now.total:,} {unit}" if now.total else "Starting…")
        if st.button("Cancel", key=f"{name}_cancel", icon=":material/stop:"):
            cancel()
            st.rerun(scope="app")
