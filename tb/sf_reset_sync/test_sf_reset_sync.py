"""Testbench for rtl/sf_reset_sync.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set):
  * reset_async_assert  -- rst_ni falls at random times inside the clock period, also
                           with the clock stopped: rst_no follows at once, no edge needed.
  * reset_sync_release  -- rst_ni rises at random times: rst_no rises exactly at the
                           Stages-th rising edge after it, and only on a rising edge.
  * reset_glitch        -- random short and long rst_ni pulses (some shorter than a
                           clock period) against a cycle model of the flop chain, checked
                           at every change and every clock edge.
"""

from __future__ import annotations

import os

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge, Timer
from cocotb.utils import get_sim_time

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import CLK_PERIOD_NS, make_rngs


class TB:
    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.stages = int(os.environ["SF_RESET_STAGES"])
        self.rng, _, seed = make_rngs()
        dut._log.info("%s: Stages=%d, regression seed %s (re-run with SF_SEED=%s)",
                      name, self.stages, seed, seed)
        self.clock = Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns")
        self.clock.start()
        # Clock edges fall at this time plus whole periods (a test may start at any time:
        # the previous test's end).
        self.clock_start_ps = int(get_sim_time("ps"))

    async def rst_out(self) -> int:
        """rst_no 1 ps from now (the design has no delays: settled, and the test may
        still drive rst_ni afterwards, unlike in the ReadOnly phase)."""
        await Timer(1, unit="ps")
        return int(self.dut.rst_no.value)

    async def settle_released(self) -> None:
        """rst_ni high long enough for rst_no to be high."""
        self.dut.rst_ni.value = 1
        for _ in range(self.stages + 1):
            await RisingEdge(self.dut.clk_i)
        assert await self.rst_out() == 1, "rst_no not released after Stages edges"

    async def offset_in_period(self) -> None:
        """Wait a random time into the next clock period (1 ps .. period - 1 ps)."""
        await FallingEdge(self.dut.clk_i)
        await RisingEdge(self.dut.clk_i)
        await Timer(self.rng.randrange(1, CLK_PERIOD_NS * 1000), unit="ps")


@cocotb.test(timeout_time=200, timeout_unit="us")
async def reset_async_assert(dut):
    tb = TB(dut, "reset_async_assert")
    dut.rst_ni.value = 0
    await Timer(3 * CLK_PERIOD_NS, unit="ns")
    for _ in range(60):
        await tb.settle_released()
        await tb.offset_in_period()
        dut.rst_ni.value = 0
        await Timer(1, unit="ps")
        assert await tb.rst_out() == 0, "rst_no did not follow rst_ni low within 1 ps"
        await Timer(tb.rng.randrange(1, 4 * CLK_PERIOD_NS), unit="ns")
        assert await tb.rst_out() == 0, "rst_no released while rst_ni held low"
    # Clock stopped: assertion must still reach the output.
    await tb.settle_released()
    tb.clock.stop()
    await Timer(3 * CLK_PERIOD_NS, unit="ns")
    dut.rst_ni.value = 0
    await Timer(1, unit="ps")
    assert await tb.rst_out() == 0, "rst_no did not assert without a clock"
    await Timer(5 * CLK_PERIOD_NS, unit="ns")
    dut.rst_ni.value = 1
    await Timer(5 * CLK_PERIOD_NS, unit="ns")
    assert await tb.rst_out() == 0, "rst_no released without a clock edge"


@cocotb.test(timeout_time=200, timeout_unit="us")
async def reset_sync_release(dut):
    tb = TB(dut, "reset_sync_release")
    dut.rst_ni.value = 0
    await Timer(3 * CLK_PERIOD_NS, unit="ns")
    for _ in range(60):
        dut.rst_ni.value = 0
        await tb.offset_in_period()
        dut.rst_ni.value = 1
        # Stages-1 rising edges: still in reset, and the output never moves between edges.
        for edge in range(tb.stages):
            assert await tb.rst_out() == 0, f"rst_no high {edge} edges after release"
            await RisingEdge(dut.clk_i)
            if edge < tb.stages - 1:
                await Timer(1, unit="ps")
                assert await tb.rst_out() == 0, f"rst_no high after edge {edge + 1} < Stages"
        await Timer(1, unit="ps")
        assert await tb.rst_out() == 1, "rst_no not released at the Stages-th edge"
        await Timer(tb.rng.randrange(1, 5 * CLK_PERIOD_NS), unit="ns")
        assert await tb.rst_out() == 1


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def reset_glitch(dut):
    """Random rst_ni waveform vs. a model: the flop chain, cleared while rst_ni is low."""
    tb = TB(dut, "reset_glitch")
    dut.rst_ni.value = 0
    await Timer(3 * CLK_PERIOD_NS, unit="ns")
    chain = [0] * tb.stages
    level = 0
    errors: list[str] = []

    async def model_edges() -> None:
        nonlocal chain
        while True:
            await RisingEdge(dut.clk_i)
            if level:
                chain = [1] + chain[:-1]
            await Timer(1, unit="ps")
            got = await tb.rst_out()
            if got != chain[-1]:
                errors.append(f"{get_sim_time('ns'):.3f} ns edge: rst_no={got} model={chain[-1]}")

    cocotb.start_soon(model_edges())
    pulses = 0
    for _ in range(400):
        # Change rst_ni away from the clock edge (a change at the edge itself is the
        # metastable case that the extra stage exists for, not modelled here).
        await Timer(tb.rng.choice([tb.rng.randrange(1, 1000), tb.rng.randrange(1000, 30000)]), unit="ps")
        t_ps = (int(get_sim_time("ps")) - tb.clock_start_ps) % (CLK_PERIOD_NS * 1000)
        if t_ps < 100 or t_ps > CLK_PERIOD_NS * 1000 - 100:
            continue
        level ^= 1
        dut.rst_ni.value = level
        if not level:
            chain = [0] * tb.stages
            pulses += 1
        await Timer(1, unit="ps")
        got = await tb.rst_out()
        if got != chain[-1]:
            errors.append(f"rst_ni={level}: rst_no={got} model={chain[-1]}")
        assert len(errors) < 10, "\n".join(errors)
    assert pulses > 50, f"only {pulses} reset pulses generated"
    assert not errors, "\n".join(errors)


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
SIM_STAGES = [1, 2, 3]   # 1: a reset-tree stage
LINT_STAGES = SIM_STAGES + [8]
SOURCES = [RTL_DIR / "sf_reset_sync.sv"]


@pytest.mark.parametrize("stages", LINT_STAGES)
def test_sf_reset_sync_lint(stages):
    res = lint(SOURCES, "sf_reset_sync", {"Stages": stages})
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("stages", SIM_STAGES)
def test_sf_reset_sync(stages):
    run_cocotb(
        toplevel="sf_reset_sync",
        sources=SOURCES,
        test_module="test_sf_reset_sync",
        parameters={"Stages": stages},
        extra_env={"SF_RESET_STAGES": str(stages)},
        build_name=f"sf_reset_sync-s{stages}",
    )
