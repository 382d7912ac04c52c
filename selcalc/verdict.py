"""Three-valued verdicts (True / False / None = unknown) that carry certificates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .points import long_printing


@long_printing
@dataclass
class Verdict:
    """The answer to a yes/no question, with the evidence for it.

    ``holds`` is ``True``, ``False`` or ``None`` (unknown — never collapsed into False).
    ``claim`` says what was asked, ``certificate`` is data an independent check can verify
    (a witness when ``holds`` is False), and ``checked`` lists what was verified.

    >>> v = Verdict(True, "1 + 1 == 2", certificate={"lhs": 2, "rhs": 2})
    >>> bool(v.holds), v.unknown
    (True, False)
    >>> Verdict(None, "hard question").unknown
    True
    """

    holds: bool | None
    claim: str
    certificate: Any = None
    checked: list = field(default_factory=list)
    reason: str = ""

    @property
    def unknown(self) -> bool:
        return self.holds is None

    def __bool__(self):
        raise TypeError("a Verdict is three-valued: test `verdict.holds is True` "
                        "(or False / None) instead of using it as a bool")

    def _repr_html_(self):
        """Status, claim and reason in a notebook (Jupyter calls this for rich display)."""
        import html
        status, colour = {True: ("holds", "green"), False: ("fails", "firebrick"),
                          None: ("unknown", "darkorange")}[self.holds]
        reason = f" <i>({html.escape(self.reason)})</i>" if self.reason else ""
        return (f'<b style="color:{colour}">{status}</b>: {html.escape(self.claim)}{reason}')

    def __str__(self):
        status = {True: "holds", False: "fails", None: "unknown"}[self.holds]
        text = f"{status}: {self.claim}"
        if self.reason:
            text += f" ({self.reason})"
        return text
