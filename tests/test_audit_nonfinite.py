"""A library (or a user's rule) that returns nan or inf at a kink is reported, not a crash:
the row shows the value, lies in no set, and its verdict says so."""

from __future__ import annotations

import json

import pytest

import selcalc
from tests.test_models_rules import _torch_rule

pytestmark = [pytest.mark.frameworks,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_library_audit_row_for_a_non_finite_derivative(monkeypatch, bad):
    pytest.importorskip("torch")
    from selcalc.libraries import audit as A
    real = A.BACKENDS["torch"]

    def backend():
        cases, grad, program, version = real()
        case = [c for c in cases if c[1] == "amax(x)"]
        return ([(op, label, fn, [(1, 1, 1)]) for op, label, fn, _ in case],
                lambda fn, point, mode: [bad, 0.5, 0.5], program, version)
    monkeypatch.setitem(A.BACKENDS, "torch", backend)
    rows = A.audit("torch")
    assert rows and all(r.match is False and r.in_clarke is False for r in rows)
    assert all(r.verdict == "not a number: outside the conservative field" for r in rows)
    assert rows[0].library_value[0] == str(bad) and rows[0].compared_value is None
    assert str(bad) in A.render(rows)
    data = json.loads(A.to_json(rows))  # strict JSON: the value is a string
    assert data[0]["library_value"][0] == str(bad)


def test_custom_rule_returning_nan_is_reported():
    torch = pytest.importorskip("torch")
    Nan = _torch_rule(lambda x: torch.where(x == 0, torch.full_like(x, float("nan")),
                                            (x > 0).double()))
    r = selcalc.audit(Nan, points=[(0,)])
    row = r.rows[0]
    assert row.rule_value is None and row.float_value == ("nan",)
    assert row.in_clarke is False and "not a number" in row.verdict
    assert "(nan)" in r.render()
