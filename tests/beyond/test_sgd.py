"""SGD with selection derivatives and the exact set of bad step sizes (Theorem 4).

Oracles: a plain ``Fraction`` re-implementation of SGD on a small ReLU network with the
gradient written by hand; the iterates of ``|w|`` and of the identity-through-relus loss in
closed form; the bad step sizes checked by running exact SGD at sampled rationals between
consecutive bad values (no tie) and at the rational bad values themselves (a tie).
"""

from fractions import Fraction as Fr

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import PatternBudgetExceeded, SelcalcError
from selcalc.beyond import _algebraic as alg

ABS = selcalc.parse("def f(w):\n    return abs(w)")
# (w - 1)^2 / 2 with the identity written relu(w) - relu(-w): AD gives 0 at w = 0
FAKE = selcalc.parse("def f(w):\n    return (relu(w) - relu(-w) - 1) ** 2 / 2")


def test_abs_example_from_the_issue():
    bad = selcalc.bad_step_sizes(ABS, 1, None, 3, (0, 2))
    assert bad.values == (Fr(1, 3), Fr(1, 2), 1) and bad.finite and not bad.x0_on_tie
    for alpha in bad.values:
        assert any(k > 0 for k in selcalc.sgd(ABS, 1, alpha, 3).tie_steps)
    samples = bad.samples()
    assert len(samples) == 4
    for alpha in samples:
        assert selcalc.sgd(ABS, 1, alpha, 3).tie_steps == []


def test_abs_iterates_in_closed_form():
    # w_k = 1 - k alpha while positive, then it bounces between 1 - j alpha and its step
    run = selcalc.sgd(ABS, 1, Fr(2, 7), 5)
    assert [x[0] for x in run.iterates] == [1, Fr(5, 7), Fr(3, 7), Fr(1, 7), Fr(-1, 7),
                                           Fr(1, 7)]


def _plain_sgd(w, data, alpha, batches):
    """SGD on loss_i = |v·relu(a x_i + b) + c - y_i| with relu'(0) = 0 and abs'(0) = -1
    (the lowest piece, as the selection convention), in Fractions."""
    out = [tuple(w)]
    for batch in batches:
        a, b, v, c = w[0:2], w[2:4], w[4:6], w[6]
        g = [Fr(0)] * 7
        for i in batch:
            x, y = data[i]
            pre = [a[j] * x + b[j] for j in range(2)]
            h = [max(p, 0) for p in pre]
            r = sum(v[j] * h[j] for j in range(2)) + c - y
            s = 1 if r > 0 else -1
            for j in range(2):
                dh = 1 if pre[j] > 0 else 0
                g[j] += s * v[j] * dh * x
                g[2 + j] += s * v[j] * dh
                g[4 + j] += s * h[j]
            g[6] += s
        w = [wi - alpha * gi / len(batch) for wi, gi in zip(w, g)]
        out.append(tuple(w))
    return out


NET = [selcalc.parse(
    f"def loss(a1, a2, b1, b2, v1, v2, c):\n"
    f"    h1 = relu(a1 * ({x}) + b1)\n"
    f"    h2 = relu(a2 * ({x}) + b2)\n"
    f"    return abs(v1 * h1 + v2 * h2 + c - ({y}))\n") for x, y in ((1, 2), (-2, 1), (3, 0))]
DATA = [(1, 2), (-2, 1), (3, 0)]

small = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@settings(max_examples=25, deadline=None)
@given(st.lists(small, min_size=7, max_size=7),
       st.fractions(min_value=Fr(1, 20), max_value=1, max_denominator=20),
       st.lists(st.lists(st.integers(0, 2), min_size=1, max_size=3), min_size=1,
                max_size=4))
def test_iterates_equal_a_fraction_reimplementation(w0, alpha, batches):
    run = selcalc.sgd(NET, w0, alpha, batches)
    expected = _plain_sgd(list(w0), DATA, alpha, batches)
    assert [tuple(Fr(str(v)) for v in x) for x in run.iterates] == expected


def test_sgd_reports_ties_and_patterns():
    run = selcalc.sgd(FAKE, 3, Fr(3, 2), 3)
    assert [x[0] for x in run.iterates] == [3, 0, 0, 0]
    step = run.steps[1]
    assert step.on_tie and step.ties == {0: {2: (0, 1), 4: (0, 1)}}
    assert step.pattern == {0: {2: 0, 4: 0}} and step.mattered is True
    assert step.direction == (0,)
    assert selcalc.artificial_critical(FAKE, 0).holds is True


