"""The exact LP backend, polytopes, budgets, directional derivatives and Clarke elements.

Polytope answers are compared across the HiGHS-then-exact backend, the z3 route and a
brute force (Carathéodory: a point is redundant iff it is a convex combination of an
affinely independent subset of the other points, solved by exact linear algebra).  Clarke
sets are compared with limiting gradients sampled at ``x + t d`` for tiny exact ``t``.
"""

import itertools
import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import polyhedra
from selcalc.certificates import (check_clarke_element, check_decision, check_membership,
                                  check_vertices)
from selcalc.decide import open_cone
from tests.strategies import programs

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
F = Fraction
COORD = st.fractions(min_value=-3, max_value=3, max_denominator=4)


def point_sets(dim_max=4, n_max=8):
    return st.integers(2, dim_max).flatmap(
        lambda d: st.lists(st.tuples(*[COORD] * d), min_size=1, max_size=n_max, unique=True))


def _in_hull_brute(pts, v):
    """Carathéodory over affinely independent subsets, exact linear algebra."""
    d = len(v)
    for k in range(1, min(len(pts), d + 1) + 1):
        for sub in itertools.combinations(pts, k):
            A = sympy.Matrix([[sympy.Rational(c) for c in p] + [1] for p in sub]).T
            if A.rank() < k:
                continue
            b = sympy.Matrix([sympy.Rational(c) for c in v] + [1])
            try:
                sol, params = A.gauss_jordan_solve(b)
            except ValueError:
                continue
            if all(s >= 0 for s in sol):
                return True
    return False


def _sets_by_backend(pts, v):
    out = {}
    for name in ("highs", "z3"):
        with polyhedra.use_backend(name):
            S = selcalc.ConvexSet(pts)
            out[name] = (S, {tuple(p) for p in S.vertices}, S.contains(v))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point_sets(dim_max=3, n_max=6), st.data())
def test_polytopes_agree_with_z3_and_brute_force(pts, data):
    v = data.draw(st.tuples(*[COORD] * len(pts[0])))
    res = _sets_by_backend(pts, v)
    S, verts, member = res["highs"]
    assert verts == res["z3"][1]
    pts_f = [tuple(F(c) for c in p) for p in pts]
    brute = {tuple(sympy.Rational(c) for c in p) for i, p in enumerate(pts_f)
             if not _in_hull_brute(pts_f[:i] + pts_f[i + 1:], p)}
    assert verts == brute
    assert member.holds == res["z3"][2].holds == _in_hull_brute(pts_f, v)
    check_membership(S, v, member)
    check_membership(res["z3"][0], v, res["z3"][2])
    check_vertices(S)


@SETTINGS
@given(st.integers(1, 5).flatmap(
    lambda n: st.lists(st.tuples(*[st.integers(-3, 3)] * n), min_size=1, max_size=7)))
def test_open_cones_agree_with_z3(rows):
    new = open_cone(rows)
    with polyhedra.use_backend("z3"):
        old = open_cone(rows)
    assert new.holds == old.holds
    check_decision(new)
    check_decision(old)


