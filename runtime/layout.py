"""Go 1.19 linux/amd64 runtime structures and constants: the one place goemu keeps their offsets.

Everything that knows where a field of g, m, p, ... lives derives it from here: the go_asm.h header
that runtime/*.s includes (`go_asm_h()`, in the exact text Go's compiler writes with -asmhdr), and
the typed views through which the Python scheduler reads and writes those structures in guest
memory (`G(mem, addr).goid`). The data is Go's: offsets and constants are those of Go 1.19's own
go_asm.h, field types those of the runtime's sources (runtime2.go, chan.go, time.go, ...). The
tests compare the generated header with the real one line by line; tests/vectors/gen_go_asm.py
--check-types compares every field's size and kind with the DWARF of a Go 1.19 binary. Besides
the structs the scheduler works on, a few small ones their fields embed are laid out (mutex,
note, sysmontick, slice, stringStruct, eface, and anonymous ones such as p.gFree).

Field kinds (Field.kind), the little the views need to know about a Go type:
    bool                   Go bool, one byte, read as a Python bool
    u8 u16 u32 u64         unsigned integers (uint8/byte, uint16, uint32, uint64/uint)
    i8 i16 i32 i64         signed integers (int8, int16, int32, int64/int)
    uintptr                uintptr and the runtime's integer "pointers" (guintptr, puintptr, ...)
    ptr                    Go pointers: *T, unsafe.Pointer, func values
    array                  [count]T of a scalar kind `elem` (p.runq is [256]guintptr: elem uintptr)
    struct:<name>          an embedded struct laid out in STRUCTS (g.sched is struct:gobuf)
    bytes                  opaque: a type goemu does not look into (gcWork, wbBuf, mOS, ...)
Go strings, slices and interfaces are the runtime's own views of them: struct:stringStruct,
struct:slice and struct:eface. Blank `_` padding fields are left out, as Go's header leaves them.
"""

from __future__ import annotations

import ctypes
import keyword
import struct as _struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .memory import Memory

