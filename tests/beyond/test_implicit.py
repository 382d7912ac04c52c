"""Nonsmooth implicit differentiation.

Oracles: the explicit inverse Ψ = Φ⁻¹ of Φ(x, y) = (|x| + y, 2x + |y|) written as a program
(checked to invert Φ at sample points), its Clarke Jacobian at 0 by selcalc.clarke, and
difference quotients of Ψ at generic points; the circle y = sqrt(1 - x²) by sympy; the
soft-threshold by hand.
"""

from fractions import Fraction as Fr

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import SelcalcError, implicit_jacobian, min, where


def Psi(u, v):
    upper = min(2 * u - v, 2 * u + v)
    x_up = where(v - u >= 0, v - u, (v - u) / 3)
    y_up = where(v - u >= 0, 2 * u - v, (2 * u + v) / 3)
    x_lo = where(u + v >= 0, (u + v) / 3, u + v)
    y_lo = where(u + v >= 0, (2 * u - v) / 3, 2 * u + v)
    return where(upper >= 0, x_up, x_lo), where(upper >= 0, y_up, y_lo)


PSI = selcalc.trace(Psi)
PHI = selcalc.parse("def Phi(x, y):\n    return abs(x) + y, 2 * x + abs(y)")
F_PHI = selcalc.parse("def F(u, v, x, y):\n    return abs(x) + y - u, 2 * x + abs(y) - v")
frac = st.fractions(min_value=-4, max_value=4, max_denominator=5)


@settings(max_examples=30, deadline=None)
@given(frac, frac)
def test_psi_inverts_phi(u, v):
    assert PHI(*PSI(u, v)) == (sympy.Rational(u), sympy.Rational(v))


def test_clarke_of_psi_versus_the_implicit_set():
    C = selcalc.clarke(PSI, (0, 0))
    J = implicit_jacobian(F_PHI, (0, 0), (0, 0))
    assert J.invertible.holds is True
    assert set(map(str, C.vertices)) == set(map(str, J.vertex_images))
    avg = sum(C.vertices, sympy.zeros(2, 2)) / 4
    assert C.contains(avg).holds is True
    assert J.contains(avg).holds is False  # Clarke(Ψ, 0) is not inside J
    # by hand: M ∈ J iff M⁻¹ = [[s, 1], [2, t]] with s, t ∈ [-1, 1]
    for s, t in ((Fr(1, 2), Fr(-1, 3)), (1, 1), (0, Fr(3, 4))):
        M = sympy.Matrix([[s, 1], [2, t]]).inv()
        assert J.contains(M).holds is True
    assert J.contains(sympy.Matrix([[Fr(1, 2), 1], [2, 2]]).inv()).holds is False


@settings(max_examples=15, deadline=None)
@given(frac, frac)
def test_implicit_set_matches_the_inverse_at_generic_points(u, v):
    # at a generic point Ψ is smooth and J = {∇Ψ}: compare with a difference quotient
    # (Ψ is piecewise linear, so a small exact step inside the piece is exact)
    u, v = Fr(u) + Fr(1, 997), Fr(v) + Fr(1, 1009)
    x, y = PSI(u, v)
    J = implicit_jacobian(F_PHI, (u, v), (x, y), field="ad_outputs")
    (M,) = J.elements()
    h = Fr(1, 10 ** 6)
    cols = [[(a - b) / h for a, b in zip(PSI(u + h * e0, v + h * e1), (x, y))]
            for e0, e1 in ((1, 0), (0, 1))]
    assert M == sympy.Matrix(cols).T


def test_circle():
    F = selcalc.parse("def F(x, y):\n    return x * x + y * y - 1")
    J = implicit_jacobian(F, (Fr(3, 5),), (Fr(4, 5),))
    X = sympy.Symbol("x")
    slope = sympy.diff(sympy.sqrt(1 - X ** 2), X).subs(X, sympy.Rational(3, 5))
    assert J.vertex_images == [sympy.Matrix([[slope]])]
    with pytest.raises(SelcalcError, match="0 exactly"):
        implicit_jacobian(F, (0,), (0,))
    # at (1, 0) the tangent is vertical: B = 2y = 0 is singular, the theorem does not apply
    J = implicit_jacobian(F, (1,), (0,))
    assert J.invertible.holds is False
    with pytest.raises(SelcalcError, match="does not apply"):
        J.contains([[0]])


