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
    assert err.splitlines() == [  # the table, on stderr: --quick only checks the outputs
        "goemu bench --quick: each workload's output checked (sizes too small to measure)", "",
        *(f"{w['name']:<24} ok" for w in doc["workloads"]),
    ]  # fmt: skip
    assert set(doc) == {"date", "commit", "python", "unicorn", "cpus", "quick", "limits", "workloads"}
    assert {w["name"]: w["ok"] for w in doc["workloads"]}["channel"] is True


def test_table_shows_each_figure_next_to_its_limit():
    from emu.bench import Result, table

    limits = {"raw": 600e6, "counted": 150e6, "hook": 0.3e-6, "restart": 13e-6}
    results = [
        Result("switch (fast)", 112_000, "switches/s", 76_900, "one stop and restart per switch", ">= 100,000/s"),
        Result("start-up", 0.185, "s", target="< 0.6 s", note="goemu run samples/hello.s"),
        Result("channel", 0, "round trips/s", ok=False),
    ]
    lines = table(limits, results).splitlines()
    assert lines[1] == ("engine: raw Unicorn 600M instructions/s, count-limited 150M/s; a Python hook call 0.3 us,"
                        " a stop and restart 13.0 us")  # fmt: skip
    assert lines[4:] == [
        "switch (fast)                       112k switches/s      76.9k   146%  >= 100,000/s         "
        "limit: one stop and restart per switch",
        "start-up                                    0.185 s                    < 0.6 s              goemu run samples/hello.s",
        "channel                        FAILED: wrong output                                         ",
    ]  # fmt: skip
