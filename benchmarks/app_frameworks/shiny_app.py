"""Shiny for Python version of the benchmark app: ``shiny run benchmarks/app_frameworks/shiny_app.py``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import compare_line, scenario_files, summary_line, variant_line  # noqa: E402
from shiny import App, reactive, render, ui  # noqa: E402

app_ui = ui.page_fixed(
    ui.h1("clinicsim"),
    ui.input_select("scenario", "Scenario", scenario_files()),
    ui.input_numeric("days", "days", value=5, min=1, max=200, step=1),
    ui.input_slider("slot", "slot length", min=10, max=30, value=20, step=5),
    ui.output_text("summary"),
    ui.output_text("variant"),
    ui.input_action_button("compare", "Compare"),
    ui.output_text("kpi"),
)


def server(input, output, session):
    @render.text
    def summary():
        return summary_line(input.scenario())

    @render.text
    def variant():
        return variant_line(input.scenario(), input.slot())

    @render.text
    @reactive.event(input.compare)
    def kpi():
        return compare_line(input.scenario(), input.days(), input.slot())


app = App(app_ui, server)
