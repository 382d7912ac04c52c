"""Set-valued derivatives at a point: ad_outputs, index_closure, clarke, artificial critical.

Expected sets are derived from the definitions (docs/mathematics.md, section 3;
docs/exactness.md) by hand; every
certificate the engine returns is re-checked by selcalc.certificates.
"""

import random
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, example, given, settings

import selcalc
from selcalc.certificates import check_decision, check_membership, check_weights
from tests.strategies import programs

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
F = Fraction


def P_(src):
    return selcalc.parse(src)


def S(*pts):
    return selcalc.ConvexSet(pts)


def checked_clarke(P, x):
    C = selcalc.clarke(P, x)
    for dec in C.decisions.values():
        assert check_decision(dec)
    return C


def test_relu_at_zero_all_three_sets_are_unit_interval():
    P = P_("def f(t):\n    return relu(t)")
    for fn in (selcalc.ad_outputs, selcalc.index_closure, checked_clarke):
        assert fn(P, 0) == S((0,), (1,))
        assert fn(P, 0).interval == (0, 1)


def test_zero_function():
    P = P_("def zero(t):\n    return relu(-t) + t - relu(t)")
    ad = selcalc.ad_outputs(P, 0)
    assert set(ad.points) == {(-1,), (0,), (1,)}
    assert selcalc.index_closure(P, 0) == S((-1,), (1,))
    assert checked_clarke(P, 0) == S((0,))


def test_identity_is_an_artificial_critical_point():
    P = P_("def identity(t):\n    return t - (relu(-t) + t - relu(t))")
    assert selcalc.grad(P, 0) == (0,)
    C = checked_clarke(P, 0)
    assert C == S((1,))
    v = selcalc.artificial_critical(P, 0)
    assert v.holds is True
    w = v.certificate["w"]
    assert all(sum(a * b for a, b in zip(w, u)) > 0 for u in C.vertices)
    check_weights(v.certificate["field"].generators, (0,), v.certificate["weights"])
    assert selcalc.artificial_critical(P, 1).holds is False
    assert selcalc.artificial_critical_points(P, -1, 1) == [0]


def test_failing_sum_rule_for_clarke():
    diff = P_("def f(x):\n    return abs(x) - abs(x)")
    assert checked_clarke(diff, 0) == S((0,))
    a = checked_clarke(P_("def f(x):\n    return abs(x)"), 0)
    b = checked_clarke(P_("def f(x):\n    return -abs(x)"), 0)
    minkowski = S(*[(u[0] + v[0],) for u in a.vertices for v in b.vertices])
    assert minkowski == S((-2,), (2,))


def test_max_and_l1_and_sort():
    assert checked_clarke(P_("def f(x, y):\n    return max(x, y)"), (0, 0)) == S((1, 0), (0, 1))
    l1 = checked_clarke(P_("def f(x, y):\n    return abs(x) + abs(y)"), (0, 0))
    assert l1 == S((-1, -1), (-1, 1), (1, -1), (1, 1)) and l1.dim == 2
    srt = P_("def f(x, y, z):\n    return sort(x, y, z)")
    J = checked_clarke(srt, (1, 1, 0))
    perms = [sympy.Matrix([[0, 0, 1], [1, 0, 0], [0, 1, 0]]),
             sympy.Matrix([[0, 0, 1], [0, 1, 0], [1, 0, 0]])]
    assert J == selcalc.ConvexSet(perms)
    all_tied = checked_clarke(srt, (0, 0, 0))
    assert len(all_tied.vertices) == 6  # every permutation matrix is a vertex


def test_second_order_decision():
    # the pattern with conditions y - x**2 >= 0 and y <= 0 (and the min's test) has a
    # closed first-order cone {d_y = 0} but no interior near 0: decided by z3, False
    P = P_("def f(x, y):\n    return min(relu(y - x**2), relu(-y))")
    C = selcalc.clarke(P, (0, 0))
    assert C == S((0, 0))
    kinds = {}
    for key, dec in C.decisions.items():
        kinds[key] = dec
        assert check_decision(dec)
    crossed = [d for k, d in kinds.items() if dict(k)[list(dict(k))[0]] == 1 and
               dict(k)[list(dict(k))[1]] == 1]
    assert crossed and all(d.holds is False for d in crossed)
    assert any(d.certificate["kind"] == "smt" and d.holds is False for d in crossed)
    assert any(d.certificate["kind"] == "smt" and d.holds is True for d in kinds.values())


