"""Measure what real AD libraries return at kinks and ties, in float64.

For every library that is installed (PyTorch, JAX, TensorFlow) and every
primitive / tie point listed in ``CASES``, this script computes the full
Jacobian of the primitive at the point twice:

* reverse mode: one ``torch.autograd.grad`` / ``jax.grad`` /
  ``tf.GradientTape.gradient`` call per output (rows of the Jacobian);
* forward mode: one ``torch.func.jvp`` / ``jax.jvp`` /
  ``tf.autodiff.ForwardAccumulator`` pass per input (columns).

Each measurement is then described in terms of selcalc's ordered pieces of the
primitive (0-based indices, see ``docs/conventions.md``): the tied pieces at
the point, and which of them (or which average of them) the library returned.

Usage::

    python bench/measure_frameworks.py            # markdown tables on stdout
    python bench/measure_frameworks.py --json OUT # also write the raw results

The libraries are imported only inside this script; a missing library is
reported and skipped.  The whole run takes a few seconds once the libraries
are imported.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
from fractions import Fraction

ALPHA = 0.25  # leaky_relu slope
LO, HI = -1.0, 1.0  # clip bounds

# ---------------------------------------------------------------------------
# The cases: name -> (primitive family, point).  The family decides how the
# pieces (and so the tied pieces) are built; see ``pieces``.
# ---------------------------------------------------------------------------

CASES: list[tuple[str, str, tuple[float, ...]]] = [
    ("relu", "relu", (0.0,)),
    ("abs", "abs", (0.0,)),
    ("maximum", "max", (0.0, 0.0)),
    ("maximum", "max", (1.0, 1.0)),
    ("minimum", "min", (0.0, 0.0)),
    ("minimum", "min", (1.0, 1.0)),
    ("max3", "max", (0.0, 0.0, 0.0)),
    ("max3", "max", (1.0, 1.0, 0.0)),
    ("max3", "max", (1.0, 0.0, 1.0)),
    ("max3", "max", (0.0, 1.0, 1.0)),
    ("min3", "min", (0.0, 0.0, 0.0)),
    ("min3", "min", (0.0, 0.0, 1.0)),
    ("min3", "min", (0.0, 1.0, 0.0)),
    ("min3", "min", (1.0, 0.0, 0.0)),
    ("clip", "clip", (-1.0,)),
    ("clip", "clip", (1.0,)),
    ("leaky_relu", "leaky_relu", (0.0,)),
    ("sort2", "sort", (0.0, 0.0)),
    ("sort2", "sort", (1.0, 1.0)),
    ("sort3", "sort", (0.0, 0.0, 0.0)),
    ("sort3", "sort", (0.0, 0.0, 1.0)),
    ("sort3", "sort", (1.0, 0.0, 1.0)),
    ("sort3", "sort", (1.0, 1.0, 0.0)),
    # where/select with a condition that is an equality at the point:
    # where(a >= b, a, b) and where(a > b, a, b) are max(a, b) written by hand.
    ("where_ge", "max", (0.0, 0.0)),
    ("where_gt", "max", (0.0, 0.0)),
]

# Library-specific variants worth knowing (same primitive, other spelling).
EXTRAS: dict[str, list[tuple[str, str, tuple[float, ...]]]] = {
    "torch": [
        ("max3_dim", "max", (1.0, 1.0, 0.0)),  # torch.max(stack, dim=0).values
        ("min3_dim", "min", (0.0, 0.0, 1.0)),  # torch.min(stack, dim=0).values
        ("max3_nodim", "max", (1.0, 1.0, 0.0)),  # torch.max(stack)
        ("hardtanh", "clip", (-1.0,)),
        ("hardtanh", "clip", (1.0,)),
        ("maximum_x0", "max_x0", (0.0,)),  # torch.maximum(x, 0)
    ],
    "jax": [
        ("lax_clamp", "clip", (-1.0,)),
        ("lax_clamp", "clip", (1.0,)),
        ("hard_tanh", "clip", (-1.0,)),
        ("hard_tanh", "clip", (1.0,)),
        ("maximum_x0", "max_x0", (0.0,)),  # jnp.maximum(x, 0)
    ],
    "tensorflow": [
        ("maximum_x0", "max_x0", (0.0,)),  # tf.maximum(x, 0)
        ("maximum_0x", "max_0x", (0.0,)),  # tf.maximum(0, x)
        ("minimum_x0", "min_x0", (0.0,)),  # tf.minimum(x, 0)
        ("minimum_0x", "min_0x", (0.0,)),  # tf.minimum(0, x)
    ],
}

# Size of the all-equal input used to check whether sort picks the identity
# permutation (the first piece) on large ties too.
SORT_N = 17


def case_key(name: str, point: tuple[float, ...]) -> str:
    return f"{name}({','.join(_fmt(v) for v in point)})"


def _fmt(v: float) -> str:
    f = Fraction(v)
    return str(f.numerator) if f.denominator == 1 else str(f)


# ---------------------------------------------------------------------------
# selcalc's pieces: for each primitive, the Jacobian (q x p, exact Fractions)
# of every piece at the point and the active (tied) set at the point.
# ---------------------------------------------------------------------------


def pieces(family: str, point: tuple[float, ...]):
    """Return (list of piece Jacobians, list of active piece indices)."""
    x = [Fraction(v) for v in point]
    p = len(x)

    def e(i: int) -> list[Fraction]:
        return [Fraction(int(j == i)) for j in range(p)]

    if family == "relu":
        jacs = [[[Fraction(0)]], [[Fraction(1)]]]
        active = [i for i, ok in enumerate([x[0] <= 0, x[0] >= 0]) if ok]
    elif family == "abs":
        jacs = [[[Fraction(-1)]], [[Fraction(1)]]]
        active = [i for i, ok in enumerate([x[0] <= 0, x[0] >= 0]) if ok]
    elif family == "leaky_relu":
        jacs = [[[Fraction(ALPHA)]], [[Fraction(1)]]]
        active = [i for i, ok in enumerate([x[0] <= 0, x[0] >= 0]) if ok]
    elif family in ("max_x0", "max_0x", "min_x0", "min_0x"):
        # max(x, 0) = [x if x >= 0, 0 if x <= 0]; max(0, x) = [0, x]; min alike.
        ident_first = family.endswith("x0")
        ident_ok = x[0] >= 0 if family.startswith("max") else x[0] <= 0
        const_ok = x[0] <= 0 if family.startswith("max") else x[0] >= 0
        one, zero = [[Fraction(1)]], [[Fraction(0)]]
        jacs = [one, zero] if ident_first else [zero, one]
        oks = [ident_ok, const_ok] if ident_first else [const_ok, ident_ok]
        active = [i for i, ok in enumerate(oks) if ok]
    elif family == "clip":
        lo, hi = Fraction(LO), Fraction(HI)
        jacs = [[[Fraction(0)]], [[Fraction(1)]], [[Fraction(0)]]]
        conds = [x[0] <= lo, lo <= x[0] <= hi, x[0] >= hi]
        active = [i for i, ok in enumerate(conds) if ok]
    elif family in ("max", "min"):
        best = max(x) if family == "max" else min(x)
        jacs = [[e(i)] for i in range(p)]
        active = [i for i in range(p) if x[i] == best]
    elif family == "sort":
        perms = list(itertools.permutations(range(p)))  # lexicographic
        jacs = [[e(perm[i]) for i in range(p)] for perm in perms]
        active = [
            k
            for k, perm in enumerate(perms)
            if all(x[perm[i]] <= x[perm[i + 1]] for i in range(p - 1))
        ]
    else:  # pragma: no cover
        raise ValueError(family)
    return jacs, active


def describe(measured: list[list[float]], jacs, active) -> str:
    """Describe a measured Jacobian in terms of the tied pieces."""
    meas = [[Fraction(v) for v in row] for row in measured]
    hits = [i for i in active if jacs[i] == meas]
    if hits:
        i = hits[0]
        if len(hits) > 1:  # several pieces share this Jacobian
            return f"pieces {hits} (same Jacobian)"
        return f"piece {i} ({'first' if i == min(active) else 'not first'})"
    n = len(active)
    mean = [
        [sum(jacs[i][r][c] for i in active) / n for c in range(len(meas[0]))]
        for r in range(len(meas))
    ]
    if all(
        abs(float(m) - float(v)) <= 1e-15 * max(1.0, abs(float(m)))
        for mr, vr in zip(mean, meas)
        for m, v in zip(mr, vr)
    ):
        return f"mean of tied pieces {active}"
    return f"other (tied pieces {active})"


# ---------------------------------------------------------------------------
# Library back ends.  Each ``make_*`` returns (version string, primitive
# table, reverse(f, point) -> Jacobian rows, forward(f, point) -> Jacobian rows,
# sort_identity(n, mode) -> whether sort's Jacobian at n equal inputs is I).
# Primitives take scalar arguments and return a tuple of scalar outputs.
# ---------------------------------------------------------------------------


def make_torch():
    import torch

    f64 = torch.float64

    def stack(a):
        return torch.stack(list(a))

    prims = {
        "relu": lambda x: (torch.relu(x),),
        "abs": lambda x: (torch.abs(x),),
        "maximum": lambda a, b: (torch.maximum(a, b),),
        "minimum": lambda a, b: (torch.minimum(a, b),),
        "max3": lambda *a: (torch.amax(stack(a)),),
        "min3": lambda *a: (torch.amin(stack(a)),),
        "clip": lambda x: (torch.clamp(x, LO, HI),),
        "leaky_relu": lambda x: (torch.nn.functional.leaky_relu(x, ALPHA),),
        "sort2": lambda *a: tuple(torch.sort(stack(a)).values.unbind()),
        "sort3": lambda *a: tuple(torch.sort(stack(a)).values.unbind()),
        "where_ge": lambda a, b: (torch.where(a >= b, a, b),),
        "where_gt": lambda a, b: (torch.where(a > b, a, b),),
        "max3_dim": lambda *a: (torch.max(stack(a), dim=0).values,),
        "min3_dim": lambda *a: (torch.min(stack(a), dim=0).values,),
        "max3_nodim": lambda *a: (torch.max(stack(a)),),
        "hardtanh": lambda x: (torch.nn.functional.hardtanh(x, LO, HI),),
        "maximum_x0": lambda x: (torch.maximum(x, torch.zeros((), dtype=f64)),),
    }

    def sort_identity(n, mode):
        x = torch.zeros(n, dtype=f64)
        jac = torch.func.jacrev if mode == "reverse" else torch.func.jacfwd
        J = jac(lambda v: torch.sort(v).values)(x)
        return bool(torch.equal(J, torch.eye(n, dtype=f64)))

    def reverse(f, point):
        xs = [torch.tensor(v, dtype=f64, requires_grad=True) for v in point]
        outs = f(*xs)
        rows = []
        for out in outs:
            gs = torch.autograd.grad(out, xs, retain_graph=True, allow_unused=True)
            rows.append([0.0 if g is None else float(g) for g in gs])
        return rows

    def forward(f, point):
        xs = tuple(torch.tensor(v, dtype=f64) for v in point)
        cols = []
        for j in range(len(point)):
            ts = tuple(torch.tensor(float(i == j), dtype=f64) for i in range(len(point)))
            _, tangents = torch.func.jvp(f, xs, ts)
            cols.append([float(t) for t in tangents])
        return [list(r) for r in zip(*cols)]

    return torch.__version__, prims, reverse, forward, sort_identity


def make_jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    prims = {
        "relu": lambda x: (jax.nn.relu(x),),
        "abs": lambda x: (jnp.abs(x),),
        "maximum": lambda a, b: (jnp.maximum(a, b),),
        "minimum": lambda a, b: (jnp.minimum(a, b),),
        "max3": lambda *a: (jnp.max(jnp.stack(a)),),
        "min3": lambda *a: (jnp.min(jnp.stack(a)),),
        "clip": lambda x: (jnp.clip(x, LO, HI),),
        "leaky_relu": lambda x: (jax.nn.leaky_relu(x, ALPHA),),
        "sort2": lambda *a: tuple(jnp.sort(jnp.stack(a))),
        "sort3": lambda *a: tuple(jnp.sort(jnp.stack(a))),
        "where_ge": lambda a, b: (jnp.where(a >= b, a, b),),
        "where_gt": lambda a, b: (jnp.where(a > b, a, b),),
        "lax_clamp": lambda x: (jax.lax.clamp(LO, x, HI),),
        "hard_tanh": lambda x: (jax.nn.hard_tanh(x),),
        "maximum_x0": lambda x: (jnp.maximum(x, 0.0),),
    }

    def sort_identity(n, mode):
        x = jnp.zeros(n, dtype=jnp.float64)
        jac = jax.jacrev if mode == "reverse" else jax.jacfwd
        return bool((jac(jnp.sort)(x) == jnp.eye(n)).all())

    def reverse(f, point):
        xs = [jnp.asarray(v, dtype=jnp.float64) for v in point]
        p = len(xs)
        q = len(f(*xs))
        rows = []
        for i in range(q):
            g = jax.grad(lambda *a, i=i: f(*a)[i], argnums=tuple(range(p)))(*xs)
            rows.append([float(v) for v in g])
        return rows

    def forward(f, point):
        xs = tuple(jnp.asarray(v, dtype=jnp.float64) for v in point)
        cols = []
        for j in range(len(point)):
            ts = tuple(jnp.asarray(float(i == j), dtype=jnp.float64) for i in range(len(point)))
            _, tangents = jax.jvp(f, xs, ts)
            cols.append([float(t) for t in tangents])
        return [list(r) for r in zip(*cols)]

    version = jax.__version__ + " (jaxlib " + _jaxlib_version() + ")"
    return version, prims, reverse, forward, sort_identity


def _jaxlib_version() -> str:
    import jaxlib

    return getattr(jaxlib, "__version__", None) or jaxlib.version.__version__


def make_tensorflow():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    f64 = tf.float64
    ZERO = tf.UnconnectedGradients.ZERO

    prims = {
        "relu": lambda x: (tf.nn.relu(x),),
        "abs": lambda x: (tf.abs(x),),
        "maximum": lambda a, b: (tf.maximum(a, b),),
        "minimum": lambda a, b: (tf.minimum(a, b),),
        "max3": lambda *a: (tf.reduce_max(tf.stack(a)),),
        "min3": lambda *a: (tf.reduce_min(tf.stack(a)),),
        "clip": lambda x: (tf.clip_by_value(x, tf.constant(LO, f64), tf.constant(HI, f64)),),
        "leaky_relu": lambda x: (tf.nn.leaky_relu(x, alpha=ALPHA),),
        "sort2": lambda *a: tuple(tf.unstack(tf.sort(tf.stack(a)))),
        "sort3": lambda *a: tuple(tf.unstack(tf.sort(tf.stack(a)))),
        "where_ge": lambda a, b: (tf.where(a >= b, a, b),),
        "where_gt": lambda a, b: (tf.where(a > b, a, b),),
        "maximum_x0": lambda x: (tf.maximum(x, tf.constant(0.0, f64)),),
        "maximum_0x": lambda x: (tf.maximum(tf.constant(0.0, f64), x),),
        "minimum_x0": lambda x: (tf.minimum(x, tf.constant(0.0, f64)),),
        "minimum_0x": lambda x: (tf.minimum(tf.constant(0.0, f64), x),),
    }

    def sort_identity(n, mode):
        x = tf.zeros(n, dtype=f64)
        eye = tf.eye(n, dtype=f64)
        if mode == "reverse":
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.sort(x)
            J = tape.jacobian(y, x)
        else:
            cols = []
            for j in range(n):
                with tf.autodiff.ForwardAccumulator(x, eye[j]) as acc:
                    y = tf.sort(x)
                cols.append(acc.jvp(y))
            J = tf.stack(cols, axis=1)
        return bool(tf.reduce_all(J == eye))

    def reverse(f, point):
        xs = [tf.constant(v, dtype=f64) for v in point]
        with tf.GradientTape(persistent=True) as tape:
            for x in xs:
                tape.watch(x)
            outs = f(*xs)
        rows = []
        for out in outs:
            gs = tape.gradient(out, xs, unconnected_gradients=ZERO)
            rows.append([float(g) for g in gs])
        del tape
        return rows

    def forward(f, point):
        xs = [tf.constant(v, dtype=f64) for v in point]
        cols = []
        for j in range(len(point)):
            ts = [tf.constant(float(i == j), dtype=f64) for i in range(len(point))]
            with tf.autodiff.ForwardAccumulator(xs, ts) as acc:
                outs = f(*xs)
            cols.append([float(acc.jvp(o, unconnected_gradients=ZERO)) for o in outs])
        return [list(r) for r in zip(*cols)]

    return tf.__version__, prims, reverse, forward, sort_identity


LIBRARIES = {"torch": make_torch, "jax": make_jax, "tensorflow": make_tensorflow}


# ---------------------------------------------------------------------------


def _flat(jac: list[list[float]]):
    """Scalar-output Jacobians are stored as the gradient vector."""
    if len(jac) == 1:
        return [_num(v) for v in jac[0]]
    return [[_num(v) for v in row] for row in jac]


def _num(v: float):
    return int(v) if float(v).is_integer() else v


def _show(x) -> str:
    def s(v):
        f = Fraction(v).limit_denominator(1 << 20)
        return str(f) if abs(float(f) - v) < 1e-15 else repr(v)

    if x and isinstance(x[0], list):
        return "[" + "; ".join(" ".join(s(v) for v in row) for row in x) + "]"
    return "(" + ", ".join(s(v) for v in x) + ")"


def measure(lib: str):
    version, prims, reverse, forward, sort_identity = LIBRARIES[lib]()
    results = {}
    for name, family, point in CASES + EXTRAS.get(lib, []):
        f = prims[name]
        rev = reverse(f, point)
        fwd = forward(f, point)
        jacs, active = pieces(family, point)
        results[case_key(name, point)] = {
            "reverse": _flat(rev),
            "forward": _flat(fwd),
            "tied_pieces": active,
            "reverse_rule": describe(rev, jacs, active),
            "forward_rule": describe(fwd, jacs, active),
        }
    key = f"sort{SORT_N}_is_identity(0,...,0)"
    results[key] = {m: sort_identity(SORT_N, m) for m in ("reverse", "forward")}
    return version, results


def markdown(lib: str, version: str, results: dict) -> str:
    lines = [
        f"### {lib} {version}",
        "",
        "| primitive(point) | tied pieces | reverse | forward | reverse rule | forward rule | fwd = rev? |",
        "|---|---|---|---|---|---|---|",
    ]
    extra_keys = {case_key(n, pt) for n, _, pt in EXTRAS.get(lib, [])}
    in_extras = False
    for key, r in results.items():
        if "tied_pieces" not in r:
            continue
        if key in extra_keys and not in_extras:
            in_extras = True
            lines.append("| *other spellings* | | | | | | |")
        same = "yes" if r["reverse"] == r["forward"] else "**NO**"
        lines.append(
            f"| `{key}` | {r['tied_pieces']} | {_show(r['reverse'])} | {_show(r['forward'])} "
            f"| {r['reverse_rule']} | {r['forward_rule']} | {same} |"
        )
    for key, r in results.items():
        if "tied_pieces" not in r:
            lines.append("")
            lines.append(f"`{key}`: reverse {r['reverse']}, forward {r['forward']}")
    return "\n".join(lines)


def _dumps(obj, depth: int = 0) -> str:
    """JSON with one line per measurement (nested dicts indented, leaves inline)."""
    if isinstance(obj, dict) and depth < 2:
        pad = " " * (depth + 1)
        items = [f"{pad}{json.dumps(k)}: {_dumps(v, depth + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"
    return json.dumps(obj)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", help="write raw results to this JSON file")
    ap.add_argument("--libs", default=",".join(LIBRARIES), help="comma-separated subset")
    args = ap.parse_args(argv)

    out = {
        "versions": {"python": platform.python_version()},
        "float": "float64",
        "clip_bounds": [LO, HI],
        "leaky_relu_alpha": ALPHA,
    }
    import numpy

    out["versions"]["numpy"] = numpy.__version__
    for lib in args.libs.split(","):
        try:
            version, results = measure(lib)
        except ImportError as exc:
            print(f"### {lib}: not installed ({exc})\n")
            out["versions"][lib] = None
            continue
        out["versions"][lib] = version
        out[lib] = results
        print(markdown(lib, version, results))
        print()
    print("versions: " + ", ".join(f"{k} {v}" for k, v in out["versions"].items()))
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(_dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
