"""Frame-level cocotb harness for any pixel-stream DUT of this project.

A DUT with ``clk_i``, ``rst_ni``, ``s_axis_*`` in and ``m_axis_*`` out (the conv blocks,
the frozen core, ...) gets frames streamed in with random tvalid gaps, is read with
random tready stalls, and every output frame is compared bit for bit with the expected
frames from the golden model.  Built on :mod:`sfstream`.
"""

from __future__ import annotations

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, with_timeout

from sfstream import (CLK_PERIOD_NS, CycleCounter, StreamSink, StreamSource, compare_frames,
                      make_rngs, pauses, reset_dut, split_frames)


def to_unsigned(frame: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement view of a (possibly signed) integer frame, as packed on the bus."""
    return (np.asarray(frame, dtype=np.int64) & ((1 << bits) - 1)).astype(np.uint64)


class StreamTB:
    """Clock, reset, a source on ``s_axis`` and a sink on ``m_axis``."""

    def __init__(self, dut, *, p_in_pause: float = 0.0, p_out_pause: float = 0.0,
                 max_burst: int = 4) -> None:
        self.dut = dut
        self.log = dut._log
        self.rng, self.np_rng, self.seed = make_rngs()
        self.log.info("regression seed %s (re-run with SF_SEED=%s)", self.seed, self.seed)
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())
        self.counter = CycleCounter(dut.clk_i)
        self.source = StreamSource(dut, "s_axis", dut.clk_i, counter=self.counter, rng=self.rng,
                                   pause=pauses(self.rng, p_in_pause, max_burst))
        self.sink = StreamSink(dut, "m_axis", dut.clk_i, counter=self.counter,
                               pause=pauses(self.rng, p_out_pause, max_burst))

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    async def run_frames(self, frames: list[np.ndarray], in_bits: int, expected: list[np.ndarray],
                         out_bits: int, *, timeout_cycles: int, gap_cycles: int = 0) -> None:
        """Stream *frames*, wait for every expected output pixel, compare bit for bit."""
        for frame in frames:
            self.source.send_frame(frame, in_bits)
            if gap_cycles:
                self.source.idle(gap_cycles)
        ho, wo, c = expected[0].shape
        want = len(expected) * ho * wo

        async def done() -> None:
            while len(self.sink.beats) < want:
                await RisingEdge(self.dut.clk_i)

        await with_timeout(done(), timeout_cycles * CLK_PERIOD_NS, "ns")
        for _ in range(20):  # nothing extra may follow
            await RisingEdge(self.dut.clk_i)
        assert len(self.sink.beats) == want, f"{len(self.sink.beats)} output pixels, expected {want}"
        got, _ = split_frames(self.sink.beats, ho, wo, c, out_bits)
        compare_frames(got, [to_unsigned(e, out_bits) for e in expected], channels=c)
        assert int(self.dut.frame_err_o.value) == 0, "frame_err_o set on a well-formed stream"
        self.log.info("%d frames of %dx%dx%d matched the golden model bit for bit (%d cycles)",
                      len(expected), ho, wo, c, self.counter.cycle)
