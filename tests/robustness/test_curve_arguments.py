"""Misused curve functions end in a selcalc error saying what was expected and what was
given (issue 21, item 7), never in a TypeError / AttributeError / ZeroDivisionError from
inside, and bogus names (a method, a kind, a field) are refused, not ignored."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

import selcalc
from selcalc import InputError, SelcalcError

P = selcalc.parse("def f(x, y):\n    return relu(x - y)")
P1 = selcalc.parse("def f(t):\n    return relu(t)")
PQ = selcalc.parse("def f(x, y):\n    return relu(x), relu(y)")
S = selcalc.segment((0, 0), (1, 1))
X1 = sympy.Symbol("x")

#: (call, error type, words the message must contain)
CASES = {
    # polynomial_curve / Curve: a list of rational coefficient vectors of one length
    "curve of None": (lambda: selcalc.polynomial_curve(None), InputError, "got None"),
    "curve of scalars": (lambda: selcalc.polynomial_curve([0, 1]), InputError,
                         "coefficient 0 of the curve is 0, not a vector"),
    "curve of nothing": (lambda: selcalc.polynomial_curve([]), InputError,
                         "no coefficient vector"),
    "empty vectors": (lambda: selcalc.polynomial_curve([(), ()]), InputError,
                      "got lengths [0]"),
    "ragged vectors": (lambda: selcalc.polynomial_curve([(0, 1), (1,)]), InputError,
                       "got lengths [1, 2]"),
    "curve of text": (lambda: selcalc.polynomial_curve("0 1"), InputError, "got '0 1'"),
    "curve of a dict": (lambda: selcalc.polynomial_curve({0: (1, 2)}), InputError,
                        "list of coefficient vectors"),
    "non-numeric coefficient": (lambda: selcalc.polynomial_curve([("a", 1)]), InputError,
                                "'a'"),
    "object coefficient": (lambda: selcalc.polynomial_curve([(object(), 1)]), InputError,
                           "object"),
    "irrational coefficient": (lambda: selcalc.polynomial_curve([(sympy.sqrt(2), 1)]),
                               InputError, "irrational entry sqrt(2)"),
    "nan coefficient": (lambda: selcalc.polynomial_curve([(float("nan"), 0)]), InputError,
                        "nan"),
    "nested coefficient": (lambda: selcalc.polynomial_curve([((0, 1), 1)]), InputError,
                           "nested"),
    "2-d array coefficient": (lambda: selcalc.polynomial_curve([np.zeros((2, 2))]),
                              InputError, "shape (2, 2)"),
    # segment
    "segment from None": (lambda: selcalc.segment(None, 1), InputError, "not None"),
    "segment of two lengths": (lambda: selcalc.segment((0, 1), (1,)), InputError,
                               "got 2 and 1"),
    "segment in R^0": (lambda: selcalc.segment((), ()), InputError, "got 0 and 0"),
    "curve at a pair": (lambda: S((0, 1)), InputError, "one number t"),
    "curve at text": (lambda: S.derivative("t"), InputError, "'t'"),
    # breakpoints
    "breakpoints along None": (lambda: selcalc.breakpoints(P, None), InputError,
                               "expects a curve"),
    "breakpoints along a tuple": (lambda: selcalc.breakpoints(P, (0, 1)), InputError,
                                  "got (0, 1) of type tuple"),
    "breakpoints of None": (lambda: selcalc.breakpoints(None, S), InputError,
                            "expects a selcalc program"),
    "breakpoints, wrong dimension": (lambda: selcalc.breakpoints(P, selcalc.segment(0, 1)),
                                     InputError, "R^1 but the program has 2"),
    "breakpoints, bogus method": (lambda: selcalc.breakpoints(P, S, method="bogus"),
                                  InputError, "'auto', 'affine', 'symbolic', got 'bogus'"),
    "affine method, smooth program": (
        lambda: selcalc.breakpoints(selcalc.parse("def f(x, y):\n    return relu(x*y)"), S,
                                    method="affine"), InputError, "piecewise-linear"),
    "negative max_patterns": (lambda: selcalc.breakpoints(P, S, max_patterns=-1), InputError,
                              "max_patterns must be an integer >= 1, got -1"),
    "text max_patterns": (lambda: selcalc.breakpoints(P, S, max_patterns="9"), InputError,
                          "got '9'"),
    "text time_limit": (lambda: selcalc.breakpoints(P, S, time_limit="a"), InputError,
                        "time_limit must be a positive number"),
    "negative time_limit": (lambda: selcalc.breakpoints(P, S, time_limit=-1), InputError,
                            "not -1"),
    "progress not callable": (lambda: selcalc.breakpoints(P, S, progress=3), SelcalcError,
                              "progress must be a callable"),
    # sample_curves
    "sample 'a' curves": (lambda: selcalc.sample_curves(P, "a"), InputError,
                          "n (the number of curves) must be an integer >= 0, got 'a'"),
    "sample -1 curves": (lambda: selcalc.sample_curves(P, -1), InputError, "got -1"),
    "sample 2.5 curves": (lambda: selcalc.sample_curves(P, 2.5), InputError, "got 2.5"),
    "no kinds": (lambda: selcalc.sample_curves(P, 3, kinds=()), InputError,
                 "non-empty sequence of curve kinds"),
    "bogus kind": (lambda: selcalc.sample_curves(P, 3, kinds=("bogus",)), InputError,
                   "got 'bogus'"),
    "kinds None": (lambda: selcalc.sample_curves(P, 3, kinds=None), InputError,
                   "non-empty sequence"),
    "seed None": (lambda: selcalc.sample_curves(P, 3, seed=None), InputError,
                  "seed must be an integer, got None"),
    "sample of a non-program": (lambda: selcalc.sample_curves("def f(x): return x", 1),
                                InputError, "expects a selcalc program"),
    # check_conservative
    "conservative along None": (lambda: selcalc.check_conservative(P, None), InputError,
                                "expects a curve"),
    "conservative, wrong dimension": (
        lambda: selcalc.check_conservative(P, selcalc.segment((0, 0, 0), (1, 1, 1))),
        InputError, "R^3 but the program has 2"),
    "conservative, bogus field": (lambda: selcalc.check_conservative(P, S, "bogus"),
                                  InputError, "unknown field 'bogus'"),
    "conservative, two outputs": (lambda: selcalc.check_conservative(PQ, S), InputError,
                                  "2 outputs"),
    "conservative, zero time_limit": (lambda: selcalc.check_conservative(P, S, time_limit=0),
                                      InputError, "not 0"),
    "conservative, max_patterns 0": (lambda: selcalc.check_conservative(P, S, max_patterns=0),
                                     InputError, "got 0"),
    # user fields
    "field of numbers": (lambda: selcalc.Field([(1, 2)]), InputError,
                         "conditions must be a list of sympy relations"),
    "field vectors a number": (lambda: selcalc.Field([([X1 > 0], 3)]), InputError,
                               "vectors must be a list of vectors"),
    "field vector too short": (
        lambda: selcalc.check_conservative(P, S, selcalc.Field([([X1 > 0], [(0,)])])),
        InputError, "has 1 coordinate(s) but the program has 2"),
    "field of other inputs": (
        lambda: selcalc.check_conservative(P, S, selcalc.Field([([], "gradient")],
                                                               symbols=["x"])),
        InputError, "names 1 input(s) (x) but the program has 2"),
    # integration and critical points
    "integration of None": (lambda: selcalc.check_integration(None, (0, 0), (1, 1)),
                            InputError, "expects a selcalc program"),
    "integration, short point": (lambda: selcalc.check_integration(P, (0,), (1, 1)),
                                 InputError, "2 input(s) but the point has 1"),
    "integration, bogus convention": (
        lambda: selcalc.check_integration(P, (0, 0), (1, 1), "bogus"), SelcalcError,
        "unknown convention 'bogus'"),
    "integration, two outputs": (lambda: selcalc.integrate_along(PQ, (0, 0), (1, 1)),
                                 InputError, "scalar programs"),
    "integrate from None": (lambda: selcalc.integrate_along(P, None, (1, 1)), InputError,
                            "not None"),
    "critical points, two inputs": (lambda: selcalc.artificial_critical_points(P, 0, 1),
                                    InputError, "1 input(s); this one has 2"),
    "critical points from None": (lambda: selcalc.artificial_critical_points(P1, None, 1),
                                  InputError, "None"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_misuse_is_refused_with_a_message(name):
    call, error, words = CASES[name]
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value), str(info.value)


def test_accepted_forms_are_exact():
    # floats are their exact binary value (docs/numbers.md), text its decimal
    c = selcalc.polynomial_curve([(0.1, "0.1"), (1, Fraction(1, 3))])
    assert c.coeffs == [(Fraction(0.1), Fraction(1, 10)), (1, Fraction(1, 3))]
    assert selcalc.polynomial_curve(np.array([[0, 1], [1, 0]])).coeffs == [(0, 1), (1, 0)]
    assert selcalc.polynomial_curve((v for v in [(1,), (2,)])).coeffs == [(1,), (2,)]
    assert selcalc.segment(0, "1/2").coeffs == [(0,), (Fraction(1, 2),)]
    # one kind given as a string, numpy integers as counts
    curves = selcalc.sample_curves(P, np.int64(2), kinds="random")
    assert [c.kind for c in curves] == ["segment", "segment"]
    assert selcalc.breakpoints(P, S, max_patterns=np.int64(8)).points == ()
