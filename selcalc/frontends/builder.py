"""The program builder shared by every frontend: nodes, constant folding, named calls.

A frontend works with *values*: a node number (``int``) or a :class:`Const`.  Operations on
constants only are folded exactly; a constant argument of a primitive becomes a parameter
of the node (``2*x`` is one node ``mul(x; c1=2)``), so weights do not become nodes.
"""

from __future__ import annotations

import numbers as _pynumbers
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import ProgramError, SelcalcError, Undecided
from ..numbers import exact, normalize, sign, to_sympy
from ..primitives import (PRIMITIVES, clip_primitive, const_primitive, max_primitive,
                          min_primitive, pow_primitive, sort_primitive, table, where_primitive)

#: Largest integer exponent ``n`` accepted in ``a ** n`` (a larger power of a variable is
#: refused, not expanded), and the largest size in bits of a folded rational constant
#: (numerator or denominator; about 2,466 decimal digits).
MAX_EXPONENT = 4096
MAX_POWER_BITS = 8192
#: Largest number of nodes a program may have (a front end that would build more is
#: stopped with :class:`~selcalc.errors.ProgramError` instead of exhausting memory).
MAX_NODES = 1_000_000


class FloatConstant(ProgramError):
    """Internal error: an inexact number (a Python / numpy float, a sympy ``Float``) reached
    a program constant.

    Constants are exact: a float the library itself holds (a tensor entry, an op argument
    recorded in its graph) enters an imported program only through
    :func:`selcalc.frontends.tensors.held`, which converts it exactly; any other float is
    the result of Python arithmetic on the way (``1 / len(vs)``) and would make the program
    a different function.  The importers add the op and source line being lowered.
    """

    def __init__(self, value, where=None):
        self.value = value
        place = f" while lowering {where}" if where else ""
        super().__init__(f"internal error{place}: the inexact number {value!r} reached a "
                         f"program constant (constants must be exact; a float the library "
                         f"holds goes through selcalc.frontends.tensors.held); please report "
                         f"this")


def refuse_float(value):
    """``value`` itself when it is exact; :class:`FloatConstant` for a float.

    >>> refuse_float(Fraction(1, 3))
    Fraction(1, 3)
    >>> refuse_float(1 / 3)
    Traceback (most recent call last):
    ...
    selcalc.frontends.builder.FloatConstant: internal error: the inexact number 0.3333333333333333 reached a program constant (constants must be exact; a float the library holds goes through selcalc.frontends.tensors.held); please report this
    """
    t = type(value)
    if t is int or t is Fraction:
        return value
    if isinstance(value, sympy.Basic):
        if value.has(sympy.Float):
            raise FloatConstant(value)
        return value
    if isinstance(value, _pynumbers.Real) and not isinstance(value, _pynumbers.Rational):
        raise FloatConstant(value)  # float and numpy's floating types
    return value


@dataclass(frozen=True)
class Const:
    """An exact constant known while building (a float is refused: :class:`FloatConstant`)."""

    value: object

    def __post_init__(self):
        refuse_float(self.value)

    def __deepcopy__(self, memo):
        return self  # immutable


class CallError(SelcalcError):
    """A primitive was called with arguments it does not accept (frontends add location)."""


UNARY = ("relu", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus",
         "neg", "identity")
CALLABLE = UNARY[:-2] + ("max", "min", "clip", "leaky_relu", "sort")

# "a if l OP r else b" -> (test is l - r or r - l, branch order) for where(t, first, second)
# where(t, u, v) = u if t >= 0 else v, and at t == 0 the lowest piece (u) is taken, so
# the tie goes to the branch Python would execute.
_WHERE = {">=": (False, False), ">": (True, True), "<=": (True, False), "<": (False, True)}


def flatten(value):
    """The leaves of a nested tuple / list structure, and its shape (for :func:`unflatten`).

    >>> flatten((1, [2, 3]))
    ([1, 2, 3], (<class 'tuple'>, (None, (<class 'list'>, (None, None)))))
    """
    if not isinstance(value, (tuple, list)):
        return [value], None
    leaves, shapes = [], []
    for v in value:
        sub, shape = flatten(v)
        leaves.extend(sub)
        shapes.append(shape)
    return leaves, (type(value), tuple(shapes))


def unflatten(shape, leaves):
    """Rebuild a structure of ``shape`` from an iterator over its leaves."""
    if shape is None:
        return next(leaves)
    kind, shapes = shape
    return kind(unflatten(sh, leaves) for sh in shapes)


