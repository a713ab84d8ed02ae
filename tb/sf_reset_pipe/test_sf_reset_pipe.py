"""Testbench for rtl/sf_reset_pipe.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set):
  * pipe_random  -- a random rst_ni waveform (pulses of 1..12 clocks, changes anywhere in
                    the clock period but away from the rising edge) against a cycle model,
                    a shift register sampled at every rising edge; rst_no is checked after
                    every edge and just before the next one (it moves only at edges).
  * pipe_power_up -- rst_ni low from the start: rst_no is low once Stages edges have
                    passed, and rises exactly Stages edges after rst_ni does.
"""

from __future__ import annotations

import os

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import CLK_PERIOD_NS, make_rngs


class TB:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.stages = int(dut.Stages.value)
        self.rng, _, seed = make_rngs()
        dut._log.info("Stages=%d, regression seed %s (re-run with SF_SEED=%s)",
                      self.stages, seed, seed)
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def pipe_random(dut):
    tb = TB(dut)
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, tb.stages + 1)
    chain = [0] * tb.stages          # chain[-1] is rst_no
    level, pulses, checked = 0, 0, 0
    for _ in range(300):
        hold = tb.rng.randint(1, 12)
        for _ in range(hold):
            await RisingEdge(dut.clk_i)
            chain = [level] + chain[:-1]
            await ReadOnly()
            assert int(dut.rst_no.value) == chain[-1], f"after the edge: model {chain}"
            checked += 1
            # anywhere in the period after the edge, but not at it
            await Timer(tb.rng.randrange(100, CLK_PERIOD_NS * 1000 - 100), unit="ps")
            assert int(dut.rst_no.value) == chain[-1], "rst_no moved between edges"
        level ^= 1
        pulses += not level
        dut.rst_ni.value = level
    assert pulses > 100 and checked > 1000, (pulses, checked)


@cocotb.test(timeout_time=200, timeout_unit="us")
async def pipe_power_up(dut):
    tb = TB(dut)
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, tb.stages)
    await ReadOnly()
    assert int(dut.rst_no.value) == 0, "not in reset after Stages edges"
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1
    for edge in range(1, tb.stages + 1):
        await RisingEdge(dut.clk_i)
        await ReadOnly()
        assert int(dut.rst_no.value) == (edge == tb.stages), f"edge {edge} after the release"


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
SIM_STAGES = [1, 2, 3]
SOURCES = [RTL_DIR / "sf_reset_pipe.sv"]


@pytest.mark.parametrize("stages", SIM_STAGES + [8])
def test_sf_reset_pipe_lint(stages):
    res = lint(SOURCES, "sf_reset_pipe", {"Stages": stages})
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


def test_sf_reset_pipe_bad_stages():
    res = lint(SOURCES, "sf_reset_pipe", {"Stages": 0})
    assert res.returncode != 0 and "sf_reset_pipe: Stages" in res.stderr, res.stderr


@pytest.mark.parametrize("stages", SIM_STAGES)
def test_sf_reset_pipe(stages):
    run_cocotb(toplevel="sf_reset_pipe", sources=SOURCES, test_module="test_sf_reset_pipe",
               parameters={"Stages": stages}, build_name=f"sf_reset_pipe-s{stages}",
               internal_signals=True)   # reads Stages
