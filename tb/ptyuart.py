"""A pseudo-terminal wired to a simulated UART: the real host tool talks to the DUT.

:class:`PtyUart` opens a pty, and :meth:`PtyUart.pump` (awaited every few hundred clocks by
the test) moves bytes both ways: pty -> cocotbext-uart ``UartSource`` on the DUT's RX pin,
``UartSink`` on its TX pin -> pty.  A host program given :attr:`PtyUart.port` sees a
serial device.  Every chunk is logged with its simulated time for throughput figures.
"""

from __future__ import annotations

import os
import tty

import cocotb.utils


class PtyUart:
    def __init__(self, rx_pin, tx_pin, baud: int) -> None:
        from cocotbext.uart import UartSink, UartSource

        self.source = UartSource(rx_pin, baud=baud, bits=8, stop_bits=1)
        self.sink = UartSink(tx_pin, baud=baud, bits=8, stop_bits=1)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.port = os.ttyname(self.slave)
        self.host_bytes, self.dev_bytes = bytearray(), bytearray()
        self.host_chunks: list[tuple[int, float]] = []   # (offset, sim ns) handed to the UART
        self.dev_chunks: list[tuple[int, float]] = []    # (offset, sim ns) taken from the UART

    async def pump(self) -> None:
        now = cocotb.utils.get_sim_time("ns")
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            data = b""
        if data:
            self.host_chunks.append((len(self.host_bytes), now))
            self.host_bytes += data
            await self.source.write(data)
        out = bytes(self.sink.read_nowait())
        if out:
            self.dev_chunks.append((len(self.dev_bytes), now))
            self.dev_bytes += out
            os.write(self.master, out)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)
