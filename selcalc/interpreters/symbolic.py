"""Symbolic interpreter: the smooth function ``f_σ`` of a pattern as sympy expressions.

Every node is expanded with the piece its group takes in ``σ``; the result is an
expression in the input symbols (``P.input_names``).  For small programs only: sizes grow
with the number of paths, and an expression nested deeper than
:data:`selcalc.numbers.MAX_EXPRESSION_DEPTH` levels is refused with ``ProgramError``
(sympy's own algorithms recurse on the expression tree).
"""

from __future__ import annotations

import sympy

from ..errors import ProgramError
from ..numbers import MAX_EXPRESSION_DEPTH, expression_depth, to_sympy


def input_symbols(P):
    return tuple(sympy.Symbol(n) for n in P.input_names)


def node_expressions(P, pattern, symbols=None):
    """List indexed by node of the sympy expression of that node under ``pattern``."""
    symbols = symbols or input_symbols(P)
    exprs = [None] + list(symbols) + [None] * (P.m - P.p)
    depths = {}
    for k in range(P.p + 1, P.m + 1):
        prim = P.ops[k]
        i = pattern.get(P.groups[k], 0) if prim.branching else 0
        sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[k]] +
                       [to_sympy(c) for c in P.params[k]]))
        try:
            exprs[k] = prim.piece(i).values[P.outs[k]].xreplace(sub)
            deep = expression_depth(exprs[k], depths) > MAX_EXPRESSION_DEPTH
        except RecursionError:
            deep = True
        if deep:
            raise ProgramError(
                f"node {k} ({prim.name}): the symbolic expression of the program is nested "
                f"more than {MAX_EXPRESSION_DEPTH} levels deep; symbolic questions (curves, "
                f"selections, second-order decisions) are limited to shallower programs")
    return exprs


def condition_expressions(P, pattern, exprs=None):
    """The closed conditions ``(t(x), rel)`` defining ``R_σ`` (in the input symbols)."""
    exprs = exprs or node_expressions(P, pattern)
    conds = []
    for g in P.branching_groups:
        prim = P.ops[g]
        sub = dict(zip(prim.symbols, [exprs[j] for j in P.args[g]] +
                       [to_sympy(c) for c in P.params[g]]))
        for t, rel in prim.piece(pattern[g]).conditions:
            conds.append((t.xreplace(sub), rel))
    return conds
