"""The ``selcalc`` command line: check a program at a point, run the casebook, prove things.

Examples::

    selcalc check --example identity
    selcalc check my_program.py --function f --at "0, 1/2" --convention pytorch
    selcalc check my_program.py --at -1,2 --json
    selcalc check my_program.py --at 0,0 --time-limit 30 --max-cells 100000

The contract: a run that cannot answer exits with status 2 and prints
``selcalc: error: <what went wrong and what to do>`` on stderr; under ``--json`` stdout
then holds ``{"error": {"type": ..., "message": ...}}``.  An unexpected failure inside
selcalc exits with status 1 and asks for a report, without a traceback.

>>> main(["prove", "lemma1", "--p", "5", "--m", "3"])
2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from . import __version__
from .errors import SelcalcError, count_str
from .points import long_integers

EPILOG = """examples:
  selcalc check --example identity            the paper's identity program at 0
  selcalc check prog.py --at "0, 1/2"         every convention, ties, derivative sets
  selcalc check prog.py --at -1,2 --json      the same report for machines
  selcalc check prog.py --at 0,0 --time-limit 30
                                              at most 30 s per set-valued section
  selcalc casebook                            run and render the casebook
  selcalc prove lemma1 --p 2 --m 12           Lemma 1 (forward = backward) symbolically
  selcalc theorems --quick                    the theorem regression over the casebook
  selcalc audit torch                         the installed torch's rules at every kink
"""

THEOREMS_HELP = ("theorem regression over the casebook (selcalc theorems --help lists "
                 "--case NAME, --theorem KEY, --quick)")


class UsageError(SelcalcError):
    """The command line itself is wrong (unknown option, missing value ...)."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser that raises :class:`UsageError` instead of exiting."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def _load(args):
    from .examples import EXAMPLES
    from .frontends import parse
    from .points import read_source_file
    if args.example:
        if args.example not in EXAMPLES:
            raise SelcalcError(f"unknown example {args.example!r}; choose from "
                               f"{', '.join(sorted(EXAMPLES))}")
        source, name, at = EXAMPLES[args.example]
        return parse(source, name), args.at or at
    if not args.file:
        raise SelcalcError("give a Python file to check, or --example NAME")
    source = read_source_file(args.file)
    if args.at is None:
        raise SelcalcError("give the point with --at, e.g. --at \"0, 1/2\"")
    try:
        return parse(source, args.function), args.at
    except SelcalcError as exc:
        raise _prefixed(exc, args.file) from None


def _prefixed(exc, where):
    """``exc`` with its message prefixed by ``where`` (same class, attributes kept)."""
    exc.args = (f"{where}: {exc}",) + exc.args[1:]
    return exc


def split_point(text):
    """The coordinates of a ``--at`` value: comma- or space-separated.

    >>> split_point("0, 1/2"), split_point("0 0"), split_point("-1 1 / 3")
    (['0', '1/2'], ['0', '0'], ['-1', '1/3'])
    """
    if "," in text:
        return [s.strip() for s in text.split(",") if s.strip()]
    text = re.sub(r"\s*(\*\*|[/*^])\s*", r"\1", text.strip())
    return text.split()


def _seconds(text):
    """``--time-limit`` value: a positive, finite number of seconds.

    >>> _seconds("2.5")
    2.5
    """
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds "
                                         f"(e.g. --time-limit 30)")
    return value


def _count(text):
    """``--max-patterns`` / ``--max-cells`` value: a positive integer.

    >>> _count("4096")
    4096
    """
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer (e.g. 100000)")
    return value


