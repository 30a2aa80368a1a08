"""goemu bench: the workloads do their work (--quick), the assembler workload is deterministic and
assembles; timing is never asserted."""

import hashlib

from asm.assemble import assemble_source
from emu.bench import QUICK, bench, workload
from emu.cli import main


def test_workload_is_deterministic_and_assembles():
    text = workload(2000)
    assert text == workload(2000)
    assert text.count("\n") == 2000
    obj = assemble_source(text, "bench.s")
    assert len(obj.texts) == text.count("TEXT ")
    # Pinned, so figures measured on different commits are on the same text.
    assert hashlib.sha256(text.encode()).hexdigest() == "9aa755dbb7168784456b613962e4cac5b4c590dac05258755f57d6fcaefbe040"


def test_quick_bench_workloads_print_what_they_must():
    limits, results = bench(QUICK)
    assert [r.name for r in results] == [
        "spawn", "compute (fast)", "compute (deterministic)", "switch (fast)",
        "switch (deterministic)", "channel", "preempt", "alive", "assemble", "start-up",
    ]  # fmt: skip
    assert [r.name for r in results if not r.ok] == []
    assert set(limits) == {"raw", "counted", "hook", "restart"} and all(v > 0 for v in limits.values())


def test_bench_json(capsys):
    import json

    assert main(["bench", "--quick", "--json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["quick"] is True and len(doc["workloads"]) == 10
    assert err.splitlines()[0].startswith("goemu bench: Python ") and "alive" in err  # the table, on stderr
    assert set(doc) == {"date", "commit", "python", "unicorn", "cpus", "quick", "limits", "workloads"}
    assert {w["name"]: w["ok"] for w in doc["workloads"]}["channel"] is True
