"""``selcalc.audit``: measure the installed library at every kink and tie of its ops.

For each op of :data:`selcalc.libraries.table.RULES` and each of its kink / tie points,
the audit asks the **installed** library for its derivative in reverse and in forward
mode, and puts it beside

* selcalc's preset for that library version (imported by ``from_torch`` / ``from_jax``,
  or written in selcalc's language for TensorFlow): match or not;
* ``ad_outputs`` (the gradients of the tied pieces) and the Clarke set of the op there;
* a verdict: **selection** (the library returns the gradient of one tied piece),
  **average of tied pieces** (a point of their convex hull: conservative, not a selection)
  or **outside the conservative field** (neither: a wrong derivative).

It is how a preset for a new version is made (run it, copy the rules that changed into
the table) and how a rule is checked.  ``selcalc audit torch|jax|tensorflow`` prints it.

>>> rows = audit("none")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
SelcalcError: unknown library 'none'; use torch, jax or tensorflow
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import asdict, dataclass
from fractions import Fraction

from ..errors import SelcalcError, Undecided
from ..numbers import to_exact
from .measure import (ROUNDING_ULPS, fmt as _fmt, reading as _reading, judged as _judged,
                      torch_gradient)

MODES = ("backward", "forward")


@dataclass
class AuditRow:
    """One measurement: ``op`` at ``point`` in ``mode``.

    ``library_value`` is the exact binary value of the library's floats.  When it is not
    itself the preset's value or a tied piece's gradient but is within a few ulp of one
    (1/3 is returned as the float64 ``6004799503160661/18014398509481984``), ``rounded`` is
    True, ``compared_value`` is that exact value, ``match``, ``in_clarke`` and ``verdict``
    are about it (the verdict says "up to float rounding"), ``ulps`` is the float's
    distance from it and ``note`` says so in words.  Otherwise ``compared_value`` is
    ``library_value``.
    """

    op: str
    case: str
    point: tuple
    mode: str
    library_value: tuple
    preset: str
    preset_value: tuple
    match: bool | None  # None: the preset names no rule at this tie
    ad_outputs: tuple
    clarke: tuple
    in_clarke: bool | None
    verdict: str
    rounded: bool = False  # compared_value is an exact value the float is a rounding of
    compared_value: tuple = ()
    ulps: Fraction | None = None  # distance of the float from compared_value, in ulp
    note: str = ""


# ---------------------------------------------------------------------------- the cases
def _torch_cases():
    import torch
    F = torch.nn.functional
    w2 = torch.tensor([1.0, 2.0], dtype=torch.float64)
    return [
        ("relu", "relu(x)", lambda x: F.relu(x).sum(), [(0,)]),
        ("abs", "abs(x)", lambda x: x.abs().sum(), [(0,)]),
        ("leaky_relu", "leaky_relu(x, 1/4)", lambda x: F.leaky_relu(x, 0.25).sum(), [(0,)]),
        ("hardtanh", "relu6(x)", lambda x: F.relu6(x).sum(), [(0,), (6,)]),
        ("hardtanh", "hardtanh(x)", lambda x: F.hardtanh(x).sum(), [(-1,), (1,)]),
        ("hardtanh", "hardtanh(x, 0, 0)", lambda x: F.hardtanh(x, 0.0, 0.0).sum(), [(0,)]),
        ("clamp", "clamp(x, 0, 1)", lambda x: torch.clamp(x, 0.0, 1.0).sum(), [(0,), (1,)]),
        ("clamp", "clamp(x, 0, 0)", lambda x: torch.clamp(x, 0.0, 0.0).sum(), [(0,)]),
        ("clamp_min", "clamp(x, min=0)", lambda x: torch.clamp(x, min=0.0).sum(), [(0,)]),
        ("clamp_max", "clamp(x, max=0)", lambda x: torch.clamp(x, max=0.0).sum(), [(0,)]),
        ("maximum", "maximum(x0, x1)", lambda x: torch.maximum(x[0], x[1]), [(1, 1)]),
        ("minimum", "minimum(x0, x1)", lambda x: torch.minimum(x[0], x[1]), [(1, 1)]),
        ("fmax", "fmax(x0, x1)", lambda x: torch.fmax(x[0], x[1]), [(1, 1)]),
        ("fmin", "fmin(x0, x1)", lambda x: torch.fmin(x[0], x[1]), [(1, 1)]),
        ("amax", "amax(x)", lambda x: torch.amax(x), [(1, 1, 1), (0, 1, 1)]),
        ("amin", "amin(x)", lambda x: torch.amin(x), [(1, 1, 1), (1, 0, 0)]),
        ("max_all", "max(x)", lambda x: torch.max(x), [(1, 1, 1)]),
        ("min_all", "min(x)", lambda x: torch.min(x), [(1, 1, 1)]),
        ("max_dim", "max(x, dim=0)", lambda x: torch.max(x, 0)[0], [(1, 1, 1), (0, 1, 1)]),
        ("min_dim", "min(x, dim=0)", lambda x: torch.min(x, 0)[0], [(1, 1, 1)]),
        ("max_pool", "max_pool2d 2x2", lambda x: F.max_pool2d(x.reshape(1, 1, 2, 2), 2).sum(),
         [(1, 1, 1, 1), (0, 1, 1, 0)]),
        ("max_pool", "max_pool1d 2", lambda x: F.max_pool1d(x.reshape(1, 1, 2), 2).sum(),
         [(1, 1)]),
        ("elu", "elu(x, 2)", lambda x: F.elu(x, 2.0).sum(), [(0,)]),
        ("elu", "selu(x)", lambda x: F.selu(x).sum(), [(0,)]),
        ("celu", "celu(x, 1/2)", lambda x: F.celu(x, 0.5).sum(), [(0,)]),
        ("prelu", "prelu(x0, x1)", lambda x: F.prelu(x[:1], x[1:]).sum(), [(0, 0.25)]),
        ("hardsigmoid", "hardsigmoid(x)", lambda x: F.hardsigmoid(x).sum(), [(-3,), (3,)]),
        ("hardswish", "hardswish(x)", lambda x: F.hardswish(x).sum(), [(-3,), (3,)]),
        ("softshrink", "softshrink(x, 1/2)", lambda x: F.softshrink(x, 0.5).sum(),
         [(-0.5,), (0.5,)]),
        ("smooth_l1_loss", "smooth_l1_loss(x, 0)",
         lambda x: F.smooth_l1_loss(x, torch.zeros_like(x)), [(-1,), (1,)]),
        ("huber_loss", "huber_loss(x, 0, delta=1/2)",
         lambda x: F.huber_loss(x, torch.zeros_like(x), delta=0.5), [(-0.5,), (0.5,)]),
        ("clamp_tensor", "clamp(x0, x1, x2)", lambda x: torch.clamp(x[:1], x[1:2], x[2:]).sum(),
         [(0, 0, 1), (1, 0, 1), (0, 0, 0), (-1, 0, 0), (0, 0, -1)]),
        ("clamp_min_tensor", "clamp(x0, min=x1)", lambda x: torch.clamp(x[:1], min=x[1:]).sum(),
         [(0, 0)]),
        ("clamp_max_tensor", "clamp(x0, max=x1)", lambda x: torch.clamp(x[:1], max=x[1:]).sum(),
         [(0, 0)]),
        ("sort", "sort(x) . (1, 2, 3)", lambda x: (torch.sort(x)[0] * _W3()).sum(),
         [(1, 1, 1), (0, 1, 1)]),
        ("sort", "sort(x, descending) . (1, 2, 3)",
         lambda x: (torch.sort(x, descending=True)[0] * _W3()).sum(), [(1, 1, 1)]),
        ("topk", "topk(x, 2) . (1, 2)", lambda x: (torch.topk(x, 2)[0] * _W3()[:2]).sum(),
         [(1, 1, 1), (0, 1, 1)]),
        ("median", "median(x)", lambda x: torch.median(x), [(1, 1, 1), (0, 1, 1, 2)]),
        ("median_dim", "median(x, dim=0)", lambda x: torch.median(x, 0)[0],
         [(1, 1, 1, 1), (1, 0, 0, 0)]),
        ("kthvalue", "kthvalue(x, 2)", lambda x: torch.kthvalue(x, 2)[0],
         [(1, 1, 1), (1, 0, 0, 0)]),
        ("adaptive_max_pool", "adaptive_max_pool2d 2x2 -> 1",
         lambda x: F.adaptive_max_pool2d(x.reshape(1, 1, 2, 2), 1).sum(), [(1, 1, 1, 1)]),
        ("argmax_gather", "gather(x, argmax(x))",
         lambda x: x.reshape(1, -1).gather(1, x.reshape(1, -1).argmax(1, keepdim=True)).sum(),
         [(1, 1, 1)]),
        ("clamp_min", "hinge_embedding_loss(x, -1)",
         lambda x: F.hinge_embedding_loss(x, -torch.ones_like(x)), [(1,)]),
    ], w2


def _W3():
    import torch
    return torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)


def _jax_cases():
    import jax
    import jax.numpy as jnp
    from jax import lax
    return [
        ("relu", "jax.nn.relu(x)", lambda x: jax.nn.relu(x).sum(), [(0,)]),
        ("relu6", "jax.nn.relu6(x)", lambda x: jax.nn.relu6(x).sum(), [(0,), (6,)]),
        ("abs", "jnp.abs(x)", lambda x: jnp.abs(x).sum(), [(0,)]),
        ("leaky_relu", "jax.nn.leaky_relu(x, 1/4)",
         lambda x: jax.nn.leaky_relu(x, 0.25).sum(), [(0,)]),
        ("max", "jnp.maximum(x0, x1)", lambda x: jnp.maximum(x[0], x[1]), [(1, 1)]),
        ("min", "jnp.minimum(x0, x1)", lambda x: jnp.minimum(x[0], x[1]), [(1, 1)]),
        ("reduce_max", "jnp.max(x)", lambda x: jnp.max(x), [(1, 1, 1), (0, 1, 1)]),
        ("reduce_min", "jnp.min(x)", lambda x: jnp.min(x), [(1, 1, 1)]),
        ("clip", "jnp.clip(x, 0, 1)", lambda x: jnp.clip(x, 0.0, 1.0).sum(), [(0,), (1,)]),
        ("clip", "jnp.clip(x, 0, 0)", lambda x: jnp.clip(x, 0.0, 0.0).sum(), [(0,)]),
        ("reduce_window_max", "max pool 2x2",
         lambda x: lax.reduce_window(x.reshape(1, 1, 2, 2), -jnp.inf, lax.max, (1, 1, 2, 2),
                                     (1, 1, 2, 2), "VALID").sum(), [(1, 1, 1, 1), (0, 1, 1, 0)]),
        ("reduce_window_max", "1-D max pool 3, stride 2",
         lambda x: _pool(lax, jnp, x, (5,), (3,), (2,), "VALID"), [(1, 1, 1, 1, 1), (0, 1, 1, 1, 0)]),
        ("reduce_window_max", "max pool 2x2, stride 1",
         lambda x: _pool(lax, jnp, x, (3, 3), (2, 2), (1, 1), "VALID"),
         [(0,) * 9, (0, 1, 0, 1, 0, 1, 0, 1, 0)]),
        ("reduce_window_max_padded", "max pool 2x2, padding 1, window [1, 1]",
         lambda x: lax.reduce_window(x.reshape(2, 2), -jnp.inf, lax.max, (2, 2), (1, 1),
                                     ((1, 1), (1, 1)))[1, 1],
         [(0, 1, 1, 0), (1, 1, 1, 1), (0, 1, 0, 1), (0, 0, 1, 1)]),
        ("reduce_window_max_padded", "1-D max pool 3, stride 2, padding (1, 1)",
         lambda x: _pool(lax, jnp, x, (5,), (3,), (2,), ((1, 1),)),
         [(1, 1, 1, 1, 1), (0, 1, 1, 0, 1)]),
        ("reduce_window_max_padded", "NCHW max pool 2x2, stride 2, padding (1, 0) x (1, 0)",
         lambda x: _pool(lax, jnp, x, (1, 1, 3, 3), (1, 1, 2, 2), (1, 1, 2, 2),
                         ((0, 0), (0, 0), (1, 0), (1, 0))),
         [(0,) * 9, (1, 0, 1, 0, 0, 0, 1, 0, 1)]),
        ("reduce_window_max_padded", "max pool 2x3, stride (1, 2), padding (1, 0) x (0, 1)",
         lambda x: _pool(lax, jnp, x, (2, 4), (2, 3), (1, 2), ((1, 0), (0, 1))),
         [(0, 1, 0, 2, 1, 0, 1, 2), (1, 1, 0, 0, 1, 1, 0, 0)]),
        ("where", "jax.nn.elu(x, 2)", lambda x: jax.nn.elu(x, 2.0).sum(), [(0,)]),
        ("where", "jax.nn.selu(x)", lambda x: jax.nn.selu(x).sum(), [(0,)]),
        ("max", "jax.nn.celu(x, 1/2)", lambda x: jax.nn.celu(x, 0.5).sum(), [(0,)]),
        ("where", "jax.nn.hard_tanh(x)", lambda x: jax.nn.hard_tanh(x).sum(), [(-1,), (1,)]),
        ("relu6", "jax.nn.hard_sigmoid(x)", lambda x: jax.nn.hard_sigmoid(x).sum(),
         [(-3,), (3,)]),
        ("relu6", "jax.nn.hard_swish(x)", lambda x: jax.nn.hard_swish(x).sum(), [(-3,), (3,)]),
        ("where", "jnp.where(x > 0, x, x / 4)", lambda x: jnp.where(x > 0, x, x / 4).sum(),
         [(0,)]),
        ("sort", "jnp.sort(x) . (1, 2, 3)",
         lambda x: (jnp.sort(x) * jnp.array([1.0, 2.0, 3.0])).sum(), [(1, 1, 1), (0, 1, 1)]),
        ("top_k", "lax.top_k(x, 2) . (1, 2)",
         lambda x: (lax.top_k(x, 2)[0] * jnp.array([1.0, 2.0])).sum(), [(1, 1, 1), (0, 1, 1)]),
    ]


def _pool(lax, jnp, x, shape, window, strides, padding):
    """``x`` reshaped to ``shape``, max-pooled by ``lax.reduce_window``, each window's
    output weighted by its position (1, 2, 3, ...) so the windows' gradients stay apart."""
    y = lax.reduce_window(x.reshape(shape), -jnp.inf, lax.max, window, strides, padding)
    return (y.reshape(-1) * jnp.arange(1.0, y.size + 1)).sum()


