"""Benchmark: import + exact evaluation + exact backward gradient of a LeNet-size CNN.

Prints, for an 8x8 and a 28x28 input, the seconds of ``selcalc.from_torch`` (import),
of the layer plan (:mod:`selcalc.interpreters.linear`, built on first use), exact
evaluation, and the exact backward gradient (local partials + reverse sweep), the number
of program nodes and of scalar multiply-adds, and the ratio of the exact gradient
(evaluation + backward) to torch's own float64 forward + backward in the same run (best
of several runs each; torch on one thread) — once per node (``linear.ENABLED =
elementwise.ENABLED = False``), once with the batched layers only
(:mod:`selcalc.interpreters.linear`; ``elementwise.ENABLED = False``) and once with the
batched ReLU / max-pooling runs too (:mod:`selcalc.interpreters.elementwise`), side by
side.  Weights and inputs are dyadic, so the gradients are also compared with torch's
exactly.  Timings depend on the machine's load: compare the ratios, not the seconds.

With ``--scan N`` it also scans N of scikit-learn's bundled digits with ``selcalc.scan``,
every engine side by side in one run: in this process; 2 local processes forked (the
default on Linux), started by a forkserver, and spawned; a Dask ``LocalCluster`` of 2
processes that ``scan`` starts; and 2 Dask worker processes already running (``client=``,
start-up outside the timing).  It prints images per second (start-up included) and the
ratio to the in-process scan, and checks that every engine returns the same rows.

Run: ``PYTHONPATH=. python bench/bench_models.py [--sizes 8,28] [--scan 1000]
[--init torch]`` (``--init torch``: torch's float32 initialisation instead of dyadic
weights; the layers then mostly take the FLINT path).
"""

from __future__ import annotations

import argparse
import random
import time
from fractions import Fraction

import torch
import torch.nn as nn
import torch.nn.functional as F

import selcalc
from selcalc.interpreters import elementwise, linear
from selcalc.interpreters.backward import backward_jacobian
from selcalc.interpreters.evaluate import evaluate
from selcalc.interpreters.partials import local_partials


class LeNet(nn.Module):
    """LeNet-5 (28x28) or a scaled-down LeNet (8x8: 3x3 kernels with padding)."""

    def __init__(self, size):
        super().__init__()
        k, pad = (5, 0) if size >= 28 else (3, 1)
        self.c1 = nn.Conv2d(1, 6, k, padding=pad)
        self.c2 = nn.Conv2d(6, 16, k, padding=pad)
        side = ((size + 2 * pad - k + 1) // 2 + 2 * pad - k + 1) // 2
        self.f1 = nn.Linear(16 * side * side, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.c1(x)), 2)
        h = F.max_pool2d(F.relu(self.c2(h)), 2)
        h = F.relu(self.f1(h.flatten(1)))
        h = F.relu(self.f2(h))
        y = self.f3(h)
        return F.relu(y - y[:, :1] + 1).sum()  # a piecewise-linear multi-class hinge loss


def dyadic_(model, rng):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.tensor([rng.randint(-4, 4) / 16 for _ in range(p.numel())],
                                 dtype=torch.float64).reshape(p.shape))


def multiply_adds(model, size):
    total, side = 0, size
    for conv in (model.c1, model.c2):
        k, pad = conv.kernel_size[0], conv.padding[0]
        side = side + 2 * pad - k + 1
        total += conv.out_channels * side * side * conv.in_channels * k * k
        side //= 2
    return total + sum(f.in_features * f.out_features for f in (model.f1, model.f2, model.f3))


def _exact_times(P, x, conv, layers, runs):
    """Seconds of the plans (first use), exact eval and exact backward (local partials +
    reverse sweep), best of 5, with the batched layers and the batched runs on or off."""
    linear.ENABLED, elementwise.ENABLED = layers, runs
    linear.blocks.plans.pop(P, None)
    elementwise.runs.plans.pop(P, None)
    t0 = time.perf_counter()
    linear.blocks(P)
    elementwise.runs(P)
    t_plan = time.perf_counter() - t0
    t_eval = t_back = float("inf")
    for _ in range(5):  # best of 5: the machine is shared
        t0 = time.perf_counter()
        r = evaluate(P, x)
        t_eval = min(t_eval, time.perf_counter() - t0)
        t0 = time.perf_counter()
        exact = backward_jacobian(P, local_partials(P, r, conv))[0]
        t_back = min(t_back, time.perf_counter() - t0)
    linear.ENABLED = elementwise.ENABLED = True
    return t_plan, t_eval, t_back, r, exact


