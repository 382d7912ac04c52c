"""ConvexSet: an exact convex polytope, the convex hull of finitely many exact points.

Points are vectors (tuples) or q×p matrices (flattened, with ``shape``) of exact reals.
Every linear question is answered by the exact LP backend of :mod:`selcalc.polyhedra`
(a floating-point proposal verified in exact arithmetic):

* membership is **one** LP over all the points (no vertex enumeration first); the
  certificate is convex weights over :attr:`ConvexSet.points` when the point is inside, a
  separating vector when it is not;
* vertices are found by exact redundancy removal, each point with its own certificate
  (:attr:`ConvexSet.vertex_certificates`);
* the H-representation (:meth:`ConvexSet.facets`: affine hull and facets) is found by
  exact gift-wrapping in integer arithmetic (:func:`selcalc.polyhedra.facets`);
* in one dimension everything is a certified comparison of exact reals, so irrational
  endpoints are exact; in higher dimension irrational coordinates are handled by the same
  LP with certified signs (a point of the list is always recognised), or raise
  :class:`selcalc.Undecided`.

All certificates are re-checked by :mod:`selcalc.certificates`.

>>> S = ConvexSet([(0,), (1,), ("1/2",)])
>>> S.vertices, S.interval, S.dim
(((0,), (1,)), (0, 1), 1)
>>> S.contains(("1/3",)).holds, S.contains((2,)).holds
(True, False)
>>> ConvexSet([(1, 0), (0, 1), ("1/2", "1/2")]) == ConvexSet([(0, 1), (1, 0)])
True
>>> T = ConvexSet([(0, 0), (2, 0), (0, 2)])
>>> T.contains((1, 1)).certificate["weights"], T.support((1, 1))
({1: Fraction(1, 2), 2: Fraction(1, 2)}, 2)
"""

from __future__ import annotations

from functools import cached_property

import sympy

from . import polyhedra
from .errors import InputError, Undecided
from .numbers import RATIONAL_TYPES, all_rational, canonical, compare, exact, sign, to_sympy
from .points import as_point_list, as_vector, long_printing, same_dimension
from .verdict import Verdict


