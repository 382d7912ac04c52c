"""selcalc.scan beyond the digits: the library's floats read exactly, float ties per input.

Oracles: the library's float is its binary value (``Fraction(float)``), never its
decimal repr; the planted float32 tie is checked in torch itself before selcalc sees it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import selcalc
from selcalc.libraries.scan import library_equal, summary

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.frameworks


def test_library_float_0_1_is_not_one_tenth():
    """torch's gradient of x/10 is the float 0.1 = 3602879701896397/2**55; the exact
    gradient is 1/10.  Reading the float through its repr ("0.1") would call them equal."""
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    row, = selcalc.scan(lambda t: (t / 10).sum(), [x], progress=False)
    assert row.gradient == (Fraction(1, 10), Fraction(1, 10))
    assert row.library_equal is False
    assert Fraction(str(0.1)) == Fraction(1, 10) != Fraction(0.1)  # the trap itself
    # multiplying by the float 0.1 instead: the exact gradient is that float, equal
    row, = selcalc.scan(lambda t: (t * 0.1).sum(), [x], progress=False)
    assert row.gradient == (Fraction(0.1), Fraction(0.1)) and row.library_equal is True


def test_irrational_exact_gradient_is_compared_not_crashed():
    """d/dx exp(x) at 1 is e: no float equals it (the old repr-based check raised)."""
    x = torch.tensor([1.0], dtype=torch.float64)
    row, = selcalc.scan(lambda t: torch.exp(t).sum(), [x], progress=False)
    assert row.library_equal is False
    assert library_equal([0.5], [Fraction(1, 2)]) is True
    assert library_equal([0.5, 1.0], [Fraction(1, 2)]) is False  # lengths differ
    assert library_equal([float("nan")], [0]) is False


W = 1 + 2.0 ** -12          # float32: W*W = 1 + 2**-11 + 2**-24 rounds (half to even)
B = -(1 + 2.0 ** -11)       # to 1 + 2**-11, so W*x + B is exactly 0 in float32


def planted(t):
    w = torch.tensor(W, dtype=t.dtype)
    b = torch.tensor(B, dtype=t.dtype)
    return torch.relu(t * w + b).sum()


def test_float32_rounds_w_x_plus_b_to_zero_and_scan_reports_the_created_tie():
    x32 = torch.tensor([W, 2.0], dtype=torch.float32)
    # the planted case, checked in torch: float32 gives exactly 0, the exact value 2**-24
    assert (x32 * torch.tensor(W, dtype=torch.float32) + B)[0].item() == 0.0
    assert Fraction(W) * Fraction(W) + Fraction(B) == Fraction(1, 2 ** 24)
    row, = selcalc.scan(planted, [x32], float_ties=True, progress=False)
    assert row.ties == {}  # exactly: no tie
    (tie,) = row.float_ties
    assert (tie.kind, tie.origin.op, tie.float_active) == ("created", "relu", (0, 1))
    assert tie.float_arguments == (0.0,)
    s = summary([row])
    assert s["float_ties_by_kind"] == {"created": 1} and s["images_with_float_ties"] == 1
    # float64 computes 1 + 2**-11 + 2**-24 exactly: no float tie there
    x64 = x32.double()
    row, = selcalc.scan(planted, [x64], float_ties=True, progress=False)
    assert row.ties == {} and row.float_ties == []
    assert "float_ties_by_kind" not in summary(
        selcalc.scan(planted, [x64], progress=False))


def test_float_ties_rounds_an_exact_point_once_to_float32():
    """x = 1 + 2**-24 + 2**-60 for a float32 input: rounded once (to nearest even) it is
    1 + 2**-23, so x - 1 is 2**-23 in float32 and relu has no tie, as exactly.  Rounded
    twice (to float64: 1 + 2**-24, a float32 midpoint; then to float32: 1) the library
    would compute relu(0), a created tie that the library never meets from this point."""
    from selcalc.libraries.floats import nearest_float
    q = 1 + Fraction(1, 2 ** 24) + Fraction(1, 2 ** 60)
    assert torch.tensor(float(q), dtype=torch.float32).item() == 1.0  # the double rounding
    assert nearest_float(q, torch.float32) == 1 + 2.0 ** -23
    assert nearest_float(str(q), torch.float32) == 1 + 2.0 ** -23  # "a/b" text alike
    x32 = torch.tensor([1.0], dtype=torch.float32)
    P = selcalc.from_torch(lambda t: torch.relu(t - 1).sum(), x32)
    assert selcalc.float_ties(P, (q,)) == []
    # a point given as the float64 1 + 2**-24 is that float, rounded once: to 1, a tie
    (tie,) = selcalc.float_ties(P, (1 + 2.0 ** -24,))
    assert tie.kind == "created" and tie.float_arguments == (0.0,)
    with pytest.raises(selcalc.InputError, match="largest finite"):
        nearest_float(Fraction(2) ** 200, torch.float32)


def test_one_exact_evaluation_per_input(monkeypatch):
    """The gradient and the float ties of a row reuse the row's one exact evaluation."""
    import selcalc.interpreters.evaluate as ev
    calls = []
    real = ev.evaluate

    def counted(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr(ev, "evaluate", counted)
    data = [torch.tensor([v, 1.0], dtype=torch.float64) for v in (0.0, 1.0, -2.0)]
    rows = selcalc.scan(lambda t: torch.relu(t).sum(), data, float_ties=True, progress=False)
    assert [r.gradient for r in rows] == [(0, 1), (1, 1), (0, 1)]
    assert len(calls) == 3


def test_an_undecided_gradient_is_an_explicit_unknown_in_its_row():
    """torch.topk at a tie of returned entries: no rule fixes the preset's gradient, so
    the row says so (gradient None, a note) and the scan goes on to the next input."""
    data = [torch.tensor([3.0, 3.0, 3.0, 0.0], dtype=torch.float64),
            torch.tensor([3.0, 2.0, 1.0, 0.0], dtype=torch.float64)]
    weighted = lambda t: (torch.topk(t, 2).values * torch.tensor([2.0, 1.0], dtype=t.dtype)).sum()  # noqa: E731
    tied, plain = selcalc.scan(weighted, data, progress=False)
    assert tied.gradient is None and tied.library_equal is None
    assert any("selection algorithm" in n for n in tied.notes)
    assert plain.gradient == (2, 1, 0, 0) and plain.library_equal is True


def test_forked_workers_take_a_lambda_and_keep_the_order():
    """Forked workers inherit the model and its program: no pickling, so a lambda works."""
    data = [torch.tensor([v, -v], dtype=torch.float64) for v in range(-3, 4)]
    fn = lambda t: torch.abs(t - 1).sum()  # noqa: E731
    here = selcalc.scan(fn, data, progress=False)
    there = selcalc.scan(fn, data, workers=2, chunk=1, start_method="fork", progress=False)
    assert [(r.index, r.gradient) for r in there] == [(r.index, r.gradient) for r in here]


def test_a_bad_input_keeps_its_error_and_says_which_input():
    """A NaN pixel is refused by the exact evaluation (an InputError, its own type kept),
    and the error says which input of the scan it was."""
    data = [torch.tensor([1.0, 2.0], dtype=torch.float64),
            torch.tensor([1.0, float("nan")], dtype=torch.float64)]
    with pytest.raises(selcalc.InputError) as info:
        selcalc.scan(lambda t: torch.relu(t).sum(), data, progress=False)
    assert "selcalc scan: at input 1" in getattr(info.value, "__notes__", [])
