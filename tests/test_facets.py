"""Exact H-representations of convex sets (``ConvexSet.facets``).

The facets are compared with a brute force: every affinely independent subset of ``dim``
points spans a hyperplane of the affine hull (a sympy nullspace); those with every point on
one side and a tight set of dimension ``dim - 1`` are the facets.  Membership by the
H-representation is compared with ``ConvexSet.contains`` (an LP over the points), and every
answer is re-checked by ``selcalc.certificates.check_facets``, which is shown to reject
damaged representations.
"""

import itertools
import random
import time
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import selcalc
from selcalc.certificates import check_facets, check_vertices

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
COORD = st.fractions(min_value=-3, max_value=3, max_denominator=3)


def point_sets(dim_min=2, dim_max=4, n_max=8):
    return st.integers(dim_min, dim_max).flatmap(
        lambda d: st.lists(st.tuples(*[COORD] * d), min_size=1, max_size=n_max))


def _rank(vectors):
    return sympy.Matrix([list(v) for v in vectors]).rank() if vectors else 0


def brute_facets(pts):
    """``(dim, {tight point set})`` by trying every hyperplane through ``dim`` points."""
    P = [sympy.Matrix([sympy.Rational(c) for c in p]) for p in pts]
    n = len(pts[0])
    diffs = [p - P[0] for p in P[1:]]
    d = _rank([list(v) for v in diffs])
    if d == 0:
        return 0, set()
    normals = sympy.Matrix([list(v) for v in diffs]).nullspace() if diffs else []
    out = set()
    for sub in itertools.combinations(range(len(P)), d):
        dirs = [P[i] - P[sub[0]] for i in sub[1:]]
        if _rank([list(v) for v in dirs]) != d - 1:
            continue
        rows = [list(v) for v in dirs] + [list(a) for a in normals]
        null = sympy.Matrix(rows).nullspace() if rows else [sympy.Matrix([1])]
        assert len(null) == 1
        c = null[0]
        e = c.dot(P[sub[0]])
        vals = [c.dot(p) - e for p in P]
        if all(v <= 0 for v in vals) or all(v >= 0 for v in vals):
            tight = [i for i, v in enumerate(vals) if v == 0]
            if _rank([list(P[i] - P[tight[0]]) for i in tight[1:]]) == d - 1:
                out.add(frozenset(tuple(pts[i]) for i in tight))
    return d, out


def _tight_points(pts, c, e):
    return frozenset(tuple(p) for p in pts
                     if sum(a * Fraction(b) for a, b in zip(c, p)) == Fraction(e))


def _compare(pts):
    """Facets of ``ConvexSet(pts)`` against the brute force, plus the checker."""
    S = selcalc.ConvexSet(pts)
    H = S.facets()
    assert check_facets(S, H) and H.check()
    d, brute = brute_facets(pts)
    assert H.dim == d == S.dim
    assert {_tight_points(pts, c, e) for c, e in H.inequalities} == brute
    assert len(H.equalities) == S.ambient_dim - d
    # canonical normals: zero outside the free coordinates of the hull
    if len(pts) > 1:
        D = sympy.Matrix([[sympy.Rational(a) - sympy.Rational(b) for a, b in zip(p, pts[0])]
                          for p in pts[1:]])
        free = set(D.rref()[1])
        assert all(c[j] == 0 for c, _ in H.inequalities for j in range(len(c))
                   if j not in free)
    assert list(H.inequalities) == sorted(H.inequalities)
    return S, H


@SETTINGS
@given(point_sets())
def test_facets_match_brute_force(pts):
    _compare(pts)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point_sets(dim_min=2, dim_max=2, n_max=7),
       st.tuples(*[st.integers(-2, 2)] * 3), st.sampled_from([0, 1, 2]))
def test_points_on_a_plane_in_r3(pts2, coeffs, slot):
    """Planar sets embedded in R^3 (one coordinate an affine function of the others)."""
    a, b, k = coeffs
    pts = []
    for x, y in pts2:
        z = a * x + b * y + k
        p = [x, y]
        p.insert(slot, z)
        pts.append(tuple(p))
    S, H = _compare(pts)
    assert H.dim <= 2 and len(H.equalities) >= 1


