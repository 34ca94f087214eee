"""Explore: sweep one or two settings, open a sweep's or an optimization's store, see access over weeks and the work
between visits, and calibrate a scenario to the clinic's own EHR export.

Each run is a job on the server's worker processes (``clinicsim.app.stores`` and ``analyses`` say what each does),
keyed by what its result depends on; the tab's jobs are remembered in its workspace, so a reload finds them,
running or done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import streamlit as st

from clinicsim.app import analyses, stores
from clinicsim.app.pages.common import figure, finished, table
from clinicsim.app.state import data_root, jobs, workspace
from clinicsim.app.workspace import MAX_EXPORT_UPLOAD_BYTES, UploadError, Workspace
from clinicsim.experiment import DEFAULT_SEED
from clinicsim.metrics import find_metric
from clinicsim.scenario import Scenario
from clinicsim.scenario.problems import ScenarioError

OTHER = "Another setting (type its dotted path)"
NONE = "(none)"


def page() -> None:
    st.title("Explore")
    sweep, store, access, calibrate = st.tabs(["Sweep", "Open a store", "Access & work", "Calibrate"])
    with sweep:
        _sweep_tab()
    with store:
        _store_tab()
    with access:
        _access_tab()
    with calibrate:
        _calibrate_tab()


# -- jobs ---------------------------------------------------------------------------------------------------


def _job(name: str) -> str | None:
    """This tab's current job of kind ``name`` (sweeps, access, work, calibration)."""
    key = st.session_state.get(f"explore_{name}_job")
    if key is None:
        found = stores.remembered(workspace()).get(name)
        key = found[-1] if isinstance(found, list) and found else found
    return key if isinstance(key, str) else None


def _started(name: str, key: str) -> None:
    st.session_state[f"explore_{name}_job"] = key
    stores.remember(workspace(), name, key)


def _finished(name: str, key: str, unit: str) -> bool:
    """Whether job ``key`` is done; otherwise its progress (and Cancel) or why it stopped."""
    return finished(f"explore_{name}", lambda: jobs().status(key), lambda: jobs().cancel(key), unit)


def _plan_choice(ws: Workspace, base: Scenario, key: str) -> tuple[Scenario, Path] | None:
    """The base or one of its variants, chosen; its scenario and file (None with a message if it is not valid)."""
    variants = ws.variants()
    name = st.selectbox("Plan", [base.name, *variants], key=key)
    if name == base.name or name not in variants:
        assert ws.base_path is not None
        return base, ws.base_path
    try:
        return ws.variant_scenario(name), variants[name].path
    except ScenarioError as error:
        st.error(str(error))
        return None


def _kpi_label(kpi: str) -> str:
    metric = find_metric(kpi)
    return f"{metric.label} ({kpi})" if metric else kpi


# -- sweep --------------------------------------------------------------------------------------------------


def _sweep_tab() -> None:
    ws = workspace()
    base = ws.base()
    if base is None:
        st.info("Choose a scenario on **Start** to sweep its settings; stores can still be opened.")
    else:
        _sweep_form(ws, base)
    key = _job("sweeps")
    if key is None:
        return
    done = _finished("sweep", key, "simulated days")
    store = jobs().path(key) / stores.SWEEP_STORE
    if store.is_file() and (done or jobs().status(key).state in ("cancelled", "interrupted")):
        _show_store(store, "explore_sweep")


def _levels_default(number: int, choices: dict[str, stores.FactorChoice]) -> None:
    """When factor ``number`` changes, start its levels from the setting's own."""
    choice = choices.get(st.session_state.get(f"explore_factor_{number}", ""))
    if choice is not None:
        st.session_state[f"explore_levels_{number}"] = ", ".join(str(v) for v in choice.levels)


def _factor(number: int, choices: dict[str, stores.FactorChoice]) -> tuple[str, str] | None:
    """One factor's inputs: (path, levels text), None when left out."""
    options = ([NONE] if number > 1 else []) + list(choices) + [OTHER]
    left, right = st.columns([3, 2])
    label = left.selectbox(f"Factor {number}", options, key=f"explore_factor_{number}",
                           on_change=_levels_default, args=(number, choices))  # fmt: skip
    if label == NONE:
        return None
    if label == OTHER:
        path = left.text_input("Dotted path", key=f"explore_factor_{number}_path", placeholder="clinic.exam_rooms")
    else:
        path = choices[label].path
    default = ", ".join(str(v) for v in choices[label].levels) if label in choices else ""
    if f"explore_levels_{number}" not in st.session_state:
        st.session_state[f"explore_levels_{number}"] = default
    levels = right.text_input("Levels (comma-separated)", key=f"explore_levels_{number}")
    return path.strip(), levels


