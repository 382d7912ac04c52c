"""``selcalc.from_torch``: a PyTorch module or function → :class:`selcalc.Program`.

Capture: ``torch.fx.experimental.proxy_tensor.make_fx`` without a decomposition table.
It records the ATen ops that run *below* autograd, i.e. exactly the ops whose derivative
formulas PyTorch applies (``F.relu6`` arrives as ``aten.hardtanh``, ``F.linear`` as
``aten.t`` + ``aten.addmm``, ``F.cross_entropy`` as ``aten._log_softmax`` +
``aten.nll_loss_forward``).  ``torch.export`` was not chosen: its graph keeps composite ops
above autograd and its core-ATen decompositions may rewrite an op into others with a
different rule at a kink (a hardtanh is not a clamp at its bounds), so the derivative
selcalc would model could differ from the one PyTorch runs.

Each ATen op lowers to nodes of its own primitive, family ``"torch.<op>"``, whose rule at
ties is read from :data:`selcalc.libraries.table.RULES` for the installed version.
Every node remembers its op and source line (:meth:`LibraryProgram.node_info`).

>>> import pytest, selcalc
>>> torch = pytest.importorskip("torch")
>>> def f(x):
...     return torch.nn.functional.relu6(x).sum()
>>> P = selcalc.from_torch(f, torch.tensor([0.0, 3.0, 6.0], dtype=torch.float64))
>>> P.p, P.library, P.default_convention.startswith("pytorch@")
(3, 'torch', True)
>>> selcalc.grad(P, torch.tensor([0.0, 3.0, 6.0]))
(0, 1, 0)
>>> P.node_info(4).op
'hardtanh'
"""

from __future__ import annotations

import inspect
import itertools
import operator
import os
import sys
import traceback
from fractions import Fraction

import numpy as np

from ..errors import ParseError, SelcalcError
from ..libraries import preset_for
from ..libraries.ops import banded, elu, extremum, interval, relabel, sorting, tensor_clamp
from ..libraries.table import family
from ..primitives import PRIMITIVES, table
from .builder import Builder, Const, FloatConstant
from .library import Origin, finish_program, origin_from_stack, unsupported
from .softplus import fold as softplus_fold, threshold_softplus
from .tensors import TensorLowering, held, held_args, is_const, keep_arrays, pool_output_size

WRT = ("inputs", "parameters", "both")


def _fam(op):
    return family("torch", op)


class _ArgIndex:
    """``x.argmax(dim)``: integer indices, usable only to gather the maximum of ``x``."""

    def __init__(self, source, dim, keepdim):
        self.source, self.dim, self.keepdim = source, dim, keepdim
        self.op = "argmax"


def _as_obj(x):
    return x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object)


class _Indices:
    """The integer indices returned by max / max_pool / sort / median: not a differentiable
    value."""

    def __init__(self, op):
        self.op = op


def _scalar(v):
    return Const(v)


def _ints(v, n):
    v = list(v) if isinstance(v, (list, tuple)) else [v]
    return v * n if len(v) == 1 else v