def test_soft_threshold_fixed_point():
    # y = x - clip(x, -1, 1) (soft-thresholding at 1) as F(x, y) = y - x + clip(x, -1, 1)
    F = selcalc.parse("def F(x, y):\n    return y - x + clip(x, -1, 1)")
    J = implicit_jacobian(F, (1,), (0,))
    assert sorted(M[0, 0] for M in J.vertex_images) == [0, 1]
    assert J.contains([[Fr(1, 3)]]).holds is True and J.contains([[-1]]).holds is False
    S = selcalc.parse("def S(x):\n    return x - clip(x, -1, 1)")
    assert selcalc.clarke(S, 1).interval == (0, 1)


def test_singular_somewhere_in_the_hull():
    # B ranges over conv{-1, 1} (|y| at 0): B = 0 lies in the hull
    F = selcalc.parse("def F(x, y):\n    return abs(y) - x")
    J = implicit_jacobian(F, (0,), (0,))
    assert J.invertible.holds is False and J.invertible.certificate["t"] == Fr(1, 2)
    assert J.invertible.certificate["singular"] == sympy.zeros(1, 1)
    assert implicit_jacobian(F, (0,), (0,), field="ad_outputs").invertible.holds is True


@pytest.mark.parametrize("a, b", [((-1, -2), (1, 2)), ((1, -1), (-1, 1)), ((0, 0), (1, 1)),
                                  ((-3, 1), (2, 5)), ((2, -4), (-1, 2))])
def test_implicit_set_is_conservative_for_psi_along_curves(a, b):
    from selcalc.beyond import check_implicit_conservative
    v = check_implicit_conservative(F_PHI, PSI, selcalc.segment(a, b))
    assert v.holds is True
    # segments along the rays of the kink set of Ψ: the field is set-valued there
    if (a, b) in (((-1, -2), (1, 2)), ((0, 0), (1, 1)), ((2, -4), (-1, 2))):
        assert max(p["generators"] for p in v.certificate["pieces"]) > 1


def test_implicit_conservativity_soft_threshold_and_wrong_solution():
    from selcalc.beyond import check_implicit_conservative
    F = selcalc.parse("def F(x, y):\n    return y - x + clip(x, -1, 1)")
    S = selcalc.parse("def S(x):\n    return x - clip(x, -1, 1)")
    assert check_implicit_conservative(F, S, selcalc.segment((-2,), (2,))).holds is True
    W = selcalc.parse("def W(x):\n    return relu(x - 1) * 2")
    with pytest.raises(SelcalcError, match="does not solve"):
        check_implicit_conservative(F, W, selcalc.segment((0,), (2,)))


def test_circle_implicit_derivative_at_rational_points():
    F = selcalc.parse("def F(x, y):\n    return x * x + y * y - 1")
    X = sympy.Symbol("x")
    for x, y in ((Fr(5, 13), Fr(12, 13)), (Fr(-8, 17), Fr(15, 17)), (Fr(3, 5), Fr(-4, 5))):
        branch = sympy.sqrt(1 - X ** 2) * (1 if y > 0 else -1)
        (M,) = implicit_jacobian(F, (x,), (y,)).vertex_images
        assert M[0, 0] == sympy.diff(branch, X).subs(X, sympy.Rational(x))


CIRCLE = selcalc.parse("def F(x, y):\n    return x * x + y * y - 1")
UPPER = selcalc.parse("def G(x):\n    return sqrt(1 - x * x)")


@pytest.mark.parametrize("curve", [selcalc.segment((Fr(-1, 2),), (Fr(3, 4),)),
                                   selcalc.segment((Fr(9, 10),), (Fr(-9, 10),)),
                                   selcalc.polynomial_curve([(Fr(-1, 4),), (0,), (Fr(1, 2),)])])
