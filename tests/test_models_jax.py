"""``selcalc.from_jax`` against ``jax.grad`` / ``jax.jvp``, exactly, at planted ties.

Dyadic weights and inputs make float64 exact on piecewise-linear models, so the library's
gradient and selcalc's preset gradient are compared as rationals.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

import selcalc

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

pytestmark = pytest.mark.frameworks


def dyadic(shape, rng, scale=8, zero=0.0):
    n = 1
    for s in shape:
        n *= s
    vals = [0.0 if rng.random() < zero else rng.randint(-8, 8) / scale for _ in range(n)]
    return jnp.asarray(vals, dtype=jnp.float64).reshape(shape)


def mlp(x, W1, W2):
    h = jax.nn.relu(W1 @ x)
    h = jax.nn.relu6(4 * (W2 @ h))
    h = jnp.clip(h, 0.0, 1.0) + jax.nn.leaky_relu(h - 2, 0.25) + jnp.abs(h - 1) / 8
    return jnp.max(h) + jnp.maximum(h[0], h[1]) + jnp.min(h) + jnp.sum(jnp.where(h > 1, h - 1, 1 - h))


def cnn(x, K, W):
    h = lax.conv_general_dilated(x, K, (1, 1), ((1, 1), (1, 1)))  # 1x2x6x6
    h = jax.nn.relu(h)
    h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 3, 3), (1, 1, 2, 2),
                          ((0, 0), (0, 0), (1, 1), (1, 1)))   # overlapping: 1x2x3x3
    y = W @ h.reshape(-1)
    return jnp.sum(jax.nn.relu(y)) + jnp.max(y)


def flat(args):
    return [float(v) for a in args for v in jnp.ravel(a)]


def jax_grad(fn, args, mode):
    if mode == "backward":
        gs = jax.grad(fn, argnums=tuple(range(len(args))))(*args)
        return flat(gs)
    out = []
    for i, a in enumerate(args):
        for j in range(a.size):
            tangents = [jnp.zeros_like(b) for b in args]
            tangents[i] = tangents[i].reshape(-1).at[j].set(1.0).reshape(a.shape)
            out.append(float(jax.jvp(fn, tuple(args), tuple(tangents))[1]))
    return out


def assert_exact(lib, ours):
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(lib, ours)) if Fraction(a) != Fraction(str(b))]
    assert len(lib) == len(ours) and not bad, bad[:3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_gradient_equals_jax_both_modes(seed):
    rng = random.Random(seed)
    x = dyadic((4,), rng, zero=0.5)
    args = (x, dyadic((5, 4), rng, 4), dyadic((3, 5), rng, 4))
    P = selcalc.from_jax(mlp, *args)
    assert P.p == 4 + 20 + 15 and P.default_convention.startswith("jax@")
    for mode in ("backward", "forward"):
        assert_exact(jax_grad(mlp, args, mode), selcalc.grad(P, args, mode=mode))


@pytest.mark.parametrize("seed", [0, 1])
def test_cnn_with_overlapping_max_pool_equals_jax(seed):
    rng = random.Random(seed)
    x = dyadic((1, 1, 6, 6), rng, zero=0.5)
    x = x.at[0, 0, :2, :].set(0.0)  # a flat band: tied pooling windows
    args = (x, dyadic((2, 1, 3, 3), rng, 4), dyadic((3, 18), rng, 4))
    P = selcalc.from_jax(cnn, *args)
    from selcalc.interpreters.evaluate import evaluate
    run = evaluate(P, P.coerce_point(args))
    assert {"reduce_window_max", "jax.nn.relu"} <= {P.node_info(g).op for g in run.ties()}
    assert_exact(jax_grad(cnn, args, "backward"), selcalc.grad(P, args))
    small = (x, args[1], args[2])
    fwd = jax_grad(lambda a: cnn(a, args[1], args[2]), (x,), "forward")
    Px = selcalc.from_jax(lambda a: cnn(a, args[1], args[2]), x)
    assert_exact(fwd, selcalc.grad(Px, x, mode="forward"))
    assert small


def test_clip_with_equal_bounds_is_a_quarter_and_relu6_bounds_are_zero():
    """Hand-derived: jnp.clip = min(hi, max(lo, x)), two 1/2-1/2 ties; relu6' = 0 at 0, 6."""
    z = jnp.zeros(1)
    P = selcalc.from_jax(lambda x: jnp.clip(x, 0.0, 0.0).sum(), z)
    assert selcalc.grad(P, z) == (sympy.Rational(1, 4),)
    assert float(jax.grad(lambda x: jnp.clip(x, 0.0, 0.0).sum())(z)[0]) == 0.25
    P = selcalc.from_jax(lambda x: jax.nn.relu6(x).sum(), jnp.array([0.0, 6.0]))
    assert selcalc.grad(P, (0, 6)) == (0, 0)


def test_node_info_has_line():
    def f(x):
        return jnp.max(x)
    P = selcalc.from_jax(f, jnp.zeros(3))
    info = P.node_info(P.m)
    assert info.op == "reduce_max" and info.function == "f" and info.file == "test_models_jax.py"


@pytest.mark.parametrize("fn, op", [
    (lambda x: jnp.sin(x).sum(), "sin"),
    (lambda x: jax.lax.top_k(x, 1)[1].sum() * 1.0, "indices returned by top_k"),
    (lambda x: jax.nn.logsumexp(x), "not a finite real number"),
    (lambda x: jnp.linalg.norm(x), "sqrt"),
])
def test_unsupported_primitives_raise_parse_error(fn, op):
    with pytest.raises(selcalc.ParseError) as err:
        selcalc.from_jax(fn, jnp.array([1.0, 2.0]))
    assert op in str(err.value) and "test_models_jax.py" in str(err.value), str(err.value)
