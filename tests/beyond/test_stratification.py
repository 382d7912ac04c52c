"""The projection formula and the closed-graph property on piecewise-linear programs.

Oracles: the strata of |x1| + |x2| by hand (point, two half-axes, open quadrants) with
their Riemannian gradients; a non-conservative user field refuted at a point and, along a
segment of the stratum, by check_conservative's rigorous witness.
"""

from fractions import Fraction as Fr

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import SelcalcError, check_closed_graph, check_projection_formula

L1 = selcalc.parse("def f(x1, x2):\n    return abs(x1) + abs(x2)")
X1, X2 = sympy.symbols("x1 x2")


@pytest.mark.parametrize("x, basis, rgrad", [
    ((0, 0), [], (0, 0)),
    ((0, 3), [(0, 1)], (0, 1)),
    ((-2, 0), [(1, 0)], (-1, 0)),
    ((1, -1), [(1, 0), (0, 1)], (1, -1)),
])
def test_l1_strata_by_hand(x, basis, rgrad):
    for field in ("clarke", "ad_outputs", "index_closure"):
        v = check_projection_formula(L1, x, field=field)
        assert v.holds is True
        assert v.certificate["tangent_basis"] == basis
        assert v.certificate["riemannian_gradient"] == rgrad


def test_nonconservative_user_field_fails_with_a_witness():
    bad = selcalc.Field([([], "gradient"), ([sympy.Eq(X2, 0)], [(0, 0)])])
    v = check_projection_formula(L1, (1, 0), field=bad)
    assert v.holds is False and v.certificate["vector"] == (0, 0)
    assert v.certificate["curve_check"].holds is False  # rigorous: along the stratum
    # at the origin the stratum is a point: T = {0} and every field passes there
    assert check_projection_formula(L1, (0, 0), field=bad).holds is True


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-1, 1), min_size=3, max_size=3),
       st.lists(st.fractions(min_value=-2, max_value=2, max_denominator=3), min_size=2,
                max_size=2))
def test_random_pl_programs_satisfy_the_formula(w, x):
    # kinks through x by construction: the tests vanish at x for the chosen offsets
    a = w[0] * x[0] + w[1] * x[1]
    P = selcalc.parse(f"def g(x1, x2):\n    return relu({w[0]} * x1 + {w[1]} * x2 - ({a}))"
                      f" + abs(x1 - ({x[0]})) * {w[2]} + max(x1, x2)")
    for field in ("clarke", "ad_outputs"):
        assert check_projection_formula(P, x, field=field).holds is True


def test_closed_graph():
    assert check_closed_graph(L1, (0, 0)).holds is True
    v = check_closed_graph(L1, (0, 1), field="ad_outputs")
    assert v.holds is True and len(v.certificate["limits"]) == 2
    moving = selcalc.Field([([X1 >= 0], [(1 + X1, 1)]), ([X1 <= 0], "gradient")])
    assert check_closed_graph(L1, (0, 1), field=moving).holds is True
    strict = selcalc.Field([([X1 > 0], [(1, 1)])])
    with pytest.raises(SelcalcError, match="closed"):
        check_projection_formula(L1, (0, 1), field=strict)
    with pytest.raises(SelcalcError, match="piecewise-linear"):
        check_projection_formula(selcalc.parse("def f(x):\n    return abs(x * x)"), (0,))
