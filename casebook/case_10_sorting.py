"""Case 10: sorting — the Clarke Jacobian is the hull of the consistent permutation matrices."""

import itertools

import sympy

import selcalc
from selcalc import ConvexSet

from .checks import claim, equals
from .registry import Case

SOURCE = '''\
def sort3(a, b, c):
    return sort(a, b, c)

def sort2(a, b):
    return sort(a, b)
'''

POINTS = [(0, 0, 1), (1, 0, 1), (2, 2, 2), (3, 1, 2)]

NARRATIVE = """\
Section 5.1 of the paper (Bolte & Pauwels, NeurIPS 2020, (b)): the sorting map F(x) = Px, with P any
permutation matrix that sorts x, is an elementary selection, and its index closure
D_F(x) = conv{P permutation : Px = F(x)} is the Clarke Jacobian. selcalc's `sort` is
ascending (the paper sorts in descending order; the statement is the same) and its
outputs share one piece, a permutation, never one per output. The claims compare the
engine's Clarke Jacobian, index closure and AD outputs with the permutation matrices
enumerated directly, at points with a double tie, a triple tie and no tie. At (2, 2, 2)
the set is the Birkhoff polytope of 3×3 doubly stochastic matrices: 6 vertices, dimension
4."""


def consistent_permutations(x):
    """Every permutation matrix P with P x sorted ascending (computed without the engine)."""
    n, target = len(x), sorted(x)
    mats = []
    for perm in itertools.permutations(range(n)):
        if [x[i] for i in perm] == target:
            mats.append(sympy.Matrix(n, n, lambda r, c: int(perm[r] == c)))
    return ConvexSet(mats)


def make_claims(case):
    S = case.program("sort3")
    claims = []
    for x in POINTS:
        expected = consistent_permutations(x)
        claims.append(claim(
            f"at {x}: Clarke Jacobian = index closure = conv(AD outputs) = "
            f"conv{{consistent permutation matrices}} ({len(expected.vertices)} of them)",
            lambda x=x, expected=expected: (
                selcalc.clarke(S, x) == expected and selcalc.index_closure(S, x) == expected
                and selcalc.ad_outputs(S, x) == expected, {"clarke": selcalc.clarke(S, x),
                                                           "enumerated": expected})))
    claims.append(equals("at (2, 2, 2): 6 vertices (all permutations), dimension 4",
                         lambda: (len(selcalc.clarke(S, (2, 2, 2)).vertices),
                                  selcalc.clarke(S, (2, 2, 2)).dim), (6, 4)))
    claims.append(equals("every preset returns the stable permutation at (1, 0, 1)",
                         lambda: tuple(selcalc.jacobian(S, (1, 0, 1), convention=c)
                                       for c in ("pytorch", "jax", "tensorflow")),
                         (sympy.Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]]),) * 3))
    T = case.program("sort2")
    claims.append(equals("sort of two equal numbers: conv{I, swap}",
                         lambda: selcalc.clarke(T, (5, 5)),
                         ConvexSet([sympy.eye(2), sympy.Matrix([[0, 1], [1, 0]])])))
    return claims


CASE = Case(
    name="sorting",
    title="Sorting: the Clarke Jacobian is the hull of consistent permutation matrices",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"sort3": (0, 0, 1), "sort2": (5, 5)},
    make_claims=make_claims,
    tags={"neurips2020", "vector"},
)
