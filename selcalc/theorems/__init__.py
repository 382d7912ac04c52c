"""Theorems of Bolte & Pauwels (NeurIPS 2020) and their companions as executable checks.

Each check returns a :class:`selcalc.Verdict` (holds / fails / unknown, or not applicable)
with a certificate and cites its source (below; the mathematics is in docs/mathematics.md);
:mod:`selcalc.theorems.regression` runs them all over the casebook (``selcalc theorems``).

=============================  ===============================================  ==========
check                          statement                                        source
=============================  ===============================================  ==========
prove_lemma1                   Lemma 1: forward = backward (matrix identity)    BP20
prove_forward_equals_backward  Lemma 1 on a program (Bauer path sums)           BP20
check_selection_gradient       Theorem 2: AD returns ∇f_s(x)(x)                 BP20
check_integration_along_...    Proposition 2: integration along segments        BP20
check_conservativity           Theorem 3: the index closure is conservative     BP20
check_gradient_almost_...      Proposition 3: gradient almost everywhere        BP20
check_chain_rule               Proposition 4: chain rule (compose, stack)       BP20
check_clarke_inclusion         ∂^c f ⊆ conv D for conservative D                BP21
check_fermat                   Fermat's rule: 0 ∈ ∂^c f at local minima         BP21
check_cheap_gradient           cheap gradient principle, ω_b ≤ 5                BBPP23
=============================  ===============================================  ==========

BP20: Bolte & Pauwels, "A mathematical model for automatic differentiation in machine
learning", NeurIPS 2020, arXiv:2006.02080.  BP21: Bolte & Pauwels, "Conservative set valued
fields, automatic differentiation, stochastic gradient methods and deep learning",
Mathematical Programming 2021, arXiv:1909.10300.  BBPP23: Bolte, Boustany, Pauwels &
Pesquet-Popescu, "On the complexity of nonsmooth automatic differentiation", ICLR 2023,
arXiv:2206.01730.
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
