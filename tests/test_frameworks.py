"""selcalc against the real AD libraries (PyTorch, JAX, TensorFlow).

Every test takes ONE Python source string and uses it twice:

* ``selcalc.parse`` turns it into a Program, differentiated exactly with the library's
  preset convention (``"pytorch"``, ``"jax"``, ``"tensorflow"``);
* the same source is ``exec``'d with the library's functions bound to the primitive
  names, and differentiated in float64 in reverse mode (``torch.autograd.grad``,
  ``jax.grad``, ``tf.GradientTape``) or forward mode (``torch.func.jvp``, ``jax.jvp``,
  ``tf.autodiff.ForwardAccumulator``).

Inputs and constants are dyadic rationals, so the float computation is exact and the
comparison is exact (``Fraction(float) == sympy value``); only values whose exact form is
not dyadic (the 1/3 of a three-way mean) are compared to a few ulps.

A library that is not installed makes its tests skip, not fail.  The last test needs no
library: it checks selcalc's presets against the measurements stored in
``tests/data/framework_measurements.json`` (made by ``bench/measure_frameworks.py``).
"""

from __future__ import annotations

import json
import math
import os
import random
from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import selcalc

pytestmark = [
    pytest.mark.frameworks,
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
]

LIBRARIES = ("torch", "jax", "tensorflow")
MODES = ("backward", "forward")
DATA = Path(__file__).parent / "data" / "framework_measurements.json"


def _installed_preset(name):
    """The preset measured for the installed version (what from_torch / from_jax use)."""
    import importlib
    from selcalc.libraries import preset_for
    version = importlib.import_module(name).__version__.split("+")[0]
    return preset_for(name, version)[0]


def _stored_preset(name):
    """The preset for the version the stored measurements were made on."""
    from selcalc.libraries import preset_for
    version = json.loads(DATA.read_text())["versions"][name].split()[0].split("+")[0]
    return preset_for(name, version)[0]


# ---------------------------------------------------------------------------
# Library back ends: primitive bindings + Jacobians in both modes.
# A back end is (bindings: dict name -> callable, jacobian(fn, point, mode) -> rows).
# ---------------------------------------------------------------------------


def _torch_backend():
    torch = pytest.importorskip("torch")
    f64 = torch.float64
    F = torch.nn.functional

    def t(v):
        return v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=f64)

    def mx(*a):
        a = [t(v) for v in a]
        return torch.maximum(*a) if len(a) == 2 else torch.amax(torch.stack(a))

    def mn(*a):
        a = [t(v) for v in a]
        return torch.minimum(*a) if len(a) == 2 else torch.amin(torch.stack(a))

    bindings = {
        "relu": lambda x: torch.relu(t(x)),
        "abs": lambda x: torch.abs(t(x)),
        "max": mx,
        "min": mn,
        "clip": lambda x, lo, hi: torch.clamp(t(x), float(lo), float(hi)),
        "leaky_relu": lambda x, alpha: F.leaky_relu(t(x), float(alpha)),
        "sort": lambda *a: tuple(torch.sort(torch.stack([t(v) for v in a])).values.unbind()),
        "exp": lambda x: torch.exp(t(x)),
        "log": lambda x: torch.log(t(x)),
        "sqrt": lambda x: torch.sqrt(t(x)),
        "sin": lambda x: torch.sin(t(x)),
        "cos": lambda x: torch.cos(t(x)),
        "tanh": lambda x: torch.tanh(t(x)),
        "sigmoid": lambda x: torch.sigmoid(t(x)),
        "softplus": lambda x: F.softplus(t(x)),
    }

    def jacobian(fn, point, mode):
        p = len(point)
        if mode == "backward":
            xs = [torch.tensor(float(v), dtype=f64, requires_grad=True) for v in point]
            outs = _as_tuple(fn(*xs))
            rows = []
            for out in outs:
                gs = torch.autograd.grad(out, xs, retain_graph=True, allow_unused=True)
                rows.append([0.0 if g is None else float(g) for g in gs])
            return rows
        xs = tuple(torch.tensor(float(v), dtype=f64) for v in point)
        cols = []
        for j in range(p):
            ts = tuple(torch.tensor(float(i == j), dtype=f64) for i in range(p))
            _, tangents = torch.func.jvp(lambda *a: _as_tuple(fn(*a)), xs, ts)
            cols.append([float(v) for v in tangents])
        return [list(r) for r in zip(*cols)]

    return bindings, jacobian