_TF_CASES = [  # (op, selcalc source body, tf function name, points)
    ("relu", "relu(x0)", "relu", [(0,)]),
    ("abs", "abs(x0)", "abs", [(0,)]),
    ("leaky_relu", "leaky_relu(x0, 1/4)", "leaky_relu", [(0,)]),
    ("maximum", "max(x0, x1)", "maximum", [(1, 1)]),
    ("minimum", "min(x0, x1)", "minimum", [(1, 1)]),
    ("reduce_max", "max(x0, x1, x2)", "reduce_max", [(1, 1, 1), (0, 1, 1)]),
    ("reduce_min", "min(x0, x1, x2)", "reduce_min", [(1, 1, 1)]),
    ("clip_by_value", "clip(x0, 0, 1)", "clip", [(0,), (1,)]),
    ("clip_by_value", "clip(x0, 0, 0)", "clip0", [(0,)]),
]


# ---------------------------------------------------------------------------- libraries
def _torch_backend():
    import torch
    from ..frontends.torch import from_torch
    cases, _ = _torch_cases()

    grad = torch_gradient

    def program(fn, point):
        return from_torch(fn, torch.tensor([float(v) for v in point], dtype=torch.float64))

    return cases, grad, program, torch.__version__.split("+")[0]


def _jax_backend():
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from ..frontends.jax import from_jax

    def grad(fn, point, mode):
        x = jnp.asarray([float(v) for v in point], dtype=jnp.float64)
        if mode == "backward":
            return [float(v) for v in jax.grad(fn)(x)]
        return [float(jax.jvp(fn, (x,), (jnp.zeros_like(x).at[j].set(1.0),))[1])
                for j in range(len(point))]

    def program(fn, point):
        return from_jax(fn, jnp.asarray([float(v) for v in point], dtype=jnp.float64))

    return _jax_cases(), grad, program, jax.__version__


