"""Per-function rewriting after Go 1.19's cmd/internal/obj/x86/obj6.go: progedit and preprocess.

progedit: the one-instruction TLS forms, CALL/JMP to symbols as branches, MOVQ $addr as LEAQ,
float immediates as loads of $f64./$f32. constants. preprocess: the BP-slot rule, automatic
leaf NOSPLIT, the three stack-split sequences with the morestack block at the end, ADJSP and the
BP frame, WRAPPER's panic-argp fixup, pseudo-register offsets tracked through PUSH/POP/ADJSP, and
RET rewritten to restore BP and pop the frame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

from ..errors import ErrorList, Pos
from ..prog import Addr, AddrType, Name, Prog
from ..textflag import NEEDCTXT, NOFRAME, NOSPLIT, WRAPPER

STACK_SMALL = 128  # objabi.StackSmall
STACK_BIG = 4096  # objabi.StackBig
PTR_SIZE = 8
G_STACKGUARD0 = 16  # 2 * PtrSize: the only g field the prologue reads
G_PANIC = 32  # 4 * PtrSize: g._panic, read by WRAPPER functions
REGG = "R14"
REGENTRYTMP0, REGENTRYTMP1 = "R12", "R13"
GP_REGS = frozenset(("AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI")) | {f"R{i}" for i in range(8, 16)}

_FLOAT32_OPS = frozenset(
    "FMOVF FADDF FSUBF FSUBRF FMULF FDIVF FDIVRF FCOMF FCOMFP ADDSS SUBSS MULSS DIVSS COMISS UCOMISS".split()
)
_FLOAT64_OPS = frozenset(
    "FMOVD FADDD FSUBD FSUBRD FMULD FDIVD FDIVRD FCOMD FCOMDP ADDSD SUBSD MULSD DIVSD COMISD UCOMISD".split()
)
_PUSH_POP = {
    "PUSHL": 4, "PUSHFL": 4, "PUSHQ": 8, "PUSHFQ": 8, "PUSHW": 2, "PUSHFW": 2,
    "POPL": -4, "POPFL": -4, "POPQ": -8, "POPFQ": -8, "POPW": -2, "POPFW": -2,
}  # fmt: skip


@dataclass
class Function:
    """One TEXT symbol: its header and its body, which preprocess() extends with the prologue."""

    name: str
    flags: int
    frame: int  # as written; preprocess adds the BP slot as Go does
    args: int
    pos: Pos
    text: Prog
    progs: list[Prog] = field(default_factory=list)
    nosplit: bool = False  # effective: written or made so by the leaf rule
    noframe: bool = False  # effective: no BP slot
    autoffset: int = 0  # hardware frame size including the BP slot
    bpsize: int = 0  # 8 when the function saves BP
    spwrite: bool = False  # funcFlag_SPWRITE: it writes SP other than by PUSH, POP and ADJSP


def const(v: int) -> Addr:
    return Addr(AddrType.CONST, offset=v)


def reg(r: str) -> Addr:
    return Addr(AddrType.REG, reg=r)


def mem(r: str, off: int = 0) -> Addr:
    return Addr(AddrType.MEM, reg=r, offset=off)


def branch() -> Addr:
    return Addr(AddrType.BRANCH)


def _new(pos: Pos, op: str, *args: Addr, spadj: int = 0) -> Prog:
    return Prog(pos, op, list(args), inserted=True, spadj=spadj)


def float_symbol(value: float, width: int) -> tuple[str, bytes]:
    """The name and bytes of Go's constant-pool symbol for a float immediate ($f64.<bits>)."""
    if width == 4:
        data = struct.pack("<f", value)
        return f"$f32.{struct.unpack('<I', data)[0]:08x}", data
    data = struct.pack("<d", value)
    return f"$f64.{struct.unpack('<Q', data)[0]:016x}", data


