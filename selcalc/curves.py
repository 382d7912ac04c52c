"""Rational curves, exact breakpoints, conservativity and integration along curves
(docs/mathematics.md, section 4).

A curve ``γ : [0, 1] → R^p`` is a segment or a polynomial with rational coefficients.
:func:`breakpoints` splits ``(0, 1)`` at the exact real zeros of the tests met along
``γ`` (node by node through the DAG); on each open piece the tie-consistent patterns are
constant.  Identities along a piece are identities of one-variable functions, proved
symbolically — or refuted at a rational ``t``, which is rigorous because both sides are
analytic on the piece.

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return relu(x**2 + y - 2)")
>>> bp = breakpoints(P, segment((0, 0), (2, 0)))
>>> bp.points
(sqrt(2)/2,)
>>> [len(p) for p in bp.pieces]
[1, 1]
"""

from __future__ import annotations

import itertools
import numbers
import random
from dataclasses import dataclass, field
from fractions import Fraction
from math import prod

import sympy

from .autodiff import grad, jacobian_rows
from .budget import budget
from .conventions import CONVENTIONS, get_convention
from .errors import (DomainError, InputError, PatternBudgetExceeded, SelcalcError,
                     TimeLimitExceeded, Undecided)
from .fields import artificial_critical, index_closure
from .interpreters.evaluate import evaluate
from .interpreters.forward import forward_tangents
from .interpreters.partials import condition_partials, local_partials
from .interpreters.symbolic import node_expressions
from .ir import Program
from .numbers import (NotRational, canonical, compare, exact, fast_rationals, normalize,
                      rational_between, sign, sort_unique, to_sympy)
from .points import _iterable, _shape, _short, as_vector, exact_str, long_printing
from .selection import Selection
from .user_fields import Field
from .verdict import Verdict

T = sympy.Symbol("t", real=True)


@long_printing
class Curve:
    """``γ(t) = Σ_i c_i t^i`` for ``t`` in [0, 1] with exact rational coefficients."""

    def __init__(self, coeffs, kind="polynomial"):
        coeffs = _coefficient_vectors(coeffs)
        self.coeffs = coeffs
        self.dim = len(coeffs[0])
        self.kind = kind
        self.exprs = _expressions(coeffs, self.dim)
        # γ' from the coefficients (sympy.diff of a degree-50 sum takes a fraction of a second)
        self._velocity = _expressions([tuple(i * cj for cj in c)
                                       for i, c in enumerate(coeffs)][1:], self.dim)

    def __call__(self, t):
        t = _parameter(t)
        if isinstance(t, (int, Fraction)):
            return tuple(normalize(sum(c[j] * t ** i for i, c in enumerate(self.coeffs)))
                         for j in range(self.dim))
        return tuple(normalize(e.subs(T, to_sympy(t))) for e in self.exprs)

    def derivative(self, t):
        t = _parameter(t)
        return tuple(normalize(e.subs(T, to_sympy(t))) for e in self._velocity)

    def velocity_exprs(self):
        return self._velocity

    def __repr__(self):
        return f"<{self.kind} curve {self.exprs}>"


def _expressions(coeffs, dim):
    """``Σ_i c_i[j] t^i`` for each coordinate ``j``, as sympy expressions in ``t``."""
    return tuple(sympy.Add(*(to_sympy(c[j]) * T ** i for i, c in enumerate(coeffs) if c[j]))
                 for j in range(dim))


_HOW = ("a curve is selcalc.polynomial_curve([c0, c1, ...]) with rational vectors c_i "
        "(one coordinate per input; γ(t) = c0 + c1 t + c2 t² + ...), e.g. "
        "[(0, 0), (1, 0), (0, 1)] for t -> (t, t²)")


def _coefficient_vectors(coeffs):
    """The exact rational coefficient vectors of a curve, or :class:`InputError`."""
    if coeffs is None or isinstance(coeffs, (str, bytes, dict, set, frozenset)) or \
            not _iterable(coeffs):
        raise InputError(f"expected a list of coefficient vectors, got {_short(coeffs)}; "
                         f"{_HOW}")
    out = []
    for i, v in enumerate(coeffs):
        if v is None or isinstance(v, (str, bytes)) or \
                not (isinstance(v, sympy.MatrixBase) or _iterable(v)) or _shape(v) == ():
            raise InputError(f"coefficient {i} of the curve is {_short(v)}, not a vector; "
                             f"{_HOW} (a curve in R^1 is [(c0,), (c1,), ...])")
        vec = as_vector(v, what=f"coefficient {i} of the curve")
        for c in vec:
            if not isinstance(c, (int, Fraction)):
                raise InputError(f"coefficient {i} of the curve has the irrational entry "
                                 f"{exact_str(c)}; curve coefficients must be rational (int, "
                                 f"Fraction, a float taken exactly, or text such as '1/3')")
        out.append(vec)
    if not out:
        raise InputError(f"the curve has no coefficient vector; {_HOW}")
    lengths = sorted({len(v) for v in out})
    if len(lengths) != 1 or lengths[0] == 0:
        raise InputError(f"the coefficient vectors of a curve must have one positive length "
                         f"(the number of inputs); got lengths {lengths}")
    return out


def _parameter(t):
    """A curve parameter: one exact real number (``InputError`` otherwise)."""
    if isinstance(t, (tuple, list)) or (_shape(t) or ()) != ():
        raise InputError(f"a curve is evaluated at one number t, not at {_short(t)}")
    return exact(t)


def segment(a, b):
    """The segment ``γ(t) = a + t (b - a)``.

    >>> c = segment((0, 0), (1, 2))
    >>> c("1/2"), c.derivative(0)
    ((Fraction(1, 2), 1), (1, 2))
    """
    a = as_vector(a, what="the segment's start")
    b = as_vector(b, what="the segment's end")
    if len(a) != len(b) or not a:
        raise InputError(f"the ends of a segment must be points of one positive dimension; "
                         f"got {len(a)} and {len(b)} coordinates")
    curve = Curve([a, tuple(bi - ai for ai, bi in zip(a, b))], kind="segment")
    curve.start, curve.end = a, b
    return curve


