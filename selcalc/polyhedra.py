"""Exact linear programming for every linear question selcalc asks.

Every linear question the engine asks reduces to one *theorem of the alternative* (Gordan):
for finitely many vectors ``c_1 .. c_m`` exactly one of

* a direction ``d`` with ``c_i·d > 0`` for every ``i``, or
* multipliers ``λ >= 0``, ``Σ λ_i = 1``, ``Σ λ_i c_i = 0``

exists.  Cell decisions of a hyperplane arrangement ask it of the signed test gradients;
"is ``v`` in ``conv(u_1 .. u_m)``" asks it of ``v - u_i`` (the direction is a separating
vector, the multipliers are convex weights); "is ``p`` a vertex" asks it of ``p - u`` over
the other points.

How it is answered (the usual way exact LP solvers work): one floating-point LP (HiGHS,
through :func:`scipy.optimize.linprog`), ``max t`` subject to ``c_i·d >= t``, ``t <= 1``,
whose primal solution is a candidate direction and whose dual solution is a candidate
``λ``.  The candidate is then turned into an exact rational answer and **verified
exactly** (python-flint's ``fmpq_mat``): the direction is rounded and ``c_i·d > 0`` checked
in rational arithmetic; for ``λ`` the linear system restricted to the dual support is
solved exactly and ``λ >= 0`` checked.  When the verification fails (a degenerate or
ill-conditioned LP), the question is re-solved by z3's exact rational simplex.  Floats only
*propose*; nothing is returned that was not verified in exact arithmetic.

For vectors with irrational (real algebraic or exp-log) coordinates the same float LP
proposes and the certified sign of :mod:`selcalc.numbers` verifies; when that fails the
answer is :class:`selcalc.Undecided`, never a guess.

The H-representation of a rational polytope (:func:`facets`) needs no LP: exact
gift-wrapping from facet to facet across ridges, in integer arithmetic.

>>> gordan([(1, 0), (0, 1)])
('direction', (1, 1))
>>> gordan([(1, 0), (-1, 0), (0, 1)])
('lambda', (Fraction(1, 2), Fraction(1, 2), 0))
>>> STATS.reset(); _ = gordan([(2, -1), (-1, 2)]); STATS.float_lps, STATS.fallbacks
(1, 0)
"""

from __future__ import annotations

import contextlib
from fractions import Fraction

import numpy as np
import sympy
from flint import fmpq, fmpq_mat, fmpz_mat

from .errors import Undecided
from .numbers import all_rational, dot, exact, normalize, sign

#: tolerance under which a float LP value counts as zero (only used to *propose*)
TOL = 1e-9


