"""Reusable cocotb helpers for SemifreddoNets-HW pixel streams.

Stream convention (project-wide): AXI4-Stream style ``<prefix>_tvalid/_tready/_tdata``
with optional ``_tuser`` (first pixel of a frame) and ``_tlast`` (last pixel of every
row); ``tdata`` packs element ``e`` of a beat at ``[e*bits +: bits]``; raster order.

Timing discipline: every testbench-driven signal changes on the FALLING clock edge and
handshakes are sampled in the ``ReadOnly`` phase right after it, i.e. with all signals
settled half a cycle before the rising edge that completes the transfer.  This does not
depend on how a simulator orders events at the rising edge.

Contents:

* :func:`pack` / :func:`unpack` / :func:`frame_words` / :func:`frame_beats` -- tdata
  packing and frame to beats.
* :func:`window_ref` -- numpy reference of ``sf_window`` (exact "same"-padded windows).
* :func:`random_frames`, :func:`pauses` -- random data and valid/ready stall patterns.
* :class:`CycleCounter`, :func:`reset_dut`, :func:`make_rngs`.
* :class:`StreamSource` -- queue of beats / frames / idle gaps, random tvalid gaps.
* :class:`StreamSink` -- random tready stalls, records beats, checks that tvalid and the
  payload stay stable while stalled.
* :func:`split_frames` / :func:`compare_frames` -- beats to (H, W, E) arrays with
  tuser/tlast checks, and bit-exact comparison with readable mismatch reports.
"""

from __future__ import annotations

import os
import random
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

CLK_PERIOD_NS = 10


# -------------------------------------------------------------------------------------
# Packing and reference models
# -------------------------------------------------------------------------------------
def pack(values: Iterable[int], bits: int) -> int:
    """Pack unsigned *values* (element e at ``[e*bits +: bits]``) into one integer."""
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & ((1 << bits) - 1)) << (i * bits)
    return word


def unpack(word: int, count: int, bits: int) -> list[int]:
    """Inverse of :func:`pack`."""
    mask = (1 << bits) - 1
    return [(word >> (i * bits)) & mask for i in range(count)]


def frame_words(frame: np.ndarray, bits: int) -> list[int]:
    """Raster-order tdata words of an ``(H, W, C)`` frame."""
    h, w, c = frame.shape
    flat = frame.reshape(h * w, c)
    return [pack(px, bits) for px in flat.tolist()]


def frame_beats(frame: np.ndarray, bits: int, *, user_at: int | None = 0,
                last: bool = True) -> list["Beat"]:
    """Beats of an ``(H, W, C)`` frame: tuser on raster pixel *user_at* (``None`` = none),
    tlast on the last pixel of each row (if *last*)."""
    _, w, _ = frame.shape
    return [Beat(word, int(i == user_at), int(last and i % w == w - 1))
            for i, word in enumerate(frame_words(frame, bits))]


