"""`goemu debug`: the command shell over the engine, with gdb's and Delve's command names.

Each command is a method `do_NAME(arg)` with its help text as docstring (first line: the usage);
ALIASES maps the short names. Errors a user can make are reported in one line, never as a Python
traceback. Interactive sessions use prompt-toolkit (history, completion); -x and --batch read
commands from a file and print everything to stdout without colour.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from asm import Options
from runtime import preempt
from runtime.layout import G, P, const, waitReasonStrings

from .. import signals
from ..machine import GP_REGS
from ..run import Config, silence
from . import context as ctx
from . import stepping
from .engine import Breakpoint, DebugError, Engine, Event
from .expr import ExprContext, ExprError, evaluate, parse, print_expr
from .views import (
    MASK64,
    REGISTER_ALIASES,
    Examine,
    ViewError,
    examine_lines,
    frames,
    goroutines,
    info_ms,
    info_ps,
    info_sched,
    info_timers,
    plan9_name,
    registers,
    symbolizer,
)

PROMPT = "(goemu) "
ALIASES = {
    "c": "continue", "cont": "continue", "si": "stepi", "ni": "nexti", "s": "step", "n": "next",
    "sw": "until_switch", "until-switch": "until_switch", "r": "run", "rsi": "reverse_stepi",
    "reverse-stepi": "reverse_stepi", "rc": "reverse_continue", "reverse-continue": "reverse_continue",
    "rsw": "reverse_switch", "reverse-switch": "reverse_switch", "b": "break", "br": "break",
    "d": "delete", "grs": "goroutines", "gr": "goroutine", "bt": "backtrace", "where": "backtrace",
    "p": "print", "q": "quit", "exit": "quit", "disassemble": "disasm", "ctx": "context",
    "fin": "finish", "thread": "m", "info-registers": "regs", "condition": "cond", "h": "help",
}  # fmt: skip
BREAK_KINDS = ("switch", "preempt", "newstack", "park")
WAIT_REASONS = tuple(r for r in waitReasonStrings if r)  # what `break park` accepts
PRINT_FORMATS: dict[str, Callable[[int], str]] = {
    "x": lambda v: f"{v & (1 << 64) - 1:#x}" if v < 0 else f"{v:#x}",
    "d": str,
    "o": lambda v: f"0{v:o}" if v else "0",
    "t": lambda v: f"{v:b}",
    "c": lambda v: f"{v} {chr(v)!r}" if 0 <= v < 0x110000 else str(v),
}


@dataclass
class Selection:
    cpu: int = 0  # the selected M's CPU (M allm[i] runs on CPU i)
    g: int = 0  # the selected goroutine's address


class Shell:
    def __init__(self, engine: Engine, out: TextIO, colour: bool = False) -> None:
        self.engine = engine
        self.out = out
        self.colour = colour
        self.sel = Selection()
        self.show_context = True
        self.before: tuple[int, dict[str, int]] | None = None  # (CPU, registers) as the command began
        self.changed: frozenset[str] = frozenset()  # those it changed (marked until the next one)
        self.x_state = Examine()
        self.stopped_at: Breakpoint | None = None  # the breakpoint the last stop was at (continue N)
        self.done = False
        self._select(0)

    # ---- plumbing -----------------------------------------------------------------------------

    def print(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def commands(self) -> list[str]:
        return sorted(name[3:].replace("_", "-") for name in dir(self) if name.startswith("do_"))

    def execute(self, line: str) -> bool:
        """Run one command line; an error is printed, never raised. False if there was one."""
        error = self.attempt(line)
        if error is not None:
            self.print(error)
        return error is None

    def attempt(self, line: str) -> str | None:
        """Run one command line; the error message if it failed (what it showed before the error
        is printed), else None."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        word, _, arg = line.partition(" ")
        if word.startswith("x/") or word == "x":
            word, arg = "x", line[1:].strip()
        elif word.partition("/")[0] in ("p", "print") and "/" in word:  # print/FMT, as gdb
            word, fmt = word.split("/", 1)
            arg = f"/{fmt} {arg}"
        name = ALIASES.get(word, word).replace("-", "_")
        fn = getattr(self, f"do_{name}", None)
        if fn is None:
            return f'Undefined command: "{word}".  Try "help".'
        try:
            fn(arg.strip())
        except ViewError as e:  # what it could show before the error, then the error
            self.print(*e.lines)
            return str(e)
        except (DebugError, ExprError) as e:
            return str(e)
        except ValueError as e:  # a malformed argument the command did not look at itself
            return f"{word}: {e}"
        except KeyboardInterrupt:  # Ctrl-C between the engine's runs (those stop by themselves)
            return "Quit"
        return None

    def _select(self, cpu: int) -> None:
        self.sel.cpu = cpu
        self.sel.g = self.engine.running_g(cpu)

    def _expr_ctx(self) -> ExprContext:
        return ExprContext(self.engine.proc, self.sel.g, self.sel.cpu)

    def _stopped(self, event: Event) -> None:
        """Report a stop and show the context of the CPU it happened on."""
        if event.kind != "exited":
            self._select(event.cpu)
        self.stopped_at = event.bp if event.kind == "breakpoint" else None
        self.changed = frozenset()
        if self.before is not None and self.before[0] == self.sel.cpu and not self.engine.exited:
            now = ctx.read_regs(self.engine, self.sel.cpu)
            self.changed = frozenset(k for k, v in now.items() if self.before[1].get(k) != v)
        if event.text:
            self.print(event.text)
        if event.kind == "step" and self.engine.switch_at(event.cpu) is not None:
            self.print(self.engine.describe_switch(event.cpu))
        if self.show_context and not self.engine.exited:
            self.print(*ctx.context(self.engine, self.sel.cpu, self.changed, self.colour))
        elif not self.engine.exited:  # gdb's one-line report: where, then the source line
            pc = self.engine.cpu(self.sel.cpu).reg("rip")
            located = event.bp is not None and event.bp.kind not in ("switch", "park", "watch")  # said where
            self.print(*([] if located else [f"{pc:#x} in {self.engine.where(pc)}"]), *ctx.source(self.engine, pc))

    def _moved(self, run: Callable[[], Event | None]) -> None:
        exited = self.engine.exited
        self.before = None if exited else (self.sel.cpu, ctx.read_regs(self.engine, self.sel.cpu))
        event = run()
        if event is not None:
            self._stopped(event)

    def _count(self, arg: str) -> int:
        n = number(arg) if arg else 1
        if n < 1:
            raise DebugError("The count must be positive.")
        return n

    @staticmethod
    def _no_args(command: str, arg: str) -> None:
        if arg:
            raise DebugError(f'"{command}" takes no arguments.')

    # ---- running ------------------------------------------------------------------------------

    def do_continue(self, arg: str) -> None:
        """continue [N] (c): run until a breakpoint or the end of the program; N: as gdb, the
        breakpoint the run stands at is crossed N-1 more times without stopping."""
        n = self._count(arg)
        if self.engine.exited:
            raise DebugError("The program is not being run.")
        bp = self.stopped_at if self.stopped_at in self.engine.breakpoints else None
        if n > 1 and bp is None:
            self.print("Not stopped at any breakpoint; argument ignored.")
        elif n > 1 and bp is not None:
            crossings = "crossing" if n == 2 else f"{n - 1} crossings"
            self.print(f"Will ignore next {crossings} of breakpoint {bp.id}.  Continuing.")

        def run() -> Event:
            ignore = n - 1 if bp is not None else 0
            while True:
                event = self.engine.forward()
                if not ignore or event.kind != "breakpoint" or event.bp is not bp:
                    return event
                ignore -= 1

        self._moved(run)

    def do_stepi(self, arg: str) -> None:
        """stepi [N] (si): run N instructions of the selected M; the other Ms run meanwhile as they
        would, so stepping never jumps to another M."""
        n = self._count(arg)
        self._moved(lambda: self.engine.stepi(self.sel.cpu, n))

    def do_nexti(self, arg: str) -> None:
        """nexti [N] (ni): like stepi, but a CALL runs to its return."""
        n = self._count(arg)
        self._moved(lambda: stepping.nexti(self.engine, self.sel.cpu, self.sel.g, n))

    def do_step(self, arg: str) -> None:
        """step [N] (s): run the selected goroutine to the next source line, into calls; N times."""
        self._lines(self._count(arg), over=False)

    def do_next(self, arg: str) -> None:
        """next [N] (n): run the selected goroutine to the next source line in this function or its
        callers (calls run to their return); N times."""
        self._lines(self._count(arg), over=True)

    def _lines(self, n: int, over: bool) -> None:
        """n line steps of the selected goroutine, up to the first stop of another kind."""

        def run() -> Event:
            cpu = self.sel.cpu
            for _ in range(n):
                event = stepping.line_step(self.engine, cpu, self.sel.g, over=over)
                if event.kind != "step":
                    break
                cpu = event.cpu
            return event

        self._moved(run)

    def do_finish(self, arg: str) -> None:
        """finish: run until the current function returns to its caller."""
        self._no_args("finish", arg)
        name, to = stepping.caller(self.engine, self.sel.cpu)
        self.print(f"Run till exit from {name}")
        self._moved(lambda: stepping.run_to_return(self.engine, self.sel.g, to.pc, to.sp))

    def do_until_switch(self, arg: str) -> None:
        """until-switch (sw): run to the next goroutine switch on any M, stopping at gogo's entry
        on g0, and say which goroutine left for which and why: `g3 -> g5 on M0: chan receive
        (park_m)`."""
        self._no_args("until-switch", arg)
        engine = self.engine
        gogo = engine.gogo

        def until(i: int, pc: int) -> bool:
            return pc == gogo and engine.is_switch(i)

        def run() -> Event:
            event = engine.forward(until)
            if event.kind == "step":
                event.text = engine.describe_switch(event.cpu)
                event.kind = "switch"
            return event

        self._moved(run)

    def do_run(self, arg: str) -> None:
        """run (r), restart [N]: start the program again from its beginning (or go to checkpoint N),
        keeping the breakpoints, and run until one."""
        self._no_args("run", arg)
        self.engine.restart()
        self._select(0)
        self.print("Starting program from its beginning.")
        self._moved(self.engine.forward)

    def do_restart(self, arg: str) -> None:
        """restart [N]: go to checkpoint N; without N, as `run`."""
        if not arg:
            self.do_run("")
            return
        self.engine.restart(number(arg))
        self.print(f"Switching to checkpoint {arg} (position {self.engine.position}).")
        self._stopped(Event("checkpoint", self.engine._next_cpu()))

    # ---- going back ---------------------------------------------------------------------------

    def do_reverse_stepi(self, arg: str) -> None:
        """reverse-stepi [N] (rsi): go back N instructions of the selected M, exactly: registers
        and memory as they were."""
        n = self._count(arg)
        cpu = self.sel.cpu

        def run() -> Event:
            found = self.engine.reverse_stepi(cpu, n)
            if found is None:
                return Event("history", 0, "No more reverse-execution history.")
            return Event("step", found[1])

        self._moved(run)

    def do_reverse_continue(self, arg: str) -> None:
        """reverse-continue (rc): run backward to the last breakpoint hit before now."""
        self._no_args("reverse-continue", arg)
        self._moved(self.engine.reverse_continue)

    def do_reverse_switch(self, arg: str) -> None:
        """reverse-switch (rsw): go back to the last goroutine switch before now."""
        self._no_args("reverse-switch", arg)
        self._moved(self.engine.reverse_switch)

    def do_checkpoint(self, arg: str) -> None:
        """checkpoint: remember this point of the run; `restart N` comes back to it."""
        self._no_args("checkpoint", arg)
        n = self.engine.checkpoint()
        self.print(f"Checkpoint {n} at position {self.engine.position}.")

    def do_checkpoints(self, arg: str) -> None:
        """checkpoints: list the checkpoints (and the automatic snapshots replay starts from)."""
        self._no_args("checkpoints", arg)
        if not self.engine.checkpoints:
            self.print("No checkpoints.")
        for n, snap in sorted(self.engine.checkpoints.items()):
            mark = "*" if snap.counted == self.engine.position else " "
            self.print(f"{mark} {n} position {snap.counted}")
        auto = sum(1 for s in self.engine.snapshots if not s.pinned)
        size = self.engine.snapshot_bytes()
        self.print(f"({len(self.engine.snapshots)} snapshots, {auto} automatic, {size / 1e6:.1f} MB)")

    # ---- breakpoints --------------------------------------------------------------------------

    def do_break(self, arg: str) -> None:
        """break LOCATION [goroutine N] [if COND] (b): stop before the instruction at LOCATION:
        a function (main·f, main.f, f), FILE:LINE, *ADDRESS. Also: break switch (any goroutine
        switch), break preempt (asyncPreempt entered, or newstack for a preemption request), break
        newstack, break park REASON (a switch away from a goroutine parking with that wait reason,
        e.g. `break park chan receive`)."""
        if not arg:
            raise DebugError("Argument required (location).")
        arg, _, cond = arg.partition(" if ")
        if cond.strip():
            parse(cond)
        words = arg.split()
        goid = 0
        if len(words) >= 3 and words[-2] in ("goroutine", "-g"):
            goid = number(words[-1])
            words = words[:-2]
        kind = words[0]
        engine = self.engine
        if kind in BREAK_KINDS:
            reason = self._kind_argument(kind, words[1:])
            pcs = self._kind_pcs(kind)
            what = f"{kind} {reason}".strip()
            bp = engine.add_breakpoint(kind, what, pcs, cond=cond.strip(), goid=goid, reason=reason)
            self.print(f"Breakpoint {bp.id} ({what}).")
            return
        pcs, what = self._location(" ".join(words))
        bp = engine.add_breakpoint("pc", what, frozenset(pcs), cond=cond.strip(), goid=goid)
        pc = min(pcs)
        line = engine.image.line_at(pc)
        where = f": file {line[0]}, line {line[1]}." if line else "."
        self.print(f"Breakpoint {bp.id} at {pc:#x}{where}")

    @staticmethod
    def _kind_argument(kind: str, words: list[str]) -> str:
        """The wait reason of `break park REASON` (one of Go's, exactly); the other kinds take
        none. A misspelt one would never fire: it is refused, naming what is accepted."""
        rest = " ".join(words)
        if kind != "park":
            if rest:
                raise DebugError(f'Junk after "break {kind}": "{rest}" (only "goroutine N" and "if COND" may follow).')
            return ""
        if not rest:
            raise DebugError("break park needs a wait reason, e.g. `break park chan receive`.")
        if rest not in WAIT_REASONS:
            raise DebugError(f'Unknown wait reason "{rest}". Go\'s wait reasons: {", ".join(WAIT_REASONS)}.')
        return rest

    def _kind_pcs(self, kind: str) -> frozenset[int]:
        engine = self.engine
        trigger = {name: addr for addr, name in engine.gate_names.items()}
        if kind in ("switch", "park"):
            return frozenset({engine.gogo})
        if kind == "newstack":
            return frozenset({trigger["runtime.newstack"]})
        return frozenset({engine.async_preempt, trigger["runtime.newstack"]})

    def _location(self, loc: str) -> tuple[list[int], str]:
        if loc.startswith("*"):
            addr = self._address(loc[1:].strip())
            return [addr], f"*{addr:#x}"
        file, colon, line = loc.rpartition(":")
        if colon and line.isdigit():
            pcs = self._line_pcs(file, int(line))
            if not pcs:
                raise DebugError(f'No line {line} in file "{file}".')
            return pcs, f"{file}:{line}"
        sym = self._symbol(loc)
        return [sym.addr], plan9_name(sym.name)

    def _address(self, text: str) -> int:
        """break *ADDRESS: a number, or an expression ($pc, $rsp+8, *$rsp) of the selected M."""
        if not text:
            raise DebugError("Argument required (address).")
        try:
            addr = int(text, 0)
        except ValueError:
            if text[0].isdigit():
                raise DebugError(f'Invalid number "{text}".') from None
            value = evaluate(text, self._expr_ctx())
            if not isinstance(value.value, int) or isinstance(value.value, bool) or value.raw:
                raise DebugError(f"{text} is a {value.type.name}, not an address.") from None
            addr = value.value
        if not 0 <= addr <= MASK64:
            raise DebugError(f'Address "{text}" is out of range: addresses are 0 to {MASK64:#x}.')
        return addr

    def _line_pcs(self, file: str, line: int) -> list[int]:
        """The first instruction of each block of code at FILE:LINE (one per function)."""
        pcs, last = [], None
        for addr, f, n in self.engine.image.lines:
            here = (f == file or f.endswith("/" + file)) and n == line
            if here and last != (f, n):
                pcs.append(addr)
            last = (f, n) if here else None
        return pcs

    def _symbol(self, name: str):  # type: ignore[no-untyped-def]
        symbols = self.engine.image.symbols
        go = name.replace("·", ".")
        for candidate in (go, "main." + go, "runtime." + go):
            sym = symbols.get(candidate)
            if sym is not None and sym.section == "text":
                return sym
        raise DebugError(f'Function "{name}" not defined.')

    def _breakpoints(self, arg: str) -> list[Breakpoint]:
        """The breakpoints numbered in arg (all of them without a number); every number is checked
        before any is acted on."""
        if not arg:
            return list(self.engine.breakpoints)
        return [self.engine.breakpoint(number(n)) for n in arg.split()]

    def do_delete(self, arg: str) -> None:
        """delete [N...] (d): delete breakpoints N (all without N)."""
        for bp in self._breakpoints(arg):
            self.engine.breakpoints.remove(bp)

    def do_disable(self, arg: str) -> None:
        """disable [N...]: breakpoints N (all without N) no longer stop the run."""
        for bp in self._breakpoints(arg):
            bp.enabled = False

    def do_enable(self, arg: str) -> None:
        """enable [N...]: breakpoints N (all without N) stop the run again."""
        for bp in self._breakpoints(arg):
            bp.enabled = True

    def do_cond(self, arg: str) -> None:
        """cond N [EXPR] (condition): breakpoint N stops only where EXPR is true (e.g. `cond 1
        g.goid == 5`); without EXPR, always."""
        if not arg:
            raise DebugError("Argument required (breakpoint number).")
        n, _, expr = arg.partition(" ")
        bp = self.engine.breakpoint(number(n))
        if expr.strip():
            parse(expr)
        bp.cond = expr.strip()

    def do_watch(self, arg: str) -> None:
        """watch EXPR: stop when the value at EXPR changes (g5.stackguard0, m0.curg, *0xc000010000),
        by a write of the program or of the runtime."""
        value = evaluate(arg, self._expr_ctx())
        if value.addr is None or value.type.size not in (1, 2, 4, 8):
            raise DebugError(f"Cannot watch {arg}: not a value in memory of 1, 2, 4 or 8 bytes.")
        from runtime.memory import load

        old = load(self.engine.proc.machine.space, value.addr, value.type.size)
        bp = self.engine.add_breakpoint("watch", arg, addr=value.addr, size=value.type.size, old=old)
        self.print(f"Watchpoint {bp.id}: {arg} ({value.addr:#x}, {value.type.size} bytes)")

    def do_breakpoints(self, arg: str) -> None:
        """breakpoints (info breakpoints): list the breakpoints and watchpoints."""
        self._no_args("breakpoints", arg)
        bps = self.engine.breakpoints
        if not bps:
            self.print("No breakpoints or watchpoints.")
            return
        self.print("Num  Type        Enb  What")
        for bp in bps:
            kind = "watchpoint" if bp.kind == "watch" else "breakpoint"
            what = bp.what + (f" goroutine {bp.goid}" if bp.goid else "")
            self.print(f"{bp.id:<4} {kind:<11} {'y' if bp.enabled else 'n':<4} {what}")
            if bp.cond:
                self.print(f"        stop only if {bp.cond}")
            if bp.hits:
                self.print(f"        breakpoint already hit {bp.hits} time{'s' if bp.hits > 1 else ''}")

    # ---- goroutines and Ms --------------------------------------------------------------------

    def do_goroutines(self, arg: str) -> None:
        """goroutines (grs): every goroutine, where it is and why it waits (`*` the selected one)."""
        self._no_args("goroutines", arg)
        self.print(*goroutines(self.engine.proc, self.sel.g))

    def _g_by_id(self, arg: str) -> int:
        if not arg:
            raise DebugError("Argument required (goroutine number).")
        goid = number(arg)
        space = self.engine.proc.machine.space
        for addr in self.engine.proc.runtime.allgs:
            g = G(space, addr)
            if g.goid == goid and g.atomicstatus != const._Gdead:
                return addr
        raise DebugError(f"No goroutine {goid}.")

    def do_goroutine(self, arg: str) -> None:
        """goroutine [N] (gr): select goroutine N (and the M running it, if one is); without N,
        show the selected one."""
        if arg:
            self.sel.g = self._g_by_id(arg)
            for i, mp in enumerate(self.engine.proc.runtime.allm):
                if mp.curg == self.sel.g:
                    self.sel.cpu = i
        g = G(self.engine.proc.machine.space, self.sel.g) if self.sel.g else None
        if g is None:
            self.print("No goroutine selected (the M is on g0).")
            return
        lines = goroutines(self.engine.proc, self.sel.g)
        self.print(next((line for line in lines if line.startswith("*")), f"Goroutine {g.goid}"))

    def do_m(self, arg: str) -> None:
        """m N (thread N): select the M with id N (its CPU: registers, stepping)."""
        if not arg:
            raise DebugError("Argument required (M id).")
        for i, mp in enumerate(self.engine.proc.runtime.allm):
            if str(mp.id) == arg:
                self._select(i)
                self.changed = frozenset()
                self.print(*ctx.machine_line(self.engine, i))
                return
        raise DebugError(f"No M {arg}.")

    def do_backtrace(self, arg: str) -> None:
        """backtrace [-g N] (bt): the selected goroutine's frames, from the live registers when it
        runs, else from g.sched."""
        from .. import traceback as tb

        words = arg.split()
        if words and (len(words) != 2 or words[0] != "-g"):
            raise DebugError("Usage: backtrace [-g N]")
        gaddr = self._g_by_id(words[1]) if words else self.sel.g
        if not gaddr:
            raise DebugError("No goroutine selected.")
        for n, (fn, frame) in enumerate(frames(self.engine.proc, G(self.engine.proc.machine.space, gaddr))):
            line = self.engine.image.line_at(tb.tracepc(fn, frame))
            loc = f" at {line[0]}:{line[1]}" if line else ""
            self.print(f"{n:>2}  {frame.pc:#x} in {plan9_name(fn.name)}{loc}")

    def do_freeze(self, arg: str) -> None:
        """freeze N: the scheduler no longer runs goroutine N (one running now is asked to stop at
        its next preemption point); the others run on. A change of the run: later history is
        dropped."""
        addr = self._g_by_id(arg)
        rt, space = self.engine.proc.runtime, self.engine.proc.machine.space

        def change() -> None:
            rt.frozen.add(addr)
            g = G(space, addr)
            if g.atomicstatus == const._Grunning:
                g.preempt = True
                g.stackguard0 = const.stackPreempt

        self.engine.intervene(change)
        self.print(f"Goroutine {arg} frozen.")

    def do_thaw(self, arg: str) -> None:
        """thaw N: goroutine N may run again."""
        addr = self._g_by_id(arg)
        rt = self.engine.proc.runtime
        if addr not in rt.frozen:
            raise DebugError(f"Goroutine {arg} is not frozen.")
        self.engine.intervene(lambda: rt.thaw(G(self.engine.proc.machine.space, addr)))
        self.print(f"Goroutine {arg} thawed.")

    def do_preempt(self, arg: str) -> None:
        """preempt N: deliver SIGURG now to the M running goroutine N (async preemption, as sysmon
        would after 10ms)."""
        addr = self._g_by_id(arg)
        engine = self.engine
        rt = engine.proc.runtime
        index = next((i for i, mp in enumerate(rt.allm) if mp.curg == addr), None)
        if index is None:
            raise DebugError(f"Goroutine {arg} is not running.")
        mp = rt.allm[index]

        def change() -> None:
            preempt.preemptone(rt, P(engine.proc.machine.space, mp.p))
            signals.deliver(engine.proc.machine, rt, engine.cpu(index), mp)

        self.engine.intervene(change)
        self._select(index)
        self.print(f"SIGURG delivered to M{mp.id} (goroutine {arg}).")
        self._stopped(Event("signal", index))

    # ---- state --------------------------------------------------------------------------------

    def do_regs(self, arg: str) -> None:
        """regs [-a | REG...] (info registers): the selected M's registers; -a adds XMM, fs_base,
        ...; REG... only those (`regs rax rip`)."""
        cpu = self.engine.cpu(self.sel.cpu)
        words = arg.split()
        every, only = words == ["-a"], (words if words and words != ["-a"] else None)
        self.print(*registers(cpu, every, self.changed, symbolizer(self.engine.proc), only))

    def do_print(self, arg: str) -> None:
        """print[/x|d|o|t|c] EXPR (p): a value of the runtime's structures or registers: g5.sched,
        m0.curg.goid, p0.runq, sched.runqsize, g.stack, $rsp (g, m, p: the selected ones); /FMT
        shows a number in hex, decimal, octal, binary or as a character, as gdb's print/FMT."""
        if not arg.startswith("/"):
            self.print(print_expr(arg, self._expr_ctx()))
            return
        fmt, _, expr = arg[1:].partition(" ")
        value = evaluate(expr, self._expr_ctx())
        if not isinstance(value.value, int) or value.raw or fmt not in PRINT_FORMATS:
            raise DebugError(f"print/{fmt}: a format x, d, o, t or c, for a number" if fmt not in PRINT_FORMATS
                             else f"print/{fmt}: {expr} is not a number")  # fmt: skip
        self.print(PRINT_FORMATS[fmt](int(value.value)))

    def do_x(self, arg: str) -> None:
        """x/FMT ADDRESS: examine memory, as gdb (x/4xg $rsp, x/8xb 0xc000010000, x/3i $pc, x/s)."""
        fmt, _, addr = arg.partition(" ")
        if not fmt.startswith("/"):
            fmt, addr = "", arg
        address = int(evaluate(addr, self._expr_ctx()).value) if addr.strip() else None
        pc = self.engine.cpu(self.sel.cpu).reg("rip")
        for line in examine_lines(self.engine.proc, fmt.lstrip("/"), address, self.x_state, pc):
            self.print(line)  # as it goes: a huge count shows at once, and Ctrl-C stops it

    def do_info(self, arg: str) -> None:
        """info ps|ms|sched|timers|goroutines|breakpoints|registers|checkpoints: runtime state."""
        topics: dict[str, Callable[[], None]] = {
            "ps": lambda: self.print(*info_ps(self.engine.proc)),
            "ms": lambda: self.print(*info_ms(self.engine.proc, self.sel.cpu)),
            "sched": lambda: self.print(*info_sched(self.engine.proc)),
            "timers": lambda: self.print(*info_timers(self.engine.proc)),
            "goroutines": lambda: self.do_goroutines(""),
            "breakpoints": lambda: self.do_breakpoints(""),
            "registers": lambda: self.do_regs(""),
            "checkpoints": lambda: self.do_checkpoints(""),
        }
        words = arg.split()
        topic = next((t for t in topics if words and t.startswith(words[0])), None)
        if topic is None:
            raise DebugError(f'"info" must be followed by one of: {", ".join(topics)}.')
        if topic == "registers":
            self.do_regs(" ".join(words[1:]))
            return
        self._no_args(f"info {topic}", " ".join(words[1:]))
        topics[topic]()

    def do_disasm(self, arg: str) -> None:
        """disasm [SYMBOL] [-intel] (disassemble): a whole function in Plan 9 syntax (Intel with
        -intel), `=>` at the pc."""
        words = arg.split()
        intel = "-intel" in words or "--intel" in words
        names = [w for w in words if not w.startswith("-")]
        pc = self.engine.cpu(self.sel.cpu).reg("rip")
        start, end = (self._symbol(names[0]).addr, 0) if names else ctx.function_bounds(self.engine, pc)
        if names:
            sym = self._symbol(names[0])
            start, end = sym.addr, sym.addr + sym.size
        self.print(f"TEXT {ctx.symbolic(self.engine, start)}(SB)")
        for p, text in ctx.instructions(self.engine, start, end, intel):
            self.print(f"{'=>' if p == pc else '  '} {p:#x} <+{p - start}>\t{text}")

    def do_context(self, arg: str) -> None:
        """context (ctx): show the registers, code, stack and M/P/G of the selected M again."""
        self._no_args("context", arg)
        self.print(*ctx.context(self.engine, self.sel.cpu, self.changed, self.colour))

    def do_set(self, arg: str) -> None:
        """set context on|off: show the context after every stop (on by default). set [var] $REG =
        EXPR: write a register of the selected M (rax..r15, rip or $pc, rflags, fs_base), a change
        of the run as freeze is (what was recorded after it is dropped)."""
        words = arg.split()
        if words[:1] == ["context"]:
            if len(words) != 2 or words[1] not in ("on", "off"):
                raise DebugError("set context on|off")
            self.show_context = words[1] == "on"
            return
        if not arg:
            raise DebugError("Argument required (expression to compute).")
        m = re.fullmatch(r"(?:var(?:iable)?\s+)?(\S*?)\s*=(?!=)\s*(.*)", arg)
        if m is None:
            raise DebugError("Usage: set context on|off, or set $REG = EXPR.")
        self._set_register(*m.groups())

    def _set_register(self, target: str, expr: str) -> None:
        name = REGISTER_ALIASES.get(target[1:], target[1:]) if target.startswith("$") else ""
        if name not in GP_REGS:
            raise DebugError(f"goemu: cannot assign to {target or 'nothing'}: only the registers "
                             "$rax..$r15, $rip ($pc), $rflags and $fs_base can be set, not memory or variables.")  # fmt: skip
        if self.engine.exited:
            raise DebugError("The program is not being run.")
        value = evaluate(expr, self._expr_ctx())
        if not isinstance(value.value, int) or value.raw:
            raise DebugError(f"{expr} is a {value.type.name}, not a number.")
        index, word = self.sel.cpu, int(value.value) & MASK64
        self.engine.intervene(lambda: self.engine.cpu(index).set_reg(name, word))

    def do_help(self, arg: str) -> None:
        """help [COMMAND]: the commands, or one command's usage."""
        if arg:
            name = ALIASES.get(arg, arg).replace("-", "_")
            fn = getattr(self, f"do_{name}", None)
            if fn is None:
                raise DebugError(f'Undefined command: "{arg}".  Try "help".')
            self.print(*(line.strip() for line in (fn.__doc__ or "").splitlines()))
            return
        for name in self.commands():
            doc = (getattr(self, "do_" + name.replace("-", "_")).__doc__ or "").split(":")[0]
            self.print(f"  {doc}")

    def do_quit(self, arg: str) -> None:
        """quit (q, exit): leave the debugger."""
        self.done = True


