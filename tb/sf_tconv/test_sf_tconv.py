"""Trainable convolution block rtl/sf_tconv.sv against the golden model, bit for bit.

The simulated top is ``tb_sf_tconv.sv``: the block plus its two ``sf_weight_mem``
memories (weights with ``Lanes = G*Cin*K*K``, biases with ``Lanes = G``), whose host
ports the test drives the way the register block does.  The frame's bank tag travels as
the top bit of ``tdata`` on both streams (see the wrapper).

Each cocotb test writes two different random weight/bias sets through the host ports,
one per bank (bank b is written while ``active_bank_i = !b``: the host writes the
shadow bank), reads a few values back, and streams random frames stamped with bank tags
(the tag is driven on the ``tuser`` pixel; the other pixels carry random tag bits that
must be ignored).  Every output frame is compared with ``golden.conv`` using the weight
set of its tag, and every output pixel must carry that tag on ``m_axis_tbank``.  While
frames stream, ``active_bank_i`` toggles at random: the datapath must follow the frame
tag only.

cocotb tests (each run for every parameter set):
  * banks_stalls   -- random tvalid gaps, random tready stalls, random idle gaps between
                      frames (including none), tags 0/1 in random order.
  * full_rate      -- frames back to back with no gaps, output always ready.  Where the
                      average window rate is <= 1/Ops (windows per frame * Ops <= pixels
                      per frame, Ops = Cycles * Fold), the input must be accepted in EVERY clock from
                      the first to the last pixel of the run (no stall; the window's
                      flush only follows the last frame).  Otherwise it logs the stalls.
  * backpressure   -- the sink stalls 80% of the time: the credits must never lose a
                      pixel.

Parameter sets (one Verilator build each, <= 5): see ``CASES``.  Re-run a failing seed
with ``SF_SEED=<seed>`` (logged by every test).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, with_timeout

from semifreddo import RTL_DIR
from semifreddo.netdesc import ConvSpec, Requant
from semifreddo.weights import ConvWeights

from sfstream import (CLK_PERIOD_NS, Beat, CycleCounter, StreamSink, StreamSource, compare_frames,
                      frame_words, make_rngs, pauses, reset_dut, split_frames)

TB_DIR = os.path.dirname(os.path.abspath(__file__))

# -------------------------------------------------------------------------------------
# Parameter sets
# -------------------------------------------------------------------------------------
#: name: sf_tconv parameters (Mult and Shift are filled in by :func:`case_params`).
CASES: dict[str, dict] = {
    # K3 S1, G = Cout (one op per window, Cycles = 1): full rate, 1 window per clock.
    "k3s1_g4": dict(Width=12, Height=9, Cin=3, Cout=4, Kernel=3, Stride=1, InBits=8, InSigned=0,
                    WeightBits=8, BiasBits=16, OutBits=8, Relu=1, Groups=4),
    # K3 S2, G = 2 of 8 (Cycles = 4 = T): the stride-limited no-stall case (even sizes).
    "k3s2_g2": dict(Width=16, Height=10, Cin=2, Cout=8, Kernel=3, Stride=2, InBits=8, InSigned=0,
                    WeightBits=6, BiasBits=16, OutBits=8, Relu=1, Groups=2),
    # K1 S1, signed input, activation none, Cout = 7 not a multiple of G = 3 (last entry
    # has one channel), Shift = 0.
    "k1s1_signed_g3": dict(Width=9, Height=7, Cin=5, Cout=7, Kernel=1, Stride=1, InBits=8, InSigned=1,
                           WeightBits=2, BiasBits=20, OutBits=12, Relu=0, Groups=3, Shift=0),
    # K3 S2, G = 1, Fold 3 (Cycles = 3, Ops = 9: 9 taps per op, accumulated), signed
    # 6-bit input, none, odd sizes, wide multipliers (two requantisation chunks), a zero
    # multiplier.
    "k3s2_g1_f3_signed": dict(Width=11, Height=9, Cin=3, Cout=3, Kernel=3, Stride=2, InBits=6,
                              InSigned=1, WeightBits=5, BiasBits=24, OutBits=10, Relu=0, Groups=1,
                              Fold=3),
    # K3 S2, G = 1, Fold 2 as the generator picks for the reference's trainable block 0:
    # Cycles = 2, Ops = 4 = T (no stall), 27 taps in phases of 14 and 13 (+ one zero slot).
    "k3s2_g1_f2": dict(Width=16, Height=10, Cin=3, Cout=2, Kernel=3, Stride=2, InBits=8, InSigned=0,
                       WeightBits=8, BiasBits=16, OutBits=8, Relu=1, Groups=1, Fold=2),
}

#: Lint-only parameter sets (besides the simulated ones and the defaults).
LINT_EXTRA = [
    {},
    dict(Width=64, Height=48, Cin=16, Cout=16, Kernel=3, Stride=2, Groups=4, BiasBits=32),
    dict(Width=2, Height=1, Cin=1, Cout=1, Kernel=1, Stride=2, InBits=16, InSigned=1,
         WeightBits=2, BiasBits=2, OutBits=16, Relu=0, Shift=31, SmoothDepth=2),
    dict(Width=33, Height=17, Cin=8, Cout=5, Kernel=3, Stride=1, InBits=4, WeightBits=8,
         Groups=2, Shift=0, Relu=0),
    dict(Width=20, Height=20, Cin=64, Cout=2, Kernel=3, Stride=1, InBits=17, WeightBits=18,
         BiasBits=32, Groups=1, Shift=20),
    dict(Width=20, Height=20, Cin=64, Cout=2, Kernel=3, Stride=1, InBits=17, WeightBits=18,
         BiasBits=32, Groups=1, Shift=20, Fold=576),
    dict(Width=8, Height=8, Cin=5, Cout=7, Kernel=1, Stride=2, Groups=3, Fold=4),
]


def _mults(name: str, cout: int) -> list[int]:
    """Fixed per case (so the cached build survives new seeds): small, large, one zero."""
    rng = np.random.default_rng(sum(map(ord, name)))
    mult = [int(v) for v in rng.integers(1, 4, size=cout)]
    if name == "k3s2_g1_f3_signed":
        mult = [40000, 0, 65535][:cout]
    return mult


def case_params(name: str) -> tuple[dict, list[int], int]:
    """(Verilog parameters, Mult list, Shift) of a case."""
    p = dict(CASES[name])
    cout = p["Cout"]
    mult = _mults(name, cout)
    if "Shift" not in p:
        # Scale so that outputs spread over the output range instead of saturating.
        taps = p["Kernel"] ** 2 * p["Cin"]
        spread = int(np.sqrt(taps)) * (1 << (p["WeightBits"] - 1)) * (1 << p["InBits"]) // 2
        spread *= max(mult)
        p["Shift"] = max(0, spread.bit_length() - p["OutBits"] + 1)
    word = 0
    for co, m in enumerate(mult):
        word |= m << (16 * co)
    p["Mult"] = f"{16 * cout}'h{word:0{4 * cout}x}"
    return p, mult, p["Shift"]


# -------------------------------------------------------------------------------------
# cocotb side
# -------------------------------------------------------------------------------------
class HostPort:
    """Driver of one sf_weight_mem host port (``<prefix>_host_*``): one request at a time,
    waits for its ack, as the regblock does."""

    def __init__(self, dut, prefix: str, width: int) -> None:
        self.dut = dut
        self.clk = dut.clk_i
        self.width = width
        self.req = getattr(dut, f"{prefix}_host_req_i")
        self.is_wr = getattr(dut, f"{prefix}_host_req_is_wr_i")
        self.addr = getattr(dut, f"{prefix}_host_addr_i")
        self.wdata = getattr(dut, f"{prefix}_host_wr_data_i")
        self.biten = getattr(dut, f"{prefix}_host_wr_biten_i")
        self.rd_ack = getattr(dut, f"{prefix}_host_rd_ack_o")
        self.rd_data = getattr(dut, f"{prefix}_host_rd_data_o")
        self.wr_ack = getattr(dut, f"{prefix}_host_wr_ack_o")
        self.req.value = 0
        self.is_wr.value = 0
        self.addr.value = 0
        self.wdata.value = 0
        self.biten.value = 0

    async def _access(self, idx: int, write: bool, data: int = 0) -> int:
        await FallingEdge(self.clk)
        self.req.value = 1
        self.is_wr.value = int(write)
        self.addr.value = 4 * idx
        self.wdata.value = data & 0xFFFFFFFF
        self.biten.value = 0xFFFFFFFF
        await FallingEdge(self.clk)
        self.req.value = 0
        for _ in range(64):
            await ReadOnly()
            if int((self.wr_ack if write else self.rd_ack).value):
                return int(self.rd_data.value)
            await FallingEdge(self.clk)
        raise AssertionError(f"{self.req._name}: no ack within 64 clocks")

    async def write(self, idx: int, value: int) -> None:
        await self._access(idx, True, value)

    async def read(self, idx: int) -> int:
        v = await self._access(idx, False)
        return v - (1 << 32) if v >> 31 else v


class TconvTB:
    def __init__(self, dut, name: str, *, p_in: float = 0.0, p_out: float = 0.0) -> None:
        self.dut = dut
        self.log = dut._log
        case = json.loads(os.environ["SF_TC_CASE"])
        self.p = case["params"]
        p = self.p
        self.rng, self.np_rng, seed = make_rngs()
        self.log.info("%s on %s: regression seed %s (re-run with SF_SEED=%s)",
                      name, case["name"], seed, seed)
        self.spec = ConvSpec(
            name=case["name"], kernel=p["Kernel"], stride=p["Stride"], in_channels=p["Cin"],
            out_channels=p["Cout"], in_bits=p["InBits"], in_signed=bool(p["InSigned"]),
            in_height=p["Height"], in_width=p["Width"], weight_bits=p["WeightBits"],
            bias_bits=p["BiasBits"], requant=Requant(tuple(case["mult"]), p["Shift"]),
            activation="relu" if p["Relu"] else "none", out_bits=p["OutBits"])
        # Engine clocks per window: Ops = ceil(Cout/G) * Fold.
        self.ops = -(-p["Cout"] // p["Groups"]) * p.get("Fold", 1)
        self.in_width = p["Cin"] * p["InBits"]
        self.out_width = p["Cout"] * p["OutBits"]
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())
        self.counter = CycleCounter(dut.clk_i)
        self.source = StreamSource(dut, "s_axis", dut.clk_i, counter=self.counter, rng=self.rng,
                                   pause=pauses(self.rng, p_in, 4))
        self.sink = StreamSink(dut, "m_axis", dut.clk_i, counter=self.counter,
                               pause=pauses(self.rng, p_out, 4))
        self.wport = HostPort(dut, "w", p["WeightBits"])
        self.bport = HostPort(dut, "b", p["BiasBits"])
        dut.active_bank_i.value = 0
        self.banks: list[ConvWeights] = []
        self.rd_bank_log: list[int] = []

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    # -- weights ----------------------------------------------------------------------
    def random_weights(self) -> ConvWeights:
        s, r = self.spec, self.np_rng
        wmax = 1 << (s.weight_bits - 1)
        weight = r.integers(-wmax, wmax, size=s.weight_shape)
        weight[r.random(weight.shape) < 0.15] = 0
        weight.flat[:2] = [-wmax, wmax - 1]                      # the extremes
        bmax = 1 << (s.bias_bits - 1)
        # Biases around the scale of the products (and one extreme each way).
        scale = max(1, min(bmax, (1 << s.requant.shift) * 64 // max(1, max(s.requant.mult))))
        bias = r.integers(-scale, scale + 1, size=s.out_channels)
        bias = np.clip(bias, -bmax, bmax - 1)
        if s.out_channels >= 4:                          # saturate both ways
            bias[1], bias[2] = bmax - 1, -bmax
        return ConvWeights(weight.astype(np.int64), bias.astype(np.int64))

    async def load_banks(self) -> None:
        """Write a different random set into each bank through the host ports."""
        self.banks = [self.random_weights(), self.random_weights()]
        for bank in (0, 1):
            await FallingEdge(self.dut.clk_i)
            self.dut.active_bank_i.value = 1 - bank      # the host writes the shadow bank
            cw = self.banks[bank]
            w = cw.weight.reshape(-1).tolist()           # row-major (Cout, Cin, K, K)
            b = cw.bias.tolist()

            async def write_all(port: HostPort, values: list[int]) -> None:
                for i, v in enumerate(values):
                    # Junk above the value width must be dropped (sign-trimmed).
                    junk = self.rng.getrandbits(32 - port.width) << port.width if port.width < 32 else 0
                    await port.write(i, (v & ((1 << port.width) - 1)) | junk)

            tw = cocotb.start_soon(write_all(self.wport, w))
            await write_all(self.bport, b)
            await tw
            # Read some back (the shadow bank is still `bank`).
            for port, values in ((self.wport, w), (self.bport, b)):
                for i in self.rng.sample(range(len(values)), min(6, len(values))) + [len(values) - 1]:
                    got = await port.read(i)
                    assert got == values[i], f"bank {bank} {port.req._name} value {i}: read {got}, wrote {values[i]}"
        await FallingEdge(self.dut.clk_i)
        self.log.info("wrote %d weights and %d biases per bank", self.spec.weight_count, self.spec.out_channels)

    async def toggle_active_bank(self) -> None:
        """The host side's bank flips at random: the datapath must not care."""
        while True:
            for _ in range(self.rng.randint(1, 40)):
                await FallingEdge(self.dut.clk_i)
            self.dut.active_bank_i.value = 1 - int(self.dut.active_bank_i.value)

    # -- frames -----------------------------------------------------------------------
    def random_frame(self) -> np.ndarray:
        s = self.spec
        lo, hi = ((-(1 << (s.in_bits - 1)), 1 << (s.in_bits - 1)) if s.in_signed
                  else (0, 1 << s.in_bits))
        x = self.np_rng.integers(lo, hi, size=(s.in_height, s.in_width, s.in_channels))
        x.flat[: 2 * s.in_channels] = [lo, hi - 1] * s.in_channels
        return x

    def frame_beats(self, frame: np.ndarray, tag: int) -> list[Beat]:
        w = self.spec.in_width
        beats = []
        for i, word in enumerate(frame_words(frame, self.spec.in_bits)):
            # The tag counts on the first pixel only; the others carry random tag bits.
            t = tag if i == 0 else self.rng.getrandbits(1)
            beats.append(Beat(word | t << self.in_width, int(i == 0), int(i % w == w - 1)))
        return beats

    async def run(self, count: int, *, gaps: bool = False, label: str = "") -> list[int]:
        """Stream *count* random frames with random tags; check everything.  Returns the
        source's accept cycles."""
        from semifreddo import golden

        s = self.spec
        tags = [self.rng.getrandbits(1) for _ in range(count)]
        tags[:2] = [1, 0] if count > 1 else [1]          # both banks, first frame on bank 1
        frames = [self.random_frame() for _ in range(count)]
        expected = [golden.conv(x, self.banks[t], s) for x, t in zip(frames, tags)]
        for f, t in zip(frames, tags):
            self.source.send(self.frame_beats(f, t))
            if gaps:
                self.source.idle(self.rng.choice([0, 0, 1, 5, 3 * s.in_width]))
        ho, wo = s.out_height, s.out_width
        want = count * ho * wo
        toggler = cocotb.start_soon(self.toggle_active_bank())

        async def done() -> None:
            while len(self.sink.beats) < want:
                await RisingEdge(self.dut.clk_i)

        pixels = count * s.in_height * s.in_width
        budget = 60 * pixels + 50 * want * self.ops + 3000
        await with_timeout(done(), budget * CLK_PERIOD_NS, "ns")
        for _ in range(30):  # nothing extra may follow
            await RisingEdge(self.dut.clk_i)
        toggler.cancel()
        assert len(self.sink.beats) == want, f"{len(self.sink.beats)} output pixels, expected {want}"
        mask = (1 << self.out_width) - 1
        pix = [Beat(b.data & mask, b.user, b.last) for b in self.sink.beats]
        got, _ = split_frames(pix, ho, wo, s.out_channels, s.out_bits)
        for f, t in enumerate(tags):
            seen = {b.data >> self.out_width for b in self.sink.beats[f * ho * wo:(f + 1) * ho * wo]}
            assert seen == {t}, f"frame {f}: m_axis_tbank {sorted(seen)}, frame tag {t}"
        compare_frames(got, [(np.asarray(e, dtype=np.int64) & ((1 << s.out_bits) - 1)).astype(np.uint64)
                             for e in expected], channels=s.out_channels)
        assert int(self.dut.frame_err_o.value) == 0, "frame_err_o set on a well-formed stream"
        allv = np.concatenate([e.reshape(-1) for e in expected])
        lo = 0 if s.activation == "relu" else -(1 << (s.out_bits - 1))
        hi = (1 << s.out_bits) - 1 if s.activation == "relu" else (1 << (s.out_bits - 1)) - 1
        self.log.info("%s%d frames (tags %s) of %dx%dx%d matched golden.conv bit for bit, %d clocks "
                      "(outputs: %.0f%% at the low bound, %.0f%% at the high bound)",
                      label, count, tags, ho, wo, s.out_channels, self.counter.cycle,
                      100 * np.mean(allv == lo), 100 * np.mean(allv == hi))
        self.first_out_cycle = self.sink.beat_cycles[0]
        self.sink.clear()
        acc = list(self.source.accept_cycles)
        self.source.accept_cycles.clear()
        return acc


