"""Generated shift-add layers (semifreddo.shiftadd) on Verilator: cocotb tests + pytest launchers.

The pytest functions generate a layer into ``build/gen/shiftadd/``, lint it, save ``W`` and
the module's metadata to a ``.npz`` whose path reaches the cocotb side as ``SA_LAYER``, and
run both cocotb tests on one Verilator build:

* ``stream_random``: a new random vector every clock; every output must equal ``W @ x``
  bit for bit exactly ``Latency`` cycles later (so the pipeline really accepts II=1).
* ``every_constant_multiply``: for each input ``j`` and each value ``v`` of its range, the
  vector with only ``x_j = v`` must give ``W[:, j] * v``.

Each layer stacks one 4x18 block per weight width 2..8 (random weights plus the most
negative weight, the maximum, +-2**k, a single-weight row, an all-zero row and an all-zero
column), so one build covers every weight width; builds take ~10 s each, which is what
keeps the launchers down to three.
"""

from __future__ import annotations

import re

import os

import numpy as np
import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

ROWS_PER_WIDTH = 4
N_IN = 18
WEIGHT_WIDTHS = range(2, 9)
STREAM_VECTORS = 300


# --------------------------------------------------------------------------- cocotb side
class ShiftAddTB:
    """Drives ``x_i`` and samples ``y_o`` of a generated module once per clock."""

    def __init__(self, dut, layer: dict[str, np.ndarray]) -> None:
        self.dut = dut
        self.W = layer["W"].astype(np.int64)
        self.in_bits = int(layer["in_bits"])
        self.in_signed = bool(layer["in_signed"])
        self.latency = int(layer["latency"])
        self.out_width = int(layer["out_width"])
        self.n_out, self.n_in = self.W.shape
        if self.in_signed:
            self.lo, self.hi = -(1 << (self.in_bits - 1)), (1 << (self.in_bits - 1)) - 1
        else:
            self.lo, self.hi = 0, (1 << self.in_bits) - 1
        Clock(dut.clk_i, 10, unit="ns").start()

    def pack(self, x: np.ndarray) -> int:
        mask = (1 << self.in_bits) - 1
        return sum((int(v) & mask) << (j * self.in_bits) for j, v in enumerate(x))

    def unpack(self, word: int) -> np.ndarray:
        yw, half = self.out_width, 1 << (self.out_width - 1)
        fields = [(word >> (r * yw)) & ((1 << yw) - 1) for r in range(self.n_out)]
        return np.array([f - (f >= half) * (1 << yw) for f in fields], dtype=np.int64)

    async def stream(self, vectors: np.ndarray) -> np.ndarray:
        """Apply one vector per clock; return the outputs aligned with the vectors.

        Inputs change on the falling edge; the output seen at falling edge ``t`` belongs to
        the vector applied ``latency`` falling edges earlier.  The loop is bounded by
        ``len(vectors) + latency`` cycles.
        """
        outputs = []
        for t in range(len(vectors) + self.latency):
            await FallingEdge(self.dut.clk_i)
            if t >= self.latency:
                outputs.append(self.unpack(self.dut.y_o.value.to_unsigned()))
            self.dut.x_i.value = self.pack(vectors[t] if t < len(vectors) else vectors[0])
        return np.array(outputs)

    def check(self, vectors: np.ndarray, outputs: np.ndarray, what: str) -> None:
        expected = vectors @ self.W.T
        bad = np.argwhere(outputs != expected)
        if bad.size:
            t, r = bad[0]
            raise AssertionError(f"{what}: {len(bad)} mismatches; first: vector {t} row {r}: "
                                 f"got {outputs[t, r]}, expected {expected[t, r]} (x={vectors[t].tolist()})")
        self.dut._log.info("%s: %d vectors x %d outputs match W @ x", what, *outputs.shape)


