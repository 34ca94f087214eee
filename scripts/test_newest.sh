#!/usr/bin/env bash
# Run the fast test tier against the newest releases of every dependency and test tool (no constraints), in a
# throw-away virtual environment, so that a new pytest, pandas or pydantic that breaks clinicsim is seen before
# it reaches users. Exit status: pytest's. CI runs it without letting it fail the pinned run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
"$venv/bin/python" -m pip list --format=freeze | grep -i -E '^(pytest|hypothesis|numpy|pandas|scipy|pydantic|simpy|matplotlib|ruff|mypy)=='
"$venv/bin/python" -m pytest -m "not slow" -p no:cacheprovider -q "$@"
