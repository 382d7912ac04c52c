"""The ``selcalc`` command line: check a program at a point, run the casebook, prove things.

Examples::

    selcalc check --example identity
    selcalc check my_program.py --function f --at "0, 1/2" --convention pytorch
    selcalc check my_program.py --at 0 --json
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import SelcalcError

EPILOG = """examples:
  selcalc check --example identity            the paper's identity program at 0
  selcalc check prog.py --at "0, 1/2"         every convention, ties, derivative sets
  selcalc check prog.py --at 0 --json         the same report for machines
  selcalc casebook                            run and render the casebook
  selcalc prove lemma1 --p 2 --m 12           Lemma 1 (forward = backward) symbolically
  selcalc theorems                            the theorem regression over the casebook
  selcalc audit torch                         the installed torch's rules at every kink
"""


def _load(args):
    from .examples import EXAMPLES
    from .frontends import parse
    if args.example:
        if args.example not in EXAMPLES:
            raise SelcalcError(f"unknown example {args.example!r}; choose from "
                               f"{', '.join(sorted(EXAMPLES))}")
        source, name, at = EXAMPLES[args.example]
        return parse(source, name), args.at or at
    if not args.file:
        raise SelcalcError("give a Python file to check, or --example NAME")
    try:
        with open(args.file, encoding="utf-8") as fh:
            source = fh.read()
    except OSError as exc:
        raise SelcalcError(f"cannot read {args.file}: {exc.strerror}") from None
    if args.at is None:
        raise SelcalcError("give the point with --at, e.g. --at \"0, 1/2\"")
    try:
        return parse(source, args.function), args.at
    except SelcalcError as exc:
        raise SelcalcError(f"{args.file}: {exc}") from None


def cmd_check(args):
    from .report import check_report, render_report
    P, at = _load(args)
    try:
        P.coerce_point(at)
    except SelcalcError as exc:
        raise SelcalcError(f"bad point --at {at!r}: {exc}") from None
    report = check_report(P, at, conventions=args.convention, certificates=args.certificates)
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
    verdict = prove_lemma1(args.p, args.m)
    print(verdict)
    for line in verdict.checked:
        print(f"  checked: {line}")
    return 0 if verdict.holds is True else 1


def cmd_theorems(args):
    try:
        from .theorems.regression import main as theorems_main
    except ImportError:
        raise SelcalcError("the theorem regression (selcalc.theorems.regression) is not "
                           "available in this version") from None
    return theorems_main(args.extra)


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
    parser = argparse.ArgumentParser(
        prog="selcalc", description="Exact answers to what automatic differentiation "
        "computes on nonsmooth programs.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")

    check = sub.add_parser("check", help="report AD outputs and derivative sets at a point",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("file", nargs="?", help="Python source with one or more defs")
    check.add_argument("--function", help="which def to take (default: the first)")
    check.add_argument("--at", help='the point, e.g. "0, 1/2" (read exactly; write '
                       '--at=-1,2 when it starts with a minus sign)')
    check.add_argument("--convention", action="append",
                       help="convention(s) to report (default: all presets)")
    check.add_argument("--example", help="a built-in example instead of a file "
                       "(identity, zero, relu2, relu3, max, abs-sum)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--certificates", action="store_true", help="include certificates")
    check.set_defaults(func=cmd_check)

    cb = sub.add_parser("casebook", help="run every casebook case and render it")
    cb.add_argument("--out", default="casebook/out", help="folder for the rendering")
    cb.add_argument("--case", help="run only these cases (comma-separated names)")
    cb.set_defaults(func=cmd_casebook)

    prove = sub.add_parser("prove", help="prove a statement symbolically")
    prove.add_argument("what", help="lemma1")
    prove.add_argument("--p", type=int, default=2)
    prove.add_argument("--m", type=int, default=12)
    prove.set_defaults(func=cmd_prove)

    th = sub.add_parser("theorems", help="theorem regression over the casebook "
                        "(options: --case NAME, --theorem KEY, --quick)")
    th.set_defaults(func=cmd_theorems)

    au = sub.add_parser("audit", help="measure an installed AD library at every kink of "
                        "its ops and compare with selcalc's preset")
    au.add_argument("library", choices=["torch", "jax", "tensorflow"])
    au.add_argument("--preset", help="compare with this preset (default: the installed "
                    "version's)")
    au.add_argument("--json", action="store_true", help="machine-readable output")
    au.set_defaults(func=cmd_audit)
    return parser


def main(argv=None):
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "func", None) is not cmd_theorems:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except SelcalcError as exc:
        print(f"selcalc: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
