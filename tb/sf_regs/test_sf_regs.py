"""Testbench for the generated configuration slave (gen/semifreddo/regmap.py): the
peakrdl-regblock register block behind rtl/sf_axil_cpuif.sv (AXI4-Lite) plus the generated
wrapper ``<net>_regs`` that serves its external regions (two-bank settings flops, one
rtl/sf_weight_mem.sv per memory).

The DUT is generated for the small description NET_DESC (every kind of register and
region: shuffle, repeats, alpha, a 1-value memory, a 32-bit one, odd widths).  All bus
traffic comes from cocotbext-axi's AxiLiteMaster with a random pause generator on each of
its five channels; a monitor checks AXI4-Lite rules on the slave's B and R channels (valid
held until ready, payload stable while stalled, idle in reset) every cycle.

cocotb tests:
  * regs_random   -- shadow bank loaded with encode_config(random Config), then >= 10,000
                     random reads/writes (full and partial strobes, unmapped addresses,
                     out-of-range alpha/repeats, junk upper bits) from 4 concurrent workers,
                     each owning a disjoint set of stateful addresses (so each address sees
                     a known order), against RegsModel: every response (OKAY/SLVERR) and
                     every known read value.  Then a full readback, the SLVERR count of the
                     monitor vs ERR/BUS_ERR_COUNT, start pulses vs CTRL.start writes, and two
                     bank swaps at frame_start_i: datapath ports show the committed set, the
                     host sees the other one.
  * regs_commit   -- two full Configs through encode_config + commit; a swap happens only
                     at frame_start_i with a commit pending, and CTRL.commit clears only
                     once every frame started before the swap is done (frame_done_i); every datapath read port,
                     alpha/shuffle/repeats output equals the active Config while the host
                     reads the other; frame counter, sticky W1C flags (a set in the same
                     cycle as the clear wins), start pulse.
  * regs_reset    -- resets at random moments with transactions in flight under heavy
                     stalls: B/R idle during and after reset, registers back to reset
                     values, bank 0 active, the next transactions correct.
  * regs_rate     -- no stalls: register reads/writes back to back at one per clock;
                     one-lane memory writes at one per two clocks (the external ack takes a
                     cycle; multi-lane memories acknowledge after a sequential divide), reads
                     at one per four (the read-back is retimed twice).

Seeds: SF_SEED (logged); every test has a sim-time timeout and every transaction a
cycle timeout.
"""

from __future__ import annotations

import copy
import logging
import random
from pathlib import Path

import pytest

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, with_timeout

from semifreddo import BUILD_DIR, regmap, weights
from semifreddo.netdesc import parse_description
from semifreddo.simulate import run_cocotb

from sfstream import CLK_PERIOD_NS, CycleCounter, make_rngs, pauses

OKAY, SLVERR = 0, 2
MASK32 = (1 << 32) - 1
OP_TIMEOUT_CYCLES = 5000
N_WORKERS = 4
N_RANDOM_OPS = 10_000

NET_DESC = {
    "format": "semifreddo-net/1", "name": "sfregs",
    "input": {"width": 4, "height": 4, "channels": 2, "bits": 8},
    "frozen": {"weights": "unused.npz", "sha256": "0" * 64, "blocks": [
        {"kernel": 3, "stride": 1, "out_channels": 4, "weight_bits": 4, "requant": {"shift": 6}},
        {"kernel": 1, "stride": 1, "out_channels": 4, "weight_bits": 4, "requant": {"shift": 6}}]},
    "trainable": {"alpha_bits": 3, "cores": [
        {"name": "a", "blocks": [{"out_channels": 2, "weight_bits": 3, "bias_bits": 11}, {"out_channels": 2}]},
        {"name": "b", "blocks": [{"out_channels": 3}, {"out_channels": 3}]}]},
    "shuffle": {"after_blocks": [0], "channels": 1},
    "repeat": {"first_block": 1, "max_repeats": 3},
    "heads": {"a": {"type": "classification", "classes": 3},
              "b": {"type": "dense", "out_channels": 1, "requant": {"shift": 4}}},
}


def network():
    return parse_description(copy.deepcopy(NET_DESC), verify_weights=False)


# -------------------------------------------------------------------------------------
# Bus-level model of the map
# -------------------------------------------------------------------------------------
def biten_of(strb: int) -> int:
    return sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)