def polynomial_curve(coeffs):
    """``γ(t) = coeffs[0] + coeffs[1] t + coeffs[2] t² + ...`` (rational vectors).

    >>> parabola = polynomial_curve([(0, 0), (1, 0), (0, 1)])  # t -> (t, t²)
    >>> parabola("1/2")
    (Fraction(1, 2), Fraction(1, 4))
    """
    return Curve(coeffs)


# ---------------------------------------------------------------------- arguments
_METHODS = ("auto", "affine", "symbolic")
_KINDS = ("random", "through_ties", "inside_ties")


def _program(P, who, scalar=False, inputs=None):
    """Refuse what is not a selcalc program (or not a scalar / ``inputs``-input one)."""
    if not isinstance(P, Program):
        raise InputError(f"{who} expects a selcalc program (from selcalc.parse, selcalc.trace, "
                         f"selcalc.from_torch, ...) as its first argument, got "
                         f"{_short(P)} of type {type(P).__name__}")
    if scalar and P.q != 1:
        raise InputError(f"{who} is for scalar programs; this one has {P.q} outputs (take one "
                         f"with selcalc.beyond.component(P, i), or use "
                         f"selcalc.check_conservative_jacobian)")
    if inputs is not None and P.p != inputs:
        raise InputError(f"{who} needs a program with {inputs} input(s); this one has {P.p}")


def _curve_for(P, curve, who):
    """Refuse what is not a :class:`Curve` in the program's input space."""
    if not isinstance(curve, Curve):
        raise InputError(f"{who} expects a curve (selcalc.segment(a, b) or "
                         f"selcalc.polynomial_curve([...])), got {_short(curve)} of type "
                         f"{type(curve).__name__}")
    if curve.dim != P.p:
        raise InputError(f"the curve lives in R^{curve.dim} but the program has {P.p} "
                         f"input(s) ({', '.join(P.input_names)})")


