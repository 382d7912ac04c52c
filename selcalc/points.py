"""Reading user input safely: exact numbers, points, vectors and text files.

Every number a user hands to selcalc goes through :func:`to_exact`; every point through
:func:`coerce_point`.  Text is read by a small recursive-descent grammar of our own —
never by ``eval`` or ``sympify`` — so a string can only ever denote a number:

* integers, decimals and scientific notation (``-3``, ``0.1``, ``2.5e-3``), ``a/b``;
* ``+ - * /``, parentheses, and integer powers ``a**n`` (``|n| <=`` :data:`MAX_EXPONENT`);
* the constants ``pi`` and ``e`` and the functions ``sqrt exp log sin cos tan tanh``
  applied to a number (a whitelist; any other name is refused).

Non-finite and non-real input (``nan``, ``inf``, ``oo``, ``zoo``, complex numbers, a
division by zero) is refused with an :class:`~selcalc.errors.InputError`, and so is a
point of the wrong shape.

How floats are read (one rule, see ``docs/numbers.md``): a Python / numpy / sympy float
is a *runtime value*, read as the exact binary number it holds (this is what torch
computes with); a decimal *written as text* — in program source, on the command line, or
as a string argument — is the decimal it spells.  :func:`decimal` opts a float into the
decimal reading.

>>> parse_number("1/3"), parse_number("-2.5e-1"), parse_number("sqrt(2)/2")
(Fraction(1, 3), Fraction(-1, 4), sqrt(2)/2)
>>> to_exact(0.1) == Fraction(3602879701896397, 36028797018963968), decimal(0.1)
(True, Fraction(1, 10))
>>> coerce_point("0, 1/2", 2)
(0, Fraction(1, 2))
>>> parse_number('__import__("os").getcwd()')
Traceback (most recent call last):
...
selcalc.errors.InputError: cannot read '__import__("os").getcwd()' as a number: unexpected character '"' at column 12
>>> parse_number("exec(1)")
Traceback (most recent call last):
...
selcalc.errors.InputError: cannot read 'exec(1)' as a number: unknown name 'exec' at column 1 (allowed: pi, e, sqrt, exp, log, sin, cos, tan, tanh)
"""

from __future__ import annotations

import decimal as _decimal
import math
import numbers as _pynumbers
import re
import sys
import threading
from contextlib import contextmanager
from fractions import Fraction

import sympy

from .errors import InputError, SelcalcError

#: largest ``|n|`` accepted in ``a**n`` and in the exponent of scientific notation
MAX_EXPONENT = 10_000
#: longest text read as one number
MAX_TEXT = 10_000
#: deepest nesting of parentheses / function calls in a number
MAX_DEPTH = 64
#: largest bit length of the numerator / denominator of a rational read from text
MAX_BITS = 1 << 20

