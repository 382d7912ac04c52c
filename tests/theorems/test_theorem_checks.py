"""Each theorem check on hand-picked programs, with negative controls that must fail.

The certificates are re-checked independently where they are data (witnesses of
non-conservativity, convex weights, the chain-rule product).
"""

from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc.theorems import (check_cheap_gradient, check_chain_rule,
                              check_chain_rule_program, check_clarke_inclusion,
                              check_conservativity, check_fermat,
                              check_gradient_almost_everywhere,
                              check_integration_along_segments, check_selection_gradient,
                              compose, stack)
from selcalc.theorems._common import combine, not_applicable, status
from selcalc.theorems.chain_rule import tied_identity, tied_outer
from selcalc.theorems.cheap_gradient import check_cheap_gradient_program, relu_network
from selcalc.theorems.fermat import candidates

ZERO = selcalc.parse("def zero(t):\n    return relu(-t) + t - relu(t)")
IDENTITY = selcalc.parse("def identity(t):\n    return t - (relu(-t) + t - relu(t))")
PAIR = selcalc.parse("def f(x, y):\n    return max(x, y) - relu(x * y) + abs(x - y)")


# ---------------------------------------------------------------------- Theorem 2
@pytest.mark.parametrize("P,x", [(ZERO, (0,)), (IDENTITY, (0,)), (PAIR, (0, 0)),
                                 (PAIR, (1, 1))])
def test_selection_gradient_holds(P, x):
    v = check_selection_gradient(P, x)
    assert v.holds is True
    # under the lowest-piece convention the zero program's derivative at 0 is 1
    if P is ZERO:
        assert v.certificate["selection"]["gradient"] == (1,)
        assert v.certificate["highest"]["gradient"] == (-1,)


def test_selection_gradient_skips_averaging_ties():
    P = selcalc.parse("def f(x):\n    return abs(x)")
    v = check_selection_gradient(P, (0,), conventions=("pytorch",))
    assert status(v) == "n/a"
    v = check_selection_gradient(P, (0,), conventions=("selection", "pytorch"))
    assert v.holds is True and any("pytorch: skipped" in c for c in v.checked)


def test_selection_gradient_outside_domain_is_not_applicable():
    P = selcalc.parse("def f(x):\n    return log(x) + relu(x)")
    assert status(check_selection_gradient(P, (-1,))) == "n/a"


# ---------------------------------------------------------------------- Proposition 2
def test_integration_along_segments_through_a_tie():
    v = check_integration_along_segments(PAIR, (0, 0), n=3)
    assert v.holds is True
    assert len(v.checked) >= 4 * 5  # segments through x × conventions


def test_integration_vector_program_not_applicable():
    F = stack(ZERO, IDENTITY)
    assert status(check_integration_along_segments(F, (0,))) == "n/a"


# ---------------------------------------------------------------------- Theorem 3
def test_conservativity_holds_with_curves_inside_kinks():
    P = selcalc.parse("def f(x, y):\n    return relu(x - y) - relu(y - x) + abs(x + y)")
    v = check_conservativity(P, (0, 0), n=4)
    assert v.holds is True
    assert v.certificate["curves"] == 6


def test_conservativity_negative_control():
    """‖x‖² with {0} added on a segment: a.e. the gradient, yet not conservative."""
    x1, x2 = sympy.symbols("x1 x2")
    P = selcalc.parse("def sq(x1, x2):\n    return x1 ** 2 + x2 ** 2")
    bad = selcalc.Field([([], "gradient"), ([sympy.Eq(x2, 0), x1 >= 0, x1 <= 1], [(0, 0)])])
    crossing = check_conservativity(P, (Fraction(1, 2), 0), n=3, fields=(bad,))
    assert crossing.holds is True  # curves crossing the segment do not see the defect
    inside = selcalc.segment((0, 0), (1, 0))
    v = check_conservativity(P, n=0, fields=(bad,), curves=[inside])
    assert v.holds is False
    witness = v.certificate["witness"]
    t = witness["t"]
    # independent re-check: d/dt f(γ(t)) = 2 γ1(t) γ1'(t) on the segment x2 = 0, while <0, γ'> = 0
    curve = v.certificate["curve"]
    (g1, g2), (d1, _) = curve(t), curve.derivative(t)
    assert g2 == 0 and 2 * g1 * d1 != 0