def _sweep_form(ws: Workspace, base: Scenario) -> None:
    chosen = _plan_choice(ws, base, "explore_sweep_plan")
    if chosen is None:
        return
    scenario, path = chosen
    choices = {c.label: c for c in stores.factor_choices(scenario)}
    factors = [f for f in (_factor(1, choices), _factor(2, choices)) if f is not None]
    left, right = st.columns(2)
    days = left.number_input("Simulated days per plan", min_value=2, max_value=500, value=10, key="explore_days",
                             help="Every plan runs on the same days (common random numbers).")  # fmt: skip
    seed = right.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="explore_seed")
    if not st.button("Run the sweep", type="primary", key="explore_run_sweep", icon=":material/play_arrow:"):
        return
    try:
        grid = [(p, stores.parse_levels(text)) for p, text in factors]
        if any(not p for p, _ in grid):
            raise ValueError("type the dotted path of the setting to vary")
        confine = stores.confinement(ws, path)
        text = stores.sweep_spec_text(path, grid, days=int(days), seed=int(seed), confine=confine)
    except ScenarioError as error:
        for line in stores.problem_lines(error):
            st.error(line, icon=":material/error:")
        return
    except ValueError as error:
        st.error(str(error), icon=":material/error:")
        return
    _started("sweeps", stores.start_sweep(jobs(), text, scenario, confine=confine))


# -- stores -------------------------------------------------------------------------------------------------


def _stamp(path: Path) -> tuple[int, int]:
    """What changes when a store gets more results (its file, and its write-ahead log)."""
    wal = Path(f"{path}-wal")
    return path.stat().st_mtime_ns, wal.stat().st_size if wal.exists() else 0


@st.cache_resource(max_entries=8, show_spinner="Reading the store")
def _view(path: str, stamp: tuple[int, int]) -> stores.StoreView:
    return stores.open_store(path)


@st.cache_resource(max_entries=32, show_spinner="Drawing")
def _drawn(path: str, stamp: tuple[int, int], what: str, kpis: tuple[str, ...]) -> Any:
    """A figure of the store (``what``: main effects, heatmap, pareto), closed to pyplot once drawn; None if not."""
    view = _view(path, stamp)
    draw: dict[str, Callable[..., Any]] = {
        "main effects": view.main_effects_figure,
        "heatmap": view.heatmap_figure,
        "pareto": view.pareto_figure,
    }
    fig = draw[what](*kpis)
    if fig is not None:
        plt.close(fig)
    return fig


@st.cache_data(max_entries=4, show_spinner="Writing the report")
def _sweep_report(path: str, stamp: tuple[int, int], pareto: tuple[str, str]) -> str:
    from clinicsim.reports.sweep import render_sweep_report

    return render_sweep_report(_view(path, stamp).snapshot, pareto=pareto)


def _show_store(path: Path, prefix: str) -> None:
    try:
        stamp = _stamp(path)
        view = _view(str(path), stamp)
    except stores.StoreProblem as error:
        st.error(str(error))
        return
    for fact in view.facts:
        st.markdown(fact)
    if not view.kpis:
        return
    kpi = st.selectbox("KPI", view.kpis, index=view.kpis.index(view.default_kpi), key=f"{prefix}_kpi",
                       format_func=_kpi_label)  # fmt: skip
    pareto = view.default_pareto or (kpi, kpi)
    left, right = st.columns(2)
    kpi_x = left.selectbox("Pareto front: across", view.kpis, index=view.kpis.index(pareto[0]),
                           key=f"{prefix}_pareto_x", format_func=_kpi_label)  # fmt: skip
    kpi_y = right.selectbox("against", view.kpis, index=view.kpis.index(pareto[1]), key=f"{prefix}_pareto_y",
                            format_func=_kpi_label)  # fmt: skip
    with st.container(key=f"{prefix}_answer"):
        for sentence in view.pareto_sentences(kpi_x, kpi_y):
            st.markdown(f"- {sentence}")
    if view.finalists is not None:
        st.subheader("Finalists")
        table(view.finalists)
    st.subheader("Plans")
    table(view.table(list(dict.fromkeys([kpi, kpi_x, kpi_y]))))
    for title, what, kpis in (
        ("Main effects", "main effects", (kpi,)),
        ("Two factors together", "heatmap", (kpi,)),
        ("Pareto front", "pareto", (kpi_x, kpi_y)),
    ):
        st.subheader(title)
        fig = _drawn(str(path), stamp, what, kpis)
        if fig is None:
            st.caption(view.figure_note(what, *kpis) or "")  # type: ignore[arg-type]
        else:
            figure(fig)
    _store_downloads(view, path, stamp, prefix, (kpi_x, kpi_y))


