"""The integral rule: ``E_ξ[D(·, ξ)]`` is conservative for ``F = E_ξ[f(·, ξ)]``.

Bolte, Le, Pauwels and Silveti-Falls ("Nonsmooth implicit differentiation for machine
learning and optimization", NeurIPS 2021, arXiv:2106.04350) and Bolte & Pauwels
("Conservative set valued fields, automatic differentiation, stochastic gradient methods
and deep learning", Math. Programming 2021, arXiv:1909.10300): if ``D(·, ξ)`` is a
conservative field for ``f(·, ξ)`` for every ``ξ`` (with an integrable bound), the
expectation of the fields is conservative for the expectation of the functions.  Clarke
subgradients have no such rule: for ``f(w, s) = s|w|`` and the law ``½δ₋₁ + ½δ₁``,
``F = 0`` so ``∂^c F(0) = {0}`` while ``E[∂^c_w f(0, ξ)] = [−1, 1]``.

The program ``P`` has inputs ``(w, ξ)`` (``ξ`` last).  Laws: a finite discrete law
``{ξ: probability}`` (exact probabilities summing to 1; ``ξ`` a number or a tuple) or
:class:`Uniform` on an interval (scalar ``ξ``).

>>> import selcalc
>>> P = selcalc.parse("def f(w, s):\\n    return s * abs(w)")
>>> E = selcalc.expectation(P, 0, {-1: "1/2", 1: "1/2"})
>>> E.value, str(E.conservative), str(E.clarke)
(0, '[-1, 1]', '{0}')
>>> U = selcalc.expectation(P, 0, selcalc.Uniform(-1, 1), field="ad_outputs")
>>> str(U.conservative), str(U.clarke)
('[-1/2, 1/2]', '{0}')
>>> str(selcalc.expectation(P, 0, selcalc.Uniform(-1, 1)).conservative)
'[-1/2, 1/2]'

For :class:`Uniform` and a scalar ``w``, ``.clarke`` and the ``"clarke"`` field are
certified: ``F'(w±) = ∫ ∂_w^± f(w, ξ) dξ`` (dominated convergence: ``f`` is continuous and
piecewise polynomial, hence locally Lipschitz), with the one-sided partials computed
exactly between the exact algebraic points where the pieces that apply on each side
change.  Programs with non-polynomial pieces get :class:`~selcalc.errors.Undecided`.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction
from functools import cached_property

import sympy

from ..curves import breakpoints, segment
from ..errors import SelcalcError, Undecided
from ..fields import ad_outputs, clarke, index_closure
from ..frontends import trace
from ..numbers import canonical, compare, exact, rational_between, sign, sort_unique, to_sympy
from ..points import long_printing
from ..selection import Selection
from ..sets import ConvexSet
from ..theorems.chain_rule import compose, stack
from . import _onesided as _os

FIELDS = {"clarke": clarke, "ad_outputs": ad_outputs, "index_closure": index_closure}


@long_printing
class Uniform:
    """The uniform law on ``[lo, hi]`` (exact rational ends)."""

    def __init__(self, lo, hi):
        lo, hi = exact(lo), exact(hi)
        if not all(isinstance(v, (int, Fraction)) for v in (lo, hi)) or not lo < hi:
            raise SelcalcError(f"Uniform needs rational ends lo < hi, got {lo}, {hi}")
        self.lo, self.hi = lo, hi

    def __repr__(self):
        return f"Uniform({self.lo}, {self.hi})"


def _discrete(law):
    items = []
    for xi, prob in law.items():
        xi = tuple(exact(v) for v in xi) if isinstance(xi, (tuple, list)) else (exact(xi),)
        items.append((xi, exact(prob)))
    total = sum(to_sympy(p) for _, p in items)
    if any(sign(p) < 0 for _, p in items) or total != 1:
        raise SelcalcError(f"a discrete law needs nonnegative probabilities summing to 1; "
                           f"these sum to {total}")
    return items


def fix_last(P, xi):
    """The program ``w ↦ P(w, ξ)`` with the last ``len(ξ)`` inputs fixed to ``ξ``."""
    p = P.p - len(xi)
    if p < 1:
        raise SelcalcError(f"the program has {P.p} inputs: no room for w besides ξ = {xi}")
    feed = trace(lambda *w: tuple(w) + tuple(xi), p)
    Q = compose(feed, P)
    Q.input_names = P.input_names[:p]
    return Q


def _minkowski(sets, weights, shape):
    pts = []
    for combo in itertools.product(*(S._vertex_vectors for S in sets)):
        pts.append(tuple(sum(to_sympy(w) * to_sympy(v[j]) for w, v in zip(weights, combo))
                         for j in range(len(combo[0]))))
    return ConvexSet([tuple(canonical(c) for c in pt) for pt in pts], shape=shape)


@long_printing
class Expectation:
    """``F(w) = E f(w, ξ)`` at one point, with the two set-valued derivatives.

    ``value``: ``F(w)`` exactly; ``conservative``: ``E[D(w, ξ)]`` (a ConvexSet) for the
    chosen field ``D``; ``clarke``: ``∂^c F(w)`` computed from ``F`` itself.  Computed
    when first read.
    """

    def __init__(self, P, w, law, field):
        self.program, self.law, self.field = P, law, field
        if field not in FIELDS:
            raise SelcalcError(f"field must be one of {sorted(FIELDS)}, not {field!r}")
        self.xi_dim = 1 if isinstance(law, Uniform) else len(_discrete(law)[0][0])
        self.p = P.p - self.xi_dim
        w = tuple(w) if isinstance(w, (tuple, list)) else (w,)
        if len(w) != self.p:
            raise SelcalcError(f"w has {len(w)} coordinates but the program has "
                               f"{P.p} inputs and ξ has {self.xi_dim}")
        self.w = tuple(exact(v) for v in w)
        if P.q != 1:
            raise SelcalcError("expectation needs a scalar program f(w, ξ)")

    # ------------------------------------------------------------------ discrete law
    @cached_property
    def _items(self):
        return _discrete(self.law)

    @cached_property
    def program_F(self):
        """For a discrete law: the program ``w ↦ Σ_j p_j f(w, ξ_j)``."""
        if isinstance(self.law, Uniform):
            raise SelcalcError("a continuous law has no finite program for F")
        parts = [fix_last(self.program, xi) for xi, _ in self._items]
        probs = [to_sympy(p) for _, p in self._items]
        combo = trace(lambda *u: functools.reduce(
            lambda acc, cv: acc + cv[0] * cv[1], zip(probs[1:], u[1:]), probs[0] * u[0]),
            len(parts))
        F = compose(stack(*parts) if len(parts) > 1 else parts[0], combo)
        F.input_names = self.program.input_names[:self.p]
        return F

    # ------------------------------------------------------------------ uniform law
    def _curve(self):
        lo, hi = self.law.lo, self.law.hi
        return segment(self.w + (lo,), self.w + (hi,))

    def _pieces(self):
        """(interval in t, patterns) along s = lo + t (hi - lo); F = ∫_0^1 f dt."""
        bp = breakpoints(self.program, self._curve())
        return list(zip(bp.intervals, bp.pieces))

    def _along(self, expr):
        S = Selection(self.program)
        curve = self._curve()
        return expr.xreplace(dict(zip(S.symbols, curve.exprs)))

    @cached_property
    def value(self):
        """``F(w) = E f(w, ξ)`` exactly."""
        if not isinstance(self.law, Uniform):
            total = sum(to_sympy(p) * to_sympy(self.program(*(self.w + xi)))
                        for xi, p in self._items)
            return canonical(total)
        from ..curves import T
        S = Selection(self.program)
        total = sympy.Integer(0)
        for (a, b), pats in self._pieces():
            f = self._along(S.piece(_full(self.program, pats[0])))
            total += sympy.integrate(sympy.expand(f), (T, to_sympy(a), to_sympy(b)))
        return canonical(sympy.simplify(total))

    @cached_property
    def conservative(self):
        """``E[D(w, ξ)]`` for the chosen field, exactly (Minkowski-weighted sum / Aumann
        integral)."""
        if not isinstance(self.law, Uniform):
            fld = FIELDS[self.field]
            sets = [fld(fix_last(self.program, xi), self.w) for xi, _ in self._items]
            return _minkowski(sets, [p for _, p in self._items], None)
        if self.field == "clarke":
            return self._clarke_aumann()
        if self.field != "ad_outputs":
            raise SelcalcError(
                "for a continuous law selcalc integrates the ad_outputs field (the hull of "
                "the tie-consistent gradients in w, constant on each piece of the ξ-axis) or "
                "the clarke field (scalar w, piecewise-polynomial f); the index_closure "
                "field is not integrated: pass field='ad_outputs' or field='clarke'")
        return self._aumann()

    def _aumann(self):
        from ..curves import T
        S = Selection(self.program)
        lower = [sympy.Integer(0)] * self.p
        upper = [sympy.Integer(0)] * self.p
        for (a, b), pats in self._pieces():
            grads = []
            for pat in pats:
                f = S.piece(_full(self.program, pat))
                grads.append([sympy.expand(self._along(sympy.diff(f, s)))
                              for s in S.symbols[:self.p]])
            distinct = {tuple(g) for g in grads}
            if len(distinct) > 1 and self.p > 1:
                raise SelcalcError("the field is set-valued on a set of positive measure and "
                                   "w has several coordinates: its Aumann integral is a convex "
                                   "body that is not a polytope in general; not computed")
            for j in range(self.p):
                funcs = sorted({g[j] for g in grads}, key=str)
                lo_part, hi_part = _integrate_envelope(funcs, a, b, T)
                lower[j] += lo_part
                upper[j] += hi_part
        lo_v = tuple(canonical(sympy.simplify(v)) for v in lower)
        hi_v = tuple(canonical(sympy.simplify(v)) for v in upper)
        return ConvexSet([lo_v, hi_v])

    @cached_property
    def clarke(self):
        """``∂^c F(w)``, computed from ``F`` itself (not from the fields of the terms)."""
        if not isinstance(self.law, Uniform):
            return clarke(self.program_F, self.w)
        return self._clarke_uniform()

    def _clarke_uniform(self):
        """``∂^c F(w) = [F'(w−), F'(w+)]`` (ordered), certified.

        ``f`` is continuous (programs are) and piecewise polynomial, hence locally Lipschitz,
        so by dominated convergence ``F'(w±) = ∫_0^1 ∂_w^± f(w, s(t)) dt``; the one-sided
        partials are exact polynomials on pieces with exact algebraic ends
        (:mod:`selcalc.beyond._onesided`).  ``F`` is semi-algebraic near ``w``, so ``F'`` has
        one-sided limits equal to ``F'(w±)`` and the Clarke set is their hull.
        """
        pieces = self._one_sided()
        right = sum((_os.integrate(dp, a, b) for a, b, dp, _ in pieces), sympy.Integer(0))
        left = sum((_os.integrate(dm, a, b) for a, b, _, dm in pieces), sympy.Integer(0))
        return ConvexSet([(canonical(left),), (canonical(right),)])

    def _one_sided(self):
        if self.p != 1:
            raise SelcalcError("for a continuous law the Clarke sets are computed for a "
                               "scalar w only")
        return _os.one_sided_partials(self.program, self.w[0], self.law.lo, self.law.hi)

    def _clarke_aumann(self):
        """``E[∂^c_w f(w, ξ)]``: for each ``ξ`` the Clarke set of the one-variable
        piecewise-polynomial ``f(·, ξ)`` is the hull of its one-sided derivatives, so the
        Aumann integral is ``[∫ min(∂⁺, ∂⁻), ∫ max(∂⁺, ∂⁻)]``, computed exactly."""
        lower, upper = _os.envelope(self._one_sided())
        return ConvexSet([(canonical(lower),), (canonical(upper),)])


def _full(P, pattern):
    return {g: pattern.get(g, 0) for g in P.branching_groups}


def _integrate_envelope(funcs, a, b, T):
    """``∫_a^b min(funcs) dt`` and ``∫_a^b max(funcs) dt`` exactly (polynomials in t)."""
    if len(funcs) == 1:
        val = sympy.integrate(funcs[0], (T, to_sympy(a), to_sympy(b)))
        return val, val
    cuts = set()
    for f, g in itertools.combinations(funcs, 2):
        diff = sympy.expand(f - g)
        if not diff.is_polynomial(T):
            raise Undecided(f"cannot compare {f} and {g} exactly (not polynomial)")
        for r in sympy.Poly(diff, T).real_roots() if diff.has(T) else []:
            if sign(r - to_sympy(a)) > 0 and sign(to_sympy(b) - r) > 0:
                cuts.add(r)
    # certified order of the cuts (sort_unique) and of the functions (never floats: two
    # values may agree to any number of digits)
    ends = [to_sympy(a)] + [to_sympy(r) for r in sort_unique(cuts)] + [to_sympy(b)]
    lo_total, hi_total = sympy.Integer(0), sympy.Integer(0)
    for u, v in zip(ends[:-1], ends[1:]):
        mid = to_sympy(rational_between(u, v))
        ordered = sorted(funcs, key=functools.cmp_to_key(
            lambda f, g: compare(f.subs(T, mid), g.subs(T, mid))))
        lo_f, hi_f = ordered[0], ordered[-1]  # the order is constant between the cuts
        lo_total += sympy.integrate(lo_f, (T, u, v))
        hi_total += sympy.integrate(hi_f, (T, u, v))
    return lo_total, hi_total


def expectation(P, w, distribution, field="clarke"):
    """``F(w) = E_ξ f(w, ξ)`` with ``E[D(w, ξ)]`` and ``∂^c F(w)`` (the integral rule).

    Parameters
    ----------
    P : Program
        Inputs ``(w, ξ)``, ``ξ`` last; scalar output.
    w : point (the first ``P.p − dim ξ`` inputs)
    distribution : dict ``{ξ: probability}`` or :class:`Uniform`
    field : ``"clarke"`` (default), ``"ad_outputs"`` or ``"index_closure"`` — the field
        ``D(·, ξ)`` of each ``f(·, ξ)``.  For :class:`Uniform`: ``"ad_outputs"``, or
        ``"clarke"`` for a scalar ``w`` and a piecewise-polynomial ``f``.

    Returns
    -------
    Expectation
        ``.value``, ``.conservative``, ``.clarke`` (and ``.program_F`` for discrete laws).

    >>> import selcalc
    >>> P = selcalc.parse("def f(w, s):\\n    return s * abs(w)")
    >>> E = expectation(P, 0, {-1: "1/2", 1: "1/2"})  # F = 0, but E[∂^c f] = [-1, 1]
    >>> str(E.conservative), str(E.clarke)
    ('[-1, 1]', '{0}')
    """
    return Expectation(P, w, distribution, field)


__all__ = ["Expectation", "Uniform", "expectation", "fix_last"]