def _count(value, name, least=0):
    """An int argument (not a bool), at least ``least`` unless None, or :class:`InputError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or \
            least is not None and value < least:
        bound = "" if least is None else f" >= {least}"
        raise InputError(f"{name} must be an integer{bound}, got {_short(value)}")
    return int(value)


def _choice(value, name, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(map(repr, allowed))}, got "
                         f"{_short(value)}")
    return value


# ---------------------------------------------------------------------- breakpoints
@long_printing
@dataclass
class Breakpoints:
    """Exact decomposition of [0, 1] along a curve.

    ``points``: sorted breakpoints in (0, 1) (exact real algebraic numbers);
    ``pieces``: for each open piece, the list of tie-consistent patterns there;
    ``active``: for each open piece, the active sets of the branching groups.
    """

    points: tuple
    pieces: list
    active: list = field(default_factory=list)
    directional: list | None = None  # d/dt f_σ(γ(t)) per piece (rational walk only)

    @property
    def intervals(self):
        ends = (0,) + tuple(self.points) + (1,)
        return list(zip(ends[:-1], ends[1:]))


def _roots_in(expr, lo, hi):
    """Exact real zeros of a univariate expression in the open interval (lo, hi)."""
    expr = sympy.together(sympy.expand(expr))
    num, _ = sympy.fraction(expr)
    num = sympy.expand(num)
    if num == 0:
        return None  # identically zero
    if not num.is_polynomial(T):
        raise Undecided(f"the test {exact_str(expr)} along the curve is not polynomial: "
                        f"certified root isolation for exp-log tests is not available, so the "
                        f"breakpoints are unknown")
    poly = sympy.Poly(num, T)
    if poly.degree() <= 0:
        return []
    roots = []
    if poly.degree() == 1:
        a, b = poly.all_coeffs()
        roots = [-b / a]
    else:
        roots = list(dict.fromkeys(poly.real_roots()))
    out = []
    for r in roots:
        if sign(to_sympy(r) - to_sympy(lo)) > 0 and sign(to_sympy(hi) - to_sympy(r)) > 0:
            out.append(r)
    return out


def breakpoints(P, curve, max_patterns=4096, method="auto", time_limit=None, progress=None):
    """The exact decomposition of [0, 1] along ``curve`` (see :class:`Breakpoints`).

    Piecewise-linear programs along segments take a rational fast path (a walk from
    t = 0 to 1: every node is affine in t on a piece, so the next breakpoint is the
    nearest root of an affine test); other programs are expanded symbolically in t and
    their tests' real roots isolated exactly (``method="symbolic"`` forces this route;
    ``method="affine"`` insists on the walk and needs a piecewise-linear program along a
    segment).  Misused arguments raise :class:`selcalc.InputError`.
    ``time_limit`` (seconds) raises :class:`selcalc.TimeLimitExceeded`; ``progress`` is
    called with :class:`selcalc.budget.Progress` records.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return relu(t) - relu(-t)")
    >>> bp = breakpoints(identity, segment(-1, 1))  # the kink t = 0 is at the middle
    >>> bp.points, bp.intervals
    ((Fraction(1, 2),), [(0, Fraction(1, 2)), (Fraction(1, 2), 1)])
    """
    _program(P, "breakpoints")
    _curve_for(P, curve, "breakpoints")
    _count(max_patterns, "max_patterns", 1)
    _choice(method, "method", _METHODS)
    b = budget("breakpoints", time_limit, None, progress, unit="pieces")
    if method == "affine" and not (P.piecewise_linear and len(curve.coeffs) <= 2):
        raise InputError("method='affine' needs a piecewise-linear program along a segment "
                         "(or a constant curve); use method='auto' or 'symbolic'")
    if method in ("auto", "affine") and P.piecewise_linear and len(curve.coeffs) <= 2:
        try:
            return _walk_affine(P, curve, max_patterns, b)
        except NotRational:
            if method == "affine":
                raise
            # an irrational weight (relu(sqrt(2)*x - 1)): the symbolic route is exact
    groups = P.branching_groups
    # each cell: (lo, hi, list of partial patterns); all patterns of a cell give the same
    # node values on it (continuity), so one representative computes the expressions
    cells = [(0, 1, [dict()])]
    tick = b.tick
    for g in groups:
        prim = P.ops[g]
        new_cells = []
        for lo, hi, patterns in cells:
            rep = patterns[0]
            exprs = node_expressions(P, _complete(P, rep), curve.exprs)
            sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[g]] +
                           [to_sympy(c) for c in P.params[g]]))
            tests = [t.xreplace(sub) for t in prim.tests]
            cuts = []
            for t in tests:
                tick(0)  # the time limit, also between the (possibly long) root isolations
                roots = _roots_in(t, lo, hi)
                if roots:
                    cuts.extend(roots)
            ends = [lo] + (sort_unique(cuts) if len(cuts) > 1 else cuts) + [hi]
            for a, b in zip(ends[:-1], ends[1:]):
                mid = to_sympy(rational_between(a, b))
                signs = [sign(sympy.expand(t.subs(T, mid))) for t in tests]
                act = prim.active_from_signs(signs)
                pats = [{**p, g: i} for p in patterns for i in act]
                if len(pats) > max_patterns:
                    raise PatternBudgetExceeded(len(pats), max_patterns)
                new_cells.append((a, b, pats))
                tick()
        cells = new_cells
    points = tuple(normalize(c[0]) if isinstance(c[0], (int, Fraction)) else c[0]
                   for c in cells[1:])
    pieces = [pats for _, _, pats in cells]
    active = [{g: tuple(sorted({p[g] for p in pats})) for g in groups} for pats in pieces]
    return Breakpoints(tuple(canonical(p) if not isinstance(p, sympy.Basic) else p
                             for p in points), pieces, active)


def _walk_affine(P, curve, max_patterns, budget=None):
    """Breakpoints of a piecewise-linear program along a segment, in rational arithmetic.

    Every node is affine in t on a piece (``value = A + B t``).  Each branching group keeps
    the next root of its tests; at a breakpoint only the groups whose test vanishes are
    re-examined, and only the nodes downstream of a group whose active set changed are
    recomputed.
    """
    import heapq
    to_q, from_q = fast_rationals()
    direction = curve.coeffs[1] if len(curve.coeffs) > 1 else (0,) * P.p
    ops, args, params, groups, outs = P.ops, P.args, P.params, P.groups, P.outs
    start = curve(0)
    A = [None] + [to_q(v) for v in start] + [None] * (P.m - P.p)
    B = [None] + [to_q(v) for v in direction] + [None] * (P.m - P.p)
    succ = [[] for _ in range(P.m + 1)]
    for k in range(P.p + 1, P.m + 1):
        for j in set(args[k]):
            succ[j].append(k)
    right, version, heap = {}, {}, []

    def examine(g, t):
        """Active set on the right of t and the next root after t of the group's tests."""
        prim = ops[g]
        tq = to_q(t)
        vs = [from_q(A[j] + B[j] * tq) for j in args[g]] + list(params[g])
        ds = [from_q(B[j]) for j in args[g]]
        signs, nxt = [], None
        for ti, tv in enumerate(prim.test_values(vs)):
            td = sum(a * b for a, b in zip(prim.test_partials(ti, vs), ds))
            signs.append(sign(tv) if tv != 0 else sign(td))
            if td != 0:
                root = t - Fraction(tv) / td
                if root > t and (nxt is None or root < nxt):
                    nxt = root
        act = prim.active_from_signs(signs)
        version[g] = version.get(g, 0) + 1
        if nxt is not None:
            heapq.heappush(heap, (nxt, g, version[g]))
        return act

    coef = {}

    def affine_coefficients(k, i, vs):
        """(c0, c) with piece i of node k equal to c0 + Σ c_j a_j (pieces are affine)."""
        key = (k, i)
        if key not in coef:
            prim = ops[k]
            c = prim.partials(i, vs)[outs[k]]
            v = prim.value(i, vs)[outs[k]]
            coef[key] = (to_q(v - sum(ci * ai for ci, ai in zip(c, vs))),
                         tuple(to_q(ci) for ci in c))
        return coef[key]

    def recompute(k, t):
        prim = ops[k]
        i = 0
        if prim.branching:
            g = groups[k]
            if g == k:
                right[g] = examine(g, t)
            i = right[g][0]
        pr = args[k]
        if (k, i) in coef:
            c0, c = coef[(k, i)]
        else:
            tq = to_q(t)
            c0, c = affine_coefficients(
                k, i, [from_q(A[j] + B[j] * tq) for j in pr] + list(params[k]))
        a_k, b_k = c0, 0
        for cj, j in zip(c, pr):
            if cj:
                a_k += cj * A[j]
                b_k += cj * B[j]
        A[k], B[k] = a_k, b_k

    for k in range(P.p + 1, P.m + 1):
        recompute(k, 0)
    points, pieces, actives, slopes = [], [], [], []

    def record():
        if budget is not None:
            budget.tick()
        slopes.append(tuple(from_q(B[k]) for k in P.outputs))
        count = prod(len(a) for a in right.values())
        if count > max_patterns:
            raise PatternBudgetExceeded(count, max_patterns, "patterns on one piece")
        tied = [g for g in right if len(right[g]) > 1]
        base = {g: a[0] for g, a in right.items()}
        pieces.append([{**base, **dict(zip(tied, combo))}
                       for combo in itertools.product(*(right[g] for g in tied))])
        actives.append(dict(right))

    record()
    while heap:
        t_star = heap[0][0]
        if t_star >= 1:
            break
        hit = set()
        while heap and heap[0][0] == t_star:
            _, g, ver = heapq.heappop(heap)
            if ver == version[g]:
                hit.add(g)
        if not hit:
            continue
        dirty = set()
        for g in hit:
            old = right[g]
            right[g] = examine(g, t_star)
            if right[g] != old:
                members = [k for k in range(g, P.m + 1) if groups[k] == g] \
                    if ops[g].n_out > 1 else [g]
                for k in members:
                    dirty.add(k)
        if dirty:
            queue = list(dirty)
            while queue:
                k = queue.pop()
                for s2 in succ[k]:
                    if s2 not in dirty:
                        dirty.add(s2)
                        queue.append(s2)
            for k in sorted(dirty):
                recompute(k, t_star)
        points.append(normalize(t_star))
        record()
    return Breakpoints(tuple(points), pieces, actives, slopes)


