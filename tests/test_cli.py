"""The selcalc command line: check, casebook, prove, theorems, errors."""

import json
import subprocess
import sys

import pytest

from selcalc.cli import main


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "selcalc.cli", *args],
                          capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_builtin_example_shows_the_artificial_critical_point(capsys):
    assert main(["check", "--example", "identity"]) == 0
    out = capsys.readouterr().out
    assert "Clarke subgradient: {1}" in out and "Artificial critical point: YES" in out


def test_file_point_and_json(tmp_path, capsys):
    f = tmp_path / "prog.py"
    f.write_text("def f(x, y):\n    return max(x, y) + relu(x - y)\n")
    assert main(["check", str(f), "--at", "0, 1/2", "--convention", "pytorch"]) == 0
    assert "pytorch" in capsys.readouterr().out
    assert main(["check", str(f), "--at", "0, 0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "0" in json.dumps(report) and "clarke" in json.dumps(report).lower()


def test_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    while x > 0:\n        x = x - 1\n    return x\n")
    code, _, err = run("check", str(bad), "--at", "0")
    assert code == 2 and "line 2, column 5" in err and "while" in err
    good = tmp_path / "good.py"
    good.write_text("def f(x):\n    return relu(x)\n")
    code, _, err = run("check", str(good), "--at", "0, 1")
    assert code == 2 and "1 input(s)" in err
    code, _, err = run("check", str(tmp_path / "missing.py"), "--at", "0")
    assert code == 2 and "cannot read" in err


def test_help_lists_examples():
    code, out, _ = run("--help")
    assert code == 0 and "selcalc check --example identity" in out


def test_prove_lemma1(capsys):
    assert main(["prove", "lemma1", "--p", "2", "--m", "12"]) == 0
    assert "holds" in capsys.readouterr().out


@pytest.mark.slow
def test_casebook_command(tmp_path):
    code, out, _ = run("casebook", "--out", str(tmp_path))
    assert code == 0 and (tmp_path / "casebook.md").exists()
