"""Exact numbers: coercion of user input, conversion to sympy, and certified signs.

Values inside the interpreters are ``int`` / ``fractions.Fraction`` (the fast path for
rational data) or sympy expressions without free symbols (algebraic and exp-log numbers).
Every sign is *certified*: rationals directly; other numbers by interval arithmetic
(``mpmath.iv``) at increasing precision, and a symbolic zero proof when the interval keeps
containing 0.  When neither succeeds, :class:`selcalc.Undecided` is raised — never a guess.

>>> exact("1/3"), exact(0.5), exact(2)
(Fraction(1, 3), Fraction(1, 2), 2)
>>> import sympy
>>> sign(sympy.sqrt(2) - sympy.Rational(141, 100))
1
>>> sign(sympy.sqrt(8) - 2 * sympy.sqrt(2))
0
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy

from .errors import SizeLimitExceeded, Undecided
# the reader of exact input is the lowest layer; ``normalize`` (rationals back to int /
# Fraction) is defined there once and re-exported here for the engine
from .points import exact_str, normalize, to_exact
from .rootsign import root_sign

RATIONAL_TYPES = (int, Fraction)


def exact(value):
    """Coerce one user-supplied number to an exact value.

    ``int`` and ``Fraction`` are kept; a Python ``float`` is converted **exactly** (its
    binary value: ``exact(0.1)`` is ``3602879701896397/36028797018963968``; write ``"0.1"``,
    ``selcalc.decimal(0.1)`` or ``Fraction(1, 10)`` for one tenth); strings are read by a
    small number grammar (``"1/3"``, ``"0.1"``, ``"2e-3"``, ``"sqrt(2)"``; never evaluated
    as code, see :mod:`selcalc.points`); sympy numbers are kept, rational ones turned into
    ``Fraction``.  Non-finite and non-real values raise :class:`selcalc.InputError`.

    >>> exact("0.1"), exact("-2")
    (Fraction(1, 10), -2)
    >>> exact("sqrt(2)")
    sqrt(2)
    """
    return to_exact(value)


def to_sympy(value):
    """The sympy form of an exact value (``Fraction`` -> ``Rational``)."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.sympify(value)


def canonical(value):
    """A sympy number in a canonical form, so equal results compare equal with ``==``.

    Rationals are exact already; a number certified equal to a rational (see
    :func:`settle`) becomes that rational; other numbers are put over a common denominator
    with ``sympy.cancel`` (a rational function of their transcendental / radical atoms).
    """
    if isinstance(value, RATIONAL_TYPES):
        return to_sympy(value)
    expr = sympy.sympify(value)
    if expr.is_Rational:
        return expr
    settled = settle(expr)  # a disguised rational (log 6 - log 2 - log 3) becomes rational
    if isinstance(settled, RATIONAL_TYPES):
        return to_sympy(settled)
    return sympy.cancel(sympy.expand(expr))


def is_rational(value) -> bool:
    return isinstance(value, RATIONAL_TYPES)


def all_rational(vectors) -> bool:
    """Whether every entry of every vector is an ``int`` / ``Fraction`` (the fast path).

    >>> all_rational([(1, Fraction(1, 2)), (0, 3)]), all_rational([(1, sympy.sqrt(2))])
    (True, False)
    """
    return all(isinstance(c, RATIONAL_TYPES) for v in vectors for c in v)


def dot(u, v):
    """``Σ u_i v_i`` of two exact vectors, zero terms skipped (no coercion: exact input).

    >>> dot((1, Fraction(1, 2), 0), (2, 3, sympy.pi))
    Fraction(7, 2)
    """
    return sum(a * b for a, b in zip(u, v) if a and b)


# ---------------------------------------------------------------- certified signs

_IV_FUNCS = {
    sympy.exp: lambda iv, x: iv.exp(x),
    sympy.log: lambda iv, x: iv.log(x),
    sympy.sin: lambda iv, x: iv.sin(x),
    sympy.cos: lambda iv, x: iv.cos(x),
    sympy.tan: lambda iv, x: iv.tan(x),
    sympy.tanh: lambda iv, x: 1 - 2 / (iv.exp(2 * x) + 1),
    sympy.sinh: lambda iv, x: (iv.exp(x) - iv.exp(-x)) / 2,
    sympy.cosh: lambda iv, x: (iv.exp(x) + iv.exp(-x)) / 2,
}