def _complete(P, pattern):
    return {g: pattern.get(g, 0) for g in P.branching_groups}


# ---------------------------------------------------------------------- fields
_BUILTIN_FIELDS = ("ad_outputs", "index_closure", "clarke")


def _check_field(field, P=None):
    """Unknown field names are errors (a typo must not turn into a verdict), and so are the
    vectors of a user :class:`Field` that do not have one coordinate per input of ``P``."""
    if isinstance(field, Field):
        if P is None:
            return
        if field.symbols is not None and len(field.symbols) != P.p:
            raise InputError(f"the Field names {len(field.symbols)} input(s) "
                             f"({', '.join(field.symbols)}) but the program has {P.p}")
        for k, (_, vectors) in enumerate(field.pieces):
            for v in ([] if vectors == "gradient" else vectors):
                if len(v) != P.p:
                    raise InputError(f"a vector of piece {k} of the Field has {len(v)} "
                                     f"coordinate(s) but the program has {P.p} input(s)")
        return
    if isinstance(field, str) and field in _BUILTIN_FIELDS:
        return
    try:
        get_convention(field)
    except SelcalcError as exc:
        raise InputError(f"unknown field {_short(field)}: use one of {', '.join(_BUILTIN_FIELDS)}, "
                           f"a convention name, a Convention or a selcalc.Field ({exc})") from None


def _vanishes(expr):
    """Whether a function of t is identically 0 (False: no proof).  Expansion decides
    for polynomials with rational coefficients (and is fast at high degree, where
    ``simplify`` takes seconds); ``simplify`` is tried on the others."""
    expr = sympy.expand(expr)
    if expr == 0:
        return True
    if expr.is_polynomial(T) and all(c.is_Rational for c in sympy.Poly(expr, T).coeffs()):
        return False
    return sympy.simplify(expr) == 0


def _piece_identity(lhs, rhs, J, label):
    """Prove lhs == rhs on the open interval J, or refute at a rational t in J."""
    diff = lhs - rhs
    if _vanishes(diff):
        return True, None
    a, b = J
    for frac in (Fraction(1, 2), Fraction(1, 3), Fraction(2, 3)):
        t = rational_between(a, b) if frac == Fraction(1, 2) else None
        if t is None:
            lo, hi = to_sympy(a), to_sympy(b)
            if lo.is_Rational and hi.is_Rational:
                t = normalize(lo + (hi - lo) * to_sympy(frac))
            else:
                continue
        val = sympy.simplify(diff.subs(T, to_sympy(t)))
        try:
            if sign(val) != 0:
                return False, {"interval": (a, b), "t": t, "vector": label,
                               "lhs": sympy.simplify(lhs.subs(T, to_sympy(t))),
                               "rhs": sympy.simplify(rhs.subs(T, to_sympy(t)))}
        except Undecided:
            continue
    raise Undecided(f"could not prove or refute {exact_str(lhs)} == {exact_str(rhs)} on "
                    f"{exact_str(J)}")


def _pattern_gradient_exprs(P, pattern, curve):
    """∇f_σ along the curve as sympy expressions in t (q = 1)."""
    syms = tuple(sympy.Symbol(f"_u{i}") for i in range(P.p))
    exprs = node_expressions(P, _complete(P, pattern), syms)
    f = exprs[P.outputs[0]]
    sub = dict(zip(syms, curve.exprs))
    return tuple(sympy.diff(f, s).xreplace(sub) for s in syms)


def _field_vectors(P, curve, J, pats, active, field_spec, value_expr):
    """The vectors (as functions of t) of the field on the open piece J."""
    if isinstance(field_spec, Field):
        return _user_field_vectors(P, curve, J, pats, field_spec)
    if field_spec in ("ad_outputs", "clarke"):
        # on an open piece, the Clarke patterns at γ(t) are among the consistent ones,
        # so checking all of them covers the Clarke field as well
        return [(f"∇f_σ for σ = {p}", _pattern_gradient_exprs(P, p, curve)) for p in pats]
    if field_spec == "index_closure":
        S = Selection(P)
        S.check_budget(4096)
        out = []
        for sigma in S.patterns():
            f_sigma = node_expressions(P, sigma, curve.exprs)[P.outputs[0]]
            if _vanishes(f_sigma - value_expr):
                out.append((f"∇f_σ for σ = {sigma}", _pattern_gradient_exprs(P, sigma, curve)))
        return out
    conv = get_convention(field_spec)
    total = None
    for p in pats:
        w = 1
        for g, i in p.items():
            act = active[g]
            if len(act) > 1:
                w *= conv.weights(P.ops[g], act).get(i, 0)
        if w == 0:
            continue
        g_sigma = _pattern_gradient_exprs(P, p, curve)
        term = tuple(to_sympy(w) * v for v in g_sigma)
        total = term if total is None else tuple(a + b for a, b in zip(total, term))
    return [(f"AD output under {conv.name}", total)]


def _user_field_vectors(P, curve, J, pats, fld):
    """The vectors of a user :class:`Field` on the open piece J (between two cuts)."""
    out = []
    mid = to_sympy(rational_between(*J))
    for k in fld.holding_along(P.input_names, curve.exprs, T, mid):
        if fld.pieces[k][1] == "gradient":
            out.extend((f"∇f_σ for σ = {p}", _pattern_gradient_exprs(P, p, curve))
                       for p in pats)
        else:
            out.extend((exact_str(tuple(v)), v) for v in fld.vectors_along(P.input_names,
                                                                      curve.exprs, k))
    if not out:
        raise SelcalcError(f"the user field has no vector on the piece t in "
                           f"({exact_str(J[0])}, {exact_str(J[1])}) of {curve!r}: no piece's "
                           f"conditions hold there (a field needs at least one vector at every "
                           f"point)")
    return out