def progedit(p: Prog, constants: dict[str, bytes]) -> None:
    """Rewrite one instruction the way obj6.progedit does on linux/amd64 (1-instruction TLS)."""
    args = p.args
    if (
        p.op in ("MOVQ", "MOVL")
        and len(args) == 2
        and args[0].is_reg("TLS")
        and args[1].type is AddrType.REG
        and args[1].reg in GP_REGS
    ):
        p.op, p.args = "NOP", []  # MOVQ TLS, r: the TLS base is folded into the use below
        return
    for a in args:
        if a.type is AddrType.MEM and a.index == "TLS" and a.reg in GP_REGS:
            a.reg, a.index, a.scale = "TLS", None, 0  # off(r)(TLS*1) is off(TLS)
    if p.op in ("CMPPD", "CMPPS", "CMPSD", "CMPSS") and len(args) == 3:
        last = args[-1]
        if last.type is AddrType.MEM and last.name is Name.NONE and last.reg is None and last.index is None:
            last.type = AddrType.CONST  # CMPPS X1, X0, 4: the predicate is written without $
    if p.op in ("CALL", "JMP", "RET") and args:
        t = args[-1]
        if t.type is AddrType.MEM and t.name in (Name.EXTERN, Name.STATIC) and t.sym:
            t.type = AddrType.BRANCH
    if args and args[0].type is AddrType.ADDR and p.op in ("MOVQ", "MOVL"):
        p.op = "LEAQ" if p.op == "MOVQ" else "LEAL"
        args[0].type = AddrType.MEM
    if args and args[0].type is AddrType.FCONST:
        f = float(args[0].value)  # type: ignore[arg-type]
        zero = struct.pack("<d", f) == bytes(8)
        if p.op in ("MOVSS", "MOVSD") and zero and len(args) == 2 and _is_xmm(args[1]):
            p.op, p.args = "XORPS", [replace(args[1]), args[1]]
            return
        width = (
            4
            if p.op in _FLOAT32_OPS or p.op == "MOVSS"
            else 8
            if p.op in _FLOAT64_OPS or p.op == "MOVSD"
            else 0
        )
        if width:
            name, data = float_symbol(f, width)
            constants[name] = data
            args[0] = Addr(AddrType.MEM, sym=name, name=Name.EXTERN, pos=args[0].pos)


def _is_xmm(a: Addr) -> bool:
    return a.type is AddrType.REG and a.reg is not None and a.reg[0] == "X" and int(a.reg[1:]) < 16


def _is_zero_arg_runtime_call(p: Prog) -> bool:
    t = p.args[-1] if p.args else None
    name = t.sym if t is not None and t.type is AddrType.BRANCH else None
    if name is None:
        return False
    return name in ("runtime.panicdivide", "runtime.panicwrap", "runtime.panicshift") or name.startswith(
        ("runtime.panicIndex", "runtime.panicSlice")
    )


