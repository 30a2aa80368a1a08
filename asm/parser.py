"""The parser, after cmd/asm/internal/asm/parse.go: statements and operands, no x86 knowledge.

What it knows of the architecture comes from an ArchInfo: the register names, which mnemonics are
jumps (their bare-identifier operands are labels), and the canonical name of each instruction.
It produces Progs in source order; labels and n(PC) branches are resolved within each TEXT, as
cmd/asm does (n(PC) counts statements, pseudo-ops included, not bytes).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import AsmError, ErrorList, Pos
from .lexer import T, Token, tokenize
from .prog import Addr, AddrType, Name, Prog
from .textflag import NOSPLIT

ARGS_SIZE_UNKNOWN = -0x80000000  # objabi.ArgsSizeUnknown
PSEUDO_OPS = ("TEXT", "DATA", "GLOBL", "PCDATA", "FUNCDATA", "PCALIGN")
PSEUDO_REGS = ("SB", "FP", "PC")
_MASK = (1 << 64) - 1


@dataclass
class ArchInfo:
    registers: frozenset[str]
    aliases: dict[str, str] = field(default_factory=dict)  # register aliases: g -> R14
    instruction: Callable[[str], str | None] = lambda w: w  # canonical mnemonic, None if unknown
    is_jump: Callable[[str], bool] = lambda w: w.startswith("J") or w == "CALL"


def symbol_name(ident: str, pkg: str) -> str:
    """The linker name of an assembly identifier: `·x` is pkg.x, `a·b` is a.b, `∕` is `/`."""
    if ident.startswith("·"):
        ident = pkg + ident
    return ident.replace("·", ".").replace("∕", "/")


def _s64(v: int) -> int:
    v &= _MASK
    return v - (1 << 64) if v >> 63 else v


MAX_EXPR_DEPTH = 200
_Eval = TypeVar("_Eval", int, float)


def _nested(method: Callable[[_Operand], _Eval]) -> Callable[[_Operand], _Eval]:
    """Count how deep evaluation has gone (a factor inside a factor): past MAX_EXPR_DEPTH, an error
    at the token it stands at, before Python's stack runs out (cmd/asm has no limit of its own)."""

    @functools.wraps(method)
    def nested(self: _Operand) -> _Eval:
        self.depth += 1
        try:
            if self.depth > MAX_EXPR_DEPTH:
                t = self.peek()
                raise AsmError(f"expression nested too deeply (more than {MAX_EXPR_DEPTH} levels)", t.pos if t else self.end)
            return method(self)
        finally:
            self.depth -= 1

    return nested