class ProgressLine:
    """A one-line progress counter on a stream (``\\r``-rewritten, cleared at the end).

    >>> import io
    >>> from selcalc.budget import Progress
    >>> out = io.StringIO()
    >>> line = ProgressLine(out)
    >>> line(Progress("clarke", 12, None, 0.5)); line.close()
    >>> out.getvalue().split("\\r")[1].strip()
    'clarke: 12 done, 0.5 s'
    """

    def __init__(self, stream):
        self.stream, self.width = stream, 0

    def __call__(self, record):
        total = f"/{record.total}" if record.total else ""
        text = f"{record.what}: {record.done}{total} done, {record.elapsed:.1f} s"
        self.width = max(self.width, len(text))
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()

    def close(self):
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def cmd_check(args):
    from .report import check_report, estimate, render_report
    P, at = _load(args)
    if isinstance(at, str):
        at = split_point(at)
    try:
        P.coerce_point(at)
    except SelcalcError as exc:
        raise _prefixed(exc, f"bad point --at {args.at or ', '.join(at)!r}") from None
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    line = ProgressLine(sys.stderr) if show else None
    if line is not None:
        est = estimate(P, at, args.max_patterns)
        print(f"selcalc: {count_str(est['tie_patterns'])} tie pattern(s) at the point, "
              f"{count_str(est['patterns'])} pattern(s) in all", file=sys.stderr)
    try:
        report = check_report(P, at, conventions=args.convention,
                              certificates=args.certificates, time_limit=args.time_limit,
                              max_patterns=args.max_patterns, max_cells=args.max_cells,
                              progress=line)
    finally:
        if line is not None:
            line.close()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render_report(report))
    return 0


def cmd_casebook(args):
    from casebook.runner import main as casebook_main
    return casebook_main(out=args.out, only=args.case)


def cmd_prove(args):
    if args.what != "lemma1":
        raise SelcalcError(f"unknown statement {args.what!r}; available: lemma1")
    from .theorems.lemma1 import prove_lemma1
    if not 1 <= args.p <= args.m:
        raise SelcalcError(f"Lemma 1 needs 1 <= p <= m (p inputs among m nodes); got "
                           f"--p {args.p} --m {args.m}")
    verdict = prove_lemma1(args.p, args.m)
    if args.json:
        print(json.dumps({"holds": verdict.holds, "claim": verdict.claim,
                          "checked": [str(c) for c in verdict.checked]}, indent=2))
        return 0 if verdict.holds is True else 1
    print(verdict)
    for line in verdict.checked:
        print(f"  checked: {line}")
    return 0 if verdict.holds is True else 1


def cmd_theorems(argv):
    try:
        from .theorems.regression import main as theorems_main
    except ImportError:
        raise SelcalcError("the theorem regression (selcalc.theorems.regression) is not "
                           "available in this version") from None
    return theorems_main(argv)


def cmd_audit(args):
    from .libraries.audit import render, to_json
    from .libraries.audit import audit as run_audit
    try:
        rows = run_audit(args.library, args.preset)
    except SelcalcError as exc:
        if args.json:
            print(json.dumps({"error": str(exc)}), file=sys.stderr)
            return 2
        raise
    print(to_json(rows) if args.json else render(rows))
    return 0


