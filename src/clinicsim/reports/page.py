"""The page every HTML report shares: its Jinja2 templates (``report_base.html.j2`` holds the layout and
style the reports extend) and figures embedded as PNG data URIs, so a report is one file that needs no network
and can be e-mailed."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Figure:
    """A figure of the report: title, caption and the PNG as a data URI."""

    title: str
    caption: str
    data_uri: str


def png_data_uri(ax) -> str:
    """The figure of ``ax`` as a PNG data URI (closing the figure), for embedding in a self-contained page."""
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def html_template(name: str):
    """A packaged HTML report template (a ``jinja2.Template``), autoescaped and strict about missing values; the
    reports extend ``report_base.html.j2``, which holds their shared page and style."""
    import jinja2

    def packaged(template: str) -> str:
        return resources.files("clinicsim.reports").joinpath(template).read_text(encoding="utf-8")

    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(packaged), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return environment.get_template(name)