_CONSTANTS = {"pi": sympy.pi, "e": sympy.E}
_FUNCTIONS = {"sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin,
              "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh}
_NONFINITE = {"nan", "inf", "infinity", "oo", "zoo"}
_ALLOWED = ", ".join(list(_CONSTANTS) + list(_FUNCTIONS))

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>\*\*|[-+*/(),^])
  )""", re.VERBOSE)


def _nonfinite(what):
    return InputError(f"{what} is not a finite real number: selcalc computes exactly with "
                      f"finite reals only (pass an integer, a fraction such as '1/3', a "
                      f"decimal, or a finite float)")


class _Reader:
    """Recursive descent over the token list (depth bounded by :data:`MAX_DEPTH`)."""

    def __init__(self, text, names=None):
        self.text, self.names = text, names or {}
        self.tokens = []
        pos = 0
        n = len(text)
        while pos < n:
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise self.error(f"unexpected character {text[pos]!r}", pos)
            kind = m.lastgroup
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0
        self.depth = 0

    def error(self, message, pos=None):
        where = f" at column {pos + 1}" if pos is not None else ""
        return InputError(f"cannot read {self.text!r} as a number: {message}{where}")

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, len(self.text))

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1] != value):
            want = repr(value) if value else "a number"
            got = "the end" if tok[0] is None else repr(tok[1])
            raise self.error(f"expected {want}, found {got}", tok[2])
        self.i += 1
        return tok

    def read(self):
        value = self.expr()
        tok = self.peek()
        if tok[0] is not None:
            raise self.error(f"unexpected {tok[1]!r}", tok[2])
        return value

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels")

    def expr(self):
        value = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            rhs = self.term()
            value = _checked(_arith(op, value, rhs), self)
        return value

    def term(self):
        value = self.unary()
        while self.peek()[1] in ("*", "/"):
            _, op, pos = self.take()
            rhs = self.unary()
            if op == "/":
                if rhs == 0:
                    raise InputError(f"cannot read {self.text!r} as a number: division by "
                                     f"zero at column {pos + 1}")
            value = _checked(_arith(op, value, rhs), self)
        return value

    def unary(self):
        if self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            self.nest()
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] in ("**", "^"):
            _, _, pos = self.take()
            self.nest()
            exp = self.unary()
            self.depth -= 1
            if not (isinstance(exp, int) or (isinstance(exp, sympy.Integer))):
                raise self.error("only integer powers are accepted (write sqrt(a) for "
                                 "a**(1/2))", pos)
            exp = int(exp)
            if abs(exp) > MAX_EXPONENT:
                raise self.error(f"the exponent {exp} exceeds the bound of {MAX_EXPONENT} "
                                 f"(selcalc.points.MAX_EXPONENT)", pos)
            if base == 0 and exp < 0:
                raise self.error("division by zero (0 to a negative power)", pos)
            if isinstance(base, (int, Fraction)):
                bits = max(abs(Fraction(base).numerator).bit_length(),
                           Fraction(base).denominator.bit_length())
                if bits * abs(exp) > MAX_BITS:
                    raise self.error(f"the power has more than {MAX_BITS} bits", pos)
                return normalize(Fraction(base) ** exp)
            return _checked(sympy.Pow(base, exp), self)
        return base

    def atom(self):
        kind, value, pos = self.take()
        if kind == "num":
            return _decimal_text(value, self, pos)
        if value == "(":
            self.nest()
            inner = self.expr()
            self.take(")")
            self.depth -= 1
            return inner
        if kind == "name":
            if value in self.names:  # the caller's symbols take precedence
                return self.names[value]
            low = value.lower()
            if low in _NONFINITE or low == "i":
                raise _nonfinite(repr(self.text))
            if value in _CONSTANTS:
                return _CONSTANTS[value]
            if value in _FUNCTIONS:
                self.take("(")
                self.nest()
                arg = self.expr()
                self.take(")")
                self.depth -= 1
                out = _FUNCTIONS[value](to_sympy_number(arg))
                return _checked(out, self, pos)
            allowed = ", ".join(list(self.names) + [_ALLOWED])
            raise InputError(f"cannot read {self.text!r} as a number: unknown name "
                             f"{value!r} at column {pos + 1} (allowed: {allowed})")
        raise self.error(f"unexpected {value!r}", pos)


def _arith(op, a, b):
    """``a op b`` exactly: Fractions for rationals, sympy otherwise (never a float)."""
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)):
        a, b = Fraction(a), Fraction(b)
    else:
        a, b = to_sympy_number(a), to_sympy_number(b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    return a * b if op == "*" else a / b


def _decimal_text(text, reader, pos):
    try:
        return read_decimal(text)
    except InputError as exc:
        raise reader.error(str(exc), pos) from None


_DECIMAL = re.compile(r"([+-]?)(\d[\d_]*)?(?:\.(\d[\d_]*)?)?(?:[eE]([+-]?)(\d[\d_]*))?")
#: digits converted by one ``int()`` call (below Python's int-str limit of 4300)
_CHUNK = 1000


def _digits_value(digits):
    """The integer a string of decimal digits spells, read in chunks of :data:`_CHUNK`
    digits, so the value does not depend on Python's int-str conversion limit."""
    if len(digits) <= _CHUNK:
        return int(digits or "0")
    value = 0
    for i in range(0, len(digits), _CHUNK):
        chunk = digits[i:i + _CHUNK]
        value = value * 10 ** len(chunk) + int(chunk)
    return value