def _interval(expr, iv):
    """Enclose a constant sympy expression in an mpmath interval (raises on unknown nodes)."""
    if expr.is_Integer:
        return iv.mpf(int(expr))
    if expr.is_Rational:
        return iv.mpf(int(expr.p)) / int(expr.q)
    if expr is sympy.pi:
        return iv.pi
    if expr is sympy.E:
        return iv.e
    if expr.is_Add:
        total = iv.mpf(0)
        for arg in expr.args:
            total += _interval(arg, iv)
        return total
    if expr.is_Mul:
        total = iv.mpf(1)
        for arg in expr.args:
            total *= _interval(arg, iv)
        return total
    if expr.is_Pow:
        base = _interval(expr.base, iv)
        exp = expr.exp
        if exp.is_Integer:
            return base ** int(exp)
        if exp == sympy.S.Half:
            return iv.sqrt(base)
        if exp.is_Rational:
            return iv.exp(_interval(exp, iv) * iv.log(base))
        return iv.exp(_interval(exp, iv) * iv.log(base))
    if isinstance(expr, sympy.CRootOf) and expr.is_real:
        box = expr._get_interval()  # exact isolating interval, refined to the precision
        width = sympy.Rational(1, 2) ** int(iv.prec + 10)
        while box.b - box.a > width:
            box = box.refine()
        return iv.mpf([_interval(sympy.Rational(box.a), iv).a,
                       _interval(sympy.Rational(box.b), iv).b])
    func = _IV_FUNCS.get(expr.func)
    if func is not None:
        return func(iv, _interval(expr.args[0], iv))
    raise TypeError(f"no interval rule for {expr.func}")


def _sign_by_intervals(expr):
    for dps in (30, 120, 500):
        iv = mpmath.iv
        old = iv.dps
        iv.dps = dps
        try:
            box = _interval(expr, iv)
        except (TypeError, ValueError, ZeroDivisionError, AttributeError):
            return None
        finally:
            iv.dps = old
        if box.a > 0:
            return 1
        if box.b < 0:
            return -1
    return None


def interval_sign(value):
    """The sign of a nonzero constant by interval arithmetic alone, or None.

    None means the enclosures kept containing 0 (the value may be 0); no symbolic step
    is tried, so this is cheap enough to probe many points.

    >>> import sympy
    >>> interval_sign(sympy.E - sympy.Rational(271828, 100000)), interval_sign(0)
    (1, None)
    """
    expr = to_sympy(value)
    if expr.is_Rational:
        return (expr.p > 0) - (expr.p < 0) or None
    return _sign_by_intervals(expr)


def _proved_zero(expr) -> bool:
    """A symbolic proof that the constant ``expr`` is 0 (False means: no proof found)."""
    if expr.is_zero is True:
        return True
    try:
        if expr.is_algebraic:
            x = sympy.Dummy("x")
            return sympy.minimal_polynomial(expr, x) == x
    except (NotImplementedError, ValueError, TypeError):
        pass
    return simplifies_to_zero(expr)


def simplifies_to_zero(expr) -> bool:
    """True when sympy simplifies ``expr`` (possibly after rewriting in exp and expanding
    logs of positive quantities) to 0; False means no proof was found."""
    try:
        if sympy.simplify(expr) == 0:
            return True
        return sympy.simplify(sympy.expand_log(expr.rewrite(sympy.exp), force=False)) == 0
    except Exception:  # noqa: BLE001 - sympy may fail in many ways; then we know nothing
        return False