class LPStats:
    """Counters of the backend's work (reported by the benchmarks)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.float_lps = 0
        self.exact_checks = 0
        self.fallbacks = 0
        self.hints = 0

    def __repr__(self):
        return (f"LPStats(float_lps={self.float_lps}, exact_checks={self.exact_checks}, "
                f"fallbacks={self.fallbacks}, hints={self.hints})")


STATS = LPStats()

_BACKEND = ["highs"]


@contextlib.contextmanager
def use_backend(name):
    """Temporarily answer every linear question with ``"highs"`` (default) or ``"z3"``.

    The z3 route is the previous engine, kept to measure against and as the exact
    fallback.
    """
    if name not in ("highs", "z3"):
        raise ValueError("backend must be 'highs' or 'z3'")
    old = _BACKEND[0]
    _BACKEND[0] = name
    try:
        yield
    finally:
        _BACKEND[0] = old


def backend():
    """The name of the backend in force."""
    return _BACKEND[0]


# ---------------------------------------------------------------------- conversions
def _frac(q):
    """A python-flint ``fmpq`` as int / Fraction."""
    p, d = int(q.p), int(q.q)
    return p if d == 1 else Fraction(p, d)


def _q(v):
    """An exact rational as a python-flint ``fmpq``."""
    if isinstance(v, int):
        return fmpq(v)
    return fmpq(v.numerator, v.denominator)


#: rows whose entries reach 2**_FLOAT_SCALE are scaled down before the float LP
_FLOAT_SCALE = 900


def _float_rows(rows, rational):
    """The rows as floats for the LP proposal.  A row with entries too large for a float
    is scaled by a positive power of 2 first (Gordan's alternative and the support of a
    multiplier do not change; every proposal is verified exactly on the original rows)."""
    out = []
    for r in rows:
        vals = [Fraction(v) for v in r] if rational else [sympy.N(v, 20) for v in r]
        if rational:
            top = max(abs(v.numerator).bit_length() - v.denominator.bit_length()
                      for v in vals)
        else:  # binary exponent + mantissa bits of each nonzero float
            top = max((v._mpf_[2] + v._mpf_[3] for v in vals
                       if isinstance(v, sympy.Float) and v != 0), default=0)
        if top > _FLOAT_SCALE:
            scale = Fraction(1, 2 ** top) if rational else sympy.Integer(2) ** -top
            vals = [v * scale for v in vals]
        out.append([float(v) for v in vals])
    return np.array(out, dtype=float)


def _rationalize(vec):
    """A short integer vector close in direction to a float vector (checked exactly later)."""
    from math import lcm
    scale = max((abs(v) for v in vec), default=0.0) or 1.0
    fracs = [Fraction(float(v) / scale).limit_denominator(1 << 16) for v in vec]
    den = lcm(*(f.denominator for f in fracs)) if fracs else 1
    return tuple(int(f * den) for f in fracs)


# ---------------------------------------------------------------------- the float LP
_QUIET = []


def _new_highs():
    """A silent HiGHS instance (the library prints a banner on its first construction,
    straight to file descriptor 1: it is sent to /dev/null here)."""
    import os
    import sys

    import highspy
    if not _QUIET:
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _QUIET.append(True)
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    return h


class _GordanLP:
    """``max t : c_i·d >= t, t <= 1`` in HiGHS, kept between calls.

    Rows are kept when the next question starts with the same vectors (a depth-first
    search over cells asks parent + one row, then a sibling), so HiGHS re-solves from the
    previous basis instead of from scratch.
    """

    def __init__(self, n):
        import highspy
        self.n = n
        self.inf = highspy.kHighsInf
        self.h = _new_highs()
        for _ in range(n):
            self.h.addVar(-self.inf, self.inf)
        self.h.addVar(-self.inf, 1.0)
        self.h.changeColCost(n, -1.0)
        self.keys = []
        self.idx = np.arange(n + 1, dtype=np.int32)

    def solve(self, keys, G):
        k = 0
        for a, b in zip(self.keys, keys):
            if a != b:
                break
            k += 1
        h = self.h
        if k < len(self.keys):
            h.deleteRows(len(self.keys) - k, np.arange(k, len(self.keys), dtype=np.int32))
        new = G[k:]
        if len(new):
            m = len(new)
            vals = np.hstack([-new, np.ones((m, 1))]).ravel()
            h.addRows(m, np.full(m, -self.inf), np.zeros(m), m * (self.n + 1),
                      np.arange(0, m * (self.n + 1), self.n + 1, dtype=np.int32),
                      np.tile(self.idx, m), vals)
        self.keys = list(keys)
        h.run()
        import highspy
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = h.getSolution()
        x = np.array(sol.col_value)
        return x[-1], x[:-1], -np.array(sol.row_dual)


_LPS = {}


def _float_gordan(F, keys=None):
    """Solve ``max t : F d >= t, t <= 1`` in floats; (t, d, λ) or None on solver trouble."""
    m, n = F.shape
    norms = np.abs(F).max(axis=1)
    norms[norms == 0] = 1.0
    G = F / norms[:, None]
    STATS.float_lps += 1
    lp = _LPS.get(n)
    if lp is None:
        lp = _LPS[n] = _GordanLP(n)
    found = lp.solve(keys if keys is not None else [object()] * m, G)
    if found is None:
        _LPS.pop(n, None)  # start afresh next time
        return None
    t, d, lam = found
    return t, d, lam / norms


def _exact_lambda(rows, support):
    """Exact λ >= 0 on ``support`` with Σλ = 1, Σ λ_i c_i = 0, or None."""
    n = len(rows[0])
    k = len(support)
    M = fmpq_mat(n + 1, k + 1)
    for col, i in enumerate(support):
        for j in range(n):
            M[j, col] = _q(rows[i][j])
        M[n, col] = 1
    M[n, k] = 1
    R, rank = M.rref()
    lam = [0] * len(rows)
    for r in range(rank):
        pivot = next(c for c in range(k + 1) if R[r, c] != 0)
        if pivot == k:
            return None  # inconsistent
        value = R[r, k]
        if value < 0:
            return None
        lam[support[pivot]] = _frac(value)
    return tuple(lam)


def _check_lambda(rows, lam, rational):
    if not any(lam):
        return False
    if rational:
        if any(v < 0 for v in lam) or sum(lam) != 1:
            return False
        return all(sum(l * r[j] for l, r in zip(lam, rows) if l) == 0
                   for j in range(len(rows[0])))
    try:
        if any(sign(v) < 0 for v in lam):
            return False
        return all(sign(sympy.expand(sum(sympy.sympify(l) * sympy.sympify(r[j])
                                         for l, r in zip(lam, rows) if l))) == 0
                   for j in range(len(rows[0]))) and sign(sum(lam) - 1) == 0
    except Undecided:
        return False


def _positive_direction(rows, d, rational):
    try:
        if rational:
            return all(dot(c, d) > 0 for c in rows)
        return all(sign(sympy.expand(sum(sympy.sympify(a) * b for a, b in zip(c, d)))) > 0
                   for c in rows)
    except Undecided:
        return False


def _exact_lambda_symbolic(rows, support):
    """Exact λ on ``support`` for irrational rows (sympy linear algebra), or None."""
    n = len(rows[0])
    lams = sympy.symbols(f"l0:{len(support)}")
    eqs = [sum(lv * sympy.sympify(rows[i][j]) for lv, i in zip(lams, support))
           for j in range(n)]
    eqs.append(sum(lams) - 1)
    sol = sympy.linsolve(eqs, lams)
    if not sol:
        return None
    (values,) = tuple(sol)
    values = [v.subs({s: 0 for s in lams}) for v in values]
    lam = [0] * len(rows)
    for v, i in zip(values, support):
        lam[i] = normalize(sympy.nsimplify(v) if v.is_Rational else sympy.radsimp(v))
    return tuple(lam)


# ---------------------------------------------------------------------- the question
def gordan(rows, hint=None):
    """The alternative for the vectors ``rows``: ``("direction", d)`` or ``("lambda", λ)``.

    ``d`` satisfies ``c·d > 0`` for every row ``c``; ``λ >= 0`` sums to 1 with
    ``Σ λ_i c_i = 0``.  Both exact (rational when the rows are rational).  ``hint`` is a
    direction tried first (no LP when it works).  Raises :class:`selcalc.Undecided` when
    irrational rows defeat the exact verification.
    """
    rows = [tuple(exact(v) for v in r) for r in rows]
    if not rows:
        return "direction", ()
    n = len(rows[0])
    for i, r in enumerate(rows):
        if all(v == 0 for v in r):
            lam = [0] * len(rows)
            lam[i] = 1
            return "lambda", tuple(lam)
    rational = all_rational(rows)
    if hint is not None and len(hint) == n and _positive_direction(rows, hint, rational):
        STATS.hints += 1
        return "direction", tuple(hint)
    if _BACKEND[0] == "z3" and rational:
        return _z3_gordan(rows)
    found = _float_gordan(_float_rows(rows, rational), rows)
    if found is not None:
        t, d, lam = found
        STATS.exact_checks += 1
        if t > TOL:
            cand = _rationalize(d)
            if _positive_direction(rows, cand, rational):
                return "direction", cand
        else:
            top = max(lam.max(), 0.0)
            support = [i for i, v in enumerate(lam) if v > TOL * max(top, 1.0)]
            if support:
                if rational:
                    exact_lam = _exact_lambda(rows, support)
                else:
                    exact_lam = _exact_lambda_symbolic(rows, support)
                if exact_lam is not None and _check_lambda(rows, exact_lam, rational):
                    return "lambda", exact_lam
    if not rational:
        raise Undecided("exact LP over irrational vectors: the floating-point proposal "
                        "could not be verified exactly")
    STATS.fallbacks += 1
    return _z3_gordan(rows)


def strictly_positive_combination(rows):
    """``λ > 0`` (all entries), ``Σλ = 1``, ``Σ λ_i c_i = 0``, exact, or None.

    Used for Stiemke certificates.  A None is never a claim (the caller goes on to a
    finer decision), so a float "no" is safe here.
    """
    rows = [tuple(exact(v) for v in r) for r in rows]
    if not rows or not all_rational(rows):
        return None
    if _BACKEND[0] == "z3":
        return _z3_multipliers(rows, strict=True)
    import highspy
    m, n = len(rows), len(rows[0])
    F = _float_rows(rows, True)
    norms = np.abs(F).max(axis=1)
    norms[norms == 0] = 1.0
    G = F / norms[:, None]
    # variables μ_1..μ_m (μ = λ scaled by the row norms), s: max s, μ_i >= s, Σ μ_i g_i = 0,
    # Σ μ_i = 1, s <= 1
    h = _new_highs()
    inf = highspy.kHighsInf
    for _ in range(m):
        h.addVar(0.0, inf)
    h.addVar(-inf, 1.0)
    h.changeColCost(m, -1.0)
    for i in range(m):
        h.addRow(-inf, 0.0, 2, np.array([i, m], dtype=np.int32), np.array([-1.0, 1.0]))
    for j in range(n):
        h.addRow(0.0, 0.0, m, np.arange(m, dtype=np.int32), G[:, j].copy())
    h.addRow(1.0, 1.0, m, np.arange(m, dtype=np.int32), np.ones(m))
    STATS.float_lps += 1
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = np.array(h.getSolution().col_value)
    if x[-1] <= TOL:
        return None
    mu = x[:m] / norms
    mu = mu / mu.sum()
    res_x = mu
    STATS.exact_checks += 1
    lam = _project(rows, [Fraction(float(v)).limit_denominator(1 << 24) for v in res_x])
    if lam is not None and all(v > 0 for v in lam):
        return lam
    STATS.fallbacks += 1
    return _z3_multipliers(rows, strict=True)


def _project(rows, lam):
    """Correct ``lam`` exactly onto ``Σλ = 1, Σ λ_i c_i = 0`` (a particular solution)."""
    m, n = len(rows), len(rows[0])
    M = fmpq_mat(n + 1, m + 1)
    for i in range(m):
        for j in range(n):
            M[j, i] = _q(rows[i][j])
        M[n, i] = 1
    for j in range(n):
        M[j, m] = _q(-sum(lam[i] * rows[i][j] for i in range(m)))
    M[n, m] = _q(1 - sum(lam))
    R, rank = M.rref()
    delta = [0] * m
    for r in range(rank):
        pivot = next(c for c in range(m + 1) if R[r, c] != 0)
        if pivot == m:
            return None
        delta[pivot] = _frac(R[r, m])
    return tuple(normalize(a + b) for a, b in zip(lam, delta))


def rank(rows):
    """Exact rank of a rational matrix (python-flint), sympy for irrational entries."""
    rows = [tuple(exact(v) for v in r) for r in rows]
    if not rows:
        return 0
    if all_rational(rows):
        return fmpq_mat([[_q(v) for v in r] for r in rows]).rank()
    return sympy.Matrix([[sympy.sympify(v) for v in r] for r in rows]).rank(
        simplify=True)


# ---------------------------------------------------------------------- the z3 route
def _z3_gordan(rows):
    import z3

    from .smt import model_value, rational, solver
    n = len(rows[0])
    s = solver()
    d = [z3.Real(f"d{j}") for j in range(n)]
    for c in rows:
        s.add(z3.Sum([rational(cj) * dj for cj, dj in zip(c, d)]) >= 1)
    res = s.check()
    if res == z3.sat:
        model = s.model()
        return "direction", tuple(model_value(model.eval(dj, model_completion=True))
                                  for dj in d)
    lam = _z3_multipliers(rows, strict=False) if res == z3.unsat else None
    if lam is None:
        raise Undecided(f"z3 returned {res} on an exact LP and then found no multipliers "
                        f"(its time limit per query is 10 s)")
    return "lambda", lam


def _z3_multipliers(rows, strict):
    import z3

    from .smt import model_value, rational, solver
    n = len(rows[0])
    s = solver()
    lam = [z3.Real(f"l{i}") for i in range(len(rows))]
    s.add(*[(lv > 0 if strict else lv >= 0) for lv in lam])
    s.add(z3.Sum(lam) == 1)
    for j in range(n):
        s.add(z3.Sum([lv * rational(c[j]) for lv, c in zip(lam, rows)]) == 0)
    if s.check() != z3.sat:
        return None
    model = s.model()
    return tuple(model_value(model.eval(lv, model_completion=True)) for lv in lam)


# ---------------------------------------------------------------------- extreme points
def _integer_columns(points):
    """Scale each coordinate by the lcm of its denominators: an integer matrix (same hull
    combinatorics; a separator w of the scaled points is ``w_j * scale_j`` originally)."""
    from math import lcm
    n = len(points[0])
    scales = [1] * n
    for p in points:
        for j, v in enumerate(p):
            if isinstance(v, Fraction):
                scales[j] = lcm(scales[j], v.denominator)
    rows = [[int(v * s) for v, s in zip(p, scales)] for p in points]
    big = max((abs(v) for r in rows for v in r), default=0)
    return rows, scales, big


def _int_array(rows, bound):
    """int64 when products up to ``bound`` are exact there, Python ints otherwise."""
    return np.array(rows, dtype=np.int64 if bound < (1 << 62) else object)


def extreme_points(points, seed=0):
    """Which of ``points`` (distinct, exact) are vertices of their convex hull.

    Returns ``(vertex indices, certificates)``; ``certificates[i]`` is
    ``{"separator": w}`` (``w·p_i > w·p_j`` for every other ``j``) for a vertex and
    ``{"weights": {j: λ_j}}`` (``p_i = Σ λ_j p_j`` over other points) otherwise.

    Rational points: vertices maximising random integer directions uniquely are
    certified by integer arithmetic first; each remaining point costs one verified LP
    against the other points (points already shown redundant are left out, which does
    not change the hull).

    >>> extreme_points([(0, 0), (2, 0), (0, 2), (1, 1), ("1/2", "1/2")])[0]
    (0, 1, 2)
    """
    points = [tuple(exact(v) for v in p) for p in points]
    m = len(points)
    if m == 1:
        return (0,), {0: {"separator": (0,) * len(points[0])}}
    if not all_rational(points) or _BACKEND[0] == "z3":
        return _extreme_points_generic(points)
    rows, scales, big = _integer_columns(points)
    n = len(scales)
    certs = {}
    rng = np.random.default_rng(seed)
    wmax = 1 << 10
    if big * wmax * n < (1 << 62):
        X = np.array(rows, dtype=np.int64)
        W = rng.integers(-wmax, wmax + 1, size=(n, min(4 * m, 4000)), dtype=np.int64)
        V = X @ W
        top = V.max(axis=0)
        unique = (V == top).sum(axis=0) == 1
        arg = V.argmax(axis=0)
        for col in np.nonzero(unique)[0]:
            i = int(arg[col])
            if i not in certs:
                certs[i] = {"separator": tuple(int(W[j, col]) * scales[j] for j in range(n))}
    X = _int_array(rows, big * (1 << 21) * n)
    known = list(certs)
    for i in range(m):
        if i not in certs:
            _classify(i, rows, X, known, certs, scales, big)
    verts = tuple(i for i in range(m) if "separator" in certs[i])
    return verts, certs


def _classify(i, rows, X, known, certs, scales, big):
    """Clarkson's step: test point i against the known vertices only; a separating
    direction that point i does not maximise uncovers a new vertex (the unique maximiser),
    which joins the known ones, and the test is repeated."""
    while known:
        kind, value = _gordan_int([[a - b for a, b in zip(rows[i], rows[j])] for j in known],
                                  big)
        if kind == "lambda":
            certs[i] = {"weights": {known[k]: w for k, w in enumerate(value) if w}}
            return
        scores = X @ np.array(value, dtype=X.dtype)
        top = scores.max()
        winners = np.nonzero(scores == top)[0]
        if len(winners) != 1:
            break
        j = int(winners[0])
        certs[j] = {"separator": tuple(normalize(v * s) for v, s in zip(value, scales))}
        if j == i:
            return
        known.append(j)
    m = len(rows)
    others = [j for j in range(m) if j != i]
    kind, value = _gordan_int([[a - b for a, b in zip(rows[i], rows[j])] for j in others], big)
    if kind == "direction":
        certs[i] = {"separator": tuple(normalize(v * s) for v, s in zip(value, scales))}
    else:
        certs[i] = {"weights": {others[k]: w for k, w in enumerate(value) if w}}


def _gordan_int(rows, big):
    """:func:`gordan` for integer rows, verifying with integer matrix products."""
    A = _int_array(rows, big * 2 * (1 << 21) * len(rows[0]))
    try:
        F = A.astype(float)
    except OverflowError:  # integers beyond floats: rows scaled by powers of 2 first
        F = _float_rows(rows, True)
    found = _float_gordan(F)
    if found is not None:
        t, d, lam = found
        STATS.exact_checks += 1
        if t > TOL:
            scale = np.abs(d).max() or 1.0
            w = [int(round(v / scale * (1 << 20))) for v in d]
            if (A @ np.array(w, dtype=A.dtype) > 0).all():
                return "direction", tuple(w)
        else:
            top = max(lam.max(), 0.0)
            support = [i for i, v in enumerate(lam) if v > TOL * max(top, 1.0)]
            sub = [rows[i] for i in support]
            if support:
                lam_s = _exact_lambda(sub, list(range(len(sub))))
                if lam_s is not None and _check_lambda(sub, lam_s, True):
                    out = [0] * len(rows)
                    for i, v in zip(support, lam_s):
                        out[i] = v
                    return "lambda", tuple(out)
    STATS.fallbacks += 1
    return _z3_gordan([tuple(r) for r in rows])


def _extreme_points_generic(points):
    """One exact alternative per point (any exact reals; z3 route for rationals)."""
    certs, redundant = {}, set()
    for i, p in enumerate(points):
        others = [j for j in range(len(points)) if j != i and j not in redundant]
        kind, value = gordan([tuple(a - b for a, b in zip(p, points[j])) for j in others])
        if kind == "direction":
            certs[i] = {"separator": value}
        else:
            certs[i] = {"weights": {others[k]: w for k, w in enumerate(value) if w}}
            redundant.add(i)
    return tuple(i for i in range(len(points)) if "separator" in certs[i]), certs


# ---------------------------------------------------------------------- facets
def _primitive(vec):
    """A rational vector scaled by a positive number to coprime integers."""
    from math import gcd, lcm
    if all(isinstance(v, int) for v in vec):
        ints = vec
    else:
        vec = [Fraction(v) for v in vec]
        den = lcm(*(v.denominator for v in vec))
        ints = [int(v * den) for v in vec]
    g = gcd(*ints)
    return tuple(v // g for v in ints) if g else tuple(ints)


def _values(A, A64, c, big):
    """``A @ c`` exactly: int64 when the products cannot overflow there (``A64``, the same
    matrix in int64, or None), Python integers otherwise."""
    top = max((abs(v) for v in c), default=0)
    if A64 is not None and big * top * max(len(c), 1) < (1 << 62):
        return A64 @ np.array(c, dtype=np.int64)
    return A @ np.array(c, dtype=object)


def _pivots(R, r):
    """Pivot columns of the first ``r`` rows of a reduced row echelon form."""
    return tuple(next(j for j in range(R.ncols()) if R[i, j] != 0) for i in range(r))


def _hull(Y):
    """Facets of ``conv(Y)`` inside its affine hull, for distinct integer points ``Y``.

    Returns ``(d, facets)``: ``d`` the affine dimension and, per facet, ``(c, e, T, sub)``
    with ``c·y <= e`` on every point, tight exactly on the points ``T`` (indices into
    ``Y``); ``c`` vanishes outside the free columns of the hull (the pivot columns of the
    reduced row echelon form of the differences ``Y_i - Y_0``: the first coordinates that
    parametrise the hull); ``sub`` is ``None`` for a simplex and the same structure for
    the facet's own facets (the ridges) otherwise.
    """
    if len(Y) == 1:
        return 0, []
    D = [[a - b for a, b in zip(p, Y[0])] for p in Y[1:]]
    R, d = fmpq_mat(D).rref()
    free = _pivots(R, d)
    k = len(Y[0])
    Z = [tuple(p[j] for j in free) for p in Y]
    return d, _lift(_hull_full(Z, d), free, k)


def _lift(facets, free, k):
    out = []
    for c, e, T, sub in facets:
        full = [0] * k
        for j, v in zip(free, c):
            full[j] = v
        out.append((tuple(full), e, T, None if sub is None else _lift(sub, free, k)))
    return out


def _hull_full(Z, d):
    """:func:`_hull` for points spanning ``R^d`` (exact gift-wrapping, integer arithmetic).

    A first facet is found by rotating the hyperplane ``y_1 = min`` about its tight face
    until that face has dimension ``d - 1``; the facet across each ridge is then found by
    rotating the facet's hyperplane about the ridge (one pass over the points), until every
    ridge lies in two facets.
    """
    m = len(Z)
    if d == 1:
        lo = min(range(m), key=lambda i: Z[i][0])
        hi = max(range(m), key=lambda i: Z[i][0])
        return [((-1,), -Z[lo][0], (lo,), None), ((1,), Z[hi][0], (hi,), None)]
    A = np.array(Z, dtype=object)
    big = max(abs(v) for p in Z for v in p) or 1
    A64 = A.astype(np.int64) if big < (1 << 62) else None

    def tight(c):
        vals = _values(A, A64, c, big)
        e = vals.max()
        return int(e), tuple(np.nonzero(vals == e)[0].tolist())

    def rotate(c, e, r0, g):
        """The valid hyperplane ``a c - g`` (``a`` least), through the points of ``c``
        where ``g`` is constant (= at ``Z[r0]``): ``a = max t_u / h_u`` over the points
        below ``c`` (``h_u < 0``), with ``t = g·(y - Z[r0])``.  The maximiser proposed in
        floats is kept when the new hyperplane is valid (checked exactly), else it is
        found by exact comparisons."""
        hs = _values(A, A64, c, big) - e
        g0 = sum(a * b for a, b in zip(g, Z[r0]))
        ts = _values(A, A64, g, big) - g0
        below = np.nonzero(hs < 0)[0]
        try:
            with np.errstate(all="ignore"):
                ratio = ts[below].astype(float) / hs[below].astype(float)
            b = int(below[int(np.argmax(ratio))])
        except OverflowError:  # integers beyond floats: exact comparisons only
            b = None
        if b is not None:
            tb, hb = int(ts[b]), int(hs[b])  # Python integers: no int64 overflow below
            new = _primitive([-tb * ci + hb * gi for ci, gi in zip(c, g)])
            found = tight(new)
        if b is None or found[0] != sum(x * y for x, y in zip(new, Z[r0])):
            hs, ts = hs.tolist(), ts.tolist()  # the float pick was wrong or impossible
            b = None
            for u in range(m):
                if hs[u] < 0 and (b is None or ts[u] * hs[b] > ts[b] * hs[u]):
                    b = u
            new = _primitive([-ts[b] * ci + hs[b] * gi for ci, gi in zip(c, g)])
            found = tight(new)
        return (new,) + found

    def affine_rank(T):
        if len(T) == 1:
            return 0
        return fmpz_mat([[a - b for a, b in zip(Z[t], Z[T[0]])] for t in T[1:]]).rank()

    c = (-1,) + (0,) * (d - 1)
    e, T = tight(c)
    while affine_rank(T) < d - 1:
        rows = [[a - b for a, b in zip(Z[t], Z[T[0]])] for t in T[1:]] + [list(c)]
        N, _ = fmpz_mat(rows).nullspace()
        g = [int(N[i, 0]) for i in range(d)]
        c, e, T = rotate(c, e, T[0], g)
    known = {T: (c, e, T, None)}
    todo = [T]
    crossed = set()  # ridges (their points) crossed already: both facets are known
    while todo:
        T = todo.pop()
        c, e, _, _ = known[T]
        ridges, sub = _ridges(Z, c, T, d)
        if sub is not None:
            known[T] = (c, e, T, sub)
        for R, g in ridges:
            if R in crossed:
                continue
            crossed.add(R)
            new = rotate(c, e, R[0], g)
            if new[2] not in known:
                known[new[2]] = new + (None,)
                todo.append(new[2])
    return [known[T] for T in sorted(known)]


def _ridges(Z, c, T, d):
    """The ridges of the facet ``c`` (tight on ``T``), each with a vector ``g`` that is
    constant on the ridge and larger on the rest of the facet; and the facet's own facets
    (``None`` for a simplex)."""
    if len(T) == d:  # a simplex: ridge k omits T[k]; g_k from one inverse
        B = fmpq_mat([list(Z[t]) + [1] for t in T] + [list(c) + [0]]).inv()
        out = []
        for k in range(d):
            g = _primitive([_frac(B[i, k]) for i in range(d)])
            out.append((T[:k] + T[k + 1:], g))
        return out, None
    _, sub = _hull([Z[t] for t in T])
    sub = [(cs, es, tuple(T[i] for i in Ts), _reindex(ss, T)) for cs, es, Ts, ss in sub]
    return [(Ts, tuple(-v for v in cs)) for cs, _, Ts, _ in sub], sub


def _reindex(sub, T):
    if sub is None:
        return None
    return [(c, e, tuple(T[i] for i in Ts), _reindex(s, T)) for c, e, Ts, s in sub]


def _nullspace_rows(rows, n):
    """A basis of ``{a : r·a = 0 for every row r}`` (integer rows), as integer rows."""
    if not rows:
        return [tuple(int(i == j) for j in range(n)) for i in range(n)]
    N, k = fmpz_mat(rows).nullspace()
    return [tuple(int(N[i, j]) for i in range(n)) for j in range(k)]


def facets(points):
    """The exact H-representation of the convex hull of distinct rational points
    (:meth:`selcalc.ConvexSet.facets` passes the vertices).

    Returns ``(d, equalities, faces)``: ``d`` the affine dimension; ``equalities`` a list
    of ``(a, b)`` with ``a·x = b`` on the hull (the reduced row echelon basis of the
    normal space of the affine hull, each row scaled to coprime integers with a positive
    pivot); ``faces`` the facets as ``(c, e, T, sub)`` with ``c·x <= e`` (``c`` coprime
    integers vanishing outside the free columns of the hull, see :func:`_hull`), ``T`` the
    indices of the tight points, ``sub`` the facet's own facets in the same form (``None``
    for a simplex), sorted by ``(c, e)``.  Exact integer arithmetic throughout.

    >>> d, eqs, faces = facets([(0, 0), (1, 0), (0, 1)])
    >>> d, eqs, [(c, e, T) for c, e, T, _ in faces]
    (2, [], [((-1, 0), 0, (0, 2)), ((0, -1), 0, (0, 1)), ((1, 1), 1, (1, 2))])
    >>> facets([(0, 0, 1), (1, 0, 1)])[1]
    [((0, 1, 0), 0), ((0, 0, 1), 1)]
    """
    points = [tuple(exact(v) for v in p) for p in points]
    n = len(points[0])
    rows, scales, _ = _integer_columns(points)
    d, faces = _hull(rows)

    def unscale(faces):
        out = []
        for c, _, T, sub in faces:
            c = _primitive([v * s for v, s in zip(c, scales)])
            e = sum(a * b for a, b in zip(c, points[T[0]]))
            out.append((c, normalize(e), T, None if sub is None else unscale(sub)))
        return out
    faces = sorted(unscale(faces), key=lambda f: (f[0], f[1]))
    diffs = [[a - b for a, b in zip(p, rows[0])] for p in rows[1:]]
    normal = [[a * s for a, s in zip(r, scales)] for r in _nullspace_rows(diffs, n)]
    equalities = []
    if normal:
        R, r = fmpq_mat([[_q(Fraction(v)) for v in row] for row in normal]).rref()
        for i in range(r):
            a = _primitive([_frac(R[i, j]) for j in range(n)])
            equalities.append((a, normalize(sum(x * y for x, y in zip(a, points[0])))))
    return d, equalities, faces
