"""Testbench for rtl/sf_fork.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set):
  * fork_random         -- random tvalid gaps on the input, independent random tready
                           stalls on every output (phases: one consumer much slower than
                           the others, all bursty, ...); every consumer must receive exactly
                           the input sequence.
  * fork_throughput     -- everything ready: 4 clocks latency, one item per clock on the
                           input and on every output (Depth >= 8), one per 3 clocks
                           at least (Depth 4).
  * fork_slow_consumer  -- consumer 0 stalled: the others keep receiving until its FIFO
                           holds Depth items, then the input stops; releasing it drains all.
"""

from __future__ import annotations

import itertools
import os
from typing import Iterator

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, with_timeout

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import (CLK_PERIOD_NS, Beat, CycleCounter, StreamSource, make_rngs, pauses,
                      reset_dut)

#: Clocks from the input transfer to m_axis_tvalid: the fork's transfer flop, then
#: sf_fifo's fall-through latency (3).
LATENCY = 4


class MultiSink:
    """Consumers of packed ``m_axis_tvalid[N]`` / ``m_axis_tready[N]`` /
    ``m_axis_tdata[N*Width]``: independent tready stall patterns, per-output records and
    AXI4-Stream stability checks (valid and payload held until the transfer)."""

    def __init__(self, dut, n: int, width: int, counter: CycleCounter) -> None:
        self.dut = dut
        self.n = n
        self.width = width
        self.counter = counter
        self.pause: list[Iterator[bool] | None] = [None] * n
        self.beats: list[list[int]] = [[] for _ in range(n)]
        self.cycles: list[list[int]] = [[] for _ in range(n)]
        dut.m_axis_tready.value = 0
        self._task = cocotb.start_soon(self._run())

    async def _run(self) -> None:
        mask = (1 << self.width) - 1
        held: list[int | None] = [None] * self.n
        while True:
            await FallingEdge(self.dut.clk_i)
            ready = [not (p is not None and next(p)) for p in self.pause]
            self.dut.m_axis_tready.value = sum(int(r) << i for i, r in enumerate(ready))
            await ReadOnly()
            valid = int(self.dut.m_axis_tvalid.value)
            data = int(self.dut.m_axis_tdata.value)
            for i in range(self.n):
                v, d = (valid >> i) & 1, (data >> (i * self.width)) & mask
                if held[i] is not None:
                    assert v, f"m_axis_tvalid[{i}] dropped before the transfer"
                    assert d == held[i], f"m_axis_tdata[{i}] changed while stalled"
                if v:
                    if ready[i]:
                        self.beats[i].append(d)
                        self.cycles[i].append(self.counter.cycle)
                        held[i] = None
                    else:
                        held[i] = d