def _tf_backend():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from ..frontends import parse
    fns = {
        "relu": lambda x: tf.nn.relu(x[0]), "abs": lambda x: tf.abs(x[0]),
        "leaky_relu": lambda x: tf.nn.leaky_relu(x[0], alpha=0.25),
        "maximum": lambda x: tf.maximum(x[0], x[1]), "minimum": lambda x: tf.minimum(x[0], x[1]),
        "reduce_max": tf.reduce_max, "reduce_min": tf.reduce_min,
        "clip": lambda x: tf.clip_by_value(x[0], 0.0, 1.0),
        "clip0": lambda x: tf.clip_by_value(x[0], 0.0, 0.0),
    }
    cases = [(op, src, fns[name], pts) for op, src, name, pts in _TF_CASES]

    def grad(fn, point, mode):
        x = tf.constant([float(v) for v in point], dtype=tf.float64)
        if mode == "backward":
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = fn(x)
            return [float(v) for v in tape.gradient(y, x)]
        out = []
        for j in range(len(point)):
            t = tf.one_hot(j, len(point), dtype=tf.float64)
            with tf.autodiff.ForwardAccumulator(x, t) as acc:
                y = fn(x)
            out.append(float(acc.jvp(y)))
        return out

    def program(src, point):
        args = ", ".join(f"x{i}" for i in range(len(point)))
        return parse(f"def f({args}):\n    return {src}\n")

    return cases, grad, program, tf.__version__


