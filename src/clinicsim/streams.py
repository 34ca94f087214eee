"""The seed tree: one named random stream per stochastic source.

A replication's stream for a source is seeded from ``SeedSequence(base_seed)`` with a spawn key made of the
replication index and a stable hash (SHA-256, never Python's salted ``hash()``) of the source's name parts,
such as ``("booked", "dr_lee", "rooming")``. Streams therefore depend on their names only: adding a new random
source, a new provider or a new room never changes the draws of any other source, and two plans simulated with
the same (base seed, replication) see the same random numbers wherever they share a source.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_words(parts: tuple[str, ...]) -> tuple[int, ...]:
    """Four 32-bit words of a stable hash of the name parts."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """Factory of named generators for one (base seed, replication) pair."""

    __slots__ = ("base_seed", "replication")

    def __init__(self, base_seed: int, replication: int) -> None:
        if base_seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative integers")
        self.base_seed = int(base_seed)
        self.replication = int(replication)

    def generator(self, *name: str) -> np.random.Generator:
        """The generator of the source called ``name`` (a tuple of strings) in this replication."""
        sequence = np.random.SeedSequence(self.base_seed, spawn_key=(self.replication, *_name_words(name)))
        return np.random.Generator(np.random.PCG64(sequence))

    def uniforms(self, *name: str, size: int) -> np.ndarray:
        """``size`` uniforms in [0, 1) from the named source; element i is stable as ``size`` grows."""
        return uniforms_open(self.generator(*name), size)


def uniforms_open(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` uniforms strictly inside (0, 1), safe for inverse distribution functions."""
    return np.maximum(rng.random(size), 2.0**-54)


def independent_seed(base_seed: int, label: str) -> int:
    """A base seed for ``label`` whose streams are independent of ``base_seed``'s (to switch common random
    numbers off on purpose, e.g. to show how much they narrow a comparison)."""
    sequence = np.random.SeedSequence(base_seed, spawn_key=(2**32 - 1, *_name_words(("independent", label))))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> 1)
