"""Testbench for rtl/sf_mul.sv: cocotb tests plus the pytest entry points.

Both implementations run the same tests: the behavioural one, and the ECP5 one
(``SF_ECP5_DSP``: a MULT18X18D with its input and output registers for operands of up to
18 bits) on this folder's simulation model of the primitive, which checks the wrapper's
pin wiring, enables and operand signs.

cocotb tests (run for every parameter set):
  * mul_random   -- random operands (the extremes of each range included), in_en_i and
                    out_en_i random and independent; p_o is compared after every clock
                    with a register model (exact product, then the low PWidth bits).
  * mul_hold     -- both enables low for a stretch: operands and product must hold
                    while the inputs keep changing; then one load and one product.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from semifreddo import ECP5_RTL_DIR, RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import CLK_PERIOD_NS, make_rngs

HERE = os.path.dirname(os.path.abspath(__file__))


def product(a: int, b: int, asigned: bool, bsigned: bool, awidth: int, bwidth: int,
            pwidth: int) -> int:
    """Golden model: a and b (raw bit patterns) read by their signedness, multiplied
    exactly (Python integers), the low *pwidth* bits of the two's complement."""
    av = a - (1 << awidth) if asigned and a >> (awidth - 1) else a
    bv = b - (1 << bwidth) if bsigned and b >> (bwidth - 1) else b
    return (av * bv) & ((1 << pwidth) - 1)


class TB:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.aw = int(dut.AWidth.value)
        self.bw = int(dut.BWidth.value)
        self.asg = bool(int(dut.ASigned.value))
        self.bsg = bool(int(dut.BSigned.value))
        self.pw = int(dut.PWidth.value)
        self.rng, _, self.seed = make_rngs()
        dut._log.info("regression seed %s (SF_SEED=%s repeats it); %dx%d -> %d bits, "
                      "signed %d/%d", self.seed, self.seed, self.aw, self.bw, self.pw,
                      self.asg, self.bsg)
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())
        dut.in_en_i.value = 0
        dut.out_en_i.value = 0
        dut.a_i.value = 0
        dut.b_i.value = 0
        # register model: None = not loaded yet (the DUT's registers have no reset)
        self.ops: tuple[int, int] | None = None
        self.p: int | None = None
        self.checked = 0

    def operand(self, width: int) -> int:
        """Random bit pattern; one in four an extreme (0, all ones, MSB only, MSB-1)."""
        if self.rng.random() < 0.25:
            return self.rng.choice([0, (1 << width) - 1, 1 << (width - 1), (1 << (width - 1)) - 1])
        return self.rng.getrandbits(width)

    async def clock(self, in_en: bool, out_en: bool, a: int, b: int) -> None:
        """Drive one clock's inputs at the falling edge; after the rising edge, check p_o
        against the model, which loads like the registers do."""
        dut = self.dut
        await FallingEdge(dut.clk_i)
        dut.in_en_i.value = int(in_en)
        dut.out_en_i.value = int(out_en)
        dut.a_i.value = a
        dut.b_i.value = b
        # at the coming rising edge: the product of the *old* operands, then the load
        if out_en:
            self.p = None if self.ops is None else product(
                *self.ops, self.asg, self.bsg, self.aw, self.bw, self.pw)
        if in_en:
            self.ops = (a, b)
        await RisingEdge(dut.clk_i)
        await ReadOnly()
        if self.p is not None:
            self.checked += 1
            assert int(dut.p_o.value) == self.p, (
                f"p_o = {int(dut.p_o.value):#x}, expected {self.p:#x} (operands {self.ops})")


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def mul_random(dut):
    tb = TB(dut)
    p_in, p_out = tb.rng.choice([(1.0, 1.0), (0.7, 0.9), (0.3, 0.5), (0.5, 0.2)])
    dut._log.info("enable probabilities: in %.1f, out %.1f", p_in, p_out)
    for _ in range(3000):
        await tb.clock(tb.rng.random() < p_in, tb.rng.random() < p_out,
                       tb.operand(tb.aw), tb.operand(tb.bw))
    assert tb.checked > 1000, f"only {tb.checked} products checked"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def mul_hold(dut):
    tb = TB(dut)
    a, b = tb.operand(tb.aw), tb.operand(tb.bw)
    await tb.clock(True, False, a, b)
    await tb.clock(False, True, tb.operand(tb.aw), tb.operand(tb.bw))
    for _ in range(50):   # inputs change, nothing loads: p_o and the operands hold
        await tb.clock(False, False, tb.operand(tb.aw), tb.operand(tb.bw))
    await tb.clock(False, True, 0, 0)   # product of the held operands again
    await tb.clock(False, False, 0, 0)
    assert tb.p == product(a, b, tb.asg, tb.bsg, tb.aw, tb.bw, tb.pw)


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (AWidth, BWidth, ASigned, BSigned, PWidth): the shapes of the library's multipliers
#: (sf_tconv taps 8 x 9 and requantisation 18 x 17, sf_blend 9 x 9 unsigned alpha,
#: sf_class_head) and the corners (18-bit unsigned operands, a truncated product).
SHAPES = [
    (8, 9, 1, 1, 17),
    (8, 8, 1, 0, 17),     # sf_tconv with unsigned input: one bit of sign extension
    (18, 17, 1, 1, 35),
    (9, 9, 1, 0, 18),
    (18, 18, 0, 0, 38),
    (18, 18, 1, 0, 36),
    (12, 7, 1, 1, 10),
    (21, 8, 1, 1, 29),    # sf_class_head: a wider than a DSP port, two DSPs in ecp5
    (35, 18, 0, 1, 53),   # the widest split: hi 18 bits unsigned, b signed
    (19, 18, 1, 0, 30),   # the narrowest split (hi 2 bits), truncated product
    (32, 32, 0, 1, 64),   # both wider: inferred in both implementations
]
IMPLS = {"generic": {}, "ecp5": {"SF_ECP5_DSP": 1}}
#: The ECP5 branch's primitive wrapper and this folder's model of the primitive.
ECP5_SOURCES = [ECP5_RTL_DIR / "sf_ecp5_mult18.v", Path(HERE) / "MULT18X18D.sv"]


def _params(shape) -> dict[str, int]:
    aw, bw, asg, bsg, pw = shape
    return {"AWidth": aw, "BWidth": bw, "ASigned": asg, "BSigned": bsg, "PWidth": pw}


def _sources(impl: str) -> list:
    return [RTL_DIR / "sf_mul.sv"] + (ECP5_SOURCES if impl == "ecp5" else [])


def _name(shape, impl: str) -> str:
    return f"sf_mul-{impl}-" + "x".join(str(v) for v in shape)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_sf_mul_lint(shape, impl):
    res = lint(_sources(impl), "sf_mul", _params(shape), defines=IMPLS[impl])
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_sf_mul(shape, impl):
    run_cocotb(toplevel="sf_mul", sources=_sources(impl), test_module="test_sf_mul",
               parameters=_params(shape), defines=IMPLS[impl], build_name=_name(shape, impl),
               internal_signals=True)   # reads the parameters


@pytest.mark.parametrize("params", [dict(AWidth=65, BWidth=8), dict(AWidth=8, BWidth=0),
                                    dict(AWidth=8, BWidth=8, PWidth=17),
                                    dict(AWidth=8, BWidth=8, BSigned=0, PWidth=18)],
                         ids=["a65", "b0", "p17", "p18"])
def test_sf_mul_bad_parameters(params):
    res = lint([RTL_DIR / "sf_mul.sv"], "sf_mul", params)
    assert res.returncode != 0 and "sf_mul:" in res.stderr, res.stderr
