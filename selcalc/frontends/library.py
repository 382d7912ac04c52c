"""What the library importers share: the imported program, node notes, errors, points.

A :class:`LibraryProgram` is a :class:`selcalc.Program` that remembers the library and
version that produced it, its default preset (the one measured for that version), and for
every node the library op and source location it came from (:meth:`node_info`).  Points
may be given as the flat sequence of inputs or as the same tensors / arrays.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ParseError
from ..ir import Program


@dataclass(frozen=True)
class Origin:
    """Where a node came from: a library op and a source location (all optional)."""

    op: str
    function: str | None = None
    file: str | None = None
    line: int | None = None
    code: str | None = None
    detail: str | None = None

    def where(self):
        parts = []
        if self.function:
            parts.append(f"in {self.function}")
        if self.file:
            parts.append(f"{self.file}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts) or "at an unknown location"

    def __str__(self):
        text = f"{self.op} {self.where()}"
        if self.detail:
            text += f", {self.detail}"
        return text


class LibraryProgram(Program):
    """A program imported from an AD library (``selcalc.from_torch`` / ``from_jax``).

    Attributes
    ----------
    library, library_version : str
        ``"torch"`` / ``"jax"`` and the installed version that produced the program.
    default_convention : str
        The preset measured for that version (``"pytorch@2.13"``); ``grad`` and
        ``jacobian`` use it unless given another convention.
    """

    library = None
    library_version = None
    default_convention = None
    input_shapes = ()

    def node_info(self, k):
        """The :class:`Origin` of node ``k`` (op, function, file, line, code, detail)."""
        self.pr(k)
        if k <= self.p:
            return Origin("input", detail=self.input_names[k - 1])
        note = self.node_notes[k] if self.node_notes else None
        return note or Origin(self.ops[k].name)

    def coerce_point(self, x):
        """Exact inputs from the flat sequence, or from the tensors / arrays themselves."""
        return super().coerce_point(tuple(flatten_point(x)))


def flatten_point(x):
    """Entries of tensors, arrays and nested sequences, in C order, argument after argument."""
    if isinstance(x, str):
        return [x]
    if hasattr(x, "detach"):  # a torch tensor
        return x.detach().cpu().reshape(-1).tolist()
    if hasattr(x, "shape") and hasattr(x, "dtype"):  # numpy / jax arrays
        return np.asarray(x).reshape(-1).tolist()
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flatten_point(item)]
    return [x]


def origin_from_stack(op, stack_trace, skip_dirs):
    """The innermost user frame of a library stack trace as an :class:`Origin`."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)(?:\n(?!\s*File ")\s*(.*))?',
                        stack_trace or "")
    frames = [f for f in frames if not any(f[0].startswith(d) for d in skip_dirs)] or frames
    if not frames:
        return Origin(op)
    path, line, function, code = frames[-1]
    return Origin(op, function, os.path.basename(path), int(line), code.strip() or None)


def unsupported(library, op, origin, supported):
    """The :class:`selcalc.ParseError` for a library op selcalc does not model."""
    exc = ParseError(f"{library} op {op!r} {origin.where()}"
                     + (f" (`{origin.code}`)" if origin.code else "")
                     + f" is not supported by selcalc; supported ops: {', '.join(supported)}",
                     construct=op)
    exc.line, exc.origin = origin.line, origin
    return exc


def finish_program(builder, outputs, library, version, preset, warning, name, shapes):
    """Build the :class:`LibraryProgram` and attach library, version and preset."""
    if warning:
        warnings.warn(warning, stacklevel=3)
    prog = builder.finish(outputs, name=name, cls=LibraryProgram)
    prog.library, prog.library_version = library, version
    prog.default_convention = preset
    prog.input_shapes = tuple(shapes)
    if warning:
        prog.warnings.append(warning)
    return prog
