"""Testbench for rtl/sf_shuffle.sv (with its internal sf_join): cocotb tests plus the
pytest entry points.

cocotb tests (run for every parameter set):
  * shuffle_random      -- every (shuffle0_i, shuffle1_i) combination in turn; frames with
                           random bank stamps (both banks; random tbank on non-tuser
                           pixels of core a, core b carries the same frame bank on tuser
                           pixels), random tvalid gaps on both inputs and independent random
                           tready stalls on both outputs; each output frame compared with
                           a numpy model of arithmetic.md 3.2 (:func:`shuffle_ref`, as in
                           ``golden.boundary``); output tbank = frame bank; markers checked.
  * shuffle_throughput  -- no stalls: 2 clocks latency (+ 3 with InSlice = 1, + 3 with
                           OutSlice = 1), one pixel per clock on all ports.
  * shuffle_mismatch    -- negative: core a / core b tbank disagreeing on a tuser pixel
                           sets frame_err_o.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import cocotb
from cocotb.triggers import ClockCycles

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sf_join"))

from semifreddo import RTL_DIR  # noqa: E402
from semifreddo.simulate import run_cocotb  # noqa: E402
from semifreddo.toolchain import lint  # noqa: E402

from sfstream import compare_frames, pauses  # noqa: E402
from bankstream import Harness, banked_beats, banked_sink, banked_source, split_banked  # noqa: E402

#: Clocks from the input pair's transfer to m*_axis_tvalid.
LATENCY = 2


def shuffle_ref(a: np.ndarray, b: np.ndarray, s: int, on: bool) -> tuple[np.ndarray, np.ndarray]:
    """arithmetic.md 3.2: with the switch on, the cores exchange their first *s* channels."""
    if not on:
        return a, b
    za, zb = a.copy(), b.copy()
    za[..., :s], zb[..., :s] = b[..., :s], a[..., :s]
    return za, zb


class TB(Harness):
    def __init__(self, dut, name: str) -> None:
        super().__init__(dut, name)
        self.bits = int(os.environ["SF_BITS"])
        self.s = int(os.environ["SF_S"])
        # + 3 for the join's input FIFOs, + 3 for the output FIFOs
        self.latency = LATENCY + 3 * int(os.environ["SF_INSLICE"]) + 3 * int(os.environ["SF_OUTSLICE"])
        self.ca = len(dut.s0_axis_tdata) // self.bits
        self.cb = len(dut.s1_axis_tdata) // self.bits
        self.log.info("Ca=%d Cb=%d Bits=%d S=%d", self.ca, self.cb, self.bits, self.s)

    async def start(self, p=(0.0, 0.0, 0.0, 0.0), burst=4) -> None:
        await self.reset()
        clk, kw = self.dut.clk_i, dict(counter=self.counter)
        self.src = [banked_source(self.dut, f"s{i}_axis", clk, rng=self.rng,
                                  pause=pauses(self.rng, p[i], burst), **kw) for i in range(2)]
        self.sink = [banked_sink(self.dut, f"m{i}_axis", clk, pause=pauses(self.rng, p[2 + i], burst),
                                 **kw) for i in range(2)]

    def set_pauses(self, p, burst) -> None:
        for i in range(2):
            self.src[i].set_pause_generator(pauses(self.rng, p[i], burst))
            self.sink[i].set_pause_generator(pauses(self.rng, p[2 + i], burst))

    def frame(self, h: int, w: int, c: int) -> np.ndarray:
        return self.np_rng.integers(0, 1 << self.bits, size=(h, w, c))

    async def run_round(self, frames: int, h: int, w: int, switch: tuple[int, int],
                        budget_per_pixel: int) -> None:
        self.dut.shuffle0_i.value, self.dut.shuffle1_i.value = switch
        for s in self.sink:
            s.clear()
        stamps = [self.rng.getrandbits(1) for _ in range(frames)]
        if len(set(stamps)) == 1:
            stamps = [(i + stamps[0]) % 2 for i in range(frames)]
        exp_a, exp_b = [], []
        for bank in stamps:
            a, b = self.frame(h, w, self.ca), self.frame(h, w, self.cb)
            self.src[0].send(banked_beats(a, self.bits, bank, self.rng))
            self.src[1].send(banked_beats(b, self.bits, bank, self.rng))
            za, zb = shuffle_ref(a, b, self.s, bool(switch[bank]))
            exp_a.append(za.astype(np.uint64))
            exp_b.append(zb.astype(np.uint64))
        await self.wait_beats(self.sink, frames * h * w, budget_per_pixel * frames * h * w + 200)
        for port, exp, c in ((0, exp_a, self.ca), (1, exp_b, self.cb)):
            got, banks = split_banked(self.sink[port].beats, h, w, c, self.bits)
            compare_frames(got, exp, channels=c)
            for k, (gb, bank) in enumerate(zip(banks, stamps)):
                assert np.all(gb == bank), f"m{port} frame {k}: tbank {gb.tolist()}, frame bank {bank}"
        assert int(self.dut.frame_err_o.value) == 0, "frame_err_o set on a well-formed stream"
        self.log.info("switch (bank0, bank1) = %s, banks %s: %d frames %dx%d matched",
                      switch, stamps, frames, h, w)


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def shuffle_random(dut):
    tb = TB(dut, "shuffle_random")
    await tb.start()
    balances = [(0.3, 0.1, 0.2, 0.2, 4), (0.1, 0.3, 0.1, 0.5, 3), (0.2, 0.2, 0.6, 0.1, 6),
                (0.3, 0.3, 0.3, 0.3, 2), (0.0, 0.0, 0.0, 0.0, 1)]
    switches = [(0, 0), (1, 0), (0, 1), (1, 1), (tb.rng.getrandbits(1), tb.rng.getrandbits(1))]
    for bal, sw in zip(balances, switches):
        tb.set_pauses(bal[:4], bal[4])
        await tb.run_round(6, 4, 7, sw, 30)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def shuffle_throughput(dut):
    tb = TB(dut, "shuffle_throughput")
    await tb.start()
    await tb.run_round(4, 8, 16, (1, 0), 1)
    n = 4 * 8 * 16
    a0, a1 = tb.src[0].accept_cycles, tb.src[1].accept_cycles
    assert a0 == a1, "the two inputs did not transfer in the same cycles"
    assert a0 == list(range(a0[0], a0[0] + n)), "input side not 1 pixel/clock"
    for i in range(2):
        o = tb.sink[i].beat_cycles
        assert o == list(range(o[0], o[0] + n)), f"m{i} not 1 pixel/clock"
        assert o[0] - a0[0] == tb.latency, f"m{i} latency {o[0] - a0[0]}, expected {tb.latency}"


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def shuffle_mismatch(dut):
    tb = TB(dut, "shuffle_mismatch")
    await tb.start((0.2, 0.2, 0.2, 0.2))
    a, b = tb.frame(3, 4, tb.ca), tb.frame(3, 4, tb.cb)
    ba = banked_beats(a, tb.bits, 0, tb.rng)
    bb = banked_beats(b, tb.bits, 1, tb.rng)   # core b stamped with the other bank
    tb.src[0].send(ba)
    tb.src[1].send(bb)
    await tb.wait_beats(tb.sink, 12, 400)
    await ClockCycles(dut.clk_i, 2)
    assert int(dut.frame_err_o.value) == 1, "frame_err_o not set by a tbank mismatch"
    assert all(s.beats[0].user == 1 for s in tb.sink)


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (Ca, Cb, Bits, S, InSlice, OutSlice) simulated; each is one cached Verilator build.
SIM_PARAMS = [(4, 6, 8, 3, 0, 0), (5, 5, 4, 5, 1, 1), (3, 2, 8, 1, 0, 1)]
LINT_PARAMS = SIM_PARAMS + [(1, 1, 1, 1, 0, 0), (16, 8, 16, 8, 1, 0), (8, 16, 8, 1, 0, 1),
                            (32, 32, 8, 32, 1, 1)]

SOURCES = [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_join.sv", RTL_DIR / "sf_shuffle.sv"]


def _id(p) -> str:
    return "ca{}-cb{}-b{}-s{}-in{}-out{}".format(*p)


def _params(ca, cb, bits, s, sl, osl) -> dict:
    return {"Ca": ca, "Cb": cb, "Bits": bits, "S": s, "InSlice": sl, "OutSlice": osl}


@pytest.mark.parametrize("p", LINT_PARAMS, ids=[_id(p) for p in LINT_PARAMS])
def test_sf_shuffle_lint(p):
    res = lint(SOURCES, "sf_shuffle", _params(*p))
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("p", SIM_PARAMS, ids=[_id(p) for p in SIM_PARAMS])
def test_sf_shuffle(p):
    ca, cb, bits, s, sl, osl = p
    run_cocotb(
        toplevel="sf_shuffle",
        sources=SOURCES,
        test_module="test_sf_shuffle",
        parameters=_params(*p),
        extra_env={"SF_BITS": str(bits), "SF_S": str(s), "SF_INSLICE": str(sl), "SF_OUTSLICE": str(osl)},
        build_name=f"sf_shuffle-{_id(p)}",
    )