def sign(value) -> int:
    """The certified sign (-1, 0, 1) of an exact value.

    Raises :class:`selcalc.Undecided` when the sign cannot be proved.

    >>> sign(Fraction(-1, 3)), sign(0)
    (-1, 0)
    >>> import sympy
    >>> sign(sympy.log(3) - 1)
    1
    >>> sign(sympy.log(2) + sympy.log(3) - sympy.log(6))   # a zero that is not syntactic
    0
    """
    t = type(value)
    if t is int:
        return (value > 0) - (value < 0)
    if t is Fraction:
        n = value.numerator
        return (n > 0) - (n < 0)
    if isinstance(value, RATIONAL_TYPES):
        return (value > 0) - (value < 0)
    if t is float:  # only the float benchmark path of evaluate() gets here
        return (value > 0) - (value < 0)
    expr = sympy.sympify(value)
    if expr.is_Rational:
        return (expr.p > 0) - (expr.p < 0)
    if expr.free_symbols:
        raise Undecided(f"cannot take the sign of {exact_str(expr)}: it has free symbols")
    if expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise Undecided(f"cannot take the sign of {exact_str(expr)}: it is not a finite real "
                        f"number")
    return _sign_of_constant(expr)


@lru_cache(maxsize=4096)
def _sign_of_constant(expr):
    found = root_sign(expr)  # a rational function of one CRootOf: exact, before sympy's
    if found is not None:    # assumptions (which may run minimal_polynomial for minutes)
        return found
    if expr.is_zero is True:
        return 0
    found = _sign_by_intervals(expr)
    if found is not None:
        return found
    if _proved_zero(expr):
        return 0
    raise Undecided(f"could not certify the sign of {exact_str(expr)} (interval arithmetic up to "
                    f"500 digits did not exclude 0 and no symbolic zero proof was found)")


def compare(a, b) -> int:
    """Certified comparison of two exact reals: -1, 0 or 1 as ``a < b``, ``a = b``, ``a > b``.

    The sign of ``a - b`` (see :func:`sign`); raises :class:`selcalc.Undecided` when it
    cannot be proved.  Never compares floating-point approximations.

    >>> import sympy
    >>> compare(sympy.E + sympy.Rational(1, 10**40), sympy.E)
    1
    >>> compare(sympy.log(6), sympy.log(2) + sympy.log(3)), compare(Fraction(1, 3), 1)
    (0, -1)
    """
    if isinstance(a, RATIONAL_TYPES) and isinstance(b, RATIONAL_TYPES):
        return (a > b) - (a < b)
    return sign(to_sympy(a) - to_sympy(b))


def settle(value):
    """``value`` itself, or the rational it equals when that is certified (a disguised
    rational such as ``log(2) + log(3) - log(6) + 2`` becomes ``2``).

    The rational candidate comes from a 60-digit enclosure; it is accepted only when the
    certified sign of the difference is 0.  A value whose sign cannot be certified is
    returned unchanged (the caller meets :class:`selcalc.Undecided` where a sign is needed).

    >>> import sympy
    >>> settle(sympy.log(2) + sympy.log(3) - sympy.log(6)), settle(Fraction(1, 2))
    (0, Fraction(1, 2))
    >>> settle(sympy.log(6) - sympy.log(2) - sympy.log(3) + sympy.Rational(2, 3))
    Fraction(2, 3)
    >>> settle(sympy.E)
    E
    """
    if isinstance(value, RATIONAL_TYPES):
        return value
    expr = to_sympy(value)
    if expr.is_Rational:
        return normalize(expr)
    if expr.free_symbols:
        return value
    found = _settled_rational(expr)
    return value if found is None else found


@lru_cache(maxsize=4096)
def _settled_rational(expr):
    guess = _rational_guess(expr)
    if guess is None:
        return None
    try:
        return guess if sign(expr - to_sympy(guess)) == 0 else None
    except Undecided:
        return None


def _mpf_fraction(raw):
    """The exact rational value of a raw mpmath number ``(sign, mantissa, exponent, bits)``."""
    neg, man, exp, _bits = raw
    if abs(exp) > MAX_VALUE_BITS:  # (1 + sqrt(2)) ** (2 ** 40): no rational of that size
        raise OverflowError(f"a binary exponent of {exp} is past selcalc.numbers.MAX_VALUE_BITS")
    man = -int(man) if neg else int(man)
    return Fraction(man) * 2 ** exp if exp >= 0 else Fraction(man, 2 ** -exp)