# Each struct is "name size: field offset gotype | ...", continued on indented lines. Named structs
# are in the order Go's compiler writes them to go_asm.h (the order its type checker reached them),
# so the generated header lines up with the real one. Names with a dot are Go's anonymous struct
# types (`gFree struct { gList; n int32 }` in p), named after their field; they have no header lines.
_STRUCT_SPEC = """
hchan 96: qcount 0 uint | dataqsiz 8 uint | buf 16 unsafe.Pointer | elemsize 24 uint16 | closed 28 uint32
    | elemtype 32 *_type | sendx 40 uint | recvx 48 uint | recvq 56 waitq | sendq 72 waitq | lock 88 mutex
waitq 16: first 0 *sudog | last 8 *sudog
mutex 8: lockRankStruct 0 lockRankStruct | key 0 uintptr
sudog 88: g 0 *g | next 8 *sudog | prev 16 *sudog | elem 24 unsafe.Pointer | acquiretime 32 int64
    | releasetime 40 int64 | ticket 48 uint32 | isSelect 52 bool | success 53 bool | parent 56 *sudog
    | waitlink 64 *sudog | waittail 72 *sudog | c 80 *hchan
g 392: stack 0 stack | stackguard0 16 uintptr | stackguard1 24 uintptr | _panic 32 *_panic
    | _defer 40 *_defer | m 48 *m | sched 56 gobuf | syscallsp 112 uintptr | syscallpc 120 uintptr
    | stktopsp 128 uintptr | param 136 unsafe.Pointer | atomicstatus 144 uint32 | stackLock 148 uint32
    | goid 152 int64 | schedlink 160 guintptr | waitsince 168 int64 | waitreason 176 waitReason
    | preempt 177 bool | preemptStop 178 bool | preemptShrink 179 bool | asyncSafePoint 180 bool
    | paniconfault 181 bool | gcscandone 182 bool | throwsplit 183 bool | activeStackChans 184 bool
    | parkingOnChan 185 uint8 | raceignore 186 int8 | sysblocktraced 187 bool | tracking 188 bool
    | trackingSeq 189 uint8 | runnableStamp 192 int64 | runnableTime 200 int64 | sysexitticks 208 int64
    | traceseq 216 uint64 | tracelastp 224 puintptr | lockedm 232 muintptr | sig 240 uint32
    | writebuf 248 []byte | sigcode0 272 uintptr | sigcode1 280 uintptr | sigpc 288 uintptr
    | gopc 296 uintptr | ancestors 304 *[]ancestorInfo | startpc 312 uintptr | racectx 320 uintptr
    | waiting 328 *sudog | cgoCtxt 336 []uintptr | labels 360 unsafe.Pointer | timer 368 *timer
    | selectDone 376 uint32 | goroutineProfiled 380 goroutineProfileStateHolder | gcAssistBytes 384 int64
funcval 8: fn 0 uintptr
note 8: key 0 uintptr
gQueue 16: head 0 guintptr | tail 8 guintptr
gList 8: head 0 guintptr
p 8912: id 0 int32 | status 4 uint32 | link 8 puintptr | schedtick 16 uint32 | syscalltick 20 uint32
    | sysmontick 24 sysmontick | m 56 muintptr | mcache 64 *mcache | pcache 72 pageCache
    | raceprocctx 96 uintptr | deferpool 104 []*_defer | deferpoolbuf 128 [32]*_defer
    | goidcache 384 uint64 | goidcacheend 392 uint64 | runqhead 400 uint32 | runqtail 404 uint32
    | runq 408 [256]guintptr | runnext 2456 guintptr | gFree 2464 p.gFree | sudogcache 2480 []*sudog
    | sudogbuf 2504 [128]*sudog | mspancache 3528 p.mspancache | tracebuf 4560 traceBufPtr
    | traceSweep 4568 bool | traceSwept 4576 uintptr | traceReclaimed 4584 uintptr
    | palloc 4592 persistentAlloc | timer0When 4616 uint64 | timerModifiedEarliest 4624 uint64
    | gcAssistTime 4632 int64 | gcFractionalMarkTime 4640 int64 | limiterEvent 4648 limiterEvent
    | gcMarkWorkerMode 4656 gcMarkWorkerMode | gcMarkWorkerStartTime 4664 int64 | gcw 4672 gcWork
    | wbBuf 4712 wbBuf | runSafePointFn 8824 uint32 | statsSeq 8828 uint32 | timersLock 8832 mutex
    | timers 8840 []*timer | numTimers 8864 uint32 | deletedTimers 8868 uint32 | timerRaceCtx 8872 uintptr
    | maxStackScanDelta 8880 int64 | scannedStackSize 8888 uint64 | scannedStacks 8896 uint64
    | preempt 8904 bool
p.gFree 16: gList 0 gList | n 8 int32
p.mspancache 1032: len 0 int | buf 8 [128]*mspan
timer 72: pp 0 puintptr | when 8 int64 | period 16 int64 | f 24 func | arg 32 any | seq 48 uintptr
    | nextwhen 56 int64 | status 64 uint32
stack 16: lo 0 uintptr | hi 8 uintptr
sysmontick 32: schedtick 0 uint32 | schedwhen 8 int64 | syscalltick 16 uint32 | syscallwhen 24 int64
eface 16: _type 0 *_type | data 8 unsafe.Pointer
m 1008: g0 0 *g | morebuf 8 gobuf | divmod 64 uint32 | procid 72 uint64 | gsignal 80 *g
    | goSigStack 88 gsignalStack | sigmask 128 sigset | tls 136 [6]uintptr | mstartfn 184 func
    | curg 192 *g | caughtsig 200 guintptr | p 208 puintptr | nextp 216 puintptr | oldp 224 puintptr
    | id 232 int64 | mallocing 240 int32 | throwing 244 throwType | preemptoff 248 string | locks 264 int32
    | dying 268 int32 | profilehz 272 int32 | spinning 276 bool | blocked 277 bool | newSigstack 278 bool
    | printlock 279 int8 | incgo 280 bool | freeWait 284 atomic.Uint32 | fastrand 288 uint64
    | needextram 296 bool | traceback 297 uint8 | ncgocall 304 uint64 | ncgo 312 int32
    | cgoCallersUse 316 uint32 | cgoCallers 320 *cgoCallers | park 328 note | alllink 336 *m
    | schedlink 344 muintptr | lockedg 352 guintptr | createstack 360 [32]uintptr | lockedExt 616 uint32
    | lockedInt 620 uint32 | nextwaitm 624 muintptr | waitunlockf 632 func | waitlock 640 unsafe.Pointer
    | waittraceev 648 byte | waittraceskip 656 int | startingtrace 664 bool | syscalltick 668 uint32
    | freelink 672 *m | libcall 680 libcall | libcallpc 728 uintptr | libcallsp 736 uintptr
    | libcallg 744 guintptr | syscall 752 libcall | vdsoSP 800 uintptr | vdsoPC 808 uintptr
    | preemptGen 816 uint32 | signalPending 820 uint32 | dlogPerM 824 dlogPerM | mOS 824 mOS
    | locksHeldLen 840 int | locksHeld 848 [10]heldLockInfo
gobuf 56: sp 0 uintptr | pc 8 uintptr | g 16 guintptr | ctxt 24 unsafe.Pointer | ret 32 uintptr
    | lr 40 uintptr | bp 48 uintptr
schedt 6080: goidgen 0 uint64 | lastpoll 8 uint64 | pollUntil 16 uint64 | lock 24 mutex | midle 32 muintptr
    | nmidle 40 int32 | nmidlelocked 44 int32 | mnext 48 int64 | maxmcount 56 int32 | nmsys 60 int32
    | nmfreed 64 int64 | ngsys 72 uint32 | pidle 80 puintptr | npidle 88 uint32 | nmspinning 92 uint32
    | runq 96 gQueue | runqsize 112 int32 | disable 120 schedt.disable | gFree 152 schedt.gFree
    | sudoglock 184 mutex | sudogcache 192 *sudog | deferlock 200 mutex | deferpool 208 *_defer
    | freem 216 *m | gcwaiting 224 uint32 | stopwait 228 int32 | stopnote 232 note | sysmonwait 240 uint32
    | sysmonnote 248 note | safePointFn 256 func | safePointWait 264 int32 | safePointNote 272 note
    | profilehz 280 int32 | procresizetime 288 int64 | totaltime 296 int64 | sysmonlock 304 mutex
    | timeToRun 312 timeHistogram
schedt.disable 32: user 0 bool | runnable 8 gQueue | n 24 int32
schedt.gFree 32: lock 0 mutex | stack 8 gList | noStack 16 gList | n 24 int32
semaRoot 24: lock 0 mutex | treap 8 *sudog | nwait 16 uint32
slice 24: array 0 unsafe.Pointer | len 8 int | cap 16 int
stringStruct 16: str 0 unsafe.Pointer | len 8 int
"""

