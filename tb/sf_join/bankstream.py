"""cocotb helpers for streams that carry ``tbank`` (trainable streams) and for joins.

Shared by the tests of ``sf_join``, ``sf_blend`` and ``sf_shuffle`` (the latter two put
this folder on ``sys.path``).  Built on :mod:`sfstream`:

* :class:`Payload` -- ``tdata`` and ``tbank`` seen as ONE value (tbank in the bit above
  the tdata bits), so :class:`sfstream.StreamSource` / :class:`sfstream.StreamSink`
  drive, record and stability-check the bank like the rest of the payload.
* :func:`banked_source` / :func:`banked_sink` -- a source / sink on ``<prefix>_*`` that
  includes ``<prefix>_tbank`` when the DUT has it.
* :func:`banked_beats` -- beats of one frame: tbank = the frame bank on the tuser pixel
  and random on every other pixel (the DUT must latch the bank on the tuser pixel).
* :func:`split_banked` -- output beats to frames (markers checked) plus the tbank of
  every output pixel.
* :class:`Harness` -- clock, reset, seed logging, a cycle counter; :func:`wait_beats`.
"""

from __future__ import annotations

import random
from typing import Sequence

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, with_timeout

from sfstream import (CLK_PERIOD_NS, Beat, CycleCounter, StreamSink, StreamSource, frame_words,
                      make_rngs, reset_dut, split_frames)


class Payload:
    """``tdata`` (low bits) and ``tbank`` (the bit above) as one handle-like value."""

    def __init__(self, tdata, tbank) -> None:
        self._tdata = tdata
        self._tbank = tbank
        self._bits = len(tdata)
        self._name = tdata._name

    def __len__(self) -> int:
        return self._bits + 1

    @property
    def value(self) -> int:
        return int(self._tdata.value) | (int(self._tbank.value) << self._bits)

    @value.setter
    def value(self, v: int) -> None:
        self._tdata.value = int(v) & ((1 << self._bits) - 1)
        self._tbank.value = (int(v) >> self._bits) & 1


def _with_bank(obj, dut, prefix: str):
    bank = getattr(dut, f"{prefix}_tbank", None)
    if bank is not None:
        obj.tdata = Payload(obj.tdata, bank)
        if hasattr(obj, "data_bits"):
            obj.data_bits = len(obj.tdata)
    return obj


def banked_source(dut, prefix: str, clk, **kw) -> StreamSource:
    """:class:`StreamSource` whose beat data is ``{tbank, tdata}`` if ``<prefix>_tbank`` exists.

    (The source's task first runs after the caller yields, so swapping ``tdata`` for the
    :class:`Payload` right after construction is safe.)
    """
    return _with_bank(StreamSource(dut, prefix, clk, **kw), dut, prefix)


def banked_sink(dut, prefix: str, clk, **kw) -> StreamSink:
    """:class:`StreamSink` recording ``{tbank, tdata}`` if ``<prefix>_tbank`` exists."""
    return _with_bank(StreamSink(dut, prefix, clk, **kw), dut, prefix)


def to_bus(frame: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement bus view of a (possibly signed) integer frame."""
    return (np.asarray(frame, dtype=np.int64) & ((1 << bits) - 1)).astype(np.uint64)


def banked_beats(frame: np.ndarray, bits: int, bank: int | None, rng: random.Random,
                 *, user_at: int = 0) -> list[Beat]:
    """Beats of an ``(H, W, C)`` frame (signed values allowed).

    With *bank* not ``None`` the beat data is ``{tbank, tdata}``: *bank* on the tuser
    pixel, a random bit on every other pixel.  *user_at* = -1 gives no tuser at all.
    """
    _, w, c = frame.shape
    shift = c * bits
    beats = []
    for i, word in enumerate(frame_words(to_bus(frame, bits), bits)):
        if bank is not None:
            word |= (bank if i == user_at else rng.getrandbits(1)) << shift
        beats.append(Beat(word, int(i == user_at), int(i % w == w - 1)))
    return beats


def split_banked(beats: Sequence[Beat], height: int, width: int, channels: int,
                 bits: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Output beats ``{tbank, tdata}`` to bus-view frames and per-pixel tbank arrays.

    The markers are checked (tuser on the first pixel of every frame only, tlast at the
    end of every row) and there must be no partial frame.
    """
    shift = channels * bits
    mask = (1 << shift) - 1
    frames, left = split_frames([Beat(b.data & mask, b.user, b.last) for b in beats],
                                height, width, channels, bits)
    assert left == 0, f"{left} output pixels beyond the last complete frame"
    per = height * width
    banks = [np.array([b.data >> shift for b in beats[f * per:(f + 1) * per]]).reshape(height, width)
             for f in range(len(frames))]
    return frames, banks


class Harness:
    """Clock, seeded RNGs (logged), cycle counter, reset."""

    def __init__(self, dut, name: str) -> None:
        self.dut = dut
        self.log = dut._log
        self.rng, self.np_rng, seed = make_rngs()
        self.log.info("%s: regression seed %s (re-run with SF_SEED=%s)", name, seed, seed)
        cocotb.start_soon(Clock(dut.clk_i, CLK_PERIOD_NS, unit="ns").start())
        self.counter = CycleCounter(dut.clk_i)

    async def reset(self) -> None:
        self.dut.rst_ni.value = 1
        await reset_dut(self.dut.clk_i, self.dut.rst_ni)

    async def wait_beats(self, sinks: Sequence[StreamSink], want: int, timeout_cycles: int,
                         settle: int = 20) -> None:
        """Wait until every sink has *want* beats (cycle timeout), then *settle* cycles more
        and check that nothing extra arrived."""

        async def done() -> None:
            while any(len(s.beats) < want for s in sinks):
                await RisingEdge(self.dut.clk_i)

        await with_timeout(done(), timeout_cycles * CLK_PERIOD_NS, "ns")
        for _ in range(settle):
            await RisingEdge(self.dut.clk_i)
        for s in sinks:
            assert len(s.beats) == want, f"{len(s.beats)} output pixels, expected {want}"
