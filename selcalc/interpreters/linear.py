"""Layers of affine nodes as one exact integer matrix product (C, not one Python
multiply-add per weight).

A tensor layer (a convolution, a matrix product) is lowered to consecutive ``dot`` nodes
(:func:`selcalc.primitives.affine_primitive` with constant weights and no products of
arguments) whose arguments all come before the layer.  Such a run is a linear map
``y = W a + c``.  With ``D_W`` the common denominator of ``W`` and ``c`` and ``D_a`` that of
the argument values ``a`` (ints and Fractions), ``y = (W' a' + c' D_a) / (D_W D_a)`` where
``W' = D_W W``, ``c' = D_W c`` and ``a' = D_a a`` are integer: one integer product and one
rational per output.  The reverse sweep is the transposed product, ``ā += Wᵀ ȳ``.

The product is computed on the nonzero weights with numpy ``int64`` arithmetic (a sparse
row-by-row sum, ``np.add.reduceat``) when that is certified exact: with ``B`` the largest
absolute row sum of ``W'`` (column sum for the reverse sweep) and ``A`` the largest
``|a'_j|``, every partial sum is at most ``B·A`` in absolute value, so ``B·A < 2^63`` rules
out overflow.  Otherwise (large numerators or denominators) it is one FLINT ``fmpz_mat``
product (python-flint; arbitrary-size integers), the matrix built on first use.  No floats
anywhere: the values are the ones the per-node loop computes, exactly.

Runs of fewer than :data:`MIN_ROWS` nodes, or too sparse for a dense product to pay
(a dense entry costs ~1/200 of a Python multiply-add), stay on the per-node path; a run is
cut into chunks of at most :data:`MAX_ENTRIES` dense entries (the memory of the FLINT
form).  Non-rational values (sympy numbers) fall back to the per-node path at evaluation
time.  The exact quotients ``n / den`` of the outputs are built by :data:`quotient`.

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return relu(2*x + 3*y + 1)")
>>> blocks(P)   # one dot node: below MIN_ROWS, nothing to batch
{}
"""

from __future__ import annotations

import functools
import sys
import weakref
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm

from ..primitives.table import AffinePrimitive

MIN_ROWS = 16
MAX_ENTRIES = 1 << 21
DENSITY = 200  # dense entries per weight a chunk may have and still be batched

#: False turns the batched path off (the per-node loop everywhere; for benchmarks and tests)
ENABLED = True


