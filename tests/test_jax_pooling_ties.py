"""``from_jax`` max pooling at ties against ``jax.jacfwd`` / ``jax.jacrev`` (jax 0.10.2).

Measured (``bench/measure_jax_pooling.py``): without padding both modes follow the first
maximal entry of a tied window; with padding reverse mode still does, while forward mode
reads a window in an order that depends on the op (column by column for some windows),
always keeping the componentwise order of the entries.  selcalc's preset must equal JAX
exactly, or be ``Undecided`` -- and only where the tied entries have no componentwise-first
one (forward mode, padded op), never where the measured rule decides.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest

import selcalc

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

pytestmark = pytest.mark.frameworks


def pool(shape, k, s, pad):
    return lambda v: lax.reduce_window(v.reshape(shape), -jnp.inf, lax.max, k, s, pad)


def test_padded_window_forward_mode_tie_without_a_rule():
    """jacfwd gives (0, 0, 1, 0), jax.grad (0, 1, 0, 0); selcalc's forward mode used to say
    (0, 1, 0, 0).  The tie (0, 1) / (1, 0) has no rule: Undecided."""
    f = lambda v: pool((2, 2), (2, 2), (1, 1), ((1, 1), (1, 1)))(v)[1, 1]  # noqa: E731
    v = jnp.array([0.0, 1.0, 1.0, 0.0])
    assert [float(t) for t in jax.jacfwd(f)(v)] == [0, 0, 1, 0]
    assert [float(t) for t in jax.grad(f)(v)] == [0, 1, 0, 0]
    P = selcalc.from_jax(f, v)
    assert selcalc.grad(P, (0, 1, 1, 0)) == (0, 1, 0, 0)
    with pytest.raises(selcalc.Undecided, match="padded reduce_window"):
        selcalc.grad(P, (0, 1, 1, 0), mode="forward")
    with pytest.raises(selcalc.Undecided):
        selcalc.jacobian(P, (0, 1, 1, 0), mode="forward")
    # where one tied entry is componentwise first, forward mode follows it (as jacfwd)
    for point in [(1, 1, 1, 1), (0, 1, 0, 1), (0, 0, 1, 1), (1, 0, 0, 1)]:
        lib = [float(t) for t in jax.jacfwd(f)(jnp.asarray(point, dtype=jnp.float64))]
        assert [Fraction(str(g)) for g in selcalc.grad(P, point, mode="forward")] == lib


# (operand shape, window, strides, padding): 1-D and 2-D, padded and strided
CONFIGS = [
    ((7,), (3,), (2,), ((1, 1),)),
    ((6,), (2,), (1,), ((0, 1),)),
    ((2, 2), (2, 2), (1, 1), ((1, 1), (1, 1))),
    ((4, 3), (2, 2), (1, 1), ((0, 1), (1, 1))),      # windows read column by column
    ((3, 4), (2, 3), (2, 1), ((1, 1), (0, 1))),
    ((4, 4), (3, 3), (2, 2), ((1, 1), (1, 1))),
    ((4, 4), (2, 2), (2, 1), ((0, 0), (0, 0))),      # no padding
    ((1, 1, 4, 4), (1, 1, 2, 2), (1, 1, 2, 1), ((0, 0), (0, 0), (1, 0), (1, 0))),
]


def window(shape, k, s, pad, o):
    """The window's in-bounds positions, row-major (an independent enumeration)."""
    return [p for p in itertools.product(*(range(n) for n in shape))
            if all(o[i] * s[i] - pad[i][0] <= p[i] < o[i] * s[i] - pad[i][0] + k[i]
                   for i in range(len(shape)))]


def has_componentwise_first(positions):
    return any(all(all(a <= b for a, b in zip(p, q)) for q in positions) for p in positions)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_preset_equals_jax_or_is_undecided_on_random_ties(cfg):
    shape, k, s, pad = cfg
    n = int(np.prod(shape))
    f = pool(shape, k, s, pad)
    out_shape = jax.eval_shape(f, jnp.zeros(n)).shape
    modes = {"forward": jax.jit(jax.jacfwd(f)), "backward": jax.jit(jax.jacrev(f))}
    outputs = list(np.ndindex(*out_shape))
    programs = {o: selcalc.from_jax(lambda v, o=o: f(v)[o], jnp.zeros(n)) for o in outputs}
    padded = any(lo or hi for lo, hi in pad)
    rng = random.Random(21)
    counts = {"decided ties": 0, "undecided": 0}
    for trial in range(16):
        x = [rng.randrange(2 + trial % 2) for _ in range(n)]  # 0/1 or 0/1/2: many ties
        xs = jnp.asarray(x, dtype=jnp.float64)
        grid = np.asarray(x).reshape(shape)
        for mode, jac in modes.items():
            J = np.asarray(jac(xs)).reshape(len(outputs), n)
            for row, o in zip(J, outputs):
                pos = window(shape, k, s, pad, o)
                top = max(grid[p] for p in pos)
                tied = [p for p in pos if grid[p] == top]
                try:
                    ours = selcalc.grad(programs[o], x, mode=mode)
                except selcalc.Undecided:
                    # only forward mode on a padded op, where no rule exists
                    assert mode == "forward" and padded and not has_componentwise_first(tied), \
                        (o, x, mode)
                    counts["undecided"] += 1
                    continue
                assert [Fraction(v) for v in row] == [Fraction(str(v)) for v in ours], \
                    (o, x, mode, row, ours)
                counts["decided ties"] += len(tied) > 1
    assert counts["decided ties"] > 0
    if padded and len(shape) > 1:
        assert counts["undecided"] > 0  # the unknown case occurs and is answered so


def test_a_window_wholly_in_the_padding_is_refused_by_name():
    """Its max is -inf (JAX returns it); the error names the window, not an IndexError."""
    f = lambda v: pool((3,), (2,), (1,), ((3, 0),))(v).sum()  # noqa: E731
    with pytest.raises(selcalc.ParseError, match=r"window \(0,\) lies wholly in the padding"):
        selcalc.from_jax(f, jnp.zeros(3))
