"""Set-valued derivatives at a point (docs/mathematics.md section 3, docs/exactness.md): ad_outputs,
index_closure, clarke, artificial critical points.

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

from dataclasses import dataclass, field
from math import prod

import sympy

from .autodiff import jacobian_rows
from .conventions import CONVENTIONS
from .decide import (Counter, Decision, closed_cone_is_zero, local_interior, one_sided,
                     open_cone, vanishes_near)
from .budget import Budget, budget
from .errors import (DomainError, PatternBudgetExceeded, SelcalcError, TimeLimitExceeded,
                     Undecided)
from .interpreters.backward import backward_jacobian
from .interpreters.evaluate import evaluate
from .interpreters.partials import condition_partials, local_partials, piece_partials
from .interpreters.symbolic import input_symbols, node_expressions
from .local import clarke_element, tie_gradients
from .numbers import settle, sign, to_sympy
from .points import exact_str, long_printing
from .selection import Selection
from .sets import ConvexSet
from .verdict import Verdict

SELECTION = CONVENTIONS["selection"]
#: the most tie choices enumerated for the outer bound of a stopped Clarke search
STOPPED_OUTER_PATTERNS = 4096

#: the default pattern budgets of the enumerations (tie choices, all patterns)
MAX_PATTERNS = {"ad_outputs": 1 << 16, "index_closure": 4096}


def _as_point(P, rows):
    rows = [[settle(v) for v in row] for row in rows]  # disguised zeros become 0
    if P.q == 1:
        return tuple(rows[0])
    return sympy.Matrix([[to_sympy(v) for v in row] for row in rows])


def _set(P, points):
    return ConvexSet(points, shape=(P.q, P.p) if P.q > 1 else None)


def _key(pattern):
    return tuple(sorted(pattern.items()))


# ---------------------------------------------------------------------- ad_outputs
def ad_outputs(P, x, max_patterns=MAX_PATTERNS["ad_outputs"], time_limit=None,
               progress=None):
    """Every output AD can produce at ``x`` over all tie-breaking choices, as a ConvexSet.

    Enumerates the tie-consistent patterns ``T(x)`` (a product over the tied nodes only);
    ``.points`` is the finite set of outputs, ``.patterns`` maps each tie choice to its
    output.  Its hull contains the output of every convention (selection or averaging).
    ``time_limit`` (seconds) and ``progress`` (a callable receiving
    :class:`selcalc.budget.Progress`) as in :func:`clarke`.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return t - (relu(-t) + t - relu(t))")
    >>> A = ad_outputs(identity, 0)  # each relu at its kink: derivative 0 or 1
    >>> print(A)
    [0, 2]
    >>> A.points
    ((0,), (1,), (2,))
    """
    outputs = dict(_ad_points(P, x, max_patterns, time_limit, progress))
    S = _set(P, _distinct(outputs.values()))
    S.patterns = outputs
    S.ties = evaluate(P, x).ties()
    return S


def _ad_points(P, x, max_patterns, time_limit, progress):
    """Yield ``(pattern key, output)`` for every tie choice at ``x`` (see ad_outputs)."""
    run = evaluate(P, x)
    ties = {}
    for g, act in run.ties().items():  # orders equal where the program reads them: once
        act = P.ops[g].distinct_readings(act)
        if len(act) > 1:
            ties[g] = act
    count = prod(len(a) for a in ties.values())
    if count > max_patterns:
        raise PatternBudgetExceeded(count, max_patterns, "tie-breaking choices")
    b = budget("ad_outputs", time_limit, None, progress, total=count, unit="tie choices")
    points = {}  # equal outputs may come as one shared rows object: settle it once
    for pattern, rows in tie_gradients(P, run, ties, b):
        hit = points.get(id(rows))
        if hit is None:  # the entry keeps rows alive, so its id is not reused
            hit = points[id(rows)] = (rows, _as_point(P, rows))
        pt = hit[1]
        yield _key(pattern), pt


def _distinct(points):
    """The points with shared objects listed once (ConvexSet then merges equal values)."""
    return list({id(pt): pt for pt in points}.values())


# ---------------------------------------------------------------------- index closure
def index_closure(P, x, max_patterns=MAX_PATTERNS["index_closure"], time_limit=None,
                  progress=None):
    """``D_f^s(x)``: hull of ``∇f_σ(x)`` over **all** patterns with ``f_σ(x) = f(x)``.

    Definition 5 of the NeurIPS 2020 paper, verbatim: value coincidence, not tie
    consistency.  Exponential in the number of branching nodes; past ``max_patterns``
    raises :class:`selcalc.PatternBudgetExceeded`.  Patterns whose ``f_σ`` is undefined at
    ``x`` (a log or division out of its domain) are skipped.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return t - (relu(-t) + t - relu(t))")
    >>> print(index_closure(identity, 0))  # every f_σ = (a + b) t vanishes at 0
    [0, 2]
    """
    points = dict(_index_closure_points(P, x, max_patterns, time_limit, progress))
    if not points:
        raise DomainError(f"no pattern of the program has a derivative defined at "
                          f"{exact_str(tuple(P.coerce_point(x)))}")
    out = _set(P, points.values())
    out.patterns = points
    return out


def _index_closure_points(P, x, max_patterns, time_limit, progress):
    """Yield ``(pattern key, ∇f_σ(x))`` for the patterns of the index closure at ``x``."""
    P.require_continuity("index_closure")
    S = Selection(P)
    S.check_budget(max_patterns)
    x = P.coerce_point(x)
    base = evaluate(P, x)
    fx = [base.values[k] for k in P.outputs]
    b = budget("index_closure", time_limit, None, progress, total=S.count, unit="patterns")
    for sigma in S.patterns():
        b.tick()
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
        yield _key(sigma), _as_point(P, rows)


# ---------------------------------------------------------------------- Clarke
@long_printing
@dataclass
class ClarkeBounds:
    """Inner and outer bounds when some patterns' essentiality is unknown."""

    inner: ConvexSet | None
    outer: ConvexSet | None
    undecided: list = field(default_factory=list)
    #: why the search stopped early (a time limit or cell budget), None when it finished;
    #: then ``outer`` is the hull of the AD outputs, None when those are more than
    #: :data:`STOPPED_OUTER_PATTERNS` or not computed within the time limit (always None
    #: when the time limit stopped the search)
    stopped: str | None = None
    #: which limit stopped it: ``"time_limit"`` or ``"max_cells"`` (None when it finished)
    limit: str | None = None


