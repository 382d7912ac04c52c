"""Fuzz suites: mutated sources, generated points, ConvexSet misuse, CLI argument vectors.

Every generated case runs under the caps of :mod:`tests.robustness.caps` and must end in
an answer or a :class:`selcalc.SelcalcError` (for the CLI: exit status 0, 1 for a
statement that fails, or 2 with ``selcalc: error:`` on stderr, and never a traceback or
an internal error).  The size is ``SELCALC_FUZZ_EXAMPLES`` (default 40 per test; see
``tests/robustness/README.md`` for the nightly setting).
"""

from __future__ import annotations

import decimal
import json
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import SelcalcError
from selcalc.cli import main
from tests.robustness.caps import DERANDOMIZE, EXAMPLES, capped
from tests.strategies import programs

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

# ---------------------------------------------------------------------- sources
SEEDS = [
    "def f(x):\n    return relu(x) - relu(-x)\n",
    "def f(x, y):\n    a = [x, y]\n    if x > y:\n        a[0] = y\n    else:\n"
    "        a[1] = x\n    return a[0] + a[1]\n",
    "def f(x):\n    s = 0\n    for i in range(3):\n        s = s + relu(x - i)\n    return s\n",
    "def f(x, y):\n    return max(x, y) * exp(min(x, 0)) + abs(x * y) / 2\n",
    "def g(t):\n    return sigmoid(t) + tanh(t)\n\ndef f(x):\n    return g(x) ** 2 - log(1 + x * x)\n",
    "def f(x):\n    y = x if x >= 0 else 0.5 * x\n    return clip(y, -1, 1) + leaky_relu(x, 0.1)\n",
    "def f(x, y):\n    a, b = sort((x, y))\n    return sqrt(a * a + 1) - softplus(b)\n",
]

TOKENS = ["x", "y", "0", "1", "-", "+", "*", "/", "**", "(", ")", "[", "]", ",", ":", "=",
          "\n", "    ", "if ", "else", "for ", " in ", "range(", "return ", "relu(", "max(",
          "log(", "1e308", "10**10**10", "0.0", "nan", "def ", "lambda", "'s'", "__import__",
          "while ", "x[0]", "global x", "yield x", "@", "import os", "\t", "\\", "#", "\x00",
          "é", "2**4096", "range(0, 3, 0)", "[x] * 9"]


# same-kind replacements keep most mutants parseable, so the analysis behind parse runs
SAME_KIND = [["relu", "abs", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "softplus",
              "cos", "max", "min", "clip", "leaky_relu", "sort", "g", "f", "range"],
             ["x", "y", "t", "a", "b", "s", "i"],
             ["0", "1", "2", "3", "0.5", "0.1", "1e-300", "4096", "10**400", "(1/3)", "-1"],
             ["+", "-", "*", "/", "**"], [">", ">=", "<", "<=", "=="]]
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d*)?|\*\*|>=|<=|==|[-+*/<>]")


def _same_kind(draw, src):
    spots = [m for m in _TOKEN.finditer(src) if any(m.group() in k for k in SAME_KIND)]
    if not spots:
        return src
    m = draw(st.sampled_from(spots))
    kind = next(k for k in SAME_KIND if m.group() in k)
    return src[:m.start()] + draw(st.sampled_from(kind)) + src[m.end():]


@st.composite
def mutated_sources(draw):
    src = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["same"] * 6 + ["insert", "delete", "replace", "dup",
                                                    "swap", "cut"]))
        n = len(src)
        i = draw(st.integers(0, n))
        if kind == "same":
            src = _same_kind(draw, src)
        elif kind == "insert":
            src = src[:i] + draw(st.sampled_from(TOKENS)) + src[i:]
        elif kind == "delete":
            src = src[:i] + src[i + draw(st.integers(1, 8)):]
        elif kind == "replace":
            src = src[:i] + draw(st.sampled_from(TOKENS)) + src[i + 1:]
        elif kind in ("dup", "swap"):
            lines = src.split("\n")
            a, b = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
            if kind == "dup":
                lines.insert(a, lines[b])
            else:
                lines[a], lines[b] = lines[b], lines[a]
            src = "\n".join(lines)
        else:
            src = src[:i]
    return src


def _exercise(P, point):
    """Evaluate, differentiate and ask for AD outputs: an answer or a SelcalcError."""
    for call in (lambda: P(point), lambda: selcalc.grad(P, point),
                 lambda: selcalc.ad_outputs(P, point, max_patterns=64)):
        try:
            call()
        except SelcalcError:
            pass


@FUZZ
@given(mutated_sources(), st.sampled_from([0, 1, -1, "1/2", "-3/2"]))
def test_mutated_sources(src, coordinate):
    with capped():
        try:
            P = selcalc.parse(src)
        except SelcalcError:
            return
        _exercise(P, (coordinate,) * P.p)


@FUZZ
@given(programs(max_inputs=2, max_statements=5, smooth=True))
def test_generated_programs_at_generated_points(case):
    src, point = case
    with capped():
        _exercise(selcalc.parse(src), point)


# ---------------------------------------------------------------------- points
def _torch_values():
    try:
        import torch
    except ImportError:  # pragma: no cover
        return []
    return [torch.tensor(0.5), torch.tensor([1.0, 2.0]), torch.tensor([[1.0]]),
            torch.tensor([1.0], requires_grad=True), torch.tensor(float("nan"))]


