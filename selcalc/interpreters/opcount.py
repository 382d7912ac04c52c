"""Operation-count interpreter: a static cost model for evaluation and for backpropagation.

The cheap gradient principle (Baur–Strassen; its nonsmooth version in seed ``004``) bounds
``cost(backprop(P)) <= ω_b · cost(P)``.  This module fixes what ``cost`` means, so that
``ω_b`` is a number selcalc computes exactly instead of a timing.

Counting rules
--------------
1. **Unit operations.**  Each arithmetic operation (binary ``+ - × ÷``, a negation, an
   integer or fractional power such as ``x**2`` or ``sqrt``), each call of an elementary
   function (``exp``, ``log``, ``tanh``, ``sin`` …) and each comparison costs **1**.
   Reading an input, a constant or a node parameter (a weight), and copying a value, cost 0.
   Expressions are counted on their sympy tree by :func:`expression_ops`: an ``n``-ary sum
   or product costs ``n − 1``, a term ``−u`` inside a sum is a subtraction (no extra
   negation), ``u / v`` is one division.
2. **Evaluation** (``cost(P)``, Algorithm 1).  Each node — each *group* for vector
   primitives such as ``sort``, whose outputs share one selection — costs

   * its **selection**: every distinct test ``t`` of the primitive, up to sign (``a1 − a2``
     and ``a2 − a1`` are one comparison), costs ``expression_ops(t) + 1``, except that a
     top-level two-term sum is fused with the comparison (``u − v >= 0`` is the single
     comparison ``u >= v``);  a smooth primitive has no tests;
   * plus its **value**: the largest ``expression_ops`` over the pieces (all outputs of the
     piece), so the count does not depend on the input (worst piece).
3. **Backpropagation** (``cost_backward(P)``, Algorithm 2 backward, returning ``(f, ∇f)``):

   * the **evaluation** above (the forward sweep records the selected pieces);
   * the **local partials** ``d_k``: per group, the largest over the pieces of the
     operations needed for the partial derivatives of the piece, after common
     subexpression elimination and with the node's own value reused (``exp' = exp`` costs
     0, ``tanh' = 1 − v²`` costs 2); a partial that is a constant, a parameter or an
     argument costs 0;
   * the **reverse sweep**: one multiply-add ``x̄_j += d_k[j] · x̄_k`` (**2** operations)
     per edge ``j → k`` of the DAG lying on a path to the output, once per output
     (``q`` sweeps for a ``q``-output program).  The only exception: an edge whose local
     partial is identically 0 in every piece (``where``'s test argument) is never
     traversed, cost 0.  No other shortcut is taken (multiplications by a constant ``±1``
     are still counted), so the count is an upper bound on a careful implementation.

Node by node, a binary ``+ − ×`` costs 1 forward and ``1 + 0 + 2·2 = 5`` in backprop:
this is where Baur–Strassen's 5 comes from in this model, and :func:`local_ratios` makes
the node-wise argument explicit (``ω_b`` is at most the largest local ratio).

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return relu(x * y + 1)")
>>> print(P)
program (p=2, q=1, m=5)
  input x, y
  x3 = x * y
  x4 = x3 + 1
  x5 = relu(x4)
  return x5
>>> cost(P), cost_backward(P)
(3, 11)
>>> opcount(P)
OpCount(evaluation=3, partials=0, reverse_sweep=8)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import networkx as nx
import sympy


# ---------------------------------------------------------------------- expressions
def expression_ops(expr) -> int:
    """The number of unit operations in a sympy expression (rule 1 of the module doc).

    >>> a, b = sympy.symbols("a b")
    >>> [expression_ops(e) for e in (a, a - b, -a, a * b / 2, sympy.exp(-a), sympy.sqrt(a))]
    [0, 1, 1, 2, 2, 1]
    >>> expression_ops(1 / (1 + sympy.exp(-a)))
    4
    """
    expr = sympy.sympify(expr)
    if expr.is_Atom:
        return 0
    if expr.is_Add:
        total = len(expr.args) - 1
        for term in expr.args:
            total += _term_ops(term)
        # a sum whose terms are all negated needs one negation at the end
        if all(term.could_extract_minus_sign() for term in expr.args):
            total += 1
        return total
    if expr.is_Mul:
        coeff, factors = expr.as_coeff_mul()
        total = len(factors) - 1 + sum(_factor_ops(f) for f in factors)
        if coeff == -1:
            total += 1  # a bare negation
        elif coeff != 1:
            total += 1  # multiplication by the constant
        return total
    if expr.is_Pow:
        return 1 + expression_ops(expr.base)
    # function calls (exp, log, tanh, ...) and anything else: 1 + arguments
    return 1 + sum(expression_ops(a) for a in expr.args)


def _term_ops(term):
    """A term of a sum; ``−u`` is a subtraction, so its sign is free."""
    if term.is_Mul:
        coeff, factors = term.as_coeff_mul()
        if coeff == -1:
            return expression_ops(sympy.Mul(*factors))
    if term.is_Number:
        return 0
    return expression_ops(term)


def _factor_ops(factor):
    """A factor of a product: ``v**-1`` is a division, fused with the product."""
    if factor.is_Pow and factor.exp == -1:
        return expression_ops(factor.base)
    return expression_ops(factor)


# ---------------------------------------------------------------------- primitives
@dataclass(frozen=True)
class PrimitiveCost:
    """Static costs of one primitive (per group): selection, value, partials; and which
    ``(output, argument)`` partials are identically 0 in every piece."""

    selection: int
    value: int
    partials: int
    zero_partials: frozenset

    @property
    def evaluation(self):
        return self.selection + self.value


def _test_key(t):
    """Tests equal up to sign share one comparison."""
    neg = sympy.expand(-t)
    return min(sympy.srepr(sympy.expand(t)), sympy.srepr(neg))


def _test_ops(t):
    t = sympy.expand(t)
    ops = expression_ops(t)
    if t.is_Add and len(t.args) == 2:
        return ops  # u ± v >= 0 is the single comparison u >= ∓v
    return ops + 1


@lru_cache(maxsize=None)
def primitive_cost(prim) -> PrimitiveCost:
    """The :class:`PrimitiveCost` of a primitive (cached: networks share primitives).

    >>> from selcalc.primitives import PRIMITIVES, max_primitive
    >>> primitive_cost(PRIMITIVES["relu"])
    PrimitiveCost(selection=1, value=0, partials=0, zero_partials=frozenset())
    >>> c = primitive_cost(max_primitive(2)); c.selection, c.evaluation
    (1, 1)
    >>> primitive_cost(PRIMITIVES["tanh"]).partials
    2
    """
    args = prim.symbols[:prim.arity]
    tests = {}
    for t in prim.tests:
        tests.setdefault(_test_key(t), t)
    selection = sum(_test_ops(t) for t in tests.values())
    shapes = prim.shape_pieces()
    value = max((sum(expression_ops(v) for v in pc.values) for pc in shapes), default=0)
    outs = tuple(sympy.Symbol(f"_v{o}") for o in range(prim.n_out))
    partials = 0
    for pc in shapes:
        reuse = {v: o for v, o in zip(pc.values, outs) if not v.is_Atom}
        exprs = [sympy.diff(v, a).xreplace(reuse) for v in pc.values for a in args]
        exprs = [e for e in exprs if not e.is_Atom]
        if not exprs:
            continue
        shared, reduced = sympy.cse(exprs)
        ops = sum(expression_ops(e) for _, e in shared) + sum(expression_ops(e) for e in reduced)
        partials = max(partials, ops)
    zero = frozenset((o, j) for o in range(prim.n_out) for j, a in enumerate(args)
                     if all(sympy.diff(pc.values[o], a) == 0 for pc in shapes))
    return PrimitiveCost(selection, value, partials, zero)


# ---------------------------------------------------------------------- programs
@dataclass(frozen=True)
class OpCount:
    """The three parts of the cost of backpropagation (rule 3); ``evaluation`` is ``cost(P)``."""

    evaluation: int
    partials: int
    reverse_sweep: int

    @property
    def backward(self):
        """``cost(backprop(P))``: evaluation + local partials + reverse sweep."""
        return self.evaluation + self.partials + self.reverse_sweep

    @property
    def ratio(self):
        """``ω_b = cost(backprop(P)) / cost(P)`` as an exact fraction (None if cost(P) = 0)."""
        return Fraction(self.backward, self.evaluation) if self.evaluation else None


def _group_heads(P):
    for k in range(P.p + 1, P.m + 1):
        if P.groups[k] == k:
            yield k


def _live_nodes(P, out):
    """Nodes on a path to ``out``: ``out`` and its ancestors in the DAG."""
    return nx.ancestors(P.graph, out) | {out}


def _edge_ops(P, k):
    zero = primitive_cost(P.ops[k]).zero_partials
    out = P.outs[k]
    return 2 * sum(1 for pos in range(len(P.args[k])) if (out, pos) not in zero)


def opcount(P) -> OpCount:
    """The operation counts of ``P`` (rules 2 and 3 of the module docstring)."""
    evaluation = partials = 0
    for k in _group_heads(P):
        c = primitive_cost(P.ops[k])
        evaluation += c.evaluation
        partials += c.partials
    sweep = sum(_edge_ops(P, k) for out in P.outputs for k in _live_nodes(P, out) if k > P.p)
    return OpCount(evaluation, partials, sweep)


def cost(P) -> int:
    """``cost(P)``: unit operations to evaluate ``P`` (rule 2 of the module docstring).

    >>> import selcalc
    >>> cost(selcalc.parse("def f(x, y):\\n    return max(x, y) + exp(x)"))
    3
    """
    return opcount(P).evaluation


def cost_backward(P) -> int:
    """``cost(backprop(P))``: evaluation + local partials + reverse sweep (rule 3).

    >>> import selcalc
    >>> cost_backward(selcalc.parse("def f(x, y):\\n    return max(x, y) + exp(x)"))
    13
    """
    return opcount(P).backward


def local_ratios(P) -> dict:
    """Per primitive name: ``(backprop cost of one node / its evaluation cost)``.

    ``cost_backward(P) <= max(local ratios) · cost(P)`` whenever every node has a positive
    evaluation cost (a sum of ratios of positive terms): the node-wise form of the cheap
    gradient principle.  Nodes with evaluation cost 0 (identity, constants) map to ``None``.

    >>> import selcalc
    >>> sorted(local_ratios(selcalc.parse("def f(x, y):\\n    return relu(x * y)")).items())
    [('mul', Fraction(5, 1)), ('relu', Fraction(3, 1))]
    """
    out = {}
    for k in _group_heads(P):
        prim = P.ops[k]
        c = primitive_cost(prim)
        members = [j for j in range(k, P.m + 1) if P.groups[j] == k] if prim.n_out > 1 else [k]
        back = c.evaluation + c.partials + sum(_edge_ops(P, j) for j in members)
        r = Fraction(back, c.evaluation) if c.evaluation else None
        name = getattr(prim, "base", prim).name
        prev = out.get(name, Fraction(0))
        out[name] = None if r is None or prev is None else max(prev, r)
    return out
