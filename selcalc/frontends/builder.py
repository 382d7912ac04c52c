"""The program builder shared by every frontend: nodes, constant folding, named calls.

A frontend works with *values*: a node number (``int``) or a :class:`Const`.  Operations on
constants only are folded exactly; a constant argument of a primitive becomes a parameter
of the node (``2*x`` is one node ``mul(x; c1=2)``), so weights do not become nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import ProgramError, SelcalcError
from ..numbers import exact, to_sympy
from ..primitives import (PRIMITIVES, clip_primitive, const_primitive, max_primitive,
                          min_primitive, pow_primitive, sort_primitive)


@dataclass(frozen=True)
class Const:
    """An exact constant known while building."""

    value: object


class CallError(SelcalcError):
    """A primitive was called with arguments it does not accept (frontends add location)."""


UNARY = ("relu", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus",
         "neg", "identity")
CALLABLE = UNARY[:-2] + ("max", "min", "clip", "leaky_relu", "sort")

# "a if l OP r else b" -> (test is l - r or r - l, branch order) for where(t, first, second)
# where(t, u, v) = u if t >= 0 else v, and at t == 0 the lowest piece (u) is taken, so
# the tie goes to the branch Python would execute.
_WHERE = {">=": (False, False), ">": (True, True), "<=": (True, False), "<": (False, True)}


class Builder:
    """Accumulates nodes in evaluation order."""

    def __init__(self):
        self.ops, self.args, self.params = [None], [()], [()]
        self.groups, self.outs = [0], [0]
        self.input_names = []
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
        self.ops.append(prim)
        self.args.append(tuple(args))
        self.params.append(tuple(params))
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
            from ..numbers import normalize
            outs = tuple(Const(normalize(o)) for o in outs)
            return outs if prim.n_out > 1 else outs[0]
        fixed = tuple(i for i, v in enumerate(values) if isinstance(v, Const))
        if fixed:
            prim = prim.fix(fixed)
        nodes = [v for v in values if not isinstance(v, Const)]
        consts = [values[i].value for i in fixed]
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
            n = int(b.value)
            if isinstance(a, Const):
                return Const(exact(to_sympy(a.value) ** n))
            return self.apply(pow_primitive(n), [a])
        name = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[op]
        # exact identities that need no node: x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1
        if isinstance(b, Const) and ((b.value == 0 and name in ("add", "sub"))
                                     or (b.value == 1 and name in ("mul", "div"))):
            return a
        if isinstance(a, Const) and ((a.value == 0 and name == "add")
                                     or (a.value == 1 and name == "mul")):
            return b
        if name == "div" and isinstance(b, Const) and b.value == 0:
            raise CallError("division by the constant 0")
        return self.apply(PRIMITIVES[name], [a, b])

    def neg(self, a):
        return self.apply(PRIMITIVES["neg"], [a])

    def where(self, lhs, op, rhs, if_true, if_false):
        """``if_true if lhs OP rhs else if_false`` as a where node (ties as Python)."""
        if op == "==":
            t = self.binop("-", lhs, rhs)
            return self._select(PRIMITIVES["where_eq"], t, if_true, if_false)
        if op not in _WHERE:
            raise CallError(f"comparison {op} is not supported (use < <= > >= ==)")
        flip, swap = _WHERE[op]
        t = self.binop("-", rhs, lhs) if flip else self.binop("-", lhs, rhs)
        u, v = (if_false, if_true) if swap else (if_true, if_false)
        return self._select(PRIMITIVES["where"], t, u, v)

    def _select(self, prim, t, u, v):
        if isinstance(t, Const):  # the condition is known now: no branching node
            if prim.name == "where_eq":
                return u if t.value == 0 else v
            from ..numbers import sign
            return u if sign(t.value) >= 0 else v
        if u == v:
            return u
        return self.apply(prim, [t, u, v])

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
            if not lo.value <= hi.value:
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
            if len(values) > 8:
                raise CallError("sort is limited to 8 arguments (8! pieces)")
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
        live = set(range(1, p + 1))
        stack = [o for o in outputs]
        while stack:
            k = stack.pop()
            if k in live:
                continue
            live.add(k)
            stack.extend(self.args[k])
        order = sorted(live)
        new = {old: i for i, old in enumerate(order, start=1)}
        ops, args, params, groups, outs = [None], [()], [()], [0], [0]
        notes = [None] + [self.notes[old] for old in order]
        group_map = {}
        for old in order:
            ops.append(self.ops[old])
            args.append(tuple(new[j] for j in self.args[old]))
            params.append(self.params[old])
            g = self.groups[old]
            groups.append(group_map.setdefault(g, new[old]))
            outs.append(self.outs[old])
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
        check_branches(prog)
        return prog


def _is_integer(v):
    try:
        return int(v) == v
    except (TypeError, ValueError):
        return False
