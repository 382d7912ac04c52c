"""Independent checkers for every certificate selcalc returns.

Each function re-verifies a certificate with plain exact arithmetic (``Fraction`` / sympy,
signs certified by :func:`selcalc.numbers.sign`), without calling the code that produced
it, and returns True or raises AssertionError saying what is wrong.

>>> check_direction([(1, 0), (1, 1)], (1, 0))
True
>>> check_gordan([(1, 0), (-1, 0)], (1, 1))
True
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm

import sympy

from .numbers import exact, sign

# These small helpers repeat ones in numbers / polyhedra / decide on purpose: the checkers
# must not share code with the engine whose answers they re-verify (only the exact-number
# layer, ``exact`` and ``sign``, is common), so a bug there cannot confirm itself here.


def _dot(u, v):
    return sum(sympy.sympify(a) * sympy.sympify(b) for a, b in zip(u, v))


def _flat(v):
    return tuple(exact(c) for c in (list(v) if isinstance(v, sympy.MatrixBase) else v))


def _rational(*vectors):
    return all(isinstance(c, (int, Fraction)) for vec in vectors for c in vec)


def check_weights(vertices, v, weights):
    """``v = Σ w_i vertices[i]`` with ``w >= 0``, ``Σ w = 1``."""
    vertices = [_flat(u) for u in vertices]
    v = _flat(v)
    ws = {i: exact(w) for i, w in weights.items()}
    if _rational(v, ws.values(), *(vertices[i] for i in ws)):
        assert all(w >= 0 for w in ws.values()), "negative weight"
        assert sum(ws.values()) == 1, "weights do not sum to 1"
        for j in range(len(v)):
            assert sum(w * vertices[i][j] for i, w in ws.items()) == v[j], \
                f"coordinate {j} differs"
        return True
    assert all(sign(w) >= 0 for w in ws.values()), "negative weight"
    assert sign(sum(sympy.sympify(w) for w in ws.values()) - 1) == 0, \
        "weights do not sum to 1"
    for j in range(len(v)):
        total = sum(sympy.sympify(exact(w)) * sympy.sympify(vertices[i][j])
                    for i, w in weights.items())
        assert sign(total - sympy.sympify(v[j])) == 0, f"coordinate {j} differs"
    return True


def check_separator(vertices, v, w):
    """``<w, v> > <w, u>`` for every vertex ``u``."""
    v = _flat(v)
    w = _flat(w)
    for u in vertices:
        u = _flat(u)
        if _rational(v, w, u):
            assert sum(a * (b - c) for a, b, c in zip(w, v, u)) > 0, \
                f"w does not separate v from the vertex {tuple(u)}"
            continue
        gap = _dot(w, v) - _dot(w, u)
        assert sign(gap) > 0, f"w does not separate v from the vertex {tuple(u)}"
    return True


def check_membership(S, v, verdict):
    """Check the certificate of ``S.contains(v)`` against the set's points (weights index
    ``S.generators``; a separator must beat every point)."""
    cert = verdict.certificate
    if verdict.holds:
        return check_weights(S.generators, v, cert["weights"])
    return check_separator(S.generators, v, cert["separator"])


def check_vertices(S):
    """Check :attr:`ConvexSet.vertex_certificates`: every vertex strictly maximises its
    vector over the other points, every other point is a convex combination of others,
    and the vertices are exactly the points of the first kind."""
    pts = S.generators
    certs = S.vertex_certificates
    assert set(certs) == set(range(len(pts))), "a point has no certificate"
    listed = {_flat(v) for v in S.vertices}
    for i, cert in certs.items():
        others = [pts[j] for j in range(len(pts)) if j != i]
        if "separator" in cert:
            assert _flat(pts[i]) in listed, f"point {i} is certified a vertex but not listed"
            check_separator(others, pts[i], cert["separator"])
        else:
            assert _flat(pts[i]) not in listed, f"point {i} is listed but not extreme"
            assert i not in cert["weights"], "a point may not use itself"
            check_weights(pts, pts[i], cert["weights"])
    return True



def _sgn(x):
    return (x > 0) - (x < 0) if isinstance(x, (int, Fraction)) else sign(sympy.sympify(x))


def _rank(rows):
    """Rank by Gaussian elimination over the rationals (sympy for other exact reals)."""
    if not rows:
        return 0
    if not _rational(*rows):
        return sympy.Matrix([[sympy.sympify(a) for a in r] for r in rows]).rank(simplify=True)
    M = [[Fraction(a) for a in r] for r in rows]
    rank = 0
    for col in range(len(M[0])):
        piv = next((i for i in range(rank, len(M)) if M[i][col] != 0), None)
        if piv is None:
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(len(M)):
            if i != rank and M[i][col] != 0:
                f = M[i][col] / M[rank][col]
                M[i] = [a - f * b for a, b in zip(M[i], M[rank])]
        rank += 1
    return rank


def _affine_dim(points):
    return _rank([[a - b for a, b in zip(p, points[0])] for p in points[1:]])


def _gap(c, v, e):
    """``c·v - e`` exactly."""
    if _rational(c, v, (e,)):
        return sum(a * b for a, b in zip(c, v)) - e
    return _dot(c, v) - sympy.sympify(e)


def _check_faces(V, idx, d, faces, scale=1, where="the set"):
    """The ``faces`` (normal, offset, tight, ridges) are all the facets of ``conv(V[idx])``
    (affine dimension ``d``): each inequality holds on every point and is tight exactly on
    the listed points, which span dimension ``d - 1``; and every ridge of every listed
    facet (its own facets, checked the same way, or for a simplex its vertex sets less
    one vertex) lies in exactly two listed facets.  The facets of a polytope of dimension
    ``d >= 2`` are connected through ridges and each ridge lies in exactly two facets, so
    a list closed under crossing ridges is complete; in dimension one the two endpoints
    are required.  ``V`` may be the points times ``scale > 0`` (offsets are scaled too)."""
    if d == 0:
        assert not faces, f"a point has no facets ({where})"
        return
    tights = []
    for k, f in enumerate(faces):
        c, e = _flat(f["normal"]), exact(f["offset"]) * scale
        tight = []
        for i in idx:
            s = _sgn(_gap(c, V[i], e))
            assert s <= 0, f"vertex {i} violates facet {k} of {where}"
            if s == 0:
                tight.append(i)
        assert tuple(tight) == tuple(f["tight"]), f"facet {k} of {where}: wrong tight set"
        assert _affine_dim([V[i] for i in tight]) == d - 1, \
            f"facet {k} of {where} is not a face of dimension {d - 1}"
        tights.append(frozenset(tight))
    assert len(set(tights)) == len(tights), f"a facet of {where} is listed twice"
    if d == 1:
        assert len(faces) == 2, f"a segment has two facets ({where})"
        return
    assert faces, f"a polytope of dimension {d} has facets ({where})"
    holders = {}
    for k, T in enumerate(tights):
        for i in T:
            holders.setdefault(i, set()).add(k)
    for k, (f, T) in enumerate(zip(faces, tights)):
        if f["ridges"] is None:
            assert len(T) == d, f"facet {k} of {where} is not a simplex: its ridges are needed"
            ridges = [T - {i} for i in T]
        else:
            _check_faces(V, tuple(sorted(T)), d - 1, f["ridges"], scale,
                         f"facet {k} of {where}")
            ridges = [frozenset(g["tight"]) for g in f["ridges"]]
        for R in ridges:
            count = len(set.intersection(*(holders[i] for i in R)))
            assert count == 2, (f"a ridge {sorted(R)} of facet {k} of {where} lies in "
                                f"{count} listed facets, not 2: the list is incomplete")


def check_facets(vertices, H):
    """Re-check an :class:`selcalc.sets.HRepresentation` against the vertices of the set
    (a :class:`ConvexSet` or its vertex list; the vertices themselves are certified by
    :func:`check_vertices`).

    The equalities hold at every vertex and have rank ``n - dim`` (so they define the
    affine hull); every normal is a coprime integer vector; the facets are complete (see
    :func:`_check_faces`): the set equals the intersection of the listed half-spaces with
    the affine hull.

    >>> from selcalc import ConvexSet
    >>> S = ConvexSet([(0, 0), (1, 0), (1, 1), (0, 1)])
    >>> check_facets(S, S.facets())
    True
    """
    verts = getattr(vertices, "vertices", vertices)
    V = [_flat(v) for v in verts]
    assert V == [_flat(v) for v in H.vertices], "the vertices differ from the set's"
    n, d = len(V[0]), _affine_dim(V)
    assert H.dim == d == H.certificate["dim"], f"the dimension is {d}, not {H.dim}"
    for a, b in H.equalities:
        assert all(_sgn(_gap(_flat(a), v, exact(b))) == 0 for v in V), \
            f"the equality {tuple(a)}·x = {b} fails at a vertex"
    assert _rank([_flat(a) for a, _ in H.equalities]) == n - d, \
        "the equalities do not cut out the affine hull"
    faces = H.certificate["facets"]
    for a in [a for a, _ in H.equalities] + [f["normal"] for f in faces]:
        assert all(isinstance(x, int) for x in a) and gcd(*a) == 1, \
            f"the normal {tuple(a)} is not a coprime integer vector"
    assert tuple((f["normal"], f["offset"]) for f in faces) == tuple(H.inequalities)
    assert tuple(f["tight"] for f in faces) == tuple(H.tight)
    scale = 1
    if _rational(*V):  # integer points (times a common denominator): faster sums
        scale = lcm(*(Fraction(x).denominator for v in V for x in v))
        V = [tuple(int(x * scale) for x in v) for v in V]
    _check_faces(V, tuple(range(len(V))), d, faces, scale)
    return True

def check_direction(constraints, d):
    """The open cone ``{d : c·d > 0 for all c}`` contains ``d``."""
    for c in constraints:
        assert sign(_dot(c, d)) > 0, f"c·d <= 0 for c = {tuple(c)}"
    return True


def check_gordan(constraints, lam):
    """Gordan: ``λ >= 0``, ``λ != 0``, ``Σ λ_j c_j = 0`` proves the open cone is empty."""
    assert len(lam) == len(constraints)
    assert all(sign(exact(x)) >= 0 for x in lam) and any(sign(exact(x)) > 0 for x in lam), \
        "bad λ"
    n = len(constraints[0])
    for j in range(n):
        total = sum(sympy.sympify(exact(x)) * sympy.sympify(exact(c[j]))
                    for x, c in zip(lam, constraints))
        assert sign(total) == 0, "Σ λ_j c_j is not 0"
    return True


def check_stiemke(constraints, lam):
    """``λ > 0``, ``Σ λ_j c_j = 0`` and the c_j of full rank: the closed cone is {0}."""
    assert all(sign(exact(x)) > 0 for x in lam), "λ must be strictly positive"
    check_gordan(constraints, lam)
    rank = sympy.Matrix([[sympy.sympify(exact(a)) for a in c] for c in constraints]).rank()
    assert rank == len(constraints[0]), "the constraint vectors do not span the space"
    return True


def _derivative_at(expr, symbols, point, d, k):
    h = sympy.Dummy("h")
    u = sympy.sympify(expr).xreplace({s: sympy.sympify(v) + h * dj
                                      for s, v, dj in zip(symbols, point, d)})
    return sympy.diff(u, h, k).xreplace({h: 0})


def check_vanishing(cert):
    """Re-check a claim that a test vanishes identically near a point, or does not.

    ``"vanishes"`` by ``"rational normal form"``: ``sympy.cancel`` gives 0;
    ``"symbolic"``: ``sympy.simplify`` over real symbols gives 0.  ``"nonvanishing"``:
    the stated monomial coefficient of the normal form's numerator, or the stated Taylor
    coefficient along the stated direction, is recomputed and its sign certified nonzero.
    """
    method = cert.get("method")
    if method == "affine, zero gradient":
        return True  # an affine test that is 0 at x with gradient 0 is the zero function
    expr, symbols, point = cert["test"], cert["symbols"], cert["point"]
    if cert["kind"] == "vanishes":
        if method == "rational normal form":
            num = sympy.numer(sympy.cancel(sympy.together(expr)))
            poly = sympy.Poly(sympy.expand(num), *symbols)
            assert all(sign(c) == 0 for c in poly.coeffs()), "the numerator is not 0"
            return True
        assert method == "symbolic", f"unknown vanishing method {method!r}"
        real = {v: sympy.Dummy(str(v), real=True) for v in symbols}
        e = expr.xreplace(real)
        assert sympy.simplify(e) == 0 or sympy.simplify(
            sympy.expand_log(e.rewrite(sympy.exp))) == 0, "no symbolic zero proof"
        return True
    assert cert["kind"] == "nonvanishing"
    if method == "rational normal form":
        num = sympy.numer(sympy.together(expr))
        coeff = sympy.Poly(sympy.expand(num), *symbols).coeff_monomial(cert["monomial"])
        assert sign(sympy.sympify(coeff) - sympy.sympify(cert["coefficient"])) == 0
        assert sign(coeff) != 0, "the stated coefficient is 0"
        return True
    assert method == "taylor", f"unknown method {method!r}"
    value = _derivative_at(expr, symbols, point, cert["direction"], cert["order"])
    assert sign(value) != 0, "the stated Taylor coefficient is 0"
    return True


def check_one_sided(cert, holds):
    """Re-check a one-input decision from first nonzero Taylor coefficients."""
    symbols, point = cert["symbols"], cert["point"]
    side_ok = {1: True, -1: True}
    for (t, s), (k, a) in zip(cert["tests"], cert["taylor"]):
        for j in range(1, k):
            assert sign(_derivative_at(t, symbols, point, (1,), j)) == 0, \
                f"derivative {j} of {t} is not 0"
        value = _derivative_at(t, symbols, point, (1,), k)
        assert sign(value - sympy.sympify(a)) == 0 and sign(value) != 0
        for side in (1, -1):
            side_ok[side] &= s * sign(value) * side ** k > 0
    if holds:
        assert side_ok[cert["side"]], "the stated side does not satisfy every test"
    else:
        assert not side_ok[1] and not side_ok[-1], "some side satisfies every test"
    return True


def check_decision(decision):
    """Re-check the certificate of a local decision (see :mod:`selcalc.decide`)."""
    kind, cert = decision.certificate["kind"], decision.certificate
    if decision.holds is None:  # an unknown carries its reason, nothing to verify
        assert cert.get("reason"), "an unknown decision must say why"
        return True
    for vanished in cert.get("vanishing", ()):
        if vanished["kind"] == "merged":  # tied pieces with one local Jacobian: merged
            rows = {}
            for k, _i, row in vanished["jacobians"]:
                rows.setdefault(k, []).append(row)
            assert all(sign(a - b) == 0 for rs in rows.values() for r in rs
                       for a, b in zip(r, rs[0])), "merged pieces differ to first order"
            continue
        check_vanishing(vanished)
    if kind == "one_sided":
        return check_one_sided(cert, decision.holds)
    if kind in ("vanishes", "nonvanishing"):
        return check_vanishing(cert)
    if kind == "direction":
        return check_direction(cert["constraints"], cert["direction"])
    if kind == "gordan":
        for (t, rel), c in zip(cert.get("affine_tests", ()), cert["constraints"]):
            # in a program with smooth parts, Gordan refutes only over affine tests
            poly = sympy.Poly(t, *cert["symbols"])
            assert poly.total_degree() <= 1, f"the test {t} is not affine"
            grad = [poly.coeff_monomial(v) for v in cert["symbols"]]
            assert all(sign(rel * g - sympy.sympify(cj)) == 0 for g, cj in zip(grad, c)), \
                f"the constraint {tuple(c)} is not the gradient of {t}"
        return check_gordan(cert["constraints"], cert["lambda"])
    if kind == "stiemke":
        return check_stiemke(cert["constraints"], cert["lambda"])
    if kind == "equality":
        if "nonvanishing" in cert:  # zero gradient, but the test is not identically 0
            return check_vanishing(cert["nonvanishing"])
        assert any(any(sign(c) != 0 for c in g) for g in cert["gradients"]), \
            "an equality test with nonzero gradient is needed"
        return True
    if kind == "smt":
        from .decide import recheck_smt
        assert recheck_smt(cert) == decision.holds, "the re-check disagrees"
        return True
    raise AssertionError(f"unknown certificate kind {kind!r}")


def check_clarke_element(P, x, element):
    """Re-check a :func:`selcalc.clarke_element` certificate from the program itself.

    With the standard interpreters (exact evaluation, local partials of the certified
    pattern, tangents pushed along each direction by a loop of its own): the pattern picks
    an active piece at every tie; every tied test vanishing at ``x`` has a tangent sequence
    whose first nonzero entry lies on the side the piece allows (only the first direction
    for programs with nonlinear tests; an all-zero sequence only for piecewise-linear
    programs and spanning directions, where it means the test is identically zero near
    ``x``) — so the curve ``x + t d_1 + t² d_2 + …`` is inside the pattern's open region for
    small t; and the value is the pattern's gradient, computed by backpropagation.
    """
    from .autodiff import jacobian_rows
    from .conventions import CONVENTIONS
    from .interpreters.evaluate import evaluate
    from .interpreters.partials import condition_partials, local_partials
    cert = element.certificate
    sigma, D = cert["pattern"], [tuple(exact(v) for v in d) for d in cert["directions"]]
    run = evaluate(P, x)
    affine = P.piecewise_linear
    spans = sympy.Matrix([[sympy.sympify(v) for v in d] for d in D]).rank() == P.p
    for g, act in run.active.items():
        assert sigma.get(g, act[0]) in act, f"group {g}: piece {sigma.get(g)} is not active"
    d = local_partials(P, run, CONVENTIONS["selection"], pattern=sigma)
    tangents = []
    for direction in D:
        tan = [None] + list(direction) + [0] * (P.m - P.p)
        for k in range(P.p + 1, P.m + 1):
            tan[k] = sum(a * tan[j] for j, a in zip(P.args[k], d[k]) if a != 0)
        tangents.append(tan)
    depth = len(D) if affine else 1
    for g, act in run.active.items():
        if len(act) < 2:
            continue
        prim, i = P.ops[g], sigma[g]
        vs = [run.values[j] for j in P.args[g]] + list(P.params[g])
        for t_idx, allowed in prim.conditions_of(i):
            if sign(prim.test_values(vs)[t_idx]) != 0:
                continue
            partials = condition_partials(P, g, t_idx, vs, run.values[1:P.p + 1])
            s = 0
            for tan in tangents[:depth]:
                s = sign(sum(a * tan[j] for a, j in zip(partials, P.args[g]) if a != 0))
                if s != 0:
                    break
            if s == 0:
                assert affine and spans, (
                    f"group {g}: a tied test stays 0 along the directions")
            else:
                assert s in allowed and s != 0, f"group {g}: the curve leaves the piece"
    rows = jacobian_rows(P, x, pattern=sigma, run=run)
    value = element.value
    flat = list(value) if isinstance(value, sympy.MatrixBase) else list(value)
    expect = [v for row in rows for v in row]
    assert all(sign(sympy.sympify(a) - sympy.sympify(b)) == 0 for a, b in zip(flat, expect)), \
        "the value is not the pattern's gradient"
    return True