class _Operand:
    """A cursor over the tokens of one operand, with cmd/asm's expression grammar."""

    def __init__(self, toks: list[Token], end: Pos):
        self.toks = toks
        self.i = 0
        self.end = end
        self.depth = 0  # factors being evaluated, one inside the other

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def peek_op(self, *ops: str) -> bool:
        t = self.peek()
        return t is not None and t.is_op(*ops)

    def next(self) -> Token:
        t = self.peek()
        if t is None:
            raise AsmError("unexpected end of operand", self.end)
        self.i += 1
        return t

    def back(self) -> None:
        self.i -= 1

    def get(self, op: str) -> Token:
        t = self.peek()
        if t is None or not t.is_op(op):
            raise AsmError(f"expected {op}, found {t.text if t else 'end of operand'}", t.pos if t else self.end)
        return self.next()

    def have(self, kind: T) -> bool:
        return any(t.kind is kind for t in self.toks[self.i :])

    def expect_end(self) -> None:
        t = self.peek()
        if t is not None:
            raise AsmError(f"expected end of operand, found {t.text}", t.pos)

    # expr = term { (+ - | ^) term }; term = factor { (* / % << >> &) factor }; uint64 arithmetic.
    def expr(self) -> int:
        v = self.term()
        while True:
            t = self.peek()
            if t is None or not t.is_op("+", "-", "|", "^"):
                return v
            self.next()
            rhs = self.term()
            v = {"+": v + rhs, "-": v - rhs, "|": v | rhs, "^": v ^ rhs}[t.text] & _MASK

    def term(self) -> int:
        v = self.factor()
        while True:
            t = self.peek()
            if t is None or not t.is_op("*", "/", "%", "<<", ">>", "&"):
                return v
            self.next()
            if t.text == "*":
                v = (v * self.factor()) & _MASK
            elif t.text in "/%":
                if v >> 63:
                    what = "divide" if t.text == "/" else "modulo"
                    raise AsmError(f"{what} of value with high bit set", t.pos)
                d = self.factor()
                if d == 0:
                    raise AsmError("division by zero" if t.text == "/" else "modulo by zero", t.pos)
                v = v // d if t.text == "/" else v % d
            elif t.text == "<<":
                shift = self.factor()
                if shift >> 63:
                    raise AsmError("negative left shift count", t.pos)
                return (v << shift) & _MASK if shift < 64 else 0  # cmd/asm returns here
            elif t.text == ">>":
                shift = self.term()
                if shift >> 63:
                    raise AsmError("negative right shift count", t.pos)
                if v >> 63:
                    raise AsmError("right shift of value with high bit set", t.pos)
                v = v >> shift if shift < 64 else 0
            else:
                v &= self.factor()

    @_nested
    def factor(self) -> int:
        t = self.next()
        if t.kind is T.INT:
            if t.value > _MASK:  # type: ignore[operator]
                raise AsmError(f"integer constant {t.text} overflows 64 bits", t.pos)
            return int(t.value)  # type: ignore[arg-type]
        if t.kind is T.CHAR:
            return int(t.value)  # type: ignore[arg-type]
        if t.is_op("+"):
            return self.factor()
        if t.is_op("-"):
            return -self.factor() & _MASK
        if t.is_op("~"):
            return ~self.factor() & _MASK
        if t.is_op("("):
            v = self.expr()
            if not self.peek_op(")"):
                raise AsmError("missing closing paren", self.peek().pos if self.peek() else self.end)
            self.next()
            return v
        raise AsmError(f"unexpected {t} evaluating expression", t.pos)

    @_nested
    def float_expr(self) -> float:
        t = self.next()
        if t.is_op("("):
            v = self.float_expr()
            self.get(")")
            return v
        if t.is_op("+"):
            return self.float_expr()
        if t.is_op("-"):
            return -self.float_expr()
        if t.kind is T.FLOAT:
            return float(t.value)  # type: ignore[arg-type]
        raise AsmError(f"unexpected {t} evaluating float expression", t.pos)


@dataclass
class Statement:
    pos: Pos
    word: str
    operands: list[list[Token]]
    suffix: str
    labels: list[str]
    text: str


