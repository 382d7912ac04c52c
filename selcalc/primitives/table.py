"""Every built-in primitive, declared once as data.

Piece order matters only for conventions that pick "the lowest tied index" (the
``"selection"`` convention): pieces run from the left of the kink to its right, and
argument order for ``max`` / ``min``; ``sort`` lists permutations lexicographically
(identity first).  Adding a primitive is one block here plus one row in
``tests/test_primitives.py``.

>>> PRIMITIVES["abs"].describe()
'[0] -a1 if a1 <= 0; [1] a1 if a1 >= 0'
>>> max_primitive(3).active((1, 1, 0))
(0, 1)
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from functools import cached_property, cmp_to_key, lru_cache
from math import factorial, gcd, prod

import sympy

from ..errors import PatternBudgetExceeded, ProgramError, count_str
from ..numbers import sign, to_sympy
from .core import Primitive, arg_symbols, param_symbols, piece

a1, a2, a3 = arg_symbols(3)


def _smooth(name, expr, logexp=True, arity=1):
    return Primitive(name, arity, [piece(expr)], family="smooth", logexp=logexp)


PRIMITIVES = {
    # arithmetic
    "add": _smooth("add", a1 + a2, arity=2),
    "sub": _smooth("sub", a1 - a2, arity=2),
    "mul": _smooth("mul", a1 * a2, arity=2),
    "div": _smooth("div", a1 / a2, arity=2),
    "neg": _smooth("neg", -a1),
    "identity": _smooth("identity", a1),
    # smooth elementary functions (log-exp class unless flagged)
    "exp": _smooth("exp", sympy.exp(a1)),
    "log": _smooth("log", sympy.log(a1)),
    "sqrt": _smooth("sqrt", sympy.sqrt(a1)),
    "sin": _smooth("sin", sympy.sin(a1), logexp=False),
    "cos": _smooth("cos", sympy.cos(a1), logexp=False),
    "tanh": _smooth("tanh", sympy.tanh(a1)),
    "sigmoid": _smooth("sigmoid", 1 / (1 + sympy.exp(-a1))),
    "softplus": _smooth("softplus", sympy.log(1 + sympy.exp(a1))),
    # piecewise
    "relu": Primitive("relu", 1, [piece(0, le=[a1]), piece(a1, ge=[a1])]),
    "abs": Primitive("abs", 1, [piece(-a1, le=[a1]), piece(a1, ge=[a1])]),
    "leaky_relu": Primitive("leaky_relu", 2, [piece(a2 * a1, le=[a1]), piece(a1, ge=[a1])]),
    # branching on a test t = a1: "a2 if t >= 0 else a3", and "a2 if t == 0 else a3"
    "where": Primitive("where", 3, [piece(a2, ge=[a1]), piece(a3, le=[a1])],
                       continuity="program"),
    "where_eq": Primitive("where_eq", 3, [piece(a2, eq=[a1]), piece(a3)],
                          family="where", continuity="program"),
}


def _extremum(r, largest):
    """``max`` / ``min`` of r arguments: piece i is ``a_i`` where it beats every other."""
    args = arg_symbols(r)
    side = "ge" if largest else "le"
    pieces = [piece(a, **{side: [a - b for b in args if b is not a]}) for a in args]
    word = "max" if largest else "min"
    name = word if r > 2 else word + "imum"
    return Primitive(name, r, pieces, family=name)


@lru_cache(maxsize=None)
def max_primitive(r):
    """``max(a1..ar)``: family ``"maximum"`` for r = 2 (elementwise), ``"max"`` (reduction)."""
    return _extremum(r, largest=True)


@lru_cache(maxsize=None)
def min_primitive(r):
    """``min(a1..ar)``: family ``"minimum"`` for r = 2, ``"min"`` for r >= 3."""
    return _extremum(r, largest=False)


#: the largest ``sort`` (entries per row) the frontends accept
MAX_SORT_ENTRIES = 16
#: the largest number of tied orders a ``sort`` node enumerates at one point (8!); raise it
#: with ``selcalc.primitives.table.MAX_TIED_ORDERS = ...`` before the computation
MAX_TIED_ORDERS = 40320
#: implicit pieces are listed one by one (``list(prim.pieces)``) only up to this many
MAX_LISTED_PIECES = 40320


def _rank(perm):
    """Index of ``perm`` (a permutation of ``0..r-1``) in lexicographic order."""
    r, rank, left = len(perm), 0, list(range(len(perm)))
    for pos, v in enumerate(perm):
        k = left.index(v)
        rank += k * factorial(r - 1 - pos)
        left.pop(k)
    return rank


def _unrank(r, rank):
    """The permutation of ``0..r-1`` of index ``rank`` in lexicographic order."""
    left, perm = list(range(r)), []
    for pos in range(r):
        k, rank = divmod(rank, factorial(r - 1 - pos))
        perm.append(left.pop(k))
    return tuple(perm)


def _test_pairs(r):
    """The ordered pairs ``(i, j)`` of the tests ``a_i - a_j``, in the order in which the
    explicit construction (pieces in lexicographic order, each listing the tests of its
    consecutive outputs) meets them first.

    Pair ``(i, j)`` first occurs in the smallest permutation where ``j`` follows ``i``:
    ``0..i-1, i, j, (the rest ascending)`` for ``i < j``, and
    ``0..j-1, j+1..i-1, i, j, (the rest ascending)`` for ``i > j``.
    """
    keys = []
    for i in range(r):
        for j in range(r):
            if i == j:
                continue
            if i < j:
                head = list(range(i))
            else:
                head = list(range(j)) + list(range(j + 1, i))
            perm = head + [i, j] + [v for v in range(r) if v not in head and v not in (i, j)]
            keys.append(((_rank(perm), len(head)), (i, j)))
    return tuple(pair for _, pair in sorted(keys))


class _ImplicitPieces:
    """The pieces of an implicit primitive as a read-only sequence, built on demand."""

    def __init__(self, prim):
        self.prim = prim

    def __len__(self):
        return self.prim.n_pieces

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.prim.piece(j) for j in range(*i.indices(self.prim.n_pieces))]
        if i < 0:
            i += self.prim.n_pieces
        if not 0 <= i < self.prim.n_pieces:
            raise IndexError(i)
        return self.prim.piece(i)

    def __iter__(self):
        n = self.prim.n_pieces
        if n > MAX_LISTED_PIECES:
            raise ProgramError(
                f"{self.prim.name} has {n} pieces: this question lists every piece, which "
                f"is limited to {MAX_LISTED_PIECES} (raise "
                f"selcalc.primitives.table.MAX_LISTED_PIECES, or ask at a point: clarke, "
                f"ad_outputs and gradients enumerate only the tied orders)")
        return (self.prim.piece(i) for i in range(n))


class TiedOrders:
    """The consistent orders of a sort at a point when there are more than
    :data:`MAX_TIED_ORDERS` of them: a read-only sequence of piece indices (lexicographic)
    that can be indexed, measured and searched without being listed.

    Questions that need one order (a "first" / "last" / "prefer" convention,
    ``clarke_element``, a directional derivative) work; listing them all raises
    :class:`selcalc.PatternBudgetExceeded`, which names the constant to raise.
    """

    def __init__(self, prim, groups):
        self.prim, self.groups = prim, [sorted(g) for g in groups]
        self.sizes = [factorial(len(g)) for g in self.groups]
        self.count = prod(self.sizes)
        self.block = {v: b for b, g in enumerate(self.groups) for v in g}

    def __len__(self):
        return self.count

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(self.count))]
        if k < 0:
            k += self.count
        if not 0 <= k < self.count:
            raise IndexError(k)
        digits = []
        for size in reversed(self.sizes):
            k, d = divmod(k, size)
            digits.append(d)
        perm = []
        for g, d in zip(self.groups, reversed(digits)):
            perm.extend(g[j] for j in _unrank(len(g), d))
        return _rank(perm)

    def __contains__(self, i):
        if not (isinstance(i, int) and 0 <= i < self.prim.n_pieces):
            return False
        blocks = [self.block[v] for v in _unrank(self.prim.r, i)]
        return all(a <= b for a, b in zip(blocks, blocks[1:]))

    def __iter__(self):
        if self.count <= MAX_TIED_ORDERS:  # the limit was raised since
            return (self[k] for k in range(self.count))
        exc = PatternBudgetExceeded(self.count, MAX_TIED_ORDERS)
        exc.args = (f"{count_str(self.count)} tied orders of the entries of {self.prim.name} "
                    f"exceed the {MAX_TIED_ORDERS} a sort node lists at one point; set "
                    f"selcalc.primitives.table.MAX_TIED_ORDERS = {count_str(self.count)} "
                    f"(or larger) "
                    f"to list them, or ask for one element (selcalc.clarke_element, grad "
                    f"under a selection convention)",)
        raise exc

    def __repr__(self):
        return f"<{count_str(self.count)} tied orders of {self.prim.name}>"


class SortPrimitive(Primitive):
    """Ascending ``sort`` of ``r`` entries with its ``r!`` pieces held implicitly.

    Piece ``i`` is the ``i``-th permutation ``π`` of ``0..r-1`` in lexicographic order
    (identity first): outputs ``(a_π(1), …, a_π(r))`` where ``a_π(1) <= … <= a_π(r)``.
    No piece is built until asked for: at a point, :meth:`active` sorts the entries
    (certified comparisons), groups the ties and lists the consistent permutations — the
    product of the permutations of each tie group, ``Π (group size)!`` of them, already in
    lexicographic order — by their index.  The tests are the differences ``a_i - a_j``
    (``i != j``), numbered as the explicit construction numbers them.

    ``slots`` (after :meth:`fix`) names the symbol of each entry: an argument ``a_k`` or a
    parameter ``c_k`` (a constant entry of the row).

    ``read`` (a tuple of output positions, or None for all) says which outputs the program
    uses: ``topk(x, k)`` reads the first k, a median one.  Tied orders that put the same
    entries at the read positions then give the same value and derivative, and
    :meth:`distinct_readings` keeps one of them: a tie among entries that are not returned
    is no tie for the rules of a convention.
    """

    def __init__(self, r, name=None, family="sort", slots=None, n_params=0, read=None):
        slots = tuple(slots) if slots is not None else arg_symbols(r)
        self.read = None if read is None else tuple(sorted(set(read)))
        self.r = r
        self.name = name or f"sort{r}"
        self.family = family
        self.n_params = n_params
        self.logexp, self.continuity, self.n_out = True, "check", r
        self.arity = r - n_params
        self.symbols = arg_symbols(self.arity) + param_symbols(n_params)
        self.names = tuple(str(t) for t in self.symbols)
        self.slots = slots
        self._slot_pos = tuple(self.symbols.index(t) for t in slots)
        self._pairs = _test_pairs(r)
        self._pair_index = {pair: t for t, pair in enumerate(self._pairs)}
        self.tests = tuple(slots[i] - slots[j] for i, j in self._pairs)
        self.branching = r > 1
        self._fixed = {}
        self._perms = {}

    @property
    def n_pieces(self):
        return factorial(self.r)

    affine = True

    @property
    def pieces(self):
        return _ImplicitPieces(self)

    def _perm(self, i):
        perm = self._perms.get(i)
        if perm is None:
            if len(self._perms) > 4096:
                self._perms.clear()
            perm = self._perms[i] = _unrank(self.r, i)
        return perm

    def piece(self, i):
        perm = self._perm(i)
        outs = [self.slots[v] for v in perm]
        return piece(*outs, le=[outs[k] - outs[k + 1] for k in range(self.r - 1)])

    def shape_pieces(self):
        """The ``r`` cyclic shifts: every output meets every entry in one of them."""
        return [self.piece(_rank([(o + s) % self.r for o in range(self.r)]))
                for s in range(self.r)]

    def describe(self):
        if self.n_pieces <= 24:
            return super().describe()
        return (f"[i] the i-th of the {self.n_pieces} permutations p of the entries in "
                f"lexicographic order: (a_p1, ..., a_p{self.r}) if a_p1 <= ... <= a_p{self.r}")

    # ------------------------------------------------------------- evaluation
    def _orders(self, compare):
        """Indices of the permutations consistent with ``compare(i, j)`` (the sign of
        entry i minus entry j), in lexicographic order: a tuple of at most
        MAX_TIED_ORDERS, else a :class:`TiedOrders` that is never listed."""
        order = sorted(range(self.r), key=cmp_to_key(compare))
        groups = [[order[0]]]
        for a, b in zip(order, order[1:]):
            if compare(a, b) == 0:
                groups[-1].append(b)
            else:
                groups.append([b])
        if prod(factorial(len(g)) for g in groups) > MAX_TIED_ORDERS:
            return TiedOrders(self, groups)
        return tuple(_rank([v for block in blocks for v in block]) for blocks in
                     itertools.product(*(itertools.permutations(sorted(g)) for g in groups)))

    def active(self, vals):
        entries = [vals[p] for p in self._slot_pos]
        cache = {}

        def compare(i, j):
            s = cache.get((i, j))
            if s is None:
                s = cache[i, j] = sign(entries[i] - entries[j])
                cache[j, i] = -s
            return s
        return self._orders(compare)

    def distinct_readings(self, active):
        """One order per distinct choice of entries at the read positions (the first in
        lexicographic order).  The orders tied at a point all have the same multiplicity
        per reading (a product of factorials of what is left of each tie group), so an
        even split over the readings is the even split over the orders.

        >>> s = sort_primitive(4, "topk", read=(0,))
        >>> act = s.active((3, 3, 1, 1))  # two ties; only the smallest entry is read
        >>> len(act), [s.value(i, (3, 3, 1, 1))[0] for i in s.distinct_readings(act)]
        (4, [1, 1])
        >>> [s._perm(i)[0] for i in s.distinct_readings(act)]  # entry 2 or entry 3 first
        [2, 3]
        >>> len(s.distinct_readings(s.active((0, 1, 5, 5))))  # the tie is not read
        1
        """
        if self.read is None or len(active) == 1:
            return active
        if isinstance(active, TiedOrders):  # too many to list: count readings by group
            start, readings = 0, 1
            for g in active.groups:
                s = sum(1 for k in self.read if start <= k < start + len(g))
                readings *= factorial(len(g)) // factorial(len(g) - s)
                start += len(g)
            if readings == 1:
                return (active[0],)
            if readings > MAX_TIED_ORDERS:
                return active
        seen, kept = set(), []
        for i in active:
            perm = self._perm(i)
            key = tuple(perm[k] for k in self.read)
            if key not in seen:
                seen.add(key)
                kept.append(i)
        return tuple(kept)

    def active_from_signs(self, signs):
        index = self._pair_index
        return self._orders(lambda i, j: signs[index[i, j]])

    def conditions_of(self, piece_index):
        perm, index = self._perm(piece_index), self._pair_index
        return tuple((index[perm[k], perm[k + 1]], (-1, 0)) for k in range(self.r - 1))

    def value(self, piece_index, vals):
        pos = self._slot_pos
        return tuple(vals[pos[v]] for v in self._perm(piece_index))

    def partials(self, piece_index, vals):
        pos, n = self._slot_pos, self.arity
        return tuple(tuple(int(j == pos[v]) for j in range(n)) for v in self._perm(piece_index))

    def test_values(self, vals):
        e = [vals[p] for p in self._slot_pos]
        return tuple(e[i] - e[j] for i, j in self._pairs)

    def test_partials(self, test_index, vals):
        i, j = self._pairs[test_index]
        pi, pj, n = self._slot_pos[i], self._slot_pos[j], self.arity
        return tuple(int(k == pi) - int(k == pj) for k in range(n))

    def test_gradients(self):
        return tuple(tuple(sympy.Integer(v) for v in self.test_partials(t, ()))
                     for t in range(len(self.tests)))

    def z3_output(self, out, entries, z3):
        """The z3 term of output ``out`` given the z3 terms of the entries (a bubble-sort
        network of compare-exchanges: ``r(r-1)/2`` conditionals, not ``r!``)."""
        xs = list(entries)
        for end in range(self.r - 1, 0, -1):
            for k in range(end):
                a, b = xs[k], xs[k + 1]
                xs[k], xs[k + 1] = z3.If(a <= b, a, b), z3.If(a <= b, b, a)
        return xs[out]

    def entries(self, vals):
        """The entries of the row (arguments and constant slots) in order."""
        return [vals[p] for p in self._slot_pos]

    # ------------------------------------------------------------- constants
    def fix(self, positions):
        positions = tuple(positions)
        if positions in self._fixed:
            return self._fixed[positions]
        _, subs = self._fixing(positions)
        prim = SortPrimitive(self.r, self.name, self.family,
                             tuple(subs.get(t, t) for t in self.slots),
                             self.n_params + len(positions), self.read)
        return self._remember_fixed(positions, prim)


@lru_cache(maxsize=None)
def sort_primitive(r, family="sort", read=None):
    """Ascending ``sort(a1..ar)``: r outputs sharing one piece (a permutation), held
    implicitly (:class:`SortPrimitive`): only the orders consistent with the ties at a
    point are ever listed.  ``read`` (a tuple of positions) declares that only those
    outputs are used (see :meth:`SortPrimitive.distinct_readings`); the name then says so.

    >>> s = sort_primitive(12)
    >>> s.n_pieces
    479001600
    >>> len(s.active((0, 0, 0, 1, 2, 3, 4, 5, 5, 5, 6, 7)))  # two ties of 3: 3! * 3!
    36
    >>> s.value(s.active((2, 1, 3, 0, 4, 5, 6, 7, 8, 9, 10, 11))[0], tuple(range(12)))
    (3, 1, 0, 2, 4, 5, 6, 7, 8, 9, 10, 11)
    """
    name = f"sort{r}" if family == "sort" else f"{family}{r}"
    if read is not None:
        read = tuple(sorted(set(read)))
        if not read or not all(isinstance(k, int) and 0 <= k < r for k in read):
            raise ProgramError(f"{name}: read positions {read} are not outputs 0..{r - 1}")
        if len(read) < r:
            name += "_at_" + "_".join(map(str, read))
        else:
            read = None
    return SortPrimitive(r, name, family, read=read)


def explicit_sort_primitive(r):
    """The same sort with its ``r!`` pieces built one by one (the reference construction,
    for tests and benchmarks; small ``r`` only)."""
    args = arg_symbols(r)
    pieces = []
    for perm in itertools.permutations(range(r)):
        outs = [args[i] for i in perm]
        pieces.append(piece(*outs, le=[outs[i] - outs[i + 1] for i in range(r - 1)]))
    return Primitive(f"sort{r}", r, pieces, family="sort", n_out=r)


@lru_cache(maxsize=None)
def where_primitive(n, eq=False):
    """One branch statement choosing ``n`` values at once: ``(u1..un) if t >= 0 else (v1..vn)``.

    Arguments ``(t, u1..un, v1..vn)``; ``n`` outputs sharing **one** piece index, like
    ``sort``: every execution takes one branch for all of them.  ``eq=True`` tests
    ``t == 0`` instead.  ``n = 1`` is the scalar ``where`` / ``where_eq``.

    >>> where_primitive(2).describe()
    '[0] (a2, a3) if a1 >= 0; [1] (a4, a5) if a1 <= 0'
    """
    if n == 1:
        return PRIMITIVES["where_eq" if eq else "where"]
    args = arg_symbols(1 + 2 * n)
    t, us, vs = args[0], args[1:n + 1], args[n + 1:]
    if eq:
        pieces = [piece(*us, eq=[t]), piece(*vs)]
    else:
        pieces = [piece(*us, ge=[t]), piece(*vs, le=[t])]
    return Primitive("where_eq" if eq else "where", 1 + 2 * n, pieces, family="where",
                     continuity="program", n_out=n)


@lru_cache(maxsize=None)
def clip_primitive(lo, hi):
    """``clip(x, lo, hi)`` with constant bounds ``lo <= hi``."""
    lo_s, hi_s = to_sympy(lo), to_sympy(hi)
    return Primitive(f"clip[{lo},{hi}]", 1, [
        piece(lo_s, le=[a1 - lo_s]),
        piece(a1, ge=[a1 - lo_s], le=[a1 - hi_s]),
        piece(hi_s, ge=[a1 - hi_s]),
    ], family="clip")


@lru_cache(maxsize=None)
def pow_primitive(n):
    """``a1 ** n`` for an integer n."""
    return _smooth(f"pow[{n}]", a1 ** n)


@lru_cache(maxsize=None)
def const_primitive(value):
    """A node with no arguments that outputs a constant."""
    return Primitive(f"const[{value}]", 0, [piece(to_sympy(value))], family="smooth")


def lookup(name, arity):
    """The primitive called ``name`` with ``arity`` arguments (for ``from_paper``)."""
    if name in ("max", "maximum"):
        return max_primitive(arity)
    if name in ("min", "minimum"):
        return min_primitive(arity)
    prim = PRIMITIVES.get(name)
    if prim is None:
        raise KeyError(name)
    return prim


_RATIONAL = (int, Fraction)


def _rational_dot(pairs):
    """``Σ a*b`` over int / Fraction pairs with integer arithmetic and one final reduction.

    Keeps one running denominator (no gcd per term when the denominators divide each
    other, as for the dyadic values of float inputs and weights).
    """
    num, den = 0, 1
    for a, b in pairs:
        if type(a) is int:
            an, ad = a, 1
        else:
            an, ad = a.numerator, a.denominator
        if type(b) is int:
            bn, bd = b, 1
        else:
            bn, bd = b.numerator, b.denominator
        n, d = an * bn, ad * bd
        if d == den:
            num += n
        elif den % d == 0:
            num += n * (den // d)
        elif d % den == 0:
            num = num * (d // den) + n
            den = d
        else:
            g = gcd(den, d)
            num = num * (d // g) + n * (den // g)
            den = den * (d // g)
    if den == 1:
        return num
    out = Fraction(num, den)
    return out.numerator if out.denominator == 1 else out


class AffinePrimitive(Primitive):
    """``c1*a1 + … + cn*an + a(n+1)*a(n+2) + … + c(n+1)`` (see :func:`affine_primitive`).

    Its value and partials are plain Python closures (no sympy differentiation of a sum of
    hundreds of terms); the sympy piece, needed only by the symbolic interpreters, is built
    on first use.
    """

    def __init__(self, n_lin, n_bil):
        self.n_lin, self.n_bil = n_lin, n_bil
        self.name = f"dot[{n_lin},{n_bil}]"
        self.arity = n_lin + 2 * n_bil
        self.family, self.n_params = "smooth", n_lin + 1
        self.logexp, self.continuity, self.n_out = True, "check", 1
        self.symbols = arg_symbols(self.arity) + sympy.symbols(f"c1:{n_lin + 2}")
        self.names = tuple(str(t) for t in self.symbols)
        self.tests, self._conds, self.branching, self._fixed = (), ((),), False, {}

    @property
    def affine(self):
        """Affine in the arguments unless there are products of two arguments."""
        return self.n_bil == 0

    @cached_property
    def pieces(self):
        n, args, coeffs = self.n_lin, self.symbols[:self.arity], self.symbols[self.arity:]
        terms = [coeffs[i] * args[i] for i in range(n)] + [coeffs[n]]
        terms += [args[n + 2 * j] * args[n + 2 * j + 1] for j in range(self.n_bil)]
        return (piece(sympy.Add(*terms)),)

    @cached_property
    def _value_fns(self):
        n, r = self.n_lin, self.arity

        def value(*v):
            pairs = [(v[r + i], v[i]) for i in range(n)] + \
                [(v[j], v[j + 1]) for j in range(n, r, 2)] + [(v[r + n], 1)]
            if all(type(a) in _RATIONAL and type(b) in _RATIONAL for a, b in pairs):
                return (_rational_dot(pairs),)
            total = 0
            for a, b in pairs:
                total += a * b
            return (total,)
        return (value,)

    @cached_property
    def _grad_fns(self):
        n, r = self.n_lin, self.arity

        def grad(*v):
            out = list(v[r:r + n])
            for j in range(n, r, 2):
                out.extend((v[j + 1], v[j]))
            return tuple(out)
        return (grad,)


@lru_cache(maxsize=None)
def affine_primitive(n_lin, n_bil):
    """``c1*a1 + … + cn*an + a(n+1)*a(n+2) + … + c(n+1)``: a whole dot product in one node.

    ``n_lin`` arguments times constant weights, ``n_bil`` products of two arguments, plus
    a constant.  Tensor frontends lower a row of a matrix product or one output of a
    convolution to one such node (instead of ``2n`` scalar nodes); its partials are the
    weights and the other factors.

    >>> P = affine_primitive(2, 1)
    >>> P.value(0, (1, 2, 3, 4, 10, 100, 7))
    (229,)
    >>> P.partials(0, (1, 2, 3, 4, 10, 100, 7))
    ((10, 100, 4, 3),)
    >>> P.pieces[0].values[0] == sympy.sympify("c1*a1 + c2*a2 + a3*a4 + c3")
    True
    """
    return AffinePrimitive(n_lin, n_bil)
