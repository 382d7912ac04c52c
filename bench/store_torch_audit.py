"""Measure the installed torch with ``selcalc.audit("torch")`` and store the rows in
``tests/data/audit_torch_<major>.<minor>.json``, the files that
``tests/test_audit.py`` checks against each version's preset.

The stored form is ``selcalc audit torch --json`` with every exact number written as a
string (``"0"``, ``"1/3"``; the points stay as they were given) and ``compared_value``,
``ulps`` and ``note`` kept only on the rows marked ``rounded`` (elsewhere they repeat the
library's value or are empty).  Run it once per torch version, each in its own
environment, from the repository root::

    PYTHONPATH=. python bench/store_torch_audit.py           # writes the file, prints a summary
    PYTHONPATH=. python bench/store_torch_audit.py --check   # compare with the stored file only

A row that does not match the preset is printed; fix the rule in
``selcalc/libraries/table.py`` and run again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import selcalc  # noqa: E402
from selcalc.libraries.audit import to_json  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
KEEP = {"op", "case", "point", "mode", "preset", "match", "in_clarke", "verdict",
        "rounded", "note"}          # written as they are; every other field is numbers
ROUNDED_ONLY = ("compared_value", "ulps", "note")


def _as_strings(v):
    if isinstance(v, list):
        return [_as_strings(u) for u in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _show(values):
    return "(" + ", ".join(str(v) for v in values) + ")"


def stored_form(rows):
    """The audit rows as the stored JSON text."""
    out = []
    for r in json.loads(to_json(rows)):
        r = {k: (v if k in KEEP else _as_strings(v)) for k, v in r.items()}
        if not r["rounded"]:
            for k in ROUNDED_ONLY:
                r.pop(k)
        out.append(r)
    return json.dumps(out, indent=1) + "\n"


def main(argv=None):
    import torch
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="only compare with the stored file; write nothing")
    args = ap.parse_args(argv)
    version = torch.__version__.split("+")[0]
    path = DATA / f"audit_torch_{'.'.join(version.split('.')[:2])}.json"
    rows = selcalc.audit("torch")
    text = stored_form(rows)
    bad = [r for r in rows if r.match is False]
    unknown = [r for r in rows if r.match is None]
    print(f"torch {torch.__version__}, preset {rows[0].preset}: {len(rows)} rows, "
          f"{len(bad)} mismatches, {len(unknown)} unknown "
          f"({', '.join(sorted({r.op for r in unknown})) or 'none'}), "
          f"{sum(r.rounded for r in rows)} rounded")
    for r in bad:
        print(f"  NO  {r.case} at {_show(r.point)} ({r.mode}): library "
              f"{_show(r.library_value)}, preset {_show(r.preset_value)}")
    if args.check:
        same = path.exists() and path.read_text() == text
        print(f"{path.name}: {'the same' if same else 'differs'}")
        return 0 if same else 1
    path.write_text(text)
    print(f"wrote {path.relative_to(DATA.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
