"""Start: choose a bundled scenario or upload one, and see the clinic on one screen."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from clinicsim.app.pages.common import figure, show_error, show_warnings, table
from clinicsim.app.state import scenarios_folder, warm_up, workspace
from clinicsim.app.workspace import UploadError
from clinicsim.scenario import Scenario
from clinicsim.scenario.files import parse_yaml, read_text
from clinicsim.scenario.problems import ScenarioError


@st.cache_data(show_spinner=False)
def _bundled(folder: str) -> dict[str, str]:
    """Bundled scenario files by file name, with the scenario's name (read, not validated: choosing one does)."""
    found = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            found[path.name] = str(parse_yaml(read_text(path), str(path)).get("name", path.stem))
        except ScenarioError:
            continue
    return found


def page() -> None:
    st.title("Start")
    st.caption("Choose the clinic to work on: a bundled example or your own scenario file.")
    ws = workspace()
    source = st.radio("Scenario", ["A bundled scenario", "Upload a scenario file"], horizontal=True, key="start_source")
    if source == "A bundled scenario":
        _choose_bundled()
    else:
        _upload()
    base = ws.base()
    if base is not None:
        _summary(base, ws.base_path)
    warm_up()


def _choose_bundled() -> None:
    folder = scenarios_folder()
    if folder is None:
        st.warning("No bundled scenarios here: start `clinicsim app --scenarios DIR`, or upload a file.")
        return
    files = _bundled(str(folder))
    current = workspace().base_path
    names = list(files)
    index = names.index(current.name) if current is not None and current.name in names else 0
    choice = st.selectbox(
        "Bundled scenario", names, index=index, format_func=lambda f: f"{files[f]} ({f})", key="start_bundled"
    )
    if choice and (current is None or current != (folder / choice).resolve()):
        if st.button("Use this scenario", key="start_use", type="primary"):
            workspace().choose_base(folder / choice)
            st.rerun()


def _upload() -> None:
    st.caption(
        "A YAML scenario file, with any CSV files it names and the file it extends. Nothing leaves this "
        "machine; files are kept in this tab's workspace folder and may only name each other."
    )
    uploads = st.file_uploader(
        "Scenario file", type=["yaml", "yml", "csv"], accept_multiple_files=True, key="start_upload"
    )
    if not uploads:
        return
    ws = workspace()
    saved = {}
    for upload in uploads:
        try:
            saved[upload.name] = ws.save_upload(upload.name, upload.getvalue())
        except UploadError as error:
            st.error(str(error))
            return
    scenarios = [name for name in saved if name.lower().endswith((".yaml", ".yml"))]
    if not scenarios:
        st.error("Upload the scenario's YAML file too.")
        return
    main = (
        scenarios[0]
        if len(scenarios) == 1
        else st.selectbox("Which file is the scenario?", scenarios, key="start_upload_main")
    )
    path = saved[main]
    try:
        ws.choose_base(path)
    except ScenarioError as error:
        st.subheader(f"{main} cannot be used")
        with st.container(key="start_errors"):
            show_error(error, text=path.read_text(errors="replace"))
        return
    st.success(f"{main} is valid and is now the base.", icon=":material/check_circle:")


def _summary(base: Scenario, path: Path | None) -> None:
    from clinicsim.app import summary  # matplotlib and the engine's planning: not needed for the first screen

    clinic = summary.summarize_clinic(base)
    st.header(base.name)
    if base.description:
        st.caption(base.description)
    with st.container(key="start_summary"):
        for fact in clinic.facts:
            st.markdown(f"- {fact}")
    show_warnings(base)
    st.subheader("Providers and their templates")
    figure(summary.template_figure(base))
    table(clinic.providers)
    left, right = st.columns(2)
    with left:
        st.subheader("Staff on duty by hour")
        figure(summary.staffing_figure(clinic))
    with right:
        st.subheader("Visit mix")
        figure(summary.visit_mix_figure(clinic))
    left, right = st.columns(2)
    with left:
        st.subheader("Rooms")
        table(clinic.rooms)
    with right:
        st.subheader("Visit types")
        table(clinic.visit_mix)
    if path is not None:
        st.caption(f"From {path.name}. Next: **Change the plan** to make variants of it.")
