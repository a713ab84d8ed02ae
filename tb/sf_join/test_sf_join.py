"""Testbench for rtl/sf_join.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set):
  * join_random      -- frames on both inputs with independent random tvalid gaps and
                        random tready stalls (phases of different balance); the output
                        must be exactly the pairwise concatenation {s1, s0} with the s0
                        markers and the BankSel tbank; frame_err_o stays 0.
  * join_throughput  -- no stalls: 1 clock latency (4 with InSlice = 1), one pair per
                        clock sustained.
  * join_mismatch    -- negative: a pair whose tuser, then tlast, then (tuser pixel)
                        tbank disagree sets the sticky frame_err_o exactly when it is
                        joined (tbank only with BankCheck = 1); data keeps flowing.
"""

from __future__ import annotations

import os

import pytest

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, with_timeout

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import CLK_PERIOD_NS, Beat, pauses
from bankstream import Harness, banked_sink, banked_source

#: Clocks from the pair's transfer to m_axis_tvalid (the input FIFOs of InSlice = 1 add
#: their 3-clock fall-through).
LATENCY = {0: 1, 1: 4}


class TB(Harness):
    def __init__(self, dut, name: str) -> None:
        super().__init__(dut, name)
        self.w0 = len(dut.s0_axis_tdata)
        self.w1 = len(dut.s1_axis_tdata)
        self.bank_sel = int(os.environ["SF_BANKSEL"])
        self.bank_check = int(os.environ["SF_BANKCHECK"])
        self.in_slice = int(os.environ["SF_INSLICE"])
        self.latency = LATENCY[self.in_slice]
        self.log.info("Width0=%d Width1=%d BankSel=%d BankCheck=%d InSlice=%d", self.w0, self.w1,
                      self.bank_sel, self.bank_check, self.in_slice)

    async def start(self, p0=0.0, p1=0.0, pout=0.0, burst=4) -> None:
        """Reset, then fresh sources and sink (those of an earlier start are stopped)."""
        for old in ("src0", "src1", "sink"):
            if hasattr(self, old):
                getattr(self, old)._task.cancel()
        await self.reset()
        kw = dict(counter=self.counter)
        clk = self.dut.clk_i
        self.src0 = banked_source(self.dut, "s0_axis", clk, rng=self.rng,
                                  pause=pauses(self.rng, p0, burst), **kw)
        self.src1 = banked_source(self.dut, "s1_axis", clk, rng=self.rng,
                                  pause=pauses(self.rng, p1, burst), **kw)
        self.sink = banked_sink(self.dut, "m_axis", clk, pause=pauses(self.rng, pout, burst), **kw)

    def frame_pairs(self, height: int, width: int) -> tuple[list[Beat], list[Beat], list[Beat]]:
        """One frame on each input (matching markers, random data and tbank) and the
        expected output beats ({tbank, tdata} data)."""
        b0, b1, out = [], [], []
        fbank = self.rng.getrandbits(1)
        for i in range(height * width):
            user, last = int(i == 0), int(i % width == width - 1)
            d0, d1 = self.rng.getrandbits(self.w0), self.rng.getrandbits(self.w1)
            k0 = fbank if user else self.rng.getrandbits(1)
            k1 = fbank if (user and self.bank_check) else self.rng.getrandbits(1)
            b0.append(Beat(d0 | k0 << self.w0, user, last))
            b1.append(Beat(d1 | k1 << self.w1, user, last))
            kout = k1 if self.bank_sel else k0
            out.append(Beat(d0 | d1 << self.w0 | kout << (self.w0 + self.w1), user, last))
        return b0, b1, out

    def send(self, b0, b1) -> None:
        self.src0.send(b0)
        self.src1.send(b1)

    async def pair_cycles(self, out: list[int]) -> None:
        """Append the cycle of every pair the join takes (its internal ``fire``; with
        InSlice = 0 these are the input transfer cycles), sampled as the sources sample
        their transfers: mid-cycle, after the inputs changed."""
        while True:
            await FallingEdge(self.dut.clk_i)
            await ReadOnly()
            if int(self.dut.fire.value):
                out.append(self.counter.cycle)

    async def first_err_cycle(self) -> int:
        """Cycle (CycleCounter value) in which frame_err_o is first seen high."""
        while True:
            await RisingEdge(self.dut.clk_i)
            await ReadOnly()
            if int(self.dut.frame_err_o.value):
                return self.counter.cycle

    async def drain(self, n_out: int, budget: int) -> None:
        await self.wait_beats([self.sink], n_out, budget)


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def join_random(dut):
    tb = TB(dut, "join_random")
    await tb.start()
    expected: list[Beat] = []
    # (p0, p1, pout, burst): s0 slow, s1 slow, sink slow, everything bursty.
    for p0, p1, pout, burst in ((0.5, 0.1, 0.1, 3), (0.1, 0.5, 0.1, 3), (0.1, 0.1, 0.6, 4),
                                (0.3, 0.3, 0.3, 8), (0.2, 0.2, 0.2, 1)):
        tb.src0.set_pause_generator(pauses(tb.rng, p0, burst))
        tb.src1.set_pause_generator(pauses(tb.rng, p1, burst))
        tb.sink.set_pause_generator(pauses(tb.rng, pout, burst))
        for _ in range(4):
            h, w = tb.rng.randint(1, 6), tb.rng.randint(2, 9)
            b0, b1, out = tb.frame_pairs(h, w)
            tb.send(b0, b1)
            expected += out
        n = len(expected)
        await tb.drain(n, 30 * n + 200)
    got = tb.sink.beats
    bad = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), None)
    assert bad is None, f"output beat {bad}: got {got[bad]}, expected {expected[bad]}"
    assert int(dut.frame_err_o.value) == 0, "frame_err_o set on matching markers"
    tb.log.info("%d joined pixels matched (%d cycles)", len(expected), tb.counter.cycle)


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def join_throughput(dut):
    tb = TB(dut, "join_throughput")
    await tb.start()
    b0, b1, out = tb.frame_pairs(10, 50)
    tb.send(b0, b1)
    n = len(out)
    await tb.drain(n, n + 50)
    assert tb.sink.beats == out
    a0, a1, o = tb.src0.accept_cycles, tb.src1.accept_cycles, tb.sink.beat_cycles
    assert a0 == a1, "the two inputs did not transfer in the same cycles"
    assert a0 == list(range(a0[0], a0[0] + n)), "input side not 1 pixel/clock"
    assert o == list(range(o[0], o[0] + n)), "output side not 1 pixel/clock"
    assert o[0] - a0[0] == tb.latency, f"latency {o[0] - a0[0]}, expected {tb.latency}"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def join_mismatch(dut):
    tb = TB(dut, "join_mismatch")
    # Which field of which pixel is corrupted on s1; expect frame_err_o afterwards?
    cases = [("tuser on a middle pixel", 7, "user", True),
             ("missing tuser", 0, "user", True),
             ("tlast", 4, "last", True),
             ("tbank on the tuser pixel", 0, "bank", bool(tb.bank_check)),
             ("tbank on another pixel", 5, "bank", False)]
    for what, pix, field, expect_err in cases:
        await tb.start(0.2, 0.2, 0.2)
        b0, b1, out = tb.frame_pairs(3, 5)
        tb.send(b0, b1)
        await tb.drain(len(out), 40 * len(out))
        assert int(dut.frame_err_o.value) == 0, "frame_err_o set on matching markers"
        b0, b1, out = tb.frame_pairs(3, 5)
        g = b1[pix]
        if field == "user":
            b1[pix] = Beat(g.data, g.user ^ 1, g.last)
        elif field == "last":
            b1[pix] = Beat(g.data, g.user, g.last ^ 1)
        else:
            b1[pix] = Beat(g.data ^ (1 << tb.w1), g.user, g.last)
            # the tbank of the non-selected input does not reach the output
            if tb.bank_sel == 1:
                o = out[pix]
                out[pix] = Beat(o.data ^ (1 << (tb.w0 + tb.w1)), o.user, o.last)
        first_err = cocotb.start_soon(tb.first_err_cycle())
        pairs: list[int] = []
        pair_mon = cocotb.start_soon(tb.pair_cycles(pairs))
        tb.send(b0, b1)
        n_before = len(tb.sink.beats)
        await with_timeout(tb.src1.wait_idle(), 2000 * CLK_PERIOD_NS, "ns")
        await tb.drain(n_before + len(out), 40 * len(out))
        pair_mon.cancel()
        assert tb.sink.beats[n_before:] == out, f"{what}: data changed by the marker error"
        if not tb.in_slice:
            assert pairs == tb.src1.accept_cycles[15:], f"{what}: pairs not taken as the inputs transfer"
        await ClockCycles(dut.clk_i, 2)
        assert int(dut.frame_err_o.value) == int(expect_err), \
            f"{what}: frame_err_o = {int(dut.frame_err_o.value)}, expected {int(expect_err)}"
        if expect_err:
            # set by the edge that joins the bad pair (the pix-th pair of this frame)
            bad_edge = pairs[pix] + 1
            assert first_err.result() == bad_edge, \
                f"{what}: frame_err_o rose in cycle {first_err.result()}, expected {bad_edge}"
        else:
            first_err.cancel()
        tb.log.info("%s: frame_err_o = %d as expected", what, int(expect_err))


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (Width0, Width1, BankSel, BankCheck, InSlice) simulated; each is one cached Verilator build.
SIM_PARAMS = [(8, 24, 1, 0, 0), (19, 3, 0, 1, 0), (5, 12, 1, 1, 1)]
LINT_PARAMS = SIM_PARAMS + [(1, 1, 0, 0, 0), (1, 1, 1, 1, 1), (256, 64, 1, 0, 0), (512, 512, 0, 1, 1)]

SOURCES = [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_join.sv"]


def _id(p) -> str:
    return "w0_{}-w1_{}-sel{}-chk{}-slice{}".format(*p)


@pytest.mark.parametrize("w0,w1,sel,chk,sl", LINT_PARAMS, ids=[_id(p) for p in LINT_PARAMS])
def test_sf_join_lint(w0, w1, sel, chk, sl):
    res = lint(SOURCES, "sf_join", {"Width0": w0, "Width1": w1, "BankSel": sel, "BankCheck": chk,
                                    "InSlice": sl})
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("w0,w1,sel,chk,sl", SIM_PARAMS, ids=[_id(p) for p in SIM_PARAMS])
def test_sf_join(w0, w1, sel, chk, sl):
    run_cocotb(
        toplevel="sf_join",
        sources=SOURCES,
        test_module="test_sf_join",
        parameters={"Width0": w0, "Width1": w1, "BankSel": sel, "BankCheck": chk, "InSlice": sl},
        extra_env={"SF_BANKSEL": str(sel), "SF_BANKCHECK": str(chk), "SF_INSLICE": str(sl)},
        build_name=f"sf_join-{_id((w0, w1, sel, chk, sl))}",
    )
