"""The preprocessor, after cmd/asm/internal/lex/input.go.

It works on tokens, not text: `#include`, `#define` (with and without arguments, `\\`
continuations), `#undef`, `#ifdef`/`#ifndef`/`#else`/`#endif`, `#line`, and `-D` predefinitions.
Expanded tokens are re-scanned (so macros may use macros) and take the position of the invocation,
so every statement keeps the line number of the source line that produced it.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import AsmError, ErrorList, Pos, file_error
from .lexer import T, Token, tokenize

MAX_NESTING = 100  # cmd/asm's limit on nested macro expansions and includes
MAX_EXPANSION = 1_000_000  # tokens macros may produce for one source line (goemu's: X(X(X(...))) grows
# tenfold per level, and no real line comes near)


@dataclass(slots=True)
class Macro:
    name: str
    params: list[str] | None  # None: object-like macro
    body: list[Token]


@dataclass(slots=True)
class _Reader:
    tokens: list[Token]
    index: int = 0
    file: str | None = None  # set for files (not for macro expansions)
    macro: str | None = None
    at: Pos | None = None  # invocation position given to every token of an expansion


@dataclass(slots=True)
class _Cond:
    active: bool  # this branch's tokens are kept
    parent_active: bool
    seen_else: bool = False
    pos: Pos | None = None


MAX_SOURCE = 64 << 20  # characters of one source file (/dev/zero never ends; 64 MiB of assembly
# would take tens of GB to assemble: see the README's limits)


def read_source(path: str) -> str:
    """A source file's text, bytes that are not UTF-8 kept as surrogates for the lexer to report.
    OSError or ValueError (a NUL in the name) if it cannot be read; AsmError past MAX_SOURCE."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read(MAX_SOURCE + 1)
    if len(text) > MAX_SOURCE:
        raise AsmError(f"read {path}: file too large (more than {MAX_SOURCE >> 20} MiB)", Pos(path, 0))
    return text


