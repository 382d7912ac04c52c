"""Case 13: Proposition 2 with a selection that is wrong on a null set."""

import selcalc

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def zero(t):
    return relu(-t) + t - relu(t)

def f(x, y):
    return x + 3 * zero(x - y)
'''

NARRATIVE = """\
Proposition 2 of the paper (Bolte & Pauwels, NeurIPS 2020) integrates a selection derivative
along any segment: f(y) - f(x) = ∫_0^1 <y - x, ∇̂f(x + t(y - x))> dt. The selection derivative can
be wrong on a null set and the formula still holds. Here f(x, y) = x + 3·zero(x - y) is
the function x, but on the whole line x = y AD returns (4, -3) instead of (1, 0). The
engine integrates exactly, piece by piece, along a segment that crosses the line and
along a segment that lies *inside* it, where the selection derivative is wrong at every
point. Both integrals equal f(y) - f(x): on the line, the error (3, -3) is orthogonal to
the direction of travel. That is the rigidity the paper's remark after Proposition 3
insists on; Proposition 3 alone would not give it."""


def make_claims(case):
    f, zero = case.program("f"), case.program("zero")
    claims = [
        equals("on the line x = y AD returns (4, -3) (TensorFlow), not ∇f = (1, 0)",
               lambda: (selcalc.grad(f, (1, 1), convention="tensorflow"),
                        selcalc.grad(f, (-2, -2), convention="tensorflow")),
               ((4, -3), (4, -3))),
        equals("the Clarke subgradient there is {(1, 0)}",
               lambda: selcalc.clarke(f, (1, 1)).vertices, ((1, 0),)),
    ]
    for convention in ("selection", "pytorch", "jax", "tensorflow"):
        claims.append(claim(f"Proposition 2 inside the line, [(0, 0), (2, 2)], {convention}",
                            lambda c=convention: selcalc.check_integration(f, (0, 0), (2, 2),
                                                                           c)))
    claims += [
        equals("the integral inside the line is 2 = f(2, 2) - f(0, 0)",
               lambda: selcalc.integrate_along(f, (0, 0), (2, 2), "tensorflow"), 2),
        claim("Proposition 2 across the line, [(-1, 2), (3, -1)]",
              lambda: selcalc.check_integration(f, (-1, 2), (3, -1), "tensorflow")),
        claim("one dimension: zero over [-1, 1] integrates to 0 although zero'(0) = 1",
              lambda: selcalc.check_integration(zero, (-1,), (1,), "tensorflow")),
    ]
    return claims


CASE = Case(
    name="integration_null_set",
    title="Proposition 2: integrating a selection derivative that is wrong on a null set",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"f": (1, 1), "zero": (0,)},
    make_claims=make_claims,
    tags={"neurips2020", "proposition"},
)
