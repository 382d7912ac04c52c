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

import sympy
import z3

from .errors import NotContinuous
from .points import exact_str
from .smt import NotPolynomial, condition, model_value, solver, to_z3

MAX_CHECKED_PIECES = 24  # sort with r >= 5: continuous by construction, tested for r <= 4
#: z3 resource units per continuity question: a counted limit (never a wall-clock
#: timeout), so the same program gets the same verdict on an idle and on a busy machine
CONTINUITY_RLIMIT = 5_000_000


def _solver():
    return solver(CONTINUITY_RLIMIT)


def check_primitive(prim):
    """Raise :class:`NotContinuous` if two pieces of ``prim`` disagree where both apply."""
    if getattr(prim, "_continuity_checked", False):
        return
    prim._continuity_checked = True
    if not prim.branching or prim.continuity != "check" or prim.n_pieces > MAX_CHECKED_PIECES:
        return
    env = {s: z3.Real(str(s)) for s in prim.symbols}
    for (i, pi), (j, pj) in itertools.combinations(enumerate(prim.pieces), 2):
        try:
            conds = [condition(to_z3(t, env), rel) for t, rel in pi.conditions + pj.conditions]
            differ = z3.Or([to_z3(u, env) != to_z3(v, env) for u, v in zip(pi.values, pj.values)])
        except NotPolynomial:
            prim.continuity_note = "pieces are not polynomial: continuity not machine-checked"
            continue
        s = _solver()
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
    """z3 term for node k's value: an If-chain over its pieces (inputs are z3 reals).

    Iterative (no recursion over the DAG): the missing ancestors are built in node order.
    """
    if k in cache:
        return cache[k]
    need, stack = set(), [k]
    while stack:
        j = stack.pop()
        if j in cache or j in need or j <= P.p:
            continue
        need.add(j)
        stack.extend(P.args[j])
    for j in sorted(need):
        prim = P.ops[j]
        vals = [env[i] if i <= P.p else cache[i] for i in P.args[j]]
        sub = dict(zip(prim.symbols, vals + [to_z3(c, {}) for c in P.params[j]]))
        out = P.outs[j]
        term = None
        if hasattr(prim, "z3_output"):  # implicit pieces: a closed form, not r! branches
            cache[j] = prim.z3_output(out, prim.entries(vals + [to_z3(c, {}) for c in
                                                                 P.params[j]]), z3)
            continue
        for pc in reversed(prim.pieces):
            value = to_z3(pc.values[out], sub)
            if term is None:
                term = value
            else:
                cond = z3.And([condition(to_z3(t, sub), rel) for t, rel in pc.conditions])
                term = z3.If(cond, value, term)
        cache[j] = term
    return env[k] if k <= P.p else cache[k]


def _branch_heads(P):
    return [k for k in range(P.p + 1, P.m + 1)
            if P.ops[k].continuity == "program" and P.groups[k] == k]


def check_branches(P):
    """Check every ``where`` group of ``P``: its branches must agree where its test is 0.

    Polynomial programs are decided exactly by z3.  Otherwise (exp-log branches) the
    boundary is examined exactly, one upstream pattern at a time (:func:`check_boundary`).
    A disagreement is confirmed by exact evaluation and raised as :class:`NotContinuous`
    with the point.  Sets ``P.continuity`` to ``"proved"`` or ``"unproven"`` (reasons in
    ``P.continuity_reasons`` and ``P.warnings``); set-valued answers on an unproven
    program are unknown (:meth:`selcalc.Program.require_continuity`).
    """
    reasons = []
    for k in range(P.p + 1, P.m + 1):
        note = getattr(P.ops[k], "continuity_note", None)
        if note and P.groups[k] == k:
            reasons.append(f"node {k} ({P.ops[k].name}): {note}")
    cache = {}
    env = {i: z3.Real(P.input_names[i - 1]) for i in P.inputs}
    for k in _branch_heads(P):
        why = _z3_check(P, k, env, cache)
        if why is not None:
            exact_why = check_boundary(P, k)
            why = None if exact_why is None else f"{why}; {exact_why}"
        if why is not None:
            reasons.append(f"node {k}: branch continuity unproven ({why})")
    P.continuity = "unproven" if reasons else "proved"
    P.continuity_reasons = reasons
    P.warnings.extend(reasons)


