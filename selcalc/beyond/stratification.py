"""The projection formula of variational stratifications, and the closed-graph property.

Bolte, Daniilidis and Lewis ("The Łojasiewicz inequality for nonsmooth subanalytic
functions with applications to subgradient dynamical systems", SIAM J. Optim. 2007) and
Bolte & Pauwels ("Conservative set valued fields, automatic differentiation, stochastic
gradient methods and deep learning", Math. Programming 2021, arXiv:1909.10300): a
definable, graph-closed, locally bounded field ``D`` is conservative for ``f`` iff there is
a stratification into manifolds ``M`` on which ``f`` is smooth and
``P_{T_x M} D(x) = {∇_M f(x)}`` (the Riemannian gradient) at every ``x``.

For a piecewise-linear program the stratum through ``x`` is read off the ties: near ``x``
the set where every test tied at ``x`` (for every tie-consistent pattern) stays zero is an
open piece of ``x + T``, ``T`` the common kernel of those tests' gradients.  Every ``f_σ`` of
a consistent pattern agrees with ``f`` there, so ``P_T ∇f_σ(x)`` is one vector, the
Riemannian gradient.  The check computes ``T`` (a basis), the projection of every vertex
of the field, and compares exactly.

>>> import selcalc
>>> P = selcalc.parse("def f(x1, x2):\\n    return abs(x1) + abs(x2)")
>>> v = selcalc.check_projection_formula(P, (0, 1))
>>> v.holds, v.certificate["tangent_basis"], v.certificate["riemannian_gradient"]
(True, [(0, 1)], (0, 1))
>>> v.certificate["projected"]
[(0, 1)]
"""

from __future__ import annotations

import sympy

from ..curves import Field, check_conservative, segment
from ..errors import SelcalcError
from ..fields import ad_outputs, clarke, index_closure
from ..interpreters.evaluate import evaluate
from ..interpreters.symbolic import condition_expressions, input_symbols, node_expressions
from ..numbers import canonical, exact, sign, to_sympy
from ..verdict import Verdict

FIELDS = {"clarke": clarke, "ad_outputs": ad_outputs, "index_closure": index_closure}


def _consistent_patterns(P, x):
    run = evaluate(P, x)
    base = {g: run.active[g][0] for g in P.branching_groups}
    keys = ad_outputs(P, x).patterns
    return [{**base, **dict(k)} for k in keys]


def stratum(P, x):
    """``(basis of T, tied test gradients)`` of the stratum through ``x`` (PL programs)."""
    if not P.piecewise_linear:
        raise SelcalcError("the stratum is computed for piecewise-linear programs only")
    syms = input_symbols(P)
    point = dict(zip(syms, (to_sympy(v) for v in x)))
    rows = []
    for sigma in _consistent_patterns(P, x):
        for t, _ in condition_expressions(P, sigma):
            if sympy.expand(t.xreplace(point)) == 0:
                g = tuple(sympy.diff(t, s) for s in syms)
                if any(c != 0 for c in g) and g not in rows:
                    rows.append(g)
    G = sympy.Matrix(rows) if rows else sympy.zeros(0, P.p)
    basis = G.nullspace() if rows else [sympy.eye(P.p)[:, j] for j in range(P.p)]
    return [tuple(canonical(c) for c in b) for b in basis], rows


def _projector(basis, p):
    if not basis:
        return sympy.zeros(p, p)
    Bm = sympy.Matrix.hstack(*[sympy.Matrix(b) for b in basis])
    return Bm * (Bm.T * Bm).inv() * Bm.T


def _gradients(P, x):
    syms = input_symbols(P)
    point = dict(zip(syms, (to_sympy(v) for v in x)))
    out = []
    for sigma in _consistent_patterns(P, x):
        f = node_expressions(P, sigma, syms)[P.outputs[0]]
        out.append(tuple(sympy.diff(f, s).xreplace(point) for s in syms))
    return out


def _require_closed(fld):
    if not fld.closed:
        bad = next(c for conds, _ in fld.pieces for c in conds if not c.closed)
        raise SelcalcError(f"a Field condition must be Eq, >= or <= (closed) for the checks "
                           f"at a point, not {bad.relation}")


def _user_field_at(P, x, fld):
    """The vectors of a user :class:`selcalc.Field` at ``x`` (conditions decided exactly)."""
    _require_closed(fld)
    vectors = []
    for k in fld.holding_at(P.input_names, x):
        if fld.pieces[k][1] == "gradient":
            vectors.extend(ad_outputs(P, x).points)
        else:
            vectors.extend(fld.vectors_at(P.input_names, x, k))
    if not vectors:
        raise SelcalcError(f"the user field has no vector at {x}")
    return vectors


def field_vectors(P, x, field):
    """The generating vectors of a field at ``x`` (vertices, or a user Field's vectors)."""
    if isinstance(field, Field):
        return _user_field_at(P, x, field)
    if field not in FIELDS:
        raise SelcalcError(f"field must be one of {sorted(FIELDS)} or a selcalc.Field")
    return list(FIELDS[field](P, x)._vertex_vectors)


