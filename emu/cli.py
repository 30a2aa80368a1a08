"""The goemu command line: `goemu asm`, `goemu objdump` (and, as they land, run/debug/...).

Every failure a user can cause ends in a message and a non-zero exit, never a traceback:
assembly errors as `file.s:LINE:COL: message` lines and exit status 1, like `go tool asm`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from asm.errors import AsmError, errno_text
from runtime.stack import MAX_STACK, STACK_MIN
from runtime.sysmon import FORCE_PREEMPT_NS

if TYPE_CHECKING:
    from .run import Config, Limits


def _defines(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        name, _, value = v.partition("=")
        out[name] = value if "=" in v else "1"
    return out


def _asm_options(args: argparse.Namespace):
    from asm.assemble import Options

    return Options(include_dirs=args.I, defines=_defines(args.D), pkg=args.p)


def cmd_asm(args: argparse.Namespace) -> int:
    from asm import cache
    from asm.imagefile import save
    from asm.link import link
    from asm.listing import listing, to_json

    opts = _asm_options(args)
    objects = [cache.assemble_file(path, opts) for path in args.files]
    if args.S:
        for obj in objects:
            sys.stdout.write(listing(obj))
    if args.json:
        doc = [to_json(obj) for obj in objects]
        json.dump(doc[0] if len(doc) == 1 else doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    if args.o is not None:
        save(link(objects, allow_undefined=True), args.o)
    return 0


def cmd_objdump(args: argparse.Namespace) -> int:
    from .objdump import cmd

    return cmd(args.files, args.s, _asm_options(args))


def cmd_run(args: argparse.Namespace) -> int:
    from .run import Observe, main_streams, run

    try:
        config, limits = run_config(args, os.environ)
        if config.fast and (args.trace or args.stats):
            raise ValueError(f"{'--trace' if args.trace else '--stats'} needs the deterministic clock, not --fast")
    except ValueError as e:
        print(f"goemu run: {e}", file=sys.stderr)
        return 2
    out, err = main_streams()
    return run(args.files, _asm_options(args), limits, out, err, config, Observe(args.trace, args.stats))


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench_main

    return bench_main(args.quick, args.json)


def cmd_timeline(args: argparse.Namespace) -> int:
    from .timeline import cmd

    return cmd(args.trace, args.o, args.title)


def cmd_debug(args: argparse.Namespace) -> int:
    from runtime.malloc import OutOfMemory

    from .debugger.engine import DebugError
    from .debugger.shell import start

    try:
        config, _ = run_config(args, os.environ)
        return start(args.files, config, args.x, args.batch, sys.stdout, _asm_options(args))
    except (ValueError, DebugError) as e:
        print(f"goemu debug: {e}", file=sys.stderr)
        return 2
    except OutOfMemory as e:  # --max-memory below what the runtime takes to start, as goemu run says
        print(f"runtime: out of memory: {e}\nfatal error: out of memory", file=sys.stderr)
        return 2


def run_config(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[Config, Limits]:
    """The machine and limits `goemu run` asks for, from its flags and the environment
    (GOMAXPROCS and GODEBUG, read as Go reads them). ValueError says what is wrong."""
    from runtime.debug import parsedebugvars
    from runtime.proc import MAX_GOMAXPROCS

    from .run import Config, Limits, gomaxprocs_from_env

    procs = args.gomaxprocs or gomaxprocs_from_env(environ)
    if not 0 < args.ncpu <= MAX_GOMAXPROCS or not 0 <= procs <= MAX_GOMAXPROCS:
        raise ValueError(f"--ncpu and GOMAXPROCS must be between 1 and {MAX_GOMAXPROCS}")
    if args.fast and args.max_insns:
        raise ValueError("--max-insns counts instructions in deterministic mode only (not with --fast)")
    if args.max_insns < 0:
        raise ValueError("--max-insns must not be negative")
    if args.max_goroutines < 0:
        raise ValueError("--max-goroutines must not be negative")
    if args.max_stack < STACK_MIN:
        raise ValueError(f"--max-stack must be at least {STACK_MIN} bytes (one starting stack)")
    config = Config(
        ncpu=args.ncpu,
        gomaxprocs=procs,
        fast=args.fast,
        debug=parsedebugvars(environ.get("GODEBUG", "")),
        timeslice=args.timeslice,
        max_stack=args.max_stack,
        max_memory=args.max_memory,
        max_goroutines=args.max_goroutines,
        max_output=args.max_output,
    )
    return config, Limits(max_insns=args.max_insns, timeout=args.timeout)


_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
MAX_DURATION = (1 << 63) - 1  # time.Duration's range


def duration(text: str) -> int:
    """A positive duration in Go's syntax (time.ParseDuration: 10ms, 500us, 1.5s, 1h30m), in ns."""
    parts = list(_DURATION_PART.finditer(text))
    if not parts or "".join(m.group() for m in parts) != text or parts[0].start():
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (examples: 10ms, 500us, 2s, 1h30m)")
    ns = sum(Fraction(m.group(1)) * _UNITS[m.group(2)] for m in parts)
    if ns > MAX_DURATION:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: more than 2562047h47m16.854775807s")
    if ns < 1:
        raise argparse.ArgumentTypeError(f"duration {text!r} must be positive")
    return int(ns)