def test_equality_branch_is_never_essential():
    P = P_("def f(x):\n    return 0 if x == 0 else x")
    assert selcalc.grad(P, 0) == (0,)
    assert checked_clarke(P, 0) == S((1,))
    assert selcalc.artificial_critical(P, 0).holds is True


def test_pattern_budget_is_explained():
    src = "def f(x):\n" + "".join(f"    x = relu(x - {i})\n" for i in range(14)) + \
        "    return x\n"
    with pytest.raises(selcalc.PatternBudgetExceeded, match="max_patterns=16384"):
        selcalc.index_closure(P_(src), 0, max_patterns=100)


def test_unknown_is_reported_not_guessed():
    # an exp-log test whose first-order cone is degenerate cannot be decided
    P = P_("def f(x, y):\n    return min(relu(exp(y) - 1 - x**2 - y), relu(-y))")
    with pytest.raises(selcalc.Undecided):
        selcalc.clarke(P, (0, 0))
    bounds = selcalc.clarke(P, (0, 0), allow_unknown=True)
    assert bounds.undecided and bounds.outer is not None


@SETTINGS
@given(programs())
@example(("def f(x1, x2):\n    v0 = max(x1, x2)\n    v1 = relu(v0 - x2)\n    return v1\n",
          (F(0), F(0))))
def test_inclusions(case):
    src, x = case
    P = P_(src)
    ad = selcalc.ad_outputs(P, x)
    for conv in selcalc.CONVENTIONS:
        for mode in ("forward", "backward"):
            v = selcalc.grad(P, x, conv, mode)
            verdict = ad.contains(v)
            assert verdict.holds is True and check_membership(ad, v, verdict)
    C = checked_clarke(P, x)
    assert C.issubset(ad)
    assert C.issubset(selcalc.index_closure(P, x))


@SETTINGS
@given(programs(plant=False), st_seed := __import__("hypothesis").strategies.integers(0, 10**6))
def test_random_points_are_smooth(case, st_seed):
    src, _ = case
    P = P_(src)
    rng = random.Random(st_seed)
    x = tuple(F(rng.randint(-10**6, 10**6), 999983) for _ in range(P.p))
    g = selcalc.grad(P, x)
    single = selcalc.ConvexSet([g])
    assert selcalc.ad_outputs(P, x) == single
    assert selcalc.index_closure(P, x) == single
    assert selcalc.clarke(P, x) == single


def _first_piece_gradient(P, x, d):
    """The gradient on the open piece of the segment [x, x + d] that starts at x, or None
    when the segment stays on a kink where the tie choices give different outputs (AD's
    output there need not be a Clarke element, e.g. max(clip(x1, -1, 1), 1) along x1 = 1)."""
    curve = selcalc.segment(x, tuple(a + b for a, b in zip(x, d)))
    bp = selcalc.breakpoints(P, curve)
    t_end = bp.points[0] if bp.points else 1
    t = sympy.Rational(1, 2) * sympy.sympify(t_end)
    outputs = selcalc.ad_outputs(P, curve(t)).points
    return outputs[0] if len(outputs) == 1 else None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), __import__("hypothesis").strategies.integers(0, 10**6))
@example(("def f(x1, x2):\n    v0 = max(clip(x1, -1, 1), 1)\n    return v0\n",
          (F(1), F(0))), 31)  # f = 1; the direction (0, -32/7) stays on the kink x1 = 1
def test_clarke_oracle_by_directional_limits(case, seed):
    src, x = case
    P = P_(src)
    C = checked_clarke(P, x)
    rng = random.Random(seed)
    reached = set()
    for _ in range(6):
        d = tuple(F(rng.randint(-50, 50), 7) for _ in range(P.p))
        if not any(d):
            continue
        g = _first_piece_gradient(P, x, d)
        if g is None:
            continue
        assert C.contains(g).holds is True, (src, x, d, g)
        reached.add(g)
    for key, dec in C.decisions.items():
        if dec.holds is True and dec.certificate["kind"] == "direction" and \
                any(dec.certificate["direction"]):
            g = _first_piece_gradient(P, x, dec.certificate["direction"])
            if g is not None:
                reached.add(g)
    vertices = {tuple(v) for v in C.vertices}
    assert vertices <= {tuple(sympy.sympify(c) for c in g) for g in reached}
