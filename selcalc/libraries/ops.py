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