def seconds(text: str) -> float:
    """--timeout's seconds: a finite number, 0 for no limit."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"--timeout takes a finite number of seconds, not {text!r} (0: no limit)")
    return value


_SIZES = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def memory_size(text: str) -> int:
    """A positive size in GOMEMLIMIT's syntax (a number of bytes, or with B, KiB, MiB, GiB, TiB)."""
    m = re.fullmatch(r"(\d+)(B|KiB|MiB|GiB|TiB)?", text.strip())
    if not m or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"invalid size {text!r} (examples: 65536, 512MiB, 2GiB)")
    return int(m.group(1)) * _SIZES[m.group(2) or "B"]


def _add_asm_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-I", action="append", default=[], metavar="DIR", help="add DIR to the #include search path")
    p.add_argument("-D", action="append", default=[], metavar="NAME[=VALUE]", help="predefine a macro")
    p.add_argument("-p", default="main", metavar="PKG", help="package path for ·name symbols (default main)")


def _add_machine_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--gomaxprocs", type=int, default=0, metavar="N", help="number of Ps (default: $GOMAXPROCS, else --ncpu)"
    )
    p.add_argument("--ncpu", type=int, default=4, metavar="N", help="CPUs of the emulated machine (default 4)")
    p.add_argument(
        "--timeslice",
        type=duration,
        default=FORCE_PREEMPT_NS,
        metavar="D",
        help="how long a goroutine runs before sysmon preempts it (forcePreemptNS; default 10ms)",
    )
    p.add_argument(
        "--max-stack",
        type=int,
        default=MAX_STACK,
        metavar="BYTES",
        help="goroutine stack size limit (debug.SetMaxStack; default 1000000000)",
    )
    p.add_argument(
        "--max-memory",
        type=memory_size,
        default=0,
        metavar="SIZE",
        help="limit of the emulated heap and stacks together (GOMEMLIMIT's syntax: 512MiB, 2GiB)",
    )
    p.add_argument(
        "--max-goroutines", type=int, default=0, metavar="N", help="stop when a go statement would make N+1 alive"
    )
    p.add_argument(
        "--max-output", type=memory_size, default=0, metavar="SIZE", help="stop after SIZE bytes of output (e.g. 64KiB; default: no limit)"
    )


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="goemu", description="Run Go Plan 9 amd64 assembly on an emulated CPU.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("asm", help="assemble files (like go tool asm)", description="Assemble Plan 9 amd64 files.")
    a.add_argument("files", nargs="+", metavar="FILE.s")
    _add_asm_flags(a)
    a.add_argument("-S", action="store_true", help="print the assembly listing (go tool asm -S form)")
    a.add_argument("--json", action="store_true", help="print symbols, instructions and relocations as JSON")
    a.add_argument("-o", metavar="OUT", help="write the linked image to OUT")
    a.set_defaults(func=cmd_asm)

    r = sub.add_parser("run", help="run a program", description="Assemble, link and run a Plan 9 program.")
    r.add_argument("files", nargs="+", metavar="FILE.s")
    _add_asm_flags(r)
    r.add_argument("--max-insns", type=int, default=0, metavar="N", help="stop after N instructions")
    r.add_argument("--fast", action="store_true", help="wall-clock time slices and clock (not deterministic)")
    r.add_argument("--timeout", type=seconds, default=0, metavar="S", help="stop after S seconds of host time")
    r.add_argument(
        "--trace", metavar="FILE.json", help="write an execution trace (Chrome/Perfetto JSON, as go tool trace shows it)"
    )
    r.add_argument("--stats", action="store_true", help="print run statistics on standard error at exit")
    _add_machine_flags(r)
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("bench", help="measure goemu against the engine's limits", description="Run the benchmark workloads.")
    b.add_argument("--quick", action="store_true", help="small sizes: checks the workloads, measures nothing")
    b.add_argument("--json", action="store_true", help="print the results as JSON too (the table goes to stderr)")
    b.set_defaults(func=cmd_bench)

    t = sub.add_parser(
        "timeline",
        help="draw a trace as a timeline picture",
        description="Draw the P rows of a `goemu run --trace` file as an SVG or PNG timeline.",
    )
    t.add_argument("trace", metavar="FILE.json")
    t.add_argument("-o", required=True, metavar="OUT.svg|OUT.png", help="the picture to write")
    t.add_argument("--title", help="the picture's title (default: the program)")
    t.set_defaults(func=cmd_timeline)

    d = sub.add_parser(
        "debug",
        help="debug a program (step goroutine switches, forward and back)",
        description="Run a program under the debugger shell: gdb/Delve commands, reverse execution.",
    )
    d.add_argument("files", nargs="+", metavar="FILE.s")
    _add_asm_flags(d)
    d.add_argument("-x", metavar="SCRIPT", help="run the debugger commands in SCRIPT first")
    d.add_argument("--batch", action="store_true", help="exit after the script; plain output without colour")
    _add_machine_flags(d)
    d.set_defaults(func=cmd_debug, max_insns=0, fast=False, timeout=0)

    o = sub.add_parser("objdump", help="disassemble (like go tool objdump)", description="Disassemble in Go syntax.")
    o.add_argument("files", nargs="+", metavar="IMAGE-or-FILE.s")
    _add_asm_flags(o)
    o.add_argument("-s", metavar="SYMBOL", help="only disassemble symbols matching this regular expression")
    o.set_defaults(func=cmd_objdump)
    for command in sub.choices.values():  # for usage errors in the command's own words
        command.set_defaults(command_parser=command)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    for name in ("stdin", "stdout", "stderr"):  # a descriptor closed by the caller (>&-): as /dev/null
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "r" if name == "stdin" else "w"))
    args, extra = parser().parse_known_args(argv)
    if extra:  # argparse would blame the top-level parser and print its usage, not the command's
        args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        status = args.func(args)
    except AsmError as e:
        for d in e.diagnostics:
            print(d, file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _quiet_exit(0)
    except KeyboardInterrupt:
        return 130
    except OSError as e:  # goemu's own output (-o, standard output) cannot be written
        return _quiet_exit(_report(f"goemu {args.command}: {_os_error(e)}"))
    try:
        sys.stdout.flush()
    except OSError as e:
        return _quiet_exit(_report(f"goemu {args.command}: {_os_error(e)}"))
    return status


def _os_error(e: OSError) -> str:
    """`open x.img: no such file or directory` (a file goemu writes), or `write standard output:
    no space left on device`: the reason in Go's (lower-case) words."""
    reason = errno_text(e)
    return f"open {e.filename}: {reason}" if e.filename is not None else f"write standard output: {reason}"


def _report(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _quiet_exit(status: int) -> int:
    """status, standard output silenced: what it still buffers cannot be written either."""
    from .run import silence

    silence(sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