class Parser:
    def __init__(self, arch: ArchInfo, pkg: str = "main", errors: ErrorList | None = None):
        self.arch = arch
        self.pkg = pkg
        self.errors = errors if errors is not None else ErrorList()

    # ---- statements ---------------------------------------------------------------------------

    def statements(self, tokens: list[Token]) -> list[Statement]:
        """Split a token stream into statements: labels, a word, comma-separated operands."""
        out: list[Statement] = []
        pending: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            t = tokens[i]
            if t.kind is T.NEWLINE or t.is_op(";"):
                i += 1
                continue
            if t.kind is T.EOF:
                break
            start = i
            while i < n and not (tokens[i].kind in (T.NEWLINE, T.EOF) or tokens[i].is_op(";")):
                i += 1
            line = tokens[start:i]
            try:
                st = self._statement(line, pending)
            except AsmError as e:
                self.errors.extend(e)
                continue
            if st is not None:
                out.append(st)
                pending = []
        if pending:
            # Labels at the end of a function still name a place: give them an empty statement.
            out.append(Statement(tokens[-1].pos, "", [], "", pending, ""))
        return out

    def _statement(self, line: list[Token], pending: list[str]) -> Statement | None:
        while True:
            first = line[0]
            if first.kind is not T.IDENT:
                raise AsmError(f"expected identifier, found {first.text!r}", first.pos)
            if len(line) > 1 and line[1].is_op(":"):
                pending.append(first.text)
                line = line[2:]
                if not line:
                    return None
                continue
            break
        word = first.text
        rest = line[1:]
        suffix = ""
        while len(rest) >= 2 and rest[0].is_op("."):
            if rest[1].kind is not T.IDENT:
                raise AsmError(f"instruction suffix expected identifier, found {rest[1].text}", rest[1].pos)
            suffix += "." + rest[1].text
            rest = rest[2:]
        operands: list[list[Token]] = []
        cur: list[Token] = []
        nesting = 0
        colon = -1
        for t in rest:
            if nesting == 0 and (t.is_op(",") or t.is_op(":")):
                if not cur:
                    raise AsmError("missing operand", t.pos)
                operands.append(cur)
                cur = []
                if t.is_op(":"):
                    if colon >= 0:
                        raise AsmError("invalid ':' in operand", t.pos)
                    colon = len(operands) - 1
                continue
            if t.is_op("(", "["):
                nesting += 1
            elif t.is_op(")", "]"):
                nesting -= 1
            cur.append(t)
        if cur:
            operands.append(cur)
        elif rest:
            raise AsmError("missing operand", rest[-1].pos)
        if colon >= 0 and len(operands) >= colon + 2:
            # The old register-pair syntax AX:DX means DX, AX.
            operands[colon], operands[colon + 1] = operands[colon + 1], operands[colon]
        return Statement(first.pos, word, operands, suffix, list(pending), _render(line))

    # ---- programs -----------------------------------------------------------------------------

    def parse(self, tokens: list[Token]) -> list[Prog]:
        """Parse a whole token stream into Progs, resolving labels per TEXT."""
        progs: list[Prog] = []
        func: list[Prog] = []
        labels: dict[str, Prog] = {}
        label_pos: dict[str, Pos] = {}
        for st in self.statements(tokens):
            try:
                prog = self.prog(st)
            except AsmError as e:
                self.errors.extend(e)
                # Keep the statement's labels defined, so one bad line is one error, not many.
                prog = Prog(st.pos, "NOP", [], st.labels, st.text, inserted=True) if st.labels else None
            if st.word == "TEXT":
                self._patch(func, labels)
                func, labels, label_pos = [], {}, {}
            if prog is None:
                continue
            for lab in st.labels:
                if lab in labels:
                    self.errors.add(st.pos, f"label {lab!r} multiply defined (first at line {label_pos[lab].line})")
                else:
                    labels[lab] = prog
                    label_pos[lab] = st.pos
            progs.append(prog)
            if prog.op not in ("DATA", "GLOBL"):  # cmd/asm does not count these in n(PC)
                func.append(prog)
        self._patch(func, labels)
        return progs

    def _patch(self, func: list[Prog], labels: dict[str, Prog]) -> None:
        """Point every branch of one TEXT at its target Prog (obj's linkpatch)."""
        for i, p in enumerate(func):
            for a in p.args:
                if a.type is not AddrType.BRANCH:
                    continue
                if a.label is not None:
                    target = labels.get(a.label)
                    if target is None:
                        self.errors.add(a.pos or p.pos, f"undefined label {a.label}")
                    p.target = target
                elif a.pc_rel:
                    j = i + a.offset
                    if not 0 <= j < len(func) or func[j].op == "TEXT":
                        self.errors.add(a.pos or p.pos, f"branch {a.offset}(PC) out of range of the function")
                    else:
                        p.target = func[j]

    def prog(self, st: Statement) -> Prog | None:
        word = st.word
        if word == "":
            return Prog(st.pos, "NOP", [], st.labels, "", inserted=True)
        if word in PSEUDO_OPS:
            args = self._pseudo(st)
            return Prog(st.pos, word, args, st.labels, st.text)
        op = self.arch.instruction(word)
        if op is None:
            raise AsmError(f"unrecognized instruction {word!r}", st.pos)
        if st.suffix:
            raise AsmError(f"unsupported instruction suffix {st.suffix} (AVX-512 only)", st.pos)
        jump = self.arch.is_jump(op)
        args = []
        for toks in st.operands:
            a = self.operand(toks, jump=jump)
            if not jump and (a.reg in PSEUDO_REGS or a.index in PSEUDO_REGS):
                raise AsmError(f"illegal use of pseudo-register in {word}", toks[0].pos)
            args.append(a)
        if jump:
            self._jump_target(word, args, st.pos)
        return Prog(st.pos, op, args, st.labels, st.text)

    def _jump_target(self, word: str, args: list[Addr], pos: Pos) -> None:
        if not args:
            raise AsmError(f"wrong number of arguments to {word} instruction", pos)
        if len(args) > 2:
            raise AsmError(f"wrong number of arguments to {word} instruction", pos)
        t = args[-1]
        if t.type is AddrType.MEM and t.name is Name.NONE and t.reg is None and t.index is None and t.sym:
            if t.offset != 0:
                raise AsmError(f"illegal offset on label {t.sym}", t.pos)
            args[-1] = Addr(AddrType.BRANCH, label=t.sym, pos=t.pos)

    # ---- pseudo-ops ---------------------------------------------------------------------------

    def _pseudo(self, st: Statement) -> list[Addr]:
        word, ops = st.word, st.operands
        if word == "TEXT":
            if len(ops) not in (2, 3):
                raise AsmError("expect two or three operands for TEXT", st.pos)
            name = self._symbol(word, ops[0], offset_ok=False)
            flags = self._integer(word, ops[1]) if len(ops) == 3 else 0
            if name.abi == "ABIInternal" and not flags & NOSPLIT:
                raise AsmError(f'TEXT "{name.sym}": ABIInternal requires NOSPLIT', st.pos)
            return [name, Addr(AddrType.CONST, offset=flags), self._textsize(name, ops[-1], st.pos)]
        if word == "GLOBL":
            if len(ops) not in (2, 3):
                raise AsmError("expect two or three operands for GLOBL", st.pos)
            name = self._symbol(word, ops[0], offset_ok=False)
            flags = self._integer(word, ops[1]) if len(ops) == 3 else 0
            size = self._immediate(word, ops[-1])
            if size.offset < 0:
                raise AsmError(f"GLOBL {name.sym}: size must be non-negative", size.pos)
            return [name, Addr(AddrType.CONST, offset=flags), size]
        if word == "DATA":
            if len(ops) != 2:
                raise AsmError("expect two operands for DATA", st.pos)
            op = ops[0]
            if len(op) < 3 or not op[-2].is_op("/") or op[-1].kind is not T.INT:
                raise AsmError("expect /size for DATA argument", op[0].pos)
            name = self._symbol(word, op[:-2], offset_ok=True)
            name.width = int(op[-1].value)  # type: ignore[arg-type]
            value = self.operand(ops[1])
            if value.type not in (AddrType.CONST, AddrType.FCONST, AddrType.SCONST, AddrType.ADDR):
                raise AsmError("DATA value must be an immediate constant or address", ops[1][0].pos)
            return [name, value]
        if word in ("PCDATA", "FUNCDATA"):
            if len(ops) != 2:
                raise AsmError(f"expect two operands for {word}", st.pos)
            key = self._immediate(word, ops[0])
            if word == "PCDATA":
                return [key, self._immediate(word, ops[1])]
            return [key, self._symbol(word, ops[1], offset_ok=True)]
        # PCALIGN $n
        if len(ops) != 1:
            raise AsmError("expect one operand for PCALIGN", st.pos)
        a = self._immediate(word, ops[0])
        if a.offset not in (8, 16, 32, 64):
            raise AsmError(f"unexpected alignment {a.offset} for PCALIGN; must be 8, 16, 32 or 64", a.pos)
        return [a]

    def _symbol(self, pseudo: str, toks: list[Token], offset_ok: bool) -> Addr:
        a = self.operand(toks)
        if a.sym is None or a.name not in (Name.EXTERN, Name.STATIC) or a.reg is not None or a.index is not None:
            raise AsmError(f"{pseudo} symbol {_render(toks)!r} must be a symbol(SB)", toks[0].pos)
        if a.type is not AddrType.MEM:
            raise AsmError(f"{pseudo} symbol {_render(toks)!r} must be a symbol(SB)", toks[0].pos)
        if not offset_ok and a.offset != 0:
            raise AsmError(f"{pseudo} symbol {a.sym!r} must not be offset from SB", toks[0].pos)
        return a

    def _immediate(self, pseudo: str, toks: list[Token]) -> Addr:
        a = self.operand(toks)
        if a.type is not AddrType.CONST:
            raise AsmError(f"{pseudo}: expected immediate constant; found {_render(toks)}", toks[0].pos)
        return a

    def _integer(self, pseudo: str, toks: list[Token]) -> int:
        a = self.operand(toks)
        if a.type is not AddrType.MEM or a.reg or a.index or a.sym or a.name is not Name.NONE:
            raise AsmError(f"{pseudo}: expected integer constant; found {_render(toks)}", toks[0].pos)
        return a.offset

    def _textsize(self, name: Addr, toks: list[Token], pos: Pos) -> Addr:
        # $frame-args is two numbers, not a subtraction; only the frame may be negative.
        where = toks[0].pos if toks else pos
        if len(toks) < 2 or not toks[0].is_op("$"):
            raise AsmError(f"TEXT {name.sym}: frame size must be an immediate constant", where)
        rest = toks[1:]
        negative = rest[0].is_op("-")
        if negative:
            rest = rest[1:]
        if not rest or rest[0].kind is not T.INT:
            raise AsmError(f"TEXT {name.sym}: frame size must be an immediate constant", where)
        frame = int(rest[0].value)  # type: ignore[arg-type]
        frame = -frame if negative else frame
        rest = rest[1:]
        args = ARGS_SIZE_UNKNOWN
        if rest:
            if len(rest) != 2 or not rest[0].is_op("-") or rest[1].kind is not T.INT:
                raise AsmError(f"TEXT {name.sym}: argument size must be of form -integer", rest[0].pos)
            args = int(rest[1].value)  # type: ignore[arg-type]
        if not -(1 << 31) <= frame < (1 << 31) or args >= (1 << 31):
            raise AsmError(f"TEXT {name.sym}: frame or argument size out of range", where)
        return Addr(AddrType.TEXTSIZE, offset=frame, value=args, pos=where)

    # ---- operands -----------------------------------------------------------------------------

    def is_register(self, name: str) -> bool:
        return name in self.arch.registers or name in self.arch.aliases or name in PSEUDO_REGS

    def _reg(self, name: str) -> str:
        return self.arch.aliases.get(name, name)

    def operand(self, toks: list[Token], jump: bool = False) -> Addr:
        """Parse one operand: $sym±off(SB)(reg)(index*scale) with every piece optional."""
        end = toks[-1].pos
        p = _Operand(toks, end)
        a = Addr(pos=toks[0].pos)
        prefix = ""
        if p.peek_op("$", "*"):
            prefix = p.next().text
        tok = p.next()
        if tok.kind is T.IDENT and not self.is_register(tok.text):
            self._symbol_reference(p, a, tok, prefix, jump)
            if p.peek() is not None:
                self._register_indirect(p, a, prefix)  # sym(SB)(index*scale)
                p.expect_end()
            return a
        if tok.kind is T.IDENT and self.is_register(tok.text):
            if prefix == "$":
                raise AsmError(f"prefix $ not allowed for register: ${tok.text}", tok.pos)
            if p.peek_op("*"):
                raise AsmError("expected simple register reference", tok.pos)
            a.type = AddrType.REG
            a.reg = self._reg(tok.text)
            if a.reg in PSEUDO_REGS:
                raise AsmError(f"cannot use pseudo-register {a.reg} as a register", tok.pos)
            p.expect_end()
            return a
        have_constant = False
        if tok.kind in (T.INT, T.FLOAT, T.STRING, T.CHAR) or tok.is_op("+", "-", "~"):
            have_constant = True
        elif tok.is_op("("):
            nxt = p.peek()
            if nxt is None:
                raise AsmError("missing right parenthesis", tok.pos)
            have_constant = not (nxt.kind is T.IDENT and self.is_register(nxt.text))
        if have_constant:
            p.back()
            if p.have(T.FLOAT):
                if prefix != "$":
                    raise AsmError("floating-point constant must be an immediate", tok.pos)
                a.type = AddrType.FCONST
                a.value = p.float_expr()
                p.expect_end()
                return a
            if p.have(T.STRING):
                if prefix != "$":
                    raise AsmError("string constant must be an immediate", tok.pos)
                s = p.next()
                if s.kind is not T.STRING:
                    raise AsmError(f"unexpected {s.text} before string constant", s.pos)
                a.type = AddrType.SCONST
                a.value = str(s.value).encode("latin-1")
                p.expect_end()
                return a
            a.offset = _s64(p.expr())
            if not p.peek_op("("):
                if prefix == "$":
                    a.type = AddrType.CONST
                elif prefix == "*":
                    raise AsmError("indirect (*) operands are not supported on amd64", tok.pos)
                else:
                    a.type = AddrType.MEM
                p.expect_end()
                return a
        elif not tok.is_op("("):
            raise AsmError(f"unexpected {tok.text!r} in operand", tok.pos)
        else:
            p.back()
        self._register_indirect(p, a, prefix)
        p.expect_end()
        return a

    def _symbol_reference(self, p: _Operand, a: Addr, tok: Token, prefix: str, jump: bool) -> None:
        if prefix == "*":
            raise AsmError("indirect (*) operands are not supported on amd64", tok.pos)
        a.type = AddrType.ADDR if prefix == "$" else AddrType.MEM
        static = False
        if p.peek_op("<"):
            p.next()
            if p.peek_op(">"):
                p.next()
                static = True
            else:
                t = p.next()
                if t.kind is not T.IDENT or t.text not in ("ABI0", "ABIInternal") or not p.peek_op(">"):
                    raise AsmError(f"malformed symbol attribute on {tok.text}", t.pos)
                p.next()
                a.abi = t.text
        if p.peek_op("+", "-"):
            a.offset = _s64(p.expr())
        a.sym = tok.text
        if p.peek() is None:
            if prefix == "" and jump:
                return  # a bare identifier in a jump is a label
            raise AsmError(f"illegal or missing addressing mode for symbol {tok.text}", tok.pos)
        p.get("(")
        reg = p.next()
        if reg.kind is not T.IDENT:
            raise AsmError(f"expected pseudo-register; found {reg.text}", reg.pos)
        p.get(")")
        self._pseudo_register(a, reg, static, prefix)

    def _pseudo_register(self, a: Addr, reg: Token, static: bool, prefix: str) -> None:
        r = reg.text
        if r == "FP":
            a.name = Name.PARAM
        elif r == "PC":
            if prefix:
                raise AsmError("illegal addressing mode for PC", reg.pos)
            a.type = AddrType.BRANCH
            a.pc_rel = True
        elif r == "SB":
            a.name = Name.STATIC if static else Name.EXTERN
            if a.sym is not None:
                a.sym = symbol_name(a.sym, self.pkg) + ("<>" if static else "")
        elif r == "SP":
            a.name = Name.AUTO
        else:
            raise AsmError(f"expected pseudo-register; found {r}", reg.pos)
        if prefix == "$":
            a.type = AddrType.ADDR

    def _register_indirect(self, p: _Operand, a: Addr, prefix: str) -> None:
        p.get("(")
        tok = p.next()
        if tok.kind is not T.IDENT or not self.is_register(tok.text):
            raise AsmError(f"indirect through non-register {tok.text}", tok.pos)
        r1 = self._reg(tok.text)
        scale = self._scale(p)
        p.get(")")
        a.type = AddrType.MEM
        if r1 in PSEUDO_REGS:
            if r1 != "PC" and a.name is Name.NONE:
                raise AsmError(f"cannot reference {r1} without a symbol", tok.pos)
            self._pseudo_register(a, tok, False, prefix)
            return
        a.reg = r1
        if prefix == "$":
            a.type = AddrType.ADDR
        if scale == 0 and p.peek_op("("):
            p.next()
            t2 = p.next()
            if t2.kind is not T.IDENT or not self.is_register(t2.text) or t2.text in PSEUDO_REGS:
                raise AsmError(f"indirect through non-register {t2.text}", t2.pos)
            a.index = self._reg(t2.text)
            a.scale = self._scale(p) or 1
            p.get(")")
        elif scale != 0:
            a.reg = None
            a.index = r1
            a.scale = scale

    def _scale(self, p: _Operand) -> int:
        if not p.peek_op("*"):
            return 0
        p.next()
        t = p.next()
        if t.text not in ("1", "2", "4", "8"):
            raise AsmError(f"bad scale: {t.text}", t.pos)
        return int(t.text)


