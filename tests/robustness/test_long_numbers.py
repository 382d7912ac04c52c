"""Numbers past Python's int-str limit of 4300 digits: read exactly, printed whole, and
huge exponents refused fast (never a float, never a raw ValueError)."""

import sys
import time
from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc import InputError, ParseError
from selcalc.points import MAX_EXPONENT, MAX_TEXT, exact_str, long_integers, read_decimal
from selcalc.report import check_report, render_report

#: 10**5000 + 1, written without converting a 5001-digit string
BIG = 10 ** 5000 + 1
BIG_TEXT = "1" + "0" * 4999 + "1"


@pytest.fixture(autouse=True)
def default_limit():
    """Run every test under Python's default limit, whatever the environment says."""
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("Python without an int-str limit")
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(4300)
    yield
    assert sys.get_int_max_str_digits() == 4300  # every printer restored the limit
    sys.set_int_max_str_digits(old)


def test_read_decimal_against_integer_arithmetic():
    assert read_decimal(BIG_TEXT) == BIG
    assert read_decimal("0." + "0" * 4999 + "1") == Fraction(1, 10 ** 5000)
    assert read_decimal("1_0.2_5e-1_0") == Fraction(1025, 10 ** 12)
    assert read_decimal(".5") == Fraction(1, 2) and read_decimal("7.") == 7
    assert read_decimal("3e" + "0" * 30 + "2") == 300  # leading zeros of the exponent
    for bad in ["", ".", "e5", "1e", "0x10", "1.2.3", "1e5.0"]:
        with pytest.raises(InputError):
            read_decimal(bad)


def test_long_float_literal_in_source_is_exact():
    digits = "0" * 4999 + "1"
    P = selcalc.parse(f"def f(x):\n    return x * 0.1{digits}\n")
    assert P(1) == Fraction(10 ** 5000 + 1, 10 ** 5001)  # not the binary float 0.1
    assert selcalc.grad(P, 0) == (Fraction(10 ** 5000 + 1, 10 ** 5001),)


def test_long_integer_literal_in_source_is_exact():
    P = selcalc.parse(f"def f(x):\n    return relu(x) * {BIG_TEXT}\n")
    assert P(2) == 2 * BIG


def test_source_literal_limits_refused_with_position():
    start = time.perf_counter()
    with pytest.raises(ParseError) as info:
        selcalc.parse("def f(x):\n    return x * 1e99999999\n")
    assert time.perf_counter() - start < 5
    assert (info.value.line, info.value.col) == (2, 16)
    assert "MAX_EXPONENT" in str(info.value) and str(MAX_EXPONENT) in str(info.value)
    long_literal = "1" * (MAX_TEXT + 1)
    for text in [long_literal, long_literal + ".0"]:
        with pytest.raises(ParseError) as info:
            selcalc.parse(f"def f(x):\n    return x * {text}\n")
        assert info.value.line == 2 and "MAX_TEXT" in str(info.value)


@pytest.mark.parametrize("text", ["1e99999999", "1e-99999999", "1e" + "9" * 5000])
def test_point_exponent_refused_fast(text):
    P = selcalc.parse("def f(x):\n    return x\n")
    start = time.perf_counter()
    with pytest.raises(InputError, match="MAX_EXPONENT"):
        P(text)
    assert time.perf_counter() - start < 5


def test_long_points_are_exact():
    P = selcalc.parse("def f(x):\n    return relu(x)\n")
    assert P("1" * 5000) == (10 ** 5000 - 1) // 9
    assert P("0." + "3" * 5000) == Fraction(10 ** 5000 - 1, 3 * 10 ** 5000)
    with pytest.raises(InputError, match="MAX_TEXT"):
        P("1" * (MAX_TEXT + 1))


def test_decimal_with_huge_exponent_refused():
    import decimal
    start = time.perf_counter()
    with pytest.raises(InputError, match="MAX_EXPONENT"):
        selcalc.parse("def f(x):\n    return x\n")(decimal.Decimal("1e99999999"))
    assert time.perf_counter() - start < 5