def build_parser():
    parser = _Parser(
        prog="selcalc", description="Exact answers to what automatic differentiation "
        "computes on nonsmooth programs.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"selcalc {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="report AD outputs and derivative sets at a point",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("file", nargs="?", help="Python source with one or more defs")
    check.add_argument("--function", help="which def to take (default: the first)")
    check.add_argument("--at", help='the point, read exactly: "0, 1/2", "0 1/2" or -1,2')
    check.add_argument("--convention", action="append",
                       help="convention(s) to report (default: all presets)")
    check.add_argument("--example", help="a built-in example instead of a file "
                       "(identity, zero, relu2, relu3, max, abs-sum)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--certificates", action="store_true", help="include certificates")
    check.add_argument("--time-limit", type=_seconds, metavar="SECONDS",
                       help="seconds allowed to each set-valued section (AD outputs, index "
                       "closure, Clarke set, artificial critical point); a section that "
                       "runs out says 'stopped: time_limit' (the Clarke set gives the "
                       "bounds reached) and the verdicts resting on it are unknown "
                       "(default: no limit)")
    check.add_argument("--max-patterns", type=_count, metavar="N",
                       help="pattern budget of the enumerations (default: 65536 tie "
                       "choices for the AD outputs, 4096 patterns for the index closure)")
    check.add_argument("--max-cells", type=_count, metavar="N",
                       help="budget of nodes of the Clarke cell search (default: none)")
    check.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="a progress counter on stderr, after the pattern counts "
                       "(default: only when stderr is a terminal)")
    check.set_defaults(func=cmd_check)

    cb = sub.add_parser("casebook", help="run every casebook case and render it")
    cb.add_argument("--out", default="casebook/out", help="folder for the rendering "
                    "(created if missing; casebook.md inside it is overwritten)")
    cb.add_argument("--case", help="run only these cases (comma-separated names)")
    cb.set_defaults(func=cmd_casebook)

    prove = sub.add_parser("prove", help="prove a statement symbolically")
    prove.add_argument("what", help="lemma1")
    prove.add_argument("--p", type=int, default=2, help="number of inputs (1 <= p <= m)")
    prove.add_argument("--m", type=int, default=12, help="number of nodes")
    prove.add_argument("--json", action="store_true", help="machine-readable output")
    prove.set_defaults(func=cmd_prove)

    sub.add_parser("theorems", help=THEOREMS_HELP, add_help=False)

    au = sub.add_parser("audit", help="measure an installed AD library at every kink of "
                        "its ops and compare with selcalc's preset")
    au.add_argument("library", choices=["torch", "jax", "tensorflow"])
    au.add_argument("--preset", help="compare with this preset (default: the installed "
                    "version's)")
    au.add_argument("--json", action="store_true", help="machine-readable output")
    au.set_defaults(func=cmd_audit)
    return parser


def _fix_at(argv):
    """Glue ``--at VALUE`` into ``--at=VALUE`` so that ``--at -1,2`` is not read as a flag."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--at" and i + 1 < len(argv):
            out.append(f"--at={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def _error_json(exc, internal=False):
    body = {"type": type(exc).__name__, "message": str(exc)}
    if internal:
        body["internal"] = True
    for attr in ("line", "col", "node", "point", "count", "budget"):
        value = getattr(exc, attr, None)
        if value is not None:
            body[attr] = value if isinstance(value, (int, str)) else str(value)
    return json.dumps({"error": body}, indent=2)


def _fail(exc, as_json, internal=False):
    if internal:
        print(f"selcalc: error: internal error ({type(exc).__name__}: {exc}); this is a bug "
              f"in selcalc, please report it with the command line that caused it",
              file=sys.stderr)
    else:
        print(f"selcalc: error: {exc}", file=sys.stderr)
    if as_json:
        print(_error_json(exc, internal))
        sys.stdout.flush()
    return 1 if internal else 2


def _run(argv, as_json):
    if argv and argv[0] == "theorems":
        return cmd_theorems(argv[1:])
    parser = build_parser()
    args = parser.parse_args(_fix_at(argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


def main(argv=None):
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    with long_integers():  # exact results may have more digits than str() allows
        return _main(argv, as_json)


def _main(argv, as_json):
    try:
        try:
            code = _run(argv, as_json)
            sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
            return code
        except SystemExit as exc:  # --help, --version, or a sub-parser's own exit
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except SelcalcError as exc:
            return _fail(exc, as_json)
        except (OSError, RecursionError, MemoryError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            return _fail(SelcalcError(f"{type(exc).__name__}: {exc}"), as_json)
        except KeyboardInterrupt:
            print("selcalc: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001 - last resort: no traceback for users
            return _fail(exc, as_json, internal=True)
    except BrokenPipeError:
        # the reader (``| head``) went away: stop quietly, like other command-line tools
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141


if __name__ == "__main__":
    sys.exit(main())
