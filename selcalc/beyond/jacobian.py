"""Conservativity of a Jacobian field along a curve, row by row (vector outputs).

A field ``D`` of ``q × p`` matrices is conservative for ``P : R^p → R^q`` along ``γ`` iff for
almost every ``t``, ``d/dt P(γ(t)) = M γ'(t)`` for every ``M ∈ D(γ(t))``.  The condition is a
"for all ``M``" condition on each row separately, so it holds iff for each ``i`` it holds for
every row ``M_i`` in the projection ``D_i = {M_i : M ∈ D}`` and the component ``P_i``.

- ``"ad_outputs"``: the AD Jacobians of ``P`` are ``Jac f_σ`` over the tie-consistent
  patterns ``σ``; the component program ``P_i`` has the same tests, hence the same patterns,
  and its AD outputs are exactly the rows ``∇(f_σ)_i``.  The field decomposes: the verdict
  is exact both ways (a failing row is a witness for ``P``).
- ``"clarke"``: ``Jac^c P(x) ⊆ ∂^c P_1(x) × … × ∂^c P_q(x)`` (Clarke, "Optimization and
  Nonsmooth Analysis", Prop. 2.6.2), so each projection ``D_i`` lies in the Clarke field of
  ``P_i``: rows that all pass prove the claim; a failing row of the larger set does not
  refute it, and the verdict is then unknown.
- ``"index_closure"``: the same inclusion holds (a pattern whose whole output agrees with
  ``P`` agrees in each component), with the same consequence.

>>> import selcalc
>>> P = selcalc.parse("def P(x, y):\\n    return abs(x) + y, 2 * x + abs(y)")
>>> check_conservative_jacobian(P, selcalc.segment((-1, -1), (1, 1)), "ad_outputs").holds
True
"""

from __future__ import annotations

from ..curves import check_conservative
from ..errors import SelcalcError
from ..frontends import trace
from ..theorems.chain_rule import compose
from ..verdict import Verdict

EXACT_ROWS = {"ad_outputs": True, "clarke": False, "index_closure": False}


def component(P, i):
    """The scalar program ``x ↦ P(x)_i`` (same nodes and tests as ``P``)."""
    if not 0 <= i < P.q:
        raise SelcalcError(f"component {i} out of range: the program has {P.q} outputs")
    Q = compose(P, trace(lambda *u: u[i], P.q))
    Q.input_names = P.input_names
    Q.name = f"{P.name or 'P'}[{i}]"
    return Q


def check_conservative_jacobian(P, curve, field="clarke"):
    """Verdict: the Jacobian field ``field`` (``"ad_outputs"``, ``"clarke"`` or
    ``"index_closure"``) is conservative for the vector program ``P`` along ``curve``.

    Runs :func:`selcalc.check_conservative` on each component ``P_i``; the certificate lists
    the per-row verdicts.  See the module docstring for when a failing row refutes the claim
    (``"ad_outputs"``) and when it only leaves it unknown (``"clarke"``,
    ``"index_closure"``).  Convention names and user fields are not decomposed (the AD
    output of a convention couples the rows through shared weights): use ``"ad_outputs"``,
    whose hull contains them.

    >>> import selcalc
    >>> S = selcalc.parse("def f(x, y):\\n    return sort(x, y)")
    >>> check_conservative_jacobian(S, selcalc.segment((-1, 1), (1, -1))).holds
    True
    """
    if field not in EXACT_ROWS:
        raise SelcalcError(f"field must be one of {sorted(EXACT_ROWS)}, not {field!r}")
    claim = f"the Jacobian field {field} is conservative for {P.name or 'P'} along {curve!r}"
    if P.q == 1:
        return check_conservative(P, curve, field)
    rows = []
    for i in range(P.q):
        v = check_conservative(component(P, i), curve, field)
        rows.append(v)
        if v.holds is None:
            return Verdict(None, claim, {"rows": rows}, reason=f"row {i}: {v.reason}")
        if v.holds is False:
            if EXACT_ROWS[field]:
                return Verdict(False, claim, {"row": i, "witness": v.certificate,
                                              "rows": rows},
                               reason=f"row {i} fails on an open piece")
            return Verdict(None, claim, {"row": i, "witness": v.certificate, "rows": rows},
                           reason=f"row {i} fails for a vector of the {field} field of the "
                                  f"component, which may not be a row of the {field} "
                                  f"Jacobian of the whole program")
    return Verdict(True, claim, {"rows": rows},
                   checked=[f"row {i}: {r.claim}" for i, r in enumerate(rows)])


__all__ = ["check_conservative_jacobian", "component"]
