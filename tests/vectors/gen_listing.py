"""Record Go 1.19's `go tool asm -S` listing of a source file as a golden test vector.

Needs Go 1.19 (Debian's golang-1.19-go); the tests only read the file it writes:
    python tests/vectors/gen_listing.py tests/vectors/prologue.s > tests/vectors/prologue.lst
The listing is normalized in two ways that are documented deviations of goemu: the FUNCDATA
lines cmd/asm adds by itself for Go argument maps are dropped (goemu has no GC metadata), and the package
placeholder `""` is written as the package itself (goemu -p defaults to main).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

GO = "/usr/lib/go-1.19/bin/go"
# The argument-map references cmd/asm adds to every function (not the ones a source writes).
AUTO_FUNCDATA = re.compile(r"\tFUNCDATA\t\$[05], \S+\.(args_stackmap|arginfo\d+)\(SB\)$")


def listing(path: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [GO, "tool", "asm", "-p", "main", "-I", "/usr/share/go-1.19/src/runtime", "-D", "GOARCH_amd64",
             "-S", "-o", str(Path(tmp) / "x.o"), path.name],
            cwd=path.parent, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    kept = [line.replace('"".', "main.") for line in out.splitlines() if not AUTO_FUNCDATA.search(line)]
    return "\n".join(kept) + "\n"


if __name__ == "__main__":
    sys.stdout.write(listing(Path(sys.argv[1]).resolve()))
