"""The selcalc casebook: worked cases from the papers, each with claims the engine checks.

``casebook.registry.CASES`` lists the cases in order; ``python -m casebook.runner`` (or
``selcalc casebook``) runs them all and writes a markdown rendering.
"""

from .registry import CASES, Case, Claim

__all__ = ["CASES", "Case", "Claim"]
