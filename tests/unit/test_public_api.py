"""The public API: every name in ``clinicsim.__all__`` resolves, the lazy façade and its type-checking block name
the same things (``tests/static`` checks that a type checker sees them typed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import clinicsim

INIT = Path(clinicsim.__file__)


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    return {alias.asname or alias.name: node.module for node in block.body for alias in node.names}


def test_the_type_checking_block_names_every_export_from_its_module():
    assert _type_checking_imports() == clinicsim._EXPORTS


@pytest.mark.parametrize("name", clinicsim.__all__)
def test_every_public_name_resolves(name):
    assert getattr(clinicsim, name) is not None


def test_the_version_is_the_installed_distributions():
    from importlib.metadata import version

    assert version("clinicsim") == clinicsim.__version__
