"""Property test of the importers: a random program of supported ops, imported, evaluated
exactly, against the library's own float value (torch 2.13.0 in float64, jax 0.10.2 in
float32).

Each example is a chain of elementwise ops ending in a reduction, on a vector of n = 3, 5,
6 or 7 entries (sizes where ``float(1/n) != 1/n``).  Two checks:

* at a random point (multiples of 1/64), ``|library value - exact value| <= bound`` with
  ``bound = 2**ops * 64 * ops * eps * M``: each library op (elementwise, or a reduction
  over at most 7 entries; ``exp``/``tanh``/``log`` are accurate to a few ulps) adds at most
  about 8 ulps of the largest magnitude ``M`` met on the way (``M >= 1``), every op of the
  pool is at most 2-Lipschitz (so an earlier error at most doubles per op), and 8x slack
  on top.  ``eps`` is the unit roundoff of the library's dtype.  This is a documented
  margin, not a proof;
* at the constant points ``c * ones(n)`` (c = -1, 1, 2), where every op of a chain marked
  *dyadic* computes exactly in floats (small dyadic values, a mean of equal entries is
  exact), the two values must be EQUAL: a constant off by one ulp (``float(1/3)`` for 1/3)
  is caught there, which no rounding bound could do.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

import selcalc

pytestmark = pytest.mark.frameworks
SIZES = (3, 5, 6, 7)
EXAMPLES = 40
SQUARING = ("mse", "smooth_l1", "huber", "mean of squares")


def _exact_float(v):
    return float(sympy.N(sympy.sympify(v), 40))


def _check(P, lib_value, x, eps, ops, magnitude, dyadic_point):
    exact = P(x)
    exact = exact[0] if isinstance(exact, tuple) else exact
    if dyadic_point:
        assert Fraction(lib_value) == sympy.sympify(exact), (lib_value, exact)
        return
    bound = 2 ** ops * 64 * ops * eps * max(1.0, magnitude)
    assert abs(lib_value - _exact_float(exact)) <= bound, (lib_value, exact, bound)


def _chains(rng, unary, final):
    """EXAMPLES chains (n, [unary names], final name): up to 3 dyadic ops, then at most one
    transcendental op (deeper nests of exp / log make exact signs slow), then a reduction
    (a transcendental one, or one that squares, only after dyadic ops: exact sums of
    squares of exp terms take minutes to normalize).  The first chains are dyadic ones ending
    in each mean-like reduction at each size."""
    dyadic_u = sorted(k for k, (_, d) in unary.items() if d)
    other_u = sorted(k for k, (_, d) in unary.items() if not d)
    dyadic_f = sorted(k for k, (_, d) in final.items() if d)
    means = [k for k in dyadic_f if "mean" in k]
    out = [(n, [rng.choice(dyadic_u)], m) for n in SIZES for m in means]
    while len(out) < EXAMPLES:
        names = rng.sample(dyadic_u, rng.randint(0, 3))
        if rng.random() < 0.6 or not names:
            names.append(rng.choice(other_u))
        last = rng.choice(sorted(final) if all(unary[k][1] for k in names) else
                          [k for k in dyadic_f if not k.startswith(SQUARING)])
        out.append((rng.choice(SIZES), names, last))
    return out


def _point(rng, n):
    """A random point of multiples of 1/64 in [-2, 2] (small exact values)."""
    return [rng.randint(-128, 128) / 64 for _ in range(n)]


# --------------------------------------------------------------------------- torch
def test_torch_imported_programs_agree_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    zeros = torch.zeros_like
    unary = {  # name -> (function, dyadic: exact in float64 at small dyadic inputs)
        "relu": (F.relu, True), "abs": (torch.abs, True), "neg": (torch.neg, True),
        "hardtanh": (lambda t: F.hardtanh(t, -0.5, 1.5), True), "relu6": (F.relu6, True),
        "clamp": (lambda t: t.clamp(-1.0, 2.0), True),
        "softshrink": (lambda t: F.softshrink(t, 0.5), True),
        "double": (lambda t: t * 2, True), "affine": (lambda t: t * 0.5 + 0.25, True),
        "center": (lambda t: t - t.mean(), True),
        "tanh": (torch.tanh, False), "sigmoid": (torch.sigmoid, False),
        "leaky": (lambda t: F.leaky_relu(t, 0.1), False), "elu": (F.elu, False),
        "celu": (lambda t: F.celu(t, 3.0), False),
        "softplus": (lambda t: F.softplus(t, 2.0), False),
        "hardsigmoid": (F.hardsigmoid, False), "hardswish": (F.hardswish, False),
        "third": (lambda t: t / 3.0 + 0.1, False),
        "softmax": (lambda t: F.softmax(t, 0), False),
        "log_softmax": (lambda t: F.log_softmax(t, 0), False),
    }
    final = {
        "mean": (lambda t: t.mean(), True), "sum": (lambda t: t.sum(), True),
        "max": (lambda t: t.max(), True),
        "mse_loss mean": (lambda t: F.mse_loss(t, zeros(t)), True),
        "l1_loss mean": (lambda t: F.l1_loss(t, zeros(t)), True),
        "smooth_l1_loss mean": (lambda t: F.smooth_l1_loss(t, zeros(t)), True),
        "huber_loss mean": (lambda t: F.huber_loss(t, zeros(t)), True),
        "AdaptiveAvgPool1d mean": (lambda t: torch.nn.AdaptiveAvgPool1d(1)(
            t.reshape(1, 1, -1)).reshape(()), True),
        "logsumexp": (lambda t: torch.logsumexp(t, 0), False),
        "cross_entropy": (lambda t: F.cross_entropy(t.reshape(1, -1),
                                                    torch.zeros(1, dtype=torch.long)), False),
    }
    rng = random.Random(20261208)
    for n, names, last in _chains(rng, unary, final):
        fns = [unary[k][0] for k in names] + [final[last][0]]
        dyadic = all(unary[k][1] for k in names) and final[last][1]

        def model(t, fns=fns):
            for f in fns:
                t = f(t)
            return t
        x0 = torch.full((n,), 0.5, dtype=torch.float64)
        P = selcalc.from_torch(model, x0)
        points = [(torch.tensor(_point(rng, n), dtype=torch.float64), False)]
        points += [(torch.full((n,), c, dtype=torch.float64), dyadic) for c in (-1.0, 1.0, 2.0)]
        for x, exact_point in points:
            t, magnitude = x, float(x.abs().max())
            for f in fns:
                t = f(t)
                magnitude = max(magnitude, float(t.abs().max()))
            _check(P, float(t), x, 2.0 ** -53, len(fns), magnitude, exact_point)


# --------------------------------------------------------------------------- jax
def test_jax_imported_programs_agree_with_jax():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    import numpy as np
    unary = {
        "relu": (jax.nn.relu, True), "abs": (jnp.abs, True), "neg": (jnp.negative, True),
        "clip": (lambda v: jnp.clip(v, -1.0, 2.0), True), "relu6": (jax.nn.relu6, True),
        "double": (lambda v: v * 2, True), "affine": (lambda v: v * 0.5 + 0.25, True),
        "center": (lambda v: v - jnp.sum(v) / v.shape[0], True),
        "max0": (lambda v: jnp.maximum(v, 0.5), True),
        "tanh": (jnp.tanh, False), "sigmoid": (jax.nn.sigmoid, False),
        "leaky": (lambda v: jax.nn.leaky_relu(v, 0.1), False), "elu": (jax.nn.elu, False),
        "celu": (lambda v: jax.nn.celu(v, 1 / 3), False),
        "softplus": (jax.nn.softplus, False), "third": (lambda v: v / 3.0 + 0.1, False),
    }
    final = {
        # jnp.mean is not exact in float32 (measured, jax 0.10.2: the mean of seven 3.0 is
        # 3.0000002), so the dyadic means are written sum / n (a div by the literal n)
        "mean": (lambda v: jnp.sum(v) / v.shape[0], True), "jnp.mean": (jnp.mean, False),
        "sum": (jnp.sum, True), "max": (jnp.max, True),
        "mean of squares": (lambda v: jnp.sum(v * v) / v.shape[0], True),
        "mean of abs": (lambda v: jnp.sum(jnp.abs(v)) / v.shape[0], True),
        "sort": (lambda v: jnp.sort(v)[1], True),
    }
    rng = random.Random(20261209)
    for n, names, last in _chains(rng, unary, final):
        fns = [unary[k][0] for k in names] + [final[last][0]]
        dyadic = all(unary[k][1] for k in names) and final[last][1]

        def fn(v, fns=fns):
            for f in fns:
                v = f(v)
            return v
        P = selcalc.from_jax(fn, jnp.full((n,), 0.5, dtype=jnp.float32))
        points = [(np.array(_point(rng, n), dtype=np.float32), False)]
        points += [(np.full((n,), c, dtype=np.float32), dyadic) for c in (-1.0, 1.0, 2.0)]
        for x, exact_point in points:
            v, magnitude = jnp.asarray(x), float(np.abs(x).max())
            for f in fns:
                v = f(v)
                magnitude = max(magnitude, float(jnp.abs(v).max()))
            _check(P, float(v), [float(e) for e in x], 2.0 ** -24, len(fns), magnitude,
                   exact_point)
