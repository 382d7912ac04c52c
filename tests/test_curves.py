"""Conservativity along rational curves, exact breakpoints, Proposition 2.

Definitions: docs/mathematics.md, section 4.
"""

from fractions import Fraction

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import selcalc
from bench.networks import relu_network
from tests.strategies import programs

F = Fraction
ZERO = "def zero(t):\n    return relu(-t) + t - relu(t)\n"
IDENTITY = "def identity(t):\n    return t - (relu(-t) + t - relu(t))\n"
FIELDS = ("ad_outputs", "index_closure", "clarke", "pytorch", "selection")


def test_zero_and_identity_through_zero_and_constant_curve():
    for src in (ZERO, IDENTITY):
        P = selcalc.parse(src)
        for curve in (selcalc.segment((-1,), (1,)), selcalc.segment((F(-1, 3),), (2,)),
                      selcalc.polynomial_curve([(0,)])):
            for field in FIELDS:
                v = selcalc.check_conservative(P, curve, field)
                assert v.holds is True, (src, curve, field, v)


def test_the_talks_non_conservative_field():
    x1, x2 = sympy.symbols("x1 x2")
    P = selcalc.parse("def f(x1, x2):\n    return x1**2 + x2**2\n")
    D = selcalc.Field([([], "gradient"), ([sympy.Eq(x2, 0), x1 >= 0, x1 <= 1], [(0, 0)])])
    along = selcalc.check_conservative(P, selcalc.segment((0, 0), (1, 0)), D)
    assert along.holds is False
    w = along.certificate
    t = sympy.sympify(w["t"])
    lo, hi = (sympy.sympify(v) for v in w["interval"])
    assert lo < t < hi
    # re-check the witness independently: d/dt f(t, 0) = 2t, while <0, γ'> = 0
    assert w["lhs"] == 2 * t and w["rhs"] == 0
    across = selcalc.check_conservative(P, selcalc.segment((F(1, 2), -1), (F(1, 2), 1)), D)
    assert across.holds is True
    assert selcalc.check_conservative(P, selcalc.segment((0, 0), (1, 0)), "index_closure").holds


def test_irrational_breakpoint_is_exact():
    P = selcalc.parse("def f(x):\n    return relu(x**2 - 2)\n")
    bp = selcalc.breakpoints(P, selcalc.segment((0,), (3,)))
    (r,) = bp.points
    assert sympy.simplify((3 * r) ** 2 - 2) == 0 and not r.is_Rational
    assert [len(p) for p in bp.pieces] == [1, 1]


def test_curve_inside_a_kink_has_several_patterns():
    P = selcalc.parse("def f(x, y):\n    return relu(x - y) + abs(x + y)\n")
    bp = selcalc.breakpoints(P, selcalc.segment((-1, -1), (1, 1)))
    assert bp.points == (F(1, 2),)
    assert all(len(p) == 2 for p in bp.pieces)  # relu tied all along the diagonal
    for field in FIELDS:
        assert selcalc.check_conservative(P, selcalc.segment((-1, -1), (1, 1)), field).holds


def test_proposition_2_with_a_selection_wrong_on_a_null_set():
    P = selcalc.parse(ZERO)
    assert selcalc.grad(P, 0) == (1,)  # wrong at 0 ...
    assert selcalc.integrate_along(P, (-1,), (1,)) == 0  # ... and the integral ignores it
    for conv in selcalc.CONVENTIONS:
        assert selcalc.check_integration(P, (-1,), (2,), conv).holds is True
    sq = selcalc.parse("def f(x, y):\n    return max(x**2, y) + relu(x - y)\n")
    assert selcalc.check_integration(sq, (-1, 2), (3, F(-1, 2))).holds is True


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_inputs=2), st.integers(0, 1000))
def test_conservative_along_sampled_curves(case, seed):
    src, _ = case
    P = selcalc.parse(src)
    for curve in selcalc.sample_curves(P, 3, seed=seed):
        for field in ("ad_outputs", "index_closure", "clarke", "jax"):
            v = selcalc.check_conservative(P, curve, field)
            assert v.holds is True, (src, curve, field, v)


def test_relu_network_curves_inside_kink_hyperplanes():
    P, _ = relu_network([2, 4, 3, 1], seed=3, tied_first_layer=2)
    curves = selcalc.sample_curves(P, 6, seed=1, kinds=("inside_ties",))
    assert curves
    persistent = 0
    for curve in curves:
        bp = selcalc.breakpoints(P, curve)
        persistent += any(len(p) > 1 for p in bp.pieces)
        for field in ("ad_outputs", "clarke", "pytorch"):
            assert selcalc.check_conservative(P, curve, field).holds is True
    assert persistent > 0  # the sampler really reaches the kinks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_inputs=2), st.integers(0, 1000))
def test_rational_walk_agrees_with_symbolic_root_isolation(case, seed):
    src, _ = case
    P = selcalc.parse(src)
    for curve in selcalc.sample_curves(P, 3, seed=seed):
        fast = selcalc.breakpoints(P, curve)
        slow = selcalc.breakpoints(P, curve, method="symbolic")
        assert fast.points == slow.points
        assert [sorted(map(sorted, map(dict.items, a))) for a in fast.pieces] == \
            [sorted(map(sorted, map(dict.items, b))) for b in slow.pieces]


def test_polynomial_curves_inside_a_curved_kink():
    P = selcalc.parse("def f(x, y):\n    return relu(y - x**2) + max(x * y, x)\n")
    curves = selcalc.sample_curves(P, 6, seed=2, kinds=("inside_ties",))
    inside = [c for c in curves if c.kind == "polynomial" and len(c.coeffs) > 2]
    assert inside
    for c in inside:
        x, y = c.exprs
        assert sympy.expand(y - x**2) == 0  # the curve lies on the parabola
        assert any(len(p) > 1 for p in selcalc.breakpoints(P, c).pieces)
        for field in ("ad_outputs", "index_closure", "clarke", "pytorch"):
            assert selcalc.check_conservative(P, c, field).holds is True
