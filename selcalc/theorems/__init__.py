"""Theorems of Bolte & Pauwels (NeurIPS 2020) and their companions as executable checks.

Each check returns a :class:`selcalc.Verdict` (holds / fails / unknown, or not applicable)
with a certificate and cites its source in ``seeds/``; :mod:`selcalc.theorems.regression`
runs them all over the casebook (``selcalc theorems``).

=============================  ===============================================  ==========
check                          statement                                        source
=============================  ===============================================  ==========
prove_lemma1                   Lemma 1: forward = backward (matrix identity)    seeds/002
prove_forward_equals_backward  Lemma 1 on a program (Bauer path sums)           seeds/002
check_selection_gradient       Theorem 2: AD returns ∇f_s(x)(x)                 seeds/002
check_integration_along_...    Proposition 2: integration along segments        seeds/002
check_conservativity           Theorem 3: the index closure is conservative     seeds/002
check_gradient_almost_...      Proposition 3: gradient almost everywhere        seeds/002
check_chain_rule               Proposition 4: chain rule (compose, stack)       seeds/002
check_clarke_inclusion         ∂^c f ⊆ conv D for conservative D                seeds/004
check_fermat                   Fermat's rule: 0 ∈ ∂^c f at local minima         seeds/000
check_cheap_gradient           cheap gradient principle, ω_b ≤ 5                seeds/004
=============================  ===============================================  ==========
"""

from .almost_everywhere import check_gradient_almost_everywhere
from .chain_rule import check_chain_rule, check_chain_rule_program, compose, stack
from .cheap_gradient import check_cheap_gradient, check_cheap_gradient_program
from .clarke_inclusion import check_clarke_inclusion
from .conservativity import check_conservativity
from .fermat import check_fermat
from .integration import check_integration_along_segments
from .lemma1 import prove_forward_equals_backward, prove_lemma1
from .selection_gradient import check_selection_gradient

__all__ = [
    "check_chain_rule", "check_chain_rule_program", "check_cheap_gradient",
    "check_cheap_gradient_program", "check_clarke_inclusion", "check_conservativity",
    "check_fermat", "check_gradient_almost_everywhere", "check_integration_along_segments",
    "check_selection_gradient", "compose", "prove_forward_equals_backward", "prove_lemma1",
    "stack",
]
