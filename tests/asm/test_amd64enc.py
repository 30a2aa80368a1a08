"""Go 1.19's own encodings are ours, byte for byte and relocation for relocation.

tests/vectors/amd64enc.json holds what the real `go tool asm` emitted for every non-VEX/EVEX
statement of Go's encoder test corpus (amd64enc.s, amd64enc_extra.s), the BMI instructions,
hand-written extras (relocations, TLS, immediates, x87, ...) and random statements for every form
of the table (gen_amd64enc.py makes it; Go is not needed here). Each statement goes the way the
assembler takes it: parse_statement, obj6's progedit (and span's ADJSP), translate.to_intel,
then encode.encode, all the vectors in one batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import capstone
import keystone

from asm.amd64 import encode, obj6, span, translate
from asm.errors import AsmError, Pos
from asm.parser import parse_statement
from asm.prog import AddrType, Prog

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "amd64enc.json"

# Statements Go accepts and goemu rejects on purpose: operands that are not valid x86 but that
# Go's operand classes let through, each laid down as some other instruction.
DEVIATIONS = {
    "NEGQ CL": "yscond (Ymb) for NEG/NOT/W/L/Q: a byte register as a full one (asm6.go: 'yscond is wrong here')",
    "NOTW SIB": "yscond (Ymb) for NEG/NOT/W/L/Q: a byte register as a full one",
    "CVTPL2PS CX, X3": "Go's Ymm class lets a general register stand for an MMX register",
    "PADDB SP, M2": "Go's Ymm class lets a general register stand for an MMX register",
    "PEXTRD $1, X1, M2": "Go's Ymm class lets an MMX register stand for a general register",
    "INVLPG AX": "a register where the instruction takes memory only (#UD)",
    "XRSTOR CX": "a register where the instruction takes memory only (0F AE E9 is an LFENCE)",
    "MOVNTPD X0, R9": "a register where the instruction takes memory only (#UD)",
    "INVPCID R13, CX": "a register where the instruction takes memory only (#UD)",
    "CMPXCHG8B SIB": "a byte register where the instruction takes memory only (#UD)",
    "CALL $-1": "Zcallcon: a call to a symbol-less R_PCREL, which no linker can resolve",
    "JMP $200": "Zjmpcon: a jump to a symbol-less R_PCREL, which no linker can resolve",
    "CALL CX, $1": "the retpoline form of ycall, with a stray second operand",
    "NOP (FS)": "doasm emits the segment prefix (64) of a NOP's operand; NOP is empty in goemu",
    "CALL (AX*8)": "Go's parser drops this statement silently; goemu encodes the indirect call",
}


@dataclass
class Outcome:
    code: bytes | None = None
    relocs: list | None = None
    error: str | None = None


def load_vectors() -> list[dict]:
    return json.loads(VECTORS.read_text())


def prepare(src: str, line: int) -> Prog:
    """The statement as the assembler hands it to translate."""
    p = parse_statement(src, Pos("amd64enc.s", line))
    obj6.progedit(p, {})
    if p.op == "ADJSP":
        span.adjsp(p)
    return p


def _is_branch(p: Prog) -> bool:
    return bool(p.args) and p.args[-1].type is AddrType.BRANCH


def _reloc_list(enc: encode.Encoded) -> list:
    return [[r.offset, r.size, r.kind.value, r.symbol or "", r.addend] for r in enc.relocs]


def _go_reloc_list(rec: dict) -> list:
    """Go's listing names sym<>(SB) `sym`, ·f `"".f` and the TLS relocation's symbol `TLS`."""
    out = []
    for off, size, kind, sym, add in rec.get("relocs", []):
        sym = "" if sym == "TLS" else sym.replace('"".', "main.")
        out.append([off, size, kind, sym, add])
    return out


@cache
def outcomes() -> dict[str, Outcome]:
    """Every vector through the pipeline; the accepted ones encoded in one batch."""
    results: dict[str, Outcome] = {}
    batch: list[tuple[str, translate.IntelInsn]] = []
    for line, rec in enumerate(load_vectors(), 1):
        src = rec["src"]
        try:
            p = prepare(src, line)
            if _is_branch(p):
                continue  # a branch to a symbol: span.py's, not the instruction encoder's
            batch.append((src, translate.to_intel(p)))
        except AsmError as e:
            results[src] = Outcome(error=e.message)
    try:
        encoded = encode.encode([insn for _, insn in batch])
    except AsmError:  # some failed: encode one by one to tell which
        encoded = []
        for src, insn in batch:
            try:
                encoded.append(encode.encode([insn])[0])
            except AsmError as e:
                results[src] = Outcome(error=e.message)
                encoded.append(None)
    for (src, _), enc in zip(batch, encoded, strict=True):
        if enc is not None:
            results[src] = Outcome(code=enc.code, relocs=[[o, s, k, sym.replace("<>", ""), a]
                                                          for o, s, k, sym, a in _reloc_list(enc)])  # fmt: skip
    return results


def test_vectors_cover_the_corpus():
    recs = load_vectors()
    assert len(recs) > 9000
    assert sum("hex" in r for r in recs) > 8900


def test_every_encoding_is_gos():
    mismatches = []
    count = 0
    for rec in load_vectors():
        if "hex" not in rec or rec["src"] in DEVIATIONS:
            continue
        got = outcomes().get(rec["src"])
        if got is None:
            continue  # a branch
        count += 1
        if got.error is not None:
            mismatches.append(f"{rec['src']}: Go {rec['hex']}, we: {got.error}")
        elif got.code.hex() != rec["hex"] or got.relocs != _go_reloc_list(rec):
            mismatches.append(
                f"{rec['src']}: Go {rec['hex']} {_go_reloc_list(rec)}, we {got.code.hex()} {got.relocs}"
            )
    assert count > 8900
    assert not mismatches, f"{len(mismatches)} of {count} differ:\n" + "\n".join(mismatches[:50])


def test_every_rejection_is_gos():
    accepted = []
    for rec in load_vectors():
        if "error" not in rec:
            continue
        got = outcomes().get(rec["src"])
        if got is not None and got.error is None:
            accepted.append(f"{rec['src']}: Go says {rec['error']!r}, we encode {got.code.hex()}")
    assert not accepted, "\n".join(accepted)


def test_deviations_are_as_documented():
    """The statements Go accepts and we reject are exactly the documented ones."""
    recs = {r["src"]: r for r in load_vectors()}
    for src, reason in DEVIATIONS.items():
        assert src in recs, f"{src} is not a vector"
        got = outcomes().get(src)
        if src == "NOP (FS)":
            assert got is not None and got.code == b"", reason
        elif src == "CALL (AX*8)":
            assert recs[src]["hex"] == "" and got is not None and got.code, reason
        else:
            assert got is not None and got.error is not None, f"{src}: {reason}"


def test_pcrel_addend_counts_a_trailing_immediate():
    """asmins: R_PCREL's addend is relative to the relocation's end, not the instruction's."""
    got = outcomes()["ADDQ $1, sym+8(SB)"]
    assert got.code.hex() == "4883050000000001"
    assert got.relocs == [[3, 4, 14, "sym", 7]]


