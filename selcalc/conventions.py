"""Conventions: what a primitive's derivative is at a tie, as data.

A rule, keyed by primitive *family*, turns the tied pieces ``A_k(x)`` into weights:

* ``"first"`` — the lowest tied piece index (a selection);
* ``("prefer", (i, j, ...))`` — the first tied piece in that order (a selection);
* ``"mean"`` — the uniform average of the tied pieces (averaging);
* a callable ``active -> {piece: weight}`` with nonnegative weights summing to 1 (a
  callable with the attribute ``reads_primitive = True`` is called as
  ``rule(active, primitive)``, for rules that depend on the primitive's own data, as where
  the tied entries of a pooling window lie).

Families: ``relu, abs, leaky_relu, maximum, minimum`` (two arguments), ``max, min``
(reductions over three or more), ``clip, sort, where``.  Presets reproduce what PyTorch,
JAX and TensorFlow return, per measured library version (``"pytorch@2.13"``; a plain
``"pytorch"`` is the newest measured version), from the rule tables of
:mod:`selcalc.libraries.table` (see ``docs/conventions.md``).  A convention may
differ between forward and backward mode (``forward_rules``).

>>> from selcalc.primitives import PRIMITIVES
>>> CONVENTIONS["pytorch"].weights(PRIMITIVES["abs"], (0, 1), "backward")
{0: Fraction(1, 2), 1: Fraction(1, 2)}
>>> is_selection_convention("selection"), is_selection_convention("jax")
(True, False)

Names are checked when the convention is made, so a typo cannot be silently ignored:

>>> try:
...     Convention("typo", rules={"reLU": "mean"})
... except SelcalcError as exc:
...     print(str(exc).split(";")[0])
convention typo: unknown primitive family 'reLU' (did you mean 'relu'?)

Writing your own is described in ``docs/conventions.md``.
"""

from __future__ import annotations

import difflib
from fractions import Fraction

from .errors import SelcalcError
from .libraries.table import (DESCRIPTIONS, GENERIC, PRESET_NAMES, RULES, family,
                              measured_versions, newest)


class Convention:
    """A named tie rule per primitive family (and optionally per mode).

    Parameters
    ----------
    name : str
    rules : dict
        family -> rule (see the module docstring); families not listed use ``default``.
    default : rule
        Rule for other families (``"first"`` unless given).
    forward_rules : dict, optional
        Overrides used in forward mode only (libraries whose modes disagree).
    description : str
    """

    def __init__(self, name, rules=None, default="first", forward_rules=None, description=""):
        self.name = name
        self.rules = dict(rules or {})
        self.default = default
        self.forward_rules = dict(forward_rules or {})
        self.description = description
        families = tie_families()
        for fam in list(self.rules) + list(self.forward_rules):
            if fam not in families:
                raise SelcalcError(f"convention {name}: unknown primitive family {fam!r}"
                                   f"{_suggest(fam, families)}; the families with ties "
                                   f"are {', '.join(sorted(f for f in families if '.' not in f))}"
                                   f" and the library ops listed in docs/models.md")
        for rule in list(self.rules.values()) + list(self.forward_rules.values()) + [default]:
            _check_rule(rule, name)

    def __repr__(self):
        return f"Convention({self.name!r})"

    def rule(self, family, mode="backward"):
        if mode == "forward" and family in self.forward_rules:
            return self.forward_rules[family]
        return self.rules.get(family, self.default)

    def weights(self, prim, active, mode="backward"):
        """Weights over the tied pieces ``active`` of primitive ``prim``.

        Pieces that give the same value and derivative where the program reads them
        (``prim.distinct_readings``: a ``topk`` whose tie lies below the k returned
        entries) count once, so such a tie is decided whatever the rule."""
        active = prim.distinct_readings(active)
        if len(active) == 1:
            return {active[0]: 1}
        rule = self.rule(prim.family, mode)
        if rule == "first":
            return {active[0]: 1}
        if rule == "last":
            return {active[-1]: 1}
        if rule == "mean":
            w = Fraction(1, len(active))
            return {i: w for i in active}
        if isinstance(rule, tuple) and rule[0] == "prefer":
            for i in rule[1]:
                if i in active:
                    return {i: 1}
            return {active[0]: 1}
        weights = dict(rule(tuple(active), prim) if getattr(rule, "reads_primitive", False)
                       else rule(tuple(active)))
        if set(weights) - set(active) or any(w < 0 for w in weights.values()) or \
                sum(weights.values()) != 1:
            raise SelcalcError(f"convention {self.name}: rule for {prim.family} returned "
                               f"{weights}, not convex weights over the tied pieces {active}")
        return weights

    @property
    def is_selection(self):
        """True when every rule picks a single tied piece (Theorem 2 applies)."""
        return not self.averaging_families() and _picks_one(self.default)

    def averaging_families(self):
        """Families whose rule may combine several tied pieces."""
        rules = {**self.rules, **{f"{k} (forward)": v for k, v in self.forward_rules.items()}}
        return sorted(k for k, r in rules.items() if not _picks_one(r))


