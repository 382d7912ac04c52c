"""The CLI's input path: unreadable, binary, non-UTF-8, BOM, huge files; huge results."""

import json
import sys

import pytest

from selcalc import points
from selcalc.cli import main


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(argv, capsys, needle):
    code, out, err = run(argv, capsys)
    assert code == 2 and err.startswith("selcalc: error:") and needle in err, (code, err)
    assert "Traceback" not in err
    code, out, err = run(argv + ["--json"], capsys)
    assert code == 2 and needle in json.loads(out)["error"]["message"]


@pytest.mark.parametrize("data, needle", [
    (b"def f(x):\n    return x  # caf\xe9\n", "not UTF-8"),          # latin-1
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary"),                   # an executable
    (b"\xff\xfed\x00e\x00f\x00", "UTF-16 text"),                     # UTF-16
    (b"\xfe\xff\x00d\x00e\x00f", "save the program as UTF-8"),         # UTF-16 BE
])
def test_undecodable_files(tmp_path, capsys, data, needle):
    prog = tmp_path / "prog.py"
    prog.write_bytes(data)
    refused(["check", str(prog), "--at", "0"], capsys, needle)


def test_missing_file_and_directory(tmp_path, capsys):
    refused(["check", str(tmp_path / "nope.py"), "--at", "0"], capsys, "cannot read")
    refused(["check", str(tmp_path), "--at", "0"], capsys, "cannot read")


def test_byte_order_mark_accepted(tmp_path, capsys):
    prog = tmp_path / "bom.py"
    prog.write_bytes(b"\xef\xbb\xbfdef f(x):\n    return relu(x)\n")
    code, out, _ = run(["check", str(prog), "--at", "2", "--json"], capsys)
    assert code == 0 and json.loads(out)["value"] == "2"


def test_file_over_the_size_limit(tmp_path, capsys, monkeypatch):
    prog = tmp_path / "big.py"
    prog.write_text("def f(x):\n    return x\n" + "# padding\n" * 200)
    monkeypatch.setattr(points, "MAX_SOURCE_BYTES", 1000)
    refused(["check", str(prog), "--at", "0"], capsys, "larger than 1000 bytes")
    monkeypatch.setattr(points, "MAX_SOURCE_BYTES", 10_000)
    assert run(["check", str(prog), "--at", "0"], capsys)[0] == 0


def test_results_past_python_int_str_limit(tmp_path, capsys):
    # 100**4096 = 10**8192 has 8193 digits, past Python's default limit of 4300
    prog = tmp_path / "pow.py"
    prog.write_text("def f(x):\n    return relu(x) ** 4096\n")
    code, out, err = run(["check", str(prog), "--at", "100"], capsys)
    assert code == 0, err
    assert "1" + "0" * 8192 in out
    code, out, err = run(["check", str(prog), "--at", "100", "--json"], capsys)
    assert code == 0, err
    old = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
    try:
        report = json.loads(out)
    finally:
        if hasattr(sys, "set_int_max_str_digits"):
            sys.set_int_max_str_digits(old)
    assert report["value"] == "1" + "0" * 8192


def test_point_too_long_for_the_grammar(tmp_path, capsys):
    prog = tmp_path / "p.py"
    prog.write_text("def f(x):\n    return x\n")
    refused(["check", str(prog), "--at", "1" * 20000], capsys, "longer than the limit")
    refused(["check", str(prog), "--at", "10**10**10"], capsys, "exceeds the bound")