@long_printing
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
            key = pt if all_rational((pt,)) else tuple(canonical(c) for c in pt)
            if key not in seen and (all_rational((pt,)) or not _has_equal(uniq, pt)):
                seen.add(key)
                uniq.append(pt)
        if not uniq:
            raise ValueError("a ConvexSet needs at least one point")
        n = len(uniq[0])
        if any(len(pt) != n for pt in uniq):
            raise ValueError("points of different lengths")
        if all_rational(uniq):
            self.points = tuple(sorted(uniq))
        else:  # display order only (nothing is decided from it): 30-digit approximations
            self.points = tuple(sorted(uniq, key=_order_key))
        self.shape = shape
        self.ambient_dim = n

    # ------------------------------------------------------------------ structure
    @cached_property
    def generators(self):
        """The distinct points, in the form of :attr:`vertices` (membership weights index
        this tuple)."""
        return tuple(self._out(p) for p in self.points)

    @cached_property
    def _extreme(self):
        """(indices into ``points`` of the vertices, certificate per point)."""
        pts = self.points
        if len(pts) == 1:
            return (0,), {0: {"separator": (0,) * self.ambient_dim}}
        if self.ambient_dim == 1:
            lo, hi = _min_max_1d(pts)
            if compare(pts[lo][0], pts[hi][0]) == 0:  # equal numbers written differently
                return (lo,), {i: ({"separator": (1,)} if i == lo else {"weights": {lo: 1}})
                               for i in range(len(pts))}
            return (lo, hi), _certs_1d(pts, lo, hi)
        if self.ambient_dim == 2 and all_rational(pts) and polyhedra.backend() == "highs":
            hull = set(_hull2d(pts))
            # certificates of the redundant points are computed when asked for
            return tuple(i for i, p in enumerate(pts) if p in hull), None
        return polyhedra.extreme_points(pts)

    @cached_property
    def vertices(self):
        """The extreme points, exact, sorted lexicographically."""
        return tuple(self._out(self.points[i]) for i in self._extreme[0])

    @cached_property
    def vertex_certificates(self):
        """Per point (index into :attr:`points`): ``{"separator": w}`` with
        ``w·p > w·u`` for every other point ``u`` when it is a vertex, ``{"weights": ...}``
        over the other points when it is not (see :func:`selcalc.certificates.check_vertices`)."""
        certs = self._extreme[1]
        if certs is None:
            certs = polyhedra.extreme_points(self.points)[1]
        return certs

    def _out(self, pt):
        if self.shape:
            return sympy.Matrix(*self.shape, [canonical(c) for c in pt])
        return tuple(canonical(c) for c in pt)

    @cached_property
    def _vertex_vectors(self):
        return tuple(self.points[i] for i in self._extreme[0])

    @cached_property
    def dim(self):
        """Affine dimension of the set (0 for a point)."""
        vs = self._vertex_vectors
        if len(vs) == 1:
            return 0
        return polyhedra.rank([[a - b for a, b in zip(v, vs[0])] for v in vs[1:]])

    @property
    def interval(self):
        """``(lo, hi)`` for a set of scalars (or 1-vectors)."""
        if self.ambient_dim != 1:
            raise InputError(f"interval is only defined in dimension one (this set lives in "
                             f"dimension {self.ambient_dim}; use vertices)")
        lo, hi = self._vertex_vectors[0], self._vertex_vectors[-1]
        return canonical(lo[0]), canonical(hi[0])

    def support(self, w):
        """``max <w, u>`` over the set (exact; certified comparisons)."""
        w = as_vector(w, self.ambient_dim)
        values = [sympy.sympify(sum(exact(a) * exact(b) for a, b in zip(w, v)))
                  if not all(isinstance(c, RATIONAL_TYPES) for c in v + w)
                  else sum(a * b for a, b in zip(w, v)) for v in self._vertex_vectors]
        best = values[0]
        for val in values[1:]:
            if sign(val - best) > 0:
                best = val
        return canonical(best) if not isinstance(best, RATIONAL_TYPES) else best

    # ------------------------------------------------------------------ H-representation
    def facets(self):
        """The exact H-representation of the set, an :class:`HRepresentation`.

        The affine hull as equalities ``a·x = b`` and the facets as inequalities
        ``c·x <= e``, integer-normalised and in a fixed order, each facet with the indices
        of its tight vertices; re-checked by :func:`selcalc.certificates.check_facets`.
        Matrices are read flattened (row by row).  Rational sets: always exact (exact
        gift-wrapping, see :func:`selcalc.polyhedra.facets`); irrational coordinates: a
        point or an interval, otherwise :class:`selcalc.Undecided`.

        >>> H = ConvexSet([(0, 0), (2, 0), (0, 2), (1, 1)]).facets()
        >>> H.equalities, H.inequalities, H.tight
        ((), (((-1, 0), 0), ((0, -1), 0), ((1, 1), 2)), ((0, 1), (0, 2), (1, 2)))
        >>> print(ConvexSet([(0, 0, 1), (1, 0, 1)]).facets())
        x1 = 0
        x2 = 1
        -x0 <= 0
        x0 <= 1
        """
        if self._hrep is None:
            self._hrep = self._compute_facets()
        return self._hrep

    _hrep = None

    def _compute_facets(self):
        vs = self._vertex_vectors
        n = self.ambient_dim
        if all_rational(vs):
            d, eqs, faces = polyhedra.facets(vs)
        elif len(vs) == 1:
            d, eqs, faces = 0, [(tuple(int(i == j) for j in range(n)), vs[0][i])
                                for i in range(n)], []
        elif n == 1:
            d, eqs, faces = 1, [], [((-1,), -vs[0][0], (0,), None),
                                    ((1,), vs[-1][0], (1,), None)]
        else:
            raise Undecided(f"the facets of a set with irrational coordinates are only "
                            f"computed for a point or an interval (this set has dimension "
                            f"{self.dim} in R^{n}); rational coordinates are always exact")

        def cert(faces):
            return tuple({"normal": tuple(c), "offset": canonical(e), "tight": tuple(T),
                          "ridges": None if sub is None else cert(sub)}
                         for c, e, T, sub in faces)
        return HRepresentation(
            tuple(tuple(canonical(c) for c in v) for v in vs), d,
            tuple((tuple(a), canonical(b)) for a, b in eqs), cert(faces))

    # ------------------------------------------------------------------ membership
    def contains(self, v):
        """A :class:`Verdict` that ``v`` lies in the set, with a certificate.

        Inside: ``{"weights": {point index: weight}}`` (convex weights over
        :attr:`points`, equivalently :attr:`generators`).  Outside: ``{"separator": w}``
        with ``<w, v> > <w, u>`` for every point ``u``.  One exact LP over all points.
        """
        v = as_vector(v, self.ambient_dim)
        pts = self.points
        key = tuple(canonical(c) for c in v)
        for i, p in enumerate(pts):
            if tuple(canonical(c) for c in p) == key:
                return Verdict(True, "v in set", {"weights": {i: 1}})
        if self.ambient_dim == 1:
            return self._contains_1d(v[0])
        kind, value = polyhedra.gordan([tuple(a - b for a, b in zip(v, u)) for u in pts])
        if kind == "lambda":
            return Verdict(True, "v in set",
                           {"weights": {i: w for i, w in enumerate(value) if w != 0}})
        return Verdict(False, "v in set", {"separator": value})

    def _contains_1d(self, x):
        (ilo, ihi) = self._extreme[0][0], self._extreme[0][-1]
        lo, hi = self.points[ilo][0], self.points[ihi][0]
        if sign(x - lo) >= 0 and sign(hi - x) >= 0:
            lam = exact(sympy.sympify(x - lo) / sympy.sympify(hi - lo))
            lam = exact(sympy.radsimp(lam)) if not isinstance(lam, RATIONAL_TYPES) else lam
            return Verdict(True, "v in set", {"weights": {ilo: 1 - lam, ihi: lam}})
        w = (1,) if sign(x - hi) > 0 else (-1,)
        return Verdict(False, "v in set", {"separator": w})

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


