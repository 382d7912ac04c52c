"""Fixed-point unrolling.

Oracles: closed forms of the iterated Jacobians for affine-in-x iterations; for the
finite field, the AD outputs of the *unrolled program* (F composed k times, built as one
program) — every tie-breaking of the k copies — which must be exactly the finite set D_k.
"""

from fractions import Fraction as Fr

import pytest
import sympy

import selcalc
from selcalc import SelcalcError, trace, unroll
from selcalc.theorems.chain_rule import compose, stack


def test_relu_contraction_closed_form():
    F = selcalc.parse("def F(theta, x):\n    return x / 2 + relu(theta)")
    U = unroll(F, 0, 0, 6)
    for k, D in enumerate(U.sets):
        assert D.interval == (0, 2 - Fr(2) ** (1 - k) if k else 0)
    assert U.limit.holds is True and U.implicit_hull.interval == (0, 2)
    assert U.distance() == Fr(2) ** -5


def test_smooth_iteration_matches_the_derivative():
    F = selcalc.parse("def F(theta, x):\n    return (x + theta) / 3")
    U = unroll(F, 2, 1, 4)  # x* = theta / 2 = 1 is the start: every iterate is x*
    assert all(x == (1,) for x in U.iterates)
    for k, D in enumerate(U.sets):
        assert D.interval == (Fr(1, 2) * (1 - Fr(1, 3 ** k)),) * 2
    assert U.distance() == Fr(1, 2 * 3 ** 4)
    assert not unroll(F, 2, 0, 2).limit.holds  # 0 is not the fixed point


def _unrolled_program(F, n, x0, k):
    """θ ↦ x_k(θ) as one program: (θ, x) ↦ (θ, F(θ, x)) composed k times."""
    m = F.q
    start = trace(lambda *t: tuple(t) + tuple(x0), n)
    theta = trace(lambda *z: tuple(z[:n]), n + m)
    step = stack(theta, F)
    P = start
    for _ in range(k):
        P = compose(P, step)
    last = trace(lambda *z: tuple(z[n:]), n + m)
    return compose(P, last)


def test_finite_field_equals_ad_outputs_of_the_unrolled_program():
    F = selcalc.parse("def F(t, x1, x2):\n    return relu(x1) / 2 + t, max(x1, x2 + t) / 3")
    U = unroll(F, (0,), (0, 0), 3, field="ad_outputs")
    P = _unrolled_program(F, 1, (0, 0), 3)
    outs = selcalc.ad_outputs(P, (0,))
    mine = {tuple(M) for M in U.elements[-1]}
    theirs = {tuple(sympy.Matrix(v)) for v in outs.points}
    assert mine == theirs and len(mine) > 2
    assert selcalc.ConvexSet([tuple(v) for v in mine]) == U.sets[-1]


def test_errors():
    F = selcalc.parse("def F(theta, x):\n    return x / 2 + relu(theta)")
    with pytest.raises(SelcalcError, match="inputs"):
        unroll(F, (0, 0), 0, 1)
    with pytest.raises(SelcalcError, match="no fixed-point"):
        unroll(F, 1, 0, 1).implicit  # noqa: B018
