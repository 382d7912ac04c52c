"""Run the casebook: check every claim with the engine, print a table, render markdown.

``main(out="casebook/out", only=None)`` returns 0 when no claim failed and 1 otherwise; it
writes ``out/casebook.md`` (narratives, sources, claims with the engine's exact values,
tables) and, when matplotlib is installed, the figures it links to.  A claim whose
``expected`` is False counts as verified when its check fails; an undecided check is
reported as unknown (never as verified).

    python -m casebook.runner [--out DIR] [--case NAME]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import selcalc
from selcalc import SelcalcError, Undecided, Verdict

from .checks import fmt
from .registry import CASES
from .views import VIEWS

VERIFIED, FAILED, UNKNOWN = "verified", "failed", "unknown"


@dataclass
class ClaimResult:
    description: str
    expected: bool
    status: str
    verdict: Verdict | None = None
    error: str = ""


@dataclass
class CaseResult:
    case: object
    claims: list = field(default_factory=list)
    seconds: float = 0.0
    table: dict | None = None
    figure: dict | None = None
    error: str = ""

    def count(self, status):
        return sum(1 for c in self.claims if c.status == status)


def run_claim(claim) -> ClaimResult:
    """Check one claim now and classify the outcome."""
    try:
        out = claim.check()
    except Undecided as exc:
        return ClaimResult(claim.description, claim.expected, UNKNOWN, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crashing check is a failed claim, reported
        return ClaimResult(claim.description, claim.expected, FAILED,
                           error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    verdict = out if isinstance(out, Verdict) else Verdict(bool(out), claim.description)
    if verdict.holds is None:
        status = UNKNOWN
    else:
        status = VERIFIED if verdict.holds == claim.expected else FAILED
    return ClaimResult(claim.description, claim.expected, status, verdict)


def run_case(case, extras=True) -> CaseResult:
    """Run every claim of ``case`` (and compute its table and figure data if ``extras``)."""
    start = time.perf_counter()
    result = CaseResult(case)
    try:
        claims = case.claims()
    except Exception as exc:  # noqa: BLE001
        result.error = f"{type(exc).__name__}: {exc}"
        result.claims.append(ClaimResult("the case's claims could be built", True, FAILED,
                                         error=traceback.format_exc()))
        claims = []
    for claim in claims:
        result.claims.append(run_claim(claim))
    if extras:
        for attr in ("table", "figure"):
            fn = getattr(case, attr)
            if fn is None:
                continue
            try:
                setattr(result, attr, fn(case))
            except Exception as exc:  # noqa: BLE001
                result.claims.append(ClaimResult(f"the case's {attr} could be computed", True,
                                                 FAILED, error=f"{type(exc).__name__}: {exc}"))
    result.seconds = time.perf_counter() - start
    return result


def select(only):
    """The cases to run: all, or the names in ``only`` (a name, comma list or sequence)."""
    if only is None:
        return list(CASES.values())
    names = [n.strip() for n in only.split(",")] if isinstance(only, str) else list(only)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SelcalcError(f"unknown case(s) {', '.join(unknown)}; the casebook has "
                           f"{', '.join(CASES)}")
    return [CASES[n] for n in names]


# ---------------------------------------------------------------------- console table
def _summary_table(results):
    head = f"{'case':<26} {'claims':>6} {'verified':>8} {'failed':>6} {'unknown':>7} {'time':>7}"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(f"{r.case.name:<26} {len(r.claims):>6} {r.count(VERIFIED):>8} "
                     f"{r.count(FAILED):>6} {r.count(UNKNOWN):>7} {r.seconds:>6.1f}s")
    total = [sum(len(r.claims) for r in results)] + [
        sum(r.count(s) for r in results) for s in (VERIFIED, FAILED, UNKNOWN)]
    lines.append("-" * len(head))
    lines.append(f"{'total':<26} {total[0]:>6} {total[1]:>8} {total[2]:>6} {total[3]:>7} "
                 f"{sum(r.seconds for r in results):>6.1f}s")
    return "\n".join(lines)


# ---------------------------------------------------------------------- markdown
_MARK = {VERIFIED: "verified", FAILED: "**FAILED**", UNKNOWN: "*unknown*"}


def _values(verdict):
    if verdict is None:
        return []
    cert = verdict.certificate
    lines = []
    if isinstance(cert, dict):
        for key, value in cert.items():
            lines.append(f"{key}: {fmt(value)}")
    elif cert is not None:
        lines.append(fmt(cert))
    if verdict.reason:
        lines.append(f"reason: {verdict.reason}")
    for item in verdict.checked or []:
        lines.append(f"checked: {fmt(item)}")
    return lines


def _md_table(table):
    cols = table["columns"]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table["rows"]:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(out)


def _draw(figure, folder):
    """Draw one figure with matplotlib; returns the file name, or None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    series_list = figure["series"]
    panels = figure.get("panels", False)
    n = len(series_list) if panels else 1
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n if panels else 7, 3.4 if panels else 4),
                             sharey=True, squeeze=False)
    for i, series in enumerate(series_list):
        ax = axes[0][i if panels else 0]
        ts = [float(t) for t in series["t"]]
        vs = [selcalc_float(v) for v in series["values"]]
        if series.get("style") == "line":
            ax.plot(ts, vs, "-", lw=1, alpha=0.6, label=series["label"])
        else:
            ax.plot(ts, vs, "o", ms=4, label=series["label"])
            marked = [(t, v) for t, v, raw in zip(ts, vs, series["t"])
                      if raw in series.get("highlight", ())]
            if marked:
                ax.plot(*zip(*marked), "o", ms=7, mfc="none", mec="red", mew=1.5)
        ax.set_xlabel(figure.get("xlabel", ""))
        ax.grid(alpha=0.3)
        if panels:
            ax.set_title(series["label"])
    axes[0][0].set_ylabel(figure.get("ylabel", ""))
    if panels:
        fig.suptitle(figure.get("title", ""))
    else:
        axes[0][0].set_title(figure.get("title", ""))
        axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(folder / figure["file"], dpi=110)
    plt.close(fig)
    return figure["file"]


