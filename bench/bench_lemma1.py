"""How large an m each route proves Lemma 1 of Bolte & Pauwels (NeurIPS 2020) for, in a budget.

Compares ``prove_lemma1`` (induction on a straight-line program of columns, O(m^2)) with
``naive_lemma1`` (dense expanded sympy products, exponential). For each p, m is doubled
until an attempt fails (time budget or memory), then the gap is bisected a few times.
Every attempt runs in its own subprocess, killed at the budget.

    python bench/bench_lemma1.py [--budget 60] [--refine 4] [--p 1 4]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 8 * 2**30  # bytes of address space per attempt


def attempt(route: str, p: int, m: int) -> None:
    """Child process: run one proof and print its time in seconds (or fail)."""
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    sys.path.insert(0, str(REPO))
    from selcalc.theorems.lemma1 import naive_lemma1, prove_lemma1
    start = time.perf_counter()
    verdict = (prove_lemma1 if route == "prove" else naive_lemma1)(p, m)
    elapsed = time.perf_counter() - start
    if verdict.holds is not True:
        sys.exit(f"not proved: {verdict}")
    print(f"{elapsed:.3f}")


def run(route: str, p: int, m: int, budget: float):
    """Seconds taken if the attempt succeeded within ``budget`` (wall clock), else None."""
    try:
        out = subprocess.run([sys.executable, __file__, "--attempt", route, str(p), str(m)],
                             capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout) if out.returncode == 0 else None


def largest(route: str, p: int, budget: float, refine: int, start: int):
    """Largest m (and its time) proved within the budget: doubling, then bisection."""
    good, good_time, bad = None, None, None

    def attempt(m):
        t = run(route, p, m, budget)
        print(f"  {route:6} p={p} m={m:6}: " + (f"{t:7.2f} s" if t is not None else "failed"),
              flush=True)
        return t

    m = max(start, p + 1)
    while bad is None:
        t = attempt(m)
        if t is None:
            bad = m
        else:
            good, good_time, m = m, t, 2 * m
    for _ in range(refine):
        if good is None or bad - good <= 1:
            break
        m = (good + bad) // 2
        t = attempt(m)
        if t is None:
            bad = m
        else:
            good, good_time = m, t
    return good, good_time, bad


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--attempt":
        attempt(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per attempt")
    parser.add_argument("--refine", type=int, default=4, help="bisection steps after doubling")
    parser.add_argument("--p", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    rows = []
    for p in args.p:
        for route, start in (("prove", 64), ("naive", 2)):
            rows.append((p, route, *largest(route, p, args.budget, args.refine, start)))
    print(f"\nLemma 1, largest m proved within {args.budget:g} s per attempt")
    print(f"{'p':>3}  {'route':<14} {'largest m':>9}  {'time (s)':>8}  {'first failed m':>14}")
    for p, route, good, t, bad in rows:
        name = "prove_lemma1" if route == "prove" else "naive_lemma1"
        print(f"{p:>3}  {name:<14} {good if good else '-':>9}  "
              f"{(f'{t:.2f}' if t is not None else '-'):>8}  {bad:>14}")


if __name__ == "__main__":
    main()
