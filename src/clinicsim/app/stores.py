"""Explore in the web app: sweeps of one or two factors, and result stores (sweep or optimization) opened.

A sweep is a sweep file (``sweeps.spec``) run by ``sweeps.runner.run_sweep`` into ``sweep.db`` in a job's folder
(``app.jobs``; its key a hash of the sweep file and the base, so asking again is instant); a store is read as the
sweep report reads it (``reports.sweep``) and drawn with ``sweep_plots``. Stores are opened only from this app's
own folders, the working folder, or an upload. Nothing here imports Streamlit.
"""

from __future__ import annotations

import io
import json
import logging
import math
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from ruamel.yaml import YAML

from clinicsim.app.jobs import Jobs, Progress, job_key
from clinicsim.app.plan_controls import Control, controls
from clinicsim.app.workspace import Workspace
from clinicsim.reports.sweep import DEFAULT_KPIS, DEFAULT_PARETO, SweepSnapshot, front_sentences, read_snapshot
from clinicsim.reports.sweep import snapshot_of as sweep_snapshot_of
from clinicsim.scenario import Scenario
from clinicsim.scenario.files import confined_to
from clinicsim.scenario.problems import Problem, ScenarioError
from clinicsim.sweeps.analysis import point_means, varying_factors
from clinicsim.sweeps.spec import Point, SweepPoint, SweepSpec, load_sweep
from clinicsim.sweeps.store import StoreError, open_sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from clinicsim.optimization.spec import OptimizeSpec

logger = logging.getLogger(__name__)

SWEEP_FILE = "sweep.yaml"
SWEEP_STORE = "sweep.db"
MAX_FACTORS = 2
"""Factors a sweep made on the page varies (more is the command line's ``clinicsim sweep``)."""
MAX_STORE_UPLOAD_BYTES = 200 * 1024 * 1024
"""Largest result store accepted from the browser (bytes)."""
STORE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
REMEMBERED = "explore.json"
"""This tab's explore jobs (sweep keys, the last access, work and calibration keys), in its workspace folder."""


class StoreProblem(ValueError):
    """A store that cannot be shown (not a clinicsim store, refused path, empty); ``str()`` says why, in one line."""


def problem_lines(error: ScenarioError) -> list[str]:
    """Each problem of ``error`` as "field: message" (without the temporary file's name a page has no use for)."""
    return [f"{p.field}: {p.message}" if p.field else p.message for p in error.problems]


# -- sweeps -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorChoice:
    """A setting administrators vary, offered on the page: its dotted path, a label and levels to start from."""

    path: str
    label: str
    levels: list[Any]


def _levels(control: Control) -> list[Any]:
    """Three levels around a number control's value: a quarter of it (at least one step, rounded to steps) below
    (if within the control's bounds), the value, and above."""
    value, step = control.value, control.step
    spread = max(step, round(abs(value) / 4 / step) * step)
    levels = [value - spread, value, value + spread]
    low = -math.inf if control.low is None else control.low
    high = math.inf if control.high is None else control.high
    whole = control.integer or (step >= 1 and all(float(v).is_integer() for v in levels))
    return [int(v) if whole else round(float(v), 6) for v in levels if low <= v <= high]


def factor_choices(scenario: Scenario) -> list[FactorChoice]:
    """The settings offered as factors: every number the plan page offers as a control (rooms, slot lengths,
    staff counts, no-show rates, visit durations, speed factors, access demand), with levels around its value."""
    return [
        FactorChoice(c.path, f"{c.group}: {c.label}" if c.group else c.label, _levels(c))
        for c in controls(scenario)
        if c.kind == "number"
    ]


