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

import os

import numpy as np

from ..errors import SelcalcError
from ..libraries import preset_for
from ..libraries.ops import extremum, interval, relabel
from ..libraries.table import family
from ..primitives import PRIMITIVES
from .builder import Builder, Const
from .library import Origin, finish_program, unsupported
from .tensors import TensorLowering, is_const, keep_arrays

_CMP = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "eq": "=="}
_CUSTOM = {"relu": lambda L, x: L.map(relabel("relu", family("jax", "relu")), x),
           "relu6": lambda L, x: L.map(interval(0, 6, family("jax", "relu6")), x)}


class _Test:
    """One entry of a comparison: only usable as the predicate of ``select_n``."""

    __slots__ = ("lhs", "op", "rhs")

    def __init__(self, lhs, op, rhs):
        self.lhs, self.op, self.rhs = lhs, op, rhs


class _JaxLowering(TensorLowering):
    """jaxpr equations → nodes."""

    def extreme(self, op, largest, x, axes):
        def fn(vs):
            if len(vs) == 1:
                return vs[0]
            return self.b.apply(extremum(len(vs), largest, family("jax", op)), vs)
        return self.reduce(x, list(axes), False, fn)

    def compare(self, op, a, b):
        a, b = np.broadcast_arrays(_arr(a), _arr(b))
        out = np.empty(a.shape, dtype=object)
        for idx in np.ndindex(*a.shape):
            u, v = a[idx], b[idx]
            if is_const(u) and is_const(v):
                out[idx] = bool(eval(f"u.value {_CMP[op]} v.value"))  # noqa: S307 - fixed ops
            else:
                out[idx] = _Test(u, _CMP[op], v)
        return out

    def select(self, pred, *cases):
        if len(cases) != 2:
            raise SelcalcError("select_n with more than two cases")
        arrays = np.broadcast_arrays(_arr(pred), *[_arr(c) for c in cases])
        pred, false, true = arrays
        out = np.empty(pred.shape, dtype=object)
        for idx in np.ndindex(*pred.shape):
            t = pred[idx]
            if isinstance(t, (bool, np.bool_)):
                out[idx] = true[idx] if t else false[idx]
            elif isinstance(t, _Test):
                out[idx] = self.b.where(t.lhs, t.op, t.rhs, true[idx], false[idx])
            else:
                raise SelcalcError("select_n on a predicate that is not a comparison")
        return out

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
        fam = family("jax", "reduce_window_max")

        def fn(vs):
            return vs[0] if len(vs) == 1 else self.b.apply(extremum(len(vs), True, fam), vs)

        k, s, d = window_dimensions, window_strides, window_dilation
        sizes = [(x.shape[i] + lo + hi - d[i] * (k[i] - 1) - 1) // s[i] + 1
                 for i, (lo, hi) in enumerate(padding)]
        return self.windows(x, list(k), list(s), [lo for lo, _ in padding], list(d), sizes, fn)


def _arr(a):
    if isinstance(a, np.ndarray):
        return a
    out = np.empty((), dtype=object)
    out[()] = a
    return out


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
        "convert_element_type": same, "copy": same, "copy_p": same,
        **{op: cmp(op) for op in _CMP},
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
            return L.constant(np.asarray(v.val))
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
        if name == "custom_jvp_call":
            inner = params["call_jaxpr"]
            label = next((e.params.get("name") for e in inner.jaxpr.eqns
                          if e.params.get("name")), None)
            if label in _CUSTOM:
                builder.note = Origin(f"jax.nn.{label}", here.function, here.file, here.line)
                return [_CUSTOM[label](L, ins[0])]
            raise unsupported("jax", f"custom_jvp function {label or '?'}", here,
                              sorted(_CUSTOM))
        rule = rules.get(name)
        if rule is None:
            raise unsupported("jax", name, here, sorted(rules))
        try:
            return keep_arrays(rule(ins, params))
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
            if isinstance(v, (bool, np.bool_, _Test)):
                raise SelcalcError("from_jax: the function returns a boolean array")
            flat.append(v)
    version = jax.__version__
    preset, warning = preset_for("jax", version)
    return finish_program(builder, flat, "jax", version, preset, warning,
                          getattr(fn, "__name__", None), [np.shape(x) for x in leaves])

