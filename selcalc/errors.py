"""One exception family for selcalc; every message says what went wrong and what to do."""

from __future__ import annotations


class SelcalcError(Exception):
    """Base class of every error selcalc raises on purpose."""


class ParseError(SelcalcError):
    """Source text uses a construct the parser does not support.

    ``line`` and ``col`` locate the construct (1-based line, 1-based column).
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None,
                 construct: str | None = None):
        self.line, self.col, self.construct = line, col, construct
        where = f"line {line}, column {col}: " if line is not None else ""
        super().__init__(where + message)


class ProgramError(SelcalcError):
    """A program's data is malformed (cycle, wrong arity, bad numbering)."""


class NotContinuous(SelcalcError):
    """The pieces of a branch disagree where their conditions overlap.

    ``point`` is an exact point (tuple of sympy numbers) where two pieces that are both
    allowed give different values.
    """

    def __init__(self, message: str, point=None, node=None):
        self.point, self.node = point, node
        super().__init__(message)


class DomainError(SelcalcError, ArithmeticError):
    """A primitive was applied outside its domain (log of 0, division by 0, ...).

    ``node`` is the program node, ``value`` the offending argument values.
    """

    def __init__(self, message: str, node=None, value=None):
        self.node, self.value = node, value
        super().__init__(message)


#: counts with more digits than this are printed as a power of two or a magnitude
COUNT_DIGITS = 30


def count_str(n: int) -> str:
    """A count as a person reads it: in full up to :data:`COUNT_DIGITS` digits; past that
    ``2^k`` when it is a power of two (2^15000 tie choices of 15,000 ReLUs), else ``about
    d.dd x 10^e (e + 1 digits)``.  Never fails on Python's int-str limit (4300 digits).

    >>> count_str(4096), count_str(2 ** 15000), count_str(3 ** 10000)
    ('4096', '2^15000', 'about 1.63 x 10^4771 (4772 digits)')
    """
    if n < 10 ** COUNT_DIGITS:
        return str(n)
    if n & (n - 1) == 0:
        return f"2^{n.bit_length() - 1}"
    e = max(int((n.bit_length() - 1) * 0.30102999566398120) - 1, 0)
    while 10 ** (e + 1) <= n:
        e += 1
    lead = n // 10 ** max(e - 2, 0)  # the three leading digits, truncated
    return f"about {lead // 100}.{lead % 100:02d} x 10^{e} ({e + 1} digits)"


#: an enumeration of more items than this is out of reach whatever the budget: past it,
#: :class:`PatternBudgetExceeded` advises another question instead of a larger budget
OUT_OF_REACH = 1 << 32


class PatternBudgetExceeded(SelcalcError):
    """An enumeration over patterns would exceed its budget.

    ``count`` is the number of patterns needed, ``budget`` the limit in force.  Past
    :data:`OUT_OF_REACH` items the message says so and names questions that need no
    enumeration, rather than advising a budget no machine could spend.

    >>> print(PatternBudgetExceeded(5000, 4096))
    5000 patterns exceed the budget of 4096; pass max_patterns=5000 (or larger) to enumerate them all
    >>> print(PatternBudgetExceeded(2 ** 70, 4096))  # doctest: +NORMALIZE_WHITESPACE
    1180591620717411303424 patterns exceed the budget of 4096: a count this large is out of
    reach of any enumeration, so a larger max_patterns will not help; ask for one element
    instead (selcalc.clarke_element, selcalc.directional_derivative), or ask about a smaller
    program or region
    """

    def __init__(self, count: int, budget: int, what: str = "patterns",
                 how: str = "max_patterns"):
        self.count, self.budget = count, budget
        if count > OUT_OF_REACH:
            advice = (f": a count this large is out of reach of any enumeration, so a larger "
                      f"{how} will not help; ask for one element instead "
                      f"(selcalc.clarke_element, selcalc.directional_derivative), or ask "
                      f"about a smaller program or region")
        else:
            advice = f"; pass {how}={count} (or larger) to enumerate them all"
        super().__init__(f"{count_str(count)} {what} exceed the budget of "
                         f"{count_str(budget)}{advice}")


class Undecided(SelcalcError):
    """An exact decision could not be reached (a sign, or a local question).

    Never a guess: callers either raise this or report an explicit unknown.
    """


class SizeLimitExceeded(Undecided):
    """An exact value would grow past a size bound (``limit``, named by ``bound``, e.g.
    ``selcalc.numbers.MAX_VALUE_BITS``): the computation stops instead of exhausting
    memory.  An :class:`Undecided`, so a question that meets it gets an explicit unknown.

    ``node`` is the program node (or None), ``bits`` the size reached.
    """

    def __init__(self, message: str, node=None, bits=None, limit=None, bound=None):
        self.node, self.bits, self.limit, self.bound = node, bits, limit, bound
        super().__init__(message)


class TracerBoolError(SelcalcError, TypeError):
    """Python control flow was asked to branch on a traced value."""


class InputError(SelcalcError, ValueError):
    """User input that selcalc refuses: text that is not a number, a non-finite or
    non-real number (``nan``, ``inf``, complex), or a point / vector of the wrong shape."""


class TimeLimitExceeded(SelcalcError):
    """A set-valued computation ran past its ``time_limit`` (seconds).

    ``what`` names the computation, ``done`` counts the work finished (patterns, cells),
    ``elapsed`` and ``limit`` are in seconds; ``partial`` holds what was reached when the
    computation can say something (e.g. :class:`selcalc.ClarkeBounds`), else None.
    """

    def __init__(self, what: str, done: int, elapsed: float, limit: float, unit="steps",
                 partial=None):
        self.what, self.done, self.elapsed, self.limit = what, done, elapsed, limit
        self.partial = partial
        super().__init__(
            f"{what} stopped after {elapsed:.1f} s (time_limit={limit:g}) having done "
            f"{done} {unit}; pass a larger time_limit= (or time_limit=None for no limit)")
