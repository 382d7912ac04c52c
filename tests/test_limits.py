"""Work limits and early stops: ``selcalc check --time-limit / --max-patterns / --max-cells
/ --progress``, the pattern-count estimate, and ``artificial_critical``'s early stops
checked against the full route (every set computed, then 0 tested)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import selcalc
from selcalc import certificates
from selcalc.cli import main
from selcalc.fields import ClarkeBounds, _clarke_until_zero, _ZeroWatch
from selcalc.budget import Budget
from selcalc.report import check_report, estimate

from tests.strategies import programs

# a one-layer ReLU net with 8 neurons tied at 0 (4 inputs): 256 tie patterns
NET = "def net(x0, x1, x2, x3):\n    return " + " + ".join(
    f"({c})*relu(({a})*x0 + ({b})*x1 + ({d})*x2 + ({e})*x3)"
    for a, b, d, e, c in [(2, 2, -4, 0, 1), (3, 2, 0, 3, -1), (-1, 4, -2, 0, -2),
                          (-3, 0, 4, -2, -1), (-3, -3, 1, 3, 1), (-3, 1, 2, 1, 1),
                          (-1, 4, 3, 3, 3), (4, 0, -4, 4, -3)])


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET + "\n")
    return str(path)


def test_tiny_time_limit_stops_every_section_with_bounds(net_file, capsys):
    code, out, err = run(["check", net_file, "--at", "0,0,0,0", "--time-limit", "1e-9"],
                         capsys)
    assert code == 0, err
    assert "Estimate: 8 tied node(s), 256 tie pattern(s) at the point" in out
    assert "AD outputs over all tie-breaking choices:\n  stopped: time_limit" in out
    assert "Index closure D_f (Definition 5): stopped: time_limit" in out
    assert "Clarke subgradient: not finished, stopped: time_limit" in out
    assert "bounds reached: contains nothing yet; lies in" in out
    assert "raise it with --time-limit SECONDS" in out
    assert "0 in conv(AD outputs): unknown; selection critical (0 in D_f): unknown" in out
    assert err == ""  # stderr is not a terminal here: no progress line


def test_tiny_time_limit_json_fields(net_file, capsys):
    code, out, _ = run(["check", net_file, "--at", "0,0,0,0", "--time-limit", "1e-9",
                        "--json"], capsys)
    assert code == 0
    r = json.loads(out)
    assert r["estimate"] == {"ties": 8, "tie_patterns": 256, "patterns": 256,
                             "over_budget": []}
    for name in ("ad_outputs", "index_closure"):
        assert r[name]["stopped"] == "time_limit" and r[name]["flag"] == "--time-limit"
    c = r["clarke"]
    assert c["exact"] is False and c["stopped"] == "time_limit"
    assert c["flag"] == "--time-limit" and c["inner"] is None
    # the outer bound (the hull of every AD output) is not computed past the time limit
    assert c["outer"] is None
    assert all(e["in_ad_outputs_hull"] is None for e in r["conventions"])
    assert r["criticality"]["zero_in_ad_outputs_hull"] is None
    art = r["artificial_critical"]
    # exact or unknown: when unknown, it names the limit
    assert art["holds"] is False or (art["holds"] is None and art["stopped"] == "time_limit")


def test_max_cells_gives_sound_bounds(net_file, capsys):
    code, out, _ = run(["check", net_file, "--at", "0,0,0,0", "--max-cells", "20",
                        "--json"], capsys)
    assert code == 0
    c = json.loads(out)["clarke"]
    assert c["stopped"] == "max_cells" and c["flag"] == "--max-cells"
    P = selcalc.parse(NET)
    full = selcalc.clarke(P, (0, 0, 0, 0))
    bounds = selcalc.clarke(P, (0, 0, 0, 0), max_cells=20, allow_unknown=True)
    assert isinstance(bounds, ClarkeBounds) and bounds.limit == "max_cells"
    assert c["inner"] == (str(bounds.inner) if bounds.inner is not None else None)
    if bounds.inner is not None:
        assert bounds.inner.issubset(full)
    assert full.issubset(bounds.outer)


def test_max_patterns_stops_the_enumerations(net_file, capsys):
    code, out, _ = run(["check", net_file, "--at", "0,0,0,0", "--max-patterns", "100"],
                       capsys)
    assert code == 0
    assert "over the pattern budget: ad_outputs, index_closure (raise it with " \
           "--max-patterns N)" in out
    assert "stopped: max_patterns (256 tie-breaking choices exceed the budget of 100" in out
    assert "Clarke subgradient: conv{" in out  # the cell search needs no pattern budget


@pytest.mark.parametrize("flag, value", [
    ("--time-limit", "0"), ("--time-limit", "-1"), ("--time-limit", "soon"),
    ("--time-limit", "nan"), ("--time-limit", "inf"), ("--max-patterns", "0"),
    ("--max-patterns", "1.5"), ("--max-cells", "-3"), ("--max-cells", "many")])
def test_bad_limit_values_exit_2(flag, value, capsys):
    code, out, err = run(["check", "--example", "identity", flag, value], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"selcalc: error: argument {flag}: {value!r} is not a positive")
    code, out, err = run(["check", "--example", "identity", flag, value, "--json"], capsys)
    assert code == 2
    assert json.loads(out)["error"]["type"] == "UsageError"


def test_progress_on_stderr_only_when_asked(capsys):
    code, out, err = run(["check", "--example", "identity", "--progress"], capsys)
    assert code == 0
    assert err.startswith("selcalc: 4 tie pattern(s) at the point, 4 pattern(s) in all")
    assert "\r" in err and "Artificial critical point: YES" in out
    code, _, err = run(["check", "--example", "identity", "--no-progress"], capsys)
    assert code == 0 and err == ""


def test_estimate_before_any_enumeration():
    src = "def f(x):\n    return " + " + ".join(f"relu(x - {i % 3})" for i in range(40))
    P = selcalc.parse(src)
    e = estimate(P, 0, max_patterns=10 ** 6)
    assert e["tie_patterns"] == 2 ** 14 and e["patterns"] == 2 ** 40
    assert e["over_budget"] == ["index_closure"]
    r = check_report(P, 1, max_patterns=10 ** 6, time_limit=5)
    assert r["estimate"]["tie_patterns"] == 2 ** 13
    assert r["index_closure"]["stopped"] == "max_patterns"


# ---------------------------------------------------------------------- early stops
def full_route(P, x, field):
    """The oracle: the whole field and the whole Clarke set, then membership of 0."""
    D = selcalc.ad_outputs(P, x) if field == "ad_outputs" else selcalc.index_closure(P, x)
    if D.contains_zero().holds is False:
        return False, D, None
    C = selcalc.clarke(P, x)
    return not C.contains_zero().holds, D, C


@st.composite
def with_artificial_points(draw):
    """A random program f plus ``c x1 + M zero(x1 - a)`` at a point with x1 = a, where
    ``zero(t) = relu(-t) + t - relu(t)``: the zero term widens the AD outputs along x1
    without changing f, and ``c x1`` shifts the Clarke set, so all three outcomes (0
    outside the AD outputs, 0 in the Clarke set, artificial critical) occur."""
    source, point = draw(programs(max_inputs=3, max_statements=6))
    c, M = draw(st.sampled_from([0, 1, 3, 20])), draw(st.sampled_from([0, 2, 50]))
    p = len(point)
    xs = ", ".join(f"x{i}" for i in range(1, p + 1))
    t = f"(x1 - ({point[0]}))"
    source += (f"\n\ndef g({xs}):\n    return f({xs}) + {c} * x1 + {M} * (relu(-{t}) + {t}"
               f" - relu({t}))\n")
    return source, point


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_artificial_points(), st.sampled_from(["ad_outputs", "index_closure"]))
def test_early_stop_answers_equal_the_full_route(case, field):
    source, point = case
    P = selcalc.parse(source, "g")
    want, D, C = full_route(P, point, field)
    v = selcalc.artificial_critical(P, point, field=field)
    assert v.holds is want, (source, point, v)
    cert = v.certificate
    zero = (0,) * P.p
    if v.holds is True:  # weights over AD outputs that all lie in the full field
        certificates.check_weights(cert["field"].generators, zero, cert["weights"])
        assert cert["field"].issubset(D)
        assert C == cert["clarke"]
    elif "clarke_weights" in cert:  # 0 from certified Clarke elements of the full set
        certificates.check_weights(cert["clarke"].generators, zero, cert["clarke_weights"])
        assert cert["clarke"].issubset(C if C is not None else selcalc.clarke(P, point))
    else:
        assert D == cert["field"]


def test_cell_search_stops_once_zero_is_in_the_hull():
    from bench.networks import relu_network
    P, _ = relu_network([4, 12, 1], seed=0, tied_first_layer=12)
    x = (0, 0, 0, 0)
    full = selcalc.clarke(P, x)
    assert full.contains_zero().holds
    early = _clarke_until_zero(P, x, Budget("test"), None, None)
    assert early.contains_zero().holds and early.issubset(full)
    assert len(early.points) < len(full.points)  # fewer essential gradients found
    assert selcalc.artificial_critical(P, x).holds is False


def test_zero_watch_never_takes_an_undecided_sign_for_zero(monkeypatch):
    import selcalc.fields as fields
    from selcalc.errors import Undecided

    def undecided(v):
        raise Undecided("sign not certified")
    P = selcalc.parse("def f(x, y):\n    return relu(x) + y")
    watch = fields._ZeroWatch(P)
    monkeypatch.setattr(fields, "sign", undecided)
    assert watch.add("a", (1, 2)) is False  # not mistaken for 0: the LP decides
    monkeypatch.undo()
    assert watch.found is None
    assert watch.add("b", (-1, -2)) is True  # 0 = (a + b) / 2, by the exact LP
    S, verdict = watch.found
    certificates.check_weights(S.generators, (0, 0), verdict.certificate["weights"])


def test_stopped_clarke_outer_bound_respects_the_time_limit(monkeypatch):
    """A Clarke search stopped by its time limit has no time left for the outer bound (up
    to 4096 tie choices of AD outputs): ``outer`` is None, not computed past the limit.  A
    search stopped by ``max_cells`` computes it within the time the caller has left."""
    import selcalc.fields as F
    P = selcalc.parse(NET)
    x = (0, 0, 0, 0)
    seen = []
    real = F.ad_outputs

    def spy(*args, **kw):
        seen.append(kw.get("time_limit"))
        return real(*args, **kw)

    monkeypatch.setattr(F, "ad_outputs", spy)
    bounds = selcalc.clarke(P, x, allow_unknown=True, time_limit=1e-9)
    assert bounds.limit == "time_limit" and bounds.outer is None and seen == []
    bounds = selcalc.clarke(P, x, allow_unknown=True, max_cells=20, time_limit=600)
    assert bounds.limit == "max_cells" and bounds.outer is not None
    assert len(seen) == 1 and 0 < seen[0] < 600  # the remaining time, not unlimited
    full = real(P, x)
    assert bounds.outer.issubset(full) and full.issubset(bounds.outer)
    # artificial_critical's Clarke step: the same, with the time its budget has left
    seen.clear()
    monkeypatch.setattr(F, "_ZeroWatch", _NeverZero)
    verdict = selcalc.artificial_critical(P, x, max_cells=20, time_limit=600)
    assert verdict.holds is not True and len(seen) == 1 and 0 < seen[0] < 600


class _NeverZero:
    """A watch that never stops early (so the Clarke step runs to its limit)."""

    def __init__(self, P):
        self.inner = _ZeroWatch(P)
        self.found = None

    def add(self, key, point):
        self.inner.add(key, point)
        return False

    def answer(self):
        return self.inner.answer()


def test_clarke_element_probe_is_under_the_time_limit(monkeypatch):
    """``clarke_element`` takes a budget (raising TimeLimitExceeded past it), and the probe
    at the start of ``artificial_critical`` runs under the caller's budget."""
    import selcalc.fields as F
    from selcalc.local import clarke_element
    P = selcalc.parse(NET)
    with pytest.raises(selcalc.TimeLimitExceeded, match="clarke_element"):
        clarke_element(P, (0, 0, 0, 0), budget=1e-9)
    b = Budget("test", time_limit=600)
    assert clarke_element(P, (0, 0, 0, 0), budget=b).value == \
        clarke_element(P, (0, 0, 0, 0)).value and b.done >= 1
    seen = []
    real = F.clarke_element

    def spy(*args, **kw):
        seen.append(kw.get("budget"))
        return real(*args, **kw)

    monkeypatch.setattr(F, "clarke_element", spy)
    selcalc.artificial_critical(P, (0, 0, 0, 0), time_limit=600)
    assert isinstance(seen[0], Budget) and seen[0].time_limit == 600
    with pytest.raises(selcalc.TimeLimitExceeded):
        selcalc.artificial_critical(P, (0, 0, 0, 0), time_limit=1e-9)


def test_check_conservative_takes_a_pattern_budget():
    """max_patterns reaches the patterns check_conservative lists on the curve: a budget
    too small for the branching nodes gives an unknown verdict naming the budget, and the
    default answers.  Along the segment the AD outputs need one pattern per open piece, so
    the same small budget does not stop that check."""
    src = "def f(x, y):\n    return " + " + ".join(
        f"relu(x - {i} * y)" for i in range(6)) + "\n"
    P = selcalc.parse(src)
    gamma = selcalc.segment((-1, 1), (1, -1))
    assert selcalc.check_conservative(P, gamma).holds is True
    small = selcalc.check_conservative(P, gamma, max_patterns=2)
    assert small.holds is None and "max_patterns" in small.reason, small.reason
    assert selcalc.check_conservative(P, gamma, "ad_outputs", max_patterns=2).holds is True
