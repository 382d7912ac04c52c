"""The ``selcalc check`` report: everything selcalc can say about a program at a point.

:func:`check_report` collects, exactly, the program listing (Algorithm 1 of the NeurIPS
2020 paper), its value, the AD output under each convention in forward and backward mode
(Algorithm 2), the ties at the point, the set of AD outputs over all tie-breaking choices,
the index closure ``D_f`` (Definition 5), the Clarke subgradient / Jacobian and the
artificial-critical-point verdict.  The result is a JSON-serialisable dict (exact numbers
as strings); :func:`render_report` turns it into readable text.

>>> import selcalc
>>> P = selcalc.parse("def identity(t):\\n    return t - (relu(-t) + t - relu(t))")
>>> report = check_report(P, "0")
>>> report["value"], report["conventions"][0]["gradient"]
('0', ['0'])
>>> report["ad_outputs"]["set"], report["clarke"]["set"]
('[0, 2]', '{1}')
>>> report["artificial_critical"]["holds"]
True
>>> print(render_report(report).splitlines()[0])
selcalc check: identity at t = 0
"""

from __future__ import annotations

from fractions import Fraction
from math import prod

import sympy

from .autodiff import jacobian
from .conventions import CONVENTIONS, get_convention
from .errors import PatternBudgetExceeded, TimeLimitExceeded, Undecided, count_str
from .fields import (MAX_PATTERNS, ClarkeBounds, ad_outputs, artificial_critical, clarke,
                     index_closure)
from .interpreters.evaluate import evaluate
from .numbers import canonical
from .points import long_integers
from .selection import Selection
from .sets import ConvexSet
from .verdict import Verdict

__all__ = ["check_report", "estimate", "render_report"]

#: each work limit of the report and the ``selcalc check`` option that raises it
LIMIT_FLAGS = {"time_limit": "--time-limit SECONDS", "max_patterns": "--max-patterns N",
               "max_cells": "--max-cells N"}


