"""``selcalc.audit`` on the installed libraries: every measured kink matches the preset of
the installed version, and the verdicts agree with hand derivations."""

from __future__ import annotations

from fractions import Fraction

import pytest

import selcalc
from selcalc.cli import main
from tests.test_models_rules import _torch_rule

pytestmark = [pytest.mark.frameworks,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def torch_rows():
    pytest.importorskip("torch")
    return selcalc.audit("torch")


#: the float64 nearest to 1/3, what torch returns for an even three-way split
THIRD = Fraction(6004799503160661, 18014398509481984)


def _row(rows, case, point, mode="backward"):
    return next(r for r in rows if r.case == case and r.point == point and r.mode == mode)


def test_torch_audit_matches_preset_and_verdicts(torch_rows):
    import torch
    rows = torch_rows
    bad = [r for r in rows if r.match is False]
    # torch.topk, kthvalue and median(x, dim) return the tied entry their selection algorithm
    # meets (topk of four equal entries: indices 2, 3, 0; median(x, 0): index 1;
    # tests/test_sort_implicit.py): the preset names no rule at a tie, the gradient is
    # unknown, and torch's value is one of the tied orders
    unknown = [r for r in rows if r.match is None]
    assert unknown and {r.op for r in unknown} == {"topk", "median_dim", "kthvalue"}
    assert _row(rows, "median(x, dim=0)", (1, 1, 1, 1)).library_value == (0, 1, 0, 0)
    assert _row(rows, "kthvalue(x, 2)", (1, 0, 0, 0), "forward").library_value == (0, 0, 0, 1)
    assert all(r.preset_value is None and r.verdict == "selection" for r in unknown)
    assert "unknown, not wrong" in selcalc.libraries.audit.render(rows)
    if torch.__version__.startswith("2.13"):
        # clamp(x, lo, hi) with tensor bounds at lo == hi > x: the function is min(lo, hi)
        # there, Clarke = conv{(0,1,0), (0,0,1)}, and torch 2.13's reverse mode returns
        # (0, 0, 0): outside the conservative field, so no rule over the tied pieces gives it
        assert [(r.case, r.point, r.mode) for r in bad] == \
            [("clamp(x0, x1, x2)", (-1, 0, 0), "backward")]
        assert bad[0].library_value == (0, 0, 0)
        assert bad[0].verdict == "outside the conservative field" and bad[0].in_clarke is False
    else:
        assert rows and not bad, bad
    # hardtanh / relu6 at a bound: the constant piece, a selection inside Clarke
    r = _row(rows, "relu6(x)", (6,))
    assert r.library_value == (0,) and r.verdict == "selection" and r.in_clarke is True
    # a flat amax: the even split, an average of the three tied pieces
    # a flat amax: the even split, an average of the three tied pieces up to float rounding:
    # torch returns the float64 nearest 1/3 (1/3 ulp below it), reported as that binary
    # value and marked as a rounded reading, not as the exact 1/3
    r = _row(rows, "amax(x)", (1, 1, 1))
    assert r.library_value == (THIRD,) * 3 and r.compared_value == (Fraction(1, 3),) * 3
    assert r.rounded and r.ulps == Fraction(1, 3) and "1/3 ulp" in r.note
    assert r.verdict == "average of tied pieces (up to float rounding)"
    # clamp with lo == hi is the constant 0: Clarke is {0}
    r = _row(rows, "clamp(x, 0, 0)", (0,))
    assert r.clarke == ((0,),)
    assert r.in_clarke is (r.library_value == (0,))


def test_torch_audit_new_ops_hand_derived(torch_rows):
    rows = torch_rows
    # prelu at 0: the slope in reverse mode, 1 in forward mode (both tied pieces)
    assert _row(rows, "prelu(x0, x1)", (0, 0.25)).library_value == (Fraction(1, 4), 0)
    assert _row(rows, "prelu(x0, x1)", (0, 0.25), "forward").library_value == (1, 0)
    # hardswish at 3: pieces x(x+3)/6 (slope 3/2) and x (slope 1); torch takes x
    r = _row(rows, "hardswish(x)", (3,))
    assert r.library_value == (1,) and r.ad_outputs == ((1,), (Fraction(3, 2),))
    # selu'(0) = scale * alpha, a product of two float constants: rounded in the library
    r = _row(rows, "selu(x)", (0,))
    assert r.rounded and r.match and r.verdict == "selection (up to float rounding)"
    assert r.library_value == (Fraction(1.7580993408473766),) != r.compared_value
    # median of three equal entries: 1/3 each, an average (not a selection)
    r = _row(rows, "median(x)", (1, 1, 1))
    assert r.library_value == (THIRD,) * 3 and r.rounded
    assert r.verdict == "average of tied pieces (up to float rounding)"


def test_jax_audit_matches_preset():
    pytest.importorskip("jax")
    rows = selcalc.audit("jax")
    assert not [r for r in rows if r.match is False]
    # unknown only in forward mode at padded windows whose tied entries have no
    # componentwise-first one: (0, 1), (1, 0) (jax 0.10.2's jvp takes (1, 0), its vjp (0, 1))
    unknown = [(r.op, r.case, r.point, r.mode) for r in rows if r.match is None]
    assert {(op, mode) for op, _, _, mode in unknown} == {("reduce_window_max_padded",
                                                           "forward")}
    assert ("reduce_window_max_padded", "max pool 2x2, padding 1, window [1, 1]",
            (0, 1, 1, 0), "forward") in unknown
    pools = [r for r in rows if r.op.startswith("reduce_window_max")]
    assert {r.mode for r in pools} == {"forward", "backward"}
    assert any("padding" in r.case and "stride" in r.case for r in pools)
    assert any("1-D" in r.case for r in pools) and any("NCHW" in r.case for r in pools)
    r = _row(rows, "jnp.clip(x, 0, 0)", (0,))
    # min(0, max(0, x)) at 0: two 1/2-1/2 ties, 1/4; the function is constant, Clarke {0}
    assert r.library_value == (Fraction(1, 4),) and r.in_clarke is False
    assert r.verdict == "average of tied pieces"


def test_cli_audit_json_and_errors(capsys):
    pytest.importorskip("tensorflow")
    assert main(["audit", "tensorflow", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"verdict": "selection"' in out and '"match": false' not in out
    assert main(["audit", "tensorflow", "--preset", "nope", "--json"]) == 2
    assert '"error"' in capsys.readouterr().err


def test_docs_tables_are_the_rule_table():
    from pathlib import Path
    from selcalc.libraries.table import markdown
    text = (Path(__file__).parent.parent / "docs" / "models.md").read_text()
    for library in ("torch", "jax", "tensorflow"):
        assert markdown(library) in text, library


def test_stored_measurements_of_every_torch_version_match_its_preset():
    """Every row of ``selcalc audit torch --json`` run on each measured version (stored in
    tests/data by bench/store_torch_audit.py, e.g. torch 2.14.1 from its own environment)
    against that version's preset, recomputed here with the installed torch's graph
    capture."""
    import json
    from pathlib import Path
    torch = pytest.importorskip("torch")
    from selcalc.libraries.audit import _torch_cases
    from selcalc.libraries.measure import reading
    from selcalc.numbers import to_exact
    from selcalc.libraries import measured_versions
    cases = {label: fn for _, label, fn, _ in _torch_cases()[0]}
    files = sorted((Path(__file__).parent / "data").glob("audit_torch_*.json"))
    versions = {f.stem.rsplit("_", 1)[1] for f in files}
    assert set(measured_versions("torch")) <= versions
    for f in files:
        preset = "pytorch@" + f.stem.rsplit("_", 1)[1]
        rows = json.loads(f.read_text())
        assert {r["case"] for r in rows} == set(cases), f.name  # every op's row is there
        for r in rows:
            P = selcalc.from_torch(cases[r["case"]], torch.tensor(
                [float(Fraction(v)) for v in r["point"]], dtype=torch.float64))
            try:
                ours = selcalc.grad(P, tuple(Fraction(v) for v in r["point"]),
                                    convention=preset, mode=r["mode"])
            except selcalc.Undecided:  # no rule at a topk / kthvalue / median(x, dim) tie
                assert r["case"].startswith(("topk", "kthvalue", "median(x, dim")), r
                continue
            lib = [Fraction(v) for v in r["library_value"]]
            assert all(Fraction(float(v)) == v for v in lib), r  # the floats' exact values
            ours = tuple(to_exact(v) for v in ours)
            pts = sorted(tuple(Fraction(c) for c in v) for v in r["ad_outputs"])
            seen = reading([float(v) for v in lib], [ours] + pts)
            assert (seen.value == ours, seen.rounded) == (r["match"], r["rounded"]), \
                (f.name, r["case"], r["point"], r["mode"], ours, lib)
            assert r["verdict"].endswith("(up to float rounding)") == r["rounded"], r


def test_audit_reports_the_exact_float_and_never_rounds_silently(monkeypatch):
    """A library float near a small fraction is not read as that fraction: 0.3333333333334
    (about 450 ulp above 1/3) against a preset of 1/3 is a mismatch, and the float nearest
    1/3 matches only "up to float rounding", marked as such in the row, table and JSON."""
    pytest.importorskip("torch")
    from selcalc.libraries import audit as A
    real = A.BACKENDS["torch"]

    def one_case(value):
        def backend():
            cases, grad, program, version = real()
            case = [c for c in cases if c[1] == "amax(x)"]
            return ([(op, label, fn, [(1, 1, 1)]) for op, label, fn, _ in case],
                    lambda fn, point, mode: [value] * 3, program, version)
        return backend

    monkeypatch.setitem(A.BACKENDS, "torch", one_case(0.3333333333334))
    rows = A.audit("torch")
    assert all(r.match is False and not r.rounded for r in rows)
    assert rows[0].library_value == (Fraction(0.3333333333334),) * 3
    assert rows[0].verdict == "outside the conservative field"
    monkeypatch.setitem(A.BACKENDS, "torch", one_case(1 / 3))
    rows = A.audit("torch")
    assert all(r.match and r.rounded and r.library_value == (THIRD,) * 3 for r in rows)
    text, data = A.render(rows), A.to_json(rows)
    assert "yes (rounded)" in text and "up to float rounding" in text
    assert '"rounded": true' in data and '"6004799503160661/18014398509481984"' in data


def test_custom_rule_value_is_the_exact_float():
    """A rule relu'(0) = 1/3 returns the float64 nearest 1/3: reported as that float (in
    the Clarke set [0, 1], an average of the tied pieces), not as 1/3."""
    Third = _torch_rule(lambda x: (x > 0).double() + (x == 0).double() / 3)
    r = selcalc.audit(Third, points=[(0,)])
    row = r.rows[0]
    assert row.rule_value == row.float_value == (THIRD,) and not row.rounded
    assert row.verdict == "average of tied pieces" and row.in_clarke is True


def test_custom_rule_is_compared_at_the_float_point_the_library_sees():
    """Along the diagonal (1, -1/2, 1/3) the sampled points are not float64: the rule is
    asked at the float64 nearest, and the exact gradient is taken at that same point (not
    at the exact point the library never sees).  A point entry that is not a float64 is
    refused with an InputError instead of comparing two different points."""
    torch = pytest.importorskip("torch")
    r = selcalc.audit(lambda x: torch.relu(x[0] + x[1] - x[2]), points=[(0, 0, 0)])
    diag = [c for c in r.curves if c.direction[2] == Fraction(1, 3)]
    assert diag and all(c.at and all(Fraction(float(v)) == v for v in c.at) for c in diag)
    assert any(c.at[2] != c.t / 3 for c in diag)  # t/3 itself is not a float
    assert r.conservative_on_curves
    with pytest.raises(selcalc.InputError, match="not a float64"):
        selcalc.audit(lambda x: torch.relu(x[0]), points=[("1/3",)])
    with pytest.raises(selcalc.InputError, match="not a float64"):
        selcalc.audit(lambda x: torch.relu(x[0]), points=[("sqrt(2)",)])
