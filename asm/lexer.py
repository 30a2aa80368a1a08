"""Tokenizer for Plan 9 assembly, after cmd/asm/internal/lex/tokenizer.go.

Identifiers may contain `·` (U+00B7, the package dot) and `∕` (U+2215, the package slash);
`<<`, `>>`, `->`, `@>` are single tokens; comments are skipped but their newlines counted.
Newlines are tokens: the parser ends a statement at a newline or `;`.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple

from .errors import AsmError, ErrorList, Pos


class T(Enum):
    IDENT = "identifier"
    INT = "integer"
    FLOAT = "float"
    CHAR = "character"
    STRING = "string"
    OP = "operator"
    NEWLINE = "newline"
    EOF = "EOF"


class Token(NamedTuple):
    """A token (a tuple: cheap to make by the hundred thousand)."""

    kind: T
    text: str
    pos: Pos
    value: int | float | str | None = None

    def is_op(self, *ops: str) -> bool:
        return self.kind is T.OP and self.text in ops

    def __str__(self) -> str:
        return "newline" if self.kind is T.NEWLINE else self.text


_IDENT_START = r"[^\W\d]|[·∕]"
_IDENT_CHAR = r"[^\W]|[·∕]"
_TOKEN_RE = re.compile(
    rf"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<ubcomment>/\*)
  | (?P<float>(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*)
  | (?P<ident>(?:{_IDENT_START})(?:{_IDENT_CHAR})*)
  | (?P<char>'(?:\\.[^']*|[^'\\\n])')
  | (?P<badchar>'[^'\n]*'?)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<badstring>"[^\n]*)
  | (?P<rawstring>`[^`]*`)
  | (?P<op><<|>>|->|@>|[-+*/%&|^~!(){{}}\[\],;:$#<>=.\\@?])
    """,
    re.VERBOSE | re.DOTALL,
)

# Bytes that are not UTF-8, as the source reader keeps them (surrogateescape: U+DC80..U+DCFF).
_NOT_UTF8 = re.compile("[\udc80-\udcff]")

_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


def _unescape(body: str, pos: Pos, quote: str) -> bytes:
    """Decode a Go string/char literal body (without quotes) into UTF-8 bytes."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        if i + 1 >= len(body):
            raise AsmError("invalid escape in literal", pos)
        e = body[i + 1]
        if e in _ESCAPES and (e != "'" or quote == "'") and (e != '"' or quote == '"'):
            out.append(_ESCAPES[e])
            i += 2
        elif e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[i + 2 : i + 4]):
            out.append(int(body[i + 2 : i + 4], 16))
            i += 4
        elif e in "01234567" and re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
            v = int(body[i + 1 : i + 4], 8)
            if v > 255:
                raise AsmError("octal escape value > 255", pos)
            out.append(v)
            i += 4
        elif e in "uU":
            n = 4 if e == "u" else 8
            digits = body[i + 2 : i + 2 + n]
            if not re.fullmatch(f"[0-9a-fA-F]{{{n}}}", digits):
                raise AsmError("invalid escape in literal", pos)
            out += chr(int(digits, 16)).encode()
            i += 2 + n
        else:
            raise AsmError(f"invalid escape \\{e} in literal", pos)
    return bytes(out)


def tokenize(text: str, file: str, first_line: int = 1, errors: ErrorList | None = None) -> list[Token]:
    """Split source text into tokens ending with EOF.

    A bad character or literal raises AsmError, or, given an ErrorList, is recorded there and the
    rest of its line skipped, so every bad line of a file is reported.
    """
    tokens: list[Token] = []
    line = first_line
    line_start = 0
    i = 0
    n = len(text)
    match = _TOKEN_RE.match
    while i < n:
        m = match(text, i)
        pos = Pos(file, line, i - line_start + 1)
        try:
            if m is None:
                bad = "invalid UTF-8 encoding" if _NOT_UTF8.match(text[i]) else f"unexpected character {text[i]!r}"
                raise AsmError(bad, pos)
            tok = _token(m.lastgroup or "", m.group(), pos)
        except AsmError as e:
            if errors is None:
                raise
            errors.extend(e)
            while tokens and tokens[-1].kind is not T.NEWLINE:  # the whole line goes: one error, not two
                tokens.pop()
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if tok is not None:
            tokens.append(tok)
        i = m.end()
        nls = m.group().count("\n") if m.lastgroup in ("nl", "bcomment", "rawstring") else 0
        if nls:
            line += nls
            line_start = m.start() + m.group().rindex("\n") + 1
    tokens.append(Token(T.EOF, "EOF", Pos(file, line, i - line_start + 1)))
    return tokens


def _token(kind: str, s: str, pos: Pos) -> Token | None:
    """The token for one match of _TOKEN_RE (None for space and comments)."""
    if kind == "nl":
        return Token(T.NEWLINE, "\n", pos)
    if kind in ("ws", "lcomment", "bcomment"):
        return None  # not UTF-8 in a comment: Go's scanner says so, yet assembles the file
    if _NOT_UTF8.search(s):
        raise AsmError("invalid UTF-8 encoding", pos)
    if kind == "ubcomment":
        raise AsmError("comment not terminated", pos)
    if kind == "ident":
        return Token(T.IDENT, s, pos)
    if kind == "int":
        try:
            return Token(T.INT, s, pos, _parse_int(s))
        except ValueError:
            raise AsmError(f"malformed integer constant {_excerpt(s)}", pos) from None
    if kind == "float":
        return Token(T.FLOAT, s, pos, float(s))
    if kind == "char":
        data = _unescape(s[1:-1], pos, "'")
        chars = data.decode("utf-8", errors="replace")
        if len(chars) != 1:
            raise AsmError(f"malformed character constant {_excerpt(s)}", pos)
        byte_escape = s[1] == "\\" and s[2] in "x01234567"
        return Token(T.CHAR, s, pos, data[0] if byte_escape else ord(chars))
    if kind == "badchar":
        raise AsmError(f"malformed character constant {_excerpt(s)}", pos)
    if kind == "badstring":
        raise AsmError("string literal not terminated", pos)
    if kind == "string":
        return Token(T.STRING, s, pos, _unescape(s[1:-1], pos, '"').decode("latin-1"))
    if kind == "rawstring":
        return Token(T.STRING, s, pos, s[1:-1].encode().decode("latin-1"))
    return Token(T.OP, s, pos)


def _parse_int(s: str) -> int:
    s = s.replace("_", "")
    if len(s) > 1 and s[0] == "0" and s[1] in "xXbBoO":
        return int(s, 0)
    if len(s) > 1 and s[0] == "0":
        return int(s, 8)  # C-style octal, as text/scanner reads it
    return int(s, 10)


def _excerpt(text: str, limit: int = 64) -> str:
    """A token's text for a message: a megabyte-long literal is shown by its start."""
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"