# The runtime's constants, in the order of Go's header, as "name value | ...".
_CONST_SPEC = """
maxAlign 8 | hchanSize 96 | debugChan false
offsetX86HasAVX 66 | offsetX86HasAVX2 67 | offsetX86HasERMS 70 | offsetX86HasRDTSCP 75
_PageSize 8192 | _StackCacheSize 32768 | _GCoff 0 | _GCmark 1 | _GCmarktermination 2 | stackTraceDebug false
_GoidCacheBatch 16 | forcePreemptNS 10000000 | randomizeScheduler false
_Gidle 0 | _Grunnable 1 | _Grunning 2 | _Gsyscall 3 | _Gwaiting 4 | _Gmoribund_unused 5 | _Gdead 6
_Genqueue_unused 7 | _Gcopystack 8 | _Gpreempted 9 | _Gscan 4096 | _Gscanrunnable 4097 | _Gscanrunning 4098
_Gscansyscall 4099 | _Gscanwaiting 4100 | _Gscanpreempted 4105
_Pidle 0 | _Prunning 1 | _Psyscall 2 | _Pgcstop 3 | _Pdead 4 | tlsSlots 6 | tlsSize 48
waitReasonZero 0 | waitReasonGCAssistMarking 1 | waitReasonIOWait 2 | waitReasonChanReceiveNilChan 3
waitReasonChanSendNilChan 4 | waitReasonDumpingHeap 5 | waitReasonGarbageCollection 6
waitReasonGarbageCollectionScan 7 | waitReasonPanicWait 8 | waitReasonSelect 9 | waitReasonSelectNoCases 10
waitReasonGCAssistWait 11 | waitReasonGCSweepWait 12 | waitReasonGCScavengeWait 13 | waitReasonChanReceive 14
waitReasonChanSend 15 | waitReasonFinalizerWait 16 | waitReasonForceGCIdle 17 | waitReasonSemacquire 18
waitReasonSleep 19 | waitReasonSyncCondWait 20 | waitReasonTimerGoroutineIdle 21
waitReasonTraceReaderBlocked 22 | waitReasonWaitForGCCycle 23 | waitReasonGCWorkerIdle 24
waitReasonPreempted 25 | waitReasonDebugCall 26 | semTabSize 251
_StackSystem 0 | _StackMin 2048 | _FixedStack 2048 | _StackBig 4096 | _StackGuard 928 | _StackSmall 128
_StackLimit 800 | stackDebug 0 | stackFromSystem 0 | stackFaultOnFree 0 | stackPoisonCopy 0 | stackNoCache 0
uintptrMask 18446744073709551615 | stackPreempt 18446744073709550302 | stackFork 18446744073709550382
stackForceMove 18446744073709551341 | stackPoisonMin 18446744073709547520
timerNoStatus 0 | timerWaiting 1 | timerRunning 2 | timerDeleted 3 | timerRemoving 4 | timerRemoved 5
timerModifying 6 | timerModifiedEarlier 7 | timerModifiedLater 8 | timerMoving 9 | maxWhen 9223372036854775807
"""

