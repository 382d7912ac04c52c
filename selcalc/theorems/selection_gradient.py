"""Theorem 2 as a check: automatic differentiation outputs a selection gradient.

Theorem 2 of Bolte & Pauwels (NeurIPS 2020, §4): for a program ``P`` the
output of algorithmic differentiation is the gradient of one smooth piece of a
representation of the computed function — with the engine's representation (patterns
``σ`` and their smooth functions ``f_σ``, Definition 4 and Proposition 5), under a
*selection* convention AD returns ``∇f_{s(x)}(x)`` where ``s(x)`` is the pattern execution
selects.  Lemma 1 adds that forward and backward mode agree.

The oracle is independent of the AD interpreters: sympy differentiates the expression
``f_σ`` built by :meth:`selcalc.Selection.piece`.

>>> import selcalc
>>> zero = selcalc.parse("def zero(t):\\n    return relu(-t) + t - relu(t)")
>>> v = check_selection_gradient(zero, (0,))
>>> v.holds, v.certificate["selection"]["gradient"]
(True, (1,))
"""

from __future__ import annotations

from ..autodiff import jacobian_rows
from ..conventions import get_convention
from ..errors import DomainError, PatternBudgetExceeded, SelcalcError, Undecided
from ..selection import selection
from ..verdict import Verdict
from ._common import (HIGHEST, equal, equal_rows, guarded, not_applicable, piece_jacobian,
                      piece_values, program_values, show)

DEFAULT_CONVENTIONS = ("selection", HIGHEST, "pytorch", "jax", "tensorflow")


def _claim(P, x, *args, **kwargs):
    return (f"AD at x = {tuple(str(v) for v in P.coerce_point(x))} returns ∇f_s(x)(x) "
            f"under every selection convention, in both modes (Theorem 2)")


@guarded(_claim)
def check_selection_gradient(P, x, conventions=DEFAULT_CONVENTIONS,
                             modes=("backward", "forward")):
    """Verdict for Theorem 2 at ``x``: ``AD(P)(x) = ∇f_{s(x)}(x)`` for selection conventions.

    Parameters
    ----------
    P : Program
    x : point
    conventions : iterable of conventions
        Each is tried; a convention that averages a tie *at x* defines no ``s(x)`` there
        (docs/mathematics.md, section 2) and is skipped (listed in ``checked``).
    modes : modes of Algorithm 2 to compare against the oracle.

    Returns
    -------
    Verdict
        Holds: per convention, the pattern ``s(x)`` and the gradient.  Fails: the
        convention, mode, AD output and ``∇f_σ(x)``.
    """
    claim = _claim(P, x)
    S = selection(P)
    fx = program_values(P, x)
    certificate, checked, used = {}, [], 0
    for conv in conventions:
        conv = get_convention(conv)
        try:
            sigma = S.index(x, conv)
        except (DomainError, Undecided, PatternBudgetExceeded):
            raise
        except SelcalcError as exc:
            checked.append(f"{conv.name}: skipped ({exc})")
            continue
        used += 1
        values = piece_values(P, sigma, x)
        if not all(equal(a, b) for a, b in zip(values, fx)):
            return Verdict(False, claim, {"convention": conv.name, "pattern": sigma,
                                          "f_sigma(x)": values, "f(x)": fx}, checked,
                           reason="the selected piece does not give the program's value")
        oracle = piece_jacobian(P, sigma, x)
        for mode in modes:
            rows = jacobian_rows(P, x, conv, mode)
            if not equal_rows(rows, oracle):
                return Verdict(False, claim, {"convention": conv.name, "mode": mode,
                                              "pattern": sigma, "ad": show(rows),
                                              "grad_f_sigma": show(oracle)}, checked,
                               reason="AD differs from the gradient of the selected piece")
        certificate[conv.name] = {"pattern": sigma, "gradient": show(oracle)}
        checked.append(f"{conv.name}: AD ({', '.join(modes)}) = ∇f_σ(x) for σ = {sigma}")
    if not used:
        return not_applicable(claim, "no selection convention applies at x")
    return Verdict(True, claim, certificate, checked)

