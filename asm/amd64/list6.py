"""Plan 9 text of a Prog, as Go's obj.Prog.InstructionString prints it in `go tool asm -S`."""

from __future__ import annotations

from ..prog import Addr, AddrType, Name, Prog
from ..textflag import (
    ABIWRAPPER,
    DUPOK,
    NEEDCTXT,
    NOFRAME,
    NOSPLIT,
    REFLECTMETHOD,
    TEXT_FLAGS,
    TOPFRAME,
    WRAPPER,
)

ARGS_SIZE_UNKNOWN = -0x80000000


def _off(v: int) -> str:
    return "" if v == 0 else f"{v:+d}"


def _name(a: Addr) -> str:
    if a.name is Name.NONE:
        if a.reg is None:
            return str(a.offset)
        return f"({a.reg})" if a.offset == 0 else f"{a.offset}({a.reg})"
    base = {Name.EXTERN: "SB", Name.STATIC: "SB", Name.AUTO: "SP", Name.PARAM: "FP"}[a.name]
    if a.reg is not None:
        base = a.reg
    sym = a.sym or ""
    return f"{sym}{_off(a.offset)}({base})"


def addr_string(a: Addr, target_pc: int | None = None) -> str:
    t = a.type
    if t is AddrType.REG:
        return a.reg or ""
    if t is AddrType.BRANCH:
        if a.sym:
            return f"{a.sym.removesuffix('<>')}(SB)"
        if target_pc is not None:
            return str(target_pc)
        return f"{a.offset}(PC)" if a.pc_rel else (a.label or "")
    if t is AddrType.MEM:
        s = _name(a)
        if a.index:
            s += f"({a.index}*{a.scale})"
        return s
    if t is AddrType.CONST:
        return "$" + _name(a)
    if t is AddrType.ADDR:
        s = "$" + _name(a)
        if a.index:
            s += f"({a.index}*{a.scale})"
        return s
    if t is AddrType.TEXTSIZE:
        return f"${a.offset}" if a.value == ARGS_SIZE_UNKNOWN else f"${a.offset}-{a.value}"
    if t is AddrType.FCONST:
        s = f"{float(a.value):.17g}"  # type: ignore[arg-type]
        return f"$({s if any(c in s for c in '.e') else s + '.0'})"
    if t is AddrType.SCONST:
        return '$"' + bytes(a.value).decode("latin-1").encode("unicode_escape").decode() + '"'  # type: ignore[arg-type]
    return ""


def flags_string(flags: int) -> str:
    return "|".join(name for bit, name in TEXT_FLAGS.items() if flags & bit)


# obj.textAttrStrings order; STATIC and ABIInternal come from the symbol, TOPFRAME is printed last.
_TEXT_ATTRS = ((DUPOK, "DUPOK"), (NOSPLIT, "NOSPLIT"), (REFLECTMETHOD, "REFLECTMETHOD"), (WRAPPER, "WRAPPER"),
               (NEEDCTXT, "NEEDCTXT"), (NOFRAME, "NOFRAME"))  # fmt: skip


def text_attrs(flags: int, static: bool, abi: str | None) -> str:
    """The attribute list of a TEXT line, as obj.LSym.TextAttrString prints it."""
    attrs = [name for bit, name in _TEXT_ATTRS if flags & bit]
    if static:
        attrs.append("STATIC")
    if flags & ABIWRAPPER:
        attrs.append("ABIWRAPPER")
    if abi == "ABIInternal":
        attrs.append("ABIInternal")
    if flags & TOPFRAME:
        attrs.append("TOPFRAME")
    return "|".join(attrs)


def prog_string(p: Prog) -> str:
    """`MOVQ\tx+40(FP), AX`: the mnemonic, a tab, and the operands in Go order."""
    if p.op == "TEXT":
        name, flags, size = p.args
        parts = [addr_string(name)]
        attrs = text_attrs(flags.offset, bool(name.sym and name.sym.endswith("<>")), name.abi)
        if attrs:
            parts.append(attrs)
        parts.append(addr_string(size))
        return "TEXT\t" + ", ".join(parts)
    target_pc = p.target.pc if p.target is not None else None
    ops = [addr_string(a, target_pc) for a in p.args]
    return p.op + ("\t" + ", ".join(ops) if ops else "")
