"""Host side of the host link: a pyserial client with sequence numbers, a window of two
outstanding requests, and bounded retries (docs/host-protocol.md, "Host rules").

:func:`open_port` opens a device path or any pyserial URL (``socket://host:port``,
``loop://``, ...).  :class:`Client` turns word-level reads and writes into request
frames (at most ``max_words`` words each), keeps at most two requests outstanding, and
on a NAK, a missing response or a garbled one waits until the line is quiet and
retransmits every request that was not ACKed (go-back-N), each at most ``retries``
times; then it gives up with :class:`LinkError`.  Bus errors (NAK 0x85..0x87) are not
transmission errors: they raise :class:`BusError` at once.

Requests with side effects (stream-bridge pushes and pops) go through
:meth:`Client.write_once` / :meth:`Client.read_once`: one request at a time, retried only
after a NAK that guarantees nothing was executed; a response lost after the device may
have acted raises :class:`LinkError` instead of repeating the access.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import protocol as p

#: NAKs after which the request was certainly not executed (safe to retransmit anything).
NOT_EXECUTED = {p.Nak.CRC, p.Nak.BAD_CMD, p.Nak.BAD_LEN, p.Nak.FRAME_TIMEOUT, p.Nak.LINE_ERROR}
BUS_NAKS = {p.Nak.BUS_SLVERR, p.Nak.BUS_DECERR, p.Nak.BUS_TIMEOUT}


class LinkError(Exception):
    """The device did not answer correctly within the retry budget (or state is unknown)."""


class BusError(Exception):
    """The device executed the request and the AXI bus answered an error."""

    def __init__(self, nak: p.Nak, addr: int, word: int, what: str):
        self.nak, self.addr, self.word = nak, addr, word
        super().__init__(f"{what} at {addr + 4 * word:#010x} (word {word} of the request): "
                         f"bus answered {nak.name}")


def open_port(url: str, baud: int = 3_000_000):
    """A pyserial port for a device path or URL (raises LinkError with a clear message)."""
    import serial

    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=0.005, write_timeout=10)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise LinkError(f"cannot open port {url}: {exc}") from None


@dataclass
class _Req:
    frame: bytes
    cmd: int
    length: int
    addr: int
    tries: int = 0
    rsp: p.Response | None = None


@dataclass
class Stats:
    requests: int = 0
    retransmits: int = 0
    naks: int = 0
    timeouts: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    nak_codes: dict = field(default_factory=dict)


class Client:
    """Word-level access to the device's AXI bus over the host link."""

    def __init__(self, port, *, baud: int = 3_000_000, timeout: float = 0.5, retries: int = 5,
                 quiet: float = 0.02, window: int = 2, max_words: int = p.MAX_WORDS, log=None):
        self.port = port
        self.baud = baud
        self.timeout = timeout        # allowance on top of line time for each response
        self.retries = retries
        self.quiet = quiet            # silence that ends error recovery
        self.window = window
        self.max_words = max_words
        self.seq = 0
        self.dec = p.ResponseDecoder()
        self.stats = Stats()
        self.log = log or (lambda msg: None)
        self._rx: list[p.Response] = []

    # -- low level ------------------------------------------------------------------------
    def _line_time(self, nbytes: int) -> float:
        return nbytes * 10 / self.baud

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFF
        return self.seq

    def _send(self, frame: bytes) -> None:
        self.port.write(frame)       # one OS call per frame: no gaps inside a frame
        self.stats.bytes_out += len(frame)

    def _poll(self, wait: float = 0.0) -> list[p.Response]:
        """Bytes available now or within the port's read timeout (a few ms), decoded.
        (*wait* is advisory: the port timeout is set once, reconfiguring a real port per
        read costs a system call.)"""
        data = self.port.read(max(1, self.port.in_waiting))
        if data:
            self.stats.bytes_in += len(data)
            return self.dec.feed(data)
        return []

    def _drain_quiet(self) -> list[p.Response]:
        """Collect responses until nothing arrived for ``quiet`` seconds."""
        got: list[p.Response] = []
        while True:
            end = time.monotonic() + self.quiet
            new = False
            while time.monotonic() < end:
                data = self.port.read(max(1, self.port.in_waiting))
                if data:
                    self.stats.bytes_in += len(data)
                    got += self.dec.feed(data)
                    new = True
                    break
            if not new:
                self.dec = p.ResponseDecoder()   # forget half-received junk
                return got

    def _req(self, cmd: int, addr: int, words=None, count: int = 0) -> _Req:
        seq = self._next_seq()
        if cmd == p.Cmd.WRITE:
            frame = p.encode_write(seq, addr, words, self.max_words)
            return _Req(frame, cmd, len(words) - 1, addr)
        if cmd == p.Cmd.READ:
            return _Req(p.encode_read(seq, addr, count, self.max_words), cmd, count - 1, addr)
        return _Req(p.encode_status(seq), cmd, 0, addr)

    @staticmethod
    def _matches(req: _Req, rsp: p.Response) -> bool:
        return rsp.seq == req.frame[1]

    def _check_ack(self, req: _Req, rsp: p.Response) -> bool:
        """True if *rsp* is a correct ACK of *req*; raises BusError on a bus NAK."""
        if rsp.ok:
            return rsp.code == req.cmd and rsp.arg == req.length
        nak = rsp.nak
        if nak in BUS_NAKS:
            what = {p.Cmd.WRITE: "write", p.Cmd.READ: "read"}.get(req.cmd, "request")
            raise BusError(nak, req.addr, rsp.arg, what)
        if nak is p.Nak.BAD_ADDR:
            raise LinkError(f"device refused address {req.addr:#010x} (NAK BAD_ADDR): outside its "
                            f"{self.addr_width_hint()} address space")
        return False

    def addr_width_hint(self) -> str:
        return "AXI"

    def _note_nak(self, rsp: p.Response) -> None:
        self.stats.naks += 1
        name = rsp.nak.name if rsp.nak else hex(rsp.code)
        self.stats.nak_codes[name] = self.stats.nak_codes.get(name, 0) + 1

    # -- pipelined, idempotent requests ----------------------------------------------------
    def run(self, reqs: list[_Req], progress=None) -> list[_Req]:
        """Execute idempotent requests in order, two outstanding, go-back-N on errors."""
        todo = list(reqs)
        i_send = 0            # next request to (re)send
        outstanding: list[_Req] = []
        deadline = 0.0
        done = 0
        while done < len(todo):
            while len(outstanding) < self.window and i_send < len(todo):
                r = todo[i_send]
                i_send += 1
                if r.rsp is not None:
                    continue
                if r.tries > self.retries:
                    raise LinkError(self._give_up(r))
                r.tries += 1
                self._send(r.frame)
                self.stats.requests += 1
                outstanding.append(r)
                # deadline for the OLDEST outstanding response: everything sent so far must
                # cross the line, then its response
                deadline = time.monotonic() + self._line_time(
                    sum(len(o.frame) + 6 + 4 * (o.length + 1) * (o.cmd == p.Cmd.READ) for o in outstanding)) \
                    + self.timeout
            if not outstanding:
                continue
            error = None
            for rsp in self._poll(min(0.05, max(0.0, deadline - time.monotonic()))):
                head = next((o for o in outstanding if self._matches(o, rsp)), None)
                if head is None:
                    if not rsp.ok:
                        self._note_nak(rsp)
                        error = error or f"unsolicited NAK {rsp.nak.name}"
                    continue              # stale / duplicate
                if self._check_ack(head, rsp):
                    head.rsp = rsp
                    outstanding.remove(head)
                    done += 1
                    if progress:
                        progress(head)
                    deadline = time.monotonic() + self.timeout + self._line_time(
                        sum(len(o.frame) + 6 for o in outstanding))
                else:
                    if not rsp.ok:
                        self._note_nak(rsp)
                    error = error or f"NAK {rsp.nak.name if rsp.nak else rsp.code} for seq {rsp.seq}"
            if error is None and outstanding and time.monotonic() > deadline:
                self.stats.timeouts += 1
                error = f"no response to seq {outstanding[0].frame[1]}"
            if error is not None:
                self.log(f"link: {error}; recovering")
                for rsp in self._drain_quiet():
                    head = next((o for o in outstanding if self._matches(o, rsp)), None)
                    if head is not None and self._check_ack(head, rsp):
                        head.rsp = rsp
                        outstanding.remove(head)
                        done += 1
                        if progress:
                            progress(head)
                for o in outstanding:
                    self.stats.retransmits += 1
                outstanding.clear()
                # go back to the first request without a response
                i_send = next((k for k, r in enumerate(todo) if r.rsp is None), len(todo))
        return todo

    def _give_up(self, r: _Req) -> str:
        what = {p.Cmd.WRITE: "write", p.Cmd.READ: "read", p.Cmd.STATUS: "status"}[r.cmd]
        return (f"device not answering: {what} at {r.addr:#010x} failed {r.tries} times "
                f"(NAKs {self.stats.nak_codes or 'none'}, timeouts {self.stats.timeouts})")

    # -- public word-level API -------------------------------------------------------------
    def status(self) -> p.Status:
        [r] = self.run([self._req(p.Cmd.STATUS, 0)])
        return r.rsp.status

    def write(self, addr: int, words: list[int], progress=None) -> None:
        self.run(self._chunks(p.Cmd.WRITE, addr, words, len(words)), progress)

    def read(self, addr: int, count: int, progress=None) -> list[int]:
        out: list[int] = []
        for r in self.run(self._chunks(p.Cmd.READ, addr, None, count), progress):
            out += r.rsp.words
        return out

    def write_runs(self, runs: list[tuple[int, list[int]]], progress=None) -> None:
        """Several (address, words) runs, pipelined across run boundaries."""
        reqs = [q for a, ws in runs for q in self._chunks(p.Cmd.WRITE, a, ws, len(ws))]
        self.run(reqs, progress)

    def read_runs(self, runs: list[tuple[int, int]], progress=None) -> list[list[int]]:
        reqs, spans = [], []
        for a, n in runs:
            part = self._chunks(p.Cmd.READ, a, None, n)
            spans.append((len(reqs), len(reqs) + len(part)))
            reqs += part
        self.run(reqs, progress)
        return [[w for r in reqs[s:e] for w in r.rsp.words] for s, e in spans]

    def _chunks(self, cmd: int, addr: int, words, count: int) -> list[_Req]:
        out = []
        for i in range(0, count, self.max_words):
            n = min(self.max_words, count - i)
            if cmd == p.Cmd.WRITE:
                out.append(self._req(cmd, addr + 4 * i, words[i:i + n]))
            else:
                out.append(self._req(cmd, addr + 4 * i, count=n))
        return out

    # -- requests with side effects ----------------------------------------------------------
    def _once(self, req: _Req) -> p.Response:
        """One request, nothing else outstanding; retried only after a NAK that proves it
        was not executed.  Returns the ACK, or raises BusError / LinkError."""
        while True:
            if req.tries > self.retries:
                raise LinkError(self._give_up(req))
            req.tries += 1
            self._send(req.frame)
            self.stats.requests += 1
            deadline = time.monotonic() + self._line_time(len(req.frame) + 6 + 4 * (req.length + 1)) + self.timeout
            verdict = None
            while verdict is None and time.monotonic() < deadline:
                for rsp in self._poll(min(0.05, max(0.0, deadline - time.monotonic()))):
                    if not self._matches(req, rsp):
                        if not rsp.ok:
                            self._note_nak(rsp)
                        continue
                    if self._check_ack(req, rsp):
                        return rsp
                    self._note_nak(rsp)
                    verdict = rsp.nak
                    break
            if verdict in NOT_EXECUTED:
                self.log(f"link: NAK {verdict.name}; retransmitting")
                self._drain_quiet()
                self.stats.retransmits += 1
                continue
            self.stats.timeouts += verdict is None
            raise LinkError(f"no valid response to a {'write' if req.cmd == p.Cmd.WRITE else 'read'} "
                            f"with side effects at {req.addr:#010x}; not repeated (the device may have "
                            f"executed it)")

    def write_once(self, addr: int, words: list[int]) -> p.Response:
        return self._once(self._req(p.Cmd.WRITE, addr, words))

    def read_once(self, addr: int, count: int) -> list[int]:
        return self._once(self._req(p.Cmd.READ, addr, count=count)).words
