"""Case 3: c * zero — the constant function 0 with any derivative c at 0."""

from fractions import Fraction

import selcalc

from .checks import claim, equals, same_function_1d
from .registry import Case

SOURCE = '''\
def zero(t):
    return relu(-t) + t - relu(t)

def null(t):
    return t - t

def three_zero(t):
    return 3 * zero(t)

def minus_seven_thirds_zero(t):
    return -7 / 3 * zero(t)

def tenth_zero(t):
    return 0.1 * zero(t)

def five_zero_at_two(t):
    return 5 * zero(t - 2)
'''

SCALED = {"three_zero": 3, "minus_seven_thirds_zero": Fraction(-7, 3),
          "tenth_zero": Fraction(1, 10)}

NARRATIVE = """\
Scaling the zero program by a constant c gives a program for the constant function 0
whose AD derivative at 0 is c (Bolte & Pauwels, NeurIPS 2020, section 1.1: the derivative can
be changed at prescribed arguments). The literal `0.1` is read exactly as 1/10. Shifting the
kink moves the prescribed point: `5 * zero(t - 2)` has AD derivative 5 at t = 2 and 0 elsewhere. The
Clarke subgradient stays {0}; the set of possible AD outputs at the kink is c·[-1, 1]."""


def make_claims(case):
    progs = case.programs()
    claims = []
    for name, c in SCALED.items():
        P = progs[name]
        claims.append(equals(f"{name}: AD derivative at 0 is {c} (TensorFlow convention)",
                             lambda P=P: selcalc.grad(P, 0, convention="tensorflow"), (c,)))
        claims.append(claim(f"{name} is the zero function on [-4, 4]",
                            lambda P=P: same_function_1d(P, progs["null"], -4, 4)))
        claims.append(equals(f"{name}: conv(AD outputs at 0) is {c}·[-1, 1]",
                             lambda P=P: selcalc.ad_outputs(P, 0).interval,
                             (-abs(c), abs(c))))
        claims.append(equals(f"{name}: Clarke subgradient at 0 is {{0}}",
                             lambda P=P: selcalc.clarke(P, 0).interval, (0, 0)))
    shifted = progs["five_zero_at_two"]
    claims.append(equals("5 * zero(t - 2): AD derivative 5 at t = 2, 0 at t = 0",
                         lambda: (selcalc.grad(shifted, 2, convention="tensorflow"),
                                  selcalc.grad(shifted, 0, convention="tensorflow")),
                         ((5,), (0,))))
    return claims


CASE = Case(
    name="c_zero",
    title="c * zero: any derivative c for the constant function 0",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"three_zero": (0,), "minus_seven_thirds_zero": (0,), "tenth_zero": (0,),
            "five_zero_at_two": (2,), "zero": (0,)},
    make_claims=make_claims,
    tags={"figure1", "neurips2020"},
)
