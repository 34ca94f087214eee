"""Panel version of the benchmark app: ``panel serve benchmarks/app_frameworks/panel_app.py``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import panel as pn  # noqa: E402
from _common import compare_line, scenario_files, summary_line, variant_line  # noqa: E402


def build() -> pn.Column:
    scenario = pn.widgets.Select(label="Scenario", options=scenario_files())
    days = pn.widgets.IntInput(label="days", value=5, start=1, end=200, css_classes=["cs-days"])
    slot = pn.widgets.IntSlider(label="slot length", start=10, end=30, step=5, value=20)
    button = pn.widgets.Button(label="Compare", color="primary")
    summary = pn.pane.Str(pn.bind(summary_line, scenario), css_classes=["cs-summary"])
    variant = pn.pane.Str(pn.bind(variant_line, scenario, slot), css_classes=["cs-variant"])
    kpi = pn.pane.Str("", css_classes=["cs-kpi"])

    def on_compare(_event) -> None:
        button.loading = True
        try:
            kpi.object = compare_line(scenario.value, days.value, slot.value)
        finally:
            button.loading = False

    button.on_click(on_compare)
    return pn.Column("# clinicsim", scenario, days, slot, summary, variant, button, kpi)


build().servable(title="clinicsim")
