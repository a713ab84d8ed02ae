"""sf_uart_rx: baud tolerance sweep (in-simulator harness), glitches, break, errors.

One Verilator build of ``sf_uart_rx_harness`` (tb/sf_uart_rx/sf_uart_rx_harness.sv):

* ``baud_sweep`` runs 9 sender/receiver/checker channels in parallel inside the
  simulator: receiver clock/baud ratio 20 (60 MHz / 3 Mbaud: fractional 16x tick,
  4 ticks per 5 clocks) with the sender off by -6, -3, -2, -1, 0, +1, +2, +3, +6 %
  (sender bit period fractional, in 1/65536 clock).  "+e %" means
  the sender's bit rate is Baud * (1 + e/100) (it is faster).  Every channel sends
  ``SF_UART_RX_BYTES`` (default 100,000) random bytes; within +-3 % there must be zero
  byte errors, frame errors, breaks and overruns; at +-6 % the counts are reported
  (errors that are not flagged by a frame error are left to the frame CRC).
* the other cocotb tests drive the harness's "manual" receiver (60 MHz, 3 Mbaud) from
  Python: cocotbext-uart bytes with random back-pressure, overrun, glitches (short low
  pulses: no byte; longer ones: a byte, the negative check of the filter), framing
  errors and break.

Results of the sweep are logged and written to ``uart_rx_sweep.json`` in the build dir.
Re-run with ``SF_SEED=<seed>``; the seed is logged by cocotb.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer, with_timeout

TB_DIR = Path(__file__).resolve().parent
BAUD = 3_000_000
CLK_A_PS = 16_666                      # harness clock: ~60 MHz (= ClkHzA; ratio error 0.004 %)
BIT_PS = round(1e12 / BAUD)            # 333,333 ps
OFFSETS_A = [-6, -3, -2, -1, 0, 1, 2, 3, 6]
OFFSETS_B: list[int] = []             # harness group B (NumChB = 0 by default)
CH_CLK_HZ = [60_000_000] * len(OFFSETS_A) + [50_000_000] * len(OFFSETS_B)


def _words(value, n: int, width: int = 32) -> list[int]:
    v = int(value)
    return [(v >> (width * i)) & ((1 << width) - 1) for i in range(n)]


async def _start(dut):
    Clock(dut.clk_i, CLK_A_PS, unit="ps").start()
    dut.rst_ni.value = 0
    dut.start_i.value = 0
    dut.nbytes_i.value = 0
    dut.seed_i.value = 0
    dut.period_i.value = 0
    dut.rxd_i.value = 1
    dut.m_axis_tready.value = 1
    await ClockCycles(dut.clk_i, 5)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 5)


@cocotb.test()
async def baud_sweep(dut):
    await _start(dut)
    n = len(CH_CLK_HZ)
    offsets = OFFSETS_A + OFFSETS_B
    nbytes = int(os.environ.get("SF_UART_RX_BYTES", "100000"))
    ratios = _words(dut.chan_ratio_o.value, n)
    for c in range(n):
        assert ratios[c] == round((CH_CLK_HZ[c] << 16) / BAUD) or ratios[c] == (CH_CLK_HZ[c] << 16) // BAUD
    periods = [round(ratios[c] / (1 + offsets[c] / 100)) for c in range(n)]
    dut.period_i.value = sum(p << (32 * c) for c, p in enumerate(periods))
    dut.nbytes_i.value = nbytes
    dut.seed_i.value = random.getrandbits(32)
    await ClockCycles(dut.clk_i, 2)
    dut.start_i.value = 1
    # 100k frames of <= 13 bits at -6 %: ~0.5 s of simulated time
    sim_ms = int(nbytes * 14 * 1.07 * 1e3 / BAUD) + 1
    await with_timeout(RisingEdge(dut.done_o), sim_ms, "ms")

    cnt = {k: _words(getattr(dut, f"{k}_o").value, n)
           for k in ("sent", "rx_good", "rx_bad", "ferr", "brk", "ovr")}
    rows, failures = [], []
    for c in range(n):
        r = {"clk_hz": CH_CLK_HZ[c], "clk_per_bit": round(ratios[c] / 65536, 3),
             "offset_pct": offsets[c], **{k: v[c] for k, v in cnt.items()}}
        events = r["rx_good"] + r["rx_bad"] + r["ferr"] + r["brk"]
        r["lost"] = max(0, r["sent"] - events)      # frames that produced no event at all
        r["unflagged_bad"] = r["rx_bad"]            # wrong bytes without a frame error
        rows.append(r)
        dut._log.info("ch%2d %2d MHz %+d%%: sent %d good %d bad %d ferr %d brk %d ovr %d lost %d",
                      c, r["clk_hz"] // 10**6, r["offset_pct"], r["sent"], r["rx_good"],
                      r["rx_bad"], r["ferr"], r["brk"], r["ovr"], r["lost"])
        if r["sent"] != nbytes:
            failures.append(f"ch{c}: sent {r['sent']} of {nbytes}")
        if abs(offsets[c]) <= 3 and (r["rx_good"] != nbytes or r["rx_bad"] or r["ferr"]
                                     or r["brk"] or r["ovr"]):
            failures.append(f"ch{c} ({offsets[c]:+d}%): {r}")
        if abs(offsets[c]) > 3 and r["ovr"]:
            failures.append(f"ch{c}: overrun with tready = 1")
    (Path.cwd() / "uart_rx_sweep.json").write_text(json.dumps(rows, indent=1))
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------
# Manual receiver: driven from Python
# ---------------------------------------------------------------------------------

class RxMonitor:
    """Collects bytes and counts pulses of the manual receiver (one coroutine per clock)."""

    def __init__(self, dut, stall_prob: float = 0.0):
        self.dut = dut
        self.data: list[int] = []
        self.ferr = self.brk = self.ovr = 0
        self.stall_prob = stall_prob
        self._task = cocotb.start_soon(self._run())

    async def _run(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.clk_i)
            if dut.m_axis_tvalid.value and dut.m_axis_tready.value:
                self.data.append(int(dut.m_axis_tdata.value))
            self.ferr += int(dut.frame_err_o.value)
            self.brk += int(dut.break_o.value)
            self.ovr += int(dut.overrun_o.value)
            if self.stall_prob:
                dut.m_axis_tready.value = int(random.random() >= self.stall_prob)

    def stop(self):
        self._task.cancel()
        self.dut.m_axis_tready.value = 1


async def send_bits(dut, bits, bit_ps: int = BIT_PS):
    for b in bits:
        dut.rxd_i.value = b
        await Timer(bit_ps, "ps")


def frame_bits(byte: int, stop: int = 1) -> list[int]:
    return [0] + [(byte >> i) & 1 for i in range(8)] + [stop]


@cocotb.test()
async def random_bytes_with_backpressure(dut):
    from cocotbext.uart import UartSource

    await _start(dut)
    src = UartSource(dut.rxd_i, baud=BAUD, bits=8, stop_bits=1)
    # a stall never lasts a whole byte (mean run 1/(1-p) clocks), so nothing overruns
    mon = RxMonitor(dut, stall_prob=0.5)
    data = random.randbytes(400)
    await src.write(data)
    await with_timeout(src.wait(), 2, "ms")
    await Timer(3 * 10 * BIT_PS, "ps")
    mon.stop()
    assert bytes(mon.data) == data
    assert (mon.ferr, mon.brk, mon.ovr) == (0, 0, 0)


@cocotb.test()
async def overrun_drops_new_byte(dut):
    await _start(dut)
    mon = RxMonitor(dut)
    dut.m_axis_tready.value = 0
    mon.stall_prob = 0
    await RisingEdge(dut.clk_i)
    data = random.randbytes(3)
    for b in data:
        await send_bits(dut, frame_bits(b))
    await Timer(2 * BIT_PS, "ps")
    assert mon.ovr == 2, "two bytes arrived while the first was held"
    assert int(dut.m_axis_tvalid.value) == 1 and int(dut.m_axis_tdata.value) == data[0]
    dut.m_axis_tready.value = 1
    await ClockCycles(dut.clk_i, 3)
    mon.stop()
    assert mon.data == [data[0]] and mon.ferr == 0


@cocotb.test()
async def glitches_produce_no_byte(dut):
    await _start(dut)
    mon = RxMonitor(dut)
    half_ps = BIT_PS // 2
    widths = []
    for _ in range(300):
        # low pulses from 1 clock up to 0.45 bit, idle gaps of 0.2 .. 3 bits
        w = random.randint(CLK_A_PS, int(0.45 * BIT_PS))
        widths.append(w)
        dut.rxd_i.value = 0
        await Timer(w, "ps")
        dut.rxd_i.value = 1
        await Timer(random.randint(BIT_PS // 5, 3 * BIT_PS), "ps")
    await Timer(12 * BIT_PS, "ps")
    assert mon.data == [] and (mon.ferr, mon.brk, mon.ovr) == (0, 0, 0), \
        f"glitches < {max(widths)} ps (half bit {half_ps} ps) made {mon.data} ferr {mon.ferr}"
    # a real byte right after a glitch (glitch, 0.1 bit idle, start bit) is still caught
    b = random.randrange(256)
    dut.rxd_i.value = 0
    await Timer(int(0.3 * BIT_PS), "ps")
    dut.rxd_i.value = 1
    await Timer(int(0.1 * BIT_PS), "ps")
    await send_bits(dut, frame_bits(b))
    await Timer(BIT_PS, "ps")
    assert mon.data == [b]
    # negative check of the filter: pulses clearly longer than half a bit are start bits
    mon.data.clear()
    for _ in range(20):
        dut.rxd_i.value = 0
        await Timer(random.randint(int(0.65 * BIT_PS), int(0.95 * BIT_PS)), "ps")
        dut.rxd_i.value = 1
        await Timer(12 * BIT_PS, "ps")
    mon.stop()
    assert mon.data == [0xFF] * 20 and mon.ferr == 0


@cocotb.test()
async def frame_error_and_break(dut):
    await _start(dut)
    mon = RxMonitor(dut)
    # stop bit 0 on a non-zero byte: frame error, no byte
    b = random.randrange(1, 256)
    await send_bits(dut, frame_bits(b, stop=0))
    dut.rxd_i.value = 1
    await Timer(3 * BIT_PS, "ps")
    assert (mon.data, mon.ferr, mon.brk) == ([], 1, 0)
    # 0x00 with a low stop bit that rises before the end of the stop bit: frame error
    await send_bits(dut, frame_bits(0) [:-1])
    dut.rxd_i.value = 0
    await Timer(int(0.7 * BIT_PS), "ps")
    dut.rxd_i.value = 1
    await Timer(3 * BIT_PS, "ps")
    assert (mon.data, mon.ferr, mon.brk) == ([], 2, 0)
    # break: low for 1 .. 3 whole frames: one break each, no byte, no frame error
    for _ in range(3):
        dut.rxd_i.value = 0
        await Timer(random.randint(11 * BIT_PS, 30 * BIT_PS), "ps")
        dut.rxd_i.value = 1
        await Timer(2 * BIT_PS, "ps")
    assert (mon.data, mon.ferr, mon.brk) == ([], 2, 3)
    # the receiver works normally afterwards
    data = random.randbytes(8)
    for x in data:
        await send_bits(dut, frame_bits(x))
    dut.rxd_i.value = 1
    await Timer(2 * BIT_PS, "ps")
    mon.stop()
    assert bytes(mon.data) == data and (mon.ferr, mon.brk, mon.ovr) == (2, 3, 0)


# ---------------------------------------------------------------------------------
# pytest entry points
# ---------------------------------------------------------------------------------

def _rtl(*names: str) -> list[Path]:
    from semifreddo import RTL_DIR
    return [RTL_DIR / f"{n}.sv" for n in names]


def test_sf_uart_lint():
    from semifreddo.toolchain import lint
    for top, params in [("sf_uart_rx", {}), ("sf_uart_rx", {"ClkHz": 60_000_000}),
                        ("sf_uart_rx", {"ClkHz": 25_000_000, "Baud": 115_200}),
                        ("sf_uart_tx", {}), ("sf_uart_tx", {"ClkHz": 25_000_000})]:
        proc = lint(_rtl(top), top, params)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = lint(_rtl("sf_uart_rx") + [TB_DIR / "sf_uart_rx_harness.sv"], "sf_uart_rx_harness")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sf_uart_rx_rejects_too_slow_clock():
    from semifreddo.toolchain import lint
    proc = lint(_rtl("sf_uart_rx"), "sf_uart_rx", {"ClkHz": 40_000_000, "Baud": 3_000_000})
    assert proc.returncode != 0 and "16 * Baud" in proc.stdout + proc.stderr


def test_sf_uart_rx():
    from semifreddo.simulate import run_cocotb
    run_cocotb(toplevel="sf_uart_rx_harness",
               sources=_rtl("sf_uart_rx") + [TB_DIR / "sf_uart_rx_harness.sv"],
               test_module="test_sf_uart_rx", build_name="sf_uart_rx_harness")
