"""The documentation is complete and self-contained.

Every public name is in the API page, every page is in the index, every relative link
leads somewhere, and nothing points at files or notes that users do not have.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import selcalc

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LINK = re.compile(r"\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _mentions(text, name):
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) is not None


def test_every_public_name_is_in_the_api_page():
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = [name for name in selcalc.__all__ if not _mentions(api, name)]
    assert not missing, f"docs/api.md does not mention {missing}"


def test_the_name_check_can_fail():
    assert _mentions("`clarke(P, x)`", "clarke")
    assert not _mentions("`clarke_element`", "clarke") and not _mentions("P.clarke", "clarke")


def test_every_page_is_in_the_index():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = {(DOCS / target).resolve() for target in LINK.findall(index)}
    pages = {p.resolve() for p in DOCS.rglob("*.md") if p.name != "README.md"}
    missing = sorted(str(p.relative_to(DOCS)) for p in pages - linked)
    assert not missing, f"docs/README.md does not link {missing}"


def test_the_readme_links_the_docs_index():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/README.md" in LINK.findall(readme)


@pytest.mark.parametrize("page", ["README.md"] + sorted(
    str(p.relative_to(ROOT)) for p in DOCS.rglob("*.md")))
def test_relative_links_lead_somewhere(page):
    path = ROOT / page
    broken = [t for t in LINK.findall(path.read_text(encoding="utf-8"))
              if "://" not in t and not t.startswith("mailto:")
              and not (path.parent / t).exists()]
    assert not broken, f"{page} links missing files {broken}"


def _tracked_text_files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
        files = [ROOT / f for f in out]
    except (OSError, subprocess.CalledProcessError):  # an installed copy without git
        files = [p for d in ("selcalc", "docs", "tests", "casebook", "bench")
                 for p in (ROOT / d).rglob("*") if p.is_file()]
        files += [ROOT / "README.md", ROOT / "pyproject.toml"]
    return [f for f in files if f.suffix in {".py", ".md", ".toml", ".txt", ".cfg", ""}
            and f.is_file() and f.resolve() != Path(__file__).resolve()]


# spelled in pieces so that this file does not match itself
_PRIVATE = re.compile("|".join([
    r"THEORY" r"\.md", r"\bseeds" r"/", r"\bshared" r"/", r"\bIssue" r" \d",
    r"/wo" r"rk/", r"/tm" r"p/"]))


def test_no_private_notes_or_machine_paths():
    hits = []
    for f in _tracked_text_files():
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if _PRIVATE.search(line):
                hits.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()[:80]}")
    assert not hits, "mentions of files users do not have:\n" + "\n".join(hits)


def test_the_private_pattern_matches_what_it_should():
    for text in ("see THEORY" ".md", "in seeds" "/paper.pdf", "Issue" " 12", "/wo" "rk/x"):
        assert _PRIVATE.search(text), text
    assert not _PRIVATE.search("an issue with 3 points; tmp_path / 'x'")


#: public functions whose examples need an AD library (torch / jax) and live in their
#: module's docstring and in docs/models.md instead
_EXAMPLES_ELSEWHERE = {"from_torch", "from_jax", "audit", "scan", "float_ties"}


def test_every_public_function_has_a_runnable_example():
    import inspect
    missing = [name for name in selcalc.__all__
               if inspect.isfunction(getattr(selcalc, name))
               and name not in _EXAMPLES_ELSEWHERE
               and ">>>" not in (inspect.getdoc(getattr(selcalc, name)) or "")]
    assert not missing, f"public functions without a doctest example: {missing}"
