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

from .numbers import RATIONAL_TYPES, compare, normalize
from .points import long_integers


class NotPolynomial(Exception):
    """The expression is outside what the SMT bridge translates (exp, log, sin ...)."""


#: z3's deterministic resource limit per check (``rlimit``): a count of internal steps,
#: the same on every machine and under any load, unlike a wall-clock timeout.  The
#: checks selcalc's test suite makes use at most about 6,000 units; 10^7 units take
#: roughly 5-15 seconds of z3 search on a laptop.  An answer past the limit is
#: ``unknown`` — the same ``unknown`` everywhere.
DEFAULT_RLIMIT = 10_000_000

#: the largest ``rlimit count`` seen by :class:`Solver` checks in this process (for tuning)
USAGE = {"max_rlimit": 0, "checks": 0}


class Solver:
    """A z3 solver that answers the same on every run, machine and load.

    Assertions are built in z3's main context as usual; :meth:`check` translates them into
    a *fresh* context (so no state left by earlier calls can change the search or the
    model) and runs under the deterministic resource limit ``rlimit``.  A wall-clock
    ``time_limit`` (seconds) is applied only when the caller asks for one.

    >>> x = z3.Real("x")
    >>> s = Solver()
    >>> s.add(x * x == 2, x > 0)
    >>> s.check() == z3.sat, sympy.expand(model_value(s.model().eval(x)) ** 2)
    (True, 2)
    """

    def __init__(self, rlimit=None, tactic=None, time_limit=None):
        self.rlimit = DEFAULT_RLIMIT if rlimit is None else int(rlimit)
        self.tactic, self.time_limit = tactic, time_limit
        self.assertions = []
        self._solver = None

    def add(self, *formulas):
        for f in formulas:
            if isinstance(f, (list, tuple)):
                self.add(*f)
            else:
                self.assertions.append(f)

    def set(self, key, value):  # compatibility: wall-clock limits are the caller's choice
        if key == "timeout":
            self.time_limit = value / 1000
        elif key == "rlimit":
            self.rlimit = int(value)
        else:
            raise ValueError(f"unsupported solver option {key!r}")

    def check(self):
        ctx = z3.Context()
        s = z3.Tactic(self.tactic, ctx).solver() if self.tactic else z3.Solver(ctx=ctx)
        s.set("rlimit", self.rlimit)
        if not self.tactic:
            s.set("random_seed", 0)
        if self.time_limit is not None:
            s.set("timeout", max(1, int(self.time_limit * 1000)))
        for f in self.assertions:
            s.add(f.translate(ctx))
        self._solver, self._ctx = s, ctx
        res = s.check()
        stats = s.statistics()
        used = stats.get_key_value("rlimit count") if "rlimit count" in stats.keys() else 0
        USAGE["max_rlimit"] = max(USAGE["max_rlimit"], used)
        USAGE["checks"] += 1
        return res

    def model(self):
        return _Model(self._solver.model(), self._ctx)

    def reason_unknown(self):
        why = self._solver.reason_unknown() if self._solver is not None else "not checked"
        if "max. resource limit" in why or "resource limit" in why:
            return (f"z3 reached its deterministic resource limit (rlimit={self.rlimit}); "
                    f"the answer is unknown on every machine")
        return why


class _Model:
    """A model of the fresh context; ``eval`` accepts terms of the main context."""

    def __init__(self, model, ctx):
        self._model, self._ctx = model, ctx

    def eval(self, term, model_completion=False):
        return self._model.eval(term.translate(self._ctx), model_completion=model_completion)


def solver(rlimit=None, *, tactic=None, time_limit=None):
    """A deterministic :class:`Solver` (``rlimit`` defaults to :data:`DEFAULT_RLIMIT`)."""
    return Solver(rlimit, tactic, time_limit)


@long_integers()  # z3 reads and writes numbers as decimal text
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
        return rational(expr)
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


@long_integers()
def model_value(val):
    """An exact value from a z3 model value (Fraction, or a sympy algebraic number)."""
    if z3.is_rational_value(val):
        return normalize(Fraction(val.numerator_as_long(), val.denominator_as_long()))
    if z3.is_algebraic_value(val):
        x = sympy.Symbol("x")
        raw = val.poly()
        if isinstance(raw, (list, tuple, z3.AstVector)):  # coefficients, constant first
            poly = sympy.Poly(sum(int(str(c)) * x ** i for i, c in enumerate(raw)), x)
        else:
            poly = sympy.Poly(sympy.sympify(str(raw).replace("^", "**")), x)
        # z3 promises |approx(k) - val| <= 10^-k; the root is the one real root of the
        # polynomial inside that window, found by certified comparisons (never floats)
        for digits in (40, 120, 400):
            approx = sympy.Rational(str(val.approx(digits).as_fraction()))
            eps = sympy.Rational(1, 10 ** digits)
            inside = [root for root in dict.fromkeys(poly.real_roots())
                      if compare(root, approx - eps) >= 0 and compare(approx + eps, root) >= 0]
            if len(inside) == 1:
                return inside[0]
            if not inside:
                break
        raise NotPolynomial(f"could not convert the algebraic number {val}")
    raise NotPolynomial(f"unexpected model value {val}")
