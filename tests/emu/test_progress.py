"""The progress line of `goemu run`: on a terminal only, erased before the program writes and at
the end, so the program's output is exactly what it is without it."""

import io
import re
from pathlib import Path

from emu import progress
from emu.run import Config, Limits, run

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(rb"goemu: [\d,]+ instructions, \d+\.\dms of virtual time, \d+\.\ds")


class Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def run_parallel(stderr: io.BytesIO) -> bytes:
    out = io.BytesIO()
    status = run([str(ROOT / "samples" / "parallel.s")], None, Limits(), out, stderr, Config())
    assert status == 0
    return out.getvalue()


def test_progress_on_a_terminal(monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL", 0.0)  # a line at every round
    err = Terminal()
    out = run_parallel(err)
    text = err.getvalue()
    lines = [m.group() for m in LINE.finditer(text)]
    assert len(lines) > 10 and lines[-1].startswith(b"goemu: 3")  # 32M instructions by the end
    assert LINE.match(text.split(progress.ERASE)[-1]) is None  # the last line drawn was erased
    program = re.sub(rb"\r\x1b\[K(?:" + LINE.pattern + rb")?", b"", text)
    assert out + program == (ROOT / "samples" / "parallel.out").read_bytes()


def test_no_progress_when_not_a_terminal(monkeypatch):
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    err = io.BytesIO()
    out = run_parallel(err)
    assert out + err.getvalue() == (ROOT / "samples" / "parallel.out").read_bytes()
