"""The theorem regression over the casebook: every check × every casebook program.

Same checks and settings as ``selcalc theorems --quick`` (selcalc.theorems.regression).
A failure on a case marked ``expect_counterexample`` is an expected failure (xfail);
unknown and not-applicable cells skip with their reason (``pytest -rs`` lists them).
"""

import pytest

from selcalc.theorems.regression import CHECKS, case_programs, load_cases, run_check
from tests.theorems.helpers import expect_holds

CASES = load_cases()


def _params():
    if CASES is None:
        return [pytest.param(None, None, None, marks=pytest.mark.skip(
            reason="the casebook (casebook.registry) is not importable"))]
    out = []
    for cname, case in CASES.items():
        for pname, _, _ in case_programs(case):
            for check in CHECKS:
                out.append(pytest.param(cname, pname, check.key,
                                        id=f"{cname}:{pname}:{check.key}"))
    return out


@pytest.fixture(scope="module")
def programs():
    """(case, program) -> (Program, point), parsed once for the module."""
    table = {}
    for cname, case in (CASES or {}).items():
        for pname, P, x in case_programs(case):
            table[cname, pname] = (P, x)
    return table


@pytest.mark.parametrize("case_name,program_name,key", _params())
def test_theorem_on_casebook_program(programs, case_name, program_name, key):
    P, x = programs[case_name, program_name]
    check = next(c for c in CHECKS if c.key == key)
    verdict = run_check(check, P, x, quick=True)
    expect_holds(verdict, expected_failure=CASES[case_name].expect_counterexample)


def test_regression_cli_runs_on_one_case(capsys):
    if CASES is None:
        pytest.skip("the casebook is not importable")
    from selcalc.theorems.regression import main
    name = next(iter(CASES))
    assert main(["--case", name, "--quick"]) == 0
    out = capsys.readouterr().out
    assert f"{name}:" in out and "thm2" in out and "holds" in out


def test_regression_without_casebook(monkeypatch, capsys):
    import selcalc.theorems.regression as regression
    monkeypatch.setattr(regression, "load_cases", lambda: None)
    assert regression.main([]) == 0
    assert "not importable" in capsys.readouterr().out