def read_decimal(text):
    """The exact value of a decimal literal, never a float: ``12``, ``0.5``, ``.5``,
    ``1.``, ``2.5e-3`` (underscores between digits as in Python).

    Any number of digits up to :data:`MAX_TEXT` characters is read exactly (in chunks,
    past Python's limit of 4300 digits for ``int(str)``); the written exponent is bounded
    by :data:`MAX_EXPONENT`.  Past either bound, or for text that is not a decimal, an
    :class:`~selcalc.errors.InputError` names the limit.  Used for points and for the
    literals of program source.

    >>> read_decimal("0.125"), read_decimal("1_000e-2"), read_decimal("1" * 5000) % 10**3
    (Fraction(1, 8), 10, 111)
    >>> read_decimal("1e99999999")
    Traceback (most recent call last):
    ...
    selcalc.errors.InputError: the exponent 99999999 exceeds the bound of 10000 (selcalc.points.MAX_EXPONENT)
    """
    if len(text) > MAX_TEXT:
        raise InputError(f"a number written with {len(text)} characters is longer than the "
                         f"limit of {MAX_TEXT} (selcalc.points.MAX_TEXT)")
    m = _DECIMAL.fullmatch(text.strip())
    if m is None or (m.group(2) is None and m.group(3) is None):
        raise InputError(f"{_short(text)} is not a decimal number")
    sign, whole, frac, esign, exp = m.groups()
    whole, frac = (whole or "").replace("_", ""), (frac or "").replace("_", "")
    exp = (exp or "0").replace("_", "").lstrip("0") or "0"
    if len(exp) > len(str(MAX_EXPONENT)) or int(exp) > MAX_EXPONENT:
        shown = exp if len(exp) <= 20 else exp[:20] + "..."
        raise InputError(f"the exponent {esign}{shown} exceeds the bound of {MAX_EXPONENT} "
                         f"(selcalc.points.MAX_EXPONENT)")
    shift = (-int(exp) if esign == "-" else int(exp)) - len(frac)
    value = _digits_value((whole + frac).lstrip("0"))
    value = value * 10 ** shift if shift >= 0 else Fraction(value, 10 ** -shift)
    return normalize(Fraction(-value if sign == "-" else value))


def _checked(value, reader, pos=None):
    """Refuse non-real / non-finite intermediate results; keep rationals as Fraction."""
    if isinstance(value, (int, Fraction)):
        f = Fraction(value)
        if max(abs(f.numerator).bit_length(), f.denominator.bit_length()) > MAX_BITS:
            raise reader.error(f"the number has more than {MAX_BITS} bits")
        return normalize(f)
    value = sympy.sympify(value)  # a sympy object already: no text is parsed here
    if value.has(sympy.nan, sympy.oo, -sympy.oo, sympy.zoo):
        raise InputError(f"cannot read {reader.text!r} as a number: it is not finite "
                         f"(out of a function's domain or a division by zero)")
    if value.is_real is False or value.has(sympy.I):
        raise InputError(f"cannot read {reader.text!r} as a number: it is not a real number "
                         f"(a square root or logarithm of a negative number?)")
    return normalize(value)


def normalize(value):
    """Rationals back to ``int`` / ``Fraction``; other exact numbers kept as sympy."""
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Rational):
        return Fraction(int(value.p), int(value.q))
    return value


def to_sympy_number(value):
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return sympy.Integer(value)
    return value


