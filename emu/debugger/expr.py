"""Expressions of `goemu debug`: `print EXPR` and breakpoint conditions (`cond 1 g.goid == 5`).

The language is a small Go: integer literals, Go's operators with Go's precedence, `.` and `[i]`
through the runtime's structs, `*` to dereference and `&` to take an address. Its names are the
scheduler's objects, as a runtime hacker calls them: `g` `m` `p` (the selected goroutine, the
selected CPU's M and that M's P), `g5` `m0` `p0` (by goid and id), `sched`, the registers of the
selected CPU (`$rsp`, `$pc`, `$xmm0`), and the runtime's constants (`_Grunning`,
`waitReasonChanReceive`, `stackPreempt`), with `true`, `false` and `nil`.

Types and offsets all come from runtime/layout.py: a struct value is the bytes of a layout Struct,
a field is read at its Field's offset with its kind, so the debugger shows exactly what the
runtime reads. Pointer fields that point to a laid-out struct (*g, guintptr, *sudog, ...) are
followed by `.` as Go and Delve do (`m0.curg.goid`). `*` of any other address reads the 8-byte
word there (like gdb's x/gx), which is what one wants from `*$rsp`.

Output is Delve's `print`, with one goemu choice: uintptr values (guintptr and the other integer
"pointers" too), pointers and registers print in hex, because they are addresses.

Every error a user can cause is an ExprError whose message is meant to be shown as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from unicorn import x86_const

from emu.machine import GP_REGS
from runtime.layout import CONSTANTS, STRUCTS, Field, G, const
from runtime.memory import Memory, MemoryFault, read

if TYPE_CHECKING:
    from emu.run import Process

__all__ = ["ExprContext", "ExprError", "Type", "Value", "evaluate", "format_value", "print_expr", "truthy"]


_T = TypeVar("_T")


class ExprError(Exception):
    """A bad expression or one that cannot be evaluated now; the message is for the user as is."""


@dataclass
class ExprContext:
    """What the names refer to: the process, the selected goroutine (its g's address, 0 for none)
    and the selected CPU (index i runs the M allm[i])."""

    proc: Process
    g: int = 0
    cpu: int = 0


# ---- Types and values ------------------------------------------------------------------------

# Go's name of each scalar kind of the layout, for array elements whose Go type the spec does not
# spell (sigset is [2]uint32) and for messages.
_KIND_GO_NAMES = {
    "bool": "bool", "u8": "uint8", "i8": "int8", "u16": "uint16", "i16": "int16", "u32": "uint32",
    "i32": "int32", "u64": "uint64", "i64": "int64", "uintptr": "uintptr", "ptr": "unsafe.Pointer",
}  # fmt: skip
_SCALAR_KINDS = frozenset(_KIND_GO_NAMES)
# The runtime's integer "pointers" and the struct each one points to (g.schedlink.ptr() is a *g).
_UINTPTR_TARGETS = {"guintptr": "g", "muintptr": "m", "puintptr": "p"}
# Go types that print without the runtime. qualifier.
_BUILTIN_TYPES = frozenset(
    {"bool", "byte", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "uint", "int",
     "uintptr", "string", "any", "func", "uint128"}
)  # fmt: skip
_WAIT_REASONS = {v: k for k, v in CONSTANTS.items() if k.startswith("waitReason")}
_ARRAY_LIMIT = 64  # elements printed, as Delve's default MaxArrayValues


@dataclass(frozen=True)
class Type:
    """The type of a value: a layout kind (see runtime/layout.py) or "int" for untyped constants
    and "nil"; `gotype` is Go's spelling; `elem` is an array's element type, or what a pointer
    points to when that is a laid-out struct (None: a plain address)."""

    kind: str
    gotype: str
    size: int = 8
    elem: Type | None = None
    count: int = 0

    @property
    def struct(self) -> str:
        """The layout struct name of a struct type ("" for others)."""
        return self.kind.removeprefix("struct:") if self.kind.startswith("struct:") else ""

    @property
    def is_int(self) -> bool:
        """Integers, addresses and untyped constants: what arithmetic accepts."""
        return (self.kind in _SCALAR_KINDS and self.kind != "bool") or self.kind in ("int", "nil")

    @property
    def signed(self) -> bool:
        return self.kind.startswith("i") and self.kind != "int"

    @property
    def name(self) -> str:
        """The type as Delve prints it: runtime.g, *runtime.sudog, [256]runtime.guintptr."""
        if self.kind == "array" and self.elem is not None:
            return f"[{self.count}]{self.elem.name}"
        if self.kind == "ptr" and self.elem is not None and self.gotype.startswith("*"):
            return "*" + self.elem.name
        if self.struct:
            return _struct_name(self.struct)
        return _qualify(self.gotype)


def _qualify(gotype: str) -> str:
    """Go's type spelled with its package, as Delve does: *g -> *runtime.g, []byte stays."""
    for prefix in ("*", "[]"):
        if gotype.startswith(prefix):
            return prefix + _qualify(gotype[len(prefix) :])
    if gotype.startswith("["):
        count, rest = gotype[1:].split("]", 1)
        return f"[{count}]{_qualify(rest)}"
    if gotype in _BUILTIN_TYPES or "." in gotype:
        return gotype
    return "runtime." + gotype


def _struct_name(name: str) -> str:
    """runtime.gobuf, or the literal type of an anonymous struct (p.gFree has no name in Go)."""
    if "." not in name:
        return "runtime." + name
    fields = "; ".join(f"{f.name} {_field_type(f).name}" for f in STRUCTS[name])
    return f"struct {{ {fields} }}"


def _struct_type(name: str) -> Type:
    return Type("struct:" + name, name, STRUCTS[name].size)


def _scalar_type(kind: str, gotype: str, size: int) -> Type:
    """A scalar type; pointers to a laid-out struct (and guintptr ...) know what they point to."""
    target = _UINTPTR_TARGETS.get(gotype) or (gotype[1:] if gotype.startswith("*") else "")
    elem = _struct_type(target) if target in STRUCTS else None
    return Type(kind, gotype, size, elem)


def _field_type(f: Field) -> Type:
    """The Type of a layout Field."""
    if f.kind == "array":
        elem_gotype = f.gotype.split("]", 1)[1] if f.gotype.startswith("[") else _KIND_GO_NAMES[f.elem]
        elem = _scalar_type(f.elem, elem_gotype, f.size // f.count)
        return Type("array", f.gotype, f.size, elem, f.count)
    if f.kind.startswith("struct:"):
        return _struct_type(f.kind.removeprefix("struct:"))
    return _scalar_type(f.kind, f.gotype, f.size)


def _pointer_to(t: Type) -> Type:
    return Type("ptr", "*" + (t.struct or t.gotype), 8, t)


UNTYPED = Type("int", "untyped int")
BOOL = Type("bool", "bool", 1)
NIL = Type("nil", "nil")
UINTPTR = Type("uintptr", "uintptr")
WORD = Type("uintptr", "uint64")  # a register, or the word at an address


@dataclass(frozen=True)
class Value:
    """A typed value. Scalars carry their Python value (int, or bool for bool); structs, arrays and
    opaque fields carry their bytes as read from guest memory (`raw`). `addr` is where the value
    lives in guest memory, None for computed ones. `mem` lets print follow a top-level pointer."""

    type: Type
    value: int | bool = 0
    raw: bytes = b""
    addr: int | None = None
    mem: Memory | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.type.kind


def _decode(t: Type, raw: bytes, addr: int | None, mem: Memory | None) -> Value:
    """The value of type t held in `raw` (its bytes at `addr`)."""
    if t.kind == "bool":
        return Value(t, raw[0] != 0, addr=addr, mem=mem)
    if t.kind in _SCALAR_KINDS:
        return Value(t, int.from_bytes(raw, "little", signed=t.signed), addr=addr, mem=mem)
    return Value(t, raw=raw, addr=addr, mem=mem)


def _load(mem: Memory, t: Type, addr: int) -> Value:
    try:
        raw = read(mem, addr, t.size)
    except MemoryFault:
        raise ExprError(f"cannot read {t.size} bytes at {addr:#x}: unmapped memory") from None
    return _decode(t, raw, addr, mem)


def _wrap(t: Type, x: int) -> int:
    """x as a value of t: Go's fixed-size integers wrap; untyped constants do not."""
    if t.kind in ("int", "nil"):
        return x
    bits = 8 * t.size
    x &= (1 << bits) - 1
    return x - (1 << bits) if t.signed and x >> (bits - 1) else x


# ---- Parsing ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)"
    r"|(?P<reg>\$[A-Za-z_][A-Za-z0-9_]*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&\^|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!<>()\[\].]))"
)
# Go's binary operators by precedence (the spec's "Operator precedence").
_BINARY = {
    "*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5, "&^": 5,
    "+": 4, "-": 4, "|": 4, "^": 4,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
    "&&": 2, "||": 1,
}  # fmt: skip
_UNARY = frozenset("-+!^*&")


@dataclass(frozen=True)
class Node:
    """One node of the parse tree. op: "num" "name" "reg" (args: the token), "." (base, field name),
    "[]" (base, index), "u" + a unary operator (operand), or a binary operator (left, right).
    start/end: its span in the text, for messages that name the subexpression."""

    op: str
    args: tuple[Any, ...]
    start: int
    end: int


class _Parser:
    """Precedence climbing over the tokens of one expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, str, int, int]] = []  # (class, text, start, end)
        pos = 0
        while text[pos:].strip():
            m = _TOKEN.match(text, pos)
            if m is None or m.lastgroup is None:
                at = len(text) - len(text[pos:].lstrip())
                self.fail(f"unexpected {text[at]!r} at column {at + 1}")
            self.toks.append((m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup), m.end()))
            pos = m.end()
        self.i = 0

    def fail(self, why: str) -> NoReturn:
        raise ExprError(f"cannot parse {self.text!r}: {why}")

    def peek(self) -> tuple[str, str, int, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, what: str) -> tuple[str, str, int, int]:
        """The next token, which must be there; `what` names it for the message."""
        tok = self.peek()
        if tok is None:
            self.fail(f"expected {what} at the end")
        self.i += 1
        return tok

    def unexpected(self, tok: tuple[str, str, int, int], what: str) -> NoReturn:
        self.fail(f"expected {what}, found {tok[1]!r} at column {tok[2] + 1}")

    def parse(self) -> Node:
        if not self.toks:
            raise ExprError("no expression")
        node = self.binary(1)
        tok = self.peek()
        if tok is not None:
            self.unexpected(tok, "an operator")
        return node

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while (tok := self.peek()) is not None and tok[0] == "op" and _BINARY.get(tok[1], 0) >= min_prec:
            self.i += 1
            right = self.binary(_BINARY[tok[1]] + 1)
            left = Node(tok[1], (left, right), left.start, right.end)
        return left

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in _UNARY:
            self.i += 1
            x = self.unary()
            return Node("u" + tok[1], (x,), tok[2], x.end)
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        while (tok := self.peek()) is not None and tok[1] in (".", "["):
            self.i += 1
            if tok[1] == ".":
                name = self.take("a field name after '.'")
                if name[0] != "name":
                    self.unexpected(name, "a field name after '.'")
                node = Node(".", (node, name[1]), node.start, name[3])
            else:
                index = self.binary(1)
                close = self.take("']'")
                if close[1] != "]":
                    self.unexpected(close, "']'")
                node = Node("[]", (node, index), node.start, close[3])
        return node

    def primary(self) -> Node:
        tok = self.take("an operand")
        cls, text, start, end = tok
        if cls in ("num", "reg", "name"):
            return Node(cls, (text,), start, end)
        if text == "(":
            inner = self.binary(1)
            close = self.take("')'")
            if close[1] != ")":
                self.unexpected(close, "')'")
            return replace(inner, start=start, end=close[3])
        self.unexpected(tok, "an operand")


def parse(text: str) -> Node:
    """The parse tree of an expression (a breakpoint condition can be parsed once)."""
    return _guarded(lambda: _Parser(text).parse())


def _guarded(work: Callable[[], _T]) -> _T:
    """Parser and evaluator recurse on the tree: `((((...` a thousand deep is the user's error."""
    try:
        return work()
    except RecursionError:
        raise ExprError("expression nested too deeply") from None


# ---- Evaluation ------------------------------------------------------------------------------

_NUMBERED = re.compile(r"([gmp])([0-9]+)")
_REG_ALIASES = {"pc": "rip", "sp": "rsp", "eflags": "rflags"}
_XMM = re.compile(r"xmm([0-9]|1[0-5])")


class _Evaluator:
    """Evaluates a parse tree against the context; keeps the text to name subexpressions in errors."""

    def __init__(self, text: str, ctx: ExprContext) -> None:
        self.text = text
        self.ctx = ctx
        self.mem: Memory = ctx.proc.machine.space

    def src(self, node: Node) -> str:
        return self.text[node.start : node.end]

    def eval(self, node: Node) -> Value:
        op = node.op
        if op == "num":
            return self.number(node)
        if op == "name":
            return self.name(node.args[0])
        if op == "reg":
            return self.register(node.args[0])
        if op == ".":
            return self.field(node, self.eval(node.args[0]), node.args[1])
        if op == "[]":
            return self.index(node, self.eval(node.args[0]), self.eval(node.args[1]))
        if op.startswith("u"):
            return self.unary(node, op[1:], self.eval(node.args[0]))
        if op in ("&&", "||"):  # Go's short circuit: `g != nil && g.goid == 5` with no g is false
            left = self.condition(node.args[0], self.eval(node.args[0]))
            if left == (op == "||"):
                return Value(BOOL, left)
            return Value(BOOL, self.condition(node.args[1], self.eval(node.args[1])))
        return self.binary(node, op, self.eval(node.args[0]), self.eval(node.args[1]))

    def number(self, node: Node) -> Value:
        text = node.args[0]
        try:
            return Value(UNTYPED, int(text, 0))
        except ValueError:
            if re.fullmatch(r"0[0-7_]+", text):  # Go's old octal: 010 is 8
                return Value(UNTYPED, int(text, 8))
            raise ExprError(f"cannot parse {self.text!r}: bad number {text!r}") from None

    # -- names

    def name(self, name: str) -> Value:
        rt = self.ctx.proc.runtime
        if name == "g":
            if not self.ctx.g:
                raise ExprError("no goroutine selected")
            return self.pointer("g", self.ctx.g)
        if name == "m":
            return self.pointer("m", self.current_m().addr)
        if name == "p":
            mp = self.current_m()
            if not mp.p:
                raise ExprError(f"m (m{mp.id}) has no P")
            return self.pointer("p", mp.p)
        if name == "sched":
            return _load(self.mem, _struct_type("schedt"), rt.sched.addr)
        if name in ("true", "false"):
            return Value(BOOL, name == "true")
        if name == "nil":
            return Value(NIL, 0)
        if m := _NUMBERED.fullmatch(name):
            return self.numbered(m.group(1), int(m.group(2)))
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return Value(BOOL, value) if isinstance(value, bool) else Value(UNTYPED, value)
        raise ExprError(f"unknown name {name}")

    def numbered(self, which: str, n: int) -> Value:
        """gN by goid (live goroutines only), mN and pN by id."""
        rt = self.ctx.proc.runtime
        if which == "g":
            for addr in rt.allgs:
                gp = G(self.mem, addr)
                if gp.goid == n and gp.atomicstatus != const._Gdead:
                    return self.pointer("g", addr)
            raise ExprError(f"no goroutine {n}")
        views = rt.allm if which == "m" else rt.allp
        for view in views:
            if view.id == n:
                return self.pointer(which, view.addr)
        raise ExprError(f"no {which.upper()} {n}")

    def current_m(self) -> Any:
        allm = self.ctx.proc.runtime.allm
        if not 0 <= self.ctx.cpu < len(allm):
            raise ExprError(f"no M on CPU {self.ctx.cpu}")
        return allm[self.ctx.cpu]

    def pointer(self, struct: str, addr: int) -> Value:
        return Value(_pointer_to(_struct_type(struct)), addr, mem=self.mem)

    def register(self, token: str) -> Value:
        name = _REG_ALIASES.get(token[1:], token[1:])
        cpus = self.ctx.proc.machine.cpus
        if not 0 <= self.ctx.cpu < len(cpus):
            raise ExprError(f"no CPU {self.ctx.cpu}")
        cpu = cpus[self.ctx.cpu]
        if name in GP_REGS:
            return Value(WORD, cpu.reg(name), mem=self.mem)
        if m := _XMM.fullmatch(name):
            value = cpu.uc.reg_read(x86_const.UC_X86_REG_XMM0 + int(m.group(1)))
            return Value(Type("uintptr", "uint128", 16), value)
        raise ExprError(f"unknown register {token}")

    # -- selectors

    def deref(self, node: Node, v: Value) -> Value:
        """*v: the struct a pointer to one points to, else the word at the address."""
        t = v.type
        if not t.is_int:
            raise ExprError(f"cannot dereference {self.src(node)} ({t.name})")
        if v.value == 0:
            raise ExprError(f"nil pointer dereference: {self.src(node)}")
        target = t.elem if t.elem is not None and t.kind in ("ptr", "uintptr") else WORD
        return _load(self.mem, target, int(v.value) & (1 << 64) - 1)

    def field(self, node: Node, v: Value, name: str) -> Value:
        base = node.args[0]
        if v.type.elem is not None and v.type.elem.struct and v.kind in ("ptr", "uintptr"):
            v = self.deref(base, v)  # Go's automatic (*p).f
        struct = v.type.struct
        if not struct:
            raise ExprError(f"{self.src(base)} ({v.type.name}) has no fields")
        s = STRUCTS[struct]
        if name not in s:
            raise ExprError(f"{self.src(base)} has no field {name}")
        f = s[name]
        addr = None if v.addr is None else v.addr + f.offset
        return _decode(_field_type(f), v.raw[f.offset : f.end], addr, v.mem)

    def index(self, node: Node, v: Value, i: Value) -> Value:
        base = node.args[0]
        t = v.type
        if t.kind != "array" or t.elem is None:
            raise ExprError(f"cannot index {self.src(base)} ({t.name})")
        if not i.type.is_int:
            raise ExprError(f"index {self.src(node.args[1])} is not an integer")
        n = int(i.value)
        if not 0 <= n < t.count:
            raise ExprError(f"index out of range [{n}] with length {t.count}")
        size = t.elem.size
        addr = None if v.addr is None else v.addr + n * size
        return _decode(t.elem, v.raw[n * size : (n + 1) * size], addr, v.mem)

    # -- operators

    def condition(self, node: Node, v: Value) -> bool:
        """A bool, or a number that is not zero (a pointer that is not nil)."""
        if v.kind == "bool":
            return bool(v.value)
        if v.type.is_int:
            return v.value != 0
        raise ExprError(f"{self.src(node)} is a {v.type.name}, not a condition")

    def number_of(self, node: Node, v: Value) -> int:
        if not v.type.is_int:
            raise ExprError(f"{self.src(node)} is a {v.type.name}, not a number")
        return int(v.value)

    def unary(self, node: Node, op: str, v: Value) -> Value:
        x = node.args[0]
        if op == "*":
            return self.deref(x, v)
        if op == "&":
            if v.addr is None:
                raise ExprError(f"cannot take the address of {self.src(x)}")
            return Value(_pointer_to(v.type), v.addr, mem=self.mem)
        if op == "!":
            return Value(BOOL, not self.condition(x, v))
        n, t = self.number_of(x, v), _arith_type(v.type)
        if op == "-":
            return Value(t, _wrap(t, -n))
        if op == "^":
            return Value(t, _wrap(t, ~n))
        return Value(t, n)  # unary +

    def binary(self, node: Node, op: str, a: Value, b: Value) -> Value:
        left, right = node.args
        if op in ("==", "!="):
            if not (a.kind == "bool" or a.type.is_int) or not (b.kind == "bool" or b.type.is_int):
                odd = left if not (a.kind == "bool" or a.type.is_int) else right
                raise ExprError(f"cannot compare {self.src(odd)} ({(a if odd is left else b).type.name})")
            return Value(BOOL, (a.value == b.value) == (op == "=="))
        x, y = self.number_of(left, a), self.number_of(right, b)
        if op in _COMPARE:
            return Value(BOOL, _COMPARE[op](x, y))
        # Go: a typed operand gives its type to an untyped one; two typed ones must agree (we take
        # the left one's); a shift has the type of its left operand.
        t = _arith_type(a.type if a.kind != "int" or op in ("<<", ">>") else b.type)
        if op in ("<<", ">>"):
            if y < 0:
                raise ExprError(f"negative shift count {self.src(right)}")
            if y > 1024 and op == "<<":
                raise ExprError(f"shift count {y} too large")
            return Value(t, _wrap(t, x << y if op == "<<" else x >> y))
        if op in ("/", "%"):
            if y == 0:
                raise ExprError("integer divide by zero")
            q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)  # Go truncates toward zero
            return Value(t, _wrap(t, q if op == "/" else x - q * y))
        return Value(t, _wrap(t, _ARITH[op](x, y)))


