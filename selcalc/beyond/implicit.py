"""Nonsmooth implicit differentiation: ``J = {−B⁻¹A : [A B] in the field of F}``.

Bolte, Le, Pauwels and Silveti-Falls, "Nonsmooth implicit differentiation for machine
learning and optimization" (NeurIPS 2021, arXiv:2106.04350): if ``F(x, y) = 0`` defines
``y = G(x)`` near ``(x̂, ŷ)``, ``F`` is path differentiable and every ``[A B]`` of a
conservative Jacobian of ``F`` at ``(x̂, ŷ)`` has ``B`` invertible, then
``{−B⁻¹A}`` is a conservative Jacobian for ``G``.  It need not be the Clarke Jacobian of
``G``, and it is not convex in general: for ``Φ(x, y) = (|x| + y, 2x + |y|)`` and
``Ψ = Φ⁻¹`` the average of the vertices of ``∂^c Ψ(0)`` is not of the form ``−B⁻¹A``.

Invertibility is decided exactly.  For a finite field (``"ad_outputs"``): the determinant of
each ``B_σ``.  For a polytope ``conv{[A_i B_i]}``: ``B(λ) = Σ λ_i B_i`` is never singular on
the simplex iff ``det B(λ)`` keeps one sign; a sufficient certificate is a matrix ``C`` with
``‖I − C B_i‖_∞ < 1`` at every vertex (the norm is convex, so the bound holds on the hull);
a refutation is a segment between two vertices whose determinants have opposite signs (or
a vertex with determinant 0), with the exact singular point on it; otherwise z3's
nonlinear real arithmetic decides ``∃λ: det B(λ) = 0`` — or the answer is unknown.

>>> import selcalc
>>> F = selcalc.parse("def F(x, y):\\n    return y - x + clip(x, -1, 1)")
>>> J = implicit_jacobian(F, (1,), (0,))
>>> J.invertible.holds, J.vertex_images
(True, [Matrix([[1]]), Matrix([[0]])])
>>> J.contains([["1/2"]]).holds, J.contains([[2]]).holds
(True, False)
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import sympy
import z3

from ..errors import PatternBudgetExceeded, SelcalcError, Undecided
from ..fields import ad_outputs, clarke, index_closure
from ..numbers import canonical, exact, rational_between, sign, to_sympy
from ..smt import model_value, rational, solver
from ..verdict import Verdict
from . import _algebraic as alg
from ._onesided import _holds

FIELDS = {"clarke": clarke, "ad_outputs": ad_outputs, "index_closure": index_closure}


def _matrix(v, q, p):
    if isinstance(v, sympy.MatrixBase):
        return sympy.Matrix(v)
    return sympy.Matrix(q, p, [to_sympy(c) for c in v])


def _inf_norm(M):
    return max(sum(abs(c) for c in M.row(i)) for i in range(M.rows))


def _rational_matrix(M):
    return all(c.is_Rational for c in M)


class ImplicitJacobian:
    """The implicit set ``J = {−B⁻¹A : [A B] ∈ field}`` at one solution of ``F = 0``.

    ``invertible``: Verdict that every ``B`` of the field is invertible (certificate: the
    determinants, or a contraction matrix ``C``; witness: a singular ``B``).
    ``vertices``: the ``[A B]`` generating the field; ``vertex_images``: ``−B_i⁻¹A_i``;
    ``finite``: whether the field is a finite set (``"ad_outputs"``), so that
    :meth:`elements` lists ``J``.  ``J`` is **not** convex in general.
    """

    def __init__(self, F, x, y, field):
        self.program, self.field_name = F, field
        self.n, self.m = len(x), len(y)
        self.point = tuple(x) + tuple(y)
        D = FIELDS[field](F, self.point)
        self.field = D
        self.finite = field == "ad_outputs"
        gens = D.points if self.finite else D._vertex_vectors
        self.vertices = [_matrix(v, self.m, self.n + self.m) for v in gens]
        self.A = [V[:, :self.n] for V in self.vertices]
        self.B = [V[:, self.n:] for V in self.vertices]
        self.invertible = self._decide_invertible()

    # ------------------------------------------------------------------ invertibility
    def _decide_invertible(self):
        claim = f"every B of the {self.field_name} field is invertible"
        dets = [canonical(B.det()) for B in self.B]
        signs = [sign(d) for d in dets]
        for i, s in enumerate(signs):
            if s == 0:
                return Verdict(False, claim, {"singular": self.B[i], "vertex": i},
                               reason="a vertex has a singular B")
        if self.finite or len(self.B) == 1:
            return Verdict(True, claim, {"determinants": dets},
                           checked=["det B != 0 for every element"])
        for i, j in itertools.combinations(range(len(self.B)), 2):
            if signs[i] != signs[j]:
                return self._singular_on_segment(claim, i, j)
        if all(_rational_matrix(B) for B in self.B):
            center = sum(self.B, sympy.zeros(self.m, self.m)) / len(self.B)
            if center.det() != 0:
                C = center.inv()
                norms = [_inf_norm(sympy.eye(self.m) - C * B) for B in self.B]
                if all(nv < 1 for nv in norms):
                    return Verdict(True, claim, {"C": C, "norms": norms,
                                                 "determinants": dets},
                                   checked=["||I - C B_i||_inf < 1 at every vertex, hence "
                                            "on the hull (convexity of the norm)"])
            return self._z3_singular(claim, dets)
        return Verdict(None, claim, {"determinants": dets},
                       reason="irrational vertices: no exact decision procedure used")

    def _singular_on_segment(self, claim, i, j):
        t = sympy.Symbol("t")
        Bt = (1 - t) * self.B[i] + t * self.B[j]
        poly = sympy.Poly(sympy.expand(Bt.det()), t)
        from flint import fmpq_poly
        coeffs = [alg._q(Fraction(int(c.p), int(c.q))) for c in reversed(poly.all_coeffs())]
        (root, *_) = alg.roots_in(fmpq_poly(coeffs), 0, 1)
        r = alg.to_sympy(root)
        return Verdict(False, claim, {"segment": (i, j), "t": r,
                                      "singular": sympy.simplify(Bt.subs(t, r))},
                       reason="det B changes sign between two vertices, so B is singular "
                              "at an exact point of the segment")

    def _z3_singular(self, claim, dets, timeout_ms=20000):
        k = len(self.B)
        lam = [z3.Real(f"l{i}") for i in range(k)]
        s = solver(timeout_ms)
        s.add(*[v >= 0 for v in lam], z3.Sum(lam) == 1)
        rows = [[z3.Sum([lam[i] * rational(self.B[i][r, c]) for i in range(k)])
                 for c in range(self.m)] for r in range(self.m)]
        s.add(_z3_det(rows) == 0)
        res = s.check()
        if res == z3.unsat:
            return Verdict(True, claim, {"determinants": dets, "z3": "unsat"},
                           checked=["z3 nonlinear real arithmetic: det B(λ) = 0 has no "
                                    "solution on the simplex"])
        if res == z3.sat:
            model = s.model()
            weights = [model_value(model.eval(v, model_completion=True)) for v in lam]
            Bl = sum((to_sympy(w) * B for w, B in zip(weights, self.B)),
                     sympy.zeros(self.m, self.m))
            return Verdict(False, claim, {"weights": weights, "singular": Bl},
                           reason="z3 found a singular B in the hull")
        return Verdict(None, claim, {"determinants": dets},
                       reason=f"z3 answered {res} (timeout {timeout_ms} ms)")

    def _require(self):
        if self.invertible.holds is not True:
            raise SelcalcError(f"the implicit function theorem does not apply here: "
                               f"{self.invertible}")

    # ------------------------------------------------------------------ the set J
    @property
    def vertex_images(self):
        """``−B_i⁻¹A_i`` for every generator ``[A_i B_i]`` of the field."""
        self._require()
        out = []
        for A, B in zip(self.A, self.B):
            M = (-B.inv() * A).applyfunc(canonical)
            if M not in out:
                out.append(M)
        return out

    def elements(self):
        """Every element of ``J`` (finite fields only)."""
        if not self.finite:
            raise SelcalcError("J over a polytope field is an infinite, generally non-convex "
                               "set; use contains() or vertex_images, or field='ad_outputs'")
        return self.vertex_images

    def contains(self, M):
        """Verdict: ``M = −B⁻¹A`` for some ``[A B]`` of the field.

        Polytope field: the exact LP ``Σ λ_i (A_i + B_i M) = 0`` over the simplex (linear in
        ``λ`` because ``M`` is fixed); certificate: the weights ``λ``.
        """
        self._require()
        M = sympy.Matrix(M).applyfunc(lambda c: to_sympy(exact(c)))
        if M.shape != (self.m, self.n):
            raise SelcalcError(f"M must be {self.m}×{self.n}, got {M.shape[0]}×{M.shape[1]}")
        claim = "M is of the form -B^{-1} A for [A B] in the field"
        if self.finite:
            for i, img in enumerate(self.vertex_images):
                if sympy.simplify(img - M) == sympy.zeros(*M.shape):
                    return Verdict(True, claim, {"element": i})
            return Verdict(False, claim, {"elements": self.vertex_images})
        residuals = [A + B * M for A, B in zip(self.A, self.B)]
        if not all(_rational_matrix(R) for R in residuals):
            return Verdict(None, claim, reason="irrational data: exact LP not available")
        k = len(residuals)
        lam = [z3.Real(f"l{i}") for i in range(k)]
        s = solver()
        s.add(*[v >= 0 for v in lam], z3.Sum(lam) == 1)
        for r in range(self.m):
            for c in range(self.n):
                s.add(z3.Sum([lam[i] * rational(residuals[i][r, c]) for i in range(k)]) == 0)
        res = s.check()
        if res == z3.sat:
            model = s.model()
            weights = [model_value(model.eval(v, model_completion=True)) for v in lam]
            return Verdict(True, claim, {"weights": weights},
                           checked=["Σ λ_i (A_i + B_i M) = 0 with λ in the simplex"])
        if res == z3.unsat:
            return Verdict(False, claim, {"lp": "infeasible"},
                           checked=["the LP Σ λ_i (A_i + B_i M) = 0 over the simplex is "
                                    "infeasible (z3, exact simplex)"])
        return Verdict(None, claim, reason=f"LP solver answered {res}")


def _z3_det(rows):
    n = len(rows)
    if n == 1:
        return rows[0][0]
    total = 0
    for c in range(n):
        minor = [row[:c] + row[c + 1:] for row in rows[1:]]
        term = rows[0][c] * _z3_det(minor)
        total = total + term if c % 2 == 0 else total - term
    return total


def implicit_jacobian(F, x, y, field="clarke"):
    """The implicit conservative Jacobian ``{−B⁻¹A}`` of ``y = G(x)`` defined by
    ``F(x, y) = 0`` (nonsmooth implicit function theorem, NeurIPS 2021).

    Parameters
    ----------
    F : Program with inputs ``(x, y)`` and ``len(y)`` outputs
    x, y : points with ``F(x, y) = 0`` exactly
    field : ``"clarke"`` (default), ``"ad_outputs"`` (finite) or ``"index_closure"``

    Returns
    -------
    ImplicitJacobian
        ``.invertible`` (Verdict), ``.vertex_images``, ``.contains(M)``, ``.elements()``.

    >>> import selcalc
    >>> F = selcalc.parse("def F(u, v, x, y):\\n    return abs(x) + y - u, 2 * x + abs(y) - v")
    >>> J = implicit_jacobian(F, (0, 0), (0, 0))
    >>> J.invertible.holds, len(J.vertex_images)
    (True, 4)
    """
    if field not in FIELDS:
        raise SelcalcError(f"field must be one of {sorted(FIELDS)}, not {field!r}")
    x = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    y = tuple(y) if isinstance(y, (tuple, list)) else (y,)
    if F.p != len(x) + len(y) or F.q != len(y):
        raise SelcalcError(f"F must have len(x) + len(y) = {len(x) + len(y)} inputs and "
                           f"len(y) = {len(y)} outputs; it has p = {F.p}, q = {F.q}")
    point = F.coerce_point(x + y)
    values = F(*point)
    values = values if isinstance(values, tuple) else (values,)
    if any(sign(v) != 0 for v in values):
        raise SelcalcError(f"F(x, y) must be 0 exactly; at {tuple(str(v) for v in point)} it "
                           f"is {tuple(str(v) for v in values)}")
    return ImplicitJacobian(F, point[:len(x)], point[len(x):], field)


__all__ = ["ImplicitJacobian", "implicit_jacobian"]


def check_implicit_conservative(F, G, curve, field="clarke"):
    """Verdict: the implicit field ``x ↦ {−B⁻¹A : [A B] ∈ field of F at (x, G(x))}`` is
    conservative for the program ``G`` along ``curve``.

    ``check_conservative`` handles scalar programs; this is its vector-output counterpart
    for the implicit set, checked row by row: on each open piece of the curve (the exact
    breakpoints of ``x ↦ F(x, G(x))`` and of ``G``), ``d/dt G(γ(t)) = M γ'`` must hold for
    every ``M = −B(λ)⁻¹A(λ)``, i.e. ``A(λ) γ' + B(λ) v = 0`` with ``v = d/dt G(γ)`` — linear in
    the convex weights ``λ``, so it holds for all of ``J`` iff it holds at every generator
    ``[A_i B_i]``.  For piecewise-linear programs along a segment every quantity is constant
    on an open piece, so one rational point per piece decides it; a failing row is a
    rigorous witness (interval, ``t``, generator, residual).

    Other programs (polynomial or smooth ``F``, ``G`` such as ``sqrt``, along segments or
    polynomial curves) go through the symbolic route: on each open piece the patterns of
    ``F`` consistent at ``(γ(t), G(γ(t)))`` and the piece of ``G`` are constant, the
    residual ``A_σ(t) γ'(t) + B_σ(t) v(t)`` is a vector of one-variable analytic functions,
    proved zero by sympy or refuted at a rational ``t`` of the piece.  Invertibility of ``B``
    is decided exactly at one rational point per piece.  The breakpoints need tests that are
    polynomial along the curve (else the verdict is unknown).

    >>> import selcalc
    >>> F = selcalc.parse("def F(x, y):\\n    return x * x + y * y - 1")
    >>> G = selcalc.parse("def G(x):\\n    return sqrt(1 - x * x)")
    >>> check_implicit_conservative(F, G, selcalc.segment((-0.5,), (0.75,))).holds
    True
    """
    from ..curves import breakpoints
    from ..frontends import trace
    from ..theorems.chain_rule import compose, stack
    n, m = G.p, G.q
    claim = f"the implicit {field} field is conservative for {G.name or 'G'} along {curve!r}"
    if F.p != n + m or F.q != m:
        raise SelcalcError(f"F must have {n + m} inputs and {m} outputs for G: R^{n} -> R^{m}")
    if not (F.piecewise_linear and G.piecewise_linear) or len(curve.coeffs) > 2:
        return _implicit_symbolic(F, G, curve, field, claim)
    xs = trace(lambda *z: tuple(z), n)
    K = compose(stack(xs, G), F)
    cuts = set(breakpoints(K, curve).points) | set(breakpoints(G, curve).points)
    ends = [0] + sorted(cuts) + [1]
    velocity = sympy.Matrix([to_sympy(c) for c in curve.coeffs[1]])
    checked = []
    for a, b in zip(ends[:-1], ends[1:]):
        t1, t2 = a + Fraction(b - a) / 3, a + 2 * Fraction(b - a) / 3
        g1, g2 = (sympy.Matrix(_as_tuple(G(*curve(t)))) for t in (t1, t2))
        v = (g2 - g1) / to_sympy(t2 - t1)
        x1 = curve(t1)
        y1 = tuple(exact(c) for c in g1)
        if any(sign(c) != 0 for c in _as_tuple(F(*(x1 + y1)))):
            raise SelcalcError(f"G does not solve F(x, G(x)) = 0: at x = {x1}, "
                               f"F(x, G(x)) = {F(*(x1 + y1))}")
        J = ImplicitJacobian(F, x1, y1, field)
        if J.invertible.holds is not True:
            return Verdict(None if J.invertible.holds is None else False, claim,
                           {"interval": (a, b), "t": t1, "invertible": J.invertible},
                           checked=checked, reason="some B is singular on this piece")
        for i, (A, B) in enumerate(zip(J.A, J.B)):
            residual = (A * velocity + B * v).applyfunc(canonical)
            if any(sign(c) != 0 for c in residual):
                return Verdict(False, claim, {"interval": (a, b), "t": t1, "generator": i,
                                              "A": A, "B": B, "dG/dt": v,
                                              "residual": residual},
                               checked=checked, reason="A γ' + B dG/dt != 0 on an open piece")
        checked.append({"interval": (a, b), "generators": len(J.A)})
    return Verdict(True, claim, {"breakpoints": tuple(ends[1:-1]), "pieces": checked},
                   checked=checked)


def _as_tuple(v):
    return v if isinstance(v, tuple) else (v,)


def _implicit_symbolic(F, G, curve, field, claim):
    from ..curves import T, breakpoints
    from ..frontends import trace
    from ..selection import Selection
    from ..theorems.chain_rule import compose, stack
    n, m = G.p, G.q
    xs = trace(lambda *z: tuple(z), n)
    both = stack(compose(stack(xs, G), F), G)
    try:
        bp = breakpoints(both, curve)
    except (Undecided, PatternBudgetExceeded) as exc:
        return Verdict(None, claim, reason=f"breakpoints along the curve: {exc}")
    SF, SG = Selection(F), Selection(G)
    if SF.count > 4096:
        return Verdict(None, claim, reason=f"F has {SF.count} patterns (budget 4096)")
    gamma = sympy.Matrix(curve.exprs)
    velocity = sympy.Matrix(curve.velocity_exprs())
    checked = []
    for a, b in bp.intervals:
        t1 = rational_between(a, b)
        x1 = curve(t1)
        g_piece = sympy.Matrix(_as_tuple(SG.piece(SG.index(x1))))
        g_t = g_piece.xreplace(dict(zip(SG.symbols, curve.exprs)))
        v = g_t.diff(T)
        y1 = tuple(sympy.simplify(c.subs(T, to_sympy(t1))) for c in g_t)
        point = dict(zip(SF.symbols, tuple(to_sympy(c) for c in x1) + y1))
        consistent = [sigma for sigma in SF.patterns()
                      if all(_holds(r, sign(sympy.expand(c.xreplace(point))))
                             for c, r in SF.conditions(sigma))]
        on_curve = dict(zip(SF.symbols, tuple(gamma) + tuple(g_t)))
        J = ImplicitJacobian(F, x1, y1, field)
        if J.invertible.holds is not True:
            return Verdict(None if J.invertible.holds is None else False, claim,
                           {"interval": (a, b), "t": t1, "invertible": J.invertible},
                           checked=checked, reason="some B is singular on this piece")
        for sigma in consistent:
            f_sigma = sympy.Matrix(_as_tuple(SF.piece(sigma)))
            value = f_sigma.xreplace(on_curve).applyfunc(sympy.simplify)
            if value != sympy.zeros(m, 1):
                raise SelcalcError(f"G does not solve F(x, G(x)) = 0 along the curve: on "
                                   f"({a}, {b}) the piece {sigma} of F gives {list(value)}")
            jac = f_sigma.jacobian(SF.symbols).xreplace(on_curve)
            A, B = jac[:, :n], jac[:, n:]
            residual = (A * velocity + B * v).applyfunc(sympy.simplify)
            if residual == sympy.zeros(m, 1):
                continue
            for t in (t1, rational_between(a, t1), rational_between(t1, b)):
                r_t = residual.subs(T, to_sympy(t)).applyfunc(sympy.simplify)
                if any(sign(c) != 0 for c in r_t):
                    witness = {"interval": (a, b), "t": t, "pattern": sigma,
                               "residual": list(r_t)}
                    if field == "ad_outputs" or len(consistent) == 1:
                        return Verdict(False, claim, witness, checked=checked,
                                       reason="A γ' + B dG/dt != 0 on an open piece")
                    return Verdict(None, claim, witness, checked=checked,
                                   reason="the identity fails for a consistent pattern of F "
                                          "that may lie outside its Clarke Jacobian")
            return Verdict(None, claim, {"interval": (a, b), "residual": list(residual)},
                           checked=checked,
                           reason="sympy could not prove the residual zero, and it vanishes "
                                  "at the rational points tried")
        checked.append({"interval": (a, b), "generators": len(consistent)})
    return Verdict(True, claim, {"breakpoints": tuple(bp.points), "pieces": checked},
                   checked=checked)


__all__ += ["check_implicit_conservative"]
