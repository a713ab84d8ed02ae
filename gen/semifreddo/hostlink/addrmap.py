"""Where things are on the chip's AXI4-Lite bus, as the host sees it.

The ONE place for the SoC bases the host tool uses (``gen/semifreddo/soc.py``, which
places the slaves in RTL, imports them from here):

* the generated register slave ``<net>_regs`` (``semifreddo.regmap``) at :data:`REGS_BASE`;
* the stream bridge ``rtl/sf_axil_stream.sv`` at :data:`STREAM_BASE`.

Also the stream bridge's own register layout (:class:`StreamLayout`, mirrored from the
header comment of ``rtl/sf_axil_stream.sv``; ``tb/sf_axil_stream`` checks the RTL against
it) and :class:`StreamBridgeModel`, a bus-level model of the bridge used by that
testbench and by the host-tool device emulator.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

#: SoC address map (agreed with gen/semifreddo/soc.py).
REGS_BASE = 0x0000_0000
STREAM_BASE = 0x4000_0000

OKAY, SLVERR = 0, 2


class StreamLayout:
    """Byte offsets inside ``sf_axil_stream`` (AddrWidth >= 14)."""

    ID = 0x0000
    GEOMETRY = 0x0004
    FORMAT = 0x0008
    STATUS = 0x000C
    LEVEL = 0x0010            # + 4*k
    IN_DATA = 0x1000          # window of IN_WORDS words; any word pushes one pixel
    IN_WORDS = 256
    OUT = 0x2000              # + OUT_STRIDE*k: OUT_DATA window (pop, tdata)
    OUT_STRIDE = 0x0800
    OUT_TAGGED = 0x0400       # + OUT + OUT_STRIDE*k: pop, {tuser, tlast, tdata[29:0]}
    OUT_WORDS = 256
    SPAN = 0x4000             # everything at or above answers SLVERR
    MAX_OUT = 4
    ID_VALUE = 0x5346_5342    # "SFSB"

    @classmethod
    def out_data(cls, k: int, tagged: bool = False) -> int:
        return cls.OUT + cls.OUT_STRIDE * k + (cls.OUT_TAGGED if tagged else 0)


@dataclass
class StreamBridgeModel:
    """What every bus access of ``sf_axil_stream`` does, given FIFO contents.

    ``inq`` holds pixels pushed and not yet taken by the network (the bridge's input FIFO,
    ``in_depth`` deep); ``outq[k]`` holds ``(tdata, tuser, tlast)`` items of result stream
    *k* that are poppable.  The caller moves items between these queues and the network.
    """

    width: int
    height: int
    channels: int
    bits: int
    num_out: int
    out_width: int
    in_depth: int
    out_depth: int
    addr_width: int = 14
    inq: deque = field(default_factory=deque)
    outq: list = field(default_factory=list)
    #: out FIFO items counted in LEVEL but not yet poppable (the RTL's fall-through delay)
    in_flight: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.outq:
            self.outq = [deque() for _ in range(self.num_out)]
        if not self.in_flight:
            self.in_flight = [0] * self.num_out

    @property
    def in_width(self) -> int:
        return self.channels * self.bits

    def registers(self) -> dict[int, int]:
        """Read value of every register word (offset -> value)."""
        L = StreamLayout
        status = (self.in_depth - len(self.inq)) & 0xFFFF
        for k in range(self.num_out):
            status |= int(bool(self.outq[k])) << (16 + k)
        regs = {L.ID: L.ID_VALUE, L.GEOMETRY: self.height << 16 | self.width,
                L.FORMAT: self.channels << 24 | self.num_out << 16 | self.out_width << 8 | self.in_width,
                L.STATUS: status}
        for k in range(self.num_out):
            q = self.outq[k]
            head_user, head_last = (q[0][1], q[0][2]) if q else (0, 0)
            regs[L.LEVEL + 4 * k] = (head_last << 17 | head_user << 16 |
                                     (len(q) + self.in_flight[k]))
        return regs

    def write(self, addr: int, data: int, strb: int = 0xF) -> int:
        L = StreamLayout
        a = addr & ((1 << self.addr_width) - 1) & ~3
        if L.IN_DATA <= a < L.IN_DATA + 4 * L.IN_WORDS and strb == 0xF and len(self.inq) < self.in_depth:
            self.inq.append(data & ((1 << self.in_width) - 1))
            return OKAY
        return SLVERR

    def read(self, addr: int) -> tuple[int, int]:
        L = StreamLayout
        a = addr & ((1 << self.addr_width) - 1) & ~3
        regs = self.registers()
        if a in regs:
            return OKAY, regs[a]
        if L.OUT <= a < L.SPAN:
            k, off = divmod(a - L.OUT, L.OUT_STRIDE)
            if k < self.num_out and self.outq[k]:
                d, u, last = self.outq[k].popleft()
                if off >= L.OUT_TAGGED:
                    return OKAY, u << 31 | last << 30 | (d & ((1 << 30) - 1))
                return OKAY, d
        return SLVERR, 0