def _disagreement(P, k, point):
    raise NotContinuous(
        f"the branches of node {k} (where) disagree at {', '.join(P.input_names)} = "
        f"({', '.join(exact_str(v) for v in point)}): the test is 0 there but the two "
        f"branches give different values; a program must be continuous (make both branches agree "
        f"where the condition switches)", point=tuple(point), node=k)


def _z3_check(P, k, env, cache):
    """None when z3 proves the branches of group k agree on its boundary (or raises
    NotContinuous at a confirmed point); otherwise the reason it could not."""
    prim = P.ops[k]
    try:
        vals = [_encode(P, env, j, cache) for j in P.args[k]]
        sub = dict(zip(prim.symbols, vals + [to_z3(c, {}) for c in P.params[k]]))
        t = to_z3(prim.tests[0], sub)
        first, second = prim.pieces
        differ = z3.Or([to_z3(a, sub) != to_z3(b, sub)
                        for a, b in zip(first.values, second.values)])
    except NotPolynomial:
        return "non-polynomial"
    s = _solver()
    s.add(t == 0, differ)
    verdict = s.check()
    if verdict == z3.unsat:
        return None
    if verdict != z3.sat:
        return f"z3: {s.reason_unknown()}"
    model = s.model()
    try:
        point = tuple(model_value(model.eval(env[i], model_completion=True)) for i in P.inputs)
    except NotPolynomial:
        return "z3 found a disagreement at a point it could not give exactly"
    if _check_point(P, k, point) == "differ":
        _disagreement(P, k, point)
    return "z3 reported a disagreement that exact evaluation did not confirm"


def _check_point(P, k, point):
    """At an exact point: ``"off"`` (not on the boundary or outside the domain), ``"agree"``,
    ``"differ"`` (certified), or ``"unknown"``."""
    from .errors import DomainError, Undecided
    from .interpreters.evaluate import evaluate
    from .numbers import sign, to_sympy
    prim = P.ops[k]
    try:
        run = evaluate(P, point)
        vs = [run.values[j] for j in P.args[k]] + list(P.params[k])
        if sign(prim.test_values(vs)[0]) != 0:
            return "off"
        first, second = prim.value(0, vs), prim.value(1, vs)
        if any(sign(to_sympy(a) - to_sympy(b)) != 0 for a, b in zip(first, second)):
            return "differ"
    except DomainError:
        return "off"
    except (Undecided, ArithmeticError, ValueError, TypeError):
        return "unknown"
    return "agree"


MAX_UPSTREAM_PATTERNS = 64   # upstream patterns examined per branch group
MAX_EXACT_NODES = 2000       # larger programs are not examined symbolically
BOUNDARY_SAMPLES = 12        # rational boundary points tried when no proof is found


def check_boundary(P, k):
    """Exact continuity check of where group ``k`` for any elementary (exp-log) branches.

    For every pattern ``σ`` of the branching nodes upstream of ``k``, the test ``t_σ`` and
    the branch differences ``u_σ - v_σ`` are sympy expressions in the inputs.

    * One input: the boundary ``{t_σ = 0}`` is the finite root set of a rational (exact real
      roots) or affine test; both branches are evaluated exactly there.  Complete.
    * Several inputs: a test affine in some input ``x_j`` with a constant coefficient is
      solved for ``x_j``; the differences must vanish identically after substitution
      (proof), else rational points of the boundary are tried (refutation).

    Returns None when continuity is proved, else the reason; raises
    :class:`NotContinuous` at a certified disagreement.
    """
    import random

    from .interpreters.symbolic import input_symbols, node_expressions
    from .numbers import to_sympy
    if P.m > MAX_EXACT_NODES:
        return f"programs over {MAX_EXACT_NODES} nodes are not examined symbolically"
    prim = P.ops[k]
    ups = _upstream_groups(P, k)
    sizes = [P.ops[g].n_pieces for g in ups]
    count = 1
    for n in sizes:
        count *= n
    if count > MAX_UPSTREAM_PATTERNS:
        return f"{count} upstream patterns exceed {MAX_UPSTREAM_PATTERNS}"
    syms = input_symbols(P)
    rng = random.Random(k)
    for combo in itertools.product(*(range(n) for n in sizes)):
        exprs = node_expressions(P, dict(zip(ups, combo)), syms)
        sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[k]] +
                       [to_sympy(c) for c in P.params[k]]))
        t = prim.tests[0].xreplace(sub)
        first, second = prim.pieces
        diffs = [(a - b).xreplace(sub) for a, b in zip(first.values, second.values)]
        why = _boundary_pattern(P, k, t, diffs, syms, rng)
        if why is not None:
            return why
    return None