def _rational_guess(expr, dps=60, max_den=10**12):
    iv = mpmath.iv
    old = iv.dps
    iv.dps = dps
    try:
        box = _interval(expr, iv)
        lo, hi = (_mpf_fraction(end) for end in box._mpi_)
        mid = (lo + hi) / 2
    except (TypeError, ValueError, ZeroDivisionError, AttributeError, OverflowError):
        return None
    finally:
        iv.dps = old
    guess = mid.limit_denominator(max_den)
    return normalize(guess) if lo <= guess <= hi else None


def is_zero(value) -> bool:
    """Certified zero test: True when ``value`` is exactly 0, False when it is not.

    Raises :class:`selcalc.Undecided` when neither can be proved.

    >>> import sympy
    >>> is_zero(sympy.log(2) + sympy.log(3) - sympy.log(6)), is_zero(sympy.pi - 3)
    (True, False)
    """
    return sign(value) == 0


def rational_between(a, b):
    """A rational strictly between two exact reals ``a < b``, certified by :func:`sign`.

    Raises :class:`selcalc.Undecided` when none is found (or ``a < b`` is not certified).

    >>> import sympy
    >>> r = sympy.sqrt(2)
    >>> q = rational_between(r, r + sympy.Rational(1, 10**80))
    >>> rational_between(0, 1), compare(q, r), compare(q, r + sympy.Rational(1, 10**80))
    (Fraction(1, 2), 1, -1)
    """
    lo, hi = to_sympy(a), to_sympy(b)
    if lo.is_Rational and hi.is_Rational and lo < hi:
        return normalize((lo + hi) / 2)
    width = sympy.Abs(hi - lo)
    for digits in (30, 120, 500):
        mid = sympy.Rational(str(sympy.N((lo + hi) / 2, digits)))
        if sign(mid - lo) > 0 and sign(hi - mid) > 0:
            return normalize(mid)
    raise Undecided(f"could not find a rational strictly between {exact_str(a)} and "
                    f"{exact_str(b)} "
                    f"(|b - a| = {sympy.N(width, 5)})")


# ---------------------------------------------------------------- size of exact values
#: deepest exact value / symbolic expression the interpreters build (nested functions such
#: as ``sin(sin(...(1/3)))``); past it sympy's own recursion and run time explode, so
#: evaluation reports :class:`selcalc.Undecided` and the symbolic layer ``ProgramError``
MAX_EXPRESSION_DEPTH = 120


#: largest size in bits of the numerator or the denominator of an exact rational value the
#: interpreters and the front ends' constant folding produce: 2^22 bits, about 1.26 million
#: decimal digits, four times the largest number read from input
#: (``selcalc.points.MAX_BITS``).  One more squaring past it would take seconds and
#: megabytes, and ``relu(y * y)`` iterated 40 times at 2 would need 2^40 bits: evaluation
#: stops with :class:`selcalc.errors.SizeLimitExceeded` (an explicit unknown) instead.
#: Raise it (``selcalc.numbers.MAX_VALUE_BITS = ...``) if the memory and time allow.
MAX_VALUE_BITS = 1 << 22


def value_bits(value):
    """The size in bits of an ``int`` / ``Fraction``: the larger of its numerator's and its
    denominator's.  For a sympy number, the largest size of a rational in it or of an
    integer power (``(1 + sqrt(2)) ** n`` counts ``n`` bits: expanded, it is ``a + b
    sqrt(2)`` with integers of about ``1.27 n`` bits).

    >>> value_bits(255), value_bits(Fraction(-1, 1024)), value_bits(sympy.sqrt(2) ** 3 + 1)
    (8, 11, 2)
    >>> value_bits((1 + sympy.sqrt(2)) ** (2 ** 40))
    1099511627776
    """
    t = type(value)
    if t is int:
        return value.bit_length()
    if t is Fraction:
        return max(value.numerator.bit_length(), value.denominator.bit_length())
    if not isinstance(value, sympy.Basic):
        return 0
    bits = 0
    for atom in value.atoms(sympy.Rational, sympy.Pow):
        if atom.is_Rational:
            bits = max(bits, int(atom.p).bit_length(), int(atom.q).bit_length())
        elif atom.exp.is_Rational:
            bits = max(bits, int(abs(atom.exp.p)))
    return bits