def check_projection_formula(P, x, field="clarke"):
    """Verdict: ``P_T D(x) = {∇_M f(x)}`` for the stratum ``M`` through ``x``.

    Certificate: ``tangent_basis`` (a basis of ``T``), ``tied_gradients`` (the rows whose
    kernel is ``T``), ``riemannian_gradient`` (``P_T ∇f_σ(x)``, the same for every
    consistent pattern — checked), ``projected`` (``P_T v`` for each vector of the field).
    When it fails: the vector and its projection; and if ``T ≠ {0}``, a rigorous witness of
    non-conservativity from :func:`selcalc.check_conservative` along a segment of ``M``
    through ``x`` when it finds one (a failure at a single point alone does not refute
    conservativity, which only constrains ``D`` almost everywhere along curves).

    >>> import selcalc
    >>> P = selcalc.parse("def f(x1, x2):\\n    return abs(x1) + abs(x2)")
    >>> c = check_projection_formula(P, (0, 1)).certificate  # on the stratum x1 = 0
    >>> c["tangent_basis"], c["riemannian_gradient"]
    ([(0, 1)], (0, 1))
    """
    if P.q != 1:
        raise SelcalcError("check_projection_formula is for scalar programs")
    x = P.coerce_point(x)
    claim = f"P_T D(x) = {{grad_M f(x)}} at x = {tuple(str(v) for v in x)}"
    basis, rows = stratum(P, x)
    proj = _projector(basis, P.p)
    grads = {tuple(canonical(c) for c in proj * sympy.Matrix(g)) for g in _gradients(P, x)}
    if len(grads) != 1:
        return Verdict(None, claim, {"projections": sorted(grads, key=str)},
                       reason="the consistent patterns disagree on T: the stratum read "
                              "from the ties is not one on which f is smooth")
    (rgrad,) = grads
    cert = {"tangent_basis": basis, "tied_gradients": rows, "riemannian_gradient": rgrad}
    projected = []
    for v in field_vectors(P, x, field):
        pv = tuple(canonical(c) for c in proj * sympy.Matrix([to_sympy(c) for c in v]))
        projected.append(pv)
        if any(sign(a - b) != 0 for a, b in zip(pv, rgrad)):
            cert.update({"vector": tuple(v), "projection": pv})
            if basis and isinstance(field, Field):
                d = basis[0]
                curve = segment(tuple(exact(a - b) for a, b in zip(x, d)),
                                tuple(exact(a + b) for a, b in zip(x, d)))
                cert["curve_check"] = check_conservative(P, curve, field=field)
            return Verdict(False, claim, cert, reason="a vector of the field projects off "
                                                      "the Riemannian gradient")
    cert["projected"] = sorted(set(projected), key=str)
    return Verdict(True, claim, cert,
                   checked=["T = common kernel of the tied tests' gradients",
                            "P_T grad f_sigma equal for every consistent pattern",
                            "P_T v = grad_M f for every vector v of the field"])


def check_closed_graph(P, x, field="clarke"):
    """Verdict: ``D(x)`` contains the limits of ``D`` along sequences tending to ``x`` from
    the interior of each neighbouring piece (piecewise-linear programs).

    The pieces around ``x`` are the essential patterns ``σ`` (their cells touch ``x``); the
    limit from the inside of cell ``σ`` is ``∇f_σ(x)`` for the built-in fields, and for a
    user :class:`selcalc.Field` the exact limit of its vectors along ``x + t d`` as
    ``t → 0+`` (``d`` an interior direction of the cell, from the Clarke certificate).
    Limits along lower-dimensional neighbouring strata are not examined.  (A user Field
    with closed conditions and continuous vectors always has a closed graph; the check
    matters for fields whose vectors are given by expressions with singularities.)

    >>> import selcalc
    >>> P = selcalc.parse("def f(x1, x2):\\n    return abs(x1) + abs(x2)")
    >>> check_closed_graph(P, (0, 0)).holds  # the Clarke field has a closed graph
    True
    """
    if not P.piecewise_linear:
        raise SelcalcError("check_closed_graph is for piecewise-linear programs")
    x = P.coerce_point(x)
    C = clarke(P, x)
    Dx = _hull(field_vectors(P, x, field))
    claim = f"the field contains its limits from the neighbouring pieces at {x}"
    checked = []
    t = sympy.Symbol("t", positive=True)
    for key, grad in C.patterns.items():
        if isinstance(field, Field):
            d = C.decisions[key].certificate.get("direction") or (0,) * P.p
            if not any(d):
                d = (1,) + (0,) * (P.p - 1)
            limits = _user_limits(x, d, field, t, grad, P.input_names)
        else:
            limits = [tuple(grad)]
        for v in limits:
            inside = Dx.contains(v)
            if inside.holds is not True:
                return Verdict(False, claim, {"pattern": dict(key), "limit": v,
                                              "separator": inside.certificate},
                               checked=checked)
            checked.append({"pattern": dict(key), "limit": v})
    return Verdict(True, claim, {"limits": checked}, checked=checked)


def _hull(vectors):
    from ..sets import ConvexSet
    return ConvexSet([tuple(exact(c) for c in v) for v in vectors])


def _user_limits(x, d, fld, t, grad, names):
    """Limits of a user field's vectors along ``x + t d``, ``t → 0+``; inside the cell of a
    pattern ``σ`` its "gradient" vectors are ``∇f_σ`` (piecewise-linear programs)."""
    _require_closed(fld)
    along = [to_sympy(a) + to_sympy(b) * t for a, b in zip(x, d)]
    out = []
    for k in fld.holding_near_start(names, along, t):
        if fld.pieces[k][1] == "gradient":
            out.append(tuple(grad))
        else:
            out.extend(tuple(sympy.limit(c, t, 0, "+") for c in v)
                       for v in fld.vectors_along(names, along, k))
    return out


__all__ = ["check_closed_graph", "check_projection_formula", "stratum"]
