"""Audit a user's own derivative rule (``torch.autograd.Function``, ``jax.custom_jvp`` /
``custom_vjp``) against the Clarke set and along curves through its kinks.

The function's *primal* computation is imported exactly (``from_torch`` records the ops
its ``forward`` runs; ``from_jax`` inlines the custom function's primal jaxpr), so
selcalc knows the pieces; the rule is then asked, through the library, for its derivative:

* at each given point (a kink): in reverse and forward mode (forward mode only where the
  rule defines one), with ``ad_outputs`` (the gradients of the tied pieces), the Clarke
  set, and the verdict of :func:`selcalc.audit` (selection / average of tied pieces /
  outside the conservative field);
* along the lines ``x + t*d`` through the kink, for a few directions ``d`` and small
  exact ``t``: at every such point where no node is tied (the program is C^1 near it,
  so the derivative is the gradient there), the rule's value is compared with the exact
  gradient.  A conservative field equals the gradient almost everywhere, so a rule that
  disagrees on a whole segment is not conservative; a rule that agrees at every sampled
  smooth point passes this check (a sample, not a proof).

>>> import pytest, selcalc
>>> torch = pytest.importorskip("torch")
>>> class Step(torch.autograd.Function):  # relu with the rule relu'(0) = 1/2
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return torch.relu(x)
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return g * ((x > 0).double() + (x == 0).double() / 2)
>>> r = selcalc.audit(Step, points=[(0,)])
>>> r.rows[0].rule_value, r.rows[0].verdict, r.rows[0].in_clarke, r.conservative_on_curves
((Fraction(1, 2),), 'average of tied pieces', True, True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import InputError, SelcalcError
from ..numbers import to_exact
from ..points import exact_str
from .measure import (fmt as _fmt, read_float, reading as _reading, judged as _judged,
                      torch_gradient)

#: small exact steps t (powers of two, so that x + t*d stays dyadic) along each direction
STEPS = (Fraction(1, 2 ** 10), Fraction(-1, 2 ** 10), Fraction(1, 2 ** 20),
         Fraction(-1, 2 ** 20))


@dataclass
class RuleRow:
    """The custom rule at one point in one mode: ``float_value`` is the exact binary value
    of the library's float, ``rule_value`` the value compared — the same, or (``rounded``,
    explained in ``note``) an exact tied gradient within a few ulp of it."""

    point: tuple
    mode: str
    rule_value: tuple | None
    ad_outputs: tuple
    clarke: tuple
    in_clarke: bool | None
    verdict: str
    note: str = ""
    rounded: bool = False  # rule_value is an exact value the library's float rounds
    float_value: tuple | None = None  # the exact binary value of the library's float


@dataclass
class CurveCheck:
    """The rule at ``point + t*direction`` (a point where no node is tied), rounded to the
    float64 ``at`` that the library is given; the exact gradient is taken at ``at`` too."""

    point: tuple
    direction: tuple
    t: Fraction
    rule_value: tuple
    gradient: tuple
    agrees: bool
    rounded: bool = False  # agrees up to float rounding (the float is not the gradient)
    at: tuple = ()  # the point compared at: the float64 nearest point + t*direction


@dataclass
class RuleAudit:
    """What :func:`audit_rule` found; ``render()`` prints it."""

    name: str
    library: str
    rows: list
    curves: list = field(default_factory=list)

    @property
    def conservative_on_curves(self):
        """False if the rule differs from the gradient at a sampled smooth point."""
        return all(c.agrees for c in self.curves)

    def render(self):
        lines = [f"custom rule {self.name} ({self.library})"]
        for r in self.rows:
            val = (_fmt(r.rule_value) if r.rule_value is not None else
                   _fmt(r.float_value) if r.float_value is not None else "not available")
            lines.append(f"  at {_fmt(r.point)} {r.mode}: {val}; ad_outputs "
                         "{" + ", ".join(_fmt(p) for p in r.ad_outputs) + "}; clarke conv{"
                         + ", ".join(_fmt(p) for p in r.clarke) + "}; in clarke: "
                         + {True: "yes", False: "no", None: "unknown"}[r.in_clarke]
                         + f"; {r.verdict}" + (f" ({r.note})" if r.note else ""))
        bad = [c for c in self.curves if not c.agrees]
        rounded = sum(c.rounded for c in self.curves if c.agrees)
        lines.append(f"  along curves: {len(self.curves) - len(bad)} of {len(self.curves)} "
                     f"smooth points agree with the gradient"
                     + (f" ({rounded} up to float rounding)" if rounded else ""))
        for c in bad:
            lines.append(f"    at {_fmt(c.point)} + {c.t}*{_fmt(c.direction)}: rule "
                         f"{_fmt(c.rule_value)}, gradient {_fmt(c.gradient)}")
        return "\n".join(lines)


def _backend(fn):
    """(library, callable of one flat float64 vector -> scalar, importer, grad(mode))."""
    kind = type(fn).__module__
    if kind.startswith("jax"):
        return _jax_backend(fn)
    import torch
    if isinstance(fn, type) and issubclass(fn, torch.autograd.Function):
        fn = fn.apply
    return _torch_backend(fn)


def _scalar(v):
    return v.sum() if v.ndim else v


def _torch_backend(fn):
    import torch
    from ..frontends.torch import from_torch

    def f(x):
        return _scalar(fn(x))

    def vec(point):
        return torch.tensor([float(v) for v in point], dtype=torch.float64)

    def grad(point, mode):
        return torch_gradient(f, point, mode)

    return "torch", (lambda point: from_torch(f, vec(point))), grad


def _jax_backend(fn):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from ..frontends.jax import from_jax, primal_of_custom_rules

    def f(x):
        return jnp.sum(fn(x))

    def vec(point):
        return jnp.asarray([float(v) for v in point], dtype=jnp.float64)

    def program(point):
        with primal_of_custom_rules():
            return from_jax(f, vec(point))

    def grad(point, mode):
        x = vec(point)
        if mode == "backward":
            return [float(v) for v in jax.grad(f)(x)]
        return [float(jax.jvp(f, (x,), (jnp.zeros_like(x).at[j].set(1.0),))[1])
                for j in range(len(point))]

    return "jax", program, grad


def _float64_point(point):
    """The point's entries as exact values, each a float64 (the library computes at floats:
    the exact side must be at the same point), or an InputError."""
    out = []
    for v in point:
        e = to_exact(v)
        try:
            near = float(e)
        except (OverflowError, TypeError):
            near = None
        if near is None or not isinstance(e, (int, Fraction)) or read_float(near) != e:
            raise InputError(f"audit point entry {exact_str(e)} is not a float64, but the "
                             f"library computes at floats; pass a float64"
                             + (f" (the nearest is {near!r})" if near is not None else "")
                             + " so that both sides are at the same point")
        out.append(e)
    return tuple(out)


def _directions(n):
    dirs = []
    for j in range(n):
        e = [0] * n
        e[j] = 1
        dirs.append(tuple(e))
    if n > 1:
        dirs.append(tuple(Fraction(1, k + 1) * (-1) ** k for k in range(n)))
    return dirs


def audit_rule(fn, points, modes=("backward", "forward")):
    """Audit the derivative rule of ``fn`` at ``points`` (its kinks) and along curves.

    Parameters
    ----------
    fn : torch.autograd.Function subclass, function of one tensor, or jax.custom_jvp /
        custom_vjp function of one array
        The function whose rule is checked; a tensor output is summed.
    points : sequence of sequences of numbers
        Points of the input (flat), typically where the pieces meet.

    Returns
    -------
    RuleAudit
    """
    from ..autodiff import grad as exact_grad
    from ..fields import ad_outputs, clarke
    from ..interpreters.evaluate import evaluate
    if not points:
        raise SelcalcError("audit of a custom rule needs points=[...] (its kinks)")
    try:
        library, program, lib_grad = _backend(fn)
    except ImportError as exc:
        raise SelcalcError(f"the library of {fn!r} is not installed ({exc})") from None
    name = getattr(fn, "__name__", type(fn).__name__)
    result = RuleAudit(name, library, [])
    for point in points:
        x = _float64_point(point)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            P = program(x)
        ad = ad_outputs(P, x)
        pts = sorted({tuple(to_exact(c) for c in v) for v in ad.points})
        C = clarke(P, x)
        hull = tuple(sorted(tuple(to_exact(c) for c in v) for v in C._vertex_vectors))
        for mode in modes:
            try:
                floats = lib_grad(x, mode)
            except Exception as exc:  # noqa: BLE001 - a rule without this mode
                result.rows.append(RuleRow(tuple(point), mode, None, tuple(pts), hull, None,
                                           "not available",
                                           f"{type(exc).__name__}: "
                                           f"{str(exc).splitlines()[0] if str(exc) else ''}"))
                continue
            seen = _reading(floats, pts)
            in_clarke, verdict = _judged(seen, set(pts), ad, C)
            result.rows.append(RuleRow(tuple(point), mode, seen.value, tuple(pts), hull,
                                       in_clarke, verdict, seen.note, seen.rounded,
                                       seen.exact))
        for d in _directions(len(x)):
            for t in STEPS:
                # the float64 point the library is given, for both sides of the comparison
                y = tuple(read_float(float(a + t * b)) for a, b in zip(x, d))
                if evaluate(P, y).ties():
                    continue
                g = tuple(to_exact(v) for v in exact_grad(P, y))
                seen = _reading(lib_grad(y, "backward"), [g])
                result.curves.append(CurveCheck(tuple(point), d, t, seen.value, g,
                                                seen.value == g, seen.rounded, y))
    return result
