"""Continuity checks: a primitive's pieces agree on overlaps; a program's branches join up.

Continuity is part of the definition of an elementary selection (docs/mathematics.md, section
1).  Built-in and user primitives are checked once (cached) by asking z3 for a point in ``C_i ∩
C_j`` where ``f_i != f_j``.  A ``where`` node (``a if t >= 0 else b`` from source or
:func:`selcalc.where`) is only continuous when ``a = b`` wherever ``t = 0``: that is a
property of the whole program, checked by :func:`check_branches`, which reports an exact
point where the branches disagree.

>>> import selcalc
>>> selcalc.parse("def f(x):\\n    return 1 if x > 0 else 0")
Traceback (most recent call last):
  ...
selcalc.errors.NotContinuous: the branches of node 3 (where) disagree at x = (0): ...
"""

from __future__ import annotations

import itertools

import z3

from .errors import NotContinuous
from .smt import NotPolynomial, condition, model_value, solver, to_z3

MAX_CHECKED_PIECES = 24  # sort with r >= 5: continuous by construction, tested for r <= 4


def check_primitive(prim):
    """Raise :class:`NotContinuous` if two pieces of ``prim`` disagree where both apply."""
    if getattr(prim, "_continuity_checked", False):
        return
    prim._continuity_checked = True
    if not prim.branching or prim.continuity != "check" or len(prim.pieces) > MAX_CHECKED_PIECES:
        return
    env = {s: z3.Real(str(s)) for s in prim.symbols}
    for (i, pi), (j, pj) in itertools.combinations(enumerate(prim.pieces), 2):
        try:
            conds = [condition(to_z3(t, env), rel) for t, rel in pi.conditions + pj.conditions]
            differ = z3.Or([to_z3(u, env) != to_z3(v, env) for u, v in zip(pi.values, pj.values)])
        except NotPolynomial:
            prim.continuity_note = "pieces are not polynomial: continuity not machine-checked"
            continue
        s = solver()
        s.add(*conds)
        s.add(differ)
        if s.check() == z3.sat:
            model = s.model()
            point = {str(sym): model_value(model.eval(env[sym], model_completion=True))
                     for sym in prim.symbols}
            prim._continuity_checked = False
            raise NotContinuous(f"pieces {i} and {j} of {prim.name} both apply at {point} "
                                f"but give different values", point=point)


def _encode(P, env, k, cache):
    """z3 term for node k's value: an If-chain over its pieces (inputs are z3 reals)."""
    if k in cache:
        return cache[k]
    if k <= P.p:
        return env[k]
    prim = P.ops[k]
    vals = [_encode(P, env, j, cache) for j in P.args[k]]
    sub = dict(zip(prim.symbols, vals + [to_z3(c, {}) for c in P.params[k]]))
    out = P.outs[k]
    term = None
    for pc in reversed(prim.pieces):
        value = to_z3(pc.values[out], sub)
        if term is None:
            term = value
        else:
            cond = z3.And([condition(to_z3(t, sub), rel) for t, rel in pc.conditions])
            term = z3.If(cond, value, term)
    cache[k] = term
    return term


def check_branches(P):
    """Check every ``where`` node of ``P``: its branches must agree where its test is 0.

    Polynomial programs are decided exactly by z3; a disagreement is confirmed by exact
    evaluation and reported with the point.  Nodes that cannot be decided (exp-log or
    timeouts) are listed in ``P.warnings``.
    """
    from .interpreters.evaluate import evaluate
    cache = {}
    env = {i: z3.Real(P.input_names[i - 1]) for i in P.inputs}
    for k in range(P.p + 1, P.m + 1):
        prim = P.ops[k]
        if prim.continuity != "program":
            continue
        try:
            vals = [_encode(P, env, j, cache) for j in P.args[k]]
            sub = dict(zip(prim.symbols, vals + [to_z3(c, {}) for c in P.params[k]]))
            t = to_z3(prim.tests[0], sub)
            a, b = (to_z3(pc.values[0], sub) for pc in prim.pieces)
        except NotPolynomial:
            P.warnings.append(f"node {k}: branch continuity not checked (non-polynomial)")
            continue
        s = solver()
        s.add(t == 0, a != b)
        verdict = s.check()
        if verdict == z3.unsat:
            continue
        if verdict != z3.sat:
            P.warnings.append(f"node {k}: branch continuity undecided ({s.reason_unknown()})")
            continue
        model = s.model()
        try:
            point = tuple(model_value(model.eval(env[i], model_completion=True))
                          for i in P.inputs)
            run = evaluate(P, point)
            vs = [run.values[j] for j in P.args[k]] + list(P.params[k])
            ok = (prim.test_values(vs)[0] == 0
                  and prim.value(0, vs)[0] != prim.value(1, vs)[0])
        except NotPolynomial:
            ok, point = True, tuple(str(model.eval(env[i])) for i in P.inputs)
        if ok:
            names = ", ".join(P.input_names)
            raise NotContinuous(
                f"the branches of node {k} (where) disagree at {names} = "
                f"({', '.join(str(v) for v in point)}): the test "
                f"is 0 there but the two branches give different values; a program must be "
                f"continuous (make both branches agree where the condition switches)",
                point=point, node=k)
