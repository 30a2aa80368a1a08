"""The runtime's assembly (runtime/*.s) and the go_asm.h it includes, handed to the assembler.

This is the only place the runtime touches the assembler: the Python runtime never reads
instructions, it only needs the stubs' symbols once they are linked into the image.
"""

from __future__ import annotations

from pathlib import Path

from asm import Object, Options, assemble_file
from asm.cache import assemble_text

from .api import GATES
from .gates import stubs_asm
from .layout import go_asm_h

STUB_DIR = Path(__file__).parent
STUB_FILES = ("asm_amd64.s", "preempt_amd64.s", "proc_amd64.s", "syscall_linux_amd64.s")


def asm_options() -> Options:
    """Options for assembling runtime code: package runtime, go_asm.h from layout.py."""
    return Options(headers={"go_asm.h": go_asm_h()}, pkg="runtime")


GATES_FILE = "gates_amd64.s"  # generated from runtime.gates: the entries of the Python functions


def assemble_stubs() -> list[Object]:
    """The runtime stubs and gate entries, assembled once per content (asm.cache)."""
    objects = [assemble_file(str(STUB_DIR / name), asm_options()) for name in STUB_FILES]
    objects.append(assemble_text(GATES_FILE, stubs_asm(sorted(GATES.values(), key=lambda g: g.name)), asm_options()))
    return objects


def is_runtime_file(file: str) -> bool:
    """Does code from this source file belong to the runtime (its stubs or the gates) rather than
    to the program? Tells program text from runtime text for asynchronous preemption."""
    return file == GATES_FILE or Path(file).parent == STUB_DIR