def _load_layer() -> dict[str, np.ndarray]:
    with np.load(os.environ["SA_LAYER"]) as data:
        return dict(data)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def stream_random(dut) -> None:
    tb = ShiftAddTB(dut, _load_layer())
    rng = np.random.default_rng(cocotb.RANDOM_SEED)
    vectors = rng.integers(tb.lo, tb.hi, size=(STREAM_VECTORS, tb.n_in), endpoint=True)
    vectors[:4] = [np.full(tb.n_in, tb.lo), np.full(tb.n_in, tb.hi),
                   np.where(tb.W[0] > 0, tb.hi, tb.lo), np.where(tb.W[0] > 0, tb.lo, tb.hi)]
    tb.check(vectors, await tb.stream(vectors), "random stream")


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def every_constant_multiply(dut) -> None:
    tb = ShiftAddTB(dut, _load_layer())
    values = np.arange(tb.lo, tb.hi + 1)
    vectors = np.zeros((tb.n_in * len(values), tb.n_in), dtype=np.int64)
    for j in range(tb.n_in):
        vectors[j * len(values):(j + 1) * len(values), j] = values
    tb.check(vectors, await tb.stream(vectors), "one-hot inputs over the whole range")


# --------------------------------------------------------------------------- pytest side
def stacked_weights(seed: int = 1) -> np.ndarray:
    """One 4x18 block per weight width 2..8 with the corner cases listed in the docstring."""
    rng = np.random.default_rng(seed)
    blocks = []
    for bits in WEIGHT_WIDTHS:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        block = rng.integers(lo, hi, size=(ROWS_PER_WIDTH, N_IN), endpoint=True)
        block[1, :2] = [lo, hi]
        block[2] = 0
        block[2, bits] = lo                          # single-weight row, most negative weight
        block[3] = [(-1) ** k << (k % (bits - 1)) for k in range(N_IN)]  # +-2**k
        blocks.append(block)
    W = np.concatenate(blocks)
    W[:, N_IN - 1] = 0                               # an input no output uses
    W[ROWS_PER_WIDTH] = 0                            # an output that is constant zero
    return W


def check_fanout(text: str, fanout: int, copies: bool) -> None:
    """No register of the generated datapath is read by more than *fanout* adders or
    registers; with *copies*, some register was copied (the limit was exercised)."""
    regs = set(re.findall(r"^\s+(\w+) <= ", text, re.M))
    rhs = [m for m in re.findall(r"(?:assign \w+ = |^\s+\w+ <= )(.*);", text, re.M)]
    readers = {r: sum(1 for e in rhs if re.search(rf"\b{r}\b", e)) for r in regs}
    worst = max(readers.values())
    assert worst <= fanout, f"register read {worst} times, limit {fanout}"
    copied = any(re.search(r"_f\d+$", r) for r in regs)
    assert copied == ("(* keep *) always_ff" in text)
    assert copied or not copies, "no register was copied"


LAYERS = [  # strategy, input bits, signed input, adder levels per pipeline stage, register fanout
    ("csd", 8, False, 2, 0),        # inputs not registered, no copies
    ("cmvm", 8, False, 3, 3),       # many copies
    ("cmvm", 6, True, 1, 16),
    ("cmvm", 1, False, 2, 16),      # bit-serial digits: some operands shift past their adder
    ("cmvm", 2, False, 2, 16),      # the reference's 2-bit digits
]


@pytest.mark.parametrize("strategy,in_bits,in_signed,levels,fanout", LAYERS,
                         ids=[f"{s}-{'s' if sg else 'u'}{b}-k{k}-f{f}" for s, b, sg, k, f in LAYERS])
def test_shiftadd_layer(strategy: str, in_bits: int, in_signed: bool, levels: int, fanout: int) -> None:
    from semifreddo import BUILD_DIR
    from semifreddo.shiftadd.emit import generate
    from semifreddo.simulate import run_cocotb
    from semifreddo.toolchain import lint

    W = stacked_weights()
    name = f"sa_tb_{strategy}_{'s' if in_signed else 'u'}{in_bits}_k{levels}_f{fanout}"
    out_dir = BUILD_DIR / "gen" / "shiftadd"
    mod = generate(W, name=name, in_bits=in_bits, in_signed=in_signed, out_dir=out_dir,
                   strategy=strategy, max_levels_per_stage=levels, max_fanout=fanout,
                   layer="tb stacked 2..8-bit")
    if fanout:
        check_fanout(mod.path.read_text(), fanout, copies=fanout <= 3)
    result = lint([mod.path], mod.module)
    assert result.returncode == 0 and "%Warning" not in result.stderr, result.stderr
    layer = out_dir / f"{name}.npz"
    np.savez(layer, W=W, in_bits=in_bits, in_signed=in_signed, latency=mod.latency,
             out_width=mod.out_width)
    run_cocotb(toplevel=mod.module, sources=[mod.path], test_module=__name__,
               extra_env={"SA_LAYER": str(layer)}, build_name=name)