def _user_field_cuts(P, curve, fld):
    return fld.cuts(P.input_names, curve.exprs, T)


def _witness_holds(P, curve, fld, pats, w):
    """Re-check a witness of non-conservativity independently and exactly, at ``x = γ(t)``.

    The derivative of ``f∘γ`` at ``t`` is recomputed as ``<∇f_σ(x), γ'(t)>`` by AD on a
    consistent pattern ``σ`` of the piece.  The field at ``x`` is recomputed by the
    pointwise functions (``ad_outputs``, ``index_closure``, ``clarke``, ``grad``), or for a
    user :class:`Field` from the user's relations re-evaluated near ``t``.  The witness
    stands when some vector of it (a vertex, for a convex set: a linear functional that
    is constant on the vertices is constant on the hull) gives a certified different value.
    Any error or undecided sign on the way means it does not stand.
    """
    from .autodiff import grad, jacobian_rows
    from .fields import ad_outputs, clarke, index_closure
    try:
        t = w["t"]
        lo, hi = w["interval"]
        if not (compare(t, lo) > 0 and compare(hi, t) > 0):
            return False
        x, velocity = curve(t), curve.derivative(t)

        def along(v):
            return sympy.expand(sum(to_sympy(a) * to_sympy(b) for a, b in zip(v, velocity)))

        lhs = along(jacobian_rows(P, x, pattern=_complete(P, pats[0]))[0])
        if compare(lhs, w["lhs"]) != 0:
            return False
        if not isinstance(fld, Field):
            pointwise = {"ad_outputs": ad_outputs, "index_closure": index_closure,
                         "clarke": clarke}
            vectors = pointwise[fld](P, x)._vertex_vectors \
                if isinstance(fld, str) and fld in pointwise else [grad(P, x, get_convention(fld))]
            return any(compare(along(v), lhs) != 0 for v in vectors)
        for k in range(len(fld.pieces)):
            if not fld.holds_near(P.input_names, curve.exprs, T, t, k):
                continue
            if fld.pieces[k][1] == "gradient":
                vectors = [jacobian_rows(P, x, pattern=_complete(P, p))[0] for p in pats]
            else:
                vectors = fld.vectors_at(P.input_names, x, k)
            for v in vectors:
                rhs = along(v)
                if compare(rhs, lhs) != 0 and compare(rhs, w["rhs"]) == 0:
                    return True
        return False
    except SelcalcError:
        return False


def _unconfirmed(claim, witness, checked):
    return Verdict(None, claim, checked=checked,
                   reason=f"a witness of non-conservativity ({exact_str(witness)}) did not "
                          f"survive the exact re-check; the answer is unknown")


def check_conservative(P, curve, field="index_closure", time_limit=None, progress=None,
                       max_patterns=4096):
    """Verdict: ``d/dt f(γ(t)) = <v, γ'(t)>`` for all ``v ∈ D(γ(t))``, a.e. on [0, 1].

    ``field`` is ``"ad_outputs"``, ``"index_closure"``, ``"clarke"``, a convention name,
    or a :class:`Field`.  Holds: the decomposition and the per-piece identities proved;
    fails: a witness (open interval, rational t, the vector, both sides).
    ``time_limit`` / ``progress`` as in :func:`breakpoints` (one budget for the whole check);
    past the limit the verdict is unknown (``holds is None``) and its reason names the limit
    (it is checked between root isolations, pieces and breakpoints);
    ``max_patterns`` bounds the patterns listed on one piece of the curve
    (:func:`breakpoints`) and, for the index closure, at a point of it
    (:func:`selcalc.index_closure`); past it the verdict is unknown and says so.

    Theorem 3 of the NeurIPS 2020 paper: the index closure is conservative, along every
    curve.

    >>> import selcalc
    >>> P = selcalc.parse("def f(x, y):\\n    return max(x, y) + relu(x - y)")
    >>> check_conservative(P, segment((-1, 0), (1, 0))).holds
    True
    """
    _program(P, "check_conservative", scalar=True)
    _curve_for(P, curve, "check_conservative")
    _check_field(field, P)
    _count(max_patterns, "max_patterns", 1)
    budget_ = budget("check_conservative", time_limit, None, progress, unit="pieces")
    try:
        return _check_conservative(P, curve, field, budget_, max_patterns)
    except TimeLimitExceeded as exc:
        name = field if isinstance(field, str) else "user field"
        return Verdict(None, f"the field {name} is conservative for the program along "
                             f"{curve!r}", reason=str(exc))