def parse_number(text):
    """Read one exact real number from text (the grammar of the module docstring).

    >>> parse_number("  -7 "), parse_number("1e3"), parse_number("2**-2")
    (-7, 1000, Fraction(1, 4))
    >>> parse_number("10**10**10")
    Traceback (most recent call last):
    ...
    selcalc.errors.InputError: cannot read '10**10**10' as a number: the exponent 10000000000 exceeds the bound of 10000 (selcalc.points.MAX_EXPONENT) at column 3
    """
    _check_text(text)
    return _Reader(text).read()


def parse_expression(text, symbols):
    """Read an exact expression in the given symbols from text, by the number grammar.

    ``symbols`` are sympy Symbols (or names); their names are the only names allowed
    besides the grammar's constants and functions (a symbol named like a constant hides
    it).  Nothing is evaluated as Python.

    >>> x, y = sympy.symbols("x y")
    >>> parse_expression("x**2 - 1/2*y", [x, y]) == x**2 - y / 2
    True
    >>> parse_expression("__import__('os')", [x])
    Traceback (most recent call last):
    ...
    selcalc.errors.InputError: cannot read "__import__('os')" as a number: unexpected character "'" at column 12
    """
    syms = [sympy.Symbol(v) if isinstance(v, str) else v for v in symbols]
    names = {str(v): v for v in syms}
    _check_text(text)
    return to_sympy_number(_Reader(text, names).read())


def _check_text(text):
    if not isinstance(text, str):
        raise InputError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise InputError(f"a number written with {len(text)} characters is longer than the "
                         f"limit of {MAX_TEXT} (selcalc.points.MAX_TEXT)")
    if not text.strip():
        raise InputError("an empty string is not a number")


def decimal(value):
    """The decimal a float prints as, exactly: ``decimal(0.1) == Fraction(1, 10)``.

    Opt-in for the decimal reading of a Python float (by default a float is its exact
    binary value).  Strings are read by :func:`parse_number`.

    >>> decimal(0.1), decimal(2.5), decimal("1/3")
    (Fraction(1, 10), Fraction(5, 2), Fraction(1, 3))
    """
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, _pynumbers.Real) and not isinstance(value, _pynumbers.Rational):
        f = float(value)
        if not math.isfinite(f):
            raise _nonfinite(repr(value))
        return normalize(Fraction(repr(f)))
    return to_exact(value)


