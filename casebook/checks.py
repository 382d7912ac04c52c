"""Small helpers the cases use to turn an engine computation into a :class:`Claim`.

Every helper *defers* the computation: the returned claim's ``check()`` runs the engine
when the casebook runs, and returns a :class:`selcalc.Verdict` whose certificate holds the
exact values the engine found (and the value the source states), so the rendering can show
them.

>>> from casebook.checks import equals, same
>>> c = equals("1 + 1 is 2", lambda: 1 + 1, 2)
>>> c.check().holds, c.check().certificate["engine"]
(True, 2)
>>> same((1, "1/2"), (1, 0.5))
True
"""

from __future__ import annotations

from fractions import Fraction

import sympy

import selcalc
from selcalc import certificates
from selcalc import ConvexSet, Verdict

from .registry import Claim


# ---------------------------------------------------------------------- exact values
def _sym(v):
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    if isinstance(v, str):
        return sympy.Rational(Fraction(v)) if _is_fraction(v) else sympy.sympify(v)
    return sympy.sympify(v)


def _is_fraction(text):
    try:
        Fraction(text)
    except (ValueError, ZeroDivisionError):
        return False
    return True


def same(a, b) -> bool:
    """Exact equality of numbers, tuples, sympy matrices and :class:`selcalc.ConvexSet`."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, ConvexSet) or isinstance(b, ConvexSet):
        return isinstance(a, ConvexSet) and isinstance(b, ConvexSet) and a == b
    if isinstance(a, sympy.MatrixBase) or isinstance(b, sympy.MatrixBase):
        A, B = sympy.Matrix(a), sympy.Matrix(b)
        return A.shape == B.shape and all(same(x, y) for x, y in zip(A, B))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))
                and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, float) or isinstance(b, float):
        raise TypeError("compare exact values, not floats")
    return sympy.simplify(_sym(a) - _sym(b)) == 0


def fmt(value, limit=400) -> str:
    """A readable exact rendering of an engine value."""
    if isinstance(value, Verdict):
        text = str(value)
    elif isinstance(value, ConvexSet):
        text = str(value)
    elif isinstance(value, sympy.MatrixBase):
        text = "[" + "; ".join(", ".join(str(c) for c in value.row(i))
                               for i in range(value.rows)) + "]"
    elif isinstance(value, Fraction):
        text = str(value)
    elif isinstance(value, tuple):
        text = "(" + ", ".join(fmt(v, limit) for v in value) + ("," if len(value) == 1 else "") \
            + ")"
    elif isinstance(value, list):
        text = "[" + ", ".join(fmt(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{fmt(k, limit)}: {fmt(v, limit)}" for k, v in value.items()) \
            + "}"
    elif isinstance(value, set):
        text = "{" + ", ".join(sorted(fmt(v, limit) for v in value)) + "}"
    else:
        text = str(value)
    if limit and len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


# ---------------------------------------------------------------------- claims
def claim(description, fn, expected=True):
    """A claim whose check is ``fn()``.

    ``fn`` returns a Verdict (passed through), a bool, or a pair ``(bool, values)`` where
    ``values`` is a dict of the engine's exact values shown beside the claim.
    """
    def check():
        out = fn()
        if isinstance(out, Verdict):
            return out
        if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict):
            holds, values = out
            return Verdict(None if holds is None else bool(holds), description, values)
        return Verdict(bool(out), description)
    return Claim(description, check, expected)


def equals(description, compute, stated, expected=True):
    """Claim: the engine's ``compute()`` equals the value the source ``stated``."""
    def fn():
        value = compute()
        return same(value, stated), {"engine": value, "stated": stated}
    return claim(description, fn, expected)


def contains(description, set_fn, v, expected=True):
    """Claim: ``v`` lies in the set ``set_fn()`` (a ConvexSet); certificate re-checked.

    ``v`` may be a callable, evaluated when the claim is checked.
    """
    def fn():
        S = set_fn()
        point = v() if callable(v) else v
        verdict = S.contains(point)
        certificates.check_membership(S, point, verdict)
        return verdict.holds, {"set": S, "point": point, "certificate": verdict.certificate}
    return claim(description, fn, expected)


def subset(description, small_fn, big_fn, expected=True):
    """Claim: ``small_fn() ⊆ big_fn()`` (exact, vertex by vertex)."""
    def fn():
        A, B = small_fn(), big_fn()
        return A.issubset(B), {"subset": A, "superset": B}
    return claim(description, fn, expected)


def grad_at(P, x, convention="selection", mode="backward"):
    return lambda: selcalc.grad(P, x, convention=convention, mode=mode)


# ---------------------------------------------------------------------- one-variable proofs
def same_function_1d(P, Q, lo, hi):
    """Verdict: the one-input programs P and Q compute the same function on ``[lo, hi]``.

    A proof, not a sampling: the exact breakpoints of both programs along the segment cut
    it into open intervals on which each program is one smooth piece ``f_σ``; the pieces
    are compared symbolically on every interval, and continuity covers the breakpoints.
    """
    curve = selcalc.segment((lo,), (hi,))
    bp_p, bp_q = selcalc.breakpoints(P, curve), selcalc.breakpoints(Q, curve)
    t = sympy.Symbol("t")
    cuts = sorted({*bp_p.points, *bp_q.points}, key=lambda r: sympy.N(r, 50))
    ends = [sympy.Integer(0), *[sympy.sympify(c) for c in cuts], sympy.Integer(1)]
    sel_p, sel_q = selcalc.selection(P), selcalc.selection(Q)
    checked = []
    for a, b in zip(ends[:-1], ends[1:]):
        mid = (a + b) / 2
        x = curve(mid)
        f_p = sel_p.piece(sel_p.index(x)).subs(sel_p.symbols[0], t)
        f_q = sel_q.piece(sel_q.index(x)).subs(sel_q.symbols[0], t)
        if sympy.simplify(f_p - f_q) != 0:
            return Verdict(False, f"{P.name} = {Q.name} on [{lo}, {hi}]",
                           {"interval (curve parameter)": (a, b), P.name: f_p, Q.name: f_q})
        checked.append((curve(a)[0], curve(b)[0], f_p))
    return Verdict(True, f"{P.name} = {Q.name} on [{lo}, {hi}]",
                   {"pieces": [f"({fmt(a)}, {fmt(b)}): {f}" for a, b, f in checked]},
                   checked=[f"{len(checked)} open intervals, pieces equal symbolically"])