class TB:
    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.log = dut._log
        self.n = len(dut.m_axis_tvalid)
        self.width = len(dut.s_axis_tdata)
        self.depth = int(os.environ["SF_FORK_DEPTH"])
        self.rng, _, seed = make_rngs()
        self.log.info("%s: N=%d Width=%d Depth=%d, regression seed %s (re-run with SF_SEED=%s)",
                      name, self.n, self.width, self.depth, seed, seed)
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())
        self.counter = CycleCounter(dut.clk_i)

    async def start(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)
        self.source = StreamSource(self.dut, "s_axis", self.dut.clk_i, counter=self.counter,
                                   rng=self.rng)
        self.sinks = MultiSink(self.dut, self.n, self.width, self.counter)

    def items(self, count: int) -> list[int]:
        return [self.rng.getrandbits(self.width) for _ in range(count)]

    async def wait_all(self, total: int, budget: int) -> None:
        async def done() -> None:
            while any(len(b) < total for b in self.sinks.beats):
                await RisingEdge(self.dut.clk_i)
        await with_timeout(done(), budget * CLK_PERIOD_NS, "ns")
        await ClockCycles(self.dut.clk_i, 10)

    def check(self, sent: list[int]) -> None:
        for i, got in enumerate(self.sinks.beats):
            bad = next((k for k, (g, s) in enumerate(zip(got, sent)) if g != s), None)
            assert len(got) == len(sent) and bad is None, \
                f"consumer {i}: {len(got)} items vs {len(sent)} sent, first mismatch at {bad}"


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def fork_random(dut):
    tb = TB(dut, "fork_random")
    await tb.start()
    sent: list[int] = []
    for phase in range(5):
        tb.source.set_pause_generator(pauses(tb.rng, [0.0, 0.3, 0.1, 0.5, 0.2][phase], 4))
        for i in range(tb.n):
            # phase 0..n-1 (mod): consumer `phase` is the slow one; later phases: all random
            slow = (i == phase % tb.n) and phase < 3
            p = 0.85 if slow else tb.rng.choice([0.0, 0.1, 0.3, 0.5])
            tb.sinks.pause[i] = pauses(tb.rng, p, tb.rng.randint(1, 8))
        items = tb.items(300)
        sent += items
        tb.source.send(Beat(d) for d in items)
        await tb.wait_all(len(sent), 60 * len(items) + 200)
    tb.check(sent)
    tb.log.info("%d items reached all %d consumers (%d cycles)", len(sent), tb.n, tb.counter.cycle)


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def fork_throughput(dut):
    tb = TB(dut, "fork_throughput")
    await tb.start()
    n = 500
    items = tb.items(n)
    tb.source.send(Beat(d) for d in items)
    await tb.wait_all(n, (1 if tb.depth >= 8 else 3) * n + 50)
    tb.check(items)
    acc = tb.source.accept_cycles
    for i, out in enumerate(tb.sinks.cycles):
        assert out[0] - acc[0] == LATENCY, f"consumer {i}: latency {out[0] - acc[0]}"
        if tb.depth >= 8:
            assert out == list(range(out[0], out[0] + n)), f"consumer {i}: not 1 item/clock"
    if tb.depth >= 8:
        assert acc == list(range(acc[0], acc[0] + n)), "input side not 1 item/clock"
    else:  # Depth 4: the ready flag allows one item per 3 clocks
        assert acc[-1] - acc[0] + 1 <= 3 * n, "Depth 4 slower than 1 item per 3 clocks"


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def fork_slow_consumer(dut):
    tb = TB(dut, "fork_slow_consumer")
    await tb.start()
    tb.sinks.pause[0] = itertools.repeat(True)
    items = tb.items(tb.depth + 20)
    tb.source.send(Beat(d) for d in items)
    await ClockCycles(dut.clk_i, 4 * tb.depth + 40)
    await ReadOnly()
    assert len(tb.source.accept_cycles) == tb.depth, \
        f"input accepted {len(tb.source.accept_cycles)} items with consumer 0 stalled, " \
        f"expected Depth = {tb.depth}"
    assert int(dut.s_axis_tready.value) == 0
    assert tb.sinks.beats[0] == []
    for i in range(1, tb.n):
        assert tb.sinks.beats[i] == items[:tb.depth], f"consumer {i} did not get the first Depth items"
    await FallingEdge(dut.clk_i)
    tb.sinks.pause[0] = pauses(tb.rng, 0.3, 3)
    await tb.wait_all(len(items), 40 * len(items))
    tb.check(items)


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (N, Width, Depth) simulated; each is one cached Verilator build.
SIM_PARAMS = [(3, 13, 8), (2, 40, 4)]
LINT_PARAMS = SIM_PARAMS + [(1, 1, 4), (4, 64, 16), (2, 259, 512)]

SOURCES = [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_fork.sv"]


def _id(p) -> str:
    return "n{}-w{}-d{}".format(*p)


@pytest.mark.parametrize("n,width,depth", LINT_PARAMS, ids=[_id(p) for p in LINT_PARAMS])
def test_sf_fork_lint(n, width, depth):
    res = lint(SOURCES, "sf_fork", {"N": n, "Width": width, "Depth": depth})
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("n,width,depth", SIM_PARAMS, ids=[_id(p) for p in SIM_PARAMS])
def test_sf_fork(n, width, depth):
    run_cocotb(
        toplevel="sf_fork",
        sources=SOURCES,
        test_module="test_sf_fork",
        parameters={"N": n, "Width": width, "Depth": depth},
        extra_env={"SF_FORK_DEPTH": str(depth)},
        build_name=f"sf_fork-{_id((n, width, depth))}",
    )
