"""The progress line of a long `goemu run` on a terminal: `goemu: 12,345,678 instructions, 12.3ms
of virtual time, 4.0s`, redrawn on standard error every INTERVAL seconds of host time and erased
before the program writes anything and at the end, so that the program's output is untouched.
Only when standard error is a terminal: piped or captured output never has it."""

from __future__ import annotations

import time
from typing import BinaryIO

INTERVAL = 0.5  # seconds of host time between redraws (and before the first)
ERASE = b"\r\x1b[K"


class Progress:
    def __init__(self, terminal: BinaryIO, interval: float | None = None) -> None:
        self.terminal = terminal
        self.interval = INTERVAL if interval is None else interval
        self.started = self.last = time.monotonic()
        self.shown = False

    def update(self, instructions: int, virtual_ns: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        self.last = now
        line = f"goemu: {instructions:,} instructions, {virtual_ns / 1e6:.1f}ms of virtual time, {now - self.started:.1f}s"
        self.terminal.write(ERASE + line.encode())
        self.terminal.flush()
        self.shown = True

    def erase(self) -> None:
        if self.shown:
            self.terminal.write(ERASE)
            self.terminal.flush()
            self.shown = False

    def guard(self, stream: BinaryIO) -> Guarded:
        """stream, erasing the progress line before each write to it."""
        return Guarded(stream, self)


class Guarded:
    def __init__(self, stream: BinaryIO, progress: Progress) -> None:
        self.stream, self.progress = stream, progress

    def write(self, data: bytes) -> int:
        self.progress.erase()
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()


def on_terminal(stream: BinaryIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
