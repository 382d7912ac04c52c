"""The engine on degenerate programs (issue 21, items 4, 5, 6, 9): an undefined derivative
is one DomainError everywhere, chains of thousands of nodes run without recursion, counts
past Python's int-str limit print, and exact values stop at a named size bound."""

import sys
import threading
import time
from fractions import Fraction

import pytest

import selcalc
from selcalc import DomainError, PatternBudgetExceeded
from selcalc.errors import SizeLimitExceeded, Undecided, count_str
from selcalc.numbers import MAX_VALUE_BITS
from selcalc.points import long_integers
from selcalc.report import check_report, render_report

# ------------------------------------------------------------------ item 4
UNDEFINED = {  # derivative undefined at 0, the sqrt node's number
    "sqrt": ("def f(x):\n    return sqrt(x)\n", 2),
    "sqrt_relu": ("def f(x):\n    return sqrt(relu(x))\n", 3),
    "sqrt_abs": ("def f(x):\n    return sqrt(abs(x))\n", 3),
}
QUESTIONS = {
    "clarke": lambda P: selcalc.clarke(P, 0),
    "artificial_critical": lambda P: selcalc.artificial_critical(P, 0),
    "clarke_element": lambda P: selcalc.clarke_element(P, 0),
    "directional_derivative": lambda P: selcalc.directional_derivative(P, 0, (1,)),
    "directional_derivatives": lambda P: selcalc.directional_derivatives(P, 0, [(1,), (-1,)]),
    "grad": lambda P: selcalc.grad(P, 0),
    "jacobian_forward": lambda P: selcalc.jacobian(P, 0, mode="forward"),
    "jacobian_backward": lambda P: selcalc.jacobian(P, 0, mode="backward"),
    "ad_outputs": lambda P: selcalc.ad_outputs(P, 0),
    "check_report": lambda P: check_report(P, 0),
}


@pytest.mark.parametrize("question", sorted(QUESTIONS))
@pytest.mark.parametrize("program", sorted(UNDEFINED))
def test_undefined_derivative_is_one_domain_error(program, question):
    source, node = UNDEFINED[program]
    P = selcalc.parse(source)
    with pytest.raises(DomainError) as info:
        QUESTIONS[question](P)
    assert info.value.node == node
    assert f"node {node} (sqrt)" in str(info.value) and "x = (0)" in str(info.value)


@pytest.mark.parametrize("program", sorted(UNDEFINED))
def test_index_closure_has_no_pattern_there(program):
    with pytest.raises(DomainError, match="no pattern"):
        selcalc.index_closure(selcalc.parse(UNDEFINED[program][0]), 0)


# ------------------------------------------------------------------ item 5
def fresh_thread(fn):
    """Run ``fn`` in a new thread (a fresh stack, Python's default recursion limit) and
    return its result or re-raise its exception."""
    assert sys.getrecursionlimit() <= 10_000
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            out["error"] = exc
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def chain(n):
    def f(x):
        for _ in range(n):
            x = selcalc.relu(x + Fraction(1, 3))
        return x
    return selcalc.trace(f)


def relus(n):
    def f(x):
        for _ in range(n):
            x = selcalc.relu(x)
        return x
    return selcalc.trace(f)


@pytest.mark.parametrize("x, expected", [(0, [(1,)]), (Fraction(-1, 3), [(0,), (1,)])])
def test_long_chain_clarke_and_artificial_critical(x, expected):
    P = chain(5000)
    C = fresh_thread(lambda: selcalc.clarke(P, x))
    assert sorted(C.vertices) == expected
    verdict = fresh_thread(lambda: selcalc.artificial_critical(P, x))
    assert verdict.holds is False


def test_long_chain_check_report():
    P = chain(2000)
    report = fresh_thread(lambda: check_report(P, Fraction(-1, 3)))
    assert "Clarke" in render_report(report)


def test_relu_applied_a_thousand_times_at_zero():
    P = relus(1000)
    start = time.perf_counter()
    C = fresh_thread(lambda: selcalc.clarke(P, 0))
    assert sorted(C.vertices) == [(0,), (1,)]  # relu^n = relu: ∂^c relu(0) = [0, 1]
    assert time.perf_counter() - start < 30


