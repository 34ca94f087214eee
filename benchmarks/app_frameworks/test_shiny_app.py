"""Headless test of shiny_app.py with Shiny's own in-memory harness (shiny.testserver.test_server): no browser."""

from pathlib import Path

from shiny.testserver import test_server

APP = Path(__file__).with_name("shiny_app.py")


def test_summary_slider_and_compare():
    with test_server(APP, timeout_secs=30) as ts:
        ts.set_inputs(scenario="family_medicine.yaml", days=5, slot=20)  # no browser sends the UI's defaults
        assert ts.get_output("summary") == "Family medicine, current template: 4 providers"
        ts.set_inputs(slot=15)
        assert ts.get_output("variant").value.startswith("Variant: fm_20 slot length 15 min")
        ts.set_inputs(compare=1)  # an action button's value is its click count
        kpi = ts.get_output("kpi").value
        assert kpi.startswith("Provider wait, mean: +") and "5 days" in kpi
