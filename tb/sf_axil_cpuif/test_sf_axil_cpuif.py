"""sf_axil_cpuif: AXI4-Lite slave to a PeakRDL-regblock "passthrough" CPU interface.

Bench: cocotbext-axi AxiLiteMaster on s_axil, random pause generators on its five
channels.  ``Regblock`` models the regblock on m_cpuif: a memory of 2**AddrWidth bytes
with a few "poisoned" words that answer err=1 (read data 0, write ignored); random
stall_rd / stall_wr plus PeakRDL's write stall while a read is in flight; in-order acks,
one per cycle at most (never a read and a write ack together), after reads 1..4 / writes
1..2 cycles or a fixed read 2 / write 1; unused err / rdata lines carry garbage.  The
reference is a bytearray; addresses come from a pool of words (first, last, random ones).

Checkers running all the time: ``Regblock`` -- a stalled request (req, is_wr, addr, and
for writes wr_data / wr_biten) stays unchanged until accepted, addr is word aligned,
wr_biten bytes are 00 / ff, req is 0 in reset; ``Monitor`` -- B / R valid held until
ready with a stable payload, 0 in reset; records the AR / AW handshake cycles.

cocotb tests:
  * cpuif_directed -- poisoned words: SLVERR, read data 0, memory unchanged; unaligned
                      addresses act on the aligned word; partial and non-contiguous
                      strobes merge bytes; W before AW, AW before W; a B held by bready
                      low holds back a later R (and an R a later B), both then correct;
                      read/write latency logged.
  * cpuif_random   -- 6 rounds x 4 workers (3600 full / partial / unaligned writes and
                      reads, poisoned ones included), different stall levels on master
                      and regblock, in 3 rounds async resets with transactions in flight
                      (a lost write may or may not have landed: old or new bytes);
                      after a reset B / R / req stay 0 until new traffic.  Every read is
                      checked; after each round memory = model and the regblock accepted
                      as many requests as AXI operations completed (+ lost ones).
  * cpuif_rate     -- no stalls, fixed latency: bursts of 64 reads and 64 writes (and a
                      mixed one, logged) via init_read / init_write; AR and AW transfers
                      per clock > 0.95 at Depth 16 (RATE_ROUND_TRIP for smaller Depth);
                      requests accepted by the regblock = AXI transactions.
Seeds: SF_SEED (logged).  Every bus operation has a cycle timeout.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections import deque
from pathlib import Path

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer, with_timeout

from sfstream import CLK_PERIOD_NS, CycleCounter, make_rngs, pauses, reset_dut

DEFAULTS = {"AddrWidth": 16, "Depth": 16}
ALT = {"AddrWidth": 6, "Depth": 2}   # 16 words (all in the pool), smallest response FIFO
PARAM_SETS = [DEFAULTS, ALT]

OKAY, SLVERR = 0, 2
OP_TIMEOUT_CYCLES = 3000
POOL_WORDS, POISON_WORDS, WORKERS = 20, 2, 4
ROUNDS = [  # (ops per worker, master stall, regblock stall, resets)
    (150, 0.3, 0.3, 0), (150, 0.5, 0.2, 3), (150, 0.0, 0.0, 0),
    (150, 0.2, 0.6, 3), (150, 0.6, 0.6, 0), (150, 0.1, 0.7, 4),
]
FIXED_LAT = {"rd": 2, "wr": 1}
RATE_BURST = 64
# A response credit is taken when a request enters the request register (cycle c) and is
# free again at c + 6 + latency: request register 1, regblock latency, ack register 1,
# response FIFO 3, credit return 1.  So Depth credits give min(1, Depth / (6 + latency))
# requests per clock: full rate for Depth 16, only 2/8 (reads) and 2/7 (writes) per clock
# for Depth 2.
RATE_ROUND_TRIP = {k: 6 + lat for k, lat in FIXED_LAT.items()}


def report(errors: list[str], msg: str):
    if len(errors) < 20:
        errors.append(msg)


def widen(strb: int) -> int:
    return sum(0xFF << 8 * i for i in range(4) if strb >> i & 1)


class Regblock:
    """PeakRDL passthrough-cpuif model on m_cpuif_*, with the request-side checks."""

    def __init__(self, dut, rng: random.Random, size: int, poisoned: set[int], errors: list[str]):
        self.dut, self.rng, self.poisoned, self.errors = dut, rng, poisoned, errors
        self.mem = bytearray(size)
        self.fixed = False                 # FIXED_LAT, else reads 1..4 / writes 1..2 cycles
        self.stalls = [None, None]         # pause generators of stall_rd, stall_wr
        self.pending = deque()             # accepted, not acked: (is_wr, due cycle, err, rdata)
        self.accepted = {"rd": 0, "wr": 0}
        self.history = deque(maxlen=16)    # accepted requests (is_wr, addr[, wr_data, wr_biten])
        cocotb.start_soon(self._run())

    def _accept(self, req: tuple, cycle: int):
        is_wr, addr = req[0], req[1]
        err = int(addr in self.poisoned)
        if is_wr:
            if not err:
                for i in range(4):
                    if req[3] >> 8 * i & 1:
                        self.mem[addr + i] = req[2] >> 8 * i & 0xFF
            lat, data = FIXED_LAT["wr"] if self.fixed else self.rng.randint(1, 2), 0
        else:
            data = 0 if err else int.from_bytes(self.mem[addr:addr + 4], "little")
            lat = FIXED_LAT["rd"] if self.fixed else self.rng.randint(1, 4)
        self.pending.append((is_wr, cycle + lat, err, data))
        self.accepted["wr" if is_wr else "rd"] += 1
        self.history.append(req)

    async def _run(self):
        d, rng = self.dut, self.rng
        cycle, held = 0, None
        while True:
            await FallingEdge(d.clk_i)
            cycle += 1
            ack = None
            if not int(d.rst_ni.value):
                self.pending.clear()       # the regblock is reset with the bridge
            elif self.pending and self.pending[0][1] <= cycle:
                ack = self.pending.popleft()   # in order, one per cycle
            rd_ack, wr_ack = ack is not None and not ack[0], ack is not None and ack[0]
            stall_rd = next(self.stalls[0]) if self.stalls[0] else False
            # PeakRDL: no write accepted while a read is in flight (no rd and wr ack together)
            stall_wr = any(not p[0] for p in self.pending) or \
                (next(self.stalls[1]) if self.stalls[1] else False)
            d.m_cpuif_req_stall_rd_i.value = int(stall_rd)
            d.m_cpuif_req_stall_wr_i.value = int(stall_wr)
            d.m_cpuif_rd_ack_i.value = int(rd_ack)
            d.m_cpuif_wr_ack_i.value = int(wr_ack)
            d.m_cpuif_rd_err_i.value = ack[2] if rd_ack else rng.getrandbits(1)
            d.m_cpuif_rd_data_i.value = ack[3] if rd_ack else rng.getrandbits(32)
            d.m_cpuif_wr_err_i.value = ack[2] if wr_ack else rng.getrandbits(1)
            await ReadOnly()
            req_hi = int(d.m_cpuif_req_o.value)
            if not int(d.rst_ni.value) or not req_hi:
                if req_hi:
                    report(self.errors, f"cycle {cycle}: m_cpuif_req high in reset")
                elif held is not None and int(d.rst_ni.value):
                    report(self.errors, f"cycle {cycle}: m_cpuif_req dropped while stalled")
                held = None
                continue
            is_wr, addr = int(d.m_cpuif_req_is_wr_o.value), int(d.m_cpuif_addr_o.value)
            req = (0, addr) if not is_wr else \
                (1, addr, int(d.m_cpuif_wr_data_o.value), int(d.m_cpuif_wr_biten_o.value))
            if held is not None and req != held:
                report(self.errors, f"cycle {cycle}: request changed while stalled: {held} -> {req}")
            if addr & 3:
                report(self.errors, f"cycle {cycle}: m_cpuif_addr {addr:#x} not word aligned")
            if is_wr and any((req[3] >> 8 * i & 0xFF) not in (0, 0xFF) for i in range(4)):
                report(self.errors, f"cycle {cycle}: wr_biten {req[3]:#010x} is not byte strobes widened")
            if (stall_wr if is_wr else stall_rd):
                held = req
            else:
                held = None
                self._accept(req, cycle)


class Monitor:
    """B/R valid held until ready with a stable payload and 0 in reset; AR/AW handshakes."""

    def __init__(self, dut, counter: CycleCounter, errors: list[str]):
        self.dut, self.counter, self.errors = dut, counter, errors
        self.out = [("B", dut.s_axil_bvalid, dut.s_axil_bready, (dut.s_axil_bresp,)),
                    ("R", dut.s_axil_rvalid, dut.s_axil_rready, (dut.s_axil_rdata, dut.s_axil_rresp))]
        self.inp = {"AR": (dut.s_axil_arvalid, dut.s_axil_arready),
                    "AW": (dut.s_axil_awvalid, dut.s_axil_awready)}
        self.hs: dict[str, list[int]] = {k: [] for k in self.inp}   # handshake cycles
        cocotb.start_soon(self._run())

    def valids(self) -> list[str]:
        """Bridge-driven valids (B, R, req) high now."""
        d = self.dut
        return [n for n, s in (("B", d.s_axil_bvalid), ("R", d.s_axil_rvalid), ("req", d.m_cpuif_req_o))
                if int(s.value)]

    async def _run(self):
        held = {}
        while True:
            await FallingEdge(self.dut.clk_i)
            await ReadOnly()
            cyc = self.counter.cycle
            if not int(self.dut.rst_ni.value):
                held.clear()
                for name, valid, _, _ in self.out:
                    if int(valid.value):
                        report(self.errors, f"cycle {cyc}: {name} valid in reset")
                continue
            for name, valid, ready, payload in self.out:
                data = tuple(int(s.value) for s in payload) if int(valid.value) else None
                if name in held and data != held[name]:
                    report(self.errors, f"cycle {cyc}: {name} {'dropped' if data is None else 'changed'} "
                                        f"while stalled: {held[name]} -> {data}")
                held.pop(name, None)
                if data is not None and not int(ready.value):
                    held[name] = data
            for name, (valid, ready) in self.inp.items():
                if int(valid.value) and int(ready.value):
                    self.hs[name].append(cyc)


class TB:
    def __init__(self, dut, name: str):
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        self.dut, self.log = dut, dut._log
        self.p = p = json.loads(os.environ["SF_CPUIF_PARAMS"])
        rng, _, seed = make_rngs()
        self.rng = rng
        self.log.info("%s: %s, regression seed %s (re-run with SF_SEED=%s)", name, p, seed, seed)
        assert len(dut.s_axil_awaddr) == p["AddrWidth"]
        self.size = 1 << p["AddrWidth"]
        words = self.size // 4
        pool = {0, self.size - 4}
        while len(pool) < min(POOL_WORDS, words):
            pool.add(4 * rng.randrange(words))
        self.pool = sorted(pool)
        self.poisoned = set(rng.sample(self.pool[1:-1], POISON_WORDS))
        self.good = [w for w in self.pool if w not in self.poisoned]
        self.log.info("%d pool words, poisoned %s", len(self.pool), [hex(a) for a in sorted(self.poisoned)])

        logging.getLogger(f"cocotb.{dut._name}.s_axil").setLevel(logging.WARNING)
        dut.rst_ni.value = 1
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni,
                                 reset_active_level=False)
        for part in (self.axi.write_if, self.axi.read_if):
            part.log.setLevel(logging.ERROR)   # "Flushed ... during reset" warnings
        self.errors: list[str] = []
        self.rb = Regblock(dut, rng, self.size, self.poisoned, self.errors)
        self.mon = Monitor(dut, self.counter, self.errors)
        self.model = bytearray(self.size)
        self.busy: set[int] = set()
        self.quiet, self.ops_done = False, 0
        self.uncertain: list[tuple[int, bytes]] = []   # writes lost in a reset
        self.stats = {"ok_w": 0, "ok_r": 0, "slverr": 0, "lost": 0, "resets": 0}
        self.acct = {}

    async def reset(self):
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    def set_stalls(self, master: float, regblock: float, fixed: bool = False, burst: int = 4):
        def gen(p):
            return pauses(random.Random(self.rng.getrandbits(64)), p, burst) if p else None
        w, r = self.axi.write_if, self.axi.read_if
        for ch in (w.aw_channel, w.w_channel, w.b_channel, r.ar_channel, r.r_channel):
            if master:
                ch.set_pause_generator(gen(master))
            else:
                ch.clear_pause_generator()
                ch.pause = False
        self.rb.stalls = [gen(regblock), gen(regblock)]
        self.rb.fixed = fixed

    def clear_acct(self):
        self.acct = {"rd": [0, 0], "wr": [0, 0]}   # completed, lost in a reset
        self.rb.accepted = {"rd": 0, "wr": 0}

    def check(self):
        assert not self.errors, "checkers:\n  " + "\n  ".join(self.errors)

    # -- bus ----------------------------------------------------------------------------
    async def _timed(self, coro, what: str):
        try:
            return await with_timeout(coro, OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")
        except Exception as e:   # SimTimeoutError: name the operation
            raise AssertionError(f"{what}: no response within {OP_TIMEOUT_CYCLES} cycles "
                                 f"(cycle {self.counter.cycle})") from e

    async def raw_write(self, addr: int, wdata: int, strb: int) -> int:
        """One AW + W with any strobes, straight into the master's channels (master idle)."""
        wi = self.axi.write_if
        aw, w = wi.aw_channel._transaction_obj(), wi.w_channel._transaction_obj()
        aw.awaddr, aw.awprot, w.wdata, w.wstrb = addr, 0, wdata, strb
        await wi.aw_channel.send(aw)
        await wi.w_channel.send(w)
        b = await self._timed(wi.b_channel.recv(), f"raw write {addr:#x}")
        self.acct["wr"][0] += 1
        return int(b.bresp)

    def _count(self, kind: str, res):
        """Book an operation as completed or (res None) lost in a reset."""
        self.acct[kind][res is None] += 1
        self.stats["lost"] += res is None
        return res

    async def write(self, word: int, off: int = 0, data: bytes | None = None):
        """Checked write of *data* (default: random, up to the word's end) at word + off."""
        data = self.rng.randbytes(4 - off) if data is None else data
        res = await self._timed(self.axi.write(word + off, data), f"write {word + off:#x}")
        if self._count("wr", res) is None:
            if word not in self.poisoned:
                self.uncertain.append((word + off, data))
            return None
        want = SLVERR if word in self.poisoned else OKAY
        assert int(res.resp) == want, \
            f"write {word + off:#x} ({len(data)} B): resp {int(res.resp)}, expected {want}"
        if want == OKAY:
            self.model[word + off:word + off + len(data)] = data
            self.stats["ok_w"] += 1
        else:
            self.stats["slverr"] += 1
        return want

    async def read(self, word: int, off: int = 0):
        """Checked read of the bytes word + off .. word + 3."""
        res = await self._timed(self.axi.read(word + off, 4 - off), f"read {word + off:#x}")
        if self._count("rd", res) is None:
            return None
        got = (int(res.resp), int.from_bytes(res.data, "little"))
        if word in self.poisoned:
            want = (SLVERR, 0)
            self.stats["slverr"] += 1
        else:
            want = (OKAY, int.from_bytes(self.model[word + off:word + 4], "little"))
            self.stats["ok_r"] += 1
        assert got == want, f"read {word + off:#x}: (resp {got[0]}, {got[1]:#x}), expected " \
                            f"(resp {want[0]}, {want[1]:#x})"
        return got

    # -- whole-state checks -----------------------------------------------------------------
    def resolve_uncertain(self):
        """Writes lost in a reset: each byte they cover holds the old or a new value."""
        allowed: dict[int, set[int]] = {}
        for a, data in self.uncertain:
            for i, b in enumerate(data):
                allowed.setdefault(a + i, {self.model[a + i]}).add(b)
        for a, vals in allowed.items():
            got = self.rb.mem[a]
            assert got in vals, f"byte {a:#x} = {got:#04x} after a reset, expected one of {sorted(vals)}"
            self.model[a] = got
        self.uncertain.clear()

    def compare_memory(self):
        if self.rb.mem != self.model:
            bad = [a for a in range(self.size) if self.rb.mem[a] != self.model[a]]
            raise AssertionError(f"regblock memory differs from the model at {len(bad)} bytes, first "
                                 f"{[hex(a) for a in bad[:8]]}")

    def check_counts(self, resets: bool):
        for kind, (done, lost) in self.acct.items():
            n, hi = self.rb.accepted[kind], done + (lost if resets else 0)
            assert done <= n <= hi, f"regblock accepted {n} {kind} requests, expected {done}..{hi}"

    async def wait_quiet_bus(self):
        await ClockCycles(self.dut.clk_i, 10)
        await ReadOnly()
        assert not self.mon.valids(), f"valid still high on an idle bus: {self.mon.valids()}"
        await FallingEdge(self.dut.clk_i)


