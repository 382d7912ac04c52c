"""Proposition 3 as a check: AD returns the gradient almost everywhere.

Proposition 3 of Bolte & Pauwels (NeurIPS 2020, §2.1): the input space is
covered by the closures of finitely many sets with nonempty interior on whose interiors the
selection derivative is the gradient.  With the definitions of docs/mathematics.md (section 3)
the statement is sharpened: away from a null set the four objects selcalc computes coincide,
``AD(x)`` (every convention)
``= ad_outputs(x) = clarke(x) = index_closure(x) = {∇f(x)}``.

At a random rational point ``x`` with no tie, every test is nonzero, so the selected
pattern ``σ`` is constant near ``x`` and ``f = f_σ`` there: ``∇f(x) = ∇f_σ(x)``, computed by
sympy (never by the AD interpreters).  A tie whose tied patterns all have the same
gradient (a test vanishing identically, as in ``max(a, a)``) is harmless and kept.  Random
points can still land on the null set by bad luck — a tie whose patterns disagree, or a
*value coincidence* ``f_σ'(x) = f(x)`` of another piece that puts an extra gradient in the
index closure.  Such points are recorded and resampled; a
coincidence is first confirmed symbolically (otherwise the index closure is wrong and the
check fails).

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return max(x, y) + relu(x * y - 1)")
>>> check_gradient_almost_everywhere(P, n_points=2).holds
True
"""

from __future__ import annotations

import random
import itertools
from fractions import Fraction
from math import prod

from ..autodiff import jacobian_rows
from ..conventions import CONVENTIONS
from ..errors import DomainError, PatternBudgetExceeded
from ..fields import ad_outputs, clarke, index_closure
from ..interpreters.evaluate import evaluate
from ..verdict import Verdict
from ._common import equal, equal_rows, guarded, piece_jacobian, piece_values, program_values


#: at a tie, the tie-consistent patterns are compared one by one up to this many
MAX_TIE_PATTERNS = 64


def _claim(P, *args, **kwargs):
    return ("at random points without ties, AD (every convention), ad_outputs, clarke and "
            "index_closure all equal {∇f(x)} (Proposition 3)")


def random_point(rng, p, radius=4):
    """A random rational point with varied denominators (coincidences stay unlikely)."""
    return tuple(Fraction(rng.randint(-15 * radius, 15 * radius), rng.randint(1, 15))
                 for _ in range(p))


def _common_gradient(P, run, sigma, x):
    """``∇f(x)`` when every tie-consistent pattern at ``x`` has the same gradient, else None.

    Without ties this is ``∇f_σ(x)`` for the one consistent pattern.  A tie whose pieces
    agree to first order (a test vanishing identically, ``max(a, a)``) is harmless: the
    Clarke set is then the single common gradient, so ``f`` is differentiable at ``x``.
    """
    ties = run.ties()
    if prod(len(a) for a in ties.values()) > MAX_TIE_PATTERNS:
        return None
    groups = list(ties)
    oracle = None
    for combo in itertools.product(*(ties[g] for g in groups)):
        rows = piece_jacobian(P, {**sigma, **dict(zip(groups, combo))}, x)
        if oracle is None:
            oracle = rows
        elif not equal_rows(rows, oracle):
            return None
    return oracle


def _same(point, flat):
    return all(equal(a, b) for a, b in zip(point, flat))


@guarded(_claim)
def check_gradient_almost_everywhere(P, n_points=3, seed=0, max_tries=40, points=None):
    """Verdict for Proposition 3 at ``n_points`` random rational points (bad luck resampled).

    Parameters
    ----------
    P : Program
    n_points : int
        How many good points to check.
    seed : int
        Seed of the point sampler (reproducible).
    max_tries : int
        Points drawn at most; points outside the domain, on a tie, or on a value
        coincidence are resampled (listed in the certificate).
    points : iterable, optional
        Candidate points tried before random ones.

    Returns
    -------
    Verdict
        Holds: the points and ``∇f(x)``.  Fails: the point, the object that differs and
        its content.  Unknown when fewer than ``n_points`` good points were found.
    """
    claim = _claim(P)
    rng = random.Random(seed)
    queue = list(points or [])
    good, resampled, notes = [], [], set()
    tries = 0
    while len(good) < n_points and tries < max_tries:
        tries += 1
        x = P.coerce_point(queue.pop(0)) if queue else random_point(rng, P.p)
        try:
            run = evaluate(P, x)
        except DomainError:
            resampled.append((x, "outside the domain"))
            continue
        sigma = {g: run.active[g][0] for g in P.branching_groups}
        try:
            oracle = _common_gradient(P, run, sigma, x)
        except DomainError:
            resampled.append((x, "∇f_σ undefined"))
            continue
        if oracle is None:
            resampled.append((x, f"tie at nodes {sorted(run.ties())}"))
            continue
        flat = [v for row in oracle for v in row]
        where = f"x = {tuple(str(v) for v in x)}"
        for name in CONVENTIONS:
            rows = jacobian_rows(P, x, name)
            if not equal_rows(rows, oracle):
                return Verdict(False, claim, {"x": x, "convention": name, "ad": rows,
                                              "gradient": oracle},
                               reason=f"AD under {name} differs from ∇f at {where}")
        for label, S in (("ad_outputs", ad_outputs(P, x)), ("clarke", clarke(P, x))):
            if len(S.points) != 1 or not _same(S.points[0], flat):
                return Verdict(False, claim, {"x": x, "set": label, "content": S,
                                              "gradient": oracle},
                               reason=f"{label} is not {{∇f(x)}} at {where}")
        try:
            closure = index_closure(P, x)
        except PatternBudgetExceeded as exc:
            notes.add(f"index_closure not checked: {exc}")
            closure = None
        if closure is not None:
            extra = [key for key, pt in closure.patterns.items()
                     if not _same(list(pt), flat)]
            if extra:
                fx = program_values(P, x)
                for key in extra:
                    other = piece_values(P, dict(key), x)
                    if not all(equal(a, b) for a, b in zip(other, fx)):
                        return Verdict(False, claim, {"x": x, "pattern": dict(key),
                                                      "f_sigma(x)": other, "f(x)": fx},
                                       reason="index_closure used a pattern whose value "
                                              f"differs from f at {where}")
                resampled.append((x, f"value coincidence of {len(extra)} other piece(s)"))
                continue
        good.append({"x": x, "pattern": sigma, "gradient": oracle})
    certificate = {"points": good, "resampled": resampled}
    checked = [f"x = {tuple(str(v) for v in g['x'])}: all equal ∇f(x)" for g in good]
    checked += sorted(notes)
    if len(good) < n_points:
        return Verdict(None, claim, certificate, checked,
                       reason=f"only {len(good)} of {n_points} good points in {tries} draws")
    return Verdict(True, claim, certificate, checked)