class _SearchDone(Exception):
    """Raised by a leaf when ``on_leaf`` asks the search to end (see essential_patterns)."""


def essential_patterns(P, x, counter=None, budget=None, on_leaf=None):
    """The tie-consistent patterns with ``x ∈ cl(int R_σ)``, with their decisions.

    Returns ``(run, results)`` where ``results`` is a list of ``(σ, Decision)`` for every
    leaf reached (pruned partial patterns are counted in ``counter`` but not listed).
    Depth-first over the branching nodes in order: a partial pattern whose tight tests
    already leave no interior is pruned (near ``x`` only the cells of the local
    arrangement survive).  ``budget`` (a :class:`selcalc.budget.Budget`) is ticked once
    per node of the search; when it raises, the exception carries ``partial = (run,
    results so far)``.  ``on_leaf(run, σ, decision)``, when given, is called at every leaf;
    a true return value ends the search there (the results so far are returned).
    """
    counter = counter or Counter()
    run = evaluate(P, x)
    affine = P.piecewise_linear
    groups = P.branching_groups
    symbols = input_symbols(P)
    results = []
    # groups whose tied pieces may be merged: in a piecewise-linear program every group,
    # else those feeding no branching node (see merged_pieces)
    mergeable = _group_members(P) if affine else _terminal_groups(P)

    def merged_pieces(sigma, g):
        """For a group that feeds no branching node, or any group of a piecewise-linear
        program: the local Jacobians (w.r.t. the inputs) of its tied pieces, when they
        all coincide at x; else None.

        A terminal group's choice changes neither the gradient nor any other condition.
        In a piecewise-linear program, tied pieces (equal values at x) with equal
        Jacobians are one affine function near x, given the pieces chosen before: every
        later node, test and gradient is the same whichever is chosen.  Either way, near
        x the regions of the tied pieces cover a neighbourhood; since a point is in the
        closure of the interior of a finite union of closed sets iff it is in that of one
        of them, the group's tests can be dropped and one piece kept.  (A chain of ReLUs
        at 0 after one is off: 2^n patterns with one gradient become one.)
        """
        if g not in mergeable or len(run.active[g]) < 2:
            return None
        rows = []  # the shared tangents of the nodes before g are filled (see dfs)
        for k in mergeable[g]:
            prim = P.ops[k]
            if any(j >= g for j in P.args[k]):
                return None
            vs = [run.values[j] for j in P.args[k]] + list(P.params[k])
            for i in run.active[g]:
                if _differs(prim.value(i, vs)[P.outs[k]], run.values[k]):
                    return None  # not one function near x (a discontinuous program)
                partials = piece_partials(P, k, i, vs, x)
                row = [0] * P.p
                for pos, j in enumerate(P.args[k]):
                    row = [r + partials[pos] * tj for r, tj in zip(row, tangent[j])]
                rows.append((k, i, tuple(row)))
        first = {k: row for k, i, row in rows if i == run.active[g][0]}
        try:
            if any(sign(a - b) != 0 for k, i, row in rows for a, b in zip(row, first[k])):
                return None
        except Undecided:
            return None
        return {"kind": "merged", "node": g, "pieces": tuple(run.active[g]),
                "jacobians": [(k, i, row) for k, i, row in rows]}

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
        out = []
        for t_idx, allowed in tight:
            partials = condition_partials(P, g, t_idx, vs, x)
            c = [0] * P.p
            for pos, j in enumerate(P.args[g]):
                if partials[pos] != 0:
                    c = [ci + partials[pos] * tj for ci, tj in zip(c, tangent[j])]
            rel = {(0, 1): 1, (-1, 0): -1, (0,): 0}[allowed]
            out.append((g, t_idx, rel, tuple(c)))
        return out

    # tangents of the nodes before the group being decided; they depend only on the pieces
    # already chosen, so each depth of the search fills its own segment (shared array)
    tangent = [None] * (P.m + 1)  # the inputs' unit rows are filled in the search's try
    partials = {}

    def fill(lo, hi, sigma):
        for k in range(lo, hi):
            prim = P.ops[k]
            piece = sigma.get(P.groups[k], run.active.get(P.groups[k], (0,))[0]) \
                if prim.branching else 0
            dk = partials.get((k, piece))
            if dk is None:
                vs = [run.values[j] for j in P.args[k]] + list(P.params[k])
                dk = partials[k, piece] = piece_partials(P, k, piece, vs, x) \
                    if prim.arity else ()
            acc = [0] * P.p
            for j, a in zip(P.args[k], dk):
                if a != 0:
                    if budget is not None:
                        budget.tick(0)  # dense rows: a wide node costs inputs x arguments
                    acc = [u + a * v for u, v in zip(acc, tangent[j])]
            tangent[k] = acc

    def symbolic_test(sigma, g, t_idx):
        full = {h: sigma.get(h, run.active[h][0]) for h in groups}
        exprs = node_expressions(P, full, symbols)
        prim = P.ops[g]
        sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[g]] +
                       [to_sympy(c) for c in P.params[g]]))
        return sympy.expand(prim.tests[t_idx].xreplace(sub))

    x = run.values[1:P.p + 1]

    def classify(sigma, h, t_idx, c):
        """What a tight test says near x: ("gradient", c) with its certified nonzero
        gradient; ("vanishes", cert) when it is identically zero there (it imposes
        nothing); ("flat", cert) for a zero gradient but a test not identically zero;
        ("unknown", reason)."""
        try:
            signs = [sign(v) for v in c]
        except Undecided as exc:
            return "unknown", str(exc)
        if any(signs):
            return "gradient", tuple(0 if sg == 0 else v for sg, v in zip(signs, c))
        if affine:
            return "vanishes", {"kind": "vanishes", "method": "affine, zero gradient",
                                "node": h}
        dec = vanishes_near(symbolic_test(sigma, h, t_idx), symbols, x)
        if dec.holds is None:
            return "unknown", dec.certificate["reason"]
        return ("vanishes" if dec.holds else "flat"), {**dec.certificate, "node": h}

    def affine_refutation(sigma, cons, pending):
        """Gordan over the tests that are affine on the piece: exact in any program.

        In a program with smooth parts, ``cons[i]`` comes from ``pending[i]``.  If the
        tests that are affine in the inputs (composed with σ's pieces) already leave no
        open direction, their closed region lies in a hyperplane: no interior near x.
        """
        rows, tests = [], []
        for c, (h, t_idx, rel) in zip(cons, pending):
            t = symbolic_test(sigma, h, t_idx)
            if t.is_polynomial(*symbols) and sympy.Poly(t, *symbols).total_degree() <= 1:
                rows.append(c)
                tests.append((t, rel))
        if not rows:
            return None
        dec = cone(rows, None)
        if dec.holds is not False:
            return None
        return Decision(False, {**dec.certificate, "affine_tests": tests,
                                "symbols": list(symbols)})

    def leaf(sigma, dec, vanished, doubt):
        cert = dict(dec.certificate)
        if vanished:
            cert["vanishing"] = list(vanished)
        if doubt is not None and dec.holds is True:
            dec = Decision(None, {**cert, "reason": doubt})
        else:
            dec = Decision(dec.holds, cert)
        results.append((dict(sigma), dec))
        if on_leaf is not None and on_leaf(run, results[-1][0], dec):
            raise _SearchDone

    def cone(cons, hint, hint_ok=0):
        try:
            return open_cone(cons, hint, counter, hint_ok)
        except Undecided as exc:
            return Decision(None, {"kind": "direction", "constraints": cons,
                                   "reason": str(exc)})

    def decide_leaf(sigma, cons, pending, hint, second_order, vanished, doubt):
        if not second_order:
            leaf(sigma, cone(cons, hint), vanished, doubt)
            return
        tests = [(symbolic_test(sigma, g, t_idx), rel) for g, t_idx, rel in pending]
        if P.p == 1:
            dec = one_sided(tests, symbols, x)
            if dec.holds is not None:
                leaf(sigma, dec, vanished, doubt)
                return
        leaf(sigma, local_interior(tests, symbols, x, counter), vanished, doubt)

    def dfs(idx, sigma, cons, pending, hint, second_order, vanished, doubt):
        """One node of the search: a generator that yields the arguments of each child
        node instead of calling itself (see _walk: the depth is the number of branching
        groups, thousands in a traced chain, far past Python's recursion limit)."""
        if budget is not None:
            budget.tick()
        if idx == len(groups):
            decide_leaf(sigma, cons, pending, hint, second_order, vanished, doubt)
            return
        g = groups[idx]
        fill(groups[idx - 1] if idx else P.p + 1, g, sigma)
        merged = merged_pieces(sigma, g)
        if merged is not None:  # one representative piece, no condition from g
            sigma[g] = run.active[g][0]
            yield (idx + 1, sigma, cons, pending, hint, second_order, vanished + [merged],
                   doubt)
            sigma.pop(g, None)
            return
        for i in run.active[g]:
            sigma[g] = i
            new_cons, new_pending, dead = list(cons), list(pending), None
            new_vanished, new_doubt = list(vanished), doubt
            for (h, t_idx, rel, c) in tight_tests(sigma, g, i):
                kind, info = classify(sigma, h, t_idx, c)
                if kind == "vanishes":
                    new_vanished.append(info)
                    continue  # identically zero near x: imposes nothing
                if kind == "unknown":
                    # leave it out: the other tests may still refute, never confirm
                    new_doubt = new_doubt or info
                    continue
                if rel == 0:
                    dead = Decision(False, {"kind": "equality",
                                            "gradients": [info] if kind == "gradient" else [],
                                            **({"nonvanishing": info} if kind == "flat"
                                               else {})})
                    break
                grad = info if kind == "gradient" else tuple(0 for _ in c)
                row = tuple(rel * v for v in grad)  # a zero row forces 2nd order
                if affine and row in new_cons:
                    continue  # a constraint already there (ReLU after ReLU): nothing new
                new_cons.append(row)
                if not affine:
                    new_pending.append((h, t_idx, rel))
            if dead is not None:
                leaf(sigma, dead, new_vanished, None)
                continue
            dec = cone(new_cons, hint, hint_ok=len(cons)) if len(new_cons) > len(cons) \
                else None
            if dec is None:
                yield (idx + 1, sigma, new_cons, new_pending, hint, second_order,
                       new_vanished, new_doubt)
            elif dec.holds is None:  # the old hint need not satisfy the new rows
                yield (idx + 1, sigma, new_cons, new_pending, None, second_order,
                       new_vanished, new_doubt or dec.certificate["reason"])
            elif dec.holds:
                yield (idx + 1, sigma, new_cons, new_pending, dec.certificate["direction"],
                       False, new_vanished, new_doubt)
            elif affine:
                counter.pruned += 1
            else:
                refuted = affine_refutation(sigma, new_cons, new_pending) or \
                    closed_cone_is_zero(new_cons, counter)
                if refuted is not None:
                    leaf(sigma, refuted, new_vanished, None)
                else:
                    yield (idx + 1, sigma, new_cons, new_pending, None, True, new_vanished,
                           new_doubt)
        sigma.pop(g, None)

    try:
        for i in range(1, P.p + 1):
            if budget is not None:
                budget.tick(0)  # p rows of p entries: seconds for tens of thousands of inputs
            tangent[i] = [int(i - 1 == j) for j in range(P.p)]
        _walk(dfs, (0, {}, [], [], None, False, [], None))
    except _SearchDone:
        pass
    except (TimeLimitExceeded, PatternBudgetExceeded) as exc:
        exc.partial = (run, results)
        raise
    return run, results


