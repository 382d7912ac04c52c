"""Local partials ``d_k = ∇̂ g_k(x_pr(k))`` at an evaluated point, under a convention.

At a tie a convention gives weights over the tied pieces (one piece for selection
conventions, a convex combination for averaging ones); a forced pattern overrides it.

Every interpreter takes a node's derivative through :func:`piece_partials` (and a test's
through :func:`condition_partials`), so a derivative that does not exist at the point (``sqrt``
at 0) is the same :class:`selcalc.DomainError`, naming the node and the point, whichever
question asked for it.

>>> import selcalc
>>> from selcalc.interpreters.evaluate import evaluate
>>> P = selcalc.parse("def f(x):\\n    return sqrt(relu(x))")
>>> local_partials(P, evaluate(P, (0,)), selcalc.CONVENTIONS["selection"])
Traceback (most recent call last):
...
selcalc.errors.DomainError: node 3 (sqrt): the derivative is undefined at x = (0), where the node's arguments are (0) (division by zero)
"""

from __future__ import annotations

from ..errors import DomainError, Undecided
from ..points import exact_str
from .elementwise import partials_run, runs
from .linear import blocks


def piece_partials(P, k, piece, vs, point):
    """The partials of piece ``piece`` of node ``k`` with respect to its arguments, at
    ``vs`` (argument values, then parameters); ``point`` is the program's input, named in
    the error when the derivative is undefined there (:class:`selcalc.DomainError`) or
    nested too deeply for sympy (:class:`selcalc.Undecided`).

    >>> import selcalc
    >>> P = selcalc.parse("def f(x):\\n    return abs(x)")
    >>> piece_partials(P, 2, 0, [0], (0,)), piece_partials(P, 2, 1, [0], (0,))
    ((-1,), (1,))
    """
    try:
        return P.ops[k].partials(piece, vs)[P.outs[k]]
    except RecursionError:
        raise _too_deep(P, k, point) from None
    except (ArithmeticError, ValueError) as exc:
        raise _undefined(P, k, vs, point, exc) from None


def condition_partials(P, k, test, vs, point):
    """The partials of test ``test`` of node ``k`` at ``vs``, with the errors of
    :func:`piece_partials`.

    >>> import selcalc
    >>> P = selcalc.parse("def f(x):\\n    return relu(x)")
    >>> condition_partials(P, 2, 0, [0], (0,))
    (1,)
    """
    try:
        return P.ops[k].test_partials(test, vs)
    except RecursionError:
        raise _too_deep(P, k, point) from None
    except (ArithmeticError, ValueError) as exc:
        raise _undefined(P, k, vs, point, exc, "derivative of a test") from None


def _undefined(P, k, vs, point, exc, what="derivative"):
    if isinstance(exc, DomainError):
        return exc
    args = "(" + ", ".join(exact_str(v) for v in vs) + ")"
    return DomainError(f"node {k} ({P.ops[k].name}): the {what} is undefined at x = "
                       f"{_point(point)}, where the node's arguments are {args} ({exc})",
                       node=k, value=vs)


def _too_deep(P, k, point):
    return Undecided(f"node {k} ({P.ops[k].name}): the exact derivative at x = "
                     f"{_point(point)} is nested too deeply for sympy")


def _point(point):
    return "(" + ", ".join(exact_str(v) for v in point) + ")"


def local_partials(P, run, convention, mode="backward", pattern=None):
    """List indexed by node: the tuple of partials of node k w.r.t. ``pr(k)``."""
    ops, args, params, groups = P.ops, P.args, P.params, P.groups
    values = run.values
    point = values[1:P.p + 1]
    d = [()] * (P.m + 1)
    layers = blocks(P)
    batched = runs(P)

    def step(k):
        prim = ops[k]
        if not prim.arity:
            return
        vs = [values[j] for j in args[k]]
        if params[k]:
            vs.extend(params[k])
        if not prim.branching:
            d[k] = piece_partials(P, k, 0, vs, point)
            return
        g = groups[k]
        if pattern is not None and g in pattern:
            weights = {pattern[g]: 1}
        else:
            act = run.active[g]
            weights = {act[0]: 1} if len(act) == 1 else convention.weights(prim, act, mode)
        if len(weights) == 1:
            (i, _), = weights.items()
            d[k] = piece_partials(P, k, i, vs, point)
        else:
            acc = [0] * prim.arity
            for i, w in weights.items():
                for pos, v in enumerate(piece_partials(P, k, i, vs, point)):
                    acc[pos] += w * v
            d[k] = tuple(acc)

    k, m = P.p, P.m
    while k < m:
        k += 1
        b = layers.get(k)
        if b is not None:  # a layer's partials are its weights (linear.py), kept once
            d[b.start:b.stop] = b.partials
            k = b.stop - 1
            continue
        e = batched.get(k)
        if e is not None:  # a run of ReLU / max nodes (elementwise.py)
            partials_run(e, run.active, d, pattern, step)
            k = e.stop - 1
            continue
        step(k)
    return d
