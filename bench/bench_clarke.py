"""Benchmark: exact Clarke subgradient with pruning vs brute force over 2^k patterns.

A ReLU network with 2 inputs whose first layer has k neurons tied at x = 0 (bias 0, weights
in {-1, 0, 1} plus rational ones).  Brute force decides every one of the 2^k tie patterns
with one exact LP; selcalc prunes partial patterns whose cone is already empty, so only
the cells of the local hyperplane arrangement (at most 2k in the plane) are explored.
Second part: ``selcalc.clarke_element`` (one certified element, a few AD passes) on a
torch-imported 784-64-64-10 (and 784-200-64-10) ReLU net with dyadic weights and zero
biases at x = 0, where every hidden neuron ties; printed with the time of the certificate
re-check and, side by side, the old symbolic affinity test of one imported row (which the
element used to wait on: a sympy polynomial in all the row's arguments).
Run: ``python bench/bench_clarke.py`` (``--element`` runs only the second part).
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


def torch_net(widths, seed=0):
    """A torch ReLU net with weights k/4 (|k| <= 4) and zero biases, as a selcalc program."""
    import random

    import torch
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1]).double()
    rng = random.Random(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            else:
                p.copy_(torch.tensor([rng.randint(-4, 4) / 4 for _ in range(p.numel())],
                                     dtype=torch.float64).reshape(p.shape))
    x = torch.zeros(widths[0], dtype=torch.float64)
    return selcalc.from_torch(lambda v: net(v)[0], x)


def clarke_element_case(widths, target=5.0):
    from selcalc.certificates import check_clarke_element
    from selcalc.primitives import Primitive, affine_primitive
    t = time.perf_counter()
    P = torch_net(widths)
    t_import = time.perf_counter() - t
    x = [0] * widths[0]
    t = time.perf_counter()
    e = selcalc.clarke_element(P, x)
    t_elem = time.perf_counter() - t
    t = time.perf_counter()
    ok = check_clarke_element(P, x, e)
    t_check = time.perf_counter() - t
    rows = {P.ops[k].arity for k in range(P.p + 1, P.m + 1) if P.ops[k].arity > 300}
    t = time.perf_counter()
    Primitive.affine.func(affine_primitive(300, 0))  # the generic symbolic test
    t_sym = time.perf_counter() - t
    print(f"{'-'.join(map(str, widths)):15s} | {t_elem:6.2f} s (target < {target:g} s) | "
          f"{len(e.certificate['pattern']):4d} tied neurons | re-check {ok} in {t_check:5.2f} s"
          f" | import {t_import:4.1f} s", flush=True)
    print(f"    before: the element first ran a sympy affinity test on each of the "
          f"{len(rows)} distinct first-layer row shapes (up to {max(rows)} arguments); that "
          f"test takes {t_sym:.2f} s on one 300-argument row and grows about as n^3.5",
          flush=True)


def element_part():
    print("clarke_element on torch ReLU nets at x = 0 (zero biases: every hidden neuron ties)")
    clarke_element_case([784, 64, 64, 10])
    clarke_element_case([784, 200, 64, 10])


def main():
    if "--element" in sys.argv:
        element_part()
        return
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
    element_part()


if __name__ == "__main__":
    main()
