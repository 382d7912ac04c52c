"""Parse plain Python source into a Program (``selcalc.parse``).

The subset: scalar parameters; ``+ - * /``, unary minus, ``**`` with a constant integer
exponent; numeric literals read exactly from the source text (``0.1`` is 1/10);
assignment, augmented assignment and tuple unpacking; ``if/elif/else`` and ``a if c else b``
on one comparison ``< <= > >= ==``; ``for i in range(N)`` with constant N (unrolled); list
and tuple literals with constant indexing; calls to the primitives and to other functions
defined in the same source (inlined; recursion is refused).  Anything else raises
:class:`selcalc.ParseError` with its line and column.

One ``if`` statement is one selection: all the variables and list items it may change go
through one vector ``where`` sharing one piece index, and each branch works on its own
copy of the lists (``docs/branches.md``).  Limits: ``|n| <= 4096`` in ``** n``, folded
constant powers of at most 8192 bits, loops of at most 100,000 iterations; numeric
literals of at most ``selcalc.points.MAX_TEXT`` characters (read exactly, any number of
digits below that); one expression of up to about 16,000 terms (past that, or nested
deeper than Python's own parser allows, it is refused: split it into statements).

>>> P = parse('''
... def relu2(t):
...     return relu(-t) + t
... ''')
>>> P.p, P.q, P(-3)
(1, 1, 0)
>>> parse("def f(x):\\n    while x > 0:\\n        x = x - 1\\n    return x")
Traceback (most recent call last):
  ...
selcalc.errors.ParseError: line 2, column 5: while loops are not supported (unroll with for i in range(N))
"""

from __future__ import annotations

import ast
import contextlib
import copy
import re
import sys

from ..errors import InputError, ParseError, SelcalcError
from ..numbers import exact
from ..points import MAX_TEXT, long_integers, read_decimal
from .builder import CALLABLE, Builder, CallError, Const, constant_integer

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "=="}
_MAX_UNROLL = 100_000
#: statements executed while unrolling (nested loops multiply): past it, a ParseError
MAX_STATEMENTS = 1_000_000


class _Return(Exception):
    def __init__(self, value):
        self.value = value


def parse(source: str, name: str | None = None):
    """Parse Python source into a :class:`selcalc.Program`.

    Parameters
    ----------
    source : str
        One or more ``def`` statements (other top-level statements are ignored only if
        they are imports or docstrings).
    name : str, optional
        Which function to take; default: the only one, or the first.

    Returns
    -------
    Program
        Inputs are the parameters, outputs the returned value(s).

    >>> P = parse("def f(x, y):\\n    if x > y:\\n        return x\\n    return y")
    >>> P.p, P.q, P(1, 3), P(4, 3)
    (2, 1, 3, 4)
    """
    if not isinstance(source, str):
        raise ParseError(f"the source must be a str, not {type(source).__name__}")
    _check_literal_lengths(source)
    try:
        # integer literals up to MAX_TEXT digits (checked above); a sum of ~10^4 terms
        with long_integers(), _parser_depth():
            tree = ast.parse(source)
    except SyntaxError as exc:
        hint = " (Python's parser allows 200 levels: nest through statements, y = sin(x); " \
            "z = sin(y), or a for loop)" if "too many nested parentheses" in exc.msg else ""
        raise ParseError(f"invalid Python: {exc.msg}{hint}", exc.lineno, exc.offset,
                         "syntax") from None
    except (RecursionError, MemoryError):
        raise ParseError(_TOO_DEEP, construct="size") from None
    defs = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            _refuse_decorators(stmt)
            defs[stmt.name] = stmt
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)) or _is_docstring(stmt):
            continue
        else:
            raise _error(stmt, f"only function definitions are allowed at top level, "
                               f"found {type(stmt).__name__}")
    if not defs:
        raise ParseError("no function definition (def ...) found in the source")
    if name is None:
        name = next(iter(defs))
    if name not in defs:
        raise ParseError(f"no function called {name!r}; found {', '.join(defs)}")
    try:
        return _Parser(source, defs).program(name)
    except RecursionError:
        raise ParseError("the program is nested too deeply to be read (Python's recursion "
                         "limit was reached, e.g. by a long chain of function calls); "
                         "flatten it into statements or build it with selcalc.trace",
                         construct="size") from None


