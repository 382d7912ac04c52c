"""Case 23: implicit differentiation of Ψ = Φ⁻¹ gives a conservative Jacobian, not Clarke's."""

import sympy

import selcalc
from selcalc.beyond import check_implicit_conservative

from .checks import claim
from .registry import Case

SOURCE = '''\
def Phi(x, y):
    return abs(x) + y, 2 * x + abs(y)

def F(u, v, x, y):
    return abs(x) + y - u, 2 * x + abs(y) - v

def Psi(u, v):
    upper = min(2 * u - v, 2 * u + v)
    if v - u >= 0:
        x_up = v - u
    else:
        x_up = (v - u) / 3
    if v - u >= 0:
        y_up = 2 * u - v
    else:
        y_up = (2 * u + v) / 3
    if u + v >= 0:
        x_lo = (u + v) / 3
    else:
        x_lo = u + v
    if u + v >= 0:
        y_lo = (2 * u - v) / 3
    else:
        y_lo = 2 * u + v
    if upper >= 0:
        x = x_up
    else:
        x = x_lo
    if upper >= 0:
        y = y_up
    else:
        y = y_lo
    return x, y
'''

NARRATIVE = """\
Nonsmooth implicit differentiation (Bolte, Le, Pauwels and Silveti-Falls, "Nonsmooth
implicit differentiation for machine learning and optimization", NeurIPS 2021,
arXiv:2106.04350): when F(x, y) = 0 and every [A B] of the Clarke Jacobian of F has B
invertible, J = {-B⁻¹A} is a conservative Jacobian of the implicit function. The
counterexample from the same authors' talks: Φ(x, y) = (|x| + y, 2x + |y|) is a
piecewise-linear homeomorphism (the four quadrant matrices all have negative determinant);
Ψ = Φ⁻¹ is written as a program, one linear piece per image cone, and checked to invert Φ.
With F(u, v, x, y) = Φ(x, y) - (u, v), the Clarke Jacobian of F at 0 is [-I | B] with
B = [[s, 1], [2, t]], s, t in [-1, 1]; det B = st - 2 < 0, decided exactly on the whole
polytope. J = {B⁻¹} is not convex: its four vertex images are the four vertices of the
Clarke Jacobian of Ψ at 0, but the average of those vertices, a Clarke element of Ψ, is
not of the form B⁻¹ (an exact LP in the convex weights is infeasible). So the Clarke
Jacobian of the inverse is not the inverse of the Clarke Jacobian, while implicit
differentiation still returns a conservative Jacobian: along segments through 0, including
the rays where Ψ has kinks and the implicit set has several elements, d/dt Ψ(γ(t)) = M γ'(t)
for every M of the set, checked row by row on every open piece."""


def make_claims(case):
    Phi, F, Psi = case.program("Phi"), case.program("F"), case.program("Psi")

    def inverts():
        pts = [(1, 2), (-3, 1), (2, -5), (-1, -1), (0, 3), (sympy.Rational(1, 2), -7)]
        return all(Phi(*Psi(*p)) == tuple(sympy.sympify(c) for c in p) for p in pts), \
            {"points": pts}

    J = lambda: selcalc.implicit_jacobian(F, (0, 0), (0, 0))  # noqa: E731
    C = lambda: selcalc.clarke(Psi, (0, 0))  # noqa: E731

    def same_vertices():
        a, b = set(map(str, C().vertices)), set(map(str, J().vertex_images))
        return a == b, {"clarke(Psi, 0)": C(), "vertex images": J().vertex_images}

    def average():
        verts = C().vertices
        return sum(verts, sympy.zeros(2, 2)) / len(verts)

    return [
        claim("Psi inverts Phi (checked at sample points)", inverts),
        claim("every B in the Clarke Jacobian of F at 0 is invertible",
              lambda: J().invertible),
        claim("the vertex images -B_i⁻¹A_i are the vertices of the Clarke Jacobian of Psi",
              same_vertices),
        claim("the average of those vertices lies in the Clarke Jacobian of Psi",
              lambda: C().contains(average())),
        claim("... and is of the form -B⁻¹A (the implicit set contains Clarke's)",
              lambda: J().contains(average()), expected=False),
        claim("the implicit set is conservative for Psi along the kink ray through (1, 2)",
              lambda: check_implicit_conservative(F, Psi, selcalc.segment((-1, -2), (1, 2)))),
        claim("... along the kink ray through (-1, 1)",
              lambda: check_implicit_conservative(F, Psi, selcalc.segment((1, -1), (-1, 1)))),
        claim("... and along a segment crossing 0 off the kinks",
              lambda: check_implicit_conservative(F, Psi, selcalc.segment((-3, 1), (3, -1)))),
    ]


CASE = Case(
    name="implicit_inverse",
    title="Implicit differentiation of Φ⁻¹: conservative, not Clarke",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"Psi": (0, 0), "Phi": (0, 0), "F": (0, 0, 0, 0)},
    make_claims=make_claims,
    expect_counterexample=True,
    tags={"implicit", "beyond"},
)
