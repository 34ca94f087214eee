"""The seed tree: streams depend on (seed, replication, name) only, stably across processes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from clinicsim.streams import Streams


def test_same_name_same_draws_and_names_are_independent():
    a, b = Streams(7, 0), Streams(7, 0)
    assert np.array_equal(
        a.uniforms("booked", "Dr A", "rooming", size=5), b.uniforms("booked", "Dr A", "rooming", size=5)
    )
    assert not np.array_equal(
        a.uniforms("booked", "Dr A", "rooming", size=5), a.uniforms("booked", "Dr B", "rooming", size=5)
    )


def test_a_source_draws_the_same_whatever_was_drawn_before_it():
    """uniforms() re-keys one shared generator per replication: no state may leak from one source to the next."""
    alone = Streams(4, 1).uniforms("walk_in", "flu", "rooming", size=7)
    busy = Streams(4, 1)
    busy.uniforms("booked", "Dr A", "lateness", size=3)  # leaves a part-used buffer behind
    busy.generator("walk_in", "flu", "arrivals").integers(0, 2**32, size=5)
    assert np.array_equal(busy.uniforms("walk_in", "flu", "rooming", size=7), alone)
    fresh = Streams(4, 1).generator("walk_in", "flu", "rooming")
    assert np.array_equal(np.maximum(fresh.random(7), 2.0**-54), alone)


def test_replications_and_seeds_differ():
    draws = {(seed, rep): tuple(Streams(seed, rep).uniforms("x", size=3)) for seed in (1, 2) for rep in (0, 1)}
    assert len(set(draws.values())) == 4


def test_name_parts_are_not_concatenated_ambiguously():
    s = Streams(1, 0)
    assert not np.array_equal(s.uniforms("ab", "c", size=3), s.uniforms("a", "bc", size=3))


def test_element_i_is_stable_when_more_are_drawn():
    s = Streams(3, 2)
    assert np.array_equal(s.uniforms("lateness", size=10)[:4], s.uniforms("lateness", size=4))


def test_streams_do_not_depend_on_pythons_salted_hash():
    code = (
        "from clinicsim.streams import Streams; "
        "print(Streams(5, 1).uniforms('booked', 'Dr A', 'no_show', size=3).tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": salt},
        ).stdout
        for salt in ("1", "2")
    }
    assert len(outputs) == 1
    assert outputs == {str(Streams(5, 1).uniforms("booked", "Dr A", "no_show", size=3).tolist()) + "\n"}


def test_uniforms_are_strictly_inside_the_unit_interval():
    u = Streams(0, 0).uniforms("u", size=10_000)
    assert u.min() > 0 and u.max() < 1