def _check_conservative(P, curve, field, budget_, max_patterns):
    """:func:`check_conservative` on checked arguments (the time limit raises)."""
    if P.continuity_gap() is not None:
        return P.continuity_verdict(f"conservativity along {curve!r}")
    if P.piecewise_linear and len(curve.coeffs) <= 2 and isinstance(field, str):
        try:
            return _conservative_affine(P, curve, field, budget_, max_patterns)
        except NotRational:
            pass  # an irrational weight: the symbolic route below
    name = field if isinstance(field, str) else "user field"
    claim = f"the field {name} is conservative for the program along {curve!r}"
    try:
        bp = breakpoints(P, curve, max_patterns, time_limit=budget_)
    except PatternBudgetExceeded as exc:
        return Verdict(None, claim, reason=str(exc))
    try:
        check_defined(P, curve, bp, time_limit=budget_)
    except Undecided as exc:
        return Verdict(None, claim, reason=str(exc))
    intervals, pieces, actives = bp.intervals, bp.pieces, bp.active
    if isinstance(field, Field):
        try:
            extra = _user_field_cuts(P, curve, field)
        except Undecided as exc:
            return Verdict(None, claim, reason=str(exc))
        if extra:
            pts = sort_unique(list(bp.points) + extra)
            ends = [0] + pts + [1]
            refined = []
            for a, b in zip(ends[:-1], ends[1:]):
                mid = to_sympy(rational_between(a, b))
                for (lo, hi), pats, act in zip(intervals, pieces, actives):
                    if sign(mid - to_sympy(lo)) > 0 and sign(to_sympy(hi) - mid) > 0:
                        refined.append(((a, b), pats, act))
            triples = refined
        else:
            triples = list(zip(intervals, pieces, actives))
    else:
        triples = list(zip(intervals, pieces, actives))
    velocity = curve.velocity_exprs()
    checked = []
    for J, pats, act in triples:
        budget_.tick()
        f_expr = node_expressions(P, _complete(P, pats[0]), curve.exprs)[P.outputs[0]]
        lhs = sympy.diff(f_expr, T)
        try:
            vectors = _field_vectors(P, curve, J, pats, act, field, f_expr)
            for label, v in vectors:
                rhs = sum(a * b for a, b in zip(v, velocity))
                ok, witness = _piece_identity(lhs, rhs, J, label)
                if not ok and not _witness_holds(P, curve, field, pats, witness):
                    return _unconfirmed(claim, witness, checked)
                if not ok:
                    return Verdict(False, claim, witness,
                                   checked=checked, reason="identity fails on an open piece")
            checked.append({"interval": J, "vectors": len(vectors)})
        except Undecided as exc:
            return Verdict(None, claim, checked=checked, reason=str(exc))
    return Verdict(True, claim, {"breakpoints": bp.points, "pieces": checked},
                   checked=checked)


def _conservative_affine(P, curve, field, budget_, max_patterns):
    """Rational fast path: on each piece f∘γ is affine and every field vector constant.

    The slope of f∘γ comes from two exact evaluations inside the piece (no AD involved);
    each vector of the field is computed at those points and ``<v, γ'>`` compared exactly.
    """
    name = field
    claim = f"the field {name} is conservative for the program along {curve!r}"
    try:
        bp = breakpoints(P, curve, max_patterns, method="affine", time_limit=budget_)
    except (Undecided, PatternBudgetExceeded) as exc:
        return Verdict(None, claim, reason=str(exc))
    velocity = curve.coeffs[1] if len(curve.coeffs) > 1 else (0,) * P.p
    ends = [0] + list(bp.points) + [1]
    values = [to_sympy(P(*curve(t))) for t in ends]
    checked = []
    for idx, ((a, b), pats) in enumerate(zip(bp.intervals, bp.pieces)):
        budget_.tick()
        slope = (values[idx + 1] - values[idx]) / (to_sympy(b) - to_sympy(a))
        x1 = curve(a + Fraction(b - a) / 3)
        try:
            if len(pats) == 1 and field != "index_closure":
                vectors = None  # one pattern: every field is {∇f_σ}; use the walk's
                rhs_values = [("∇f_σ (forward mode along γ)", bp.directional[idx][0])]
            elif field in ("ad_outputs", "clarke"):
                vectors = [(f"∇f_σ for σ = {p}", jacobian_rows(P, x1, pattern=p)[0])
                           for p in pats]
            elif field == "index_closure":
                x2 = curve(a + 2 * Fraction(b - a) / 3)
                D1, D2 = (index_closure(P, x, max_patterns, time_limit=budget_)
                          for x in (x1, x2))
                common = set(D1.patterns) & set(D2.patterns)
                vectors = [(f"∇f_σ for σ = {dict(k)}", D1.patterns[k]) for k in common]
            else:
                conv = get_convention(field)
                vectors = [(f"AD output under {conv.name}", grad(P, x1, conv))]
        except (Undecided, PatternBudgetExceeded) as exc:
            return Verdict(None, claim, checked=checked, reason=str(exc))
        if vectors is not None:
            rhs_values = [(label, sum(to_sympy(vi) * to_sympy(ci)
                                      for vi, ci in zip(v, velocity))) for label, v in vectors]
        for label, rhs in rhs_values:
            if to_sympy(rhs) != slope:
                witness = {"interval": (a, b), "t": a + Fraction(b - a) / 3, "vector": label,
                           "lhs": slope, "rhs": rhs}
                if not _witness_holds(P, curve, field, pats, witness):
                    return _unconfirmed(claim, witness, checked)
                return Verdict(False, claim, witness,
                               checked=checked, reason="identity fails on an open piece")
        checked.append({"interval": (a, b), "vectors": len(rhs_values)})
    return Verdict(True, claim, {"breakpoints": bp.points, "pieces": checked},
                   checked=checked)


# ---------------------------------------------------------------------- domain
def check_defined(P, curve, bp=None, time_limit=None):
    """Raise :class:`DomainError` unless the program is defined on the whole curve.

    Exact: the program is evaluated at both ends and at every breakpoint, and on each open
    piece every logarithm, square root / fractional power and division met by the piece's
    smooth function is checked (its argument's real roots on the piece are isolated).
    Raises :class:`Undecided` when an argument is not polynomial in ``t`` and sympy cannot
    prove its sign.  Statements along curves (conservativity, integration) need ``f``
    defined on all of the curve, so a domain error is an error, never a verdict.

    >>> import selcalc
    >>> P = selcalc.parse("def f(x):\\n    return log(relu(x) + 1) + sqrt(x + 2)")
    >>> check_defined(P, segment(-1, 1))
    >>> check_defined(selcalc.parse("def f(x):\\n    return x / abs(x)"), segment(-1, 1))
    Traceback (most recent call last):
    ...
    selcalc.errors.DomainError: the program is undefined at t = 1/2 of the curve, x = (0): node 3 (div) at arguments (0, 0): division by zero; statements along a curve need the program defined on all of it
    """
    _program(P, "check_defined")
    _curve_for(P, curve, "check_defined")
    tick = budget("check_defined", time_limit, None, None, unit="pieces").tick
    bp = bp if bp is not None else breakpoints(P, curve, time_limit=time_limit)
    for t in [0] + list(bp.points) + [1]:
        tick(0)
        x = curve(t)
        try:
            evaluate(P, x)
        except DomainError as exc:
            raise DomainError(f"the program is undefined at t = {exact_str(t)} of the curve, "
                              f"x = ({', '.join(exact_str(v) for v in x)}): {exc}; "
                              f"statements along a curve need the program defined on all of it",
                              node=exc.node, value=exc.value) from None
    for (lo, hi), pats in zip(bp.intervals, bp.pieces):
        tick()
        exprs = node_expressions(P, _complete(P, pats[0]), curve.exprs)
        seen = set()
        for k in range(P.p + 1, P.m + 1):
            for sub in sympy.preorder_traversal(exprs[k]):
                if sub in seen or sub.is_Atom and sub not in (sympy.zoo, sympy.nan):
                    continue
                seen.add(sub)
                _check_subexpression(sub, lo, hi)


