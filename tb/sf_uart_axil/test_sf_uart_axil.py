"""sf_uart_axil (host-link protocol bridge) and sf_hostlink (UART + FIFOs + bridge).

Two Verilator builds, one cocotb module (a test runs only on the top it is written for,
``SF_TB_TOP`` selects):

``sf_uart_axil`` at the byte-stream level (100 MHz, AddrWidth 16, MaxWords 64,
TimeoutCycles 100, AxiTimeoutCycles 300) -- bytes are driven straight into s_axis, one
per clock, because 10,000+ corrupted frames through a cocotb-driven 3 Mbaud line would
not fit CI time:

* ``bursts_vs_model``: random WRITE / READ / STATUS requests against a Python model,
  AxiLiteRam with random stalls on all five channels, random response back-pressure.
* ``header_and_address_errors``: BAD_CMD, BAD_LEN, BAD_ADDR, dropped garbage bytes;
  nothing is written.
* ``bus_errors_and_timeout``: SLVERR / DECERR regions (NAK code, failing word index,
  partial burst), a slave slower than the AXI timeout (NAK BUS_TIMEOUT, then recovery).
* ``truncated_and_line_error``: truncated frames -> NAK FRAME_TIMEOUT (ARG = bytes
  received), line-error marker mid-frame -> NAK LINE_ERROR; nothing written, next
  frame succeeds.
* ``corruption_bulk``: ``SF_CORRUPT_FRAMES`` (default 10,000) WRITE requests with one
  random bit flipped anywhere (sync to CRC): each must be answered by >= 1 NAK and no
  ACK with zero AXI writes; then the same request unmodified must be ACKed; full
  read-back through the bridge compared with the model every 2,500 frames and at the
  end.

``sf_hostlink`` through the real UART path (50 MHz, 3 Mbaud = 16.67 clocks per bit,
cocotbext-uart on uart_rx_i / uart_tx_o, MaxWords 256, RX FIFO 2048):

* ``uart_pipelined_throughput``: six 256-word writes sent back to back with two
  requests outstanding, then read back; reports the effective upload rate vs the line
  rate (no AXI stalls here: cocotbext-axi pause generators cost a coroutine per clock).
* ``uart_corruption``: ``SF_UART_CORRUPT_FRAMES`` (default 150) bit-flipped writes
  through the UART; NAK, nothing written, retry succeeds.
* ``uart_break_and_frame_error``: a break and a byte with a bad stop bit in the middle
  of a write request: NAK LINE_ERROR, nothing written, next request succeeds.

Re-run with ``SF_SEED=<seed>`` (logged).
"""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import cocotb
import cocotb.utils
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer, with_timeout

from semifreddo.hostlink import protocol as p

TB_DIR = Path(__file__).resolve().parent
TOP = os.environ.get("SF_TB_TOP", "")

ADDR_WIDTH = 16
MEM_SIZE = 1 << ADDR_WIDTH
# slave address map (AddrWidth 16): RAM everywhere except
SLVERR_BASE, DECERR_BASE = 0xE000, 0xF000     # 2 KiB each: SLVERR / DECERR responses
ERR_SIZE = 0x800
SLOW_BASE, SLOW_END = 0xFF00, 0xFFF0          # answers only after AxiTimeoutCycles + 100

STREAM = {"AddrWidth": ADDR_WIDTH, "MaxWords": 64, "TimeoutCycles": 100, "AxiTimeoutCycles": 300}
STREAM_CLK_NS = 10
UART = {"ClkHz": 50_000_000, "Baud": 3_000_000, "AddrWidth": ADDR_WIDTH, "MaxWords": 256,
        "RxFifoDepth": 2048, "TxFifoDepth": 16, "TimeoutBytes": 16, "AxiTimeoutCycles": 300}
UART_CLK_NS = 20


# ---------------------------------------------------------------------------------
# AXI4-Lite slave: cocotbext-axi RAM with error / slow regions and a write counter
# ---------------------------------------------------------------------------------

