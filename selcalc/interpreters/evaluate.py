"""Exact evaluation (Algorithm 1 of the NeurIPS 2020 paper), recording active sets.

>>> import selcalc
>>> P = selcalc.parse("def f(x):\\n    return relu(x) + abs(x)")
>>> run = evaluate(P, (0,))
>>> run.values[P.m], run.active
(0, {2: (0, 1), 3: (0, 1)})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import DomainError, Undecided
from .. import numbers
from ..numbers import (MAX_EXPRESSION_DEPTH, RATIONAL_TYPES, expression_depth, normalize,
                       too_large, value_bits)
from ..points import exact_str
from .elementwise import evaluate_run, runs
from .linear import blocks, evaluate_block


@dataclass
class Run:
    """The result of one evaluation: node values (index = node) and active sets per group."""

    values: list
    active: dict = field(default_factory=dict)

    def ties(self):
        """Groups whose active set has more than one piece."""
        return {g: a for g, a in self.active.items() if len(a) > 1}


def evaluate(P, x, pattern=None, number="exact"):
    """Evaluate ``P`` at ``x`` exactly; ``pattern`` (group -> piece) forces pieces.

    With a pattern, the forced groups are evaluated with that piece whatever the
    conditions say (this computes ``f_σ(x)``) and their active sets are not recorded.
    ``number="float"`` runs the same loop on floats (benchmarks only; never a proof).
    """
    if number == "exact":
        x = P.coerce_point(x)
    else:
        x = tuple(float(v) for v in x)
    ops, args, params, groups, outs = P.ops, P.args, P.params, P.groups, P.outs
    values = [None] + list(x) + [None] * (P.m - P.p)
    active = {}
    depths = {}
    limit = numbers.MAX_VALUE_BITS  # read per call: a user may raise it
    layers = blocks(P) if number == "exact" else {}
    batched = runs(P) if number == "exact" else {}

    def step(k):
        prim = ops[k]
        vs = [values[j] for j in args[k]]
        if params[k]:
            vs.extend(params[k])
        try:
            if prim.branching:
                g = groups[k]
                if pattern is not None and g in pattern:
                    i = pattern[g]
                else:
                    act = active.get(g)
                    if act is None:
                        act = active[g] = prim.active(vs)
                    i = act[0]
            else:
                i = 0
            v = prim.value(i, vs)[outs[k]]
        except DomainError as exc:
            raise DomainError(f"node {k} ({prim.name}): {exc}", node=k, value=vs) from None
        except Undecided as exc:
            raise Undecided(f"node {k} ({prim.name}): {exc}") from None
        except (ArithmeticError, ValueError) as exc:
            raise DomainError(f"node {k} ({prim.name}) at arguments {_show(vs)}: {exc}",
                              node=k, value=vs) from None
        except RecursionError:
            raise _too_deep(k, prim) from None
        if type(v) not in RATIONAL_TYPES and number == "exact":
            v = normalize(v)
            if type(v) not in RATIONAL_TYPES:
                if expression_depth(v, depths) > MAX_EXPRESSION_DEPTH:
                    raise _too_deep(k, prim)
                if value_bits(v) > limit:  # the slow path: sympy numbers
                    exc = too_large(value_bits(v), f"node {k} ({prim.name})")
                    exc.node = k
                    raise exc
        tv = type(v)  # the size bound, inline: this loop is the hot path
        if (tv is int and v.bit_length() > limit) or (tv is Fraction and (
                v.denominator.bit_length() > limit or v.numerator.bit_length() > limit)):
            exc = too_large(value_bits(v), f"node {k} ({prim.name})")
            exc.node = k
            raise exc
        values[k] = v

    k, m = P.p, P.m
    while k < m:
        k += 1
        b = layers.get(k)
        if b is not None and evaluate_block(b, values):
            k = b.stop - 1  # a whole layer at once (linear.py); exact, same values
            continue
        e = batched.get(k)
        if e is not None:  # a run of ReLU / max nodes at once (elementwise.py)
            evaluate_run(e, values, active, pattern, step)
            k = e.stop - 1
            continue
        step(k)
    return Run(values, active)


def _too_deep(k, prim):
    return Undecided(f"node {k} ({prim.name}): the exact value is nested more than "
                     f"{MAX_EXPRESSION_DEPTH} levels deep (irrational values through many "
                     f"nested functions); exact signs are out of reach there — evaluate at a "
                     f"point where the values are rational, or shorten the chain")


def _show(vs):
    return "(" + ", ".join(exact_str(v) for v in vs) + ")"
