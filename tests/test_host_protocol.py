"""Host-link protocol codec (pure Python, fast): CRC, encoders, incremental decoders."""

import random
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from semifreddo.hostlink import protocol as p


# -- CRC-16/CCITT-FALSE -------------------------------------------------------------

def test_crc_check_value():
    # The catalogue check value of CRC-16/CCITT-FALSE (= CRC-16/IBM-3740).
    assert p.crc16(b"123456789") == 0x29B1
    assert p.crc16_bitwise(b"123456789") == 0x29B1
    assert p.crc16(b"") == 0xFFFF


def test_documented_worked_examples():
    # docs/host-protocol.md quotes these bytes; keep them in sync.
    assert p.encode_status(0x00) == bytes.fromhex("5a 00 03 00 cc 03")
    assert p.encode_read(0x02, 0x100, 4) == bytes.fromhex("5a 02 02 03 00 01 00 00 59 67")
    assert p.encode_write(0x01, 0x100, [0x11223344]) == bytes.fromhex(
        "5a 01 01 00 00 01 00 00 44 33 22 11 26 ca")
    assert p.encode_response(0x01, p.Cmd.WRITE, 0) == bytes.fromhex("a5 01 01 00 d6 f2")
    assert p.encode_response(0x02, p.Cmd.READ, 0, bytes.fromhex("44332211")) == bytes.fromhex(
        "a5 02 02 00 44 33 22 11 4e c6")
    assert p.encode_response(0x01, p.Nak.CRC, 0) == bytes.fromhex("a5 01 81 00 cd 6a")
    assert p.crc16(bytes.fromhex("5a 00 03 00")) == 0xCC03


@given(st.binary(max_size=300), st.integers(0, 0xFFFF))
def test_crc_table_matches_bitwise(data, init):
    assert p.crc16(data, init) == p.crc16_bitwise(data, init)


@given(st.binary(min_size=1, max_size=300))
def test_crc_residue_is_zero_and_detects_single_bit_flips(data):
    c = p.crc16(data)
    frame = data + bytes((c >> 8, c & 0xFF))
    assert p.crc16(frame) == 0          # the receiver's check: run over the CRC too
    rng = random.Random(len(data))
    bit = rng.randrange(len(frame) * 8)
    bad = bytearray(frame)
    bad[bit // 8] ^= 1 << (bit % 8)
    assert p.crc16(bad) != 0            # every single-bit error is detected


# -- requests -----------------------------------------------------------------------

@given(st.integers(0, 255), st.integers(0, (1 << 30) - 1),
       st.lists(st.integers(0, 0xFFFF_FFFF), min_size=1, max_size=256))
def test_write_layout_and_roundtrip(seq, waddr, words):
    addr = waddr * 4
    f = p.encode_write(seq, addr, words)
    assert len(f) == 4 + 4 + 4 * len(words) + 2
    assert f[:4] == bytes((0x5A, seq, 0x01, len(words) - 1))
    assert struct.unpack_from("<I", f, 4)[0] == addr
    [req] = p.RequestDecoder().feed(f)
    assert (req.seq, req.cmd, req.addr, req.words) == (seq, p.Cmd.WRITE, addr, words)


def test_request_encoders_reject_bad_fields():
    with pytest.raises(p.ProtocolError):
        p.encode_write(0, 0x102, [1])           # misaligned
    with pytest.raises(p.ProtocolError):
        p.encode_write(0, 0, [])                # no words
    with pytest.raises(p.ProtocolError):
        p.encode_write(0, 0, [0] * 257)         # too many
    with pytest.raises(p.ProtocolError):
        p.encode_write(0, 0, [0] * 17, max_words=16)
    with pytest.raises(p.ProtocolError):
        p.encode_read(0, 0, 0)
    with pytest.raises(p.ProtocolError):
        p.encode_read(256, 0, 1)                # seq out of range
    with pytest.raises(p.ProtocolError):
        p.encode_request(0, 0x100, 0)


def test_request_decoder_resyncs_and_naks():
    good = p.encode_read(7, 0x40, 2)
    bad = bytearray(p.encode_write(8, 0x80, [1, 2]))
    bad[9] ^= 0x10
    out = p.RequestDecoder().feed(b"\x00\x13" + bytes(bad) + good
                                  + p.encode_request(9, 0x77, 0)
                                  + p.encode_request(10, p.Cmd.STATUS, 1)
                                  + p.encode_status(11))
    assert out[0] == (p.Nak.CRC, 8)
    assert out[1].seq == 7 and out[1].cmd == p.Cmd.READ and out[1].addr == 0x40
    assert out[2] == (p.Nak.BAD_CMD, 9)
    assert out[3] == (p.Nak.BAD_LEN, 10)
    assert out[-1].seq == 11 and out[-1].cmd == p.Cmd.STATUS


# -- responses ----------------------------------------------------------------------

def test_status_pack_roundtrip():
    s = p.Status(1, 0x81, 255, 32, 10, 3, 12345)
    r = p.ResponseDecoder().feed(p.encode_response(5, p.Cmd.STATUS, 0, s.pack()))
    assert r[0].status == s and r[0].ok and r[0].seq == 5


def test_encode_response_rejects_wrong_payload():
    with pytest.raises(p.ProtocolError):
        p.encode_response(0, p.Cmd.READ, 0, b"")
    with pytest.raises(p.ProtocolError):
        p.encode_response(0, 0x7F, 0)


@given(st.data())
def test_response_decoder_on_chunked_noisy_stream(data):
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    frames, expect = bytearray(), []
    for seq in range(data.draw(st.integers(1, 12))):
        kind = rng.randrange(4)
        if kind == 0:
            r = p.Response(seq, p.Cmd.WRITE, rng.randrange(256))
        elif kind == 1:
            n = rng.randrange(1, 9)
            r = p.Response(seq, p.Cmd.READ, n - 1, rng.randbytes(4 * n))
        elif kind == 2:
            r = p.Response(seq, p.Cmd.STATUS, 0, rng.randbytes(16))
        else:
            r = p.Response(seq, rng.choice(list(p.Nak)), rng.randrange(256))
        if rng.random() < 0.3:              # noise without a sync byte between frames
            frames += bytes(b for b in rng.randbytes(rng.randrange(1, 6)) if b != p.RSP_SYNC)
        frames += p.encode_response(r.seq, r.code, r.arg, r.payload)
        expect.append(r)
    dec, got, i = p.ResponseDecoder(), [], 0
    while i < len(frames):
        n = rng.randrange(1, 40)
        got += dec.feed(bytes(frames[i:i + n]))
        i += n
    assert got == expect
    assert dec.pending() == 0


def test_response_decoder_skips_corrupt_frame_and_finds_next():
    a = bytearray(p.encode_response(1, p.Cmd.READ, 1, bytes(range(8))))
    a[6] ^= 0x01
    b = p.encode_response(2, p.Nak.CRC, 0)
    dec = p.ResponseDecoder()
    out = dec.feed(bytes(a) + b)
    assert [r.seq for r in out] == [2] and out[0].nak is p.Nak.CRC
    assert dec.bad_crc == 1 and dec.dropped == len(a)
