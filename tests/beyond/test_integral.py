"""The integral rule and the failure of a Clarke integral rule.

Oracles: the hand-computed counterexample ``f(w, s) = s|w|``; sympy on the explicit
piecewise formula of the program (``selection(P).piecewise()``), summed or integrated in
``ξ`` and differentiated in ``w``.
"""

from fractions import Fraction as Fr

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import SelcalcError, Uniform, expectation
from selcalc.errors import Undecided

SABS = selcalc.parse("def f(w, s):\n    return s * abs(w)")
MIX = selcalc.parse("def g(w, s):\n    return relu(w - s) * s + abs(s * w - 1) - max(w, s)")


def test_counterexample_discrete_law():
    E = expectation(SABS, 0, {-1: Fr(1, 2), 1: Fr(1, 2)})
    assert E.value == 0
    assert E.conservative.interval == (-1, 1)
    assert E.clarke.interval == (0, 0)
    # the program of F is the zero function written as a mixture: AD there is in [-1, 1]
    assert selcalc.ad_outputs(E.program_F, 0).points and str(E.clarke) == "{0}"


def test_counterexample_uniform_law():
    E = expectation(SABS, 0, Uniform(-1, 1), field="ad_outputs")
    assert E.conservative.interval == (Fr(-1, 2), Fr(1, 2))
    assert E.clarke.interval == (0, 0) and E.value == 0
    # on [0, 1] the mixture is |w|/2: Clarke at 0 is [-1/2, 1/2] and equals E[∂f]
    H = expectation(SABS, 0, Uniform(0, 1), field="ad_outputs")
    assert H.clarke.interval == H.conservative.interval == (Fr(-1, 2), Fr(1, 2))
    # the Clarke field of s|w| at w = 0 is [-|s|, |s|]: its mean over [-1, 1] is [-1/2, 1/2]
    assert expectation(SABS, 0, Uniform(-1, 1)).conservative.interval == (Fr(-1, 2), Fr(1, 2))
    with pytest.raises(SelcalcError, match="index_closure"):
        expectation(SABS, 0, Uniform(-1, 1), field="index_closure").conservative  # noqa: B018


def test_uniform_clarke_by_hand_with_irrational_cut():
    # f = relu(w (s² − 2)) + max(w s, w s²) at w = 0, s uniform on [0, 2]. By hand:
    # the right slope of f(·, s) at 0 is (s² − 2)₊ + max(s, s²), the left one
    # −(2 − s²)₊ + min(s, s²), so
    # F'(0+) = ½[∫_√2^2 (s² − 2) ds + ∫_0^1 s ds + ∫_1^2 s² ds] = 3/4 + 2√2/3
    # F'(0−) = ½[∫_0^√2 (s² − 2) ds + ∫_0^1 s² ds + ∫_1^2 s ds] = 11/12 − 2√2/3
    P = selcalc.parse("def f(w, s):\n    return relu(w * (s**2 - 2)) + max(w * s, w * s * s)")
    E = expectation(P, 0, Uniform(0, 2))
    r2 = sympy.sqrt(2)
    lo, hi = sympy.Rational(11, 12) - 2 * r2 / 3, sympy.Rational(3, 4) + 2 * r2 / 3
    got = sorted((sympy.sympify(v[0]) for v in E.clarke.vertices), key=lambda v: float(v))
    assert [sympy.simplify(g - e) for g, e in zip(got, (lo, hi))] == [0, 0]
    # per s the Clarke set of f(·, s) at 0 is the hull of the two one-sided slopes; the
    # right one is never below the left one, so its mean is the same interval
    cons = sorted((sympy.sympify(v[0]) for v in E.conservative.vertices), key=float)
    assert [sympy.simplify(g - e) for g, e in zip(cons, (lo, hi))] == [0, 0]


def test_uniform_clarke_against_difference_quotients():
    # oracle: F(w0 ± h) integrated exactly by sympy from the explicit piecewise formula, for
    # a tiny exact h; F is semi-algebraic, so the one-sided quotients are F'(w0±) + O(h)
    h = sympy.Rational(1, 10 ** 6)
    for src, w0, lo, hi in (("relu(w - s) * s + abs(s * w - 1) - max(w, s)", 1, 0, 2),
                            ("s * abs(w) + relu(w + s)", 0, -1, 1),
                            ("abs(w - s) * (s + 1)", Fr(1, 2), -1, 3)):
        P = selcalc.parse(f"def f(w, s):\n    return {src}")
        f = _formula(P)
        F = lambda x: sympy.integrate(f.subs(W, x), (S, lo, hi)) / (hi - lo)  # noqa: E731
        w0 = sympy.Rational(w0)
        quotients = [(F(w0 + d * h) - F(w0)) / (d * h) for d in (-1, 1)]
        E = expectation(P, w0, Uniform(lo, hi))
        ends = sorted(float(v[0]) for v in E.clarke.vertices)
        left, right = ends[0], ends[-1]
        assert abs(min(quotients) - left) < 1e-4 and abs(max(quotients) - right) < 1e-4