@dataclass
class Preprocessor:
    include_dirs: list[str] = field(default_factory=list)
    builtin_headers: dict[str, str] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)
    read_file: Callable[[str], str] | None = None
    errors: ErrorList = field(default_factory=ErrorList)
    files: list[str] = field(default_factory=list)  # every file read, for caching by content

    def __post_init__(self) -> None:
        self.macros: dict[str, Macro] = {}
        for name, value in self.defines.items():
            body = [t for t in tokenize(value, "<command line>") if t.kind not in (T.NEWLINE, T.EOF)]
            self.macros[name] = Macro(name, None, body)
        self.stack: list[_Reader] = []
        self.conds: list[_Cond] = []
        self._last = Token(T.NEWLINE, "\n", Pos("<input>", 0))  # the token read most recently
        self.expanded = 0  # tokens macros produced for the current line (MAX_EXPANSION)

    # ---- input stack -------------------------------------------------------------------------

    def _read(self, path: str) -> str:
        if self.read_file is not None:
            return self.read_file(path)
        return read_source(path)

    def _push_file(self, name: str, text: str, at: Pos | None) -> None:
        if len(self.stack) > MAX_NESTING:
            raise AsmError("input recursion", at)
        self.files.append(name)
        toks = tokenize(text, name, errors=self.errors)
        if toks and toks[-1].kind is T.EOF and (len(toks) < 2 or toks[-2].kind is not T.NEWLINE):
            toks.insert(len(toks) - 1, Token(T.NEWLINE, "\n", toks[-1].pos))
        self.stack.append(_Reader(toks[:-1], file=name))  # drop EOF: the stack end is EOF

    def _push_macro(self, macro: Macro, body: list[Token], at: Pos) -> None:
        depth = sum(1 for r in self.stack if r.macro is not None)
        if depth >= MAX_NESTING or len(self.stack) > 2 * MAX_NESTING:
            raise AsmError(f"recursive macro invocation: {macro.name}", at)
        self.expanded += len(body)
        if self.expanded > MAX_EXPANSION:
            raise AsmError(f"macro expansion too large: more than {MAX_EXPANSION} tokens for one line", at)
        self.stack.append(_Reader(body, macro=macro.name, at=at))

    def _next_raw(self) -> Token | None:
        """The next token of the innermost reader, popping exhausted ones; None at the end."""
        while self.stack:
            r = self.stack[-1]
            if r.index < len(r.tokens):
                tok = r.tokens[r.index]
                r.index += 1
                if r.at is not None:
                    tok = tok._replace(pos=r.at)
                elif tok.kind is T.NEWLINE and r.macro is None:
                    self.expanded = 0  # a line of a file ends: its expansions are done
                self._last = tok
                return tok
            self.stack.pop()
        return None

    def _peek_raw(self) -> Token | None:
        for r in reversed(self.stack):
            if r.index < len(r.tokens):
                tok = r.tokens[r.index]
                return tok._replace(pos=r.at) if r.at is not None else tok
            if r.file is not None:
                return None  # a macro's arguments never continue past the end of a file
        return None

    def _current_file(self) -> str:
        for r in reversed(self.stack):
            if r.file is not None:
                return r.file
        return "<input>"

    # ---- driver ------------------------------------------------------------------------------

    def run(self, path: str, text: str | None = None) -> list[Token]:
        """Preprocess a file; returns the token stream (NEWLINE-separated) ending in EOF.

        Errors are collected in self.errors; the caller decides when to raise.
        """
        if text is None:
            try:
                text = self._read(path)
            except (OSError, ValueError) as e:
                raise AsmError(file_error(path, e), Pos(path, 0)) from None
        self._push_file(path, text, None)
        out: list[Token] = []
        at_line_start = True
        last_pos = Pos(path, 1, 1)
        while True:
            try:
                tok = self._next_raw()
                if tok is None:
                    break
                last_pos = tok.pos
                if tok.is_op("#"):
                    if not at_line_start:
                        raise AsmError("'#' must be first item on line", tok.pos)
                    self._directive(tok)
                    at_line_start = True
                    continue
                if not self._enabled():
                    at_line_start = tok.kind is T.NEWLINE
                    continue
                if tok.kind is T.IDENT and tok.text in self.macros:
                    if self._invoke(self.macros[tok.text], tok):
                        continue
                at_line_start = tok.kind is T.NEWLINE
                out.append(tok)
            except AsmError as e:
                self.errors.extend(e)
                if self._last.kind is not T.NEWLINE:
                    self._skip_line()
                at_line_start = True
                out.append(Token(T.NEWLINE, "\n", e.pos))
        for c in self.conds:
            self.errors.add(c.pos or last_pos, "unclosed #ifdef or #ifndef")
        out.append(Token(T.EOF, "EOF", last_pos))
        return out

    def _enabled(self) -> bool:
        return not self.conds or self.conds[-1].active

    def _skip_line(self) -> None:
        while (tok := self._next_raw()) is not None and tok.kind is not T.NEWLINE:
            pass

    def _expect_newline(self, directive: str) -> None:
        tok = self._next_raw()
        if tok is not None and tok.kind is not T.NEWLINE:
            raise AsmError(f"expected newline after {directive}; got {tok.text!r}", tok.pos)

    # ---- directives --------------------------------------------------------------------------

    def _directive(self, hash_tok: Token) -> None:
        tok = self._next_raw()
        if tok is None or tok.kind is T.NEWLINE:
            return  # a lone '#' is a null directive
        if tok.kind is not T.IDENT:
            raise AsmError(f"expected identifier after '#'; got {tok.text!r}", tok.pos)
        d = tok.text
        # Conditionals are processed even inside disabled regions, to track nesting.
        if d in ("ifdef", "ifndef"):
            name = self._macro_name(d)
            self._expect_newline(f"#{d}")
            parent = self._enabled()
            truth = (name in self.macros) == (d == "ifdef")
            self.conds.append(_Cond(parent and truth, parent, pos=tok.pos))
            return
        if d == "else":
            self._expect_newline("#else")
            if not self.conds or self.conds[-1].seen_else:
                raise AsmError("unmatched #else", tok.pos)
            c = self.conds[-1]
            c.seen_else = True
            c.active = c.parent_active and not c.active
            return
        if d == "endif":
            self._expect_newline("#endif")
            if not self.conds:
                raise AsmError("unmatched #endif", tok.pos)
            self.conds.pop()
            return
        if not self._enabled():
            self._skip_line()
            return
        if d == "define":
            self._define(tok)
        elif d == "undef":
            name = self._macro_name(d)
            if name not in self.macros:
                raise AsmError(f"#undef for undefined macro: {name}", tok.pos)
            self._expect_newline("#undef")
            del self.macros[name]
        elif d == "include":
            self._include(tok)
        elif d == "line":
            self._line(tok)
        else:
            raise AsmError(f"unexpected token after '#': {d}", tok.pos)

    def _macro_name(self, directive: str) -> str:
        tok = self._next_raw()
        if tok is None or tok.kind is not T.IDENT:
            got = tok.text if tok is not None and tok.kind is not T.NEWLINE else "newline"
            raise AsmError(f"expected identifier after #{directive}; got {got!r}", tok.pos if tok else None)
        return tok.text

    def _define(self, d: Token) -> None:
        name_tok = self._next_raw()
        if name_tok is None or name_tok.kind is not T.IDENT:
            raise AsmError("expected identifier after #define", d.pos)
        name = name_tok.text
        tok = self._next_raw()
        params: list[str] | None = None
        # `#define A(x)` takes arguments, `#define A (x)` does not: no space before the '('.
        if (
            tok is not None
            and tok.is_op("(")
            and tok.pos.line == name_tok.pos.line
            and tok.pos.col == name_tok.pos.col + len(name)
        ):
            params = []
            accept = True
            while True:
                tok = self._next_raw()
                if tok is None or tok.kind is T.NEWLINE:
                    raise AsmError(f"bad definition for macro: {name}", d.pos)
                if tok.is_op(")"):
                    tok = self._next_raw()
                    break
                if tok.is_op(","):
                    if accept:
                        raise AsmError(f"bad syntax in definition for macro: {name}", tok.pos)
                    accept = True
                elif tok.kind is T.IDENT:
                    if not accept:
                        raise AsmError(f"bad syntax in definition for macro: {name}", tok.pos)
                    if tok.text in params:
                        raise AsmError(f"duplicate argument {tok.text} in definition for macro: {name}", tok.pos)
                    params.append(tok.text)
                    accept = False
                else:
                    raise AsmError(f"bad definition for macro: {name}", tok.pos)
        body: list[Token] = []
        while tok is not None and tok.kind is not T.NEWLINE:
            if tok.is_op("\\"):
                nxt = self._next_raw()
                if nxt is None or not (nxt.kind is T.NEWLINE or nxt.is_op("\\")):
                    raise AsmError(f"can only escape \\ or \\n in definition for macro: {name}", tok.pos)
                tok = nxt  # an escaped newline stays in the body: it separates the macro's statements
            body.append(tok)
            tok = self._next_raw()
        if tok is None:
            raise AsmError(f"missing newline in definition for macro: {name}", d.pos)
        if name in self.macros:
            raise AsmError(f"redefinition of macro: {name}", name_tok.pos)
        self.macros[name] = Macro(name, params, body)

    def _include(self, d: Token) -> None:
        tok = self._next_raw()
        if tok is None or tok.kind is not T.STRING:
            got = "newline" if tok is None or tok.kind is T.NEWLINE else tok.text
            raise AsmError(f"expected string after #include; got {got!r}", d.pos)
        name = str(tok.value).encode("latin-1").decode("utf-8", "surrogateescape")  # the literal's bytes
        self._expect_newline("#include")
        base = os.path.dirname(self._current_file())
        candidates = [name] if os.path.isabs(name) else [os.path.join(base, name)]
        candidates += [os.path.join(dir_, name) for dir_ in self.include_dirs]
        failed: OSError | ValueError | None = None
        for path in candidates:
            try:
                text = self._read(path)
            except FileNotFoundError:
                continue
            except AsmError as e:  # read, but too large
                raise AsmError(f"#include: {e.message}", tok.pos) from None
            except (OSError, ValueError) as e:  # there, but not a file it can read
                failed = failed or e
                continue
            self._push_file(os.path.normpath(path), text, tok.pos)
            return
        if name in self.builtin_headers:
            self._push_file(name, self.builtin_headers[name], tok.pos)
            return
        raise AsmError(f"#include: {file_error(name, failed or FileNotFoundError(errno.ENOENT, ''))}", tok.pos)

    def _line(self, d: Token) -> None:
        num = self._next_raw()
        if num is None or num.kind is not T.INT:
            raise AsmError("expected line number after #line", d.pos)
        fname = self._next_raw()
        if fname is None or fname.kind is not T.STRING:
            raise AsmError("expected file name in #line", d.pos)
        self._expect_newline("#line")
        # Re-position the rest of the current file: `#line N "f"` means the next line is N of f.
        r = next(r for r in reversed(self.stack) if r.file is not None)
        if r.index < len(r.tokens):
            delta = int(num.value) - r.tokens[r.index].pos.line  # type: ignore[arg-type]
            r.tokens[r.index :] = [
                t._replace(pos=Pos(str(fname.value), t.pos.line + delta, t.pos.col)) for t in r.tokens[r.index :]
            ]

    # ---- macro invocation --------------------------------------------------------------------

    def _invoke(self, macro: Macro, name_tok: Token) -> bool:
        """Expand a macro onto the input stack; False if the name stands for itself."""
        if macro.params is None:
            self._push_macro(macro, macro.body, name_tok.pos)
            return True
        nxt = self._peek_raw()
        if nxt is None or not nxt.is_op("("):
            return False  # an argument macro named without arguments stands for its name
        self._next_raw()
        actuals = self._collect_args(macro, name_tok)
        body: list[Token] = []
        for t in macro.body:
            if t.kind is T.IDENT and t.text in actuals:
                body.extend(actuals[t.text])
            else:
                body.append(t)
        self._push_macro(macro, body, name_tok.pos)
        return True

    def _collect_args(self, macro: Macro, name_tok: Token) -> dict[str, list[Token]]:
        args: list[list[Token]] = []
        cur: list[Token] = []
        nesting = 0
        while True:
            tok = self._next_raw()
            if tok is None or tok.kind is T.NEWLINE:
                raise AsmError(f"unterminated arg list invoking macro: {macro.name}", name_tok.pos)
            if nesting == 0 and (tok.is_op(")") or tok.is_op(",")):
                args.append(cur)
                cur = []
                if tok.is_op(")"):
                    break
                continue
            if tok.is_op("("):
                nesting += 1
            elif tok.is_op(")"):
                nesting -= 1
            cur.append(tok)
        assert macro.params is not None
        if not macro.params and len(args) == 1 and not args[0]:
            args = []
        if len(args) != len(macro.params):
            raise AsmError(f"wrong arg count for macro {macro.name}", name_tok.pos)
        return dict(zip(macro.params, args, strict=True))
