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
    code, out, _ = run(["prove", "lemma1", "--p", "1", "--m", "3", "--json"], capsys)
    assert code == 0 and json.loads(out)["holds"] is True


# ---------------------------------------------------------------------- the error contract
def check_error(argv, capsys, needle="", json_too=True):
    """Every error path: status 2, ``selcalc: error:`` on stderr, a JSON error under --json."""
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out, err)
    assert err.startswith("selcalc: error:") and needle in err, err
    assert "Traceback" not in err
    if not json_too:
        return None
    code, out, err = run(argv + ["--json"], capsys)
    assert code == 2 and err.startswith("selcalc: error:")
    body = json.loads(out)["error"]
    assert needle in body["message"] and body["type"]
    return body


def test_prove_lemma1_bad_sizes(capsys):
    check_error(["prove", "lemma1", "--p", "5", "--m", "3"], capsys, "1 <= p <= m")


def test_domain_error_json(tmp_path, capsys):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x):\n    return log(x)\n")
    body = check_error(["check", str(prog), "--at", "0"], capsys, "log")
    assert body["type"] == "DomainError"


def test_errors_keep_the_contract(tmp_path, capsys):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x, y):\n    return relu(x) * y\n")
    check_error(["check", str(prog), "--at", "1"], capsys, "the point has 1")
    check_error(["check", str(tmp_path / "nope.py"), "--at", "0"], capsys, "cannot read")
    check_error(["check", "--example", "nothing"], capsys, "unknown example")
    check_error(["check", str(prog), "--bogus"], capsys, "unrecognized arguments")
    check_error(["check", str(prog), "--at", "0,0", "--convention", "nope"], capsys,
                "unknown convention")
    (tmp_path / "latin.py").write_bytes(b"def f(x):\n    return x  # \xe9\n")
    check_error(["check", str(tmp_path / "latin.py"), "--at", "0"], capsys, "UTF-8")
    loop = tmp_path / "loop.py"
    loop.write_text("def f(x):\n    while x > 0:\n        x = x - 1\n    return x\n")
    body = check_error(["check", str(loop), "--at", "0"], capsys, "line 2")
    assert body["line"] == 2


def test_utf8_bom_is_accepted(tmp_path, capsys):
    prog = tmp_path / "bom.py"
    prog.write_bytes(b"\xef\xbb\xbfdef f(x):\n    return abs(x)\n")
    code, out, _ = run(["check", str(prog), "--at", "0"], capsys)
    assert code == 0 and "Clarke subgradient: [-1, 1]" in out


def test_internal_errors_have_no_traceback(monkeypatch, capsys):
    import selcalc.report

    def boom(*args, **kwargs):
        raise ZeroDivisionError("planted")
    monkeypatch.setattr(selcalc.report, "check_report", boom)
    code, out, err = run(["check", "--example", "zero", "--json"], capsys)
    assert code == 1 and "internal error" in err and "planted" in err
    assert "Traceback" not in err and json.loads(out)["error"]["internal"] is True


@pytest.mark.parametrize("argv", [["--at", "-1,2"], ["--at", "-1, 2"], ["--at", "-1 2"],
                                  ["--at=-1,2"], ["--at", "-1 -2"]])
def test_points_with_minus_signs_and_spaces(tmp_path, capsys, argv):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x, y):\n    return relu(x) * y\n")
    code, out, err = run(["check", str(prog)] + argv + ["--json"], capsys)
    assert code == 0, err
    x, y = json.loads(out)["point"]
    assert x == "-1" and y in ("2", "-2")


def test_space_separated_point(tmp_path, capsys):
    prog = tmp_path / "prog.py"
    prog.write_text("def f(x, y):\n    return max(x, y)\n")
    code, out, err = run(["check", str(prog), "--at", "0 1 / 2", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["point"] == ["0", "1/2"]


def test_vector_program_says_not_applicable(tmp_path, capsys):
    prog = tmp_path / "vec.py"
    prog.write_text("def f(x, y):\n    return relu(x), max(x, y)\n")
    code, out, _ = run(["check", str(prog), "--at", "0 0"], capsys)
    assert code == 0
    assert "Artificial critical point: not applicable" in out
    assert "unknown" not in out


def test_casebook_out_onto_a_file(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me")
    check_error(["casebook", "--out", str(target), "--case", "zero"], capsys, "a file",
                json_too=False)
    assert target.read_text() == "keep me"


def test_version_and_theorems_help(capsys):
    import selcalc
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"selcalc {selcalc.__version__}"
    assert main(["theorems", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--theorem" in out and "--quick" in out and "--case" in out


def test_python_dash_m_and_broken_pipe():
    done = subprocess.run([sys.executable, "-m", "selcalc", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("selcalc ")
    # a reader that closes the pipe at once: no traceback on stderr
    code = ("import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-m', 'selcalc', 'check', '--example', "
            "'identity', '--certificates'], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            "p.stdout.close()\n"
            "err = p.stderr.read().decode()\n"
            "p.wait()\n"
            "print(repr(err))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert "Traceback" not in done.stdout and "BrokenPipe" not in done.stdout, done.stdout


def test_subcommand_function_names_the_program():
    from selcalc.cli import split_point
    assert split_point("1/2,  -3") == ["1/2", "-3"]
    assert split_point(" 1e-3  2 ") == ["1e-3", "2"]


TOKENS = ["check", "prove", "casebook", "theorems", "lemma1", "--example", "identity", "max",
          "--at", "0", "-1,2", "1/2 3", "a", "", "--json", "--convention", "jax", "nope",
          "--function", "f", "--p", "3", "--m", "-2", "--certificates", "--case", "--", "-x"]


def test_generated_argument_vectors_keep_the_contract(capsys):
    from hypothesis import HealthCheck, given, settings, strategies as st

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.sampled_from(TOKENS), max_size=6))
    def one(argv):
        if argv[:1] in (["casebook"], ["theorems"]):
            return  # long runs; their error paths are tested above
        code = main(argv)
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "Traceback" not in out
        assert code in (0, 1, 2), (argv, code)
        if code == 2 and err:
            assert err.startswith("selcalc: error:") or "usage" in err or argv == [], err
            if "--json" in argv and argv[:1] == ["check"]:
                assert "error" in json.loads(out)
        if code == 1:
            assert "internal error" not in err, (argv, err)  # 1 = prove did not hold only
    one()
