"""Build a Program by running a Python function on tracer objects (``selcalc.trace``).

Arithmetic on tracers records nodes; the functions of :mod:`selcalc.functions`
(``selcalc.relu``, ``selcalc.max``, ``selcalc.where`` ...) record primitive nodes.  Python
loops and lists just work; Python ``if`` on a tracer cannot (it would fix one branch), so
it raises :class:`selcalc.errors.TracerBoolError` pointing to ``selcalc.where``.

>>> import selcalc
>>> def net(x, y):
...     h = [selcalc.relu(w * x - y) for w in (1, 2, 3)]
...     return sum(h)
>>> P = selcalc.trace(net)
>>> P.p, P(1, 1)
(2, 3)
"""

from __future__ import annotations

import inspect

import sympy

from ..errors import ProgramError, TracerBoolError
from ..numbers import exact
from .builder import Builder, Const

_BOOL_MESSAGE = ("Python control flow (if, while, and/or, builtin max/min) cannot branch on a "
                 "traced value; use selcalc.where(cond, a, b), selcalc.max / selcalc.min, "
                 "or write the program as source and use selcalc.parse")


class Tracer:
    """A value being traced: a node of the program under construction."""

    __slots__ = ("builder", "value")
    __array_priority__ = 1000

    def __init__(self, builder, value):
        self.builder, self.value = builder, value

    def _lift(self, other):
        if isinstance(other, Tracer):
            if other.builder is not self.builder:
                raise ProgramError("tracers from two different traces were mixed")
            return other.value
        return Const(exact(other))

    def _wrap(self, v):
        return wrap(self.builder, v)

    def _bin(self, op, other, reverse=False):
        a, b = self.value, self._lift(other)
        if reverse:
            a, b = b, a
        return self._wrap(self.builder.binop(op, a, b))

    def __add__(self, o):
        return self._bin("+", o)

    def __radd__(self, o):
        return self._bin("+", o, True)

    def __sub__(self, o):
        return self._bin("-", o)

    def __rsub__(self, o):
        return self._bin("-", o, True)

    def __mul__(self, o):
        return self._bin("*", o)

    def __rmul__(self, o):
        return self._bin("*", o, True)

    def __truediv__(self, o):
        return self._bin("/", o)

    def __rtruediv__(self, o):
        return self._bin("/", o, True)

    def __pow__(self, o):
        return self._bin("**", o)

    def __neg__(self):
        return self._wrap(self.builder.neg(self.value))

    def __abs__(self):
        return self._wrap(self.builder.call("abs", [self.value]))

    def __pos__(self):
        return self

    def _cmp(self, op, other):
        return Comparison(self.builder, self.value, op, self._lift(other))

    def __gt__(self, o):
        return self._cmp(">", o)

    def __ge__(self, o):
        return self._cmp(">=", o)

    def __lt__(self, o):
        return self._cmp("<", o)

    def __le__(self, o):
        return self._cmp("<=", o)

    def __eq__(self, o):
        return self._cmp("==", o)

    __hash__ = object.__hash__

    def __bool__(self):
        raise TracerBoolError(_BOOL_MESSAGE)

    def _sympy_(self):
        # make sympy numbers hand arithmetic over to the Tracer's reflected operators
        raise sympy.SympifyError(self)

    def __float__(self):
        raise TracerBoolError("a traced value has no float value while tracing")

    def __index__(self):
        raise TracerBoolError("a traced value has no integer value while tracing (loop "
                              "bounds and indices must be Python numbers)")

    __int__ = __index__

    def __repr__(self):
        return f"<Tracer node {self.value}>"


class Comparison:
    """``lhs OP rhs`` on traced values: only usable as the condition of ``selcalc.where``."""

    __slots__ = ("builder", "lhs", "op", "rhs")

    def __init__(self, builder, lhs, op, rhs):
        self.builder, self.lhs, self.op, self.rhs = builder, lhs, op, rhs

    def __bool__(self):
        raise TracerBoolError(
            f"a comparison of traced values ({self.op}) was used as a Python bool. The "
            f"builtin max, min and sorted compare this way and cannot be traced: use "
            f"selcalc.max, selcalc.min or selcalc.sort; for if / while / and / or use "
            f"selcalc.where(cond, a, b)")


def wrap(builder, v):
    if isinstance(v, (tuple, list)):
        return type(v)(wrap(builder, u) for u in v)
    if isinstance(v, Const):
        return v.value
    return Tracer(builder, v)


def trace(fn, nargs=None):
    """Trace ``fn`` into a :class:`selcalc.Program`.

    Parameters
    ----------
    fn : callable
        Takes ``nargs`` scalar arguments and returns a scalar or a tuple / list of scalars.
    nargs : int, optional
        Number of inputs; default: the number of positional parameters of ``fn``.

    >>> from selcalc import relu
    >>> P = trace(lambda x, y: relu(x - y))
    >>> P.input_names, P(3, 1), P(1, 3)
    (('x', 'y'), 2, 0)
    """
    if nargs is None:
        sig = inspect.signature(fn)
        names = [n for n, p in sig.parameters.items()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        nargs = len(names)
    else:
        names = [f"x{i}" for i in range(1, nargs + 1)]
    builder = Builder()
    inputs = [Tracer(builder, builder.input(n)) for n in names]
    result = fn(*inputs)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    values = []
    for o in outs:
        if isinstance(o, Tracer):
            values.append(o.value)
        else:
            values.append(Const(exact(o)))
    return builder.finish(values, name=getattr(fn, "__name__", None))
