"""Runtime calls (gates) run their Python once per call, however the CPU's slice ends around them."""

import io

import emu.run
from asm import Options
from emu import bench_programs as bp
from emu.run import Config, Limits, boot, build, run_process


def _switch_program(tmp_path, n: int):
    src = tmp_path / "switch.s"
    src.write_text(bp.SWITCH)
    return build([str(src)], Options(defines={"N": str(n)}))


def test_fast_slices_that_time_out_in_a_gate_do_not_call_it_twice(tmp_path, monkeypatch):
    # Slices of 20 us of host time: most time-outs land while the hook runs Gosched's Python, and
    # the CPU then stops at the gate before its jump. Restarted there, the hook must let the call
    # go on to its answer (once, it ran Gosched twice: the goroutine resumed on the other's stack).
    monkeypatch.setattr(emu.run, "FAST_SLICE_US", 20)
    image, gates = _switch_program(tmp_path, 3000)
    out = io.BytesIO()
    proc = boot(image, gates, out, out, Config(gomaxprocs=1, fast=True))
    calls = []
    gosched = next(a for a, name in proc.gate_names.items() if name == "runtime.Gosched")
    fn = proc.gates[gosched]
    proc.gates[gosched] = lambda rt, mp, frame: calls.append(rt.curg(mp).goid) or fn(rt, mp, frame)
    status = run_process(proc, Limits(timeout=20))
    proc.machine.close()
    assert (status, out.getvalue()) == (0, b"2\n")
    assert calls == [6, 5] * 3000  # 3000 each, alternating: one P, so each Gosched switches