def _jax_backend():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def mx(*a):
        return jnp.maximum(*a) if len(a) == 2 else jnp.max(jnp.stack(jnp.asarray(a)))

    def mn(*a):
        return jnp.minimum(*a) if len(a) == 2 else jnp.min(jnp.stack(jnp.asarray(a)))

    bindings = {
        "relu": jax.nn.relu,
        "abs": jnp.abs,
        "max": mx,
        "min": mn,
        "clip": lambda x, lo, hi: jnp.clip(x, lo, hi),
        "leaky_relu": lambda x, alpha: jax.nn.leaky_relu(x, alpha),
        "sort": lambda *a: tuple(jnp.sort(jnp.stack(jnp.asarray(a)))),
        "exp": jnp.exp,
        "log": jnp.log,
        "sqrt": jnp.sqrt,
        "sin": jnp.sin,
        "cos": jnp.cos,
        "tanh": jnp.tanh,
        "sigmoid": jax.nn.sigmoid,
        "softplus": jax.nn.softplus,
    }

    def jacobian(fn, point, mode):
        p = len(point)
        xs = tuple(jnp.asarray(float(v), dtype=jnp.float64) for v in point)
        f = lambda *a: _as_tuple(fn(*a))  # noqa: E731
        if mode == "backward":
            q = len(f(*xs))
            rows = []
            for i in range(q):
                g = jax.grad(lambda *a, i=i: f(*a)[i], argnums=tuple(range(p)))(*xs)
                rows.append([float(v) for v in g])
            return rows
        cols = []
        for j in range(p):
            ts = tuple(jnp.asarray(float(i == j), dtype=jnp.float64) for i in range(p))
            _, tangents = jax.jvp(f, xs, ts)
            cols.append([float(v) for v in tangents])
        return [list(r) for r in zip(*cols)]

    return bindings, jacobian


def _tf_backend():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = pytest.importorskip("tensorflow")
    f64 = tf.float64
    zero = tf.UnconnectedGradients.ZERO

    def t(v):
        return v if isinstance(v, tf.Tensor) else tf.constant(float(v), dtype=f64)

    def mx(*a):
        a = [t(v) for v in a]
        return tf.maximum(*a) if len(a) == 2 else tf.reduce_max(tf.stack(a))

    def mn(*a):
        a = [t(v) for v in a]
        return tf.minimum(*a) if len(a) == 2 else tf.reduce_min(tf.stack(a))

    bindings = {
        "relu": lambda x: tf.nn.relu(t(x)),
        "abs": lambda x: tf.abs(t(x)),
        "max": mx,
        "min": mn,
        "clip": lambda x, lo, hi: tf.clip_by_value(t(x), t(lo), t(hi)),
        "leaky_relu": lambda x, alpha: tf.nn.leaky_relu(t(x), alpha=float(alpha)),
        "sort": lambda *a: tuple(tf.unstack(tf.sort(tf.stack([t(v) for v in a])))),
        "exp": lambda x: tf.exp(t(x)),
        "log": lambda x: tf.math.log(t(x)),
        "sqrt": lambda x: tf.sqrt(t(x)),
        "sin": lambda x: tf.sin(t(x)),
        "cos": lambda x: tf.cos(t(x)),
        "tanh": lambda x: tf.tanh(t(x)),
        "sigmoid": lambda x: tf.sigmoid(t(x)),
        "softplus": lambda x: tf.nn.softplus(t(x)),
    }

    def jacobian(fn, point, mode):
        p = len(point)
        xs = [tf.constant(float(v), dtype=f64) for v in point]
        if mode == "backward":
            with tf.GradientTape(persistent=True) as tape:
                for x in xs:
                    tape.watch(x)
                outs = [t(o) for o in _as_tuple(fn(*xs))]
            rows = [[float(g) for g in tape.gradient(o, xs, unconnected_gradients=zero)]
                    for o in outs]
            del tape
            return rows
        cols = []
        for j in range(p):
            ts = [tf.constant(float(i == j), dtype=f64) for i in range(p)]
            with tf.autodiff.ForwardAccumulator(xs, ts) as acc:
                outs = [t(o) for o in _as_tuple(fn(*xs))]
            cols.append([float(acc.jvp(o, unconnected_gradients=zero)) for o in outs])
        return [list(r) for r in zip(*cols)]

    return bindings, jacobian


_BACKENDS = {"torch": _torch_backend, "jax": _jax_backend, "tensorflow": _tf_backend}
_CACHE: dict = {}


@pytest.fixture(params=LIBRARIES)
def lib(request):
    """(library name, bindings, jacobian); skips when the library is missing."""
    name = request.param
    if name not in _CACHE:
        try:
            _CACHE[name] = _BACKENDS[name]()
        except pytest.skip.Exception:
            _CACHE[name] = None
    if _CACHE[name] is None:
        pytest.skip(f"{name} is not installed")
    return (name, *_CACHE[name])


