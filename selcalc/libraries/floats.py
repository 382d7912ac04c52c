"""``selcalc.float_ties``: where the library's float arithmetic ties and exact arithmetic
does not (or the reverse).

A library computes ``w·x + b`` in floating point; it can get exactly 0 where the exact
value is not 0 (a tie *created* by rounding), or miss an exact 0 (a tie *destroyed*).  At
those nodes the library applies its kink rule where the exact program is smooth, or the
other way round, and its answer parts from the exact one (Bertoin, Bolte, Gerchinovitz and
Pauwels, "Numerical influence of ReLU'(0) on backpropagation", NeurIPS 2021).

:func:`float_ties` reruns the graph captured by :func:`selcalc.from_torch` in the
library itself, in the dtype of the example tensors, reads the float value of every
argument of every nonsmooth node, and compares the pieces active in floats with the
pieces active in exact arithmetic.

>>> import pytest, selcalc
>>> torch = pytest.importorskip("torch")
>>> f = lambda x: torch.relu((x[0] + x[1]) - x[0])
>>> x = torch.tensor([1.0, 2.0 ** -60], dtype=torch.float64)  # 1 + 2**-60 rounds to 1
>>> [(t.kind, t.origin.op) for t in selcalc.float_ties(selcalc.from_torch(f, x), x)]
[('created', 'relu')]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import DomainError, SelcalcError, Undecided


@dataclass
class FloatTie:
    """A nonsmooth node whose active pieces differ between floats and exact values.

    ``kind`` is ``"created"`` (tied in floats only), ``"destroyed"`` (tied exactly only)
    or ``"moved"`` (both single, different pieces: the float sign of a test flipped).
    """

    node: int
    origin: object
    kind: str
    exact_active: tuple
    float_active: tuple
    float_arguments: tuple


def _float_inputs(P, x):
    """The example tensors with the point's entries, in the examples' dtypes."""
    import torch
    from ..frontends.library import flatten_point
    flat = iter(flatten_point(x))
    out = []
    for t, var in zip(P.capture.tensors, P.capture.variable):
        if not var:
            out.append(t)
            continue
        vals = [_nearest_float(next(flat)) for _ in range(t.numel())]
        out.append(torch.tensor(vals, dtype=t.dtype).reshape(t.shape))
    return out


def _nearest_float(v):
    """The float64 nearest to an entry of the point, from its exact value (a float stays
    itself; a decimal string or a Fraction is rounded once, not read through its repr)."""
    from ..numbers import to_exact
    return v if type(v) is float else float(to_exact(v))


def float_values(P, x):
    """Builder value -> the float the library computes for it at ``x`` (where known)."""
    import torch

    cap = getattr(P, "capture", None)
    if cap is None or cap.graph_module is None:
        raise SelcalcError("float_ties needs a program made by selcalc.from_torch in this "
                           "process (the captured graph is not kept when a program is "
                           "pickled)")
    record = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            out = super().run_node(n)
            record[n.name] = out
            return out

    with torch.no_grad():
        Recorder(cap.graph_module).run(*_float_inputs(P, x))
    values = {}
    for name, arr in cap.lowered.items():
        t = record.get(name)
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != arr.shape or \
                not t.is_floating_point():
            continue
        for v, f in zip(arr.ravel().tolist(), t.detach().double().reshape(-1).tolist()):
            if isinstance(v, int) and not isinstance(v, bool):
                values.setdefault(v, f)
    return values


def float_ties(P, x):
    """The nonsmooth nodes of ``P`` (from ``from_torch``) whose tie status at ``x`` differs
    between the library's floats and exact arithmetic, as a list of :class:`FloatTie`.

    Nodes whose arguments' float values cannot be read from the captured graph are
    skipped (they are all read for the ATen ops of docs/models.md).
    """
    from ..interpreters.evaluate import evaluate
    floats = float_values(P, x)
    run = evaluate(P, x)
    ids = P.builder_ids
    found = []
    for k in range(P.p + 1, P.m + 1):
        prim = P.ops[k]
        if not prim.branching or P.groups[k] != k:
            continue
        fargs = [floats.get(ids[j]) for j in P.args[k]]
        if any(f is None for f in fargs):
            continue
        try:
            fa = prim.active([Fraction(f) for f in fargs] + list(P.params[k]))
        except (DomainError, Undecided, ValueError, OverflowError):
            continue  # inf / nan in floats, or no piece: nothing to compare
        ea = run.active[k]
        if set(fa) == set(ea):
            continue
        kind = "created" if len(fa) > len(ea) == 1 else \
            "destroyed" if len(ea) > len(fa) == 1 else "moved"
        found.append(FloatTie(k, P.node_info(k), kind, tuple(ea), tuple(fa), tuple(fargs)))
    return found
