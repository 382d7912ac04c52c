"""Turn sympy piece expressions into plain Python functions on exact values.

The generated functions do rational arithmetic with ``int`` / ``Fraction`` (no sympy in
the hot loop) and fall back to sympy only for transcendental or irrational results.
Division by zero and logarithms / square roots outside their domain raise
:class:`ArithmeticError` subclasses that the interpreters turn into
:class:`selcalc.DomainError` naming the node.

>>> import sympy
>>> a1 = sympy.Symbol("a1")
>>> f = compile_expr(a1**2 / 3 + 1, ("a1",))
>>> f(3)
Fraction(4, 1)
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from ..numbers import normalize, sign, to_sympy


class OutOfDomain(ArithmeticError):
    """An elementary function was evaluated outside its domain."""


def _is_rat(v):
    return type(v) is int or type(v) is Fraction


def _inv(v):
    if _is_rat(v):
        if v == 0:
            raise ZeroDivisionError("division by zero")
        return Fraction(1) / v
    if sign(v) == 0:
        raise ZeroDivisionError("division by zero")
    return normalize(1 / to_sympy(v))


def _div(u, v):
    if _is_rat(u) and _is_rat(v):
        if v == 0:
            raise ZeroDivisionError("division by zero")
        return Fraction(u) / v
    return _mul(u, _inv(v))


def _mul(u, v):
    if _is_rat(u) and _is_rat(v):
        return u * v
    return normalize(to_sympy(u) * to_sympy(v))


def _sqrt(v):
    s = sign(v)
    if s < 0:
        raise OutOfDomain(f"sqrt of the negative number {v}")
    if _is_rat(v):
        f = Fraction(v)
        rn, rd = math.isqrt(f.numerator), math.isqrt(f.denominator)
        if rn * rn == f.numerator and rd * rd == f.denominator:
            return normalize(Fraction(rn, rd))
    return normalize(sympy.sqrt(to_sympy(v)))


def _rpow(v, q):
    """v ** q for a non-integer rational exponent q."""
    if q == Fraction(1, 2):
        return _sqrt(v)
    if q == Fraction(-1, 2):
        return _inv(_sqrt(v))
    if sign(v) <= 0:
        raise OutOfDomain(f"{v} ** {q} is outside the real domain")
    return normalize(to_sympy(v) ** to_sympy(q))


def _ipow(v, n):
    if n < 0:
        return _inv(_ipow(v, -n))
    if _is_rat(v):
        return v ** n
    return normalize(to_sympy(v) ** n)


def _exp(v):
    if _is_rat(v) and v == 0:
        return 1
    return normalize(sympy.exp(to_sympy(v)))


def _log(v):
    if sign(v) <= 0:
        raise OutOfDomain(f"log of the non-positive number {v}")
    if _is_rat(v) and v == 1:
        return 0
    return normalize(sympy.log(to_sympy(v)))


def _unary(fn, zero_value):
    def apply(v):
        if _is_rat(v) and v == 0:
            return zero_value
        return normalize(fn(to_sympy(v)))
    return apply


RUNTIME = {
    "_inv": _inv, "_div": _div, "_mul": _mul, "_sqrt": _sqrt, "_rpow": _rpow,
    "_ipow": _ipow, "_exp": _exp, "_log": _log, "Fraction": Fraction,
    "_sin": _unary(sympy.sin, 0), "_cos": _unary(sympy.cos, 1),
    "_tanh": _unary(sympy.tanh, 0), "_sinh": _unary(sympy.sinh, 0),
    "_cosh": _unary(sympy.cosh, 1), "_atan": _unary(sympy.atan, 0),
}

_FUNCTIONS = {
    sympy.exp: "_exp", sympy.log: "_log", sympy.sin: "_sin", sympy.cos: "_cos",
    sympy.tanh: "_tanh", sympy.sinh: "_sinh", sympy.cosh: "_cosh", sympy.atan: "_atan",
}


class _Printer:
    """Prints a sympy expression as Python source over exact runtime helpers."""

    def __init__(self, names):
        self.names = {sympy.Symbol(n): n for n in names}
        self.constants = {}

    def const(self, value):
        key = f"_k{len(self.constants)}"
        self.constants[key] = value
        return key

    def __call__(self, e):
        if e in self.names:
            return self.names[e]
        if e.is_Integer:
            return f"({int(e)})"
        if e.is_Rational:
            return self.const(Fraction(int(e.p), int(e.q)))
        if e.is_Number or e.is_NumberSymbol:
            return self.const(e)
        if e.is_Add:  # "a1 - a2", not "a1 + (-1) * a2": one exact operation, not two
            parts = []
            for a in e.args:
                negated = a.is_Mul and a.args[0] == -1
                text = self(-a) if negated else self(a)
                parts.append((" - " if negated else " + ") + text if parts else
                             ("-" + text if negated else text))
            return "(" + "".join(parts) + ")"
        if e.is_Mul and e.args[0] == -1:
            return f"(-{self(-e)})"
        if e.is_Mul:
            num, den = [], []
            for a in e.args:
                if a.is_Pow and a.exp.is_Integer and a.exp < 0:
                    den.append(self(a.base ** -a.exp))
                else:
                    num.append(self(a))
            text = " * ".join(num) if num else "1"
            if len(num) > 1:
                text = f"({text})"
            for d in den:
                text = f"_div({text}, {d})"
            return text
        if e.is_Pow:
            if e.exp.is_Integer:
                n = int(e.exp)
                if n >= 0:
                    return f"_ipow({self(e.base)}, {n})"
                return f"_inv(_ipow({self(e.base)}, {-n}))"
            if e.exp.is_Rational:
                return f"_rpow({self(e.base)}, {self(e.exp)})"
            return f"_exp(_mul({self(e.exp)}, _log({self(e.base)})))"
        name = _FUNCTIONS.get(e.func)
        if name is not None:
            return f"{name}({self(e.args[0])})"
        raise TypeError(f"selcalc cannot compile {e.func} in {e}")


def compile_exprs(exprs, names):
    """Compile a tuple of sympy expressions into one function returning a tuple."""
    printer = _Printer(names)
    body = ", ".join(printer(sympy.sympify(e)) for e in exprs)
    namespace = dict(RUNTIME)
    namespace.update(printer.constants)
    args = ", ".join(names)
    src = f"lambda {args}: ({body},)"
    return eval(src, namespace)  # noqa: S307 - source generated from sympy trees above


def compile_expr(expr, names):
    """Compile one sympy expression into a function of the named arguments."""
    printer = _Printer(names)
    body = printer(sympy.sympify(expr))
    namespace = dict(RUNTIME)
    namespace.update(printer.constants)
    return eval(f"lambda {', '.join(names)}: {body}", namespace)  # noqa: S307


def compile_sign_rows(exprs, names):
    """Compile expressions into one function from a list of argument rows to the list of
    their sign vectors (``-1``, ``0``, ``1`` per expression): one comprehension for many
    nodes.  For exact ``int`` / ``Fraction`` rows (a row is the bare value when there is
    one name); the batched interpreters (:mod:`selcalc.interpreters.elementwise`) call it
    on integer rows.

    >>> import sympy
    >>> a1, a2 = sympy.symbols("a1 a2")
    >>> compile_sign_rows([a1 - a2, a2], ("a1", "a2"))([(1, 2), (3, 0), (2, 2)])
    [(-1, 1), (1, 0), (0, 1)]
    """
    printer = _Printer(names)
    parts = [printer(sympy.sympify(e)) for e in exprs]
    body = "".join(f"((_t := {p}) > 0) - (_t < 0), " for p in parts)
    row = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
    namespace = dict(RUNTIME)
    namespace.update(printer.constants)
    src = f"lambda rows: [({body}) for {row} in rows]"
    return eval(src, namespace)  # noqa: S307 - source generated from sympy trees above