def test_every_printer_handles_long_results():
    # a gradient with 5001 digits: the CLI, reports, sets, verdicts and messages print it
    P = selcalc.parse(f"def f(x, y):\n    return relu(x) * {BIG_TEXT}.0 + 3 * y\n")
    with long_integers():
        big = str(BIG)
    C = selcalc.clarke(P, (0, 0))
    assert C == selcalc.ConvexSet([(0, 3), (BIG, 3)])
    assert big in str(C) and big in repr(C) and big in C._repr_latex_().replace("\\", "")
    assert big in str(selcalc.ad_outputs(P, (0, 0)))
    assert big in repr(selcalc.index_closure(P, (0, 0)))
    assert big in str(P) and big in P._repr_html_()
    report = check_report(P, (0, 0), certificates=True)
    assert big in render_report(report)
    v = selcalc.artificial_critical(P, (BIG, 0))
    assert v.holds is False and big in str(v) and big in repr(v)
    assert big in repr(selcalc.clarke_element(P, (0, 0)))
    assert big in repr(selcalc.segment((0, 0), (BIG, 1)))
    assert big in exact_str((BIG, Fraction(1, BIG)))
    # the LP on rows too large for floats
    assert C.contains((BIG, 3)).holds and not C.contains((BIG + 1, 3)).holds
    assert C.contains((Fraction(BIG, 2), 3)).holds
    assert selcalc.ConvexSet([(BIG, 1), (-BIG, 1)]).contains_zero().holds is False
    assert selcalc.ConvexSet([(BIG, 1), (-BIG, -1)]).contains_zero().holds is True


def test_irrational_rows_too_large_for_floats():
    S = selcalc.ConvexSet([(BIG * sympy.sqrt(2), BIG), (-BIG * sympy.sqrt(2), BIG)])
    assert S.contains_zero().holds is False
    # the second coordinate vanishes in floats: exact, or unknown, never an OverflowError
    S = selcalc.ConvexSet([(BIG * sympy.sqrt(2), 1), (-BIG * sympy.sqrt(2), 1)])
    try:
        assert S.contains_zero().holds is False
    except selcalc.Undecided:
        pass


def test_cli_prints_long_gradient(tmp_path, capsys):
    from selcalc.cli import main
    prog = tmp_path / "big.py"
    prog.write_text(f"def f(x):\n    return relu(x) * {BIG_TEXT}.0\n")
    assert main(["check", str(prog), "--at", "0"]) == 0
    out = capsys.readouterr().out
    with long_integers():
        assert str(BIG) in out


def test_messages_with_long_numbers_are_selcalc_errors():
    with long_integers():
        big = str(BIG)
    cases = [
        (lambda: selcalc.parse("def f(x):\n    return sqrt(x)")(-BIG), selcalc.DomainError),
        (lambda: selcalc.parse("def f(x, y):\n    return x / y")(BIG, 0), selcalc.DomainError),
        (lambda: selcalc.check_conservative(selcalc.parse("def f(x):\n    return log(relu(x))"),
                                            selcalc.segment(-BIG, BIG)), selcalc.DomainError),
        (lambda: selcalc.check_integration(selcalc.parse("def f(x):\n    return 1 / x"),
                                           -BIG, BIG), selcalc.DomainError),
    ]
    for call, error in cases:
        with pytest.raises(error) as info:
            call()
        assert big in str(info.value)
    P = selcalc.parse("def f(x):\n    return relu(x - 1/3) * 7")
    assert selcalc.check_integration(P, -BIG, BIG).holds is True
    assert selcalc.check_conservative(P, selcalc.segment(-BIG, BIG)).holds is True
    huge_field = selcalc.Field([([], [(BIG,)])], symbols=["x1"])
    v = selcalc.check_conservative(P, selcalc.segment(-1, 1), field=huge_field)
    assert v.holds is False and big in repr(v)


def test_extended_and_sympy_floats_are_their_exact_binary_values():
    import numpy as np
    P = selcalc.parse("def f(x):\n    return x")
    n, d = np.longdouble("0.1").as_integer_ratio()
    assert P(np.longdouble("0.1")) == Fraction(int(n), int(d))  # not rounded to a double
    big = np.longdouble("1e4000")  # finite, though past the double range
    assert P(big) == Fraction(*(int(v) for v in big.as_integer_ratio()))
    assert P(np.float32(0.1)) == Fraction(float(np.float32(0.1)))
    for bad in [np.longdouble("inf"), np.longdouble("nan"), np.float32("nan")]:
        with pytest.raises(InputError, match="not a finite real number"):
            P(bad)
    huge = sympy.Float._new((0, 1, 10 ** 8, 1), 53)  # 2**(10**8): refused, not expanded
    start = time.perf_counter()
    with pytest.raises(InputError, match="MAX_BITS"):
        P(huge)
    assert time.perf_counter() - start < 5
