"""Inference over the host link: one image through the stream bridge (``rtl/sf_axil_stream.sv``
at :data:`.addrmap.STREAM_BASE`), the head outputs back.

Stream format (agreed with the SoC in ``gen/semifreddo/soc.py``):

* input: one bus word per pixel, raster order, channel ``c`` at ``[c*bits +: bits]``
  (the description's input channels and bits);
* result stream ``k`` = the output of the ``k``-th core in the order of ``trainable.cores``
  (its head's, or its last feature map when it has no head):

  - dense head: one item per output pixel, raster order, channel ``c`` at
    ``[c*out_bits +: out_bits]`` (two's complement when the head's output is signed),
    tuser on the first pixel, tlast on the last pixel of each row;
  - classification head: one item per class, class 0 first, the score as a 32-bit two's
    complement word (the SoC saturates wider scores to 32 bits), tuser on class 0,
    tlast on the last class.

Pixels are pushed only as far as STATUS reports free space and items popped only as far
as LEVEL reports them, so no access ever gets SLVERR; both go through the client's
side-effect path (one request at a time, never repeated blindly).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..netdesc import Network
from .addrmap import STREAM_BASE, StreamLayout as L
from .client import Client

SCORE_BITS = 32


@dataclass(frozen=True)
class OutputSpec:
    name: str            # head name (= core name)
    kind: str            # "dense" | "classification"
    items: int           # items per frame
    shape: tuple         # (H, W, C) or (classes,)
    bits: int            # bits per element
    signed: bool
    row: int             # items per row (tlast period)


def output_specs(net: Network) -> list[OutputSpec]:
    """The host's view of the network's result streams (:func:`semifreddo.network.outputs_of`,
    one per trainable core): pixels for a dense head or a headless core's features, one
    32-bit score per class for a classification head."""
    from ..network import outputs_of

    out = []
    for o in outputs_of(net):
        if o.kind == "scores":
            out.append(OutputSpec(o.core, "classification", o.height, (o.height,), SCORE_BITS, True, o.height))
        else:
            out.append(OutputSpec(o.core, "dense", o.beats, (o.height, o.width, o.elems), o.bits, o.signed, o.width))
    return out


def pack_pixels(image: np.ndarray, bits: int) -> list[int]:
    h, w, c = image.shape
    flat = np.asarray(image, dtype=np.int64).reshape(h * w, c) & ((1 << bits) - 1)
    shifts = np.arange(c, dtype=np.int64) * bits
    return [int(v) for v in (flat << shifts).sum(axis=1)]


def encode_items(spec: OutputSpec, value: np.ndarray) -> list[tuple[int, int, int]]:
    """(tdata, tuser, tlast) items of one frame of head output *value* (device side)."""
    if spec.kind == "dense":
        words = pack_pixels(value, spec.bits)
    else:
        words = [int(v) & 0xFFFF_FFFF for v in np.clip(value, -(1 << 31), (1 << 31) - 1)]
    return [(wd, int(i == 0), int(i % spec.row == spec.row - 1)) for i, wd in enumerate(words)]


def decode_items(spec: OutputSpec, words: list[int], word_bits: int = 32) -> np.ndarray:
    """Head output from the popped tdata words of one frame (*word_bits*: the bridge's
    OutWidth; a score is sign-extended from it)."""
    def sext(v: int, bits: int) -> int:
        return v - (1 << bits) if spec.signed and v >> (bits - 1) & 1 else v

    if spec.kind == "dense":
        h, w, c = spec.shape
        mask = (1 << spec.bits) - 1
        vals = [[sext((wd >> (ch * spec.bits)) & mask, spec.bits) for ch in range(c)] for wd in words]
        return np.array(vals, dtype=np.int64).reshape(h, w, c)
    return np.array([sext(wd & ((1 << word_bits) - 1), word_bits) for wd in words], dtype=np.int64)


class StreamError(Exception):
    """The stream bridge does not match the description, or results did not come."""


def run_inference(client: Client, net: Network, image: np.ndarray, *, base: int = STREAM_BASE,
                  timeout: float = 10.0, progress=None) -> dict[str, np.ndarray]:
    """Push one frame, pop every head's output for it; returns {head name: array}."""
    ident, geometry, fmt = client.read(base + L.ID, 3)
    if ident != L.ID_VALUE:
        raise StreamError(f"no stream bridge at {base:#010x} (ID reads {ident:#010x}, expected {L.ID_VALUE:#010x})")
    width, height = geometry & 0xFFFF, geometry >> 16
    in_bits, out_width, num_out = fmt & 0xFF, fmt >> 8 & 0xFF, fmt >> 16 & 0xFF
    specs = output_specs(net)
    if (width, height) != (net.input_width, net.input_height):
        raise StreamError(f"stream bridge frame is {width}x{height}, the description's input is "
                          f"{net.input_width}x{net.input_height}")
    if in_bits != net.input_channels * net.input_bits or num_out != len(specs):
        raise StreamError(f"stream bridge carries {in_bits}-bit pixels and {num_out} result streams, the "
                          f"description needs {net.input_channels * net.input_bits} and {len(specs)}")
    tagged = out_width <= 30
    # results left over from an earlier, interrupted run
    levels = client.read(base + L.LEVEL, num_out)
    for k, lv in enumerate(levels):
        n = lv & 0xFFFF
        while n:
            take = min(n, L.OUT_WORDS)
            client.read_once(base + L.out_data(k), take)
            n -= take

    pixels = pack_pixels(image, net.input_bits)
    got: list[list[int]] = [[] for _ in specs]
    sent = 0
    t_end = time.monotonic() + timeout
    while sent < len(pixels) or any(len(g) < s.items for g, s in zip(got, specs)):
        status, *levels = client.read(base + L.STATUS, 1 + num_out)
        moved = False
        free = status & 0xFFFF
        if sent < len(pixels) and free:
            n = min(free, L.IN_WORDS, len(pixels) - sent)
            client.write_once(base + L.IN_DATA, pixels[sent:sent + n])
            sent += n
            moved = True
            if progress:
                progress(n)
        for k, spec in enumerate(specs):
            need = spec.items - len(got[k])
            n = min(levels[k] & 0xFFFF, need, L.OUT_WORDS)
            if n:
                words = client.read_once(base + L.out_data(k, tagged), n)
                got[k] += words
                moved = True
        if moved:
            t_end = time.monotonic() + timeout
        elif time.monotonic() > t_end:
            missing = {s.name: s.items - len(g) for s, g in zip(specs, got) if len(g) < s.items}
            raise StreamError(f"results did not arrive within {timeout:g} s after the last progress "
                              f"({sent} of {len(pixels)} pixels sent, missing items {missing})")
        else:
            time.sleep(0.001)
    out = {}
    for spec, words in zip(specs, got):
        if tagged:
            for i, wd in enumerate(words):
                user, last = wd >> 31 & 1, wd >> 30 & 1
                if (user, last) != (int(i == 0), int(i % spec.row == spec.row - 1)):
                    raise StreamError(f"head {spec.name}: item {i} has tuser={user} tlast={last}: the result "
                                      f"stream is out of step with the frame")
            words = [wd & ((1 << out_width) - 1) for wd in words]
        out[spec.name] = decode_items(spec, words, out_width)
    return out


__all__ = ["OutputSpec", "output_specs", "pack_pixels", "encode_items", "decode_items", "run_inference",
           "StreamError"]
