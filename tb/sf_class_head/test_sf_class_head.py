"""Testbench for rtl/sf_class_head.sv: cocotb tests plus the pytest entry points.

The DUT is ``sf_class_head_tb.sv`` (this folder): the head with its two weight memories
(``sf_weight_mem``, Lanes = 1) whose host ports the testbench uses to load random
weights and biases into both banks.  Frames carry alternating (or random) ``tbank``;
every frame's scores, both the score stream beats and ``scores_o`` at its
``scores_valid_o`` pulse, are compared bit for bit with ``golden.classify`` using that
bank's values.  Every cycle: ``scores_o`` changes only with a ``scores_valid_o`` pulse,
``frame_count_o`` counts the pulses, the score stream is AXI-stable (``StreamSink``).

cocotb tests (run for every parameter set):
  * back_to_back          -- frames with no gaps and no output stalls: the input never
                             stalls (one transfer per clock from the first pixel to the
                             last), scores_valid_o exactly Classes*Channels + 4 clocks after
                             each frame's last pixel.
  * back_to_back_stalls   -- no input gaps, random tready stalls on the score stream: the
                             input still never stalls.
  * random_traffic        -- random tvalid gaps, random tready stalls, idle gaps, random
                             banks; then both banks are rewritten and more frames follow.
  * heavy_backpressure    -- the score stream is stopped until the input stalls (it must,
                             and only on a frame's last pixel), then stalled 90 % of the
                             time: no score is lost or duplicated.
  * bad_markers           -- tuser/tlast on the wrong pixels: the pixel counter is
                             authoritative (scores still exact), frame_err_o goes high.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque
from dataclasses import dataclass

import numpy as np
import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, with_timeout

from semifreddo import RTL_DIR, golden
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint
from semifreddo.weights import ConvWeights

from sfstream import CLK_PERIOD_NS, CycleCounter, StreamSink, make_rngs, pack, pauses, reset_dut

TB_DIR = os.path.dirname(os.path.abspath(__file__))
MASK32 = (1 << 32) - 1


def clog2(n: int) -> int:
    return max(0, (n - 1).bit_length())


def score_width(p: dict) -> int:
    """docs/arithmetic.md section 4: max(Bo + 1 + clog2(H*W) + Bw + clog2(C), Bb) + 1."""
    dot = p["InBits"] + 1 + clog2(p["Width"] * p["Height"]) + p["WeightBits"] + clog2(p["Channels"])
    return max(dot, p["BiasBits"]) + 1


def to_signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) & 1 else v


# ----------------------------------------------------------------------------- cocotb side


@dataclass(frozen=True)
class Pixel:
    data: int
    user: int
    last: int
    bank: int | None   # None: random garbage on tbank


class PixelSource:
    """Drives s_axis_* (tbank included) from a queue of pixels and idle gaps.

    Same discipline as ``sfstream.StreamSource``: drive on the falling edge, sample
    tready in ReadOnly, random tvalid gaps from *pause*, garbage on every payload line
    while tvalid is low.  ``accept_cycles``: CycleCounter value of every transfer;
    ``stall_cycles``: cycles with tvalid high and tready low.
    """

    def __init__(self, dut, counter: CycleCounter, rng: random.Random, pause) -> None:
        self.dut, self.counter, self.rng, self.pause = dut, counter, rng, pause
        self.bits = len(dut.s_axis_tdata)
        self.queue: deque[Pixel | int] = deque()
        self.current: Pixel | None = None
        self.gap = 0
        self.accept_cycles: list[int] = []
        self.stall_cycles = 0
        self.stalled_pixels: set[int] = set()   # stream index of every pixel that stalled
        dut.s_axis_tvalid.value = 0
        cocotb.start_soon(self._run())

    @property
    def busy(self) -> bool:
        return bool(self.queue) or self.current is not None or self.gap > 0

    def _garbage(self) -> None:
        d, r = self.dut, self.rng
        d.s_axis_tdata.value = r.getrandbits(self.bits)
        d.s_axis_tuser.value = r.getrandbits(1)
        d.s_axis_tlast.value = r.getrandbits(1)
        d.s_axis_tbank.value = r.getrandbits(1)

    async def _run(self) -> None:
        d = self.dut
        while True:
            await FallingEdge(d.clk_i)
            if self.current is None:
                while self.gap == 0 and self.queue and isinstance(self.queue[0], int):
                    self.gap = self.queue.popleft()
                if self.gap > 0:
                    self.gap -= 1
                elif self.queue and not next(self.pause):
                    self.current = self.queue.popleft()
            if self.current is None:
                d.s_axis_tvalid.value = 0
                self._garbage()
            else:
                px = self.current
                d.s_axis_tvalid.value = 1
                d.s_axis_tdata.value = px.data
                d.s_axis_tuser.value = px.user
                d.s_axis_tlast.value = px.last
                d.s_axis_tbank.value = self.rng.getrandbits(1) if px.bank is None else px.bank
            await ReadOnly()
            if self.current is not None:
                if d.s_axis_tready.value == 1:
                    self.accept_cycles.append(self.counter.cycle)
                    self.current = None
                else:
                    self.stall_cycles += 1
                    self.stalled_pixels.add(len(self.accept_cycles))


class TB:
    def __init__(self, dut, name: str, *, p_in: float = 0.0, p_out: float = 0.0,
                 out_burst: int = 4) -> None:
        self.dut = dut
        self.log = dut._log
        self.p = json.loads(os.environ["SF_HEAD"])
        p = self.p
        self.w, self.h, self.c, self.n = p["Width"], p["Height"], p["Channels"], p["Classes"]
        self.in_bits, self.signed = p["InBits"], bool(p["InSigned"])
        self.wb, self.bb, self.sw = p["WeightBits"], p["BiasBits"], p["ScoreWidth"]
        self.rng, self.np_rng, seed = make_rngs()
        self.log.info("%s: %s, regression seed %s (re-run with SF_SEED=%s)", name, p, seed, seed)
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        self.source = PixelSource(dut, self.counter, self.rng, pauses(self.rng, p_in, 4))
        self.sink = StreamSink(dut, "m_axis", dut.clk_i, counter=self.counter,
                               pause=pauses(self.rng, p_out, out_burst))
        self.banks: list[ConvWeights | None] = [None, None]
        self.sent: list[tuple[np.ndarray, int, int]] = []   # (frame, bank, golden index)
        self.expected: list[np.ndarray] = []
        self.pulses: list[tuple[int, int, int]] = []   # (cycle, scores_o, frame_count_o)
        self.errors: list[str] = []
        dut.host_bank_i.value = 0
        for m in ("w", "b"):
            getattr(dut, f"{m}_host_req_i").value = 0
            getattr(dut, f"{m}_host_req_is_wr_i").value = 0
            getattr(dut, f"{m}_host_addr_i").value = 0
            getattr(dut, f"{m}_host_wr_data_i").value = 0
            getattr(dut, f"{m}_host_wr_biten_i").value = 0
        cocotb.start_soon(self._watch_scores())

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    # ---------------------------------------------------------------- weights
    def random_weights(self, extremes: bool = True) -> ConvWeights:
        r = self.np_rng
        wlo, whi = -(1 << (self.wb - 1)), (1 << (self.wb - 1)) - 1
        blo, bhi = -(1 << (self.bb - 1)), (1 << (self.bb - 1)) - 1
        weight = r.integers(wlo, whi + 1, size=(self.n, self.c), dtype=np.int64)
        bias = r.integers(blo, bhi + 1, size=self.n, dtype=np.int64)
        weight[r.random(weight.shape) < 0.1] = 0
        if extremes:
            # Class 0 / last class: the extreme dot products (with all-max / all-min
            # frames this reaches the bounds the score width is computed from).
            weight[0, :], bias[0] = wlo, blo
            weight[-1, :], bias[-1] = whi, bhi
        return ConvWeights(weight, bias)

    async def write_bank(self, bank: int, cw: ConvWeights) -> None:
        """Write fw (index n*C + c) and fb (index n) into *bank* through the host ports."""
        d = self.dut
        wvals = [int(v) for v in cw.weight.reshape(-1)]
        bvals = [int(v) for v in cw.bias]
        await FallingEdge(d.clk_i)
        d.host_bank_i.value = 1 - bank          # the host writes the shadow bank
        for i in range(max(len(wvals), len(bvals))):
            for m, vals, bits in (("w", wvals, self.wb), ("b", bvals, self.bb)):
                req = i < len(vals)
                vmask = (1 << bits) - 1
                junk = self.rng.getrandbits(32) & ~vmask & MASK32   # dropped by the memory
                getattr(d, f"{m}_host_req_i").value = int(req)
                getattr(d, f"{m}_host_req_is_wr_i").value = 1
                getattr(d, f"{m}_host_addr_i").value = 4 * i if req else 0
                getattr(d, f"{m}_host_wr_data_i").value = (vals[i] & vmask) | junk if req else 0
                getattr(d, f"{m}_host_wr_biten_i").value = MASK32
            await FallingEdge(d.clk_i)
        for m in ("w", "b"):
            getattr(d, f"{m}_host_req_i").value = 0
        await FallingEdge(d.clk_i)
        self.banks[bank] = cw

    async def load_banks(self) -> None:
        for b in (0, 1):
            await self.write_bank(b, self.random_weights())

    # ---------------------------------------------------------------- frames
    def random_frame(self, kind: str = "random") -> np.ndarray:
        lo, hi = ((-(1 << (self.in_bits - 1)), (1 << (self.in_bits - 1)) - 1) if self.signed
                  else (0, (1 << self.in_bits) - 1))
        shape = (self.h, self.w, self.c)
        if kind == "max":
            return np.full(shape, hi, dtype=np.int64)
        if kind == "min":
            return np.full(shape, lo, dtype=np.int64)
        f = self.np_rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
        mask = self.np_rng.random(shape)
        f[mask < 0.1] = lo
        f[mask > 0.9] = hi
        return f

    def send_frame(self, frame: np.ndarray, bank: int, *, bad_markers: bool = False) -> None:
        assert self.banks[bank] is not None
        flat = frame.reshape(self.h * self.w, self.c)
        words = [pack(px, self.in_bits) for px in flat.tolist()]
        for i, word in enumerate(words):
            user, last = int(i == 0), int(i % self.w == self.w - 1)
            if bad_markers and i == 0:
                user = 0                      # at least one bad marker per frame
            elif bad_markers and self.rng.random() < 0.2:
                if self.rng.random() < 0.5:
                    user ^= 1
                else:
                    last ^= 1
            self.source.queue.append(Pixel(word, user, last, bank if i == 0 else None))
        self.sent.append((frame, bank, len(self.expected)))
        self.expected.append(golden.classify(frame, self.banks[bank]))

    def idle(self, cycles: int) -> None:
        self.source.queue.append(cycles)

    # ---------------------------------------------------------------- monitors
    async def _watch_scores(self) -> None:
        d = self.dut
        prev = None
        prev_count = None
        while True:
            await FallingEdge(d.clk_i)
            await ReadOnly()
            scores = int(d.scores_o.value)
            count = int(d.frame_count_o.value)
            if int(d.scores_valid_o.value):
                self.pulses.append((self.counter.cycle, scores, count))
                if prev_count is not None and count != (prev_count + 1) & MASK32:
                    self.errors.append(f"cycle {self.counter.cycle}: frame_count_o {count} "
                                       f"after {prev_count}")
            else:
                if prev is not None and scores != prev:
                    self.errors.append(f"cycle {self.counter.cycle}: scores_o changed "
                                       "without scores_valid_o")
                if prev_count is not None and count != prev_count:
                    self.errors.append(f"cycle {self.counter.cycle}: frame_count_o changed "
                                       "without scores_valid_o")
            prev, prev_count = scores, count
            if len(self.errors) > 10:
                return

    async def wait_done(self, frames: int | None = None) -> None:
        """Wait until every queued pixel is in and every expected score is out."""
        frames = len(self.expected) if frames is None else frames
        pixels = self.h * self.w

        async def done() -> None:
            while (self.source.busy or len(self.sink.beats) < frames * self.n
                   or len(self.pulses) < frames):
                await RisingEdge(self.dut.clk_i)

        pending = max(0, frames * self.n - len(self.sink.beats))
        budget = 200 * pending + 60 * frames * pixels + 2000
        await with_timeout(done(), budget * CLK_PERIOD_NS, "ns")
        for _ in range(self.n * self.c + 40):     # nothing extra may follow
            await RisingEdge(self.dut.clk_i)

    # ---------------------------------------------------------------- checking
    def check(self, *, frame_err: int = 0) -> None:
        assert not self.errors, "\n".join(self.errors)
        f = len(self.expected)
        n, sw = self.n, self.sw
        assert len(self.source.accept_cycles) == f * self.h * self.w, "pixel count"
        assert len(self.sink.beats) == f * n, f"{len(self.sink.beats)} score beats, expected {f * n}"
        assert len(self.pulses) == f, f"{len(self.pulses)} scores_valid_o pulses, expected {f}"
        for k, exp in enumerate(self.expected):
            beats = self.sink.beats[k * n:(k + 1) * n]
            got = [to_signed(b.data, sw) for b in beats]
            markers = [(b.user, b.last) for b in beats]
            want_markers = [(int(i == 0), int(i == n - 1)) for i in range(n)]
            bank = self.sent[k][1]
            if markers != want_markers:
                raise AssertionError(f"frame {k}: score stream tuser/tlast {markers}, "
                                     f"expected {want_markers}")
            if got != exp.tolist():
                raise AssertionError(f"frame {k} (bank {bank}): score stream {got}, "
                                     f"expected {exp.tolist()}")
            word = self.pulses[k][1]
            held = [to_signed((word >> (i * sw)) & ((1 << sw) - 1), sw) for i in range(n)]
            if held != exp.tolist():
                raise AssertionError(f"frame {k} (bank {bank}): scores_o {held}, "
                                     f"expected {exp.tolist()}")
        assert int(self.dut.frame_err_o.value) == frame_err, \
            f"frame_err_o = {int(self.dut.frame_err_o.value)}, expected {frame_err}"
        self.log.info("%d frames, %d scores matched golden.classify bit for bit "
                      "(%d cycles, %d input stall cycles)", f, f * n, self.counter.cycle,
                      self.source.stall_cycles)

    def last_pixel_cycles(self) -> list[int]:
        per = self.h * self.w
        acc = self.source.accept_cycles
        return [acc[(k + 1) * per - 1] for k in range(len(acc) // per)]


def streaming_frames(tb: TB, count: int, *, bank_of=lambda k: k % 2) -> None:
    kinds = ["max", "min"] + ["random"] * (count - 2)
    for k in range(count):
        tb.send_frame(tb.random_frame(kinds[k]), bank_of(k))


@cocotb.test()
async def back_to_back(dut):
    tb = TB(dut, "back_to_back")
    await tb.reset()
    await tb.load_banks()
    streaming_frames(tb, 20)
    await tb.wait_done()
    tb.check()
    acc = tb.source.accept_cycles
    assert acc[-1] - acc[0] + 1 == len(acc), \
        f"input stalled: {len(acc)} pixels took {acc[-1] - acc[0] + 1} cycles"
    lat = [pc - lc for (pc, _, _), lc in zip(tb.pulses, tb.last_pixel_cycles())]
    want = tb.n * tb.c + 6
    assert set(lat) == {want}, f"latency last pixel -> scores_valid_o {lat}, expected {want}"
    tb.log.info("latency last pixel -> scores_o: %d cycles; %d pixels in %d cycles",
                want, len(acc), acc[-1] - acc[0] + 1)


@cocotb.test()
async def back_to_back_stalls(dut):
    tb = TB(dut, "back_to_back_stalls", p_out=0.3, out_burst=3)
    await tb.reset()
    await tb.load_banks()
    streaming_frames(tb, 24, bank_of=lambda k: tb.rng.getrandbits(1))
    await tb.wait_done()
    tb.check()
    acc = tb.source.accept_cycles
    assert acc[-1] - acc[0] + 1 == len(acc), \
        f"input stalled: {len(acc)} pixels took {acc[-1] - acc[0] + 1} cycles"


@cocotb.test()
async def random_traffic(dut):
    tb = TB(dut, "random_traffic", p_in=0.3, p_out=0.4)
    await tb.reset()
    await tb.load_banks()
    for phase in range(2):
        for k in range(12):
            tb.send_frame(tb.random_frame("random" if k > 1 else ("max", "min")[k]),
                          tb.rng.getrandbits(1) if k > 1 else k)
            if tb.rng.random() < 0.4:
                tb.idle(tb.rng.randint(1, 3 * tb.n * tb.c))
        await tb.wait_done()
        if phase == 0:   # new values in both banks: the head must read them, not cache
            await tb.load_banks()
    tb.check()


@cocotb.test()
async def heavy_backpressure(dut):
    """The score stream is stopped until the input stalls, then stalled 90 % of the time."""
    tb = TB(dut, "heavy_backpressure", p_in=0.05, p_out=0.9, out_burst=8)
    await tb.reset()
    await tb.load_banks()
    hold = True
    random_stalls = pauses(tb.rng, 0.9, 8)

    def stalls():
        while True:
            yield True if hold else next(random_stalls)

    tb.sink.set_pause_generator(stalls())
    streaming_frames(tb, 10)

    async def input_stalled() -> None:
        while tb.source.stall_cycles == 0:
            await RisingEdge(dut.clk_i)

    await with_timeout(input_stalled(), 20 * tb.h * tb.w * CLK_PERIOD_NS, "ns")
    hold = False
    await tb.wait_done()
    tb.check()
    per = tb.h * tb.w
    bad = sorted(i for i in tb.source.stalled_pixels if i % per != per - 1)
    assert not bad, f"the input stalled on pixels other than a frame's last: {bad[:10]}"
    tb.log.info("input stalled %d cycles, on %d last pixels", tb.source.stall_cycles,
                len(tb.source.stalled_pixels))


@cocotb.test()
async def bad_markers(dut):
    tb = TB(dut, "bad_markers", p_in=0.2, p_out=0.3)
    await tb.reset()
    await tb.load_banks()
    tb.send_frame(tb.random_frame(), 0)
    await tb.wait_done()
    assert int(dut.frame_err_o.value) == 0, "frame_err_o set on a well-formed frame"
    for k in range(5):
        tb.send_frame(tb.random_frame(), k % 2, bad_markers=True)
    await tb.wait_done()
    tb.check(frame_err=1)


# ----------------------------------------------------------------------------- pytest side

CASES = {
    # unsigned 8-bit input, 5 classes x 6 channels, 12 x 9 frames
    "u8_c6_n5": dict(Width=12, Height=9, Channels=6, InBits=8, InSigned=0, Classes=5,
                     WeightBits=8, BiasBits=20),
    # signed input, the shortest legal frame (26 = 4*4 + 4 + 6 pixels), bias-dominated width
    "s7_c4_n4_tight": dict(Width=2, Height=13, Channels=4, InBits=7, InSigned=1, Classes=4,
                           WeightBits=5, BiasBits=32),
    # degenerate: one column, one channel, one class (tuser and tlast on the same score beat)
    "u4_c1_n1_col": dict(Width=1, Height=9, Channels=1, InBits=4, InSigned=0, Classes=1,
                         WeightBits=2, BiasBits=3),
}


def case_params(name: str) -> dict:
    p = dict(CASES[name])
    p["ScoreWidth"] = score_width(p)
    return p


def _sources():
    return [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_mul.sv", RTL_DIR / "sf_weight_mem.sv", RTL_DIR / "sf_class_head.sv",
            os.path.join(TB_DIR, "sf_class_head_tb.sv")]


@pytest.mark.parametrize("case", list(CASES))
def test_lint(case):
    """The head alone and the harness lint clean with -Wall for every parameter set."""
    p = case_params(case)
    proc = lint([RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_mul.sv", RTL_DIR / "sf_class_head.sv"], top="sf_class_head",
                parameters=p)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = lint(_sources(), top="sf_class_head_tb", parameters=p)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("bad", [dict(ScoreWidth=-1), dict(Height=3)])
def test_elaboration_checks(bad):
    """ScoreWidth below the arithmetic.md width, or a frame too short for the FC: $fatal."""
    p = case_params("s7_c4_n4_tight")
    if bad.get("ScoreWidth") == -1:
        p["ScoreWidth"] -= 1
    else:
        p.update(bad)
    proc = lint([RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_mul.sv", RTL_DIR / "sf_class_head.sv"], top="sf_class_head",
                parameters=p)
    assert proc.returncode != 0 and "sf_class_head:" in proc.stdout + proc.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_sf_class_head(case):
    from semifreddo.simulate import test_seed

    p = case_params(case)
    run_cocotb(toplevel="sf_class_head_tb", sources=_sources(), test_module="test_sf_class_head",
               parameters=p, build_name=f"sf_class_head_{case}", seed=test_seed(),
               extra_env={"SF_HEAD": json.dumps(p)})
