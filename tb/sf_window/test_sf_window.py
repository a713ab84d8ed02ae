"""Testbench for rtl/sf_window.sv: cocotb tests plus the pytest entry points.

Every output window is compared bit for bit with :func:`sfstream.window_ref`, and every
output frame's tuser/tlast markers are checked.  cocotb tests (run for every parameter
set, each pushing >= 1000 pixels of random data):

  * window_back_to_back -- frames back to back, tvalid/tready always high: the input is
                           accepted on every clock from the first to the last pixel
                           (zero bubbles, also across frame boundaries); the final
                           frame is flushed on its own.
  * window_random_stalls -- random tvalid gaps and random tready stalls.
  * window_frame_gaps    -- idle input exactly at frame boundaries (flush path), with gaps
                            shorter than the flush (next frame arrives mid-flush) and
                            longer (all of the frame must be out before the next starts).
  * window_frame_err     -- misplaced tuser / missing tlast set the sticky frame_err_o;
                            the output framing follows the module's own counters.
"""

from __future__ import annotations

import itertools
import json
import math
import os

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, with_timeout

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import (CLK_PERIOD_NS, Beat, CycleCounter, StreamSink, StreamSource,
                      compare_frames, frame_beats, make_rngs, pauses, random_frames, reset_dut,
                      split_frames, window_ref)

MIN_PIXELS = 1000  # per cocotb test
#: Clocks from the slot (accepted pixel) producing a window to its m_axis_tvalid.
LATENCY = {1: 1, 3: 3}


