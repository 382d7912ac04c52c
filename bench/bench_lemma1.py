"""How large an m each route proves Lemma 1 of Bolte & Pauwels (NeurIPS 2020) for, in a budget.

Compares ``prove_lemma1`` (induction on a straight-line program of columns, O(m^2)) with
``naive_lemma1`` (dense expanded sympy products, exponential). For each p, m is doubled
until an attempt does not finish (it reaches the per-attempt time limit, or fails, e.g. out
of memory), then the gap is bisected a few times.  Every attempt runs in its own
subprocess, killed at the limit; the whole run stops at ``--total`` seconds (default 180),
so it takes a few minutes at most.  "time limit reached" and "failed" are reported
separately.

    python bench/bench_lemma1.py [--budget 20] [--total 180] [--refine 3] [--p 1 4]
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


TIME_LIMIT = "time limit reached"


class Clock:
    """The run's overall deadline, shared by every attempt."""

    def __init__(self, total: float):
        self.deadline = time.monotonic() + total

    def left(self) -> float:
        return self.deadline - time.monotonic()


def run(route: str, p: int, m: int, budget: float):
    """``(seconds, None)`` if the attempt succeeded within ``budget``, else ``(None, why)``."""
    try:
        out = subprocess.run([sys.executable, __file__, "--attempt", route, str(p), str(m)],
                             capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired:
        return None, TIME_LIMIT
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["exit status %d" % out.returncode])[-1]
        return None, f"failed ({last[:60]})"
    return float(out.stdout), None


def largest(route: str, p: int, budget: float, refine: int, start: int, clock: Clock):
    """Largest m (and its time) proved within the budget: doubling, then bisection."""
    good, good_time, bad = None, None, None

    def attempt(m):
        left = clock.left()
        if left <= 1:
            print(f"  {route:6} p={p} m={m:6}: skipped (total {TIME_LIMIT})", flush=True)
            return None, "skipped"
        t, why = run(route, p, m, min(budget, left))
        print(f"  {route:6} p={p} m={m:6}: " + (f"{t:7.2f} s" if t is not None else why),
              flush=True)
        return t, why

    m = max(start, p + 1)
    why = None
    while bad is None:
        t, why = attempt(m)
        if why == "skipped":
            return good, good_time, None, TIME_LIMIT
        if t is None:
            bad = m
        else:
            good, good_time, m = m, t, 2 * m
    stop = why
    for _ in range(refine):
        if good is None or bad - good <= 1:
            break
        m = (good + bad) // 2
        t, why = attempt(m)
        if why == "skipped":
            break
        if t is None:
            bad, stop = m, why
        else:
            good, good_time = m, t
    return good, good_time, bad, stop


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--attempt":
        attempt(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per attempt")
    parser.add_argument("--total", type=float, default=180.0,
                        help="seconds for the whole run (default 180)")
    parser.add_argument("--refine", type=int, default=3, help="bisection steps after doubling")
    parser.add_argument("--p", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    clock = Clock(args.total)
    rows = []
    # each (p, route) gets an equal share of the time that is left, so all of them run
    jobs = [(p, route, start) for p in args.p for route, start in (("prove", 64), ("naive", 2))]
    for i, (p, route, start) in enumerate(jobs):
        own = Clock(clock.left() / (len(jobs) - i))
        rows.append((p, route, *largest(route, p, args.budget, args.refine, start, own)))
    print(f"\nLemma 1, largest m proved within {args.budget:g} s per attempt "
          f"(timings on a loaded machine are inflated; compare the two routes' rows)")
    print(f"{'p':>3}  {'route':<14} {'largest m':>9}  {'time (s)':>8}  {'next m':>7}  outcome")
    for p, route, good, t, bad, why in rows:
        name = "prove_lemma1" if route == "prove" else "naive_lemma1"
        print(f"{p:>3}  {name:<14} {good if good else '-':>9}  "
              f"{(f'{t:.2f}' if t is not None else '-'):>8}  {bad if bad else '-':>7}  "
              f"{why or '-'}")


if __name__ == "__main__":
    main()
