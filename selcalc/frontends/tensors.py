"""Tensor lowering shared by the library importers: arrays of builder values.

A tensor being lowered is a numpy ``object`` array whose entries are builder values (a
node number or a :class:`~selcalc.frontends.builder.Const`).  Shape operations (view,
permute, slicing, cat ...) are numpy operations on that array and create no node; an
elementwise op creates one node per entry; a contraction (one output of a matrix product,
a convolution, a sum or a mean) is ONE node of :func:`~selcalc.primitives.affine_primitive`
whatever its length, so a layer costs one node per output scalar, not two per
multiply-add.  The scalar program is still the meaning (every node is an elementary
selection of the paper); only the granularity of the smooth nodes changes.

>>> import numpy as np
>>> from selcalc.frontends.builder import Builder
>>> b = Builder(); L = TensorLowering(b)
>>> x = L.inputs((2,), "x")
>>> W = L.constant(np.array([[1.0, 2.0], [3.0, 0.5]]))
>>> y = L.matmul(W, x)
>>> P = b.finish(list(y.ravel()))
>>> P.m, P((1, 2))
(4, (5, 4))
"""

from __future__ import annotations

import itertools
import numbers
import operator
from fractions import Fraction

import numpy as np
import sympy

from ..errors import SelcalcError
from ..numbers import exact
from ..primitives import PRIMITIVES, affine_primitive, pow_primitive
from .builder import Const, FloatConstant, refuse_float


def held(value):
    """A number the library itself holds, converted exactly: the one way a float enters an
    imported program.

    The importers pass through here the entries of tensors and arrays (weights, literals)
    and the numbers recorded as op arguments in the library's graph (an epsilon, a slope,
    clamp bounds, a softplus beta), as they read them; every other constant of a lowering
    is computed exactly (``Fraction(1, n)``, not ``1 / n``), and a float met anywhere
    else raises :class:`~selcalc.frontends.builder.FloatConstant`.

    >>> held(0.1), held(2.0), held(True)
    (Fraction(3602879701896397, 36028797018963968), 2, 1)
    >>> held(np.float32(0.1))
    Fraction(13421773, 134217728)
    """
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    return exact(value)


def held_args(args, dtype=None):
    """:func:`held` applied to the numbers in an op's (nested) argument lists; arrays of
    builder values and everything else are kept.

    ``dtype`` is the precision in which the op's kernel uses them (a numpy float type, or
    a callable returning the float the kernel uses); None keeps the double as recorded.

    >>> held_args([0.1, (2, 0.5)], np.float32)
    [Fraction(13421773, 134217728), (2, Fraction(1, 2))]
    """
    if isinstance(args, (list, tuple)):
        return type(args)(held_args(a, dtype) for a in args)
    if isinstance(args, dict):
        return {k: held_args(v, dtype) for k, v in args.items()}
    if isinstance(args, (float, np.floating)):
        return held(args if dtype is None else dtype(args))
    return args


def exact_pieces(prim):
    """``prim`` itself; :class:`~selcalc.frontends.builder.FloatConstant` when a float
    hides in its pieces (``interval(0.1, ...)`` built from a float, not a held number).

    >>> from selcalc.libraries.ops import interval
    >>> exact_pieces(interval(-1, 1, "torch.hardtanh")).name
    'torch.hardtanh[-1,1]'
    >>> exact_pieces(interval(-1, 1 / 4, "torch.hardtanh")).name
    Traceback (most recent call last):
    ...
    selcalc.frontends.builder.FloatConstant: internal error: the inexact number -0.25... reached a program constant ...
    """
    for pc in prim.shape_pieces():
        for e in list(pc.values) + [t for t, _ in pc.conditions]:
            if e.has(sympy.Float):
                raise FloatConstant(next(iter(e.atoms(sympy.Float))))
    return prim


def is_const(v):
    return isinstance(v, Const)


def _value(v):
    """An array entry: a node number (int) or a Const (a bare exact number becomes a
    Const; a float is refused, see :func:`held`)."""
    return v if isinstance(v, (int, Const)) else Const(v)