_TIGHT = ("+", "-", "*", "<", ">", "/", "<<", ">>", "|", "&", "^", "~", "%")  # operators written unspaced


def _render(toks: list[Token]) -> str:
    """Statement text from tokens, spaced the way people write Plan 9 assembly."""
    out: list[str] = []
    prev: Token | None = None
    for t in toks:
        if prev is not None:
            if t.is_op(",") or t.is_op(")") or prev.is_op("(", "$", "*") or t.is_op("("):
                pass
            elif prev.kind is T.IDENT and out and len(out) == 1:
                out.append(" ")
            elif prev.is_op(","):
                out.append(" ")
            elif t.is_op(*_TIGHT) or prev.is_op(*_TIGHT):
                pass
            else:
                out.append(" ")
        out.append(t.text)
        prev = t
    return "".join(out)


def float_bits(value: float, width: int) -> bytes:
    """Little-endian IEEE bytes of a DATA float constant."""
    return struct.pack("<f" if width == 4 else "<d", value)


def parse_statement(text: str, pos: Pos, arch: ArchInfo | None = None, pkg: str = "main") -> Prog:
    """Parse one statement (no labels resolution across statements); raises AsmError."""
    if arch is None:
        from .amd64.arch import ARCH

        arch = ARCH
    toks = tokenize(text, pos.file, pos.line)
    parser = Parser(arch, pkg)
    sts = parser.statements(toks)
    parser.errors.check()
    if len(sts) != 1:
        raise AsmError(f"expected one statement, found {len(sts)}", pos)
    prog = parser.prog(sts[0])
    parser.errors.check()
    if prog is None:
        raise AsmError("empty statement", pos)
    return prog
