"""Benchmark: ``sort`` with implicit pieces against the explicit r! construction.

``f(x) = sum_i i * sort(x)_i`` at a point with two tie groups of 3 entries.  The implicit
sort lists only the 3! * 3! = 36 orders consistent with the ties; the explicit route
(:func:`selcalc.primitives.explicit_sort_primitive`, the construction used before) builds
and compiles every one of the r! permutations.  Both run in the same process; the
explicit route only where it is feasible (r = 12 would need 479001600 pieces).
Run: ``python bench/bench_sort.py``.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from selcalc.frontends import builder  # noqa: E402
from selcalc.primitives import explicit_sort_primitive, sort_primitive  # noqa: E402

TARGET_S = 2.0


def source(r):
    xs = [f"x{i}" for i in range(r)]
    body = " + ".join(f"{i + 1} * s[{i}]" for i in range(r))
    return f"def f({', '.join(xs)}):\n    s = sort({', '.join(xs)})\n    return {body}"


def point(r):
    """Entries 0..r-1 with two tie groups of 3: (0, 0, 0, 3, 3, 3, 6, 7, ...)."""
    x = list(range(r))
    x[1] = x[2] = x[0]
    x[4] = x[5] = x[3]
    return tuple(x)


def run(r, explicit):
    """(seconds for parse + clarke, number of vertices)."""
    saved = builder.sort_primitive
    if explicit:
        builder.sort_primitive = explicit_sort_primitive
    try:
        t = time.perf_counter()
        P = selcalc.parse(source(r))
        C = selcalc.clarke(P, point(r))
        n = len(C.vertices)
        return time.perf_counter() - t, n
    finally:
        builder.sort_primitive = saved


def main():
    print("(the machine may be loaded: compare the ratios, not the absolute times)")
    print(" r | pieces r!   | vertices    | implicit: parse + clarke | explicit r! pieces"
          "        | ratio")
    for r in (6, 7, 12):
        t_new, n_new = run(r, False)
        pieces = sort_primitive(r).n_pieces
        if r <= 7:
            t_old, n_old = run(r, True)
            assert n_old == n_new
            old = f"{t_old:8.2f} s"
            ratio = f"{t_old / t_new:6.0f}x"
        else:
            old, ratio = "not built (r! pieces)", "-"
        target = f" (target < {TARGET_S:g} s)" if r == 12 else ""
        print(f"{r:2d} | {pieces:11d} | {n_new:11d} | {t_new:8.2f} s{target:17s}"
              f"| {old:25s} | {ratio}", flush=True)


if __name__ == "__main__":
    main()
