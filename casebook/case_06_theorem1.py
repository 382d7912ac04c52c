"""Case 6: Theorem 1 — AD does not induce an operator on functions."""

from fractions import Fraction

import selcalc

from .checks import claim, equals, same_function_1d
from .registry import Case

# c -> program name; every program computes relu, with AD derivative c at 0
FAMILY = {0: "relu1", -2: "relu_minus_two", -1: "relu_minus_one",
          Fraction(1, 2): "relu_half", 1: "relu_plus_one", 3: "relu_plus_three"}

SOURCE = '''\
def zero(t):
    return relu(-t) + t - relu(t)

def relu1(t):
    return relu(t)

def relu_minus_two(t):
    return relu(t) - 2 * zero(t)

def relu_minus_one(t):
    return relu(t) - zero(t)

def relu_half(t):
    return relu(t) + zero(t) / 2

def relu_plus_one(t):
    return relu(t) + zero(t)

def relu_plus_three(t):
    return relu(t) + 3 * zero(t)

def zero_at_three_halves(t):
    return 7 * zero(t - 3 / 2)
'''

NARRATIVE = """\
Theorem 1 of the paper (Bolte & Pauwels, NeurIPS 2020, section 1.1) says that no nontrivial
operator on
*functions* can (a) contain every output of AD and (b) contain 0 in its value at relu
and 0. The proof is in the paper's appendix; what the engine
can do is exhibit the programs that make the obstruction concrete. The six programs below
all compute relu (proved piece by piece on [-5, 5]); their AD derivatives at 0 are -2, -1,
0, 1/2, 1 and 3, and scaling the `zero` gadget reaches any real c. Requirement (a) would
therefore force every real number into the operator's value at relu and 0, and the same
gadget shifted to any point a (here a = 3/2) forces every number into its value for the
zero function at a. Such an operator says nothing about the function. The Clarke
subgradient, an operator on functions, is the same [0, 1] for all six programs, and
therefore cannot contain their AD outputs."""


def make_claims(case):
    progs = case.programs()
    relu1 = progs["relu1"]
    claims = []
    for c, name in FAMILY.items():
        P = progs[name]
        if name != "relu1":
            claims.append(claim(f"{name} computes relu on [-5, 5]",
                                lambda P=P: same_function_1d(P, relu1, -5, 5)))
        claims.append(equals(f"{name}: AD derivative at 0 is {c} (TensorFlow convention)",
                             lambda P=P: selcalc.grad(P, 0, convention="tensorflow"), (c,)))
        claims.append(equals(f"{name}: Clarke subgradient at 0 is [0, 1], as for relu",
                             lambda P=P: selcalc.clarke(P, 0).interval, (0, 1)))
    claims.append(equals(
        "the AD derivatives at 0 of these six programs for one function are six different "
        "numbers",
        lambda: len({selcalc.grad(progs[n], 0, convention="tensorflow") for n in
                     FAMILY.values()}), 6))
    claims.append(equals(
        "a Clarke-type operator cannot contain them: 3 and -2 are outside [0, 1]",
        lambda: tuple(selcalc.clarke(relu1, 0).contains((c,)).holds for c in (3, -2)),
        (False, False)))
    shifted = progs["zero_at_three_halves"]
    claims.append(equals("7 * zero(t - 3/2) computes 0 and has AD derivative 7 at 3/2",
                         lambda: (shifted(Fraction(3, 2)), shifted(5),
                                  selcalc.grad(shifted, Fraction(3, 2),
                                               convention="tensorflow")),
                         (0, 0, (7,))))
    return claims


CASE = Case(
    name="theorem1",
    title="Theorem 1: no operator on functions contains every AD output",
    narrative=NARRATIVE,
    source=SOURCE,
    points={**{name: (0,) for name in FAMILY.values()}, "zero": (0,),
            "zero_at_three_halves": (Fraction(3, 2),)},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"neurips2020", "theorem"},
)
