"""Hostile and degenerate input: every case ends in an answer or a SelcalcError."""

import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

import selcalc
from selcalc import InputError, SelcalcError
from tests.robustness.caps import EXAMPLES

P2 = selcalc.parse("def f(x, y):\n    return relu(x * y)")
P1 = selcalc.parse("def f(x):\n    return relu(x)")


@pytest.mark.parametrize("text", ['__import__("os").getcwd()', "exec(1)", "open('x')",
                                  "lambda: 1", "().__class__", "x", "Integer(2)"])
def test_injection_refused(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as info:
        P1(text)
    assert str(tmp_path) not in str(info.value)


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "oo", "zoo", "1/0", float("nan"),
                                 float("inf"), sympy.nan, sympy.oo, sympy.zoo, complex(1, 2),
                                 "sqrt(-1)", "log(0)", "10**10**10", "1e100000"])
def test_nonfinite_and_huge_refused(bad):
    with pytest.raises(InputError):
        P1(bad)


def test_number_grammar_values():
    from selcalc.points import parse_number
    assert parse_number("1 / 3") == Fraction(1, 3)
    assert parse_number("-2.5e-1") == Fraction(-1, 4)
    assert parse_number("2**-2") == Fraction(1, 4)
    assert sympy.simplify(parse_number("sqrt(2)/2") - sympy.sqrt(2) / 2) == 0


@pytest.mark.parametrize("bad", [(1,), (1, 2, 3), np.array([1.0]), np.array([[1, 2]]),
                                 [[1, 2]], None, {}])
def test_wrong_shapes(bad):
    with pytest.raises(InputError):
        P2(bad)


def test_arrays_accepted():
    assert P2(np.array([1.5, 2])) == 3
    assert P1(np.array(2.0)) == 2 and P1(np.float32(0.5)) == sympy.Rational(1, 2)


def test_floats_are_binary_values_strings_decimals():
    # torch's relu(x - 0.1) at x = 0.1 is a tie: the float 0.1 minus the float 0.1
    f = selcalc.trace(lambda x: selcalc.relu(x - 0.1), 1)
    from selcalc.interpreters.evaluate import evaluate
    assert evaluate(f, 0.1).ties()  # the float argument meets the float constant: a tie
    assert not evaluate(f, "0.1").ties()  # the text "0.1" is 1/10, below the double 0.1
    g = selcalc.trace(lambda x: x - 0.1, 1)
    assert g("0.1") == sympy.Rational(1, 10) - sympy.Rational(Fraction(0.1))
    assert selcalc.decimal(0.1) == Fraction(1, 10)


@pytest.mark.parametrize("src", ["log(relu(x))", "sqrt(x)", "1/relu(x)", "log(abs(x))",
                                 "x / abs(x)", "log(x**2)"])
def test_curves_on_undefined_programs(src):
    P = selcalc.parse("def f(x):\n    return " + src)
    with pytest.raises(selcalc.DomainError):
        selcalc.check_conservative(P, selcalc.segment(-1, 1))
    with pytest.raises(selcalc.DomainError):
        selcalc.check_integration(P, -1, 1)


def test_unknown_field_and_irrational_weight():
    P = selcalc.parse("def f(x):\n    return relu(sqrt(2)*x - 1)")
    with pytest.raises(SelcalcError):
        selcalc.check_conservative(P, selcalc.segment(-1, 1), field="no-such-field")
    assert selcalc.check_conservative(P, selcalc.segment(-1, 1)).holds is True
    # f(1) - f(-1) = sqrt(2) - 1 equals the integral of the derivative
    assert selcalc.check_integration(P, -1, 1).holds is True
    for field in ["no-such-field", "clarke", None, ["ad_outputs"]]:
        # an unknown field used to fall back to the index closure silently
        with pytest.raises(SelcalcError, match="unknown field"):
            selcalc.artificial_critical(P, 0, field=field)