def preprocess(fn: Function, errors: ErrorList) -> None:
    """Insert prologue, epilogues and morestack call; resolve FP/SP pseudo-register offsets."""
    pos = fn.pos
    autoffset = max(fn.frame, 0)
    has_call = any(p.op == "CALL" for p in fn.progs)
    nosplit = bool(fn.flags & NOSPLIT)
    bpsize = 0
    if not fn.flags & NOFRAME and not (autoffset == 0 and nosplit) and not (autoffset == 0 and not has_call):
        bpsize = PTR_SIZE
        autoffset += bpsize
    fn.noframe = bpsize == 0
    fn.bpsize = bpsize
    fn.autoffset = autoffset
    if autoffset < STACK_SMALL and not nosplit:
        leaf = True
        for p in fn.progs:
            if p.op == "CALL" and (not _is_zero_arg_runtime_call(p) or autoffset >= STACK_SMALL - 8):
                leaf = False
                break
        nosplit = leaf
    fn.nosplit = nosplit
    if autoffset % PTR_SIZE:
        errors.add(pos, f"{fn.name}: unaligned stack size {autoffset}")

    body = fn.progs
    head: list[Prog] = []
    tail: list[Prog] = []
    regg = REGG
    # Inserted instructions take the position of the one they follow, as obj.Appendp does.
    last_pos = body[-1].pos if body else pos
    if not nosplit:
        head, tail = _stacksplit(fn, autoffset, last_pos)
    elif fn.flags & WRAPPER:
        head = [_load_g(pos)]
    if autoffset:
        head.append(_new(pos, "ADJSP", const(autoffset), spadj=autoffset))
    if bpsize:
        head.append(_new(pos, "MOVQ", reg("BP"), _sp(autoffset - bpsize)))
        head.append(_new(pos, "LEAQ", _sp(autoffset - bpsize), reg("BP")))
    wrapper_tail: list[Prog] = []
    if fn.flags & WRAPPER:
        # if g._panic != nil && g._panic.argp == FP { g._panic.argp = bottom-of-frame }
        jne = _new(pos, "JNE", branch())
        end = _new(pos, "NOP")
        wpos = tail[-1].pos if tail else last_pos
        check = _new(wpos, "LEAQ", mem("SP", autoffset + PTR_SIZE), reg(REGENTRYTMP1))
        head += [_new(pos, "MOVQ", mem(regg, G_PANIC), reg(REGENTRYTMP0)),
                 _new(pos, "TESTQ", reg(REGENTRYTMP0), reg(REGENTRYTMP0)), jne, end]  # fmt: skip
        jne.target = check
        back1 = _new(wpos, "JNE", branch())
        back2 = _new(wpos, "JMP", branch())
        back1.target = back2.target = end
        wrapper_tail = [check, _new(wpos, "CMPQ", mem(REGENTRYTMP0), reg(REGENTRYTMP1)), back1,
                        _new(wpos, "MOVQ", reg("SP"), mem(REGENTRYTMP0)), back2]  # fmt: skip
    fn.progs = _adjust_frame(fn, head + body, autoffset, bpsize, errors) + tail + wrapper_tail


def _sp(off: int) -> Addr:
    a = mem("SP", off)
    a.scale = 1
    return a


def _load_g(pos: Pos) -> Prog:
    """MOVQ (TLS), R14: ABI0 functions load g from thread-local storage."""
    return _new(pos, "MOVQ", mem("TLS"), reg(REGG))


def _unsafe_point(pos: Pos, value: int) -> Prog:
    return _new(pos, "PCDATA", const(0), const(value))  # PCDATA_UnsafePoint: -2 unsafe, -1 done


def _stacksplit(fn: Function, framesize: int, last_pos: Pos) -> tuple[list[Prog], list[Prog]]:
    """The stack-bound check at entry and the morestack call at the end (obj6.stacksplit)."""
    pos = fn.pos
    load = _load_g(pos)
    head = [load]
    guard = mem(REGG, G_STACKGUARD0)
    jcs = None
    if framesize <= STACK_SMALL:
        head += [_new(pos, "CMPQ", reg("SP"), guard), _unsafe_point(pos, -2)]
    elif framesize <= STACK_BIG:
        lea = Addr(AddrType.MEM, reg="SP", offset=-(framesize - STACK_SMALL))
        head += [
            _new(pos, "LEAQ", lea, reg(REGENTRYTMP0)),
            _new(pos, "CMPQ", reg(REGENTRYTMP0), guard),
            _unsafe_point(pos, -2),
        ]
    else:
        # The huge-frame form guards against SP - framesize wrapping around.
        jcs = _new(pos, "JCS", branch())
        head += [
            _new(pos, "MOVQ", reg("SP"), reg(REGENTRYTMP0)),
            _unsafe_point(pos, -2),
            _new(pos, "SUBQ", const(framesize - STACK_SMALL), reg(REGENTRYTMP0)),
            jcs,
            _new(pos, "CMPQ", reg(REGENTRYTMP0), guard),
        ]
    jls = _new(pos, "JLS", branch())
    head += [jls, _unsafe_point(pos, -1)]
    morestack = "runtime.morestack" if fn.flags & NEEDCTXT else "runtime.morestack_noctxt"
    spill = _unsafe_point(pos, -2)
    call = _new(pos, "CALL", Addr(AddrType.BRANCH, sym=morestack, name=Name.EXTERN))
    jmp = _new(pos, "JMP", branch(), spadj=framesize)
    jmp.target = load
    tail = [
        _new(last_pos, "NOP", spadj=-framesize),
        _new(pos, "PCDATA", const(1), const(-1)),  # EmitEntryStackMap: PCDATA_StackMapIndex
        spill,
        call,
        _unsafe_point(pos, -1),
        jmp,
    ]
    jls.target = spill
    if jcs is not None:
        jcs.target = spill
    return head, tail


