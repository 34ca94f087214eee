"""What the app's pages share: the server's settings, its jobs, and the browser tab's workspace.

``clinicsim app`` passes its settings to the Streamlit server in environment variables (``CLINICSIM_APP_DATA``:
the folder of workspaces and job results; ``CLINICSIM_APP_SCENARIOS``: the bundled scenarios offered on Start;
``CLINICSIM_APP_WORKERS``: worker processes), so a test harness sets them the same way.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path

import streamlit as st

from clinicsim.app.jobs import Jobs
from clinicsim.app.workspace import Workspace

WARM_UP = ("clinicsim.app.summary", "clinicsim.app.pages.plan", "clinicsim.app.pages.compare")
"""Modules imported in the background once the first screen is drawn, so that the next pages open at once."""

WORKSPACE_PARAM = "w"
"""The query parameter of the page's address that names the tab's workspace (a reload keeps it)."""


def data_root() -> Path:
    """The folder of workspaces and results (default: ``~/.cache/clinicsim/app``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "clinicsim" / "app"
    return Path(os.environ.get("CLINICSIM_APP_DATA", default))


def scenarios_folder() -> Path | None:
    """The folder of bundled scenarios offered on Start: ``CLINICSIM_APP_SCENARIOS``, else ``./scenarios``, else
    the source checkout's; None if there is none."""
    here = Path(__file__).resolve().parents[3] / "scenarios"
    for folder in (os.environ.get("CLINICSIM_APP_SCENARIOS"), Path.cwd() / "scenarios", here):
        if folder and Path(folder).is_dir():
            return Path(folder)
    return None


@st.cache_resource
def _jobs(folder: str, workers: int) -> Jobs:
    return Jobs(Path(folder), workers)


def jobs() -> Jobs:
    """The server's jobs (one pool of worker processes for every tab)."""
    return _jobs(str(data_root() / "jobs"), int(os.environ.get("CLINICSIM_APP_WORKERS", os.cpu_count() or 1)))


def workspace() -> Workspace:
    """This tab's workspace, named in the page's address (``?w=...``); a new one for a tab without."""
    if "workspace" not in st.session_state:
        found = Workspace(data_root() / "workspaces", st.query_params.get(WORKSPACE_PARAM))
        st.session_state["workspace"] = found
    found = st.session_state["workspace"]
    if st.query_params.get(WORKSPACE_PARAM) != found.id:
        st.query_params[WORKSPACE_PARAM] = found.id
    return found


@st.cache_resource
def warm_up() -> threading.Thread:
    """Import ``WARM_UP`` in the background, once per server (call it after the first screen is drawn)."""
    thread = threading.Thread(target=_import_all, args=(WARM_UP,), daemon=True)
    thread.start()
    return thread


def _import_all(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)
