"""ConvexSet: an exact convex polytope, the convex hull of finitely many exact points.

Points are vectors in Q^n (tuples) or q×p matrices (flattened, with ``shape``).  Vertices
are computed exactly: in one dimension by comparison, otherwise by an exact LP per point
(z3's simplex over the rationals).  Membership comes with a certificate that
:mod:`selcalc.certificates` re-checks: convex weights when the point is inside, a
separating vector when it is not.

>>> S = ConvexSet([(0,), (1,), ("1/2",)])
>>> S.vertices, S.interval, S.dim
(((0,), (1,)), (0, 1), 1)
>>> S.contains(("1/3",)).holds, S.contains((2,)).holds
(True, False)
>>> ConvexSet([(1, 0), (0, 1), ("1/2", "1/2")]) == ConvexSet([(0, 1), (1, 0)])
True
"""

from __future__ import annotations

from functools import cached_property, cmp_to_key

import sympy
import z3

from .errors import InputError, Undecided
from .numbers import RATIONAL_TYPES, canonical, compare, exact, sign
from .points import as_point_list, as_vector, same_dimension
from .smt import model_value, rational, solver
from .verdict import Verdict


def _vec(v):
    if isinstance(v, sympy.MatrixBase):
        v = list(v)
    return tuple(exact(c) for c in v)


class ConvexSet:
    """The convex hull of finitely many exact points (vectors, or matrices with ``shape``).

    Parameters
    ----------
    points : iterable
        Vectors (sequences) or sympy matrices.
    shape : tuple, optional
        ``(q, p)`` when the points are Jacobians; vertices are then given as matrices.
    """

    def __init__(self, points, shape=None):
        points = list(points) if isinstance(points, (list, tuple)) else points
        for pt in points if isinstance(points, list) else ():
            if isinstance(pt, sympy.MatrixBase):
                shape = shape or pt.shape
        pts = as_point_list(points)  # shapes checked: InputError on misuse
        seen, uniq = set(), []
        for pt in pts:
            key = tuple(canonical(c) for c in pt)
            if key not in seen and (_rational(pt) or not _has_equal(uniq, pt)):
                seen.add(key)
                uniq.append(pt)
        if not uniq:
            raise ValueError("a ConvexSet needs at least one point")
        n = len(uniq[0])
        if any(len(pt) != n for pt in uniq):
            raise ValueError("points of different lengths")
        self.points = tuple(sorted(uniq, key=_ORDER))
        self.shape = shape
        self.ambient_dim = n

    # ------------------------------------------------------------------ structure
    @cached_property
    def vertices(self):
        """The extreme points, exact, sorted lexicographically."""
        pts = self.points
        if len(pts) <= 2:
            return tuple(self._out(p) for p in pts)
        if self.ambient_dim == 1:
            lo = min(pts, key=_ORDER)
            hi = max(pts, key=_ORDER)
            return tuple(self._out(p) for p in ([lo] if _compare_points(lo, hi) == 0 else [lo, hi]))
        _require_rational(pts)
        if self.ambient_dim == 2:
            return tuple(self._out(p) for p in sorted(_hull2d(pts), key=_ORDER))
        verts = []
        for i, pt in enumerate(pts):
            others = pts[:i] + pts[i + 1:]
            if _convex_weights(others, pt) is None:
                verts.append(pt)
        return tuple(self._out(p) for p in verts)

    def _out(self, pt):
        if self.shape:
            return sympy.Matrix(*self.shape, [canonical(c) for c in pt])
        return tuple(canonical(c) for c in pt)

    @cached_property
    def _vertex_vectors(self):
        return tuple(_vec(v) for v in self.vertices)

    @cached_property
    def dim(self):
        """Affine dimension of the set (0 for a point)."""
        vs = self._vertex_vectors
        if len(vs) == 1:
            return 0
        rows = [[sympy.sympify(a) - sympy.sympify(b) for a, b in zip(v, vs[0])] for v in vs[1:]]
        return sympy.Matrix(rows).rank()

    @property
    def interval(self):
        """``(lo, hi)`` for a set of scalars (or 1-vectors)."""
        if self.ambient_dim != 1:
            raise InputError(f"interval is only defined in dimension one (this set lives in "
                             f"dimension {self.ambient_dim}; use vertices)")
        lo, hi = self._vertex_vectors[0], self._vertex_vectors[-1]
        return canonical(lo[0]), canonical(hi[0])

    # ------------------------------------------------------------------ membership
    def contains(self, v):
        """A :class:`Verdict` that ``v`` lies in the set, with a certificate.

        Inside: ``{"weights": {vertex index: weight}}`` (convex weights over ``vertices``).
        Outside: ``{"separator": w}`` with ``<w, v> > <w, u>`` for every vertex ``u``.
        """
        v = as_vector(v, self.ambient_dim)
        verts = self._vertex_vectors
        if self.ambient_dim == 1 and len(verts) <= 2:
            lo, hi = verts[0][0], verts[-1][0]
            if sign(v[0] - lo) >= 0 and sign(hi - v[0]) >= 0:
                if len(verts) == 1:
                    return Verdict(True, "v in set", {"weights": {0: 1}})
                lam = exact(sympy.sympify(v[0] - lo) / sympy.sympify(hi - lo))
                return Verdict(True, "v in set", {"weights": {0: 1 - lam, 1: lam}})
            w = (1,) if sign(v[0] - hi) > 0 else (-1,)
            return Verdict(False, "v in set", {"separator": w})
        _require_rational(verts + (v,))
        weights = _convex_weights(verts, v)
        if weights is not None:
            return Verdict(True, "v in set", {"weights": weights})
        return Verdict(False, "v in set", {"separator": _separator(verts, v)})

    def contains_zero(self):
        return self.contains((0,) * self.ambient_dim)

    def issubset(self, other):
        """Exact inclusion (every vertex of self lies in other)."""
        same_dimension(self.ambient_dim, other.ambient_dim)
        return all(other.contains(v).holds for v in self._vertex_vectors)

    def __eq__(self, other):
        if not isinstance(other, ConvexSet):
            return NotImplemented
        mine, theirs = self._vertex_vectors, other._vertex_vectors
        if len(mine) != len(theirs) or self.ambient_dim != other.ambient_dim:
            return False
        return all(_has_equal(theirs, v, undecided="raise") for v in mine)

    __hash__ = None

    # ------------------------------------------------------------------ display
    def __str__(self):
        if self.ambient_dim == 1 and not self.shape:
            lo, hi = self.interval
            return f"{{{lo}}}" if lo == hi else f"[{lo}, {hi}]"
        items = ", ".join(_fmt(v) for v in self.vertices)
        return f"{{{items}}}" if len(self.vertices) == 1 else f"conv{{{items}}}"

    def __repr__(self):
        return f"ConvexSet({str(self)})"

    def _repr_latex_(self):
        if self.ambient_dim == 1 and not self.shape:
            lo, hi = self.interval
            if lo == hi:
                return f"$\\{{{sympy.latex(lo)}\\}}$"
            return f"$[{sympy.latex(lo)}, {sympy.latex(hi)}]$"
        items = ", ".join(sympy.latex(sympy.Matrix(v) if not isinstance(v, sympy.MatrixBase)
                                      else v) for v in self.vertices)
        return f"$\\operatorname{{conv}}\\{{{items}\\}}$"