def _certified_sign(value, what):
    try:
        return sign(value)
    except Undecided as exc:
        raise CallError(f"cannot decide the sign of {what} = {value}: {exc}") from None


class Builder:
    """Accumulates nodes in evaluation order."""

    def __init__(self):
        self.ops, self.args, self.params = [None], [()], [()]
        self.groups, self.outs = [0], [0]
        self.input_names = []
        # head node of each vector where -> (eq, t, us, vs) as values, so that finish()
        # can drop the outputs nobody reads (and the arguments only they needed)
        self.where_values = {}
        # per node: what the frontend says it came from (library importers set ``note``)
        self.note, self.notes = None, [None]

    @property
    def size(self):
        return len(self.ops) - 1

    def input(self, name=None):
        if len(self.ops) - 1 != len(self.input_names):
            raise ProgramError("inputs must be declared before any other node")
        self.input_names.append(name or f"x{len(self.input_names) + 1}")
        return self._push(None, (), (), None, 0)

    def _push(self, prim, args, params, group, out):
        k = len(self.ops)
        if k > MAX_NODES:
            raise ProgramError(f"the program grows past {MAX_NODES} nodes (the limit "
                               f"selcalc.frontends.builder.MAX_NODES): unrolled loops or "
                               f"long expressions build one node per operation; shrink the "
                               f"loop bounds, or raise the limit if the memory allows")
        params = tuple(params)
        for c in params:
            if type(c) is not int and type(c) is not Fraction:
                try:
                    refuse_float(c)
                except FloatConstant as exc:
                    raise FloatConstant(c, self.note) from None
        self.ops.append(prim)
        self.args.append(tuple(args))
        self.params.append(params)
        self.groups.append(k if group is None else group)
        self.outs.append(out)
        self.notes.append(self.note)
        return k

    # ------------------------------------------------------------------ primitives
    def apply(self, prim, values):
        """Apply ``prim`` to values; returns a value, or a tuple of values (vector prims)."""
        values = list(values)
        if len(values) != prim.arity:
            raise CallError(f"{prim.name} takes {prim.arity} argument(s), got {len(values)}")
        if all(isinstance(v, Const) for v in values):
            vs = [v.value for v in values]
            piece_index = prim.active(vs)[0] if prim.branching else 0
            outs = prim.value(piece_index, vs)
            outs = tuple(Const(_bounded(normalize(o))) for o in outs)
            return outs if prim.n_out > 1 else outs[0]
        prim, nodes, consts = _resolve(prim, values)
        first = None
        results = []
        for out in range(prim.n_out):
            k = self._push(prim, nodes, consts, first, out)
            first = k if first is None else first
            results.append(k)
        return tuple(results) if prim.n_out > 1 else results[0]

    def binop(self, op, a, b):
        if op == "**":
            if not isinstance(b, Const) or not _is_integer(b.value):
                raise CallError("** needs a constant integer exponent")
            n = constant_integer(b.value)
            if abs(n) > MAX_EXPONENT:
                raise CallError(f"the exponent {_short(n)} is too large: ** accepts integer "
                                f"exponents up to {MAX_EXPONENT} in absolute value")
            if isinstance(a, Const):
                return Const(exact(_const_power(a.value, n)))
            return self.apply(pow_primitive(n), [a])
        name = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[op]
        # exact identities that need no node: x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1
        if isinstance(b, Const) and ((b.value == 0 and name in ("add", "sub"))
                                     or (b.value == 1 and name in ("mul", "div"))):
            return a
        if isinstance(a, Const) and ((a.value == 0 and name == "add")
                                     or (a.value == 1 and name == "mul")):
            return b
        if name == "div" and isinstance(b, Const) and \
                _certified_sign(b.value, "the divisor") == 0:
            raise CallError(f"division by the constant {b.value}, which is 0")
        return self.apply(PRIMITIVES[name], [a, b])

    def neg(self, a):
        return self.apply(PRIMITIVES["neg"], [a])

    def where(self, lhs, op, rhs, if_true, if_false):
        """``if_true if lhs OP rhs else if_false`` as ONE branching node (ties as Python).

        ``if_true`` and ``if_false`` are values or nested tuples / lists of values of the
        same shape (the variables one ``if`` statement assigns): they become one vector
        ``where`` whose outputs share one piece index, so every execution takes one
        branch for all of them.  The result has the shape of ``if_true``.
        """
        if op not in _WHERE and op != "==":
            raise CallError(f"comparison {op} is not supported (use < <= > >= ==)")
        us, shape = flatten(if_true)
        vs, other = flatten(if_false)
        if shape != other:
            raise CallError("the branches give values of different shapes")
        if op == "==":
            t, eq = self.binop("-", lhs, rhs), True
        else:
            flip, swap = _WHERE[op]
            t, eq = self.binop("-", rhs, lhs) if flip else self.binop("-", lhs, rhs), False
            if swap:
                us, vs = vs, us
        return unflatten(shape, iter(self._select(eq, t, us, vs)))

    def _select(self, eq, t, us, vs):
        """The leaves chosen by ``us if t >= 0 else vs`` (``t == 0`` when ``eq``)."""
        if isinstance(t, Const):  # the condition is known now: no branching node
            s = _certified_sign(t.value, "the condition's left side minus its right side")
            return us if (s == 0 if eq else s >= 0) else vs
        differ = [i for i, (u, v) in enumerate(zip(us, vs)) if u != v]
        out = list(us)
        if not differ:
            return out
        prim = where_primitive(len(differ), eq)
        picked = [t] + [us[i] for i in differ] + [vs[i] for i in differ]
        results = self.apply(prim, picked)
        if len(differ) == 1:
            results = (results,)
        else:
            self.where_values[results[0]] = (eq, t, [us[i] for i in differ],
                                             [vs[i] for i in differ])
        for i, k in zip(differ, results):
            out[i] = k
        return out

    def call(self, name, values):
        """A named primitive call as written in source or with the traced functions."""
        values = list(values)
        if name in UNARY:
            if len(values) != 1:
                raise CallError(f"{name} takes 1 argument, got {len(values)}")
            return self.apply(PRIMITIVES[name], values)
        if name in ("max", "min"):
            if len(values) < 2:
                raise CallError(f"{name} needs two or more arguments, got {len(values)}")
            prim = max_primitive(len(values)) if name == "max" else min_primitive(len(values))
            return self.apply(prim, values)
        if name == "clip":
            if len(values) != 3:
                raise CallError(f"clip takes (x, lo, hi), got {len(values)} arguments")
            x, lo, hi = values
            if not (isinstance(lo, Const) and isinstance(hi, Const)):
                raise CallError("clip needs constant bounds lo and hi")
            if _certified_sign(to_sympy(hi.value) - to_sympy(lo.value), "hi - lo") < 0:
                raise CallError(f"clip needs lo <= hi, got lo={lo.value}, hi={hi.value}")
            return self.apply(clip_primitive(lo.value, hi.value), [x])
        if name == "leaky_relu":
            if len(values) == 1:
                values.append(Const(Fraction(1, 100)))
            if len(values) != 2 or not isinstance(values[1], Const):
                raise CallError("leaky_relu takes (x, alpha) with a constant alpha")
            return self.apply(PRIMITIVES["leaky_relu"], values)
        if name == "sort":
            if len(values) < 2:
                raise CallError("sort needs two or more arguments")
            if len(values) > table.MAX_SORT_ENTRIES:
                raise CallError(f"sort is limited to {table.MAX_SORT_ENTRIES} arguments "
                                f"(raise selcalc.primitives.table.MAX_SORT_ENTRIES)")
            return self.apply(sort_primitive(len(values)), values)
        raise CallError(f"unknown function {name!r}")

    # ------------------------------------------------------------------ finishing
    def finish(self, outputs, name=None, source=None, cls=None):
        """Prune dead nodes, make the outputs the last q nodes, build and check the Program.

        ``cls`` (default :class:`selcalc.Program`) is the class built; the nodes' notes
        are kept in ``node_notes`` (indexed by the final node numbers).
        """
        from ..continuity import check_branches
        from ..ir import Program
        p = len(self.input_names)
        outputs = list(outputs)
        if not outputs:
            raise ProgramError("the program returns nothing")
        for i, o in enumerate(outputs):
            if isinstance(o, Const):
                outputs[i] = self._push(const_primitive(o.value), (), (), None, 0)
        live = self._live(p, outputs)
        order = sorted(live)
        new = {old: i for i, old in enumerate(order, start=1)}
        ops, args, params, groups, outs = [None], [()], [()], [0], [0]
        notes = [None] + [self.notes[old] for old in order]
        group_map, narrowed = {}, {}
        for old in order:
            g = self.groups[old]
            prim, pr, consts, out = self.ops[old], self.args[old], self.params[old], self.outs[old]
            if g in self.where_values:
                if g not in narrowed:
                    narrowed[g] = self._narrow(g, live)
                prim, pr, consts, out = narrowed[g][old]
            ops.append(prim)
            args.append(tuple(new[j] for j in pr))
            params.append(consts)
            groups.append(group_map.setdefault(g, new[old]))
            outs.append(out)
        outputs = [new[o] for o in outputs]
        m = len(ops) - 1
        q = len(outputs)
        if outputs != list(range(m - q + 1, m + 1)) or any(o <= p for o in outputs):
            for o in outputs:
                ops.append(PRIMITIVES["identity"])
                args.append((o,))
                params.append(())
                groups.append(len(ops) - 1)
                outs.append(0)
                notes.append(notes[o])
        prog = (cls or Program)(p, q, ops, args, params, groups, outs,
                                input_names=self.input_names, name=name, source=source)
        prog.node_notes = notes
        prog.builder_ids = [None] + order  # final node -> the builder's number for it
        check_branches(prog)
        return prog

    def _members(self, g):
        return list(range(g, g + self.ops[g].n_out))

    def _live(self, p, outputs):
        """Nodes the outputs depend on (one reverse sweep; iterative).

        An output of a vector ``where`` needs the test and its own two branches only.
        """
        live = set(range(1, p + 1)) | set(outputs)
        for k in range(len(self.ops) - 1, p, -1):
            if k not in live:
                continue
            rec = self.where_values.get(self.groups[k])
            if rec is None:
                live.update(self.args[k])
                continue
            _, t, us, vs = rec
            o = self.outs[k]
            live.update(v for v in (t, us[o], vs[o]) if not isinstance(v, Const))
        return live

    def _narrow(self, g, live):
        """Old node -> (primitive, args, params, out) of a vector where cut to its live outputs."""
        eq, t, us, vs = self.where_values[g]
        kept = [k for k in self._members(g) if k in live]
        outs = [self.outs[k] for k in kept]
        prim = where_primitive(len(kept), eq)
        prim, nodes, consts = _resolve(prim, [t] + [us[o] for o in outs] + [vs[o] for o in outs])
        return {k: (prim, tuple(nodes), tuple(consts), i) for i, k in enumerate(kept)}


