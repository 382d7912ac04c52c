"""Theorem 2 and Lemma 1 on random programs: AD = ∇f_{s(x)}(x), forward = backward.

The oracle is independent of the AD interpreters: sympy differentiates the expression
``f_σ`` built by the symbolic interpreter for the pattern ``σ = s(x)``.
"""

from fractions import Fraction

import sympy
from hypothesis import HealthCheck, example, given, settings

import selcalc
from tests.strategies import programs

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def sympy_gradient(P, x, convention="selection"):
    S = selcalc.selection(P)
    f = S.piece(S.index(x, convention))
    subs = dict(zip(S.symbols, [sympy.sympify(v) for v in P.coerce_point(x)]))
    return tuple(sympy.simplify(sympy.diff(f, s).subs(subs)) for s in S.symbols)


@SETTINGS
@given(programs())
@example(("def f(x1):\n    v0 = relu(x1)\n    return v0\n", (Fraction(0),)))
@example(("def f(x1, x2):\n    v0 = max(x1, x2)\n    v1 = abs(v0 - x1)\n    return v1\n",
          (Fraction(1), Fraction(1))))
def test_selection_gradient_equals_sympy_on_selected_piece(case):
    src, x = case
    P = selcalc.parse(src)
    lowest = selcalc.Convention("lowest")
    highest = selcalc.Convention("highest", default="last")
    for conv in ("selection", lowest, highest):
        assert selcalc.grad(P, x, convention=conv) == sympy_gradient(P, x, conv)


@SETTINGS
@given(programs(smooth=True))
def test_forward_equals_backward_exactly(case):
    src, x = case
    P = selcalc.parse(src)
    for conv in selcalc.CONVENTIONS:
        fwd = selcalc.grad(P, x, convention=conv, mode="forward")
        bwd = selcalc.grad(P, x, convention=conv, mode="backward")
        assert fwd == bwd


@SETTINGS
@given(programs(smooth=True, plant=False))
def test_value_matches_sympy_piece(case):
    src, x = case
    P = selcalc.parse(src)
    S = selcalc.selection(P)
    f = S.piece(S.index(x))
    subs = dict(zip(S.symbols, [sympy.sympify(v) for v in P.coerce_point(x)]))
    assert sympy.simplify(f.subs(subs) - P(*x)) == 0


def test_averaging_conventions_are_flagged():
    assert selcalc.is_selection_convention("selection")
    assert not selcalc.is_selection_convention("tensorflow")  # tf.abs'(0) = 0 averages
    assert selcalc.is_selection_convention(selcalc.Convention("tf-relu-only"))
    assert not selcalc.is_selection_convention("pytorch")
    assert not selcalc.is_selection_convention("jax")
    P = selcalc.parse("def f(x):\n    return abs(x)")
    S = selcalc.selection(P)
    try:
        S.index(0, "pytorch")
    except selcalc.SelcalcError as exc:
        assert "averages" in str(exc)
    else:
        raise AssertionError("s(x) must be undefined for an averaging tie")
