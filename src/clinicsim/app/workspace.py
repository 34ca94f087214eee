"""A browser tab's workspace: the base scenario chosen, uploaded files, and the variants as ``extends:`` files.

Each tab has a folder of its own (its id is in the page's address, so a reload finds it again and a second tab
starts its own). A variant is kept the way the command line reads it: a small scenario file that extends the
base and says only what it changes, so the file downloaded from the app is the file the app simulated.

Uploads are size-limited, saved under a cleaned file name inside the workspace's ``uploads`` folder, parsed
with the same validation as the command line, and may name no file outside that folder.
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from clinicsim.scenario import Scenario, load_scenario
from clinicsim.scenario.files import confined_to, parse_yaml, read_text
from clinicsim.scenario.limits import MAX_FILE_BYTES
from clinicsim.scenario.problems import Problem, ScenarioError
from clinicsim.scenario.variant_files import changes_of, variant_yaml

logger = logging.getLogger(__name__)

MAX_SCENARIO_UPLOAD_BYTES = MAX_FILE_BYTES
"""Largest scenario (or CSV) file accepted from the browser (bytes): the command line's own limit."""
MAX_EXPORT_UPLOAD_BYTES = 200 * 1024 * 1024
"""Largest EHR visit export accepted from the browser (bytes): a year of a large group's visits is well under."""

_ID = re.compile(r"^[a-z0-9]{12}$")


class UploadError(ValueError):
    """An upload refused before it is read (too large, or no usable name)."""


def safe_name(name: str) -> str:
    """A file name safe to save: the last part of ``name``, letters, digits, ``.-_`` only, not hidden."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.replace("\\", "/")).name).lstrip("._")
    if not cleaned:
        raise UploadError(f"{name!r} is not a usable file name")
    return cleaned[:100]


def slug(name: str) -> str:
    """A variant's file stem from its name: lower case, words joined by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "variant"


@dataclass(frozen=True)
class Variant:
    """One named plan: its file (extending the base) and its changes as dotted paths."""

    name: str
    path: Path
    changes: dict[str, Any]


class Workspace:
    """The files of one browser tab under ``root/<id>``."""

    def __init__(self, root: Path, workspace_id: str | None = None) -> None:
        if workspace_id is None or not _ID.match(workspace_id):
            workspace_id = secrets.token_hex(6)
        self.id = workspace_id
        self.folder = root / workspace_id
        self.uploads = self.folder / "uploads"
        self.variants_folder = self.folder / "variants"
        for folder in (self.uploads, self.variants_folder):
            folder.mkdir(parents=True, exist_ok=True)

    # the base ---------------------------------------------------------------------------------------------
    @property
    def base_path(self) -> Path | None:
        """The scenario file the variants extend (bundled, or uploaded into this workspace)."""
        marker = self.folder / "base.txt"
        return Path(marker.read_text()) if marker.exists() else None

    def base(self) -> Scenario | None:
        path = self.base_path
        return None if path is None else self._load(path)

    def choose_base(self, path: Path) -> Scenario:
        """Make the scenario file at ``path`` the base (``ScenarioError`` if it is not a valid one); the variants
        of another base are dropped."""
        path = path.resolve()
        scenario = self._load(path)
        if path != self.base_path:
            shutil.rmtree(self.variants_folder)
            self.variants_folder.mkdir()
            (self.folder / "base.txt").write_text(str(path))
        return scenario

    def _load(self, path: Path) -> Scenario:
        if path.is_relative_to(self.uploads.resolve()):
            with confined_to(self.uploads):
                return load_scenario(path)
        return load_scenario(path)

    # uploads ----------------------------------------------------------------------------------------------
    def save_upload(self, name: str, data: bytes, *, limit: int = MAX_SCENARIO_UPLOAD_BYTES) -> Path:
        """Save an uploaded file into ``uploads`` under a safe name; ``UploadError`` if larger than ``limit``."""
        if len(data) > limit:
            raise UploadError(f"{name} is {len(data):,} bytes; the limit is {limit:,}")
        path = self.uploads / safe_name(name)
        path.write_bytes(data)
        logger.info("workspace %s: saved upload %s (%d bytes)", self.id, path.name, len(data))
        return path

    # variants ---------------------------------------------------------------------------------------------
    def variants(self) -> dict[str, Variant]:
        """The variants by name, in the order of their names (an edit does not move one)."""
        found = [_read_variant(path) for path in self.variants_folder.glob("*.yaml")]
        return {variant.name: variant for variant in sorted(found, key=lambda v: v.name.casefold())}

    def variant(self, name: str) -> Variant:
        """Variant ``name``, read from its own file (its name says which); ``KeyError`` if there is none."""
        path = self.variants_folder / f"{slug(name)}.yaml"
        found = _read_variant(path) if path.exists() else None
        if found is None or found.name != name:
            raise KeyError(name)
        return found

    def save_variant(self, name: str, changes: Mapping[str, Any], *, replaces: str | None = None) -> Variant:
        """Write variant ``name`` with ``changes`` to the base (its file says only what differs); ``ScenarioError``
        with each problem at its dotted field if the changes make no valid scenario. ``replaces`` names the
        variant this one was (a rename)."""
        base, base_path = self.base(), self.base_path
        if base is None or base_path is None:
            raise ScenarioError("variant", [Problem(None, "", "choose a base scenario first")])
        name = name.strip()
        if not name or name == base.name:
            raise ScenarioError("variant", [Problem(None, "name", "give the variant a name of its own")])
        path = self.variants_folder / f"{slug(name)}.yaml"
        old = self._variant_or_none(replaces or name)
        if path.exists() and (old is None or old.path != path):
            raise ScenarioError("variant", [Problem(None, "name", f"a variant named like {name!r} exists")])
        text = variant_yaml(base, os.path.relpath(base_path, path.parent), dict(changes), name=name)
        if old is not None and old.path != path:
            old.path.unlink()
        path.write_text(text)
        return Variant(name, path, dict(changes))

    def delete_variant(self, name: str) -> None:
        variant = self._variant_or_none(name)
        if variant is not None:
            variant.path.unlink()

    def _variant_or_none(self, name: str) -> Variant | None:
        try:
            return self.variant(name)
        except KeyError:
            return None

    def variant_scenario(self, name: str) -> Scenario:
        """The variant's scenario, read from its file as the command line would."""
        variant = self.variant(name)
        base_path = self.base_path
        if base_path is not None and base_path.is_relative_to(self.uploads.resolve()):
            with confined_to(self.folder):
                return load_scenario(variant.path)
        return load_scenario(variant.path)

    def download_text(self, name: str) -> str:
        """The variant's file as it is downloaded: ``extends:`` names the base's file, to sit next to it."""
        variant, base_path = self.variant(name), self.base_path
        assert base_path is not None
        yaml = YAML(typ="rt")
        yaml.version = (1, 2)
        document = yaml.load(variant.path.read_text())
        document["extends"] = base_path.name
        buffer = io.StringIO()
        yaml.dump(document, buffer)
        comment = f"# {name}: a plan made in clinicsim app. Put it next to {base_path.name}, then e.g.\n"
        usage = f"#   clinicsim compare {base_path.name} {variant.path.name}\n"
        return comment + usage + buffer.getvalue()


def _read_variant(path: Path) -> Variant:
    document = parse_yaml(read_text(path), str(path))
    return Variant(str(document["name"]), path, changes_of(document))