BACKENDS = {"torch": _torch_backend, "jax": _jax_backend, "tensorflow": _tf_backend}


# ---------------------------------------------------------------------------- measuring
def audit(library, preset=None, points=None):
    """Measure the installed ``library`` ("torch", "jax" or "tensorflow") at every kink.

    Returns a list of :class:`AuditRow` (one per op, point and mode).  ``preset``
    (default: the preset for the installed version, see
    :func:`selcalc.libraries.preset_for`) is the convention compared with.

    ``library`` may instead be a user function with its own derivative rule (a
    ``torch.autograd.Function`` subclass, a function of a tensor, a ``jax.custom_jvp`` /
    ``custom_vjp`` function) and ``points`` its kinks: the rule is then audited against
    the Clarke set and along curves through the kinks
    (:func:`selcalc.libraries.custom.audit_rule`, which returns a ``RuleAudit``).
    """
    if not isinstance(library, str):
        from .custom import audit_rule
        return audit_rule(library, points)
    from ..autodiff import grad
    from ..fields import ad_outputs, clarke
    from . import preset_for
    if library not in BACKENDS:
        raise SelcalcError(f"unknown library {library!r}; use torch, jax or tensorflow")
    try:
        cases, lib_grad, program, version = BACKENDS[library]()
    except ImportError as exc:
        raise SelcalcError(f"{library} is not installed ({exc}); install it to audit it") \
            from None
    if preset is None:
        preset, warning = preset_for(library, version)
        if warning:
            warnings.warn(warning, stacklevel=2)
    rows = []
    for op, label, fn, points in cases:
        for point in points:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                P = program(fn if library != "tensorflow" else label, point)
            x = tuple(Fraction(v) for v in point)
            ad = ad_outputs(P, x)
            pts = {tuple(to_exact(c) for c in v) for v in ad.points}
            C = clarke(P, x)
            for mode in MODES:
                floats = lib_grad(fn, point, mode)
                try:
                    ours = tuple(to_exact(v)
                                 for v in grad(P, x, convention=preset, mode=mode))
                except Undecided:  # no rule at this tie (torch.topk, kthvalue, median(x, dim))
                    ours = None
                seen = _reading(floats, ([] if ours is None else [ours]) + sorted(pts))
                in_clarke, verdict = _judged(seen, pts, ad, C)
                rows.append(AuditRow(
                    op=op, case=label, point=tuple(point), mode=mode,
                    library_value=seen.exact, preset=preset, preset_value=ours,
                    match=None if ours is None else seen.value == ours,
                    rounded=seen.rounded, compared_value=seen.value, ulps=seen.ulps,
                    note=seen.note,
                    ad_outputs=tuple(sorted(pts)),
                    clarke=tuple(sorted(tuple(to_exact(c) for c in v)
                                        for v in C._vertex_vectors)),
                    in_clarke=in_clarke, verdict=verdict))
    return rows


