"""Testbench for rtl/sf_weight_mem.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set), all checked every cycle against a Python
model of the two banks:
  * mem_random      -- fill both banks through the host port (flipping the bank), then
                       random host reads/writes (random byte strobes, random junk in the
                       ignored address/data bits), random datapath reads, random bank flips:
                       rd_ack/wr_ack exactly one cycle after each request, host reads =
                       shadow value sign-extended, datapath reads = active value.
  * mem_separation  -- host writes to the shadow bank never show on the datapath port
                       until the bank flips, and then all of them do; the old active set is
                       then the host's shadow.
  * mem_reset       -- reset in the cycle after a request: no ack, the port is idle after
                       reset, the RAM keeps its contents and the next accesses are correct.
"""

from __future__ import annotations

import os

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

from sfstream import CLK_PERIOD_NS, make_rngs, reset_dut

MASK32 = (1 << 32) - 1


class Model:
    """The two banks and every output the DUT must show at the next check."""

    def __init__(self, depth: int, width: int) -> None:
        self.depth, self.width = depth, width
        self.banks: list[list[int | None]] = [[None] * depth, [None] * depth]
        self.exp_rd_ack = 0
        self.exp_wr_ack = 0
        self.exp_host_data: int | None = None    # None: don't care
        self.exp_dp_data: int | None = None

    def sext32(self, v: int) -> int:
        if v >= 1 << (self.width - 1):
            v -= 1 << self.width
        return v & MASK32

    def write(self, bank: int, idx: int, data: int, strb: int) -> None:
        old = self.banks[bank][idx]
        mask = 0
        for lane in range(4):
            if strb >> lane & 1:
                mask |= 0xFF << (8 * lane)
        mask &= (1 << self.width) - 1
        if old is None and mask != (1 << self.width) - 1:
            self.banks[bank][idx] = None    # partially unknown
            return
        self.banks[bank][idx] = ((old or 0) & ~mask | data & mask) & ((1 << self.width) - 1)


