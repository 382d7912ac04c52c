"""User-defined set-valued fields given piecewise by exact conditions (:class:`Field`).

A condition is a sympy relation between two expressions in the inputs.  It is normalised
once, exactly: ``lhs - rhs`` is brought to a reduced fraction ``num / den`` of
polynomials (``sympy.cancel``), so that ``(x2**2 - x1**2) / (x1 + x2) == 0`` *is* the
condition ``x2 - x1 == 0`` and holds on the whole diagonal.  Where ``den ≠ 0`` the sign of
the condition's left side is the sign of ``num · den``, always taken with the certified
:func:`selcalc.numbers.sign`.  Strict relations (``>``, ``<``, ``Ne``) are strict: ``x > 0``
does not hold at ``x = 0``, nor anywhere ``x`` vanishes identically.

Along a curve ``γ`` the numerator and denominator become polynomials in ``t``; their exact
real roots cut the curve into open pieces on which every condition is either identically
true or identically false (a condition whose numerator vanishes identically along ``γ`` is
recognised as such, coefficient by coefficient, with certified signs).

Strings are refused: selcalc never hands user text to ``sympify``.  Build conditions and
vectors from ``sympy.symbols(...)``.

>>> import sympy
>>> x1, x2 = sympy.symbols("x1 x2")
>>> D = Field([([], "gradient"), ([sympy.Eq((x2**2 - x1**2) / (x1 + x2), 0)], [(0, 0)])])
>>> D.pieces[1][0][0]
Condition(-x1 + x2 == 0)
>>> D.holding_at(("x1", "x2"), (3, 3)), D.holding_at(("x1", "x2"), (1, 2))
([0, 1], [0])
>>> Field([(["x1 > 0"], [(1, 0)])])
Traceback (most recent call last):
...
selcalc.errors.InputError: a Field condition must be a sympy relation such as sympy.Symbol('x') > 0 or sympy.Eq(x2, x1), not the string 'x1 > 0' (selcalc never evaluates text as code)
"""

from __future__ import annotations

import functools
from fractions import Fraction

import sympy

from .errors import InputError, SelcalcError, Undecided
from .numbers import compare, settle, sign, to_sympy
from .points import exact_str, long_printing

_RELATIONS = {sympy.Eq: "==", sympy.Ne: "!=", sympy.GreaterThan: ">=",
              sympy.StrictGreaterThan: ">", sympy.LessThan: "<=", sympy.StrictLessThan: "<"}
_HOLDS = {"==": lambda s: s == 0, "!=": lambda s: s != 0, ">=": lambda s: s >= 0,
          ">": lambda s: s > 0, "<=": lambda s: s <= 0, "<": lambda s: s < 0}


_SIGN_ASSUMPTIONS = ("positive", "negative", "nonnegative", "nonpositive", "zero", "nonzero",
                     "integer", "rational")


def _check_assumptions(exprs):
    """Symbols must not carry sign assumptions the inputs need not satisfy (sympy would
    simplify with them: ``Symbol("x", positive=True) > 0`` is already ``True``)."""
    for e in exprs:
        for sym in e.free_symbols:
            bad = [a for a in _SIGN_ASSUMPTIONS if getattr(sym, f"is_{a}") is not None]
            if bad:
                raise InputError(f"the Field's symbol {sym} carries the assumption {bad[0]}="
                                 f"{getattr(sym, 'is_' + bad[0])}, which the inputs need not "
                                 f"satisfy: use sympy.Symbol({sym.name!r}) (or real=True)")


def _refuse_text(value, what):
    if isinstance(value, str):
        raise InputError(f"{what} must be a sympy relation such as sympy.Symbol('x') > 0 or "
                         f"sympy.Eq(x2, x1), not the string {value!r} (selcalc never "
                         f"evaluates text as code)")


def _expression(value, what):
    """A sympy expression from a number or a sympy expression (never from text)."""
    if isinstance(value, str):
        raise InputError(f"{what} must be a number or a sympy expression in the inputs, not "
                         f"the string {value!r} (selcalc never evaluates text as code)")
    if isinstance(value, sympy.Basic):
        expr = value
    elif isinstance(value, (int, Fraction, float)) and not isinstance(value, bool):
        from .points import to_exact
        expr = to_sympy(to_exact(value))
    else:
        raise InputError(f"{what} must be a number or a sympy expression, not "
                         f"{type(value).__name__} {value!r}")
    if expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo, sympy.I):
        raise InputError(f"{what} {expr} is not a finite real expression")
    return expr