def number(text: str) -> int:
    """A number argument (decimal, 0x hex), or gdb's complaint."""
    try:
        return int(text, 0)
    except ValueError:
        raise DebugError(f'Invalid number "{text}".') from None


def run_script(shell: Shell, path: str) -> bool:
    """Run a file's commands, stopping at the first that fails (as gdb's `source` and -x do, with
    gdb's `FILE:LINE: Error in sourced command file:` before the error); False if one did."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DebugError(f"{path}: {e.strerror}") from None
    for n, raw in enumerate(data.splitlines(), 1):
        if shell.done:
            return True
        try:
            line = raw.decode()
        except UnicodeDecodeError as e:
            error: str | None = f"Invalid UTF-8: byte {raw[e.start]:#04x} at column {e.start + 1}."
        else:
            error = shell.attempt(line)
        if error is not None:
            shell.print(f"{path}:{n}: Error in sourced command file:", error)
            return False
    return True


def interactive(shell: Shell) -> None:
    """The prompt: prompt-toolkit on a terminal (history in ~/.goemu_history, completion of
    commands and symbols), plain lines otherwise."""
    if not sys.stdin.isatty():
        for line in sys.stdin:
            shell.execute(line)
            if shell.done:
                return
        return
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory

    words = sorted({*shell.commands(), *ALIASES, *(plan9_name(n) for n in shell.engine.image.symbols)})
    history = FileHistory(str(Path.home() / ".goemu_history"))
    completer = WordCompleter(words, WORD=True)
    session: PromptSession[str] = PromptSession(history=history, completer=completer, complete_while_typing=False)
    last = ""
    while not shell.done:
        try:
            line = session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        line = line or last  # Enter repeats the last command, as in gdb
        last = line
        shell.execute(line)


def start(files: list[str], config: Config, script: str | None, batch: bool, out: TextIO, options: Options | None = None) -> int:
    def sink(data: bytes) -> None:
        out.write(data.decode(errors="replace"))
        out.flush()

    engine = Engine(files, config, sink, options)
    shell = Shell(engine, out, colour=not batch and out.isatty() and "NO_COLOR" not in os.environ)
    ok = True
    try:
        shell.print(f"Program {' '.join(shlex.quote(f) for f in files)} loaded; stopped before its first instruction.")
        shell._stopped(Event("start", 0))
        if script is not None:
            ok = run_script(shell, script)
        if not batch and not shell.done:
            interactive(shell)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as gdb does
        silence(out)
        return 1
    finally:
        engine.close()
    return 0 if ok or not batch else 1