# -------------------------------------------------------------------------------------
@cocotb.test(timeout_time=20, timeout_unit="ms")
async def cpuif_directed(dut):
    tb = TB(dut, "cpuif_directed")
    await tb.reset()
    rng, clk, rb = tb.rng, dut.clk_i, tb.rb
    tb.set_stalls(0.0, 0.0, fixed=True)
    tb.clear_acct()

    for word in (tb.pool[0], tb.pool[-1]):   # first / last word; latency
        c0 = tb.counter.cycle
        assert await tb.write(word) == OKAY
        c1 = tb.counter.cycle
        assert (await tb.read(word))[0] == OKAY
        tb.log.info("word %#x: write %d cycles, read %d cycles (regblock latency write %d, read %d)",
                    word, c1 - c0, tb.counter.cycle - c1, FIXED_LAT["wr"], FIXED_LAT["rd"])
    for word in sorted(tb.poisoned):          # SLVERR, read data 0, nothing written
        for off in (0, rng.randrange(1, 4)):
            assert await tb.write(word, off) == SLVERR
            assert await tb.read(word, off) == (SLVERR, 0)
    tb.compare_memory()

    word = rng.choice(tb.good[1:-1])
    for off in (1, 2, 3):                     # unaligned AXI addresses: the aligned word
        assert await tb.write(word, off) == OKAY and rb.history[-1][:2] == (1, word)
        assert rb.history[-1][3] == widen(0xF << off & 0xF), f"biten {rb.history[-1][3]:#x}, offset {off}"
        assert (await tb.read(word, off))[0] == OKAY and rb.history[-1] == (0, word)
    for strb in (0b0101, 0b1010, 0b1001, 0b0110, 0b0010, 0b0000, 0b1111):   # any strobes merge
        off, wdata = rng.randrange(4), rng.getrandbits(32)
        assert await tb.raw_write(word | off, wdata, strb) == OKAY
        assert rb.history[-1] == (1, word, wdata, widen(strb)), rb.history[-1]
        for i in range(4):
            if strb >> i & 1:
                tb.model[word + i] = wdata >> 8 * i & 0xFF
        assert (await tb.read(word))[0] == OKAY
    tb.compare_memory()

    # W before AW, AW before W: the first half waits in its holding register
    wi = tb.axi.write_if
    for held, other_ready in ((wi.aw_channel, dut.s_axil_wready), (wi.w_channel, dut.s_axil_awready)):
        held.pause = True
        n0 = rb.accepted["wr"]
        task = cocotb.start_soon(tb.write(word))
        await ClockCycles(clk, 12)
        await ReadOnly()
        assert int(other_ready.value) == 0, "first half of the write not captured"
        assert rb.accepted["wr"] == n0 and not int(dut.m_cpuif_req_o.value), "request before AW and W"
        await FallingEdge(clk)
        held.pause = False
        assert await with_timeout(task, 200 * CLK_PERIOD_NS, "ns") == OKAY
        assert (await tb.read(word))[0] == OKAY

    # a B held by bready low holds back a later R, and an R held back a later B
    a, b = rng.sample(tb.good, 2)
    for first, sink in (("B", wi.b_channel), ("R", tb.axi.read_if.r_channel)):
        ops = (tb.write(a), tb.read(b)) if first == "B" else (tb.read(a), tb.write(b))
        sink.pause = True
        t1 = cocotb.start_soon(ops[0])
        await ClockCycles(clk, 10)            # first request through the regblock
        t2 = cocotb.start_soon(ops[1])
        await ClockCycles(clk, 20)
        await ReadOnly()
        assert not t1.done() and not t2.done(), f"a response overtook the held {first}"
        assert rb.accepted == {k: tb.acct[k][0] + 1 for k in ("rd", "wr")}, "both requests reach the regblock"
        valids = (int(dut.s_axil_bvalid.value), int(dut.s_axil_rvalid.value))
        assert valids == ((1, 0) if first == "B" else (0, 1)), f"(bvalid, rvalid) = {valids}"
        await FallingEdge(clk)
        sink.pause = False
        for t in (t1, t2):
            assert (await with_timeout(t, 200 * CLK_PERIOD_NS, "ns")) is not None
    await tb.wait_quiet_bus()
    tb.compare_memory()
    tb.check_counts(False)
    tb.check()
    tb.log.info("stats %s", tb.stats)


