"""The interactive shell in a pseudo-terminal, driven as a person would: typing commands, Tab to
complete, the up arrow for history, Enter to repeat, Ctrl-D to leave."""

import os
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[2]
PROMPT = r"\(goemu\)"


def spawn(tmp_path: Path) -> pexpect.spawn:
    env = {**os.environ, "HOME": str(tmp_path), "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "NO_COLOR": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "emu", "debug", "--gomaxprocs", "1", "samples/pingpong.s"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )
    child.expect("stopped before its first instruction")
    child.expect(PROMPT)
    return child


def test_a_session_at_the_terminal(tmp_path):
    child = spawn(tmp_path)
    child.send("break main·player\r")
    child.expect(r"Breakpoint 1 at 0x401000: file samples/pingpong\.s, line 36\.")
    child.expect(PROMPT)
    child.send("c\r")
    child.expect(r"Breakpoint 1, main·player \(samples/pingpong\.s:36\)")
    child.expect(r"M0 \(running\)  P0  g \(TLS\): g6  curg: g6")
    child.expect(PROMPT)
    child.send("until-sw\t")  # Tab completes the command
    child.send("\r")
    child.expect("pong 0")
    child.expect(r"g6 -> g5 on M0: Gosched \(gosched_m\)")
    child.expect(PROMPT)
    child.send("\r")  # Enter repeats it
    child.expect(r"Breakpoint 1, main·player")
    child.expect(PROMPT)
    child.send("goroutines\r")
    child.expect(r"\* Goroutine 5 - main·player \(samples/pingpong\.s:36\) \[running on M0\]")
    child.expect(r"\[6 goroutines\]")
    child.expect(PROMPT)
    child.send("\x1b[A")  # the up arrow brings back the last command
    child.send("\r")
    child.expect(r"\[6 goroutines\]")
    child.expect(PROMPT)
    child.send("rsi\r")
    child.expect(r"at position 435")
    child.expect(PROMPT)
    child.send("freeze 5\r")  # ping frozen, pong ends: main spins in its Gosched loop for ever
    child.expect("Goroutine 5 frozen.")
    child.expect(PROMPT)
    child.send("delete\r")
    child.expect(PROMPT)
    child.send("c\r")
    child.expect("pong 2")
    child.sendintr()  # Ctrl-C stops the run
    child.expect(r"Interrupted \(Ctrl-C\)\.")
    child.expect(PROMPT)
    child.send("frobnicate\r")
    child.expect('Undefined command: "frobnicate".  Try "help".')
    child.expect(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "goroutines" in (tmp_path / ".goemu_history").read_text()