def _hull2d(pts):
    """Strict extreme points of planar rational points (Andrew's monotone chain)."""
    pts = sorted(set(pts))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return list(dict.fromkeys(lower[:-1] + upper[:-1]))


def _fmt(v):
    if isinstance(v, sympy.MatrixBase):
        return "[" + "; ".join(", ".join(str(c) for c in v.row(i)) for i in range(v.rows)) + "]"
    return "(" + ", ".join(str(c) for c in v) + ")"


def _compare_points(p, q):
    """Lexicographic order by certified comparisons (never by float approximations)."""
    for a, b in zip(p, q):
        c = compare(a, b)
        if c:
            return c
    return 0


_ORDER = cmp_to_key(_compare_points)


def _rational(pt):
    return all(isinstance(c, RATIONAL_TYPES) for c in pt)


def _has_equal(points, pt, undecided="keep"):
    """Whether some point of ``points`` equals ``pt`` (certified comparisons).

    An undecidable comparison counts as "not equal" with ``undecided="keep"`` (a set
    keeps a point it cannot prove redundant) and raises with ``undecided="raise"``.
    """
    for q in points:
        if len(q) != len(pt):
            continue
        try:
            if _compare_points(q, pt) == 0:
                return True
        except Undecided:
            if undecided == "raise":
                raise
    return False


def _require_rational(pts):
    for pt in pts:
        for c in pt:
            if not isinstance(c, RATIONAL_TYPES):
                raise Undecided(
                    f"exact hull computations in dimension > 1 need rational points; "
                    f"{c} is not rational")


def _convex_weights(pts, v):
    """Convex weights expressing v from pts (dict index -> Fraction), or None."""
    s = solver()
    lam = [z3.Real(f"l{i}") for i in range(len(pts))]
    s.add(*[lv >= 0 for lv in lam])
    s.add(z3.Sum(lam) == 1)
    for j in range(len(v)):
        s.add(z3.Sum([lam[i] * rational(pts[i][j]) for i in range(len(pts))]) == rational(v[j]))
    res = s.check()
    if res == z3.unsat:
        return None
    if res != z3.sat:
        raise Undecided(f"LP for convex weights returned {res}")
    model = s.model()
    out = {}
    for i, lv in enumerate(lam):
        w = model_value(model.eval(lv, model_completion=True))
        if w != 0:
            out[i] = w
    return out


def _separator(pts, v):
    """A vector w with <w, v> > <w, u> for all u in pts (exists when v is outside)."""
    s = solver()
    w = [z3.Real(f"w{j}") for j in range(len(v))]
    wv = z3.Sum([w[j] * rational(v[j]) for j in range(len(v))])
    for u in pts:
        s.add(wv - z3.Sum([w[j] * rational(u[j]) for j in range(len(v))]) >= 1)
    if s.check() != z3.sat:
        raise Undecided("no separating vector found although the point is outside")
    model = s.model()
    return tuple(model_value(model.eval(wj, model_completion=True)) for wj in w)
