"""Exactness of the engine: tests that vanish identically, certified comparisons of exact
reals, and Clarke answers that the bounds already decide.

Every expected value is derived by hand from the definitions (the Clarke subgradient as
the hull of limiting gradients; a test identically zero near x imposes no condition) and
cross-checked by exact gradients at points ``x + 2^-160 d`` on both sides of the kinks.
"""

from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc.certificates import check_decision, check_membership, check_vanishing
from selcalc.decide import one_sided, vanishes_near
from selcalc.fields import essential_patterns
from selcalc.numbers import compare, is_zero, settle, sign
from tests.test_fields import S, checked_clarke

TINY = Fraction(1, 2 ** 160)
E = sympy.E
EPS = sympy.Rational(1, 10 ** 40)




def limiting_gradients(P, x, directions):
    """Exact gradients at ``x + 2^-160 d``: each is a limit of gradients, so in Clarke."""
    return {selcalc.grad(P, tuple(a + TINY * b for a, b in zip(x, d))) for d in directions}


def near_one_of(g, targets, close=sympy.Rational(1, 2 ** 100)):
    """``g`` is within ``close`` of one of the ``targets`` in every coordinate."""
    return any(all(compare(abs(sympy.sympify(a) - b), close) < 0 for a, b in zip(g, v))
               for v in targets)


# |x| written with a rational identity: t = (g*g + g)/(g + 1) - g is 0 for every x
ABS_RATIONAL = """
def f(x):
    g = relu(x)
    t = (g*g + g)/(g + 1) - g
    return relu(t) + 2*g - x
"""
# |x| written with an exp-log constant that is exactly 0
ABS_LOGCONST = """
def f(x):
    c = log(2) + log(3) - log(6)
    return 2*relu(x) - x + relu(c*relu(x))
"""
# |x| written with log(exp(g)) - g, zero for every real g
ABS_LOGEXP = """
def f(x):
    g = relu(x)
    t = log(exp(g)) - g
    return relu(t) + 2*g - x
"""


@pytest.mark.parametrize("src", [ABS_RATIONAL, ABS_LOGCONST, ABS_LOGEXP])
def test_vanishing_test_imposes_nothing_in_one_dimension(src):
    P = selcalc.parse(src)
    # f = |x|: gradients -1 left of 0, +1 right of 0; Clarke = [-1, 1]
    assert limiting_gradients(P, (0,), [(-1,), (1,)]) == {(-1,), (1,)}
    assert checked_clarke(P, 0) == S((-1,), (1,))
    assert selcalc.artificial_critical(P, 0).holds is False


def _two_d(zero_of_g):
    # f(x, y) = |x| + relu(y) with a disguised zero: Clarke = [-1, 1] x [0, 1]
    return selcalc.parse(f"""
def f(x, y):
    g = relu(x)
    t = {zero_of_g}
    return relu(t) + 2*g - x + relu(y)
""")


@pytest.mark.parametrize("zero", ["(g*g + g)/(g + 1) - g", "(log(2) + log(3) - log(6))*g",
                                  "log(exp(g)) - g"])