def parse_levels(text: str) -> list[Any]:
    """Levels typed as a comma-separated list ("6, 8, 10"; YAML flow values, so ``{kind: bailey_welch, k: 2}``
    is one level); ValueError saying what is wrong."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    try:
        levels = yaml.load(f"[{text}]")
    except Exception as error:  # ruamel's YAMLError and its scanner errors
        raise ValueError(f"levels {text!r} are not a comma-separated list ({str(error).splitlines()[0]})") from None
    if not levels:
        raise ValueError("give at least one level")
    return list(levels)


def _yaml_text(data: dict[str, Any]) -> str:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.default_flow_style = None
    yaml.width = 120
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def sweep_spec_text(
    base_path: Path,
    factors: Sequence[tuple[str, Sequence[Any]]],
    *,
    days: int,
    seed: int,
    kpis: Sequence[str] | None = None,
    name: str | None = None,
    confine: Path | None = None,
) -> str:
    """The sweep file (YAML) of a grid over ``factors`` (dotted path, levels; one or two) of the scenario file at
    ``base_path``, ``days`` simulated days a point on ``seed``, keeping ``kpis`` (all when None). Checked as
    ``clinicsim sweep`` checks it (``load_sweep``): a ScenarioError names each problem's field (``problem_lines``).
    ``confine``: the folder the base's own files must stay in (an uploaded base: ``confinement``)."""
    if not 1 <= len(factors) <= MAX_FACTORS:
        problem = Problem(None, "factors", f"choose one or two factors, not {len(factors)}")
        raise ScenarioError("sweep", [problem])
    paths = [path for path, _ in factors]
    spec: dict[str, Any] = {
        "name": name or f"Explore {' x '.join(paths)}",
        "base": str(Path(base_path).resolve()),
        "design": "grid",
        "factors": [{"path": path, "values": list(levels)} for path, levels in factors],
        "replications": int(days),
        "seed": int(seed),
    }
    if kpis is not None:
        spec["kpis"] = list(kpis)
    text = _yaml_text(spec)
    check_sweep(text, confine=confine)
    return text


@contextmanager
def _confined(folder: Path | None) -> Iterator[None]:
    with confined_to(folder) if folder is not None else nullcontext():
        yield


def check_sweep(spec_text: str, *, confine: Path | None = None) -> tuple[SweepSpec, list[SweepPoint]]:
    """The sweep file's spec and points (``load_sweep``), or its ScenarioError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SWEEP_FILE
        path.write_text(spec_text)
        with _confined(confine):
            return load_sweep(path)


def confinement(workspace: Workspace, base_path: Path) -> Path | None:
    """The folder a scenario file's own files must stay in: the workspace's for one uploaded there, else None."""
    return workspace.folder.resolve() if base_path.resolve().is_relative_to(workspace.uploads.resolve()) else None


def sweep_key(spec_text: str, base: Scenario) -> str:
    """The key of a sweep job: its file and its base scenario's every setting."""
    return job_key("explore sweep", spec_text, base.model_dump(mode="json"))


def run_explore_sweep(
    folder: Path, progress: Progress, *, spec_text: str, confine: str | None = None, workers: int = 1
) -> None:
    """Job task: the sweep file into ``folder/sweep.yaml`` and its points run into ``folder/sweep.db``
    (``run_sweep``, reporting replications done; ``progress`` raises ``Cancelled`` to stop it, with the chunks
    finished so far stored). ``workers``: processes of the sweep's own pool (1: in this job's process)."""
    (folder / SWEEP_FILE).write_text(spec_text)
    from clinicsim.sweeps.runner import run_sweep

    with _confined(Path(confine) if confine else None):
        spec, points = load_sweep(folder / SWEEP_FILE)
    run_sweep(spec, points, folder / SWEEP_STORE, workers=workers, progress=progress)


def start_sweep(jobs: Jobs, spec_text: str, base: Scenario, *, confine: Path | None = None) -> str:
    """Submit the sweep (nothing runs if it is done or running); its key."""
    key = sweep_key(spec_text, base)
    jobs.submit(key, run_explore_sweep, spec_text=spec_text, confine=str(confine) if confine else None)
    return key


# -- result stores ------------------------------------------------------------------------------------------


def _stored_spec(path: Path) -> dict[str, Any]:
    """The spec a store keeps (a sweep's, or ``{"optimization": ...}``), read only; StoreProblem for another file."""
    not_ours = f"{path.name} is not a clinicsim sweep or optimization store"
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = 'spec'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise StoreProblem(f"{not_ours} ({error})") from None
    if row is None:
        raise StoreProblem(f"{not_ours} (it keeps no spec)")
    try:
        data = json.loads(row[0])
    except ValueError:
        raise StoreProblem(f"{not_ours} (its spec is not JSON)") from None
    if not isinstance(data, dict):
        raise StoreProblem(f"{not_ours} (its spec is not a mapping)")
    return data


