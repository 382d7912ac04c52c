"""Bridges to the z3 SMT solver: exact real arithmetic (linear and nonlinear) decisions.

z3 decides existential formulas over the reals exactly (simplex for linear arithmetic,
nlsat for polynomial arithmetic).  Only polynomial / rational expressions are translated;
anything else raises :class:`NotPolynomial` so the caller can report *unknown*.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> s = solver()
>>> env = {x: z3.Real("x")}
>>> s.add(to_z3(x**2 - 2, env) == 0, env[x] > 0)
>>> s.check() == z3.sat
True
"""

from __future__ import annotations

from fractions import Fraction

import sympy
import z3

from .numbers import RATIONAL_TYPES, normalize


class NotPolynomial(Exception):
    """The expression is outside what the SMT bridge translates (exp, log, sin ...)."""


def solver(timeout_ms=10000):
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    return s


def rational(value):
    """A z3 real constant for an exact rational (or sympy Rational)."""
    value = normalize(value)
    if isinstance(value, RATIONAL_TYPES):
        f = Fraction(value)
        return z3.RealVal(f"{f.numerator}/{f.denominator}")
    raise NotPolynomial(f"{value} is not rational")


def to_z3(expr, env):
    """Translate a sympy polynomial / rational expression; symbols looked up in ``env``."""
    if isinstance(expr, RATIONAL_TYPES):
        return rational(expr)
    expr = sympy.sympify(expr)
    if expr in env:
        return env[expr]
    if expr.is_Rational:
        return z3.RealVal(f"{expr.p}/{expr.q}")
    if expr.is_Add:
        out = to_z3(expr.args[0], env)
        for a in expr.args[1:]:
            out = out + to_z3(a, env)
        return out
    if expr.is_Mul:
        out = to_z3(expr.args[0], env)
        for a in expr.args[1:]:
            out = out * to_z3(a, env)
        return out
    if expr.is_Pow and expr.exp.is_Integer:
        base = to_z3(expr.base, env)
        n = int(expr.exp)
        out = z3.RealVal(1)
        for _ in range(abs(n)):
            out = out * base
        return out if n >= 0 else 1 / out
    raise NotPolynomial(f"cannot translate {expr} to polynomial arithmetic")


def condition(t, rel):
    """z3 formula for a closed condition ``t rel 0``."""
    return {">=": t >= 0, "<=": t <= 0, "==": t == 0}[rel]


def model_value(val):
    """An exact value from a z3 model value (Fraction, or a sympy algebraic number)."""
    if z3.is_rational_value(val):
        return normalize(Fraction(val.numerator_as_long(), val.denominator_as_long()))
    if z3.is_algebraic_value(val):
        x = sympy.Symbol("x")
        poly = sympy.Poly(sympy.sympify(str(val.poly()).replace("^", "**")), x)
        approx = sympy.Rational(str(val.approx(40).as_fraction()))
        for root in poly.real_roots():
            if abs(sympy.N(root - approx, 50)) < sympy.Rational(1, 10**20):
                return root
        raise NotPolynomial(f"could not convert the algebraic number {val}")
    raise NotPolynomial(f"unexpected model value {val}")
