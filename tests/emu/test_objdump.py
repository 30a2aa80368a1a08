"""emu.objdump against Go 1.19's own `go tool objdump`, byte for byte.

The expected listings, and the bytes, symbols and lines they were made from, come from a real Go
binary built from tests/vectors/objdump.s (tests/vectors/gen_objdump.py, which needs Go; these
tests do not). The Image is built here directly, so these tests do not depend on the assembler.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asm.assemble import Options
from asm.errors import Pos
from asm.imagefile import ImageError, dumps, is_image, load
from asm.link import Image, Section, Symbol
from emu.cli import main
from emu.objdump import cmd, decode, disassemble, objdump, symbol_lookup

VECTORS = Path(__file__).parent.parent / "vectors" / "objdump_go119.json"
GO = json.loads(VECTORS.read_text())
TEXT_TYPES = "Tt"


def _symbol(name: str, addr: int, size: int, nm_type: str) -> Symbol:
    """A symbol as our linker names it: Go lists file-local data (msg<>) without the <>."""
    section = "text" if nm_type in TEXT_TYPES else "data"
    if nm_type.islower() and section != "text":
        name += "<>"
    return Symbol(name, addr, size, section, Pos("objdump.s", 0))


def go_image() -> Image:
    """The Go binary's functions, symbols and lines as an Image."""
    text = bytes.fromhex(GO["text"]["hex"])
    sections = {"text": Section("text", GO["text"]["addr"], bytearray(text), len(text))}
    symbols = {s.name: s for s in (_symbol(*row) for row in GO["symbols"])}
    funcs = sorted((symbols[name] for name, _, _ in GO["funcs"]), key=lambda s: s.addr)
    lines = sorted((addr, file, line) for addr, file, line in GO["lines"])
    return Image(sections, symbols, lines, funcs)


@pytest.mark.parametrize("pattern", list(GO["listings"]))
def test_listing_matches_go_line_by_line(pattern: str) -> None:
    want = GO["listings"][pattern]
    got = objdump(go_image(), pattern)
    assert got.splitlines() == want.splitlines()
    assert got == want


def test_every_function_without_pattern() -> None:
    assert objdump(go_image()) == GO["listings"][r"^main\.[a-z]+\.abi0$"]


def test_pattern_matching_nothing_prints_nothing() -> None:
    assert objdump(go_image(), "no-such-function") == ""


def test_listing_format() -> None:
    """Spot checks of the layout Go's tabwriter gives (cells padded with tabs to common widths)."""
    listing = GO["listings"][r"alu\.abi0"]
    assert listing.startswith("TEXT main.alu.abi0(SB) example.com/objdump/objdump.s\n")
    assert "  objdump.s:18\t\t0x457ce0\t\t00c3\t\t\tADDL AL, BL\t\t\n" in listing
    assert objdump(go_image(), r"alu\.abi0") == listing


def _go_line(code: str) -> tuple[int, str]:
    """(pc, text) of the Go listing's instruction with these bytes."""
    for line in GO["listings"][r"^main\.[a-z]+\.abi0$"].splitlines():
        cells = [c for c in line.split("\t") if c]
        if len(cells) == 4 and cells[2] == code:
            return int(cells[1], 16), cells[3]
    raise KeyError(code)


