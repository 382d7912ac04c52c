"""Benchmark: exact breakpoints and conservativity along a segment crossing a traced
ReLU network (2 inputs, 3 hidden layers of width 64), against a float baseline that finds
breakpoints by dense sampling (10^4 samples) and bisection.

Run: ``python bench/bench_curves.py`` (the float baseline needs numpy:
``python -m pip install -e ".[bench]"``).
"""

from __future__ import annotations

import os
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import numpy as np  # noqa: E402
except ImportError:  # pragma: no cover - depends on the environment
    sys.exit("bench_curves.py needs numpy for its float baseline: "
             "python -m pip install -e \".[bench]\"")

import selcalc  # noqa: E402
from bench.networks import relu_network  # noqa: E402


def float_breakpoints(layers, a, b, samples=10_000, bisections=60):
    """Sign changes of every pre-activation between consecutive samples, then bisection."""
    Ws = [(np.array([[float(w) for w in row] for row in W]), np.array([float(v) for v in bias]))
          for W, bias in layers]
    a, b = np.array([float(v) for v in a]), np.array([float(v) for v in b])

    def pre_activations(ts):
        h = a[None, :] + ts[:, None] * (b - a)[None, :]
        pres = []
        for W, bias in Ws[:-1]:
            z = h @ W.T + bias
            pres.append(z)
            h = np.maximum(z, 0)
        return np.concatenate(pres, axis=1)

    ts = np.linspace(0, 1, samples)
    Z = pre_activations(ts)
    found = []
    for i, j in zip(*np.nonzero(np.sign(Z[:-1]) != np.sign(Z[1:]))):
        lo, hi = ts[i], ts[i + 1]
        s_lo = np.sign(Z[i, j])
        for _ in range(bisections):
            mid = (lo + hi) / 2
            if np.sign(pre_activations(np.array([mid]))[0, j]) == s_lo:
                lo = mid
            else:
                hi = mid
        found.append((lo + hi) / 2)
    return sorted(set(found))


def main():
    P, layers = relu_network([2, 64, 64, 64, 1], seed=7)
    a, b = (Fraction(-3), Fraction(-2)), (Fraction(3), Fraction(5, 2))
    curve = selcalc.segment(a, b)
    print(f"network 2-64-64-64-1 traced: m = {P.m} nodes; segment {a} -> {b}")
    t = time.perf_counter()
    bp = selcalc.breakpoints(P, curve)
    t_bp = time.perf_counter() - t
    n = len(bp.points)
    print(f"exact breakpoints: {n} in {t_bp:.2f} s ({1e3 * t_bp / max(n, 1):.1f} ms per "
          f"breakpoint)")
    for field in ("ad_outputs", "clarke", "pytorch"):
        t = time.perf_counter()
        v = selcalc.check_conservative(P, curve, field)
        t_c = time.perf_counter() - t
        print(f"check_conservative({field}): {v.holds} in {t_c:.2f} s "
              f"({1e3 * t_c / max(n, 1):.1f} ms per breakpoint; aim: whole check < 10 s)")
    exact = [float(p) for p in bp.points]
    t = time.perf_counter()
    approx = float_breakpoints(layers, a, b)
    t_f = time.perf_counter() - t
    missed = [e for e in exact if not any(abs(e - f) < 1e-6 for f in approx)]
    misplaced = [f for f in approx if not any(abs(e - f) < 1e-12 for e in exact)]
    print(f"float baseline (10^4 samples + bisection): {len(approx)} found in {t_f:.2f} s; "
          f"missed {len(missed)} of {n}; {len(misplaced)} found points are more than "
          f"1e-12 away from every exact breakpoint")


if __name__ == "__main__":
    main()