@cocotb.test()
async def banks_stalls(dut):
    """Random tvalid gaps, tready stalls and idle gaps; both banks by frame tag."""
    tb = TconvTB(dut, "banks_stalls", p_in=0.3, p_out=0.3)
    await tb.reset()
    await tb.load_banks()
    await tb.run(4, gaps=True)


@cocotb.test()
async def full_rate(dut):
    """Back-to-back frames, output always ready: no input stall at the stride-limited rate."""
    tb = TconvTB(dut, "full_rate")
    await tb.reset()
    await tb.load_banks()
    frames = 4
    peak = 0

    async def watch_smoothing() -> None:
        nonlocal peak
        try:
            count = dut.u_dut.sm_count       # absent in a flattened (gate-level) netlist
        except AttributeError:
            peak = -1
            return
        while True:
            await RisingEdge(dut.clk_i)
            peak = max(peak, int(count.value))

    watcher = cocotb.start_soon(watch_smoothing())
    acc = await tb.run(frames)
    watcher.cancel()
    s = tb.spec
    # Latency of the first output pixel: from the input pixel whose slot makes window
    # (0, 0) (pixel Width+1 for Kernel 3, pixel 0 for Kernel 1) to m_axis.
    src = s.in_width + 1 if s.kernel == 3 else 0
    tb.log.info("first output %d clocks after input pixel %d was accepted (Ops=%d); "
                "smoothing FIFO peak %d of %d windows", tb.first_out_cycle - acc[src], src,
                tb.ops, peak, int(tb.p.get("SmoothDepth", 0)) or 2 ** (s.in_width // 4 + 8 - 1).bit_length())
    per_frame = s.in_height * s.in_width
    assert len(acc) == frames * per_frame
    stalls = (acc[-1] - acc[0] + 1) - len(acc)
    windows = s.out_height * s.out_width
    if windows * tb.ops <= per_frame:
        assert stalls == 0, (f"input stalled {stalls} clocks at an average window rate of "
                             f"{windows}/{per_frame} <= 1/{tb.ops}")
        tb.log.info("input accepted in every clock: %d pixels in %d consecutive clocks",
                    len(acc), len(acc))
    else:
        tb.log.info("windows faster than 1/Ops (%d windows x %d clocks > %d pixels a frame): "
                    "%d input stall clocks over %d pixels, as expected", windows, tb.ops,
                    per_frame, stalls, len(acc))


@cocotb.test()
async def backpressure(dut):
    """The sink is stalled most of the time: the credit logic must never drop a pixel."""
    tb = TconvTB(dut, "backpressure", p_in=0.05, p_out=0.8)
    await tb.reset()
    await tb.load_banks()
    await tb.run(2)


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
SOURCES = [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_mul.sv", RTL_DIR / "sf_window.sv", RTL_DIR / "sf_tconv.sv"]
TB_SOURCES = [RTL_DIR / "sf_weight_mem.sv", *SOURCES, os.path.join(TB_DIR, "tb_sf_tconv.sv")]


def _lint(params: dict) -> None:
    from semifreddo.toolchain import lint

    res = lint(SOURCES, "sf_tconv", params)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_sf_tconv_lint(case):
    _lint(case_params(case)[0])


@pytest.mark.parametrize("params", LINT_EXTRA, ids=[f"extra{i}" for i in range(len(LINT_EXTRA))])
def test_sf_tconv_lint_extra(params):
    _lint(params)


@pytest.mark.parametrize("case", list(CASES))
def test_sf_tconv(case):
    from semifreddo.simulate import run_cocotb

    params, mult, _ = case_params(case)
    run_cocotb(
        toplevel="tb_sf_tconv",
        sources=TB_SOURCES,
        test_module="test_sf_tconv",
        parameters=params,
        extra_env={"SF_TC_CASE": json.dumps({"name": case, "params": params, "mult": mult})},
        build_name=f"sf_tconv_{case}",
        internal_signals=True,   # full_rate watches the smoothing FIFO's count
    )
