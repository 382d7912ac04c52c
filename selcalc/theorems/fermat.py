"""Fermat's rule as a check: ``0 ∈ ∂^c f(x)`` at every local minimum, found exactly.

Fermat's rule for conservative fields (Bolte & Pauwels, Mathematical Programming 2021): at a local
minimum ``x`` of ``f``, ``0 ∈ conv D(x)`` for every conservative field ``D``; with the
Clarke subgradient, the smallest of them (``∂^c f ⊆ conv D``), ``0 ∈ ∂^c f(x)``.  Since
``∂^c(−f) = −∂^c f`` the same holds at local maxima.

For a one-input program on a bounded interval ``[lo, hi]`` the local extrema are found
exactly: along the segment, :func:`selcalc.breakpoints` splits ``[lo, hi]`` into open
pieces on which ``f`` is one smooth function ``f_J``.  The interior candidates are the
breakpoints and the zeros of ``f_J'`` on each open piece (exact real roots; a piece on
which ``f`` is constant makes every point of it a local minimum, checked at one point).
A candidate ``c`` is classified by the first nonzero derivative of the pieces on its left
and on its right (certified signs).  Then ``0 ∈ clarke(P, c)`` is checked at each local
minimum (and maximum, with ``include_maxima``), together with ``0 ∈ conv(ad_outputs)``.
Non-polynomial tests or derivatives give unknown (no certified root isolation).

>>> import selcalc
>>> P = selcalc.parse("def f(x):\\n    return abs(x - 1) + relu(-x) + (x - 3) ** 2 / 8")
>>> v = check_fermat(P, -2, 4)
>>> v.holds, [str(m["x"]) for m in v.certificate["minima"]]
(True, ['1'])
"""

from __future__ import annotations

import sympy

from ..curves import T, _roots_in, breakpoints, segment
from ..fields import ad_outputs, clarke
from ..interpreters.symbolic import node_expressions
from ..numbers import exact, rational_between, sign, to_sympy
from ..errors import Undecided
from ..verdict import Verdict
from ._common import guarded, not_applicable

MAX_ORDER = 12  # derivatives tried for a non-polynomial piece before giving up


def _claim(P, lo, hi, *args, **kwargs):
    return f"0 ∈ ∂^c f at every local minimum of f in ({lo}, {hi}) (Fermat's rule)"


def _side(expr, t0, side):
    """Sign of ``f(t0 + side·h) − f(t0)`` for small ``h > 0`` (0: constant near t0)."""
    poly = expr.is_polynomial(T)
    order = max(sympy.Poly(expr, T).degree(), 0) if poly else MAX_ORDER
    d = expr
    for k in range(1, order + 1):
        d = sympy.diff(d, T)
        s = sign(sympy.expand(d.subs(T, t0)))
        if s:
            return s if side > 0 or k % 2 == 0 else -s
    if poly:
        return 0
    raise Undecided(f"the first {MAX_ORDER} derivatives of {expr} vanish at t = {t0}")


def _piece_exprs(P, curve, bp):
    out = []
    for pats in bp.pieces:
        full = {g: pats[0].get(g, 0) for g in P.branching_groups}
        out.append(sympy.expand(node_expressions(P, full, curve.exprs)[P.outputs[0]]))
    return out


def candidates(P, lo, hi):
    """Interior candidates ``(t, left piece, right piece, origin)`` along ``[lo, hi]``."""
    curve = segment((lo,), (hi,))
    bp = breakpoints(P, curve)
    exprs = _piece_exprs(P, curve, bp)
    found = []
    for i, t in enumerate(bp.points):
        found.append((t, exprs[i], exprs[i + 1], "breakpoint"))
    for (a, b), f in zip(bp.intervals, exprs):
        try:
            roots = _roots_in(sympy.diff(f, T), a, b)
        except Undecided:
            raise Undecided(f"the derivative of the piece {f} (t in ({a}, {b})) is not "
                            f"polynomial: its zeros cannot be isolated exactly") from None
        if roots is None:
            found.append((rational_between(a, b), f, f, "constant piece"))
            continue
        found.extend((r, f, f, "critical point of a piece") for r in roots)
    return curve, found


@guarded(_claim)
def check_fermat(P, lo, hi, include_maxima=False):
    """Verdict: ``0 ∈ ∂^c f(x)`` at every local minimum ``x ∈ (lo, hi)`` of a one-input program.

    Returns
    -------
    Verdict
        Certificate ``{"minima": [...], "maxima": [...], "candidates": n}``; each extremum
        with its exact ``x``, how it was found, and the Clarke set there.  Fails with the
        extremum whose Clarke set misses 0 (and the separating vector).
    """
    claim = _claim(P, lo, hi)
    if P.p != 1 or P.q != 1:
        return not_applicable(claim, "Fermat's rule is checked on one-input scalar programs")
    lo, hi = exact(lo), exact(hi)
    curve, cands = candidates(P, lo, hi)
    minima, maxima, checked = [], [], []
    for t, left, right, origin in cands:
        s_left, s_right = _side(left, to_sympy(t), -1), _side(right, to_sympy(t), 1)
        kinds = []
        if s_left >= 0 and s_right >= 0:
            kinds.append("min")
        if include_maxima and s_left <= 0 and s_right <= 0:
            kinds.append("max")
        if not kinds:
            continue
        x = curve(t)[0]
        C = clarke(P, (x,))
        inside = C.contains_zero()
        A = ad_outputs(P, (x,))
        entry = {"x": x, "found_as": origin, "clarke": C, "ad_outputs": A}
        for kind in kinds:
            (minima if kind == "min" else maxima).append(entry)
        if inside.holds is not True:
            return Verdict(False, claim, {**entry, "separator": inside.certificate},
                           checked, reason=f"0 ∉ ∂^c f at the local {kinds[0]} x = {x}")
        if A.contains_zero().holds is not True:
            return Verdict(False, claim, entry, checked,
                           reason=f"0 ∉ conv(ad_outputs) at the local {kinds[0]} x = {x}")
        checked.append(f"local {'/'.join(kinds)} at x = {x} ({origin}): "
                       f"0 ∈ ∂^c f = {C}, 0 ∈ conv(ad_outputs) = {A}")
    if not minima:
        checked.append("no interior local minimum in the interval")
    return Verdict(True, claim, {"minima": minima, "maxima": maxima,
                                 "candidates": len(cands)}, checked)
