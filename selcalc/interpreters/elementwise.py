"""Runs of one elementwise piecewise primitive (ReLU, max pooling) selected at once.

A *run* is a sequence of consecutive nodes of the same branching primitive whose
arguments all come before the run, each node the only member of its group, for a
primitive of the *selector* kind: no constants, one output, every piece's value ``0`` or
one of its arguments, every test a homogeneous linear form in the arguments (``a1`` for
ReLU, ``a_i - a_j`` for a max).  The lowered ReLU and max-pooling layers of a CNN are such
runs.

With ``D > 0`` the common denominator of the argument values (ints and Fractions, as
:mod:`.linear` leaves them), ``t(D a) = D t(a)`` has the sign of ``t(a)``: every node's
sign vector, hence its active set (the primitive's own ``active_from_signs``, the rule the
per-node loop applies), is computed with integer arithmetic, for the whole run in one
generated comprehension.  A node with one active piece takes the value of that piece —
the argument object itself, or ``0``, as the compiled piece returns it — and its local
partials are that piece's constant partials (computed once).  Everything else goes through
the per-node path, unchanged: a tied node (several active pieces, so the certified sign
machinery and the convention decide as before), a node with no active piece (the error
names it), a node whose piece a pattern forces, and the whole run when a value is not
rational.  The values, active sets (in node order) and partials are the per-node ones.

The reverse sweep (:func:`backward_run`) passes each node's adjoint on to the argument its
unit partials select, in one loop over the run; other partials (an averaged tie) are
applied term by term, as the per-node sweep does.  Sums of exact rationals do not depend
on the order of their terms, so the adjoints are the per-node ones.

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return relu(x) + relu(y)")
>>> runs(P)   # two ReLU nodes: below MIN_RUN, nothing to batch
{}
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import sympy

from ..primitives.compile import compile_sign_rows
from ..primitives.core import Primitive
from .linear import _integers, plan_per_program

#: runs shorter than this stay on the per-node path
MIN_RUN = 8
#: False turns the batched runs off (the per-node loop; for benchmarks and tests)
ENABLED = True

_SELECTORS = weakref.WeakKeyDictionary()


@dataclass
class Selector:
    """What a run needs of its primitive: per piece the position of the argument it
    returns (``None`` for ``0``) and its constant partials; ``signs(rows)`` the sign
    vectors of the tests at integer argument rows."""

    where: tuple
    partials: dict
    signs: object
    route: dict


@dataclass
class Run:
    """Nodes ``start .. stop-1`` of primitive ``prim``; ``cols`` their arguments, node by
    node (``arity`` each)."""

    start: int
    stop: int
    prim: object
    arity: int
    cols: list
    sel: Selector


def selector(prim):
    """The :class:`Selector` of ``prim``, or None when it is not of the selector kind."""
    try:
        return _SELECTORS[prim]
    except KeyError:
        pass
    except TypeError:
        return None
    sel = _selector(prim)
    _SELECTORS[prim] = sel
    return sel


def _selector(prim):
    if type(prim) is not Primitive or not prim.branching or prim.n_params or \
            prim.n_out != 1 or not prim.arity or not prim.tests:
        return None
    args = prim.symbols[:prim.arity]
    where = []
    for pc in prim.pieces:
        v = pc.values[0]
        if v == 0:
            where.append(None)
        elif v in args:
            where.append(args.index(v))
        else:
            return None
    for t in prim.tests:
        if not t.free_symbols <= set(args):
            return None
        poly = sympy.Poly(t, *args)
        if not poly.is_homogeneous or poly.total_degree() != 1 or \
                not all(c.is_Rational for c in poly.coeffs()):
            return None
    zeros = (0,) * prim.arity
    partials = {(i,): prim.partials(i, zeros)[0] for i in range(len(prim.pieces))}
    route = {}  # unit partials -> the argument that gets the adjoint; zero -> None
    for p in partials.values():
        if all(v == 0 for v in p):
            route[p] = None
        elif sorted(p) == [0] * (len(p) - 1) + [1] and all(type(v) is int for v in p):
            route[p] = p.index(1)
    return Selector(tuple(where), partials, compile_sign_rows(prim.tests, prim.names), route)


@plan_per_program
def runs(P):
    """``{first node: Run}`` for the batched runs of ``P`` (computed once per program)."""
    members = {}
    for k in range(P.p + 1, P.m + 1):
        g = P.groups[k]
        members[g] = members.get(g, 0) + 1
    ops, args, groups = P.ops, P.args, P.groups
    plan, k, m = {}, P.p + 1, P.m

    def alone(j):
        return groups[j] == j and members[j] == 1

    while k <= m:
        prim = ops[k]
        sel = selector(prim) if alone(k) else None
        if sel is None:
            k += 1
            continue
        lo = k
        while k + 1 <= m and ops[k + 1] is prim and alone(k + 1) and max(args[k + 1]) < lo:
            k += 1
        if k + 1 - lo >= MIN_RUN:
            cols = [j for i in range(lo, k + 1) for j in args[i]]
            plan[lo] = Run(lo, k + 1, prim, prim.arity, cols, sel)
        k += 1
    return plan


def evaluate_run(run, values, active, pattern, step):
    """Fill ``values[run.start:run.stop]`` and ``active``; ``step(k)`` is the per-node
    path, taken for the nodes (or the whole run) the batch does not decide."""
    flat = [values[j] for j in run.cols]
    scaled = _integers(flat)
    start, stop, r, sel = run.start, run.stop, run.arity, run.sel
    if scaled is None:
        for k in range(start, stop):
            step(k)
        return
    ints = scaled[1]
    rows = [ints[i:i + r] for i in range(0, len(ints), r)] if r > 1 else ints
    keys = sel.signs(rows)
    prim = run.prim
    acts = {key: prim.active_from_signs(key) for key in set(keys)}
    acts = [acts[key] for key in keys]
    where = sel.where
    out, clean = [], pattern is None or not any(k in pattern for k in range(start, stop))
    for i, act in enumerate(acts):
        if len(act) == 1:
            pos = where[act[0]]
            out.append(0 if pos is None else flat[i * r + pos])
        else:
            out.append(None)
            clean = False
    if clean:
        values[start:stop] = out
        active.update(zip(range(start, stop), acts))
        return
    for k, act, v in zip(range(start, stop), acts, out):
        if v is None or (pattern is not None and k in pattern):
            step(k)
        else:
            values[k] = v
            active[k] = act


def partials_run(run, active, d, pattern, step):
    """Fill ``d[run.start:run.stop]``: a node with one active piece (not forced by a
    pattern) gets that piece's constant partials; ``step(k)`` does the others."""
    start, stop = run.start, run.stop
    table = run.sel.partials
    out = [table.get(active.get(k)) for k in range(start, stop)]
    d[start:stop] = out
    for k, p in zip(range(start, stop), out):
        if p is None or (pattern is not None and k in pattern):
            step(k)


def backward_run(run, adj, d):
    """``adj[args] += d_k · adj[k]`` for the nodes of the run, as the per-node sweep does
    (exact sums: the order of the contributions does not change them); a node whose
    partials are a unit vector passes its adjoint to that argument unchanged."""
    start, r, cols, route = run.start, run.arity, run.cols, run.sel.route
    for i, (a, p) in enumerate(zip(adj[start:run.stop], d[start:run.stop])):
        if type(a) is int:
            if not a:
                continue
        elif a == 0:
            continue
        pos = route.get(p, -1) if type(p) is tuple else -1  # callers may pass lists
        if pos is None:
            continue
        if pos >= 0:
            j = cols[i * r + pos]
            u = adj[j]
            adj[j] = a if type(u) is int and u == 0 else u + a
            continue
        for j, dk in zip(cols[i * r:(i + 1) * r], p):
            if dk != 0:
                v = a if dk == 1 else a * dk
                u = adj[j]
                adj[j] = v if type(u) is int and u == 0 else u + v
