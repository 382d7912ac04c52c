"""Fixed-point unrolling: ``D_{k+1} = {B D_k + A : [A B] in the field of F at (θ, x_k)}``.

For an iteration ``x_{k+1} = F(θ, x_k)`` (an algorithm unrolled), differentiating through
the iterations propagates Jacobians by ``Jac x_{k+1} = B Jac x_k + A`` with
``[A B] = Jac F(θ, x_k)``; for a path-differentiable ``F`` the same recursion over a
conservative Jacobian of ``F`` gives conservative Jacobians of ``θ ↦ x_k(θ)``, and when
``F(θ, ·)`` is a contraction the sets approach ``{(I − B)⁻¹A}`` at the fixed point (Bolte,
Pauwels and Vaiter, "Automatic differentiation of nonsmooth iterative algorithms",
NeurIPS 2022, arXiv:2206.00457).

Sets are exact: finite sets of matrices for ``field="ad_outputs"``, polytopes otherwise —
the hull of ``{B D + A}`` over two polytopes is the hull of the products of their vertices,
because ``(Σλ_i B_i)(Σμ_j D_j) + Σλ_i A_i = Σ_ij λ_i μ_j (B_i D_j + A_i)``.

>>> import selcalc
>>> F = selcalc.parse("def F(theta, x):\\n    return x / 2 + relu(theta)")
>>> U = selcalc.unroll(F, (0,), (0,), 3)
>>> [str(D) for D in U.sets]
['{0}', '[0, 1]', '[0, 3/2]', '[0, 7/4]']
>>> U.limit.holds, str(U.implicit_hull), U.distance()
(True, '[0, 2]', Fraction(1, 4))
"""

from __future__ import annotations

from fractions import Fraction

import sympy
import z3

from ..errors import SelcalcError
from ..frontends import trace
from ..numbers import canonical, sign, to_sympy
from ..sets import ConvexSet
from ..smt import model_value, rational
from ..theorems.chain_rule import compose, stack
from ..verdict import Verdict
from .implicit import FIELDS, implicit_jacobian


def _mats(S, shape):
    return [sympy.Matrix(*shape, [to_sympy(c) for c in v]) for v in S]


def _hull(mats, shape):
    return ConvexSet([tuple(canonical(c) for c in M) for M in mats],
                     shape=None if shape == (1, 1) else shape)


def fixed_point_residual(F, n):
    """The program ``(θ, x) ↦ F(θ, x) − x`` (for the implicit function theorem)."""
    m = F.q
    proj = trace(lambda *z: tuple(z[n:]), n + m)
    sub = trace(lambda *ab: tuple(ab[i] - ab[m + i] for i in range(m)), 2 * m)
    G = compose(stack(F, proj), sub)
    G.input_names = F.input_names
    return G


class Unrolled:
    """The iterates ``x_0..x_k`` and the sets ``D_0..D_k`` of :func:`unroll`.

    ``sets``: ConvexSets of ``m×n`` matrices (``D_0 = {0}``: ``x_0`` does not depend on
    ``θ``); ``elements``: the finite sets themselves for ``field="ad_outputs"``.
    ``limit``: Verdict that ``x_k`` is a fixed point at which every ``B`` of the field is
    a contraction (``‖B_i‖_∞ < 1`` at every vertex, hence on the hull); then
    ``implicit`` is the :class:`~selcalc.beyond.implicit.ImplicitJacobian` of
    ``F(θ, x) − x = 0`` — the set ``{(I − B)⁻¹A}`` — and :meth:`distance` the exact
    Hausdorff distance (max-entry norm) between ``D_k`` and its hull.
    """

    def __init__(self, F, theta, iterates, sets, elements, field):
        self.program, self.theta, self.field_name = F, theta, field
        self.iterates, self.sets, self.elements = iterates, sets, elements
        self.limit = self._decide_limit()

    def _decide_limit(self):
        F, theta, x = self.program, self.theta, self.iterates[-1]
        claim = "x_k is a fixed point where every B of the field is a contraction"
        fx = F(*(theta + x))
        fx = fx if isinstance(fx, tuple) else (fx,)
        if any(sign(to_sympy(a) - to_sympy(b)) != 0 for a, b in zip(fx, x)):
            return Verdict(False, claim, {"F(θ, x_k)": fx, "x_k": x},
                           reason="x_k is not a fixed point")
        n, m = len(theta), len(x)
        D = FIELDS[self.field_name](F, theta + x)
        gens = D.points if self.field_name == "ad_outputs" else D._vertex_vectors
        norms = []
        for v in gens:
            M = sympy.Matrix(m, n + m, [to_sympy(c) for c in v])
            B = M[:, n:]
            norms.append(max(sum(abs(c) for c in B.row(i)) for i in range(m)))
        if all(sign(nv - 1) < 0 for nv in norms):
            return Verdict(True, claim, {"norms": norms},
                           checked=["F(θ, x_k) = x_k", "||B_i||_inf < 1 at every vertex"])
        return Verdict(None, claim, {"norms": norms},
                       reason="some vertex has ||B||_inf >= 1: contraction not certified")

    @property
    def implicit(self):
        if self.limit.holds is not True:
            raise SelcalcError(f"no fixed-point comparison: {self.limit}")
        G = fixed_point_residual(self.program, len(self.theta))
        return implicit_jacobian(G, self.theta, self.iterates[-1], self.field_name)

    @property
    def implicit_hull(self):
        """The convex hull of ``{(I − B)⁻¹A}`` (its vertex images)."""
        imgs = self.implicit.vertex_images
        return _hull(imgs, imgs[0].shape)

    def distance(self, k=-1):
        """Exact Hausdorff distance (max-entry norm) between ``D_k`` and the hull of the
        implicit set; each directed part is an exact LP (attained at a vertex)."""
        D, H = self.sets[k], self.implicit_hull
        return max(_directed(D, H), _directed(H, D))


