"""Case 5: the sine function with derivatives prescribed at chosen points (Figure 1, bottom)."""

from fractions import Fraction

import sympy

import selcalc

from .checks import claim, equals, same_function_1d
from .registry import Case

SOURCE = '''\
def zero(t):
    return relu(-t) + t - relu(t)

def sine(t):
    return sin(t)

def bent_sine(t):
    return sin(t) - zero(t) + (2 - cos(1)) * zero(t - 1) + (-3 - cos(2)) * zero(t + 2)
'''

# prescribed AD derivatives (TensorFlow convention, relu'(0) = 0): point -> value
PRESCRIBED = {0: 0, 1: 2, -2: -3}

NARRATIVE = """\
The bottom of Figure 1 of the paper (Bolte & Pauwels, NeurIPS 2020) shows AD producing
arbitrary derivatives of the sine function at prescribed arguments, including an artificial
critical point. Each `c * zero(t - a)` term adds nothing to the function but adds c to the AD
derivative at t = a, so `bent_sine` computes sin(t) while AD returns 0 at t = 0 (an artificial
critical point: the Clarke subgradient there is {cos 0} = {1}), 2 at t = 1 and -3 at
t = -2. The constants `2 - cos(1)` and `-3 - cos(2)` are exact. Because sin is analytic but
outside the log-exp class of Definition 1, the program is flagged: the statements that
need that class (Propositions 2 and 3, Theorem 3) are only claimed on bounded intervals
here. On [-3, 3] the engine finds three artificial critical points, not one: at t = 1 and
t = -2 the AD outputs over all tie-breaking choices also surround 0, even though the
TensorFlow convention happens to return 2 and -3 there."""


def figure(case):
    P = case.program("bent_sine")
    ts = [Fraction(k, 4) for k in range(-12, 13)]
    values = [selcalc.grad(P, t, convention="tensorflow")[0] for t in ts]
    fine = [Fraction(k, 16) for k in range(-48, 49)]
    return {"file": "figure1_bottom.png",
            "title": "AD derivative of bent_sine (= sin) under the TensorFlow convention",
            "xlabel": "t", "ylabel": "AD derivative",
            "series": [{"label": "AD derivative of bent_sine", "t": ts, "values": values,
                        "highlight": list(PRESCRIBED)},
                       {"label": "cos t", "t": fine, "values": [sympy.cos(t) for t in fine],
                        "style": "line"}],
            "caption": "Figure 1 (bottom) of the paper, recomputed exactly at t = k/4: AD "
                       "agrees with cos t except at the prescribed points -2, 0 and 1."}


def make_claims(case):
    P = case.program("bent_sine")
    claims = [equals(f"AD derivative (TensorFlow) at t = {a} is the prescribed {v}",
                     lambda a=a: selcalc.grad(P, a, convention="tensorflow"), (v,))
              for a, v in PRESCRIBED.items()]
    claims += [
        equals("elsewhere AD returns cos t: at t = 1/2 and t = -1",
               lambda: (selcalc.grad(P, Fraction(1, 2), convention="tensorflow"),
                        selcalc.grad(P, -1, convention="tensorflow")),
               ((sympy.cos(Fraction(1, 2)),), (sympy.cos(1),))),
        claim("bent_sine computes sin on [-3, 3] (piecewise symbolic proof)",
              lambda: same_function_1d(P, case.program("sine"), -3, 3)),
        equals("Clarke subgradients at -2, 0, 1 are {cos 2}, {1}, {cos 1}",
               lambda: tuple(selcalc.clarke(P, a).interval[0] for a in (-2, 0, 1)),
               (sympy.cos(2), 1, sympy.cos(1))),
        claim("t = 0 is an artificial critical point",
              lambda: selcalc.artificial_critical(P, 0)),
        equals("the artificial critical points on [-3, 3] are -2, 0 and 1",
               lambda: selcalc.artificial_critical_points(P, -3, 3), [-2, 0, 1]),
        claim("the program is flagged as outside the log-exp class",
              lambda: (P.logexp is False, {"logexp": P.logexp})),
    ]
    return claims


CASE = Case(
    name="sine",
    title="sine with prescribed AD derivatives, including an artificial critical point",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"bent_sine": (0,), "sine": (0,), "zero": (0,)},
    make_claims=make_claims,
    tags={"figure1", "neurips2020", "outside-logexp", "artificial-critical"},
    figure=figure,
)
