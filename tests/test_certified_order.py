"""Orders of exact reals are certified, never read off floats.

Truths by hand: the breakpoints of max(x² - 2, 0, x - r) along x = 2t, with a rational r
10^-80 below √2, are the zeros in (0, 1) of x² - 2, x - r and x² - x - 2 + r (the pairwise
differences of the three arguments) divided by 2; and the z3 model of a polynomial system
with two roots 10^-30 apart must be the root the constraints select.
"""

from fractions import Fraction

import sympy
import z3

import selcalc
from selcalc.numbers import compare
from selcalc.smt import model_value


def test_breakpoints_closer_than_sixty_digits_are_ordered_exactly():
    r = sympy.Rational(str(sympy.N(sympy.sqrt(2), 100))) - sympy.Rational(1, 10**80)
    assert compare(r, sympy.sqrt(2)) < 0
    P = selcalc.parse(f"def f(x):\n    return max(x*x - 2, 0, x - {r})\n")
    bp = selcalc.breakpoints(P, selcalc.segment((0,), (2,)), method="symbolic")
    expected = [r / 2, sympy.sqrt(2) / 2, (1 + sympy.sqrt(9 - 4 * r)) / 4]
    expected = [e for e in expected if compare(e, 0) > 0 and compare(1, e) > 0]
    assert len(bp.points) == len(expected) == 3
    for got, want in zip(bp.points, sorted(expected, key=lambda v: sympy.N(v, 200))):
        assert compare(got, want) == 0
    assert all(compare(a, b) < 0 for a, b in zip(bp.points, bp.points[1:]))
    assert len(bp.pieces) == 4


def test_model_value_picks_the_root_z3_chose():
    # (x² - 2)² = 2·10^-60 has the positive roots sqrt(2 ± √2·10^-30), 10^-30 apart
    x = z3.Real("x")
    s = z3.Solver()
    s.add((x * x - 2) * (x * x - 2) == z3.RealVal(Fraction(2, 10**60)), x * x > 2, x > 0)
    assert s.check() == z3.sat
    v = model_value(s.model().eval(x))
    assert compare(v ** 2, 2) > 0
    assert compare((v ** 2 - 2) ** 2, sympy.Rational(2, 10**60)) == 0


def test_envelope_integral_with_cuts_closer_than_fifty_digits():
    # min / max of 0, t - r1, t - r2 with r1 < r2 = r1 + 10^-60: by hand,
    # ∫_0^1 min = ∫_0^{r2} (t - r2) dt = -r2²/2 and ∫_0^1 max = ∫_{r1}^1 (t - r1) dt = (1 - r1)²/2
    from selcalc.beyond.integral import _integrate_envelope
    t = sympy.Symbol("t")
    h = sympy.Rational(1, 10**60)
    for r1 in (sympy.Rational(1, 2), sympy.Rational(1, 3), sympy.Rational(2, 7)):
        r2 = r1 + h
        for funcs in ([sympy.Integer(0), t - r1, t - r2], [t - r2, t - r1, sympy.Integer(0)],
                      [t - r1, sympy.Integer(0), t - r2]):
            lo, hi = _integrate_envelope(funcs, 0, 1, t)
            assert sympy.simplify(lo + r2**2 / 2) == 0
            assert sympy.simplify(hi - (1 - r1) ** 2 / 2) == 0