# ------------------------------------------------------------------ item 6
@pytest.fixture
def default_int_limit():
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("Python without an int-str limit")
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)
    yield
    sys.set_int_max_str_digits(old)


def test_count_str_against_integer_arithmetic(default_int_limit):
    assert count_str(10 ** 30 - 1) == "9" * 30
    assert count_str(2 ** 15000) == "2^15000"
    for n in [10 ** 30, 3 ** 10000, 7 * 10 ** 5000 + 3, 2 ** 15000 * 3]:
        text = count_str(n)
        with long_integers():
            digits = str(n)
        assert text.endswith(f"x 10^{len(digits) - 1} ({len(digits)} digits)")
        assert text.startswith(f"about {digits[0]}.{digits[1:3]} ")


def test_huge_counts_in_errors(default_int_limit):
    def net(x):
        return sum(selcalc.relu(x) for _ in range(15000))
    P = selcalc.trace(net)
    for question in [selcalc.ad_outputs, selcalc.index_closure, selcalc.artificial_critical]:
        with pytest.raises(PatternBudgetExceeded, match=r"^2\^15000 ") as info:
            question(P, 0)
        assert info.value.count == 2 ** 15000


def test_clarke_of_many_inputs_keeps_its_time_limit():
    """15,000 inputs, each through a relu at 0: the search's dense tangent rows (inputs x
    inputs) took about 20 s before its first cell, past any time limit; the limit is
    checked while they are built."""
    P = selcalc.trace(lambda *xs: sum(selcalc.relu(x) for x in xs), nargs=15000)
    start = time.monotonic()
    with pytest.raises(selcalc.TimeLimitExceeded):
        selcalc.clarke(P, (0,) * 15000, time_limit=0.5)
    assert time.monotonic() - start < 4


def test_huge_counts_in_the_report(default_int_limit):
    P = selcalc.trace(lambda x: sum(selcalc.relu(x) for _ in range(200)))
    assert "2^200 tie pattern(s)" in render_report(check_report(P, 0))


# ------------------------------------------------------------------ item 9
def squares(n):
    def f(y):
        for _ in range(n):
            y = selcalc.relu(y * y)
        return y
    return selcalc.trace(f)


@pytest.mark.parametrize("x", [2, Fraction(1, 3), "1 + sqrt(2)"])
def test_value_past_the_bound_is_refused(x):
    P = squares(40)
    start = time.perf_counter()
    for question in [P, lambda x: selcalc.grad(P, x), lambda x: selcalc.clarke(P, x)]:
        with pytest.raises(SizeLimitExceeded, match="MAX_VALUE_BITS") as info:
            question(x)
        assert isinstance(info.value, Undecided) and info.value.limit == MAX_VALUE_BITS
        assert info.value.bits > MAX_VALUE_BITS and info.value.node is not None
    verdict = selcalc.artificial_critical(P, x)
    assert verdict.holds is None and "MAX_VALUE_BITS" in verdict.reason
    assert time.perf_counter() - start < 30


def test_values_below_the_bound_are_exact():
    P = squares(20)  # 2 ** (2 ** 20): 2^20 + 1 bits, within the bound
    assert P(2) == 2 ** (2 ** 20)
    assert selcalc.grad(P, Fraction(1, 2)) == (Fraction(2 ** 20, 2 ** (2 ** 20 - 1)),)


def test_the_bound_can_be_raised(monkeypatch):
    """The docs say ``selcalc.numbers.MAX_VALUE_BITS = ...`` raises the bound: evaluation
    reads it at each call (not a copy taken at import)."""
    P = squares(21)  # 2 ** (2 ** 21): 2^21 + 1 bits
    monkeypatch.setattr(selcalc.numbers, "MAX_VALUE_BITS", 1 << 20)
    with pytest.raises(SizeLimitExceeded):
        P(2)
    monkeypatch.setattr(selcalc.numbers, "MAX_VALUE_BITS", 1 << 22)
    assert P(2) == 2 ** (2 ** 21)


def test_folded_constants_name_their_bound():
    y = selcalc.relu(2)
    with pytest.raises(selcalc.SelcalcError, match="MAX_POWER_BITS"):
        for _ in range(40):
            y = selcalc.relu(y * y)