class TB:
    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.log = dut._log
        self.depth = int(os.environ["SF_WM_DEPTH"])
        self.width = len(dut.rd_data_o)
        self.haw = len(dut.host_addr_i)
        self.rng, _, seed = make_rngs()
        self.log.info("%s: Depth=%d ValueWidth=%d HostAddrWidth=%d, regression seed %s "
                      "(re-run with SF_SEED=%s)", name, self.depth, self.width, self.haw, seed, seed)
        self.model = Model(self.depth, self.width)
        self.bank = 0
        self.cycles = 0
        self.errors: list[str] = []
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.idle_inputs()

    def idle_inputs(self) -> None:
        d = self.dut
        d.host_req_i.value = 0
        d.host_req_is_wr_i.value = self.rng.getrandbits(1)
        d.host_addr_i.value = self.rng.getrandbits(self.haw)
        d.host_wr_data_i.value = self.rng.getrandbits(32)
        d.host_wr_biten_i.value = self.rng.getrandbits(32)
        d.rd_en_i.value = 0
        d.rd_addr_i.value = self.rng.randrange(self.depth)
        d.active_bank_i.value = self.bank

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    def host_addr(self, idx: int) -> int:
        return 4 * idx + self.rng.getrandbits(2)   # low bits are ignored

    def random_strb(self) -> int:
        return 0xF if self.rng.random() < 0.6 else self.rng.getrandbits(4)

    @staticmethod
    def biten(strb: int) -> int:
        return sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)

    async def cycle(self, *, host: tuple | None = None, dp: int | None = None,
                    bank: int | None = None) -> None:
        """One clock: drive at the falling edge, check the previous cycle's results, then
        advance the model by this cycle's operations.

        *host*: ``("r", idx)`` or ``("w", idx, data, strb)``; *dp*: datapath read index.
        """
        d, m = self.dut, self.model
        await FallingEdge(d.clk_i)
        self.idle_inputs()
        if bank is not None:
            self.bank = bank
            d.active_bank_i.value = bank
        if host is not None:
            d.host_req_i.value = 1
            d.host_req_is_wr_i.value = int(host[0] == "w")
            d.host_addr_i.value = self.host_addr(host[1])
            if host[0] == "w":
                d.host_wr_data_i.value = host[2]
                d.host_wr_biten_i.value = self.biten(host[3])
        if dp is not None:
            d.rd_en_i.value = 1
            d.rd_addr_i.value = dp
        await ReadOnly()
        self.check()
        self.cycles += 1
        # effects at the coming rising edge
        shadow = 1 - self.bank
        m.exp_rd_ack = int(host is not None and host[0] == "r")
        m.exp_wr_ack = int(host is not None and host[0] == "w")
        if host is not None and host[0] == "r":
            v = m.banks[shadow][host[1]]
            m.exp_host_data = None if v is None else m.sext32(v)
        if dp is not None:
            m.exp_dp_data = m.banks[self.bank][dp]
        if host is not None and host[0] == "w":
            m.write(shadow, host[1], host[2], host[3])

    def check(self) -> None:
        d, m = self.dut, self.model
        got_rd, got_wr = int(d.host_rd_ack_o.value), int(d.host_wr_ack_o.value)
        where = f"cycle {self.cycles}"
        if (got_rd, got_wr) != (m.exp_rd_ack, m.exp_wr_ack):
            self.errors.append(f"{where}: rd_ack={got_rd} wr_ack={got_wr}, expected {m.exp_rd_ack} {m.exp_wr_ack}")
        if m.exp_rd_ack and m.exp_host_data is not None:
            got = int(d.host_rd_data_o.value)
            if got != m.exp_host_data:
                self.errors.append(f"{where}: host_rd_data {got:#010x}, expected {m.exp_host_data:#010x}")
        if m.exp_dp_data is not None:
            got = int(d.rd_data_o.value)
            if got != m.exp_dp_data:
                self.errors.append(f"{where}: rd_data_o {got:#x}, expected {m.exp_dp_data:#x}")
        assert len(self.errors) < 10, "\n".join(self.errors)

    async def fill(self) -> None:
        """Write every entry of both banks (full strobes), flipping the bank in between."""
        for _ in range(2):
            for i in range(self.depth):
                await self.cycle(host=("w", i, self.rng.getrandbits(32), 0xF))
            await self.cycle(bank=1 - self.bank)

    def finish(self) -> None:
        assert not self.errors, "\n".join(self.errors)
        assert all(v is not None for b in self.model.banks for v in b)


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def mem_random(dut):
    tb = TB(dut, "mem_random")
    await tb.reset()
    await tb.fill()
    rng = tb.rng
    for _ in range(6000):
        op = rng.random()
        host = None
        if op < 0.4:
            host = ("r", rng.randrange(tb.depth))
        elif op < 0.8:
            host = ("w", rng.randrange(tb.depth), rng.getrandbits(32), tb.random_strb())
        dp = rng.randrange(tb.depth) if rng.random() < 0.7 else None
        bank = 1 - tb.bank if rng.random() < 0.05 else None
        await tb.cycle(host=host, dp=dp, bank=bank)
    await tb.cycle()
    await tb.cycle()
    tb.finish()


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def mem_separation(dut):
    tb = TB(dut, "mem_separation")
    await tb.reset()
    await tb.fill()
    rng = tb.rng
    before = list(tb.model.banks[tb.bank])
    # Rewrite the whole shadow bank while the datapath scans the active one.
    for i in range(tb.depth):
        await tb.cycle(host=("w", i, rng.getrandbits(32), 0xF), dp=rng.randrange(tb.depth))
    for i in range(tb.depth):
        await tb.cycle(dp=i)
    assert tb.model.banks[tb.bank] == before, "active bank changed by shadow writes"
    new = list(tb.model.banks[1 - tb.bank])
    # Flip: the datapath sees the new set, the host sees the old active set.
    await tb.cycle(bank=1 - tb.bank)
    for i in range(tb.depth):
        await tb.cycle(host=("r", i), dp=i)
    await tb.cycle()
    assert tb.model.banks[tb.bank] == new and tb.model.banks[1 - tb.bank] == before
    tb.finish()


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def mem_reset(dut):
    tb = TB(dut, "mem_reset")
    await tb.reset()
    await tb.fill()
    d, rng = tb.dut, tb.rng
    for kind in ("r", "w"):
        idx = rng.randrange(tb.depth)
        host = ("r", idx) if kind == "r" else ("w", idx, rng.getrandbits(32), 0xF)
        await tb.cycle(host=host)
        # Reset asynchronously right after the request edge: the ack flop must clear.
        await FallingEdge(d.clk_i)
        tb.idle_inputs()
        d.rst_ni.value = 0
        await ReadOnly()
        assert int(d.host_rd_ack_o.value) == 0 and int(d.host_wr_ack_o.value) == 0, "ack survived reset"
        for _ in range(3):
            await FallingEdge(d.clk_i)
            await ReadOnly()
            assert int(d.host_rd_ack_o.value) == 0 and int(d.host_wr_ack_o.value) == 0
        await FallingEdge(d.clk_i)
        d.rst_ni.value = 1
        tb.model.exp_rd_ack = tb.model.exp_wr_ack = 0
        tb.model.exp_dp_data = None
        # The RAM kept its contents (a write request at the reset edge did land: the
        # RAM has no reset); the ports work again at once.
        for i in range(tb.depth):
            await tb.cycle(host=("r", i), dp=i)
        await tb.cycle()
    tb.finish()


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (Depth, ValueWidth, HostAddrWidth) simulated; each is one cached Verilator build.
SIM_PARAMS = [(16, 8, 6), (5, 13, 5), (1, 32, 2)]
#: Lint covers the simulated sets plus extremes.
LINT_PARAMS = SIM_PARAMS + [(108, 4, 9), (1024, 16, 12), (3, 1, 4), (2, 31, 3), (7, 16, 8)]

SOURCES = [RTL_DIR / "sf_weight_mem.sv"]


@pytest.mark.parametrize("depth,width,haw", LINT_PARAMS)
def test_sf_weight_mem_lint(depth, width, haw):
    res = lint(SOURCES, "sf_weight_mem", {"Depth": depth, "ValueWidth": width, "HostAddrWidth": haw})
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("depth,width,haw", SIM_PARAMS)
def test_sf_weight_mem(depth, width, haw):
    run_cocotb(
        toplevel="sf_weight_mem",
        sources=SOURCES,
        test_module="test_sf_weight_mem",
        parameters={"Depth": depth, "ValueWidth": width, "HostAddrWidth": haw},
        extra_env={"SF_WM_DEPTH": str(depth)},
        build_name=f"sf_weight_mem-d{depth}-w{width}-a{haw}",
    )
