"""Batch sweeps: every point validated up front, results identical on any executor, and a killed sweep resumes
without losing or redoing finished work."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import clinicsim
from clinicsim.cli import main
from clinicsim.scenario import ScenarioError
from clinicsim.sweeps.runner import sweep
from clinicsim.sweeps.spec import SweepSpecError, load_sweep
from clinicsim.sweeps.store import StoreMismatch, open_sweep

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "family_medicine.yaml").as_posix()
INTERRUPT = Path(__file__).resolve().parent / "interrupt_sweep.py"
KPIS = ["patients_seen", "provider_wait_mean_min", "margin"]


def write_spec(tmp_path: Path, replications: int = 4, rooms=(6, 8), desk=(1, 2), name="spec.yaml", **extra) -> Path:
    lines = [
        "name: test sweep",
        f"base: {BASE}",
        "design: grid",
        "factors:",
        f"  - path: clinic.exam_rooms\n    values: {list(rooms)}",
        f"  - path: staff.Front desk.count\n    values: {list(desk)}",
        f"replications: {replications}",
        "seed: 7",
        f"kpis: {KPIS}",
        *[f"{k}: {v}" for k, v in extra.items()],
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def table(store: Path) -> pd.DataFrame:
    return open_sweep(store).replications().sort_values(["point", "replication"]).reset_index(drop=True)


def test_points_are_validated_before_anything_runs(tmp_path):
    spec = write_spec(tmp_path, rooms=(8, -1))
    with pytest.raises(SweepSpecError) as caught:
        sweep(spec, tmp_path / "s.db", workers=1)
    assert "clinic.exam_rooms=-1" in str(caught.value) and "cannot be negative" in str(caught.value)
    assert not (tmp_path / "s.db").exists()


def test_a_mistake_in_the_sweep_file_names_its_line(tmp_path):
    spec = write_spec(tmp_path, replications=1)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(spec)
    assert "replications: Input should be greater than or equal to 2" in str(caught.value)
    assert f"{spec}:" in str(caught.value)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_result_depends_only_on_scenario_seed_and_replication(tmp_path):
    results = sweep(write_spec(tmp_path), tmp_path / "s.db", workers=1)
    rows = table(tmp_path / "s.db")
    assert len(rows) == 4 * 4 and not rows.duplicated(["point", "replication"]).any()
    _, points = load_sweep(tmp_path / "spec.yaml")
    direct = clinicsim.simulate(points[3].scenario, replications=4, seed=7).kpis
    mine = rows[rows["point"] == 3].reset_index(drop=True)
    for kpi in KPIS:
        assert mine[kpi].tolist() == direct[kpi].tolist()
    assert set(results.points()["kpi"]) == set(KPIS)


@pytest.mark.slow
def test_serial_process_pool_and_dask_give_identical_tables(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    spec = write_spec(tmp_path)
    sweep(spec, tmp_path / "serial.db", workers=1)
    with ProcessPoolExecutor(max_workers=2) as pool:
        sweep(spec, tmp_path / "pool.db", executor=pool)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        sweep(spec, tmp_path / "dask.db", executor=client.get_executor(pure=False))
    serial = table(tmp_path / "serial.db")
    pd.testing.assert_frame_equal(serial, table(tmp_path / "pool.db"), check_exact=True)
    pd.testing.assert_frame_equal(serial, table(tmp_path / "dask.db"), check_exact=True)


def test_a_changed_spec_is_refused_unless_new(tmp_path):
    sweep(write_spec(tmp_path), tmp_path / "s.db", workers=1)
    changed = write_spec(tmp_path, rooms=(6, 9))
    with pytest.raises(StoreMismatch, match="use --new"):
        sweep(changed, tmp_path / "s.db", workers=1)
    result = CliRunner().invoke(main, ["sweep", str(changed), "--store", str(tmp_path / "s.db"), "--workers", "1"])
    assert result.exit_code == 2 and "different sweep" in result.output
    sweep(changed, tmp_path / "s.db", workers=1, new=True)
    assert set(table(tmp_path / "s.db")["clinic.exam_rooms"]) == {6, 9}


def test_running_a_finished_sweep_again_does_nothing(tmp_path):
    spec = write_spec(tmp_path)
    sweep(spec, tmp_path / "s.db", workers=1)
    before = table(tmp_path / "s.db")
    calls = []
    sweep(spec, tmp_path / "s.db", workers=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(16, 16)]
    pd.testing.assert_frame_equal(before, table(tmp_path / "s.db"))


def _stored(store: Path) -> int:
    with sqlite3.connect(store, timeout=30) as connection:
        return connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]


def _sweep_command(spec: Path, store: Path) -> list[str]:
    return ["sweep", str(spec), "--store", str(store), "--workers", "2"]


def _interrupt_after_chunks(spec: Path, store: Path, signal_number: int, chunks: int) -> int:
    """Run the sweep in its own process group and send it ``signal_number`` right after its ``chunks``-th chunk
    is stored (see interrupt_sweep.py); return its exit status."""
    command = [sys.executable, str(INTERRUPT), signal.Signals(signal_number).name, str(chunks), "--"]
    done = subprocess.run(
        [*command, *_sweep_command(spec, store)], capture_output=True, start_new_session=True, timeout=300
    )
    return done.returncode


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_a_killed_sweep_resumes_without_losing_or_redoing_work(tmp_path, signal_number):
    spec = write_spec(tmp_path, replications=30, rooms=(6, 8, 10), desk=(1, 2, 3))
    total = 9 * 30
    store = tmp_path / "killed.db"
    returncode = _interrupt_after_chunks(spec, store, signal_number, chunks=3)
    assert returncode == (130 if signal_number == signal.SIGINT else -signal.SIGKILL)
    partial = _stored(store)
    assert 0 < partial < total, "three chunks of at least eight are stored"
    assert len(open_sweep(store).replications()) == partial  # readable, and only whole chunks are there
    progress = []
    sweep(spec, store, workers=2, progress=lambda done, total: progress.append(done))
    assert progress[0] == partial, "the resumed sweep starts from the finished work"
    assert progress[-1] == total
    sweep(spec, tmp_path / "whole.db", workers=1)
    pd.testing.assert_frame_equal(table(store), table(tmp_path / "whole.db"), check_exact=True)