def _store_downloads(view: stores.StoreView, path: Path, stamp: tuple[int, int], prefix: str, pareto: tuple) -> None:
    left, right = st.columns(2)
    left.download_button("Download the store", path.read_bytes(), file_name=path.name,
                         mime="application/vnd.sqlite3", key=f"{prefix}_download_store",
                         icon=":material/download:")  # fmt: skip
    if view.kind != "sweep" or pareto[0] == pareto[1]:
        return
    if right.toggle("Make the sweep report", key=f"{prefix}_make_report"):
        right.download_button("Download sweep_report.html", _sweep_report(str(path), stamp, pareto),
                              file_name="sweep_report.html", mime="text/html", key=f"{prefix}_download_report",
                              icon=":material/download:")  # fmt: skip


def _store_tab() -> None:
    ws = workspace()
    found = stores.found_stores(jobs(), ws)
    upload = st.file_uploader(
        "Upload a store (.db)",
        type=[s.lstrip(".") for s in stores.STORE_SUFFIXES],
        key="explore_store_upload",
        help=f"A sweep's or an optimization's result store, up to {stores.MAX_STORE_UPLOAD_BYTES // 2**20} MB.",
    )
    if upload is not None and st.session_state.get("explore_store_saved") != (upload.name, upload.size):
        try:
            saved = stores.save_store_upload(ws, upload.name, upload.getvalue())
        except (UploadError, stores.StoreProblem) as error:
            st.error(str(error))
        else:
            st.session_state["explore_store_saved"] = (upload.name, upload.size)
            found = stores.found_stores(jobs(), ws)
            st.session_state["explore_store_found"] = next(k for k, v in found.items() if v == saved)
    placeholder = "Choose a store" if found else "Run a sweep or upload a store first"
    chosen = st.selectbox("A store made or uploaded here", list(found), index=None, key="explore_store_found",
                          placeholder=placeholder)  # fmt: skip
    typed = st.text_input(
        "Or the path of a store made with the command line",
        key="explore_store_path",
        help="Inside the app's data folder, this tab's workspace or the folder the app was started in.",
    )
    path: Path | None = found.get(chosen) if chosen else None
    if typed.strip():
        try:
            path = stores.allowed_store_path(typed, [data_root(), ws.folder, Path.cwd()])
        except stores.StoreProblem as error:
            st.error(str(error))
            return
    if path is not None:
        _show_store(path, "explore_store")


# -- access and work ----------------------------------------------------------------------------------------


def _access_tab() -> None:
    ws = workspace()
    base = ws.base()
    if base is None:
        st.info("Choose a scenario on **Start** first.")
        return
    chosen = _plan_choice(ws, base, "explore_aw_plan")
    if chosen is None:
        return
    scenario, _ = chosen
    seed = int(st.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="explore_aw_seed"))
    st.subheader("Access over weeks")
    if scenario.access is None:
        st.info("This plan has no `access:` section (booking over weeks); see scenarios/family_medicine_access.yaml.")
    else:
        _access(scenario, seed)
    st.subheader("Work between visits")
    if not scenario.work:
        st.info("This plan has no `work:` streams; see scenarios/family_medicine_inbox.yaml.")
    else:
        _work(scenario, seed)


def _access(scenario: Scenario, seed: int) -> None:
    columns = st.columns(3)
    weeks = columns[0].number_input("Weeks", min_value=1, max_value=104, value=8, key="explore_access_weeks")
    warm_up = columns[1].number_input("Warm-up weeks", min_value=0, max_value=26, value=2,
                                      key="explore_access_warm_up")  # fmt: skip
    runs = columns[2].number_input("Runs", min_value=2, max_value=100, value=5, key="explore_access_runs")
    if st.button("Book the weeks", key="explore_access_run", icon=":material/play_arrow:"):
        started = analyses.start_access(
            jobs(), scenario, weeks=int(weeks), warm_up=int(warm_up), replications=int(runs), seed=seed
        )
        _started("access", started)
    key = _job("access")
    if key is None or not _finished("access", key, "runs"):
        return
    table(analyses.access_table(_results("access", key)))
    _figures("access", key)


