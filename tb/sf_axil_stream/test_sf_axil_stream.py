"""sf_axil_stream: AXI4-Lite stream bridge (host pushes pixels, pops results).

DUT parameters (PARAMS): a 5x3 frame of 3 x 7-bit pixels, 3 result streams of 31-bit
tdata, 8-deep FIFOs (so full / empty happen all the time), AddrWidth 16 (addresses above
the bridge's 16 KiB must answer SLVERR).  All AXI traffic comes from cocotbext-axi's
AxiLiteMaster with random pause generators on all five channels; m_axis has random
tready stalls, the result streams random tvalid gaps.  The reference is
``semifreddo.hostlink.addrmap`` (StreamLayout + StreamBridgeModel), i.e. the same layout
the host tool uses.

cocotb tests:
  * stream_fill_and_drain  -- deterministic: network stopped, IN filled to exactly InDepth
                              OKAY then SLVERR (nothing pushed); STATUS/LEVEL/ID/GEOMETRY/
                              FORMAT read exactly; result FIFOs filled to OutDepth (source
                              back-pressured), popped through both views until SLVERR (nothing
                              popped); every pixel arrives on m_axis bit-exact with generated
                              tuser/tlast.
  * stream_random          -- random pixels pushed (retried on SLVERR), random pops of random
                              streams and views, register reads, unmapped / read-only /
                              partial-strobe accesses (SLVERR); each response checked against
                              the model: OKAY pops bit-exact, SLVERR only when the FIFO can
                              have been full / empty at that moment; at the end everything
                              drained and compared bit for bit.
Seeds: SF_SEED (logged).  Every bus operation has a cycle timeout.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, with_timeout

from semifreddo.hostlink.addrmap import OKAY, SLVERR, StreamBridgeModel, StreamLayout as L
from sfstream import CLK_PERIOD_NS, CycleCounter, StreamSink, make_rngs, pauses, reset_dut, split_frames

PARAMS = {"Width": 5, "Height": 3, "Channels": 3, "Bits": 7, "NumOut": 3, "OutWidth": 31,
          "InDepth": 8, "OutDepth": 8, "AddrWidth": 16}
OP_TIMEOUT_CYCLES = 2000
MASK32 = (1 << 32) - 1


def always(v: bool):
    while True:
        yield v


class ResultSources:
    """Drive the NumOut result streams (packed vectors), random tvalid gaps per stream.

    ``accepted[k]`` lists ``(tdata, tuser, tlast, cycle)`` of every transfer."""

    def __init__(self, dut, n: int, width: int, counter: CycleCounter, rng: random.Random):
        self.dut, self.n, self.width, self.counter, self.rng = dut, n, width, counter, rng
        self.queues = [deque() for _ in range(n)]
        self.pause = [always(False) for _ in range(n)]
        self.accepted: list[list[tuple[int, int, int, int]]] = [[] for _ in range(n)]
        self._cur: list[tuple[int, int, int] | None] = [None] * n
        dut.s_axis_tvalid.value = 0
        cocotb.start_soon(self._run())

    def busy(self) -> bool:
        return any(self.queues) or any(c is not None for c in self._cur)

    async def _run(self):
        d = self.dut
        while True:
            await FallingEdge(d.clk_i)
            valid = data = user = last = 0
            for k in range(self.n):
                if self._cur[k] is None and self.queues[k] and not next(self.pause[k]):
                    self._cur[k] = self.queues[k].popleft()
                item = self._cur[k]
                if item is None:
                    item = (self.rng.getrandbits(self.width), self.rng.getrandbits(1), self.rng.getrandbits(1))
                else:
                    valid |= 1 << k
                data |= item[0] << (k * self.width)
                user |= item[1] << k
                last |= item[2] << k
            d.s_axis_tvalid.value, d.s_axis_tdata.value = valid, data
            d.s_axis_tuser.value, d.s_axis_tlast.value = user, last
            await ReadOnly()
            ready = int(d.s_axis_tready.value)
            for k in range(self.n):
                if self._cur[k] is not None and ready >> k & 1:
                    self.accepted[k].append((*self._cur[k], self.counter.cycle))
                    self._cur[k] = None


class TB:
    def __init__(self, dut, name: str):
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        self.dut = dut
        self.log = dut._log
        self.rng, _, seed = make_rngs()
        self.log.info("%s: regression seed %s (re-run with SF_SEED=%s)", name, seed, seed)
        p = PARAMS
        self.model = StreamBridgeModel(p["Width"], p["Height"], p["Channels"], p["Bits"], p["NumOut"],
                                       p["OutWidth"], p["InDepth"], p["OutDepth"], p["AddrWidth"])
        Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start()
        self.counter = CycleCounter(dut.clk_i)
        dut.rst_ni.value = 1
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni,
                                 reset_active_level=False)
        for part in (self.axi.write_if, self.axi.read_if):
            part.log.setLevel(logging.WARNING)
        self.sink = StreamSink(dut, "m_axis", dut.clk_i, counter=self.counter, pause=always(True))
        self.src = ResultSources(dut, p["NumOut"], p["OutWidth"], self.counter, self.rng)
        self.pushed: list[int] = []                 # pixels written with OKAY, in order
        self.popped = [0] * p["NumOut"]             # items popped with OKAY per stream
        self.slverr = {"in_full": 0, "out_empty": 0, "bad": 0}

    async def reset(self):
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    def set_axi_stalls(self, p: float, burst: int = 3):
        w, r = self.axi.write_if, self.axi.read_if
        for ch in (w.aw_channel, w.w_channel, w.b_channel, r.ar_channel, r.r_channel):
            if p:
                ch.set_pause_generator(pauses(random.Random(self.rng.getrandbits(64)), p, burst))
            else:
                ch.clear_pause_generator()
                ch.pause = False

    async def _timed(self, coro):
        return await with_timeout(coro, OP_TIMEOUT_CYCLES * CLK_PERIOD_NS, "ns")

    # -- raw bus ------------------------------------------------------------------------
    async def write(self, addr: int, data: int, nbytes: int = 4, off: int = 0) -> tuple[int, int, int]:
        c0 = self.counter.cycle
        res = await self._timed(self.axi.write(addr + off, (data & MASK32).to_bytes(4, "little")[off:off + nbytes]))
        return int(res.resp), c0, self.counter.cycle

    async def read(self, addr: int) -> tuple[int, int, int, int]:
        c0 = self.counter.cycle
        res = await self._timed(self.axi.read(addr, 4))
        return int(res.resp), int.from_bytes(res.data, "little"), c0, self.counter.cycle

    # -- checked operations --------------------------------------------------------------
    def beats_until(self, cycle: int) -> int:
        return sum(1 for c in self.sink.beat_cycles if c <= cycle)

    async def push(self, pixel: int, exact: bool = False) -> int:
        addr = L.IN_DATA + 4 * self.rng.randrange(L.IN_WORDS)
        junk = self.rng.getrandbits(32 - self.model.in_width) << self.model.in_width
        resp, c0, c1 = await self.write(addr, pixel | junk)
        if exact:   # network stopped: occupancy known
            occ = len(self.pushed) - len(self.sink.beats)
            want = OKAY if occ < PARAMS["InDepth"] else SLVERR
            assert resp == want, f"push with {occ} queued: resp {resp}, expected {want}"
        elif resp == SLVERR:
            upper = len(self.pushed) - self.beats_until(c0)
            assert upper >= PARAMS["InDepth"], \
                f"push at cycle {c0}..{c1}: SLVERR but at most {upper} pixels were queued"
        if resp == OKAY:
            self.pushed.append(pixel)
        else:
            self.slverr["in_full"] += 1
        return resp

    async def pop(self, k: int, tagged: bool, exact: bool = False) -> int:
        addr = L.out_data(k, tagged) + 4 * self.rng.randrange(L.OUT_WORDS)
        resp, data, c0, c1 = await self.read(addr)
        acc = self.src.accepted[k]
        i = self.popped[k]
        if resp == OKAY:
            assert i < len(acc), f"stream {k}: popped item {i}, only {len(acc)} were ever sent"
            d, u, last, _ = acc[i]
            want = (u << 31 | last << 30 | d & ((1 << 30) - 1)) if tagged else d
            assert data == want, f"stream {k} item {i} ({'tagged' if tagged else 'data'}): " \
                                 f"{data:#010x}, expected {want:#010x}"
            self.popped[k] += 1
        else:
            assert resp == SLVERR and data == 0, f"pop {k}: resp {resp} data {data:#x}"
            if exact:
                assert i == len(acc), f"stream {k}: SLVERR with {len(acc) - i} items queued"
            else:
                assert i == len(acc) or acc[i][3] + 4 >= c0, \
                    f"stream {k}: SLVERR at cycle {c0} but item {i} arrived at cycle {acc[i][3]}"
            self.slverr["out_empty"] += 1
        return resp

    def sync_model(self):
        """Put the model's queues in the state of a quiescent DUT."""
        m = self.model
        m.inq = deque(self.pushed[len(self.sink.beats):])
        for k in range(m.num_out):
            m.outq[k] = deque((d, u, last) for d, u, last, _ in self.src.accepted[k][self.popped[k]:])

    async def check_registers(self):
        """Quiescent DUT: every register word (and a few unmapped ones) exactly."""
        await ClockCycles(self.dut.clk_i, 8)
        self.sync_model()
        for off, want in self.model.registers().items():
            resp, data, _, _ = await self.read(off)
            assert (resp, data) == (OKAY, want), f"register {off:#06x}: ({resp}, {data:#010x}), expected {want:#010x}"
        for off in [0x10 + 4 * PARAMS["NumOut"], 0x20, 0x3C, 0x40, L.IN_DATA, L.out_data(PARAMS["NumOut"]), L.SPAN]:
            resp, data, _, _ = await self.read(off)
            assert (resp, data) == (SLVERR, 0), f"read {off:#06x}: ({resp}, {data:#x}), expected SLVERR"

    async def bad_write(self):
        """A write that must answer SLVERR and change nothing."""
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:       # read-only / output windows / unmapped
            addr = rng.choice([0, 4, 8, 0xC, 0x10, 0x40, 0xFFC, L.out_data(rng.randrange(4)), 0x1400,
                               L.SPAN + rng.randrange(L.SPAN), rng.randrange(1 << PARAMS["AddrWidth"]) & ~3])
            if L.IN_DATA <= addr % (1 << 16) < L.IN_DATA + 4 * L.IN_WORDS:
                addr = 0x44
            resp, _, _ = await self.write(addr, rng.getrandbits(32))
        else:               # partial strobes into IN_DATA
            off = rng.randrange(4)
            n = rng.randint(1, 4 - off) if off else rng.randint(1, 3)
            resp, _, _ = await self.write(L.IN_DATA + 4 * rng.randrange(L.IN_WORDS), rng.getrandbits(32), n, off)
        assert resp == SLVERR, f"bad write (kind {kind}) answered {resp}"
        self.slverr["bad"] += 1

    async def drain_and_compare(self):
        """Network and result streams free-running: everything pushed arrives bit-exact."""
        self.sink.set_pause_generator(pauses(random.Random(self.rng.getrandbits(32)), 0.3, 3))

        async def wait_out():
            while len(self.sink.beats) < len(self.pushed):
                await RisingEdge(self.dut.clk_i)
        await with_timeout(wait_out(), (200 + 8 * len(self.pushed)) * CLK_PERIOD_NS, "ns")
        await ClockCycles(self.dut.clk_i, 20)
        assert len(self.sink.beats) == len(self.pushed), f"{len(self.sink.beats)} pixels out, {len(self.pushed)} pushed"
        p = PARAMS
        per = p["Width"] * p["Height"]
        assert len(self.pushed) % per == 0
        frames, left = split_frames(self.sink.beats, p["Height"], p["Width"], 1, p["Channels"] * p["Bits"])
        assert left == 0
        got = [int(v) for f in frames for v in f.reshape(-1)]
        assert got == self.pushed, "pixel stream differs from the OKAY-acknowledged writes"