_TOO_DEEP = ("the source is nested too deeply for Python's own parser (e.g. one expression "
             "of more than about 16,000 terms, or deeply nested calls); split it into "
             "statements (s = s + term, or a for loop) or build the program with "
             "selcalc.trace")


def _refuse_decorators(fn):
    """A decorator replaces the function by whatever it returns, which the source does not
    show: refused (with its line and column) rather than silently ignored."""
    if fn.decorator_list:
        d = fn.decorator_list[0]
        raise _error(d, f"function {fn.name} has the decorator @{ast.unparse(d)}: decorators "
                        f"are not supported (selcalc would analyse {fn.name} as written, not "
                        f"what the decorator makes of it); remove it, or write its effect "
                        f"into the function's body", "decorator")


def _is_docstring(stmt):
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and \
        isinstance(stmt.value.value, str)


#: Python recursion limit while ``ast.parse`` builds the tree (Python 3.11 bounds the tree
#: depth by three times the limit): one expression of up to about 16,000 terms
PARSER_RECURSION = 5500


@contextlib.contextmanager
def _parser_depth():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, PARSER_RECURSION))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _check_literal_lengths(source):
    """Refuse a run of digits longer than ``MAX_TEXT`` before Python converts it."""
    m = re.search(r"(?<![A-Za-z_0-9])[0-9][0-9_]{%d,}" % MAX_TEXT, source)
    if m is not None:
        line = source.count("\n", 0, m.start()) + 1
        column = m.start() - source.rfind("\n", 0, m.start())
        raise ParseError(f"a number written with {len(m.group())} characters is longer than "
                         f"the limit of {MAX_TEXT} (selcalc.points.MAX_TEXT)", line, column,
                         "literal")


def _literal(e, source):
    """A numeric literal, read exactly from its text (a float literal is its decimal)."""
    if isinstance(e.value, int):
        return Const(e.value)
    text = ast.get_source_segment(source, e)
    if text is None:
        raise _error(e, "cannot locate the text of this literal in the source")
    try:
        return Const(exact(read_decimal(text)))
    except InputError as exc:
        raise _error(e, f"literal: {exc}", "literal") from None


def _error(node, message, construct=None):
    return ParseError(message, getattr(node, "lineno", None),
                      getattr(node, "col_offset", -1) + 1 if hasattr(node, "col_offset")
                      else None, construct or type(node).__name__)