def too_large(bits, where):
    """The :class:`selcalc.errors.SizeLimitExceeded` for a value of ``bits`` bits built at
    ``where`` (text naming the node or the operation)."""
    return SizeLimitExceeded(
        f"{where}: the exact value would have {bits} bits (about {int(bits * 0.30103)} "
        f"digits), past the bound of {MAX_VALUE_BITS} bits "
        f"(selcalc.numbers.MAX_VALUE_BITS); values that square again and again (y * y in a "
        f"loop) grow past any memory; evaluate at a smaller point, or raise the bound if "
        f"the memory allows", bits=bits, limit=MAX_VALUE_BITS,
        bound="selcalc.numbers.MAX_VALUE_BITS")


def expression_depth(expr, memo):
    """Nesting depth of a sympy expression (0 for atoms and Python numbers), iterative.

    ``memo`` (a dict) caches depths of subexpressions across calls, so depths of values
    built from earlier values cost time proportional to the new part only.

    >>> x = sympy.Symbol("x")
    >>> expression_depth(sympy.sin(sympy.exp(x) + 1), {})
    3
    """
    if not isinstance(expr, sympy.Basic) or not expr.args:
        return 0
    found = memo.get(expr)
    if found is not None:
        return found
    stack = [expr]
    while stack:
        e = stack[-1]
        if e in memo:
            stack.pop()
            continue
        todo = [a for a in e.args if a.args and a not in memo]
        if todo:
            stack.extend(todo)
            continue
        memo[e] = 1 + max((memo.get(a, 0) for a in e.args), default=0)
        stack.pop()
    return memo[expr]


# ---------------------------------------------------------------- order and fast rationals
def sort_unique(values):
    """Exact reals in increasing order with equal ones merged, the order certified.

    Sorted first by a 60-digit approximation (cheap); every adjacent pair is then compared
    with :func:`compare`, and a certified comparison sort takes over if the approximation
    got any pair wrong.  Raises :class:`selcalc.Undecided` when a comparison cannot be
    proved.

    >>> sort_unique([1, sympy.sqrt(2), Fraction(1, 2), sympy.sqrt(8) / 2])
    [Fraction(1, 2), 1, sqrt(2)]
    """
    from functools import cmp_to_key
    values = sorted(values, key=lambda r: sympy.N(to_sympy(r), 60))
    if any(compare(a, b) > 0 for a, b in zip(values, values[1:])):
        values = sorted(values, key=cmp_to_key(compare))
    out = []
    for v in values:
        if out and compare(v, out[-1]) == 0:
            continue
        out.append(v)
    return out


class NotRational(Exception):
    """A fast rational loop met an irrational number (the caller takes the symbolic route)."""


def fast_rationals():
    """Conversions ``(to_q, from_q)`` to and from python-flint's ``fmpq`` (about 8x faster
    than ``Fraction`` in the hot loops), or checked identities without python-flint.

    ``to_q`` raises :class:`NotRational` on an irrational value; ``from_q`` returns
    ``int`` / ``Fraction``.

    >>> to_q, from_q = fast_rationals()
    >>> from_q(to_q(Fraction(1, 3)) + to_q(Fraction(2, 3)))
    1
    """
    try:
        from flint import fmpq
    except ImportError:  # pragma: no cover - python-flint is a declared dependency
        fmpq = None

    def to_q(v):
        if not isinstance(v, RATIONAL_TYPES):
            v = normalize(v)
            if not isinstance(v, RATIONAL_TYPES):
                raise NotRational(f"{exact_str(v)} is not rational")
        if fmpq is None:  # pragma: no cover
            return v
        v = Fraction(v)
        return fmpq(v.numerator, v.denominator)

    def from_q(v):
        if isinstance(v, RATIONAL_TYPES):
            return normalize(v)
        return normalize(Fraction(int(v.p), int(v.q)))
    return to_q, from_q