# kind -> (size, struct format to read, struct format to write). Writes go through the unsigned
# format of the width after masking, so they wrap as Go's fixed-size arithmetic does.
_SCALARS: dict[str, tuple[int, str, str]] = {
    "bool": (1, "?", "B"),
    "u8": (1, "B", "B"), "i8": (1, "b", "B"),
    "u16": (2, "H", "H"), "i16": (2, "h", "H"),
    "u32": (4, "I", "I"), "i32": (4, "i", "I"),
    "u64": (8, "Q", "Q"), "i64": (8, "q", "Q"),
    "uintptr": (8, "Q", "Q"), "ptr": (8, "Q", "Q"),
}  # fmt: skip
SCALAR_KINDS = frozenset(_SCALARS)
# kind -> (unpack_from, pack_into, mask of the width), compiled once for all views.
_CODECS = {
    kind: (_struct.Struct("<" + rfmt).unpack_from, _struct.Struct("<" + wfmt).pack_into, (1 << 8 * size) - 1)
    for kind, (size, rfmt, wfmt) in _SCALARS.items()
}

# Go type -> kind, for the scalar types fields use (named runtime types by their underlying type).
_GO_SCALARS = {
    "bool": "bool", "uint8": "u8", "byte": "u8", "int8": "i8", "uint16": "u16", "int16": "i16",
    "uint32": "u32", "int32": "i32", "uint64": "u64", "uint": "u64", "int64": "i64", "int": "i64",
    "uintptr": "uintptr", "unsafe.Pointer": "ptr", "func": "ptr",
    "guintptr": "uintptr", "puintptr": "uintptr", "muintptr": "uintptr", "traceBufPtr": "uintptr",
    "waitReason": "u8", "throwType": "u32", "gcMarkWorkerMode": "i64",
    # atomic wrappers: a struct around one value, which is all there is to read or write.
    "atomic.Uint32": "u32", "goroutineProfileStateHolder": "u32",
}  # fmt: skip
# Go types spelled as the runtime's view of them.
_GO_ALIASES = {"string": "stringStruct", "any": "eface", "sigset": "[2]uint32"}
# Types goemu does not look into, by size (lockRankStruct and dlogPerM are empty without their build tags).
_GO_OPAQUE = {
    "lockRankStruct": 0, "dlogPerM": 0, "gsignalStack": 40, "pageCache": 24, "persistentAlloc": 16,
    "limiterEvent": 8, "gcWork": 40, "wbBuf": 4112, "timeHistogram": 5768, "libcall": 48, "mOS": 12,
    "heldLockInfo": 16,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a Go struct: its byte offset, its size and how to read it (kind, see module doc).

    Arrays of scalars have kind "array", the element kind in `elem` and the length in `count`.
    `gotype` is the Go type as the spec writes it, for messages and documentation.
    """

    name: str
    offset: int
    size: int
    kind: str
    elem: str = ""
    count: int = 0
    gotype: str = ""

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def align(self) -> int:
        """Go's alignment of the field's type, or 1 where goemu does not know it (opaque bytes)."""
        return _align(self, STRUCTS)


@dataclass(frozen=True)
class Struct:
    """A Go struct type: name, size and fields in declaration order; `s["goid"]` is a Field."""

    name: str
    size: int
    fields: tuple[Field, ...]
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    @property
    def anonymous(self) -> bool:
        """Anonymous struct types (named "parent.field") have no lines in go_asm.h."""
        return "." in self.name

    @property
    def align(self) -> int:
        """Go's alignment of the struct: that of its most aligned field."""
        return _struct_align(self, STRUCTS)

    def offsetof(self, path: str) -> int:
        """Offset of a field, through embedded structs: offsetof("sched.sp") is g_sched+gobuf_sp."""
        s, off = self, 0
        for part in path.split("."):
            f = s[part]
            off += f.offset
            if f.kind.startswith("struct:"):
                s = STRUCTS[f.kind.removeprefix("struct:")]
        return off


def _align(f: Field, structs: dict[str, Struct]) -> int:
    """Alignment of a field's type (structs passed in: the checks run before STRUCTS exists)."""
    if f.kind in _SCALARS:
        return f.size
    if f.kind == "array":
        return _SCALARS[f.elem][0]
    if f.kind.startswith("struct:"):
        return _struct_align(structs[f.kind.removeprefix("struct:")], structs)
    return 1


def _struct_align(s: Struct, structs: dict[str, Struct]) -> int:
    return max((_align(f, structs) for f in s.fields), default=1)


def _resolve(gotype: str, sizes: dict[str, int]) -> tuple[str, int, str, int]:
    """(kind, size, elem, count) of a Go type; `sizes` are the structs the spec lays out."""
    gotype = _GO_ALIASES.get(gotype, gotype)
    if gotype.startswith("*"):
        return "ptr", 8, "", 0
    if gotype.startswith("[]"):
        return "struct:slice", sizes["slice"], "", 0
    if gotype.startswith("["):
        count_text, elem_type = gotype[1:].split("]", 1)
        count = int(count_text)
        elem, elem_size, _, _ = _resolve(elem_type, sizes)
        if elem in _SCALARS:
            return "array", count * elem_size, elem, count
        return "bytes", count * elem_size, "", 0
    if gotype in _GO_SCALARS:
        kind = _GO_SCALARS[gotype]
        return kind, _SCALARS[kind][0], "", 0
    if gotype in sizes:
        return "struct:" + gotype, sizes[gotype], "", 0
    if gotype in _GO_OPAQUE:
        return "bytes", _GO_OPAQUE[gotype], "", 0
    raise ValueError(f"layout: unknown Go type {gotype!r}")


def _spec_items(spec: str) -> list[str]:
    """The entries of a spec: lines joined with their indented continuations."""
    items: list[str] = []
    for line in spec.strip().splitlines():
        if line[:1].isspace():
            items[-1] += " " + line.strip()
        else:
            items.append(line.strip())
    return items


def parse_structs(spec: str) -> dict[str, Struct]:
    """Struct specs ("name size: field offset gotype | ...") -> Structs, checked by check_struct."""
    heads = []
    for item in _spec_items(spec):
        head, body = item.split(":", 1)
        name, size = head.split()
        heads.append((name, int(size), body))
    sizes = {name: size for name, size, _ in heads}
    structs = {}
    for name, size, body in heads:
        fields = []
        for entry in body.split("|"):
            fname, offset, gotype = entry.split()
            kind, fsize, elem, count = _resolve(gotype, sizes)
            fields.append(Field(fname, int(offset), fsize, kind, elem, count, gotype))
        structs[name] = Struct(name, size, tuple(fields))
    for s in structs.values():
        check_struct(s, structs)
    return structs


def check_struct(s: Struct, structs: dict[str, Struct]) -> None:
    """Raise ValueError unless the layout is coherent: fields in order, apart, inside the struct,
    aligned as Go aligns them, and usable as Python attributes of a view."""
    if len(s._by_name) != len(s.fields):
        raise ValueError(f"layout: {s.name}: two fields have the same name")
    end, end_name = 0, ""
    for f in s.fields:
        where = f"layout: {s.name}.{f.name}"
        if f.size and f.offset < end:
            raise ValueError(f"{where} at {f.offset} overlaps {end_name}, which ends at {end}")
        if f.end > s.size:
            raise ValueError(f"{where} ends at {f.end}, beyond the struct's size {s.size}")
        if f.kind.startswith("struct:") and structs[f.kind.removeprefix("struct:")].size != f.size:
            raise ValueError(f"{where}: size {f.size} is not that of {f.kind}")
        if f.offset % _align(f, structs):
            raise ValueError(f"{where}: offset {f.offset} is not aligned to {_align(f, structs)}")
        if f.name in View.RESERVED or keyword.iskeyword(f.name) or not f.name.isidentifier():
            raise ValueError(f"{where}: the name cannot be a view attribute")
        if f.size:
            end, end_name = f.end, f.name
    align = _struct_align(s, structs)
    if s.size % align:
        raise ValueError(f"layout: {s.name}: size {s.size} is not a multiple of its alignment {align}")


_GO_BOOLS = {"true": True, "false": False}


def parse_constants(spec: str) -> dict[str, int | bool]:
    """Constant specs ("name value | ...", values as Go prints them) -> {name: int or bool}."""
    consts: dict[str, int | bool] = {}
    for item in _spec_items(spec):
        for entry in item.split("|"):
            name, value = entry.split()
            consts[name] = _GO_BOOLS[value] if value in _GO_BOOLS else int(value)
    return consts


def go_value(value: int | bool) -> str:
    """A constant as Go's header prints it (constant.Value's String: true, false, decimal)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def go_asm_h() -> str:
    """The go_asm.h Go's compiler writes for package runtime (-asmhdr), for what goemu models.

    Go writes `#define T__size N` and one `#define T_field OFFSET` per field (the underscore is a
    plain separator, hence g__panic for g._panic), then `#define const_NAME VALUE` (const__StackGuard).
    """
    lines = ["// generated by compile -asmhdr from package runtime", ""]
    for s in STRUCTS.values():
        if not s.anonymous:
            lines.append(f"#define {s.name}__size {s.size}")
            lines.extend(f"#define {s.name}_{f.name} {f.offset}" for f in s.fields)
    lines.extend(f"#define const_{name} {go_value(value)}" for name, value in CONSTANTS.items())
    return "\n".join(lines) + "\n"


# ---- Views: Python objects over structs in guest memory ----------------------------------------

# waitReasonStrings (runtime2.go): what a waiting G's waitReason prints as, by value.
waitReasonStrings = (
    "", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)", "dumping heap",
    "garbage collection", "garbage collection scan", "panicwait", "select", "select (no cases)",
    "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive", "chan send", "finalizer wait",
    "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait", "timer goroutine (idle)",
    "trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "preempted", "debug call",
)  # fmt: skip

# kind -> the ctypes type of a scalar field. ctypes stores an int into a field by masking it to the
# field's width, which is Go's wrapping arithmetic; it reads signed kinds as negative numbers.
_CTYPES: dict[str, Any] = {
    "bool": ctypes.c_bool,
    "u8": ctypes.c_uint8, "i8": ctypes.c_int8, "u16": ctypes.c_uint16, "i16": ctypes.c_int16,
    "u32": ctypes.c_uint32, "i32": ctypes.c_int32, "u64": ctypes.c_uint64, "i64": ctypes.c_int64,
    "uintptr": ctypes.c_uint64, "ptr": ctypes.c_uint64,
}  # fmt: skip


class _ViewType(type(ctypes.Structure)):  # type: ignore[misc]
    """The metaclass of views: `G(mem, addr)` is a view of the g at addr in mem. Views of the
    structs that live as long as the program (g, m, p: LASTING) are made once per address and kept
    in mem.views, when the memory has that dict (see runtime.memory.Memory)."""

    def __call__(cls, mem: Memory, addr: int) -> Any:
        if cls.LASTING:
            try:
                return mem.views[cls, addr]  # type: ignore[attr-defined]
            except KeyError:
                view = mem.views[cls, addr] = cls.make(mem, addr)  # type: ignore[attr-defined]
                return view
            except AttributeError:  # a Memory without views
                pass
        return cls.make(mem, addr)

    def make(cls, mem: Memory, addr: int) -> Any:
        buf, off = mem.locate(addr, cls.STRUCT.size)
        view = cls.from_buffer(buf, off)
        view.mem, view.addr = mem, addr
        return view


class View(ctypes.Structure, metaclass=_ViewType):
    """A typed window on one struct in guest memory: fields read and write as Python ints.

    A view is a ctypes structure over the very bytes of the struct (from_buffer of the buffer
    Memory.locate returned, never a copy), with one ctypes field per scalar field at Go's offset:
    a field access is a C-level descriptor, no Python code runs. The buffer must stay mapped at
    `addr` while the view is used (from_buffer holds it). Integer writes wrap to the field's width
    like Go's arithmetic (p.runqtail = t + 1 wraps at 2**32; -1 in a uint32 is 0xffffffff); reads
    give Go's value (negative for signed kinds, a Python bool for bool).
    Embedded structs read as views at the field (g.sched.sp), arrays as ArrayView (p.runq[3]),
    both made on first access and then kept in a slot of the parent view; opaque fields read as a
    memoryview of their bytes. Assigning a view of the same struct type to an embedded struct field
    copies its bytes (gp.sched = other.sched); assigning bytes to an opaque field copies them.
    Subclasses come from view_class, one per Struct.
    """

    __slots__ = ("mem", "addr")
    STRUCT: ClassVar[Struct]
    LASTING: ClassVar[bool] = False
    RESERVED: ClassVar[frozenset[str]] = frozenset(
        {"mem", "addr", "STRUCT", "LASTING", "RESERVED", "clear", "addr_of", "kid", "raw", "make", "from_buffer",
         "from_address", "from_buffer_copy", "in_dll"}
    )  # fmt: skip

    def kid(self, cls: type[View], off: int) -> View:
        """A view of the struct embedded at offset off, sharing this view's buffer."""
        view = cls.from_buffer(self, off)
        view.mem, view.addr = self.mem, self.addr + off
        return view

    def raw(self) -> memoryview:
        """The struct's bytes, writable."""
        return memoryview(self).cast("B")

    def addr_of(self, path: str) -> int:
        """Guest address of a field, through embedded structs: g.addr_of("sched.sp")."""
        return self.addr + self.STRUCT.offsetof(path)

    def clear(self) -> None:
        """Zero the whole struct (Go's memclr of a fresh g or sudog)."""
        ctypes.memset(ctypes.addressof(self), 0, self.STRUCT.size)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, View) and type(other) is type(self) and (other.mem, other.addr) == (
            self.mem, self.addr)

    def __hash__(self) -> int:
        return hash((type(self), self.addr))

    def __repr__(self) -> str:
        return f"<{self.STRUCT.name} at {self.addr:#x}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> View:
        """A view is an address: a copy of the runtime's state (a debugger snapshot) shares it."""
        return self


