"""The primitives as Python functions: they record nodes on tracers, compute exactly on
numbers.

>>> from selcalc import relu, max, sort
>>> relu(-2), max(1, "1/2", 0), sort(3, 1, 2)
(0, 1, (1, 2, 3))
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from .errors import SelcalcError
from .frontends.builder import Builder, CallError, Const
from .frontends.trace import Comparison, Tracer, wrap
from .numbers import RATIONAL_TYPES, compare, exact, settle, sign, to_sympy
from .points import exact_str, long_printing


@long_printing
class Real:
    """An exact real number whose comparisons are certified: what ``selcalc.relu(2)``,
    ``selcalc.log(2)`` ... return when called on numbers.

    A sympy number compares *expressions* with ``==`` (in sympy ``log(2) + log(3) - log(6)
    == 0`` is False), so a Python ``if`` on such constants inside a function given to
    ``selcalc.trace`` would take the wrong branch.  ``Real`` keeps the exact value
    (``.value``: an int, a ``Fraction`` or a sympy number) and sends ``==``, ``<`` ... and
    ``bool()`` through the certified sign of :mod:`selcalc.numbers`: the answer is proved,
    or :class:`selcalc.Undecided` is raised.  Arithmetic with ints, ``Fraction``, number
    strings and other ``Real`` stays ``Real`` (with the front end's size limits); with a
    traced value it records nodes.

    >>> from selcalc import log, exp
    >>> c = log(2) + log(3) - log(6)
    >>> c == 0, c, bool(c), exp(1) > Fraction(27, 10)
    (True, 0, False, True)
    >>> sqrt(2) ** 2 == 2, float(exp(1)), relu("1/2") + 1
    (True, 2.718281828459045, 3/2)

    A rational value hashes like the int or ``Fraction`` it equals; an irrational one is
    not hashable (equal values can have different expressions).
    """

    __slots__ = ("value",)

    def __init__(self, value):
        value = exact(value)
        self.value = value if isinstance(value, RATIONAL_TYPES) else settle(value)

    def __selcalc_exact__(self):
        return self.value

    def _sympy_(self):
        return to_sympy(self.value)

    @staticmethod
    def _other(other):
        if isinstance(other, Real):
            return other.value
        if isinstance(other, (int, Fraction, str, sympy.Basic)):
            try:
                return exact(other)
            except SelcalcError:
                return None
        return None

    def _arith(self, other, op, reverse=False):
        b = self._other(other)
        if b is None:
            return NotImplemented
        a, b = (Const(b), Const(self.value)) if reverse else (Const(self.value), Const(b))
        try:
            out = Builder().binop(op, a, b)
        except CallError as exc:
            raise SelcalcError(f"{op}: {exc}") from None
        return Real(out.value)

    def __add__(self, o):
        return self._arith(o, "+")

    def __radd__(self, o):
        return self._arith(o, "+", True)

    def __sub__(self, o):
        return self._arith(o, "-")

    def __rsub__(self, o):
        return self._arith(o, "-", True)

    def __mul__(self, o):
        return self._arith(o, "*")

    def __rmul__(self, o):
        return self._arith(o, "*", True)

    def __truediv__(self, o):
        return self._arith(o, "/")

    def __rtruediv__(self, o):
        return self._arith(o, "/", True)

    def __pow__(self, o):
        return self._arith(o, "**")

    def __rpow__(self, o):
        return self._arith(o, "**", True)

    def __neg__(self):
        return self._arith(-1, "*")

    def __pos__(self):
        return self

    def __abs__(self):
        return -self if sign(self.value) < 0 else self

    def _cmp(self, other):
        b = self._other(other)
        return None if b is None else compare(self.value, b)

    def __eq__(self, o):
        c = self._cmp(o)
        return NotImplemented if c is None else c == 0

    def __ne__(self, o):
        c = self._cmp(o)
        return NotImplemented if c is None else c != 0

    def __lt__(self, o):
        c = self._cmp(o)
        return NotImplemented if c is None else c < 0

    def __le__(self, o):
        c = self._cmp(o)
        return NotImplemented if c is None else c <= 0

    def __gt__(self, o):
        c = self._cmp(o)
        return NotImplemented if c is None else c > 0

    def __ge__(self, o):
        c = self._cmp(o)
        return NotImplemented if c is None else c >= 0

    def __bool__(self):
        return sign(self.value) != 0

    def __hash__(self):
        if isinstance(self.value, RATIONAL_TYPES):
            return hash(self.value)
        raise TypeError(f"the irrational exact real {exact_str(self)} is not hashable: equal values "
                        f"can have different expressions (use .value, a sympy number, for "
                        f"a key compared structurally)")

    def __float__(self):
        if isinstance(self.value, RATIONAL_TYPES):
            return float(Fraction(self.value))
        return float(sympy.N(to_sympy(self.value), 20))

    def __repr__(self):
        return str(to_sympy(self.value))

    __str__ = __repr__


def _apply(name, *args):
    builder = next((a.builder for a in args if isinstance(a, Tracer)), None)
    if builder is None:
        try:
            out = Builder().call(name, [Const(exact(a)) for a in args])
        except CallError as exc:
            raise SelcalcError(f"{name}: {exc}") from None
        except ArithmeticError as exc:
            raise SelcalcError(f"{name}: {exc}") from None
        if isinstance(out, tuple):
            return tuple(Real(c.value) for c in out)
        return Real(out.value)
    values = [a.value if isinstance(a, Tracer) else Const(exact(a)) for a in args]
    try:
        return wrap(builder, builder.call(name, values))
    except CallError as exc:
        raise SelcalcError(f"{name}: {exc}") from None


def _unary(name, doc):
    def fn(x):
        return _apply(name, x)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


relu = _unary("relu", """relu(x) = max(x, 0); pieces [0 if x <= 0, x if x >= 0].

    >>> relu(-2), relu("1/2")
    (0, 1/2)
    """)
abs = _unary("abs", """|x|; pieces [-x if x <= 0, x if x >= 0].

    >>> abs(-3), abs("1/2")
    (3, 1/2)
    """)  # noqa: A001
exp = _unary("exp", """The exponential.

    >>> exp(0), exp(1)
    (1, E)
    """)
log = _unary("log", """The natural logarithm (DomainError at x <= 0).

    >>> log(1), log(exp(2))
    (0, 2)
    """)
sqrt = _unary("sqrt", """The square root (DomainError at x < 0; no derivative at 0).

    >>> sqrt(8), sqrt("1/4")
    (2*sqrt(2), 1/2)
    """)
sin = _unary("sin", """Sine (analytic, outside the log-exp class).

    >>> sin(0)
    0
    """)
cos = _unary("cos", """Cosine (analytic, outside the log-exp class).

    >>> cos(0)
    1
    """)
tanh = _unary("tanh", """Hyperbolic tangent.

    >>> tanh(0)
    0
    """)
sigmoid = _unary("sigmoid", """1 / (1 + exp(-x)).

    >>> sigmoid(0)
    1/2
    """)
softplus = _unary("softplus", """log(1 + exp(x)).

    >>> softplus(0)
    log(2)
    """)


def max(*args):  # noqa: A001
    """Maximum of two or more values (elementwise ``maximum`` for two, a reduction for more).

    >>> max(1, 2), max([3, "7/2", -1])
    (2, 7/2)
    """
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return _apply("max", *args)


def min(*args):  # noqa: A001
    """Minimum of two or more values.

    >>> min(1, "1/2", 0)
    0
    """
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return _apply("min", *args)


def clip(x, lo, hi):
    """``x`` clipped to ``[lo, hi]`` (constant bounds).

    >>> clip(5, 0, 1), clip("1/2", 0, 1), clip(-5, 0, 1)
    (1, 1/2, 0)
    """
    return _apply("clip", x, lo, hi)


def leaky_relu(x, alpha="1/100"):
    """``x if x >= 0 else alpha * x`` (constant alpha).

    >>> leaky_relu(3), leaky_relu(-2, "1/10")
    (3, -1/5)
    """
    return _apply("leaky_relu", x, alpha)


def sort(*args):
    """Ascending sort; returns a tuple whose entries share one piece (a permutation).

    >>> sort(3, 1, 2), sort(["1/2", 0])
    ((1, 2, 3), (0, 1/2))
    """
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return _apply("sort", *args)


def where(cond, a, b):
    """``a if cond else b`` for a traced comparison ``cond`` (``x > 0``, ``x == y`` ...).

    Becomes a branching node whose pieces are ``a`` and ``b``; at a tie (``cond``'s two
    sides equal) the branch Python would run is the lowest piece.  The program must stay
    continuous: ``a`` and ``b`` must agree where the two sides are equal.

    ``a`` and ``b`` may be tuples (or lists) of the same shape: the result is a tuple
    whose entries share **one** choice (one vector selection, like ``sort``), as one
    ``if`` statement assigning several variables.

    >>> import selcalc
    >>> P = selcalc.trace(lambda x: sum(selcalc.where(x >= 0, (x, x), (0, 0))))
    >>> print(P)
    program (p=1, q=1, m=4)
      input x
      x2, x3 = (x, x) if x >= 0 else (0, 0)
      x4 = x2 + x3
      return x4
    """
    if isinstance(cond, Comparison):
        builder = cond.builder
        lift = Tracer(builder, 0)._lift

        def lift_all(v):
            return type(v)(lift_all(u) for u in v) if isinstance(v, (tuple, list)) else lift(v)
        return wrap(builder, builder.where(cond.lhs, cond.op, cond.rhs, lift_all(a),
                                           lift_all(b)))
    if isinstance(cond, bool):
        return a if cond else b
    raise SelcalcError("where(cond, a, b) needs a comparison of traced values (x > 0) or a bool")


__all__ = ["Real", "abs", "clip", "cos", "exp", "leaky_relu", "log", "max", "min", "relu", "sigmoid",
           "sin", "softplus", "sort", "sqrt", "tanh", "where"]
