"""``selcalc.from_jax``: a JAX function → :class:`selcalc.Program`, through its jaxpr.

``jax.make_jaxpr`` gives the primitives JAX differentiates (``max``, ``reduce_max``,
``select_n`` on a comparison, ``dot_general`` ...); sub-jaxprs (``jit``) are inlined, and
the ``custom_jvp`` functions of ``jax.nn`` whose rule selcalc has measured (``relu``,
``relu6``) become primitives of their own.  Each primitive lowers to nodes of family
``"jax.<primitive>"`` whose tie rule is read from :data:`selcalc.libraries.table.RULES`.
``jnp.clip`` arrives as ``max`` then ``min``: at ``lo == hi`` it is two averaging ties
(1/2 · 1/2 = 1/4), which the lowering reproduces without a special case.

>>> import pytest, selcalc
>>> jax = pytest.importorskip("jax")
>>> import jax.numpy as jnp
>>> P = selcalc.from_jax(lambda x: jnp.clip(x, 0.0, 0.0).sum(), jnp.zeros(2))
>>> selcalc.grad(P, (0, 0))
(1/4, 1/4)
>>> [P.node_info(k).op for k in range(P.p + 1, P.m + 1)]
['max', 'max', 'min', 'min', 'reduce_sum']
"""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction

import numpy as np

from ..errors import ProgramError, SelcalcError
from ..libraries import preset_for
from ..libraries.ops import extremum, interval, relabel, sorting, window_extremum
from ..libraries.table import family
from ..primitives import PRIMITIVES, table
from .builder import Builder, Const, FloatConstant
from .library import Origin, finish_program, unsupported
from .tensors import COMPARISONS, TensorLowering, Test, held, is_const, keep_arrays

def _logaddexp(L, a, b):
    """``log(exp(a) + exp(b))``: smooth (jnp.logaddexp, hence jax.nn.softplus)."""
    return L.map_fn(lambda u, v: L.b.call("log", [L.dot([L.b.call("exp", [u]),
                                                         L.b.call("exp", [v])],
                                                        [Const(1), Const(1)])]), a, b)


_PRIMAL_OF_CUSTOM = [False]


@contextlib.contextmanager
def primal_of_custom_rules():
    """Within this block, ``from_jax`` imports a ``custom_jvp`` / ``custom_vjp`` function
    as its primal computation (the rule itself is what :func:`selcalc.audit` then checks).
    """
    _PRIMAL_OF_CUSTOM[0] = True
    try:
        yield
    finally:
        _PRIMAL_OF_CUSTOM[0] = False


def _is_logaddexp(jaxpr):
    """jnp.logaddexp's custom_jvp body (its primal: max, sub, ..., log1p, select_n)."""
    names = [e.primitive.name for e in jaxpr.eqns]
    return "log1p" in names and "exp" in names and names[0] == "max" and len(names) <= 12


_CUSTOM = {"relu": lambda L, x: L.map(relabel("relu", family("jax", "relu")), x),
           "relu6": lambda L, x: L.map(interval(0, 6, family("jax", "relu6")), x)}


