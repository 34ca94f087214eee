"""Compare: the base and its variants on the same simulated days; the verdict first, then the numbers.

Each plan's days are a job of their own on the server's worker processes, cached by the plan's settings, the days
and the seed, so an unchanged plan is not simulated again; the comparison in progress is remembered in the tab's
workspace, so a reload (or the Cancel button) finds it where it is.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from clinicsim.app.pages.common import base_or_stop, finished, report_figure
from clinicsim.app.runs import (
    REPORT_FOLDER,
    ComparisonRun,
    cancel_comparison,
    comparison_status,
    load_comparison,
    load_figures,
    start_comparison,
    start_report,
)
from clinicsim.app.state import jobs, workspace
from clinicsim.comparison import Comparison
from clinicsim.experiment import DEFAULT_SEED
from clinicsim.formatting import format_difference, format_value
from clinicsim.reports.comparison import wait_sentences
from clinicsim.reports.verdict import verdicts
from clinicsim.scenario import Scenario
from clinicsim.scenario.problems import ScenarioError

RUN_FILE = "comparison.json"
"""The tab's last comparison, in its workspace folder."""


def page() -> None:
    st.title("Compare")
    base = base_or_stop()
    run = _form(base)
    if run is None:
        st.info("Add a variant on **Change the plan**, then compare it with the base here.")
        return
    if finished(
        "compare",
        lambda: comparison_status(jobs(), run),
        lambda: cancel_comparison(jobs(), run, owner=workspace().id),
        "plan-days simulated",
    ):
        _results(run)


def _form(base: Scenario) -> ComparisonRun | None:
    ws = workspace()
    names = list(ws.variants())
    if not names:
        return None
    with st.form("compare_form", border=True):
        plans = st.multiselect(f"Variants to compare with {base.name}", names, default=names, key="compare_plans")
        left, right = st.columns(2)
        days = left.number_input(
            "Simulated days per plan",
            min_value=2,
            max_value=1000,
            value=20,
            step=1,
            key="compare_days",
            help="The same days for every plan (common random numbers).",
        )
        seed = right.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="compare_seed")
        submitted = st.form_submit_button("Run the comparison", type="primary", icon=":material/play_arrow:")
    if submitted and plans:
        try:
            scenarios = {base.name: base, **{name: ws.variant_scenario(name) for name in plans}}
        except ScenarioError as error:
            st.error(str(error))
            return None
        run = start_comparison(jobs(), scenarios, days=int(days), seed=int(seed), owner=ws.id)
        (ws.folder / RUN_FILE).write_text(json.dumps({"plans": run.plans, "days": run.days, "seed": run.seed}))
    return _last_run()


def _last_run() -> ComparisonRun | None:
    path = workspace().folder / RUN_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return ComparisonRun(tuple(tuple(plan) for plan in data["plans"]), data["days"], data["seed"])


@st.cache_resource(max_entries=8, show_spinner="Putting the comparison together")
def _comparison(key: str, _run: ComparisonRun) -> Comparison:
    """The comparison of run ``key`` (``_run``: not hashed, the key says it all)."""
    return load_comparison(jobs(), _run)


def _results(run: ComparisonRun) -> None:
    comparison = _comparison(run.key, run)
    base = comparison.results[comparison.baseline].scenario
    currency = base.finance.currency if base.finance else ""
    st.caption(f"{len(run.plans)} plans, {run.days} simulated days each, seed {run.seed}")
    with st.container(key="compare_verdict"):
        for verdict in verdicts(comparison):
            lines = verdict.lines(currency)
            st.subheader(lines[0])
            for line in lines[1:]:
                st.markdown(f"- {line}")
    for warning in comparison.pairing_warnings():
        st.warning(warning)
    st.subheader("Differences from the base, with 95% confidence intervals")
    with st.container(key="compare_differences"):
        st.dataframe(_differences(comparison), hide_index=True)
    st.subheader("Where the waiting happens")
    for sentence in wait_sentences(comparison):
        st.markdown(f"- {sentence}")
    _report(run)


def _differences(comparison: Comparison) -> pd.DataFrame:
    table = comparison.differences()
    rows = []
    for (plan, _), d in table[table["n"] > 0].iterrows():
        unit = d["unit"]
        rows.append(
            {
                "KPI": d["label"],
                "plan": plan,
                "base": format_value(d["baseline_mean"], unit),
                "plan value": format_value(d["scenario_mean"], unit),
                "difference": format_difference(d["difference"], unit),
                "95% CI": f"{format_difference(d['ci_low'], unit)} to {format_difference(d['ci_high'], unit)}",
                "clear": "yes" if d["excludes_zero"] else "",
            }
        )
    return pd.DataFrame(rows)


def _report(run: ComparisonRun) -> None:
    """The report's figures and downloads, drawn by a job of their own (the page stays responsive meanwhile)."""
    key = start_report(jobs(), run)
    status = jobs().status(key)
    if not status.finished:
        st.caption("Drawing the figures and writing report.html and the CSVs…")
        _wait_for_report(key)
        return
    if status.state != "done":
        st.error(f"The report could not be written: {status.message}")
        return
    folder: Path = jobs().path(key) / REPORT_FOLDER
    left, right = st.columns(2)
    left.download_button("Download report.html", (folder / "report.html").read_bytes(), file_name="report.html",
                         mime="text/html", key="compare_report", icon=":material/download:")  # fmt: skip
    right.download_button("Download the CSVs (zip)", _zip(folder), file_name="comparison_csv.zip",
                          mime="application/zip", key="compare_csvs", icon=":material/download:")  # fmt: skip
    st.subheader("Figures")
    for fig in load_figures(jobs(), key):
        report_figure(fig)


@st.fragment(run_every=0.5)
def _wait_for_report(key: str) -> None:
    if jobs().status(key).finished:
        st.rerun(scope="app")


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.csv")):
            archive.write(path, path.name)
    return buffer.getvalue()
