"""Record Go 1.19's `go tool asm -S` listing of a source file as a golden test vector.

Needs Go 1.19 (Debian's golang-1.19-go); the tests only read the file it writes:
    python tests/vectors/gen_listing.py tests/vectors/prologue.s > tests/vectors/prologue.lst
    python tests/vectors/gen_listing.py -p runtime -I DIR runtime/asm_amd64.s > tests/vectors/asm_amd64.lst
where DIR holds the go_asm.h Go writes for its runtime (`go build -a -work runtime` keeps it in
the work directory). The listing is normalized in two ways that are documented deviations of
goemu: the FUNCDATA lines cmd/asm adds by itself for Go argument maps are dropped (goemu has no
GC metadata), and the package placeholder `""` is written as the package (-p, default main).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

GO = "/usr/lib/go-1.19/bin/go"
# The argument-map references cmd/asm adds to every function (not the ones a source writes).
AUTO_FUNCDATA = re.compile(r"\tFUNCDATA\t\$[05], \S+\.(args_stackmap|arginfo\d+)\(SB\)$")


def listing(path: Path, pkg: str = "main", include: list[str] | None = None) -> str:
    flags = ["-compiling-runtime"] if pkg == "runtime" else []
    for d in include or []:
        flags += ["-I", str(Path(d).resolve())]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [GO, "tool", "asm", *flags, "-p", pkg, "-I", "/usr/share/go-1.19/src/runtime", "-D", "GOARCH_amd64",
             "-D", "GOOS_linux", "-S", "-o", str(Path(tmp) / "x.o"), path.name],
            cwd=path.parent, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    kept = [line.replace('"".', pkg + ".") for line in out.splitlines() if not AUTO_FUNCDATA.search(line)]
    return "\n".join(kept) + "\n"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("-p", default="main")
    ap.add_argument("-I", action="append", default=[])
    a = ap.parse_args()
    sys.stdout.write(listing(Path(a.file).resolve(), a.p, a.I))
