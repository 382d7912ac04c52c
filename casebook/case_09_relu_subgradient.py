"""Case 9: for relu, the index closure D_f is the convex subgradient."""

from fractions import Fraction

import selcalc

from .checks import equals
from .registry import Case

SOURCE = '''\
def relu1(t):
    return relu(t)

def relu_max(t):
    return max(t, 0)

def relu2(t):
    return relu(-t) + t

def zero(t):
    return relu2(t) - relu(t)
'''

# the convex subgradient of t -> max(t, 0), as the paper states it: [0, 1] at 0
SUBGRADIENT = {-1: (0, 0), 0: (0, 1), Fraction(1, 2): (1, 1)}

NARRATIVE = """\
Section 5.1 of the paper (Bolte & Pauwels, NeurIPS 2020, "Illustration with ReLU and sorting",
(a)): with the selection f_1 = 0, f_2 = t, the index closure of Definition 5 is the convex
subgradient of relu: {0} for t < 0, [0, 1] at 0 and {1} for t > 0. The engine computes D_f for three
programs of relu (`relu(t)`, `max(t, 0)` and `relu2`) and finds the convex subgradient
each time, along with the Clarke subgradient. The last claim is the warning that comes
with it: D_f belongs to the program, not to the function. For the program `zero`, D_f(0) is
[-1, 1], not the subgradient {0} of the zero function."""


def make_claims(case):
    claims = []
    for name in ("relu1", "relu_max", "relu2"):
        P = case.program(name)
        claims.append(equals(
            f"{name}: D_f at -1, 0, 1/2 is {{0}}, [0, 1], {{1}} (the convex subgradient)",
            lambda P=P: tuple(selcalc.index_closure(P, t).interval for t in SUBGRADIENT),
            tuple(SUBGRADIENT.values())))
        claims.append(equals(f"{name}: the Clarke subgradient at 0 is also [0, 1]",
                             lambda P=P: selcalc.clarke(P, 0).interval, (0, 1)))
    claims.append(equals("zero: D_f(0) equals the convex subgradient {0} of the zero "
                         "function", lambda: selcalc.index_closure(case.program("zero"), 0)
                         .interval, (0, 0), expected=False))
    return claims


CASE = Case(
    name="relu_subgradient",
    title="relu: D_f is the convex subgradient",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"relu1": (0,), "relu_max": (0,), "relu2": (0,), "zero": (0,)},
    make_claims=make_claims,
    tags={"neurips2020"},
)
