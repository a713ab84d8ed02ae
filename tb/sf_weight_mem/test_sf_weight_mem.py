"""Testbench for rtl/sf_weight_mem.sv: cocotb tests plus the pytest entry points.

cocotb tests (run for every parameter set), all checked every cycle against a Python
model of the two banks (value i = lane i % Lanes of entry i / Lanes):
  * mem_random      -- fill both banks through the host port (flipping the bank), then
                       random host reads/writes (random byte strobes, random junk in the
                       ignored address/data bits), random datapath entry reads from a
                       random rd_bank_i (independent of the active bank; with
                       UseRdBank = 0 the active bank), random bank flips (also while a
                       multi-cycle host access is pending): rd_ack/wr_ack exactly at the
                       documented latency after each request (1 cycle with Lanes = 1),
                       host reads = shadow value at the request, sign-extended, datapath
                       lanes = the entry's values, held while rd_en_i is low.
  * mem_separation  -- host writes to the shadow bank never show on the datapath port
                       reading the active bank until the bank flips, and then all of them
                       do; the old active set is then the host's shadow.  With UseRdBank
                       the shadow bank is also readable by the datapath (rd_bank_i).
  * mem_reset       -- reset in the cycle after a request: no ack, the port is idle after
                       reset, the RAM keeps its contents (Lanes = 1: the write at the
                       request edge landed; Lanes > 1: the pending write is dropped) and
                       the next accesses are correct.
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
    """The two banks (None = unknown)."""

    def __init__(self, depth: int, width: int) -> None:
        self.depth, self.width = depth, width
        self.banks: list[list[int | None]] = [[None] * depth, [None] * depth]

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


class HostOp:
    """A host request in flight: when it touches the RAM and when its ack shows."""

    def __init__(self, kind: str, idx: int, data: int, strb: int, bank: int, t_access: int,
                 t_ack: int) -> None:
        self.kind, self.idx, self.data, self.strb, self.bank = kind, idx, data, strb, bank
        self.t_access, self.t_ack = t_access, t_ack
        self.value: int | None = None       # read result (sign-extended), None = unknown


class TB:
    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.log = dut._log
        self.depth = int(os.environ["SF_WM_DEPTH"])
        self.lanes = int(os.environ["SF_WM_LANES"])
        self.use_rd_bank = int(os.environ["SF_WM_USE_RD_BANK"])
        self.entries = -(-self.depth // self.lanes)
        self.entry_width = max(1, (self.entries - 1).bit_length())
        self.width = len(dut.rd_data_o) // self.lanes
        self.haw = len(dut.host_addr_i)
        # Documented host latency: the RAM access is at the end of the request cycle
        # (Lanes = 1) or EntryWidth + 2 cycles later; wr_ack shows one cycle after the
        # access, rd_ack one (Lanes = 1) or three cycles after it.
        self.access_delay = 0 if self.lanes == 1 else self.entry_width + 2
        self.read_extra = 0 if self.lanes == 1 else 2
        self.rng, _, seed = make_rngs()
        self.log.info("%s: Depth=%d ValueWidth=%d HostAddrWidth=%d Lanes=%d UseRdBank=%d, "
                      "regression seed %s (re-run with SF_SEED=%s)", name, self.depth, self.width,
                      self.haw, self.lanes, self.use_rd_bank, seed, seed)
        self.model = Model(self.depth, self.width)
        self.bank = 0
        self.n = 0                              # cycle being driven
        self.host_op: HostOp | None = None
        self.exp_dp: list[int | None] | None = None   # rd_data_o lanes, None = don't care
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
        d.rd_bank_i.value = self.rng.getrandbits(1)
        d.rd_addr_i.value = self.rng.randrange(self.entries)
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

    @property
    def host_free(self) -> bool:
        """A request may be made in the next cycle (the previous one is acknowledged)."""
        return self.host_op is None or self.host_op.t_ack <= self.n

    def dp_bank(self, rd_bank: int) -> int:
        return rd_bank if self.use_rd_bank else self.bank

    async def cycle(self, *, host: tuple | None = None, dp: int | tuple | None = None,
                    bank: int | None = None) -> None:
        """One clock: drive at the falling edge, check this cycle's outputs, then advance
        the model by the effects of the coming rising edge.

        *host*: ``("r", idx)`` or ``("w", idx, data, strb)`` (only when :attr:`host_free`);
        *dp*: datapath entry, or ``(entry, rd_bank)`` (default rd_bank: the active bank).
        """
        d, m = self.dut, self.model
        await FallingEdge(d.clk_i)
        self.idle_inputs()
        if bank is not None:
            self.bank = bank
            d.active_bank_i.value = bank
        if host is not None:
            assert self.host_free, "test bug: host request while one is outstanding"
            d.host_req_i.value = 1
            d.host_req_is_wr_i.value = int(host[0] == "w")
            d.host_addr_i.value = self.host_addr(host[1])
            if host[0] == "w":
                d.host_wr_data_i.value = host[2]
                d.host_wr_biten_i.value = self.biten(host[3])
        if dp is not None:
            entry, rd_bank = dp if isinstance(dp, tuple) else (dp, self.bank)
            d.rd_en_i.value = 1
            d.rd_addr_i.value = entry
            d.rd_bank_i.value = rd_bank
        await ReadOnly()
        self.check()
        n = self.n
        self.n += 1
        # Effects of the coming rising edge.
        if host is not None:
            t_access = n + self.access_delay
            t_ack = t_access + 1 + (self.read_extra if host[0] == "r" else 0)
            self.host_op = HostOp(host[0], host[1], host[2] if host[0] == "w" else 0,
                                  host[3] if host[0] == "w" else 0, 1 - self.bank, t_access, t_ack)
        op = self.host_op
        written = None
        if op is not None and op.t_access == n:
            if op.kind == "r":
                v = m.banks[op.bank][op.idx]
                op.value = None if v is None else m.sext32(v)
            else:
                written = (op.bank, op.idx)
        if dp is not None:
            b = self.dp_bank(rd_bank)
            exp = []
            for lane in range(self.lanes):
                i = entry * self.lanes + lane
                if i >= self.depth or written == (b, i):
                    exp.append(None)     # lane past Depth, or read-during-write: undefined
                else:
                    exp.append(m.banks[b][i])
            self.exp_dp = exp
        if written is not None:
            m.write(op.bank, op.idx, op.data, op.strb)

    def check(self) -> None:
        d = self.dut
        got_rd, got_wr = int(d.host_rd_ack_o.value), int(d.host_wr_ack_o.value)
        where = f"cycle {self.n}"
        op = self.host_op
        due = op is not None and op.t_ack == self.n
        exp_rd, exp_wr = (int(due and op.kind == "r"), int(due and op.kind == "w"))
        if (got_rd, got_wr) != (exp_rd, exp_wr):
            self.errors.append(f"{where}: rd_ack={got_rd} wr_ack={got_wr}, expected {exp_rd} {exp_wr}")
        if exp_rd and op.value is not None:
            got = int(d.host_rd_data_o.value)
            if got != op.value:
                self.errors.append(f"{where}: host_rd_data {got:#010x}, expected {op.value:#010x} "
                                   f"(bank {op.bank} value {op.idx})")
        if self.exp_dp is not None:
            word = int(d.rd_data_o.value)
            for lane, e in enumerate(self.exp_dp):
                got = (word >> (lane * self.width)) & ((1 << self.width) - 1)
                if e is not None and got != e:
                    self.errors.append(f"{where}: rd_data_o lane {lane} {got:#x}, expected {e:#x}")
        if due:
            self.host_op = None
        assert len(self.errors) < 10, "\n".join(self.errors)

    async def host(self, op: tuple, **kw) -> None:
        """Issue *op* as soon as the port is free, then wait for its ack."""
        while not self.host_free:
            await self.cycle(**kw)
        await self.cycle(host=op, **kw)
        while self.host_op is not None:
            await self.cycle(**kw)

    async def fill(self) -> None:
        """Write every value of both banks (full strobes), flipping the bank in between."""
        for _ in range(2):
            for i in range(self.depth):
                await self.host(("w", i, self.rng.getrandbits(32), 0xF))
            await self.cycle(bank=1 - self.bank)

    def random_dp(self) -> tuple[int, int]:
        return (self.rng.randrange(self.entries), self.rng.getrandbits(1))

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
        host = None
        if tb.host_free:
            op = rng.random()
            if op < 0.4:
                host = ("r", rng.randrange(tb.depth))
            elif op < 0.8:
                host = ("w", rng.randrange(tb.depth), rng.getrandbits(32), tb.random_strb())
        dp = tb.random_dp() if rng.random() < 0.7 else None
        bank = 1 - tb.bank if rng.random() < 0.05 else None
        await tb.cycle(host=host, dp=dp, bank=bank)
    for _ in range(tb.access_delay + 3):
        await tb.cycle()
    tb.finish()


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def mem_separation(dut):
    tb = TB(dut, "mem_separation")
    await tb.reset()
    await tb.fill()
    rng = tb.rng
    active = tb.bank
    before = list(tb.model.banks[active])
    # Rewrite the whole shadow bank while the datapath scans the active one (the bank of
    # the frames in flight).
    for i in range(tb.depth):
        await tb.host(("w", i, rng.getrandbits(32), 0xF), dp=(rng.randrange(tb.entries), active))
    for e in range(tb.entries):
        await tb.cycle(dp=(e, active))
    await tb.cycle()
    assert tb.model.banks[active] == before, "active bank changed by shadow writes"
    new = list(tb.model.banks[1 - active])
    if tb.use_rd_bank:
        # A frame stamped with the shadow bank may read it (rd_bank_i), before the swap.
        for e in range(tb.entries):
            await tb.cycle(dp=(e, 1 - active))
    # Flip: the datapath sees the new set, the host sees the old active set.
    await tb.cycle(bank=1 - active)
    for i in range(tb.depth):
        await tb.host(("r", i), dp=(i % tb.entries, tb.bank))
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
        # Reset asynchronously right after the request edge: the ack flop must clear and
        # a pending multi-cycle access must be dropped.
        await FallingEdge(d.clk_i)
        tb.idle_inputs()
        d.rst_ni.value = 0
        await ReadOnly()
        assert int(d.host_rd_ack_o.value) == 0 and int(d.host_wr_ack_o.value) == 0, "ack survived reset"
        for _ in range(tb.access_delay + 4):
            await FallingEdge(d.clk_i)
            await ReadOnly()
            assert int(d.host_rd_ack_o.value) == 0 and int(d.host_wr_ack_o.value) == 0
        await FallingEdge(d.clk_i)
        d.rst_ni.value = 1
        tb.host_op = None
        tb.exp_dp = None
        # The RAM kept its contents (Lanes = 1: a write request at the reset edge did
        # land, the RAM has no reset; Lanes > 1: it never reached the RAM); the ports
        # work again at once, with no stray ack of the dropped access.
        for i in range(tb.depth):
            await tb.host(("r", i), dp=tb.random_dp())
        await tb.cycle()
    tb.finish()


# -------------------------------------------------------------------------------------
# pytest entry points
# -------------------------------------------------------------------------------------
#: (Depth, ValueWidth, HostAddrWidth, Lanes, UseRdBank) simulated; each is one cached
#: Verilator build.  Lanes = 1 with UseRdBank = 0 is the memory as the register wrapper
#: uses it today; 27 lanes over Depth 100 leave 8 lanes of the last entry unused.
SIM_PARAMS = [(16, 8, 6, 1, 0), (5, 13, 5, 1, 1), (1, 32, 2, 1, 0),
              (100, 8, 9, 27, 1), (16, 5, 6, 4, 1), (7, 32, 5, 7, 1)]
#: Lint covers the simulated sets plus extremes.
LINT_PARAMS = SIM_PARAMS + [(108, 4, 9, 1, 0), (1024, 16, 12, 1, 1), (3, 1, 4, 1, 0),
                            (2, 31, 3, 1, 0), (7, 16, 8, 1, 0), (3, 1, 4, 2, 1),
                            (2304, 8, 14, 144, 1), (36, 24, 8, 3, 0)]

SOURCES = [RTL_DIR / "sf_weight_mem.sv"]


def _params(depth, width, haw, lanes, use_rd_bank) -> dict:
    return {"Depth": depth, "ValueWidth": width, "HostAddrWidth": haw, "Lanes": lanes,
            "UseRdBank": use_rd_bank}


@pytest.mark.parametrize("depth,width,haw,lanes,use_rd_bank", LINT_PARAMS)
def test_sf_weight_mem_lint(depth, width, haw, lanes, use_rd_bank):
    res = lint(SOURCES, "sf_weight_mem", _params(depth, width, haw, lanes, use_rd_bank))
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


@pytest.mark.parametrize("depth,width,haw,lanes,use_rd_bank", SIM_PARAMS)
def test_sf_weight_mem(depth, width, haw, lanes, use_rd_bank):
    run_cocotb(
        toplevel="sf_weight_mem",
        sources=SOURCES,
        test_module="test_sf_weight_mem",
        parameters=_params(depth, width, haw, lanes, use_rd_bank),
        extra_env={"SF_WM_DEPTH": str(depth), "SF_WM_LANES": str(lanes),
                   "SF_WM_USE_RD_BANK": str(use_rd_bank)},
        build_name=f"sf_weight_mem-d{depth}-w{width}-a{haw}-l{lanes}-b{use_rd_bank}",
    )
