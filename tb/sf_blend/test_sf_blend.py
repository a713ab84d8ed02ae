"""Testbench for rtl/sf_blend.sv (with its internal sf_join): cocotb tests plus the pytest
entry points.

Each case fixes the parameters and a channel map (``BlendMap``: a permutation subset,
repeated frozen channels, Ct > Cf), passed to the build and through ``SF_BLEND``.
cocotb tests:
  * blend_random      -- rounds of frames with random bank stamps (both banks, random
                         tbank on the non-tuser pixels), random alpha per round (0, 2^Ba,
                         values above 2^Ba that must saturate, random; the two banks
                         differ), feature extremes, random tvalid gaps on both inputs and
                         random tready stalls; every output pixel compared bit for bit
                         with ``golden.blend``; output tbank = frame bank on every pixel;
                         markers checked; frame_err_o stays 0.
  * blend_throughput  -- no stalls: 4 clocks latency (+ 3 with InSlice = 1, + 3 with
                         OutSlice = 1), one pixel per clock sustained.
  * blend_mismatch    -- negative: a frozen/trainable tlast disagreement sets frame_err_o.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import cocotb
from cocotb.triggers import ClockCycles

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sf_join"))

from semifreddo import RTL_DIR, golden  # noqa: E402
from semifreddo.simulate import run_cocotb  # noqa: E402
from semifreddo.toolchain import lint  # noqa: E402

from sfstream import Beat, compare_frames, pauses  # noqa: E402
from bankstream import (Harness, banked_beats, banked_sink, banked_source, split_banked,  # noqa: E402
                        to_bus)

#: Clocks from the input pair's transfer to m_axis_tvalid.
LATENCY = 4


class TB(Harness):
    def __init__(self, dut, name: str) -> None:
        super().__init__(dut, name)
        cfg = json.loads(os.environ["SF_BLEND"])
        self.cf, self.ct, self.bits = cfg["Cf"], cfg["Ct"], cfg["Bits"]
        self.signed, self.ba, self.map = bool(cfg["Signed"]), cfg["AlphaBits"], cfg["map"]
        # + 3 for the join's input FIFOs, + 3 for the output FIFO
        self.latency = LATENCY + 3 * cfg["InSlice"] + 3 * cfg["OutSlice"]
        self.lo, self.hi = ((-(1 << (self.bits - 1)), 1 << (self.bits - 1)) if self.signed
                            else (0, 1 << self.bits))
        self.log.info("Cf=%d Ct=%d Bits=%d Signed=%d AlphaBits=%d BlendMap=%s", self.cf,
                      self.ct, self.bits, self.signed, self.ba, self.map)

    async def start(self, p0=0.0, p1=0.0, pout=0.0, burst=4) -> None:
        await self.reset()
        clk, kw = self.dut.clk_i, dict(counter=self.counter, rng=self.rng)
        self.src0 = banked_source(self.dut, "s0_axis", clk, pause=pauses(self.rng, p0, burst), **kw)
        self.src1 = banked_source(self.dut, "s1_axis", clk, pause=pauses(self.rng, p1, burst), **kw)
        self.sink = banked_sink(self.dut, "m_axis", clk, counter=self.counter,
                                pause=pauses(self.rng, pout, burst))

    def draw_alphas(self) -> list[np.ndarray]:
        """alpha port values of bank 0 and 1 (Ba+1 bits each): specials and random, the
        two banks different."""
        one, top = 1 << self.ba, (1 << (self.ba + 1)) - 1
        specials = [0, one, one + 1, top, self.rng.randint(one + 1, top)]
        while True:
            banks = []
            for _ in range(2):
                a = [self.rng.randint(0, one) if self.rng.random() < 0.5 else self.rng.choice(specials)
                     for _ in range(self.ct)]
                banks.append(np.array(a, dtype=np.int64))
            if not np.array_equal(np.minimum(banks[0], one), np.minimum(banks[1], one)):
                return banks

    def set_alphas(self, alphas: list[np.ndarray]) -> None:
        w = self.ba + 1
        for b, a in enumerate(alphas):
            getattr(self.dut, f"alpha{b}_i").value = sum(int(v) << (c * w) for c, v in enumerate(a))

    def draw_frame(self, shape: tuple[int, int, int]) -> np.ndarray:
        x = self.np_rng.integers(self.lo, self.hi, size=shape)
        if self.rng.random() < 0.5:  # extremes
            pick = self.np_rng.integers(0, 3, size=shape)
            x = np.where(pick == 0, self.lo, np.where(pick == 1, self.hi - 1, x))
        return x

    def send(self, f: np.ndarray, t: np.ndarray, bank: int) -> None:
        self.src0.send(banked_beats(f, self.bits, None, self.rng))
        self.src1.send(banked_beats(t, self.bits, bank, self.rng))

    async def run_round(self, frames: int, h: int, w: int, alphas: list[np.ndarray],
                        budget_per_pixel: int, alternate: bool = False) -> None:
        """Stream *frames* frame pairs (banks alternating or random, both present), wait,
        compare with the golden model."""
        self.set_alphas(alphas)
        self.sink.clear()
        expected, banks = [], []
        stamps = [self.rng.getrandbits(1) for _ in range(frames)]
        if alternate or len(set(stamps)) == 1:
            stamps = [(i + stamps[0]) % 2 for i in range(frames)]
        for bank in stamps:
            f = self.draw_frame((h, w, self.cf))
            t = self.draw_frame((h, w, self.ct))
            self.send(f, t, bank)
            expected.append(golden.blend(f[..., self.map], t, alphas[bank], self.ba))
            banks.append(bank)
        n = frames * h * w
        await self.wait_beats([self.sink], n, budget_per_pixel * n + 200)
        got, got_banks = split_banked(self.sink.beats, h, w, self.ct, self.bits)
        compare_frames(got, [to_bus(e, self.bits) for e in expected], channels=self.ct)
        for k, (gb, b) in enumerate(zip(got_banks, banks)):
            assert np.all(gb == b), f"frame {k}: output tbank {gb.tolist()}, frame bank {b}"
        assert int(self.dut.frame_err_o.value) == 0, "frame_err_o set on a well-formed stream"
        self.log.info("%d frames %dx%d (banks %s, alpha %s / %s) matched golden.blend",
                      frames, h, w, banks, alphas[0].tolist(), alphas[1].tolist())


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def blend_random(dut):
    tb = TB(dut, "blend_random")
    await tb.start()
    for k, (p0, p1, pout, burst) in enumerate(((0.3, 0.1, 0.2, 4), (0.1, 0.4, 0.3, 3),
                                               (0.2, 0.2, 0.6, 6), (0.0, 0.0, 0.0, 1))):
        tb.src0.set_pause_generator(pauses(tb.rng, p0, burst))
        tb.src1.set_pause_generator(pauses(tb.rng, p1, burst))
        tb.sink.set_pause_generator(pauses(tb.rng, pout, burst))
        await tb.run_round(6, 5, 7, tb.draw_alphas(), 30, alternate=k % 2 == 0)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def blend_throughput(dut):
    tb = TB(dut, "blend_throughput")
    await tb.start()
    await tb.run_round(4, 8, 16, tb.draw_alphas(), 1, alternate=True)
    n = 4 * 8 * 16
    a0, a1, o = tb.src0.accept_cycles, tb.src1.accept_cycles, tb.sink.beat_cycles
    assert a0 == a1, "the two inputs did not transfer in the same cycles"
    assert a0 == list(range(a0[0], a0[0] + n)), "input side not 1 pixel/clock"
    assert o == list(range(o[0], o[0] + n)), "output side not 1 pixel/clock"
    assert o[0] - a0[0] == tb.latency, f"latency {o[0] - a0[0]}, expected {tb.latency}"


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def blend_mismatch(dut):
    tb = TB(dut, "blend_mismatch")
    await tb.start(0.2, 0.2, 0.2)
    tb.set_alphas(tb.draw_alphas())
    f, t = tb.draw_frame((3, 4, tb.cf)), tb.draw_frame((3, 4, tb.ct))
    b0 = banked_beats(f, tb.bits, None, tb.rng)
    b1 = banked_beats(t, tb.bits, 1, tb.rng)
    b1[5] = Beat(b1[5].data, b1[5].user, b1[5].last ^ 1)
    tb.src0.send(b0)
    tb.src1.send(b1)
    await tb.wait_beats([tb.sink], 12, 400)
    await ClockCycles(dut.clk_i, 2)
    assert int(dut.frame_err_o.value) == 1, "frame_err_o not set by a tlast mismatch"


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: name: (Cf, Ct, Bits, Signed, AlphaBits, BlendMap[, InSlice, OutSlice]); each is one
#: cached Verilator build.
#: The maps are fixed (so the builds are cached) and cover a permutation subset, repeated
#: frozen channels and Ct > Cf; the data and alphas are random per seed.
CASES = {
    "u8_cf6_ct4_ba8": (6, 4, 8, 0, 8, [5, 0, 3, 3]),
    "s8_cf3_ct5_ba4_slices": (3, 5, 8, 1, 4, [2, 1, 0, 2, 1], 1, 1),
    "u8_cf3_ct2_ba6_outslice": (3, 2, 8, 0, 6, [2, 0], 0, 1),
    "u16_cf4_ct3_ba15": (4, 3, 16, 0, 15, [1, 3, 0]),
    "s4_cf2_ct3_ba1": (2, 3, 4, 1, 1, [1, 1, 0]),
}
LINT_CASES = dict(CASES, **{
    "s16_cf16_ct16_ba15": (16, 16, 16, 1, 15, list(range(15, -1, -1))),
    "u2_cf1_ct1_ba1": (1, 1, 2, 0, 1, [0]),
    "s8_cf64_ct8_ba6": (64, 8, 8, 1, 6, [63, 0, 17, 32, 1, 62, 5, 40]),
})

SOURCES = [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_mul.sv", RTL_DIR / "sf_join.sv", RTL_DIR / "sf_blend.sv"]


def blend_params(case: tuple) -> dict:
    cf, ct, bits, signed, ba, cmap, *slices = case
    in_slice, out_slice = slices or (0, 0)
    word = sum(m << (32 * c) for c, m in enumerate(cmap))
    return {"Cf": cf, "Ct": ct, "Bits": bits, "Signed": signed, "AlphaBits": ba,
            "BlendMap": f"{32 * ct}'h{word:x}", "InSlice": in_slice, "OutSlice": out_slice}


@pytest.mark.parametrize("case", list(LINT_CASES))
def test_sf_blend_lint(case):
    res = lint(SOURCES, "sf_blend", blend_params(LINT_CASES[case]))
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_sf_blend(case):
    params = blend_params(CASES[case])
    cfg = {k: v for k, v in params.items() if k != "BlendMap"}
    cfg["map"] = CASES[case][5]
    run_cocotb(
        toplevel="sf_blend",
        sources=SOURCES,
        test_module="test_sf_blend",
        parameters=params,
        extra_env={"SF_BLEND": json.dumps(cfg)},
        build_name=f"sf_blend-{case}",
    )
