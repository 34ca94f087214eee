"""The work tables and figures on a hand-worked day: items, response times, open items over the day, shares."""

from __future__ import annotations

import math

import matplotlib
import pytest
from test_engine_timelines import run
from test_work_timelines import INBOX_AFTER_HOURS, one_visit_day, stage, stream

from clinicsim import work_plots
from clinicsim.reports.comparison import render_report

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def results():
    """As in test_work_timelines: one patient 480-500; three 10-minute messages at 505, due 25 minutes later: the
    first done 505-515 on duty, the others after hours 515-525 and 525-535; a 2-minute call for the MA (on duty
    until 12:00 and free) at 600, answered at once, 600-602."""
    inbox = {**INBOX_AFTER_HOURS, "due_within_min": 25}
    calls = stream("calls", [stage({"role": "medical_assistant"}, 2)], at=[{"time": "10:00", "count": 1}])
    scenario = one_visit_day(inbox, calls)
    return run(scenario)


def test_items_with_their_response_times_and_targets(results):
    items = work_plots.work_items(results).set_index("item")
    assert items["response_min"].tolist() == [10, 20, 30, 2]
    assert items["within_target"].iloc[:3].tolist() == [1, 1, 0]  # due at 530: the third ends at 535
    assert math.isnan(items.loc[3, "within_target"])  # calls have no target


def test_open_items_rise_on_arrival_and_fall_as_items_are_done(results):
    table = work_plots.open_items_over_the_day(results)
    assert table.loc[500, "inbox"] == 0 and table.loc[505, "inbox"] == 3
    assert table.loc[515, "inbox"] == 2 and table.loc[535, "inbox"] == 0
    assert table.loc[600, "calls"] == 1 and table.loc[605, "calls"] == 0


def test_who_does_which_share(results):
    shares = work_plots.work_shares(results)
    assert shares.loc["inbox", "provider"] == 30 and shares.loc["calls", "medical_assistant"] == 2


def test_the_report_has_a_work_section(results):
    html = render_report(results)
    section = html[html.index("<h2>Work between visits</h2>") : html.index("<h2>Figures</h2>")]
    assert section.count("<img") == 2 and "inbox" in section
