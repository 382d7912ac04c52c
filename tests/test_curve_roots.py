"""Breakpoints that are roots of high-degree polynomials (issue 21, item 8).

``relu(x - y) + abs(x + y)`` along a random degree-50 polynomial curve used to give no
answer in 300 s: the program evaluated at a breakpoint ``t*`` (a ``CRootOf``) met the
test ``x - y``, which is 0 there by construction, and sympy tried to prove it with the
minimal polynomial of a sum of 51 powers of the root.  Signs at a root are now decided
from the root's own polynomial (:mod:`selcalc.rootsign`).  Oracles here: zeros by
construction (``F h`` at a root of ``F``) and 50-digit evaluation for the signs, sympy's
root counting for the breakpoints.
"""

import random
import time
from fractions import Fraction

import mpmath
import pytest
import sympy

import selcalc
from selcalc.rootsign import root_sign
from tests.robustness.caps import capped

X = sympy.Symbol("x")
T = sympy.Symbol("t", real=True)
P = selcalc.parse("def f(x, y):\n    return relu(x - y) + abs(x + y)")


def random_curve(degree, seed):
    rng = random.Random(seed)
    return selcalc.polynomial_curve(
        [(Fraction(rng.randint(-9, 9)), Fraction(rng.randint(-9, 9)))
         for _ in range(degree + 1)])


@pytest.mark.parametrize("seed", range(12))
def test_root_sign_agrees_with_construction_and_high_precision(seed):
    rng = random.Random(seed)
    while True:
        F = sympy.Poly([rng.randint(-5, 5) for _ in range(6)] + [rng.choice([-1, 1])], X)
        if F.degree() == 6 and F.is_irreducible and F.count_roots() > 0:
            break
    r = sympy.Poly(F, X).real_roots()[0]
    h = sympy.Poly([rng.randint(-3, 3) for _ in range(4)], X)
    zero = (F * h).as_expr().subs(X, r)  # 0 by construction, not syntactically
    assert root_sign(zero) == 0
    for _ in range(5):
        p = sympy.Poly([rng.randint(-9, 9) for _ in range(9)], X)
        value = p.as_expr().subs(X, r) / (1 + r ** 2)
        exact = root_sign(value)
        if p.rem(F).is_zero:
            assert exact == 0
            continue
        approx = sympy.N(value, 50)
        assert abs(approx) > sympy.Float("1e-30", 50)
        assert exact == (1 if approx > 0 else -1)


def test_root_sign_leaves_other_numbers_alone():
    r = sympy.CRootOf(X ** 5 - 3 * X + 1, 1)
    assert root_sign(sympy.sqrt(2) * r) is None  # another irrational
    assert root_sign(r + sympy.CRootOf(X ** 3 - 2, 0)) is None  # two roots
    assert root_sign(sympy.sqrt(r)) is None  # not polynomial in r
    assert root_sign(sympy.Rational(1, 3)) is None
    assert selcalc.numbers.sign(sympy.sqrt(r) - 1) == -1  # the other routes still run


def test_a_sign_past_the_bisection_bound_is_undecided(monkeypatch):
    r = sympy.CRootOf(X ** 5 - 3 * X + 1, 1)
    with mpmath.workdps(120):  # an approximation made apart from sympy's (cached) intervals
        root = min((z.real for z in mpmath.polyroots([1, 0, 0, 0, -3, 1], maxsteps=200,
                                                     extraprec=400)
                    if abs(z.imag) < 1e-50 and 0 < z.real < 0.5))
        close = sympy.Rational(mpmath.nstr(root, 110))  # within 1e-100 of r
    assert root_sign(r - close) in (-1, 1)
    monkeypatch.setattr(selcalc.rootsign, "MAX_BISECTIONS", 20)
    with pytest.raises(selcalc.Undecided, match="proved nonzero"):
        root_sign(r - close)
    assert root_sign(r ** 5 - 3 * r + 1) == 0  # zeros need no bisection


def test_degree_50_curve_is_decided_in_seconds():
    curve = random_curve(50, 0)
    start = time.monotonic()
    with capped(seconds=120):
        v = selcalc.check_conservative(P, curve, time_limit=60)
    elapsed = time.monotonic() - start
    assert v.holds is True, v.reason
    # the breakpoints are the real roots in (0, 1) of (x - y)(x + y) along the curve
    x, y = curve.exprs
    product = sympy.Poly(sympy.expand((x - y) * (x + y)), T).sqf_part()
    roots = product.count_roots(0, 1) - sum(product.eval(e) == 0 for e in (0, 1))
    assert len(v.certificate["breakpoints"]) == roots >= 1
    assert elapsed < 60  # seconds on CI; about 3-8 s measured on a loaded 2-core machine


@pytest.mark.parametrize("degree,seed,cuts", [(20, 5, 2), (30, 5, 3)])
def test_lower_degrees_every_field(degree, seed, cuts):
    curve = random_curve(degree, seed)
    for field in ("index_closure", "clarke", "pytorch"):
        with capped(seconds=120):
            v = selcalc.check_conservative(P, curve, field, time_limit=60)
        assert v.holds is True, (field, v.reason)
        assert len(v.certificate["breakpoints"]) == cuts


def test_time_limit_is_honoured_with_an_unknown_verdict():
    curve = random_curve(50, 0)
    start = time.monotonic()
    with capped(seconds=120):
        v = selcalc.check_conservative(P, curve, time_limit=0.2)
    elapsed = time.monotonic() - start
    assert v.holds is None
    assert "time_limit=0.2" in v.reason
    # checked between root isolations, pieces and breakpoints; one isolation of a
    # degree-50 polynomial takes about a second
    assert elapsed < 10
