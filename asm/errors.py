"""Positions and errors of the assembler.

Every diagnostic carries the position of the source text that caused it, so the command line can
print `file.s:LINE:COL: message` for each error of a file, as cmd/asm does, and never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pos:
    """A place in a source file; col 0 means the column is not known (printed as `file:line:`)."""

    file: str
    line: int
    col: int = 0

    def __str__(self) -> str:
        if self.col:
            return f"{self.file}:{self.line}:{self.col}"
        return f"{self.file}:{self.line}"


NOPOS = Pos("<builtin>", 0)


def errno_text(e: OSError) -> str:
    """Go's text for the error's errno: Linux's strerror, in lower case (`no such file or directory`)."""
    reason = os.strerror(e.errno) if e.errno else str(e)
    return reason[:1].lower() + reason[1:]


def file_error(path: str, e: OSError | ValueError) -> str:
    """Go's words for a source file that cannot be read: `open x.s: no such file or directory`,
    or `read x.s: is a directory` (Go opens a directory, then fails to read it)."""
    if isinstance(e, IsADirectoryError):
        return f"read {path}: is a directory"
    reason = errno_text(e) if isinstance(e, OSError) else "invalid argument"  # ValueError: a NUL in the name
    return f"open {path}: {reason}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    pos: Pos
    message: str

    def __str__(self) -> str:
        if self.pos.line == 0:  # about a whole file (cannot open it): the message names it
            return self.message
        return f"{self.pos}: {self.message}"


class AsmError(Exception):
    """One or more assembly errors; str() gives one `file:line:col: message` line per error."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, pos: Pos | None = None):
        if isinstance(diagnostics, str):
            diagnostics = Diagnostic(pos or NOPOS, diagnostics)
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))

    @property
    def pos(self) -> Pos:
        return self.diagnostics[0].pos

    @property
    def message(self) -> str:
        return self.diagnostics[0].message


class ErrorList:
    """Collects diagnostics so a pass can report every error of a file, not only the first."""

    def __init__(self, limit: int = 100) -> None:
        self.items: list[Diagnostic] = []
        self.limit = limit
        self._lines: set[tuple[str, int]] = set()

    def add(self, pos: Pos, message: str) -> None:
        """Record an error; like cmd/asm, only the first error of a source line is kept (the rest
        of a bad line, or of a bad macro expansion, would only repeat it)."""
        if len(self.items) < self.limit and (pos.file, pos.line) not in self._lines:
            self.items.append(Diagnostic(pos, message))
            self._lines.add((pos.file, pos.line))

    def extend(self, err: AsmError) -> None:
        for d in err.diagnostics:
            self.add(d.pos, d.message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def check(self) -> None:
        """Raise an AsmError holding everything collected so far, sorted by position."""
        if self.items:
            items = sorted(self.items, key=lambda d: (d.pos.file, d.pos.line, d.pos.col))
            raise AsmError(items)