class _Parser:
    def __init__(self, source, defs):
        self.source, self.defs = source, defs
        self.builder = Builder()
        self.stack = []
        self.steps = 0

    def program(self, name):
        fn = self.defs[name]
        self._check_signature(fn)
        params = [a.arg for a in fn.args.args]
        env = {p: self.builder.input(p) for p in params}
        value = self._call_body(fn, env)
        outs = list(value) if isinstance(value, tuple) else [value]
        for o in outs:
            if isinstance(o, (tuple, list)):
                raise _error(fn, "return a scalar or a flat tuple of scalars")
        try:
            return self.builder.finish(outs, name=name, source=self.source)
        except CallError as exc:
            raise _error(fn, str(exc)) from None

    def _check_signature(self, fn):
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
            raise _error(fn, f"function {fn.name}: only plain positional parameters are "
                             f"supported (no defaults, *args, **kwargs)", "signature")

    def _call_body(self, fn, env):
        if fn.name in self.stack:
            raise _error(fn, f"recursion: {fn.name} calls itself (directly or not)",
                         "recursion")
        self.stack.append(fn.name)
        try:
            self._block(fn.body, env)
        except _Return as ret:
            return ret.value
        finally:
            self.stack.pop()
        raise _error(fn, f"function {fn.name} does not return a value", "return")

    # ------------------------------------------------------------------ statements
    def _block(self, stmts, env):
        """Run statements; raises _Return when a return is reached."""
        for i, stmt in enumerate(stmts):
            self.steps += 1
            if self.steps > MAX_STATEMENTS:
                raise _error(stmt, f"unrolling executes more than {MAX_STATEMENTS} statements "
                                   f"(nested loops multiply their bounds); shrink the loops",
                             "loop bound")
            if isinstance(stmt, ast.If) and _returns(stmt):
                self._if_with_return(stmt, stmts[i + 1:], env)
            self._stmt(stmt, env)

    def _if_with_return(self, stmt, rest, env):
        """An if whose branches return: each branch continues with the rest of the block."""
        lhs, op, rhs = self._comparison(stmt.test, env)
        results = []
        for body in (stmt.body, stmt.orelse):
            branch_env = _copy_env(env)
            try:
                self._block(list(body) + list(rest), branch_env)
            except _Return as ret:
                results.append(ret.value)
                continue
            raise _error(stmt, "a branch of this if returns but the other path does not",
                         "return")
        raise _Return(self._merge(stmt, lhs, op, rhs, results[0], results[1]))

    def _stmt(self, stmt, env):
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise _error(stmt, "return needs a value")
            raise _Return(self._expr(stmt.value, env))
        if isinstance(stmt, ast.Assign):
            value = self._expr(stmt.value, env)
            for target in stmt.targets:
                self._assign(target, value, env)
            return
        if isinstance(stmt, ast.AugAssign):
            if not isinstance(stmt.target, ast.Name):
                raise _error(stmt, "augmented assignment only to a plain name")
            op = _BINOPS.get(type(stmt.op))
            if op is None:
                raise _error(stmt, f"operator {type(stmt.op).__name__} is not supported")
            old = self._name(stmt.target, env)
            env[stmt.target.id] = self._binop(stmt, op, old, self._expr(stmt.value, env))
            return
        if isinstance(stmt, ast.If):
            self._if(stmt, env)
            return
        if isinstance(stmt, ast.For):
            self._for(stmt, env)
            return
        if isinstance(stmt, ast.Pass) or _is_docstring(stmt):
            return
        if isinstance(stmt, ast.While):
            raise _error(stmt, "while loops are not supported (unroll with for i in range(N))",
                         "while")
        raise _error(stmt, f"{type(stmt).__name__} statements are not supported")

    def _assign(self, target, value, env):
        if isinstance(target, ast.Name):
            env[target.id] = value
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, (tuple, list)) or len(value) != len(target.elts):
                raise _error(target, "cannot unpack: the number of values does not match")
            for t, v in zip(target.elts, value):
                self._assign(t, v, env)
            return
        if isinstance(target, ast.Subscript):
            seq = self._expr(target.value, env)
            idx = self._index(target, env)
            if not isinstance(seq, list):
                raise _error(target, "item assignment only into a list")
            if not -len(seq) <= idx < len(seq):
                raise _error(target, f"index {idx} out of range (the list has {len(seq)} "
                                     f"items)", "index")
            seq[idx] = value
            return
        raise _error(target, f"cannot assign to {type(target).__name__}")

    def _if(self, stmt, env):
        """One if statement is ONE selection: every variable it may change (lists
        included) goes through a single vector ``where`` with one shared piece index."""
        lhs, op, rhs = self._comparison(stmt.test, env)
        envs = []
        for body in (stmt.body, stmt.orelse):
            branch_env = _copy_env(env)  # each branch mutates its own lists
            self._block(body, branch_env)
            envs.append(branch_env)
        names = list(dict.fromkeys(list(envs[0]) + list(envs[1])))  # deterministic order
        unbound = _Unbound(stmt)
        pairs = [(envs[0].get(n, unbound), envs[1].get(n, unbound)) for n in names]
        merged = self._merge(stmt, lhs, op, rhs, *zip(*pairs)) if pairs else ()
        for name, value in zip(names, merged):
            env[name] = value

    def _merge(self, node, lhs, op, rhs, a, b):
        """``a if lhs OP rhs else b`` for two values of the same shape, as one selection.

        Lists are matched by identity, so two names bound to one list stay one list.
        """
        us, vs, memo = [], [], {}

        def pair(u, v):
            if isinstance(u, _Unbound) or isinstance(v, _Unbound):
                return ("unbound", u if isinstance(u, _Unbound) else v)
            if isinstance(u, (tuple, list)) or isinstance(v, (tuple, list)):
                if type(u) is not type(v) or len(u) != len(v):
                    raise _error(node, "the branches give values of different shapes")
                key = (id(u), id(v))
                if key not in memo:
                    memo[key] = (type(u), [])
                    memo[key][1].extend(pair(x, y) for x, y in zip(u, v))
                return memo[key]
            us.append(u)
            vs.append(v)
            return len(us) - 1

        template = pair(a, b)
        try:
            chosen = self.builder.where(lhs, op, rhs, tuple(us), tuple(vs))
        except CallError as exc:
            raise _error(node, str(exc)) from None
        return _rebuild(template, chosen, {})

    def _for(self, stmt, env):
        if stmt.orelse:
            raise _error(stmt, "for ... else is not supported")
        if _returns(stmt):
            raise _error(stmt, "return inside a for loop is not supported", "return")
        it = stmt.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                and it.func.id == "range" and not it.keywords and 1 <= len(it.args) <= 3):
            raise _error(it, "only for loops over range(N) with constant N are supported",
                         "for")
        bounds = []
        for a in it.args:
            v = self._expr(a, env)
            n = constant_integer(v.value) if isinstance(v, Const) else None
            if n is None:
                what = "a constant that is not an integer" if isinstance(v, Const) else \
                    "data-dependent loop bound"
                raise _error(a, f"{what}: range() needs constant integers", "loop bound")
            bounds.append(n)
        if len(bounds) == 3 and bounds[2] == 0:
            raise _error(it, "range() step must not be zero", "loop bound")
        rng = range(*bounds)
        size = (rng.stop - rng.start + rng.step - (1 if rng.step > 0 else -1)) // rng.step
        if size > _MAX_UNROLL:
            raise _error(it, f"a loop of {size} iterations exceeds the unrolling limit of "
                             f"{_MAX_UNROLL}", "loop bound")
        for i in rng:
            self._assign(stmt.target, Const(i), env)
            self._block(stmt.body, env)

    # ------------------------------------------------------------------ expressions
    def _expr(self, e, env):
        if isinstance(e, ast.Constant):
            if isinstance(e.value, bool) or not isinstance(e.value, (int, float)):
                raise _error(e, f"literal {e.value!r} is not a number")
            return _literal(e, self.source)
        if isinstance(e, ast.Name):
            return self._name(e, env)
        if isinstance(e, ast.BinOp):
            spine = []  # a + b + c + ... is left-deep: walk it without recursion
            while isinstance(e, ast.BinOp):
                spine.append(e)
                e = e.left
            acc = self._expr(e, env)
            for node in reversed(spine):
                op = _BINOPS.get(type(node.op))
                if op is None:
                    raise _error(node, f"operator {type(node.op).__name__} is not supported")
                acc = self._binop(node, op, acc, self._expr(node.right, env))
            return acc
        if isinstance(e, ast.UnaryOp):
            chain = []  # - - - x: also iterative
            while isinstance(e, ast.UnaryOp):
                chain.append(e)
                e = e.operand
            v = self._expr(e, env)
            for node in reversed(chain):
                if isinstance(node.op, ast.USub):
                    v = self._neg(node, v)
                elif not isinstance(node.op, ast.UAdd):
                    raise _error(node, f"unary {type(node.op).__name__} is not supported")
            return v
        if isinstance(e, ast.IfExp):
            lhs, op, rhs = self._comparison(e.test, env)
            return self._merge(e, lhs, op, rhs, self._expr(e.body, env),
                               self._expr(e.orelse, env))
        if isinstance(e, ast.Call):
            return self._call(e, env)
        if isinstance(e, (ast.Tuple, ast.List)):
            items = [self._expr(x, env) for x in e.elts]
            return tuple(items) if isinstance(e, ast.Tuple) else items
        if isinstance(e, ast.Subscript):
            seq = self._expr(e.value, env)
            if not isinstance(seq, (tuple, list)):
                raise _error(e, "indexing is only supported on lists and tuples")
            idx = self._index(e, env)
            try:
                return seq[idx]
            except IndexError:
                raise _error(e, f"index {idx} out of range") from None
        if isinstance(e, ast.Attribute):
            raise _error(e, f"attribute access (.{e.attr}) is not supported", "attribute")
        if isinstance(e, ast.Compare):
            raise _error(e, "a comparison can only appear as the condition of an if")
        raise _error(e, f"{type(e).__name__} expressions are not supported")

    def _index(self, sub, env):
        idx = self._expr(sub.slice, env)
        n = constant_integer(idx.value) if isinstance(idx, Const) else None
        if n is None:
            what = "an index that is not an integer" if isinstance(idx, Const) else \
                "data-dependent index"
            raise _error(sub, f"{what}: only constant integer indexing is supported", "index")
        return n

    def _name(self, e, env):
        if e.id in env:
            value = env[e.id]
            if isinstance(value, _Unbound):
                raise _error(e, f"variable {e.id!r} is assigned in only one branch of the "
                                f"if at line {value.line}; give it a value before that if",
                             "if")
            return value
        raise _error(e, f"name {e.id!r} is not defined", "name")

    def _neg(self, node, v):
        if isinstance(v, (tuple, list)):
            raise _error(node, "unary minus on a list or tuple is not supported")
        try:
            return self.builder.neg(v)
        except CallError as exc:
            raise _error(node, str(exc)) from None

    def _binop(self, node, op, a, b):
        if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
            raise _error(node, f"operator {op} on a list or tuple is not supported")
        try:
            return self.builder.binop(op, a, b)
        except CallError as exc:
            raise _error(node, str(exc)) from None
        except (ZeroDivisionError, ArithmeticError) as exc:
            raise _error(node, f"constant arithmetic failed: {exc}") from None

    def _comparison(self, test, env):
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
            raise _error(test, "a condition must be a single comparison a OP b with OP one "
                               "of < <= > >= ==", "condition")
        op = _CMPOPS.get(type(test.ops[0]))
        if op is None:
            raise _error(test, f"comparison {type(test.ops[0]).__name__} is not supported "
                               f"(use < <= > >= ==)", "condition")
        lhs, rhs = self._expr(test.left, env), self._expr(test.comparators[0], env)
        if isinstance(lhs, (tuple, list)) or isinstance(rhs, (tuple, list)):
            raise _error(test, "comparisons are between scalars")
        return lhs, op, rhs

    def _call(self, e, env):
        if not isinstance(e.func, ast.Name):
            what = "attribute access" if isinstance(e.func, ast.Attribute) else "this call"
            raise _error(e, f"{what} is not supported: call primitives by name "
                            f"(relu(x), not nn.relu(x))", "attribute")
        if e.keywords:
            raise _error(e, "keyword arguments are not supported")
        name = e.func.id
        args = [self._expr(a, env) for a in e.args]
        if name in self.defs:
            fn = self.defs[name]
            if name in self.stack:
                raise _error(e, f"recursion: {name} calls itself (directly or not)",
                             "recursion")
            self._check_signature(fn)
            params = [a.arg for a in fn.args.args]
            if len(params) != len(args):
                raise _error(e, f"{name} takes {len(params)} argument(s), got {len(args)}")
            return self._call_body(fn, dict(zip(params, args)))
        if name in CALLABLE:
            if any(isinstance(a, (tuple, list)) for a in args):
                if len(args) == 1 and name in ("max", "min", "sort"):
                    args = list(args[0])
                else:
                    raise _error(e, f"{name} takes scalar arguments")
            try:
                return self.builder.call(name, args)
            except CallError as exc:
                raise _error(e, str(exc)) from None
            except SelcalcError as exc:
                raise _error(e, f"{name}: {exc}") from None
        raise _error(e, f"call to unknown function {name!r} (supported: "
                        f"{', '.join(CALLABLE)}, and functions defined in the same source)",
                     "call")


class _Unbound:
    """A variable assigned in only one branch of an if: an error only if it is read."""

    def __init__(self, stmt):
        self.line = getattr(stmt, "lineno", None)

    def __deepcopy__(self, memo):
        return self


def _copy_env(env):
    """A copy of the environment in which every list is new (aliasing kept)."""
    return copy.deepcopy(env)


def _rebuild(template, chosen, memo):
    """The merged value from a template of :meth:`_Parser._merge` and the chosen leaves."""
    if isinstance(template, int):
        return chosen[template]
    kind, items = template
    if kind == "unbound":
        return items
    if id(template) in memo:
        return memo[id(template)]
    if kind is list:
        out = memo[id(template)] = []
        out.extend(_rebuild(t, chosen, memo) for t in items)
        return out
    out = memo[id(template)] = kind(_rebuild(t, chosen, memo) for t in items)
    return out


def _returns(stmt):
    """Whether an if statement contains a return (then its branches are handled apart)."""
    return any(isinstance(n, ast.Return) for n in ast.walk(stmt))
