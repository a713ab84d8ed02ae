"""A Python stand-in for the board, for testing host tools without hardware.

:class:`Emulator` speaks the host-link protocol (``protocol.RequestDecoder``; no frame
timeouts) in front of a bus with

* the register slave of a network at :data:`.addrmap.REGS_BASE`, modelled after
  ``semifreddo.regmap`` (fixed registers, two-bank settings and memories, shadow access,
  a commit that completes ``commit_after`` requests later as if a frame had started);
* a stream bridge at :data:`.addrmap.STREAM_BASE` (:class:`.addrmap.StreamBridgeModel`)
  whose "network" is a callback ``frame (H, W, C) -> [items of stream k]``;
* SLVERR everywhere else.

Fault injection for the retry paths: ``faults`` is a list of actions consumed by the
next requests, one each: ``"nak"`` (answer NAK CRC, do nothing), ``"corrupt"`` (execute,
flip a bit of the response), ``"drop"`` (execute, no response).  ``silent = True`` makes
the device ignore everything.  :func:`serve_pty` runs an emulator on a pseudo-terminal
for a real client to open.
"""

from __future__ import annotations

import os
import struct
import threading

import numpy as np

from ..regmap import RegisterMap
from . import protocol as p
from .addrmap import OKAY, REGS_BASE, SLVERR, STREAM_BASE, StreamBridgeModel, StreamLayout

MASK32 = 0xFFFF_FFFF


class RegsEmu:
    """Bus behaviour of the generated ``<net>_regs`` slave (offsets within the slave)."""

    def __init__(self, m: RegisterMap, build_id: int | None = None):
        self.m = m
        self.bank = 0
        self.f = {(r.name, f.name): f.reset for r in m.registers.values() if not r.external for f in r.fields}
        if build_id is not None:
            self.f[("build_id_lo", "value")] = build_id & MASK32
            self.f[("build_id_hi", "value")] = build_id >> 32
        self.words: dict[int, tuple] = {}
        for reg in m.registers.values():
            for i, a in enumerate(reg.addresses()):
                self.words[a] = ("set" if reg.external else "fixed", reg, i)
        for r in m.memories.values():
            for i in range(r.count):
                self.words[r.address(i)] = ("mem", r, i)
        self.store = [{a: 0 for a, w in self.words.items() if w[0] in ("set", "mem")} for _ in range(2)]
        for b in range(2):
            for a, (kind, reg, _) in self.words.items():
                if kind == "set":
                    self.store[b][a] = reg.fields[0].reset
        self.writes = 0          # OKAY writes (for "nothing was written" checks)

    def frame_start(self) -> None:
        if self.f[("ctrl", "commit")]:
            self.bank ^= 1
            self.f[("ctrl", "commit")] = 0

    def read(self, a: int) -> tuple[int, int]:
        w = self.words.get(a)
        if w is None:
            return SLVERR, 0
        kind, reg, _ = w
        v = self.store[1 - self.bank][a] if kind != "fixed" else None
        if kind == "mem":
            bits = reg.value_width
            return OKAY, (v - (1 << bits) if v >> (bits - 1) else v) & MASK32
        if kind == "set":
            return OKAY, v
        word = 0
        for f in reg.fields:
            if f.access == "ro":
                x = self.bank if f.name == "active_bank" else self.f[("ctrl", "commit")]
            elif f.access == "pulse":
                x = 0
            else:
                x = self.f[(reg.name, f.name)]
            word |= x << f.lsb
        return OKAY, word

    def write(self, a: int, data: int) -> int:
        w = self.words.get(a)
        if w is None:
            return SLVERR
        kind, reg, _ = w
        self.writes += 1
        if kind == "mem":
            self.store[1 - self.bank][a] = data & ((1 << reg.value_width) - 1)
        elif kind == "set":
            f = reg.fields[0]
            v = data & 1 if f.access == "bit" else (f.lo if data == 0 else min(data, f.hi)) \
                if f.access == "clamp" else min(data, f.hi)
            self.store[1 - self.bank][a] = v
        else:
            for f in reg.fields:
                bits = (data >> f.lsb) & ((1 << f.width) - 1)
                key = (reg.name, f.name)
                if f.access in ("rw", "counter"):
                    self.f[key] = bits
                elif f.access == "w1s_hwclr":
                    self.f[key] |= bits
                elif f.access == "w1c":
                    self.f[key] &= ~bits
        return OKAY


