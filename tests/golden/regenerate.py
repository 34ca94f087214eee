"""Regenerate the golden results: ``python tests/golden/regenerate.py``.

Run it only on purpose, in a commit that says why the numbers moved: the golden file is how a refactor proves
that no bundled scenario's result moved by a single bit. It also rewrites the golden verdict text of the compare
command (``verdict_catch_up.txt``) and the README's example of the first run's output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report_text import VERDICT_FILE, verdict_text, write_readme_example  # noqa: E402

from golden import GOLDEN_FILE, golden_results  # noqa: E402

if __name__ == "__main__":
    GOLDEN_FILE.write_text(json.dumps(golden_results(), indent=1, sort_keys=True) + "\n")
    VERDICT_FILE.write_text(verdict_text())
    write_readme_example()
    sys.stdout.write(f"wrote {GOLDEN_FILE}, {VERDICT_FILE} and the README's compare example\n")