def window_ref(frame: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """Exact expected output of ``sf_window`` for one ``(H, W, C)`` frame.

    Returns ``(ceil(H/stride), ceil(W/stride), kernel*kernel*C)``: element
    ``(ky*kernel + kx)*C + c`` of output ``(i, j)`` is input
    ``(stride*i + ky - P, stride*j + kx - P, c)`` with ``P = (kernel-1)//2``, or 0 outside
    the frame ("same" zero padding).
    """
    h, w, c = frame.shape
    p = (kernel - 1) // 2
    padded = np.zeros((h + 2 * p, w + 2 * p, c), dtype=frame.dtype)
    padded[p:p + h, p:p + w, :] = frame
    taps = [padded[ky:ky + h, kx:kx + w, :] for ky in range(kernel) for kx in range(kernel)]
    return np.concatenate(taps, axis=2)[::stride, ::stride, :]


def random_frames(rng: np.random.Generator, count: int, height: int, width: int,
                  channels: int, bits: int) -> list[np.ndarray]:
    """*count* frames of uniformly random ``bits``-bit data."""
    return [rng.integers(0, 1 << bits, size=(height, width, channels), dtype=np.uint64)
            for _ in range(count)]


def make_rngs() -> tuple[random.Random, np.random.Generator, str]:
    """Python and numpy RNGs for the running cocotb test.

    Both are seeded with ``cocotb.RANDOM_SEED``, which cocotb derives for each test from
    the regression seed (``COCOTB_RANDOM_SEED``, set by ``run_cocotb`` from ``SF_SEED``
    or a fresh random value) and the test's name.  Returns ``(rng, np_rng,
    regression_seed)``; log the latter: ``SF_SEED=<regression_seed>`` repeats the run.
    """
    seed = int(cocotb.RANDOM_SEED)
    return (random.Random(seed), np.random.default_rng(seed),
            os.environ.get("COCOTB_RANDOM_SEED", "unknown"))


def pauses(rng: random.Random, p_pause: float, max_burst: int = 1) -> Iterator[bool]:
    """Endless stall pattern: ``True`` = stall this cycle.

    Stalls come in bursts of 1..*max_burst* cycles; *p_pause* is the probability that a
    burst starts in a given non-stalled cycle.
    """
    while True:
        if p_pause > 0 and rng.random() < p_pause:
            for _ in range(rng.randint(1, max_burst)):
                yield True
        else:
            yield False


# -------------------------------------------------------------------------------------
# Clock, reset, cycle counting
# -------------------------------------------------------------------------------------
class CycleCounter:
    """Counts rising edges of *clk* (``.cycle``)."""

    def __init__(self, clk) -> None:
        self.clk = clk
        self.cycle = 0
        self._task = cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1


async def reset_dut(clk, rst_n, cycles: int = 4) -> None:
    """Assert the active-low reset *rst_n* for *cycles* clocks (released on a falling edge)."""
    await FallingEdge(clk)
    rst_n.value = 0
    for _ in range(cycles):
        await FallingEdge(clk)
    rst_n.value = 1
    await FallingEdge(clk)


# -------------------------------------------------------------------------------------
# Source and sink
# -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Beat:
    data: int
    user: int = 0
    last: int = 0


@dataclass(frozen=True)
class _Gap:
    cycles: int


class StreamSource:
    """Drive ``<prefix>_tvalid/_tdata[/_tuser/_tlast]``; watch ``<prefix>_tready``.

    Beats and idle gaps are queued with :meth:`send`, :meth:`send_frame` and
    :meth:`idle`; :meth:`wait_idle` waits until everything queued has been transferred.
    Between beats, ``tvalid`` is withheld whenever the pause generator yields ``True``
    (a presented beat is never withdrawn, as AXI4-Stream requires).  While ``tvalid``
    is low the payload lines carry random garbage.  ``accept_cycles`` holds the
    :class:`CycleCounter` value of every transfer.
    """

    def __init__(self, dut, prefix: str, clk, *, counter: CycleCounter,
                 rng: random.Random, pause: Iterator[bool] | None = None) -> None:
        self.clk = clk
        self.counter = counter
        self.rng = rng
        self.pause = pause
        self.tvalid = getattr(dut, f"{prefix}_tvalid")
        self.tready = getattr(dut, f"{prefix}_tready")
        self.tdata = getattr(dut, f"{prefix}_tdata")
        self.tuser = getattr(dut, f"{prefix}_tuser", None)
        self.tlast = getattr(dut, f"{prefix}_tlast", None)
        self.data_bits = len(self.tdata)
        self._queue: deque[Beat | _Gap] = deque()
        self._current: Beat | None = None
        self._gap = 0
        self.accept_cycles: list[int] = []
        self.tvalid.value = 0
        self._task = cocotb.start_soon(self._run())

    def set_pause_generator(self, pause: Iterator[bool] | None) -> None:
        self.pause = pause

    def send(self, beats: Iterable[Beat]) -> None:
        self._queue.extend(beats)

    def send_frame(self, frame: np.ndarray, bits: int, **markers) -> None:
        """Queue an ``(H, W, C)`` frame; *markers* as for :func:`frame_beats`."""
        self.send(frame_beats(frame, bits, **markers))

    def idle(self, cycles: int) -> None:
        """Queue *cycles* cycles with tvalid low (after the preceding beat's transfer)."""
        self._queue.append(_Gap(cycles))

    @property
    def busy(self) -> bool:
        return bool(self._queue) or self._current is not None or self._gap > 0

    async def wait_idle(self) -> None:
        while self.busy:
            await RisingEdge(self.clk)

    def _garbage(self) -> None:
        self.tdata.value = self.rng.getrandbits(self.data_bits)
        if self.tuser is not None:
            self.tuser.value = self.rng.getrandbits(1)
        if self.tlast is not None:
            self.tlast.value = self.rng.getrandbits(1)

    async def _run(self) -> None:
        while True:
            await FallingEdge(self.clk)
            if self._current is None:
                while self._gap == 0 and self._queue and isinstance(self._queue[0], _Gap):
                    self._gap = self._queue.popleft().cycles
                if self._gap > 0:
                    self._gap -= 1
                elif self._queue and not (self.pause is not None and next(self.pause)):
                    beat = self._queue.popleft()
                    assert isinstance(beat, Beat)
                    self._current = beat
            if self._current is None:
                self.tvalid.value = 0
                self._garbage()
            else:
                self.tvalid.value = 1
                self.tdata.value = self._current.data
                if self.tuser is not None:
                    self.tuser.value = self._current.user
                if self.tlast is not None:
                    self.tlast.value = self._current.last
            await ReadOnly()
            if self._current is not None and self.tready.value == 1:
                self.accept_cycles.append(self.counter.cycle)
                self._current = None


class StreamSink:
    """Drive ``<prefix>_tready`` (random stalls); record ``<prefix>_t*`` transfers.

    ``beats`` lists every transfer; ``beat_cycles`` the :class:`CycleCounter` value of
    each.  Checks AXI4-Stream stability: once ``tvalid`` is high it stays high, with an
    unchanged payload, until the transfer (a violation raises and fails the test).
    """

    def __init__(self, dut, prefix: str, clk, *, counter: CycleCounter,
                 pause: Iterator[bool] | None = None) -> None:
        self.clk = clk
        self.counter = counter
        self.pause = pause
        self.tvalid = getattr(dut, f"{prefix}_tvalid")
        self.tready = getattr(dut, f"{prefix}_tready")
        self.tdata = getattr(dut, f"{prefix}_tdata")
        self.tuser = getattr(dut, f"{prefix}_tuser", None)
        self.tlast = getattr(dut, f"{prefix}_tlast", None)
        self.beats: list[Beat] = []
        self.beat_cycles: list[int] = []
        self.tready.value = 0
        self._task = cocotb.start_soon(self._run())

    def set_pause_generator(self, pause: Iterator[bool] | None) -> None:
        self.pause = pause

    def clear(self) -> None:
        self.beats.clear()
        self.beat_cycles.clear()

    async def _run(self) -> None:
        held: Beat | None = None
        while True:
            await FallingEdge(self.clk)
            ready = not (self.pause is not None and next(self.pause))
            self.tready.value = int(ready)
            await ReadOnly()
            valid = self.tvalid.value == 1
            if held is not None:
                if not valid:
                    raise AssertionError(f"{self.tvalid._name} dropped before the transfer")
            if valid:
                beat = Beat(int(self.tdata.value),
                            int(self.tuser.value) if self.tuser is not None else 0,
                            int(self.tlast.value) if self.tlast is not None else 0)
                if held is not None and beat != held:
                    raise AssertionError(
                        f"{self.tdata._name} payload changed while stalled: {held} -> {beat}")
                if ready:
                    self.beats.append(beat)
                    self.beat_cycles.append(self.counter.cycle)
                    held = None
                else:
                    held = beat


# -------------------------------------------------------------------------------------
# Output checking
# -------------------------------------------------------------------------------------
def split_frames(beats: Sequence[Beat], height: int, width: int, elems: int,
                 bits: int) -> tuple[list[np.ndarray], int]:
    """Cut *beats* into ``(height, width, elems)`` frames, checking the markers.

    Every frame must have tuser on its first beat only and tlast exactly on the last
    beat of each row.  Returns ``(complete_frames, leftover_beats)``.
    """
    per_frame = height * width
    frames = []
    n_full = len(beats) // per_frame
    for f in range(n_full):
        chunk = beats[f * per_frame:(f + 1) * per_frame]
        for k, b in enumerate(chunk):
            y, x = divmod(k, width)
            exp_user, exp_last = int(k == 0), int(x == width - 1)
            if b.user != exp_user or b.last != exp_last:
                raise AssertionError(
                    f"frame {f} pixel (y={y}, x={x}): tuser={b.user} tlast={b.last}, "
                    f"expected tuser={exp_user} tlast={exp_last}")
        arr = np.array([unpack(b.data, elems, bits) for b in chunk], dtype=np.uint64)
        frames.append(arr.reshape(height, width, elems))
    return frames, len(beats) - n_full * per_frame


def compare_frames(got: Sequence[np.ndarray], expected: Sequence[np.ndarray],
                   *, channels: int = 1, kernel: int = 1) -> None:
    """Assert bit-exact equality, naming the first differing frame/pixel/tap."""
    if len(got) != len(expected):
        raise AssertionError(f"got {len(got)} frames, expected {len(expected)}")
    for f, (g, e) in enumerate(zip(got, expected)):
        if g.shape != e.shape:
            raise AssertionError(f"frame {f}: shape {g.shape}, expected {e.shape}")
        if not np.array_equal(g, e):
            bad = np.argwhere(g != e)
            i, j, t = (int(v) for v in bad[0])
            tap, c = divmod(t, channels)
            ky, kx = divmod(tap, kernel)
            raise AssertionError(
                f"frame {f}: {len(bad)} elements differ; first at output (i={i}, j={j}) "
                f"tap (ky={ky}, kx={kx}) channel {c}: got {int(g[i, j, t])}, "
                f"expected {int(e[i, j, t])}\n got window {g[i, j].tolist()}\n"
                f" expected    {e[i, j].tolist()}")
