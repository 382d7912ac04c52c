"""Every theorem check on hypothesis-generated programs with planted ties.

Three families (``tests/strategies.py``): piecewise-linear, polynomial (products and powers,
so tests along curves have degree > 1) and exp-log.  A check that fails is a bug; one that
answers unknown is recorded as an :class:`UnknownVerdict` warning (listed in the warnings
summary), never counted as a pass.  Pinned ``@example`` s are regressions.
"""

from fractions import Fraction

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import selcalc
from selcalc.interpreters.opcount import local_ratios, opcount
from selcalc.theorems import (check_chain_rule, check_clarke_inclusion, check_conservativity,
                              check_fermat, check_gradient_almost_everywhere,
                              check_integration_along_segments, check_selection_gradient,
                              stack)
from tests.strategies import programs
from tests.theorems.helpers import expect_holds

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PL = programs(max_inputs=2, max_statements=5)
POLY = programs(max_inputs=2, max_statements=4, polynomial=True)
EXPLOG = programs(max_inputs=2, max_statements=4, smooth=True)
FAMILIES = st.one_of(PL, POLY, EXPLOG)
ONE_INPUT = st.one_of(programs(inputs=1, max_statements=5),
                      programs(inputs=1, max_statements=4, polynomial=True))


def check(verdict):
    return expect_holds(verdict, skip_unknown=False)


@FAST
@given(FAMILIES)
@example(("def f(x1, x2):\n    v0 = max(x1, x2)\n    v1 = abs(v0 - x1)\n    return v1\n",
          (Fraction(1), Fraction(1))))
def test_theorem2_selection_gradient(case):
    src, x = case
    check(check_selection_gradient(selcalc.parse(src), x))


@SLOW
@given(st.one_of(PL, POLY))
def test_proposition2_integration(case):
    src, x = case
    check(check_integration_along_segments(selcalc.parse(src), x, n=2,
                                           conventions=("selection", "pytorch")))


@SLOW
@given(EXPLOG)
# check_integration's simplify misses these zeros (hyperbolic forms, log of a product);
# on [1/2, 3/2] sympy's integrator raises PolynomialError on the sigmoid's derivative
@example(("def f(x1):\n    v0 = sigmoid(x1)\n    return v0\n", (Fraction(1),)))
@example(("def f(x1):\n    v0 = softplus(x1)\n    return v0\n", (Fraction(-3, 2),)))
def test_proposition2_integration_explog(case):
    src, x = case
    check(check_integration_along_segments(selcalc.parse(src), x, n=1,
                                           conventions=("selection",)))


@SLOW
@given(st.one_of(PL, POLY))
@example(("def f(x1, x2):\n    v0 = x1 * x2\n    v1 = relu(v0 - (0))\n    return v1\n",
          (Fraction(0), Fraction(0))))
# the sampler's curve inside a polynomial kink crashed on a one-input program (degree -oo)
@example(("def f(x1):\n    v0 = x1 * x1\n    v1 = v0 + relu(x1)\n    return v1\n",
          (Fraction(0),)))
def test_theorem3_conservativity(case):
    src, x = case  # n = 3: one random curve, one through a tie, one inside a tie set
    check(check_conservativity(selcalc.parse(src), x, n=3, parabola=False))


@SLOW
@given(FAMILIES)
def test_proposition3_almost_everywhere(case):
    src, _ = case
    check(check_gradient_almost_everywhere(selcalc.parse(src), n_points=1))


@st.composite
def compositions(draw):
    """``(F, g, x)``: F with two outputs, g with ties planted at F(x) when it is rational."""
    kind = draw(st.sampled_from(["pl", "poly", "explog"]))
    opts = {"pl": {}, "poly": {"polynomial": True}, "explog": {"smooth": True}}[kind]
    p = draw(st.integers(1, 2))
    src_f, x = draw(programs(inputs=p, outputs=2, max_statements=4, **opts))
    F = selcalc.parse(src_f)
    y = tuple(Fraction(int(v.p), int(v.q)) if v.is_Rational else Fraction(0) for v in F(*x))
    src_g, _ = draw(programs(inputs=2, point=y, max_statements=4, **opts))
    return F, selcalc.parse(src_g), x


@SLOW
@given(compositions())
def test_proposition4_chain_rule(case):
    F, g, x = case
    check(check_chain_rule(F, g, x))


@SLOW
@given(FAMILIES, st.booleans())
def test_clarke_inclusion(case, vector):
    src, x = case
    P = selcalc.parse(src)
    if vector:  # a two-output program: the Clarke Jacobian
        P = stack(P, selcalc.parse(src.replace("return", "return -1 * ")))
    check(check_clarke_inclusion(P, x))


@SLOW
@given(ONE_INPUT)
@example(("def f(x1):\n    v0 = x1 * x1\n    v1 = max(v0, 2)\n    return v1\n",
          (Fraction(0),)))
def test_fermat(case):
    src, x = case
    check(check_fermat(selcalc.parse(src), x[0] - 2, x[0] + 2, include_maxima=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FAMILIES)
def test_cheap_gradient_bound_by_local_ratios(case):
    """cost_backward(P) <= max local ratio · cost(P) (the node-wise cheap gradient bound)."""
    src, _ = case
    P = selcalc.parse(src)
    c = opcount(P)
    assert c.backward == selcalc.cost_backward(P) and c.evaluation == selcalc.cost(P)
    assert c.backward >= c.evaluation
    ratios = local_ratios(P)
    if c.evaluation and None not in ratios.values():
        assert c.ratio <= max(ratios.values())
