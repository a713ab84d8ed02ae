"""Byte-level codec of the host-link protocol (``docs/host-protocol.md``).

Requests (host -> device)::

    0x5A | SEQ | CMD | LEN | payload ... | CRC_HI | CRC_LO

Responses (device -> host)::

    0xA5 | SEQ | CODE | ARG | payload ... | CRC_HI | CRC_LO

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0) over every byte
before it, sync byte included, sent most significant byte first.  Multi-byte fields in
the payload (addresses, data words, counters) are little-endian.

Everything here is pure Python and has no simulator dependency: the cocotb tests and
the host tool both use it.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Iterable, Sequence

__all__ = [
    "PROTOCOL_VERSION", "REQ_SYNC", "RSP_SYNC", "HEADER_LEN", "CRC_LEN", "MAX_WORDS",
    "STATUS_PAYLOAD_LEN", "Cmd", "Nak", "crc16", "crc16_bitwise",
    "encode_request", "encode_write", "encode_read", "encode_status",
    "encode_response", "Request", "Response", "Status", "ResponseDecoder",
    "RequestDecoder", "request_payload_len", "response_payload_len", "ProtocolError",
]

PROTOCOL_VERSION = 1
REQ_SYNC = 0x5A
RSP_SYNC = 0xA5
HEADER_LEN = 4          # sync, seq, cmd/code, len/arg
CRC_LEN = 2
MAX_WORDS = 256         # LEN is a byte holding word count - 1
STATUS_PAYLOAD_LEN = 16


class ProtocolError(ValueError):
    """A request that cannot be encoded (bad field value)."""


class Cmd(enum.IntEnum):
    WRITE = 0x01    # payload: ADDR (4) + (LEN+1) data words
    READ = 0x02     # payload: ADDR (4); ACK carries (LEN+1) data words
    STATUS = 0x03   # no payload, LEN = 0; ACK carries 16 status bytes


class Nak(enum.IntEnum):
    """Response CODE values with bit 7 set.  (An ACK echoes the request's CMD.)"""
    CRC = 0x81            # CRC mismatch over the whole request
    BAD_CMD = 0x82        # CMD not one of Cmd
    BAD_LEN = 0x83        # LEN + 1 > device's MaxWords, or STATUS with LEN != 0
    BAD_ADDR = 0x84       # ADDR not 4-aligned, or ADDR + 4*(LEN+1) > 2**AddrWidth
    BUS_SLVERR = 0x85     # AXI SLVERR (or EXOKAY) on word ARG
    BUS_DECERR = 0x86     # AXI DECERR on word ARG
    BUS_TIMEOUT = 0x87    # AXI handshake/response not within the bus timeout, word ARG
    FRAME_TIMEOUT = 0x88  # request stopped arriving mid-frame; ARG = bytes received
    LINE_ERROR = 0x89     # UART frame error / break mid-frame; ARG = bytes received
    NO_SYNC = 0x8A        # unsolicited: input discarded outside a frame, then idle;
                          # SEQ = 0, ARG = items discarded (saturating at 255)


# ---------------------------------------------------------------------------------
# CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740): width 16, poly 0x1021, init 0xFFFF,
# refin = refout = false, xorout 0x0000, check("123456789") = 0x29B1.
# ---------------------------------------------------------------------------------

def crc16_bitwise(data: Iterable[int], crc: int = 0xFFFF) -> int:
    """Reference bit-serial implementation (what the RTL does, one byte per clock)."""
    for byte in data:
        crc ^= (byte & 0xFF) << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


#: Byte-at-a-time table: _TABLE[i] = CRC register after shifting byte i through a zero register.
_TABLE = [crc16_bitwise([i], 0) for i in range(256)]


def crc16(data: bytes | bytearray | memoryview | Iterable[int], crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of *data*, continuing from *crc* (default: the init value)."""
    tbl = _TABLE
    for byte in bytes(data):
        crc = ((crc << 8) & 0xFFFF) ^ tbl[(crc >> 8) ^ byte]
    return crc


def _seal(body: bytes) -> bytes:
    c = crc16(body)
    return body + bytes((c >> 8, c & 0xFF))


# ---------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------

def _check_u8(name: str, v: int) -> None:
    if not 0 <= v <= 0xFF:
        raise ProtocolError(f"{name} must be 0..255, got {v}")


def encode_request(seq: int, cmd: int, length: int, payload: bytes = b"") -> bytes:
    """Raw request frame: no semantic checks beyond byte ranges (for negative tests)."""
    for name, v in (("seq", seq), ("cmd", cmd), ("length", length)):
        _check_u8(name, v)
    return _seal(bytes((REQ_SYNC, seq, cmd, length)) + bytes(payload))


def encode_write(seq: int, addr: int, words: Sequence[int], max_words: int = MAX_WORDS) -> bytes:
    """Burst write of *words* (32-bit) to byte address *addr*, *addr*+4, ..."""
    if not 1 <= len(words) <= min(max_words, MAX_WORDS):
        raise ProtocolError(f"a write carries 1..{min(max_words, MAX_WORDS)} words, got {len(words)}")
    if addr % 4 or not 0 <= addr <= 0xFFFF_FFFF:
        raise ProtocolError(f"address must be a 4-aligned 32-bit value, got {addr:#x}")
    payload = struct.pack(f"<I{len(words)}I", addr, *(w & 0xFFFF_FFFF for w in words))
    return encode_request(seq, Cmd.WRITE, len(words) - 1, payload)


def encode_read(seq: int, addr: int, count: int, max_words: int = MAX_WORDS) -> bytes:
    """Burst read of *count* 32-bit words from byte address *addr*."""
    if not 1 <= count <= min(max_words, MAX_WORDS):
        raise ProtocolError(f"a read asks for 1..{min(max_words, MAX_WORDS)} words, got {count}")
    if addr % 4 or not 0 <= addr <= 0xFFFF_FFFF:
        raise ProtocolError(f"address must be a 4-aligned 32-bit value, got {addr:#x}")
    return encode_request(seq, Cmd.READ, count - 1, struct.pack("<I", addr))


def encode_status(seq: int) -> bytes:
    return encode_request(seq, Cmd.STATUS, 0)


@dataclass(frozen=True)
class Request:
    seq: int
    cmd: int
    length: int
    payload: bytes

    @property
    def addr(self) -> int:
        return struct.unpack_from("<I", self.payload)[0]

    @property
    def words(self) -> list[int]:
        n = (len(self.payload) - 4) // 4
        return list(struct.unpack_from(f"<{n}I", self.payload, 4))


def request_payload_len(cmd: int, length: int) -> int | None:
    """Payload bytes that follow the header, or None for an unknown command."""
    if cmd == Cmd.WRITE:
        return 4 + 4 * (length + 1)
    if cmd == Cmd.READ:
        return 4
    if cmd == Cmd.STATUS:
        return 0
    return None


class RequestDecoder:
    """Incremental request parser (the device's view; used by tests and models).

    Yields ``Request`` for good frames and ``(Nak, seq)`` tuples for CRC / header errors,
    resynchronising on the next sync byte like the RTL does (no timeouts here).
    """

    def __init__(self, max_words: int = MAX_WORDS):
        self.max_words = max_words
        self._buf = bytearray()

    def feed(self, data: bytes) -> list:
        self._buf += data
        out = []
        while True:
            while self._buf and self._buf[0] != REQ_SYNC:
                del self._buf[0]
            if len(self._buf) < 3:
                return out
            seq, cmd = self._buf[1], self._buf[2]
            if request_payload_len(cmd, 0) is None:
                out.append((Nak.BAD_CMD, seq))
                del self._buf[:3]
                continue
            if len(self._buf) < 4:
                return out
            length = self._buf[3]
            if (cmd == Cmd.STATUS and length) or length + 1 > self.max_words:
                out.append((Nak.BAD_LEN, seq))
                del self._buf[:4]
                continue
            total = HEADER_LEN + request_payload_len(cmd, length) + CRC_LEN
            if len(self._buf) < total:
                return out
            frame = bytes(self._buf[:total])
            del self._buf[:total]
            if crc16(frame) != 0:
                out.append((Nak.CRC, seq))
            else:
                out.append(Request(seq, cmd, length, frame[HEADER_LEN:-CRC_LEN]))


# ---------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------

def response_payload_len(code: int, arg: int) -> int | None:
    """Payload bytes of a response with *code*/*arg*, or None if *code* is undefined."""
    if code == Cmd.READ:
        return 4 * (arg + 1)
    if code == Cmd.STATUS:
        return STATUS_PAYLOAD_LEN
    if code == Cmd.WRITE:
        return 0
    if code in Nak._value2member_map_:
        return 0
    return None


def encode_response(seq: int, code: int, arg: int = 0, payload: bytes = b"") -> bytes:
    """What the device sends (used to test the decoder and by device models)."""
    expect = response_payload_len(code, arg)
    if expect is None or expect != len(payload):
        raise ProtocolError(f"code {code:#x} arg {arg} needs {expect} payload bytes, got {len(payload)}")
    return _seal(bytes((RSP_SYNC, seq & 0xFF, code, arg & 0xFF)) + bytes(payload))


@dataclass(frozen=True)
class Status:
    version: int
    last_nak: int
    max_len: int            # device's MaxWords - 1
    addr_width: int
    acks: int               # frames answered with an ACK before this STATUS
    naks: int               # NAK responses sent before this STATUS
    dropped: int            # input items discarded while hunting for the sync byte

    @classmethod
    def unpack(cls, payload: bytes) -> "Status":
        v, last, ml, aw, acks, naks, dropped = struct.unpack("<4B3I", payload)
        return cls(v, last, ml, aw, acks, naks, dropped)

    def pack(self) -> bytes:
        return struct.pack("<4B3I", self.version, self.last_nak, self.max_len,
                           self.addr_width, self.acks, self.naks, self.dropped)


@dataclass(frozen=True)
class Response:
    seq: int
    code: int
    arg: int
    payload: bytes = b""

    @property
    def ok(self) -> bool:
        return not self.code & 0x80

    @property
    def nak(self) -> Nak | None:
        return None if self.ok else Nak(self.code)

    @property
    def words(self) -> list[int]:
        return list(struct.unpack(f"<{len(self.payload) // 4}I", self.payload))

    @property
    def status(self) -> Status:
        return Status.unpack(self.payload)

    def __str__(self) -> str:
        what = Cmd(self.code).name if self.ok else Nak(self.code).name
        return f"{'ACK' if self.ok else 'NAK'} {what} seq={self.seq} arg={self.arg} ({len(self.payload)} B)"


@dataclass
class ResponseDecoder:
    """Incremental response parser for the host.

    ``feed()`` returns complete, CRC-checked responses.  Bytes that are not part of a
    good response (line noise, a response with a bad CRC or an undefined CODE) are
    skipped and counted in ``dropped``; after a bad candidate the parser resumes at the
    byte after its sync byte, so a good response hidden behind garbage is still found.
    A host should still time out on a response that never completes.
    """

    dropped: int = 0
    bad_crc: int = 0
    _buf: bytearray = field(default_factory=bytearray)

    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Response]:
        self._buf += data
        out: list[Response] = []
        buf = self._buf
        while True:
            i = buf.find(RSP_SYNC)
            if i < 0:
                self.dropped += len(buf)
                buf.clear()
                return out
            if i:
                self.dropped += i
                del buf[:i]
            if len(buf) < HEADER_LEN:
                return out
            plen = response_payload_len(buf[2], buf[3])
            if plen is None:
                self.dropped += 1
                del buf[:1]
                continue
            total = HEADER_LEN + plen + CRC_LEN
            if len(buf) < total:
                return out
            if crc16(buf[:total]) != 0:
                self.bad_crc += 1
                self.dropped += 1
                del buf[:1]
                continue
            out.append(Response(buf[1], buf[2], buf[3], bytes(buf[HEADER_LEN:total - CRC_LEN])))
            del buf[:total]