_COMPARE = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}
_ARITH = {
    "*": int.__mul__, "+": int.__add__, "-": int.__sub__, "&": int.__and__, "|": int.__or__,
    "^": int.__xor__, "&^": lambda x, y: x & ~y,
}  # fmt: skip


def _arith_type(t: Type) -> Type:
    """The type of arithmetic on t: pointers become uintptr (Go has no pointer arithmetic; a
    debugger computing addresses wants it), nil an untyped 0."""
    if t.kind == "ptr":
        return UINTPTR
    if t.kind == "nil":
        return UNTYPED
    return Type(t.kind, t.gotype, t.size)  # drop what a guintptr points to: g.schedlink+8 is a number


# ---- Formatting ------------------------------------------------------------------------------


def _format_scalar(t: Type, value: int | bool) -> str:
    """A scalar inside a struct or an array, or at the top level when it is not a pointer to follow."""
    if t.kind == "bool":
        return "true" if value else "false"
    if t.kind == "nil":
        return "nil"
    if t.kind == "ptr":
        if t.gotype == "unsafe.Pointer":
            return f"unsafe.Pointer({value:#x})"
        if t.gotype.startswith("*"):
            return f"({t.name})({value:#x})" if value else f"({t.name})(nil)"
        return f"{value:#x}"  # func values and the like: their address
    if t.kind == "uintptr":
        return f"{value:#x}"
    if t.gotype == "waitReason":
        return f"{_WAIT_REASONS[int(value)]} ({value})" if value in _WAIT_REASONS else str(value)
    return str(value)


