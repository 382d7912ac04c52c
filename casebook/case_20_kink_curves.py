"""Case 20: Theorem 3 along curves that stay inside a kink set; Proposition 3 off it."""

from fractions import Fraction

import selcalc
from selcalc import ConvexSet

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def dist(x, y):
    return relu(x - y) + relu(y - x)

def parabola(x, y):
    return relu(y - x * x) + 2 * x
'''

FIELDS = ("index_closure", "ad_outputs", "clarke", "pytorch", "jax", "tensorflow")

NARRATIVE = """\
Theorem 3 of the paper (Bolte & Pauwels, NeurIPS 2020): D_f is conservative, i.e. along every
absolutely continuous curve, d/dt f(γ(t)) = <v, γ'(t)> for all v in D_f(γ(t)), for almost every t.
The interesting curves are the ones that stay inside a kink set, where several pieces are
active for a whole interval of t. For dist(x, y) = |x - y| written with two ReLUs, the
engine checks the identity along the diagonal segment (inside the kink) for D_f, conv(AD
outputs), the Clarke field and the three framework presets; for
relu(y - x²) + 2x it follows the parabola y = x², also inside the kink. Proposition 3
(gradient almost everywhere) is the other side: off the kink all the sets reduce to
{∇f}."""


def make_claims(case):
    dist, parabola = case.program("dist"), case.program("parabola")
    diagonal = selcalc.segment((-1, -1), (2, 2))
    curve = selcalc.polynomial_curve([(-1, 1), (2, -4), (0, 4)])  # (2t-1, (2t-1)²)
    claims = [claim(f"dist: {field} is conservative along the diagonal (inside the kink)",
                    lambda f=field: selcalc.check_conservative(dist, diagonal, field=f))
              for field in FIELDS]
    claims += [claim(f"parabola: {field} is conservative along y = x² (inside the kink)",
                     lambda f=field: selcalc.check_conservative(parabola, curve, field=f))
               for field in ("index_closure", "ad_outputs", "tensorflow")]
    off = (Fraction(1, 2), -1)
    claims.append(equals(
        "off the kink, at (1/2, -1), D_f = conv(AD outputs) = Clarke = {∇f} = {(1, -1)}",
        lambda: (selcalc.index_closure(dist, off), selcalc.ad_outputs(dist, off),
                 selcalc.clarke(dist, off)),
        (ConvexSet([(1, -1)]),) * 3))
    return claims


CASE = Case(
    name="kink_curves",
    title="Theorem 3 along curves inside a kink set",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"dist": (1, 1), "parabola": (1, 1)},
    make_claims=make_claims,
    tags={"neurips2020", "conservativity"},
)
