"""The cheap gradient principle as a check: ``cost(backprop(P)) <= ω_b · cost(P)``.

Baur and Strassen (1983) bound the cost of the gradient of a rational function by 5 times
the cost of the function; the nonsmooth cheap gradient principle of Bolte, Boustany,
Pauwels and Pesquet-Popescu (ICLR 2023, arXiv:2206.01730) extends it to backpropagation through
nonsmooth programs with a constant ``ω_b`` and states ``ω_b ≈ 5`` for ReLU networks.

Costs are the operation counts of :mod:`selcalc.interpreters.opcount` (its docstring states
the counting rules).  In that model the bound is proved node by node: a node's share of
backprop (its evaluation, its local partials, a multiply-add per incoming edge) is at most
its *local ratio* times its evaluation cost, so ``ω_b(P) <= max local ratio``; binary
``+ − ×`` have local ratio 5, ``relu`` 3, multiplication by a weight 3 (see
:func:`selcalc.interpreters.opcount.local_ratios`).  The check reports the exact ``ω_b``
and that it stays ``<= 5`` on ReLU networks of several sizes.

>>> v = check_cheap_gradient(sizes=((2, 4, 1), (2, 8, 8, 1)))
>>> v.holds, [str(row["omega_b"]) for row in v.certificate["networks"]]
(True, ['43/12', '613/157'])
"""

from __future__ import annotations

import random

from ..frontends import trace
from ..functions import relu
from ..interpreters.opcount import local_ratios, opcount
from ..verdict import Verdict
from ._common import not_applicable

OMEGA_B = 5
DEFAULT_SIZES = ((2, 4, 1), (2, 8, 8, 1), (4, 16, 16, 1), (8, 32, 32, 32, 1))


def relu_network(widths, seed=0, entries=(-1, 0, 1)):
    """A fully connected ReLU network (linear last layer) traced into a Program.

    Weights and biases are drawn from ``entries`` — by default ``{−1, 0, 1}``, the setting of
    the complexity results of Bolte, Boustany, Pauwels & Pesquet-Popescu (ICLR 2023).
    Multiplications by 1 and additions of 0 are folded by the tracer, as any program would skip
    them.
    """
    rng = random.Random(seed)
    layers = [([[rng.choice(entries) for _ in range(n_in)] for _ in range(n_out)],
               [rng.choice(entries) for _ in range(n_out)])
              for n_in, n_out in zip(widths[:-1], widths[1:])]

    def net(*x):
        h = list(x)
        for depth, (W, b) in enumerate(layers):
            pre = [sum((w * v for w, v in zip(row, h)), bias) for row, bias in zip(W, b)]
            h = pre if depth == len(layers) - 1 else [relu(z) for z in pre]
        return h[0]
    return trace(net, nargs=widths[0])


def _row(P, label):
    c = opcount(P)
    return {"network": label, "m": P.m, "cost": c.evaluation, "partials": c.partials,
            "reverse_sweep": c.reverse_sweep, "cost_backward": c.backward,
            "omega_b": c.ratio, "local_ratios": local_ratios(P)}


def check_cheap_gradient(sizes=DEFAULT_SIZES, seed=0, omega=OMEGA_B):
    """Verdict: ``ω_b = cost_backward / cost <= omega`` on ReLU networks of the given sizes.

    The certificate lists, per network, the exact counts, ``ω_b`` (a Fraction) and the local
    ratios per primitive that bound it.
    """
    claim = f"ω_b = cost(backprop(P)) / cost(P) <= {omega} on ReLU networks {list(sizes)}"
    rows = []
    for widths in sizes:
        P = relu_network(widths, seed)
        row = _row(P, "-".join(map(str, widths)))
        rows.append(row)
        if row["omega_b"] is None or row["omega_b"] > omega:
            return Verdict(False, claim, {"networks": rows},
                           reason=f"ω_b = {row['omega_b']} on {row['network']}")
    checked = [f"{r['network']}: m = {r['m']}, cost = {r['cost']}, cost_backward = "
               f"{r['cost_backward']}, ω_b = {float(r['omega_b']):.3f}" for r in rows]
    return Verdict(True, claim, {"networks": rows}, checked)


def check_cheap_gradient_program(P, omega=OMEGA_B):
    """Verdict: ``ω_b(P) <= omega`` for a program whose primitives all have local ratio
    ``<= omega`` in the cost model (not applicable otherwise: the model claims no bound).
    """
    claim = f"ω_b(P) = cost(backprop(P)) / cost(P) <= {omega}"
    row = _row(P, P.name or "P")
    if row["omega_b"] is None:
        return not_applicable(claim, "cost(P) = 0")
    over = {k: v for k, v in row["local_ratios"].items() if v is not None and v > omega}
    if over:
        names = ", ".join(f"{k} ({v})" for k, v in sorted(over.items()))
        return not_applicable(claim, f"local ratio above {omega}: {names}")
    holds = row["omega_b"] <= omega
    return Verdict(holds, claim, row, [f"ω_b = {row['omega_b']} (cost {row['cost']}, "
                                       f"backprop {row['cost_backward']})"])
