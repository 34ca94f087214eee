"""The script Streamlit runs for ``clinicsim app``: the page settings and the four pages.

Each page's module is imported when the page is first drawn, so the first screen does not wait for what the
other pages need (the comparison's reports, the explore views).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st


def _page(name: str) -> Callable[[], None]:
    def draw() -> None:
        importlib.import_module(f"clinicsim.app.pages.{name}").page()

    draw.__name__ = name
    return draw


st.set_page_config(page_title="clinicsim", page_icon=":material/local_hospital:", layout="wide")
st.navigation(
    [
        st.Page(_page("start"), title="Start", url_path="start", icon=":material/home:", default=True),
        st.Page(_page("plan"), title="Change the plan", url_path="plan", icon=":material/edit_calendar:"),
        st.Page(_page("compare"), title="Compare", url_path="compare", icon=":material/compare_arrows:"),
        st.Page(_page("explore"), title="Explore", url_path="explore", icon=":material/explore:"),
    ]
).run()