class ArrayView:
    """The elements of an array field as ints, bounds-checked like Go (no negative indexes)."""

    __slots__ = ("addr", "_b", "_n", "_esize", "_get", "_put", "_mask")

    def __init__(self, addr: int, buf: memoryview, f: Field) -> None:
        self.addr = addr
        self._b = buf
        self._n = f.count
        self._esize = _SCALARS[f.elem][0]
        self._get, self._put, self._mask = _CODECS[f.elem]

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self._n:
            raise IndexError(f"index out of range [{i}] with length {self._n}")
        return self._get(self._b, i * self._esize)[0]

    def __setitem__(self, i: int, value: int) -> None:
        if not 0 <= i < self._n:
            raise IndexError(f"index out of range [{i}] with length {self._n}")
        self._put(self._b, i * self._esize, value & self._mask)

    def __iter__(self) -> Iterator[int]:
        get, buf, esize = self._get, self._b, self._esize
        return (get(buf, i * esize)[0] for i in range(self._n))

    def addr_of(self, i: int) -> int:
        """Guest address of element i (&p.runq[i])."""
        return self.addr + i * self._esize


def _kid_slot(f: Field) -> str:
    return "_kid_" + f.name


def _property(f: Field) -> property:
    """The Python property of a field that is not a scalar: an embedded struct, an array (views
    made once per parent view, kept in its slot _kid_<name>) or opaque bytes."""
    off, end, slot = f.offset, f.end, _kid_slot(f)
    getter: Callable[[Any], Any]
    setter: Callable[[Any, Any], None]
    if f.kind == "array":

        def getter(self: View) -> ArrayView:
            try:
                return getattr(self, slot)
            except AttributeError:
                kid = ArrayView(self.addr + off, self.raw()[off:end], f)
                setattr(self, slot, kid)
                return kid

        def setter(self: View, value: Any) -> None:
            raise AttributeError(f"assign the elements of {f.name}, not the array")

    elif f.kind.startswith("struct:"):
        sub = view_class(f.kind.removeprefix("struct:"))

        def getter(self: View) -> View:
            try:
                return getattr(self, slot)
            except AttributeError:
                kid = self.kid(sub, off)
                setattr(self, slot, kid)
                return kid

        def setter(self: View, value: View) -> None:
            if type(value) is not sub:
                raise TypeError(f"{f.name} is a {sub.STRUCT.name}, not {value!r}")
            ctypes.memmove(ctypes.addressof(self) + off, ctypes.addressof(value), end - off)

    else:

        def getter(self: View) -> memoryview:
            return self.raw()[off:end]

        def setter(self: View, value: bytes) -> None:
            self.raw()[off:end] = value

    return property(getter, setter, doc=f"{f.gotype} at offset {off} ({f.kind}, {f.size} bytes)")