# ---------------------------------------------------------------------- Proposition 3
def test_almost_everywhere_resamples_bad_luck():
    P = selcalc.parse("def f(x, y):\n    return relu(x - y) + max(x, 2 * y)")
    v = check_gradient_almost_everywhere(P, n_points=2, points=[(1, 1), (0, 0)])
    assert v.holds is True
    reasons = [r for _, r in v.certificate["resampled"]]
    assert any("tie" in r for r in reasons[:2])
    assert len(v.certificate["points"]) == 2


def test_almost_everywhere_value_coincidence_is_resampled():
    """At (1, -1) no test vanishes, but the pattern relu(x) -> 0, relu(y) -> y gives
    f_σ'(1, -1) = 1 = f(1, -1) with another gradient: a point of the null set."""
    P = selcalc.parse("def f(x, y):\n    return relu(x) - relu(y)")
    v = check_gradient_almost_everywhere(P, n_points=1, points=[(1, -1), (0, 0)])
    assert v.holds is True
    reasons = [r for _, r in v.certificate["resampled"]]
    assert "value coincidence" in reasons[0] and "tie" in reasons[1]


def test_almost_everywhere_unknown_when_no_good_point():
    P = selcalc.parse("def f(x):\n    return log(x - 1000) + relu(x)")
    v = check_gradient_almost_everywhere(P, n_points=1, max_tries=5)
    assert status(v) == "unknown" and "good points" in v.reason


# ---------------------------------------------------------------------- Proposition 4
def test_compose_and_stack_build_the_composite():
    F = selcalc.parse("def F(x, y):\n    return relu(x - y), max(x, y)")
    g = selcalc.parse("def g(u, v):\n    return abs(u) + u * v")
    H = compose(F, g)
    for pt in [(1, 0), (-2, 3), (Fraction(1, 3), Fraction(1, 3))]:
        assert H(*pt) == g(*F(*pt))
    S = stack(ZERO, IDENTITY, ZERO)
    assert S.q == 3 and S(Fraction(2)) == (0, 2, 0)
    with pytest.raises(selcalc.SelcalcError):
        compose(g, F)  # g has one output, F two inputs


def test_chain_rule_product_is_recomputed():
    F = stack(selcalc.parse("def a(x, y):\n    return relu(x - y)"),
              selcalc.parse("def b(x, y):\n    return max(x, y)"))
    g = selcalc.parse("def g(u, v):\n    return abs(u) + u * v")
    v = check_chain_rule(F, g, (0, 0))
    assert v.holds is True
    # independent recomputation of the selection-convention product J_g(F(x)) J_F(x)
    JF = selcalc.jacobian(F, (0, 0))
    Jg = selcalc.jacobian(g, F(0, 0))
    assert tuple(Jg * JF) == v.certificate["selection"]


def test_chain_rule_with_tie_planting_maps():
    T = tied_identity((1, 2))
    assert T(1, 2) == (1, 2) and T(5, -1) == (5, -1)
    assert selcalc.jacobian(T, (1, 2)) == sympy.zeros(2, 2)  # lowest pieces: relu'(0) = 0
    G = tied_outer((3,))
    assert G(3) == 3
    assert check_chain_rule_program(PAIR, (0, 0)).holds is True
    assert check_chain_rule_program(stack(ZERO, IDENTITY), (0,)).holds is True


# ---------------------------------------------------------------------- Clarke inclusion
def test_clarke_inclusion_on_the_zero_program():
    v = check_clarke_inclusion(ZERO, (0,))
    assert v.holds is True
    assert str(v.certificate["clarke"]) == "{0}"
    assert str(v.certificate["index_closure"]) == "[-1, 1]"


def test_clarke_inclusion_vector_program():
    F = stack(selcalc.parse("def a(x, y):\n    return relu(x - y)"),
              selcalc.parse("def b(x, y):\n    return abs(x) + max(x, y)"))
    assert check_clarke_inclusion(F, (0, 0)).holds is True