class _TorchLowering(TensorLowering):
    """ATen op → nodes; ``self.origin`` is the op being lowered (for notes and errors),
    ``self.scalar_dtype`` the precision its kernel uses Python floats in (see
    :func:`_scalar_dtype`)."""

    scalar_dtype = None

    # --------------------------------------------------------------- elementwise ops
    def unary(self, prim):
        return lambda x: self.map(prim, x)

    def add(self, a, b, alpha=1):
        return self.binop("+", a, b if alpha == 1 else self.binop("*", b, _scalar(alpha)))

    def sub(self, a, b, alpha=1):
        return self.binop("-", a, b if alpha == 1 else self.binop("*", b, _scalar(alpha)))

    def rsub(self, a, b, alpha=1):
        return self.sub(b, a, alpha)

    def div(self, a, b, rounding_mode=None):
        if rounding_mode is not None:
            raise self.refuse(f"div with rounding_mode={rounding_mode!r}")
        return self.binop("/", a, b)

    def pow(self, a, n):
        if not float(n).is_integer():
            raise self.refuse("pow with a non-integer exponent")
        return self.binop("**", a, _scalar(int(n)))

    def hardtanh(self, x, lo=-1, hi=1):
        return self.map(interval(lo, hi, _fam("hardtanh")), x)

    def clamp(self, x, lo=None, hi=None):
        if any(isinstance(v, np.ndarray) for v in (lo, hi)):
            bounds = [v for v in (lo, hi) if v is not None]
            name = "clamp_tensor" if len(bounds) == 2 else \
                "clamp_min_tensor" if lo is not None else "clamp_max_tensor"
            prim = tensor_clamp(_fam(name), lo is not None, hi is not None)
            return self.map(prim, x, *bounds)
        if lo is None and hi is None:
            return x
        name = "clamp" if lo is not None and hi is not None else \
            "clamp_min" if lo is not None else "clamp_max"
        return self.map(interval(lo, hi, _fam(name)), x)

    def leaky_relu(self, x, slope=None):
        if slope is None:  # torch's default, not recorded in the graph: 0.01 in the op's dtype
            slope = held_args(0.01, self.scalar_dtype)
        return self.map(relabel("leaky_relu", _fam("leaky_relu")), x, _scalar(slope))

    def elu(self, x, alpha=1, scale=1, input_scale=1):
        return self.map(elu(_fam("elu"), alpha, scale, input_scale), x)

    def celu(self, x, alpha=1):
        return self.map(elu(_fam("celu"), alpha, 1, 1 / Fraction(alpha)), x)

    def prelu(self, x, w):
        if w.ndim == 1 and x.ndim >= 2 and w.shape[0] > 1:  # one slope per channel (dim 1)
            w = w.reshape((w.shape[0],) + (1,) * (x.ndim - 2))
        return self.map(relabel("leaky_relu", _fam("prelu")), x, w)

    def band(self, op, x, lo, hi, left, middle, right, label=""):
        return self.map(banded(_fam(op), lo, hi, left, middle, right, label), x)

    def softshrink(self, x, lambd=Fraction(1, 2)):
        lam = lambd
        return self.band("softshrink", x, -lam, lam, f"a1 + ({lam})", "0", f"a1 - ({lam})")

    def _reduced(self, v, reduction):
        return v if reduction == 0 else self.mean(v) if reduction == 1 else self.sum(v)

    def smooth_l1_loss(self, a, b, reduction=1, beta=1):
        if beta == 0:
            d = self.map(relabel("abs", _fam("abs")), self.binop("-", a, b))
        else:
            d = self.band("smooth_l1_loss", self.binop("-", a, b), -beta, beta,
                          f"-a1 - ({beta})/2", f"a1**2/(2*({beta}))", f"a1 - ({beta})/2")
        return self._reduced(d, reduction)

    def huber_loss(self, a, b, reduction=1, delta=1):
        dl = delta
        d = self.band("huber_loss", self.binop("-", a, b), -dl, dl,
                      f"-({dl})*a1 - ({dl})**2/2", "a1**2/2", f"({dl})*a1 - ({dl})**2/2")
        return self._reduced(d, reduction)

    # --------------------------------------------------------------- order statistics
    def _sorted_rows(self, x, dim, descending, op, read=None):
        """``x`` sorted along ``dim`` (ties keep index order), as one sort node per row;
        ``read(r)``: the positions of a row of r entries that the op returns (None: all),
        so that ties among entries it does not return are not ties of the op."""
        arr = np.moveaxis(_as_obj(x), dim, -1)
        r = arr.shape[-1]
        if r > table.MAX_SORT_ENTRIES:
            raise self.refuse(f"{op} over {r} entries (selcalc models sorts of at most "
                              f"{table.MAX_SORT_ENTRIES} entries per row; split the row, or raise "
                              f"selcalc.primitives.table.MAX_SORT_ENTRIES)")
        out = np.empty(arr.shape, dtype=object)
        prim = sorting(r, _fam(op), None if read is None else tuple(read(r))) \
            if r > 1 else None
        for idx in np.ndindex(*arr.shape[:-1]):
            row = list(arr[idx])
            if descending:
                row = [self.b.neg(v) if not is_const(v) else Const(-v.value) for v in row]
            vals = [row[0]] if prim is None else list(self.b.apply(prim, row))
            if descending:
                vals = [self.b.neg(v) if not is_const(v) else Const(-v.value) for v in vals]
            out[idx] = vals
        return np.moveaxis(out, -1, dim)

    def sort(self, x, dim=-1, descending=False, stable=None):
        return self._sorted_rows(x, dim, descending, "sort"), _Indices("sort")

    def topk(self, x, k, dim=-1, largest=True, sorted=True):
        s = self._sorted_rows(x, dim, largest, "topk", lambda r: range(min(k, r)))
        return np.take(s, range(k), axis=dim), _Indices("topk")

    def median(self, x, dim=None, keepdim=False):
        if dim is None:  # torch.median(x) of a whole tensor: ties split evenly
            flat = list(np.ravel(_as_obj(x)))
            row = np.empty(len(flat), dtype=object)
            row[:] = flat
            s = self._sorted_rows(row, 0, False, "median", lambda r: [(r - 1) // 2])
            return self._scalar_array(s[(len(flat) - 1) // 2])
        # along a dimension: the lower median, i.e. the ((r + 1) // 2)-th smallest
        return self._order_statistic(x, lambda r: (r - 1) // 2, dim, keepdim, "median_dim")

    def kthvalue(self, x, k, dim=-1, keepdim=False):
        def position(r):
            if not 1 <= k <= r:
                raise self.refuse(f"kthvalue with k = {k} on rows of {r} entries")
            return k - 1
        return self._order_statistic(x, position, dim, keepdim, "kthvalue")

    def _order_statistic(self, x, position, dim, keepdim, op):
        """The entry at ``position(r)`` of each row along ``dim`` sorted ascending (one sort
        node per row, family ``torch.<op>``), and the indices torch also returns."""
        def fn(vs):
            row = np.empty(len(vs), dtype=object)
            row[:] = vs
            at = position(len(vs))
            return self._sorted_rows(row, 0, False, op, lambda r: [at])[at]
        return self.reduce(x, [dim], keepdim, fn), _Indices(op.split("_")[0])

    def adaptive_max_pool(self, x, size):
        n = len(size)
        base = self.origin
        fam = _fam("adaptive_max_pool")
        spatial = x.shape[x.ndim - n:]
        out = np.empty(x.shape[:x.ndim - n] + tuple(size), dtype=object)
        for o in np.ndindex(*size):
            ranges = [range((o[i] * spatial[i]) // size[i],
                            -(-((o[i] + 1) * spatial[i]) // size[i])) for i in range(n)]
            positions = list(itertools.product(*ranges))
            self.b.note = Origin(base.op, base.function, base.file, base.line, base.code,
                                 f"window {o}")
            for lead in np.ndindex(*x.shape[:x.ndim - n]):
                vs = [x[lead + pos] for pos in positions]
                out[lead + o] = vs[0] if len(vs) == 1 else \
                    self.b.apply(extremum(len(vs), True, fam), vs)
        self.b.note = base
        return out, _Indices("adaptive_max_pool2d")

    def argmax(self, x, dim=None, keepdim=False):
        return _ArgIndex(x, dim, keepdim)

    def gather(self, x, dim, index, sparse_grad=False):
        if not (isinstance(index, _ArgIndex) and _same_values(index.source, x) and index.dim is not None
                and index.keepdim and dim % x.ndim == index.dim % x.ndim):
            raise self.refuse("gather with indices other than x.argmax(dim, keepdim=True) "
                              "of the same tensor")
        return self.extreme("argmax_gather", True, x, dim, True)

    def where(self, cond, a, b):
        return self.select(cond, b, a)

    def softplus(self, x, beta=1, threshold=20):
        """Smooth where ``beta*x < threshold``, refused past it (see ``softplus.py``)."""
        if beta <= 0:
            raise self.refuse(f"softplus with beta = {beta} (not positive)")
        here = str(self.origin) + (f" (`{self.origin.code}`)" if self.origin.code else "")
        prim = threshold_softplus(beta, threshold, here)

        def one(v):
            v = v if isinstance(v, (int, Const)) else Const(v)
            if is_const(v):
                return Const(softplus_fold(v.value, beta, threshold))
            return self.b.apply(prim, [v])
        return keep_arrays(np.frompyfunc(one, 1, 1)(x))

    # --------------------------------------------------------------- reductions
    def _dims(self, x, dim):
        if dim is None:
            return None
        return [dim] if isinstance(dim, int) else list(dim)

    def sum(self, x, dim=None, keepdim=False, dtype=None):
        return self.reduce(x, self._dims(x, dim), keepdim, self.total)

    def mean(self, x, dim=None, keepdim=False, dtype=None):
        return self.reduce(x, self._dims(x, dim), keepdim,
                           lambda vs: self.total(vs, Fraction(1, len(vs)) if vs else 0))

    def extreme(self, op, largest, x, dim=None, keepdim=False):
        def fn(vs):
            if len(vs) == 1:
                return vs[0]
            return self.b.apply(extremum(len(vs), largest, _fam(op)), vs)
        return self.reduce(x, self._dims(x, dim), keepdim, fn)

    def max_dim(self, op, largest, x, dim, keepdim=False):
        return self.extreme(op, largest, x, dim, keepdim), _Indices(op)

    def logsumexp(self, x, dim, keepdim=False):
        def fn(vs):
            return self.b.call("log", [self.total([self.b.call("exp", [v]) for v in vs])])
        return self.reduce(x, self._dims(x, dim), keepdim, fn)

    def softmax(self, x, dim, half_to_float=False, log=False):
        arr = np.moveaxis(x, dim, -1)
        out = np.empty(arr.shape, dtype=object)
        for idx in np.ndindex(*arr.shape[:-1]):
            row = list(arr[idx])
            exps = [self.b.call("exp", [v]) for v in row]
            s = self.total(exps)
            if log:
                ls = self.b.call("log", [s])
                out[idx] = [self.b.binop("-", v, ls) for v in row]
            else:
                out[idx] = [self.b.binop("/", e, s) for e in exps]
        return np.moveaxis(out, -1, dim)

    def nll_loss(self, logp, target, weight=None, reduction=1, ignore_index=-100):
        if weight is not None:
            raise self.refuse("nll_loss / cross_entropy with class weights")
        if logp.ndim != 2 or not all(is_const(t) for t in np.ravel(target)):
            raise self.refuse("nll_loss on other than (batch, classes) with constant targets")
        picked = [logp[n, int(t.value)] for n, t in enumerate(np.ravel(target))
                  if int(t.value) != ignore_index]
        if reduction == 0:
            raise self.refuse("nll_loss with reduction='none'")
        if reduction == 1 and not picked:
            raise self.refuse("nll_loss with reduction='mean' where every target is "
                              "ignore_index (torch returns nan)")
        scale = -Fraction(1, len(picked)) if reduction == 1 else -1
        return self._scalar_array(self.total(picked, scale)), self._scalar_array(Const(len(picked)))

    def mse_loss(self, a, b, reduction=1):
        sq = self.square(self.binop("-", a, b))
        if reduction == 0:
            return sq
        return self.mean(sq) if reduction == 1 else self.sum(sq)

    @staticmethod
    def _scalar_array(v):
        out = np.empty((), dtype=object)
        out[()] = v
        return out

    # --------------------------------------------------------------- layers
    def convolution(self, x, w, bias, stride, padding, dilation, transposed, output_padding,
                    groups):
        if transposed:
            raise self.refuse("transposed convolution")
        n = x.ndim - 2
        return self.conv(x, w, bias, _ints(stride, n), _ints(padding, n), _ints(dilation, n),
                         groups)

    def max_pool(self, x, kernel, stride=(), padding=0, dilation=1, ceil_mode=False):
        n = len(kernel)
        stride = _ints(stride, n) if stride else list(kernel)
        prim_cache = {}

        def fn(vs):
            if len(vs) == 1:
                return vs[0]
            prim = prim_cache.get(len(vs)) or prim_cache.setdefault(
                len(vs), extremum(len(vs), True, _fam("max_pool")))
            return self.b.apply(prim, vs)

        base = self.origin

        def note(index):
            self.b.note = Origin(base.op, base.function, base.file, base.line, base.code,
                                 f"window {tuple(index[-n:])}")

        padding, dilation = _ints(padding, n), _ints(dilation, n)
        sizes = [pool_output_size(x.shape[x.ndim - n + i], kernel[i], stride[i], padding[i],
                                  dilation[i], ceil_mode) for i in range(n)]
        out = self.windows(x, list(kernel), stride, padding, dilation, sizes, fn, note)
        self.b.note = base
        return out, _Indices("max_pool")

    def addmm(self, bias, a, b, beta=1, alpha=1):
        if beta != 1 or alpha != 1:
            raise self.refuse("addmm with beta or alpha other than 1")
        return self.matmul(a, b, bias)

    def refuse(self, what):
        return unsupported("torch", what, self.origin, ["see docs/models.md"])


def _shape_ops():
    def reshape(x, shape):
        return x.reshape(tuple(shape))

    def squeeze(x, dim=None):
        if dim is None:
            return np.squeeze(x)
        dims = tuple(d % x.ndim for d in ([dim] if isinstance(dim, int) else dim)
                     if x.shape[d] == 1)
        return np.squeeze(x, axis=dims) if dims else x

    def slice_(x, dim=0, start=None, end=None, step=1):
        idx = [slice(None)] * x.ndim
        idx[dim] = slice(start, end, step)
        return x[tuple(idx)]

    def expand(x, size, implicit=False):
        size = [x.shape[i - (len(size) - x.ndim)] if s == -1 else s
                for i, s in enumerate(size)]
        return np.broadcast_to(x, tuple(size)).copy()

    def split(x, size, dim=0):
        n = x.shape[dim]
        cuts = list(range(size, n, size))
        return tuple(np.split(x, cuts, axis=dim))

    def split_sizes(x, sizes, dim=0):
        return tuple(np.split(x, np.cumsum(sizes)[:-1].tolist(), axis=dim))

    def index(x, indices):
        if any(i is not None and not all(is_const(v) for v in np.ravel(i)) for i in indices):
            raise SelcalcError("indexing with indices that depend on the inputs")
        conv = tuple(slice(None) if i is None else
                     np.vectorize(lambda c: int(c.value), otypes=[int])(i) for i in indices)
        return x[conv]

    def pad(x, pads, value=0):
        widths = [(0, 0)] * x.ndim
        for i in range(len(pads) // 2):
            lo, hi = pads[2 * i], pads[2 * i + 1]
            if lo < 0 or hi < 0:
                raise SelcalcError("negative padding")
            widths[x.ndim - 1 - i] = (lo, hi)
        return np.pad(x, widths, mode="constant", constant_values=Const(value))

    same = lambda x, *a, **k: x  # noqa: E731 - copies, detaches, dtype casts to float
    return {
        "view": reshape, "_unsafe_view": reshape, "reshape": reshape,
        "t": lambda x: x.T, "transpose": lambda x, a, b: np.swapaxes(x, a, b),
        "permute": lambda x, dims: np.transpose(x, dims),
        "unsqueeze": lambda x, d: np.expand_dims(x, d % (x.ndim + 1)),
        "squeeze": squeeze, "slice": slice_, "expand": expand,
        "select": lambda x, dim, i: x[(slice(None),) * (dim % x.ndim) + (i,)],
        "cat": lambda xs, dim=0: np.concatenate([np.atleast_1d(x) for x in xs], axis=dim),
        "stack": lambda xs, dim=0: np.stack(xs, axis=dim),
        "unbind": lambda x, dim=0: tuple(np.moveaxis(x, dim, 0)),
        "split": split, "split_with_sizes": split_sizes, "index": index,
        "constant_pad_nd": pad,
        "clone": same, "detach": same, "alias": same, "lift_fresh_copy": same,
        "contiguous": same, "_to_copy": same, "to": same,
        "flatten": lambda x, s=0, e=-1: x.reshape(
            x.shape[:s % x.ndim] + (-1,) + x.shape[e % x.ndim + 1:]),
    }


SHAPE_OPS = tuple(_shape_ops())


def _ops(L):
    """ATen op name (overload packet) → lowering function."""
    unary = {name: L.unary(PRIMITIVES[name]) for name in ("exp", "log", "tanh", "sigmoid")}
    ops = {
        "add": L.add, "sub": L.sub, "rsub": L.rsub,
        "mul": lambda a, b: L.binop("*", a, b), "div": L.div, "neg": L.neg, "pow": L.pow,
        "relu": L.unary(relabel("relu", _fam("relu"))),
        "abs": L.unary(relabel("abs", _fam("abs"))),
        "hardtanh": L.hardtanh, "clamp": L.clamp,
        "clamp_min": lambda x, lo: L.clamp(x, lo, None),
        "clamp_max": lambda x, hi: L.clamp(x, None, hi),
        "leaky_relu": L.leaky_relu, "softplus": L.softplus,
        "maximum": lambda a, b: L.map(relabel("maximum", _fam("maximum")), a, b),
        "minimum": lambda a, b: L.map(relabel("minimum", _fam("minimum")), a, b),
        "fmax": lambda a, b: L.map(relabel("maximum", _fam("fmax")), a, b),
        "fmin": lambda a, b: L.map(relabel("minimum", _fam("fmin")), a, b),
        "amax": lambda x, dim=(), keepdim=False: L.extreme("amax", True, x, dim, keepdim),
        "amin": lambda x, dim=(), keepdim=False: L.extreme("amin", False, x, dim, keepdim),
        "max": lambda x, dim=None, keepdim=False: (
            L.extreme("max_all", True, x) if dim is None else
            L.max_dim("max_dim", True, x, dim, keepdim)),
        "min": lambda x, dim=None, keepdim=False: (
            L.extreme("min_all", False, x) if dim is None else
            L.max_dim("min_dim", False, x, dim, keepdim)),
        "sum": L.sum, "mean": L.mean, "logsumexp": L.logsumexp,
        "_softmax": L.softmax,
        "_log_softmax": lambda x, dim, half=False: L.softmax(x, dim, half, log=True),
        "nll_loss_forward": L.nll_loss, "mse_loss": L.mse_loss,
        "addmm": L.addmm, "mm": L.matmul, "bmm": L.batched_matmul, "mv": L.matmul,
        "dot": lambda a, b: L._scalar_array(L.dot(list(a), list(b))),
        "convolution": L.convolution,
        "max_pool2d_with_indices": L.max_pool, "max_pool1d_with_indices": L.max_pool,
        "elu": L.elu, "celu": L.celu, "_prelu_kernel": L.prelu, "prelu": L.prelu,
        "hardsigmoid": lambda x: L.band("hardsigmoid", x, -3, 3, "0", "a1/6 + 1/2", "1"),
        "hardswish": lambda x: L.band("hardswish", x, -3, 3, "0", "a1*(a1 + 3)/6", "a1"),
        "softshrink": L.softshrink, "smooth_l1_loss": L.smooth_l1_loss,
        "huber_loss": L.huber_loss,
        "sort": L.sort, "topk": L.topk, "median": L.median, "kthvalue": L.kthvalue,
        "adaptive_max_pool2d": L.adaptive_max_pool, "adaptive_max_pool1d": L.adaptive_max_pool,
        "argmax": L.argmax, "gather": L.gather, "where": L.where,
        **{op: (lambda o: lambda a, b: L.compare(o, a, b))(op)
           for op in ("gt", "ge", "lt", "le", "eq", "ne")},
        "fill": lambda x, v: L.constant(np.full(np.shape(x), _fill_value(v), dtype=object)),
    }
    ops.update(unary)
    ops.update(_shape_ops())
    return ops


NORMS = ("linalg_vector_norm", "norm", "frobenius_norm", "_euclidean_dist", "cdist",
         "pairwise_distance")
CONSTANT_OPS = ("zeros_like", "ones_like", "full_like", "zeros", "ones", "full", "new_zeros",
                "new_ones", "new_full", "scalar_tensor", "empty_like")


def from_torch(fn, *example_args, wrt="inputs"):
    """Import a PyTorch ``nn.Module`` or function of tensors as an exact program.

    Parameters
    ----------
    fn : torch.nn.Module or callable
        Called as ``fn(*example_args)``; returns a tensor (or a tuple of tensors), whose
        entries in C order are the program's outputs.
    *example_args : torch.Tensor
        Example inputs; they fix the shapes (and, for ``wrt="parameters"``, the values).
        float32 / float64 entries convert exactly (they are dyadic rationals).
    wrt : {"inputs", "parameters", "both"}
        Which tensors are the program's inputs: the example arguments' entries (C order,
        argument after argument), the module's parameters (``named_parameters()`` order,
        each in C order; the example arguments are then constants: the training view),
        or both (arguments first).

    Returns
    -------
    LibraryProgram
        ``library == "torch"``, ``library_version``, ``default_convention`` (the preset
        measured for the installed version; a warning names the nearest measured one if
        this version was not measured) and :meth:`~LibraryProgram.node_info`.

    Raises
    ------
    selcalc.ParseError
        For an ATen op selcalc does not model, naming the op and its source line.
    """
    import torch
    from torch.fx.experimental.proxy_tensor import make_fx

    if wrt not in WRT:
        raise SelcalcError(f"wrt must be one of {WRT}, not {wrt!r}")
    for i, a in enumerate(example_args):
        if not isinstance(a, torch.Tensor):
            raise SelcalcError(f"example argument {i} is a {type(a).__name__}, not a tensor; "
                               f"from_torch needs tensors (close over other values)")
    module = fn if isinstance(fn, torch.nn.Module) else None
    named = list(module.named_parameters()) if module is not None else []
    if wrt != "inputs" and not named:
        raise SelcalcError(f"wrt={wrt!r} needs an nn.Module with parameters")
    n_args = len(example_args)
    arg_names = _arg_names(fn, n_args)
    tensors = [a.detach() for a in example_args] + [p.detach() for _, p in named]

    def flat(*ts):
        if module is None:
            return fn(*ts)
        params = {name: t for (name, _), t in zip(named, ts[n_args:])}
        return torch.func.functional_call(module, params, tuple(ts[:n_args]))

    skip = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(__file__)))
    _anchor_user_code(torch, fn, sys._getframe(1).f_globals, skip)
    try:
        gm = make_fx(flat, record_stack_traces=True)(*tensors)
    except Exception as exc:  # noqa: BLE001 - any capture failure becomes a clear error
        stack = "".join(traceback.format_tb(exc.__traceback__))
        origin = origin_from_stack("capture", stack, skip)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise unsupported("torch", f"capture ({type(exc).__name__}: {first})", origin,
                          ["ops without data-dependent control flow (see docs/models.md)"]) \
            from None
    builder = Builder()
    L = _TorchLowering(builder)
    variable = [wrt != "parameters"] * n_args + [wrt != "inputs"] * len(named)
    labels = arg_names + [name for name, _ in named]
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    leaves = [L.inputs(tuple(t.shape), label) if var else L.constant(_exact_array(t))
              for t, var, label in zip(tensors, variable, labels)]
    ops = _ops(L)
    env = {}
    for node, i in zip(placeholders, range(len(tensors))):
        env[node] = leaves[i]
    result = None
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            continue
        if node.op == "output":
            for n in node.all_input_nodes:  # integer indices are not a differentiable output
                used = _uses_indices(_leaves(env[n]))
                if used:
                    raise unsupported("torch", f"the indices returned by {used} as an output",
                                      origin_from_stack(used, n.meta.get("stack_trace"), skip),
                                      sorted(ops))
            result = torch.fx.node.map_arg(node.args[0], lambda n: env[n])
            break
        if node.op == "get_attr":
            env[node] = L.constant(_exact_array(getattr(gm, node.target)))
            continue
        target = node.target
        if target is operator.getitem:
            seq, idx = node.args
            env[node] = env[seq][idx]
            continue
        name = getattr(getattr(target, "overloadpacket", None), "__name__", str(target))
        in_place = name.endswith("_") and not name.startswith("_") and name[:-1] in ops
        if in_place:  # x.clamp_min_(0) and friends: the result replaces x for later uses
            name = name[:-1]
        origin = origin_from_stack(name, node.meta.get("stack_trace"), skip)
        L.origin = builder.note = origin
        # the numbers recorded in the graph (eps, slopes, bounds) are floats torch holds:
        # converted exactly here, in the precision the kernel computes with, so that any
        # float met later is a bug (FloatConstant)
        dtype = L.scalar_dtype = _scalar_dtype(node, origin, torch)
        args = held_args(torch.fx.node.map_arg(node.args, lambda n: env[n]), dtype)
        kwargs = held_args(dict(torch.fx.node.map_arg(node.kwargs, lambda n: env[n])), dtype)
        kwargs = {k: v for k, v in kwargs.items()
                  if k not in ("dtype", "layout", "device", "pin_memory", "memory_format",
                               "non_blocking", "copy")}
        if name in CONSTANT_OPS:
            env[node] = L.constant(_constant_like(node, args, name))
            continue
        if name in NORMS:
            raise unsupported("torch", f"{name} (the L2 norm is not a finite selection of "
                              f"smooth pieces at 0, so it is outside the class of programs "
                              f"selcalc decides; write sqrt(sum(x*x)) for points away from "
                              f"0, or the squared norm)", origin, sorted(ops))
        lower = ops.get(name)
        used = _uses_indices(args) if name != "gather" else None
        if used and name in SHAPE_OPS:  # reshaping integer indices: still not a value
            env[node] = _Indices(used)
            continue
        if lower is None or used:
            what = f"the indices returned by {_uses_indices(args)}" if lower else name
            raise unsupported("torch", what, origin, sorted(ops))
        try:
            env[node] = keep_arrays(lower(*args, **kwargs), _Indices, _ArgIndex)
            if in_place and isinstance(node.args[0], torch.fx.Node):
                env[node.args[0]] = env[node]
        except FloatConstant as exc:
            raise FloatConstant(exc.value, origin) from None
        except SelcalcError as exc:
            if getattr(exc, "origin", None) is not None:
                raise
            raise unsupported("torch", f"{name} ({exc})", origin, sorted(ops)) from None
        except (TypeError, ValueError, IndexError) as exc:
            raise unsupported("torch", f"{name} with these arguments ({exc})", origin,
                              sorted(ops)) from None
    builder.note = None
    lowered = {n.name: env[n] for n in gm.graph.nodes
               if isinstance(env.get(n), np.ndarray) and env[n].dtype == object}
    outputs = [v for arr in _leaves(result) for v in np.ravel(arr)]
    version = torch.__version__.split("+")[0]
    preset, warning = preset_for("torch", version)
    shapes = [tuple(t.shape) for t, v in zip(tensors, variable) if v]
    prog = finish_program(builder, outputs, "torch", version, preset, warning,
                          getattr(fn, "__name__", type(fn).__name__), shapes)
    # for selcalc.float_ties: the captured graph, what each of its nodes lowered to, and
    # the example tensors (their dtypes; the constants of wrt="parameters")
    prog.capture = TorchCapture(gm, lowered, tensors, variable)
    return prog


#: At most this many objects of the user's modules are looked at for stack-trace anchors.
MAX_ANCHOR_SCAN = 20_000


def _anchor_user_code(torch, fn, caller_globals, skip):
    """Register the user's functions as stack-trace anchors, so that node locations name
    the user's own line (the innermost frame outside torch and selcalc).

    make_fx records only the frames of functions called ``forward`` and of registered
    anchors: without this a ``functools.partial``, a callable object or a helper function
    that calls an ``F`` op would leave the op "at an unknown location" or at its caller.
    ``fn`` itself, and the functions and methods defined in the modules of ``fn`` (its
    class, a partial's function, the classes of a module's submodules) and of the caller
    of ``from_torch``, with the functions and lambdas nested in them, are registered;
    code under ``skip`` (torch, selcalc) is not.
    """
    anchor = getattr(torch.fx.proxy, "_register_stack_trace_anchor", None)
    if anchor is None:
        return
    owners = [fn, getattr(fn, "func", None), type(fn)]
    if isinstance(fn, torch.nn.Module):
        owners += [type(m) for m in fn.modules()]
    spaces = [dict(enumerate(owners)), caller_globals] + [
        vars(sys.modules[o.__module__]) for o in owners
        if isinstance(getattr(o, "__module__", None), str) and o.__module__ in sys.modules]
    codes, budget = [], MAX_ANCHOR_SCAN
    for space in {id(s): s for s in spaces}.values():
        for obj in list(space.values())[:max(budget, 0)]:
            budget -= 1
            for f in vars(obj).values() if inspect.isclass(obj) else [obj]:
                f = getattr(f, "__func__", f)  # staticmethod / classmethod
                if inspect.isfunction(f):
                    codes.append(f.__code__)
    seen = set()
    while codes and len(seen) < MAX_ANCHOR_SCAN:
        code = codes.pop()
        if code in seen or code.co_filename.startswith(skip):
            continue
        seen.add(code)
        anchor(_Anchor(code))
        codes.extend(c for c in code.co_consts if inspect.iscode(c))  # nested functions


class _Anchor:
    """What ``_register_stack_trace_anchor`` reads of a function: its code object."""

    def __init__(self, code):
        self.__code__ = code


class TorchCapture:
    """What :func:`selcalc.float_ties` needs to rerun the captured graph in floats."""

    def __init__(self, graph_module, lowered, tensors, variable):
        self.graph_module, self.lowered = graph_module, lowered
        self.tensors, self.variable = tensors, variable

    def __getstate__(self):  # programs are pickled for worker processes: drop the graph
        return {}

    def __setstate__(self, state):
        self.graph_module, self.lowered, self.tensors, self.variable = None, {}, [], []


def _scalar_dtype(node, origin, torch):
    """The numpy dtype in which ``node``'s kernel uses the Python floats among its
    arguments: the dtype of its floating-point tensor operands (else of its output).

    A double recorded in the graph meets a float32 tensor as float32: measured on every
    scalar op of ``bench/measure_torch_scalars.py`` with torch 2.13.0 (``x - 0.1`` is 0 at
    ``x = float32(0.1)``, a tie of a following relu).  For float16 / bfloat16 the kernels
    differ (some compute in float32), so a scalar that the half type cannot hold exactly
    is refused there.
    """
    vals = [a.meta.get("val") for a in node.all_input_nodes] + [node.meta.get("val")]
    for v in vals:
        dt = getattr(v, "dtype", None)
        if dt is not None and dt.is_floating_point:
            if dt in (torch.float16, torch.bfloat16):
                return _HalfScalars(origin, dt)
            return np.float32 if dt == torch.float32 else None
    return None


class _HalfScalars:
    """The rounding of :func:`held_args` on a float16 / bfloat16 op: exactly held numbers
    only (measured: which precision a half kernel uses for a scalar depends on the op)."""

    def __init__(self, origin, dtype):
        self.origin, self.dtype = origin, dtype

    def __call__(self, v):
        import torch
        if float(torch.tensor(v, dtype=self.dtype)) != v \
                or float(torch.tensor(v, dtype=torch.float32)) != v:
            exc = ParseError(f"torch: the scalar {v!r} on a {self.dtype} tensor "
                             f"{self.origin.where()}: torch's half-precision kernels differ "
                             f"in the precision they use for it (measured in "
                             f"bench/measure_torch_scalars.py), so selcalc cannot know the "
                             f"number the op computes with; compute in float32 or float64, or "
                             f"pass a scalar both {self.dtype} and float32 hold exactly",
                             construct=self.origin.op)
            exc.line, exc.origin = self.origin.line, self.origin
            raise exc
        return v


def _same_values(a, b):
    """The same builder values in the same shape (two views of one tensor)."""
    return a.shape == b.shape and all(u == v for u, v in zip(a.ravel(), b.ravel()))


def _fill_value(v):
    if isinstance(v, np.ndarray):
        v = v.reshape(-1)[0]
    if isinstance(v, Const):
        return v.value
    if isinstance(v, (int, float, Fraction)):
        return held(v)
    raise SelcalcError("fill with a value that depends on the inputs")


def _uses_indices(args):
    for a in args if isinstance(args, (list, tuple)) else [args]:
        if isinstance(a, (_Indices, _ArgIndex)):
            return a.op
        if isinstance(a, (list, tuple)):
            inner = _uses_indices(a)
            if inner:
                return inner
    return None


def _leaves(result):
    if isinstance(result, (list, tuple)):
        return [x for r in result for x in _leaves(r)]
    return [result]


def _exact_array(t):
    """Entries of a tensor as Python numbers (float32/64 → float exactly, ints stay)."""
    t = t.detach().cpu()
    if t.is_floating_point():
        t = t.double()
    return np.array(t.tolist(), dtype=object).reshape(tuple(t.shape))


def _constant_like(node, args, name):
    if name == "scalar_tensor":
        return np.array(args[0], dtype=object)
    shape = tuple(node.meta["val"].shape)
    if name.startswith(("zeros", "new_zeros", "empty")):
        fill = 0
    elif name.startswith(("ones", "new_ones")):
        fill = 1
    else:
        fill = args[-1] if name in ("full_like", "new_full", "full") else 0
        if isinstance(fill, np.ndarray):
            fill = 0
    return np.full(shape, fill, dtype=object)


def _arg_names(fn, n):
    target = fn.forward if hasattr(fn, "forward") else fn
    try:
        params = [p.name for p in inspect.signature(target).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(n)]

