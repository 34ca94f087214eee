"""The what-if notebooks in notebooks/ are stored clean and use only clinicsim's public API.

Running them is nbmake's job (``pytest --nbmake notebooks``: a failing cell is a test failure). These tests check
what execution cannot: that each notebook is committed without outputs or execution counts (so diffs stay
readable and no stale numbers are shown), that it is a valid notebook, that its code reaches clinicsim only
through ``import clinicsim`` and the modules of figures and tables (``from clinicsim import plots``,
``from clinicsim.access import plots, tables``; never a private module, which may change without notice), and
that it tells the reader how many replications a real decision needs.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import clinicsim

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = {
    "01_template_redesign.ipynb",
    "02_staffing_plan.ipynb",
    "03_no_shows_and_access.ipynb",
    "04_sweep_analysis.ipynb",
    "05_who_owns_refills.ipynb",
    "06_open_access.ipynb",
}
PUBLIC = set(clinicsim.__all__) | {"plots"}
PUBLIC_MODULES = {"clinicsim": {"plots"}, "clinicsim.access": {"plots", "tables"}}
"""The modules a notebook may import by name, by the package it imports them from: the figures and tables, whose
functions are public (the access model's ``plots`` and ``tables`` included); everything else comes from
``clinicsim`` itself."""
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _code(path: Path) -> list[tuple[int, str]]:
    """(cell index, source) of every code cell, IPython magics and shell escapes blanked out."""
    cells = []
    for index, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "code":
            lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in _source(cell).splitlines()]
            cells.append((index, "\n".join(lines)))
    return cells


def _private_uses(tree: ast.AST) -> list[str]:
    """Every way ``tree`` reaches into clinicsim other than its public API."""
    found = []
    modules = {"plots"}  # names bound to a public module (``from clinicsim.access import plots as access_plots``)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in PUBLIC_MODULES:
            modules |= {a.asname or a.name for a in node.names if a.name in PUBLIC_MODULES[node.module]}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith("clinicsim.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "clinicsim":
            names = [a.name for a in node.names]
            if set(names) - PUBLIC_MODULES.get(node.module, set()):
                found.append(f"from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "clinicsim" and node.attr not in PUBLIC:
                found.append(f"clinicsim.{node.attr}")
            elif node.value.id in modules and node.attr.startswith("_"):
                found.append(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.match(r"clinicsim\.\w", node.value):
            found.append(f"the string {node.value!r} (importlib?)")
    return found


def test_the_expected_notebooks_exist():
    assert EXPECTED <= {p.name for p in PATHS}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    notebook = _load(path)
    dirty = [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_valid_notebook_format(path):
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.read(path, as_version=4))
    assert _load(path)["metadata"]["kernelspec"]["language"] == "python"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_imports_only_the_public_api(path):
    problems = []
    imports_clinicsim = False
    for index, source in _code(path):
        tree = ast.parse(source, filename=f"{path.name}[cell {index}]")
        problems += [f"cell {index}: {use}" for use in _private_uses(tree)]
        imports_clinicsim |= any(
            isinstance(node, ast.Import) and any(a.name == "clinicsim" for a in node.names) for node in ast.walk(tree)
        )
    assert imports_clinicsim, f"{path.name} never runs `import clinicsim`"
    assert not problems, f"{path.name} reaches past the public API: " + "; ".join(problems)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_says_how_many_replications_a_real_decision_needs(path):
    prose = "\n".join(_source(c) for c in _load(path)["cells"] if c["cell_type"] == "markdown")
    assert "precision=0.05" in prose, f"{path.name} has no note on the replications a real decision needs"


def test_the_checker_catches_private_imports():
    bad = "import clinicsim.engine\nfrom clinicsim.metrics import REGISTRY\nfrom clinicsim import experiment\n"
    bad += "clinicsim.comparison.compare\nplots._axes(None, (1, 1))\nimportlib.import_module('clinicsim.plan')\n"
    bad += "from clinicsim.access.kpis import access_kpis\nfrom clinicsim.access import run\nclinicsim.access\n"
    bad += "from clinicsim.access import plots as access_plots\naccess_plots._label('x')\n"
    assert len(_private_uses(ast.parse(bad))) == 10
    good = "import clinicsim\nfrom clinicsim import plots\nclinicsim.compare(x)\nplots.plot_census(c)\n"
    good += "from clinicsim.access import plots as access_plots, tables\n"
    good += "access_plots.access_differences(c)\ntables.no_shows_by_lead_time(r)\n"
    assert _private_uses(ast.parse(good)) == []
