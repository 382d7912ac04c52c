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
from functools import cached_property, lru_cache
from math import gcd

import sympy

from ..numbers import to_sympy
from .core import Primitive, arg_symbols, piece

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


@lru_cache(maxsize=None)
def sort_primitive(r):
    """Ascending ``sort(a1..ar)``: r outputs sharing one piece (a permutation)."""
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
