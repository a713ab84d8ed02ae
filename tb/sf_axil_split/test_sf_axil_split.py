"""sf_axil_split: AXI4-Lite 1-master-to-2-slaves address decoder.

Bench: cocotbext-axi AxiLiteMaster on s_axil, two RAM slaves (cocotbext-axi AxiLiteRam
parts, sized 2**MkAddrWidth bytes) on m0_axil / m1_axil, random pause generators on all
five channels of the master and of both slaves.  Each slave has a few "poisoned" words
that it answers itself with SLVERR (read data 0, nothing written), to show that slave
responses pass through unchanged.  The reference is a bytearray per slave; addresses come
from a pool of words per slave (first, last and random words, so every address bit is
used and words are hit again and again), bad addresses are pool words with one or two
bits other than SelBit set at or above the slave's width.

Checkers running all the time (``Monitor``): on every channel the split drives (m0/m1
AW, W, AR; s B, R) valid is held until ready and the payload is stable meanwhile; while
rst_ni is low every valid the split drives is 0; AWPROT/ARPROT arriving at a slave is
the one the test sent for that address; handshakes per slave channel are counted.

cocotb tests:
  * split_directed -- every bad address bit of both slaves (write SLVERR, read SLVERR
                      data 0, RAMs unchanged), first/last word of both slaves, W before
                      AW, a write stalled in the slave's B channel while reads to both
                      slaves complete, read/write latency logged.
  * split_random   -- 8 rounds of 4 concurrent workers (4800 operations: good and
                      partial-strobe writes, reads, bad writes/reads) with different stall
                      levels; in every other round resets at random moments (async
                      assertion mid-cycle) with transactions in flight.  Every read is
                      checked against the model; SLVERR exactly on bad / poisoned words;
                      a write lost in a reset may or may not have landed (checked: the RAM
                      holds the old or the new bytes, nothing else), after a reset all
                      valids stay 0 until new traffic, and the next transactions are
                      correct.  After each round: both RAMs equal the model byte for byte
                      and the slave handshake counts equal the forwarded operations (in
                      reset rounds: between completed and completed + lost ones).
Seeds: SF_SEED (logged).  Every bus operation has a cycle timeout.
"""

from __future__ import annotations

import json
import logging
import os
import random
from pathlib import Path

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer, with_timeout

from sfstream import CLK_PERIOD_NS, CycleCounter, make_rngs, pauses, reset_dut

DEFAULTS = {"AddrWidth": 32, "SelBit": 30, "M0AddrWidth": 16, "M1AddrWidth": 14}
ALT = {"AddrWidth": 24, "SelBit": 23, "M0AddrWidth": 6, "M1AddrWidth": 12}   # SelBit on top, M1 > M0
PARAM_SETS = [DEFAULTS, ALT]

OKAY, SLVERR = 0, 2
OP_TIMEOUT_CYCLES = 3000
POOL_WORDS = 20
POISON_WORDS = 2
WORKERS = 4
ROUNDS = [  # (ops per worker, master stall, slave stall, resets)
    (150, 0.3, 0.3, 0), (150, 0.5, 0.2, 4), (150, 0.0, 0.0, 0), (150, 0.2, 0.6, 3),
    (150, 0.6, 0.6, 0), (150, 0.1, 0.1, 6), (150, 0.0, 0.7, 0), (150, 0.7, 0.0, 4),
]


def prot_of(k: int, word_addr: int) -> int:
    """AWPROT/ARPROT the test sends for a good access (checked at the slave)."""
    return (3 * k + (word_addr >> 2) + 5 * (word_addr >> 7)) & 7


