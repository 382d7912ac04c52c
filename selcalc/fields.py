"""Set-valued derivatives at a point (THEORY.md §3): ad_outputs, index_closure, clarke,
artificial critical points.

>>> import selcalc
>>> zero = selcalc.parse("def zero(t):\\n    return relu(-t) + t - relu(t)")
>>> sorted(p[0] for p in ad_outputs(zero, 0).points)
[-1, 0, 1]
>>> str(index_closure(zero, 0)), str(clarke(zero, 0))
('[-1, 1]', '{0}')
>>> identity = selcalc.parse("def identity(t):\\n    return t - (relu(-t) + t - relu(t))")
>>> artificial_critical(identity, 0).holds
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import prod

import sympy

from .autodiff import jacobian_rows
from .conventions import CONVENTIONS
from .decide import Counter, Decision, closed_cone_is_zero, local_interior, open_cone
from .errors import DomainError, PatternBudgetExceeded, SelcalcError, Undecided
from .interpreters.backward import backward_jacobian
from .interpreters.evaluate import evaluate
from .interpreters.forward import forward_tangents
from .interpreters.partials import local_partials
from .interpreters.symbolic import input_symbols, node_expressions
from .numbers import sign, to_sympy
from .selection import Selection
from .sets import ConvexSet
from .verdict import Verdict

SELECTION = CONVENTIONS["selection"]


def _as_point(P, rows):
    if P.q == 1:
        return tuple(rows[0])
    return sympy.Matrix([[to_sympy(v) for v in row] for row in rows])


def _set(P, points):
    return ConvexSet(points, shape=(P.q, P.p) if P.q > 1 else None)


def _key(pattern):
    return tuple(sorted(pattern.items()))


# ---------------------------------------------------------------------- ad_outputs
def ad_outputs(P, x, max_patterns=1 << 16):
    """Every output AD can produce at ``x`` over all tie-breaking choices, as a ConvexSet.

    Enumerates the tie-consistent patterns ``T(x)`` (a product over the tied nodes only);
    ``.points`` is the finite set of outputs, ``.patterns`` maps each tie choice to its
    output.  Its hull contains the output of every convention (selection or averaging).
    """
    run = evaluate(P, x)
    ties = run.ties()
    count = prod(len(a) for a in ties.values())
    if count > max_patterns:
        raise PatternBudgetExceeded(count, max_patterns, "tie-breaking choices")
    groups = list(ties)
    outputs = {}
    for combo in itertools.product(*(ties[g] for g in groups)):
        pattern = dict(zip(groups, combo))
        d = local_partials(P, run, SELECTION, pattern=pattern)
        outputs[_key(pattern)] = _as_point(P, backward_jacobian(P, d))
    S = _set(P, outputs.values())
    S.patterns = outputs
    S.ties = ties
    return S


# ---------------------------------------------------------------------- index closure
def index_closure(P, x, max_patterns=4096):
    """``D_f^s(x)``: hull of ``∇f_σ(x)`` over **all** patterns with ``f_σ(x) = f(x)``.

    Definition 5 of the NeurIPS 2020 paper, verbatim: value coincidence, not tie
    consistency.  Exponential in the number of branching nodes; past ``max_patterns``
    raises :class:`selcalc.PatternBudgetExceeded`.  Patterns whose ``f_σ`` is undefined at
    ``x`` (a log or division out of its domain) are skipped.
    """
    P.require_continuity("index_closure")
    S = Selection(P)
    if len(S) > max_patterns:
        raise PatternBudgetExceeded(len(S), max_patterns)
    x = P.coerce_point(x)
    base = evaluate(P, x)
    fx = [base.values[k] for k in P.outputs]
    points = {}
    for sigma in S.patterns():
        try:
            run = evaluate(P, x, pattern=sigma)
        except DomainError:
            continue
        if any(sign(run.values[k] - v) != 0 for k, v in zip(P.outputs, fx)):
            continue
        try:
            rows = jacobian_rows(P, x, pattern=sigma, run=run)
        except DomainError:
            continue
        points[_key(sigma)] = _as_point(P, rows)
    out = _set(P, points.values())
    out.patterns = points
    return out


# ---------------------------------------------------------------------- Clarke
@dataclass
class ClarkeBounds:
    """Inner and outer bounds when some patterns' essentiality is unknown."""

    inner: ConvexSet | None
    outer: ConvexSet
    undecided: list = field(default_factory=list)


