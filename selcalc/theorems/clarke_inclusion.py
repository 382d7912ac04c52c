"""The Clarke subgradient is the smallest: ``∂^c f(x) ⊆ conv D(x)`` for conservative ``D``.

For a locally Lipschitz ``f`` and any conservative field ``D`` of ``f``, the Clarke
subgradient is contained in the convex hull of ``D`` at every point (Bolte & Pauwels,
Mathematical Programming 2021, arXiv:1909.10300).  The fields selcalc computes are
conservative (Theorem 3 of the NeurIPS 2020 paper for the index closure; the chain-rule
field for ``ad_outputs``, section 3 of docs/mathematics.md), so at every
point ``x``:

* ``clarke(x) ⊆ conv(ad_outputs(x))`` and ``clarke(x) ⊆ index_closure(x)``;
* the AD output under every convention lies in ``conv(ad_outputs(x))`` (selection
  conventions give one of its points, averaging ones a convex combination).

>>> import selcalc
>>> zero = selcalc.parse("def zero(t):\\n    return relu(-t) + t - relu(t)")
>>> v = check_clarke_inclusion(zero, (0,))
>>> v.holds, str(v.certificate["clarke"]), str(v.certificate["ad_outputs"])
(True, '{0}', '[-1, 1]')
"""

from __future__ import annotations

from math import prod

from ..autodiff import jacobian_rows
from ..conventions import CONVENTIONS
from ..errors import PatternBudgetExceeded
from ..fields import ClarkeBounds, ad_outputs, clarke, index_closure
from ..numbers import canonical
from ..points import as_vector
from ..verdict import Verdict
from ._common import guarded


def _claim(P, x, *args, **kwargs):
    return (f"at x = {tuple(str(v) for v in P.coerce_point(x))}: clarke ⊆ conv(ad_outputs), "
            f"clarke ⊆ index_closure, and every convention's AD output ∈ conv(ad_outputs)")


#: Clarke enumerates the tie-consistent patterns (pruned); past this many, unknown
MAX_TIE_PATTERNS = 4096


def _flat(rows):
    return tuple(v for row in rows for v in row)


def _keys(S):
    return {tuple(canonical(c) for c in pt) for pt in S.points}


def _member(v, D, keys):
    """``v ∈ D`` as (holds, certificate): literally one of D's points, else an exact LP."""
    if tuple(canonical(c) for c in as_vector(v)) in keys:
        return True, "a point of the set"
    verdict = D.contains(v)
    return verdict.holds, verdict.certificate


def _inclusion(C, D, label):
    """(holds, detail) for ``C ⊆ D`` where C may be ClarkeBounds (inner / outer).

    Clarke's patterns are tie-consistent, so its points are normally points of
    ``ad_outputs`` and of ``index_closure`` themselves; only other points need an LP.
    """
    if isinstance(C, ClarkeBounds):
        if C.outer.issubset(D):
            return True, f"outer bound of clarke ⊆ {label}"
        if C.inner is not None and not C.inner.issubset(D):
            return False, f"inner bound of clarke ⊄ {label}"
        return None, f"clarke ⊆ {label} undecided (some essential patterns unknown)"
    keys = _keys(D)
    for v in C.points:
        holds, cert = _member(v, D, keys)
        if holds is not True:
            return False, {"point": v, "set": label, "separator": cert}
    return True, f"clarke ⊆ {label} ({len(C.points)} points)"


@guarded(_claim)
def check_clarke_inclusion(P, x, conventions=tuple(CONVENTIONS)):
    """Verdict: ``clarke(x) ⊆ conv(ad_outputs(x))``, ``⊆ index_closure(x)``, AD ∈ hull.

    The index closure part is skipped (and said so in ``checked``) past its pattern budget.
    Unknown when some Clarke patterns cannot be decided and the outer bound is not included.
    """
    claim = _claim(P, x)
    A = ad_outputs(P, x)
    n_tied = prod(len(a) for a in A.ties.values())
    if n_tied > MAX_TIE_PATTERNS:
        return Verdict(None, claim, reason=f"{n_tied} tie-consistent patterns exceed the "
                       f"budget {MAX_TIE_PATTERNS} of this check (Clarke elements are "
                       f"NP-hard to compute: ICLR 2023, arXiv:2206.01730)")
    C = clarke(P, x, allow_unknown=True)
    sets = [("conv(ad_outputs)", A)]
    checked, certificate = [], {"clarke": C, "ad_outputs": A}
    try:
        I = index_closure(P, x)
        sets.append(("index_closure", I))
        certificate["index_closure"] = I
    except PatternBudgetExceeded as exc:
        checked.append(f"index_closure skipped: {exc}")
    undecided = []
    for label, D in sets:
        holds, detail = _inclusion(C, D, label)
        if holds is False:
            return Verdict(False, claim, {**certificate, "witness": detail}, checked,
                           reason=f"a Clarke vertex is outside {label}")
        (checked if holds else undecided).append(detail)
    keys = _keys(A)
    for name in conventions:
        out = _flat(jacobian_rows(P, x, name))
        holds, cert = _member(out, A, keys)
        if holds is not True:
            return Verdict(False, claim, {**certificate, "convention": name, "ad": out,
                                          "separator": cert}, checked,
                           reason=f"the {name} AD output is outside conv(ad_outputs)")
        checked.append(f"AD under {name} = {out} ∈ conv(ad_outputs)")
    if undecided:
        return Verdict(None, claim, certificate, checked, reason="; ".join(undecided))
    return Verdict(True, claim, certificate, checked)
