"""Exact real algebraic numbers for the one-parameter analyses of :mod:`selcalc.beyond`.

A number is either a ``Fraction`` or a :class:`Root`: the ``index``-th real root (in
increasing order) of an irreducible integer polynomial of degree at least two, with a
rational isolating interval that is refined on demand by exact bisection.  Two distinct
irreducible polynomials have no common root, so comparisons always terminate; nothing is
ever approximated by a float.

>>> from flint import fmpq_poly
>>> roots = roots_in(fmpq_poly([-2, 0, 1]) * fmpq_poly([-1, 3]), 0, 2)
>>> roots
[Fraction(1, 3), Root(x^2 + (-2), 1)]
>>> roots[1].sympy()
sqrt(2)
>>> between(roots[0], roots[1])
Fraction(1, 2)
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache, total_ordering

import sympy
from flint import fmpq, fmpq_poly, fmpz_poly

_X = sympy.Symbol("x")


def _q(v):
    v = Fraction(v)
    return fmpq(v.numerator, v.denominator)


def _frac(v):
    return Fraction(int(v.p), int(v.q))


@lru_cache(maxsize=4096)
def _isolate(coeffs):
    """Isolating intervals (Fractions) of the real roots of an irreducible polynomial."""
    poly = sympy.Poly(list(reversed(coeffs)), _X)
    return tuple((Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q)))
                 for (a, b), _ in poly.intervals())


@total_ordering
class Root:
    """The ``index``-th real root of the irreducible integer polynomial ``poly``."""

    __slots__ = ("poly", "index", "lo", "hi")

    def __init__(self, poly, index, lo, hi):
        self.poly, self.index, self.lo, self.hi = poly, index, Fraction(lo), Fraction(hi)

    def _sign_at(self, r):
        v = self.poly(_q(r))
        return (v > 0) - (v < 0)

    def refine(self):
        """Halve the isolating interval (exact bisection; the root is irrational)."""
        mid = (self.lo + self.hi) / 2
        if self._sign_at(mid) == self._sign_at(self.lo):
            self.lo = mid
        else:
            self.hi = mid

    def _key(self):
        return (tuple(int(c) for c in self.poly.coeffs()), self.index)

    def __eq__(self, other):
        return isinstance(other, Root) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __lt__(self, other):
        return compare(self, other) < 0

    def sympy(self):
        """The same number as a sympy ``CRootOf`` (or radical, when sympy simplifies it)."""
        coeffs = [int(c) for c in reversed(self.poly.coeffs())]
        return sympy.CRootOf(sympy.Poly(coeffs, _X), self.index,
                             radicals=self.poly.degree() == 2)

    def __float__(self):  # for display and plotting only, never for a decision
        while self.hi - self.lo > Fraction(1, 10 ** 18):
            self.refine()
        return float((self.lo + self.hi) / 2)

    def __repr__(self):
        return f"Root({self.poly}, {self.index})"


def compare(u, v):
    """The exact sign of ``u - v`` for Fractions / Roots."""
    if not isinstance(u, Root) and not isinstance(v, Root):
        return (u > v) - (u < v)
    if isinstance(u, Root) and isinstance(v, Root) and u == v:
        return 0
    while True:
        ulo, uhi = (u.lo, u.hi) if isinstance(u, Root) else (u, u)
        vlo, vhi = (v.lo, v.hi) if isinstance(v, Root) else (v, v)
        if uhi < vlo:
            return -1
        if vhi < ulo:
            return 1
        for w in (u, v):
            if isinstance(w, Root):
                w.refine()


def between(u, v):
    """A rational strictly between ``u < v`` (short when it can be)."""
    while True:
        hi_u = u.hi if isinstance(u, Root) else u
        lo_v = v.lo if isinstance(v, Root) else v
        if hi_u < lo_v:
            return _simplest(hi_u, lo_v)
        for w in (u, v):
            if isinstance(w, Root):
                w.refine()


def _simplest(a, b):
    """A rational strictly between the rationals a < b, with a small denominator."""
    den = 1
    while True:
        c = Fraction((a * den).__floor__() + 1, den)
        if c < b:
            return c
        den *= 2


def to_sympy(v):
    return v.sympy() if isinstance(v, Root) else sympy.Rational(v.numerator, v.denominator)


def integer_poly(poly):
    """The primitive integer polynomial with the roots of a nonzero ``fmpq_poly``."""
    num = poly.numer() if isinstance(poly, fmpq_poly) else fmpz_poly(poly)
    return num


def roots_in(poly, lo, hi):
    """The distinct real roots of a nonzero ``fmpq_poly`` in the open interval (lo, hi).

    ``lo`` / ``hi`` are Fractions, Roots or ``None`` (unbounded).  Sorted increasingly.
    """
    if poly.degree() <= 0:
        return []
    _, factors = integer_poly(poly).factor()
    out = []
    for f, _ in factors:
        if f.degree() == 1:
            b, a = (int(c) for c in f.coeffs())
            cands = [Fraction(-b, a)]
        else:
            if f.coeffs()[-1] < 0:
                f = -f
            cands = [Root(f, i, a, b)
                     for i, (a, b) in enumerate(_isolate(tuple(int(c) for c in f.coeffs())))]
        for r in cands:
            if (lo is None or compare(r, lo) > 0) and (hi is None or compare(r, hi) < 0):
                out.append(r)
    out.sort(key=_SortKey)
    return out


class _SortKey:
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return compare(self.v, other.v) < 0


def unique_sorted(values):
    """Fractions / Roots sorted increasingly, exact duplicates removed."""
    values = sorted(values, key=_SortKey)
    out = []
    for v in values:
        if not out or compare(v, out[-1]) != 0:
            out.append(v)
    return out


def sign_at(poly, r):
    """The exact sign of an ``fmpq_poly`` at a rational ``r``."""
    v = poly(_q(r))
    return (v > 0) - (v < 0)


def poly_sign_at_root(poly, root):
    """The exact sign of an ``fmpq_poly`` at a :class:`Root` or Fraction.

    Zero exactly when the root's irreducible polynomial divides ``poly``; otherwise the
    isolating interval is refined until ``poly`` has no root in it.
    """
    if not isinstance(root, Root):
        return sign_at(poly, root)
    if poly == 0:
        return 0
    num = integer_poly(poly)
    if num % root.poly == 0:
        return 0
    while True:
        inner = roots_in(poly, root.lo, root.hi)
        if not inner and sign_at(poly, root.lo) != 0:
            return sign_at(poly, root.lo)
        root.refine()


__all__ = ["Root", "between", "compare", "poly_sign_at_root", "roots_in", "sign_at",
           "to_sympy"]