def _picks_one(rule):
    """Whether ``rule`` gives all the weight to one tied piece (a callable says so by its
    attribute ``picks_one``)."""
    return (callable(rule) and getattr(rule, "picks_one", False)) or \
        rule in ("first", "last") or (isinstance(rule, tuple) and rule[0] == "prefer")


RULE_NAMES = ("first", "last", "mean")


def tie_families():
    """The primitive families a convention can give a rule for (those with several pieces).

    Read from the primitive table, so a primitive added to ``PRIMITIVES`` is known here
    too; a family whose primitives are only made by a factory (as ``max_primitive(r)``) is
    listed in ``selcalc.primitives.table.TIE_FAMILIES`` if that tuple exists.

    >>> sorted(f for f in tie_families() if "." not in f)[:4]
    ['abs', 'clip', 'leaky_relu', 'max']
    >>> "torch.hardtanh" in tie_families()  # ops of imported programs, from the rule table
    True
    """
    from .primitives import table
    made = [table.max_primitive(2), table.max_primitive(3), table.min_primitive(2),
            table.min_primitive(3), table.sort_primitive(2), table.clip_primitive(0, 1)]
    library_ops = [family(lib, op) for lib, versions in RULES.items()
                   for ops in versions.values() for op in ops]  # imported programs' ops
    return frozenset([p.family for p in list(table.PRIMITIVES.values()) + made
                      if p.n_pieces > 1] + list(getattr(table, "TIE_FAMILIES", ())) +
                     library_ops)


def _suggest(word, choices):
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.5)
    if not close and isinstance(word, str):
        close = [c for c in sorted(choices) if c.lower() == word.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_rule(rule, name="?"):
    if callable(rule):
        return
    if isinstance(rule, str) and rule in RULE_NAMES:
        return
    if isinstance(rule, tuple) and len(rule) == 2 and rule[0] == "prefer" and \
            isinstance(rule[1], (tuple, list)) and rule[1] and \
            all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in rule[1]):
        return
    hint = _suggest(rule, RULE_NAMES) if isinstance(rule, str) else ""
    raise SelcalcError(f"convention {name}: unknown tie rule {rule!r}{hint}; use 'first', "
                       f"'last', 'mean', ('prefer', (i, j, ...)) with piece indices, or a "
                       f"callable tied_pieces -> {{piece: weight}}")


def library_convention(library, version):
    """The preset for one measured version of a library, built from its rule table.

    Imported programs name their nodes' families ``"<library>.<op>"``; programs written in
    selcalc's language use the generic families, mapped to the library's op that they
    stand for (``clip`` is ``torch.clamp``).  One table serves both
    (:mod:`selcalc.libraries.table`).
    """
    ops = RULES[library][version]
    by_family = {family(library, op): rule for op, rule in ops.items()}
    by_family.update({gen: ops[op] for gen, op in GENERIC[library].items() if op in ops})
    rules, forward = {}, {}
    for fam, rule in by_family.items():
        if isinstance(rule, dict):  # the library's two modes disagree
            rules[fam], forward[fam] = rule["backward"], rule["forward"]
        else:
            rules[fam] = rule
    name = f"{PRESET_NAMES[library]}@{version}"
    return Convention(name, rules=rules, forward_rules=forward,
                      description=f"{DESCRIPTIONS[library]} (measured on {library} {version})")


def _presets():
    presets = {"selection": Convention(
        "selection", description="lowest tied piece index everywhere")}
    for library, plain in PRESET_NAMES.items():
        for version in measured_versions(library):
            conv = library_convention(library, version)
            presets[conv.name] = conv
        latest = library_convention(library, newest(library))
        latest.name = plain
        latest.description += f"; plain {plain!r} means the newest measured version, " \
                              f"{newest(library)}"
        presets[plain] = latest
    return presets


CONVENTIONS = _presets()


def get_convention(convention):
    """A :class:`Convention` from a name or an instance."""
    if isinstance(convention, Convention):
        return convention
    try:
        return CONVENTIONS[convention]
    except (KeyError, TypeError):
        raise SelcalcError(f"unknown convention {convention!r}; use one of "
                           f"{sorted(CONVENTIONS)} or a selcalc.Convention") from None


def is_selection_convention(convention) -> bool:
    """Whether AD under ``convention`` always returns a selection gradient (Theorem 2).

    Averaging conventions (ties split 1/2-1/2 or evenly) return an element of the
    conservative field ``conv(ad_outputs)`` instead.

    >>> is_selection_convention("selection"), is_selection_convention("tensorflow")
    (True, False)
    """
    return get_convention(convention).is_selection