class TbRam:
    def __init__(self, dut, clk, stalls: bool):
        from cocotbext.axi import AxiLiteBus, AxiLiteRam
        from cocotbext.axi.constants import AxiResp

        self.clk = clk
        self.ram = AxiLiteRam(AxiLiteBus.from_prefix(dut, "m_axil"), clk, dut.rst_ni,
                              reset_active_level=False, size=MEM_SIZE)
        for ch in (self.ram.write_if, self.ram.read_if):
            ch.log.setLevel(logging.WARNING)
        self.writes = 0            # AXI write transfers that reached the memory model
        self.write_log: list[int] = []
        self.slow_cycles = 0
        self._decerr_w = self._decerr_r = False
        wif, rif = self.ram.write_if, self.ram.read_if

        async def _write(addr, data):
            await self._region(addr, "w")
            self.writes += 1
            self.write_log.append(addr)
            self.ram.write(addr, data)

        async def _read(addr, length):
            await self._region(addr, "r")
            return self.ram.read(addr, length)

        wif._write, rif._read = _write, _read
        b_send, r_send = wif.b_channel.send, rif.r_channel.send

        async def b_send_hook(b):
            if self._decerr_w:
                b.bresp, self._decerr_w = AxiResp.DECERR, False
            await b_send(b)

        async def r_send_hook(r):
            if self._decerr_r:
                r.rresp, self._decerr_r = AxiResp.DECERR, False
            await r_send(r)

        wif.b_channel.send, rif.r_channel.send = b_send_hook, r_send_hook
        if stalls:
            self.set_stalls(True)

    async def _region(self, addr, kind):
        if SLOW_BASE <= addr < SLOW_END:
            self.slow_cycles += 1
            await ClockCycles(self.clk, STREAM["AxiTimeoutCycles"] + 100)
        elif DECERR_BASE <= addr < DECERR_BASE + ERR_SIZE:
            if kind == "w":
                self._decerr_w = True
            else:
                self._decerr_r = True
            raise IOError("decode error region")
        elif SLVERR_BASE <= addr < SLVERR_BASE + ERR_SIZE:
            raise IOError("slave error region")

    def set_stalls(self, on: bool):
        w, r = self.ram.write_if, self.ram.read_if
        for ch in (w.aw_channel, w.w_channel, w.b_channel, r.ar_channel, r.r_channel):
            if on:
                rng = random.Random(random.getrandbits(32))
                ch.set_pause_generator(iter(lambda r=rng: r.random() < 0.4, None))
            else:
                ch.clear_pause_generator()
                ch.pause = False        # clearing the generator keeps its last value


# ---------------------------------------------------------------------------------
# Byte-stream driver / monitor (drive on the falling edge; tready / tvalid are flop
# outputs, stable from one rising edge to the next, so they are read there as well)
# ---------------------------------------------------------------------------------

class ByteSource:
    def __init__(self, dut):
        self.dut = dut
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.s_axis_tuser.value = 0

    async def send(self, data: bytes, user: set[int] = frozenset(), gap_prob: float = 0.0):
        dut, clk = self.dut, self.dut.clk_i
        i, pending = 0, False
        while i < len(data):
            await FallingEdge(clk)
            if not pending and gap_prob and random.random() < gap_prob:
                dut.s_axis_tvalid.value = 0
                continue
            dut.s_axis_tdata.value = data[i]
            dut.s_axis_tuser.value = int(i in user)
            dut.s_axis_tvalid.value = 1
            pending = True
            if int(dut.s_axis_tready.value):      # taken at the coming rising edge
                i, pending = i + 1, False
        await FallingEdge(clk)
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tuser.value = 0