def _adjust_frame(
    fn: Function, progs: list[Prog], autoffset: int, bpsize: int, errors: ErrorList
) -> list[Prog]:
    """Resolve AUTO/PARAM offsets against the tracked SP, count PUSH/POP, rewrite RET."""
    out: list[Prog] = []
    deltasp = 0
    for p in progs:
        for a in p.args:
            if a.name is Name.AUTO and a.type in (AddrType.MEM, AddrType.ADDR):
                a.offset += deltasp - bpsize
            elif a.name is Name.PARAM and a.type in (AddrType.MEM, AddrType.ADDR):
                a.offset += deltasp + PTR_SIZE
        if p.op in _PUSH_POP:
            p.spadj = _PUSH_POP[p.op]
            deltasp += p.spadj
        elif p.op == "ADJSP":
            if p.args and p.args[0].type is AddrType.CONST:  # a bad operand is reported by span
                p.spadj = p.args[0].offset
                deltasp += p.spadj
        elif p.op == "RET":
            if deltasp != autoffset:
                errors.add(
                    p.pos, f"{fn.name}: unbalanced PUSH/POP (SP is {deltasp - autoffset:+d} bytes off at RET)"
                )
            if autoffset:
                # The RET Prog itself becomes the first instruction of the epilogue, so branches
                # to it land there; the frame pop and the RET follow.
                to = p.args
                if bpsize:
                    p.op, p.args = "MOVQ", [_sp(autoffset - bpsize), reg("BP")]
                    out.append(p)
                    out.append(_new(p.pos, "ADJSP", const(-autoffset), spadj=-autoffset))
                else:
                    p.op, p.args, p.spadj = "ADJSP", [const(-autoffset)], -autoffset
                    out.append(p)
                # Code after this RET is reached by a branch with the frame still in place.
                ret = _new(p.pos, "RET", *to, spadj=autoffset)
                if to and to[-1].type is AddrType.BRANCH and to[-1].sym:
                    ret.op = "JMP"  # RET sym(SB): a tail call
                out.append(ret)
                continue
            if p.args and p.args[-1].type is AddrType.BRANCH and p.args[-1].sym:
                p.op = "JMP"
        elif p.args and p.args[-1].type is AddrType.REG and p.args[-1].reg == "SP" and p.op not in ("CMPL", "CMPQ"):
            fn.spwrite = True  # SUBQ $8, SP as well: tracebacks cannot follow SP through it
        out.append(p)
    return out


def split_functions(progs: list[Prog], errors: ErrorList) -> tuple[list[Function], list[Prog]]:
    """Group Progs under their TEXT; returns functions and the DATA/GLOBL statements."""
    funcs: list[Function] = []
    data: list[Prog] = []
    cur: Function | None = None
    for p in progs:
        if p.op == "TEXT":
            name, flags, size = p.args
            cur = Function(str(name.sym), flags.offset, size.offset, int(size.value or 0), p.pos, p)  # type: ignore[arg-type]
            funcs.append(cur)
        elif p.op in ("DATA", "GLOBL"):
            data.append(p)
        elif cur is None:
            errors.add(p.pos, f"{p.op} outside of a TEXT function")
        else:
            cur.progs.append(p)
    return funcs, data