def _as_tuple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _function(source: str, bindings: dict):
    """exec the source with the library bound to the primitive names; return the def."""
    namespace = dict(bindings)
    exec(compile(source, "<program>", "exec"), namespace)  # noqa: S102 - our own sources
    name = source.split("def ", 1)[1].split("(", 1)[0].strip()
    return namespace[name]


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def _dyadic(q: sympy.Rational) -> bool:
    d = int(q.q)
    return d & (d - 1) == 0


def _same(exact, measured: float) -> bool:
    """Exact equality for dyadic values; a few ulps otherwise (e.g. 1/3)."""
    exact = sympy.nsimplify(exact) if not isinstance(exact, sympy.Basic) else exact
    if exact.is_Rational and _dyadic(exact):
        return Fraction(measured) == Fraction(int(exact.p), int(exact.q))
    value = float(exact)
    return abs(value - measured) <= 4 * math.ulp(max(abs(value), 1e-300))


def _compare(source, point, lib, mode):
    name, bindings, jacobian = lib
    P = selcalc.parse(source)
    expected = selcalc.jacobian(P, point, convention=_installed_preset(name), mode=mode)
    measured = jacobian(_function(source, bindings), point, mode)
    exp_rows = [[expected[i, j] for j in range(expected.cols)] for i in range(expected.rows)]
    ok = len(exp_rows) == len(measured) and all(
        len(er) == len(mr) and all(_same(e, m) for e, m in zip(er, mr))
        for er, mr in zip(exp_rows, measured))
    assert ok, (f"{name} {mode} at {point}:\n  library {measured}\n  selcalc {exp_rows}\n"
                f"{source}")
    if P.q == 1:  # grad agrees with jacobian's single row
        g = selcalc.grad(P, point, convention=_installed_preset(name), mode=mode)
        assert list(g) == exp_rows[0]


# ---------------------------------------------------------------------------
# 1. One row per primitive and kink / tie.
# ---------------------------------------------------------------------------

R1 = "def f(a):\n    return {}\n"
R2 = "def f(a, b):\n    return {}\n"
R3 = "def f(a, b, c):\n    return {}\n"

KINKS = [
    (R1.format("relu(a)"), (0,)),
    (R1.format("abs(a)"), (0,)),
    (R1.format("leaky_relu(a, 0.25)"), (0,)),
    (R2.format("max(a, b)"), (0, 0)),
    (R2.format("max(a, b)"), (1, 1)),
    (R2.format("min(a, b)"), (0, 0)),
    (R2.format("min(a, b)"), (1, 1)),
    (R3.format("max(a, b, c)"), (0, 0, 0)),
    (R3.format("max(a, b, c)"), (1, 1, 0)),
    (R3.format("max(a, b, c)"), (1, 0, 1)),
    (R3.format("max(a, b, c)"), (0, 1, 1)),
    (R3.format("min(a, b, c)"), (0, 0, 0)),
    (R3.format("min(a, b, c)"), (0, 0, 1)),
    (R3.format("min(a, b, c)"), (0, 1, 0)),
    (R3.format("min(a, b, c)"), (1, 0, 0)),
    (R1.format("clip(a, -1, 1)"), (-1,)),
    (R1.format("clip(a, -1, 1)"), (1,)),
    (R2.format("sort(a, b)"), (0, 0)),
    (R2.format("sort(a, b)"), (1, 1)),
    (R3.format("sort(a, b, c)"), (0, 0, 0)),
    (R3.format("sort(a, b, c)"), (0, 0, 1)),
    (R3.format("sort(a, b, c)"), (1, 0, 1)),
    (R3.format("sort(a, b, c)"), (1, 1, 0)),
    (R2.format("a if a >= b else b"), (0, 0)),
    (R2.format("a if a > b else b"), (0, 0)),
    (R2.format("b if a <= b else a"), (0, 0)),
    # a constant argument: TensorFlow's maximum/minimum favour the FIRST argument
    (R1.format("max(a, 0)"), (0,)),
    (R1.format("max(0, a)"), (0,)),
    (R1.format("min(a, 0)"), (0,)),
    (R1.format("min(0, a)"), (0,)),
    # kinks reached through smooth primitives at points where everything is exact
    (R1.format("relu(sin(a))"), (0,)),
    (R1.format("abs(tanh(a)) + relu(-sin(a))"), (0,)),
    (R1.format("max(exp(a), 1)"), (0,)),
    (R1.format("abs(log(a))"), (1,)),
    (R1.format("min(sqrt(a + 1), cos(a))"), (0,)),
    (R1.format("clip(sigmoid(a), 0, 0.5) + leaky_relu(softplus(a) - softplus(0), 0.25)"),
     (0,)),
]