def test_circle_implicit_set_is_conservative_along_curves(curve):
    from selcalc import check_implicit_conservative
    v = check_implicit_conservative(CIRCLE, UPPER, curve)
    assert v.holds is True
    # by hand: the implicit slope -x/y equals the derivative of sqrt(1 - x²) (sympy), at a
    # rational point of the curve, and one generator per piece (F is smooth)
    assert [p["generators"] for p in v.certificate["pieces"]] == [1]
    X = sympy.Symbol("x")
    (x,) = curve(Fr(1, 3))
    (M,) = implicit_jacobian(CIRCLE, (x,), (UPPER(x),)).vertex_images
    assert sympy.simplify(M[0, 0] - sympy.diff(sympy.sqrt(1 - X ** 2), X).subs(X, x)) == 0


def test_circle_with_a_wrong_branch_or_a_singular_end():
    from selcalc import check_implicit_conservative
    wrong = selcalc.parse("def G(x):\n    return sqrt(1 - x * x / 2)")
    with pytest.raises(SelcalcError, match="does not solve"):
        check_implicit_conservative(CIRCLE, wrong, selcalc.segment((0,), (Fr(1, 2),)))
    # the curve ends at x = 1 where B = 2y = 0: a.e. the set is still defined
    assert check_implicit_conservative(CIRCLE, UPPER, selcalc.segment((0,), (1,))).holds


def test_nonlinear_nonsmooth_implicit_conservativity():
    # F(x, y) = (y - |x|)(1 + y²) is polynomial in y and nonsmooth in x; G = |x| solves it.
    # By hand B = 1 + y² > 0 and -A/B = sign(x): the implicit field is the derivative of |x|
    from selcalc import check_implicit_conservative
    F = selcalc.parse("def F(x, y):\n    return (y - abs(x)) * (1 + y * y)")
    G = selcalc.parse("def G(x):\n    return abs(x)")
    v = check_implicit_conservative(F, G, selcalc.segment((-1,), (2,)))
    assert v.holds is True and len(v.certificate["pieces"]) == 2
    J = implicit_jacobian(F, (0,), (0,))
    assert sorted(M[0, 0] for M in J.vertex_images) == [-1, 1]
    # along a polynomial curve that crosses 0 twice: x(t) = (t - 1/4)(t - 3/4)... scaled
    c = selcalc.polynomial_curve([(Fr(3, 16),), (-1,), (1,)])
    assert check_implicit_conservative(F, G, c).holds is True


@pytest.mark.parametrize("a, b", [((-1, -2), (1, 2)), ((1, -1), (-1, 1)), ((0, 0), (1, 1)),
                                  ((2, -4), (-1, 2)), ((-1, 1), (1, -1))])
def test_clarke_and_ad_jacobian_of_psi_conservative_along_curves_through_0(a, b):
    from selcalc import check_conservative_jacobian
    for field in ("clarke", "ad_outputs", "index_closure"):
        assert check_conservative_jacobian(PSI, selcalc.segment(a, b), field).holds is True


def test_check_conservative_jacobian_rows_against_difference_quotients():
    # independent check of what the verdict certifies: on each piece, every AD Jacobian at
    # a rational point times γ' equals the exact slope of P along the (affine) piece
    P = selcalc.parse("def P(x, y):\n    return x + relu(y - x), max(x, y) - abs(y)")
    curve = selcalc.segment((-1, -1), (1, 1))  # inside the tie set x = y of both outputs
    v = selcalc.check_conservative_jacobian(P, curve, "ad_outputs")
    assert v.holds is True and len(v.certificate["rows"]) == 2
    for t1, t2 in ((Fr(1, 5), Fr(2, 5)), (Fr(3, 5), Fr(4, 5))):
        slope = [(b - a) / (t2 - t1) for a, b in zip(P(*curve(t1)), P(*curve(t2)))]
        for M in selcalc.ad_outputs(P, curve(t1)).points:
            assert list(sympy.Matrix(2, 2, list(M)) * sympy.Matrix([2, 2])) == slope
    row = selcalc.beyond.component(P, 1)
    assert row.q == 1 and row(Fr(1, 2), Fr(1, 3)) == P(Fr(1, 2), Fr(1, 3))[1]
    with pytest.raises(SelcalcError, match="field must be"):
        selcalc.check_conservative_jacobian(P, curve, "selection")