class TensorLowering:
    """Builds nodes for tensor ops on object arrays (one instance per import)."""

    def __init__(self, builder):
        self.b = builder

    # ------------------------------------------------------------------ leaves
    def inputs(self, shape, name):
        """A tensor of fresh program inputs, named ``name[i,j]``, in C order."""
        shape = tuple(shape)
        out = np.empty(shape, dtype=object)
        for idx in np.ndindex(*shape):
            label = f"{name}[{','.join(map(str, idx))}]" if shape else name
            out[idx] = self.b.input(label)
        return out

    @staticmethod
    def constant(values):
        """An array of exact constants from the library's numbers (floats convert
        exactly, through :func:`held`)."""
        arr = np.asarray(values)
        out = np.empty(arr.shape, dtype=object)
        flat = arr.ravel().tolist()
        out.ravel()[:] = [Const(held(v)) for v in flat] if flat else []
        return out

    # ------------------------------------------------------------------ elementwise
    def map(self, prim, *arrays):
        """Apply a one-output primitive entrywise (numpy broadcasting).

        The primitive's pieces must be exact (the guard of :func:`held`: a library op's
        bound or slope computed in floats would show as a sympy ``Float`` in them).
        """
        exact_pieces(prim)
        fn = np.frompyfunc(lambda *vs: self.b.apply(prim, [_value(v) for v in vs]),
                           len(arrays), 1)
        return _result(fn(*[_as_array(a) for a in arrays]))

    def binop(self, op, a, b):
        """``a op b`` entrywise with broadcasting; ``op`` in ``+ - * / **``."""
        fn = np.frompyfunc(lambda u, v: self.b.binop(op, _value(u), _value(v)), 2, 1)
        return _result(fn(_as_array(a), _as_array(b)))

    def neg(self, a):
        return self.map(PRIMITIVES["neg"], a)

    def square(self, a):
        return self.map(pow_primitive(2), a)

    # ------------------------------------------------------------------ contractions
    def dot(self, xs, ys, bias=Const(0)):
        """``bias + Σ xs[i]*ys[i]`` as one node (or a constant, or an existing node)."""
        const = bias.value if is_const(bias) else 0
        lin_nodes, lin_coef, bil = [], [], []
        if not is_const(bias):
            lin_nodes.append(bias)
            lin_coef.append(1)
        for x, y in zip(xs, ys):
            cx, cy = isinstance(x, Const), isinstance(y, Const)
            if cx and cy:
                const += x.value * y.value
            elif cx or cy:
                c, n = (x, y) if cx else (y, x)
                if c.value != 0:
                    lin_nodes.append(n)
                    lin_coef.append(c.value)
            else:
                bil.extend((x, y))
        if not lin_nodes and not bil:
            return Const(_small(const))
        if not bil and len(lin_nodes) == 1 and lin_coef[0] == 1 and const == 0:
            return lin_nodes[0]
        prim = affine_primitive(len(lin_nodes), len(bil) // 2)
        k = self.b._push(prim, lin_nodes + bil, [_small(c) for c in lin_coef] +
                         [_small(const)], None, 0)
        return k

    def total(self, values, scale=1):
        """``scale * Σ values`` as one node."""
        values = list(values)
        return self.dot(values, [Const(scale)] * len(values))

    def matmul(self, A, B, bias=None):
        """Matrix product of 2-D (or 1-D) arrays, plus an optional broadcast bias."""
        A, B = _as_array(A), _as_array(B)
        vec_a, vec_b = A.ndim == 1, B.ndim == 1
        A2 = A.reshape(1, -1) if vec_a else A
        B2 = B.reshape(-1, 1) if vec_b else B
        n, m = A2.shape[0], B2.shape[1]
        biases = np.broadcast_to(_as_array(bias if bias is not None else Const(0)), (n, m))
        out = np.empty((n, m), dtype=object)
        cols = [list(B2[:, j]) for j in range(m)]
        for i in range(n):
            row = list(A2[i])
            for j in range(m):
                out[i, j] = self.dot(row, cols[j], biases[i, j])
        if vec_a:
            out = out[0]
        if vec_b:
            out = out[..., 0]
        return out

    def batched_matmul(self, A, B):
        """``A @ B`` with numpy broadcasting over leading batch dimensions."""
        A, B = _as_array(A), _as_array(B)
        if A.ndim <= 2 and B.ndim <= 2:
            return self.matmul(A, B)
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        A = np.broadcast_to(A, batch + A.shape[-2:])
        B = np.broadcast_to(B, batch + B.shape[-2:])
        out = np.empty(batch + (A.shape[-2], B.shape[-1]), dtype=object)
        for idx in np.ndindex(*batch):
            out[idx] = self.matmul(A[idx], B[idx])
        return out

    # ------------------------------------------------------------------ reductions
    def reduce(self, arr, dims, keepdim, fn):
        """Reduce ``arr`` over ``dims`` (all when empty / None) with ``fn(list) -> value``.

        ``fn`` receives the reduced entries in C order of the reduced dimensions.
        """
        arr = _as_array(arr)
        nd = arr.ndim
        dims = tuple(range(nd)) if dims is None or len(dims) == 0 else \
            tuple(sorted(d % nd for d in dims)) if nd else ()
        keep = [d for d in range(nd) if d not in dims]
        moved = np.transpose(arr, keep + list(dims)) if nd else arr
        kept_shape = tuple(arr.shape[d] for d in keep)
        rows = moved.reshape((int(np.prod(kept_shape, dtype=int)), -1))
        out = np.empty(rows.shape[0], dtype=object)
        for i in range(rows.shape[0]):
            out[i] = fn(list(rows[i]))
        out = out.reshape(kept_shape)
        if keepdim:
            out = out.reshape(tuple(1 if d in dims else arr.shape[d] for d in range(nd)))
        return out

    # ------------------------------------------------------------------ windows
    def windows(self, x, kernel, stride, padding, dilation, out_sizes, fn, note=None):
        """Apply ``fn(list of entries in scan order)`` to every pooling window.

        ``x`` has shape ``(..., *spatial)`` with ``len(kernel)`` spatial dimensions;
        ``padding[i]`` is the padding before dimension ``i``; ``out_sizes`` the number of
        windows per dimension.  Entries in the padding are not part of a window (as in the
        libraries' max pools, which pad with -inf).
        """
        x = _as_array(x)
        nsp = len(kernel)
        lead, spatial = x.shape[:x.ndim - nsp], x.shape[x.ndim - nsp:]
        out = np.empty(lead + tuple(out_sizes), dtype=object)
        for o in np.ndindex(*out_sizes):
            starts = [o[i] * stride[i] - padding[i] for i in range(nsp)]
            ranges = [[s + dilation[i] * j for j in range(kernel[i])
                       if 0 <= s + dilation[i] * j < spatial[i]]
                      for i, s in enumerate(starts)]
            positions = list(itertools.product(*ranges))
            for l in np.ndindex(*lead):
                if note is not None:
                    note(l + o)
                out[l + o] = fn([x[l + pos] for pos in positions])
        return out

    def conv(self, x, w, bias, stride, padding, dilation, groups):
        """``N C *spatial`` convolution (cross-correlation), as the libraries define it."""
        x, w = _as_array(x), _as_array(w)
        nsp = x.ndim - 2
        N, C = x.shape[:2]
        O, Cg = w.shape[:2]
        ks = w.shape[2:]
        pad = [(0, 0), (0, 0)] + [(p, p) for p in padding]
        xp = np.pad(x, pad, mode="constant", constant_values=Const(0))
        outs = [(x.shape[2 + i] + 2 * padding[i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1
                for i in range(nsp)]
        out = np.empty((N, O) + tuple(outs), dtype=object)
        per_group = O // groups
        bias = bias if bias is not None else np.full((O,), Const(0), dtype=object)
        kernel_flat = [list(w[oc].ravel()) for oc in range(O)]
        for n in range(N):
            for oc in range(O):
                g = oc // per_group
                chans = xp[n, g * Cg:(g + 1) * Cg]
                for o in np.ndindex(*outs):
                    sl = tuple(slice(o[i] * stride[i], o[i] * stride[i] +
                                     dilation[i] * (ks[i] - 1) + 1, dilation[i])
                               for i in range(nsp))
                    patch = chans[(slice(None),) + sl]
                    out[(n, oc) + o] = self.dot(list(patch.ravel()), kernel_flat[oc], bias[oc])
        return out


    # ------------------------------------------------------------------ branching
    def compare(self, op, a, b):
        """``a OP b`` entrywise (``op`` in :data:`COMPARISONS`): booleans where both sides
        are constants, else :class:`Test` entries (usable only as a ``select`` predicate)."""
        a, b = np.broadcast_arrays(_as_array(a), _as_array(b))
        out = np.empty(a.shape, dtype=object)
        for idx in np.ndindex(*a.shape):
            u, v = a[idx], b[idx]
            if is_const(u) and is_const(v):
                out[idx] = bool(COMPARISONS[op](u.value, v.value))
            elif op == "ne":
                raise SelcalcError("a != test on values that depend on the inputs")
            else:
                out[idx] = Test(u, _SYMBOL[op], v)
        return out

    def select(self, pred, *cases):
        """``cases[1] if pred else cases[0]`` entrywise; a :class:`Test` entry becomes one
        branching ``where`` node (at a tie, the branch the library executes)."""
        if len(cases) != 2:
            raise SelcalcError("select with more than two cases")
        pred, false, true = np.broadcast_arrays(*[_as_array(c) for c in (pred, *cases)])
        out = np.empty(pred.shape, dtype=object)
        for idx in np.ndindex(*pred.shape):
            t = pred[idx]
            if isinstance(t, (bool, np.bool_)):
                out[idx] = true[idx] if t else false[idx]
            elif isinstance(t, Test):
                out[idx] = self.b.where(t.lhs, t.op, t.rhs, _value(true[idx]), _value(false[idx]))
            else:
                raise SelcalcError("select on a predicate that is not a comparison")
        return out


class Test:
    """One entry of a comparison: only usable as the predicate of a select / where."""

    __slots__ = ("lhs", "op", "rhs")

    def __init__(self, lhs, op, rhs):
        self.lhs, self.op, self.rhs = lhs, op, rhs


COMPARISONS = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt,
               "eq": operator.eq, "ne": operator.ne}
_SYMBOL = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "eq": "=="}


def pool_output_size(n, k, s, p, d, ceil_mode):
    """The output length of a pooling window sweep (PyTorch's formula, ceil mode included)."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _small(v):
    """An exact coefficient in its smallest form (a float is refused: :func:`held`)."""
    t = type(v)
    if t is int:
        return v
    if t is not Fraction:
        v = refuse_float(v)
        if not isinstance(v, numbers.Rational):
            return v  # an irrational exact constant (sympy)
        v = Fraction(v)
    return v.numerator if v.denominator == 1 else v


def _as_array(a):
    """An operand as an array: arrays as they are, a number as an exact constant."""
    if isinstance(a, np.ndarray):
        return a
    return _result(a if isinstance(a, Const) else Const(a))


def _result(r):
    """numpy's ufunc result (a bare builder value for 0-d operands) as an array."""
    if isinstance(r, np.ndarray):
        return r
    out = np.empty((), dtype=object)
    out[()] = r
    return out


def keep_arrays(out, *other):
    """numpy indexing returns a bare entry for a single element: keep it a 0-d array.

    (A bare ``int`` entry is a node number; it must never be read as a number.)
    """
    if isinstance(out, (tuple, list)):
        return type(out)(keep_arrays(o, *other) for o in out)
    if isinstance(out, (np.ndarray, *other)):
        return out
    return _result(out)