@long_printing
class HRepresentation:
    """The exact H-representation of a :class:`ConvexSet` (returned by
    :meth:`ConvexSet.facets`): the set is ``{x : a·x = b, c·x <= e}``.

    Attributes
    ----------
    equalities : tuple of ``(a, b)``
        The affine hull: the reduced row echelon basis of its normal space, each row scaled
        to coprime integers with a positive leading entry (empty for a full-dimensional
        set).
    inequalities : tuple of ``(c, e)``
        One per facet, ``c`` coprime integers vanishing outside the free coordinates of the
        affine hull (the first coordinates that parametrise it), so each facet has exactly
        one normal; sorted by ``(c, e)``.
    tight : tuple of tuples
        Per inequality, the indices into :attr:`vertices` where it holds with equality.
    vertices, dim, ambient_dim
        The set's vertices (flattened), its affine dimension and the number of coordinates.
    certificate : dict
        ``{"dim": d, "facets": ...}``: per facet its normal, offset, tight vertices and
        ``"ridges"``, the facet's own facets in the same form (``None`` for a simplex),
        re-checked by :func:`selcalc.certificates.check_facets`.
    """

    def __init__(self, vertices, dim, equalities, faces):
        self.vertices = vertices
        self.ambient_dim = len(vertices[0])
        self.dim = dim
        self.equalities = equalities
        self.inequalities = tuple((f["normal"], f["offset"]) for f in faces)
        self.tight = tuple(f["tight"] for f in faces)
        self.certificate = {"dim": dim, "facets": faces}

    def satisfied_by(self, v):
        """Whether ``v`` satisfies every equality and inequality (certified signs).

        >>> H = ConvexSet([(0, 0), (1, 0), (0, 1)]).facets()
        >>> H.satisfied_by(("1/2", "1/2")), H.satisfied_by((1, 1))
        (True, False)
        """
        v = as_vector(v, self.ambient_dim)

        def value(a, b):
            total = sum(x * y for x, y in zip(a, v)) - b
            return sign(total if isinstance(total, RATIONAL_TYPES) else sympy.sympify(total))
        v = tuple(exact(c) for c in v)
        return (all(value(a, exact(b)) == 0 for a, b in self.equalities)
                and all(value(c, exact(e)) <= 0 for c, e in self.inequalities))

    def check(self):
        """Re-check with :func:`selcalc.certificates.check_facets` (True, or AssertionError).

        >>> ConvexSet([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]).facets().check()
        True
        """
        from .certificates import check_facets
        return check_facets(self.vertices, self)

    def __str__(self):
        def form(a):
            terms = []
            for j, c in enumerate(a):
                if c:
                    mag = "" if abs(c) == 1 else f"{abs(c)}*"
                    terms.append(("-" if c < 0 else "+") + f" {mag}x{j}")
            text = " ".join(terms) or "0"
            return text[2:] if text.startswith("+ ") else "-" + text[2:]
        lines = [f"{form(a)} = {b}" for a, b in self.equalities]
        lines += [f"{form(c)} <= {e}" for c, e in self.inequalities]
        return "\n".join(lines)

    def __repr__(self):
        return (f"HRepresentation({len(self.equalities)} equalities, "
                f"{len(self.inequalities)} facets, dimension {self.dim})")


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


def _order_key(pt):
    return tuple(sympy.N(to_sympy(c), 30) for c in pt)


def _compare_points(p, q):
    """Lexicographic order by certified comparisons (never by float approximations)."""
    for a, b in zip(p, q):
        c = compare(a, b)
        if c:
            return c
    return 0


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


def _min_max_1d(pts):
    """Indices of the least and the greatest of 1-vectors, by certified comparisons."""
    lo = hi = 0
    for i in range(1, len(pts)):
        if compare(pts[i][0], pts[lo][0]) < 0:
            lo = i
        if compare(pts[i][0], pts[hi][0]) > 0:
            hi = i
    return lo, hi


def _certs_1d(pts, lo, hi):
    certs = {lo: {"separator": (-1,)}, hi: {"separator": (1,)}}
    a, b = pts[lo][0], pts[hi][0]
    for i, p in enumerate(pts):
        if i in (lo, hi):
            continue
        lam = exact(sympy.radsimp(sympy.sympify(p[0] - a) / sympy.sympify(b - a)))
        certs[i] = {"weights": {lo: 1 - lam, hi: lam}}
    return certs