def _kink_id(case):
    source, point = case
    body = source.split("return ", 1)[1].strip()
    return f"{body}@{','.join(str(v) for v in point)}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", KINKS, ids=[_kink_id(c) for c in KINKS])
def test_kink(case, mode, lib):
    source, point = case
    _compare(source, point, lib, mode)


# ---------------------------------------------------------------------------
# 2. Random piecewise-linear programs with ties planted at the evaluation point.
# ---------------------------------------------------------------------------

N_RANDOM = 20


def _lit(q: Fraction) -> str:
    """A Python literal that is exactly q, read exactly by selcalc and by Python."""
    if q.denominator == 1:
        s = str(q.numerator)
    else:
        s = repr(float(q))
        assert Fraction(s) == q, q
    return f"({s})" if q < 0 else s


def _dy(rng: random.Random, lo=-8, hi=8, den=4) -> Fraction:
    return Fraction(rng.randint(lo, hi), den)


def _shift(expr: str, d: Fraction) -> str:
    """expr + d, written so that the value is exact."""
    if d == 0:
        return expr
    return f"{expr} + {_lit(d)}"


def random_program(seed: int):
    """A straight-line program over (a, b, c) with ties planted at the returned point."""
    rng = random.Random(seed)
    point = tuple(_dy(rng, -6, 6) for _ in range(3))
    pool = [("a", point[0]), ("b", point[1]), ("c", point[2])]
    lines = []

    def pick():
        # favour recent nodes so the program is a deep composition, not a flat sum
        k = min(len(pool) - 1, int(abs(rng.gauss(0, 2.5))))
        return pool[len(pool) - 1 - k]

    def new(expr, value):
        name = f"t{len(lines)}"
        lines.append(f"    {name} = {expr}")
        pool.append((name, value))

    n_ops = rng.randint(4, 8)
    while len(lines) < n_ops:
        op = rng.choice(["relu", "abs", "leaky", "max2", "min2", "maxn", "minn", "clip",
                         "sort", "where", "lin", "lin", "mul"])
        (x, vx), (y, vy) = pick(), pick()
        if y == x:
            (y, vy) = pick()
        if op in ("relu", "abs", "leaky"):
            # tie at 0 most of the time; sometimes a plain (untied) application
            d = -vx if rng.random() < 0.8 else Fraction(0)
            arg = _shift(x, d)
            v = vx + d
            if op == "relu":
                new(f"relu({arg})", max(v, 0))
            elif op == "abs":
                new(f"abs({arg})", abs(v))
            else:
                new(f"leaky_relu({arg}, 0.25)", v if v >= 0 else v / 4)
        elif op in ("max2", "min2"):
            y2 = _shift(y, vx - vy)  # y2 == x at the point
            args = [x, y2] if rng.random() < 0.5 else [y2, x]
            new(f"{op[:3]}({args[0]}, {args[1]})", vx)
        elif op in ("maxn", "minn"):
            r = rng.choice([3, 4])
            # tie counts that are powers of two keep every mean dyadic (exact floats)
            n_tied = rng.choice([2, 4]) if r == 4 else 2
            sign = 1 if op == "maxn" else -1
            best = vx
            args = []
            for i in range(r):
                (z, vz) = (x, vx) if i == 0 else pick()
                target = best if i < n_tied else best - sign * Fraction(rng.randint(1, 4), 2)
                args.append(_shift(z, target - vz))
            rng.shuffle(args)
            new(f"{op[:3]}({', '.join(args)})", best)
        elif op == "clip":
            width = Fraction(rng.randint(1, 4), 2)
            if rng.random() < 0.5:
                lo, hi = vx, vx + width  # x sits on the lower bound
            else:
                lo, hi = vx - width, vx  # x sits on the upper bound
            new(f"clip({x}, {_lit(lo)}, {_lit(hi)})", vx)
        elif op == "sort":
            r = rng.choice([2, 3])
            vals, args = [], []
            for i in range(r):
                (z, vz) = (x, vx) if i == 0 else pick()
                # each later argument ties with an earlier one half of the time
                target = rng.choice(vals) if vals and rng.random() < 0.6 else vz
                args.append(_shift(z, target - vz))
                vals.append(target)
            outs = [f"s{len(lines)}_{i}" for i in range(r)]
            lines.append(f"    {', '.join(outs)} = sort({', '.join(args)})")
            coeffs = [Fraction(rng.choice([1, 2, 3, -1, -2]), 1) for _ in range(r)]
            expr = " + ".join(f"{_lit(cf)} * {o}" for cf, o in zip(coeffs, outs))
            new(expr, sum(cf * v for cf, v in zip(coeffs, sorted(vals))))
        elif op == "where":
            y2 = _shift(y, vx - vy)
            cmp = rng.choice([">=", ">", "<=", "<"])
            branches = (x, y2) if rng.random() < 0.5 else (y2, x)
            new(f"{branches[0]} if {x} {cmp} {y2} else {branches[1]}", vx)
        elif op == "lin":
            c1, c2, c0 = _dy(rng, -4, 4, 2), _dy(rng, -4, 4, 2), _dy(rng, -4, 4, 4)
            new(f"{_lit(c1)} * {x} + {_lit(c2)} * {y} + {_lit(c0)}", c1 * vx + c2 * vy + c0)
        else:  # mul: keeps magnitudes small enough for exact floats
            if abs(vx * vy) <= 64:
                new(f"{x} * {y}", vx * vy)
    k = rng.randint(1, min(3, len(pool) - 3))
    terms = [(name, Fraction(rng.choice([1, 2, -1, 3]), rng.choice([1, 2]))) for name, _
             in pool[-k:]]
    ret = " + ".join(f"{_lit(cf)} * {name}" for name, cf in terms)
    source = "def f(a, b, c):\n" + "\n".join(lines) + f"\n    return {ret}\n"
    return source, point