def _check_subexpression(sub, lo, hi):
    def where():  # formatted only for an error (the numbers may be long)
        return f"for t in ({exact_str(lo)}, {exact_str(hi)})"
    if sub in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise DomainError(f"the program is undefined on the curve {where()} (a division by 0 "
                          f"or a logarithm of 0 on that piece)")
    if isinstance(sub, sympy.log):
        if not _positive_on(sub.args[0], lo, hi):
            raise DomainError(f"log of {exact_str(sub.args[0])}, not positive {where()}: the "
                              f"program is undefined on part of the curve")
    elif sub.is_Pow and not sub.exp.is_Integer:
        if not _positive_on(sub.base, lo, hi):
            raise DomainError(f"{exact_str(sub)} needs {exact_str(sub.base)} > 0 {where()}: the "
                              f"program (or its derivative) is undefined on part of the curve")
    elif sub.is_Pow and sub.exp.is_negative:
        if not _nonzero_on(sub.base, lo, hi):
            raise DomainError(f"division by {exact_str(sub.base)}, which vanishes {where()}: the "
                              f"program is undefined on part of the curve")


def _positive_on(u, lo, hi):
    if u.is_positive is True:
        return True
    roots = _roots_in(u, lo, hi)  # Undecided for non-polynomial arguments
    if roots is None or roots:
        return False
    return sign(sympy.expand(u.subs(T, to_sympy(rational_between(lo, hi))))) > 0


def _nonzero_on(u, lo, hi):
    if u.is_nonzero is True:
        return True
    roots = _roots_in(u, lo, hi)
    return roots is not None and not roots


# ---------------------------------------------------------------------- integration
def integrate_along(P, x, y, convention="selection"):
    """``∫_0^1 <y − x, ∇̂f(x + t(y − x))> dt`` exactly, piece by piece (Proposition 2).

    On each open piece the AD output under ``convention`` is a fixed combination of the
    tied patterns' gradients (multilinearity), integrated exactly by sympy.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return t - (relu(-t) + t - relu(t))")
    >>> integrate_along(identity, -1, 1)  # = f(1) - f(-1), although AD gives 0 at t = 0
    2
    """
    _program(P, "integrate_along", scalar=True)
    curve = segment(P.coerce_point(x), P.coerce_point(y))
    bp = breakpoints(P, curve)
    check_defined(P, curve, bp)
    conv = get_convention(convention)
    direction = [to_sympy(b) - to_sympy(a) for a, b in zip(curve.start, curve.end)]
    total = sympy.Integer(0)
    for J, pats, act in zip(bp.intervals, bp.pieces, bp.active):
        (_, v), = _field_vectors(P, curve, J, pats, act, conv, None)
        integrand = sympy.expand(sum(d * c for d, c in zip(direction, v)))
        try:
            part = sympy.integrate(integrand, (T, to_sympy(J[0]), to_sympy(J[1])))
        except (sympy.PolynomialError, NotImplementedError, ValueError, TypeError) as exc:
            raise Undecided(f"sympy could not integrate {integrand} exactly ({exc})") from None
        if part.has(sympy.Integral):
            raise Undecided(f"sympy could not integrate {integrand} exactly")
        total += part
    return sympy.simplify(total)


def check_integration(P, x, y, convention="selection"):
    """Verdict for Proposition 2: ``f(y) − f(x) = ∫_0^1 <y − x, ∇̂f(x + t(y − x))> dt``.

    >>> import selcalc
    >>> P = selcalc.parse("def f(x, y):\\n    return abs(x) * y")
    >>> check_integration(P, (-1, 1), (2, 3), convention="pytorch").holds
    True
    """
    _program(P, "check_integration", scalar=True)
    claim = f"f(y) - f(x) equals the integral of the {get_convention(convention).name} " \
            f"AD derivative along [x, y]"
    try:
        integral = integrate_along(P, x, y, convention)
    except Undecided as exc:
        return Verdict(None, claim, reason=str(exc))
    x, y = P.coerce_point(x), P.coerce_point(y)
    diff = sympy.simplify(to_sympy(P(*y)) - to_sympy(P(*x)))
    try:
        holds = sign(integral - diff) == 0  # certified: interval arithmetic or a zero proof
    except Undecided as exc:
        return Verdict(None, claim, {"integral": integral, "f(y) - f(x)": diff},
                       reason=str(exc))
    return Verdict(holds, claim, {"integral": integral, "f(y) - f(x)": diff})


# ---------------------------------------------------------------------- critical points
def artificial_critical_points(P, lo, hi):
    """All artificial critical points of a one-input program in ``[lo, hi]``, exactly.

    They lie on the tie set (elsewhere AD returns the derivative), which along the
    segment is the finite set of breakpoints plus the endpoints; each is checked with
    :func:`artificial_critical`.  Raises if a test vanishes on a whole sub-interval.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return t - (relu(-t) + t - relu(t))")
    >>> artificial_critical_points(identity, -5, 5)  # AD can return 0 at 0; f is t
    [0]
    """
    _program(P, "artificial_critical_points", inputs=1)
    P.require_continuity("artificial_critical_points")
    curve = segment((lo,), (hi,))
    bp = breakpoints(P, curve)
    if any(len(pats) > 1 for pats in bp.pieces):
        raise SelcalcError("a test vanishes on a whole sub-interval: the tie set is not "
                           "finite; use artificial_critical at chosen points")
    candidates = [0] + list(bp.points) + [1]
    found = []
    for t in candidates:
        x = curve(t)
        if artificial_critical(P, x).holds is True:
            found.append(x[0])
    return found


