"""Batched ReLU / max-pooling runs (selcalc.interpreters.elementwise) against the per-node
loop, the oracle (both batched paths off).

Random CNN-like programs (convolution, ReLU, max pooling, linear, ReLU, linear; two
outputs) with non-dyadic weights (thirds, sevenths), points with planted ties (zero
patches: tied ReLUs and tied pooling windows; repeated values), an irrational entry (the
per-node fallback), under every preset convention (each library version) and the generic
``selection``, both modes, with and without a forced pattern.  Everything is compared:
values, active sets in node order, tie lists, local partials, both Jacobians.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from fractions import Fraction

import numpy as np
import pytest
import sympy

import selcalc
from selcalc.frontends.builder import Builder
from selcalc.frontends.tensors import TensorLowering
from selcalc.interpreters import elementwise, linear
from selcalc.interpreters.backward import backward_jacobian
from selcalc.interpreters.evaluate import evaluate
from selcalc.interpreters.forward import forward_jacobian
from selcalc.interpreters.partials import local_partials
from selcalc.libraries.ops import extremum, relabel
from selcalc.primitives import PRIMITIVES
from selcalc.primitives.table import max_primitive

SIDE = 6


def cnn(rng, library=True, stride=2):
    """conv 1->2 (3x3) + ReLU + 2x2 max pool (overlapping windows with stride 1) + linear
    + ReLU + linear 12->2."""
    b = Builder()
    L = TensorLowering(b)
    x = L.inputs((1, 1, SIDE, SIDE), "x")
    if library:
        relu, pool = relabel("relu", "torch.relu"), (lambda r: extremum(r, True, "torch.max_pool"))
    else:
        relu, pool = PRIMITIVES["relu"], max_primitive

    def frac(lo, hi, dens):
        return Fraction(rng.randint(lo, hi), rng.choice(dens))
    shared = frac(1, 3, [3, 7])  # repeated weights: more ties
    w = np.array([[[[shared if rng.random() < 0.3 else frac(-3, 3, [1, 3, 7])
                     for _ in range(3)] for _ in range(3)]] for _ in range(2)], dtype=object)
    bias = np.array([Fraction(0), frac(-1, 1, [3])], dtype=object)
    h = L.conv(x, L.constant(w), L.constant(bias), [1, 1], [0, 0], [1, 1], 1)  # 2x4x4
    h = L.map(relu, h)
    side = 2 if stride == 2 else 3
    h = L.windows(h, [2, 2], [stride, stride], [0, 0], [1, 1], [side, side],
                  lambda vs: b.apply(pool(len(vs)), vs))  # 2 x side x side
    h = h.reshape(-1, 1)
    W1 = np.array([[frac(-3, 3, [1, 3, 7]) for _ in range(2 * side * side)]
                   for _ in range(12)], dtype=object)
    b1 = np.array([[frac(-2, 2, [5])] for _ in range(12)], dtype=object)
    h = L.map(relu, L.matmul(L.constant(W1), h, bias=L.constant(b1)))
    W2 = np.array([[frac(-3, 3, [3]) for _ in range(12)] for _ in range(2)], dtype=object)
    y = L.matmul(L.constant(W2), h)
    return b.finish(list(y.ravel()))


@contextmanager
def batched(on):
    linear.ENABLED = elementwise.ENABLED = on
    try:
        yield
    finally:
        linear.ENABLED = elementwise.ENABLED = True


def point(rng, P, ties=True):
    x = [Fraction(rng.randint(-9, 9), rng.choice([1, 2, 3, 9])) for _ in range(P.p)]
    if ties:  # a zero 3x3 patch: conv outputs equal to the bias, tied ReLUs and windows
        i, j = rng.randint(0, SIDE - 4), rng.randint(0, SIDE - 4)
        for di in range(4):
            for dj in range(4):
                x[(i + di) * SIDE + j + dj] = 0
        x[rng.randrange(P.p)] = x[rng.randrange(P.p)]
    return x


CONVENTIONS = [selcalc.CONVENTIONS[name] for name in sorted(selcalc.CONVENTIONS)] + [
    selcalc.Convention("average", default="mean"), selcalc.Convention("last", default="last")]


def everything(P, x, pattern=None):
    """What the interpreters return at ``x``, under every convention and both modes."""
    r = evaluate(P, x, pattern=pattern)
    out = [r.values, list(r.active.items()), list(r.ties().items())]
    for conv in CONVENTIONS:
        name = conv.name
        for mode in ("backward", "forward"):
            d = local_partials(P, r, conv, mode, pattern=pattern)
            out.append((name, mode, d, backward_jacobian(P, d) if mode == "backward"
                        else forward_jacobian(P, d)))
    return out


def both(P, x, pattern=None):
    res = []
    for on in (False, True):
        with batched(on):
            res.append(everything(P, x, pattern))
    return res


@pytest.mark.parametrize("seed", range(3))
def test_batched_runs_give_the_per_node_values_ties_and_gradients(seed):
    rng = random.Random(seed)
    P = cnn(rng, library=seed != 2, stride=1 if seed == 1 else 2)
    plan = elementwise.runs(P)
    kinds = sorted({(run.prim.family, run.stop - run.start) for run in plan.values()})
    assert len(kinds) == 3, kinds  # conv ReLUs (32), pooling windows (8 or 18), hidden ReLUs
    seen_ties = set()
    for ties in (True, True, False):
        x = point(rng, P, ties)
        per_node, fast = both(P, x)
        assert per_node == fast
        seen_ties |= {P.ops[g].family for g, _ in fast[2]}
    assert len(seen_ties) == 2, seen_ties  # tied ReLUs and tied windows were exercised
    x[0] = sympy.sqrt(2)  # not rational: the runs after it fall back to the per-node loop
    per_node, fast = both(P, x)
    assert per_node == fast


def test_a_forced_pattern_goes_through_the_per_node_path():
    rng = random.Random(5)
    P = cnn(rng)
    x = point(rng, P)
    run = evaluate(P, x)
    assert run.ties()
    some = {g: act[-1] for g, act in run.ties().items()}  # tied nodes: the last piece
    run_start = next(iter(elementwise.runs(P)))
    some[run_start] = 0 if run.active[run_start] != (0,) else 1  # a piece no sign chose
    per_node, fast = both(P, x, pattern=some)
    assert per_node == fast
    assert run_start not in dict(fast[1])  # forced groups are not recorded
    conv = selcalc.CONVENTIONS["pytorch"]
    grads = []
    for on in (False, True):  # a pattern given to the partials only (a run without one)
        with batched(on):
            d = local_partials(P, evaluate(P, x), conv, pattern=some)
            grads.append((d, backward_jacobian(P, d)))
    assert grads[0] == grads[1]


def test_the_public_answers_agree_with_the_per_node_loop():
    rng = random.Random(11)
    P = cnn(rng)
    x = point(rng, P)
    answers = []
    for on in (False, True):
        with batched(on):
            answers.append((selcalc.jacobian(P, x, "pytorch"), selcalc.jacobian(P, x, "jax"),
                            selcalc.jacobian(P, x, "tensorflow", mode="forward"),
                            list(evaluate(P, x).ties())))
    assert answers[0] == answers[1] and answers[0][3]


def test_the_tests_catch_a_wrong_batched_choice(monkeypatch):
    """A planted bug (a ReLU run reads its sign from the wrong argument row) is caught."""
    rng = random.Random(0)
    P = cnn(rng)
    x = point(rng, P, ties=False)
    good = both(P, x)
    assert good[0] == good[1]
    real = elementwise.evaluate_run

    def shifted(run, values, active, pattern, step):
        real(run, values, active, pattern, step)
        values[run.start], values[run.start + 1] = values[run.start + 1], values[run.start]
    monkeypatch.setattr("selcalc.interpreters.evaluate.evaluate_run", shifted)
    bad = both(P, x)
    assert bad[0] != bad[1]


def test_only_selector_primitives_are_batched():
    sel = elementwise.selector
    assert sel(PRIMITIVES["relu"]) and sel(max_primitive(4)) and sel(PRIMITIVES["where"])
    assert sel(PRIMITIVES["abs"]) is None  # piece -a1: a new value, not an argument
    assert sel(PRIMITIVES["leaky_relu"]) is None  # a product
    from selcalc.primitives.table import clip_primitive, sort_primitive
    assert sel(clip_primitive(0, 1)) is None  # tests a1 - 1 are not homogeneous
    assert sel(sort_primitive(3)) is None and sel(PRIMITIVES["add"]) is None


def test_the_direct_quotient_is_the_reduced_fraction():
    rng = random.Random(3)
    for _ in range(2000):
        den = rng.choice([1, 2, 3, 7, 2 ** 20, 3 ** 30, rng.randint(1, 10 ** 30)])
        n = rng.randint(-10 ** 40, 10 ** 40) * rng.choice([1, den, 3])
        q, ref = linear.quotient(n, den), Fraction(n, den)
        assert q == ref and hash(q) == hash(ref)
        assert type(q) is (int if ref.denominator == 1 else Fraction)
        if type(q) is Fraction:
            assert (q.numerator, q.denominator) == (ref.numerator, ref.denominator)
            assert q * 3 - ref == 2 * ref and repr(q) == repr(ref)


def test_partials_given_as_lists_are_pulled_back_too():
    """Callers may build their own partials (lists, averaged weights) for run nodes."""
    rng = random.Random(8)
    P = cnn(rng)
    x = point(rng, P)
    out = []
    for on in (False, True):
        with batched(on):
            d = local_partials(P, evaluate(P, x), selcalc.CONVENTIONS["selection"])
            d = [list(p) if k % 2 else [v / 2 for v in p] for k, p in enumerate(d)]
            out.append(backward_jacobian(P, d))
    assert out[0] == out[1]