# ---------------------------------------------------------------------- Fermat
def test_fermat_finds_the_minima_exactly():
    """f = relu(x)² + |x + 1| − x³/27 on [−3, 3]: decreasing left of −1, increasing right."""
    P = selcalc.parse("def f(x):\n    return relu(x) * relu(x) + abs(x + 1) - x ** 3 / 27")
    v = check_fermat(P, -3, 3, include_maxima=True)
    assert v.holds is True
    assert [m["x"] for m in v.certificate["minima"]] == [-1]
    assert v.certificate["maxima"] == []
    h = Fraction(1, 1000)
    assert P(-1 - h) > P(-1) < P(-1 + h)


def test_fermat_artificial_critical_point_is_not_a_minimum():
    """identity(t) = t: AD gives 0 at 0 (artificial critical), Fermat finds no minimum."""
    v = check_fermat(IDENTITY, -1, 1)
    assert v.holds is True and v.certificate["minima"] == []
    assert selcalc.grad(IDENTITY, 0) == (0,)


def test_fermat_candidates_include_piece_critical_points():
    P = selcalc.parse("def f(x):\n    return (x - 1) ** 2 + relu(-x)")
    curve, cands = candidates(P, -2, 2)
    xs = {curve(t)[0] for t, *_ in cands}
    assert xs == {0, 1}


def test_fermat_constant_pieces_and_irrational_points():
    P = selcalc.parse("def f(x):\n    return max(x ** 2 - 2, 0)")
    v = check_fermat(P, -3, 3)
    # minima: the whole flat part [-sqrt(2), sqrt(2)]; its endpoints are irrational breakpoints
    assert status(v) in ("holds", "unknown")
    if v.holds is None:  # the Clarke decision at an irrational point needs rational data
        assert "not rational" in v.reason


def test_fermat_not_applicable_for_two_inputs():
    assert status(check_fermat(PAIR, -1, 1)) == "n/a"


# ---------------------------------------------------------------------- cheap gradient
def test_cheap_gradient_on_relu_networks():
    v = check_cheap_gradient()
    assert v.holds is True
    ratios = [row["omega_b"] for row in v.certificate["networks"]]
    assert all(3 < r <= 5 for r in ratios)


def test_cheap_gradient_negative_control():
    assert check_cheap_gradient(sizes=((2, 4, 1),), omega=2).holds is False


def test_cheap_gradient_program_applicability():
    net = relu_network((2, 3, 1), seed=1)
    assert check_cheap_gradient_program(net).holds is True
    P = selcalc.parse("def f(x, y):\n    return x / y + relu(x)")
    v = check_cheap_gradient_program(P)
    assert status(v) == "n/a" and "div" in v.reason


# ---------------------------------------------------------------------- verdict plumbing
def test_combine():
    yes, unk = selcalc.Verdict(True, "a"), selcalc.Verdict(None, "b", reason="hard")
    no = selcalc.Verdict(False, "c", reason="witness")
    na = not_applicable("d", "outside")
    assert combine("x", [yes, na]).holds is True
    assert status(combine("x", [na, na])) == "n/a"
    assert status(combine("x", [yes, unk])) == "unknown"
    assert combine("x", [yes, unk, no]).holds is False


def test_integration_recheck_of_simplify_misses():
    """check_integration decides equality with sympy.simplify, which misses some zeros
    (sigmoid on [1, 2]); the theorem check proves them or answers unknown, never fails."""
    from selcalc.theorems.integration import _recheck
    P = selcalc.parse("def f(x):\n    return sigmoid(x)")
    assert _recheck(selcalc.check_integration(P, (1,), (2,))).holds is True
    e, log = sympy.E, sympy.log
    tricky = -log((1 + sympy.exp(2)) / (1 + e)) + log(2 * sympy.cosh(1) / (1 + e)) + 1
    assert _recheck(selcalc.Verdict(False, "c", {"integral": tricky,
                                                 "f(y) - f(x)": 0})).holds is True
    assert _recheck(selcalc.Verdict(False, "c", {"integral": log(3),
                                                 "f(y) - f(x)": 1})).holds is False
