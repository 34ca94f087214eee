"""The seed tree: one named random stream per stochastic source.

A replication's root is ``SeedSequence(base_seed)`` with the replication index as spawn key. Each source's
stream is a counter-based Philox generator keyed by a stable hash (SHA-256, never Python's salted ``hash()``) of
that root and the source's name parts, such as ``("booked", "dr_lee", "rooming")``. Streams therefore depend on
their names only: adding a new random source, a new provider or a new room never changes the draws of any other
source, and two plans simulated with the same (base seed, replication) see the same random numbers wherever they
share a source.

A day has dozens of sources and a sweep thousands of days, so keying is kept cheap: ``uniforms`` re-keys one
Philox generator per replication by setting its state (about 0.6 us) instead of building a new generator per
source (about 6 us, most of it spent asking the OS for entropy the key then overrides). The draws are the same
either way.
"""

from __future__ import annotations

import hashlib

import numpy as np


class Streams:
    """Factory of named generators for one (base seed, replication) pair."""

    __slots__ = ("base_seed", "replication", "_root", "_shared")

    def __init__(self, base_seed: int, replication: int) -> None:
        if base_seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.base_seed = int(base_seed)
        self.replication = int(replication)
        root = np.random.SeedSequence(self.base_seed, spawn_key=(self.replication,))
        self._root = root.generate_state(8, dtype=np.uint32).tobytes()
        self._shared: np.random.Generator | None = None
        """The one generator ``uniforms`` re-keys for every source."""

    def _key(self, name: tuple[str, ...]) -> np.ndarray:
        digest = hashlib.sha256(self._root + "\x1f".join(name).encode("utf-8")).digest()
        return np.frombuffer(digest[:16], dtype=np.uint64)

    def generator(self, *name: str) -> np.random.Generator:
        """The generator of the source called ``name`` (a tuple of strings) in this replication (a new object,
        the caller's to keep)."""
        return np.random.Generator(np.random.Philox(key=self._key(name)))

    def uniforms(self, *name: str, size: int) -> np.ndarray:
        """``size`` uniforms in (0, 1) from the named source; element i is stable as ``size`` grows."""
        if self._shared is None:
            self._shared = self.generator(*name)
        else:
            self._shared.bit_generator.state = _philox_state(self._key(name))
        return uniforms_open(self._shared, size)


def _philox_state(key: np.ndarray) -> dict:
    """The state of a Philox generator freshly keyed with ``key`` (counter at zero, nothing buffered)."""
    return {
        "bit_generator": "Philox",
        "state": {"counter": np.zeros(4, dtype=np.uint64), "key": key},
        "buffer": np.zeros(4, dtype=np.uint64),
        "buffer_pos": 4,
        "has_uint32": 0,
        "uinteger": 0,
    }


def independent_seed(base_seed: int, label: str) -> int:
    """A base seed for ``label`` whose streams are independent of ``base_seed``'s (to switch common random
    numbers off on purpose, e.g. to show how much they narrow a comparison)."""
    digest = hashlib.sha256(f"independent\x1f{base_seed}\x1f{label}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def uniforms_open(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` uniforms strictly inside (0, 1), safe for inverse distribution functions."""
    return np.maximum(rng.random(size), 2.0**-54)