class RegsModel:
    """What every mapped word reads and how every write changes it (regmap.py semantics).

    Values are ``None`` where the hardware content is unknown (memories never written).
    """

    def __init__(self, m: regmap.RegisterMap) -> None:
        self.m = m
        self.words: dict[int, tuple] = {}
        for reg in m.registers.values():
            for i, a in enumerate(reg.addresses()):
                self.words[a] = ("set" if reg.external else "fixed", reg, i)
        for r in m.memories.values():
            for i in range(r.count):
                self.words[r.address(i)] = ("mem", r, i)
        self.mem: list[dict[int, int | None]] = [
            {a: None for a, w in self.words.items() if w[0] == "mem"} for _ in range(2)]
        self.slverr = 0          # SLVERR responses the master received
        self.start_pulses = 0    # CTRL.start writes
        self.reset()

    def reset(self) -> None:
        """Hardware reset: registers and settings to reset values, bank 0; RAM kept."""
        self.bank = 0
        self.inflight = 0        # frames started, not done
        self.swapped = False     # a swap happened, commit waits for the old frames
        self.drain = 0           # old-bank frames still in flight
        self.f = {(reg.name, f.name): f.reset for reg in self.m.registers.values()
                  if not reg.external for f in reg.fields}
        self.set = [{a: self.m.registers[w[1].name].fields[0].reset
                     for a, w in self.words.items() if w[0] == "set"} for _ in range(2)]

    # -- helpers ----------------------------------------------------------------------
    @property
    def shadow(self) -> int:
        return 1 - self.bank

    def is_mapped(self, addr: int) -> bool:
        return addr in self.words

    @staticmethod
    def sext32(v: int, width: int) -> int:
        if v >= 1 << (width - 1):
            v -= 1 << width
        return v & MASK32

    # -- hardware events --------------------------------------------------------------
    def frame_start(self) -> None:
        if self.f[("ctrl", "commit")] and not self.swapped:
            self.bank ^= 1
            self.swapped, self.drain = True, self.inflight
            self._drained()
        self.inflight += 1

    def _drained(self) -> None:
        if self.swapped and self.drain == 0:     # every frame of the old bank is done
            self.f[("ctrl", "commit")] = 0
            self.swapped = False

    def frame_done(self) -> None:
        self.inflight = max(0, self.inflight - 1)
        if self.swapped and self.drain:
            self.drain -= 1
        self._drained()
        self.f[("status", "frame_done")] = 1
        self.f[("frame_count", "count")] = (self.f[("frame_count", "count")] + 1) & MASK32

    def frame_err(self) -> None:
        self.f[("err", "frame_err")] = 1

    def _slverr(self) -> int:
        self.slverr += 1
        self.f[("err", "bus_err")] = 1
        self.f[("bus_err_count", "count")] = min(self.f[("bus_err_count", "count")] + 1, 0xFFFF)
        return SLVERR

    # -- bus accesses -----------------------------------------------------------------
    def read(self, addr: int) -> tuple[int, int | None]:
        addr &= ~3
        if addr not in self.words:
            return self._slverr(), 0
        kind, obj, i = self.words[addr]
        if kind == "set":
            return OKAY, self.set[self.shadow][addr]
        if kind == "mem":
            v = self.mem[self.shadow][addr]
            return OKAY, None if v is None else self.sext32(v, obj.value_width)
        word = 0
        for f in obj.fields:
            if f.access == "ro":
                v = self.bank if f.name == "active_bank" else self.f[("ctrl", "commit")]
            elif f.access == "pulse":
                v = 0
            else:
                v = self.f[(obj.name, f.name)]
            word |= v << f.lsb
        return OKAY, word

    def write(self, addr: int, data: int, strb: int) -> int:
        addr &= ~3
        if addr not in self.words:
            return self._slverr()
        kind, obj, i = self.words[addr]
        be = biten_of(strb)
        if kind == "set":
            f = obj.fields[0]
            merged = (self.set[self.shadow][addr] & ~be | data & be) & MASK32
            if f.access == "bit":
                v = merged & 1
            elif f.access == "clamp":
                v = f.lo if merged == 0 else min(merged, f.hi)
            else:  # sat
                v = min(merged, f.hi)
            self.set[self.shadow][addr] = v
            return OKAY
        if kind == "mem":
            full = (1 << obj.value_width) - 1
            mask = be & full
            old = self.mem[self.shadow][addr]
            if old is None:
                self.mem[self.shadow][addr] = (data & full) if mask == full else None
            else:
                self.mem[self.shadow][addr] = (old & ~mask | data & mask) & full
            return OKAY
        for f in obj.fields:
            fmask = (1 << f.width) - 1
            bits, en = (data >> f.lsb) & fmask, (be >> f.lsb) & fmask
            key = (obj.name, f.name)
            if f.access in ("rw", "counter"):
                self.f[key] = self.f[key] & ~en | bits & en
            elif f.access == "pulse":
                self.start_pulses += int(bool(bits & en & 1))
            elif f.access == "w1s_hwclr":
                self.f[key] |= bits & en
            elif f.access == "w1c":
                self.f[key] &= ~(bits & en)
        return OKAY


