"""Measuring an AD library at a kink: its derivative in both modes, its floats read as
exact values, and the verdict against the exact sets there."""

from fractions import Fraction


def read_float(v):
    """A library float as the exact value it stands for (1/3 is printed as 0.333…)."""
    f = Fraction(v)
    near = f.limit_denominator(64)
    return near if abs(float(near) - v) <= 1e-12 * max(1, abs(v)) else f


def rounds_to(lib_floats, candidates):
    """The candidate (an exact vector) whose float64 rounding is the library's value, up to
    a few units in the last place (constants such as selu's scale * alpha are products of
    rounded floats in the library), or None."""
    import math
    for cand in candidates:
        if len(cand) == len(lib_floats) and all(
                abs(float(c) - v) <= 4 * math.ulp(v) for c, v in zip(cand, lib_floats)):
            return cand
    return None




def verdict(value, points, hull):
    """"selection" (one tied piece's derivative), "average of tied pieces" (in their hull,
    so in the conservative field), else "outside the conservative field".

    >>> from selcalc import ConvexSet
    >>> verdict((0,), {(0,), (1,)}, ConvexSet([(0,), (1,)]))
    'selection'
    >>> verdict((2,), {(1,)}, ConvexSet([(1,)]))
    'outside the conservative field'
    """
    if value in points:
        return "selection"
    if hull.contains(value).holds is True:
        return "average of tied pieces"
    return "outside the conservative field"


def fmt(v):
    """Exact values for a table: ``(1/2, 0)``."""
    if isinstance(v, tuple):
        return "(" + ", ".join(fmt(u) for u in v) + ")"
    return str(v)


def torch_gradient(fn, point, mode):
    """The derivative torch computes for ``fn`` (a function of one float64 vector) at
    ``point``: reverse mode (``"backward"``) or one forward-mode pass per coordinate."""
    import torch
    x = torch.tensor([float(v) for v in point], dtype=torch.float64)
    if mode == "backward":
        x.requires_grad_(True)
        return torch.autograd.grad(fn(x), x)[0].tolist()
    out = []
    for j in range(len(point)):
        t = torch.zeros_like(x)
        t[j] = 1.0
        out.append(float(torch.func.jvp(fn, (x,), (t,))[1]))
    return out