class ByteSink:
    def __init__(self, dut, stall_prob: float = 0.0):
        self.dut = dut
        self.data = bytearray()
        self.stall_prob = stall_prob
        dut.m_axis_tready.value = 1
        cocotb.start_soon(self._run())

    async def _run(self):
        dut, clk = self.dut, self.dut.clk_i
        while True:
            if not int(dut.m_axis_tvalid.value):
                await RisingEdge(dut.m_axis_tvalid)
            await FallingEdge(clk)
            ready = 1 if not self.stall_prob else int(random.random() >= self.stall_prob)
            dut.m_axis_tready.value = ready
            if ready and int(dut.m_axis_tvalid.value):
                self.data.append(int(dut.m_axis_tdata.value))


# ---------------------------------------------------------------------------------
# Testbench
# ---------------------------------------------------------------------------------

class TB:
    def __init__(self, dut, *, uart: bool, stalls: bool = False, rsp_stall: float = 0.0):
        self.dut = dut
        self.uart = uart
        self.clk = dut.clk_i
        self.clk_ns = UART_CLK_NS if uart else STREAM_CLK_NS
        self.timeout_cycles = (UART["TimeoutBytes"] * 10 * UART["ClkHz"] // UART["Baud"]
                               if uart else STREAM["TimeoutCycles"])
        self.max_words = UART["MaxWords"] if uart else STREAM["MaxWords"]
        Clock(self.clk, self.clk_ns, unit="ns").start()
        self.mem = TbRam(dut, self.clk, stalls)
        self.model = bytearray(MEM_SIZE)
        self.dec = p.ResponseDecoder()
        self.seq = random.randrange(256)
        self.acks = self.naks = 0
        if uart:
            from cocotbext.uart import UartSink, UartSource
            dut.uart_rx_i.value = 1
            self.usrc = UartSource(dut.uart_rx_i, baud=UART["Baud"], bits=8, stop_bits=1)
            self.usink = UartSink(dut.uart_tx_o, baud=UART["Baud"], bits=8, stop_bits=1)
            self.usrc.log.setLevel(logging.WARNING)
            self.usink.log.setLevel(logging.WARNING)
        else:
            self.src = ByteSource(dut)
            self.sink = ByteSink(dut, rsp_stall)
        self._rx_pos = 0

    async def reset(self):
        self.dut.rst_ni.value = 0
        await ClockCycles(self.clk, 5)
        self.dut.rst_ni.value = 1
        await ClockCycles(self.clk, 5)

    def next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFF
        return self.seq

    # -- bytes -------------------------------------------------------------------------
    async def send(self, frame: bytes, user: set[int] = frozenset()):
        if self.uart:
            await self.usrc.write(frame)
            await self.usrc.wait()
        else:
            await self.src.send(frame, user)

    def _new_bytes(self) -> bytes:
        if self.uart:
            return bytes(self.usink.read_nowait())
        data = bytes(self.sink.data[self._rx_pos:])
        self._rx_pos += len(data)
        return data

    def poll(self) -> list[p.Response]:
        return self.dec.feed(self._new_bytes())

    async def responses(self, n: int, max_cycles: int) -> list[p.Response]:
        got: list[p.Response] = []
        step = 32 if not self.uart else 400
        waited = 0
        while len(got) < n:
            got += self.poll()
            if len(got) >= n:
                break
            assert waited < max_cycles, f"no response within {max_cycles} cycles (got {got})"
            await Timer(step * self.clk_ns, "ns")
            waited += step
        return got

    async def quiet(self, extra: int = 50) -> list[p.Response]:
        """Responses until nothing arrived for longer than the frame timeout."""
        window = self.timeout_cycles + extra + (16 * 17 * 10 if self.uart else 40)
        got = self.poll()
        for _ in range(100):
            await Timer(window * self.clk_ns, "ns")
            new = self.poll()
            if not new and self.dec.pending() == 0:
                return got
            got += new
        raise AssertionError(f"the device never went quiet: {got[:10]}")

    async def request(self, frame: bytes, *, max_cycles: int = 200_000) -> p.Response:
        await self.send(frame)
        [rsp] = await self.responses(1, max_cycles)
        assert rsp.seq == frame[1], f"seq {rsp.seq} != {frame[1]}: {rsp}"
        return rsp

    # -- operations with model checks ----------------------------------------------------
    async def write(self, addr: int, words: list[int]) -> p.Response:
        rsp = await self.request(p.encode_write(self.next_seq(), addr, words, self.max_words))
        assert rsp.ok and rsp.code == p.Cmd.WRITE and rsp.arg == len(words) - 1, \
            f"write {addr:#x}+{len(words)}: {rsp}"

        for i, w in enumerate(words):
            self.model[addr + 4 * i: addr + 4 * i + 4] = w.to_bytes(4, "little")
        return rsp

    async def read(self, addr: int, count: int) -> list[int]:
        rsp = await self.request(p.encode_read(self.next_seq(), addr, count, self.max_words))
        assert rsp.ok and rsp.code == p.Cmd.READ and rsp.arg == count - 1, \
            f"read {addr:#x}+{count}: {rsp}"

        expect = [int.from_bytes(self.model[a:a + 4], "little") for a in range(addr, addr + 4 * count, 4)]
        assert rsp.words == expect, f"read {addr:#x}+{count}: got {rsp.words[:8]}.. want {expect[:8]}.."
        return rsp.words

    async def status(self) -> p.Status:
        rsp = await self.request(p.encode_status(self.next_seq()))
        assert rsp.ok and rsp.code == p.Cmd.STATUS, str(rsp)
        return rsp.status

    async def readback(self, base: int, size: int):
        for a in range(base, base + size, 4 * self.max_words):
            await self.read(a, min(self.max_words, (base + size - a) // 4))
        assert bytes(self.mem.ram.read(base, size)) == bytes(self.model[base:base + size])


def _words(n: int) -> list[int]:
    return [random.getrandbits(32) for _ in range(n)]


def _flip(frame: bytes, bit: int) -> bytes:
    bad = bytearray(frame)
    bad[bit // 8] ^= 1 << (bit % 8)
    return bytes(bad)


# ---------------------------------------------------------------------------------
# Stream-level tests (toplevel sf_uart_axil)
# ---------------------------------------------------------------------------------

SKIP_STREAM = TOP != "sf_uart_axil"
SKIP_UART = TOP != "sf_hostlink"


@cocotb.test(skip=SKIP_STREAM, timeout_time=100, timeout_unit="ms")
async def bursts_vs_model(dut):
    tb = TB(dut, uart=False, stalls=True, rsp_stall=0.3)
    await tb.reset()
    base, size = 0x0000, 0x2000
    ops = {"w": 0, "r": 0, "s": 0}
    for n in range(120):
        kind = random.choices("wrs", (5, 4, 1))[0]
        count = random.choice([1, 2, 3, random.randint(1, tb.max_words), tb.max_words])
        addr = base + 4 * random.randrange((size // 4) - count + 1)
        if kind == "w":
            await tb.write(addr, _words(count))
        elif kind == "r":
            await tb.read(addr, count)
        else:
            st = await tb.status()
            assert (st.version, st.max_len, st.addr_width) == (1, tb.max_words - 1, ADDR_WIDTH)
            assert st.acks == sum(ops.values()) and st.naks == 0 and st.dropped == 0
        ops[kind] += 1
    # a burst ending exactly at the top of the address space
    await tb.write(MEM_SIZE - 16, _words(4))
    await tb.read(MEM_SIZE - 16, 4)
    tb.mem.set_stalls(False)
    await tb.readback(base, size)
    dut._log.info("ops %s, AXI writes %d", ops, tb.mem.writes)


@cocotb.test(skip=SKIP_STREAM, timeout_time=20, timeout_unit="ms")
async def header_and_address_errors(dut):
    tb = TB(dut, uart=False)
    await tb.reset()
    await tb.write(0x100, _words(4))
    w0 = tb.mem.writes
    cases = [
        (p.encode_request(tb.next_seq(), random.choice([0, 4, 0x7F, 0x81, 0xFF]), 0), p.Nak.BAD_CMD),
        (p.encode_request(tb.next_seq(), p.Cmd.WRITE, tb.max_words, bytes(4 + 4 * 65)), p.Nak.BAD_LEN),
        (p.encode_request(tb.next_seq(), p.Cmd.READ, random.randint(tb.max_words, 255), bytes(4)), p.Nak.BAD_LEN),
        (p.encode_request(tb.next_seq(), p.Cmd.STATUS, random.randint(1, 255)), p.Nak.BAD_LEN),
        (p.encode_request(tb.next_seq(), p.Cmd.WRITE, 0, (0x102).to_bytes(4, "little") + bytes(4)), p.Nak.BAD_ADDR),
        (p.encode_request(tb.next_seq(), p.Cmd.READ, 1, (MEM_SIZE - 4).to_bytes(4, "little")), p.Nak.BAD_ADDR),
        (p.encode_request(tb.next_seq(), p.Cmd.READ, 0, (MEM_SIZE).to_bytes(4, "little")), p.Nak.BAD_ADDR),
        (p.encode_request(tb.next_seq(), p.Cmd.WRITE, 1, (0x10000).to_bytes(4, "little") + bytes(8)), p.Nak.BAD_ADDR),
    ]
    naks = 0
    for frame, nak in cases:
        await tb.send(frame)
        got = await tb.quiet()
        assert got and got[0].seq == frame[1] and got[0].nak is nak, f"{frame.hex()}: {got}"
        assert not any(r.ok for r in got)
        naks += len(got)      # a header NAK leaves the rest of the frame to the sync hunt
    st0 = await tb.status()
    assert st0.naks == naks and st0.last_nak == p.Nak.BAD_ADDR
    # garbage between frames is dropped and counted
    junk = bytes(b for b in random.randbytes(40) if b != p.REQ_SYNC)
    await tb.send(junk)
    st = await tb.status()
    assert st.dropped - st0.dropped == len(junk) and st.naks == naks
    assert tb.mem.writes == w0
    await tb.readback(0x100, 16)


@cocotb.test(skip=SKIP_STREAM, timeout_time=50, timeout_unit="ms")
async def bus_errors_and_timeout(dut):
    tb = TB(dut, uart=False, stalls=True)
    await tb.reset()
    for kind, base, code in (("slverr", SLVERR_BASE, p.Nak.BUS_SLVERR),
                             ("decerr", DECERR_BASE, p.Nak.BUS_DECERR)):
        # a burst that runs into the error region at word k: words < k written, NAK(k)
        k = random.randint(1, 5)
        start = base - 4 * k
        words = _words(k + 3)
        w0 = tb.mem.writes
        rsp = await tb.request(p.encode_write(tb.next_seq(), start, words, tb.max_words))
        assert rsp.nak is code and rsp.arg == k, f"{kind}: {rsp}"
        assert tb.mem.writes == w0 + k
        for i in range(k):
            tb.model[start + 4 * i: start + 4 * i + 4] = words[i].to_bytes(4, "little")
        rsp = await tb.request(p.encode_read(tb.next_seq(), start, k + 2, tb.max_words))
        assert rsp.nak is code and rsp.arg == k and not rsp.payload, f"{kind}: {rsp}"
    # a slave slower than AxiTimeoutCycles: NAK BUS_TIMEOUT, then the bridge recovers
    for frame in (p.encode_write(tb.next_seq(), SLOW_BASE, _words(2), tb.max_words),
                  p.encode_read(tb.next_seq(), SLOW_BASE + 8, 2, tb.max_words)):
        rsp = await tb.request(frame)
        assert rsp.nak is p.Nak.BUS_TIMEOUT and rsp.arg == 0, str(rsp)
        await ClockCycles(tb.clk, STREAM["AxiTimeoutCycles"] + 300)
        assert tb.poll() == []
    st = await tb.status()
    assert st.last_nak == p.Nak.BUS_TIMEOUT and st.naks == 6
    await tb.readback(SLVERR_BASE - 64, 64)


@cocotb.test(skip=SKIP_STREAM, timeout_time=50, timeout_unit="ms")
async def truncated_and_line_error(dut):
    tb = TB(dut, uart=False)
    await tb.reset()
    await tb.write(0x200, _words(8))
    w0 = tb.mem.writes
    naks = 0
    for _ in range(20):
        frame = p.encode_write(tb.next_seq(), 0x200, _words(random.randint(1, 8)), tb.max_words)
        cut = random.randrange(1, len(frame))
        await tb.send(frame[:cut])
        got = await tb.quiet()
        assert len(got) == 1 and got[0].nak is p.Nak.FRAME_TIMEOUT and got[0].arg == cut, f"{cut}: {got}"
        naks += 1
        assert got[0].seq == (frame[1] if cut >= 2 else 0)
        # a line-error marker in the middle of a frame
        frame = p.encode_write(tb.next_seq(), 0x200, _words(random.randint(1, 8)), tb.max_words)
        at = random.randrange(1, len(frame))
        await tb.send(frame[:at] + b"\x00" + frame[at:], user={at})
        got = await tb.quiet()
        assert got and got[0].nak is p.Nak.LINE_ERROR and got[0].arg == at, f"{at}: {got}"
        assert not any(r.ok for r in got)
        assert tb.mem.writes == w0
        naks += len(got)
        # the next, complete frame succeeds
        await tb.write(0x200, _words(8))
        w0 = tb.mem.writes
    # a frame with pauses shorter than the timeout is fine
    frame = p.encode_write(tb.next_seq(), 0x240, _words(8), tb.max_words)
    await tb.src.send(frame, gap_prob=0.5)
    [rsp] = await tb.responses(1, 5000)
    assert rsp.ok and rsp.seq == frame[1]
    # a line error between frames is discarded input: NAK NO_SYNC once the line is idle
    await tb.send(b"\x00", user={0})
    got = await tb.quiet()
    assert [(r.seq, r.nak, r.arg) for r in got] == [(0, p.Nak.NO_SYNC, 1)], got
    naks += 1
    st = await tb.status()
    assert st.naks == naks


@cocotb.test(skip=SKIP_STREAM, timeout_time=5000, timeout_unit="ms")
async def corruption_bulk(dut):
    tb = TB(dut, uart=False)
    await tb.reset()
    frames = int(os.environ.get("SF_CORRUPT_FRAMES", "10000"))
    base, size = 0x0000, 0x1000
    await tb.write(base, _words(tb.max_words))      # non-zero background
    for a in range(base + 4 * tb.max_words, base + size, 4 * tb.max_words):
        await tb.write(a, _words(tb.max_words))
    naks_by_code: dict[str, int] = {}
    multi = 0
    for n in range(frames):
        count = random.randint(1, 6)
        addr = base + 4 * random.randrange(size // 4 - count + 1)
        words = _words(count)
        frame = p.encode_write(tb.next_seq(), addr, words, tb.max_words)
        bad = _flip(frame, random.randrange(8 * len(frame)))
        w0 = tb.mem.writes
        await tb.send(bad)
        got = await tb.quiet()
        assert got, f"frame {n}: corrupted frame not answered: {bad.hex()}"
        assert not any(r.ok for r in got), f"frame {n}: corrupted frame ACKed: {bad.hex()} {got}"
        assert tb.mem.writes == w0, f"frame {n}: corrupted frame wrote: {bad.hex()}"
        for r in got:
            naks_by_code[r.nak.name] = naks_by_code.get(r.nak.name, 0) + 1
        multi += len(got) > 1
        # the retry of the very same frame succeeds
        await tb.send(frame)
        [rsp] = await tb.responses(1, 20_000)
        assert rsp.ok and rsp.seq == frame[1], f"frame {n}: retry: {rsp}"
        assert tb.mem.writes == w0 + count
        for i, w in enumerate(words):
            tb.model[addr + 4 * i: addr + 4 * i + 4] = w.to_bytes(4, "little")
        if (n + 1) % 2500 == 0 or n + 1 == frames:
            await tb.readback(base, size)
    dut._log.info("%d corrupted frames: all NAKed, none wrote; NAK codes %s; "
                  "%d produced more than one NAK", frames, naks_by_code, multi)


# ---------------------------------------------------------------------------------
# UART-level tests (toplevel sf_hostlink)
# ---------------------------------------------------------------------------------

@cocotb.test(skip=SKIP_UART, timeout_time=200, timeout_unit="ms")
async def uart_pipelined_throughput(dut):
    # no AXI stalls here: the pause generators cost a coroutine per clock per channel
    # (stalls are covered at the stream level); the line is the bottleneck anyway
    tb = TB(dut, uart=True)
    await tb.reset()
    nframes = 6
    frames, plan = [], []
    for i in range(nframes):
        addr = 0x400 * i
        words = _words(256)
        plan.append((addr, words))
        frames.append(p.encode_write(tb.next_seq(), addr, words))
    overrun = []
    cocotb.start_soon(_watch(dut.rx_overrun_o, tb.clk, overrun))
    t0 = cocotb.utils.get_sim_time("ns")
    # window of two: frame i+1 is queued as soon as frame i is on the line, frame i+2
    # only once the ACK of frame i is in
    acks: list[p.Response] = []
    for i, f in enumerate(frames):
        if i >= 2:
            while len(acks) < i - 1:
                acks += await tb.responses(1, 400_000)
        await tb.usrc.write(f)
    await tb.usrc.wait()
    t_sent = cocotb.utils.get_sim_time("ns")
    while len(acks) < nframes:
        acks += await tb.responses(1, 400_000)
    assert [r.seq for r in acks] == [f[1] for f in frames] and all(r.ok for r in acks)
    payload = 1024 * nframes
    line_bytes_per_s = UART["Baud"] / 10
    eff = payload / ((t_sent - t0) * 1e-9) / line_bytes_per_s
    dut._log.info("pipelined upload: %d payload bytes in %.3f ms on the line = %.1f %% of "
                  "the raw line rate (%d B/s)", payload, (t_sent - t0) / 1e6, 100 * eff,
                  line_bytes_per_s)
    assert eff >= 0.97, eff
    assert not overrun
    for addr, words in plan:
        for j, w in enumerate(words):
            tb.model[addr + 4 * j: addr + 4 * j + 4] = w.to_bytes(4, "little")
    await tb.read(0x400, 256)
    assert bytes(tb.mem.ram.read(0, 0x400 * nframes)) == bytes(tb.model[:0x400 * nframes])


async def _watch(sig, clk, hits):
    while True:
        await RisingEdge(sig)
        hits.append(cocotb.utils.get_sim_time("ns"))


@cocotb.test(skip=SKIP_UART, timeout_time=1000, timeout_unit="ms")
async def uart_corruption(dut):
    tb = TB(dut, uart=True)
    await tb.reset()
    frames = int(os.environ.get("SF_UART_CORRUPT_FRAMES", "150"))
    await tb.write(0x800, _words(64))
    codes: dict[str, int] = {}
    for n in range(frames):
        count = random.randint(1, 8)
        addr = 0x800 + 4 * random.randrange(64 - count + 1)
        words = _words(count)
        frame = p.encode_write(tb.next_seq(), addr, words)
        bad = _flip(frame, random.randrange(8 * len(frame)))
        w0 = tb.mem.writes
        await tb.send(bad)
        got = await tb.quiet()
        assert got and not any(r.ok for r in got), f"frame {n}: {bad.hex()}: {got}"
        assert tb.mem.writes == w0
        for r in got:
            codes[r.nak.name] = codes.get(r.nak.name, 0) + 1
        rsp = await tb.request(frame)
        assert rsp.ok
        for i, w in enumerate(words):
            tb.model[addr + 4 * i: addr + 4 * i + 4] = w.to_bytes(4, "little")
    await tb.readback(0x800, 256)
    dut._log.info("%d corrupted frames through the UART: all NAKed, none wrote; %s", frames, codes)


@cocotb.test(skip=SKIP_UART, timeout_time=100, timeout_unit="ms")
async def uart_break_and_frame_error(dut):
    tb = TB(dut, uart=True)
    await tb.reset()
    await tb.write(0x1000, _words(16))
    bit_ns = 1e9 / UART["Baud"]
    for mode in ("break", "frame_error", "break", "frame_error"):
        frame = p.encode_write(tb.next_seq(), 0x1000, _words(16))
        at = random.randrange(2, len(frame) - 1)
        w0 = tb.mem.writes
        await tb.send(frame[:at])
        if mode == "break":
            dut.uart_rx_i.value = 0
            await Timer(int(random.uniform(11, 40) * bit_ns), "ns")
            dut.uart_rx_i.value = 1
            await Timer(int(2 * bit_ns), "ns")
        else:
            b = random.randrange(1, 256)
            for bit in [0] + [(b >> i) & 1 for i in range(8)] + [0]:
                dut.uart_rx_i.value = bit
                await Timer(int(bit_ns), "ns")
            dut.uart_rx_i.value = 1
            await Timer(int(3 * bit_ns), "ns")
        await tb.send(frame[at:])              # the rest of the frame arrives as noise
        got = await tb.quiet()
        assert got and got[0].nak is p.Nak.LINE_ERROR and got[0].seq == frame[1], f"{mode}: {got}"
        assert not any(r.ok for r in got) and tb.mem.writes == w0, f"{mode}: {got}"
        await tb.write(0x1000, _words(16))
    await tb.readback(0x1000, 64)


# ---------------------------------------------------------------------------------
# pytest entry points
# ---------------------------------------------------------------------------------

def _rtl(*names: str) -> list[Path]:
    from semifreddo import RTL_DIR
    return [RTL_DIR / f"{n}.sv" for n in names]


HOSTLINK_SOURCES = ("sf_uart_rx", "sf_uart_tx", "sf_fifo", "sf_uart_axil", "sf_hostlink")


def test_sf_uart_axil_lint():
    from semifreddo.toolchain import lint
    for top, srcs, params in [("sf_uart_axil", ("sf_uart_axil",), {}),
                              ("sf_uart_axil", ("sf_uart_axil",), STREAM),
                              ("sf_hostlink", HOSTLINK_SOURCES, {}),
                              ("sf_hostlink", HOSTLINK_SOURCES, UART)]:
        proc = lint(_rtl(*srcs), top, params)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sf_uart_axil_rejects_bad_parameters():
    from semifreddo.toolchain import lint
    for params, msg in [({"MaxWords": 512}, "MaxWords"), ({"AddrWidth": 33}, "AddrWidth")]:
        proc = lint(_rtl("sf_uart_axil"), "sf_uart_axil", params)
        assert proc.returncode != 0 and msg in proc.stdout + proc.stderr


def test_sf_uart_axil():
    from semifreddo.simulate import run_cocotb
    run_cocotb(toplevel="sf_uart_axil", sources=_rtl("sf_uart_axil"),
               test_module="test_sf_uart_axil", parameters=STREAM,
               build_name="sf_uart_axil", extra_env={"SF_TB_TOP": "sf_uart_axil"})


def test_sf_hostlink():
    from semifreddo.simulate import run_cocotb
    run_cocotb(toplevel="sf_hostlink", sources=_rtl(*HOSTLINK_SOURCES),
               test_module="test_sf_uart_axil", parameters=UART,
               build_name="sf_hostlink", extra_env={"SF_TB_TOP": "sf_hostlink"})
