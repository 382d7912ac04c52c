"""The theorem regression: every theorem check over every casebook program (``selcalc theorems``).

Prints a table case:program × theorem whose cells are ``holds``, ``FAILS``, ``unknown``,
``n/a`` (the program is outside the theorem's hypotheses) or ``fails*`` — a failure on a
case marked ``expect_counterexample`` (expected, not an error).  The exit status is 1 when a
theorem that should hold fails, 0 otherwise; unknown cells are listed with their reasons,
never counted as passes.

The casebook (``casebook.registry.CASES``) is optional: without it the regression says so
and exits 0.  Each check runs at the case's point of interest (``Case.points``; the origin
when a program has none).

Run ``selcalc theorems`` or ``python -m selcalc.theorems.regression [--case NAME]
[--theorem KEY] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from ..verdict import Verdict
from ._common import FAILS, NA, UNKNOWN, status
from .almost_everywhere import check_gradient_almost_everywhere
from .chain_rule import check_chain_rule_program
from .cheap_gradient import check_cheap_gradient_program
from .clarke_inclusion import check_clarke_inclusion
from .conservativity import check_conservativity
from .fermat import check_fermat
from .integration import DEFAULT_CONVENTIONS as INTEGRATION_CONVENTIONS
from .integration import check_integration_along_segments
from .selection_gradient import check_selection_gradient

#: symbolic oracles expand f_σ as one expression: past this many nodes they are skipped
MAX_SYMBOLIC_NODES = 1000


@dataclass(frozen=True)
class Check:
    """One column of the table: a key, a title, and ``run(P, x, quick) -> Verdict``."""

    key: str
    title: str
    run: object


def _symbolic(P, claim, fn):
    if P.m > MAX_SYMBOLIC_NODES:
        return Verdict(None, claim, reason=f"skipped: {P.m} nodes, the symbolic oracle is "
                                           f"limited to {MAX_SYMBOLIC_NODES}")
    return fn()


def _thm2(P, x, quick):
    return _symbolic(P, "Theorem 2", lambda: check_selection_gradient(P, x))


def _prop2(P, x, quick):
    return _symbolic(P, "Proposition 2", lambda: check_integration_along_segments(
        P, x, n=2 if quick else 4,
        conventions=("selection", "pytorch") if quick else INTEGRATION_CONVENTIONS))


def _thm3(P, x, quick):
    return _symbolic(P, "Theorem 3", lambda: check_conservativity(
        P, x, n=3 if quick else 6, parabola=not quick))  # kinds cycle: random, through, inside


def _prop3(P, x, quick):
    return _symbolic(P, "Proposition 3", lambda: check_gradient_almost_everywhere(
        P, n_points=1 if quick else 3))


def _prop4(P, x, quick):
    return _symbolic(P, "Proposition 4", lambda: check_chain_rule_program(P, x))


def _clarke(P, x, quick):
    return check_clarke_inclusion(P, x)


def _fermat(P, x, quick):
    centre = x[0] if P.p == 1 else 0  # other programs: the check says not applicable
    return check_fermat(P, centre - 2, centre + 2)


def _lemma1(P, x, quick):
    try:
        from .lemma1 import prove_forward_equals_backward
    except ImportError as exc:  # pragma: no cover - lemma1 ships with the package
        return Verdict(None, "Lemma 1", reason=f"lemma1 unavailable: {exc}")
    return _symbolic(P, "Lemma 1", lambda: prove_forward_equals_backward(P))


def _cheap(P, x, quick):
    return check_cheap_gradient_program(P)


CHECKS = (
    Check("thm2", "Theorem 2: AD = ∇f_s(x)(x) under selection conventions", _thm2),
    Check("lemma1", "Lemma 1: forward = backward as polynomials in the local partials",
          _lemma1),
    Check("prop2", "Proposition 2: integration along segments", _prop2),
    Check("thm3", "Theorem 3: index_closure / ad_outputs / clarke conservative", _thm3),
    Check("prop3", "Proposition 3: every derivative set is {∇f} a.e.", _prop3),
    Check("prop4", "Proposition 4: chain rule with tie-planting maps", _prop4),
    Check("clarke", "clarke ⊆ conv(ad_outputs), ⊆ index_closure; AD ∈ conv(ad_outputs)",
          _clarke),
    Check("fermat", "Fermat's rule: 0 ∈ ∂^c f at local minima (one input)", _fermat),
    Check("cheap", "cheap gradient: ω_b ≤ 5 (primitives of local ratio ≤ 5)", _cheap),
)
CHECKS_BY_KEY = {c.key: c for c in CHECKS}


def load_cases():
    """``casebook.registry.CASES``, or None when the casebook is not importable."""
    try:
        from casebook.registry import CASES
    except ImportError:
        return None
    return CASES


def case_programs(case):
    """``(program name, Program, point)`` for every program of a case."""
    out = []
    for name, P in case.programs().items():
        point = case.points.get(name)
        out.append((name, P, tuple(point) if point is not None else (0,) * P.p))
    return out


def run_check(check, P, x, quick=False):
    """Run one check; a crash is reported as a failure Verdict (it is a bug either way)."""
    try:
        return check.run(P, x, quick)
    except Exception as exc:  # noqa: BLE001 - the table must show the crash, not stop
        return Verdict(False, check.title, {"exception": repr(exc)},
                       reason=f"crashed: {type(exc).__name__}: {exc}")


def cell(verdict, expected_counterexample):
    s = status(verdict)
    if s == FAILS:
        return "fails*" if expected_counterexample else "FAILS"
    return s


def main(argv=None) -> int:
    """Run the regression and print the table; returns the exit status."""
    parser = argparse.ArgumentParser(prog="selcalc theorems", description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", help="only this case (repeatable)")
    parser.add_argument("--theorem", action="append", choices=list(CHECKS_BY_KEY),
                        help="only this theorem (repeatable)")
    parser.add_argument("--quick", action="store_true", help="fewer curves and points")
    args = parser.parse_args([] if argv is None else argv)
    cases = load_cases()
    if cases is None:
        print("selcalc theorems: the casebook (casebook.registry) is not importable; "
              "nothing to run")
        return 0
    checks = [CHECKS_BY_KEY[k] for k in args.theorem] if args.theorem else list(CHECKS)
    names = args.case or list(cases)
    unknown_cases = [n for n in names if n not in cases]
    if unknown_cases:
        print(f"selcalc theorems: unknown case(s) {', '.join(unknown_cases)}; choose from "
              f"{', '.join(cases)}", file=sys.stderr)
        return 2
    rows, notes, unexpected = [], [], 0
    start = time.perf_counter()
    for cname in names:
        case = cases[cname]
        for pname, P, x in case_programs(case):
            cells = []
            for check in checks:
                v = run_check(check, P, x, args.quick)
                c = cell(v, case.expect_counterexample)
                cells.append(c)
                if c in ("FAILS", "fails*", UNKNOWN):
                    notes.append(f"{c:8s} {cname}:{pname} [{check.key}] {v.reason or v.claim}")
                unexpected += c == "FAILS"
            rows.append((f"{cname}:{pname}" + (" †" if case.expect_counterexample else ""),
                         cells))
    width = max([len(r[0]) for r in rows] + [10])
    cols = [max(len(c.key), 7) for c in checks]
    print("case:program".ljust(width) + "  " + "  ".join(c.key.ljust(w)
                                                         for c, w in zip(checks, cols)))
    for label, cells in rows:
        print(label.ljust(width) + "  " + "  ".join(c.ljust(w) for c, w in zip(cells, cols)))
    print()
    for c in checks:
        print(f"  {c.key:7s} {c.title}")
    print("  † case marked expect_counterexample: a failure there is expected (fails*)")
    counts = {s: sum(cell == s for _, cells in rows for cell in cells)
              for s in ("holds", "FAILS", "fails*", UNKNOWN, NA)}
    print("\n" + ", ".join(f"{k}: {v}" for k, v in counts.items())
          + f"  ({time.perf_counter() - start:.1f} s)")
    if notes:
        print("\nnot holding:")
        for line in notes:
            print("  " + line)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