def essential_patterns(P, x, counter=None):
    """The tie-consistent patterns with ``x ∈ cl(int R_σ)``, with their decisions.

    Returns ``(run, results)`` where ``results`` is a list of ``(σ, Decision)`` for every
    leaf reached (pruned partial patterns are counted in ``counter`` but not listed).
    Depth-first over the branching nodes in order: a partial pattern whose tight tests
    already leave no interior is pruned (near ``x`` only the cells of the local
    arrangement survive).
    """
    counter = counter or Counter()
    run = evaluate(P, x)
    affine = P.piecewise_linear
    groups = P.branching_groups
    symbols = input_symbols(P)
    results = []

    def tight_tests(sigma, g, i):
        prim = P.ops[g]
        vs = [run.values[j] for j in P.args[g]] + list(P.params[g])
        tvals = prim.test_values(vs)
        tight = []
        for t_idx, allowed in prim.conditions_of(i):
            if sign(tvals[t_idx]) != 0:
                continue
            tight.append((t_idx, allowed))
        if not tight:
            return []
        d = local_partials(P, run, SELECTION, pattern=sigma)
        tangent = forward_tangents(P, d, upto=g - 1)
        out = []
        for t_idx, allowed in tight:
            partials = prim.test_partials(t_idx, vs)
            c = [0] * P.p
            for pos, j in enumerate(P.args[g]):
                if partials[pos] != 0:
                    c = [ci + partials[pos] * tj for ci, tj in zip(c, tangent[j])]
            rel = {(0, 1): 1, (-1, 0): -1, (0,): 0}[allowed]
            out.append((g, t_idx, rel, tuple(c)))
        return out

    def symbolic_test(sigma, g, t_idx):
        full = {h: sigma.get(h, run.active[h][0]) for h in groups}
        exprs = node_expressions(P, full, symbols)
        prim = P.ops[g]
        sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[g]] +
                       [to_sympy(c) for c in P.params[g]]))
        return sympy.expand(prim.tests[t_idx].xreplace(sub))

    def dfs(idx, sigma, cons, pending, hint, second_order):
        if idx == len(groups):
            if not second_order:
                results.append((dict(sigma), open_cone(cons, hint, counter)))
                return
            tests = [(symbolic_test(sigma, g, t_idx), rel) for g, t_idx, rel in pending]
            results.append((dict(sigma),
                            local_interior(tests, symbols, run.values[1:P.p + 1], counter)))
            return
        g = groups[idx]
        for i in run.active[g]:
            sigma[g] = i
            new_cons, new_pending, dead = list(cons), list(pending), None
            for (h, t_idx, rel, c) in tight_tests(sigma, g, i):
                zero_grad = all(v == 0 for v in c)
                if zero_grad and (affine or symbolic_test(sigma, h, t_idx) == 0):
                    continue  # identically zero near x: imposes nothing
                if rel == 0 and not zero_grad:
                    dead = Decision(False, {"kind": "equality", "gradients": [c]})
                    break
                if rel != 0:
                    new_cons.append(tuple(rel * v for v in c))
                if not affine:
                    new_pending.append((h, t_idx, rel))
                    if rel == 0:
                        new_cons.append(tuple(0 for _ in c))  # forces second order
            if dead is not None:
                results.append((dict(sigma), dead))
                continue
            dec = open_cone(new_cons, hint, counter) if len(new_cons) > len(cons) else None
            if dec is None:
                dfs(idx + 1, sigma, new_cons, new_pending, hint, second_order)
            elif dec.holds:
                dfs(idx + 1, sigma, new_cons, new_pending, dec.certificate["direction"],
                    False)
            elif affine:
                counter.pruned += 1
            else:
                refuted = closed_cone_is_zero(new_cons, counter)
                if refuted is not None:
                    results.append((dict(sigma), refuted))
                else:
                    dfs(idx + 1, sigma, new_cons, new_pending, hint, True)
        sigma.pop(g, None)

    dfs(0, {}, [], [], None, False)
    return run, results


