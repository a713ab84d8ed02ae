"""Testbench for rtl/sf_fifo.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set):
  * fifo_random      -- random push/pop with random valid/ready stalls vs a Python deque,
                        count_o / s_axis_tready checked every cycle.
  * fifo_full_empty  -- fill to exactly Depth (tready drops), drain to empty, refill.
  * fifo_throughput  -- both sides always ready: 3-cycle latency (5 through stage P and
                        the output queue of Depth >= 128), 1 item/clock sustained
                        (Depth >= 4; Depth 2 sustains 1 item per 2 clocks).

The simulated parameter sets cover the depth-dependent layouts of the RAM: written every
clock (Depth <= 8), neither (Depth 32), and the credit-driven read through stage P into
the output queue with the RAM in block-RAM columns (Depth 2048: columns of 9, 9 and 2 bits).
"""

from __future__ import annotations

import itertools
import os
from collections import deque

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, with_timeout

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import (CLK_PERIOD_NS, Beat, CycleCounter, StreamSink, StreamSource,
                      make_rngs, pauses, reset_dut)



def fall_through(depth: int) -> int:
    """Clocks from an s_axis transfer into an empty FIFO to m_axis_tvalid (rtl header)."""
    return 5 if depth >= 128 else 3


class TB:
    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.log = dut._log
        self.width = len(dut.s_axis_tdata)
        self.depth = int(os.environ["SF_FIFO_DEPTH"])
        self.latency = fall_through(self.depth)
        self.rng, _, seed = make_rngs()
        self.log.info("%s: Width=%d Depth=%d, regression seed %s (re-run with SF_SEED=%s)",
                      name, self.width, self.depth, seed, seed)
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        self.source = StreamSource(dut, "s_axis", dut.clk_i, counter=self.counter, rng=self.rng)
        self.sink = StreamSink(dut, "m_axis", dut.clk_i, counter=self.counter)
        self.errors: list[str] = []

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    def random_items(self, n: int) -> list[int]:
        return [self.rng.getrandbits(self.width) for _ in range(n)]

    async def check_count(self) -> None:
        """Every cycle: count_o == transfers in minus transfers out; tready == not full."""
        n_in = n_out = 0
        while True:
            await FallingEdge(self.dut.clk_i)
            await ReadOnly()
            now = self.counter.cycle
            acc, out = self.source.accept_cycles, self.sink.beat_cycles
            # Transfers stamped `now` complete at the coming edge: not counted yet.
            while n_in < len(acc) and acc[n_in] < now:
                n_in += 1
            while n_out < len(out) and out[n_out] < now:
                n_out += 1
            model = n_in - n_out
            count = int(self.dut.count_o.value)
            ready = int(self.dut.s_axis_tready.value)
            valid = int(self.dut.m_axis_tvalid.value)
            if count != model or ready != int(model < self.depth) or (valid and model == 0):
                self.errors.append(f"cycle {now}: count_o={count} model={model} "
                                   f"s_axis_tready={ready} m_axis_tvalid={valid}")
                if len(self.errors) > 10:
                    return

    def check(self, sent: list[int]) -> None:
        assert not self.errors, "\n".join(self.errors)
        got = [b.data for b in self.sink.beats]
        assert got == sent, f"{len(got)} items out vs {len(sent)} in; first mismatch at " \
            f"{next((i for i, (a, b) in enumerate(zip(got, sent)) if a != b), min(len(got), len(sent)))}"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def fifo_random(dut):
    tb = TB(dut, "fifo_random")
    await tb.reset()
    cocotb.start_soon(tb.check_count())
    model: deque[int] = deque()
    sent: list[int] = []
    # Phases with different balances: producer faster, consumer faster, both bursty.
    for p_src, p_snk, burst in ((0.1, 0.6, 4), (0.6, 0.1, 4), (0.3, 0.3, 8), (0.5, 0.5, 1)):
        tb.source.set_pause_generator(pauses(tb.rng, p_src, burst))
        tb.sink.set_pause_generator(pauses(tb.rng, p_snk, burst))
        items = tb.random_items(500)
        model.extend(items)
        sent += items
        tb.source.send(Beat(d) for d in items)
        await with_timeout(tb.source.wait_idle(), 20 * len(items) * CLK_PERIOD_NS, "ns")
    tb.sink.set_pause_generator(None)
    await ClockCycles(dut.clk_i, tb.depth + 2 * tb.latency + 2)
    tb.check(sent)
    for k, beat in enumerate(tb.sink.beats):  # reference model: a plain Python deque
        assert beat.data == model.popleft(), f"item {k}"
    assert not model
    assert int(dut.count_o.value) == 0


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def fifo_full_empty(dut):
    tb = TB(dut, "fifo_full_empty")
    await tb.reset()
    cocotb.start_soon(tb.check_count())
    sent: list[int] = []
    for rnd in range(3):
        # Fill: consumer stalled, offer Depth + 3 items; exactly Depth must go in.
        tb.sink.set_pause_generator(itertools.repeat(True))
        items = tb.random_items(tb.depth + 3)
        sent += items
        tb.source.send(Beat(d) for d in items)
        await ClockCycles(dut.clk_i, tb.depth + 10)
        await ReadOnly()
        assert len(tb.source.accept_cycles) == (rnd + 1) * tb.depth + rnd * 3, "not full at Depth"
        assert int(dut.count_o.value) == tb.depth
        assert int(dut.s_axis_tready.value) == 0
        assert int(dut.m_axis_tvalid.value) == 1
        # Pop one at full while the producer keeps offering: the freed slot is refilled.
        await FallingEdge(dut.clk_i)
        tb.sink.set_pause_generator(itertools.chain([False], itertools.repeat(True)))
        await ClockCycles(dut.clk_i, 5)
        await ReadOnly()
        assert int(dut.count_o.value) == tb.depth
        # Drain completely (producer finishes its last items), then check empty.
        await FallingEdge(dut.clk_i)
        tb.sink.set_pause_generator(pauses(tb.rng, 0.2, 2) if rnd else None)
        await with_timeout(tb.source.wait_idle(), 200 * tb.depth * CLK_PERIOD_NS, "ns")
        await ClockCycles(dut.clk_i, 4 * tb.depth + 4 * tb.latency + 8)
        await ReadOnly()
        assert int(dut.count_o.value) == 0
        assert int(dut.m_axis_tvalid.value) == 0
        assert int(dut.s_axis_tready.value) == 1
        tb.check(sent)


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def fifo_throughput(dut):
    tb = TB(dut, "fifo_throughput")
    await tb.reset()
    cocotb.start_soon(tb.check_count())
    n = 1000
    items = tb.random_items(n)
    tb.source.send(Beat(d) for d in items)
    await with_timeout(tb.source.wait_idle(), 2 * n * CLK_PERIOD_NS, "ns")
    await ClockCycles(dut.clk_i, tb.latency + 4)
    tb.check(items)
    acc, out = tb.source.accept_cycles, tb.sink.beat_cycles
    assert out[0] - acc[0] == tb.latency, f"latency {out[0] - acc[0]}, expected {tb.latency}"
    if tb.depth >= 4:
        assert acc == list(range(acc[0], acc[0] + n)), "input side not 1 item/clock"
        assert out == list(range(out[0], out[0] + n)), "output side not 1 item/clock"
    else:
        # Depth 2: documented 1 item per 2 clocks (occupancy >= 3 clocks, registered full).
        assert acc[-1] - acc[0] + 1 <= 2 * n, "Depth 2 slower than 1 item per 2 clocks"


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (Width, Depth) simulated; each is one cached Verilator build.
SIM_PARAMS = [(8, 2), (37, 4), (16, 32), (20, 2048)]
#: Lint covers the simulated sets plus extremes.
LINT_PARAMS = SIM_PARAMS + [(1, 4), (3, 8), (9, 128), (64, 1024), (97, 4096), (3, 32768), (288, 512)]

SOURCES = [RTL_DIR / "sf_fifo.sv"]


@pytest.mark.parametrize("width,depth", LINT_PARAMS)
def test_sf_fifo_lint(width, depth):
    res = lint(SOURCES, "sf_fifo", {"Width": width, "Depth": depth})
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("width,depth", SIM_PARAMS)
def test_sf_fifo(width, depth):
    run_cocotb(
        toplevel="sf_fifo",
        sources=SOURCES,
        test_module="test_sf_fifo",
        parameters={"Width": width, "Depth": depth},
        extra_env={"SF_FIFO_DEPTH": str(depth)},
        build_name=f"sf_fifo-w{width}-d{depth}",
    )
