"""What the ``selcalc check`` report shows about Clarke sets and imported programs."""

from __future__ import annotations

import inspect
import json

import pytest

import selcalc
from selcalc.report import check_report, render_report


def test_clarke_exact_despite_undecided_patterns_says_why():
    # near (0, 1), exp(x*y) - 1 has the sign of x, so f = 2*relu(x) and the Clarke
    # subgradient is [0, 2] x {0}; the mixed patterns of the two relus are not decided
    # essential or not, but their gradients lie in that hull
    P = selcalc.parse("def f(x, y):\n    return relu(exp(x*y) - 1) + relu(x)")
    report = check_report(P, "0, 1")
    C = report["clarke"]
    assert C["exact"] is True and C["vertices"] == [["0", "0"], ["2", "0"]]
    assert C["undecided"] and all(set(p) == {"x6", "x7"} for p in C["undecided"])
    assert "hull" in C["settled"]
    text = render_report(report)
    assert f"exact although {len(C['undecided'])} pattern(s) stay undecided" in text
    json.dumps(report)


def test_clarke_fully_decided_has_no_settled_entry():
    P = selcalc.parse("def f(x):\n    return relu(x) - relu(-x)")
    C = check_report(P, "0")["clarke"]
    assert C["set"] == "{1}" and "undecided" not in C and "settled" not in C
    assert "exact although" not in render_report(check_report(P, "0"))


def _torch_program():
    torch = pytest.importorskip("torch")

    def f(t):
        return torch.relu(t).sum()  # the tied node comes from this line

    line = inspect.getsourcelines(f)[1] + 1
    return selcalc.from_torch(f, torch.zeros(1)), line


def test_ties_of_an_imported_program_name_their_origin():
    P, line = _torch_program()
    report = check_report(P, (0,))
    (tie,) = report["ties"]
    origin = tie["origin"]
    assert origin["op"] == "relu" and origin["function"] == "f"
    assert origin["file"] == "test_report.py" and origin["line"] == line
    assert f"from relu in f, test_report.py, line {line}" in render_report(report)
    json.dumps(report)


def test_ties_of_a_parsed_program_have_no_origin():
    report = check_report(selcalc.parse("def f(x):\n    return relu(x)"), "0")
    assert report["ties"] and "origin" not in report["ties"][0]
