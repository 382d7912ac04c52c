"""Theorems of Bolte & Pauwels (NeurIPS 2020) and their companions as executable checks.

Each check returns a :class:`selcalc.Verdict` (holds / fails / unknown, or not applicable)
with a certificate; :mod:`selcalc.theorems.regression` runs them all over the casebook.
"""

from .lemma1 import prove_forward_equals_backward, prove_lemma1
from .selection_gradient import check_selection_gradient

__all__ = ["check_selection_gradient", "prove_forward_equals_backward", "prove_lemma1"]
