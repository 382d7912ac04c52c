"""Case 1: relu, relu2, relu3 — one function, three programs, three derivatives at 0."""

from fractions import Fraction

import selcalc

from .checks import claim, equals, grad_at, same_function_1d
from .registry import Case

SOURCE = '''\
def relu1(t):
    return relu(t)

def relu2(t):
    return relu(-t) + t

def relu3(t):
    return (relu(t) + relu2(t)) / 2

def zero(t):
    return relu2(t) - relu(t)
'''

STATED = {"relu1": 0, "relu2": 1, "relu3": Fraction(1, 2), "zero": 1}

NARRATIVE = """\
The opening experiment of the NeurIPS 2020 paper (Bolte & Pauwels, NeurIPS 2020, section 1.1
and the top of Figure 1): `relu2(t) = relu(-t) + t` and `relu3(t) = (relu(t) + relu2(t)) / 2`
are the same function as `relu`, yet TensorFlow differentiates them to 0, 1 and 1/2 at t = 0.
AD acts on programs, not on functions. The engine reproduces the three numbers exactly under the
`tensorflow` preset (and, because all three libraries take `relu'(0) = 0`, under the
`pytorch` and `jax` presets too), proves that the three programs compute one function,
and shows that each derivative is one of the values AD could produce at 0: the set of
AD outputs of relu3 at 0 is {0, 1/2, 1}, while the Clarke subgradient of the common
function is [0, 1] for all three programs."""


def figure(case):
    """Figure 1 (top) of the paper: AD derivative against t, TensorFlow convention."""
    ts = [Fraction(k, 4) for k in range(-8, 9)]
    series = []
    for name in ("relu1", "relu2", "relu3", "zero"):
        P = case.program(name)
        values = [selcalc.grad(P, t, convention="tensorflow")[0] for t in ts]
        series.append({"label": name, "t": ts, "values": values, "highlight": [0]})
    return {"file": "figure1_top.png", "panels": True,
            "title": "AD derivative under the TensorFlow convention",
            "xlabel": "t", "ylabel": "AD derivative", "series": series,
            "caption": "Figure 1 (top) of the paper, recomputed exactly at t = k/4 "
                       "(including t = 0, where the programs disagree)."}


def make_claims(case):
    progs = case.programs()
    claims = []
    for convention in ("tensorflow", "pytorch", "jax"):
        for mode in ("backward", "forward"):
            claims.append(equals(
                f"{convention} ({mode} mode): relu', relu2', relu3', zero' at 0 are "
                f"0, 1, 1/2, 1",
                lambda c=convention, m=mode: tuple(
                    selcalc.grad(progs[n], 0, convention=c, mode=m)[0] for n in STATED),
                tuple(STATED.values())))
    for name in ("relu2", "relu3"):
        claims.append(claim(f"{name} computes relu on [-5, 5] (piecewise symbolic proof)",
                            lambda n=name: same_function_1d(progs[n], progs["relu1"], -5, 5)))
    for name in ("relu1", "relu2", "relu3"):
        claims.append(equals(f"away from the kink the programs agree: {name}' at -1 and 1/2 "
                             f"are 0 and 1",
                             lambda n=name: (grad_at(progs[n], -1, "tensorflow")(),
                                             grad_at(progs[n], Fraction(1, 2), "tensorflow")()),
                             ((0,), (1,))))
        claims.append(equals(f"Clarke subgradient of {name} at 0 is [0, 1] (same function, "
                             f"same set)",
                             lambda n=name: selcalc.clarke(progs[n], 0).interval,
                             (0, 1)))
    claims.append(equals("the AD outputs of relu3 at 0 over all tie-breaking choices are "
                         "{0, 1/2, 1}",
                         lambda: sorted(p[0] for p in selcalc.ad_outputs(progs["relu3"], 0)
                                        .points),
                         [0, Fraction(1, 2), 1]))
    return claims


CASE = Case(
    name="relu_family",
    title="relu, relu2, relu3: one function, three AD derivatives at 0",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"relu1": (0,), "relu2": (0,), "relu3": (0,), "zero": (0,)},
    make_claims=make_claims,
    tags={"figure1", "neurips2020", "conventions"},
    figure=figure,
)