def test_uniform_clarke_field_varies_with_the_side_that_wins():
    # f = max(w s, w s²): at w = 0 the segment lies in the kink; for w > 0 the winner is
    # max(s, s²), for w < 0 min(s, s²). On [0, 2]: F'(0+) = 17/12, F'(0−) = 11/12, and the
    # Clarke field of f(·, s) at 0 is [min(s, s²), max(s, s²)] with the same mean
    P = selcalc.parse("def f(w, s):\n    return max(w * s, w * s * s)")
    E = expectation(P, 0, Uniform(0, 2))
    assert E.clarke.interval == E.conservative.interval == (Fr(11, 12), Fr(17, 12))
    # s·|w| on [0, 1] with a shift: f = (s − 1/3)|w|: F = |w|/6, the field's mean is wider
    Q = selcalc.parse("def f(w, s):\n    return (s - 1/3) * abs(w)")
    E = expectation(Q, 0, Uniform(0, 1))
    assert E.clarke.interval == (Fr(-1, 6), Fr(1, 6))
    # ∫_0^1 |s − 1/3| ds = 1/18 + 4/18 = 5/18
    assert E.conservative.interval == (Fr(-5, 18), Fr(5, 18))


def test_uniform_clarke_not_polynomial_is_unknown():
    P = selcalc.parse("def f(w, s):\n    return abs(w) * exp(s)")
    with pytest.raises(Undecided, match="not polynomial"):
        expectation(P, 0, Uniform(0, 1)).clarke  # noqa: B018


W, S = sympy.symbols("w s")
frac = st.fractions(min_value=-3, max_value=3, max_denominator=7)


def _formula(P):
    sel = selcalc.selection(P)
    return sel.piecewise().xreplace(dict(zip(sel.symbols, (W, S))))


@settings(max_examples=20, deadline=None)
@given(frac, st.lists(st.tuples(frac, st.integers(1, 5)), min_size=1, max_size=3))
def test_discrete_law_against_sympy(w, atoms):
    total = sum(k for _, k in atoms)
    law = {}
    for xi, k in atoms:
        law[xi] = law.get(xi, 0) + Fr(k, total)
    E = expectation(MIX, w, law)
    F = sum(sympy.Rational(p) * _formula(MIX).subs(S, sympy.Rational(xi))
            for xi, p in law.items())
    assert sympy.simplify(E.value - F.subs(W, sympy.Rational(w))) == 0
    # at a generic w (off the kinks) the field is {F'(w)}; the kinks are finitely many,
    # so move w by a tiny exact amount when it sits on one
    wg = sympy.Rational(w) + sympy.Rational(1, 1009)
    Eg = expectation(MIX, Fr(str(wg)), law)
    dF = sympy.diff(F, W).subs(W, wg)
    assert Eg.conservative.contains((dF,)).holds is True
    assert Eg.clarke.contains((dF,)).holds is True


@settings(max_examples=10, deadline=None)
@given(frac, st.tuples(frac, frac).filter(lambda ab: ab[0] < ab[1]))
def test_uniform_law_against_sympy(w, ends):
    lo, hi = ends
    E = expectation(MIX, w, Uniform(lo, hi), field="ad_outputs")
    f = _formula(MIX).subs(W, sympy.Rational(w))
    expected = sympy.integrate(f, (S, sympy.Rational(lo), sympy.Rational(hi))) / \
        (sympy.Rational(hi) - sympy.Rational(lo))
    assert sympy.simplify(E.value - expected) == 0
    # the conservative set contains both one-sided difference quotients' limits: check
    # the Aumann integral contains the exact E[∂_w f] at a generic w
    wg = sympy.Rational(w) + sympy.Rational(1, 1009)
    g = sympy.diff(_formula(MIX), W).subs(W, wg)
    dF = sympy.integrate(g, (S, sympy.Rational(lo), sympy.Rational(hi))) / \
        (sympy.Rational(hi) - sympy.Rational(lo))
    Eg = expectation(MIX, Fr(str(wg)), Uniform(lo, hi), field="ad_outputs")
    assert Eg.conservative.contains((sympy.simplify(dF),)).holds is True


def test_bad_laws():
    with pytest.raises(SelcalcError, match="sum to"):
        expectation(SABS, 0, {1: Fr(1, 2)})
    with pytest.raises(SelcalcError, match="lo < hi"):
        Uniform(1, 1)
    with pytest.raises(SelcalcError, match="coordinates"):
        expectation(SABS, (0, 1), {1: 1})


def test_vector_w_and_vector_xi():
    P = selcalc.parse("def f(w1, w2, s1, s2):\n    return relu(s1 * w1 + s2 * w2)")
    law = {(1, 0): Fr(1, 3), (0, 1): Fr(1, 3), (1, 1): Fr(1, 3)}
    E = expectation(P, (0, 0), law)
    # each term is relu of a linear form: Clarke {t·g : t in [0, 1]}; the weighted sum of
    # the three segments [0, g_j]/3 is the zonotope with these vertices
    expected = selcalc.ConvexSet([(0, 0), (Fr(1, 3), 0), (0, Fr(1, 3)), (Fr(2, 3), Fr(1, 3)),
                                  (Fr(1, 3), Fr(2, 3)), (Fr(2, 3), Fr(2, 3))])
    assert E.conservative == expected
    assert E.value == 0
    # F(w) = (relu(w1) + relu(w2) + relu(w1 + w2)) / 3 is not differentiable at 0 either:
    # here the Clarke set of F is the whole zonotope (the three kinks are independent)
    assert E.clarke == expected
    assert expectation(P, (0, 0), law, field="ad_outputs").conservative == expected
