"""Frozen convolution block (generated): random layers against the golden model.

For each case the pytest side draws a random frozen layer (weights 2..8 bit, zero
weights and an all-zero output channel included), generates its RTL, lints it, and runs
the cocotb test below: random frames (>= 1000 pixels a case) with random tvalid gaps and
random tready stalls, every output pixel compared bit for bit with ``golden.conv``.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

import cocotb

from semifreddo import BUILD_DIR, golden
from semifreddo.netdesc import ConvSpec, Requant
from semifreddo.weights import ConvWeights

# ----------------------------------------------------------------------------- cocotb side


def load_case(path: str) -> tuple[ConvSpec, ConvWeights]:
    with np.load(path) as z:
        d = json.loads(str(z["spec"]))
        d["requant"] = Requant(tuple(d["requant"]["mult"]), d["requant"]["shift"])
        return ConvSpec(**d), ConvWeights(z["weight"].astype(np.int64), z["bias"].astype(np.int64))


async def _run(dut, p_in: float, p_out: float, frames: int, gap: int = 0) -> None:
    from convtb import StreamTB

    spec, cw = load_case(os.environ["SF_CASE"])
    tb = StreamTB(dut, p_in_pause=p_in, p_out_pause=p_out)
    await tb.reset()
    lo, hi = (-(1 << (spec.in_bits - 1)), 1 << (spec.in_bits - 1)) if spec.in_signed else (0, 1 << spec.in_bits)
    shape = (spec.in_height, spec.in_width, spec.in_channels)
    inputs = [tb.np_rng.integers(lo, hi, size=shape) for _ in range(frames)]
    inputs[0].flat[: 2 * spec.in_channels] = [lo, hi - 1] * spec.in_channels  # the extremes
    expected = [golden.conv(x, cw, spec) for x in inputs]
    pixels = frames * spec.in_height * spec.in_width
    await tb.run_frames(inputs, spec.in_bits, expected, spec.out_bits,
                        timeout_cycles=40 * pixels + 2000, gap_cycles=gap)


@cocotb.test()
async def back_to_back(dut):
    """Frames back to back, no stalls."""
    await _run(dut, 0.0, 0.0, frames=2)


@cocotb.test()
async def random_stalls(dut):
    """Random tvalid gaps and random tready stalls, idle gaps between frames."""
    await _run(dut, 0.3, 0.3, frames=2, gap=7)


@cocotb.test()
async def heavy_backpressure(dut):
    """The sink is stalled most of the time: the credit logic must never drop a pixel."""
    await _run(dut, 0.05, 0.8, frames=1)


# ----------------------------------------------------------------------------- pytest side

CASES = {
    # name: (kernel, stride, cin, cout, weight_bits, strategy, in_signed, activation, height, width,
    #        digits)
    "k3s1_3x8_w8_cmvm": (3, 1, 3, 8, 8, "cmvm", False, "relu", 29, 37, 1),
    "k3s2_16x16_w6_csd": (3, 2, 16, 16, 6, "csd", False, "relu", 33, 34, 1),
    "k3s1_16x16_w4_cmvm_signed": (3, 1, 16, 16, 4, "cmvm", True, "none", 25, 41, 1),
    "k1s1_8x4_w2_cmvm": (1, 1, 8, 4, 2, "cmvm", False, "none", 31, 33, 1),
    "k1s2_5x6_w7_csd": (1, 2, 5, 6, 7, "csd", True, "relu", 35, 30, 1),
    "k3s2_4x3_w3_cmvm": (3, 2, 4, 3, 3, "cmvm", False, "relu", 32, 33, 1),
    "k3s1_6x5_w5_csd": (3, 1, 6, 5, 5, "csd", False, "none", 27, 38, 1),
    # digit-serial (the reference's blocks 1 and 2 take 4 digits of 2 bits)
    "k3s1_8x8_w4_cmvm_d4": (3, 1, 8, 8, 4, "cmvm", False, "relu", 21, 26, 4),
    "k3s1_6x5_w5_csd_signed_d3": (3, 1, 6, 5, 5, "csd", True, "none", 23, 27, 3),
    "k1s2_8x4_w3_cmvm_signed_d8": (1, 2, 8, 4, 3, "cmvm", True, "relu", 30, 31, 8),
}


def make_case(name: str, seed: int) -> tuple[ConvSpec, ConvWeights]:
    k, s, cin, cout, wb, strategy, in_signed, act, h, w, _ = CASES[name]
    rng = np.random.default_rng(seed)
    in_bits, out_bits = 8, 8
    n = k * k * cin
    wmax = (1 << (wb - 1)) - 1
    weight = rng.integers(-wmax - 1, wmax + 1, size=(cout, cin, k, k))
    weight[rng.random(weight.shape) < 0.2] = 0          # sparse zeros
    weight[cout - 1] = 0                                 # an all-zero output channel
    # Scale so outputs spread over the output range instead of saturating.
    spread = int(np.sqrt(n)) * (1 << (wb - 1)) * (1 << in_bits) // 2
    shift = max(0, spread.bit_length() - out_bits)
    bias = rng.integers(-(1 << shift) * 64, (1 << shift) * 64 + 1, size=cout)
    mult = tuple(int(m) for m in rng.integers(1, 4, size=cout))
    spec = ConvSpec(name=name, kernel=k, stride=s, in_channels=cin, out_channels=cout,
                    in_bits=in_bits, in_signed=in_signed, in_height=h, in_width=w,
                    weight_bits=wb, bias_bits=24, requant=Requant(mult, shift + 1),
                    activation=act, out_bits=out_bits, strategy=strategy)
    return spec, ConvWeights(weight, bias)


@pytest.mark.parametrize("case", list(CASES))
def test_frozen_conv(case):
    from semifreddo.rtlgen import LIBRARY, frozen_block
    from semifreddo.simulate import run_cocotb, test_seed
    from semifreddo.toolchain import lint
    from semifreddo import RTL_DIR

    seed = test_seed()
    print(f"test_frozen_conv[{case}]: seed {seed} (re-run with SF_SEED={seed})")
    spec, cw = make_case(case, seed)
    out = BUILD_DIR / "gen" / "frozen_conv" / case
    blk = frozen_block(spec, cw, f"fc_{case}", [f"tb/frozen_conv case {case}, seed {seed}"], 2, out,
                       digits=CASES[case][-1])
    sources = [RTL_DIR / f for f in LIBRARY] + blk.files
    proc = lint(sources, top=blk.module)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    case_file = out / "case.npz"
    np.savez(case_file, spec=json.dumps(dataclasses.asdict(spec)), weight=cw.weight, bias=cw.bias)
    run_cocotb(toplevel=blk.module, sources=sources, test_module="test_frozen_conv",
               build_name=f"frozen_conv_{case}", seed=seed, extra_env={"SF_CASE": str(case_file)})
