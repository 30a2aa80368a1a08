"""The assembler benchmark's workload is deterministic and assembles (timing is never asserted)."""

import hashlib

from asm.assemble import assemble_source
from emu.bench import workload


def test_workload_is_deterministic_and_assembles():
    text = workload(2000)
    assert text == workload(2000)
    assert text.count("\n") == 2000
    obj = assemble_source(text, "bench.s")
    assert len(obj.texts) == text.count("TEXT ")
    # Pinned, so figures measured on different commits are on the same text.
    assert hashlib.sha256(text.encode()).hexdigest() == "9aa755dbb7168784456b613962e4cac5b4c590dac05258755f57d6fcaefbe040"