def test_fake_critical_point_bad_steps_are_algebraic():
    bad = selcalc.bad_step_sizes(FAKE, 3, None, 3, (0, 2))
    # w_k = 1 + 2 (1 - alpha)^k = 0  iff  (1 - alpha)^k = -1/2: alpha = 3/2 and 1 + 2^(-1/3)
    assert len(bad) == 2 and bad.values[0] == Fr(3, 2)
    assert sympy.simplify(bad.values[1] - (1 + sympy.Rational(1, 2) ** sympy.Rational(1, 3))) \
        == 0
    for alpha in bad.samples():
        assert selcalc.sgd(FAKE, 3, alpha, 3).tie_steps == []


@settings(max_examples=8, deadline=None)
@given(st.lists(small, min_size=7, max_size=7), st.integers(1, 3))
def test_no_tie_between_bad_step_sizes(w0, steps):
    bad = selcalc.bad_step_sizes(NET, w0, None, steps, (0, 1))
    for alpha in bad.samples():
        inside = any(lo < alpha < hi for lo, hi in bad.intervals)  # a tie that persists
        ties = [k for k in selcalc.sgd(NET, w0, alpha, steps).tie_steps if k > 0]
        assert bool(ties) == inside, (alpha, ties, bad.intervals)
    for r, value in zip(bad.roots, bad.values):
        if isinstance(r, Fr):
            assert any(k > 0 for k in selcalc.sgd(NET, w0, r, steps).tie_steps)
        else:  # the exact number sympy builds is the isolated root
            assert r.lo < sympy.N(value, 50) < r.hi


def test_minibatches_and_terms_outside_the_batch():
    # the step only uses term 0, but x_1 = 1/2 is a kink of term 1
    f0 = selcalc.parse("def f(w):\n    return w * w / 2")
    f1 = selcalc.parse("def g(w):\n    return abs(w - 1/4)")
    bad = selcalc.bad_step_sizes([f0, f1], 1, [[0]], 1, (0, 1))
    assert bad.values == (Fr(3, 4),)  # 1 - alpha = 1/4


def test_persistent_tie_is_reported_not_hidden():
    f = selcalc.parse("def f(u, v):\n    return relu(v) + (u - 1) ** 2")
    bad = selcalc.bad_step_sizes(f, (0, 0), None, 2, (0, 1))
    assert not bad.finite and bad.intervals == ((0, 1),) and bad.x0_on_tie


def test_budget_and_errors():
    sq = selcalc.parse("def f(a, v):\n    return (v * relu(a) - 1) ** 2")
    with pytest.raises(PatternBudgetExceeded, match="max_degree"):
        selcalc.bad_step_sizes(sq, (1, 2), None, 4, (0, 1), max_degree=5)
    with pytest.raises(SelcalcError, match="polynomial"):
        selcalc.bad_step_sizes(selcalc.parse("def f(w):\n    return exp(w)"), 0, None, 1,
                               (0, 1))
    with pytest.raises(SelcalcError, match="lo < hi"):
        selcalc.bad_step_sizes(ABS, 1, None, 1, (1, 0))
    with pytest.raises(SelcalcError, match="batch"):
        selcalc.sgd(ABS, 1, 1, [[3]])


def test_algebraic_numbers_compare_exactly():
    from flint import fmpq_poly
    two = fmpq_poly([-2, 0, 1])
    r3 = alg.roots_in(fmpq_poly([-3, 0, 1]), 0, None)[0]
    r2 = alg.roots_in(two, 0, None)[0]
    assert alg.compare(r2, r3) < 0 and alg.compare(r2, Fr(141, 100)) > 0
    assert alg.poly_sign_at_root(two * fmpq_poly([1, 1]), r2) == 0
    assert alg.poly_sign_at_root(fmpq_poly([-3, 0, 1]), r2) < 0
    assert Fr(141, 100) < alg.between(r2, r3) < Fr(174, 100)


def test_bad_step_sizes_behave_as_a_finite_set():
    """Iterable, sortable, with exact membership (a float is its binary value)."""
    bad = selcalc.bad_step_sizes(ABS, 1, None, 3, (0, 2))
    assert list(bad) == list(bad.values) and len(list(bad)) == len(bad) == 3
    assert sorted(bad, reverse=True) == [1, Fr(1, 2), Fr(1, 3)]
    assert Fr(1, 3) in bad and 0.5 in bad and 1 in bad
    assert Fr(1, 4) not in bad and 0.1 not in bad and 2 not in bad
    assert "sqrt(2)" not in bad
    fake = selcalc.bad_step_sizes(FAKE, 3, None, 3, (0, 2))  # an algebraic bad value
    assert all(v in fake for v in fake) and Fr(3, 2) in fake and Fr(5, 4) not in fake
