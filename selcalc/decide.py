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

All LPs go through the exact LP backend of :mod:`selcalc.polyhedra` (a float
proposal verified in rational arithmetic), so certificates are exact.

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
from .numbers import RATIONAL_TYPES, exact, normalize, sign, to_sympy
from .polyhedra import gordan, rank, strictly_positive_combination
from .smt import NotPolynomial, model_value, rational, solver, to_z3


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


def _dot(c, d):
    return sum(exact(a) * exact(b) for a, b in zip(c, d))


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
    rational = all(isinstance(v, RATIONAL_TYPES) for c in constraints for v in c)
    if not rational and n == 1:
        return _open_cone_1d(constraints)
    if rational and hint is not None and all(_dot(c, hint) > 0
                                             for c in constraints[hint_ok:]):
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


def closed_cone_is_zero(constraints, counter=None):
    """Stiemke certificate that ``{d : c·d >= 0}`` is ``{0}``, or None."""
    constraints = [tuple(exact(v) for v in c) for c in constraints]
    if not constraints:
        return None
    if not all(isinstance(v, RATIONAL_TYPES) for c in constraints for v in c):
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


def _local_interior_z3(tests, symbols, x, tactic=None):
    ys = {s: z3.Real(f"y_{s}") for s in symbols}
    eps = z3.Real("eps")
    dist = z3.Sum([(ys[s] - rational(exact(v))) * (ys[s] - rational(exact(v)))
                   for s, v in zip(symbols, x)])
    strict = [to_z3(t, ys) * s > 0 for t, s in tests]
    formula = z3.ForAll([eps], z3.Implies(eps > 0, z3.Exists(list(ys.values()),
                                                             z3.And(dist < eps, *strict))))
    s = z3.Tactic(tactic).solver() if tactic else z3.Solver()
    s.set("timeout", 20000)
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
    tests = [(sympy.sympify(t, locals={str(v): v for v in symbols}), s)
             for t, s in cert["tests"]]
    x = [sympy.sympify(v) for v in cert["point"]]
    again = _local_interior_z3(tests, symbols, x, tactic="nlqsat")
    assert again is not None, "the re-check was inconclusive"
    return again
