"""Case 12: ‖x‖² with {0} added on a segment — gradient a.e., closed graph, not conservative."""

from fractions import Fraction

import sympy

import selcalc

from .checks import claim
from .registry import Case

SOURCE = '''\
def sq(x1, x2):
    return x1 ** 2 + x2 ** 2
'''

NARRATIVE = """\
Conservativity is much more than "a gradient almost everywhere" (Bolte & Pauwels, Mathematical
Programming 2021): take f = ‖x‖² and the field D equal to {∇f} everywhere, plus the vector 0 on
the segment [(0, 0), (1, 0)]. D has compact values and a closed graph, and it differs from ∇f
only on a null set, yet it is not conservative: along the segment itself, d/dt f(γ(t)) = 2t while
<0, γ'(t)> = 0. The engine finds that witness exactly (a rational t on an open piece where
both sides are analytic, so they differ on a set of positive length). Along a segment that
only crosses the bad set, or for the field {∇f} alone, the check passes: a random
segment almost never reveals the defect, which is why the curve sampler also draws curves
inside tie sets."""

X1, X2 = sympy.symbols("x1 x2")
BAD_FIELD = selcalc.Field([([], "gradient"),
                           ([sympy.Eq(X2, 0), X1 >= 0, X1 <= 1], [(0, 0)])])


def make_claims(case):
    P = case.program("sq")
    along = selcalc.segment((0, 0), (1, 0))
    across = selcalc.segment(("1/2", -1), ("1/2", 1))
    return [
        claim("the gradient field {∇f} is conservative along [(0, 0), (1, 0)]",
              lambda: selcalc.check_conservative(P, along, field="ad_outputs")),
        claim("D = {∇f} plus {0} on the segment is conservative along the segment",
              lambda: selcalc.check_conservative(P, along, field=BAD_FIELD), expected=False),
        claim("... the check passes along a segment that only crosses the bad set",
              lambda: selcalc.check_conservative(P, across, field=BAD_FIELD)),
    ]


CASE = Case(
    name="nonconservative_field",
    title="‖x‖² with {0} on a segment: not conservative",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"sq": (Fraction(1, 2), 0)},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"conservative-fields", "conservativity"},
)