def _directed(S, T):
    """max over vertices u of S of the max-norm distance from u to the polytope T."""
    worst = Fraction(0)
    tv = T._vertex_vectors
    for u in S._vertex_vectors:
        o = z3.Optimize()
        t = z3.Real("t")
        mu = [z3.Real(f"m{j}") for j in range(len(tv))]
        o.add(*[v >= 0 for v in mu], z3.Sum(mu) == 1)
        for c in range(len(u)):
            diff = rational(u[c]) - z3.Sum([mu[j] * rational(tv[j][c]) for j in range(len(tv))])
            o.add(t >= diff, t >= -diff)
        o.minimize(t)
        if o.check() != z3.sat:
            raise SelcalcError("distance LP failed")
        worst = max(worst, Fraction(model_value(o.model().eval(t, model_completion=True))))
    return worst


def unroll(F, theta, x0, k, field="clarke", max_elements=4096):
    """Iterate ``x_{j+1} = F(θ, x_j)`` ``k`` times and propagate ``D_{j+1} = {B D_j + A}``.

    Parameters
    ----------
    F : Program with inputs ``(θ, x)`` and ``len(x)`` outputs
    theta, x0 : exact points
    k : number of iterations
    field : ``"clarke"`` (default), ``"index_closure"`` (polytopes) or ``"ad_outputs"``
        (finite sets; their size is bounded by ``max_elements``)

    Returns
    -------
    Unrolled

    >>> import selcalc
    >>> F = selcalc.parse("def F(theta, x):\\n    return x / 2 + relu(theta)")
    >>> U = unroll(F, 0, 0, 3)  # D_k tends to the implicit [0, 2]
    >>> [str(D) for D in U.sets], str(U.implicit_hull)
    (['{0}', '[0, 1]', '[0, 3/2]', '[0, 7/4]'], '[0, 2]')
    """
    if field not in FIELDS:
        raise SelcalcError(f"field must be one of {sorted(FIELDS)}, not {field!r}")
    theta = tuple(theta) if isinstance(theta, (tuple, list)) else (theta,)
    x = tuple(x0) if isinstance(x0, (tuple, list)) else (x0,)
    n, m = len(theta), len(x)
    if F.p != n + m or F.q != m:
        raise SelcalcError(f"F must have len(θ) + len(x) = {n + m} inputs and len(x) = {m} "
                           f"outputs; it has p = {F.p}, q = {F.q}")
    point = F.coerce_point(theta + x)
    theta, x = point[:n], point[n:]
    current = [sympy.zeros(m, n)]
    iterates, sets, elements = [x], [_hull(current, (m, n))], [list(current)]
    for _ in range(k):
        D = FIELDS[field](F, theta + x)
        gens = D.points if field == "ad_outputs" else D._vertex_vectors
        mats = _mats(gens, (m, n + m))
        new = []
        for M in mats:
            A, B = M[:, :n], M[:, n:]
            for Dk in current:
                img = (B * Dk + A).applyfunc(canonical)
                if img not in new:
                    new.append(img)
        if len(new) > max_elements:
            raise SelcalcError(f"{len(new)} matrices exceed max_elements={max_elements}; "
                               f"raise it or use a polytope field")
        hull = _hull(new, (m, n))
        current = new if field == "ad_outputs" else list(_mats(hull._vertex_vectors, (m, n)))
        fx = F(*(theta + x))
        x = tuple(canonical(v) for v in (fx if isinstance(fx, tuple) else (fx,)))
        x = F.coerce_point(theta + x)[n:]
        iterates.append(x)
        sets.append(hull)
        elements.append(list(current))
    return Unrolled(F, theta, iterates, sets, elements if field == "ad_outputs" else None,
                    field)


__all__ = ["Unrolled", "fixed_point_residual", "unroll"]
