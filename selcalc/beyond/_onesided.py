"""Certified one-sided partial derivatives ``∂_w^± f(w0, s)`` of a piecewise-polynomial
scalar program along a segment ``s = lo + t (hi − lo)``, ``t ∈ [0, 1]`` (scalar ``w``).

For a fixed ``s`` and small ``h``, a pattern ``σ`` applies at ``(w0 + h, s)`` iff each of its
closed conditions ``τ(w0 + h, s) rel 0`` holds; writing ``τ(w0 + h, s(t)) = Σ_k c_k(t) h^k``,
for ``h → 0±`` the sign of ``τ`` is that of the lowest nonzero ``c_k(t)`` (times
``(±1)^k``).  So outside the exact roots of those lowest coefficients the patterns that
apply on each side are constant on open intervals of ``t``: one rational point decides
them, and there ``∂_w^± f(w0, s(t)) = ∂_w f_σ(w0, s(t))``, a polynomial in ``t``.

>>> import selcalc
>>> P = selcalc.parse("def f(w, s):\\n    return s * abs(w)")
>>> [(str(a), str(b), str(r), str(l)) for a, b, r, l in one_sided_partials(P, 0, -1, 1)]
[('0', '1', '2*t - 1', '1 - 2*t')]
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from flint import fmpq_poly

from ..errors import SelcalcError, Undecided
from ..numbers import exact
from ..selection import Selection
from . import _algebraic as alg

T, H = sympy.Symbol("t"), sympy.Symbol("h")


def _qpoly(expr):
    """A polynomial in ``t`` with rational coefficients as an ``fmpq_poly``."""
    coeffs = sympy.Poly(sympy.expand(expr), T).all_coeffs()
    return fmpq_poly([alg._q(Fraction(int(c.p), int(c.q))) for c in reversed(coeffs)])


def _texpr(poly):
    return sum(sympy.Rational(int(c.p), int(c.q)) * T ** i
               for i, c in enumerate(poly.coeffs())) if poly != 0 else sympy.Integer(0)


def _lowest(tau):
    """``(k, c_k)``: the lowest nonzero coefficient of ``tau`` in ``h`` (None if tau ≡ 0)."""
    poly = sympy.Poly(sympy.expand(tau), H)
    for k, c in sorted(((m[0], c) for m, c in poly.terms())):
        q = _qpoly(c)
        if q != 0:
            return k, q
    return None


def _holds(rel, s):
    return {">=": s >= 0, "<=": s <= 0, "==": s == 0}[rel]


def one_sided_partials(P, w0, lo, hi, max_patterns=4096):
    """``[(a, b, d⁺(t), d⁻(t))]``: on each open piece ``(a, b)`` of ``[0, 1]`` (exact ends:
    Fractions or real algebraic :class:`~selcalc.beyond._algebraic.Root`), the right and
    left partial derivatives in ``w`` at ``(w0, lo + t (hi − lo))``, as sympy polynomials
    in ``t``.  Raises :class:`Undecided` (with the reason) when a piece or a test is not
    polynomial in ``(w, s)``.
    """
    if P.p != 2 or P.q != 1:
        raise SelcalcError("one-sided partials need a scalar program f(w, s) of two inputs")
    S = Selection(P)
    S.check_budget(max_patterns)
    w, s = S.symbols
    w0, lo, hi = (sympy.Rational(exact(v)) for v in (w0, lo, hi))
    sub = {w: w0 + H, s: lo + T * (hi - lo)}
    patterns = []
    for sigma, f in S:
        conds = S.conditions(sigma)
        for e in [f] + [c for c, _ in conds]:
            if not sympy.sympify(e).is_polynomial(w, s):
                raise Undecided(f"{e} is not polynomial in (w, ξ): the one-sided derivatives "
                                f"of F are not certified for this program")
        low = [(_lowest(sympy.sympify(c).xreplace(sub)), rel) for c, rel in conds]
        dw = sympy.expand(sympy.diff(f, w).xreplace({w: w0, s: sub[s]}))
        patterns.append((low, dw))
    cut_polys = {tuple(lw[1].coeffs()): lw[1] for low, _ in patterns for lw, _ in low
                 if lw is not None and lw[1].degree() > 0}
    cuts = []
    for poly in cut_polys.values():
        cuts.extend(alg.roots_in(poly, Fraction(0), Fraction(1)))
    ends = [Fraction(0)] + alg.unique_sorted(cuts) + [Fraction(1)]
    out = []
    for a, b in zip(ends[:-1], ends[1:]):
        t0 = alg.between(a, b)
        sides = []
        for side in (1, -1):
            derivs = set()
            for low, dw in patterns:
                ok = True
                for lw, rel in low:
                    sgn = 0 if lw is None else alg.sign_at(lw[1], t0) * side ** lw[0]
                    ok = ok and _holds(rel, sgn)
                if ok:
                    derivs.add(dw)
            if len(derivs) != 1:
                raise Undecided(f"at t = {t0} the patterns that apply for w → {w0}"
                                f"{'+' if side > 0 else '-'} give {len(derivs)} different "
                                f"slopes")
            sides.append(derivs.pop())
        out.append((a, b, sides[0], sides[1]))
    return out


def integrate(poly_t, a, b):
    """``∫_a^b poly_t dt`` exactly (``a, b`` Fractions or Roots)."""
    prim = sympy.integrate(poly_t, T)
    return sympy.expand(prim.subs(T, alg.to_sympy(b)) - prim.subs(T, alg.to_sympy(a)))


def envelope(pieces):
    """``(∫ min(d⁺, d⁻), ∫ max(d⁺, d⁻))`` over ``[0, 1]``, cutting at the exact roots of
    ``d⁺ − d⁻`` and ordering at a rational point of each sub-piece."""
    lower = upper = sympy.Integer(0)
    for a, b, dp, dm in pieces:
        diff = sympy.expand(dp - dm)
        inner = [] if diff == 0 else alg.roots_in(_qpoly(diff), a, b)
        ends = [a] + inner + [b]
        for u, v in zip(ends[:-1], ends[1:]):
            s = 0 if diff == 0 else alg.sign_at(_qpoly(diff), alg.between(u, v))
            small, big = (dm, dp) if s >= 0 else (dp, dm)
            lower += integrate(small, u, v)
            upper += integrate(big, u, v)
    return lower, upper


__all__ = ["envelope", "integrate", "one_sided_partials"]
