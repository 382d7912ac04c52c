"""Cheap local objects: directional derivatives and one certified Clarke element.

**Directional derivative.**  ``f'(x; d)`` is computed by one forward pass along ``d`` in
exact arithmetic where, at every tie, the piece is chosen by the sign of the tied test's
derivative along ``d`` (for a test that stays 0 to first order every tied piece gives the
same tangent).  It equals ``∇f_σ(x)·d`` for the pattern σ that ``x + t d`` selects.

**Clarke element** (the lexicographic rule of Nesterov, "Lexicographic differentiation of
nonsmooth functions", Math. Program. 2005; Khan & Barton, "A vector forward mode of
automatic differentiation for generalized derivative evaluation", Optim. Methods Softw.
2015; Kakade & Lee, "Provably correct automatic subdifferentiation for qualified programs",
NeurIPS 2018): the directions ``d_1, d_2, …`` are pushed forward together, and at each tie
the piece is the one the first nonzero entry of the test's sequence ``(∇t·d_1, ∇t·d_2, …)``
selects.  Then the curve ``x + t d_1 + t² d_2 + …`` lies, for small ``t > 0``, inside the
open region of the chosen pattern σ (every tight test strictly on the chosen side), so σ
is essential and ``∇f_σ(x)`` — one backward pass — lies in the Clarke set.  Cost: a few
forward passes and one backward pass, whatever the number of ties.

For programs with nonlinear tests only the first direction's signs are used (second-order
terms of a curved test would interfere), so every tight test must be strict along
``d_1``; random directions are retried, else :class:`selcalc.Undecided`.

>>> import selcalc
>>> f = selcalc.parse("def f(x, y):\\n    return relu(x) + abs(y) - relu(x - y)")
>>> directional_derivative(f, (0, 0), (1, 2)), directional_derivative(f, (0, 0), (-1, -2))
(3, 1)
>>> e = clarke_element(f, (0, 0))
>>> selcalc.clarke(f, (0, 0)).contains(e.value).holds
True
>>> from selcalc.certificates import check_clarke_element
>>> check_clarke_element(f, (0, 0), e)
True
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from .budget import budget as _budget
from .conventions import CONVENTIONS
from .errors import SelcalcError, Undecided
from .interpreters.backward import backward_jacobian
from .interpreters.evaluate import evaluate
from .interpreters.partials import condition_partials, local_partials, piece_partials
from .numbers import RATIONAL_TYPES, canonical, exact, fast_rationals, sign
from .points import exact_str, long_printing

SELECTION = CONVENTIONS["selection"]


@long_printing
@dataclass
class ClarkeElement:
    """One element of the Clarke subgradient / Jacobian with its certificate.

    ``value`` is a tuple (q = 1) or a sympy Matrix (q > 1); ``certificate`` holds the
    ``pattern`` (tied group -> piece), the ``directions`` and the ``point``.
    """

    value: object
    certificate: dict = field(default_factory=dict)


def _directions_valid(P, D):
    for d in D:
        if len(d) != P.p:
            raise SelcalcError(f"a direction has {len(d)} coordinates but the program has "
                               f"{P.p} inputs")


def _fast(run, D):
    """python-flint conversions when every value and direction is rational, else None."""
    if all(isinstance(v, RATIONAL_TYPES) for v in run.values[1:]) and \
            all(isinstance(v, RATIONAL_TYPES) for d in D for v in d):
        to_q, from_q = fast_rationals()
        memo = {}

        def conv(v):
            q = memo.get(v)
            if q is None:
                q = memo[v] = to_q(v)
            return q
        return conv, from_q
    return None


def _qsign(v):
    return (v > 0) - (v < 0)


def _ld_pass(P, run, D, lexicographic=True, budget=None):
    """Forward pass of the tangents along the directions ``D`` with lexicographic tie
    breaking.  Returns ``(sigma, tangents, flat, partials)``: the chosen pieces of the tied
    groups, the tangent lists per node, the tied tests whose sequence is all zero, and the
    local partials of the chosen pattern (fmpq; None unless the data are rational).  Rational
    data runs in python-flint's ``fmpq`` (tangents are then ``fmpq``).  ``budget`` (a
    :class:`selcalc.budget.Budget`), when given, is checked every ``_TICK_NODES`` nodes."""
    fast = _fast(run, D)
    if fast is not None:
        try:
            return _ld_loop(P, run, D, lexicographic, fast[0], _qsign, True, budget)
        except _NotRational:
            pass
    return _ld_loop(P, run, D, lexicographic, lambda v: v, sign, False, budget)


#: nodes of a tangent pass between two checks of the time limit
_TICK_NODES = 256


class _NotRational(Exception):
    pass


def _ld_loop(P, run, D, lexicographic, conv, sgn, rational, budget=None):
    r = len(D)
    ops, args, params, groups = P.ops, P.args, P.params, P.groups
    values = run.values
    point = values[1:P.p + 1]
    tan = [None] * (P.m + 1)
    for i in range(1, P.p + 1):
        tan[i] = [conv(D[j][i - 1]) for j in range(r)]
    zero = [conv(0)] * r
    sigma, flat = {}, []
    partials = [()] * (P.m + 1)
    for k in range(P.p + 1, P.m + 1):
        if budget is not None and not k % _TICK_NODES:
            budget.tick(0)  # the time limit only: a pass is not a counted unit of work
        prim = ops[k]
        if not prim.arity:
            tan[k] = zero
            continue
        vs = [values[j] for j in args[k]] + list(params[k])
        if prim.branching:
            g = groups[k]
            act = run.active[g]
            if len(act) == 1:
                i = act[0]
            elif g in sigma:
                i = sigma[g]
            else:
                i = sigma[g] = _choose(P, k, vs, [tan[j] for j in args[k]], act, r,
                                       flat, lexicographic, conv, sgn, point)
        else:
            i = 0
        dk = piece_partials(P, k, i, vs, point)
        if rational:
            if not all(isinstance(a, RATIONAL_TYPES) for a in dk):
                raise _NotRational
            dk = [conv(a) if a != 0 else 0 for a in dk]
        partials[k] = dk
        acc = zero
        for j, a in zip(args[k], dk):
            if a != 0:
                tj = tan[j]
                acc = [u + a * v for u, v in zip(acc, tj)]
        tan[k] = acc
    return sigma, tan, flat, (partials if rational else None)


def _choose(P, k, vs, arg_tangents, act, r, flat, lexicographic, conv, sgn, point):
    """The active piece of node ``k`` the lexicographic signs of the tied tests select."""
    prim = P.ops[k]
    tvals = prim.test_values(vs)
    signs = []
    for t_idx, tv in enumerate(tvals):
        s = sign(tv)
        if s == 0:
            partials = [conv(a) if a != 0 else 0
                        for a in condition_partials(P, k, t_idx, vs, point)]
            depth = r if lexicographic else 1
            for col in range(depth):
                total = sum((a * t[col] for a, t in zip(partials, arg_tangents) if a != 0),
                            conv(0))
                s = sgn(total)
                if s != 0:
                    break
            if s == 0:
                flat.append((k, t_idx))
        signs.append(s)
    # the pieces the refined signs allow are tied pieces, in index order (an implicit
    # primitive lists them without going through all of ``act``)
    for i in prim.active_from_signs(signs)[:1]:
        if i in act:
            return i
    raise SelcalcError(f"no tied piece of node {k} ({prim.name}) matches the directional "
                       f"signs; please report the program")


def _random_direction(p, rng):
    return tuple(rng.randint(-1000, 1000) or 1 for _ in range(p))


def directional_derivative(P, x, d):
    """``f'(x; d)`` exactly: a number (q = 1) or a tuple (q > 1).

    One exact forward pass along ``d`` (ties broken by the sign of each tied test along
    ``d``; see the module doc).

    >>> import selcalc
    >>> P = selcalc.parse("def f(x, y):\\n    return max(x, y)")
    >>> directional_derivative(P, (0, 0), (1, -1)), directional_derivative(P, (0, 0), (-1, 2))
    (1, 2)
    """
    d = P.coerce_point(d)
    run = evaluate(P, x)
    _, tan, _, _ = _ld_pass(P, run, [d])
    outs = tuple(canonical(_back(tan[k][0])) for k in P.outputs)
    return _plain(outs[0]) if P.q == 1 else tuple(_plain(v) for v in outs)


def directional_derivatives(P, x, D):
    """``f'(x; d)`` for each direction of ``D`` (a list, in order); one pass each.

    >>> import selcalc
    >>> directional_derivatives(selcalc.parse("def f(x):\\n    return abs(x)"), 0, [1, -1])
    [1, 1]
    """
    D = [P.coerce_point(d) for d in D]
    run = evaluate(P, x)
    out = []
    for d in D:
        _, tan, _, _ = _ld_pass(P, run, [d])
        vals = tuple(_plain(canonical(_back(tan[k][0]))) for k in P.outputs)
        out.append(vals[0] if P.q == 1 else vals)
    return out


def _back(v):
    """An fmpq back to int / Fraction (other values unchanged)."""
    if type(v).__name__ == "fmpq":
        return fast_rationals()[1](v)
    return v


def _plain(v):
    v = exact(v)
    return v


def clarke_element(P, x, directions=None, seed=0, attempts=4, budget=None):
    """One element of the Clarke subgradient (q = 1) or Clarke Jacobian (q > 1) at ``x``.

    ``directions`` (optional) is the sequence ``d_1, d_2, …``; by default two random
    rational directions, then, if some tied test is flat along both, a spanning set.
    Returns a :class:`ClarkeElement`; re-check it with
    :func:`selcalc.certificates.check_clarke_element`.  ``budget`` (a
    :class:`selcalc.budget.Budget`, or a time limit in seconds) bounds the time: past it
    :class:`selcalc.TimeLimitExceeded` is raised.

    >>> import selcalc
    >>> P = selcalc.parse("def f(x, y):\\n    return abs(x) + y")
    >>> v = clarke_element(P, (0, 0)).value  # ∂^c f(0, 0) = [-1, 1] x {1}
    >>> v in ((-1, 1), (1, 1))
    True
    """
    b = None if budget is None else _budget("clarke_element", budget, unit="passes",
                                            how="time_limit")
    run = evaluate(P, x)
    point = tuple(run.values[1:P.p + 1])
    rng = random.Random(seed)
    affine = P.piecewise_linear
    tries = [list(directions)] if directions is not None else []
    if directions is None:
        for _ in range(attempts):
            tries.append([_random_direction(P.p, rng) for _ in range(2 if affine else 1)])
        if affine:
            eye = [tuple(int(i == j) for j in range(P.p)) for i in range(P.p)]
            tries.append([_random_direction(P.p, rng)] + eye)
    reason = "no tie"
    for D in tries:
        D = [tuple(exact(v) for v in d) for d in D]
        _directions_valid(P, D)
        if b is not None:
            b.tick()
        sigma, _, flat, fast_partials = _ld_pass(P, run, D, lexicographic=affine, budget=b)
        if flat and not (affine and _spans(D, P.p)):
            reason = f"{len(flat)} tied test(s) stay 0 along the directions"
            continue
        pattern = {g: sigma.get(g, a[0]) for g, a in run.active.items()}
        if fast_partials is not None:
            from_q = fast_rationals()[1]
            rows = [[from_q(v) if v != 0 else 0 for v in row]
                    for row in backward_jacobian(P, fast_partials)]
        else:
            rows = backward_jacobian(P, local_partials(P, run, SELECTION, pattern=pattern))
        value = tuple(canonical(v) for v in rows[0]) if P.q == 1 else \
            sympy.Matrix([[canonical(v) for v in row] for row in rows])
        return ClarkeElement(value, {"pattern": pattern, "directions": D, "point": point,
                                     "lexicographic": affine})
    raise Undecided(f"clarke_element: {reason} at x = {exact_str(point)}; pass directions= whose "
                    f"first direction is not orthogonal to any tied test's gradient")


def _spans(D, p):
    from .polyhedra import rank
    return rank(D) == p


def tie_gradients(P, run, ties, budget=None):
    """Yield ``(pattern, rows)``: ``∇f_σ(x)`` (as q rows) for every tie choice σ.

    The local partials of each tied piece are computed once and swapped into one list.
    With rational data, tied groups that no path of the graph joins are handled apart
    (:func:`tie_components`): backpropagation sums the products of local partials over the
    paths from an input to an output, and a path meets at most one part, so

        ∇f_σ = ∇f_ρ + Σ_K (∇f_{σ_K, ρ} − ∇f_ρ)      (ρ: a reference choice)

    exactly.  Each part then costs one backward pass per choice of its own groups, and
    the outputs are sums: 16 independent ties cost 17 passes instead of 2^16 (choices with
    equal outputs then share one ``rows`` object).  Otherwise each pattern costs one
    backward pass.  Patterns come in ``itertools.product`` order
    over the groups sorted by node; ``budget`` is ticked once per pattern.
    """
    groups = sorted(ties)
    base = local_partials(P, run, SELECTION)
    members = {g: [k for k in range(g, P.m + 1) if P.groups[k] == g] for g in groups}
    alt = {}
    for g in groups:
        for i in ties[g]:
            d = local_partials(P, run, SELECTION, pattern={g: i})
            alt[g, i] = [(k, d[k]) for k in members[g]]
    rational = all(isinstance(a, RATIONAL_TYPES) for dk in base for a in dk) and all(
        isinstance(a, RATIONAL_TYPES) for pairs in alt.values() for _, dk in pairs for a in dk)
    if not rational:
        for combo in itertools.product(*(ties[g] for g in groups)):
            if budget is not None:
                budget.tick()
            yield dict(zip(groups, combo)), backward_jacobian(P, _swapped(base, alt, groups,
                                                                          combo))
        return
    to_q, from_q = fast_rationals()

    def conv(dk):
        return tuple(to_q(a) if a != 0 else 0 for a in dk)
    base = [conv(dk) for dk in base]
    alt = {key: [(k, conv(dk)) for k, dk in pairs] for key, pairs in alt.items()}
    parts = tie_components(P, groups) if len(groups) > 1 else [groups]
    if len(parts) == 1:
        for combo in itertools.product(*(ties[g] for g in groups)):
            if budget is not None:
                budget.tick()
            rows = backward_jacobian(P, _swapped(base, alt, groups, combo))
            yield dict(zip(groups, combo)), [[from_q(v) if v != 0 else 0 for v in row]
                                             for row in rows]
        return
    yield from _separable_gradients(P, ties, groups, parts, base, alt, budget)


def _swapped(base, alt, groups, combo):
    d = list(base)
    for g, i in zip(groups, combo):
        for k, dk in alt[g, i]:
            d[k] = dk
    return d


def _flat(rows):
    return [v for row in rows for v in row]


def _separable_gradients(P, ties, groups, parts, base, alt, budget):
    """tie_gradients over independent parts: one backward pass per choice within a part,
    then sums of integer vectors over one common denominator, built prefix by prefix in
    product order."""
    ref = tuple(ties[g][0] for g in groups)
    J_ref = _flat(backward_jacobian(P, _swapped(base, alt, groups, ref)))
    position = {g: i for i, g in enumerate(groups)}
    delta = []   # per part: {its combo: J(σ_K, ρ) - J(ρ)}
    for part in parts:
        table = {}
        for combo in itertools.product(*(ties[g] for g in part)):
            if budget is not None:
                budget.tick(0)  # time limit only: the patterns are counted as they come
            full = list(ref)
            for g, i in zip(part, combo):
                full[position[g]] = i
            J = _flat(backward_jacobian(P, _swapped(base, alt, groups, full)))
            table[combo] = [a - b for a, b in zip(J, J_ref)]
        delta.append(table)
    # exact integers over the common denominator L: fast sums, fast hashing
    L = math.lcm(*(_denominator(v) for v in J_ref),
                 *(_denominator(v) for t in delta for vec in t.values() for v in vec))

    def scaled(vec):
        return tuple(int(v * L) for v in vec)
    J_ref = scaled(J_ref)
    delta = [{c: scaled(vec) for c, vec in t.items()} for t in delta]
    # a part's contribution is added when its last group (in `groups` order) is chosen
    closing = {max(position[g] for g in part): (n, [position[g] for g in part])
               for n, part in enumerate(parts)}
    level = [((), J_ref)]
    for depth, g in enumerate(groups):
        close = closing.get(depth)
        nxt = []
        for prefix, acc in level:
            for i in ties[g]:
                combo = prefix + (i,)
                if close is not None:
                    n, where = close
                    add = delta[n][tuple(combo[w] for w in where)]
                    nxt.append((combo, tuple(a + b for a, b in zip(acc, add))))
                else:
                    nxt.append((combo, acc))
        level = nxt
    q, p = len(P.outputs), P.p
    converted = {}  # many choices give one output: convert it once, share the rows
    for combo, acc in level:
        if budget is not None:
            budget.tick()
        rows = converted.get(acc)
        if rows is None:
            vals = tuple(_over(v, L) for v in acc)
            rows = converted[acc] = [vals[r * p:(r + 1) * p] for r in range(q)]
        yield dict(zip(groups, combo)), rows


def _denominator(v):
    return 1 if isinstance(v, int) else int(v.q) if hasattr(v, "q") else v.denominator


def _over(n, L):
    """The exact number n / L as an int or a Fraction."""
    return n // L if n % L == 0 else Fraction(n, L)


def tie_components(P, groups):
    """Split tied groups into parts no path of the graph joins.

    Two groups are in one part when a member of one is an ancestor of a member of the
    other (transitively).  Returns the parts as lists of groups, each sorted, ordered by
    their first group.

    >>> import selcalc
    >>> from selcalc.interpreters.evaluate import evaluate
    >>> P = selcalc.parse("def f(x, y):\\n    return relu(relu(x)) + relu(y)")
    >>> tie_components(P, sorted(evaluate(P, (0, 0)).ties()))
    [[3, 4], [5]]
    """
    index = {g: n for n, g in enumerate(groups)}
    parent = list(range(len(groups)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    reach = [0] * (P.m + 1)  # bit n: a member of groups[n] is at or above the node
    args, owner = P.args, P.groups
    for k in range(P.p + 1, P.m + 1):
        r = 0
        for j in args[k]:
            r |= reach[j]
        n = index.get(owner[k])
        if n is not None:
            bits, b = r, 0
            while bits:
                if bits & 1:
                    parent[find(b)] = find(n)
                bits >>= 1
                b += 1
            r |= 1 << n
        reach[k] = r
    parts = {}
    for n, g in enumerate(groups):
        parts.setdefault(find(n), []).append(g)
    return sorted(parts.values())