def test_tls_is_fs_relative_absolute_with_tls_le():
    got = outcomes()["MOVQ 16(TLS), R14"]
    assert got.code.hex() == "644c8b342500000000"
    assert got.relocs == [[5, 4, 15, "", 16]]


def test_errors_name_the_statement_and_its_position():
    p = prepare("ADDQ (AX), (BX)", 7)
    try:
        translate.to_intel(p)
    except AsmError as e:
        assert e.pos.line == 7
        assert e.message.startswith("invalid instruction: ADDQ")
    else:
        raise AssertionError("ADDQ (AX), (BX) was accepted")


def test_encodings_do_not_depend_on_keystones_default_radix(monkeypatch):
    """keystone 0.9.2 sometimes opens an engine reading numbers in radix 16 (its syntax bits are
    not initialised): the encoder writes every number in hex, so such an engine gives the same
    bytes (`sub rsp, 48` would otherwise be `sub rsp, 0x48`)."""
    ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
    ks.syntax = keystone.KS_OPT_SYNTAX_INTEL | keystone.KS_OPT_SYNTAX_RADIX16
    cs = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    cs.detail = True
    normal = outcomes()
    monkeypatch.setattr(encode, "_engines", (ks, cs))
    monkeypatch.setattr(encode, "_CACHE", {})
    radix16 = outcomes.__wrapped__()
    assert radix16 == normal
