#!/usr/bin/env bash
# Refresh constraints.txt, the lock of every package the test and dev tools install (pytest, hypothesis, ruff,
# mypy, nbmake, dask, ... and clinicsim's own dependencies), from a fresh virtual environment with today's
# newest releases. Run it on purpose, then run the suite (python3 -m pip install -e ".[dev]" -c constraints.txt
# && python3 -m pytest) and commit constraints.txt with what changed in the message.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
{
  echo "# The lock of the test and dev tools: exact versions that the README's test command installs (pip -c)."
  echo "# Made by scripts/refresh_constraints.sh with $("$venv/bin/python" --version) on $(date -u +%Y-%m-%d);"
  echo "# clinicsim's own pyproject.toml keeps compatible ranges for users."
  "$venv/bin/python" -m pip freeze --exclude-editable | LC_ALL=C sort -f
} > constraints.txt
rm -rf "$(dirname "$venv")"
echo "wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)"