# -------------------------------------------------------------------------------------
def make_slave(dut, prefix: str, size: int, poisoned: set[int]):
    """AxiLiteRam-like slave whose words in *poisoned* answer SLVERR (nothing written)."""
    from cocotbext.axi import AxiLiteBus
    from cocotbext.axi.axil_ram import AxiLiteRamRead, AxiLiteRamWrite
    from cocotbext.axi.memory import Memory

    class Write(AxiLiteRamWrite):
        async def _write(self, address, data):
            if (address & ~3) in poisoned:
                raise ValueError("poisoned")
            await super()._write(address, data)

    class Read(AxiLiteRamRead):
        async def _read(self, address, length):
            if (address & ~3) in poisoned:
                raise ValueError("poisoned")
            return await super()._read(address, length)

    bus = AxiLiteBus.from_prefix(dut, prefix)
    mem = Memory(size)
    wr = Write(bus.write, dut.clk_i, dut.rst_ni, reset_active_level=False, size=size, mem=mem.mem)
    rd = Read(bus.read, dut.clk_i, dut.rst_ni, reset_active_level=False, size=size, mem=mem.mem)
    for part in (wr, rd):
        part.log.setLevel(logging.ERROR)   # poisoned accesses log warnings
    return mem, wr, rd


class Monitor:
    """AXI rules on every channel the split drives, idle-in-reset, prot, handshake counts."""

    def __init__(self, dut, params: dict):
        self.dut, self.sel_bit = dut, params["SelBit"]
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.channels = []   # (name, valid, ready, payload signals)
        for k in (0, 1):
            p = f"m{k}_axil_"
            self.channels += [(f"m{k}.aw", getattr(dut, p + "awvalid"), getattr(dut, p + "awready"),
                               [getattr(dut, p + "awaddr"), getattr(dut, p + "awprot")]),
                              (f"m{k}.w", getattr(dut, p + "wvalid"), getattr(dut, p + "wready"),
                               [getattr(dut, p + "wdata"), getattr(dut, p + "wstrb")]),
                              (f"m{k}.ar", getattr(dut, p + "arvalid"), getattr(dut, p + "arready"),
                               [getattr(dut, p + "araddr"), getattr(dut, p + "arprot")])]
        self.channels += [("s.b", dut.s_axil_bvalid, dut.s_axil_bready, [dut.s_axil_bresp]),
                          ("s.r", dut.s_axil_rvalid, dut.s_axil_rready, [dut.s_axil_rdata, dut.s_axil_rresp])]
        self.reset_seen = False   # rst_ni fell since the last sample (pulses < 1 clock too)
        self.clear_counts()
        cocotb.start_soon(self._run())
        cocotb.start_soon(self._watch_reset())

    async def _watch_reset(self):
        while True:
            await FallingEdge(self.dut.rst_ni)
            self.reset_seen = True

    def clear_counts(self):
        self.counts = {name: 0 for name, *_ in self.channels}

    def error(self, msg: str):
        if len(self.errors) < 20:
            self.errors.append(msg)

    def check(self):
        assert not self.errors, "protocol monitor:\n  " + "\n  ".join(self.errors)

    def any_valid(self) -> list[str]:
        """Names of the split-driven channels whose valid is high now."""
        return [name for name, v, _, _ in self.channels if int(v.value)]

    async def _run(self):
        d = self.dut
        prev = {}   # name -> payload of a valid not yet accepted
        cycle = 0
        while True:
            await FallingEdge(d.clk_i)
            await ReadOnly()
            cycle += 1
            if self.reset_seen:
                prev.clear()
                self.reset_seen = False
            if not int(d.rst_ni.value):
                prev.clear()
                for name, valid, _, _ in self.channels:
                    if int(valid.value):
                        self.error(f"cycle {cycle}: {name} valid while in reset")
                continue
            for name, valid, ready, payload in self.channels:
                v = int(valid.value)
                if name in prev and not v:
                    self.error(f"cycle {cycle}: {name} valid dropped before ready")
                if not v:
                    prev.pop(name, None)
                    continue
                data = tuple(int(s.value) for s in payload)
                if name in prev and prev[name] != data:
                    self.error(f"cycle {cycle}: {name} payload changed while stalled: {prev[name]} -> {data}")
                if int(ready.value):
                    prev.pop(name, None)
                    self.counts[name] += 1
                    if name[0] == "m" and name[3] == "a":   # aw / ar reaching slave k: prot
                        k, addr, prot = int(name[1]), data[0], data[1]
                        if prot != prot_of(k, addr & ~3):
                            self.error(f"cycle {cycle}: {name} addr {addr:#x} prot {prot}, "
                                       f"expected {prot_of(k, addr & ~3)}")
                else:
                    prev[name] = data


