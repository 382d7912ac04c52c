"""Exact signs of rational functions of one real algebraic number (a ``sympy.CRootOf``).

A breakpoint along a polynomial curve is a root ``r`` of an irreducible polynomial ``F``
(sympy's ``CRootOf`` keeps the irreducible factor).  A value met there is, after the
curve is substituted, ``p(r) / q(r)`` with rational ``p``, ``q``.  Its sign is decided
without approximating ``r`` in floating point:

* zero: ``p(r) = 0`` exactly when ``r`` is a root of ``g = gcd(p mod F, F)``, and since
  ``F`` is squarefree with a single root in ``r``'s isolating interval ``[a, b]``, that is
  when ``g`` changes sign on ``[a, b]`` (exact rational evaluations);
* otherwise ``r``'s isolating interval is bisected (exact rational signs of ``F``) until
  the mean value bound ``|p(r) - p(m)| <= max|p'| (b - a) / 2`` at the midpoint ``m``
  leaves no doubt about the sign.

sympy's own route for such numbers (``is_zero``, ``minimal_polynomial`` of a sum of
powers of the root) takes minutes at degree 30-50; this one takes milliseconds.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> r = sympy.CRootOf(x**5 - 3*x + 1, 1)          # the root in (0, 1/2)
>>> root_sign(r**5 - 3*r + 1), root_sign(r - sympy.Rational(1, 3)), root_sign(2*r**5 - 1)
(0, 1, -1)
>>> root_sign(sympy.sqrt(2) - 1) is None           # not a function of one CRootOf
True
"""

from __future__ import annotations

import sympy
from flint import fmpq, fmpq_poly

from .errors import Undecided
from .points import exact_str

#: bisections of an isolating interval (bits of the root) before a value proved nonzero
#: whose sign is still not settled is reported as :class:`selcalc.Undecided` (about a
#: second at degree 50; sympy's interval route stops at 500 digits, about 1660 bits)
MAX_BISECTIONS = 1500

_X = sympy.Dummy("x")


def root_sign(expr):
    """The sign (-1, 0, 1) of ``expr``, a rational function with rational coefficients of
    one real ``CRootOf``; None when ``expr`` is not of that form.  Raises
    :class:`selcalc.Undecided` for a value proved nonzero whose sign
    :data:`MAX_BISECTIONS` bisections did not settle (never a slower route after it)."""
    roots = expr.atoms(sympy.CRootOf)
    if len(roots) != 1:
        return None
    (r,) = roots
    if not r.is_real or any(not a.is_Rational for a in expr.atoms(sympy.Number)):
        return None
    poly = _poly_in(expr, r)  # the common case; together() on long sums is slow
    if poly is not None:
        return _sign_at(poly, r)
    num, den = sympy.fraction(sympy.together(expr))
    signs = []
    for part in (num, den):
        poly = _poly_in(part, r)
        if poly is None:
            return None
        found = _sign_at(poly, r)
        if found is None:
            return None
        signs.append(found)
    if signs[1] == 0:
        return None  # a division by 0: not a number; the caller's route says so
    return signs[0] * signs[1]


def _poly_in(expr, r):
    """``expr`` as a flint ``fmpq_poly`` in ``r``, or None when it is not a polynomial
    with rational coefficients in ``r``."""
    try:
        poly = sympy.Poly(expr.xreplace({r: _X}), _X)  # a symbol: CRootOf hashes slowly
    except sympy.PolynomialError:
        return None
    if poly.gens != (_X,) or not poly.domain.is_QQ and not poly.domain.is_ZZ:
        return None
    return fmpq_poly([fmpq(int(c.p), int(c.q)) for c in reversed(poly.all_coeffs())])


def _sign(q):
    return (q > 0) - (q < 0)


def _sign_at(p, r):
    """Sign of the polynomial ``p`` (an ``fmpq_poly``) at the real root ``r``."""
    f = fmpq_poly([fmpq(int(c.p), int(c.q)) for c in reversed(r.poly.all_coeffs())])
    box = r._get_interval()
    a, b = fmpq(int(box.a.p), int(box.a.q)), fmpq(int(box.b.p), int(box.b.q))
    fa = _sign(f(a))
    if fa == 0 or fa == _sign(f(b)):
        return None  # not an isolating interval with a sign change: not our case
    p = p % f
    if p.is_zero():
        return 0
    g = p.gcd(f)
    if g.degree() > 0 and _sign(g(a)) * _sign(g(b)) < 0:
        return 0  # g divides the squarefree F: its one root in [a, b] is r
    reach = max(abs(a), abs(b))  # |p'| <= bound on [a, b] and on every sub-interval
    bound = sum((abs(c) * reach ** i for i, c in enumerate(p.derivative().coeffs())),
                fmpq(0))
    for _ in range(MAX_BISECTIONS):
        m = (a + b) / 2
        pm = p(m)
        if abs(pm) > bound * (b - a) / 2:
            return _sign(pm)
        fm = _sign(f(m))
        if fm == 0:
            return None  # a rational root of F: F was not irreducible
        if fm == fa:
            a = m
        else:
            b = m
    raise Undecided(f"a polynomial of degree {p.degree()} is proved nonzero at the root {r} of "
                    f"{exact_str(r.poly.as_expr())}, but its sign was not settled after "
                    f"{MAX_BISECTIONS} bisections of the root's interval (raise "
                    f"selcalc.rootsign.MAX_BISECTIONS)")
