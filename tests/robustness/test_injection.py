"""No text from data is ever executed: points, certificates, CLI input.

Each payload, if evaluated as Python, would create a marker file; the tests check that the
call ends in a SelcalcError (or an answer) and that the marker was never created.
"""

import json
import sys

import pytest
import sympy

import selcalc
from selcalc import InputError, SelcalcError
from selcalc.cli import main
from selcalc.points import parse_expression


@pytest.fixture
def payload(tmp_path):
    marker = tmp_path / "executed"
    text = f"__import__('pathlib').Path({str(marker)!r}).touch() or 1"
    yield text
    assert not marker.exists(), "a string from the data was executed as Python"


P2 = selcalc.parse("def f(x, y):\n    return relu(x * y) + abs(x)")
SEG = selcalc.segment((-1, -1), (1, 1))


def test_point_coordinate(payload):
    with pytest.raises(InputError):
        P2((payload, 0))
    with pytest.raises(InputError):
        selcalc.directional_derivative(P2, (0, 0), (payload, 1))


def test_certificate_text(payload):
    from selcalc.decide import recheck_smt
    with pytest.raises(InputError):
        recheck_smt({"symbols": ["x"], "tests": [(payload, 1)], "point": ["0"]})
    with pytest.raises(InputError):
        recheck_smt({"symbols": ["x"], "tests": [("x", 1)], "point": [payload]})


def test_certificate_recheck_still_works():
    from selcalc.decide import local_interior, recheck_smt
    x, y = sympy.symbols("x y")
    # near (0, 0): x*y > 0 and x - y**2 > 0 both hold at (t, t/2) for small t > 0 ...
    yes = local_interior([(x * y, 1), (x - y**2, 1)], [x, y], (0, 0))
    # ... but x**2 + y**2 - 1/4 > 0 holds nowhere near the origin
    no = local_interior([(x**2 + y**2 - sympy.Rational(1, 4), 1)], [x, y], (0, 0))
    assert yes.holds is True and no.holds is False
    cert = json.loads(json.dumps(yes.certificate))  # as if read back from a file
    assert recheck_smt(cert) is True and recheck_smt(no.certificate) is False


@pytest.mark.parametrize("text", ["__import__('os')", "x.__class__", "().__class__",
                                  "lambda: 0", "exec", "x; 1", "x[0]", "f'{x}'",
                                  "open('f')", "Symbol('x')"])
def test_expression_grammar_refuses(text):
    with pytest.raises(InputError):
        parse_expression(text, ["x"])


def test_expression_grammar_values():
    x, e = sympy.symbols("x e")
    assert parse_expression("x^2 + -3*x/4", [x]) == x**2 - sympy.Rational(3, 4) * x
    # an input called like a constant hides the constant
    assert parse_expression("2*e", [e]) == 2 * e and parse_expression("2*e", []) == 2 * sympy.E
    assert parse_expression("sqrt(2)*x", ["x"]) == sympy.sqrt(2) * sympy.Symbol("x")
    with pytest.raises(InputError):
        parse_expression("x/0", [x])


def test_cli_point(payload, tmp_path, capsys):
    prog = tmp_path / "p.py"
    prog.write_text("def f(x):\n    return relu(x)\n")
    code = main(["check", str(prog), "--at", payload])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("selcalc: error:") and "Traceback" not in err


def test_cli_source_is_not_run(payload, tmp_path, capsys):
    prog = tmp_path / "p.py"
    prog.write_text(f"{payload}\n\ndef f(x):\n    return x\n")
    code = main(["check", str(prog), "--at", "1"])
    assert code == 2 and capsys.readouterr().err.startswith("selcalc: error:")


def test_sys_limits_untouched_by_library():
    # the int-to-str limit is lifted only inside the CLI, and restored afterwards
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        pytest.skip("Python without an int-to-str limit")
    before = get()
    main(["prove", "lemma1", "--p", "1", "--m", "2"])
    assert get() == before
    with pytest.raises(SelcalcError):
        selcalc.parse("def f(x):\n    return x")("1" * 20000)