# ---------------------------------------------------------------------- sampling
def sample_curves(P, n, seed=0, kinds=("random", "through_ties", "inside_ties")):
    """``n`` reproducible exact curves of the given kinds (cycled).

    * ``random``: segments between small random rational points;
    * ``through_ties``: segments crossing a point where a test vanishes;
    * ``inside_ties``: curves lying inside the zero set of a test (for the upstream
      pattern at a random point): for affine tests a segment in the hyperplane; for a
      polynomial test linear in some input ``x_j`` the polynomial curve obtained by
      solving for ``x_j`` along a random segment in the other inputs.  Ties persist
      along them.

    ``n`` and ``seed`` are integers; ``kinds`` is a non-empty sequence of these names (or
    one name).

    >>> import selcalc
    >>> P = selcalc.parse("def f(x, y):\\n    return relu(x - y)")
    >>> curves = sample_curves(P, 3, seed=1)
    >>> [c.kind for c in curves] == [c.kind for c in sample_curves(P, 3, seed=1)]
    True
    """
    _program(P, "sample_curves")
    _count(n, "n (the number of curves)")
    _count(seed, "seed", None)
    kinds = [kinds] if isinstance(kinds, str) else kinds
    kinds = list(kinds) if kinds is not None and _iterable(kinds) else []
    if not kinds:
        raise InputError(f"kinds must be a non-empty sequence of curve kinds among "
                         f"{', '.join(map(repr, _KINDS))}")
    for kind in kinds:
        _choice(kind, "each of kinds", _KINDS)
    rng = random.Random(seed)
    small = lambda: Fraction(rng.randint(-6, 6), rng.choice([1, 2, 3, 4]))  # noqa: E731
    curves = []
    attempts = 0
    while len(curves) < n and attempts < 50 * n:
        attempts += 1
        kind = kinds[len(curves) % len(kinds)]
        a = tuple(small() for _ in range(P.p))
        if kind == "random" or not P.branching_groups:
            b = tuple(small() for _ in range(P.p))
            if a != b:
                curves.append(segment(a, b))
            continue
        run = evaluate(P, a)
        g = rng.choice(P.branching_groups)
        prim = P.ops[g]
        if not prim.tests:
            continue
        vs = [run.values[j] for j in P.args[g]] + list(P.params[g])
        t_idx = rng.randrange(len(prim.tests))
        value = prim.test_values(vs)[t_idx]
        if not isinstance(value, (int, Fraction)):
            continue
        d = local_partials(P, run, CONVENTIONS["selection"])
        tangent = forward_tangents(P, d, upto=g - 1)
        partials = condition_partials(P, g, t_idx, vs, a)
        c = [0] * P.p
        for pos, j in enumerate(P.args[g]):
            c = [ci + partials[pos] * tj for ci, tj in zip(c, tangent[j])]
        if kind == "inside_ties" and not P.piecewise_linear:
            curve = _curve_inside_polynomial_test(P, run, g, t_idx, rng, small)
            if curve is not None:
                curves.append(curve)
                continue
        norm2 = sum(ci * ci for ci in c)
        if norm2 == 0 or not all(isinstance(ci, (int, Fraction)) for ci in c):
            continue
        x0 = tuple(ai - Fraction(value) * ci / norm2 for ai, ci in zip(a, c))  # t(x0) = 0
        if kind == "through_ties":
            dvec = tuple(small() for _ in range(P.p))
            if any(dvec):
                curves.append(segment(tuple(u - v for u, v in zip(x0, dvec)),
                                      tuple(u + v for u, v in zip(x0, dvec))))
        elif P.p == 1:  # the tie set of a 1-D test is a point: the constant curve there
            curves.append(polynomial_curve([x0]))
        else:
            r = tuple(small() for _ in range(P.p))
            proj = sum(ri * ci for ri, ci in zip(r, c)) / norm2
            dvec = tuple(ri - proj * ci for ri, ci in zip(r, c))  # orthogonal to c
            if any(dvec):
                curves.append(segment(tuple(u - v for u, v in zip(x0, dvec)),
                                      tuple(u + v for u, v in zip(x0, dvec))))
    return curves


def _curve_inside_polynomial_test(P, run, g, t_idx, rng, small):
    """A rational polynomial curve on which the test vanishes identically, or None."""
    pattern = {h: run.active[h][0] for h in P.branching_groups}
    syms = tuple(sympy.Symbol(n) for n in P.input_names)
    exprs = node_expressions(P, pattern, syms)
    prim = P.ops[g]
    sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[g]] +
                   [to_sympy(c) for c in P.params[g]]))
    test = sympy.expand(prim.tests[t_idx].xreplace(sub))
    if not test.is_polynomial(*syms):
        return None
    for j, xj in enumerate(syms):
        poly = sympy.Poly(test, xj)
        if poly.degree() != 1 or not poly.all_coeffs()[0].is_Rational:
            continue
        lead, rest = poly.all_coeffs()
        others = [s for s in syms if s is not xj]
        start = [small() for _ in others]
        step = [small() for _ in others]
        along = {s: to_sympy(a) + to_sympy(d) * T for s, a, d in zip(others, start, step)}
        solved = sympy.expand((-rest / lead).xreplace(along))
        coords = [sympy.expand(along[s]) if s is not xj else solved for s in syms]
        degree = max(0, *(sympy.Poly(cx, T).degree() for cx in coords))  # 0 has degree -oo
        coeffs = [tuple(exact(sympy.Poly(cx, T).coeff_monomial(T ** i)) for cx in coords)
                  for i in range(degree + 1)]
        if all(isinstance(c, (int, Fraction)) for v in coeffs for c in v):
            return polynomial_curve(coeffs)
    return None
