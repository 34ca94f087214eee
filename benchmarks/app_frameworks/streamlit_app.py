"""Streamlit version of the benchmark app: ``streamlit run benchmarks/app_frameworks/streamlit_app.py``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import streamlit as st  # noqa: E402
from _common import compare_line, scenario_files, summary_line, variant_line  # noqa: E402

st.title("clinicsim")
scenario = st.selectbox("Scenario", scenario_files(), key="scenario")
days = st.number_input("days", min_value=1, max_value=200, value=5, step=1, key="days")
slot = st.slider("slot length", min_value=10, max_value=30, value=20, step=5, key="slot")

with st.container(key="summary"):
    st.text(summary_line(scenario))
with st.container(key="variant"):
    st.text(variant_line(scenario, slot))

if st.button("Compare", key="compare"):
    with st.spinner("Comparing..."):
        st.session_state["kpi"] = compare_line(scenario, days, slot)
with st.container(key="kpi"):
    st.text(st.session_state.get("kpi", ""))