def _work(scenario: Scenario, seed: int) -> None:
    days = st.number_input("Simulated days", min_value=2, max_value=100, value=5, key="explore_work_days")
    if st.button("Simulate the days", key="explore_work_run", icon=":material/play_arrow:"):
        _started("work", analyses.start_work_days(jobs(), scenario, days=int(days), seed=seed))
    key = _job("work")
    if key is None or not _finished("work", key, "days"):
        return
    st.markdown("**Minutes of work per day, by stream and who did it**")
    table(analyses.work_table(_results("work", key)))
    _figures("work", key)


_VIEWS: dict[str, tuple[Callable[[Path], Any], Callable[[Any], list]]] = {
    "access": (analyses.load_access, analyses.access_figures),
    "work": (analyses.load_days, analyses.work_figures),
}
"""How a finished access or work job is read, and drawn as (title, figure) pairs."""


@st.cache_resource(max_entries=4, show_spinner="Reading the results")
def _results(kind: str, key: str) -> Any:
    return _VIEWS[kind][0](jobs().path(key))


@st.cache_resource(max_entries=4, show_spinner="Drawing")
def _drawn_views(kind: str, key: str) -> list:
    drawn = _VIEWS[kind][1](_results(kind, key))
    for _, fig in drawn:
        plt.close(fig)
    return drawn


def _figures(kind: str, key: str) -> None:
    for title, fig in _drawn_views(kind, key):
        st.markdown(f"**{title}**")
        figure(fig)


# -- calibration --------------------------------------------------------------------------------------------


def _calibrate_tab() -> None:
    ws = workspace()
    base = ws.base()
    st.markdown(
        "Upload an EHR visit export (CSV or Parquet, one row per visit with its timestamps): the app reports its "
        "data problems, fits the scenario's numbers to it and back-tests the result against the observed days."
    )
    export = st.file_uploader("Visit export", type=["csv", "parquet"], key="explore_calibration_upload",
                              help=f"Up to {MAX_EXPORT_UPLOAD_BYTES // 2**20} MB.")  # fmt: skip
    into = st.toggle(
        f"Calibrate into the base, {base.name}" if base else "Calibrate into the base (choose one on Start)",
        value=base is not None,
        disabled=base is None,
        key="explore_calibration_use_base",
        help="Off: a base is inferred from the export's appointment grid.",
    )
    left, right = st.columns(2)
    holdout = left.slider("Share of the last dates held out for the back-test", 0.0, 0.6, 0.3, 0.05,
                          key="explore_calibration_holdout")  # fmt: skip
    replications = right.number_input("Simulated replications per observed day", min_value=2, max_value=200,
                                      value=39, key="explore_calibration_replications")  # fmt: skip
    if st.button("Calibrate", type="primary", key="explore_calibration_run", disabled=export is None,
                 icon=":material/play_arrow:"):  # fmt: skip
        assert export is not None
        try:
            saved = ws.save_upload(export.name, export.getvalue(), limit=MAX_EXPORT_UPLOAD_BYTES)
        except UploadError as error:
            st.error(str(error))
            return
        started = analyses.start_calibration(jobs(), saved, base if into and base else None, holdout=float(holdout),
                                       replications=int(replications), seed=DEFAULT_SEED)  # fmt: skip
        _started("calibration", started)
    key = _job("calibration")
    if key is None or not _finished("calibration", key, "steps"):
        return
    _calibration_results(analyses.calibration_outcome(jobs().path(key)))


def _calibration_results(outcome: analyses.CalibrationOutcome) -> None:
    if outcome.problem is not None:
        st.error(outcome.problem, icon=":material/error:")
        return
    items = [f"{'    ' if line.startswith('  ') else ''}- {line.strip()}" for line in outcome.lines]  # nested: verdicts
    with st.container(key="explore_calibration_summary"):
        st.markdown("\n".join(items))
    if not outcome.data_problems.empty:
        st.subheader("Data problems")
        shown = outcome.data_problems[["sentence", "rows"]]
        st.dataframe(shown, hide_index=True, key="explore_calibration_problems")
    if not outcome.backtest.empty:
        st.subheader("Back-test")
        st.dataframe(outcome.backtest, hide_index=True, key="explore_calibration_backtest")
    left, right = st.columns(2)
    if outcome.report is not None:
        left.download_button(
            "Download calibration.html",
            outcome.report.read_bytes(),
            file_name=analyses.CALIBRATION_REPORT,
            mime="text/html",
            key="explore_calibration_report",
            icon=":material/download:",
        )
    if outcome.scenario_file is not None:
        right.download_button("Download the calibrated scenario", outcome.scenario_file.read_bytes(),
                              file_name=analyses.CALIBRATED_FILE, mime="application/yaml",
                              key="explore_calibration_scenario", icon=":material/download:")  # fmt: skip