class _JaxLowering(TensorLowering):
    """jaxpr equations → nodes."""

    def extreme(self, op, largest, x, axes):
        def fn(vs):
            if len(vs) == 1:
                return vs[0]
            return self.b.apply(extremum(len(vs), largest, family("jax", op)), vs)
        return self.reduce(x, list(axes), False, fn)

    def convert(self, x, dtype):
        """``convert_element_type``: a traced value stays the real number it is (selcalc
        models the program over the reals); a constant that is a binary float becomes the
        float JAX holds after the cast (under x64 a Python float ``1/3`` is an f64 literal
        cast to f32 before a float32 op uses it: the op computes with float32(1/3))."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f" or dtype.itemsize >= 8:
            return x

        def cast(v):
            if not is_const(v) or not isinstance(v.value, (int, Fraction)):
                return v
            f = float(v.value)
            if Fraction(f) != v.value:
                return v  # an exact value folded by selcalc, not a float JAX holds
            return Const(held(np.asarray(f, dtype=dtype).item()))
        return self.map_fn(cast, x)

    def map_fn(self, fn, *arrays):
        """``fn`` (builder values -> value) entrywise, with numpy broadcasting."""
        arrays = np.broadcast_arrays(*[a if isinstance(a, np.ndarray) else np.asarray(a)
                                       for a in arrays])
        out = np.empty(arrays[0].shape, dtype=object)
        for idx in np.ndindex(*out.shape):
            out[idx] = fn(*[a[idx] for a in arrays])
        return out

    def sort(self, x, dimension, descending=False, k=None, op="sort"):
        arr = np.moveaxis(x, dimension, -1)
        r = arr.shape[-1]
        if r > table.MAX_SORT_ENTRIES:
            raise ProgramError(f"{op} over {r} entries (selcalc models sorts of at most "
                               f"{table.MAX_SORT_ENTRIES} entries per row; split the row, or "
                               f"raise selcalc.primitives.table.MAX_SORT_ENTRIES)")
        prim = sorting(r, family("jax", op)) if r > 1 else None
        out = np.empty(arr.shape, dtype=object)

        def flip(vs):
            return [Const(-v.value) if is_const(v) else self.b.neg(v) for v in vs]

        for idx in np.ndindex(*arr.shape[:-1]):
            row = flip(list(arr[idx])) if descending else list(arr[idx])
            vals = [row[0]] if prim is None else list(self.b.apply(prim, row))
            out[idx] = flip(vals) if descending else vals
        out = np.moveaxis(out, -1, dimension)
        return out if k is None else np.take(out, range(k), axis=dimension)

    def dot_general(self, a, b, dimension_numbers, **_):
        (lc, rc), (lb, rb) = dimension_numbers
        lf = [d for d in range(a.ndim) if d not in lc and d not in lb]
        rf = [d for d in range(b.ndim) if d not in rc and d not in rb]
        A = np.transpose(a, list(lb) + lf + list(lc))
        B = np.transpose(b, list(rb) + rf + list(rc))
        nb = len(lb)
        batch = A.shape[:nb]
        fa, fb = A.shape[nb:nb + len(lf)], B.shape[nb:nb + len(rf)]
        A = A.reshape(batch + fa + (-1,))
        B = B.reshape(batch + fb + (-1,))
        out = np.empty(batch + fa + fb, dtype=object)
        for bi in np.ndindex(*batch):
            for i in np.ndindex(*fa):
                row = list(A[bi + i])
                for j in np.ndindex(*fb):
                    out[bi + i + j] = self.dot(row, list(B[bi + j]))
        return out

    def broadcast_in_dim(self, x, shape, broadcast_dimensions, **_):
        expanded = np.empty(tuple(shape[d] if d in broadcast_dimensions else 1
                                  for d in range(len(shape))), dtype=object)
        expanded[...] = x.reshape(tuple(x.shape[broadcast_dimensions.index(d)]
                                        if d in broadcast_dimensions else 1
                                        for d in range(len(shape))))
        return np.broadcast_to(expanded, tuple(shape)).copy()

    def conv(self, x, w, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
             dimension_numbers=None, feature_group_count=1, batch_group_count=1, **_):
        if any(d != 1 for d in (lhs_dilation or ())) or batch_group_count != 1:
            raise SelcalcError("conv_general_dilated with input dilation or batch groups")
        if dimension_numbers is not None:
            lhs, rhs, _out = dimension_numbers
            if tuple(lhs) != tuple(range(x.ndim)) or tuple(rhs) != tuple(range(w.ndim)):
                raise SelcalcError("conv_general_dilated with a layout other than NCHW/OIHW")
        if any(lo != hi for lo, hi in padding):
            raise SelcalcError("conv_general_dilated with asymmetric padding")
        n = x.ndim - 2
        return TensorLowering.conv(self, x, w, None, list(window_strides),
                                   [lo for lo, _ in padding],
                                   list(rhs_dilation or [1] * n), feature_group_count)


    def max_window(self, x, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation):
        if any(d != 1 for d in base_dilation):
            raise SelcalcError("reduce_window_max with base dilation")
        k, s, d = window_dimensions, window_strides, window_dilation
        sizes = [(x.shape[i] + lo + hi - d[i] * (k[i] - 1) - 1) // s[i] + 1
                 for i, (lo, hi) in enumerate(padding)]
        if not any(lo or hi for lo, hi in padding):
            fam = family("jax", "reduce_window_max")

            def fn(vs):
                return vs[0] if len(vs) == 1 else self.b.apply(extremum(len(vs), True, fam), vs)
        else:  # JAX's forward mode reads every window of a padded op in its own order
            fam = family("jax", "reduce_window_max_padded")
            spatial, where = x.shape[x.ndim - len(k):], [None]

            def fn(vs):  # the window's box of entries (where: its index, from note=)
                if not vs:
                    raise SelcalcError(f"window {where[0]} lies wholly in the padding (its "
                                       f"max is -inf, not a finite number)")
                if len(vs) == 1:
                    return vs[0]
                o = where[0][len(where[0]) - len(k):]
                extents = tuple(sum(0 <= o[i] * s[i] - padding[i][0] + d[i] * j < spatial[i]
                                    for j in range(k[i])) for i in range(len(k)))
                return self.b.apply(window_extremum(extents, True, fam), vs)
            return self.windows(x, list(k), list(s), [lo for lo, _ in padding], list(d),
                                sizes, fn, note=lambda idx: where.__setitem__(0, idx))
        return self.windows(x, list(k), list(s), [lo for lo, _ in padding], list(d), sizes, fn)


def _refuse(what):
    raise SelcalcError(what)


class _refuse_value:
    """An output that may not be used (integer indices)."""

    def __init__(self, what):
        self.what = what


def _rules(L):
    """jaxpr primitive name → function(invals, params) -> outval(s)."""
    def unary(prim):
        return lambda xs, p: L.map(prim, xs[0])

    def binop(op):
        return lambda xs, p: L.binop(op, xs[0], xs[1])

    def pair(op):
        return lambda xs, p: L.map(relabel("maximum" if op == "max" else "minimum",
                                           family("jax", op)), xs[0], xs[1])

    def reduce_sum(xs, p):
        return L.reduce(xs[0], list(p["axes"]), False, L.total)

    def cmp(op):
        return lambda xs, p: L.compare(op, xs[0], xs[1])

    def slice_(xs, p):
        strides = p.get("strides") or [1] * xs[0].ndim
        return xs[0][tuple(slice(s, e, st) for s, e, st in
                           zip(p["start_indices"], p["limit_indices"], strides))]

    def integer_pow(xs, p):
        return L.binop("**", xs[0], Const(p["y"]))

    same = lambda xs, p: xs[0]  # noqa: E731 - float casts and copies
    return {
        "add": binop("+"), "sub": binop("-"), "mul": binop("*"), "div": binop("/"),
        "neg": lambda xs, p: L.neg(xs[0]), "integer_pow": integer_pow,
        "square": lambda xs, p: L.square(xs[0]),
        "exp": unary(PRIMITIVES["exp"]), "log": unary(PRIMITIVES["log"]),
        "tanh": unary(PRIMITIVES["tanh"]), "logistic": unary(PRIMITIVES["sigmoid"]),
        "abs": unary(relabel("abs", family("jax", "abs"))),
        "max": pair("max"), "min": pair("min"),
        "reduce_max": lambda xs, p: L.extreme("reduce_max", True, xs[0], p["axes"]),
        "reduce_min": lambda xs, p: L.extreme("reduce_min", False, xs[0], p["axes"]),
        "reduce_sum": reduce_sum,
        "reduce_window_max": lambda xs, p: L.max_window(xs[0], **p),
        "dot_general": lambda xs, p: L.dot_general(xs[0], xs[1], **p),
        "conv_general_dilated": lambda xs, p: L.conv(xs[0], xs[1], **p),
        "reshape": lambda xs, p: xs[0].reshape(tuple(p["new_sizes"])),
        "broadcast_in_dim": lambda xs, p: L.broadcast_in_dim(xs[0], **p),
        "transpose": lambda xs, p: np.transpose(xs[0], p["permutation"]),
        "squeeze": lambda xs, p: np.squeeze(xs[0], axis=tuple(p["dimensions"])),
        "expand_dims": lambda xs, p: np.expand_dims(xs[0], tuple(p["dimensions"])),
        "concatenate": lambda xs, p: np.concatenate(xs, axis=p["dimension"]),
        "slice": slice_, "rev": lambda xs, p: np.flip(xs[0], axis=tuple(p["dimensions"])),
        "select_n": lambda xs, p: L.select(*xs),
        "iota": lambda xs, p: L.constant(np.moveaxis(np.broadcast_to(
            np.arange(p["shape"][p["dimension"]]),
            tuple(p["shape"][:p["dimension"]]) + tuple(p["shape"][p["dimension"] + 1:])
            + (p["shape"][p["dimension"]],)), -1, p["dimension"])),
        "expm1": lambda xs, p: L.binop("-", L.map(PRIMITIVES["exp"], xs[0]), Const(1)),
        "log1p": lambda xs, p: L.map(PRIMITIVES["log"], L.binop("+", xs[0], Const(1))),
        "sort": lambda xs, p: ([L.sort(xs[0], p["dimension"])] if p.get("num_keys", 1) == 1
                               and len(xs) == 1 else _refuse("sort with several operands")),
        "top_k": lambda xs, p: (L.sort(xs[0], p.get("axis", -1), True, p["k"], "top_k"),
                                _refuse_value("the indices returned by top_k")),
        "convert_element_type": lambda xs, p: L.convert(xs[0], p["new_dtype"]),
        "copy": same, "copy_p": same,
        **{op: cmp(op) for op in COMPARISONS},
    }


def from_jax(fn, *example_args):
    """Import a JAX function of arrays as an exact program (through ``jax.make_jaxpr``).

    Parameters
    ----------
    fn : callable
        A function of arrays (or pytrees of arrays) returning an array or a pytree of them;
        the outputs are the leaves' entries in C order.
    *example_args : arrays or pytrees
        Example inputs: their leaves, flattened in C order one after the other
        (``jax.tree_util`` leaf order), are the program's inputs.

    Returns
    -------
    LibraryProgram
        ``library == "jax"``, its version, ``default_convention`` (the preset measured
        for it) and :meth:`~LibraryProgram.node_info` (primitive and source line).

    Raises
    ------
    selcalc.ParseError
        For a jaxpr primitive (or a ``custom_jvp`` / ``custom_vjp`` rule) selcalc does not
        model, naming it and its source line.
    """
    import jax
    from jax._src import source_info_util
    from jax._src.core import Literal

    leaves, _ = jax.tree_util.tree_flatten(example_args)
    try:
        closed = jax.make_jaxpr(fn)(*example_args)
    except Exception as exc:  # noqa: BLE001 - capture failures become a clear error
        raise SelcalcError(f"jax could not trace the function: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    builder = Builder()
    L = _JaxLowering(builder)
    inputs = []
    for i, leaf in enumerate(leaves):
        shape = tuple(np.shape(leaf))
        inputs.append(L.inputs(shape, f"x{i}" if len(leaves) > 1 else "x"))
    rules = _rules(L)
    jaxdir = os.path.dirname(jax.__file__)

    def origin(eqn, name, outer):
        try:
            frame = source_info_util.user_frame(eqn.source_info.traceback)
        except Exception:  # noqa: BLE001 - location is best effort
            frame = None
        if frame is None or frame.file_name.startswith(jaxdir):
            # inside a library function (jnp.sort, jnp.clip ...): the caller's line
            return Origin(name, outer.function, outer.file, outer.line) if outer else Origin(name)
        return Origin(name, frame.function_name.split(".")[-1],
                      os.path.basename(frame.file_name), frame.start_line)

    def read(env, v):
        if isinstance(v, Literal):
            # the number JAX computes with: the literal in its own dtype (a weak-typed
            # Python float 1/3 in a float32 op is float32(1/3)), converted exactly
            return L.constant(np.asarray(v.val, dtype=getattr(v.aval, "dtype", None)))
        if isinstance(env[v], _refuse_value):
            raise SelcalcError(f"{env[v].what} are not a differentiable value")
        return env[v]

    def run(jaxpr, consts, args, outer=None):
        env = {}
        for var, c in zip(jaxpr.constvars, consts):
            env[var] = L.constant(np.asarray(c))
        for var, a in zip(jaxpr.invars, args):
            env[var] = a
        for eqn in jaxpr.eqns:
            name = eqn.primitive.name
            here = origin(eqn, name, outer)
            L.origin = builder.note = here
            try:
                ins = [read(env, v) for v in eqn.invars]
            except SelcalcError as exc:
                raise unsupported("jax", f"{name} ({exc})", here, sorted(rules)) from None
            outs = lower(eqn, name, here, ins)
            if not eqn.primitive.multiple_results:
                outs = [outs]
            for var, val in zip(eqn.outvars, outs):
                env[var] = val
        return [read(env, v) for v in jaxpr.outvars]

    def lower(eqn, name, here, ins):
        params = eqn.params
        if name in ("pjit", "jit", "closed_call", "core_call"):
            sub = params.get("jaxpr") or params.get("call_jaxpr")
            return run(sub.jaxpr, sub.consts, ins, here)
        if name.startswith(("custom_jvp_call", "custom_vjp_call")) and _PRIMAL_OF_CUSTOM[0]:
            inner = params.get("call_jaxpr") or params.get("fun_jaxpr")
            return run(inner.jaxpr, inner.consts, ins, here)
        if name == "custom_jvp_call":
            inner = params["call_jaxpr"]
            label = next((e.params.get("name") for e in inner.jaxpr.eqns
                          if e.params.get("name")), None)
            if label is None and _is_logaddexp(inner.jaxpr) and len(ins) == 2:
                return [_logaddexp(L, *ins)]
            if label in _CUSTOM:
                builder.note = Origin(f"jax.nn.{label}", here.function, here.file, here.line)
                return [_CUSTOM[label](L, ins[0])]
            raise unsupported("jax", f"custom_jvp function {label or '?'}", here,
                              sorted(_CUSTOM))
        rule = rules.get(name)
        if rule is None:
            raise unsupported("jax", name, here, sorted(rules))
        try:
            return keep_arrays(rule(ins, params), _refuse_value)
        except FloatConstant as exc:
            raise FloatConstant(exc.value, here) from None
        except SelcalcError as exc:
            if getattr(exc, "origin", None) is not None:
                raise
            raise unsupported("jax", f"{name} ({exc})", here, sorted(rules)) from None
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise unsupported("jax", f"{name} with these parameters ({exc})", here,
                              sorted(rules)) from None

    outs = run(closed.jaxpr, closed.consts, inputs)
    builder.note = None
    flat = []
    for o in outs:
        for v in np.ravel(o):
            if isinstance(v, (bool, np.bool_, Test)):
                raise SelcalcError("from_jax: the function returns a boolean array")
            flat.append(v)
    version = jax.__version__
    preset, warning = preset_for("jax", version)
    return finish_program(builder, flat, "jax", version, preset, warning,
                          getattr(fn, "__name__", None), [np.shape(x) for x in leaves])