# -------------------------------------------------------------------------------------
# Test bench
# -------------------------------------------------------------------------------------
class TB:
    def __init__(self, dut, name: str) -> None:
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        self.dut = dut
        self.log = dut._log
        self.net = network()
        self.m = regmap.build_map(self.net)
        self.model = RegsModel(self.m)
        self.rng, self.nprng, seed = make_rngs()
        self.log.info("%s: regression seed %s (re-run with SF_SEED=%s); map %#x bytes, %d-bit addresses",
                      name, seed, seed, self.m.size, self.m.addr_width)
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        for sig in ("frame_start_i", "frame_done_i", "frame_err_i"):
            getattr(dut, sig).value = 0
        for r in self.m.memories.values():
            getattr(dut, f"{r.name}_rd_en_i").value = 0
            getattr(dut, f"{r.name}_rd_bank_i").value = 0
            getattr(dut, f"{r.name}_rd_addr_i").value = 0
        dut.rst_ni.value = 1
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni,
                                 reset_active_level=False)
        for part in (self.axi.write_if, self.axi.read_if):   # one INFO line per transfer otherwise
            part.log.setLevel(logging.WARNING)
        self.errors: list[str] = []
        self.mon_slverr = 0
        self.mon_start = 0
        self.hs: dict[str, list[int]] = {c: [] for c in ("aw", "w", "b", "ar", "r")}
        self.in_reset = False
        cocotb.start_soon(self._monitor())

    # -- stalls -----------------------------------------------------------------------
    def channels(self):
        w, r = self.axi.write_if, self.axi.read_if
        return {"aw": w.aw_channel, "w": w.w_channel, "b": w.b_channel, "ar": r.ar_channel, "r": r.r_channel}

    def set_stalls(self, p: float | dict, burst: int = 4) -> None:
        for name, ch in self.channels().items():
            pp = p[name] if isinstance(p, dict) else p
            ch.set_pause_generator(pauses(random.Random(self.rng.getrandbits(64)), pp, burst) if pp else None)
            if not pp:
                ch.pause = False   # removing a generator leaves its last value in place

    # -- monitor ----------------------------------------------------------------------
    async def _monitor(self) -> None:
        """Every cycle (sampled half a cycle before the rising edge): AXI4-Lite rules on the
        slave's outputs, handshake stamps, SLVERR responses, start pulses."""
        d = self.dut
        held = {"b": None, "r": None}
        while True:
            await FallingEdge(d.clk_i)
            await ReadOnly()
            now = self.counter.cycle
            if int(d.rst_ni.value) == 0:
                held = {"b": None, "r": None}
                if int(d.s_axil_bvalid.value) or int(d.s_axil_rvalid.value):
                    self.errors.append(f"cycle {now}: bvalid/rvalid high in reset")
                continue
            if int(d.start_o.value):
                self.mon_start += 1
            for ch, payload in (("b", ("bresp",)), ("r", ("rresp", "rdata"))):
                valid = int(getattr(d, f"s_axil_{ch}valid").value)
                ready = int(getattr(d, f"s_axil_{ch}ready").value)
                pl = tuple(int(getattr(d, f"s_axil_{p}").value) for p in payload)
                if held[ch] is not None and (not valid or pl != held[ch]):
                    self.errors.append(f"cycle {now}: {ch} channel changed while stalled: "
                                       f"held {held[ch]}, now valid={valid} {pl}")
                if valid and ready:
                    self.hs[ch].append(now)
                    if pl[0] == SLVERR:
                        self.mon_slverr += 1
                    held[ch] = None
                else:
                    held[ch] = pl if valid else None
            for ch in ("aw", "w", "ar"):
                if int(getattr(d, f"s_axil_{ch}valid").value) and int(getattr(d, f"s_axil_{ch}ready").value):
                    self.hs[ch].append(now)
            if len(self.errors) > 20:
                return

    def check_errors(self) -> None:
        assert not self.errors, "\n".join(self.errors[:20])

    # -- reset and hardware events ----------------------------------------------------
    async def reset(self, cycles: int = 4) -> None:
        await FallingEdge(self.dut.clk_i)
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, cycles)
        await FallingEdge(self.dut.clk_i)
        self.dut.rst_ni.value = 1
        self.model.reset()
        await ClockCycles(self.dut.clk_i, 2)

    async def pulse(self, sig: str, cycles: int = 1) -> None:
        """Drive *sig* high for *cycles* clocks (changed on falling edges), update the model."""
        await self.pulses(*[sig] * cycles)

    async def pulses(self, *clocks: str | tuple[str, ...]) -> None:
        """Drive frame events in consecutive clocks, one entry per clock: a signal name, or
        a tuple of names high in the same clock (the model takes a frame_done_i before a
        frame_start_i of the same clock: the frame that ends is an older one)."""
        order = ("frame_done_i", "frame_err_i", "frame_start_i")
        event = {"frame_start_i": self.model.frame_start, "frame_done_i": self.model.frame_done,
                 "frame_err_i": self.model.frame_err}
        await FallingEdge(self.dut.clk_i)
        for sigs in clocks:
            sigs = (sigs,) if isinstance(sigs, str) else sigs
            for sig in order:
                getattr(self.dut, sig).value = int(sig in sigs)
            for sig in sorted(sigs, key=order.index):
                event[sig]()
            if "frame_start_i" in sigs:
                # the stamp of the frame starting now: the bank after the swap it may cause
                await ReadOnly()
                assert int(self.dut.frame_bank_o.value) == self.model.bank, "frame_bank_o"
            await FallingEdge(self.dut.clk_i)
        for sig in order:
            getattr(self.dut, sig).value = 0

    # -- transactions -----------------------------------------------------------------
    async def _timed(self, coro):
        return await with_timeout(coro, OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")

    async def write(self, addr: int, data: int, strb: int = 0xF, *, check: bool = True):
        """Write the bytes of *data* enabled by *strb* (a contiguous byte range)."""
        lanes = [i for i in range(4) if strb >> i & 1]
        off, n = lanes[0], len(lanes)
        assert lanes == list(range(off, off + n)), "strobes must be contiguous"
        res = await self._timed(self.axi.write(addr + off, (data & MASK32).to_bytes(4, "little")[off:off + n]))
        if res is None:     # flushed by a reset
            return None
        exp = self.model.write(addr, data, strb)
        if check and int(res.resp) != exp:
            self.errors.append(f"write {addr:#05x} <- {data:#010x}/{strb:#x}: resp {int(res.resp)}, expected {exp}")
        return int(res.resp)

    async def read(self, addr: int, off: int = 0, n: int = 4, *, check: bool = True):
        res = await self._timed(self.axi.read(addr + off, n))
        if res is None:
            return None
        exp_resp, exp = self.model.read(addr)
        got = int.from_bytes(res.data, "little") << (8 * off)
        if check:
            if int(res.resp) != exp_resp:
                self.errors.append(f"read {addr:#05x}: resp {int(res.resp)}, expected {exp_resp}")
            elif exp is not None:
                mask = sum(0xFF << (8 * i) for i in range(off, off + n))
                if got != exp & mask:
                    self.errors.append(f"read {addr:#05x} [{off}+{n}]: {got:#010x}, expected {exp & mask:#010x} "
                                       f"({self.describe(addr)})")
        return got

    def describe(self, addr: int) -> str:
        w = self.model.words.get(addr & ~3)
        return "unmapped" if w is None else f"{w[1].name}[{w[2]}]"

    async def load(self, writes: list[tuple[int, int]], workers: int = 4) -> None:
        """Issue *writes* from several concurrent tasks (each address once: order-free)."""
        async def run(part):
            for a, wd in part:
                assert await self.write(a, wd) == OKAY
        tasks = [cocotb.start_soon(run(writes[k::workers])) for k in range(workers)]
        for t in tasks:
            await t

    async def readback(self, workers: int = 4) -> None:
        """Read every mapped word (model compare), from several tasks."""
        addrs = sorted(self.model.words)

        async def run(part):
            for a in part:
                await self.read(a)
        tasks = [cocotb.start_soon(run(addrs[k::workers])) for k in range(workers)]
        for t in tasks:
            await t

    # -- datapath side ----------------------------------------------------------------
    async def check_active(self) -> None:
        """Every datapath output equals the model's ACTIVE bank."""
        d, m, model = self.dut, self.m, self.model
        await FallingEdge(d.clk_i)
        await ReadOnly()
        assert int(d.active_bank_o.value) == model.bank
        ab = m.alpha_bits + 1
        # Settings ports carry both banks (bank b in slice b): check both.
        for reg in m.settings:
            got = int(getattr(d, f"{reg.name}_o").value)
            width = ab if reg.array else reg.fields[0].width
            for bank in (0, 1):
                for i, a in enumerate(reg.addresses()):
                    exp = model.set[bank][a]
                    val = (got >> ((bank * reg.count + i) * width)) & ((1 << width) - 1)
                    assert val == exp, f"{reg.name}_o bank {bank} [{i}] = {val}, model has {exp}"
        # Memories: every entry of the active bank (the reader names the bank), all lanes.
        mems = list(m.memories.values())
        lanes = {r.name: m.lanes.get(r.name, 1) for r in mems}
        entries = {r.name: -(-r.count // lanes[r.name]) for r in mems}
        pending = None
        for e in range(max(entries.values()) + 1):
            await FallingEdge(d.clk_i)
            for r in mems:
                getattr(d, f"{r.name}_rd_en_i").value = int(e < entries[r.name])
                getattr(d, f"{r.name}_rd_bank_i").value = model.bank
                getattr(d, f"{r.name}_rd_addr_i").value = e % entries[r.name]
            await ReadOnly()
            if pending is not None:
                for r in mems:
                    if pending >= entries[r.name]:
                        continue
                    word = int(getattr(d, f"{r.name}_rd_data_o").value)
                    for lane in range(lanes[r.name]):
                        j = pending * lanes[r.name] + lane
                        exp = model.mem[model.bank][r.address(j)] if j < r.count else None
                        if exp is not None:
                            got = (word >> (lane * r.value_width)) & ((1 << r.value_width) - 1)
                            assert got == exp, f"{r.name} active[{j}] = {got:#x}, expected {exp:#x}"
            pending = e
        await FallingEdge(d.clk_i)
        for r in mems:
            getattr(d, f"{r.name}_rd_en_i").value = 0

    # -- random traffic ---------------------------------------------------------------
    def interesting_word(self, addr: int) -> int:
        rng = self.rng
        w = self.model.words.get(addr & ~3)
        if w is not None and w[0] == "set" and rng.random() < 0.7:
            f = w[1].fields[0]
            return rng.choice([0, 1, f.hi, f.hi + 1, f.hi - 1 if f.hi else 0, rng.randrange(2 * f.hi + 2),
                               MASK32, 1 << 31, rng.getrandbits(32)]) & MASK32
        if w is not None and w[0] == "fixed" and w[1].name == "ctrl" and rng.random() < 0.5:
            return rng.getrandbits(3)
        return rng.getrandbits(32)

    def random_strb(self) -> int:
        if self.rng.random() < 0.75:
            return 0xF
        off = self.rng.randrange(4)
        n = self.rng.randint(1, 4 - off)
        return ((1 << n) - 1) << off

    async def random_op(self, addr: int) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            await self.write(addr, self.interesting_word(addr), self.random_strb())
        elif rng.random() < 0.8:
            await self.read(addr)
        else:
            off = rng.randrange(4)
            await self.read(addr, off, rng.randint(1, 4 - off))

    async def worker(self, owned: list[int], shared: list[int], unmapped: list[int], n_ops: int,
                     done: list[int]) -> None:
        rng = self.rng
        for _ in range(n_ops):
            p = rng.random()
            if unmapped and p < 0.06:
                addr = rng.choice(unmapped)
            elif p < 0.12:
                addr = rng.choice(shared)
            else:
                addr = rng.choice(owned)
            await self.random_op(addr)
            done[0] += 1

    def partition(self, workers: int):
        """Disjoint owned address sets: worker 0 also owns the control/status/error
        registers and is the only one touching unmapped addresses (they set ERR)."""
        m = self.m
        shared = [r.address for r in m.registers.values() if not r.external and r.fields[0].access == "const"]
        control = [r.address for r in m.registers.values() if not r.external and r.address not in shared]
        rest = [a for a, w in self.model.words.items() if w[0] != "fixed"]
        self.rng.shuffle(rest)
        owned = [rest[k::workers] for k in range(workers)]
        owned[0] += control
        space = 1 << m.addr_width
        unmapped = [a for a in range(0, space, 4) if a not in self.model.words]
        return owned, shared, unmapped


# -------------------------------------------------------------------------------------
# Tests
# -------------------------------------------------------------------------------------
@cocotb.test(timeout_time=60, timeout_unit="ms")
async def regs_random(dut):
    tb = TB(dut, "regs_random")
    await tb.reset()
    m, model = tb.m, tb.model
    # Identification first (also checks the build ID is what the description hashes to).
    for name in ("magic", "version", "build_id_lo", "build_id_hi"):
        await tb.read(m.address(name))
    lo, hi = model.read(m.address("build_id_lo"))[1], model.read(m.address("build_id_hi"))[1]
    assert (hi << 32 | lo) == tb.net.build_id and model.read(0)[1] == regmap.MAGIC

    cfg = weights.random_config(tb.net, tb.nprng)
    tb.set_stalls(0.3, 3)
    await tb.load(m.encode_config(cfg))
    tb.check_errors()

    owned, shared, unmapped = tb.partition(N_WORKERS)
    done = [0]
    phases = [({"aw": 0.2, "w": 0.2, "b": 0.2, "ar": 0.2, "r": 0.2}, 2),
              ({"aw": 0.5, "w": 0.1, "b": 0.6, "ar": 0.1, "r": 0.6}, 6),
              ({"aw": 0.0, "w": 0.6, "b": 0.0, "ar": 0.6, "r": 0.0}, 3),
              ({"aw": 0.7, "w": 0.7, "b": 0.7, "ar": 0.7, "r": 0.7}, 1)]
    per_phase = -(-N_RANDOM_OPS // (len(phases) * N_WORKERS))
    t0 = tb.counter.cycle
    for stalls, burst in phases:
        tb.set_stalls(stalls, burst)
        tasks = [cocotb.start_soon(tb.worker(owned[k], shared, unmapped if k == 0 else [], per_phase, done))
                 for k in range(N_WORKERS)]
        for t in tasks:
            await t
        tb.check_errors()
    tb.log.info("%d random transactions in %d cycles, %d SLVERR", done[0], tb.counter.cycle - t0, model.slverr)
    assert done[0] >= N_RANDOM_OPS and model.slverr > 50

    # Full readback: nothing changed behind the model's back (rejected writes included).
    await tb.readback()
    tb.check_errors()
    await ClockCycles(dut.clk_i, 4)
    assert tb.mon_slverr == model.slverr, f"monitor saw {tb.mon_slverr} SLVERR, model {model.slverr}"
    assert tb.mon_start == model.start_pulses, f"start_o pulsed {tb.mon_start} times, {model.start_pulses} writes"
    assert int(dut.enable_o.value) == model.f[("ctrl", "enable")]

    # Bank swaps: commit (if not already pending) + frame_start; twice, readback each time.
    for _ in range(2):
        await tb.write(m.address("ctrl"), model.read(m.address("ctrl"))[1] | 4)
        assert model.f[("ctrl", "commit")] == 1
        await tb.check_active()
        await tb.pulse("frame_start_i")
        await tb.read(m.address("ctrl"))
        await tb.read(m.address("status"))
        await tb.check_active()
        await tb.pulse("frame_done_i")       # the frame ends: nothing of the old bank in flight
        await tb.readback()
        tb.check_errors()
    tb.check_errors()


@cocotb.test(timeout_time=10, timeout_unit="ms")
async def regs_commit(dut):
    tb = TB(dut, "regs_commit")
    await tb.reset()
    m, model = tb.m, tb.model
    tb.set_stalls(0.2, 2)
    ctrl, status, err = m.address("ctrl"), m.address("status"), m.address("err")
    cfgs = [weights.random_config(tb.net, tb.nprng) for _ in range(2)]
    for k, cfg in enumerate(cfgs):
        await tb.load(m.encode_config(cfg))
        # frame_start without a pending commit: no swap
        await tb.pulse("frame_start_i")
        await tb.check_active()
        await tb.write(ctrl, 4)
        await tb.read(ctrl)
        await tb.read(status)
        assert model.f[("ctrl", "commit")] == 1 and model.bank == k
        # frame_done without frame_start: still pending
        await tb.pulse("frame_done_i")
        await tb.read(ctrl)
        await tb.check_active()
        await tb.pulse("frame_start_i")
        assert model.bank == 1 - k
        await tb.read(ctrl)
        await tb.read(status)
        await tb.check_active()
        await tb.pulse("frame_done_i")
    # Commit waits for the old bank's frames: two frames in flight when the swap happens.
    await tb.pulse("frame_start_i")
    await tb.pulse("frame_start_i")
    await tb.write(ctrl, 4)
    await tb.pulse("frame_start_i")          # swap; the two earlier frames still run on the old bank
    assert model.bank == 1 and model.f[("ctrl", "commit")] == 1
    await tb.read(ctrl)
    await tb.read(status)
    await tb.pulse("frame_done_i")
    await tb.read(ctrl)
    assert model.f[("ctrl", "commit")] == 1
    await tb.pulse("frame_done_i")           # the last old-bank frame is done: commit clears
    await tb.read(ctrl)
    await tb.read(status)
    assert model.f[("ctrl", "commit")] == 0
    await tb.check_active()
    await tb.write(ctrl, 4)                  # back to cfgs[1] (one frame, bank 0, in flight)
    await tb.pulse("frame_start_i")
    await tb.pulse("frame_done_i", 2)
    await tb.read(ctrl)
    assert model.bank == 0 and model.f[("ctrl", "commit")] == 0
    # Events back to back with the swap (the register block counts frames from flopped
    # events a clock late): a frame ends in the clock before the swapping start, then in
    # the same clock; either way exactly the one frame still running must drain.  Two
    # swaps: the bank ends where it was.
    for clocks in (("frame_done_i", "frame_start_i"), (("frame_done_i", "frame_start_i"),)):
        await tb.pulse("frame_start_i")
        await tb.pulse("frame_start_i")      # two frames of the old bank
        await tb.write(ctrl, 4)
        await tb.pulses(*clocks)             # one ends, the swap: one old frame left
        assert model.f[("ctrl", "commit")] == 1 and model.drain == 1
        await tb.read(ctrl)
        await tb.check_active()
        await tb.pulse("frame_done_i")       # it ends: commit clears
        await tb.read(ctrl)
        assert model.f[("ctrl", "commit")] == 0
        await tb.pulse("frame_done_i")       # the new bank's frame
    assert model.bank == 0 and model.inflight == 0
    # Active = cfgs[1] (checked against the model above; check the model against the Config)
    for r in m.regions.values():
        values = regmap._config_values(r, cfgs[1])
        for i, v in enumerate(values):
            if r.kind == "mem":
                full = (1 << r.value_width) - 1
                assert model.mem[model.bank][r.address(i)] == v & full
            else:
                assert model.set[model.bank][r.address(i)] == v
    assert model.set[model.bank][m.address("repeats")] == cfgs[1].repeats
    assert model.set[model.bank][m.address("shuffle")] == int(cfgs[1].shuffle)
    # Host sees cfgs[0] in the shadow bank.
    await tb.readback()
    assert model.mem[model.shadow][m.address("a_blk0_weight", 0)] == cfgs[0].cores["a"][0].weight.reshape(-1)[0] & 7

    # Frame counter, sticky flags.
    await tb.pulse("frame_done_i", 3)
    await tb.pulse("frame_err_i")
    for name in ("frame_count", "status", "err"):
        await tb.read(m.address(name))
    await tb.write(status, 1 << 8)       # W1C frame_done
    await tb.write(err, 1)               # W1C frame_err
    await tb.read(status)
    await tb.read(err)
    assert model.f[("status", "frame_done")] == 0 and model.f[("err", "frame_err")] == 0
    # Hardware set in exactly the cycle the regblock performs the W1C write: the set wins
    # (precedence = hw).  The write is found by the regblock's request strobe, which comes
    # from flops only, so it is settled at the falling edge before the edge that acts on it.
    tb.set_stalls(0.0)
    req = getattr(dut.u_regblock, "cpuif_req_masked", None)
    is_wr = getattr(dut.u_regblock, "cpuif_req_is_wr", None)
    assert req is not None and is_wr is not None, "regblock request strobe not visible"
    await tb.pulse("frame_err_i")
    await tb.read(err)

    async def set_with_write():
        while True:
            await FallingEdge(dut.clk_i)
            if int(req.value) and int(is_wr.value):
                dut.frame_err_i.value = 1
                await FallingEdge(dut.clk_i)
                dut.frame_err_i.value = 0
                return
    hit = cocotb.start_soon(set_with_write())
    await tb.write(err, 1)
    await with_timeout(hit, 100 * CLK_PERIOD_NS, "ns")
    model.frame_err()      # the clear met a set in the same cycle: still set
    await tb.read(err)
    await tb.write(err, 1)
    await tb.read(err)
    assert model.f[("err", "frame_err")] == 0
    # CTRL.start: a one-cycle pulse per write, reads 0
    for _ in range(3):
        await tb.write(ctrl, 2)
    await tb.read(ctrl)
    await ClockCycles(dut.clk_i, 3)
    assert tb.mon_start == 3 == model.start_pulses
    tb.check_errors()


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def regs_reset(dut):
    tb = TB(dut, "regs_reset")
    await tb.reset()
    m, model, rng = tb.m, tb.model, tb.rng
    tb.set_stalls(0.3, 3)
    await tb.load(m.encode_config(weights.random_config(tb.net, tb.nprng)))
    await tb.write(m.address("ctrl"), 4)
    await tb.pulse("frame_start_i")          # bank 1 active: reset must return to bank 0
    assert model.bank == 1
    owned, shared, unmapped = tb.partition(1)
    addrs = owned[0] + shared + unmapped
    for trial in range(12):
        # Heavy, channel-specific stalls so transactions sit in every possible stage.
        tb.set_stalls({c: rng.choice([0.0, 0.5, 0.9, 1.0]) for c in ("aw", "w", "b", "ar", "r")}, 4)
        inflight: list[tuple[str, int]] = []

        async def op(kind, addr):
            if kind == "w":
                await tb.write(addr, tb.interesting_word(addr), tb.random_strb(), check=False)
            else:
                await tb.read(addr, check=False)
        # Launch overlapping transactions without waiting; remember them.
        tasks = []
        for _ in range(rng.randint(1, 6)):
            kind, addr = rng.choice("rw"), rng.choice(addrs)
            inflight.append((kind, addr))
            tasks.append(cocotb.start_soon(op(kind, addr)))
        await ClockCycles(dut.clk_i, rng.randint(0, 12))
        # Writes in flight to memories: unknown afterwards (captured before the bank resets).
        shadow = model.shadow
        for kind, addr in inflight:
            if kind == "w" and model.words.get(addr, ("",))[0] == "mem":
                model.mem[shadow][addr] = None
        await FallingEdge(dut.clk_i)
        dut.rst_ni.value = 0
        await ReadOnly()
        assert int(dut.s_axil_bvalid.value) == 0 and int(dut.s_axil_rvalid.value) == 0, "response valid in reset"
        await ClockCycles(dut.clk_i, rng.randint(1, 4))
        await FallingEdge(dut.clk_i)
        dut.rst_ni.value = 1
        model.reset()
        for t in tasks:      # flushed by the master's reset handling (or finished before)
            await with_timeout(t, 100 * CLK_PERIOD_NS, "ns")
        await ReadOnly()
        assert int(dut.s_axil_bvalid.value) == 0 and int(dut.s_axil_rvalid.value) == 0, "response after reset"
        assert int(dut.active_bank_o.value) == 0
        await FallingEdge(dut.clk_i)
        # The bus is idle and correct: checked traffic, then the registers' reset values.
        tb.set_stalls(0.3, 2)
        for _ in range(60):
            await tb.random_op(rng.choice(addrs))
        for name in ("ctrl", "status", "err", "frame_count", "shuffle", "repeats"):
            await tb.read(m.address(name))
        tb.check_errors()
        # Stray responses would show up as extra handshakes: none may be left.
        await ClockCycles(dut.clk_i, 10)
        assert not tb.axi.write_if.b_channel.count() and not tb.axi.read_if.r_channel.count()
    await tb.readback()
    tb.check_errors()


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def regs_rate(dut):
    tb = TB(dut, "regs_rate")
    await tb.reset()
    m = tb.m
    tb.set_stalls(0.0)
    n = 64
    rates = {}

    async def burst(kind: str, addrs: list[int]) -> float:
        for ch in tb.hs.values():
            ch.clear()
        evs = [tb.axi.init_read(a, 4) if kind == "r" else tb.axi.init_write(a, b"\x01\x00\x00\x00")
               for a in addrs]
        for e in evs:
            await with_timeout(e.wait(), OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")
            assert int(e.data.resp) == OKAY
            if kind == "w":
                tb.model.write(e.data.address, 1, 0xF)
        stamps = tb.hs["ar" if kind == "r" else "aw"]
        assert len(stamps) == len(addrs)
        return (len(stamps) - 1) / (stamps[-1] - stamps[0])   # transfers per clock

    regs = [m.address("frame_count"), m.address("version"), m.address("status"), m.address("magic")]
    rates["register reads"] = await burst("r", [regs[i % 4] for i in range(n)])
    rates["register writes"] = await burst("w", [m.address("bus_err_count")] * n)
    mem = next(r for r in m.memories.values() if m.lanes.get(r.name, 1) == 1)   # one value per read
    rates["memory reads"] = await burst("r", [mem.address(i % mem.count) for i in range(n)])
    rates["memory writes"] = await burst("w", [mem.address(i % mem.count) for i in range(n)])
    tb.log.info("back-to-back rates (transfers per clock): %s", {k: round(v, 3) for k, v in rates.items()})
    assert rates["register reads"] > 0.95 and rates["register writes"] > 0.95, rates
    # An external memory access holds the regblock until its ack (the memories answer one
    # clock after their request): a write takes 7 clocks, as the regblock registers its
    # request to the weights window (retime_external_addrmap) and the wrapper registers its
    # decode, then each memory's copy of the request, and, twice, the answer; a read 9, as
    # the read-back is retimed twice more (retime_read_fanin / retime_read_response).  All
    # for 100 MHz on ECP5.
    assert rates["memory writes"] > 0.14 and rates["memory reads"] > 0.11, rates
    await tb.readback()
    tb.check_errors()


# -------------------------------------------------------------------------------------
# pytest entry point
# -------------------------------------------------------------------------------------
GEN_DIR = BUILD_DIR / "gen" / "sf_regs"


def test_sf_regs():
    files = regmap.generate(network(), GEN_DIR, docs=False)
    m = regmap.build_map(network())
    run_cocotb(
        toplevel=m.top_module,
        sources=[*regmap.library_sources(), *regmap.rtl_sources(files)],
        test_module="test_sf_regs",
        build_name="sf_regs",
        internal_signals=True,   # watches the regblock's cpuif requests
        python_paths=[Path(__file__).resolve().parent],
    )


@pytest.mark.slow
def test_sf_regs_synth_ecp5():
    """The generated RTL goes through the ECP5 flow's frontend (yosys-slang, as in
    `make fpga`) and maps to LUTs and flip-flops.  ~10 s."""
    from semifreddo.shiftadd.synth import yosys_stat

    files = regmap.generate(network(), GEN_DIR, docs=False)
    cells = yosys_stat([*regmap.library_sources(), *regmap.rtl_sources(files)],
                       regmap.build_map(network()).top_module, slang=True)
    assert cells["LUT4"] > 0 and cells["FF"] > 0