@pytest.mark.parametrize(
    "code",
    [
        "06",  # invalid in 64-bit mode: ?
        "90",  # NOPL
        "cc",  # INT $0x3
        "f3c3",  # REP; RET
        "00c3",  # ADDL AL, BL
        "dcc1",  # FADD F0, F1
        "0fc2d207",  # CMPPS $0x7, X2, X2
        "f0debc9a78563412",  # LOCK FIDIVR ...: capstone refuses the LOCK
        "c4e230f713",  # NOTL 0(BX): x86asm reads SHLX's VEX prefix and then a legacy opcode
        "f20f8400000000",  # REPNE; JE ...: a BND prefix
        "2e7400",  # PN JE ...
        "64488b0c25f8ffffff",  # MOVQ FS:0xfffffff8, CX
        "488b8500ffffff",  # MOVQ 0xffffff00(BP), AX
        "48a18877665544332211",  # MOVQ 0x1122334455667788, AX
    ],
)
def test_single_instructions(code: str) -> None:
    """Quirks of x86asm's Go syntax, as the Go listing shows them."""
    pc, text = _go_line(code)
    (_, size, got), *_ = disassemble(bytes.fromhex(code), pc, symbol_lookup(go_image()))
    assert (got, size) == (text, len(code) // 2 if text != "?" else 1)


def test_truncated_instruction_is_question_marks() -> None:
    assert [t for _, _, t in disassemble(bytes.fromhex("488b"), 0x401000, lambda _: ("", 0))] == ["?", "?"]
    assert decode(b"\x48", 0x401000) is None


def _unresolved_image() -> Image:
    """A function calling and loading from main.missing, which the link left at address 0."""
    pc = 0x401000
    call = b"\xe8" + (-(pc + 5) & 0xFFFFFFFF).to_bytes(4, "little")  # CALL main.missing(SB)
    load = b"\x48\x8b\x05" + (8 - (pc + 12) & 0xFFFFFFFF).to_bytes(4, "little")  # MOVQ main.missing+8(SB), AX
    code = call + load + b"\xc3"
    f = Symbol("main.f", pc, len(code), "text", Pos("x.s", 3))
    relocs = {pc + 1: ("main.missing", "CALL"), pc + 8: ("main.missing", "PCREL")}
    lines = [(pc, "x.s", 4), (pc + 5, "x.s", 5), (pc + 12, "x.s", 6)]
    text = Section("text", pc, bytearray(code), len(code))
    return Image({"text": text}, {"main.f": f}, lines, [f], relocs, ["main.missing"])


def test_unresolved_symbols_are_named_from_relocations() -> None:
    """Go cannot link these; we print them as it prints a defined symbol's references."""
    assert objdump(_unresolved_image()).splitlines() == [
        "TEXT main.f(SB) x.s",
        "  x.s:4\t\t\t0x401000\t\te8fbefbfff\t\tCALL main.missing(SB)\t\t",
        "  x.s:5\t\t\t0x401005\t\t488b05fcefbfff\t\tMOVQ main.missing+8(SB), AX\t",
        "  x.s:6\t\t\t0x40100c\t\tc3\t\t\tRET\t\t\t\t",
    ]


# ---- image files: `goemu objdump IMAGE` ----------------------------------------------------------


def image_doc() -> dict:
    """_unresolved_image() as `goemu asm -o` writes it, with a rodata and a bss symbol added."""
    doc = json.loads(dumps(_unresolved_image()))
    doc["sections"] += [
        {"name": "rodata", "addr": 0x402000, "size": 4, "data": "6869210a"},
        {"name": "bss", "addr": 0x403000, "size": 16, "data": ""},
    ]
    doc["symbols"] += [
        {"name": "msg<>", "addr": 0x402000, "size": 4, "section": "rodata", "file": "x.s", "line": 1},
        {"name": "main.buf", "addr": 0x403000, "size": 16, "section": "bss", "file": "x.s", "line": 2},
    ]
    return doc


def objdump_cmd(files: list[str], pattern: str | None = None) -> int:
    return cmd(files, pattern, Options())


F_LISTING = objdump(_unresolved_image())


def test_image_file_roundtrip(tmp_path, capsys):
    img = tmp_path / "x.img"
    img.write_text(json.dumps(image_doc(), separators=(",", ":")))
    image = load(str(img))
    assert image.read(0x402000, 4) == b"hi!\n" and image.symbols["main.buf"].section == "bss"
    assert objdump_cmd([str(img)]) == 0
    assert capsys.readouterr() == (F_LISTING, "")


def test_reformatted_image_is_an_image(tmp_path, capsys):
    """`python -m json.tool x.img`: any layout of the JSON is an image, whatever its name."""
    pretty = tmp_path / "pretty.out"
    pretty.write_text(json.dumps(image_doc(), indent=4))
    assert is_image(str(pretty))
    assert objdump_cmd([str(pretty)], "main") == 0
    assert capsys.readouterr() == (F_LISTING, "")


def test_what_is_an_image(tmp_path):
    (tmp_path / "src.s").write_text("TEXT ·f(SB), 4, $0\n\tRET\n")
    (tmp_path / "garbage.img").write_text("garbage\n")
    (tmp_path / "list.txt").write_text('\n  [{"format": "goemu-image/1"}]')
    assert [is_image(str(tmp_path / n)) for n in ("src.s", "garbage.img", "list.txt", "missing.img")] == [
        False,  # assembly source
        True,  # named .img: load says it is not JSON
        True,  # JSON: no assembly source starts with [ or {
        False,  # cannot be read: the assembler says `open ...: no such file or directory`
    ]


def _set(path: str, value: object) -> Callable[[dict], object]:
    """A change to image_doc(): path is dotted, with list indexes (`sections.0.data`)."""

    def change(doc: dict) -> object:
        *parents, last = path.split(".")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            del node[last]
        else:
            node[last] = value
        return doc

    return change


DELETE = object()
TEXT_SPAN = "[0x401000, 0x40100d)"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: [d], "the file is a JSON array, not an object"),
        (_set("format", DELETE), 'no "format": "goemu-image/1"'),
        (_set("format", "goemu-image/2"), 'format is "goemu-image/2", and this goemu reads goemu-image/1'),
        (_set("sections", 5), "sections is 5, not a list"),
        (_set("symbols", DELETE), 'no "symbols" list'),
        (_set("sections.0", "text"), 'sections[0] is "text", not an object'),
        (_set("sections.0.addr", DELETE), 'sections[0] has no "addr"'),
        (_set("sections.0.name", "code"), 'sections[0].name is "code", not one of text, rodata, noptrdata, data, bss, noptrbss'),
        (_set("sections.1.name", "text"), "sections[1] (text): a second text section"),
        (_set("sections.0.addr", -1), "sections[0] (text).addr is -1, out of range (0 to 0xffffffffffffffff)"),
        (_set("sections.0.addr", True), "sections[0] (text).addr is true, not an integer"),
        (_set("sections.0.addr", 2**64 - 4), "sections[0] (text): 13 bytes at 0xfffffffffffffffc end past the 64-bit address space"),
        (_set("sections.0.data", "e8fbefbfff"), "sections[0] (text): 5 bytes of data, but size is 13"),
        (_set("sections.0.data", "zz"), 'sections[0] (text).data is "zz", not bytes in hexadecimal'),
        (_set("sections.0.data", "e8 fb"), 'sections[0] (text).data is "e8 fb", not bytes in hexadecimal'),
        (_set("sections.2.data", "00"), "sections[2] (bss): 1 bytes of data in a bss section"),
        (_set("sections.1.addr", 0x401008), f"sections[1] (rodata): [0x401008, 0x40100c) overlaps section text {TEXT_SPAN}"),
        (_set("symbols.0.name", ""), 'symbols[0].name is "", not a symbol name'),
        (_set("symbols.1.name", "main.f"), "symbols[1] (main.f): a second symbol named main.f"),
        (_set("symbols.0.addr", 0x400000), f"symbols[0] (main.f): [0x400000, 0x40000d) is outside section text {TEXT_SPAN}"),
        (_set("symbols.0.size", 14), f"symbols[0] (main.f): [0x401000, 0x40100e) is outside section text {TEXT_SPAN}"),
        (_set("symbols.2.size", 17), "symbols[2] (main.buf): [0x403000, 0x403011) is outside section bss [0x403000, 0x403010)"),
        (_set("symbols.1.section", "data"), 'symbols[1] (msg<>).section is "data", not a section of the image'),
        (_set("symbols.0.file", None), "symbols[0] (main.f).file is null, not a file name"),
        (_set("symbols.0.line", -3), "symbols[0] (main.f).line is -3, out of range (0 to 0x7fffffff)"),
        (_set("lines.1", [4198405, "x.s"]), 'lines[1] is [4198405, "x.s"], not [address, file, line]'),
        (_set("lines.1", [4198405, 5, 5]), "lines[1][1] is 5, not a file name"),
        (_set("lines.1", [4198405, "x.s", "5"]), 'lines[1][2] is "5", not an integer'),
        (_set("lines.1", [0x402000, "x.s", 5]), f"lines[1]: address 0x402000 is outside section text {TEXT_SPAN}"),
        (_set("relocs.0", [4198401, "main.missing"]), 'relocs[0] is [4198401, "main.missing"], not [address, symbol, kind]'),
        (_set("relocs.0", [4198401, "main.missing", "JUMP"]), 'relocs[0][2] is "JUMP", not one of ADDR, CALL, PCREL, TLS_LE'),
        (_set("relocs.0", [4198401, None, "CALL"]), "relocs[0][1] is null, not a symbol name"),
        (_set("relocs.0", [0x403000, "main.missing", "CALL"]), "relocs[0]: address 0x403000 is not in the bytes of a section"),
        (_set("relocs.1", [4198401, "main.missing", "PCREL"]), "relocs[1]: a second relocation at 0x401001"),
        (_set("unresolved", 5), "unresolved is 5, not a list"),
        (_set("unresolved", [["main.missing"]]), 'unresolved[0] is ["main.missing"], not a symbol name'),
    ],
)  # fmt: skip
def test_invalid_images(tmp_path, capsys, change, problem):
    img = tmp_path / "x.img"
    img.write_text(json.dumps(change(image_doc())))
    message = f"{img}: not a valid goemu image: {problem}"
    with pytest.raises(ImageError) as e:
        load(str(img))
    assert str(e.value) == message
    assert objdump_cmd([str(img)]) == 1
    assert capsys.readouterr() == ("", f"goemu objdump: {message}\n")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"garbage\n", "not JSON (Expecting value: line 1 column 1)"),
        (b"\xff\xfe\x00", "not JSON (not UTF-8 text)"),
        (b'{"format":"goemu-image/1","sections":[{"name":"te', "not JSON (Unterminated string starting at: line 1 column 47)"),
        (b"[" * 100_000, "not JSON (nested too deeply)"),
        (b'{"format":"goemu-image/1","sections":[{"addr":' + b"9" * 5000 + b"}]}", "not JSON (a number too long to read)"),
        (b'{"traceEvents":[]}', 'no "format": "goemu-image/1"'),
        (b'{"format":"elf"}', 'format is "elf", not \'goemu-image/1\''),
    ],
)  # fmt: skip
def test_files_that_are_not_images(tmp_path, capsys, content, problem):
    img = tmp_path / "x.img"
    img.write_bytes(content)
    assert objdump_cmd([str(img)]) == 1
    assert capsys.readouterr() == ("", f"goemu objdump: {img}: not a valid goemu image: {problem}\n")


