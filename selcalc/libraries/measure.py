"""Measuring an AD library at a kink: its derivative in both modes, its floats read as
exact values, and the verdict against the exact sets there."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


def read_float(v):
    """A library float as the exact binary value it is (every float is a dyadic rational):
    ``0.1`` is ``3602879701896397/36028797018963968``, and the float64 nearest to 1/3 is
    not 1/3.

    >>> read_float(0.5), read_float(1 / 3)
    (Fraction(1, 2), Fraction(6004799503160661, 18014398509481984))
    """
    return Fraction(v)


#: how many units in the last place a library float may be from an exact candidate and
#: still be read as its rounding (constants such as selu's scale * alpha are products of
#: rounded floats in the library, a few ulp from the exact product)
ROUNDING_ULPS = 4


def _ulps(c, v):
    """``(d, exact)``: ``|c - v|`` in units of the last place of the float ``v`` — exactly
    for a rational ``c``; for another number the least of 1/2, 1, 2, 4 certified to bound
    it (``exact`` False) — or ``(None, False)`` when it is not certified within 4."""
    import math
    from ..errors import Undecided
    from ..numbers import compare, to_sympy
    ulp = Fraction(math.ulp(v))
    if isinstance(c, (int, Fraction)):
        return abs(Fraction(c) - Fraction(v)) / ulp, True
    d = abs(to_sympy(c) - to_sympy(Fraction(v)))
    for k in (Fraction(1, 2), 1, 2, ROUNDING_ULPS):
        try:
            if compare(d, k * ulp) <= 0:
                return Fraction(k), False
        except Undecided:
            pass
    return None, False


@dataclass
class Reading:
    """What the audit compares: the library's floats as their ``exact`` binary values, or
    (``rounded``) an exact candidate ``value`` within :data:`ROUNDING_ULPS` ulp of them;
    ``ulps`` is the largest distance of a coordinate (an upper bound when ``ulps_exact``
    is False: an irrational candidate)."""

    exact: tuple
    value: tuple | None  # None: the library returned nan or inf
    rounded: bool = False
    ulps: Fraction | None = None
    ulps_exact: bool = True

    @property
    def note(self):
        if self.value is None:
            return f"the library returned {fmt(self.exact)}, not a number"
        if not self.rounded:
            return ""
        far = (str(self.ulps) if self.ulps.denominator <= 1000
               else f"about {float(self.ulps):.2g}")  # display only
        far = far if self.ulps_exact else f"at most {far}"
        return (f"the library's float {fmt(self.exact)} is not {fmt(self.value)}: it is "
                f"read as that value up to float rounding ({far} ulp away, at most "
                f"{ROUNDING_ULPS}); "
                "match, in clarke and verdict are up to float rounding")


def reading(lib_floats, candidates):
    """The library floats as a :class:`Reading`: their exact binary values when those are
    a candidate or none is near; otherwise the first candidate (an exact vector) every
    coordinate of which is within :data:`ROUNDING_ULPS` ulp of the float — a rounded
    reading, marked ``rounded`` (never a silent match).

    >>> r = reading([1 / 3], [(Fraction(1, 3),)])
    >>> r.rounded, r.value, r.ulps, r.exact == (read_float(1 / 3),)
    (True, (Fraction(1, 3),), Fraction(1, 3), True)
    >>> reading([0.3333333333334], [(Fraction(1, 3),)]).rounded  # 450 ulp away: no
    False
    >>> reading([0.25], [(Fraction(1, 4),)]).rounded  # the float is exactly 1/4
    False
    >>> import sympy
    >>> r = reading([2 ** 0.5], [(sympy.sqrt(2),)])
    >>> r.rounded, r.ulps, r.ulps_exact
    (True, Fraction(1, 2), False)
    >>> reading([float("nan"), 1.0], [(0, 1)]).value is None  # nan or inf: no value
    True
    """
    if not all(math.isfinite(v) for v in lib_floats):
        return Reading(tuple(read_float(v) if math.isfinite(v) else str(v)
                             for v in lib_floats), None)
    exact = tuple(read_float(v) for v in lib_floats)
    if exact in [tuple(c) for c in candidates]:
        return Reading(exact, exact)
    for cand in candidates:
        if len(cand) != len(exact):
            continue
        dist = [_ulps(c, v) for c, v in zip(cand, lib_floats)]
        if all(d is not None and d <= ROUNDING_ULPS for d, _ in dist):
            return Reading(exact, tuple(cand), True, max(d for d, _ in dist),
                           all(ok for _, ok in dist))
    return Reading(exact, exact)


def verdict(value, points, hull):
    """"selection" (one tied piece's derivative), "average of tied pieces" (in their hull,
    so in the conservative field), else "outside the conservative field".

    >>> from selcalc import ConvexSet
    >>> verdict((0,), {(0,), (1,)}, ConvexSet([(0,), (1,)]))
    'selection'
    >>> verdict((2,), {(1,)}, ConvexSet([(1,)]))
    'outside the conservative field'
    """
    if value in points:
        return "selection"
    if hull.contains(value).holds is True:
        return "average of tied pieces"
    return "outside the conservative field"


def judged(seen, points, ad, clarke):
    """``(in clarke, verdict)`` of a :class:`Reading` against the tied pieces' derivatives
    ``points``, their hull ``ad`` and the Clarke set; nan or inf lies in no set.

    >>> from selcalc import ConvexSet
    >>> S = ConvexSet([(0,), (1,)])
    >>> judged(reading([0.5], [(0,), (1,)]), {(0,), (1,)}, S, S)
    (True, 'average of tied pieces')
    >>> judged(reading([float("inf")], [(0,)]), {(0,)}, S, S)
    (False, 'not a number: outside the conservative field')
    """
    if seen.value is None:
        return False, "not a number: outside the conservative field"
    return (clarke.contains(seen.value).holds, verdict(seen.value, points, ad)
            + (" (up to float rounding)" if seen.rounded else ""))


def fmt(v):
    """Exact values for a table: ``(1/2, 0)``."""
    if isinstance(v, tuple):
        return "(" + ", ".join(fmt(u) for u in v) + ")"
    return str(v)


def torch_gradient(fn, point, mode):
    """The derivative torch computes for ``fn`` (a function of one float64 vector) at
    ``point``: reverse mode (``"backward"``) or one forward-mode pass per coordinate."""
    import torch
    x = torch.tensor([float(v) for v in point], dtype=torch.float64)
    if mode == "backward":
        x.requires_grad_(True)
        return torch.autograd.grad(fn(x), x)[0].tolist()
    out = []
    for j in range(len(point)):
        t = torch.zeros_like(x)
        t[j] = 1.0
        out.append(float(torch.func.jvp(fn, (x,), (t,))[1]))
    return out