class TB:
    def __init__(self, dut, name: str):
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        self.dut = dut
        self.log = dut._log
        self.p = p = json.loads(os.environ["SF_SPLIT_PARAMS"])
        self.rng, _, seed = make_rngs()
        self.log.info("%s: %s, regression seed %s (re-run with SF_SEED=%s)", name, p, seed, seed)
        assert len(dut.s_axil_awaddr) == p["AddrWidth"] and len(dut.m1_axil_araddr) == p["M1AddrWidth"]
        rng = self.rng
        self.width = [p["M0AddrWidth"], p["M1AddrWidth"]]
        self.size = [1 << w for w in self.width]
        self.pool: list[list[int]] = []
        self.poisoned: list[set[int]] = []
        for k in (0, 1):
            words = self.size[k] // 4
            pool = {0, (words - 1) * 4}
            while len(pool) < min(POOL_WORDS, words):
                pool.add(4 * rng.randrange(words))
            pool = sorted(pool)
            inner = pool[1:-1]
            self.pool.append(pool)
            self.poisoned.append(set(rng.sample(inner, min(POISON_WORDS, len(inner)))))
            self.log.info("slave %d: %d pool words, poisoned %s", k, len(pool),
                          [hex(a) for a in sorted(self.poisoned[k])])
        self.bad_bits = [[b for b in range(self.width[k], p["AddrWidth"]) if b != p["SelBit"]] for k in (0, 1)]

        for prefix in ("s_axil", "m0_axil", "m1_axil"):   # cocotbext-axi channel chatter
            logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(logging.WARNING)
        dut.rst_ni.value = 1
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni,
                                 reset_active_level=False)
        for part in (self.axi.write_if, self.axi.read_if):
            part.log.setLevel(logging.ERROR)   # "Flushed ... during reset" warnings
        self.mem, self.slave_w, self.slave_r = [], [], []
        for k in (0, 1):
            m, w, r = make_slave(dut, f"m{k}_axil", self.size[k], self.poisoned[k])
            self.mem.append(m)
            self.slave_w.append(w)
            self.slave_r.append(r)
        self.model = [bytearray(s) for s in self.size]
        self.monitor = Monitor(dut, p)
        self.busy: set[tuple[int, int]] = set()
        self.quiet = False
        self.ops_done = 0
        self.uncertain: list[tuple[int, int, bytes]] = []   # writes lost in a reset
        self.stats = {"ok_w": 0, "ok_r": 0, "slverr_bad": 0, "slverr_poison": 0, "lost": 0, "resets": 0}
        self.acct = {}
        self.clear_acct()

    # -- setup ----------------------------------------------------------------------------
    async def reset(self):
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    def set_stalls(self, master: float, slave: float, burst: int = 4):
        chans = [(self.axi.write_if.aw_channel, master), (self.axi.write_if.w_channel, master),
                 (self.axi.write_if.b_channel, master), (self.axi.read_if.ar_channel, master),
                 (self.axi.read_if.r_channel, master)]
        for k in (0, 1):
            w, r = self.slave_w[k], self.slave_r[k]
            chans += [(w.aw_channel, slave), (w.w_channel, slave), (w.b_channel, slave),
                      (r.ar_channel, slave), (r.r_channel, slave)]
        for ch, p in chans:
            if p:
                ch.set_pause_generator(pauses(random.Random(self.rng.getrandbits(64)), p, burst))
            else:
                ch.clear_pause_generator()
                ch.pause = False

    def clear_acct(self):
        self.monitor.clear_counts()
        # forwarded (good address) ops per slave: completed / lost in a reset; split B/R
        self.acct = {"w_done": [0, 0], "w_lost": [0, 0], "r_done": [0, 0], "r_lost": [0, 0],
                     "b": 0, "r": 0, "lost": 0}

    # -- addresses --------------------------------------------------------------------------
    def base(self, k: int) -> int:
        return k << self.p["SelBit"]

    def bad_addr(self, k: int, word: int) -> int:
        bits = self.rng.sample(self.bad_bits[k], min(len(self.bad_bits[k]), self.rng.choice([1, 1, 2])))
        return self.base(k) | word | sum(1 << b for b in bits)

    async def lock_word(self) -> tuple[int, int]:
        while True:
            k = self.rng.randrange(2)
            word = self.rng.choice(self.pool[k])
            if (k, word) not in self.busy:
                self.busy.add((k, word))
                return k, word
            await RisingEdge(self.dut.clk_i)

    # -- bus --------------------------------------------------------------------------------
    async def _timed(self, coro, what: str):
        try:
            return await with_timeout(coro, OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")
        except Exception as e:   # SimTimeoutError: name the operation
            raise AssertionError(f"{what}: no response within {OP_TIMEOUT_CYCLES} cycles "
                                 f"(cycle {self.counter.cycle})") from e

    async def write(self, addr: int, data: bytes, prot: int):
        from cocotbext.axi import AxiProt
        res = await self._timed(self.axi.write(addr, data, AxiProt(prot)), f"write {addr:#x}")
        return None if res is None else int(res.resp)

    async def read(self, addr: int, prot: int):
        from cocotbext.axi import AxiProt
        res = await self._timed(self.axi.read(addr, 4, AxiProt(prot)), f"read {addr:#x}")
        return None if res is None else (int(res.resp), int.from_bytes(res.data, "little"))

    # -- checked operations -------------------------------------------------------------------
    async def good_write(self, k: int, word: int, off: int = 0, data: bytes | None = None):
        rng = self.rng
        if data is None:
            data = rng.randbytes(4 - off) if off else rng.randbytes(4)
        addr = self.base(k) | word | off
        resp = await self.write(addr, data, prot_of(k, word))
        poison = word in self.poisoned[k]
        if resp is None:
            self.acct["w_lost"][k] += 1
            self.acct["lost"] += 1
            self.stats["lost"] += 1
            if not poison:
                self.uncertain.append((k, word + off, data))
            return None
        self.acct["w_done"][k] += 1
        self.acct["b"] += 1
        want = SLVERR if poison else OKAY
        assert resp == want, f"write {addr:#x} ({len(data)} B): resp {resp}, expected {want}"
        if resp == OKAY:
            self.model[k][word + off:word + off + len(data)] = data
            self.stats["ok_w"] += 1
        else:
            self.stats["slverr_poison"] += 1
        return resp

    async def good_read(self, k: int, word: int):
        addr = self.base(k) | word
        res = await self.read(addr, prot_of(k, word))
        if res is None:
            self.acct["r_lost"][k] += 1
            self.acct["lost"] += 1
            self.stats["lost"] += 1
            return None
        self.acct["r_done"][k] += 1
        self.acct["r"] += 1
        if word in self.poisoned[k]:
            want = (SLVERR, 0)
            self.stats["slverr_poison"] += 1
        else:
            want = (OKAY, int.from_bytes(self.model[k][word:word + 4], "little"))
            self.stats["ok_r"] += 1
        assert res == want, f"read {addr:#x}: (resp {res[0]}, {res[1]:#010x}), expected " \
                            f"(resp {want[0]}, {want[1]:#010x})"
        return res

    async def bad_write(self, k: int, word: int):
        addr = self.bad_addr(k, word)
        resp = await self.write(addr, self.rng.randbytes(4), self.rng.randrange(8))
        if resp is None:
            self.acct["lost"] += 1
            self.stats["lost"] += 1
            return
        self.acct["b"] += 1
        assert resp == SLVERR, f"write to bad address {addr:#x}: resp {resp}, expected SLVERR"
        self.stats["slverr_bad"] += 1

    async def bad_read(self, k: int, word: int):
        addr = self.bad_addr(k, word)
        res = await self.read(addr, self.rng.randrange(8))
        if res is None:
            self.acct["lost"] += 1
            self.stats["lost"] += 1
            return
        self.acct["r"] += 1
        assert res == (SLVERR, 0), f"read of bad address {addr:#x}: {res}, expected (SLVERR, 0)"
        self.stats["slverr_bad"] += 1

    # -- whole-state checks ---------------------------------------------------------------------
    def resolve_uncertain(self):
        """Writes lost in a reset: each RAM byte they cover holds the old or a new value."""
        allowed: dict[tuple[int, int], set[int]] = {}
        for k, a, data in self.uncertain:
            for i, b in enumerate(data):
                allowed.setdefault((k, a + i), {self.model[k][a + i]}).add(b)
        for (k, a), vals in allowed.items():
            got = self.mem[k].mem[a]
            assert got in vals, f"slave {k} byte {a:#x} = {got:#04x} after a reset, expected one of " \
                                f"{sorted(vals)} (old value or a lost write's)"
            self.model[k][a] = got
        self.uncertain.clear()

    def compare_memories(self):
        for k in (0, 1):
            got = bytes(self.mem[k].mem[:self.size[k]])
            if got != bytes(self.model[k]):
                bad = [a for a in range(self.size[k]) if got[a] != self.model[k][a]]
                raise AssertionError(f"slave {k} RAM differs from the model at {len(bad)} bytes, first "
                                     f"{[hex(a) for a in bad[:8]]}")

    def check_counts(self, resets: bool):
        c, a = self.monitor.counts, self.acct
        for k in (0, 1):
            for ch, done, lost in (("aw", "w_done", "w_lost"), ("w", "w_done", "w_lost"), ("ar", "r_done", "r_lost")):
                n = c[f"m{k}.{ch}"]
                lo, hi = a[done][k], a[done][k] + (a[lost][k] if resets else 0)
                assert lo <= n <= hi, f"slave {k} {ch}: {n} handshakes, expected {lo}..{hi} " \
                                      f"(forwarded operations)"
        for ch in ("b", "r"):
            n = c[f"s.{ch}"]
            lo, hi = a[ch], a[ch] + (a["lost"] if resets else 0)
            assert lo <= n <= hi, f"split {ch.upper()}: {n} responses, expected {lo}..{hi}"

    async def wait_quiet_bus(self):
        await ClockCycles(self.dut.clk_i, 10)
        await ReadOnly()
        high = self.monitor.any_valid()
        assert not high, f"valid still high on an idle bus: {high}"
        await FallingEdge(self.dut.clk_i)

    async def gate(self):
        while self.quiet:
            await RisingEdge(self.dut.clk_i)


# -------------------------------------------------------------------------------------
@cocotb.test(timeout_time=20, timeout_unit="ms")
async def split_directed(dut):
    tb = TB(dut, "split_directed")
    await tb.reset()
    rng = tb.rng
    tb.set_stalls(0.0, 0.0)

    # first / last word of both slaves; latency
    for k in (0, 1):
        for word in (0, tb.size[k] - 4):
            c0 = tb.counter.cycle
            assert await tb.good_write(k, word) == OKAY
            c1 = tb.counter.cycle
            assert (await tb.good_read(k, word))[0] == OKAY
            tb.log.info("slave %d word %#x: write %d cycles, read %d cycles (no stalls)", k, word,
                        c1 - c0, tb.counter.cycle - c1)
    # every bad bit, both slaves, write and read: SLVERR, nothing written
    for k in (0, 1):
        for b in tb.bad_bits[k]:
            for word in (0, tb.size[k] - 4, rng.choice(tb.pool[k])):
                addr = tb.base(k) | word | 1 << b
                resp = await tb.write(addr, rng.randbytes(4), rng.randrange(8))
                assert resp == SLVERR, f"write {addr:#x} (bit {b}): resp {resp}"
                res = await tb.read(addr, rng.randrange(8))
                assert res == (SLVERR, 0), f"read {addr:#x} (bit {b}): {res}"
    tb.compare_memories()
    assert tb.monitor.counts["m0.aw"] + tb.monitor.counts["m1.aw"] == 4
    assert tb.monitor.counts["m0.ar"] + tb.monitor.counts["m1.ar"] == 4
    # poisoned words: the slave's SLVERR passes through
    for k in (0, 1):
        for word in tb.poisoned[k]:
            assert await tb.good_write(k, word) == SLVERR
            assert (await tb.good_read(k, word))[0] == SLVERR
    tb.compare_memories()

    # W before AW: the split holds W until AW arrives
    aw = tb.axi.write_if.aw_channel
    aw.pause = True
    k, word = 1, rng.choice([w for w in tb.pool[1] if w not in tb.poisoned[1]])
    task = cocotb.start_soon(tb.good_write(k, word))
    await ClockCycles(dut.clk_i, 12)
    await ReadOnly()
    assert int(dut.s_axil_wready.value) == 0, "W not captured while AW is stalled"
    assert not tb.monitor.any_valid(), "something reached a slave before AW"
    await FallingEdge(dut.clk_i)
    aw.pause = False
    assert await with_timeout(task, 200 * CLK_PERIOD_NS, "ns") == OKAY

    # a write stalled in slave 0's B channel does not hold up reads of either slave
    b0 = tb.slave_w[0].b_channel
    b0.pause = True
    word = rng.choice([w for w in tb.pool[0] if w not in tb.poisoned[0]])
    task = cocotb.start_soon(tb.good_write(0, word))
    await ClockCycles(dut.clk_i, 20)
    assert not task.done()
    for _ in range(10):
        kk = rng.randrange(2)
        await tb.good_read(kk, rng.choice([w for w in tb.pool[kk] if (kk, w) != (0, word)]))
    assert not task.done()
    b0.pause = False
    assert await with_timeout(task, 200 * CLK_PERIOD_NS, "ns") == OKAY
    assert (await tb.good_read(0, word))[0] == OKAY
    await tb.wait_quiet_bus()
    tb.compare_memories()
    tb.monitor.check()
    tb.log.info("stats %s", tb.stats)


@cocotb.test(timeout_time=400, timeout_unit="ms")
async def split_random(dut):
    tb = TB(dut, "split_random")
    await tb.reset()
    rng, clk = tb.rng, dut.clk_i
    total = 0

    async def worker(n_ops: int):
        for _ in range(n_ops):
            while True:   # no new operation while a reset is under way
                await tb.gate()
                k, word = await tb.lock_word()
                if not tb.quiet:
                    break
                tb.busy.discard((k, word))
            try:
                r = rng.random()
                if r < 0.12:
                    await tb.bad_write(k, word)
                elif r < 0.24:
                    await tb.bad_read(k, word)
                elif r < 0.62:
                    off = rng.randrange(4) if rng.random() < 0.3 else 0
                    n = rng.randint(1, 4 - off) if off or rng.random() < 0.3 else 4
                    await tb.good_write(k, word, off, rng.randbytes(n))
                else:
                    await tb.good_read(k, word)
            finally:
                tb.busy.discard((k, word))
                tb.ops_done += 1

    async def resetter(n: int, n_ops: int):
        """*n* resets at random points of the round (after a random number of operations)."""
        for when in sorted(rng.sample(range(tb.ops_done + 10, tb.ops_done + n_ops - 20), n)):
            while tb.ops_done < when:
                await RisingEdge(clk)
            await ClockCycles(clk, rng.randrange(8))
            t = tb.counter.cycle
            await Timer(rng.randint(1, CLK_PERIOD_NS - 1), "ns")   # asynchronous assertion
            tb.quiet = True
            high0, busy0 = tb.monitor.any_valid(), len(tb.busy)
            dut.rst_ni.value = 0
            for _ in range(rng.randint(2, 5)):   # >= 1 full clock in reset
                await FallingEdge(clk)
            tb.resolve_uncertain()       # nothing can land while in reset
            dut.rst_ni.value = 1
            for _ in range(8):           # every channel idle, nothing reaches a slave
                await FallingEdge(clk)
                await ReadOnly()
                high = tb.monitor.any_valid()
                assert not high, f"valid rose after a reset without new traffic: {high}"
            await FallingEdge(clk)
            tb.stats["resets"] += 1
            tb.log.info("reset at cycle %d: %d operations in flight, valids high %s", t, busy0, high0)
            tb.quiet = False

    for rnd, (n_ops, m_stall, s_stall, n_resets) in enumerate(ROUNDS):
        tb.set_stalls(m_stall, s_stall)
        tb.clear_acct()
        c0 = tb.counter.cycle
        workers = [cocotb.start_soon(worker(n_ops)) for _ in range(WORKERS)]
        res = cocotb.start_soon(resetter(n_resets, WORKERS * n_ops)) if n_resets else None
        for w in workers:
            await w
        if res is not None:
            await res
        total += WORKERS * n_ops
        await tb.wait_quiet_bus()
        tb.monitor.check()
        assert not tb.uncertain
        tb.compare_memories()
        tb.check_counts(bool(n_resets))
        tb.log.info("round %d (stall master %.1f slave %.1f, %d resets): %d ops in %d cycles, "
                    "lost %d; stats %s", rnd, m_stall, s_stall, n_resets, WORKERS * n_ops,
                    tb.counter.cycle - c0, tb.acct["lost"], tb.stats)
    assert total >= 3000
    assert tb.stats["resets"] == sum(r[3] for r in ROUNDS)
    assert tb.stats["slverr_bad"] > 300 and tb.stats["slverr_poison"] > 10 and tb.stats["lost"] > 0


# -------------------------------------------------------------------------------------
def _sources():
    from semifreddo import RTL_DIR
    return [RTL_DIR / "sf_axil_split.sv"]


def _id(p: dict) -> str:
    return "a{AddrWidth}-s{SelBit}-m{M0AddrWidth}-{M1AddrWidth}".format(**p)


@pytest.mark.parametrize("params", PARAM_SETS, ids=_id)
def test_sf_axil_split_lint(params):
    from semifreddo.toolchain import lint
    proc = lint(_sources(), "sf_axil_split", params)
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stdout + proc.stderr


def test_sf_axil_split_rejects_bad_parameters():
    from semifreddo.toolchain import lint
    for params, msg in [({"SelBit": 32}, "SelBit"), ({"SelBit": 15}, "M0AddrWidth"),
                        ({"M1AddrWidth": 31}, "M1AddrWidth"), ({"AddrWidth": 1, "SelBit": 0}, "AddrWidth")]:
        proc = lint(_sources(), "sf_axil_split", params)
        assert proc.returncode != 0 and msg in proc.stdout + proc.stderr, params


@pytest.mark.parametrize("params", PARAM_SETS, ids=_id)
def test_sf_axil_split(params):
    from semifreddo.simulate import run_cocotb
    run_cocotb(toplevel="sf_axil_split", sources=_sources(), test_module="test_sf_axil_split",
               parameters=params, extra_env={"SF_SPLIT_PARAMS": json.dumps(params)},
               build_name=f"sf_axil_split-{_id(params)}",
               python_paths=[Path(__file__).resolve().parent])