# -------------------------------------------------------------------------------------
@cocotb.test(timeout_time=20, timeout_unit="ms")
async def stream_fill_and_drain(dut):
    tb = TB(dut, "stream_fill_and_drain")
    await tb.reset()
    p, rng = PARAMS, tb.rng
    tb.set_axi_stalls(0.3)
    await tb.check_registers()
    frame = p["Width"] * p["Height"]
    for rnd in range(3):
        # network stopped: exactly InDepth pushes succeed, then SLVERR
        tb.sink.set_pause_generator(always(True))
        await ClockCycles(dut.clk_i, 10)
        start = len(tb.pushed)
        while len(tb.pushed) - len(tb.sink.beats) < p["InDepth"]:
            assert await tb.push(rng.getrandbits(21), exact=True) == OKAY
        for _ in range(3):
            assert await tb.push(rng.getrandbits(21), exact=True) == SLVERR
        await tb.bad_write()
        await tb.check_registers()
        # result streams: fill each to OutDepth (the source is back-pressured), pop all
        for k in range(p["NumOut"]):
            for _ in range(p["OutDepth"] + 3):
                tb.src.queues[k].append((rng.getrandbits(31), rng.getrandbits(1), rng.getrandbits(1)))
        await ClockCycles(dut.clk_i, 60)
        for k in range(p["NumOut"]):
            assert len(tb.src.accepted[k]) - tb.popped[k] == p["OutDepth"], "result FIFO did not take OutDepth items"
        await tb.check_registers()
        # (the sources refill as items are popped: bounded checks until they run dry)
        for k in range(p["NumOut"]):
            while await tb.pop(k, rng.random() < 0.5) == OKAY:
                pass
        await ClockCycles(dut.clk_i, 30)
        for k in range(p["NumOut"]):
            while await tb.pop(k, rng.random() < 0.5) == OKAY:
                pass
            assert not tb.src.busy()
            assert await tb.pop(k, rng.random() < 0.5, exact=True) == SLVERR
        await tb.check_registers()
        # network runs: fill up to whole frames, everything arrives
        tb.sink.set_pause_generator(pauses(random.Random(rng.getrandbits(32)), 0.3, 3))
        while len(tb.pushed) % frame:
            await tb.push(rng.getrandbits(21))
        await tb.drain_and_compare()
        assert len(tb.pushed) > start
    tb.log.info("SLVERR responses: %s", tb.slverr)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def stream_random(dut):
    tb = TB(dut, "stream_random")
    await tb.reset()
    p, rng = PARAMS, tb.rng
    frame = p["Width"] * p["Height"]
    n_frames = 40
    n_results = [rng.randint(150, 250) for _ in range(p["NumOut"])]
    for k in range(p["NumOut"]):
        tb.src.pause[k] = pauses(random.Random(rng.getrandbits(32)), rng.choice([0.1, 0.5, 0.9]), 6)
        for _ in range(n_results[k]):
            tb.src.queues[k].append((rng.getrandbits(31), rng.getrandbits(1), rng.getrandbits(1)))
    tb.sink.set_pause_generator(pauses(random.Random(rng.getrandbits(32)), 0.6, 8))
    ops = {"push": 0, "pop": 0, "reg": 0, "bad": 0}

    async def writer():
        todo = [rng.getrandbits(21) for _ in range(n_frames * frame)]
        i = 0
        while i < len(todo):
            if rng.random() < 0.08:
                await tb.bad_write()
                ops["bad"] += 1
                continue
            if await tb.push(todo[i]) == OKAY:
                i += 1
            ops["push"] += 1

    async def reader():
        while sum(tb.popped) < sum(n_results):
            r = rng.random()
            if r < 0.85:
                await tb.pop(rng.randrange(p["NumOut"]), rng.random() < 0.5)
                ops["pop"] += 1
            else:
                off = rng.choice([L.ID, L.GEOMETRY, L.FORMAT, 0x20, L.SPAN + 4, L.IN_DATA])
                resp, data, _, _ = await tb.read(off)
                want = tb.model.registers().get(off)
                assert (resp, data) == ((OKAY, want) if want is not None else (SLVERR, 0)), f"read {off:#x}"
                ops["reg"] += 1

    for phase, stall in enumerate([0.2, 0.6, 0.0]):
        tb.set_axi_stalls(stall, 4)
        w = cocotb.start_soon(writer())
        r = cocotb.start_soon(reader())
        await w
        await r
        await tb.drain_and_compare()
        await tb.check_registers()
        for k in range(p["NumOut"]):
            for _ in range(n_results[k]):
                tb.src.queues[k].append((rng.getrandbits(31), rng.getrandbits(1), rng.getrandbits(1)))
        n_results = [n_results[k] + len(tb.src.queues[k]) for k in range(p["NumOut"])]
        tb.sink.set_pause_generator(pauses(random.Random(rng.getrandbits(32)), 0.6, 8))
        tb.log.info("phase %d (AXI stall %.1f): ops %s, SLVERR %s, %d pixels through", phase, stall, ops,
                    tb.slverr, len(tb.pushed))
    assert tb.slverr["in_full"] > 0 and tb.slverr["out_empty"] > 0