@long_printing
class Condition:
    """One exact condition ``num / den  rel  0`` (``rel`` one of ``== != >= > <= <``)."""

    def __init__(self, relation):
        _refuse_text(relation, "a Field condition")
        rel = _RELATIONS.get(type(relation))
        if rel is None:
            raise InputError(f"a Field condition must be a sympy relation (Eq, Ne, >=, >, <=, "
                             f"<), not {type(relation).__name__} {relation!r}")
        self.relation = relation
        self.rel = rel
        diff = _expression(relation.lhs, "the left side of a Field condition") - \
            _expression(relation.rhs, "the right side of a Field condition")
        self.num, self.den = sympy.fraction(sympy.cancel(sympy.together(diff)))
        if self.den == 0:
            raise InputError(f"the Field condition {relation} divides by zero")

    @property
    def closed(self):
        """Whether the set where the condition holds is closed (``==``, ``>=``, ``<=``)."""
        return self.rel in ("==", ">=", "<=")

    def holds(self, s):
        """Whether the condition holds when ``lhs - rhs`` has the sign ``s``."""
        return _HOLDS[self.rel](s)

    def __repr__(self):
        return f"Condition({self.num if self.den == 1 else self.num / self.den} {self.rel} 0)"

    # ------------------------------------------------------------------ evaluation
    def sign_at(self, subs, where):
        """Certified sign of ``lhs - rhs`` at a point (``subs``: symbol -> exact value)."""
        den = sympy.expand(self.den.xreplace(subs))
        if sign(den) == 0:
            raise SelcalcError(f"the Field condition {exact_str(self.relation)} is undefined at "
                               f"{where} (its denominator {exact_str(self.den)} vanishes "
                               f"there)")
        return sign(sympy.expand(self.num.xreplace(subs)) * den)

    def along(self, subs, var):
        """``(num, den)`` along a curve as lists of exact coefficients in ``var`` (highest
        first, certified-zero leading coefficients removed; ``[]`` is the zero polynomial)."""
        return _coefficients(self.num.xreplace(subs), var), \
            _coefficients(self.den.xreplace(subs), var)


def _coefficients(expr, var):
    expr = sympy.expand(expr)
    try:
        coeffs = sympy.Poly(expr, var).all_coeffs()
    except sympy.PolynomialError:
        raise Undecided(f"the Field condition along the curve, {expr}, is not a polynomial in "
                        f"{var}: only rational conditions can be cut exactly") from None
    if any(c.free_symbols for c in coeffs):
        raise Undecided(f"the Field condition along the curve, {expr}, is not a polynomial in "
                        f"{var}: only rational conditions can be cut exactly")
    coeffs = [settle(c) for c in coeffs]
    while coeffs and sign(to_sympy(coeffs[0])) == 0:  # certified zeros, e.g. log 6 - log 2 - log 3
        coeffs.pop(0)
    return coeffs


def _value(coeffs, t):
    out = sympy.Integer(0)
    for c in coeffs:
        out = out * t + to_sympy(c)
    return sympy.expand(out)


def _rational_below(r):
    """A rational in ``(0, r)`` for an exact real ``r > 0`` (certified)."""
    r = to_sympy(r)
    if r.is_Rational:
        return r / 2
    for digits in (20, 60, 200):
        q = sympy.Rational(str(sympy.N(r, digits))) / 2
        if sign(q) > 0 and sign(r - q) > 0:
            return q
    raise Undecided(f"could not find a rational between 0 and {r}")


def _real_roots(coeffs, var):
    if len(coeffs) <= 1:
        return []
    if not all(to_sympy(c).is_Rational for c in coeffs):
        raise Undecided(f"the Field condition along the curve has irrational coefficients "
                        f"{coeffs}: its exact roots are not isolated")
    poly = sympy.Poly([to_sympy(c) for c in coeffs], var)
    return list(dict.fromkeys(poly.real_roots()))