@dataclass
class StoreView:
    """A sweep's or an optimization's store as the page shows it: what it holds, the plans with their means, and
    figures of main effects, a heatmap of two factors and a Pareto front."""

    path: Path
    kind: Literal["sweep", "optimization"]
    name: str
    snapshot: SweepSnapshot
    facts: list[str]
    """What the store holds, in sentences."""
    finalists: pd.DataFrame | None = None
    """For an optimization: the plans its selection compares (from the search's days), with their objective means
    and whether they met the constraints."""
    objectives: tuple[str, ...] = ()
    """For an optimization: its objectives' KPIs."""
    notes: list[str] = field(default_factory=list)
    """Why a figure is not drawn (``figure_note``)."""

    @property
    def kpis(self) -> list[str]:
        """KPIs the store keeps."""
        return list(self.snapshot.kpis)

    @property
    def factors(self) -> list[str]:
        """Factors that vary among the plans with results."""
        return [] if self.snapshot.points.empty else varying_factors(self.snapshot.labelled)

    @property
    def default_kpi(self) -> str:
        """The KPI shown first: the first objective, else the sweep report's first, else the first kept."""
        for kpi in (*self.objectives, *DEFAULT_KPIS):
            if kpi in self.kpis:
                return kpi
        return self.kpis[0]

    @property
    def default_pareto(self) -> tuple[str, str] | None:
        """The two KPIs of the front shown first (the first two objectives; for a sweep, wait against margin)."""
        preferred = self.objectives[:2] if len(self.objectives) >= 2 else DEFAULT_PARETO
        if set(preferred) <= set(self.kpis):
            return (preferred[0], preferred[1])
        return (self.kpis[0], self.kpis[1]) if len(self.kpis) >= 2 else None

    def table(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per plan with results: its label, factor levels (short labels), days and each KPI's mean."""
        if self.snapshot.points.empty:
            return pd.DataFrame()
        kpis = [k for k in (kpis or [self.default_kpi]) if k in self.kpis]
        wide = point_means(self.snapshot.labelled, kpis)
        days = self.snapshot.replications.groupby("point").size()
        wide.insert(1, "plan", [self.snapshot.labels[int(p)] for p in wide["point"]])
        wide.insert(2, "days", [int(days.get(p, 0)) for p in wide["point"]])
        shown = ["point", "plan", "days", *[c for c in wide.columns if c in self.snapshot.factors]]
        return wide[shown + [c for k in kpis for c in (k, f"{k}_ci_low", f"{k}_ci_high")]]

    def figure_note(self, what: Literal["main effects", "heatmap", "pareto"], *kpis: str) -> str | None:
        """Why ``what`` cannot be drawn for ``kpis`` (None when it can)."""
        if self.snapshot.points.empty:
            return "No plan has results yet: figures appear once days are stored."
        missing = [k for k in kpis if k not in self.kpis]
        if missing:
            return f"The store does not keep {', '.join(missing)}."
        need = {"main effects": 1, "heatmap": 2, "pareto": 0}[what]
        if len(self.factors) < need:
            return f"A {what} figure needs {need} factor{'s' * (need > 1)} that vary among the plans with results."
        if what == "pareto" and len(set(kpis)) < 2:
            return "A Pareto front needs two different KPIs."
        return None

    def main_effects_figure(self, kpi: str) -> Figure | None:
        """Main effects of every varying factor on ``kpi`` (``sweep_plots.plot_main_effects``); None when
        ``figure_note`` says why not."""
        if self.figure_note("main effects", kpi):
            return None
        from clinicsim.sweep_plots import plot_main_effects

        return figure_of(plot_main_effects(self.snapshot.labelled, kpi)[0])

    def heatmap_figure(self, kpi: str, x: str | None = None, y: str | None = None) -> Figure | None:
        """``kpi`` over two factors (the first two varying by default; ``sweep_plots.plot_factor_heatmap``)."""
        if self.figure_note("heatmap", kpi):
            return None
        from clinicsim.sweep_plots import plot_factor_heatmap

        x, y = x or self.factors[0], y or self.factors[1]
        return figure_of(plot_factor_heatmap(self.snapshot.labelled, kpi, x, y))

    def pareto_figure(self, kpi_x: str, kpi_y: str) -> Figure | None:
        """Every plan's means of ``kpi_x`` against ``kpi_y`` with the Pareto front (``sweep_plots.plot_pareto``)."""
        if self.figure_note("pareto", kpi_x, kpi_y):
            return None
        from clinicsim.sweep_plots import plot_pareto

        return figure_of(plot_pareto(self.snapshot.labelled, kpi_x, kpi_y, labels=self.snapshot.labels))

    def pareto_sentences(self, kpi_x: str, kpi_y: str) -> list[str]:
        """The front in words, as the sweep report says it (``front_sentences``)."""
        if kpi_x == kpi_y:
            return ["A Pareto front needs two different KPIs."]
        said = front_sentences(self.snapshot, kpi_x, kpi_y)
        if self.kind == "optimization":
            said.append("This front is of every plan the search evaluated, each KPI in its own better direction and "
                        "the constraints left aside; the finalists below are the plans that met them.")  # fmt: skip
        return said


def figure_of(axes: Any) -> Figure:
    """The figure a plotting function drew its axes on."""
    return axes.figure


def open_store(path: str | Path) -> StoreView:
    """The view of the result store at ``path``: a sweep's (``clinicsim sweep``, or a sweep made here) or an
    optimization's (``clinicsim optimize``); StoreProblem for anything else."""
    path = Path(path)
    if not path.is_file():
        raise StoreProblem(f"{path.name}: no such file")
    spec = _stored_spec(path)
    if "optimization" in spec:
        return _optimization_view(path, spec["optimization"])
    try:
        snapshot = read_snapshot(open_sweep(path))
    except StoreError as error:
        raise StoreProblem(str(error)) from None
    return StoreView(path, "sweep", snapshot.spec.name, snapshot, _sweep_facts(snapshot))


def _sweep_facts(snapshot: SweepSnapshot) -> list[str]:
    spec = snapshot.spec
    done, total = len(snapshot.replications), snapshot.replications_total
    factors = ", ".join(snapshot.factors) or "none"
    state = "complete" if snapshot.complete else f"not finished: {done:,} of {total:,} simulated days stored"
    return [
        f"Sweep {spec.name!r} ({spec.design}) of {len(snapshot.point_table):,} plans x {spec.replications:,} "
        f"simulated days, seed {spec.seed}; {state}.",
        f"Factors: {factors}. Every plan runs on the same days (common random numbers).",
    ]


def _optimization_view(path: Path, data: Any) -> StoreView:
    """An optimization's store: its evaluated plans as a sweep of named points on the search's days (the days every
    plan has), the selection's finalists by its own rule, and what the store does not keep."""
    from pydantic import ValidationError

    from clinicsim.optimization.spec import OptimizeSpec

    try:
        spec = OptimizeSpec.model_validate(data)
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
        message = f"{path.name}: its optimization cannot be read by this version of clinicsim ({reason})"
        raise StoreProblem(message) from None
    results = open_sweep(path)
    try:
        point_table, days = results.point_table(), results.replications()
    except StoreError as error:
        raise StoreProblem(str(error)) from None
    if point_table.empty:
        raise StoreProblem(f"{path.name}: the optimization {spec.name!r} has no evaluated plan yet")
    per_plan = spec.search.days_per_plan
    as_sweep = SweepSpec(
        name=spec.name,
        base=spec.base,
        design="points",
        points=[Point(name=str(row["name"]), changes=_changes(row, point_table)) for _, row in point_table.iterrows()],
        replications=per_plan,
        seed=spec.seed,
        kpis=spec.kept_kpis,
    )
    searched = days[days["replication"] < per_plan]
    snapshot = sweep_snapshot_of(as_sweep, spec.kept_kpis, point_table, searched)
    chosen, feasible = _finalists(spec, path)
    objectives = tuple(o.kpi for o in spec.objectives)
    return StoreView(path, "optimization", spec.name, snapshot, _optimization_facts(spec, snapshot, days, feasible),
                     chosen, objectives)  # fmt: skip


def _changes(row: pd.Series, point_table: pd.DataFrame) -> dict[str, Any]:
    factors = [c for c in point_table.columns if c not in ("point", "name", "scenario_sha256")]
    return {f: row[f] for f in factors if not (isinstance(row[f], float) and math.isnan(row[f]))}


def _finalists(spec: OptimizeSpec, path: Path) -> tuple[pd.DataFrame, bool]:
    """The selection's finalists by its own rule (``optimization.select.finalists``) from the search's days: each
    plan's objective means and constraint values as the search told them (``search.constraint_value``)."""
    from clinicsim.optimization.search import SearchResult, constraint_value, read_days
    from clinicsim.optimization.select import finalists

    days = read_days(path)
    searched = days[days["replication"] < spec.search.days_per_plan]
    names = open_sweep(path).point_table().set_index("point")["name"]
    rows = []
    for plan, mine in searched.groupby("point"):
        row: dict[str, Any] = {"plan": plan, "name": names.get(plan, f"plan {plan}"), "params": {}}
        row.update({o.kpi: float(mine[o.kpi].mean()) for o in spec.objectives})
        values = [constraint_value(c, mine[c.kpi].to_numpy(dtype=float)) for c in spec.constraints]
        row.update({f"constraint_{k}": v for k, v in enumerate(values)})
        row["feasible"] = all(v <= 0 for v in values)
        rows.append(row)
    if not rows:
        return pd.DataFrame(), False
    chosen, feasible = finalists(SearchResult(spec, path, pd.DataFrame(rows), days))
    kept = ["name", *[o.kpi for o in spec.objectives], "feasible"]
    return chosen[kept].reset_index(), feasible


def _optimization_facts(spec: OptimizeSpec, snapshot: SweepSnapshot, days: pd.DataFrame, feasible: bool) -> list[str]:
    from clinicsim.reports.optimization import constraint_words

    per_plan = spec.search.days_per_plan
    counts = days.groupby("point").size()
    more = int((counts > per_plan).sum())
    goals = ", ".join(f"{o.direction} {o.kpi}" for o in spec.objectives)
    limits = "; ".join(constraint_words(c) for c in spec.constraints) or "none"
    rule = "the estimated Pareto set" if spec.selection.finalists == "pareto" else (
        f"the {spec.selection.finalists} best on {spec.guarantee.kpi}")  # fmt: skip
    return [
        f"Optimization {spec.name!r}: {len(snapshot.point_table):,} plans evaluated on {per_plan} simulated days "
        f"each ({len(days):,} days stored in all; {more} plans have more, from the selection), seed {spec.seed}.",
        f"Objectives: {goals}. Constraints: {limits}.",
        f"Finalists ({rule} of the feasible plans, from the search's days): "
        + ("below." if feasible else "no plan met the constraints on the search's days; below are the nearest."),
        "The store keeps every plan's simulated days but not the selection's outcome: which finalist is best, with "
        f"its guarantee on {spec.guarantee.kpi} ({_PROCEDURES[spec.selection.procedure]}), is in the report that "
        "`clinicsim optimize SPEC --store STORE --out DIR` writes (run again on this store, it resumes).",
    ]


_PROCEDURES = {"kn": "KN++", "ocba": "OCBA"}


# -- where stores are found ---------------------------------------------------------------------------------


def allowed_store_path(text: str, roots: Sequence[Path]) -> Path:
    """The store file typed as ``text`` (relative to the current folder), if it lies inside one of ``roots``;
    StoreProblem otherwise: the app never opens other files for whoever is at the browser."""
    if not text.strip():
        raise StoreProblem("type the path of a store")
    path = Path(text.strip()).expanduser()
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if not any(path.is_relative_to(root.resolve()) for root in roots):
        where = ", ".join(str(r) for r in roots)
        raise StoreProblem(f"only stores inside these folders can be opened here: {where}")
    if path.suffix.lower() not in STORE_SUFFIXES:
        raise StoreProblem(f"{path.name}: a store is a {' or '.join(STORE_SUFFIXES)} file")
    if not path.is_file():
        raise StoreProblem(f"{path}: no such file")
    return path


def save_store_upload(workspace: Workspace, name: str, data: bytes) -> Path:
    """An uploaded store saved into the workspace's uploads (``UploadError`` when too large; StoreProblem when it
    is not a store file)."""
    if not name.lower().endswith(STORE_SUFFIXES):
        raise StoreProblem(f"{name}: a store is a {' or '.join(STORE_SUFFIXES)} file")
    return workspace.save_upload(name, data, limit=MAX_STORE_UPLOAD_BYTES)


def remembered(workspace: Workspace) -> dict[str, Any]:
    """This tab's explore jobs: ``sweeps`` (keys, oldest first) and the last ``access``, ``work``,
    ``calibration`` keys."""
    path = workspace.folder / REMEMBERED
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"sweeps": []}
    return data if isinstance(data, dict) else {"sweeps": []}


