"""A calibrated scenario as a complete YAML file, each fitted value commented with where it comes from.

The file is the whole scenario (``scenario_to_yaml``), so it runs on its own; a comment at the end of each line a
calibration set says its sample size and fit (``# n=2,345; lognormal by AIC; KS p=0.31``), and a header says which
export and which base it came from.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from clinicsim.scenario import Scenario, scenario_to_yaml


def _child(node, key: str):
    """The item of a mapping by key, or of a list by position or by its ``name``."""
    if isinstance(node, list):
        if key.isdigit():
            return node, int(key)
        return node, next(i for i, item in enumerate(node) if isinstance(item, Mapping) and item.get("name") == key)
    return node, key


def commented_yaml(scenario: Scenario, comments: Mapping[str, str], header: str = "") -> str:
    """The scenario's YAML with ``comments`` (dotted path, as ``with_changes`` writes it, to its comment) at the end
    of the lines they describe, and ``header`` (lines) at the top."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.width = 120
    document = yaml.load(scenario_to_yaml(scenario))
    full = scenario.model_dump(mode="json")
    for path, comment in comments.items():
        parent, key = None, None
        node, whole = document, full
        for part in path.split("."):
            parent, key = _child(node, part)
            whole = whole[_child(whole, part)[1]]
            if isinstance(parent, CommentedMap) and key not in parent:  # a default the file leaves out: write it
                parent[key] = whole
            node = parent[key]
        if isinstance(parent, CommentedMap | CommentedSeq):
            parent.yaml_add_eol_comment(comment, key)
    if header:
        document.yaml_set_start_comment(header)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    return buffer.getvalue()