@cocotb.test(timeout_time=400, timeout_unit="ms")
async def cpuif_random(dut):
    tb = TB(dut, "cpuif_random")
    await tb.reset()
    rng, clk = tb.rng, dut.clk_i

    async def worker(n_ops: int):
        for _ in range(n_ops):
            word = rng.choice(tb.pool)
            while tb.quiet or word in tb.busy:   # a free word, nothing new during a reset
                await RisingEdge(clk)
                word = rng.choice(tb.pool)
            tb.busy.add(word)
            try:
                off = rng.randrange(4) if rng.random() < 0.25 else 0
                if rng.random() < 0.5:
                    n = rng.randint(1, 4 - off) if rng.random() < 0.3 else 4 - off
                    await tb.write(word, off, rng.randbytes(n))
                else:
                    await tb.read(word, off)
            finally:
                tb.busy.discard(word)
                tb.ops_done += 1

    async def resetter(n: int, n_ops: int):
        """*n* resets at random points of the round (after a random number of operations)."""
        for when in sorted(rng.sample(range(tb.ops_done + 10, tb.ops_done + n_ops - 20), n)):
            while tb.ops_done < when:
                await RisingEdge(clk)
            await ClockCycles(clk, rng.randrange(8))
            await Timer(rng.randint(1, CLK_PERIOD_NS - 1), "ns")   # asynchronous assertion
            tb.quiet = True
            t, high0, busy0 = tb.counter.cycle, tb.mon.valids(), len(tb.busy)
            dut.rst_ni.value = 0
            for _ in range(rng.randint(2, 5)):   # >= 1 full clock in reset
                await FallingEdge(clk)
            tb.resolve_uncertain()               # nothing can land while in reset
            dut.rst_ni.value = 1
            for _ in range(8):                   # B, R, req stay low without new traffic
                await FallingEdge(clk)
                await ReadOnly()
                assert not tb.mon.valids(), f"valid rose after a reset without new traffic: {tb.mon.valids()}"
            await FallingEdge(clk)
            tb.stats["resets"] += 1
            tb.log.info("reset at cycle %d: %d operations in flight, valids high %s", t, busy0, high0)
            tb.quiet = False

    for rnd, (n_ops, m_stall, r_stall, n_resets) in enumerate(ROUNDS):
        tb.set_stalls(m_stall, r_stall)
        tb.clear_acct()
        c0 = tb.counter.cycle
        tasks = [cocotb.start_soon(worker(n_ops)) for _ in range(WORKERS)]
        if n_resets:
            tasks.append(cocotb.start_soon(resetter(n_resets, WORKERS * n_ops)))
        for t in tasks:
            await t
        await tb.wait_quiet_bus()
        tb.check()
        assert not tb.uncertain
        tb.compare_memory()
        tb.check_counts(bool(n_resets))
        tb.log.info("round %d (stall master %.1f regblock %.1f, %d resets): %d ops in %d cycles, "
                    "accepted %s; stats %s", rnd, m_stall, r_stall, n_resets, WORKERS * n_ops,
                    tb.counter.cycle - c0, tb.rb.accepted, tb.stats)
    assert tb.stats["resets"] == sum(r[3] for r in ROUNDS)
    assert tb.stats["slverr"] > 50 and tb.stats["lost"] > 0


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def cpuif_rate(dut):
    tb = TB(dut, "cpuif_rate")
    await tb.reset()
    rng, depth = tb.rng, tb.p["Depth"]
    tb.set_stalls(0.0, 0.0, fixed=True)
    rates = {}
    for kind in ("wr", "rd", "mixed"):
        tb.clear_acct()
        for ch in tb.mon.hs.values():
            ch.clear()
        ops = []   # (kind, word, data, event)
        for i in range(RATE_BURST * (2 if kind == "mixed" else 1)):
            k = kind if kind != "mixed" else ("rd", "wr")[i % 2]
            # mixed: AR and AW race each other, so reads and writes use different words
            word = rng.choice(tb.good if kind != "mixed" else tb.good[k == "wr"::2])
            if k == "wr":
                data = rng.randbytes(4)
                ops.append((k, word, data, tb.axi.init_write(word, data)))
            else:
                ops.append((k, word, None, tb.axi.init_read(word, 4)))
        for k, word, data, ev in ops:   # in issue order, so the model follows the memory
            await tb._timed(ev.wait(), f"burst {kind}: {k} {word:#x}")
            if k == "wr":
                assert int(ev.data.resp) == OKAY
                tb.model[word:word + 4] = data
            else:
                assert (int(ev.data.resp), bytes(ev.data.data)) == (OKAY, bytes(tb.model[word:word + 4]))
        n = {k: sum(op[0] == k for op in ops) for k in ("rd", "wr")}
        assert tb.rb.accepted == n, f"burst {kind}: regblock accepted {tb.rb.accepted}, AXI sent {n}"
        hs = {"rd": tb.mon.hs["AR"], "wr": tb.mon.hs["AW"]}
        assert all(len(hs[k]) == n[k] for k in n), f"burst {kind}: handshakes {hs}, expected {n}"
        cycles = sorted(hs["rd"] + hs["wr"])
        rates[kind] = len(cycles) / (cycles[-1] - cycles[0] + 1)
        if kind != "mixed":   # mixed: PeakRDL's write stall after every read; logged only
            bound = 0.95 * min(1.0, depth / RATE_ROUND_TRIP[kind])
            assert rates[kind] > bound, f"{kind} burst: {rates[kind]:.3f} per clock, expected > {bound:.3f}"
    await tb.wait_quiet_bus()
    tb.compare_memory()
    tb.check()
    tb.log.info("Depth %d, no stalls, regblock latency read %d write %d: AR %.3f, AW %.3f, mixed AR+AW "
                "%.3f transfers per clock", depth, FIXED_LAT["rd"], FIXED_LAT["wr"], rates["rd"],
                rates["wr"], rates["mixed"])