def test_random_programs_are_what_they_claim():
    """The generator's bookkeeping: every program parses and evaluates exactly."""
    for seed in range(N_RANDOM):
        source, point = random_program(seed)
        P = selcalc.parse(source)
        assert P.p == 3 and P.q == 1
        ns: dict = {"relu": lambda v: max(v, 0), "abs": abs, "max": max, "min": min,
                    "clip": lambda v, lo, hi: min(max(v, lo), hi),
                    "leaky_relu": lambda v, al: v if v >= 0 else al * v,
                    "sort": lambda *v: tuple(sorted(v))}
        exec(source, ns)
        assert Fraction(P(*point)) == Fraction(ns["f"](*point)), source


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_random_program(seed, mode, lib):
    source, point = random_program(seed)
    _compare(source, point, lib, mode)


# ---------------------------------------------------------------------------
# 3. No library needed: the presets against the stored measurements.
# ---------------------------------------------------------------------------

_STORED_SOURCES = {
    "relu": R1.format("relu(a)"),
    "abs": R1.format("abs(a)"),
    "leaky_relu": R1.format("leaky_relu(a, 0.25)"),
    "maximum": R2.format("max(a, b)"),
    "minimum": R2.format("min(a, b)"),
    "max3": R3.format("max(a, b, c)"),
    "min3": R3.format("min(a, b, c)"),
    "clip": R1.format("clip(a, -1, 1)"),
    "sort2": R2.format("sort(a, b)"),
    "sort3": R3.format("sort(a, b, c)"),
    "where_ge": R2.format("a if a >= b else b"),
    "where_gt": R2.format("a if a > b else b"),
    "maximum_x0": R1.format("max(a, 0)"),
    "maximum_0x": R1.format("max(0, a)"),
    "minimum_x0": R1.format("min(a, 0)"),
    "minimum_0x": R1.format("min(0, a)"),
}


def _stored_cases():
    if not DATA.exists():
        return []
    data = json.loads(DATA.read_text())
    cases = []
    for name in LIBRARIES:
        for key, rec in data.get(name, {}).items():
            prim, _, rest = key.partition("(")
            if prim not in _STORED_SOURCES or "tied_pieces" not in rec:
                continue  # spellings selcalc does not model (torch.max(dim), hardtanh, ...)
            point = tuple(Fraction(v) for v in rest.rstrip(")").split(","))
            for mode, field in (("backward", "reverse"), ("forward", "forward")):
                cases.append(pytest.param(name, prim, point, mode, rec[field],
                                          id=f"{name}-{key}-{mode}"))
    return cases


@pytest.mark.parametrize("name, prim, point, mode, measured", _stored_cases())
def test_presets_match_stored_measurements(name, prim, point, mode, measured):
    P = selcalc.parse(_STORED_SOURCES[prim])
    J = selcalc.jacobian(P, point, convention=_stored_preset(name), mode=mode)
    rows = measured if measured and isinstance(measured[0], list) else [measured]
    assert (J.rows, J.cols) == (len(rows), len(rows[0]))
    for i, row in enumerate(rows):
        for j, m in enumerate(row):
            assert _same(J[i, j], float(m)), (name, prim, point, mode, J.tolist(), rows)