def _format(v: Value) -> str:
    t = v.type
    if t.struct:
        fields = ", ".join(
            f"{f.name}: {_format(_decode(_field_type(f), v.raw[f.offset : f.end], None, None))}"
            for f in STRUCTS[t.struct]
        )
        return f"{t.name} {{{fields}}}"
    if t.kind == "array" and t.elem is not None:
        size, shown = t.elem.size, min(t.count, _ARRAY_LIMIT)
        items = [_format(_decode(t.elem, v.raw[i * size : (i + 1) * size], None, None)) for i in range(shown)]
        if t.count > shown:
            items.append(f"...+{t.count - shown} more")
        return f"{t.name} [{', '.join(items)}]"
    if t.kind == "bytes":
        return f"{t.name} {{}}" if t.size == 0 else f"(opaque {t.size} bytes)"
    return _format_scalar(t, v.value)


def format_value(v: Value) -> str:
    """What `print` shows. A non-nil pointer to a laid-out struct is shown dereferenced with a `*`,
    as Delve does (`*runtime.g {...}`); inside a struct, pointers are shown, not followed."""
    t = v.type
    if t.kind == "ptr" and t.elem is not None and t.elem.struct and v.value and v.mem is not None:
        return "*" + _format(_load(v.mem, t.elem, int(v.value)))
    return _format(v)


def evaluate(text: str, ctx: ExprContext) -> Value:
    """The value of an expression in the context of a stopped process."""
    ev = _Evaluator(text, ctx)
    return _guarded(lambda: ev.eval(parse(text)))


def print_expr(text: str, ctx: ExprContext) -> str:
    """`print EXPR`."""
    return format_value(evaluate(text, ctx))


def truthy(text: str, ctx: ExprContext) -> bool:
    """A breakpoint condition: true for a true bool or a number (pointer) that is not zero."""
    ev = _Evaluator(text, ctx)
    node = parse(text)
    return _guarded(lambda: ev.condition(node, ev.eval(node)))
