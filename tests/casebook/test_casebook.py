"""The whole casebook runs and every claim is verified by the engine."""

import pytest

from casebook.registry import CASES


@pytest.mark.parametrize("name", list(CASES))
def test_case_claims(name):
    case = CASES[name]
    assert case.narrative.strip() and case.source.strip()
    assert case.programs(), "a case must define at least one program"
    outcomes = []
    for claim in case.claims():
        result = claim.check()
        holds = result.holds if hasattr(result, "holds") else bool(result)
        outcomes.append((claim.description, holds, claim.expected))
    failed = [d for d, h, e in outcomes if h is not None and h != e]
    unknown = [d for d, h, e in outcomes if h is None]
    assert not failed, f"claims failed in {name}: {failed}"
    assert not unknown, f"claims unknown in {name}: {unknown}"


def test_runner_writes_the_rendering(tmp_path, capsys):
    from casebook.runner import main
    assert main(out=str(tmp_path), only="zero") == 0
    page = (tmp_path / "casebook.md").read_text()
    assert "zero" in page and "relu" in page
    assert "verified" in capsys.readouterr().out
