"""Batched layers (selcalc.interpreters.linear) against the per-node loop, the oracle.

Weights are non-dyadic rationals (thirds, sevenths), some repeated and zero; points mix
ints, Fractions, zeros (ReLU ties) and an irrational entry (the per-node fallback).
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

import selcalc
from selcalc.frontends.builder import Builder
from selcalc.frontends.tensors import TensorLowering
from selcalc.interpreters import linear
from selcalc.interpreters.backward import backward_jacobian
from selcalc.interpreters.evaluate import evaluate
from selcalc.interpreters.partials import local_partials
from selcalc.primitives import PRIMITIVES


def two_layers(rng, n_in=7, hidden=24, n_out=2):
    b = Builder()
    L = TensorLowering(b)
    x = L.inputs((n_in,), "x")
    W1 = np.array([[Fraction(rng.randint(-3, 3), rng.choice([1, 3, 7])) for _ in range(n_in)]
                   for _ in range(hidden)], dtype=object)
    b1 = np.array([Fraction(rng.randint(-2, 2), 5) for _ in range(hidden)], dtype=object)
    W2 = np.array([[Fraction(rng.randint(-3, 3), 3) for _ in range(hidden)]
                   for _ in range(n_out)], dtype=object)
    h = L.map(PRIMITIVES["relu"], L.matmul(L.constant(W1), x, bias=L.constant(b1).reshape(-1, 1)))
    y = L.matmul(L.constant(W2), h)
    return b.finish(list(y.ravel()))


def both_ways(P, x):
    conv = selcalc.CONVENTIONS["selection"]
    out = []
    for on in (False, True):
        linear.ENABLED = on
        try:
            r = evaluate(P, x)
            out.append((r.values, r.active, backward_jacobian(P, local_partials(P, r, conv))))
        finally:
            linear.ENABLED = True
    return out


@pytest.mark.parametrize("seed", range(4))
def test_batched_layers_give_the_per_node_values_and_gradients(seed):
    rng = random.Random(seed)
    P = two_layers(rng)
    (block,) = linear.blocks(P).values()  # the hidden layer (a row may fold to a constant)
    assert block.stop - block.start >= linear.MIN_ROWS
    for _ in range(3):
        x = [rng.choice([0, 0, 1, -2, Fraction(rng.randint(-9, 9), rng.randint(1, 9))])
             for _ in range(P.p)]
        per_node, batched = both_ways(P, x)
        assert per_node == batched
    x[0] = sympy.sqrt(2)  # not rational: the block falls back to the per-node loop
    per_node, batched = both_ways(P, x)
    assert per_node[0] == batched[0] and per_node[2] == batched[2]


def test_a_forced_pattern_and_the_public_gradient_agree_with_the_per_node_loop():
    P = two_layers(random.Random(9))
    x = [0] * P.p  # every ReLU tied
    for on in (False, True):
        linear.ENABLED = on
        try:
            g = selcalc.jacobian(P, x)
            ad = selcalc.ad_outputs(P, x).points if P.q == 1 else None
        finally:
            linear.ENABLED = True
        if on:
            assert g == g_off and ad == ad_off
        g_off, ad_off = g, ad


@pytest.mark.parametrize("scale", [10 ** 17, 2 ** 62, 10 ** 30])
def test_large_integers_leave_the_int64_products_for_flint(scale):
    """int64 products only under the certified bound: values (and weights) near and past
    2^63 go through FLINT and still give the per-node values and gradients."""
    rng = random.Random(scale)
    P = two_layers(rng)
    x = [rng.choice([scale, -scale, Fraction(scale, 3), Fraction(1, scale), 0])
         for _ in range(P.p)]
    per_node, batched = both_ways(P, x)
    assert per_node == batched


def test_huge_weights_have_no_int64_form():
    b = Builder()
    L = TensorLowering(b)
    x = L.inputs((3,), "x")
    W = np.array([[Fraction(rng_w, 7) * 10 ** 25 for rng_w in (1, -2, 3)]
                  for _ in range(20)], dtype=object) + np.arange(20).reshape(-1, 1)
    P = b.finish(list(L.matmul(L.constant(W), x).ravel()))
    (block,) = linear.blocks(P).values()
    assert block.csr is None
    per_node, batched = both_ways(P, [1, Fraction(2, 3), -5])
    assert per_node == batched


def test_a_wrong_overflow_bound_is_caught(monkeypatch):
    """Planted bug: trusting int64 past 2^63 wraps around; the comparison catches it."""
    P = two_layers(random.Random(1))
    x = [2 ** 60 + i for i in range(P.p)]  # each fits in int64, the sums do not
    monkeypatch.setattr(linear, "_INT64", 2 ** 200)
    per_node, batched = both_ways(P, x)
    assert per_node != batched


def test_the_flint_fallback_of_a_whole_layer_goes_by_chunks(monkeypatch):
    """A layer with the int64 form is one block; past the int64 bound its FLINT form is
    built in chunks of rows (MAX_ENTRIES), with the per-node values and gradients."""
    monkeypatch.setattr(linear, "MAX_ENTRIES", 40)  # 24 rows x 7 columns: 5 chunks
    P = two_layers(random.Random(4))
    (block,) = linear.blocks(P).values()
    assert block.csr is not None
    x = [10 ** 30 * (i - 3) + Fraction(1, 3) for i in range(P.p)]
    per_node, batched = both_ways(P, x)
    assert per_node == batched
    assert len(block.mats()) == 5