def test_one_image_only(tmp_path, capsys):
    a, b, src = tmp_path / "a.img", tmp_path / "b.json", tmp_path / "f.s"
    a.write_text(dumps(_unresolved_image()))
    b.write_text(json.dumps(image_doc(), indent=1))
    src.write_text("TEXT ·f(SB), 4, $0\n\tRET\n")
    assert objdump_cmd([str(a), str(b)]) == 2
    assert capsys.readouterr() == ("", f"goemu objdump: {a}, {b}: objdump takes one image (or several .s files)\n")
    assert objdump_cmd([str(src), str(a)]) == 2
    assert capsys.readouterr() == (
        "",
        f"goemu objdump: {a}: an image cannot be combined with other files; objdump takes one image (or several .s files)\n",
    )


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(", "missing ), unterminated subpattern at position 0: `(`"),
        ("*main", "nothing to repeat at position 0: `*main`"),
        ("a{99999999999}", "the repetition number is too large: `a{99999999999}`"),
        ("(" * 5000 + ")" * 5000, "expression nests too deeply: `" + "(" * 5000 + ")" * 5000 + "`"),
    ],
)
def test_invalid_s_regexp(tmp_path, capsys, pattern, problem):
    """Go's `invalid -s regexp: ...`, checked before the file is read (as Go checks it)."""
    img = tmp_path / "x.img"
    img.write_text("not an image")
    assert objdump_cmd([str(img)], pattern) == 1
    assert capsys.readouterr() == ("", f"goemu objdump: invalid -s regexp: error parsing regexp: {problem}\n")


def test_objdump_command_line(tmp_path, capsys):
    """The wiring of `goemu objdump` to emu.objdump.cmd, flags included."""
    img = tmp_path / "x.img"
    img.write_text(dumps(_unresolved_image()))
    assert main(["objdump", "-s", r"^main\.f$", str(img)]) == 0
    assert capsys.readouterr() == (F_LISTING, "")
    assert main(["objdump", "-s", "nothing", str(img)]) == 1
    assert capsys.readouterr() == ("", "goemu objdump: no text symbol matches 'nothing'\n")
    assert main(["objdump", "-s", "[", str(img)]) == 1
    assert capsys.readouterr() == ("", "goemu objdump: invalid -s regexp: error parsing regexp: "
                                       "unterminated character set at position 0: `[`\n")  # fmt: skip