@SETTINGS
@given(point_sets(dim_max=4, n_max=7), st.data())
def test_contains_agrees_with_inequalities(pts, data):
    S = selcalc.ConvexSet(pts)
    H = S.facets()
    for _ in range(6):
        if data.draw(st.booleans()):  # an affine combination: on the hull, often inside
            lam = [data.draw(st.fractions(-1, 2, max_denominator=4)) for _ in pts]
            total = sum(lam)
            if total == 0:
                continue
            q = tuple(sum(w * Fraction(p[j]) for w, p in zip(lam, pts)) / total
                      for j in range(len(pts[0])))
        else:
            q = data.draw(st.tuples(*[COORD] * len(pts[0])))
        assert S.contains(q).holds == H.satisfied_by(q), (pts, q)


def test_degenerate_inputs():
    # a single point (and the same point repeated): equalities only
    for pts in ([(1, 2, 3)], [(1, 2, 3), (1, 2, 3)]):
        H = _compare(pts)[1]
        assert H.inequalities == () and [b for _, b in H.equalities] == [1, 2, 3]
    # duplicates do not change anything
    assert _compare([(0, 0), (1, 0), (0, 1), (1, 0), (0, 0)])[1].tight == ((0, 1), (0, 2),
                                                                          (1, 2))
    # collinear points in R^3: a segment, two equalities, two endpoint facets
    S, H = _compare([(0, 0, 0), (1, 2, 3), ("1/2", 1, "3/2"), (2, 4, 6)])
    assert len(H.equalities) == 2 and H.inequalities == (((-1, 0, 0), 0), ((1, 0, 0), 2))
    # a square in R^4, the unit cube and a cross-polytope (non-simplicial facets)
    _compare([(0, 0, 5, 5), (1, 0, 5, 5), (0, 1, 5, 5), (1, 1, 5, 5)])
    cube = list(itertools.product([0, 1], repeat=3))
    H = _compare(cube)[1]
    assert H.inequalities == (((-1, 0, 0), 0), ((0, -1, 0), 0), ((0, 0, -1), 0),
                              ((0, 0, 1), 1), ((0, 1, 0), 1), ((1, 0, 0), 1))
    H4 = selcalc.ConvexSet(list(itertools.product([0, 1], repeat=4))).facets()
    assert len(H4.inequalities) == 8 and H4.check()
    cross = [tuple(s * (i == j) for j in range(4)) for i in range(4) for s in (1, -1)]
    assert len(_compare(cross)[1].inequalities) == 16


def test_deterministic_and_matrices():
    pts = [(0, 0, 0), (3, 0, 0), (0, 2, 0), (0, 0, 1), (1, 1, 1)]
    shuffled = pts[::-1]
    H1, H2 = selcalc.ConvexSet(pts).facets(), selcalc.ConvexSet(shuffled).facets()
    assert (H1.equalities, H1.inequalities, H1.tight) == (H2.equalities, H2.inequalities,
                                                          H2.tight)
    J = selcalc.ConvexSet([sympy.Matrix([[0, 1]]), sympy.Matrix([[1, 0]])])
    H = J.facets()
    assert H.equalities == (((1, 1), 1),) and H.check()


def test_irrational_coordinates():
    r2 = sympy.sqrt(2)
    H = selcalc.ConvexSet([(r2,), (1,), (0,)]).facets()
    assert H.inequalities == (((-1,), 0), ((1,), r2)) and H.check()
    H = selcalc.ConvexSet([(r2, 1)]).facets()
    assert H.equalities == (((1, 0), r2), ((0, 1), 1)) and H.check()
    with pytest.raises(selcalc.Undecided, match="irrational"):
        selcalc.ConvexSet([(r2, 0), (0, 1), (0, 0)]).facets()


def _damaged(H, **changes):
    out = selcalc.sets.HRepresentation(H.vertices, H.dim, H.equalities,
                                       H.certificate["facets"])
    for name, value in changes.items():
        setattr(out, name, value)
    return out


