"""The interactive shell in a pseudo-terminal, driven as a person would: typing commands, Tab to
complete, the up arrow for history, Enter to repeat, Ctrl-D to leave."""

import fcntl
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pexpect
from pexpect.fdpexpect import fdspawn

ROOT = Path(__file__).resolve().parents[2]
PROMPT = r"\(goemu\)"


# In the child (a new session): make the pty its controlling terminal, so that Ctrl-C reaches it,
# then become `python -m emu ...` (no preexec_fn: that would make subprocess fork).
TAKE_TTY = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def spawn(tmp_path: Path) -> fdspawn:
    """goemu debug on a new pseudo-terminal of 50x200. Started by subprocess (vfork): os.fork,
    which pexpect.spawn uses, copies this test process, whose earlier tests made many machines (each
    Unicorn CPU holds a large code buffer), and can fail for want of memory."""
    env = {**os.environ, "HOME": str(tmp_path), "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "NO_COLOR": "1"}
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", TAKE_TTY, "-m", "emu", "debug", "--gomaxprocs", "1", "samples/pingpong.s"],
        cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    child = fdspawn(master, encoding="utf-8", timeout=30)
    child.proc = proc
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
    child.expect("itch")
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
    child.send("\x03")  # Ctrl-C stops the run
    child.expect(r"Interrupted \(Ctrl-C\)\.")
    child.expect(PROMPT)
    child.send("frobnicate\r")
    child.expect('Undefined command: "frobnicate".  Try "help".')
    child.expect(PROMPT)
    child.send("\x04")  # Ctrl-D leaves
    child.expect(pexpect.EOF)
    assert child.proc.wait(timeout=30) == 0
    assert "goroutines" in (tmp_path / ".goemu_history").read_text()