class Emulator:
    def __init__(self, m: RegisterMap, *, stream: StreamBridgeModel | None = None, network=None,
                 build_id: int | None = None, max_words: int = p.MAX_WORDS, commit_after: int = 2):
        self.regs = RegsEmu(m, build_id)
        self.stream = stream
        self.network = network
        self.max_words = max_words
        self.commit_after = commit_after
        self._commit_countdown = 0
        self.dec = p.RequestDecoder(max_words)
        self.faults: list[str] = []
        self.silent = False
        self.acks = self.naks = 0
        self.last_nak = 0
        self.requests: list[p.Request] = []
        self._frame: list[int] = []

    # -- bus ------------------------------------------------------------------------------
    def _stream_off(self, addr: int) -> int | None:
        if self.stream is not None and STREAM_BASE <= addr < STREAM_BASE + StreamLayout.SPAN:
            return addr - STREAM_BASE
        return None

    def bus_write(self, addr: int, data: int) -> int:
        off = self._stream_off(addr)
        if off is not None:
            resp = self.stream.write(off, data)
            self._run_network()
            return resp
        if REGS_BASE <= addr < REGS_BASE + (1 << self.regs.m.addr_width):
            resp = self.regs.write(addr - REGS_BASE, data)
            if resp == OKAY and addr - REGS_BASE == self.regs.m.address("ctrl") and self.regs.f[("ctrl", "commit")]:
                self._commit_countdown = self.commit_after
            return resp
        return SLVERR

    def bus_read(self, addr: int) -> tuple[int, int]:
        off = self._stream_off(addr)
        if off is not None:
            return self.stream.read(off)
        if REGS_BASE <= addr < REGS_BASE + (1 << self.regs.m.addr_width):
            return self.regs.read(addr - REGS_BASE)
        return SLVERR, 0

    def _run_network(self) -> None:
        s = self.stream
        per = s.width * s.height
        while s.inq:
            self._frame.append(s.inq.popleft())
            if len(self._frame) == per:
                words = np.array(self._frame, dtype=np.int64)
                frame = np.stack([(words >> (c * s.bits)) & ((1 << s.bits) - 1) for c in range(s.channels)],
                                 axis=-1).reshape(s.height, s.width, s.channels)
                self._frame = []
                for k, items in enumerate(self.network(frame)):
                    s.outq[k].extend(items)

    # -- protocol --------------------------------------------------------------------------
    def _nak(self, seq: int, code: int, arg: int = 0) -> bytes:
        self.naks += 1
        self.last_nak = code
        return p.encode_response(seq, code, arg)

    def _execute(self, r: p.Request) -> bytes:
        if r.cmd == p.Cmd.STATUS:
            st = p.Status(1, self.last_nak, self.max_words - 1, 32, self.acks, self.naks, 0)
            self.acks += 1
            return p.encode_response(r.seq, p.Cmd.STATUS, 0, st.pack())
        n = r.length + 1
        if r.addr % 4 or r.addr + 4 * n > 1 << 32:
            return self._nak(r.seq, p.Nak.BAD_ADDR)
        if r.cmd == p.Cmd.WRITE:
            for i, w in enumerate(r.words):
                if self.bus_write(r.addr + 4 * i, w) != OKAY:
                    return self._nak(r.seq, p.Nak.BUS_SLVERR, i)
            self.acks += 1
            return p.encode_response(r.seq, p.Cmd.WRITE, r.length)
        words = []
        for i in range(n):
            resp, w = self.bus_read(r.addr + 4 * i)
            if resp != OKAY:
                return self._nak(r.seq, p.Nak.BUS_SLVERR, i)
            words.append(w)
        self.acks += 1
        return p.encode_response(r.seq, p.Cmd.READ, r.length, struct.pack(f"<{n}I", *words))

    def feed(self, data: bytes) -> bytes:
        """Bytes from the host -> bytes to send back."""
        if self.silent:
            return b""
        out = bytearray()
        for item in self.dec.feed(data):
            if self._commit_countdown:
                self._commit_countdown -= 1
                if not self._commit_countdown:
                    self.regs.frame_start()
            if isinstance(item, tuple):
                out += self._nak(item[1], item[0])
                continue
            self.requests.append(item)
            fault = self.faults.pop(0) if self.faults else None
            if fault == "nak":
                out += self._nak(item.seq, p.Nak.CRC)
                continue
            rsp = self._execute(item)
            if fault == "drop":
                continue
            if fault == "corrupt":
                bad = bytearray(rsp)
                bad[len(bad) // 2] ^= 0x10
                rsp = bytes(bad)
            out += rsp
        return bytes(out)


def serve_pty(emu: Emulator):
    """Run *emu* behind a new pseudo-terminal.  Returns ``(path, stop)``: open *path* with
    pyserial; call ``stop()`` to end the server thread and close the pty."""
    import select
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop_ev = threading.Event()

    def loop():
        while not stop_ev.is_set():
            r, _, _ = select.select([master], [], [], 0.02)
            if not r:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            out = emu.feed(data)
            if out:
                os.write(master, out)

    th = threading.Thread(target=loop, daemon=True, name="hostlink-emulator")
    th.start()

    def stop():
        stop_ev.set()
        th.join(1.0)
        for fd in (master, slave):
            try:
                os.close(fd)
            except OSError:
                pass

    return path, stop


def default_stream(net) -> StreamBridgeModel:
    """A stream bridge shaped for *net* (as the SoC builds it)."""
    from .infer import output_specs

    return StreamBridgeModel(net.input_width, net.input_height, net.input_channels, net.input_bits,
                             len(output_specs(net)), 32, 512, 512, 14)


__all__ = ["Emulator", "RegsEmu", "serve_pty", "default_stream"]