def remember(workspace: Workspace, what: str, key: str) -> None:
    """Keep job ``key`` as this tab's ``what`` (``sweeps`` adds to the list; others replace)."""
    data = remembered(workspace)
    if what == "sweeps":
        data["sweeps"] = [k for k in data.get("sweeps", []) if k != key] + [key]
    else:
        data[what] = key
    (workspace.folder / REMEMBERED).write_text(json.dumps(data))


def found_stores(jobs: Jobs, workspace: Workspace) -> dict[str, Path]:
    """The stores this tab can open, by label: the sweeps it ran (newest first) and the stores uploaded into it."""
    found: dict[str, Path] = {}
    for key in reversed(remembered(workspace).get("sweeps", [])):
        store = jobs.path(key) / SWEEP_STORE
        if store.is_file():
            spec = jobs.path(key) / SWEEP_FILE
            name = _sweep_name(spec) if spec.is_file() else key
            found[f"{name} (made here, {key[:6]})"] = store
    for store in sorted(workspace.uploads.iterdir()):
        if store.suffix.lower() in STORE_SUFFIXES and store.is_file():
            found[f"{store.name} (uploaded)"] = store
    return found


def _sweep_name(path: Path) -> str:
    yaml = YAML(typ="safe", pure=True)
    data = yaml.load(path.read_text())
    return str(data.get("name", path.parent.name)) if isinstance(data, dict) else path.parent.name
