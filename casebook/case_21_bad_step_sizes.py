"""Case 21: SGD lands on an artificial critical point for finitely many step sizes."""

from fractions import Fraction

import sympy

import selcalc

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def loss(w):
    return (relu(w) - relu(-w) - 1) ** 2 / 2

def kink(w):
    return abs(w)
'''

NARRATIVE = """\
Theorem 4 of Bolte and Pauwels, "A mathematical model for automatic differentiation in
machine learning" (NeurIPS 2020, arXiv:2006.02080), says that SGD run with the derivatives
AD returns avoids artificial critical points for almost every step size. Here is the
exceptional set, exactly. The loss (w - 1)^2 / 2 is written with the identity
relu(w) - relu(-w); with relu'(0) = 0 AD returns 0 at w = 0, an artificial critical point
(the Clarke subgradient there is {-1}). From w0 = 3 with a constant step α, away from 0
the iterates are w_k = 1 + 2 (1 - α)^k, so w_k = 0 exactly when (1 - α)^k = -1/2.
`bad_step_sizes` finds, for the first three steps and α in (0, 2], exactly two such step
sizes: 3/2 (step 1) and the real cube-root number 1 + 2^(-1/3) (step 3), isolated as an
algebraic number, never rounded. With α = 3/2 the iterate reaches 0 and stays there
forever, since AD's derivative there is 0; step sizes 1/100 away on either side never
touch a kink and converge to the minimiser 1. For |w| from 1, three steps, α in (0, 2],
the bad set is {1/3, 1/2, 1}, and a sample between each pair of them is checked to avoid
every tie."""


def _stuck():
    P = selcalc.parse(SOURCE, "loss")
    run = selcalc.sgd(P, 3, Fraction(3, 2), 20)
    return (all(x == (0,) for x in run.iterates[1:]) and
            selcalc.artificial_critical(P, 0).holds is True,
            {"iterates": [x[0] for x in run.iterates[:4]], "tie steps": run.tie_steps[:4]})


def _nearby():
    P = selcalc.parse(SOURCE, "loss")
    out = {}
    ok = True
    for alpha in (Fraction(149, 100), Fraction(151, 100)):
        run = selcalc.sgd(P, 3, alpha, 20)
        last = run.iterates[-1][0]
        ok &= not run.tie_steps and abs(last - 1) < Fraction(1, 10 ** 5)
        out[str(alpha)] = f"no tie in 20 steps, |w_20 - 1| = {sympy.N(abs(last - 1), 3)}"
    return ok, out


def _samples_avoid(name, x0, steps, rng):
    P = selcalc.parse(SOURCE, name)
    bad = selcalc.bad_step_sizes(P, x0, None, steps, rng)
    clean = all(not [k for k in selcalc.sgd(P, x0, a, steps).tie_steps if k > 0]
                for a in bad.samples())
    return clean, {"bad step sizes": bad.values, "samples": bad.samples()}


def make_claims(case):
    loss = case.program("loss")
    root = 1 + sympy.Rational(1, 2) ** sympy.Rational(1, 3)
    return [
        claim("w = 0 is an artificial critical point of the loss program",
              lambda: selcalc.artificial_critical(loss, 0)),
        equals("the bad step sizes in (0, 2] for 3 steps from w0 = 3 are 3/2 and 1 + 2^(-1/3)",
               lambda: selcalc.bad_step_sizes(loss, 3, None, 3, (0, 2)).values,
               (Fraction(3, 2), root)),
        claim("with α = 3/2 SGD reaches w = 0 and stays there (AD returns 0)", _stuck),
        claim("with α = 149/100 and 151/100 no iterate touches a kink and w_20 is near 1",
              _nearby),
        equals("|w| from 1, 3 steps, α in (0, 2]: the bad step sizes are 1/3, 1/2, 1",
               lambda: selcalc.bad_step_sizes(case.program("kink"), 1, None, 3, (0, 2))
               .values, (Fraction(1, 3), Fraction(1, 2), 1)),
        claim("a step size between consecutive bad values avoids every tie (|w|)",
              lambda: _samples_avoid("kink", 1, 3, (0, 2))),
        claim("... and for the loss program", lambda: _samples_avoid("loss", 3, 3, (0, 2))),
    ]


CASE = Case(
    name="bad_step_sizes",
    title="SGD and Theorem 4: the finite set of bad step sizes",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"loss": (0,), "kink": (0,)},
    make_claims=make_claims,
    tags={"theorem4", "sgd", "beyond"},
)
