"""Benchmark: ``artificial_critical`` (early stops) vs the full route (every set, then test).

The full route computes every AD output at the point (2^k tie choices), tests whether 0
lies in their hull, then computes the whole Clarke subgradient (the cell search of
``clarke``) and tests 0 again.  ``artificial_critical`` answers the same yes/no question
but stops early: a certified Clarke element equal to 0 refutes at once, the AD outputs are
enumerated only until their hull contains 0, and the cell search stops as soon as the hull
of the essential gradients found contains 0.  Both routes run in the same process, one
after the other, on the same program; the answers must agree.

Programs (ReLU networks whose first layer has k neurons tied at x = 0):

- ``net``: the network itself (0 is typically in the Clarke set: the early stops apply);
- ``net + c.x``: a large linear term moves 0 out of every set (no early stop: the
  overhead of the membership tests shows);
- ``net + c x1 + M zero(x1)``: ``zero(t) = relu(-t) + t - relu(t)`` adds AD outputs
  ``-M..M`` along x1 but nothing to the Clarke set, which ``c x1`` moves away from 0: an
  artificial critical point (the AD side stops early, the Clarke side runs to the end).

Each time is the best of two runs.  Run: ``python bench/bench_artificial.py``
(``--quick``: fewer seeds).
"""

from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from bench.networks import relu_network_weights  # noqa: E402


def full_route(P, x):
    """The old route: every AD output, then the whole Clarke set, then membership of 0."""
    D = selcalc.ad_outputs(P, x)
    if D.contains_zero().holds is False:
        return False
    C = selcalc.clarke(P, x, allow_unknown=True)
    if isinstance(C, selcalc.ClarkeBounds):
        raise RuntimeError("the benchmark programs have exact Clarke sets")
    return not C.contains_zero().holds


def program(p, k, seed, linear=0, zero=0):
    layers = relu_network_weights([p, k, 1], seed, tied_first_layer=k)
    c = [Fraction(linear * (i + 1)) if not zero or i == 0 else Fraction(0) for i in range(p)]

    def net(*x):
        h = list(x)
        for li, (W, b) in enumerate(layers):
            pre = [sum((w * v for w, v in zip(row, h)), bi) for row, bi in zip(W, b)]
            h = pre if li == len(layers) - 1 else [selcalc.relu(z) for z in pre]
        out = h[0] + sum((ci * xi for ci, xi in zip(c, x)), Fraction(0))
        if zero:
            out = out + zero * (selcalc.relu(-x[0]) + x[0] - selcalc.relu(x[0]))
        return out
    return selcalc.trace(net, nargs=p)


def timed(fn, repeat=2):
    """``(value, best time over repeat runs)``: the minimum damps a shared machine's noise."""
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        t = time.perf_counter() - t
        best = t if best is None else min(best, t)
    return value, best


def main(quick=False):
    seeds = range(2) if quick else range(4)
    kinds = [("net", {}), ("net + c.x", {"linear": 100}),
             ("net + c x1 + M zero(x1)", {"linear": 100, "zero": 1000})]
    print(f"{'program':24s} {'p':>2s} {'k':>3s} {'seed':>4s} | {'full route':>10s} | "
          f"{'artificial_critical':>19s} | {'ratio':>7s} | answer | how")
    ratios = {}
    for p, k in ((4, 12), (6, 10)):
        for name, kw in kinds:
            for seed in seeds:
                kk = k - 2 if kw.get("zero") else k  # 2 more ties: stay under 2^16 choices
                P = program(p, kk, seed, **kw)
                x = (0,) * p
                old, t_old = timed(lambda: full_route(P, x))
                v, t_new = timed(lambda: selcalc.artificial_critical(P, x))
                assert v.holds is old, (name, p, kk, seed, old, v)
                ratio = t_old / t_new
                ratios.setdefault(name, []).append(ratio)
                print(f"{name:24s} {p:2d} {kk:3d} {seed:4d} | {t_old:8.2f} s | "
                      f"{t_new:17.2f} s | {ratio:6.1f}x | {str(v.holds):6s} | {v.reason}",
                      flush=True)
    print()
    for name, rs in ratios.items():
        rs = sorted(rs)
        print(f"{name:24s} ratio full/new: min {rs[0]:.1f}x, median {rs[len(rs) // 2]:.1f}x, "
              f"max {rs[-1]:.1f}x over {len(rs)} programs")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
