"""What the architecture-neutral parser needs to know of amd64 (cmd/asm/internal/arch.archX86)."""

from __future__ import annotations

from ..parser import ArchInfo
from . import optab
from .registers import ALIASES, REGISTERS

# Instructions handled outside the translation table: branches, data words, and the obj pseudo-ops.
CONDITIONS = "CC CS EQ GE GT HI LE LS LT MI NE OC OS PC PL PS".split()
BRANCHES = frozenset({"JMP", "CALL", "RET", "JCXZL", "JCXZQ", "LOOP", "LOOPEQ", "LOOPNE"} | {"J" + c for c in CONDITIONS})
SPECIAL = frozenset({"NOP", "BYTE", "WORD", "LONG", "QUAD", "ADJSP", "UNDEF"})


def instruction(word: str) -> str | None:
    word = optab.ALIASES.get(word, word)
    if word in BRANCHES or word in SPECIAL or word in optab.MNEMONICS:
        return word
    return None


def is_jump(word: str) -> bool:
    return word[0] == "J" or word == "CALL" or word.startswith("LOOP") or word == "XBEGIN"


ARCH = ArchInfo(registers=REGISTERS, aliases=ALIASES, instruction=instruction, is_jump=is_jump)