def test_vanishing_test_imposes_nothing_in_two_dimensions(zero):
    P = _two_d(zero)
    box = S((-1, 0), (-1, 1), (1, 0), (1, 1))
    corners = [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    assert limiting_gradients(P, (0, 0), corners) == {(-1, 0), (-1, 1), (1, 0), (1, 1)}
    assert checked_clarke(P, (0, 0)) == box


@pytest.mark.parametrize("zero", ["relu((log(2) + log(3) - log(6))*relu(x))",
                                  "relu((x*x + x*y)/(x + y + 1) - x*(x + y)/(1 + x + y))"])
def test_readme_example_with_a_disguised_zero_is_still_decided(zero):
    P = selcalc.parse(f"def f(x, y):\n    return relu(x - y) + max(x, y) + {zero}")
    # the added term is the zero function: the README's answer conv{(0, 1), (2, -1)}
    assert checked_clarke(P, (0, 0)) == S((0, 1), (2, -1))


def test_zero_gradient_alone_is_not_vanishing():
    # t = x**2 has a zero gradient at 0 but is not 0: relu(x**2 - 0) is x**2, Clarke {0};
    # the equality test of `0 if x*x == 0 else x*x` is flat at 0 yet not identically 0
    P = selcalc.parse("def f(x):\n    return 0 if x*x == 0 else x + x*x")
    # f = x + x**2 off 0 (and f(0) = 0 matches): Clarke = {1}
    assert checked_clarke(P, 0) == S((1,))


def test_vanishes_near_decisions_and_certificates():
    x, y = sympy.symbols("x y")
    cases = [((x*x + x)/(x + 1) - x, True), ((sympy.log(2) + sympy.log(3) -
                                             sympy.log(6)) * x * y, True),
             (sympy.log(sympy.exp(x + y)) - x - y, True), (x * y, False),
             (sympy.exp(x * y) - 1 - x * y, False), (sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1,
                                                      True)]
    for expr, expected in cases:
        dec = vanishes_near(expr, [x, y], [0, 0])
        assert dec.holds is expected, expr
        assert check_vanishing(dec.certificate)


def test_flat_exp_log_test_beyond_the_taylor_order_is_unknown_not_zero():
    # exp(x**7) - 1 is not 0, but its first nonzero Taylor coefficient has order 7: past
    # the orders tried, and no symbolic proof exists -> unknown, never "vanishes"
    x = sympy.Symbol("x")
    dec = vanishes_near(sympy.exp(x ** 7) - 1, [x], [0])
    assert dec.holds is None and dec.certificate["reason"]
    # abs(relu(h)) = relu(h) with h = x**7 + ...: Clarke {0}; the relu feeds the abs, so
    # both relu patterns stay undecided, but they share the gradient 0: still exact
    P = selcalc.parse("def f(x):\n    return abs(relu(exp(x**7) - 1))")
    C = checked_clarke(P, 0)
    assert C == S((0,)) and len(C.undecided) == 2


# ---------------------------------------------------------------- certified comparisons
def test_compare_and_is_zero():
    assert compare(E + EPS, E) == 1 and compare(E, E + EPS) == -1
    assert compare(sympy.log(6), sympy.log(2) + sympy.log(3)) == 0
    assert compare(Fraction(1, 3), sympy.Rational(1, 3)) == 0
    assert is_zero(sympy.log(2) + sympy.log(3) - sympy.log(6)) is True
    assert is_zero(sympy.pi - sympy.Rational(355, 113)) is False
    assert settle(sympy.log(6) - sympy.log(2) - sympy.log(3) + 2) == 2
    assert settle(E) == E
    # 30-digit floats cannot separate these; the certified sign can
    assert sign(sympy.exp(sympy.pi * sympy.sqrt(163)) - 262537412640768744) == -1


def test_irrational_endpoints_are_ordered_exactly():
    P = selcalc.parse("def f(x):\n    return max((exp(1) + 1/10**40)*x, exp(1)*x)")
    C = checked_clarke(P, 0)
    lo, hi = C.interval
    assert compare(lo, E) == 0 and compare(hi, E + EPS) == 0
    for v, inside in [((2 * E + EPS) / 2, True), (E + 2 * EPS, False), (E - EPS, False),
                      (E + EPS / 10 ** 30, True)]:
        verdict = C.contains((v,))
        assert verdict.holds is inside and check_membership(C, (v,), verdict)


def test_ad_outputs_keeps_the_largest_irrational_point():
    P = selcalc.parse("def f(x):\n    return max(exp(1)*x, (exp(1) + 1/10**40)*x, -x)")
    A = selcalc.ad_outputs(P, 0)
    lo, hi = A.interval
    assert lo == -1 and compare(hi, E + EPS) == 0
    assert len(A.vertices) == 2
    assert A.contains((E + EPS / 2,)).holds is True


def test_equal_irrational_points_are_one_vertex_and_sets_compare_exactly():
    z = sympy.log(6) - sympy.log(2) - sympy.log(3)  # 0, not syntactically
    A = selcalc.ConvexSet([(E,), (E + z,)])
    assert len(A.vertices) == 1 and A.dim == 0 and str(A) == "{E}"
    assert selcalc.ConvexSet([(E,), (1,)]) == selcalc.ConvexSet([(1,), (E + z,)])
    assert selcalc.ConvexSet([(E,), (1,)]) != selcalc.ConvexSet([(1,), (E + EPS,)])


# ---------------------------------------------------------------- bounds that decide
def test_clarke_when_inner_and_outer_bounds_coincide():
    P = selcalc.parse("def f(x, y):\n    return relu(exp(x*y) - 1) + relu(x)")
    # near (0, 1), exp(x*y) - 1 has the sign of x: f = 2*relu(x); Clarke = [0, 2] x {0}
    for g in limiting_gradients(P, (0, 1), [(-1, 0), (1, 0), (1, 1), (-1, -1)]):
        assert near_one_of(g, [(0, 0), (2, 0)])
    C = checked_clarke(P, (0, 1))
    assert C == S((0, 0), (2, 0))


def test_clarke_when_the_outer_bound_is_one_point():
    # relu(h) with h(0) = 0, grad h(0) = 0: strictly differentiable at 0, Clarke {0}
    # (abs of it is itself; the relu feeds the abs, so its patterns are examined)
    P = selcalc.parse("def f(x, y):\n    return abs(relu(exp(x) - 1 - x - y**2))")
    C = checked_clarke(P, (0, 0))
    assert C == S((0, 0))
    assert C.undecided and C.settled  # decided by the bounds, not by every pattern
    one = selcalc.parse("def f(x):\n    return relu(exp(x) - 1 - x)")
    assert checked_clarke(one, 0) == S((0,))


def test_one_sided_taylor_decision():
    t = sympy.Symbol("t")
    # x**3 - x**4 ... : sign of x on both sides -> right side works for s = +1
    d = one_sided([(t ** 3 + t ** 4, 1)], [t], [0])
    assert d.holds is True and d.certificate["side"] == 1 and check_decision(d)
    # t**2 >= 0 on both sides, -t**2 > 0 nowhere
    assert one_sided([(t ** 2, -1)], [t], [0]).holds is False
    both = one_sided([(t ** 3, 1), (-t, 1)], [t], [0])
    assert both.holds is False and check_decision(both)


# ---------------------------------------------------------------- determinism
def test_clarke_certificates_are_the_same_on_every_call():
    src = "def f(x, y):\n    return min(relu(y - x**2), relu(-y)) + relu(x - y) + max(x, y)"
    runs = []
    for _ in range(2):
        C = selcalc.clarke(selcalc.parse(src), (0, 0))
        runs.append((str(C), [(k, d.holds, repr(sorted(d.certificate.items(), key=str)))
                              for k, d in C.decisions.items()]))
    assert runs[0] == runs[1]


def test_clarke_certificates_do_not_depend_on_the_hash_seed():
    import os
    import subprocess
    import sys
    script = (
        "import selcalc\n"
        "src = 'def f(x, y):\\n    c = log(2) + log(3) - log(6)\\n"
        "    return relu(x - y) + max(x, y) + relu(c*relu(x)) + min(relu(y - x**2), relu(-y))'\n"
        "C = selcalc.clarke(selcalc.parse(src), (0, 0))\n"
        "print(C)\n"
        "for k, d in C.decisions.items():\n"
        "    print(k, d.holds, sorted((a, str(b)) for a, b in d.certificate.items()))\n")
    outs = set()
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, timeout=300, check=True)
        outs.add(done.stdout)
    assert len(outs) == 1 and "conv{(0, 1), (2, -1)}" in outs.pop()


