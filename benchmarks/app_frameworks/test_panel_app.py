"""Test of panel_app.py the Panel way: the app is a tree of Python objects; set widget values, read pane objects."""

import sys
from pathlib import Path

import panel as pn

sys.path.insert(0, str(Path(__file__).parent))
from panel_app import build  # noqa: E402


def test_summary_slider_and_compare():
    app = build()
    summary, variant, kpi = app.select(pn.pane.Str)
    assert summary.object == "Family medicine, current template: 4 providers"
    app.select(pn.widgets.IntSlider)[0].value = 15
    assert variant.object.startswith("Variant: fm_20 slot length 15 min")
    app.select(pn.widgets.Button)[0].clicks += 1  # runs the on_click callbacks
    assert kpi.object.startswith("Provider wait, mean: +") and "5 days" in kpi.object
