"""Coverage-guided fuzzing of the assembler with atheris (libFuzzer), outside the test suite:

    pip install atheris
    mkdir -p /tmp/corpus && cp samples/*.s /tmp/corpus/
    python tests/asm/atheris_asm.py /tmp/corpus -max_len=4096 -max_total_time=1800

Any input must assemble and link, or end in AsmError with a message for each diagnostic; anything
else is a crash that libFuzzer saves (crash-<hash>) for a test to reproduce. It found the NUL in an
#include name that reached open().
"""

import sys

import atheris

with atheris.instrument_imports(include=["asm"]):
    from asm.assemble import assemble_source
    from asm.errors import AsmError
    from asm.link import link


def one_input(data: bytes) -> None:
    src = data.decode("utf-8", "surrogateescape")  # as the assembler reads files
    try:
        link([assemble_source(src, "fuzz.s")], allow_undefined=True)
    except AsmError as e:
        assert all(d.message for d in e.diagnostics)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
