"""User fields (selcalc.Field): conditions decided exactly, witnesses re-checked.

Truths come from hand derivations: along a segment γ(t) = a + t(b - a) the derivative of
f∘γ is computed by hand, and the field's vectors are read off the conditions by hand.
"""

from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc import curves
from selcalc.numbers import rational_between
from selcalc.errors import InputError, SelcalcError

X, X1, X2 = sympy.symbols("x x1 x2")
RELU = selcalc.parse("def f(x):\n    return relu(x)\n")
SQUARES = selcalc.parse("def f(x1, x2):\n    return x1**2 + x2**2\n")
DIAGONAL = selcalc.segment((1, 1), (2, 2))  # γ(t) = (1 + t, 1 + t), d/dt f(γ) = 4(1 + t)


def test_strict_condition_is_strict_relu_derivative_is_conservative():
    # D(x) = {1} for x > 0, {0} for x <= 0: relu's derivative, conservative for relu
    D = selcalc.Field([([X > 0], [(1,)]), ([X <= 0], [(0,)])])
    for a, b in ((-1, 1), (-1, 0), (Fraction(-1, 2), Fraction(-1, 4)), (0, 2)):
        v = selcalc.check_conservative(RELU, selcalc.segment((a,), (b,)), D)
        assert v.holds is True, (a, b, v)
    # strict the other way round: x < 0 and x >= 0 (the same field a.e.)
    D2 = selcalc.Field([([X < 0], [(0,)]), ([X >= 0], [(1,)])])
    assert selcalc.check_conservative(RELU, selcalc.segment((-1,), (1,)), D2).holds is True


def test_strict_condition_real_failure_has_a_correct_witness():
    # D = {1} everywhere but at x < 0 where relu' = 0: fails on (-1, 0) of [-1, 1]
    D = selcalc.Field([([X > 0], [(1,)]), ([X < 0], [(1,)])])
    v = selcalc.check_conservative(RELU, selcalc.segment((-1,), (1,)), D)
    assert v.holds is False
    w = v.certificate
    t = sympy.sympify(w["t"])
    assert 0 < t < sympy.Rational(1, 2)  # γ(t) = 2t - 1 < 0
    assert w["lhs"] == 0 and w["rhs"] == 2  # d/dt relu(2t - 1) = 0; <1, γ'> = 2


def test_rational_eq_condition_recognised_on_the_diagonal():
    # (x1^2 + x1)/(x1 + 1) is x1 as a rational function: the condition is x2 = x1, so
    # D = {∇f} ∪ {(0, 0)} on the diagonal, where <(0, 0), γ'> = 0 != 4(1 + t)
    D = selcalc.Field([([], "gradient"),
                       ([sympy.Eq(X2 - (X1**2 + X1) / (X1 + 1), 0)], [(0, 0)])])
    v = selcalc.check_conservative(SQUARES, DIAGONAL, D)
    assert v.holds is False
    w = v.certificate
    t = sympy.sympify(w["t"])
    assert w["lhs"] == 4 * (1 + t) and w["rhs"] == 0 and w["vector"] == "(0, 0)"
    # off the diagonal the extra vector never applies (a.e.): conservative
    assert selcalc.check_conservative(SQUARES, selcalc.segment((1, 0), (2, 3)), D).holds


def test_disguised_zero_coefficient_in_a_condition():
    c = sympy.sqrt(3 + 2 * sympy.sqrt(2)) - 1 - sympy.sqrt(2)  # exactly 0: (1 + √2)² = 3 + 2√2
    D = selcalc.Field([([], "gradient"), ([sympy.Eq(c * X1, 0)], [(0, 0)])])
    # the condition holds everywhere, so (0, 0) is in D on the whole segment
    v = selcalc.check_conservative(SQUARES, DIAGONAL, D)
    assert v.holds is False and v.certificate["rhs"] == 0
    # a strict version never holds: only the gradient is left
    D_strict = selcalc.Field([([], "gradient"), ([c * X1 > 0], [(0, 0)])])
    assert selcalc.check_conservative(SQUARES, DIAGONAL, D_strict).holds is True


def test_irrational_cut_from_a_condition():
    # f = relu(x^2 - 2) on [0, 3]; f' = 2x for x > sqrt 2, 0 below
    f = selcalc.parse("def f(x):\n    return relu(x*x - 2)\n")
    seg = selcalc.segment((0,), (3,))
    good = selcalc.Field([([X**2 > 2], [(2 * X,)]), ([X**2 <= 2], [(0,)])])
    assert selcalc.check_conservative(f, seg, good).holds is True
    bad = selcalc.Field([([X**2 > 2], [(X,)]), ([X**2 <= 2], [(0,)])])
    v = selcalc.check_conservative(f, seg, bad)
    assert v.holds is False
    t = sympy.sympify(v.certificate["t"])
    assert (3 * t) ** 2 > 2  # the failure is on the piece beyond sqrt(2)/3


