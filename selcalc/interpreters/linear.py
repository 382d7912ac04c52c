"""Layers of affine nodes as one exact integer matrix product (FLINT, via python-flint).

A tensor layer (a convolution, a matrix product) is lowered to consecutive ``dot`` nodes
(:func:`selcalc.primitives.affine_primitive` with constant weights and no products of
arguments) whose arguments all come before the layer.  Such a run is a linear map
``y = W a + c``.  With ``D_W`` the common denominator of ``W`` and ``c`` and ``D_a`` that of
the argument values ``a`` (ints and Fractions), ``y = W' a' / (D_W D_a)`` where
``W' = D_W [W | c]`` and ``a' = D_a [a; 1]`` are integer: one ``fmpz_mat`` product in C
instead of one Python multiply-add per weight, and one rational per output.  The reverse
sweep is the transposed product, ``ā += Wᵀ ȳ``.  Integers throughout: the values are the
ones the per-node loop computes, exactly.

Runs of fewer than :data:`MIN_ROWS` nodes, or too sparse for a dense product to pay
(a dense entry costs ~1/200 of a Python multiply-add), stay on the per-node path; a run is
cut into chunks of at most :data:`MAX_ENTRIES` dense entries (memory).  Non-rational
values (sympy numbers) fall back to the per-node path at evaluation time.

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return relu(2*x + 3*y + 1)")
>>> blocks(P)   # one dot node: below MIN_ROWS, nothing to batch
{}
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm

from ..primitives.table import AffinePrimitive

MIN_ROWS = 16
MAX_ENTRIES = 1 << 21
DENSITY = 200  # dense entries per weight a chunk may have and still be batched

_PLANS = weakref.WeakKeyDictionary()
#: False turns the batched path off (the per-node loop everywhere; for benchmarks and tests)
ENABLED = True


@dataclass
class Block:
    """Nodes ``start .. stop-1``: ``values[start + i] = (mat · a + const · D_a)_i /
    (den · D_a)`` with ``a = D_a · values[cols]`` integer; ``tmat = matᵀ``; ``partials``
    are the nodes' local partials (their weights), checked before a reverse sweep uses
    the block."""

    start: int
    stop: int
    cols: list
    den: int
    mat: object
    tmat: object
    const: list
    partials: list


def _linear(P, k):
    prim = P.ops[k]
    return type(prim) is AffinePrimitive and prim.n_bil == 0 and not prim.branching


def blocks(P):
    """``{first node: Block}`` for the batched layers of ``P`` (computed once per program)."""
    if not ENABLED:
        return {}
    try:
        return _PLANS[P]
    except (KeyError, TypeError):
        pass
    plan = {}
    args, k, m = P.args, P.p + 1, P.m
    while k <= m:
        if not _linear(P, k):
            k += 1
            continue
        lo = k
        while k + 1 <= m and _linear(P, k + 1) and \
                (not args[k + 1] or max(args[k + 1]) < lo):
            k += 1
        _chunks(P, lo, k + 1, plan)
        k += 1
    try:
        _PLANS[P] = plan
    except TypeError:
        pass
    return plan


def _chunks(P, lo, hi, plan):
    """Cut the run ``lo .. hi-1`` into blocks of at most MAX_ENTRIES dense entries."""
    start = lo
    while start < hi:
        cols, nnz, k = {}, 0, start
        while k < hi:
            new = [j for j in dict.fromkeys(P.args[k]) if j not in cols]
            if k > start and (k - start + 1) * (len(cols) + len(new)) > MAX_ENTRIES:
                break
            for j in new:
                cols[j] = len(cols)
            nnz += len(P.args[k])
            k += 1
        if k - start >= MIN_ROWS and (k - start) * len(cols) <= DENSITY * nnz:
            plan[start] = _block(P, start, k, list(cols))
        start = k


def _block(P, start, stop, cols):
    from flint import fmpz_mat
    where = {j: i for i, j in enumerate(cols)}
    params = [P.params[k] for k in range(start, stop)]
    den = lcm(1, *(c.denominator for ps in params for c in ps if type(c) is Fraction))
    mat = fmpz_mat(stop - start, len(cols))  # zero; set the weights only (sparse)
    const, partials = [], []
    for i, (k, ps) in enumerate(zip(range(start, stop), params)):
        n = len(P.args[k])
        row = {}
        for j, c in zip(P.args[k], ps[:n]):
            row[where[j]] = row.get(where[j], 0) + _scaled(c, den)
        for col, w in row.items():
            mat[i, col] = w
        const.append(_scaled(ps[n], den))
        partials.append(tuple(ps[:n]))
    return Block(start, stop, cols, den, mat, mat.transpose(), const, partials)


def _scaled(c, den):
    """``c * den`` for an int / Fraction ``c`` whose denominator divides ``den``."""
    return c * den if type(c) is int else c.numerator * (den // c.denominator)


def _quotient_slow(n, den):
    return n // den if n % den == 0 else Fraction(n, den)


def _quotient_fast(n, den):
    g = gcd(n, den)
    if g == den:
        return n // den
    f = object.__new__(Fraction)  # the reduced pair, without Fraction's Python __new__
    f._numerator, f._denominator = n // g, den // g
    return f


def _check_fast():
    try:
        cases = [(6, 4), (-6, 4), (0, 3), (9, 3), (-7, 21), (2 ** 70 + 1, 2 ** 65)]
        return all(type(_quotient_fast(n, d)) is type(_quotient_slow(n, d)) and
                   _quotient_fast(n, d) == _quotient_slow(n, d) and
                   hash(_quotient_fast(n, d)) == hash(_quotient_slow(n, d)) and
                   repr(_quotient_fast(n, d)) == repr(_quotient_slow(n, d)) and
                   _quotient_fast(n, d) + Fraction(1, 3) == _quotient_slow(n, d) + Fraction(1, 3)
                   for n, d in cases)
    except (AttributeError, TypeError):
        return False


#: ``quotient(n, den)``: ``n / den`` for ints with ``den > 0``, an int when it divides, else
#: the reduced Fraction (built directly when this Python's Fraction allows it, checked once)
quotient = _quotient_fast if _check_fast() else _quotient_slow


def _integers(vals):
    """``(D, [D*v])`` for ints / Fractions, or None when one is not rational."""
    dens = []
    for v in vals:
        t = type(v)
        if t is Fraction:
            dens.append(v.denominator)
        elif t is not int:
            return None
    D = lcm(1, *dens)
    return D, [v * D if type(v) is int else v.numerator * (D // v.denominator) for v in vals]


def evaluate_block(b, values):
    """Fill ``values[b.start:b.stop]``; False (nothing written) when an argument is not
    rational."""
    from flint import fmpz_mat
    scaled = _integers([values[j] for j in b.cols])
    if scaled is None:
        return False
    D, ints = scaled
    y = b.mat * fmpz_mat(len(ints), 1, ints)
    den = b.den * D
    values[b.start:b.stop] = [quotient(int(e) + c * D, den)
                              for e, c in zip(y.entries(), b.const)]
    return True


def backward_block(b, adj, d):
    """``adj[cols] += Wᵀ adj[start:stop]``; False (nothing written) when an adjoint is not
    rational or the partials ``d`` of the block's nodes are not their weights."""
    from flint import fmpz_mat
    if d[b.start:b.stop] != b.partials:
        return False
    scaled = _integers(adj[b.start:b.stop])
    if scaled is None:
        return False
    D, ints = scaled
    if not any(ints):
        return True
    z = b.tmat * fmpz_mat(len(ints), 1, ints)
    den = b.den * D
    for j, e in zip(b.cols, z.entries()):
        if e:
            v, u = quotient(int(e), den), adj[j]
            adj[j] = v if type(u) is int and u == 0 else u + v
    return True