# -------------------------------------------------------------------------------------
def _sources():
    from semifreddo import RTL_DIR
    return [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_axil_cpuif.sv"]


def _id(p: dict) -> str:
    return "a{AddrWidth}-d{Depth}".format(**p)


@pytest.mark.parametrize("params", PARAM_SETS, ids=_id)
def test_sf_axil_cpuif_lint(params):
    from semifreddo.toolchain import lint
    proc = lint(_sources(), "sf_axil_cpuif", params)
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stdout + proc.stderr


def test_sf_axil_cpuif_rejects_bad_parameters():
    from semifreddo.toolchain import lint
    for params, msg in [({"Depth": 3}, "sf_axil_cpuif: Depth"), ({"Depth": 1}, "sf_axil_cpuif: Depth"),
                        ({"AddrWidth": 2}, "sf_axil_cpuif: AddrWidth"),
                        ({"AddrWidth": 33}, "sf_axil_cpuif: AddrWidth")]:
        proc = lint(_sources(), "sf_axil_cpuif", params)
        assert proc.returncode != 0 and msg in proc.stdout + proc.stderr, params


@pytest.mark.parametrize("params", PARAM_SETS, ids=_id)
def test_sf_axil_cpuif(params):
    from semifreddo.simulate import run_cocotb
    run_cocotb(toplevel="sf_axil_cpuif", sources=_sources(), test_module="test_sf_axil_cpuif",
               parameters=params, extra_env={"SF_CPUIF_PARAMS": json.dumps(params)},
               build_name=f"sf_axil_cpuif-{_id(params)}",
               python_paths=[Path(__file__).resolve().parent])