def test_terminal_tie_with_one_first_order_behaviour_is_merged():
    # relu(h) with h flat at 0 feeds no other kink: its two pieces have the same gradient
    # (0) there and cover a neighbourhood, so its test is dropped.  f = |x| + relu(y) +
    # relu(exp(x) - 1 - x - y**2) has Clarke [-1, 1] x [0, 1] at 0 (the last term is C^1
    # with gradient 0 there); without the merge every pattern needs an exp-log decision
    P = selcalc.parse("def f(x, y):\n    return abs(x) + relu(y) + relu(exp(x) - 1 - x - y**2)")
    C = checked_clarke(P, (0, 0))
    assert C == S((-1, 0), (-1, 1), (1, 0), (1, 1)) and not C.undecided
    assert any(v["kind"] == "merged" for d in C.decisions.values()
               for v in d.certificate.get("vanishing", ()))
    # relu(x*y) + |x|: relu(x*y) is strictly differentiable at 0 with gradient 0
    Q = selcalc.parse("def f(x, y):\n    return relu(x*y) + abs(x)")
    assert checked_clarke(Q, (0, 0)) == S((-1, 0), (1, 0))
    for g in limiting_gradients(Q, (0, 0), [(1, 1), (-1, 1), (1, -1), (-1, -1)]):
        assert near_one_of(g, [(-1, 0), (1, 0)])