def run(size, repeats=50, init="dyadic"):
    rng = random.Random(size)
    torch.manual_seed(size)
    model = LeNet(size).double()
    if init == "dyadic":
        dyadic_(model, rng)
    x = torch.tensor([rng.randint(0, 8) / 8 if rng.random() < 0.6 else 0.0
                      for _ in range(size * size)], dtype=torch.float64).reshape(1, 1, size, size)

    t0 = time.perf_counter()
    P = selcalc.from_torch(model, x)
    t_import = time.perf_counter() - t0
    conv = selcalc.CONVENTIONS[P.default_convention]
    t_torch = float("inf")
    for _ in range(repeats):  # best of `repeats`, one thread
        t0 = time.perf_counter()
        xt = x.clone().requires_grad_(True)
        g = torch.autograd.grad(model(xt), xt)[0]
        t_torch = min(t_torch, time.perf_counter() - t0)
    torch_exact = [Fraction(a) for a in g.reshape(-1).tolist()]
    print(f"{size}x{size}: nodes {P.m}, multiply-adds {multiply_adds(model, size)}; "
          f"import {t_import:.2f} s; torch float64 forward+backward {t_torch * 1e3:.2f} ms")
    ratios = {}
    configs = (("per node", False, False), ("batched layers", True, False),
               ("layers + ReLU/max runs", True, True))
    for label, layers, runs in configs:
        t_plan, t_eval, t_back, r, exact = _exact_times(P, x, conv, layers, runs)
        same = list(exact) == torch_exact
        ratio = (t_eval + t_back) / t_torch
        total = t_import + t_plan + t_eval + t_back
        ratios[label] = ratio
        print(f"  {label:24s} plan {t_plan:.2f} s, eval {t_eval * 1e3:.0f} ms, "
              f"backward {t_back * 1e3:.0f} ms; eval+backward / torch float64 {ratio:.0f}x; "
              f"import+plan+eval+backward {total:.2f} s; tied nodes {len(r.ties())}; "
              f"equal to torch exactly: {same}")
    print(f"  speed-up of eval+backward over per node: "
          f"{ratios['per node'] / ratios['batched layers']:.1f}x (layers), "
          f"{ratios['per node'] / ratios['layers + ReLU/max runs']:.1f}x (layers + runs)")
    return ratios["layers + ReLU/max runs"], same


class DigitsCNN(nn.Module):
    """A small CNN for the 8x8 digits (module level, so worker processes can unpickle it)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv(x)), 2)
        y = self.fc(h.flatten(1))
        return F.relu(y - y[:, :1] + 1).sum()


def scan_digits(n):
    """``selcalc.scan`` over ``n`` bundled digits images with every engine, side by side."""
    from sklearn.datasets import load_digits
    from selcalc.libraries.scan import summary
    model = DigitsCNN().double()
    dyadic_(model, random.Random(0))
    images = [torch.tensor(im / 16.0, dtype=torch.float64).reshape(1, 1, 8, 8)
              for im in load_digits().images[:n]]
    runs = [("in this process", 1, {}),
            ("processes, forked", 2, {"start_method": "fork"}),
            ("processes, forkserver", 2, {"start_method": "forkserver"}),
            ("processes, spawned", 2, {"start_method": "spawn"})]
    client = None
    try:
        from distributed import Client, LocalCluster
        runs.append(("dask, LocalCluster started by scan", 2, {"engine": "dask"}))
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0")  # any free port: scan's own takes 8787
        client = Client(cluster)
        runs.append(("dask, running cluster (client=)", 2, {"engine": "dask",
                                                            "client": client}))
    except ImportError:
        print("dask.distributed not installed: no dask figures")
    results, base = [], None
    print(f"scan of {n} digits (start-up included):")
    print(f"  {'engine':38} {'workers':>7} {'seconds':>8} {'images/s':>9} {'vs 1':>6}")
    try:
        for label, workers, kw in runs:
            t0 = time.perf_counter()
            rows = selcalc.scan(model, images, workers=workers, progress=False, **kw)
            dt = time.perf_counter() - t0
            base = base or dt
            results.append(rows)
            print(f"  {label:38} {workers:>7} {dt:>8.1f} {n / dt:>9.1f} {base / dt:>5.2f}x")
    finally:
        if client is not None:
            client.close()
            cluster.close()
    key = [[(r.index, r.ties, r.gradient, r.library_equal) for r in rows] for rows in results]
    print(f"  same rows for every engine: {all(k == key[0] for k in key)}")
    print(f"  {summary(results[0])}")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="8,28")
    parser.add_argument("--scan", type=int, default=0, help="also scan this many digits")
    parser.add_argument("--init", choices=("dyadic", "torch"), default="dyadic",
                        help="LeNet weights: small dyadics (default), or torch's own float32 "
                             "initialisation (exact gradient then differs from torch's "
                             "rounded one)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for size in (int(s) for s in args.sizes.split(",") if s):
        run(size, init=args.init)
    if args.scan:
        scan_digits(args.scan)


if __name__ == "__main__":
    main()
