"""Benchmark: ``ConvexSet.facets`` (exact gift-wrapping) beside the work around it.

For each point cloud, in the same process: the vertices (``ConvexSet.vertices``, the
existing exact redundancy removal), the exact H-representation (``facets()``), its
independent re-check (``certificates.check_facets``) and, when scipy is installed, qhull's
floating-point hull of the same vertices (``scipy.spatial.ConvexHull``, not exact: a
reference for speed only; it triangulates, so its facet count is the number of simplices).

Clouds: ``box`` (random rationals in a box: few vertices), ``sphere`` (rational points
near a sphere: every point a vertex, many facets).  Each time is one run.
Run: ``python bench/bench_facets.py``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import selcalc  # noqa: E402
from selcalc.certificates import check_facets  # noqa: E402


def box(rng, n, m):
    return [tuple(Fraction(rng.randint(-100, 100), rng.randint(1, 9)) for _ in range(n))
            for _ in range(m)]


def sphere(rng, n, m):
    out = []
    for _ in range(m):
        v = [rng.gauss(0, 1) for _ in range(n)]
        r = sum(x * x for x in v) ** .5
        out.append(tuple(Fraction(round(x / r * 1000), 1000) for x in v))
    return out


def qhull_time(vertices):
    try:
        import numpy as np
        from scipy.spatial import ConvexHull
    except ImportError:
        return None, None
    start = time.perf_counter()
    hull = ConvexHull(np.array([[float(c) for c in v] for v in vertices]))
    return time.perf_counter() - start, len(hull.simplices)


def main():
    rng = random.Random(3)
    print(f"{'cloud':<8} {'n':>2} {'points':>6} {'verts':>5} {'facets':>6} "
          f"{'vertices s':>10} {'facets s':>9} {'check s':>8} {'qhull s':>8} {'qhull simplices':>15}")
    for name, gen, n, m in [("box", box, 4, 200), ("box", box, 5, 200),
                            ("sphere", sphere, 3, 200), ("sphere", sphere, 4, 200),
                            ("sphere", sphere, 5, 100)]:
        pts = gen(rng, n, m)
        t0 = time.perf_counter()
        S = selcalc.ConvexSet(pts)
        verts = S.vertices
        t1 = time.perf_counter()
        H = S.facets()
        t2 = time.perf_counter()
        check_facets(S, H)
        t3 = time.perf_counter()
        q, simplices = qhull_time(verts)
        qs = "-" if q is None else f"{q:.3f}"
        print(f"{name:<8} {n:>2} {m:>6} {len(verts):>5} {len(H.inequalities):>6} "
              f"{t1 - t0:>10.3f} {t2 - t1:>9.3f} {t3 - t2:>8.3f} {qs:>8} {simplices or '-':>15}",
              flush=True)


if __name__ == "__main__":
    main()