def clarke(P, x, allow_unknown=False):
    """The Clarke subgradient (q = 1) or Clarke Jacobian (q > 1) at ``x``, exactly.

    ``conv{∇f_σ(x) : σ ∈ T(x), x ∈ cl(int R_σ)}`` — the essential patterns (§5.1 of the
    NeurIPS 2020 paper).  ``.decisions`` maps each examined pattern to its certified
    decision.  If some decision is unknown: raises :class:`selcalc.Undecided`, or with
    ``allow_unknown=True`` returns :class:`ClarkeBounds`.
    """
    counter = Counter()
    P.require_continuity("clarke")
    run, results = essential_patterns(P, x, counter)
    certain, unknown = {}, {}
    for sigma, dec in results:
        if dec.holds is True:
            certain[_key(sigma)] = _grad_for(P, run, sigma)
        elif dec.holds is None:
            unknown[_key(sigma)] = _grad_for(P, run, sigma)
    if unknown and not allow_unknown:
        raise Undecided(f"{len(unknown)} pattern(s) could not be decided essential or not at "
                        f"x = {run.values[1:P.p + 1]}; pass allow_unknown=True for bounds")
    if not certain and not unknown:
        raise SelcalcError("no essential pattern found (this contradicts density of the "
                           "pieces' interiors; please report the program)")
    if unknown:
        inner = _set(P, certain.values()) if certain else None
        outer = _set(P, list(certain.values()) + list(unknown.values()))
        return ClarkeBounds(inner, outer, list(unknown))
    S = _set(P, certain.values())
    S.patterns = certain
    S.decisions = {_key(s): d for s, d in results}
    S.stats = counter
    return S


def _grad_for(P, run, sigma):
    d = local_partials(P, run, SELECTION, pattern=sigma)
    return _as_point(P, backward_jacobian(P, d))


# ---------------------------------------------------------------------- artificial critical
def artificial_critical(P, x, field="ad_outputs"):
    """Verdict: ``0 ∈ conv(ad_outputs(x))`` (or the index closure) but ``0 ∉ ∂^c f(x)``.

    Certificate when it holds: ``{"weights": ...}`` expressing 0 from the AD outputs, and
    ``{"w": w}`` with ``<w, v> > 0`` for every Clarke vertex ``v``.
    """
    if P.q != 1:
        raise SelcalcError("artificial critical points are defined for scalar programs")
    if P.continuity_gap() is not None: return P.continuity_verdict(f"{x} is an artificial critical point")  # noqa: E501,E701
    D = ad_outputs(P, x) if field == "ad_outputs" else index_closure(P, x)
    in_d = D.contains_zero()
    claim = f"x = {tuple(str(v) for v in P.coerce_point(x))} is an artificial critical point"
    if in_d.holds is False:
        return Verdict(False, claim, {"separator": in_d.certificate["separator"],
                                      "field": D}, reason=f"0 is not in conv({field})")
    try:
        C = clarke(P, x)
    except Undecided as exc:
        return Verdict(None, claim, reason=str(exc))
    in_c = C.contains_zero()
    if in_c.holds:
        return Verdict(False, claim, {"clarke_weights": in_c.certificate["weights"],
                                      "clarke": C}, reason="0 is in the Clarke subgradient")
    w = in_c.certificate["separator"]
    w = tuple(-v for v in w)  # <w, 0> > <w, u>  ->  <-w, u> > 0
    return Verdict(True, claim, {"weights": in_d.certificate["weights"], "field": D,
                                 "w": w, "clarke": C},
                   checked=[f"0 in conv({field})", "<w, v> > 0 for every Clarke vertex v"])


def artificial_critical_points(P, lo, hi):
    """All artificial critical points of a one-input program in ``[lo, hi]``, exactly.

    They lie on the tie set (elsewhere AD returns the derivative), which along the
    segment is the finite set of breakpoints plus the endpoints; each is checked with
    :func:`artificial_critical`.  Raises if a test vanishes on a whole sub-interval.
    """
    from .curves import breakpoints, segment
    if P.p != 1:
        raise SelcalcError("artificial_critical_points needs a one-input program")
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