def have_matplotlib():
    """Whether figures can be drawn (the ``[plot]`` extra)."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    return True


NO_MATPLOTLIB = ('matplotlib is not installed, so the casebook is written without its '
                 'figures; install it with: python -m pip install "selcalc[plot]"')


def _draw_view(view, case, folder):
    """Save one :mod:`casebook.views` view; returns markdown lines (empty without matplotlib)."""
    if not have_matplotlib():
        return []
    import matplotlib.pyplot as plt
    file, caption, draw = view
    try:
        fig = draw(case)
        fig.savefig(folder / file, dpi=100)
        plt.close(fig)
    except Exception as exc:  # noqa: BLE001 - a picture that fails is reported, not fatal
        return [f"*(figure {file} could not be drawn: {type(exc).__name__}: {exc})*", ""]
    return [f"![{case.title}]({file})", "", f"*{caption}*", ""]


def selcalc_float(value):
    """A float for plotting only (exact values are what the claims compare)."""
    import sympy
    return float(sympy.N(sympy.sympify(value)))


def render_markdown(results, folder):
    """The casebook as markdown; figures are written into ``folder`` when possible."""
    total = sum(len(r.claims) for r in results)
    counts = {s: sum(r.count(s) for r in results) for s in (VERIFIED, FAILED, UNKNOWN)}
    lines = ["# The selcalc casebook", "",
             f"Generated by `selcalc casebook` with selcalc {selcalc.__version__}: "
             f"{len(results)} cases, {total} claims, {counts[VERIFIED]} verified, "
             f"{counts[FAILED]} failed, {counts[UNKNOWN]} unknown.", "",
             "Every claim below was checked by the engine when this page was generated: "
             "the values shown are the engine's exact results. A claim marked "
             "*expected false* is a statement the case refutes; it is verified when the "
             "engine finds it false. Papers are cited by authors and venue; the full "
             "references are in docs/mathematics.md.", ""] + (
                 [] if have_matplotlib() else [f"*{NO_MATPLOTLIB}.*", ""]) + [
             "| # | case | claims | verified | failed | unknown |", "|---|---|---|---|---|---|"]
    for i, r in enumerate(results, 1):
        title = r.case.title.replace("|", "\\|")
        lines.append(f"| {i} | [{title}](#{r.case.name}) | {len(r.claims)} | "
                     f"{r.count(VERIFIED)} | {r.count(FAILED)} | {r.count(UNKNOWN)} |")
    for i, r in enumerate(results, 1):
        case = r.case
        lines += ["", f'<a id="{case.name}"></a>', "", f"## {i}. {case.title}", "",
                  f"`{case.name}` — tags: {', '.join(sorted(case.tags)) or 'none'}"
                  + (" — exhibits a counterexample" if case.expect_counterexample else ""),
                  "", case.narrative, "", "```python", case.source.rstrip(), "```", ""]
        if case.points:
            lines.append("Points of interest: " + ", ".join(
                f"`{name}` at {fmt(x)}" for name, x in case.points.items()) + ".")
            lines.append("")
        if r.table:
            lines += [_md_table(r.table), ""]
        if r.figure:
            name = _draw(r.figure, folder)
            if name:
                lines += [f"![{r.figure.get('title', '')}]({name})", "",
                          f"*{r.figure.get('caption', '')}*", ""]
        for view in VIEWS.get(case.name, ()):
            lines += _draw_view(view, case, folder)
        lines.append("### Claims")
        lines.append("")
        for c in r.claims:
            flag = "" if c.expected else " (*expected false*)"
            lines.append(f"- {_MARK[c.status]}{flag}: {c.description}")
            for value in _values(c.verdict):
                lines.append(f"  - {value}")
            if c.error:
                lines.append(f"  - error: {fmt(c.error.splitlines()[0] if c.error else '')}")
        if r.error:
            lines += ["", f"Error while building the case: {r.error}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- entry point
def main(out="casebook/out", only=None, stream=None) -> int:
    """Run the cases, print progress and a summary, write ``out/casebook.md``.

    Returns 1 if any claim failed, else 0.
    """
    stream = stream or sys.stdout
    cases = select(only)
    folder = Path(out) if out else None
    if folder is not None and folder.exists() and not folder.is_dir():
        raise SelcalcError(f"--out {out}: a file of that name exists; the casebook is written "
                           f"into a folder (casebook.md and figures): choose another --out or "
                           f"remove the file")
    results = []
    for i, case in enumerate(cases, 1):
        print(f"[{i:>2}/{len(cases)}] {case.name} ...", end="", file=stream, flush=True)
        r = run_case(case)
        results.append(r)
        status = f"{r.count(VERIFIED)}/{len(r.claims)} verified"
        if r.count(FAILED):
            status += f", {r.count(FAILED)} FAILED"
        if r.count(UNKNOWN):
            status += f", {r.count(UNKNOWN)} unknown"
        print(f" {status} ({r.seconds:.1f} s)", file=stream, flush=True)
    print("", file=stream)
    print(_summary_table(results), file=stream)
    for r in results:
        for c in r.claims:
            if c.status == FAILED:
                print(f"\nFAILED in {r.case.name}: {c.description}", file=stream)
                if c.error:
                    lines = c.error.rstrip().splitlines()
                    print("\n".join(lines[:1] + ["  ..."] + lines[-3:]) if len(lines) > 5
                          else c.error, file=stream)
                elif c.verdict is not None:
                    print(f"  {c.verdict}", file=stream)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SelcalcError(f"--out {out}: cannot create the folder: "
                               f"{exc.strerror or exc}") from None
        page = folder / "casebook.md"
        page.write_text(render_markdown(results, folder), encoding="utf-8")
        print(f"\nwrote {page}", file=stream)
        if not have_matplotlib():
            print(f"note: {NO_MATPLOTLIB}", file=stream)
    return 1 if any(r.count(FAILED) for r in results) else 0


def _cli(argv=None):
    parser = argparse.ArgumentParser(prog="python -m casebook.runner",
                                     description="Run and render the selcalc casebook.")
    parser.add_argument("--out", default="casebook/out", help="folder for the rendering")
    parser.add_argument("--case", help="run only these cases (comma-separated names)")
    args = parser.parse_args(argv)
    try:
        return main(out=args.out, only=args.case)
    except SelcalcError as exc:
        print(f"casebook: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(_cli())