ODD = [None, {}, set(), b"1", bytearray(b"1"), object(), "", " ", "1,", ",", "1,,2",
       "nan", "-inf", "1e999", "0x10", "1_000", "½", "١", complex(1, 0), complex(0, 1),
       decimal.Decimal("0.1"), decimal.Decimal("NaN"), decimal.Decimal("-Infinity"),
       np.float16(0.1), np.int8(-3), np.uint64(2 ** 63), np.bool_(True), np.nan,
       np.array(1.5), np.array([]), np.array([1.0, np.inf]), np.array(["1", "2"]),
       np.array([1 + 2j, 0]), sympy.pi, sympy.E, sympy.sqrt(2), sympy.nan, sympy.zoo,
       sympy.I, sympy.Symbol("x"), sympy.Float("0.1", 50), sympy.Rational(1, 3),
       sympy.Eq(sympy.Symbol("x"), 1), sympy.Matrix([1, 2]), True, 10 ** 400,
       Fraction(1, 10 ** 400)] + _torch_values()

coordinates = st.one_of(st.integers(), st.fractions(), st.decimals(),
                        st.floats(allow_nan=True, allow_infinity=True),
                        st.complex_numbers(max_magnitude=4), st.text(max_size=12),
                        st.sampled_from(ODD))
point_like = st.one_of(coordinates, st.lists(coordinates, max_size=3),
                       st.tuples(coordinates, coordinates),
                       st.lists(st.floats(-4, 4), max_size=3).map(np.array),
                       st.lists(st.lists(st.integers(-2, 2), max_size=2), max_size=2))

P1 = selcalc.parse("def f(x):\n    return relu(x) + abs(x - 1)")
P2 = selcalc.parse("def f(x, y):\n    return max(x, y) * relu(x - y)")


@FUZZ
@given(point_like, st.sampled_from(["call", "grad", "ad_outputs", "clarke_element",
                                    "directional"]))
def test_points_of_every_kind(x, what):
    with capped():
        for P in (P1, P2):
            try:
                if what == "call":
                    P(x)
                elif what == "grad":
                    selcalc.grad(P, x)
                elif what == "ad_outputs":
                    selcalc.ad_outputs(P, x)
                elif what == "clarke_element":
                    selcalc.clarke_element(P, x)
                else:
                    selcalc.directional_derivative(P, (0,) * P.p, x)
            except SelcalcError:
                pass


# ---------------------------------------------------------------------- ConvexSet
vectors = st.one_of(st.lists(st.one_of(st.integers(-2, 2), st.fractions(max_denominator=4),
                                       st.sampled_from(ODD)), max_size=3),
                    st.integers(-2, 2), st.sampled_from(ODD))


@FUZZ
@given(st.one_of(st.lists(vectors, max_size=4), st.sampled_from(ODD)), vectors,
       st.lists(st.lists(st.integers(-2, 2), min_size=1, max_size=3), min_size=1, max_size=3))
def test_convexset_misuse(points, probe, other):
    with capped():
        try:
            S = selcalc.ConvexSet(points)
        except SelcalcError:
            return
        T = None
        try:
            T = selcalc.ConvexSet(other)
        except SelcalcError:
            pass
        for call in (lambda: S.contains(probe), lambda: S.issubset(T), lambda: T.issubset(S),
                     lambda: S == T, lambda: S.interval, lambda: S.vertices, lambda: str(S),
                     lambda: S.dim):
            try:
                call()
            except SelcalcError:
                pass
            except AttributeError:
                if T is not None:
                    raise


def test_convexset_dimension_checks():
    S = selcalc.ConvexSet([(0, 0), (1, 1)])
    with pytest.raises(SelcalcError):
        S.contains((0,))
    with pytest.raises(SelcalcError):
        S.issubset(selcalc.ConvexSet([(0,), (1,)]))
    with pytest.raises(SelcalcError):
        S.interval  # noqa: B018 - a property that refuses dimension 2


# ---------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "ok.py").write_text("def f(x, y):\n    return max(x, y)\n\ndef g(t):\n"
                             "    return relu(t)\n")
    (d / "bad.py").write_text("def f(x):\n    while x:\n        pass\n")
    (d / "latin.py").write_bytes(b"def f(x):\n    return x # \xe9\n")
    (d / "bin.py").write_bytes(b"\x00\x01\x02")
    return d


WORDS = ["check", "prove", "lemma1", "audit", "--example", "identity", "max", "nope",
         "--at", "0", "0, 0", "-1,2", "1/0", "nan", "x", "--function", "g", "f", "h",
         "--convention", "pytorch", "jax", "bogus", "--json", "--certificates", "--p", "--m",
         "1", "2", "-3", "99999999999999999999", "--help", "-h", "--version", "", "--",
         "--at=", "--at=1/2", "FILE_OK", "FILE_BAD", "FILE_LATIN", "FILE_BIN", "FILE_MISSING",
         "--preset", "théorème", "\x00"]


@FUZZ
@given(st.lists(st.sampled_from(WORDS), max_size=7))
def test_cli_argument_vectors(files, capsys, argv):
    names = {"FILE_OK": "ok.py", "FILE_BAD": "bad.py", "FILE_LATIN": "latin.py",
             "FILE_BIN": "bin.py", "FILE_MISSING": "missing.py"}
    argv = [str(files / names[w]) if w in names else w for w in argv]
    if "audit" in argv or "prove" in argv and any(w.isdigit() and len(w) > 2 for w in argv):
        return  # the framework audit and huge Lemma 1 instances are tested elsewhere
    with capped():
        code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if code == 2 and err:
        assert err.startswith("selcalc: error:") or err.startswith("usage:"), (argv, err)
    if code == 2 and "--json" in argv and err.startswith("selcalc: error:"):
        assert "error" in json.loads(out)
