"""Local partials ``d_k = ∇̂ g_k(x_pr(k))`` at an evaluated point, under a convention.

At a tie a convention gives weights over the tied pieces (one piece for selection
conventions, a convex combination for averaging ones); a forced pattern overrides it.
"""

from __future__ import annotations

from ..errors import DomainError, Undecided
from ..points import exact_str
from .elementwise import partials_run, runs
from .linear import blocks


def local_partials(P, run, convention, mode="backward", pattern=None):
    """List indexed by node: the tuple of partials of node k w.r.t. ``pr(k)``."""
    ops, args, params, groups, outs = P.ops, P.args, P.params, P.groups, P.outs
    values = run.values
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
        try:
            if not prim.branching:
                d[k] = prim.partials(0, vs)[outs[k]]
                return
            g = groups[k]
            if pattern is not None and g in pattern:
                weights = {pattern[g]: 1}
            else:
                act = run.active[g]
                weights = {act[0]: 1} if len(act) == 1 else convention.weights(prim, act, mode)
            if len(weights) == 1:
                (i, _), = weights.items()
                d[k] = prim.partials(i, vs)[outs[k]]
            else:
                acc = [0] * prim.arity
                for i, w in weights.items():
                    for pos, v in enumerate(prim.partials(i, vs)[outs[k]]):
                        acc[pos] += w * v
                d[k] = tuple(acc)
        except RecursionError:
            raise Undecided(f"node {k} ({prim.name}): the exact derivative is nested too "
                            f"deeply for sympy") from None
        except (ArithmeticError, ValueError) as exc:
            raise DomainError(f"node {k} ({prim.name}): derivative undefined at arguments "
                              f"{tuple(exact_str(v) for v in vs)} ({exc})", node=k,
                              value=vs) from None

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
