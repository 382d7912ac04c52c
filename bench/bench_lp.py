"""Benchmark of the exact LP backend against the z3 route, measured side by side.

Each line prints the time with the default backend (HiGHS proposal, exact verification),
the time of the z3 route in the same run (``selcalc.polyhedra.use_backend("z3")``) and the
ratio.  The z3 route gets a time limit (printed as ``>``) so the run stays short.
Run: ``python bench/bench_lp.py`` (``--quick`` skips the slowest z3 runs).
"""

from __future__ import annotations

import itertools
import os
import random
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from bench.networks import relu_network  # noqa: E402
from selcalc import polyhedra  # noqa: E402
from selcalc.conventions import CONVENTIONS  # noqa: E402
from selcalc.interpreters.backward import backward_jacobian  # noqa: E402
from selcalc.interpreters.partials import local_partials  # noqa: E402

SELECTION = CONVENTIONS["selection"]

Z3_LIMIT = 120.0


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def side_by_side(label, fn, z3=True, target=None):
    t_new, out = timed(fn)
    line = f"{label:58s} {t_new:7.2f} s"
    if target is not None:
        line += f" (target < {target:g} s)"
    if z3:
        with polyhedra.use_backend("z3"):
            try:
                t_old, _ = timed(fn)
                line += f" | z3 route {t_old:7.2f} s | ratio {t_old / t_new:6.1f}x"
            except selcalc.TimeLimitExceeded:
                line += f" | z3 route > {Z3_LIMIT:g} s | ratio > {Z3_LIMIT / t_new:.1f}x"
            except selcalc.Undecided as exc:
                line += f" | z3 route failed: {exc}"
    print(line, flush=True)
    return out


def clarke_case(p, k, z3):
    P, _ = relu_network([p, k, 1], seed=k, tied_first_layer=k)
    x = (0,) * p

    def run():
        if polyhedra.backend() == "z3":
            return selcalc.clarke(P, x, time_limit=Z3_LIMIT)
        return selcalc.clarke(P, x)
    C = side_by_side(f"clarke, {p} inputs, k = {k} tied neurons", run, z3,
                     {(6, 10): 2, (8, 10): 10, (2, 40): 2}.get((p, k)))
    print(f"    {len(C.vertices)} vertices, {C.stats.lp} LP calls, {C.stats.pruned} pruned")


def random_points(n, dim, seed=0):
    rng = random.Random(seed)
    pts = set()
    while len(pts) < n:
        pts.add(tuple(Fraction(rng.randint(-50, 50), rng.randint(1, 8)) for _ in range(dim)))
    return sorted(pts)


def vertices_case(quick):
    pts = random_points(1000, 8)
    S = side_by_side("ConvexSet.vertices, 1000 random rational points in R^8",
                     lambda: selcalc.ConvexSet(pts).vertices, z3=False, target=5)
    sub = pts[:200]
    side_by_side("ConvexSet.vertices, 200 of those points (both backends)",
                 lambda: selcalc.ConvexSet(sub).vertices, z3=not quick)
    T = selcalc.ConvexSet(pts)
    centre = tuple(sum(p[j] for p in pts) / len(pts) for j in range(8))
    side_by_side("ConvexSet.contains (one LP over 1000 points), inside",
                 lambda: T.contains(centre), target=0.1)
    side_by_side("ConvexSet.contains, outside", lambda: T.contains((100,) * 8), target=0.1)
    print(f"    {len(S)} vertices of 1000 points")


def per_choice_outputs(P, x):
    """The previous route: one backward pass per tie choice (no splitting of ties), in
    python-flint rationals as before."""
    from selcalc.interpreters.evaluate import evaluate
    from selcalc.local import _swapped
    from selcalc.numbers import fast_rationals
    to_q, from_q = fast_rationals()
    run = evaluate(P, x)
    ties = run.ties()
    groups = sorted(ties)

    def conv(dk):
        return tuple(to_q(a) if a != 0 else 0 for a in dk)
    base = [conv(dk) for dk in local_partials(P, run, SELECTION)]
    alt = {}
    for g in groups:
        for i in ties[g]:
            d = local_partials(P, run, SELECTION, pattern={g: i})
            alt[g, i] = [(k, conv(d[k])) for k in range(g, P.m + 1) if P.groups[k] == g]
    out = set()
    for combo in itertools.product(*(ties[g] for g in groups)):
        row = backward_jacobian(P, _swapped(base, alt, groups, combo))[0]
        out.add(tuple(from_q(v) if v != 0 else 0 for v in row))
    return out


def ad_outputs_case():
    P, _ = relu_network([2, 16, 1], seed=16, tied_first_layer=16)
    t_new, A = timed(lambda: selcalc.ad_outputs(P, (0, 0)))
    t_old, old = timed(lambda: per_choice_outputs(P, (0, 0)))
    assert set(A.points) == old, "the two routes disagree"
    print(f"{'ad_outputs with 2^16 tie choices (set built, no hull)':58s} {t_new:7.2f} s "
          f"(target < 5 s) | one pass per choice {t_old:7.2f} s | ratio {t_old / t_new:6.1f}x"
          f"\n    {len(A.points)} distinct outputs", flush=True)
    side_by_side("    ... and its vertices", lambda: A.vertices, z3=False)


def big_net(widths, seed=0):
    """A fully connected ReLU net with all biases 0: every hidden neuron ties at x = 0."""
    rng = random.Random(seed)
    layers = [[[Fraction(rng.randint(-3, 3), 4) for _ in range(a)] for _ in range(b)]
              for a, b in zip(widths[:-1], widths[1:])]

    def net(*x):
        h = list(x)
        for li, W in enumerate(layers):
            pre = [sum(w * v for w, v in zip(row, h) if w) for row in W]
            h = pre if li == len(layers) - 1 else [selcalc.relu(z) for z in pre]
        return tuple(h)
    return selcalc.trace(net, nargs=widths[0])


def clarke_element_case(widths):
    t_trace, P = timed(lambda: big_net(widths))
    x = (0,) * widths[0]
    e = side_by_side(f"clarke_element, {'-'.join(map(str, widths))} ReLU net at 0",
                     lambda: selcalc.clarke_element(P, x), z3=False, target=5)
    ties = len(e.certificate["pattern"])
    print(f"    {ties} tied neurons; tracing the net took {t_trace:.1f} s")


def directional_case():
    P, _ = relu_network([20, 30, 1], seed=1, tied_first_layer=30)
    x = (0,) * 20
    rng = random.Random(0)
    D = [tuple(Fraction(rng.randint(-9, 9), 7) for _ in range(20)) for _ in range(20)]
    t_grad, _ = timed(lambda: selcalc.grad(P, x))
    t_dirs, _ = timed(lambda: selcalc.directional_derivatives(P, x, D))
    print(f"{'20 directional derivatives vs one gradient (20 inputs)':58s} "
          f"{t_dirs:7.2f} s vs {t_grad:5.2f} s: ratio {t_dirs / t_grad:5.1f}x")


def main():
    quick = "--quick" in sys.argv
    print("(the machine may be loaded: compare the ratios, not the absolute times)")
    clarke_case(2, 40, True)
    clarke_case(6, 10, True)
    clarke_case(8, 10, not quick)
    vertices_case(quick)
    ad_outputs_case()
    clarke_element_case([784, 64, 64, 10])
    clarke_element_case([784, 200, 64, 10])
    directional_case()
    print(f"backend counters: {polyhedra.STATS}")


if __name__ == "__main__":
    main()
