"""Bad sweep files and options never crash, hang or leave a store behind.

The corpus mutates the bundled sweep files (scenarios/sweeps/) the way bad_input.py mutates scenarios, plus the
mistakes particular to sweeps (duplicate KPIs, factors or point names, an empty KPI list, a grid of 10^10 points,
an alias bomb in a factor's values, a base that is missing or not UTF-8). Each is checked with ``clinicsim
validate`` and with ``clinicsim sweep``: exit 0 (then, when small, the sweep runs), or exit 2 with ``error:
FILE:LINE: FIELD: message`` lines, no traceback, and no store file left by a refused sweep.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input import ERROR_LINE, VALUE_MUTATIONS, dump, places, plain, replaced
from click.testing import CliRunner

from clinicsim.cli import main

SWEEPS = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "sweeps").glob("*.yaml"))


def _spec_data(path: Path) -> dict:
    data = plain(path)
    data["base"] = str((path.parent / data["base"]).resolve())
    return data


def _mutants(path: Path, per_kind: int) -> list[tuple[str, str, bool]]:
    """(name, text, must fail) of value mutations at places spread over the sweep file."""
    data = _spec_data(path)
    everything = [(at, value) for at, value in list(places(data))[1:] if at[0] != "base"]
    out = []
    for kind, (applies, mutate, must_fail) in VALUE_MUTATIONS.items():
        where = [(at, value) for at, value in everything if applies(value)]
        for at, value in where[:: max(1, len(where) // per_kind)][:per_kind]:
            out.append((f"{path.stem}: {kind} at {at}", dump(replaced(data, at, mutate(value))), must_fail))
    return out


def _sweep_mistakes() -> list[tuple[str, str, bool]]:
    small = _spec_data(SWEEPS[-1])
    grid = {**small, "factors": [{"path": "clinic.exam_rooms", "values": list(range(1, 11))}] * 10}
    big = {**small, "factors": [{"path": f"clinic.room_turnover_min{k}", "values": list(range(47))} for k in "abc"]}
    bomb = dump({**small, "factors": []}).replace(
        "factors: []\n",
        "factors:\n- path: clinic.exam_rooms\n  values: &a [[1, 1, 1, 1, 1, 1, 1, 1]]\n"
        + "".join(
            f"- path: clinic.exam_rooms\n  values: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n"
            for a, b in zip("abcdef", "bcdefg")
        ),
    )
    return [
        ("duplicate KPIs", dump({**small, "kpis": ["margin", "margin"]}), True),
        ("empty KPI list", dump({**small, "kpis": []}), True),
        ("unknown KPI", dump({**small, "kpis": ["margins"]}), True),
        ("a factor given twice", dump({**small, "factors": small["factors"] + small["factors"][:1]}), True),
        ("a grid of 10^10 points", dump(grid), True),
        ("a grid of 103,823 points", dump(big), True),
        ("alias bomb in a factor", bomb, True),
        (
            "two points with one name",
            dump(
                {
                    **small,
                    "design": "points",
                    "factors": [],
                    "points": [{"name": "a", "changes": {}}, {"name": "a", "changes": {}}],
                }
            ),
            True,
        ),
        ("an unknown setting", dump({**small, "factors": [{"path": "clinic.exam_roomz", "values": [1, 2]}]}), True),
        (
            "a setting set to nonsense in every point",
            dump({**small, "factors": [{"path": "clinic.exam_rooms", "values": [-1, -2]}]}),
            True,
        ),
        ("a missing base", dump({**small, "base": "/nowhere/base.yaml"}), True),
        ("replications .inf", dump({**small, "replications": float("inf")}), True),
    ]


def _judge(tmp_path: Path, name: str, text: str, must_fail: bool) -> None:
    spec, store = tmp_path / "spec.yaml", tmp_path / "s.db"
    spec.write_text(text)
    runner = CliRunner()
    checked = runner.invoke(main, ["validate", str(spec)])
    assert checked.exception is None or isinstance(checked.exception, SystemExit), f"{name}: {checked.exception!r}"
    assert "Traceback" not in checked.output
    if checked.exit_code == 0:
        assert not must_fail, f"{name}: accepted\n{checked.output}"
        return
    assert checked.exit_code == 2, f"{name}: exit {checked.exit_code}\n{checked.output}"
    errors = [line for line in checked.output.splitlines() if line.strip() and not line.startswith("warning: ")]
    assert errors and all(ERROR_LINE.match(line) for line in errors), f"{name}:\n{checked.output}"
    swept = runner.invoke(main, ["sweep", str(spec), "--store", str(store), "--workers", "1"])
    assert swept.exit_code == 2 and "Traceback" not in swept.output, f"{name}: sweep\n{swept.output}"
    assert not any(tmp_path.glob("s.db*")), f"{name}: a refused sweep left a store behind"


@pytest.mark.parametrize(
    ("name", "text", "must_fail"), _sweep_mistakes(), ids=lambda v: v if isinstance(v, str) and len(v) < 60 else None
)
def test_sweep_mistakes_are_refused_cleanly_and_leave_no_store(tmp_path, name, text, must_fail):
    _judge(tmp_path, name, text, must_fail)


@pytest.mark.slow
@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_mutated_sweep_files_are_accepted_or_refused_cleanly(tmp_path, path):
    cases = _mutants(path, per_kind=4 if "small" in path.stem else 1)  # each of the large one's 432 points is checked
    assert len(cases) > 10
    for k, (name, text, must_fail) in enumerate(cases):
        folder = tmp_path / str(k)
        folder.mkdir()
        _judge(folder, name, text, must_fail)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--workers", "2", "--dask", "tcp://127.0.0.1:1"], "--workers and --dask exclude each other"),
        (["--resume", "--new"], "--resume and --new exclude each other"),
        (["--resume"], "no store to resume"),
    ],
)
def test_bad_sweep_options_exit_2_without_a_traceback(tmp_path, arguments, expected):
    spec = tmp_path / "spec.yaml"
    spec.write_text(dump(_spec_data(SWEEPS[-1])))
    result = CliRunner().invoke(main, ["sweep", str(spec), "--store", str(tmp_path / "s.db"), *arguments])
    assert result.exit_code == 2 and "Traceback" not in result.output and expected in result.output


@pytest.mark.parametrize("out", ["/proc/clinicsim-report", "a-file/below"], ids=["under /proc", "under a file"])
def test_an_unwritable_out_folder_is_refused_before_simulating(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a folder")
    scenario = str(Path(__file__).resolve().parents[2] / "scenarios" / "family_medicine.yaml")
    for command in (["run", scenario, "-n", "500"], ["compare", scenario, scenario, "-n", "500"]):
        result = CliRunner().invoke(main, [*command, "--out", out])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert f"error: --out {out}: cannot write there" in result.output
        assert "simulated days" not in result.output  # refused before any day ran
