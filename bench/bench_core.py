"""Benchmark: cheap gradient ratio, exact vs float evaluation, selcalc vs naive sympy.

Run: ``python bench/bench_core.py``.  Prints ratios measured side by side in one run.
"""

from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

import sympy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from bench.networks import relu_network  # noqa: E402
from selcalc.interpreters.evaluate import evaluate  # noqa: E402


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def cheap_gradient():
    P, _ = relu_network([2, 64, 64, 64, 64, 1], seed=1, tied_first_layer=16)
    print(f"ReLU network 2-64-64-64-64-1: m = {P.m} nodes, "
          f"{len(P.branching_groups)} relu nodes")
    for x in [(0, 0), (Fraction(1, 3), Fraction(-2, 7))]:
        run = evaluate(P, x)
        ties = len(run.ties())
        t_eval = best(lambda: evaluate(P, x))
        t_float = best(lambda: evaluate(P, [float(v) for v in x], number="float"))
        t_bwd = best(lambda: selcalc.grad(P, x))
        t_fwd = best(lambda: selcalc.grad(P, x, mode="forward"))
        print(f"  x = {tuple(str(v) for v in x)}: {ties} tied relus")
        print(f"    exact eval {t_eval * 1e3:8.1f} ms | float eval {t_float * 1e3:8.1f} ms | "
              f"exact/float = {t_eval / t_float:5.2f}  (aim <= 30)")
        print(f"    backward grad {t_bwd * 1e3:8.1f} ms | grad/eval = {t_bwd / t_eval:5.2f}"
              f"  (must be <= 5, aim <= 3) | forward grad {t_fwd * 1e3:8.1f} ms")


def naive_sympy():
    P, layers = relu_network([2, 8, 8, 1], seed=2)
    x = (Fraction(1, 3), Fraction(-2, 7))
    xs = sympy.symbols("x1 x2")

    def naive():
        h = list(xs)
        for li, (W, b) in enumerate(layers):
            pre = [sum((sympy.Rational(w.numerator, w.denominator) * v
                        for w, v in zip(row, h)), sympy.Rational(bi.numerator, bi.denominator))
                   for row, bi in zip(W, b)]
            h = pre if li == len(layers) - 1 else [sympy.Max(0, z) for z in pre]
        f = h[0]
        subs = {s: sympy.Rational(v.numerator, v.denominator) for s, v in zip(xs, x)}
        return tuple(sympy.diff(f, s).subs(subs) for s in xs)

    t_naive = best(naive, repeat=1)
    t_sel = best(lambda: selcalc.grad(P, x))
    assert naive() == selcalc.grad(P, x), "naive sympy and selcalc disagree"
    print(f"2x8x8x1 network at a generic point: naive sympy (build, diff, subs) "
          f"{t_naive * 1e3:.1f} ms | selcalc grad {t_sel * 1e3:.2f} ms | "
          f"speed-up {t_naive / t_sel:.0f}x  (aim >= 100x)")


if __name__ == "__main__":
    cheap_gradient()
    naive_sympy()
