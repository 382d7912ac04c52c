"""How the theorem tests read a Verdict: fails -> assertion error; unknown -> reported.

An unknown verdict is never counted as a pass: a test of one verdict skips with the reason
(``pytest -rs`` lists it); inside a hypothesis test, where skipping would hide the other
examples, it is recorded as an :class:`UnknownVerdict` warning (shown in the warnings
summary).  Not applicable verdicts are neither.
"""

from __future__ import annotations

import warnings

import pytest

from selcalc.theorems._common import FAILS, NA, UNKNOWN, status


class UnknownVerdict(UserWarning):
    """A theorem check answered unknown (the engine could not decide)."""


def describe(verdict):
    lines = [str(verdict)]
    lines += [f"  checked: {c}" for c in verdict.checked[-5:]]
    if verdict.certificate is not None:
        lines.append(f"  certificate: {verdict.certificate!r}"[:2000])
    return "\n".join(lines)


def expect_holds(verdict, *, skip_unknown=True, expected_failure=False):
    """Assert the verdict does not fail; report unknown; return its status."""
    s = status(verdict)
    if s == FAILS:
        if expected_failure:
            pytest.xfail(f"expected counterexample: {verdict.reason}")
        raise AssertionError(describe(verdict))
    if s == UNKNOWN:
        if skip_unknown:
            pytest.skip(f"unknown: {verdict.reason or verdict.claim}")
        warnings.warn(f"unknown: {verdict.reason or verdict.claim}", UnknownVerdict)
    if s == NA and skip_unknown:
        pytest.skip(verdict.reason)
    return s
