"""The primitives of library ops: the shapes of their pieces, with a library family.

Each library op is its own primitive (family ``"<library>.<op>"``) even where its pieces
coincide with a generic one: ``F.relu6`` and ``torch.clamp(x, 0, 6)`` have the same pieces
but different rules at the bounds, so they must not share a family.  Piece order:

* ``interval(lo, hi)``: ``[lo if x <= lo, x if lo <= x <= hi, hi if x >= hi]``; one-sided
  forms keep the left-to-right order (``clamp_min``: ``[lo, x]``, ``clamp_max``: ``[x, hi]``);
* ``extremum(r)``: piece ``i`` is argument ``i`` (for a max-pool window or a reduction:
  the library's scan order, so ``"first"`` is "the first maximal index");
* ``relabel(name)``: the pieces of the generic primitive ``name``.

>>> p = interval(0, 6, "torch.hardtanh")
>>> p.name, p.family, p.active((6,))
('torch.hardtanh[0,6]', 'torch.hardtanh', (1, 2))
>>> extremum(4, True, "torch.max_pool").describe().count("if")
4
"""

from __future__ import annotations

import itertools
from functools import lru_cache

from ..numbers import to_sympy
from ..primitives import PRIMITIVES, Primitive, max_primitive, min_primitive
from ..primitives.core import arg_symbols, piece


@lru_cache(maxsize=None)
def relabel(name, family, arity=None):
    """The generic primitive ``name`` (``"relu"``, ``"maximum"`` ...) under a library family."""
    if name in ("maximum", "minimum"):
        base = max_primitive(2) if name == "maximum" else min_primitive(2)
    else:
        base = PRIMITIVES[name]
    return Primitive(family, base.arity, base.pieces, family=family, n_params=base.n_params,
                     logexp=base.logexp)


@lru_cache(maxsize=None)
def extremum(r, largest, family):
    """``max`` (or ``min``) of ``r >= 2`` arguments, piece ``i`` = argument ``i``."""
    base = max_primitive(r) if largest else min_primitive(r)
    return Primitive(f"{family}{r}", r, base.pieces, family=family)


@lru_cache(maxsize=None)
def window_extremum(extents, largest, family):
    """``max`` (or ``min``) over a pooling window whose entries form the box ``extents``
    (entries per dimension, padding left out), piece ``i`` = the ``i``-th entry in
    row-major order; ``window`` holds each piece's coordinates in the box, for rules that
    depend on where the tied entries lie (JAX's forward mode on padded windows).

    >>> p = window_extremum((2, 2), True, "jax.reduce_window_max_padded")
    >>> p.name, p.window
    ('jax.reduce_window_max_padded[2x2]', ((0, 0), (0, 1), (1, 0), (1, 1)))
    """
    r = 1
    for e in extents:
        r *= e
    base = max_primitive(r) if largest else min_primitive(r)
    prim = Primitive(f"{family}[{'x'.join(map(str, extents))}]", r, base.pieces, family=family)
    prim.window = tuple(itertools.product(*(range(e) for e in extents)))
    return prim


@lru_cache(maxsize=None)
def interval(lo, hi, family):
    """Clamp-shaped primitive with constant bounds (``None`` for a missing side)."""
    (a1,) = arg_symbols(1)
    pieces = []
    if lo is not None:
        lo_s = to_sympy(lo)
        pieces.append(piece(lo_s, le=[a1 - lo_s]))
    middle = {}
    if lo is not None:
        middle["ge"] = [a1 - lo_s]
    if hi is not None:
        hi_s = to_sympy(hi)
        middle["le"] = [a1 - hi_s]
    pieces.append(piece(a1, **middle))
    if hi is not None:
        pieces.append(piece(hi_s, ge=[a1 - hi_s]))
    bounds = f"[{'' if lo is None else lo},{'' if hi is None else hi}]"
    return Primitive(f"{family}{bounds}", 1, pieces, family=family)


