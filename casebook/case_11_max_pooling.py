"""Case 11: 2×2 max pooling of a 4×4 image with a tie."""

import sympy

import selcalc

from .checks import claim, equals
from .registry import Case


def _source():
    names = [f"x{i}{j}" for i in range(1, 5) for j in range(1, 5)]
    lines = [f"def maxpool({', '.join(names)}):"]
    outs = []
    for bi in (0, 1):
        for bj in (0, 1):
            window = [f"x{2 * bi + di + 1}{2 * bj + dj + 1}" for di in (0, 1) for dj in (0, 1)]
            lines.append(f"    y{bi + 1}{bj + 1} = max({', '.join(window)})")
            outs.append(f"y{bi + 1}{bj + 1}")
    lines.append(f"    return {', '.join(outs)}")
    return "\n".join(lines) + "\n"


SOURCE = _source()

# a 4×4 image (row by row) and its pooled output
IMAGE = (3, 1, 13, 8,
         7, 20, 6, 2,
         7, 3, 5, 4,
         6, 2, 1, 5)
POOLED = (20, 13, 7, 5)
# a second image whose top-left window is constant: a four-way tie
FLAT = (4, 4, 0, 1,
        4, 4, 2, 3,
        0, 0, 9, 8,
        1, 0, 7, 6)

NARRATIVE = """\
Max pooling, the usual example of a nonsmooth layer in image networks, is shown here on a 4×4
image whose 2×2 windows pool to [[20, 13], [7, 5]]; max is nonsmooth where entries are equal,
and that image has one such place: the bottom-right window holds two 5s. The engine reproduces
the pooled values, finds that single tie, and returns the two Jacobians AD can produce (the
derivative of that output goes to one 5 or to the other). Both are essential, so the Clarke Jacobian
is their segment. PyTorch's `amax`, JAX's `max` and TensorFlow's `reduce_max` all split a
tie evenly (measured, docs/conventions.md), so each preset returns the midpoint, 1/2 on
each 5; the `selection` convention sends everything to the first. (Max-pooling layers
such as `torch.nn.functional.max_pool2d` route the derivative to one index instead; they
were not measured and no preset claims them.) A second image with a constant window
shows a four-way tie: four Jacobians, all essential."""


def make_claims(case):
    P = case.program("maxpool")
    row = 3  # the bottom-right output y22
    first, second = 10, 15  # the two 5s: x33 and x44, flattened row by row

    def split(w1, w2):
        return tuple(w1 if j == first else w2 if j == second else 0 for j in range(16))

    return [
        equals("pooled output is [[20, 13], [7, 5]]", lambda: P(*IMAGE),
               POOLED),
        equals("exactly one tie: the max of the bottom-right window, between its two 5s "
               "(pieces 0 and 3)", lambda: selcalc.ad_outputs(P, IMAGE).ties, {20: (0, 3)}),
        equals("AD can produce 2 Jacobians; both are essential: Clarke = conv(AD outputs)",
               lambda: (len(selcalc.ad_outputs(P, IMAGE).points),
                        selcalc.clarke(P, IMAGE) == selcalc.ad_outputs(P, IMAGE)),
               (2, True)),
        equals("the PyTorch, JAX and TensorFlow presets put 1/2 on each 5",
               lambda: tuple(tuple(selcalc.jacobian(P, IMAGE, convention=c).row(row))
                             for c in ("pytorch", "jax", "tensorflow")),
               (split(sympy.Rational(1, 2), sympy.Rational(1, 2)),) * 3),
        equals("the selection convention puts everything on the first 5",
               lambda: tuple(selcalc.jacobian(P, IMAGE).row(row)), split(1, 0)),
        claim("the averaged Jacobian lies in the Clarke Jacobian",
              lambda: selcalc.clarke(P, IMAGE).contains(
                  selcalc.jacobian(P, IMAGE, convention="pytorch"))),
        equals("a constant window: 4 Jacobians, all essential",
               lambda: (len(selcalc.ad_outputs(P, FLAT).points),
                        len(selcalc.clarke(P, FLAT).vertices)), (4, 4)),
    ]


CASE = Case(
    name="max_pooling",
    title="Max pooling of a 4×4 image with a tie",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"maxpool": IMAGE},
    make_claims=make_claims,
    tags={"pooling", "vector", "conventions"},
)
