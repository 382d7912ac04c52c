"""Case 22: the integral rule holds for conservative fields, not for Clarke subgradients."""

from fractions import Fraction

import selcalc

from .checks import equals
from .registry import Case

SOURCE = '''\
def f(w, s):
    return s * abs(w)
'''

NARRATIVE = """\
The integral rule (Bolte, Le, Pauwels and Silveti-Falls, "Nonsmooth implicit
differentiation for machine learning and optimization", NeurIPS 2021, arXiv:2106.04350):
if D(·, ξ) is conservative for f(·, ξ), then E[D(·, ξ)] is conservative for
F = E[f(·, ξ)]. Clarke subgradients have no such rule. Take f(w, s) = s|w| and the law
½δ₋₁ + ½δ₁: F is the zero function, so ∂^c F(0) = {0}, while the expectation of the Clarke
subgradients of the two terms is ½[-1, 1] + ½[-1, 1] = [-1, 1]. The talk that states this
counterexample also mentions a uniform law on [-1, 1] and writes [-1, 1] for it without
saying which law that value belongs to: it belongs to the discrete law. For the uniform law
on [-1, 1], ∂^c_w f(0, s) = [-|s|, |s|] and its expectation is [-1/2, 1/2]; F is still 0.
Both sets are conservative for F = 0 (they contain 0 and F is constant), as the integral
rule says; neither is Clarke's. On the uniform law on [0, 1] instead, F(w) = |w|/2 and the
expectation [-1/2, 1/2] is exactly ∂^c F(0)."""

HALF = Fraction(1, 2)


def make_claims(case):
    f = case.program("f")
    discrete = {-1: HALF, 1: HALF}
    return [
        equals("discrete law ½δ₋₁ + ½δ₁: E[∂^c_w f(0, ξ)] = [-1, 1]",
               lambda: selcalc.expectation(f, 0, discrete).conservative.interval, (-1, 1)),
        equals("... but F = 0, so ∂^c F(0) = {0}",
               lambda: selcalc.expectation(f, 0, discrete).clarke.interval, (0, 0)),
        equals("a Clarke integral rule E[∂^c f] = ∂^c F holds for this law",
               lambda: selcalc.expectation(f, 0, discrete).conservative.interval, (0, 0),
               expected=False),
        equals("uniform law on [-1, 1]: the expectation of the Clarke sets is [-1/2, 1/2]",
               lambda: selcalc.expectation(f, 0, selcalc.Uniform(-1, 1), field="ad_outputs")
               .conservative.interval, (-HALF, HALF)),
        equals("... pointwise, that field is the Clarke set [-|s|, |s|] of f(·, s) (s = 1/3)",
               lambda: selcalc.clarke(selcalc.beyond.integral.fix_last(f, (Fraction(1, 3),)),
                                      0).interval, (-Fraction(1, 3), Fraction(1, 3))),
        equals("... and ∂^c F(0) = {0} again",
               lambda: selcalc.expectation(f, 0, selcalc.Uniform(-1, 1), field="ad_outputs")
               .clarke.interval, (0, 0)),
        equals("uniform law on [0, 1]: F = |w|/2 and ∂^c F(0) = [-1/2, 1/2] = E[∂^c f]",
               lambda: selcalc.expectation(f, 0, selcalc.Uniform(0, 1), field="ad_outputs")
               .clarke.interval, (-HALF, HALF)),
    ]


CASE = Case(
    name="integral_rule",
    title="The integral rule, and its failure for Clarke subgradients",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"f": (0, 1)},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"integral-rule", "beyond"},
)
