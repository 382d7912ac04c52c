"""Case 7: the sum rule fails for the Clarke subgradient: |x| - |x|."""

import selcalc
from selcalc import ConvexSet

from .checks import claim, equals, same_function_1d
from .registry import Case

SOURCE = '''\
def g1(x):
    return abs(x)

def g2(x):
    return -abs(x)

def f(x):
    return abs(x) - abs(x)

def null(x):
    return x - x
'''

NARRATIVE = """\
The work on conservative gradients (Bolte & Pauwels, Mathematical Programming 2021) stresses
that the Clarke subgradient has no calculus beyond convexity: only the inclusion
∂(g1 + g2) ⊂ ∂g1 + ∂g2 holds, and it can be strict. With g1 = |x| and g2 = -|x| the sum is
the zero function: ∂^c f(0) = {0}, while ∂^c g1(0) + ∂^c g2(0) = [-2, 2]. Conservative
fields do add up (the sum rule of conservative fields): the AD outputs of the program `abs(x) -
abs(x)` at 0 fill exactly [-2, 2] = D_g1(0) + D_g2(0), and that field is conservative for f."""


def _minkowski(A, B):
    return ConvexSet([tuple(a + b for a, b in zip(u, v)) for u in A.vertices
                      for v in B.vertices])


def make_claims(case):
    g1, g2, f = case.program("g1"), case.program("g2"), case.program("f")
    return [
        claim("f = |x| - |x| is the zero function on [-3, 3]",
              lambda: same_function_1d(f, case.program("null"), -3, 3)),
        equals("Clarke subgradients at 0: ∂g1 = [-1, 1], ∂g2 = [-1, 1], ∂f = {0}",
               lambda: tuple(selcalc.clarke(P, 0).interval for P in (g1, g2, f)),
               ((-1, 1), (-1, 1), (0, 0))),
        equals("the Minkowski sum ∂g1(0) + ∂g2(0) is [-2, 2]",
               lambda: _minkowski(selcalc.clarke(g1, 0), selcalc.clarke(g2, 0)).interval,
               (-2, 2)),
        claim("sum rule with equality for Clarke: ∂f(0) = ∂g1(0) + ∂g2(0)",
              lambda: (selcalc.clarke(f, 0) == _minkowski(selcalc.clarke(g1, 0),
                                                          selcalc.clarke(g2, 0)),
                       {"∂f(0)": selcalc.clarke(f, 0)}),
              expected=False),
        claim("the inclusion ∂f(0) ⊂ ∂g1(0) + ∂g2(0) holds (strictly)",
              lambda: selcalc.clarke(f, 0).issubset(
                  _minkowski(selcalc.clarke(g1, 0), selcalc.clarke(g2, 0)))),
        equals("conservative fields add up: conv(AD outputs of f at 0) = D_g1(0) + D_g2(0) "
               "= [-2, 2]",
               lambda: (selcalc.ad_outputs(f, 0).interval,
                        _minkowski(selcalc.ad_outputs(g1, 0),
                                   selcalc.ad_outputs(g2, 0)).interval),
               ((-2, 2), (-2, 2))),
        claim("that field is conservative for f along [-1, 1]",
              lambda: selcalc.check_conservative(f, selcalc.segment((-1,), (1,)),
                                                 field="ad_outputs")),
    ]


CASE = Case(
    name="clarke_sum_rule",
    title="The sum rule fails for Clarke: |x| - |x|",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"g1": (0,), "g2": (0,), "f": (0,), "null": (0,)},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"conservative-fields", "calculus"},
)
