"""selcalc.plot: exact data behind the pictures, drawing, and a clear error without matplotlib."""

import sys
from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc import plot


def test_band_data_abs_and_zero():
    # abs: derivative -1 then 1; at 0 Clarke [-1, 1], pytorch averages to 0, jax takes 1
    P = selcalc.parse("def f(x):\n    return abs(x)\n")
    data = plot.band_data(P, -1, 1, conventions=["pytorch", "jax", "selection"])
    assert [(a, b, d) for a, b, d in data["pieces"]] == [(-1, 0, [-1]), (0, 1, [1])]
    (k,) = data["kinks"]
    assert k["x"] == 0 and k["clarke"].interval == (-1, 1)
    assert k["conventions"] == {"pytorch": 0, "jax": 1, "selection": -1}
    # zero(t) = relu(-t) + t - relu(t) is the constant 0: Clarke {0}, AD outputs [-1, 1]
    Z = selcalc.parse("def zero(t):\n    return relu(-t) + t - relu(t)\n")
    (k,) = plot.band_data(Z, -1, 1)["kinks"]
    assert k["clarke"].interval == (0, 0) and k["ad_outputs"].interval == (-1, 1)


def test_band_data_irrational_kinks():
    # relu(x^2 - 2) kinks at ±sqrt(2), where the derivative jumps from 0 to ±2 sqrt(2)
    P = selcalc.parse("def f(x):\n    return relu(x * x - 2)\n")
    data = plot.band_data(P, -2, 2)
    xs = [k["x"] for k in data["kinks"]]
    assert [sympy.simplify(x - r) for x, r in zip(xs, (-sympy.sqrt(2), sympy.sqrt(2)))] == [0, 0]
    lo, hi = data["kinks"][1]["clarke"].interval
    assert lo == 0 and sympy.simplify(hi - 2 * sympy.sqrt(2)) == 0
    x = data["symbol"]
    assert [d for _, _, d in data["pieces"]] == [[2 * x], [0], [2 * x]]


def test_band_data_refuses_other_shapes():
    P = selcalc.parse("def f(x, y):\n    return max(x, y)\n")
    with pytest.raises(selcalc.SelcalcError, match="cells_data"):
        plot.band_data(P, -1, 1)


def test_cells_data_max():
    # max(x, y) on [-1, 1]^2: two cells split by the diagonal, Clarke conv{(1,0),(0,1)}
    P = selcalc.parse("def f(x, y):\n    return max(x, y)\n")
    data = plot.cells_data(P, ((-1, 1), (-1, 1)), n=9, point=(0, 0))
    assert len(data["patterns"]) == 2
    x, y = data["symbols"]
    ids = data["ids"]
    for j in range(9):
        for i in range(9):
            # x_i - y_j = 2 (i - j) / n + 2 / (11 n) - 2 / (13 n): positive iff i >= j
            expected = x if i >= j else y
            assert data["pieces"][ids[j][i]] == expected, (i, j)
    C = data["at"]["clarke"]
    assert {tuple(v) for v in C.vertices} == {(0, 1), (1, 0)}
    assert data["at"]["conventions"]["pytorch"] == (sympy.Rational(1, 2), sympy.Rational(1, 2))


def test_jacobians_data_sort():
    from casebook.registry import CASES
    P = CASES["sorting"].program("sort2")
    data = plot.jacobians_data(P, (5, 5), conventions=["pytorch"])
    assert data["count"] == 2
    assert {tuple(M) for M in data["vertices"]} == {(1, 0, 0, 1), (0, 1, 1, 0)}
    assert tuple(data["conventions"]["pytorch"]) in {(1, 0, 0, 1), (0, 1, 1, 0)}


def test_drawing(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    P = selcalc.parse("def f(x):\n    return abs(x) - relu(-x)\n")
    plot.plot_band(P, -1, 1).figure.savefig(tmp_path / "band.png")
    Q = selcalc.parse("def g(x, y):\n    return relu(x - y) + abs(y)\n")
    plot.plot_cells(Q, ((-1, 1), (-1, 1)), point=(0, 0), n=11)[0].figure.savefig(
        tmp_path / "cells.png")
    R = selcalc.parse("def s(a, b):\n    return sort(a, b)\n")
    plot.plot_jacobians(R, (1, 1)).savefig(tmp_path / "jac.png")
    plt.close("all")
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("band.png", "cells.png", "jac.png"))


def test_missing_matplotlib_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    P = selcalc.parse("def f(x):\n    return abs(x)\n")
    with pytest.raises(selcalc.SelcalcError, match=r"selcalc\[plot\]"):
        plot.plot_band(P, -1, 1)
    from casebook import runner
    assert runner.main(out=str(tmp_path), only="zero") == 0
    out = capsys.readouterr().out
    assert "matplotlib is not installed" in out and "selcalc[plot]" in out
    assert "matplotlib is not installed" in (tmp_path / "casebook.md").read_text()
    assert not list(tmp_path.glob("*.png"))


def test_cells_data_irrational_corner_is_a_clear_error():
    """An irrational box corner is refused with an InputError (it used to crash in
    ``Fraction(str(...))``); rational corners, given as text or floats, are read exactly."""
    P = selcalc.parse("def f(x, y):\n    return max(x, y)\n")
    with pytest.raises(selcalc.InputError, match="box corner sqrt\\(2\\) is not rational"):
        plot.cells_data(P, ((0, "sqrt(2)"), (0, 1)), n=3)
    with pytest.raises(selcalc.InputError, match="box must be"):
        plot.cells_data(P, ((0, 1),), n=3)
    data = plot.cells_data(P, ((-1, "1/2"), (0, 0.1)), n=3)
    assert data["box"] == ((-1, Fraction(1, 2)), (0, Fraction(0.1)))
