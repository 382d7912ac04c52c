"""Case 14: Lemma 1 on a concrete program — forward and backward mode as polynomials."""

import sympy

import selcalc
from selcalc.interpreters.evaluate import evaluate
from selcalc.interpreters.partials import local_partials
from selcalc.conventions import get_convention
from selcalc.theorems.lemma1 import d_symbol, prove_forward_equals_backward, prove_lemma1

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def f(x, y):
    return relu(x * y) + max(x, y)
'''

NARRATIVE = """\
Lemma 1 of the paper (Bolte & Pauwels, NeurIPS 2020, section 4) is the matrix identity behind
"forward mode equals backward mode": the product of the forward-mode factors and that of the
backward-mode factors agree after projection on the inputs. On a concrete program the
engine runs both modes of Algorithm 2 with symbolic local partials d_k[j] and obtains the
same polynomial, one monomial per path from an input to the output (Bauer's path sum).
Substituting the partials that a convention selects at a tie gives the number that
`selcalc.grad` returns in either mode. The identity itself is also proved for fully
symbolic d_k at small sizes (see docs/proofs/lemma1.md)."""


def _substituted(P, x, convention):
    run = evaluate(P, x)
    d = local_partials(P, run, get_convention(convention))
    subs = {d_symbol(k, j): sympy.sympify(d[k][pos])
            for k in range(P.p + 1, P.m + 1) for pos, j in enumerate(P.pr(k))}
    jac = prove_forward_equals_backward(P).certificate["jacobian"]
    return tuple(sympy.simplify(e.xreplace(subs)) for e in jac)


def make_claims(case):
    P = case.program("f")
    x = (0, 0)
    claims = [
        claim("forward and backward mode give the same polynomials in the d_k[j]",
              lambda: prove_forward_equals_backward(P)),
        equals("∂f/∂x as a path sum: d_3[1]·d_4[3]·d_6[4] + d_5[1]·d_6[5]",
               lambda: prove_forward_equals_backward(P).certificate["jacobian"][0, 0],
               d_symbol(3, 1) * d_symbol(4, 3) * d_symbol(6, 4)
               + d_symbol(5, 1) * d_symbol(6, 5)),
    ]
    # at (0, 0): relu's argument x*y has zero partials; max(x, y) ties, so the convention
    # decides: the first argument (selection, TensorFlow) or an even split (PyTorch)
    stated = {"selection": (1, 0), "pytorch": (sympy.Rational(1, 2), sympy.Rational(1, 2)),
              "tensorflow": (1, 0)}
    for convention, value in stated.items():
        claims.append(equals(
            f"{convention}: the polynomial at the local partials of (0, 0), forward mode and "
            f"backward mode all give {value}",
            lambda c=convention: (_substituted(P, x, c),
                                  selcalc.grad(P, x, convention=c, mode="forward"),
                                  selcalc.grad(P, x, convention=c, mode="backward")),
            (value,) * 3))
    claims.append(claim("Lemma 1 with fully symbolic d_k for p = 2, m = 7",
                        lambda: prove_lemma1(2, 7)))
    return claims


CASE = Case(
    name="lemma1",
    title="Lemma 1 on a program: forward = backward, symbolically",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"f": (0, 0)},
    make_claims=make_claims,
    tags={"neurips2020", "lemma"},
)