def test_vertices_of_many_points_in_r8():
    rng = random.Random(3)
    pts = list({tuple(F(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(8))
                for _ in range(150)})
    S = selcalc.ConvexSet(pts)
    check_vertices(S)
    assert 0 < len(S.vertices) <= len(pts)
    inside = tuple(sum(p[j] for p in pts) / len(pts) for j in range(8))
    verdict = S.contains(inside)
    assert verdict.holds is True and check_membership(S, inside, verdict)
    far = (10,) * 8
    verdict = S.contains(far)
    assert verdict.holds is False and check_membership(S, far, verdict)
    assert S.support((1,) * 8) == max(sum(p) for p in pts)


def test_irrational_points_are_exact():
    P = selcalc.parse("def f(x, y):\n    return relu(x**2 + y - 2)")
    x = (sympy.sqrt(2), 0)
    A = selcalc.ad_outputs(P, x)
    r2 = sympy.sqrt(2)
    assert {tuple(v) for v in A.vertices} == {(0, 0), (2 * r2, 1)}
    for p in A.points:
        verdict = A.contains(p)
        assert verdict.holds is True and check_membership(A, p, verdict)
    mid = (r2, sympy.Rational(1, 2))
    verdict = A.contains(mid)
    assert verdict.holds is True and check_membership(A, mid, verdict)
    off = (r2 / 2, sympy.Rational(1, 2))
    verdict = A.contains(off)
    assert verdict.holds is False and check_membership(A, off, verdict)
    assert selcalc.clarke(P, x) == A
    e = selcalc.clarke_element(P, x)
    assert A.contains(e.value).holds and check_clarke_element(P, x, e)


def test_one_dimensional_order_is_certified():
    # 1 + 10^-40 and 1 + sqrt(2) * 10^-40 / 2 differ beyond 30 digits
    a = 1 + sympy.Rational(1, 10**40)
    b = 1 + sympy.sqrt(2) / 2 / 10**40
    S = selcalc.ConvexSet([(b,), (a,), (1,)])
    assert S.interval == (1, a)
    check_vertices(S)


# ---------------------------------------------------------------------- random ReLU nets
def relu_net(p, k, seed, depth=1):
    rng = random.Random(seed)
    layers, n_in = [], p
    for layer in range(depth):
        W = [[rng.randint(-3, 3) for _ in range(n_in)] for _ in range(k)]
        b = [0 if layer == 0 else rng.randint(1, 3) for _ in range(k)]
        layers.append((W, b))
        n_in = k
    out = [rng.randint(-3, 3) or 1 for _ in range(n_in)]

    def net(*x):
        h = list(x)
        for W, b in layers:
            h = [selcalc.relu(sum((w * v for w, v in zip(row, h)), bi)) for row, bi in zip(W, b)]
        return sum(c * v for c, v in zip(out, h))
    return selcalc.trace(net, nargs=p)


def _sample_gradients(P, x, n, seed):
    rng = random.Random(seed)
    t = F(1, 10**9)
    grads = []
    for _ in range(n):
        d = [F(rng.randint(-1000, 1000), 1000) for _ in range(P.p)]
        grads.append(tuple(selcalc.grad(P, [a + t * b for a, b in zip(x, d)])))
    return grads


@pytest.mark.parametrize("p,k,seed", [(2, 4, 0), (2, 5, 1), (3, 4, 2), (5, 4, 3), (8, 3, 4)])
def test_clarke_contains_sampled_limiting_gradients(p, k, seed):
    P = relu_net(p, k, seed)
    x = (0,) * p
    C = selcalc.clarke(P, x)
    samples = _sample_gradients(P, x, 40 if p > 2 else 400, seed)
    for g in samples:
        assert C.contains(g).holds
    if p == 2:
        assert {tuple(v) for v in C.vertices} <= set(samples)
    e = selcalc.clarke_element(P, x)
    assert C.contains(e.value).holds and check_clarke_element(P, x, e)


@SETTINGS
@given(programs(max_inputs=3, max_statements=6))
def test_clarke_element_is_in_clarke(case):
    src, x = case
    P = selcalc.parse(src)
    e = selcalc.clarke_element(P, x)
    assert check_clarke_element(P, x, e)
    try:
        C = selcalc.clarke(P, x)
    except selcalc.Undecided:
        return
    assert C.contains(e.value).holds


@SETTINGS
@given(programs(max_inputs=3, max_statements=6), st.data())
def test_directional_derivative_is_the_difference_quotient(case, data):
    src, x = case
    P = selcalc.parse(src)
    d = data.draw(st.tuples(*[st.integers(-3, 3)] * P.p))
    if not any(d):
        d = (1,) * P.p
    x1 = tuple(a + b for a, b in zip(x, d))
    bp = selcalc.breakpoints(P, selcalc.segment(x, x1))
    first = bp.points[0] if bp.points else 1
    t = F(first) / 2  # f is affine on [0, first] along the segment
    quotient = (P(*[a + t * b for a, b in zip(x, d)]) - P(*x)) / t
    assert sympy.simplify(selcalc.directional_derivative(P, x, d) - quotient) == 0
    many = selcalc.directional_derivatives(P, x, [d, tuple(-v for v in d)])
    assert many[0] == selcalc.directional_derivative(P, x, d)


def test_clarke_element_with_hundreds_of_ties():
    rng = random.Random(5)
    p, k = 6, 300
    W = [[rng.randint(-2, 2) for _ in range(p)] for _ in range(k)]
    W = [row if any(row) else [1] + row[1:] for row in W]
    c = [rng.randint(-2, 2) for _ in range(k)]

    def net(*x):
        return sum(ci * selcalc.relu(sum(w * v for w, v in zip(row, x)))
                   for ci, row in zip(c, W))
    P = selcalc.trace(net, nargs=p)
    x = (0,) * p
    e = selcalc.clarke_element(P, x)
    assert check_clarke_element(P, x, e)
    assert len(e.certificate["pattern"]) >= 200
    # the element is the gradient at the nearby point x + t d_1 (an interior point)
    d1 = e.certificate["directions"][0]
    t = F(1, 10**12)
    assert tuple(selcalc.grad(P, [t * v for v in d1])) == tuple(e.value)


# ---------------------------------------------------------------------- budgets
def test_budgets_and_progress():
    P = relu_net(4, 8, 7)
    x = (0,) * 4
    full = selcalc.clarke(P, x)
    with pytest.raises(selcalc.PatternBudgetExceeded, match="max_cells="):
        selcalc.clarke(P, x, max_cells=5)
    bounds = selcalc.clarke(P, x, max_cells=40, allow_unknown=True)
    assert bounds.stopped and "max_cells" in bounds.stopped
    if bounds.inner is not None:
        assert bounds.inner.issubset(full)
    assert full.issubset(bounds.outer)
    with pytest.raises(selcalc.TimeLimitExceeded, match="time_limit"):
        selcalc.clarke(P, x, time_limit=1e-9)
    seen = []
    selcalc.ad_outputs(P, x, progress=seen.append)
    with pytest.raises(selcalc.TimeLimitExceeded):
        selcalc.ad_outputs(P, x, time_limit=1e-9)
    with pytest.raises(selcalc.TimeLimitExceeded):
        selcalc.breakpoints(P, selcalc.segment(x, (1, 2, 3, 4)), time_limit=1e-9)
    with pytest.raises(selcalc.SelcalcError, match="time_limit"):
        selcalc.clarke(P, x, time_limit=-1)
