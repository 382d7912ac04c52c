"""Case 24: unrolling a contraction — the propagated sets converge to the implicit set."""

from fractions import Fraction

import selcalc

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def step(theta, x):
    return x / 2 + relu(theta)

def prox(theta, x):
    return relu(x) / 2 + theta
'''

NARRATIVE = """\
Differentiating an iterative algorithm x_{k+1} = F(θ, x_k) by unrolling propagates
D_{k+1} = {B D_k + A : [A B] in a conservative Jacobian of F at (θ, x_k)} (Bolte, Pauwels
and Vaiter, "Automatic differentiation of nonsmooth iterative algorithms", NeurIPS 2022,
arXiv:2206.00457). For `step`, at θ = 0 the relu has its kink: A ranges over [0, 1] and
B = 1/2. From the fixed point x_0 = 0, D_k = [0, 2 - 2^(1-k)]: the exact sets approach
the implicit set {(1 - B)⁻¹A} = [0, 2] at rate 2^(1-k), and the exact Hausdorff distance
is computed by linear programming. For `prox` the kink sits in x instead: A = 1 and B
ranges over [0, 1/2], so the implicit set is {1/(1 - B)} = [1, 2] and again D_k fills it."""


def make_claims(case):
    step, prox = case.program("step"), case.program("prox")
    return [
        equals("step: D_1..D_4 are [0, 1], [0, 3/2], [0, 7/4], [0, 15/8]",
               lambda: [D.interval for D in selcalc.unroll(step, 0, 0, 4).sets[1:]],
               [(0, 1), (0, Fraction(3, 2)), (0, Fraction(7, 4)), (0, Fraction(15, 8))]),
        claim("step: x_k = 0 is a fixed point where every B is a contraction",
              lambda: selcalc.unroll(step, 0, 0, 1).limit),
        equals("step: the implicit set {(1 - B)⁻¹A} has hull [0, 2]",
               lambda: selcalc.unroll(step, 0, 0, 1).implicit_hull.interval, (0, 2)),
        equals("step: the Hausdorff distance from D_10 to it is 2^-9",
               lambda: selcalc.unroll(step, 0, 0, 10).distance(), Fraction(1, 512)),
        equals("prox: D_6 is [1, 63/32], inside the implicit hull [1, 2]",
               lambda: (selcalc.unroll(prox, 0, 0, 6).sets[-1].interval,
                        selcalc.unroll(prox, 0, 0, 1).implicit_hull.interval),
               ((1, Fraction(63, 32)), (1, 2))),
    ]


CASE = Case(
    name="unrolling",
    title="Unrolling a contraction: D_k approaches {(I - B)⁻¹A}",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"step": (0, 0), "prox": (0, 0)},
    make_claims=make_claims,
    tags={"unrolling", "beyond"},
)