@dataclass
class Block:
    """Nodes ``start .. stop-1``: ``values[start + i] = (W a + const · D_a)_i /
    (den · D_a)`` with ``a = D_a · values[cols]`` integer and ``W`` the integer weights
    ``rows[i] = [(column, weight), ...]``; ``partials`` are the nodes' local partials
    (their weights), checked before a reverse sweep uses the block.  ``csr`` / ``csc``
    hold ``W`` by rows and by columns as int64 arrays (None when a weight does not fit),
    ``row_bound`` / ``col_bound`` the largest absolute row / column sum of ``W``."""

    start: int
    stop: int
    cols: list
    den: int
    rows: list
    const: list
    partials: list
    csr: object = None
    csc: object = None
    row_bound: int = 0
    col_bound: int = 0
    _mats: object = None

    def mats(self):
        """``W`` as FLINT integer matrices, built on first use: ``(i0, i1, W[i0:i1],
        W[i0:i1]ᵀ)`` for chunks of rows of at most MAX_ENTRIES dense entries."""
        if self._mats is None:
            from flint import fmpz_mat
            n, step = self.stop - self.start, max(1, MAX_ENTRIES // max(1, len(self.cols)))
            self._mats = []
            for i0 in range(0, n, step):
                i1 = min(n, i0 + step)
                mat = fmpz_mat(i1 - i0, len(self.cols))
                for i in range(i0, i1):
                    for col, w in self.rows[i]:
                        mat[i - i0, col] = w
                self._mats.append((i0, i1, mat, mat.transpose()))
        return self._mats


def _linear(P, k):
    prim = P.ops[k]
    return type(prim) is AffinePrimitive and prim.n_bil == 0 and not prim.branching


def plan_per_program(build):
    """``build(P)`` computed once per program (weakly cached in ``.plans``), and ``{}``
    while the defining module's ``ENABLED`` is False (the per-node loop everywhere)."""
    plans = weakref.WeakKeyDictionary()
    module = sys.modules[build.__module__]

    @functools.wraps(build)
    def plan(P):
        if not module.ENABLED:
            return {}
        try:
            return plans[P]
        except (KeyError, TypeError):
            pass
        found = build(P)
        try:
            plans[P] = found
        except TypeError:  # a program that cannot be weakly referenced: not cached
            pass
        return found
    plan.plans = plans
    return plan


@plan_per_program
def blocks(P):
    """``{first node: Block}`` for the batched layers of ``P`` (computed once per program)."""
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
    return plan


def _chunks(P, lo, hi, plan):
    """The run ``lo .. hi-1`` as one block when its weights have the int64 form, else cut
    into blocks of at most MAX_ENTRIES dense entries."""
    if hi - lo >= MIN_ROWS:
        cols = list(dict.fromkeys(j for k in range(lo, hi) for j in P.args[k]))
        nnz = sum(len(P.args[k]) for k in range(lo, hi))
        if (hi - lo) * len(cols) <= DENSITY * nnz:
            b = _block(P, lo, hi, cols)
            if b.csr is not None:
                plan[lo] = b
                return
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
    where = {j: i for i, j in enumerate(cols)}
    params = [P.params[k] for k in range(start, stop)]
    den = lcm(1, *(c.denominator for ps in params for c in ps if type(c) is Fraction))
    rows, const, partials = [], [], []
    for k, ps in zip(range(start, stop), params):
        n = len(P.args[k])
        row = {}
        for j, c in zip(P.args[k], ps[:n]):
            row[where[j]] = row.get(where[j], 0) + _scaled(c, den)
        rows.append([(col, w) for col, w in row.items() if w])
        const.append(_scaled(ps[n], den))
        partials.append(tuple(ps[:n]))
    b = Block(start, stop, cols, den, rows, const, partials)
    weights = [w for row in rows for _, w in row]
    if weights and max(map(abs, weights)) < _SMALL and len(weights) < _SMALL:
        _int64_form(b, weights)
    return b


#: int64 products are exact while every partial sum stays below this bound (certified
#: from the absolute row / column sums of the weights and the largest argument)
_INT64 = 2 ** 63 - 1
#: a block of fewer weights than this, each below it in absolute value, gets the int64
#: form (an absolute line sum is then below 2^62: exact in int64 too)
_SMALL = 2 ** 31


def _int64_form(b, weights):
    """Set ``b.csr``, ``b.csc`` and the bounds: the nonzero weights by rows and by columns
    as int64 arrays ``(data, index, starts of the nonempty lines, their positions, n)``."""
    import numpy as np
    n_rows, n_cols = len(b.rows), len(b.cols)
    data = np.array(weights, dtype=np.int64)
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), [len(r) for r in b.rows])
    cols = np.array([c for r in b.rows for c, _ in r], dtype=np.int64)
    order = np.argsort(cols, kind="stable")
    for name, lines, index, data_, n in (("csr", rows, cols, data, n_rows),
                                         ("csc", cols[order], rows[order], data[order], n_cols)):
        counts = np.bincount(lines, minlength=n)
        nonempty = np.flatnonzero(counts)
        starts = (np.cumsum(counts) - counts)[nonempty]
        setattr(b, name, (data_, index, starts, nonempty, n))
    absdata = np.abs(data)
    b.row_bound = int(_line_sums(rows, absdata, n_rows))
    b.col_bound = int(_line_sums(cols, absdata, n_cols))


def _line_sums(lines, absdata, n):
    """The largest sum of ``absdata`` over one line (exact in int64: fewer than 2^31
    weights below 2^31 each)."""
    import numpy as np
    sums = np.zeros(n, dtype=np.int64)
    np.add.at(sums, lines, absdata)
    return sums.max() if n else 0


def _product(compressed, bound, ints):
    """``W · ints`` (a list of Python ints) with int64 arithmetic when ``bound ·
    max|ints|`` certifies that no sum overflows, else None."""
    import numpy as np
    if compressed is None:
        return None
    top = max(map(abs, ints), default=0)
    if top > _INT64 or bound * top > _INT64:
        return None
    data, index, starts, nonempty, n = compressed
    out = np.zeros(n, dtype=np.int64)
    if len(data):
        out[nonempty] = np.add.reduceat(data * np.array(ints, dtype=np.int64)[index], starts)
    return out.tolist()


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
    if not set(map(type, vals)) <= _RATIONAL:
        return None
    pairs = [v.as_integer_ratio() for v in vals]
    D = lcm(*{d for _, d in pairs})
    return D, [n if d == D else n * (D // d) for n, d in pairs]


_RATIONAL = {int, Fraction}


def evaluate_block(b, values):
    """Fill ``values[b.start:b.stop]``; False (nothing written) when an argument is not
    rational."""
    from flint import fmpz_mat
    scaled = _integers([values[j] for j in b.cols])
    if scaled is None:
        return False
    D, ints = scaled
    y = _product(b.csr, b.row_bound, ints)
    if y is None:
        vec = fmpz_mat(len(ints), 1, ints)
        y = [e for _, _, mat, _ in b.mats() for e in (mat * vec).entries()]
    den = b.den * D
    values[b.start:b.stop] = [quotient(int(e) + c * D, den) for e, c in zip(y, b.const)]
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
    z = _product(b.csc, b.col_bound, ints)
    if z is None:
        z = None
        for i0, i1, _, tmat in b.mats():
            part = tmat * fmpz_mat(i1 - i0, 1, ints[i0:i1])
            z = part if z is None else z + part
        z = z.entries()
    den = b.den * D
    for j, e in zip(b.cols, z):
        if e:
            v, u = quotient(int(e), den), adj[j]
            adj[j] = v if type(u) is int and u == 0 else u + v
    return True
