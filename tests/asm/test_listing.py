"""Byte-for-byte and line-for-line agreement with Go 1.19's `go tool asm -S`.

The golden listings in tests/vectors were produced once by the real Go 1.19 assembler
(tests/vectors/gen_listing.py); they cover the prologue variants of obj6.go: $0 NOSPLIT, a leaf
made NOSPLIT, $24-16, $120, $128, $200, $5000 (the huge-frame JCS form), NOFRAME, NEEDCTXT,
WRAPPER with and without NOSPLIT, PUSH/POP tracking, ADJSP, TLS forms, branches and two RETs;
and the runtime's stubs (gogo, mcall, systemstack, morestack, goexit, asyncPreempt), assembled
with the go_asm.h that runtime/layout.py generates, against Go's with Go's own go_asm.h.
"""

from pathlib import Path

import pytest

from asm.assemble import Options, assemble_source
from asm.listing import listing
from runtime.stubs import STUB_DIR, asm_options

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
CASES = {
    "prologue.lst": (VECTORS / "prologue.s", Options()),
    "hello.lst": (ROOT / "samples" / "hello.s", Options()),
    # The runtime's switch code, with go_asm.h generated from runtime/layout.py.
    "asm_amd64.lst": (STUB_DIR / "asm_amd64.s", asm_options()),
    "preempt_amd64.lst": (STUB_DIR / "preempt_amd64.s", asm_options()),
}


def split(text: str) -> dict[str, list[str]]:
    """Listing lines grouped by symbol header, so a mismatch names its function."""
    groups: dict[str, list[str]] = {}
    cur: list[str] = []
    for line in text.splitlines():
        if not line.startswith("\t"):
            cur = groups.setdefault(line.split()[0], [line])
        else:
            cur.append(line)
    return groups


@pytest.mark.parametrize("golden", sorted(CASES))
def test_listing_matches_go(golden):
    src, options = CASES[golden]
    ours = split(listing(assemble_source(src.read_text(), src.name, options)))
    want = split((VECTORS / golden).read_text())
    assert list(ours) == list(want)
    for name in want:
        assert ours[name] == want[name], name
