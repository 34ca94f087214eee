"""Background jobs of the web app: results on disk by what they depend on, progress, cancel, failure, and a
comparison put together from per-plan jobs that is the one ``clinicsim.compare`` gives."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

import clinicsim
from clinicsim.app.jobs import Jobs, JobStatus, job_key
from clinicsim.app.runs import comparison_status, load_comparison, plan_key, start_comparison

ROOT = Path(__file__).resolve().parents[2]
FAMILY = ROOT / "scenarios" / "family_medicine.yaml"


def count_to(folder: Path, progress, *, n: int, pause: float = 0.0) -> None:
    """A task: report n steps, then write how many there were."""
    for i in range(n):
        time.sleep(pause)
        progress(i + 1, n)
    (folder / "out.txt").write_text(str(n))


def fail(folder: Path, progress, *, message: str) -> None:
    raise ValueError(message)


def wait(jobs: Jobs, key: str, timeout: float = 60.0) -> JobStatus:
    end = time.monotonic() + timeout
    while not (status := jobs.status(key)).finished:
        assert time.monotonic() < end, f"job {key} still {status.state}"
        time.sleep(0.05)
    return status


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    pool = Jobs(tmp_path_factory.mktemp("jobs"), workers=2)
    yield pool
    pool.shutdown()


def test_keys_depend_on_every_input_and_only_on_them():
    assert job_key("plan", {"a": 1, "b": 2}, 5) == job_key("plan", {"b": 2, "a": 1}, 5)
    assert job_key("plan", {"a": 1}, 5) != job_key("plan", {"a": 1}, 6)


def test_a_job_runs_reports_its_progress_and_keeps_its_result(jobs):
    key = job_key("count", 4)
    assert jobs.status(key).state == "missing"
    jobs.submit(key, count_to, n=4)
    status = wait(jobs, key)
    assert (status.state, status.done, status.total) == ("done", 4, 4)
    assert (jobs.path(key) / "out.txt").read_text() == "4"
    assert jobs.submit(key, count_to, n=4).state == "done"  # asked again: the kept result, not run again


def test_a_failure_is_reported_with_its_message(jobs):
    key = job_key("fail", 1)
    jobs.submit(key, fail, message="no rooms")
    status = wait(jobs, key)
    assert status.state == "failed" and "no rooms" in status.message


def test_a_cancelled_job_stops_and_can_be_run_again(jobs):
    key = job_key("slow", 1)
    jobs.submit(key, count_to, n=200, pause=0.02)
    while jobs.status(key).done < 2:
        time.sleep(0.02)
    jobs.cancel(key)
    status = wait(jobs, key)
    assert status.state == "cancelled" and status.done < 200
    assert not (jobs.path(key) / "out.txt").exists()
    jobs.submit(key, count_to, n=3)
    assert wait(jobs, key).state == "done"


def test_a_job_left_by_an_earlier_server_is_interrupted(tmp_path):
    earlier = Jobs(tmp_path)
    (tmp_path / "abc").mkdir()
    (tmp_path / "abc" / "progress.json").write_text('{"done": 3, "total": 10}')
    assert earlier.status("abc") == JobStatus("interrupted", 3, 10)


def test_a_comparison_of_plan_jobs_is_clinicsim_compare_and_a_plan_run_once_is_not_run_again(jobs):
    base = clinicsim.load_scenario(FAMILY)
    plans = {"today": base, "shorter slots": base.with_changes({"templates.fm_20.slot_min": 15})}
    run = start_comparison(jobs, plans, days=4, seed=11)
    while not comparison_status(jobs, run).finished:
        time.sleep(0.05)
    assert comparison_status(jobs, run) == JobStatus("done", 8, 8)
    ours = load_comparison(jobs, run)
    theirs = clinicsim.compare(plans, replications=4, seed=11)
    pd.testing.assert_frame_equal(ours.differences(), theirs.differences())
    pd.testing.assert_frame_equal(ours.kpis, theirs.kpis)

    done_at = (jobs.path(plan_key(base, 4, 11)) / "done").stat().st_mtime_ns
    other = {"today": base, "more rooms": base.with_changes({"clinic.exam_rooms": 10})}
    again = start_comparison(jobs, other, days=4, seed=11)
    assert again.plans[0] == run.plans[0]  # the same days of the base ...
    assert (jobs.path(plan_key(base, 4, 11)) / "done").stat().st_mtime_ns == done_at  # ... not simulated again
    assert plan_key(base, 4, 12) != plan_key(base, 4, 11) != plan_key(base, 5, 11)


def die(folder: Path, progress) -> None:
    """A task whose worker process dies (as when it is killed or runs out of memory)."""
    import os

    os._exit(1)


@pytest.mark.slow  # a few seconds: runs simulations in worker processes
def test_a_worker_that_dies_leaves_its_job_interrupted_and_the_next_job_a_new_pool(tmp_path):
    pool = Jobs(tmp_path, workers=1)
    try:
        pool.submit("dies", die)
        end = time.monotonic() + 60
        while pool.status("dies").state not in ("interrupted",) and time.monotonic() < end:
            time.sleep(0.05)
        assert pool.status("dies").state == "interrupted"
        pool.submit("after", count_to, n=2)
        assert wait(pool, "after").state == "done"
    finally:
        pool.shutdown()


def test_a_job_two_tabs_want_stops_only_when_both_cancel(jobs):
    key = job_key("shared", 1)
    jobs.submit(key, count_to, owner="tab a", n=300, pause=0.02)
    jobs.submit(key, count_to, owner="tab b", n=300, pause=0.02)
    jobs.cancel(key, owner="tab a")
    time.sleep(0.3)
    assert jobs.status(key).state in ("queued", "running")  # tab b still waits for it
    jobs.cancel(key, owner="tab b")
    assert wait(jobs, key).state == "cancelled"