def _upstream_groups(P, k):
    seen, stack = set(), list(P.args[k])
    while stack:
        j = stack.pop()
        if j in seen or j <= P.p:
            continue
        seen.add(j)
        stack.extend(P.args[j])
    return sorted({P.groups[j] for j in seen if P.ops[j].branching})


def _vanishes(expr):
    """Sound identity test: ``expr`` is 0 as a rational function of its atoms."""
    try:
        return sympy.cancel(sympy.expand(expr)) == 0
    except Exception:  # noqa: BLE001 - sympy failing proves nothing
        return False


def _boundary_pattern(P, k, t, diffs, syms, rng):
    from .errors import Undecided
    from .numbers import sign
    if not t.free_symbols:
        try:
            if sign(t) != 0:
                return None  # this pattern has no boundary
        except Undecided:
            return f"the sign of the constant test {t} is undecided"
    if _vanishes(t):
        if all(_vanishes(d) for d in diffs):
            return None
        return f"the test {t} vanishes identically on a piece where the branches differ"
    if P.p == 1:
        return _roots_1d(P, k, t, syms[0])
    for xj in syms:
        c = sympy.diff(t, xj)
        try:
            if c.free_symbols or sign(c) == 0:
                continue
        except Undecided:
            continue
        solved = sympy.expand(xj - t / c)  # t = 0 exactly when xj = solved
        if all(_vanishes(d.xreplace({xj: solved})) for d in diffs):
            return None
        break
    _search_boundary(P, k, t, syms, rng)
    return f"no proof that the branches agree on {t} = 0, and no disagreement among " \
           f"the boundary points tried"


def _search_boundary(P, k, t, syms, rng):
    """Try exact points of ``{t = 0}``: rational values for all inputs but one, and the
    exact roots in the last one; raise NotContinuous at a certified disagreement."""
    for j, xj in enumerate(syms):
        if not t.has(xj):
            continue
        others = [v for v in syms if v is not xj]
        for _ in range(BOUNDARY_SAMPLES):
            assign = {v: sympy.Rational(rng.randint(-8, 8), rng.randint(1, 4)) for v in others}
            roots = _exact_roots(t.xreplace(assign), xj)
            if roots is None:
                break  # this input does not give exact boundary points
            for r in roots[:4]:
                point = [assign.get(v) for v in syms]
                point[j] = r
                if _check_point(P, k, tuple(point)) == "differ":
                    _disagreement(P, k, point)


def _exact_roots(t, x):
    """Every real zero of a one-variable ``t`` exactly (affine, or a rational function
    with rational coefficients), or None."""
    from .errors import Undecided
    from .numbers import sign
    c = sympy.diff(t, x)
    try:
        if not c.free_symbols and sign(c) != 0:
            return [sympy.expand(x - t / c)]  # affine: one root
    except Undecided:
        pass
    if t.free_symbols - {x} or not t.is_rational_function(x):
        return None
    num, _ = sympy.fraction(sympy.cancel(sympy.together(t)))
    try:
        poly = sympy.Poly(num, x)
        if poly.domain.is_QQ or poly.domain.is_ZZ:
            return list(dict.fromkeys(poly.real_roots()))  # exact and complete
    except (sympy.PolynomialError, NotImplementedError):
        pass
    return None


def _roots_1d(P, k, t, x):
    """One input: every zero of ``t`` is found exactly (rational or affine tests)."""
    roots = _exact_roots(t, x)
    if roots is None:
        return f"the zeros of the test {t} cannot be listed exactly"
    unknown = False
    for r in roots:
        verdict = _check_point(P, k, (r,))
        if verdict == "differ":
            _disagreement(P, k, (r,))
        unknown = unknown or verdict == "unknown"
    return "a boundary point could not be decided exactly" if unknown else None