class TB:
    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.log = dut._log
        p = json.loads(os.environ["SF_WINDOW_PARAMS"])
        self.width, self.height = p["Width"], p["Height"]
        self.channels, self.bits = p["Channels"], p["DataWidth"]
        self.kernel, self.stride = p["Kernel"], p["Stride"]
        self.out_w = math.ceil(self.width / self.stride)
        self.out_h = math.ceil(self.height / self.stride)
        self.elems = self.kernel * self.kernel * self.channels
        self.rng, self.np_rng, seed = make_rngs()
        self.log.info("%s: %s, regression seed %s (re-run with SF_SEED=%s)",
                      name, p, seed, seed)
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        self.source = StreamSource(dut, "s_axis", dut.clk_i, counter=self.counter, rng=self.rng)
        self.sink = StreamSink(dut, "m_axis", dut.clk_i, counter=self.counter)
        self.sent: list = []

    @property
    def frame_pixels(self) -> int:
        return self.width * self.height

    @property
    def flush_cycles(self) -> int:
        """Bound for flushing a finished frame (idle input, tready high): Width+1 flush
        slots plus the 3-clock pipeline, with margin."""
        return 2 * self.width + 8

    def n_frames(self, minimum: int = 2) -> int:
        return max(minimum, -(-MIN_PIXELS // self.frame_pixels))

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)
        self.sink.clear()
        self.sent = []

    def new_frames(self, n: int):
        frames = random_frames(self.np_rng, n, self.height, self.width, self.channels,
                               self.bits)
        self.sent += frames
        return frames

    def out_frames(self) -> tuple[list, int]:
        return split_frames(self.sink.beats, self.out_h, self.out_w, self.elems, self.bits)

    async def wait_input_done(self, cycles_per_pixel: float) -> None:
        pending = sum(f.size for f in self.sent) // self.channels
        budget = int(pending * cycles_per_pixel) + 100 * self.flush_cycles
        await with_timeout(self.source.wait_idle(), budget * CLK_PERIOD_NS, "ns")

    async def wait_output_done(self, max_cycles: int) -> None:
        """Wait (bounded) until every sent frame is out, then check the lot."""
        expected = len(self.sent) * self.out_h * self.out_w
        for _ in range(max_cycles):
            if len(self.sink.beats) >= expected:
                break
            await ClockCycles(self.dut.clk_i, 1)
        await ClockCycles(self.dut.clk_i, 8)  # nothing extra may follow
        self.check()

    def check(self) -> None:
        frames, leftover = self.out_frames()
        assert leftover == 0, f"{leftover} output beats beyond {len(frames)} whole frames"
        compare_frames(frames, [window_ref(f, self.kernel, self.stride) for f in self.sent],
                       channels=self.channels, kernel=self.kernel)


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def window_back_to_back(dut):
    tb = TB(dut, "window_back_to_back")
    await tb.reset()
    for f in tb.new_frames(tb.n_frames(minimum=3)):
        tb.source.send_frame(f, tb.bits)
    await tb.wait_input_done(1.0)
    acc = tb.source.accept_cycles
    n = len(acc)
    assert n == len(tb.sent) * tb.frame_pixels
    # Zero bubbles: one pixel accepted on every clock from the first to the last pixel.
    assert acc[-1] - acc[0] + 1 == n, (
        f"{n} pixels took {acc[-1] - acc[0] + 1} cycles; stalled at cycles "
        f"{[c for a, c in zip(acc, acc[1:]) if c != a + 1][:10]}")
    await tb.wait_output_done(tb.flush_cycles)
    # Documented latency: the first window is valid LATENCY clocks after the pixel whose
    # slot produces it (pixel 0 for 1x1, pixel Width+1 for 3x3).
    out = tb.sink.beat_cycles
    trigger = 0 if tb.kernel == 1 else tb.width + 1
    assert out[0] - acc[trigger] == LATENCY[tb.kernel], (
        f"latency {out[0] - acc[trigger]}, expected {LATENCY[tb.kernel]}")
    if tb.stride == 1:
        # Stride 1 and tready high: the output, final flush included, is one per clock.
        assert out[-1] - out[0] + 1 == len(out), "bubbles in the stride-1 output"


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def window_random_stalls(dut):
    tb = TB(dut, "window_random_stalls")
    await tb.reset()
    n = tb.n_frames()
    phases = [(0.3, 0.3, 3), (0.05, 0.6, 6), (0.6, 0.05, 6), (0.2, 0.2, 1)]
    per_phase = -(-n // len(phases))
    for p_src, p_snk, burst in phases:
        tb.source.set_pause_generator(pauses(tb.rng, p_src, burst))
        tb.sink.set_pause_generator(pauses(tb.rng, p_snk, burst))
        for f in tb.new_frames(per_phase):
            tb.source.send_frame(f, tb.bits)
        await tb.wait_input_done(20.0)
    await tb.wait_output_done(50 * tb.flush_cycles)


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def window_frame_gaps(dut):
    tb = TB(dut, "window_frame_gaps")
    await tb.reset()
    w = tb.width
    long_gap = tb.flush_cycles + 4
    gaps = [1, 2, 3, w // 2, w, w + 1, w + 2, long_gap, 3 * w + 20]
    n = max(tb.n_frames(), len(gaps) + 1)
    stalls = itertools.cycle([None, None, 0.3])  # sink: mostly always-ready
    for k, frame in enumerate(tb.new_frames(n)):
        p = next(stalls)
        tb.sink.set_pause_generator(None if p is None else pauses(tb.rng, p, 3))
        tb.source.send_frame(frame, tb.bits)
        await tb.wait_input_done(20.0)
        gap = gaps[k % len(gaps)] if k < n - 1 else long_gap
        if p is None and gap >= long_gap:
            # Idle input with tready high: the whole frame must come out on its own.
            await ClockCycles(dut.clk_i, gap)
            await ReadOnly()
            frames, leftover = tb.out_frames()
            assert (len(frames), leftover) == (k + 1, 0), (
                f"after frame {k} and {gap} idle cycles: {len(frames)} frames + "
                f"{leftover} beats out, expected {k + 1} frames")
        else:
            tb.source.idle(gap)
    tb.sink.set_pause_generator(None)
    await tb.wait_output_done(50 * tb.flush_cycles)


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def window_frame_err(dut):
    tb = TB(dut, "window_frame_err")
    w, px = tb.width, tb.frame_pixels
    n = max(3, tb.n_frames())
    tb.sink.set_pause_generator(pauses(tb.rng, 0.2, 3))
    for variant in ("tuser", "tlast"):
        await tb.reset()
        assert int(dut.frame_err_o.value) == 0
        frames = tb.new_frames(n)
        tb.source.send_frame(frames[0], tb.bits)
        await tb.wait_input_done(20.0)
        await ReadOnly()
        assert int(dut.frame_err_o.value) == 0, "frame_err_o set by a correct frame"
        if variant == "tuser":
            # tuser on a later pixel instead of the first one.
            tb.source.send_frame(frames[1], tb.bits, user_at=tb.rng.randrange(1, px))
        else:
            # tlast missing on the last pixel of the first row.
            beats = frame_beats(frames[1], tb.bits)
            beats[w - 1] = Beat(beats[w - 1].data, beats[w - 1].user, 0)
            tb.source.send(beats)
        for f in frames[2:]:
            tb.source.send_frame(f, tb.bits)
        await tb.wait_input_done(20.0)
        await ReadOnly()
        assert int(dut.frame_err_o.value) == 1, f"frame_err_o not set by bad {variant}"
        # Counters are authoritative: the output is exactly that of correct frames.
        await tb.wait_output_done(50 * tb.flush_cycles)
        assert int(dut.frame_err_o.value) == 1, "frame_err_o not sticky"
    await tb.reset()
    assert int(dut.frame_err_o.value) == 0, "frame_err_o not cleared by reset"


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (kernel, stride, width, height, channels) simulated; each one cached Verilator build.
SIM_PARAMS = [
    (3, 1, 13, 9, 3),   # odd width and height
    (3, 2, 10, 7, 4),   # stride 2: even width (last column has a real right neighbour), odd height
    (3, 2, 9, 4, 1),    # stride 2: odd width, even height
    (3, 1, 6, 1, 2),    # single-row frames: the look-ahead spans more than a frame
    (3, 1, 2, 3, 1),    # Width 2: line-buffer read coincides with its write-back (forwarding)
    (1, 1, 8, 5, 4),
    (1, 2, 9, 7, 2),
]
#: Lint covers the simulated sets plus extremes.
LINT_PARAMS = SIM_PARAMS + [
    (3, 1, 2, 1, 1),
    (3, 2, 3, 2, 1),
    (3, 2, 1920, 1080, 4),
    (1, 2, 1920, 1080, 3),
    (3, 1, 640, 480, 16),
]

SOURCES = [RTL_DIR / "sf_window.sv"]


def _params(kernel, stride, width, height, channels) -> dict[str, int]:
    return {"Width": width, "Height": height, "Channels": channels, "DataWidth": 8,
            "Kernel": kernel, "Stride": stride}


def _id(p) -> str:
    return "k{}s{}-{}x{}c{}".format(*p)


@pytest.mark.parametrize("kernel,stride,width,height,channels", LINT_PARAMS,
                         ids=[_id(p) for p in LINT_PARAMS])
def test_sf_window_lint(kernel, stride, width, height, channels):
    res = lint(SOURCES, "sf_window", _params(kernel, stride, width, height, channels))
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("kernel,stride,width,height,channels", SIM_PARAMS,
                         ids=[_id(p) for p in SIM_PARAMS])
def test_sf_window(kernel, stride, width, height, channels):
    params = _params(kernel, stride, width, height, channels)
    run_cocotb(
        toplevel="sf_window",
        sources=SOURCES,
        test_module="test_sf_window",
        parameters=params,
        extra_env={"SF_WINDOW_PARAMS": json.dumps(params)},
        build_name=f"sf_window-{_id((kernel, stride, width, height, channels))}",
    )
