"""Cheap gradient principle: ω_b from the operation-count model and from measured times.

Run: ``python bench/bench_cheap_gradient.py``.  For ReLU networks of several sizes prints

* the cost model (``selcalc.cost``, ``selcalc.cost_backward``; rules in
  ``selcalc/interpreters/opcount.py``) and ``ω_b = cost_backward / cost``;
* measured times of exact evaluation and of exact backprop (``selcalc.grad``, which
  evaluates first), and their ratio, at a generic point and at a point with tied ReLUs.

Two weight families: entries in {−1, 0, 1} (``selcalc.theorems.cheap_gradient``, the
setting of Bolte, Boustany, Pauwels & Pesquet-Popescu, ICLR 2023) and small rationals
(``bench/networks.py``).
"""

from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from bench.networks import relu_network as rational_network  # noqa: E402
from selcalc.interpreters.evaluate import evaluate  # noqa: E402
from selcalc.interpreters.opcount import opcount  # noqa: E402
from selcalc.theorems.cheap_gradient import relu_network  # noqa: E402

SIZES = [(2, 4, 1), (2, 8, 8, 1), (4, 16, 16, 1), (8, 32, 32, 32, 1), (16, 64, 64, 64, 1)]


def best(fn, budget=1.0, repeat=7):
    """Best of a few runs (at least one; stops early past ``budget`` seconds)."""
    times, start = [], time.perf_counter()
    while len(times) < repeat and (not times or time.perf_counter() - start < budget):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def row(label, P, points):
    c = opcount(P)
    cells = [f"{label:<22}", f"{P.m:6d}", f"{c.evaluation:7d}", f"{c.backward:8d}",
             f"{float(c.ratio):5.2f}"]
    for x in points:
        t_eval = best(lambda: evaluate(P, x))
        t_grad = best(lambda: selcalc.grad(P, x))
        cells.append(f"{t_eval * 1e3:8.2f} {t_grad * 1e3:8.2f} {t_grad / t_eval:5.2f}")
    print("  ".join(cells), flush=True)
    return c.ratio


def main():
    print("ω_b = cost(backprop(P)) / cost(P) in the operation-count model, and measured "
          "exact times (ms): eval, grad, grad/eval")
    print(f"{'network':<22}  {'m':>6}  {'cost':>7}  {'backprop':>8}  {'ω_b':>5}  "
          f"{'generic point: eval grad ratio':>30}  {'tied point: eval grad ratio':>27}")
    worst = 0
    for widths in SIZES:
        generic = tuple(Fraction(k + 1, 3 + k) * (-1) ** k for k in range(widths[0]))
        tied = (0,) * widths[0]
        for label, P in ((f"{'-'.join(map(str, widths))} {{-1,0,1}}", relu_network(widths)),
                         (f"{'-'.join(map(str, widths))} rational",
                          rational_network(widths, seed=1, tied_first_layer=widths[1] // 4)[0])):
            worst = max(worst, row(label, P, (generic, tied)))
    print(f"\nlargest ω_b = {float(worst):.3f}  (claim: <= 5; the ICLR 2023 paper states "
          f"ω_b ≈ 5 for ReLU networks)")


if __name__ == "__main__":
    main()
