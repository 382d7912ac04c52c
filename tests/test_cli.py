"""The ``selcalc`` command line: check, casebook, errors, help."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from selcalc.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_builtin_example(capsys):
    code, out, _ = run(["check", "--example", "identity"], capsys)
    assert code == 0
    assert "Artificial critical point: YES" in out
    assert "Clarke subgradient: {1}" in out
    assert "x3 = relu(x2)" in out


def test_file_with_point(tmp_path, capsys):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x, y):\n    return max(x, y)\n\ndef g(t):\n    return abs(t)\n")
    code, out, _ = run(["check", str(prog), "--at", "0, 0"], capsys)
    assert code == 0
    assert "pytorch" in out and "(1/2, 1/2)" in out and "conv{(0, 1), (1, 0)}" in out
    code, out, _ = run(["check", str(prog), "--function", "g", "--at", "0",
                        "--convention", "jax", "--certificates"], capsys)
    assert code == 0 and "jax" in out and "tensorflow" not in out
    assert "Clarke subgradient: [-1, 1]" in out and "interior direction" in out


def test_json_output_parses(tmp_path, capsys):
    prog = tmp_path / "prog.py"
    prog.write_text("def zero(t):\n    return relu(-t) + t - relu(t)\n")
    code, out, _ = run(["check", str(prog), "--at", "0", "--json", "--certificates"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["value"] == "0"
    assert report["index_closure"]["set"] == "[-1, 1]"
    assert report["clarke"]["set"] == "{0}"
    tf = next(c for c in report["conventions"] if c["name"] == "tensorflow")
    assert tf["gradient"] == ["1"] and tf["forward"] == tf["backward"]
    assert report["artificial_critical"]["holds"] is False
    assert len(report["ties"]) == 2


def test_unsupported_source_reports_line_and_column(tmp_path, capsys):
    prog = tmp_path / "loop.py"
    prog.write_text("def f(x):\n    while x > 0:\n        x = x - 1\n    return x\n")
    code, _, err = run(["check", str(prog), "--at", "0"], capsys)
    assert code == 2
    assert err.startswith("selcalc: error:")
    assert "line 2, column 5" in err and "loop.py" in err


@pytest.mark.parametrize("point, message", [
    ("1", "has 2 input(s) but the point has 1"),
    ("a, b", "bad point"),
])
def test_bad_point(tmp_path, capsys, point, message):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x, y):\n    return relu(x) * y\n")
    code, _, err = run(["check", str(prog), "--at", point], capsys)
    assert code == 2 and message in err


def test_missing_file_and_missing_point(tmp_path, capsys):
    code, _, err = run(["check", str(tmp_path / "nope.py"), "--at", "0"], capsys)
    assert code == 2 and "cannot read" in err
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x):\n    return x\n")
    code, _, err = run(["check", str(prog)], capsys)
    assert code == 2 and "--at" in err
    code, _, err = run(["check", "--example", "nothing"], capsys)
    assert code == 2 and "unknown example" in err


def test_domain_error_is_clear(tmp_path, capsys):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x):\n    return log(x)\n")
    code, _, err = run(["check", str(prog), "--at", "0"], capsys)
    assert code == 2 and err.startswith("selcalc: error:")


def test_casebook_command(tmp_path, capsys):
    code, out, _ = run(["casebook", "--out", str(tmp_path), "--case", "zero"], capsys)
    assert code == 0
    assert (tmp_path / "casebook.md").exists()
    assert "zero" in out and "verified" in out
    code, _, err = run(["casebook", "--out", str(tmp_path), "--case", "nope"], capsys)
    assert code == 2 and "unknown case" in err


def test_help_in_a_subprocess():
    done = subprocess.run([sys.executable, "-m", "selcalc.cli", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "selcalc check --example identity" in done.stdout
    done = subprocess.run([sys.executable, "-m", "selcalc.cli", "check", "--example", "zero",
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["clarke"]["set"] == "{0}"


def test_prove_lemma1(capsys):
    code, out, _ = run(["prove", "lemma1", "--p", "2", "--m", "8"], capsys)
    assert code == 0 and "holds" in out
