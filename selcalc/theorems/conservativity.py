"""Theorem 3 as a check: the index closure (and the AD fields) are conservative.

Theorem 3 of Bolte & Pauwels (NeurIPS 2020, §5): for ``f`` with an
elementary selection, the index closure ``D_f`` of Definition 5 is a conservative field:
along every absolutely continuous curve ``γ``, for almost every ``t``,
``d/dt f(γ(t)) = <v, γ'(t)>`` for every ``v ∈ D_f(γ(t))``.  The same holds for
``ad_outputs`` (its hull is the chain-rule field, docs/mathematics.md section 3) and for the
Clarke field.

The check runs :func:`selcalc.check_conservative` on sampled exact curves
(:func:`selcalc.sample_curves`: random segments, segments crossing a tie, segments lying
inside a tie set) and on a segment and a parabola through the point of interest.  A
failure comes with a rigorous witness (an open piece and a rational ``t`` where the two
sides differ).

>>> import selcalc
>>> P = selcalc.parse("def f(x, y):\\n    return relu(x - y) + abs(x + y)")
>>> check_conservativity(P, (0, 0), n=3).holds
True
"""

from __future__ import annotations

from fractions import Fraction

from ..curves import check_conservative, polynomial_curve, sample_curves, segment
from ..errors import DomainError, PatternBudgetExceeded, Undecided
from ..verdict import Verdict
from ._common import combine, guarded, not_applicable

DEFAULT_FIELDS = ("index_closure", "ad_outputs", "clarke")


def _claim(P, *args, fields=DEFAULT_FIELDS, **kwargs):
    names = ", ".join(f if isinstance(f, str) else "the user field" for f in fields)
    return f"{names} conservative along sampled curves (Theorem 3)"


def curves_through(x, parabola=True):
    """A segment centred at ``x`` and (unless ``parabola=False``) a parabola with
    ``γ(1/2) = x``."""
    p = len(x)
    d = tuple(Fraction((-1) ** i * (i + 1), 2) for i in range(p))
    e = tuple(Fraction(1, i + 2) for i in range(p))
    line = segment(tuple(a - b for a, b in zip(x, d)), tuple(a + b for a, b in zip(x, d)))
    # γ(t) = x + (2t − 1) d + (2t − 1)² e, so γ(1/2) = x
    c0 = tuple(a - b + c for a, b, c in zip(x, d, e))
    c1 = tuple(2 * b - 4 * c for b, c in zip(d, e))
    c2 = tuple(4 * c for c in e)
    return [line, polynomial_curve([c0, c1, c2])] if parabola else [line]


@guarded(_claim)
def check_conservativity(P, x=None, n=4, seed=0, fields=DEFAULT_FIELDS, parabola=True,
                         curves=()):
    """Verdict for Theorem 3 on ``n`` sampled curves (plus two through ``x``).

    Parameters
    ----------
    P : Program (scalar)
    x : point, optional
    n, seed : curve sampling of :func:`selcalc.sample_curves`.
    fields : field names accepted by :func:`selcalc.check_conservative`, or
        :class:`selcalc.Field` objects.
    parabola : bool
        Include the parabola through ``x`` (polynomial curves leave the piecewise-linear
        fast path: the index closure along them costs one symbolic identity per pattern).
    curves : extra curves to check first (e.g. ones inside a user field's special set).
    """
    claim = _claim(P, fields=fields)
    if P.q != 1:
        return not_applicable(claim, "conservativity is checked for scalar programs")
    sampled = list(sample_curves(P, n, seed)) if n else []
    through = curves_through(P.coerce_point(x), parabola) if x is not None else []
    curves = list(curves) + through + sampled
    verdicts = []
    for curve in curves:
        for fld in fields:
            name = fld if isinstance(fld, str) else "user field"
            try:
                v = check_conservative(P, curve, fld)
            except DomainError as exc:
                v = not_applicable(f"{name} along {curve!r}", f"the curve leaves the domain "
                                                               f"({exc})")
            except (Undecided, PatternBudgetExceeded) as exc:
                v = Verdict(None, f"{name} along {curve!r}", reason=str(exc))
            verdicts.append(v)
            if v.holds is False:
                return combine(claim, verdicts, {"curve": curve, "field": name,
                                                 "witness": v.certificate})
    return combine(claim, verdicts, {"curves": len(curves)})
