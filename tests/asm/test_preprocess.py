"""The preprocessor: includes, macros, conditionals, and positions that stay right."""

from pathlib import Path

import pytest

from asm.errors import AsmError
from asm.lexer import T
from asm.preprocess import Preprocessor, read_source


def lines(text: str, path: str = "t.s", **kw) -> list[tuple[str, int, str]]:
    """(file, line, statement text) for every non-empty line of the expansion."""
    pp = Preprocessor(**kw)
    toks = pp.run(path, text)
    pp.errors.check()
    out, cur = [], []
    for t in toks:
        if t.kind in (T.NEWLINE, T.EOF):
            if cur:
                out.append((cur[0].pos.file, cur[0].pos.line, " ".join(x.text for x in cur)))
            cur = []
        else:
            cur.append(t)
    return out


def errors_of(text: str, path: str = "t.s", **kw) -> list[str]:
    pp = Preprocessor(**kw)
    try:
        pp.run(path, text)
        pp.errors.check()
    except AsmError as e:
        return [str(d) for d in e.diagnostics]
    return []


def test_object_macro_and_argument_macro():
    src = "#define N 4\n#define ADD(a, b) ADDQ a, b\nADD($N, AX)\n"
    assert lines(src) == [("t.s", 3, "ADDQ $ 4 , AX")]


def test_space_before_paren_makes_object_macro():
    # As in C: `#define A (x)` has no parameters; its body is `(x)`.
    assert lines("#define A (x)\nMOVQ A, AX\n") == [("t.s", 2, "MOVQ ( x ) , AX")]


def test_continuation_and_semicolons_keep_invocation_line():
    src = "#define TWO MOVQ AX, BX; \\\n\tMOVQ BX, CX\n\nTWO\nRET\n"
    assert lines(src) == [("t.s", 4, "MOVQ AX , BX ;"), ("t.s", 4, "MOVQ BX , CX"), ("t.s", 5, "RET")]


def test_nested_macros_are_rescanned():
    src = "#define A B\n#define B 7\nMOVQ $A, AX\n"
    assert lines(src) == [("t.s", 3, "MOVQ $ 7 , AX")]


def test_argument_macro_without_arguments_is_its_name():
    assert lines("#define F(x) x\nMOVQ F, AX\n") == [("t.s", 2, "MOVQ F , AX")]


def test_ifdef_else_endif_and_undef():
    src = "#define X\n#ifdef X\nA\n#else\nB\n#endif\n#undef X\n#ifndef X\nC\n#endif\n"
    assert [t for _, _, t in lines(src)] == ["A", "C"]


def test_nested_disabled_conditionals():
    src = "#ifdef NO\n#ifdef ALSO\nA\n#else\nB\n#endif\n#else\nC\n#endif\n"
    assert [t for _, _, t in lines(src)] == ["C"]


def test_command_line_defines():
    assert lines("MOVQ $V, AX\n#ifdef FLAG\nYES\n#endif\n", defines={"V": "3", "FLAG": "1"}) == [
        ("t.s", 1, "MOVQ $ 3 , AX"),
        ("t.s", 3, "YES"),
    ]


def test_include_search_and_positions(tmp_path: Path):
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "defs.h").write_text("// comment\n#define K 9\nFROMHEADER\n")
    main = tmp_path / "m.s"
    src = '#include "defs.h"\nMOVQ $K, AX\n'
    got = lines(src, str(main), include_dirs=[str(inc)])
    assert got == [(str(inc / "defs.h"), 3, "FROMHEADER"), (str(main), 2, "MOVQ $ 9 , AX")]


def test_builtin_header_and_relative_include(tmp_path: Path):
    (tmp_path / "local.h").write_text("LOCAL\n")
    src = '#include "local.h"\n#include "textflag.h"\nX $NOSPLIT\n'
    got = lines(src, str(tmp_path / "a.s"), builtin_headers={"textflag.h": "#define NOSPLIT 4\n"})
    assert [t for _, _, t in got] == ["LOCAL", "X $ 4"]


def test_block_comment_newlines_are_counted():
    assert lines("/* a\nb\n*/ MOVQ AX, BX\nRET\n") == [("t.s", 3, "MOVQ AX , BX"), ("t.s", 4, "RET")]