def _ctypes_fields(s: Struct) -> list[tuple[str, Any]]:
    """The ctypes _fields_ of a view: the scalar fields at Go's offsets, the bytes between them
    (other fields, padding) as unnamed-in-Go filler arrays."""
    out: list[tuple[str, Any]] = []
    at = 0
    for f in s.fields:
        if f.kind not in _CTYPES or not f.size:
            continue
        if f.offset > at:
            out.append((f"_pad{at}", ctypes.c_uint8 * (f.offset - at)))
        out.append((f.name, _CTYPES[f.kind]))
        at = f.end
    if s.size > at:
        out.append((f"_pad{at}", ctypes.c_uint8 * (s.size - at)))
    return out


_VIEWS: dict[str, type[View]] = {}
_LASTING = frozenset({"g", "m", "p", "schedt"})  # never freed: Go keeps them in allgs, allm, allp


def view_class(name: str) -> type[View]:
    """The View subclass of a struct (made once, then cached): view_class("p.gFree")(mem, addr)."""
    cls = _VIEWS.get(name)
    if cls is None:
        s = STRUCTS[name]
        others = [f for f in s.fields if f.kind not in _CTYPES]
        namespace: dict[str, Any] = {
            "__slots__": tuple(_kid_slot(f) for f in others if f.kind == "array" or f.kind.startswith("struct:")),
            "_pack_": 1,
            "_fields_": _ctypes_fields(s),
            "STRUCT": s,
            "LASTING": name in _LASTING,
            "__doc__": f"View of runtime.{name}.",
        }
        namespace.update((f.name, _property(f)) for f in others)
        cls = _VIEWS[name] = _ViewType(name[0].upper() + name[1:].replace(".", "_"), (View,), namespace)
        assert ctypes.sizeof(cls) == s.size
        assert all(getattr(cls, f.name).offset == f.offset for f in s.fields if f.kind in _CTYPES and f.size)
    return cls


STRUCTS: dict[str, Struct] = parse_structs(_STRUCT_SPEC)
CONSTANTS: dict[str, int | bool] = parse_constants(_CONST_SPEC)
# Attribute access to CONSTANTS: const._Grunning, const.stackPreempt (a class: lookups are fast).
const: Any = type("const", (), {"__slots__": (), **CONSTANTS})

G = view_class("g")
M = view_class("m")
P = view_class("p")
Schedt = view_class("schedt")
Gobuf = view_class("gobuf")
Stack = view_class("stack")
Sudog = view_class("sudog")
Hchan = view_class("hchan")
Waitq = view_class("waitq")
GQueue = view_class("gQueue")
GList = view_class("gList")
SemaRoot = view_class("semaRoot")
Funcval = view_class("funcval")
Timer = view_class("timer")
Mutex = view_class("mutex")
Note = view_class("note")
Sysmontick = view_class("sysmontick")
Slice = view_class("slice")
StringStruct = view_class("stringStruct")
Eface = view_class("eface")
