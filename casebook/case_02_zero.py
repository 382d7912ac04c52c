"""Case 2: zero = relu2 - relu — the constant function with AD derivative 1 at 0."""

import selcalc

from .checks import claim, equals, same_function_1d
from .registry import Case

SOURCE = '''\
def relu2(t):
    return relu(-t) + t

def zero(t):
    return relu2(t) - relu(t)

def null(t):
    return t - t
'''

NARRATIVE = """\
`zero(t) = relu2(t) - relu(t)` outputs 0 for every t, but AD returns zero'(0) = 1
(Bolte & Pauwels, NeurIPS 2020, section 1.1; the same example motivates the complexity work
of Bolte, Boustany, Pauwels & Pesquet-Popescu, ICLR 2023). In the paper's vocabulary
(Definition 4, remark (a)) this is a selection derivative that is not a subgradient of any kind. Over all
tie-breaking choices AD could return -1, 0 or 1 at 0, so the index closure D_f(0) of
Definition 5 is [-1, 1], while the Clarke subgradient of the zero function is {0}. D_f
depends on the program; the Clarke set does not."""


def make_claims(case):
    P = case.program("zero")
    claims = [
        equals(f"{c}: AD gives zero'(0) = 1", lambda c=c: selcalc.grad(P, 0, convention=c),
               (1,))
        for c in ("tensorflow", "pytorch", "jax")]
    claims += [
        claim("zero is the zero function on [-5, 5] (piecewise symbolic proof)",
              lambda: same_function_1d(P, case.program("null"), -5, 5)),
        equals("AD outputs at 0 over all tie-breaking choices are {-1, 0, 1}",
               lambda: sorted(p[0] for p in selcalc.ad_outputs(P, 0).points), [-1, 0, 1]),
        equals("index closure D_f(0) (Definition 5) is [-1, 1]",
               lambda: selcalc.index_closure(P, 0).interval, (-1, 1)),
        equals("Clarke subgradient at 0 is {0}", lambda: selcalc.clarke(P, 0).interval,
               (0, 0)),
        equals("away from 0 AD returns the true derivative 0 (t = -2, 1/3)",
               lambda: (selcalc.grad(P, -2, convention="tensorflow"),
                        selcalc.grad(P, "1/3", convention="tensorflow")),
               ((0,), (0,))),
    ]
    return claims


CASE = Case(
    name="zero",
    title="zero = relu2 - relu: AD derivative 1, D_f = [-1, 1], Clarke {0}",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"zero": (0,), "relu2": (0,), "null": (0,)},
    make_claims=make_claims,
    tags={"figure1", "neurips2020", "iclr2023"},
)