def _resolve(prim, values):
    """The primitive with its constant arguments turned into parameters, node args, consts."""
    fixed = tuple(i for i, v in enumerate(values) if isinstance(v, Const))
    if fixed:
        prim = prim.fix(fixed)
    nodes = [v for v in values if not isinstance(v, Const)]
    consts = [values[i].value for i in fixed]
    return prim, nodes, consts


_RAISE_POWER_BITS = (" (selcalc.frontends.builder.MAX_POWER_BITS; raise it if the memory "
                     "allows)")


def _bounded(value):
    """A folded constant, refused when it is a rational of more than MAX_POWER_BITS bits."""
    if isinstance(value, (int, Fraction)):
        f = Fraction(value)
        bits = max(f.numerator.bit_length(), f.denominator.bit_length())
        if bits > MAX_POWER_BITS:
            raise CallError(f"a folded constant would have {bits} bits, more than the limit "
                            f"of {MAX_POWER_BITS}{_RAISE_POWER_BITS}")
    return value


def _const_power(base, n):
    """``base ** n`` for a folded constant, refusing results past ``MAX_POWER_BITS``."""
    value = exact(base)
    if isinstance(value, (int, Fraction)):
        f = Fraction(value)
        bits = max(f.numerator.bit_length(), f.denominator.bit_length(), 1)
        if f not in (0, 1, -1) and bits * abs(n) > MAX_POWER_BITS:
            raise CallError(f"the constant {_short(base)} ** {n} would have about "
                            f"{bits * abs(n)} bits, more than the limit of {MAX_POWER_BITS}"
                            f"{_RAISE_POWER_BITS}")
        if n < 0 and f == 0:
            raise CallError("0 raised to a negative power")
    return to_sympy(value) ** n


def _short(v):
    if isinstance(v, int) and v.bit_length() > 4000:
        return f"<an integer of about {int(v.bit_length() * 0.30103)} digits>"
    text = str(v)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"


def constant_integer(value):
    """The integer an exact constant equals (a certified equality), or None.

    >>> import sympy
    >>> constant_integer(Fraction(6, 3)), constant_integer(sympy.log(8) / sympy.log(2))
    (2, 3)
    >>> constant_integer(sympy.sqrt(2)) is None
    True
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else None
    try:
        expr = to_sympy(value)
        n = int(sympy.floor(expr + sympy.Rational(1, 2)))
        return n if sign(expr - n) == 0 else None
    except (Undecided, TypeError, ValueError, ArithmeticError, sympy.SympifyError):
        return None


def _is_integer(v):
    return constant_integer(v) is not None
