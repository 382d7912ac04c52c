"""The Primitive: an elementary selection held as data (sympy pieces, closed conditions).

A primitive of arity ``r`` has ordered pieces ``(f_i, C_i)``; ``f_i`` is a tuple of sympy
expressions in the local arguments ``a1..ar`` (one per output — several for vector
primitives such as ``sort``, whose outputs share one piece index) and ``C_i`` a conjunction
of closed conditions ``t >= 0``, ``t <= 0`` or ``t == 0``.  Constants folded into a primitive
(``2*x``, ``max(x, 0)``) become *parameters* ``c1..cs`` whose values live on the node, so a
network with thousands of weights shares one compiled primitive.

Derivatives are never written by hand: they are sympy derivatives of the pieces, compiled
once per primitive by :mod:`selcalc.primitives.compile`.

>>> from selcalc.primitives import PRIMITIVES
>>> relu = PRIMITIVES["relu"]
>>> relu.active((0,)), relu.active((2,))
((0, 1), (1,))
>>> relu.partials(1, (2,))
((1,),)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from ..errors import DomainError
from ..numbers import sign
from ..points import exact_str
from .compile import compile_exprs

GE, LE, EQ = ">=", "<=", "=="
_SIGN_OK = {GE: (0, 1), LE: (-1, 0), EQ: (0,)}


def arg_symbols(r):
    """The local argument symbols ``a1..ar``."""
    return tuple(sympy.Symbol(f"a{i}") for i in range(1, r + 1))


def param_symbols(s, start=1):
    return tuple(sympy.Symbol(f"c{i}") for i in range(start, start + s))


@dataclass(frozen=True)
class Piece:
    """One smooth piece: its output expressions and the closed condition where it applies."""

    values: tuple
    conditions: tuple = ()

    def __str__(self):
        vals = self.values[0] if len(self.values) == 1 else self.values
        if not self.conditions:
            return f"{vals}"
        cond = " and ".join(f"{t} {rel} 0" for t, rel in self.conditions)
        return f"{vals} if {cond}"


def piece(*values, ge=(), le=(), eq=()):
    """Build a :class:`Piece` from output expressions and tests ``>= 0``, ``<= 0``, ``== 0``."""
    conds = tuple((sympy.sympify(t), GE) for t in ge) + tuple(
        (sympy.sympify(t), LE) for t in le) + tuple((sympy.sympify(t), EQ) for t in eq)
    return Piece(tuple(sympy.sympify(v) for v in values), conds)


class Primitive:
    """An elementary selection primitive.

    Parameters
    ----------
    name : str
        Display name (``"relu"``, ``"max3"``, ``"clip[-1,1]"``).
    arity : int
        Number of arguments (node predecessors).
    pieces : sequence of Piece
        Ordered pieces; "lowest index" conventions pick the first active one.
    family : str
        Key used by conventions (``"relu"``, ``"abs"``, ``"maximum"``, ``"max"``, ``"clip"``,
        ``"leaky_relu"``, ``"sort"``, ``"where"``, ``"smooth"`` ...).
    n_params : int
        Number of parameters ``c1..cs`` (constants stored on each node).
    logexp : bool
        False for analytic primitives outside the log-exp class (sin, cos).
    continuity : str
        ``"check"`` (pieces are checked on their overlaps), ``"program"`` (only continuous
        under a program-level condition, e.g. ``where``: checked by the program builder).
    """

    def __init__(self, name, arity, pieces, *, family=None, n_params=0, logexp=True,
                 continuity="check", n_out=None):
        self.name = name
        self.arity = arity
        self.pieces = tuple(pieces)
        self.family = family or ("smooth" if len(self.pieces) == 1 else name)
        self.n_params = n_params
        self.logexp = logexp
        self.continuity = continuity
        self.n_out = n_out or len(self.pieces[0].values)
        self.symbols = arg_symbols(arity) + param_symbols(n_params)
        self.names = tuple(str(s) for s in self.symbols)
        tests, index = [], {}
        conds = []
        for pc in self.pieces:
            mine = []
            for t, rel in pc.conditions:
                if t not in index:
                    index[t] = len(tests)
                    tests.append(t)
                mine.append((index[t], _SIGN_OK[rel]))
            conds.append(tuple(mine))
        self.tests = tuple(tests)
        self._conds = tuple(conds)
        self.branching = len(self.pieces) > 1
        self._fixed = {}

    def __repr__(self):
        return f"<Primitive {self.name}/{self.arity}>"

    # ------------------------------------------------------------- compiled forms
    @cached_property
    def _value_fns(self):
        return tuple(compile_exprs(pc.values, self.names) for pc in self.pieces)

    @cached_property
    def _grad_fns(self):
        args = self.symbols[:self.arity]
        fns = []
        for pc in self.pieces:
            flat = [sympy.diff(v, a) for v in pc.values for a in args]
            fns.append(compile_exprs(flat, self.names) if flat else (lambda *_: ()))
        return tuple(fns)

    @cached_property
    def _test_fn(self):
        return compile_exprs(self.tests, self.names) if self.tests else None

    # ------------------------------------------------------------- evaluation
    # ------------------------------------------------------------- the pieces
    # Every consumer goes through ``n_pieces`` / ``piece(i)`` / ``active`` /
    # ``active_from_signs`` / ``conditions_of`` / ``shape_pieces``, so a primitive may hold
    # its pieces implicitly (``sort``: r! permutations, see ``table.SortPrimitive``).
    @property
    def n_pieces(self):
        """The number of pieces (an exact int; it may be far too large to enumerate)."""
        return len(self.pieces)

    def piece(self, i):
        """The :class:`Piece` of index ``i``."""
        return self.pieces[i]

    def shape_pieces(self):
        """Pieces that show every shape of the primitive's pieces: all of them here.

        Used by questions about the form of the pieces (are they affine? which output
        depends on which argument? what does one cost?) that need not enumerate them.
        """
        return self.pieces

    @cached_property
    def affine(self):
        """True when every piece and test is affine in the arguments (parameters are
        coefficients)."""
        args = self.symbols[:self.arity]
        if not args:
            return True
        for pc in self.shape_pieces():
            for e in list(pc.values) + [t for t, _ in pc.conditions]:
                if not e.is_polynomial(*args) or sympy.Poly(e, *args).total_degree() > 1:
                    return False
        return True

    def active(self, vals):
        """Indices of the pieces whose condition holds at ``vals`` (args then params)."""
        if not self.branching:
            return (0,)
        act = self.active_from_signs([sign(t) for t in self._test_fn(*vals)])
        if not act:
            raise DomainError(f"no piece of {self.name} applies at {exact_str(vals)}",
                              value=vals)
        return act

    def distinct_readings(self, active):
        """The tied pieces ``active`` with those that give the program the same value and
        derivative merged (one representative each, in order).  Every output of a
        primitive is read in general, so this is ``active`` itself; a sort read at some
        positions only (:class:`selcalc.primitives.table.SortPrimitive` with ``read=``)
        merges the orders that differ only at the positions nobody reads."""
        return active

    def active_from_signs(self, signs):
        """Indices of the pieces whose condition holds when the tests have ``signs``
        (cached: the conditions depend on the signs only)."""
        signs = tuple(signs)
        act = self._active_by_signs.get(signs)
        if act is None:
            act = tuple(i for i, conds in enumerate(self._conds)
                        if all(signs[t] in ok for t, ok in conds))
            self._active_by_signs[signs] = act
        return act

    @cached_property
    def _active_by_signs(self):
        """Active pieces by the signs of the tests."""
        return {}

    def value(self, piece_index, vals):
        """The outputs (a tuple) of one piece at ``vals``."""
        return self._value_fns[piece_index](*vals)

    def partials(self, piece_index, vals):
        """Per output, the tuple of partial derivatives of one piece w.r.t. the arguments."""
        flat = self._grad_fns[piece_index](*vals)
        r = self.arity
        return tuple(tuple(flat[o * r:(o + 1) * r]) for o in range(self.n_out))

    def test_values(self, vals):
        return self._test_fn(*vals) if self._test_fn else ()

    @cached_property
    def _test_grad_fn(self):
        args = self.symbols[:self.arity]
        flat = [sympy.diff(t, a) for t in self.tests for a in args]
        return compile_exprs(flat, self.names)

    def test_partials(self, test_index, vals):
        """Partial derivatives of one test w.r.t. the arguments at ``vals``."""
        flat = self._test_grad_fn(*vals)
        r = self.arity
        return tuple(flat[test_index * r:(test_index + 1) * r])

    def test_gradients(self):
        """Sympy gradients of each distinct test w.r.t. the arguments."""
        args = self.symbols[:self.arity]
        return tuple(tuple(sympy.diff(t, a) for a in args) for t in self.tests)

    def conditions_of(self, piece_index):
        """``(test index, allowed signs)`` pairs of one piece's closed condition."""
        return self._conds[piece_index]

    # ------------------------------------------------------------- constants
    def fix(self, positions):
        """The primitive with the arguments at ``positions`` turned into parameters.

        The new parameters come after the existing ones, in the order of ``positions``.
        """
        positions = tuple(positions)
        if positions in self._fixed:
            return self._fixed[positions]
        keep, subs = self._fixing(positions)
        # rename old params after the new args, avoiding clashes via simultaneous subs
        subs.update({c: sympy.Symbol(str(c)) for c in self.symbols[self.arity:]})
        pieces = [Piece(tuple(v.xreplace(subs) for v in pc.values),
                        tuple((t.xreplace(subs), rel) for t, rel in pc.conditions))
                  for pc in self.pieces]
        prim = Primitive(f"{self.name}", len(keep), pieces, family=self.family,
                         n_params=self.n_params + len(positions), logexp=self.logexp,
                         continuity=self.continuity, n_out=self.n_out)
        return self._remember_fixed(positions, prim)

    def _fixing(self, positions):
        """``(kept argument indices, substitution)`` behind :meth:`fix`: kept arguments
        are renumbered, fixed ones become parameters after the existing ones."""
        keep = [i for i in range(self.arity) if i not in positions]
        new_args = arg_symbols(len(keep))
        new_params = param_symbols(len(positions), start=self.n_params + 1)
        old_args = self.symbols[:self.arity]
        subs = {old_args[i]: new_args[j] for j, i in enumerate(keep)}
        subs.update({old_args[i]: new_params[j] for j, i in enumerate(positions)})
        return keep, subs

    def _remember_fixed(self, positions, prim):
        prim.base = getattr(self, "base", self)
        prim.fixed_positions = positions
        self._fixed[positions] = prim
        return prim

    def describe(self):
        """Readable list of pieces."""
        return "; ".join(f"[{i}] {pc}" for i, pc in enumerate(self.pieces))
