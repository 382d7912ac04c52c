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
    """The example tensors with the point's entries, in the examples' dtypes (each exact
    entry rounded once, to nearest even, to that dtype: see :func:`nearest_float`)."""
    import torch
    from ..frontends.library import flatten_point
    flat = iter(flatten_point(x))
    out = []
    for t, var in zip(P.capture.tensors, P.capture.variable):
        if not var:
            out.append(t)
            continue
        vals = [nearest_float(next(flat), t.dtype) for _ in range(t.numel())]
        out.append(torch.tensor(vals, dtype=t.dtype).reshape(t.shape))
    return out


def _format(dtype):
    """(precision with the hidden bit, least normal exponent, largest finite value) of a
    torch floating dtype."""
    import torch
    fi = torch.finfo(dtype)
    eps, tiny = Fraction(fi.eps), Fraction(fi.tiny)  # powers of two, exactly
    return (1 - (eps.numerator.bit_length() - eps.denominator.bit_length()),
            tiny.numerator.bit_length() - tiny.denominator.bit_length(), Fraction(fi.max))


def _round_rational(q, precision, emin):
    """The rational ``q`` rounded once to nearest (ties to even) in a binary format with
    ``precision`` bits and least normal exponent ``emin`` (subnormals included), exactly."""
    if q == 0:
        return Fraction(0)
    a = abs(Fraction(q))
    e = a.numerator.bit_length() - a.denominator.bit_length()  # 2**e <= a < 2**(e+2)
    if a >= Fraction(2) ** (e + 1):
        e += 1
    elif a < Fraction(2) ** e:
        e -= 1
    quantum = Fraction(2) ** (max(e, emin) - (precision - 1))
    n, r = divmod(a, quantum)
    n = int(n)
    if 2 * r > quantum or (2 * r == quantum and n % 2):
        n += 1
    return n * quantum if q > 0 else -(n * quantum)


def nearest_float(v, dtype):
    """An entry of the point as the float of ``dtype`` nearest its exact value, rounded
    once (to nearest, ties to even), as a Python float that holds it exactly.

    A Python float is its own binary value (a float64 entry stays itself; for float32 it is
    rounded once, from that value).  A Fraction or decimal string is rounded from its exact
    value, not through float64 first (which can round twice: 1 + 2**-24 + 2**-60 is 1 +
    2**-24 in float64, a float32 tie that goes to 1; exactly it is above the tie, so
    1 + 2**-23).  An irrational entry is enclosed at increasing precision until the
    enclosure rounds to one float; past the largest finite value: an InputError.

    >>> import pytest; torch = pytest.importorskip("torch")
    >>> q = 1 + Fraction(1, 2**24) + Fraction(1, 2**60)
    >>> nearest_float(q, torch.float32) == 1 + 2**-23, float(q) == 1 + 2**-24
    (True, True)
    >>> nearest_float("sqrt(2)", torch.float32) == torch.tensor(2**0.5).item()
    True
    """
    from ..errors import InputError
    from ..numbers import is_rational, to_exact
    precision, emin, largest = _format(dtype)
    q = Fraction(v) if type(v) is float else to_exact(v)
    if is_rational(q):
        out = _round_rational(q, precision, emin)
    else:
        out = _round_irrational(q, precision, emin)
    if abs(out) > largest:
        raise InputError(f"the point entry {v!r} is past the largest finite {dtype} "
                         f"({float(largest)!r}); float_ties needs finite inputs")
    return float(out)  # exact: a float of dtype is a float64


def _round_irrational(q, precision, emin):
    """:func:`_round_rational` of an irrational number, from certified enclosures."""
    import mpmath
    from ..errors import Undecided
    from ..numbers import _interval, _mpf_fraction, to_sympy
    expr = to_sympy(q)
    iv = mpmath.iv
    old = iv.dps
    try:
        for dps in (40, 120, 400):
            iv.dps = dps
            lo, hi = (_mpf_fraction(end) for end in _interval(expr, iv)._mpi_)
            a, b = _round_rational(lo, precision, emin), _round_rational(hi, precision, emin)
            if a == b:
                return a
    finally:
        iv.dps = old
    raise Undecided(f"could not round {q} to a float: its enclosure at 400 digits still "
                    "straddles a rounding boundary")


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


def float_ties(P, x, run=None):
    """The nonsmooth nodes of ``P`` (from ``from_torch``) whose tie status at ``x`` differs
    between the library's floats and exact arithmetic, as a list of :class:`FloatTie`.

    Nodes whose arguments' float values cannot be read from the captured graph are
    skipped (they are all read for the ATen ops of docs/models.md).  ``run`` is the exact
    evaluation of ``P`` at ``x`` when the caller already has it.
    """
    from ..interpreters.evaluate import evaluate
    floats = float_values(P, x)
    if run is None:
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
