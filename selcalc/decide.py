"""Local decisions with certificates: is ``x`` in the closure of the interior of ``R_σ``?

Near ``x`` only the *tight* tests matter (those equal to 0 at ``x``); each gives a
first-order constraint ``c = s·∇(t∘F_σ)(x)`` (``s = ±1`` from the condition's direction).

1. Open cone ``{d : c·d > 0 for all c}`` nonempty → yes; certificate: a direction ``d``.
   Exact for affine tests, sufficient for smooth ones.
2. Affine tests and an empty open cone → no; certificate: Gordan multipliers ``λ``.
3. Smooth tests whose closed cone ``{d : c·d >= 0}`` is ``{0}`` → no; certificate:
   Stiemke multipliers (``λ > 0``, ``Σ λ c = 0``, full rank).
4. Otherwise, polynomial tests are decided exactly by z3 (quantified nonlinear real
   arithmetic: for every ε > 0 a point within ε where all tight tests are strict);
   anything else is *unknown*.

Before any of this, a tight test that vanishes *identically* near ``x`` is dropped: it
imposes nothing (:func:`vanishes_near` decides this exactly, or says unknown).

All LPs go through the exact LP backend of :mod:`selcalc.polyhedra` (a float
proposal verified in rational arithmetic), so certificates are exact.  Every z3 call
runs under a counted resource limit (z3's ``rlimit``), never a wall-clock timeout, so a
decision is the same on an idle and on a loaded machine.

>>> from fractions import Fraction
>>> d = open_cone([(1, 0), (0, 1)])
>>> d.holds, d.certificate["kind"]
(True, 'direction')
>>> open_cone([(1, 0), (-1, 0)]).certificate["lambda"]
(Fraction(1, 2), Fraction(1, 2))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy
import z3

from .errors import Undecided
from .numbers import (all_rational, dot, exact, interval_sign, normalize, sign,
                      simplifies_to_zero, to_sympy)
from .points import exact_str, long_printing, parse_expression
from .polyhedra import gordan, rank, strictly_positive_combination
from .smt import NotPolynomial, rational, solver, to_z3

#: z3 resource units for one quantified nonlinear decision (:func:`local_interior`): about
#: a second of z3 on an idle machine (the cost per unit grows with the formula).
SMT_RLIMIT = 600_000


def _solver(rlimit=SMT_RLIMIT, tactic=None):
    """A z3 solver from :func:`selcalc.smt.solver` with a counted resource limit only.

    The answer then depends on the formula, not on the machine's load: a call that runs
    out of resource units does so on every machine.
    """
    return solver(rlimit, tactic=tactic)


@long_printing
@dataclass
class Decision:
    """A three-valued local answer with its certificate (see :mod:`selcalc.certificates`)."""

    holds: bool | None
    certificate: dict = field(default_factory=dict)


class Counter:
    """Counts solver calls (reported by the benchmarks)."""

    def __init__(self):
        self.lp = 0
        self.smt = 0
        self.pruned = 0


def open_cone(constraints, hint=None, counter=None, hint_ok=0):
    """Decide whether ``{d : c·d > 0 for all c}`` is nonempty (exact LP).

    ``hint`` is a direction tried first; the caller may promise (``hint_ok``) that it is
    already known to satisfy the first ``hint_ok`` constraints strictly.

    Constraints are rational (z3's simplex), or any exact reals in dimension one (signs).
    """
    constraints = [tuple(exact(v) for v in c) for c in constraints]
    n = len(constraints[0]) if constraints else 0
    if not constraints:
        return Decision(True, {"kind": "direction", "constraints": [], "direction": ()})
    rational = all_rational(constraints)
    if not rational and n == 1:
        return _open_cone_1d(constraints)
    if rational and hint is not None:
        exact_hint = tuple(exact(v) for v in hint)
        if all(dot(c, exact_hint) > 0 for c in constraints[hint_ok:]):
            return Decision(True, {"kind": "direction", "constraints": constraints,
                                   "direction": tuple(hint)})
    if counter:
        counter.lp += 1
    kind, value = gordan(constraints, None if rational else hint)
    if kind == "direction":
        return Decision(True, {"kind": "direction", "constraints": constraints,
                               "direction": value})
    return Decision(False, {"kind": "gordan", "constraints": constraints, "lambda": value})


def _open_cone_1d(constraints):
    """One-dimensional open cone by certified signs (any exact real coefficients)."""
    signs = [sign(c[0]) for c in constraints]
    for s in (1, -1):
        if all(x == s for x in signs):
            return Decision(True, {"kind": "direction", "constraints": constraints,
                                   "direction": (s,)})
    lam = [0] * len(constraints)
    if 0 in signs:
        lam[signs.index(0)] = 1
    else:
        i, j = signs.index(1), signs.index(-1)
        a, b = to_sympy(constraints[i][0]), -to_sympy(constraints[j][0])
        lam[i], lam[j] = normalize(b / (a + b)), normalize(a / (a + b))
    return Decision(False, {"kind": "gordan", "constraints": constraints,
                            "lambda": tuple(lam)})


def _multipliers(constraints, strict):
    """λ >= 0 (or > 0 when strict), Σλ = 1, Σ λ_j c_j = 0, or None (exact LP backend)."""
    if strict:
        return strictly_positive_combination(constraints)
    kind, value = gordan(constraints)
    return value if kind == "lambda" else None


# ---------------------------------------------------------------- identically zero tests
_TAYLOR_ORDER = 6


_MAX_AXES = 8


def _directions(p):
    """Deterministic test directions: a few generic integer vectors (a Taylor form that is
    not 0 is nonzero along them unless they happen to lie on its zero set), then the
    first axes."""
    if p == 1:
        return [(1,)]
    primes = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    out = [tuple(((-1) ** (i * r)) * primes[(i + r) % len(primes)] for i in range(p))
           for r in range(3)]
    return out + [tuple(int(i == j) for i in range(p)) for j in range(min(p, _MAX_AXES))]


def vanishes_near(expr, symbols, x):
    """Decide whether the smooth test ``expr`` (in ``symbols``) is identically 0 near ``x``.

    A test that vanishes identically near ``x`` imposes no condition there; a zero
    gradient at ``x`` does not show it.  Exact for rational functions of the inputs (with
    any exact constant coefficients): the numerator of the normal form is the zero
    polynomial, each coefficient's sign being certified.  For exp-log tests: refuted by a
    nonzero Taylor coefficient at ``x`` along a fixed direction, proved by a symbolic
    simplification over real symbols (re-checked at points near ``x`` by certified
    interval arithmetic), otherwise *unknown*.

    Returns a :class:`Decision` (``holds`` True / False / None) with a certificate of kind
    ``"vanishes"`` or ``"nonvanishing"`` (re-checked by
    :func:`selcalc.certificates.check_vanishing`).

    >>> import sympy
    >>> t = sympy.Symbol("t")
    >>> vanishes_near((t*t + t)/(t + 1) - t, [t], [0]).holds
    True
    >>> vanishes_near(sympy.exp(t) - 1 - t, [t], [0]).certificate["order"]
    2
    >>> vanishes_near(sympy.log(sympy.exp(t)) - t, [t], [0]).holds
    True
    """
    expr = sympy.sympify(expr)
    symbols = list(symbols)
    point = [to_sympy(exact(v)) for v in x]
    base = {"test": expr, "symbols": symbols, "point": point}
    if expr.is_rational_function(*symbols):
        return _rational_vanishes(expr, symbols, base)
    refuted = _taylor_refutation(expr, symbols, point)
    if refuted is not None:
        return Decision(False, {**base, "kind": "nonvanishing", "method": "taylor",
                                **refuted})
    if _symbolic_zero(expr, symbols) and _consistent_zero(expr, symbols, point):
        return Decision(True, {**base, "kind": "vanishes", "method": "symbolic"})
    return Decision(None, {**base, "kind": "vanishes",
                           "reason": f"could not decide whether the test {expr} vanishes "
                                     f"identically near {exact_str(tuple(point))}"})


def rational_numerator(expr, symbols):
    """The numerator of a rational function's normal form, as a Poly in ``symbols``."""
    num, _den = sympy.fraction(sympy.together(expr))
    return sympy.Poly(sympy.expand(num), *symbols)


def _rational_vanishes(expr, symbols, base):
    try:
        poly = rational_numerator(expr, symbols)
    except sympy.PolynomialError:
        return Decision(None, {**base, "kind": "vanishes",
                               "reason": f"no polynomial normal form for {expr}"})
    undecided = None
    for monom, coeff in zip(poly.monoms(), poly.coeffs()):
        try:
            if sign(coeff) != 0:
                return Decision(False, {**base, "kind": "nonvanishing",
                                        "method": "rational normal form",
                                        "monomial": monom, "coefficient": coeff})
        except Undecided as exc:
            undecided = exc
    if undecided is not None:
        return Decision(None, {**base, "kind": "vanishes", "reason": str(undecided)})
    return Decision(True, {**base, "kind": "vanishes", "method": "rational normal form"})


def first_nonzero_derivative(expr, symbols, point, d, order=_TAYLOR_ORDER):
    """``(k, a)``: the first ``k <= order`` with ``a = d^k/dh^k expr(x + h d) |_{h=0} != 0``
    (certified), or None."""
    h = sympy.Dummy("h")
    u = sympy.sympify(expr).xreplace({s: to_sympy(v) + h * dj
                                      for s, v, dj in zip(symbols, point, d)})
    for k in range(1, order + 1):
        try:
            u = sympy.diff(u, h)
            value = u.xreplace({h: 0})
            if sign(value) != 0:
                return k, value
        except (Undecided, TypeError, ValueError, ZeroDivisionError):
            return None
    return None


def _taylor_refutation(expr, symbols, point):
    """A direction ``d`` and order ``k`` with a certified nonzero k-th derivative, or None."""
    for d in _directions(len(symbols)):
        found = first_nonzero_derivative(expr, symbols, point, d)
        if found is not None:
            return {"direction": d, "order": found[0], "value": found[1]}
    return None


def one_sided(tests, symbols, x):
    """One input: decide whether points on one side of ``x`` satisfy every ``s·t > 0``.

    ``tests`` are pairs ``(t, s)`` of smooth tests (none identically zero near ``x``) and
    signs.  Near ``x`` an analytic test has the sign of its first nonzero Taylor
    coefficient ``a_k`` on the right and ``(-1)^k`` times it on the left, so the answer is
    exact once every such coefficient is found (order at most 6); otherwise unknown.
    Certificate ``{"kind": "one_sided", "side": ±1 or None, "taylor": [(k, a_k), ...]}``.

    >>> import sympy
    >>> t = sympy.Symbol("t")
    >>> one_sided([(sympy.exp(t) - 1 - t, 1)], [t], [0]).holds
    True
    >>> one_sided([(sympy.exp(t) - 1 - t, -1)], [t], [0]).holds
    False
    """
    point = [to_sympy(exact(v)) for v in x]
    base = {"kind": "one_sided", "tests": list(tests), "symbols": list(symbols),
            "point": point}
    taylor = []
    for t, _s in tests:
        found = first_nonzero_derivative(t, symbols, point, (1,))
        if found is None:
            return Decision(None, {**base, "reason": f"no nonzero derivative of {t} of "
                                                     f"order <= {_TAYLOR_ORDER} at {exact_str(x)}"})
        taylor.append(found)
    for side in (1, -1):
        if all(s * sign(a) * side ** k > 0 for (t, s), (k, a) in zip(tests, taylor)):
            return Decision(True, {**base, "side": side, "taylor": taylor})
    return Decision(False, {**base, "side": None, "taylor": taylor})


def _symbolic_zero(expr, symbols):
    real = {s: sympy.Dummy(str(s), real=True) for s in symbols}
    return simplifies_to_zero(expr.xreplace(real))


def _consistent_zero(expr, symbols, point, tries=4):
    """No point near ``x`` where ``expr`` is certifiably nonzero (a check of a zero proof)."""
    import random
    rng = random.Random(1729)  # fixed: the same points, hence the same answer, every run
    for _ in range(tries):
        y = {s: v + sympy.Rational(rng.randint(-1000, 1000), 2 ** 16)
             for s, v in zip(symbols, point)}
        value = expr.xreplace(y)
        if value.has(sympy.I, sympy.nan, sympy.zoo):
            continue
        if interval_sign(value) not in (None, 0):
            return False
    return True


def closed_cone_is_zero(constraints, counter=None):
    """Stiemke certificate that ``{d : c·d >= 0}`` is ``{0}``, or None."""
    constraints = [tuple(exact(v) for v in c) for c in constraints]
    if not constraints:
        return None
    if not all_rational(constraints):
        return None  # no exact LP here: the caller goes on to a higher-order decision
    if counter:
        counter.lp += 1
    n = len(constraints[0])
    if rank(constraints) < n:
        return None
    lam = _multipliers(constraints, strict=True)
    if lam is None:
        return None
    return Decision(False, {"kind": "stiemke", "constraints": constraints, "lambda": lam})


def local_interior(tests, symbols, x, counter=None):
    """Decide exactly whether points arbitrarily close to ``x`` satisfy ``s·t(y) > 0``.

    ``tests`` are pairs ``(t, s)`` of polynomial sympy expressions in ``symbols`` and signs.
    Returns a Decision with an ``"smt"`` certificate (the formula, re-checkable by
    :func:`recheck_smt`), or unknown for non-polynomial tests or solver timeouts.
    """
    if counter:
        counter.smt += 1
    cert = {"kind": "smt", "tests": [(str(t), s) for t, s in tests],
            "symbols": [str(v) for v in symbols], "point": [str(v) for v in x]}
    try:
        answer = _local_interior_z3(tests, symbols, x)
    except NotPolynomial as exc:
        return Decision(None, {**cert, "reason": str(exc)})
    if answer is None:
        return Decision(None, {**cert, "reason": "z3 returned unknown"})
    return Decision(answer, cert)


def _local_interior_z3(tests, symbols, x, tactic=None, rlimit=SMT_RLIMIT):
    ys = {s: z3.Real(f"y_{s}") for s in symbols}
    eps = z3.Real("eps")
    dist = z3.Sum([(ys[s] - rational(exact(v))) * (ys[s] - rational(exact(v)))
                   for s, v in zip(symbols, x)])
    strict = [to_z3(t, ys) * s > 0 for t, s in tests]
    formula = z3.ForAll([eps], z3.Implies(eps > 0, z3.Exists(list(ys.values()),
                                                             z3.And(dist < eps, *strict))))
    s = _solver(rlimit, tactic)
    s.add(formula)
    res = s.check()
    if res == z3.sat:
        return True
    if res == z3.unsat:
        return False
    return None


def recheck_smt(cert):
    """Re-decide an ``"smt"`` certificate's formula with a different z3 procedure (the nlqsat tactic)."""
    symbols = [sympy.Symbol(v) for v in cert["symbols"]]
    # a certificate may come from elsewhere: its text is read by the number grammar, with
    # the certificate's symbols as the only names, and never evaluated as Python
    tests = [(parse_expression(t, symbols), s) for t, s in cert["tests"]]
    x = [parse_expression(v, []) for v in cert["point"]]
    again = _local_interior_z3(tests, symbols, x, tactic="nlqsat", rlimit=4 * SMT_RLIMIT)
    assert again is not None, "the re-check was inconclusive"
    return again
