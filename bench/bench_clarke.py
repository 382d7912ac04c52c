"""Benchmark: exact Clarke subgradient with pruning vs brute force over 2^k patterns.

A ReLU network with 2 inputs whose first layer has k neurons tied at x = 0 (bias 0, weights
in {-1, 0, 1} plus rational ones).  Brute force decides every one of the 2^k tie patterns
with one exact LP; selcalc prunes partial patterns whose cone is already empty, so only
the cells of the local hyperplane arrangement (at most 2k in the plane) are explored.
Run: ``python bench/bench_clarke.py``.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from bench.networks import relu_network  # noqa: E402
from selcalc.decide import open_cone  # noqa: E402
from selcalc.interpreters.evaluate import evaluate  # noqa: E402

BRUTE_LIMIT_S = 20.0


def brute_force(P, x, limit):
    """Decide all 2^k tie patterns of the first layer, one LP each (as far as time allows)."""
    run = evaluate(P, x)
    from selcalc.fields import SELECTION
    from selcalc.interpreters.forward import forward_tangents
    from selcalc.interpreters.partials import local_partials
    ties = run.ties()
    groups = list(ties)
    d = local_partials(P, run, SELECTION)
    tangent = forward_tangents(P, d)
    normals = {}
    for g in groups:
        (j,) = P.args[g]
        normals[g] = tangent[j]
    start, done, essential = time.perf_counter(), 0, 0
    for combo in itertools.product(*(ties[g] for g in groups)):
        cons = [tuple((1 if i == 1 else -1) * v for v in normals[g])
                for g, i in zip(groups, combo)]
        essential += bool(open_cone(cons).holds)
        done += 1
        if time.perf_counter() - start > limit:
            return done, essential, time.perf_counter() - start, False
    return done, essential, time.perf_counter() - start, True


def main():
    print("k  | clarke time | LP calls | pruned | vertices | brute force (2^k LPs)"
          "              | ad_outputs size, time")
    for k in (8, 12, 16, 20):
        P, _ = relu_network([2, k, 1], seed=k, tied_first_layer=k)
        x = (0, 0)
        t = time.perf_counter()
        C = selcalc.clarke(P, x)
        t_clarke = time.perf_counter() - t
        stats = C.stats
        done, ess, t_brute, finished = brute_force(P, x, BRUTE_LIMIT_S)
        brute = (f"{done} LPs in {t_brute:5.1f} s" if finished else
                 f"{done}/{2 ** k} LPs in {t_brute:4.1f} s (stopped)")
        if k <= 16:
            t = time.perf_counter()
            ad = selcalc.ad_outputs(P, x)
            t_ad = time.perf_counter() - t
            ad_text = f"{len(ad.points)} points, {len(ad.vertices)} vertices, {t_ad:5.1f} s"
        else:
            ad_text = f"2^{k} tie choices: over the default budget of 2^16"
        print(f"{k:2d} | {t_clarke:9.2f} s | {stats.lp:8d} | {stats.pruned:6d} | "
              f"{len(C.vertices):8d} | {brute:34s} | {ad_text}")


if __name__ == "__main__":
    main()
