"""The paper's Figure 1 (top) and the zero / identity / c*zero examples, exactly."""

from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc.examples import FIGURE1

SOURCE = FIGURE1


def prog(name):
    return selcalc.parse(SOURCE, name)


@pytest.mark.parametrize("name, expected", [
    ("relu2", 1), ("relu3", Fraction(1, 2)), ("zero", 1), ("identity", 0)])
@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_tensorflow_derivatives_at_zero(name, expected, mode):
    assert selcalc.grad(prog(name), 0, convention="tensorflow", mode=mode) == (expected,)


def test_relu_itself():
    relu = selcalc.parse("def relu1(t):\n    return relu(t)")
    assert selcalc.grad(relu, 0, convention="tensorflow") == (0,)


@pytest.mark.parametrize("name", ["relu2", "relu3", "zero", "identity"])
def test_functions_are_what_they_claim(name):
    expected = {"relu2": lambda t: max(t, 0), "relu3": lambda t: max(t, 0),
                "zero": lambda t: 0, "identity": lambda t: t}[name]
    for t in [Fraction(-3, 2), 0, Fraction(1, 3), 5]:
        assert prog(name)(t) == expected(t)


@pytest.mark.parametrize("c", [0, 3, Fraction(-7, 3), "2/9", sympy.sqrt(2), sympy.pi])
def test_c_times_zero_has_derivative_c(c):
    src = SOURCE + "\ndef czero(t):\n    return zero(t)\n"
    zero = selcalc.parse(src, "czero")
    P = selcalc.trace(lambda t: c * (selcalc.relu(-t) + t - selcalc.relu(t)))
    assert P(0) == 0 and P(1) == 0
    assert selcalc.grad(P, 0) == (sympy.sympify(c),)
    assert selcalc.grad(zero, 0) == (1,)


def zero_traced(t):
    return selcalc.relu(-t) + t - selcalc.relu(t)


def test_parsed_c_times_zero_with_exact_literal():
    P = selcalc.parse(SOURCE + "\ndef cz(t):\n    return 0.1 * zero(t)\n", "cz")
    assert selcalc.grad(P, 0) == (sympy.Rational(1, 10),)
