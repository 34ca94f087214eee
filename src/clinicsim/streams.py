"""The seed tree: one named random stream per stochastic source.

A replication's root is ``SeedSequence(base_seed)`` with the replication index as spawn key. Each source's
stream is a counter-based Philox generator keyed by a stable hash (SHA-256, never Python's salted ``hash()``) of
that root and the source's name parts, such as ``("booked", "dr_lee", "rooming")``. Streams therefore depend on
their names only: adding a new random source, a new provider or a new room never changes the draws of any other
source, and two plans simulated with the same (base seed, replication) see the same random numbers wherever they
share a source. (Keying Philox directly costs a third of building a SeedSequence per source, which matters with
dozens of sources a day and thousands of days.)
"""

from __future__ import annotations

import hashlib

import numpy as np


class Streams:
    """Factory of named generators for one (base seed, replication) pair."""

    __slots__ = ("base_seed", "replication", "_root")

    def __init__(self, base_seed: int, replication: int) -> None:
        if base_seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.base_seed = int(base_seed)
        self.replication = int(replication)
        root = np.random.SeedSequence(self.base_seed, spawn_key=(self.replication,))
        self._root = root.generate_state(8, dtype=np.uint32).tobytes()

    def generator(self, *name: str) -> np.random.Generator:
        """The generator of the source called ``name`` (a tuple of strings) in this replication."""
        digest = hashlib.sha256(self._root + "\x1f".join(name).encode("utf-8")).digest()
        key = np.frombuffer(digest[:16], dtype=np.uint64)
        return np.random.Generator(np.random.Philox(key=key))

    def uniforms(self, *name: str, size: int) -> np.ndarray:
        """``size`` uniforms in (0, 1) from the named source; element i is stable as ``size`` grows."""
        return uniforms_open(self.generator(*name), size)


def independent_seed(base_seed: int, label: str) -> int:
    """A base seed for ``label`` whose streams are independent of ``base_seed``'s (to switch common random
    numbers off on purpose, e.g. to show how much they narrow a comparison)."""
    digest = hashlib.sha256(f"independent\x1f{base_seed}\x1f{label}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def uniforms_open(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` uniforms strictly inside (0, 1), safe for inverse distribution functions."""
    return np.maximum(rng.random(size), 2.0**-54)