def test_affine_tests_refute_exactly_inside_a_smooth_program():
    # f = x + g(x, y), g = min(relu(exp(y) - 1 - x**2 - y), relu(-y)) is 0 to first order
    # at 0 (relu(-y) beats the second-order relu on y < 0), so Clarke f(0) = {(1, 0)},
    # while AD can return 0 there: an artificial critical point.  The patterns of the
    # identity part with contradictory affine tests (x <= 0 and x >= 0) are refuted
    # exactly although the program is not piecewise linear.
    P = selcalc.parse("def f(x, y):\n    return x - (relu(-x) + x - relu(x)) + "
                      "min(relu(exp(y) - 1 - x**2 - y), relu(-y))")
    bounds = selcalc.clarke(P, (0, 0), allow_unknown=True)
    outer = bounds.outer if isinstance(bounds, selcalc.ClarkeBounds) else bounds
    assert outer.contains((1, 0)).holds is True and outer.contains_zero().holds is False
    v = selcalc.artificial_critical(P, (0, 0))
    assert v.holds is True
    assert all(sum(a * b for a, b in zip(v.certificate["w"], u)) > 0
               for u in v.certificate["clarke"].vertices)
    _, results = essential_patterns(P, (0, 0))
    refuted = [d for _, d in results if d.holds is False and "affine_tests" in d.certificate]
    assert refuted and all(check_decision(d) for d in refuted)


# ---------------------------------------------------------------- numbers computed in trace
def test_traced_python_if_on_a_disguised_zero_takes_the_right_branch():
    # sympy's == on log(2) + log(3) - log(6) and 0 compares expressions and says False
    c = selcalc.log(2) + selcalc.log(3) - selcalc.log(6)
    assert (sympy.log(2) + sympy.log(3) - sympy.log(6) == 0) is False
    assert c == 0 and not c and 0 == c and not (c != 0)
    P = selcalc.trace(lambda x: x if c == 0 else -x)
    assert P(3) == 3 and selcalc.grad(P, 0) == (1,)
    # irrationals ordered by certified signs, not floats
    e = selcalc.exp(1)
    assert e + Fraction(1, 10**40) > e and not (e + Fraction(1, 10**40) <= e)
    assert selcalc.max(e, e + Fraction(1, 10**40)) == e + Fraction(1, 10**40)
    assert selcalc.sqrt(2) ** 2 == 2 and selcalc.sqrt(8) == 2 * selcalc.sqrt(2)


def test_real_undecided_comparison_raises_instead_of_guessing():
    flat = selcalc.exp(Fraction(1, 10**600)) - 1 - Fraction(1, 10**600)  # > 0, ~1e-1200
    try:
        answer = flat > 0
    except selcalc.Undecided:
        answer = "unknown"
    assert answer in (True, "unknown")


def test_real_arithmetic_agrees_with_fractions():
    from hypothesis import given, settings, strategies as st
    fr = st.fractions(max_denominator=50).filter(lambda q: abs(q) < 100)

    @settings(max_examples=60, deadline=None)
    @given(fr, fr)
    def check(a, b):
        A, B = selcalc.relu(a) - selcalc.relu(-a), selcalc.abs(b) * (1 if b >= 0 else -1)
        assert (A == B) == (a == b) and (A < B) == (a < b) and (A >= b) == (a >= b)
        assert A + B == a + b and A * B == a * b and A - b == a - b
        assert hash(A) == hash(a)
        if b:
            assert A / B == a / b
    check()


def test_real_limits_and_types():
    with pytest.raises(selcalc.SelcalcError):
        selcalc.relu(2) ** (10**10)
    with pytest.raises(selcalc.SelcalcError):
        selcalc.relu(1) / 0
    with pytest.raises(TypeError):
        hash(selcalc.exp(1))
    x = sympy.Symbol("x")
    assert (selcalc.exp(1) == x) is False  # not a number: not equal, no exception
    from selcalc.numbers import exact
    assert exact(selcalc.sqrt(2)) == sympy.sqrt(2)
    assert selcalc.parse("def f(x):\n    return x\n", "f")(selcalc.sqrt(4)) == 2
