"""Headless test of streamlit_app.py with Streamlit's harness, streamlit.testing.v1.AppTest: no browser."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).with_name("streamlit_app.py"))


def test_summary_slider_and_compare():
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert at.text[0].value == "Family medicine, current template: 4 providers"
    at.slider(key="slot").set_value(15).run()
    assert at.text[1].value.startswith("Variant: fm_20 slot length 15 min")
    at.button(key="compare").click().run()
    assert at.text[2].value.startswith("Provider wait, mean: +") and "5 days" in at.text[2].value