def test_line_directive():
    assert lines('A\n#line 100 "orig.go"\nB\nC\n') == [
        ("t.s", 1, "A"),
        ("orig.go", 100, "B"),
        ("orig.go", 101, "C"),
    ]


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ('#include "nope.h"\n', "t.s:1:10: #include: open nope.h: no such file or directory"),
        ("#define R R\nR\n", "t.s:2:1: recursive macro invocation: R"),
        ("#define F(a) a\nF(1, 2)\n", "t.s:2:1: wrong arg count for macro F"),
        ("#define A 1\n#define A 2\n", "t.s:2:9: redefinition of macro: A"),
        ("#else\n", "t.s:1:2: unmatched #else"),
        ("#endif\n", "t.s:1:2: unmatched #endif"),
        ("#ifdef X\nA\n", "t.s:1:2: unclosed #ifdef or #ifndef"),
        ("#undef Q\n", "t.s:1:2: #undef for undefined macro: Q"),
        ("#pragma x\n", "t.s:1:2: unexpected token after '#': pragma"),
        ("MOVQ # AX\n", "t.s:1:6: '#' must be first item on line"),
        ("#define F(a, a) a\n", "t.s:1:14: duplicate argument a in definition for macro: F"),
        ("F(\n#define F(x) x\nF(1\n", "t.s:3:1: unterminated arg list invoking macro: F"),
    ],
)
def test_errors(src: str, message: str):
    assert message in errors_of(src)


def test_self_include_is_input_recursion(tmp_path: Path):
    """A file that includes itself is stopped where cmd/asm stops it: past 100 open inputs."""
    f = tmp_path / "self.s"
    f.write_text('#include "self.s"\n')
    assert errors_of(f.read_text(), str(f)) == [f"{f}:1:10: input recursion"]


def test_includes_nested_past_100_are_input_recursion(tmp_path: Path):
    for i in range(120):
        (tmp_path / f"h{i}.h").write_text(f'#include "h{i + 1}.h"\n')
    (tmp_path / "h120.h").write_text("")
    assert errors_of('#include "h0.h"\n', str(tmp_path / "t.s")) == [f"{tmp_path / 'h99.h'}:1:10: input recursion"]


def test_include_names_are_utf8_and_failures_are_go_errors(tmp_path: Path):
    """The name is the literal's bytes (UTF-8 names work); a file that cannot be read is named as Go
    names it: open's error, or read's for a directory; a NUL in the name is an invalid argument."""
    (tmp_path / "é.h").write_text("NOP\n")
    (tmp_path / "dir.h").mkdir()
    t = str(tmp_path / "t.s")
    assert [tok.text for tok in Preprocessor().run(t, '#include "é.h"\n') if tok.kind is T.IDENT] == ["NOP"]
    assert errors_of('#include "dir.h"\n', t) == [f"{t}:1:10: #include: read dir.h: is a directory"]
    assert errors_of('#include "a\\x00b.h"\n', t) == [f"{t}:1:10: #include: open a\x00b.h: invalid argument"]


def test_every_error_is_reported():
    errs = errors_of("#else\n#undef Q\n#endif\n")
    assert [e.split(": ", 1)[1] for e in errs] == [
        "unmatched #else",
        "#undef for undefined macro: Q",
        "unmatched #endif",
    ]


def test_macro_expansion_is_bounded_per_line():
    # Seven levels of tenfold growth would be ten million NOPs: stopped at a million tokens, with
    # the lines before and after untouched (the count starts again at each line of the file).
    src = "#define X(a) a a a a a a a a a a\nNOP\n\tX(X(X(X(X(X(X(NOP)))))))\nX(X(X(NOP)))\n"
    assert errors_of(src) == ["t.s:3:2: macro expansion too large: more than 1000000 tokens for one line"]
    assert [text for _, _, text in lines("#define X(a) a a a a a a a a a a\nX(X(X(X(X(NOP)))))\nX(X(NOP))\n")] == [
        " ".join(["NOP"] * 100_000), " ".join(["NOP"] * 100)]  # fmt: skip


def test_a_huge_literal_is_shown_by_its_start():
    src = "TEXT ·f(SB), $0\n\tMOVQ $" + "1" * 1_000_000 + ", AX\n"
    assert errors_of(src) == [f"t.s:2:8: malformed integer constant {'1' * 61}... (1000000 characters)"]


def test_a_source_that_never_ends_is_too_large():
    """/dev/zero never reaches its end: reading stops past 64 MiB, for a file on the command line
    and for an #include alike."""
    assert errors_of('#include "/dev/zero"\n') == ["t.s:1:10: #include: read /dev/zero: file too large (more than 64 MiB)"]
    with pytest.raises(AsmError) as e:
        read_source("/dev/zero")
    assert str(e.value) == "read /dev/zero: file too large (more than 64 MiB)"