def to_exact(value):
    """Coerce one user-supplied number to an exact value (see the module docstring)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return normalize(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _nonfinite(repr(value))
        return normalize(Fraction(value))
    if isinstance(value, str):
        return parse_number(value)
    if isinstance(value, sympy.Basic):
        return _sympy_exact(value)
    hook = getattr(type(value), "__selcalc_exact__", None)
    if hook is not None:  # selcalc.Real and other exact numbers that say what they hold
        return to_exact(hook(value))
    if isinstance(value, complex) or isinstance(value, _pynumbers.Complex) and not \
            isinstance(value, _pynumbers.Real):
        if value.imag == 0:
            return to_exact(value.real)
        raise InputError(f"{value!r} is complex; selcalc works over the real numbers")
    if isinstance(value, _decimal.Decimal):
        if not value.is_finite():
            raise _nonfinite(repr(value))
        _, digits, exponent = value.as_tuple()
        if abs(exponent) > MAX_EXPONENT or len(digits) > MAX_TEXT:
            raise InputError(f"the Decimal {_short(value)} is past the bounds of "
                             f"{MAX_TEXT} digits (selcalc.points.MAX_TEXT) and exponent "
                             f"{MAX_EXPONENT} (selcalc.points.MAX_EXPONENT)")
        return normalize(Fraction(value))
    if isinstance(value, _pynumbers.Integral):
        return int(value)
    if isinstance(value, _pynumbers.Rational):
        return normalize(Fraction(int(value.numerator), int(value.denominator)))
    if isinstance(value, _pynumbers.Real):  # numpy floats and the like
        ratio = getattr(value, "as_integer_ratio", None)
        if ratio is not None:  # the exact binary value (np.longdouble has 64 bits)
            try:
                n, d = ratio()
            except (OverflowError, ValueError):
                raise _nonfinite(repr(value)) from None
            return normalize(Fraction(int(n), int(d)))
        return to_exact(float(value))
    shape = _shape(value)
    if shape == ():  # numpy / torch scalars and 0-d arrays
        item = value.item()
        if item is value:
            raise InputError(f"cannot use {value!r} as a number")
        return to_exact(item)
    if shape is not None:
        raise InputError(f"expected one number, got an array of shape {shape}")
    raise InputError(f"cannot use {_short(value)} (of type {type(value).__name__}) as a "
                     f"number")


#: sympy expressions that are operations left undone, not numbers selcalc can compute with
_UNEVALUATED = (sympy.Integral, sympy.Derivative, sympy.Sum, sympy.Product, sympy.Limit,
                sympy.Subs, sympy.Order)


def _sympy_exact(value):
    """A sympy number: a real constant built from numbers and sympy's own functions.

    Truth values, sets, matrices, symbols, undefined functions (``Function("f")(1)``),
    unevaluated operations (``Integral``, ``Sum``, ...), non-finite and non-real values
    are refused with :class:`InputError` saying what the object is.

    >>> _sympy_exact(sympy.sqrt(2) / 2), _sympy_exact(sympy.Rational(1, 3))
    (sqrt(2)/2, Fraction(1, 3))
    >>> _sympy_exact(sympy.Function("f")(1))
    Traceback (most recent call last):
    ...
    selcalc.errors.InputError: f(1) is not a number: it applies the undefined function f, whose value selcalc cannot know (pass a real number, e.g. 1/3, sqrt(2), exp(1))
    """
    what = type(value).__name__
    if isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr):
        raise InputError(f"{_short(value)} is a truth value ({what}), not a number")
    if isinstance(value, sympy.Set):
        raise InputError(f"{_short(value)} is a set ({what}), not a number; pass one point")
    if isinstance(value, sympy.MatrixBase) or getattr(value, "is_Matrix", False):
        raise InputError(f"{_short(value)} is a matrix ({what}), not a number; pass the "
                         f"coordinates as a flat sequence")
    if not isinstance(value, sympy.Expr):
        raise InputError(f"{_short(value)} ({what}) is not a number")
    undefined = sorted({str(f.func) for f in value.atoms(sympy.core.function.AppliedUndef)})
    if undefined:
        raise InputError(f"{_short(value)} is not a number: it applies the undefined "
                         f"function {', '.join(undefined)}, whose value selcalc cannot know "
                         f"(pass a real number, e.g. 1/3, sqrt(2), exp(1))")
    undone = sorted({type(u).__name__ for u in value.atoms(*_UNEVALUATED)})
    if undone:
        raise InputError(f"{_short(value)} is not a number selcalc computes with: it holds an "
                         f"unevaluated operation ({', '.join(undone)}); pass its value")
    if value.has(sympy.nan, sympy.oo, -sympy.oo, sympy.zoo):
        raise _nonfinite(str(value))
    if value.free_symbols:
        raise InputError(f"{_short(value)} is not a number (it has the free symbol(s) "
                         f"{', '.join(sorted(map(str, value.free_symbols)))})")
    if value.has(sympy.I) or value.is_real is False:
        raise InputError(f"{_short(value)} is not a real number")
    if value.is_real is None:
        raise InputError(f"{_short(value)} is not a number selcalc can read: sympy cannot "
                         f"tell that it is real (pass a real number built from numbers and "
                         f"functions such as sqrt, exp, log, sin)")
    if value.has(sympy.Float):
        # a sympy Float is a runtime value: its exact binary value (the float rule)
        floats = value.atoms(sympy.Float)
        for f in floats:
            _, _, exp, bits = f._mpf_
            if abs(exp) + bits > MAX_BITS:
                raise InputError(f"the sympy Float {_short(f)} is exactly a rational of more "
                                 f"than {MAX_BITS} bits (selcalc.points.MAX_BITS)")
        value = value.xreplace({f: sympy.Rational(f) for f in floats})
    return normalize(value)


def _short(value, limit=80):
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


def _shape(value):
    """The shape of a numpy array / torch tensor / array-like, or None for other objects."""
    shape = getattr(value, "shape", None)
    if shape is None or not hasattr(value, "tolist"):
        return None
    try:
        return tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        return None


def _flat(x, what, p=None):
    """A flat list of coordinates from a sequence / array, or an InputError."""
    shape = _shape(x)
    if shape is not None:
        if len(shape) > 1:
            raise InputError(f"{what} must be a flat vector; got an array of shape {shape}")
        if hasattr(x, "detach"):  # torch: leave autograd out of it
            x = x.detach()
        items = x.tolist()
        return [items] if shape == () else list(items)
    if isinstance(x, (list, tuple)):
        for c in x:
            if isinstance(c, (list, tuple, dict, set)) or (_shape(c) or ()) != ():
                raise InputError(f"{what} must be a flat vector of numbers; got a nested "
                                 f"{type(c).__name__} {_short(c)}")
        return list(x)
    if isinstance(x, str):
        parts = x.split(",") if "," in x or p == 1 else x.split()
        if "," in x and any(not s.strip() for s in parts):
            raise InputError(f"{what} {x!r} has an empty coordinate")
        return parts
    if isinstance(x, (dict, set, frozenset)) or x is None:
        raise InputError(f"{what} must be a number or a sequence of numbers, not "
                         f"{_short(x)}")
    return [x]


def coerce_point(x, p, what="the point"):
    """An exact tuple of length ``p`` from a scalar, a sequence, an array or a string.

    Strings are split at commas (or at spaces when there is no comma); every coordinate
    goes through :func:`to_exact`.  Arrays (numpy, torch) must be 0-d or 1-d.

    >>> coerce_point(("1/2", 3), 2), coerce_point(5, 1), coerce_point("1 2", 2)
    ((Fraction(1, 2), 3), (5,), (1, 2))
    >>> coerce_point((1,), 2)
    Traceback (most recent call last):
    ...
    selcalc.errors.InputError: the program has 2 input(s) but the point has 1 coordinate(s)
    """
    coords = _flat(x, what, p)
    if len(coords) != p:
        raise InputError(f"the program has {p} input(s) but {what} has {len(coords)} "
                         f"coordinate(s)")
    return tuple(to_exact(c) for c in coords)


def as_vector(v, n=None, what="the vector"):
    """An exact vector (tuple), checked to have ``n`` coordinates when ``n`` is given."""
    if isinstance(v, sympy.MatrixBase):
        v = list(v)
    coords = _flat(v, what)
    if n is not None and len(coords) != n:
        raise InputError(f"{what} has {len(coords)} coordinate(s) but the set lives in "
                         f"dimension {n}")
    return tuple(to_exact(c) for c in coords)


def as_point_list(points):
    """A non-empty list of exact vectors of one length (scalars are 1-vectors)."""
    if points is None or isinstance(points, (str, bytes)) or not _iterable(points):
        raise InputError(f"a ConvexSet needs an iterable of points, got {_short(points)}")
    out = [as_vector(pt, what="a point") for pt in points]
    if not out:
        raise InputError("a ConvexSet needs at least one point")
    lengths = sorted({len(pt) for pt in out})
    if len(lengths) > 1:
        raise InputError(f"the points of a ConvexSet must have one length; got lengths "
                         f"{lengths}")
    return out


def same_dimension(a, b, what="sets"):
    """Refuse an operation between objects of different dimensions."""
    if a != b:
        raise InputError(f"the {what} live in different dimensions ({a} and {b})")


def _iterable(x):
    try:
        iter(x)
    except TypeError:
        return False
    return True


# ---------------------------------------------------------------------- output
_LONG = {"depth": 0, "saved": None, "lock": threading.Lock()}


@contextmanager
def long_integers():
    """Let ``str`` print integers of any length inside the block (Python limits it to 4300
    digits by default); the limit is restored when the last such block ends.

    Every printer of exact numbers uses it (directly, as a decorator, or through
    :func:`exact_str`): reports, sets, verdict claims, messages and the command line.
    Nested and concurrent blocks are safe (one counter under a lock).  The limit is
    process-wide: while a block runs, other threads convert without a limit too.

    >>> with long_integers():
    ...     len(str(10 ** 5000))
    5001
    """
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:  # pragma: no cover - Python < 3.11 has no limit
        yield
        return
    with _LONG["lock"]:
        if _LONG["depth"] == 0:
            _LONG["saved"] = get()
            sys.set_int_max_str_digits(0)
        _LONG["depth"] += 1
    try:
        yield
    finally:
        with _LONG["lock"]:
            _LONG["depth"] -= 1
            if _LONG["depth"] == 0:
                sys.set_int_max_str_digits(_LONG["saved"])


_PRINTERS = ("__str__", "__repr__", "_repr_html_", "_repr_latex_")


def long_printing(cls):
    """Class decorator: the class's own printers (``__str__``, ``__repr__``, and the
    notebook ``_repr_html_`` / ``_repr_latex_``) run under :func:`long_integers`.

    >>> @long_printing
    ... class Big:
    ...     def __repr__(self):
    ...         return repr(10 ** 5000)
    >>> len(repr(Big()))
    5001
    """
    for name in _PRINTERS:
        method = cls.__dict__.get(name)
        if method is not None:
            setattr(cls, name, long_integers()(method))
    return cls


def exact_str(value):
    """``str(value)`` for exact numbers (and tuples, sets, sympy expressions of them) of
    any number of digits: the one formatter of messages and claims.

    >>> exact_str(10 ** 5000)[:6], len(exact_str((Fraction(1, 3), 10 ** 5000)))
    ('100000', 5019)
    """
    with long_integers():
        return str(value)


#: largest program file :func:`read_source_file` reads (bytes)
MAX_SOURCE_BYTES = 8 << 20


def read_source_file(path, limit=None):
    """The text of a program file: UTF-8 (a byte-order mark is accepted), else an error.

    Raises :class:`SelcalcError` with the reason when the file cannot be read, is binary,
    is not UTF-8, or is larger than ``limit`` bytes (default :data:`MAX_SOURCE_BYTES`).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +ELLIPSIS
    ...     path = os.path.join(d, "latin.py")
    ...     with open(path, "wb") as fh:
    ...         _ = fh.write(b"def f(x):\\n    return x  # caf\\xe9\\n")
    ...     read_source_file(path)
    Traceback (most recent call last):
    ...
    selcalc.errors.SelcalcError: cannot read ...latin.py: it is not UTF-8 text (byte 29 cannot be decoded); save the program as UTF-8
    """
    limit = MAX_SOURCE_BYTES if limit is None else limit
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise SelcalcError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL character in the path, and the like
        raise SelcalcError(f"cannot read the file {path!r}: {exc}") from None
    if len(data) > limit:
        raise SelcalcError(f"cannot read {path}: it is larger than {limit} bytes, the limit "
                           f"for a program file (a program that large is beyond what selcalc "
                           f"analyses exactly; build it with selcalc.Program or trace it)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SelcalcError(f"cannot read {path}: it is UTF-16 text (a binary file for "
                           f"Python source); save the program as UTF-8")
    if b"\x00" in data:
        raise SelcalcError(f"cannot read {path}: it is a binary file, not Python source")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SelcalcError(f"cannot read {path}: it is not UTF-8 text (byte {exc.start} "
                           f"cannot be decoded); save the program as UTF-8") from None
    return text
