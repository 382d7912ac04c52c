"""The casebook registry: ``Case``, ``Claim`` and the ordered ``CASES``.

This module is a contract used by the runner, the CLI and the theorem regression tests:

* ``CASES`` — an ordered dict ``name -> Case``;
* ``Case`` — ``name``, ``title``, ``narrative``, ``source`` (plain Python parsed with
  :func:`selcalc.parse`), ``programs()`` (every ``def`` of the source, parsed),
  ``points`` (program name -> an interesting exact point), ``claims()``,
  ``expect_counterexample`` and ``tags``;
* ``Claim`` — ``description``, ``check`` (a callable that runs the engine *now* and returns a
  :class:`selcalc.Verdict` or a bool) and ``expected`` (``False`` for a statement that the
  case shows to be false: it counts as verified when the check fails).

>>> from casebook.registry import CASES
>>> case = CASES["identity"]
>>> sorted(case.programs())
['identity', 'line', 'relu2', 'zero']
>>> case.points["identity"]
(0,)
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import selcalc
from selcalc import Verdict


@dataclass
class Claim:
    """One statement a case makes, checked by the engine when the case runs.

    ``check()`` returns a :class:`selcalc.Verdict` (``holds`` True / False / None) or a
    bool.  The claim is *verified* when the outcome equals ``expected``, *unknown* when the
    engine answers None (or raises :class:`selcalc.Undecided`), *failed* otherwise.
    """

    description: str
    check: Callable[[], "Verdict | bool"]
    expected: bool = True


@dataclass
class Case:
    """A worked case: a story from the papers, its programs, and claims the engine checks.

    Parameters
    ----------
    name : str
        Registry key (``"zero"``, ``"sorting"`` ...).
    title : str
    narrative : str
        What the case shows and where it comes from (authors, venue).
    source : str
        The programs, as plain Python source with one or more ``def``.
    points : dict
        Program name -> an interesting exact point (a tuple).
    make_claims : callable
        ``make_claims(case) -> list[Claim]``; use :meth:`claims`.
    expect_counterexample : bool
        True when the case exhibits a counterexample (a statement that fails).
    tags : set of str
        e.g. ``{"figure1", "outside-logexp"}``.
    figure : callable, optional
        ``figure(case) -> dict`` of plot data computed by the engine (drawn by the runner
        when matplotlib is installed).
    table : callable, optional
        ``table(case) -> {"columns": [...], "rows": [[...], ...]}`` computed by the engine,
        rendered as a markdown table.
    """

    name: str
    title: str
    narrative: str
    source: str
    points: dict
    make_claims: Callable[["Case"], list]
    expect_counterexample: bool = False
    tags: set = field(default_factory=set)
    figure: Callable | None = None
    table: Callable | None = None
    _programs: dict | None = field(default=None, init=False, repr=False, compare=False)

    def program_names(self):
        """Names of the ``def`` statements of the source, in order."""
        tree = ast.parse(self.source)
        return [s.name for s in tree.body if isinstance(s, ast.FunctionDef)]

    def programs(self):
        """Every ``def`` of the source parsed with :func:`selcalc.parse` (name -> Program)."""
        if self._programs is None:
            self._programs = {name: selcalc.parse(self.source, name)
                              for name in self.program_names()}
        return dict(self._programs)

    def program(self, name):
        """One program of the case."""
        progs = self.programs()
        if name not in progs:
            raise KeyError(f"case {self.name} has no program {name!r}; it has "
                           f"{', '.join(progs)}")
        return progs[name]

    def claims(self):
        """The case's claims (fresh list; checks run only when called)."""
        return list(self.make_claims(self))


# The case modules import Case and Claim from here, so they are imported after both exist.
from . import (case_01_relu_family, case_02_zero, case_03_c_zero,  # noqa: E402
               case_04_identity, case_05_sine, case_06_theorem1, case_07_clarke_sum_rule,
               case_08_minibatch, case_09_relu_subgradient, case_10_sorting,
               case_11_max_pooling, case_12_nonconservative_field,
               case_13_integration_null_set, case_14_lemma1, case_15_cheap_gradient,
               case_16_np_hardness, case_17_fermat, case_18_framework_disagreements,
               case_19_index_closure, case_20_kink_curves, case_21_bad_step_sizes,
               case_22_integral_rule, case_23_implicit_inverse, case_24_unrolling,
               case_25_projection_formula)

MODULES = (case_01_relu_family, case_02_zero, case_03_c_zero, case_04_identity, case_05_sine,
           case_06_theorem1, case_07_clarke_sum_rule, case_08_minibatch,
           case_09_relu_subgradient, case_10_sorting, case_11_max_pooling,
           case_12_nonconservative_field, case_13_integration_null_set, case_14_lemma1,
           case_15_cheap_gradient, case_16_np_hardness, case_17_fermat,
           case_18_framework_disagreements, case_19_index_closure, case_20_kink_curves,
           case_21_bad_step_sizes, case_22_integral_rule, case_23_implicit_inverse,
           case_24_unrolling, case_25_projection_formula)

CASES: "OrderedDict[str, Case]" = OrderedDict((m.CASE.name, m.CASE) for m in MODULES)
