"""The package's layers run one way: the scenario language knows nothing of planning or simulation, the event
log is a leaf, reading results never imports the engine or matplotlib, and no two modules import each other.

The import graph is read from the source (function-level imports included, ``if TYPE_CHECKING:`` blocks left
out, since those never run)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "clinicsim"


def _module_name(path: Path) -> str:
    return ".".join(("clinicsim", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")


def _runtime_nodes(tree: ast.AST):
    """Every node except those inside ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def import_graph() -> dict[str, set[str]]:
    """clinicsim module -> the clinicsim modules it imports when it runs."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("clinicsim"):
                deps |= {
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                }
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("clinicsim")}
        graph[name] = deps - {name, "clinicsim"}
    return graph


GRAPH = import_graph()


def closure(module: str) -> set[str]:
    """Every clinicsim module that importing ``module`` may import."""
    seen, todo = set(), [module]
    while todo:
        for dep in GRAPH[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def test_no_module_imports_itself_through_others():
    cycles = [m for m in GRAPH if m in closure(m)]
    assert cycles == []


def test_the_event_log_is_a_leaf():
    assert GRAPH["clinicsim.eventlog"] == set()


@pytest.mark.parametrize("module", [m for m in GRAPH if m.startswith("clinicsim.scenario")])
def test_the_scenario_language_knows_nothing_of_planning_or_simulation(module):
    outside = {m for m in closure(module) if not m.startswith("clinicsim.scenario")}
    assert outside <= {"clinicsim.distributions", "clinicsim.streams"}


def test_the_student_t_interval_has_one_home():
    uses = [p.name for p in SRC.rglob("*.py") if "stats.t." in p.read_text()]
    assert uses == ["statistics.py"]


def test_reading_a_sweep_store_imports_neither_the_engine_nor_matplotlib(tmp_path):
    code = (
        "import sys, clinicsim\n"
        "clinicsim.open_sweep, clinicsim.SweepResults, clinicsim.load_sweep\n"
        "from clinicsim.sweeps import analysis\n"
        "heavy = [m for m in ('simpy', 'matplotlib', 'clinicsim.engine', 'clinicsim.experiment') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
