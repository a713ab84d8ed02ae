"""cocotb harness of a whole generated SemifreddoNet (``<net>_top``).

The description and frozen weights come from ``SF_NET`` (a description file whose
frozen weights file sits beside it).  The harness drives the pixel input ``s_axis`` with
random tvalid gaps, reads every output stream ``m_<core>_axis`` with random tready
stalls, configures the hardware over AXI4-Lite (cocotbext-axi) exactly as a host does
(:meth:`regmap.RegisterMap.encode_config` into the shadow bank, commit, wait for the
commit to clear), and computes what every output frame must be with the golden model.
"""

from __future__ import annotations

import logging
import os
import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, SimTimeoutError, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from semifreddo import golden, regmap, weights
from semifreddo.netdesc import load_description
from semifreddo.network import outputs_of

from sfstream import Beat, CLK_PERIOD_NS, CycleCounter, StreamSink, StreamSource, make_rngs, pauses, reset_dut

OKAY = 0
OP_TIMEOUT_CYCLES = 2000


class NetTB:
    def __init__(self, dut, *, p_in_pause: float = 0.0, p_out_pause: float = 0.0, max_burst: int = 4,
                 name: str = "network") -> None:
        self.dut = dut
        self.log = dut._log
        self.net = load_description(os.environ["SF_NET"])
        self.frozen = weights.load_frozen(self.net)
        self.m = regmap.build_map(self.net)
        self.outputs = outputs_of(self.net)
        self.rng, self.nprng, seed = make_rngs()
        self.log.info("%s: regression seed %s (re-run with SF_SEED=%s); network %s", name, seed, seed,
                      self.net.name)
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())
        self.counter = CycleCounter(dut.clk_i)
        self.source = StreamSource(dut, "s_axis", dut.clk_i, counter=self.counter, rng=self.rng,
                                   pause=pauses(self.rng, p_in_pause, max_burst))
        self.sinks = {o.core: StreamSink(dut, f"m_{o.core}_axis", dut.clk_i, counter=self.counter,
                                         pause=pauses(self.rng, p_out_pause, max_burst))
                      for o in self.outputs}
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni,
                                 reset_active_level=False)
        for part in (self.axi.write_if, self.axi.read_if):
            part.log.setLevel(logging.WARNING)

    def set_stalls(self, p_in: float, p_out: float, max_burst: int = 4) -> None:
        self.source.set_pause_generator(pauses(self.rng, p_in, max_burst))
        for s in self.sinks.values():
            s.set_pause_generator(pauses(self.rng, p_out, max_burst))

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    # -- host ---------------------------------------------------------------------------
    async def write(self, addr: int, value: int) -> None:
        ev = self.axi.init_write(addr, int(value & 0xFFFFFFFF).to_bytes(4, "little"))
        await with_timeout(ev.wait(), OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")
        assert int(ev.data.resp) == OKAY, f"write {addr:#x}: response {ev.data.resp}"

    async def read(self, addr: int) -> int:
        ev = self.axi.init_read(addr, 4)
        await with_timeout(ev.wait(), OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")
        assert int(ev.data.resp) == OKAY, f"read {addr:#x}: response {ev.data.resp}"
        return int.from_bytes(ev.data.data, "little")

    async def commit_pending(self) -> bool:
        return bool(await self.read(self.m.address("ctrl")) >> self.m.field("ctrl", "commit").lsb & 1)

    async def wait_commit_clear(self, timeout_cycles: int) -> None:
        async def poll() -> None:
            while await self.commit_pending():
                await ClockCycles(self.dut.clk_i, 16)
        await with_timeout(poll(), timeout_cycles * CLK_PERIOD_NS, "ns")

    async def load(self, cfg: weights.Config) -> None:
        """Write *cfg* into the shadow bank (the caller has waited for the commit to clear)."""
        for addr, word in self.m.encode_config(cfg):
            await self.write(addr, word)

    async def commit(self) -> None:
        """Request the bank swap, keeping CTRL.enable set (CTRL is one register)."""
        ctrl = self.m.address("ctrl")
        await self.write(ctrl, 1 << self.m.field("ctrl", "commit").lsb | 1 << self.m.field("ctrl", "enable").lsb)

    async def enable(self) -> None:
        await self.write(self.m.address("ctrl"), 1 << self.m.field("ctrl", "enable").lsb)

    async def check_build_id(self) -> None:
        lo, hi = await self.read(self.m.address("build_id_lo")), await self.read(self.m.address("build_id_hi"))
        assert (hi << 32 | lo) == self.net.build_id, f"build ID {hi:08x}{lo:08x}, expected {self.net.build_id:016x}"

    # -- frames -------------------------------------------------------------------------
    def random_image(self) -> np.ndarray:
        n = self.net
        return self.nprng.integers(0, 1 << n.input_bits, size=(n.input_height, n.input_width, n.input_channels))

    def expected(self, cfg: weights.Config, image: np.ndarray) -> dict[str, list[Beat]]:
        res = golden.run(self.net, self.frozen, cfg, image)
        return {o.core: [Beat(*b) for b in o.beats_of(o.values(res))] for o in self.outputs}

    def send(self, image: np.ndarray) -> None:
        self.source.send_frame(image.astype(np.uint64), self.net.input_bits)

    def frames_out(self) -> int:
        """Complete frames received on every output."""
        return min(len(self.sinks[o.core].beats) // o.beats for o in self.outputs)

    async def wait_frames(self, count: int, timeout_cycles: int) -> None:
        async def done() -> None:
            while self.frames_out() < count:
                await RisingEdge(self.dut.clk_i)
        try:
            await with_timeout(done(), timeout_cycles * CLK_PERIOD_NS, "ns")
        except SimTimeoutError:
            raise AssertionError(
                f"{self.frames_out()} of {count} frames out after {timeout_cycles} cycles: "
                f"{len(self.source.accept_cycles)} input pixels accepted, output beats "
                f"{ {c: len(s.beats) for c, s in self.sinks.items()} }, "
                f"frame_err_o={self.dut.frame_err_o.value}") from None

    def frame(self, core: str, index: int) -> list[Beat]:
        o = next(o for o in self.outputs if o.core == core)
        return self.sinks[core].beats[index * o.beats:(index + 1) * o.beats]

    def check_frame(self, index: int, expected: dict[str, list[Beat]], what: str = "") -> None:
        for o in self.outputs:
            got = self.frame(o.core, index)
            want = expected[o.core]
            if got != want:
                k = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w) if len(got) == len(want) else -1
                raise AssertionError(
                    f"frame {index} {what}: output {o.core} ({o.kind}) differs from the golden model "
                    f"at beat {k}: got {got[k] if k >= 0 else len(got)}, expected {want[k] if k >= 0 else len(want)}")

    def matching(self, index: int, candidates: list[dict[str, list[Beat]]]) -> list[int]:
        """Indices of the candidate expectations that frame *index* equals on EVERY output."""
        return [i for i, exp in enumerate(candidates)
                if all(self.frame(o.core, index) == exp[o.core] for o in self.outputs)]

    def pixels_per_clock(self, first: int, last: int) -> float:
        """Input pixels per clock over the transfers *first*..*last* (accept indices)."""
        acc = self.source.accept_cycles
        return (last - first) / max(1, acc[last] - acc[first])