@lru_cache(maxsize=None)
def banded(family, lo, hi, left, middle, right, label=""):
    """Three smooth pieces of one argument split at ``lo <= hi`` (constants).

    ``left``, ``middle`` and ``right`` are sympy expressions in ``a1`` (strings are
    sympified): ``[left if a1 <= lo, middle if lo <= a1 <= hi, right if a1 >= hi]``.
    :func:`interval` is the case ``(lo, a1, hi)``; hardsigmoid, hardswish, softshrink,
    smooth L1 and Huber are the others.

    >>> p = banded("torch.softshrink", -1, 1, "a1 + 1", "0", "a1 - 1")
    >>> p.active((1,)), p.value(0, (-3,))
    ((1, 2), (-2,))
    """
    import sympy
    (a1,) = arg_symbols(1)
    lo_s, hi_s = to_sympy(lo), to_sympy(hi)
    exprs = [sympy.sympify(e, locals={"a1": a1}) for e in (left, middle, right)]
    pieces = [piece(exprs[0], le=[a1 - lo_s]),
              piece(exprs[1], ge=[a1 - lo_s], le=[a1 - hi_s]),
              piece(exprs[2], ge=[a1 - hi_s])]
    return Primitive(f"{family}[{label or f'{lo},{hi}'}]", 1, pieces, family=family)


@lru_cache(maxsize=None)
def elu(family, alpha, scale, input_scale):
    """``scale * (alpha * (exp(input_scale * a1) - 1) if a1 <= 0 else a1)`` (ATen's elu).

    ``F.elu``, ``F.selu`` (``scale``, ``alpha`` its fixed constants) and ``F.celu``
    (``input_scale = 1/alpha``) are this op; constants are exact rationals.

    >>> p = elu("torch.elu", 2, 1, 1)
    >>> p.active((0,)), p.partials(0, (0,)), p.partials(1, (0,))
    ((0, 1), ((2,),), ((1,),))
    """
    import sympy
    (a1,) = arg_symbols(1)
    al, sc, ins = (to_sympy(v) for v in (alpha, scale, input_scale))
    pieces = [piece(sc * al * (sympy.exp(ins * a1) - 1), le=[a1]), piece(sc * a1, ge=[a1])]
    # the pieces overlap only at a1 = 0, where both are exactly 0: continuous (the z3
    # check of overlaps cannot read exp, so the proof is this substitution)
    assert all(p.values[0].subs(a1, 0) == 0 for p in pieces)
    return Primitive(f"{family}[{alpha},{scale},{input_scale}]", 1, pieces, family=family,
                     logexp=True, continuity="proved")


@lru_cache(maxsize=None)
def tensor_clamp(family, lower, upper):
    """``min(max(x, lo), hi)`` with bounds that are program values (tensor bounds).

    Arguments ``(x, lo, hi)`` (or ``(x, lo)`` / ``(x, hi)`` for a missing side).  Pieces
    of the two-sided form: ``[lo if x <= lo <= hi, x if lo <= x <= hi,
    hi if x >= hi and x >= lo, hi if lo >= hi and lo >= x]`` (the last one: crossed
    bounds, where torch returns ``hi``).  One-sided: ``[lo, x]`` and ``[x, hi]``.

    >>> tensor_clamp("torch.clamp_tensor", True, True).active((0, 0, 1))
    (0, 1)
    """
    args = arg_symbols(1 + lower + upper)
    x = args[0]
    if lower and upper:
        lo, hi = args[1], args[2]
        pieces = [piece(lo, le=[x - lo, lo - hi]), piece(x, ge=[x - lo], le=[x - hi]),
                  piece(hi, ge=[x - hi, x - lo]), piece(hi, ge=[lo - hi, lo - x])]
    elif lower:
        lo = args[1]
        pieces = [piece(lo, le=[x - lo]), piece(x, ge=[x - lo])]
    else:
        hi = args[1]
        pieces = [piece(x, le=[x - hi]), piece(hi, ge=[x - hi])]
    return Primitive(family, len(args), pieces, family=family)


@lru_cache(maxsize=None)
def sorting(r, family, read=None):
    """Ascending sort of ``r`` arguments under ``family``: the implicit ``r!`` pieces of
    :func:`selcalc.primitives.sort_primitive` (identity first; only the orders consistent
    with the ties at a point are ever listed).  ``read``: the tuple of output positions
    the op returns (``topk``: the first k), or None for all."""
    from ..primitives import sort_primitive
    return sort_primitive(r, family, read)