def disagreements(rows):
    """``(op, case, point, reverse value, forward value)`` where the library's modes differ."""
    by = {}
    for r in rows:
        by.setdefault((r.op, r.case, r.point), {})[r.mode] = r.library_value
    return [(op, case, pt, m["backward"], m["forward"]) for (op, case, pt), m in by.items()
            if m.get("backward") != m.get("forward")]


def render(rows, library=None):
    """The audit as a plain-text table, then the forward ≠ reverse disagreements."""
    head = ("op", "case", "point", "mode", "library", "preset", "match", "ad_outputs",
            "clarke", "in clarke", "verdict")
    table = [head]
    for r in rows:
        table.append((r.op, r.case, _fmt(r.point), r.mode,
                      _fmt(r.library_value) + (f" ~ {_fmt(r.compared_value)} (rounded)"
                                               if r.rounded else ""),
                      f"{r.preset} " + (_fmt(r.preset_value) if r.preset_value is not None
                                        else "unknown (no rule at this tie)"),
                      {True: "yes", False: "NO", None: "unknown"}[r.match]
                      + (" (rounded)" if r.rounded and r.match else ""),
                      "{" + ", ".join(_fmt(p) for p in r.ad_outputs) + "}",
                      "conv{" + ", ".join(_fmt(p) for p in r.clarke) + "}",
                      {True: "yes", False: "no", None: "unknown"}[r.in_clarke], r.verdict))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    dis = disagreements(rows)
    lines.append("")
    lines.append("forward != reverse: " + ("none" if not dis else ""))
    for op, case, pt, b, f in dis:
        lines.append(f"  {op} {case} at {_fmt(pt)}: reverse {_fmt(b)}, forward {_fmt(f)}")
    bad = [r for r in rows if not r.match]
    unknown = sum(r.match is None for r in rows)
    lines.append(f"{len(rows) - len(bad)} of {len(rows)} measurements match the preset"
                 + (f" {rows[0].preset}" if rows else "")
                 + (f" ({unknown} where it names no rule: unknown, not wrong)" if unknown
                    else ""))
    rounded = [r for r in rows if r.rounded]
    if rounded:
        lines.append(
            f"{len(rounded)} measurements are compared up to float rounding (marked "
            f"'rounded'): the library's float is not the exact value compared but within "
            f"{ROUNDING_ULPS} ulp of it (at most {max(r.ulps for r in rounded)} ulp "
            "here); their match, in clarke and verdict are for that exact value")
    return "\n".join(lines)


def to_json(rows):
    """The audit as JSON (numbers as strings ``"1/2"``)."""
    def conv(v):
        if isinstance(v, Fraction):
            return str(v)
        if isinstance(v, (tuple, list)):
            return [conv(u) for u in v]
        return v
    return json.dumps([{k: conv(v) for k, v in asdict(r).items()} for r in rows], indent=1)


def main(argv=None):
    """``python -m selcalc.libraries.audit torch [--json]``."""
    import argparse
    parser = argparse.ArgumentParser(prog="selcalc audit")
    parser.add_argument("library", choices=sorted(BACKENDS))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--preset", default=None)
    args = parser.parse_args(argv)
    rows = audit(args.library, args.preset)
    print(to_json(rows) if args.json else render(rows))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