# -------------------------------------------------------------------------------------
def _sources():
    from semifreddo import RTL_DIR
    return [RTL_DIR / "sf_fifo.sv", RTL_DIR / "sf_axil_stream.sv"]


def test_sf_axil_stream_lint():
    from semifreddo.toolchain import lint
    for params in ({}, PARAMS, {"NumOut": 1, "OutWidth": 32, "Channels": 1, "Bits": 32, "Width": 1, "Height": 1,
                                "InDepth": 4, "OutDepth": 4, "AddrWidth": 32}):
        proc = lint(_sources(), "sf_axil_stream", params)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sf_axil_stream_rejects_bad_parameters():
    from semifreddo.toolchain import lint
    for params, msg in [({"NumOut": 5}, "NumOut"), ({"Channels": 3, "Bits": 11}, "Channels*Bits"),
                        ({"InDepth": 6}, "InDepth"), ({"AddrWidth": 13}, "AddrWidth")]:
        proc = lint(_sources(), "sf_axil_stream", params)
        assert proc.returncode != 0 and msg in proc.stdout + proc.stderr, params


def test_sf_axil_stream():
    from semifreddo.simulate import run_cocotb
    run_cocotb(toplevel="sf_axil_stream", sources=_sources(), test_module="test_sf_axil_stream",
               parameters=PARAMS, build_name="sf_axil_stream",
               python_paths=[Path(__file__).resolve().parent])
