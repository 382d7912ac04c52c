"""Case 8: minibatching — the average of AD outputs is not in the Clarke set of the average."""

import selcalc

from .checks import claim, contains, equals, same_function_1d
from .registry import Case

SOURCE = '''\
def J1(x):
    return abs(x)

def J2(x):
    return -abs(x)

def J(x):
    return (J1(x) + J2(x)) / 2

def K1(x):
    return 2 * relu(x) - x

def K2(x):
    return -(2 * relu(-x) + x)

def K(x):
    return (K1(x) + K2(x)) / 2
'''

NARRATIVE = """\
Minibatch methods train J = (1/n) Σ J_i with one derivative per sample (Bolte & Pauwels,
Mathematical Programming 2021). For convex J_i, averaging subgradients gives a subgradient
of J; without convexity it does not. With J1 = |x| and J2 = -|x|, J = 0: v1 = 1 ∈ ∂^c J1(0)
and v2 = 1 ∈ ∂^c J2(0), but their average 1 is not in ∂^c J(0) = {0}. AD behaves the same way: K1 = 2 relu(x) - x and K2 = -(2 relu(-x) + x) are other
programs for |x| and -|x|; with relu'(0) = 0 AD returns -1 for each, and the average -1 is not
in the Clarke set {0} of their average. It is, however, exactly what AD returns on the program
of the average (the sum rule of selection derivatives, Proposition 4) and it lies in that program's
conservative field conv(AD outputs) = [-1, 1]: the model of conservative fields and the paper's
Theorem 4 is built on that field, not on Clarke's."""


def make_claims(case):
    progs = case.programs()
    J1, J2, J, K1, K2, K = (progs[n] for n in ("J1", "J2", "J", "K1", "K2", "K"))
    return [
        equals("Clarke at 0: ∂J1 = [-1, 1], ∂J2 = [-1, 1], ∂J = {0}",
               lambda: tuple(selcalc.clarke(P, 0).interval for P in (J1, J2, J)),
               ((-1, 1), (-1, 1), (0, 0))),
        contains("v1 = 1 is a Clarke subgradient of J1 at 0", lambda: selcalc.clarke(J1, 0),
                 (1,)),
        contains("v2 = 1 is a Clarke subgradient of J2 at 0", lambda: selcalc.clarke(J2, 0),
                 (1,)),
        contains("their average 1 is a Clarke subgradient of J at 0",
                 lambda: selcalc.clarke(J, 0), (1,), expected=False),
        claim("K1 computes |x| and K2 computes -|x| on [-3, 3]",
              lambda: (same_function_1d(K1, J1, -3, 3).holds is True
                       and same_function_1d(K2, J2, -3, 3).holds is True,
                       {})),
        equals("PyTorch convention: AD gives K1'(0) = -1, K2'(0) = -1, K'(0) = -1",
               lambda: tuple(selcalc.grad(P, 0, convention="pytorch") for P in (K1, K2, K)),
               ((-1,), (-1,), (-1,))),
        contains("the averaged AD output -1 is in the Clarke set of the average K at 0",
                 lambda: selcalc.clarke(K, 0), (-1,), expected=False),
        contains("-1 lies in the conservative field conv(AD outputs of K at 0)",
                 lambda: selcalc.ad_outputs(K, 0), (-1,)),
        equals("conv(AD outputs of K at 0) is [-1, 1]",
               lambda: selcalc.ad_outputs(K, 0).interval, (-1, 1)),
    ]


CASE = Case(
    name="minibatch",
    title="Minibatching: averaged derivatives leave the Clarke set",
    narrative=NARRATIVE,
    source=SOURCE,
    points={n: (0,) for n in ("J1", "J2", "J", "K1", "K2", "K")},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"conservative-fields", "calculus", "conventions"},
)
