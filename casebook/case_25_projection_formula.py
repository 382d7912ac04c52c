"""Case 25: the projection formula on |x1| + |x2|."""

import sympy

import selcalc

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def f(x1, x2):
    return abs(x1) + abs(x2)
'''

NARRATIVE = """\
A field D is conservative for f exactly when f and D admit a variational stratification:
pieces M (manifolds) on which f is smooth and the projection of D(x) on the tangent space
of the piece through x is the single Riemannian gradient of f on that piece (Bolte,
Daniilidis and Lewis, SIAM J. Optim. 2007; Bolte and Pauwels, Math. Programming 2021,
arXiv:1909.10300). For |x1| + |x2| the pieces are the origin, the four open half-axes and
the four open quadrants. On the half-axis {x1 = 0, x2 > 0} the Clarke set is
[-1, 1] × {1}; its projection on the tangent line (the x2-axis) is {(0, 1)}, the gradient
of f = x2 along it. At the origin the tangent space is {0}. A user field that adds the
vector 0 on the x1-axis fails at (1, 0): its projection 0 is not the Riemannian gradient
(1, 0), and along a segment of that axis check_conservative returns a rigorous witness."""

X1, X2 = sympy.symbols("x1 x2")
BAD = selcalc.Field([([], "gradient"), ([sympy.Eq(X2, 0)], [(0, 0)])])


def make_claims(case):
    f = case.program("f")
    return [
        equals("on {x1 = 0, x2 > 0}: T = the x2-axis and P_T Clarke = {(0, 1)}",
               lambda: (lambda c: (c["tangent_basis"], c["projected"]))(
                   selcalc.check_projection_formula(f, (0, 1)).certificate),
               ([(0, 1)], [(0, 1)])),
        claim("the projection formula holds for the Clarke field at the origin",
              lambda: selcalc.check_projection_formula(f, (0, 0))),
        claim("... and for conv(AD outputs) on a half-axis",
              lambda: selcalc.check_projection_formula(f, (-2, 0), field="ad_outputs")),
        claim("the field with 0 added on the x1-axis satisfies it at (1, 0)",
              lambda: selcalc.check_projection_formula(f, (1, 0), field=BAD), expected=False),
        claim("... and that field is conservative along the x1-axis",
              lambda: selcalc.check_conservative(f, selcalc.segment((0, 0), (2, 0)),
                                                 field=BAD), expected=False),
        claim("the Clarke field contains its limits from the four quadrants at 0",
              lambda: selcalc.check_closed_graph(f, (0, 0))),
    ]


CASE = Case(
    name="projection_formula",
    title="The projection formula on |x1| + |x2|",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"f": (0, 1)},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"stratification", "beyond"},
)