class Field:
    """A user-defined set-valued field, given piecewise by exact conditions.

    Parameters
    ----------
    pieces : list of (conditions, vectors)
        ``conditions``: a list of sympy relations in the input symbols (``Eq``, ``Ne``,
        ``>=``, ``>``, ``<=``, ``<``; all must hold; an empty list means everywhere), each
        normalised exactly (see :mod:`selcalc.user_fields`); ``vectors``: a list of vectors
        (numbers or sympy expressions in the inputs) or the string ``"gradient"`` (the
        gradients ``∇f_σ`` of the consistent patterns).  ``D(x)`` is the hull of the
        vectors of every piece whose conditions hold at ``x``; it must not be empty.
    symbols : names of the inputs (default: the program's).  Symbols are matched by name,
        so ``sympy.Symbol("x", real=True)`` denotes the input ``x``.

    Text is refused (:class:`selcalc.InputError`): conditions and vectors are sympy objects.

    >>> x1, x2 = sympy.symbols("x1 x2")
    >>> D = Field([([], "gradient"), ([sympy.Eq(x2, 0), x1 >= 0, x1 <= 1], [(0, 0)])])
    >>> relu_derivative = Field([([x1 > 0], [(1,)]), ([x1 <= 0], [(0,)])], symbols=["x1"])
    """

    def __init__(self, pieces, symbols=None):
        if isinstance(pieces, (str, bytes)) or not hasattr(pieces, "__iter__"):
            raise InputError("a Field is a list of (conditions, vectors) pairs")
        self.pieces = []
        for k, piece in enumerate(pieces):
            try:
                conds, vectors = piece
            except (TypeError, ValueError):
                raise InputError(f"piece {k} of the Field is not a (conditions, vectors) "
                                 f"pair: {piece!r}") from None
            if isinstance(conds, (sympy.Basic, str)):
                conds = [conds]
            if isinstance(conds, bytes) or not hasattr(conds, "__iter__"):
                raise InputError(f"piece {k} of the Field: the conditions must be a list of "
                                 f"sympy relations (or one relation), not {conds!r}")
            norm = []
            for c in conds:
                if c is True or c is sympy.true:
                    continue
                if c is False or c is sympy.false:
                    norm = None
                    break
                norm.append(Condition(c))
            if norm is None:
                continue  # a piece that never applies
            if isinstance(vectors, str):
                if vectors != "gradient":
                    raise InputError(f"piece {k} of the Field: vectors must be a list of "
                                     f"vectors or the string 'gradient', not {vectors!r}")
            elif isinstance(vectors, bytes) or not hasattr(vectors, "__iter__"):
                raise InputError(f"piece {k} of the Field: vectors must be a list of "
                                 f"vectors or the string 'gradient', not {vectors!r}")
            else:
                vectors = [tuple(_expression(c, f"a component of a vector of piece {k}")
                                 for c in (v if isinstance(v, (tuple, list)) else (v,)))
                           for v in vectors]
            self.pieces.append((norm, vectors))
            _check_assumptions([e for c in norm for e in (c.num, c.den)] +
                               ([] if vectors == "gradient" else [e for v in vectors for e in v]))
        self.symbols = None if symbols is None else tuple(str(s) for s in symbols)

    @property
    def closed(self):
        """Whether every condition is closed (``==``, ``>=``, ``<=``)."""
        return all(c.closed for conds, _ in self.pieces for c in conds)

    # ------------------------------------------------------------------ binding
    def _names(self, names):
        return tuple(self.symbols or names)

    def _subs(self, names, values):
        """symbol -> value for every free symbol of the field, matched by name."""
        names = self._names(names)
        by_name = dict(zip(names, values))
        subs = {}
        for conds, vectors in self.pieces:
            exprs = [e for c in conds for e in (c.num, c.den)]
            if vectors != "gradient":
                exprs.extend(e for v in vectors for e in v)
            for e in exprs:
                for s in e.free_symbols:
                    if s.name not in by_name:
                        raise InputError(f"the Field uses the symbol {s.name}, which is not an "
                                         f"input (inputs: {', '.join(names)})")
                    subs[s] = by_name[s.name]
        return subs

    # ------------------------------------------------------------------ at a point
    def holding_at(self, names, x):
        """Indices of the pieces whose conditions hold at the point ``x`` (exact)."""
        subs = self._subs(names, [to_sympy(v) for v in x])
        where = f"x = ({', '.join(exact_str(v) for v in x)})"
        return [k for k, (conds, _) in enumerate(self.pieces)
                if all(c.holds(c.sign_at(subs, where)) for c in conds)]

    def vectors_at(self, names, x, k):
        """The explicit vectors of piece ``k`` at the point ``x`` (exact)."""
        subs = self._subs(names, [to_sympy(v) for v in x])
        return [tuple(sympy.expand(c.xreplace(subs)) for c in v) for v in self.pieces[k][1]]

    # ------------------------------------------------------------------ along a curve
    def cuts(self, names, exprs, var, lo=0, hi=1):
        """Exact real roots in ``(lo, hi)`` of every condition's numerator and denominator
        along the curve ``exprs(var)``; between two of them every condition is constant."""
        subs = self._subs(names, exprs)
        out = []
        for conds, _ in self.pieces:
            for c in conds:
                num, den = c.along(subs, var)
                if not den:
                    raise Undecided(f"the Field condition {c.relation} is undefined all along "
                                    f"the curve (its denominator {c.den} vanishes on it)")
                for r in _real_roots(num, var) + _real_roots(den, var):
                    if sign(to_sympy(r) - to_sympy(lo)) > 0 and \
                            sign(to_sympy(hi) - to_sympy(r)) > 0:
                        out.append(r)
        return out

    def holding_along(self, names, exprs, var, mid):
        """Indices of the pieces whose conditions hold on the open piece of the curve
        containing ``mid`` (a point strictly between two consecutive :meth:`cuts`)."""
        subs = self._subs(names, exprs)
        out = []
        for k, (conds, _) in enumerate(self.pieces):
            ok = True
            for c in conds:
                num, den = c.along(subs, var)
                if not num:
                    s = 0  # vanishes identically along the curve
                else:
                    s = sign(_value(num, mid) * _value(den, mid))
                    if s == 0:
                        raise Undecided(f"the Field condition {c.relation} vanishes at t = "
                                        f"{exact_str(mid)}, which is not a cut: please report this")
                ok = ok and c.holds(s)
            if ok:
                out.append(k)
        return out

    def holding_near_start(self, names, exprs, var):
        """Indices of the pieces whose conditions hold along the curve for every small
        ``var > 0`` (on ``(0, r)``, ``r`` the first cut)."""
        cuts = self.cuts(names, exprs, var, 0, 1)
        first = min(cuts, key=functools.cmp_to_key(compare)) if cuts else 1
        return self.holding_along(names, exprs, var, _rational_below(first))

    def vectors_along(self, names, exprs, k):
        """The explicit vectors of piece ``k`` along the curve (expressions in t)."""
        subs = self._subs(names, exprs)
        return [tuple(c.xreplace(subs) for c in v) for v in self.pieces[k][1]]

    def holds_near(self, names, curve_exprs, var, t, k):
        """Independent re-check that piece ``k``'s conditions hold on a neighbourhood of
        ``t`` along the curve: each original relation is evaluated at ``γ(t)``; a relation
        whose two sides agree there must be a closed one whose sides agree identically
        along the curve (``sympy.cancel`` of the difference is 0)."""
        names = self._names(names)
        tv = to_sympy(t)
        for c in self.pieces[k][0]:
            by_name = dict(zip(names, curve_exprs))
            diff = c.relation.lhs - c.relation.rhs
            along = diff.xreplace({s: by_name[s.name] for s in diff.free_symbols})
            value = sympy.cancel(along).xreplace({var: tv})
            if value.has(sympy.nan, sympy.zoo):
                return False
            s = sign(value)
            if s == 0:
                num = sympy.fraction(sympy.cancel(along))[0]
                if not (c.closed and all(sign(k) == 0 for k in
                                         sympy.Poly(sympy.expand(num), var).all_coeffs())):
                    return False
            elif not c.holds(s):
                return False
        return True


__all__ = ["Condition", "Field"]
