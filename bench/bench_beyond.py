"""Benchmarks for selcalc.beyond: bad step sizes of a 2-8-1 ReLU network, and the implicit
Jacobian with a 6×6 B block over a 16-vertex polytope field.

Run from the repository root: ``PYTHONPATH=. python bench/bench_beyond.py``.  Timings on a
loaded machine are inflated; the ratios printed are measured in the same run.
"""

import random
import time
from fractions import Fraction

import selcalc


def net_terms(data, hidden=8, loss="abs"):
    """One program per data point: the loss of a 2-hidden-1 ReLU network (weights are
    the inputs)."""
    names = [f"a{j}_{i}" for j in range(hidden) for i in range(2)] + \
        [f"b{j}" for j in range(hidden)] + [f"v{j}" for j in range(hidden)] + ["c"]
    progs = []
    for n, ((x1, x2), y) in enumerate(data):
        lines = [f"def loss{n}({', '.join(names)}):"]
        for j in range(hidden):
            lines.append(f"    h{j} = relu(a{j}_0 * ({x1}) + a{j}_1 * ({x2}) + b{j})")
        out = " + ".join(f"v{j} * h{j}" for j in range(hidden)) + " + c"
        if loss == "abs":
            lines.append(f"    return abs({out} - ({y}))")
        else:
            lines.append(f"    r = {out} - ({y})")
            lines.append("    return r * r / 2")
        progs.append(selcalc.parse("\n".join(lines) + "\n"))
    return progs, names


def bench_bad_steps(steps=10):
    rng = random.Random(1)
    data = [((Fraction(rng.randint(-4, 4), 2), Fraction(rng.randint(-4, 4), 2)),
             Fraction(rng.randint(-4, 4), 2)) for _ in range(4)]
    terms, names = net_terms(data)
    x0 = [Fraction(rng.randint(-8, 8), 4) for _ in names]
    t = time.perf_counter()
    bad = selcalc.bad_step_sizes(terms, x0, None, steps, (0, 1))
    dt = time.perf_counter() - t
    t = time.perf_counter()
    selcalc.sgd(terms, x0, Fraction(1, 3), steps)
    one = time.perf_counter() - t
    print(f"bad_step_sizes, 2-8-1 ReLU net (|residual| loss), 4 points, {steps} steps, "
          f"α in (0, 1]: {dt:.2f} s, {len(bad)} algebraic numbers, {bad.cells} cells, "
          f"degree {bad.degree} (one exact SGD run: {one:.3f} s, ratio {dt / one:.0f})")
    sq_terms, _ = net_terms(data, loss="square")
    for budget in (30, 100):
        t = time.perf_counter()
        try:
            selcalc.bad_step_sizes(sq_terms, x0, None, steps, (0, 1), max_degree=budget)
            print("  squared loss: finished")
        except selcalc.PatternBudgetExceeded as exc:
            print(f"  squared loss, max_degree={budget}: stopped after "
                  f"{time.perf_counter() - t:.2f} s: {exc}")


def bench_implicit():
    # F_i(x, y) = x_i + Σ_j K_ij y_j + |y_i| (i < 4): Clarke field with 2^4 = 16 vertices
    rng = random.Random(2)
    n = 6
    lines = ["def F(" + ", ".join([f"x{i}" for i in range(n)] + [f"y{i}" for i in range(n)])
             + "):"]
    outs = []
    for i in range(n):
        terms = [f"x{i}"]
        for j in range(n):
            k = 6 if i == j else rng.randint(-1, 1)
            if k:
                terms.append(f"({k}) * y{j}")
        if i < 4:
            terms.append(f"abs(y{i})")
        outs.append(" + ".join(terms))
    lines.append("    return " + ", ".join(outs))
    F = selcalc.parse("\n".join(lines) + "\n")
    t = time.perf_counter()
    J = selcalc.implicit_jacobian(F, (0,) * n, (0,) * n)
    verts = len(J.vertices)
    images = J.vertex_images
    member = J.contains(images[0])
    dt = time.perf_counter() - t
    print(f"implicit_jacobian, 6×6 B over a {verts}-vertex Clarke field: {dt:.2f} s "
          f"(invertible: {J.invertible.holds} via {J.invertible.checked[0][:40]}...; "
          f"contains(vertex image): {member.holds})")
    t = time.perf_counter()
    z = J._z3_singular("z3 route", [], timeout_ms=5000)
    print(f"  the same decision by z3 nonlinear arithmetic alone: "
          f"{time.perf_counter() - t:.2f} s ({z.holds}, {z.reason or 'unsat'})")


if __name__ == "__main__":
    bench_implicit()
    bench_bad_steps()