# ---------------------------------------------------------------------- JSON values
def _js(value):
    """A JSON-serialisable form: exact numbers as strings, containers as lists / dicts."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, Fraction)):
        return str(value)
    if isinstance(value, sympy.MatrixBase):
        return [[str(canonical(c)) for c in value.row(i)] for i in range(value.rows)]
    if isinstance(value, sympy.Basic):
        return str(canonical(value)) if not value.free_symbols else str(value)
    if isinstance(value, ConvexSet):
        return str(value)
    if isinstance(value, Verdict):
        return {"holds": value.holds, "claim": value.claim, "reason": value.reason,
                "certificate": _js(value.certificate)}
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else str(_js(k))): _js(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_js(v) for v in value]
    if hasattr(value, "certificate") and hasattr(value, "holds"):  # a local Decision
        return {"holds": value.holds, "certificate": _js(value.certificate)}
    return str(value)


def _point(v):
    """A vector (q = 1) or a Jacobian (q > 1) as strings."""
    if isinstance(v, sympy.MatrixBase):
        return _js(v)
    return [str(canonical(c)) for c in v]


def _set(S):
    return {"set": str(S), "vertices": [_point(v) for v in S.vertices], "dim": S.dim}


def _weights(S, cert):
    """A membership certificate with the points written out (not point indices)."""
    if "weights" in cert:
        return {"weights": [{"weight": _js(w), "vertex": _point(S.generators[i])}
                            for i, w in sorted(cert["weights"].items()) if w != 0]}
    return {"separator": _js(cert["separator"])}


def _pattern(key):
    """A pattern key ((group, piece), ...) as {"x<group>": piece}."""
    return {f"x{g}": i for g, i in key}


# ---------------------------------------------------------------------- the report
@long_integers()
def check_report(P, at, conventions=None, certificates=False, time_limit=None,
                 max_patterns=None, max_cells=None, progress=None):
    """Everything selcalc computes about program ``P`` at the point ``at``, as a dict.

    Parameters
    ----------
    P : Program
    at : number, sequence or comma-separated string (``"0, 1/2"``), read exactly.
    conventions : str or list of str, optional
        Conventions to report (default: every preset in :data:`selcalc.CONVENTIONS`).
    certificates : bool
        Include the certificates (convex weights, separating vectors, local decisions).
    time_limit : float, optional
        Seconds allowed to each set-valued section (AD outputs, index closure, Clarke set,
        artificial critical point); default none.
    max_patterns : int, optional
        Pattern budget of the enumerating sections (default: 2^16 tie choices for the AD
        outputs, 4096 patterns for the index closure).
    max_cells : int, optional
        Budget of nodes of the Clarke cell search (default none).
    progress : callable, optional
        Receives :class:`selcalc.budget.Progress` records during the long sections.

    Returns
    -------
    dict
        JSON-serialisable; exact numbers are strings.  Sections: ``program``, ``point``,
        ``value``, ``conventions``, ``ties``, ``ad_outputs``, ``index_closure``, ``clarke``,
        ``criticality``, ``artificial_critical``, and ``estimate`` (see :func:`estimate`).
        A section that cannot be computed holds ``{"error": message}`` (pattern budget
        exceeded, undecided sign ...); one stopped by a limit also holds ``"stopped"`` (the
        limit: ``time_limit``, ``max_patterns``, ``max_cells``) and ``"flag"`` (the
        ``selcalc check`` option that raises it).  A stopped Clarke search gives the
        bounds reached (``inner``, ``outer``; ``outer`` may be None).  An exact
        ``clarke`` section reached with undecided patterns lists them (``undecided``) and
        says why the set is exact anyway (``settled``); each tie of a program imported
        from torch / jax names its ``origin`` (library op, function, file, line).

    Raises
    ------
    SelcalcError
        For a bad point (wrong number of coordinates, unreadable number), an unknown
        convention, or a point outside the program's domain.
    """
    if conventions is None:
        names = list(CONVENTIONS)
    elif isinstance(conventions, str):
        names = [conventions]
    else:
        names = list(conventions)
    convs = [get_convention(c) for c in names]
    x = P.coerce_point(at)
    run = evaluate(P, x)
    values = [canonical(run.values[k]) for k in P.outputs]
    report = {
        "program": {"name": P.name, "listing": str(P), "p": P.p, "q": P.q, "m": P.m,
                    "inputs": list(P.input_names), "logexp": P.logexp,
                    "piecewise_linear": P.piecewise_linear,
                    "warnings": [str(w) for w in P.warnings]},
        "point": [str(canonical(v)) for v in x],
        "value": str(values[0]) if P.q == 1 else [str(v) for v in values],
    }
    if not P.logexp:
        report["program"]["warnings"].append(
            "uses analytic primitives outside the log-exp class (sin, cos): statements "
            "that need that class are only claimed on bounded domains")

    report["estimate"] = estimate(P, x, max_patterns)
    limits = {"time_limit": time_limit, "progress": progress}
    budgets = {name: max_patterns or default for name, default in MAX_PATTERNS.items()}
    A = _section(report, "ad_outputs", lambda: ad_outputs(
        P, x, max_patterns=budgets["ad_outputs"], **limits))
    if A is not None:
        report["ad_outputs"] = {**_set(A), "points": [_point(v) for v in A.points],
                                "tie_choices": len(A.patterns)}
    tied_families = {P.ops[g].family for g in run.ties()}
    report["conventions"] = [_convention_entry(P, x, conv, A, certificates, tied_families,
                                               report.get("ad_outputs"))
                             for conv in convs]
    report["ties"] = _ties(P, run)

    D = _section(report, "index_closure", lambda: index_closure(
        P, x, max_patterns=budgets["index_closure"], **limits))
    if D is not None:
        report["index_closure"] = {**_set(D), "patterns": len(D.patterns)}

    C = _clarke_section(report, P, x, certificates, max_cells=max_cells, **limits)
    report["criticality"] = _criticality(P, A, D, C)
    report["artificial_critical"] = _artificial(P, x, certificates, max_patterns=max_patterns,
                                                max_cells=max_cells, **limits)
    return report


def estimate(P, at, max_patterns=None):
    """The size of the enumerations at ``at``, known before any of them starts.

    ``ties``: tied branching nodes; ``tie_patterns``: the tie-breaking choices ``|T(x)|``
    the AD outputs enumerate (the product of the tied piece counts); ``patterns``: all
    patterns of the program (:attr:`selcalc.Selection.count`, enumerated by the index
    closure); ``over_budget``: the sections whose count exceeds their pattern budget.

    >>> import selcalc
    >>> P = selcalc.parse("def f(x, y):\\n    return relu(x) + relu(y) + relu(x - 1)")
    >>> estimate(P, (0, 0))
    {'ties': 2, 'tie_patterns': 4, 'patterns': 8, 'over_budget': []}
    """
    x = P.coerce_point(at)
    ties = evaluate(P, x).ties()
    counts = {"ad_outputs": prod(len(a) for a in ties.values()),
              "index_closure": Selection(P).count}
    over = [name for name, n in counts.items()
            if n > (max_patterns or MAX_PATTERNS[name])]
    return {"ties": len(ties), "tie_patterns": counts["ad_outputs"],
            "patterns": counts["index_closure"], "over_budget": over}


def _stopped(limit, exc):
    """The fields of a section stopped by ``limit`` (a key of :data:`LIMIT_FLAGS`)."""
    return {"error": f"stopped: {limit} ({exc}); raise it with {LIMIT_FLAGS[limit]}",
            "stopped": limit, "flag": LIMIT_FLAGS[limit].split()[0], "reason": str(exc)}


def _section(report, name, compute):
    try:
        return compute()
    except PatternBudgetExceeded as exc:
        report[name] = _stopped("max_patterns", exc)
    except TimeLimitExceeded as exc:
        report[name] = _stopped("time_limit", exc)
    except Undecided as exc:
        report[name] = {"error": f"undecided: {exc}"}
    return None


def _convention_entry(P, x, conv, A, certificates, tied_families, A_section):
    averaging = conv.averaging_families()
    entry = {"name": conv.name, "description": conv.description,
             "selection": conv.is_selection, "averaging": averaging,
             "averages_here": sorted(f for f in tied_families
                                     if f in averaging or f"{f} (forward)" in averaging)}
    for mode in ("backward", "forward"):
        entry[mode] = _js(jacobian(P, x, convention=conv, mode=mode))
    entry["modes_agree"] = entry["backward"] == entry["forward"]
    if P.q == 1:
        entry["gradient"] = entry["backward"][0]
    if A is not None:
        out = jacobian(P, x, convention=conv)
        try:
            verdict = A.contains(out if P.q > 1 else tuple(out))
            entry["in_ad_outputs_hull"] = verdict.holds
            if certificates:
                entry["in_ad_outputs_hull_certificate"] = _weights(A, verdict.certificate)
        except Undecided as exc:
            entry["in_ad_outputs_hull"] = None
            entry["in_ad_outputs_hull_reason"] = str(exc)
    elif A_section is not None:  # the AD outputs were not computed: unknown
        entry["in_ad_outputs_hull"] = None
        entry["in_ad_outputs_hull_reason"] = A_section["error"]
    return entry


def _listing_lines(P, nodes):
    """The listing line of each node of ``nodes`` (a set), from one listing of ``P``."""
    found = {}
    for line in str(P).splitlines():
        text = line.strip()
        head = text.split(" =", 1)[0].split(", ", 1)[0]
        if head.startswith("x") and head[1:].isdigit() and int(head[1:]) in nodes:
            found.setdefault(int(head[1:]), text)
    return {g: found.get(g, f"x{g} = {P.ops[g].name}(...)") for g in nodes}


def _ties(P, run):
    ties = []
    tied = run.ties()
    lines = _listing_lines(P, set(tied)) if tied else {}
    for g, active in tied.items():
        prim = P.ops[g]
        args = [P.node_label(j) for j in P.args[g]]
        ties.append({
            "node": g, "operation": lines[g], "primitive": prim.name,
            "arguments": {name: str(canonical(run.values[j]))
                          for name, j in zip(args, P.args[g])},
            "tied_pieces": [{"index": i, "piece": str(prim.piece(i))} for i in active],
            **_origin(P, g)})
    return ties


def _origin(P, k):
    """``{"origin": ...}`` (op and source location) for a node of an imported program.

    Programs from :func:`selcalc.from_torch` / :func:`selcalc.from_jax` remember, for each
    node, the library op and the user's source line it came from; others give ``{}``.
    """
    info = getattr(P, "node_info", None)
    if info is None:
        return {}
    o = info(k)
    return {"origin": {"op": o.op, "function": o.function, "file": o.file, "line": o.line,
                       "code": o.code, "text": str(o)}}


def _settled(C):
    """Why a Clarke set with undecided patterns is exact anyway (``{}`` when none is)."""
    if not getattr(C, "undecided", None):
        return {}
    return {"undecided": [_pattern(key) for key in C.undecided], "settled": C.settled}


def _clarke_section(report, P, x, certificates, time_limit=None, max_cells=None,
                    progress=None):
    try:
        C = clarke(P, x, allow_unknown=True, time_limit=time_limit, max_cells=max_cells,
                   progress=progress)
    except Undecided as exc:
        report["clarke"] = {"exact": False, "error": str(exc)}
        return None
    except PatternBudgetExceeded as exc:
        report["clarke"] = {"exact": False, "error": f"pattern budget exceeded: {exc}"}
        return None
    if isinstance(C, ClarkeBounds) and C.stopped is not None:
        report["clarke"] = {
            "exact": False, **_stopped(C.limit, C.stopped),
            "inner": str(C.inner) if C.inner is not None else None,
            "outer": str(C.outer) if C.outer is not None else None,
            "undecided_patterns": len(C.undecided),
            "note": "the search stopped before the end: the Clarke set contains the inner "
                    "hull (essential patterns found so far) and lies in the outer hull (all "
                    "AD outputs; None when they are too many or were not computed within "
                    "the time limit)"}
        return C
    if isinstance(C, ClarkeBounds):
        report["clarke"] = {
            "exact": False, "inner": str(C.inner) if C.inner else None,
            "outer": str(C.outer), "undecided_patterns": len(C.undecided),
            "note": "some patterns could not be decided essential or not: the Clarke set "
                    "lies between the inner and the outer hull"}
        return C
    entry = {"exact": True, **_set(C), "essential_patterns": len(C.patterns),
             "lp_calls": C.stats.lp, "smt_calls": C.stats.smt, **_settled(C)}
    if certificates:
        entry["decisions"] = [{"pattern": _pattern(key), "essential": dec.holds,
                               "certificate": _js(dec.certificate)}
                              for key, dec in C.decisions.items()]
    report["clarke"] = entry
    return C


def _zero_in(S):
    """Is 0 in the set: True / False / None; for Clarke bounds, 0 in the inner hull says
    yes, 0 outside the outer hull says no, anything else is unknown."""
    if S is None:
        return None
    try:
        if isinstance(S, ClarkeBounds):
            if S.inner is not None and S.inner.contains_zero().holds:
                return True
            if S.outer is not None and S.outer.contains_zero().holds is False:
                return False
            return None
        return S.contains_zero().holds
    except Undecided:
        return None


def _criticality(P, A, D, C):
    if P.q != 1:
        return {"note": "not applicable (criticality is defined for scalar programs)"}
    return {"zero_in_ad_outputs_hull": _zero_in(A),
            "selection_critical": _zero_in(D),
            "clarke_critical": _zero_in(C)}


def _artificial(P, x, certificates, **limits):
    if P.q != 1:
        return {"holds": None, "applicable": False,
                "reason": "defined for scalar programs only"}
    try:
        verdict = artificial_critical(P, x, **limits)
    except PatternBudgetExceeded as exc:
        return {"holds": None, **_stopped("max_patterns", exc)}
    except TimeLimitExceeded as exc:
        return {"holds": None, **_stopped("time_limit", exc)}
    except Undecided as exc:
        return {"holds": None, "reason": str(exc)}
    out = {"holds": verdict.holds, "claim": verdict.claim, "reason": verdict.reason}
    cert = verdict.certificate
    if verdict.holds is None and cert and cert.get("stopped"):
        out.update({k: v for k, v in _stopped(cert["stopped"], verdict.reason).items()
                    if k != "reason"})
    if certificates and cert is not None and verdict.holds is not None:
        if verdict.holds is True:
            out["certificate"] = {**_weights(cert["field"], cert), "w": _js(cert["w"]),
                                  "clarke": str(cert["clarke"])}
        elif "separator" in cert:
            out["certificate"] = {"separator": _js(cert["separator"]),
                                  "ad_outputs": str(cert["field"])}
        else:
            out["certificate"] = {**_weights(cert["clarke"], {"weights": cert[
                "clarke_weights"]}), "clarke": str(cert["clarke"])}
    return out


# ---------------------------------------------------------------------- rendering
def _vec(v):
    if isinstance(v, list) and v and isinstance(v[0], list):
        return "[" + "; ".join(", ".join(row) for row in v) + "]"
    if isinstance(v, list):
        return "(" + ", ".join(v) + ")"
    return str(v)


def _set_line(section):
    if "error" in section:
        return section["error"]
    return section["set"]


@long_integers()
def render_report(report):
    """Readable text for a :func:`check_report` dict."""
    prog = report["program"]
    names = prog["inputs"]
    point = ", ".join(f"{n} = {v}" for n, v in zip(names, report["point"]))
    out = [f"selcalc check: {prog['name'] or 'program'} at {point}", ""]
    out.append("Program (Algorithm 1):")
    out += ["  " + line for line in prog["listing"].splitlines()]
    for w in prog["warnings"]:
        out.append(f"  warning: {w}")
    value = report["value"]
    out += ["", f"Value: {value if isinstance(value, str) else _vec(value)}"]
    est = report.get("estimate")
    if est is not None:
        out.append(f"Estimate: {est['ties']} tied node(s), {count_str(est['tie_patterns'])} "
                   f"tie pattern(s) at the point (AD outputs), {count_str(est['patterns'])} "
                   f"pattern(s) in all (index closure)")
        if est["over_budget"]:
            out.append(f"  over the pattern budget: {', '.join(est['over_budget'])} (raise "
                       f"it with {LIMIT_FLAGS['max_patterns']})")
    out.append("")

    out.append("AD output (Algorithm 2):")
    width = max(len(c["name"]) for c in report["conventions"]) if report["conventions"] else 8
    for c in report["conventions"]:
        if c["averages_here"]:
            kind = "averages here: " + ", ".join(c["averages_here"])
        else:
            kind = "selection" if c["selection"] else "selection here"
        bwd = _vec(c["gradient"]) if "gradient" in c else _vec(c["backward"])
        line = f"  {c['name']:<{width}}  backward {bwd}"
        if c["modes_agree"]:
            line += "  forward: same"
        else:
            fwd = _vec(c["forward"][0]) if "gradient" in c else _vec(c["forward"])
            line += f"  forward {fwd}  (the modes differ)"
        line += f"  [{kind}]"
        if c.get("in_ad_outputs_hull") is False:
            line += "  NOT in conv(AD outputs)"
        out.append(line)
        if "in_ad_outputs_hull_certificate" in c:
            out.append(f"    in conv(AD outputs): {_combination(c['in_ad_outputs_hull_certificate'])}")

    out += ["", "Ties at the point:"]
    if not report["ties"]:
        out.append("  none: every branching node has one active piece (AD returns the "
                   "gradient)")
    for t in report["ties"]:
        args = ", ".join(f"{k} = {v}" for k, v in t["arguments"].items())
        out.append(f"  {t['operation']}   with {args}")
        if "origin" in t:
            out.append(f"    from {t['origin']['text']}")
        for p in t["tied_pieces"]:
            out.append(f"    piece {p['index']}: {p['piece']}")

    A = report["ad_outputs"]
    out += ["", "AD outputs over all tie-breaking choices:"]
    if "error" in A:
        out.append(f"  {A['error']}")
    else:
        out.append(f"  {A['tie_choices']} choice(s), {len(A['points'])} distinct output(s): "
                   + ", ".join(_vec(p) for p in A["points"][:12])
                   + (" ..." if len(A["points"]) > 12 else ""))
        out.append(f"  conv(AD outputs) = {A['set']}")
    out.append(f"Index closure D_f (Definition 5): {_set_line(report['index_closure'])}")
    C = report["clarke"]
    if C.get("exact"):
        out.append(f"Clarke {'subgradient' if prog['q'] == 1 else 'Jacobian'}: {C['set']}  "
                   f"({C['essential_patterns']} essential pattern(s), {C['lp_calls']} LP, "
                   f"{C['smt_calls']} SMT call(s))")
        out += _settled_lines(C)
        for d in C.get("decisions", []):
            pattern = ", ".join(f"{k} -> piece {v}" for k, v in d["pattern"].items())
            out.append(f"    {pattern or 'no tie'}: essential = {d['essential']}; "
                       f"{_decision(d['certificate'])}")
    elif "stopped" in C:
        name = "subgradient" if prog["q"] == 1 else "Jacobian"
        out.append(f"Clarke {name}: not finished, {C['error']}")
        inner = _short(C["inner"]) or "nothing yet"
        outer = _short(C["outer"]) or ("unknown (the outer hull of the AD outputs was "
                                       "not computed: too many, or not within the time "
                                       "limit)")
        out.append(f"  bounds reached: contains {inner}; lies in {outer}")
    elif "error" in C:
        out.append(f"Clarke set: unknown ({C['error']})")
    else:
        out.append(f"Clarke set: between {C['inner']} and {C['outer']} "
                   f"({C['undecided_patterns']} undecided pattern(s))")

    crit = report["criticality"]
    art = report["artificial_critical"]
    out.append("")
    if "note" in crit:
        out.append(f"Criticality: {crit['note']}")
    else:
        yn = {True: "yes", False: "no", None: "unknown"}
        out.append(f"0 in conv(AD outputs): {yn[crit['zero_in_ad_outputs_hull']]}; "
                   f"selection critical (0 in D_f): {yn[crit['selection_critical']]}; "
                   f"Clarke critical: {yn[crit['clarke_critical']]}")
    verdict = {True: "YES", False: "no", None: "unknown"}[art["holds"]]
    if art.get("applicable") is False:
        verdict = "not applicable"
    text = f"Artificial critical point: {verdict}"
    if art.get("reason"):
        text += f" ({art['reason']})"
    if art.get("stopped"):
        text += f"; raise the limit with {LIMIT_FLAGS[art['stopped']]}"
    out.append(text)
    cert = art.get("certificate")
    if cert:
        if "separator" in cert:
            out.append(f"  certificate: <w, v> < <w, 0> for every AD output v, with "
                       f"w = {_vec(cert['separator'])}")
        else:
            out.append(f"  certificate: 0 = {_combination(cert)}")
            if "w" in cert:
                out.append(f"  and <w, v> > 0 for every Clarke vertex v, w = {_vec(cert['w'])}")
    return "\n".join(out)


def _short(text, limit=240):
    """A set's text, or its size when too long for one line (the JSON has it in full)."""
    if text is None or len(text) <= limit:
        return text
    return f"the hull of {text.count('(')} points (in full under --json)"


def _settled_lines(C):
    if not C.get("undecided"):
        return []
    patterns = "; ".join(", ".join(f"{k} -> piece {v}" for k, v in p.items()) or "no tie"
                         for p in C["undecided"])
    return [f"  exact although {len(C['undecided'])} pattern(s) stay undecided ({patterns}): "
            f"{C['settled']}"]


def _combination(cert):
    if "separator" in cert:
        return f"no: separated by w = {_vec(cert['separator'])}"
    return " + ".join(f"{t['weight']}·{_vec(t['vertex'])}" for t in cert["weights"])


def _decision(cert):
    kind = cert.get("kind")
    if kind == "direction":
        return f"interior direction d = {_vec(cert['direction'])}"
    if kind == "gordan":
        return f"no interior: Gordan multipliers {_vec(cert['lambda'])}"
    if kind == "stiemke":
        return f"no interior: Stiemke multipliers {_vec(cert['lambda'])}"
    if kind == "equality":
        return "an equality test with nonzero gradient: no interior"
    if kind == "smt":
        return "decided exactly by z3 (nonlinear real arithmetic)"
    return str(cert)