def test_symbols_are_matched_by_name():
    xr = sympy.Symbol("x", real=True)
    D = selcalc.Field([([xr > 0], [(1,)]), ([xr <= 0], [(0,)])])
    assert selcalc.check_conservative(RELU, selcalc.segment((-1,), (1,)), D).holds is True
    y = sympy.Symbol("y")
    with pytest.raises(InputError, match="not an input"):
        selcalc.check_conservative(RELU, selcalc.segment((-1,), (1,)),
                                   selcalc.Field([([y > 0], [(1,)])]))


def test_sign_assumptions_on_symbols_are_refused():
    # sympy would simplify with them (sqrt(x**2) is x for x > 0), although the input is real
    xp = sympy.Symbol("x", positive=True)
    with pytest.raises(InputError, match="assumption"):
        selcalc.Field([([], [(sympy.sqrt(xp**2),)])])


def test_text_is_refused():
    with pytest.raises(InputError, match="never evaluates text"):
        selcalc.Field([(["x > 0"], [(1,)])])
    with pytest.raises(InputError, match="never evaluates text"):
        selcalc.Field([([X > 0], [("__import__('os')",)])])
    with pytest.raises(InputError, match="vectors must be"):
        selcalc.Field([([X > 0], "gradiant")])


def test_empty_field_on_a_piece_is_an_error():
    D = selcalc.Field([([X > 0], [(1,)])])
    with pytest.raises(SelcalcError, match="no vector"):
        selcalc.check_conservative(RELU, selcalc.segment((-1,), (1,)), D)


def test_condition_undefined_along_the_curve_is_unknown():
    # 1/(x2 - x1) is undefined on the whole diagonal
    D = selcalc.Field([([], "gradient"), ([sympy.Eq(1 / (X2 - X1), 0)], [(0, 0)])])
    v = selcalc.check_conservative(SQUARES, DIAGONAL, D)
    assert v.holds is None and "undefined" in v.reason
    # a removable singularity is removed: (x2 - x1)/(x2^2 - x1^2) is 1/(x1 + x2), defined
    # (and never 0) on the diagonal, so the extra vector never applies
    D = selcalc.Field([([], "gradient"),
                       ([sympy.Eq((X2 - X1) / (X2**2 - X1**2), 0)], [(0, 0)])])
    assert selcalc.check_conservative(SQUARES, DIAGONAL, D).holds is True


def test_a_witness_that_fails_the_recheck_is_never_returned(monkeypatch):
    # a conservative field; forge a failing per-piece identity with a wrong witness
    D = selcalc.Field([([X > 0], [(1,)]), ([X <= 0], [(0,)])])

    def forged(lhs, rhs, J, label):
        a, b = J
        t = rational_between(a, b)
        return False, {"interval": J, "t": t, "vector": label, "lhs": 0, "rhs": 1}

    monkeypatch.setattr(curves, "_piece_identity", forged)
    v = selcalc.check_conservative(RELU, selcalc.segment((-1,), (1,)), D)
    assert v.holds is None and "re-check" in v.reason


def test_closed_graph_with_a_rational_condition():
    L1 = selcalc.parse("def f(x1, x2):\n    return abs(x1) + abs(x2)\n")
    # (x1^2 + x1)/(x1 + 1) >= 0 is x1 >= 0 (as a rational function)
    moving = selcalc.Field([([(X1**2 + X1) / (X1 + 1) >= 0], [(1 + X1, 1)]),
                            ([X1 <= 0], "gradient")])
    assert selcalc.check_closed_graph(L1, (0, 1), field=moving).holds is True


@pytest.mark.parametrize("field", ["ad_outputs", "index_closure", "clarke", "pytorch",
                                   "selection"])
def test_builtin_field_witnesses_are_rechecked_too(monkeypatch, field):
    # the built-in fields are conservative (Bolte & Pauwels, NeurIPS 2020, Theorem 3), so a
    # forged failing identity must come back unknown
    P = selcalc.parse("def f(x):\n    return relu(x*x - 1) + abs(x)\n")

    def forged(lhs, rhs, J, label):
        return False, {"interval": J, "t": rational_between(*J), "vector": label,
                       "lhs": 0, "rhs": 1}

    monkeypatch.setattr(curves, "_piece_identity", forged)
    v = selcalc.check_conservative(P, selcalc.segment((-2,), (2,)), field)
    assert v.holds is None and "re-check" in v.reason
    # the affine route's witnesses go through the same re-check.  Along γ(t) = 2t - 1,
    # f = relu(x) + |x - 1| is x + (1 - x) = 1 for t in (1/2, 1): slope 0, and every vector
    # of every built-in field there is the gradient 0, so no witness can stand
    L = selcalc.parse("def f(x):\n    return relu(x) + abs(x - 1)\n")
    seg = selcalc.segment((-1,), (1,))
    pats = selcalc.breakpoints(L, seg).pieces[1]
    w = {"interval": (Fraction(1, 2), 1), "t": Fraction(3, 4), "vector": "v", "lhs": 0,
         "rhs": 1}
    assert curves._witness_holds(L, seg, field, pats, w) is False
    assert curves._witness_holds(L, seg, field, pats, {**w, "lhs": 5}) is False