def _walk(node, args):
    """Depth-first search without recursion: ``node(*args)`` is a generator yielding the
    arguments of its children, each searched in full (on an explicit stack) before the
    generator resumes, so the order is that of the recursive search.

    >>> seen = []
    >>> def node(n):
    ...     seen.append(n)
    ...     if n < 3:
    ...         yield (2 * n + 1,)
    ...         yield (2 * n + 2,)
    >>> _walk(node, (0,)); seen
    [0, 1, 3, 4, 2, 5, 6]
    """
    stack = [node(*args)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        else:
            stack.append(node(*child))


def clarke(P, x, allow_unknown=False, time_limit=None, max_cells=None, progress=None):
    """The Clarke subgradient (q = 1) or Clarke Jacobian (q > 1) at ``x``, exactly.

    ``conv{∇f_σ(x) : σ ∈ T(x), x ∈ cl(int R_σ)}`` — the essential patterns (§5.1 of the
    NeurIPS 2020 paper).  ``.decisions`` maps each examined pattern to its certified
    decision.  Some decisions may stay unknown and the set still be exact: when every
    undecided pattern's gradient lies in the hull of the certified ones, or when all
    candidates share one gradient (the set is never empty); ``.undecided`` lists those
    patterns and ``.settled`` says why.  Otherwise an unknown decision raises
    :class:`selcalc.Undecided`, or with ``allow_unknown=True`` gives :class:`ClarkeBounds`.

    ``time_limit`` (seconds) and ``max_cells`` (nodes of the search over the local
    arrangement) bound the work: past them :class:`selcalc.TimeLimitExceeded` /
    :class:`selcalc.PatternBudgetExceeded` is raised, or with ``allow_unknown=True`` the
    bounds reached so far are returned (``ClarkeBounds.stopped`` says why).  ``progress``
    is called with :class:`selcalc.budget.Progress` records during the search.

    >>> import selcalc
    >>> print(clarke(selcalc.parse("def f(x):\\n    return relu(exp(x) - 1 - x)"), 0))
    {0}
    """
    P.require_continuity("clarke")
    counter = Counter()
    run, results, stopped, limit, b = _clarke_search(P, x, counter, allow_unknown,
                                                     time_limit, max_cells, progress)
    return _clarke_result(P, x, run, results, counter, stopped, limit, allow_unknown,
                          budget=b)


def _clarke_search(P, x, counter, allow_unknown, time_limit, max_cells, progress,
                   on_leaf=None):
    """Run the cell search; ``(run, results, stopped, limit, budget)`` (see :func:`clarke`;
    ``budget`` is the search's, whose remaining time bounds any work after it)."""
    b = Budget("clarke", time_limit, max_cells, progress, unit="cells", how="max_cells")
    try:
        run, results = essential_patterns(P, x, counter, budget=b, on_leaf=on_leaf)
    except (TimeLimitExceeded, PatternBudgetExceeded) as exc:
        if not allow_unknown:
            raise
        run, results = exc.partial
        limit = "time_limit" if isinstance(exc, TimeLimitExceeded) else "max_cells"
        return run, results, str(exc), limit, b
    b.finish()
    return run, results, None, None, b


def _clarke_result(P, x, run, results, counter, stopped, limit, allow_unknown, grads=None,
                   budget=None):
    """The Clarke set (or bounds) from the decisions of a search (``grads``: gradients
    already computed, by pattern key; ``budget``: the search's, see _stopped_bounds)."""
    grads = grads if grads is not None else {}
    certain, unknown = {}, {}
    for sigma, dec in results:
        if dec.holds is not False:
            key = _key(sigma)
            g = grads.get(key)
            if g is None:
                g = _grad_for(P, run, sigma)
            (certain if dec.holds else unknown)[key] = g
    if stopped is not None:  # partial results: no settling, only bounds
        return _stopped_bounds(P, x, certain, unknown, stopped, limit, budget)
    settled = _settle_bounds(P, certain, unknown) if unknown else None
    if settled is not None:
        S, reason = settled
        S.patterns = certain
        S.decisions = {_key(s): d for s, d in results}
        S.stats = counter
        S.undecided, S.settled = list(unknown), reason
        return S
    if unknown and not allow_unknown:
        raise Undecided(f"{len(unknown)} pattern(s) could not be decided essential or not at "
                        f"x = {exact_str(run.values[1:P.p + 1])}; pass allow_unknown=True for "
                        f"bounds")
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
    S.undecided, S.settled = [], None
    return S


def _differs(a, b):
    """True unless ``a = b`` is certified."""
    try:
        return sign(a - b) != 0
    except Undecided:
        return True


def _group_members(P):
    """Branching groups: group -> its nodes."""
    out = {}
    for k in range(P.p + 1, P.m + 1):
        if P.ops[k].branching:
            out.setdefault(P.groups[k], []).append(k)
    return out


def _terminal_groups(P):
    """Branching groups none of whose nodes feeds a branching node: group -> its nodes."""
    feeds = [False] * (P.m + 1)
    for k in range(P.m, P.p, -1):
        if P.ops[k].branching or feeds[k]:
            for j in P.args[k]:
                feeds[j] = True
    return {g: ks for g, ks in _group_members(P).items() if not any(feeds[k] for k in ks)}


def _settle_bounds(P, certain, unknown):
    """The Clarke set when the bounds decide it in spite of undecided patterns, or None.

    The essential patterns lie between the certified ones and all candidates, and there
    is at least one: if the candidates' gradients all lie in the certified hull, that hull
    is the answer; if there is a single candidate gradient, it is the answer.
    """
    if certain:
        inner = _set(P, certain.values())
        try:
            if all(inner.contains(g).holds for g in unknown.values()):
                return inner, ("every undecided pattern's gradient lies in the hull of "
                               "the certified essential ones")
        except Undecided:
            return None
        return None
    outer = _set(P, unknown.values())
    if len(outer.vertices) == 1:
        return outer, "every candidate pattern has the same gradient"
    return None


def _stopped_bounds(P, x, certain, unknown, stopped, limit, budget=None):
    """Bounds after an interrupted search: inner = hull of the essential patterns found,
    outer = hull of all AD outputs (it contains the Clarke set) when they are few and are
    enumerated within the time the search's ``budget`` has left (None otherwise: a search
    stopped by its time limit has none left)."""
    inner = _set(P, certain.values()) if certain else None
    remaining = None
    if budget is not None and budget.time_limit is not None:
        remaining = budget.time_limit - budget.elapsed
    outer = None
    if remaining is None or remaining > 0:
        try:
            outer = ad_outputs(P, x, max_patterns=STOPPED_OUTER_PATTERNS,
                               time_limit=remaining)
        except (PatternBudgetExceeded, TimeLimitExceeded):
            outer = None
    return ClarkeBounds(inner, outer, list(unknown), stopped=stopped, limit=limit)


def _grad_for(P, run, sigma):
    d = local_partials(P, run, SELECTION, pattern=sigma)
    return _as_point(P, backward_jacobian(P, d))


# ---------------------------------------------------------------------- artificial critical
def artificial_critical(P, x, field="ad_outputs", time_limit=None, progress=None,
                        max_patterns=None, max_cells=None):
    """Verdict: ``0 ∈ conv(ad_outputs(x))`` (or the index closure) but ``0 ∉ ∂^c f(x)``.

    Certificate when it holds: ``{"weights": ...}`` expressing 0 from the AD outputs in
    ``"field"`` (the outputs enumerated until their hull contained 0: a subset of the
    field, whose ``generators`` the weights index), and ``{"w": w}`` with ``<w, v> > 0``
    for every Clarke vertex ``v``.  When it fails: ``{"separator": ...}`` with the whole
    ``"field"``, or ``{"clarke_weights": ...}`` expressing 0 from certified Clarke elements
    (``"clarke"``, the hull of those found so far).  When the Clarke set is only bounded, 0
    in the inner hull still refutes and 0 outside the outer hull still proves (``"clarke"``
    is then that hull); otherwise, or when an exact comparison cannot be made, the verdict
    is unknown (a search stopped by a limit names it in the certificate ``{"stopped":
    "time_limit" | "max_cells"}``).

    Only the yes/no question is answered, so the work stops early: a certified Clarke
    element (:func:`selcalc.clarke_element`) equal to 0 refutes at once; the AD outputs are
    enumerated only until their hull contains 0; the cell search of :func:`clarke` stops
    as soon as the hull of the essential gradients found contains 0.  Every stop rests on
    an exact membership certificate, so the answer is the one the full sets give.

    ``time_limit`` (seconds, shared by both steps) and ``progress`` as in :func:`clarke`;
    ``max_patterns`` (default: that of :func:`ad_outputs` / :func:`index_closure`) and
    ``max_cells`` (default: none) bound the enumeration and the cell search.  A Clarke
    search stopped by a limit gives an unknown verdict unless its bounds decide.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return t - (relu(-t) + t - relu(t))")
    >>> artificial_critical(identity, 0).holds  # AD can return 0, but f(t) = t
    True
    >>> artificial_critical(identity, 1).holds
    False
    """
    if P.q != 1:
        raise SelcalcError("artificial critical points are defined for scalar programs")
    if not (isinstance(field, str) and field in ("ad_outputs", "index_closure")):
        raise SelcalcError(f"unknown field {field!r} for artificial_critical: use "
                           f"'ad_outputs' or 'index_closure'")
    if P.continuity_gap() is not None:
        return P.continuity_verdict(f"{exact_str(x)} is an artificial critical point")
    b = Budget("artificial_critical", time_limit, None, progress,
               unit="tie choices" if field == "ad_outputs" else "patterns")
    claim = (f"x = {tuple(exact_str(v) for v in P.coerce_point(x))} is an artificial "
             f"critical point")
    zero_clarke = _zero_clarke_element(P, x, b)
    if zero_clarke is not None:  # a certified Clarke element is 0
        return Verdict(False, claim, {"clarke_weights": {0: 1}, "clarke": zero_clarke},
                       reason="0 is in the Clarke subgradient (a certified Clarke element)")
    points = _ad_points if field == "ad_outputs" else _index_closure_points
    stream = points(P, x, max_patterns or MAX_PATTERNS[field], b, None)
    watch = _ZeroWatch(P)
    try:
        for key, point in stream:
            if watch.add(key, point):
                break
        D, in_d = watch.answer()
    except Undecided as exc:
        return Verdict(None, claim, reason=str(exc))
    if D is None:
        raise DomainError(f"no pattern of the program has a derivative defined at "
                          f"{exact_str(tuple(P.coerce_point(x)))}")
    if in_d.holds is False:
        return Verdict(False, claim, {"separator": in_d.certificate["separator"],
                                      "field": D}, reason=f"0 is not in conv({field})")
    try:
        C = _clarke_until_zero(P, x, b, max_cells, progress)
        if isinstance(C, ClarkeBounds):  # 0 in the inner hull, or outside the outer one
            inner = C.inner.contains_zero() if C.inner is not None else None
            if inner is not None and inner.holds:
                in_c, C = inner, C.inner
            elif C.outer is None:
                return Verdict(None, claim, {"stopped": C.limit} if C.limit else None,
                               reason=C.stopped or "the Clarke search did not finish")
            else:
                in_c = C.outer.contains_zero()
                if in_c.holds:
                    return Verdict(None, claim, {"stopped": C.limit} if C.limit else None,
                                   reason="0 lies between the inner and the outer bound of "
                                   "the Clarke subgradient" +
                                   (f" ({C.stopped})" if C.stopped else ""))
                C = C.outer
        else:
            in_c = C.contains_zero()
    except Undecided as exc:
        return Verdict(None, claim, reason=str(exc))
    if in_c.holds:
        return Verdict(False, claim, {"clarke_weights": in_c.certificate["weights"],
                                      "clarke": C}, reason="0 is in the Clarke subgradient")
    w = in_c.certificate["separator"]
    w = tuple(-v for v in w)  # <w, 0> > <w, u>  ->  <-w, u> > 0
    return Verdict(True, claim, {"weights": in_d.certificate["weights"], "field": D,
                                 "w": w, "clarke": C},
                   checked=[f"0 in conv({field})", "<w, v> > 0 for every Clarke vertex v"])


def _zero_clarke_element(P, x, b=None):
    """``ConvexSet({0})`` when the certified Clarke element of :func:`clarke_element` is
    exactly 0, else None (also when no element could be certified).  ``b``, the caller's
    budget, bounds its time: past the limit :class:`selcalc.TimeLimitExceeded` is raised."""
    try:
        value = clarke_element(P, x, budget=b).value
        if all(sign(v) == 0 for v in value):
            return _set(P, [tuple(0 for _ in value)])
    except TimeLimitExceeded:
        raise
    except SelcalcError:  # no certified element: only the shortcut is lost
        pass
    return None


class _ZeroWatch:
    """Points arriving one by one; :meth:`add` says once 0 is certified in their hull.

    A point equal to 0 answers at once.  Otherwise the hull can contain 0 only when every
    coordinate takes both a value <= 0 and a value >= 0; once it does, the exact
    membership LP runs when the number of distinct points has grown by a factor
    ``GROWTH`` since the last test (so the tests cost a fraction of the enumeration).
    """

    GROWTH = 1.5

    def __init__(self, P):
        self.P = P
        self.points, self.seen = {}, set()
        self.low = [False] * P.p
        self.high = [False] * P.p
        self.next_test = 1
        self.found = None  # (set, verdict) once 0 is in the hull

    def add(self, key, point):
        if point in self.seen:
            return False
        self.seen.add(point)
        self.points[key] = point
        try:
            signs = [sign(v) for v in point]
        except Undecided:
            signs = None  # no screening: the LP decides
        if signs is None:
            self.low, self.high = [True] * len(point), [True] * len(point)
        elif not any(signs):  # the point is exactly 0
            self.found = (_set(self.P, [point]), Verdict(True, "0 in set",
                                                          {"weights": {0: 1}}))
            return True
        else:
            for i, sg in enumerate(signs):
                self.low[i] = self.low[i] or sg <= 0
                self.high[i] = self.high[i] or sg >= 0
        if not (all(self.low) and all(self.high)) or len(self.points) < self.next_test:
            return False
        self.next_test = max(len(self.points) + 1, int(len(self.points) * self.GROWTH))
        S = _set(self.P, self.points.values())
        try:
            verdict = S.contains_zero()
        except Undecided:
            return False
        if verdict.holds:
            self.found = (S, verdict)
            return True
        return False

    def answer(self):
        """``(set, membership verdict of 0)`` over the points so far (None, None if none)."""
        if self.found is not None:
            return self.found
        if not self.points:
            return None, None
        S = _set(self.P, self.points.values())
        S.patterns = dict(self.points)
        return S, S.contains_zero()


def _clarke_until_zero(P, x, b, max_cells, progress):
    """The Clarke set as :func:`clarke` (``allow_unknown=True``) gives it, except that the
    search stops as soon as the hull of the certified essential gradients contains 0; that
    hull is then returned."""
    watch, grads = _ZeroWatch(P), {}

    def on_leaf(run, sigma, dec):
        if dec.holds is not True:
            return False
        key = _key(sigma)
        grads[key] = _grad_for(P, run, sigma)
        return watch.add(key, grads[key])

    counter = Counter()
    limit = b.time_limit and max(b.time_limit - b.elapsed, 1e-3)
    run, results, stopped, why, sb = _clarke_search(P, x, counter, True, limit, max_cells,
                                                    progress, on_leaf)
    if watch.found is not None:
        return watch.found[0]
    return _clarke_result(P, x, run, results, counter, stopped, why, True, grads, budget=sb)