def test_checker_rejects_damage():
    S = selcalc.ConvexSet([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)])
    H = S.facets()
    faces = H.certificate["facets"]
    # a facet left out: some ridge lies in one listed facet only
    short = selcalc.sets.HRepresentation(H.vertices, H.dim, H.equalities, faces[1:])
    with pytest.raises(AssertionError, match="incomplete"):
        check_facets(S, short)
    # no facets at all (nothing to cross: the ridge test alone would pass)
    with pytest.raises(AssertionError, match="has facets"):
        check_facets(S, selcalc.sets.HRepresentation(H.vertices, H.dim, H.equalities, ()))
    # a wrong offset (not tight, or violated)
    bad = dict(faces[0], offset=faces[0]["offset"] + 1)
    with pytest.raises(AssertionError):
        check_facets(S, selcalc.sets.HRepresentation(H.vertices, H.dim, H.equalities,
                                                     (bad,) + faces[1:]))
    # an equality missing for a flat set, and an invalid one
    T = selcalc.ConvexSet([(0, 0, 1), (1, 0, 1), (0, 1, 1)])
    HT = T.facets()
    with pytest.raises(AssertionError, match="affine hull"):
        check_facets(T, _damaged(HT, equalities=()))
    with pytest.raises(AssertionError, match="fails"):
        check_facets(T, _damaged(HT, equalities=(((0, 0, 1), 2),)))
    # a non-primitive normal
    f = dict(HT.certificate["facets"][0])
    f["normal"] = tuple(2 * v for v in f["normal"])
    f["offset"] = 2 * f["offset"]
    damaged = selcalc.sets.HRepresentation(HT.vertices, HT.dim, HT.equalities,
                                           (f,) + HT.certificate["facets"][1:])
    with pytest.raises(AssertionError, match="coprime"):
        check_facets(T, damaged)
    # a segment needs both endpoints
    U = selcalc.ConvexSet([(0,), (1,)])
    HU = U.facets()
    with pytest.raises(AssertionError, match="two facets"):
        check_facets(U, selcalc.sets.HRepresentation(HU.vertices, 1, (),
                                                     HU.certificate["facets"][:1]))


def test_speed_200_points_in_r4():
    rng = random.Random(7)
    pts = [tuple(Fraction(rng.randint(-100, 100), rng.randint(1, 9)) for _ in range(4))
           for _ in range(200)]
    S = selcalc.ConvexSet(pts)
    start = time.perf_counter()
    _ = S.vertices
    mid = time.perf_counter()
    H = S.facets()
    end = time.perf_counter()
    assert H.check()
    assert end - mid < 5, f"facets took {end - mid:.2f} s (vertices {mid - start:.2f} s)"


def test_large_coordinates():
    """Beyond int64 and beyond floats' exact integers: exact integer arithmetic throughout."""
    rng = random.Random(5)
    for n in (3, 4):
        pts = [tuple(Fraction(rng.randint(-10 ** 25, 10 ** 25), rng.randint(1, 10 ** 12))
                     for _ in range(n)) for _ in range(8)]
        _compare(pts)
    cube = [tuple(10 ** 30 * x + 1 for x in p) for p in itertools.product([0, 1], repeat=4)]
    H = _compare(cube)[1]
    assert H.inequalities[0] == ((-1, 0, 0, 0), -1)


def test_checker_rejects_damaged_ridges():
    """Non-simplicial facets carry their own facets; damage there is caught too."""
    S = selcalc.ConvexSet(list(itertools.product([0, 1], repeat=3)))
    H = S.facets()
    faces = H.certificate["facets"]
    square = faces[0]
    assert square["ridges"] is not None and len(square["ridges"]) == 4

    def with_first(face):
        return selcalc.sets.HRepresentation(H.vertices, H.dim, H.equalities,
                                            (face,) + faces[1:])
    with pytest.raises(AssertionError, match="incomplete"):
        check_facets(S, with_first(dict(square, ridges=square["ridges"][1:])))
    with pytest.raises(AssertionError, match="not a simplex"):
        check_facets(S, with_first(dict(square, ridges=None)))
    assert check_facets(S, with_first(dict(square)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point_sets(dim_max=4, n_max=9))
def test_engine_on_all_points(pts):
    """``polyhedra.facets`` on every distinct point (not only vertices): tight sets then
    include the points lying on a facet, as in the brute force."""
    from selcalc.polyhedra import facets
    pts = sorted(set(pts))
    d, _, faces = facets(pts)
    assert (d, {frozenset(pts[i] for i in T) for _, _, T, _ in faces}) == brute_facets(pts)


def test_coordinates_beyond_floats():
    """Integers past the float range: vertices and facets still exact (no overflow)."""
    rng = random.Random(11)
    pts = [tuple(Fraction(rng.randint(-10 ** 400, 10 ** 400), 3) for _ in range(3))
           for _ in range(7)] + [(0, 0, 0)]
    pts.append(tuple(sum(Fraction(p[j]) for p in pts[:4]) / 4 for j in range(3)))
    S, H = _compare(pts)  # the last point is not a vertex
    assert len(S.vertices) < len(pts) and check_vertices(S)
