"""The script Streamlit runs for ``clinicsim app``: the page settings and the four pages."""

from __future__ import annotations

import streamlit as st

from clinicsim.app.pages import compare, explore, plan, start

st.set_page_config(page_title="clinicsim", page_icon=":material/local_hospital:", layout="wide")
st.navigation(
    [
        st.Page(start.page, title="Start", url_path="start", icon=":material/home:", default=True),
        st.Page(plan.page, title="Change the plan", url_path="plan", icon=":material/edit_calendar:"),
        st.Page(compare.page, title="Compare", url_path="compare", icon=":material/compare_arrows:"),
        st.Page(explore.page, title="Explore", url_path="explore", icon=":material/explore:"),
    ]
).run()
