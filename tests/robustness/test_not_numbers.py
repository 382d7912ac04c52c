"""What is not a real number, or not supported, is refused up front (issue 21, item 10).

A sympy object that is not a real number used to be accepted as a coordinate and end in
``Undecided`` later (``Function("f")(1)``); a decorator in ``selcalc.parse`` used to be
ignored (``@foo def f`` analysed ``f``, not ``foo(f)``).
"""

import pytest
import sympy

import selcalc
from selcalc import InputError, ParseError
from selcalc.points import to_exact

x = sympy.Symbol("x")
P = selcalc.parse("def f(x):\n    return relu(x)")

NOT_NUMBERS = {
    "undefined function": (sympy.Function("f")(1), "undefined function f"),
    "undefined real function": (sympy.Function("g", real=True)(1) + 1, "undefined function g"),
    "symbol": (x, "free symbol(s) x"),
    "symbol expression": (sympy.sqrt(x) + 1, "free symbol(s) x"),
    "complex infinity": (sympy.zoo, "not a finite real number"),
    "nan": (sympy.nan, "not a finite real number"),
    "infinity": (-sympy.oo, "not a finite real number"),
    "imaginary unit": (sympy.I, "not a real number"),
    "complex number": (1 + 2 * sympy.I, "not a real number"),
    "negative square root": (sympy.sqrt(sympy.log(2) - sympy.sin(1)), "not a real number"),
    "interval": (sympy.Interval(0, 1), "is a set (Interval)"),
    "finite set": (sympy.FiniteSet(1), "is a set"),
    "immutable matrix": (sympy.ImmutableMatrix([[1]]), "is a matrix"),
    "matrix": (sympy.Matrix([[1, 2], [3, 4]]), "shape (2, 2)"),
    "true": (sympy.true, "truth value"),
    "relation": (sympy.Eq(x, 1), "truth value"),
    "inequality": (x > 1, "truth value"),
    "integral": (sympy.Integral(x, (x, 0, 1)), "unevaluated operation (Integral)"),
    "sum": (sympy.Sum(1 / x ** 2, (x, 1, sympy.oo)), "unevaluated operation (Sum)"),
    "derivative": (sympy.Derivative(sympy.Function("h")(x), x), "undefined function h"),
    "tuple": (sympy.Tuple(1, 2), "not a number"),
}


@pytest.mark.parametrize("name", list(NOT_NUMBERS))
def test_refused_as_a_number(name):
    value, words = NOT_NUMBERS[name]
    with pytest.raises(InputError) as info:
        to_exact(value)
    assert words in str(info.value), str(info.value)


@pytest.mark.parametrize("name", ["undefined function", "symbol", "interval", "true",
                                  "immutable matrix", "integral"])
def test_refused_as_a_point_coordinate(name):
    value, _ = NOT_NUMBERS[name]
    with pytest.raises(InputError):
        selcalc.clarke(P, (value,))
    with pytest.raises(InputError):
        P(value)


@pytest.mark.parametrize("value,expected", [
    (sympy.sqrt(2), {1}), (sympy.E - 3, {0}), (sympy.atan(1), {1}),
    (sympy.Max(1, sympy.sqrt(3)), {1}), (sympy.CRootOf(x ** 5 - 3 * x + 1, 0), {0}),
    (sympy.Rational(-1, 3), {0}), (sympy.Float(0.5), {1}),
])
def test_real_constants_are_still_numbers(value, expected):
    assert set(selcalc.clarke(P, (value,)).vertices) == {(v,) for v in expected}


@pytest.mark.parametrize("source,line,col", [
    ("@foo\ndef f(x):\n    return x\n", 1, 2),
    ("def g(y):\n    return y\n\n@a.b(1)\n@c\ndef f(x):\n    return g(x)\n", 4, 2),
    ("import functools\n\n\n@functools.cache\ndef f(x):\n    return relu(x)\n", 4, 2),
    ("def f(x):\n    return h(x)\n\n  \n@staticmethod\ndef h(x):\n    return x\n", 5, 2),
])
def test_decorators_are_refused_with_line_and_column(source, line, col):
    with pytest.raises(ParseError) as info:
        selcalc.parse(source)
    err = info.value
    assert (err.line, err.col, err.construct) == (line, col, "decorator")
    assert f"line {line}, column {col}" in str(err) and "decorator" in str(err)


@pytest.mark.parametrize("name", ["undefined function", "symbol", "interval"])
def test_refused_as_a_constant_of_a_traced_function(name):
    value, words = NOT_NUMBERS[name]
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        selcalc.trace(lambda t: selcalc.functions.relu(t - value), 1)
