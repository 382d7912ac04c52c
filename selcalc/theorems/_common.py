"""Shared pieces of the theorem checks: verdict bookkeeping, exact equality, the sympy oracle.

A theorem check answers with a :class:`~selcalc.verdict.Verdict`.  Besides holds / fails /
unknown, a check can be *not applicable* (the program is outside the theorem's hypotheses,
e.g. Fermat's rule is checked on one-input programs only): that is a Verdict with
``holds=None`` and ``certificate={"not_applicable": reason}``, told apart by :func:`status`.

>>> status(not_applicable("a claim", "two inputs"))
'n/a'
>>> status(Verdict(True, "x")), status(Verdict(None, "x"))
('holds', 'unknown')
>>> combine("both", [Verdict(True, "a"), Verdict(None, "b", reason="hard")]).holds is None
True
"""

from __future__ import annotations

import functools

import sympy

from ..conventions import Convention
from ..errors import DomainError, PatternBudgetExceeded, Undecided
from ..numbers import sign, to_sympy
from ..smt import NotPolynomial
from ..verdict import Verdict

#: the two extreme selection conventions: lowest and highest tied piece everywhere
LOWEST = Convention("lowest", description="lowest tied piece index everywhere")
HIGHEST = Convention("highest", default="last", description="highest tied piece everywhere")

HOLDS, FAILS, UNKNOWN, NA = "holds", "fails", "unknown", "n/a"


def not_applicable(claim, reason):
    """A Verdict saying the theorem's hypotheses do not hold for this input."""
    return Verdict(None, claim, {"not_applicable": reason}, reason=f"not applicable: {reason}")


def is_not_applicable(verdict):
    return (verdict.holds is None and isinstance(verdict.certificate, dict)
            and "not_applicable" in verdict.certificate)


def status(verdict):
    """``"holds"``, ``"fails"``, ``"unknown"`` or ``"n/a"``."""
    if verdict.holds is True:
        return HOLDS
    if verdict.holds is False:
        return FAILS
    return NA if is_not_applicable(verdict) else UNKNOWN


def combine(claim, verdicts, certificate=None):
    """One Verdict from several sub-checks of one claim.

    Fails as soon as one part fails (its witness is the certificate); otherwise unknown if a
    part is unknown; not applicable if every part is; holds if every applicable part holds.
    """
    verdicts = list(verdicts)
    checked = [str(v) for v in verdicts]
    for v in verdicts:
        if v.holds is False:
            return Verdict(False, claim, {"failed": v, **(certificate or {})}, checked,
                           reason=v.reason or v.claim)
    unknown = [v for v in verdicts if status(v) == UNKNOWN]
    if unknown:
        reasons = list(dict.fromkeys(v.reason or v.claim for v in unknown))
        return Verdict(None, claim, certificate, checked, reason="; ".join(reasons[:3]))
    applicable = [v for v in verdicts if status(v) != NA]
    if not applicable:
        reasons = "; ".join(sorted({v.certificate["not_applicable"] for v in verdicts}))
        return not_applicable(claim, reasons or "nothing to check")
    return Verdict(True, claim, certificate, checked)


def guarded(claim_of):
    """Decorator: turn the engine's "cannot decide" errors into unknown / n/a Verdicts.

    ``claim_of(*args, **kwargs)`` gives the claim text used when the check is interrupted.
    :class:`Undecided`, :class:`PatternBudgetExceeded` and the SMT bridge's
    ``NotPolynomial`` (an exact decision needs rational data) give unknown (with the
    engine's message); :class:`DomainError` gives not applicable (the point is outside the domain).
    Other errors propagate: they are bugs, not answers.
    """
    def wrap(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            try:
                return check(*args, **kwargs)
            except DomainError as exc:
                return not_applicable(claim_of(*args, **kwargs), f"outside the domain: {exc}")
            except (Undecided, PatternBudgetExceeded, NotPolynomial) as exc:
                return Verdict(None, claim_of(*args, **kwargs),
                               reason=f"{type(exc).__name__}: {exc}")
        return run
    return wrap


def equal(a, b):
    """Exact equality of two numbers: True / False, or raises Undecided."""
    return sign(to_sympy(a) - to_sympy(b)) == 0


def equal_rows(rows_a, rows_b):
    """Exact equality of two lists of rows (Jacobians)."""
    return all(equal(u, v) for ra, rb in zip(rows_a, rows_b) for u, v in zip(ra, rb))


def show(rows):
    """Rows of exact numbers as a readable tuple (a gradient when there is one row)."""
    out = tuple(tuple(to_sympy(v) for v in r) for r in rows)
    return out[0] if len(out) == 1 else out


def piece_jacobian(P, sigma, x):
    """``∇f_σ(x)`` as rows, from sympy's derivative of the expression ``f_σ``.

    The oracle of the checks: it never runs the AD interpreters (it expands the pattern's
    pieces symbolically with :meth:`selcalc.Selection.piece` and differentiates).
    """
    from ..selection import Selection
    S = Selection(P)
    f = S.piece(sigma)
    outs = f if P.q > 1 else (f,)
    subs = dict(zip(S.symbols, [to_sympy(v) for v in P.coerce_point(x)]))
    rows = []
    for fo in outs:
        rows.append([sympy.diff(fo, s).xreplace(subs) for s in S.symbols])
    for r in rows:
        for v in r:
            if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                raise DomainError(f"∇f_σ is undefined at {tuple(subs.values())}")
    return rows


def piece_values(P, sigma, x):
    """``f_σ(x)`` (one value per output), from the symbolic expression."""
    from ..selection import Selection
    S = Selection(P)
    f = S.piece(sigma)
    outs = f if P.q > 1 else (f,)
    subs = dict(zip(S.symbols, [to_sympy(v) for v in P.coerce_point(x)]))
    return [fo.xreplace(subs) for fo in outs]


def program_values(P, x):
    v = P(*P.coerce_point(x))
    return list(v) if P.q > 1 else [v]


__all__ = ["HIGHEST", "LOWEST", "Verdict", "combine", "equal", "equal_rows", "guarded",
           "is_not_applicable", "not_applicable", "piece_jacobian", "piece_values",
           "program_values", "show", "status"]
