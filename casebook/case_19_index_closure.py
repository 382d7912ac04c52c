"""Case 19: Definition 5 verbatim — value coincidence makes D_f larger than the AD outputs."""

import selcalc
from selcalc import ConvexSet

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def g(x, y):
    return relu(x) * y
'''

NARRATIVE = """\
Definition 5 of the paper (Bolte & Pauwels, NeurIPS 2020) collects the gradients of every
selection piece f_i with f_i(x) = f(x): equality of values, not "the piece is active". The two
can differ. For g(x, y) = relu(x)·y at (1, 0), relu is not tied (x = 1), so AD can only return
∇(x·y) = (0, 1), which is also the Clarke gradient (g is smooth there). But the piece that
replaces relu(x) by 0 has the value 0 = g(1, 0) as well, and its gradient (0, 0) enters
D_f. So D_f(1, 0) = conv{(0, 0), (0, 1)}: the point is selection critical for D_f, and
artificial critical relative to D_f, although no tie-breaking choice lets AD return 0
there. The engine computes both objects separately: `index_closure` (all patterns, value
coincidence) and `ad_outputs` (the tie-consistent patterns)."""


def make_claims(case):
    P = case.program("g")
    x = (1, 0)
    return [
        equals("AD outputs at (1, 0): {(0, 1)}", lambda: selcalc.ad_outputs(P, x),
               ConvexSet([(0, 1)])),
        equals("Clarke at (1, 0): {(0, 1)}", lambda: selcalc.clarke(P, x),
               ConvexSet([(0, 1)])),
        equals("index closure D_f(1, 0) = conv{(0, 0), (0, 1)}",
               lambda: selcalc.index_closure(P, x), ConvexSet([(0, 0), (0, 1)])),
        claim("(1, 0) is artificial critical relative to D_f",
              lambda: selcalc.artificial_critical(P, x, field="index_closure")),
        claim("(1, 0) is artificial critical relative to conv(AD outputs)",
              lambda: selcalc.artificial_critical(P, x), expected=False),
    ]


CASE = Case(
    name="index_closure",
    title="Definition 5 verbatim: D_f can be larger than every AD output",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"g": (1, 0)},
    make_claims=make_claims,
    tags={"neurips2020", "definition"},
)