def test_artificial_critical_at_an_irrational_tie():
    # relu(a) - relu(-a) = a with a = sqrt(2) x - 1: f' = sqrt(2), but AD (relu'(0) = 0)
    # returns 0 at x = sqrt(2)/2, the only artificial critical point in [-1, 1]
    P = selcalc.parse("def f(x):\n    return relu(sqrt(2)*x - 1) - relu(1 - sqrt(2)*x)")
    found = selcalc.artificial_critical_points(P, -1, 1)
    assert len(found) == 1 and sympy.simplify(found[0] - sympy.sqrt(2) / 2) == 0
    assert selcalc.artificial_critical(P, "sqrt(2)/2").holds is True
    assert selcalc.check_integration(P, -1, 1).holds is True


def test_three_hundred_nested_calls():
    for fn in ["sin", "tanh", "exp"]:
        with pytest.raises(selcalc.ParseError, match="nest through statements"):
            selcalc.parse("def f(x):\n    return " + f"{fn}(" * 300 + "x" + ")" * 300)
        body = "".join(f"    x = {fn}(x)\n" for _ in range(300))
        assert selcalc.parse(f"def f(x):\n{body}    return x").m == 301
    chain = selcalc.trace(lambda x: [x := selcalc.tanh(x) for _ in range(300)][-1], 1)
    assert chain(0) == 0 and selcalc.grad(chain, 0) == (1,)


def test_one_expression_of_ten_thousand_terms():
    n = 10_000
    P = selcalc.parse("def f(x):\n    return " + " + ".join(f"relu(x - {i})" for i in range(n)))
    assert P(n) == n * (n + 1) // 2 and selcalc.grad(P, "1/2") == (1,)
    before = sys.getrecursionlimit()
    with pytest.raises(selcalc.ParseError, match="split it into statements"):
        selcalc.parse("def f(x):\n    return " + " + ".join(["x"] * 40_000))
    assert sys.getrecursionlimit() == before


def test_deep_chains():
    n = 20000
    pr, ops = {2: (1,)}, {2: "relu"}
    for k in range(3, n + 2):
        pr[k], ops[k] = ((k - 1, 1), "add") if k % 2 else ((k - 1,), "relu")
    P = selcalc.Program.from_paper(1, 1, pr, ops)
    assert P(-1) == -1 and P(1) == n // 2 + 1  # relu(-1) = 0 resets the chain
    assert selcalc.grad(P, 1) == (n // 2 + 1,)
    Q = selcalc.parse("def f(x):\n" + "    x = sin(x)\n" * 300 + "    return relu(x)")
    with pytest.raises(SelcalcError):
        Q("1/3")


_DECIDE = """
import selcalc
from selcalc.decide import open_cone
import random
random.seed(1)
cs = [[tuple(random.randint(-5, 5) for _ in range(3)) for _ in range(4)] for _ in range(20)]
print([open_cone(c).certificate.get("direction") for c in cs])
"""


def _run(seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed),
               PYTHONPATH=os.pathsep.join([os.getcwd()] + sys.path))
    return subprocess.run([sys.executable, "-c", _DECIDE], env=env, capture_output=True,
                          text=True, timeout=120).stdout


def test_z3_certificates_deterministic():
    from selcalc.decide import open_cone
    import random
    random.seed(1)
    cs = [[tuple(random.randint(-5, 5) for _ in range(3)) for _ in range(4)] for _ in range(20)]
    first = [open_cone(c).certificate.get("direction") for c in cs]
    second = [open_cone(c).certificate.get("direction") for c in reversed(cs)][::-1]
    assert first == second
    assert _run(0) == _run(12345) != ""


points = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                   st.fractions(), st.text(max_size=20), st.none(),
                   st.lists(st.integers(-3, 3), max_size=3),
                   st.sampled_from([sympy.pi, sympy.nan, sympy.I, np.int64(3), np.nan,
                                    np.array(1.5), np.array([[1]])]))


@settings(max_examples=EXAMPLES, deadline=None)
@given(points)
def test_points_end_in_answer_or_selcalc_error(x):
    try:
        P1(x)
    except SelcalcError:
        pass


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=5), st.none(),
                          st.lists(st.integers(-2, 2), max_size=3)), max_size=4))
def test_convexset_misuse(points):
    try:
        S = selcalc.ConvexSet(points)
        S.contains((0,) * S.ambient_dim)
    except SelcalcError:
        pass
