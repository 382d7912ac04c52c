"""Case 4: identity = t - zero(t) — an artificial critical point at 0."""

import sympy

import selcalc
from selcalc import certificates
from selcalc import Verdict

from .checks import claim, equals, same_function_1d
from .registry import Case

SOURCE = '''\
def relu2(t):
    return relu(-t) + t

def zero(t):
    return relu2(t) - relu(t)

def identity(t):
    return t - zero(t)

def line(t):
    return t
'''

NARRATIVE = """\
`identity(t) = t - zero(t)` is the identity function, but AD returns 0 at t = 0
(Bolte & Pauwels, NeurIPS 2020, section 1.1). A gradient method driven by AD sees a stationary
point there although the function has slope 1 everywhere. The paper (section 5.2) calls such a point
*artificial critical*: 0 lies in the selection field D_f(x) but not in the Clarke
subgradient. The engine finds it, certifies it (convex weights expressing 0 from the AD
outputs, and a vector w with <w, v> > 0 on the Clarke set), re-checks the certificate
independently, and shows that it is the only artificial critical point on [-5, 5]."""


def _certificate_rechecked(P):
    verdict = selcalc.artificial_critical(P, 0)
    if verdict.holds is not True:
        return verdict
    cert = verdict.certificate
    certificates.check_weights(cert["field"].generators, (0,), cert["weights"])
    for v in cert["clarke"].vertices:
        assert sympy.sympify(sum(w * c for w, c in zip(cert["w"], v))).is_positive
    return Verdict(True, "artificial critical at 0, certificate re-checked",
                   {"weights": cert["weights"], "AD outputs": cert["field"], "w": cert["w"],
                    "clarke": cert["clarke"]},
                   checked=["0 = Σ weights · AD outputs", "<w, v> > 0 on the Clarke set"])


def make_claims(case):
    P = case.program("identity")
    line = case.program("line")
    return [
        equals(f"{c}: AD derivative of identity at 0 is 0",
               lambda c=c: selcalc.grad(P, 0, convention=c), (0,))
        for c in ("tensorflow", "pytorch", "jax")] + [
        claim("identity is t on [-5, 5] (piecewise symbolic proof)",
              lambda: same_function_1d(P, line, -5, 5)),
        equals("Clarke subgradient at 0 is {1}", lambda: selcalc.clarke(P, 0).interval,
               (1, 1)),
        equals("index closure D_f(0) is [0, 2]",
               lambda: selcalc.index_closure(P, 0).interval, (0, 2)),
        claim("0 is an artificial critical point (certificate re-checked)",
              lambda: _certificate_rechecked(P)),
        equals("the artificial critical points on [-5, 5] are exactly {0}",
               lambda: selcalc.artificial_critical_points(P, -5, 5), [0]),
    ]


CASE = Case(
    name="identity",
    title="identity = t - zero(t): an artificial critical point at 0",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"identity": (0,), "zero": (0,), "relu2": (0,)},
    make_claims=make_claims,
    tags={"figure1", "neurips2020", "artificial-critical"},
)
