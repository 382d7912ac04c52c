"""The whole casebook runs, and every claim is verified by the engine."""

import json

import pytest

import selcalc
from casebook import runner
from casebook.registry import CASES, Case, Claim

RESULTS = {}


def result(name):
    if name not in RESULTS:
        RESULTS[name] = runner.run_case(CASES[name], extras=False)
    return RESULTS[name]


CITED = ("NeurIPS 2020", "NeurIPS 2021", "Mathematical Programming 2021", "ICLR 2023", "arXiv")


def test_registry_contract():
    assert len(CASES) >= 18
    for name, case in CASES.items():
        assert isinstance(case, Case) and case.name == name
        assert case.title and case.narrative and any(w in " ".join(case.narrative.split()) for w in CITED) or \
            "conventions" in case.tags
        progs = case.programs()
        assert progs and all(isinstance(P, selcalc.Program) for P in progs.values())
        for prog, x in case.points.items():
            assert prog in progs, (name, prog)
            assert len(progs[prog].coerce_point(x)) == progs[prog].p
        claims = case.claims()
        assert claims and all(isinstance(c, Claim) for c in claims)
        assert isinstance(case.tags, set)
    assert "outside-logexp" in CASES["sine"].tags
    assert any(c.expected is False for c in CASES["nonconservative_field"].claims())


@pytest.mark.parametrize("name", list(CASES))
def test_every_claim_is_verified(name):
    r = result(name)
    bad = [(c.description, c.status, c.error or str(c.verdict)) for c in r.claims
           if c.status != runner.VERIFIED]
    assert not bad, bad


def test_expected_false_counts_as_verified_when_it_fails():
    ok = runner.run_claim(Claim("1 = 2", lambda: False, expected=False))
    wrong = runner.run_claim(Claim("1 = 1", lambda: selcalc.Verdict(True, "1 = 1"),
                                   expected=False))
    unknown = runner.run_claim(Claim("?", lambda: selcalc.Verdict(None, "?")))
    crash = runner.run_claim(Claim("boom", lambda: 1 / 0))
    assert (ok.status, wrong.status, unknown.status, crash.status) == \
        ("verified", "failed", "unknown", "failed")


def test_runner_main_writes_markdown(tmp_path, capsys):
    code = runner.main(out=str(tmp_path), only="identity,relu_family")
    assert code == 0
    page = (tmp_path / "casebook.md").read_text()
    assert "artificial critical" in page and "```python" in page
    printed = capsys.readouterr().out
    assert "identity" in printed and "verified" in printed


def test_runner_returns_one_when_a_claim_fails(tmp_path, monkeypatch, capsys):
    case = CASES["zero"]
    broken = Case("broken", "a broken case", "fails on purpose", case.source, {},
                  lambda c: [Claim("0 = 1", lambda: False)])
    monkeypatch.setitem(CASES, "broken", broken)
    assert runner.main(out=str(tmp_path), only="broken") == 1
    assert "FAILED" in capsys.readouterr().out


def test_unknown_case_is_an_error():
    with pytest.raises(selcalc.SelcalcError, match="unknown case"):
        runner.main(out=None, only="no_such_case")


def test_figure_data_is_exact():
    fig = CASES["relu_family"].figure(CASES["relu_family"])
    zero_at_0 = {s["label"]: s["values"][s["t"].index(0)] for s in fig["series"]}
    assert zero_at_0 == {"relu1": 0, "relu2": 1, "relu3": selcalc.parse(
        "def h(t):\n    return t / 2").__call__(1), "zero": 1}
    json.dumps({k: str(v) for k, v in zero_at_0.items()})
